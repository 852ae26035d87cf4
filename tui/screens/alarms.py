"""The Alarms pane: every CloudWatch metric and composite alarm, what fires first, why and since when,
whether its actions are muted and what it watches; muting for a rehearsal with a reason and a timer."""

from __future__ import annotations

from dataclasses import replace
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import Input, Static

from tui.aws.alarms import AlarmsSnapshot
from tui.aws.alarms_model import ALARM, STATE_SYMBOL, STATE_WORD, Alarm, short_text
from tui.aws.errors import AwsProblem
from tui.context import PaneContext
from tui.feeds import Feed
from tui.screens import alarms_format as fmt
from tui.screens.alarm import AlarmScreen
from tui.screens.alarms_actions import ACTION_BINDINGS, AlarmActions
from tui.screens.alarms_dialogs import AlarmFacetScreen
from tui.screens.base import PaneFooter, PaneScreen
from tui.screens.listing import FilteredList, api_errors_text
from widgets.safe import clean
from widgets.vtable import Column, VirtualTable

TICK_S = 15.0
"""How often the time in state is redrawn between polls."""


class AlarmsScreen(AlarmActions, FilteredList, PaneScreen[AlarmsSnapshot]):
    """Alarms, ALARM first; Enter opens one, w goes to what it watches, M/U mute and unmute, S sets
    a state for a test."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "filter", "Filter", key_display="/", id="filter"),
        Binding("escape", "back", "Clear", show=False),
        Binding("f", "facets", "Facets", id="facets"),
        Binding("space", "toggle_select", "Select, move down", show=False, id="select"),
        Binding("enter", "open", "Open", show=False),
        *ACTION_BINDINGS,
    ]

    FILTER_ID: ClassVar[str] = "alarms-filter"
    PLACE_DROPS: ClassVar[tuple[str, ...]] = ("actions", "for", "resource")
    PANE: ClassVar[str] = "alarms"
    TITLE: ClassVar[str] = "Alarms"
    HELP: ClassVar[str] = (
        "Every CloudWatch metric and composite alarm: ✖ ALARM first, then ? INSUFFICIENT_DATA, then ✓ OK, "
        "the most recent change first. Each shows its metric (namespace, metric, dimension, statistic, "
        "period) or expression, the condition (comparison, threshold, M of N periods), how long it has been "
        "in its state, its reason, whether its actions are on or ⊘ muted, and what it watches. / filters as "
        "you type, f picks states and muted, space selects several. Enter opens an alarm: its metrics over "
        "3 hours with the threshold and the breaching periods (x), its history and actions. w goes to "
        "what it "
        "watches (an instance or a volume in Limits, a stream in Kinesis). M mutes (DisableAlarmActions, "
        "with a reason and a duration: the header reminds you, the console offers to unmute when it ends), "
        "U unmutes, S sets a state for a test (SetAlarmState); each shows its exact calls and asks first."
    )

    DEFAULT_CSS = """
    AlarmsScreen #alarms-summary { height: 1; padding: 0 1; color: $text-muted; }
    AlarmsScreen #alarms-errors { height: auto; max-height: 4; padding: 0 1; color: $warning; }
    AlarmsScreen #alarms-filter { display: none; height: 3; margin: 0 1; }
    AlarmsScreen #alarms-filter.-shown { display: block; }
    AlarmsScreen #alarms-table { height: 1fr; }
    AlarmsScreen #alarms-detail {
        height: auto; max-height: 6; padding: 0 1; border-top: solid $primary 40%;
        text-wrap: nowrap; text-overflow: ellipsis;
    }
    """

    def __init__(self, ctx: PaneContext, feed: Feed) -> None:
        super().__init__(ctx, feed)
        self.needle = ""
        self.sort = 0
        self.flt = fmt.AlarmFilter()
        self.selected: set[str] = set()
        self._firing: set[str] = set()
        """The alarms in ALARM at the last fill: one new to it is brought into view."""
        self._columns = fmt.columns_for(120)

    def compose(self) -> ComposeResult:
        yield from self.compose_header()
        with Vertical(classes="pane-body"):
            yield Static("waiting for the first poll…", id="alarms-summary")
            yield Static("", id="alarms-errors")
            yield Input(
                placeholder="filter: name, state, metric, resource, reason, muted", id="alarms-filter"
            )
            yield VirtualTable(self._columns, empty_text="no alarms yet", id="alarms-table")
            yield Static("", id="alarms-detail")
        yield PaneFooter()

    def on_mount(self) -> None:
        self.set_interval(TICK_S, self._tick, name="alarms-tick")

    def columns_for(self, width: int) -> tuple[Column, ...]:
        return fmt.columns_for(width)

    # -- the feed -----------------------------------------------------------------------------

    def show(self, snapshot: AlarmsSnapshot) -> None:
        self.selected &= {a.key for a in snapshot.alarms}
        self._fill()
        self.query_one("#alarms-errors", Static).update(api_errors_text(snapshot.errors))

    def show_problem(self, problem: AwsProblem) -> None:
        if self.snapshot is None:
            self.query_one("#alarms-summary", Static).update(Text(f"⚠ {problem.message}"))
            self.query_one("#alarms-errors", Static).update(Text(f"→ {problem.hint}" if problem.hint else ""))
            self.query_one(VirtualTable).empty_text = f"no data: {problem.message}"

    def after_action(self) -> None:
        self._fill()

    def _tick(self) -> None:
        if self.app.screen is self:
            self._fill()

    # -- the list -----------------------------------------------------------------------------

    def _visible(self) -> list[Alarm]:
        if self.snapshot is None:
            return []
        flt = replace(self.flt, text=self.needle)
        faceted = replace(self.flt, text="")
        return [
            a
            for a in self.snapshot.alarms
            if flt.matches(a) or (self.account_matches(a.account_id) and faceted.matches(a))
        ]

    def _fill(self) -> None:
        snapshot = self.snapshot
        if snapshot is None:
            return
        now = self.ctx.clock()
        self.sync_account_column()
        shown = self._visible()
        table = self.query_one(VirtualTable)
        narrowed = self.needle or self.flt.facets_text
        table.empty_text = "no alarm matches the filter" if narrowed else "no CloudWatch alarms here"
        book = self.ctx.mutes
        rows = [
            fmt.row_for(a, self._columns, now, selected=a.key in self.selected, mute=fmt.mute_of(book, a))
            for a in shown
        ]
        table.set_rows(self.with_places(rows, shown))
        firing = {a.key for a in shown if a.state == ALARM}
        if firing - self._firing and table.cursor_index < table.body.size.height:
            # An alarm that just fired sorts to the top: the list keeps its cursor on the same alarm
            # but shows the top, where the new one is, when the cursor stays on screen.
            table.body.scroll_to(y=0, animate=False, force=True)
        self._firing = firing
        line = fmt.summary(snapshot, len(shown))
        if self.flt.facets_text:
            line += f" · {self.flt.facets_text}"
        if self.needle:
            line += f" · filter {self.needle!r}"
        if self.selected:
            line += f" · {len(self.selected)} selected"
        self.query_one("#alarms-summary", Static).update(Text(line))
        self._show_detail()

    def _show_detail(self) -> None:
        """The selected alarm in five lines: state and name, its reason (two lines at most), its
        condition, and the keys that act on it."""
        alarm = self.current_alarm()
        text = Text(no_wrap=True, overflow="ellipsis")
        if alarm is not None:
            now = self.ctx.clock()
            width = max(20, self.size.width - 2)
            text.append(
                f"{STATE_SYMBOL.get(alarm.state, '?')} {STATE_WORD.get(alarm.state, alarm.state)} ", "bold"
            )
            text.append(clean(alarm.name), "bold")
            text.append(f" · {fmt.in_state(alarm, now)} in state")
            if alarm.muted:
                text.append(f" · ⊘ {clean(fmt.mute_text(fmt.mute_of(self.ctx.mutes, alarm), now))}")
            for line in fmt.reason_lines(alarm.state_reason, width, 2):
                text.append(f"\n{line}")
            text.append(f"\n{clean(short_text(alarm))}")
            pane = fmt.PANES_OF.get(alarm.resource.kind, "") if alarm.resource is not None else ""
            keys = "Enter opens · space selects · M/U mute/unmute · S set state" + (
                f" · w {pane}" if pane else ""
            )
            text.append(f"\n{keys}", "dim")
        self.query_one("#alarms-detail", Static).update(text)

    def current_alarm(self) -> Alarm | None:
        if self.snapshot is None:
            return None
        key = self.query_one(VirtualTable).cursor_key
        return next((a for a in self.snapshot.alarms if a.key == key), None)

    def chosen_alarms(self) -> list[Alarm]:
        """The selected alarms, else the one under the cursor."""
        if self.snapshot is None:
            return []
        if self.selected:
            return [a for a in self.snapshot.alarms if a.key in self.selected]
        current = self.current_alarm()
        return [current] if current is not None else []

    @on(VirtualTable.Highlighted, "#alarms-table")
    def _highlighted(self, event: VirtualTable.Highlighted) -> None:
        self._show_detail()

    # -- keys ---------------------------------------------------------------------------------

    def action_back(self) -> None:
        box = self.query_one(f"#{self.FILTER_ID}", Input)
        if box.has_class("-shown") or self.needle:
            self.action_clear_filter()
        elif self.selected:
            self.selected.clear()
            self._fill()
        elif self.flt.facets_text:
            self.flt = fmt.AlarmFilter()
            self._fill()

    def action_toggle_select(self) -> None:
        alarm = self.current_alarm()
        if alarm is None:
            return
        self.selected ^= {alarm.key}
        self._fill()
        self.query_one(VirtualTable).action_cursor_down()

    def action_facets(self) -> None:
        snapshot = self.snapshot
        if snapshot is None:
            self.notify("Wait for the first poll", severity="warning", timeout=2)
            return

        def chosen(flt: fmt.AlarmFilter | None) -> None:
            if flt is not None:
                self.flt = flt
                self._fill()

        self.app.push_screen(AlarmFacetScreen(snapshot.alarms, self.flt), chosen)

    def action_open(self) -> None:
        alarm = self.current_alarm()
        if alarm is not None:
            self._open(alarm)

    @on(VirtualTable.Selected, "#alarms-table")
    def _selected(self, event: VirtualTable.Selected) -> None:
        self.action_open()

    def _open(self, alarm: Alarm) -> None:
        if self.snapshot is not None:
            self.app.push_screen(AlarmScreen(self.ctx, self.feed, self.snapshot, alarm.key))
