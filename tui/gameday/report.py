"""The lessons-learned report of a game day (or an incident) from its recording or journal.

``analyse`` reads the journal events and snapshots of a ``Recording`` into a ``Review``: the
timeline, each fault's start, first detection (and by which signal), first action and mitigation
with the times to detect and to mitigate, the faults nobody detected, each business service's time
impaired against its tolerance, the actions, the notes, and the key metric of each fault around
it. ``render_markdown`` and ``render_html`` write it out (HTML as one self-contained file: inline
CSS and SVG, no scripts, every piece of text escaped).

Times are scenario time ("T+12:30": wall time since the scenario's T+0 times its speed, both read
from the ``fault.started`` events' detail) when the recording has them, else the time since the
recording started; the wall clock (UTC) is shown beside. Times to detect and to mitigate are in
scenario time with the wall duration in brackets when the speed is not 1; a time to detect then
says how much of it is the console's reporting delay (a CloudWatch minute and a poll are wall
time, so at speed 10 they read as ten times longer). A service's time impaired is in scenario
time as the console spent its tolerance.

A fault is mitigated when the simulator saw the team's fix, or when its signal cleared after an
action on its target while it still ran; only those have a time to mitigate. A fault whose
duration ran out is "expired, not mitigated", one stopped is "stopped, not mitigated". A fault
that ended before its signal could reach the console (shorter than a CloudWatch minute, or than
the poll interval of a pane that reads state) is "too short to detect", not a miss.
"""

from __future__ import annotations

import dataclasses
import html
import itertools
import math
import re
import statistics
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from types import MappingProxyType
from typing import Any

from tui import panes
from tui.aws.findings import FindingsSnapshot
from tui.aws.findings_model import clean_line
from tui.aws.kinesis import KinesisSnapshot, StreamView
from tui.aws.kinesis_math import AGE_WARN_FRACTION
from tui.aws.limits import InstanceView, LimitsSnapshot, VolumeView
from tui.aws.sessions import SessionsSnapshot
from tui.common import catalogue as cat
from tui.common.timefmt import date_time_text, duration_text, offset_text, wall_text
from tui.gameday import events as ev
from tui.gameday.charts import number_text, sparkline, svg_line_chart
from tui.gameday.detect import LAMBDA_ERROR_SHARE, LAMBDA_MIN_ERRORS, MEMORY_WARN_PCT, THROTTLE_SHARE
from tui.gameday.events import JournalEvent
from tui.gameday.faults import Occurrence, occurrences
from tui.gameday.record import Recording
from tui.settings import Intervals

WINDOW_PAD = timedelta(minutes=5)
"""Charts reach this far (wall time) before a fault's start and after its end, within the recording."""
METRIC_PANES = frozenset(p.name for p in panes.LIVE if p.metrics)
"""Panes whose signals are CloudWatch metrics: a value exists only once its minute is over, and the
minute a fault starts in is only partly changed, so the console sees a change from one minute
after it (``CLOUDWATCH_MINUTE_S``) to two minutes and a poll after it."""
CLOUDWATCH_MINUTE_S = 60.0
DEFAULT_POLL_S: Mapping[str, float] = MappingProxyType(
    {p.name: float(getattr(Intervals(), p.interval)) for p in panes.LIVE}
)
"""The console's default poll intervals (``tui.settings.Intervals``), for panes the recording
holds no snapshots of."""
MIN_CONTAINED = 4
"""The shortest id that matches another by containment (shorter ones must be equal)."""
ID_DETAIL_KEYS = ("instance_id", "volume_id", "stream", "function", "target", "resource_id")
"""Detail entries of an event that name a resource it concerns, besides ``resource``."""
DETECTION_KINDS = (ev.DETECTED, ev.FINDING_NEW)
TEXT_LIMIT = 500
NOTE_LIMIT = 2000


# ---------------------------------------------------------------------------------------------
# Time
# ---------------------------------------------------------------------------------------------


def _speed_text(speed: float) -> str:
    return f"{speed:g}"


@dataclass(frozen=True)
class Clock:
    """How wall times read as report times: (wall - origin) * speed."""

    origin: datetime
    speed: float = 1.0
    scenario: str = ""
    from_scenario: bool = False
    """True when origin and speed came from the faults' scenario detail."""

    def seconds(self, moment: datetime) -> float:
        return (moment - self.origin).total_seconds() * self.speed

    def label(self, moment: datetime) -> str:
        return offset_text(self.seconds(moment))


def span_text(wall_seconds: float, speed: float) -> str:
    """A duration in scenario time, with the wall duration in brackets when the speed is not 1."""
    if speed == 1.0:
        return duration_text(wall_seconds)
    return f"{duration_text(wall_seconds * speed)} (wall {duration_text(wall_seconds)})"


def _wall_span_text(wall_seconds: float, speed: float) -> str:
    """A wall duration, with its scenario equivalent in brackets when the speed is not 1."""
    if speed == 1.0:
        return duration_text(wall_seconds)
    return f"{duration_text(wall_seconds)} (scenario {duration_text(wall_seconds * speed)})"


def _float(text: str | None) -> float | None:
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _moment(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


# ---------------------------------------------------------------------------------------------
# The review
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    """One journal event as the report lists it."""

    at: datetime
    clock: str
    wall: str
    kind: str
    source: str
    text: str
    resource: str = ""
    level: str = "info"
    author: str = ""


@dataclass(frozen=True)
class Signal:
    """The detection that caught a fault."""

    at: datetime
    kind: str
    source: str
    metric: str
    resource: str
    value: float | None
    limit: float | None
    unit: str
    text: str
    expected: bool
    """True when it is the signal the catalogue expects for the fault."""
    alarm: str = ""
    """The CloudWatch alarm's name, for a signal of the Alarms pane."""

    def reading(self) -> str:
        """``97% vs limit 95%`` (a ratio as a percentage), or "" when the event has no value."""
        if self.value is None:
            return ""
        unit = {"ratio": "", "percent": "%"}.get(self.unit, self.unit)
        if self.unit == "ratio":
            shown = number_text(self.value * 100, "%")
            limit = "" if self.limit is None else f" vs limit {number_text(self.limit * 100, '%')}"
            return shown + limit
        limit = "" if self.limit is None else f" vs limit {number_text(self.limit, unit)}"
        return number_text(self.value, unit) + limit

    def summary(self) -> str:
        if self.alarm:
            return f"alarm {self.alarm} in ALARM" + (f" ({self.text})" if self.text else "")
        reading = self.reading()
        parts = [f"{self.source} {self.metric or self.kind}"]
        if reading:
            parts.append(reading)
        return ": ".join(parts) + (f" ({self.text})" if self.text else "")


@dataclass(frozen=True)
class FaultReview:
    number: int
    fault: str
    title: str
    target: str
    target_name: str
    origin: str
    ref: str
    started: datetime
    ended: datetime | None
    end_text: str
    speed: float
    expected: cat.Detection | None
    detection: Signal | None
    first_action: Row | None
    mitigated: datetime | None
    mitigated_by: str
    """``recovered`` (the detection's signal recovered after an action on the target, while the
    fault ran), ``fixed by the team`` (the simulator saw the fix), or "" (not mitigated)."""
    mitigation_text: str
    other_signals: tuple[Signal, ...] = ()
    """Other detections on the target while the fault ran (first of each metric)."""
    ended_how: str = ""
    """How a fault that was not mitigated ended: ``expired`` (its duration ran out), ``stopped``
    (cleared or stopped by someone), ``ended`` (the recording does not say), or "" (still running
    at the end of the recording, or mitigated)."""
    undetected_reason: str = ""
    """Why a fault that was not detected could not have been ("too short to detect: ..."), or ""."""
    delay_s: tuple[float, float] = (0.0, 0.0)
    """The shortest and longest wall time from a change to the console seeing it on the expected
    pane (CloudWatch's minute and the poll interval)."""
    alarm: Signal | None = None
    """The first CloudWatch alarm that went to ALARM for the fault: one watching its target, or one
    the catalogue names for it."""

    @property
    def detected(self) -> bool:
        return self.detection is not None

    @property
    def time_to_detect_s(self) -> float | None:
        """Wall seconds from the start to the first detection."""
        return None if self.detection is None else (self.detection.at - self.started).total_seconds()

    @property
    def time_to_alarm_s(self) -> float | None:
        """Wall seconds from the start to the first alarm in ALARM."""
        return None if self.alarm is None else (self.alarm.at - self.started).total_seconds()

    def alarm_text(self) -> str:
        """Which alarm fired and how long after the start, or that none did."""
        if self.alarm is None:
            return "no alarm fired"
        seconds = self.time_to_alarm_s or 0.0
        return f"{self.alarm.alarm}: {span_text(seconds, self.speed)}"

    @property
    def time_to_mitigate_s(self) -> float | None:
        """Wall seconds from the start to the mitigation."""
        return None if self.mitigated is None else (self.mitigated - self.started).total_seconds()

    @property
    def time_to_action_s(self) -> float | None:
        return None if self.first_action is None else (self.first_action.at - self.started).total_seconds()

    def ttd_text(self) -> str:
        seconds = self.time_to_detect_s
        if seconds is None:
            return self.undetectable or "not detected"
        return span_text(seconds, self.speed)

    @property
    def undetectable(self) -> str:
        """The short form of ``undetected_reason`` ("too short to detect"), or ""."""
        return self.undetected_reason.split(":", 1)[0]

    def delay_text(self) -> str:
        """How much of the time to detect is the console's reporting delay, when the speed makes
        it count: at speed 10 a wall minute of CloudWatch is ten minutes of scenario time."""
        low, high = self.delay_s
        if self.speed == 1.0 or high <= 0.0:
            return ""
        wall = f"{duration_text(low)} to {duration_text(high)}" if low else f"up to {duration_text(high)}"
        scenario = (
            f"{duration_text(low * self.speed)} to {duration_text(high * self.speed)}"
            if low
            else f"up to {duration_text(high * self.speed)}"
        )
        return f"reporting delay at speed {_speed_text(self.speed)}: {scenario} (wall {wall})"

    def ttm_text(self) -> str:
        seconds = self.time_to_mitigate_s
        if seconds is not None:
            return span_text(seconds, self.speed)
        if self.ended_how:
            return f"{self.ended_how}, not mitigated"
        return "not mitigated"

    def label(self) -> str:
        name = f" ({self.target_name})" if self.target_name and self.target_name != self.target else ""
        return f"{self.fault or 'unknown fault'} on {self.target or 'an unknown target'}{name}"


@dataclass(frozen=True)
class ServiceReview:
    """A business service's impairments, measured in wall time as its tolerance is."""

    name: str
    tolerance_s: float | None
    """The longest one impairment may last (wall seconds), from the events' detail."""
    impaired_s: float
    """Wall seconds impaired within the recording, every impairment added up."""
    longest_s: float
    """The longest single impairment (wall seconds)."""
    speed: float
    breached: bool
    breach_at: datetime | None
    first_impaired: datetime | None
    still_impaired: bool
    periods: tuple[tuple[datetime, datetime | None], ...]
    scale: float = 1.0
    """Scenario seconds per wall second in which the console spent the tolerance (its events'
    detail "speed"): during a compressed rehearsal, tolerance is scenario time."""

    def _span(self, wall_seconds: float) -> str:
        if self.scale != 1.0:
            return f"{duration_text(wall_seconds * self.scale)} (wall {duration_text(wall_seconds)})"
        return _wall_span_text(wall_seconds, self.speed)

    def impaired_text(self) -> str:
        return self._span(self.impaired_s)

    def longest_text(self) -> str:
        return self._span(self.longest_s)

    def tolerance_text(self) -> str:
        return "unknown" if self.tolerance_s is None else duration_text(self.tolerance_s)

    def share_text(self) -> str:
        if not self.tolerance_s:
            return ""
        return f"{self.longest_s * self.scale / self.tolerance_s:.0%} of tolerance"


@dataclass(frozen=True)
class Chart:
    """A fault's key metric around it, from the recorded snapshots."""

    fault_number: int
    fault: str
    target: str
    title: str
    unit: str
    points: tuple[tuple[datetime, float | None], ...]
    threshold: float | None
    threshold_text: str
    start: datetime
    end: datetime
    pane: str
    note: str = ""
    window_start: datetime | None = None
    window_end: datetime | None = None
    """The window charted: ``WINDOW_PAD`` either side of the fault, within the recording."""

    @property
    def values(self) -> list[float | None]:
        return [v for _, v in self.points]

    @property
    def known(self) -> list[float]:
        return [v for _, v in self.points if v is not None and math.isfinite(v)]

    def spark(self) -> str:
        known = self.known
        if not known:
            return ""
        scale = [*known, *([self.threshold] if self.threshold is not None else [])]
        low = min(0.0, min(scale))
        return sparkline(self.values, low=low, high=max(scale))

    def words(self) -> str:
        known = self.known
        if not known:
            return self.note or "no values recorded"
        text = f"min {number_text(min(known), self.unit)}, max {number_text(max(known), self.unit)}"
        if self.threshold is not None:
            over = sum(1 for v in known if v >= self.threshold)
            text += (
                f", threshold {number_text(self.threshold, self.unit)} ({self.threshold_text}); "
                f"{over} of {len(known)} samples at or above it"
            )
        elif self.threshold_text:
            text += f"; threshold {self.threshold_text}"
        return text


@dataclass(frozen=True)
class Summary:
    faults: int
    detected: int
    median_ttd_s: float | None
    """Scenario seconds."""
    median_ttm_s: float | None
    services: int
    breached: int
    actions: int
    notes: int
    alarmed: int = 0
    """Faults a CloudWatch alarm went to ALARM for."""
    median_tta_s: float | None = None
    """The median time to detect by alarm (scenario seconds)."""


@dataclass(frozen=True)
class Review:
    title: str
    source: str
    meta: Mapping[str, str]
    start: datetime | None
    end: datetime | None
    clock: Clock
    summary: Summary
    faults: tuple[FaultReview, ...]
    services: tuple[ServiceReview, ...]
    timeline: tuple[Row, ...]
    actions: tuple[Row, ...]
    notes: tuple[Row, ...]
    charts: tuple[Chart, ...]
    problems: tuple[str, ...] = ()
    journal_only: bool = False

    @property
    def undetected(self) -> tuple[FaultReview, ...]:
        """Faults the console could have seen and did not."""
        return tuple(f for f in self.faults if not f.detected and not f.undetected_reason)

    @property
    def too_short(self) -> tuple[FaultReview, ...]:
        """Faults whose signal could not reach the console before they ended (too short, or a
        line out of reach in their duration)."""
        return tuple(f for f in self.faults if not f.detected and f.undetected_reason)


# ---------------------------------------------------------------------------------------------
# Analysis
# ---------------------------------------------------------------------------------------------


def _clean(text: str, limit: int = TEXT_LIMIT) -> str:
    return clean_line(text, limit)


def same_resource(a: str, b: str) -> bool:
    """Two resource ids name the same thing: equal, or one contains the other (an ARN holding a
    group id); a contained id must be at least ``MIN_CONTAINED`` characters."""
    if not a or not b:
        return False
    if a == b:
        return True
    shorter, longer = (a, b) if len(a) <= len(b) else (b, a)
    return len(shorter) >= MIN_CONTAINED and shorter in longer


def _event_ids(event: JournalEvent) -> list[str]:
    ids = [event.resource]
    ids.extend(event.detail.get(key, "") for key in ID_DETAIL_KEYS)
    return [i for i in ids if i]


def _on_target(event: JournalEvent, fault: str, target: str) -> bool:
    if fault and event.fault == fault:
        return True
    return any(same_resource(i, target) for i in _event_ids(event))


def _names_target(event: JournalEvent, target: str) -> bool:
    if any(same_resource(i, target) for i in _event_ids(event)):
        return True
    return len(target) >= MIN_CONTAINED and target in event.text


def _clock(recording: Recording, events: Sequence[JournalEvent]) -> Clock:
    for event in events:
        if event.kind != ev.FAULT_STARTED:
            continue
        speed = _float(event.detail.get("speed"))
        origin = _moment(event.detail.get("scenario_start"))
        if speed is not None and speed > 0 and origin is not None:
            return Clock(origin, speed, _clean(event.detail.get("scenario", ""), 120), True)
    start = recording.start or (events[0].at if events else datetime.now(UTC))
    return Clock(start)


def _row(event: JournalEvent, clock: Clock) -> Row:
    limit = NOTE_LIMIT if event.kind == ev.NOTE else TEXT_LIMIT
    return Row(
        at=event.at,
        clock=clock.label(event.at),
        wall=wall_text(event.at),
        kind=event.kind,
        source=_clean(event.source, 80),
        text=_clean(event.text, limit),
        resource=_clean(event.resource, 200),
        level=event.level,
        author=_clean(event.detail.get("author", ""), 120),
    )


def _is_alarm(event: JournalEvent) -> bool:
    return event.kind == ev.DETECTED and event.metric == cat.M_ALARM


def _named_alarm(name: str, patterns: Iterable[str], ids: Iterable[str]) -> bool:
    """Whether ``name`` is one of the catalogue's alarm names for the fault: equal to a plain name,
    or matching a pattern (``{stream}-scale-up``) with the fault's target id or name in it."""
    if not name:
        return False
    known = [i for i in ids if len(i) >= MIN_CONTAINED]
    for pattern in patterns:
        fields = re.split(r"\{\w+\}", pattern)
        if len(fields) == 1:
            if name == pattern:
                return True
            continue
        shape = "^" + ".+".join(re.escape(part) for part in fields) + "$"
        if re.match(shape, name) and any(i in name for i in known):
            return True
    return False


def _signal(event: JournalEvent, expected: str | None) -> Signal:
    return Signal(
        at=event.at,
        kind=event.kind,
        source=_clean(event.source, 80),
        metric=_clean(event.metric, 80),
        resource=_clean(event.resource, 200),
        value=event.value,
        limit=event.limit,
        unit=_clean(event.unit, 40),
        text=_clean(event.text),
        expected=expected is not None and event.metric == expected,
        alarm=_clean(event.detail.get("alarm", ""), 255) if _is_alarm(event) else "",
    )


def poll_intervals(recording: Recording) -> dict[str, float]:
    """Each pane's poll interval (wall seconds): the median gap between its recorded snapshots,
    else the console's default."""
    times: dict[str, list[datetime]] = {}
    for entry in recording.entries:
        if entry.kind == "snapshot":
            times.setdefault(entry.pane, []).append(entry.at)
    out = dict(DEFAULT_POLL_S)
    for pane, moments in times.items():
        moments.sort()
        gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(moments)]
        gaps = [g for g in gaps if g > 0]
        if gaps:
            out[pane] = float(round(statistics.median(gaps)))
    return out


def reporting_delay(pane: str, intervals: Mapping[str, float]) -> tuple[float, float]:
    """The shortest and longest wall time from a change to the console seeing it on ``pane``: a
    metric needs the first minute it fills to be over (one to two minutes), then a poll; any other
    state only a poll."""
    poll = intervals.get(pane, 30.0)
    if pane in METRIC_PANES:
        return CLOUDWATCH_MINUTE_S, 2 * CLOUDWATCH_MINUTE_S + poll
    return 0.0, poll


def _ended_how(end: JournalEvent) -> str:
    status = end.detail.get("status", "").lower()
    if status == "completed":
        return "expired"
    if status in ("stopped", "cancelled", "failed"):
        return "stopped"
    return "ended"


def _too_short(
    occ: Occurrence, expected: cat.Detection | None, intervals: Mapping[str, float], speed: float
) -> str:
    """Why a fault that ended before the console could see it was not detected, or ""."""
    if occ.end is None or expected is None:
        return ""
    lasted = max(0.0, (occ.end.at - occ.start.at).total_seconds())
    low, high = reporting_delay(expected.pane, intervals)
    scenario = f" (scenario {duration_text(lasted * speed)})" if speed != 1.0 else ""
    if expected.pane in METRIC_PANES and lasted < low:
        return (
            f"too short to detect: it lasted {duration_text(lasted)} wall{scenario}, less than the "
            f"complete minute CloudWatch publishes before the {expected.pane} pane can read it"
        )
    if expected.pane not in METRIC_PANES and lasted < high:
        return (
            f"too short to detect: it lasted {duration_text(lasted)} wall{scenario}, less than the "
            f"{duration_text(high)} between {expected.pane} polls"
        )
    return ""


def _stall_out_of_reach(fault: FaultReview) -> str:
    """Why a stalled reader could not be told from a slow one while the fault ran, or "".

    A reader counts as stalled once its lag has grown at time's pace over ``cat.STALL_MIN_S`` of
    complete CloudWatch minutes; the lag grows with wall time whatever the scenario's speed, so a
    fault that lasted less wall time than that and the minute CloudWatch takes to publish is too
    short to detect."""
    if fault.expected is None or fault.expected.metric != cat.M_READER_STALLED or fault.ended is None:
        return ""
    lasted = (fault.ended - fault.started).total_seconds()
    needed = cat.STALL_MIN_S + CLOUDWATCH_MINUTE_S
    if lasted >= needed:
        return ""
    scenario = f" (scenario {duration_text(lasted * fault.speed)})" if fault.speed != 1.0 else ""
    return (
        f"too short to detect: it lasted {duration_text(lasted)} wall{scenario}, less than the "
        f"{duration_text(needed)} of complete minutes in which a reader's lag must grow at time's pace "
        "before it counts as stalled"
    )


def _fault_review(
    number: int,
    occ: Occurrence,
    later: Sequence[JournalEvent],
    clock: Clock,
    intervals: Mapping[str, float],
) -> FaultReview:
    """``later``: the events from the fault's start up to the next start of the same fault on the
    same target (or the end of the recording)."""
    start = occ.start
    spec = cat.BY_ID.get(occ.fault)
    expected = spec.detection if spec is not None else None
    metric = expected.metric if expected is not None else None
    speed = _float(start.detail.get("speed")) or clock.speed
    target = occ.target
    patterns = expected.alarms if expected is not None else ()
    target_ids = (target, start.detail.get("target_name", ""))

    def concerns(event: JournalEvent) -> bool:
        if _on_target(event, occ.fault, target):
            return True
        return _is_alarm(event) and _named_alarm(event.detail.get("alarm", ""), patterns, target_ids)

    detections = [e for e in later if e.kind in DETECTION_KINDS and concerns(e)]
    first_alarm = next((e for e in detections if _is_alarm(e)), None)
    chosen = next((e for e in detections if metric is not None and e.metric == metric), None)
    if chosen is None and detections:
        chosen = detections[0]
    detection = _signal(chosen, metric) if chosen is not None else None
    others: list[Signal] = []
    seen_metrics = {chosen.metric} if chosen is not None else set()
    for event in detections:
        if event is not chosen and event.metric not in seen_metrics:
            seen_metrics.add(event.metric)
            others.append(_signal(event, metric))
    end_at = occ.end.at if occ.end is not None else None
    actions = [e for e in later if e.kind == ev.ACTION]
    # Only an action on the fault's target (or on its FIS experiment) is the response to it: an
    # unrelated change made meanwhile would flatter the time to respond.
    experiment = start.ref

    def answers(event: JournalEvent) -> bool:
        if _names_target(event, target):
            return True
        return bool(experiment) and (event.resource == experiment or experiment in event.text)

    action = next((e for e in actions if answers(e)), None)
    # Mitigated means people ended it: the simulator saw their fix, or the signal cleared after an
    # action on the target while the fault still ran. A fault whose duration ran out, or that was
    # stopped, ended without being mitigated, and has no time to mitigate.
    mitigated: datetime | None = None
    mitigated_by = ""
    mitigation_text = ""
    if occ.end is not None and occ.end.detail.get("outcome", "").startswith("mitigated"):
        mitigated, mitigated_by, mitigation_text = occ.end.at, "fixed by the team", _clean(occ.end.text)
    elif chosen is not None and action is not None:
        recovered = next(
            (
                e
                for e in later
                if e.kind == ev.RECOVERED
                and e.at >= max(chosen.at, action.at)
                and e.metric == chosen.metric
                and e.resource == chosen.resource
            ),
            None,
        )
        if recovered is not None and (end_at is None or recovered.at < end_at):
            mitigated, mitigated_by, mitigation_text = recovered.at, "recovered", _clean(recovered.text)
    end_text = ""
    ended_how = ""
    if occ.end is not None:
        end_text = _clean(occ.end.text)
        if mitigated is None:
            ended_how = _ended_how(occ.end)
    return FaultReview(
        number=number,
        fault=_clean(occ.fault, 80),
        title=spec.title if spec is not None else _clean(start.text),
        target=_clean(target, 200),
        target_name=_clean(start.detail.get("target_name", ""), 120),
        origin=_clean(start.detail.get("origin", "") or start.source, 40),
        ref=_clean(start.ref, 120),
        started=start.at,
        ended=end_at,
        end_text=end_text,
        speed=speed,
        expected=expected,
        detection=detection,
        first_action=_row(action, clock) if action is not None else None,
        mitigated=mitigated,
        mitigated_by=mitigated_by,
        mitigation_text=mitigation_text,
        other_signals=tuple(others),
        ended_how=ended_how,
        undetected_reason="" if chosen is not None else _too_short(occ, expected, intervals, speed),
        delay_s=reporting_delay(expected.pane, intervals) if expected is not None else (0.0, 0.0),
        alarm=_signal(first_alarm, metric) if first_alarm is not None else None,
    )


def _service_name(event: JournalEvent) -> str:
    return event.ref or event.detail.get("service", "") or event.resource


def _services(events: Sequence[JournalEvent], clock: Clock, end: datetime) -> list[ServiceReview]:
    """Each service's impairments from its service.* events: impaired (or breach) opens one,
    restored closes it, one still open runs to the end of the recording."""
    kinds = (ev.SERVICE_IMPAIRED, ev.SERVICE_BREACH, ev.SERVICE_RESTORED)
    by_name: dict[str, list[JournalEvent]] = {}
    for event in events:
        if event.kind in kinds:
            by_name.setdefault(_service_name(event), []).append(event)
    out: list[ServiceReview] = []
    for name, items in by_name.items():
        tolerance: float | None = None
        periods: list[tuple[datetime, datetime | None]] = []
        opened: datetime | None = None
        breach_at: datetime | None = None
        scale = 1.0
        for event in items:
            tolerance = _float(event.detail.get("tolerance_s")) or tolerance
            scale = _float(event.detail.get("speed")) or scale
            if event.kind == ev.SERVICE_BREACH and breach_at is None:
                breach_at = event.at
            if event.kind == ev.SERVICE_RESTORED and event.detail.get("breached") == "yes":
                breach_at = breach_at or event.at
            if event.kind in (ev.SERVICE_IMPAIRED, ev.SERVICE_BREACH) and opened is None:
                opened = event.at
            elif event.kind == ev.SERVICE_RESTORED and opened is not None:
                periods.append((opened, event.at))
                opened = None
        still = opened is not None
        if opened is not None:
            periods.append((opened, None))
        lengths = [max(0.0, ((stop or end) - begin).total_seconds()) for begin, stop in periods]
        longest = max(lengths, default=0.0)
        breached = breach_at is not None or (tolerance is not None and longest * scale > tolerance)
        out.append(
            ServiceReview(
                name=_clean(name, 120),
                tolerance_s=tolerance,
                impaired_s=sum(lengths),
                longest_s=longest,
                speed=clock.speed,
                breached=breached,
                breach_at=breach_at,
                first_impaired=periods[0][0] if periods else None,
                still_impaired=still,
                periods=tuple(periods),
                scale=scale,
            )
        )
    return out


# -- charts -------------------------------------------------------------------------------------


Extract = Callable[[Any, str], float | None]


@dataclass(frozen=True)
class _Metric:
    pane: str
    title: str
    unit: str
    extract: Extract
    threshold: Callable[[Any, str], float | None]
    """The line for a snapshot (None as the snapshot when there is none), or None when this
    snapshot cannot tell."""
    threshold_text: str


def _instance(snap: LimitsSnapshot, target: str) -> InstanceView | None:
    exact = next((i for i in snap.instances if i.instance_id == target), None)
    return exact or next((i for i in snap.instances if same_resource(i.instance_id, target)), None)


def _volume(snap: LimitsSnapshot, target: str) -> VolumeView | None:
    volumes: Iterable[VolumeView] = (v for i in snap.instances for v in i.volumes)
    for vol in (*volumes, *snap.unattached):
        if same_resource(vol.volume_id, target):
            return vol
    return None


def _stream(snap: KinesisSnapshot, target: str) -> StreamView | None:
    exact = next((s for s in snap.streams if s.stream_name == target), None)
    return exact or next(
        (
            s
            for s in snap.streams
            if same_resource(s.stream_arn, target) or same_resource(s.stream_name, target)
        ),
        None,
    )


def _pct(value: float | None) -> float | None:
    return None if value is None else value * 100.0


def _ebs(snap: Any, target: str) -> float | None:
    inst = _instance(snap, target) if isinstance(snap, LimitsSnapshot) else None
    return None if inst is None else _pct(inst.ebs_utilization)


def _network(snap: Any, target: str) -> float | None:
    inst = _instance(snap, target) if isinstance(snap, LimitsSnapshot) else None
    return None if inst is None else _pct(inst.net_utilization)


def _memory(snap: Any, target: str) -> float | None:
    inst = _instance(snap, target) if isinstance(snap, LimitsSnapshot) else None
    return None if inst is None else inst.memory_used_pct


def _volume_use(snap: Any, target: str) -> float | None:
    vol = _volume(snap, target) if isinstance(snap, LimitsSnapshot) else None
    return None if vol is None else _pct(vol.utilization)


def _age(snap: Any, target: str) -> float | None:
    stream = _stream(snap, target) if isinstance(snap, KinesisSnapshot) else None
    return None if stream is None else _pct(stream.iterator_age_retention_fraction)


def _reader_growth(snap: Any, target: str) -> float | None:
    """The stream's fastest-growing reader lag, in ms per ms (1.0: it reads nothing)."""
    stream = _stream(snap, target) if isinstance(snap, KinesisSnapshot) else None
    if stream is None:
        return None
    growths = [r.growth_ms_per_s for r in stream.readers if r.growth_ms_per_s is not None]
    return max(growths) / 1000.0 if growths else None


def _throttled(snap: Any, target: str) -> float | None:
    stream = _stream(snap, target) if isinstance(snap, KinesisSnapshot) else None
    if stream is None or stream.write_throttled is None:
        return None
    rate = stream.incoming_records_per_s
    if rate is None:
        return None
    incoming = rate * float(snap.period_s)
    if incoming <= 0:
        return 100.0 if stream.write_throttled > 0 else 0.0
    return min(100.0, stream.write_throttled / incoming * 100.0)


def _lambda_errors(snap: Any, target: str) -> float | None:
    if not isinstance(snap, KinesisSnapshot):
        return None
    found = [
        fn.errors
        for stream in snap.streams
        for fn in stream.lambdas
        if same_resource(fn.function_name, target) and fn.errors is not None
    ]
    return max(found) if found else None


def _ping(snap: Any, target: str) -> float | None:
    if not isinstance(snap, SessionsSnapshot):
        return None
    node = next((n for n in snap.instances if same_resource(n.instance_id, target)), None)
    if node is None or not node.ping_status:
        return None
    return 0.0 if node.ping_status == "Online" else 1.0


def _finding_ids(finding: Any) -> list[str]:
    return [finding.resource_id, *(r.id for r in finding.resources)]


def _open_findings(snap: Any, target: str) -> float | None:
    if not isinstance(snap, FindingsSnapshot):
        return None
    return float(
        sum(
            1
            for f in snap.findings
            if f.record_state == "ACTIVE"
            and f.severity in ("CRITICAL", "HIGH")
            and any(same_resource(i, target) for i in _finding_ids(f))
        )
    )


def _critical(snap: Any, _target: str) -> float | None:
    return snap.thresholds.critical * 100.0 if isinstance(snap, LimitsSnapshot) else 95.0


def _warn(snap: Any, _target: str) -> float | None:
    return snap.thresholds.warn * 100.0 if isinstance(snap, LimitsSnapshot) else 80.0


def _fixed(value: float | None) -> Callable[[Any, str], float | None]:
    return lambda _snap, _target: value


def _lambda_limit(snap: Any, target: str) -> float | None:
    """The detector's line for a function's errors: a share of the invocations the stream's
    records make at the mapping's batch size, never below the minimum."""
    if snap is None:
        return LAMBDA_MIN_ERRORS
    if not isinstance(snap, KinesisSnapshot):
        return None
    for stream in snap.streams:
        for fn in stream.lambdas:
            if not same_resource(fn.function_name, target):
                continue
            rate = stream.incoming_records_per_s
            if rate is None or not fn.batch_size:
                return LAMBDA_MIN_ERRORS
            invocations = rate * float(snap.period_s) / fn.batch_size
            return max(LAMBDA_MIN_ERRORS, LAMBDA_ERROR_SHARE * invocations)
    return None


METRICS: Mapping[str, _Metric] = {
    cat.M_INSTANCE_EBS: _Metric(
        "limits", "EBS throughput, share of the instance's maximum", "%", _ebs, _critical, "critical share"
    ),
    cat.M_INSTANCE_NETWORK: _Metric(
        "limits", "network throughput, share of the baseline", "%", _network, _warn, "warning share"
    ),
    cat.M_INSTANCE_MEMORY: _Metric(
        "limits", "memory used", "%", _memory, _fixed(MEMORY_WARN_PCT), "mem_used_percent"
    ),
    cat.M_VOLUME: _Metric("limits", "volume, share of its ceiling", "%", _volume_use, _warn, "warning share"),
    cat.M_STREAM_AGE: _Metric(
        "kinesis",
        "iterator age, share of retention",
        "%",
        _age,
        _fixed(AGE_WARN_FRACTION * 100.0),
        f"{AGE_WARN_FRACTION:.0%} of retention",
    ),
    cat.M_READER_STALLED: _Metric(
        "kinesis",
        "fastest-growing reader lag, ms per ms",
        "ms/ms",
        _reader_growth,
        _fixed(cat.STALL_GROWTH_MS_PER_MS),
        f"{cat.STALL_GROWTH_MS_PER_MS:g} ms per ms",
    ),
    cat.M_STREAM_THROTTLE: _Metric(
        "kinesis",
        "throttled writes, share of incoming records",
        "%",
        _throttled,
        _fixed(THROTTLE_SHARE * 100.0),
        f"{THROTTLE_SHARE:.0%} of incoming records",
    ),
    cat.M_LAMBDA_ERRORS: _Metric(
        "kinesis",
        "Lambda errors per minute",
        "errors/min",
        _lambda_errors,
        _lambda_limit,
        f"{LAMBDA_ERROR_SHARE:.0%} of the invocations the stream's records make, "
        f"at least {LAMBDA_MIN_ERRORS:g} a minute",
    ),
    cat.M_NODE_PING: _Metric(
        "sessions", "SSM agent not Online (1 = not Online)", "", _ping, _fixed(1.0), "not Online"
    ),
    cat.M_FINDING_NEW: _Metric(
        "findings",
        "ACTIVE CRITICAL/HIGH findings on the target",
        "",
        _open_findings,
        _fixed(1.0),
        "one finding",
    ),
}


CHART_PANES: frozenset[str] = frozenset(m.pane for m in METRICS.values())
"""The panes whose snapshots the charts read (``read_recording(path, panes=CHART_PANES)``
skips the rest)."""


def _chart(fault: FaultReview, recording: Recording) -> Chart | None:
    if fault.expected is None:
        return None
    metric = METRICS.get(fault.expected.metric)
    if metric is None:
        return None
    last = recording.end or fault.started
    end = min(fault.ended or last, last)
    end = max(end, fault.started)
    first = recording.start or fault.started
    window_start = max(fault.started - WINDOW_PAD, min(first, fault.started))
    window_end = max(min(end + WINDOW_PAD, last), end)
    points: list[tuple[datetime, float | None]] = []
    threshold: float | None = None
    for entry in recording.entries:
        if entry.pane != metric.pane or entry.snapshot is None:
            continue
        if not window_start <= entry.at <= window_end:
            continue
        if threshold is None:
            threshold = metric.threshold(entry.snapshot, fault.target)
        points.append((entry.at, metric.extract(entry.snapshot, fault.target)))
    if threshold is None:
        threshold = metric.threshold(None, fault.target)
    note = ""
    if not points:
        note = f"no {metric.pane} snapshots recorded around this fault"
    elif all(v is None for _, v in points):
        note = f"the {metric.pane} snapshots around this fault have no value for {fault.target}"
    return Chart(
        fault_number=fault.number,
        fault=fault.fault,
        target=fault.target,
        title=f"{fault.number}. {fault.fault} on {fault.target}: {metric.title}",
        unit=metric.unit,
        points=tuple(points),
        threshold=threshold,
        threshold_text=metric.threshold_text,
        start=fault.started,
        end=end,
        pane=metric.pane,
        note=note,
        window_start=window_start,
        window_end=window_end,
    )


def _median(values: Iterable[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return statistics.median(known) if known else None


def analyse(recording: Recording) -> Review:
    """The review of a recording (or of a journal, which has no snapshots and so no charts)."""
    events = sorted(recording.events(), key=lambda e: e.at)
    clock = _clock(recording, events)
    end = recording.end or (events[-1].at if events else clock.origin)
    if events and events[-1].at > end:
        end = events[-1].at
    started = occurrences(events)
    intervals = poll_intervals(recording)
    faults: list[FaultReview] = []
    for number, occ in enumerate(started, start=1):
        start = occ.start.at
        following = next(
            (
                o.start.at
                for o in started
                if o is not occ
                and o.start.at > start
                and o.fault == occ.fault
                and same_resource(o.target, occ.target)
            ),
            None,
        )
        later = [e for e in events if e.at >= start and (following is None or e.at < following)]
        review = _fault_review(number, occ, later, clock, intervals)
        if not review.detected and not review.undetected_reason:
            reason = _stall_out_of_reach(review)
            if reason:
                review = dataclasses.replace(review, undetected_reason=reason)
        faults.append(review)
    services = _services(events, clock, end)
    timeline = tuple(_row(e, clock) for e in events)
    actions = tuple(r for r in timeline if r.kind == ev.ACTION)
    notes = tuple(r for r in timeline if r.kind == ev.NOTE)
    charts = tuple(c for c in (_chart(f, recording) for f in faults) if c is not None)
    detected = [f for f in faults if f.detected]
    summary = Summary(
        faults=len(faults),
        detected=len(detected),
        median_ttd_s=_median(
            None if f.time_to_detect_s is None else f.time_to_detect_s * f.speed for f in faults
        ),
        median_ttm_s=_median(
            None if f.time_to_mitigate_s is None else f.time_to_mitigate_s * f.speed for f in faults
        ),
        services=len(services),
        breached=sum(1 for s in services if s.breached),
        actions=len(actions),
        notes=len(notes),
        alarmed=sum(1 for f in faults if f.alarm is not None),
        median_tta_s=_median(
            None if f.time_to_alarm_s is None else f.time_to_alarm_s * f.speed for f in faults
        ),
    )
    meta = recording.meta
    title = clock.scenario or meta.get("scenario", "") or meta.get("title", "") or recording.path.name
    return Review(
        title=_clean(title, 200),
        source=_clean(recording.path.name, 200),
        meta=MappingProxyType({_clean(k, 80): _clean(v) for k, v in meta.items() if v}),
        start=recording.start,
        end=end,
        clock=clock,
        summary=summary,
        faults=tuple(faults),
        services=tuple(services),
        timeline=timeline,
        actions=actions,
        notes=notes,
        charts=charts,
        problems=tuple(_clean(p) for p in recording.problems),
        journal_only=recording.journal,
    )


# ---------------------------------------------------------------------------------------------
# One document, two renderings
# ---------------------------------------------------------------------------------------------

Fragment = tuple[str, str]
"""(style, text): style "" (plain), "code", "bad" (called out), "good" or "muted"."""
Cell = tuple[Fragment, ...]


def _plain(text: str) -> Cell:
    return (("", text),)


def _styled(style: str, text: str) -> Cell:
    return ((style, text),)


@dataclass(frozen=True)
class _Table:
    header: tuple[str, ...]
    rows: tuple[tuple[tuple[Cell, ...], str], ...]
    """(cells, row class: "" or "critical" / "warning")."""


@dataclass(frozen=True)
class _List:
    items: tuple[Cell, ...]


@dataclass(frozen=True)
class _Paragraph:
    cell: Cell


@dataclass(frozen=True)
class _ChartBlock:
    chart: Chart
    window: str


Block = _Table | _List | _Paragraph | _ChartBlock


@dataclass(frozen=True)
class _Section:
    anchor: str
    title: str
    blocks: tuple[Block, ...]


def _intro(review: Review) -> list[str]:
    clock = review.clock
    lines: list[str] = []
    kind = "Journal" if review.journal_only else "Recording"
    if review.start is not None and review.end is not None:
        wall = (review.end - review.start).total_seconds()
        lines.append(
            f"{kind} {review.source}: {date_time_text(review.start)} to {date_time_text(review.end)} "
            f"({duration_text(wall)} wall time)."
        )
    if clock.from_scenario:
        name = f'Scenario "{clock.scenario}"' if clock.scenario else "The scenario"
        lines.append(
            f"{name} ran at speed {_speed_text(clock.speed)} from T+0 = {date_time_text(clock.origin)}: "
            "times are scenario time, with the wall clock (UTC) beside."
        )
    else:
        lines.append("Times are counted from the start of the recording, with the wall clock (UTC) beside.")
    if clock.speed != 1.0:
        delays = {f.delay_s for f in review.faults if f.delay_s[1] > 0}
        metric = next((d for d in sorted(delays, reverse=True) if d[0] > 0), None)
        if metric is not None:
            low, high = metric
            lines.append(
                f"The console sees a CloudWatch metric {duration_text(low)} to {duration_text(high)} (wall) "
                "after the fact: the first whole minute it changes, then a poll. At speed "
                f"{_speed_text(clock.speed)} that is {duration_text(low * clock.speed)} to "
                f"{duration_text(high * clock.speed)} of scenario time, included in each time to detect "
                "and stated beside it."
            )
    if review.meta:
        lines.append("Recorded with: " + "; ".join(f"{k} = {v}" for k, v in review.meta.items()) + ".")
    return lines


def _how_ended_text(faults: Sequence[FaultReview]) -> str:
    """ " (7 expired: #1, #2, ...; 1 stopped: #4)" for the faults that ended unmitigated."""
    by_how: dict[str, list[str]] = {}
    for fault in faults:
        by_how.setdefault(fault.ended_how, []).append(f"#{fault.number}")
    if not by_how:
        return ""
    return " (" + "; ".join(f"{len(n)} {how}: {', '.join(n)}" for how, n in by_how.items()) + ")"


def _undetectable_text(review: Review) -> str:
    short = review.too_short
    if not short:
        return ""
    return f" ({len(short)} could not be: {', '.join(f.undetectable for f in short)})"


def _summary_items(review: Review) -> list[str]:
    s = review.summary
    scenario = " (scenario time)" if review.clock.from_scenario and review.clock.speed != 1.0 else ""
    mitigated = sum(1 for f in review.faults if f.mitigated is not None)
    unmitigated = [f for f in review.faults if f.mitigated is None and f.ended_how]
    items = [
        f"Faults: {s.faults}",
        f"Detected: {s.detected} of {s.faults}" + _undetectable_text(review),
        "Median time to detect: "
        + ("n/a" if s.median_ttd_s is None else duration_text(s.median_ttd_s) + scenario),
        f"Detected by a CloudWatch alarm: {s.alarmed} of {s.faults}; median time to detect by alarm: "
        + ("n/a" if s.median_tta_s is None else duration_text(s.median_tta_s) + scenario),
        "Median time to mitigate: "
        + (
            "n/a (no fault was mitigated)"
            if s.median_ttm_s is None
            else f"{duration_text(s.median_ttm_s)}{scenario}, over the {mitigated} mitigated"
        ),
        f"Ended without being mitigated: {len(unmitigated)}" + _how_ended_text(unmitigated),
        f"Business services impaired: {s.services}, {s.breached} in breach of their tolerance",
        f"Actions: {s.actions}; notes: {s.notes}",
    ]
    if review.problems:
        items.append(f"Recording problems: {len(review.problems)} (listed at the end)")
    return items


def _expected_text(fault: FaultReview) -> str:
    if fault.expected is None:
        return "nothing: the catalogue does not know this fault"
    d = fault.expected
    return f"the {d.pane} pane, metric {d.metric}: {d.threshold}"


def _at(clock: Clock, moment: datetime) -> str:
    return f"{clock.label(moment)} ({wall_text(moment)})"


def _action_text(fault: FaultReview) -> str:
    action = fault.first_action
    if action is None:
        return "none"
    seconds = fault.time_to_action_s or 0.0
    return f"{action.clock}, {span_text(seconds, fault.speed)} after the start: {action.text}"


def _mitigated_text(fault: FaultReview, clock: Clock) -> str:
    if fault.mitigated is None:
        if fault.ended_how and fault.ended is not None:
            return f"{fault.ended_how}, not mitigated: ended {_at(clock, fault.ended)}"
        return "not mitigated (still running at the end)"
    how = (
        "its signal recovered after the first action on the target"
        if fault.mitigated_by == "recovered"
        else fault.mitigated_by
    )
    return f"{_at(clock, fault.mitigated)}, {how}"


def _ttd_cell(fault: FaultReview) -> Cell:
    if fault.detection is None:
        return _plain(fault.ttd_text())
    delay = fault.delay_text()
    return _plain(fault.ttd_text() + (f"; {delay}" if delay else ""))


def _detected_cell(fault: FaultReview, clock: Clock) -> Cell:
    if fault.detection is not None:
        return _plain(_at(clock, fault.detection.at))
    if fault.undetected_reason:
        return _styled("muted", fault.undetectable)
    return _styled("bad", "✗ NOT DETECTED")


def _alarm_cell(fault: FaultReview) -> Cell:
    if fault.alarm is None:
        return _styled("muted", fault.alarm_text())
    seconds = fault.time_to_alarm_s or 0.0
    return (("code", fault.alarm.alarm), ("", f" after {span_text(seconds, fault.speed)}"))


def _fault_cells(fault: FaultReview, clock: Clock) -> tuple[Cell, ...]:
    name: Cell = (("code", fault.fault or "unknown"), ("", f" {fault.title}" if fault.title else ""))
    target: Cell = (
        ("code", fault.target or "unknown"),
        ("", f" ({fault.target_name})" if fault.target_name else ""),
    )
    detection = fault.detection
    return (
        _plain(str(fault.number)),
        name,
        target,
        _plain(fault.origin),
        _plain(_at(clock, fault.started)),
        _detected_cell(fault, clock),
        _ttd_cell(fault),
        _plain("" if detection is None else detection.summary()),
        _alarm_cell(fault),
        _plain(_action_text(fault)),
        _plain(_mitigated_text(fault, clock)),
        _plain(fault.ttm_text()),
    )


def _service_cells(service: ServiceReview, clock: Clock) -> tuple[Cell, ...]:
    if service.breached:
        when = f" at {_at(clock, service.breach_at)}" if service.breach_at is not None else ""
        status = _styled("bad", f"✗ BREACHED{when}")
    else:
        status = _styled("good", "✓ within tolerance")
    if service.still_impaired:
        status = (*status, ("", "; still impaired at the end"))
    return (
        _plain(service.name),
        _plain(service.impaired_text()),
        _plain(service.longest_text()),
        _plain(service.tolerance_text()),
        _plain(service.share_text()),
        status,
    )


def _row_class(row: Row) -> str:
    return row.level if row.level in ("critical", "warning") else ""


def _document(review: Review) -> list[_Section]:
    clock = review.clock
    sections: list[_Section] = []

    sections.append(
        _Section("summary", "Summary", (_List(tuple(_plain(i) for i in _summary_items(review))),))
    )

    faults: list[Block] = []
    if review.faults:
        faults.append(
            _Table(
                (
                    "#",
                    "Fault",
                    "Target",
                    "Origin",
                    "Started",
                    "Detected",
                    "Time to detect",
                    "Signal",
                    "Alarm",
                    "First action",
                    "Mitigated",
                    "Time to mitigate",
                ),
                tuple((_fault_cells(f, clock), "" if f.detected else "critical") for f in review.faults),
            )
        )
    else:
        faults.append(_Paragraph(_plain("No fault started during the recording.")))
    sections.append(_Section("faults", "Faults", tuple(faults)))

    missed: Block
    if review.undetected or review.too_short:
        missed = _List(
            tuple(
                (
                    ("bad", f"✗ {f.label()}"),
                    (
                        "",
                        f", started {_at(clock, f.started)}: should have been caught by {_expected_text(f)}.",
                    ),
                )
                for f in review.undetected
            )
            + tuple(
                (
                    ("muted", f"{f.label()}"),
                    ("", f", started {_at(clock, f.started)}: {f.undetected_reason}."),
                )
                for f in review.too_short
            )
        )
    elif review.faults:
        missed = _Paragraph(_styled("good", "✓ Every fault was detected."))
    else:
        missed = _Paragraph(_plain("No faults."))
    sections.append(_Section("not-detected", "Not detected", (missed,)))

    services: Block
    if review.services:
        services = _Table(
            ("Service", "Time impaired", "Longest impairment", "Tolerance", "Longest vs tolerance", "Status"),
            tuple((_service_cells(s, clock), "critical" if s.breached else "") for s in review.services),
        )
    else:
        services = _Paragraph(_plain("No business service was impaired."))
    sections.append(_Section("services", "Business services", (services,)))

    timeline: Block
    if review.timeline:
        timeline = _Table(
            ("Time", "Wall (UTC)", "Kind", "Source", "What"),
            tuple(
                (
                    (_plain(r.clock), _plain(r.wall), _plain(r.kind), _plain(r.source), _plain(r.text)),
                    _row_class(r),
                )
                for r in review.timeline
            ),
        )
    else:
        timeline = _Paragraph(_plain("The recording holds no journal events."))
    sections.append(_Section("timeline", "Timeline", (timeline,)))

    actions: Block
    if review.actions:
        actions = _Table(
            ("Time", "Wall (UTC)", "Resource", "What"),
            tuple(
                ((_plain(r.clock), _plain(r.wall), _styled("code", r.resource), _plain(r.text)), "")
                for r in review.actions
            ),
        )
    else:
        actions = _Paragraph(_plain("No actions were taken from the console."))
    sections.append(_Section("actions", "Actions", (actions,)))

    notes: Block
    if review.notes:
        notes = _Table(
            ("Time", "Wall (UTC)", "Author", "Note"),
            tuple(
                ((_plain(r.clock), _plain(r.wall), _plain(r.author or "unknown"), _plain(r.text)), "")
                for r in review.notes
            ),
        )
    else:
        notes = _Paragraph(_plain("No notes were written."))
    sections.append(_Section("notes", "Notes", (notes,)))

    charts: list[Block] = []
    for chart in review.charts:
        window = (
            f"window {clock.label(chart.window_start or chart.start)} to "
            f"{clock.label(chart.window_end or chart.end)}, "
            f"fault {clock.label(chart.start)} to {clock.label(chart.end)}"
        )
        charts.append(_ChartBlock(chart, window))
    if not charts:
        charts.append(_Paragraph(_plain("No charts: the recording has no snapshots around a known fault.")))
    sections.append(_Section("charts", "Charts", tuple(charts)))

    if review.problems:
        sections.append(
            _Section("problems", "Recording problems", (_List(tuple(_plain(p) for p in review.problems)),))
        )
    return sections


# -- Markdown -----------------------------------------------------------------------------------

_MD_SPECIAL = frozenset("\\`*_[]<>|&~")


def md(text: str) -> str:
    """Text for Markdown: one line, every character Markdown or HTML would interpret inline
    escaped (a space at either end is kept, so fragments join)."""
    line = clean_line(text, NOTE_LIMIT)
    escaped = "".join("\\" + ch if ch in _MD_SPECIAL else ch for ch in line)
    if line and text[:1].isspace():
        escaped = " " + escaped
    if line and text[-1:].isspace():
        escaped += " "
    return escaped


def _md_code(text: str) -> str:
    line = clean_line(text, NOTE_LIMIT)
    if not line:
        return ""
    if "`" in line:
        return md(line)
    return "`" + line.replace("|", "\\|") + "`"


def _md_cell(cell: Cell) -> str:
    out: list[str] = []
    for style, text in cell:
        if not text:
            continue
        if style == "code":
            out.append(_md_code(text))
        elif style == "bad":
            out.append(f"**{md(text)}**")
        else:
            out.append(md(text))
    return "".join(out)


def _md_block(block: Block) -> list[str]:
    if isinstance(block, _Paragraph):
        return [_md_cell(block.cell)]
    if isinstance(block, _List):
        return [f"- {_md_cell(item)}" for item in block.items]
    if isinstance(block, _Table):
        out = [
            "| " + " | ".join(md(h) for h in block.header) + " |",
            "|" + "|".join("---" for _ in block.header) + "|",
        ]
        out.extend("| " + " | ".join(_md_cell(c) for c in cells) + " |" for cells, _ in block.rows)
        return out
    chart = block.chart
    out = [f"### {md(chart.title)}", ""]
    spark = chart.spark()
    if spark:
        out.append(f"`{spark}` {md(chart.words())}; {md(block.window)}.")
    else:
        out.append(f"{md(chart.words())}; {md(block.window)}.")
    out.append("")
    return out


def render_markdown(review: Review) -> str:
    """The review as Markdown: every piece of recorded text escaped, charts as sparklines."""
    out: list[str] = [f"# Game day review: {md(review.title)}", ""]
    for line in _intro(review):
        out += [md(line), ""]
    for section in _document(review):
        out += [f"## {md(section.title)}", ""]
        for block in section.blocks:
            out.extend(_md_block(block))
            if not isinstance(block, _ChartBlock):
                out.append("")
    return "\n".join(out).rstrip("\n") + "\n"


# -- HTML ---------------------------------------------------------------------------------------

_CSS = """
body { font-family: -apple-system, "Segoe UI", Roboto, sans-serif; margin: 2em auto; max-width: 1200px;
  color: #1c1b1f; line-height: 1.4; padding: 0 1em; }
h1 { font-size: 1.6em; }
h2 { border-bottom: 1px solid #ccc; padding-bottom: .2em; margin-top: 1.8em; }
table { border-collapse: collapse; width: 100%; font-size: .9em; margin: .5em 0; }
th, td { border: 1px solid #ccc; padding: .3em .5em; text-align: left; vertical-align: top; }
th { background: #f1f1f4; }
code { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: .95em; }
.bad { color: #8c1d18; font-weight: bold; }
.good { color: #1e5e2e; }
.muted { color: #555; }
tr.critical td { background: #fdecea; }
tr.warning td { background: #fff8e1; }
figure { margin: 1em 0; }
figcaption { font-size: .9em; color: #333; }
"""


def h(text: str) -> str:
    """Text for HTML, every special character escaped."""
    return html.escape(text, quote=True)


def _html_cell(cell: Cell) -> str:
    out: list[str] = []
    for style, text in cell:
        if not text:
            continue
        if style == "code":
            out.append(f"<code>{h(text)}</code>")
        elif style in ("bad", "good", "muted"):
            out.append(f'<span class="{style}">{h(text)}</span>')
        else:
            out.append(h(text))
    return "".join(out)


def _html_block(block: Block) -> str:
    if isinstance(block, _Paragraph):
        return f"<p>{_html_cell(block.cell)}</p>"
    if isinstance(block, _List):
        return "<ul>" + "".join(f"<li>{_html_cell(item)}</li>" for item in block.items) + "</ul>"
    if isinstance(block, _Table):
        head = "".join(f"<th>{h(c)}</th>" for c in block.header)
        rows = []
        for cells, css in block.rows:
            klass = f' class="{h(css)}"' if css else ""
            rows.append(f"<tr{klass}>" + "".join(f"<td>{_html_cell(c)}</td>" for c in cells) + "</tr>")
        return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
    chart = block.chart
    caption = f"{h(chart.words())}; {h(block.window)}."
    if not chart.known:
        return f'<h3>{h(chart.title)}</h3><p class="muted">{caption}</p>'
    svg = svg_line_chart(
        chart.points,
        threshold=chart.threshold,
        start=chart.start,
        end=chart.end,
        width=760,
        height=240,
        title=chart.title,
        unit=chart.unit,
    )
    return f"<figure>{svg}<figcaption>{caption}</figcaption></figure>"


def render_html(review: Review) -> str:
    """The review as one self-contained HTML page (inline CSS and SVG, no scripts)."""
    parts: list[str] = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>Game day review: {h(review.title)}</title>",
        f"<style>{_CSS}</style></head><body>",
        f"<h1>Game day review: {h(review.title)}</h1>",
    ]
    parts.extend(f"<p>{h(line)}</p>" for line in _intro(review))
    for section in _document(review):
        parts.append(f'<h2 id="{h(section.anchor)}">{h(section.title)}</h2>')
        parts.extend(_html_block(block) for block in section.blocks)
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"
