"""bench/fleet.py is run by hand (it starts a simulator of 2,000 instances), not by ``make test``:
its code is imported here, and what it prints from its measures checked on made-up cycles."""

from __future__ import annotations

import importlib.util
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench" / "fleet.py"


@pytest.fixture(scope="module")
def fleet() -> Iterator[ModuleType]:
    spec = importlib.util.spec_from_file_location("bench_fleet", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        del sys.modules[spec.name]


def test_the_floor_is_ceil_queries_over_500_per_batch(fleet: ModuleType) -> None:
    cycle = fleet.Cycle(0.0, 0.0)
    cycle.batches = [
        ("us-east-1", True, 20_001, 41),
        ("eu-west-1", True, 19_377, 39),
        ("eu-west-1", False, 3, 1),
    ]
    assert cycle.floor == 41 + 39 + 1 and cycle.calls == 81


def test_the_report_splits_each_cycle_and_says_the_targets(
    fleet: ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    def cycle(cpu: float, inventory: bool, calls: int) -> object:
        made = fleet.Cycle(0.0, 0.0)
        made.cpu, made.wall, made.inventory = cpu, 5.0, inventory
        made.thread_cpu = cpu * 0.9
        made.parts = Counter(
            {
                "poll": cpu / 2,
                "show": 0.05,
                "set_rows": 0.01,
                "render": 0.01,
                "detector": 0.02,
                "gc": 0.015,
                "gc0": 0.01,
                "gc0#": 2,
                "gc2": 0.005,
                "gc2#": 1,
            }
        )
        made.batches = [("us-east-1", True, 1_000, calls)]
        return made

    result = fleet.Result(first_rows_s=4.0, first_gauge_s=4.5, first_poll_s=30.0, places=10)
    result.cycles = [cycle(5.0, True, 2), cycle(0.2, False, 2), cycle(0.3, False, 3), cycle(0.9, True, 2)]
    result.rss_mb, result.peak_rss_mb = 350.0, 380.0
    fleet.report(result)
    out = capsys.readouterr().out
    assert "rows 4.0 s, a measured gauge 4.5 s, the first poll done 30.0 s" in out
    assert "| 1 |  | 5.0 | 200 | 180 | 15 (2/0/1, oldest 5) | 100 | 0 | 40 | 20 | 20 | 20 | 2 / 2 |" in out
    assert "steady cycles (2): CPU median 250 ms, worst 300 ms" in out
    assert "GetMetricData = floor in every one: no" in out
    assert "cycles re-reading the inventory (1): worst CPU 900 ms" in out
    assert "350 MB now, 380 MB at its peak" in out


def test_it_runs_by_hand_only() -> None:
    makefile = (BENCH.parents[1] / "Makefile").read_text()
    test_target = makefile.split("\ntest:", 1)[1].split("\n\n", 1)[0]
    assert "bench" not in test_target
