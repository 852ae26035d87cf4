"""Kinesis arithmetic: shard usage, iterator age against retention, its trend, and scaling advice.

The usage factor and the thresholds follow aws-samples/kinesis-auto-scaling: a provisioned shard
accepts 1 MiB/s or 1,000 records/s of writes; usage >= 0.75 doubles the shard count; usage below
0.25 halves it unless the iterator-age term (age in minutes x 0.25 / block minutes) lifts the sum
to 0.25 or more. An iterator age of half the retention period puts records at risk of expiring
unread; at the full retention period they are gone.

Everything here is pure: numbers in, numbers and sentences out. Unknown inputs give ``None``
(never 0).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

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
# The age is flat when the fitted change across the window is under a second, or the slope is
# within this many standard errors of zero (the points' scatter explains it).
FLAT_CHANGE_MS = 1000.0
FLAT_STANDARD_ERRORS = 2.0

MS_PER_HOUR = 3_600_000.0


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
    """Where the iterator age is heading, from a least-squares line over the recent window.

    ``slope_ms_per_s``: the fitted slope (None with fewer than ``PROJECTION_MIN_POINTS`` points in
    the window, or when they all share one timestamp).
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

    @property
    def trend(self) -> str:
        """ "rising", "falling", "flat" or "unknown"."""
        if self.slope_ms_per_s is None:
            return "unknown"
        if self.time_to_catch_up_s is not None:
            return "falling"
        if self.slope_ms_per_s > 0 and (self.time_to_risk_s is not None or self.time_to_loss_s is not None):
            return "rising"
        return "flat"


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


def project(
    points: Sequence[tuple[float, float]],
    retention_hours: float | None,
    *,
    window_s: float = PROJECTION_WINDOW_S,
) -> Projection:
    """Project the iterator age from ``(epoch seconds, age ms)`` points (any order).

    Only points within ``window_s`` of the newest one count. The age is flat (no time to risk,
    loss or catch-up beyond marks already passed) when the fitted change across the window is
    under ``FLAT_CHANGE_MS`` or the slope is within ``FLAT_STANDARD_ERRORS`` standard errors of
    zero. Times are measured from the newest point's observed age, not the fitted one.
    """
    if not points:
        return Projection()
    ordered = sorted(points)
    newest_t, newest_age = ordered[-1]
    recent = [(t, v) for t, v in ordered if t >= newest_t - window_s]
    if len(recent) < PROJECTION_MIN_POINTS:
        return Projection()
    fitted = _fit(recent)
    if fitted is None:
        return Projection()
    slope, error = fitted
    span = recent[-1][0] - recent[0][0]
    flat = abs(slope) * span < FLAT_CHANGE_MS or abs(slope) < FLAT_STANDARD_ERRORS * error
    rising = not flat and slope > 0
    falling = not flat and slope < 0
    risk = loss = None
    if retention_hours is not None and retention_hours > 0:
        retention_ms = retention_hours * MS_PER_HOUR
        risk = _time_to(AGE_WARN_FRACTION * retention_ms, newest_age, slope, rising)
        loss = _time_to(AGE_CRITICAL_FRACTION * retention_ms, newest_age, slope, rising)
    catch_up = None
    if falling:
        catch_up = 0.0 if newest_age <= 0 else newest_age / -slope
    return Projection(slope, risk, loss, catch_up)


def blocking_term(age_ms: float | None, block_minutes: float = DEFAULT_BLOCK_MINUTES) -> float:
    """The iterator-age term added to usage before scaling down: age minutes x (0.25 / block minutes).

    An unknown age adds nothing (0.0); ``block_minutes`` must be positive."""
    if block_minutes <= 0:
        raise ValueError(f"block_minutes must be positive, not {block_minutes!r}")
    if age_ms is None:
        return 0.0
    return max(age_ms, 0.0) / 60_000.0 * (SCALE_DOWN_BELOW / block_minutes)


def _minutes(age_ms: float) -> str:
    minutes = age_ms / 60_000.0
    return f"{minutes:.0f} min" if minutes >= 10 else f"{minutes:.1f} min"


def _shards(count: int) -> str:
    return f"{count} shard" if count == 1 else f"{count} shards"


def advice(
    usage: float | None,
    age_ms: float | None,
    *,
    mode: str,
    block_minutes: float = DEFAULT_BLOCK_MINUTES,
    shards: int | None = None,
    driver: str | None = None,
    unknown_reason: str = "no IncomingBytes/IncomingRecords datapoints",
) -> tuple[str, str]:
    """("scale_up" | "scale_down" | "hold", the reason as a sentence with its numbers).

    On-demand streams always hold. Unknown usage holds with ``"usage unknown: <unknown_reason>"``.
    Usage >= 0.75 doubles the shard count; usage + ``blocking_term`` < 0.25 halves it, except at
    one shard (the minimum). ``shards`` (the open shard count) and ``driver`` ("bytes" or
    "records") only enrich the sentence. An unknown age counts as no blocking and says so.
    """
    if mode == "ON_DEMAND":
        return "hold", "on-demand streams scale themselves"
    if usage is None:
        return "hold", f"usage unknown: {unknown_reason}"
    capacity = "the shards'" if shards is None else "1 shard's" if shards == 1 else f"{shards} shards'"
    dominates = f" ({driver} dominate)" if driver else ""
    if usage >= SCALE_UP_AT:
        target = f": double to {_shards(2 * shards)}" if shards is not None else ": double the shard count"
        return (
            "scale_up",
            f"usage {usage:.2f} of {capacity} write capacity{dominates} >= {SCALE_UP_AT:.2f}{target}",
        )
    term = blocking_term(age_ms, block_minutes)
    if usage < SCALE_DOWN_BELOW:
        if usage + term >= SCALE_DOWN_BELOW:
            age_text = "?" if age_ms is None else _minutes(age_ms)
            if term >= SCALE_DOWN_BELOW:
                why = f"(>= {block_minutes:g} min)"
            else:
                why = (
                    f"(usage + age term {usage + term:.2f} >= {SCALE_DOWN_BELOW:.2f};"
                    f" {block_minutes:g} min blocks on its own)"
                )
            return "hold", f"usage {usage:.2f} but iterator age {age_text} blocks scaling down {why}"
        if shards is not None and shards <= 1:
            return "hold", f"usage {usage:.2f}{dominates} < {SCALE_DOWN_BELOW:.2f} but 1 shard is the minimum"
        target = f": halve to {_shards(max(1, math.ceil(shards / 2)))}" if shards is not None else ": halve"
        age_note = "" if age_ms is not None else " (iterator age unknown)"
        return (
            "scale_down",
            f"usage {usage:.2f} of {capacity} write capacity{dominates} + age term {term:.2f}"
            f" < {SCALE_DOWN_BELOW:.2f}{age_note}{target}",
        )
    return (
        "hold",
        f"usage {usage:.2f} of {capacity} write capacity{dominates} is between"
        f" {SCALE_DOWN_BELOW:.2f} and {SCALE_UP_AT:.2f}",
    )


def age_level(fraction: float | None) -> str:
    """ "critical" at >= 100% of retention, "warn" at >= 50%, "ok" below, "unknown" without a value."""
    if fraction is None:
        return "unknown"
    if fraction >= AGE_CRITICAL_FRACTION:
        return "critical"
    if fraction >= AGE_WARN_FRACTION:
        return "warn"
    return "ok"


def usage_level(usage: float | None) -> str:
    """ "critical" at >= 1.0, "warn" at >= 0.75, "ok" below, "unknown" without a value."""
    if usage is None:
        return "unknown"
    if usage >= USAGE_CRITICAL:
        return "critical"
    if usage >= USAGE_WARN:
        return "warn"
    return "ok"
