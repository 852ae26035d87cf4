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


def main() -> None:
    with SimServer(seed=7, live=False) as sim:
        sim.workload.write_minutes(FROZEN, 190)  # the screenshots' clock is the tests' frozen one
        asyncio.run(shoot(sim.endpoint_url))
    print("wrote", ", ".join(sorted(p.name for p in HERE.glob("*.svg"))))


if __name__ == "__main__":
    main()
