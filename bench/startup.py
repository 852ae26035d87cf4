"""How soon the console shows something, and data: ``warroom demo`` started in a pseudo-terminal.

Each measure runs ``--runs`` times (5 by default) in a fresh pty of ``--size`` (80x24), and the
median and the maximum are printed:

- first frame: the first bytes of the alternate screen (the console's first frame);
- "starting…" text: the first time the screen says what it is doing ("starting the simulator");
- account in header: the simulator's account id (123456789012) drawn;
- Overview data: the Overview's status line says ``● live`` (its first poll's data is on screen);
- ``--version`` and ``--help``: until the command has exited.

At the moment the Overview shows data, the console's CPU time (user + system, from /proc) and RSS
are read too. Times are from the fork of the command to the first output byte that completes the
text looked for. Each run has its own state directory; a run that shows nothing within
``--deadline`` seconds is reported as such.

Run from the repository root (``make`` uses the project's venv)::

    .venv/bin/python bench/startup.py [--runs 5] [--size 80x24] [--command "warroom"]

``--command`` is the console to start (default: this interpreter with ``-m tui.cli``, which reads
the working tree; ``warroom`` runs the installed entry point).
"""

from __future__ import annotations

import argparse
import os
import pty
import select
import shlex
import signal
import statistics
import struct
import sys
import tempfile
import termios
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from fcntl import ioctl
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ACCOUNT = b"123456789012"
ALT_SCREEN = b"\x1b[?1049h"
STARTING = b"starting the simulator"
LIVE = "● live".encode()
TICKS = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")


@dataclass
class Run:
    marks: dict[str, float] = field(default_factory=dict)
    cpu_s: float | None = None
    rss_mb: float | None = None
    exited_s: float | None = None


def _spawn(argv: Sequence[str], columns: int, rows: int, env: dict[str, str]) -> tuple[int, int]:
    pid, fd = pty.fork()
    if pid == 0:  # the child: the command, on the pty
        os.chdir(ROOT)
        os.execvpe(argv[0], list(argv), env)
    ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
    return pid, fd


def _usage(pid: int) -> tuple[float, float]:
    """CPU seconds (user + system) and RSS in MB of ``pid``."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    cpu = (int(fields[11]) + int(fields[12])) / TICKS
    with open(f"/proc/{pid}/statm") as statm:
        rss = int(statm.read().split()[1]) * PAGE / 2**20
    return cpu, rss


def _stop(pid: int, fd: int) -> None:
    for sig, wait in ((None, 3.0), (signal.SIGTERM, 3.0), (signal.SIGKILL, 3.0)):
        if sig is None:
            os.write(fd, b"q")
        else:
            os.kill(pid, sig)
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            done, _ = os.waitpid(pid, os.WNOHANG)
            if done:
                os.close(fd)
                return
            try:
                if select.select([fd], [], [], 0.1)[0]:
                    os.read(fd, 65536)
            except OSError:
                pass
    os.close(fd)


def one_run(
    argv: Sequence[str],
    wanted: dict[str, bytes],
    *,
    columns: int,
    rows: int,
    deadline: float,
    usage_at: str = "",
    until_exit: bool = False,
) -> Run:
    """Start ``argv`` in a pty; the time each of ``wanted``'s byte strings first appears."""
    run = Run()
    with tempfile.TemporaryDirectory(prefix="warroom-bench-") as state:
        env = {
            **os.environ,
            "TERM": "xterm-256color",
            "COLUMNS": str(columns),
            "LINES": str(rows),
            "WARROOM_STATE_DIR": state,
            "PYTHONPATH": str(ROOT),
        }
        started = time.monotonic()
        pid, fd = _spawn(argv, columns, rows, env)
        seen = b""
        end = started + deadline
        try:
            while time.monotonic() < end:
                ready, _, _ = select.select([fd], [], [], 0.05)
                if ready:
                    try:
                        chunk = os.read(fd, 65536)
                    except OSError:
                        chunk = b""
                    if not chunk:
                        run.exited_s = time.monotonic() - started
                        break
                    now = time.monotonic() - started
                    # The text looked for may straddle two reads: search the tail of what came before too.
                    window = seen[-256:] + chunk
                    seen += chunk
                    for name, text in wanted.items():
                        if name not in run.marks and text in window:
                            run.marks[name] = now
                            if name == usage_at:
                                run.cpu_s, run.rss_mb = _usage(pid)
                if not until_exit and len(run.marks) == len(wanted):
                    break
        finally:
            if run.exited_s is None:
                _stop(pid, fd)
            else:
                os.waitpid(pid, 0)
                os.close(fd)
    return run


def _stats(values: list[float]) -> str:
    if not values:
        return "—"
    return f"{statistics.median(values):.2f} s / {max(values):.2f} s"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--size", default="80x24", help="the pty's COLUMNSxROWS (default 80x24)")
    parser.add_argument("--deadline", type=float, default=60.0, help="seconds a run may take")
    parser.add_argument(
        "--command", default=None, help="the console to start (default: this python -m tui.cli)"
    )
    args = parser.parse_args(argv)
    columns, rows = (int(n) for n in args.size.lower().split("x"))
    base = shlex.split(args.command) if args.command else [sys.executable, "-m", "tui.cli"]
    demo_marks = {
        "first frame": ALT_SCREEN,
        '"starting…" text': STARTING,
        "account in header": ACCOUNT,
        "Overview data": LIVE,
    }
    results: dict[str, list[float]] = {name: [] for name in demo_marks}
    results["--version"] = []
    results["--help"] = []
    cpu: list[float] = []
    rss: list[float] = []
    load = os.getloadavg()
    print(f"warroom start-up, {args.runs} runs in a {columns}x{rows} pty: {shlex.join(base)}")
    print(f"machine: {os.cpu_count()} CPUs, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}\n")
    for n in range(args.runs):
        run = one_run(
            [*base, "demo"],
            demo_marks,
            columns=columns,
            rows=rows,
            deadline=args.deadline,
            usage_at="Overview data",
        )
        for name in demo_marks:
            if name in run.marks:
                results[name].append(run.marks[name])
        if run.cpu_s is not None and run.rss_mb is not None:
            cpu.append(run.cpu_s)
            rss.append(run.rss_mb)
        shown = ", ".join(f"{name} {run.marks[name]:.2f} s" for name in demo_marks if name in run.marks)
        print(f"  demo run {n + 1}: {shown or 'nothing shown'}", flush=True)
        for flag in ("--version", "--help"):
            quick = one_run(
                [*base, flag], {}, columns=columns, rows=rows, deadline=args.deadline, until_exit=True
            )
            if quick.exited_s is not None:
                results[flag].append(quick.exited_s)
    print()
    print("| measure | median / max |")
    print("| --- | --- |")
    for name, values in results.items():
        missing = args.runs - len(values)
        note = f" ({missing} of {args.runs} runs never showed it)" if missing else ""
        print(f"| {name} | {_stats(values)}{note} |")
    if cpu:
        at = "when the Overview shows data"
        print(f"| console CPU {at} | {statistics.median(cpu):.2f} s / {max(cpu):.2f} s |")
        print(f"| console RSS {at} | {statistics.median(rss):.0f} MB / {max(rss):.0f} MB |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
