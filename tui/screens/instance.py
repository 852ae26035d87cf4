"""One instance from the Limits pane: its gauges, each attached volume against its own limit and the
instance's, which ceiling binds, charts of the last hours with the limit lines, and its hints."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Static
from textual_plotext import PlotextPlot

from tui.aws.limits import VOLUME_PERIOD, InstanceView, LimitsSnapshot, VolumeView
from tui.aws.limits_history import InstanceHistory, segments
from tui.aws.limits_math import Thresholds, level
from tui.context import PaneContext
from tui.feeds import HISTORY_HOURS, Feed, Update
from tui.screens import limits_format as fmt
from tui.screens.base import FollowsFeeds, PaneFooter
from tui.screens.listing import sync_detail_header, theme_rgb, where
from widgets.gauge import Gauge, gauge
from widgets.header import HeaderBar
from widgets.safe import clean
from widgets.vtable import Cell, Column, TableRow, VirtualTable

GAUGE_WIDTH = 40

VOLUME_COLUMNS = (
    Column("device", "DEVICE", 10),
    Column("id", "VOLUME", 21),
    Column("type", "TYPE", 8),
    Column("size", "SIZE", 8, align="right"),
    Column("iops", "IOPS vs ceiling", 18),
    Column("mib", "MiB/s vs ceiling", 18),
    Column("burst", "BURST", 6, align="right"),
    Column("cap", "CAPPED BY", 9),
    Column("name", "NAME", 10, flex=True),
)
NARROW_VOLUME_COLUMNS = (
    Column("device", "DEVICE", 9),
    Column("type", "TYPE", 4),
    Column("iops", "IOPS", 16),
    Column("mib", "MiB/s", 16),
    Column("burst", "BURST", 5, align="right"),
    Column("cap", "CAP BY", 8),
    Column("name", "NAME", 6, flex=True),
)


def volume_row(vol: VolumeView, thresholds: Thresholds, columns: tuple[Column, ...]) -> TableRow:
    iops_util = None if vol.iops is None or not vol.iops_ceiling else vol.iops / vol.iops_ceiling
    mib_util = (
        None
        if vol.throughput_mibps is None or not vol.mibps_ceiling
        else vol.throughput_mibps / vol.mibps_ceiling
    )
    cells: dict[str, Cell] = {
        "device": vol.device,
        "id": vol.volume_id,
        "type": vol.volume_type,
        "size": f"{vol.size_gib:,} GiB" if vol.size_gib is not None else fmt.UNKNOWN,
        "burst": fmt.pct(vol.burst_balance_pct) if vol.burst_balance_pct is not None else fmt.NOT_PUBLISHED,
        "cap": vol.capped_by or fmt.UNKNOWN,
        "name": clean(vol.name),
    }
    for key, util in (("iops", iops_util), ("mib", mib_util)):
        width = next(c.width for c in columns if c.key == key)
        cells[key] = gauge(util, width, level(util, thresholds))
    return TableRow(
        vol.volume_id,
        tuple(cells[c.key] for c in columns),
        level=vol.level if vol.level in ("warn", "critical") else "",
    )


class HistoryFed(Message):
    """An update from the instance's history feed."""

    def __init__(self, update: Update) -> None:
        super().__init__()
        self.update = update


class InstanceScreen(FollowsFeeds, Screen[None]):
    """Opened from the Limits pane with Enter; Esc goes back."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.pop_screen", "Back"),
        Binding("r", "reload_history", "Reload charts", id="reload_charts"),
    ]

    TITLE: ClassVar[str] = "Instance"
    HELP: ClassVar[str] = (
        "One instance against its type's limits, and each attached volume against min(its own limit, "
        "the instance's): CAPPED BY says which binds. ↑↓ pick the volume the charts show (the last 3 "
        "hours, with the ceiling in force drawn, and the volume's own limit above it when the instance "
        "caps it). The gauges follow the Limits pane's polls; the charts reload every minute."
    )

    DEFAULT_CSS = """
    InstanceScreen #inst-title {
        height: auto; max-height: 2; padding: 0 1; text-style: bold; color: $accent;
    }
    InstanceScreen #inst-gauges { height: auto; padding: 0 1; }
    InstanceScreen #inst-notes { height: auto; padding: 0 1; color: $warning; }
    InstanceScreen #inst-volumes { height: 4; }
    InstanceScreen #inst-charts { height: 1fr; min-height: 10; }
    InstanceScreen PlotextPlot { width: 1fr; height: 1fr; }
    InstanceScreen #inst-chart-status { height: 1; padding: 0 1; color: $text-muted; }
    InstanceScreen #inst-hints { height: auto; max-height: 6; padding: 0 1; }
    """

    def __init__(self, ctx: PaneContext, feed: Feed, snapshot: LimitsSnapshot, instance_id: str) -> None:
        super().__init__()
        self.ctx = ctx
        self.feed = feed
        self.history_feed: Feed | None = None
        self.instance_id = instance_id
        self.snapshot = snapshot
        self.view: InstanceView | None = self._find(snapshot)
        self.history: InstanceHistory | None = None
        self.selected_volume: str | None = None

    def _find(self, snapshot: LimitsSnapshot) -> InstanceView | None:
        return next((i for i in snapshot.instances if i.instance_id == self.instance_id), None)

    def compose(self) -> ComposeResult:
        yield HeaderBar()
        with Vertical(classes="pane-body"):
            yield Static("", id="inst-title")
            with Vertical(id="inst-gauges"):
                for key, label in (
                    ("net-in", "network in"),
                    ("net-out", "network out"),
                    ("ebs-mbs", "EBS MB/s"),
                    ("ebs-iops", "EBS IOPS"),
                    ("mem", "memory used"),
                    ("disk", "disk used"),
                ):
                    yield Gauge(label=label, gauge_width=GAUGE_WIDTH, label_width=14, id=f"g-{key}")
            yield Static("", id="inst-notes")
            yield VirtualTable(VOLUME_COLUMNS, empty_text="no volumes attached", id="inst-volumes")
            yield Static("loading the last 3 h…", id="inst-chart-status")
            with Horizontal(id="inst-charts"):
                yield PlotextPlot(id="chart-net")
                yield PlotextPlot(id="chart-iops")
                yield PlotextPlot(id="chart-mib")
            with VerticalScroll(id="inst-hints"):
                yield Static("", id="inst-hints-text")
        yield PaneFooter()

    def on_resize(self) -> None:
        self._show()

    def on_mount(self) -> None:
        sync_detail_header(self, self.ctx, "Limits \u203a instance")
        self._show()
        self.query_one(VirtualTable).focus()
        self.follow(self.feed, self.update_view)
        status = self.query_one("#inst-chart-status", Static)
        view = self.view
        if view is None or view.state != "running":
            status.update("no charts: the instance is not running")
            return
        self.history_feed = self.ctx.instance_history(view)
        if self.history_feed is None:
            # A recording holds the polls, not the 3 hours of metrics the charts read.
            status.update(
                "no charts in a replay: the recording holds the gauges above, not 3 hours of metrics"
            )
            return
        self.keep(self.history_feed.subscribe(self._history_fed))
        self.history_feed.start()

    async def on_unmount(self) -> None:
        if self.history_feed is not None:
            await self.history_feed.stop()

    def _history_fed(self, update: Update) -> None:
        self.post_message(HistoryFed(update))

    @on(HistoryFed)
    def _on_history(self, message: HistoryFed) -> None:
        update = message.update
        status = self.query_one("#inst-chart-status", Static)
        if update.kind == "polled" and update.snapshot is not None:
            self.history = update.snapshot.history
            status.update(
                Text(
                    f"last {HISTORY_HOURS:g} h · level lines: the ceiling in force, and the volume's own "
                    "limit above it when the instance caps it · ↑↓ in the table charts another volume"
                )
            )
            self._draw_charts()
        elif update.kind == "failed" and update.error is not None:
            status.update(Text(f"⚠ charts unavailable: {update.error.one_line()}"))
        elif update.kind == "overdue":
            status.update(Text(f"⚠ charts: {update.state.problem or update.state.waiting}"))

    def update_view(self, snapshot: LimitsSnapshot) -> None:
        """A new poll of the Limits pane arrived."""
        self.snapshot = snapshot
        self.view = self._find(snapshot)
        self._show()

    # -- drawing --------------------------------------------------------------------------------

    def _show(self) -> None:
        view = self.view
        title = self.query_one("#inst-title", Static)
        if view is None:
            title.update(Text(f"{self.instance_id}: no longer listed (terminated, or filtered out by AWS)"))
            return
        lim = view.limits
        title.update(
            Text(
                f"{clean(view.name) or '(no Name)'}  {view.instance_id}  {view.instance_type}  {view.state}  "
                f"{where(self, view.account_id, view.region)}  · {view.monitoring}{fmt.ebs_source_text(view)}"
            )
        )
        stale = view.state != "running"
        self._gauge(
            "net-in",
            None
            if view.net_in_mbps is None or not lim.net_baseline_mbps
            else view.net_in_mbps / lim.net_baseline_mbps,
            f"{fmt.bandwidth(view.net_in_mbps)} of {fmt.bandwidth(lim.net_baseline_mbps)} baseline, "
            f"peak {fmt.bandwidth(lim.net_peak_mbps)}",
            stale,
        )
        self._gauge(
            "net-out",
            None
            if view.net_out_mbps is None or not lim.net_baseline_mbps
            else view.net_out_mbps / lim.net_baseline_mbps,
            f"{fmt.bandwidth(view.net_out_mbps)} of {fmt.bandwidth(lim.net_baseline_mbps)} baseline",
            stale,
        )
        self._gauge(
            "ebs-mbs",
            None if view.ebs_mbs is None or not view.ebs_ceiling_mbs else view.ebs_mbs / view.ebs_ceiling_mbs,
            f"{fmt.num(view.ebs_mbs, 1)} of {fmt.num(view.ebs_ceiling_mbs, 1)} MB/s "
            f"(baseline {fmt.num(lim.ebs_baseline_mbs, 1)}, max {fmt.num(lim.ebs_max_mbs, 1)}, "
            f"balance {fmt.pct(view.ebs_byte_balance_pct)})",
            stale,
            marks=fmt.ratio_marks(lim.ebs_baseline_mbs, view.ebs_ceiling_mbs),
        )
        self._gauge(
            "ebs-iops",
            None
            if view.ebs_iops is None or not view.ebs_ceiling_iops
            else view.ebs_iops / view.ebs_ceiling_iops,
            f"{fmt.num(view.ebs_iops)} of {fmt.num(view.ebs_ceiling_iops)} IOPS "
            f"(baseline {fmt.num(lim.ebs_baseline_iops)}, max {fmt.num(lim.ebs_max_iops)}, "
            f"balance {fmt.pct(view.ebs_io_balance_pct)}) · binds: {view.ebs_binding or '?'}",
            stale,
            marks=fmt.ratio_marks(lim.ebs_baseline_iops, view.ebs_ceiling_iops),
        )
        self._gauge(
            "mem",
            None if view.memory_used_pct is None else view.memory_used_pct / 100.0,
            "CWAgent mem_used_percent"
            if view.memory_used_pct is not None
            else "not published (no CloudWatch agent)",
            stale,
        )
        self._gauge(
            "disk",
            None if view.disk_used_pct is None else view.disk_used_pct / 100.0,
            "fullest filesystem (CWAgent disk_used_percent)"
            if view.disk_used_pct is not None
            else "not published (no CloudWatch agent)",
            stale,
        )
        notes = list(view.reasons)
        if view.ena is not None:
            shaped = ", ".join(f"{name} {count:,.0f}" for name, count in view.ena)
            notes.insert(0, f"ENA allowance exceeded (packets, watched window): {shaped}")
        for vol in view.volumes:
            notes.extend(f"{vol.volume_id}: {r}" for r in vol.reasons)
        self.query_one("#inst-notes", Static).update(Text("\n".join(clean(n) for n in notes)))
        table = self.query_one(VirtualTable)
        columns = VOLUME_COLUMNS if self.size.width >= 120 else NARROW_VOLUME_COLUMNS
        if table.columns != columns:
            table.set_columns(columns)
        table.set_rows([volume_row(v, self.ctx.settings.thresholds, columns) for v in view.volumes])
        table.styles.height = min(len(view.volumes), 7) + 1 if view.volumes else 2
        if self.selected_volume is None and view.volumes:
            worst = view.worst_volume or view.volumes[0]
            self.selected_volume = worst.volume_id
            table.move_cursor_to_key(worst.volume_id)
        hints = [h for h in self.snapshot.hints if h.resource_id in {view.instance_id, *self._volume_ids()}]
        text = Text()
        text.append(f"Hints ({len(hints)})", "bold")
        for hint in hints:
            text.append("\n◆ ")
            text.append(clean(fmt.hint_subject(hint, self.snapshot)), "bold")
            text.append(f"  {clean(hint.text)}")
        self.query_one("#inst-hints-text", Static).update(text)
        self._draw_charts()

    def _volume_ids(self) -> set[str]:
        return {v.volume_id for v in self.view.volumes} if self.view else set()

    def _gauge(
        self, key: str, util: float | None, detail: str, stale: bool, *, marks: tuple[float, ...] = ()
    ) -> None:
        widget = self.query_one(f"#g-{key}", Gauge)
        widget.utilization = None if stale else util
        widget.level = "unknown" if stale else level(util, self.ctx.settings.thresholds)
        widget.detail = "not running" if stale else detail
        widget.marks = marks

    # -- charts ---------------------------------------------------------------------------------

    def action_reload_history(self) -> None:
        if self.history_feed is not None:
            self.history_feed.poll_now()

    @on(VirtualTable.Highlighted, "#inst-volumes")
    def _volume_highlighted(self, event: VirtualTable.Highlighted) -> None:
        if event.row_key and event.row_key != self.selected_volume:
            self.selected_volume = event.row_key
            self._draw_charts()

    def _draw_charts(self) -> None:
        history = self.history
        view = self.view
        net = self.query_one("#chart-net", PlotextPlot)
        iops = self.query_one("#chart-iops", PlotextPlot)
        mib = self.query_one("#chart-mib", PlotextPlot)
        if history is None or view is None:
            return
        end = self.ctx.clock().timestamp()

        def minutes(points: tuple[tuple[float, float], ...]) -> list[float]:
            return [(ts - end) / 60.0 for ts, _ in points]

        primary, secondary = theme_rgb(self.app, "primary"), theme_rgb(self.app, "accent")
        limit_colour, warn_colour = theme_rgb(self.app, "error"), theme_rgb(self.app, "warning")
        plt = net.plt
        plt.clear_data()
        plt.clear_figure()
        plt.title("network Mbps")
        # A period AWS did not publish is left open, not bridged by a line (``segments``).
        for points, colour, label in (
            (history.net_in_mbps, primary, "in"),
            (history.net_out_mbps, secondary, "out"),
        ):
            for n, run in enumerate(segments(points, view.period_s)):
                plt.plot(minutes(run), [v for _, v in run], color=colour, label=label if n == 0 else None)
        if view.limits.net_baseline_mbps:
            plt.hline(view.limits.net_baseline_mbps, limit_colour)
        plt.ylim(0, None)
        plt.xlabel("minutes ago")
        net.refresh()

        vol = next((v for v in view.volumes if v.volume_id == self.selected_volume), None)
        series = history.volumes.get(self.selected_volume or "")
        for widget, points, ceiling, own, unit in (
            (
                iops,
                series.iops if series else (),
                vol.iops_ceiling if vol else None,
                vol.own_iops if vol else None,
                "IOPS",
            ),
            (
                mib,
                series.mibps if series else (),
                vol.mibps_ceiling if vol else None,
                vol.own_mibps if vol else None,
                "MiB/s",
            ),
        ):
            plt = widget.plt
            plt.clear_data()
            plt.clear_figure()
            name = f"{vol.device or vol.volume_id} {vol.volume_type}" if vol else "no volume"
            plt.title(f"{name} {unit}")
            for run in segments(points, VOLUME_PERIOD):
                plt.plot(minutes(run), [v for _, v in run], color=primary)
            if ceiling:
                plt.hline(ceiling, limit_colour)
            if own and ceiling and own > ceiling:
                plt.hline(own, warn_colour)
            plt.ylim(0, None)
            plt.xlabel("minutes ago")
            widget.refresh()
