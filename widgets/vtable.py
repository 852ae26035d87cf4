"""A table that draws only the rows on screen, for lists of thousands of rows.

``VirtualTable`` holds plain ``TableRow`` data; its body is a Line API ``ScrollView`` whose ``render_line``
lays out one row, so replacing 50,000 rows costs storing them and finding the cursor's key, and a keystroke
costs the rows on screen. Cells are plain strings or styled fragments from ``widgets.gauge``; both are shown
literally (never as markup), cropped to their column with "…". A row's level is a symbol in a marker column,
so its state is visible without colour.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import ClassVar, Self, TypeAlias, overload

from rich.cells import cell_len, set_cell_size
from rich.color import Color as RichColor
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.cache import LRUCache
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widget import Widget

from widgets.gauge import SYMBOL, Fragment
from widgets.safe import clean

Cell: TypeAlias = str | Sequence[Fragment]
"""A cell: a plain string, or styled fragments (``widgets.gauge``)."""

MARKER_WIDTH = 2
"""Cells before the first column: the row's level symbol and a space."""

ROLES: tuple[str, ...] = ("ok", "warn", "critical", "unknown", "muted", "mark")
"""Fragment roles with a style of their own (``vtable--<role>``); any other role is plain."""

_ELLIPSIS = "…"
_CACHE_SIZE = 1024
# Below this contrast ratio against the cursor background, a role's colour gives way to the cursor's.
_MIN_CURSOR_CONTRAST = 2.0


@dataclass(frozen=True)
class Column:
    """A column of a ``VirtualTable``."""

    key: str
    """Identity of the column."""
    title: str
    """Header text."""
    width: int
    """Minimum width in cells."""
    flex: bool = False
    """Flex columns share the width left by the others equally."""
    align: str = "left"
    """``"left"`` or ``"right"``."""


@dataclass(frozen=True)
class TableRow:
    """One row: a stable key, one cell per column, and an optional level ("warn", "critical", ...)."""

    key: str
    """Stable identity (an instance id, a finding id): the cursor follows it across ``set_rows``."""
    cells: tuple[Cell, ...]
    """One cell per column; missing cells are blank, extra ones are ignored."""
    level: str = ""
    """Shown as its symbol ("▲", "✖", "?") in the marker column; "" or "ok" shows nothing."""


class LazyRows(Sequence[TableRow]):
    """Table rows made only when the table draws them (``set_rows`` keeps a sequence with
    ``index_of`` as it is): a keystroke over 50,000 findings builds the rows on screen, not 50,000
    of them, and a cycle of 2,000 instances the rows in view."""

    def __init__(
        self,
        count: int,
        key_of: Callable[[int], str],
        make: Callable[[int], TableRow],
        find: Callable[[str], int | None] | None = None,
    ) -> None:
        self._count = count
        self._key_of = key_of
        self._make = make
        self._find = find
        self._made: dict[int, TableRow] = {}
        self._index: dict[str, int] | None = None

    def __len__(self) -> int:
        return self._count

    @overload
    def __getitem__(self, index: int) -> TableRow: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[TableRow]: ...
    def __getitem__(self, index: int | slice) -> TableRow | Sequence[TableRow]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(self._count))]
        if index < 0:
            index += self._count
        if not 0 <= index < self._count:
            raise IndexError(index)
        row = self._made.get(index)
        if row is None:
            if len(self._made) > 4096:
                self._made.clear()
            row = self._make(index)
            self._made[index] = row
        return row

    def __iter__(self) -> Iterator[TableRow]:
        for index in range(self._count):
            yield self[index]

    def key_at(self, index: int) -> str:
        return self._key_of(index)

    def index_of(self, key: str) -> int | None:
        if self._find is not None:
            return self._find(key)
        if self._index is None:
            self._index = {self._key_of(i): i for i in range(self._count)}
        return self._index.get(key)


def layout_columns(columns: Sequence[Column], width: int) -> list[int]:
    """The width of each column when the table is ``width`` cells wide.

    Fixed columns get their width; flex columns share what is left (each at least its width), the
    remainder going to the leftmost. When the total does not fit, every column keeps its minimum and the
    line is cropped at the right.
    """
    widths = [max(0, column.width) for column in columns]
    flex = [index for index, column in enumerate(columns) if column.flex]
    if not flex:
        return widths
    available = width - MARKER_WIDTH - max(0, len(columns) - 1)
    slack = available - sum(widths)
    if slack <= 0:
        return widths
    share, extra = divmod(slack, len(flex))
    for position, index in enumerate(flex):
        widths[index] += share + (1 if position < extra else 0)
    return widths


def fit_cell(cell: Cell, width: int, align: str = "left") -> list[Fragment]:
    """The cell as fragments of exactly ``width`` cells: cropped with "…" or padded per ``align``.

    Text loses its control characters; it is never interpreted as markup.
    """
    if width <= 0:
        return []
    pieces: Sequence[Fragment] = [(cell, "")] if isinstance(cell, str) else cell
    fragments = [(clean(text), role) for text, role in pieces]
    total = sum(cell_len(text) for text, _ in fragments)
    if total > width:
        room = width - 1
        cropped: list[Fragment] = []
        last_role = ""
        for text, role in fragments:
            if room <= 0:
                break
            size = cell_len(text)
            if size > room:
                text = set_cell_size(text, room)
                size = room
            cropped.append((text, role))
            last_role = role
            room -= size
        cropped.append((_ELLIPSIS, last_role))
        return cropped
    pad = (" " * (width - total), "")
    if align == "right":
        return [pad, *fragments]
    return [*fragments, pad]


def _luminance(color: RichColor) -> float:
    """WCAG relative luminance of a colour."""

    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    red, green, blue = color.get_truecolor()
    return 0.2126 * channel(red) + 0.7152 * channel(green) + 0.0722 * channel(blue)


def _legible(foreground: RichColor | None, background: RichColor | None) -> bool:
    """True when ``foreground`` reads on ``background`` (or either is unset)."""
    if foreground is None or background is None:
        return True
    lighter, darker = sorted((_luminance(foreground), _luminance(background)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05) >= _MIN_CURSOR_CONTRAST


class TableHeader(Widget):
    """The column titles of a ``VirtualTable``, aligned with its body; not scrolled."""

    DEFAULT_CSS = """
    TableHeader {
        height: 1;
    }
    """

    def __init__(self, table: VirtualTable) -> None:
        super().__init__()
        self._table = table

    def render_line(self, y: int) -> Strip:
        table = self._table
        width = self.size.width
        style = self.rich_style + table.get_component_rich_style("vtable--header")
        if y != 0:
            return Strip.blank(width, style)
        columns = table.columns
        widths = layout_columns(columns, table.body.layout_width)
        segments = [Segment(" " * MARKER_WIDTH, style)]
        for index, (column, column_width) in enumerate(zip(columns, widths, strict=True)):
            if index:
                segments.append(Segment(" ", style))
            for text, _role in fit_cell(column.title, column_width, column.align):
                segments.append(Segment(text, style))
        return Strip(segments).crop_extend(0, width, style).simplify()


class TableBody(ScrollView, can_focus=True, inherit_bindings=False):
    """The rows of a ``VirtualTable``: one ``render_line`` per visible row, styles cached per row."""

    DEFAULT_CSS = """
    TableBody {
        height: 1fr;
        overflow-x: hidden;
        overflow-y: auto;
    }
    """

    def __init__(self, table: VirtualTable) -> None:
        super().__init__()
        self._table = table
        self._strips: LRUCache[tuple[str, int, int, bool], Strip] = LRUCache(_CACHE_SIZE)
        self._styles: dict[bool, dict[str, Style]] = {}
        self._width = -1

    @property
    def layout_width(self) -> int:
        """Cells available to a row (the width less any scrollbar)."""
        return self.scrollable_content_region.width

    def clear_cache(self) -> None:
        """Forget rendered rows and styles (rows, width or theme changed)."""
        self._strips.clear()
        self._styles.clear()

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self.clear_cache()

    def on_resize(self, _event: events.Resize) -> None:
        self.clear_cache()
        self._table.header.refresh()
        self._table.scroll_to_cursor()

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None:
            return
        index = self.scroll_offset.y + offset.y
        if 0 <= index < len(self._table.rows):
            event.stop()
            self._table.click_row(index)

    def _role_styles(self, is_cursor: bool) -> dict[str, Style]:
        """Role name -> full segment style, for ordinary rows or the cursor row."""
        styles = self._styles.get(is_cursor)
        if styles is not None:
            return styles
        table = self._table
        plain = self.rich_style
        if is_cursor:
            plain = plain + table.get_component_rich_style("vtable--cursor")
        styles = {"": plain}
        for role in (*ROLES, "empty"):
            full = table.get_component_rich_style(f"vtable--{role}")
            attributes = table.get_component_rich_style(f"vtable--{role}", partial=True).without_color
            legible = not is_cursor or _legible(full.color, plain.bgcolor)
            color = full.color if legible else None
            styles[role] = plain + attributes + Style(color=color)
        self._styles[is_cursor] = styles
        return styles

    def render_line(self, y: int) -> Strip:
        table = self._table
        width = self.layout_width
        if width != self._width:
            self._width = width
            table.header.refresh()
        rows = table.rows
        index = self.scroll_offset.y + y
        if not rows:
            return self._render_empty(width) if y == 0 else Strip.blank(width, self.rich_style)
        if index >= len(rows):
            return Strip.blank(width, self.rich_style)
        row = rows[index]
        is_cursor = index == table.cursor_index
        cache_key = (row.key, index, width, is_cursor)
        strip = self._strips.get(cache_key)
        if strip is None:
            strip = self._render_row(row, width, is_cursor)
            self._strips[cache_key] = strip
        return strip

    def _render_empty(self, width: int) -> Strip:
        styles = self._role_styles(False)
        segments = [Segment(" " * MARKER_WIDTH, styles[""])]
        for text, _role in fit_cell(self._table.empty_text, width - MARKER_WIDTH):
            segments.append(Segment(text, styles["empty"]))
        return Strip(segments).crop_extend(0, width, styles[""]).simplify()

    def _render_row(self, row: TableRow, width: int, is_cursor: bool) -> Strip:
        styles = self._role_styles(is_cursor)
        plain = styles[""]
        columns = self._table.columns
        symbol = SYMBOL.get(row.level, "")
        segments = [
            Segment(symbol or " ", styles.get(row.level, plain) if symbol else plain),
            Segment(" " * (MARKER_WIDTH - 1), plain),
        ]
        for index, (column, column_width) in enumerate(
            zip(columns, layout_columns(columns, width), strict=True)
        ):
            if index:
                segments.append(Segment(" ", plain))
            cell: Cell = row.cells[index] if index < len(row.cells) else ""
            for text, role in fit_cell(cell, column_width, column.align):
                segments.append(Segment(text, styles.get(role, plain)))
        return Strip(segments).crop_extend(0, width, plain).simplify()


class VirtualTable(Widget):
    """A header and a virtual body of ``TableRow``: keys move a row cursor, Enter or a click selects."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up,k", "cursor_up", "Up", show=False),
        Binding("down,j", "cursor_down", "Down", show=False),
        Binding("pageup", "page_up", "Page up", show=False),
        Binding("pagedown", "page_down", "Page down", show=False),
        Binding("home,g", "cursor_first", "First", show=False),
        Binding("end,G", "cursor_last", "Last", show=False),
        Binding("enter", "select", "Select", show=False),
    ]

    COMPONENT_CLASSES = {
        "vtable--header",
        "vtable--cursor",
        "vtable--ok",
        "vtable--warn",
        "vtable--critical",
        "vtable--unknown",
        "vtable--muted",
        "vtable--mark",
        "vtable--empty",
    }

    DEFAULT_CSS = """
    VirtualTable {
        height: 1fr;
        layout: vertical;
        background: $surface;
        color: $foreground;
    }
    /* A rule on the table itself makes focus moves restyle it and its cursor component. */
    VirtualTable:focus-within {
        background-tint: $foreground 5%;
    }
    VirtualTable > .vtable--header { background: $panel; color: $foreground; text-style: bold; }
    VirtualTable > .vtable--cursor {
        background: $block-cursor-blurred-background;
        color: $block-cursor-blurred-foreground;
        text-style: $block-cursor-blurred-text-style;
    }
    VirtualTable:focus-within > .vtable--cursor {
        background: $block-cursor-background;
        color: $block-cursor-foreground;
        text-style: $block-cursor-text-style;
    }
    VirtualTable > .vtable--ok { color: $success; }
    VirtualTable > .vtable--warn { color: $warning; }
    VirtualTable > .vtable--critical { color: $error; text-style: bold; }
    VirtualTable > .vtable--unknown { color: $text-muted; }
    VirtualTable > .vtable--muted { color: $text-muted; }
    VirtualTable > .vtable--mark { color: $accent; }
    VirtualTable > .vtable--empty { color: $text-muted; text-style: italic; }
    """

    empty_text: reactive[str] = reactive("nothing to show")
    """Shown in place of rows when there are none (e.g. "no instance matches 'xyz'")."""

    class Highlighted(Message):
        """The cursor moved to another row key (None: there are no rows)."""

        def __init__(self, table: VirtualTable, row_key: str | None) -> None:
            super().__init__()
            self.table = table
            """The table whose cursor moved."""
            self.row_key = row_key
            """The key of the row under the cursor, or None when the table is empty."""

        @property
        def control(self) -> VirtualTable:
            return self.table

    class Selected(Message):
        """The user chose a row (Enter, or a click on the cursor row)."""

        def __init__(self, table: VirtualTable, row_key: str) -> None:
            super().__init__()
            self.table = table
            """The table the row belongs to."""
            self.row_key = row_key
            """The key of the chosen row."""

        @property
        def control(self) -> VirtualTable:
            return self.table

    def __init__(
        self,
        columns: Sequence[Column],
        *,
        empty_text: str = "nothing to show",
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.set_reactive(VirtualTable.empty_text, empty_text)
        self._columns: tuple[Column, ...] = tuple(columns)
        self._rows: Sequence[TableRow] = ()
        self._cursor = 0
        self._cursor_key: str | None = None
        self._header = TableHeader(self)
        self._body = TableBody(self)

    def watch_empty_text(self) -> None:
        if not self._rows:
            self._body.refresh()

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._body.clear_cache()
        self._body.refresh()
        self._header.refresh()

    def compose(self) -> ComposeResult:
        yield self._header
        yield self._body

    def action_cursor_up(self) -> None:
        self._move(self._cursor - 1)

    def action_cursor_down(self) -> None:
        self._move(self._cursor + 1)

    def action_page_up(self) -> None:
        page = self._page()
        self._body.scroll_to(y=self._body.scroll_offset.y - page, animate=False, force=True)
        self._move(self._cursor - page)

    def action_page_down(self) -> None:
        page = self._page()
        self._body.scroll_to(y=self._body.scroll_offset.y + page, animate=False, force=True)
        self._move(self._cursor + page)

    def action_cursor_first(self) -> None:
        self._move(0)

    def action_cursor_last(self) -> None:
        self._move(len(self._rows) - 1)

    def action_select(self) -> None:
        if self._rows:
            self.post_message(self.Selected(self, self._rows[self._cursor].key))

    @property
    def columns(self) -> tuple[Column, ...]:
        """The columns, left to right."""
        return self._columns

    @property
    def rows(self) -> Sequence[TableRow]:
        """The rows, in display order."""
        return self._rows

    @property
    def cursor_index(self) -> int:
        """Position of the cursor row (0 when there are no rows)."""
        return self._cursor

    @property
    def cursor_key(self) -> str | None:
        """Key of the cursor row, or None when there are no rows."""
        return self._cursor_key

    @property
    def header(self) -> TableHeader:
        """The header line."""
        return self._header

    @property
    def body(self) -> TableBody:
        """The scrolling, focusable rows."""
        return self._body

    def set_rows(self, rows: Sequence[TableRow]) -> None:
        """Show ``rows``; the cursor stays on its key when present, else keeps its index within range.

        A sequence with an ``index_of(key) -> int | None`` method is kept as it is, not copied: it may
        make its rows only when they are drawn.

        When the cursor's row moved, the view scrolls with it so it stays at the same place on screen.
        """
        if not isinstance(rows, tuple) and not hasattr(rows, "index_of"):
            rows = tuple(rows)
        old_index = self._cursor
        found = self._find(rows, self._cursor_key, hint=old_index)
        index = max(0, min(old_index, len(rows) - 1)) if found is None else found
        self._rows = rows
        self._cursor = index
        body = self._body
        body.clear_cache()
        body.virtual_size = Size(0, len(rows))
        if found is not None and found != old_index and body.size.height:
            body.scroll_to(y=body.scroll_offset.y + found - old_index, animate=False, force=True)
        body.refresh()
        self._cursor_moved()

    def set_columns(self, columns: Sequence[Column]) -> None:
        """Replace the columns (rows keep their cells, one per new column)."""
        self._columns = tuple(columns)
        self._body.clear_cache()
        self._header.refresh()
        self._body.refresh()

    def move_cursor_to_key(self, key: str) -> bool:
        """Put the cursor on the row with ``key``; False (and no move) when no row has it."""
        index = self._find(self._rows, key, hint=self._cursor)
        if index is None:
            return False
        self._move(index)
        return True

    def focus(self, scroll_visible: bool = True) -> Self:
        """Focus the body, which takes the keys."""
        self._body.focus(scroll_visible)
        return self

    def scroll_to_cursor(self) -> None:
        """Scroll the body just enough to show the cursor row."""
        body = self._body
        if not self._rows or not body.size.height:
            return
        body.scroll_to_region(
            Region(0, self._cursor, max(1, body.layout_width), 1), animate=False, force=True, immediate=True
        )

    def click_row(self, index: int) -> None:
        """A click on row ``index``: the cursor moves there, or the row is selected if already there."""
        if index == self._cursor:
            self.action_select()
        else:
            self._move(index)

    @staticmethod
    def _find(rows: Sequence[TableRow], key: str | None, *, hint: int) -> int | None:
        if key is None:
            return None
        if 0 <= hint < len(rows) and rows[hint].key == key:
            return hint
        index_of = getattr(rows, "index_of", None)
        if index_of is not None:
            found: int | None = index_of(key)
            return found
        for index, row in enumerate(rows):
            if row.key == key:
                return index
        return None

    def _move(self, index: int) -> None:
        if not self._rows:
            return
        index = max(0, min(index, len(self._rows) - 1))
        old = self._cursor
        if index != old:
            self._cursor = index
            self._body.refresh_line(old)
            self._body.refresh_line(index)
        self._cursor_moved()

    def _cursor_moved(self) -> None:
        self.scroll_to_cursor()
        key = self._rows[self._cursor].key if self._rows else None
        if key != self._cursor_key:
            self._cursor_key = key
            self.post_message(self.Highlighted(self, key))

    def _page(self) -> int:
        return max(1, self._body.scrollable_content_region.height)
