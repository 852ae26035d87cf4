"""Every fault of the catalogue, injected into the us-east-1 workload of the module's own simulator,
shows in the console's own pollers as the catalogue documents; clearing it restores the workload.

The module's tests share its simulator: every test here leaves it as it found it. Metric faults are
backdated into a window of their own, two days and more before now (``window``), where no other
test reads: the test writes that window's minutes with ``Workload.write_minutes``, polls with the
real poller classes on a clock set to the window's end, clears the fault at that moment, and the
fixture then removes the window's datapoints again. State faults (a security group rule, a
bucket's public access, an SSM agent) are cleared or mitigated and their findings archived.
"""

from __future__ import annotations

import inspect
import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tui.aws.actions import ActionRunner, AuditLog
from tui.aws.actions.playbooks import RemediationContext, playbook_for, prepare, run
from tui.aws.clients import AwsTarget, ClientFactory
from tui.aws.findings import FindingsPoller, FindingsSnapshot
from tui.aws.findings_model import Finding
from tui.aws.kinesis import KinesisPoller, KinesisSnapshot, StreamView
from tui.aws.limits import InstanceView, LimitsPoller, LimitsSnapshot
from tui.aws.sessions import SessionsSnapshot
from tui.aws.sessions import poll as poll_sessions
from tui.common import catalogue as cat
from tui.sim import catalog
from tui.sim.account import ACCOUNT_ID
from tui.sim.extensions.securityhub import delete_findings
from tui.sim.faults import DEFAULT_TARGETS, FAULTS, FaultConflict, FaultEngine, FaultError, FaultRecord
from tui.sim.metricgen import minute_of, minute_start
from tui.sim.server import SimServer
from tui.sim.workload import drop_points


@pytest.fixture(scope="module")
def sim(own_sim: SimServer) -> SimServer:
    """Every test here injects faults: the module's own simulator (own_sim)."""
    return own_sim


@pytest.fixture(scope="module")
def sim_url(own_sim: SimServer) -> str:
    return own_sim.endpoint_url


REGION = "us-east-1"
BEFORE = 60
"""Minutes written before a window's end: the pollers read the last hour."""
AFTER = 30
"""Minutes a test may write after a window's end (to see the workload back to normal)."""
LEAD = timedelta(minutes=40)
"""How long before a window's end its fault starts (ramps are over by then)."""
_BASE = minute_start(minute_of(datetime.now(UTC) - timedelta(days=2)))
_windows = itertools.count()

Client = Callable[..., Any]


@dataclass(frozen=True)
class Window:
    """An hour of metrics of its own, ending at ``end``; the fault started at ``started``."""

    end: datetime

    @property
    def started(self) -> datetime:
        return self.end - LEAD


@pytest.fixture
def engine(sim: SimServer) -> Iterator[FaultEngine]:
    """The module simulator's fault engine; afterwards no fault is active and the findings the
    test's faults imported (archived by then) are gone from the hub, as before the test."""
    engine = sim.faults
    assert engine is not None, "the module's simulator has no fault engine"
    assert not engine.active(), f"faults left active by an earlier test: {engine.active()}"
    known = len(engine.faults())
    yield engine
    left = engine.clear_all()
    findings = [r.data["finding"] for r in engine.faults()[known:] if "finding" in r.data]
    delete_findings(ACCOUNT_ID, REGION, [(f["Id"], f["ProductArn"]) for f in findings])
    assert not left, f"the test left faults active: {left}"


@pytest.fixture
def window(sim: SimServer, engine: FaultEngine) -> Iterator[Window]:
    """A window three hours before the previous test's, so their faults never overlap."""
    end = _BASE - timedelta(hours=3 * next(_windows))
    yield Window(end)
    engine.clear_all(at=end)
    workload = sim.workload
    first = end - timedelta(minutes=BEFORE + 5)
    keys = [key for key, _ in workload.generator.sample(minute_of(end) - 1)]
    drop_points(ACCOUNT_ID, REGION, keys, first, end + timedelta(minutes=AFTER + 5))
    for stream in workload.fleet.streams:
        workload.generator.forget(stream.name, minute_of(first))


def _factory(sim: SimServer) -> ClientFactory:
    return ClientFactory(
        AwsTarget(
            regions=(REGION,), endpoint_url=sim.endpoint_url, access_key="testing", secret_key="testing"
        )
    )


async def _limits(sim: SimServer, at: datetime) -> LimitsSnapshot:
    factory = _factory(sim)
    try:
        return await LimitsPoller(factory, clock=lambda: at).poll()
    finally:
        await factory.close()


async def _kinesis(sim: SimServer, at: datetime) -> KinesisSnapshot:
    factory = _factory(sim)
    try:
        return await KinesisPoller(factory, clock=lambda: at).poll()
    finally:
        await factory.close()


async def _findings(sim: SimServer) -> FindingsSnapshot:
    factory = _factory(sim)
    try:
        return await FindingsPoller(factory, region=REGION).poll()
    finally:
        await factory.close()


async def _sessions(sim: SimServer) -> SessionsSnapshot:
    factory = _factory(sim)
    try:
        return await poll_sessions(factory)
    finally:
        await factory.close()


def _instance(snapshot: LimitsSnapshot, instance_id: str) -> InstanceView:
    assert not snapshot.errors, snapshot.errors
    return next(view for view in snapshot.instances if view.instance_id == instance_id)


def _stream(snapshot: KinesisSnapshot, name: str) -> StreamView:
    assert not snapshot.errors, snapshot.errors
    return next(view for view in snapshot.streams if view.stream_name == name)


def _experiment(client: Client, record: FaultRecord) -> dict[str, Any]:
    experiment: dict[str, Any] = client("fis").get_experiment(id=record.experiment_id)["experiment"]
    return experiment


def _assert_stopped(client: Client, record: FaultRecord, at: datetime) -> None:
    assert record.state == "ended" and record.ended_at == at
    experiment = _experiment(client, record)
    assert experiment["state"]["status"] == "stopped"
    assert experiment["startTime"] == record.started_at
    assert experiment["endTime"] == at


def _metric(
    client: Client, namespace: str, metric: str, dims: dict[str, str], minute: int, stat: str
) -> float:
    result = client("cloudwatch").get_metric_data(
        MetricDataQueries=[
            {
                "Id": "m",
                "MetricStat": {
                    "Metric": {
                        "Namespace": namespace,
                        "MetricName": metric,
                        "Dimensions": [{"Name": k, "Value": v} for k, v in dims.items()],
                    },
                    "Period": 60,
                    "Stat": stat,
                },
            }
        ],
        StartTime=minute_start(minute),
        EndTime=minute_start(minute + 1),
    )["MetricDataResults"][0]
    (value,) = result["Values"]
    return float(value)


def _series_value(sim: SimServer, minute: int, namespace: str, metric: str, resource: str) -> float:
    """What the generator computes for a minute with no fault at all."""
    sample = sim.workload.generator.sample(minute)
    return float(
        next(v for k, v in sample if (k.namespace, k.metric, k.resource) == (namespace, metric, resource))
    )


# ------------------------------------------------------------------------------------------------
# The catalogue
# ------------------------------------------------------------------------------------------------


def test_every_catalogue_fault_is_implemented_with_a_default_target_in_the_workload(
    engine: FaultEngine,
) -> None:
    assert set(FAULTS) == set(cat.BY_ID) and len(FAULTS) == 10
    expected = {
        "ebs-instance-cap": "payments-db-1",
        "io2-instance-cap": "payments-db-1-wal",
        "network-baseline": "ingest-1",
        "kinesis-consumer-lag": "ledger-cdc",
        "kinesis-write-throttle": "payments-events",
        "sg-open-ssh": "payments-app",
        "s3-public-bucket": "payments-audit-logs",
        "ssm-connection-lost": "payments-api-1",
        "memory-pressure": "settlement-worker-1",
        "lambda-errors": "payments-ledger-writer",
    }
    assert expected == DEFAULT_TARGETS
    inventory = engine.workload.inventory
    for entry in engine.catalogue():
        default = engine.default_target(entry["id"])
        assert default is not None, entry["id"]
        assert entry["default_target"] == default.label
        assert {"id": default.id, "name": default.name} in entry["targets"]
        assert entry["target_kind"] == cat.fault(entry["id"]).target_kind
    instance = engine.resolve("memory-pressure", inventory.instances["payments-api-2"])
    assert instance.name == "payments-api-2"
    bucket = engine.resolve("s3-public-bucket", "payments-audit-logs")
    assert bucket.id.startswith("payments-audit-logs-") and bucket.id in inventory.buckets
    group = engine.resolve("sg-open-ssh", inventory.security_groups["payments-db"])
    assert group.name == "payments-db"
    with pytest.raises(FaultError, match="no fault 'disk-full'; the catalogue has: ebs-instance-cap"):
        engine.resolve("disk-full", None)
    with pytest.raises(FaultError, match="has no target 'no-such-host'"):
        engine.resolve("memory-pressure", "no-such-host")
    windows = engine.resolve("network-baseline", "ops-jump-1")
    with pytest.raises(FaultError, match="memory-pressure has no target 'ops-jump-1'"):
        engine.start("memory-pressure", "ops-jump-1")
    with pytest.raises(FaultError, match="runs Windows"):
        FAULTS["memory-pressure"].check(engine, windows, _BASE)
    assert not engine.active()


def test_ebs_instance_cap_is_refused_where_the_volumes_cap_first(engine: FaultEngine) -> None:
    with pytest.raises(FaultError, match=r"ledger-1 \(r5b.large\) cannot be capped by its instance"):
        engine.start("ebs-instance-cap", "ledger-1")
    assert not engine.active()


# ------------------------------------------------------------------------------------------------
# Limits pane
# ------------------------------------------------------------------------------------------------


async def test_ebs_instance_cap_holds_the_instance_at_its_ebs_ceiling(
    sim: SimServer, engine: FaultEngine, window: Window, client: Client
) -> None:
    record = engine.start("ebs-instance-cap", started_at=window.started)
    assert record.target.name == "payments-db-1" and record.origin == "facilitator"
    sim.workload.write_minutes(window.end, BEFORE)

    view = _instance(await _limits(sim, window.end), record.target.id)

    assert view.ebs_level == "critical" and view.ebs_binding == "instance"
    assert view.ebs_utilization is not None and view.ebs_utilization >= 0.95
    last = minute_of(window.end) - 1
    for volume in view.volumes:
        dims = {"VolumeId": volume.volume_id}
        for check in ("VolumeIOPSExceededCheck", "VolumeThroughputExceededCheck"):
            assert _metric(client, "AWS/EBS", check, dims, last, "Maximum") == 0.0, (volume.name, check)
        assert volume.iops is not None and volume.own_iops is not None and volume.iops < volume.own_iops
        assert volume.throughput_mibps is not None and volume.own_mibps is not None
        assert volume.throughput_mibps < volume.own_mibps

    engine.clear("ebs-instance-cap", at=window.end)
    _assert_stopped(client, record, window.end)
    volume_ids = {v.volume_id for v in view.volumes}
    for minute in range(minute_of(window.end), minute_of(window.end) + 5):
        assert not volume_ids & set(engine.effects_at(minute).load_factors)
    sim.workload.write_minutes(window.end + timedelta(minutes=5), 5)
    minute = minute_of(window.end) + 2
    data = next(v for v in view.volumes if v.name == "payments-db-1-data").volume_id
    assert _metric(client, "AWS/EBS", "VolumeReadOps", {"VolumeId": data}, minute, "Sum") == _series_value(
        sim, minute, "AWS/EBS", "VolumeReadOps", data
    )


async def test_io2_instance_cap_holds_the_volume_to_the_instances_baseline(
    sim: SimServer, engine: FaultEngine, window: Window, client: Client
) -> None:
    record = engine.start("io2-instance-cap", started_at=window.started)
    owner = engine.volume_owner(record.target.id)
    assert owner is not None and owner[0].spec.name == "payments-db-1"
    sim.workload.write_minutes(window.end, BEFORE)

    instance = _instance(await _limits(sim, window.end), owner[0].instance_id)
    volume = next(v for v in instance.volumes if v.volume_id == record.target.id)

    assert volume.volume_type == "io2" and volume.capped_by == "instance"
    assert volume.level in ("warn", "critical")
    assert volume.iops_ceiling == instance.limits.ebs_baseline_iops == 6000.0
    assert volume.iops is not None and volume.own_iops == 10000.0 and volume.iops < 0.6 * volume.own_iops
    assert instance.ebs_io_balance_pct == 0.0

    engine.clear("io2-instance-cap", at=window.end)
    _assert_stopped(client, record, window.end)
    after = engine.effects_at(minute_of(window.end))
    assert owner[0].instance_id not in after.ebs_io_spent and record.target.id not in after.load_factors


async def test_network_baseline_brings_the_busiest_direction_to_the_baseline(
    sim: SimServer, engine: FaultEngine, window: Window, client: Client
) -> None:
    record = engine.start("network-baseline", started_at=window.started)
    assert record.target.name == "ingest-1"
    sim.workload.write_minutes(window.end, BEFORE)

    view = _instance(await _limits(sim, window.end), record.target.id)

    assert view.net_level in ("warn", "critical")
    assert view.net_utilization is not None and 0.95 <= view.net_utilization <= 1.05
    assert view.limits.net_baseline_mbps == 5000.0
    assert view.ena is not None and dict(view.ena)["bw_in"] > 0
    assert view.ebs_level == "ok", "only the network should move"

    engine.clear("network-baseline", at=window.end)
    _assert_stopped(client, record, window.end)
    assert record.target.id not in engine.effects_at(minute_of(window.end)).network


async def test_memory_pressure_climbs_above_95_percent(
    sim: SimServer, engine: FaultEngine, window: Window, client: Client
) -> None:
    record = engine.start("memory-pressure", started_at=window.started)
    assert record.target.name == "settlement-worker-1"
    sim.workload.write_minutes(window.end, BEFORE)

    view = _instance(await _limits(sim, window.end), record.target.id)

    assert view.memory_used_pct is not None and view.memory_used_pct >= 95.0

    engine.clear("memory-pressure", at=window.end)
    _assert_stopped(client, record, window.end)
    sim.workload.write_minutes(window.end + timedelta(minutes=10), 10)
    later = _instance(await _limits(sim, window.end + timedelta(minutes=10)), record.target.id)
    normal = _series_value(sim, minute_of(window.end) + 9, "CWAgent", "mem_used_percent", record.target.id)
    assert later.memory_used_pct == pytest.approx(normal) and normal < 80.0


async def test_metric_faults_act_per_minute_and_rewrites_are_deterministic(
    sim: SimServer, engine: FaultEngine, window: Window, client: Client
) -> None:
    ramp = int(FAULTS["memory-pressure"].ramp_s // 60)
    record = engine.start("memory-pressure", started_at=window.started + timedelta(seconds=15))
    sim.workload.write_minutes(window.end, BEFORE)
    dims = {"InstanceId": record.target.id}
    start = minute_of(window.started)
    first = {
        m: _metric(client, "CWAgent", "mem_used_percent", dims, m, "Average")
        for m in range(start - 5, start + 20)
    }

    for minute in range(start - 5, start):
        assert first[minute] == _series_value(sim, minute, "CWAgent", "mem_used_percent", record.target.id)
    assert first[start] < first[start + 2] < first[start + ramp - 1]
    assert all(first[m] >= 96.0 for m in range(start + ramp, start + 20))

    sim.workload.write_minutes(window.end, BEFORE)
    for minute, value in first.items():
        assert _metric(client, "CWAgent", "mem_used_percent", dims, minute, "Average") == value
        assert _metric(client, "CWAgent", "mem_used_percent", dims, minute, "SampleCount") == 1.0
    engine.clear("memory-pressure", at=window.end)


def test_rewriting_relies_on_the_cloudwatch_index_as_it_is() -> None:
    from tui.sim.extensions import cloudwatch

    index = cloudwatch.MetricIndex()
    assert hasattr(index, "series") and hasattr(index, "lock"), (
        "MetricIndex changed: fix workload.drop_points"
    )
    series = index.series_for("N", "M", (("D", "1"),))
    part = series.part("Count")
    for name in ("ts", "vals", "seqs"):
        assert hasattr(part, name), f"the CloudWatch index's parts lost .{name}: fix workload.drop_points"
    assert "bisect" in inspect.getsource(cloudwatch._Part.window), "parts are no longer sorted by time"


# ------------------------------------------------------------------------------------------------
# Kinesis pane
# ------------------------------------------------------------------------------------------------


async def test_kinesis_consumer_lag_grows_at_wall_clock_pace_for_its_reader_then_catches_up(
    sim: SimServer, engine: FaultEngine, window: Window, client: Client
) -> None:
    record = engine.start("kinesis-consumer-lag", started_at=window.started)
    assert record.target.name == "ledger-cdc"
    sim.workload.write_minutes(window.end, BEFORE)

    stream = _stream(await _kinesis(sim, window.end), "ledger-cdc")

    # The stalled reader is named, worst first, and only its own metric lags.
    worst, *others = stream.readers
    assert (worst.name, worst.kind) == ("ledger-projector", "enhanced fan-out")
    assert worst.behind_ms is not None
    stalled_s = LEAD.total_seconds()
    assert 0.9 * stalled_s * 1000.0 <= worst.behind_ms <= stalled_s * 1000.0 + 420_000.0
    assert all(r.behind_ms is not None and r.behind_ms < 10_000.0 for r in others), others
    assert stream.iterator_age_source == "consumer:ledger-projector"
    # It grows at most as fast as the time that passes: a minute's step is at most 60 s (plus the
    # reader's usual jitter), and over the last 15 minutes it grew about 15 minutes.
    ages = dict(stream.history.iterator_age)
    minutes = sorted(ages)[-15:]
    assert all(ages[b] - ages[a] <= 60_000.0 + 1.0 for a, b in itertools.pairwise(minutes))
    assert 13 * 60_000.0 <= ages[minutes[-1]] - ages[minutes[0]] <= 15 * 60_000.0
    assert stream.iterator_age_trend == "rising"
    assert stream.time_to_risk_s is not None and stream.time_to_risk_s > 0
    assert stream.age_level == "ok", "40 minutes behind is far from half of 24 h"
    # Stalled: its lag grows as fast as time passes; the other readers are not.
    assert worst.stalled and worst.growth_ms_per_s == pytest.approx(1000.0, rel=0.01)
    assert not any(r.stalled for r in others), others

    engine.clear("kinesis-consumer-lag", at=window.end)
    _assert_stopped(client, record, window.end)
    sim.workload.write_minutes(window.end + timedelta(minutes=AFTER), AFTER)
    soon = _stream(await _kinesis(sim, window.end + timedelta(minutes=4)), "ledger-cdc")
    later = _stream(await _kinesis(sim, window.end + timedelta(minutes=AFTER)), "ledger-cdc")
    assert soon.readers[0].behind_ms is not None and later.readers[0].behind_ms is not None
    assert soon.readers[0].behind_ms < worst.behind_ms, "the reader is catching up"
    assert soon.iterator_age_trend == "falling"
    assert not soon.readers[0].stalled, "catching up is not stalled"
    # Its usual lag: at most the daily peak, within its minute-to-minute jitter.
    usual = next(c for s in catalog.STREAMS for c in s.consumers if c.name == "ledger-projector").lag_ms
    assert later.readers[0].behind_ms <= usual.peak * (1.0 + usual.jitter), "caught up to its usual lag"


async def test_kinesis_write_throttle_throttles_more_than_one_percent_of_the_writes(
    sim: SimServer, engine: FaultEngine, window: Window, client: Client
) -> None:
    record = engine.start("kinesis-write-throttle", started_at=window.started)
    assert record.target.name == "payments-events"
    sim.workload.write_minutes(window.end, BEFORE)

    stream = _stream(await _kinesis(sim, window.end), "payments-events")

    assert stream.write_throttled is not None and stream.incoming_records_per_s is not None
    incoming = stream.incoming_records_per_s * 60.0
    assert stream.write_throttled >= 0.01 * incoming
    assert stream.write_throttled == pytest.approx(2.0 * incoming, rel=0.05), "demand is 3x the one shard"
    assert stream.usage_level == "critical"

    engine.clear("kinesis-write-throttle", at=window.end)
    _assert_stopped(client, record, window.end)
    sim.workload.write_minutes(window.end + timedelta(minutes=5), 5)
    later = _stream(await _kinesis(sim, window.end + timedelta(minutes=5)), "payments-events")
    assert later.write_throttled is not None and later.incoming_records_per_s is not None
    assert later.write_throttled < 0.05 * later.incoming_records_per_s * 60.0


async def test_lambda_errors_fail_a_third_of_the_invocations_and_triple_the_duration(
    sim: SimServer, engine: FaultEngine, window: Window, client: Client
) -> None:
    record = engine.start("lambda-errors", started_at=window.started)
    assert record.target.name == "payments-ledger-writer"
    sim.workload.write_minutes(window.end, BEFORE)

    stream = _stream(await _kinesis(sim, window.end), "payments-events")
    (function,) = stream.lambdas

    last = minute_of(window.end) - 1
    dims = {"FunctionName": "payments-ledger-writer"}
    invocations = _metric(client, "AWS/Lambda", "Invocations", dims, last, "Sum")
    assert function.function_name == "payments-ledger-writer"
    assert function.errors is not None and function.errors >= 0.05 * invocations
    assert function.errors == pytest.approx(invocations / 3.0, abs=1.0)
    normal = _series_value(sim, last, "AWS/Lambda", "Duration", "payments-ledger-writer")
    assert function.duration_ms == pytest.approx(3.0 * normal)

    engine.clear("lambda-errors", at=window.end)
    _assert_stopped(client, record, window.end)
    after = engine.effects_at(minute_of(window.end))
    assert "payments-ledger-writer" not in after.function_errors and not after.multipliers


async def test_a_resharded_stream_mitigates_the_write_throttle(
    sim: SimServer, engine: FaultEngine, window: Window, client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    record = engine.start("kinesis-write-throttle", started_at=window.started)
    assert engine.refresh(window.end) == [] and record.active
    monkeypatch.setattr(sim.workload, "stream_shards", lambda: {"payments-events": 2})
    assert engine.refresh(window.end) == [] and record.active, "two shards take only 2/3 of the writes"
    monkeypatch.setattr(sim.workload, "stream_shards", lambda: {"payments-events": 3})

    assert engine.refresh(window.end) == [record]

    assert record.state == "mitigated" and record.ended_at == window.end
    assert "resharded to 3 shards" in record.note
    experiment = _experiment(client, record)
    assert experiment["state"]["status"] == "completed" and experiment["endTime"] == window.end
    assert "payments-events" not in engine.effects_at(minute_of(window.end)).load_factors


# ------------------------------------------------------------------------------------------------
# Findings and Sessions panes
# ------------------------------------------------------------------------------------------------


def _finding_on(snapshot: FindingsSnapshot, resource_arn: str, control: str) -> Finding:
    """The fault's finding: the one of ``control`` on the resource that fails (it may also pass
    elsewhere, in the PASSED finding Security Hub keeps for it)."""
    found = [
        f
        for f in snapshot.findings
        if f.resource_id == resource_arn and f.control_id == control and f.compliance_status == "FAILED"
    ]
    assert len(found) == 1, [f.id for f in found]
    return found[0]


def _stored_finding(client: Client, finding_id: str) -> dict[str, Any]:
    reply = client("securityhub").get_findings(
        Filters={"Id": [{"Value": finding_id, "Comparison": "EQUALS"}]}
    )
    (finding,) = reply["Findings"]
    return dict(finding)


def _world_ssh_rules(client: Client, group_id: str) -> list[dict[str, Any]]:
    group = client("ec2").describe_security_groups(GroupIds=[group_id])["SecurityGroups"][0]
    return [
        p
        for p in group["IpPermissions"]
        if p.get("FromPort") == 22 and any(r.get("CidrIp") == "0.0.0.0/0" for r in p.get("IpRanges", []))
    ]


async def test_sg_open_ssh_opens_port_22_and_reports_a_critical_finding(
    sim: SimServer, engine: FaultEngine, client: Client
) -> None:
    before = await _findings(sim)
    record = engine.start("sg-open-ssh")
    group_id = record.target.id
    assert record.target.name == "payments-app"
    (rule,) = _world_ssh_rules(client, group_id)
    assert rule["IpProtocol"] == "tcp" and rule["ToPort"] == 22

    after = await _findings(sim)
    finding = _finding_on(after, record.target.arn, "EC2.19")

    assert after.total == before.total + 1
    assert (finding.severity, finding.record_state, finding.compliance_status) == (
        "CRITICAL",
        "ACTIVE",
        "FAILED",
    )
    assert finding.first_observed_at is not None and abs(
        finding.first_observed_at - record.started_at
    ) < timedelta(seconds=1)
    book = playbook_for(finding)
    assert book is not None and book.id == "sg-high-risk-ports"

    at = datetime.now(UTC)
    engine.clear("sg-open-ssh", at=at)
    _assert_stopped(client, record, at)
    assert _world_ssh_rules(client, group_id) == []
    stored = _stored_finding(client, finding.id)
    assert (stored["RecordState"], stored["Compliance"]["Status"]) == ("ARCHIVED", "PASSED")
    assert (await _findings(sim)).total == before.total


async def test_revoking_the_ssh_rule_with_the_playbook_mitigates_the_fault(
    sim: SimServer, engine: FaultEngine, client: Client, tmp_path: Path
) -> None:
    record = engine.start("sg-open-ssh")
    finding = _finding_on(await _findings(sim), record.target.arn, "EC2.19")
    factory = _factory(sim)
    try:
        ctx = RemediationContext(factory, ACCOUNT_ID, "warroom-remediation", "fault-tests", REGION)
        remediation = await prepare(ctx, [finding])
        assert remediation.playbook.id == "sg-high-risk-ports" and not remediation.plan.refused
        runner = ActionRunner(
            factory, read_only=False, audit=AuditLog(tmp_path / "audit.jsonl"), actor="t", account=ACCOUNT_ID
        )
        outcome = await run(runner, ctx, remediation)
    finally:
        await factory.close()
    assert outcome.ok and outcome.verified, outcome.message
    assert record.active, "nothing noticed yet"

    (changed,) = engine.refresh()

    assert changed is record and record.state == "mitigated"
    assert record.note == "mitigated: the rule allowing SSH from 0.0.0.0/0 was revoked"
    experiment = _experiment(client, record)
    assert experiment["state"]["status"] == "completed" and experiment["endTime"] == record.ended_at
    assert experiment["tags"][cat.OUTCOME_TAG] == record.note, "every console can say how it ended"
    assert _stored_finding(client, finding.id)["RecordState"] == "ARCHIVED"
    assert engine.log_entries(1)[0]["what"] == "mitigated"


async def test_s3_public_bucket_removes_block_public_access_and_reports_a_critical_finding(
    sim: SimServer, engine: FaultEngine, client: Client
) -> None:
    from botocore.exceptions import ClientError

    s3 = client("s3")
    bucket = engine.resolve("s3-public-bucket", None).id
    original = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    with pytest.raises(ClientError):
        s3.get_bucket_policy(Bucket=bucket)

    record = engine.start("s3-public-bucket")

    with pytest.raises(ClientError, match="NoSuchPublicAccessBlockConfiguration"):
        s3.get_public_access_block(Bucket=bucket)
    assert '"Principal":"*"' in s3.get_bucket_policy(Bucket=bucket)["Policy"]
    finding = _finding_on(await _findings(sim), f"arn:aws:s3:::{bucket}", "S3.2")
    assert (finding.severity, finding.record_state) == ("CRITICAL", "ACTIVE")
    book = playbook_for(finding)
    assert book is not None and book.id == "s3-bucket-block-public"

    at = datetime.now(UTC)
    engine.clear("s3-public-bucket", at=at)
    _assert_stopped(client, record, at)
    assert s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"] == original
    with pytest.raises(ClientError):
        s3.get_bucket_policy(Bucket=bucket)
    assert _stored_finding(client, finding.id)["RecordState"] == "ARCHIVED"


async def test_turning_block_public_access_back_on_mitigates_the_public_bucket(
    sim: SimServer, engine: FaultEngine, client: Client, tmp_path: Path
) -> None:
    s3 = client("s3")
    record = engine.start("s3-public-bucket")
    bucket = record.target.id
    original = {
        k: True for k in ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")
    }
    try:
        finding = _finding_on(await _findings(sim), record.target.arn, "S3.2")
        factory = _factory(sim)
        try:
            ctx = RemediationContext(factory, ACCOUNT_ID, "warroom-remediation", "fault-tests", REGION)
            remediation = await prepare(ctx, [finding])
            audit = AuditLog(tmp_path / "audit.jsonl")
            runner = ActionRunner(factory, read_only=False, audit=audit, actor="t", account=ACCOUNT_ID)
            outcome = await run(runner, ctx, remediation)
        finally:
            await factory.close()
        assert outcome.ok and outcome.verified, outcome.message

        assert engine.refresh() == [record]

        assert record.state == "mitigated" and "Block Public Access was turned back on" in record.note
        assert _experiment(client, record)["state"]["status"] == "completed"
        assert _stored_finding(client, finding.id)["RecordState"] == "ARCHIVED"
        assert s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"] == original
        assert "PublicReadForPartners" in s3.get_bucket_policy(Bucket=bucket)["Policy"], (
            "people fixed it their way"
        )
    finally:
        # The policy stays until someone removes it, as the test does now.
        engine.clear("s3-public-bucket")
        s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration=original)
        s3.delete_bucket_policy(Bucket=bucket)


async def test_ssm_connection_lost_turns_the_node_connection_lost(
    sim: SimServer, engine: FaultEngine, client: Client
) -> None:
    record = engine.start("ssm-connection-lost")
    assert record.target.name == "payments-api-1"

    snapshot = await _sessions(sim)
    node = next(n for n in snapshot.instances if n.instance_id == record.target.id)
    assert node.ping_status == "ConnectionLost"
    with pytest.raises(FaultConflict, match="already active on payments-api-1"):
        engine.start("ssm-connection-lost", record.target.id)

    at = datetime.now(UTC)
    engine.clear("ssm-connection-lost", "payments-api-1", at=at)
    _assert_stopped(client, record, at)
    snapshot = await _sessions(sim)
    assert next(n for n in snapshot.instances if n.instance_id == record.target.id).ping_status == "Online"
    with pytest.raises(FaultError, match="already ConnectionLost"):
        engine.start("ssm-connection-lost", "branch-pos-gw-2")


def test_a_fault_with_a_duration_ends_when_its_scenario_time_is_over(
    engine: FaultEngine, client: Client
) -> None:
    started = datetime.now(UTC)
    record = engine.start("ssm-connection-lost", duration_s=90.0, started_at=started)
    assert record.planned_end == started + timedelta(seconds=90)
    assert engine.refresh(started + timedelta(seconds=89)) == [] and record.active

    assert engine.refresh(started + timedelta(seconds=91)) == [record]

    assert record.state == "ended" and record.ended_at == started + timedelta(seconds=90)
    assert "duration of 1m30s" in record.note
    experiment = _experiment(client, record)
    assert experiment["state"]["status"] == "completed"
    assert experiment["endTime"] == started + timedelta(seconds=90)
    from tui.sim.extensions.ssm import ping_status

    assert ping_status(ACCOUNT_ID, REGION, record.target.id) == "Online"


def test_the_log_is_the_simulators_own_record(engine: FaultEngine) -> None:
    record = engine.start("ssm-connection-lost", "payments-api-2")
    engine.clear("ssm-connection-lost")
    started, ended = engine.log_entries(2)
    assert started["what"] == "started" and ended["what"] == "ended"
    for entry in (started, ended):
        assert entry["fault"] == "ssm-connection-lost" and entry["target"] == record.target.id
        assert entry["origin"] == "facilitator" and entry["experiment_id"] == record.experiment_id
        assert datetime.fromisoformat(entry["at"]).tzinfo is not None
    experiment = record.experiment_id
    assert started["text"] == (
        f"started ssm-connection-lost on payments-api-2 (experiment {experiment}, origin facilitator)"
    )
    assert ended["text"] == "ssm-connection-lost on payments-api-2 ended: cleared by facilitator"


def test_every_detection_metric_has_a_fault_whose_test_checks_it() -> None:
    checked = {
        cat.M_INSTANCE_EBS: "ebs-instance-cap",
        cat.M_VOLUME: "io2-instance-cap",
        cat.M_INSTANCE_NETWORK: "network-baseline",
        cat.M_INSTANCE_MEMORY: "memory-pressure",
        cat.M_READER_STALLED: "kinesis-consumer-lag",
        cat.M_STREAM_THROTTLE: "kinesis-write-throttle",
        cat.M_LAMBDA_ERRORS: "lambda-errors",
        cat.M_NODE_PING: "ssm-connection-lost",
    }
    for metric, fault_id in checked.items():
        assert cat.fault(fault_id).detection.metric == metric
    assert {s.id for s in cat.CATALOGUE if s.detection.metric == cat.M_FINDING_NEW} == {
        "sg-open-ssh",
        "s3-public-bucket",
    }
