"""The console through every fault, as a user sees it: in tmux, keys pressed, the screen read.

Three processes, as on a game day: the simulator (``warroom sim serve``), the fault proxy in front of
it (``python -m tui.sim.faultproxy``) and the console (``warroom demo --attach PROXY``) in a tmux
session at 120x40 with its normal poll intervals. For each mode the proxy makes AWS misbehave for
``--hold`` seconds (90 by default) while the bench presses pane keys; then it clears the fault.

Printed per mode:

- ``crashes``: 0 while the console's process lives and no Python traceback is on the screen;
- ``key p50 / max``: from a number key sent to the header naming that pane, read with
  ``tmux capture-pane`` (goal: p50 under 100 ms, max under 1 s);
- ``stale``: the panes whose status line says "⚠ stale" at the end of the hold, against those the
  fault affects (``yes`` when every affected pane is marked), and the reason one of them gives;
- ``recovery``: seconds from the fault clearing until the last affected pane reads "● live" again
  (goal: within one poll interval plus a poll);
- ``req/min``: requests reaching the proxy per minute during the hold (under 100% throttling no
  more than with no fault).

Then ``--switches`` pane switches (1,000 by default) with their key latencies, and the console's RSS
after the first minute and after the switches (goal: within 10%).

Run from the repository root: ``.venv/bin/python bench/faults.py [--hold 90] [--modes throttle50,slow]``.
Needs tmux. Takes about (hold + 45 s) per mode plus the switches: some 25 minutes with the defaults.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
SESSION = "warroom-faults-bench"
SIZE = (120, 40)

#: The polling panes: number key, the title the header shows, the AWS services its data needs.
PANES: list[tuple[str, str, frozenset[str]]] = [
    ("1", "Overview", frozenset({"ec2", "kinesis", "securityhub", "ssm", "sts"})),
    ("2", "Limits", frozenset({"ec2", "monitoring"})),
    ("3", "Kinesis", frozenset({"kinesis", "monitoring"})),
    ("4", "Findings", frozenset({"securityhub"})),
    ("5", "Sessions", frozenset({"ec2", "ssm"})),
    ("6", "Experiments", frozenset({"fis"})),
]
#: Each pane's normal poll interval (``tui.settings.Intervals``), in seconds.
INTERVALS = {
    "Overview": 30.0,
    "Limits": 30.0,
    "Kinesis": 30.0,
    "Findings": 60.0,
    "Sessions": 30.0,
    "Experiments": 15.0,
}
#: The longest normal interval (Findings) and the time one poll may take, in seconds.
LONGEST_INTERVAL = 60.0


@dataclass(frozen=True)
class Mode:
    label: str
    mode: str
    service: str = ""
    rate: float = 1.0
    delay: float = 35.0
    #: Whether the affected panes must read stale: half the calls throttled are absorbed by retries.
    expect_stale: bool = True

    def affects(self, services: frozenset[str]) -> bool:
        return self.expect_stale and (not self.service or self.service in services)


MODES = [
    Mode("throttle50", "throttle", rate=0.5, expect_stale=False),
    Mode("throttle100", "throttle"),
    Mode("http500", "http500"),
    Mode("http503", "http503"),
    Mode("reset", "reset"),
    Mode("slow35", "slow", delay=35.0),
    Mode("denied-cw", "denied", service="monitoring"),
    Mode("expired", "expired"),
    Mode("garbage", "garbage"),
    Mode("truncated", "truncated"),
]


@dataclass
class Result:
    label: str
    crashes: int = 0
    keys: list[float] = field(default_factory=list)
    stale: dict[str, str] = field(default_factory=dict)
    affected: list[str] = field(default_factory=list)
    recovery: float | None = None
    recovered: dict[str, float] = field(default_factory=dict)
    """Seconds from the fault clearing to each pane reading live again."""
    per_minute: float = 0.0


def tmux(*args: str) -> str:
    return subprocess.run(["tmux", *args], check=True, capture_output=True, text=True).stdout


def screen() -> str:
    return tmux("capture-pane", "-t", SESSION, "-p")


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    return True


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def control(proxy: str, **ask: Any) -> dict[str, Any]:
    request = urllib.request.Request(
        f"{proxy}/__faults__", data=json.dumps(ask).encode(), method="POST", headers={"Content-Type": "json"}
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        state: dict[str, Any] = json.loads(answer.read())
    return state


def total_calls(proxy: str) -> int:
    state = control(proxy)
    calls = state.get("calls", {})
    return sum(int(n) for n in calls.values()) if isinstance(calls, dict) else 0


def header(text: str) -> str:
    return text.splitlines()[0] if text else ""


def press(key: str, title: str, keys: list[float], *, within: float = 10.0) -> None:
    """Send ``key`` and add to ``keys`` the seconds until the header names ``title`` (``within`` if it
    never does); nothing is added when that pane was already shown."""
    if title in header(screen()):
        tmux("send-keys", "-t", SESSION, key)
        return
    start = time.monotonic()
    tmux("send-keys", "-t", SESSION, key)
    while time.monotonic() - start < within:
        if title in header(screen()):
            keys.append(time.monotonic() - start)
            return
        time.sleep(0.005)
    keys.append(within)


def status_line(text: str) -> str:
    """The pane's status line: the line with its live, stale or waiting mark."""
    for line in text.splitlines():
        if any(mark in line for mark in ("● live", "⚠ stale", "○ waiting", "… loading", "⏸ paused")):
            return line.strip()
    return ""


TRACEBACK = re.compile(r"Traceback \(most recent call last\)|UnicodeDecodeError|JSONDecodeError")


def start(args: argparse.Namespace) -> tuple[subprocess.Popen[str], subprocess.Popen[str], str, int]:
    sim = subprocess.Popen(
        [str(BIN / "warroom"), "sim", "serve", "--seed", "7"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        cwd=ROOT,
    )
    assert sim.stdout is not None
    sim_url = sim.stdout.readline().strip()
    proxy_process = subprocess.Popen(
        [sys.executable, "-m", "tui.sim.faultproxy", sim_url, "--seed", "14"],
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    assert proxy_process.stdout is not None
    proxy = proxy_process.stdout.readline().strip()
    subprocess.run(["tmux", "kill-session", "-t", SESSION], capture_output=True)
    command = f"exec {BIN / 'warroom'} demo --attach {proxy}"
    tmux("new-session", "-d", "-s", SESSION, "-x", str(SIZE[0]), "-y", str(SIZE[1]), command)
    pid = int(tmux("display-message", "-p", "-t", SESSION, "#{pane_pid}").strip())
    return sim, proxy_process, proxy, pid


def visit_all(pid: int, keys: list[float]) -> None:
    for key, title, _ in PANES:
        press(key, title, keys)
        time.sleep(0.3)
        if not alive(pid):
            return


def run_mode(mode: Mode, proxy: str, pid: int, hold: float) -> Result:
    result = Result(mode.label)
    result.affected = [title for _, title, services in PANES if mode.affects(services)]
    control(proxy, clear=True)
    if mode.mode != "none":
        control(proxy, mode=mode.mode, service=mode.service, rate=mode.rate, delay=mode.delay)
    before = total_calls(proxy)
    started = time.monotonic()
    n = 0
    while time.monotonic() - started < hold and alive(pid):
        key, title, _ = PANES[n % len(PANES)]
        press(key, title, result.keys)
        n += 1
        time.sleep(2.0)
    result.per_minute = (total_calls(proxy) - before) / ((time.monotonic() - started) / 60)
    for key, title, _ in PANES:
        if not alive(pid):
            break
        press(key, title, result.keys)
        time.sleep(0.2)
        line = status_line(screen())
        if "⚠ stale" in line:
            result.stale[title] = line.split("⚠ stale:", 1)[-1].strip()
    control(proxy, clear=True)
    cleared = time.monotonic()
    waiting = set(result.affected) | set(result.stale)
    deadline = cleared + LONGEST_INTERVAL + 30
    while waiting and time.monotonic() < deadline and alive(pid):
        for key, title, _ in PANES:
            if title not in waiting:
                continue
            press(key, title, result.keys)
            time.sleep(0.1)
            if "● live" in status_line(screen()):
                waiting.discard(title)
                result.recovered[title] = time.monotonic() - cleared
        time.sleep(0.2)
    if not waiting:
        result.recovery = time.monotonic() - cleared if (result.affected or result.stale) else None
    if not alive(pid) or TRACEBACK.search(screen()):
        result.crashes = 1
    return result


def ms(seconds: float) -> str:
    return f"{seconds * 1000:6.0f} ms"


def report(result: Result) -> None:
    keys = sorted(result.keys) or [0.0]
    marked = [t for t in result.affected if t in result.stale]
    stale = "-" if not result.affected else ("yes" if len(marked) == len(result.affected) else "NO ")
    recovery = "-" if result.recovery is None else f"{result.recovery:5.1f} s"
    if result.recovered:
        # Each pane against its own interval: the goal is within one interval (and a poll).
        worst = max(result.recovered, key=lambda t: result.recovered[t] / INTERVALS[t])
        recovery += f" ({worst} {result.recovered[worst]:.0f}/{INTERVALS[worst]:.0f} s)"
    unmarked = [t for t in result.affected if t not in result.stale]
    reason = ("not marked: " + ", ".join(unmarked) + "; " if unmarked else "") + "; ".join(
        f"{pane}: {why}" for pane, why in result.stale.items()
    )
    reason = reason[:110]
    print(
        f"{result.label:<12} crashes {result.crashes}  keys {len(keys):3d}  p50 {ms(statistics.median(keys))}"
        f"  max {ms(keys[-1])}  stale {stale} ({len(marked)}/{len(result.affected)})  recovery {recovery:>7}"
        f"  req/min {result.per_minute:6.0f}  {reason}",
        flush=True,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hold", type=float, default=90.0, help="seconds each fault lasts")
    parser.add_argument("--modes", default="", help="comma-separated labels (default: all)")
    parser.add_argument("--switches", type=int, default=1000, help="pane switches at the end (0 skips)")
    args = parser.parse_args()
    if shutil.which("tmux") is None:
        print("bench/faults.py needs tmux (apt-get install tmux)", file=sys.stderr)
        return 2
    wanted = set(filter(None, args.modes.split(",")))
    modes = [Mode("none", "none", expect_stale=False), *(m for m in MODES if not wanted or m.label in wanted)]
    sim, proxy_process, proxy, pid = start(args)
    try:
        first = time.monotonic()
        warm: list[float] = []
        while time.monotonic() - first < 60 and alive(pid):
            visit_all(pid, warm)
        baseline = rss_mb(pid)
        print(f"console pid {pid}, RSS after the first minute {baseline:.1f} MB", flush=True)
        for mode in modes:
            report(run_mode(mode, proxy, pid, args.hold))
            if not alive(pid):
                print("the console died: stopping", flush=True)
                return 1
        if args.switches:
            switches: list[float] = []
            for n in range(args.switches):
                key, title, _ = PANES[n % len(PANES)]
                press(key, title, switches)
            switches.sort()
            after = rss_mb(pid)
            print(
                f"{args.switches} pane switches: p50 {ms(statistics.median(switches))}"
                f" max {ms(switches[-1])}; "
                f"RSS {baseline:.1f} MB -> {after:.1f} MB ({(after - baseline) / baseline * 100:+.1f}%)",
                flush=True,
            )
    finally:
        subprocess.run(["tmux", "kill-session", "-t", SESSION], capture_output=True)
        for process in (proxy_process, sim):
            process.terminate()
            process.wait(timeout=30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
