"""Kinesis arithmetic: usage factor, retention fraction, iterator-age projections, the blocking term,
scaling advice at its boundaries, and the levels."""

from __future__ import annotations

import itertools

import pytest

from tui.aws.kinesis_math import (
    MIB,
    PROJECTION_WINDOW_S,
    AdvicePoint,
    Projection,
    ScalingRule,
    advice,
    age_level,
    blocking_term,
    is_stalled,
    lag_growth,
    period_points,
    project,
    retention_fraction,
    stalled_growth,
    usage_factor,
    usage_level,
)
from tui.common.catalogue import STALL_MIN_BEHIND_MS

HOUR_MS = 3_600_000.0


def rel(expected: float) -> object:
    return pytest.approx(expected, rel=1e-9)


# ---------------------------------------------------------------------------------------------
# Usage factor
# ---------------------------------------------------------------------------------------------


def test_usage_factor_records_dominate() -> None:
    # 800 records/s of 100 bytes on one shard: 0.8 of the records limit, 0.076 of the bytes limit.
    value, driver = usage_factor(800 * 100 * 60, 800 * 60, 60, 1)
    assert value == rel(0.8)
    assert driver == "records"


def test_usage_factor_bytes_dominate() -> None:
    # 3 MiB/s of 10 KiB records over 4 shards: 0.75 of the bytes limit, 0.077 of the records limit.
    value, driver = usage_factor(3 * MIB * 60, 3 * MIB / 10240 * 60, 60, 4)
    assert value == rel(0.75)
    assert driver == "bytes"


def test_usage_factor_scales_with_period_and_shards() -> None:
    assert usage_factor(0.0, 1000.0 * 300, 300, 2) == (rel(0.5), "records")
    assert usage_factor(MIB * 300.0, 0.0, 300, 1) == (rel(1.0), "bytes")


def test_usage_factor_zero_traffic_is_zero_not_unknown() -> None:
    assert usage_factor(0.0, 0.0, 60, 3) == (0.0, "records")


@pytest.mark.parametrize(
    ("incoming_bytes", "incoming_records", "period", "shards"),
    [
        (None, 100.0, 60, 1),
        (100.0, None, 60, 1),
        (None, None, 60, 1),
        (100.0, 100.0, 60, None),
        (100.0, 100.0, 60, 0),
        (100.0, 100.0, 0, 1),
    ],
)
def test_usage_factor_unknown(
    incoming_bytes: float | None, incoming_records: float | None, period: int, shards: int | None
) -> None:
    assert usage_factor(incoming_bytes, incoming_records, period, shards) == (None, None)


# ---------------------------------------------------------------------------------------------
# Retention
# ---------------------------------------------------------------------------------------------


def test_retention_fraction() -> None:
    assert retention_fraction(12 * HOUR_MS, 24) == rel(0.5)
    assert retention_fraction(24 * HOUR_MS, 24) == rel(1.0)
    assert retention_fraction(30 * HOUR_MS, 24) == rel(1.25)
    assert retention_fraction(84 * HOUR_MS, 168) == rel(0.5)
    assert retention_fraction(0.0, 24) == 0.0


def test_retention_fraction_unknown() -> None:
    assert retention_fraction(None, 24) is None
    assert retention_fraction(1000.0, None) is None
    assert retention_fraction(1000.0, 0) is None


# ---------------------------------------------------------------------------------------------
# Projection
# ---------------------------------------------------------------------------------------------


def line(
    start_ms: float, slope_ms_per_s: float, minutes: int = 15, t0: float = 1_000_000.0
) -> list[tuple[float, float]]:
    return [(t0 + 60.0 * k, start_ms + slope_ms_per_s * 60.0 * k) for k in range(minutes + 1)]


def test_rising_age_reaches_half_and_full_retention() -> None:
    # A consumer stalled: the age grows by 1000 ms every second, now at 2 hours of 24.
    points = line(2 * HOUR_MS - 900_000.0, 1000.0)
    assert points[-1][1] == 2 * HOUR_MS
    got = project(points, 24)
    assert got.slope_ms_per_s == rel(1000.0)
    assert got.time_to_risk_s == rel(10 * 3600.0)
    assert got.time_to_loss_s == rel(22 * 3600.0)
    assert got.time_to_catch_up_s is None
    assert got.trend == "rising"


def test_rising_past_half_is_zero_risk_and_counts_to_loss() -> None:
    points = line(13 * HOUR_MS, 500.0)
    now_ms = points[-1][1]
    got = project(points, 24)
    assert got.time_to_risk_s == 0.0
    assert got.time_to_loss_s == rel((24 * HOUR_MS - now_ms) / 500.0)


def test_past_full_retention_is_zero_for_both() -> None:
    got = project(line(25 * HOUR_MS, 100.0), 24)
    assert (got.time_to_risk_s, got.time_to_loss_s) == (0.0, 0.0)


def test_falling_age_catches_up() -> None:
    # 20 minutes behind, falling by 2000 ms a second: caught up in 600 s.
    points = line(20 * 60_000.0 + 15 * 60 * 2000.0, -2000.0)
    assert points[-1][1] == 20 * 60_000.0
    got = project(points, 24)
    assert got.slope_ms_per_s == rel(-2000.0)
    assert got.time_to_catch_up_s == rel(600.0)
    assert got.time_to_risk_s is None
    assert got.time_to_loss_s is None
    assert got.trend == "falling"


def test_flat_age_projects_nothing() -> None:
    points = line(300_000.0, 0.0)
    got = project(points, 24)
    assert got.slope_ms_per_s == 0.0
    assert (got.time_to_risk_s, got.time_to_loss_s, got.time_to_catch_up_s) == (None, None, None)
    assert got.trend == "flat"


def test_small_change_is_flat() -> None:
    # 0.5 ms/s over 15 minutes is a 450 ms change: under 1 s, so flat.
    got = project(line(500.0, 0.5), 24)
    assert got.slope_ms_per_s == rel(0.5)
    assert got.trend == "flat"
    assert got.time_to_risk_s is None


def test_scatter_without_a_trend_is_flat() -> None:
    # A consumer between 90 s and 420 s behind, minute by minute, with a slight drift the scatter
    # explains: flat, no catch-up time.
    ages = [90_000.0, 420_000.0, 150_000.0, 380_000.0, 100_000.0, 400_000.0, 200_000.0, 90_000.0]
    points = [(60.0 * k, age) for k, age in enumerate(ages)]
    got = project(points, 24)
    assert got.slope_ms_per_s is not None and got.slope_ms_per_s < 0
    assert got.trend == "flat"
    assert got.time_to_catch_up_s is None
    # The same scatter on a steep climb is rising.
    climbing = [(t, v + 2000.0 * t) for t, v in points]
    assert project(climbing, 24).trend == "rising"


def test_an_age_that_began_climbing_follows_its_recent_slope() -> None:
    # Ten minutes at 1 h, then five climbing at wall-clock pace: rising at 1,000 ms/s, 50% in 10.9 h.
    flat = [(60.0 * k, HOUR_MS) for k in range(11)]
    climbing = [(600.0 + 60.0 * k, HOUR_MS + 60_000.0 * k) for k in range(1, 6)]
    got = project(flat + climbing, 24)
    assert got.trend == "rising"
    assert got.slope_ms_per_s == rel(1000.0)
    assert got.time_to_risk_s == rel((12 * HOUR_MS - (HOUR_MS + 300_000.0)) / 1000.0)


def test_rising_with_unknown_retention_is_still_rising() -> None:
    got = project(line(HOUR_MS, 1000.0), None)
    assert got.trend == "rising"
    assert got.time_to_risk_s is None


def test_too_few_points() -> None:
    assert project([], 24) == Projection()
    assert project([(0.0, 1.0), (60.0, 60_000.0)], 24) == Projection()
    assert project([(0.0, 1.0), (0.0, 5.0), (0.0, 9.0)], 24) == Projection()
    assert Projection().trend == "unknown"


def test_only_the_window_counts() -> None:
    # An old climb followed by 15 flat minutes: flat, because the climb is outside the window.
    old = line(0.0, 1000.0, minutes=30, t0=0.0)
    recent = [(old[-1][0] + 60.0 * k, old[-1][1]) for k in range(1, 16)]
    got = project(old + recent, 24, window_s=PROJECTION_WINDOW_S)
    assert got.trend == "flat"
    # With a window covering everything the climb shows.
    assert project(old + recent, 24, window_s=3600.0).trend == "rising"


def test_unordered_points_and_unknown_retention() -> None:
    points = list(reversed(line(60_000.0, 1000.0)))
    got = project(points, None)
    assert got.slope_ms_per_s == rel(1000.0)
    assert got.time_to_risk_s is None and got.time_to_loss_s is None


# ---------------------------------------------------------------------------------------------
# Blocking term and advice
# ---------------------------------------------------------------------------------------------


def test_blocking_term() -> None:
    assert blocking_term(30 * 60_000.0, 30.0) == rel(0.25)
    assert blocking_term(60 * 60_000.0, 30.0) == rel(0.5)
    assert blocking_term(6 * 60_000.0, 60.0) == rel(0.025)
    assert blocking_term(None, 30.0) == 0.0
    with pytest.raises(ValueError, match="block_minutes"):
        blocking_term(1.0, 0.0)


MIN_MS = 60_000.0
_TICKS = itertools.count()


def window(
    *values: tuple[float | None, float | None], repeat: int = 1, driver: str | None = "records"
) -> list[AdvicePoint]:
    """Five-minute points, oldest first: ``(usage, age ms)`` pairs, the sequence repeated ``repeat`` times."""
    pairs = list(values) * repeat
    # Timestamps keep rising across calls, so windows built in order concatenate in order.
    return [AdvicePoint(300.0 * next(_TICKS), usage, age, driver) for usage, age in pairs]


def steady(usage: float | None, age_ms: float | None = 0.0, count: int = 60) -> list[AdvicePoint]:
    return window((usage, age_ms), repeat=count)


def test_scale_up_needs_5_of_5_points() -> None:
    verdict, reason = advice(steady(0.75), mode="PROVISIONED", shards=1)
    assert verdict == "scale_up"
    assert reason.startswith("usage >= 0.75 in 5 of 5 five-minute points")
    assert "latest 0.75 of 1 shard's write capacity, records dominate" in reason
    assert reason.endswith("double to 2 shards")
    # 4 of the last 5 holds, whichever point missed the line.
    points = steady(0.1, count=55) + window((0.8, 0.0), (0.9, 0.0), (0.7, 0.0), (0.8, 0.0), (0.95, 0.0))
    verdict, reason = advice(points, mode="PROVISIONED", shards=4)
    assert verdict == "hold"
    assert "usage >= 0.75 in 4 of 5 five-minute points" in reason
    assert advice(steady(0.7499), mode="PROVISIONED", shards=1)[0] == "hold"
    assert advice(steady(0.8), mode="PROVISIONED")[1].endswith(": double the shard count")


def test_scale_up_window_incomplete() -> None:
    verdict, reason = advice(steady(0.9, count=3), mode="PROVISIONED", shards=2)
    assert verdict == "hold"
    assert "usage >= 0.75 in 3 of 3 five-minute points" in reason
    assert "scale-up window 3 of 5 points: not enough history" in reason


def test_scale_down_takes_the_larger_of_usage_and_age_term() -> None:
    # MAX(0.20, 10 min x 0.25 / 30 min = 0.083) = 0.20 < 0.25: down (adding them, 0.28, would hold).
    verdict, reason = advice(steady(0.20, 10 * MIN_MS), mode="PROVISIONED", shards=4)
    assert verdict == "scale_down"
    assert "MAX(usage, iterator-age term) < 0.25 in 60 of 60 five-minute points" in reason
    assert "iterator age 10 min, term 0.08" in reason
    assert reason.endswith("halve to 2 shards")
    # MAX(0.24, 2 min x 0.25 / 30 = 0.017) = 0.24: down.
    assert advice(steady(0.24, 2 * MIN_MS), mode="PROVISIONED", shards=4)[0] == "scale_down"
    assert advice(steady(0.25, 0.0), mode="PROVISIONED", shards=4)[0] == "hold"


def test_iterator_age_blocks_scaling_down_on_its_own() -> None:
    # 30 min of a 30 min block: the term is 0.25 itself, so no point is below 0.25.
    verdict, reason = advice(steady(0.0, 30 * MIN_MS), mode="PROVISIONED", shards=4)
    assert verdict == "hold"
    assert "< 0.25 in 0 of 60 five-minute points" in reason
    assert "the iterator age blocked scaling down in 60 points" in reason
    assert advice(steady(0.0, 29.9 * MIN_MS), mode="PROVISIONED", shards=4)[0] == "scale_down"
    # A longer block weakens the term: 41 min of 60 is 0.17.
    rule = ScalingRule(block_minutes=60.0)
    assert advice(steady(0.1, 41 * MIN_MS), mode="PROVISIONED", shards=4, rule=rule)[0] == "scale_down"


@pytest.mark.parametrize(("below", "expected"), [(57, "scale_down"), (56, "hold"), (60, "scale_down")])
def test_scale_down_needs_57_of_60_points(below: int, expected: str) -> None:
    points = window((0.5, 0.0), repeat=60 - below) + window((0.1, 0.0), repeat=below)
    verdict, reason = advice(points, mode="PROVISIONED", shards=4)
    assert verdict == expected
    assert f"< 0.25 in {below} of 60 five-minute points" in reason


def test_only_the_last_60_points_count() -> None:
    points = window((0.5, 0.0), repeat=10) + steady(0.1)
    assert advice(points, mode="PROVISIONED", shards=4)[0] == "scale_down"


def test_scale_down_window_incomplete() -> None:
    verdict, reason = advice(steady(0.05, count=12), mode="PROVISIONED", shards=4)
    assert verdict == "hold"
    assert "scale-down window 12 of 60 points: not enough history" in reason


def test_thresholds_and_windows_are_configurable() -> None:
    rule = ScalingRule(up_at=0.5, up_points=2, up_window=3, down_below=0.1, down_points=3, down_window=4)
    assert advice(steady(0.6, count=2), mode="PROVISIONED", shards=1, rule=rule)[0] == "scale_up"
    assert advice(steady(0.09, count=4), mode="PROVISIONED", shards=2, rule=rule)[0] == "scale_down"
    assert advice(steady(0.2, count=4), mode="PROVISIONED", shards=2, rule=rule)[0] == "hold"
    with pytest.raises(ValueError, match="points <= window"):
        ScalingRule(down_points=61)
    with pytest.raises(ValueError, match="block_minutes"):
        ScalingRule(block_minutes=0.0)


def test_halving_an_odd_count_rounds_up() -> None:
    verdict, reason = advice(steady(0.1), mode="PROVISIONED", shards=5)
    assert verdict == "scale_down"
    assert reason.endswith("halve to 3 shards (rounded up from 2.5: AWS refuses fewer than half)")
    assert advice(steady(0.1), mode="PROVISIONED", shards=3)[1].endswith(
        "halve to 2 shards (rounded up from 1.5: AWS refuses fewer than half)"
    )


def test_one_shard_cannot_halve() -> None:
    verdict, reason = advice(steady(0.05), mode="PROVISIONED", shards=1)
    assert verdict == "hold"
    assert "1 shard is the minimum" in reason


def test_on_demand_holds() -> None:
    assert advice(steady(2.0, 10 * HOUR_MS), mode="ON_DEMAND", shards=4) == (
        "hold",
        "on-demand streams scale themselves",
    )
    assert advice([], mode="ON_DEMAND") == ("hold", "on-demand streams scale themselves")


def test_unknown_usage_holds_and_says_why() -> None:
    assert advice([], mode="PROVISIONED") == (
        "hold",
        "usage unknown: no IncomingBytes/IncomingRecords datapoints",
    )
    assert advice(steady(None), mode="PROVISIONED", unknown_reason="open shard count unknown") == (
        "hold",
        "usage unknown: open shard count unknown",
    )


def test_unknown_age_does_not_block_and_says_so() -> None:
    verdict, reason = advice(steady(0.1, None), mode="PROVISIONED", shards=2)
    assert verdict == "scale_down"
    assert "iterator age unknown" in reason


def test_between_thresholds_holds() -> None:
    verdict, reason = advice(steady(0.5), mode="PROVISIONED", shards=2)
    assert verdict == "hold"
    assert "in 0 of 5" in reason and "in 0 of 60" in reason and "latest 0.50" in reason


def test_period_points_align_to_the_period() -> None:
    minutes = [(1_200.0 + 60.0 * k, 10.0 + k) for k in range(12)]  # 20:00 .. 31:00 past the epoch
    assert period_points(minutes, 300, now_ts=1_200.0 + 60.0 * 12) == [(1_200.0, 60.0), (1_500.0, 85.0)]
    assert period_points(minutes, 300, now_ts=1_800.0, how="max") == [(1_200.0, 14.0), (1_500.0, 19.0)]


# ---------------------------------------------------------------------------------------------
# Levels
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fraction", "expected"),
    [(None, "unknown"), (0.0, "ok"), (0.4999, "ok"), (0.5, "warn"), (0.9999, "warn"), (1.0, "critical")],
)
def test_age_level(fraction: float | None, expected: str) -> None:
    assert age_level(fraction) == expected


@pytest.mark.parametrize(
    ("usage", "expected"),
    [(None, "unknown"), (0.0, "ok"), (0.7499, "ok"), (0.75, "warn"), (0.9999, "warn"), (1.0, "critical")],
)
def test_usage_level(usage: float | None, expected: str) -> None:
    assert usage_level(usage) == expected


# ---------------------------------------------------------------------------------------------
# One reader's lag: how fast it grows, and whether the reader is stalled
# ---------------------------------------------------------------------------------------------


def minutes(values: list[float], start: float = 1_000_020.0) -> list[tuple[float, float]]:
    return [(start + 60.0 * k, v) for k, v in enumerate(values)]


def test_lag_growth_is_the_recent_slope_in_ms_per_second() -> None:
    # Flat for an hour, then 60 s more behind every minute for the last five: the window's slope.
    points = minutes([1000.0] * 60 + [1000.0 + 60_000.0 * k for k in range(1, 6)])
    assert lag_growth(points) == rel(1000.0)
    assert lag_growth(minutes([9.0, 8.0])) is None  # too few points
    assert lag_growth([]) is None
    assert lag_growth(minutes([5000.0 - 100.0 * k for k in range(6)])) == rel(-100.0 / 60.0)


@pytest.mark.parametrize(
    ("values", "stalled"),
    [
        # 60 s behind more every minute for three minutes, already four minutes behind.
        ([5000.0, 5000.0, 65_000.0, 125_000.0, 185_000.0, 245_000.0], True),
        # The same pace for only two minutes.
        ([5000.0, 5000.0, 5000.0, 5000.0, 65_000.0, 125_000.0], False),
        # A third of time's pace: slow, still reading.
        ([20_000.0 * k for k in range(30)], False),
        # Half of time's pace for three minutes.
        ([0.0, 30_000.0, 60_000.0, 90_000.0, 120_000.0, 150_000.0], False),
        # 0.9 ms per ms is the line.
        ([STALL_MIN_BEHIND_MS + 54_000.0 * k for k in range(4)], True),
        ([STALL_MIN_BEHIND_MS + 53_999.0 * k for k in range(4)], False),
        # It read again in its last minute.
        ([60_000.0 * k for k in range(10)] + [480_000.0], False),
        ([], False),
    ],
)
def test_a_reader_is_stalled_when_its_lag_grows_as_fast_as_time_for_three_minutes(
    values: list[float], stalled: bool
) -> None:
    assert is_stalled(minutes(values)) is stalled


def test_a_stalled_reader_grows_at_its_stalled_pace_not_the_windows_average() -> None:
    # Caught up for a while, then stalled for four minutes: time's pace, 1,000 ms per second.
    points = minutes([5_000.0, 5_000.0, 5_000.0, 65_000.0, 125_000.0, 185_000.0, 245_000.0])
    assert is_stalled(points)
    assert stalled_growth(points) == rel(1000.0)
    assert (lag_growth(points) or 0.0) < 1000.0  # the window's slope mixes in the minutes before
    assert stalled_growth(minutes([5_000.0, 5_000.0, 5_000.0])) is None


def test_a_missing_minute_is_one_longer_step() -> None:
    points = minutes([0.0, 60_000.0, 120_000.0, 180_000.0, 240_000.0])
    del points[2]
    assert is_stalled(points) is True


def test_a_stream_refusing_writes_is_critical_even_just_under_full() -> None:
    from tui.aws.kinesis_math import usage_level

    assert usage_level(0.995) == "warn"
    assert usage_level(0.995, throttled_share=0.66) == "critical"
    assert usage_level(0.995, throttled_share=0.02) == "warn", "a near-full stream's retried bursts"
    assert usage_level(0.5, throttled_share=0.5) == "ok", "refused bursts on a quiet stream are not its usage"


def test_the_refused_share_is_taken_over_the_latest_five_minutes() -> None:
    from tui.aws.kinesis_math import throttled_share

    accepted = {60.0 * m: 57_000.0 for m in range(10)}
    # A near-full stream refusing one second's burst (1.7% of one minute) now and then is not
    # refusing its writes: over five minutes it is well under 1%.
    spike = {60.0 * 8: 1_000.0}
    share = throttled_share(spike, accepted)
    assert share is not None and share < 0.01
    # Each of the latest five minutes counts.
    sustained = {60.0 * m: 1_000.0 for m in range(5, 10)}
    assert throttled_share(sustained, accepted) == pytest.approx(5_000 / (5_000 + 5 * 57_000))
    # Minutes older than the window do not count; a minute with writes and no throttled point
    # refused none; nothing known is None.
    assert throttled_share({60.0 * 2: 90_000.0}, accepted) == 0.0
    assert throttled_share({}, accepted) is None
    assert throttled_share(spike, {}) is None
