"""Alarms in a game day: an alarm entering ALARM is a detection in the journal (dated when the alarm
changed, those between two polls read from its history), leaving it a recovery; the report credits
detection to the alarm by name beside the pane signals; mute, unmute and set state are journaled."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta
from pathlib import Path
from types import MappingProxyType

import pytest

from tests.alarms_aws import INSTANCE, STREAM, ago, history_entry, metric_alarm, scale_up_alarm
from tests.frozen import FROZEN
from tests.gameday.test_report import write_journal
from tui.aws.alarms import AlarmsSnapshot
from tui.aws.alarms_model import Alarm, history_item
from tui.aws.alarms_model import metric_alarm as parse_metric
from tui.aws.outcome import ApiError
from tui.common import catalogue as cat
from tui.gameday import events as ev
from tui.gameday.detect import Detector
from tui.gameday.events import JournalEvent
from tui.gameday.hub import action_event
from tui.gameday.record import read_recording
from tui.gameday.report import analyse, render_markdown

CPU = "payments-db CPU high"


def _alarm(
    state: str, updated: datetime, *, history: tuple[dict[str, object], ...] = (), name: str = CPU
) -> Alarm:
    alarm = parse_metric(metric_alarm(name, state, updated=updated), "us-east-1")
    items = tuple(i for i in (history_item(h) for h in history) if i is not None)
    return alarm.with_history(tuple(sorted(items, key=lambda h: h.at, reverse=True)))


def _snap(at: datetime, *alarms: Alarm, errors: tuple[ApiError, ...] = ()) -> AlarmsSnapshot:
    return AlarmsSnapshot(fetched_at=at, alarms=alarms, errors=errors)


def test_an_alarm_entering_alarm_is_detected_when_it_changed_and_recovers_when_it_leaves() -> None:
    detector = Detector()
    assert detector.observe("alarms", _snap(FROZEN, _alarm("OK", ago(60)))) == []
    (detected,) = detector.observe("alarms", _snap(FROZEN + timedelta(minutes=1), _alarm("ALARM", ago(-0.5))))
    assert (detected.kind, detected.source, detected.metric, detected.level) == (
        ev.DETECTED,
        "alarms",
        cat.M_ALARM,
        "critical",
    )
    # Dated when the alarm changed, not when the poll saw it; its resource is what it watches.
    assert detected.at == ago(-0.5) and detected.resource == INSTANCE
    assert detected.detail["alarm"] == CPU and detected.detail["instance_id"] == INSTANCE
    assert detected.text.startswith(f"alarm {CPU} in ALARM: Threshold Crossed")
    assert detected.limit == 80.0
    # The same state on the next poll: nothing new.
    assert detector.observe("alarms", _snap(FROZEN + timedelta(minutes=2), _alarm("ALARM", ago(-0.5)))) == []
    (recovered,) = detector.observe("alarms", _snap(FROZEN + timedelta(minutes=3), _alarm("OK", ago(-2.5))))
    assert recovered.kind == ev.RECOVERED and recovered.at == ago(-2.5)
    assert recovered.text.startswith(f"alarm {CPU} back to OK")


def test_an_alarm_leaving_alarm_for_insufficient_data_stays_open_until_ok() -> None:
    """An instance that dies stops its metric: its alarm goes ALARM -> INSUFFICIENT_DATA (AWS's default
    TreatMissingData, missing). That is unknown, not a recovery; OK recovers."""
    detector = Detector()
    detector.observe("alarms", _snap(FROZEN, _alarm("OK", ago(60))))
    (detected,) = detector.observe("alarms", _snap(FROZEN + timedelta(minutes=1), _alarm("ALARM", ago(-0.5))))
    assert detected.kind == ev.DETECTED
    gone_quiet = _snap(FROZEN + timedelta(minutes=2), _alarm("INSUFFICIENT_DATA", ago(-1.5)))
    assert detector.observe("alarms", gone_quiet) == []
    (recovered,) = detector.observe("alarms", _snap(FROZEN + timedelta(minutes=3), _alarm("OK", ago(-2.5))))
    assert recovered.kind == ev.RECOVERED and recovered.text.startswith(f"alarm {CPU} back to OK")


def test_a_round_trip_between_two_polls_is_read_from_the_alarms_history() -> None:
    detector = Detector()
    detector.observe("alarms", _snap(FROZEN, _alarm("OK", ago(60))))
    history = (
        history_entry(CPU, ago(-0.2), "OK", "ALARM", "Threshold Crossed: 2 out of 3"),
        history_entry(CPU, ago(-0.7), "ALARM", "OK", "Threshold Crossed: back"),
    )
    found = detector.observe(
        "alarms", _snap(FROZEN + timedelta(minutes=1), _alarm("OK", ago(-0.7), history=history))
    )
    assert [(e.kind, e.at) for e in found] == [(ev.DETECTED, ago(-0.2)), (ev.RECOVERED, ago(-0.7))]
    assert found[0].detail["reason"] == "Threshold Crossed: 2 out of 3"


def test_an_alarm_already_firing_when_first_seen_is_detected_when_seen() -> None:
    detector = Detector()
    (found,) = detector.observe("alarms", _snap(FROZEN, _alarm("ALARM", ago(3 * 24 * 60))))
    # Not news: a warning (no toast), dated when seen, so no impairment opens three days back.
    assert found.kind == ev.DETECTED and found.at == FROZEN and found.level == "warning"
    assert detector.open_signals == ((cat.M_ALARM, INSTANCE),)


def test_a_deleted_alarm_recovers_unless_its_region_failed_to_list() -> None:
    detector = Detector()
    detector.observe("alarms", _snap(FROZEN, _alarm("ALARM", ago(5))))
    failed = ApiError("us-east-1", "cloudwatch:DescribeAlarms", "throttled")
    assert detector.observe("alarms", _snap(FROZEN + timedelta(minutes=1), errors=(failed,))) == []
    (gone,) = detector.observe("alarms", _snap(FROZEN + timedelta(minutes=2)))
    assert gone.kind == ev.RECOVERED and gone.detail["reason"] == "no longer listed"


def test_an_alarm_on_a_faults_target_is_attributed_to_the_fault() -> None:
    detector = Detector()
    stream_alarm = parse_metric(scale_up_alarm("OK", updated=ago(60)), "us-east-1")
    detector.observe("alarms", _snap(FROZEN, stream_alarm))

    class _Exp:
        region, experiment_id, template_id, status, reason = "us-east-1", "EXP1", "T1", "running", ""
        fault, target, origin = "kinesis-write-throttle", STREAM, "scenario"
        started_at, ended_at, tags, detailed = FROZEN, None, (), True

    class _Fis:
        fetched_at, experiments, error = FROZEN, (_Exp(),), None

    detector.observe("fis", _Fis())
    firing = dataclasses.replace(
        stream_alarm, state="ALARM", state_updated_at=ago(-1), state_transitioned_at=ago(-1)
    )
    (found,) = detector.observe("alarms", _snap(FROZEN + timedelta(minutes=2), firing))
    assert found.fault == "kinesis-write-throttle" and found.detail["stream"] == STREAM


def test_the_report_credits_the_alarm_by_name_beside_the_pane_signal(tmp_path: Path) -> None:
    t0 = FROZEN

    def at(seconds: float) -> datetime:
        return t0 + timedelta(seconds=seconds)

    alarm_detail = MappingProxyType({"alarm": CPU, "instance_id": INSTANCE, "region": "us-east-1"})
    ebs_fault, throttle_fault = "ebs-instance-cap", "kinesis-write-throttle"
    events = [
        JournalEvent(at(0), ev.FAULT_STARTED, "fis", "fault", resource=INSTANCE, fault=ebs_fault, ref="E1"),
        JournalEvent(at(75), ev.DETECTED, "limits", "EBS at 97%", resource=INSTANCE,
                     metric=cat.M_INSTANCE_EBS, value=0.97, limit=0.95, unit="ratio", level="critical"),
        JournalEvent(at(130), ev.DETECTED, "alarms", f"alarm {CPU} in ALARM: crossed", resource=INSTANCE,
                     metric=cat.M_ALARM, limit=80.0, level="critical", detail=alarm_detail),
        JournalEvent(at(300), ev.FAULT_ENDED, "fis", "ended", resource=INSTANCE, fault=ebs_fault, ref="E1",
                     detail=MappingProxyType({"status": "completed"})),
        # A fault no alarm fired for.
        JournalEvent(at(400), ev.FAULT_STARTED, "fis", "fault", resource="orders", fault=throttle_fault,
                     ref="E2"),
        JournalEvent(at(460), ev.DETECTED, "kinesis", "throttled", resource="orders",
                     metric=cat.M_STREAM_THROTTLE, value=50.0, limit=10.0, unit="records/min"),
    ]  # fmt: skip
    review = analyse(read_recording(write_journal(tmp_path / "j.jsonl", events)))
    ebs, throttle = review.faults
    assert ebs.detection is not None and ebs.detection.metric == cat.M_INSTANCE_EBS, (
        "the pane signal stays first"
    )
    assert ebs.alarm is not None and ebs.alarm.alarm == CPU and ebs.time_to_alarm_s == 130.0
    assert ebs.alarm.summary().startswith(f"alarm {CPU} in ALARM")
    assert throttle.alarm is None and throttle.alarm_text() == "no alarm fired"
    assert review.summary.alarmed == 1 and review.summary.median_tta_s == 130.0
    text = render_markdown(review)
    assert "Detected by a CloudWatch alarm: 1 of 2; median time to detect by alarm: 2m10s" in text
    assert f"`{CPU}` after 2m10s" in text and "no alarm fired" in text
    assert "| Alarm |" in text


def test_an_alarm_the_catalogue_names_is_credited_whatever_it_watches(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = cat.BY_ID["kinesis-write-throttle"]
    named = dataclasses.replace(
        spec, detection=dataclasses.replace(spec.detection, alarms=("payments degraded",))
    )
    monkeypatch.setitem(cat.BY_ID, "kinesis-write-throttle", named)
    degraded, throttle = "payments degraded", "kinesis-write-throttle"
    events = [
        JournalEvent(FROZEN, ev.FAULT_STARTED, "fis", "fault", resource="orders", fault=throttle),
        JournalEvent(FROZEN + timedelta(seconds=200), ev.DETECTED, "alarms", f"alarm {degraded} in ALARM",
                     resource=degraded, metric=cat.M_ALARM, level="critical",
                     detail=MappingProxyType({"alarm": degraded})),
    ]  # fmt: skip
    (fault,) = analyse(read_recording(write_journal(tmp_path / "j.jsonl", events))).faults
    assert fault.detected and fault.alarm is not None and fault.alarm.alarm == "payments degraded"


def test_a_pattern_the_catalogue_names_credits_the_alarm_of_the_faults_target(tmp_path: Path) -> None:
    """The catalogue names ``{stream}-write-throttled``: the alarm of the fault's stream is credited
    even when the journal cannot tell what it watches; the same alarm of another stream is not."""
    throttle = "kinesis-write-throttle"
    assert cat.ALARM_WRITE_THROTTLED in cat.BY_ID[throttle].detection.alarms

    def fired(seconds: float, name: str) -> JournalEvent:
        at = FROZEN + timedelta(seconds=seconds)
        detail = MappingProxyType({"alarm": name})
        return JournalEvent(
            at,
            ev.DETECTED,
            "alarms",
            f"alarm {name} in ALARM",
            resource=name,
            metric=cat.M_ALARM,
            detail=detail,
        )

    events = [
        JournalEvent(FROZEN, ev.FAULT_STARTED, "fis", "fault", resource="orders", fault=throttle),
        fired(100, "audit-trail-write-throttled"),
        fired(150, "orders-write-throttled"),
    ]
    (fault,) = analyse(read_recording(write_journal(tmp_path / "j.jsonl", events))).faults
    assert fault.alarm is not None and fault.alarm.alarm == "orders-write-throttled"
    assert fault.time_to_alarm_s == 150.0


def test_mute_unmute_and_set_state_are_journaled_with_their_alarms() -> None:
    record = {
        "outcome": "ok",
        "service": "cloudwatch",
        "operation": "DisableAlarmActions",
        "params": {"AlarmNames": [CPU, f"{STREAM} scale up"]},
        "plan_title": "Mute 2 alarms for 30m: GD-12 rehearsal",
        "plan_key": "cloudwatch:alarms",
        "region": "us-east-1",
    }
    event = action_event(record, FROZEN)
    assert event is not None and event.kind == ev.ACTION and event.resource == CPU
    assert event.text == (
        f"Mute 2 alarms for 30m: GD-12 rehearsal: cloudwatch:DisableAlarmActions "
        f"AlarmNames={CPU},{STREAM} scale up (ok)"
    )
    state = action_event(
        {
            "outcome": "ok",
            "service": "cloudwatch",
            "operation": "SetAlarmState",
            "params": {"AlarmName": CPU, "StateValue": "ALARM", "StateReason": "prove the pager"},
            "plan_title": f"Set {CPU} to ALARM",
        },
        FROZEN,
    )
    assert state is not None and state.resource == CPU and "StateValue=ALARM" in state.text
