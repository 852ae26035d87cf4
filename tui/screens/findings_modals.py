"""The Findings pane's dialogs: the facet toggles, and the note a workflow change asks for (with the
exact calls it will make, updated as the note is typed)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static

from tui.aws.actions import Plan, cli_lines
from tui.aws.findings_model import FACETS, SEVERITIES, WORKFLOWS, Finding, FindingFilter, facet_counts
from tui.screens.confirm import cli_target_of, visible
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


class FacetScreen(ModalScreen[FindingFilter | None]):
    """Every facet's values with their counts, each marked ☑ or ☐ (not by colour alone); space
    toggles, Enter applies, Esc keeps the old filter."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "apply", "Apply", priority=True),
        Binding("space", "flip", "Toggle", priority=True),
        Binding("escape", "cancel", "Cancel"),
        Binding("c", "clear", "Clear all"),
        Binding("d", "defaults", "Defaults"),
    ]

    DEFAULT_CSS = """
    FacetScreen { align: center middle; }
    FacetScreen > Vertical {
        width: 80%; max-width: 90; height: 90%;
        border: thick $accent; background: $panel; padding: 0 1;
    }
    FacetScreen .facet--title { text-style: bold; }
    FacetScreen .facet--help { color: $text-muted; }
    FacetScreen OptionList { height: 1fr; }
    """

    def __init__(self, findings: Sequence[Finding], current: FindingFilter) -> None:
        super().__init__()
        self.findings = findings
        self.current = current
        self.chosen = current
        self._entries: list[tuple[str, str, int]] = []
        for facet in FACETS:
            counts = dict(facet_counts(findings, facet))
            for value in current.values(facet):
                counts.setdefault(value, 0)
            order = FACET_ORDER.get(facet)
            values = sorted(
                counts,
                key=lambda v: (order.index(v) if order and v in order else len(order or ()), -counts[v], v),
            )
            self._entries.extend((facet, value, counts[value]) for value in values[:MAX_VALUES])

    def _prompt(self, index: int) -> Text:
        facet, value, count = self._entries[index]
        mark = "☑" if value in self.chosen.values(facet) else "☐"
        prompt = Text(f"{mark} ")
        prompt.append(f"{FACET_TITLES[facet]:<11}", style="dim")
        prompt.append(f"{clean(value or 'none')}  ")
        prompt.append(f"{count:,}", style="dim")
        return prompt

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static("Filter by facet", classes="facet--title")
            yield Static(
                "space toggles · Enter applies · c clears all · d restores the default view · Esc cancels. "
                "Nothing checked in a facet means any value; counts are over every loaded finding.",
                classes="facet--help",
            )
            yield OptionList(*(self._prompt(i) for i in range(len(self._entries))), id="facets")

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    def _redraw(self) -> None:
        listing = self.query_one(OptionList)
        for index in range(len(self._entries)):
            listing.replace_option_prompt_at_index(index, self._prompt(index))

    def toggle(self, facet: str, value: str) -> None:
        self.chosen = self.chosen.toggled(facet, value)
        self._redraw()

    def action_flip(self) -> None:
        index = self.query_one(OptionList).highlighted
        if index is not None:
            facet, value, _ = self._entries[index]
            self.toggle(facet, value)

    def action_apply(self) -> None:
        self.dismiss(self.chosen)

    def action_cancel(self) -> None:
        self.dismiss(None)

    def action_clear(self) -> None:
        for facet in FACETS:
            self.chosen = self.chosen.with_values(facet, frozenset())
        self._redraw()

    def action_defaults(self) -> None:
        self.chosen = FindingFilter(text=self.current.text, resource=self.current.resource)
        self._redraw()


class NoteScreen(ModalScreen[str | None]):
    """Asks for the note a workflow change carries, showing the calls it makes as it is typed;
    Enter runs it (when it can run), Esc cancels."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    DEFAULT_CSS = """
    NoteScreen { align: center middle; }
    NoteScreen > Vertical {
        width: 90%; max-width: 110; height: auto; max-height: 90%;
        border: thick $warning; background: $panel; padding: 1 2;
    }
    NoteScreen .note--title { text-style: bold; color: $warning; }
    NoteScreen .note--label { color: $text-muted; margin-top: 1; }
    NoteScreen VerticalScroll { height: auto; max-height: 10; }
    NoteScreen .note--calls { background: $surface; padding: 0 1; }
    NoteScreen .note--refusal { color: $error; text-style: bold; margin-top: 1; }
    NoteScreen .note--keys { margin-top: 1; color: $accent; }
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

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Text(f"⚠ {self.title_text}"), classes="note--title")
            names = [f"• {f.severity.lower()} · {f.title}" for f in self.targets[:5]]
            if len(self.targets) > 5:
                names.append(f"… and {len(self.targets) - 5:,} more")
            yield Static(Text("\n".join(names)))
            yield Static("Note (required; kept on each finding with your name):", classes="note--label")
            yield Input(value=self.initial, placeholder="why: ticket, reason, who decided", id="note")
            yield Static("It will make exactly these calls:", classes="note--label")
            with VerticalScroll():
                yield Static("", id="calls", classes="note--calls")
            yield Static("", id="notes", classes="note--label")
            yield Static("", id="refusal", classes="note--refusal")
            yield Static("", id="keys", classes="note--keys")

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
        self.query_one("#notes", Static).update(Text("\n".join(f"• {clean(n)}" for n in plan.notes)))
        refusal = ""
        if self.read_only:
            refusal = "✖ Read-only mode: this console refuses every change."
        elif plan.refusal:
            refusal = f"✖ {clean(plan.refusal)}"
        self.query_one("#refusal", Static).update(Text(refusal))
        runnable = not self.read_only and not plan.refusal and bool(plan.calls)
        keys = "Enter runs it · Esc cancels" if runnable else "Esc closes; nothing is called"
        self.query_one("#keys", Static).update(keys)
        return plan

    @on(Input.Changed, "#note")
    def _changed(self, event: Input.Changed) -> None:
        self._preview(event.value)

    @on(Input.Submitted, "#note")
    def _submitted(self, event: Input.Submitted) -> None:
        plan = self._preview(event.value)
        if self.read_only or plan.refusal or not plan.calls:
            self.app.bell()
            return
        self.dismiss(event.value)

    def action_cancel(self) -> None:
        self.dismiss(None)
