"""Shared fixtures: one simulator per test session, and boto3 clients pointed at it.

moto keeps its state in process-wide backends, so every test shares one server. Tests that need a
clean slate work in a region the workload does not use (see ``CLEAN_REGIONS``).

The session simulator takes no faults: a test module that injects faults, plays a scenario or
starts experiments of the seeded templates uses ``own_sim``, a simulator of its own. Only one
seeded simulator can live in a process (moto's backends are shared), so while a module's own one
runs the session one is stopped, and afterwards it is seeded again, as new, on the same port.
"""

from __future__ import annotations

import os
import socket
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
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
# Nor a developer's config file: the consoles and commands the tests run see none unless a test
# writes one and names it.
os.environ["WARROOM_CONFIG"] = os.path.join(os.environ["WARROOM_STATE_DIR"], "no-config.toml")

from tests.shards import SNAPSHOT_PORT  # noqa: E402
from tui.sim.server import SimServer  # noqa: E402

SIM_PORT = int(os.environ.get("WARROOM_TEST_SIM_PORT", SNAPSHOT_PORT))
"""The session simulator's port: the snapshots' one, unless this process is a shard of
tests/shards.py other than the first (which run no snapshot test)."""

# Regions the seeded workload leaves empty; extension tests each take their own.
CLEAN_REGIONS = (
    "eu-west-1",
    "eu-west-2",
    "eu-central-1",
    "ap-southeast-2",
    "ca-central-1",
    "sa-east-1",
    "ap-northeast-2",
)


class _Simulators:
    """The seeded simulators of this process: the session's, and the one a module runs for itself."""

    session: SimServer | None = None
    own: SimServer | None = None


_simulators = _Simulators()


def _refuse_faults(server: SimServer) -> None:
    """Make the session simulator's fault engine refuse to start any fault, loudly."""
    from tui.sim.faults import FaultError

    engine = server.faults
    assert engine is not None, "the session simulator has no fault engine"

    def refuse(fault_id: str, *args: Any, **kwargs: Any) -> Any:
        raise FaultError(
            f"the session simulator takes no faults ({fault_id}): "
            "the test module needs its own simulator (the own_sim fixture of tests/conftest.py)"
        )

    engine.start = refuse  # type: ignore[method-assign]


def _seeded(server: SimServer) -> SimServer:
    """``server`` started and seeded (seed 7), with the frozen clock's metrics."""
    server.start()
    # The frozen clock of the UI tests (tests/helpers.FROZEN) gets its own hour of metrics, so
    # gauges and charts in snapshots are the same whenever the tests run.
    from tests.frozen import FROZEN

    server.workload.write_minutes(FROZEN, 190)
    return server


def _port_of(server: SimServer) -> int:
    return int(server.endpoint_url.rsplit(":", 1)[1])


def _hold(port: int) -> socket.socket:
    """Keep ``port`` from other processes (a listening socket nobody connects to) while the
    session simulator is stopped, so it gets its port back."""
    holder = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    holder.bind(("127.0.0.1", port))
    holder.listen(1)
    return holder


@pytest.fixture(scope="session")
def sim() -> Iterator[SimServer]:
    """The simulator with the seeded workload (seed 7), without the live metric thread; it takes no
    faults (``own_sim`` is for the tests that inject them)."""
    if _simulators.own is not None:
        raise RuntimeError(
            "a test of a module with its own simulator asked for the session one: "
            "override sim and sim_url in that module (see tests/sim/test_faults.py)"
        )
    # A fixed port when free, so the endpoint shown in SVG snapshots is stable.
    try:
        server = _seeded(SimServer(seed=7, live=False, port=SIM_PORT))
    except OSError:
        # The port can fail only once the workload is seeded (another process bound it without
        # listening yet): forget that seeding before seeding again on a port of the system's.
        from tui.sim import extensions

        extensions.reset()
        server = _seeded(SimServer(seed=7, live=False))
    _refuse_faults(server)
    _simulators.session = server
    try:
        yield server
    finally:
        _simulators.session = None
        faulted = [] if server.faults is None else server.faults.faults()
        server.stop()
        assert not faulted, f"the session simulator was faulted: {[r.to_json() for r in faulted]}"


@contextmanager
def own_simulator(start: Callable[[], SimServer]) -> Iterator[SimServer]:
    """A simulator ``start()`` returns started, of the caller's own: the session simulator is
    stopped meanwhile and seeded again, as new, afterwards (moto's backends are one per process)."""
    from tui.sim import extensions

    if _simulators.own is not None:
        raise RuntimeError("another module's own simulator still runs")
    parked = _simulators.session
    holder: socket.socket | None = None
    port = 0
    if parked is not None:
        port = _port_of(parked)
        parked.stop()
        holder = _hold(port)
    extensions.reset()
    try:
        server = start()
    except BaseException:
        extensions.reset()
        if parked is not None and holder is not None:
            holder.close()
            parked.port = port
            _seeded(parked)
            _refuse_faults(parked)
        raise
    _simulators.own = server
    try:
        yield server
    finally:
        _simulators.own = None
        server.stop()
        extensions.reset()
        if parked is not None and holder is not None:
            # The same port, so the session's URL (and every snapshot's endpoint) stays as it was.
            holder.close()
            parked.port = port
            _seeded(parked)
            _refuse_faults(parked)


@pytest.fixture(scope="module")
def own_sim() -> Iterator[SimServer]:
    """A seeded simulator (seed 7, the frozen clock's metrics) of the module's own, which it may
    fault: the session simulator is stopped meanwhile and seeded again, as new, afterwards.

    A module uses it by overriding the session fixtures::

        @pytest.fixture(scope="module")
        def sim(own_sim: SimServer) -> SimServer:
            return own_sim

        @pytest.fixture(scope="module")
        def sim_url(own_sim: SimServer) -> str:
            return own_sim.endpoint_url

    A module that needs a simulator started otherwise (``SimServer(org=True)``) uses
    ``own_simulator`` the same way.
    """
    with own_simulator(lambda: _seeded(SimServer(seed=7, live=False))) as server:
        yield server


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
