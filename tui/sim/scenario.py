"""Game-day scenarios: a TOML timeline of faults, and the scheduler that plays it.

A scenario file::

    name = "payments rehearsal"
    description = "what the team practises"
    speed = 10            # scenario seconds per wall second (optional, default 1)

    [[fault]]
    at = "5m"             # scenario time: "90s", "5m", "1h30m", or a number of seconds
    fault = "kinesis-write-throttle"
    target = "payments-events"   # optional: the fault's default target
    duration = "30m"      # optional: until cleared or mitigated

``ScenarioRunner`` starts each fault when the scenario clock reaches its ``at`` (scenario time =
wall time since T+0 times the speed); the fault engine ends it after ``duration`` scenario
seconds. The clock is injectable, and ``tick`` does one step, so tests drive it without waiting.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any

from tui.common import catalogue as cat
from tui.common.codec import FileError, Model, error_at, got, read_toml, toml_line
from tui.common.durations import DurationError, parse_duration

# Every command reads --scenario through this module, so the fault engine and the workload's
# catalogue (about 50 ms) are imported inside the functions that check or play a scenario.

logger = logging.getLogger(__name__)

BUILTIN = ("default",)
"""Scenarios shipped with warroom (``--scenario default``)."""


class ScenarioError(ValueError):
    """A scenario that cannot be read or played, with what is wrong and where."""


@dataclass(frozen=True)
class ScheduledFault:
    """One fault of a scenario: when (scenario seconds), which, on what, for how long."""

    at_s: float
    fault: str
    target: str | None = None
    duration_s: float | None = None
    line: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {"at_s": self.at_s, "fault": self.fault, "target": self.target, "duration_s": self.duration_s}


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str = ""
    speed: float = 1.0
    faults: tuple[ScheduledFault, ...] = ()
    source: str = ""

    @property
    def duration_s(self) -> float:
        """Scenario seconds until the last scheduled fault has started and ended (a fault without a
        duration counts from its start)."""
        return max((f.at_s + (f.duration_s or 0.0) for f in self.faults), default=0.0)


class Seconds(float):
    """A scenario's ``at``: "90s", "5m", "1h30m" or a number of seconds, 0 or more."""

    allow_zero = True

    @classmethod
    def parse_value(cls, value: Any) -> Seconds:
        """The codec's reader (``tui.common.codec``); ValueError says what is wrong."""
        expected = "a duration such as 90s" if cls.allow_zero else "a duration above 0, such as 90s"
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise ValueError(f"expected {expected}, got {got(value)}")
        try:
            return cls(parse_duration(value, allow_zero=cls.allow_zero))
        except DurationError as exc:
            why = str(exc).partition(": ")[2]
            raise ValueError(
                f"expected {expected}, got {got(value)}" + (f" ({why})" if why else "")
            ) from None


class PositiveSeconds(Seconds):
    """A scenario's ``duration``: as ``Seconds``, above 0."""

    allow_zero = False


class FaultEntry(Model, frozen=True):
    """One ``[[fault]]`` table as written."""

    at: Seconds | None = None
    fault: str = ""
    target: str | None = None
    duration: PositiveSeconds | None = None


class ScenarioFile(Model, frozen=True):
    """A scenario file as written (see the module's doc)."""

    name: str | None = None
    description: str = ""
    speed: float = 1.0
    fault: tuple[FaultEntry, ...] = ()


def _check(scenario: ScenarioFile) -> None:
    """What the types do not say: raises the codec's error with the path of what is wrong."""
    if scenario.name is not None and not scenario.name.strip():
        raise error_at("expected a name, got an empty string", "name")
    if not scenario.speed > 0:
        raise error_at(f"expected a number above 0, got {scenario.speed:g}", "speed")
    if not scenario.fault:
        raise error_at("the scenario schedules no [[fault]]")
    for index, entry in enumerate(scenario.fault):
        if not entry.fault:
            raise error_at(f"missing (one of: {', '.join(cat.BY_ID)})", "fault", index, "fault")
        if entry.fault not in cat.BY_ID:
            known = ", ".join(cat.BY_ID)
            raise error_at(
                f"unknown fault {entry.fault!r}; the catalogue has: {known}", "fault", index, "fault"
            )
        if entry.at is None:
            raise error_at('missing (when the fault starts, e.g. at = "5m")', "fault", index, "at")
        if entry.target is not None and not entry.target.strip():
            raise error_at("expected a resource id or name, got an empty string", "fault", index, "target")


def parse_scenario(text: str, *, source: str = "<scenario>", default_name: str = "scenario") -> Scenario:
    """A Scenario from TOML text, read by the codec's typed model (``ScenarioFile``); ScenarioError
    names the source, the line, the field and what is wrong, e.g. ``drill.toml line 12:
    fault[2].at: expected a duration such as 90s, got true``."""
    try:
        written = read_toml(ScenarioFile, text, source=source, check=_check)
    except FileError as exc:
        raise ScenarioError(str(exc)) from None
    faults = [
        ScheduledFault(
            at_s=float(entry.at or 0.0),
            fault=entry.fault,
            target=entry.target.strip() if entry.target is not None else None,
            duration_s=None if entry.duration is None else float(entry.duration),
            line=toml_line(text, ("fault", index)),
        )
        for index, entry in enumerate(written.fault)
    ]
    faults.sort(key=lambda f: f.at_s)
    return Scenario(
        name=(written.name or default_name).strip(),
        description=written.description.strip(),
        speed=float(written.speed),
        faults=tuple(faults),
        source=source,
    )


def load_scenario(path: str | Path) -> Scenario:
    """A scenario file (its name defaults to the file's stem)."""
    file = Path(path).expanduser()
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise ScenarioError(f"{file}: cannot be read: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise ScenarioError(f"{file}: is not UTF-8 text") from None
    return parse_scenario(text, source=str(file), default_name=file.stem)


def builtin_scenario(name: str = "default") -> Scenario:
    """A scenario shipped with warroom."""
    if name not in BUILTIN:
        raise ScenarioError(f"no built-in scenario {name!r} (built in: {', '.join(BUILTIN)})")
    text = resources.files("tui.sim").joinpath("scenarios", f"{name}.toml").read_text(encoding="utf-8")
    return parse_scenario(text, source=f"built-in scenario {name}", default_name=name)


def scenario_from(value: str) -> Scenario:
    """``--scenario`` VALUE: a built-in scenario's name, else a file."""
    if value in BUILTIN and not Path(value).exists():
        return builtin_scenario(value)
    return load_scenario(value)


# --------------------------------------------------------------------------------------------
# Playing a scenario
# --------------------------------------------------------------------------------------------


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class _Entry:
    scheduled: ScheduledFault
    started: bool = False
    experiment_id: str = ""
    error: str = ""


@dataclass
class ScenarioRunner:
    """Plays a scenario on a fault engine (``tui.sim.faults.FaultEngine``).

    T+0 is ``started_at`` (default: when ``start`` or the first ``tick`` runs). Each scheduled
    fault starts at exactly T+0 + at / speed (wall time), with origin ``scenario``.
    """

    scenario: Scenario
    engine: Any
    speed: float = 1.0
    clock: Callable[[], datetime] = _utcnow
    interval: float = 0.5
    """Longest wait (wall seconds) of the thread between two looks at the clock."""
    started_at: datetime | None = None
    _entries: list[_Entry] = field(default_factory=list, init=False, repr=False)
    _lock: threading.RLock = field(default_factory=threading.RLock, init=False, repr=False)
    _stop: threading.Event = field(default_factory=threading.Event, init=False, repr=False)
    _wake: threading.Event = field(default_factory=threading.Event, init=False, repr=False)
    _thread: threading.Thread | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        if not self.speed > 0:
            raise ScenarioError(f"speed must be above 0, not {self.speed!r}")
        self._entries = [_Entry(f) for f in self.scenario.faults]

    def begin(self, at: datetime | None = None) -> datetime:
        """Set T+0 (once) and tell the engine which scenario runs."""
        with self._lock:
            if self.started_at is None:
                self.started_at = at or self.clock()
            self.engine.set_scenario(self.scenario.name, self.started_at)
            return self.started_at

    def elapsed_s(self, now: datetime | None = None) -> float:
        """Scenario seconds since T+0."""
        if self.started_at is None:
            return 0.0
        return max(0.0, ((now or self.clock()) - self.started_at).total_seconds() * self.speed)

    def due_at(self, scheduled: ScheduledFault) -> datetime:
        """The wall time a scheduled fault starts."""
        start = self.started_at or self.begin()
        return start + timedelta(seconds=scheduled.at_s / self.speed)

    def tick(self, now: datetime | None = None) -> list[Any]:
        """Start every fault that is due and not started yet; return the records started."""
        from tui.sim.faults import FaultError  # for start-up time: see the note at the top

        moment = now or self.clock()
        started = []
        with self._lock:
            self.begin()
            for entry in self._entries:
                if entry.started or self.due_at(entry.scheduled) > moment:
                    continue
                entry.started = True
                scheduled = entry.scheduled
                try:
                    record = self.engine.start(
                        scheduled.fault,
                        scheduled.target,
                        origin="scenario",
                        duration_s=scheduled.duration_s,
                        started_at=self.due_at(scheduled),
                        scenario_at_s=scheduled.at_s,
                    )
                except FaultError as exc:
                    entry.error = str(exc)
                    self.engine.note(
                        "refused",
                        f"scenario {self.scenario.name} could not start {scheduled.fault} at "
                        f"T+{scheduled.at_s:g}s: {exc}",
                        fault=scheduled.fault,
                        origin="scenario",
                    )
                    continue
                entry.experiment_id = record.experiment_id
                started.append(record)
        return started

    def next_due(self) -> datetime | None:
        with self._lock:
            pending = [self.due_at(e.scheduled) for e in self._entries if not e.started]
        return min(pending) if pending else None

    def state(self, now: datetime | None = None) -> str:
        """``running`` until every fault started and the scenario's time is over and none of its
        faults is still active; then ``finished``."""
        with self._lock:
            if any(not e.started for e in self._entries):
                return "running"
            ids = {e.experiment_id for e in self._entries if e.experiment_id}
        if self.elapsed_s(now) < self.scenario.duration_s:
            return "running"
        if any(r.experiment_id in ids for r in self.engine.active()):
            return "running"
        return "finished"

    def status(self, now: datetime | None = None) -> dict[str, Any]:
        moment = now or self.clock()
        return {
            "name": self.scenario.name,
            "description": self.scenario.description,
            "started_at": None if self.started_at is None else self.started_at.isoformat(),
            "elapsed_s": round(self.elapsed_s(moment), 3),
            "duration_s": self.scenario.duration_s,
            "state": self.state(moment),
        }

    def schedule(self) -> list[dict[str, Any]]:
        with self._lock:
            return [
                {**e.scheduled.to_json(), "started": e.started, **({"error": e.error} if e.error else {})}
                for e in self._entries
            ]

    # ---- the thread ------------------------------------------------------------------------

    def start(self) -> ScenarioRunner:
        """Set T+0 and play the scenario from a daemon thread."""
        self.begin()
        if self._thread is not None and self._thread.is_alive():
            return self
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="warroom-sim-scenario", daemon=True)
        self._thread.start()
        return self

    def wake(self) -> None:
        """Look at the clock now (a test moved its fake clock)."""
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        thread = self._thread
        if thread is not None:
            thread.join(timeout=5.0)
            self._thread = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.tick()
            except Exception:
                logger.debug("scenario tick failed", exc_info=True)
            due = self.next_due()
            if due is None:
                return
            wait = min(self.interval, max(0.0, (due - self.clock()).total_seconds()))
            self._wake.wait(wait)
            self._wake.clear()


def _where(scheduled: ScheduledFault) -> str:
    line = f" (line {scheduled.line})" if scheduled.line else ""
    return f"{scheduled.fault} at T+{scheduled.at_s:g}s{line}"


def check_targets(scenario: Scenario, engine: Any) -> None:
    """Raise ScenarioError naming every scheduled fault whose target the engine cannot resolve."""
    from tui.sim.faults import FaultError  # for start-up time: see the note at the top

    problems = []
    for scheduled in scenario.faults:
        try:
            engine.resolve(scheduled.fault, scheduled.target)
        except FaultError as exc:
            problems.append(f"{_where(scheduled)}: {exc}")
    if problems:
        raise ScenarioError(f"{scenario.source or scenario.name}: " + "; ".join(problems))


_ID_SHAPES = {
    "instance": r"i-[0-9a-f]{8,17}",
    "volume": r"vol-[0-9a-f]{8,17}",
    "security-group": r"sg-[0-9a-f]{8,17}",
    "managed-node": r"(i-[0-9a-f]{8,17}|mi-[0-9a-f]{17})",
}


def _catalog_names(kind: str) -> tuple[list[str], list[str]]:
    """(names, bucket name prefixes) the seeded workload gives resources of ``kind``."""
    from tui.sim import catalog  # for start-up time: see the note at the top

    if kind == "instance":
        return [i.name for i in catalog.INSTANCES if i.running], []
    if kind == "volume":
        names = [v.name for i in catalog.INSTANCES if i.running for v in i.volumes]
        return names + [v.key for i in catalog.INSTANCES if i.running for v in i.volumes], []
    if kind == "stream":
        return [s.name for s in catalog.STREAMS], []
    if kind == "function":
        return [c.name for s in catalog.STREAMS for c in s.consumers if c.lambda_function], []
    if kind == "security-group":
        return [g.name for g in catalog.SECURITY_GROUPS] + ["default"], []
    if kind == "bucket":
        return [], [*catalog.PUBLIC_BUCKET_PREFIXES, *catalog.PRIVATE_BUCKET_PREFIXES]
    if kind == "managed-node":
        names = [i.name for i in catalog.INSTANCES if i.running and i.ssm_managed]
        return names + [n.name for n in catalog.HYBRID_NODES], []
    return [], []


def check_names(scenario: Scenario) -> None:
    """Raise ScenarioError naming every target that names nothing the seeded workload has (by
    name, id shape, ARN, or bucket name prefix), before any simulator starts."""
    from tui.sim.faults import resource_id_of  # for start-up time: see the note at the top

    problems = []
    for scheduled in scenario.faults:
        if scheduled.target is None:
            continue
        kind = cat.fault(scheduled.fault).target_kind
        wanted = resource_id_of(scheduled.target)
        names, prefixes = _catalog_names(kind)
        shape = _ID_SHAPES.get(kind)
        if wanted in names or (shape is not None and re.fullmatch(shape, wanted)):
            continue
        if any(wanted == p or wanted.startswith(f"{p}-") for p in prefixes):
            continue
        known = ", ".join(names or prefixes)
        problems.append(f"{_where(scheduled)}: no {kind} {wanted!r} in the seeded workload (known: {known})")
    if problems:
        raise ScenarioError(f"{scenario.source or scenario.name}: " + "; ".join(problems))
