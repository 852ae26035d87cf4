"""The Limits poller's per-series history: what a read's points add to it."""

from __future__ import annotations

from tui.aws.limits import History
from tui.aws.metrics import Series


def points(history: History, key: str) -> list[tuple[float, float]]:
    return sorted(history.points_after(key, 0.0))


def test_a_reads_newer_points_are_added_oldest_first_and_scaled() -> None:
    history = History(points=4)
    history.add("k", 60.0, 1.0)
    # Newest first, as CloudWatch answers (TimestampDescending): the held point comes again.
    history.add_newer("k", Series([240.0, 180.0, 120.0, 60.0], [8.0, 6.0, 4.0, 2.0]), scale=0.5)
    assert points(history, "k") == [(60.0, 1.0), (120.0, 2.0), (180.0, 3.0), (240.0, 4.0)]
    history.add_newer("k", Series([300.0, 240.0], [10.0, 99.0]))
    assert points(history, "k") == [(120.0, 2.0), (180.0, 3.0), (240.0, 4.0), (300.0, 10.0)]


def test_nothing_newer_adds_nothing() -> None:
    history = History()
    history.add_newer("k", None)
    history.add_newer("k", Series([], []))
    assert history.latest("k") is None
    history.add("k", 120.0, 1.0)
    history.add_newer("k", Series([120.0, 60.0], [5.0, 4.0]))
    assert points(history, "k") == [(120.0, 1.0)]


def test_points_out_of_order_are_added_in_time_order() -> None:
    history = History()
    history.add_newer("k", Series([120.0, 180.0, 60.0], [2.0, 3.0, 1.0]))
    assert points(history, "k") == [(60.0, 1.0), (120.0, 2.0), (180.0, 3.0)]
