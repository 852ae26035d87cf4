"""The detail view's charts cut a series where AWS published nothing for a period or more."""

from __future__ import annotations

from tui.aws.limits_history import segments


def test_a_gap_of_a_period_or_more_cuts_the_series() -> None:
    minute = [(60.0 * k, float(k)) for k in (0, 1, 2, 5, 6, 9)]
    assert segments(tuple(minute), 60) == [
        ((0.0, 0.0), (60.0, 1.0), (120.0, 2.0)),
        ((300.0, 5.0), (360.0, 6.0)),
        ((540.0, 9.0),),
    ]


def test_points_a_period_apart_stay_one_line() -> None:
    five = tuple((300.0 * k, 1.0) for k in range(6))
    assert segments(five, 300) == [five]
    assert segments(five, 60) == [(p,) for p in five]  # five-minute points read as one-minute data
    assert segments((), 60) == []
