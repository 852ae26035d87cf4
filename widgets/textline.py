"""Fixed-size text that repaints without a relayout: for lines a list updates on every keystroke."""

from __future__ import annotations

from rich.text import Text
from textual.widget import Widget


class TextLine(Widget):
    """Shows a Rich ``Text`` (never parsed as markup). Its size comes from CSS, not from its text, so
    ``update`` repaints the widget alone instead of laying out the whole screen again."""

    DEFAULT_CSS = """
    TextLine { height: 1; width: 1fr; }
    """

    def __init__(self, text: Text | str = "", *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._text = text if isinstance(text, Text) else Text(text)

    @property
    def text(self) -> Text:
        """What the line shows now."""
        return self._text

    def update(self, text: Text | str) -> None:
        """Show ``text``; nothing happens when it is what is shown already."""
        new = text if isinstance(text, Text) else Text(text)
        if new == self._text:
            return
        self._text = new
        self.refresh()

    def render(self) -> Text:
        return self._text
