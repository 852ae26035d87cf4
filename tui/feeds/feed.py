"""A pane's feed: its poller on a schedule, each result published to whoever subscribes.

A ``LiveFeed`` runs one poll at a time in a loop of its own (an asyncio task, no Textual): every
interval from a good poll's start (a second after it ends when it took longer), capped exponential
backoff after failed ones. While a poll runs
longer than the interval, the feed says which call it waits for ("ec2 DescribeInstances has not
answered for 40 s"). While it waits out a backoff longer than the interval it probes once an
interval, and any call that succeeds again brings the next poll to one interval after the last, so
a fault that clears is seen within an interval however far the backoff had got. A poll whose
snapshot says it left part of its reading to the next (``follow_up``) is followed a second later.

A poll's age and staleness come from the data that arrived, per source: a source (region and API)
that failed in an otherwise good poll keeps the age of the last poll it answered in.

A ``RecordedFeed`` publishes what a recording holds instead (``warroom replay``).

A long first poll reports its progress (pages, items) as it goes, and may hand over what it has read
so far (a partial snapshot, e.g. the first pages of findings): subscribers show it rather than wait
for the whole poll, but it is never a poll's result (the recorder and the journal's detectors, which
read only polls, never see it).

Subscribers get an ``Update`` (the feed's whole state, and the new snapshot or problem) on every
change; one that subscribes late gets the current state at once. Screens, the recorder and the
journal's detector are subscribers alike.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Literal, Protocol

from tui.aws.clients import CALLER
from tui.aws.errors import AwsProblem, classify
from tui.feeds.polling import next_delay

log = logging.getLogger(__name__)

FOLLOW_UP_S = 1.0
"""How soon a poll that left part of its reading to the next (``follow_up`` on its snapshot) is
followed: a moment for the screen to draw what it brought."""

Kind = Literal[
    "state",
    "polling",
    "progress",
    "answered",
    "polled",
    "amended",
    "failed",
    "overdue",
    "scheduled",
    "paused",
]
"""``polled``: a new snapshot from AWS; ``amended``: the same poll's snapshot with this console's own
change applied at once (the next poll reconciles it); ``state``: sent to a new subscriber."""


@dataclass(frozen=True)
class FeedState:
    """Everything a status line shows about a feed."""

    pane: str
    title: str
    snapshot: Any = None
    """The last good snapshot (None until one arrives)."""
    fetched_at: datetime | None = None
    """When the data shown was fetched: the oldest source that failed since decides."""
    problem: str = ""
    """Why the data is stale, in words ("" when it is fresh)."""
    failures: int = 0
    polling: bool = False
    paused: bool = False
    next_poll_at: datetime | None = None
    recorded: bool = False
    """A recording feeds it: nothing is polled."""
    error: AwsProblem | None = None
    """The last poll's problem when it failed as a whole (None once one succeeds)."""
    loading: tuple[int, int] | None = None
    """Pages read and items found so far by a long poll under way (None when none is)."""
    answered: tuple[int, int, str] | None = None
    """How many of the accounts (or regions) a poll over several has heard from so far: (done,
    total, noun); None when no such poll is under way."""
    partial: Any = None
    """What a long first poll has read so far (its last partial snapshot), until a poll succeeds."""
    waiting: str = ""
    """A first read running past its interval (the feed's first poll, or one handing over what it
    read so far): the call it waits for, in words ("" otherwise). Not a ``problem``: what it reads
    was never shown, so nothing shown is stale for it."""


@dataclass(frozen=True)
class Update:
    kind: Kind
    state: FeedState
    snapshot: Any = None
    """The new good snapshot (``polled``, ``amended``), or what a long first poll has read so far
    (``progress``, when it hands that over)."""
    error: AwsProblem | None = None
    """The failed poll's problem (``failed``)."""
    progress: tuple[int, int] | None = None
    """Pages read and items found so far in a long first poll (``progress``)."""


Subscriber = Callable[[Update], None]


class Report(Protocol):
    """A long poll's progress: pages read, items found so far and, now and then, the partial
    snapshot of what it has read."""

    def __call__(self, pages: int, found: int, partial: Any = None, /) -> None: ...


class Reporter:
    """What a live feed hands its poll: called as a ``Report`` for a long load's pages, and with
    ``places`` (a ``tui.aws.scope.Answered``) as the places of a poll over several answer."""

    def __init__(self, feed: LiveFeed) -> None:
        self._feed = feed

    def __call__(self, pages: int, found: int, partial: Any = None, /) -> None:
        self._feed._progress(pages, found, partial)

    def places(self, done: int, total: int, noun: str, partial: Any = None, /) -> None:
        self._feed._answered(done, total, noun, partial)


Fetch = Callable[[Report], Awaitable[Any]]
"""One poll; given a callback for its progress, returns a snapshot (with ``error``)."""


class Backend(Protocol):
    """What a live feed asks of the AWS client factory."""

    def waiting_for(self, caller: str, *, since: float = ...) -> Any: ...
    def on_success(self, listener: Callable[[str], None]) -> Callable[[], None]: ...
    async def probe(self, *, min_gap: float = ...) -> bool: ...


class Feed:
    """What every feed offers its subscribers."""

    def __init__(self, pane: str, title: str, source: Any = None) -> None:
        self.pane = pane
        self.title = title
        self.source = source
        """The poller behind the feed, for the on-demand reads a pane makes (None for a recording)."""
        self.state = FeedState(pane, title)
        self._subscribers: list[Subscriber] = []

    def subscribe(self, subscriber: Subscriber) -> Callable[[], None]:
        """Call ``subscriber`` with every update from now on, and with the current state at once."""
        self._subscribers.append(subscriber)
        self._deliver(subscriber, Update("state", self.state, snapshot=self.state.snapshot))

        def unsubscribe() -> None:
            with contextlib.suppress(ValueError):
                self._subscribers.remove(subscriber)

        return unsubscribe

    def start(self) -> None:
        """Begin publishing (a live feed polls from now on); starting twice is starting once."""

    async def stop(self) -> None:
        """Stop publishing and forget the subscribers."""
        self._subscribers.clear()

    def toggle_pause(self) -> str:
        """Pause or resume; returns what to tell the user."""
        return ""

    def poll_now(self) -> str:
        """Poll at once (resuming a paused feed); returns what to tell the user ("" for nothing)."""
        return ""

    def refresh(self) -> None:
        """Poll soon, after a change this console made: not while paused, not twice at once."""

    def amend(self, snapshot: Any) -> None:
        """Publish the current snapshot with this console's own change applied (``amended``)."""
        self._set("amended", snapshot=snapshot, snapshot_new=snapshot)

    def _publish(self, update: Update) -> None:
        for subscriber in list(self._subscribers):
            self._deliver(subscriber, update)

    @staticmethod
    def _deliver(subscriber: Subscriber, update: Update) -> None:
        try:
            subscriber(update)
        except Exception:  # one subscriber's fault never stops the feed or the others
            log.exception("a subscriber of the %s feed failed", update.state.pane)

    def _set(self, kind: Kind, **changes: Any) -> Update:
        extra = {k: changes.pop(k) for k in ("snapshot_new", "error", "progress") if k in changes}
        if "last_error" in changes:
            changes["error"] = changes.pop("last_error")
        self.state = replace(self.state, **changes)
        update = Update(
            kind,
            self.state,
            snapshot=extra.get("snapshot_new"),
            error=extra.get("error"),
            progress=extra.get("progress"),
        )
        self._publish(update)
        return update


class RecordedFeed(Feed):
    """A pane's snapshots as a recording holds them, published as the playback reaches them."""

    def __init__(self, pane: str, title: str, *, toggle: Callable[[], str] | None = None) -> None:
        super().__init__(pane, title)
        self.state = replace(self.state, recorded=True)
        self._toggle = toggle

    def publish(self, snapshot: Any) -> None:
        problem: AwsProblem | None = getattr(snapshot, "error", None)
        if problem is None:
            self._set(
                "polled",
                snapshot=snapshot,
                snapshot_new=snapshot,
                fetched_at=snapshot.fetched_at,
                problem=_sources_problem(snapshot),
                failures=0,
                last_error=None,
            )
        else:
            self._set(
                "failed",
                error=problem,
                problem=problem.one_line(),
                failures=self.state.failures + 1,
                last_error=problem,
            )

    def toggle_pause(self) -> str:
        return self._toggle() if self._toggle is not None else ""

    def poll_now(self) -> str:
        return "Replaying a recording: nothing is polled; . steps, [ ] seek"


class _Failed:
    """Stands in for a snapshot when a poll itself raised."""

    def __init__(self, fetched_at: datetime, error: AwsProblem) -> None:
        self.fetched_at = fetched_at
        self.error = error


class LiveFeed(Feed):
    """A pane's poller on its schedule (see the module's description)."""

    def __init__(
        self,
        pane: str,
        title: str,
        fetch: Fetch,
        *,
        backend: Backend,
        interval: float,
        max_backoff: float,
        clock: Callable[[], datetime],
        record: Callable[[str, str, str], None] = lambda title, level, text: None,
        profile: str | None = None,
        source: Any = None,
    ) -> None:
        super().__init__(pane, title, source)
        self.fetch = fetch
        self.backend = backend
        self.interval = interval
        self.max_backoff = max_backoff
        self.clock = clock
        self.record = record
        self.profile = profile
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        self._due = 0.0
        self._poll_started = 0.0
        self._poll_started_at: datetime | None = None
        """The feed's clock when the last poll began (the next is due an interval after)."""
        self._poll_ended = 0.0
        self._overdue = False
        self._handed_over = False
        """The poll under way has handed over what it read so far: a first read, in parts."""
        self._source_ok_at: dict[str, datetime | None] = {}
        self._last_good_at: datetime | None = None
        self._unsubscribe_success: Callable[[], None] | None = None
        self._probes: set[asyncio.Task[bool]] = set()
        self._again = False
        """Poll again as soon as the poll running ends (``poll_again``)."""

    @property
    def started(self) -> bool:
        return self._task is not None

    def start(self) -> None:
        if self._task is not None:
            return
        self._unsubscribe_success = self.backend.on_success(self._aws_answers_again)
        self._task = asyncio.get_running_loop().create_task(self._run(), name=f"feed:{self.pane}")

    async def stop(self) -> None:
        await super().stop()
        if self._unsubscribe_success is not None:
            self._unsubscribe_success()
            self._unsubscribe_success = None
        tasks = [t for t in (self._task, *self._probes) if t is not None]
        self._task = None
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(BaseException):
                await task

    # -- the user's keys ------------------------------------------------------------------------

    def toggle_pause(self) -> str:
        paused = not self.state.paused
        self._set("paused", paused=paused, next_poll_at=None if paused else self.state.next_poll_at)
        self._due = time.monotonic()
        self._wake.set()
        return f"{self.title}: paused; p resumes" if paused else f"{self.title}: live"

    def poll_again(self) -> None:
        """What the feed reads has changed (the accounts or regions in scope): poll now, or as soon as
        the poll running ends, whose answer is of what was read before."""
        if self.state.paused:
            return
        if self.state.polling:
            self._again = True
            return
        self._due = time.monotonic()
        self._wake.set()

    def poll_now(self) -> str:
        if self.state.polling:
            return "A poll is already running"
        if self.state.paused:
            return self.toggle_pause()
        self._due = time.monotonic()
        self._wake.set()
        return ""

    def refresh(self) -> None:
        if not self.state.polling and not self.state.paused:
            self._due = time.monotonic()
            self._wake.set()

    # -- the loop ---------------------------------------------------------------------------------

    async def _run(self) -> None:
        while True:
            if self.state.paused:
                await self._wake.wait()
                self._wake.clear()
                continue
            await self._poll()
            if self.state.paused:
                continue
            if self._again:
                # What to read changed during that poll (the accounts watched): read it again now.
                self._again = False
                continue
            delay = next_delay(self.interval, self.state.failures, cap=self.max_backoff)
            next_poll_at: datetime | None = None
            if not self.state.failures and getattr(self.state.snapshot, "follow_up", False):
                # The poll left part of its reading to the next (a re-read on demand leaves the
                # new minute of metrics), which comes a moment later, not an interval.
                delay = FOLLOW_UP_S
            elif not self.state.failures and self._poll_started_at is not None:
                # Every interval from one poll's start to the next, as long as a poll takes less:
                # a pane polled every 30 s reads at a steady phase (the Limits poller learns when
                # each series publishes from it), not 30 s plus however long its poll took.
                remaining = self._poll_started + delay - time.monotonic()
                if remaining > 0:
                    next_poll_at = self._poll_started_at + timedelta(seconds=delay)
                    delay = remaining
                else:
                    delay = min(1.0, delay)
            if next_poll_at is None:
                next_poll_at = self.clock() + timedelta(seconds=delay)
            self._due = time.monotonic() + delay
            self._set("scheduled", next_poll_at=next_poll_at)
            await self._sleep(probing=delay > self.interval)

    async def _sleep(self, *, probing: bool) -> None:
        """Until the poll is due, woken early by a key or by AWS answering again."""
        self._wake.clear()
        while not self.state.paused:
            remaining = self._due - time.monotonic()
            if remaining <= 0:
                return
            step = min(remaining, self.interval) if probing else remaining
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=step)
            except TimeoutError:
                if probing and self._due - time.monotonic() > 0:
                    self._probe()
            self._wake.clear()

    def _probe(self) -> None:
        task = asyncio.get_running_loop().create_task(self.backend.probe(), name=f"probe:{self.pane}")
        self._probes.add(task)
        task.add_done_callback(self._probes.discard)

    def _aws_answers_again(self, service: str) -> None:
        """A call succeeded after failures: a feed waiting out a backoff polls one interval after its last."""
        if not self.state.failures or self.state.polling or self.state.paused:
            return
        due = max(time.monotonic() + 0.05, self._poll_ended + self.interval)
        if due < self._due:
            self._due = due
            self._set("scheduled", next_poll_at=self.clock() + timedelta(seconds=due - time.monotonic()))
            self._wake.set()

    async def _fetch(self) -> Any:
        CALLER.set(self.pane)  # this task's own context: its calls are told apart from others'
        return await self.fetch(Reporter(self))

    def _progress(self, pages: int, found: int, partial: Any = None) -> None:
        self._handed_over = self._handed_over or partial is not None
        if partial is None:
            self._set("progress", progress=(pages, found), loading=(pages, found))
            return
        self._set(
            "progress",
            progress=(pages, found),
            loading=(pages, found),
            partial=partial,
            snapshot_new=partial,
        )

    def _answered(self, done: int, total: int, noun: str, partial: Any = None) -> None:
        self._handed_over = self._handed_over or partial is not None
        if partial is None:
            self._set("answered", answered=(done, total, noun))
            return
        self._set("answered", answered=(done, total, noun), partial=partial, snapshot_new=partial)

    async def _poll(self) -> None:
        self._poll_started = time.monotonic()
        self._poll_started_at = self.clock()
        self._overdue = False
        self._handed_over = False
        self._set("polling", polling=True, next_poll_at=None)
        task = asyncio.get_running_loop().create_task(self._fetch(), name=f"poll:{self.pane}")
        try:
            while True:
                done, _ = await asyncio.wait({task}, timeout=1.0)
                if done:
                    break
                self._check_deadline()
        except asyncio.CancelledError:
            task.cancel()
            raise
        try:
            snapshot: Any = task.result()
        except Exception as exc:  # a poll never stops the feed
            snapshot = _Failed(self.clock(), classify(exc, profile=self.profile))
        self._poll_ended = time.monotonic()
        self._overdue = False
        problem: AwsProblem | None = snapshot.error
        if problem is None:
            if self.state.failures:
                self.record(self.title, "info", f"recovered after {self.state.failures} failed poll(s)")
            fetched_at, reason = self._freshness(snapshot)
            self._set(
                "polled",
                snapshot=snapshot,
                snapshot_new=snapshot,
                fetched_at=fetched_at,
                problem=reason,
                failures=0,
                polling=False,
                last_error=None,
                loading=None,
                answered=None,
                partial=None,
                waiting="",
            )
        else:
            failures = self.state.failures + 1
            if failures == 1:
                self.record(self.title, "warning", problem.one_line())
            self._set(
                "failed",
                error=problem,
                problem=problem.one_line(),
                failures=failures,
                polling=False,
                last_error=problem,
                loading=None,
                answered=None,
                waiting="",
            )

    def _check_deadline(self) -> None:
        """A poll still running when the next one is due marks the feed stale, naming the call. A
        first read (the feed's first poll, or one that hands over what it read so far: a fleet's
        first hour, read over minutes, when the fleet grew) is not stale data: it names the call it
        waits for beside its progress."""
        waited = time.monotonic() - self._poll_started
        if waited < self.interval:
            return
        call = self.backend.waiting_for(self.pane, since=self._poll_started)
        if call is not None:
            what = f"{call.service} {call.operation} has not answered for {int(call.waited())} s"
        else:
            what = f"the {self.title} poll has not answered for {int(waited)} s"
        first = self.state.snapshot is None or self._handed_over
        if not self._overdue:
            self._overdue = True
            self.record(self.title, "info" if first else "warning", what)
        if first:
            self._set("overdue", waiting=what)
        else:
            self._set("overdue", problem=f"{what} — still waiting; the data shown is from before")

    def _freshness(self, snapshot: Any) -> tuple[datetime | None, str]:
        """The age and the stale reason of a good poll, from the sources whose data arrived.

        A source (region and API) listed in the snapshot's ``errors`` brought nothing new: the data
        shown is as old as the last poll it answered in (None: it never did).
        """
        errors = tuple(getattr(snapshot, "errors", ()) or ())
        failing = {f"{e.region} {e.api}" for e in errors}
        for source in list(self._source_ok_at):
            if source not in failing:
                del self._source_ok_at[source]
        for source in failing:
            if source not in self._source_ok_at:
                self._source_ok_at[source] = self._last_good_at
        self._last_good_at = snapshot.fetched_at
        if not failing:
            return snapshot.fetched_at, ""
        reason = _sources_problem(snapshot)
        ages = [at for at in self._source_ok_at.values() if at is not None]
        if len(ages) < len(failing):
            return None, reason
        return min(ages), reason


def _sources_problem(snapshot: Any) -> str:
    """The stale reason of a snapshot some of whose sources failed ("" when none did)."""
    errors = tuple(getattr(snapshot, "errors", ()) or ())
    if not errors:
        return ""
    first = errors[0]
    operation = first.api.rsplit(":", 1)[-1]
    message = first.message
    if message.startswith(f"{operation}: "):  # "GetMetricData: throttled" under its API's name
        message = message[len(operation) + 2 :]
    reason = f"{first.api}: {message}"
    if first.hint:
        reason += f" — {first.hint}"
    failing = {f"{e.region} {e.api}" for e in errors}
    if len(failing) > 1:
        reason += f" (and {len(failing) - 1} more, listed in the pane)"
    return reason
