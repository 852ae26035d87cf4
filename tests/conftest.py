"""Shared fixtures: one simulator per test session, and boto3 clients pointed at it.

moto keeps its state in process-wide backends, so every test shares one server. Tests that need a
clean slate work in a region the workload does not use (see ``CLEAN_REGIONS``).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator
from typing import Any

import pytest

# No test may ever reach real AWS or read a developer's profile.
for _var in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "AWS_SECURITY_TOKEN"):
    os.environ.pop(_var, None)
os.environ["AWS_ACCESS_KEY_ID"] = "testing"
os.environ["AWS_SECRET_ACCESS_KEY"] = "testing"
os.environ["AWS_DEFAULT_REGION"] = "us-east-1"
os.environ["AWS_CONFIG_FILE"] = os.devnull
os.environ["AWS_SHARED_CREDENTIALS_FILE"] = os.devnull
os.environ["AWS_EC2_METADATA_DISABLED"] = "true"
# Logs and the audit log of the consoles the tests run go to a throwaway directory.
os.environ["WARROOM_STATE_DIR"] = tempfile.mkdtemp(prefix="warroom-tests-")

from tui.sim.server import SimServer  # noqa: E402

SNAPSHOT_PORT = 47011

# Regions the seeded workload leaves empty; extension tests each take their own.
CLEAN_REGIONS = ("eu-west-1", "eu-west-2", "eu-central-1", "ap-southeast-2", "ca-central-1", "sa-east-1")


@pytest.fixture(scope="session")
def sim() -> Iterator[SimServer]:
    """The simulator with the seeded workload (seed 7), without the live metric thread."""
    # A fixed port when free, so the endpoint shown in SVG snapshots is stable.
    try:
        server = SimServer(seed=7, live=False, port=SNAPSHOT_PORT).start()
    except OSError:
        server = SimServer(seed=7, live=False).start()
    # The frozen clock of the UI tests (tests/helpers.FROZEN) gets its own hour of metrics, so
    # gauges and charts in snapshots are the same whenever the tests run.
    from tests.frozen import FROZEN

    server.workload.write_minutes(FROZEN, 190)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def sim_url(sim: SimServer) -> str:
    return sim.endpoint_url


@pytest.fixture
def client(sim_url: str) -> Callable[..., Any]:
    """``client("ec2", region="eu-west-1")``: a boto3 client against the simulator."""
    from tests.plain_moto import boto3_factory

    return boto3_factory(sim_url)


@pytest.fixture(scope="session")
def plain_moto_url() -> Iterator[str]:
    """A moto server in its own process, without the simulator's extensions (``tests.plain_moto``)."""
    from tests.plain_moto import plain_moto_server

    with plain_moto_server() as url:
        yield url
