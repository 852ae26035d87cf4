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


class FitLine(Widget):
    """One line that says as much as its width holds: the first of its ``choices`` (longest first)
    that fits, else the last one cut with "…", so nothing is ever cut without showing it."""

    DEFAULT_CSS = """
    FitLine { height: 1; width: 1fr; }
    """

    def __init__(self, *choices: Text | str, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._choices = _texts(choices)

    @property
    def choices(self) -> tuple[Text, ...]:
        return self._choices

    def update(self, *choices: Text | str) -> None:
        """Say the first of ``choices`` that fits; nothing happens when they are those shown already."""
        new = _texts(choices)
        if new == self._choices:
            return
        self._choices = new
        self.refresh()

    def render(self) -> Text:
        return fit_text(self._choices, self.content_region.width)


def _texts(choices: tuple[Text | str, ...]) -> tuple[Text, ...]:
    return tuple(c if isinstance(c, Text) else Text(c) for c in choices) or (Text(),)


def fit_text(choices: tuple[Text, ...], width: int) -> Text:
    """The first of ``choices`` at most ``width`` cells wide, else the last cut to ``width`` with "…"."""
    if width <= 0:
        return Text()
    for choice in choices:
        if choice.cell_len <= width:
            return choice
    last = choices[-1].copy()
    last.truncate(width, overflow="ellipsis")
    return last
