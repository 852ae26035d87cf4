"""How the Kinesis pane and its confirmation dialog look, on the simulator at the frozen moment."""

from __future__ import annotations

from typing import Any

import pytest
from textual.pilot import Pilot

from tests.helpers import settle, sim_app
from tests.pilot.test_kinesis import EVENTS, _select, open_kinesis

# At 80x24 in test_panes_80x24.py, with every other pane.
SIZES = [(160, 48)]


async def _ready(pilot: Pilot[Any]) -> None:
    await open_kinesis(pilot)
    await settle(pilot, lambda: pilot.app.account, what="the header to know the account")


@pytest.mark.parametrize("size", SIZES, ids=["160x48"])
def test_kinesis(snap_compare: Any, sim_url: str, size: tuple[int, int]) -> None:
    assert snap_compare(sim_app(sim_url), terminal_size=size, run_before=_ready)


def test_reshard_confirmation(
    snap_compare: Any, sim_url: str, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # An audit log of its own: the dialog counts the reshards this console already made today.
    monkeypatch.setenv("WARROOM_STATE_DIR", str(tmp_path))

    async def ask(pilot: Pilot[Any]) -> None:
        await _ready(pilot)
        screen: Any = pilot.app.screen
        _select(screen, EVENTS)
        await pilot.press("U")
        await pilot.pause()

    assert snap_compare(sim_app(sim_url), terminal_size=(120, 40), run_before=ask)
