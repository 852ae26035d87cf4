"""Journal, Facilitator, Activity and the journal's event dialog on an 80-column terminal: a row's
details keep most of the line and show in full in the detail strip; no label runs into its value."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from rich.console import Console

from tests.frozen import FROZEN
from tui.common.catalogue import BY_ID
from tui.context import ActivityEvent
from tui.gameday import events as ev
from tui.gameday.events import JournalEvent
from tui.screens.activity import event_prefix, format_event
from tui.screens.facilitator import fault_columns_for, fault_entries, fault_strip
from tui.screens.journal import ScenarioClock, columns_for, event_fields, event_row, event_strip
from widgets.vtable import MARKER_WIDTH, Column, layout_columns

DETAILS = (
    "payments-ledger-writer: Lambda errors at 7.2% of invocations in a minute, the ledger's writes "
    "retried by the stream's consumer"
)


def _widths(columns: tuple[Column, ...], width: int) -> dict[str, int]:
    return {c.key: w for c, w in zip(columns, layout_columns(columns, width), strict=True)}


def _fits(columns: tuple[Column, ...], width: int) -> bool:
    return MARKER_WIDTH + sum(layout_columns(columns, width)) + len(columns) - 1 <= width


def _plain(renderable: Any, width: int) -> list[str]:
    console = Console(width=width, no_color=True, record=True, file=open("/dev/null", "w"))  # noqa: SIM115
    console.print(renderable)
    return console.export_text().rstrip("\n").split("\n")


def test_the_journal_gives_its_details_most_of_an_80_column_line() -> None:
    narrow = columns_for(80, scenario=False)
    assert [c.key for c in narrow] == ["at", "kind", "resource", "text"]
    assert _fits(narrow, 80) and _widths(narrow, 80)["text"] >= 40
    during = columns_for(80, scenario=True)
    assert [c.key for c in during] == ["at", "t", "kind", "resource", "text"]
    assert _fits(during, 80) and _widths(during, 80)["text"] >= 30
    wide = columns_for(200, scenario=True)
    assert [c.key for c in wide] == ["at", "t", "kind", "source", "resource", "text"]
    assert _widths(wide, 200)["text"] >= 100


def test_a_journal_row_and_its_detail_strip() -> None:
    event = JournalEvent(
        at=FROZEN,
        kind=ev.DETECTED,
        source="kinesis",
        text=DETAILS,
        resource="payments-ledger-writer",
        metric="lambda.errors",
        value=0.072,
        limit=0.05,
    )
    scenario = ScenarioClock()
    row = event_row(event, "1", scenario, columns_for(80, scenario=False))
    assert row.cells == ("03:00:00", "▲ detect", "payments-ledger-writer", f"{DETAILS} [0.072 vs 0.05]")
    strip = event_strip(event, scenario, 78).plain
    first, text = strip.split("\n")
    assert first == "▲ detect · payments-ledger-writer · seen by kinesis · 03:00:00", "no room for the hint"
    wide = event_strip(event, scenario, 120).plain.split("\n")[0]
    assert wide == f"{first} · Enter: every field"
    assert text == f"{DETAILS} [0.072 vs 0.05]", "the strip shows the whole details"
    short = event_strip(event, scenario, 40).plain.split("\n")[0]
    assert len(short) == 40 and short.endswith("…"), "the first line never wraps over the text"


def test_the_event_dialog_keeps_a_gap_between_every_label_and_its_value() -> None:
    event = JournalEvent(
        at=FROZEN,
        kind=ev.FAULT_STARTED,
        source="fis",
        text="fault started: A business API's Lambda functions failing on payments-ledger-writer",
        resource="payments-ledger-writer",
        detail={
            "scenario_start": (FROZEN - timedelta(minutes=1)).isoformat(),
            "template": "EXT1a2b3c4d5e6f7",
        },
    )
    lines = _plain(event_fields(event, "01:00"), 66)
    labels = {"When", "What", "Seen by", "Text", "Resource", "Level", "· scenario_start", "· template"}
    starts = {line.split("  ")[0] for line in lines if not line.startswith(" ")}
    assert starts == labels
    column = max(len(label) for label in labels) + 2
    for line in lines:
        assert line[column - 2 : column] == "  " and line[column] != " ", line
    assert all(len(line) <= 66 for line in lines)


def test_the_facilitator_shows_how_each_fault_is_detected_at_80_columns() -> None:
    columns = fault_columns_for(80)
    assert "detect" not in [c.key for c in columns] and _fits(columns, 80)
    assert "detect" in [c.key for c in fault_columns_for(200)]
    status = {"catalogue": [{"id": fault_id, "default_target": "payments-db-1"} for fault_id in BY_ID]}
    for _key, cells, level in fault_entries(status):
        spec = BY_ID[cells["fault"]]
        strip = fault_strip(cells, active=level == "critical", width=78).plain
        title, detection = strip.split("\n", 1)
        assert len(title) <= 78
        assert detection == f"Expected detection: {spec.detection.pane} · {spec.detection.threshold}"


def test_an_activity_event_wraps_under_its_text_not_under_its_time() -> None:
    event = ActivityEvent(
        FROZEN,
        "Kinesis",
        "warning",
        "poll failed: DescribeStreamSummary payments-events throttled (LimitExceededException): "
        "retrying in 20 s with backoff",
    )
    lines = _plain(format_event(event), 78)
    indent = len(event_prefix(event).plain) + 1
    assert lines[0].startswith("03:00:00Z ⚠ warning Kinesis     poll failed:")
    assert len(lines) > 1
    for line in lines[1:]:
        assert line[:indent].strip() == "" and line[indent] != " ", line


def test_the_account_column_follows_the_name_only_with_several_accounts() -> None:
    from tui.screens.listing import ACCOUNT_COLUMN, account_columns
    from widgets.vtable import Column

    columns = (Column("name", "NAME", 16), Column("type", "TYPE", 9))
    assert account_columns(columns, False) == columns
    assert account_columns(columns, True) == (columns[0], ACCOUNT_COLUMN, columns[1])
    assert account_columns(account_columns(columns, True), False) == columns


def test_quota_lines_show_the_fullest_first_and_count_the_rest() -> None:
    from tui.aws.limits import QuotaView
    from tui.screens.limits_format import QUOTA_LINES, quotas_shown

    def quota(util: float | None, account: str) -> QuotaView:
        return QuotaView("us-east-1", "L-1216C47A", "vCPU", 640.0, None, util, "ok", "", account)

    few = (quota(0.1, "a"), quota(None, "b"))
    assert quotas_shown(few) == (list(few), 0)
    many = (quota(None, "a"), quota(0.1, "b"), quota(0.9, "c"), quota(0.5, "d"), quota(0.2, "e"))
    shown, more = quotas_shown(many)
    assert [q.account_id for q in shown] == ["c", "d", "e"] and more == len(many) - QUOTA_LINES


def test_a_list_with_its_own_account_column_keeps_it() -> None:
    from tui.screens.listing import account_columns
    from widgets.vtable import Column

    own = (Column("title", "TITLE", 30), Column("account", "ACCOUNT", 12))
    assert account_columns(own, False) == own
    assert account_columns(own, True) == own


def test_the_filter_keeps_an_accounts_rows_by_its_name_or_id_with_several_accounts() -> None:
    from types import SimpleNamespace

    from tui.aws.accounts import Account, AccountRow, AccountsView
    from tui.screens.listing import FilteredList

    home = Account("123456789012", "security-tooling", home=True)
    payments = Account("210987654321", "payments-prod")
    view = AccountsView(
        rows=(AccountRow(home, ()), AccountRow(payments, ())), regions=("us-east-1",), home=home, single=False
    )

    class Pane(FilteredList):
        def __init__(self, needle: str, accounts: AccountsView) -> None:
            self.needle = needle
            self.app = SimpleNamespace(accounts_view=accounts)

    assert Pane("payments-PROD", view).account_matches("210987654321")
    assert Pane("2109876", view).account_matches("210987654321")
    assert not Pane("payments-prod", view).account_matches("123456789012")
    # Rows read before the accounts were known carry "" for the credential's own account.
    assert Pane("security", view).account_matches("")
    assert not Pane("", view).account_matches("210987654321"), "no filter keeps every row by itself"
    # One account watched: the filter matches what the rows show, not an account no column names.
    single = AccountsView(rows=(AccountRow(home, ()),), regions=("us-east-1",), home=home)
    assert not Pane("security", single).account_matches("123456789012")


def test_a_detail_view_names_its_rows_account_only_among_several() -> None:
    from types import SimpleNamespace

    from tui.aws.accounts import Account, AccountRow, AccountsView
    from tui.screens.listing import where

    home = Account("123456789012", "security-tooling", home=True)
    payments = Account("210987654321", "payments-prod")
    several = AccountsView(
        rows=(AccountRow(home, ()), AccountRow(payments, ())), regions=("us-east-1",), home=home, single=False
    )
    screen = SimpleNamespace(app=SimpleNamespace(accounts_view=several))
    assert where(screen, "210987654321", "eu-west-1") == "payments-prod 210987654321 eu-west-1"
    assert where(screen, "", "us-east-1") == "security-tooling us-east-1"
    alone = SimpleNamespace(
        app=SimpleNamespace(accounts_view=AccountsView(rows=(AccountRow(home, ()),), home=home))
    )
    assert where(alone, "123456789012", "us-east-1") == "us-east-1"
