"""Playback: the virtual clock of `warroom replay` (pause, step, seek and speed)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tui.gameday import events as ev
from tui.gameday.events import JournalEvent
from tui.gameday.replay import Playback

T0 = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Entry:
    at: datetime
    kind: str
    pane: str = ""
    snapshot: Any = None
    event: JournalEvent | None = None


def snap(seconds: float, pane: str, value: int) -> Entry:
    return Entry(T0 + timedelta(seconds=seconds), "snapshot", pane, {"value": value})


def note(seconds: float, text: str) -> Entry:
    at = T0 + timedelta(seconds=seconds)
    return Entry(at, "event", event=JournalEvent(at=at, kind=ev.NOTE, source="person", text=text))


ENTRIES = [
    snap(0, "limits", 1),
    snap(0, "kinesis", 10),
    note(20, "first"),
    snap(30, "limits", 2),
    note(45, "second"),
    snap(60, "limits", 3),
    snap(60, "kinesis", 11),
]


def test_advance_delivers_in_order_at_the_chosen_speed() -> None:
    playback = Playback(ENTRIES, speed=10.0)
    first = playback.seek(playback.start)
    assert [s for _, s in first.snapshots] == [{"value": 1}, {"value": 10}]
    nothing = playback.advance(1.0)  # ten recorded seconds
    assert nothing.snapshots == () and nothing.events == ()
    more = playback.advance(2.0)  # to 30 s
    assert [e.text for e in more.events] == ["first"]
    assert [s for _, s in more.snapshots] == [{"value": 2}]
    assert playback.now() == T0 + timedelta(seconds=30)


def test_pause_holds_the_clock_and_the_end_pauses() -> None:
    playback = Playback(ENTRIES)
    playback.seek(playback.start)
    playback.toggle()
    assert playback.paused
    assert playback.advance(100.0).snapshots == ()
    assert playback.now() == T0
    playback.toggle()
    rest = playback.advance(100.0)
    assert [s["value"] for _, s in rest.snapshots] == [2, 3, 11]
    assert playback.paused and playback.finished and playback.now() == playback.end
    # Playing again at the end starts over.
    playback.toggle()
    assert playback.now() == playback.start and not playback.paused


def test_seek_back_rewinds_to_the_state_at_that_moment() -> None:
    playback = Playback(ENTRIES)
    playback.seek(playback.end)
    back = playback.seek(T0 + timedelta(seconds=40))
    assert back.rewound
    assert dict(back.snapshots) == {"limits": {"value": 2}, "kinesis": {"value": 10}}
    assert [e.text for e in back.events] == ["first"]
    assert playback.latest("limits") == {"value": 2}


def test_seeking_back_before_a_panes_first_poll_shows_that_first_poll() -> None:
    entries = [note(0, "start"), snap(10, "limits", 1), snap(20, "kinesis", 10), snap(30, "kinesis", 11)]
    playback = Playback(entries)
    playback.seek(playback.end)
    back = playback.seek(T0 + timedelta(seconds=5))
    assert dict(back.snapshots) == {"limits": {"value": 1}, "kinesis": {"value": 10}}


def test_step_moves_poll_by_poll_and_clamps() -> None:
    playback = Playback(ENTRIES)
    playback.seek(playback.start)
    step = playback.step()
    assert playback.now() == T0 + timedelta(seconds=30)
    assert [s["value"] for _, s in step.snapshots] == [2]
    playback.step()
    assert playback.now() == T0 + timedelta(seconds=60)
    playback.step()
    assert playback.now() == playback.end
    playback.step_back()
    assert playback.now() == T0 + timedelta(seconds=30)
    playback.seek(T0 - timedelta(hours=1))
    assert playback.now() == playback.start


def test_speed_steps_through_the_known_speeds() -> None:
    playback = Playback(ENTRIES, speed=1.0)
    assert playback.faster() == 2.0
    assert playback.faster() == 5.0
    assert playback.slower() == 2.0
    for _ in range(20):
        playback.slower()
    assert playback.speed == 0.5


def test_an_empty_recording_is_refused() -> None:
    with pytest.raises(ValueError, match="nothing to play"):
        Playback([])
