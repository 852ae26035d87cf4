"""How the shell looks, at the smallest supported terminal and at a large one."""

from __future__ import annotations

from typing import Any

import pytest
from textual.pilot import Pilot

from tests.helpers import sim_app, wait_for_data

SIZES = [(80, 24), (160, 48)]


# At 80x24 in test_panes_80x24.py, with every other pane.
@pytest.mark.parametrize("size", [(160, 48)], ids=["160x48"])
def test_overview(snap_compare: Any, sim_url: str, size: tuple[int, int]) -> None:
    async def ready(pilot: Pilot[Any]) -> None:
        await wait_for_data(pilot)

    assert snap_compare(sim_app(sim_url), terminal_size=size, run_before=ready)


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "160x48"])
def test_help(snap_compare: Any, sim_url: str, size: tuple[int, int]) -> None:
    async def open_help(pilot: Pilot[Any]) -> None:
        await wait_for_data(pilot)
        await pilot.press("question_mark")
        await pilot.pause()

    assert snap_compare(sim_app(sim_url), terminal_size=size, run_before=open_help)


def test_read_only_high_contrast(snap_compare: Any, sim_url: str) -> None:
    async def ready(pilot: Pilot[Any]) -> None:
        await wait_for_data(pilot)

    app = sim_app(sim_url, read_only=True, theme="warroom-high-contrast")
    assert snap_compare(app, terminal_size=(120, 40), run_before=ready)
