"""The activity pane: what the console saw happen, newest last (poll failures, recoveries, identity)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import RichLog

from tui.common.timefmt import zulu_text
from tui.context import ActivityEvent
from tui.feeds import Topic
from tui.screens.base import PaneFooter
from widgets.header import HeaderBar
from widgets.safe import clean

_MARKS = {"info": "·", "warning": "⚠", "error": "✖"}


def event_prefix(event: ActivityEvent) -> Text:
    """When, how bad (a symbol and a word, not colour alone) and which pane."""
    text = Text()
    text.append(zulu_text(event.at) + " ", "dim")
    mark = _MARKS.get(event.level, "·")
    style = {"warning": "bold", "error": "bold reverse"}.get(event.level, "")
    text.append(f"{mark} {event.level:<7}", style)
    text.append(" ")
    text.append(f"{clean(event.pane):<11}", "bold")
    return text


def format_event(event: ActivityEvent) -> Table:
    """One event: its prefix in a column of its own, its text beside it, wrapping under itself (a
    long text never runs back under the time, and stays readable on an 80-column terminal)."""
    grid = Table.grid(padding=(0, 1, 0, 0))
    grid.add_column(no_wrap=True)
    grid.add_column(overflow="fold", ratio=1)
    grid.add_row(event_prefix(event), Text(clean(event.text)))
    return grid


class ActivityScreen(Screen[None]):
    """A scrolling log of the console's own events, kept for the whole run."""

    PANE: ClassVar[str] = "activity"
    TITLE: ClassVar[str] = "Activity"
    HELP: ClassVar[str] = "What the console saw happen: failed polls and why, recoveries, identity."

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j,down", "scroll_down", "Down", show=False),
        Binding("k,up", "scroll_up", "Up", show=False),
        Binding("G,end", "scroll_end", "Newest"),
        Binding("g,home", "scroll_home", "Oldest"),
    ]

    def __init__(
        self, history: Callable[[], Iterable[ActivityEvent]], activity: Topic[ActivityEvent]
    ) -> None:
        super().__init__(name=self.PANE)
        self._history = history
        self._activity = activity
        self._unsubscribe: Callable[[], None] | None = None

    def compose(self) -> ComposeResult:
        yield HeaderBar()
        yield RichLog(markup=False, highlight=False, wrap=True, id="events", max_lines=5000)
        yield PaneFooter()

    def on_mount(self) -> None:
        log = self.query_one(RichLog)
        events = list(self._history())
        if not events:
            log.write(Text("No events yet: failed polls, recoveries and identity changes appear here."))
        for event in events:
            log.write(format_event(event))
        self._unsubscribe = self._activity.subscribe(self.add_event)

    def on_unmount(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None

    def add_event(self, event: ActivityEvent) -> None:
        if self.is_mounted:
            self.query_one(RichLog).write(format_event(event))

    def action_scroll_down(self) -> None:
        self.query_one(RichLog).scroll_down()

    def action_scroll_up(self) -> None:
        self.query_one(RichLog).scroll_up()

    def action_scroll_end(self) -> None:
        self.query_one(RichLog).scroll_end()

    def action_scroll_home(self) -> None:
        self.query_one(RichLog).scroll_home()
