"""EBS faults: an instance's EBS maximum caps its volumes, or a provisioned-IOPS volume is held to
its instance's baseline."""

from __future__ import annotations

import math
from datetime import datetime
from typing import TYPE_CHECKING, Any

from tui.sim.faults.base import FaultError, Target, _Effects, _Fault, _instance_model, _Span
from tui.sim.metricgen import InstanceModel, VolumeModel, level, minute_of

if TYPE_CHECKING:
    from tui.sim.faults.engine import FaultEngine


_MIB = 1024.0 * 1024.0


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
