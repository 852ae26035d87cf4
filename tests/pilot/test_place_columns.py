"""Where each row is: a console watching two regions shows a REGION column in every list, filled
with each row's region, at 80 columns as at 160; watching one, it shows none. Findings, which
follow their hub rather than the regions watched, show it when they are in more than one. Against
the simulator, with the credential's own account (no ACCOUNT column); several accounts on plain
moto."""

from __future__ import annotations

from typing import Any

import pytest

from tests.helpers import open_pane, sim_app
from tui.aws.clients import AwsTarget
from tui.screens.alarms import AlarmsScreen
from tui.screens.findings import FindingsScreen
from tui.screens.fis import FisScreen
from tui.screens.kinesis import KinesisScreen
from tui.screens.limits import LimitsScreen
from tui.screens.listing import fits
from tui.screens.sessions import SessionsScreen
from widgets.vtable import VirtualTable

TWO = ("us-east-1", "eu-west-1")

# (key, pane, the items its table lists)
LISTS: list[tuple[str, Any, Any]] = [
    ("2", LimitsScreen, lambda s: s.snapshot.instances),
    ("3", KinesisScreen, lambda s: s.snapshot.streams),
    ("0", AlarmsScreen, lambda s: s.snapshot.alarms),
    ("5", SessionsScreen, lambda s: s.snapshot.instances),
    ("6", FisScreen, lambda s: s.snapshot.templates),
]


def _target(url: str, regions: tuple[str, ...]) -> AwsTarget:
    return AwsTarget(regions=regions, endpoint_url=url, access_key="testing", secret_key="testing")


def _region_cells(table: VirtualTable) -> set[str] | None:
    keys = [c.key for c in table.columns]
    if "region" not in keys:
        return None
    at = keys.index("region")
    return {str(table.rows[i].cells[at]) for i in range(len(table.rows))}


@pytest.mark.parametrize("size", [(80, 24), (160, 45)])
async def test_with_two_regions_every_list_says_each_rows_region(sim_url: str, size: tuple[int, int]) -> None:
    app = sim_app(sim_url, target=_target(sim_url, TWO))
    async with app.run_test(size=size) as pilot:
        for key, pane, items in LISTS:
            screen = await open_pane(pilot, key, pane, within=60)
            shown = items(screen)
            assert shown, f"{pane.TITLE} lists nothing to check"
            table = screen.query_one(VirtualTable)
            assert _region_cells(table) == {item.region for item in shown}, pane.TITLE
            assert "account" not in [c.key for c in table.columns], "one account: no ACCOUNT column"
            assert fits(table.columns, size[0]), (pane.TITLE, [c.key for c in table.columns])
        experiments = screen.query_one("#fis-experiments", VirtualTable)
        assert "region" in [c.key for c in experiments.columns]
        # The simulator's findings are all in us-east-1: no REGION where the list has none of its own.
        findings = await open_pane(pilot, "4", FindingsScreen, within=60)
        keys = [c.key for c in findings.query_one(VirtualTable).columns]
        assert ("region" in keys) == (size[0] >= 130), keys


async def test_with_one_region_no_list_has_a_region_column_it_did_not_have(sim_url: str) -> None:
    app = sim_app(sim_url)
    async with app.run_test(size=(80, 24)) as pilot:
        for key, pane, _ in [*LISTS, ("4", FindingsScreen, None)]:
            screen = await open_pane(pilot, key, pane, within=60)
            for table in screen.query(VirtualTable):
                assert "region" not in [c.key for c in table.columns], pane.TITLE


async def test_several_accounts_in_two_regions_then_one_region_in_scope(plain_moto_url: str) -> None:
    """ACCOUNT and REGION at 80 columns with two accounts in two regions; `:region` narrows the
    panes to one region, and REGION goes (ACCOUNT stays)."""
    from tests.pilot.test_accounts_scope import MEMBER, _keys, _member_instance, _until
    from tui.app import WarroomApp, make_app
    from tui.aws.target import AccountEntry, AccountSettings
    from tui.settings import Settings

    instance = _member_instance(plain_moto_url)  # in ap-northeast-3
    regions = ("ap-northeast-3", "eu-north-1")
    accounts = AccountSettings(entries=(AccountEntry(MEMBER, "payments-prod"),))
    app = make_app(Settings(target=_target(plain_moto_url, regions), accounts=accounts))
    assert isinstance(app, WarroomApp)
    async with app.run_test(size=(80, 24)) as pilot:
        await _until(pilot, lambda: len(app.factory.places) == 4 and not app.scope_progress)
        screen = await open_pane(pilot, "2", LimitsScreen, within=60)
        table = screen.query_one(VirtualTable)
        await _until(pilot, lambda: instance in [row.key for row in table.rows])
        keys = [c.key for c in table.columns]
        assert keys[:3] == ["name", "account", "region"] and fits(table.columns, 80), keys
        row = next(r for r in table.rows if r.key == instance)
        assert (row.cells[1], row.cells[2]) == ("payments-prod", "ap-northeast-3")
        await pilot.press("colon", *_keys("region ap-northeast-3"), "enter")
        await _until(pilot, lambda: {p.region for p in app.factory.places} == {"ap-northeast-3"})
        await _until(pilot, lambda: "region" not in [c.key for c in table.columns])
        assert [c.key for c in table.columns][:2] == ["name", "account"]


async def test_findings_in_two_regions_say_each_ones_region(
    sim_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.frozen import FROZEN
    from tui.aws.findings import FindingsPoller, FindingsSnapshot
    from tui.aws.findings_model import parse_finding
    from tui.sim.findings_bulk import synthetic_findings

    raw = synthetic_findings(40, seed=5, now=FROZEN)
    placed = [{**r, "Region": TWO[i % 2], "RecordState": "ACTIVE"} for i, r in enumerate(raw)]
    findings = tuple(f for f in (parse_finding(r) for r in placed) if f is not None)

    async def poll(self: FindingsPoller, progress: Any = None) -> FindingsSnapshot:
        return FindingsSnapshot(fetched_at=FROZEN, region="us-east-1", findings=findings, version=1)

    monkeypatch.setattr(FindingsPoller, "poll", poll)
    app = sim_app(sim_url)  # one region watched: the hub's aggregation brings the other
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_pane(pilot, "4", FindingsScreen, within=60)
        table = screen.query_one(VirtualTable)
        keys = [c.key for c in table.columns]
        assert keys[:2] == ["sev", "region"] and fits(table.columns, 80), keys
        shown = {str(table.rows[i].cells[1]) for i in range(len(table.rows))}
        assert shown == {f.region for f in screen._shown} and len(shown) == 2
        await pilot.press("v")
        await pilot.pause()
        assert [c.key for c in table.columns][:2] == ["sev", "region"], "grouped by resource too"
