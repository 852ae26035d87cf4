"""The one parser of the durations people write and the one parser of ISO 8601 durations."""

from __future__ import annotations

from typing import Any

import pytest

from tui.common.durations import DurationError, iso_duration_seconds, parse_duration


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("90s", 90.0),
        ("5m", 300.0),
        ("1h30m", 5400.0),
        ("2h", 7200.0),
        ("1.5m", 90.0),
        ("45", 45.0),
        (12, 12.0),
    ],
)
def test_durations(text: Any, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("5 minutes", "is not a duration: write it like 90s, 5m or 1h30m"),
        ("30m1h", "give hours, minutes, seconds once each"),
        ("5m5m", "give hours, minutes, seconds once each"),
        ("", "is not a duration"),
        (True, "must be a duration"),
        (-3, "must be above 0"),
        (0, "must be above 0"),
        ("inf", "not a finite duration"),
    ],
)
def test_bad_durations_say_why(text: Any, message: str) -> None:
    with pytest.raises(DurationError, match=message):
        parse_duration(text)


def test_the_error_names_what_was_read_and_is_a_value_error() -> None:
    with pytest.raises(ValueError, match=r"^--duration '5x' is not a duration"):
        parse_duration("5x", what="--duration")


def test_zero_only_when_allowed() -> None:
    assert parse_duration("0s", allow_zero=True) == 0.0
    with pytest.raises(DurationError, match="must be 0 or more"):
        parse_duration(-1, allow_zero=True)


def test_iso_durations() -> None:
    assert iso_duration_seconds("PT10M") == 600
    assert iso_duration_seconds("PT1H30M") == 5400
    assert iso_duration_seconds("P1D") == 86400
    assert iso_duration_seconds("P1DT2H") == 93600
    assert iso_duration_seconds("PT0.5S") == 0.5
    assert iso_duration_seconds("pt2m") == 120
    assert iso_duration_seconds("PT0S") == 0.0
    assert iso_duration_seconds("10 minutes") is None
    assert iso_duration_seconds("P1M") is None  # months are not a fixed length
    assert iso_duration_seconds("PT1D") is None
    assert iso_duration_seconds("PT") is None
    assert iso_duration_seconds("PT1.2.3S") is None
    assert iso_duration_seconds("PT5") is None
