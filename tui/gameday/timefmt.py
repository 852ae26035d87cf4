"""How game-day times read everywhere: the journal, the header timer, the facilitator, the
replay badge, the simulator's tables and the report."""

from __future__ import annotations


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


def duration_text(seconds: float) -> str:
    """``45s``, ``12m30s``, ``25m``, ``1h05m``, ``1h05m10s``."""
    whole = round(abs(seconds))
    if whole < 60:
        return f"{whole}s"
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    tail = f"{secs:02d}s" if secs else ""
    if hours:
        return f"{hours}h{minutes:02d}m{tail}"
    return f"{minutes}m{tail}"
