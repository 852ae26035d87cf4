"""The base of every live pane: header, status line, and the pane's feed on screen.

A pane neither polls nor schedules: it subscribes to its feed (``tui.feeds``), which owns the poller
and its schedule, and renders each update that arrives: a new snapshot (``show``), a failed poll
(``show_problem``, the data on screen stays), the progress of a long first load, and the state the
status line shows (age, stale reason, polling, paused, next poll). Keys p and r ask the feed.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Callable
from datetime import datetime
from typing import Any, ClassVar, Generic, Protocol, TypeVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer

from tui.aws.errors import AwsProblem
from tui.context import ActivityEvent, PaneContext
from tui.feeds import Feed, Update
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


class FollowsFeeds:
    """A screen (or any widget) that follows feeds while it is mounted: ``follow`` subscribes, and
    every subscription ends when it is unmounted. A detail screen follows its pane's feed this way,
    so nothing has to find it on the screen stack to update it."""

    def follow(self, feed: Feed, on_snapshot: Callable[[Any], None]) -> None:
        """``on_snapshot(snapshot)``, on this widget's own queue, for each new or amended snapshot."""
        call_later: Callable[..., Any] = self.call_later  # type: ignore[attr-defined]

        def fed(update: Update) -> None:
            if update.kind in ("polled", "amended") and update.snapshot is not None:
                call_later(on_snapshot, update.snapshot)

        self.keep(feed.subscribe(fed))

    def keep(self, unsubscribe: Callable[[], None]) -> None:
        """End this subscription when the widget is unmounted."""
        self.__dict__.setdefault("_subscriptions", []).append(unsubscribe)

    def _on_unmount(self) -> None:
        # Textual calls each class's own handler: a subclass's on_unmount does not replace this one.
        for unsubscribe in self.__dict__.pop("_subscriptions", []):
            unsubscribe()


class Snapshot(Protocol):
    @property
    def fetched_at(self) -> datetime: ...
    @property
    def error(self) -> AwsProblem | None: ...


S = TypeVar("S", bound=Snapshot)


class PaneScreen(Screen[None], Generic[S]):
    """A pane that polls. Subclasses set PANE/TITLE, implement ``fetch`` and ``show``."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("p", "toggle_pause", "Pause", id="pause"),
        Binding("r", "poll_now", "Refresh", id="refresh"),
    ]

    PANE: ClassVar[str] = ""
    TITLE: ClassVar[str] = ""
    HELP: ClassVar[str] = ""

    class Fed(Message):
        """An update from the pane's feed."""

        def __init__(self, update: Update) -> None:
            super().__init__()
            self.update = update

    def __init__(self, ctx: PaneContext, feed: Feed) -> None:
        super().__init__(name=self.PANE)
        self.ctx = ctx
        self.feed = feed
        self.snapshot: S | None = None
        self._unsubscribe: Callable[[], None] | None = None

    @property
    def failures(self) -> int:
        """Polls failed in a row."""
        return self.feed.state.failures

    @property
    def paused(self) -> bool:
        return self.feed.state.paused

    # -- layout -------------------------------------------------------------------------------

    def compose_header(self) -> ComposeResult:
        yield HeaderBar()
        yield StatusLine(clock=self.ctx.clock, id="status")

    # -- the feed -----------------------------------------------------------------------------

    def on_mount(self) -> None:
        self._unsubscribe = self.feed.subscribe(self._fed)
        self.feed.start()

    def on_unmount(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None

    def _fed(self, update: Update) -> None:
        self.post_message(self.Fed(update))

    @abstractmethod
    def show(self, snapshot: S) -> None:
        """Put a good snapshot's data on screen."""

    def show_problem(self, problem: AwsProblem) -> None:
        """A failed poll: the data on screen stays; subclasses may mark affected parts."""

    def show_progress(self, pages: int, found: int) -> None:
        """A long first load is under way: ``pages`` read, ``found`` items so far."""

    def show_partial(self, snapshot: S) -> None:
        """A long first load handed over what it has read so far: the findings' first pages, or the
        places that answered first of a poll over several accounts. Until the first whole snapshot,
        it is shown as the pane's data; later polls hand over none."""
        current = self.snapshot
        if current is None or getattr(current, "partial", False):
            self.snapshot = snapshot
            self.show(snapshot)

    @on(Fed)
    def _on_fed(self, message: Fed) -> None:
        message.stop()
        update = message.update
        state = update.state
        status = self.query_one(StatusLine)
        status.recorded = state.recorded
        status.polling = state.polling
        status.paused = state.paused
        status.next_poll_at = state.next_poll_at
        status.failures = state.failures
        status.fetched_at = state.fetched_at
        status.problem = state.problem
        status.answered = state.answered
        status.waiting = state.waiting
        if update.kind == "answered":
            if update.snapshot is not None:
                self.show_partial(update.snapshot)
        elif update.kind in ("polled", "amended") and update.snapshot is not None:
            self.snapshot = update.snapshot
            self.show(update.snapshot)
        elif update.kind == "failed" and update.error is not None:
            self.show_problem(update.error)
        elif update.kind == "progress" and update.progress is not None:
            if update.snapshot is not None:
                self.show_partial(update.snapshot)
            self.show_progress(*update.progress)
        elif update.kind == "state":
            if state.snapshot is not None:
                self.snapshot = state.snapshot
                self.show(state.snapshot)
                return
            if state.partial is not None:
                self.show_partial(state.partial)
            if state.loading is not None:
                self.show_progress(*state.loading)
            if state.error is not None:
                self.show_problem(state.error)

    def _record(self, level: str, text: str) -> None:
        self.ctx.record(ActivityEvent(self.ctx.clock(), self.TITLE, level, text))

    # -- actions ------------------------------------------------------------------------------

    def action_toggle_pause(self) -> None:
        said = self.feed.toggle_pause()
        if said:
            self.notify(said, timeout=3 if self.feed.state.paused else 2)

    def action_poll_now(self) -> None:
        said = self.feed.poll_now()
        if said:
            self.notify(said, timeout=3)
