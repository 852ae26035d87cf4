"""Business services and their impact tolerance: which detections impair which service, for how long.

A service names its resources by id or name and by tag; a ``detected`` journal event on one of
them opens a signal, its ``recovered`` event closes it, and the service is impaired while any of
its signals is open. The impact tolerance is AWS's maximum tolerable duration of disruption, so it
is measured against the current continuous impairment: a service breaches when one impairment
lasts longer than ``tolerance_minutes`` (once per impairment), however long earlier impairments
lasted. ``total_impaired_s`` still adds every impairment up for the report.

``ServiceTracker`` is pure: time comes from the events and the ``now`` given to ``tick`` and
``status``. A breach is dated when the tolerance ran out (impairment start + tolerance), not when
``tick`` noticed it, so the journal says the same whether ticks came every second or not at all.

The services file is TOML::

    [[service]]
    name = "Card payments"
    tolerance_minutes = 15
    resources = ["payments-events", "i-0123456789abcdef0"]   # ids or names
    tags = { Service = ["payments-api", "payments"] }           # a value or a list of values
    ignore_metrics = ["stream.usage"]                           # optional

A resource matches when its id, its display name (detail ``name``), its instance (detail
``instance_id`` / ``instance_name``, for volumes) is listed in ``resources``, or when it carries
one of the ``tags`` pairs (detail ``tag:<Key>``). A stalled reader (``stream.reader_stalled``) is
its owner's by its name (an enhanced fan-out consumer or a Lambda function); the stream's
GetRecords readers taken together register no name, so they are the stream's owner's.
``ignore_metrics`` lists journal metrics that do not impair this service (a capacity warning such
as ``stream.usage`` is headroom, not impact).

A warning on a utilisation gauge (``HEADROOM_METRICS``: instance EBS, network and memory, a
volume's ceiling, a stream's write usage, throttled writes below the critical share, and the
iterator age against the retention period, whose records are not lost before 100%) is headroom
running short and impairs nothing; the same gauge at its critical level does, until it falls
back below its critical line (the detector's ``eased`` recovery) or recovers. A stalled reader,
Lambda errors and an SSM agent lost impair at any level. A CloudWatch alarm (``alarm.state``, on the
resource it watches) impairs from the moment the console sees it go to ALARM until it leaves it; one
already in ALARM when the console started (a warning in the journal) impairs nothing: a capacity
alarm firing all along, such as the stream's scale-up alarm, would otherwise count as an impairment
from the first poll on.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from importlib import resources as package_files
from pathlib import Path
from types import MappingProxyType

from tui.common import catalogue as cat
from tui.common.codec import Key, Model, error_at, read_toml
from tui.common.timefmt import minutes_text
from tui.gameday.events import (
    DETECTED,
    FAULT_STARTED,
    RECOVERED,
    SERVICE_BREACH,
    SERVICE_IMPAIRED,
    SERVICE_RESTORED,
    JournalEvent,
)

DEMO_SERVICES = "demo_services.toml"
KNOWN_METRICS = frozenset(
    {
        cat.M_INSTANCE_EBS,
        cat.M_INSTANCE_NETWORK,
        cat.M_INSTANCE_MEMORY,
        cat.M_VOLUME,
        cat.M_STREAM_AGE,
        cat.M_STREAM_USAGE,
        cat.M_STREAM_THROTTLE,
        cat.M_READER_STALLED,
        cat.M_LAMBDA_ERRORS,
        cat.M_NODE_PING,
        cat.M_ALARM,
    }
)
HEADROOM_METRICS = cat.HEADROOM_METRICS
_ID_DETAILS = ("name", "instance_id", "instance_name")
GETRECORDS_KIND = "GetRecords"
"""``ReaderLag.kind`` of a stream's unregistered shared-throughput readers, taken together."""


@dataclass(frozen=True)
class BusinessService:
    name: str
    tolerance_minutes: float
    resources: tuple[str, ...] = ()
    tags: tuple[tuple[str, str], ...] = ()
    ignore_metrics: tuple[str, ...] = ()

    @property
    def tolerance_s(self) -> float:
        return self.tolerance_minutes * 60.0

    def matches(self, event: JournalEvent) -> bool:
        """Whether the event's resource is one of this service's (by id, name or tag)."""
        if event.metric in self.ignore_metrics:
            return False
        if event.kind == DETECTED and event.metric in HEADROOM_METRICS and event.level == "warning":
            return False
        if event.kind == DETECTED and event.metric == cat.M_ALARM and event.level != "critical":
            # Already firing when the console started: it says nothing of what happens now.
            return False
        names = {event.resource, *(event.detail.get(k, "") for k in _ID_DETAILS)}
        if event.metric == cat.M_READER_STALLED and event.detail.get("kind") == GETRECORDS_KIND:
            names.add(event.detail.get("stream", ""))
        names.discard("")
        if names.intersection(self.resources):
            return True
        return any(event.detail.get(f"tag:{key}") == value for key, value in self.tags)


@dataclass(frozen=True)
class ServiceStatus:
    name: str
    tolerance_s: float
    impaired_since: datetime | None
    impaired_s: float
    """The current impairment's length (0 when not impaired)."""
    total_impaired_s: float
    """Every impairment so far, the current one included."""
    breached: bool
    """The current impairment has outlasted the tolerance."""
    signals: tuple[str, ...]
    """The open signals, "<metric> <resource>", in the order they opened."""
    breaches: int = 0
    """Impairments so far that outlasted the tolerance, the current one included."""


# ---------------------------------------------------------------------------------------------
# Loading
# ---------------------------------------------------------------------------------------------


Strings = str | tuple[str, ...]
"""A value or a list of values."""


class ServiceEntry(Model, frozen=True):
    """One ``[[service]]`` table as written (see the module's doc)."""

    name: str | None = None
    tolerance_minutes: float | None = None
    resources: Strings = ()
    tags: dict[str, Strings] = {}
    ignore_metrics: Strings = ()


class ServicesFile(Model, frozen=True):
    service: tuple[ServiceEntry, ...] = ()


def _listed(value: Strings) -> tuple[str, ...]:
    return (value,) if isinstance(value, str) else value


def _check(written: ServicesFile) -> None:
    """What the types do not say: raises the codec's error with the path of what is wrong."""
    if not written.service:
        raise error_at("no [[service]] entries")
    seen: set[str] = set()
    for index, entry in enumerate(written.service):
        if entry.name is None:
            raise error_at("missing", "service", index, "name")
        if not entry.name.strip():
            raise error_at("expected a name, got an empty string", "service", index, "name")
        if entry.name.strip() in seen:
            raise error_at(f"{entry.name.strip()!r} is used twice", "service", index, "name")
        seen.add(entry.name.strip())
        if entry.tolerance_minutes is None:
            raise error_at("missing (a number of minutes above 0)", "service", index, "tolerance_minutes")
        if not entry.tolerance_minutes > 0:
            reason = f"expected a number of minutes above 0, got {entry.tolerance_minutes:g}"
            raise error_at(reason, "service", index, "tolerance_minutes")
        lists = [("resources", entry.resources), ("ignore_metrics", entry.ignore_metrics)]
        for field_name, value in lists:
            for position, item in enumerate(_listed(value)):
                if not item.strip():
                    steps = ("service", index, field_name, *(() if isinstance(value, str) else (position,)))
                    raise error_at("expected a non-empty string", *steps)
        for key, value in entry.tags.items():
            if not all(v.strip() for v in _listed(value)):
                raise error_at("expected non-empty values", "service", index, "tags", Key(key))
        strange = sorted(set(_listed(entry.ignore_metrics)) - KNOWN_METRICS)
        if strange:
            reason = f"names unknown metrics {', '.join(strange)} (known: {', '.join(sorted(KNOWN_METRICS))})"
            raise error_at(reason, "service", index, "ignore_metrics")
        if not _listed(entry.resources) and not entry.tags:
            raise error_at("names no resources and no tags, so nothing can impair it", "service", index)


def parse_services(text: str, source: str) -> tuple[BusinessService, ...]:
    """Services from TOML text, read by the codec's typed model (``ServicesFile``); ValueError
    names ``source``, the line, the field and what is wrong, e.g. ``services.toml line 4:
    service[0].tolerance_minutes: expected a number, got true``."""
    written = read_toml(ServicesFile, text, source=source, check=_check)
    return tuple(
        BusinessService(
            name=(entry.name or "").strip(),
            tolerance_minutes=float(entry.tolerance_minutes or 0.0),
            resources=tuple(v.strip() for v in _listed(entry.resources)),
            tags=tuple((key, v.strip()) for key, value in entry.tags.items() for v in _listed(value)),
            ignore_metrics=tuple(v.strip() for v in _listed(entry.ignore_metrics)),
        )
        for entry in written.service
    )


def load_services(path: Path | str) -> tuple[BusinessService, ...]:
    """Services from a TOML file; ValueError names the file and what is wrong (unreadable included)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"{path}: cannot read: {exc}") from None
    return parse_services(text, str(path))


def default_demo_services() -> tuple[BusinessService, ...]:
    """The business services of the simulator's fictional payments platform."""
    text = package_files.files("tui.gameday").joinpath(DEMO_SERVICES).read_text(encoding="utf-8")
    return parse_services(text, f"tui/gameday/{DEMO_SERVICES}")


# ---------------------------------------------------------------------------------------------
# Tracking
# ---------------------------------------------------------------------------------------------


@dataclass
class _State:
    service: BusinessService
    signals: dict[str, datetime] = field(default_factory=dict)
    since: datetime | None = None
    breached: bool = False
    closed_s: float = 0.0
    breaches: int = 0


def signal_key(event: JournalEvent) -> str:
    """How a signal is named in ``ServiceStatus.signals``: "<metric> <resource>"."""
    return f"{event.metric} {event.resource}"


def _seconds(start: datetime, end: datetime) -> float:
    return max(0.0, (end - start).total_seconds())


class ServiceTracker:
    """Feed it every journal event (``update``) and call ``tick`` periodically."""

    def __init__(self, services: Iterable[BusinessService]) -> None:
        self._states = [_State(s) for s in services]
        self.speed = 1.0
        """Scenario seconds per wall second, from the latest fault.started event that says so:
        during a compressed rehearsal, impairment is measured (and tolerance spent) in scenario
        time, as the report gives its times."""

    def _learn_speed(self, event: JournalEvent) -> None:
        if event.kind != FAULT_STARTED:
            return
        try:
            speed = float(event.detail.get("speed", "") or "nan")
        except ValueError:
            return
        if speed > 0:
            self.speed = speed

    def _span(self, start: datetime, end: datetime) -> float:
        return _seconds(start, end) * self.speed

    @property
    def services(self) -> tuple[BusinessService, ...]:
        return tuple(s.service for s in self._states)

    def update(self, event: JournalEvent) -> list[JournalEvent]:
        """The service events this journal event causes (breaches that ran out before it first)."""
        self._learn_speed(event)
        if event.kind not in (DETECTED, RECOVERED) or not event.metric:
            return []
        out = self.tick(event.at)
        key = signal_key(event)
        for state in self._states:
            if event.kind == DETECTED:
                if key in state.signals or not state.service.matches(event):
                    continue
                state.signals[key] = event.at
                if state.since is None:
                    state.since = event.at
                    state.breached = False
                    out.append(self._impaired(state, event))
            elif key in state.signals:
                del state.signals[key]
                if not state.signals:
                    out.extend(self._restore(state, event))
        return out

    def tick(self, now: datetime) -> list[JournalEvent]:
        """A breach for every impairment that has outlasted its tolerance by ``now`` (once each)."""
        out: list[JournalEvent] = []
        for state in self._states:
            breach = self._breach(state, now)
            if breach is not None:
                out.append(breach)
        return out

    def status(self, now: datetime) -> tuple[ServiceStatus, ...]:
        out: list[ServiceStatus] = []
        for state in self._states:
            current = self._span(state.since, now) if state.since is not None else 0.0
            tolerance = state.service.tolerance_s
            breached = state.since is not None and current > tolerance
            out.append(
                ServiceStatus(
                    name=state.service.name,
                    tolerance_s=tolerance,
                    impaired_since=state.since,
                    impaired_s=current,
                    total_impaired_s=state.closed_s + current,
                    breached=breached,
                    signals=tuple(state.signals),
                    breaches=state.breaches + (1 if breached and not state.breached else 0),
                )
            )
        return tuple(out)

    # -- events -------------------------------------------------------------------------------

    def _breach(self, state: _State, now: datetime) -> JournalEvent | None:
        since = state.since
        service = state.service
        if since is None or state.breached or self._span(since, now) <= service.tolerance_s:
            return None
        state.breached = True
        state.breaches += 1
        return JournalEvent(
            at=since + timedelta(seconds=service.tolerance_s / self.speed),
            kind=SERVICE_BREACH,
            source="console",
            text=f"{service.name}: impaired longer than its {minutes_text(service.tolerance_s)} tolerance",
            resource=service.name,
            ref=service.name,
            level="critical",
            detail=MappingProxyType(
                {
                    **self._tolerance(service),
                    "impaired_since": since.isoformat(),
                    "signals": ", ".join(state.signals),
                }
            ),
        )

    def _tolerance(self, service: BusinessService) -> dict[str, str]:
        out = _tolerance(service)
        if self.speed != 1.0:
            out["speed"] = f"{self.speed:g}"
        return out

    def _impaired(self, state: _State, event: JournalEvent) -> JournalEvent:
        service = state.service
        what = event.detail.get("name") or event.resource
        return JournalEvent(
            at=event.at,
            kind=SERVICE_IMPAIRED,
            source="console",
            text=f"{service.name} impaired: {event.metric} on {what} (tolerance "
            f"{minutes_text(service.tolerance_s)})",
            resource=service.name,
            fault=event.fault,
            ref=service.name,
            level="warning",
            detail=MappingProxyType(
                {
                    **self._tolerance(service),
                    "signal": signal_key(event),
                }
            ),
        )

    def _restore(self, state: _State, event: JournalEvent) -> list[JournalEvent]:
        out: list[JournalEvent] = []
        breach = self._breach(state, event.at)
        if breach is not None:
            out.append(breach)
        since = state.since
        assert since is not None
        lasted = self._span(since, event.at)
        state.closed_s += lasted
        service = state.service
        out.append(
            JournalEvent(
                at=event.at,
                kind=SERVICE_RESTORED,
                source="console",
                text=f"{service.name} restored after {minutes_text(lasted)} (tolerance "
                f"{minutes_text(service.tolerance_s)}{', breached' if state.breached else ''})",
                resource=service.name,
                fault=event.fault,
                ref=service.name,
                value=lasted,
                limit=service.tolerance_s,
                unit="s",
                detail=MappingProxyType(
                    {
                        **self._tolerance(service),
                        "impaired_since": since.isoformat(),
                        "impaired_s": f"{lasted:.0f}",
                        "total_impaired_s": f"{state.closed_s:.0f}",
                        "breached": "yes" if state.breached else "no",
                        "signal": signal_key(event),
                    }
                ),
            )
        )
        state.since = None
        state.breached = False
        return out


def _tolerance(service: BusinessService) -> dict[str, str]:
    return {"tolerance_minutes": f"{service.tolerance_minutes:g}", "tolerance_s": f"{service.tolerance_s:g}"}
