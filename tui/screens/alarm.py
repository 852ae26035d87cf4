"""One alarm: its metric (or its expression and each metric of it) over the last 3 hours with the
threshold and the periods that breached, its state history newest first, its actions by ARN, and for a
composite alarm its rule and the state of each child; the same actions as the list."""

from __future__ import annotations

from typing import Any, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Static
from textual_plotext import PlotextPlot

from tui.aws.alarms import AlarmDetail, AlarmsSnapshot, ChartSeries
from tui.aws.alarms_model import (
    BAND_COMPARISONS,
    COMPOSITE,
    STATE_SYMBOL,
    STATE_WORD,
    Alarm,
    HistoryItem,
    condition_text,
    number_text,
    query_text,
    short_text,
)
from tui.common.timefmt import wall_or_date_text
from tui.context import PaneContext
from tui.feeds import Feed, Update
from tui.screens import alarms_format as fmt
from tui.screens.alarms_actions import ACTION_BINDINGS, AlarmActions
from tui.screens.base import FollowsFeeds, PaneFooter
from tui.screens.listing import sync_detail_header, theme_rgb, where
from widgets.header import HeaderBar
from widgets.safe import clean

BREACH_MARKER = "x"
"""How the chart marks a period that breached (a symbol, not only a colour)."""


def history_lines(history: tuple[HistoryItem, ...], now: Any) -> Text:
    text = Text()
    for item in history:
        text.append(f"\n  {wall_or_date_text(item.at, now)}  ")
        if item.new_state:
            symbol = STATE_SYMBOL.get(item.new_state, "·")
            text.append(f"{symbol} {clean(item.old_state) or '?'} → {clean(item.new_state)}", "bold")
            if item.reason:
                text.append(f"  {clean(item.reason)}")
        else:
            text.append(f"{clean(item.kind)}: {clean(item.summary)}")
    return text


class DetailFed(Message):
    """An update from the alarm's chart feed."""

    def __init__(self, update: Update) -> None:
        super().__init__()
        self.update = update


class AlarmScreen(FollowsFeeds, AlarmActions, Screen[None]):
    """Opened from the Alarms pane with Enter; Esc goes back."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.pop_screen", "Back"),
        Binding("i", "next_input(1)", "Next input metric", id="next_metric"),
        Binding("I", "next_input(-1)", "Previous input metric", show=False, id="previous_metric"),
        Binding("r", "reload", "Reload", id="reload_chart"),
        *ACTION_BINDINGS,
    ]

    TITLE: ClassVar[str] = "Alarm"
    HELP: ClassVar[str] = (
        "One alarm: the series it evaluates over the last 3 hours with its threshold line and x on each "
        "period that breached; for a metric-math alarm, each metric of its expression beside it (i and I "
        "show the next and previous). Below: the reason, the state history newest first, its actions by "
        "ARN per state, and for a composite alarm its rule and each child's state. w goes to what it "
        "watches; M, U and S act on it, asking first."
    )

    DEFAULT_CSS = """
    AlarmScreen #al-title {
        height: 1; padding: 0 1; text-style: bold; color: $accent; text-wrap: nowrap; text-overflow: ellipsis;
    }
    AlarmScreen #al-info {
        height: auto; max-height: 4; padding: 0 1; text-wrap: nowrap; text-overflow: ellipsis;
    }
    AlarmScreen #al-charts { height: 1fr; min-height: 8; }
    AlarmScreen #al-charts.-none { display: none; }
    AlarmScreen PlotextPlot { width: 1fr; height: 1fr; }
    AlarmScreen #chart-inputs.-none { display: none; }
    AlarmScreen #al-chart-status { height: 1; padding: 0 1; color: $text-muted; }
    AlarmScreen #al-more { height: auto; max-height: 35%; padding: 0 1; border-top: solid $primary 40%; }
    AlarmScreen #al-more.-tall { max-height: 1fr; height: 1fr; }
    """

    def __init__(self, ctx: PaneContext, feed: Feed, snapshot: AlarmsSnapshot, key: str) -> None:
        super().__init__()
        self.ctx = ctx
        self.feed = feed
        self.key = key
        self.snapshot = snapshot
        self.alarm: Alarm | None = self._find(snapshot)
        self.detail: AlarmDetail | None = None
        self.detail_problem = ""
        self.input_index = 0
        self.detail_feed: Feed | None = None
        """The alarm's chart and history, read again every minute (``Feeds.alarm_detail``)."""

    def _find(self, snapshot: AlarmsSnapshot) -> Alarm | None:
        return next((a for a in snapshot.alarms if a.key == self.key), None)

    def current_alarm(self) -> Alarm | None:
        return self.alarm

    def chosen_alarms(self) -> list[Alarm]:
        return [self.alarm] if self.alarm is not None else []

    def after_action(self) -> None:
        self._show()

    def compose(self) -> ComposeResult:
        yield HeaderBar()
        with Vertical(classes="pane-body"):
            yield Static("", id="al-title")
            yield Static("", id="al-info")
            with Horizontal(id="al-charts"):
                yield PlotextPlot(id="chart-main")
                yield PlotextPlot(id="chart-inputs")
            yield Static("loading the last 3 h…", id="al-chart-status")
            with VerticalScroll(id="al-more"):
                yield Static("", id="al-more-text")
        yield PaneFooter()

    def on_mount(self) -> None:
        sync_detail_header(self, self.ctx, "Alarms \u203a alarm")
        self._show()
        self.follow(self.feed, self.update_view)
        self.detail_feed = self.ctx.alarm_detail(self.key)
        if self.detail_feed is None:
            # A recording holds the polls, not the 3 hours of metrics the chart reads.
            self.detail_problem = (
                "no chart in a replay: the recording holds the alarms' states, not 3 hours of metrics"
            )
            self._show()
            return
        self.keep(self.detail_feed.subscribe(self._detail_fed))
        self.detail_feed.start()

    async def on_unmount(self) -> None:
        if self.detail_feed is not None:
            await self.detail_feed.stop()

    def _detail_fed(self, update: Update) -> None:
        self.post_message(DetailFed(update))

    @on(DetailFed)
    def _on_detail(self, message: DetailFed) -> None:
        update = message.update
        if update.kind == "polled" and update.snapshot is not None:
            self.detail = update.snapshot.history
            self.detail_problem = ""
        elif update.kind == "failed" and update.error is not None:
            self.detail_problem = f"chart unknown: {update.error.one_line()}"
        elif update.kind == "overdue":
            self.detail_problem = f"chart: {update.state.problem or update.state.waiting}"
        else:
            return
        self._show()
        self.refresh_bindings()

    def on_resize(self) -> None:
        self._show()

    def update_view(self, snapshot: AlarmsSnapshot) -> None:
        """A new poll of the list (or this console's own change to it): the alarm as it is now; its
        chart and history come from the alarm's own feed."""
        self.snapshot = snapshot
        self.alarm = self._find(snapshot)
        self._show()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """The keys that cycle an expression's metrics show only when there are metrics to cycle."""
        if action == "next_input":
            return len(self._inputs()) > 1
        return True

    def action_reload(self) -> None:
        if self.detail_feed is not None:
            self.detail_feed.poll_now()

    def action_next_input(self, step: int) -> None:
        inputs = self._inputs()
        if len(inputs) > 1:
            self.input_index = (self.input_index + step) % len(inputs)
            self._draw_charts()

    # -- drawing ------------------------------------------------------------------------------

    def _show(self) -> None:
        alarm = self.alarm
        title = self.query_one("#al-title", Static)
        if alarm is None:
            title.update(Text(f"{self.key}: no longer listed"))
            return
        now = self.ctx.clock()
        symbol = STATE_SYMBOL.get(alarm.state, "?")
        title.update(
            Text(
                f"{symbol} {STATE_WORD.get(alarm.state, alarm.state)}  {clean(alarm.name)} · {alarm.kind} · "
                f"{where(self, alarm.account_id, alarm.region)} · {fmt.in_state(alarm, now)} in state",
                no_wrap=True,
                overflow="ellipsis",
            )
        )
        width = max(20, self.size.width - 2)
        info = Text(no_wrap=True, overflow="ellipsis")
        info.append(clean(short_text(alarm)))
        for line in fmt.reason_lines(alarm.state_reason, width, 2):
            info.append(f"\n{line}")
        info.append("\nactions ", "bold")
        if alarm.muted:
            info.append(f"⊘ {clean(fmt.mute_text(fmt.mute_of(self.ctx.mutes, alarm), now))}")
        elif alarm.actions_enabled is None:
            info.append("unknown")
        else:
            info.append("enabled" if alarm.actions else "enabled, but it has none")
        if alarm.treat_missing_data:
            info.append(f" · missing data {clean(alarm.treat_missing_data)}")
        watches = fmt.watches_text(alarm)
        if watches:
            info.append(f" · {clean(watches)}")
        self.query_one("#al-info", Static).update(info)
        composite = alarm.kind == COMPOSITE
        self.query_one("#al-charts").set_class(composite, "-none")
        self.query_one("#al-more").set_class(composite, "-tall")
        self._show_status()
        self._show_more(alarm)
        self._draw_charts()

    def _show_status(self) -> None:
        status = self.query_one("#al-chart-status", Static)
        alarm = self.alarm
        if alarm is None:
            return
        if alarm.kind == COMPOSITE:
            status.update("a composite alarm has no metric: its state follows its children's")
            return
        detail = self.detail
        if detail is None:
            status.update(Text(self.detail_problem or "loading the last 3 h…"))
            return
        words = [f"last {detail.hours:g} h"]
        if alarm.comparison in BAND_COMPARISONS:
            words.append("breaches of an anomaly band are not marked")
        else:
            words.append(
                f"threshold {number_text(alarm.threshold)} · "
                f"{BREACH_MARKER} {len(detail.breaching)} breaching"
            )
        if len(self._inputs()) > 1:
            words.append("i next input metric")
        problems = [*detail.problems, *([self.detail_problem] if self.detail_problem else [])]
        text = Text(" · ".join(words))
        if problems:
            text.append(" · ⚠ " + clean("; ".join(problems)), "bold")
        status.update(text)

    def _show_more(self, alarm: Alarm) -> None:
        now = self.ctx.clock()
        text = Text()
        if alarm.kind == COMPOSITE:
            text.append("Rule", "bold")
            text.append(f"\n  {clean(alarm.rule)}")
            text.append(f"\nChildren ({len(alarm.children)})", "bold")
            listed = {a.name: a for a in self.snapshot.alarms if a.region == alarm.region}
            for wanted, name in alarm.children:
                child = listed.get(name)
                if child is None:
                    text.append(f"\n  ? {clean(name)}: not listed (another account or region, or deleted)")
                    continue
                met = "meets" if child.state == wanted else "does not meet"
                text.append(
                    f"\n  {STATE_SYMBOL.get(child.state, '?')} {clean(name)}  {child.state}  "
                    f"({met} {wanted}(…) of the rule, {fmt.in_state(child, now)} in state)"
                )
            if alarm.actions_suppressor:
                text.append(f"\n  actions suppressed while {clean(alarm.actions_suppressor)} is in ALARM")
        elif alarm.queries:
            text.append("Metric math", "bold")
            for query in alarm.queries:
                mark = "→ " if query is alarm.evaluated else "  "
                text.append(f"\n  {mark}{clean(query_text(query))}")
            text.append(f"\n  compared: {clean(condition_text(alarm))}")
        history = self.detail.history if self.detail is not None else alarm.history
        text.append(f"\nHistory ({len(history)}, newest first)", "bold")
        if not history:
            text.append("\n  none read yet" if self.detail is None else "\n  none")
        text.append_text(history_lines(history, now))
        text.append("\nActions", "bold")
        if not alarm.actions:
            text.append("\n  none")
        for state, arns in alarm.actions:
            for arn in arns:
                text.append(f"\n  on {state}: {clean(arn)}")
        self.query_one("#al-more-text", Static).update(text)

    def _inputs(self) -> list[ChartSeries]:
        detail = self.detail
        if detail is None:
            return []
        return [s for s in detail.series if not s.evaluated]

    def _draw_charts(self) -> None:
        alarm = self.alarm
        if alarm is None or alarm.kind == COMPOSITE:
            return
        end = self.ctx.clock().timestamp()
        primary, secondary = theme_rgb(self.app, "primary"), theme_rgb(self.app, "accent")
        warn, error = theme_rgb(self.app, "warning"), theme_rgb(self.app, "error")
        detail = self.detail
        evaluated = next((s for s in detail.series if s.evaluated), None) if detail is not None else None

        chart = self.query_one("#chart-main", PlotextPlot)
        plt = chart.plt
        plt.clear_data()
        plt.clear_figure()
        plt.title(clean(evaluated.title or evaluated.label if evaluated is not None else alarm.name))
        values = [v for _, v in evaluated.points] if evaluated is not None else []
        if evaluated is not None and evaluated.points:
            plt.plot([(ts - end) / 60.0 for ts, _ in evaluated.points], values, color=primary)
        threshold = alarm.threshold if alarm.comparison not in BAND_COMPARISONS else None
        if threshold is not None:
            plt.hline(threshold, warn)
        if detail is not None and evaluated is not None and detail.breaching:
            breaching = set(detail.breaching)
            marks = [(ts, v) for ts, v in evaluated.points if ts in breaching]
            plt.scatter(
                [(ts - end) / 60.0 for ts, _ in marks],
                [v for _, v in marks],
                marker=BREACH_MARKER,
                color=error,
            )
        scale = [*values, *([threshold] if threshold is not None else [])]
        if scale:
            low, high = min(0.0, min(scale)), max(scale)
            plt.ylim(low, high * 1.15 if high > 0 else high + 1.0)
        plt.xlabel("minutes ago")
        chart.refresh()

        inputs = self._inputs()
        box = self.query_one("#chart-inputs", PlotextPlot)
        box.set_class(not inputs, "-none")
        if not inputs:
            return
        self.input_index %= len(inputs)
        shown = inputs[self.input_index]
        plt = box.plt
        plt.clear_data()
        plt.clear_figure()
        plt.title(clean(f"{shown.title or shown.label} ({self.input_index + 1}/{len(inputs)})"))
        if shown.points:
            plt.plot(
                [(ts - end) / 60.0 for ts, _ in shown.points], [v for _, v in shown.points], color=secondary
            )
            plt.ylim(min(0.0, min(v for _, v in shown.points)), None)
        plt.xlabel("minutes ago")
        box.refresh()
