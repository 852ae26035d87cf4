"""Process settings the console runs with, shared by the commands and the benchmarks that measure them."""

from __future__ import annotations

import contextlib
import functools
import gc
from collections.abc import Callable, Iterator

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


class _Pauses:
    """How many ``paused_gc`` blocks are open, and whether the collector ran before the first."""

    open = 0
    was_enabled = False


@contextlib.contextmanager
def paused_gc() -> Iterator[None]:
    """No cyclic collection inside: for a step that makes hundreds of thousands of containers that
    either live on or die by reference counting (a fleet's decoded metrics and the views made of
    them). Run as is, the collector walks them dozens of times as they pile up; after the block,
    it walks only what survived. Blocks may overlap (concurrent polls): the last to end resumes it."""
    if _Pauses.open == 0:
        _Pauses.was_enabled = gc.isenabled()
        gc.disable()
    _Pauses.open += 1
    try:
        yield
    finally:
        _Pauses.open -= 1
        if _Pauses.open == 0 and _Pauses.was_enabled:
            gc.enable()


def release_memory() -> None:
    """Hand the C allocator's free memory back to the system (glibc's ``malloc_trim``; nothing
    elsewhere). After a step whose peak is far above what it keeps (the first Limits poll reads an
    hour of every series), the process would otherwise hold that peak for good."""
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6")
        trim: Callable[[int], int] = libc.malloc_trim
    except (OSError, AttributeError):
        return None
    return trim
