"""Helpers shared by the Pilot and snapshot tests."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from textual.pilot import Pilot

from tests.frozen import FROZEN
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
