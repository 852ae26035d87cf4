"""GetMetricData at fleet scale: 500 queries a call, calls run concurrently, results as plain numbers.

A refresh of thousands of instances asks for tens of thousands of series. botocore validates,
serialises and parses every query and datapoint through the service model in Python, which costs
more CPU than the rest of a refresh. For CloudWatch's JSON protocol this module writes the request
body itself (``before-sign``, so the signature covers it) and reads the response body with
``json.loads`` (``before-parse``), leaving botocore an empty document to parse. Everything else
(credentials, signing, endpoint, retries, rate limits) stays botocore's. With any other protocol
the ordinary path runs and the results are converted.
"""

from __future__ import annotations

import asyncio
import contextvars
import json
import logging
import math
from array import array
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from tui.aws.clients import ClientFactory

MAX_QUERIES = 500

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class MetricQuery:
    """One MetricStat query. ``key`` is the caller's name for the series."""

    key: str
    namespace: str
    metric: str
    dimensions: tuple[tuple[str, str], ...]
    stat: str
    period: int
    account_id: str = ""
    """The account the metric is in, read through a CloudWatch monitoring account ("" for the
    caller's own)."""

    def to_api(self, query_id: str) -> dict[str, Any]:
        query: dict[str, Any] = {
            "Id": query_id,
            "MetricStat": {
                "Metric": {
                    "Namespace": self.namespace,
                    "MetricName": self.metric,
                    "Dimensions": [{"Name": n, "Value": v} for n, v in self.dimensions],
                },
                "Period": self.period,
                "Stat": self.stat,
            },
            "ReturnData": True,
        }
        if self.account_id:
            query["AccountId"] = self.account_id
        return query

    def to_json(self, query_id: str) -> str:
        """``to_api(query_id)`` as compact JSON, written directly (tens of thousands a plan)."""
        dims = ",".join(f'{{"Name":{_text(n)},"Value":{_text(v)}}}' for n, v in self.dimensions)
        account = f',"AccountId":{_text(self.account_id)}' if self.account_id else ""
        return (
            f'{{"Id":{_text(query_id)},"MetricStat":{{"Metric":{{"Namespace":{_text(self.namespace)},'
            f'"MetricName":{_text(self.metric)},"Dimensions":[{dims}]}},"Period":{int(self.period)},'
            f'"Stat":{_text(self.stat)}}},"ReturnData":true{account}}}'
        )


_text = json.dumps


class Series(NamedTuple):
    """Datapoints newest first: epoch seconds and values (a tuple: thousands are built a cycle)."""

    timestamps: array[float]
    values: array[float]
    status: str = "Complete"


@dataclass
class MetricBatch:
    """The answer to one set of queries: series by key, and what CloudWatch said besides."""

    series: dict[str, Series] = field(default_factory=dict)
    messages: list[str] = field(default_factory=list)
    calls: int = 0

    @staticmethod
    def calls_needed(queries: int) -> int:
        return -(-queries // MAX_QUERIES)


@dataclass
class _Exchange:
    body: bytes
    parsed: dict[str, Any] | None = None


_EXCHANGE: contextvars.ContextVar[_Exchange | None] = contextvars.ContextVar("warroom_gmd", default=None)
_HOOKED = "_warroom_fast_metrics"


def _presign(request: Any, **_: Any) -> None:
    exchange = _EXCHANGE.get()
    if exchange is not None:
        request.data = exchange.body
        if "Content-Length" in request.headers:
            del request.headers["Content-Length"]


def _preparse(response_dict: dict[str, Any], **_: Any) -> None:
    exchange = _EXCHANGE.get()
    if exchange is None or response_dict.get("status_code", 500) >= 300:
        return
    body = response_dict.get("body")
    if not isinstance(body, bytes | bytearray):
        return
    exchange.parsed = json.loads(body) if body else {}
    response_dict["body"] = b"{}"


def _fast_capable(client: Any) -> bool:
    if client.meta.service_model.resolved_protocol != "json":
        return False
    if not getattr(client, _HOOKED, False):
        client.meta.events.register("before-sign.cloudwatch.GetMetricData", _presign)
        client.meta.events.register("before-parse.cloudwatch.GetMetricData", _preparse)
        setattr(client, _HOOKED, True)
    return True


def _epoch(value: Any) -> float:
    return value.timestamp() if isinstance(value, datetime) else float(value)


class QueryPlan:
    """Queries sorted by period and cut into calls of 500, with each call's query list encoded once,
    so a refresh that repeats the same queries only writes the times."""

    def __init__(self, queries: Sequence[MetricQuery]) -> None:
        ordered = sorted(queries, key=lambda q: q.period)
        self.queries: tuple[MetricQuery, ...] = tuple(ordered)
        self.chunks: list[_Chunk] = []
        for start in range(0, len(ordered), MAX_QUERIES):
            part = tuple(ordered[start : start + MAX_QUERIES])
            ids = [f"q{start + n}" for n in range(len(part))]
            self.chunks.append(
                _Chunk(
                    keys={qid: q.key for qid, q in zip(ids, part, strict=True)},
                    queries=part,
                    encoded="[" + ",".join(q.to_json(qid) for qid, q in zip(ids, part, strict=True)) + "]",
                    longest_period=max(q.period for q in part),
                    grid=math.lcm(*{q.period for q in part}),
                )
            )

    def __len__(self) -> int:
        return len(self.queries)


@dataclass(frozen=True)
class _Chunk:
    keys: dict[str, str]
    """Each query's Id and the caller's key, in the chunk's order."""
    queries: tuple[MetricQuery, ...]
    encoded: str
    """The queries as the request's JSON (``MetricDataQueries``)."""
    longest_period: int
    grid: int  # every period of the chunk divides it

    def api(self) -> list[dict[str, Any]]:
        """The queries as botocore's parameters: made only for a client without the JSON protocol."""
        return [q.to_api(qid) for qid, q in zip(self.keys, self.queries, strict=True)]


def _body(chunk: _Chunk, start: datetime, end: datetime, token: str | None) -> bytes:
    extra = f',"NextToken":{json.dumps(token)}' if token else ""
    return (
        f'{{"MetricDataQueries":{chunk.encoded},"StartTime":{start.timestamp():.3f},'
        f'"EndTime":{end.timestamp():.3f},"ScanBy":"TimestampDescending"{extra}}}'
    ).encode()


async def _one_call(
    client: Any, chunk: _Chunk, start: datetime, end: datetime, token: str | None
) -> dict[str, Any]:
    params: dict[str, Any] = {
        "MetricDataQueries": [],
        "StartTime": start,
        "EndTime": end,
        "ScanBy": "TimestampDescending",
    }
    if token:
        params["NextToken"] = token
    if not _fast_capable(client):
        reply: dict[str, Any] = await client.get_metric_data(**dict(params, MetricDataQueries=chunk.api()))
        return reply
    exchange = _Exchange(_body(chunk, start, end, token))
    reset = _EXCHANGE.set(exchange)
    try:
        fallback: dict[str, Any] = await client.get_metric_data(**params)
    finally:
        _EXCHANGE.reset(reset)
    return exchange.parsed if exchange.parsed is not None else fallback


async def _run_chunk(client: Any, chunk: _Chunk, start: datetime, end: datetime, batch: MetricBatch) -> None:
    token: str | None = None
    merged: dict[str, Series] = {}
    while True:
        reply = await _one_call(client, chunk, start, end, token)
        batch.calls += 1
        for result in reply.get("MetricDataResults") or ():
            key = chunk.keys.get(result.get("Id"))
            if key is None:
                continue
            stamps = result.get("Timestamps") or ()
            if stamps and isinstance(stamps[0], datetime):  # botocore parsed it (no JSON protocol)
                stamps = [_epoch(t) for t in stamps]
            values = result.get("Values") or ()
            have = merged.get(key)
            # Arrays of doubles, not the decoded lists: an hour of a fleet's series is held until the
            # last call of the batch answers (85,000 series of 60 points at 2,000 instances: about
            # 330 MB as lists of floats, 80 MB so), and a process keeps the memory of its peak.
            if have is None:
                merged[key] = Series(
                    array("d", stamps), array("d", values), result.get("StatusCode") or "Complete"
                )
            else:
                have.timestamps.extend(stamps)
                have.values.extend(values)
        for message in reply.get("Messages") or ():
            batch.messages.append(str(message.get("Value") or message.get("Code") or message))
        token = reply.get("NextToken")
        if not token:
            break
    batch.series.update(merged)


async def get_metric_data(
    factory: ClientFactory,
    region: str,
    queries: Sequence[MetricQuery] | QueryPlan,
    start: datetime,
    end: datetime,
    *,
    lookback: Callable[[int], float] | None = None,
    role_arn: str | None = None,
) -> MetricBatch:
    """All queries in ceil(n / 500) concurrent calls (plus pages when CloudWatch splits one).

    ``lookback(longest period of a call) -> seconds`` narrows each call's window, so calls of
    one-minute series do not read the five-minute series' longer history; ``start`` applies
    otherwise. Each call's start is rounded down to a multiple of its periods (epoch seconds).
    """
    plan = queries if isinstance(queries, QueryPlan) else QueryPlan(queries)
    batch = MetricBatch()
    if not plan.chunks:
        return batch
    client = await factory.client("cloudwatch", region, role_arn=role_arn)

    def start_of(chunk: _Chunk) -> datetime:
        first = start
        if lookback is not None:
            first = max(start, end - timedelta(seconds=lookback(chunk.longest_period)))
        # CloudWatch's buckets start at StartTime: a start on the periods' grid puts every datapoint
        # at the same timestamp in every call, whatever the caller's clock reads.
        return datetime.fromtimestamp(math.floor(first.timestamp()) // chunk.grid * chunk.grid, first.tzinfo)

    await asyncio.gather(*(_run_chunk(client, c, start_of(c), end, batch) for c in plan.chunks))
    return batch


async def linked_accounts(factory: ClientFactory, regions: Iterable[str]) -> dict[str, frozenset[str]]:
    """Per region, the accounts the credential's own account monitors (CloudWatch cross-account
    observability: the OAM links attached to its sinks). None where it has no sink or may not read
    them: those accounts' metrics are then read with their own roles."""

    async def region_links(region: str) -> frozenset[str]:
        found: set[str] = set()
        try:
            oam = await factory.client("oam", region)
            async for page in oam.get_paginator("list_sinks").paginate():
                for sink in page.get("Items") or ():
                    pages = oam.get_paginator("list_attached_links").paginate(
                        SinkIdentifier=str(sink.get("Arn"))
                    )
                    async for links in pages:
                        for link in links.get("Items") or ():
                            parts = str(link.get("LinkArn", "")).split(":")
                            if len(parts) > 4 and parts[4]:
                                found.add(parts[4])
        except Exception as exc:  # no monitoring account here: read with the roles
            log.debug("OAM links in %s unknown: %s", region, exc)
            return frozenset()
        return frozenset(found)

    ordered = sorted(set(regions))
    answers = await asyncio.gather(*(region_links(r) for r in ordered))
    return dict(zip(ordered, answers, strict=True))
