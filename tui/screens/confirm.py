"""Asks before anything changes AWS: what the action does, the exact calls, and why it may be refused."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from tui.aws.actions import Plan
from widgets.safe import clean


class ConfirmScreen(ModalScreen[bool]):
    """Dismisses with True only when the user confirms a plan that can run."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "confirm", "Run it"),
        Binding("n,escape", "cancel", "Cancel"),
    ]

    DEFAULT_CSS = """
    ConfirmScreen { align: center middle; }
    ConfirmScreen > Vertical {
        width: 90%; max-width: 110; height: auto; max-height: 90%;
        border: thick $warning; background: $panel; padding: 1 2;
    }
    ConfirmScreen VerticalScroll { height: auto; max-height: 12; }
    ConfirmScreen .confirm--title { text-style: bold; color: $warning; }
    ConfirmScreen .confirm--label { color: $text-muted; margin-top: 1; }
    ConfirmScreen .confirm--calls { color: $foreground; background: $surface; padding: 0 1; }
    ConfirmScreen .confirm--refusal { color: $error; text-style: bold; margin-top: 1; }
    ConfirmScreen .confirm--keys { margin-top: 1; color: $accent; }
    """

    def __init__(self, plan: Plan, *, read_only: bool) -> None:
        super().__init__()
        self.plan = plan
        self.read_only = read_only

    @property
    def runnable(self) -> bool:
        return not self.read_only and not self.plan.refusal and bool(self.plan.calls)

    def compose(self) -> ComposeResult:
        plan = self.plan
        with Vertical():
            yield Static(Text(f"⚠ {clean(plan.title)}"), classes="confirm--title")
            if plan.why:
                yield Static(Text(clean(plan.why)))
            yield Static("It will make exactly these calls:", classes="confirm--label")
            with VerticalScroll():
                lines = []
                for call in plan.calls:
                    lines.append(f"$ {call.cli()}")
                    if call.as_role:
                        lines.append(f"    ({call.as_role})")
                calls = "\n".join(lines) or "(none)"
                yield Static(Text(calls), classes="confirm--calls")
            if plan.notes:
                yield Static(Text("\n".join(f"• {clean(n)}" for n in plan.notes)), classes="confirm--label")
            if self.read_only:
                yield Static(
                    "✖ Read-only mode: this console refuses every change. "
                    "Start it without --read-only to act.",
                    classes="confirm--refusal",
                )
            elif plan.refusal:
                yield Static(
                    Text(f"✖ Refused before calling AWS: {clean(plan.refusal)}"), classes="confirm--refusal"
                )
            keys = "y run it · n or Esc cancel" if self.runnable else "Esc closes; nothing was called"
            yield Static(keys, classes="confirm--keys")

    def action_confirm(self) -> None:
        if self.runnable:
            self.dismiss(True)
        else:
            self.app.bell()

    def action_cancel(self) -> None:
        self.dismiss(False)
