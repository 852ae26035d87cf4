"""The journal: memory bound, the append-only file (modes, two writers, failures kept quiet),
subscribers, credentials dropped, and reading back with a truncated or malformed line."""

from __future__ import annotations

import json
import os
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import MappingProxyType

import pytest

from tui.common import catalogue as cat
from tui.common.codec import encode, to_builtins
from tui.gameday.events import DETECTED, NOTE, JournalEvent
from tui.gameday.journal import Journal, default_journal_path, read_journal, scrub

T0 = datetime(2026, 11, 20, 14, 0, tzinfo=UTC)


def clock() -> datetime:
    return T0


def detected(n: int) -> JournalEvent:
    return JournalEvent(
        at=T0 + timedelta(seconds=n),
        kind=DETECTED,
        source="limits",
        text=f"payments-db-1: EBS at 9{n % 10}%",
        resource="i-0001",
        metric=cat.M_INSTANCE_EBS,
        value=0.9,
        limit=0.8,
        unit="ratio",
        level="warning",
        detail=MappingProxyType({"name": "payments-db-1", "tag:Service": "payments"}),
    )


def test_default_path_is_under_the_state_dir_in_utc(tmp_path: Path) -> None:
    from zoneinfo import ZoneInfo

    local = datetime(2026, 11, 20, 15, 4, 5, tzinfo=ZoneInfo("Europe/Paris"))
    assert default_journal_path(tmp_path, local) == tmp_path / "journal" / "journal-20261120-140405Z.jsonl"


def test_events_go_to_memory_file_and_subscribers(tmp_path: Path) -> None:
    path = tmp_path / "state" / "journal" / "j.jsonl"
    journal = Journal(path, clock=clock)
    seen: list[JournalEvent] = []
    unsubscribe = journal.subscribe(seen.append)
    first = journal.add(detected(1))
    note = journal.note("failing over the ledger", author="alice")
    unsubscribe()
    journal.add(detected(2))
    journal.close()
    assert journal.problem == ""
    assert seen == [first, note]
    assert (note.kind, note.at, note.source, note.detail["author"]) == (NOTE, T0, "person", "alice")
    assert journal.events == (first, note, detected(2))
    lines = path.read_text(encoding="utf-8").splitlines()
    assert [json.loads(line) for line in lines] == [to_builtins(e) for e in journal.events]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE(path.parent.parent.stat().st_mode) == 0o700


def test_memory_is_bounded() -> None:
    journal = Journal(None, clock=clock, maxlen=5)
    for n in range(12):
        journal.add(detected(n))
    assert [e.at for e in journal.events] == [detected(n).at for n in range(7, 12)]


def test_a_failing_subscriber_does_not_stop_the_others() -> None:
    journal = Journal(None, clock=clock)
    seen: list[JournalEvent] = []

    def broken(event: JournalEvent) -> None:
        raise RuntimeError("boom")

    journal.subscribe(broken)
    journal.subscribe(seen.append)
    journal.add(detected(1))
    assert len(seen) == 1


def test_two_journals_appending_to_one_file_keep_both(tmp_path: Path) -> None:
    path = tmp_path / "shared.jsonl"
    first = Journal(path, clock=clock)
    second = Journal(path, clock=clock)
    first.add(detected(1))
    second.add(detected(2))
    first.add(detected(3))
    first.close()
    second.close()
    third = Journal(path, clock=clock)
    third.add(detected(4))
    third.close()
    events, problems = read_journal(path)
    assert problems == []
    assert [e.at.second for e in events] == [1, 2, 3, 4]


def test_an_unwritable_file_is_a_problem_not_an_exception(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x", encoding="utf-8")
    journal = Journal(blocker / "journal.jsonl", clock=clock)
    journal.add(detected(1))
    assert "cannot open the journal file" in journal.problem
    assert len(journal.events) == 1


def test_a_write_failure_is_remembered(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "j.jsonl"
    journal = Journal(path, clock=clock)
    journal.add(detected(1))

    def full(fd: int, data: bytes) -> int:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "write", full)
    journal.add(detected(2))
    assert "No space left on device" in journal.problem
    monkeypatch.undo()
    journal.add(detected(3))
    journal.close()
    events, problems = read_journal(path)
    assert [e.at.second for e in events] == [1, 3]
    assert problems == []
    assert len(journal.events) == 3


def test_a_line_cut_short_by_a_failure_does_not_swallow_the_next(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "j.jsonl"
    journal = Journal(path, clock=clock)
    real_write = os.write
    calls = {"n": 0}

    def half_then_fail(fd: int, data: bytes) -> int:
        calls["n"] += 1
        if calls["n"] == 1:
            return real_write(fd, data[: len(data) // 2])
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "write", half_then_fail)
    journal.add(detected(1))
    monkeypatch.undo()
    journal.add(detected(2))
    journal.close()
    events, problems = read_journal(path)
    assert [e.at.second for e in events] == [2]
    assert len(problems) == 1 and problems[0].startswith("line 1: not JSON")


def test_credentials_never_reach_memory_or_the_file(tmp_path: Path) -> None:
    path = tmp_path / "j.jsonl"
    journal = Journal(path, clock=clock)
    leaky = JournalEvent(
        at=T0,
        kind="action",
        source="console",
        text="ssm:StartSession i-0001",
        detail=MappingProxyType(
            {
                "SessionId": "alice-0abc",
                "TokenValue": "AAEAA-secret-token",
                "session_token": "FQoG-secret",
                "SecretAccessKey": "wJalr-secret",
                "operation": "ssm:StartSession",
            }
        ),
    )
    kept = journal.add(leaky)
    journal.close()
    assert dict(kept.detail) == {"SessionId": "alice-0abc", "operation": "ssm:StartSession"}
    assert "secret" not in path.read_text(encoding="utf-8")
    clean = detected(1)
    assert scrub(clean) is clean


def test_read_tolerates_a_truncated_last_line_and_reports_malformed_lines(tmp_path: Path) -> None:
    path = tmp_path / "j.jsonl"
    good = [encode(detected(n)).decode() for n in range(3)]
    cut = encode(detected(3)).decode()[:40]
    path.write_text(
        "\n".join([good[0], "{not json", good[1], "", '["a list"]', '{"kind": "detected"}', good[2], cut]),
        encoding="utf-8",
    )
    events, problems = read_journal(path)
    assert events == [detected(0), detected(1), detected(2)]
    assert problems[0].startswith("line 2: not JSON")
    assert problems[1] == "line 5: not a journal event (a JSON list, not an object)"
    assert problems[2] == "line 6: not a journal event (no 'at')"
    assert problems[3].startswith("line 8: incomplete last line ignored")
    assert len(problems) == 4


def test_read_accepts_a_complete_last_line_without_its_newline(tmp_path: Path) -> None:
    path = tmp_path / "j.jsonl"
    path.write_bytes(encode(detected(1)))
    assert read_journal(path) == ([detected(1)], [])


def test_read_reports_bad_bytes_and_times(tmp_path: Path) -> None:
    path = tmp_path / "j.jsonl"
    naive = {**to_builtins(detected(1)), "at": "2026-11-20T14:00:00"}
    path.write_bytes(b"\xff\xfe\n" + json.dumps(naive).encode() + b"\n")
    events, problems = read_journal(path)
    assert events == []
    assert problems[0] == "line 1: not UTF-8 text"
    assert problems[1].startswith("line 2: not a journal event (at: expected a time with a time zone")
