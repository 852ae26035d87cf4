"""What the findings cost in GetFindings calls, in the whole running console, at 10,000 and 50,000
findings on the simulator.

For each size N the simulator (seeded workload, seed 7, plus N synthetic findings of
``tui.sim.findings_bulk``, and nothing changing: no live metrics, no faults) runs in a child process,
and the console runs headless under Textual's Pilot at 120x40 as ``warroom`` runs it: every feed
started at once (``watch_all``), the default poll intervals (Overview 30 s, Findings 60 s), the
factory's rate limits (GetFindings 3 calls/s, burst 6). The Findings pane is opened at once (key 4)
and the Overview shown again (key 1) once the first load is done. Every call is counted by the feed
that made it, so the Overview's own GetFindings calls are told apart from the Findings feed's.

Printed per size:

* ``active``: the ACTIVE findings Security Hub holds, and ``floor``: ceil(active / 100), the fewest
  GetFindings calls that can read them all (100 a page);
* ``load calls`` and ``load s``: the GetFindings calls of every feed, and the seconds, from the
  console's start to the end of the Findings feed's first load;
* ``1st page s``: from the console's start to the first findings in the Findings pane's list;
* ``1st refresh``: the calls of the first refresh after the load, and ``refresh``: of the next one
  (nothing changes: these are refreshes with nothing new);
* ``overview /75s``: the Overview feed's own GetFindings calls in the 75 s after the load, and
  ``all /75s``: every feed's;
* ``card = pane``: whether the Overview's findings card totals what the Findings pane shows in its
  default view (ACTIVE, workflow NEW or NOTIFIED).

Targets: load calls = floor; a refresh with nothing new is 1 call; the Overview makes no GetFindings.

Run from the repository root: ``.venv/bin/python bench/findings_calls.py [--sizes 10000,50000]``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import multiprocessing
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

GET_FINDINGS = "securityhub:GetFindings"
WINDOW_S = 75.0
DEADLINE_S = 900.0
"""No run waits longer than this for any step (a 50,000 first load takes about three minutes)."""


def _sim_child(conn: Any, count: int) -> None:
    from tui.sim.server import SimServer

    server = SimServer(
        seed=7, port=0, live=False, extra_findings=count, backfill=timedelta(minutes=10)
    ).start()
    conn.send(server.endpoint_url)
    conn.recv()
    server.stop()


def _count_by_feed(calls: Counter[tuple[str, str]]) -> None:
    """Count every call by the feed that made it (``CALLER``) and its operation."""
    from tui.aws.clients import CALLER, ClientFactory

    original = ClientFactory._install_limiter

    def install(self: ClientFactory, client: Any, region: str) -> None:
        original(self, client, region)
        service = client.meta.service_model.service_name

        def count(model: Any, **_: Any) -> None:
            calls[(CALLER.get() or "console", f"{service}:{model.name}")] += 1

        client.meta.events.register("before-call", count)

    ClientFactory._install_limiter = install  # type: ignore[method-assign]


def _get_findings(calls: Counter[tuple[str, str]], feed: str | None = None) -> int:
    return sum(n for (caller, op), n in calls.items() if op == GET_FINDINGS and feed in (None, caller))


def _card_total(app: Any) -> int | None:
    from widgets.card import Card

    for card in app.screen.query(Card):
        if card.id and card.id.endswith("-findings"):
            for label, value in card.rows:
                if label == "total":
                    return int(value.rstrip("+").replace(",", ""))
    return None


async def _until(pilot: Any, ready: Any, what: str) -> float:
    started = time.monotonic()
    while not ready():
        if time.monotonic() - started > DEADLINE_S:
            raise AssertionError(f"gave up waiting for {what}")
        await pilot.pause(0.05)
    return time.monotonic()


async def measure(url: str, expected_active: int) -> dict[str, Any]:
    from tui.app import make_app
    from tui.aws.clients import AwsTarget
    from tui.aws.findings_model import FindingFilter, apply_filter
    from tui.feeds import Update
    from tui.screens.findings import FindingsScreen
    from tui.settings import Settings
    from tui.sim.account import SIM_ACCESS_KEY, SIM_SECRET_KEY

    calls: Counter[tuple[str, str]] = Counter()
    _count_by_feed(calls)
    target = AwsTarget(
        regions=("us-east-1",), endpoint_url=url, access_key=SIM_ACCESS_KEY, secret_key=SIM_SECRET_KEY
    )
    app = make_app(Settings(target=target, demo=True, watch_all=True))
    polls: list[tuple[bool, int, float]] = []
    """Each finished findings poll: (full load, its GetFindings calls, when it ended)."""
    began = [0]

    def findings_update(update: Update) -> None:
        if update.kind == "polling":
            began[0] = _get_findings(calls, "findings")
        elif update.kind in ("polled", "failed"):
            snapshot = update.snapshot
            full = bool(getattr(snapshot, "full_load", True)) if update.kind == "polled" else False
            polls.append((full, _get_findings(calls, "findings") - began[0], time.monotonic()))

    result: dict[str, Any] = {}
    async with app.run_test(size=(120, 40)) as pilot:
        start = time.monotonic()
        app.feeds["findings"].subscribe(findings_update)
        await pilot.press("4")

        def first_rows() -> bool:
            screen = app.screen
            return isinstance(screen, FindingsScreen) and screen.snapshot is not None and bool(screen._shown)

        result["first_page_s"] = await _until(pilot, first_rows, "the first findings") - start
        loaded_at = await _until(pilot, lambda: any(full for full, _, _ in polls), "the first load")
        result["load_s"] = loaded_at - start
        result["load_calls"] = _get_findings(calls)
        result["load_calls_findings"] = next(n for full, n, _ in polls if full)
        snapshot = app.feeds["findings"].state.snapshot
        result["active"] = snapshot.total
        result["expected_active"] = expected_active
        shown = len(apply_filter(snapshot.findings, FindingFilter()))
        await pilot.press("1")
        window_start = time.monotonic()
        at_start = Counter(calls)
        await _until(pilot, lambda: time.monotonic() - window_start >= WINDOW_S, "the 75 s window")
        in_window = calls - at_start
        result["overview_75s"] = _get_findings(in_window, "overview")
        result["all_75s"] = _get_findings(in_window)
        await _until(pilot, lambda: sum(1 for full, _, _ in polls if not full) >= 2, "two refreshes")
        refreshes = [n for full, n, _ in polls if not full]
        result["first_refresh"], result["refresh"] = refreshes[0], refreshes[1]
        card = _card_total(app)
        result["card_equals_pane"] = card == shown
        result["card"], result["pane"] = card, shown
    return result


def one(size: int) -> dict[str, Any]:
    """One size in this process: the simulator in a child, the console here."""
    context = multiprocessing.get_context("spawn")
    conn, child = context.Pipe()
    process = context.Process(target=_sim_child, args=(child, size), daemon=True)
    process.start()
    url: str = conn.recv()
    try:
        return asyncio.run(measure(url, size))
    finally:
        conn.send("stop")
        process.join(timeout=30)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,50000", help="comma-separated synthetic finding counts")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one(args.one)))
        return 0
    print(
        f"{'findings':>9} {'active':>7} {'floor':>6} {'load calls':>15} {'load s':>7} {'1st page s':>11} "
        f"{'1st refresh':>12} {'refresh':>8} {'overview /75s':>14} {'all /75s':>9} {'card = pane':>12}",
        flush=True,
    )
    with tempfile.TemporaryDirectory() as home:
        # The console's journal and logs go to a directory of their own.
        env = {**os.environ, "XDG_STATE_HOME": home, "XDG_CONFIG_HOME": home, "XDG_DATA_HOME": home}
        for size in (int(s) for s in args.sizes.split(",")):
            done = subprocess.run(
                [sys.executable, __file__, "--one", str(size)],
                capture_output=True,
                text=True,
                check=False,
                env=env,
            )
            if done.returncode:
                print(f"{size:>9,} failed:\n{done.stdout[-2000:]}{done.stderr[-4000:]}", flush=True)
                continue
            row = json.loads(done.stdout.strip().splitlines()[-1])
            active = row["active"]
            load = f"{row['load_calls']:,} ({row['load_calls_findings']:,})"
            print(
                f"{size:>9,} {active:>7,} {math.ceil(active / 100):>6,} {load:>15} "
                f"{row['load_s']:>7.0f} {row['first_page_s']:>11.1f} {row['first_refresh']:>12} "
                f"{row['refresh']:>8} {row['overview_75s']:>14} {row['all_75s']:>9} "
                f"{'yes' if row['card_equals_pane'] else 'no'} ({row['card']}/{row['pane']})",
                flush=True,
            )
    print("targets: load calls = floor; a refresh with nothing new is 1 call; overview /75s = 0")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
