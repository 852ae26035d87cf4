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
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from tui.aws.clients import ClientFactory

MAX_QUERIES = 500


@dataclass(frozen=True)
class MetricQuery:
    """One MetricStat query. ``key`` is the caller's name for the series."""

    key: str
    namespace: str
    metric: str
    dimensions: tuple[tuple[str, str], ...]
    stat: str
    period: int

    def to_api(self, query_id: str) -> dict[str, Any]:
        return {
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


@dataclass(frozen=True)
class Series:
    """Datapoints newest first: epoch seconds and values."""

    timestamps: Sequence[float]
    values: Sequence[float]
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


async def _one_call(
    client: Any, queries: list[dict[str, Any]], start: datetime, end: datetime, token: str | None
) -> dict[str, Any]:
    params: dict[str, Any] = {
        "MetricDataQueries": queries,
        "StartTime": start,
        "EndTime": end,
        "ScanBy": "TimestampDescending",
    }
    if token:
        params["NextToken"] = token
    if not _fast_capable(client):
        reply: dict[str, Any] = await client.get_metric_data(**params)
        return reply
    body: dict[str, Any] = dict(params, StartTime=start.timestamp(), EndTime=end.timestamp())
    exchange = _Exchange(json.dumps(body, separators=(",", ":")).encode())
    reset = _EXCHANGE.set(exchange)
    try:
        slim = dict(params, MetricDataQueries=[])
        fallback: dict[str, Any] = await client.get_metric_data(**slim)
    finally:
        _EXCHANGE.reset(reset)
    return exchange.parsed if exchange.parsed is not None else fallback


async def _chunk(
    client: Any, chunk: Sequence[MetricQuery], offset: int, start: datetime, end: datetime, batch: MetricBatch
) -> None:
    ids = {f"q{offset + n}": q.key for n, q in enumerate(chunk)}
    api = [q.to_api(f"q{offset + n}") for n, q in enumerate(chunk)]
    token: str | None = None
    merged: dict[str, tuple[list[float], list[float], str]] = {}
    while True:
        reply = await _one_call(client, api, start, end, token)
        batch.calls += 1
        for result in reply.get("MetricDataResults") or ():
            key = ids.get(str(result.get("Id")))
            if key is None:
                continue
            stamps = [_epoch(t) for t in result.get("Timestamps") or ()]
            values = [float(v) for v in result.get("Values") or ()]
            have = merged.get(key)
            if have is None:
                merged[key] = (stamps, values, str(result.get("StatusCode") or "Complete"))
            else:
                have[0].extend(stamps)
                have[1].extend(values)
        for message in reply.get("Messages") or ():
            batch.messages.append(str(message.get("Value") or message.get("Code") or message))
        token = reply.get("NextToken")
        if not token:
            break
    for key, (stamps, values, status) in merged.items():
        batch.series[key] = Series(stamps, values, status)


async def get_metric_data(
    factory: ClientFactory,
    region: str,
    queries: Sequence[MetricQuery],
    start: datetime,
    end: datetime,
) -> MetricBatch:
    """All ``queries`` in ceil(n / 500) concurrent calls (plus pages when CloudWatch splits one)."""
    batch = MetricBatch()
    if not queries:
        return batch
    client = await factory.client("cloudwatch", region)
    await asyncio.gather(
        *(
            _chunk(client, queries[i : i + MAX_QUERIES], i, start, end, batch)
            for i in range(0, len(queries), MAX_QUERIES)
        )
    )
    return batch
