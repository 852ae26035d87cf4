from __future__ import annotations

import pytest
from rich.cells import cell_len
from rich.style import Style
from rich.text import Text
from textual.app import App, ComposeResult

from widgets.gauge import PERCENT_WIDTH, SYMBOL, Fragment, Gauge, bar, gauge, percent, sparkline, to_text


def joined(fragments: list[Fragment]) -> str:
    return "".join(text for text, _ in fragments)


def width_of(fragments: list[Fragment]) -> int:
    return sum(cell_len(text) for text, _ in fragments)


@pytest.mark.parametrize("utilization", [0.0, 0.5, 1.0, 1.3, None, 0.001, 0.55, -0.2])
@pytest.mark.parametrize("width", [1, 7, 10, 33])
def test_bar_is_exactly_width_cells(utilization: float | None, width: int) -> None:
    assert width_of(bar(utilization, width, "ok")) == width


def test_bar_fills_in_eighths_with_the_level_role() -> None:
    assert bar(0.0, 10, "ok") == [("··········", "muted")]
    assert bar(0.5, 10, "warn") == [("█████", "warn"), ("·····", "muted")]
    assert bar(1.0, 10, "critical") == [("██████████", "critical")]
    assert bar(0.55, 10, "ok") == [("█████▌", "ok"), ("····", "muted")]
    # Anything above zero shows at least an eighth.
    assert bar(0.001, 10, "ok") == [("▏", "ok"), ("·········", "muted")]


def test_bar_overflow_is_full_and_ends_in_an_arrow() -> None:
    assert bar(1.3, 10, "critical") == [("█████████▶", "critical")]


def test_bar_unknown_is_dots_in_the_unknown_role() -> None:
    assert bar(None, 8, "ok") == [("········", "unknown")]
    assert bar(float("nan"), 3, "ok") == [("···", "unknown")]


def test_bar_marks_on_empty_cells_and_hidden_under_the_fill() -> None:
    fragments = bar(0.1, 10, "ok", marks=(0.25, 0.75))
    assert joined(fragments) == "█·│····│··"
    assert ("│", "mark") in fragments
    assert joined(bar(0.5, 10, "ok", marks=(0.25,))) == "█████·····"
    # A mark at the very end stays inside the bar; marks outside 0..1 are ignored.
    assert joined(bar(0.0, 10, "ok", marks=(1.0, 1.5, -0.1))) == "·········│"


def test_percent_strings_symbols_and_fixed_width() -> None:
    assert joined(percent(0.57, "ok")) == "   57%"
    assert joined(percent(0.83, "warn")) == " ▲ 83%"
    assert joined(percent(1.12, "critical")) == "✖ 112%"
    assert joined(percent(None, "ok")) == "     ?"
    assert joined(percent(10.0, "critical")) == "✖>999%"
    assert joined(percent(25.0, "ok")) == " >999%"
    assert joined(percent(0.0, "ok")) == "    0%"
    for value, level in [(0.57, "ok"), (0.83, "warn"), (1.12, "critical"), (None, "ok"), (99.0, "critical")]:
        assert width_of(percent(value, level)) == PERCENT_WIDTH


def test_percent_roles_carry_the_level_and_pad_is_plain() -> None:
    assert percent(0.83, "warn") == [(" ", ""), ("▲ 83%", "warn")]
    assert percent(None, "warn") == [("     ", ""), ("?", "unknown")]


def test_symbols_never_leave_a_level_to_colour_alone() -> None:
    assert SYMBOL == {"ok": "", "warn": "▲", "critical": "✖", "unknown": "?", "mark": "●"}


def test_gauge_is_bar_space_percent_in_exact_width() -> None:
    fragments = gauge(0.83, 20, "warn", marks=(0.95,))
    assert width_of(fragments) == 20
    assert joined(fragments) == joined(bar(0.83, 13, "warn", marks=(0.95,))) + " " + " ▲ 83%"
    assert width_of(gauge(None, 10, "unknown")) == 10
    with pytest.raises(ValueError, match="at least 10"):
        gauge(0.5, 9, "ok")


def test_sparkline_scales_to_top_or_to_the_largest_value() -> None:
    assert sparkline([0, 1, 7], 3, top=7) == [("▁▂█", "muted")]
    assert joined(sparkline([0, 2, 14], 3)) == "▁▂█"
    # Values above top are capped at a full block.
    assert joined(sparkline([14, 7], 2, top=7)) == "██"


def test_sparkline_pads_left_keeps_the_last_values_and_blanks_unknowns() -> None:
    assert sparkline([7, None, 7], 5, top=7) == [("  ", ""), ("█", "muted"), (" ", "unknown"), ("█", "muted")]
    assert joined(sparkline([0, 0, 0, 7, 7], 2, top=7)) == "██"
    assert joined(sparkline([], 3)) == "   "
    assert joined(sparkline([None, None], 2)) == "  "
    assert joined(sparkline([0, 0], 2)) == "▁▁"


def test_to_text_is_literal_and_styles_by_role() -> None:
    warn = Style(bold=True)
    text = to_text([("[bold]x[/]", "warn"), (" [red]y", "nope"), ("\x1b[31mz\x07", "")], {"warn": warn})
    assert isinstance(text, Text)
    assert text.plain == "[bold]x[/] [red]yz"
    assert [(span.start, span.end, span.style) for span in text.spans] == [(0, 10, warn)]


class GaugeApp(App[None]):
    def compose(self) -> ComposeResult:
        yield Gauge(
            label="read+write IOPS",
            utilization=0.83,
            level="warn",
            detail="9,960 / 12,000 (volume)",
            marks=(0.9,),
            id="iops",
        )
        yield Gauge(label="a label far longer than its column", id="unknown")


async def test_gauge_widget_lays_out_label_bar_percent_detail() -> None:
    app = GaugeApp()
    async with app.run_test(size=(80, 4)) as pilot:
        await pilot.pause()
        iops = app.query_one("#iops", Gauge)
        line = iops.render()
        assert line.cell_len == 80
        assert line.plain.startswith("read+write IOPS    █")
        assert line.plain.endswith(" ▲ 83% 9,960 / 12,000 (volume)")
        bar_cells = 80 - 19 - 7 - len(" 9,960 / 12,000 (volume)")
        assert line.plain[19 : 19 + bar_cells].count("│") == 1

        unknown = app.query_one("#unknown", Gauge).render()
        assert unknown.plain.startswith("a label far longe… ··········")
        assert unknown.plain.endswith("     ?")

        # A detail too long for the line keeps a 10-cell bar and is cropped with an ellipsis.
        iops.detail = "x" * 100
        iops.level = "critical"
        iops.utilization = 1.5
        await pilot.pause()
        cropped = iops.render()
        assert cropped.cell_len == 80
        assert cropped.plain[19:29] == "█████████▶"
        assert cropped.plain[29:36] == " ✖ 150%"
        assert cropped.plain.endswith("x…")
        assert iops.get_component_rich_style("gauge--critical").bold
