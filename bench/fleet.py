"""The Limits pane at fleet scale, in the whole running console, against a simulated organization.

The simulator runs in its own process (``warroom sim serve --org --fleet N``: 6 accounts, 5 reachable,
the security-tooling account being the credential's, the CloudWatch OAM monitoring account and the
AWS Config aggregator's; N instances with 2 volumes each over the workload accounts and the 2
regions; live metrics, a new minute each minute). The console runs here, headless under Textual's
Pilot at ``--size`` (160x50), built as ``warroom demo --org`` builds it (the organization read from
Organizations, both regions, the journal's detector, the demo's services) but with only the Limits
feed polling (``--all-feeds`` starts every feed, as ``warroom demo`` does), at its default interval.
Once the organization's accounts are known, the Limits pane is opened (key 2) and ``--cycles``
cycles are measured after the first; ``--inventory-at K`` makes the K-th steady cycle re-read the
inventory (as ``r`` does), besides the re-reads the poller makes on its own. A re-read so forced in
a cycle whose new minute is due leaves the minute to a poll a second later ("yes, minute next"),
which is measured as the next cycle; ``--on-minute`` forces it in the first such cycle from the K-th on.

Printed:

* first data: seconds from the key to the first rows on screen, to the first measured gauge, and to
  the first poll's end (its rows complete with the hour of history);
* per cycle: wall seconds, and the whole process's CPU (every thread, ``time.process_time``) from the
  poll's start until its snapshot is drawn, split into the poll (its span; ``finish`` is the part
  deriving the views from the metrics), building the rows (``LimitsScreen.show`` less the table's
  part), the journal's detector (``Detector.observe`` of the Limits snapshot), the table
  (``VirtualTable.set_rows`` and the body's ``render_line``), and the rest; whether the cycle re-read
  the inventory; GetMetricData calls against their floor, ceil(queries / 500) for each batch (one per
  region read through the monitoring account, one per account otherwise), the queries sent against
  those planned (a steady cycle sends only the series that can have a new point) and how many went
  through the monitoring account;
* steady cycles' median and worst CPU, and apart those that read a new minute (a quarter of the
  planned series sent or more: a large fleet's minute is read over two cycles, half in each) and
  those between two minutes, and their mean (a cycle's share of a minute's work); the worst
  cycle re-reading the inventory, the CPU the console spends per second between cycles (its
  timers), its RSS now and at its peak, and the simulator's CPU over the measured cycles (another
  process: never counted in the console's).

Targets (issue 19): first data under 10 s; a steady cycle under 250 ms of CPU, no cycle over 1 s;
GetMetricData calls equal to their floor; RSS under 400 MB.

Run from the repository root (benches are run by hand, not by ``make test``)::

    .venv/bin/python bench/fleet.py                     # a quick run: 200 instances, 3 cycles
    .venv/bin/python bench/fleet.py --fleet 2000 --cycles 6 --inventory-at 3
    .venv/bin/python bench/fleet.py --attach URL        # a simulator already serving the organization
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import math
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

ORG_REGIONS = ("us-east-1", "eu-west-1")
GET_METRIC_DATA = "cloudwatch:GetMetricData"
TICKS = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")
SIM_START_S = 600.0


# -- the simulator, in its own process -----------------------------------------------------------


@contextmanager
def simulator(fleet: int, state: str) -> Iterator[tuple[str, int]]:
    """``warroom sim serve --org --fleet N`` in a child process: its endpoint and pid."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "WARROOM_STATE_DIR": state}
    command = [sys.executable, "-m", "tui.cli", "sim", "serve", "--org", "--fleet", str(fleet)]
    process = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    try:
        assert process.stdout is not None
        started = time.monotonic()
        url = ""
        while not url.startswith("http"):
            if process.poll() is not None or time.monotonic() - started > SIM_START_S:
                raise SystemExit(f"the simulator did not start (exit {process.returncode})")
            url = process.stdout.readline().strip()
        print(f"simulator: {url}, seeded in {time.monotonic() - started:.0f} s", flush=True)
        yield url, process.pid
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=20)


def process_cpu(pid: int) -> float:
    """CPU seconds (user + system, all threads) of process ``pid``."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def rss_mb() -> tuple[float, float]:
    """This process's resident memory now and at its peak, in MB."""
    with open("/proc/self/statm") as statm:
        now = int(statm.read().split()[1]) * PAGE / 2**20
    return now, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# -- the console's parts, timed inside the process -------------------------------------------------


@dataclass
class Cycle:
    started_cpu: float
    started_wall: float
    parts: Counter[str] = field(default_factory=Counter)
    inventory: bool = False
    batches: list[tuple[str, bool, int, int]] = field(default_factory=list)
    """Each GetMetricData batch: region, through the monitoring account, queries sent, calls made."""
    planned: int = 0
    """The queries of the batches' plans (a steady cycle sends those that can have a new point)."""
    started_thread: float = 0.0
    """The main thread's CPU at the start (``time.thread_time``)."""
    polled_cpu: float | None = None
    polled_wall: float | None = None
    cpu: float | None = None
    thread_cpu: float | None = None
    """The main thread's share of ``cpu`` (the event loop: everything but other threads)."""
    wall: float | None = None
    snapshot: Any = None

    @property
    def calls(self) -> int:
        return sum(calls for _, _, _, calls in self.batches)

    @property
    def sent(self) -> int:
        return sum(queries for _, _, queries, _ in self.batches)

    @property
    def floor(self) -> int:
        return sum(math.ceil(queries / 500) for _, _, queries, _ in self.batches)


class Probe:
    """Wraps the Limits pane's functions (in this process only) to charge their CPU to the cycle."""

    def __init__(self) -> None:
        self.cycles: list[Cycle] = []
        self.current: Cycle | None = None
        self._undo: list[Callable[[], None]] = []
        self.profile = ""
        """A directory for each cycle's cProfile stats ("" for none)."""
        self.profiler: cProfile.Profile | None = None

    def update(self, event: Any) -> None:
        """The Limits feed's updates: a cycle starts at its poll, and ends once drawn (``_run``)."""
        now_cpu, now_wall = time.process_time(), time.monotonic()
        if event.kind == "polling":
            if self.current is not None and self.current.cpu is None:
                return  # the last poll's snapshot is not drawn yet: a poll on demand overlapped it
            self.current = Cycle(now_cpu, now_wall, started_thread=time.thread_time())
            self.cycles.append(self.current)
            if self.profile and len(self.cycles) > 1:
                self.profiler = cProfile.Profile()
                self.profiler.enable()
        elif event.kind in ("polled", "failed") and self.current is not None:
            self.current.polled_cpu, self.current.polled_wall = now_cpu, now_wall
            self.current.snapshot = event.snapshot

    def profiled(self, cycle: Cycle, number: int) -> None:
        """The cycle is drawn: write its profile (``--profile``)."""
        if self.profiler is not None:
            self.profiler.disable()
            kind = "inventory" if cycle.inventory else "steady"
            self.profiler.dump_stats(f"{self.profile}/cycle-{number}-{kind}.prof")
            self.profiler = None

    def collected(self, phase: str, info: dict[str, int]) -> None:
        """A ``gc.callbacks`` hook: the wall time of each collection, charged as "gc" (and "gc2" for
        the oldest generation's)."""
        if phase == "start":
            self._gc_began = time.perf_counter()
            return
        spent = time.perf_counter() - getattr(self, "_gc_began", time.perf_counter())
        self.charge("gc", spent)
        generation = info.get("generation", 0)
        self.charge(f"gc{generation}", spent)
        self.charge(f"gc{generation}#", 1.0)

    def charge(self, part: str, seconds: float) -> None:
        if self.current is not None:
            self.current.parts[part] += seconds

    def _patch(self, owner: Any, name: str, make: Callable[[Any], Any]) -> None:
        original = getattr(owner, name)
        setattr(owner, name, make(original))
        self._undo.append(lambda: setattr(owner, name, original))

    def _timed(self, owner: Any, name: str, part: str) -> None:
        def make(original: Any) -> Any:
            def timed(*args: Any, **kwargs: Any) -> Any:
                began = time.process_time()
                try:
                    return original(*args, **kwargs)
                finally:
                    self.charge(part, time.process_time() - began)

            return timed

        self._patch(owner, name, make)

    def install(self) -> None:
        from tui.aws import limits
        from tui.gameday.detect import Detector
        from tui.screens.limits import LimitsScreen
        from widgets.vtable import TableBody, VirtualTable

        probe = self

        def poll(original: Any) -> Any:
            async def timed(poller: Any, *args: Any, **kwargs: Any) -> Any:
                began = time.process_time()
                try:
                    return await original(poller, *args, **kwargs)
                finally:
                    probe.charge("poll", time.process_time() - began)

            return timed

        def gmd(original: Any) -> Any:
            async def counted(factory: Any, region: str, queries: Any, *args: Any, **kwargs: Any) -> Any:
                batch = await original(factory, region, queries, *args, **kwargs)
                if probe.current is not None:
                    through = kwargs.get("role_arn") is None
                    probe.current.batches.append((region, through, batch.queries, batch.calls))
                    probe.current.planned += len(queries)
                return batch

            return counted

        def aggregated(original: Any) -> Any:
            async def flagged(poller: Any, places: Any) -> Any:
                if probe.current is not None:
                    probe.current.inventory = True
                return await original(poller, places)

            return flagged

        def observe(original: Any) -> Any:
            def timed(detector: Any, pane: str, snapshot: Any) -> Any:
                began = time.process_time()
                try:
                    return original(detector, pane, snapshot)
                finally:
                    if pane == "limits":
                        probe.charge("detector", time.process_time() - began)

            return timed

        self._patch(limits.LimitsPoller, "poll", poll)
        self._patch(limits, "get_metric_data", gmd)
        self._patch(limits.LimitsPoller, "_aggregated", aggregated)
        self._timed(limits.LimitsPoller, "_finish", "finish")
        self._patch(Detector, "observe", observe)
        self._timed(LimitsScreen, "show", "show")
        self._timed(VirtualTable, "set_rows", "set_rows")
        self._timed(TableBody, "render_line", "render")
        gc.callbacks.append(self.collected)
        self._undo.append(lambda: gc.callbacks.remove(self.collected))

    def uninstall(self) -> None:
        for undo in reversed(self._undo):
            undo()
        self._undo.clear()


# -- the run ---------------------------------------------------------------------------------------


@dataclass
class Result:
    first_rows_s: float | None = None
    first_gauge_s: float | None = None
    first_poll_s: float | None = None
    accounts_s: float = 0.0
    places: int = 0
    cycles: list[Cycle] = field(default_factory=list)
    idle_cpu_per_s: float | None = None
    rss_mb: float = 0.0
    peak_rss_mb: float = 0.0
    sim_cpu_s: float | None = None
    instances: int = 0
    volumes: int = 0


async def _until(ready: Callable[[], bool], what: str, deadline: float, step: float = 0.25) -> float:
    """When ``ready()`` turned true, looked at every ``step`` seconds.

    A plain sleep, not ``Pilot.pause``: a pause also posts a message to every widget of the screen
    and repaints it, which the console never does on its own (four times a second, that was tens of
    milliseconds of the bench's own work counted in every cycle, and more while the first poll
    ran). The console repaints what changed as it would in a terminal."""
    started = time.monotonic()
    while not ready():
        if time.monotonic() - started > deadline:
            raise GaveUp(f"gave up after {deadline:.0f} s waiting for {what}")
        await asyncio.sleep(step)
    return time.monotonic()


async def measure(args: argparse.Namespace, url: str, sim_pid: int | None) -> Result:
    from tui.app import make_app
    from tui.aws.clients import AwsTarget
    from tui.aws.target import AccountSettings
    from tui.common import logs, runtime
    from tui.gameday.services import default_demo_services
    from tui.settings import Settings
    from tui.sim.account import SIM_ACCESS_KEY, SIM_SECRET_KEY

    log = logs.configure()
    runtime.tune_gc()
    if args.trace_memory:
        tracemalloc.start(1)
    probe = Probe()
    probe.install()
    target = AwsTarget(
        regions=ORG_REGIONS, endpoint_url=url, access_key=SIM_ACCESS_KEY, secret_key=SIM_SECRET_KEY
    )
    settings = Settings(
        target=target, demo=True, watch_all=args.all_feeds, accounts=AccountSettings(read_org=True)
    )
    app = make_app(settings, services=default_demo_services())
    result = Result()
    probe.profile = args.profile

    try:
        async with app.run_test(size=args.size) as pilot:
            await _run(args, app, pilot, probe, sim_pid, result)
    except GaveUp as exc:
        # What the console logged says why (its state directory goes away with the run).
        lines = log.read_text(errors="replace").splitlines() if log.exists() else []
        state = app.feeds["limits"].state
        said = f"the Limits feed: problem {state.problem!r}, error {state.error}, failures {state.failures}"
        raise SystemExit(f"{exc}\n{said}\n" + "\n".join(lines[-40:])) from None
    probe.uninstall()
    if args.trace_memory:
        top = tracemalloc.take_snapshot().statistics("lineno")[: args.trace_memory]
        tracemalloc.stop()
        print("\nmemory held at the end, by the line that allocated it:")
        for stat in top:
            print(f"  {stat.size / 2**20:8.1f} MB {stat.count:>9,} blocks  {stat.traceback[0]}")
    return result


class GaveUp(Exception):
    """A step did not happen within ``--deadline``."""


async def _run(
    args: argparse.Namespace,
    app: Any,
    pilot: Any,
    probe: Probe,
    sim_pid: int | None,
    result: Result,
) -> None:
    from tui.aws.limits import LimitsSnapshot
    from tui.screens.limits import LimitsScreen
    from widgets.vtable import VirtualTable

    wanted = args.cycles + 1
    began = time.monotonic()

    # The organization's accounts first (the console reads them at its start), then the pane.
    def accounts_known() -> bool:
        accounts = {p.account_id for p in app.factory.places}
        return len(accounts) > 1 and "unreachable" in app.scope_text() and not app.scope_progress

    await _until(accounts_known, "the organization's accounts", args.deadline)
    if not args.all_feeds:
        # Only the Limits feed polls: the Overview (the first pane) is paused as ``p`` pauses it,
        # once its poll under way has ended.
        for other in app.feeds:
            if other.pane != "limits" and getattr(other, "started", False):
                await _until(lambda f=other: not f.state.polling, "a poll's end", args.deadline)  # type: ignore[misc]
                other.toggle_pause()
    await pilot.pause(1.0)
    result.accounts_s = time.monotonic() - began
    result.places = len(app.factory.places)
    feed = app.feeds["limits"]
    poller = feed.source
    feed.subscribe(probe.update)
    pressed = time.monotonic()
    await pilot.press("2")

    def screen() -> LimitsScreen | None:
        shown = app.screen
        return shown if isinstance(shown, LimitsScreen) else None

    def rows() -> bool:
        pane = screen()
        return pane is not None and len(pane.query_one(VirtualTable).rows) > 0

    def gauge() -> bool:
        pane = screen()
        snapshot = pane.snapshot if pane is not None else None
        return isinstance(snapshot, LimitsSnapshot) and any(
            i.utilization is not None for i in snapshot.instances
        )

    result.first_rows_s = await _until(rows, "the first rows", args.deadline, 0.05) - pressed
    result.first_gauge_s = await _until(gauge, "a measured gauge", args.deadline, 0.05) - pressed
    first = probe.cycles[0]
    await _until(lambda: first.polled_wall is not None, "the first poll", args.deadline)
    assert first.polled_wall is not None
    result.first_poll_s = first.polled_wall - pressed
    sim_began = process_cpu(sim_pid) if sim_pid else None
    idle: list[float] = []
    forced = False  # the re-read --inventory-at asks for is forced once
    while True:
        cycle = probe.current
        assert cycle is not None
        await _until(lambda c=cycle: c.polled_wall is not None, "a poll's end", args.deadline)  # type: ignore[misc]
        pane = screen()
        await _until(
            lambda p=pane, c=cycle: p is not None and p.snapshot is c.snapshot,  # type: ignore[misc]
            "the snapshot on screen",
            args.deadline,
        )
        await asyncio.sleep(0.3)  # the console repaints the table on its own
        cycle.cpu = time.process_time() - cycle.started_cpu
        cycle.thread_cpu = time.thread_time() - cycle.started_thread
        probe.profiled(cycle, len(probe.cycles) - 1)
        cycle.wall = (cycle.polled_wall or 0.0) - cycle.started_wall
        if len(probe.cycles) >= wanted:
            break
        quiet_cpu, quiet_wall = time.process_time(), time.monotonic()
        steady = len(probe.cycles)  # the one to come
        if args.inventory_at and not forced and steady >= args.inventory_at and poller is not None:
            # With --on-minute, the first such cycle whose new minute is due (CloudWatch's minute
            # due for most series at the next poll's start).
            at = feed.state.next_poll_at
            if not args.on_minute or (at is not None and poller._due_share(at.timestamp()) >= 0.5):
                poller.refresh_inventory()
                forced = True
        count = len(probe.cycles)
        await _until(lambda n=count: len(probe.cycles) > n, "the next poll", args.deadline)  # type: ignore[misc]
        quiet = probe.cycles[-1].started_wall - quiet_wall
        if quiet > 1.0:
            idle.append((probe.cycles[-1].started_cpu - quiet_cpu) / quiet)
    if sim_began is not None and sim_pid:
        result.sim_cpu_s = process_cpu(sim_pid) - sim_began
    result.cycles = probe.cycles[:wanted]
    result.idle_cpu_per_s = statistics.median(idle) if idle else None
    result.rss_mb, result.peak_rss_mb = rss_mb()
    last = result.cycles[-1].snapshot
    if isinstance(last, LimitsSnapshot):
        result.instances = len(last.instances)
        result.volumes = sum(len(i.volumes) for i in last.instances) + len(last.unattached)


def _inventory_word(cycle: Cycle) -> str:
    """Whether the cycle re-read the inventory, and whether it left the new minute to the poll
    right after (a re-read forced in a cycle whose minute was due)."""
    if not cycle.inventory:
        return ""
    return "yes, minute next" if getattr(cycle.snapshot, "follow_up", False) else "yes"


def _ms(seconds: float | None) -> str:
    return "—" if seconds is None else f"{seconds * 1000:,.0f}"


def report(result: Result) -> None:
    print(
        f"\norganization read in {result.accounts_s:.1f} s: {result.places} places (account x region); "
        f"the last poll listed {result.instances:,} instances and {result.volumes:,} volumes"
    )

    def seconds(value: float | None) -> str:
        return "never" if value is None else f"{value:.1f} s"

    print(
        f"first data after the key: rows {seconds(result.first_rows_s)}, a measured gauge "
        f"{seconds(result.first_gauge_s)}, the first poll done {seconds(result.first_poll_s)}"
        " (target < 10 s)\n"
    )
    header = (
        "| cycle | inventory | wall s | CPU ms | main thread | gc (collections by generation) | poll "
        "| (finish) | rows | detector | table | other | GetMetricData / floor "
        "| queries sent / planned (via monitoring) |"
    )
    print(header)
    print("| --- " * (header.count("|") - 1) + "|")
    for n, cycle in enumerate(result.cycles):
        parts = cycle.parts
        table = parts["set_rows"] + parts["render"]
        rows = parts["show"] - parts["set_rows"]
        other = (cycle.cpu or 0.0) - parts["poll"] - rows - parts["detector"] - table
        queries = sum(q for _, _, q, _ in cycle.batches)
        through = sum(q for _, via, q, _ in cycle.batches if via)
        name = "first" if n == 0 else str(n)
        counts = "/".join(str(int(parts[f"gc{g}#"])) for g in range(3))
        print(
            f"| {name} | {_inventory_word(cycle)} | {cycle.wall or 0.0:.1f} | {_ms(cycle.cpu)} "
            f"| {_ms(cycle.thread_cpu)} | {_ms(parts['gc'])} "
            f"({counts}, oldest {_ms(parts['gc2'])}) "
            f"| {_ms(parts['poll'])} | {_ms(parts['finish'])} | {_ms(rows)} | {_ms(parts['detector'])} "
            f"| {_ms(table)} | {_ms(other)} | {cycle.calls} / {cycle.floor} "
            f"| {queries:,} / {cycle.planned:,} ({through:,}) |"
        )
    steady = [c for c in result.cycles[1:] if not c.inventory and c.cpu is not None]
    inventory = [c for c in result.cycles[1:] if c.inventory and c.cpu is not None]
    print()
    if steady:
        cpu = [c.cpu or 0.0 for c in steady]
        equal = all(c.calls == c.floor for c in steady)
        print(
            f"steady cycles ({len(steady)}): CPU median {_ms(statistics.median(cpu))} ms, worst "
            f"{_ms(max(cpu))} ms (target < 250 ms); GetMetricData = floor in every one: "
            f"{'yes' if equal else 'no'}"
        )
        full = [c.cpu or 0.0 for c in steady if c.sent >= c.planned / 4]
        between = [c.cpu or 0.0 for c in steady if c.sent < c.planned / 4]
        if full and between:
            print(
                f"  reading a new minute (whole or half): median {_ms(statistics.median(full))} ms; "
                f"between two minutes: median {_ms(statistics.median(between))} ms; "
                f"mean of the steady cycles {_ms(statistics.mean(cpu))} ms"
            )
    if inventory:
        print(
            f"cycles re-reading the inventory ({len(inventory)}): worst CPU "
            f"{_ms(max(c.cpu or 0.0 for c in inventory))} ms (target < 1,000 ms)"
        )
    worst = max((c.cpu or 0.0 for c in result.cycles[1:]), default=0.0)
    print(f"worst cycle after the first: {_ms(worst)} ms; the first: {_ms(result.cycles[0].cpu)} ms")
    if result.idle_cpu_per_s is not None:
        print(f"console CPU between cycles: {_ms(result.idle_cpu_per_s)} ms per second")
    print(
        f"console RSS: {result.rss_mb:.0f} MB now, {result.peak_rss_mb:.0f} MB at its peak (target < 400 MB)"
    )
    if result.sim_cpu_s is not None:
        print(f"simulator CPU over the measured cycles: {result.sim_cpu_s:.1f} s (its own process)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--fleet", type=int, default=200, help="instances in all (default 200)")
    parser.add_argument("--cycles", type=int, default=3, help="cycles measured after the first (default 3)")
    parser.add_argument(
        "--inventory-at",
        type=int,
        default=0,
        help="the steady cycle that re-reads the inventory (0: none forced)",
    )
    parser.add_argument(
        "--on-minute",
        action="store_true",
        help="the re-read forced at the first cycle from --inventory-at on whose new minute is due",
    )
    parser.add_argument("--size", default="160x50", help="the terminal's COLUMNSxROWS (default 160x50)")
    parser.add_argument("--all-feeds", action="store_true", help="every feed polls, as in warroom demo")
    parser.add_argument("--attach", default="", help="a simulator already serving --org (its URL)")
    parser.add_argument("--sim-pid", type=int, default=0, help="with --attach: its pid, for its CPU")
    parser.add_argument("--profile", default="", help="a directory: each cycle's cProfile stats")
    parser.add_argument(
        "--trace-memory", type=int, default=0, help="print the N lines holding most memory (slow)"
    )
    parser.add_argument("--deadline", type=float, default=600.0, help="seconds any one step may take")
    args = parser.parse_args(argv)
    columns, rows = (int(n) for n in args.size.lower().split("x"))
    args.size = (columns, rows)
    if args.profile:
        Path(args.profile).mkdir(parents=True, exist_ok=True)
    load = os.getloadavg()
    print(
        f"warroom Limits at fleet scale: {args.fleet:,} instances, {args.cycles} cycles, {columns}x{rows}; "
        f"{os.cpu_count()} CPUs, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}",
        flush=True,
    )
    with tempfile.TemporaryDirectory(prefix="warroom-fleet-") as state:
        # The console's journal, logs and plugin launcher go to a directory of their own.
        os.environ["WARROOM_STATE_DIR"] = state
        for name in ("XDG_STATE_HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME"):
            os.environ[name] = state
        if args.attach:
            result = asyncio.run(measure(args, args.attach, args.sim_pid or None))
        else:
            with simulator(args.fleet, state) as (url, pid):
                result = asyncio.run(measure(args, url, pid))
    report(result)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
