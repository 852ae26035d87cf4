"""``warroom sim serve`` as teams use it: a shared endpoint that is never seen half seeded, and the
commands its banner prints work on a machine without AWS credentials.

One simulator process serves the module. Its port is polled from the moment it starts; at the first
TCP connection that succeeds, the workload must already be there.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config

from tests.waits import stop

START_DEADLINE_S = 240.0
BANNER_DEADLINE_S = 30.0
CALL_DEADLINE_S = 60.0
STOP_DEADLINE_S = 30.0
ROOT = Path(__file__).resolve().parents[2]
MAIN = "import sys; from tui.cli import main; sys.exit(main())"
COMMAND = re.compile(r"^#[^:]*:\s+((?:[A-Z_]+=\S+\s+)*(?:warroom|aws)\s.*)$")


@dataclass(frozen=True)
class FirstContact:
    url: str
    banner: str
    instances: int
    streams: int
    findings: int


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _clean_env(home: Path, state: Path, **extra: str) -> dict[str, str]:
    """No AWS_* variable, an empty home (no ~/.aws), and this checkout on the path."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(HOME=str(home), PYTHONPATH=str(ROOT), WARROOM_STATE_DIR=str(state))
    env.update(extra)
    return env


def _boto(url: str, service: str) -> Any:
    return boto3.client(
        service,
        region_name="us-east-1",
        endpoint_url=url,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(connect_timeout=5, read_timeout=CALL_DEADLINE_S, retries={"max_attempts": 1}),
    )


def _connects(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


@pytest.fixture(scope="module")
def first_contact(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FirstContact]:
    work = tmp_path_factory.mktemp("serve")
    home = work / "home"
    home.mkdir()
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    out, err = (work / "stdout").open("w"), (work / "stderr").open("w")
    process = subprocess.Popen(
        [sys.executable, "-c", MAIN, "sim", "serve", "--port", str(port), "--seed", "7"],
        stdin=subprocess.DEVNULL,
        stdout=out,
        stderr=err,
        env=_clean_env(home, work / "state"),
        cwd=ROOT,
    )
    # Made before polling: building a client does not connect, so the calls follow the connect at once.
    ec2, kinesis, hub = _boto(url, "ec2"), _boto(url, "kinesis"), _boto(url, "securityhub")
    try:
        deadline = time.monotonic() + START_DEADLINE_S
        while not _connects(port):
            assert process.poll() is None, (work / "stderr").read_text()
            assert time.monotonic() < deadline, f"sim serve did not open {port} in {START_DEADLINE_S:.0f} s"
            time.sleep(0.01)
        reservations = ec2.describe_instances()["Reservations"]
        streams = kinesis.list_streams()["StreamNames"]
        findings = hub.get_findings(MaxResults=100)["Findings"]
        deadline = time.monotonic() + BANNER_DEADLINE_S
        while "Ctrl+C" not in (work / "stderr").read_text():
            assert time.monotonic() < deadline, "sim serve printed no banner"
            time.sleep(0.05)
        yield FirstContact(
            url=url,
            banner=(work / "stderr").read_text(),
            instances=sum(len(r["Instances"]) for r in reservations),
            streams=len(streams),
            findings=len(findings),
        )
    finally:
        stop(process, how=signal.SIGINT, within=STOP_DEADLINE_S)
        out.close()
        err.close()


def test_the_first_connection_finds_the_workload_seeded(first_contact: FirstContact) -> None:
    assert first_contact.instances >= 8
    assert first_contact.streams >= 2
    assert first_contact.findings >= 60


def test_the_address_is_held_but_refuses_connections_until_the_server_is_ready(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Before the public listener opens (while the workload is seeded through the private one), the
    address is bound, so no one else takes it, and a client's connection is refused."""
    from tui.sim import server as module

    port = _free_port()
    seen: list[tuple[bool, str]] = []
    original = module._Listener.open

    def opening(host: str, listen_port: int, app: Any, *, sock: Any = None) -> Any:
        if sock is None:
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as rival:
                try:
                    rival.bind(("127.0.0.1", port))
                    taken = "free"
                except OSError as exc:
                    taken = exc.strerror or str(exc)
            seen.append((_connects(port), taken))
        return original(host, listen_port, app, sock=sock)

    monkeypatch.setattr(module._Listener, "open", staticmethod(opening))
    with module.SimServer(port=port, empty=True, live=False) as sim:
        assert seen == [(False, "Address already in use")]
        assert sim.endpoint_url == f"http://127.0.0.1:{port}"
        assert _connects(port)


def _printed_commands(banner: str) -> list[list[str]]:
    commands = [shlex.split(m.group(1)) for line in banner.splitlines() if (m := COMMAND.match(line))]
    assert commands, banner
    return commands


def _split(command: list[str]) -> tuple[dict[str, str], str, list[str]]:
    """(environment assignments, program, arguments) of one printed command."""
    assignments: dict[str, str] = {}
    while "=" in command[0]:
        name, _, value = command.pop(0).partition("=")
        assignments[name] = value
    return assignments, command[0], command[1:]


# The console's own credential resolution, with the TUI replaced by a probe: it builds the clients
# the console would (tui.aws.clients) and calls the simulator through them.
PROBE = """
import asyncio, json, sys
import tui.app

def probe(settings, *args, **kwargs):
    from tui.aws.clients import ClientFactory

    async def calls():
        factory = ClientFactory(settings.target)
        try:
            sts = await factory.client("sts")
            ec2 = await factory.client("ec2")
            who = await sts.get_caller_identity()
            reply = await ec2.describe_instances()
            count = sum(len(r["Instances"]) for r in reply["Reservations"])
            return {"account": who["Account"], "instances": count, "region": factory.region}
        except Exception as exc:
            return {"error": type(exc).__name__}
        finally:
            await factory.close()

    class App:
        def run(self):
            print("PROBE " + json.dumps(asyncio.run(calls())), flush=True)

    return App()

tui.app.make_app = probe
from tui.cli import main
sys.exit(main(sys.argv[1:]))
"""


def _probe(args: list[str], env: dict[str, str]) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=CALL_DEADLINE_S,
        check=False,
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("PROBE ")]
    assert lines, (done.returncode, done.stdout, done.stderr)
    result: dict[str, Any] = json.loads(lines[-1][len("PROBE ") :])
    return result


def test_every_printed_console_command_resolves_credentials_without_aws_configured(
    first_contact: FirstContact, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    consoles = [c for c in _printed_commands(first_contact.banner) if _split(list(c))[1] == "warroom"]
    assert len(consoles) >= 2, first_contact.banner
    for command in consoles:
        assignments, _, args = _split(list(command))
        assert first_contact.url in args, command
        result = _probe(args, _clean_env(home, tmp_path / "state", **assignments))
        expected = {"account": "123456789012", "instances": first_contact.instances, "region": "us-east-1"}
        assert result == expected, command


def test_the_plain_endpoint_option_still_follows_the_aws_cli_chain(
    first_contact: FirstContact, tmp_path: Path
) -> None:
    """No keys are made up for ``--endpoint-url``: without credentials it fails as the AWS CLI does."""
    home = tmp_path / "home"
    home.mkdir()
    env = _clean_env(home, tmp_path / "state", AWS_EC2_METADATA_DISABLED="true")
    result = _probe(["--endpoint-url", first_contact.url, "--region", "us-east-1"], env)
    assert result == {"error": "NoCredentialsError"}


def test_attach_refuses_what_is_not_a_warroom_simulator(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    port = _free_port()
    done = subprocess.run(
        [sys.executable, "-c", MAIN, "demo", "--attach", f"http://127.0.0.1:{port}"],
        capture_output=True,
        text=True,
        env=_clean_env(home, tmp_path / "state"),
        cwd=ROOT,
        timeout=CALL_DEADLINE_S,
        check=False,
    )
    assert done.returncode != 0
    assert f"--attach http://127.0.0.1:{port}: cannot reach a simulator" in done.stderr


def test_the_printed_aws_cli_environment_reaches_the_simulator(
    first_contact: FirstContact, tmp_path: Path
) -> None:
    """The AWS CLI line's environment, as botocore (the AWS CLI's engine) reads it."""
    home = tmp_path / "home"
    home.mkdir()
    (command,) = [c for c in _printed_commands(first_contact.banner) if _split(list(c))[1] == "aws"]
    assignments, _, args = _split(list(command))
    assert args[:4] == ["--endpoint-url", first_contact.url, "--region", "us-east-1"], args
    assert args[4:] == ["ec2", "describe-instances"]
    code = (
        "import boto3, json, sys; "
        "r = boto3.client('ec2', endpoint_url=sys.argv[1], region_name=sys.argv[2]).describe_instances(); "
        "print(json.dumps(sum(len(x['Instances']) for x in r['Reservations'])))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, args[1], args[3]],
        capture_output=True,
        text=True,
        env=_clean_env(home, tmp_path / "state", **assignments),
        timeout=CALL_DEADLINE_S,
        check=True,
    )
    assert json.loads(done.stdout) == first_contact.instances
