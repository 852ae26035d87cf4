"""The game-day faults of ``tui.common.catalogue``, injected into the seeded workload.

A ``FaultEngine`` is attached to a seeded ``Workload`` (``install()``). ``start`` begins a fault on
a target (by id or by name; each fault has a default target in the seeded fleet), ``clear`` ends
it and restores what it changed, ``refresh`` ends the faults whose duration is over and notices
the ones people fixed (mitigated). Every fault started is a running FIS experiment of the seeded
template for that fault, tagged with the fault, its target and who started it; it turns
``completed`` when the fault's duration is over or it is mitigated, ``stopped`` when it is cleared.

Two kinds of faults:

* metric faults (EBS, network, Kinesis, memory, Lambda) change what the workload's metric
  generator computes. They act per minute, from the engine's timeline: ``effects_at(minute)``
  gives the effects of the faults whose span covers the minute's middle, so a minute written
  twice gets the same values. Ramps progress in scenario time: the engine's ``speed`` scenario
  seconds pass per wall second.
* state faults (a security group rule, a bucket's public access, an SSM agent's connection)
  change resources through the simulator's API, and Security Hub gets a finding about the change.

The engine's ``log`` is the simulator's own record of what happened: one dict per event.
"""

from __future__ import annotations

import json
import logging
import math
import random
import threading
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from tui.common import catalogue as cat
from tui.common.catalogue import FaultSpec
from tui.common.durations import iso_duration_seconds
from tui.common.timefmt import asff_time as _asff_time
from tui.common.timefmt import compact_duration_text as format_duration
from tui.sim.account import SIM_ACCESS_KEY, SIM_SECRET_KEY
from tui.sim.catalog import SHARD_WRITE_BYTES, SHARD_WRITE_RECORDS
from tui.sim.metricgen import (
    NO_EFFECTS,
    Effects,
    InstanceModel,
    VolumeModel,
    level,
    minute_of,
    unit_noise,
)

logger = logging.getLogger(__name__)

ACTIVE = "active"
ENDED = "ended"
MITIGATED = "mitigated"
ORIGINS = ("scenario", "facilitator", "fis")
LOG_LIMIT = 2000
FIS_ROLE_NAME = "warroom-fis"
MONITOR_INTERVAL_S = 1.0

_WORLD_V4 = "0.0.0.0/0"
_MIB = 1024.0 * 1024.0
_STANDARDS_TYPE = "Software and Configuration Checks/Industry and Regulatory Standards"
_PUBLIC_ACCESS_BLOCK_KEYS = (
    "BlockPublicAcls",
    "IgnorePublicAcls",
    "BlockPublicPolicy",
    "RestrictPublicBuckets",
)
_PUBLIC_POLICY_SID = "PublicReadForPartners"


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(UTC).isoformat()


class FaultError(ValueError):
    """A fault that cannot start or clear as asked; ``code`` names the matching FIS error."""

    code = "ValidationException"


class FaultConflict(FaultError):
    """The fault is already active on that target."""

    code = "ConflictException"


@dataclass(frozen=True)
class Target:
    """A resource a fault can act on."""

    id: str
    name: str
    kind: str
    arn: str

    @property
    def label(self) -> str:
        return self.name or self.id

    def to_json(self) -> dict[str, str]:
        return {"id": self.id, "name": self.name}


@dataclass
class FaultRecord:
    """One fault started: where, by whom, and how it ended."""

    serial: int
    fault: str
    target: Target
    origin: str
    started_at: datetime
    speed: float
    duration_s: float | None = None
    scenario_at_s: float | None = None
    experiment_id: str = ""
    state: str = ACTIVE
    ended_at: datetime | None = None
    note: str = ""
    params: dict[str, Any] = field(default_factory=dict)
    """What the fault needs to compute its effects (fixed at the start)."""
    data: dict[str, Any] = field(default_factory=dict)
    """What the fault changed, to restore it."""

    @property
    def planned_end(self) -> datetime | None:
        if self.duration_s is None:
            return None
        return self.started_at + timedelta(seconds=self.duration_s / self.speed)

    @property
    def end(self) -> datetime | None:
        """When the fault stops acting: its actual end, else the end its duration sets."""
        return self.ended_at if self.ended_at is not None else self.planned_end

    @property
    def active(self) -> bool:
        return self.state == ACTIVE

    def to_json(self) -> dict[str, Any]:
        return {
            "fault": self.fault,
            "target": self.target.id,
            "target_name": self.target.name,
            "origin": self.origin,
            "state": self.state,
            "started_at": _iso(self.started_at),
            "ended_at": _iso(self.ended_at),
            "scenario_at_s": self.scenario_at_s,
            "duration_s": self.duration_s,
            "experiment_id": self.experiment_id,
            "note": self.note,
        }


@dataclass(frozen=True)
class _Span:
    """A fault's record as the metric timeline sees it (immutable, read without a lock)."""

    fault: _Fault
    target: Target
    start: float
    end: float | None
    speed: float
    params: Mapping[str, Any]

    def covers(self, moment: float) -> bool:
        return self.start <= moment and (self.end is None or moment < self.end)

    def progress(self, moment: float, ramp_s: float) -> float:
        """How far a ramp of ``ramp_s`` scenario seconds has gone at ``moment`` (0..1)."""
        if ramp_s <= 0.0:
            return 1.0
        return max(0.0, min(1.0, (moment - self.start) * self.speed / ramp_s))


class _Effects:
    """Effects being gathered for one minute."""

    def __init__(self) -> None:
        self.load_factors: dict[str, float] = {}
        self.multipliers: dict[tuple[str, str, str], float] = {}
        self.network: dict[str, float] = {}
        self.ebs_io_spent: set[str] = set()
        self.function_errors: dict[str, float] = {}
        self.blends: dict[tuple[str, str, str], tuple[float, float]] = {}

    def scale_load(self, resource: str, factor: float) -> None:
        self.load_factors[resource] = self.load_factors.get(resource, 1.0) * factor

    def frozen(self) -> Effects:
        return Effects(
            load_factors=self.load_factors,
            multipliers=self.multipliers,
            network=self.network,
            ebs_io_spent=frozenset(self.ebs_io_spent),
            function_errors=self.function_errors,
            blends=self.blends,
        )


# --------------------------------------------------------------------------------------------
# The faults
# --------------------------------------------------------------------------------------------


class _Fault:
    """One catalogue fault: its targets, what it does and how it ends."""

    spec_id = ""
    default_target = ""
    ramp_s = 0.0
    """Scenario seconds its effect takes to build up."""

    @property
    def spec(self) -> FaultSpec:
        return cat.fault(self.spec_id)

    def candidates(self, engine: FaultEngine) -> list[Target]:
        return engine.targets_of_kind(self.spec.target_kind)

    def check(self, engine: FaultEngine, target: Target, started: datetime) -> None:
        """Raise FaultError when the fault cannot act on ``target``."""

    def prepare(self, engine: FaultEngine, target: Target, started: datetime) -> dict[str, Any]:
        """What the effects need, fixed at the start."""
        return {}

    def apply(self, engine: FaultEngine, record: FaultRecord) -> None:
        """Change resources (state faults)."""

    def effects(self, span: _Span, middle: float, minute: int, into: _Effects) -> None:
        """Add the fault's effects on ``minute`` (whose middle is ``middle``, epoch seconds)."""

    def horizon(self, span: _Span) -> float | None:
        """Until when (epoch seconds) the fault still acts on metrics; None: for ever."""
        return span.end

    def mitigation(self, engine: FaultEngine, record: FaultRecord) -> str | None:
        """Why the fault no longer holds because people fixed it (None while it holds)."""
        return None

    def restore(self, engine: FaultEngine, record: FaultRecord) -> None:
        """Undo what ``apply`` changed (the fault was cleared or its time is over)."""

    def settle(self, engine: FaultEngine, record: FaultRecord) -> None:
        """Tidy up after people fixed it (mitigated)."""

    def streams(self, record: FaultRecord) -> tuple[str, ...]:
        """Kinesis streams whose readers' backlogs the fault changes."""
        return ()

    def template_action(self) -> tuple[str, dict[str, str]]:
        """The FIS action id (and its parameters) the fault's template names."""
        return "aws:fis:wait", {}


def _instance_model(engine: FaultEngine, instance_id: str) -> InstanceModel:
    models: tuple[InstanceModel, ...] = engine.workload.fleet.instances
    for model in models:
        if model.instance_id == instance_id:
            return model
    raise FaultError(f"{instance_id} is not an instance of the seeded fleet")


def _demand(model: VolumeModel, seed: int, minute: int) -> tuple[float, float]:
    """A volume's demanded IOPS and MiB/s in a minute, before any factor."""
    spec = model.spec
    reads = level(spec.read_iops, seed, f"{spec.key}:r", minute)
    writes = level(spec.write_iops, seed, f"{spec.key}:w", minute)
    return reads + writes, (reads * spec.read_kib + writes * spec.write_kib) / 1024.0


class _EbsInstanceCap(_Fault):
    """Every volume of the instance demands more, so together they exceed the instance's EBS
    maximum (by 15% in the dimension that reaches it first) while each stays at most 95% of its
    own limits."""

    spec_id = "ebs-instance-cap"
    default_target = "payments-db-1"
    OVER = 1.15
    OWN_SHARE = 0.95

    def template_action(self) -> tuple[str, dict[str, str]]:
        return "aws:ssm:send-command", {"documentArn": "arn:aws:ssm:us-east-1::document/AWSFIS-Run-IO-Stress"}

    def factor(self, model: InstanceModel, seed: int, minute: int) -> tuple[float, float]:
        """(the factor that caps the instance, the largest factor no volume's own limit binds)."""
        facts = model.spec.facts
        total_iops = total_mibps = 0.0
        own_room = math.inf
        for volume in model.volumes:
            iops, mibps = _demand(volume, seed, minute)
            total_iops += iops
            total_mibps += mibps
            limits = volume.spec.limits
            if iops > 0.0:
                own_room = min(own_room, self.OWN_SHARE * limits.iops / iops)
            if mibps > 0.0:
                own_room = min(own_room, self.OWN_SHARE * limits.mibps / mibps)
        ratios = []
        if total_iops > 0.0:
            ratios.append(facts.ebs_max_iops / total_iops)
        if total_mibps > 0.0:
            ratios.append(facts.ebs_max_mbps / (total_mibps * _MIB / 1e6))
        needed = self.OVER * min(ratios) if ratios else math.inf
        return needed, own_room

    def check(self, engine: FaultEngine, target: Target, started: datetime) -> None:
        model = _instance_model(engine, target.id)
        if not model.volumes:
            raise FaultError(f"{target.label} has no EBS volumes to drive")
        needed, room = self.factor(model, engine.seed, minute_of(started))
        if needed > room:
            facts = model.spec.facts
            raise FaultError(
                f"{target.label} ({model.spec.instance_type}) cannot be capped by its instance: its volumes "
                f"reach their own limits before its EBS maximum ({facts.ebs_max_mbps:g} MB/s, "
                f"{facts.ebs_max_iops:g} IOPS)"
            )

    def prepare(self, engine: FaultEngine, target: Target, started: datetime) -> dict[str, Any]:
        return {"model": _instance_model(engine, target.id), "seed": engine.seed}

    def effects(self, span: _Span, middle: float, minute: int, into: _Effects) -> None:
        if not span.covers(middle):
            return
        model: InstanceModel = span.params["model"]
        needed, room = self.factor(model, span.params["seed"], minute)
        factor = max(1.0, min(needed, room))
        for volume in model.volumes:
            into.scale_load(volume.volume_id, factor)


class _Io2InstanceCap(_Fault):
    """A provisioned-IOPS volume's demand rises to 95% of its IOPS, its instance's other volumes
    wait on it (15% of their demand) and the instance's EBS IOPS burst is spent, so the instance
    holds the volume to a share of the instance's baseline IOPS."""

    spec_id = "io2-instance-cap"
    default_target = "payments-db-1-wal"
    TOWARD = 0.95
    OTHERS = 0.15

    def candidates(self, engine: FaultEngine) -> list[Target]:
        return [t for t in engine.targets_of_kind("volume") if engine.volume_type(t.id) in ("io1", "io2")]

    def check(self, engine: FaultEngine, target: Target, started: datetime) -> None:
        owner = engine.volume_owner(target.id)
        if owner is None:
            raise FaultError(f"{target.label} is not attached to an instance of the seeded fleet")
        model, volume = owner
        if volume.spec.volume_type not in ("io1", "io2"):
            raise FaultError(
                f"{target.label} is {volume.spec.volume_type}, not a provisioned-IOPS (io2) volume"
            )
        provisioned = volume.spec.limits.iops
        baseline = model.spec.facts.ebs_baseline_iops
        if baseline >= self.TOWARD * provisioned:
            raise FaultError(
                f"{target.label}'s {provisioned:g} IOPS fit within {model.spec.name}'s baseline of "
                f"{baseline:g} IOPS: the instance cannot hold it below them"
            )

    def prepare(self, engine: FaultEngine, target: Target, started: datetime) -> dict[str, Any]:
        owner = engine.volume_owner(target.id)
        if owner is None:
            raise FaultError(f"{target.label} is not attached to an instance of the seeded fleet")
        model, volume = owner
        return {"model": model, "volume": volume, "seed": engine.seed}

    def effects(self, span: _Span, middle: float, minute: int, into: _Effects) -> None:
        if not span.covers(middle):
            return
        model: InstanceModel = span.params["model"]
        target: VolumeModel = span.params["volume"]
        iops, mibps = _demand(target, span.params["seed"], minute)
        limits = target.spec.limits
        factor = 1.0
        if iops > 0.0:
            factor = self.TOWARD * limits.iops / iops
            if mibps > 0.0:
                factor = min(factor, self.TOWARD * limits.mibps / mibps)
        into.scale_load(target.volume_id, max(1.0, factor))
        for volume in model.volumes:
            if volume.volume_id != target.volume_id:
                into.scale_load(volume.volume_id, self.OTHERS)
        into.ebs_io_spent.add(model.instance_id)


class _NetworkBaseline(_Fault):
    """The instance's busiest direction carries 98-104% of its baseline bandwidth."""

    spec_id = "network-baseline"
    default_target = "ingest-1"

    def prepare(self, engine: FaultEngine, target: Target, started: datetime) -> dict[str, Any]:
        return {"model": _instance_model(engine, target.id), "seed": engine.seed}

    def effects(self, span: _Span, middle: float, minute: int, into: _Effects) -> None:
        if not span.covers(middle):
            return
        model: InstanceModel = span.params["model"]
        seed: int = span.params["seed"]
        spec = model.spec
        busiest = max(
            level(spec.net_in_mbps, seed, f"{spec.name}:net-in", minute),
            level(spec.net_out_mbps, seed, f"{spec.name}:net-out", minute),
        )
        if busiest <= 0.0:
            return
        baseline = spec.facts.net_baseline_gbps * 1000.0
        goal = baseline * (0.98 + 0.06 * unit_noise(seed, f"fault:{spec.name}:network", minute))
        into.network[model.instance_id] = into.network.get(model.instance_id, 1.0) * max(1.0, goal / busiest)


class _KinesisConsumerLag(_Fault):
    """One named reader of the stream stalls: its own lag metric (an enhanced fan-out consumer's
    SubscribeToShardEvent.MillisBehindLatest, else a Lambda mapping's IteratorAge and the stream's
    GetRecords age it feeds) grows by ``PACE`` ms for every wall-clock ms the fault runs, as a
    reader that reads nothing falls behind by the time that passes (a slower reader, ``PACE`` < 1,
    falls behind slower). The other readers keep their own lag. Once the fault ends the reader
    catches up over ``CATCH_UP_S`` scenario seconds, shortened in proportion to the shards added
    since it started."""

    spec_id = "kinesis-consumer-lag"
    default_target = "ledger-cdc"
    CATCH_UP_S = 10 * 60.0
    PACE = 1.0

    def prepare(self, engine: FaultEngine, target: Target, started: datetime) -> dict[str, Any]:
        spec = engine.stream_spec(target.id)
        keys: list[tuple[str, str, str]] = []
        readers = [c for c in spec.consumers if c.efo] or [c for c in spec.consumers if c.lambda_function]
        if not readers:
            raise FaultError(f"{spec.name} has no enhanced fan-out consumer or Lambda reader to stall")
        reader = readers[0]
        if reader.efo:
            keys.append(("AWS/Kinesis", "SubscribeToShardEvent.MillisBehindLatest", reader.name))
        else:
            keys.append(("AWS/Lambda", "IteratorAge", reader.name))
            keys.append(("AWS/Kinesis", "GetRecords.IteratorAgeMilliseconds", spec.name))
        usual = reader.lag_ms
        return {
            "keys": tuple(keys),
            "reader": reader.name,
            "usual_ms": (usual.night + usual.peak) / 2.0,
            "shards": engine.workload.generator.shards_at(spec.name, minute_of(started)),
            "generator": engine.workload.generator,
        }

    def behind_ms(self, span: _Span, middle: float, minute: int) -> float:
        """How far the reader has fallen behind its usual lag at ``middle`` (epoch seconds)."""
        if middle < span.start:
            return 0.0
        stalled_until = middle if span.covers(middle) else span.end
        assert stalled_until is not None
        fallen = (stalled_until - span.start) * 1000.0 * self.PACE
        if span.covers(middle):
            return fallen
        assert span.end is not None
        shards = max(1, int(span.params["generator"].shards_at(span.target.id, minute)))
        catch_up: float = self.CATCH_UP_S * span.params["shards"] / shards
        since = (middle - span.end) * span.speed
        return fallen * max(0.0, 1.0 - since / catch_up)

    def effects(self, span: _Span, middle: float, minute: int, into: _Effects) -> None:
        behind = self.behind_ms(span, middle, minute)
        if behind <= 0.0:
            return
        for key in span.params["keys"]:
            into.blends[key] = (span.params["usual_ms"] + behind, 1.0)

    def horizon(self, span: _Span) -> float | None:
        if span.end is None:
            return None
        shards: int = span.params["shards"]
        return span.end + self.CATCH_UP_S * shards / span.speed + 60.0

    def streams(self, record: FaultRecord) -> tuple[str, ...]:
        return (record.target.id,)


class _KinesisWriteThrottle(_Fault):
    """Producers write three times what the stream's shards accepted when the fault started."""

    spec_id = "kinesis-write-throttle"
    default_target = "payments-events"
    DEMAND = 3.0

    def prepare(self, engine: FaultEngine, target: Target, started: datetime) -> dict[str, Any]:
        spec = engine.stream_spec(target.id)
        shards = engine.workload.generator.shards_at(spec.name, minute_of(started))
        per_shard = min(SHARD_WRITE_RECORDS, SHARD_WRITE_BYTES / spec.record_bytes)
        return {"spec": spec, "shards": shards, "capacity": shards * per_shard, "seed": engine.seed}

    def effects(self, span: _Span, middle: float, minute: int, into: _Effects) -> None:
        if not span.covers(middle):
            return
        spec = span.params["spec"]
        base = level(spec.records_per_s, span.params["seed"], f"{spec.name}:records", minute)
        if base > 0.0:
            into.scale_load(spec.name, self.DEMAND * span.params["capacity"] / base)

    def mitigation(self, engine: FaultEngine, record: FaultRecord) -> str | None:
        shards = engine.workload.stream_shards().get(record.target.id)
        needed = math.ceil(self.DEMAND * record.params["shards"])
        if shards is not None and shards >= needed:
            return f"resharded to {shards} shards, enough for {self.DEMAND:g}x the writes"
        return None

    def streams(self, record: FaultRecord) -> tuple[str, ...]:
        return (record.target.id,)


class _MemoryPressure(_Fault):
    """mem_used_percent climbs to 96-98.5% over ``ramp_s`` scenario seconds."""

    spec_id = "memory-pressure"
    default_target = "settlement-worker-1"
    ramp_s = 5 * 60.0

    def template_action(self) -> tuple[str, dict[str, str]]:
        return "aws:ssm:send-command", {
            "documentArn": "arn:aws:ssm:us-east-1::document/AWSFIS-Run-Memory-Stress"
        }

    def candidates(self, engine: FaultEngine) -> list[Target]:
        return [
            t for t in engine.targets_of_kind("instance") if not _instance_model(engine, t.id).spec.windows
        ]

    def check(self, engine: FaultEngine, target: Target, started: datetime) -> None:
        if _instance_model(engine, target.id).spec.windows:
            raise FaultError(
                f"{target.label} runs Windows: its CloudWatch agent publishes no mem_used_percent"
            )

    def prepare(self, engine: FaultEngine, target: Target, started: datetime) -> dict[str, Any]:
        return {"name": _instance_model(engine, target.id).spec.name, "seed": engine.seed}

    def effects(self, span: _Span, middle: float, minute: int, into: _Effects) -> None:
        if not span.covers(middle):
            return
        goal = 96.0 + 2.5 * unit_noise(span.params["seed"], f"fault:{span.params['name']}:memory", minute)
        into.blends[("CWAgent", "mem_used_percent", span.target.id)] = (
            goal,
            span.progress(middle, self.ramp_s),
        )


class _LambdaErrors(_Fault):
    """A third of the function's invocations fail and its Duration triples."""

    spec_id = "lambda-errors"
    default_target = "payments-ledger-writer"
    FAILING = 1.0 / 3.0
    SLOWER = 3.0

    def template_action(self) -> tuple[str, dict[str, str]]:
        return "aws:lambda:invocation-error", {"invocationPercentage": "33", "preventExecution": "false"}

    def effects(self, span: _Span, middle: float, minute: int, into: _Effects) -> None:
        if not span.covers(middle):
            return
        name = span.target.id
        into.function_errors[name] = max(into.function_errors.get(name, 0.0), self.FAILING)
        key = ("AWS/Lambda", "Duration", name)
        into.multipliers[key] = into.multipliers.get(key, 1.0) * self.SLOWER


class _SgOpenSsh(_Fault):
    """An ingress rule tcp 22 from 0.0.0.0/0 on the group, and a CRITICAL EC2.19 finding."""

    spec_id = "sg-open-ssh"
    default_target = "payments-app"
    DESCRIPTION = "temporary vendor support access"

    def check(self, engine: FaultEngine, target: Target, started: datetime) -> None:
        group = engine.describe_group(target.id)
        if any(_world_ssh(p) for p in group.get("IpPermissions") or ()):
            raise FaultError(f"{target.label} already allows SSH from {_WORLD_V4}")

    def apply(self, engine: FaultEngine, record: FaultRecord) -> None:
        ec2 = engine.client("ec2")
        reply = ec2.authorize_security_group_ingress(
            GroupId=record.target.id,
            IpPermissions=[
                {
                    "IpProtocol": "tcp",
                    "FromPort": 22,
                    "ToPort": 22,
                    "IpRanges": [{"CidrIp": _WORLD_V4, "Description": self.DESCRIPTION}],
                }
            ],
        )
        rules = [r.get("SecurityGroupRuleId") for r in reply.get("SecurityGroupRules") or ()]
        record.data["rule_ids"] = [r for r in rules if r]
        group = engine.describe_group(record.target.id)
        resource = {
            "Type": "AwsEc2SecurityGroup",
            "Id": record.target.arn,
            "Partition": "aws",
            "Region": engine.region,
            "Details": {
                "AwsEc2SecurityGroup": {
                    "GroupName": group.get("GroupName", record.target.name),
                    "GroupId": record.target.id,
                    "OwnerId": engine.account_id,
                    "VpcId": group.get("VpcId", ""),
                    "IpPermissions": _asff_permissions(group.get("IpPermissions") or []),
                }
            },
        }
        record.data["finding"] = engine.import_control_finding(
            "EC2.19",
            resource,
            record,
            f"Security group {record.target.label} allows SSH (22) from {_WORLD_V4}.",
        )

    def mitigation(self, engine: FaultEngine, record: FaultRecord) -> str | None:
        try:
            group = engine.describe_group(record.target.id)
        except FaultError:
            return f"security group {record.target.label} was deleted"
        if any(_world_ssh(p) for p in group.get("IpPermissions") or ()):
            return None
        return f"the rule allowing SSH from {_WORLD_V4} was revoked"

    def restore(self, engine: FaultEngine, record: FaultRecord) -> None:
        rule_ids = list(record.data.get("rule_ids") or ())
        if rule_ids:
            present = set()
            try:
                rules = engine.client("ec2").describe_security_group_rules(
                    Filters=[{"Name": "group-id", "Values": [record.target.id]}]
                )
                present = {r.get("SecurityGroupRuleId") for r in rules.get("SecurityGroupRules") or ()}
            except Exception:
                logger.debug("reading the rules of %s failed", record.target.id, exc_info=True)
            still = [r for r in rule_ids if r in present]
            if still:
                engine.client("ec2").revoke_security_group_ingress(
                    GroupId=record.target.id, SecurityGroupRuleIds=still
                )
        engine.archive_finding(record)

    def settle(self, engine: FaultEngine, record: FaultRecord) -> None:
        engine.archive_finding(record)


def _world_ssh(permission: Mapping[str, Any]) -> bool:
    protocol = str(permission.get("IpProtocol", "")).lower()
    if protocol not in ("tcp", "6", "-1", "all"):
        return False
    if protocol in ("tcp", "6"):
        low, high = permission.get("FromPort"), permission.get("ToPort")
        low = low if isinstance(low, int) else -1
        high = high if isinstance(high, int) else -1
        if not (low == -1 and high == -1) and not low <= 22 <= high:
            return False
    return any(r.get("CidrIp") == _WORLD_V4 for r in permission.get("IpRanges") or ())


def _asff_permissions(permissions: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """EC2 IpPermissions in the shape of ASFF's AwsEc2SecurityGroupIpPermission."""
    shaped: list[dict[str, Any]] = []
    for permission in permissions:
        item: dict[str, Any] = {"IpProtocol": permission.get("IpProtocol")}
        for name in ("FromPort", "ToPort"):
            if name in permission:
                item[name] = permission[name]
        ranges = [{"CidrIp": r["CidrIp"]} for r in permission.get("IpRanges") or () if "CidrIp" in r]
        v6 = [{"CidrIpv6": r["CidrIpv6"]} for r in permission.get("Ipv6Ranges") or () if "CidrIpv6" in r]
        if ranges:
            item["IpRanges"] = ranges
        if v6:
            item["Ipv6Ranges"] = v6
        shaped.append(item)
    return shaped


class _S3PublicBucket(_Fault):
    """The bucket's Block Public Access is removed, a public-read policy attached, and Security Hub
    reports a CRITICAL S3.2 finding."""

    spec_id = "s3-public-bucket"
    default_target = "payments-audit-logs"

    def apply(self, engine: FaultEngine, record: FaultRecord) -> None:
        from botocore.exceptions import ClientError

        s3 = engine.client("s3")
        bucket = record.target.id
        try:
            config = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
            record.data["block"] = {k: bool(config.get(k)) for k in _PUBLIC_ACCESS_BLOCK_KEYS}
        except ClientError:
            record.data["block"] = None
        try:
            record.data["policy"] = s3.get_bucket_policy(Bucket=bucket)["Policy"]
        except ClientError:
            record.data["policy"] = None
        if record.data["block"] is not None:
            s3.delete_public_access_block(Bucket=bucket)
        policy = _public_policy(bucket, record.data["policy"])
        s3.put_bucket_policy(Bucket=bucket, Policy=policy)
        record.data["public_policy"] = policy
        resource = {
            "Type": "AwsS3Bucket",
            "Id": record.target.arn,
            "Partition": "aws",
            "Region": engine.region,
            "Details": {
                "AwsS3Bucket": {
                    "Name": bucket,
                    "OwnerAccountId": engine.account_id,
                    "PublicAccessBlockConfiguration": dict.fromkeys(_PUBLIC_ACCESS_BLOCK_KEYS, False),
                }
            },
        }
        record.data["finding"] = engine.import_control_finding(
            "S3.2",
            resource,
            record,
            f"Bucket {bucket} has Block Public Access off and a policy granting s3:GetObject to everyone.",
        )

    def mitigation(self, engine: FaultEngine, record: FaultRecord) -> str | None:
        from botocore.exceptions import ClientError

        s3 = engine.client("s3")
        bucket = record.target.id
        try:
            config = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
            if all(config.get(k) is True for k in _PUBLIC_ACCESS_BLOCK_KEYS):
                return "Block Public Access was turned back on"
        except ClientError:
            pass
        try:
            policy = s3.get_bucket_policy(Bucket=bucket)["Policy"]
        except ClientError:
            policy = None
        if policy is None or _PUBLIC_POLICY_SID not in str(policy):
            return "the public bucket policy was removed"
        return None

    def restore(self, engine: FaultEngine, record: FaultRecord) -> None:
        from botocore.exceptions import ClientError

        s3 = engine.client("s3")
        bucket = record.target.id
        try:
            current = s3.get_bucket_policy(Bucket=bucket)["Policy"]
        except ClientError:
            current = None
        if current is not None and _PUBLIC_POLICY_SID in str(current):
            previous = record.data.get("policy")
            if previous:
                s3.put_bucket_policy(Bucket=bucket, Policy=previous)
            else:
                s3.delete_bucket_policy(Bucket=bucket)
        block = record.data.get("block")
        if block is not None:
            s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration=dict(block))
        engine.archive_finding(record)

    def settle(self, engine: FaultEngine, record: FaultRecord) -> None:
        engine.archive_finding(record)


def _public_policy(bucket: str, previous: str | None) -> str:
    statement = {
        "Sid": _PUBLIC_POLICY_SID,
        "Effect": "Allow",
        "Principal": "*",
        "Action": "s3:GetObject",
        "Resource": f"arn:aws:s3:::{bucket}/*",
    }
    document: dict[str, Any] = {"Version": "2012-10-17", "Statement": []}
    if previous:
        try:
            parsed = json.loads(previous)
            if isinstance(parsed, dict):
                document = parsed
        except ValueError:
            logger.debug("the policy of %s is not JSON; replacing it", bucket)
    statements = document.get("Statement")
    if isinstance(statements, dict):
        statements = [statements]
    if not isinstance(statements, list):
        statements = []
    document["Statement"] = [*statements, statement]
    return json.dumps(document, separators=(",", ":"))


class _SsmConnectionLost(_Fault):
    """The managed node's PingStatus turns ConnectionLost until the fault ends."""

    spec_id = "ssm-connection-lost"
    default_target = "payments-api-1"

    def template_action(self) -> tuple[str, dict[str, str]]:
        return "aws:ssm:send-command", {
            "documentArn": "arn:aws:ssm:us-east-1::document/AWSFIS-Run-Kill-Process",
            "documentParameters": '{"ProcessName": "amazon-ssm-agent"}',
        }

    def check(self, engine: FaultEngine, target: Target, started: datetime) -> None:
        from tui.sim.extensions.ssm import ping_status

        status = ping_status(engine.account_id, engine.region, target.id)
        if status is None:
            raise FaultError(f"{target.label} is not a managed node")
        if status != "Online":
            raise FaultError(f"{target.label}'s agent is already {status}")

    def apply(self, engine: FaultEngine, record: FaultRecord) -> None:
        from tui.sim.extensions.ssm import set_ping_status

        set_ping_status(engine.account_id, engine.region, record.target.id, "ConnectionLost")

    def restore(self, engine: FaultEngine, record: FaultRecord) -> None:
        from tui.sim.extensions.ssm import ping_status, set_ping_status

        if ping_status(engine.account_id, engine.region, record.target.id) is not None:
            set_ping_status(engine.account_id, engine.region, record.target.id, "Online")


FAULTS: dict[str, _Fault] = {
    fault.spec_id: fault
    for fault in (
        _EbsInstanceCap(),
        _Io2InstanceCap(),
        _NetworkBaseline(),
        _KinesisConsumerLag(),
        _KinesisWriteThrottle(),
        _SgOpenSsh(),
        _S3PublicBucket(),
        _SsmConnectionLost(),
        _MemoryPressure(),
        _LambdaErrors(),
    )
}
"""Every catalogue fault's implementation, by fault id."""

DEFAULT_TARGETS: dict[str, str] = {fault_id: fault.default_target for fault_id, fault in FAULTS.items()}
"""The name of each fault's default target in the seeded workload."""

_FIS_TARGETS = {
    "instance": ("Instances", "aws:ec2:instance"),
    "volume": ("Volumes", "aws:ec2:ebs-volume"),
    "stream": ("Streams", "aws:kinesis:stream"),
    "consumer": ("Consumers", "aws:kinesis:consumer"),
    "function": ("Functions", "aws:lambda:function"),
    "security-group": ("SecurityGroups", "aws:ec2:security-group"),
    "bucket": ("Buckets", "aws:s3:bucket"),
    "managed-node": ("ManagedNodes", "aws:ssm:managed-instance"),
}


def _fis_target(resource_type: str, arn: str) -> dict[str, Any]:
    return {"resourceType": resource_type, "resourceArns": [arn], "selectionMode": "ALL"}


def resource_id_of(arn: str) -> str:
    """The resource id an ARN names (``.../sg-1`` -> ``sg-1``; ``arn:aws:s3:::b`` -> ``b``;
    ``...:function:f`` -> ``f``); anything that is not an ARN is returned as it is."""
    if not arn.startswith("arn:"):
        return arn
    parts = arn.split(":", 5)
    if len(parts) < 6:
        return arn
    resource = parts[5]
    if resource.startswith("function:"):
        return resource.split(":")[1]
    return resource.rsplit("/", 1)[-1] if "/" in resource else resource


# --------------------------------------------------------------------------------------------
# The engine
# --------------------------------------------------------------------------------------------


class FaultEngine:
    """Starts, ends and records the catalogue's faults on one seeded workload."""

    def __init__(
        self,
        workload: Any,
        *,
        speed: float = 1.0,
        clock: Callable[[], datetime] = _utcnow,
    ) -> None:
        if not speed > 0.0:
            raise ValueError(f"speed must be above 0, not {speed!r}")
        self.workload = workload
        self.speed = float(speed)
        self.clock = clock
        self.account_id: str = workload.account_id
        self.region: str = workload.region
        self.seed: int = workload.seed
        self.records: list[FaultRecord] = []
        self.log: list[dict[str, Any]] = []
        """The simulator's own record: one dict per event (at, fault, target, origin, what, text)."""
        self.templates: dict[str, str] = {}
        """Fault id -> id of its seeded FIS experiment template."""
        self.scenario_name: str | None = None
        self.scenario_started_at: datetime | None = None
        self._lock = threading.RLock()
        self._timeline: tuple[tuple[_Span, ...], dict[int, Effects]] = ((), {})
        self._clients: dict[str, Any] = {}
        self._rng = random.Random(f"warroom-faults-{self.seed}")
        self._targets: dict[str, list[Target]] | None = None
        self._stop = threading.Event()
        self._monitor: threading.Thread | None = None
        self._installed = False

    # ---- set-up ----------------------------------------------------------------------------

    def install(self) -> FaultEngine:
        """Feed the workload's metrics, answer FIS for the workload's account and region, and seed
        one experiment template per catalogue fault (idempotent)."""
        from tui.sim.extensions import fis

        with self._lock:
            self.workload.effects_provider = self.effects_at
            fis.register(self.account_id, self.region, self)
            self.seed_templates()
            self._installed = True
        return self

    def close(self) -> None:
        """Stop the monitor and detach from the workload and FIS (faults stay as they are)."""
        from tui.sim.extensions import fis

        self.stop_monitor()
        with self._lock:
            if self.workload.effects_provider == self.effects_at:
                self.workload.effects_provider = None
            fis.unregister(self.account_id, self.region, self)
            self._installed = False

    def set_scenario(self, name: str | None, started_at: datetime | None) -> None:
        """The scenario being played (its name and the wall time of T+0), or none."""
        with self._lock:
            self.scenario_name = name
            self.scenario_started_at = started_at

    def scenario_seconds(self, moment: datetime) -> float | None:
        """Scenario time at a wall moment (None without a scenario)."""
        if self.scenario_started_at is None:
            return None
        return (moment - self.scenario_started_at).total_seconds() * self.speed

    def client(self, service: str) -> Any:
        """A boto3 client of the simulator (the workload's account and region)."""
        with self._lock:
            existing = self._clients.get(service)
            if existing is None:
                import boto3
                from botocore.config import Config

                existing = boto3.session.Session(
                    aws_access_key_id=SIM_ACCESS_KEY,
                    aws_secret_access_key=SIM_SECRET_KEY,
                    region_name=self.region,
                ).client(
                    service,
                    endpoint_url=self.workload.endpoint_url,
                    config=Config(
                        retries={"max_attempts": 2, "mode": "standard"}, connect_timeout=5, read_timeout=30
                    ),
                )
                self._clients[service] = existing
            return existing

    # ---- targets ---------------------------------------------------------------------------

    def _arn(self, kind: str, resource: str) -> str:
        account, region = self.account_id, self.region
        if kind == "instance":
            return f"arn:aws:ec2:{region}:{account}:instance/{resource}"
        if kind == "volume":
            return f"arn:aws:ec2:{region}:{account}:volume/{resource}"
        if kind == "stream":
            return f"arn:aws:kinesis:{region}:{account}:stream/{resource}"
        if kind == "function":
            return f"arn:aws:lambda:{region}:{account}:function:{resource}"
        if kind == "security-group":
            return f"arn:aws:ec2:{region}:{account}:security-group/{resource}"
        if kind == "bucket":
            return f"arn:aws:s3:::{resource}"
        if resource.startswith("mi-"):
            return f"arn:aws:ssm:{region}:{account}:managed-instance/{resource}"
        return f"arn:aws:ec2:{region}:{account}:instance/{resource}"

    def _build_targets(self) -> dict[str, list[Target]]:
        inventory = self.workload.inventory
        fleet = self.workload.fleet
        names = {instance_id: name for name, instance_id in inventory.instances.items()}
        out: dict[str, list[Target]] = {kind: [] for kind in _FIS_TARGETS}
        for model in fleet.instances:
            if model.spec.running:
                out["instance"].append(
                    Target(
                        model.instance_id,
                        model.spec.name,
                        "instance",
                        self._arn("instance", model.instance_id),
                    )
                )
            for volume in model.volumes:
                out["volume"].append(
                    Target(
                        volume.volume_id, volume.spec.name, "volume", self._arn("volume", volume.volume_id)
                    )
                )
        for stream in fleet.streams:
            out["stream"].append(Target(stream.name, stream.name, "stream", self._arn("stream", stream.name)))
            for consumer in stream.consumers:
                if consumer.lambda_function:
                    out["function"].append(
                        Target(consumer.name, consumer.name, "function", self._arn("function", consumer.name))
                    )
                out["consumer"].append(Target(consumer.name, consumer.name, "consumer", ""))
        for name, group_id in inventory.security_groups.items():
            out["security-group"].append(
                Target(group_id, name, "security-group", self._arn("security-group", group_id))
            )
        for bucket in inventory.buckets:
            out["bucket"].append(Target(bucket, bucket, "bucket", self._arn("bucket", bucket)))
        hybrid = {node_id: name for name, node_id in inventory.hybrid_nodes.items()}
        for node_id in inventory.managed_nodes:
            label = names.get(node_id) or hybrid.get(node_id) or ""
            out["managed-node"].append(
                Target(node_id, label, "managed-node", self._arn("managed-node", node_id))
            )
        return out

    def targets_of_kind(self, kind: str) -> list[Target]:
        with self._lock:
            if self._targets is None:
                self._targets = self._build_targets()
            return list(self._targets.get(kind, ()))

    def targets(self, fault_id: str) -> list[Target]:
        """The resources ``fault_id`` can act on."""
        return _implementation(fault_id).candidates(self)

    def default_target(self, fault_id: str) -> Target | None:
        try:
            return self.resolve(fault_id, None)
        except FaultError:
            return None

    def resolve(self, fault_id: str, target: str | None) -> Target:
        """The target named ``target`` (an id, a name, an ARN, or for a bucket a unique name
        prefix); the fault's default target when None."""
        implementation = _implementation(fault_id)
        wanted = (target or "").strip() or implementation.default_target
        wanted = resource_id_of(wanted)
        candidates = implementation.candidates(self)
        for candidate in candidates:
            if wanted in (candidate.id, candidate.name):
                return candidate
        if implementation.spec.target_kind == "volume":
            for candidate in candidates:
                if wanted.replace(":", "-") == candidate.name:
                    return candidate
        if implementation.spec.target_kind == "bucket":
            matches = [c for c in candidates if c.id.startswith(f"{wanted}-")]
            if len(matches) == 1:
                return matches[0]
        known = ", ".join(c.label for c in candidates) or "none"
        raise FaultError(
            f"{fault_id} has no target {wanted!r}: a {implementation.spec.target_kind} of the workload "
            f"is needed (known: {known})"
        )

    def volume_type(self, volume_id: str) -> str:
        owner = self.volume_owner(volume_id)
        return owner[1].spec.volume_type if owner else ""

    def volume_owner(self, volume_id: str) -> tuple[InstanceModel, VolumeModel] | None:
        for model in self.workload.fleet.instances:
            for volume in model.volumes:
                if volume.volume_id == volume_id and model.spec.running:
                    return model, volume
        return None

    def stream_spec(self, name: str) -> Any:
        for spec in self.workload.fleet.streams:
            if spec.name == name:
                return spec
        raise FaultError(f"{name} is not a stream of the seeded workload")

    def describe_group(self, group_id: str) -> dict[str, Any]:
        from botocore.exceptions import ClientError

        try:
            groups = self.client("ec2").describe_security_groups(GroupIds=[group_id])["SecurityGroups"]
        except ClientError as exc:
            raise FaultError(f"security group {group_id} cannot be read: {exc}") from exc
        if not groups:
            raise FaultError(f"no security group {group_id}")
        group: dict[str, Any] = groups[0]
        return group

    # ---- catalogue and status --------------------------------------------------------------

    def catalogue(self) -> list[dict[str, Any]]:
        """Every catalogue fault with its default target and the targets it accepts."""
        out = []
        for spec in cat.CATALOGUE:
            default = self.default_target(spec.id)
            out.append(
                {
                    "id": spec.id,
                    "title": spec.title,
                    "target_kind": spec.target_kind,
                    "default_target": default.label if default else "",
                    "default_target_id": default.id if default else "",
                    "targets": [t.to_json() for t in self.targets(spec.id)],
                    "detection": {
                        "pane": spec.detection.pane,
                        "metric": spec.detection.metric,
                        "threshold": spec.detection.threshold,
                    },
                    "ends": spec.ends,
                }
            )
        return out

    def faults(self) -> list[FaultRecord]:
        with self._lock:
            return list(self.records)

    def active(self) -> list[FaultRecord]:
        with self._lock:
            return [r for r in self.records if r.active]

    def log_entries(self, limit: int = 200) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(entry) for entry in self.log[-limit:]]

    def note(self, what: str, text: str, **extra: Any) -> None:
        """Add an event that concerns no fault record (a scenario's refused start) to the log."""
        with self._lock:
            self._log(what, text, None, **extra)

    def _log(self, what: str, text: str, record: FaultRecord | None = None, **extra: Any) -> None:
        now = self.clock()
        entry: dict[str, Any] = {
            "at": _iso(now),
            "scenario_at_s": self.scenario_seconds(now),
            "what": what,
            "text": text,
        }
        if record is not None:
            entry.update(
                fault=record.fault,
                target=record.target.id,
                target_name=record.target.name,
                origin=record.origin,
                experiment_id=record.experiment_id,
            )
        entry.update(extra)
        self.log.append(entry)
        del self.log[:-LOG_LIMIT]
        logger.debug("fault log: %s", text)

    # ---- FIS -------------------------------------------------------------------------------

    def seed_templates(self) -> dict[str, str]:
        """One experiment template per catalogue fault, naming its default target (idempotent)."""
        from tui.sim.extensions import fis

        backend = fis.backend(self.account_id, self.region)
        with self._lock:
            for spec in cat.CATALOGUE:
                if spec.id in self.templates and spec.id in backend.experiment_templates:
                    continue
                self.templates[spec.id] = self._create_template(backend, spec)
            return dict(self.templates)

    def _create_template(self, backend: Any, spec: FaultSpec) -> str:
        from tui.sim.extensions import fis

        implementation = FAULTS[spec.id]
        default = self.default_target(spec.id)
        key, resource_type = _FIS_TARGETS[spec.target_kind]
        targets: dict[str, Any] = {}
        tags = {cat.FAULT_TAG: spec.id, "Name": f"warroom-{spec.id}"}
        where = ""
        if default is not None:
            targets[key] = _fis_target(resource_type, default.arn)
            tags[cat.TARGET_TAG] = default.id
            where = f" on {default.label}"
        action_id, parameters = implementation.template_action()
        action: dict[str, Any] = {"actionId": action_id, "description": spec.effect[:512]}
        if parameters:
            action["parameters"] = dict(parameters)
        if default is not None and action_id != "aws:fis:wait":
            action["targets"] = {key: key}
        description = f"warroom game day: {spec.title}{where}. {spec.effect}. Ends: {spec.ends}."
        return fis.create_template(
            backend,
            client_token=f"warroom-{spec.id}-{self.account_id}-{self.region}",
            description=description[:512],
            targets=targets,
            actions={spec.id: action},
            role_arn=f"arn:aws:iam::{self.account_id}:role/{FIS_ROLE_NAME}",
            tags=tags,
        )

    def _experiment_tags(self, record: FaultRecord) -> dict[str, str]:
        tags = {
            cat.FAULT_TAG: record.fault,
            cat.TARGET_TAG: record.target.id,
            cat.ORIGIN_TAG: record.origin,
            cat.SPEED_TAG: f"{record.speed:g}",
        }
        if self.scenario_name is not None and self.scenario_started_at is not None:
            tags[cat.SCENARIO_TAG] = self.scenario_name
            tags[cat.SCENARIO_START_TAG] = _iso(self.scenario_started_at) or ""
        return tags

    def _start_experiment(
        self, record: FaultRecord, template_id: str | None, extra_tags: Mapping[str, str], token: str | None
    ) -> str:
        from tui.sim.extensions import fis

        backend = fis.backend(self.account_id, self.region)
        if template_id is None or template_id not in backend.experiment_templates:
            template_id = self.seed_templates()[record.fault]
        key, resource_type = _FIS_TARGETS[record.target.kind]
        targets = {key: _fis_target(resource_type, record.target.arn)}
        tags = {**dict(extra_tags), **self._experiment_tags(record)}
        return fis.start_managed_experiment(
            backend,
            template_id,
            tags=tags,
            start_time=record.started_at.timestamp(),
            targets=targets if record.target.arn else None,
            client_token=token,
        )

    def _end_experiment(self, record: FaultRecord, status: str) -> None:
        from tui.sim.extensions import fis

        if not record.experiment_id or record.ended_at is None:
            return
        backend = fis.backend(self.account_id, self.region)
        experiment = backend.experiments.get(record.experiment_id)
        if experiment is not None and record.note:
            # How it ended travels with the experiment (tagged before the state moves, so no reader
            # sees it ended without it), and every console's journal can say it.
            backend.tagger.tag_resource(
                experiment.arn, [{"Key": cat.OUTCOME_TAG, "Value": record.note[:256]}]
            )
        fis.set_experiment_state(backend, record.experiment_id, status, record.ended_at.timestamp())

    def start_from_template(self, template_id: str, tags: Mapping[str, str], client_token: str | None) -> str:
        """StartExperiment on a template tagged ``warroom:fault``: start its fault (origin fis) on
        the template's target (its resource ARN, else its ``warroom:target`` tag, else the default);
        an action parameter ``duration`` (ISO 8601, wall time) bounds it."""
        from tui.sim.extensions import fis

        backend = fis.backend(self.account_id, self.region)
        template = backend.experiment_templates.get(template_id)
        template_tags = fis.template_tags(backend, template_id)
        fault_id = template_tags.get(cat.FAULT_TAG, "")
        if template is None or fault_id not in FAULTS:
            raise FaultError(f"template {template_id} names no fault of the catalogue ({fault_id!r})")
        target: str | None = None
        for entry in (template.targets or {}).values():
            arns = entry.get("resourceArns") if isinstance(entry, Mapping) else None
            if arns:
                target = str(arns[0])
                break
        target = target or template_tags.get(cat.TARGET_TAG) or None
        duration_s: float | None = None
        for action in (template.actions or {}).values():
            raw = (action.get("parameters") or {}).get("duration") if isinstance(action, Mapping) else None
            seconds = iso_duration_seconds(raw) if isinstance(raw, str) else None
            if seconds:  # PT0S sets no duration
                duration_s = max(duration_s or 0.0, seconds * self.speed)
        record = self.start(
            fault_id,
            target,
            origin="fis",
            duration_s=duration_s,
            template_id=template_id,
            tags=tags,
            client_token=client_token,
        )
        return record.experiment_id

    def stop_experiment(self, experiment_id: str) -> bool:
        """StopExperiment: clear the active fault of that experiment (False when there is none)."""
        with self._lock:
            record = next((r for r in self.records if r.experiment_id == experiment_id and r.active), None)
            if record is None:
                return False
            self._finish(record, ENDED, self.clock(), "stopped through FIS (StopExperiment)", restore=True)
            return True

    # ---- starting and ending ---------------------------------------------------------------

    def start(
        self,
        fault_id: str,
        target: str | None = None,
        *,
        origin: str = "facilitator",
        duration_s: float | None = None,
        started_at: datetime | None = None,
        scenario_at_s: float | None = None,
        template_id: str | None = None,
        tags: Mapping[str, str] | None = None,
        client_token: str | None = None,
    ) -> FaultRecord:
        """Start ``fault_id`` on ``target`` (default: the fault's default target) for
        ``duration_s`` scenario seconds (None: until cleared or mitigated).

        ``started_at`` backdates the start (a scenario's exact schedule, or a test's past)."""
        implementation = _implementation(fault_id)
        if origin not in ORIGINS:
            raise FaultError(f"origin must be one of {', '.join(ORIGINS)}, not {origin!r}")
        if duration_s is not None and not (isinstance(duration_s, int | float) and duration_s > 0):
            raise FaultError(f"a duration must be a number of seconds above 0, not {duration_s!r}")
        with self._lock:
            resolved = self.resolve(fault_id, target)
            for record in self.records:
                if record.active and record.fault == fault_id and record.target.id == resolved.id:
                    raise FaultConflict(
                        f"{fault_id} is already active on {resolved.label} "
                        f"(experiment {record.experiment_id}, origin {record.origin})"
                    )
            started = started_at or self.clock()
            implementation.check(self, resolved, started)
            record = FaultRecord(
                serial=len(self.records) + 1,
                fault=fault_id,
                target=resolved,
                origin=origin,
                started_at=started,
                speed=self.speed,
                duration_s=None if duration_s is None else float(duration_s),
                scenario_at_s=scenario_at_s if scenario_at_s is not None else self.scenario_seconds(started),
            )
            record.params = implementation.prepare(self, resolved, started)
            try:
                implementation.apply(self, record)
                record.experiment_id = self._start_experiment(record, template_id, tags or {}, client_token)
            except Exception as exc:
                try:
                    implementation.restore(self, record)
                except Exception:
                    logger.debug("undoing a failed start of %s failed", fault_id, exc_info=True)
                if isinstance(exc, FaultError):
                    raise
                raise FaultError(f"{fault_id} could not start on {resolved.label}: {exc}") from exc
            self.records.append(record)
            self._changed(record, started)
            lasting = f" for {format_duration(record.duration_s)}" if record.duration_s else ""
            self._log(
                "started",
                f"started {fault_id} on {resolved.label}{lasting} "
                f"(experiment {record.experiment_id}, origin {origin})",
                record,
            )
            return record

    def clear(
        self,
        fault_id: str,
        target: str | None = None,
        *,
        at: datetime | None = None,
        origin: str = "facilitator",
    ) -> list[FaultRecord]:
        """End ``fault_id`` (on ``target``, else everywhere it is active) and restore what it
        changed; its experiments turn ``stopped``. Returns the faults cleared."""
        _implementation(fault_id)
        with self._lock:
            wanted = None if target is None or not target.strip() else self.resolve(fault_id, target).id
            cleared = []
            for record in self.records:
                if record.active and record.fault == fault_id and wanted in (None, record.target.id):
                    self._finish(record, ENDED, at or self.clock(), f"cleared by {origin}", restore=True)
                    cleared.append(record)
            return cleared

    def clear_all(self, *, at: datetime | None = None, origin: str = "facilitator") -> list[FaultRecord]:
        """Clear every active fault."""
        with self._lock:
            cleared = []
            for record in list(self.records):
                if record.active:
                    self._finish(record, ENDED, at or self.clock(), f"cleared by {origin}", restore=True)
                    cleared.append(record)
            return cleared

    def refresh(self, now: datetime | None = None) -> list[FaultRecord]:
        """End the faults whose duration is over and notice those people fixed; return them."""
        moment = now or self.clock()
        changed = []
        with self._lock:
            for record in list(self.records):
                if not record.active:
                    continue
                planned = record.planned_end
                if planned is not None and planned <= moment:
                    assert record.duration_s is not None
                    note = f"its duration of {format_duration(record.duration_s)} (scenario time) is over"
                    self._finish(record, ENDED, planned, note, restore=True, status="completed")
                    changed.append(record)
                    continue
                try:
                    reason = FAULTS[record.fault].mitigation(self, record)
                except Exception:
                    logger.debug("checking whether %s was mitigated failed", record.fault, exc_info=True)
                    reason = None
                if reason is not None:
                    self._finish(record, MITIGATED, moment, f"mitigated: {reason}", restore=False)
                    changed.append(record)
        return changed

    def _finish(
        self,
        record: FaultRecord,
        state: str,
        at: datetime,
        note: str,
        *,
        restore: bool,
        status: str | None = None,
    ) -> None:
        implementation = FAULTS[record.fault]
        record.state = state
        record.ended_at = max(at, record.started_at)
        record.note = note
        try:
            if restore:
                implementation.restore(self, record)
            else:
                implementation.settle(self, record)
        except Exception as exc:
            logger.debug("restoring after %s failed", record.fault, exc_info=True)
            record.note = f"{note}; restoring failed: {exc}"
        experiment = status or ("completed" if state == MITIGATED else "stopped")
        self._end_experiment(record, experiment)
        self._changed(record, record.ended_at)
        what = {MITIGATED: "mitigated", ENDED: "ended"}[state]
        self._log(what, f"{record.fault} on {record.target.label} {what}: {note}", record)

    def _changed(self, record: FaultRecord, at: datetime) -> None:
        """Rebuild the metric timeline and drop backlogs the change makes stale."""
        spans = []
        for item in self.records:
            end = item.end
            spans.append(
                _Span(
                    fault=FAULTS[item.fault],
                    target=item.target,
                    start=item.started_at.timestamp(),
                    end=None if end is None else end.timestamp(),
                    speed=item.speed,
                    params=dict(item.params),
                )
            )
        self._timeline = (tuple(spans), {})
        streams = FAULTS[record.fault].streams(record)
        if streams:
            generator = self.workload.generator
            for moment in (record.started_at, at):
                for stream in streams:
                    generator.forget(stream, minute_of(moment))

    # ---- findings --------------------------------------------------------------------------

    def import_control_finding(
        self, control_id: str, resource: Mapping[str, Any], record: FaultRecord, note: str
    ) -> dict[str, Any]:
        """Import a FAILED Security Hub control finding about ``resource``, shaped like the seeded
        ones (``tui.sim.findings``); return it."""
        from tui.sim import catalog
        from tui.sim.extensions.securityhub import LABEL_NORMALIZED
        from tui.sim.findings import CONTROLS, SCHEMA_VERSION, SECURITY_HUB

        spec = CONTROLS[control_id]
        region, account = self.region, self.account_id
        finding_uuid = str(uuid.UUID(int=self._rng.getrandbits(128), version=4))
        finding_id = (
            f"arn:aws:securityhub:{region}:{account}:security-control/{control_id}/finding/{finding_uuid}"
        )
        product_arn = SECURITY_HUB.arn(region)
        observed = _asff_time(record.started_at)
        rule = f"securityhub-{spec.config_rule}-{self._rng.getrandbits(32):08x}"
        finding: dict[str, Any] = {
            "SchemaVersion": SCHEMA_VERSION,
            "Id": finding_id,
            "ProductArn": product_arn,
            "ProductName": SECURITY_HUB.name,
            "CompanyName": SECURITY_HUB.company,
            "Region": region,
            "GeneratorId": f"security-control/{control_id}",
            "AwsAccountId": account,
            "AwsAccountName": catalog.ACCOUNT_NAME,
            "Types": [_STANDARDS_TYPE],
            "FirstObservedAt": observed,
            "LastObservedAt": observed,
            "CreatedAt": observed,
            "UpdatedAt": observed,
            "Severity": {"Label": spec.severity, "Normalized": LABEL_NORMALIZED[spec.severity]},
            "Title": spec.title,
            "Description": f"This control checks: {spec.title.lower()}. {note}",
            "ProductFields": {
                "aws/securityhub/FindingId": f"{product_arn}/{finding_id}",
                "aws/securityhub/ProductName": SECURITY_HUB.name,
                "aws/securityhub/CompanyName": SECURITY_HUB.company,
                "RelatedAWSResources:0/name": rule,
                "RelatedAWSResources:0/type": "AWS::Config::ConfigRule",
                "Resources:0/Id": str(resource["Id"]),
            },
            "Resources": [dict(resource)],
            "Workflow": {"Status": "NEW"},
            "RecordState": "ACTIVE",
            "Compliance": {
                "Status": "FAILED",
                "SecurityControlId": control_id,
                "AssociatedStandards": [{"StandardsId": s} for s in spec.standards],
            },
            "Remediation": {
                "Recommendation": {
                    "Text": spec.recommendation,
                    "Url": f"https://docs.aws.amazon.com/console/securityhub/{control_id}/remediation",
                }
            },
        }
        reply = self.client("securityhub").batch_import_findings(Findings=[finding])
        if reply.get("FailedCount"):
            raise FaultError(f"Security Hub refused the {control_id} finding: {reply.get('FailedFindings')}")
        return finding

    def archive_finding(self, record: FaultRecord) -> None:
        """The fault's finding passes: Compliance PASSED, RecordState ARCHIVED."""
        finding = record.data.get("finding")
        if not isinstance(finding, dict) or record.data.get("archived"):
            return
        moment = _asff_time(max(record.ended_at or self.clock(), record.started_at))
        update = {
            **finding,
            "UpdatedAt": moment,
            "LastObservedAt": moment,
            "RecordState": "ARCHIVED",
            "Severity": {"Label": "INFORMATIONAL", "Normalized": 0},
            "Compliance": {**finding["Compliance"], "Status": "PASSED"},
        }
        reply = self.client("securityhub").batch_import_findings(Findings=[update])
        if reply.get("FailedCount"):
            raise FaultError(
                f"Security Hub refused to archive {finding['Id']}: {reply.get('FailedFindings')}"
            )
        record.data["archived"] = True

    # ---- metrics ---------------------------------------------------------------------------

    def effects_at(self, minute: int) -> Effects:
        """What the faults do to ``minute`` (computed from the timeline, the same every time)."""
        spans, cache = self._timeline
        if not spans:
            return NO_EFFECTS
        cached = cache.get(minute)
        if cached is not None:
            return cached
        middle = minute * 60.0 + 30.0
        gathered = _Effects()
        for span in spans:
            if middle < span.start:
                continue
            horizon = span.fault.horizon(span)
            if horizon is not None and middle >= horizon:
                continue
            span.fault.effects(span, middle, minute, gathered)
        effects = gathered.frozen()
        if effects.empty:
            effects = NO_EFFECTS
        cache[minute] = effects
        return effects

    # ---- the monitor -----------------------------------------------------------------------

    def start_monitor(self, interval: float = MONITOR_INTERVAL_S) -> None:
        """Refresh every ``interval`` seconds from a daemon thread."""
        if self._monitor is not None and self._monitor.is_alive():
            return
        self._stop.clear()

        def run() -> None:
            while not self._stop.wait(interval):
                try:
                    self.refresh()
                except Exception:
                    logger.debug("fault refresh failed", exc_info=True)

        self._monitor = threading.Thread(target=run, name="warroom-sim-faults", daemon=True)
        self._monitor.start()

    def stop_monitor(self) -> None:
        self._stop.set()
        thread = self._monitor
        if thread is not None:
            thread.join(timeout=5.0)
            self._monitor = None


def _implementation(fault_id: str) -> _Fault:
    implementation = FAULTS.get(fault_id)
    if implementation is None:
        known = ", ".join(FAULTS)
        raise FaultError(f"no fault {fault_id!r}; the catalogue has: {known}")
    return implementation
