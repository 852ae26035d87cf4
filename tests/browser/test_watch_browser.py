"""The watch view in a real browser, end to end: a recording console against the simulator,
`warroom serve --follow` in front of its recording, and headless Chromium with two tabs on different
panes, reading the terminal's text as the page draws it, pressing keys, seeing new data arrive as the
recording console polls, and refused without the access token.

Needs Chromium (Debian's chromium package; `.ci/run` installs it); skipped with how to install it
otherwise. Screenshots of the tabs go to screenshots/browser/.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest

from tests.browser.cdp import INSTALL_HINT, chromium, launch
from tests.waits import read_line, stop
from tui.serve import REFUSED

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "screenshots" / "browser"
FAKE_KEY = "AKIAWATCHVIEWTEST0001"
FAKE_SECRET = "watch-view-secret-never-on-a-page-0123456789"
BROWSER = chromium()

pytestmark = pytest.mark.skipif(BROWSER is None, reason=INSTALL_HINT)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _with_credentials() -> dict[str, str]:
    """The environment of a person who has AWS credentials: what must never reach a watcher."""
    env = dict(os.environ)
    env.update(AWS_ACCESS_KEY_ID=FAKE_KEY, AWS_SECRET_ACCESS_KEY=FAKE_SECRET, PYTHONPATH=str(ROOT))
    return env


def _snapshot_lines(path: Path) -> int:
    return path.read_bytes().count(b'"type":"snapshot"') if path.exists() else 0


@pytest.fixture
def recording(tmp_path: Path) -> Iterator[Path]:
    """A recording console (the headless recorder) polling a fresh simulator, writing ``rec``."""
    rec = tmp_path / "gameday.jsonl"
    log = (tmp_path / "recorder.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "tui.cli", "record", "--demo", "--output", str(rec), "--duration", "5m"],
        env=_with_credentials(),
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=tmp_path,
    )
    try:
        deadline = time.monotonic() + 90
        while _snapshot_lines(rec) < 3:
            assert process.poll() is None, (tmp_path / "recorder.log").read_text()
            assert time.monotonic() < deadline, "the recorder wrote no snapshot within 90 s"
            time.sleep(0.5)
        yield rec
    finally:
        stop(process, how=signal.SIGINT)
        log.close()


@pytest.fixture
def served(recording: Path, tmp_path: Path) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    """``warroom serve --follow`` of the recording: (the address it printed, its process)."""
    process = subprocess.Popen(
        [sys.executable, "-m", "tui.cli", "serve", "--follow", str(recording), "--port", str(_free_port())],
        env=_with_credentials(),
        stdout=subprocess.PIPE,
        stderr=(tmp_path / "serve.log").open("w"),
        text=True,
        cwd=tmp_path,
    )
    try:
        assert process.stdout is not None
        url = ""
        for _ in range(5):
            line = read_line(process.stdout, within=30, what="warroom serve's address")
            if "open http" in line:
                url = line.split("open ", 1)[1].strip()
                break
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+/\?token=[\w-]{32}", url), url
        yield url, process
    finally:
        stop(process, how=signal.SIGINT)


def _followers(server: subprocess.Popen[str]) -> list[int]:
    """The follower processes ``warroom serve`` started (its shell's children, or its own)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ")
        except OSError:
            continue
        if b"replay --follow" in command and b"tui.cli" in command and b"/bin/sh" not in command:
            found.append(int(entry.name))
    return found


async def _clock_on(tab: object, pattern: str) -> str:
    text: str = await tab.screen_text()  # type: ignore[attr-defined]
    found = re.search(pattern, text)
    return found.group(1) if found else ""


async def _watch(url: str, server: subprocess.Popen[str], recording: Path) -> None:
    assert BROWSER is not None
    bare = url.split("?", 1)[0]
    async with aiohttp.ClientSession() as session:
        for address in (bare, f"{bare}?token=wrong", f"{bare}ws", f"{bare}static/js/textual.js"):
            async with session.get(address) as response:
                assert response.status == 403, address

    async with launch(BROWSER) as browser:
        refused = await browser.new_tab(bare, fresh_profile=True)
        for _ in range(40):
            if REFUSED in await refused.body_text():
                break
            await asyncio.sleep(0.25)
        assert REFUSED in await refused.body_text(), "a browser without the token is refused"

        first = await browser.new_tab(url, size=(1200, 720))
        second = await browser.new_tab(url, size=(1200, 720))
        for tab in (first, second):
            await tab.wait_for_text(r"acct 123456789012", within=60)
            await tab.wait_for_text(r"LIVE \d\d:\d\d:\d\dZ", within=30)

        await first.press("3")
        await first.wait_for_text(r"Kinesis │.*LIVE", within=15)
        await first.wait_for_text(r"payments-events", within=15)
        await second.press("4")
        await second.wait_for_text(r"Findings │.*LIVE", within=15)
        await second.wait_for_text(r"CRIT", within=15)
        text = await first.screen_text()
        assert re.search(r"Kinesis │", text) and not re.search(r"Findings │", text), (
            "each tab moves on its own"
        )
        await second.screenshot(SHOTS / "watch-findings.png")
        await second.press("colon", "w", "a", "l", "l", "enter")
        await second.wait_for_text(r"Wall │.*LIVE", within=15)
        await second.wait_for_text(r"(?i)fault", within=15)

        # New data arrive as the recording console polls: the LIVE clock moves on.
        live = r"LIVE (\d\d:\d\d:\d\d)Z"
        before = await _clock_on(first, live)
        lines_before = _snapshot_lines(recording)
        deadline = asyncio.get_running_loop().time() + 90
        while (now := await _clock_on(first, live)) <= before:
            assert asyncio.get_running_loop().time() < deadline, f"no new data after {before}"
            await asyncio.sleep(0.5)
        assert _snapshot_lines(recording) > lines_before

        # Each tab is a follower process of its own, with no AWS credentials in its environment.
        followers = _followers(server)
        assert len(followers) >= 2, followers
        for pid in followers:
            environ = await asyncio.to_thread(Path(f"/proc/{pid}/environ").read_bytes)
            assert FAKE_KEY.encode() not in environ and FAKE_SECRET.encode() not in environ
            assert b"AWS_SHARED_CREDENTIALS_FILE=/dev/null" in environ

        # No secret reaches the page (and the recording holds none).
        for tab in (first, second):
            page = await tab.evaluate("document.documentElement.outerHTML") + await tab.screen_text()
            assert FAKE_KEY not in page and FAKE_SECRET not in page
            assert not re.search(r"\b(AKIA|ASIA)[A-Z0-9]{16}\b", page)
        written = await asyncio.to_thread(recording.read_bytes)
        assert FAKE_SECRET.encode() not in written and FAKE_KEY.encode() not in written

        await first.screenshot(SHOTS / "watch-kinesis.png")
        await second.screenshot(SHOTS / "watch-wall.png")
        assert now > before


def test_two_browser_tabs_watch_a_recording_console(
    served: tuple[str, subprocess.Popen[str]], recording: Path
) -> None:
    url, server = served
    asyncio.run(asyncio.wait_for(_watch(url, server, recording), timeout=240))
