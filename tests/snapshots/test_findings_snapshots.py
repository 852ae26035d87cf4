"""How the Findings pane, a finding, its dialogs and the grouped view look, on fixed findings at the
frozen moment (the simulator's own findings are stamped with the time the test session seeds it)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest
from textual.pilot import Pilot

from tests.frozen import FROZEN
from tests.helpers import settle, sim_app, type_text
from tui.aws.findings import FindingsPoller, FindingsSnapshot
from tui.aws.findings_model import parse_finding
from tui.screens.finding import FindingScreen
from tui.screens.findings import FindingsScreen
from tui.sim.findings_bulk import synthetic_findings

# At 80x24 in test_panes_80x24.py, with every other pane.
SIZES = [(160, 48)]
RAW = synthetic_findings(120, seed=5, now=FROZEN)
HOSTILE = {
    **RAW[0],
    "Id": "hostile/1",
    "Title": "Object key [bold]x[/] \x1b[31mred\x1b[0m and \u202eevil",
    "Severity": {"Label": "CRITICAL"},
    "RecordState": "ACTIVE",
    "Workflow": {"Status": "NEW"},
}


@pytest.fixture(autouse=True)
def fixed_findings(monkeypatch: pytest.MonkeyPatch) -> None:
    findings = tuple(f for f in (parse_finding(r) for r in [HOSTILE, *RAW]) if f is not None)
    by_key = {(r["Id"], r["ProductArn"]): r for r in [HOSTILE, *RAW]}

    async def poll(self: FindingsPoller, progress: Any = None) -> FindingsSnapshot:
        return FindingsSnapshot(fetched_at=FROZEN, region="us-east-1", findings=findings, version=1)

    async def read_one(self: FindingsPoller, key: tuple[str, str]) -> Mapping[str, Any]:
        return by_key[key]

    monkeypatch.setattr(FindingsPoller, "poll", poll)
    monkeypatch.setattr(FindingsPoller, "read_one", read_one)


async def _ready(pilot: Pilot[Any]) -> None:
    await pilot.press("4")
    await settle(
        pilot,
        lambda: isinstance(pilot.app.screen, FindingsScreen) and pilot.app.screen.snapshot is not None,
        what="the Findings pane to show its poll",
    )
    await settle(pilot, lambda: pilot.app.account, what="the header to know the account")
    await pilot.pause()


@pytest.mark.parametrize("size", SIZES, ids=["160x48"])
def test_findings(snap_compare: Any, sim_url: str, size: tuple[int, int]) -> None:
    assert snap_compare(sim_app(sim_url), terminal_size=size, run_before=_ready)


def test_grouped_by_resource_with_a_selection(snap_compare: Any, sim_url: str) -> None:
    async def group(pilot: Pilot[Any]) -> None:
        await _ready(pilot)
        await pilot.press("v", "space", "space")
        await pilot.pause()

    assert snap_compare(sim_app(sim_url), terminal_size=(120, 40), run_before=group)


def test_a_finding_in_full(snap_compare: Any, sim_url: str) -> None:
    async def open_hostile(pilot: Pilot[Any]) -> None:
        await _ready(pilot)
        await pilot.press("enter")
        await settle(
            pilot,
            lambda: isinstance(pilot.app.screen, FindingScreen) and pilot.app.screen.raw is not None,
            what="the finding's full record",
        )
        await pilot.pause()

    assert snap_compare(sim_app(sim_url), terminal_size=(120, 40), run_before=open_hostile)


def test_the_note_a_suppression_asks_for(snap_compare: Any, sim_url: str) -> None:
    async def suppress(pilot: Pilot[Any]) -> None:
        await _ready(pilot)
        await pilot.press("space", "space", "S")
        await type_text(pilot, "accepted: sandbox")

    assert snap_compare(sim_app(sim_url), terminal_size=(120, 40), run_before=suppress)


def test_the_facet_toggles(snap_compare: Any, sim_url: str) -> None:
    async def facets(pilot: Pilot[Any]) -> None:
        await _ready(pilot)
        await pilot.press("f", "space")
        await pilot.pause()

    assert snap_compare(sim_app(sim_url), terminal_size=(120, 40), run_before=facets)
