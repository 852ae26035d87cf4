"""The Kinesis actions (reshard, retention, mode), shared by the Kinesis pane and a stream's view,
and how a stalled reader is drawn there. Both screens import this module; neither imports the
other's for it."""

from __future__ import annotations

from typing import Any

from rich.color import Color as RichColor
from rich.style import Style
from textual import work
from textual.app import App
from textual.binding import Binding, BindingType

from tui.aws.actions import Plan
from tui.aws.actions import kinesis as stream_actions
from tui.aws.kinesis import StreamView
from tui.aws.scope import acting_place
from tui.context import ActivityEvent, PaneContext
from tui.screens import kinesis_format as fmt
from tui.screens.confirm import ConfirmScreen, run_plan
from tui.screens.listing import account_names, reached_places, theme_rgb

ACTION_BINDINGS: list[BindingType] = [
    Binding("U", "act('double')", "Double shards", id="double"),
    Binding("D", "act('halve')", "Halve shards", id="halve"),
    Binding("E", "act('retention')", "Extend retention", id="retention"),
    Binding("M", "act('mode')", "Switch mode", id="mode"),
]


def stall_style(app: App[Any]) -> Style:
    """The theme's error colour, bold: how a stalled reader's words are drawn (with ⏸ and a word)."""
    r, g, b = theme_rgb(app, "error")
    return Style(color=RichColor.from_rgb(r, g, b), bold=True)


class StreamActions:
    """Reshard, retention and mode actions shared by the list and a stream's view; the screen
    provides ``current_stream()``, the stream the keys act on."""

    ctx: PaneContext
    pending: dict[str, str]

    def plan_for(self, kind: str, view: StreamView) -> Plan:
        actions = self.ctx.actions
        audit = actions.audit if actions is not None else None
        facts = stream_actions.StreamFacts(
            name=view.stream_name,
            arn=view.stream_arn,
            region=view.region,
            mode=view.mode,
            open_shards=view.open_shards or 0,
            retention_hours=view.retention_hours or 24,
            status=view.status,
            account_id=view.account_id,
            place=acting_place(reached_places(self, self.ctx), view.region, view.account_id),
            account_name=account_names(self).get(view.account_id, ""),
        )
        now = self.ctx.clock()
        if kind == "double":
            return stream_actions.double_plan(facts, audit=audit, now=now)
        if kind == "halve":
            return stream_actions.halve_plan(facts, audit=audit, now=now)
        if kind == "retention":
            return stream_actions.retention_plan(facts, fmt.retention_target(view))
        mode = "PROVISIONED" if view.mode == "ON_DEMAND" else "ON_DEMAND"
        return stream_actions.mode_plan(facts, mode, audit=audit, now=now)

    def action_act(self, kind: str) -> None:
        screen: Any = self
        view: StreamView | None = screen.current_stream()
        if view is None:
            screen.notify("Pick a stream first", severity="warning", timeout=3)
            return
        plan = self.plan_for(kind, view)

        def chosen(confirmed: bool | None) -> None:
            if confirmed:
                screen.run_action_worker(plan, view)

        screen.app.push_screen(ConfirmScreen(plan, read_only=self.ctx.settings.read_only), chosen)

    @work(group="actions", exit_on_error=False)
    async def run_action_worker(self, plan: Plan, view: StreamView) -> None:
        screen: Any = self
        result = await run_plan(screen, self.ctx.actions, plan)
        if result is None:
            return
        level = "info" if result.ok else "error"
        text = plan.title if result.ok else f"{plan.title} failed: {result.message}"
        self.ctx.record(ActivityEvent(self.ctx.clock(), "Kinesis", level, text))
        if result.ok:
            # The row says so at once; the polls that follow clear it once the stream is ACTIVE again.
            self.pending[fmt.stream_id(view)] = fmt.pending_word(plan)
            screen.notify(f"✓ {plan.title}: called; the row shows it until the stream is ACTIVE", timeout=5)
            screen.after_action()
        else:
            screen.notify(f"✖ {text}", severity="error", timeout=8)

    def after_action(self) -> None:
        """Show the pending change now, and poll soon so the stream's new state shows."""
