"""Following a recording while it is written (`warroom replay --follow`, the watch view): the tail
reads appended lines and waits for a line in progress; the playback grows and stays live; moving
back in time leaves live and L comes back to it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.gameday.test_record import Clock, findings_series, real, small_kinesis
from tests.gameday.test_replay import T0 as REPLAY_T0
from tests.gameday.test_replay import Entry, note
from tests.gameday.test_replay import snap as replay_snap
from tui.aws.findings import FindingsSnapshot
from tui.gameday.events import JournalEvent
from tui.gameday.record import Recorder, RecordingTail, read_recording
from tui.gameday.replay import Playback
from tui.replaying import QUIET_S, ReplayDriver

T0 = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)
__all__ = ["real"]  # the session simulator's snapshots, a fixture


def kinesis_line(path: Path, n: int) -> bytes:
    """The bytes a recorder appends for one more Kinesis snapshot (header included when new)."""
    before = path.stat().st_size if path.exists() else 0
    with Recorder(path, meta={"regions": "us-east-1"}, clock=lambda: T0 + timedelta(seconds=n)) as recorder:
        recorder.snapshot("kinesis", small_kinesis(T0 + timedelta(seconds=n)))
    data = path.read_bytes()[before:]
    path.write_bytes(path.read_bytes()[:before])
    return data


# -- the tail ----------------------------------------------------------------------------------


def test_a_file_not_yet_written_is_waited_for(tmp_path: Path) -> None:
    path = tmp_path / "game.jsonl"
    tail = RecordingTail(path)
    assert tail.read() == [] and tail.waiting
    path.write_bytes(b"")
    assert tail.read() == [] and tail.waiting
    path.write_bytes(kinesis_line(path, 0))
    (first,) = tail.read()
    assert first.pane == "kinesis" and not tail.waiting
    assert tail.recording.meta == {"regions": "us-east-1"}
    assert tail.recording.problems == []


def test_a_line_in_progress_is_read_once_complete_not_reported(tmp_path: Path) -> None:
    path = tmp_path / "game.jsonl"
    path.write_bytes(kinesis_line(path, 0))
    tail = RecordingTail(path)
    assert len(tail.read()) == 1
    second = kinesis_line(path, 1)
    with path.open("ab") as handle:
        handle.write(second[:40])
    assert tail.read() == []
    assert tail.recording.problems == [], "half a line is the writer's line in progress"
    with path.open("ab") as handle:
        handle.write(second[40:])
    (entry,) = tail.read()
    assert entry.at == T0 + timedelta(seconds=1)
    assert tail.read() == [], "nothing new: nothing read twice"
    assert tail.recording.entries == [], "a follower's tail hands its entries on, it keeps none"


def test_findings_deltas_resolve_across_reads(real: dict[str, Any], tmp_path: Path) -> None:
    path = tmp_path / "game.jsonl"
    series = findings_series(real["findings"])
    recorder = Recorder(path, meta={}, clock=Clock())
    tail = RecordingTail(path)
    read: list[object] = []
    for snapshot in series:
        recorder.snapshot("findings", snapshot)
        read.extend(e.snapshot for e in tail.read())
    recorder.close()
    assert read == series
    assert all(isinstance(s, FindingsSnapshot) for s in read)
    assert tail.recording.problems == []


def test_a_file_rewritten_from_the_start_is_read_again(tmp_path: Path) -> None:
    path = tmp_path / "game.jsonl"
    path.write_bytes(kinesis_line(path, 0))
    with path.open("ab") as handle:
        handle.write(kinesis_line(path, 1))
    tail = RecordingTail(path)
    assert len(tail.read()) == 2
    path.unlink()
    path.write_bytes(kinesis_line(path, 5))
    (again,) = tail.read()
    assert again.at == T0 + timedelta(seconds=5)
    assert tail.recording.problems == [f"{path} was rewritten from the start: read again from its first line"]


def test_a_file_that_is_not_a_recording_is_refused_at_its_first_line(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("just some notes\n")
    with pytest.raises(ValueError, match="not a warroom recording"):
        RecordingTail(path).read()


def test_read_recording_still_reports_a_cut_off_last_line(tmp_path: Path) -> None:
    path = tmp_path / "game.jsonl"
    path.write_bytes(kinesis_line(path, 0))
    whole = path.read_bytes() + kinesis_line(path, 1)
    path.write_bytes(whole[:-20])
    recording = read_recording(path)
    assert len(recording.entries) == 1
    assert recording.problems == ["line 3: truncated (the recording was cut off while writing)"]


# -- the growing playback ----------------------------------------------------------------------


def snap(seconds: float, value: int, pane: str = "limits") -> Entry:
    return replay_snap(seconds, pane, value)


def values(delivery: Any) -> list[int]:
    return [s["value"] for _, s in delivery.snapshots]


def test_live_playback_delivers_each_new_entry_at_once() -> None:
    playback = Playback([], follow=True)
    assert playback.empty and playback.live
    assert playback.advance(0.25).snapshots == ()
    playback.extend([snap(0, 1)])
    assert values(playback.advance(0.25)) == [1]
    playback.extend([snap(30, 2), note(31, "seen"), snap(60, 3)])
    delivery = playback.advance(0.25)
    assert values(delivery) == [2, 3], "live does not wait for the recorded time to pass"
    assert [e.text for e in delivery.events] == ["seen"]
    assert playback.now() == REPLAY_T0 + timedelta(seconds=60) and playback.behind_live == 0


def test_moving_back_leaves_live_and_playing_on_catches_up() -> None:
    playback = Playback([snap(0, 1), snap(30, 2), snap(60, 3)], follow=True)
    playback.go_live()
    back = playback.seek(REPLAY_T0 + timedelta(seconds=20))
    assert back.rewound and values(back) == [1]
    assert not playback.live and playback.behind_live == 40
    playback.extend([snap(90, 4)])
    assert values(playback.advance(5.0)) == [], "played at 1x, 5 s later: nothing recorded yet"
    assert values(playback.advance(20.0)) == [2]
    assert not playback.live
    assert values(playback.advance(100.0)) == [3, 4]
    assert playback.live and not playback.paused, "a followed recording does not stop at its end"
    playback.extend([snap(120, 5)])
    assert values(playback.advance(0.25)) == [5]


def test_pausing_leaves_live_and_go_live_comes_back() -> None:
    playback = Playback([snap(0, 1)], follow=True)
    playback.go_live()
    assert playback.toggle() is True and not playback.live
    playback.extend([snap(30, 2)])
    assert playback.advance(10.0).snapshots == ()
    delivery = playback.go_live()
    assert values(delivery) == [2] and playback.live and not playback.paused


def test_an_entry_dated_behind_the_position_is_still_delivered() -> None:
    playback = Playback([snap(0, 1), snap(60, 2)], follow=True)
    playback.go_live()
    playback.advance(0.25)
    playback.extend([snap(59, 7, pane="kinesis")])
    assert values(playback.advance(0.25)) == [7]
    back = playback.seek(REPLAY_T0 + timedelta(seconds=59))
    assert dict(back.snapshots)["kinesis"] == {"value": 7}


# -- the driver --------------------------------------------------------------------------------


class Console:
    """What the driver plays into, seen from below."""

    def __init__(self) -> None:
        self.account = ""
        self.events: list[JournalEvent] = []
        self.toasts: list[str] = []
        self.reloads = 0

    def sync_header(self) -> None:
        pass

    def journal_append(self, event: JournalEvent) -> None:
        self.events.append(event)

    def journal_reload(self) -> None:
        self.reloads += 1

    def notify(self, message: str, *, timeout: float | None = None) -> None:
        self.toasts.append(message)

    def set_interval(self, interval: float, callback: Any = None, *, name: str | None = None) -> Any:
        return None


class Wall:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at


def test_the_driver_follows_the_writer_and_says_how_far_behind(tmp_path: Path) -> None:
    path = tmp_path / "game.jsonl"
    wall = Wall(T0)
    tail = RecordingTail(path)
    driver = ReplayDriver(Playback(tail.read(), follow=True), source=str(path), tail=tail, wall=wall)
    console = Console()
    driver.bind(console)
    assert driver.badge() == "LIVE · waiting for the first line"
    published: list[Any] = []
    driver.feeds["kinesis"].subscribe(
        lambda update: published.append(update.snapshot) if update.snapshot is not None else None
    )

    with path.open("ab") as handle:
        handle.write(kinesis_line(path, 0))
    wall.at = T0 + timedelta(seconds=0.4)
    driver.tick()
    assert [s.fetched_at for s in published] == [T0]
    assert driver.badge() == "LIVE 10:00:00Z · 0.4s behind"
    wall.at = T0 + timedelta(seconds=7)
    assert driver.now() == T0 + timedelta(seconds=7), "live, the console's clock runs between lines"

    with path.open("ab") as handle:
        handle.write(kinesis_line(path, 30))
    wall.at = T0 + timedelta(seconds=30.2)
    driver.tick()
    assert len(published) == 2
    driver.seek_by(-20)
    assert driver.badge() == "WATCH ▶ 1x 10:00:10Z · 00:20 behind live"
    assert driver.now() == T0 + timedelta(seconds=10), "back in time, the clock is the position's"
    driver.go_live()
    assert driver.badge().startswith("LIVE 10:00:30Z")
    wall.at += timedelta(seconds=QUIET_S + 5)
    driver.tick()
    assert driver.badge() == "LIVE 10:00:30Z · writer quiet 01:05"


def test_the_driver_stops_following_what_is_not_a_recording(tmp_path: Path) -> None:
    path = tmp_path / "game.jsonl"
    tail = RecordingTail(path)
    driver = ReplayDriver(Playback([], follow=True), source=str(path), tail=tail)
    console = Console()
    driver.bind(console)
    path.write_text("not a recording at all\n")
    driver.tick()
    driver.tick()
    assert driver.badge() == "WATCH ✖ not a recording"
    assert len([t for t in console.toasts if "cannot follow" in t]) == 1


def test_a_recording_whose_writer_stopped_says_so_from_the_start(tmp_path: Path) -> None:
    path = tmp_path / "game.jsonl"
    path.write_bytes(kinesis_line(path, 0))
    tail = RecordingTail(path)
    wall = Wall(T0 + timedelta(minutes=10))
    driver = ReplayDriver(Playback(tail.read(), follow=True), source=str(path), tail=tail, wall=wall)
    driver.bind(Console())
    assert driver.badge() == "LIVE 10:00:00Z · writer quiet 10:00"
