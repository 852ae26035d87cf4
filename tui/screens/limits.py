"""The Limits pane: every instance's network and EBS traffic against its type's limits, and the
volume that binds; Enter opens an instance with its volumes and charts."""

from __future__ import annotations

from typing import ClassVar

from rich.style import Style
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Input, Static

from tui.aws.errors import AwsProblem
from tui.aws.limits import InstanceView, LimitsPoller, LimitsSnapshot
from tui.context import PaneContext
from tui.feeds import Feed
from tui.screens import limits_format as fmt
from tui.screens.base import PaneFooter, PaneScreen
from tui.screens.instance import InstanceScreen
from tui.screens.listing import FilteredList, account_names, several_accounts
from widgets.gauge import Fragment, to_text
from widgets.safe import clean
from widgets.vtable import Column, LazyRows, TableRow, VirtualTable

GAUGE_WIDE = 20
GAUGE_NARROW = 13


def columns_for(width: int) -> tuple[Column, ...]:
    """Which columns fit: all of them from 150 cells, the gauges and name from 80."""
    if width >= 150:
        return (
            Column("name", "NAME", 16, flex=True),
            Column("id", "INSTANCE", 19),
            Column("type", "TYPE", 11),
            Column("state", "STATE", 7),
            Column("net", "NETWORK vs baseline", GAUGE_WIDE),
            Column("ebs", "EBS vs ceiling", GAUGE_WIDE),
            Column("vol", "BUSIEST VOLUME", GAUGE_WIDE),
            Column("bind", "CAP", 7),
            Column("mem", "MEM", 4, align="right"),
            Column("disk", "DISK", 4, align="right"),
            Column("ena", "ENA", 9),
            Column("trend", "TREND", 10),
        )
    if width >= 110:
        return (
            Column("name", "NAME", 14, flex=True),
            Column("type", "TYPE", 10),
            Column("net", "NETWORK", GAUGE_WIDE - 2),
            Column("ebs", "EBS", GAUGE_WIDE - 2),
            Column("vol", "BUSIEST VOLUME", GAUGE_WIDE - 2),
            Column("bind", "CAP", 7),
            Column("mem", "MEM", 4, align="right"),
            Column("trend", "TREND", 8),
        )
    return (
        Column("name", "NAME", 12, flex=True),
        Column("type", "TYPE", 9),
        Column("net", "NET", GAUGE_NARROW),
        Column("ebs", "EBS", GAUGE_NARROW),
        Column("vol", "VOLUME", GAUGE_NARROW),
        Column("bind", "CAP", 7),
    )


def row_for(view: InstanceView, columns: tuple[Column, ...]) -> TableRow:
    cells: list[str | list[Fragment]] = []
    # Without a STATE column, a stopped instance says so where its network gauge would be.
    state_shown = any(c.key == "state" for c in columns)
    for col in columns:
        key = col.key
        if key == "name":
            cells.append(clean(view.name) or "(no Name tag)")
        elif key == "id":
            cells.append(view.instance_id)
        elif key == "type":
            cells.append(view.instance_type)
        elif key == "state":
            cells.append(view.state)
        elif key == "net":
            running = view.state == "running"
            cells.append(fmt.net_gauge(view, col.width) if running else "" if state_shown else view.state)
        elif key == "ebs":
            cells.append(fmt.ebs_gauge(view, col.width) if view.state == "running" else "")
        elif key == "vol":
            cells.append(fmt.volume_gauge(view, col.width) if view.state == "running" else "")
        elif key == "bind":
            cells.append(fmt.binding_word(view))
        elif key == "mem":
            cells.append(fmt.agent_pct(view.memory_used_pct))
        elif key == "disk":
            cells.append(fmt.agent_pct(view.disk_used_pct))
        elif key == "ena":
            cells.append(fmt.ena_word(view))
        elif key == "trend":
            cells.append(fmt.trend(view, col.width))
        else:
            cells.append("")
    return TableRow(view.instance_id, tuple(cells), level=fmt.level_of(view))


class LimitsScreen(FilteredList, PaneScreen[LimitsSnapshot]):
    """Instances against their limits, with hints and the account's vCPU quota."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "filter", "Filter", key_display="/", id="filter"),
        Binding("escape", "clear_filter", "Clear filter", show=False),
        Binding("s", "sort", "Sort", id="sort"),
        Binding("enter", "open", "Open", show=False),
        Binding("h", "toggle_hints", "Hints", id="hints"),
    ]

    FILTER_ID: ClassVar[str] = "limits-filter"
    PLACE_DROPS: ClassVar[tuple[str, ...]] = ("type", "bind", "vol")
    PANE: ClassVar[str] = "limits"
    TITLE: ClassVar[str] = "Limits"
    HELP: ClassVar[str] = (
        "Each instance's network (against its baseline bandwidth), EBS traffic (against the ceiling in "
        "force: its maximum while burst balance lasts, its baseline after) and its busiest volume (against "
        "min(volume limit, instance limit); CAP says which binds). ▲ warns, ✖ is critical, ? is unknown "
        "with the reason in the instance view. Enter opens an instance: its volumes, charts and hints."
    )

    DEFAULT_CSS = """
    LimitsScreen #limits-summary { height: 1; padding: 0 1; color: $text-muted; }
    LimitsScreen #limits-quota { height: auto; padding: 0 1; }
    LimitsScreen #limits-errors { height: auto; max-height: 4; padding: 0 1; color: $warning; }
    LimitsScreen #limits-filter { display: none; height: 3; margin: 0 1; }
    LimitsScreen #limits-filter.-shown { display: block; }
    LimitsScreen #limits-table { height: 1fr; }
    LimitsScreen #limits-hints-box { height: auto; max-height: 25%; border-top: solid $primary 40%; }
    LimitsScreen #limits-hints-box.-hidden { display: none; }
    LimitsScreen #limits-hints { padding: 0 1; }
    """

    def __init__(self, ctx: PaneContext, feed: Feed) -> None:
        super().__init__(ctx, feed)
        self.poller: LimitsPoller | None = feed.source
        self.needle = ""
        self.sort = 0
        self._columns = columns_for(120)
        self._hint_lines: list[tuple[str, str]] | None = None
        """The hints shown: (subject, text) each."""
        self._rows: dict[str, tuple[InstanceView, TableRow]] = {}
        """The rows last shown, by instance, with the view each was made from."""
        self._rows_columns: tuple[Column, ...] | None = None
        """The columns those rows were made for."""
        self._rows_loading = False
        """The rows shown are a first poll's, still being filled."""

    def compose(self) -> ComposeResult:
        yield from self.compose_header()
        with Vertical(classes="pane-body"):
            yield Static("waiting for the first poll…", id="limits-summary")
            yield Static("", id="limits-quota")
            yield Static("", id="limits-errors")
            yield Input(placeholder="filter: name, id, type, tag or key=value", id="limits-filter")
            yield VirtualTable(self._columns, empty_text="no instances yet", id="limits-table")
            with VerticalScroll(id="limits-hints-box"):
                yield Static("", id="limits-hints")
        yield PaneFooter()

    def columns_for(self, width: int) -> tuple[Column, ...]:
        return columns_for(width)

    # -- the feed -----------------------------------------------------------------------------

    def show(self, snapshot: LimitsSnapshot) -> None:
        self._fill()
        self._show_quotas(snapshot)
        self._show_errors(snapshot)
        self._show_hints(snapshot)

    def show_partial(self, snapshot: LimitsSnapshot) -> None:
        """A first poll's fleet, then its latest minutes, while its hour of history is read; so too
        when places are added (the organization's accounts, learned after a first poll of the
        credential's own): the fleet grown, until that poll ends."""
        shown = self.snapshot
        grown = snapshot.listed_only and (shown is None or len(snapshot.instances) > len(shown.instances))
        if shown is None or shown.loading or grown:
            self.snapshot = snapshot
            self.show(snapshot)

    def show_problem(self, problem: AwsProblem) -> None:
        if self.snapshot is None:
            self.query_one("#limits-summary", Static).update(Text(f"⚠ {problem.message}"))
            self.query_one("#limits-errors", Static).update(Text(f"→ {problem.hint}" if problem.hint else ""))
            self.query_one(VirtualTable).empty_text = f"no data: {problem.message}"

    def sort_choices(self) -> tuple[tuple[str, str], ...]:
        return fmt.SORTS

    def _visible(self) -> list[InstanceView]:
        snapshot = self.snapshot
        if snapshot is None:
            return []
        chosen = [
            v for v in snapshot.instances if fmt.matches(v, self.needle) or self.account_matches(v.account_id)
        ]
        return fmt.sort_views(chosen, fmt.SORTS[self.sort][0])

    def _fill(self) -> None:
        snapshot = self.snapshot
        if snapshot is None:
            return
        self.sync_account_column()
        views = self._visible()
        table = self.query_one(VirtualTable)
        table.empty_text = f"no instance matches {self.needle!r}" if self.needle else "no instances in view"
        # Rows are made as the table draws them (a 2,000-instance fleet shows a screenful), and a view
        # the poller kept (its series unchanged) keeps the row made of it.
        columns = self._columns
        kept = self._rows if self._rows_columns is columns else {}
        made: dict[str, tuple[InstanceView, TableRow]] = {}
        index = {view.instance_id: n for n, view in enumerate(views)}

        def make(n: int) -> TableRow:
            view = views[n]
            hit = kept.get(view.instance_id)
            if hit is not None and hit[0] is view:
                row = hit[1]
            else:
                (row,) = self.with_places([row_for(view, columns)], [view])
            made[view.instance_id] = (view, row)
            return row

        self._rows, self._rows_columns = made, columns
        # A cursor left at the top of rows a first poll was still filling stays at the top: the
        # busiest instance once measured, not the row that was first while the gauges were unknown.
        top = self._rows_loading and table.cursor_index == 0
        table.set_rows(LazyRows(len(views), lambda n: views[n].instance_id, make, index.get))
        if top and views:
            table.action_cursor_first()
        self._rows_loading = snapshot.loading
        sort_word = fmt.SORTS[self.sort][1]
        line = fmt.summary(snapshot, len(views)) + f" · sorted {sort_word}"
        if self.needle:
            line += f" · filter {self.needle!r}"
        # First on the line, which 80 columns crop: why the gauges are unknown or the trends short.
        if snapshot.listed_only:
            line = "reading the latest minutes… · " + line
        elif snapshot.loading:
            line = "reading the last hour… · " + line
        self.query_one("#limits-summary", Static).update(Text(line))

    def _show_quotas(self, snapshot: LimitsSnapshot) -> None:
        styles = self._styles()
        text = Text()
        shown, more = fmt.quotas_shown(snapshot.quotas)
        names = account_names(self) if several_accounts(self) else {}
        for n, quota in enumerate(shown):
            label, bar, detail = fmt.quota_line(quota, names.get(quota.account_id, ""))
            if n:
                text.append("\n")
            text.append(f"{label:<22} ", styles.get("muted"))
            text.append_text(to_text(bar, styles))
            text.append(f"  {clean(detail)}")
        if more:
            text.append(
                f"\n… {more} more vCPU quota lines, less used (one per account and region)",
                styles.get("muted"),
            )
        self.query_one("#limits-quota", Static).update(text)

    def _show_errors(self, snapshot: LimitsSnapshot) -> None:
        text = Text()
        for n, err in enumerate(snapshot.errors):
            if n:
                text.append("\n")
            text.append(f"⚠ {err.api} ({err.region}): {clean(err.message)}")
            if err.hint:
                text.append(f" → {clean(err.hint)}")
        self.query_one("#limits-errors", Static).update(text)

    def _show_hints(self, snapshot: LimitsSnapshot) -> None:
        subjects = fmt.hint_subjects(snapshot)
        lines = [(subjects.get(h.resource_id, h.resource_id), h.text) for h in snapshot.hints]
        if lines == self._hint_lines:
            return  # the same hints (they are worked out every few minutes): nothing to lay out again
        self._hint_lines = lines
        text = Text()
        text.append(f"Right-sizing hints ({len(lines)})", "bold")
        if snapshot.loading:
            text.append("  once the last hour is read…")
        elif not lines:
            text.append("  none: nothing stays idle or over-provisioned in the watched window")
        for subject, words in lines:
            text.append("\n◆ ")
            text.append(clean(subject), "bold")
            text.append(f"  {clean(words)}")
        self.query_one("#limits-hints", Static).update(text)

    def _styles(self) -> dict[str, Style]:
        table = self.query_one(VirtualTable)
        return {
            role: table.get_component_rich_style(f"vtable--{role}")
            for role in ("ok", "warn", "critical", "unknown", "muted", "mark")
        }

    # -- actions --------------------------------------------------------------------------------

    def action_poll_now(self) -> None:
        # A refresh the user asks for also re-reads the fleet (instances and volumes).
        if self.poller is not None:
            self.poller.refresh_inventory()
        super().action_poll_now()

    def action_toggle_hints(self) -> None:
        self.query_one("#limits-hints-box").toggle_class("-hidden")

    def action_open(self) -> None:
        key = self.query_one(VirtualTable).cursor_key
        if key:
            self._open(key)

    @on(VirtualTable.Selected, "#limits-table")
    def _selected(self, event: VirtualTable.Selected) -> None:
        self._open(event.row_key)

    def _open(self, instance_id: str) -> None:
        if self.snapshot is None:
            return
        self.app.push_screen(InstanceScreen(self.ctx, self.feed, self.snapshot, instance_id))

    def open_resource(self, resource_id: str) -> None:
        """Open the instance ``resource_id`` names, or the instance a volume of that id is attached to
        (an alarm's ``g`` comes here)."""
        snapshot: LimitsSnapshot | None = self.snapshot or self.feed.state.snapshot
        if snapshot is None:
            self.notify("The Limits pane has not polled yet: try again in a moment", timeout=4)
            return
        self.snapshot = snapshot
        found = next(
            (
                i
                for i in snapshot.instances
                if i.instance_id == resource_id or any(v.volume_id == resource_id for v in i.volumes)
            ),
            None,
        )
        if found is None:
            self.notify(
                f"{resource_id} is not among the instances the Limits pane lists",
                severity="warning",
                timeout=5,
            )
            return
        self.query_one(VirtualTable).move_cursor_to_key(found.instance_id)
        self._open(found.instance_id)
