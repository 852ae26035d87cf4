"""Helpers shared by the Pilot and snapshot tests."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from textual.pilot import Pilot

from tests.frozen import FROZEN
from tests.waits import awaited
from tui.app import WarroomApp, make_app
from tui.aws.clients import AwsTarget
from tui.screens.base import PaneScreen
from tui.settings import Settings


def frozen_clock() -> datetime:
    return FROZEN


def sim_settings(url: str, **overrides: Any) -> Settings:
    target = AwsTarget(regions=("us-east-1",), endpoint_url=url, access_key="testing", secret_key="testing")
    values: dict[str, Any] = {"target": target, "demo": True}
    values.update(overrides)
    return Settings(**values)


def sim_app(url: str, **overrides: Any) -> WarroomApp:
    return make_app(sim_settings(url, **overrides), clock=frozen_clock)


async def wait_for_data(pilot: Pilot[Any], *, within: float = 20.0) -> None:
    """Until the pane on screen has shown a poll (and the header knows the account)."""
    app = pilot.app
    assert isinstance(app, WarroomApp)
    waited = 0.0
    while waited < within:
        screen = app.screen
        polled = not isinstance(screen, PaneScreen) or screen.snapshot is not None or screen.failures
        if polled and (app.account or app.identity_problem):
            await pilot.pause()
            return
        await pilot.pause(0.1)
        waited += 0.1
    raise AssertionError("the pane showed no data in time")


async def settle(
    pilot: Pilot[Any], until: Callable[[], object], *, within: float = 20.0, what: str = ""
) -> None:
    """Until ``until()`` is true, letting the app run; fails the test after ``within`` seconds,
    saying what it waited for (``what``, else the condition's source)."""
    waited = 0.0
    while waited < within:
        if until():
            return
        await pilot.pause(0.1)
        waited += 0.1
    raise AssertionError(f"the console did not get there in {within:g} s: {what or awaited(until)}")


async def type_text(pilot: Pilot[Any], text: str) -> None:
    """Type ``text`` into the focused input, then hold every input's cursor steady: it blinks every
    half second, so a picture taken later than that (a loaded machine) found it hidden or shown."""
    from textual.widgets import Input

    await pilot.press(*text)
    for box in pilot.app.screen.query(Input):
        box.cursor_blink = False
    await pilot.pause()


async def open_pane(pilot: Pilot[Any], key: str, pane: type[PaneScreen[Any]], *, within: float = 20.0) -> Any:
    """Press ``key`` and wait until ``pane`` is on screen and has shown a poll (or its failure): a
    whole one, not the first pages of a long load."""
    await pilot.press(key)
    waited = 0.0
    while waited < within:
        screen = pilot.app.screen
        polled = screen.snapshot is not None and not getattr(screen.snapshot, "loading", False)
        if isinstance(screen, pane) and (polled or screen.failures):
            await pilot.pause()
            return screen
        await pilot.pause(0.1)
        waited += 0.1
    raise AssertionError(f"the {pane.TITLE} pane showed no data in time")


async def open_limits(pilot: Pilot[Any], *, within: float = 20.0) -> Any:
    """Press 2 and wait until the Limits pane has shown a poll; returns the pane."""
    from tui.screens.limits import LimitsScreen

    return await open_pane(pilot, "2", LimitsScreen, within=within)


async def open_instance(pilot: Pilot[Any], name: str, *, within: float = 10.0) -> Any:
    """From the Limits pane, open the instance called ``name`` and wait for its charts' data."""
    from tui.screens.instance import InstanceScreen
    from widgets.vtable import VirtualTable

    screen = pilot.app.screen
    view = next(i for i in screen.snapshot.instances if i.name == name)
    screen.query_one(VirtualTable).move_cursor_to_key(view.instance_id)
    await pilot.press("enter")
    waited = 0.0
    while waited < within:
        detail = pilot.app.screen
        if isinstance(detail, InstanceScreen) and detail.history is not None:
            await pilot.pause()
            return detail
        await pilot.pause(0.1)
        waited += 0.1
    raise AssertionError(f"the instance view of {name} loaded no history in time")
