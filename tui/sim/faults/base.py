"""What every fault shares: its record, its target, the span the metric timeline reads, the
effects gathered for a minute, and the ``_Fault`` base class each fault family implements."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from tui.common import catalogue as cat
from tui.common.catalogue import FaultSpec
from tui.sim.metricgen import Effects, InstanceModel

if TYPE_CHECKING:
    from tui.sim.faults.engine import FaultEngine


ACTIVE = "active"
ENDED = "ended"
MITIGATED = "mitigated"
ORIGINS = ("scenario", "facilitator", "fis")
LOG_LIMIT = 2000
FIS_ROLE_NAME = "warroom-fis"
MONITOR_INTERVAL_S = 1.0


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
    alarms: tuple[str, ...] = ()
    """The simulated CloudWatch alarms it should drive to ALARM (``FaultEngine.expected_alarms``)."""
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
            "alarms": list(self.alarms),
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

    def alarm_fields(self, engine: FaultEngine, target: Target) -> dict[str, str]:
        """What fills in the catalogue's alarm names (``tui.common.catalogue.ALARM_*``) for
        ``target``: its name under its kind, and for a volume its instance's name."""
        fields = {target.kind: target.label}
        if target.kind == "volume":
            owner = engine.volume_owner(target.id)
            if owner is not None:
                fields["instance"] = owner[0].spec.name
        return fields


def _instance_model(engine: FaultEngine, instance_id: str) -> InstanceModel:
    models: tuple[InstanceModel, ...] = engine.workload.fleet.instances
    for model in models:
        if model.instance_id == instance_id:
            return model
    raise FaultError(f"{instance_id} is not an instance of the seeded fleet")
