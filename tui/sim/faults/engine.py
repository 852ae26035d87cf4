"""The fault engine: starts, ends and records the catalogue's faults on one seeded workload, answers
FIS for it, and gives the metric generator each minute's effects."""

from __future__ import annotations

import logging
import random
import threading
import uuid
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from tui.common import catalogue as cat
from tui.common.catalogue import FaultSpec
from tui.common.durations import iso_duration_seconds
from tui.common.timefmt import asff_time as _asff_time
from tui.common.timefmt import compact_duration_text as format_duration
from tui.sim import catalog
from tui.sim.account import SIM_ACCESS_KEY, SIM_SECRET_KEY
from tui.sim.extensions import alarms as alarm_book
from tui.sim.extensions import fis
from tui.sim.extensions.securityhub import LABEL_NORMALIZED
from tui.sim.faults.base import (
    ENDED,
    FIS_ROLE_NAME,
    LOG_LIMIT,
    MITIGATED,
    MONITOR_INTERVAL_S,
    ORIGINS,
    FaultConflict,
    FaultError,
    FaultRecord,
    Target,
    _Effects,
    _iso,
    _Span,
    _utcnow,
)
from tui.sim.faults.registry import FAULTS, _implementation
from tui.sim.findings import _STANDARDS_TYPE, CONTROLS, SCHEMA_VERSION, SECURITY_HUB
from tui.sim.metricgen import NO_EFFECTS, Effects, InstanceModel, VolumeModel, minute_of

logger = logging.getLogger(__name__)


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
        with self._lock:
            self.workload.effects_provider = self.effects_at
            fis.register(self.account_id, self.region, self)
            self.seed_templates()
            self._installed = True
        return self

    def close(self) -> None:
        """Stop the monitor and detach from the workload and FIS (faults stay as they are)."""
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
                        "alarms": self.expected_alarms(spec.id) if default else [],
                    },
                    "ends": spec.ends,
                }
            )
        return out

    def expected_alarms(self, fault_id: str, target: str | None = None) -> list[str]:
        """The simulated CloudWatch alarms ``fault_id`` should drive to ALARM on ``target`` (its
        default target when None): the catalogue's alarm names filled in for the target, then the
        composite alarms over them; only alarms the simulator holds."""
        implementation = _implementation(fault_id)
        resolved = self.resolve(fault_id, target)
        fields = implementation.alarm_fields(self, resolved)
        names = []
        for pattern in implementation.spec.detection.alarms:
            try:
                names.append(pattern.format(**fields))
            except KeyError:
                logger.debug("no %s for the alarm %s of %s", pattern, fault_id, resolved.label)
        return alarm_book.with_composites(self.account_id, self.region, names)

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
        backend = fis.backend(self.account_id, self.region)
        with self._lock:
            for spec in cat.CATALOGUE:
                if spec.id in self.templates and spec.id in backend.experiment_templates:
                    continue
                self.templates[spec.id] = self._create_template(backend, spec)
            return dict(self.templates)

    def _create_template(self, backend: Any, spec: FaultSpec) -> str:
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
            record.alarms = tuple(self.expected_alarms(fault_id, resolved.id))
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
