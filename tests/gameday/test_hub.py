"""The game-day hub: snapshots to detectors and the recording, events to the journal, services and
listeners; audited calls become journal actions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from tui.gameday import events as ev
from tui.gameday.detect import Detector
from tui.gameday.events import JournalEvent
from tui.gameday.hub import GameDay, action_event
from tui.gameday.journal import Journal, read_journal
from tui.gameday.record import Recorder, read_recording
from tui.gameday.services import BusinessService, ServiceTracker

T0 = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)


def test_an_audited_call_becomes_an_action_and_a_refusal_does_not() -> None:
    record = {
        "outcome": "ok",
        "service": "kinesis",
        "operation": "UpdateShardCount",
        "params": {"StreamName": "payments-events", "TargetShardCount": 2, "ScalingType": "UNIFORM_SCALING"},
        "plan_title": "Double payments-events to 2 shards",
        "region": "us-east-1",
        "actor": "arn:aws:iam::123456789012:user/dana",
    }
    event = action_event(record, T0)
    assert event is not None
    assert event.kind == ev.ACTION and event.resource == "payments-events"
    assert "kinesis:UpdateShardCount" in event.text and "TargetShardCount=2" in event.text
    assert event.detail["actor"].endswith("user/dana")
    # An action in another account says which, and through what.
    member = action_event({**record, "account": "210987654321", "profile": "payments"}, T0)
    assert member is not None and (member.detail["account"], member.detail["profile"]) == (
        "210987654321",
        "payments",
    )
    failed = action_event({**record, "outcome": "error", "error_code": "LimitExceededException"}, T0)
    assert failed is not None and failed.level == "warning" and "LimitExceededException" in failed.text
    assert action_event({**record, "outcome": "refused-read-only"}, T0) is None


def test_events_reach_the_journal_the_recording_the_services_and_listeners(tmp_path: Path) -> None:
    now = [T0]
    service = BusinessService(name="Card payments", tolerance_minutes=15, resources=("payments-events",))
    recorder = Recorder(tmp_path / "rec.jsonl", meta={"demo": "yes"}, clock=lambda: now[0])
    hub = GameDay(
        journal=Journal(tmp_path / "journal.jsonl", clock=lambda: now[0]),
        detector=Detector(),
        services=ServiceTracker((service,)),
        recorder=recorder,
        clock=lambda: now[0],
    )
    heard: list[JournalEvent] = []
    unsubscribe = hub.subscribe(heard.append)
    hub.add(
        JournalEvent(
            at=T0,
            kind=ev.DETECTED,
            source="kinesis",
            text="iterator age 52% of retention",
            resource="payments-events",
            metric="stream.iterator_age",
            value=0.52,
            limit=0.5,
        )
    )
    kinds = [e.kind for e in heard]
    assert kinds == [ev.DETECTED, ev.SERVICE_IMPAIRED]
    now[0] = T0 + timedelta(minutes=16)
    hub.tick()
    assert heard[-1].kind == ev.SERVICE_BREACH
    status = hub.service_status()
    assert status[0].breached and status[0].impaired_s >= 15 * 60
    hub.note("failing over to the standby consumer", "dana")
    unsubscribe()
    hub.note("not heard", "dana")
    assert heard[-1].text == "failing over to the standby consumer"
    hub.close()
    journaled, problems = read_journal(tmp_path / "journal.jsonl")
    assert problems == []
    assert [e.kind for e in journaled] == [*kinds, ev.SERVICE_BREACH, ev.NOTE, ev.NOTE]
    recorded = read_recording(tmp_path / "rec.jsonl")
    assert [e.event.kind for e in recorded.entries if e.event is not None] == [e.kind for e in journaled]


def test_a_detector_failure_costs_nothing_but_its_events(tmp_path: Path) -> None:
    class Broken(Detector):
        def observe(self, pane: str, snapshot: object) -> list[JournalEvent]:
            raise RuntimeError("boom")

    hub = GameDay(
        journal=Journal(None, clock=lambda: T0),
        detector=Broken(),
        services=ServiceTracker(()),
        clock=lambda: T0,
    )
    hub.observe("limits", object())
    assert hub.journal.events == ()


def test_a_session_token_in_an_event_reaches_neither_the_recording_nor_a_listener(tmp_path: Path) -> None:
    token = "IQoJb3JpZ2luX2VjEJr" + "A1b2C3d4E5f6G7h8" * 8
    hub = GameDay(
        journal=Journal(tmp_path / "journal.jsonl", clock=lambda: T0),
        detector=Detector(),
        services=ServiceTracker(()),
        recorder=Recorder(tmp_path / "rec.jsonl", clock=lambda: T0),
        clock=lambda: T0,
    )
    heard: list[JournalEvent] = []
    hub.subscribe(heard.append)
    hub.add(
        JournalEvent(
            at=T0,
            kind=ev.ACTION,
            source="console",
            text=f"assumed a role (token {token})",
            detail={
                "SessionToken": token,
                "StreamUrl": "wss://ssmmessages.us-east-1.amazonaws.com/v1/data-channel/s-1",
                "role_arn": "arn:aws:iam::123456789012:role/responder",
            },
        )
    )
    hub.close()
    assert len(heard) == 1
    assert "SessionToken" not in heard[0].detail and "StreamUrl" not in heard[0].detail
    assert heard[0].detail["role_arn"].endswith("role/responder")
    assert token not in heard[0].text
    recorded = (tmp_path / "rec.jsonl").read_text()
    assert token not in recorded and "wss://" not in recorded
    assert "role/responder" in recorded
    assert token not in (tmp_path / "journal.jsonl").read_text()
