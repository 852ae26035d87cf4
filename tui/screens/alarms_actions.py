"""The Alarms actions (mute, unmute, set state) and the jump to what an alarm watches, shared by the
Alarms pane and an alarm's view. Both screens import this module; neither imports the other's for it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any, Protocol, cast

from textual import work
from textual.binding import Binding, BindingType

from tui.aws.actions import ActionResult, Plan
from tui.aws.actions import alarms as alarm_actions
from tui.aws.actions.alarms import acted_on
from tui.aws.actions.core import titled_in
from tui.aws.alarms import AlarmsSnapshot
from tui.aws.alarms_model import ALARM, OK, Alarm
from tui.aws.scope import Place
from tui.context import ActivityEvent, PaneContext
from tui.feeds import Feed
from tui.screens.alarms_dialogs import FormField, PlanForm
from tui.screens.confirm import ConfirmScreen, run_plan
from tui.screens.listing import account_names, reached_places, several_accounts

ACTION_BINDINGS: list[BindingType] = [
    Binding("M", "mute", "Mute", id="mute"),
    Binding("U", "unmute", "Unmute", id="unmute"),
    Binding("S", "set_state", "Set state", id="set_state"),
    Binding("w", "go_resource", "Watched resource", id="go_resource"),
]

MUTE_FIELDS = (
    FormField(
        "reason", "Reason (required; the journal and the audit log keep it)", "e.g. GD-12 rehearsal: EBS cap"
    ),
    FormField(
        "duration", "For how long (e.g. 30m, 2h; the console offers to unmute then)", "e.g. 30m", "30m"
    ),
)


def with_actions(snapshot: AlarmsSnapshot, keys: set[str], enabled: bool) -> AlarmsSnapshot:
    """The snapshot with the actions of ``keys`` turned on or off, as this console just made them."""
    return replace(
        snapshot,
        alarms=tuple(replace(a, actions_enabled=enabled) if a.key in keys else a for a in snapshot.alarms),
    )


class ChoosesAlarms(Protocol):
    """What a screen with the alarm keys provides (the list and an alarm's view)."""

    def chosen_alarms(self) -> list[Alarm]:
        """The alarms the keys act on: the selected ones, else the one under the cursor."""
        ...

    def current_alarm(self) -> Alarm | None:
        """The alarm under the cursor (or the one the view shows)."""
        ...


class AlarmActions:
    """Mute, unmute, set state and go to the watched resource, for a screen that is also
    ``ChoosesAlarms``."""

    ctx: PaneContext
    feed: Feed

    @property
    def _chooser(self) -> ChoosesAlarms:
        return cast(ChoosesAlarms, self)

    def places(self) -> tuple[Place, ...]:
        """Where each account's alarms are acted on (every place reached, whatever the scope)."""
        return reached_places(self, self.ctx)

    def _in_account(self, title: str, alarms: Sequence[Alarm]) -> str:
        """A dialog's title naming the account of ``alarms`` when the console watches several and
        they are all of one account other than the credential's own."""
        accounts = {a.account_id for a in alarms}
        if not several_accounts(self) or len(accounts) != 1:
            return title
        account = next(iter(accounts))
        view = getattr(getattr(self, "app", None), "accounts_view", None)
        home = view.home.id if view is not None and view.home is not None else ""
        if not account or account == home:
            return title
        return titled_in(title, account_names(self).get(account, account))

    def _ask(
        self,
        title: str,
        fields: Sequence[FormField],
        plan_for: Callable[[dict[str, str]], Plan],
        alarms: Sequence[Alarm],
        done: Callable[[Plan, dict[str, str], ActionResult], None],
    ) -> None:
        screen: Any = self

        def chosen(values: dict[str, str] | None) -> None:
            if values is not None:
                screen.run_alarm_plan(plan_for(values), values, done)

        form = PlanForm(title, fields, plan_for, read_only=self.ctx.settings.read_only, alarms=alarms)
        screen.app.push_screen(form, chosen)

    def action_mute(self) -> None:
        screen: Any = self
        alarms = self._chooser.chosen_alarms()
        if not alarms:
            screen.notify("Pick an alarm first (space selects several)", severity="warning", timeout=3)
            return

        places = self.places()

        def plan_for(values: dict[str, str]) -> Plan:
            return alarm_actions.mute_plan(
                alarms, values.get("reason", ""), values.get("duration", ""), places=places
            )

        def done(plan: Plan, values: dict[str, str], result: ActionResult) -> None:
            muted = [a for a in acted_on(plan, result, alarms) if not a.muted]
            seconds, _ = alarm_actions.mute_duration(values.get("duration", ""))
            book = self.ctx.mutes
            if book is not None and seconds is not None:
                book.add(muted, values.get("reason", "").strip(), seconds, self.ctx.clock())
            self._amend({a.key for a in muted}, enabled=False)

        what = alarms[0].name if len(alarms) == 1 else f"{len(alarms)} alarms"
        self._ask(self._in_account(f"Mute {what}", alarms), MUTE_FIELDS, plan_for, alarms, done)

    def action_unmute(self) -> None:
        screen: Any = self
        alarms = self._chooser.chosen_alarms()
        if not alarms:
            screen.notify("Pick an alarm first (space selects several)", severity="warning", timeout=3)
            return
        plan = alarm_actions.unmute_plan(alarms, places=self.places())

        def chosen(confirmed: bool | None) -> None:
            if confirmed:
                screen.run_alarm_plan(plan, {}, self._unmuted(alarms))

        screen.app.push_screen(ConfirmScreen(plan, read_only=self.ctx.settings.read_only), chosen)

    def _unmuted(self, alarms: Sequence[Alarm]) -> Callable[[Plan, dict[str, str], ActionResult], None]:
        def done(plan: Plan, values: dict[str, str], result: ActionResult) -> None:
            keys = {a.key for a in acted_on(plan, result, alarms)}
            if self.ctx.mutes is not None:
                self.ctx.mutes.remove(keys)
            self._amend(keys, enabled=True)

        return done

    def action_set_state(self) -> None:
        screen: Any = self
        alarm = self._chooser.current_alarm()
        if alarm is None:
            screen.notify("Pick an alarm first", severity="warning", timeout=3)
            return
        fields = (
            FormField(
                "state",
                "State (ALARM, OK or INSUFFICIENT_DATA)",
                "ALARM",
                OK if alarm.state == ALARM else ALARM,
            ),
            FormField(
                "reason",
                "Reason (required; AWS keeps it as the state reason)",
                "e.g. GD-12: prove the pager path",
            ),
        )

        places = self.places()

        def plan_for(values: dict[str, str]) -> Plan:
            return alarm_actions.set_state_plan(
                alarm, values.get("state", ""), values.get("reason", ""), places=places
            )

        def done(plan: Plan, values: dict[str, str], result: ActionResult) -> None:
            # A poll soon shows the new state, and the journal sees the transition there.
            self.feed.refresh()

        title = self._in_account(f"Set the state of {alarm.name} for a test", [alarm])
        self._ask(title, fields, plan_for, [alarm], done)

    def action_go_resource(self) -> None:
        screen: Any = self
        alarm = self._chooser.current_alarm()
        if alarm is None or alarm.resource is None:
            screen.notify("This alarm's dimensions name no resource", severity="warning", timeout=3)
            return
        show = getattr(screen.app, "show_resource", None)
        if show is None:
            return
        screen.run_worker(show(alarm.resource.kind, alarm.resource.id), group="alarm-go", exclusive=True)

    def _amend(self, keys: set[str], *, enabled: bool) -> None:
        snapshot = self.feed.state.snapshot
        if keys and isinstance(snapshot, AlarmsSnapshot):
            self.feed.amend(with_actions(snapshot, keys, enabled))
        self.feed.refresh()

    @work(group="actions", exit_on_error=False)
    async def run_alarm_plan(
        self, plan: Plan, values: dict[str, str], done: Callable[[Plan, dict[str, str], ActionResult], None]
    ) -> None:
        screen: Any = self
        result = await run_plan(screen, self.ctx.actions, plan)
        if result is None:
            return
        done(plan, values, result)
        level = "info" if result.ok else "error"
        text = plan.title if result.ok else f"{plan.title} failed: {result.message}"
        self.ctx.record(ActivityEvent(self.ctx.clock(), "Alarms", level, text))
        if result.ok:
            screen.notify(f"✓ {plan.title}", timeout=4)
        else:
            screen.notify(f"✖ {text}", severity="error", timeout=8)
        after = getattr(screen, "after_action", None)
        if after is not None:
            after()
