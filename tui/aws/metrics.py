"""GetMetricData at fleet scale: 500 queries a call, calls run concurrently, results as plain numbers.

A refresh of thousands of instances asks for tens of thousands of series. botocore validates,
serialises and parses every query and datapoint through the service model in Python, which costs
more CPU than the rest of a refresh. For CloudWatch's JSON protocol this module writes the request
body itself (``before-sign``, so the signature covers it) and reads the response body with
``codec.parse_json`` (``before-parse``), leaving botocore an empty document to parse. With any
other protocol the ordinary path runs and the results are converted.

botocore's machinery around each call costs more than the call itself, so a client's calls after
its first are that first request replayed with a new body (``_direct``): the endpoint, headers and
signer botocore used, the client's credentials and connections, and the console's rate limits and
call counts (``ClientFactory.call_outside_botocore``). A call that does not succeed so is made
again through botocore, whose retries and error parsing apply.
"""

from __future__ import annotations

import asyncio
import contextvars
import json
import logging
import math
import uuid
from array import array
from collections.abc import Awaitable, Callable, Iterable, Mapping, MutableSequence, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from botocore.awsrequest import AWSRequest
from botocore.parsers import ResponseParserError

from tui.aws.clients import ClientFactory
from tui.common.codec import NotJSON, parse_json

MAX_QUERIES = 500
WINDOW_CALLS = 8
"""GetMetricData calls in flight at once in a read of a whole window (``get_metric_data`` without
``incremental``); an incremental read's few points a series are all asked at once."""
LAG_MEMORY_S = 900.0
"""How long what is learnt of a series' publishing delay is trusted before it is learnt again, in
case the delay shrank (``QueryPlan``)."""
SPREAD_QUERIES = 10_000
"""A spread read (``QueryPlan.due_chunks(spread=...)``) with more queries due than this reads about
half of them, and the rest in the read after."""

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
    every: int = 0
    """An incremental read asks for it at most once in this many seconds (0: whenever it is due)."""
    group: str = ""
    """Queries of one group (an instance's and its volumes') are read in the same cycle when a read
    is spread (``QueryPlan.due_chunks``); "" for the query alone."""

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
    """Datapoints newest first: epoch seconds and values (a tuple: thousands are built a cycle).
    Arrays of doubles after a window's read (an hour: much to hold), the lists decoded otherwise."""

    timestamps: MutableSequence[float]
    values: MutableSequence[float]
    status: str = "Complete"


@dataclass
class MetricBatch:
    """The answer to one set of queries: series by key, and what CloudWatch said besides."""

    series: dict[str, Series] = field(default_factory=dict)
    """The series read (an incremental read's: only those sent)."""
    messages: list[str] = field(default_factory=list)
    calls: int = 0
    queries: int = 0
    """Queries sent."""
    plan: QueryPlan | None = None
    """An incremental read's plan, which holds the newest point of the queries not sent."""

    @staticmethod
    def calls_needed(queries: int) -> int:
        return -(-queries // MAX_QUERIES)

    def get(self, key: str) -> Series | None:
        """``key``'s series: as read, or (not sent in an incremental read) its newest point held."""
        found = self.series.get(key)
        if found is None and self.plan is not None:
            return self.plan.held(key)
        return found

    def newest(self, key: str) -> tuple[float, float] | None:
        """``key``'s newest point (time, value), read or held."""
        found = self.series.get(key)
        if found is not None:
            return (found.timestamps[0], found.values[0]) if found.timestamps else None
        return None if self.plan is None else self.plan.newest(key)

    def read_any(self, keys: Iterable[str]) -> bool:
        """Whether any of ``keys`` brought something new: a point newer than the one held, a value
        of it that changed, or none left in the window (a series that answered with the point it
        held is answered from the plan, as one not sent)."""
        return self.plan is None or not self.series.keys().isdisjoint(keys)


@dataclass(frozen=True)
class _Route:
    """Where and how botocore sent a client's GetMetricData, replayed for the calls after
    (``_direct``): its URL (the endpoint botocore resolved), its headers but those made for each
    call, the client's signer and what it signed with."""

    url: str
    headers: tuple[tuple[str, str], ...]
    signer: Any
    signing: tuple[tuple[str, str], ...]


@dataclass
class _Exchange:
    body: bytes
    parsed: dict[str, Any] | None = None
    route: _Route | None = None


_EXCHANGE: contextvars.ContextVar[_Exchange | None] = contextvars.ContextVar("warroom_gmd", default=None)
_HOOKED = "_warroom_fast_metrics"
_ROUTE = "_warroom_metrics_route"
# Headers made for each call: the signature's and the body's length (botocore adds the call's own
# id and attempt after signing).
_PER_CALL = frozenset({"authorization", "x-amz-date", "x-amz-security-token", "content-length"})


def _presign(
    request: Any,
    signing_name: str | None = None,
    region_name: str | None = None,
    signature_version: Any = None,
    request_signer: Any = None,
    **_: Any,
) -> None:
    exchange = _EXCHANGE.get()
    if exchange is None:
        return
    request.data = exchange.body
    if "Content-Length" in request.headers:
        del request.headers["Content-Length"]
    # What the signer is about to sign with (``RequestSigner.sign``): the endpoint's signing context
    # first. Anything but SigV4 with the client's own credentials is left to botocore every time.
    signing = (getattr(request, "context", None) or {}).get("signing") or {}
    if signature_version != "v4" or request_signer is None or signing.get("request_credentials"):
        return
    if signing.get("identity_cache") is not None:
        return
    exchange.route = _Route(
        url=str(request.url),
        headers=tuple((k, str(v)) for k, v in request.headers.items() if k.lower() not in _PER_CALL),
        signer=request_signer,
        signing=(
            ("signing_name", str(signing.get("signing_name") or signing_name)),
            ("region_name", str(signing.get("region") or region_name)),
            ("signature_version", "v4"),
        ),
    )


def _preparse(response_dict: dict[str, Any], **_: Any) -> None:
    exchange = _EXCHANGE.get()
    if exchange is None or response_dict.get("status_code", 500) >= 300:
        return
    body = response_dict.get("body")
    if not isinstance(body, bytes | bytearray):
        return
    try:
        exchange.parsed = parse_json(body) if body else {}
    except NotJSON as exc:
        raise ResponseParserError(f"the answer of {len(body)} bytes is not JSON: {exc}") from exc
    response_dict["body"] = b"{}"


def _fast_capable(client: Any) -> bool:
    if client.meta.service_model.resolved_protocol != "json":
        return False
    if not getattr(client, _HOOKED, False):
        client.meta.events.register("before-sign.cloudwatch.GetMetricData", _presign)
        client.meta.events.register("before-parse.cloudwatch.GetMetricData", _preparse)
        setattr(client, _HOOKED, True)
    return True


async def _direct(client: Any, route: _Route, body: bytes) -> dict[str, Any] | None:
    """One GetMetricData as botocore sent the client's last one (``_Route``), with ``body``:
    signed by the client's signer (its credentials, refreshed as they expire) and sent on the
    client's own connections (its proxies, TLS settings and timeouts). None unless AWS answered
    2xx with a whole JSON document: the caller then makes the call through botocore, whose retries
    and error parsing apply.

    botocore's machinery around one call (its events, endpoint rules, retry bookkeeping and
    serialisers) costs about 2 ms of CPU, more than signing, sending and decoding it: 78 calls of a
    2,000-instance fleet's new minute took 350 ms of CPU through it, about 165 ms so."""
    try:
        request = AWSRequest(method="POST", url=route.url, data=body, headers=dict(route.headers))
        auth = await route.signer.get_auth_instance(**dict(route.signing))
        auth.add_auth(request)
        # What botocore adds after signing: the call's own id and its attempt.
        request.headers["amz-sdk-invocation-id"] = str(uuid.uuid4())
        request.headers["amz-sdk-request"] = "attempt=1"
        response = await client._endpoint.http_session.send(request.prepare())
        content = await response.content
        if not 200 <= response.status_code < 300:
            return None
        parsed = parse_json(content) if content else {}
    except (asyncio.CancelledError, KeyboardInterrupt):
        raise
    except Exception as exc:  # botocore makes the call again, and says what fails
        log.debug("GetMetricData outside botocore failed (%s): made through botocore", type(exc).__name__)
        return None
    return parsed if isinstance(parsed, dict) else None


def _epoch(value: Any) -> float:
    return value.timestamp() if isinstance(value, datetime) else float(value)


class QueryPlan:
    """Queries sorted by period, each encoded once as the request's JSON, so a refresh that repeats
    the same queries only writes the times and joins them 500 a call.

    A plan also remembers, per query, the newest point its last read returned and when a newer one
    can have arrived (``due``), so that an incremental read (``get_metric_data(...,
    incremental=True)``) sends only the queries due and answers the others with that newest point:

    - AWS's own metrics (``AWS/*``) publish a period once it has ended: after a point stamped T,
      nothing newer exists before T + 2 periods. Any other namespace (the CloudWatch agent's, an
      application's) may publish the next period as soon as it starts, T + 1 period.
    - A series publishes each period about as late as the one before. A read that finds a new point
      the read before it had not found bounds that point's arrival from below (it came after the
      earlier read), so the next point comes after the earlier read + 1 period: polled every 30 s,
      a one-minute series is then read once a minute, in the first cycle after its point arrives,
      instead of twice. What is learnt is forgotten after ``LAG_MEMORY_S`` and learnt again (a read
      or two more), in case the delay shrank; a point that arrived sooner than learnt replaces it.
    - A series that had no point in its last read is due in every cycle: AWS publishes only while
      there is activity, and it may resume at any minute.
    - A query with ``every`` (a slow quantity) is asked at most that often.
    - A spread read of many queries due reads about half of them (those it left unread the time
      before first, then whole groups in the caller's order: the busiest instances first), and the
      others in the read after: CloudWatch's new minute of a large fleet costs two cycles half as
      much each, and what is deferred waits one cycle (``due_chunks``)."""

    def __init__(self, queries: Sequence[MetricQuery], previous: QueryPlan | None = None) -> None:
        ordered = sorted(queries, key=lambda q: q.period)
        self.queries: tuple[MetricQuery, ...] = tuple(ordered)
        self.keys: tuple[str, ...] = tuple(q.key for q in ordered)
        self.index: dict[str, int] = {key: n for n, key in enumerate(self.keys)}
        self.encoded: tuple[str, ...] = tuple(q.to_json(f"q{n}") for n, q in enumerate(ordered))
        self.periods: array[int] = array("l", (q.period for q in ordered))
        self.spacing: array[int] = array(
            "l", (2 * q.period if q.namespace.startswith("AWS/") else q.period for q in ordered)
        )
        size = len(ordered)
        zeros = bytes(8 * size)
        self.due: array[float] = array("d", zeros)
        """Per query, the epoch second from which a newer point than the held one can have arrived."""
        self.held_ts: array[float] = array("d", (math.nan,)) * size
        self.held_value: array[float] = array("d", (math.nan,)) * size
        self.read_at: array[float] = array("d", zeros)
        """When each query was last read (the read's end time; 0: never)."""
        self.lag: array[float] = array("d", (math.nan,)) * size
        """A lower bound of how long after its stamp each series' points arrive (NaN: not learnt),
        and when it was learnt."""
        self.lag_at: array[float] = array("d", zeros)
        self.every: array[int] = array("l", (q.every for q in ordered))
        groups: dict[str, int] = {}
        named = (groups.setdefault(q.group or q.key, len(groups)) for q in ordered)
        self.group: array[int] = array("l", named)
        """Per query, its group's position in ``group_names``."""
        self.group_names: tuple[str, ...] = tuple(groups)
        self.asked_at = 0.0
        """When the last read that was not limited to the unread series asked which were due."""
        self.chunks: list[_Chunk] = [
            self._chunk(range(start, min(start + MAX_QUERIES, size))) for start in range(0, size, MAX_QUERIES)
        ]
        if previous is not None:
            self._inherit(previous)

    def _inherit(self, previous: QueryPlan) -> None:
        """What ``previous`` knew of the queries both plans ask (a fleet whose inventory changed
        keeps what was read and learnt of every series it still has)."""
        index = previous.index
        self.asked_at = previous.asked_at  # what it left unread stays first in line
        for n, key in enumerate(self.keys):
            old = index.get(key)
            if old is None or previous.queries[old] != self.queries[n]:
                continue
            self.due[n] = previous.due[old]
            self.held_ts[n] = previous.held_ts[old]
            self.held_value[n] = previous.held_value[old]
            self.read_at[n] = previous.read_at[old]
            self.lag[n] = previous.lag[old]
            self.lag_at[n] = previous.lag_at[old]

    def __len__(self) -> int:
        return len(self.queries)

    def _chunk(self, indices: Sequence[int]) -> _Chunk:
        periods = {self.periods[n] for n in indices}
        return _Chunk(self, indices, max(periods), math.lcm(*periods))

    def due_chunks(
        self,
        now_ts: float,
        *,
        slow: bool = True,
        unread_only: bool = False,
        spread: Mapping[str, int] | None = None,
    ) -> list[_Chunk]:
        """The queries due at ``now_ts``, 500 a call (every chunk when all are due); without
        ``slow``, none asked ``every`` so often (they stay due); with ``unread_only``, only those
        never read (the others stay due). With ``spread`` (each group's rank, lowest first), more
        than ``SPREAD_QUERIES`` queries due are read about half now: first those the read before
        left unread, then whole groups by rank; the rest are read first by the next read."""
        due, every, held = self.due, self.every, self.held_ts
        indices = [n for n in range(len(due)) if due[n] <= now_ts and (slow or not every[n])]
        if unread_only:
            read_at = self.read_at
            indices = [n for n in indices if not read_at[n]]
        else:
            asked, self.asked_at = self.asked_at, now_ts
            if spread is not None:
                indices = self._spread(indices, asked, spread)
        # Those holding no point first, each part in period order: a chunk whose every query holds
        # one reads from the oldest of those points, not the whole window (``oldest_held``).
        unheld = [n for n in indices if held[n] != held[n]]
        if not unheld and len(indices) == len(due):
            return self.chunks
        indices = unheld + [n for n in indices if held[n] == held[n]]
        cut = range(0, len(indices), MAX_QUERIES)
        return [self._chunk(indices[start : start + MAX_QUERIES]) for start in cut]

    def _spread(self, indices: list[int], asked: float, rank: Mapping[str, int]) -> list[int]:
        """Of ``indices`` (due), when more than ``SPREAD_QUERIES``: those never read or left unread
        by the read before (at ``asked``), then whole groups of the others by ``rank`` (unranked
        last, in the plan's order) until half of ``indices``; the others wait for the next read."""
        if len(indices) <= SPREAD_QUERIES:
            return indices
        due, group, read_at = self.due, self.group, self.read_at
        left = [n for n in indices if not read_at[n] or (due[n] <= asked and read_at[n] < asked)]
        wanted = (len(indices) + 1) // 2 - len(left)
        if wanted <= 0:
            return left
        chosen = set(left)
        sizes: dict[int, int] = {}
        for n in indices:
            if n not in chosen:
                g = group[n]
                sizes[g] = sizes.get(g, 0) + 1
        names, last = self.group_names, len(rank)
        now: set[int] = set()
        taken = 0
        for g in sorted(sizes, key=lambda g: rank.get(names[g], last)):
            if taken >= wanted:
                break
            now.add(g)
            taken += sizes[g]
        return [n for n in indices if n in chosen or group[n] in now]

    def publishing_due(self, now_ts: float) -> tuple[int, int]:
        """Of the queries whose last read had a point, how many are due at ``now_ts``, and how
        many there are (those without one are due in every cycle: they tell no cycle apart)."""
        due, held = self.due, self.held_ts
        publishing = [n for n in range(len(due)) if held[n] == held[n]]  # not NaN
        return sum(1 for n in publishing if due[n] <= now_ts), len(publishing)

    def oldest_held(self, indices: Sequence[int]) -> float:
        """The oldest of the points ``indices`` hold (NaN when one holds none)."""
        held = self.held_ts
        stamps = [held[n] for n in indices]
        return math.nan if not stamps or any(t != t for t in stamps) else min(stamps)

    def held(self, key: str) -> Series | None:
        """The newest point the last read of ``key`` returned, as a series (None: none, or unknown)."""
        n = self.index.get(key)
        if n is None:
            return None
        ts = self.held_ts[n]
        return None if ts != ts else Series([ts], [self.held_value[n]])  # ts != ts: NaN, none held

    def newest(self, key: str) -> tuple[float, float] | None:
        n = self.index.get(key)
        if n is None or math.isnan(self.held_ts[n]):
            return None
        return self.held_ts[n], self.held_value[n]

    def note_all(self, read: Iterable[tuple[int, Sequence[float], Sequence[float]]], at: float) -> None:
        """What a read at ``at`` returned of each query ``n`` in ``read``: ``(n, stamps, values)``,
        newest first. (Tens of thousands a cycle, a reply's at a time: the arrays are looked up once,
        and ``x != x`` is NaN's test here.)"""
        read_at, every_of, held_ts, held_value = self.read_at, self.every, self.held_ts, self.held_value
        due_of, lags, lag_at, spacing, periods = self.due, self.lag, self.lag_at, self.spacing, self.periods
        nan = math.nan
        for n, stamps, values in read:
            before = read_at[n]
            read_at[n] = at
            # A few seconds' allowance: cycles come about, not exactly, ``every`` apart.
            every = every_of[n]
            floor = at + every - 5.0 if every else 0.0
            if not stamps:
                held_ts[n] = nan
                due_of[n] = floor
                continue
            newest = stamps[0]
            held = held_ts[n]
            held_ts[n] = newest
            held_value[n] = values[0] if values else nan
            lag = lags[n] if at - lag_at[n] <= LAG_MEMORY_S else nan
            if lag != lag:
                lags[n] = nan
            if before and (held != held or newest > held):
                # Not there at the read before: it arrived after it, ``before - newest`` after its stamp.
                seen = before - newest
                if lag != lag or seen > lag or at - newest <= lag:  # unknown, tighter, or wrong
                    lag = seen
                    lag_at[n] = at
                lags[n] = lag
            due = newest + spacing[n]
            if lag == lag:
                later = newest + periods[n] + lag + 1.0
                if later > due:
                    due = later
            due_of[n] = due if due > floor else floor


@dataclass(frozen=True, slots=True)
class _Chunk:
    plan: QueryPlan
    indices: Sequence[int]
    """The queries' positions in the plan (each query's Id is ``q`` and its position)."""
    longest_period: int
    grid: int  # every period of the chunk divides it

    @property
    def keys(self) -> dict[str, str]:
        """Each query's Id and the caller's key, in the chunk's order."""
        return {f"q{n}": self.plan.keys[n] for n in self.indices}

    @property
    def encoded(self) -> str:
        """The queries as the request's JSON (``MetricDataQueries``)."""
        return "[" + ",".join([self.plan.encoded[n] for n in self.indices]) + "]"

    def api(self) -> list[dict[str, Any]]:
        """The queries as botocore's parameters: made only for a client without the JSON protocol."""
        return [self.plan.queries[n].to_api(f"q{n}") for n in self.indices]


def _body(chunk: _Chunk, start: datetime, end: datetime, token: str | None) -> bytes:
    extra = f',"NextToken":{json.dumps(token)}' if token else ""
    return (
        f'{{"MetricDataQueries":{chunk.encoded},"StartTime":{start.timestamp():.3f},'
        f'"EndTime":{end.timestamp():.3f},"ScanBy":"TimestampDescending"{extra}}}'
    ).encode()


async def _one_call(
    factory: ClientFactory, client: Any, chunk: _Chunk, start: datetime, end: datetime, token: str | None
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
    body = _body(chunk, start, end, token)
    route: _Route | None = getattr(client, _ROUTE, None)
    if route is not None:
        direct = await factory.call_outside_botocore(
            client, "GetMetricData", lambda: _direct(client, route, body)
        )
        if direct is not None:
            return direct
        # Until botocore succeeds again, every call is botocore's alone: a failing or throttled
        # endpoint is not asked twice a call.
        setattr(client, _ROUTE, None)
    exchange = _Exchange(body)
    reset = _EXCHANGE.set(exchange)
    try:
        fallback: dict[str, Any] = await client.get_metric_data(**params)
    finally:
        _EXCHANGE.reset(reset)
    # The calls after this one replay it outside botocore.
    setattr(client, _ROUTE, exchange.route)
    return exchange.parsed if exchange.parsed is not None else fallback


async def _run_chunk(
    factory: ClientFactory, client: Any, chunk: _Chunk, start: datetime, end: datetime, batch: MetricBatch
) -> None:
    """One chunk's calls. In an incremental read, a series whose newest point is the one held, with
    the same value, or that had none and still has none, brought nothing new: ``get`` answers with
    what the plan holds (the point, or None), and ``read_any`` does not count it."""
    plan = chunk.plan
    keys, size, at = plan.keys, len(plan.keys), end.timestamp()
    held_ts, held_value = plan.held_ts, plan.held_value
    incremental = batch.plan is not None
    unchanged: set[str] = set()
    still_empty: list[str] = []
    # A window's read (an hour) keeps arrays of doubles, not the decoded lists: an hour of a fleet's
    # series is held until the last call of the batch answers (85,000 series of 60 points at 2,000
    # instances: about 330 MB as lists of floats, 80 MB so), and a process keeps the memory of its
    # peak. A steady read's few points stay the lists decoded, which costs nothing more.
    pack = batch.plan is None
    token: str | None = None
    merged: dict[str, Series] = {}
    while True:
        reply = await _one_call(factory, client, chunk, start, end, token)
        batch.calls += 1
        noted: list[tuple[int, Sequence[float], Sequence[float]]] = []
        note = noted.append
        for result in reply.get("MetricDataResults") or ():
            query_id = result.get("Id")
            try:
                n = int(query_id[1:])
            except (TypeError, ValueError):
                continue
            if not 0 <= n < size:
                continue
            key = keys[n]
            if key in unchanged:
                continue  # a later page's older points of a series that brought nothing new
            stamps = result.get("Timestamps") or []
            if stamps and isinstance(stamps[0], datetime):  # botocore parsed it (no JSON protocol)
                stamps = [_epoch(t) for t in stamps]
            values = result.get("Values") or []
            have = merged.get(key)
            if have is None:
                if (
                    incremental
                    and stamps
                    and stamps[0] == held_ts[n]
                    and values
                    and values[0] == held_value[n]
                ):
                    note((n, stamps, values))
                    unchanged.add(key)
                    continue
                if incremental and not stamps and held_ts[n] != held_ts[n]:
                    still_empty.append(key)  # unless a later page brings a point
                if pack:
                    stamps, values = array("d", stamps), array("d", values)
                merged[key] = Series(stamps, values, result.get("StatusCode") or "Complete")
                note((n, stamps, values))
            else:
                if stamps and not have.timestamps:
                    note((n, stamps, values))
                have.timestamps.extend(stamps)
                have.values.extend(values)
        plan.note_all(noted, at)
        for message in reply.get("Messages") or ():
            batch.messages.append(str(message.get("Value") or message.get("Code") or message))
        token = reply.get("NextToken")
        if not token:
            break
    for key in still_empty:
        if not merged[key].timestamps:
            del merged[key]  # none before, none now: nothing new
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
    incremental: bool = False,
    slow: bool = True,
    unread_only: bool = False,
    spread: Mapping[str, int] | None = None,
) -> MetricBatch:
    """All queries in ceil(n / 500) concurrent calls (plus pages when CloudWatch splits one).

    ``incremental`` sends only the queries due (``QueryPlan``): the batch's ``get`` answers the
    others with the newest point their last read returned, and ``queries`` counts those sent;
    without ``slow`` it leaves out the slow quantities (``MetricQuery.every``) too, and with
    ``unread_only`` every query already read once; ``spread`` spreads a large fleet's new minute
    over two reads (``QueryPlan.due_chunks``).

    ``lookback(longest period of a call) -> seconds`` narrows each call's window, so calls of
    one-minute series do not read the five-minute series' longer history; ``start`` applies
    otherwise. Each call's start is rounded down to a multiple of its periods (epoch seconds).
    """
    plan = queries if isinstance(queries, QueryPlan) else QueryPlan(queries)
    batch = MetricBatch(plan=plan if incremental else None)
    chunks = (
        plan.due_chunks(end.timestamp(), slow=slow, unread_only=unread_only, spread=spread)
        if incremental
        else plan.chunks
    )
    batch.queries = sum(len(c.indices) for c in chunks)
    if not chunks:
        return batch
    client = await factory.client("cloudwatch", region, role_arn=role_arn)

    def start_of(chunk: _Chunk) -> datetime:
        first = start
        if lookback is not None:
            first = max(start, end - timedelta(seconds=lookback(chunk.longest_period)))
        # CloudWatch's buckets start at StartTime: a start on the periods' grid puts every datapoint
        # at the same timestamp in every call, whatever the caller's clock reads.
        return datetime.fromtimestamp(math.floor(first.timestamp()) // chunk.grid * chunk.grid, first.tzinfo)

    def run(chunk: _Chunk) -> Awaitable[None]:
        window = start_of(chunk)
        oldest = plan.oldest_held(chunk.indices) if incremental else math.nan
        if oldest == oldest and oldest > window.timestamp():
            # Every query holds a point the window would return: reading from the oldest of them
            # returns the same from those points on (the newest held again, in case CloudWatch has
            # completed it since), which is all a steady read uses, in one or two points a series
            # instead of the window's few.
            window = datetime.fromtimestamp(oldest // chunk.grid * chunk.grid, window.tzinfo)
        return _run_chunk(factory, client, chunk, window, end, batch)

    if incremental:
        await asyncio.gather(*(run(c) for c in chunks))
        return batch
    # A window's read (a first poll's hour) holds each answer's body until it is decoded: at most
    # ``WINDOW_CALLS`` in flight, not the whole batch's (86 answers of about a megabyte at 2,000
    # instances), which was the process's peak of memory, kept for good.
    gate = asyncio.Semaphore(WINDOW_CALLS)

    async def gated(chunk: _Chunk) -> None:
        async with gate:
            await run(chunk)

    await asyncio.gather(*(gated(c) for c in chunks))
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
