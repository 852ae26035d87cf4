"""The fault proxy in front of the session's simulator, and a console pointed at it with short intervals."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.helpers import sim_settings
from tui.app import WarroomApp, make_app
from tui.settings import Intervals
from tui.sim.faultproxy import FaultProxy

#: Every pane polls this often in the fault tests (seconds), so two intervals pass quickly.
INTERVAL = 1.0
INTERVALS = Intervals(
    overview=INTERVAL,
    limits=INTERVAL,
    kinesis=INTERVAL,
    findings=INTERVAL,
    sessions=INTERVAL,
    fis=INTERVAL,
    max_backoff=60.0,
)


@pytest.fixture(scope="module")
def proxy(sim_url: str) -> Iterator[FaultProxy]:
    with FaultProxy(sim_url, seed=14) as running:
        yield running


@pytest.fixture
def clean_proxy(proxy: FaultProxy) -> Iterator[FaultProxy]:
    proxy.clear()
    proxy.reset_counts()
    try:
        yield proxy
    finally:
        proxy.clear()


def faulty_app(proxy: FaultProxy, **overrides: Any) -> WarroomApp:
    """The real console (real clock) against the proxy, every pane polling every ``INTERVAL`` seconds."""
    return make_app(sim_settings(proxy.url, intervals=INTERVALS, **overrides))
