"""Asks before anything changes AWS: what the action does, the exact calls, and why it may be refused."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from typing import Any, ClassVar

from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from tui.aws.actions import ApiCall, CliTarget, Plan, cli_lines
from tui.aws.clients import ClientFactory
from widgets.safe import clean


def visible(line: str) -> str:
    """``line`` with every invisible or control character (bidi overrides, zero-width spaces, newlines,
    escapes) shown as its code point, so what is read is what runs; ``c`` copies the exact line."""
    return "".join(
        f"⟨U+{ord(ch):04X}⟩"
        if unicodedata.category(ch)[0] == "C" or unicodedata.category(ch) in ("Zl", "Zp")
        else ch
        for ch in line
    )


def cli_target_of(app: App[Any], calls: Sequence[ApiCall]) -> CliTarget:
    """Where ``app``'s clients send ``calls``: its profile, endpoints and STS region."""
    context = getattr(app, "pane_context", None)
    factory = getattr(context, "factory", None)
    if isinstance(factory, ClientFactory):
        return CliTarget.of(factory, [call.service for call in calls])
    return CliTarget()


class ConfirmScreen(ModalScreen[bool]):
    """Dismisses with True only when the user confirms a plan that can run."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "confirm", "Run it"),
        Binding("n,escape", "cancel", "Cancel"),
        Binding("c", "copy", "Copy the commands"),
    ]

    DEFAULT_CSS = """
    ConfirmScreen { align: center middle; }
    ConfirmScreen > Vertical {
        width: 90%; max-width: 110; height: auto; max-height: 90%;
        border: thick $warning; background: $panel; padding: 1 2; overflow-y: auto;
    }
    ConfirmScreen VerticalScroll { height: auto; max-height: 12; }
    ConfirmScreen .confirm--title { text-style: bold; color: $warning; }
    ConfirmScreen .confirm--label { color: $text-muted; margin-top: 1; }
    ConfirmScreen .confirm--calls { color: $foreground; background: $surface; padding: 0 1; }
    ConfirmScreen .confirm--refusal { color: $error; text-style: bold; margin-top: 1; }
    ConfirmScreen .confirm--keys { dock: bottom; color: $accent; }
    """

    def __init__(self, plan: Plan, *, read_only: bool, cli: CliTarget | None = None) -> None:
        super().__init__()
        self.plan = plan
        self.read_only = read_only
        self._cli = cli

    @property
    def cli_target(self) -> CliTarget:
        """Where the shown commands go: the console's own profile, endpoints and STS region."""
        if self._cli is not None:
            return self._cli
        return cli_target_of(self.app, self.plan.calls)

    @property
    def runnable(self) -> bool:
        return not self.read_only and not self.plan.refusal and bool(self.plan.calls)

    def compose(self) -> ComposeResult:
        plan = self.plan
        with Vertical():
            yield Static(Text(f"⚠ {clean(plan.title)}"), classes="confirm--title")
            if plan.why:
                yield Static(Text(clean(plan.why)))
            yield Static(
                "Exactly these calls (pasted into a shell, they do the same):", classes="confirm--label"
            )
            with VerticalScroll():
                calls = "\n".join(f"$ {visible(line)}" for line in self.commands) or "(none)"
                yield Static(Text(calls, overflow="fold"), classes="confirm--calls")
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
            if plan.calls:
                keys += " · c copies the commands"
            yield Static(keys, classes="confirm--keys")

    def on_mount(self) -> None:
        # a small terminal scrolls the dialog: it opens at the title, the keys docked below
        self.call_after_refresh(self.query_one(Vertical).scroll_home, animate=False)

    @property
    def commands(self) -> list[str]:
        """The shell lines that do what the plan does, in order (see ``cli_lines``)."""
        return cli_lines(self.plan.calls, self.cli_target)

    def action_copy(self) -> None:
        """Copies the commands, one per line as a shell reads them (a wrapped line on screen does not
        survive a terminal's own copy)."""
        if self.plan.calls:
            self.app.copy_to_clipboard("\n".join(self.commands) + "\n")
            self.notify("The commands are on the clipboard.", timeout=3)

    def action_confirm(self) -> None:
        if self.runnable:
            self.dismiss(True)
        else:
            self.app.bell()

    def action_cancel(self) -> None:
        self.dismiss(False)
