"""The facilitator's pane against the simulator: the catalogue, a fault injected on a picked
target with a key, seen by the simulator and journaled as an action, then cleared."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.helpers import frozen_clock, settle, sim_settings
from tui.app import make_app
from tui.gameday import events as ev
from tui.screens.facilitator import FacilitatorScreen, InjectScreen, parse_duration
from tui.sim.control import ControlClient
from tui.sim.server import SimServer
from widgets.vtable import VirtualTable

FAULT = "ssm-connection-lost"


@pytest.fixture(scope="module")
def sim(own_sim: SimServer) -> SimServer:
    """The facilitator's pane injects faults: the module's own simulator (own_sim)."""
    return own_sim


@pytest.fixture(scope="module")
def sim_url(own_sim: SimServer) -> str:
    return own_sim.endpoint_url


def _active(url: str) -> list[dict[str, Any]]:
    return [
        f for f in ControlClient(url).status()["faults"] if f["fault"] == FAULT and f["state"] == "active"
    ]


async def test_inject_and_clear_from_the_facilitator_pane(sim_url: str, tmp_path: Path) -> None:
    assert _active(sim_url) == []
    app = make_app(sim_settings(sim_url, journal_path=tmp_path / "j.jsonl"), clock=frozen_clock)
    try:
        async with app.run_test(size=(150, 42)) as pilot:
            await pilot.press("8")
            await settle(
                pilot, lambda: isinstance(app.screen, FacilitatorScreen) and app.screen.status is not None
            )
            screen = app.screen
            assert isinstance(screen, FacilitatorScreen)
            faults = screen.query_one("#fac-faults", VirtualTable)
            assert len(faults.rows) >= 10, "every catalogue fault has a row"
            assert faults.move_cursor_to_key(f"{FAULT}|")
            await pilot.press("i")
            await settle(pilot, lambda: isinstance(app.screen, InjectScreen))
            # Enter in the target list goes to the duration field; back in the list, y injects, as
            # every dialog confirms outside a text field.
            await pilot.press("enter")
            await pilot.pause()
            inject = app.screen
            assert isinstance(inject, InjectScreen) and inject.typing() and not _active(sim_url)
            await pilot.press("shift+tab", "y")
            await settle(pilot, lambda: bool(_active(sim_url)))
            (state,) = _active(sim_url)
            assert state["origin"] == "facilitator"
            target = state["target"]
            await settle(pilot, lambda: faults.move_cursor_to_key(f"{FAULT}|{target}"))
            await pilot.press("c")
            await settle(pilot, lambda: not _active(sim_url))
            assert app.gameday is not None
            actions = [e for e in app.gameday.journal.events if e.kind == ev.ACTION]
            assert [e.detail["operation"] for e in actions] == ["sim:InjectFault", "sim:ClearFault"]
            assert {e.resource for e in actions} == {target}
    finally:
        for state in _active(sim_url):
            ControlClient(sim_url).clear(FAULT, state["target"])


async def test_a_read_only_console_injects_nothing(sim_url: str, tmp_path: Path) -> None:
    app = make_app(
        sim_settings(sim_url, journal_path=tmp_path / "j.jsonl", read_only=True), clock=frozen_clock
    )
    async with app.run_test(size=(150, 42)) as pilot:
        await pilot.press("8")
        await settle(
            pilot, lambda: isinstance(app.screen, FacilitatorScreen) and app.screen.status is not None
        )
        screen = app.screen
        assert isinstance(screen, FacilitatorScreen)
        screen.query_one("#fac-faults", VirtualTable).move_cursor_to_key(f"{FAULT}|")
        await pilot.press("i")
        await pilot.pause(0.3)
        assert not isinstance(app.screen, InjectScreen)
    assert _active(sim_url) == []


def test_durations_are_read_as_people_write_them() -> None:
    assert parse_duration("") is None
    assert parse_duration("90") == 90.0
    assert parse_duration("20m") == 1200.0
    assert parse_duration("1h30m") == 5400.0
    for bad in ("soon", "5x", "10m5"):
        with pytest.raises(ValueError, match="duration"):
            parse_duration(bad)
