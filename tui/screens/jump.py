"""`:` jumps to a pane by name, k9s style: type a few letters, Enter goes."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList
from textual.widgets.option_list import Option

PaneChoice = tuple[str, str]  # (name, title)


def match_panes(query: str, panes: list[PaneChoice]) -> list[PaneChoice]:
    """Panes whose name or title starts with the query, then those containing it."""
    q = query.strip().lower().lstrip(":")
    if not q:
        return list(panes)
    starts = [p for p in panes if p[0].startswith(q) or p[1].lower().startswith(q)]
    contains = [p for p in panes if p not in starts and (q in p[0] or q in p[1].lower())]
    return starts + contains


class JumpScreen(ModalScreen[str | None]):
    """Returns the chosen pane's name, or None."""

    DEFAULT_CSS = """
    JumpScreen { align: center top; }
    JumpScreen > Vertical {
        margin-top: 3; width: 50; height: auto; border: round $accent; background: $surface;
    }
    JumpScreen OptionList { height: auto; max-height: 12; border: none; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel"),
        Binding("down", "move(1)", "Next", show=False),
        Binding("up", "move(-1)", "Previous", show=False),
    ]

    def __init__(self, panes: list[PaneChoice]) -> None:
        super().__init__()
        self.panes = panes

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = "Jump to pane"
            box.border_subtitle = "Enter go · ↑↓ choose · Esc cancel"
            yield Input(placeholder="a pane, or account NAME, region NAME", id="jump-input")
            yield OptionList(*self._options(self.panes), id="jump-options")

    @staticmethod
    def _options(panes: list[PaneChoice]) -> list[Option]:
        return [Option(f"{title}  ({name})", id=name) for name, title in panes]

    @on(Input.Changed)
    def _filter(self, event: Input.Changed) -> None:
        options = self.query_one(OptionList)
        options.clear_options()
        options.add_options(self._options(match_panes(event.value, self.panes)))
        if options.option_count:
            options.highlighted = 0

    @on(Input.Submitted)
    def _submit(self) -> None:
        typed = self.query_one(Input).value.strip().lstrip(":")
        if typed.startswith(("account ", "region ")):
            self.dismiss(typed)  # a scope (``tui.screens.scope``), not a pane
            return
        options = self.query_one(OptionList)
        index = options.highlighted if options.highlighted is not None else 0
        if options.option_count:
            self.dismiss(options.get_option_at_index(index).id)
        else:
            self.app.bell()

    @on(OptionList.OptionSelected)
    def _picked(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_move(self, step: int) -> None:
        options = self.query_one(OptionList)
        if options.option_count:
            current = options.highlighted or 0
            options.highlighted = (current + step) % options.option_count

    def action_cancel(self) -> None:
        self.dismiss(None)
