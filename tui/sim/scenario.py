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
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any

from tui.common import catalogue as cat
from tui.common.durations import DurationError, parse_duration

# Every command reads --scenario through this module, so the fault engine and the workload's
# catalogue (about 50 ms) are imported inside the functions that check or play a scenario.

logger = logging.getLogger(__name__)

BUILTIN = ("default",)
"""Scenarios shipped with warroom (``--scenario default``)."""

_TOP_KEYS = ("name", "description", "speed", "fault")
_FAULT_KEYS = ("at", "fault", "target", "duration")


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


def _duration(value: Any, *, what: str, allow_zero: bool = False) -> float:
    """``tui.common.durations.parse_duration``, its error a ScenarioError."""
    try:
        return parse_duration(value, what=what, allow_zero=allow_zero)
    except DurationError as exc:
        raise ScenarioError(str(exc)) from None


def _fault_lines(text: str) -> list[int]:
    """The line number of each ``[[fault]]`` header, in order."""
    return [
        number
        for number, line in enumerate(text.splitlines(), start=1)
        if re.match(r"\s*\[\[\s*fault\s*\]\]", line)
    ]


def parse_scenario(text: str, *, source: str = "<scenario>", default_name: str = "scenario") -> Scenario:
    """A Scenario from TOML text; ScenarioError says what is wrong and where."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"{source}: not valid TOML: {exc}") from None
    unknown = sorted(set(data) - set(_TOP_KEYS))
    if unknown:
        raise ScenarioError(
            f"{source}: unknown key(s) {', '.join(unknown)}; a scenario has {', '.join(_TOP_KEYS)}"
        )
    name = data.get("name", default_name)
    if not isinstance(name, str) or not name.strip():
        raise ScenarioError(f"{source}: name must be a non-empty string")
    description = data.get("description", "")
    if not isinstance(description, str):
        raise ScenarioError(f"{source}: description must be a string")
    speed_raw = data.get("speed", 1)
    if isinstance(speed_raw, bool) or not isinstance(speed_raw, int | float) or not speed_raw > 0:
        raise ScenarioError(f"{source}: speed must be a number above 0, not {speed_raw!r}")
    entries = data.get("fault", [])
    if not isinstance(entries, list):
        raise ScenarioError(f"{source}: faults are written as [[fault]] tables")
    lines = _fault_lines(text)
    faults = []
    for index, entry in enumerate(entries):
        line = lines[index] if index < len(lines) else None
        where = f"{source}: fault #{index + 1}" + (f" (line {line})" if line else "")
        faults.append(_scheduled(entry, where, line))
    if not faults:
        raise ScenarioError(f"{source}: the scenario schedules no [[fault]]")
    faults.sort(key=lambda f: f.at_s)
    return Scenario(
        name=name.strip(),
        description=description.strip(),
        speed=float(speed_raw),
        faults=tuple(faults),
        source=source,
    )


def _scheduled(entry: Any, where: str, line: int | None) -> ScheduledFault:
    if not isinstance(entry, Mapping):
        raise ScenarioError(f"{where}: a [[fault]] entry must be a table")
    unknown = sorted(set(entry) - set(_FAULT_KEYS))
    if unknown:
        raise ScenarioError(
            f"{where}: unknown key(s) {', '.join(unknown)}; a fault has {', '.join(_FAULT_KEYS)}"
        )
    fault_id = entry.get("fault")
    if not isinstance(fault_id, str) or not fault_id:
        raise ScenarioError(f"{where}: fault is missing (one of: {', '.join(cat.BY_ID)})")
    if fault_id not in cat.BY_ID:
        raise ScenarioError(f"{where}: unknown fault {fault_id!r}; the catalogue has: {', '.join(cat.BY_ID)}")
    if "at" not in entry:
        raise ScenarioError(f'{where}: at is missing (when the fault starts, e.g. at = "5m")')
    at_s = _duration(entry["at"], what=f"{where}: at", allow_zero=True)
    target = entry.get("target")
    if target is not None and (not isinstance(target, str) or not target.strip()):
        raise ScenarioError(f"{where}: target must be a resource id or name")
    duration_s = None
    if "duration" in entry:
        duration_s = _duration(entry["duration"], what=f"{where}: duration")
    return ScheduledFault(
        at_s=at_s,
        fault=fault_id,
        target=target.strip() if isinstance(target, str) else None,
        duration_s=duration_s,
        line=line,
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
