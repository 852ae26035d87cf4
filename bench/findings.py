"""Filter-as-you-type in the Findings pane, and its memory, at 10,000 and 50,000 findings.

For each size N, N synthetic ASFF findings (the simulator's generator, a realistic mix of products,
severities, controls and workflow states) are parsed as the poller parses them and handed to a
Findings pane running headless at 160x48, as if a poll had returned them. Then a word is typed into
the `/` filter one letter at a time and deleted letter by letter; for each keystroke the time from the
key reaching the app (as from the terminal) to the end of the first screen refresh after the list was
refiltered (the table's visible rows drawn and the screen composed) is measured; the harness's own
waiting between keys is not counted. Textual repaints at most 60 times a second, so part of each figure
is the wait for the next frame: the 10-finding row shows that floor. The table shows the median and
the slowest keystroke, the parse time, and the process's resident memory with N findings loaded
(VmRSS, after a full collection; each size runs in a fresh process).

Targets: median keystroke under 50 ms at 10,000 findings and under 100 ms at 50,000; under 300 MB
RSS with 50,000 loaded.

Run from the repository root: ``.venv/bin/python bench/findings.py [--sizes 10000,50000]``.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from textual.app import App

from tui.aws.clients import AwsTarget, ClientFactory
from tui.aws.findings import FindingsSnapshot
from tui.aws.findings_model import Finding, parse_finding
from tui.common.runtime import tune_gc
from tui.context import PaneContext
from tui.feeds import RecordedFeed
from tui.screens.findings import FindingsScreen
from tui.settings import Settings
from tui.sim.findings_bulk import synthetic_findings

NOW = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)
WORDS = ("securitygroup", "ec2.1", "bucket")
CHUNK = 1000
DEBUG = bool(os.environ.get("BENCH_DEBUG"))


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


class BenchApp(App[None]):
    """Just the Findings pane, fed one prepared snapshot instead of polling."""

    def __init__(self, snapshot: FindingsSnapshot) -> None:
        super().__init__()
        self.prepared = snapshot
        target = AwsTarget(regions=("us-east-1",), endpoint_url="http://127.0.0.1:9")
        self.ctx = PaneContext(
            factory=ClientFactory(target), settings=Settings(target=target), clock=lambda: NOW
        )

    def on_mount(self) -> None:
        # A feed that publishes the one prepared snapshot, as a replay's does: nothing is polled.
        feed = RecordedFeed("findings", "Findings")
        feed.publish(self.prepared)
        self.push_screen(FindingsScreen(self.ctx, feed))


async def measure(findings: list[Finding]) -> tuple[list[float], float]:
    snapshot = FindingsSnapshot(fetched_at=NOW, region="us-east-1", findings=tuple(findings), version=1)
    app = BenchApp(snapshot)
    times: list[float] = []
    async with app.run_test(size=(160, 48)) as pilot:
        screen = app.screen
        for _ in range(100):
            if isinstance(screen, FindingsScreen) and screen.snapshot is not None:
                break
            await pilot.pause(0.05)
            screen = app.screen
        assert isinstance(screen, FindingsScreen), "the Findings pane did not open"
        gc.collect()
        resident = rss_mb()
        await pilot.press("slash")
        await pilot.pause()
        # Stamp the end of every screen refresh, and of every refill of the list.
        refreshed: list[float] = []
        filled: list[float] = []
        original_refresh = screen._compositor_refresh
        original_fill = screen._fill

        def compositor_refresh() -> None:
            begun = time.perf_counter()
            original_refresh()
            refreshed.append(time.perf_counter())
            if DEBUG:
                print(f"  refresh took {(refreshed[-1] - begun) * 1000:.1f}")

        def fill() -> None:
            original_fill()
            filled.append(time.perf_counter())

        sent: list[float] = []
        driver: Any = app._driver
        original_send = driver.send_message

        def send_message(message: Any) -> None:
            sent.append(time.perf_counter())
            original_send(message)

        screen._compositor_refresh = compositor_refresh  # type: ignore[method-assign]
        screen._fill = fill  # type: ignore[method-assign]
        driver.send_message = send_message
        for word in WORDS:
            for key in [*word, *["backspace"] * len(word)]:
                started = time.perf_counter()
                await pilot.press(key)
                await pilot.pause()
                after = [t for t in filled if t >= started]
                assert after, f"the key {key!r} did not refilter the list"
                painted = [t for t in refreshed if t >= after[0]]
                assert painted, f"the screen was not repainted after {key!r}"
                # From the moment the key reaches the app, as a terminal's would.
                key_at = next(t for t in sent if t >= started)
                times.append(painted[0] - key_at)
                if DEBUG:
                    fill_ms, paint_ms = (after[0] - key_at) * 1000, (painted[0] - key_at) * 1000
                    print(f"{key!r}: fill +{fill_ms:.1f} paint +{paint_ms:.1f}")
    return times, resident


def one(size: int) -> str:
    """One size in this process: parse as the poller does (a page at a time), then type."""
    tune_gc()
    parsed: list[Finding] = []
    parse_s = 0.0
    for chunk in range(0, size, CHUNK):
        raw = synthetic_findings(min(CHUNK, size - chunk), seed=1000 + chunk, now=NOW)
        started = time.perf_counter()
        parsed.extend(f for f in (parse_finding(r) for r in raw) if f is not None)
        parse_s += time.perf_counter() - started
    del raw
    times, resident = asyncio.run(measure(parsed))
    median_ms = statistics.median(times) * 1000
    return f"{len(parsed)} {parse_s:.3f} {median_ms:.2f} {max(times) * 1000:.2f} {len(times)} {resident:.1f}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10,10000,50000", help="comma-separated finding counts")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(one(args.one))
        return 0
    rows = []
    for size in (int(s) for s in args.sizes.split(",")):
        # A fresh process per size, so each RSS figure holds only its own findings.
        done = subprocess.run(
            [sys.executable, __file__, "--one", str(size)], capture_output=True, text=True, check=True
        )
        count, parse_s, median_ms, worst_ms, keys, resident = done.stdout.split()
        rows.append(
            (int(count), float(parse_s), float(median_ms), float(worst_ms), int(keys), float(resident))
        )
    print(f"{'findings':>9} {'parse s':>8} {'median ms':>10} {'worst ms':>9} {'keys':>5} {'RSS MB':>7}")
    for size, parse_s, median_ms, worst_ms, keys, resident in rows:
        print(f"{size:>9,} {parse_s:>8.2f} {median_ms:>10.1f} {worst_ms:>9.1f} {keys:>5} {resident:>7.0f}")
    print("targets: median < 50 ms at 10,000 and < 100 ms at 50,000; RSS < 300 MB at 50,000")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
