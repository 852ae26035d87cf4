"""`?`: every key of the current pane, then the global ones, then how a dialog is confirmed."""

from __future__ import annotations

from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Static

from tui.screens.dialog import CONFIRM_RULE, Dialog

KeyRow = tuple[str, str]


def keys_table(title: str, rows: list[KeyRow], *, key_width: int = 10) -> Table:
    table = Table(title=title, title_justify="left", show_header=False, box=None, padding=(0, 2, 0, 0))
    table.add_column(style="bold", no_wrap=True, min_width=key_width)
    table.add_column()
    for key, description in rows:
        table.add_row(Text(key), Text(description))
    return table


class HelpScreen(Dialog[None]):
    """A modal listing keys: the pane's, the global ones, and how every dialog is confirmed; Esc, q or ?
    closes it."""

    DEFAULT_CSS = """
    HelpScreen > #dialog { width: 76; max-width: 100%; border: round $primary; background: $surface; }
    HelpScreen #dialog-body { background: $surface; }
    HelpScreen .help-about { color: $text-muted; margin-bottom: 1; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark", "dismiss", "Close", show=True),
    ]

    def __init__(
        self, pane_title: str, about: str, pane_keys: list[KeyRow], global_keys: list[KeyRow]
    ) -> None:
        super().__init__()
        self.pane_title = pane_title
        self.about = about
        self.pane_keys = pane_keys
        self.global_keys = global_keys

    def compose_top(self) -> ComposeResult:
        yield Static(Text(f"Help · {self.pane_title}"), classes="dialog--title")

    def compose_body(self) -> ComposeResult:
        dialog = list(CONFIRM_RULE)
        # one key column for every table, so the descriptions line up
        width = max(10, *(len(key) for key, _ in [*self.pane_keys, *self.global_keys, *dialog]))
        if self.about:
            yield Static(Text(self.about), classes="help-about")
        if self.pane_keys:
            yield Static(keys_table(f"{self.pane_title} keys", self.pane_keys, key_width=width))
        yield Static(keys_table("Global keys", self.global_keys, key_width=width))
        yield Static(keys_table("In a dialog", dialog, key_width=width))

    def prompt(self) -> str:
        return "Esc, q or ? closes"

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(result)
