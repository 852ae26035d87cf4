"""Journal events from poll snapshots: every threshold crossing the panes show, and its recovery.

``Detector.observe(pane, snapshot)`` compares one pane's snapshot with what the detector saw
before and returns the events it implies. Detections are edge-triggered: a signal is reported
once when it crosses its line (again when it escalates from warning to critical) and once when it
recovers, with hysteresis so a value hovering on the line does not flap.

Gauges use the level the pane computed (so the journal says what the pane shows) and recover only
below a lower line (a headroom gauge, ``catalogue.HEADROOM_METRICS``, also says when it falls back
below its critical line's recovery: a ``recovered`` event whose detail ``eased`` is "critical"):

- utilisation shares (instance EBS and network, volumes, stream usage, iterator age against
  retention): ``RECOVERY_MARGIN`` (5 points) below the line they crossed;
- memory: detected at ``MEMORY_WARN_PCT`` (90%), critical at ``MEMORY_CRITICAL_PCT`` (95%),
  recovered below ``MEMORY_RECOVER_PCT`` (85%);
- counts per minute (throttled writes, Lambda errors): below half their limit.

A stream's reader that stops making progress (``ReaderLag.stalled``: its lag grows about as fast as
time passes) is ``stream.reader_stalled`` on "<stream>/<reader>", critical, and recovers once its
lag is known and it is no longer stalled.

Throttled writes are detected at ``THROTTLE_SHARE`` (1%) of the minute's incoming records and at
least one record, and are critical at ``THROTTLE_CRITICAL_SHARE`` (5%). Lambda errors: the
snapshot carries no Invocations, so the limit is
``LAMBDA_ERROR_SHARE`` (5%) of the invocations the stream's incoming records make at the mapping's
batch size (the records a consumer that keeps up processes), and never below
``LAMBDA_MIN_ERRORS`` (5) a minute, the limit on its own when either figure is unknown. The
simulator's healthy functions fail at most 2 invocations a minute (``int((roll - 0.9) * 30)``);
a third of a 1-shard reader's 360 invocations is about 120.

Findings: the first snapshot is the baseline; afterwards an ACTIVE CRITICAL or HIGH finding not
seen before (or seen ARCHIVED) is ``finding.new`` and a known finding's workflow change is
``finding.workflow``. Sessions: ``node.ping`` is detected whenever a managed node is not Online (on
first sight too) and recovers when it is Online again; sessions appearing in or leaving the
Active list are ``session.started`` / ``session.ended`` after the first snapshot. FIS: an
experiment is ``fault.started`` (dated by its start time) when first seen initiating, running or
already ended, and ``fault.ended`` (dated by its end time) when it completes, stops or fails, each
once. A detection on the target of a running experiment names the experiment's fault.

An unknown value (None) neither detects nor recovers. A resource that leaves a snapshot whose
region reported no API error recovers ("no longer listed"), so no signal stays open forever.
Snapshots whose ``error`` is set produce nothing. State is kept per resource and signal only.
"""

from __future__ import annotations

import dataclasses
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from types import MappingProxyType
from typing import TYPE_CHECKING, Protocol

from tui import panes
from tui.aws.alarms_model import ALARM, INSUFFICIENT_DATA, STATE_WORD, short_text, transitions_since
from tui.aws.findings_model import clean_line
from tui.aws.kinesis_math import (
    AGE_CRITICAL_FRACTION,
    AGE_WARN_FRACTION,
    THROTTLED_CRITICAL,
    USAGE_CRITICAL,
    USAGE_WARN,
    growth_text,
)
from tui.aws.limits_math import Thresholds, level
from tui.common import catalogue as cat
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

if TYPE_CHECKING:
    from tui.aws.alarms import AlarmsSnapshot
    from tui.aws.alarms_model import Alarm
    from tui.aws.findings import FindingsSnapshot
    from tui.aws.findings_model import Finding
    from tui.aws.kinesis import KinesisSnapshot, LambdaView, ReaderLag, StreamView
    from tui.aws.limits import InstanceView, LimitsSnapshot, VolumeView
    from tui.aws.outcome import ApiError
    from tui.aws.sessions import ManagedTarget, SessionsSnapshot

PANES = {p.name: p.detect for p in panes.LIVE if p.detect}
"""The panes the journal reads, and the method reading each (``tui.panes``)."""

RECOVERY_MARGIN = 0.05
"""Utilisation points below the crossed line at which a gauge counts as recovered."""
MEMORY_WARN_PCT = 90.0
MEMORY_CRITICAL_PCT = 95.0
MEMORY_RECOVER_PCT = 85.0
THROTTLE_SHARE = 0.01
"""Throttled writes at this share of a minute's incoming records are a warning: a stream running near
its capacity refuses a second's burst now and then (up to about 2% of a minute's records), which its
producers retry."""
THROTTLE_CRITICAL_SHARE = THROTTLED_CRITICAL
"""At this share they are critical (the share at which the Kinesis pane calls a busy stream's usage
critical): producers are being turned away, not merely retried."""
LAMBDA_ERROR_SHARE = 0.05
LAMBDA_MIN_ERRORS = 5.0
COUNT_RECOVER_FACTOR = 0.5
"""A count signal recovers below this share of its limit."""
NEW_FINDING_LEVELS: Mapping[str, str] = MappingProxyType({"CRITICAL": "critical", "HIGH": "warning"})
ONLINE = "Online"
DESCRIBE_INSTANCE_INFORMATION = "ssm:DescribeInstanceInformation"
DESCRIBE_ACTIVE_SESSIONS = "ssm:DescribeSessions (Active)"
RUNNING_STATES = frozenset({"initiating", "running"})
ENDED_STATES = frozenset({"completed", "stopped", "failed", "cancelled"})
DESCRIBE_ALARMS = "cloudwatch:DescribeAlarms"
ALARM_RESOURCE_DETAIL = {
    "instance": "instance_id",
    "volume": "volume_id",
    "stream": "stream",
    "function": "function",
}
"""The detail key an alarm's event names its watched resource under (the report and the fault
attribution look for these)."""
MAX_EXPERIMENTS = 4096
"""Experiments remembered (so none is reported twice); the oldest ended ones are forgotten first."""

TEXT_LIMIT = 300
DETAIL_LIMIT = 200

_EVENT_LEVEL = {"warn": "warning", "critical": "critical"}


# ---------------------------------------------------------------------------------------------
# The FIS snapshot as this module reads it (tui.aws.fis.FisSnapshot / ExperimentView)
# ---------------------------------------------------------------------------------------------


class _Experiment(Protocol):
    @property
    def region(self) -> str: ...
    @property
    def experiment_id(self) -> str: ...
    @property
    def template_id(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def reason(self) -> str: ...
    @property
    def fault(self) -> str: ...
    @property
    def target(self) -> str: ...
    @property
    def origin(self) -> str: ...
    @property
    def started_at(self) -> datetime | None: ...
    @property
    def ended_at(self) -> datetime | None: ...
    @property
    def tags(self) -> tuple[tuple[str, str], ...]: ...


class _FisSnapshot(Protocol):
    @property
    def fetched_at(self) -> datetime: ...
    @property
    def experiments(self) -> Sequence[_Experiment]: ...
    @property
    def error(self) -> object: ...


# ---------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------


def _clean(value: object, limit: int = DETAIL_LIMIT) -> str:
    return clean_line(value, limit)


def _label(name: str, resource_id: str) -> str:
    name = _clean(name, 80)
    return f"{name} ({resource_id})" if name and name != resource_id else resource_id


def _pct(fraction: float) -> str:
    return f"{fraction * 100:.0f}%"


def _num(value: float | None, digits: int = 0) -> str:
    return "?" if value is None else f"{value:,.{digits}f}"


def _shards(count: int | None) -> str:
    if count is None:
        return "the shards'"
    return "1 shard's" if count == 1 else f"{count:,} shards'"


def _identity(name: str, tags: Iterable[tuple[str, str]]) -> dict[str, str]:
    """The detail every detection carries: a display name and the resource's tags."""
    detail = {"name": _clean(name)} if name else {}
    for key, value in tags:
        clean_key = _clean(key, 128)
        if clean_key:
            detail[f"tag:{clean_key}"] = _clean(value)
    return detail


def _failed_regions(errors: Iterable[ApiError], api_prefix: str = "") -> set[str] | None:
    """Regions with an API error (of APIs starting with ``api_prefix``) in this snapshot: what they
    do not list may only be hidden. None when an error names no region (nothing can be trusted).
    An error of one account in a region (named ``payments-prod us-east-1``) counts for the whole
    region: what any account there does not list may only be hidden."""
    failed: set[str] = set()
    for error in errors:
        if error.api.startswith(api_prefix):
            if not error.region:
                return None
            failed.add(error.region.rsplit(" ", 1)[-1])
    return failed


def _where(region: str, account: str) -> str:
    """The middle of a signal's key: the region, and the account when the row names one (a stream
    name, say, repeats in every account of an organization)."""
    return f"{account}/{region}" if account else region


def _accounts_label(name: str, account: str, several: bool, region: str = "") -> str:
    """How an event names a resource of one account among several: ``payments-events ·
    210987654321 us-east-1`` (a name repeats in every account, and in each of its regions)."""
    if not (several and account):
        return name
    return f"{name} · {account} {region}".rstrip()


def _tail(resource_id: str) -> str:
    """The last part of an ARN (``.../sg-1`` -> ``sg-1``, ``arn:aws:s3:::bucket`` -> ``bucket``)."""
    return resource_id.rsplit("/", 1)[-1].rsplit(":", 1)[-1]


@dataclass(frozen=True)
class _Reading:
    """One gauge of one resource in one snapshot."""

    pane: str
    metric: str
    region: str
    resource: str
    label: str
    what: str
    value: float | None
    level: str  # ok, warn, critical, unknown
    warn_limit: float
    critical_limit: float | None
    warn_recover: float
    critical_recover: float | None
    unit: str
    fmt: Callable[[float], str]
    detail: Mapping[str, str]
    note: str = ""
    account: str = ""

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.metric, _where(self.region, self.account), self.resource)


@dataclass
class _Open:
    """A signal currently detected, and what its recovery event repeats."""

    pane: str
    level: str
    resource: str
    region: str
    label: str
    what: str
    unit: str
    detail: Mapping[str, str]


# ---------------------------------------------------------------------------------------------
# The detector
# ---------------------------------------------------------------------------------------------


class Detector:
    """Stateful and edge-triggered: feed it every snapshot of every pane, in order."""

    def __init__(self, thresholds: Thresholds | None = None) -> None:
        self.thresholds = thresholds or Thresholds()
        self._open: dict[tuple[str, str, str], _Open] = {}
        self._instance_tags: dict[str, tuple[str, tuple[tuple[str, str], ...]]] = {}
        self._findings: dict[tuple[str, str], tuple[str, str]] | None = None
        self._findings_version: int | None = None
        self._sessions: dict[str, str] | None = None
        self._sessions_ended: set[str] = set()
        """Sessions whose end the console journaled itself (their plugin returned)."""
        self._experiments: OrderedDict[str, tuple[bool, bool]] = OrderedDict()
        self._faults: dict[str, tuple[str, str]] = {}
        self._alarm_updates: dict[str, tuple[str, datetime | None]] = {}
        """Per alarm, its region and the StateUpdatedTimestamp of the last snapshot read."""

    def session_ended(self, session_id: str) -> None:
        """The console saw ``session_id`` end (its plugin returned) and journaled it: a later poll
        that still lists it as active, or no longer does, adds nothing."""
        self._sessions_ended.add(session_id)
        if self._sessions is not None:
            self._sessions.pop(session_id, None)

    def observe(self, pane: str, snapshot: object) -> list[JournalEvent]:
        """The events this snapshot implies; [] for other panes and for failed polls."""
        method = PANES.get(pane)
        if method is None or getattr(snapshot, "error", None) is not None:
            return []
        events: list[JournalEvent] = getattr(self, method)(snapshot)
        return [self._attribute(e) for e in events]

    @property
    def open_signals(self) -> tuple[tuple[str, str], ...]:
        """(metric, resource) of every signal detected and not yet recovered."""
        return tuple((metric, state.resource) for (metric, _, _), state in self._open.items())

    # -- gauges -------------------------------------------------------------------------------

    def _judge(self, reading: _Reading, at: datetime) -> JournalEvent | None:
        value = reading.value
        if value is None or reading.level not in ("ok", "warn", "critical"):
            return None
        key = reading.key
        prev = self._open.get(key)
        critical_recover = reading.critical_recover
        eased = None
        if (
            prev is not None
            and prev.level == "critical"
            and critical_recover is not None
            and value < critical_recover
        ):
            # Well below the critical line again: a later climb is reported as a new escalation,
            # and a headroom gauge says its impact is over.
            prev.level = "warn"
            if reading.metric in cat.HEADROOM_METRICS:
                eased = self._eased(reading, value, at)
        if reading.level in ("warn", "critical"):
            if prev is not None and (prev.level == reading.level or prev.level == "critical"):
                return eased
            self._open[key] = _Open(
                reading.pane,
                reading.level,
                reading.resource,
                reading.region,
                reading.label,
                reading.what,
                reading.unit,
                reading.detail,
            )
            limit = reading.warn_limit if reading.level == "warn" else reading.critical_limit
            limit = reading.warn_limit if limit is None else limit
            note = f" ({reading.note})" if reading.note else ""
            return JournalEvent(
                at=at,
                kind=DETECTED,
                source=reading.pane,
                text=_clean(
                    f"{reading.label}: {reading.what} {reading.fmt(value)} ≥ {reading.fmt(limit)}{note}",
                    TEXT_LIMIT,
                ),
                resource=reading.resource,
                metric=reading.metric,
                value=value,
                limit=limit,
                unit=reading.unit,
                level=_EVENT_LEVEL[reading.level],
                detail=MappingProxyType(dict(reading.detail)),
            )
        if prev is None or value >= reading.warn_recover:
            return eased
        del self._open[key]
        return _recovered(reading, value, at, reading.warn_recover, "", dict(reading.detail))

    def _eased(self, reading: _Reading, value: float, at: datetime) -> JournalEvent:
        """A headroom gauge back below its critical line, still at its warning level."""
        limit = reading.critical_recover
        assert limit is not None
        detail = dict(reading.detail)
        detail[cat.EASED] = "critical"
        return _recovered(
            reading, value, at, limit, ", below its critical line, still at its warning level", detail
        )

    def _gone(
        self, pane: str, seen: set[tuple[str, str, str]], failed: set[str] | None, at: datetime
    ) -> list[JournalEvent]:
        """Recover the pane's open signals whose resource a region without errors no longer lists."""
        events: list[JournalEvent] = []
        if failed is None:
            return events
        for key, state in list(self._open.items()):
            if state.pane != pane or key in seen or state.region in failed:
                continue
            del self._open[key]
            detail = dict(state.detail)
            detail["reason"] = "no longer listed"
            events.append(
                JournalEvent(
                    at=at,
                    kind=RECOVERED,
                    source=pane,
                    text=_clean(f"{state.label}: {state.what} no longer listed", TEXT_LIMIT),
                    resource=state.resource,
                    metric=key[0],
                    unit=state.unit,
                    detail=MappingProxyType(detail),
                )
            )
        return events

    def _run(
        self,
        pane: str,
        readings: list[_Reading],
        failed: set[str] | None,
        at: datetime,
        quiet: set[tuple[str, str, str]] | None = None,
    ) -> list[JournalEvent]:
        """Judge ``readings``; ``quiet``: keys of gauges still listed that were not worth a reading
        (calm, and no signal open), so that none of them counts as gone."""
        events = [e for e in (self._judge(r, at) for r in readings) if e is not None]
        seen = {r.key for r in readings}
        if quiet:
            seen |= quiet
        events.extend(self._gone(pane, seen, failed, at))
        return events

    # -- limits -------------------------------------------------------------------------------

    def _limits(self, snap: LimitsSnapshot) -> list[JournalEvent]:
        # A gauge below its warning level with no signal open says nothing: only its key is kept
        # (its signal is still listed). At fleet scale that is nearly every gauge, and a reading's
        # detail costs more than the rest of the cycle's judging.
        readings: list[_Reading] = []
        seen: set[tuple[str, str, str]] = set()
        opened = self._open
        for inst in snap.instances:
            keys = self._instance_keys(inst)
            if (
                inst.ebs_level in _RAISED
                or inst.net_level in _RAISED
                or _memory_level(inst.memory_used_pct) in _RAISED
                or any(key in opened for key in keys)
            ):
                readings.extend(self._instance_readings(inst))
            else:
                seen.update(keys)
            for vol in inst.volumes:
                key = (cat.M_VOLUME, vol.region, vol.volume_id)
                if vol.level in _RAISED or key in opened:
                    readings.append(self._volume_reading(inst, vol))
                else:
                    seen.add(key)
        failed = _failed_regions(snap.errors)
        tags = {i.instance_id: (i.region, i.tags) for i in snap.instances}
        if failed is not None:
            # Instances of regions that failed this time keep the tags seen last.
            tags |= {
                iid: known
                for iid, known in self._instance_tags.items()
                if iid not in tags and known[0] in failed
            }
        self._instance_tags = tags
        return self._run("limits", readings, failed, snap.fetched_at, seen)

    @staticmethod
    def _instance_keys(inst: InstanceView) -> list[tuple[str, str, str]]:
        """The keys of ``_instance_readings(inst)``, without making them."""
        return [(metric, inst.region, inst.instance_id) for metric in _INSTANCE_METRICS]

    def _instance_readings(self, inst: InstanceView) -> list[_Reading]:
        th = self.thresholds
        iid = inst.instance_id
        label = _label(inst.name, iid)
        ident = _identity(inst.name or iid, inst.tags)
        _place(ident, inst.region, inst.account_id)
        ebs = dict(ident)
        ebs.update(
            binding=inst.ebs_binding or "unknown",
            ceiling_mbs=_num(inst.ebs_ceiling_mbs, 1),
            ceiling_iops=_num(inst.ebs_ceiling_iops),
            throughput_mbs=_num(inst.ebs_mbs, 1),
            iops=_num(inst.ebs_iops),
        )
        net = dict(ident)
        net.update(
            baseline_mbps=_num(inst.limits.net_baseline_mbps),
            in_mbps=_num(inst.net_in_mbps, 1),
            out_mbps=_num(inst.net_out_mbps, 1),
        )
        memory = inst.memory_used_pct
        memory_level = _memory_level(memory)
        return [
            _Reading(
                "limits",
                cat.M_INSTANCE_EBS,
                inst.region,
                iid,
                label,
                "EBS at",
                inst.ebs_utilization,
                inst.ebs_level,
                th.warn,
                th.critical,
                th.warn - RECOVERY_MARGIN,
                th.critical - RECOVERY_MARGIN,
                "ratio",
                _pct,
                MappingProxyType(ebs),
                note=(
                    f"binding: {inst.ebs_binding}; {_num(inst.ebs_mbs, 1)} of "
                    f"{_num(inst.ebs_ceiling_mbs, 1)} MB/s, {_num(inst.ebs_iops)} of "
                    f"{_num(inst.ebs_ceiling_iops)} IOPS"
                    if inst.ebs_binding
                    else ""
                ),
            ),
            _Reading(
                "limits",
                cat.M_INSTANCE_NETWORK,
                inst.region,
                iid,
                label,
                "network at",
                inst.net_utilization,
                inst.net_level,
                th.warn,
                th.critical,
                th.warn - RECOVERY_MARGIN,
                th.critical - RECOVERY_MARGIN,
                "ratio",
                _pct,
                MappingProxyType(net),
                note=f"of the {_num(inst.limits.net_baseline_mbps)} Mbps baseline",
            ),
            _Reading(
                "limits",
                cat.M_INSTANCE_MEMORY,
                inst.region,
                iid,
                label,
                "memory used",
                memory,
                memory_level,
                MEMORY_WARN_PCT,
                MEMORY_CRITICAL_PCT,
                MEMORY_RECOVER_PCT,
                MEMORY_WARN_PCT,
                "percent",
                lambda v: f"{v:.0f}%",
                MappingProxyType(dict(ident)),
            ),
        ]

    def _volume_reading(self, inst: InstanceView, vol: VolumeView) -> _Reading:
        th = self.thresholds
        detail = _identity(vol.name or vol.volume_id, inst.tags)
        _place(detail, vol.region, inst.account_id)
        detail.update(
            instance_id=inst.instance_id,
            capped_by=vol.capped_by or "unknown",
            volume_type=vol.volume_type,
            iops=_num(vol.iops),
            iops_ceiling=_num(vol.iops_ceiling),
            throughput_mibps=_num(vol.throughput_mibps, 1),
            mibps_ceiling=_num(vol.mibps_ceiling, 1),
        )
        if inst.name:
            detail["instance_name"] = _clean(inst.name)
        return _Reading(
            "limits",
            cat.M_VOLUME,
            vol.region,
            vol.volume_id,
            _label(vol.name, vol.volume_id),
            f"{vol.volume_type} volume at",
            vol.utilization,
            vol.level,
            th.warn,
            th.critical,
            th.warn - RECOVERY_MARGIN,
            th.critical - RECOVERY_MARGIN,
            "ratio",
            _pct,
            MappingProxyType(detail),
            note=f"capped by the {vol.capped_by}" if vol.capped_by else "",
        )

    # -- kinesis ------------------------------------------------------------------------------

    def _kinesis(self, snap: KinesisSnapshot) -> list[JournalEvent]:
        readings: list[_Reading] = []
        functions: set[tuple[str, str]] = set()
        stalls: list[JournalEvent] = []
        seen: set[tuple[str, str, str]] = set()
        several = len({s.account_id for s in snap.streams}) > 1
        for stream in snap.streams:
            where = _where(stream.region, stream.account_id)
            readings.extend(self._stream_readings(stream, snap.period_s, several))
            for fn in stream.lambdas:
                if (where, fn.function_name) in functions:
                    continue
                functions.add((where, fn.function_name))
                readings.append(self._lambda_reading(stream, fn, snap.period_s, several))
            for reader in stream.readers:
                seen.add((cat.M_READER_STALLED, where, _reader_resource(stream, reader)))
                event = self._stall(stream, reader, snap.fetched_at, several)
                if event is not None:
                    stalls.append(event)
        seen.update(r.key for r in readings)
        events = [e for e in (self._judge(r, snap.fetched_at) for r in readings) if e is not None]
        events.extend(stalls)
        events.extend(self._gone("kinesis", seen, _failed_regions(snap.errors), snap.fetched_at))
        return events

    def _stall(
        self, stream: StreamView, reader: ReaderLag, at: datetime, several: bool = False
    ) -> JournalEvent | None:
        """A reader that stopped making progress is detected (critical: what it should read piles up
        unread); once its lag is known and it is no longer stalled, it recovers. An unknown lag does
        neither."""
        resource = _reader_resource(stream, reader)
        key = (cat.M_READER_STALLED, _where(stream.region, stream.account_id), resource)
        prev = self._open.get(key)
        if reader.behind_ms is None or reader.stalled == (prev is not None):
            return None
        label = _clean(
            _accounts_label(
                f"{stream.stream_name} / {reader.name}", stream.account_id, several, stream.region
            ),
            120,
        )
        detail = _identity(reader.name, ())
        _place(detail, stream.region, stream.account_id)
        detail.update(
            stream=_clean(stream.stream_name),
            kind=reader.kind,
            reader_metric=reader.metric,
            behind_ms=_num(reader.behind_ms),
            growth_ms_per_s=_num(reader.growth_ms_per_s, 1),
        )
        growth = None if reader.growth_ms_per_s is None else reader.growth_ms_per_s / 1000.0
        behind = f"{_num(reader.behind_ms / 60_000, 1)} min behind"
        if reader.stalled:
            self._open[key] = _Open(
                "kinesis", "critical", resource, stream.region, label, "reader stalled", "ms/ms", detail
            )
            return JournalEvent(
                at=at,
                kind=DETECTED,
                source="kinesis",
                text=_clean(
                    f"{label}: reader stalled, lag {growth_text(reader.growth_ms_per_s)}, {behind}",
                    TEXT_LIMIT,
                ),
                resource=resource,
                metric=cat.M_READER_STALLED,
                value=growth,
                limit=cat.STALL_GROWTH_MS_PER_MS,
                unit="ms/ms",
                level="critical",
                detail=MappingProxyType(detail),
            )
        del self._open[key]
        return JournalEvent(
            at=at,
            kind=RECOVERED,
            source="kinesis",
            text=_clean(
                f"{label}: reader no longer stalled, lag {growth_text(reader.growth_ms_per_s)}, {behind}",
                TEXT_LIMIT,
            ),
            resource=resource,
            metric=cat.M_READER_STALLED,
            value=growth,
            limit=cat.STALL_GROWTH_MS_PER_MS,
            unit="ms/ms",
            detail=MappingProxyType(detail),
        )

    def _stream_readings(self, stream: StreamView, period_s: int, several: bool = False) -> list[_Reading]:
        name = stream.stream_name
        account = stream.account_id
        label = _clean(_accounts_label(name, account, several, stream.region), 80)
        ident = _identity(name, ())
        _place(ident, stream.region, account)
        age = dict(ident)
        age.update(
            iterator_age_ms=_num(stream.iterator_age_ms),
            retention_hours=_num(stream.retention_hours),
            source=_clean(stream.iterator_age_source or "unknown"),
        )
        usage = dict(ident)
        usage.update(driver=stream.usage_driver or "unknown", shards=_num(stream.open_shards))
        retention = f"{stream.retention_hours} h retention" if stream.retention_hours else "retention"
        readings = [
            _Reading(
                "kinesis",
                cat.M_STREAM_AGE,
                stream.region,
                name,
                label,
                "iterator age at",
                stream.iterator_age_retention_fraction,
                stream.age_level,
                AGE_WARN_FRACTION,
                AGE_CRITICAL_FRACTION,
                AGE_WARN_FRACTION - RECOVERY_MARGIN,
                AGE_CRITICAL_FRACTION - RECOVERY_MARGIN,
                "ratio",
                _pct,
                MappingProxyType(age),
                note=f"of the {retention}; {_num((stream.iterator_age_ms or 0) / 60_000, 1)} min",
                account=account,
            ),
            _Reading(
                "kinesis",
                cat.M_STREAM_USAGE,
                stream.region,
                name,
                label,
                "write usage at",
                stream.usage_factor,
                stream.usage_level,
                USAGE_WARN,
                USAGE_CRITICAL,
                USAGE_WARN - RECOVERY_MARGIN,
                USAGE_CRITICAL - RECOVERY_MARGIN,
                "ratio",
                _pct,
                MappingProxyType(usage),
                note=f"of {_shards(stream.open_shards)} write capacity",
                account=account,
            ),
        ]
        throttled = stream.write_throttled
        rate = stream.incoming_records_per_s
        if throttled is None or rate is None:
            value: float | None = None
            limit = 1.0
            critical = 1.0
        else:
            value = throttled
            limit = max(1.0, THROTTLE_SHARE * rate * period_s)
            critical = max(limit, THROTTLE_CRITICAL_SHARE * rate * period_s)
        level = _count_level(value, limit, critical)
        share = THROTTLE_CRITICAL_SHARE if level == "critical" else THROTTLE_SHARE
        throttle = dict(ident)
        throttle["incoming_records"] = _num(None if rate is None else rate * period_s)
        if throttled is not None and rate:
            throttle["share"] = f"{throttled / (rate * period_s):.2%}"
        readings.append(
            _Reading(
                "kinesis",
                cat.M_STREAM_THROTTLE,
                stream.region,
                name,
                label,
                "writes throttled",
                value,
                level,
                limit,
                critical,
                limit * COUNT_RECOVER_FACTOR,
                critical * COUNT_RECOVER_FACTOR,
                "records/min",
                lambda v: f"{v:,.0f}/min",
                MappingProxyType(throttle),
                note=f"{share:.0%} of {throttle['incoming_records']} incoming records",
                account=account,
            )
        )
        return readings

    def _lambda_reading(
        self, stream: StreamView, fn: LambdaView, period_s: int, several: bool = False
    ) -> _Reading:
        rate = stream.incoming_records_per_s
        invocations: float | None = None
        limit = LAMBDA_MIN_ERRORS
        note = "invocations unknown"
        if rate is not None and fn.batch_size:
            invocations = rate * period_s / fn.batch_size
            limit = max(LAMBDA_MIN_ERRORS, LAMBDA_ERROR_SHARE * invocations)
            note = f"{LAMBDA_ERROR_SHARE:.0%} of about {invocations:,.0f} invocations"
        detail = _identity(fn.function_name, ())
        _place(detail, stream.region, stream.account_id)
        detail.update(
            stream=_clean(stream.stream_name),
            batch_size=_num(fn.batch_size),
            invocations_estimate=_num(invocations),
        )
        return _Reading(
            "kinesis",
            cat.M_LAMBDA_ERRORS,
            stream.region,
            fn.function_name,
            _clean(_accounts_label(fn.function_name, stream.account_id, several, stream.region), 80),
            "Lambda errors",
            fn.errors,
            _count_level(fn.errors, limit),
            limit,
            None,
            limit * COUNT_RECOVER_FACTOR,
            None,
            "errors/min",
            lambda v: f"{v:,.0f}/min",
            MappingProxyType(detail),
            note=note,
            account=stream.account_id,
        )

    # -- findings -----------------------------------------------------------------------------

    def _findings_events(self, snap: FindingsSnapshot) -> list[JournalEvent]:
        if self._findings is not None and snap.version == self._findings_version:
            return []
        current = {f.key: (f.workflow_status, f.record_state) for f in snap.findings}
        known = self._findings
        self._findings = current
        self._findings_version = snap.version
        if known is None:
            return []
        events: list[JournalEvent] = []
        at = snap.fetched_at
        for finding in snap.findings:
            before = known.get(finding.key)
            level = NEW_FINDING_LEVELS.get(finding.severity)
            if (
                (before is None or before[1] == "ARCHIVED")
                and finding.record_state == "ACTIVE"
                and level is not None
            ):
                events.append(_new_finding(finding, level, at))
            elif before is not None and before[0] != finding.workflow_status:
                events.append(_workflow_change(finding, before[0], at))
        return events

    # -- sessions -----------------------------------------------------------------------------

    def _sessions_events(self, snap: SessionsSnapshot) -> list[JournalEvent]:
        at = snap.fetched_at
        events: list[JournalEvent] = []
        seen: set[tuple[str, str, str]] = set()
        for node in snap.instances:
            key = (cat.M_NODE_PING, node.region, node.instance_id)
            seen.add(key)
            status = node.ping_status
            if not status:
                continue
            if status != ONLINE and key not in self._open:
                event = self._ping_event(node, DETECTED, at)
                self._open[key] = _Open(
                    "sessions",
                    "warn",
                    node.instance_id,
                    node.region,
                    _label(node.name, node.instance_id),
                    "SSM agent",
                    "",
                    event.detail,
                )
                events.append(event)
            elif status == ONLINE and key in self._open:
                del self._open[key]
                events.append(self._ping_event(node, RECOVERED, at))
        events.extend(
            self._gone("sessions", seen, _failed_regions(snap.errors, DESCRIBE_INSTANCE_INFORMATION), at)
        )
        events.extend(self._session_changes(snap))
        return events

    def _session_changes(self, snap: SessionsSnapshot) -> list[JournalEvent]:
        failed = _failed_regions(snap.errors, DESCRIBE_ACTIVE_SESSIONS)
        journaled = self._sessions_ended
        active = {s.session_id: s for s in snap.active if s.session_id and s.session_id not in journaled}
        known = self._sessions
        # Sessions of a region whose listing failed are kept as they were (neither ended nor new).
        kept = {
            sid: region
            for sid, region in (known or {}).items()
            if sid not in active and (failed is None or region in failed)
        }
        self._sessions = {sid: s.region for sid, s in active.items()} | kept
        if known is None:
            return []
        events: list[JournalEvent] = []
        at = snap.fetched_at
        for sid, session in active.items():
            if sid in known:
                continue
            detail = _identity("", self._tags_of(session.target))
            detail.update(
                region=session.region,
                owner=_clean(session.owner),
                status=_clean(session.status),
                document=_clean(session.document_name or ""),
            )
            events.append(
                JournalEvent(
                    at=session.start_date or at,
                    kind=SESSION_STARTED,
                    source="sessions",
                    text=_clean(
                        f"session {sid} to {session.target} started by {session.owner or 'unknown'}",
                        TEXT_LIMIT,
                    ),
                    resource=_clean(session.target),
                    ref=sid,
                    detail=MappingProxyType({k: v for k, v in detail.items() if v}),
                )
            )
        history = {s.session_id: s for s in snap.history}
        for sid, region in known.items():
            if sid in self._sessions:
                continue
            ended = history.get(sid)
            detail = {"region": region}
            if ended is not None:
                detail.update(status=_clean(ended.status), owner=_clean(ended.owner))
            target = _clean(ended.target) if ended is not None else ""
            events.append(
                JournalEvent(
                    at=(ended.end_date if ended is not None else None) or at,
                    kind=SESSION_ENDED,
                    source="sessions",
                    text=_clean(f"session {sid}{' to ' + target if target else ''} ended", TEXT_LIMIT),
                    resource=target,
                    ref=sid,
                    detail=MappingProxyType({k: v for k, v in detail.items() if v}),
                )
            )
        return events

    def _ping_event(self, node: ManagedTarget, kind: str, at: datetime) -> JournalEvent:
        detail = _identity(node.name or node.instance_id, self._tags_of(node.instance_id))
        _place(detail, node.region, node.account_id)
        detail.update(
            ping_status=_clean(node.ping_status),
            resource_type=_clean(node.resource_type),
            last_ping_at=node.last_ping_at.isoformat() if node.last_ping_at else "unknown",
        )
        label = _label(node.name, node.instance_id)
        if kind == DETECTED:
            text = f"{label}: SSM agent {node.ping_status} (not Online)"
            level = "warning"
        else:
            text = f"{label}: SSM agent back Online"
            level = "info"
        return JournalEvent(
            at=at,
            kind=kind,
            source="sessions",
            text=_clean(text, TEXT_LIMIT),
            resource=node.instance_id,
            metric=cat.M_NODE_PING,
            level=level,
            detail=MappingProxyType(detail),
        )

    # -- alarms -------------------------------------------------------------------------------

    def _alarms(self, snap: AlarmsSnapshot) -> list[JournalEvent]:
        """An alarm entering ALARM is detected, leaving it recovered. An alarm already in ALARM when
        first seen is detected when it is seen; a transition seen later is dated when the alarm made
        it, and those between two polls (OK -> ALARM -> OK) are read from its history."""
        events: list[JournalEvent] = []
        seen: set[tuple[str, str, str]] = set()
        at = snap.fetched_at
        for alarm in snap.alarms:
            key = (cat.M_ALARM, alarm.region, alarm.key)
            seen.add(key)
            first = alarm.key not in self._alarm_updates
            before = self._alarm_updates[alarm.key][1] if not first else None
            self._alarm_updates[alarm.key] = (alarm.region, alarm.state_updated_at)
            if not first and before != alarm.state_updated_at:
                for item in transitions_since(alarm, before):
                    event = self._alarm_step(alarm, key, item.new_state, item.at, item.reason, at)
                    if event is not None:
                        events.append(event)
            when = at if first else min(at, alarm.since or at)
            event = self._alarm_step(alarm, key, alarm.state, when, alarm.state_reason, at, first=first)
            if event is not None:
                events.append(event)
        failed = _failed_regions(snap.errors, DESCRIBE_ALARMS)
        if failed is not None:
            listed = {alarm.key for alarm in snap.alarms}
            for name, (region, _) in list(self._alarm_updates.items()):
                if name not in listed and region not in failed:
                    del self._alarm_updates[name]
        events.extend(self._gone("alarms", seen, failed, at))
        return events

    def _alarm_step(
        self,
        alarm: Alarm,
        key: tuple[str, str, str],
        state: str,
        when: datetime,
        reason: str,
        seen_at: datetime,
        *,
        first: bool = False,
    ) -> JournalEvent | None:
        """The event of the alarm reaching ``state`` at ``when``, if it changes what is open. An alarm
        already in ALARM when first seen is a warning, not news: a transition seen live is critical.
        Only OK recovers: INSUFFICIENT_DATA is unknown (an instance that died stops its metric, and its
        alarm leaves ALARM for it), so it neither detects nor recovers."""
        opened = key in self._open
        if (state == ALARM) == opened or (opened and state == INSUFFICIENT_DATA):
            return None
        resource = alarm.resource.id if alarm.resource is not None else alarm.name
        detail: dict[str, str] = {
            "alarm": _clean(alarm.name),
            "alarm_arn": _clean(alarm.arn),
            "region": alarm.region,
            "type": alarm.kind,
            "state": state,
            "condition": _clean(short_text(alarm)),
            "actions": "muted" if alarm.muted else "enabled",
            "seen_at": seen_at.isoformat(),
        }
        if alarm.resource is not None:
            detail[ALARM_RESOURCE_DETAIL.get(alarm.resource.kind, "resource_id")] = _clean(alarm.resource.id)
        if reason:
            detail["reason"] = _clean(reason)
        label = _clean(f"alarm {alarm.name}", 120)
        said = f": {_clean(reason, 160)}" if reason else ""
        if state == ALARM:
            self._open[key] = _Open("alarms", "critical", resource, alarm.region, label, "alarm", "", detail)
            return JournalEvent(
                at=when,
                kind=DETECTED,
                source="alarms",
                text=_clean(f"{label} in ALARM{said}", TEXT_LIMIT),
                resource=_clean(resource),
                metric=cat.M_ALARM,
                limit=alarm.threshold,
                level="warning" if first else "critical",
                detail=MappingProxyType(detail),
            )
        del self._open[key]
        return JournalEvent(
            at=when,
            kind=RECOVERED,
            source="alarms",
            text=_clean(f"{label} back to {STATE_WORD.get(state, state)}{said}", TEXT_LIMIT),
            resource=_clean(resource),
            metric=cat.M_ALARM,
            limit=alarm.threshold,
            detail=MappingProxyType(detail),
        )

    # -- FIS ----------------------------------------------------------------------------------

    def _fis(self, snap: _FisSnapshot) -> list[JournalEvent]:
        events: list[JournalEvent] = []
        at = snap.fetched_at
        for exp in snap.experiments:
            if not getattr(exp, "detailed", True):
                continue  # its times are unknown until GetExperiment reads it (the next poll)
            status = (exp.status or "").lower()
            started, ended = self._experiments.get(exp.experiment_id, (False, False))
            running = status in RUNNING_STATES
            finished = status in ENDED_STATES
            if running and exp.fault:
                self._faults[exp.experiment_id] = (exp.fault, exp.target)
            if finished:
                self._faults.pop(exp.experiment_id, None)
            if not started and (running or (finished and status != "cancelled")):
                events.append(_fault_started(exp, at, dict(self._tags_of(exp.target)).get("Name", "")))
                started = True
            if finished and started and not ended:
                events.append(_fault_ended(exp, status, at))
                ended = True
            self._experiments[exp.experiment_id] = (started, ended)
            self._experiments.move_to_end(exp.experiment_id)
        while len(self._experiments) > MAX_EXPERIMENTS:
            victim = next((k for k, (_, done) in self._experiments.items() if done), None)
            if victim is None:
                victim = next(iter(self._experiments))
            del self._experiments[victim]
            self._faults.pop(victim, None)
        return events

    def _attribute(self, event: JournalEvent) -> JournalEvent:
        """Name the running fault whose target is the event's resource (or its instance)."""
        if event.fault or event.kind not in (DETECTED, RECOVERED, FINDING_NEW) or not self._faults:
            return event
        names = {event.resource, _tail(event.resource)}
        names.update(event.detail.get(k, "") for k in ("instance_id", "name", "stream"))
        names.discard("")
        for fault, target in self._faults.values():
            if target and target in names:
                return dataclasses.replace(event, fault=fault)
        return event

    def _tags_of(self, instance_id: str) -> tuple[tuple[str, str], ...]:
        known = self._instance_tags.get(instance_id)
        return known[1] if known else ()


_INSTANCE_METRICS = (cat.M_INSTANCE_EBS, cat.M_INSTANCE_NETWORK, cat.M_INSTANCE_MEMORY)
"""The gauges ``Detector._instance_readings`` reads of an instance."""
_RAISED = frozenset(("warn", "critical"))


_MEMORY_THRESHOLDS = Thresholds(warn=MEMORY_WARN_PCT, critical=MEMORY_CRITICAL_PCT)


def _memory_level(memory: float | None) -> str:
    return level(memory, _MEMORY_THRESHOLDS)


def _place(detail: dict[str, str], region: str, account: str) -> None:
    """A detection's region, and its account when the row names one."""
    detail["region"] = region
    if account:
        detail["account"] = account


def _reader_resource(stream: StreamView, reader: ReaderLag) -> str:
    """A reader's resource in the journal: "<stream>/<reader>"."""
    return f"{stream.stream_name}/{reader.name}"


def _count_level(value: float | None, limit: float, critical: float | None = None) -> str:
    if value is None:
        return "unknown"
    if critical is not None and value >= critical:
        return "critical"
    return "warn" if value >= limit else "ok"


def _new_finding(finding: Finding, level: str, at: datetime) -> JournalEvent:
    control = f" {finding.control_id}" if finding.control_id else ""
    detail = _identity(_tail(finding.resource_id), ())
    detail.update(
        severity=finding.severity,
        control=finding.control_id,
        title=finding.title,
        resource_type=finding.resource_type,
        account=finding.account_id,
        region=finding.region,
        product=finding.product_name,
        workflow=finding.workflow_status,
    )
    return JournalEvent(
        at=at,
        kind=FINDING_NEW,
        source="findings",
        text=_clean(f"new {finding.severity}{control}: {finding.title}", TEXT_LIMIT),
        resource=finding.resource_id,
        metric=cat.M_FINDING_NEW,
        ref=finding.id,
        level=level,
        detail=MappingProxyType({k: _clean(v) for k, v in detail.items() if v}),
    )


def _workflow_change(finding: Finding, before: str, at: datetime) -> JournalEvent:
    detail = {
        "from": before,
        "to": finding.workflow_status,
        "severity": finding.severity,
        "control": finding.control_id,
        "title": finding.title,
    }
    if finding.note is not None and finding.note.updated_by:
        detail["updated_by"] = finding.note.updated_by
    control = f" {finding.control_id}" if finding.control_id else ""
    return JournalEvent(
        at=at,
        kind=FINDING_WORKFLOW,
        source="findings",
        text=_clean(f"{before} -> {finding.workflow_status}{control}: {finding.title}", TEXT_LIMIT),
        resource=finding.resource_id,
        ref=finding.id,
        detail=MappingProxyType({k: _clean(v) for k, v in detail.items() if v}),
    )


def _tag(exp: _Experiment, key: str) -> str:
    for tag_key, value in exp.tags:
        if tag_key == key:
            return _clean(value)
    return ""


def _fault_detail(exp: _Experiment) -> dict[str, str]:
    detail = {
        "region": exp.region,
        "origin": _clean(exp.origin),
        "template": _clean(exp.template_id),
        "speed": _tag(exp, cat.SPEED_TAG),
        "scenario_start": _tag(exp, cat.SCENARIO_START_TAG),
        "scenario": _tag(exp, cat.SCENARIO_TAG),
        "status": _clean(exp.status),
    }
    return {k: v for k, v in detail.items() if v}


def _fault_name(exp: _Experiment) -> str:
    if exp.fault:
        try:
            return cat.fault(exp.fault).title
        except KeyError:
            return _clean(exp.fault, 80)
    return f"FIS template {_clean(exp.template_id, 80)}"


def _recovered(
    reading: _Reading, value: float, at: datetime, limit: float, more: str, detail: dict[str, str]
) -> JournalEvent:
    """A gauge back below ``limit``: fully recovered, or (``more`` says) only below its critical line."""
    return JournalEvent(
        at=at,
        kind=RECOVERED,
        source=reading.pane,
        text=_clean(
            f"{reading.label}: {reading.what.removesuffix(' at')} back to {reading.fmt(value)} "
            f"(< {reading.fmt(limit)}){more}",
            TEXT_LIMIT,
        ),
        resource=reading.resource,
        metric=reading.metric,
        value=value,
        limit=limit,
        unit=reading.unit,
        detail=MappingProxyType(detail),
    )


def _fault_started(exp: _Experiment, at: datetime, target_name: str) -> JournalEvent:
    target = f" on {_label(target_name, _clean(exp.target, 120))}" if exp.target else ""
    origin = f" ({_clean(exp.origin, 40)})" if exp.origin else ""
    detail = _fault_detail(exp)
    if target_name:
        detail["target_name"] = _clean(target_name)
    return JournalEvent(
        at=exp.started_at or at,
        kind=FAULT_STARTED,
        source="fis",
        text=_clean(f"fault started: {_fault_name(exp)}{target}{origin}", TEXT_LIMIT),
        resource=_clean(exp.target),
        fault=_clean(exp.fault, 80),
        ref=exp.experiment_id,
        level="warning",
        detail=MappingProxyType(detail),
    )


def _fault_ended(exp: _Experiment, status: str, at: datetime) -> JournalEvent:
    detail = _fault_detail(exp)
    detail["status"] = status
    if exp.reason:
        detail["reason"] = _clean(exp.reason)
    outcome = dict(exp.tags).get(cat.OUTCOME_TAG, "")
    if outcome:
        detail["outcome"] = _clean(outcome)
    said = outcome or exp.reason
    reason = f": {_clean(said, 160)}" if said else ""
    target = f" on {_clean(exp.target, 120)}" if exp.target else ""
    return JournalEvent(
        at=exp.ended_at or at,
        kind=FAULT_ENDED,
        source="fis",
        text=_clean(f"fault {status}: {_fault_name(exp)}{target}{reason}", TEXT_LIMIT),
        resource=_clean(exp.target),
        fault=_clean(exp.fault, 80),
        ref=exp.experiment_id,
        detail=MappingProxyType(detail),
    )
