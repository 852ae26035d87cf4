"""``warroom sim serve`` as teams use it: a shared endpoint that is never seen half seeded.

One simulator process serves the module. Its port is polled from the moment it starts; at the first
TCP connection that succeeds, the workload must already be there.
"""

from __future__ import annotations

import os
import re
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
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=STOP_DEADLINE_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=STOP_DEADLINE_S)
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
