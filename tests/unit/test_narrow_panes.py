"""Journal, Facilitator, Activity and the journal's event dialog on an 80-column terminal: a row's
details keep most of the line and show in full in the detail strip; no label runs into its value."""

from __future__ import annotations

import dataclasses
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


TWO_REGIONS = ("us-east-1", "ap-southeast-2")
DEMO_REGIONS = ("us-east-1", "eu-west-1")


def test_account_and_region_follow_the_first_column_only_when_several_are_watched() -> None:
    from tui.screens.listing import ACCOUNT_COLUMN, place_columns

    columns = (Column("name", "NAME", 16), Column("type", "TYPE", 9))

    def shown(accounts: bool, regions: tuple[str, ...]) -> list[str]:
        return [c.key for c in place_columns(lambda _: columns, 200, accounts=accounts, regions=regions)]

    assert shown(False, ("us-east-1",)) == ["name", "type"]
    assert shown(True, ("us-east-1",)) == ["name", "account", "type"]
    assert shown(False, TWO_REGIONS) == ["name", "region", "type"]
    assert shown(True, TWO_REGIONS) == ["name", "account", "region", "type"]
    both = place_columns(lambda _: columns, 200, accounts=True, regions=TWO_REGIONS)
    assert both[1] is ACCOUNT_COLUMN and both[2].width == len("ap-southeast-2"), "as wide as the longest"


def test_a_list_with_its_own_account_column_keeps_it_and_region_follows_it() -> None:
    from tui.screens.listing import place_columns

    own = (Column("title", "TITLE", 30), Column("account", "ACCOUNT", 12), Column("age", "AGE", 4))
    assert place_columns(lambda _: own, 200, accounts=True, regions=("us-east-1",)) == own
    keys = [c.key for c in place_columns(lambda _: own, 200, accounts=True, regions=TWO_REGIONS)]
    assert keys == ["title", "account", "region", "age"]


def test_every_list_says_where_each_row_is_and_fits_at_80_and_160_columns() -> None:
    """With several accounts and regions each list shows ACCOUNT and REGION after its first column
    and still fits the line, giving up what its pane values least; with one of each it is as it
    was. (Region names longer than the demo's, as ap-southeast-2, may crop the line's end.)"""
    from tui.screens import alarms_format, findings_format, fis, kinesis, limits, sessions
    from tui.screens.alarms import AlarmsScreen
    from tui.screens.findings import FindingsScreen
    from tui.screens.kinesis import KinesisScreen
    from tui.screens.limits import LimitsScreen
    from tui.screens.listing import fits, place_columns
    from tui.screens.sessions import SessionsScreen

    lists = [
        (limits.columns_for, LimitsScreen.PLACE_DROPS, True),
        (kinesis.columns_for, KinesisScreen.PLACE_DROPS, True),
        (alarms_format.columns_for, AlarmsScreen.PLACE_DROPS, True),
        (findings_format.columns_for, FindingsScreen.PLACE_DROPS, True),
        (findings_format.group_columns_for, FindingsScreen.PLACE_DROPS, True),
        (sessions.target_columns, SessionsScreen.PLACE_DROPS, True),
        (sessions.session_columns, SessionsScreen.PLACE_DROPS, True),
        # The Experiments pane reads the credential's own account only: REGION alone.
        (fis.template_columns, ("actions",), False),
        (fis.experiment_columns, ("started",), False),
    ]
    for list_columns, drops, accounts in lists:
        for width in (80, 160):
            shown = place_columns(list_columns, width, accounts=accounts, regions=DEMO_REGIONS, drops=drops)
            keys = [c.key for c in shown]
            where = (list_columns.__name__, width, keys)
            assert fits(shown, width), where
            assert "region" in keys and ("account" in keys) == accounts, where
            assert keys[0] == list_columns(width)[0].key, where
            alone = place_columns(list_columns, width, accounts=False, regions=("us-east-1",), drops=drops)
            assert alone == list_columns(width), where
    # At 80 columns each keeps what matters most to its pane.
    kept = place_columns(
        limits.columns_for, 80, accounts=True, regions=DEMO_REGIONS, drops=LimitsScreen.PLACE_DROPS
    )
    assert [c.key for c in kept] == ["name", "account", "region", "net", "ebs", "bind"]
    kept = place_columns(
        kinesis.columns_for, 80, accounts=True, regions=DEMO_REGIONS, drops=KinesisScreen.PLACE_DROPS
    )
    assert [c.key for c in kept] == ["name", "account", "region", "usage", "age"]
    kept = place_columns(
        kinesis.columns_for, 80, accounts=False, regions=DEMO_REGIONS, drops=KinesisScreen.PLACE_DROPS
    )
    assert [c.key for c in kept] == ["name", "region", "shards", "usage", "age", "advice"], "room enough"


def test_rows_get_their_account_name_and_region() -> None:
    from tui.aws.sessions import ManagedTarget
    from tui.screens.listing import fill_places
    from widgets.vtable import TableRow

    columns = (Column("name", "NAME", 16), Column("account", "ACCOUNT", 14), Column("region", "REGION", 9))
    node = ManagedTarget(
        "i-1", "web-1", "EC2Instance", "Online", None, None, None, None, None, None, None, None, "eu-west-1",
        account_id="210987654321",
    )  # fmt: skip
    other = dataclasses.replace(node, instance_id="i-2", account_id="345678901234", region="us-east-1")
    rows = [TableRow("i-1", ("web-1", "", "")), TableRow("i-2", ("web-1",))]
    filled = fill_places(rows, columns, [node, other], {"210987654321": "payments-prod"})
    assert [r.cells for r in filled] == [
        ("web-1", "payments-prod", "eu-west-1"),
        ("web-1", "345678901234", "us-east-1"),
    ], "the name when the account has one, else its id"
    assert fill_places(rows, columns[:1], [node, other], {}) is rows


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
