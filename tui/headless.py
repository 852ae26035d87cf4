"""``warroom record``: every pane's feed written to a recording, with no screen at all.

The same feeds the console subscribes to (``tui.feeds``), the same journal, detectors and recorder
(``tui.gameday``); no Textual. ``warroom replay`` and ``warroom report`` read what it writes.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any, TextIO

from tui.aws.clients import ClientFactory
from tui.common.timefmt import duration_text
from tui.feeds import Feeds
from tui.gameday.hub import make_gameday
from tui.gameday.services import BusinessService
from tui.settings import Settings

PROGRESS_S = 30.0
"""How often progress is printed."""


async def record(
    settings: Settings,
    *,
    duration_s: float,
    clock: Callable[[], datetime],
    out: TextIO = sys.stderr,
    factory: ClientFactory | None = None,
    services: Iterable[BusinessService] = (),
) -> Counter[str]:
    """Poll every pane for ``duration_s`` seconds into ``settings.record_path``; returns the number
    of snapshots recorded per pane. Cancelling it (Ctrl+C) ends the recording cleanly."""
    assert settings.record_path is not None, "warroom record needs an output file"
    factory = factory or ClientFactory(settings.target)
    gameday = make_gameday(settings, clock, services)
    recorded: Counter[str] = Counter()

    def say(title: str, level: str, text: str) -> None:
        if level != "info":
            print(f"warroom record: {title}: {text}", file=out, flush=True)

    def observed(pane: str, snapshot: Any) -> None:
        recorded[pane] += 1
        gameday.observe(pane, snapshot)

    feeds = Feeds.live(factory, settings, clock, record=say)
    feeds.observe_polls(observed)
    started = time.monotonic()
    next_report = started + PROGRESS_S
    print(
        f"warroom record: recording every pane to {settings.record_path} for {duration_text(duration_s)}",
        file=out,
        flush=True,
    )
    try:
        feeds.start()
        while (left := started + duration_s - time.monotonic()) > 0:
            await asyncio.sleep(min(1.0, left))
            gameday.tick()
            if time.monotonic() >= next_report:
                next_report += PROGRESS_S
                print(
                    f"warroom record: {summary(recorded)} · {duration_text(max(0.0, left))} left",
                    file=out,
                    flush=True,
                )
    finally:
        await feeds.close()
        gameday.close()
        await factory.close()
    print(f"warroom record: done: {summary(recorded)} in {settings.record_path}", file=out, flush=True)
    return recorded


def summary(recorded: Counter[str]) -> str:
    if not recorded:
        return "no snapshot yet"
    total = sum(recorded.values())
    parts = ", ".join(f"{pane} {count}" for pane, count in sorted(recorded.items()))
    return f"{total} snapshot(s) ({parts})"
