"""How times and durations read everywhere: the panes, the header, the journal, the facilitator, the
replay badge, the simulator's tables and log, and the report.

Each function is one format, used by every place that shows it; where two places show a duration
differently on purpose (a stopwatch, a lag to the second, an age in one unit), the formats have
their own names here. Reading durations back is ``tui.common.durations``'.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

_DAY_S = 86400
_TWO_DAYS_S = 2 * _DAY_S

# ---------------------------------------------------------------------------------------------
# Stopwatch
# ---------------------------------------------------------------------------------------------


def clock_text(seconds: float) -> str:
    """A stopwatch reading: ``04:12``, ``1:02:03``, ``-00:30``."""
    sign = "-" if seconds < 0 else ""
    whole = round(abs(seconds))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{sign}{hours}:{minutes:02d}:{secs:02d}"
    return f"{sign}{minutes:02d}:{secs:02d}"


def offset_text(seconds: float) -> str:
    """Scenario (or recording) time: ``T+12:30``, ``T+1:02:03``, ``T-00:30``."""
    return f"T{'-' if seconds < 0 else '+'}{clock_text(abs(seconds))}"


# ---------------------------------------------------------------------------------------------
# Durations
# ---------------------------------------------------------------------------------------------


def duration_text(seconds: float) -> str:
    """To the second, zero seconds left out: ``45s``, ``12m30s``, ``25m``, ``1h05m``, ``1h05m10s``."""
    whole = round(abs(seconds))
    if whole < 60:
        return f"{whole}s"
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    tail = f"{secs:02d}s" if secs else ""
    if hours:
        return f"{hours}h{minutes:02d}m{tail}"
    return f"{minutes}m{tail}"


def compact_duration_text(seconds: float) -> str:
    """As people write a duration in a scenario file: 90 -> ``1m30s``, 3600 -> ``1h``, 3900 ->
    ``1h5m``, 0 -> ``0s``."""
    total = round(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [f"{hours}h" if hours else "", f"{minutes}m" if minutes else "", f"{secs}s" if secs else ""]
    return "".join(parts) or "0s"


def precise_duration_text(seconds: float) -> str:
    """To the second, every unit below the largest shown, so a lag moving by seconds is seen to move:
    ``5s``, ``4m05s``, ``25m00s``, ``9h48m05s`` (negative: ``0s``)."""
    total = max(0, int(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes:02d}m{secs:02d}s"
    return f"{minutes}m{secs:02d}s" if minutes else f"{secs}s"


def age_text(seconds: float) -> str:
    """An age in its two largest units: ``12s``, ``4m05s``, ``2h03m``, ``3d04h`` (negative: ``0s``)."""
    s = max(0, int(seconds))
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m{s % 60:02d}s"
    if s < _DAY_S:
        return f"{s // 3600}h{(s % 3600) // 60:02d}m"
    return f"{s // _DAY_S}d{(s % _DAY_S) // 3600:02d}h"


def one_unit_age_text(seconds: float, *, seconds_below: float = 120, minutes_below: float = 7200) -> str:
    """An age in one whole unit, for narrow columns: ``45s`` below ``seconds_below``, ``12m`` below
    ``minutes_below``, ``5h`` below two days, then ``3d`` (negative: ``0s``, or ``0m`` when seconds are
    never shown)."""
    s = max(0, int(seconds))
    if s < seconds_below:
        return f"{s}s"
    if s < minutes_below:
        return f"{s // 60}m"
    if s < _TWO_DAYS_S:
        return f"{s // 3600}h"
    return f"{s // _DAY_S}d"


def minutes_text(seconds: float) -> str:
    """In words, to a tenth of a minute where that matters: ``45 s``, ``2 min``, ``1.5 min``, ``12 min``."""
    if seconds < 60:
        return f"{seconds:.0f} s"
    minutes = seconds / 60.0
    return f"{minutes:.0f} min" if minutes == int(minutes) or minutes >= 10 else f"{minutes:.1f} min"


def tenths_of_minutes_text(seconds: float) -> str:
    """Always in minutes, a tenth below ten: ``0.5 min``, ``2.0 min``, ``12 min``."""
    minutes = seconds / 60.0
    return f"{minutes:.0f} min" if minutes >= 10 else f"{minutes:.1f} min"


# ---------------------------------------------------------------------------------------------
# Moments
# ---------------------------------------------------------------------------------------------


def wall_text(moment: datetime) -> str:
    """The UTC time of day: ``03:12:05``."""
    return moment.astimezone(UTC).strftime("%H:%M:%S")


def zulu_text(moment: datetime) -> str:
    """The UTC time of day, marked as UTC: ``03:12:05Z``."""
    return moment.astimezone(UTC).strftime("%H:%M:%SZ")


def wall_or_date_text(moment: datetime, now: datetime) -> str:
    """The UTC time of day, with the date when it is not today's: ``03:12:05`` or ``11-25 22:01``."""
    utc = moment.astimezone(UTC)
    if utc.date() == now.astimezone(UTC).date():
        return utc.strftime("%H:%M:%S")
    return utc.strftime("%m-%d %H:%M")


def date_time_text(moment: datetime) -> str:
    """The UTC date and time: ``2026-11-20 09:00:00 UTC``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def asff_time(moment: datetime) -> str:
    """A timestamp as Security Hub writes and filters them: ``2026-11-20T09:00:00.250Z``."""
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def instant(value: Any) -> datetime | None:
    """A timestamp as botocore parses it (a datetime: epoch values come in the host's local zone),
    or as AWS writes it in JSON (ISO 8601 text, epoch seconds), as an aware UTC datetime; naive ones
    are UTC. None when it is not one."""
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.fromtimestamp(float(value), UTC)
    if isinstance(value, str) and value:
        text = value.strip().replace("Z", "+00:00")
        # "2014-04-09T18:59:06.419+0000" (CloudWatch's HistoryData queryDate): a colon in the offset
        if re.search(r"[+-]\d{4}$", text):
            text = f"{text[:-2]}:{text[-2:]}"
        try:
            return instant(datetime.fromisoformat(text))
        except ValueError:
            return None
    return None
