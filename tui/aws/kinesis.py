"""The Kinesis poller: every stream's write usage, how far behind its readers are, and what to do.

One cycle per region, regions concurrently: ListStreams (paginated), then per stream and at once
DescribeStreamSummary, ListStreamConsumers (the enhanced fan-out consumers) and Lambda
ListEventSourceMappings (functions polling the stream by its ARN; a function's name is read from
its ARN), then ONE GetMetricData call (per 500 queries) for the last hour of every stream's,
consumer's and function's one-minute metrics. Rates are the latest complete minute's Sum / 60.
The scaling advice reads its own points, as the aws-samples/kinesis-auto-scaling alarms do: a
second GetMetricData call asks for IncomingBytes and IncomingRecords (Sum) and
GetRecords.IteratorAgeMilliseconds (Maximum) at Period 300 over the rule's longest window, from a
StartTime on a 5-minute boundary, so CloudWatch returns the 5-minute points the rule counts.

A stream's iterator age is the oldest of GetRecords.IteratorAgeMilliseconds (shared-throughput
readers, Lambda included) and its EFO consumers' SubscribeToShardEvent.MillisBehindLatest;
``iterator_age_source`` names which. The usage factor uses the stream's current open shard
count for every minute of the hour. A failing API becomes an ``ApiError`` (one per region and
API, counting the streams it failed for) and the values it would have fed stay unknown (None),
with the reason in the stream's ``reasons``.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from tui.aws.clients import ClientFactory
from tui.aws.errors import AwsProblem, classify
from tui.aws.kinesis_math import (
    DEFAULT_BLOCK_MINUTES,
    AdvicePoint,
    ScalingRule,
    advice,
    age_level,
    is_stalled,
    lag_growth,
    project,
    retention_fraction,
    stalled_growth,
    throttled_share,
    usage_factor,
    usage_level,
)
from tui.aws.metrics import MetricBatch, MetricQuery, Series, get_metric_data, linked_accounts
from tui.aws.outcome import ApiError, ErrorTally, utcnow
from tui.aws.scope import Answered, FirstCycle, Place, metrics_via

log = logging.getLogger(__name__)

LINKS_REFRESH_S = 600.0
"""How often a poller reads which accounts the monitoring account is linked to again."""

PERIOD_S = 60
WINDOW_S = 3600.0
LIST_LIMIT = 100
MAX_LIST_PAGES = 1000
# Describe calls in flight per region (the rate limiter paces them further).
DESCRIBE_CONCURRENCY = 16

KINESIS = "AWS/Kinesis"
LAMBDA = "AWS/Lambda"
BYTES = "IncomingBytes"
RECORDS = "IncomingRecords"
ITERATOR_AGE = "GetRecords.IteratorAgeMilliseconds"
WRITE_THROTTLED = "WriteProvisionedThroughputExceeded"
READ_THROTTLED = "ReadProvisionedThroughputExceeded"
PUT_THROTTLED = "PutRecords.ThrottledRecords"
PUT_FAILED = "PutRecords.FailedRecords"
GET_SUCCESS = "GetRecords.Success"
MILLIS_BEHIND = "SubscribeToShardEvent.MillisBehindLatest"
STREAM_METRICS: tuple[tuple[str, str], ...] = (
    (BYTES, "Sum"),
    (RECORDS, "Sum"),
    (ITERATOR_AGE, "Maximum"),
    (WRITE_THROTTLED, "Sum"),
    (READ_THROTTLED, "Sum"),
    (PUT_THROTTLED, "Sum"),
    (PUT_FAILED, "Sum"),
    (GET_SUCCESS, "Sum"),
)
LAMBDA_METRICS: tuple[tuple[str, str], ...] = (
    ("IteratorAge", "Maximum"),
    ("Errors", "Sum"),
    ("Duration", "Average"),
    ("ConcurrentExecutions", "Maximum"),
)
UNKNOWN = "UNKNOWN"


# ---------------------------------------------------------------------------------------------
# Snapshot
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ConsumerView:
    """A registered (enhanced fan-out) consumer and how far behind the stream's tip it reads."""

    name: str
    arn: str
    status: str
    efo: bool = True
    millis_behind_ms: float | None = None


@dataclass(frozen=True)
class LambdaView:
    """A Lambda event source mapping on the stream, with its function's latest minute."""

    function_name: str
    uuid: str
    state: str
    batch_size: int | None
    iterator_age_ms: float | None = None
    errors: float | None = None
    duration_ms: float | None = None
    concurrent_executions: float | None = None


@dataclass(frozen=True)
class ReaderLag:
    """One reader of the stream and how far behind it is, from its own metric: an enhanced fan-out
    consumer's SubscribeToShardEvent.MillisBehindLatest, a Lambda mapping's function IteratorAge, or
    the shared-throughput readers' GetRecords.IteratorAgeMilliseconds. ``behind_ms`` is the latest
    complete minute's Maximum; None is unknown, with ``reason``. ``growth_ms_per_s`` is how fast
    that lag grows (``kinesis_math.lag_growth`` over the same points; None with too few) and
    ``stalled`` says the reader has stopped making progress (``kinesis_math.is_stalled``)."""

    name: str
    kind: str  # "enhanced fan-out" | "Lambda" | "GetRecords"
    metric: str
    behind_ms: float | None
    reason: str = ""
    growth_ms_per_s: float | None = None
    stalled: bool = False


@dataclass(frozen=True)
class StreamHistory:
    """The last hour, one point a minute, oldest first: (epoch seconds, value)."""

    iterator_age: tuple[tuple[float, float], ...] = ()
    usage_factor: tuple[tuple[float, float], ...] = ()
    write_throttled: tuple[tuple[float, float], ...] = ()
    read_throttled: tuple[tuple[float, float], ...] = ()


@dataclass(frozen=True)
class StreamView:
    """One stream. Counts (throttled, failed, success) are the latest complete minute's sums;
    rates are per second over that minute; None is unknown, never 0."""

    region: str
    stream_name: str
    stream_arn: str
    mode: str  # "PROVISIONED" | "ON_DEMAND" | "UNKNOWN"
    status: str  # "ACTIVE" | "CREATING" | "UPDATING" | "DELETING" | "UNKNOWN"
    open_shards: int | None
    retention_hours: int | None
    consumers: tuple[ConsumerView, ...] = ()
    consumer_count: int | None = None
    efo_count: int | None = None
    incoming_bytes_per_s: float | None = None
    incoming_records_per_s: float | None = None
    usage_factor: float | None = None
    usage_driver: str | None = None  # "bytes" | "records"
    iterator_age_ms: float | None = None
    iterator_age_source: str | None = None  # ITERATOR_AGE or "consumer:<name>"
    iterator_age_retention_fraction: float | None = None
    iterator_age_slope_ms_per_s: float | None = None
    iterator_age_trend: str = "unknown"  # "rising" | "falling" | "flat" | "unknown"
    time_to_risk_s: float | None = None
    time_to_loss_s: float | None = None
    time_to_catch_up_s: float | None = None
    write_throttled: float | None = None
    read_throttled: float | None = None
    put_records_throttled: float | None = None
    put_records_failed: float | None = None
    get_records_success: float | None = None
    advice: str = "hold"  # "scale_up" | "scale_down" | "hold"
    advice_reason: str = ""
    age_level: str = "unknown"
    usage_level: str = "unknown"
    lambdas: tuple[LambdaView, ...] = ()
    readers: tuple[ReaderLag, ...] = ()
    """Every reader with its own lag, worst first; unknown ones last."""
    history: StreamHistory = field(default_factory=StreamHistory)
    reasons: tuple[str, ...] = ()
    account_id: str = ""
    """The account it belongs to ("" for the credential's own account, before its id is known)."""


@dataclass(frozen=True)
class KinesisSnapshot:
    fetched_at: datetime
    period_s: int = PERIOD_S
    streams: tuple[StreamView, ...] = ()
    errors: tuple[ApiError, ...] = ()
    error: AwsProblem | None = None
    queries: int = 0
    calls: dict[str, int] = field(default_factory=dict)
    partial: bool = False
    """Only the places that answered first of a first poll over several (``tui.aws.scope.each_place``)."""


# ---------------------------------------------------------------------------------------------
# What the describe calls returned
# ---------------------------------------------------------------------------------------------


@dataclass
class _Stream:
    name: str
    arn: str = ""
    mode: str = UNKNOWN
    status: str = UNKNOWN
    open_shards: int | None = None
    retention_hours: int | None = None
    summary_consumers: int | None = None
    consumers: list[dict[str, Any]] | None = None
    mappings: list[dict[str, Any]] | None = None
    reasons: list[str] = field(default_factory=list)


@dataclass
class _RegionResult:
    streams: list[StreamView] = field(default_factory=list)
    errors: tuple[ApiError, ...] = ()
    listing_problem: AwsProblem | None = None
    queries: int = 0


def _function_name(function_arn: str) -> str:
    """``arn:aws:lambda:region:account:function:NAME[:qualifier]`` -> NAME (a bare name stays)."""
    parts = function_arn.split(":")
    return parts[6] if len(parts) >= 7 and parts[5] == "function" else function_arn


def _int(value: Any) -> int | None:
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


# ---------------------------------------------------------------------------------------------
# Metric arithmetic over one batch
# ---------------------------------------------------------------------------------------------


def _complete(series: Series | None, now_ts: float) -> list[tuple[float, float]]:
    """The series' complete minutes of the last hour, oldest first."""
    if series is None:
        return []
    first = now_ts - WINDOW_S
    points = [
        (float(ts), float(value))
        for ts, value in zip(series.timestamps, series.values, strict=False)
        if first <= ts and ts + PERIOD_S <= now_ts
    ]
    points.sort()
    return points


def _last(points: list[tuple[float, float]]) -> float | None:
    return points[-1][1] if points else None


class _Reader:
    def __init__(self, batch: MetricBatch, now_ts: float) -> None:
        self.batch = batch
        self.now_ts = now_ts

    def points(self, key: str) -> list[tuple[float, float]]:
        return _complete(self.batch.series.get(key), self.now_ts)

    def latest(self, key: str) -> float | None:
        return _last(self.points(key))


def _stream_key(stream: str, metric: str) -> str:
    return f"s|{stream}|{metric}"


def _consumer_key(stream: str, consumer: str) -> str:
    return f"c|{stream}|{consumer}"


def _function_key(function: str, metric: str) -> str:
    return f"f|{function}|{metric}"


def _advice_key(stream: str, metric: str) -> str:
    return f"a|{stream}|{metric}"


ADVICE_METRICS: tuple[tuple[str, str], ...] = ((BYTES, "Sum"), (RECORDS, "Sum"), (ITERATOR_AGE, "Maximum"))


def _advice_queries(streams: Iterable[_Stream], period_s: int) -> list[MetricQuery]:
    """The rule's 5-minute series: the reference's three (kinesis_scaling_cf.yaml, m1..m3), and each
    enhanced fan-out consumer's MillisBehindLatest, which the reference does not read: GetRecords'
    age misses a consumer that reads by SubscribeToShard, and halving the shards under a consumer
    that is far behind is what the age term is there to prevent."""
    queries: list[MetricQuery] = []
    for stream in streams:
        if stream.mode == "ON_DEMAND":
            continue
        dims = (("StreamName", stream.name),)
        for metric, stat in ADVICE_METRICS:
            queries.append(
                MetricQuery(_advice_key(stream.name, metric), KINESIS, metric, dims, stat, period_s)
            )
        queries.extend(_behind_queries(stream, period_s, _advice_behind_key))
    return queries


def _advice_behind_key(stream_name: str, consumer_name: str) -> str:
    return _advice_key(stream_name, f"{MILLIS_BEHIND}|{consumer_name}")


def _behind_queries(stream: _Stream, period_s: int, key: Callable[[str, str], str]) -> list[MetricQuery]:
    """Each enhanced fan-out consumer's MillisBehindLatest (Maximum) at ``period_s``, keyed by
    ``key(stream name, consumer name)``."""
    out: list[MetricQuery] = []
    for consumer in stream.consumers or ():
        name = str(consumer.get("ConsumerName") or "")
        if name:
            dims = (("StreamName", stream.name), ("ConsumerName", name))
            out.append(MetricQuery(key(stream.name, name), KINESIS, MILLIS_BEHIND, dims, "Maximum", period_s))
    return out


def _advice_points(
    batch: MetricBatch, stream: _Stream, rule: ScalingRule, now_ts: float
) -> list[AdvicePoint]:
    """The rule's evaluation points, oldest first: every period that ended by ``now_ts`` from the
    first one with a write point on. A period with no IncomingBytes/IncomingRecords point in between
    counts as no writes (the reference's FILL(m, 0)); one without an age point as age unknown."""
    period = rule.period_s

    def points(metric: str) -> dict[float, float]:
        series = batch.series.get(_advice_key(stream.name, metric))
        if series is None:
            return {}
        return {
            float(ts) - float(ts) % period: float(value)
            for ts, value in zip(series.timestamps, series.values, strict=False)
            if float(ts) - float(ts) % period + period <= now_ts
        }

    written_bytes, written_records, ages = points(BYTES), points(RECORDS), points(ITERATOR_AGE)
    for consumer in stream.consumers or ():
        for ts, behind in points(f"{MILLIS_BEHIND}|{consumer.get('ConsumerName') or ''}").items():
            ages[ts] = max(behind, ages.get(ts, behind))
    starts = written_bytes.keys() | written_records.keys()
    if not starts or stream.open_shards is None:
        return []
    last = (now_ts - now_ts % period) - period
    first = max(min(starts), last - (max(rule.up_window, rule.down_window) - 1) * period)
    out: list[AdvicePoint] = []
    ts = first
    while ts <= last:
        usage, driver = usage_factor(
            written_bytes.get(ts, 0.0), written_records.get(ts, 0.0), period, stream.open_shards
        )
        out.append(AdvicePoint(ts, usage, ages.get(ts), driver))
        ts += period
    return out


def _queries(streams: Iterable[_Stream]) -> list[MetricQuery]:
    queries: list[MetricQuery] = []
    functions: set[str] = set()
    for stream in streams:
        dims = (("StreamName", stream.name),)
        for metric, stat in STREAM_METRICS:
            queries.append(
                MetricQuery(_stream_key(stream.name, metric), KINESIS, metric, dims, stat, PERIOD_S)
            )
        queries.extend(_behind_queries(stream, PERIOD_S, _consumer_key))
        for mapping in stream.mappings or ():
            functions.add(_function_name(str(mapping.get("FunctionArn") or "")))
    for function in sorted(f for f in functions if f):
        for metric, stat in LAMBDA_METRICS:
            queries.append(
                MetricQuery(
                    _function_key(function, metric),
                    LAMBDA,
                    metric,
                    (("FunctionName", function),),
                    stat,
                    PERIOD_S,
                )
            )
    return queries


# ---------------------------------------------------------------------------------------------
# The poller
# ---------------------------------------------------------------------------------------------


class KinesisPoller:
    """``poll()`` is one cycle; every cycle reads the full last hour (one GetMetricData call a
    region for fewer than 500 queries), so the poller keeps no history of its own."""

    def __init__(
        self,
        factory: ClientFactory,
        *,
        block_minutes: float = DEFAULT_BLOCK_MINUTES,
        rule: ScalingRule | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        """``rule`` sets the scaling thresholds and windows; without it the reference's defaults
        with ``block_minutes``."""
        if block_minutes <= 0:
            raise ValueError(f"block_minutes must be positive, not {block_minutes!r}")
        self.factory = factory
        self.rule = rule if rule is not None else ScalingRule(block_minutes=block_minutes)
        self.block_minutes = self.rule.block_minutes
        self.clock = clock
        self.linked: dict[str, frozenset[str]] = {}
        """Per region, the accounts whose metrics the credential's own account reads as a CloudWatch
        monitoring account (``tui.aws.metrics.linked_accounts``)."""
        self._links_read = float("-inf")
        self._first = FirstCycle()

    async def poll(self, answered: Answered | None = None) -> KinesisSnapshot:
        """One cycle; ``answered`` hears as places answer (with the streams read so far, until the
        first whole cycle)."""
        now = self.clock()
        places = self.factory.places
        moment = time.monotonic()
        if any(not p.home for p in places) and moment - self._links_read >= LINKS_REFRESH_S:
            self.linked = await linked_accounts(self.factory, (p.region for p in places))
            self._links_read = moment
        parts = await self._first.read(
            places,
            lambda place: self._region(place, now),
            answered,
            lambda done, partial: self._snapshot(now, done, partial=partial),
        )
        return self._snapshot(now, parts)

    def _snapshot(
        self, now: datetime, parts: list[_RegionResult], *, partial: bool = False
    ) -> KinesisSnapshot:
        streams: list[StreamView] = []
        errors: list[ApiError] = []
        for part in parts:
            streams.extend(part.streams)
            errors.extend(part.errors)
        listing = [p.listing_problem for p in parts if p.listing_problem is not None]
        error = listing[0] if listing and len(listing) == len(parts) else None
        return KinesisSnapshot(
            fetched_at=now,
            period_s=PERIOD_S,
            streams=tuple(streams),
            errors=tuple(errors),
            error=error,
            queries=sum(p.queries for p in parts),
            calls=dict(self.factory.calls),
            partial=partial,
        )

    # -- inventory --------------------------------------------------------------------------

    def _classify(self, exc: Exception) -> AwsProblem:
        return classify(exc, profile=self.factory.target.profile)

    async def _list_streams(self, kinesis: Any) -> list[_Stream]:
        """ListStreams page by page: NextToken when the service gives one, else the last name
        (ExclusiveStartStreamName). Summaries fill in ARN, status and mode when present."""
        found: dict[str, _Stream] = {}
        params: dict[str, Any] = {"Limit": LIST_LIMIT}
        for _ in range(MAX_LIST_PAGES):
            reply = await kinesis.list_streams(**params)
            names = [str(n) for n in reply.get("StreamNames") or ()]
            added = 0
            for name in names:
                if name not in found:
                    found[name] = _Stream(name)
                    added += 1
            for summary in reply.get("StreamSummaries") or ():
                name = str(summary.get("StreamName") or "")
                if not name:
                    continue
                stream = found.get(name)
                if stream is None:
                    stream = found[name] = _Stream(name)
                    added += 1
                stream.arn = str(summary.get("StreamARN") or stream.arn)
                stream.status = str(summary.get("StreamStatus") or stream.status)
                stream.mode = str((summary.get("StreamModeDetails") or {}).get("StreamMode") or stream.mode)
            token = reply.get("NextToken")
            if not reply.get("HasMoreStreams") or not added:
                break
            if token:
                params = {"NextToken": token, "Limit": LIST_LIMIT}
            elif names:
                params = {"ExclusiveStartStreamName": names[-1], "Limit": LIST_LIMIT}
            else:
                break
        return sorted(found.values(), key=lambda s: s.name)

    async def _describe(
        self, kinesis: Any, stream: _Stream, gate: asyncio.Semaphore, errors: ErrorTally
    ) -> None:
        try:
            async with gate:
                reply = await kinesis.describe_stream_summary(StreamName=stream.name)
        except Exception as exc:  # the stream stays listed, its shape unknown
            problem = self._classify(exc)
            errors.add("kinesis:DescribeStreamSummary", problem)
            stream.reasons.append(f"shard count and retention unknown: {problem.message}")
            return
        summary = reply.get("StreamDescriptionSummary") or {}
        stream.arn = str(summary.get("StreamARN") or stream.arn)
        stream.status = str(summary.get("StreamStatus") or stream.status)
        stream.mode = str((summary.get("StreamModeDetails") or {}).get("StreamMode") or stream.mode)
        stream.open_shards = _int(summary.get("OpenShardCount"))
        stream.retention_hours = _int(summary.get("RetentionPeriodHours"))
        stream.summary_consumers = _int(summary.get("ConsumerCount"))

    async def _consumers(
        self, kinesis: Any, stream: _Stream, gate: asyncio.Semaphore, errors: ErrorTally
    ) -> None:
        if not stream.arn:
            stream.reasons.append("consumers unknown: the stream's ARN is unknown")
            return
        found: list[dict[str, Any]] = []
        try:
            async with gate:
                async for page in kinesis.get_paginator("list_stream_consumers").paginate(
                    StreamARN=stream.arn
                ):
                    found.extend(page.get("Consumers") or ())
        except Exception as exc:  # the age falls back to GetRecords alone
            problem = self._classify(exc)
            errors.add("kinesis:ListStreamConsumers", problem)
            stream.reasons.append(f"enhanced fan-out consumers unknown: {problem.message}")
            return
        stream.consumers = found

    async def _mappings(
        self, place: Place, stream: _Stream, gate: asyncio.Semaphore, errors: ErrorTally
    ) -> None:
        if not stream.arn:
            stream.reasons.append("Lambda consumers unknown: the stream's ARN is unknown")
            return
        found: list[dict[str, Any]] = []
        try:
            client = await place.client(self.factory, "lambda")
            async with gate:
                paginator = client.get_paginator("list_event_source_mappings")
                async for page in paginator.paginate(EventSourceArn=stream.arn):
                    found.extend(page.get("EventSourceMappings") or ())
        except Exception as exc:  # the stream's other readers still show
            problem = self._classify(exc)
            errors.add("lambda:ListEventSourceMappings", problem)
            stream.reasons.append(f"Lambda consumers unknown: {problem.message}")
            return
        stream.mappings = found

    async def _inventory(
        self, place: Place, kinesis: Any, stream: _Stream, gate: asyncio.Semaphore, errors: ErrorTally
    ) -> None:
        if stream.arn:
            await asyncio.gather(
                self._describe(kinesis, stream, gate, errors),
                self._consumers(kinesis, stream, gate, errors),
                self._mappings(place, stream, gate, errors),
            )
            return
        await self._describe(kinesis, stream, gate, errors)
        await asyncio.gather(
            self._consumers(kinesis, stream, gate, errors), self._mappings(place, stream, gate, errors)
        )

    # -- one region -------------------------------------------------------------------------

    async def _region(self, place: Place, now: datetime) -> _RegionResult:
        errors = ErrorTally(place.label, "streams")
        try:
            kinesis = await place.client(self.factory, "kinesis")
            streams = await self._list_streams(kinesis)
        except Exception as exc:  # the region shows its error; other regions carry on
            problem = self._classify(exc)
            errors.add("kinesis:ListStreams", problem)
            return _RegionResult(errors=errors.as_tuple(), listing_problem=problem)
        gate = asyncio.Semaphore(DESCRIBE_CONCURRENCY)
        await asyncio.gather(*(self._inventory(place, kinesis, s, gate, errors) for s in streams))
        queries = _queries(streams)
        advice_queries = _advice_queries(streams, self.rule.period_s)
        now_ts = now.timestamp()
        period = self.rule.period_s
        advice_start = now - timedelta(seconds=self.rule.history_s + period + now_ts % period)
        (batch, metrics_problem), (advice_batch, advice_problem) = await asyncio.gather(
            self._metrics(place, queries, now - timedelta(seconds=WINDOW_S), now, errors),
            self._metrics(place, advice_queries, advice_start, now, errors),
        )
        reader = _Reader(batch, now_ts)
        views = [
            self._view(
                place,
                s,
                reader,
                metrics_problem,
                _advice_points(advice_batch, s, self.rule, now_ts),
                advice_problem,
            )
            for s in streams
        ]
        return _RegionResult(
            streams=views, errors=errors.as_tuple(), queries=len(queries) + len(advice_queries)
        )

    async def _metrics(
        self, place: Place, queries: list[MetricQuery], start: datetime, end: datetime, errors: ErrorTally
    ) -> tuple[MetricBatch, str]:
        """One GetMetricData batch, and the problem's message when it failed (every value it
        would have fed is then unknown, and says why)."""
        if not queries:
            return MetricBatch(), ""
        via = metrics_via(place, self.linked)
        if via is not place:
            # Through the monitoring account: each query names the account its metric is in.
            queries = [dataclasses.replace(q, account_id=place.account_id) for q in queries]
        try:
            batch = await get_metric_data(
                self.factory, via.region, queries, start, end, role_arn=via.role_arn
            )
        except Exception as exc:
            problem = self._classify(exc)
            errors.add("cloudwatch:GetMetricData", problem)
            return MetricBatch(), problem.message
        for message in batch.messages:
            log.debug("GetMetricData in %s said: %s", place.label, message)
        return batch, ""

    # -- derivation ---------------------------------------------------------------------------

    def _view(
        self,
        place: Place,
        stream: _Stream,
        reader: _Reader,
        metrics_problem: str,
        advice_points: list[AdvicePoint],
        advice_problem: str,
    ) -> StreamView:
        name = stream.name
        reasons = list(stream.reasons)
        if metrics_problem:
            reasons.append(f"metrics unknown: {metrics_problem}")
        if stream.status != "ACTIVE":
            if stream.status == UNKNOWN:
                reasons.append("stream status unknown")
            else:
                reasons.append(f"stream is {stream.status}, not ACTIVE")

        # Writes.
        bytes_points = dict(reader.points(_stream_key(name, BYTES)))
        records_points = dict(reader.points(_stream_key(name, RECORDS)))
        last_bytes = _last(sorted(bytes_points.items()))
        last_records = _last(sorted(records_points.items()))
        usage_history: list[tuple[float, float]] = []
        usage: float | None = None
        driver: str | None = None
        for ts in sorted(bytes_points.keys() & records_points.keys()):
            value, which = usage_factor(bytes_points[ts], records_points[ts], PERIOD_S, stream.open_shards)
            if value is not None:
                usage_history.append((ts, value))
                usage, driver = value, which
        why_unknown = ""
        if usage is None:
            if stream.open_shards is None:
                why_unknown = "open shard count unknown"
            elif metrics_problem:
                why_unknown = f"GetMetricData failed: {metrics_problem}"
            elif stream.open_shards <= 0:
                why_unknown = "the stream has no open shards"
            else:
                why_unknown = f"no {BYTES}/{RECORDS} datapoints in the last hour"
            reasons.append(f"usage unknown: {why_unknown}")

        # Readers.
        consumers: list[ConsumerView] = []
        ages: dict[float, float] = {}
        current: list[tuple[float, str]] = []
        getrecords = reader.points(_stream_key(name, ITERATOR_AGE))
        for ts, value in getrecords:
            ages[ts] = max(value, ages.get(ts, value))
        if getrecords:
            current.append((getrecords[-1][1], ITERATOR_AGE))
        for consumer in stream.consumers or ():
            cname = str(consumer.get("ConsumerName") or "")
            behind = reader.points(_consumer_key(name, cname)) if cname else []
            for ts, value in behind:
                ages[ts] = max(value, ages.get(ts, value))
            if behind:
                current.append((behind[-1][1], f"consumer:{cname}"))
            consumers.append(
                ConsumerView(
                    name=cname,
                    arn=str(consumer.get("ConsumerARN") or ""),
                    status=str(consumer.get("ConsumerStatus") or UNKNOWN),
                    efo=True,
                    millis_behind_ms=_last(behind),
                )
            )
        age_ms: float | None = None
        age_source: str | None = None
        if current:
            age_ms, age_source = max(current, key=lambda c: c[0])
        age_history = tuple(sorted(ages.items()))
        fraction = retention_fraction(age_ms, stream.retention_hours)
        projection = project(age_history, stream.retention_hours)

        lambdas = tuple(self._lambda_view(m, reader) for m in stream.mappings or ())

        if advice_problem:
            advice_unknown = f"GetMetricData failed: {advice_problem}"
        elif stream.open_shards is None:
            advice_unknown = "open shard count unknown"
        else:
            advice_unknown = f"no {BYTES}/{RECORDS} datapoints in the last {self.rule.history_s // 3600} h"
        verdict, reason = advice(
            advice_points,
            mode=stream.mode,
            rule=self.rule,
            shards=stream.open_shards,
            unknown_reason=advice_unknown,
        )
        readers = self._readers(stream, consumers, lambdas, getrecords, reader, metrics_problem)
        if stream.status != "ACTIVE" and stream.mode != "ON_DEMAND":
            verdict = "hold"
            reason = f"stream is {stream.status}: the shard count can change only when it is ACTIVE"

        if stream.consumers is not None:
            consumer_count: int | None = len(stream.consumers)
            efo_count: int | None = len(stream.consumers)
        else:
            consumer_count, efo_count = stream.summary_consumers, None

        return StreamView(
            region=place.region,
            account_id=place.account_id,
            stream_name=name,
            stream_arn=stream.arn,
            mode=stream.mode,
            status=stream.status,
            open_shards=stream.open_shards,
            retention_hours=stream.retention_hours,
            consumers=tuple(consumers),
            consumer_count=consumer_count,
            efo_count=efo_count,
            incoming_bytes_per_s=None if last_bytes is None else last_bytes / PERIOD_S,
            incoming_records_per_s=None if last_records is None else last_records / PERIOD_S,
            usage_factor=usage,
            usage_driver=driver,
            iterator_age_ms=age_ms,
            iterator_age_source=age_source,
            iterator_age_retention_fraction=fraction,
            iterator_age_slope_ms_per_s=projection.slope_ms_per_s,
            iterator_age_trend=projection.trend,
            time_to_risk_s=projection.time_to_risk_s,
            time_to_loss_s=projection.time_to_loss_s,
            time_to_catch_up_s=projection.time_to_catch_up_s,
            write_throttled=reader.latest(_stream_key(name, WRITE_THROTTLED)),
            read_throttled=reader.latest(_stream_key(name, READ_THROTTLED)),
            put_records_throttled=reader.latest(_stream_key(name, PUT_THROTTLED)),
            put_records_failed=reader.latest(_stream_key(name, PUT_FAILED)),
            get_records_success=reader.latest(_stream_key(name, GET_SUCCESS)),
            advice=verdict,
            advice_reason=reason,
            age_level=age_level(fraction),
            usage_level=usage_level(
                usage,
                throttled_share(dict(reader.points(_stream_key(name, WRITE_THROTTLED))), records_points),
            ),
            lambdas=lambdas,
            readers=readers,
            history=StreamHistory(
                iterator_age=age_history,
                usage_factor=tuple(usage_history),
                write_throttled=tuple(reader.points(_stream_key(name, WRITE_THROTTLED))),
                read_throttled=tuple(reader.points(_stream_key(name, READ_THROTTLED))),
            ),
            reasons=tuple(reasons),
        )

    @staticmethod
    def _readers(
        stream: _Stream,
        consumers: list[ConsumerView],
        lambdas: tuple[LambdaView, ...],
        getrecords: list[tuple[float, float]],
        reader: _Reader,
        metrics_problem: str,
    ) -> tuple[ReaderLag, ...]:
        """Each reader with its own metric, worst first, unknown ones last with their reason. How
        fast each lag grows, and whether the reader is stalled, come from the same minute points
        the lag does (no query of their own)."""

        def missing(metric: str) -> str:
            if metrics_problem:
                return f"unknown: GetMetricData failed: {metrics_problem}"
            return f"no {metric} datapoints in the last hour"

        def lag(
            name: str, kind: str, metric: str, points: list[tuple[float, float]], unknown: str
        ) -> ReaderLag:
            behind = _last(points)
            stalled = is_stalled(points)
            return ReaderLag(
                name,
                kind,
                metric,
                behind,
                "" if behind is not None else missing(unknown),
                stalled_growth(points) if stalled else lag_growth(points),
                stalled,
            )

        found: list[ReaderLag] = []
        for consumer in consumers:
            points = reader.points(_consumer_key(stream.name, consumer.name)) if consumer.name else []
            found.append(lag(consumer.name, "enhanced fan-out", MILLIS_BEHIND, points, MILLIS_BEHIND))
        for fn in lambdas:
            points = reader.points(_function_key(fn.function_name, "IteratorAge"))
            found.append(lag(fn.function_name, "Lambda", "IteratorAge", points, "AWS/Lambda IteratorAge"))
        if getrecords:
            # Every shared-throughput reader at once, Lambda mappings included: KCL applications do not
            # register, so the stream-wide age is the only lag they have.
            found.append(lag("GetRecords readers", "GetRecords", ITERATOR_AGE, getrecords, ITERATOR_AGE))
        if stream.consumers is None:
            found.append(
                ReaderLag(
                    "enhanced fan-out consumers",
                    "enhanced fan-out",
                    MILLIS_BEHIND,
                    None,
                    "unknown: the consumers could not be listed",
                )
            )
        if stream.mappings is None:
            found.append(
                ReaderLag(
                    "Lambda event source mappings",
                    "Lambda",
                    "IteratorAge",
                    None,
                    "unknown: the event source mappings could not be listed",
                )
            )
        return tuple(sorted(found, key=lambda r: (r.behind_ms is None, -(r.behind_ms or 0.0), r.name)))

    @staticmethod
    def _lambda_view(mapping: dict[str, Any], reader: _Reader) -> LambdaView:
        function = _function_name(str(mapping.get("FunctionArn") or ""))
        return LambdaView(
            function_name=function,
            uuid=str(mapping.get("UUID") or ""),
            state=str(mapping.get("State") or UNKNOWN),
            batch_size=_int(mapping.get("BatchSize")),
            iterator_age_ms=reader.latest(_function_key(function, "IteratorAge")),
            errors=reader.latest(_function_key(function, "Errors")),
            duration_ms=reader.latest(_function_key(function, "Duration")),
            concurrent_executions=reader.latest(_function_key(function, "ConcurrentExecutions")),
        )


async def poll(factory: ClientFactory) -> KinesisSnapshot:
    """One cycle with a fresh poller (``warroom snapshot kinesis``)."""
    return await KinesisPoller(factory).poll()
