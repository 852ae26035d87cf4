"""A stopwatch reading to read from across a room, as large as the room on screen allows.

Three sizes, the largest that fits the widget's width and ``max_rows`` is drawn: block digits five
rows high (each pixel two cells of reverse video, so they look square and solid), Textual's
three-row ``Digits``, or the reading as one line of bold text. The text never loses a character: it
is the reading itself.
"""

from __future__ import annotations

import re

from rich.align import Align, AlignMethod
from rich.console import RenderableType
from rich.text import Text
from textual.geometry import Size
from textual.reactive import reactive
from textual.renderables.digits import Digits as DigitsRenderable
from textual.widget import Widget

LARGE_ROWS = 5
DIGITS_ROWS = 3
TEXT_ROWS = 1

_PIXEL = "██"
_GAP = "  "
_FONT: dict[str, tuple[str, ...]] = {
    "0": ("###", "#.#", "#.#", "#.#", "###"),
    "1": (".#.", "##.", ".#.", ".#.", "###"),
    "2": ("###", "..#", "###", "#..", "###"),
    "3": ("###", "..#", "###", "..#", "###"),
    "4": ("#.#", "#.#", "###", "..#", "..#"),
    "5": ("###", "#..", "###", "..#", "###"),
    "6": ("###", "#..", "###", "#.#", "###"),
    "7": ("###", "..#", "..#", "..#", "..#"),
    "8": ("###", "#.#", "###", "#.#", "###"),
    "9": ("###", "#.#", "###", "..#", "###"),
    ":": (".", "#", ".", "#", "."),
    "-": ("...", "...", "###", "...", "..."),
    " ": ("..", "..", "..", "..", ".."),
}
"""Each character five pixels high; ``#`` is drawn, ``.`` is blank."""
_DIGITS_CHARACTERS = frozenset(" 0123456789+-^x:ABCDEF$£€()")


def large_lines(value: str) -> list[str] | None:
    """``value`` in the five-row block digits, or None when a character has no block glyph."""
    if not value or any(c not in _FONT for c in value):
        return None
    rows = []
    for row in range(LARGE_ROWS):
        pixels = (_FONT[c][row] for c in value)
        rows.append(_GAP.join("".join(_PIXEL if p == "#" else "  " for p in glyph) for glyph in pixels))
    return rows


def large_text(value: str) -> Text:
    """``value`` in block digits as Rich text: each pixel a reverse-video run of spaces, which a
    terminal fills solid in the text's colour (a block glyph may leave seams between cells)."""
    text = Text(no_wrap=True, end="")
    for n, line in enumerate(large_lines(value) or ()):
        if n:
            text.append("\n")
        for run in re.finditer(r"(█+)|( +)", line):
            solid = run.group(1)
            text.append(" " * len(run.group(0)), "reverse" if solid else "")
    return text


def large_width(value: str) -> int | None:
    """Cells ``value`` takes in block digits (None: it cannot be drawn so)."""
    lines = large_lines(value)
    return len(lines[0]) if lines else None


def digits_width(value: str) -> int | None:
    """Cells ``value`` takes in Textual's three-row digits (None: it cannot be drawn so)."""
    if not value or any(c not in _DIGITS_CHARACTERS for c in value):
        return None
    return DigitsRenderable.get_width(value)


def rows_for(value: str, width: int, max_rows: int) -> int:
    """The rows of the largest size of ``value`` that fits ``width`` cells and ``max_rows`` rows."""
    large = large_width(value)
    if max_rows >= LARGE_ROWS and large is not None and large <= width:
        return LARGE_ROWS
    digits = digits_width(value)
    if max_rows >= DIGITS_ROWS and digits is not None and digits <= width:
        return DIGITS_ROWS
    return TEXT_ROWS


class BigTimer(Widget):
    """A reading such as ``17:02`` in the largest digits that fit; its colour and alignment come from
    CSS (``color``, ``text-align``)."""

    DEFAULT_CSS = """
    BigTimer {
        width: 1fr;
        height: auto;
        text-style: bold;
    }
    """

    value: reactive[str] = reactive("", layout=False)
    """The reading shown: digits, ``:`` and ``-``."""
    max_rows: reactive[int] = reactive(LARGE_ROWS, layout=True)
    """The most rows it may take: 5 (block digits), 3 (Textual's digits) or 1 (text)."""

    def __init__(
        self,
        value: str = "",
        *,
        max_rows: int = LARGE_ROWS,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.set_reactive(BigTimer.value, value)
        self.set_reactive(BigTimer.max_rows, max_rows)

    @property
    def rows(self) -> int:
        """The rows of the size drawn now."""
        return rows_for(self.value, self.content_region.width, self.max_rows)

    def watch_value(self, old: str, new: str) -> None:
        # A tick of the clock repaints this widget alone; the screen is laid out again only when the
        # reading changes size (an hour reached, a size that no longer fits).
        width = self.content_region.width
        same_rows = rows_for(old, width, self.max_rows) == rows_for(new, width, self.max_rows)
        self.refresh(layout=not same_rows or len(old) != len(new))

    def get_content_width(self, container: Size, viewport: Size) -> int:
        rows = rows_for(self.value, container.width, self.max_rows)
        if rows == LARGE_ROWS:
            return large_width(self.value) or 0
        if rows == DIGITS_ROWS:
            return digits_width(self.value) or 0
        return len(self.value)

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return rows_for(self.value, width, self.max_rows)

    def render(self) -> RenderableType:
        style = self.rich_style
        rows = self.rows
        shown: RenderableType
        if rows == LARGE_ROWS:
            shown = large_text(self.value)
        elif rows == DIGITS_ROWS:
            shown = DigitsRenderable(self.value, style)
        else:
            shown = Text(self.value, no_wrap=True, overflow="crop")
        align = str(self.styles.text_align)
        method: AlignMethod = (
            "center" if align == "center" else "right" if align in ("right", "end") else "left"
        )
        return Align(shown, method)
