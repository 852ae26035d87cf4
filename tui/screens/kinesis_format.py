"""Words and numbers for the Kinesis pane: gauges, durations, advice, filters. No widgets here."""

from __future__ import annotations

import re
from collections.abc import Sequence

from tui.aws.actions import Plan
from tui.aws.kinesis import KinesisSnapshot, ReaderLag, StreamView
from tui.aws.kinesis_math import growth_text
from tui.common.timefmt import age_text, precise_duration_text
from widgets.gauge import Fragment, gauge

UNKNOWN = "?"
RETENTION_STEPS = (48, 72, 168, 336, 720, 2160, 4320, 8760)


def duration(seconds: float | None) -> str:
    return UNKNOWN if seconds is None else age_text(seconds)


def precise(seconds: float | None) -> str:
    """9h48m05s: to the second, so a lag moving by seconds a minute is seen to move."""
    return UNKNOWN if seconds is None else precise_duration_text(seconds)


def count(value: float | None) -> str:
    return UNKNOWN if value is None else f"{value:,.0f}"


def consumers(view: StreamView) -> str:
    total = len(view.consumers)
    return f"{total}/{view.efo_count}e" if view.efo_count else str(total)


def usage_gauge(view: StreamView, width: int) -> list[Fragment]:
    # The bar is scaled to the shards' capacity, with the advice thresholds marked.
    return gauge(view.usage_factor, width, view.usage_level, marks=(0.25, 0.75))


def age_gauge(view: StreamView, width: int) -> list[Fragment]:
    age = duration(None if view.iterator_age_ms is None else view.iterator_age_ms / 1000.0)
    bar = gauge(view.iterator_age_retention_fraction, max(10, width - 7), view.age_level, marks=(0.5,))
    return [*bar, (f" {age:>6}", "muted")]


def trend(view: StreamView) -> str:
    """Where the age is heading: a rising age names the next retention mark it reaches, and reads
    "rising" when the retention is unknown; only an age that is not moving reads "steady"."""
    direction = view.iterator_age_trend
    if direction == "rising":
        if view.time_to_risk_s:
            return f"↑ 50% in {duration(view.time_to_risk_s)}"
        if view.time_to_loss_s:
            return f"↑ 100% in {duration(view.time_to_loss_s)}"
        if view.time_to_loss_s == 0.0:
            return "↑ expiring"
        return "↑ rising"
    if direction == "falling" and view.time_to_catch_up_s is not None:
        return f"↓ catch up {duration(view.time_to_catch_up_s)}"
    if direction == "flat":
        return "steady"
    return UNKNOWN


STALLED = "⏸ stalled"


def stalled(view: StreamView) -> tuple[ReaderLag, ...]:
    """The stream's readers that stopped making progress, worst first."""
    return tuple(r for r in view.readers if r.stalled)


def stall_word(reader: ReaderLag) -> str:
    """ "⏸ stalled: +60 s/min": a symbol and a word, and how fast the reader falls behind."""
    return f"{STALLED}: {growth_text(reader.growth_ms_per_s)}"


def trend_cell(view: StreamView, width: int) -> str | list[Fragment]:
    """The TREND cell: a stalled reader before the age's projection (it is why the age climbs), with
    how fast it falls behind when that fits ``width`` ("⏸ stalled +60 s/min", "⏸ stalled +60s/m"),
    else the symbol and the word alone."""
    stuck = stalled(view)
    if not stuck:
        return trend(view)
    rate = growth_text(stuck[0].growth_ms_per_s)
    for text in (f"{STALLED} {rate}", f"{STALLED} {rate.replace(' s/min', 's/m')}", STALLED):
        if len(text) <= width:
            break
    return [(text, "critical")]


ADVICE_WORDS = {"scale_up": "▲ double", "scale_down": "▼ halve", "hold": "hold"}


def advice_word(view: StreamView) -> str:
    return ADVICE_WORDS.get(view.advice or "", UNKNOWN)


def stream_id(view: StreamView) -> str:
    """What tells a stream apart from those of the same name in other accounts and regions."""
    return view.stream_arn or f"{view.account_id}:{view.region}:{view.stream_name}"


def pending_word(plan: Plan) -> str:
    """What a row says from the moment an action's call succeeds until a poll shows it done."""
    target = _target_shards(plan)
    return f"⟳ resharding → {target} shards" if target is not None else "⟳ updating"


def pending_cell(pending: str, width: int) -> str:
    """``pending`` in a column ``width`` wide: a reshard is always called "resharding…" at least."""
    if len(pending) <= width:
        return pending
    if pending.startswith("⟳ resharding"):
        return "⟳ resharding" if width >= len("⟳ resharding") else "resharding…"
    return pending


def _target_shards(plan: Plan) -> int | None:
    for call in plan.calls:
        if call.operation == "UpdateShardCount":
            return int(call.params["TargetShardCount"])
    return None


def settled(view: StreamView, pending: str) -> bool:
    """The poll shows the stream back to ACTIVE, with the shard count asked for if it was a reshard."""
    if view.status != "ACTIVE":
        return False
    match = re.search(r"→ (\d+) shards", pending)
    return match is None or view.open_shards == int(match.group(1))


def retention_target(view: StreamView) -> int:
    """The next retention step above the current one that keeps the age under half of it."""
    current = view.retention_hours or 24
    age_hours = (view.iterator_age_ms or 0.0) / 3_600_000.0
    for step in RETENTION_STEPS:
        if step > current and step >= 2.0 * age_hours + 6:
            return step
    return max(current + 1, RETENTION_STEPS[-1]) if current < RETENTION_STEPS[-1] else current


def matches(view: StreamView, needle: str) -> bool:
    if not needle:
        return True
    needle = needle.lower().strip()
    fields = [view.stream_name, view.mode, view.region, view.advice or "", advice_word(view)]
    return any(needle in f.lower() for f in fields)


SORTS: tuple[tuple[str, str], ...] = (
    ("risk", "most at risk first"),
    ("usage", "busiest first"),
    ("name", "by name"),
)


def sort_views(views: Sequence[StreamView], how: str) -> list[StreamView]:
    def high(value: float | None) -> float:
        return -(value if value is not None else -1.0)

    if how == "name":
        return sorted(views, key=lambda v: v.stream_name)
    if how == "usage":
        return sorted(views, key=lambda v: (high(v.usage_factor), v.stream_name))
    return sorted(
        views,
        key=lambda v: (high(v.iterator_age_retention_fraction), high(v.usage_factor), v.stream_name),
    )


def summary(snapshot: KinesisSnapshot, shown: int) -> str:
    shards = sum(v.open_shards or 0 for v in snapshot.streams)
    at_risk = sum(1 for v in snapshot.streams if v.age_level in ("warn", "critical"))
    advice = sum(1 for v in snapshot.streams if v.advice in ("scale_up", "scale_down"))
    stuck = sum(len(stalled(v)) for v in snapshot.streams)
    line = (
        f"{shown}/{len(snapshot.streams)} streams · {shards} open shards · period {snapshot.period_s} s"
        f" · {at_risk} at risk · {advice} with scaling advice"
    )
    if stuck:
        line = f"{STALLED}: {stuck} reader{'s' if stuck > 1 else ''} · " + line
    return line
