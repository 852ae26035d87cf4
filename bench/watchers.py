"""Watchers following one recording: what they cost the driving console's AWS calls, and themselves.

Four kinds of process, as on a game day watched from browsers: the simulator (``warroom sim
serve``), the counting proxy in front of it (``python -m tui.sim.faultproxy``, which counts every
request per ``service:Operation``), the driving console (``warroom demo --attach PROXY --record
REC``) in a tmux session at ``--size`` (120x40) polling as a user's console does, and, in phase B
only, ``warroom serve --follow REC`` with ``--watchers`` websocket clients (aiohttp, as the page's
script does: the printed address loaded once for the token's cookie, then ``/ws`` with a resize,
a pane key every ``--key-every`` seconds and a ping). textual-serve starts one follower process
(``warroom replay --follow REC``) per websocket.

1. Warm-up: the driver's first polls (``--warmup`` seconds after its first request).
2. Phase A (``--duration`` seconds): no watchers; the driver's requests through the proxy.
3. Phase B (``--duration`` seconds): the server and its watchers; the driver's requests again.
   It starts a whole number of minutes after phase A did (the longest poll interval is 60 s, the
   others divide it), so both phases meet the same point of every pane's poll cycle; with a
   duration that is not a multiple of 60 s the bench waits in between.

Printed:

- the driver's requests per minute without and with the watchers, in all and per AWS service,
  and the difference (the followers make no AWS call, so it should be within the poll jitter: a
  pane polled every 60 s makes one more or one fewer poll in a phase that starts between two);
- each follower: CPU seconds from its start to the end of phase B, of which its start (until every
  watcher had its first screen), its average CPU % over its life and after its start, and its RSS
  at the end; the same for the server process; the driver's CPU and RSS in each phase;
- each watcher: seconds to its first screen, bytes and frames received, pane keys answered (the
  pane's title came in the output before the next key);
- the machine's load average, before and after;
- whether a follower's environment (``/proc/PID/environ``) holds AWS_ACCESS_KEY_ID,
  AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN or AWS_PROFILE. The driver and the server are started
  with fake values of them, so the check means something (the server's own start-up environment
  still lists them: it drops them in process, before starting any follower).

Run from the repository root: ``.venv/bin/python bench/watchers.py [--duration 120] [--watchers 10]
[--size 120x40]``. Needs tmux. Takes about duration + 30 s + the duration rounded up to a minute:
four and a half minutes with the defaults, under two for the quick check ``--duration 20 --watchers 3``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
SESSION = f"warroom-watchers-bench-{os.getpid()}"
TICKS = os.sysconf("SC_CLK_TCK")
#: The keys the watchers press, round-robin (each watcher starts at its own one), and the title of
#: the pane each switches to: a key is answered when the title comes in the output after it.
KEYS = [
    ("3", "Kinesis"),
    ("4", "Findings"),
    ("0", "Alarms"),
    ("1", "Overview"),
    ("2", "Limits"),
    ("5", "Sessions"),
    ("6", "Experiments"),
    ("7", "Journal"),
    ("9", "Activity"),
]
#: What no follower may inherit.
CREDENTIALS = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE")
#: Fake ones, for the driver and the server: the check means something only if they were there.
FAKE_KEYS = {
    "AWS_ACCESS_KEY_ID": "AKIAWATCHERSBENCH000",
    "AWS_SECRET_ACCESS_KEY": "watchers-bench-fake-secret",
}
FAKE_ALL = {
    **FAKE_KEYS,
    "AWS_SESSION_TOKEN": "watchers-bench-fake-token",
    "AWS_PROFILE": "watchers-bench-fake",
}
START_S = 90.0
"""How long any process may take to start (a line printed, a first request, a first screen)."""
CYCLE_S = 60.0
"""The panes' longest poll interval (Findings), a multiple of every other one (15 s, 30 s)."""
STOP_S = 15.0
"""How long a process may take to stop after SIGTERM before it is killed."""


# -- processes ---------------------------------------------------------------------------------


class Started:
    """A process the bench started, in a session of its own (so it and its children stop together),
    its output drained by a thread so it never blocks on a full pipe."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str] | None = None) -> None:
        self.name = name
        self.process = subprocess.Popen(
            argv,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
            env=env,
            start_new_session=True,
        )
        self.lines: list[str] = []
        self._ready = threading.Condition()
        self._thread = threading.Thread(target=self._drain, name=f"drain-{name}", daemon=True)
        self._thread.start()

    @property
    def pid(self) -> int:
        return self.process.pid

    def _drain(self) -> None:
        out: IO[bytes] | None = self.process.stdout
        assert out is not None
        for raw in out:
            with self._ready:
                self.lines.append(raw.decode("utf-8", "replace").rstrip("\n"))
                self._ready.notify_all()

    def wait_line(self, pattern: str, within: float) -> re.Match[str]:
        """The first output line matching ``pattern``; RuntimeError after ``within`` seconds."""
        deadline = time.monotonic() + within
        seen = 0
        with self._ready:
            while True:
                for line in self.lines[seen:]:
                    if found := re.search(pattern, line):
                        return found
                seen = len(self.lines)
                left = deadline - time.monotonic()
                if left <= 0 or self.process.poll() is not None:
                    tail = "\n  ".join(self.lines[-10:])
                    raise RuntimeError(f"{self.name} printed no line like {pattern!r}:\n  {tail}")
                self._ready.wait(min(left, 0.5))

    def stop(self) -> None:
        """SIGTERM to its process group, SIGKILL after ``STOP_S``."""
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=STOP_S)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.pid, signal.SIGKILL)
                self.process.wait(timeout=STOP_S)
        # Children left behind by a parent that died first (a follower of a killed server).
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.pid, signal.SIGKILL)


def tmux(*args: str) -> str:
    return subprocess.run(["tmux", *args], check=True, capture_output=True, text=True, timeout=30).stdout


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    return True


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


# -- /proc -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sample:
    """One reading of a process: CPU seconds used since its start, its age and RSS."""

    cpu: float
    age: float
    rss_mb: float
    at: float = field(default_factory=time.monotonic)


def stat_fields(pid: int) -> list[str]:
    with open(f"/proc/{pid}/stat") as stat:
        text = stat.read()
    # The command name is in parentheses and may hold spaces: the fields start after the last ')'.
    return [text[: text.index(" ")], *text[text.rindex(")") + 2 :].split()]


def sample(pid: int) -> Sample:
    fields = stat_fields(pid)  # fields[1] is field 3 (state) of proc(5)
    cpu = (int(fields[12]) + int(fields[13])) / TICKS  # utime, stime: fields 14 and 15
    with open("/proc/uptime") as uptime:
        age = float(uptime.read().split()[0]) - int(fields[20]) / TICKS  # starttime: field 22
    rss = 0.0
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1]) / 1024
    return Sample(cpu, age, rss)


def descendants(root: int) -> list[int]:
    """Every process below ``root``, from /proc's parent pids."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        with contextlib.suppress(OSError, IndexError, ValueError):
            children.setdefault(int(stat_fields(int(entry))[2]), []).append(int(entry))
    found, todo = [], [root]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def cmdline(pid: int) -> list[str]:
    with open(f"/proc/{pid}/cmdline", "rb") as raw:
        return [part.decode("utf-8", "replace") for part in raw.read().split(b"\0") if part]


def followers(serve_pid: int, recording: Path) -> list[int]:
    """The follower processes under the server: ``... replay --follow REC`` run by Python (the
    shell textual-serve runs it with, if it did not exec, is not one)."""
    found = []
    for pid in descendants(serve_pid):
        with contextlib.suppress(OSError):
            words = cmdline(pid)
            if words and "python" in Path(words[0]).name and "replay" in words and str(recording) in words:
                found.append(pid)
    return sorted(found)


def credentials_in(pid: int) -> list[str]:
    with open(f"/proc/{pid}/environ", "rb") as raw:
        names = {
            item.split(b"=", 1)[0].decode("utf-8", "replace") for item in raw.read().split(b"\0") if item
        }
    return [name for name in CREDENTIALS if name in names]


# -- the proxy's counters ----------------------------------------------------------------------


def counts(proxy: str) -> Counter[str]:
    """Requests through the proxy so far, per ``service:Operation``."""
    with urllib.request.urlopen(f"{proxy}/__faults__", timeout=10) as answer:
        state: dict[str, Any] = json.loads(answer.read())
    calls = state.get("calls", {})
    return Counter({str(k): int(v) for k, v in calls.items()}) if isinstance(calls, dict) else Counter()


def status_line(screen: str) -> str:
    for line in screen.splitlines():
        if any(mark in line for mark in ("● live", "⚠ stale", "○ waiting", "… loading", "⏸ paused")):
            return " ".join(line.split())
    return "(no status line on its screen)"


def per_service(calls: Counter[str]) -> Counter[str]:
    services: Counter[str] = Counter()
    for key, n in calls.items():
        services[key.split(":", 1)[0] or "?"] += n
    return services


@dataclass
class Phase:
    label: str
    started: float = 0.0
    seconds: float = 0.0
    calls: Counter[str] = field(default_factory=Counter)
    driver_cpu: float = 0.0
    driver_rss: float = 0.0
    status: str = ""
    """The driver's status line at the end (its live, stale or waiting mark)."""

    def per_minute(self, n: int) -> float:
        return n / (self.seconds / 60) if self.seconds else 0.0


def measure(label: str, proxy: str, driver: int, seconds: float, during: Any = None) -> Phase:
    """The driver's requests and CPU over ``seconds``; ``during`` (a coroutine function taking the
    phase's deadline) runs meanwhile, else the bench waits, watching the driver live."""
    before, cpu_before, start = counts(proxy), sample(driver).cpu, time.monotonic()
    phase = Phase(label, started=start)
    if during is not None:
        asyncio.run(during(start + seconds))
        if not alive(driver):
            raise RuntimeError("the driving console died (its tmux session shows why)")
    while time.monotonic() - start < seconds:
        if not alive(driver):
            raise RuntimeError("the driving console died (its tmux session shows why)")
        time.sleep(min(1.0, max(0.0, seconds - (time.monotonic() - start))))
    after, end = counts(proxy), sample(driver)
    phase.seconds = time.monotonic() - start
    phase.calls = after - before
    phase.driver_cpu, phase.driver_rss = end.cpu - cpu_before, end.rss_mb
    phase.status = status_line(tmux("capture-pane", "-t", SESSION, "-p"))
    return phase


# -- the watchers ------------------------------------------------------------------------------


@dataclass
class Watcher:
    index: int
    first_screen: float | None = None
    bytes_in: int = 0
    frames: int = 0
    texts: int = 0
    keys_sent: int = 0
    keys_answered: int = 0
    since_key: bytearray = field(default_factory=bytearray)
    """The output since the last key."""
    error: str = ""
    screen: asyncio.Event = field(default_factory=asyncio.Event)
    """Set when its first output came."""


@dataclass
class Watch:
    """Phase B: the server, its followers and what the watchers saw."""

    serve: Started
    url: str
    recording: Path
    size: tuple[int, int]
    key_every: float
    watchers: list[Watcher]
    refused: int = 0
    followers: list[int] = field(default_factory=list)
    settled: dict[int, Sample] = field(default_factory=dict)
    ended: dict[int, Sample] = field(default_factory=dict)
    serve_settled: Sample | None = None
    serve_ended: Sample | None = None
    environ: dict[int, list[str]] = field(default_factory=dict)
    finished: bool = False
    overran: bool = False

    async def run(self, deadline: float) -> None:
        import aiohttp

        parts = urlsplit(self.url)
        # Without the token: refused (what any request without it gets).
        bare = f"{parts.scheme}://{parts.netloc}/"
        async with aiohttp.ClientSession() as anonymous, anonymous.get(bare) as page:
            self.refused = page.status
        started = time.monotonic()
        tasks = [asyncio.create_task(self.watch(w, deadline, started)) for w in self.watchers]
        settle = asyncio.create_task(self.settle(started))
        try:
            # Each watcher stops at the deadline; this one is for a close that never comes.
            await asyncio.wait_for(asyncio.gather(*tasks, settle), deadline - started + 2 * STOP_S)
        except TimeoutError:
            self.overran = True
        self.finish()  # when no watcher got as far as its websocket

    async def settle(self, started: float) -> None:
        """Once every watcher has its first screen (or after ``START_S``): the followers and the
        CPU their start took; at the end, each one's last reading."""
        screens = asyncio.gather(*(w.screen.wait() for w in self.watchers))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(screens, START_S)
        self.followers = followers(self.serve.pid, self.recording)
        with contextlib.suppress(OSError):
            self.serve_settled = sample(self.serve.pid)
        for pid in self.followers:
            with contextlib.suppress(OSError):
                self.settled[pid] = sample(pid)
                self.environ[pid] = credentials_in(pid)

    async def watch(self, watcher: Watcher, deadline: float, started: float) -> None:
        import aiohttp

        width, height = self.size
        parts = urlsplit(self.url)
        jar = aiohttp.CookieJar(unsafe=True)  # unsafe: it keeps cookies of an IP address (127.0.0.1)
        timeout = aiohttp.ClientTimeout(total=None, connect=START_S)
        try:
            async with aiohttp.ClientSession(cookie_jar=jar, timeout=timeout) as session:
                # As a browser: the printed address (the token in it) sets the cookie ...
                async with session.get(self.url) as page:
                    page.raise_for_status()
                    await page.read()
                # ... which the page's websocket then carries, with no token in its address.
                ws_url = f"ws://{parts.netloc}/ws?width={width}&height={height}"
                async with session.ws_connect(ws_url, max_msg_size=0) as ws:
                    await ws.send_json(["resize", {"width": width, "height": height}])
                    reader = asyncio.create_task(self.read(ws, watcher, started))
                    try:
                        await self.press(ws, watcher, deadline)
                    finally:
                        self.finish()
                        await ws.close()
                        reader.cancel()
                        with contextlib.suppress(asyncio.CancelledError):
                            await reader
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            watcher.error = f"{type(exc).__name__}: {exc}"[:80]
            await asyncio.sleep(max(0.0, deadline - time.monotonic()))

    async def read(self, ws: Any, watcher: Watcher, started: float) -> None:
        import aiohttp

        async for message in ws:
            if message.type == aiohttp.WSMsgType.BINARY:
                if watcher.first_screen is None:
                    watcher.first_screen = time.monotonic() - started
                    watcher.screen.set()
                watcher.bytes_in += len(message.data)
                watcher.since_key += message.data
                watcher.frames += 1
            elif message.type == aiohttp.WSMsgType.TEXT:
                watcher.texts += 1

    async def press(self, ws: Any, watcher: Watcher, deadline: float) -> None:
        """A pane key every ``key_every`` seconds once the first screen came, and a ping; a key
        is answered when the pane's title came in the output before the next key."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(watcher.screen.wait(), max(0.0, deadline - time.monotonic()))
        n = watcher.index
        while time.monotonic() + self.key_every < deadline:
            key, title = KEYS[n % len(KEYS)]
            watcher.since_key.clear()
            await ws.send_json(["stdin", key])
            await ws.send_json(["ping", str(n)])
            watcher.keys_sent += 1
            n += 1
            await asyncio.sleep(self.key_every)
            watcher.keys_answered += title.encode() in watcher.since_key
        await asyncio.sleep(max(0.0, deadline - time.monotonic()))

    def finish(self) -> None:
        """The last readings, taken once (by the first watcher to end), before any websocket closes."""
        if self.finished:
            return
        self.finished = True
        with contextlib.suppress(OSError):
            self.serve_ended = sample(self.serve.pid)
        for pid in self.followers:
            with contextlib.suppress(OSError):
                self.ended[pid] = sample(pid)


# -- the report --------------------------------------------------------------------------------


def diff(a: float, b: float) -> str:
    change = round(b - a, 1) + 0.0  # + 0.0: no "-0.0"
    return f"{change:+7.1f}" + (f" ({round(change / a * 100, 1) + 0.0:+5.1f}%)" if a else "")


def percent(cpu: float, seconds: float) -> float:
    return cpu / seconds * 100 if seconds > 0 else 0.0


def report_requests(a: Phase, b: Phase, watchers: int, recording: Path) -> None:
    print(f"\nthe driver's AWS requests through the proxy (phase A {a.seconds:.0f} s, B {b.seconds:.0f} s)")
    print(f"  {'':<20} {'no watchers':>12} {f'{watchers} watchers':>12} {'difference':>17}")
    total_a, total_b = sum(a.calls.values()), sum(b.calls.values())
    print(f"  {'requests':<20} {total_a:>12d} {total_b:>12d} {diff(total_a, total_b):>17}")
    pa, pb = a.per_minute(total_a), b.per_minute(total_b)
    print(f"  {'per minute':<20} {pa:>12.1f} {pb:>12.1f} {diff(pa, pb):>17}")
    services_a, services_b = per_service(a.calls), per_service(b.calls)
    for service in sorted(set(services_a) | set(services_b)):
        pa, pb = a.per_minute(services_a[service]), b.per_minute(services_b[service])
        print(f"    {service + ' /min':<18} {pa:>12.1f} {pb:>12.1f} {diff(pa, pb):>17}")
    operations = sorted(set(a.calls) | set(b.calls))
    print("  per operation, requests A -> B:")
    line = " "
    for op in operations:
        item = f" {op} {a.calls[op]}->{b.calls[op]}"
        if len(line) + len(item) > 108:
            print(line)
            line = " "
        line += item
    print(line)
    cpu = f"CPU {a.driver_cpu:.1f} s -> {b.driver_cpu:.1f} s"
    share = f"{percent(a.driver_cpu, a.seconds):.1f}% -> {percent(b.driver_cpu, b.seconds):.1f}%"
    rss = f"RSS {a.driver_rss:.0f} MB -> {b.driver_rss:.0f} MB"
    print(f"  driver: {cpu} ({share}), {rss}; the recording {recording.stat().st_size / 1024:.0f} KiB")
    print(f"  driver's status line at the end of A: {a.status[:80]}")
    print(f"  driver's status line at the end of B: {b.status[:80]}")


def report_followers(watch: Watch) -> None:
    n = len(watch.watchers)
    print(f"\nfollowers (warroom replay --follow, one per websocket): {len(watch.followers)} of {n} expected")
    columns = f"{'pid':>8} {'CPU s':>7} {'start s':>8} {'avg %':>6} {'after start %':>14} {'RSS MB':>7}"
    print(f"  {columns}  AWS credentials in its environ")
    steady_total = 0.0
    for pid in watch.followers:
        settled, ended = watch.settled.get(pid), watch.ended.get(pid)
        if settled is None or ended is None:
            print(f"  {pid:>8} (ended before it was read)")
            continue
        steady = percent(ended.cpu - settled.cpu, ended.at - settled.at)
        steady_total += steady
        row = f"{pid:>8} {ended.cpu:>7.2f} {settled.cpu:>8.2f} {percent(ended.cpu, ended.age):>6.1f}"
        row += f" {steady:>14.1f} {ended.rss_mb:>7.0f}"
        print(f"  {row}  {', '.join(watch.environ.get(pid, [])) or 'none'}")
    if watch.followers:
        each = steady_total / len(watch.followers)
        print(f"  every follower after its start: {steady_total:.1f}% of one core ({each:.1f}% each)")
    if watch.serve_ended is not None and watch.serve_settled is not None:
        s, e = watch.serve_settled, watch.serve_ended
        print(
            f"  the server (warroom serve) pid {watch.serve.pid}: CPU {e.cpu:.2f} s (start {s.cpu:.2f} s), "
            f"avg {percent(e.cpu, e.age):.1f}%, after the start {percent(e.cpu - s.cpu, e.at - s.at):.1f}%, "
            f"RSS {e.rss_mb:.0f} MB"
        )
    if watch.serve.process.poll() is not None:
        last = "\n    ".join(watch.serve.lines[-10:])
        print(f"  the server EXITED during the phase (code {watch.serve.process.returncode}):\n    {last}")
    else:
        own = ", ".join(credentials_in(watch.serve.pid)) or "none"
        print(f"  the server's own start-up environ: {own} (the fake ones, dropped in process)")
    leaked = [pid for pid in watch.followers if watch.environ.get(pid)]
    verdict = f"FAILED, in {leaked}" if leaked else "no follower holds any"
    print(f"  credentials check: {verdict} of {', '.join(CREDENTIALS)}")


def report_watchers(watch: Watch) -> None:
    width, height = watch.size
    print(f"\nwatchers (each: the page for the cookie, then /ws at {width}x{height})")
    print(f"  a request without the token: HTTP {watch.refused}")
    if watch.overran:
        print(f"  the watchers did not all close within {2 * STOP_S:.0f} s of the deadline")
    print(f"  {'#':>3} {'first screen':>12} {'KiB in':>8} {'frames':>7} {'keys answered':>14}  error")
    for w in watch.watchers:
        first = f"{w.first_screen:10.2f} s" if w.first_screen is not None else "never"
        keys = f"{w.keys_answered}/{w.keys_sent}"
        print(f"  {w.index:>3} {first:>12} {w.bytes_in / 1024:>8.0f} {w.frames:>7d} {keys:>14}  {w.error}")


def report(a: Phase, b: Phase, watch: Watch, load_before: tuple[float, ...], recording: Path) -> None:
    report_requests(a, b, len(watch.watchers), recording)
    report_followers(watch)
    report_watchers(watch)
    before = " ".join(f"{x:.2f}" for x in load_before)
    after = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"\nload average: {before} before, {after} at the end ({os.cpu_count()} cores)", flush=True)


# -- the run -----------------------------------------------------------------------------------


def parse_size(text: str) -> tuple[int, int]:
    found = re.fullmatch(r"(\d+)x(\d+)", text)
    if not found or int(found.group(1)) < 20 or int(found.group(2)) < 10:
        raise argparse.ArgumentTypeError(f"--size {text}: WIDTHxHEIGHT, e.g. 120x40")
    return int(found.group(1)), int(found.group(2))


def start_driver(proxy: str, recording: Path, size: tuple[int, int]) -> int:
    env = " ".join(f"{k}={v}" for k, v in {**FAKE_KEYS, "PYTHONPATH": str(ROOT)}.items())
    command = f"exec env {env} {sys.executable} -m tui.cli demo --attach {proxy} --record {recording}"
    subprocess.run(["tmux", "kill-session", "-t", SESSION], capture_output=True, timeout=30)
    tmux("new-session", "-d", "-s", SESSION, "-c", str(ROOT), "-x", str(size[0]), "-y", str(size[1]), command)
    return int(tmux("display-message", "-p", "-t", SESSION, "#{pane_pid}").strip())


def wait_for_driver(proxy: str, driver: int, recording: Path) -> None:
    deadline = time.monotonic() + START_S
    while not (sum(counts(proxy).values()) and recording.exists() and recording.stat().st_size):
        if time.monotonic() > deadline or not alive(driver):
            screen = tmux("capture-pane", "-t", SESSION, "-p") if alive(driver) else "(exited)"
            raise RuntimeError(f"the driving console made no request or wrote no recording:\n{screen}")
        time.sleep(0.5)


def run(args: argparse.Namespace, started: list[Started], workdir: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    load_before = os.getloadavg()
    sim = Started("the simulator", [sys.executable, "-m", "tui.cli", "sim", "serve", "--seed", "7"], env)
    started.append(sim)
    sim_url = sim.wait_line(r"^(http://\S+)$", START_S).group(1)
    proxy_process = Started(
        "the proxy", [sys.executable, "-m", "tui.sim.faultproxy", sim_url, "--seed", "14"], env
    )
    started.append(proxy_process)
    proxy = proxy_process.wait_line(r"^(http://\S+)$", START_S).group(1)
    recording = workdir / "driver.jsonl"
    driver = start_driver(proxy, recording, args.size)
    wait_for_driver(proxy, driver, recording)
    print(f"driver pid {driver} (tmux {SESSION}, {args.size[0]}x{args.size[1]}) through {proxy}; "
          f"warm-up {args.warmup:.0f} s", flush=True)  # fmt: skip
    time.sleep(args.warmup)

    print(f"phase A: {args.duration:.0f} s, no watchers", flush=True)
    a = measure("A", proxy, driver, args.duration)

    # Phase B starts a whole poll cycle after phase A did, so both meet every pane's polls alike.
    aligned = a.started + math.ceil(args.duration / CYCLE_S) * CYCLE_S
    if aligned - time.monotonic() > 0.5:
        print(
            f"waiting {aligned - time.monotonic():.0f} s: phase B starts a whole minute after A", flush=True
        )
        time.sleep(max(0.0, aligned - time.monotonic()))
    port = free_port()
    serve_env = {**env, **FAKE_ALL}
    argv = [sys.executable, "-m", "tui.cli", "serve", "--follow", str(recording), "--port", str(port)]
    print(
        f"phase B: {args.duration:.0f} s, warroom serve on port {port} and {args.watchers} watchers",
        flush=True,
    )
    watch: Watch | None = None

    async def during(deadline: float) -> None:
        nonlocal watch
        serve = Started("warroom serve", argv, serve_env)
        started.append(serve)
        url = await asyncio.to_thread(serve.wait_line, r"open (http://\S+\?token=\S+)", START_S)
        watch = Watch(
            serve,
            url.group(1),
            recording,
            args.size,
            args.key_every,
            [Watcher(i) for i in range(args.watchers)],
        )
        await watch.run(deadline)

    b = measure("B", proxy, driver, args.duration, during)
    assert watch is not None
    report(a, b, watch, load_before, recording)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=120.0, help="seconds per phase (default 120)")
    parser.add_argument("--watchers", type=int, default=10, help="websocket clients in phase B (default 10)")
    parser.add_argument("--size", type=parse_size, default=(120, 40), help="the driver's and watchers' WxH")
    parser.add_argument("--warmup", type=float, default=15.0, help="seconds after the driver's first request")
    parser.add_argument("--key-every", type=float, default=5.0, help="seconds between a watcher's pane keys")
    args = parser.parse_args()
    if shutil.which("tmux") is None:
        print("bench/watchers.py needs tmux (apt-get install tmux)", file=sys.stderr)
        return 2
    if args.duration < 10 or args.watchers < 1 or args.key_every <= 0:
        parser.error("--duration is at least 10 s, --watchers at least 1, --key-every above 0")
    # SIGTERM (and SIGHUP) end the run as Ctrl+C does: through the clean-up below.
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, signal.default_int_handler)
    started: list[Started] = []
    workdir = Path(tempfile.mkdtemp(prefix="warroom-watchers-")).resolve()
    try:
        run(args, started, workdir)
    except KeyboardInterrupt:
        print("interrupted: cleaning up", file=sys.stderr, flush=True)
        return 130
    except RuntimeError as exc:
        print(f"bench/watchers.py: {exc}", file=sys.stderr, flush=True)
        return 1
    finally:
        subprocess.run(["tmux", "kill-session", "-t", SESSION], capture_output=True, timeout=30)
        for process in reversed(started):
            process.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
