"""How the Alarms pane and an alarm's view draw an alarm: its row, its state, how long it has been in it,
whether its actions are muted, what it watches, and the filter over them (plain data, no widgets)."""

from __future__ import annotations

import textwrap
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from tui.aws.actions.alarms import Mute, MuteBook
from tui.aws.alarms import AlarmsSnapshot
from tui.aws.alarms_model import (
    ALARM,
    INSUFFICIENT_DATA,
    STATE_SHORT,
    STATE_SYMBOL,
    STATE_WORD,
    STATES,
    Alarm,
    resource_text,
    search_text,
    short_text,
)
from tui.common.timefmt import age_text, clock_text, one_unit_age_text
from widgets.gauge import Fragment
from widgets.safe import clean
from widgets.vtable import Column, TableRow

PANES_OF = {"instance": "Limits", "volume": "Limits", "stream": "Kinesis"}
"""The pane that shows each kind of resource an alarm watches (``w`` jumps there)."""
ACTIONS = ("muted", "enabled")
"""The values of the "muted" facet."""
ROLE = {ALARM: "critical", INSUFFICIENT_DATA: "warn", "OK": "ok"}


def columns_for(width: int) -> tuple[Column, ...]:
    """Every column from 150 cells (the reason among them); at 80 the reason is in the strip below."""
    if width >= 150:
        return (
            Column("state", "STATE", 14),
            Column("name", "ALARM", 30),
            Column("metric", "METRIC OR EXPRESSION · CONDITION", 44, flex=True),
            Column("for", "IN STATE", 8, align="right"),
            Column("reason", "REASON", 30, flex=True),
            Column("actions", "ACTIONS", 9),
            Column("resource", "WATCHES", 24),
        )
    if width >= 110:
        return (
            Column("state", "STATE", 8),
            Column("name", "ALARM", 20, flex=True),
            Column("metric", "METRIC OR EXPRESSION · CONDITION", 30, flex=True),
            Column("for", "IN STATE", 8, align="right"),
            Column("actions", "ACTIONS", 7),
            Column("resource", "WATCHES", 20),
        )
    return (
        Column("state", "STATE", 7),
        Column("name", "ALARM", 14, flex=True),
        Column("metric", "METRIC · CONDITION", 18, flex=True),
        Column("for", "FOR", 4, align="right"),
        Column("actions", "ACT", 5),
        Column("resource", "WATCHES", 12),
    )


def state_cell(state: str, width: int) -> list[Fragment]:
    """``✖ ALARM``, ``? INSUFFICIENT`` (``? INSUF`` when narrow), ``✓ OK``: symbol and word."""
    word = STATE_WORD.get(state, state) if width >= 14 else STATE_SHORT.get(state, state)
    return [(f"{STATE_SYMBOL.get(state, '?')} {word}", ROLE.get(state, "unknown"))]


def in_state(alarm: Alarm, now: datetime, width: int = 8) -> str:
    """How long the alarm has been in its state: ``12m30s``, ``3h05m``; in one unit when narrow;
    "?" when AWS did not say."""
    since = alarm.since
    if since is None:
        return "?"
    seconds = (now - since).total_seconds()
    return age_text(seconds) if width >= 7 else one_unit_age_text(seconds)


def actions_cell(alarm: Alarm, mute: Mute | None, width: int) -> str | list[Fragment]:
    """``on``, ``⊘ muted`` (by anyone), ``none`` when it has no actions at all; unknown as "?"."""
    if alarm.actions_enabled is None:
        return "?"
    if alarm.muted:
        text = "⊘ muted" if width >= 7 else "⊘ mut"
        return [(text, "warn" if mute is None else "mark")]
    return "on" if alarm.actions else "none"


def resource_cell(alarm: Alarm) -> str:
    return alarm.resource.id if alarm.resource is not None else ""


def row_for(
    alarm: Alarm, columns: Sequence[Column], now: datetime, *, selected: bool, mute: Mute | None
) -> TableRow:
    cells: list[str | list[Fragment]] = []
    for col in columns:
        key = col.key
        if key == "state":
            cells.append(state_cell(alarm.state, col.width))
        elif key == "name":
            cells.append(alarm.name)
        elif key == "metric":
            cells.append(short_text(alarm))
        elif key == "for":
            cells.append(in_state(alarm, now, col.width))
        elif key == "reason":
            cells.append(alarm.state_reason)
        elif key == "actions":
            cells.append(actions_cell(alarm, mute, col.width))
        elif key == "resource":
            cells.append(resource_cell(alarm))
        else:
            cells.append("")
    # The state cell has the state's symbol: the marker column shows the selection only.
    return TableRow(alarm.key, tuple(cells), level="mark" if selected else "")


# ---------------------------------------------------------------------------------------------
# The filter: text typed, and the state and "muted" facets
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AlarmFilter:
    """What the pane lists: alarms whose text holds ``text`` (every word of it), in one of
    ``states`` and one of ``actions`` ("muted", "enabled"); an empty facet lets every value through."""

    text: str = ""
    states: frozenset[str] = field(default_factory=frozenset)
    actions: frozenset[str] = field(default_factory=frozenset)

    def matches(self, alarm: Alarm) -> bool:
        if self.states and alarm.state not in self.states:
            return False
        if self.actions and ("muted" if alarm.muted else "enabled") not in self.actions:
            return False
        words = self.text.lower().split()
        if not words:
            return True
        haystack = search_text(alarm)
        return all(word in haystack for word in words)

    def values(self, facet: str) -> frozenset[str]:
        """The values chosen in ``facet`` ("state" or "actions"); none lets every value through."""
        return self.states if facet == "state" else self.actions

    def toggled(self, facet: str, value: str) -> AlarmFilter:
        chosen = set(self.values(facet))
        chosen ^= {value}
        if facet == "state":
            return replace(self, states=frozenset(chosen))
        return replace(self, actions=frozenset(chosen))

    @property
    def facets_text(self) -> str:
        """``state ALARM,OK · muted`` for the summary line; "" with no facet set."""
        parts = []
        if self.states:
            parts.append("state " + ",".join(s for s in STATES if s in self.states))
        if self.actions:
            parts.append(" or ".join(a for a in ACTIONS if a in self.actions))
        return " · ".join(parts)


def facet_counts(alarms: Iterable[Alarm]) -> list[tuple[str, str, int]]:
    """(facet, value, count) of every facet value, in the pane's order."""
    listed = list(alarms)
    out = [("state", state, sum(1 for a in listed if a.state == state)) for state in STATES]
    out.append(("actions", "muted", sum(1 for a in listed if a.muted)))
    out.append(("actions", "enabled", sum(1 for a in listed if not a.muted)))
    return out


def summary(snapshot: AlarmsSnapshot, shown: int) -> str:
    """``3 in ALARM · 1 insufficient · 12 OK · 2 muted · 18 alarms, 18 shown``."""
    alarms = snapshot.alarms
    counts = {state: sum(1 for a in alarms if a.state == state) for state in STATES}
    muted = sum(1 for a in alarms if a.muted)
    parts = [f"{STATE_SYMBOL[ALARM]} {counts[ALARM]} in ALARM"]
    parts.append(f"{STATE_SYMBOL[INSUFFICIENT_DATA]} {counts[INSUFFICIENT_DATA]} insufficient")
    parts.append(f"{STATE_SYMBOL['OK']} {counts['OK']} OK")
    if muted:
        parts.append(f"⊘ {muted} muted")
    total = len(alarms)
    parts.append(f"{total} alarm{'s' if total != 1 else ''}" + (f", {shown} shown" if shown != total else ""))
    return " · ".join(parts)


def mute_text(mute: Mute | None, now: datetime) -> str:
    """``muted by this console: 12:04 left (load test)``, or ``muted`` for one someone else muted."""
    if mute is None:
        return "muted (not by this console)"
    left = (mute.until - now).total_seconds()
    when = f"{clock_text(left)} left" if left > 0 else f"{clock_text(-left)} over"
    return f"muted by this console: {when} ({mute.reason})"


def watches_text(alarm: Alarm) -> str:
    """``watches instance i-1 (g: Limits)``; "" when its dimensions name nothing."""
    if alarm.resource is None:
        return ""
    pane = PANES_OF.get(alarm.resource.kind)
    jump = f" (w: {pane})" if pane else ""
    return f"watches {resource_text(alarm.resource)}{jump}"


def reason_lines(reason: str, width: int, lines: int) -> list[str]:
    """The reason in at most ``lines`` lines of ``width`` cells, the last ending in "…" when cut."""
    words = textwrap.wrap(clean(reason), width) or ["(no reason given)"]
    if len(words) <= lines:
        return words
    kept = words[:lines]
    kept[-1] = kept[-1][: max(0, width - 1)].rstrip() + "…"
    return kept


def mute_of(book: MuteBook | None, alarm: Alarm) -> Mute | None:
    return book.get(alarm.key) if book is not None else None
