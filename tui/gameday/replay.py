"""Playback of a recording: a virtual clock over its entries, with pause, step, seek and speed.

Pure and UI-free: the console's replay driver asks ``advance`` for what to show as wall time
passes, and ``state_at`` for the latest snapshot of each pane and the journal up to a moment.

A followed recording (``warroom replay --follow``) grows while it plays: ``extend`` adds the lines
its writer appended, and while ``live`` the position stays at the newest of them. Moving back in
time leaves live; playing on until the newest entry, or ``go_live``, comes back to it.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from tui.gameday.events import JournalEvent

SPEEDS: tuple[float, ...] = (0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0)
"""The speeds ``faster`` and ``slower`` step through (recorded seconds per wall second)."""


@dataclass(frozen=True)
class Delivery:
    """What playback hands the console: snapshots per pane and journal events, in recorded order."""

    snapshots: tuple[tuple[str, Any], ...]
    events: tuple[JournalEvent, ...]
    rewound: bool = False
    """True after a backwards seek: the console must rebuild its journal from ``state_at``."""


class Playback:
    """Plays ``entries`` (objects with ``at``, ``kind`` "snapshot"|"event", ``pane``, ``snapshot``,
    ``event``; in time order) on a virtual clock."""

    def __init__(self, entries: Sequence[Any], *, speed: float = 1.0, follow: bool = False) -> None:
        ordered = sorted(enumerate(entries), key=lambda pair: (pair[1].at, pair[0]))
        self.entries: list[Any] = [entry for _, entry in ordered]
        self._times: list[datetime] = [entry.at for entry in self.entries]
        self._snapshot_times: list[datetime] = sorted({e.at for e in self.entries if e.kind == "snapshot"})
        if not self.entries and not follow:
            raise ValueError("the recording has nothing to play: no snapshots and no events")
        self.follow = follow
        """The recording is still being written: ``extend`` adds to it."""
        self.live = follow
        """Following the writer: the position is the newest entry, and moves with it."""
        self.start: datetime = self._times[0] if self._times else datetime.min.replace(tzinfo=UTC)
        self.end: datetime = self._times[-1] if self._times else self.start
        self.position: datetime = self.end if follow else self.start
        self._next = 0
        self._late: list[Any] = []
        """Entries added behind the position (a writer's clock stepped back): delivered next."""
        self.paused = False
        self.speed = speed if speed > 0 else 1.0

    # -- reading ------------------------------------------------------------------------------

    @property
    def empty(self) -> bool:
        return not self.entries

    @property
    def behind_live(self) -> float:
        """Recorded seconds between the position and the newest entry."""
        return max(0.0, (self.end - self.position).total_seconds())

    @property
    def finished(self) -> bool:
        return self._next >= len(self.entries)

    @property
    def delivered(self) -> int:
        """How many entries are at or before the position."""
        return self._next

    def now(self) -> datetime:
        return self.position

    def state_at(self) -> tuple[dict[str, Any], list[JournalEvent]]:
        """The latest snapshot of each pane and every journal event up to the position."""
        latest: dict[str, Any] = {}
        events: list[JournalEvent] = []
        for entry in self.entries[: self._next]:
            if entry.kind == "snapshot" and entry.snapshot is not None:
                latest[entry.pane] = entry.snapshot
            elif entry.kind == "event" and entry.event is not None:
                events.append(entry.event)
        return latest, events

    def latest(self, pane: str) -> Any | None:
        for entry in reversed(self.entries[: self._next]):
            if entry.kind == "snapshot" and entry.pane == pane and entry.snapshot is not None:
                return entry.snapshot
        return None

    # -- growing ------------------------------------------------------------------------------

    def extend(self, entries: Sequence[Any]) -> None:
        """Add entries the writer appended (a followed recording). Live, the position moves to the
        newest on the next ``advance``; entries dated before the position are delivered then too."""
        if not entries:
            return
        was_empty = not self.entries
        for entry in entries:
            if self._times and entry.at < self._times[-1]:
                index = bisect.bisect_right(self._times, entry.at)
                if index < self._next:
                    self._late.append(entry)
                    self._next += 1
                self.entries.insert(index, entry)
                self._times.insert(index, entry.at)
            else:
                self.entries.append(entry)
                self._times.append(entry.at)
            if entry.kind == "snapshot":
                bisect.insort(self._snapshot_times, entry.at)
        self.start = self._times[0]
        self.end = self._times[-1]
        if was_empty:
            self.position = self.start

    def go_live(self) -> Delivery:
        """Back to the newest entry, following the writer again."""
        self.live = True
        self.paused = False
        return self.seek(self.end, leave_live=False)

    # -- moving -------------------------------------------------------------------------------

    def _deliver_until(self, moment: datetime) -> Delivery:
        end = bisect.bisect_right(self._times, moment)
        snapshots: list[tuple[str, Any]] = []
        events: list[JournalEvent] = []
        late, self._late = self._late, []
        for entry in [*late, *self.entries[self._next : end]]:
            if entry.kind == "snapshot" and entry.snapshot is not None:
                snapshots.append((entry.pane, entry.snapshot))
            elif entry.kind == "event" and entry.event is not None:
                events.append(entry.event)
        self._next = max(self._next, end)
        return Delivery(tuple(snapshots), tuple(events))

    def advance(self, wall_seconds: float) -> Delivery:
        """Move the clock by ``wall_seconds`` times the speed (nothing while paused or at the end).
        Live, to the newest entry; a followed recording played up to its newest entry goes live."""
        if self.live and not self.paused:
            self.position = max(self.position, self.end)
            return self._deliver_until(self.position)
        if self.paused or wall_seconds <= 0 or not self.entries:
            return Delivery((), ())
        target = self.position + timedelta(seconds=wall_seconds * self.speed)
        if target >= self.end:
            target = self.end
            if self.follow:
                self.live = True
            else:
                self.paused = True
        self.position = target
        return self._deliver_until(target)

    def seek(self, moment: datetime, *, leave_live: bool = True) -> Delivery:
        """Jump to ``moment`` (clamped to the recording). Backwards, the delivery says ``rewound``
        and carries the state at the new position. Any seek leaves live but one to the newest entry."""
        if not self.entries:
            return Delivery((), ())
        moment = min(max(moment, self.start), self.end)
        if leave_live and self.follow:
            self.live = moment >= self.end and not self.paused
        if moment >= self.position:
            self.position = moment
            return self._deliver_until(moment)
        self.position = moment
        self._next = bisect.bisect_right(self._times, moment)
        self._late = []
        latest, events = self.state_at()
        # A pane not yet polled at that moment shows its first poll rather than keeping a later one.
        for entry in self.entries:
            if entry.kind == "snapshot" and entry.snapshot is not None and entry.pane not in latest:
                latest[entry.pane] = entry.snapshot
        return Delivery(tuple(latest.items()), tuple(events), rewound=True)

    def step(self) -> Delivery:
        """Forward to the next recorded poll (and every event before it)."""
        i = bisect.bisect_right(self._snapshot_times, self.position)
        target = self._snapshot_times[i] if i < len(self._snapshot_times) else self.end
        return self.seek(target)

    def step_back(self) -> Delivery:
        """Back to the previous recorded poll."""
        i = bisect.bisect_left(self._snapshot_times, self.position) - 1
        target = self._snapshot_times[i] if i >= 0 else self.start
        return self.seek(target)

    def faster(self) -> float:
        bigger = [s for s in SPEEDS if s > self.speed]
        self.speed = bigger[0] if bigger else self.speed
        return self.speed

    def slower(self) -> float:
        smaller = [s for s in SPEEDS if s < self.speed]
        self.speed = smaller[-1] if smaller else self.speed
        return self.speed

    def toggle(self) -> bool:
        """Pause or play; playing at the end starts again from the beginning (a followed recording
        has no end: it goes on live). Pausing a followed recording leaves live."""
        if self.paused and self.position >= self.end and not self.follow:
            self.position = self.start
            self._next = 0
        self.paused = not self.paused
        if self.follow:
            self.live = not self.paused and self.position >= self.end
        return self.paused
