"""The base of every live pane: header, status line, and a poll loop that never overlaps itself.

The loop: a named exclusive worker runs one poll; when it ends (success or failure) a timer is set
for the next one, so two polls of one pane never run at once. Failures keep the last data on
screen, mark it stale with the reason, and back off.
"""

from __future__ import annotations

from abc import abstractmethod
from datetime import datetime, timedelta
from typing import Any, ClassVar, Generic, Protocol, TypeVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Footer

from tui.aws.errors import AwsProblem, classify
from tui.context import ActivityEvent, PaneContext
from tui.polling import next_delay
from widgets.header import HeaderBar
from widgets.status import StatusLine


class PaneFooter(Footer):
    """Textual's Footer, minus its leak: every recompose (each time its screen is shown again, each
    focus change) yields new ``FooterKey`` widgets whose ``data_bind(compact=...)`` adds a watcher
    on this footer, and Textual prunes those watchers only when ``compact`` changes, which it never
    does here. A footer in a long-lived mode screen thus kept every key it ever showed alive (about
    45 MB per 100 pane switches). The watchers of keys already removed are dropped before each
    compose; the footer is otherwise Textual's own."""

    def compose(self) -> ComposeResult:
        watchers: dict[str, list[tuple[Any, Any]]] = getattr(self, "__watchers", {})
        for entries in watchers.values():
            entries[:] = [(node, callback) for node, callback in entries if _alive(node)]
        yield from super().compose()


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
        self._polling = False

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
        self.start_poll()

    @abstractmethod
    async def fetch(self) -> S:
        """One poll; expected AWS problems go in the snapshot rather than being raised."""

    @abstractmethod
    def show(self, snapshot: S) -> None:
        """Put a good snapshot's data on screen."""

    def show_problem(self, problem: AwsProblem) -> None:
        """A failed poll: the data on screen stays; subclasses may mark affected parts."""

    def start_poll(self) -> None:
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        if self._polling or self.paused or self.ctx.replay is not None:
            return
        self._polling = True
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
        try:
            snapshot: Any = await self.fetch()
        except Exception as exc:  # a poll never crashes the console
            snapshot = _Failed(self.ctx.clock(), classify(exc, profile=self.ctx.settings.target.profile))
        self.post_message(self.Polled(snapshot))

    @on(Polled)
    def _on_polled(self, message: Polled) -> None:
        message.stop()
        self._polling = False
        snapshot = message.snapshot
        status = self.query_one(StatusLine)
        status.polling = False
        problem: AwsProblem | None = snapshot.error
        if problem is None:
            if self.failures:
                self._record("info", f"recovered after {self.failures} failed poll(s)")
            self.failures = 0
            self.snapshot = snapshot
            status.fetched_at = snapshot.fetched_at
            status.problem = ""
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

    def _arm(self) -> None:
        if self.paused or self.ctx.replay is not None:
            return
        delay = next_delay(self.interval, self.failures, cap=self.ctx.settings.intervals.max_backoff)
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
            if self._timer is not None:
                self._timer.stop()
                self._timer = None
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
