"""Regenerate the README's screenshots from the demo: `make screenshots`."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")

from tests.frozen import FROZEN  # noqa: E402
from tests.helpers import sim_app, wait_for_data  # noqa: E402
from tui.screens.instance import InstanceScreen  # noqa: E402
from tui.screens.limits import LimitsScreen  # noqa: E402
from tui.sim.server import SimServer  # noqa: E402
from widgets.vtable import VirtualTable  # noqa: E402


async def shoot(url: str) -> None:
    app = sim_app(url)
    async with app.run_test(size=(140, 40)) as pilot:
        await wait_for_data(pilot)
        app.save_screenshot(str(HERE / "overview.svg"))
        await pilot.press("question_mark")
        await pilot.pause()
        app.save_screenshot(str(HERE / "help.svg"))
        await pilot.press("escape", "2")
        await pilot.pause()
        for _ in range(200):
            if isinstance(app.screen, LimitsScreen) and app.screen.snapshot is not None:
                break
            await pilot.pause(0.1)
        await pilot.pause()
        app.save_screenshot(str(HERE / "limits.svg"))
        screen = app.screen
        assert isinstance(screen, LimitsScreen) and screen.snapshot is not None
        db = next(i for i in screen.snapshot.instances if i.name == "payments-db-1")
        screen.query_one(VirtualTable).move_cursor_to_key(db.instance_id)
        await pilot.press("enter")
        for _ in range(100):
            if isinstance(app.screen, InstanceScreen) and app.screen.history is not None:
                break
            await pilot.pause(0.1)
        await pilot.pause()
        app.save_screenshot(str(HERE / "instance.svg"))


def main() -> None:
    with SimServer(seed=7, live=False) as sim:
        sim.workload.write_minutes(FROZEN, 190)  # the screenshots' clock is the tests' frozen one
        asyncio.run(shoot(sim.endpoint_url))
    print("wrote", ", ".join(sorted(p.name for p in HERE.glob("*.svg"))))


if __name__ == "__main__":
    main()
