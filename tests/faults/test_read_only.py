"""Read-only mode through the fault proxy: every action key of every pane, confirmed where asked, and
not one mutating request reaches AWS."""

from __future__ import annotations

from typing import Any

from textual.binding import Binding
from textual.pilot import Pilot

from tests.faults.conftest import faulty_app
from tests.helpers import settle, wait_for_data
from tui.screens.base import PaneScreen
from tui.sim.faultproxy import FaultProxy

PANES = ("1", "2", "3", "4", "5", "6")
#: Keys not pressed: quitting, and the Sessions keys that hand the terminal to a shell.
SKIPPED = {"q", "ctrl+c", "sessions:enter", "sessions:F", "sessions:H", "sessions:S"}


def action_keys(screen: PaneScreen[Any]) -> list[str]:
    """Every key bound on the pane (its classes' BINDINGS), actions on shifted keys last."""
    keys: list[str] = []
    for cls in type(screen).__mro__:
        for binding in getattr(cls, "BINDINGS", ()) or ():
            key = binding.key if isinstance(binding, Binding) else str(binding[0])
            for one in key.split(","):
                name = one.strip()
                skipped = name in SKIPPED or f"{screen.PANE}:{name}" in SKIPPED
                if name and name not in keys and not skipped:
                    keys.append(name)
    return sorted(keys, key=lambda k: (len(k) == 1 and k.isupper(), k))


async def back_to(pilot: Pilot[Any], pane: PaneScreen[Any]) -> None:
    """From whatever a key opened (a confirm, a form, a detail), confirm it, then close it."""
    for key in ("y", "enter"):
        if pilot.app.screen is pane:
            return
        await pilot.press(key)
        await pilot.pause(0.2)
    for _ in range(6):
        if pilot.app.screen is pane:
            return
        await pilot.press("escape")
        await pilot.pause(0.1)
    assert pilot.app.screen is pane, f"could not get back to {pane.TITLE} from {pilot.app.screen!r}"


async def test_read_only_sends_no_mutating_request_whatever_is_pressed(proxy: FaultProxy) -> None:
    proxy.clear()
    proxy.reset_counts()
    app = faulty_app(proxy, read_only=True)
    pressed: list[str] = []
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_for_data(pilot)
        for pane_key in PANES:
            await pilot.press(pane_key)
            await settle(
                pilot,
                lambda: (
                    isinstance(pilot.app.screen, PaneScreen)
                    and (pilot.app.screen.snapshot is not None or pilot.app.screen.failures > 0)
                ),
            )
            pane = pilot.app.screen
            assert isinstance(pane, PaneScreen)
            await pilot.press("down")
            for key in action_keys(pane):
                await pilot.press(key)
                await pilot.pause(0.2)
                if key == "slash":
                    await pilot.press("escape")
                await back_to(pilot, pane)
                pressed.append(f"{pane.PANE}:{key}")
        await pilot.pause(0.5)
    assert any(k.endswith(":X") for k in pressed) and any(k.endswith(":U") for k in pressed), pressed
    assert proxy.total_calls() > 0
    assert dict(proxy.mutating) == {}, (dict(proxy.mutating), pressed)
