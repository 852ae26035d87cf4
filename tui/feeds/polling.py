"""When to poll next: the interval after success, capped exponential backoff after failures."""

from __future__ import annotations

import random


def next_delay(
    interval: float, failures: int, *, cap: float = 300.0, rng: random.Random | None = None
) -> float:
    """Seconds to wait before the next poll.

    After a success (``failures == 0``) that is the pane's interval; after n failures in a row it is
    interval * 2**(n-1), capped, with +-10% jitter so several panes do not retry in step.
    """
    if failures <= 0:
        return interval
    base = min(cap, interval * (2 ** (failures - 1)))
    jitter = float((rng or random).uniform(0.9, 1.1))
    return float(min(cap, base * jitter))
