"""A plain moto server in its own process: none of the simulator's extensions, no seeded workload.

The simulator patches moto's backends process-wide, so a moto server started in the test process
after it would answer with the simulator's code. Tests that must prove a pane is right on data
shaped the way AWS publishes it (metrics written with PutMetricData, gaps and 5-minute points
included) use this one instead: what it answers is moto's own behaviour.

``plain_moto`` is a session fixture (see ``tests/conftest.py``); the server's log goes to a file,
never to the terminal, and every wait has a deadline.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from tests.waits import stop

START_DEADLINE_S = 30.0


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/moto-api/data.json", timeout=1.0):
            return True
    except (urllib.error.URLError, OSError):
        return False


@contextmanager
def plain_moto_server() -> Iterator[str]:
    """Start ``python -m moto.server`` on a free loopback port; yields its endpoint URL."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log = tempfile.NamedTemporaryFile(prefix="plain-moto-", suffix=".log", delete=False)  # noqa: SIM115
    env = dict(os.environ)
    env.pop("MOTO_ACCOUNT_ID", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
    )
    try:
        deadline = time.monotonic() + START_DEADLINE_S
        while not _answers(url):
            if process.poll() is not None:
                raise RuntimeError(f"moto.server exited with {process.returncode}; see {log.name}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"moto.server did not answer within {START_DEADLINE_S:.0f} s")
            time.sleep(0.1)
        yield url
    finally:
        stop(process)
        log.close()


def boto3_factory(url: str, *, role_arn: str = "") -> Callable[..., Any]:
    """``make("ec2", region="us-west-2")``: a boto3 client against ``url`` with the testing keys,
    or with ``role_arn``'s, assumed once (a client in that role's account)."""
    import boto3

    keys = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
    if role_arn:
        sts = boto3.client("sts", region_name="us-east-1", endpoint_url=url, **keys)
        creds = sts.assume_role(RoleArn=role_arn, RoleSessionName="tests")["Credentials"]
        keys = {
            "aws_access_key_id": creds["AccessKeyId"],
            "aws_secret_access_key": creds["SecretAccessKey"],
            "aws_session_token": creds["SessionToken"],
        }

    def make(service: str, region: str = "us-east-1") -> Any:
        return boto3.client(service, region_name=region, endpoint_url=url, **keys)

    return make
