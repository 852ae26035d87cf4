"""One Kinesis stream: lag against retention, usage against the scaling lines, throttling, its consumers
and the Lambda functions reading it; the same actions as the list."""

from __future__ import annotations

from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Static
from textual_plotext import PlotextPlot

from tui.aws.kinesis import KinesisSnapshot, StreamView
from tui.context import PaneContext
from tui.feeds import Feed
from tui.screens import kinesis_format as fmt
from tui.screens.base import FollowsFeeds, PaneFooter
from tui.screens.kinesis_actions import ACTION_BINDINGS, StreamActions, stall_style
from tui.screens.listing import sync_detail_header, theme_rgb, where
from widgets.gauge import Gauge
from widgets.header import HeaderBar
from widgets.safe import clean


class StreamScreen(FollowsFeeds, StreamActions, Screen[None]):
    """Opened from the Kinesis pane with Enter; Esc goes back."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "app.pop_screen", "Back"), *ACTION_BINDINGS]

    TITLE: ClassVar[str] = "Stream"
    HELP: ClassVar[str] = (
        "One stream: iterator age with the 50% (at risk) and 100% (expiring) retention lines, usage factor "
        "with the 0.75 (double) and 0.25 (halve) lines, throttling, and who is behind: every enhanced "
        "fan-out consumer (MillisBehindLatest), Lambda mapping (IteratorAge) and the GetRecords readers, "
        "worst first; ⏸ stalled marks a reader whose lag has grown as fast as time for 3 minutes or more "
        "(it reads nothing), with how many seconds it falls behind each minute. "
        "Shift+U/D, E and M act on it, asking first."
    )

    DEFAULT_CSS = """
    StreamScreen #st-title { height: 1; padding: 0 1; text-style: bold; color: $accent; }
    StreamScreen #st-gauges { height: auto; padding: 0 1; }
    StreamScreen #st-advice { height: auto; padding: 0 1; }
    StreamScreen #st-charts { height: 1fr; min-height: 10; }
    StreamScreen PlotextPlot { width: 1fr; height: 1fr; }
    StreamScreen #st-readers { height: auto; max-height: 10; padding: 0 1; }
    """

    def __init__(
        self, ctx: PaneContext, feed: Feed, snapshot: KinesisSnapshot, key: str, parent: Any
    ) -> None:
        super().__init__()
        self.ctx = ctx
        self.feed = feed
        self.key = key
        self.snapshot = snapshot
        self.parent_pane = parent
        self.pending: dict[str, str] = parent.pending
        self.view: StreamView | None = self._find(snapshot)

    def _find(self, snapshot: KinesisSnapshot) -> StreamView | None:
        return next((v for v in snapshot.streams if (v.stream_arn or v.stream_name) == self.key), None)

    def current_stream(self) -> StreamView | None:
        return self.view

    def after_action(self) -> None:
        self._show()
        self.parent_pane.after_action()

    def compose(self) -> ComposeResult:
        yield HeaderBar()
        with Vertical(classes="pane-body"):
            yield Static("", id="st-title")
            with Vertical(id="st-gauges"):
                yield Gauge(label="usage factor", gauge_width=40, label_width=16, id="g-usage")
                yield Gauge(label="iterator age", gauge_width=40, label_width=16, id="g-age")
            yield Static("", id="st-advice")
            with Horizontal(id="st-charts"):
                yield PlotextPlot(id="chart-age")
                yield PlotextPlot(id="chart-usage")
                yield PlotextPlot(id="chart-throttle")
            with VerticalScroll(id="st-readers"):
                yield Static("", id="st-readers-text")
        yield PaneFooter()

    def on_mount(self) -> None:
        sync_detail_header(self, self.ctx, "Kinesis \u203a stream")
        self._show()
        self.follow(self.feed, self.update_view)

    def update_view(self, snapshot: KinesisSnapshot) -> None:
        self.snapshot = snapshot
        self.view = self._find(snapshot)
        self._show()

    def _show(self) -> None:
        view = self.view
        title = self.query_one("#st-title", Static)
        if view is None:
            title.update(Text(f"{self.key}: no longer listed"))
            return
        pending = self.pending.get(fmt.stream_id(view), "")
        shards = f"{view.open_shards} shard" + ("" if view.open_shards == 1 else "s")
        title.update(
            Text(
                f"{clean(view.stream_name)}  {view.mode}  {view.status}  {shards}  "
                f"retention {view.retention_hours} h  {where(self, view.account_id, view.region)}"
                + (f"  {pending}" if pending else "")
            )
        )
        usage = self.query_one("#g-usage", Gauge)
        usage.utilization = view.usage_factor
        usage.level = view.usage_level
        usage.marks = (0.25, 0.75)
        usage.detail = (
            f"{fmt.count(view.incoming_records_per_s)} records/s, "
            f"{(view.incoming_bytes_per_s or 0) / 1048576:,.2f} MiB/s"
            + (f" · {view.usage_driver} dominate" if view.usage_driver else "")
        )
        age = self.query_one("#g-age", Gauge)
        age.utilization = view.iterator_age_retention_fraction
        age.level = view.age_level
        age.marks = (0.5,)
        age_s = None if view.iterator_age_ms is None else view.iterator_age_ms / 1000.0
        age.detail = f"{fmt.precise(age_s)} of {view.retention_hours} h · {fmt.trend(view)}" + (
            f" · oldest: {clean(view.iterator_age_source)}" if view.iterator_age_source else ""
        )
        advice = Text()
        advice.append(f"{fmt.advice_word(view)}: ", "bold")
        advice.append(clean(view.advice_reason or ""))
        advice.append(
            f"\nthrottled last minute: writes {fmt.count(view.write_throttled)}, reads "
            f"{fmt.count(view.read_throttled)}, PutRecords throttled "
            f"{fmt.count(view.put_records_throttled)}, failed {fmt.count(view.put_records_failed)} · "
            f"GetRecords.Success {fmt.count(view.get_records_success)}"
        )
        for reason in view.reasons:
            advice.append(f"\n⚠ {clean(reason)}")
        self.query_one("#st-advice", Static).update(advice)
        readers = Text()
        readers.append(f"Who is behind ({len(view.readers)} readers, worst first)", "bold")
        for reader in view.readers:
            behind = (
                fmt.precise(reader.behind_ms / 1000.0) + " behind"
                if reader.behind_ms is not None
                else f"{fmt.UNKNOWN} {reader.reason}"
            )
            metric = reader.metric.rsplit(".", 1)[-1]
            if reader.stalled:
                # In place of its kind (its metric names it), so the line still fits 80 columns.
                readers.append(f"\n  {clean(reader.name)}  ")
                readers.append(fmt.stall_word(reader), stall_style(self.app))
                readers.append(f"  {behind}  ({metric})")
            else:
                readers.append(f"\n  {clean(reader.name)}  {reader.kind}  {behind}  ({metric})")
        for consumer in view.consumers:
            if consumer.status != "ACTIVE":
                readers.append(f"\n  ⚠ consumer {clean(consumer.name)} is {clean(consumer.status)}")
        readers.append(f"\nLambda functions reading it ({len(view.lambdas)})", "bold")
        for fn in view.lambdas:
            age_text = fmt.duration(None if fn.iterator_age_ms is None else fn.iterator_age_ms / 1000.0)
            readers.append(
                f"\n  {clean(fn.function_name)}  {clean(fn.state)}  batch {fn.batch_size}"
                f"  IteratorAge {age_text}"
                f"  Errors {fmt.count(fn.errors)}  Duration {fmt.count(fn.duration_ms)} ms"
                f"  ConcurrentExecutions {fmt.count(fn.concurrent_executions)}"
            )
        self.query_one("#st-readers-text", Static).update(readers)
        self._draw_charts(view)

    def _draw_charts(self, view: StreamView) -> None:
        end = self.ctx.clock().timestamp()
        history = view.history
        primary, secondary = theme_rgb(self.app, "primary"), theme_rgb(self.app, "accent")
        warn, error = theme_rgb(self.app, "warning"), theme_rgb(self.app, "error")

        def xs(points: tuple[tuple[float, float], ...]) -> list[float]:
            return [(ts - end) / 60.0 for ts, _ in points]

        chart = self.query_one("#chart-age", PlotextPlot)
        plt = chart.plt
        plt.clear_data()
        plt.clear_figure()
        plt.title("iterator age (hours)")
        if history.iterator_age:
            plt.plot(
                xs(history.iterator_age), [v / 3_600_000.0 for _, v in history.iterator_age], color=primary
            )
        if view.retention_hours:
            plt.hline(view.retention_hours * 0.5, warn)
            plt.hline(float(view.retention_hours), error)
        plt.ylim(0, None)
        plt.xlabel("minutes ago")
        chart.refresh()

        chart = self.query_one("#chart-usage", PlotextPlot)
        plt = chart.plt
        plt.clear_data()
        plt.clear_figure()
        plt.title("usage factor")
        if history.usage_factor:
            plt.plot(xs(history.usage_factor), [v for _, v in history.usage_factor], color=primary)
        plt.hline(0.75, warn)
        plt.hline(0.25, secondary)
        plt.ylim(0, None)
        plt.xlabel("minutes ago")
        chart.refresh()

        chart = self.query_one("#chart-throttle", PlotextPlot)
        plt = chart.plt
        plt.clear_data()
        plt.clear_figure()
        plt.title("throttled per minute")
        if history.write_throttled:
            plt.plot(
                xs(history.write_throttled),
                [v for _, v in history.write_throttled],
                color=error,
                label="write",
            )
        if history.read_throttled:
            plt.plot(
                xs(history.read_throttled),
                [v for _, v in history.read_throttled],
                color=secondary,
                label="read",
            )
        plt.ylim(0, None)
        plt.xlabel("minutes ago")
        chart.refresh()
