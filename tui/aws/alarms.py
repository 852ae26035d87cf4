"""The Alarms poller: every metric and composite alarm, the state history of those that changed, and
for an alarm's view its metrics over the last hours.

One cycle per region, regions concurrently: DescribeAlarms for both types (``AlarmTypes``
MetricAlarm and CompositeAlarm), 100 a page, every page. DescribeAlarms has no "changed since"
filter, so every poll lists every alarm (one call per 100 alarms); what can be asked incrementally
is asked so: only an alarm whose ``StateUpdatedTimestamp`` moved since the last poll gets a
DescribeAlarmHistory call, from that moment on and newest first, which also finds the transitions
between two polls (OK -> ALARM -> OK in one interval). An alarm seen for the first time, or whose
state did not change, costs no history call; its earlier history is read once, when its view is
opened (``detail``), and kept. A history call that fails is tried again at the next poll, from the
same moment, at most ``HISTORY_ATTEMPTS`` polls in a row.

``detail`` reads one alarm's metric data over the last ``DETAIL_HOURS`` with one GetMetricData call:
its metric, or each metric of its expression and the expression itself (when CloudWatch cannot
compute the expression, the metrics alone, saying why), and the periods that breached.

A failed API becomes an ``ApiError`` (one per region and API, counting the alarms it failed for);
only when DescribeAlarms fails in every region is the whole poll's ``error`` set.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from tui.aws.alarms_model import (
    COMPOSITE,
    Alarm,
    HistoryItem,
    Query,
    breaches,
    composite_alarm,
    history_item,
    merge_history,
    metric_alarm,
    metric_text,
    period_text,
    query_text,
    sort_key,
)
from tui.aws.clients import ClientFactory
from tui.aws.errors import AwsProblem, classify
from tui.aws.outcome import ApiError, ErrorTally, utcnow
from tui.aws.scope import Answered, FirstCycle, Place, place_of
from tui.common.timefmt import instant

log = logging.getLogger(__name__)

PAGE_SIZE = 100
"""DescribeAlarms' and DescribeAlarmHistory's largest page."""
MAX_PAGES = 1000
HISTORY_PAGES = 3
"""Pages of history one changed alarm may take in a poll (300 entries)."""
HISTORY_KEPT = 50
"""History entries kept per alarm, newest first."""
HISTORY_CONCURRENCY = 8
HISTORY_ATTEMPTS = 3
"""Polls in a row a changed alarm's history is asked for before its gap is given up: a call that
keeps failing (a missing permission, an endpoint without the API) is not made every minute forever."""
DETAIL_HOURS = 3.0

DESCRIBE_ALARMS = "cloudwatch:DescribeAlarms"
DESCRIBE_ALARM_HISTORY = "cloudwatch:DescribeAlarmHistory"
GET_METRIC_DATA = "cloudwatch:GetMetricData"
ALARM_TYPES = ("MetricAlarm", "CompositeAlarm")


@dataclass(frozen=True)
class AlarmsSnapshot:
    fetched_at: datetime
    alarms: tuple[Alarm, ...] = ()
    """ALARM first, then INSUFFICIENT_DATA, then OK; the most recent change first."""
    errors: tuple[ApiError, ...] = ()
    error: AwsProblem | None = None
    history_reads: int = 0
    """DescribeAlarmHistory calls this poll made (one per alarm whose state changed)."""
    calls: dict[str, int] = field(default_factory=dict)
    partial: bool = False
    """Only the places that answered first of a first poll over several (``tui.aws.scope.each_place``)."""


@dataclass(frozen=True)
class ChartSeries:
    """One series of an alarm's chart: its points (epoch seconds, value), oldest first."""

    id: str
    label: str
    points: tuple[tuple[float, float], ...] = ()
    evaluated: bool = False
    """The series the alarm compares with its threshold."""
    problem: str = ""
    title: str = ""
    """A short name for a narrow chart: ``CPUUtilization Average 5m``, ``e1 usage factor``."""


@dataclass(frozen=True)
class AlarmDetail:
    """What an alarm's view shows besides the alarm: its series over the last hours, the times of
    the evaluated series' points that breach the threshold, and its whole history read so far."""

    key: str
    fetched_at: datetime
    hours: float
    series: tuple[ChartSeries, ...] = ()
    breaching: tuple[float, ...] = ()
    history: tuple[HistoryItem, ...] = ()
    problems: tuple[str, ...] = ()


@dataclass
class _RegionResult:
    alarms: list[Alarm] = field(default_factory=list)
    errors: tuple[ApiError, ...] = ()
    listing_problem: AwsProblem | None = None
    history_reads: int = 0


def _constant(expression: str | None) -> bool:
    """An expression that is a number alone (the scaling alarms' shard count, ``s1 = 1``): it feeds
    the other expressions, and GetMetricData refuses to return it as a series of its own."""
    if not expression:
        return False
    try:
        float(expression)
    except ValueError:
        return False
    return True


def query_to_api(query: Query) -> dict[str, Any]:
    """A GetMetricData query for one of an alarm's queries, returning its data (to chart it)."""
    out: dict[str, Any] = {"Id": query.id, "ReturnData": not _constant(query.expression)}
    if query.metric is not None:
        out["MetricStat"] = query.metric.to_api()
    else:
        out["Expression"] = query.expression
        if query.period:
            out["Period"] = query.period
    if query.label:
        out["Label"] = query.label
    if query.account_id:
        out["AccountId"] = query.account_id
    return out


def chart_title(query: Query) -> str:
    """A query's short name: its metric, statistic and period, or its id and label (or expression)."""
    if query.metric is not None:
        return f"{query.id} {query.metric.name} {query.metric.stat} {period_text(query.metric.period)}"
    return f"{query.id} {query.label or query.expression}"


def chart_queries(alarm: Alarm) -> list[tuple[dict[str, Any], str, str, bool]]:
    """(GetMetricData query, label, short title, evaluated) for each series of the alarm's chart."""
    if alarm.kind == COMPOSITE:
        return []
    if alarm.metric is not None:
        query = {"Id": "m1", "MetricStat": alarm.metric.to_api(), "ReturnData": True}
        title = f"{alarm.metric.name} {alarm.metric.stat} {period_text(alarm.metric.period)}"
        return [(query, metric_text(alarm.metric), title, True)]
    evaluated = alarm.evaluated
    return [(query_to_api(q), query_text(q), chart_title(q), q is evaluated) for q in alarm.queries if q.id]


class AlarmsPoller:
    """``poll()`` is one cycle over every region of the factory. It keeps, per alarm, the
    ``StateUpdatedTimestamp`` of the last poll and the history read so far."""

    def __init__(self, factory: ClientFactory, *, clock: Callable[[], datetime] = utcnow) -> None:
        self.factory = factory
        self.clock = clock
        self._seen: dict[str, tuple[str, datetime | None]] = {}
        self._first = FirstCycle()
        """Per alarm key, its region and the StateUpdatedTimestamp up to which its history is read."""
        self._history: dict[str, tuple[HistoryItem, ...]] = {}
        self._full: set[str] = set()
        self._failed: dict[str, int] = {}
        """Per alarm, the polls in a row its history call failed."""
        """Alarms whose whole history was read (their view was opened)."""

    def _classify(self, exc: Exception) -> AwsProblem:
        return classify(exc, profile=self.factory.target.profile)

    async def poll(self, answered: Answered | None = None) -> AlarmsSnapshot:
        """One cycle; ``answered`` hears as places answer (with the alarms read so far, until the
        first whole cycle)."""
        now = self.clock()
        places = self.factory.places
        parts = await self._first.read(
            places,
            lambda place: self._region(place, now),
            answered,
            lambda done, partial: self._snapshot(now, done, partial=partial),
        )
        failed = {pl.key for pl, p in zip(places, parts, strict=True) if p.listing_problem is not None}
        snapshot = self._snapshot(now, parts)
        listed = {a.key for a in snapshot.alarms}
        for key, (where, _) in list(self._seen.items()):
            # A deleted alarm is forgotten; one of a place that failed to list is kept for later.
            if key not in listed and where not in failed:
                self._forget(key)
        return snapshot

    def _snapshot(
        self, now: datetime, parts: list[_RegionResult], *, partial: bool = False
    ) -> AlarmsSnapshot:
        alarms: list[Alarm] = []
        errors: list[ApiError] = []
        for part in parts:
            alarms.extend(part.alarms)
            errors.extend(part.errors)
        listing = [p.listing_problem for p in parts if p.listing_problem is not None]
        error = listing[0] if listing and len(listing) == len(parts) else None
        return AlarmsSnapshot(
            fetched_at=now,
            alarms=tuple(sorted(alarms, key=sort_key)),
            errors=tuple(errors),
            error=error,
            history_reads=sum(p.history_reads for p in parts),
            calls=dict(self.factory.calls),
            partial=partial,
        )

    def _forget(self, key: str) -> None:
        self._failed.pop(key, None)
        self._seen.pop(key, None)
        self._history.pop(key, None)
        self._full.discard(key)

    async def _region(self, place: Place, now: datetime) -> _RegionResult:
        errors = ErrorTally(place.label, "alarms")
        try:
            cloudwatch = await place.client(self.factory, "cloudwatch")
            alarms = await self._describe(cloudwatch, place.region)
        except Exception as exc:  # the region shows its error; other regions carry on
            problem = self._classify(exc)
            errors.add(DESCRIBE_ALARMS, problem)
            return _RegionResult(errors=errors.as_tuple(), listing_problem=problem)
        changed = [
            (alarm, self._seen[alarm.key][1])
            for alarm in alarms
            if alarm.key in self._seen and self._seen[alarm.key][1] != alarm.state_updated_at
        ]
        gate = asyncio.Semaphore(HISTORY_CONCURRENCY)
        read = await asyncio.gather(
            *(self._changes(cloudwatch, alarm, since, now, gate, errors) for alarm, since in changed)
        )
        done = set()
        for (alarm, _), ok in zip(changed, read, strict=True):
            failures = 0 if ok else self._failed.get(alarm.key, 0) + 1
            if ok or failures >= HISTORY_ATTEMPTS:
                # Read, or given up: the next poll asks only for what comes after this state.
                done.add(alarm.key)
                self._failed.pop(alarm.key, None)
            else:
                self._failed[alarm.key] = failures
        for alarm in alarms:
            if alarm.key not in self._seen or alarm.key in done:
                self._seen[alarm.key] = (place.key, alarm.state_updated_at)
        return _RegionResult(
            alarms=[a.with_history(self._history.get(a.key, ())) for a in alarms],
            errors=errors.as_tuple(),
            history_reads=len(changed),
        )

    async def _describe(self, cloudwatch: Any, region: str) -> list[Alarm]:
        """Every alarm of the region, both types, page by page."""
        found: dict[str, Alarm] = {}
        params: dict[str, Any] = {"AlarmTypes": list(ALARM_TYPES), "MaxRecords": PAGE_SIZE}
        for _ in range(MAX_PAGES):
            reply = await cloudwatch.describe_alarms(**params)
            for raw in reply.get("MetricAlarms") or ():
                alarm = metric_alarm(raw, region)
                if alarm.name:
                    found[alarm.key] = alarm
            for raw in reply.get("CompositeAlarms") or ():
                alarm = composite_alarm(raw, region)
                if alarm.name:
                    found[alarm.key] = alarm
            token = reply.get("NextToken")
            if not token:
                break
            params = {"AlarmTypes": list(ALARM_TYPES), "MaxRecords": PAGE_SIZE, "NextToken": token}
        return list(found.values())

    async def _history_pages(
        self, cloudwatch: Any, alarm: Alarm, *, since: datetime | None, end: datetime | None, pages: int
    ) -> list[HistoryItem]:
        """The alarm's history, newest first, from ``since`` (all of it when None), at most
        ``pages`` pages."""
        params: dict[str, Any] = {
            "AlarmName": alarm.name,
            "AlarmTypes": ["CompositeAlarm" if alarm.kind == COMPOSITE else "MetricAlarm"],
            "ScanBy": "TimestampDescending",
            "MaxRecords": PAGE_SIZE,
        }
        if since is not None:
            params["StartDate"] = since
        if end is not None:
            params["EndDate"] = end
        items: list[HistoryItem] = []
        for _ in range(pages):
            reply = await cloudwatch.describe_alarm_history(**params)
            for raw in reply.get("AlarmHistoryItems") or ():
                if isinstance(raw, Mapping):
                    item = history_item(raw)
                    if item is not None:
                        items.append(item)
            token = reply.get("NextToken")
            if not token:
                break
            params["NextToken"] = token
        return items

    async def _changes(
        self,
        cloudwatch: Any,
        alarm: Alarm,
        since: datetime | None,
        now: datetime,
        gate: asyncio.Semaphore,
        errors: ErrorTally,
    ) -> bool:
        """Read what the alarm's history gained since the last poll; False when the call failed."""
        try:
            async with gate:
                items = await self._history_pages(
                    cloudwatch, alarm, since=since, end=None, pages=HISTORY_PAGES
                )
        except Exception as exc:  # the state shows; its history is read again next poll
            errors.add(DESCRIBE_ALARM_HISTORY, self._classify(exc))
            return False
        self._history[alarm.key] = merge_history(items, self._history.get(alarm.key, ()), HISTORY_KEPT)
        return True

    # -- one alarm's view ---------------------------------------------------------------------

    async def detail(self, alarm: Alarm, *, hours: float = DETAIL_HOURS) -> AlarmDetail:
        """The alarm's series over the last ``hours`` and its history (read whole once)."""
        now = self.clock()
        cloudwatch = await place_of(self.factory.places, alarm.region, alarm.account_id).client(
            self.factory, "cloudwatch"
        )
        (series, breaching, problems), (history, history_problem) = await asyncio.gather(
            self._chart(cloudwatch, alarm, now, hours), self._whole_history(cloudwatch, alarm)
        )
        if history_problem:
            problems = (*problems, f"history unknown: {history_problem}")
        return AlarmDetail(
            key=alarm.key,
            fetched_at=now,
            hours=hours,
            series=series,
            breaching=breaching,
            history=history,
            problems=problems,
        )

    async def _whole_history(self, cloudwatch: Any, alarm: Alarm) -> tuple[tuple[HistoryItem, ...], str]:
        key = alarm.key
        if key in self._full:
            return self._history.get(key, ()), ""
        try:
            items = await self._history_pages(cloudwatch, alarm, since=None, end=None, pages=1)
        except Exception as exc:  # the chart still shows; the view says why the history is missing
            return self._history.get(key, ()), self._classify(exc).message
        merged = merge_history(items, self._history.get(key, ()), HISTORY_KEPT)
        self._history[key] = merged
        self._full.add(key)
        return merged, ""

    async def _chart(
        self, cloudwatch: Any, alarm: Alarm, now: datetime, hours: float
    ) -> tuple[tuple[ChartSeries, ...], tuple[float, ...], tuple[str, ...]]:
        planned = chart_queries(alarm)
        if not planned:
            return (), (), ()
        periods = [_period(q) for q, _, _, _ in planned]
        grid = math.lcm(*(p for p in periods if p)) if any(periods) else 60
        start_s = (now - timedelta(hours=hours)).timestamp()
        start = datetime.fromtimestamp(start_s - start_s % grid, now.tzinfo)
        problems: list[str] = []
        queries = [q for q, _, _, _ in planned]
        try:
            results, messages = await self._metric_data(cloudwatch, queries, start, now)
        except ClientError as exc:
            has_math = any("Expression" in q for q in queries)
            if not has_math:
                return (), (), (f"metrics unknown: {self._classify(exc).message}",)
            problems.append(f"the expression could not be computed: {self._classify(exc).message}")
            queries = [q for q in queries if "MetricStat" in q]
            try:
                results, messages = await self._metric_data(cloudwatch, queries, start, now)
            except Exception as again:  # the view says why it has no chart
                return (), (), (*problems, f"metrics unknown: {self._classify(again).message}")
        except Exception as exc:  # the view says why it has no chart
            return (), (), (f"metrics unknown: {self._classify(exc).message}",)
        problems.extend(messages)
        series: list[ChartSeries] = []
        breaching: tuple[float, ...] = ()
        for query, label, title, evaluated in planned:
            if not query.get("ReturnData", True):
                continue  # a constant: no series of its own
            qid = str(query["Id"])
            found = results.get(qid)
            problem = "" if found is not None else "not computed"
            points = tuple(sorted(found or ()))
            series.append(ChartSeries(qid, label, points, evaluated, problem, title))
            if evaluated:
                breaching = tuple(
                    ts for ts, value in points if breaches(value, alarm.comparison, alarm.threshold)
                )
        return tuple(series), breaching, tuple(problems)

    async def _metric_data(
        self, cloudwatch: Any, queries: Sequence[Mapping[str, Any]], start: datetime, end: datetime
    ) -> tuple[dict[str, list[tuple[float, float]]], list[str]]:
        params: dict[str, Any] = {
            "MetricDataQueries": list(queries),
            "StartTime": start,
            "EndTime": end,
            "ScanBy": "TimestampAscending",
        }
        results: dict[str, list[tuple[float, float]]] = {}
        messages: list[str] = []
        for _ in range(MAX_PAGES):
            reply = await cloudwatch.get_metric_data(**params)
            for result in reply.get("MetricDataResults") or ():
                qid = str(result.get("Id") or "")
                points = results.setdefault(qid, [])
                for stamp, value in zip(
                    result.get("Timestamps") or (), result.get("Values") or (), strict=False
                ):
                    moment = instant(stamp)
                    if moment is not None and isinstance(value, int | float) and math.isfinite(value):
                        points.append((moment.timestamp(), float(value)))
                for message in result.get("Messages") or ():
                    messages.append(f"{qid}: {message.get('Value') or message.get('Code')}")
            for message in reply.get("Messages") or ():
                messages.append(str(message.get("Value") or message.get("Code") or message))
            token = reply.get("NextToken")
            if not token:
                break
            params["NextToken"] = token
        return results, messages


def _period(query: Mapping[str, Any]) -> int:
    stat = query.get("MetricStat")
    if isinstance(stat, Mapping) and isinstance(stat.get("Period"), int):
        return int(stat["Period"])
    period = query.get("Period")
    return int(period) if isinstance(period, int) else 0


async def poll(factory: ClientFactory) -> AlarmsSnapshot:
    """One cycle with a fresh poller (``warroom snapshot alarms``)."""
    return await AlarmsPoller(factory).poll()
