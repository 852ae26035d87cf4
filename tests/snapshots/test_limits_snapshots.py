"""How the Limits pane and an instance's view look, on the simulator's fleet at the frozen moment."""

from __future__ import annotations

from typing import Any

import pytest
from textual.pilot import Pilot

from tests.helpers import open_instance, open_limits, settle, sim_app

# At 80x24 in test_panes_80x24.py, with every other pane.
SIZES = [(160, 48)]


@pytest.mark.parametrize("size", SIZES, ids=["160x48"])
def test_limits(snap_compare: Any, sim_url: str, size: tuple[int, int]) -> None:
    async def ready(pilot: Pilot[Any]) -> None:
        await open_limits(pilot)
        await settle(pilot, lambda: pilot.app.account, what="the header to know the account")

    assert snap_compare(sim_app(sim_url), terminal_size=size, run_before=ready)


@pytest.mark.parametrize("size", SIZES, ids=["160x48"])
def test_instance_of_the_capped_database(snap_compare: Any, sim_url: str, size: tuple[int, int]) -> None:
    async def open_db(pilot: Pilot[Any]) -> None:
        await open_limits(pilot)
        await open_instance(pilot, "payments-db-1")

    assert snap_compare(sim_app(sim_url), terminal_size=size, run_before=open_db)
