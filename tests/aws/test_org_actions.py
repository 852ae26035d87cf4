"""Actions on the rows of other accounts, against the simulated organization (``SimServer(org=True)``):
a Session Manager session, a reshard and an alarm's mute act in the row's account, as its read role
(assumed by the security account's credential) or with a profile of that account, never in the
credential's own account; the plugin gets that account's credentials exactly as the AWS CLI run
with them would hand them down; the shown commands say so; read-only mode refuses below the UI.

The module runs the organization's simulator of its own (``tests.conftest.own_simulator``); each
account is seen through boto3 as the role the console assumes there. The credential's own account
(security-tooling) is given a stream and an alarm of the same names as payments-prod's, so a call
made in the wrong account would show.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import sys
import time
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest

from tests.conftest import own_simulator
from tui.aws.accounts import AccountDirectory
from tui.aws.actions import ActionRunner, AuditLog, CliTarget, PlanRefusal, ReadOnlyRefusal, cli_lines
from tui.aws.actions import alarms as alarm_actions
from tui.aws.actions import kinesis as stream_actions
from tui.aws.actions.alarms import acted_on
from tui.aws.actions.core import ASSUMED_ENV
from tui.aws.alarms import AlarmsPoller
from tui.aws.alarms_model import Alarm
from tui.aws.clients import ROLE_SESSION_NAME, AwsTarget, ClientFactory
from tui.aws.outcome import utcnow
from tui.aws.scope import Place, acting_place
from tui.aws.session_launch import (
    CREDENTIAL_ENV,
    RESPONSE_ENV,
    SSH,
    Plugin,
    SessionLauncher,
    SessionRequest,
    find_plugin,
    preflight,
    start_parameters,
    start_plan,
)
from tui.aws.sessions import ManagedTarget, SessionsPoller
from tui.aws.target import AccountEntry, AccountSettings
from tui.sim import catalog, org
from tui.sim.server import SimServer
from tui.sim.standin_plugin import write_launcher

REGION = org.HOME_REGION
HOME = org.SECURITY_TOOLING.account_id
PAYMENTS = org.PAYMENTS_PROD.account_id
LEDGER = org.LEDGER_PROD.account_id
SANDBOX = org.SANDBOX.account_id
PAYMENTS_ROLE = f"arn:aws:iam::{PAYMENTS}:role/{org.READ_ROLE}"
PAYMENTS_ACTING_ROLE = f"arn:aws:iam::{PAYMENTS}:role/{catalog.REMEDIATION_ROLE}"
"""What the panes act through in payments-prod: its read role may only read."""
STREAM = "payments-events"
RECORDER_VERSION = "1.2.650.0"


@pytest.fixture(scope="module")
def org_sim() -> Iterator[SimServer]:
    with own_simulator(
        lambda: SimServer(seed=7, live=False, org=True, backfill=timedelta(minutes=10)).start()
    ) as server:
        yield server


@pytest.fixture(scope="module")
def url(org_sim: SimServer) -> str:
    return org_sim.endpoint_url


def keys_of(url: str, account: str) -> dict[str, str]:
    """boto3's keyword credentials of ``account``: the simulator's keys at home, else its read role's."""
    if account == HOME:
        return {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
    sts = boto3.client(
        "sts",
        region_name=REGION,
        endpoint_url=url,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    role = f"arn:aws:iam::{account}:role/{org.READ_ROLE}"
    issued = sts.assume_role(RoleArn=role, RoleSessionName="warroom-tests")["Credentials"]
    return {
        "aws_access_key_id": issued["AccessKeyId"],
        "aws_secret_access_key": issued["SecretAccessKey"],
        "aws_session_token": issued["SessionToken"],
    }


def as_account(url: str, account: str, service: str) -> Any:
    return boto3.client(service, region_name=REGION, endpoint_url=url, **keys_of(url, account))


@pytest.fixture(scope="module")
def home_twins(url: str) -> str:
    """A stream and an alarm in the credential's own account named as payments-prod's: the alarm's
    name."""
    kinesis = as_account(url, HOME, "kinesis")
    kinesis.create_stream(StreamName=STREAM, ShardCount=1)
    alarm = member_alarm_raw(url)
    as_account(url, HOME, "cloudwatch").put_metric_alarm(
        AlarmName=alarm["AlarmName"],
        Namespace="AWS/Kinesis",
        MetricName="IncomingRecords",
        Dimensions=[{"Name": "StreamName", "Value": STREAM}],
        Statistic="Sum",
        Period=60,
        EvaluationPeriods=1,
        Threshold=1.0,
        ComparisonOperator="GreaterThanThreshold",
        ActionsEnabled=True,
    )
    return str(alarm["AlarmName"])


def member_alarm_raw(url: str) -> dict[str, Any]:
    """A metric alarm of payments-prod in REGION whose actions are enabled."""
    alarms = as_account(url, PAYMENTS, "cloudwatch").describe_alarms()["MetricAlarms"]
    return next(a for a in sorted(alarms, key=lambda a: a["AlarmName"]) if a["ActionsEnabled"])


@pytest.fixture
async def factory(
    url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, home_twins: str
) -> AsyncIterator[ClientFactory]:
    """The console's factory as ``warroom --org`` makes it: the organization's accounts, each checked,
    become its places; ledger-prod is reached with a profile of its own (``ledger``) rather than the
    read role, from an AWS config file holding that account's (temporary) keys."""
    ledger = keys_of(url, LEDGER)
    config = tmp_path / "aws-config"
    config.write_text("[profile ledger]\n" + "".join(f"{name} = {value}\n" for name, value in ledger.items()))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    made = ClientFactory(
        AwsTarget(regions=org.REGIONS, endpoint_url=url, access_key="testing", secret_key="testing")
    )
    accounts = AccountSettings(
        read_org=True, entries=(AccountEntry(LEDGER, "ledger-prod", profile="ledger"),)
    )
    directory = AccountDirectory(made, accounts)
    await directory.load()
    async for _ in directory.check_all():
        pass
    made.set_places(directory.view().places())
    try:
        yield made
    finally:
        await made.close()


@pytest.fixture
def audit(tmp_path: Path) -> AuditLog:
    return AuditLog(tmp_path / "state" / "audit.jsonl")


def runner_of(factory: ClientFactory, audit: AuditLog, *, read_only: bool = False) -> ActionRunner:
    return ActionRunner(factory, read_only=read_only, audit=audit, actor="oncall", account=HOME)


def place(factory: ClientFactory, account: str) -> Place:
    found = acting_place(factory.places, REGION, account)
    assert found is not None, f"{account} is not reached in {REGION}"
    return found


# ---------------------------------------------------------------------------------------------
# Sessions
# ---------------------------------------------------------------------------------------------

RECORDER = """\
#!{python}
import json, os, sys
if sys.argv[1:] == ["--version"]:
    print({version!r})
    sys.exit(0)
names = {names!r}
record = {{"argv": sys.argv, "env": {{name: os.environ.get(name) for name in names}}}}
with open({record!r} + ".part", "w") as out:
    json.dump(record, out)
os.replace({record!r} + ".part", {record!r})
"""


def recorder(tmp_path: Path) -> tuple[Plugin, Path]:
    """A session-manager-plugin that writes its argv and the credential variables it was given."""
    record = tmp_path / "plugin-call.json"
    path = tmp_path / "bin" / "session-manager-plugin"
    path.parent.mkdir()
    names = [*CREDENTIAL_ENV, RESPONSE_ENV, "AWS_PROFILE"]
    path.write_text(
        RECORDER.format(python=sys.executable, version=RECORDER_VERSION, names=names, record=str(record))
    )
    path.chmod(0o700)
    plugin = find_plugin(str(path))
    assert plugin is not None and plugin.version == RECORDER_VERSION
    return plugin, record


async def node_of(factory: ClientFactory, account: str) -> ManagedTarget:
    """An online managed node of ``account`` in REGION, as the Sessions pane lists it."""
    snapshot = await SessionsPoller(factory).poll()
    return next(
        t
        for t in snapshot.instances
        if t.account_id == account and t.region == REGION and t.online and not t.hybrid
    )


def session_in(url: str, account: str, session_id: str) -> dict[str, Any] | None:
    """The session as DescribeSessions lists it in ``account`` (Active or History), or None."""
    ssm = as_account(url, account, "ssm")
    for state in ("Active", "History"):
        found = ssm.describe_sessions(State=state, Filters=[{"key": "SessionId", "value": session_id}])
        if found["Sessions"]:
            session: dict[str, Any] = found["Sessions"][0]
            return session
    return None


async def test_a_session_on_a_payments_prod_node_starts_there_and_its_plugin_gets_that_roles_keys(
    url: str, factory: ClientFactory, audit: AuditLog, tmp_path: Path
) -> None:
    node = await node_of(factory, PAYMENTS)
    where = place(factory, PAYMENTS)
    assert (where.role_arn, where.account_name) == (PAYMENTS_ROLE, "payments-prod")
    plugin, record = recorder(tmp_path)
    checked = await preflight(factory, node, plugin.path, where)
    assert checked.ok, checked.problems

    request = SessionRequest(node.instance_id, REGION, None, {}, reason="GD-19", place=where)
    plan = start_plan(request)
    assert plan.title == f"payments-prod: Start a shell session on {node.instance_id}"
    assert plan.notes[0].startswith(
        f"In account payments-prod ({PAYMENTS}), {REGION}: StartSession runs as {PAYMENTS_ROLE}"
    )
    # the shown commands: the role assumed as the console assumes it, then the AWS CLI's start-session
    lines = cli_lines(plan.calls, CliTarget.of(factory, ["ssm"]))
    assert lines == [
        "set -- $(aws sts assume-role --role-arn "
        f"{PAYMENTS_ROLE} --role-session-name {ROLE_SESSION_NAME} "
        "--query 'Credentials.[AccessKeyId,SecretAccessKey,SessionToken]' --output text "
        f"--region {REGION} --endpoint-url {url})",
        f"{ASSUMED_ENV} aws ssm start-session --target {node.instance_id} --reason GD-19 "
        f"--region {REGION} --endpoint-url {url}",
    ]

    assumed_before = factory.calls["sts:AssumeRole"]
    launcher = SessionLauncher(runner_of(factory, audit), factory)
    opened = await launcher.open(request)
    # StartSession ran in payments-prod as its read role (the session's owner says who started it)
    session = session_in(url, PAYMENTS, opened.session_id)
    assert session is not None and session["Status"] == "Connected"
    assert session["Owner"] == f"arn:aws:sts::{PAYMENTS}:assumed-role/{org.READ_ROLE}/{ROLE_SESSION_NAME}"
    assert session_in(url, HOME, opened.session_id) is None, (
        "the session leaked into the credential's account"
    )
    # the plugin's own credentials: the role assumed once more, so they last from the session's start
    assert factory.calls["sts:AssumeRole"] == assumed_before + 1
    assert set(opened.credentials) == set(CREDENTIAL_ENV)
    assert opened.credentials["AWS_SECRET_ACCESS_KEY"] not in repr(opened)

    done = launcher.run_plugin(opened, plugin, profile="console-profile")
    assert done.started and done.returncode == 0
    seen = json.loads(record.read_text())
    # exactly the AWS CLI's argv: the response's variable, the node's region, no profile (the role's
    # keys are in the environment), the request as sent, the endpoint of the client that sent it
    assert seen["argv"] == [
        plugin.path,
        RESPONSE_ENV,
        REGION,
        "StartSession",
        "",
        json.dumps(start_parameters(request)),
        url,
    ]
    env = seen["env"]
    assert json.loads(env[RESPONSE_ENV]) == dict(opened.response)
    assert {name: env[name] for name in CREDENTIAL_ENV} == dict(opened.credentials)
    as_plugin = boto3.client(
        "sts",
        region_name=REGION,
        endpoint_url=url,
        aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
        aws_session_token=env["AWS_SESSION_TOKEN"],
    ).get_caller_identity()
    assert as_plugin["Arn"] == f"arn:aws:sts::{PAYMENTS}:assumed-role/{org.READ_ROLE}/{ROLE_SESSION_NAME}"

    await launcher.record_end(opened, done)
    ended = await launcher.terminate(opened.session_id, REGION, place=where)
    assert ended.ok
    ended_there = session_in(url, PAYMENTS, opened.session_id)
    assert ended_there is not None and ended_there["Status"] == "Terminated"

    text = audit.path.read_text()
    for secret in (*opened.credentials.values(), opened.response["TokenValue"]):
        assert secret not in text, "a credential reached the audit log"
    start, end, terminate = audit.records()
    assert (start["operation"], start["account"], start["role_arn"]) == (
        "StartSession",
        PAYMENTS,
        PAYMENTS_ROLE,
    )
    assert (end["operation"], end["account"], end["role_arn"]) == ("SessionEnded", PAYMENTS, PAYMENTS_ROLE)
    assert (terminate["operation"], terminate["account"]) == ("TerminateSession", PAYMENTS)
    assert terminate["params"] == {"SessionId": opened.session_id}


async def test_the_stand_in_plugin_ends_a_payments_prod_session_in_that_account(
    url: str, factory: ClientFactory, audit: AuditLog, tmp_path: Path
) -> None:
    node = await node_of(factory, PAYMENTS)
    standin = find_plugin(str(write_launcher(tmp_path / "demo-plugin")))
    assert standin is not None
    where = place(factory, PAYMENTS)
    launcher = SessionLauncher(runner_of(factory, audit), factory)
    opened = await launcher.open(
        SessionRequest(node.instance_id, REGION, SSH, {"portNumber": ["22"]}, place=where)
    )
    done = launcher.run_plugin(opened, standin, profile=None)
    assert done.started and done.returncode == 0
    # it ended the session with the role's keys it was given, as the real plugin does
    ended = session_in(url, PAYMENTS, opened.session_id)
    assert ended is not None and ended["Status"] == "Terminated"


async def test_a_profile_account_gets_its_profile_on_the_plugin_line_and_no_keys(
    url: str, factory: ClientFactory, audit: AuditLog, tmp_path: Path
) -> None:
    node = await node_of(factory, LEDGER)
    where = place(factory, LEDGER)
    assert (where.profile, where.role_arn) == ("ledger", None)
    plugin, record = recorder(tmp_path)
    request = SessionRequest(node.instance_id, REGION, None, {}, place=where)
    plan = start_plan(request)
    assert plan.title.startswith("ledger-prod: Start a shell session")
    assert cli_lines(plan.calls, CliTarget.of(factory, ["ssm"])) == [
        f"aws ssm start-session --target {node.instance_id} --region {REGION} --profile ledger "
        f"--endpoint-url {url}"
    ]
    launcher = SessionLauncher(runner_of(factory, audit), factory)
    opened = await launcher.open(request)
    assert opened.credentials == {}
    session = session_in(url, LEDGER, opened.session_id)
    assert session is not None and session["Status"] == "Connected"
    done = launcher.run_plugin(opened, plugin, profile="console-profile")
    assert done.started
    seen = json.loads(record.read_text())
    assert seen["argv"][2:5] == [REGION, "StartSession", "ledger"]
    # the environment is the console's own: no keys handed down (the test's "testing" keys)
    assert seen["env"]["AWS_ACCESS_KEY_ID"] == "testing" and seen["env"]["AWS_SESSION_TOKEN"] is None
    await launcher.terminate(opened.session_id, REGION, place=where)
    (start, terminate) = audit.records()
    assert (start["account"], start["profile"], start["role_arn"]) == (LEDGER, "ledger", None)
    assert terminate["account"] == LEDGER


async def test_read_only_and_an_account_not_reached_start_no_session(
    url: str, factory: ClientFactory, audit: AuditLog
) -> None:
    node = await node_of(factory, PAYMENTS)
    where = place(factory, PAYMENTS)
    assumed = factory.calls["sts:AssumeRole"]
    launcher = SessionLauncher(runner_of(factory, audit, read_only=True), factory)
    with pytest.raises(ReadOnlyRefusal):
        await launcher.open(SessionRequest(node.instance_id, REGION, None, {}, place=where))
    assert factory.calls["ssm:StartSession"] == 0 and factory.calls["sts:AssumeRole"] == assumed
    (record,) = audit.records()
    assert (record["outcome"], record["account"], record["role_arn"]) == (
        "refused-read-only",
        PAYMENTS,
        PAYMENTS_ROLE,
    )
    # sandbox has no read role: it is not among the places, and nothing may act there
    assert acting_place(factory.places, REGION, SANDBOX) is None


# ---------------------------------------------------------------------------------------------
# Kinesis
# ---------------------------------------------------------------------------------------------


def facts_in(url: str, factory: ClientFactory, account: str) -> stream_actions.StreamFacts:
    """What the Kinesis pane knows of ``account``'s STREAM, and where it acts on it."""
    s = as_account(url, account, "kinesis").describe_stream_summary(StreamName=STREAM)
    summary = s["StreamDescriptionSummary"]
    return stream_actions.StreamFacts(
        name=STREAM,
        arn=summary["StreamARN"],
        region=REGION,
        mode=summary["StreamModeDetails"]["StreamMode"],
        open_shards=summary["OpenShardCount"],
        retention_hours=summary["RetentionPeriodHours"],
        status=summary["StreamStatus"],
        account_id=account,
        place=acting_place(factory.places, REGION, account),
    )


def open_shards(url: str, account: str, *, within: float = 30.0) -> int:
    """The open shards of ``account``'s STREAM once it is ACTIVE (a reshard takes a moment)."""
    kinesis = as_account(url, account, "kinesis")
    deadline = time.monotonic() + within
    while True:
        summary = kinesis.describe_stream_summary(StreamName=STREAM)["StreamDescriptionSummary"]
        if summary["StreamStatus"] == "ACTIVE":
            return int(summary["OpenShardCount"])
        assert time.monotonic() < deadline, f"{STREAM} of {account} is still {summary['StreamStatus']}"
        time.sleep(0.2)


async def test_a_reshard_of_a_payments_prod_stream_changes_that_stream_only(
    url: str, factory: ClientFactory, audit: AuditLog
) -> None:
    facts = facts_in(url, factory, PAYMENTS)
    assert facts.mode == "PROVISIONED" and facts.status == "ACTIVE", facts
    shards = facts.open_shards
    home_shards = open_shards(url, HOME)
    plan = stream_actions.double_plan(facts, audit=audit, now=utcnow())
    assert not plan.refused, plan.refusal
    assert plan.title == f"payments-prod: Reshard {STREAM} {shards} → {2 * shards} shards"
    assert plan.notes[0].startswith(f"In account payments-prod ({PAYMENTS}), {REGION}: the calls run as")
    (call,) = plan.calls
    assert (call.role_arn, call.account_id) == (PAYMENTS_ROLE, PAYMENTS)
    assume, reshard = cli_lines(plan.calls, CliTarget.of(factory, ["kinesis"]))
    assert assume.startswith(f"set -- $(aws sts assume-role --role-arn {PAYMENTS_ROLE} ")
    assert reshard == (
        f"{ASSUMED_ENV} aws kinesis update-shard-count --stream-name {STREAM} "
        f"--target-shard-count {2 * shards} --scaling-type UNIFORM_SCALING --region {REGION} "
        f"--endpoint-url {url}"
    )

    with pytest.raises(ReadOnlyRefusal):
        await runner_of(factory, audit, read_only=True).execute(plan)
    assert factory.calls["kinesis:UpdateShardCount"] == 0 and open_shards(url, PAYMENTS) == shards

    result = await runner_of(factory, audit).execute(plan)
    assert result.ok, result.message
    assert open_shards(url, PAYMENTS) == 2 * shards
    assert open_shards(url, HOME) == home_shards, "the credential's own stream of that name changed"
    made = audit.records()[-1]
    assert (made["outcome"], made["account"], made["role_arn"]) == ("ok", PAYMENTS, PAYMENTS_ROLE)
    # AWS's 10 scalings a day are counted per account: the home stream of that name made none
    home = facts_in(url, factory, HOME)
    assert home.place is not None and home.place.home
    home_plan = stream_actions.double_plan(home, audit=audit, now=utcnow())
    assert any("0 of the 10 scalings" in note for note in home_plan.notes), home_plan.notes
    assert home_plan.calls[0].role_arn is None and not home_plan.title.startswith("security-tooling")


async def test_a_plan_for_an_account_not_reached_is_refused_and_calls_nothing(
    url: str, factory: ClientFactory, audit: AuditLog
) -> None:
    facts = facts_in(url, factory, PAYMENTS)
    unreached = dataclasses.replace(facts, account_id=SANDBOX, place=None, account_name="sandbox")
    plan = stream_actions.retention_plan(unreached, 48)
    assert plan.title.startswith("sandbox: Raise retention") and plan.title.endswith(": refused")
    assert plan.refusal.startswith(f"account sandbox ({SANDBOX}) is not reached in {REGION} now")
    with pytest.raises(PlanRefusal):
        await runner_of(factory, audit).execute(plan)
    assert factory.calls["kinesis:IncreaseStreamRetentionPeriod"] == 0


# ---------------------------------------------------------------------------------------------
# Alarms
# ---------------------------------------------------------------------------------------------


async def alarm_twins(name: str, factory: ClientFactory) -> tuple[Alarm, Alarm]:
    """payments-prod's alarm ``name`` and the credential's own of that name, as the Alarms pane has
    them."""
    snapshot = await AlarmsPoller(factory).poll()
    found = {a.account_id: a for a in snapshot.alarms if a.name == name and a.region == REGION}
    return found[PAYMENTS], found[HOME]


def actions_enabled(url: str, account: str, name: str) -> bool:
    alarms = as_account(url, account, "cloudwatch").describe_alarms(AlarmNames=[name])["MetricAlarms"]
    return bool(alarms[0]["ActionsEnabled"])


async def test_a_mute_of_a_payments_prod_alarm_mutes_that_alarm_only(
    url: str, factory: ClientFactory, audit: AuditLog, home_twins: str
) -> None:
    member, home = await alarm_twins(home_twins, factory)
    plan = alarm_actions.mute_plan([member], "GD-19 rehearsal", "30m", places=factory.places)
    assert plan.title == f"payments-prod: Mute {member.name} for 30m: GD-19 rehearsal"
    (call,) = plan.calls
    assert (call.role_arn, call.account_id) == (PAYMENTS_ROLE, PAYMENTS)
    assert cli_lines(plan.calls, CliTarget.of(factory, ["cloudwatch"]))[1].startswith(
        f"{ASSUMED_ENV} aws cloudwatch disable-alarm-actions --alarm-names {member.name} --region {REGION}"
    )
    with pytest.raises(ReadOnlyRefusal):
        await runner_of(factory, audit, read_only=True).execute(plan)
    assert actions_enabled(url, PAYMENTS, member.name)

    result = await runner_of(factory, audit).execute(plan)
    assert result.ok, result.message
    assert not actions_enabled(url, PAYMENTS, member.name)
    assert actions_enabled(url, HOME, home.name), "the credential's own alarm of that name was muted"
    assert acted_on(plan, result, [member, home]) == [member]
    assert audit.records()[-1]["account"] == PAYMENTS

    muted, _ = await alarm_twins(home_twins, factory)
    unmuted = await runner_of(factory, audit).execute(
        alarm_actions.unmute_plan([muted], places=factory.places)
    )
    assert unmuted.ok and actions_enabled(url, PAYMENTS, member.name)

    # both at once: one call in each account, the member's as its role, the title naming neither
    both = alarm_actions.mute_plan(
        await alarm_twins(home_twins, factory), "GD-19", "30m", places=factory.places
    )
    assert [(c.account_id, c.role_arn) for c in both.calls] == [(PAYMENTS, PAYMENTS_ROLE), (HOME, None)]
    assert both.title == "Mute 2 alarms for 30m: GD-19"
    assert both.notes[0].startswith(f"In account payments-prod ({PAYMENTS})")
    done = await runner_of(factory, audit).execute(both)
    assert (
        done.ok
        and not actions_enabled(url, PAYMENTS, member.name)
        and not actions_enabled(url, HOME, home.name)
    )
    assert [r["account"] for r in audit.records()[-2:]] == [PAYMENTS, HOME]
    again = alarm_actions.unmute_plan(await alarm_twins(home_twins, factory), places=factory.places)
    assert (await runner_of(factory, audit).execute(again)).ok
    assert actions_enabled(url, PAYMENTS, member.name) and actions_enabled(url, HOME, home.name)


async def test_a_state_set_on_a_payments_prod_alarm_is_set_there(
    url: str, factory: ClientFactory, audit: AuditLog, home_twins: str
) -> None:
    member, _ = await alarm_twins(home_twins, factory)
    plan = alarm_actions.set_state_plan(member, "ALARM", "GD-19: prove the pager", places=factory.places)
    assert plan.title == f"payments-prod: Set {member.name} to ALARM"
    assert (await runner_of(factory, audit).execute(plan)).ok
    states = {
        account: as_account(url, account, "cloudwatch").describe_alarms(AlarmNames=[member.name])[
            "MetricAlarms"
        ][0]["StateReason"]
        for account in (PAYMENTS, HOME)
    }
    assert states[PAYMENTS] == "GD-19: prove the pager"
    assert states[HOME] != "GD-19: prove the pager"
    # an alarm of an account not reached now: refused, never made with the credential's own keys
    gone = dataclasses.replace(member, arn=member.arn.replace(PAYMENTS, SANDBOX))
    refused = alarm_actions.set_state_plan(gone, "OK", "why", places=factory.places)
    assert refused.refusal.startswith(f"account {SANDBOX} is not reached in {REGION} now")


# ---------------------------------------------------------------------------------------------
# Through the panes
# ---------------------------------------------------------------------------------------------


async def test_the_panes_act_on_a_payments_prod_row_in_payments_prod(
    url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, home_twins: str
) -> None:
    """The console started as ``warroom --org``: a node of payments-prod opens an SSH session there
    (the form and the confirmation say where, the plugin gets the role's keys), and its stream's
    reshard is confirmed as a call of payments-prod's role."""
    from textual.widgets import Static

    from tests.helpers import open_pane, settle
    from tui.app import make_app
    from tui.screens.confirm import ConfirmScreen
    from tui.screens.kinesis import KinesisScreen
    from tui.screens.session_form import SessionForm
    from tui.screens.sessions import SessionsScreen
    from tui.settings import Settings
    from widgets.vtable import VirtualTable

    plugin, record = recorder(tmp_path)
    settings = Settings(
        target=AwsTarget(regions=org.REGIONS, endpoint_url=url, access_key="testing", secret_key="testing"),
        accounts=AccountSettings(read_org=True),
        session_plugin=plugin.path,
    )
    app = make_app(settings)
    monkeypatch.setattr(app, "suspend", lambda: contextlib.nullcontext())
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, lambda: any(p.account_id == PAYMENTS for p in app.factory.places), within=60)
        screen = await open_pane(pilot, "5", SessionsScreen, within=60)

        def payments_node() -> ManagedTarget | None:
            snapshot = screen.snapshot
            instances = snapshot.instances if snapshot is not None else ()
            return next(
                (t for t in instances if t.account_id == PAYMENTS and t.region == REGION and t.online),
                None,
            )

        await settle(pilot, lambda: payments_node() is not None, within=60)
        node = payments_node()
        assert node is not None
        assert screen.query_one(VirtualTable).move_cursor_to_key(node.instance_id)
        await pilot.press("S")
        await settle(pilot, lambda: isinstance(app.screen, SessionForm))
        form = app.screen
        assert isinstance(form, SessionForm)
        assert form.where == f"in payments-prod ({PAYMENTS}) {REGION}, as role {catalog.REMEDIATION_ROLE}"
        shown = " ".join(str(s.render()) for s in form.query(Static))
        assert form.where in shown
        await pilot.press("enter")
        await settle(pilot, lambda: isinstance(app.screen, ConfirmScreen), within=30)
        confirm = app.screen
        assert isinstance(confirm, ConfirmScreen)
        assert confirm.plan.title == f"payments-prod: Start a SSH session on {node.instance_id}"
        assume, start = confirm.commands
        assert assume.startswith(f"set -- $(aws sts assume-role --role-arn {PAYMENTS_ACTING_ROLE} ")
        assert start.startswith(f"{ASSUMED_ENV} aws ssm start-session --target {node.instance_id}")
        await pilot.press("y")
        await settle(pilot, record.exists, within=30)
        seen = json.loads(record.read_text())
        assert seen["argv"][2:5] == [REGION, "StartSession", ""]
        as_plugin = boto3.client(
            "sts",
            region_name=REGION,
            endpoint_url=url,
            aws_access_key_id=seen["env"]["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=seen["env"]["AWS_SECRET_ACCESS_KEY"],
            aws_session_token=seen["env"]["AWS_SESSION_TOKEN"],
        ).get_caller_identity()
        assert as_plugin["Account"] == PAYMENTS
        assert f":assumed-role/{catalog.REMEDIATION_ROLE}/" in as_plugin["Arn"]
        session_id = json.loads(seen["env"][RESPONSE_ENV])["SessionId"]
        assert session_in(url, PAYMENTS, session_id) is not None
        assert session_in(url, HOME, session_id) is None

        kinesis = await open_pane(pilot, "3", KinesisScreen, within=60)

        def payments_stream() -> Any:
            snapshot = kinesis.snapshot
            streams = snapshot.streams if snapshot is not None else ()
            return next(
                (
                    v
                    for v in streams
                    if v.account_id == PAYMENTS and v.region == REGION and v.stream_name == STREAM
                ),
                None,
            )

        await settle(pilot, lambda: payments_stream() is not None, within=60)
        stream = payments_stream()
        assert kinesis.query_one(VirtualTable).move_cursor_to_key(stream.stream_arn)
        await pilot.press("U")
        await settle(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        confirm = app.screen
        assert isinstance(confirm, ConfirmScreen)
        assert confirm.plan.title.startswith(f"payments-prod: Reshard {STREAM} ")
        (call,) = confirm.plan.calls
        assert (call.role_arn, call.account_id, call.region) == (PAYMENTS_ACTING_ROLE, PAYMENTS, REGION)
        await pilot.press("n")
        await pilot.pause()
        assert app.factory.calls["kinesis:UpdateShardCount"] == 0
