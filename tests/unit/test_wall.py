"""The wall's parts as plain data: the timers' sizes, lines that fit their width (cut only with "…"),
each service's state in a symbol and a word, the faults' and alarms' rows."""

from __future__ import annotations

from datetime import timedelta

from rich.text import Text

from tests.frozen import FROZEN
from tui.aws.actions.alarms import MuteBook
from tui.aws.alarms_model import Alarm
from tui.gameday import events as ev
from tui.gameday.events import JournalEvent
from tui.gameday.faults import Occurrence
from tui.gameday.services import ServiceStatus
from tui.screens.wall import (
    alarm_rows,
    fault_rows,
    journal_row,
    mute_label,
    row_text,
    service_state_choices,
    timer_rows_for,
)
from widgets.bigtimer import digits_width, large_lines, large_text, large_width, rows_for
from widgets.textline import fit_text


def test_a_timer_takes_the_largest_size_its_room_holds() -> None:
    assert large_width("17:02") == 34 and digits_width("17:02") == 15
    assert rows_for("17:02", 34, 5) == 5
    assert rows_for("17:02", 33, 5) == 3  # one cell short of the blocks
    assert rows_for("17:02", 80, 3) == 3  # the room is wide, the terminal low
    assert rows_for("17:02", 14, 5) == 1
    assert rows_for("1:02:03", 46, 5) == 5 and rows_for("1:02:03", 45, 5) == 3
    assert timer_rows_for(45) == 5 and timer_rows_for(24) == 3 and timer_rows_for(16) == 1


def test_the_block_digits_are_five_rows_of_square_pixels() -> None:
    lines = large_lines("1:0")
    assert lines is not None and len(lines) == 5
    assert lines[0] == "  ██        ██████"
    assert lines[1] == "████    ██  ██  ██"
    assert lines[4] == "██████      ██████"
    assert large_lines("12a") is None and large_width("") is None
    # Drawn as reverse video: the same cells, the pixels solid in the text's colour.
    text = large_text("1:0")
    assert text.plain.splitlines() == [" " * len(line) for line in lines]
    assert {str(span.style) for span in text.spans} == {"reverse"}


def test_a_line_says_the_longest_choice_that_fits_else_ends_in_an_ellipsis() -> None:
    choices = (Text("✓ OK · tolerance 15:00"), Text("✓ OK"))
    assert fit_text(choices, 30).plain == "✓ OK · tolerance 15:00"
    assert fit_text(choices, 10).plain == "✓ OK"
    assert fit_text((Text("Card payments"),), 8).plain == "Card pa…"
    assert fit_text(choices, 0).plain == ""


def test_a_row_keeps_its_right_part_and_cuts_its_left_with_an_ellipsis() -> None:
    row = (
        [("⚡ ", ""), ("A business API's Lambda functions failing", "")],
        [("payments-ledger-writer  06:00", "")],
    )
    wide = row_text(row, 80, {})
    assert wide.cell_len == 80 and wide.plain.endswith("failing       payments-ledger-writer  06:00")
    narrow = row_text(row, 50, {})
    assert narrow.cell_len == 50 and narrow.plain.startswith("⚡ A business API")
    assert narrow.plain.endswith("… payments-ledger-writer  06:00")
    # Too little room for both: the whole row is cut, with its ellipsis.
    tiny = row_text(row, 30, {})
    assert tiny.cell_len == 30 and tiny.plain.endswith("…")


def status(**values: object) -> ServiceStatus:
    base: dict[str, object] = {
        "name": "Card payments",
        "tolerance_s": 900.0,
        "impaired_since": None,
        "impaired_s": 0.0,
        "total_impaired_s": 0.0,
        "breached": False,
        "signals": (),
    }
    base.update(values)
    return ServiceStatus(**base)  # type: ignore[arg-type]


def test_each_state_says_its_symbol_and_word() -> None:
    ok = service_state_choices(status(total_impaired_s=190.0))
    assert ok[0] == "✓ OK · tolerance 15:00 · impaired 03:10 in all" and ok[-1] == "✓ OK"
    impaired = service_state_choices(status(impaired_since=FROZEN, impaired_s=300.0))
    assert impaired[0] == "⚠ IMPAIRED · 10:00 left of its 15:00 tolerance" and impaired[-1] == "⚠ IMPAIRED"
    breach = service_state_choices(status(impaired_since=FROZEN, impaired_s=1000.0, breached=True))
    assert breach[0] == "✖ BREACH · 01:40 over its 15:00 tolerance" and breach[-1] == "✖ BREACH"


def test_a_fault_row_names_the_fault_its_target_and_its_time() -> None:
    start = JournalEvent(
        at=FROZEN - timedelta(minutes=1),
        kind=ev.FAULT_STARTED,
        source="fis",
        text="fault started: Kinesis write throttling on payments-events",
        resource="payments-events",
        fault="kinesis-write-throttle",
        ref="EXP1",
        detail={"speed": "10"},
    )
    unknown = JournalEvent(
        at=FROZEN,
        kind=ev.FAULT_STARTED,
        source="fis",
        text="fault started: FIS template EXT1\x1b[31m",
        ref="EXP2",
    )
    rows = fault_rows(
        [Occurrence(start, start.fault, "payments-events"), Occurrence(unknown, "", "")], FROZEN
    )
    assert rows[0] == (
        [("⚡ ", "fault"), ("Kinesis write throttling", "fault")],
        [("payments-events", ""), ("  ", ""), ("10:00", "fault")],  # a minute at speed 10
    )
    # A fault the catalogue does not know is named as its start said, cleaned of escape sequences.
    assert rows[1][0][1] == ("FIS template EXT1", "fault") and rows[1][1] == [("00:00", "fault")]


def alarm(name: str, *, actions: bool = True, region: str = "us-east-1", minutes: float = 3) -> Alarm:
    since = FROZEN - timedelta(minutes=minutes)
    return Alarm(
        region=region,
        name=name,
        arn=f"arn:aws:cloudwatch:{region}:123456789012:alarm:{name}",
        kind="metric",
        state="ALARM",
        state_reason="Threshold Crossed",
        state_updated_at=since,
        actions_enabled=actions,
        state_transitioned_at=since,
    )


def test_an_alarm_row_marks_it_muted_by_this_console_or_elsewhere() -> None:
    mine, theirs, loud = alarm("db CPU high"), alarm("scale up", actions=False), alarm("errors\x07")
    book = MuteBook()
    book.add([mine], "GD-12", 600, FROZEN - timedelta(minutes=15))
    assert mute_label(mine, book, FROZEN) == "⊘ muted +05:00 over"
    assert mute_label(theirs, book, FROZEN) == "⊘ muted"
    assert mute_label(loud, book, FROZEN) == ""
    rows = alarm_rows([mine, theirs, loud], book, FROZEN)
    assert rows[0][0][-1] == ("  ⊘ muted +05:00 over", "muted") and rows[0][1] == [("3m00s", "dim")]
    assert rows[2][0] == [("✖ ", "alarm"), ("errors", "alarm")]
    # Alarms of several regions say which.
    two = alarm_rows([alarm("a"), alarm("b", region="eu-west-1")], None, FROZEN)
    assert two[1][0][2] == (" (eu-west-1)", "dim")


def test_a_journal_row_aligns_its_text_whatever_the_symbol_s_width() -> None:
    def line(kind: str) -> str:
        text = row_text(journal_row(JournalEvent(at=FROZEN, kind=kind, source="fis", text="x")), 40, {})
        return text.plain

    fault, detect = line(ev.FAULT_STARTED), line(ev.DETECTED)
    # ⚡ takes two cells: the text starts in the same cell on both lines.
    assert Text(fault[: fault.index(" x")]).cell_len == Text(detect[: detect.index(" x")]).cell_len
