"""The journal pane: everything a game day (or an incident) leaves behind, in time order.

Faults started and ended, threshold crossings the panes detected, new CRITICAL/HIGH findings,
workflow changes, every change this console made, sessions, business services impaired and in
breach, and notes people typed (``n`` anywhere). The same events go to an append-only file.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import Input, Static

from tui.common.timefmt import clock_text, wall_text
from tui.feeds import Topic
from tui.gameday import events as ev
from tui.gameday.events import JournalEvent
from tui.gameday.services import ServiceStatus
from tui.screens.base import PaneFooter
from tui.screens.dialog import Dialog
from widgets.header import HeaderBar
from widgets.safe import clean
from widgets.textline import TextLine
from widgets.vtable import Column, TableRow, VirtualTable

_KIND_LABEL = {
    ev.FAULT_STARTED: "⚡ fault",
    ev.FAULT_ENDED: "⚡ ended",
    ev.DETECTED: "▲ detect",
    ev.RECOVERED: "✓ recover",
    ev.FINDING_NEW: "▲ finding",
    ev.FINDING_WORKFLOW: "· workflow",
    ev.ACTION: "► action",
    ev.SESSION_STARTED: "· session",
    ev.SESSION_ENDED: "· session",
    ev.NOTE: "✎ note",
    ev.SERVICE_IMPAIRED: "⚠ service",
    ev.SERVICE_BREACH: "✖ BREACH",
    ev.SERVICE_RESTORED: "✓ service",
}


def kind_label(kind: str) -> str:
    """What the journal calls an event's kind, with its symbol: ``⚡ fault``, ``✖ BREACH``."""
    return _KIND_LABEL.get(kind, kind)


VIEWS: tuple[tuple[str, str, frozenset[str]], ...] = (
    ("all", "everything", frozenset()),
    (
        "signals",
        "faults, detections and services",
        frozenset(
            {
                ev.FAULT_STARTED,
                ev.FAULT_ENDED,
                ev.DETECTED,
                ev.RECOVERED,
                ev.FINDING_NEW,
                ev.SERVICE_IMPAIRED,
                ev.SERVICE_BREACH,
                ev.SERVICE_RESTORED,
            }
        ),
    ),
    (
        "actions",
        "actions, workflow changes and sessions",
        frozenset(
            {
                ev.ACTION,
                ev.FINDING_WORKFLOW,
                ev.SESSION_STARTED,
                ev.SESSION_ENDED,
            }
        ),
    ),
    ("notes", "notes", frozenset({ev.NOTE})),
)

WIDE = 120
"""From this width the Journal shows who saw each event in a column of its own."""


def columns_for(width: int, *, scenario: bool) -> tuple[Column, ...]:
    """The journal's columns at ``width`` cells: T+ only when a scenario runs; below ``WIDE`` no
    "Seen by" and a narrower resource, so the details keep most of an 80-column line (the detail
    strip under the table shows the selected event's in full)."""
    wide = width >= WIDE
    return (
        Column("at", "UTC", 8),
        *((Column("t", "T+", 8, align="right"),) if scenario else ()),
        Column("kind", "What", 10),
        *((Column("source", "Seen by", 9),) if wide else ()),
        Column("resource", "Resource", 22 if wide else 16),
        Column("text", "Details", 30, flex=True),
    )


COLUMNS = columns_for(WIDE, scenario=True)
"""Every column, as a wide terminal shows them during a scenario."""


class ScenarioClock:
    """Scenario time from the latest fault.started event that says where T+0 was and the speed."""

    def __init__(self) -> None:
        self.start: datetime | None = None
        self.speed = 1.0
        self.name = ""

    def learn(self, event: JournalEvent) -> bool:
        """Take T+0 and the speed from ``event``; True when that changed the clock."""
        if event.kind != ev.FAULT_STARTED:
            return False
        raw = event.detail.get("scenario_start", "")
        if not raw:
            return False
        try:
            start = datetime.fromisoformat(raw)
            speed = float(event.detail.get("speed", "1") or 1)
        except ValueError:
            return False
        if start.tzinfo is None or speed <= 0:
            return False
        learned = (start, speed, event.detail.get("scenario", ""))
        if learned == (self.start, self.speed, self.name):
            return False
        self.start, self.speed, self.name = learned
        return True

    def at(self, moment: datetime) -> str:
        if self.start is None:
            return ""
        return clock_text((moment - self.start).total_seconds() * self.speed)


def services_text(statuses: Sequence[ServiceStatus], now_text: str = "") -> Text:
    """One line: each business service's state, with its timer when impaired (symbols, not colour)."""
    text = Text()
    if not statuses:
        text.append(
            "No business services configured (--services FILE names them with their impact tolerance)"
        )
        return text
    text.append("Services ", "bold")
    for i, status in enumerate(statuses):
        if i:
            text.append(" · ")
        tolerance = clock_text(status.tolerance_s)
        if status.breached:
            text.append(
                f"✖ {clean(status.name)} BREACH {clock_text(status.impaired_s)} > {tolerance}", "bold reverse"
            )
        elif status.impaired_since is not None:
            text.append(
                f"⚠ {clean(status.name)} impaired {clock_text(status.impaired_s)} of {tolerance}", "bold"
            )
        else:
            text.append(f"✓ {clean(status.name)} ok", "")
            if status.total_impaired_s:
                text.append(f" (impaired {clock_text(status.total_impaired_s)} in all)", "dim")
    if now_text:
        text.append(f"  {now_text}", "dim")
    return text


def event_what(event: JournalEvent) -> str:
    """The event's text, with the value against its limit for a crossing."""
    what = clean(event.text)
    if event.value is not None and event.limit is not None and event.kind in (ev.DETECTED, ev.RECOVERED):
        what = f"{what} [{event.value:.4g} vs {event.limit:.4g}{(' ' + event.unit) if event.unit else ''}]"
    return what


def event_row(
    event: JournalEvent, key: str, scenario: ScenarioClock, columns: Sequence[Column] = COLUMNS
) -> TableRow:
    level = {"critical": "critical", "warning": "warn"}.get(event.level, "")
    if event.kind in (ev.RECOVERED, ev.SERVICE_RESTORED):
        level = "ok"
    cells = {
        "at": wall_text(event.at),
        "t": scenario.at(event.at),
        "kind": _KIND_LABEL.get(event.kind, event.kind),
        "source": clean(event.source),
        "resource": clean(event.detail.get("name") or event.resource),
        "text": event_what(event),
    }
    return TableRow(key=key, cells=tuple(cells[c.key] for c in columns), level=level)


def event_strip(event: JournalEvent, scenario: ScenarioClock, width: int = 0) -> Text:
    """The detail strip of the selected event: what, where, who and when on one line (cut to
    ``width`` cells when given), then its whole text."""
    where = [_KIND_LABEL.get(event.kind, event.kind)]
    resource = clean(event.detail.get("name") or event.resource)
    if resource:
        where.append(resource)
    where.append(f"seen by {clean(event.source)}")
    at = wall_text(event.at)
    when = scenario.at(event.at)
    where.append(f"{at} T+{when}" if when else at)
    first = Text(" · ".join(where), "bold")
    hint = " · Enter: every field"
    if width <= 0 or first.cell_len + len(hint) <= width:
        first.append(hint, "dim")
    elif first.cell_len > width:
        first.truncate(width, overflow="ellipsis")
    first.append("\n")
    first.append(event_what(event))
    return first


def event_fields(e: JournalEvent, scenario: str) -> Table:
    """Every field of an event, a label column as wide as the longest label and two cells from its
    value: a value never runs into its label, and a long one wraps under itself."""
    lines = [
        ("When", e.at.isoformat() + (f"  (scenario T+{scenario})" if scenario else "")),
        ("What", e.kind),
        ("Seen by", e.source),
        ("Text", e.text),
        ("Resource", e.resource),
        ("Metric", e.metric),
        ("Value", "" if e.value is None else f"{e.value:g} {e.unit}".strip()),
        ("Limit", "" if e.limit is None else f"{e.limit:g} {e.unit}".strip()),
        ("Fault", e.fault),
        ("Reference", e.ref),
        ("Level", e.level),
        *((f"· {k}", v) for k, v in sorted(e.detail.items())),
    ]
    table = Table.grid(padding=(0, 2, 0, 0))
    table.add_column(style="bold", no_wrap=True)
    table.add_column(overflow="fold")
    for label, value in lines:
        if value:
            table.add_row(Text(clean(label)), Text(clean(value)))
    return table


class EventScreen(Dialog[None]):
    """Every field of one journal event, each label in a column of its own so no value runs into it."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,enter,q", "dismiss", "Close")]
    DEFAULT_CSS = """
    EventScreen > #dialog { border: thick $primary; }
    """

    def __init__(self, event: JournalEvent, scenario: str) -> None:
        super().__init__()
        self.event = event
        self.scenario = scenario

    def compose_top(self) -> ComposeResult:
        yield Static(Text("Journal event", style="bold"))

    def compose_body(self) -> ComposeResult:
        yield Static(event_fields(self.event, self.scenario))

    def prompt(self) -> str:
        return "Esc, Enter or q closes"

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(result)


class JournalNoteScreen(Dialog[str | None]):
    """One line for the journal: Enter keeps it (with the time and your name), Esc drops it."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]
    DEFAULT_CSS = """
    JournalNoteScreen > #dialog { max-width: 100; }
    """

    def __init__(self, author: str, when: str) -> None:
        super().__init__()
        self.author = author
        self.when = when

    def compose_top(self) -> ComposeResult:
        yield Static(Text("✎ Note for the journal", style="bold"))
        yield Static(Text(f"{self.when} · {clean(self.author) or 'unknown author'}", style="dim"))

    def compose_body(self) -> ComposeResult:
        yield Input(placeholder="what you saw, decided or did", id="journal-note", max_length=2000)

    def prompt(self) -> str:
        return "Enter save it to the journal (and the recording) · Esc cancel"

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    @on(Input.Submitted)
    def _submit(self, event: Input.Submitted) -> None:
        text = event.value.strip()
        self.dismiss(text or None)

    def action_cancel(self) -> None:
        self.dismiss(None)


class JournalScreen(Screen[None]):
    """The journal's events in time order, newest last, following new ones while on the last row."""

    PANE: ClassVar[str] = "journal"
    TITLE: ClassVar[str] = "Journal"
    HELP: ClassVar[str] = (
        "The game day's record: faults started and ended (FIS experiments), every threshold crossing a "
        "pane detected (resource, metric, value vs limit) and its recovery, new CRITICAL/HIGH findings, "
        "workflow changes, changes this console made, sessions, business services impaired or in breach "
        "of their impact tolerance, and notes (n, anywhere). T+ is scenario time when a scenario runs. "
        "Everything is also appended to the journal file shown at the top; `warroom report` turns a "
        "recording into the lessons-learned review."
    )

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "filter", "Filter", key_display="/", id="filter"),
        Binding("escape", "clear_filter", "Clear", show=False),
        Binding("f", "next_view", "View", id="view"),
        Binding("enter", "details", "Details", show=False),
    ]

    DEFAULT_CSS = """
    JournalScreen #jr-filter { display: none; height: 1; border: none; padding: 0 1; }
    JournalScreen #jr-filter.shown { display: block; }
    JournalScreen #jr-services, JournalScreen #jr-summary { padding: 0 1; }
    JournalScreen #jr-detail { height: 4; padding: 0 1; border-top: solid $primary 40%; }
    """

    def __init__(
        self,
        history: Callable[[], Sequence[JournalEvent]],
        services: Callable[[], Sequence[ServiceStatus]],
        describe: Callable[[], str],
        journal: Topic[JournalEvent | None],
    ) -> None:
        super().__init__(name=self.PANE)
        self._journal = journal
        self._unsubscribe: Callable[[], None] | None = None
        self._history = history
        self._services = services
        self._describe = describe
        self._entries: list[tuple[str, JournalEvent]] = []
        """Every event with its row key, in time order."""
        self._by_key: dict[str, JournalEvent] = {}
        self._rows: list[TableRow] = []
        """The rows of the events the view and filter show, kept so a new event costs one row."""
        self._serial = 0
        self._scenario = ScenarioClock()
        self._query = ""
        self._view = 0
        self._width = WIDE
        self._columns = columns_for(WIDE, scenario=False)

    def compose(self) -> ComposeResult:
        yield HeaderBar()
        yield TextLine(id="jr-services")
        yield TextLine(id="jr-summary")
        yield Input(placeholder="filter: resource, metric, text…", id="jr-filter")
        yield VirtualTable(self._columns, empty_text="no events yet", id="jr-events")
        yield TextLine(id="jr-detail")
        yield PaneFooter()

    def on_mount(self) -> None:
        self._unsubscribe = self._journal.subscribe(self._journal_event)
        self.reload()
        self.refresh_services()
        self.set_interval(1.0, self.refresh_services, name="journal-services")
        self.query_one(VirtualTable).focus()

    # -- data ---------------------------------------------------------------------------------

    def reload(self) -> None:
        """Read every event again (after a replay seek)."""
        self._entries, self._by_key = [], {}
        self._scenario = ScenarioClock()
        for event in sorted(self._history(), key=lambda e: e.at):
            self._scenario.learn(event)
            self._keep(event)
        self._fill(follow=True)

    def _keep(self, event: JournalEvent) -> int:
        """Store ``event`` in time order (a fault's start, read from FIS, often arrives after what
        it caused); return its position."""
        key = str(self._serial)
        self._serial += 1
        self._by_key[key] = event
        recent = self._entries[-200:]
        index = len(self._entries) - len(recent) + bisect.bisect_right([e.at for _, e in recent], event.at)
        self._entries.insert(index, (key, event))
        return index

    def on_unmount(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None

    def _journal_event(self, event: JournalEvent | None) -> None:
        """One more event, or None: read them all again (a replay seeked backwards)."""
        if event is None:
            self.reload()
        else:
            self.add_event(event)

    def add_event(self, event: JournalEvent) -> None:
        clock_moved = self._scenario.learn(event)
        index = self._keep(event)
        if not self.is_mounted:
            return
        table = self.query_one(VirtualTable)
        follow = not table.rows or table.cursor_index >= len(table.rows) - 1
        if clock_moved or index != len(self._entries) - 1:
            self._fill(follow=follow)
            return
        if self._matches(event):
            self._rows.append(event_row(event, self._entries[index][0], self._scenario, self._columns))
        self._show(follow=follow)

    def _matches(self, event: JournalEvent) -> bool:
        kinds = VIEWS[self._view][2]
        if kinds and event.kind not in kinds:
            return False
        if not self._query:
            return True
        hay = " ".join(
            (
                event.kind,
                event.source,
                event.resource,
                event.metric,
                event.text,
                event.fault,
                event.ref,
                *event.detail.values(),
            )
        ).lower()
        return all(word in hay for word in self._query.lower().split())

    def _fill(self, *, follow: bool) -> None:
        """Every row again (the filter, the view, the width or the scenario clock changed)."""
        columns = columns_for(self._width, scenario=self._scenario.start is not None)
        if columns != self._columns:
            self._columns = columns
            self.query_one(VirtualTable).set_columns(columns)
        self._rows = [
            event_row(event, key, self._scenario, columns)
            for key, event in self._entries
            if self._matches(event)
        ]
        self._show(follow=follow)

    def _show(self, *, follow: bool) -> None:
        rows = self._rows
        table = self.query_one(VirtualTable)
        name, label, _ = VIEWS[self._view]
        table.empty_text = (
            "no events yet: they appear as the panes poll" if not self._entries else f"no {label} match"
        )
        table.set_rows(rows)
        if follow and rows:
            table.action_cursor_last()
        summary = Text()
        summary.append(f"{len(rows):,} of {len(self._entries):,} events", "bold")
        summary.append(f" · view {name} (f)")
        if self._query:
            summary.append(f" · filter “{clean(self._query)}”")
        if self._scenario.start is not None:
            summary.append(
                f" · scenario {clean(self._scenario.name) or '(unnamed)'} at speed {self._scenario.speed:g}"
            )
        described = self._describe()
        if described:
            summary.append(f" · {clean(described)}", "dim")
        self.query_one("#jr-summary", TextLine).update(summary)
        self._show_detail()

    def _show_detail(self) -> None:
        key = self.query_one(VirtualTable).cursor_key
        event = self._by_key.get(key) if key is not None else None
        detail = self.query_one("#jr-detail", TextLine)
        strip = event_strip(event, self._scenario, detail.size.width) if event is not None else Text()
        detail.update(strip)

    @on(VirtualTable.Highlighted, "#jr-events")
    def _highlighted(self) -> None:
        self._show_detail()

    def on_resize(self, event: events.Resize) -> None:
        self._width = event.size.width
        if columns_for(self._width, scenario=self._scenario.start is not None) != self._columns:
            self._fill(follow=False)
        # The strip's first line is cut to its width, known once the screen is laid out again.
        self.call_after_refresh(self._show_detail)

    def refresh_services(self) -> None:
        self.query_one("#jr-services", TextLine).update(services_text(self._services()))

    # -- keys ---------------------------------------------------------------------------------

    def action_filter(self) -> None:
        box = self.query_one("#jr-filter", Input)
        box.add_class("shown")
        box.focus()

    @on(Input.Changed, "#jr-filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self._query = event.value.strip()
        self._fill(follow=True)

    @on(Input.Submitted, "#jr-filter")
    def _filter_done(self) -> None:
        self.query_one(VirtualTable).focus()

    def action_clear_filter(self) -> None:
        box = self.query_one("#jr-filter", Input)
        if box.value:
            box.value = ""
        box.remove_class("shown")
        self.query_one(VirtualTable).focus()

    def action_next_view(self) -> None:
        self._view = (self._view + 1) % len(VIEWS)
        self._fill(follow=True)
        self.notify(f"Journal: {VIEWS[self._view][1]}", timeout=2)

    @on(VirtualTable.Selected, "#jr-events")
    def _selected(self, message: VirtualTable.Selected) -> None:
        message.stop()
        self._open(message.row_key)

    def action_details(self) -> None:
        key = self.query_one(VirtualTable).cursor_key
        if key is not None:
            self._open(key)

    def _open(self, key: str) -> None:
        event = self._by_key.get(key)
        if event is None:
            return
        self.app.push_screen(EventScreen(event, self._scenario.at(event.at)))
