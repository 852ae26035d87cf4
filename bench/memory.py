"""Whether a console left open holds steady: its RSS after the first minute, after 1,000 pane
switches and after an hour's worth of polls.

The simulator (seeded workload, seed 7) runs in a child process, so the RSS measured is the
console's alone. The console runs headless under Textual's Pilot with every polling pane started
(``watch_all``, as the journal runs) at 120x40:

1. the first minute: every pane visited once, then ``--first`` seconds of polling at the normal
   intervals; RSS is read (the baseline);
2. ``--switches`` pane switches with the number keys, each answered before the next;
3. an hour's worth of polls: every pane's interval is cut to ``--fast`` seconds for ``--hour``
   seconds, the pane shown changing every 30 s; the polls each pane made are counted and printed
   (an hour at the normal intervals is 120 polls of Overview, Limits, Kinesis and Sessions, 60 of
   Findings and 240 of Experiments).

Printed: RSS (from /proc/self/statm) after each step, the footer keys still in memory though no
screen shows them, and the growth against the baseline; the target is within 10%.

Run from the repository root: ``.venv/bin/python bench/memory.py [--switches 1000] [--first 60]``.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import multiprocessing
import os
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from textual.widgets._footer import FooterKey

from tui.app import WarroomApp, make_app
from tui.aws.clients import AwsTarget
from tui.feeds import LiveFeed, Update
from tui.settings import Intervals, Settings
from tui.sim.account import SIM_ACCESS_KEY, SIM_SECRET_KEY
from tui.sim.server import SimServer


def rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        resident = int(statm.read().split()[1])
    return resident * os.sysconf("SC_PAGE_SIZE") / 2**20


def detached_footer_keys() -> int:
    gc.collect()
    return sum(1 for obj in gc.get_objects() if isinstance(obj, FooterKey) and not obj.is_attached)


def _sim_child(conn: Any) -> None:
    server = SimServer(seed=7, port=0, live=True).start()
    conn.send(server.endpoint_url)
    conn.recv()
    server.stop()


def settings(url: str, intervals: Intervals) -> Settings:
    target = AwsTarget(
        regions=("us-east-1",), endpoint_url=url, access_key=SIM_ACCESS_KEY, secret_key=SIM_SECRET_KEY
    )
    return Settings(target=target, demo=True, watch_all=True, intervals=intervals)


def set_intervals(app: WarroomApp, seconds: float) -> None:
    """Every live feed polls every ``seconds`` from its next poll on."""
    for feed in app.feeds:
        if isinstance(feed, LiveFeed):
            feed.interval = seconds
            feed.max_backoff = seconds


def count_polls(app: WarroomApp) -> dict[str, int]:
    """From now on, how many polls each feed makes."""
    counts = {feed.pane: 0 for feed in app.feeds}

    def count(pane: str, update: Update) -> None:
        if update.kind in ("polled", "failed"):
            counts[pane] += 1

    app.feeds.subscribe_all(count)
    return counts


def line(label: str, rss: float, base: float | None) -> None:
    growth = "" if base is None else f"  ({(rss - base) / base * 100:+.1f}% against the first minute)"
    print(
        f"{label:<44} RSS {rss:7.1f} MB  detached footer keys {detached_footer_keys():5d}{growth}", flush=True
    )


async def run(url: str, args: argparse.Namespace) -> None:
    app = make_app(settings(url, Intervals()))
    keys = [spec.key for spec in app.panes]
    async with app.run_test(size=(120, 40)) as pilot:
        for key in keys:
            await pilot.press(key)
            await pilot.pause()
        await pilot.press(keys[0])
        await asyncio.sleep(args.first)
        base = rss_mb()
        line(f"after the first minute ({args.first:.0f} s)", base, None)
        started = time.monotonic()
        for n in range(args.switches):
            await pilot.press(keys[n % len(keys)])
            await pilot.pause()
            if (n + 1) % 250 == 0:
                print(f"  {n + 1} switches, {time.monotonic() - started:.0f} s", flush=True)
        line(f"after {args.switches} pane switches", rss_mb(), base)
        if args.hour > 0:
            seconds = args.fast
            polls = count_polls(app)
            set_intervals(app, seconds)
            end = time.monotonic() + args.hour
            n = 0
            while time.monotonic() < end:
                await pilot.press(keys[n % len(keys)])
                n += 1
                await asyncio.sleep(min(30.0, max(0.0, end - time.monotonic())))
            line(f"after fast polling ({args.hour:.0f} s at {seconds:g} s)", rss_mb(), base)
            print(
                "  polls made: " + ", ".join(f"{pane} {count}" for pane, count in polls.items()), flush=True
            )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--switches", type=int, default=1000)
    parser.add_argument("--first", type=float, default=60.0, help="seconds of polling before the baseline")
    parser.add_argument("--hour", type=float, default=120.0, help="seconds of fast polling (0 skips it)")
    parser.add_argument("--fast", type=float, default=0.25, help="the poll interval meanwhile")
    args = parser.parse_args()
    context = multiprocessing.get_context("spawn")
    conn, child = context.Pipe()
    process = context.Process(target=_sim_child, args=(child,), daemon=True)
    process.start()
    url: str = conn.recv()
    try:
        asyncio.run(run(url, args))
    finally:
        conn.send("stop")
        process.join(timeout=30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
