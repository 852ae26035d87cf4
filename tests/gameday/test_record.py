"""Recordings: what is recorded reads back the same and in order (findings as deltas), a recording
killed with SIGKILL stays readable, and damaged lines are reported, never raised.

The real snapshots come from the session simulator's seeded us-east-1 workload, read only.
"""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pytest

from tests.gameday.test_codec import poll_all
from tui.aws.findings import FindingsSnapshot
from tui.aws.findings_model import Finding, Note
from tui.aws.kinesis import KinesisSnapshot, StreamView
from tui.common.codec import encode
from tui.gameday import events as ev
from tui.gameday.events import JournalEvent
from tui.gameday.record import FORMAT, Recorder, Recording, read_recording

T0 = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)
REGION_LIST = "us-east-1"


class Clock:
    """A clock that moves 5 seconds each time it is read."""

    def __init__(self, start: datetime = T0, step: float = 5.0) -> None:
        self.at = start
        self.step = timedelta(seconds=step)

    def __call__(self) -> datetime:
        now = self.at
        self.at += self.step
        return now


@pytest.fixture(scope="module")
def real(sim_url: str) -> dict[str, Any]:
    return poll_all(sim_url)


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "game.jsonl"


def lines_of(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def event(kind: str, text: str, at: datetime = T0, **kwargs: Any) -> JournalEvent:
    return JournalEvent(at=at, kind=kind, source=kwargs.pop("source", "console"), text=text, **kwargs)


def snapshots(recording: Recording) -> list[tuple[str, object]]:
    return [(e.pane, e.snapshot) for e in recording.entries if e.kind == "snapshot"]


# ---------------------------------------------------------------------------------------------
# Findings sets, as a poller would return them
# ---------------------------------------------------------------------------------------------


def findings_series(first: FindingsSnapshot) -> list[FindingsSnapshot]:
    """Five findings snapshots: the real one; one finding changed, one removed, one added; the same
    set polled again; the same set in another order; every finding changed."""
    fs = list(first.findings)
    assert len(fs) >= 5, "the seeded workload should have a few findings"
    changed = fs[1].with_workflow("RESOLVED", Note("fixed by the playbook", "alice", "2026-03-01T10:01:00Z"))
    added = dataclasses.replace(fs[0], id=fs[0].id + "/replayed", title="a new finding")
    second = dataclasses.replace(
        first,
        fetched_at=first.fetched_at + timedelta(seconds=30),
        findings=(fs[0], changed, *fs[3:], added),
        version=first.version + 1,
        full_load=False,
        changed=3,
    )
    third = dataclasses.replace(second, fetched_at=second.fetched_at + timedelta(seconds=30), changed=0)
    fourth = dataclasses.replace(
        third,
        fetched_at=third.fetched_at + timedelta(seconds=30),
        findings=tuple(reversed(third.findings)),
        version=third.version + 1,
        full_load=True,
    )
    fifth = dataclasses.replace(
        fourth,
        fetched_at=fourth.fetched_at + timedelta(seconds=30),
        findings=tuple(dataclasses.replace(f, title=f.title + " (again)") for f in fourth.findings),
        version=fourth.version + 1,
    )
    return [first, second, third, fourth, fifth]


# ---------------------------------------------------------------------------------------------
# Record, then read
# ---------------------------------------------------------------------------------------------


def test_recorded_snapshots_and_events_read_back_the_same_in_order(real: dict[str, Any], path: Path) -> None:
    f1, f2, f3, f4, f5 = findings_series(real["findings"])
    noted = event(ev.NOTE, "EBS pinned on web-1", detail=MappingProxyType({"author": "alice"}))
    planned: list[tuple[str, Any]] = [
        ("limits", real["limits"]),
        ("findings", f1),
        ("kinesis", real["kinesis"]),
        ("event", noted),
        ("findings", f2),
        ("overview", real["overview"]),
        ("findings", f3),
        ("findings", f4),
        ("sessions", real["sessions"]),
        ("findings", f5),
        ("event", event(ev.ACTION, "revoked 0.0.0.0/0:22", resource="sg-0abc")),
    ]
    recorder = Recorder(path, meta={"profile": "demo", "regions": REGION_LIST}, clock=Clock())
    for pane, item in planned:
        if pane == "event":
            recorder.event(item)
        else:
            recorder.snapshot(pane, item)
    recorder.close()
    assert recorder.problem is None
    assert recorder.lines == len(planned) + 1

    recording = read_recording(path)
    assert recording.problems == []
    assert recording.header["format"] == FORMAT
    assert recording.meta == {"profile": "demo", "regions": REGION_LIST}
    assert [e.kind for e in recording.entries] == [
        "event" if p == "event" else "snapshot" for p, _ in planned
    ]
    got = [(e.pane, e.snapshot if e.kind == "snapshot" else e.event) for e in recording.entries]
    for (pane, want), (got_pane, have) in zip(planned, got, strict=True):
        if pane != "event":
            assert got_pane == pane
        assert have == want, f"{pane} came back different"
    assert recording.panes == {"limits", "findings", "kinesis", "overview", "sessions"}
    assert recording.start == T0
    assert recording.end == T0 + timedelta(seconds=5 * len(planned))
    assert recording.entries[3].pane == "console"
    assert recording.events() == [noted, planned[-1][1]]

    only = read_recording(path, panes={"kinesis", "findings"})
    assert only.problems == []
    assert only.panes == {"kinesis", "findings"}
    assert [s for _, s in snapshots(only)] == [
        item for pane, item in planned if pane in ("kinesis", "findings")
    ], "findings deltas still resolve when other panes are skipped"
    assert only.events() == recording.events()


def test_findings_are_written_as_deltas(real: dict[str, Any], path: Path) -> None:
    series = findings_series(real["findings"])
    recorder = Recorder(path, meta={}, clock=Clock())
    for snap in series:
        recorder.snapshot("findings", snap)
    recorder.close()
    header, full, delta, same, reordered, everything = lines_of(path)
    assert header["type"] == "header"
    assert len(full["data"]["findings"]) == len(series[0].findings)
    data = delta["data"]
    assert "findings" not in data
    assert data["findings_delta"]["base"] == series[0].version
    assert [f["id"] for f in data["findings_delta"]["upsert"]] == [
        series[1].findings[1].id,
        series[1].findings[-1].id,
    ], "only the changed and the added finding are written"
    assert data["findings_delta"]["removed"] == [list(series[0].findings[2].key)]
    assert "order" not in data["findings_delta"], "a merge in place needs no order"
    assert same["data"]["same_findings_as"] == series[2].version
    assert "findings" not in same["data"] and "findings_delta" not in same["data"]
    assert reordered["data"]["findings_delta"]["upsert"] == []
    assert reordered["data"]["findings_delta"]["order"] == [list(f.key) for f in series[3].findings]
    assert len(everything["data"]["findings"]) == len(series[4].findings), "all changed: written whole"
    sizes = [len(line) for line in path.read_bytes().splitlines()]
    assert sizes[3] * 5 < sizes[1], "an unchanged set costs a small fraction of the full one"

    recording = read_recording(path)
    assert recording.problems == []
    assert [s for _, s in snapshots(recording)] == series
    read_back = [s for _, s in snapshots(recording)]
    assert all(isinstance(f, Finding) for s in read_back for f in s.findings)  # type: ignore[attr-defined]


def test_a_findings_delta_without_its_base_is_reported(real: dict[str, Any], path: Path) -> None:
    first, second, *_ = findings_series(real["findings"])
    with Recorder(path, meta={}, clock=Clock()) as recorder:
        recorder.snapshot("findings", first)
        recorder.snapshot("findings", second)
    raw = path.read_bytes().splitlines(keepends=True)
    path.write_bytes(raw[0] + raw[2])
    recording = read_recording(path)
    assert len(recording.problems) == 1
    assert recording.problems[0].startswith("line 2: findings snapshot: a findings change against version")
    assert "no findings were read before" in recording.problems[0]
    (only,) = snapshots(recording)
    assert isinstance(only[1], FindingsSnapshot)
    assert only[1].version == second.version


def test_a_second_session_appends_without_a_header(real: dict[str, Any], path: Path) -> None:
    first, second, *_ = findings_series(real["findings"])
    with Recorder(path, meta={"session": "1"}, clock=Clock()) as recorder:
        recorder.snapshot("findings", first)
    with Recorder(path, meta={"session": "2"}, clock=Clock(T0 + timedelta(hours=1))) as again:
        again.snapshot("findings", second)
        again.event(event(ev.NOTE, "second session"))
    assert again.lines == 2, "no header the second time"
    kinds = [line["type"] for line in lines_of(path)]
    assert kinds == ["header", "snapshot", "snapshot", "event"]
    recording = read_recording(path)
    assert recording.problems == []
    assert recording.meta == {"session": "1"}
    assert [s for _, s in snapshots(recording)] == [first, second], "a new recorder writes findings whole"


def test_problems_are_remembered_not_raised(tmp_path: Path) -> None:
    missing = Recorder(tmp_path / "no" / "such" / "dir.jsonl", meta={})
    assert missing.problem is not None and "cannot open" in missing.problem
    missing.snapshot("kinesis", KinesisSnapshot(fetched_at=T0))
    missing.event(event(ev.NOTE, "lost"))
    assert missing.lines == 0
    missing.close()

    path = tmp_path / "r.jsonl"
    recorder = Recorder(path, meta={}, clock=Clock())
    recorder.snapshot("nope", KinesisSnapshot(fetched_at=T0))
    assert recorder.problem == "not recorded: no pane 'nope'"
    broken = dataclasses.replace(KinesisSnapshot(fetched_at=T0), calls={"x": object()})  # type: ignore[dict-item]
    recorder.snapshot("kinesis", broken)
    assert recorder.problem is not None and "calls['x']: cannot encode a object" in recorder.problem
    recorder.snapshot("kinesis", KinesisSnapshot(fetched_at=T0))
    recorder.close()
    recorder.snapshot("kinesis", KinesisSnapshot(fetched_at=T0))
    assert recorder.closed
    assert recorder.lines == 2
    assert len(read_recording(path).entries) == 1


def test_a_lost_findings_line_makes_the_next_one_whole(
    real: dict[str, Any], path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second, third, *_ = findings_series(real["findings"])
    recorder = Recorder(path, meta={}, clock=Clock())
    recorder.snapshot("findings", first)
    real_write = os.write

    def full_disk(fd: int, data: Any) -> int:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("tui.gameday.record.os.write", full_disk)
    recorder.snapshot("findings", second)
    assert recorder.problem is not None and "No space left on device" in recorder.problem
    monkeypatch.setattr("tui.gameday.record.os.write", real_write)
    recorder.snapshot("findings", third)
    recorder.close()
    last = lines_of(path)[-1]["data"]
    assert "findings" in last and "findings_delta" not in last and "same_findings_as" not in last
    recording = read_recording(path)
    assert recording.problems == []
    assert [s for _, s in snapshots(recording)] == [first, third]


# ---------------------------------------------------------------------------------------------
# Damage
# ---------------------------------------------------------------------------------------------


def small_kinesis(at: datetime) -> KinesisSnapshot:
    stream = StreamView(
        region="us-east-1",
        stream_name="orders",
        stream_arn="arn:aws:kinesis:us-east-1:123456789012:stream/orders",
        mode="PROVISIONED",
        status="ACTIVE",
        open_shards=2,
        retention_hours=24,
        iterator_age_ms=1234.5,
        iterator_age_retention_fraction=1234.5 / 86_400_000,
    )
    return KinesisSnapshot(fetched_at=at, streams=(stream,), calls={"kinesis:ListStreams": 1})


def write_some(path: Path, count: int = 4) -> None:
    with Recorder(path, meta={}, clock=Clock()) as recorder:
        for n in range(count):
            recorder.snapshot("kinesis", small_kinesis(T0 + timedelta(seconds=n)))


def test_a_truncated_last_line_is_reported_not_raised(path: Path) -> None:
    write_some(path)
    whole = path.read_bytes().splitlines(keepends=True)
    path.write_bytes(b"".join(whole[:-1]) + whole[-1][: len(whole[-1]) // 2])
    recording = read_recording(path)
    assert len(recording.entries) == 3
    assert recording.problems == ["line 5: truncated (the recording was cut off while writing)"]


def test_bad_lines_in_the_middle_are_skipped_with_their_numbers(path: Path) -> None:
    write_some(path)
    whole = path.read_bytes().splitlines(keepends=True)
    damaged = json.loads(whole[3])
    damaged["data"]["streams"][0]["open_shards"] = "two"
    path.write_bytes(
        whole[0]
        + whole[1]
        + b'{"type": "snapshot", "at": \n'
        + json.dumps(damaged).encode()
        + b"\n"
        + b'{"type": "mystery"}\n'
        + b"\xff\xfe not text\n"
        + whole[4]
    )
    recording = read_recording(path)
    assert len(recording.entries) == 2
    assert recording.problems == [
        "line 3: bad JSON",
        "line 4: kinesis snapshot: streams[0].open_shards: expected an integer, got 'two'",
        "line 5: unknown record type 'mystery'",
        "line 6: bad JSON",
    ]


def test_files_that_are_not_recordings_raise_value_error(tmp_path: Path) -> None:
    text = tmp_path / "notes.txt"
    text.write_text("hello\nworld\n")
    with pytest.raises(ValueError, match="is not a warroom recording or journal"):
        read_recording(text)
    empty = tmp_path / "empty.jsonl"
    empty.write_bytes(b"")
    with pytest.raises(ValueError, match="is empty"):
        read_recording(empty)
    other = tmp_path / "other.jsonl"
    other.write_text(json.dumps({"type": "header", "format": "something-else/3"}) + "\n")
    with pytest.raises(ValueError, match="unknown format 'something-else/3'"):
        read_recording(other)
    newer = tmp_path / "newer.jsonl"
    newer.write_text(json.dumps({"type": "header", "format": "warroom-recording/2"}) + "\n")
    with pytest.raises(ValueError, match="this version reads warroom-recording/1"):
        read_recording(newer)


def test_a_journal_file_reads_as_events_only(tmp_path: Path) -> None:
    journal = tmp_path / "journal.jsonl"
    events = [
        event(ev.FAULT_STARTED, "fault started", T0, resource="i-0abc", fault="ebs-instance-cap"),
        event(ev.DETECTED, "EBS at 97%", T0 + timedelta(seconds=75), source="limits", metric="instance.ebs"),
        event(ev.NOTE, "looking", T0 + timedelta(seconds=90), detail=MappingProxyType({"author": "bo"})),
    ]
    journal.write_bytes(b"".join(encode(e) + b"\n" for e in events) + b'{"at": "2026-')
    recording = read_recording(journal)
    assert recording.journal
    assert recording.events() == events
    assert [e.pane for e in recording.entries] == ["console", "limits", "console"]
    assert recording.panes == set()
    assert recording.header == {}
    assert recording.start == T0 and recording.end == T0 + timedelta(seconds=90)
    assert recording.problems == ["line 4: truncated (the recording was cut off while writing)"]


# ---------------------------------------------------------------------------------------------
# kill -9
# ---------------------------------------------------------------------------------------------

WRITER = textwrap.dedent(
    """
    import sys
    from datetime import UTC, datetime, timedelta
    from pathlib import Path
    from tests.gameday.test_record import small_kinesis
    from tui.gameday.events import JournalEvent
    from tui.gameday.record import Recorder

    recorder = Recorder(Path(sys.argv[1]), meta={"writer": "loop"})
    start = datetime.now(UTC)
    n = 0
    while True:
        n += 1
        recorder.snapshot("kinesis", small_kinesis(start + timedelta(seconds=n)))
        recorder.event(JournalEvent(at=datetime.now(UTC), kind="note", source="person", text=f"note {n}"))
    """
)


@pytest.fixture
def writer(path: Path) -> Iterator[Callable[[], subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []

    def start() -> subprocess.Popen[bytes]:
        proc = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(path)],
            cwd=Path(__file__).resolve().parents[2],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        started.append(proc)
        return proc

    yield start
    for proc in started:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=10)


def test_kill_9_while_recording_leaves_a_readable_file(
    path: Path, writer: Callable[[], subprocess.Popen[bytes]]
) -> None:
    proc = writer()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if path.exists() and path.stat().st_size > 200_000:
            break
        if proc.poll() is not None:
            pytest.fail(f"the writer stopped by itself: {proc.stderr.read().decode() if proc.stderr else ''}")
        time.sleep(0.05)
    else:
        pytest.fail("the writer wrote too little in 60 s")
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    assert proc.returncode == -signal.SIGKILL

    data = path.read_bytes()
    complete = data.count(b"\n")
    recording = read_recording(path)
    assert complete > 100
    assert len(recording.entries) == complete - 1, "every complete line after the header is read"
    assert len(recording.problems) <= 1
    if recording.problems:
        assert not data.endswith(b"\n")
        assert (
            recording.problems[0]
            == f"line {complete + 1}: truncated (the recording was cut off while writing)"
        )
    kinds = {e.kind for e in recording.entries}
    assert kinds == {"snapshot", "event"}
    assert all(e.snapshot == small_kinesis(e.snapshot.fetched_at) for e in recording.entries if e.snapshot)  # type: ignore[attr-defined]
