"""The console through the fault proxy: every way AWS misbehaves, with the real app driven by Pilot.

For each fault the Limits pane must stay alive, show no Python on screen, be marked stale with a reason
in words within two poll intervals, answer keys, and show fresh data within one interval (plus the
time one poll takes) after the fault clears, however far its backoff had got.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any

import pytest
from textual.pilot import Pilot

from tests.faults.conftest import INTERVAL, faulty_app
from tests.helpers import open_limits, wait_for_data
from tui.screens.base import PaneScreen
from tui.screens.help import HelpScreen
from tui.sim.faultproxy import FaultProxy
from widgets.status import StatusLine

#: One Limits poll against the simulator, and the retries' backoff of a call, fit in this.
POLL_TIME = 4.0
#: Before the fault clears, failures have pushed the backoff well past the interval.
HOLD = 3 * INTERVAL
#: The probe that finds AWS answering again, and the event loop's lag on a loaded machine.
PROBE_SLACK = 2.0
PYTHON = re.compile(
    r"Traceback|UnicodeDecodeError|JSONDecodeError|ConnectionClosedError|ReadTimeoutError|"
    r"ResponseParserError|EndpointConnectionError|codec can't|\bErrno\b"
)

# (mode, service, delay, words the stale reason must hold: one of them)
MODES: list[tuple[str, str, float, tuple[str, ...]]] = [
    ("throttle", "", 0.0, ("throttled by AWS", "has not answered for")),
    ("http500", "", 0.0, ("server error", "has not answered for")),
    ("http503", "", 0.0, ("server error", "has not answered for")),
    ("reset", "", 0.0, ("closed the connection", "has not answered for")),
    ("denied", "monitoring", 0.0, ("access denied",)),
    ("expired", "", 0.0, ("credentials rejected",)),
    ("garbage", "", 0.0, ("could not be read", "has not answered for")),
    ("truncated", "", 0.0, ("could not be read", "has not answered for")),
    ("slow", "", 6.0, ("has not answered for",)),
]


async def wait_until(pilot: Pilot[Any], until: Callable[[], bool], *, within: float, what: str) -> float:
    """Seconds until ``until()`` holds; fails the test after ``within`` seconds."""
    start = time.monotonic()
    while time.monotonic() - start < within:
        if until():
            return time.monotonic() - start
        await pilot.pause(0.05)
    raise AssertionError(f"{what}: not within {within:.0f} s")


def status_of(pilot: Pilot[Any]) -> tuple[PaneScreen[Any], StatusLine]:
    screen = pilot.app.screen
    assert isinstance(screen, PaneScreen)
    return screen, screen.query_one(StatusLine)


async def assert_keys_answered(pilot: Pilot[Any]) -> None:
    """? opens help and Esc closes it, while the fault lasts."""
    pane = pilot.app.screen
    await pilot.press("question_mark")
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, HelpScreen), within=5, what="? opens help")
    await pilot.press("escape")
    await wait_until(pilot, lambda: pilot.app.screen is pane, within=5, what="Esc closes help")


async def test_every_fault_marks_limits_stale_in_words_and_clears_within_an_interval(
    clean_proxy: FaultProxy,
) -> None:
    proxy = clean_proxy
    app = faulty_app(proxy)
    report: list[str] = []
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_for_data(pilot)
        await open_limits(pilot)
        screen, status = status_of(pilot)
        await wait_until(pilot, lambda: not status.problem, within=10, what="clean data before any fault")
        for mode, service, delay, words in MODES:
            proxy.set(mode, service=service, delay=delay)
            await wait_until(
                pilot,
                lambda words=words: any(w in status.problem for w in words),  # type: ignore[misc]
                within=2 * INTERVAL + POLL_TIME,
                what=f"{mode}: the pane marked stale with {words}",
            )
            shown = status.render().plain
            assert "● live" not in shown, (mode, shown)
            assert not PYTHON.search(shown), (mode, shown)
            await assert_keys_answered(pilot)
            await pilot.pause(HOLD)
            assert not PYTHON.search(status.render().plain), (mode, status.render().plain)
            proxy.clear()
            recovered = await wait_until(
                pilot,
                lambda: not status.problem and screen.failures == 0 and not screen.feed.state.polling,
                within=INTERVAL + POLL_TIME + delay,
                what=f"{mode}: fresh data after the fault cleared",
            )
            assert app.return_code is None and app._exception is None, mode
            report.append(f"{mode}: recovered in {recovered:.1f} s")
    assert len(report) == len(MODES), report


async def test_limits_metrics_are_stale_while_get_metric_data_fails(clean_proxy: FaultProxy) -> None:
    """DescribeInstances answers, every GetMetricData is throttled: not "live", and the age grows."""
    proxy = clean_proxy
    app = faulty_app(proxy)
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_for_data(pilot)
        await open_limits(pilot)
        screen, status = status_of(pilot)
        await wait_until(pilot, lambda: not status.problem, within=10, what="clean data first")
        proxy.set("throttle", service="monitoring")
        before = status.fetched_at
        await wait_until(
            pilot,
            lambda: "GetMetricData" in status.problem,
            within=2 * INTERVAL + POLL_TIME,
            what="metrics marked stale",
        )
        polls_then = proxy.calls["ec2:DescribeInstances"]
        await wait_until(
            pilot,
            lambda: proxy.calls["ec2:DescribeInstances"] > polls_then and not screen.feed.state.polling,
            within=2 * INTERVAL + POLL_TIME,
            what="another poll whose DescribeInstances answered",
        )
        assert screen.failures == 0
        # The status line hears of the poll's end a moment after the feed: a throttled poll that ran
        # past the interval still reads "has not answered" until then.
        await wait_until(
            pilot,
            lambda: status.problem.startswith("cloudwatch:GetMetricData: throttled by AWS"),
            within=POLL_TIME,
            what="the throttled reason on the status line",
        )
        assert status.fetched_at is not None and before is not None
        assert status.fetched_at <= before
        assert "● live" not in status.render().plain
        proxy.clear()
        await wait_until(
            pilot, lambda: not status.problem, within=INTERVAL + POLL_TIME, what="live again after clearing"
        )
        assert status.fetched_at is not None and status.fetched_at > before


async def test_a_poll_past_its_deadline_names_the_call_it_waits_for(clean_proxy: FaultProxy) -> None:
    proxy = clean_proxy
    app = faulty_app(proxy)
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_for_data(pilot)  # the Overview pane describes the instances every poll
        _, status = status_of(pilot)
        await wait_until(pilot, lambda: not status.problem, within=10, what="clean data first")
        proxy.set("slow", service="ec2", delay=8.0)
        await wait_until(
            pilot,
            lambda: "ec2 DescribeInstances has not answered for" in status.problem,
            within=2 * INTERVAL + 1.5,
            what=f"the overdue call named (shown: {status.render().plain!r})",
        )
        assert "polling…" in status.render().plain
        proxy.clear()


async def test_full_throttling_sends_no_more_requests_than_normal(clean_proxy: FaultProxy) -> None:
    proxy = clean_proxy
    app = faulty_app(proxy)
    window = 5 * INTERVAL
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_for_data(pilot)
        await open_limits(pilot)
        await pilot.pause(INTERVAL)
        proxy.reset_counts()
        await pilot.pause(window)
        normal = proxy.total_calls()
        proxy.set("throttle")
        proxy.reset_counts()
        await pilot.pause(window)
        throttled = proxy.total_calls()
        proxy.clear()
    assert normal > 0
    assert throttled <= normal, (throttled, normal, dict(proxy.calls))


@pytest.mark.parametrize("mode", ["expired", "throttle"])
async def test_recovery_after_a_long_backoff_comes_within_an_interval(
    clean_proxy: FaultProxy, mode: str
) -> None:
    """Backoff grown past the interval: the Overview pane (whose polls fail whole) shows fresh data one
    interval after the fault clears."""
    proxy = clean_proxy
    app = faulty_app(proxy)
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_for_data(pilot)
        screen, status = status_of(pilot)
        await wait_until(pilot, lambda: not status.problem, within=10, what="clean data first")
        proxy.set(mode)
        await wait_until(pilot, lambda: screen.failures >= 3, within=60, what="three failed polls")
        proxy.clear()
        feed = screen.feed
        # A poll running as the fault clears may still fail (calls that gave up before): the next one
        # must not wait out the backoff its failures grew, but start within an interval of it.
        if feed.state.polling:
            await wait_until(pilot, lambda: not feed.state.polling, within=60, what="the poll running to end")
        if feed.state.failures:
            await wait_until(
                pilot,
                lambda: feed.state.polling or feed.state.failures == 0,
                within=INTERVAL + PROBE_SLACK,
                what=f"a poll within an interval of clearing (backoff {feed.state.failures} failures deep)",
            )
        await wait_until(
            pilot,
            lambda: screen.failures == 0 and not status.problem,
            within=60,
            what="fresh data from that poll",
        )
