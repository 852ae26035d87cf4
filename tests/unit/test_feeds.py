"""A pane's feed on its own, with no screen: schedule, backoff, deadline, pause, late subscribers."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest

import tui.feeds.feed as feed_module
from tests.waits import awaited
from tui.aws.errors import AwsProblem, ErrorKind
from tui.aws.outcome import ApiError
from tui.feeds import Feeds, LiveFeed, RecordedFeed, Report, Topic, Update

INTERVAL = 0.1


@dataclass(frozen=True)
class Snap:
    fetched_at: datetime
    value: int = 0
    error: AwsProblem | None = None
    errors: tuple[ApiError, ...] = ()


@dataclass
class Backend:
    listeners: list[Callable[[str], None]] = field(default_factory=list)
    waiting: Any = None
    probes: int = 0

    def waiting_for(self, caller: str, *, since: float = float("-inf")) -> Any:
        return self.waiting

    def on_success(self, listener: Callable[[str], None]) -> Callable[[], None]:
        self.listeners.append(listener)
        return lambda: self.listeners.remove(listener)

    async def probe(self, *, min_gap: float = 1.0) -> bool:
        self.probes += 1
        return False


@dataclass
class Call:
    """A call in flight, as the client factory names it (``waiting_for``)."""

    service: str = "ec2"
    operation: str = "DescribeInstances"
    seconds: float = 40.0

    def waited(self) -> float:
        return self.seconds


def clock() -> datetime:
    return datetime.now(UTC)


def feed_of(fetch: Callable[[], Any], backend: Backend | None = None, **kwargs: Any) -> LiveFeed:
    async def wrapped(progress: Report) -> Any:
        result = fetch()
        return await result if asyncio.iscoroutine(result) else result

    return LiveFeed(
        "limits",
        "Limits",
        wrapped,
        backend=backend or Backend(),
        interval=kwargs.pop("interval", INTERVAL),
        max_backoff=kwargs.pop("max_backoff", 10.0),
        clock=clock,
        **kwargs,
    )


async def until(check: Callable[[], bool], *, within: float = 5.0) -> None:
    deadline = time.monotonic() + within
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {within:g} s: {awaited(check)}")
        await asyncio.sleep(0.01)


async def start_gaps(feed: LiveFeed, starts: list[float], polls: int) -> list[float]:
    """Runs ``feed`` until its fetch has recorded ``polls`` starts; the seconds between them."""
    feed.start()
    try:
        await until(lambda: len(starts) >= polls, within=10.0)
    finally:
        await feed.stop()
    return [b - a for a, b in itertools.pairwise(starts)]


async def test_polls_every_interval_and_publishes_each_snapshot() -> None:
    count = 0

    def fetch() -> Snap:
        nonlocal count
        count += 1
        return Snap(clock(), count)

    feed = feed_of(fetch)
    seen: list[Update] = []
    feed.subscribe(seen.append)
    feed.start()
    try:
        # Three published, not three fetched: a third fetch may still be publishing when it counts.
        await until(lambda: sum(u.kind == "polled" for u in seen) >= 3)
    finally:
        await feed.stop()
    polled = [u.snapshot.value for u in seen if u.kind == "polled"]
    assert polled[:3] == [1, 2, 3]
    assert seen[0].kind == "state" and seen[0].snapshot is None
    assert feed.state.snapshot is not None and not feed.state.problem


async def test_polls_start_an_interval_apart_however_long_each_takes() -> None:
    """Every interval from one poll's start to the next (a poll of 0.3 s every 0.5 s starts every
    0.5 s, not every 0.8 s); a poll longer than the interval is followed after a short gap."""
    starts: list[float] = []

    async def fetch() -> Snap:
        starts.append(time.monotonic())
        await asyncio.sleep(0.3 if len(starts) < 4 else 0.7)
        return Snap(clock(), len(starts))

    gaps = await start_gaps(feed_of(fetch, interval=0.5), starts, 6)
    assert all(0.45 < gap < 0.65 for gap in gaps[:3]), gaps
    assert all(0.7 < gap < 1.3 for gap in gaps[3:5]), gaps


@dataclass(frozen=True)
class FollowedSnap(Snap):
    follow_up: bool = False


async def test_a_poll_that_leaves_part_of_its_reading_to_the_next_is_followed_at_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A snapshot saying it left part of its reading to the next poll (``follow_up``: a re-read on
    demand that left CloudWatch's new minute) brings the next poll a moment later, not an interval
    later; the one after keeps the interval again."""
    monkeypatch.setattr(feed_module, "FOLLOW_UP_S", 0.2)
    starts: list[float] = []

    def fetch() -> FollowedSnap:
        starts.append(time.monotonic())
        return FollowedSnap(clock(), len(starts), follow_up=len(starts) == 2)

    gaps = await start_gaps(feed_of(fetch, interval=1.0), starts, 4)
    assert 0.9 < gaps[0] < 1.3 and 0.15 < gaps[1] < 0.6 and 0.9 < gaps[2] < 1.3, gaps


async def test_a_late_subscriber_gets_the_last_snapshot_at_once() -> None:
    feed = feed_of(lambda: Snap(clock(), 7), interval=60)
    feed.start()
    try:
        await until(lambda: feed.state.snapshot is not None)
        late: list[Update] = []
        feed.subscribe(late.append)
        assert late[0].kind == "state" and late[0].state.snapshot.value == 7
    finally:
        await feed.stop()


async def test_a_failing_poll_backs_off_and_a_success_anywhere_brings_the_next_poll_back() -> None:
    backend = Backend()
    failing = True
    times: list[float] = []

    def fetch() -> Snap:
        times.append(time.monotonic())
        if failing:
            raise RuntimeError("boom")
        return Snap(clock())

    feed = feed_of(fetch, backend)
    feed.start()
    try:
        await until(lambda: feed.state.failures >= 4, within=10)
        assert "RuntimeError" in feed.state.problem or "boom" in feed.state.problem
        gaps = [b - a for a, b in itertools.pairwise(times)]
        assert gaps[-1] > gaps[0] * 2  # backing off
        assert backend.probes >= 1  # a backoff longer than the interval probes meanwhile
        failing = False
        for listener in backend.listeners:
            listener("sts")  # a call elsewhere succeeded
        await until(lambda: feed.state.failures == 0, within=2 * INTERVAL + 1)
    finally:
        await feed.stop()


async def test_a_poll_past_its_interval_says_which_call_it_waits_for() -> None:
    backend = Backend(waiting=Call())
    release = asyncio.Event()
    polls = 0

    async def fetch() -> Snap:
        nonlocal polls
        polls += 1
        if polls > 1:  # the first answers: a later poll has data from before to call stale
            await release.wait()
        return Snap(clock())

    feed = feed_of(fetch, backend, interval=0.05)
    feed.start()
    try:
        await until(lambda: "has not answered" in feed.state.problem, within=3)
        assert feed.state.problem.startswith("ec2 DescribeInstances has not answered for 40 s")
        assert feed.state.polling
        release.set()
        await until(lambda: not feed.state.polling and not feed.state.problem)
    finally:
        await feed.stop()


async def test_a_first_poll_past_its_interval_names_the_call_without_calling_anything_stale() -> None:
    """A fleet's first hour is read over minutes: past the interval, the first poll names the call
    it waits for (``waiting``), but nothing shown is stale, as nothing was read before. Once a poll
    has succeeded, a later one past its interval marks the data stale, as before."""
    backend = Backend(waiting=Call("cloudwatch", "GetMetricData", 35.0))
    releases: list[asyncio.Event] = []

    async def fetch() -> Snap:
        releases.append(asyncio.Event())
        await releases[-1].wait()
        return Snap(clock())

    feed = feed_of(fetch, backend, interval=0.05)
    seen: list[Update] = []
    feed.subscribe(seen.append)
    feed.start()
    try:
        await until(lambda: feed.state.waiting != "", within=3)
        assert feed.state.waiting == "cloudwatch GetMetricData has not answered for 35 s"
        assert feed.state.problem == "" and feed.state.polling
        assert any(u.kind == "overdue" for u in seen)
        releases[0].set()
        await until(lambda: feed.state.snapshot is not None and not feed.state.waiting)
        await until(lambda: "has not answered" in feed.state.problem, within=3)
        assert feed.state.waiting == ""
        assert feed.state.problem.endswith("still waiting; the data shown is from before")
        releases[-1].set()
    finally:
        await feed.stop()


async def test_a_later_poll_handing_over_a_first_read_past_its_interval_is_not_stale() -> None:
    """A fleet that grew (an organization's accounts found after the caller's own was read) has its
    first hour read in a later poll, handed over in parts: past the interval, that poll names the
    call it waits for, not stale data."""
    backend = Backend(waiting=Call("cloudwatch", "GetMetricData", 35.0))
    release = asyncio.Event()
    polls = 0

    async def fetch(progress: Report) -> Snap:
        nonlocal polls
        polls += 1
        if polls == 2:
            progress(1, 1667, Snap(clock(), 1))  # the fleet's latest minutes, while the hour is read
            await release.wait()
        return Snap(clock(), polls)

    feed = LiveFeed("limits", "Limits", fetch, backend=backend, interval=0.05, max_backoff=10.0, clock=clock)
    feed.start()
    try:
        await until(lambda: feed.state.waiting != "", within=3)
        assert feed.state.snapshot is not None and feed.state.snapshot.value == 1
        assert feed.state.problem == "" and feed.state.polling
        release.set()
        await until(lambda: feed.state.snapshot is not None and feed.state.snapshot.value >= 2)
        assert feed.state.waiting == "" and feed.state.problem == ""
    finally:
        await feed.stop()


async def test_pause_stops_polling_and_poll_now_resumes() -> None:
    count = 0

    def fetch() -> Snap:
        nonlocal count
        count += 1
        return Snap(clock())

    feed = feed_of(fetch, interval=0.05)
    feed.start()
    try:
        await until(lambda: count >= 1)
        assert feed.toggle_pause() == "Limits: paused; p resumes"
        await asyncio.sleep(0.1)
        paused_at = count
        await asyncio.sleep(0.3)
        assert count <= paused_at + 1  # a poll under way may finish; no new one starts
        assert feed.poll_now() == "Limits: live"
        await until(lambda: count > paused_at + 1)
    finally:
        await feed.stop()


async def test_a_source_that_failed_keeps_the_age_of_its_last_answer() -> None:
    first = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
    answers = iter(
        [
            Snap(first),
            Snap(
                first.replace(minute=1),
                errors=(ApiError("us-east-1", "cloudwatch:GetMetricData", "throttled"),),
            ),
        ]
    )
    feed = feed_of(lambda: next(answers), interval=60)
    feed.start()
    try:
        await until(lambda: feed.state.snapshot is not None)
        feed.poll_now()
        await until(lambda: bool(feed.state.problem))
    finally:
        await feed.stop()
    assert feed.state.fetched_at == first
    assert feed.state.problem.startswith("cloudwatch:GetMetricData: throttled")


async def test_one_subscribers_fault_does_not_stop_the_others() -> None:
    feed = feed_of(lambda: Snap(clock()), interval=60)
    got: list[Update] = []

    def broken(update: Update) -> None:
        raise ValueError("a bad subscriber")

    feed.subscribe(broken)
    feed.subscribe(got.append)
    feed.start()
    try:
        await until(lambda: any(u.kind == "polled" for u in got))
    finally:
        await feed.stop()


async def test_a_long_first_poll_hands_over_what_it_has_read_but_only_polls_are_observed() -> None:
    gate = asyncio.Event()

    async def fetch(progress: Report) -> Snap:
        progress(1, 100, Snap(clock(), 100))
        progress(2, 200)
        await gate.wait()
        return Snap(clock(), 300)

    feed = LiveFeed(
        "findings", "Findings", fetch, backend=Backend(), interval=60, max_backoff=60, clock=clock
    )
    seen: list[Update] = []
    observed: list[Any] = []
    feed.subscribe(seen.append)
    feeds = Feeds({"findings": feed})
    feeds.observe_polls(lambda pane, snapshot: observed.append(snapshot))
    feed.start()
    try:
        await until(lambda: feed.state.loading == (2, 200))
        progress = [u for u in seen if u.kind == "progress"]
        assert [u.progress for u in progress] == [(1, 100), (2, 200)]
        assert progress[0].snapshot.value == 100 and progress[1].snapshot is None
        # The part read so far is the state's, for a late subscriber, but never its snapshot.
        assert feed.state.partial.value == 100 and feed.state.snapshot is None
        late: list[Update] = []
        feed.subscribe(late.append)
        assert late[0].kind == "state" and late[0].state.partial.value == 100
        assert observed == []
        gate.set()
        await until(lambda: feed.state.snapshot is not None)
        assert feed.state.snapshot.value == 300
        assert feed.state.partial is None and feed.state.loading is None
        assert [s.value for s in observed] == [300]
    finally:
        await feed.stop()


def test_a_recorded_feed_publishes_what_the_recording_holds() -> None:
    toggled: list[str] = []
    feed = RecordedFeed("limits", "Limits", toggle=lambda: toggled.append("p") or "Replay: ⏸ paused")
    got: list[Update] = []
    feed.subscribe(got.append)
    snap = Snap(clock(), 3)
    feed.publish(snap)
    assert got[-1].kind == "polled" and got[-1].snapshot is snap and got[-1].state.recorded
    problem = AwsProblem(ErrorKind.THROTTLED, "throttled", "")
    feed.publish(Snap(clock(), error=problem))
    assert got[-1].kind == "failed" and feed.state.snapshot is snap
    assert feed.toggle_pause() == "Replay: ⏸ paused" and toggled == ["p"]
    assert "nothing is polled" in feed.poll_now()


def test_a_topic_reaches_every_subscriber_until_it_leaves() -> None:
    topic: Topic[int] = Topic("numbers")
    got: list[int] = []
    leave = topic.subscribe(got.append)
    topic.subscribe(lambda n: (_ for _ in ()).throw(ValueError("bad")))
    topic.publish(1)
    leave()
    topic.publish(2)
    assert got == [1]


async def test_poll_again_during_a_poll_reads_once_more_right_after_it() -> None:
    """What a feed reads changed while it polled (the accounts in scope): the answer under way is of
    what was read before, so it polls again at once, not at its next turn."""
    release = asyncio.Event()
    count = 0

    async def fetch() -> Snap:
        nonlocal count
        count += 1
        if count == 1:
            await release.wait()
        return Snap(clock(), count)

    feed = feed_of(fetch, interval=60.0)
    feed.start()
    try:
        await until(lambda: count == 1)
        feed.poll_again()
        release.set()
        await until(lambda: count == 2, within=2.0)
        await asyncio.sleep(0.1)
        assert count == 2, "once more, not in a loop"
        feed.poll_again()  # not polling now: at once
        await until(lambda: count == 3, within=2.0)
    finally:
        await feed.stop()
