"""Recordings and journals written by an earlier version still load, and replay with the same values.

The files under tests/data were written by warroom 0.1.0 with its hand-written codec (times as
``+00:00``, every snapshot through ``json.dumps``):

* ``recording-v1.jsonl``: ``warroom record --demo --duration 40s``, trimmed to at most two
  snapshots a pane and a few items in each long list (findings, instances, streams, templates);
* ``recording-v1-findings.jsonl``: that recording's findings written by the same version's
  ``Recorder`` as a poller would have changed them: whole, then as a delta, the same set again,
  and a delta with a new order;
* ``journal-v1.jsonl``: journal lines as that version's ``Journal`` wrote them (empty fields left out).
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tui.aws.findings import FindingsSnapshot
from tui.aws.fis import FisSnapshot
from tui.aws.kinesis import KinesisSnapshot
from tui.aws.limits import LimitsSnapshot
from tui.aws.overview import OverviewSnapshot
from tui.aws.sessions import SessionsSnapshot
from tui.common.codec import to_builtins
from tui.gameday import events as ev
from tui.gameday.journal import read_journal
from tui.gameday.record import read_recording
from tui.gameday.replay import Playback

DATA = Path(__file__).resolve().parent.parent / "data"
RECORDING = DATA / "recording-v1.jsonl"
FINDINGS = DATA / "recording-v1-findings.jsonl"
JOURNAL = DATA / "journal-v1.jsonl"

_UTC_SUFFIX = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?)(?:\+00:00|Z)$")


def same_times(value: Any) -> Any:
    """JSON values with every UTC time written one way (``Z``), so two writers' documents compare."""
    if isinstance(value, str):
        return _UTC_SUFFIX.sub(r"\1Z", value)
    if isinstance(value, list):
        return [same_times(v) for v in value]
    if isinstance(value, dict):
        return {k: same_times(v) for k, v in value.items()}
    return value


def written(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_the_recording_loads_whole() -> None:
    recording = read_recording(RECORDING)
    assert recording.problems == []
    assert not recording.journal
    assert recording.panes == {"overview", "limits", "kinesis", "findings", "sessions", "fis"}
    kinds = [(e.kind, e.pane) for e in recording.entries]
    assert len(kinds) == 15 and kinds.count(("event", "limits")) == 2
    assert recording.meta["demo"] == "yes" and recording.meta["regions"] == "us-east-1"
    assert recording.start == datetime(2026, 12, 6, 18, 32, 22, 843910, tzinfo=UTC)
    assert recording.end == datetime(2026, 12, 6, 18, 32, 55, 45092, tzinfo=UTC)


def retired(pane: str, data: dict[str, Any]) -> dict[str, Any]:
    """A written snapshot without the fields later versions no longer have: the Overview's own
    Security Hub counts per region (its card now reads the Findings feed, recorded beside it)."""
    if pane != "overview":
        return data
    regions = [{k: v for k, v in region.items() if k != "findings"} for region in data["regions"]]
    return {**data, "regions": regions}


ADDED_SINCE = {"account_id": ""}
"""Fields later versions added, with the value a recording without them reads as."""


def without_added(again: Any, written: Any) -> Any:
    """``again`` (a snapshot written anew) without the fields added since ``written`` was, where
    ``written`` lacks them and ``again`` holds the value they read as."""
    if isinstance(again, dict) and isinstance(written, dict):
        return {
            k: without_added(v, written.get(k))
            for k, v in again.items()
            if k in written or k not in ADDED_SINCE or v != ADDED_SINCE[k]
        }
    if isinstance(again, list) and isinstance(written, list) and len(again) == len(written):
        return [without_added(a, w) for a, w in zip(again, written, strict=True)]
    return again


def test_every_snapshot_reads_back_the_values_written() -> None:
    recording = read_recording(RECORDING)
    lines = [line for line in written(RECORDING) if line["type"] == "snapshot"]
    snapshots = [e for e in recording.entries if e.kind == "snapshot"]
    assert [e.pane for e in snapshots] == [line["pane"] for line in lines]
    for entry, line in zip(snapshots, lines, strict=True):
        assert entry.at == datetime.fromisoformat(line["at"])
        # Nothing lost, renamed or reshaped: written again, the snapshot is the document it came from.
        data = retired(entry.pane, line["data"])
        again = without_added(same_times(to_builtins(entry.snapshot)), data)
        assert again == same_times(data), entry.pane


def test_the_snapshots_hold_their_recorded_values() -> None:
    recording = read_recording(RECORDING)
    first = {e.pane: e.snapshot for e in reversed(recording.entries) if e.kind == "snapshot"}

    limits = first["limits"]
    assert isinstance(limits, LimitsSnapshot)
    assert [i.name for i in limits.instances] == [
        "payments-api-2",
        "payments-db-1",
        "settlement-worker-1",
        "batch-reports-1",
    ]
    api = limits.instances[0]
    assert api.instance_id == "i-565e609d8e5d49a74" and api.net_in_mbps == 139.17455633925806
    assert api.limits.ebs_max_iops == 11800.0 and api.limits.net_baseline_mbps == 256.0
    assert api.volumes[0].volume_id == "vol-8b5907b69cad711a2" and api.volumes[0].iops == 46.96666666666667
    assert limits.periods == {60: 9, 300: 1}
    assert limits.quotas[0].code == "L-1216C47A" and limits.quotas[0].value == 640.0

    kinesis = first["kinesis"]
    assert isinstance(kinesis, KinesisSnapshot)
    assert [(s.stream_name, s.usage_factor, s.iterator_age_ms) for s in kinesis.streams] == [
        ("audit-trail", 0.424652099609375, 3159.0),
        ("ledger-cdc", 0.5437652269999186, 365493.0),
    ]
    assert len(kinesis.streams[0].history.usage_factor) == 59

    findings = first["findings"]
    assert isinstance(findings, FindingsSnapshot)
    assert findings.version == 1 and len(findings.findings) == 12
    assert findings.findings[0].title.startswith("4.1 Ensure no security groups allow ingress")
    assert findings.findings[0].severity == "HIGH"

    sessions = first["sessions"]
    assert isinstance(sessions, SessionsSnapshot) and len(sessions.instances) == 11
    assert (sessions.instances[0].instance_id, sessions.instances[0].name) == (
        "i-9b5e1a4d598538fab",
        "audit-archiver-1",
    )

    fis = first["fis"]
    assert isinstance(fis, FisSnapshot) and len(fis.templates) == 3 and fis.experiments == ()

    overview = first["overview"]
    assert isinstance(overview, OverviewSnapshot)
    assert overview.identity is not None and overview.identity.account == "123456789012"
    ec2 = overview.regions[0].ec2.value
    assert ec2 is not None and ec2.states == {"running": 10, "stopped": 1}

    events = recording.events()
    assert [e.source for e in events] == ["sessions", "kinesis", "limits", "limits"]
    network = events[2]
    assert (
        network.kind == ev.DETECTED and network.metric == "instance.network" and network.level == "critical"
    )
    assert network.value == 0.9581658917861144 and network.limit == 0.95
    assert network.detail["baseline_mbps"] == "256" and network.detail["tag:Role"] == "api"


def test_the_recording_replays() -> None:
    recording = read_recording(RECORDING)
    playback = Playback(recording.entries, speed=1.0)
    delivered = playback.advance(10.0)
    assert {pane for pane, _ in delivered.snapshots} == {
        "findings",
        "sessions",
        "fis",
        "overview",
        "kinesis",
        "limits",
    }
    assert len(delivered.events) == 4
    playback.advance(60.0)
    assert playback.finished
    latest, events = playback.state_at()
    last = {e.pane: e.snapshot for e in recording.entries if e.kind == "snapshot"}
    assert latest == last
    assert events == recording.events()
    limits = latest["limits"]
    assert isinstance(limits, LimitsSnapshot)
    assert limits.fetched_at == datetime(2026, 12, 6, 18, 32, 55, 172, tzinfo=UTC)
    rewound = playback.seek(playback.start + timedelta(seconds=5))
    assert rewound.rewound and dict(rewound.snapshots)["limits"].fetched_at.second == 23


def test_findings_written_as_deltas_read_back() -> None:
    recording = read_recording(FINDINGS)
    assert recording.problems == []
    first, second, third, fourth = (s for _, s in recording.snapshots("findings"))
    assert isinstance(first, FindingsSnapshot) and isinstance(fourth, FindingsSnapshot)
    assert [s.version for s in (first, second, third, fourth)] == [1, 2, 2, 3]
    assert len(first.findings) == len(second.findings) == 12
    assert second.findings[1].workflow_status == "RESOLVED"
    assert second.findings[-1].title == "a new finding"
    assert third.findings == second.findings
    assert fourth.findings == tuple(reversed(third.findings))
    lines = written(FINDINGS)
    assert "findings_delta" in lines[2]["data"] and "order" in lines[4]["data"]["findings_delta"]
    assert lines[3]["data"]["same_findings_as"] == 2


@pytest.mark.parametrize("reader", ["recording", "journal"])
def test_the_journal_loads(reader: str) -> None:
    if reader == "recording":
        recording = read_recording(JOURNAL)
        assert recording.journal and recording.problems == []
        events = recording.events()
    else:
        events, problems = read_journal(JOURNAL)
        assert problems == []
    started, detected, note, recovered = events
    assert started.kind == ev.FAULT_STARTED and started.fault == "ebs-instance-cap" and started.ref == "EXP1"
    assert dict(started.detail) == {"origin": "scenario", "speed": "10"}
    assert detected.value == 0.97 and detected.limit == 0.95 and detected.level == "critical"
    assert detected.unit == "fraction" and detected.detail == {}
    assert note.source == "person" and note.detail["author"] == "alice" and note.value is None
    assert recovered.level == "info" and recovered.at == datetime(2026, 12, 6, 18, 33, 53, 30597, tzinfo=UTC)
