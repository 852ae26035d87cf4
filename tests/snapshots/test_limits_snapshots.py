"""How the Limits pane and an instance's view look, on the simulator's fleet at the frozen moment."""

from __future__ import annotations

from typing import Any

import pytest
from textual.pilot import Pilot

from tests.helpers import sim_app
from tui.screens.instance import InstanceScreen
from tui.screens.limits import LimitsScreen
from widgets.vtable import VirtualTable

SIZES = [(80, 24), (160, 48)]


async def _limits_ready(pilot: Pilot[Any]) -> LimitsScreen:
    await pilot.press("2")
    for _ in range(200):
        screen = pilot.app.screen
        if isinstance(screen, LimitsScreen) and screen.snapshot is not None and pilot.app.account:
            await pilot.pause()
            return screen
        await pilot.pause(0.1)
    raise AssertionError("the Limits pane showed no data in time")


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "160x48"])
def test_limits(snap_compare: Any, sim_url: str, size: tuple[int, int]) -> None:
    async def ready(pilot: Pilot[Any]) -> None:
        await _limits_ready(pilot)

    assert snap_compare(sim_app(sim_url), terminal_size=size, run_before=ready)


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "160x48"])
def test_instance_of_the_capped_database(snap_compare: Any, sim_url: str, size: tuple[int, int]) -> None:
    async def open_db(pilot: Pilot[Any]) -> None:
        screen = await _limits_ready(pilot)
        assert screen.snapshot is not None
        db = next(i for i in screen.snapshot.instances if i.name == "payments-db-1")
        screen.query_one(VirtualTable).move_cursor_to_key(db.instance_id)
        await pilot.press("enter")
        for _ in range(100):
            detail = pilot.app.screen
            if isinstance(detail, InstanceScreen) and detail.history is not None:
                break
            await pilot.pause(0.1)
        await pilot.pause()

    assert snap_compare(sim_app(sim_url), terminal_size=size, run_before=open_db)
