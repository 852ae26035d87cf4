from __future__ import annotations

from collections.abc import Sequence

from rich.cells import cell_len
from rich.style import Style
from textual import on
from textual.app import App, ComposeResult
from textual.message import Message
from textual.widgets import Input

from themes import DARK, HIGH_CONTRAST, THEMES
from widgets.gauge import Fragment, gauge
from widgets.vtable import MARKER_WIDTH, Column, TableRow, VirtualTable, fit_cell, layout_columns

COLUMNS = (
    Column("id", "Instance", 12),
    Column("name", "Name", 10, flex=True),
    Column("cpu", "CPU", 6, align="right"),
)


def make_rows(count: int) -> list[TableRow]:
    return [TableRow(f"i-{n:06d}", (f"i-{n:06d}", f"web-{n}", f"{n % 100}%")) for n in range(count)]


class TableApp(App[None]):
    """A table under an Input (so focus can move away) that records the table's messages."""

    def __init__(self, columns: Sequence[Column] = COLUMNS, *, empty_text: str = "nothing to show") -> None:
        super().__init__()
        self.columns = columns
        self.empty_text = empty_text
        self.messages: list[Message] = []

    def compose(self) -> ComposeResult:
        yield Input(id="other")
        yield VirtualTable(self.columns, empty_text=self.empty_text, id="table")

    def on_mount(self) -> None:
        for theme in THEMES:
            self.register_theme(theme)
        self.theme = DARK.name
        self.query_one(VirtualTable).focus()

    def on_virtual_table_highlighted(self, message: VirtualTable.Highlighted) -> None:
        self.messages.append(message)

    @on(VirtualTable.Selected, "#table")
    def record_selected(self, message: VirtualTable.Selected) -> None:
        self.messages.append(message)


def screen_lines(table: VirtualTable) -> list[str]:
    """What the table shows: the header line, then each body line as rendered."""
    body = table.body
    return [table.header.render_line(0).text] + [body.render_line(y).text for y in range(body.size.height)]


def events(app: TableApp) -> list[tuple[str, str | None]]:
    out: list[tuple[str, str | None]] = []
    for message in app.messages:
        if isinstance(message, VirtualTable.Highlighted):
            out.append(("highlighted", message.row_key))
        elif isinstance(message, VirtualTable.Selected):
            out.append(("selected", message.row_key))
    return out


def test_layout_columns_shares_slack_among_flex_columns() -> None:
    columns = [Column("a", "A", 5), Column("b", "B", 4, flex=True), Column("c", "C", 4, flex=True)]
    # 30 wide: 2 marker cells, 2 gaps, 13 minimum: 13 of slack, 7 to the first flex column, 6 to the second.
    assert layout_columns(columns, 30) == [5, 11, 10]
    assert sum(layout_columns(columns, 30)) + MARKER_WIDTH + 2 == 30
    # Too narrow: every column keeps its minimum (the line is cropped by the table).
    assert layout_columns(columns, 10) == [5, 4, 4]
    # Without flex columns the widths are fixed.
    assert layout_columns([Column("a", "A", 5)], 80) == [5]


def test_fit_cell_crops_with_ellipsis_and_pads_by_alignment() -> None:
    assert fit_cell("abcdef", 4) == [("abc", ""), ("…", "")]
    assert fit_cell("ab", 4) == [("ab", ""), ("  ", "")]
    assert fit_cell("ab", 4, "right") == [("  ", ""), ("ab", "")]
    assert fit_cell("abc", 1) == [("…", "")]
    assert fit_cell("abc", 0) == []
    fragments: list[Fragment] = [("██", "warn"), ("····", "muted"), (" 50%", "")]
    assert fit_cell(fragments, 5) == [("██", "warn"), ("··", "muted"), ("…", "muted")]
    # Wide characters never split: the cell stays exactly its width.
    cropped = fit_cell("日本語テキスト", 6)
    assert sum(cell_len(text) for text, _ in cropped) == 6
    assert cropped[-1] == ("…", "")
    # Control characters and escapes are data to clean, never to interpret.
    assert fit_cell("a\x1b[31mb\x07", 4) == [("ab", ""), ("  ", "")]
    # A resource name with a bidi override and zero-width characters shows only its visible text.
    assert fit_cell("pay\u202egnp.exe\u200b\u2066\ufeff", 12) == [("paygnp.exe", ""), ("  ", "")]


async def test_fifty_thousand_rows_in_one_call_show_first_then_last() -> None:
    app = TableApp()
    async with app.run_test(size=(80, 24)) as pilot:
        table = app.query_one(VirtualTable)
        rows = make_rows(50_000)
        table.set_rows(rows)
        await pilot.pause()
        assert len(table.rows) == 50_000
        lines = screen_lines(table)
        assert lines[0].startswith("  Instance     Name")
        assert lines[0].rstrip().endswith("CPU")
        assert lines[1].startswith("  i-000000     web-0 ")
        assert lines[1].rstrip().endswith(" 0%")
        assert lines[2].startswith("  i-000001     web-1 ")
        page = table.body.size.height
        assert page == 24 - 3 - 1  # the Input above takes 3 lines, the header 1
        assert len(lines) == 1 + page
        assert all(cell_len(line) == table.body.layout_width for line in lines[1:])

        await pilot.press("end")
        await pilot.pause()
        assert table.cursor_index == 49_999
        assert table.cursor_key == "i-049999"
        lines = screen_lines(table)
        assert lines[-1].startswith("  i-049999     web-49999 ")
        assert lines[-2].startswith("  i-049998 ")

        await pilot.press("home")
        await pilot.pause()
        assert table.cursor_index == 0
        assert screen_lines(table)[1].startswith("  i-000000 ")

        await pilot.press("G")
        await pilot.pause()
        assert table.cursor_index == 49_999
        await pilot.press("g", "j", "j", "k")
        assert table.cursor_key == "i-000001"
        await pilot.press("pagedown")
        assert table.cursor_index == 1 + page
        assert table.body.scroll_offset.y == page
        await pilot.press("pageup")
        assert table.cursor_index == 1
        assert table.body.scroll_offset.y == 0
        await pilot.press("up", "up", "down")
        assert table.cursor_index == 1


async def test_cursor_stays_on_its_key_when_rows_are_reordered() -> None:
    app = TableApp()
    async with app.run_test(size=(80, 24)) as pilot:
        table = app.query_one(VirtualTable)
        rows = make_rows(1_000)
        table.set_rows(rows)
        await pilot.pause()
        assert table.move_cursor_to_key("i-000030")
        assert not table.move_cursor_to_key("i-999999")
        await pilot.pause()
        assert table.cursor_index == 30
        screen_row = table.cursor_index - table.body.scroll_offset.y
        app.messages.clear()

        table.set_rows(list(reversed(rows)))
        await pilot.pause()
        assert table.cursor_key == "i-000030"
        assert table.cursor_index == 969
        # The cursor row keeps its place on screen, so a refresh does not make it jump.
        assert table.cursor_index - table.body.scroll_offset.y == screen_row
        assert screen_lines(table)[1 + screen_row].startswith("  i-000030 ")
        # Same key: no Highlighted message.
        assert events(app) == []

        # The key disappears: the index is kept (within range) and the new key is announced.
        table.set_rows([row for row in rows if row.key != "i-000030"][:500])
        await pilot.pause()
        assert table.cursor_index == 499
        assert table.cursor_key == "i-000500"
        assert events(app) == [("highlighted", "i-000500")]


async def test_highlighted_and_selected_messages_from_keys_and_clicks() -> None:
    app = TableApp()
    async with app.run_test(size=(80, 24)) as pilot:
        table = app.query_one(VirtualTable)
        table.set_rows(make_rows(50))
        await pilot.pause()
        assert events(app) == [("highlighted", "i-000000")]

        await pilot.press("down", "enter")
        await pilot.pause()
        assert events(app)[1:] == [("highlighted", "i-000001"), ("selected", "i-000001")]
        message = app.messages[-1]
        assert isinstance(message, VirtualTable.Selected)
        assert message.control is table

        app.messages.clear()
        # The first click on a row moves the cursor there, a second one selects it.
        await pilot.click(table.body, offset=(5, 4))
        await pilot.pause()
        assert table.cursor_key == "i-000004"
        assert events(app) == [("highlighted", "i-000004")]
        await pilot.click(table.body, offset=(5, 4))
        await pilot.pause()
        assert events(app) == [("highlighted", "i-000004"), ("selected", "i-000004")]
        # Below the last row and on the header: nothing happens.
        table.set_rows(make_rows(3))
        await pilot.pause()
        app.messages.clear()
        await pilot.click(table.body, offset=(5, 10))
        await pilot.click(table.header, offset=(5, 0))
        await pilot.pause()
        assert table.cursor_key == "i-000002"
        assert events(app) == []

        # Filtering down to nothing announces that no row is highlighted; Enter then selects nothing.
        table.set_rows([])
        await pilot.press("enter", "down")
        await pilot.pause()
        assert table.cursor_key is None
        assert table.cursor_index == 0
        assert events(app) == [("highlighted", None)]


async def test_empty_rows_show_the_empty_text() -> None:
    app = TableApp(empty_text="no instance matches 'xyz'")
    async with app.run_test(size=(80, 24)) as pilot:
        table = app.query_one(VirtualTable)
        table.set_rows(make_rows(10))
        await pilot.pause()
        table.set_rows([row for row in table.rows if "xyz" in row.key])
        await pilot.pause()
        lines = screen_lines(table)
        assert lines[1].startswith("  no instance matches 'xyz'")
        assert all(not line.strip() for line in lines[2:])
        table.empty_text = "no instance matches 'web-[0-9]'"
        await pilot.pause()
        assert screen_lines(table)[1].startswith("  no instance matches 'web-[0-9]'")
        segment = next(s for s in table.body.render_line(0) if s.text.startswith("no instance"))
        assert segment.style is not None
        assert segment.style.italic


async def test_markup_looking_text_is_shown_literally() -> None:
    app = TableApp()
    async with app.run_test(size=(80, 24)) as pilot:
        table = app.query_one(VirtualTable)
        table.set_rows(
            [
                TableRow("a", ("[red]x[/red]", "[bold]name[/]", "1%")),
                TableRow("b", ("i-b", [("[link=x]y[/link]", "warn")], "2%")),
            ]
        )
        await pilot.pause()
        lines = screen_lines(table)
        assert lines[1].startswith("  [red]x[/red] [bold]name[/] ")
        assert lines[2].startswith("  i-b          [link=x]y[/link] ")
        assert "[red]x[/red]" in app.export_screenshot()


async def test_long_cells_are_cropped_with_an_ellipsis_and_narrow_lines_are_cropped() -> None:
    columns = (
        Column("id", "Instance", 8),
        Column("name", "Name", 20, flex=True),
        Column("gauge", "IOPS", 17),
    )
    app = TableApp(columns)
    async with app.run_test(size=(40, 10)) as pilot:
        table = app.query_one(VirtualTable)
        table.set_rows([TableRow("r", ("i-0123456789abcdef", "x" * 30, gauge(0.5, 17, "ok")), level="warn")])
        await pilot.pause()
        width = table.body.layout_width
        lines = screen_lines(table)
        # 2 + 8 + 1 + 20 + 1 + 17 = 49 cells do not fit in 40: flex shrinks to its minimum and the line is
        # cropped at the right, never wrapped.
        assert lines[1] == ("▲ i-01234… " + "x" * 19 + "… " + "█████·····  50%")[:width]
        assert width == 40
        assert cell_len(lines[1]) == width
        assert lines[0].startswith("  Instance Name                 IO")
        assert all(not line.strip() for line in lines[2:])


async def test_level_marker_shows_symbols_in_the_marker_column() -> None:
    app = TableApp()
    async with app.run_test(size=(80, 24)) as pilot:
        table = app.query_one(VirtualTable)
        table.set_rows(
            [
                TableRow("ok", ("a", "b", "c"), level="ok"),
                TableRow("warn", ("a", "b", "c"), level="warn"),
                TableRow("crit", ("a", "b", "c"), level="critical"),
                TableRow("none", ("a",)),
            ]
        )
        await pilot.pause()
        assert [line[:2] for line in screen_lines(table)[1:5]] == ["  ", "▲ ", "✖ ", "  "]


def _segment_style(table: VirtualTable, y: int, text: str) -> Style:
    for segment in table.body.render_line(y):
        if text in segment.text and segment.style is not None:
            return segment.style
    raise AssertionError(f"{text!r} not on line {y}")


async def test_cursor_row_keeps_role_colours_and_follows_focus_and_theme() -> None:
    app = TableApp()
    async with app.run_test(size=(80, 24)) as pilot:
        table = app.query_one(VirtualTable)
        table.set_rows(
            [TableRow(f"r{n}", (f"r{n}", [("hot", "warn")], "1%"), level="critical") for n in range(3)]
        )
        await pilot.pause()
        focused_cursor = table.get_component_rich_style("vtable--cursor")
        warn = table.get_component_rich_style("vtable--warn")
        cursor_cell = _segment_style(table, 0, "hot")
        other_cell = _segment_style(table, 1, "hot")
        assert cursor_cell.bgcolor == focused_cursor.bgcolor
        assert other_cell.bgcolor != focused_cursor.bgcolor
        # Foreground roles survive the cursor where they are legible.
        assert cursor_cell.color == warn.color
        assert other_cell.color == warn.color

        # Focus elsewhere: the cursor takes its blurred style and the cached rows are redrawn.
        app.query_one(Input).focus()
        await pilot.pause()
        blurred_cursor = table.get_component_rich_style("vtable--cursor")
        assert blurred_cursor != focused_cursor
        assert _segment_style(table, 0, "r0").bgcolor == blurred_cursor.bgcolor

        # High contrast puts a white cursor under the row: yellow text would vanish, so it takes the
        # cursor's foreground; the symbol still says what the colour said.
        table.focus()
        app.theme = HIGH_CONTRAST.name
        await pilot.pause()
        cursor = table.get_component_rich_style("vtable--cursor")
        assert _segment_style(table, 0, "hot").color == cursor.color
        assert _segment_style(table, 1, "hot").color == table.get_component_rich_style("vtable--warn").color
        assert screen_lines(table)[1].startswith("✖ r0")


async def test_set_columns_redraws_header_and_rows() -> None:
    app = TableApp()
    async with app.run_test(size=(80, 24)) as pilot:
        table = app.query_one(VirtualTable)
        table.set_rows(make_rows(3))
        await pilot.pause()
        table.set_columns([Column("name", "Name", 10), Column("id", "Id", 8, align="right")])
        await pilot.pause()
        assert table.columns[0].key == "name"
        lines = screen_lines(table)
        assert lines[0].startswith("  Name             Id")
        # Rows keep their cells: one per new column, in order.
        assert lines[1].startswith("  i-000000      web-0 ")
