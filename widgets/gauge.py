"""Gauges, bars, percentages and sparklines as styled fragments, and a one-line labelled gauge widget.

The helpers return fragments, ``(text, role)`` pairs, so the same drawing serves a Rich ``Text`` (via
``to_text``) and a table cell (``widgets.vtable``). A role names a meaning ("ok", "warn", "critical",
"unknown", "muted", "mark", or "" for plain); the caller maps roles to theme styles. Every level that is
not fine also carries a symbol, so the state reads the same without colour.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from rich.cells import cell_len
from rich.style import Style
from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

from widgets.safe import clean

Fragment = tuple[str, str]
"""``(text, role)``: a run of text and the name of the style it takes."""

LEVELS: tuple[str, ...] = ("ok", "warn", "critical", "unknown")
"""The levels a gauge or row can be at."""

SYMBOL: dict[str, str] = {"ok": "", "warn": "▲", "critical": "✖", "unknown": "?", "mark": "●"}
"""The symbol shown next to a value at each level (nothing when it is fine)."""

PERCENT_WIDTH = 6
"""Cells taken by ``percent``: room for "✖ 112%" or "✖>999%", right-aligned."""

_PARTIAL = ("", "▏", "▎", "▍", "▌", "▋", "▊", "▉")
_FULL = "█"
_EMPTY = "·"
_OVERFLOW = "▶"
_MARK = "│"
_SPARKS = "▁▂▃▄▅▆▇█"
_MIN_BAR = 10
_DETAIL_ROOM = 32  # cells an aligned gauge leaves for its detail before it shrinks


def _merge(fragments: Sequence[Fragment]) -> list[Fragment]:
    """Adjacent fragments of the same role joined, empty ones dropped."""
    merged: list[Fragment] = []
    for text, role in fragments:
        if not text:
            continue
        if merged and merged[-1][1] == role:
            merged[-1] = (merged[-1][0] + text, role)
        else:
            merged.append((text, role))
    return merged


def bar(utilization: float | None, width: int, level: str, *, marks: Sequence[float] = ()) -> list[Fragment]:
    """A bar of exactly ``width`` cells filled to ``utilization`` (a fraction) in eighth-cell steps.

    The filled part takes the role ``level``; the rest is "·" (role "muted") with each of ``marks``
    (fractions of the width) drawn as "│" (role "mark") unless the filled part covers it. Above 1 the bar
    is full and ends in "▶". Unknown (None) is a row of "·" in role "unknown". Any value above zero
    shows at least one eighth.
    """
    if width <= 0:
        return []
    if utilization is None or math.isnan(utilization):
        return [(_EMPTY * width, "unknown")]
    if utilization > 1:
        return [(_FULL * (width - 1) + _OVERFLOW, level)]
    eighths = round(max(0.0, utilization) * width * 8)
    if utilization > 0 and eighths == 0:
        eighths = 1
    full, rest = divmod(eighths, 8)
    filled = _FULL * full + _PARTIAL[rest]
    used = full + (1 if rest else 0)
    mark_cells = {min(width - 1, int(mark * width)) for mark in marks if 0 <= mark <= 1}
    fragments: list[Fragment] = [(filled, level)]
    for cell in range(used, width):
        fragments.append((_MARK, "mark") if cell in mark_cells else (_EMPTY, "muted"))
    return _merge(fragments)


def percent(utilization: float | None, level: str) -> list[Fragment]:
    """The utilization as a percentage with the level's symbol, right-aligned in ``PERCENT_WIDTH`` cells.

    "   57%", " ▲ 83%", "✖ 112%", "     ?" (unknown); from 10 (1000%) up it reads ">999%".
    """
    if utilization is None or math.isnan(utilization):
        body = "?"
        role = "unknown"
    else:
        value = ">999%" if utilization >= 10 else f"{math.floor(max(0.0, utilization) * 100 + 0.5)}%"
        symbol = SYMBOL.get(level, "")
        body = f"{symbol} {value}" if symbol else value
        if cell_len(body) > PERCENT_WIDTH:
            body = symbol + value
        role = level
    return _merge([(" " * (PERCENT_WIDTH - cell_len(body)), ""), (body, role)])


def gauge(
    utilization: float | None, width: int, level: str, *, marks: Sequence[float] = ()
) -> list[Fragment]:
    """A bar and its percentage in exactly ``width`` cells (at least 10): bar, one space, ``percent``."""
    if width < 10:
        raise ValueError(f"a gauge needs at least 10 cells, got {width}")
    return [
        *bar(utilization, width - PERCENT_WIDTH - 1, level, marks=marks),
        (" ", ""),
        *percent(utilization, level),
    ]


def sparkline(values: Sequence[float | None], width: int, *, top: float | None = None) -> list[Fragment]:
    """The last ``width`` values as "▁▂▃▄▅▆▇█" (role "muted") scaled so ``top`` is a full block.

    Without ``top`` the largest value is the top. None values are a blank in role "unknown"; with fewer
    values than ``width`` the line is padded with spaces on the left.
    """
    if width <= 0:
        return []
    shown = list(values)[-width:]
    known = [v for v in shown if v is not None and not math.isnan(v)]
    scale = top if top is not None else (max(known) if known else None)
    fragments: list[Fragment] = [(" " * (width - len(shown)), "")]
    steps = len(_SPARKS) - 1
    for value in shown:
        if value is None or math.isnan(value):
            fragments.append((" ", "unknown"))
            continue
        ratio = value / scale if scale and scale > 0 else 0.0
        fragments.append((_SPARKS[min(steps, max(0, round(ratio * steps)))], "muted"))
    return _merge(fragments)


def to_text(fragments: Sequence[Fragment], styles: Mapping[str, Style]) -> Text:
    """The fragments as a Rich Text, each styled by its role (no style for a role not in ``styles``).

    Fragment text is taken literally (never as markup) and loses control characters.
    """
    text = Text(no_wrap=True, end="")
    for chunk, role in fragments:
        text.append(clean(chunk), styles.get(role))
    return text


class Gauge(Widget):
    """One line: ``label  ███▌··│····  ▲ 83%  detail``, for detail views.

    The label column is ``label_width`` cells; the bar takes ``gauge_width`` cells when set, or what
    the detail leaves, within what the line has (at least 10 cells);
    a line too long for the widget is cropped at the right with "…".
    """

    COMPONENT_CLASSES = {
        "gauge--ok",
        "gauge--warn",
        "gauge--critical",
        "gauge--unknown",
        "gauge--muted",
        "gauge--mark",
        "gauge--label",
    }

    DEFAULT_CSS = """
    Gauge {
        height: 1;
    }
    Gauge > .gauge--ok { color: $success; }
    Gauge > .gauge--warn { color: $warning; }
    Gauge > .gauge--critical { color: $error; text-style: bold; }
    Gauge > .gauge--unknown { color: $text-muted; }
    Gauge > .gauge--muted { color: $text-muted; }
    Gauge > .gauge--mark { color: $accent; }
    Gauge > .gauge--label { color: $text-muted; }
    """

    label: reactive[str] = reactive("")
    """What is measured, shown in the label column."""
    utilization: reactive[float | None] = reactive(None)
    """The fraction used (may exceed 1); None when unknown."""
    level: reactive[str] = reactive("unknown")
    """One of ``LEVELS``: picks the colour and symbol."""
    detail: reactive[str] = reactive("")
    """The numbers behind the percentage, shown after it."""
    marks: reactive[tuple[float, ...]] = reactive(())
    """Fractions of the bar drawn as "│" (a baseline, a threshold)."""
    label_width: reactive[int] = reactive(18)
    """Cells of the label column."""
    gauge_width: reactive[int] = reactive(0)
    """Cells of bar and percentage together, so gauges stacked in a column line up; 0 lets the
    bar take what the detail leaves."""

    def __init__(
        self,
        *,
        label: str = "",
        utilization: float | None = None,
        level: str = "unknown",
        detail: str = "",
        marks: Sequence[float] = (),
        label_width: int = 18,
        gauge_width: int = 0,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.set_reactive(Gauge.label, label)
        self.set_reactive(Gauge.utilization, utilization)
        self.set_reactive(Gauge.level, level)
        self.set_reactive(Gauge.detail, detail)
        self.set_reactive(Gauge.marks, tuple(marks))
        self.set_reactive(Gauge.label_width, label_width)
        self.set_reactive(Gauge.gauge_width, gauge_width)

    def _styles(self) -> dict[str, Style]:
        return {
            role: self.get_component_rich_style(f"gauge--{role}")
            for role in ("ok", "warn", "critical", "unknown", "muted", "mark", "label")
        }

    def render(self) -> Text:
        styles = self._styles()
        width = self.size.width
        label_width = max(0, self.label_width)
        label = Text(clean(self.label), style=styles["label"], no_wrap=True, end="")
        label.truncate(label_width, overflow="ellipsis", pad=True)
        detail = clean(self.detail)
        detail_room = 1 + cell_len(detail) if detail else 0
        if self.gauge_width:
            # Aligned gauges keep one width whatever their detail says; the detail is cropped.
            fit = min(self.gauge_width, width - label_width - 1 - _DETAIL_ROOM)
        else:
            fit = width - label_width - 1 - detail_room
        gauge_width = max(_MIN_BAR + PERCENT_WIDTH + 1, fit)
        line = Text(no_wrap=True, end="")
        line.append_text(label)
        line.append(" ")
        line.append_text(to_text(gauge(self.utilization, gauge_width, self.level, marks=self.marks), styles))
        if detail:
            line.append(" ")
            line.append(detail)
        line.truncate(width, overflow="ellipsis")
        return line
