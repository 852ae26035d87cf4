"""Asks before anything changes AWS: what the action does, the exact calls, and why it may be refused;
the refusal and the keys stay on screen however long the plan."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from typing import Any, ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Static

from tui.aws.actions import (
    ActionResult,
    ActionRunner,
    ApiCall,
    CliTarget,
    Plan,
    PlanRefusal,
    ReadOnlyRefusal,
    cli_lines,
)
from tui.aws.clients import ClientFactory
from tui.aws.findings_model import Finding
from tui.screens.dialog import Dialog, bullets, read_only_reason
from tui.screens.findings_format import findings_heading, findings_rows, severe_hint
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


def findings_table(findings: Sequence[Finding]) -> Table:
    """The findings a dialog acts on, most severe first, a wrapped title kept clear of the severity."""
    table = Table.grid(padding=(0, 1))
    table.add_column(no_wrap=True, min_width=6)
    table.add_column(overflow="fold")
    for word, what in findings_rows(findings):
        table.add_row(Text(word), Text(what))
    return table


async def run_plan(screen: Any, runner: ActionRunner | None, plan: Plan) -> ActionResult | None:
    """Run a confirmed ``plan`` through the console's action runner. A refusal (read-only mode, or
    the plan's own) or a console without a runner is said on ``screen``, and gives None."""
    if runner is None:
        screen.notify("Actions are not available in this console", severity="error")
        return None
    try:
        return await runner.execute(plan)
    except ReadOnlyRefusal:
        screen.notify("Read-only mode: refused, nothing was called", severity="warning")
    except PlanRefusal as refusal:
        screen.notify(f"Refused: {refusal}", severity="warning")
    return None


class ConfirmScreen(Dialog[bool]):
    """Dismisses with True only when the user confirms a plan that can run.

    ``findings``: the findings a plan acts on, listed most severe first (every CRITICAL and HIGH one)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "confirm", "Run it"),
        Binding("n,escape", "cancel", "Cancel"),
        Binding("c", "copy", "Copy the commands"),
    ]

    DEFAULT_CSS = """
    ConfirmScreen > #dialog { border: thick $warning; }
    ConfirmScreen .dialog--title { color: $warning; }
    ConfirmScreen .confirm--calls { color: $foreground; background: $surface; padding: 0 1; }
    """

    def __init__(
        self,
        plan: Plan,
        *,
        read_only: bool,
        cli: CliTarget | None = None,
        findings: Sequence[Finding] = (),
    ) -> None:
        super().__init__()
        self.plan = plan
        self.read_only = read_only
        self._cli = cli
        self.findings = tuple(findings)
        self.severe = severe_hint(self.findings)

    @property
    def cli_target(self) -> CliTarget:
        """Where the shown commands go: the console's own profile, endpoints and STS region."""
        if self._cli is not None:
            return self._cli
        return cli_target_of(self.app, self.plan.calls)

    @property
    def runnable(self) -> bool:
        return not self.read_only and not self.plan.refusal and bool(self.plan.calls)

    def compose_top(self) -> ComposeResult:
        plan = self.plan
        yield Static(Text(f"⚠ {clean(plan.title)}"), classes="dialog--title")
        # Why it cannot run stays on screen, above a plan however long.
        if self.read_only:
            yield Static(Text(read_only_reason(self.app)), classes="dialog--refusal confirm--refusal")
        elif plan.refusal:
            yield Static(
                Text(f"✖ Refused before calling AWS: {clean(plan.refusal)}"),
                classes="dialog--refusal confirm--refusal",
            )

    def compose_body(self) -> ComposeResult:
        plan = self.plan
        if plan.why:
            yield Static(Text(clean(plan.why)))
        if self.findings:
            yield Static(Text(findings_heading(self.findings)), classes="dialog--label")
            yield Static(findings_table(self.findings))
        label = (
            "Exactly these calls (pasted into a shell, they do the same):"
            if self.runnable
            else "The calls asked for (none is made):"
        )
        yield Static(label, classes="dialog--label")
        calls = "\n".join(f"$ {visible(line)}" for line in self.commands) or "(none)"
        yield Static(Text(calls, overflow="fold"), classes="confirm--calls")
        if plan.notes:
            yield Static(bullets(plan.notes), classes="dialog--label")

    def prompt(self) -> str:
        keys = "y run it · n or Esc cancel" if self.runnable else "n or Esc closes; nothing was called"
        if self.plan.calls:
            keys += " · c copies the commands"
        return keys

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


class RunsItsPlan:
    """Mixed into a dialog that builds a plan from what is typed and runs it when confirmed (a note,
    a mute's reason and duration): whether it may run, and its prompt line. ``IN_FIELD`` and
    ``OUT_OF_FIELD`` say where Tab goes from and to a text field."""

    read_only: bool
    IN_FIELD: ClassVar[str] = "Enter run it · Esc cancel"
    OUT_OF_FIELD: ClassVar[str] = "y run it · n or Esc cancel"

    def runnable(self, plan: Plan) -> bool:
        return not self.read_only and not plan.refusal and bool(plan.calls)

    def prompt(self) -> str:
        if self.read_only:
            return "Esc closes; nothing is called"
        dialog: Any = self  # a Dialog: it knows whether the focus is in a text field
        return self.IN_FIELD if dialog.typing() else self.OUT_OF_FIELD
