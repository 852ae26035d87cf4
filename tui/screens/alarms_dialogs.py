"""The Alarms pane's dialogs: a form whose fields make a plan (mute: a reason and a duration; set
state: the state and a reason), shown with the exact calls as it is typed; the state and "muted"
facets; and, on quit, the alarms this console muted and that are still muted."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Input, Label, Static

from tui.aws.actions import Plan, cli_lines
from tui.aws.actions.alarms import Mute
from tui.aws.alarms_model import Alarm
from tui.common.timefmt import clock_text
from tui.screens.alarms_format import AlarmFilter, facet_counts
from tui.screens.confirm import RunsItsPlan, cli_target_of, visible
from tui.screens.dialog import Dialog, FacetDialog, bullets, read_only_reason
from widgets.safe import clean

SHOWN_CALLS = 3


@dataclass(frozen=True)
class FormField:
    id: str
    label: str
    placeholder: str
    value: str = ""


class PlanForm(RunsItsPlan, Dialog[dict[str, str] | None]):
    IN_FIELD: ClassVar[str] = "Enter run it · Tab next field · Esc cancel"
    OUT_OF_FIELD: ClassVar[str] = "y run it · n or Esc cancel · Tab back to the fields"
    """Fields whose values make a plan, shown with its exact calls and its refusal as they are typed.
    Enter in a field runs it when it can run (y outside the fields); Esc cancels. Dismisses with the
    values, which the caller turns into the plan again and runs."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel"),
        Binding("n", "cancel", "Cancel", show=False),
        Binding("y", "confirm", "Run it", show=False),
    ]

    DEFAULT_CSS = """
    PlanForm > #dialog { border: thick $warning; max-width: 100; }
    PlanForm .dialog--title { color: $warning; }
    PlanForm Label { color: $text-muted; }
    PlanForm Input { margin: 0; }
    PlanForm .form--calls { background: $surface; padding: 0 1; }
    """

    def __init__(
        self,
        title: str,
        fields: Sequence[FormField],
        plan_for: Callable[[dict[str, str]], Plan],
        *,
        read_only: bool,
        alarms: Sequence[Alarm] = (),
    ) -> None:
        super().__init__()
        self.title_text = title
        self.fields = tuple(fields)
        self.plan_for = plan_for
        self.read_only = read_only
        self.alarms = tuple(alarms)

    def compose_top(self) -> ComposeResult:
        yield Static(Text(f"⚠ {clean(self.title_text)}"), classes="dialog--title")
        for field in self.fields:
            yield Label(field.label)
            yield Input(value=field.value, placeholder=field.placeholder, id=f"f-{field.id}", compact=True)
        yield Static("", id="refusal", classes="dialog--refusal")

    def compose_body(self) -> ComposeResult:
        yield Static("", id="why")
        yield Static("It will make exactly these calls:", classes="dialog--label")
        yield Static("", id="calls", classes="form--calls")
        yield Static("", id="notes", classes="dialog--label")

    def on_mount(self) -> None:
        self._preview()
        # The first field still to fill (a prefilled state or duration is usually right).
        fields = list(self.query(Input))
        next((f for f in fields if not f.value), fields[0]).focus()

    def values(self) -> dict[str, str]:
        return {f.id: self.query_one(f"#f-{f.id}", Input).value for f in self.fields}

    def _preview(self) -> Plan:
        plan = self.plan_for(self.values())
        calls = plan.calls
        shown = [
            f"$ {visible(line)}" for line in cli_lines(calls[:SHOWN_CALLS], cli_target_of(self.app, calls))
        ]
        if len(calls) > SHOWN_CALLS:
            shown.append(f"… and {len(calls) - SHOWN_CALLS} more calls like these ({len(calls)} in all)")
        self.query_one("#why", Static).update(Text(clean(plan.why)))
        self.query_one("#calls", Static).update(Text("\n".join(shown) or "(none)", overflow="fold"))
        self.query_one("#notes", Static).update(bullets(plan.notes))
        refusal = ""
        if self.read_only:
            refusal = read_only_reason(self.app)
        elif plan.refusal:
            refusal = f"✖ {clean(plan.refusal)}"
        self.query_one("#refusal", Static).update(Text(refusal))
        return plan

    @on(Input.Changed)
    def _changed(self) -> None:
        self._preview()

    @on(Input.Submitted)
    def _submitted(self) -> None:
        self.action_confirm()

    def action_confirm(self) -> None:
        plan = self._preview()
        if not self.runnable(plan):
            self.app.bell()
            return
        self.dismiss(self.values())

    def action_cancel(self) -> None:
        self.dismiss(None)


class AlarmFacetScreen(FacetDialog[AlarmFilter]):
    """The Alarms list's facets: state, and whether the actions are muted; c clears both."""

    DEFAULT_CSS = """
    AlarmFacetScreen > #dialog { max-width: 60; }
    """

    TITLES = {"state": "state", "actions": "actions"}
    TITLE_WIDTH = 8

    def __init__(self, alarms: Sequence[Alarm], current: AlarmFilter) -> None:
        super().__init__(facet_counts(alarms), current, AlarmFilter(text=current.text))

    def compose_top(self) -> ComposeResult:
        yield Static("Filter by state and by muted", classes="dialog--title")
        yield Static("Nothing checked in a facet lets every value through.", classes="facet--help")

    def prompt(self) -> str:
        return "space toggle · Enter apply · c clear · Esc cancel"


def mutes_table(mutes: Sequence[Mute], now: datetime) -> Table:
    """One line per mute: the alarm, its time left (or over) and the reason."""
    table = Table.grid(padding=(0, 1))
    table.add_column(no_wrap=True)
    table.add_column(no_wrap=True)
    table.add_column(overflow="fold")
    for mute in mutes:
        left = (mute.until - now).total_seconds()
        when = f"{clock_text(left)} left" if left > 0 else f"{clock_text(-left)} over"
        table.add_row(Text(f"⊘ {clean(mute.name)}"), Text(when), Text(clean(mute.reason)))
    return table


class MutedOnQuitScreen(Dialog[str | None]):
    """On quit, the alarms this console muted that are still muted: ``u`` unmutes them and quits,
    ``y`` quits and leaves them muted, ``n`` or Esc stays. Dismisses with "unmute", "quit" or None."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("u", "choose('unmute')", "Unmute and quit"),
        Binding("y", "choose('quit')", "Quit, leave them muted"),
        Binding("n,escape", "choose('')", "Stay"),
    ]

    DEFAULT_CSS = """
    MutedOnQuitScreen > #dialog { border: thick $warning; }
    MutedOnQuitScreen .dialog--title { color: $warning; }
    """

    def __init__(self, mutes: Sequence[Mute], now: datetime, *, read_only: bool) -> None:
        super().__init__()
        self.mutes = tuple(mutes)
        self.now = now
        self.read_only = read_only

    def compose_top(self) -> ComposeResult:
        count = len(self.mutes)
        alarms, verb = ("1 alarm", "is") if count == 1 else (f"{count} alarms", "are")
        yield Static(Text(f"⚠ {alarms} this console muted {verb} still muted"), classes="dialog--title")

    def compose_body(self) -> ComposeResult:
        yield Static(mutes_table(self.mutes, self.now))
        yield Static(
            "Muted alarms notify nobody. Once this console has quit, nothing reminds anyone of them.",
            classes="dialog--label",
        )

    def prompt(self) -> str:
        return "u unmute them and quit · y quit, leave them muted · n or Esc stay"

    def action_choose(self, choice: str) -> None:
        self.dismiss(choice or None)
