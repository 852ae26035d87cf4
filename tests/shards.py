"""Runs the test suite as one pytest process per core, at once, and fails if any of them fails.

The suite spends most of its time in one thread of one process (an app under Pilot, the simulator
answering it, moto behind that): two processes on two cores finish it in about half the time. Each
process seeds its own simulator; moto keeps its state per process, so they never meet.

The snapshot tests show the simulator's endpoint in their SVGs (the exact calls a confirmation
shows), so they all run in the first shard, whose simulator has the fixed port
(``SNAPSHOT_PORT``); every other shard's simulator takes its own port. The other
test files are dealt to the shards by their measured times (``tests/durations.json``, written by
``--save-durations``), the slowest first, each to the shard with the least work so far.

    python -m tests.shards                    # the whole suite, a shard per core (at most 2)
    python -m tests.shards --shards 1         # one process, as plain pytest
    python -m tests.shards --save-durations   # and write the times measured into durations.json
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import xml.etree.ElementTree as ET
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

ROOT = Path(__file__).resolve().parent.parent
TESTS = ROOT / "tests"
DURATIONS = TESTS / "durations.json"
SNAPSHOT_PORT = 47011
"""The simulator's port in the snapshot tests' SVGs (``tests/conftest.py`` listens on it)."""
PINNED = ("tests/snapshots/",)
"""Files under these folders run in shard 0, the one whose simulator has the snapshots' port."""
UNKNOWN_SECONDS = 10.0
"""The weight of a test file with no measured time yet (a new file)."""
PORT_STEP = 20
"""Shard i's simulator listens on SNAPSHOT_PORT + i * PORT_STEP (shard 0 on SNAPSHOT_PORT itself)."""


@dataclass
class Shard:
    index: int
    files: list[str] = field(default_factory=list)
    weight: float = 0.0


def suite_files() -> list[str]:
    """Every test module of the suite, as paths relative to the repository."""
    found = TESTS.rglob("test_*.py")
    return sorted(str(p.relative_to(ROOT)) for p in found if "__snapshots__" not in p.parts)


def measured() -> dict[str, float]:
    try:
        data = json.loads(DURATIONS.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {str(k): float(v) for k, v in data.items()} if isinstance(data, dict) else {}


def deal(files: list[str], count: int, seconds: dict[str, float]) -> list[Shard]:
    """``files`` dealt to ``count`` shards: the pinned ones to shard 0, then the rest slowest first,
    each to the shard with the least work so far."""
    shards = [Shard(i) for i in range(count)]
    rest: list[str] = []
    for name in files:
        if name.startswith(PINNED):
            shards[0].files.append(name)
            shards[0].weight += seconds.get(name, UNKNOWN_SECONDS)
        else:
            rest.append(name)
    for name in sorted(rest, key=lambda n: (-seconds.get(n, UNKNOWN_SECONDS), n)):
        lightest = min(shards, key=lambda s: (s.weight, s.index))
        lightest.files.append(name)
        lightest.weight += seconds.get(name, UNKNOWN_SECONDS)
    return [s for s in shards if s.files]


def _relay(stream: IO[str], prefix: str, lock: threading.Lock) -> None:
    for line in stream:
        with lock:
            sys.stdout.write(f"{prefix}{line}")
            sys.stdout.flush()


def file_seconds(junit: Path) -> dict[str, float]:
    """Seconds per test file from a JUnit XML report (the time of each test case, summed)."""
    totals: dict[str, float] = defaultdict(float)
    try:
        tree = ET.parse(junit)
    except (OSError, ET.ParseError):
        return {}
    for case in tree.iter("testcase"):
        classname = case.get("classname", "")
        parts = classname.split(".")
        # classname is the module's dotted path, then a class name when the test is a method.
        for end in range(len(parts), 0, -1):
            path = "/".join(parts[:end]) + ".py"
            if (ROOT / path).is_file():
                totals[path] += float(case.get("time", "0") or 0)
                break
    return dict(totals)


def failures(junit: Path, lines: int = 6) -> list[str]:
    """One short block per failed or erroring test of a JUnit XML report: its id, then the first and
    the last lines of its message. The suite's end prints them again, after every shard's output,
    so that a log of which only the tail is kept still names what failed and why."""
    try:
        tree = ET.parse(junit)
    except (OSError, ET.ParseError):
        return []
    found: list[str] = []
    for case in tree.iter("testcase"):
        for kind in ("failure", "error"):
            bad = case.find(kind)
            if bad is None:
                continue
            name = f"{case.get('classname', '')}::{case.get('name', '')}"
            text = (bad.get("message") or "") + "\n" + (bad.text or "")
            body = [ln.rstrip() for ln in text.splitlines() if ln.strip()]
            if len(body) > 2 * lines:
                body = [*body[:lines], f"... ({len(body) - 2 * lines} lines)", *body[-lines:]]
            found.append("\n".join([f"{kind.upper()} {name}", *(f"    {ln[:160]}" for ln in body)]))
    return found


def run(count: int, save: bool, extra: list[str]) -> int:
    shards = deal(suite_files(), count, measured())
    lock = threading.Lock()
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="warroom-shards-") as tmp:
        procs: list[tuple[Shard, subprocess.Popen[str], threading.Thread, Path]] = []
        for shard in shards:
            junit = Path(tmp) / f"shard-{shard.index}.xml"
            env = dict(os.environ, WARROOM_TEST_SIM_PORT=str(SNAPSHOT_PORT + shard.index * PORT_STEP))
            cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--junitxml={junit}"]
            print(
                f"[{shard.index}] {len(shard.files)} files, about {shard.weight:.0f} s of tests, "
                f"simulator port {env['WARROOM_TEST_SIM_PORT']}",
                flush=True,
            )
            proc = subprocess.Popen(
                [*cmd, *extra, *shard.files],
                cwd=ROOT,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                bufsize=1,
            )
            assert proc.stdout is not None
            prefix = f"[{shard.index}] "
            relay = threading.Thread(target=_relay, args=(proc.stdout, prefix, lock), daemon=True)
            relay.start()
            procs.append((shard, proc, relay, junit))
        worst = 0
        seconds: dict[str, float] = {}
        failed: list[str] = []
        for shard, proc, relay, junit in procs:
            code = proc.wait()
            relay.join(timeout=10)
            print(f"[{shard.index}] exit {code} after {time.monotonic() - started:.0f} s", flush=True)
            worst = max(worst, code)
            seconds.update(file_seconds(junit))
            failed.extend(f"[{shard.index}] {block}" for block in failures(junit))
    if failed:
        print(f"\n{len(failed)} failed:", flush=True)
        for block in failed:
            print(block, flush=True)
    if save and worst == 0:
        rounded = {k: round(v, 1) for k, v in sorted(seconds.items())}
        DURATIONS.write_text(json.dumps(rounded, indent=1) + "\n", encoding="utf-8")
        print(f"wrote {DURATIONS.relative_to(ROOT)}")
    print(f"all shards: exit {worst} in {time.monotonic() - started:.0f} s", flush=True)
    return worst


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--shards", type=int, default=min(2, os.cpu_count() or 1))
    parser.add_argument("--save-durations", action="store_true", help="write the measured times per file")
    args, extra = parser.parse_known_args(argv)
    return run(max(1, args.shards), args.save_durations, extra)


if __name__ == "__main__":
    sys.exit(main())
