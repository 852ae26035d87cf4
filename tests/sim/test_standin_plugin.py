"""The demo's stand-in session-manager-plugin, run as the AWS CLI runs the real one, against the simulator.

Sessions are started in the seeded us-east-1 on an online hybrid node (mi-) and end Terminated.
"""

from __future__ import annotations

import json
import os
import pty
import queue
import re
import select
import shutil
import signal
import socket
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from tui.sim import standin_plugin
from tui.sim.standin_plugin import (
    BANNER,
    RESPONSE_ENV,
    TARGET_ENV,
    VERSION,
    shell_command,
    standin_command,
    write_launcher,
)

ClientMaker = Callable[..., Any]
REGION = "us-east-1"
TIMEOUT = 60


@pytest.fixture
def ssm(client: ClientMaker) -> Any:
    return client("ssm", region=REGION)


@pytest.fixture
def hybrid_target(ssm: Any) -> str:
    nodes = ssm.describe_instance_information(
        Filters=[
            {"Key": "ResourceType", "Values": ["ManagedInstance"]},
            {"Key": "PingStatus", "Values": ["Online"]},
        ],
        MaxResults=50,
    )["InstanceInformationList"]
    assert nodes, "the seeded workload has no online hybrid node in us-east-1"
    target = nodes[0]["InstanceId"]
    assert target.startswith("mi-")
    return str(target)


class Started:
    """A session opened through boto3, and the plugin arguments the AWS CLI would build for it."""

    def __init__(self, ssm: Any, sim_url: str, request: dict[str, Any]) -> None:
        answer = ssm.start_session(**request)
        self.ssm = ssm
        self.request = request
        self.response = {key: answer[key] for key in ("SessionId", "TokenValue", "StreamUrl")}
        self.session_id: str = answer["SessionId"]
        self.token: str = answer["TokenValue"]
        self.sim_url = sim_url

    def args(self, *, via_env: bool = True, endpoint_url: str | None = None) -> list[str]:
        first = RESPONSE_ENV if via_env else json.dumps(self.response)
        request = json.dumps(self.request)
        return [first, REGION, "StartSession", "", request, endpoint_url or self.sim_url]

    def env(self, **extra: str) -> dict[str, str]:
        env = dict(os.environ)
        env[RESPONSE_ENV] = json.dumps(self.response)
        env.update(extra)
        return env

    def status(self) -> str:
        for state in ("Active", "History"):
            sessions = self.ssm.describe_sessions(
                State=state, Filters=[{"key": "SessionId", "value": self.session_id}]
            )["Sessions"]
            if sessions:
                return str(sessions[0]["Status"])
        raise AssertionError(f"DescribeSessions does not know session {self.session_id}")


@pytest.fixture
def start(ssm: Any, sim_url: str, hybrid_target: str) -> Callable[..., Started]:
    def make(document: str | None = None, parameters: dict[str, list[str]] | None = None) -> Started:
        request: dict[str, Any] = {"Target": hybrid_target}
        if document is not None:
            request["DocumentName"] = document
        if parameters is not None:
            request["Parameters"] = parameters
        started = Started(ssm, sim_url, request)
        assert started.status() == "Connected"
        return started

    return make


def run_plugin(
    args: list[str], env: Mapping[str, str], stdin: str = "", command: list[str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*(command or standin_command()), *args],
        input=stdin,
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _ignore_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _lines(stream: Any) -> queue.Queue[str]:
    lines: queue.Queue[str] = queue.Queue()

    def pump() -> None:
        for line in stream:
            lines.put(line.rstrip("\n"))

    threading.Thread(target=pump, daemon=True).start()
    return lines


def _wait_for(lines: queue.Queue[str], pattern: str) -> tuple[re.Match[str], list[str]]:
    seen: list[str] = []
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=deadline - time.monotonic())
        except queue.Empty:
            break
        seen.append(line)
        match = re.search(pattern, line)
        if match:
            return match, seen
    raise AssertionError(f"no line matched {pattern!r}; got {seen}")


@pytest.fixture
def processes() -> Iterator[list[subprocess.Popen[str]]]:
    running: list[subprocess.Popen[str]] = []
    yield running
    for process in running:
        if process.poll() is None:
            process.kill()
            process.wait(TIMEOUT)


def _shells() -> list[str]:
    return [path for path in ("/bin/sh", shutil.which("bash"), shutil.which("zsh")) if path]


# --------------------------------------------------------------------------------------------
# Shell sessions
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("shell", _shells())
def test_shell_session_runs_a_local_shell_named_after_the_target(
    start: Callable[..., Started], hybrid_target: str, shell: str
) -> None:
    started = start()
    script = f'echo "[$AWS_SSM_START_SESSION_RESPONSE]"; echo ${TARGET_ENV}; exit 3\n'

    done = run_plugin(started.args(), started.env(SHELL=shell), stdin=script)

    assert done.returncode == 3, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == BANNER
    assert f"  target:     {hybrid_target}" in lines
    assert "  document:   SSM-SessionManagerRunShell" in lines
    assert f"  session id: {started.session_id}" in lines
    # The shell saw the target, and not the StartSession response.
    assert hybrid_target in lines
    assert "[]" in lines
    # Interactive sh and bash write their prompt to stderr when stdin is not a terminal.
    assert f"[simulated {hybrid_target}]" in done.stderr
    assert started.token not in done.stdout + done.stderr
    assert f"Exiting session with sessionId: {started.session_id}." in lines
    assert started.status() == "Terminated"


def _read_until(fd: int, seen: bytearray, marker: bytes, count: int = 1) -> None:
    deadline = time.monotonic() + TIMEOUT
    while seen.count(marker) < count:
        remaining = deadline - time.monotonic()
        assert remaining > 0, f"{marker!r} never appeared on the terminal: {bytes(seen)!r}"
        ready, _, _ = select.select([fd], [], [], remaining)
        if ready:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                chunk = b""
            assert chunk, f"the terminal closed before {marker!r}: {bytes(seen)!r}"
            seen.extend(chunk)


@pytest.mark.parametrize("sigint_ignored", [False, True], ids=["sigint-default", "sigint-ignored"])
def test_ctrl_c_on_a_terminal_goes_to_the_shell(
    start: Callable[..., Started], hybrid_target: str, sigint_ignored: bool
) -> None:
    # The AWS CLI ignores SIGINT while the plugin runs; the plugin inherits that.
    started = start()
    prompt = f"[simulated {hybrid_target}] $ ".encode()
    command = [*standin_command(), *started.args()]
    env = started.env(SHELL="/bin/sh")
    pid, fd = pty.fork()
    if pid == 0:
        try:
            if sigint_ignored:
                signal.signal(signal.SIGINT, signal.SIG_IGN)
            os.execve(command[0], command, env)
        finally:
            os._exit(127)
    seen = bytearray()
    try:
        _read_until(fd, seen, prompt)
        os.write(fd, b"sleep 60; echo slept\n")
        _read_until(fd, seen, b"sleep 60; echo slept")
        time.sleep(0.5)
        os.write(fd, b"\x03")
        _read_until(fd, seen, prompt, count=2)
        os.write(fd, f"echo alive-${TARGET_ENV}\n".encode())
        _read_until(fd, seen, f"alive-{hybrid_target}".encode())
        os.write(fd, b"exit 6\n")
        _read_until(fd, seen, f"Exiting session with sessionId: {started.session_id}.".encode())
    except BaseException:
        os.kill(pid, signal.SIGKILL)
        raise
    finally:
        _, status = os.waitpid(pid, 0)
        os.close(fd)
    assert os.waitstatus_to_exitcode(status) == 6
    assert b"slept" not in seen.replace(b"echo slept", b"")
    assert started.token.encode() not in seen
    assert started.status() == "Terminated"


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGHUP], ids=["sigterm", "sighup"])
def test_a_signalled_standin_hangs_up_the_shell_and_ends_the_session(
    start: Callable[..., Started], processes: list[subprocess.Popen[str]], stop: signal.Signals
) -> None:
    started = start()
    process = subprocess.Popen(
        [*standin_command(), *started.args()],
        env=started.env(SHELL="/bin/sh"),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    processes.append(process)
    lines = _lines(process.stdout)
    assert process.stdin is not None
    process.stdin.write("echo shell-pid $$\n")
    process.stdin.flush()
    shell, _ = _wait_for(lines, r"^shell-pid (\d+)$")
    shell_pid = int(shell.group(1))

    process.send_signal(stop)

    assert process.wait(TIMEOUT) == 128 + stop
    _wait_for(lines, rf"^Exiting session with sessionId: {re.escape(started.session_id)}\.$")
    with pytest.raises(ProcessLookupError):
        os.kill(shell_pid, 0)
    assert started.status() == "Terminated"
    process.stdin.close()


def test_the_response_may_come_as_the_first_argument(start: Callable[..., Started]) -> None:
    started = start()
    env = dict(os.environ, SHELL="/bin/sh")
    env.pop(RESPONSE_ENV, None)

    done = run_plugin(started.args(via_env=False), env, stdin="exit 0\n")

    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(BANNER)
    assert started.token not in done.stdout + done.stderr
    assert started.status() == "Terminated"


def test_a_failed_terminate_is_reported_and_the_exit_code_kept(start: Callable[..., Started]) -> None:
    started = start()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        dead_port = probe.getsockname()[1]

    done = run_plugin(
        started.args(endpoint_url=f"http://127.0.0.1:{dead_port}"),
        started.env(SHELL="/bin/sh"),
        stdin="exit 5\n",
    )

    assert done.returncode == 5
    assert f"warroom demo: could not end session {started.session_id}" in done.stderr
    assert "Traceback" not in done.stderr
    assert started.status() == "Connected"
    started.ssm.terminate_session(SessionId=started.session_id)


# --------------------------------------------------------------------------------------------
# Port forwarding, SSH
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("document", "parameters", "destination"),
    [
        (
            "AWS-StartPortForwardingSessionToRemoteHost",
            {"host": ["db.internal"], "portNumber": ["5432"]},
            "{target}:db.internal:5432",
        ),
        ("AWS-StartPortForwardingSession", {"portNumber": ["8080"]}, "{target}:8080"),
    ],
)
@pytest.mark.parametrize("fixed_local_port", [True, False], ids=["local-port", "any-port"])
@pytest.mark.parametrize(
    ("stop", "sigint_ignored"),
    [(signal.SIGINT, False), (signal.SIGINT, True), (signal.SIGTERM, False)],
    ids=["ctrl-c", "ctrl-c-sigint-inherited-ignored", "sigterm"],
)
def test_port_forward_answers_connections_until_ctrl_c(
    start: Callable[..., Started],
    hybrid_target: str,
    processes: list[subprocess.Popen[str]],
    document: str,
    parameters: dict[str, list[str]],
    destination: str,
    fixed_local_port: bool,
    stop: signal.Signals,
    sigint_ignored: bool,
) -> None:
    local = _free_port() if fixed_local_port else 0
    started = start(document, {**parameters, "localPortNumber": [str(local)]})
    process = subprocess.Popen(
        [*standin_command(), *started.args()],
        env=started.env(),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # The AWS CLI ignores SIGINT while the plugin runs; the plugin inherits that.
        preexec_fn=_ignore_sigint if sigint_ignored else None,
    )
    processes.append(process)
    lines = _lines(process.stdout)
    where = destination.format(target=hybrid_target)

    forward, banner = _wait_for(lines, r"^Would forward localhost:(\d+) -> (.+)$")
    assert banner[0] == BANNER
    assert f"  document:   {document}" in banner
    port = int(forward.group(1))
    assert forward.group(2) == where
    if fixed_local_port:
        assert port == local
    _wait_for(lines, r"^Waiting for connections")

    for _ in range(2):
        with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
            connection.settimeout(10)
            reply = connection.makefile("r", encoding="utf-8").read()
        assert reply == f"warroom demo: simulated forward to {where}\n"
    assert started.status() == "Connected"

    process.send_signal(stop)
    assert process.wait(TIMEOUT) == 0
    _wait_for(lines, rf"^Exiting session with sessionId: {re.escape(started.session_id)}\.$")
    assert process.stderr is not None
    errors = process.stderr.read()
    assert "Traceback" not in errors
    assert started.token not in errors
    assert started.status() == "Terminated"
    with pytest.raises(ConnectionRefusedError), socket.create_connection(("127.0.0.1", port), timeout=2):
        pass


def test_port_forward_on_a_taken_port_fails_and_ends_the_session(start: Callable[..., Started]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        started = start("AWS-StartPortForwardingSession", {"localPortNumber": [str(port)]})
        done = run_plugin(started.args(), started.env())

    assert done.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in done.stderr
    assert started.status() == "Terminated"


def test_ssh_document_says_what_would_run(start: Callable[..., Started], hybrid_target: str) -> None:
    started = start("AWS-StartSSHSession", {"portNumber": ["2222"]})

    done = run_plugin(started.args(), started.env())

    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(BANNER)
    assert "    portNumber = 2222" in done.stdout
    assert f"SSH would run over this session to {hybrid_target} port 2222" in done.stdout
    assert started.token not in done.stdout + done.stderr
    assert started.status() == "Terminated"


def test_command_documents_are_described_not_run(
    start: Callable[..., Started], hybrid_target: str, tmp_path: Path
) -> None:
    marker = tmp_path / "ran"
    started = start("AWS-StartInteractiveCommand", {"command": [f"touch {marker}"]})

    done = run_plugin(started.args(), started.env())

    assert done.returncode == 0, done.stderr
    assert f"The command would run on {hybrid_target}: touch {marker}" in done.stdout
    assert not marker.exists()
    assert started.status() == "Terminated"


# --------------------------------------------------------------------------------------------
# Version, malformed arguments, the launcher
# --------------------------------------------------------------------------------------------


def test_version_is_above_the_env_var_threshold() -> None:
    done = run_plugin(["--version"], os.environ)

    assert done.returncode == 0
    assert done.stdout == f"{VERSION}\n"
    numeric = re.match(r"^(\d+)\.(\d+)\.(\d+)\.(\d+)", done.stdout)
    assert numeric is not None
    assert tuple(int(part) for part in numeric.groups()) > (1, 2, 497, 0)
    assert "simulated" in done.stdout


_REQUEST = json.dumps({"Target": "mi-0123456789abcdef0"})
_RESPONSE = json.dumps({"SessionId": "warroom-0123456789abcdef0", "TokenValue": "secret-token"})


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        ([], {}, "expected 6 arguments"),
        (["x", "y"], {}, "expected 6 arguments"),
        ([RESPONSE_ENV, REGION, "StartSession", "", _REQUEST, "http://127.0.0.1:1"], {}, "is not set"),
        (["{not json", REGION, "StartSession", "", _REQUEST, "http://127.0.0.1:1"], {}, "not valid JSON"),
        (["[]", REGION, "StartSession", "", _REQUEST, "http://127.0.0.1:1"], {}, "must be a JSON object"),
        (
            [json.dumps({"TokenValue": "secret-token"}), REGION, "StartSession", "", _REQUEST, "http://h"],
            {},
            "has no SessionId",
        ),
        ([_RESPONSE, REGION, "TerminateSession", "", _REQUEST, "http://h"], {}, "unknown operation"),
        ([_RESPONSE, "", "StartSession", "", _REQUEST, "http://h"], {}, "region is empty"),
        ([_RESPONSE, REGION, "StartSession", "", "{}", "http://h"], {}, "has no Target"),
        ([_RESPONSE, REGION, "StartSession", "", _REQUEST, "ssm.amazonaws.com"], {}, "not an http(s) URL"),
        (
            [
                RESPONSE_ENV,
                REGION,
                "StartSession",
                "",
                json.dumps(
                    {
                        "Target": "mi-0123456789abcdef0",
                        "DocumentName": "AWS-StartPortForwardingSession",
                        "Parameters": {"portNumber": ["http"]},
                    }
                ),
                "http://h",
            ],
            {RESPONSE_ENV: _RESPONSE},
            "portNumber must be a port number",
        ),
        (
            [
                _RESPONSE,
                REGION,
                "StartSession",
                "",
                json.dumps(
                    {
                        "Target": "mi-0123456789abcdef0",
                        "DocumentName": "AWS-StartPortForwardingSessionToRemoteHost",
                    }
                ),
                "http://h",
            ],
            {},
            "needs the parameter host",
        ),
    ],
)
def test_malformed_arguments_exit_2_with_a_message(
    args: list[str], env: dict[str, str], message: str
) -> None:
    base = {key: value for key, value in os.environ.items() if not key.startswith(RESPONSE_ENV)}

    done = run_plugin(args, {**base, **env})

    assert done.returncode == 2
    assert message in done.stderr
    assert "usage: session-manager-plugin" in done.stderr
    assert "Traceback" not in done.stderr
    assert "secret-token" not in done.stdout + done.stderr
    assert done.stdout == ""


def test_standin_command_runs_this_module_with_this_interpreter() -> None:
    assert standin_command() == [sys.executable, "-m", "tui.sim.standin_plugin"]


def test_launcher_runs_the_standin_from_path(tmp_path: Path, start: Callable[..., Started]) -> None:
    directory = tmp_path / "demo-plugin"

    path = write_launcher(directory)
    assert write_launcher(directory) == path

    assert path == directory / "session-manager-plugin"
    assert stat.S_IMODE(path.stat().st_mode) == 0o700
    assert sorted(p.name for p in directory.iterdir()) == ["session-manager-plugin"]
    version = run_plugin(["--version"], os.environ, command=[str(path)])
    assert version.stdout == f"{VERSION}\n"

    started = start()
    workdir = tmp_path / "elsewhere"
    workdir.mkdir()
    env = started.env(SHELL="/bin/sh", PATH=f"{directory}{os.pathsep}{os.environ.get('PATH', '')}")
    done = subprocess.run(
        ["session-manager-plugin", *started.args()],
        input=f"echo ${TARGET_ENV}; exit 4\n",
        env=env,
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    assert done.returncode == 4, done.stderr
    assert done.stdout.startswith(BANNER)
    assert started.request["Target"] in done.stdout.splitlines()
    assert started.status() == "Terminated"


# --------------------------------------------------------------------------------------------
# The shell command, per shell
# --------------------------------------------------------------------------------------------


def test_shell_command_per_shell() -> None:
    keys = {"AWS_ACCESS_KEY_ID": "ASIA1", "AWS_SECRET_ACCESS_KEY": "s", "AWS_SESSION_TOKEN": "t"}
    environ = {"HOME": "/home/x", RESPONSE_ENV: "{}", f"{RESPONSE_ENV}_1": "{}", **keys}

    argv, env = shell_command("/usr/bin/bash", "mi-0123456789abcdef0", environ)
    assert argv == ["/usr/bin/bash", "--norc", "--noprofile", "-i"]
    assert env["PS1"] == "[simulated mi-0123456789abcdef0] \\$ "
    assert env[TARGET_ENV] == "mi-0123456789abcdef0"
    assert env["HOME"] == "/home/x"
    assert not [key for key in env if key.startswith(RESPONSE_ENV)]
    assert not set(keys) & set(env), "the plugin's keys reached the shell standing in for the instance's"

    argv, env = shell_command("/bin/zsh", "i-0123456789abcdef0", environ)
    assert argv == ["/bin/zsh", "-f", "-i"]
    assert env["PROMPT"] == "[simulated i-0123456789abcdef0] %# "

    argv, env = shell_command("/usr/bin/fish", "i-0123456789abcdef0", environ)
    assert argv[:3] == ["/usr/bin/fish", "--interactive", "--init-command"]
    assert "[simulated i-0123456789abcdef0] > " in argv[3]

    argv, env = shell_command("/bin/dash", "i-0123456789abcdef0", environ)
    assert argv == ["/bin/dash", "-i"]
    assert env["PS1"] == "[simulated i-0123456789abcdef0] $ "


def test_prompt_never_carries_shell_syntax_from_the_target() -> None:
    _, env = shell_command("/usr/bin/bash", "$(touch /tmp/x)`id`\\w%n'", {})
    assert env["PS1"] == "[simulated ??touch?/tmp/x??id??w?n?] \\$ "
    assert env[TARGET_ENV] == "$(touch /tmp/x)`id`\\w%n'"


def test_user_shell_falls_back_to_bin_sh() -> None:
    assert standin_plugin.user_shell({}) == "/bin/sh"
    assert standin_plugin.user_shell({"SHELL": "/nonexistent/shell"}) == "/bin/sh"
    assert standin_plugin.user_shell({"SHELL": "/bin/sh"}) == "/bin/sh"


def test_exit_status_of_a_signalled_shell() -> None:
    assert standin_plugin.exit_status(3) == 3
    assert standin_plugin.exit_status(-signal.SIGHUP) == 128 + signal.SIGHUP


def test_it_ends_the_session_with_the_credentials_the_real_plugin_would_use() -> None:
    """The profile it is given (boto3 resolves it), else the environment's keys (an assumed role's,
    for a session in another account), else the simulator's own."""
    invocation = standin_plugin.parse_arguments(
        [_RESPONSE, REGION, "StartSession", "", _REQUEST, "http://127.0.0.1:1"], {}
    )
    role_keys = {"AWS_ACCESS_KEY_ID": "ASIAEXAMPLE", "AWS_SECRET_ACCESS_KEY": "s", "AWS_SESSION_TOKEN": "t"}
    assert standin_plugin.credentials_of(invocation, role_keys) == {
        "aws_access_key_id": "ASIAEXAMPLE",
        "aws_secret_access_key": "s",
        "aws_session_token": "t",
    }
    assert standin_plugin.credentials_of(invocation, {}) == {
        "aws_access_key_id": "testing",
        "aws_secret_access_key": "testing",
    }
    with_profile = standin_plugin.parse_arguments(
        [_RESPONSE, REGION, "StartSession", "ledger", _REQUEST, "http://127.0.0.1:1"], {}
    )
    assert standin_plugin.credentials_of(with_profile, role_keys) == {}
