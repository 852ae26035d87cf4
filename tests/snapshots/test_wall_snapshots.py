"""How the wall looks on a projector (160x45) and in an SSH window on call (80x24), at the frozen
moment: a service impaired, one in breach and one well; two faults active and one ended; three alarms
firing, one muted by this console; the journal newest first. The data are the Pilot test's
(``tests.pilot.test_wall``): the journal snapshot's game day and the alarm snapshots' fixed alarms."""

from __future__ import annotations

from typing import Any

import pytest
from textual.pilot import Pilot

from tests.helpers import settle, wait_for_data
from tests.pilot.test_wall import game_day_app, mute_scale_up, open_wall, text_of
from tests.snapshots.test_alarms_snapshots import fixed_alarms  # noqa: F401 (autouse fixture)
from tui.app import WarroomApp
from tui.gameday import events as ev
from tui.screens.wall import WallList
from widgets.header import HeaderBar

ACCOUNT = "123456789012"


async def _ready(pilot: Pilot[Any]) -> None:
    app = pilot.app
    assert isinstance(app, WarroomApp)
    await wait_for_data(pilot)
    wall = await open_wall(pilot)
    mute_scale_up(app)
    await settle(
        pilot,
        lambda: "⊘ muted" in text_of(wall.query_one("#wall-alarms", WallList)),
        what="the muted alarm marked",
    )
    # The Ledger's breach is journaled on the console's first services tick.
    await settle(
        pilot,
        lambda: (
            any(e.kind == ev.SERVICE_BREACH for e in app.journal_events())
            and len(wall.query_one("#wall-journal", WallList).rows) == len(app.journal_events())
        ),
        what="the breach on the wall's journal",
        within=120.0,  # a loaded machine (two shards, a bench beside) journals them slowly
    )
    await settle(
        pilot,
        lambda: all(h.account == ACCOUNT and h.alert and h.muted for h in wall.query(HeaderBar)),
        what="the header's account, timer and muted alarm",
    )
    # The alarms firing when the console starts are journaled; their toasts would hide the wall.
    app.clear_notifications()
    await pilot.pause()


@pytest.mark.parametrize("size", [(80, 24), (160, 45)], ids=["80x24", "160x45"])
def test_wall(snap_compare: Any, sim_url: str, size: tuple[int, int]) -> None:
    assert snap_compare(game_day_app(sim_url), terminal_size=size, run_before=_ready)


@pytest.fixture(autouse=True)
def _no_stray_state(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    """Each console its own state directory (journal, audit log): nothing carries from test to test."""
    monkeypatch.setenv("WARROOM_STATE_DIR", str(tmp_path))
