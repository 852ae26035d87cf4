"""Every time and duration format the console, the simulator and the report show, from one module."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from tui.common.timefmt import (
    age_text,
    asff_time,
    clock_text,
    compact_duration_text,
    date_time_text,
    duration_text,
    minutes_text,
    offset_text,
    one_unit_age_text,
    precise_duration_text,
    tenths_of_minutes_text,
    wall_or_date_text,
    wall_text,
    zulu_text,
)

MOMENT = datetime(2026, 11, 20, 9, 3, 7, 250_999, tzinfo=UTC)


def test_stopwatch() -> None:
    assert [clock_text(s) for s in (0, 252, 3723, -30, 59.6)] == [
        "00:00",
        "04:12",
        "1:02:03",
        "-00:30",
        "01:00",
    ]
    assert offset_text(750) == "T+12:30"
    assert offset_text(3723) == "T+1:02:03"
    assert offset_text(-30) == "T-00:30"


def test_durations_to_the_second() -> None:
    assert duration_text(750) == "12m30s"
    assert duration_text(1500) == "25m"
    assert duration_text(45) == "45s"
    assert duration_text(3900) == "1h05m"
    assert duration_text(3910) == "1h05m10s"
    assert [compact_duration_text(s) for s in (90, 3600, 3900, 0, 5400.4)] == [
        "1m30s",
        "1h",
        "1h5m",
        "0s",
        "1h30m",
    ]
    assert [precise_duration_text(s) for s in (5, 245, 1500, 35285, -3)] == [
        "5s",
        "4m05s",
        "25m00s",
        "9h48m05s",
        "0s",
    ]


def test_ages() -> None:
    assert [age_text(s) for s in (0, 59, 61, 3599, 3600, 90000, -5)] == [
        "0s",
        "59s",
        "1m01s",
        "59m59s",
        "1h00m",
        "1d01h",
        "0s",
    ]
    assert [one_unit_age_text(s) for s in (0, 119, 120, 7199, 7200, 172799, 172800)] == [
        "0s",
        "119s",
        "2m",
        "119m",
        "2h",
        "47h",
        "2d",
    ]
    coarse = {"seconds_below": 0, "minutes_below": 3600}
    assert [one_unit_age_text(s, **coarse) for s in (-1, 59, 3599, 3600, 172800)] == [
        "0m",
        "0m",
        "59m",
        "1h",
        "2d",
    ]


def test_minutes_in_words() -> None:
    assert [minutes_text(s) for s in (45, 90, 120, 630, 600)] == [
        "45 s",
        "1.5 min",
        "2 min",
        "10 min",
        "10 min",
    ]
    assert [tenths_of_minutes_text(s) for s in (30, 120, 90, 720)] == [
        "0.5 min",
        "2.0 min",
        "1.5 min",
        "12 min",
    ]


def test_moments_are_shown_in_utc() -> None:
    here = MOMENT.astimezone(timezone(timedelta(hours=2)))
    assert wall_text(here) == "09:03:07"
    assert zulu_text(here) == "09:03:07Z"
    assert date_time_text(here) == "2026-11-20 09:03:07 UTC"
    assert wall_or_date_text(here, MOMENT + timedelta(hours=1)) == "09:03:07"
    assert wall_or_date_text(here, MOMENT + timedelta(days=1)) == "11-20 09:03"
    assert asff_time(here) == "2026-11-20T09:03:07.250Z"


def test_instant_is_utc_whatever_zone_botocore_gave() -> None:
    from tui.common.timefmt import instant

    # botocore parses epoch timestamps (the JSON protocols') in the host's local zone.
    local = datetime(2026, 12, 6, 23, 0, tzinfo=timezone(timedelta(hours=2)))
    moment = instant(local)
    assert moment == local and moment is not None and moment.tzinfo == UTC
    naive = datetime(2026, 12, 6, 21, 0, tzinfo=UTC).replace(tzinfo=None)
    assert instant(naive) == datetime(2026, 12, 6, 21, 0, tzinfo=UTC)
    assert instant(1796590800) == datetime.fromtimestamp(1796590800, UTC)
    assert instant("2014-04-09T18:59:06.419+0000") == datetime(2014, 4, 9, 18, 59, 6, 419000, tzinfo=UTC)
    assert instant("not a time") is None and instant(True) is None
