"""A pane's status line: how old its data is, whether it is live, stale or paused, and why."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from rich.text import Text
from textual.dom import NoScreen
from textual.reactive import reactive
from textual.widget import Widget

from tui.common.timefmt import age_text
from widgets.header import shorten
from widgets.safe import clean


def _now() -> datetime:
    return datetime.now(UTC)


class StatusLine(Widget):
    """Shows ``● live · data 12s old · next poll in 18s`` or why the data is stale."""

    DEFAULT_CSS = """
    StatusLine { height: 1; }
    """

    fetched_at: reactive[datetime | None] = reactive(None)
    """When the data on screen was fetched (None: nothing yet)."""
    next_poll_at: reactive[datetime | None] = reactive(None)
    """When the next poll starts (None while one runs or while paused)."""
    polling: reactive[bool] = reactive(False)
    """True while a poll is in flight."""
    paused: reactive[bool] = reactive(False)
    """True when the user paused the pane."""
    problem: reactive[str] = reactive("")
    """Why the last poll failed; empty when it succeeded."""
    failures: reactive[int] = reactive(0)
    """Consecutive failed polls."""
    recorded: reactive[bool] = reactive(False)
    """True when the data comes from a recording being replayed, not from polls."""
    answered: reactive[tuple[int, int, str] | None] = reactive(None)
    """How many of the accounts (or regions) the poll under way has heard from: (done, total, noun)."""
    waiting: reactive[str] = reactive("")
    """The call a first read running past its interval waits for ("" otherwise): shown beside its
    progress, not as a problem."""
    starting: reactive[str] = reactive("")
    """What the console is doing before its first data ("starting the simulator… (seeding the
    fleet)", "reading identity…"); shown until this pane has data."""

    def __init__(
        self,
        *,
        clock: Callable[[], datetime] = _now,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._clock = clock

    def on_mount(self) -> None:
        self.set_interval(1.0, self._tick)

    def _tick(self) -> None:
        """The age moves on: repainted each second while its screen is shown (under a dialog
        too). A pane in the background is repainted whole when it is shown again."""
        try:
            shown = self.screen in self.app.screen_stack
        except NoScreen:
            return
        if shown:
            self.refresh()

    def watch_problem(self, problem: str) -> None:
        self.set_class(bool(problem), "-stale")

    def watch_paused(self, paused: bool) -> None:
        self.set_class(paused, "-paused")

    def _answered(self) -> str:
        """`` 12 of 40 accounts`` while a poll over several places runs ("" otherwise)."""
        if not self.polling or self.answered is None:
            return ""
        done, total, noun = self.answered
        return f" {done} of {total} {noun}"

    def render(self) -> Text:
        now = self._clock()
        text = Text(no_wrap=True, overflow="ellipsis")
        reason = ""
        if self.paused:
            text.append("⏸ paused (p resumes)")
        elif self.problem:
            text.append("⚠ stale: ")
            reason = clean(self.problem)
        elif self.fetched_at is None and self.starting:
            text.append(f"◌ {clean(self.starting)}")
        elif self.fetched_at is None:
            text.append(f"… loading{self._answered()}" if self.polling else "○ waiting for first poll")
        elif self.recorded:
            text.append("⏵ recorded")
        else:
            text.append("● live")
        tail = Text()
        if self.fetched_at is not None:
            tail.append(f" · data {age_text((now - self.fetched_at).total_seconds())} old")
        if self.polling and self.fetched_at is not None:
            tail.append(f" · polling{self._answered()}…")
        elif self.next_poll_at is not None and not self.paused:
            wait = age_text((self.next_poll_at - now).total_seconds())
            label = "retry" if self.problem else "next poll"
            tail.append(f" · {label} in {wait}")
            if self.failures > 1:
                tail.append(f" (failure {self.failures})")
        if self.waiting and self.polling and not reason and not self.paused:
            reason = f" · {clean(self.waiting)}"
        if reason:
            # The reason gives way, never the age or the retry after it.
            room = self.size.width - text.cell_len - tail.cell_len
            text.append(shorten(reason, max(1, room)))
        return text + tail
