"""Kinesis arithmetic: shard usage, iterator age against retention, its trend, and scaling advice.

The usage factor and the thresholds follow aws-samples/kinesis-auto-scaling: a provisioned shard
accepts 1 MiB/s or 1,000 records/s of writes; usage >= 0.75 in 5 of the last 5 five-minute points
doubles the shard count; MAX(usage, iterator-age term) < 0.25 in 57 of the last 60 halves it, where
the term is age in minutes x 0.25 / block minutes (see ``ScalingRule``).
An iterator age of half the retention period puts records at risk of expiring unread; at the
full retention period they are gone.

Everything here is pure: numbers in, numbers and sentences out. Unknown inputs give ``None``
(never 0).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from tui.common.catalogue import STALL_GROWTH_MS_PER_MS, STALL_MIN_BEHIND_MS, STALL_MIN_S
from tui.common.timefmt import tenths_of_minutes_text

MIB = 1024 * 1024
SHARD_WRITE_BYTES_PER_S = MIB
SHARD_WRITE_RECORDS_PER_S = 1000.0

SCALE_UP_AT = 0.75
SCALE_DOWN_BELOW = 0.25
DEFAULT_BLOCK_MINUTES = 30.0

AGE_WARN_FRACTION = 0.5
AGE_CRITICAL_FRACTION = 1.0
USAGE_WARN = SCALE_UP_AT
USAGE_CRITICAL = 1.0

PROJECTION_WINDOW_S = 900.0
PROJECTION_MIN_POINTS = 3
PROJECTION_RECENT_S = 300.0
# The age is flat when the fitted change across the window is under a second, or the slope is
# within this many standard errors of zero (the points' scatter explains it).
FLAT_CHANGE_MS = 1000.0
FLAT_STANDARD_ERRORS = 2.0

MS_PER_HOUR = 3_600_000.0

# How fast one reader's lag grows: a least-squares slope over its own points of the last
# ``GROWTH_WINDOW_S`` (None with fewer than ``GROWTH_MIN_POINTS``).
GROWTH_WINDOW_S = 300.0
GROWTH_MIN_POINTS = 3
# The reference's alarms read 5-minute points (SCALE_PERIOD_MINS 5, Period 300).
ADVICE_PERIOD_S = 300


def usage_factor(
    incoming_bytes: float | None,
    incoming_records: float | None,
    period_s: float,
    shards: int | None,
) -> tuple[float | None, str | None]:
    """The busier of the two write limits over one period, and which one it is.

    ``incoming_bytes`` and ``incoming_records`` are the period's sums. Returns
    ``(max(bytes / (1 MiB x period x shards), records / (1000 x period x shards)), "bytes" | "records")``;
    ``(None, None)`` when either sum or the shard count is unknown, or the period or shard count
    is not positive. On a tie the driver is "records".
    """
    if incoming_bytes is None or incoming_records is None or shards is None:
        return None, None
    if shards <= 0 or period_s <= 0:
        return None, None
    by_bytes = incoming_bytes / (SHARD_WRITE_BYTES_PER_S * period_s * shards)
    by_records = incoming_records / (SHARD_WRITE_RECORDS_PER_S * period_s * shards)
    if by_bytes > by_records:
        return by_bytes, "bytes"
    return by_records, "records"


def retention_fraction(age_ms: float | None, retention_hours: float | None) -> float | None:
    """Iterator age as a fraction of the retention period (1.0: records expire unread)."""
    if age_ms is None or retention_hours is None or retention_hours <= 0:
        return None
    return max(age_ms, 0.0) / (retention_hours * MS_PER_HOUR)


@dataclass(frozen=True)
class Projection:
    """Where the iterator age is heading, from a least-squares line over the recent points.

    ``slope_ms_per_s``: the fitted slope (None with fewer than ``PROJECTION_MIN_POINTS`` points in
    the window, or when they all share one timestamp).
    ``direction``: "rising", "falling", "flat" or "unknown" (no slope).
    ``time_to_risk_s`` / ``time_to_loss_s``: seconds until the age reaches 50% / 100% of the
    retention period at the fitted slope; 0.0 when the latest age is already at or past that
    mark (whatever the trend); None when the age is not rising towards it, the retention is
    unknown, or there is no slope.
    ``time_to_catch_up_s``: when the age is falling, seconds until it reaches 0 (0.0 if it
    already has); None otherwise.
    """

    slope_ms_per_s: float | None = None
    time_to_risk_s: float | None = None
    time_to_loss_s: float | None = None
    time_to_catch_up_s: float | None = None
    direction: str = "unknown"

    @property
    def trend(self) -> str:
        """ "rising", "falling", "flat" or "unknown"."""
        return self.direction


def _fit(points: Sequence[tuple[float, float]]) -> tuple[float, float] | None:
    """Least-squares slope and its standard error (None when every point has one timestamp)."""
    count = len(points)
    mean_t = math.fsum(t for t, _ in points) / count
    mean_v = math.fsum(v for _, v in points) / count
    spread = math.fsum((t - mean_t) ** 2 for t, _ in points)
    if spread <= 0:
        return None
    slope = math.fsum((t - mean_t) * (v - mean_v) for t, v in points) / spread
    residuals = math.fsum((v - mean_v - slope * (t - mean_t)) ** 2 for t, v in points)
    error = math.sqrt(residuals / (count - 2) / spread) if count > 2 else math.inf
    return slope, error


def _time_to(mark_ms: float, age_ms: float, slope: float, rising: bool) -> float | None:
    if age_ms >= mark_ms:
        return 0.0
    if not rising:
        return None
    return (mark_ms - age_ms) / slope


def _trend(points: Sequence[tuple[float, float]]) -> tuple[float, str] | None:
    """The fitted slope over ``points`` and whether it rises, falls or is flat (None: no fit)."""
    if len(points) < PROJECTION_MIN_POINTS:
        return None
    fitted = _fit(points)
    if fitted is None:
        return None
    slope, error = fitted
    span = points[-1][0] - points[0][0]
    if abs(slope) * span < FLAT_CHANGE_MS or abs(slope) < FLAT_STANDARD_ERRORS * error:
        return slope, "flat"
    return slope, "rising" if slope > 0 else "falling"


def project(
    points: Sequence[tuple[float, float]],
    retention_hours: float | None,
    *,
    window_s: float = PROJECTION_WINDOW_S,
    recent_s: float = PROJECTION_RECENT_S,
) -> Projection:
    """Project the iterator age from ``(epoch seconds, age ms)`` points (any order).

    Only points within ``window_s`` of the newest one count. When the points of the last
    ``recent_s`` alone rise or fall clearly, their slope is the one projected (an age that began
    climbing five minutes ago climbs at that pace now, not at the window's average); otherwise the
    whole window's. The age is flat (no time to risk, loss or catch-up beyond marks already passed)
    when the fitted change across the points is under ``FLAT_CHANGE_MS`` or the slope is within
    ``FLAT_STANDARD_ERRORS`` standard errors of zero. Times are measured from the newest point's
    observed age, not the fitted one.
    """
    if not points:
        return Projection()
    ordered = sorted(points)
    newest_t, newest_age = ordered[-1]
    recent = _trend([(t, v) for t, v in ordered if t >= newest_t - recent_s])
    whole = _trend([(t, v) for t, v in ordered if t >= newest_t - window_s])
    chosen = recent if recent is not None and recent[1] != "flat" else whole
    if chosen is None:
        return Projection()
    slope, direction = chosen
    rising = direction == "rising"
    risk = loss = None
    if retention_hours is not None and retention_hours > 0:
        retention_ms = retention_hours * MS_PER_HOUR
        risk = _time_to(AGE_WARN_FRACTION * retention_ms, newest_age, slope, rising)
        loss = _time_to(AGE_CRITICAL_FRACTION * retention_ms, newest_age, slope, rising)
    catch_up = None
    if direction == "falling":
        catch_up = 0.0 if newest_age <= 0 else newest_age / -slope
    return Projection(slope, risk, loss, catch_up, direction)


def lag_growth(points: Sequence[tuple[float, float]], *, window_s: float = GROWTH_WINDOW_S) -> float | None:
    """How fast a reader's lag grows, in ms per second: the least-squares slope of its
    ``(epoch seconds, lag ms)`` points (any order) within ``window_s`` of the newest one; negative
    while it catches up. None with fewer than ``GROWTH_MIN_POINTS`` points there, or when they all
    share one timestamp."""
    if not points:
        return None
    ordered = sorted(points)
    recent = [(t, v) for t, v in ordered if t >= ordered[-1][0] - window_s]
    if len(recent) < GROWTH_MIN_POINTS:
        return None
    fitted = _fit(recent)
    return None if fitted is None else fitted[0]


def stalled_for_s(points: Sequence[tuple[float, float]]) -> float:
    """How long, up to the newest point, a reader's lag has grown by at least
    ``STALL_GROWTH_MS_PER_MS`` between every two consecutive points (0.0 when its last step did
    not). A missing minute between two points is one longer step, judged the same way."""
    ordered = sorted(points)
    start = len(ordered) - 1
    while start > 0:
        (t0, v0), (t1, v1) = ordered[start - 1], ordered[start]
        if t1 <= t0 or v1 - v0 < STALL_GROWTH_MS_PER_MS * (t1 - t0) * 1000.0:
            break
        start -= 1
    if start < 0 or start == len(ordered) - 1:
        return 0.0
    return ordered[-1][0] - ordered[start][0]


def stalled_growth(points: Sequence[tuple[float, float]]) -> float | None:
    """How fast the lag grows while the reader is stalled (ms per second): the least-squares slope
    of the points after the last one it still read at, or None when its last step did not grow at
    the stalled pace. Not the slope over a window that began before it stalled, and not the first
    step, which holds whatever part of a minute the reader still read."""
    span = stalled_for_s(points)
    if span <= 0:
        return None
    ordered = sorted(points)
    newest_t = ordered[-1][0]
    run = [(t, v) for t, v in ordered if t > newest_t - span]
    fitted = _fit(run) if len(run) >= 2 else None
    if fitted is None:
        start_v = next(v for t, v in ordered if t >= newest_t - span)
        return (ordered[-1][1] - start_v) / span
    return fitted[0]


def is_stalled(points: Sequence[tuple[float, float]]) -> bool:
    """Whether a reader has stopped making progress: its lag has grown at least
    ``STALL_GROWTH_MS_PER_MS`` ms per ms at every step over the last ``STALL_MIN_S`` or longer,
    and its newest lag is at least ``STALL_MIN_BEHIND_MS``."""
    if not points:
        return False
    newest = max(points)[1]
    return newest >= STALL_MIN_BEHIND_MS and stalled_for_s(points) >= STALL_MIN_S


def growth_text(ms_per_s: float | None) -> str:
    """A lag's growth as seconds more (or fewer) behind each minute: "+60 s/min", "-0.5 s/min",
    "unknown"."""
    if ms_per_s is None:
        return "unknown"
    per_minute = ms_per_s * 60.0 / 1000.0
    return f"{per_minute:+.0f} s/min" if abs(per_minute) >= 10 else f"{per_minute:+.1f} s/min"


def blocking_term(age_ms: float | None, block_minutes: float = DEFAULT_BLOCK_MINUTES) -> float:
    """The iterator-age term of the scale-down rule: age minutes x (0.25 / block minutes), so an age
    of ``block_minutes`` reads as the scale-down threshold itself.

    An unknown age gives 0.0, as the reference's FILL(m3, 0) does; ``block_minutes`` must be positive."""
    if block_minutes <= 0:
        raise ValueError(f"block_minutes must be positive, not {block_minutes!r}")
    if age_ms is None:
        return 0.0
    return max(age_ms, 0.0) / 60_000.0 * (SCALE_DOWN_BELOW / block_minutes)


def _shards(count: int) -> str:
    return f"{count} shard" if count == 1 else f"{count} shards"


@dataclass(frozen=True)
class ScalingRule:
    """The reference's two CloudWatch alarms (aws-samples/kinesis-auto-scaling, kinesis_scaling_cf.yaml):
    both read Period 300 points; the scale-up alarm fires when MAX(bytes, records usage) >= 0.75 in
    ``up_points`` of the last ``up_window`` points (DatapointsToAlarm 5, EvaluationPeriods 5); the
    scale-down alarm fires when MAX(bytes usage, records usage, age term) < 0.25 in ``down_points`` of
    the last ``down_window`` (57 of 60). The age term is FILL(GetRecords.IteratorAgeMilliseconds, 0) in
    minutes x 0.25 / ``block_minutes``. Missing IncomingBytes/IncomingRecords points count as 0 there
    (FILL(m1, 0)); points before the history begins are not there to count."""

    up_at: float = SCALE_UP_AT
    up_points: int = 5
    up_window: int = 5
    down_below: float = SCALE_DOWN_BELOW
    down_points: int = 57
    down_window: int = 60
    block_minutes: float = DEFAULT_BLOCK_MINUTES
    period_s: int = ADVICE_PERIOD_S

    def __post_init__(self) -> None:
        if self.block_minutes <= 0:
            raise ValueError(f"block_minutes must be positive, not {self.block_minutes!r}")
        for points, window in ((self.up_points, self.up_window), (self.down_points, self.down_window)):
            if not 1 <= points <= window:
                raise ValueError(f"a window needs 1 <= points <= window, not {points} of {window}")
        if self.period_s <= 0:
            raise ValueError(f"period_s must be positive, not {self.period_s!r}")

    @property
    def history_s(self) -> int:
        """How far back the longer window reaches."""
        return max(self.up_window, self.down_window) * self.period_s


@dataclass(frozen=True)
class AdvicePoint:
    """One evaluation point of the rule: its period's usage factor (``None``: not published), which
    write limit drove it, and the period's largest GetRecords iterator age (``None``: not published)."""

    ts: float
    usage: float | None
    age_ms: float | None = None
    driver: str | None = None


def period_points(
    points: Sequence[tuple[float, float]], period_s: int, now_ts: float, how: str = "sum"
) -> list[tuple[float, float]]:
    """Finer ``(epoch seconds, value)`` points gathered into ``period_s`` points aligned to the epoch,
    as CloudWatch aligns them: each period's Sum (``how="sum"``) or Maximum (``how="max"``), only
    periods that have ended by ``now_ts`` and hold at least one point; oldest first."""
    if how not in ("sum", "max"):
        raise ValueError(f"how must be 'sum' or 'max', not {how!r}")
    buckets: dict[float, float] = {}
    for ts, value in points:
        start = math.floor(ts / period_s) * period_s
        if start + period_s > now_ts:
            continue
        if start not in buckets:
            buckets[start] = value
        elif how == "sum":
            buckets[start] += value
        else:
            buckets[start] = max(buckets[start], value)
    return sorted(buckets.items())


def _halve(shards: int) -> int:
    # The reference floors (golang/scale.go calculateNewShardCount: currentShardCount / 2); AWS's
    # UpdateShardCount refuses a target below half the open shards, so an odd count rounds up.
    return max(1, math.ceil(shards / 2))


def advice(
    points: Sequence[AdvicePoint],
    *,
    mode: str,
    rule: ScalingRule = ScalingRule(),
    shards: int | None = None,
    unknown_reason: str = "no IncomingBytes/IncomingRecords datapoints",
) -> tuple[str, str]:
    """("scale_up" | "scale_down" | "hold", the reason as a sentence with its numbers).

    ``points`` are the rule's evaluation points, oldest first, one per period (the last
    ``max(up_window, down_window)`` count). On-demand streams always hold. Without any point with a
    usage the advice holds with ``"usage unknown: <unknown_reason>"``. A point without a usage counts
    as usage 0 (the reference fills gaps with 0) and a point without an age as age 0. The reason names
    how many points of each window crossed its line, and says when a window has too few points to decide.
    """
    if mode == "ON_DEMAND":
        return "hold", "on-demand streams scale themselves"
    ordered = sorted(points, key=lambda p: p.ts)
    known = [p for p in ordered if p.usage is not None]
    if not known:
        return "hold", f"usage unknown: {unknown_reason}"
    latest = known[-1]
    latest_usage = latest.usage or 0.0
    capacity = "the shards'" if shards is None else "1 shard's" if shards == 1 else f"{shards} shards'"
    dominates = f", {latest.driver} dominate" if latest.driver else ""
    now = f"latest {latest_usage:.2f} of {capacity} write capacity{dominates}"

    up = ordered[-rule.up_window :]
    up_crossed = sum(1 for p in up if (p.usage or 0.0) >= rule.up_at)
    up_text = f"usage >= {rule.up_at:.2f} in {up_crossed} of {len(up)} five-minute points"
    if len(up) < rule.up_window:
        up_text += f" (scale-up window {len(up)} of {rule.up_window} points: not enough history)"
    if up_crossed >= rule.up_points:
        target = f": double to {_shards(2 * shards)}" if shards is not None else ": double the shard count"
        return "scale_up", f"{up_text} ({now}){target}"

    down = ordered[-rule.down_window :]
    terms = [blocking_term(p.age_ms, rule.block_minutes) for p in down]
    factors = [max(p.usage or 0.0, term) for p, term in zip(down, terms, strict=True)]
    down_crossed = sum(1 for f in factors if f < rule.down_below)
    blocked = sum(
        1 for p, term in zip(down, terms, strict=True) if (p.usage or 0.0) < rule.down_below <= term
    )
    down_text = (
        f"MAX(usage, iterator-age term) < {rule.down_below:.2f} in {down_crossed} of {len(down)}"
        " five-minute points"
    )
    if len(down) < rule.down_window:
        down_text += f" (scale-down window {len(down)} of {rule.down_window} points: not enough history)"
    latest_age = down[-1].age_ms
    age_text = (
        "iterator age unknown"
        if latest_age is None
        else f"iterator age {tenths_of_minutes_text(latest_age / 1000.0)}"
    )
    age_text += f", term {terms[-1]:.2f} (blocks at {rule.block_minutes:g} min)"
    if down_crossed >= rule.down_points and len(down) >= rule.down_points:
        if shards is not None and shards <= 1:
            return "hold", f"{down_text} but 1 shard is the minimum ({now})"
        if shards is None:
            target = ": halve the shard count"
        else:
            half = _halve(shards)
            target = f": halve to {_shards(half)}"
            if shards % 2:
                target += f" (rounded up from {shards / 2:g}: AWS refuses fewer than half)"
        return "scale_down", f"{down_text} ({now}; {age_text}){target}"
    why = f"{up_text}; {down_text}"
    if blocked:
        plural = "point" if blocked == 1 else "points"
        why += f"; the iterator age blocked scaling down in {blocked} {plural}"
    return "hold", f"{why} ({now}; {age_text})"


def age_level(fraction: float | None) -> str:
    """ "critical" at >= 100% of retention, "warn" at >= 50%, "ok" below, "unknown" without a value."""
    if fraction is None:
        return "unknown"
    if fraction >= AGE_CRITICAL_FRACTION:
        return "critical"
    if fraction >= AGE_WARN_FRACTION:
        return "warn"
    return "ok"


THROTTLED_CRITICAL = 0.05
"""A share of the writes refused (WriteProvisionedThroughputExceeded) over the latest
``THROTTLED_WINDOW_MINUTES`` that makes a busy stream's usage critical: IncomingRecords counts only
what was accepted, so a stream that refuses writes shows a usage at (or, by a few records, just
under) 1.0, never above it. A stream running near its shards' limit refuses a second's burst now
and then: up to about 2% of a minute's writes, about 1.4% over five minutes, which producers
retry; that is busy ("warn"), not yet a stream turning its writers away."""

THROTTLED_WINDOW_MINUTES = 5
"""The share is taken over this many latest minutes, not one minute's burst."""


def throttled_share(
    throttled: dict[float, float], accepted: dict[float, float], period_s: float = 60.0
) -> float | None:
    """The share of the writes refused over the latest ``THROTTLED_WINDOW_MINUTES`` minutes that
    have an accepted count (IncomingRecords), from per-minute throttled and accepted record counts
    keyed by the minute's start. A minute with writes and no throttled point refused none (AWS
    publishes a metric only with activity); None when no throttled point is known at all."""
    if not throttled or not accepted:
        return None
    latest = max(accepted)
    start = latest - (THROTTLED_WINDOW_MINUTES - 1) * period_s
    minutes = [ts for ts in accepted if ts >= start]
    refused = sum(throttled.get(ts, 0.0) for ts in minutes)
    total = refused + sum(accepted[ts] for ts in minutes)
    return None if total <= 0 else refused / total


def usage_level(usage: float | None, throttled_share: float | None = None) -> str:
    """ "critical" at >= 1.0 (or >= 0.75 while ``throttled_share`` >= 5% of the writes is refused),
    "warn" at >= 0.75, "ok" below, "unknown" without a value."""
    if usage is None:
        return "unknown"
    if usage >= USAGE_CRITICAL:
        return "critical"
    if usage >= USAGE_WARN and throttled_share is not None and throttled_share >= THROTTLED_CRITICAL:
        return "critical"
    if usage >= USAGE_WARN:
        return "warn"
    return "ok"
