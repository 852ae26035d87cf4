"""moto's seeded stream of identifiers, kept for the seeding while clients are answered beside it.

moto draws every identifier (and the request id of every answer) from one process-wide
``random.Random``, ``mock_random``, which the workload seeds: the seeding's calls, made in a fixed
order, draw the same numbers, so a seed gives the same ids. A client answered while the seeding
runs (the demo's console asks as soon as the simulator listens) drew from the same stream at a
moment of its own, and every identifier made after it changed from one start to the next.

Inside ``own_stream()`` a thread draws from a stream of its own instead (seeded by the operating
system): the request it answers gets ids and a request id that depend on nothing, and the seeding
gets the numbers it would have drawn alone. While no thread is inside the block, ``mock_random``
is moto's own object, unchanged; while one is, its class is a subclass that looks up the calling
thread's stream on each draw (the only methods that draw: ``random`` and ``getrandbits``; every
other method of ``random.Random`` goes through them).
"""

from __future__ import annotations

import contextlib
import random
import threading
from collections.abc import Iterator
from typing import Any

_lock = threading.Lock()
_local = threading.local()
_inside = 0
_classes: list[type] = []


def _moto_random() -> Any:
    from moto.moto_api._internal import mock_random

    return mock_random


def _redirecting(plain: type) -> type:
    """The subclass of ``plain`` (moto's class) that draws from the calling thread's own stream."""
    base_random = plain.random  # type: ignore[attr-defined]
    base_getrandbits = plain.getrandbits  # type: ignore[attr-defined]

    class OwnStreams(plain):  # type: ignore[misc]
        def random(self) -> float:
            own = getattr(_local, "stream", None)
            return float(own.random() if own is not None else base_random(self))

        def getrandbits(self, k: int) -> int:
            own = getattr(_local, "stream", None)
            return int(own.getrandbits(k) if own is not None else base_getrandbits(self, k))

    return OwnStreams


def drawing_aside() -> bool:
    """Whether the calling thread draws from a stream of its own now."""
    return getattr(_local, "stream", None) is not None


@contextlib.contextmanager
def own_stream() -> Iterator[None]:
    """Within the block, moto's identifiers for the calling thread come from a stream of its own."""
    global _inside
    shared = _moto_random()
    previous = getattr(_local, "stream", None)
    _local.stream = random.Random()
    with _lock:
        if not _classes:
            plain = type(shared)
            _classes.extend((plain, _redirecting(plain)))
        _inside += 1
        shared.__class__ = _classes[1]
    try:
        yield
    finally:
        with _lock:
            _inside -= 1
            if _inside == 0:
                shared.__class__ = _classes[0]
        _local.stream = previous
