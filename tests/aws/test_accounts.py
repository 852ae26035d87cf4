"""The accounts the console watches and how it reaches each, against plain moto (``tests.plain_moto``).

moto keeps AWS Organizations (create_organization, create_account, close_account, list_accounts) and
maps keys issued by sts:AssumeRole to the role's account, but it lets anyone assume any role, even one
that does not exist (``STSBackend.assume_role``: "the role does not need to exist"). ``AwsLike`` puts
in front of it the checks AWS makes and moto does not: sts:AssumeRole of a role that is missing in its
account, or that does not trust the caller's account, is answered with the AccessDenied STS sends
(XML, parsed by botocore like any answer), and so are an explicit deny of a service control policy,
a region the account has not enabled, and Organizations refusing a member account. Everything else
is moto's own answer.

Each test makes an organization of its own: its management account is a new account id (the keys of
a role assumed there), so the session's one plain server holds many organizations side by side.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs
from xml.sax.saxutils import escape

import boto3
import pytest
from aiobotocore.awsrequest import AioAWSResponse
from botocore.exceptions import ClientError

from tui.aws.accounts import (
    AccountDirectory,
    AccountRow,
    AccountSource,
    recheck_after,
    trust_statement,
)
from tui.aws.clients import AwsTarget, ClientFactory, account_of_role
from tui.aws.errors import ErrorKind
from tui.aws.target import AccountEntry, AccountSettings

PRIMARY, SECOND = "us-east-1", "eu-west-1"
REGIONS = (PRIMARY, SECOND)
ROLE = "warroom-readonly"
_ids = itertools.count(1)


def new_account_id() -> str:
    """An account id no other test of this session uses."""
    return f"7{os.getpid() % 10000:04d}{next(_ids):07d}"


def keys_of(url: str, account_id: str) -> tuple[str, str]:
    """Keys of ``account_id`` (moto maps a role's keys to the role's account)."""
    sts = boto3.client(
        "sts",
        region_name=PRIMARY,
        endpoint_url=url,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    issued = sts.assume_role(RoleArn=f"arn:aws:iam::{account_id}:role/admin", RoleSessionName="tests")
    return issued["Credentials"]["AccessKeyId"], issued["Credentials"]["SecretAccessKey"]


def as_account(url: str, account_id: str, service: str) -> Any:
    key, secret = keys_of(url, account_id)
    return boto3.client(
        service, region_name=PRIMARY, endpoint_url=url, aws_access_key_id=key, aws_secret_access_key=secret
    )


def trust_policy(account_id: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{account_id}:root"},
                    "Action": "sts:AssumeRole",
                }
            ],
        }
    )


def create_role(url: str, account_id: str, trusted: str, name: str = ROLE) -> None:
    """The role ``name`` (``path/name`` for one with a path) in ``account_id``, trusting ``trusted``."""
    path, _, leaf = name.rpartition("/")
    as_account(url, account_id, "iam").create_role(
        RoleName=leaf, Path=f"/{path}/" if path else "/", AssumeRolePolicyDocument=trust_policy(trusted)
    )


@dataclass
class Org:
    url: str
    home: str
    ids: dict[str, str] = field(default_factory=dict)
    """Account name -> id."""


def make_org(
    url: str,
    names: list[str],
    *,
    roles_in: set[str] = frozenset(),
    closed: set[str] = frozenset(),  # type: ignore[assignment]
) -> Org:
    """An organization managed by a new account, with accounts ``names``, the read role in
    ``roles_in`` (trusting the management account), and ``closed`` ones closed."""
    org = Org(url, new_account_id())
    client = as_account(url, org.home, "organizations")
    client.create_organization(FeatureSet="ALL")
    for name in names:
        status = client.create_account(AccountName=name, Email=f"{name}@example.com")["CreateAccountStatus"]
        org.ids[name] = status["AccountId"]
    for name in roles_in:
        create_role(url, org.ids[name], org.home)
    for name in closed:
        client.close_account(AccountId=org.ids[name])
    return org


# -- what AWS checks and moto does not ----------------------------------------------------------


class _Body:
    def __init__(self, data: bytes) -> None:
        self._data = data

    async def read(self) -> bytes:
        return self._data


def sts_error(url: str, status: int, code: str, message: str) -> AioAWSResponse:
    """An STS error as AWS sends it (query protocol, XML)."""
    body = (
        '<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">\n'
        f"  <Error>\n    <Type>Sender</Type>\n    <Code>{code}</Code>\n"
        f"    <Message>{escape(message)}</Message>\n  </Error>\n"
        f"  <RequestId>{uuid.uuid4()}</RequestId>\n</ErrorResponse>\n"
    ).encode()
    headers = {"Content-Type": "text/xml", "Content-Length": str(len(body))}
    return AioAWSResponse(url, status, headers, _Body(body))


def json_error(url: str, code: str, message: str) -> AioAWSResponse:
    """An error of a JSON-protocol service (Organizations) as AWS sends it."""
    body = json.dumps({"__type": code, "Message": message}).encode()
    headers = {"Content-Type": "application/x-amz-json-1.1", "x-amzn-RequestId": str(uuid.uuid4())}
    return AioAWSResponse(url, 400, headers, _Body(body))


@dataclass
class AwsLike:
    """AWS's answers where moto would answer otherwise."""

    url: str
    scp_denied: set[str] = field(default_factory=set)
    """Role ARNs that a service control policy forbids assuming."""
    disabled: set[tuple[str, str]] = field(default_factory=set)
    """(account, region) pairs where the account has not enabled the region."""
    org_denied: set[str] = field(default_factory=set)
    """Accounts that may not call organizations:ListAccounts."""

    def trusts(self, role_arn: str, caller: str) -> bool:
        """The role exists in its account and its trust policy names the caller's account."""
        iam = as_account(self.url, account_of_role(role_arn), "iam")
        try:
            role = iam.get_role(RoleName=role_arn.rsplit("/", 1)[-1])["Role"]
        except iam.exceptions.NoSuchEntityException:
            return False
        return f"arn:aws:iam::{caller}:root" in json.dumps(role["AssumeRolePolicyDocument"])

    async def answer(self, service: str, account: str, region: str, request: Any) -> AioAWSResponse | None:
        url = request.url
        if (account, region) in self.disabled:
            return sts_error(
                url, 403, "InvalidClientTokenId", "The security token included in the request is invalid."
            )
        if service == "organizations" and account in self.org_denied:
            return json_error(
                url, "AccessDeniedException", "You don't have permissions to access this resource."
            )
        if service != "sts":
            return None
        body = request.body.decode() if isinstance(request.body, bytes) else str(request.body or "")
        params = parse_qs(body)
        if params.get("Action") != ["AssumeRole"]:
            return None
        role_arn = params["RoleArn"][0]
        caller = f"arn:aws:sts::{account}:assumed-role/admin/tests"
        denied = f"User: {caller} is not authorized to perform: sts:AssumeRole on resource: {role_arn}"
        if role_arn in self.scp_denied:
            return sts_error(
                url, 403, "AccessDenied", f"{denied} with an explicit deny in a service control policy"
            )
        if not await asyncio.to_thread(self.trusts, role_arn, account):
            return sts_error(url, 403, "AccessDenied", denied)
        return None


class AwsLikeFactory(ClientFactory):
    """The console's factory, each of its clients answered by ``AwsLike`` first."""

    def __init__(self, target: AwsTarget, aws: AwsLike, home: str, profiles: dict[str, str]) -> None:
        super().__init__(target)
        self.aws, self.home, self.profiles = aws, home, profiles

    async def client(
        self,
        service: str,
        region: str | None = None,
        *,
        role_arn: str | None = None,
        profile: str | None = None,
    ) -> Any:
        made = await super().client(service, region, role_arn=role_arn, profile=profile)
        account = account_of_role(role_arn) if role_arn else self.profiles.get(profile or "", self.home)
        where = region or self.region

        async def gate(request: Any, **_: Any) -> AioAWSResponse | None:
            return await self.aws.answer(service, account, where, request)

        made.meta.events.register_first("before-send", gate, unique_id="aws-like")
        return made


@pytest.fixture
async def world(plain_moto_url: str) -> AsyncIterator[Callable[..., AwsLikeFactory]]:
    """``world(home, **profiles)``: a factory with ``home``'s keys (profile name -> account for the
    profiles of the AWS config file a test writes); closed at the end."""
    made: list[AwsLikeFactory] = []
    aws = AwsLike(plain_moto_url)

    def factory(home: str, **profiles: str) -> AwsLikeFactory:
        key, secret = keys_of(plain_moto_url, home)
        target = AwsTarget(regions=REGIONS, endpoint_url=plain_moto_url, access_key=key, secret_key=secret)
        made.append(AwsLikeFactory(target, aws, home, profiles))
        return made[-1]

    factory.aws = aws  # type: ignore[attr-defined]
    try:
        yield factory
    finally:
        for one in made:
            await one.close()


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def checked(directory: AccountDirectory) -> dict[str, AccountRow]:
    rows = [row async for row in directory.check_all()]
    return {row.account.name or row.account.id: row for row in rows}


# -- the organization ---------------------------------------------------------------------------


async def test_the_organization_names_every_account_and_each_is_reached_once_or_says_why(
    plain_moto_url: str, world: Callable[..., AwsLikeFactory]
) -> None:
    org = make_org(
        plain_moto_url,
        ["payments-prod", "ledger-prod", "analytics-dev", "sandbox", "retired"],
        roles_in={"payments-prod", "ledger-prod", "analytics-dev", "retired"},
        closed={"retired"},
    )
    factory = world(org.home)
    directory = AccountDirectory(factory, AccountSettings(read_org=True))

    listed = await directory.load()
    assert listed.source is AccountSource.ORGANIZATIONS
    assert listed.home is not None and listed.home.id == org.home and listed.home.name == "master"
    assert [a.name for a in listed.accounts] == [
        "master",
        "analytics-dev",
        "ledger-prod",
        "payments-prod",
        "retired",
        "sandbox",
    ]
    by_name = {a.name: a for a in listed.accounts}
    assert by_name["master"].via == "directly" and by_name["master"].role_arn is None
    sandbox = by_name["sandbox"]
    assert sandbox.id == org.ids["sandbox"] and sandbox.source is AccountSource.ORGANIZATIONS
    assert sandbox.role_arn == f"arn:aws:iam::{org.ids['sandbox']}:role/{ROLE}"
    assert by_name["retired"].state == "SUSPENDED" and not by_name["retired"].active
    assert listed.header == "6 accounts · 2 regions" and not listed.single
    assert factory.calls["sts:AssumeRole"] == 0, "loading the list assumes no role"

    rows = await checked(directory)

    for name in ("payments-prod", "ledger-prod", "analytics-dev"):
        row = rows[name]
        assert row.reachable is True and row.failing() == ()
        reach = row.reaches[1]
        assert reach is not None and reach.checked
        assert reach.arn == f"arn:aws:sts::{org.ids[name]}:assumed-role/{ROLE}/warroom"
    assert rows["master"].reachable is True
    home_primary = rows["master"].reaches[0]
    assert home_primary is not None and not home_primary.checked, "the console's own account needs no check"

    missing = rows["sandbox"]
    assert missing.reachable is False
    assert missing.problem is not None and missing.problem.kind is ErrorKind.PERMISSION
    assert missing.problem.message == (
        f"the role {ROLE} is missing in sandbox ({org.ids['sandbox']}) or does not trust {org.home}"
    )
    assert trust_statement(org.home) in missing.problem.hint
    assert f"sts:AssumeRole on arn:aws:iam::{org.ids['sandbox']}:role/{ROLE}" in missing.problem.hint
    assert [r.region for r in missing.failing()] == list(REGIONS)

    closed = rows["retired"]
    assert closed.reachable is False and closed.problem is not None
    assert (
        closed.problem.message == f"retired ({org.ids['retired']}) is SUSPENDED in the organization (closed)"
    )

    # Each role assumed once (the missing one too: its failure is the account's in every region),
    # each reached account asked once per region, the closed one never.
    assert factory.calls["sts:AssumeRole"] == 4
    assert factory.calls["sts:GetCallerIdentity"] == 1 + 1 + 3 * 2
    view = directory.view()
    assert {(a.name, r) for a, r in view.targets()} == {
        (name, region)
        for name in ("master", "payments-prod", "ledger-prod", "analytics-dev")
        for region in REGIONS
    }
    assert [row.account.name for row in view.failures()] == ["retired", "sandbox"]

    # Checked once: asking again makes no call, nor does reading the organization again.
    calls = sum(factory.calls.values())
    await checked(directory)
    assert sum(factory.calls.values()) == calls
    await directory.load(reload=True)
    await checked(directory)
    assert sum(factory.calls.values()) == calls + 1
    assert factory.calls["organizations:ListAccounts"] == 2

    # The panes' clients in a member account run as its role.
    sts = await directory.client(org.ids["ledger-prod"], "sts", SECOND)
    assert (await sts.get_caller_identity())["Account"] == org.ids["ledger-prod"]
    assert factory.calls["sts:AssumeRole"] == 4

    # Reached another way, an account is checked again.
    directory.settings = AccountSettings(read_org=True, role="other-role")
    await directory.load(reload=True)
    assert all(reach is None for reach in directory.view().row(org.ids["ledger-prod"]).reaches)


async def test_every_page_of_the_organization_is_read(
    plain_moto_url: str, world: Callable[..., AwsLikeFactory]
) -> None:
    names = [f"team-{n:02d}" for n in range(23)]
    org = make_org(plain_moto_url, names)
    factory = world(org.home)
    listed = await AccountDirectory(factory, AccountSettings(read_org=True)).load()
    assert sorted(a.name for a in listed.accounts if not a.home) == names
    assert len(listed.accounts) == 24
    assert factory.calls["organizations:ListAccounts"] == 2  # 20 a page, as Organizations gives at most


async def test_a_failed_check_waits_out_its_backoff_then_finds_the_role_created(
    plain_moto_url: str, world: Callable[..., AwsLikeFactory]
) -> None:
    org = make_org(plain_moto_url, ["sandbox"])
    factory = world(org.home)
    clock = Clock()
    directory = AccountDirectory(factory, AccountSettings(read_org=True), clock=clock)
    sandbox = org.ids["sandbox"]

    first = await directory.check(sandbox)
    assert not first.ok and first.failures == 1 and first.retry_at == clock.now + recheck_after(1)
    assert factory.calls["sts:AssumeRole"] == 1

    create_role(plain_moto_url, sandbox, org.home)
    clock.now += recheck_after(1) - 1
    assert await directory.check(sandbox) == first, "checked again before its backoff passed"
    assert factory.calls["sts:AssumeRole"] == 1

    clock.now += 1
    again = await directory.check(sandbox)
    assert again.ok and again.failures == 0 and again.problem is None
    assert factory.calls["sts:AssumeRole"] == 2
    row = directory.view().row(sandbox)
    assert row.reachable is True and row.reaches[1] is None, "the second region is not checked yet"

    # A pane's call that fails there marks it, and the backoff doubles with each failure in a row.
    boom = ClientError(
        {
            "Error": {
                "Code": "ExpiredToken",
                "Message": "The security token included in the request is expired",
            }
        },
        "DescribeInstances",
    )
    failed = directory.failed(sandbox, PRIMARY, boom)
    assert not failed.ok and failed.failures == 1 and failed.problem is not None
    assert failed.problem.kind is ErrorKind.EXPIRED
    assert directory.failed(sandbox, PRIMARY, boom).retry_at == clock.now + recheck_after(2)
    assert recheck_after(2) == 2 * recheck_after(1) and recheck_after(30) == 900.0


async def test_an_scp_deny_and_a_region_not_enabled_are_said_as_such(
    plain_moto_url: str, world: Callable[..., AwsLikeFactory]
) -> None:
    org = make_org(
        plain_moto_url, ["payments-prod", "ledger-prod"], roles_in={"payments-prod", "ledger-prod"}
    )
    factory = world(org.home)
    aws: AwsLike = world.aws  # type: ignore[attr-defined]
    ledger, payments = org.ids["ledger-prod"], org.ids["payments-prod"]
    aws.scp_denied.add(f"arn:aws:iam::{ledger}:role/{ROLE}")
    aws.disabled.add((payments, SECOND))
    directory = AccountDirectory(factory, AccountSettings(read_org=True))

    rows = await checked(directory)

    denied = rows["ledger-prod"]
    assert denied.reachable is False and denied.problem is not None
    assert denied.problem.kind is ErrorKind.PERMISSION
    assert denied.problem.message.startswith(
        "a service control policy of the organization denies assuming the role "
        f"{ROLE} in ledger-prod ({ledger})"
    )
    assert denied.problem.hint == (
        f"ask the organization's administrators to allow sts:AssumeRole on arn:aws:iam::{ledger}:role/{ROLE}"
        f" from {org.home}"
    )

    partly = rows["payments-prod"]
    assert partly.reachable is True, "reached in us-east-1"
    (region_off,) = partly.failing()
    assert region_off.region == SECOND and region_off.problem is not None
    assert region_off.problem.kind is ErrorKind.NOT_ENABLED
    assert (
        region_off.problem.message == f"region {SECOND} is not enabled in account payments-prod ({payments})"
    )
    assert region_off.problem.code == "InvalidClientTokenId"
    targets = {(a.name, r) for a, r in directory.view().targets()}
    assert ("payments-prod", PRIMARY) in targets and ("payments-prod", SECOND) not in targets


async def test_without_the_organization_the_config_list_is_used_and_says_why(
    plain_moto_url: str, world: Callable[..., AwsLikeFactory], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A member account may not list the organization (AccessDeniedException); an account outside
    any organization lists nothing on moto. Either way the config file's accounts are watched."""
    home, payments, ledger, elsewhere = (new_account_id() for _ in range(4))
    create_role(plain_moto_url, payments, home, name="ops/reader")
    key, secret = keys_of(plain_moto_url, ledger)
    wrong_key, wrong_secret = keys_of(plain_moto_url, elsewhere)
    config = tmp_path / "aws-config"
    config.write_text(
        f"[profile ledger-ro]\naws_access_key_id = {key}\naws_secret_access_key = {secret}\n\n"
        f"[profile mixed-up]\naws_access_key_id = {wrong_key}\naws_secret_access_key = {wrong_secret}\n"
    )
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    wrong = new_account_id()
    entries = (
        AccountEntry(payments, "payments-prod", role=f"arn:aws:iam::{payments}:role/ops/reader", line=3),
        AccountEntry(ledger, "ledger-prod", profile="ledger-ro", line=8),
        AccountEntry(wrong, "mixed-up", profile="mixed-up", line=13),
    )
    factory = world(home, **{"ledger-ro": ledger, "mixed-up": elsewhere})
    aws: AwsLike = world.aws  # type: ignore[attr-defined]
    aws.org_denied.add(home)
    directory = AccountDirectory(factory, AccountSettings(read_org=True, entries=entries))

    listed = await directory.load()
    assert listed.source is AccountSource.CONFIG
    (note,) = listed.notes
    assert note.startswith(
        f"the organization's accounts could not be read: {home} may not call organizations:ListAccounts"
    )
    assert note.endswith("watching the config file's 3 account(s) instead")
    assert [(a.name, a.source, a.via) for a in listed.accounts] == [
        ("", AccountSource.CREDENTIALS, "directly"),
        ("ledger-prod", AccountSource.CONFIG, "profile ledger-ro"),
        ("mixed-up", AccountSource.CONFIG, "profile mixed-up"),
        ("payments-prod", AccountSource.CONFIG, "role ops/reader"),
    ]

    rows = await checked(directory)
    assert rows["payments-prod"].reachable is True
    with pytest.raises(ValueError, match="not both"):
        await factory.client("sts", role_arn=f"arn:aws:iam::{payments}:role/x", profile="ledger-ro")
    reached = rows["ledger-prod"].reaches[0]
    assert reached is not None and reached.ok and reached.arn.startswith(f"arn:aws:sts::{ledger}:")
    mixed = rows["mixed-up"]
    assert mixed.reachable is False and mixed.problem is not None
    assert mixed.problem.kind is ErrorKind.INVALID
    assert mixed.problem.message == f"profile mixed-up reaches account {elsewhere}, not mixed-up ({wrong})"
    assert mixed.problem.hint == f"fix the entry of {wrong} in the config file (line 13)"

    # Outside any organization moto lists nothing: said, and the same list is watched.
    aws.org_denied.clear()
    again = await directory.load(reload=True)
    assert again.notes[0].startswith(
        "the organization's accounts could not be read: "
        f"organizations:ListAccounts from {home} listed no account"
    )
    assert again.accounts == listed.accounts


async def test_accounts_option_keeps_those_named_and_says_which_name_matched_nothing(
    plain_moto_url: str, world: Callable[..., AwsLikeFactory]
) -> None:
    org = make_org(plain_moto_url, ["payments-prod", "ledger-prod", "sandbox"], roles_in={"ledger-prod"})
    outsider = new_account_id()
    create_role(plain_moto_url, outsider, org.home)
    watch = (org.ids["payments-prod"], "Ledger-Prod", "nosuch", outsider)
    factory = world(org.home)
    directory = AccountDirectory(factory, AccountSettings(read_org=True, watch=watch))

    listed = await directory.load()
    assert [(a.name, a.id, a.source) for a in listed.accounts] == [
        ("ledger-prod", org.ids["ledger-prod"], AccountSource.ORGANIZATIONS),
        ("payments-prod", org.ids["payments-prod"], AccountSource.ORGANIZATIONS),
        ("", outsider, AccountSource.ACCOUNTS_OPTION),
    ]
    assert listed.notes == (
        "--accounts: no account is named 'nosuch' (the accounts known are named ledger-prod, master, "
        "payments-prod, sandbox)",
    )
    rows = await checked(directory)
    assert rows[outsider].reachable is True and rows["ledger-prod"].reachable is True
    assert rows["payments-prod"].reachable is False


async def test_one_account_as_before_makes_no_call_beyond_naming_it(
    plain_moto_url: str, world: Callable[..., AwsLikeFactory]
) -> None:
    home = new_account_id()
    factory = world(home)
    directory = AccountDirectory(factory)
    assert directory.settings.single

    listed = await directory.load()
    assert listed.single and listed.source is AccountSource.CREDENTIALS and listed.notes == ()
    assert [(a.id, a.home, a.via) for a in listed.accounts] == [(home, True, "directly")]
    rows = [row async for row in directory.check_all()]
    assert [row.reachable for row in rows] == [True]
    assert all(r is not None and r.ok and not r.checked for r in rows[0].reaches)
    assert dict(factory.calls) == {"sts:GetCallerIdentity": 1}
    assert {r for _, r in directory.view().targets()} == set(REGIONS)
    assert await directory.client(home, "ec2", SECOND) is await factory.client("ec2", SECOND)
    assert directory.view().header == "1 account · 2 regions"


def test_snapshot_accounts_prints_the_directory_as_json(
    plain_moto_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """``warroom --org --accounts ... snapshot accounts --json``, its factory answered by ``AwsLike``."""
    from tui import cli
    from tui.aws import clients
    from tui.common import logs

    org = make_org(plain_moto_url, ["payments-prod", "sandbox", "analytics-dev"], roles_in={"payments-prod"})
    key, secret = keys_of(plain_moto_url, org.home)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", key)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", secret)
    aws = AwsLike(plain_moto_url)

    class Gated(AwsLikeFactory):
        def __init__(self, target: AwsTarget) -> None:
            super().__init__(target, aws, org.home, {})

    monkeypatch.setattr(clients, "ClientFactory", Gated)
    # The command's own log set-up would re-route this process's logging for the tests after it.
    monkeypatch.setattr(logs, "configure", lambda *_, **__: None)
    argv = ["--endpoint-url", plain_moto_url, "--org", "--accounts", "payments-prod,sandbox"]
    code = cli.main([*argv, "snapshot", "accounts", "--json", "--regions", PRIMARY])

    assert code == 0
    document = json.loads(capsys.readouterr().out)
    assert document["source"] == "organizations" and document["home_account"] == org.home
    assert document["header"] == "2 accounts · 1 region" and document["error"] is None
    rows = {row["name"]: row for row in document["accounts"]}
    assert set(rows) == {"payments-prod", "sandbox"}
    assert rows["payments-prod"]["reachable"] is True
    assert rows["payments-prod"]["account_id"] == org.ids["payments-prod"]
    assert (
        rows["payments-prod"]["via"] == f"role {ROLE}" and rows["payments-prod"]["source"] == "organizations"
    )
    assert rows["sandbox"]["reachable"] is False
    assert rows["sandbox"]["reason"] == (
        f"the role {ROLE} is missing in sandbox ({org.ids['sandbox']}) or does not trust {org.home}"
    )
    (region,) = rows["sandbox"]["regions"]
    assert region["region"] == PRIMARY and region["problem"]["kind"] == "permission"
    assert region["problem"]["code"] == "AccessDenied"
