"""The Findings pane's dialogs: the facet toggles, and the note a workflow change asks for (with the
exact calls it will make, updated as the note is typed)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Input, Static

from tui.aws.actions import Plan, cli_lines
from tui.aws.findings_model import FACETS, SEVERITIES, WORKFLOWS, Finding, FindingFilter, facet_counts
from tui.screens.confirm import RunsItsPlan, cli_target_of, findings_table, visible
from tui.screens.dialog import Dialog, FacetDialog, bullets, read_only_reason
from tui.screens.findings_format import account_label, findings_heading, severe_hint
from widgets.safe import clean

FACET_TITLES = {
    "severity": "severity",
    "workflow": "workflow",
    "record_state": "record",
    "product": "product",
    "account": "account",
    "resource_type": "resource",
    "compliance": "compliance",
}
MAX_VALUES = 40
FACET_ORDER: dict[str, tuple[str, ...]] = {
    "severity": SEVERITIES,
    "workflow": WORKFLOWS,
    "record_state": ("ACTIVE", "ARCHIVED"),
    "compliance": ("FAILED", "WARNING", "NOT_AVAILABLE", "PASSED", ""),
}


class FacetScreen(FacetDialog[FindingFilter]):
    """The Findings list's facets: severity, workflow, record state, product, account, resource type
    and compliance, with their counts over every loaded finding; d goes back to the default view."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("d", "defaults", "Defaults")]

    DEFAULT_CSS = """
    FacetScreen > #dialog { max-width: 90; }
    """

    TITLES = FACET_TITLES

    def __init__(
        self, findings: Sequence[Finding], current: FindingFilter, names: Mapping[str, str] | None = None
    ) -> None:
        entries: list[tuple[str, str, int]] = []
        cleared = current
        for facet in FACETS:
            counts = dict(facet_counts(findings, facet))
            for value in current.values(facet):
                counts.setdefault(value, 0)
            order = FACET_ORDER.get(facet)
            values = sorted(
                counts,
                key=lambda v: (order.index(v) if order and v in order else len(order or ()), -counts[v], v),
            )
            entries.extend((facet, value, counts[value]) for value in values[:MAX_VALUES])
            cleared = cleared.with_values(facet, frozenset())
        super().__init__(entries, current, cleared)
        self.findings = findings
        self.names = dict(names or {})
        """Account id -> the name the console knows it by: the account facet shows both."""

    def value_text(self, facet: str, value: str) -> str:
        if facet == "account":
            return account_label(value, self.names)
        return super().value_text(facet, value)

    def compose_top(self) -> ComposeResult:
        yield Static("Filter by facet", classes="dialog--title")
        yield Static(
            "Nothing checked in a facet means any value; counts are over every loaded finding.",
            classes="facet--help",
        )

    def prompt(self) -> str:
        return "space toggle · Enter apply · c clear all · d default view · Esc cancel"

    def action_defaults(self) -> None:
        self.chosen = FindingFilter(
            text=self.current.text, resource=self.current.resource, account=self.current.account
        )
        self._redraw()


class NoteScreen(RunsItsPlan, Dialog[str | None]):
    IN_FIELD: ClassVar[str] = "Enter run it · Esc cancel · Tab to the plan"
    OUT_OF_FIELD: ClassVar[str] = "y run it · n or Esc cancel · Tab back to the note"
    """Asks for the note a workflow change carries, showing the findings it changes (most severe first)
    and the calls it makes as the note is typed. Enter in the note runs it (y outside it), Esc cancels."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel"),
        Binding("n", "cancel", "Cancel", show=False),
        Binding("y", "confirm", "Run it", show=False),
    ]

    DEFAULT_CSS = """
    NoteScreen > #dialog { border: thick $warning; }
    NoteScreen .dialog--title { color: $warning; }
    NoteScreen .note--label { color: $text-muted; }
    NoteScreen .note--calls { background: $surface; padding: 0 1; }
    """

    def __init__(
        self,
        title: str,
        targets: Sequence[Finding],
        plan_for: Callable[[str], Plan],
        *,
        read_only: bool,
        initial: str = "",
    ) -> None:
        super().__init__()
        self.title_text = title
        self.targets = targets
        self.plan_for = plan_for
        self.read_only = read_only
        self.initial = initial
        self.severe = severe_hint(targets)

    def compose_top(self) -> ComposeResult:
        yield Static(Text(f"⚠ {self.title_text}"), classes="dialog--title")
        yield Static("Note (required; kept on each finding with your name):", classes="note--label")
        yield Input(value=self.initial, placeholder="why: ticket, reason, who decided", id="note")
        yield Static("", id="refusal", classes="dialog--refusal")

    def compose_body(self) -> ComposeResult:
        yield Static(Text(findings_heading(self.targets)), classes="note--label")
        yield Static(findings_table(self.targets))
        yield Static("It will make exactly these calls:", classes="dialog--label")
        yield Static("", id="calls", classes="note--calls")
        yield Static("", id="notes", classes="dialog--label")

    def on_mount(self) -> None:
        self._preview(self.initial)
        self.query_one(Input).focus()

    def _preview(self, note: str) -> Plan:
        plan = self.plan_for(note)
        calls = plan.calls
        shown = [f"$ {visible(line)}" for line in cli_lines(calls[:3], cli_target_of(self.app, calls))]
        if len(calls) > 3:
            shown.append(f"… and {len(calls) - 3} more calls like these ({len(calls)} in all)")
        self.query_one("#calls", Static).update(Text("\n".join(shown) or "(none)"))
        self.query_one("#notes", Static).update(bullets(plan.notes))
        refusal = ""
        if self.read_only:
            refusal = read_only_reason(self.app)
        elif plan.refusal:
            refusal = f"✖ {clean(plan.refusal)}"
        self.query_one("#refusal", Static).update(Text(refusal))
        return plan

    @on(Input.Changed, "#note")
    def _changed(self, event: Input.Changed) -> None:
        self._preview(event.value)

    @on(Input.Submitted, "#note")
    def _submitted(self, event: Input.Submitted) -> None:
        self._run(event.value)

    def _run(self, note: str) -> None:
        plan = self._preview(note)
        if not self.runnable(plan):
            self.app.bell()
            return
        self.dismiss(note)

    def action_confirm(self) -> None:
        self._run(self.query_one("#note", Input).value)

    def action_cancel(self) -> None:
        self.dismiss(None)
