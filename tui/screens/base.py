"""The base of every live pane: header, status line, and a poll loop that never overlaps itself.

The loop: a named exclusive worker runs one poll; when it ends (success or failure) a timer is set
for the next one, so two polls of one pane never run at once. Failures keep the last data on
screen, mark it stale with the reason, and back off.

A poll has a deadline: one still running when the next would be due marks the pane stale with the
call it waits for ("ec2 DescribeInstances has not answered for 40 s"). A poll whose answer lacks some
of its sources (a snapshot's ``errors``) is stale in those parts: the age shown is that of the oldest
source that failed, never the time the poll ran. A backoff never outlasts the fault: while a pane
waits longer than its interval it probes once an interval, and any call that succeeds again brings
every waiting pane's next poll forward to one interval after its last.
"""

from __future__ import annotations

import time
from abc import abstractmethod
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, ClassVar, Generic, Protocol, TypeVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Footer

from tui.aws.clients import CALLER
from tui.aws.errors import AwsProblem, classify
from tui.context import ActivityEvent, PaneContext
from tui.polling import next_delay
from widgets.header import HeaderBar
from widgets.status import StatusLine


class PaneFooter(Footer):
    """Textual's Footer, recomposed only when the keys it shows change, and without its leak.

    Textual recomposes a footer each time its screen is shown again and on each focus change, even
    when the keys are the same: a pane switch then spent most of its time mounting and styling some
    forty new ``FooterKey`` widgets. Here the keys shown (key, action, description, enabled,
    tooltip) are compared with those last composed, and an unchanged footer is left as it is.

    When it does recompose, each new key's ``data_bind(compact=...)`` adds a watcher on this footer
    that Textual prunes only when ``compact`` changes, which it never does here, so a footer in a
    long-lived mode screen kept every key it ever showed alive (about 45 MB per 100 pane switches).
    The watchers of keys already removed are dropped before each compose."""

    _composed: tuple[Any, ...] | None = None

    def _shown(self) -> tuple[Any, ...]:
        shown = tuple(
            (key, binding.key, binding.action, binding.description, enabled, tooltip, binding.group)
            for key, (_, binding, enabled, tooltip) in self.screen.active_bindings.items()
            if binding.show
        )
        return (*shown, self.show_command_palette, self.compact)

    def compose(self) -> ComposeResult:
        watchers: dict[str, list[tuple[Any, Any]]] = getattr(self, "__watchers", {})
        for entries in watchers.values():
            entries[:] = [(node, callback) for node, callback in entries if _alive(node)]
        if self._bindings_ready:
            self._composed = self._shown()
        yield from super().compose()

    def bindings_changed(self, screen: Screen[Any]) -> None:
        self._bindings_ready = True
        if screen.app.app_focus and self.is_attached and screen is self.screen:
            self.call_after_refresh(self._recompose_if_changed)

    async def _recompose_if_changed(self) -> None:
        if self.is_attached and self._shown() != self._composed:
            await self.recompose()


def _alive(node: Any) -> bool:
    return bool(getattr(node, "is_attached", True)) and not getattr(node, "_closing", False)


class Snapshot(Protocol):
    @property
    def fetched_at(self) -> datetime: ...
    @property
    def error(self) -> AwsProblem | None: ...


S = TypeVar("S", bound=Snapshot)


class PaneScreen(Screen[None], Generic[S]):
    """A pane that polls. Subclasses set PANE/TITLE, implement ``fetch`` and ``show``."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("p", "toggle_pause", "Pause"),
        Binding("r", "poll_now", "Refresh"),
    ]

    PANE: ClassVar[str] = ""
    TITLE: ClassVar[str] = ""
    HELP: ClassVar[str] = ""

    class Polled(Message):
        """One poll finished; ``snapshot`` may carry an error."""

        def __init__(self, snapshot: Any) -> None:
            super().__init__()
            self.snapshot = snapshot

        def can_replace(self, message: Message) -> bool:
            return isinstance(message, PaneScreen.Polled)

    def __init__(self, ctx: PaneContext, *, interval: float) -> None:
        super().__init__(name=self.PANE)
        self.ctx = ctx
        self.interval = interval
        self.snapshot: S | None = None
        self.failures = 0
        self.paused = False
        self._timer: Timer | None = None
        self._probe_timer: Timer | None = None
        self._polling = False
        self._poll_started = 0.0
        self._poll_ended = 0.0
        self._overdue = False
        self._unsubscribe: Callable[[], None] | None = None
        self._source_ok_at: dict[str, datetime | None] = {}
        self._last_good_at: datetime | None = None

    # -- layout -------------------------------------------------------------------------------

    def compose_header(self) -> ComposeResult:
        yield HeaderBar()
        yield StatusLine(clock=self.ctx.clock, id="status")

    # -- polling ------------------------------------------------------------------------------

    def on_mount(self) -> None:
        if self.ctx.replay is not None:
            self.query_one(StatusLine).recorded = True
            self.ctx.replay.attach(self)
            return
        self._unsubscribe = self.ctx.factory.on_success(self._aws_answers_again)
        self.set_interval(1.0, self._check_deadline, name=f"deadline-{self.PANE}")
        self.start_poll()

    def on_unmount(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None

    @abstractmethod
    async def fetch(self) -> S:
        """One poll; expected AWS problems go in the snapshot rather than being raised."""

    @abstractmethod
    def show(self, snapshot: S) -> None:
        """Put a good snapshot's data on screen."""

    def show_problem(self, problem: AwsProblem) -> None:
        """A failed poll: the data on screen stays; subclasses may mark affected parts."""

    def start_poll(self) -> None:
        self._stop_timers()
        if self._polling or self.paused or self.ctx.replay is not None:
            return
        self._polling = True
        self._poll_started = time.monotonic()
        self._overdue = False
        status = self.query_one(StatusLine)
        status.polling = True
        status.next_poll_at = None
        self.run_worker(
            self._poll(),
            name=f"poll:{self.PANE}",
            group=f"poll-{self.PANE}",
            description=f"one poll of the {self.TITLE} pane",
            exclusive=True,
            exit_on_error=False,
        )

    async def _poll(self) -> None:
        CALLER.set(self.PANE)  # this worker's own context: its calls are told apart from others'
        try:
            snapshot: Any = await self.fetch()
        except Exception as exc:  # a poll never crashes the console
            snapshot = _Failed(self.ctx.clock(), classify(exc, profile=self.ctx.settings.target.profile))
        self.post_message(self.Polled(snapshot))

    def _check_deadline(self) -> None:
        """Once a second: a poll still running when the next one is due marks the pane stale."""
        if not self._polling:
            return
        waited = time.monotonic() - self._poll_started
        if waited < self.interval:
            return
        call = self.ctx.factory.waiting_for(self.PANE, since=self._poll_started)
        if call is not None:
            what = f"{call.service} {call.operation} has not answered for {int(call.waited())} s"
        else:
            what = f"the {self.TITLE} poll has not answered for {int(waited)} s"
        if not self._overdue:
            self._overdue = True
            self._record("warning", what)
        self.query_one(StatusLine).problem = f"{what} — still waiting; the data shown is from before"

    @on(Polled)
    def _on_polled(self, message: Polled) -> None:
        message.stop()
        self._polling = False
        snapshot = message.snapshot
        self._poll_ended = time.monotonic()
        self._overdue = False
        status = self.query_one(StatusLine)
        status.polling = False
        problem: AwsProblem | None = snapshot.error
        if problem is None:
            if self.failures:
                self._record("info", f"recovered after {self.failures} failed poll(s)")
            self.failures = 0
            self.snapshot = snapshot
            status.fetched_at, status.problem = self._freshness(snapshot)
            self.show(snapshot)
        else:
            self.failures += 1
            if self.failures == 1:
                self._record("warning", problem.one_line())
            status.problem = problem.one_line()
            self.show_problem(problem)
        status.failures = self.failures
        if self.ctx.replay is None and not isinstance(snapshot, _Failed):
            self.ctx.observe(self.PANE, snapshot)
        self._arm()

    def _freshness(self, snapshot: Any) -> tuple[datetime | None, str]:
        """The age and the stale reason of a good poll, from the sources whose data arrived.

        A source (region and API) listed in the snapshot's ``errors`` brought nothing new: the data
        shown is as old as the last poll it answered in (None: it never did).
        """
        errors = tuple(getattr(snapshot, "errors", ()) or ())
        failing: dict[str, Any] = {f"{e.region} {e.api}": e for e in errors}
        for source in list(self._source_ok_at):
            if source not in failing:
                del self._source_ok_at[source]
        for source in failing:
            if source not in self._source_ok_at:
                self._source_ok_at[source] = self._last_good_at
        self._last_good_at = snapshot.fetched_at
        if not failing:
            return snapshot.fetched_at, ""
        first = errors[0]
        operation = first.api.rsplit(":", 1)[-1]
        message = first.message
        if message.startswith(f"{operation}: "):  # "GetMetricData: throttled" under its API's name
            message = message[len(operation) + 2 :]
        reason = f"{first.api}: {message}"
        if first.hint:
            reason += f" — {first.hint}"
        if len(failing) > 1:
            reason += f" (and {len(failing) - 1} more, listed in the pane)"
        ages = [at for at in self._source_ok_at.values() if at is not None]
        if len(ages) < len(failing):
            return None, reason
        return min(ages), reason

    def _arm(self) -> None:
        if self.paused or self.ctx.replay is not None:
            return
        delay = next_delay(self.interval, self.failures, cap=self.ctx.settings.intervals.max_backoff)
        self.query_one(StatusLine).next_poll_at = self.ctx.clock() + timedelta(seconds=delay)
        self._timer = self.set_timer(delay, self.start_poll, name=f"poll-{self.PANE}")
        if delay > self.interval:
            self._probe_timer = self.set_interval(self.interval, self._probe, name=f"probe-{self.PANE}")

    def _stop_timers(self) -> None:
        for timer in (self._timer, self._probe_timer):
            if timer is not None:
                timer.stop()
        self._timer = self._probe_timer = None

    def _probe(self) -> None:
        self.run_worker(
            self.ctx.factory.probe(),
            name=f"probe:{self.PANE}",
            group=f"probe-{self.PANE}",
            description=f"whether AWS answers again, for the {self.TITLE} pane",
            exclusive=True,
            exit_on_error=False,
        )

    def _aws_answers_again(self, service: str) -> None:
        """A call succeeded after failures: a pane waiting out a backoff polls one interval after its last."""
        if not self.failures or self._polling or self.paused or self._timer is None:
            return
        delay = max(0.05, self._poll_ended + self.interval - time.monotonic())
        self._stop_timers()
        self.query_one(StatusLine).next_poll_at = self.ctx.clock() + timedelta(seconds=delay)
        self._timer = self.set_timer(delay, self.start_poll, name=f"poll-{self.PANE}")

    def _record(self, level: str, text: str) -> None:
        self.ctx.record(ActivityEvent(self.ctx.clock(), self.TITLE, level, text))

    # -- actions ------------------------------------------------------------------------------

    def action_toggle_pause(self) -> None:
        if self.ctx.replay is not None:
            self.ctx.replay.toggle_pause()
            return
        self.paused = not self.paused
        status = self.query_one(StatusLine)
        status.paused = self.paused
        if self.paused:
            self._stop_timers()
            status.next_poll_at = None
            self.notify(f"{self.TITLE}: paused; p resumes", timeout=3)
        else:
            self.notify(f"{self.TITLE}: live", timeout=2)
            self.start_poll()

    def action_poll_now(self) -> None:
        if self.ctx.replay is not None:
            self.notify("Replaying a recording: nothing is polled; . steps, [ ] seek", timeout=3)
            return
        if self._polling:
            self.notify("A poll is already running", timeout=2)
            return
        if self.paused:
            self.action_toggle_pause()
            return
        self.start_poll()


class _Failed:
    """Stands in for a snapshot when ``fetch`` itself raised."""

    def __init__(self, fetched_at: datetime, error: AwsProblem) -> None:
        self.fetched_at = fetched_at
        self.error = error
