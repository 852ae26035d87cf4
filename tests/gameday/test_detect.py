"""The Detector: edge-triggered detections with hysteresis per pane, from hand-built snapshots, and
once against the simulator's seeded workload (us-east-1, read only) through the real pollers."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tui.aws.clients import AwsTarget, ClientFactory
from tui.aws.findings import FindingsSnapshot
from tui.aws.findings_model import Finding, parse_finding
from tui.aws.fis import ExperimentView, FisSnapshot
from tui.aws.kinesis import KinesisPoller, KinesisSnapshot, LambdaView, ReaderLag, StreamView
from tui.aws.limits import InstanceView, LimitsPoller, LimitsSnapshot, VolumeView
from tui.aws.limits_math import InstanceLimits, Thresholds
from tui.aws.outcome import ApiError
from tui.aws.sessions import ManagedTarget, SessionsPoller, SessionsSnapshot, SessionView
from tui.common import catalogue as cat
from tui.gameday import detect
from tui.gameday.detect import Detector
from tui.gameday.events import (
    DETECTED,
    FAULT_ENDED,
    FAULT_STARTED,
    FINDING_NEW,
    FINDING_WORKFLOW,
    RECOVERED,
    SESSION_ENDED,
    SESSION_STARTED,
    JournalEvent,
)

T0 = datetime(2026, 11, 20, 14, 0, tzinfo=UTC)
REGION = "us-east-1"
TAGS = (("Name", "payments-api-1"), ("Service", "payments-api"))


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def lvl(util: float | None) -> str:
    if util is None:
        return "unknown"
    return "critical" if util >= 0.95 else "warn" if util >= 0.8 else "ok"


def instance(**changes: Any) -> InstanceView:
    base = InstanceView(
        region=REGION,
        instance_id="i-0001",
        name="payments-api-1",
        instance_type="t3.large",
        state="running",
        tags=TAGS,
        period_s=60,
        limits=InstanceLimits(ebs_max_mbs=347.5, ebs_max_iops=15700, net_baseline_mbps=512.0),
        net_utilization=0.1,
        net_level="ok",
        ebs_utilization=0.2,
        ebs_level="ok",
        ebs_binding="instance",
        ebs_mbs=70.0,
        ebs_iops=1000.0,
        ebs_ceiling_mbs=347.5,
        ebs_ceiling_iops=15700.0,
        memory_used_pct=50.0,
    )
    return dataclasses.replace(base, **changes)


def ebs(util: float | None) -> InstanceView:
    return instance(ebs_utilization=util, ebs_level=lvl(util))


def volume(**changes: Any) -> VolumeView:
    base = VolumeView(
        region=REGION,
        volume_id="vol-0001",
        name="payments-api-1-root",
        volume_type="io2",
        size_gib=100,
        state="in-use",
        instance_id="i-0001",
        device="/dev/xvda",
        limit=None,
        utilization=0.1,
        level="ok",
        capped_by="volume",
    )
    return dataclasses.replace(base, **changes)


def limits(
    *instances: InstanceView, when: datetime = T0, errors: tuple[ApiError, ...] = ()
) -> LimitsSnapshot:
    return LimitsSnapshot(fetched_at=when, period_s=60, instances=instances, errors=errors)


def run(detector: Detector, pane: str, snapshots: list[Any]) -> list[list[JournalEvent]]:
    return [detector.observe(pane, s) for s in snapshots]


# ---------------------------------------------------------------------------------------------
# Limits
# ---------------------------------------------------------------------------------------------


def test_ebs_detects_escalates_and_recovers_with_a_margin() -> None:
    d = Detector()
    utils = [0.5, 0.85, 0.83, 0.97, 0.78, 0.76, 0.74, 0.5]
    out = run(d, "limits", [limits(ebs(u), when=at(n)) for n, u in enumerate(utils)])
    assert [[(e.kind, e.level) for e in events] for events in out] == [
        [],
        [(DETECTED, "warning")],
        [],
        [(DETECTED, "critical")],
        [(RECOVERED, "info")],
        [],
        [(RECOVERED, "info")],
        [],
    ]
    warn, crit, eased, rec = out[1][0], out[3][0], out[4][0], out[6][0]
    # Back below the critical line's recovery, still at its warning level: the impact is over.
    assert eased.detail[cat.EASED] == "critical" and cat.EASED not in rec.detail
    assert eased.value == 0.78 and eased.limit == pytest.approx(0.90)
    assert "below its critical line, still at its warning level" in eased.text
    assert (warn.metric, warn.resource, warn.source) == (cat.M_INSTANCE_EBS, "i-0001", "limits")
    assert (warn.value, warn.limit, warn.at) == (0.85, 0.8, at(1))
    assert (crit.value, crit.limit) == (0.97, 0.95)
    assert rec.value == 0.74 and rec.limit == pytest.approx(0.75)
    assert warn.detail["binding"] == "instance"
    assert warn.detail["ceiling_mbs"] == "347.5"
    assert warn.detail["name"] == "payments-api-1"
    assert warn.detail["tag:Service"] == "payments-api"
    assert rec.detail["tag:Service"] == "payments-api"
    assert "payments-api-1 (i-0001)" in warn.text and "85%" in warn.text and "binding: instance" in warn.text


def test_a_value_hovering_on_the_line_does_not_flap() -> None:
    d = Detector()
    utils = [0.81, 0.79, 0.81, 0.78, 0.8, 0.76, 0.82]
    events = [e for events in run(d, "limits", [limits(ebs(u)) for u in utils]) for e in events]
    assert [e.kind for e in events] == [DETECTED]


def test_critical_hovering_does_not_repeat_but_a_real_drop_rearms_escalation() -> None:
    d = Detector()
    utils = [0.97, 0.93, 0.96, 0.85, 0.96]
    out = run(d, "limits", [limits(ebs(u)) for u in utils])
    assert [[(e.kind, e.level) for e in events] for events in out] == [
        [(DETECTED, "critical")],
        [],
        [],
        [(RECOVERED, "info")],
        [(DETECTED, "critical")],
    ]


def test_unknown_values_neither_detect_nor_recover() -> None:
    d = Detector()
    out = run(d, "limits", [limits(ebs(None)), limits(ebs(0.9)), limits(ebs(None)), limits(ebs(0.1))])
    assert [[e.kind for e in events] for events in out] == [[], [DETECTED], [], [RECOVERED]]


def test_memory_detects_at_90_and_recovers_below_85() -> None:
    d = Detector()
    pcts = [80.0, 91.0, 88.0, 96.0, 86.0, 84.0]
    out = run(d, "limits", [limits(instance(memory_used_pct=p)) for p in pcts])
    flat = [(e.kind, e.level, e.limit) for events in out for e in events]
    assert flat == [
        (DETECTED, "warning", 90.0),
        (DETECTED, "critical", 95.0),
        (RECOVERED, "info", 90.0),
        (RECOVERED, "info", 85.0),
    ]
    assert out[1][0].metric == cat.M_INSTANCE_MEMORY and out[1][0].unit == "percent"


def test_network_uses_the_panes_level_and_the_detectors_thresholds() -> None:
    d = Detector(Thresholds(warn=0.6, critical=0.9))
    out = run(
        d,
        "limits",
        [
            limits(instance(net_utilization=0.65, net_level="warn", net_in_mbps=330.0)),
            limits(instance(net_utilization=0.56, net_level="ok")),
            limits(instance(net_utilization=0.54, net_level="ok")),
        ],
    )
    assert [[e.kind for e in events] for events in out] == [[DETECTED], [], [RECOVERED]]
    first = out[0][0]
    assert (first.metric, first.limit) == (cat.M_INSTANCE_NETWORK, 0.6)
    assert first.detail["baseline_mbps"] == "512"
    assert out[2][0].limit == pytest.approx(0.55)


def test_volume_carries_its_cap_instance_and_the_instances_tags() -> None:
    d = Detector()
    hot = volume(utilization=0.86, level="warn", capped_by="instance")
    out = run(d, "limits", [limits(instance(volumes=(volume(),))), limits(instance(volumes=(hot,)))])
    assert out[0] == []
    (event,) = out[1]
    assert (event.metric, event.resource, event.limit) == (cat.M_VOLUME, "vol-0001", 0.8)
    assert event.detail["capped_by"] == "instance"
    assert event.detail["instance_id"] == "i-0001"
    assert event.detail["instance_name"] == "payments-api-1"
    assert event.detail["name"] == "payments-api-1-root"
    assert event.detail["tag:Service"] == "payments-api"


def test_a_resource_gone_from_a_clean_snapshot_recovers_but_not_from_a_failed_region() -> None:
    d = Detector()
    d.observe("limits", limits(ebs(0.9)))
    failed = ApiError(REGION, "ec2:DescribeInstances", "throttled")
    assert d.observe("limits", limits(errors=(failed,))) == []
    assert d.open_signals == ((cat.M_INSTANCE_EBS, "i-0001"),)
    (gone,) = d.observe("limits", limits(when=at(5)))
    assert (gone.kind, gone.resource, gone.at) == (RECOVERED, "i-0001", at(5))
    assert gone.detail["reason"] == "no longer listed"
    assert gone.detail["tag:Service"] == "payments-api"
    assert not d.open_signals


def test_a_failed_poll_produces_nothing_and_keeps_state() -> None:
    from tui.aws.errors import AwsProblem, ErrorKind

    d = Detector()
    d.observe("limits", limits(ebs(0.9)))
    broken = LimitsSnapshot(fetched_at=T0, period_s=60, error=AwsProblem(ErrorKind.NETWORK, "down", ""))
    assert d.observe("limits", broken) == []
    assert d.observe("limits", limits(ebs(0.9))) == []
    assert [e.kind for e in d.observe("limits", limits(ebs(0.1)))] == [RECOVERED]


def test_calm_gauges_are_judged_by_key_alone_and_never_count_as_gone() -> None:
    d = Detector()
    calm = instance(instance_id="i-0002", volumes=(volume(volume_id="vol-0002", instance_id="i-0002"),))
    keys = {r.key for r in d._instance_readings(calm)}
    assert set(d._instance_keys(calm)) == keys
    assert d._volume_reading(calm, calm.volumes[0]).key == (cat.M_VOLUME, REGION, "vol-0002")
    hot = volume(utilization=0.86, level="warn")
    first = d.observe("limits", limits(calm, dataclasses.replace(ebs(0.9), volumes=(hot,))))
    assert sorted(e.resource for e in first) == ["i-0001", "vol-0001"]
    # The calm instance is still listed, the hot one calms down: only its signals recover.
    again = d.observe("limits", limits(calm, dataclasses.replace(ebs(0.5), volumes=(volume(),)), when=at(1)))
    assert sorted((e.kind, e.resource) for e in again) == [(RECOVERED, "i-0001"), (RECOVERED, "vol-0001")]
    assert "no longer listed" not in str([e.detail for e in again])
    assert d.observe("limits", limits(calm, ebs(0.5), when=at(2))) == []
    assert not d.open_signals


def test_other_panes_produce_nothing() -> None:
    assert Detector().observe("overview", object()) == []


# ---------------------------------------------------------------------------------------------
# Kinesis
# ---------------------------------------------------------------------------------------------


def stream(**changes: Any) -> StreamView:
    base = StreamView(
        region=REGION,
        stream_name="payments-events",
        stream_arn="arn:aws:kinesis:us-east-1:123456789012:stream/payments-events",
        mode="PROVISIONED",
        status="ACTIVE",
        open_shards=1,
        retention_hours=24,
        incoming_records_per_s=950.0,
        usage_factor=0.5,
        usage_level="ok",
        iterator_age_ms=1000.0,
        iterator_age_retention_fraction=0.01,
        age_level="ok",
        write_throttled=0.0,
    )
    return dataclasses.replace(base, **changes)


def fn(errors: float | None, name: str = "payments-ledger-writer") -> LambdaView:
    return LambdaView(function_name=name, uuid="u-1", state="Enabled", batch_size=100, errors=errors)


def kinesis(*streams: StreamView, when: datetime = T0) -> KinesisSnapshot:
    return KinesisSnapshot(fetched_at=when, streams=streams)


def age(fraction: float) -> StreamView:
    level = "critical" if fraction >= 1 else "warn" if fraction >= 0.5 else "ok"
    return stream(
        iterator_age_retention_fraction=fraction, iterator_age_ms=fraction * 86_400_000, age_level=level
    )


def test_iterator_age_against_retention() -> None:
    d = Detector()
    out = run(d, "kinesis", [kinesis(age(f)) for f in (0.3, 0.52, 0.48, 1.01, 0.46, 0.44)])
    flat = [(e.kind, e.level, e.limit) for events in out for e in events]
    assert flat == [
        (DETECTED, "warning", 0.5),
        (DETECTED, "critical", 1.0),
        (RECOVERED, "info", pytest.approx(0.95)),
        (RECOVERED, "info", pytest.approx(0.45)),
    ]
    first = out[1][0]
    assert (first.metric, first.resource) == (cat.M_STREAM_AGE, "payments-events")
    assert first.detail["name"] == "payments-events"
    assert first.detail["retention_hours"] == "24"
    # Headroom: back below the critical line (records no longer expiring unread), the loss is over.
    assert out[4][0].detail[cat.EASED] == "critical"


def reader(name: str, behind_ms: float | None, growth: float | None, stalled: bool) -> ReaderLag:
    return ReaderLag(
        name, "enhanced fan-out", "SubscribeToShardEvent.MillisBehindLatest", behind_ms, "", growth, stalled
    )


def test_a_stalled_reader_is_detected_and_recovers_when_it_reads_again() -> None:
    d = Detector()
    slow = reader("ledger-writer", 3_600_000.0, 370.0, False)
    steps = [
        reader("projector", 5_000.0, 0.0, False),
        reader("projector", 185_000.0, 1000.0, True),
        reader("projector", 245_000.0, 1000.0, True),
        reader("projector", None, None, False),  # unknown: neither
        reader("projector", 200_000.0, -700.0, False),
        reader("projector", 100_000.0, -700.0, False),
    ]
    out = run(
        d, "kinesis", [kinesis(stream(readers=(step, slow)), when=at(n)) for n, step in enumerate(steps)]
    )
    stalls = [[(e.kind, e.level) for e in events if e.metric == cat.M_READER_STALLED] for events in out]
    assert stalls == [[], [(DETECTED, "critical")], [], [], [(RECOVERED, "info")], []]
    found, back = out[1][0], out[4][0]
    assert found.resource == "payments-events/projector"
    assert (found.detail["name"], found.detail["stream"]) == ("projector", "payments-events")
    assert found.value == pytest.approx(1.0) and found.limit == pytest.approx(0.9) and found.unit == "ms/ms"
    assert found.text == "payments-events / projector: reader stalled, lag +60 s/min, 3.1 min behind"
    assert back.text == "payments-events / projector: reader no longer stalled, lag -42 s/min, 3.3 min behind"
    # The slow reader, a third of time's pace, never counts.
    assert all(e.resource != "payments-events/ledger-writer" for events in out for e in events)


def test_a_stalled_reader_no_longer_listed_recovers() -> None:
    d = Detector()
    stuck = reader("projector", 185_000.0, 1000.0, True)
    assert [e.kind for e in d.observe("kinesis", kinesis(stream(readers=(stuck,))))] == [DETECTED]
    (gone,) = d.observe("kinesis", kinesis(stream(readers=()), when=at(1)))
    assert (gone.kind, gone.metric, gone.detail["reason"]) == (
        RECOVERED,
        cat.M_READER_STALLED,
        "no longer listed",
    )


def test_a_stall_on_a_faulted_stream_names_the_fault() -> None:
    d = Detector()
    lag = experiment(
        "running",
        fault="kinesis-consumer-lag",
        target="payments-events",
        tags=((cat.FAULT_TAG, "kinesis-consumer-lag"), (cat.TARGET_TAG, "payments-events")),
    )
    d.observe("fis", fis(lag))
    stuck = reader("projector", 185_000.0, 1000.0, True)
    (found,) = d.observe("kinesis", kinesis(stream(readers=(stuck,))))
    assert found.fault == "kinesis-consumer-lag"


def test_usage_level() -> None:
    d = Detector()
    out = run(
        d,
        "kinesis",
        [
            kinesis(stream(usage_factor=0.94, usage_level="warn")),
            kinesis(stream(usage_factor=0.72, usage_level="ok")),
            kinesis(stream(usage_factor=0.6, usage_level="ok")),
        ],
    )
    assert [[(e.kind, e.metric) for e in events] for events in out] == [
        [(DETECTED, cat.M_STREAM_USAGE)],
        [],
        [(RECOVERED, cat.M_STREAM_USAGE)],
    ]
    assert out[0][0].text == "payments-events: write usage at 94% ≥ 75% (of 1 shard's write capacity)"


def test_write_throttling_at_one_percent_of_incoming_records() -> None:
    d = Detector()
    # 1,000 records/s: 60,000 a minute, so the limit is 600 throttled records and recovery below 300.
    counts = [500.0, 700.0, 350.0, 200.0, None]
    out = run(
        d, "kinesis", [kinesis(stream(incoming_records_per_s=1000.0, write_throttled=c)) for c in counts]
    )
    assert [[e.kind for e in events] for events in out] == [[], [DETECTED], [], [RECOVERED], []]
    detected = out[1][0]
    assert (detected.metric, detected.value, detected.limit) == (cat.M_STREAM_THROTTLE, 700.0, 600.0)
    assert detected.detail["share"] == "1.17%"


def test_write_throttling_needs_at_least_one_record_and_a_known_rate() -> None:
    d = Detector()
    assert d.observe("kinesis", kinesis(stream(incoming_records_per_s=0.5, write_throttled=0.0))) == []
    assert d.observe("kinesis", kinesis(stream(incoming_records_per_s=None, write_throttled=900.0))) == []
    (event,) = d.observe("kinesis", kinesis(stream(incoming_records_per_s=0.0, write_throttled=1.0)))
    assert (event.value, event.limit) == (1.0, 1.0)


def test_lambda_errors_threshold_between_the_baseline_and_a_third_failing() -> None:
    d = Detector()
    # 950 records/s in batches of 100: about 570 invocations a minute, 5% is 28.5 errors.
    baseline = [kinesis(stream(lambdas=(fn(e),))) for e in (0.0, 2.0, 1.0)]
    assert [e for events in run(d, "kinesis", baseline) for e in events] == []
    out = run(d, "kinesis", [kinesis(stream(lambdas=(fn(e),))) for e in (120.0, 20.0, 10.0)])
    assert [[e.kind for e in events] for events in out] == [[DETECTED], [], [RECOVERED]]
    event = out[0][0]
    assert (event.metric, event.resource, event.limit) == (
        cat.M_LAMBDA_ERRORS,
        "payments-ledger-writer",
        28.5,
    )
    assert event.detail["stream"] == "payments-events"
    assert event.detail["name"] == "payments-ledger-writer"


def test_lambda_errors_without_a_rate_use_the_floor_and_a_function_counts_once() -> None:
    d = Detector()
    quiet = stream(incoming_records_per_s=None, lambdas=(fn(4.0),))
    assert d.observe("kinesis", kinesis(quiet)) == []
    failing = stream(incoming_records_per_s=None, lambdas=(fn(5.0),))
    other = stream(stream_name="ledger-cdc", incoming_records_per_s=None, lambdas=(fn(5.0),))
    events = d.observe("kinesis", kinesis(failing, other))
    assert [(e.metric, e.limit) for e in events] == [(cat.M_LAMBDA_ERRORS, detect.LAMBDA_MIN_ERRORS)]


# ---------------------------------------------------------------------------------------------
# Findings
# ---------------------------------------------------------------------------------------------


def finding(
    n: int, severity: str = "CRITICAL", workflow: str = "NEW", state: str = "ACTIVE", **extra: Any
) -> Finding:
    raw = {
        "Id": f"finding-{n}",
        "ProductArn": "arn:aws:securityhub:us-east-1::product/aws/securityhub",
        "Title": f"Security groups should not allow unrestricted access to ports with high risk {n}",
        "Severity": {"Label": severity},
        "Workflow": {"Status": workflow},
        "RecordState": state,
        "Compliance": {"Status": "FAILED", "SecurityControlId": "EC2.19"},
        "Resources": [
            {"Type": "AwsEc2SecurityGroup", "Id": f"arn:aws:ec2:us-east-1:1:security-group/sg-{n}"}
        ],
        **extra,
    }
    parsed = parse_finding(raw)
    assert parsed is not None
    return parsed


def findings(*items: Finding, version: int, when: datetime = T0) -> FindingsSnapshot:
    return FindingsSnapshot(fetched_at=when, region=REGION, findings=items, version=version)


def test_findings_first_snapshot_is_the_baseline_then_new_critical_and_high() -> None:
    d = Detector()
    assert d.observe("findings", findings(finding(1), version=1)) == []
    hostile = finding(4, "HIGH", Title="open \x1b[31mSSH\x1b]0;pwned\x07 to the world")
    events = d.observe(
        "findings",
        findings(finding(1), finding(2), finding(3, "MEDIUM"), hostile, version=2, when=at(1)),
    )
    assert [(e.kind, e.ref, e.level) for e in events] == [
        (FINDING_NEW, "finding-2", "critical"),
        (FINDING_NEW, "finding-4", "warning"),
    ]
    new = events[0]
    assert new.metric == cat.M_FINDING_NEW
    assert new.resource == "arn:aws:ec2:us-east-1:1:security-group/sg-2"
    assert new.detail["name"] == "sg-2"
    assert "CRITICAL" in new.text and "EC2.19" in new.text
    assert new.at == at(1)
    assert events[1].text == "new HIGH EC2.19: open SSH to the world"
    assert "\x1b" not in events[1].detail["title"]


def test_findings_same_version_is_not_reread() -> None:
    d = Detector()
    d.observe("findings", findings(finding(1), version=3))
    assert d.observe("findings", findings(finding(1), finding(2), version=3)) == []


def test_finding_workflow_change_and_reactivation() -> None:
    d = Detector()
    d.observe("findings", findings(finding(1), finding(2, "HIGH"), version=1))
    resolved = finding(
        1,
        workflow="RESOLVED",
        Note={"Text": "revoked", "UpdatedBy": "sg-high-risk-ports", "UpdatedAt": "2026-11-20T14:00:00Z"},
    )
    archived = finding(2, "HIGH", state="ARCHIVED")
    events = d.observe("findings", findings(resolved, archived, version=2))
    assert [(e.kind, e.ref) for e in events] == [(FINDING_WORKFLOW, "finding-1")]
    change = events[0]
    assert change.text.startswith("NEW -> RESOLVED")
    assert change.detail["updated_by"] == "sg-high-risk-ports"
    back = d.observe("findings", findings(resolved, finding(2, "HIGH"), version=3))
    assert [(e.kind, e.ref) for e in back] == [(FINDING_NEW, "finding-2")]


# ---------------------------------------------------------------------------------------------
# Sessions
# ---------------------------------------------------------------------------------------------


def node(instance_id: str, status: str, name: str = "") -> ManagedTarget:
    return ManagedTarget(
        instance_id=instance_id,
        name=name,
        resource_type="EC2Instance",
        ping_status=status,
        platform_type="Linux",
        platform_name="Amazon Linux",
        platform_version="2023",
        agent_version="3.3.1142.0",
        agent_outdated=False,
        ip_address=None,
        computer_name=None,
        last_ping_at=T0,
        region=REGION,
    )


def session(sid: str, *, active: bool = True, end: datetime | None = None) -> SessionView:
    return SessionView(
        session_id=sid,
        target="i-0001",
        owner="arn:aws:iam::123456789012:user/alice",
        status="Connected" if active else "Terminated",
        start_date=at(-3),
        end_date=end,
        document_name=None,
        reason=None,
        region=REGION,
        active=active,
    )


def sessions(
    *nodes: ManagedTarget,
    active: tuple[SessionView, ...] = (),
    history: tuple[SessionView, ...] = (),
    errors: tuple[ApiError, ...] = (),
    when: datetime = T0,
) -> SessionsSnapshot:
    return SessionsSnapshot(fetched_at=when, instances=nodes, active=active, history=history, errors=errors)


def test_node_ping_detects_on_first_sight_and_on_leaving_online() -> None:
    d = Detector()
    # The limits pane told the detector the instance's tags: node.ping carries them.
    d.observe("limits", limits(instance()))
    first = d.observe(
        "sessions", sessions(node("i-0001", "Online", "payments-api-1"), node("mi-2", "ConnectionLost"))
    )
    assert [(e.kind, e.resource, e.metric) for e in first] == [(DETECTED, "mi-2", cat.M_NODE_PING)]
    second = d.observe(
        "sessions", sessions(node("i-0001", "ConnectionLost", "payments-api-1"), node("mi-2", "Inactive"))
    )
    assert [(e.kind, e.resource) for e in second] == [(DETECTED, "i-0001")]
    assert second[0].detail["tag:Service"] == "payments-api"
    assert second[0].detail["ping_status"] == "ConnectionLost"
    third = d.observe("sessions", sessions(node("i-0001", "Online"), node("mi-2", "Online")))
    assert [(e.kind, e.resource) for e in third] == [(RECOVERED, "i-0001"), (RECOVERED, "mi-2")]
    assert d.observe("sessions", sessions(node("i-0001", ""), node("mi-2", "Online"))) == []


def test_sessions_start_and_end_after_the_baseline() -> None:
    d = Detector()
    assert d.observe("sessions", sessions(active=(session("s-1"),))) == []
    started = d.observe("sessions", sessions(active=(session("s-1"), session("s-2"))))
    assert [(e.kind, e.ref, e.at) for e in started] == [(SESSION_STARTED, "s-2", at(-3))]
    assert started[0].resource == "i-0001"
    failed = ApiError(REGION, "ssm:DescribeSessions (Active)", "throttled")
    assert d.observe("sessions", sessions(errors=(failed,))) == []
    ended = d.observe(
        "sessions", sessions(active=(session("s-2"),), history=(session("s-1", active=False, end=at(2)),))
    )
    assert [(e.kind, e.ref, e.at) for e in ended] == [(SESSION_ENDED, "s-1", at(2))]
    assert ended[0].resource == "i-0001"


def test_a_session_whose_end_the_console_journaled_is_not_journaled_again() -> None:
    d = Detector()
    assert d.observe("sessions", sessions()) == []
    started = d.observe("sessions", sessions(active=(session("s-1"),)))
    assert [(e.kind, e.ref) for e in started] == [(SESSION_STARTED, "s-1")]
    d.session_ended("s-1")
    assert d.observe("sessions", sessions(active=(session("s-1"),))) == []
    assert d.observe("sessions", sessions(history=(session("s-1", active=False, end=at(2)),))) == []


# ---------------------------------------------------------------------------------------------
# FIS
# ---------------------------------------------------------------------------------------------

SCENARIO_START = "2026-11-20T13:58:00+00:00"


def experiment(status: str, **changes: Any) -> ExperimentView:
    base = ExperimentView(
        region=REGION,
        experiment_id="EXP1",
        template_id="EXT1",
        status=status,
        reason="",
        fault="ebs-instance-cap",
        target="i-0001",
        origin="scenario",
        started_at=at(-0.5),
        ended_at=None,
        tags=(
            (cat.FAULT_TAG, "ebs-instance-cap"),
            (cat.ORIGIN_TAG, "scenario"),
            (cat.SCENARIO_TAG, "lunch-rush"),
            (cat.SCENARIO_START_TAG, SCENARIO_START),
            (cat.SPEED_TAG, "10"),
            (cat.TARGET_TAG, "i-0001"),
        ),
    )
    return dataclasses.replace(base, **changes)


def fis(*experiments: ExperimentView, when: datetime = T0) -> FisSnapshot:
    return FisSnapshot(fetched_at=when, experiments=experiments)


def test_fault_started_and_ended_once_at_the_experiments_own_times() -> None:
    d = Detector()
    d.observe("limits", limits(instance()))
    (started,) = d.observe("fis", fis(experiment("running"), when=at(1)))
    assert (started.kind, started.at, started.fault) == (FAULT_STARTED, at(-0.5), "ebs-instance-cap")
    assert (started.resource, started.ref, started.source) == ("i-0001", "EXP1", "fis")
    assert started.detail["origin"] == "scenario"
    assert started.detail["template"] == "EXT1"
    assert started.detail["speed"] == "10"
    assert started.detail["scenario_start"] == SCENARIO_START
    assert started.detail["scenario"] == "lunch-rush"
    assert started.detail["target_name"] == "payments-api-1"
    assert started.text == (
        "fault started: EBS throughput capped by the instance on payments-api-1 (i-0001) (scenario)"
    )
    assert d.observe("fis", fis(experiment("running"), when=at(2))) == []
    done = experiment("stopped", ended_at=at(4), reason="stopped by the facilitator")
    (ended,) = d.observe("fis", fis(done, when=at(5)))
    assert (ended.kind, ended.at, ended.ref) == (FAULT_ENDED, at(4), "EXP1")
    assert ended.detail["status"] == "stopped"
    assert ended.detail["reason"] == "stopped by the facilitator"
    assert d.observe("fis", fis(done, when=at(6))) == []


def test_an_experiment_first_seen_ended_emits_both_once() -> None:
    d = Detector()
    done = experiment("completed", started_at=at(-10), ended_at=at(-2))
    events = d.observe("fis", fis(done))
    assert [(e.kind, e.at) for e in events] == [(FAULT_STARTED, at(-10)), (FAULT_ENDED, at(-2))]
    assert d.observe("fis", fis(done)) == []


def test_experiments_without_times_wait_and_cancelled_ones_never_started() -> None:
    d = Detector()
    assert d.observe("fis", fis(experiment("running", started_at=None, detailed=False))) == []
    assert [e.kind for e in d.observe("fis", fis(experiment("running")))] == [FAULT_STARTED]
    assert d.observe("fis", fis(experiment("pending", experiment_id="EXP2"))) == []
    assert d.observe("fis", fis(experiment("cancelled", experiment_id="EXP2"))) == []


def test_detections_on_a_running_faults_target_name_the_fault() -> None:
    d = Detector()
    d.observe("fis", fis(experiment("running")))
    (hit,) = d.observe("limits", limits(ebs(0.97)))
    assert hit.fault == "ebs-instance-cap"
    d.observe("fis", fis(experiment("completed", ended_at=at(3))))
    (after,) = d.observe("limits", limits(ebs(0.1)))
    assert after.fault == ""


def test_experiment_memory_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(detect, "MAX_EXPERIMENTS", 3)
    d = Detector()
    for n in range(6):
        d.observe("fis", fis(experiment("completed", experiment_id=f"E{n}", ended_at=at(1))))
    assert len(d._experiments) == 3
    # The newest ones are still known: seeing them again reports nothing.
    assert d.observe("fis", fis(experiment("completed", experiment_id="E5", ended_at=at(1)))) == []


# ---------------------------------------------------------------------------------------------
# Against the simulator
# ---------------------------------------------------------------------------------------------


async def test_real_pollers_feed_the_detector(sim: Any, sim_url: str) -> None:
    # The session simulator writes no live minutes: the last half hour is written now, as a live
    # simulator would have it, so the pollers' recent windows have data however long after the
    # simulator's start this test runs.
    sim.workload.write_minutes(datetime.now(UTC), 30)
    factory = ClientFactory(
        AwsTarget(regions=("us-east-1",), endpoint_url=sim_url, access_key="testing", secret_key="testing")
    )
    # Low lines so the seeded fleet's ordinary load crosses some of them whatever the time of day.
    thresholds = Thresholds(warn=0.2, critical=0.5)
    try:
        limits_snap = await LimitsPoller(factory, thresholds=thresholds).poll()
        kinesis_snap = await KinesisPoller(factory).poll()
        sessions_snap = await SessionsPoller(factory).poll()
    finally:
        await factory.close()
    detector = Detector(thresholds)
    events = detector.observe("limits", limits_snap)
    events += detector.observe("kinesis", kinesis_snap)
    events += detector.observe("sessions", sessions_snap)

    instance_ids = {i.instance_id for i in limits_snap.instances}
    volume_ids = {v.volume_id for i in limits_snap.instances for v in i.volumes}
    streams = {s.stream_name for s in kinesis_snap.streams}
    functions = {f.function_name for s in kinesis_snap.streams for f in s.lambdas}
    nodes = {n.instance_id for n in sessions_snap.instances}
    known = {
        cat.M_INSTANCE_EBS: instance_ids,
        cat.M_INSTANCE_NETWORK: instance_ids,
        cat.M_INSTANCE_MEMORY: instance_ids,
        cat.M_VOLUME: volume_ids,
        cat.M_STREAM_AGE: streams,
        cat.M_STREAM_USAGE: streams,
        cat.M_STREAM_THROTTLE: streams,
        cat.M_LAMBDA_ERRORS: functions,
        cat.M_NODE_PING: nodes,
    }
    sources = {e.source for e in events}
    assert {"limits", "kinesis", "sessions"} <= sources, sources
    for event in events:
        assert event.kind == DETECTED, event
        assert event.resource in known[event.metric], event
        assert event.detail.get("name"), event
    limits_events = [e for e in events if e.source == "limits"]
    assert any(e.detail.get("tag:Service") for e in limits_events)
    # The seeded payments-events stream runs near one shard's write capacity all day.
    assert (cat.M_STREAM_USAGE, "payments-events") in {(e.metric, e.resource) for e in events}
    # The seeded hybrid node whose agent went quiet.
    assert any(e.metric == cat.M_NODE_PING and e.detail.get("name") == "branch-pos-gw-2" for e in events)
    # A second look at the same snapshots reports nothing new.
    assert detector.observe("limits", limits_snap) == []
    assert detector.observe("kinesis", kinesis_snap) == []
    assert detector.observe("sessions", sessions_snap) == []


def test_a_fault_ended_says_how_it_ended_when_the_experiment_tells() -> None:
    detector = Detector()
    outcome = "mitigated: the rule allowing SSH from 0.0.0.0/0 was revoked"
    ended = experiment(
        "completed",
        reason="Experiment completed",
        ended_at=at(3),
        tags=(*experiment("running").tags, (cat.OUTCOME_TAG, outcome)),
    )
    events = detector.observe("fis", FisSnapshot(fetched_at=at(4), experiments=(ended,)))
    (finished,) = [e for e in events if e.kind == FAULT_ENDED]
    assert finished.detail["outcome"] == outcome
    assert outcome in finished.text and "Experiment completed" not in finished.text


def test_write_throttling_is_critical_at_five_percent_and_a_drop_rearms_it() -> None:
    d = Detector()
    # 60,000 records a minute: warning at 600, critical at 3,000 (recovering from it below 1,500).
    counts = [700.0, 3_100.0, 3_500.0, 1_000.0, 3_200.0, 200.0]
    out = run(
        d, "kinesis", [kinesis(stream(incoming_records_per_s=1000.0, write_throttled=c)) for c in counts]
    )
    assert [[(e.kind, e.level) for e in events] for events in out] == [
        [(DETECTED, "warning")],
        [(DETECTED, "critical")],
        [],
        [(RECOVERED, "info")],
        [(DETECTED, "critical")],
        [(RECOVERED, "info")],
    ]
    critical = out[1][0]
    assert (critical.value, critical.limit) == (3_100.0, 3_000.0)
    assert "5% of 60,000 incoming records" in critical.text


def test_a_stream_name_in_several_accounts_is_several_signals_each_naming_its_account() -> None:
    """An organization repeats a stream's name in every account: each account's stream is detected
    and recovers on its own, and an event names the account its stream is in."""
    d = Detector()
    payments, ledger = "210987654321", "345678901234"
    full = {"usage_factor": 0.94, "usage_level": "warn"}
    calm = {"usage_factor": 0.5, "usage_level": "ok"}
    first = d.observe(
        "kinesis", kinesis(stream(account_id=payments, **full), stream(account_id=ledger, **full))
    )
    assert sorted((e.kind, e.detail["account"]) for e in first) == [(DETECTED, payments), (DETECTED, ledger)]
    assert all(
        e.text.startswith(f"payments-events · {e.detail['account']} {REGION}: write usage") for e in first
    )
    # One account's stream calms down; the other's stays detected.
    (back,) = d.observe(
        "kinesis", kinesis(stream(account_id=payments, **calm), stream(account_id=ledger, **full))
    )
    assert (back.kind, back.detail["account"]) == (RECOVERED, payments)
    assert len(d.open_signals) == 1
    # One account alone: the events read as they always have.
    (alone,) = Detector().observe("kinesis", kinesis(stream(account_id=payments, **full)))
    assert alone.text.startswith("payments-events: write usage")
