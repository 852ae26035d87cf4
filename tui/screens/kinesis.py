"""The Kinesis pane: every stream's iterator age against its retention, shard usage and throttling, the
auto-scaling advice, and the actions that fix them (each asks first)."""

from __future__ import annotations

from typing import Any, ClassVar

from rich.text import Text
from textual import on
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import Input, Static

from tui.aws.errors import AwsProblem
from tui.aws.kinesis import KinesisSnapshot, StreamView
from tui.context import PaneContext
from tui.feeds import Feed
from tui.screens import kinesis_format as fmt
from tui.screens.base import PaneFooter, PaneScreen
from tui.screens.kinesis_actions import ACTION_BINDINGS, StreamActions, stall_style
from tui.screens.listing import FilteredList, api_errors_text
from tui.screens.stream import StreamScreen
from widgets.gauge import Fragment
from widgets.safe import clean
from widgets.vtable import Column, TableRow, VirtualTable


def columns_for(width: int) -> tuple[Column, ...]:
    if width >= 170:
        return (
            Column("name", "STREAM", 16, flex=True),
            Column("mode", "MODE", 5),
            Column("shards", "SHARDS", 6, align="right"),
            Column("ret", "RET", 5, align="right"),
            Column("cons", "CONS", 6, align="right"),
            Column("usage", "USAGE (of shards)", 19),
            Column("driver", "BY", 4),
            Column("age", "ITERATOR AGE vs retention", 26),
            Column("trend", "TREND", 16),
            Column("wthr", "W-THR", 7, align="right"),
            Column("rthr", "R-THR", 6, align="right"),
            Column("put", "PUT THR/FAIL", 12, align="right"),
            Column("get", "GET OK", 7, align="right"),
            Column("advice", "ADVICE", 14),
        )
    if width >= 140:
        return (
            Column("name", "STREAM", 16, flex=True),
            Column("mode", "MODE", 5),
            Column("shards", "SHARDS", 6, align="right"),
            Column("ret", "RET", 5, align="right"),
            Column("cons", "CONS", 6, align="right"),
            Column("usage", "USAGE (of shards)", 19),
            Column("age", "ITERATOR AGE vs retention", 26),
            Column("trend", "TREND", 16),
            Column("wthr", "W-THR", 7, align="right"),
            Column("rthr", "R-THR", 6, align="right"),
            Column("advice", "ADVICE", 14),
        )
    if width >= 110:
        return (
            Column("name", "STREAM", 14, flex=True),
            Column("shards", "SHARDS", 6, align="right"),
            Column("usage", "USAGE", 17),
            Column("age", "ITERATOR AGE", 24),
            Column("trend", "TREND", 14),
            Column("wthr", "W-THR", 6, align="right"),
            Column("advice", "ADVICE", 12),
        )
    return (
        Column("name", "STREAM", 12, flex=True),
        Column("shards", "SH", 3, align="right"),
        Column("usage", "USAGE", 14),
        Column("age", "AGE", 20),
        Column("advice", "ADVICE", 11),
    )


def stall_lines(view: StreamView, app: App[Any]) -> Text:
    """One line per stalled reader: "⏸ stalled: +60 s/min ledger-projector, 5m00s behind"."""
    text = Text()
    for reader in fmt.stalled(view):
        text.append("\n")
        text.append(fmt.stall_word(reader), stall_style(app))
        behind = fmt.precise(None if reader.behind_ms is None else reader.behind_ms / 1000.0)
        text.append(f" {clean(reader.name)}, {behind} behind")
    return text


def row_for(view: StreamView, columns: tuple[Column, ...], pending: str) -> TableRow:
    cells: list[str | list[Fragment]] = []
    for col in columns:
        key = col.key
        if key == "name":
            cells.append(clean(view.stream_name))
        elif key == "mode":
            cells.append("on-d" if view.mode == "ON_DEMAND" else "prov")
        elif key == "shards":
            cells.append(str(view.open_shards) if view.open_shards is not None else fmt.UNKNOWN)
        elif key == "ret":
            cells.append(f"{view.retention_hours}h" if view.retention_hours is not None else fmt.UNKNOWN)
        elif key == "cons":
            cells.append(fmt.consumers(view))
        elif key == "usage":
            cells.append(fmt.usage_gauge(view, col.width))
        elif key == "age":
            cells.append(fmt.age_gauge(view, col.width))
        elif key == "trend":
            cells.append(fmt.trend_cell(view, col.width))
        elif key == "wthr":
            cells.append(fmt.count(view.write_throttled))
        elif key == "rthr":
            cells.append(fmt.count(view.read_throttled))
        elif key == "driver":
            cells.append({"records": "rec", "bytes": "byte"}.get(view.usage_driver or "", fmt.UNKNOWN))
        elif key == "put":
            cells.append(f"{fmt.count(view.put_records_throttled)}/{fmt.count(view.put_records_failed)}")
        elif key == "get":
            cells.append(fmt.count(view.get_records_success))
        elif key == "advice":
            cells.append(fmt.pending_cell(pending, col.width) if pending else fmt.advice_word(view))
        else:
            cells.append("")
    # A stalled reader is critical whatever the age: what it should read piles up unread.
    stuck = bool(fmt.stalled(view))
    worst = "critical" if stuck or "critical" in (view.age_level, view.usage_level) else ""
    if not worst and "warn" in (view.age_level, view.usage_level):
        worst = "warn"
    return TableRow(view.stream_arn or view.stream_name, tuple(cells), level=worst)


class KinesisScreen(StreamActions, FilteredList, PaneScreen[KinesisSnapshot]):
    """Streams, lag against retention, usage against shards, and the fixes."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "filter", "Filter", key_display="/", id="filter"),
        Binding("escape", "clear_filter", "Clear filter", show=False),
        Binding("s", "sort", "Sort", id="sort"),
        Binding("enter", "open", "Open", show=False),
        *ACTION_BINDINGS,
    ]

    FILTER_ID: ClassVar[str] = "kin-filter"
    PLACE_DROPS: ClassVar[tuple[str, ...]] = ("shards", "advice")
    PANE: ClassVar[str] = "kinesis"
    TITLE: ClassVar[str] = "Kinesis"
    HELP: ClassVar[str] = (
        "Each stream's usage factor (max of bytes / 1 MiB and records / 1,000 per shard-second; which "
        "one dominates is named) and its oldest iterator age against retention: ▲ at 50% (data at risk), "
        "✖ at 100% (records expiring). TREND projects the age's recent slope (the last 5 minutes when they "
        "clearly rise or fall, else the last 15): time to 50%/100%, or to catch up; ⏸ stalled when a "
        "reader's lag has grown as fast as time for 3 minutes or more (it reads nothing), with how many "
        "seconds it falls behind each minute. ADVICE follows "
        "aws-samples/kinesis-auto-scaling over 5-minute points: double when usage ≥ 0.75 in 5 of the last 5, "
        "halve when MAX(usage, age minutes x 0.25 / block minutes) < 0.25 in 57 of the last 60; the reason "
        "counts the points and says when there is not enough history yet. "
        "Shift+U/D double or halve the shards, E extends retention, M switches capacity mode; each shows "
        "its exact calls and asks first."
    )

    DEFAULT_CSS = """
    KinesisScreen #kin-summary { height: 1; padding: 0 1; color: $text-muted; }
    KinesisScreen #kin-errors { height: auto; max-height: 4; padding: 0 1; color: $warning; }
    KinesisScreen #kin-filter { display: none; height: 3; margin: 0 1; }
    KinesisScreen #kin-filter.-shown { display: block; }
    KinesisScreen #kin-table { height: 1fr; }
    KinesisScreen #kin-advice { height: auto; max-height: 8; padding: 0 1; border-top: solid $primary 40%; }
    """

    def __init__(self, ctx: PaneContext, feed: Feed) -> None:
        super().__init__(ctx, feed)
        self.needle = ""
        self.sort = 0
        self.pending: dict[str, str] = {}
        self._columns = columns_for(120)

    def compose(self) -> ComposeResult:
        yield from self.compose_header()
        with Vertical(classes="pane-body"):
            yield Static("waiting for the first poll…", id="kin-summary")
            yield Static("", id="kin-errors")
            yield Input(placeholder="filter: stream name, mode or advice", id="kin-filter")
            yield VirtualTable(self._columns, empty_text="no streams yet", id="kin-table")
            yield Static("", id="kin-advice")
        yield PaneFooter()

    def columns_for(self, width: int) -> tuple[Column, ...]:
        return columns_for(width)

    def show(self, snapshot: KinesisSnapshot) -> None:
        for view in snapshot.streams:
            key = fmt.stream_id(view)
            if key in self.pending and fmt.settled(view, self.pending[key]):
                del self.pending[key]
        self._fill()
        self.query_one("#kin-errors", Static).update(api_errors_text(snapshot.errors))

    def show_problem(self, problem: AwsProblem) -> None:
        if self.snapshot is None:
            self.query_one("#kin-summary", Static).update(Text(f"⚠ {problem.message}"))
            self.query_one("#kin-errors", Static).update(Text(f"→ {problem.hint}" if problem.hint else ""))
            self.query_one(VirtualTable).empty_text = f"no data: {problem.message}"

    def after_action(self) -> None:
        self._fill()
        self.set_timer(2.0, self.feed.refresh)

    def sort_choices(self) -> tuple[tuple[str, str], ...]:
        return fmt.SORTS

    def _visible(self) -> list[StreamView]:
        if self.snapshot is None:
            return []
        chosen = [
            v
            for v in self.snapshot.streams
            if fmt.matches(v, self.needle) or self.account_matches(v.account_id)
        ]
        return fmt.sort_views(chosen, fmt.SORTS[self.sort][0])

    def _fill(self) -> None:
        snapshot = self.snapshot
        if snapshot is None:
            return
        self.sync_account_column()
        views = self._visible()
        table = self.query_one(VirtualTable)
        table.empty_text = f"no stream matches {self.needle!r}" if self.needle else "no Kinesis streams here"
        rows = [row_for(v, self._columns, self.pending.get(fmt.stream_id(v), "")) for v in views]
        table.set_rows(self.with_places(rows, views))
        line = fmt.summary(snapshot, len(views)) + f" · sorted {fmt.SORTS[self.sort][1]}"
        if self.needle:
            line += f" · filter {self.needle!r}"
        self.query_one("#kin-summary", Static).update(Text(line))
        self._show_advice()

    def _show_advice(self) -> None:
        view = self.current_stream()
        text = Text()
        if view is not None:
            text.append(clean(view.stream_name), "bold")
            text.append(f"  {fmt.advice_word(view)}: {clean(view.advice_reason or '')}")
            text.append_text(stall_lines(view, self.app))
            for reason in view.reasons:
                text.append(f"\n⚠ {clean(reason)}")
            text.append("\nShift+U double · Shift+D halve · E extend retention · M switch mode · Enter opens")
        self.query_one("#kin-advice", Static).update(text)

    def current_stream(self) -> StreamView | None:
        if self.snapshot is None:
            return None
        key = self.query_one(VirtualTable).cursor_key
        return next((v for v in self.snapshot.streams if (v.stream_arn or v.stream_name) == key), None)

    @on(VirtualTable.Highlighted, "#kin-table")
    def _highlighted(self, event: VirtualTable.Highlighted) -> None:
        self._show_advice()

    def action_open(self) -> None:
        view = self.current_stream()
        if view is not None:
            self._open(view)

    @on(VirtualTable.Selected, "#kin-table")
    def _selected(self, event: VirtualTable.Selected) -> None:
        view = self.current_stream()
        if view is not None:
            self._open(view)

    def open_resource(self, stream_name: str) -> None:
        """Open the stream called ``stream_name`` (an alarm's ``g`` comes here)."""
        snapshot: KinesisSnapshot | None = self.snapshot or self.feed.state.snapshot
        if snapshot is None:
            self.notify("The Kinesis pane has not polled yet: try again in a moment", timeout=4)
            return
        self.snapshot = snapshot
        view = next((v for v in snapshot.streams if stream_name in (v.stream_name, v.stream_arn)), None)
        if view is None:
            self.notify(
                f"{stream_name} is not among the streams the Kinesis pane lists",
                severity="warning",
                timeout=5,
            )
            return
        self.query_one(VirtualTable).move_cursor_to_key(view.stream_arn or view.stream_name)
        self._open(view)

    def _open(self, view: StreamView) -> None:
        if self.snapshot is not None:
            self.app.push_screen(
                StreamScreen(self.ctx, self.feed, self.snapshot, view.stream_arn or view.stream_name, self)
            )
