"""The config file: where it is, what it sets, what wins over it, and what a bad one does."""

from __future__ import annotations

from pathlib import Path

import pytest

from tui import config
from tui.cli import _settings, build_parser
from tui.common import paths
from tui.settings import GLOBAL_KEYS, Intervals, Settings

GOOD = """\
profile = "prod-ro"
regions = ["us-east-1", "eu-west-1"]
theme = "warroom-high-contrast"
note_author = "alice"
services = "services.toml"

[limits]
warn_at = 70
critical_at = 90

[kinesis]
scale_up_rule = "0.5:2/3"
scale_down_block_minutes = 45

[findings]
remediation_role = "ops-fixer"

[sessions]
tmux_windows = true

[intervals]
findings = 120

[keys]
help = "f1"

[keys.limits]
sort = ["o", "O"]
"""


@pytest.fixture
def config_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A config file named by WARROOM_CONFIG (written by the test), and no AWS variables."""
    path = tmp_path / "config.toml"
    monkeypatch.setenv(paths.CONFIG_ENV, str(path))
    for variable in ("AWS_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION"):
        monkeypatch.delenv(variable, raising=False)
    return path


def _values(path: Path, flags: dict[str, object] | None = None, **environ: str) -> dict[str, config.Value]:
    return config.resolve(config.load(path), flags or {}, environ)


def test_the_file_is_in_the_platform_config_directory_unless_warroom_config_names_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(paths.CONFIG_ENV, raising=False)
    monkeypatch.delenv("WARROOM_CONFIG_DIR", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    assert paths.config_file() == tmp_path / "xdg" / "warroom" / "config.toml"
    monkeypatch.setenv(paths.CONFIG_ENV, str(tmp_path / "team.toml"))
    assert paths.config_file() == tmp_path / "team.toml"
    assert config.load().path == tmp_path / "team.toml"


def test_no_file_is_the_defaults(config_file: Path) -> None:
    loaded = config.load()
    assert not loaded.found and not loaded.refused
    values = config.resolve(loaded, {}, {})
    assert {str(v.source) for v in values.values()} == {"default"}
    assert config.build(values, loaded) == Settings()


def test_the_file_sets_every_setting_it_names_and_says_which_line(config_file: Path) -> None:
    config_file.write_text(GOOD)
    loaded = config.load()
    assert loaded.found and not loaded.problems
    values = config.resolve(loaded, {}, {})
    assert str(values["limits.warn_at"].source) == "file line 8"
    assert str(values["regions"].source) == "file line 2"
    assert str(values["limits.critical_at"].source) == "file line 9"
    assert str(values["kinesis.scale_down_rule"].source) == "default"
    settings = config.build(values, loaded)
    assert settings.target.profile == "prod-ro"
    assert settings.target.regions == ("us-east-1", "eu-west-1")
    assert settings.theme == "warroom-high-contrast" and settings.note_author == "alice"
    assert (settings.thresholds.warn, settings.thresholds.critical) == (0.70, 0.90)
    rule = settings.kinesis_rule
    assert (rule.up_at, rule.up_points, rule.up_window, rule.block_minutes) == (0.5, 2, 3, 45.0)
    assert (rule.down_below, rule.down_points, rule.down_window) == (0.25, 57, 60)
    assert settings.kinesis_block_minutes == 45.0
    assert settings.remediation_role == "ops-fixer" and settings.session_tmux_windows
    assert settings.intervals == Intervals(findings=120.0)
    # A relative services file sits next to the config file.
    assert settings.services_path == config_file.parent / "services.toml"
    assert settings.keys == {GLOBAL_KEYS: {"help": "f1"}, "limits": {"sort": "o,O"}}
    assert settings.warnings == ()


def test_the_environment_wins_over_the_file_and_a_flag_over_both(config_file: Path) -> None:
    config_file.write_text(GOOD)
    env = {"AWS_PROFILE": "dev", "AWS_DEFAULT_REGION": "ap-south-1", "AWS_REGION": "eu-west-2"}
    values = _values(config_file, **env)
    assert values["profile"].value == "dev" and str(values["profile"].source) == "environment AWS_PROFILE"
    # AWS_REGION before AWS_DEFAULT_REGION, as the AWS CLI reads them.
    assert values["regions"].value == ("eu-west-2",)
    assert str(values["regions"].source) == "environment AWS_REGION"
    assert values["regions"].overrides == (("us-east-1", "eu-west-1"), config.Source("file", "line 2"))

    args = build_parser().parse_args(["--profile", "ops", "--region", "us-west-2", "--warn-at", "60"])
    values = _values(config_file, vars(args), **env)
    assert values["profile"].value == "ops" and str(values["profile"].source) == "flag --profile"
    assert values["regions"].value == ("us-west-2",)
    assert values["limits.warn_at"].value == 60.0 and str(values["limits.warn_at"].source) == "flag --warn-at"
    assert values["limits.critical_at"].value == 90.0  # the file's, no flag given


def test_the_commands_take_the_file_under_their_flags(config_file: Path) -> None:
    config_file.write_text(GOOD.replace('services = "services.toml"\n', ""))
    settings = _settings(build_parser().parse_args(["--critical-at", "99"]))
    assert (settings.thresholds.warn, settings.thresholds.critical) == (0.70, 0.99)
    assert settings.target.profile == "prod-ro" and settings.remediation_role == "ops-fixer"


def test_a_flag_that_cannot_go_with_the_file_names_both(config_file: Path) -> None:
    config_file.write_text(GOOD)
    args = build_parser().parse_args(["--warn-at", "95"])
    with pytest.raises(
        config.ConfigError, match=r"--warn-at 95 is above limits.critical_at 90 \(file line 9\)"
    ):
        config.build(_values(config_file, vars(args)), config.load())


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[limits\nwarn_at = 80\n", "config.toml: not valid TOML"),
        (
            'theme = "warroom-dark"\n\n[limits]\nwarn_at = "high"\n',
            "line 4: limits.warn_at: expected a number, got 'high'",
        ),
        ("[sessions]\ntmux_window = true\n", "line 2: sessions.tmux_window: unknown key"),
        ('regions = "us-east-1"\n', "line 1: regions: expected a list, got 'us-east-1'"),
        ("[limits]\nwarn_at = 96\ncritical_at = 95\n", "line 2: limits.warn_at: 96 is above critical_at 95"),
        ('[kinesis]\nscale_up_rule = "half"\n', "line 2: kinesis.scale_up_rule: 'half' is not USAGE:M/N"),
        ("[intervals]\nfis = 0.1\n", "line 2: intervals.fis: 0.1 is not between 1 and 86400 seconds"),
        (
            '[findings]\nremediation_role = "no spaces"\n',
            "line 2: findings.remediation_role: 'no spaces' is not",
        ),
        ('[keys.limitz]\nsort = "o"\n', "line 1: keys.limitz: no pane 'limitz'; the panes are overview"),
    ],
)
def test_a_bad_file_is_refused_whole_naming_the_line_and_the_field(
    config_file: Path, text: str, message: str
) -> None:
    config_file.write_text(text)
    loaded = config.load()
    assert loaded.found and loaded.refused
    assert len(loaded.problems) == 1 and message in loaded.problems[0], loaded.problems
    values = config.resolve(loaded, {}, {})
    assert {str(v.source) for v in values.values()} == {"default"}
    settings = config.build(values, loaded)
    assert settings.warnings == loaded.problems
    assert settings.thresholds == Settings().thresholds and settings.theme == Settings().theme


def test_a_file_that_cannot_be_read_is_refused(config_file: Path) -> None:
    config_file.mkdir()
    loaded = config.load()
    assert loaded.refused and "cannot read" in loaded.problems[0]
    config_file.rmdir()
    config_file.write_bytes(b"theme = '\xff'\n")
    assert "cannot read" in config.load().problems[0]


def test_a_command_refuses_the_file_for_its_services_file_or_its_theme(config_file: Path) -> None:
    config_file.write_text('services = "missing.toml"\n')
    settings = _settings(build_parser().parse_args([]))
    assert settings.services_path is None
    assert len(settings.warnings) == 1 and "line 1: services:" in settings.warnings[0]
    config_file.write_text('theme = "solarized"\n')
    settings = _settings(build_parser().parse_args([]), console=True)
    assert settings.theme == "warroom-dark"
    assert "line 1: theme: no theme 'solarized'; choose one of warroom-dark" in settings.warnings[0]


def test_show_writes_every_setting_as_toml_with_its_source(config_file: Path) -> None:
    config_file.write_text(GOOD)
    loaded = config.load()
    lines = config.describe(loaded, config.resolve(loaded, {"warn_at": 50.0}, {"AWS_PROFILE": "dev"}))
    text = "\n".join(lines)
    assert 'profile = "dev"' in text and '# environment AWS_PROFILE; overrides the file\'s "prod-ro"' in text
    assert "warn_at = 50" in text and "# flag --warn-at; overrides the file's 70 (file line 8) · " in text
    assert 'scale_down_rule = "0.25:57/60"' in text
    for spec in config.SPECS:
        assert f"{spec.name.rpartition('.')[2]} = " in text
