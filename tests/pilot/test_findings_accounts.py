"""The Findings pane over findings of several accounts: v cycles the flat list, the resource groups
and the account groups; an account's row names it as the console knows it, and Enter, Esc, space and
the triage keys act on its findings."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from rich.text import Text
from textual.app import App

from tests.helpers import settle
from tui.aws.accounts import Account, AccountRow, AccountSource, AccountsView
from tui.aws.clients import AwsTarget, ClientFactory
from tui.aws.findings import FindingsSnapshot
from tui.aws.findings_model import AccountGroup, Finding, parse_finding
from tui.context import PaneContext
from tui.feeds import RecordedFeed
from tui.screens.findings import FindingsScreen
from tui.screens.findings_modals import FacetScreen, NoteScreen
from tui.settings import Settings
from tui.sim.findings_bulk import synthetic_findings
from widgets.vtable import VirtualTable

NOW = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)
NAMES = {"111122223333": "payments-prod", "222233334444": "ledger-prod", "333344445555": "sandbox"}
REGIONS = ("us-east-1", "eu-west-1")


def org_findings() -> list[Finding]:
    raw = [
        *synthetic_findings(300, seed=3, now=NOW, region=REGIONS[0], accounts=tuple(NAMES)),
        *synthetic_findings(200, seed=4, now=NOW, region=REGIONS[1], accounts=tuple(NAMES)),
    ]
    return [f for f in map(parse_finding, raw) if f is not None]


class OrgApp(App[None]):
    """The Findings pane alone, fed one snapshot of three accounts' findings; the console knows the
    accounts' names as it would from Organizations."""

    def __init__(self, findings: list[Finding]) -> None:
        super().__init__()
        rows = tuple(
            AccountRow(Account(account, name, AccountSource.ORGANIZATIONS), (None, None))
            for account, name in NAMES.items()
        )
        self.accounts_view = AccountsView(rows=rows, regions=REGIONS, single=False)
        target = AwsTarget(regions=REGIONS, endpoint_url="http://127.0.0.1:9")
        self.ctx = PaneContext(
            factory=ClientFactory(target), settings=Settings(target=target), clock=lambda: NOW
        )
        self.feed = RecordedFeed("findings", "Findings")
        self.feed.publish(
            FindingsSnapshot(fetched_at=NOW, region=REGIONS[0], findings=tuple(findings), version=1)
        )

    def on_mount(self) -> None:
        self.push_screen(FindingsScreen(self.ctx, self.feed))


def plain(widget: Any) -> str:
    content = widget.render()
    return content.plain if isinstance(content, Text) else str(content)


def v_says(screen: FindingsScreen) -> str:
    """What the footer shows for v."""
    return screen.active_bindings["v"].binding.description


async def opened(pilot: Any, app: OrgApp) -> FindingsScreen:
    await settle(pilot, lambda: isinstance(app.screen, FindingsScreen) and bool(app.screen._shown))
    screen = app.screen
    assert isinstance(screen, FindingsScreen)
    return screen


async def test_v_cycles_flat_by_resource_by_account_and_the_rows_name_the_accounts() -> None:
    app = OrgApp(org_findings())
    async with app.run_test(size=(160, 45)) as pilot:
        screen = await opened(pilot, app)
        shown = list(screen._shown)
        assert {f.account_id for f in shown} == set(NAMES)
        assert screen.grouping_words() == "flat" and v_says(screen) == "By resource"

        await pilot.press("v")
        await pilot.pause()
        assert screen.grouping_words() == "by resource" and v_says(screen) == "By account"
        assert "grouped by resource" in plain(screen.query_one("#fnd-view"))

        await pilot.press("v")
        await pilot.pause()
        assert screen.grouping_words() == "by account" and v_says(screen) == "Ungroup"
        assert "grouped by account" in plain(screen.query_one("#fnd-view"))
        groups = screen._groups
        assert all(isinstance(g, AccountGroup) for g in groups)
        assert {g.key for g in groups if isinstance(g, AccountGroup)} == set(NAMES)
        for group in groups:
            assert isinstance(group, AccountGroup)
            mine = [f for f in shown if f.account_id == group.account_id]
            assert group.count == len(mine)
            assert set(group.findings) == set(mine)
            assert group.regions == REGIONS[::-1]  # both regions, sorted
        table = screen.query_one(VirtualTable)
        header = [c.key for c in table.columns]
        assert header.count("account") == 1, header
        for n, group in enumerate(groups):
            assert isinstance(group, AccountGroup)
            cells = dict(zip(header, table.rows[n].cells, strict=True))
            assert cells["account"] == NAMES[group.account_id]
            assert cells["id"] == group.account_id
            assert cells["count"] == f"{group.count:,}"
        # A resize keeps one ACCOUNT column (the list's own is not added to the account rows).
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        assert [c.key for c in table.columns].count("account") == 1
        assert next(iter(table.rows)).cells[2] in NAMES.values()
        # An account's findings span its regions: the narrow REGION cell counts them.
        narrow = [c.key for c in table.columns]
        assert next(iter(table.rows)).cells[narrow.index("region")] == f"{len(REGIONS)} regions"
        await pilot.resize_terminal(160, 45)
        await pilot.pause()
        worst = [g.severity for g in groups]
        assert worst[0] == "CRITICAL"
        # The detail line names the account under the cursor by name and id.
        first = groups[0]
        assert isinstance(first, AccountGroup)
        detail = plain(screen.query_one("#fnd-detail"))
        assert f"{NAMES[first.account_id]} ({first.account_id})" in detail
        assert f"{first.count:,} findings, worst CRITICAL" in detail

        await pilot.press("v")
        await pilot.pause()
        assert screen.grouping_words() == "flat" and v_says(screen) == "By resource"
        assert screen._shown == shown


async def test_enter_opens_an_account_and_escape_goes_back_to_the_accounts() -> None:
    app = OrgApp(org_findings())
    async with app.run_test(size=(160, 45)) as pilot:
        screen = await opened(pilot, app)
        await pilot.press("v", "v")
        await pilot.pause()
        table = screen.query_one(VirtualTable)
        ledger = next(g for g in screen._groups if isinstance(g, AccountGroup) and g.key == "222233334444")
        assert table.move_cursor_to_key(f"account\x00{ledger.account_id}")
        await pilot.press("enter")
        await pilot.pause()
        assert screen.grouping_words() == "flat" and screen.flt.account == ledger.account_id
        assert {f.account_id for f in screen._shown} == {ledger.account_id}
        assert len(screen._shown) == ledger.count
        assert "account ledger-prod (222233334444)" in plain(screen.query_one("#fnd-view"))
        # Within the account, the resource groups hold its findings only.
        await pilot.press("v")
        await pilot.pause()
        assert sum(g.count for g in screen._groups) == ledger.count
        await pilot.press("v", "v")
        await pilot.pause()
        assert screen.grouping_words() == "flat" and screen.flt.account == ledger.account_id
        # Esc closes the account; v had left the groups by hand, so the list stays flat.
        await pilot.press("escape")
        await pilot.pause()
        assert screen.grouping_words() == "flat" and screen.flt.account is None
        assert {f.account_id for f in screen._shown} == set(NAMES)
        # Opened from the groups, Esc goes back to them, every account in them.
        await pilot.press("v", "v")
        await pilot.pause()
        assert table.move_cursor_to_key(f"account\x00{ledger.account_id}")
        await pilot.press("enter")
        await pilot.pause()
        assert screen.flt.account == ledger.account_id
        await pilot.press("escape")
        await pilot.pause()
        assert screen.grouping_words() == "by account" and screen.flt.account is None
        assert {g.key for g in screen._groups} == set(NAMES)
        assert table.cursor_key == f"account\x00{ledger.account_id}"


async def test_space_and_the_triage_keys_act_on_the_account_groups_findings() -> None:
    app = OrgApp(org_findings())
    async with app.run_test(size=(160, 45)) as pilot:
        screen = await opened(pilot, app)
        await pilot.press("v", "v")
        await pilot.pause()
        table = screen.query_one(VirtualTable)
        sandbox = next(g for g in screen._groups if isinstance(g, AccountGroup) and g.key == "333344445555")
        keys = {f.key for f in sandbox.findings}
        assert table.move_cursor_to_key(f"account\x00{sandbox.account_id}")
        await pilot.press("S")
        await settle(pilot, lambda: isinstance(app.screen, NoteScreen))
        note = app.screen
        assert isinstance(note, NoteScreen)
        assert {f.key for f in note.targets} == keys
        assert note.title_text == f"Suppress {sandbox.count:,} findings"
        await pilot.press("escape")
        await settle(pilot, lambda: app.screen is screen)
        assert {f.workflow_status for f in sandbox.findings} <= {"NEW", "NOTIFIED"}

        assert table.move_cursor_to_key(f"account\x00{sandbox.account_id}")
        await pilot.press("space")
        await pilot.pause()
        assert screen.selected == keys
        row = next(r for r in table.rows if r.key == f"account\x00{sandbox.account_id}")
        assert row.level == "mark"
        assert f"{len(keys)} selected" in plain(screen.query_one("#fnd-view"))


async def test_the_account_facet_names_the_accounts() -> None:
    app = OrgApp(org_findings())
    async with app.run_test(size=(160, 45)) as pilot:
        await opened(pilot, app)
        await pilot.press("f")
        await settle(pilot, lambda: isinstance(app.screen, FacetScreen))
        facets = app.screen
        assert isinstance(facets, FacetScreen)
        accounts = [facets._prompt(n).plain for n, e in enumerate(facets.entries) if e[0] == "account"]
        assert len(accounts) == len(NAMES)
        for account, name in NAMES.items():
            assert any(f"{name} ({account})" in line for line in accounts), accounts
