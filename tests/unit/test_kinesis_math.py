"""Kinesis arithmetic: usage factor, retention fraction, iterator-age projections, the blocking term,
scaling advice at its boundaries, and the levels."""

from __future__ import annotations

import pytest

from tui.aws.kinesis_math import (
    MIB,
    PROJECTION_WINDOW_S,
    Projection,
    advice,
    age_level,
    blocking_term,
    project,
    retention_fraction,
    usage_factor,
    usage_level,
)

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


def test_scale_up_at_the_boundary() -> None:
    verdict, reason = advice(0.75, 0.0, mode="PROVISIONED", shards=1, driver="records")
    assert verdict == "scale_up"
    assert reason == "usage 0.75 of 1 shard's write capacity (records dominate) >= 0.75: double to 2 shards"
    assert advice(0.7499, 0.0, mode="PROVISIONED", shards=1)[0] == "hold"
    assert advice(0.93, None, mode="PROVISIONED", shards=4)[1] == (
        "usage 0.93 of 4 shards' write capacity >= 0.75: double to 8 shards"
    )
    assert (
        advice(0.8, 0.0, mode="PROVISIONED")[1]
        == "usage 0.80 of the shards' write capacity >= 0.75: double the shard count"
    )


def test_scale_down_at_the_boundary() -> None:
    verdict, reason = advice(0.2499, 0.0, mode="PROVISIONED", shards=4, driver="bytes")
    assert verdict == "scale_down"
    assert "usage 0.25" in reason and "(bytes dominate)" in reason and "halve to 2 shards" in reason
    assert advice(0.25, 0.0, mode="PROVISIONED", shards=4)[0] == "hold"
    assert advice(0.1, 0.0, mode="PROVISIONED", shards=3)[1].endswith("halve to 2 shards")


def test_iterator_age_blocks_scaling_down() -> None:
    verdict, reason = advice(0.12, 41 * 60_000.0, mode="PROVISIONED", shards=4)
    assert verdict == "hold"
    assert reason == "usage 0.12 but iterator age 41 min blocks scaling down (>= 30 min)"
    # Exactly the block time blocks on its own, even at zero usage.
    assert advice(0.0, 30 * 60_000.0, mode="PROVISIONED", shards=4)[0] == "hold"
    assert advice(0.0, 29.9 * 60_000.0, mode="PROVISIONED", shards=4)[0] == "scale_down"
    # Below the block time the term still adds to usage: 0.12 + 18 min x 0.25 / 30 = 0.27.
    verdict, reason = advice(0.12, 18 * 60_000.0, mode="PROVISIONED", shards=4)
    assert verdict == "hold"
    assert "0.27 >= 0.25" in reason
    # A longer block time weakens the term: 0.12 + 18 x 0.25 / 60 = 0.195.
    assert advice(0.12, 18 * 60_000.0, mode="PROVISIONED", shards=4, block_minutes=60.0)[0] == "scale_down"


def test_one_shard_cannot_halve() -> None:
    verdict, reason = advice(0.05, 0.0, mode="PROVISIONED", shards=1)
    assert verdict == "hold"
    assert "1 shard is the minimum" in reason


def test_on_demand_holds() -> None:
    assert advice(2.0, 10 * HOUR_MS, mode="ON_DEMAND", shards=4) == (
        "hold",
        "on-demand streams scale themselves",
    )
    assert advice(None, None, mode="ON_DEMAND") == ("hold", "on-demand streams scale themselves")


def test_unknown_usage_holds_and_says_why() -> None:
    assert advice(None, 0.0, mode="PROVISIONED") == (
        "hold",
        "usage unknown: no IncomingBytes/IncomingRecords datapoints",
    )
    assert advice(None, 0.0, mode="PROVISIONED", unknown_reason="open shard count unknown") == (
        "hold",
        "usage unknown: open shard count unknown",
    )


def test_unknown_age_does_not_block_and_says_so() -> None:
    verdict, reason = advice(0.1, None, mode="PROVISIONED", shards=2)
    assert verdict == "scale_down"
    assert "iterator age unknown" in reason


def test_between_thresholds_holds() -> None:
    verdict, reason = advice(0.5, 0.0, mode="PROVISIONED", shards=2)
    assert verdict == "hold"
    assert "0.50" in reason and "between 0.25 and 0.75" in reason


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
