"""Faults as the journal tells them: each ``fault.started`` paired with its ``fault.ended``.

The report reads a whole recording this way, and the wall reads the journal as it grows (and again
from the start when a replay seeks backwards), so live and replayed the same events give the same
faults. Nothing here reads the simulator: a fault is what FIS said started and ended.

A fault's events name it by its FIS experiment id (``ref``); events without one (an older journal)
name it by the catalogue fault and its target. A second start of a fault still running is the
same fault; an end with no start before it (a journal that begins mid-fault) ends nothing.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from tui.gameday.events import FAULT_ENDED, FAULT_STARTED, JournalEvent


@dataclass
class Occurrence:
    """One fault that started, and its end once the journal has it."""

    start: JournalEvent
    fault: str
    """The catalogue fault id ("" for an experiment of a template that names none)."""
    target: str
    end: JournalEvent | None = None

    @property
    def active(self) -> bool:
        return self.end is None

    @property
    def speed(self) -> float:
        """Scenario seconds per wall second, as the fault's start says (1 outside a rehearsal)."""
        try:
            speed = float(self.start.detail.get("speed", "") or 1.0)
        except ValueError:
            return 1.0
        return speed if speed > 0 else 1.0

    def active_s(self, now: datetime) -> float:
        """How long it has been active at ``now`` (or lasted, once ended), in scenario time."""
        until = self.end.at if self.end is not None else now
        return max(0.0, (until - self.start.at).total_seconds()) * self.speed


def target_of(event: JournalEvent) -> str:
    """The resource a fault event names."""
    return event.resource or event.detail.get("target", "")


def same_fault(occ: Occurrence, event: JournalEvent) -> bool:
    """Whether ``event`` is about ``occ``: the same experiment, or (without ids) the same fault on the
    same target."""
    if occ.start.ref and event.ref:
        return occ.start.ref == event.ref
    target = target_of(event)
    return occ.fault == event.fault and (not occ.target or not target or occ.target == target)


def occurrences(events: Iterable[JournalEvent]) -> list[Occurrence]:
    """Each fault that started, in the order of ``events`` (time order), paired with its end."""
    found: list[Occurrence] = []
    running: list[Occurrence] = []
    for event in events:
        if event.kind == FAULT_STARTED:
            if any(same_fault(occ, event) for occ in running):
                continue
            occ = Occurrence(event, event.fault, target_of(event))
            found.append(occ)
            running.append(occ)
        elif event.kind == FAULT_ENDED:
            match = next((occ for occ in running if same_fault(occ, event)), None)
            if match is not None:
                match.end = event
                running.remove(match)
    return found


def _order(event: JournalEvent) -> tuple[datetime, int]:
    # At one moment a start comes before an end, whichever the journal received first.
    return (event.at, 0 if event.kind == FAULT_STARTED else 1)


class FaultLog:
    """The faults of a journal that grows: ``update`` takes each event as the journal's topic
    publishes it, and None to read the whole journal again from ``history`` (a replay that seeked
    backwards). Only fault events are kept, in time order: a start read from FIS after the
    detections it caused still sorts before them."""

    def __init__(self, history: Callable[[], Sequence[JournalEvent]]) -> None:
        self._history = history
        self._events: list[JournalEvent] = []
        self._keys: list[tuple[datetime, int]] = []
        self._found: list[Occurrence] | None = None
        self.reload()

    def reload(self) -> None:
        """Read every event of the journal again."""
        kept = sorted((e for e in self._history() if e.kind in (FAULT_STARTED, FAULT_ENDED)), key=_order)
        self._events = kept
        self._keys = [_order(e) for e in kept]
        self._found = None

    def update(self, event: JournalEvent | None) -> bool:
        """Take one more event (None: read them all again); True when the faults may have changed."""
        if event is None:
            self.reload()
            return True
        if event.kind not in (FAULT_STARTED, FAULT_ENDED):
            return False
        key = _order(event)
        index = bisect.bisect_right(self._keys, key)
        self._keys.insert(index, key)
        self._events.insert(index, event)
        self._found = None
        return True

    @property
    def all(self) -> list[Occurrence]:
        """Every fault that started, in the order they started."""
        if self._found is None:
            self._found = occurrences(self._events)
        return self._found

    @property
    def active(self) -> list[Occurrence]:
        """The faults started and not ended, in the order they started."""
        return [occ for occ in self.all if occ.active]
