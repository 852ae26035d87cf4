"""Process settings the console runs with, shared by the commands and the benchmarks that measure them."""

from __future__ import annotations

import gc

# CPython collects its youngest generation every 700 net allocations. A refresh of a large fleet
# allocates hundreds of thousands of short-lived objects (decoded datapoints, views) next to a
# long-lived hour of history per series, so the default walks that history many times a refresh:
# about 40% of a 2,000-instance refresh's CPU (bench/limits.py). Collecting less often keeps
# cyclic garbage bounded while removing most of that cost.
GC_THRESHOLDS = (50_000, 20, 20)


def tune_gc() -> None:
    """Collect garbage at thresholds fit for a large, long-lived heap (never lower than the current)."""
    current = gc.get_threshold()
    gc.set_threshold(*(max(old, new) for old, new in zip(current, GC_THRESHOLDS, strict=False)))
