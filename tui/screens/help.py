"""`?`: every key of the current pane, then the global ones."""

from __future__ import annotations

from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

KeyRow = tuple[str, str]


def keys_table(title: str, rows: list[KeyRow]) -> Table:
    table = Table(title=title, title_justify="left", show_header=False, box=None, padding=(0, 2, 0, 0))
    table.add_column(style="bold", no_wrap=True, min_width=10)
    table.add_column()
    for key, description in rows:
        table.add_row(Text(key), Text(description))
    return table


class HelpScreen(ModalScreen[None]):
    """A modal listing keys; Esc, q or ? closes it."""

    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll {
        width: 76; max-width: 95%; height: auto; max-height: 90%;
        border: round $primary; background: $surface; padding: 0 1;
    }
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

    def compose(self) -> ComposeResult:
        with VerticalScroll() as scroll:
            scroll.border_title = f"Help · {self.pane_title}"
            if self.about:
                yield Static(Text(self.about), classes="help-about")
            if self.pane_keys:
                yield Static(keys_table(f"{self.pane_title} keys", self.pane_keys))
            yield Static(keys_table("Global keys", self.global_keys))
            yield Static(Text("\nEsc, q or ? closes this help."), classes="help-about")

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(result)
