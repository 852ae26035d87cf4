"""Regenerate the README's screenshots from the demo: `make screenshots`."""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

from textual.pilot import Pilot

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")

from tests.frozen import FROZEN  # noqa: E402
from tests.helpers import open_instance, open_limits, sim_app, wait_for_data  # noqa: E402
from tests.pilot.test_findings import open_findings  # noqa: E402
from tests.pilot.test_kinesis import open_kinesis  # noqa: E402
from tui.sim.server import SimServer  # noqa: E402


async def shoot(url: str) -> None:
    app = sim_app(url)
    async with app.run_test(size=(140, 40)) as pilot:
        await wait_for_data(pilot)
        app.save_screenshot(str(HERE / "overview.svg"))
        await pilot.press("question_mark")
        await pilot.pause()
        app.save_screenshot(str(HERE / "help.svg"))
        await pilot.press("escape")
        await open_limits(pilot)
        app.save_screenshot(str(HERE / "limits.svg"))
        await open_instance(pilot, "payments-db-1")
        app.save_screenshot(str(HERE / "instance.svg"))
        await pilot.press("escape")
        await open_kinesis(pilot)
        app.save_screenshot(str(HERE / "kinesis.svg"))
        await open_findings(pilot)
        app.save_screenshot(str(HERE / "findings.svg"))
        await pilot.press("v")
        await pilot.pause()
        app.save_screenshot(str(HERE / "findings-by-resource.svg"))


async def _refresh(pilot: Pilot[Any], key: str) -> None:
    await pilot.press(key)
    await pilot.pause(0.5)
    await pilot.press("r")


async def shoot_game_day(url: str, journal: Path) -> None:
    """A rehearsal under way: two faults injected by a facilitator, seen by the panes."""
    from tests.helpers import settle, sim_settings
    from tui.app import make_app
    from tui.gameday import events as ev
    from tui.gameday.services import default_demo_services
    from tui.sim.control import ControlClient

    settings = sim_settings(url, journal_path=journal, watch_all=True)
    app = make_app(settings, services=default_demo_services())
    control = ControlClient(url)
    async with app.run_test(size=(140, 40)) as pilot:
        gameday = app.gameday
        assert gameday is not None

        def seen(*kinds: str) -> bool:
            found = {e.kind for e in gameday.journal.events}
            return all(kind in found for kind in kinds)

        await settle(pilot, lambda: seen(ev.DETECTED), within=60)
        await pilot.pause(3)
        control.inject("sg-open-ssh", None, 2400)
        control.inject("ssm-connection-lost", "payments-api-1", 1800)
        for key in ("4", "5", "6"):
            await _refresh(pilot, key)
        await settle(pilot, lambda: seen(ev.FAULT_STARTED, ev.FINDING_NEW), within=60)
        gameday.note("SSH open to the world on payments-app: revoking it with X from Findings", "alice")
        await pilot.press("7")
        await pilot.pause(1)
        app.save_screenshot(str(HERE / "journal.svg"))
        await pilot.press("colon", *"wall", "enter")
        await settle(pilot, lambda: app.current_mode == "wall")
        await pilot.pause(1.5)
        app.clear_notifications()
        await pilot.pause(0.3)
        app.save_screenshot(str(HERE / "wall.svg"))
        await pilot.press("8")
        await settle(pilot, lambda: getattr(app.screen, "status", None) is not None)
        await pilot.pause(0.5)
        app.save_screenshot(str(HERE / "facilitator.svg"))
        await pilot.press("6")
        await pilot.pause(1)
        app.save_screenshot(str(HERE / "experiments.svg"))
    control.clear("sg-open-ssh")
    control.clear("ssm-connection-lost")


def main() -> None:
    with SimServer(seed=7, live=False) as sim:
        sim.workload.write_minutes(FROZEN, 190)  # the screenshots' clock is the tests' frozen one
        asyncio.run(shoot(sim.endpoint_url))
        # A fixed journal path, so the journal's screenshot does not change from run to run.
        journal = Path(tempfile.gettempdir()) / "warroom-screenshots" / "journal.jsonl"
        journal.unlink(missing_ok=True)
        asyncio.run(shoot_game_day(sim.endpoint_url, journal))
    print("wrote", ", ".join(sorted(p.name for p in HERE.glob("*.svg"))))


if __name__ == "__main__":
    main()
