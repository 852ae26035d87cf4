"""Opening sessions as the AWS CLI does, against the simulator, with a recording stand-in plugin on PATH:
the argv and environment handed to the plugin for each document and both plugin version paths, pre-flight
(missing plugin, offline target, bad credentials) never calling StartSession, a plugin that cannot start
(the session is then terminated), keyboard signals going to the session, tmux windows, the audit log
(never the token) and read-only refusal.

Region eu-south-2 is this module's own for sessions: the managed nodes here are registered by these tests
(one EC2 instance of its own, hybrid nodes) and every session is started by them.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from tui.aws import session_window
from tui.aws.actions import ActionRunner, AuditLog, PlanRefusal, ReadOnlyRefusal
from tui.aws.actions.audit import FIELDS
from tui.aws.clients import AwsTarget, ClientFactory
from tui.aws.session_launch import (
    DOCUMENTS,
    INSTALL_HINT,
    PLUGIN_NAME,
    PORT_FORWARD,
    REMOTE_PORT_FORWARD,
    RESPONSE_ENV,
    SSH,
    OpenedSession,
    Plugin,
    SessionLauncher,
    SessionRequest,
    SessionStartError,
    find_plugin,
    keyboard_signals_to_child,
    plugin_invocation,
    plugin_version,
    preflight,
    start_parameters,
    start_plan,
    uses_env_response,
)
from tui.aws.sessions import ManagedTarget, SessionsPoller, SessionsSnapshot, SessionView
from tui.gameday import events as ev
from tui.gameday.detect import Detector
from tui.gameday.hub import GameDay
from tui.gameday.journal import Journal
from tui.gameday.services import ServiceTracker
from tui.sim.account import ACCOUNT_ID
from tui.sim.extensions.ssm import ManagedNode, register_node

REGION = "eu-south-2"
OLD_VERSION = "1.2.463.0"
NEW_VERSION = "1.2.650.0"


def _mi() -> str:
    return f"mi-{secrets.token_hex(9)[:17]}"


@dataclass(frozen=True)
class Nodes:
    ec2: str
    hybrid: str
    offline: str


@pytest.fixture(scope="module")
def nodes(sim_url: str) -> Nodes:
    """An EC2 instance of this module's own and two hybrid nodes (one online, one ConnectionLost)."""
    ec2 = boto3.client(
        "ec2",
        region_name=REGION,
        endpoint_url=sim_url,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    image = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    made = ec2.run_instances(
        ImageId=image,
        MinCount=1,
        MaxCount=1,
        InstanceType="t3.micro",
        TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": "launch-web-1"}]}],
    )
    instance_id = made["Instances"][0]["InstanceId"]
    register_node(ACCOUNT_ID, REGION, ManagedNode(instance_id, ip_address="10.9.0.5"))
    hybrid = _mi()
    register_node(
        ACCOUNT_ID,
        REGION,
        ManagedNode(hybrid, resource_type="ManagedInstance", name="launch-onprem-1", ip_address="10.9.1.5"),
    )
    offline = _mi()
    register_node(
        ACCOUNT_ID,
        REGION,
        ManagedNode(
            offline, resource_type="ManagedInstance", name="launch-onprem-2", ping_status="ConnectionLost"
        ),
    )
    return Nodes(instance_id, hybrid, offline)


@pytest.fixture
def ssm(sim_url: str) -> Any:
    return boto3.client(
        "ssm",
        region_name=REGION,
        endpoint_url=sim_url,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


@pytest.fixture
async def factory(sim_url: str) -> AsyncIterator[ClientFactory]:
    made = ClientFactory(
        AwsTarget(regions=(REGION,), endpoint_url=sim_url, access_key="testing", secret_key="testing")
    )
    try:
        yield made
    finally:
        await made.close()


@pytest.fixture
def audit(tmp_path: Path) -> AuditLog:
    return AuditLog(tmp_path / "state" / "audit.jsonl")


@pytest.fixture
def runner(factory: ClientFactory, audit: AuditLog) -> ActionRunner:
    return ActionRunner(factory, read_only=False, audit=audit, actor="tester", account=ACCOUNT_ID)


@pytest.fixture
def launcher(runner: ActionRunner, factory: ClientFactory) -> SessionLauncher:
    return SessionLauncher(runner, factory)


# ---------------------------------------------------------------------------------------------
# The recording stand-in plugin
# ---------------------------------------------------------------------------------------------

RECORDER = """\
#!{python}
import json, os, signal, sys
if sys.argv[1:] == ["--version"]:
    print({version!r})
    sys.exit(0)
record = {{
    "argv": sys.argv,
    "env_present": {env!r} in os.environ,
    "env": os.environ.get({env!r}),
    "sigint_default": signal.getsignal(signal.SIGINT) is signal.default_int_handler,
}}
if os.environ.get("RECORDER_INTERRUPT_PARENT"):
    os.kill(os.getppid(), signal.SIGINT)
with open({record!r} + ".part", "w") as out:
    json.dump(record, out)
os.replace({record!r} + ".part", {record!r})
sys.exit(int(os.environ.get("RECORDER_EXIT", "0")))
"""


@dataclass(frozen=True)
class Recorder:
    directory: Path
    path: Path
    record: Path

    def read(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.record.read_text())
        return data

    def wait(self, within: float = 20.0) -> dict[str, Any]:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            if self.record.exists():
                return self.read()
            time.sleep(0.05)
        raise AssertionError(f"the stand-in plugin wrote no record within {within} s")


def write_recorder(directory: Path, version: str) -> Recorder:
    directory.mkdir(parents=True, exist_ok=True)
    record = directory / "record.json"
    path = directory / PLUGIN_NAME
    path.write_text(
        RECORDER.format(python=sys.executable, version=version, env=RESPONSE_ENV, record=str(record))
    )
    path.chmod(0o700)
    return Recorder(directory, path, record)


@pytest.fixture
def recorder_for(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """``recorder_for(version)``: the stand-in plugin, first on PATH."""

    def make(version: str) -> Recorder:
        made = write_recorder(tmp_path / f"bin-{version}", version)
        monkeypatch.setenv("PATH", f"{made.directory}{os.pathsep}{os.environ.get('PATH', '')}")
        return made

    return make


def target_of(instance_id: str, *, ping: str = "Online", name: str = "") -> ManagedTarget:
    return ManagedTarget(
        instance_id=instance_id,
        name=name,
        resource_type="ManagedInstance" if instance_id.startswith("mi-") else "EC2Instance",
        ping_status=ping,
        platform_type="Linux",
        platform_name="Amazon Linux",
        platform_version="2023",
        agent_version="3.3.1142.0",
        agent_outdated=False,
        ip_address=None,
        computer_name=None,
        last_ping_at=None,
        region=REGION,
    )


def session_status(ssm: Any, session_id: str) -> str | None:
    for state in ("Active", "History"):
        found = ssm.describe_sessions(State=state, Filters=[{"key": "SessionId", "value": session_id}])
        if found["Sessions"]:
            return str(found["Sessions"][0]["Status"])
    return None


# ---------------------------------------------------------------------------------------------
# Pure mechanics
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("version", "expected"),
    [
        (None, False),
        ("", False),
        ("not a version", False),
        ("1.2.463.0", False),
        ("1.2.497.0", False),
        ("1.2.497.1", True),
        ("1.2.498.0", True),
        ("1.2.650.0", True),
        ("1.2.1000.0", True),  # numerically above 1.2.497.0, lexically below it
        ("1.10.0.0", True),
        ("1.3", True),
        ("1.2.497", False),
        ("0.9.999.999", False),
        ("1.2.650.0\n", True),
    ],
)
def test_env_response_is_used_above_1_2_497_0_compared_numerically(
    version: str | None, expected: bool
) -> None:
    assert uses_env_response(version) is expected


RESPONSE = {"SessionId": "sid-1", "TokenValue": "tok-secret", "StreamUrl": "wss://stream/sid-1"}
REQUEST = {"Target": "mi-0123456789abcdef0", "DocumentName": SSH, "Parameters": {"portNumber": ["22"]}}


def test_invocation_of_an_old_plugin_puts_the_response_json_in_argv() -> None:
    argv, extra = plugin_invocation(
        Plugin("/opt/smp", OLD_VERSION), RESPONSE, "eu-south-2", None, REQUEST, "https://ssm.example"
    )
    assert argv == [
        "/opt/smp",
        json.dumps(RESPONSE),
        "eu-south-2",
        "StartSession",
        "",
        json.dumps(REQUEST),
        "https://ssm.example",
    ]
    assert extra == {}


def test_invocation_of_a_new_plugin_names_the_env_variable_and_passes_the_json_there() -> None:
    argv, extra = plugin_invocation(
        Plugin("/opt/smp", NEW_VERSION), {**RESPONSE, "Extra": "x"}, "eu-south-2", "ops", REQUEST, "https://e"
    )
    assert argv == [
        "/opt/smp",
        RESPONSE_ENV,
        "eu-south-2",
        "StartSession",
        "ops",
        json.dumps(REQUEST),
        "https://e",
    ]
    assert extra == {RESPONSE_ENV: json.dumps(RESPONSE)}
    assert "tok-secret" not in " ".join(argv)


def test_invocation_of_a_plugin_with_an_unknown_version_uses_argv() -> None:
    argv, extra = plugin_invocation(Plugin("/opt/smp", None), RESPONSE, "r", None, REQUEST, "https://e")
    assert json.loads(argv[1]) == RESPONSE and extra == {}


def test_start_plan_is_one_start_session_call_with_only_what_is_set() -> None:
    shell = start_plan(SessionRequest("i-0abc", REGION, None, {}))
    assert not shell.refused and len(shell.calls) == 1
    call = shell.calls[0]
    assert (call.service, call.operation, call.region) == ("ssm", "StartSession", REGION)
    assert dict(call.params) == {"Target": "i-0abc"}

    forward = start_plan(
        SessionRequest(
            "mi-0123456789abcdef0",
            REGION,
            REMOTE_PORT_FORWARD,
            {"host": ["db.internal"], "portNumber": ["5432"], "localPortNumber": ["15432"]},
            reason="INC-42 replication lag",
        )
    )
    assert not forward.refused
    assert dict(forward.calls[0].params) == {
        "Target": "mi-0123456789abcdef0",
        "DocumentName": REMOTE_PORT_FORWARD,
        "Parameters": {"host": ["db.internal"], "portNumber": ["5432"], "localPortNumber": ["15432"]},
        "Reason": "INC-42 replication lag",
    }
    assert "aws ssm start-session --target mi-0123456789abcdef0" in forward.calls[0].cli()
    assert forward.key == f"ssm:{REGION}:mi-0123456789abcdef0"
    assert set(DOCUMENTS) == {None, PORT_FORWARD, REMOTE_PORT_FORWARD, SSH}


@pytest.mark.parametrize(
    ("document", "parameters", "reason", "words"),
    [
        (PORT_FORWARD, {"portNumber": ["0"], "localPortNumber": ["8080"]}, "", "portNumber '0'"),
        (PORT_FORWARD, {"portNumber": ["65536"], "localPortNumber": ["8080"]}, "", "not a port"),
        (PORT_FORWARD, {"portNumber": ["80"], "localPortNumber": ["http"]}, "", "localPortNumber 'http'"),
        (PORT_FORWARD, {"portNumber": ["٨٠"]}, "", "not a port"),
        (SSH, {"portNumber": [""]}, "", "not a port"),
        (REMOTE_PORT_FORWARD, {"portNumber": ["5432"], "localPortNumber": ["15432"]}, "", "host is required"),
        (REMOTE_PORT_FORWARD, {"host": [""], "portNumber": ["5432"]}, "", "host is required"),
        (REMOTE_PORT_FORWARD, {"host": ["db internal"], "portNumber": ["5432"]}, "", "not a host"),
        (None, {}, "x" * 257, "at most 256"),
        (None, {}, "two\nlines", "one line"),
        (None, {"portNumber": ["22"]}, "", "take no parameter 'portNumber'"),
        (SSH, {"portNumber": ["22", "23"]}, "", "exactly one string value"),
        ("no spaces allowed", {}, "", "not a document name"),
    ],
)
def test_start_plan_refuses_what_session_manager_would(
    document: str | None, parameters: dict[str, list[str]], reason: str, words: str
) -> None:
    plan = start_plan(SessionRequest("mi-0123456789abcdef0", REGION, document, parameters, reason))
    assert plan.refused and words in plan.refusal, plan.refusal


def test_start_plan_accepts_the_edges() -> None:
    ok = [
        SessionRequest("i-0abc", REGION, PORT_FORWARD, {"portNumber": ["65535"], "localPortNumber": ["0"]}),
        SessionRequest("i-0abc", REGION, SSH, {"portNumber": ["1"]}),
        SessionRequest("i-0abc", REGION, None, {}, "y" * 256),
        SessionRequest("i-0abc", REGION, "SSM-SessionManagerRunShell", {}),
    ]
    for req in ok:
        assert not start_plan(req).refused, req


def test_find_plugin_reads_the_version_and_never_raises(tmp_path: Path) -> None:
    made = write_recorder(tmp_path / "bin", NEW_VERSION)
    found = find_plugin(path=str(made.directory))
    assert found == Plugin(str(made.path), NEW_VERSION)
    assert find_plugin(str(made.path), path="/nonexistent") == Plugin(str(made.path), NEW_VERSION)
    assert find_plugin(path=str(tmp_path / "empty")) is None
    assert find_plugin(str(tmp_path / "missing-plugin")) is None
    plain = tmp_path / "plain"
    plain.write_text("not a program")
    assert find_plugin(str(plain)) is None  # not executable
    assert find_plugin(str(tmp_path)) is None  # a directory


def test_plugin_version_gives_up_after_its_timeout(tmp_path: Path) -> None:
    slow = tmp_path / "slow-plugin"
    slow.write_text(f"#!{sys.executable}\nimport time\ntime.sleep(30)\n")
    slow.chmod(0o700)
    started = time.monotonic()
    assert plugin_version(str(slow), timeout=0.5) is None
    assert time.monotonic() - started < 10
    silent = tmp_path / "silent-plugin"
    silent.write_text("#!/bin/sh\nexit 1\n")
    silent.chmod(0o700)
    assert plugin_version(str(silent)) is None


def test_keyboard_signals_are_left_to_the_child_and_restored_even_on_error() -> None:
    before = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGQUIT, signal.SIGTSTP)}
    inside: list[Any] = []

    def interrupted_then_failing() -> None:
        with keyboard_signals_to_child():
            inside.append(signal.getsignal(signal.SIGINT))
            os.kill(os.getpid(), signal.SIGINT)  # swallowed: no KeyboardInterrupt
            time.sleep(0.05)
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        interrupted_then_failing()
    assert inside and inside[0] not in (before[signal.SIGINT], signal.SIG_IGN, signal.SIG_DFL)
    assert {sig: signal.getsignal(sig) for sig in before} == before

    errors: list[BaseException] = []

    def in_a_thread() -> None:
        try:
            with keyboard_signals_to_child():
                pass
        except BaseException as exc:
            errors.append(exc)

    worker = threading.Thread(target=in_a_thread)
    worker.start()
    worker.join(timeout=10)
    assert not worker.is_alive(), "keyboard_signals_to_child() did not return within 10 s in a thread"
    assert errors == [] and {sig: signal.getsignal(sig) for sig in before} == before


# ---------------------------------------------------------------------------------------------
# Against the simulator
# ---------------------------------------------------------------------------------------------

DOCUMENT_CASES = [
    (None, {}),
    (PORT_FORWARD, {"portNumber": ["8080"], "localPortNumber": ["18080"]}),
    (REMOTE_PORT_FORWARD, {"host": ["db.internal"], "portNumber": ["5432"], "localPortNumber": ["15432"]}),
    (SSH, {"portNumber": ["22"]}),
]


@pytest.mark.parametrize("version", [OLD_VERSION, NEW_VERSION])
@pytest.mark.parametrize(
    ("document", "parameters"), DOCUMENT_CASES, ids=["shell", "forward", "remote", "ssh"]
)
async def test_plugin_gets_the_cli_argv_and_env_for_each_document_on_a_hybrid_target(
    nodes: Nodes,
    launcher: SessionLauncher,
    factory: ClientFactory,
    recorder_for: Any,
    ssm: Any,
    sim_url: str,
    version: str,
    document: str | None,
    parameters: dict[str, list[str]],
) -> None:
    recorder = recorder_for(version)
    checked = await preflight(factory, target_of(nodes.hybrid), None)
    assert checked.ok and checked.problems == ()
    assert checked.plugin == Plugin(str(recorder.path), version)

    request = SessionRequest(nodes.hybrid, REGION, document, parameters, reason="rehearsal")
    opened = await launcher.open(request)
    assert session_status(ssm, opened.session_id) == "Connected"
    described = ssm.describe_sessions(
        State="Active", Filters=[{"key": "SessionId", "value": opened.session_id}]
    )
    assert described["Sessions"][0]["DocumentName"] == (document or "SSM-SessionManagerRunShell")
    assert described["Sessions"][0]["Target"] == nodes.hybrid

    done = launcher.run_plugin(opened, checked.plugin, profile=None)
    assert done.started and done.returncode == 0 and done.error == ""

    seen = recorder.read()
    argv = seen["argv"]
    assert argv[0] == str(recorder.path)
    assert argv[2:5] == [REGION, "StartSession", ""]
    assert json.loads(argv[5]) == start_parameters(request)
    expected_request: dict[str, Any] = {"Target": nodes.hybrid}
    if document:
        expected_request["DocumentName"] = document
    if parameters:
        expected_request["Parameters"] = parameters
    expected_request["Reason"] = "rehearsal"
    assert json.loads(argv[5]) == expected_request
    assert argv[6] == sim_url
    assert len(argv) == 7
    token = opened.response["TokenValue"]
    if version == NEW_VERSION:
        assert argv[1] == RESPONSE_ENV
        assert seen["env_present"] and json.loads(seen["env"]) == dict(opened.response)
        assert token not in json.dumps(argv)
    else:
        assert json.loads(argv[1]) == dict(opened.response)
        assert not seen["env_present"]
    assert set(opened.response) == {"SessionId", "TokenValue", "StreamUrl"}

    await launcher.record_end(opened, done)
    ended = await launcher.terminate(opened.session_id, REGION)
    assert ended.ok
    assert session_status(ssm, opened.session_id) == "Terminated"


async def test_ec2_target_with_a_profile_and_the_endpoint_the_client_used(
    nodes: Nodes, launcher: SessionLauncher, factory: ClientFactory, recorder_for: Any, ssm: Any
) -> None:
    recorder = recorder_for(NEW_VERSION)
    plugin = find_plugin()
    assert plugin is not None
    opened = await launcher.open(SessionRequest(nodes.ec2, REGION, None, {}))
    client = await factory.client("ssm", REGION)
    assert opened.endpoint_url == client.meta.endpoint_url
    done = launcher.run_plugin(opened, plugin, profile="ops")
    assert done.started and done.returncode == 0
    argv = recorder.read()["argv"]
    assert argv[4] == "ops" and argv[6] == opened.endpoint_url
    assert json.loads(argv[5]) == {"Target": nodes.ec2}
    await launcher.terminate(opened.session_id, REGION)


async def test_missing_plugin_is_a_preflight_problem_and_start_session_is_never_called(
    nodes: Nodes, factory: ClientFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ssm: Any
) -> None:
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    active_before = len(ssm.describe_sessions(State="Active", MaxResults=200)["Sessions"])

    checked = await preflight(factory, target_of(nodes.hybrid), None)
    assert not checked.ok and checked.plugin is None
    assert len(checked.problems) == 1
    assert "session-manager-plugin was not found on PATH" in checked.problems[0]
    assert INSTALL_HINT in checked.problems[0]

    explicit = await preflight(factory, target_of(nodes.hybrid), str(tmp_path / "nowhere" / "smp"))
    assert not explicit.ok and "not found at " in explicit.problems[0]

    assert factory.calls["ssm:StartSession"] == 0
    assert factory.calls["sts:GetCallerIdentity"] == 2
    assert len(ssm.describe_sessions(State="Active", MaxResults=200)["Sessions"]) == active_before


async def test_offline_target_and_rejected_credentials_are_preflight_problems(
    nodes: Nodes, factory: ClientFactory, recorder_for: Any
) -> None:
    recorder_for(NEW_VERSION)
    offline = await preflight(
        factory, target_of(nodes.offline, ping="ConnectionLost", name="launch-onprem-2"), None
    )
    assert not offline.ok and offline.plugin is not None
    assert offline.problems == (
        "launch-onprem-2 is ConnectionLost, not Online: "
        "Session Manager reaches it only while its agent is connected",
    )

    sts = await factory.client("sts", REGION)

    def expired(**_: Any) -> None:
        raise ClientError(
            {
                "Error": {
                    "Code": "ExpiredToken",
                    "Message": "The security token included in the request is expired",
                }
            },
            "GetCallerIdentity",
        )

    sts.meta.events.register("before-call.sts.GetCallerIdentity", expired)
    rejected = await preflight(factory, target_of(nodes.hybrid), None)
    assert not rejected.ok
    assert len(rejected.problems) == 1 and rejected.problems[0].startswith("credentials: ")
    assert "ExpiredToken" in rejected.problems[0]
    assert factory.calls["ssm:StartSession"] == 0


async def test_a_plugin_that_cannot_start_leaves_a_session_that_terminate_ends(
    nodes: Nodes, launcher: SessionLauncher, audit: AuditLog, ssm: Any, tmp_path: Path
) -> None:
    not_executable = tmp_path / PLUGIN_NAME
    not_executable.write_text("#!/bin/sh\nexit 0\n")
    not_executable.chmod(0o600)
    sigint = signal.getsignal(signal.SIGINT)

    opened = await launcher.open(SessionRequest(nodes.hybrid, REGION, None, {}))
    done = launcher.run_plugin(opened, Plugin(str(not_executable), NEW_VERSION), profile=None)
    assert not done.started and done.returncode is None
    assert "Permission denied" in done.error and str(not_executable) in done.error
    assert signal.getsignal(signal.SIGINT) is sigint

    missing = launcher.run_plugin(opened, Plugin(str(tmp_path / "gone"), OLD_VERSION), profile=None)
    assert not missing.started and "No such file" in missing.error

    assert session_status(ssm, opened.session_id) == "Connected"
    ended = await launcher.terminate(opened.session_id, REGION)
    assert ended.ok
    assert session_status(ssm, opened.session_id) == "Terminated"
    await launcher.record_end(opened, done)

    records = audit.records()
    assert [(r["operation"], r["outcome"]) for r in records] == [
        ("StartSession", "ok"),
        ("TerminateSession", "ok"),
        ("SessionEnded", "error"),
    ]
    assert records[1]["params"] == {"SessionId": opened.session_id}
    assert records[2]["message"].startswith("plugin did not start: ")
    assert records[2]["params"]["PluginStarted"] is False


async def test_the_token_never_reaches_the_audit_log_and_session_end_is_recorded(
    nodes: Nodes,
    launcher: SessionLauncher,
    audit: AuditLog,
    recorder_for: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    recorder_for(OLD_VERSION)
    plugin = find_plugin()
    assert plugin is not None
    monkeypatch.setenv("RECORDER_EXIT", "3")
    request = SessionRequest(nodes.hybrid, REGION, SSH, {"portNumber": ["22"]}, "INC-7")
    opened = await launcher.open(request)
    token = opened.response["TokenValue"]
    assert token not in repr(opened)
    done = launcher.run_plugin(opened, plugin, profile=None)
    assert done.started and done.returncode == 3
    await launcher.record_end(opened, done)
    await launcher.terminate(opened.session_id, REGION)

    text = audit.path.read_text()
    assert token not in text
    assert token[:24] not in text
    # The AWS CLI hands the stream URL only to the plugin: the audit log keeps the SessionId alone.
    stream_url = opened.response["StreamUrl"]
    assert stream_url.startswith("wss://")
    assert stream_url not in text
    assert "wss://" not in text
    records = audit.records()
    start, end, terminate = records
    assert start["operation"] == "StartSession" and start["outcome"] == "ok"
    assert start["params"] == start_parameters(request)
    assert "TokenValue=[redacted]" in start["message"]
    assert "StreamUrl=[redacted]" in start["message"]
    assert opened.session_id in start["message"]

    assert set(end) == set(FIELDS)
    assert end["operation"] == "SessionEnded" and end["service"] == "ssm" and end["region"] == REGION
    assert end["outcome"] == "error" and end["message"] == "exit status 3"
    assert end["actor"] == "tester" and end["account"] == ACCOUNT_ID
    assert end["params"]["Target"] == nodes.hybrid
    assert end["params"]["DocumentName"] == SSH
    assert end["params"]["SessionId"] == opened.session_id
    assert end["params"]["ExitStatus"] == 3 and end["params"]["PluginStarted"] is True
    assert end["params"]["StartedAt"] == opened.started_at.isoformat()
    assert end["params"]["EndedAt"] == done.ended_at.isoformat()
    assert terminate["operation"] == "TerminateSession"


async def test_the_journal_records_the_end_of_a_session_opened_here_with_its_length(
    nodes: Nodes, runner: ActionRunner, factory: ClientFactory, recorder_for: Any, tmp_path: Path
) -> None:
    recorder_for(OLD_VERSION)
    plugin = find_plugin()
    assert plugin is not None
    began = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)
    now = [began]
    hub = GameDay(
        journal=Journal(tmp_path / "journal.jsonl", clock=lambda: now[0]),
        detector=Detector(),
        services=ServiceTracker(()),
        clock=lambda: now[0],
    )
    runner.listeners.append(hub.action)
    launcher = SessionLauncher(runner, factory, clock=lambda: now[0])
    opened = await launcher.open(SessionRequest(nodes.hybrid, REGION, None, {}))
    now[0] = began + timedelta(minutes=4, seconds=12)
    done = launcher.run_plugin(opened, plugin, profile=None)
    assert done.started and done.returncode == 0
    await launcher.record_end(opened, done)
    await launcher.terminate(opened.session_id, REGION)
    hub.close()

    ended = [e for e in hub.journal.events if e.kind == ev.SESSION_ENDED]
    assert len(ended) == 1
    assert ended[0].text == f"session {opened.session_id} to {nodes.hybrid} ended after 04:12 (exit status 0)"
    assert ended[0].ref == opened.session_id and ended[0].resource == nodes.hybrid
    assert ended[0].at == now[0] and ended[0].detail["duration"] == "04:12"
    # The sessions pane's next polls, still listing it or no longer, journal nothing more about it.
    listed = SessionView(
        opened.session_id, nodes.hybrid, "tester", "Connected", began, None, None, None, REGION, True
    )
    before = len(hub.journal.events)
    for active in ((), (listed,), ()):
        snapshot = SessionsSnapshot(fetched_at=now[0], instances=(), active=active, history=(), errors=())
        hub.observe("sessions", snapshot)
    assert len(hub.journal.events) == before


async def test_read_only_mode_refuses_start_session_below_the_ui(
    nodes: Nodes, factory: ClientFactory, audit: AuditLog
) -> None:
    launcher = SessionLauncher(ActionRunner(factory, read_only=True, audit=audit), factory)
    with pytest.raises(ReadOnlyRefusal):
        await launcher.open(SessionRequest(nodes.hybrid, REGION, None, {}))
    with pytest.raises(ReadOnlyRefusal):
        await launcher.terminate("warroom-0123456789abcdef0", REGION)
    assert factory.calls["ssm:StartSession"] == 0 and factory.calls["ssm:TerminateSession"] == 0
    assert [r["outcome"] for r in audit.records()] == ["refused-read-only", "refused-read-only"]


async def test_refused_plans_and_failed_calls_start_nothing(
    nodes: Nodes, launcher: SessionLauncher, factory: ClientFactory
) -> None:
    with pytest.raises(PlanRefusal, match="host is required"):
        await launcher.open(
            SessionRequest(nodes.hybrid, REGION, REMOTE_PORT_FORWARD, {"portNumber": ["5432"]})
        )
    assert factory.calls["ssm:StartSession"] == 0
    with pytest.raises(SessionStartError) as failed:
        await launcher.open(SessionRequest(nodes.offline, REGION, None, {}))
    assert failed.value.problem.code == "TargetNotConnected"
    assert factory.calls["ssm:StartSession"] == 1


async def test_sessions_started_here_show_in_the_poller(
    nodes: Nodes, launcher: SessionLauncher, factory: ClientFactory
) -> None:
    opened = await launcher.open(SessionRequest(nodes.ec2, REGION, PORT_FORWARD, {"portNumber": ["80"]}))
    snapshot = await SessionsPoller(factory).poll()
    mine = [s for s in snapshot.active if s.session_id == opened.session_id]
    assert len(mine) == 1 and mine[0].target == nodes.ec2 and mine[0].document_name == PORT_FORWARD
    named = {t.instance_id: t.name for t in snapshot.instances}
    assert named[nodes.ec2] == "launch-web-1" and named[nodes.hybrid] == "launch-onprem-1"
    await launcher.terminate(opened.session_id, REGION)
    after = await SessionsPoller(factory).poll()
    assert opened.session_id not in {s.session_id for s in after.active}
    assert opened.session_id in {s.session_id for s in after.history}


async def test_keyboard_interrupts_go_to_the_session_not_to_this_process(
    nodes: Nodes, launcher: SessionLauncher, recorder_for: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    recorder = recorder_for(NEW_VERSION)
    plugin = find_plugin()
    assert plugin is not None
    monkeypatch.setenv("RECORDER_INTERRUPT_PARENT", "1")
    sigint = signal.getsignal(signal.SIGINT)
    opened = await launcher.open(SessionRequest(nodes.hybrid, REGION, None, {}))
    try:
        done = launcher.run_plugin(opened, plugin, profile=None)  # the plugin sends SIGINT to us
        assert done.started and done.returncode == 0
        assert recorder.read()["sigint_default"], (
            "the plugin must get Ctrl+C's default, not an ignored SIGINT"
        )
        assert signal.getsignal(signal.SIGINT) is sigint
    finally:
        await launcher.terminate(opened.session_id, REGION)


# ---------------------------------------------------------------------------------------------
# tmux windows
# ---------------------------------------------------------------------------------------------


def session_sockets() -> set[str]:
    """The directories holding a tmux window's session socket right now."""
    return {name for name in os.listdir(tempfile.gettempdir()) if name.startswith("warroom-ssm-")}


@pytest.fixture
def tmux_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A private tmux server, and TMUX pointing at it as inside one of its panes."""
    tmux = shutil.which("tmux")
    if tmux is None:
        pytest.skip("tmux is not installed")
    socket_path = Path(f"/tmp/warroom-test-tmux-{os.getpid()}-{secrets.token_hex(4)}")
    subprocess.run(
        [tmux, "-S", str(socket_path), "new-session", "-d", "-s", "t", "-x", "80", "-y", "24"],
        check=True,
        capture_output=True,
        timeout=30,
    )
    pid = subprocess.run(
        [tmux, "-S", str(socket_path), "display-message", "-p", "#{pid}"],
        check=True,
        capture_output=True,
        text=True,
        timeout=30,
    ).stdout.strip()
    monkeypatch.setenv("TMUX", f"{socket_path},{pid},0")
    monkeypatch.delenv("TMUX_PANE", raising=False)
    try:
        yield socket_path
    finally:
        subprocess.run(
            [tmux, "-S", str(socket_path), "kill-server"], check=False, capture_output=True, timeout=30
        )
        socket_path.unlink(missing_ok=True)


async def test_tmux_window_runs_the_plugin_with_the_token_only_in_its_environment(
    nodes: Nodes, launcher: SessionLauncher, recorder_for: Any, tmux_server: Path, ssm: Any
) -> None:
    recorder = recorder_for(NEW_VERSION)
    plugin = find_plugin()
    assert plugin is not None
    temp_before = session_sockets()
    opened = await launcher.open(SessionRequest(nodes.hybrid, REGION, SSH, {"portNumber": ["22"]}))
    try:
        done = launcher.run_plugin(opened, plugin, profile="ops", tmux_window=True)
        assert done.started and done.returncode is None and done.error == ""
        seen = recorder.wait()
        argv = seen["argv"]
        assert argv[0] == str(recorder.path)
        assert argv[1:5] == [RESPONSE_ENV, REGION, "StartSession", "ops"]
        assert json.loads(argv[5]) == {
            "Target": nodes.hybrid,
            "DocumentName": SSH,
            "Parameters": {"portNumber": ["22"]},
        }
        assert argv[6] == opened.endpoint_url
        assert json.loads(seen["env"]) == dict(opened.response)
        assert opened.response["TokenValue"] not in json.dumps(argv)
        # The socket and its directory are gone once the window has taken the session.
        assert session_sockets() == temp_before
    finally:
        await launcher.terminate(opened.session_id, REGION)


async def test_tmux_window_reports_a_plugin_that_cannot_start(
    nodes: Nodes, launcher: SessionLauncher, tmux_server: Path, tmp_path: Path
) -> None:
    broken = tmp_path / "broken-plugin"
    broken.write_text("#!/bin/sh\n")
    broken.chmod(0o600)
    opened = await launcher.open(SessionRequest(nodes.hybrid, REGION, None, {}))
    try:
        done = launcher.run_plugin(opened, Plugin(str(broken), NEW_VERSION), profile=None, tmux_window=True)
        assert not done.started and "Permission denied" in done.error
    finally:
        await launcher.terminate(opened.session_id, REGION)


async def test_tmux_window_outside_tmux_is_refused(
    launcher: SessionLauncher, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TMUX", raising=False)
    request = SessionRequest("mi-0123456789abcdef0", REGION, None, {})
    opened = OpenedSession(request, "sid", RESPONSE, "https://e", datetime.now(UTC))
    done = launcher.run_plugin(opened, Plugin("/bin/true", NEW_VERSION), profile=None, tmux_window=True)
    assert not done.started and "not inside tmux" in done.error


def test_session_window_helper_refuses_bad_use(tmp_path: Path) -> None:
    assert session_window.main([]) == 2
    assert session_window.main([str(tmp_path / "no-socket")]) == 127


# ---------------------------------------------------------------------------------------------
# The plugin owns the terminal while it runs
# ---------------------------------------------------------------------------------------------

#: Stands in for the plugin: says which group it is in and whether that group has the terminal,
#: then records the keyboard's signals it gets; Ctrl+C ends it.
_JOB = """
import os, signal, sys, time
report = sys.argv[1]
def note(text):
    with open(report, "a") as out:
        out.write(text + "\\n")
def interrupted(signum, frame):
    note("job SIGINT")
    sys.exit(130)
signal.signal(signal.SIGINT, interrupted)
signal.signal(signal.SIGCONT, lambda s, f: note("job SIGCONT"))
note(f"job pgid={os.getpgrp()} foreground={os.tcgetpgrp(0) == os.getpgrp()}")
for _ in range(300):
    time.sleep(0.1)
note("job timed out")
"""

#: Stands in for warroom under ``make``: a sibling in its process group notes what the keyboard
#: sends it, then warroom runs the job with the launch code and says who has the terminal after.
_CONSOLE = """
import os, signal, subprocess, sys
from tui.aws.session_launch import run_in_foreground
report, job = sys.argv[1], sys.argv[2]
def note(text):
    with open(report, "a") as out:
        out.write(text + "\\n")
sibling = subprocess.Popen([sys.executable, "-c", '''
import signal, sys, time
def got(signum, frame):
    with open(sys.argv[1], "a") as out:
        out.write(f"sibling signal {signum}\\\\n")
for sig in (signal.SIGINT, signal.SIGQUIT, signal.SIGTSTP):
    signal.signal(sig, got)
time.sleep(30)
''', report])
note(f"console pgid={os.getpgrp()} sibling pgid={os.getpgid(sibling.pid)}")
status = run_in_foreground([sys.executable, "-c", job, report], dict(os.environ))
note(f"console exit={status} foreground={os.tcgetpgrp(0) == os.getpgrp()}")
sibling.kill()
sibling.wait(timeout=10)
note("console done")
"""


def _wait_for(report: Path, text: str, master: int, *, within: float = 20.0) -> str:
    """The report once it holds ``text``; the terminal's output is drained meanwhile."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        readable, _, _ = select.select([master], [], [], 0.05)
        if readable:
            with contextlib.suppress(OSError):
                os.read(master, 4096)
        content = report.read_text() if report.exists() else ""
        if text in content:
            return content
    said = report.read_text() if report.exists() else ""
    raise AssertionError(f"{text!r} never came; the report says:\n{said}")


@pytest.mark.skipif(not hasattr(os, "forkpty"), reason="needs a pseudo-terminal")
def test_the_plugin_alone_gets_the_keyboard_and_the_console_gets_the_terminal_back(tmp_path: Path) -> None:
    report = tmp_path / "report"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    argv = [sys.executable, "-c", _CONSOLE, str(report), _JOB]
    pid, master = os.forkpty()
    if pid == 0:  # the new session's leader, the pty its terminal: exec at once
        try:
            os.execve(sys.executable, argv, env)
        finally:
            os._exit(127)
    try:
        _wait_for(report, "job pgid=", master)
        os.write(master, b"\x1a")  # Ctrl+Z: the job is continued, nothing else is stopped
        _wait_for(report, "job SIGCONT", master)
        os.write(master, b"\x03")  # Ctrl+C
        content = _wait_for(report, "console done", master)
    finally:
        deadline = time.monotonic() + 10
        while os.waitpid(pid, os.WNOHANG) == (0, 0):
            if time.monotonic() > deadline:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
                break
            time.sleep(0.05)
        os.close(master)
    lines = content.splitlines()
    console = next(line for line in lines if line.startswith("console pgid="))
    console_pgid = console.split()[1].split("=")[1]
    assert console == f"console pgid={console_pgid} sibling pgid={console_pgid}"
    job = next(line for line in lines if line.startswith("job pgid="))
    assert job.split()[0] != f"pgid={console_pgid}" and job.endswith("foreground=True"), content
    assert "job SIGINT" in lines, content
    assert not [line for line in lines if line.startswith("sibling signal")], content
    assert "console exit=130 foreground=True" in lines, content
