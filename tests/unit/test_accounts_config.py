"""Which accounts to watch, in the config file and on the command line: ``[organization]``,
``[[accounts]]``, ``--org``, ``--accounts`` and ``--account-role``."""

from __future__ import annotations

from pathlib import Path

import pytest

from tui import config
from tui.aws.target import AccountEntry, AccountSettings
from tui.cli import _settings, build_parser
from tui.common import paths
from tui.settings import Settings

ACCOUNTS = """\
regions = ["us-east-1", "eu-west-1"]

[organization]
role = "ops-reader"

[[accounts]]
id = "210987654321"
name = "payments-prod"

[[accounts]]
id = 345678901234
name = "ledger-prod"
profile = "ledger-ro"

[[accounts]]
id = "567890123456"
name = "sandbox"
role = "arn:aws:iam::567890123456:role/ops/reader"
"""


@pytest.fixture
def config_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "config.toml"
    monkeypatch.setenv(paths.CONFIG_ENV, str(path))
    for variable in ("AWS_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION"):
        monkeypatch.delenv(variable, raising=False)
    return path


def test_without_a_word_on_accounts_the_console_watches_its_own_account_as_before(config_file: Path) -> None:
    settings = _settings(build_parser().parse_args([]))
    assert settings.accounts == AccountSettings() == Settings().accounts
    assert settings.accounts.single
    assert settings.accounts.role == "warroom-readonly"


def test_the_file_lists_the_accounts_each_with_its_line_and_how_it_is_reached(config_file: Path) -> None:
    config_file.write_text(ACCOUNTS)
    settings = _settings(build_parser().parse_args([]))
    accounts = settings.accounts
    assert not accounts.single and not accounts.read_org and accounts.watch == ()
    assert accounts.role == "ops-reader"
    assert accounts.entries == (
        AccountEntry("210987654321", "payments-prod", line=6),
        AccountEntry("345678901234", "ledger-prod", profile="ledger-ro", line=10),
        AccountEntry("567890123456", "sandbox", role="arn:aws:iam::567890123456:role/ops/reader", line=15),
    )


def test_flags_win_over_the_file(config_file: Path) -> None:
    config_file.write_text(ACCOUNTS)
    args = build_parser().parse_args(
        ["--org", "--accounts", "payments-prod,345678901234", "--accounts", "sandbox", "--account-role", "r2"]
    )
    values = config.resolve(config.load(), vars(args), {})
    assert str(values["organization.read"].source) == "flag --org"
    assert str(values["organization.role"].source) == "flag --account-role"
    assert values["organization.role"].overrides == ("ops-reader", config.Source("file", "line 4"))
    accounts = config.build(values, config.load()).accounts
    assert accounts.read_org and accounts.role == "r2"
    assert accounts.watch == ("payments-prod", "345678901234", "sandbox")
    # --regions is --region's other name (as warroom snapshot ... --regions).
    assert build_parser().parse_args(["--regions", "us-east-1", "eu-west-1"]).regions == [
        "us-east-1",
        "eu-west-1",
    ]
    with pytest.raises(config.ConfigError, match=r'--account-role "no spaces": not a valid IAM role name'):
        config.build(config.resolve(config.load(), {"account_role": "no spaces"}, {}), config.load())


def test_a_bad_accounts_option_is_refused_by_the_command_line(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args(["--accounts", "1234"])
    assert "argument --accounts: '1234' is not a 12-digit account id" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        build_parser().parse_args(["--accounts", "a,,b"])
    assert "names an empty account" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[[accounts]]\nname = "x"\n', "line 1: accounts[0].id: missing"),
        ('[[accounts]]\nid = "1234"\n', "line 2: accounts[0].id: '1234' is not a 12-digit account id"),
        ("[[accounts]]\nid = true\n", "line 2: accounts[0].id: expected an integer or a string, got true"),
        (
            '[[accounts]]\nid = "210987654321"\n\n[[accounts]]\nid = "210987654321"\n',
            "line 5: accounts[1].id: account 210987654321 is listed twice",
        ),
        (
            '[[accounts]]\nid = "210987654321"\nrole = "r"\nprofile = "p"\n',
            "line 4: accounts[0].profile: a role or a profile, not both",
        ),
        (
            '[[accounts]]\nid = "210987654321"\nrole = "arn:aws:iam::111111111111:role/x"\n',
            "line 3: accounts[0].role: 'arn:aws:iam::111111111111:role/x' is a role of account 111111111111, "
            "not of 210987654321",
        ),
        (
            '[[accounts]]\nid = "210987654321"\nrole = "two words"\n',
            "line 3: accounts[0].role: 'two words' is not a valid IAM role name or ARN",
        ),
        ('[[accounts]]\nid = "210987654321"\nrolle = "x"\n', "line 3: accounts[0].rolle: unknown key"),
        (
            '[[accounts]]\nid = "210987654321"\nname = "a"\n[[accounts]]\nid = "210987654322"\nname = "A"\n',
            "line 6: accounts[1].name: the name 'A' is used twice",
        ),
        (
            '[[accounts]]\nid = "210987654321"\nprofile = ""\n',
            "line 3: accounts[0].profile: '' is not a profile",
        ),
        (
            '[organization]\nwatch = ["123"]\n',
            "line 2: organization.watch[0]: '123' is not a 12-digit account id",
        ),
        (
            '[organization]\nrole = "bad role"\n',
            "line 2: organization.role: 'bad role' is not a valid IAM role",
        ),
        ('[organization]\nread = "yes"\n', "line 2: organization.read: expected true or false, got 'yes'"),
    ],
)
def test_a_bad_entry_refuses_the_file_naming_its_line_and_field(
    config_file: Path, text: str, message: str
) -> None:
    config_file.write_text(text)
    loaded = config.load()
    assert loaded.refused and len(loaded.problems) == 1
    assert message in loaded.problems[0], loaded.problems
    settings = config.build(config.resolve(loaded, {}, {}), loaded)
    assert settings.accounts == AccountSettings(), "a refused file's accounts are not watched"


def test_show_lists_the_accounts_and_where_they_come_from(config_file: Path) -> None:
    config_file.write_text(ACCOUNTS)
    loaded = config.load()
    lines = config.describe(loaded, config.resolve(loaded, {"accounts": ["sandbox"]}, {}))
    text = "\n".join(lines)
    assert "[organization]" in text
    assert 'role = "ops-reader"' in text
    assert any(line.startswith('watch = ["sandbox"]') and "# flag --accounts" in line for line in lines)
    assert (
        "# The accounts watched: these entries, and the credential's own account; of them only sandbox "
        "(organization.watch)."
    ) in lines
    at = lines.index("[[accounts]]  # file line 6 · reached through role ops-reader (organization.role)")
    assert lines[at + 1 : at + 3] == ['id = "210987654321"', 'name = "payments-prod"']
    at = lines.index("[[accounts]]  # file line 10 · reached through profile ledger-ro")
    assert lines[at + 1 : at + 4] == ['id = "345678901234"', 'name = "ledger-prod"', 'profile = "ledger-ro"']
    assert (
        "[[accounts]]  # file line 15 · reached through role arn:aws:iam::567890123456:role/ops/reader"
        in lines
    )

    config_file.write_text("")
    empty = config.load()
    lines = config.describe(empty, config.resolve(empty, {}, {}))
    assert lines[-2:] == [
        "# The accounts watched: the credential's own account only.",
        "# [[accounts]]: none in the file",
    ]
    lines = config.describe(empty, config.resolve(empty, {"read_org": True}, {}))
    assert lines[-2].startswith(
        "# The accounts watched: the organization's (organizations:ListAccounts), each"
    )
