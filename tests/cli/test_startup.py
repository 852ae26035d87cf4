"""A live start: ``--version`` and ``--help`` import nothing heavy, the console says what it is
doing before the simulator is ready, and a simulator that cannot start ends it with one line."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import pytest

from tests.helpers import settle, sim_settings
from tui.app import make_app
from tui.common.startup import Startup
from widgets.status import StatusLine

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("textual", "rich", "botocore", "aiobotocore", "boto3", "moto", "aiohttp", "asyncio")
PROBE = """
import sys
from tui.cli import main
try:
    main([{flag!r}])
except SystemExit:
    pass
print("IMPORTED=" + ",".join(sorted(m for m in sys.modules if m.split(".")[0] in {heavy!r})), file=sys.stderr)
"""
DEADLINE_S = 20.0


@pytest.mark.parametrize("flag", ["--version", "--help"])
def test_version_and_help_import_neither_textual_nor_an_aws_sdk(flag: str) -> None:
    out = subprocess.run(
        [sys.executable, "-c", PROBE.format(flag=flag, heavy=HEAVY)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )
    assert out.returncode == 0, out.stderr
    assert "warroom" in out.stdout
    imported = [line for line in out.stderr.splitlines() if line.startswith("IMPORTED=")]
    assert imported == ["IMPORTED="]


def _held_start(release: threading.Event, *, fail: str = "") -> Startup:
    def run(startup: Startup) -> None:
        startup.step("seeding the fleet")
        if not release.wait(DEADLINE_S):
            raise AssertionError("the test never released the start")
        if fail:
            raise SystemExit(fail)

    return Startup("starting the simulator", run).start()


async def test_the_console_says_it_is_starting_the_simulator_before_it_is_ready() -> None:
    release = threading.Event()
    startup = _held_start(release)
    # Nothing listens at this endpoint: had a poll or the identity call not waited for the start,
    # they would fail at once.
    app = make_app(sim_settings("http://127.0.0.1:9"), startup=startup)
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            status = app.screen.query_one(StatusLine)
            await settle(pilot, lambda: status.starting, what="the status line's start-up step")
            assert status.starting == "starting the simulator… (seeding the fleet)"
            assert "◌ starting the simulator… (seeding the fleet)" in str(status.render())
            feed = app.feeds["overview"]
            assert feed.state.snapshot is None and feed.state.error is None
            assert not app.account and not app.identity_problem
    finally:
        release.set()


async def test_a_simulator_that_cannot_start_ends_the_console_with_its_reason(
    capfd: pytest.CaptureFixture[str],
) -> None:
    release = threading.Event()
    startup = _held_start(release, fail="warroom: the scenario cannot run: no stream named x")
    app = make_app(sim_settings("http://127.0.0.1:9"), startup=startup)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, lambda: app.screen.query(StatusLine), what="the first pane")
        release.set()
        await settle(pilot, lambda: app.return_code is not None, what="the console to end")
    assert app.return_code == 1
    assert "warroom: the scenario cannot run: no stream named x" in capfd.readouterr().err
