"""Durations read from text: the one parser of the durations people write ("90s", "5m", "1h30m") and
the one parser of ISO 8601 durations (FIS action parameters such as ``PT10M``).

How durations are written back is ``tui.common.timefmt``'s.
"""

from __future__ import annotations

import re
from typing import Any

_PART = re.compile(r"(\d+(?:\.\d+)?)([hms])")
_ISO_UNITS = {"D": 86400.0, "H": 3600.0, "M": 60.0, "S": 1.0}


class DurationError(ValueError):
    """A value that is not a duration; the message names ``what`` and says why."""


def parse_duration(value: Any, *, what: str = "a duration", allow_zero: bool = False) -> float:
    """Seconds in "90s", "5m", "1h30m", "2h", "1.5m", "90" or a number; DurationError otherwise.

    ``what`` names the value in the error ("--duration", "fault 2: at"); zero is refused unless
    ``allow_zero``. Callers that report their own exception type wrap DurationError in it.
    """
    if isinstance(value, bool):
        raise DurationError(f"{what} must be a duration such as 90s, 5m or 1h30m, not {value!r}")
    if isinstance(value, int | float):
        seconds = float(value)
    elif isinstance(value, str):
        seconds = _text_seconds(value, what)
    else:
        raise DurationError(f"{what} must be a duration such as 90s, 5m or 1h30m, not {value!r}")
    if seconds != seconds or seconds in (float("inf"), float("-inf")):
        raise DurationError(f"{what} {value!r} is not a finite duration")
    if seconds < 0 or (seconds == 0 and not allow_zero):
        raise DurationError(f"{what} must be {'0 or more' if allow_zero else 'above 0'}, not {value!r}")
    return seconds


def _text_seconds(value: str, what: str) -> float:
    text = value.strip().lower().replace(" ", "")
    try:
        return float(text)
    except ValueError:
        pass
    parts = _PART.findall(text)
    if not text or "".join(n + u for n, u in parts) != text:
        raise DurationError(f"{what} {value!r} is not a duration: write it like 90s, 5m or 1h30m")
    units = [u for _, u in parts]
    if len(set(units)) != len(units) or units != sorted(units, key="hms".index):
        raise DurationError(f"{what} {value!r} is not a duration: give hours, minutes, seconds once each")
    return sum(float(n) * {"h": 3600.0, "m": 60.0, "s": 1.0}[u] for n, u in parts)


def iso_duration_seconds(value: str) -> float | None:
    """Seconds in an ISO 8601 duration such as PT10M, PT1H30M, PT0.5S or P1D (0.0 for PT0S); None when
    it is not one. Months and years are refused: they have no fixed length."""
    text = value.strip().upper()
    if not text.startswith("P"):
        return None
    total = 0.0
    number = ""
    in_time = False
    seen = False
    for char in text[1:]:
        if char == "T":
            in_time = True
            continue
        if char.isdigit() or char == ".":
            number += char
            continue
        if not number or char not in _ISO_UNITS or (char == "M" and not in_time) or (char == "D" and in_time):
            return None
        try:
            total += float(number) * _ISO_UNITS[char]
        except ValueError:  # "1.2.3"
            return None
        number = ""
        seen = True
    return total if seen and not number else None
