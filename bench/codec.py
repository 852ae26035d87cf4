"""The snapshot codec: the hand-written codec against msgspec, encoding and decoding large snapshots.

Three workloads, each encoded to JSON bytes and decoded back to the same frozen dataclasses:

* a Limits snapshot of ``--instances`` instances (default 2,000): the simulator's seeded fleet,
  polled once by ``LimitsPoller``, its instances and their volumes repeated under new ids;
* a Findings snapshot of ``--findings`` findings (default 10,000): the simulator's synthetic ASFF
  findings (``tui.sim.findings_bulk``), parsed as the poller parses them;
* a recording: ``--cycles`` poll cycles (default 300) of the seeded overview, limits, kinesis,
  sessions and experiments snapshots, one whole findings snapshot and a journal event every ten
  cycles, one JSON line each as a recording holds them (decoding reads each line's pane, then its
  snapshot).

The hand-written codec is the one warroom used before msgspec (``tui/gameday/codec.py`` at commit
``BASELINE``, read from git history): ``json.dumps(encode(obj))`` and ``decode(cls,
json.loads(text))``. msgspec is the codec the console uses now (``tui.common.codec``: its
``encode`` and ``decoder``, and a recording's lines read as ``tui.gameday.record`` reads them, the
snapshot left undecoded until its pane is known). Each figure is the best of ``--repeat`` runs, in
milliseconds per operation. The last line says which is faster and whether by enough to matter
(``MEANINGFUL``: at least that many times faster on every row).

Measured on the project's 2-core machine, shared (load average about 2.5), msgspec 0.23 through
``tui.common.codec``, Python 3.11, ``--repeat 7``:

    workload                     op       JSON MB  hand-written ms       msgspec ms  speed-up
    limits, 2,000 instances      encode      6.60            266.8             12.5     21.3x
    limits, 2,000 instances      decode      6.60            235.7             38.4      6.1x
    findings, 10,000 findings    encode     14.81            366.0             16.0     22.8x
    findings, 10,000 findings    decode     14.81            260.9             52.1      5.0x
    recording, 1,531 lines       encode     24.63           1215.8             47.2     25.8x
    recording, 1,531 lines       decode     24.63            870.1            208.2      4.2x

Run from the repository root: ``.venv/bin/python bench/codec.py [--instances 2000] [--findings 10000]``.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import importlib.util
import json
import subprocess
import sys
import time
import types
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tui.aws import findings, limits
from tui.aws.findings_model import parse_finding
from tui.common import codec as warroom_codec
from tui.common.runtime import tune_gc
from tui.gameday.events import DETECTED, JournalEvent
from tui.panes import poll_every_pane
from tui.sim.findings_bulk import synthetic_findings
from tui.sim.server import SimServer

ROOT = Path(__file__).resolve().parent.parent
BASELINE = "32a0030"
"""The last commit whose ``tui/gameday/codec.py`` is the hand-written codec."""
MEANINGFUL = 2.0
NOW = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)
REGION = "us-east-1"


def hand_written() -> types.ModuleType | None:
    """The hand-written codec as it was at ``BASELINE`` (None when git cannot show it)."""
    try:
        source = subprocess.run(
            ["git", "-C", str(ROOT), "show", f"{BASELINE}:tui/gameday/codec.py"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    spec = importlib.util.spec_from_loader("handwritten_codec", loader=None)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    exec(compile(source, f"{BASELINE}:tui/gameday/codec.py", "exec"), module.__dict__)
    return module


# -- the workloads ------------------------------------------------------------------------------


async def _poll(url: str) -> dict[str, Any]:
    return await poll_every_pane(url, REGION)


def seeded() -> dict[str, Any]:
    """One snapshot of each pane from the simulator's seeded workload."""
    server = SimServer(seed=7, live=False).start()
    try:
        return asyncio.run(_poll(server.endpoint_url))
    finally:
        server.stop()


def big_limits(seed: limits.LimitsSnapshot, count: int) -> limits.LimitsSnapshot:
    """``seed`` with its instances (and their volumes) repeated under new ids up to ``count``."""
    base = [i for i in seed.instances if i.volumes] or list(seed.instances)
    out: list[limits.InstanceView] = []
    for n in range(count):
        one = base[n % len(base)]
        instance_id = f"i-{n:017x}"
        volumes = tuple(
            dataclasses.replace(v, volume_id=f"vol-{n:012x}{k:05x}", instance_id=instance_id)
            for k, v in enumerate(one.volumes)
        )
        out.append(dataclasses.replace(one, instance_id=instance_id, name=f"{one.name}-{n}", volumes=volumes))
    return dataclasses.replace(seed, instances=tuple(out))


def big_findings(count: int) -> findings.FindingsSnapshot:
    raw = synthetic_findings(count, seed=11, now=NOW)
    parsed = tuple(f for f in (parse_finding(r) for r in raw) if f is not None)
    return findings.FindingsSnapshot(
        fetched_at=NOW, region=REGION, findings=parsed, version=1, full_load=True
    )


def recording_items(snaps: dict[str, Any], cycles: int) -> list[tuple[str, Any]]:
    """(pane or "event", value) in the order a recording of ``cycles`` poll cycles holds them."""
    items: list[tuple[str, Any]] = [("findings", snaps["findings"])]
    for n in range(cycles):
        at = NOW + timedelta(seconds=10 * n)
        for pane in ("overview", "limits", "kinesis", "sessions", "fis"):
            items.append((pane, dataclasses.replace(snaps[pane], fetched_at=at)))
        if n % 10 == 0:
            event = JournalEvent(
                at=at, kind=DETECTED, source="limits", text="EBS at 97%", resource="i-0abc", value=0.97
            )
            items.append(("event", event))
    return items


# -- the two codecs -----------------------------------------------------------------------------


class Codec:
    """One codec's way to turn a value into JSON bytes and back."""

    name = ""

    def encoder(self) -> Callable[[Any], bytes]:
        raise NotImplementedError

    def decoder(self, cls: Any) -> Callable[[bytes], Any]:
        raise NotImplementedError

    def recording(self, items: list[tuple[str, Any]]) -> list[bytes]:
        raise NotImplementedError

    def read(self, lines: list[bytes], classes: dict[str, Any]) -> list[Any]:
        raise NotImplementedError


class HandWritten(Codec):
    name = "hand-written"

    def __init__(self, module: types.ModuleType) -> None:
        self.m = module

    def encoder(self) -> Callable[[Any], bytes]:
        encode = self.m.encode

        def run(obj: Any) -> bytes:
            return json.dumps(encode(obj), ensure_ascii=False, separators=(",", ":")).encode()

        return run

    def decoder(self, cls: Any) -> Callable[[bytes], Any]:
        decode = self.m.decode
        return lambda data: decode(cls, json.loads(data))

    def recording(self, items: list[tuple[str, Any]]) -> list[bytes]:
        run = self.encoder()
        lines = []
        for pane, value in items:
            if pane == "event":
                record = {"type": "event", "at": value.at.isoformat(), "event": self.m.encode(value)}
                lines.append(json.dumps(record, ensure_ascii=False, separators=(",", ":")).encode())
            else:
                at = value.fetched_at.isoformat()
                head = f'{{"type":"snapshot","at":"{at}","pane":"{pane}","data":'.encode()
                lines.append(head + run(value) + b"}")
        return lines

    def read(self, lines: list[bytes], classes: dict[str, Any]) -> list[Any]:
        decode = self.m.decode
        out = []
        for line in lines:
            record = json.loads(line)
            if record["type"] == "event":
                out.append(decode(JournalEvent, record["event"]))
            else:
                out.append(decode(classes[record["pane"]], record["data"]))
        return out


class _Line(warroom_codec.Record, frozen=True):
    type: str
    pane: str = ""
    data: warroom_codec.Raw = warroom_codec.Raw(b"null")
    event: warroom_codec.Raw = warroom_codec.Raw(b"null")


class Msgspec(Codec):
    name = "msgspec"

    def encoder(self) -> Callable[[Any], bytes]:
        return warroom_codec.encode

    def decoder(self, cls: Any) -> Callable[[bytes], Any]:
        return warroom_codec.decoder(cls)

    def recording(self, items: list[tuple[str, Any]]) -> list[bytes]:
        encode = warroom_codec.encode
        lines = []
        for pane, value in items:
            if pane == "event":
                lines.append(encode({"type": "event", "at": value.at, "event": value}))
            else:
                lines.append(
                    encode({"type": "snapshot", "at": value.fetched_at, "pane": pane, "data": value})
                )
        return lines

    def read(self, lines: list[bytes], classes: dict[str, Any]) -> list[Any]:
        line = warroom_codec.decoder(_Line)
        decoders = {pane: warroom_codec.decoder(cls) for pane, cls in classes.items()}
        event = warroom_codec.decoder(JournalEvent)
        out = []
        for text in lines:
            record = line(text)
            if record.type == "event":
                out.append(event(record.event))
            else:
                out.append(decoders[record.pane](record.data))
        return out


# -- measuring ----------------------------------------------------------------------------------


def best(run: Callable[[], Any], repeat: int) -> float:
    """The fastest of ``repeat`` runs, in milliseconds."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return min(times) * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instances", type=int, default=2000)
    parser.add_argument("--findings", type=int, default=10_000)
    parser.add_argument("--cycles", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    tune_gc()
    snaps = seeded()
    workloads: list[tuple[str, Any]] = [
        (f"limits, {args.instances:,} instances", big_limits(snaps["limits"], args.instances)),
        (f"findings, {args.findings:,} findings", big_findings(args.findings)),
    ]
    items = recording_items(snaps, args.cycles)
    classes = {
        pane: type(snaps[pane]) for pane in ("overview", "limits", "kinesis", "findings", "sessions", "fis")
    }
    baseline = hand_written()
    codecs: list[Codec] = [Msgspec()]
    if baseline is not None:
        codecs.insert(0, HandWritten(baseline))
    else:
        print(f"the hand-written codec ({BASELINE}:tui/gameday/codec.py) is not in this checkout's history")

    rows: list[tuple[str, str, dict[str, float], int]] = []
    for label, snapshot in workloads:
        cls = type(snapshot)
        for op in ("encode", "decode"):
            figures: dict[str, float] = {}
            size = 0
            for codec in codecs:
                encode = codec.encoder()
                data = encode(snapshot)
                size = len(data)
                if op == "encode":
                    figures[codec.name] = best(lambda e=encode, s=snapshot: e(s), args.repeat)
                else:
                    decode = codec.decoder(cls)
                    assert decode(data) == snapshot, f"{codec.name} did not give back the {label} snapshot"
                    figures[codec.name] = best(lambda d=decode, b=data: d(b), args.repeat)
            rows.append((label, op, figures, size))
    label = f"recording, {len(items):,} lines"
    for op in ("encode", "decode"):
        figures = {}
        size = 0
        for codec in codecs:
            lines = codec.recording(items)
            size = sum(len(line) + 1 for line in lines)
            if op == "encode":
                figures[codec.name] = best(lambda c=codec: c.recording(items), args.repeat)
            else:
                back = codec.read(lines, classes)
                assert back == [value for _, value in items], f"{codec.name} did not read the recording back"
                figures[codec.name] = best(lambda c=codec, ls=lines: c.read(ls, classes), args.repeat)
        rows.append((label, op, figures, size))

    names = [c.name for c in codecs]
    head = f"{'workload':<28} {'op':<7} {'JSON MB':>8}" + "".join(f" {n + ' ms':>16}" for n in names)
    if len(names) == 2:
        head += f" {'speed-up':>9}"
    print(head)
    ratios = []
    for label, op, figures, size in rows:
        line = f"{label:<28} {op:<7} {size / 1e6:>8.2f}" + "".join(f" {figures[n]:>16.1f}" for n in names)
        if len(names) == 2:
            ratio = figures[names[0]] / figures[names[1]]
            ratios.append(ratio)
            line += f" {ratio:>8.1f}x"
        print(line)
    if ratios:
        low, high = min(ratios), max(ratios)
        if low >= MEANINGFUL:
            print(
                f"msgspec is {low:.0f}x to {high:.0f}x faster than the hand-written codec on every row "
                f"(meaningful: at least {MEANINGFUL:.0f}x): the console's codec is msgspec."
            )
        elif high <= 1 / MEANINGFUL:
            print("the hand-written codec is meaningfully faster than msgspec on every row.")
        else:
            print(f"neither codec is meaningfully faster on every row (speed-ups {low:.1f}x to {high:.1f}x).")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
