"""An indexed metric store for moto's CloudWatch, whose GetMetricData scans every datum per query.

``install()`` makes a per-backend index the single store of CloudWatch datapoints. Each
(account, region) backend holds a ``MetricIndex``: per (namespace, metric name, set of dimension
pairs) a series, and per unit within a series the timestamps (integer microseconds since the
epoch, sorted), values and arrival numbers in compact arrays, so a time range is two bisections.

moto's own ``CloudWatchBackend`` methods are replaced:

* ``put_metric_data`` validates with moto's validator and stores into the index (so do Kinesis's
  stream metrics, which call it directly);
* ``get_metric_data``, ``get_metric_statistics`` and ``list_metrics`` answer from the index;
* ``get_all_metrics`` materialises moto ``MetricDatum`` objects from the index, in arrival order,
  followed by the metrics moto's providers (S3) compute, so moto's original code paths, kept in
  ``moto_originals``, still see every datapoint;
* ``CloudWatchResponse.list_metrics`` also passes ``RecentlyActive`` to the backend.

GetMetricData returns what moto 5.2.5 returns for the same data where moto follows CloudWatch:
results for MetricStat queries first, then metric math, then Metrics Insights; only non-empty
buckets; ``TimestampDescending`` reverses them; values are summed in arrival order, as moto's
``Statistics`` does. Where moto departs from CloudWatch, the index answers as CloudWatch does:

* buckets are aligned to the period (they start at multiples of Period since the epoch), and
  StartTime is rounded down as CloudWatch rounds it (to the minute within 15 days, to 5 minutes
  within 63 days, to the hour before that), where moto steps from StartTime itself; a point
  published at a coarser resolution than the period (a 5-minute Sum) stays one point at its own
  timestamp;
* a metric math ``Expression`` is computed (``_evaluate_query``:
  + - * / and parentheses over query ids and numbers; ``PERIOD(id)``; ``FILL(x, number)``, which
  gives every period of the queried range a value; ``ABS``, ``RATE`` and ``DIFF`` of a series;
  ``MAX``, ``MIN``, ``SUM`` and ``AVG`` of a list ``[a, b, ...]`` (point by point) or of one series
  (one number); series combine point-wise on matching timestamps), or the call fails with HTTP
  400 ``ValidationError`` naming the expression, where moto returns an empty result for anything
  but a bare query id. An expression that is only a number (the Kinesis scaling alarms' shard
  count) may feed others, but a query that returns data must use a metric.

Where moto has no answer, the index gives one: a percentile statistic (``pNN``, nearest rank
over single values) is computed, where moto's response fails with HTTP 500; any other statistic
moto cannot compute comes back with ``StatusCode`` ``InternalError`` and a message. Other
deliberate differences, each where moto departs from CloudWatch:

* a MetricStat with dimensions matches only its own namespace (moto ignores the namespace then),
  and dimension order does not matter (moto's comparison depends on it for several dimensions);
* ListMetrics lists every distinct metric once (moto repeats a metric with no dimension or with
  several dimensions once per datapoint), in order of first arrival; its NextToken can be reused.

Metric alarms read the store too: ``tui.sim.extensions.alarms`` evaluates them against it, with
the same statistics and metric math (``evaluate_math``).

Cross-account observability, as a monitoring account sees it (its links live in
``tui.sim.extensions.oam``):

* ListMetrics with ``IncludeLinkedAccounts`` lists the caller's metrics, then those of each
  source account linked to its sink with AWS::CloudWatch::Metric (the namespaces the link shares),
  with ``OwningAccounts`` naming each metric's account, one per metric and in the same order;
  ``OwningAccount`` keeps one account's. Its NextToken can be reused too;
* a GetMetricData query's ``AccountId`` reads that account's metric, and a math expression over
  such queries computes over them; a query naming an account the caller may not read (not linked,
  or the namespace not shared) comes back with ``StatusCode`` ``Forbidden``, no values and a
  message, as does an expression that uses it;
* GetMetricData takes at most 500 queries (``ValidationError``: "The collection
  MetricDataQueries must not have a size greater than 500.").

``put_series`` is the bulk path for the workload's generator and ``trim_before`` bounds memory.
One lock per index guards it; readers copy the slices they need under the lock and compute
outside it, so a writer thread never waits for a whole GetMetricData.
"""

# moto is imported inside the functions, for start-up time: see tui/sim/extensions/__init__.py.
from __future__ import annotations

import base64
import binascii
import inspect
import itertools
import logging
import math
import re
import threading
from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from operator import itemgetter
from typing import Any

logger = logging.getLogger(__name__)

LIST_METRICS_PAGE_SIZE = 500
MAX_QUERIES = 500
"""MetricDataQuery structures one GetMetricData call may hold."""
RECENTLY_ACTIVE_WINDOW = timedelta(hours=3)
BASIC_STATISTICS = ("SampleCount", "Average", "Sum", "Minimum", "Maximum")

_INDEX_ATTRIBUTE = "_warroom_metric_index"
_EPOCH_UTC = datetime.fromtimestamp(0, UTC)
_EPOCH = _EPOCH_UTC.replace(tzinfo=None)
_ONE_US = timedelta(microseconds=1)
_US_PER_SECOND = 1_000_000
_PERCENTILE = re.compile(r"^p(\d{1,3}(?:\.\d+)?)$")
_TOKEN_PREFIX = "lm1:"
_LINKED_TOKEN_PREFIX = "lm2:"

# (Sum, Minimum, Maximum, SampleCount) of one StatisticValues datum.
StatisticSet = tuple[float, float, float, float]

moto_originals: dict[str, Any] = {}
_install_lock = threading.Lock()
_index_create_lock = threading.Lock()


# --------------------------------------------------------------------------------------------
# Time
# --------------------------------------------------------------------------------------------


def _to_us(moment: datetime) -> int:
    """Microseconds since the epoch; a naive datetime is UTC, as moto keeps them."""
    if moment.tzinfo is not None:
        return (moment - _EPOCH_UTC) // _ONE_US
    return (moment - _EPOCH) // _ONE_US


def _from_us(micros: int) -> datetime:
    """The naive UTC datetime moto would hold for these microseconds since the epoch."""
    return _EPOCH + timedelta(microseconds=micros)


def _utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


# --------------------------------------------------------------------------------------------
# The store
# --------------------------------------------------------------------------------------------


class _Part:
    """The datapoints of one series that share one unit, sorted by timestamp.

    Equal timestamps keep their arrival order. ``in_order`` stays true while arrival order and
    timestamp order agree, which lets readers skip re-sorting a bucket by arrival.
    """

    __slots__ = ("agg_seqs", "agg_stats", "agg_ts", "in_order", "seqs", "ts", "vals")

    def __init__(self) -> None:
        self.ts = array("q")
        self.vals = array("d")
        self.seqs = array("q")
        self.in_order = True
        self.agg_ts = array("q")
        self.agg_seqs = array("q")
        self.agg_stats: list[StatisticSet] = []

    def add(self, micros: int, value: float, seq: int) -> None:
        ts = self.ts
        if not ts or micros >= ts[-1]:
            ts.append(micros)
            self.vals.append(value)
            self.seqs.append(seq)
            return
        position = bisect_right(ts, micros)
        ts.insert(position, micros)
        self.vals.insert(position, value)
        self.seqs.insert(position, seq)
        self.in_order = False

    def add_sorted(self, times: Sequence[int], values: Sequence[float], first_seq: int) -> None:
        """Add points whose timestamps are already sorted, numbered from ``first_seq``."""
        if not self.ts or times[0] >= self.ts[-1]:
            self.ts.extend(times)
            self.vals.extend(values)
            self.seqs.extend(range(first_seq, first_seq + len(times)))
            return
        for offset, (micros, value) in enumerate(zip(times, values, strict=True)):
            self.add(micros, value, first_seq + offset)

    def add_aggregate(self, micros: int, stats: StatisticSet, seq: int) -> None:
        position = bisect_right(self.agg_ts, micros)
        self.agg_ts.insert(position, micros)
        self.agg_seqs.insert(position, seq)
        self.agg_stats.insert(position, stats)

    def last_us(self) -> int | None:
        candidates = [column[-1] for column in (self.ts, self.agg_ts) if column]
        return max(candidates) if candidates else None

    def trim(self, cutoff_us: int) -> None:
        cut = bisect_left(self.ts, cutoff_us)
        if cut:
            del self.ts[:cut]
            del self.vals[:cut]
            del self.seqs[:cut]
        cut = bisect_left(self.agg_ts, cutoff_us)
        if cut:
            del self.agg_ts[:cut]
            del self.agg_seqs[:cut]
            del self.agg_stats[:cut]

    def __len__(self) -> int:
        return len(self.ts) + len(self.agg_ts)

    def window(self, start_us: int, end_us: int, unit: str | None) -> _Slice:
        """A copy of the points with ``start_us <= timestamp < end_us``."""
        ts = self.ts
        low = bisect_left(ts, start_us)
        high = bisect_left(ts, end_us, low)
        agg_low = agg_high = 0
        if self.agg_ts:
            agg_low = bisect_left(self.agg_ts, start_us)
            agg_high = bisect_left(self.agg_ts, end_us, agg_low)
        return _Slice(
            ts[low:high],
            self.vals[low:high],
            self.seqs[low:high],
            self.in_order,
            self.agg_ts[agg_low:agg_high],
            self.agg_seqs[agg_low:agg_high],
            self.agg_stats[agg_low:agg_high],
            unit,
        )


@dataclass(slots=True)
class _Slice:
    """Points of one part inside a time window, copied out of the index."""

    ts: array[int]
    vals: array[float]
    seqs: array[int]
    in_order: bool
    agg_ts: array[int]
    agg_seqs: array[int]
    agg_stats: list[StatisticSet]
    unit: str | None

    def __bool__(self) -> bool:
        return bool(self.ts) or bool(self.agg_ts)


class _Series:
    __slots__ = ("dims", "dimset", "metric_name", "namespace", "parts", "serial")

    def __init__(
        self, namespace: str, metric_name: str, dims: tuple[tuple[str, str], ...], serial: int
    ) -> None:
        self.namespace = namespace
        self.metric_name = metric_name
        self.dims = dims
        self.dimset = frozenset(dims)
        self.serial = serial
        self.parts: dict[str | None, _Part] = {}

    def part(self, unit: str | None) -> _Part:
        part = self.parts.get(unit)
        if part is None:
            part = self.parts[unit] = _Part()
        return part

    def matches_filters(self, filters: Sequence[tuple[str, str | None]]) -> bool:
        """Every filter names a dimension of this series; a filter without a value matches any."""
        for name, value in filters:
            if value is None:
                if not any(have == name for have, _ in self.dims):
                    return False
            elif (name, value) not in self.dimset:
                return False
        return True

    def last_us(self) -> int | None:
        ends = [end for end in (part.last_us() for part in self.parts.values()) if end is not None]
        return max(ends) if ends else None

    def describe(self) -> dict[str, Any]:
        return {
            "Namespace": self.namespace,
            "MetricName": self.metric_name,
            "Dimensions": [{"Name": name, "Value": value} for name, value in self.dims],
        }


class MetricIndex:
    """Every datapoint of one CloudWatch backend (one account and region)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.series: dict[tuple[str, str, frozenset[tuple[str, str]]], _Series] = {}
        self.by_name: dict[tuple[str, str], dict[frozenset[tuple[str, str]], _Series]] = {}
        self.next_seq = 0
        self.next_serial = 0

    # Writers hold ``lock`` around these.

    def series_for(self, namespace: str, metric_name: str, dims: tuple[tuple[str, str], ...]) -> _Series:
        dimset = frozenset(dims)
        key = (namespace, metric_name, dimset)
        series = self.series.get(key)
        if series is None:
            series = _Series(namespace, metric_name, dims, self.next_serial)
            self.next_serial += 1
            self.series[key] = series
            self.by_name.setdefault((namespace, metric_name), {})[dimset] = series
        return series

    def drop_if_empty(self, series: _Series) -> None:
        for unit in [unit for unit, part in series.parts.items() if not len(part)]:
            del series.parts[unit]
        key = (series.namespace, series.metric_name, series.dimset)
        if series.parts or self.series.get(key) is not series:
            return
        del self.series[key]
        named = self.by_name[(series.namespace, series.metric_name)]
        del named[series.dimset]
        if not named:
            del self.by_name[(series.namespace, series.metric_name)]

    def add_datum(self, datum: Any) -> None:
        """Store one moto ``MetricDatum`` or ``MetricAggregatedDatum``."""
        dims = tuple((dimension.name, dimension.value) for dimension in datum.dimensions)
        part = self.series_for(datum.namespace, datum.name, dims).part(datum.unit)
        micros = _to_us(datum.timestamp)
        seq = self.next_seq
        self.next_seq += 1
        if hasattr(datum, "value"):
            part.add(micros, float(datum.value), seq)
        else:
            part.add_aggregate(micros, (datum.sum, datum.min, datum.max, datum.sample_count), seq)

    # Readers hold ``lock`` around these; the slices they return are copies.

    def exact_slices(
        self,
        namespace: str,
        metric_name: str,
        dimset: frozenset[tuple[str, str]] | None,
        unit: str | None,
        start_us: int,
        end_us: int,
    ) -> list[_Slice]:
        named = self.by_name.get((namespace, metric_name))
        if not named:
            return []
        if dimset is None:
            candidates: Iterable[_Series] = named.values()
        else:
            found = named.get(dimset)
            candidates = (found,) if found is not None else ()
        return _windows(candidates, unit, start_us, end_us)

    def filtered_slices(
        self,
        namespace: str,
        metric_name: str,
        filters: Sequence[tuple[str, str | None]],
        unit: str | None,
        start_us: int,
        end_us: int,
    ) -> list[_Slice]:
        named = self.by_name.get((namespace, metric_name))
        if not named:
            return []
        candidates = [series for series in named.values() if series.matches_filters(filters)]
        return _windows(candidates, unit, start_us, end_us)

    def all_slices(self, start_us: int, end_us: int) -> list[_Slice]:
        return _windows(self.series.values(), None, start_us, end_us)


def _windows(series_list: Iterable[_Series], unit: str | None, start_us: int, end_us: int) -> list[_Slice]:
    slices = []
    for series in series_list:
        for part_unit, part in series.parts.items():
            if unit and part_unit != unit:
                continue
            window = part.window(start_us, end_us, part_unit)
            if window:
                slices.append(window)
    return slices


def index_of(backend: Any) -> MetricIndex:
    """The index of one moto CloudWatch backend (created on first use; a reset discards it)."""
    index: MetricIndex | None = backend.__dict__.get(_INDEX_ATTRIBUTE)
    if index is None:
        with _index_create_lock:
            index = backend.__dict__.get(_INDEX_ATTRIBUTE)
            if index is None:
                index = MetricIndex()
                setattr(backend, _INDEX_ATTRIBUTE, index)
    return index


def backend_for(account_id: str, region: str) -> Any:
    """moto's CloudWatch backend of one account and region (created if needed)."""
    from moto.cloudwatch.models import cloudwatch_backends

    return cloudwatch_backends[account_id][region]


def stored_counts(account_id: str, region: str) -> tuple[int, int]:
    """How many series and datapoints the index of one account and region holds."""
    index = index_of(backend_for(account_id, region))
    with index.lock:
        points = sum(len(part) for series in index.series.values() for part in series.parts.values())
        return len(index.series), points


def _provider_index(backend: Any, after_seq: int) -> MetricIndex | None:
    """The metrics moto's providers (S3 bucket sizes) compute on every call, indexed."""
    datums = backend.aws_metric_data
    if not datums:
        return None
    index = MetricIndex()
    index.next_seq = after_seq
    for datum in datums:
        index.add_datum(datum)
    return index


def _sources(backend: Any) -> list[MetricIndex]:
    index = index_of(backend)
    with index.lock:
        after = index.next_seq
    provided = _provider_index(backend, after)
    return [index] if provided is None else [index, provided]


# --------------------------------------------------------------------------------------------
# The bulk API used by the workload
# --------------------------------------------------------------------------------------------


def put_series(
    account_id: str,
    region: str,
    namespace: str,
    metric_name: str,
    dimensions: Mapping[str, str],
    points: Sequence[tuple[datetime, float]],
    unit: str = "None",
) -> None:
    """Append datapoints (tz-aware UTC timestamps, any order) to one series, fast (no moto objects
    per point unless they are needed for consistency)."""
    if not points:
        return
    install()
    converted: list[tuple[int, float]] = []
    for moment, value in points:
        if moment.tzinfo is None:
            raise ValueError(f"put_series needs tz-aware timestamps, got {moment!r}")
        number = float(value)
        if not math.isfinite(number):
            raise ValueError(f"a datapoint value must be finite, not {value!r}")
        converted.append(((moment - _EPOCH_UTC) // _ONE_US, number))
    converted.sort(key=itemgetter(0))
    times = [micros for micros, _ in converted]
    values = [number for _, number in converted]
    dims = tuple((str(name), str(value)) for name, value in dimensions.items())
    index = index_of(backend_for(account_id, region))
    with index.lock:
        part = index.series_for(namespace, metric_name, dims).part(unit)
        part.add_sorted(times, values, index.next_seq)
        index.next_seq += len(times)


def trim_before(cutoff: datetime) -> None:
    """Drop points older than ``cutoff`` everywhere (memory bound for long demos).

    A series left without points is forgotten, so ListMetrics no longer lists it.
    """
    from moto.cloudwatch.models import cloudwatch_backends

    if cutoff.tzinfo is None:
        raise ValueError(f"trim_before needs a tz-aware cutoff, got {cutoff!r}")
    cutoff_us = _to_us(cutoff)
    for account_backends in list(cloudwatch_backends.values()):
        for backend in list(account_backends.values()):
            index = backend.__dict__.get(_INDEX_ATTRIBUTE)
            if index is None:
                continue
            with index.lock:
                series_list = list(index.series.values())
            for series in series_list:
                with index.lock:
                    for part in series.parts.values():
                        part.trim(cutoff_us)
                    index.drop_if_empty(series)


# --------------------------------------------------------------------------------------------
# Statistics, exactly as moto's ``Statistics`` computes them
# --------------------------------------------------------------------------------------------


def _percentile(stat: str) -> float | None:
    match = _PERCENTILE.match(stat)
    if match is None:
        return None
    rank = float(match.group(1))
    return rank if 0.0 <= rank <= 100.0 else None


def _statistic(stat: str, singles: Sequence[float], aggs: Sequence[StatisticSet]) -> Any:
    """One statistic of a bucket: single values and statistic sets, each in arrival order.

    Returns None where moto returns None; a statistic that is neither one of moto's five nor a
    percentile raises ValueError.
    """
    if stat == "Sum":
        return sum(singles) + sum([agg[0] for agg in aggs])
    if stat == "Average":
        count = len(singles) + sum([agg[3] for agg in aggs])
        if not count:
            return None
        return (sum(singles) + sum([agg[0] for agg in aggs])) / count
    if stat == "Minimum":
        if not singles and not aggs:
            return None
        return min(list(singles) + [agg[1] for agg in aggs])
    if stat == "Maximum":
        if not singles and not aggs:
            return None
        return max(list(singles) + [agg[2] for agg in aggs])
    if stat == "SampleCount":
        return len(singles) + sum([agg[3] for agg in aggs])
    rank = _percentile(stat)
    if rank is None:
        raise ValueError(f"unsupported statistic {stat!r}")
    if not singles:
        return None
    ordered = sorted(singles)
    position = max(math.ceil(rank / 100.0 * len(ordered)), 1)
    return ordered[position - 1]


def _buckets(
    slices: Sequence[_Slice], origin_us: int, period_us: int
) -> list[tuple[int, list[float], list[StatisticSet]]]:
    """Group points into ``[origin + k*period, origin + (k+1)*period)``, values in arrival order."""
    if len(slices) == 1 and slices[0].in_order and not slices[0].agg_ts:
        ts = slices[0].ts
        vals = slices[0].vals
        out: list[tuple[int, list[float], list[StatisticSet]]] = []
        size = len(ts)
        low = 0
        while low < size:
            k = (ts[low] - origin_us) // period_us
            high = bisect_left(ts, origin_us + (k + 1) * period_us, low, size)
            out.append((k, vals[low:high].tolist(), []))
            low = high
        return out
    singles: dict[int, list[tuple[int, float]]] = {}
    aggs: dict[int, list[tuple[int, StatisticSet]]] = {}
    for piece in slices:
        for micros, value, seq in zip(piece.ts, piece.vals, piece.seqs, strict=True):
            singles.setdefault((micros - origin_us) // period_us, []).append((seq, value))
        for micros, seq, stats in zip(piece.agg_ts, piece.agg_seqs, piece.agg_stats, strict=True):
            aggs.setdefault((micros - origin_us) // period_us, []).append((seq, stats))
    keys = sorted(singles.keys() | aggs.keys())
    return [
        (
            k,
            [value for _, value in sorted(singles.get(k, ()), key=itemgetter(0))],
            [stats for _, stats in sorted(aggs.get(k, ()), key=itemgetter(0))],
        )
        for k in keys
    ]


# --------------------------------------------------------------------------------------------
# moto backend methods answered from the index
# --------------------------------------------------------------------------------------------


def _exceptions() -> Any:
    from moto.cloudwatch import exceptions

    return exceptions


def _put_metric_data(self: Any, namespace: str, metric_data: list[dict[str, Any]]) -> None:
    for number, metric in enumerate(metric_data):
        self._validate_parameters_put_metric_data(metric, number + 1)
    index = index_of(self)
    now_us = _to_us(_utcnow())
    with index.lock:
        for member in metric_data:
            stamp = member.get("Timestamp")
            micros = _to_us(stamp) if stamp else now_us
            dims = tuple((item["Name"], item["Value"]) for item in member.get("Dimensions", ()))
            part = index.series_for(namespace, member["MetricName"], dims).part(member.get("Unit"))
            if member.get("Values"):
                values = member["Values"]
                counts = member.get("Counts") or ["1"] * len(values)
                for value, count in zip(values, counts, strict=False):
                    for _ in range(int(float(count))):
                        part.add(micros, float(value), index.next_seq)
                        index.next_seq += 1
            elif member.get("StatisticValues"):
                stats = member["StatisticValues"]
                statistic_set = (
                    float(stats["Sum"]),
                    float(stats["Minimum"]),
                    float(stats["Maximum"]),
                    float(stats["SampleCount"]),
                )
                part.add_aggregate(micros, statistic_set, index.next_seq)
                index.next_seq += 1
            else:
                part.add(micros, float(member.get("Value", 0)), index.next_seq)
                index.next_seq += 1


def _stat_result(
    query: dict[str, Any],
    sources: Sequence[MetricIndex],
    start_time: datetime,
    start_us: int,
    end_us: int,
    descending: bool,
) -> dict[str, Any]:
    metric_stat = query["MetricStat"]
    metric = metric_stat["Metric"]
    namespace = metric["Namespace"]
    metric_name = metric["MetricName"]
    period_s = int(metric_stat["Period"])
    if period_s < 1:
        raise _exceptions().ValidationError("The parameter MetricStat.Period must be greater than 0.")
    period_us = period_s * _US_PER_SECOND
    dimensions = metric.get("Dimensions", [])
    dimset = frozenset((item["Name"], item["Value"]) for item in dimensions) if dimensions else None
    unit = metric_stat.get("Unit")
    stat = metric_stat["Stat"]
    supported = stat in BASIC_STATISTICS or _percentile(stat) is not None
    slices: list[_Slice] = []
    for source in sources if supported else ():
        with source.lock:
            slices.extend(source.exact_slices(namespace, metric_name, dimset, unit, start_us, end_us))
    values: list[Any] = []
    timestamps: list[datetime] = []
    epoch = _epoch_like(start_time)
    for k, singles, aggs in _buckets(slices, 0, period_us):
        value = _statistic(stat, singles, aggs)
        if value is None:
            continue
        values.append(value)
        timestamps.append(epoch + timedelta(microseconds=k * period_us))
    if descending and timestamps:
        timestamps.reverse()
        values.reverse()
    result: dict[str, Any] = {
        "id": query["Id"],
        "label": query.get("Label") or f"{metric_name} {stat}",
        "values": values,
        "timestamps": timestamps,
        "status_code": "Complete" if supported else "InternalError",
    }
    if not supported:
        result["messages"] = [
            {"Code": "UnsupportedStatistic", "Value": f"The statistic {stat} is not supported"}
        ]
    return result


def _insights_result(
    query: dict[str, Any],
    position: int,
    sources: Sequence[MetricIndex],
    start_time: datetime,
    start_us: int,
    end_us: int,
    descending: bool,
) -> dict[str, Any]:
    if query.get("Period") is None:
        raise _exceptions().ValidationError(
            f"The parameter MetricDataQueries.member.{position}.Period is required"
            " for a Metrics Insights query."
        )
    period_us = int(query["Period"]) * _US_PER_SECOND
    if period_us < _US_PER_SECOND:
        raise _exceptions().ValidationError("The parameter Period must be greater than 0.")
    slices: list[_Slice] = []
    for source in sources:
        with source.lock:
            slices.extend(source.all_slices(start_us, end_us))
    values: list[Any] = []
    timestamps: list[datetime] = []
    epoch = _epoch_like(start_time)
    for k, singles, aggs in _buckets(slices, 0, period_us):
        values.append(_statistic("Sum", singles, aggs))
        timestamps.append(epoch + timedelta(microseconds=k * period_us))
    if descending and timestamps:
        timestamps.reverse()
        values.reverse()
    return {
        "id": query["Id"],
        "label": query.get("Label") or query["Id"],
        "values": values,
        "timestamps": timestamps,
        "status_code": "Complete",
    }


def _get_metric_data(
    self: Any,
    queries: list[dict[str, Any]],
    start_time: datetime,
    end_time: datetime,
    scan_by: str = "TimestampAscending",
) -> list[dict[str, Any]]:
    if len(queries) > MAX_QUERIES:
        raise _exceptions().ValidationError(
            f"The collection MetricDataQueries must not have a size greater than {MAX_QUERIES}."
        )
    start_time = start_time.replace(microsecond=0)
    end_time = end_time.replace(microsecond=0)
    if start_time > end_time:
        raise _exceptions().ValidationError("The parameter EndTime must be greater than StartTime.")
    if start_time == end_time:
        raise _exceptions().ValidationError("The parameter StartTime must not equal parameter EndTime.")
    start_us = _rounded_start_us(_to_us(start_time))
    end_us = _to_us(end_time)
    descending = scan_by == "TimestampDescending"
    accounts = _QueryAccounts(self)

    results: dict[str, dict[str, Any]] = {}
    to_return: list[dict[str, Any]] = []
    forbidden: dict[str, str] = {}
    for query in queries:
        if "MetricStat" not in query:
            continue
        namespace = query["MetricStat"]["Metric"]["Namespace"]
        sources = accounts.sources(query, namespace)
        if sources is None:
            result = accounts.forbidden(query, query.get("Label") or _stat_label(query))
            forbidden[query["Id"]] = str(query.get("AccountId"))
        else:
            result = _stat_result(query, sources, start_time, start_us, end_us, descending)
        results[query["Id"]] = result
        if query.get("ReturnData", True):
            to_return.append(dict(result))
    math_queries = {
        query["Id"]: query
        for query in queries
        if "Expression" in query and not query["Expression"].lstrip().upper().startswith("SELECT")
    }
    periods = {query["Id"]: int(query["MetricStat"]["Period"]) for query in queries if "MetricStat" in query}
    default_period = min(periods.values()) if periods else 60

    def grid(name: str | None) -> list[int]:
        period_us = (periods.get(name or "") or default_period) * _US_PER_SECOND
        return list(range((start_us // period_us) * period_us, end_us, period_us))

    computed: dict[str, _Operand] = {}
    for query_id, query in math_queries.items():
        used = _used(query_id, math_queries, forbidden) if forbidden else None
        if used is not None:
            # An expression over a metric the caller may not read is refused as that metric is.
            if query.get("ReturnData", True):
                label = query.get("Label") or query_id
                to_return.append(accounts.forbidden(query, label, forbidden[used]))
            continue
        series = _evaluate_query(query_id, math_queries, results, periods, computed, (), grid)
        if not query.get("ReturnData", True):
            continue
        if not isinstance(series, dict):
            reason = "the expression must use at least one metric"
            raise _expression_error(query_id, query["Expression"], reason)
        stamps = sorted(series, reverse=descending)
        epoch = _epoch_like(start_time)
        to_return.append(
            {
                "id": query_id,
                "label": query.get("Label") or query_id,
                "values": [series[stamp] for stamp in stamps],
                "timestamps": [epoch + timedelta(microseconds=stamp) for stamp in stamps],
                "status_code": "Complete",
            }
        )
    for position, query in enumerate(queries, start=1):
        if "Expression" in query and query["Expression"].startswith("SELECT"):
            insight_sources = accounts.sources(query, None)
            if insight_sources is None:
                to_return.append(accounts.forbidden(query, query.get("Label") or query["Id"]))
                continue
            to_return.append(
                _insights_result(query, position, insight_sources, start_time, start_us, end_us, descending)
            )
    return to_return


def _stat_label(query: Mapping[str, Any]) -> str:
    metric_stat = query["MetricStat"]
    return f"{metric_stat['Metric']['MetricName']} {metric_stat['Stat']}"


def _used(
    query_id: str, math_queries: Mapping[str, Mapping[str, Any]], names: Mapping[str, str]
) -> str | None:
    """The first of ``names`` the expression ``query_id`` uses, directly or through other
    expressions; None when it uses none."""
    seen: set[str] = set()
    pending = [query_id]
    while pending:
        current = pending.pop()
        if current in seen:
            continue
        seen.add(current)
        try:
            tokens = _tokens(current, str(math_queries[current]["Expression"]))
        except _exceptions().ValidationError:
            continue  # the evaluation reports the bad expression itself
        for kind, text in tokens:
            if kind != "name":
                continue
            if text in names:
                return text
            if text in math_queries:
                pending.append(text)
    return None


class _QueryAccounts:
    """The account each query of one GetMetricData call reads (its AccountId, else the caller's),
    and whether the caller may: its own account always; another one only as a monitoring account
    that a source account links to with AWS::CloudWatch::Metric, for the namespaces the link
    shares (``tui.sim.extensions.oam``). Otherwise the query's result is Forbidden."""

    def __init__(self, backend: Any) -> None:
        self.backend = backend
        self.own: str = backend.account_id
        self.region: str = backend.region_name
        self._sources: dict[str, list[MetricIndex]] = {self.own: _sources(backend)}
        self._linked: dict[str, Callable[[str], bool]] | None = None

    def linked(self) -> dict[str, Callable[[str], bool]]:
        if self._linked is None:
            from tui.sim.extensions import oam

            self._linked = {}
            for source in oam.linked_sources(self.own, self.region):
                self._linked.setdefault(source.account_id, source.namespaces)
        return self._linked

    def sources(self, query: Mapping[str, Any], namespace: str | None) -> list[MetricIndex] | None:
        """The stores ``query`` reads, or None when the caller may not read them."""
        account = str(query.get("AccountId") or self.own)
        if account != self.own:
            shares = self.linked().get(account)
            if shares is None or (namespace is not None and not shares(namespace)):
                return None
        found = self._sources.get(account)
        if found is None:
            found = self._sources[account] = _sources(backend_for(account, self.region))
        return found

    def forbidden(self, query: Mapping[str, Any], label: str, account: str | None = None) -> dict[str, Any]:
        account = account or str(query.get("AccountId") or self.own)
        return {
            "id": query["Id"],
            "label": label,
            "values": [],
            "timestamps": [],
            "status_code": "Forbidden",
            "messages": [
                {
                    "Code": "Forbidden",
                    "Value": f"Account {self.own} cannot read metrics of account {account}: it is not"
                    " a source account linked to this monitoring account, or its link does not share"
                    " them.",
                }
            ],
        }


# --------------------------------------------------------------------------------------------
# Time alignment and metric math
# --------------------------------------------------------------------------------------------

_US_PER_MINUTE = 60 * _US_PER_SECOND
_US_PER_DAY = 86_400 * _US_PER_SECOND


def _epoch_like(moment: datetime) -> datetime:
    """The epoch, naive or aware like ``moment`` (moto passes either)."""
    return _EPOCH if moment.tzinfo is None else _EPOCH_UTC


def _rounded_start_us(start_us: int) -> int:
    """StartTime rounded down as CloudWatch rounds it: to the minute when less than 15 days ago,
    to 5 minutes within 63 days, to the hour before that."""
    age_us = _to_us(_utcnow()) - start_us
    if age_us < 15 * _US_PER_DAY:
        step = _US_PER_MINUTE
    elif age_us < 63 * _US_PER_DAY:
        step = 5 * _US_PER_MINUTE
    else:
        step = 60 * _US_PER_MINUTE
    return start_us - start_us % step


# A metric math value: a series (timestamp in microseconds -> value) or a number.
_Operand = dict[int, float] | float

_TOKEN = re.compile(
    r"\s*(?:(\d+(?:\.\d*)?(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)|([A-Za-z_][A-Za-z0-9_]*)|(.))"
)


def _expression_error(query_id: str, expression: str, reason: str) -> Exception:
    """CloudWatch's answer to a metric math expression it cannot evaluate (HTTP 400)."""
    error: Exception = _exceptions().ValidationError(
        f"Error in expression {query_id} [{expression}]: {reason}"
    )
    return error


def _tokens(query_id: str, expression: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    position = 0
    text = expression.rstrip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:  # only trailing blanks are left
            break
        number, name, symbol = match.groups()
        if number is not None:
            tokens.append(("number", number))
        elif name is not None:
            tokens.append(("name", name))
        elif symbol in ("+", "-", "*", "/", "(", ")", ",", "[", "]"):
            tokens.append(("symbol", symbol))
        else:
            raise _expression_error(query_id, expression, f"Unexpected character '{symbol}'")
        position = match.end()
    return tokens


def _combine(left: _Operand, right: _Operand, operator: str) -> _Operand:
    def apply(a: float, b: float) -> float | None:
        if operator == "+":
            return a + b
        if operator == "-":
            return a - b
        if operator == "*":
            return a * b
        return None if b == 0.0 else a / b

    pairs: Iterable[tuple[int, float, float]]
    if isinstance(left, dict) and isinstance(right, dict):
        pairs = [(stamp, left[stamp], right[stamp]) for stamp in left if stamp in right]
    elif isinstance(left, dict):
        number = float(right)  # type: ignore[arg-type]
        pairs = [(stamp, value, number) for stamp, value in left.items()]
    elif isinstance(right, dict):
        number = float(left)
        pairs = [(stamp, number, value) for stamp, value in right.items()]
    else:
        value = apply(float(left), float(right))
        return math.nan if value is None else value
    out: dict[int, float] = {}
    for stamp, a, b in pairs:
        value = apply(a, b)
        if value is not None:
            out[stamp] = value
    return out


def _aggregate(function: str, values: Sequence[float]) -> float | None:
    if not values:
        return None
    if function == "MAX":
        return max(values)
    if function == "MIN":
        return min(values)
    if function == "SUM":
        return math.fsum(values)
    return math.fsum(values) / len(values)


_AGGREGATES = ("MAX", "MIN", "SUM", "AVG")
_SERIES_FUNCTIONS = ("ABS", "RATE", "DIFF")


class _Parser:
    """A recursive-descent reader of one expression: sums of products of signed factors, where a
    factor is a number, a query id, a parenthesised sum or a function call.

    ``grid(name)`` lists the timestamps (microseconds) of every period of the queried range, for
    ``FILL``: the periods of the query ``name`` when it is one, else of the shortest period.
    """

    def __init__(
        self,
        query_id: str,
        expression: str,
        resolve: Callable[[str], _Operand],
        period_of: Callable[[str], float],
        grid: Callable[[str | None], list[int]] | None = None,
    ) -> None:
        self.query_id = query_id
        self.expression = expression
        self.tokens = _tokens(query_id, expression)
        self.position = 0
        self.resolve = resolve
        self.period_of = period_of
        self.grid = grid

    def fail(self, reason: str) -> Exception:
        return _expression_error(self.query_id, self.expression, reason)

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        token = self.peek()
        if token is None:
            raise self.fail("Unexpected end of expression")
        self.position += 1
        return token

    def parse(self) -> _Operand:
        if not self.tokens:
            raise self.fail("The expression is empty")
        value = self.sum()
        token = self.peek()
        if token is not None:
            raise self.fail(f"Unexpected token '{token[1]}'")
        return value

    def sum(self) -> _Operand:
        value = self.product()
        while (token := self.peek()) is not None and token[1] in ("+", "-") and token[0] == "symbol":
            self.position += 1
            value = _combine(value, self.product(), token[1])
        return value

    def product(self) -> _Operand:
        value = self.unary()
        while (token := self.peek()) is not None and token[1] in ("*", "/") and token[0] == "symbol":
            self.position += 1
            value = _combine(value, self.unary(), token[1])
        return value

    def unary(self) -> _Operand:
        token = self.peek()
        if token == ("symbol", "-"):
            self.position += 1
            return _combine(-1.0, self.unary(), "*")
        if token == ("symbol", "+"):
            self.position += 1
            return self.unary()
        return self.atom()

    def atom(self) -> _Operand:
        kind, text = self.take()
        if kind == "number":
            return float(text)
        if kind == "symbol" and text == "(":
            value = self.sum()
            if self.peek() != ("symbol", ")"):
                raise self.fail("Missing closing parenthesis")
            self.position += 1
            return value
        if kind == "name":
            if self.peek() == ("symbol", "("):
                return self.call(text)
            return self.resolve(text)
        raise self.fail(f"Unexpected token '{text}'")

    def expect(self, symbol: str, what: str) -> None:
        if self.take() != ("symbol", symbol):
            raise self.fail(what)

    def call(self, function: str) -> _Operand:
        self.position += 1
        name = function.upper()
        if name == "PERIOD":
            kind, query = self.take()
            if kind != "name" or self.take() != ("symbol", ")"):
                raise self.fail("PERIOD takes the id of one metric")
            return self.period_of(query)
        if name == "FILL":
            return self.fill()
        if name in _AGGREGATES:
            return self.aggregate(name)
        if name in _SERIES_FUNCTIONS:
            value = self.sum()
            self.expect(")", f"{name} takes one argument")
            return _series_function(name, value, self.fail)
        raise self.fail(f"Unsupported function {function}")

    def fill(self) -> _Operand:
        token = self.peek()
        named = token[1] if token is not None and token[0] == "name" else None
        value = self.sum()
        self.expect(",", "FILL takes a series and the number that fills its gaps")
        filler = self.sum()
        self.expect(")", "FILL takes a series and the number that fills its gaps")
        if not isinstance(filler, float):
            raise self.fail("FILL fills with a number")
        if not isinstance(value, dict):
            return value
        stamps = self.grid(named) if self.grid is not None else []
        filled = {stamp: value.get(stamp, filler) for stamp in stamps}
        for stamp, number in value.items():
            filled.setdefault(stamp, number)
        return dict(sorted(filled.items()))

    def aggregate(self, function: str) -> _Operand:
        if self.peek() == ("symbol", "["):
            self.position += 1
            items = [self.sum()]
            while self.peek() == ("symbol", ","):
                self.position += 1
                items.append(self.sum())
            self.expect("]", f"{function} takes a list [a, b, ...] or one series")
            self.expect(")", f"{function} takes a list [a, b, ...] or one series")
            return _pointwise(function, items)
        value = self.sum()
        self.expect(")", f"{function} takes a list [a, b, ...] or one series")
        if isinstance(value, dict):
            result = _aggregate(function, list(value.values()))
            return math.nan if result is None else result
        return value


def _pointwise(function: str, items: Sequence[_Operand]) -> _Operand:
    """``MAX([a, b])`` and the like: per timestamp, over the items that have a value there."""
    series = [item for item in items if isinstance(item, dict)]
    numbers = [float(item) for item in items if not isinstance(item, dict)]
    if not series:
        result = _aggregate(function, numbers)
        return math.nan if result is None else result
    stamps = sorted({stamp for item in series for stamp in item})
    out: dict[int, float] = {}
    for stamp in stamps:
        values = [item[stamp] for item in series if stamp in item] + numbers
        value = _aggregate(function, values)
        if value is not None:
            out[stamp] = value
    return out


def _series_function(function: str, value: _Operand, fail: Callable[[str], Exception]) -> _Operand:
    """ABS, and RATE (change per second) and DIFF (change) between consecutive points."""
    if not isinstance(value, dict):
        if function == "ABS":
            return abs(value)
        raise fail(f"{function} takes a series")
    if function == "ABS":
        return {stamp: abs(number) for stamp, number in value.items()}
    stamps = sorted(value)
    out: dict[int, float] = {}
    for before, stamp in itertools.pairwise(stamps):
        change = value[stamp] - value[before]
        out[stamp] = change if function == "DIFF" else change / ((stamp - before) / _US_PER_SECOND)
    return out


def evaluate_math(
    query_id: str,
    math_queries: Mapping[str, dict[str, Any]],
    stat_series: Mapping[str, Mapping[int, float]],
    periods: Mapping[str, int],
    grid: Callable[[str | None], list[int]],
) -> _Operand:
    """The value of the metric math query ``query_id`` over series already computed
    (``stat_series``: query id -> timestamp in microseconds -> value), for the alarms' evaluator."""
    results = {
        name: {
            "timestamps": [_from_us(stamp) for stamp in sorted(series)],
            "values": [series[stamp] for stamp in sorted(series)],
        }
        for name, series in stat_series.items()
    }
    return _evaluate_query(query_id, math_queries, results, periods, {}, (), grid)


def _evaluate_query(
    query_id: str,
    math_queries: Mapping[str, dict[str, Any]],
    stat_results: Mapping[str, dict[str, Any]],
    periods: Mapping[str, int],
    computed: dict[str, _Operand],
    visiting: tuple[str, ...],
    grid: Callable[[str | None], list[int]] | None = None,
) -> _Operand:
    """The value of the math query ``query_id``, evaluating the expressions it uses first."""
    if query_id in computed:
        return computed[query_id]
    expression = str(math_queries[query_id]["Expression"])

    def resolve(name: str) -> _Operand:
        if name in stat_results:
            result = stat_results[name]
            return {
                _to_us(stamp): float(value)
                for stamp, value in zip(result["timestamps"], result["values"], strict=True)
            }
        if name in math_queries:
            if name == query_id or name in visiting:
                raise _expression_error(query_id, expression, f"Circular reference to {name}")
            return _evaluate_query(
                name, math_queries, stat_results, periods, computed, (*visiting, query_id), grid
            )
        raise _expression_error(query_id, expression, f"Unrecognized metric or expression id {name}")

    def period_of(name: str) -> float:
        if name in periods:
            return float(periods[name])
        if name in math_queries and "Period" in math_queries[name]:
            return float(math_queries[name]["Period"])
        raise _expression_error(query_id, expression, f"PERIOD needs the id of a metric, not {name}")

    value = _Parser(query_id, expression, resolve, period_of, grid).parse()
    if isinstance(value, float) and not math.isfinite(value):
        raise _expression_error(query_id, expression, "Division by zero")
    computed[query_id] = value
    return value


def _get_metric_statistics(
    self: Any,
    namespace: str,
    metric_name: str,
    start_time: datetime,
    end_time: datetime,
    period: int,
    stats: list[str],
    dimensions: list[dict[str, str]],
    unit: str | None = None,
) -> list[dict[str, Any]]:
    start_time = start_time.replace(microsecond=0)
    end_time = end_time.replace(microsecond=0)
    if start_time >= end_time:
        raise _exceptions().InvalidParameterValue(
            "The parameter StartTime must be less than the parameter EndTime."
        )
    if int(period) < 1:
        raise _exceptions().InvalidParameterValue("The parameter Period must be greater than 0.")
    period_us = int(period) * _US_PER_SECOND
    start_us = _to_us(start_time)
    end_us = _to_us(end_time)
    filters = [(item["Name"], item.get("Value")) for item in dimensions or ()]
    slices: list[_Slice] = []
    for source in _sources(self):
        with source.lock:
            slices.extend(source.filtered_slices(namespace, metric_name, filters, unit, start_us, end_us))

    # (timestamp, arrival, value or None, statistic set or None, unit), oldest first.
    entries: list[tuple[int, int, float | None, StatisticSet | None, str | None]] = []
    for piece in slices:
        entries.extend(
            (micros, seq, value, None, piece.unit)
            for micros, value, seq in zip(piece.ts, piece.vals, piece.seqs, strict=True)
        )
        entries.extend(
            (micros, seq, None, stats, piece.unit)
            for micros, seq, stats in zip(piece.agg_ts, piece.agg_seqs, piece.agg_stats, strict=True)
        )
    if not entries:
        return []
    entries.sort(key=itemgetter(0, 1))
    origin = entries[0][0]
    datapoints: list[dict[str, Any]] = []
    low = 0
    while low < len(entries):
        k = (entries[low][0] - origin) // period_us
        bound = origin + (k + 1) * period_us
        high = low
        while high < len(entries) and entries[high][0] < bound:
            high += 1
        bucket = entries[low:high]
        singles = [entry[2] for entry in bucket if entry[2] is not None]
        aggs = [entry[3] for entry in bucket if entry[3] is not None]
        point: dict[str, Any] = {"Timestamp": _from_us(origin + k * period_us)}
        for stat in BASIC_STATISTICS:
            if stat in stats:
                value = _statistic(stat, singles, aggs)
                if value is not None:
                    point[stat] = value
        if bucket[-1][4] is not None:
            point["Unit"] = bucket[-1][4]
        datapoints.append(point)
        low = high
    return datapoints


def _encode_token(phase: int, position: int) -> str:
    return base64.urlsafe_b64encode(f"{_TOKEN_PREFIX}{phase}:{position}".encode()).decode()


def _decode_token(token: str) -> tuple[int, int]:
    invalid = _exceptions().InvalidParameterValue("Request parameter NextToken is invalid")
    try:
        text = base64.urlsafe_b64decode(token.encode()).decode()
    except (binascii.Error, UnicodeError, ValueError):
        raise invalid from None
    if not text.startswith(_TOKEN_PREFIX):
        raise invalid
    phase_text, _, position_text = text[len(_TOKEN_PREFIX) :].partition(":")
    if phase_text not in ("0", "1") or not position_text.isdigit():
        raise invalid
    return int(phase_text), int(position_text)


def _list_candidates(
    index: MetricIndex,
    namespace: str | None,
    metric_name: str | None,
    filters: Sequence[tuple[str, str | None]],
    active_since_us: int | None,
    after: int,
    limit: int,
    shared: Callable[[str], bool] | None = None,
) -> list[tuple[int, dict[str, Any]]]:
    """Up to ``limit`` matching series whose position in ``index`` is after ``after`` (and whose
    namespace ``shared`` accepts, when given)."""
    found: list[tuple[int, dict[str, Any]]] = []
    with index.lock:
        if namespace and metric_name:
            pool: Iterable[_Series] = index.by_name.get((namespace, metric_name), {}).values()
        else:
            pool = index.series.values()
        for series in pool:
            if series.serial <= after:
                continue
            if namespace and series.namespace != namespace:
                continue
            if shared is not None and not shared(series.namespace):
                continue
            if metric_name and series.metric_name != metric_name:
                continue
            if not series.matches_filters(filters):
                continue
            if active_since_us is not None:
                last = series.last_us()
                if last is None or last < active_since_us:
                    continue
            found.append((series.serial, series.describe()))
            if len(found) >= limit:
                break
    return found


def _list_metrics(
    self: Any,
    next_token: str | None,
    namespace: str | None,
    metric_name: str | None,
    dimensions: list[dict[str, str]] | None,
    recently_active: str | None = None,
) -> tuple[str | None, list[dict[str, Any]]]:
    phase, after = _decode_token(next_token) if next_token else (0, -1)
    active_since_us: int | None = None
    if recently_active:
        if recently_active != "PT3H":
            raise _exceptions().InvalidParameterValue(
                f"The value {recently_active} for parameter RecentlyActive is not valid."
            )
        active_since_us = _to_us(_utcnow() - RECENTLY_ACTIVE_WINDOW)
    filters = [(item["Name"], item.get("Value")) for item in dimensions or ()]
    limit = LIST_METRICS_PAGE_SIZE + 1
    page: list[tuple[int, int, dict[str, Any]]] = []
    if phase == 0:
        stored = _list_candidates(
            index_of(self), namespace, metric_name, filters, active_since_us, after, limit
        )
        page.extend((0, order, metric) for order, metric in stored)
        after = -1
    if len(page) < limit:
        provided = _provider_index(self, 0)
        if provided is not None:
            for order, metric in _list_candidates(
                provided, namespace, metric_name, filters, active_since_us, after, limit - len(page)
            ):
                page.append((1, order, metric))
    if len(page) > LIST_METRICS_PAGE_SIZE:
        last_phase, last_order, _ = page[LIST_METRICS_PAGE_SIZE - 1]
        return _encode_token(last_phase, last_order), [metric for _, _, metric in page[:-1]]
    return None, [metric for _, _, metric in page]


def _get_all_metrics(self: Any) -> list[Any]:
    """moto datum objects for everything in the index, in arrival order, then the providers'."""
    from moto.cloudwatch.models import MetricAggregatedDatum, MetricDatum

    index = index_of(self)
    numbered: list[tuple[int, Any]] = []
    with index.lock:
        for series in index.series.values():
            dims = [{"Name": name, "Value": value} for name, value in series.dims]
            for unit, part in series.parts.items():
                for micros, value, seq in zip(part.ts, part.vals, part.seqs, strict=True):
                    numbered.append(
                        (
                            seq,
                            MetricDatum(
                                series.namespace, series.metric_name, value, dims, _from_us(micros), unit
                            ),
                        )
                    )
                for micros, seq, stats in zip(part.agg_ts, part.agg_seqs, part.agg_stats, strict=True):
                    numbered.append(
                        (
                            seq,
                            MetricAggregatedDatum(
                                namespace=series.namespace,
                                name=series.metric_name,
                                min_stat=stats[1],
                                max_stat=stats[2],
                                sample_count=stats[3],
                                sum_stat=stats[0],
                                dimensions=dims,
                                timestamp=_from_us(micros),
                                unit=unit,
                            ),
                        )
                    )
    numbered.sort(key=itemgetter(0))
    return [datum for _, datum in numbered] + list(self.aws_metric_data)


def _encode_linked_token(account: str, phase: int, position: int) -> str:
    text = f"{_LINKED_TOKEN_PREFIX}{account}:{phase}:{position}"
    return base64.urlsafe_b64encode(text.encode()).decode()


def _decode_linked_token(token: str) -> tuple[str, int, int]:
    invalid = _exceptions().InvalidParameterValue("Request parameter NextToken is invalid")
    try:
        text = base64.urlsafe_b64decode(token.encode()).decode()
    except (binascii.Error, UnicodeError, ValueError):
        raise invalid from None
    if not text.startswith(_LINKED_TOKEN_PREFIX):
        raise invalid
    account, phase_text, position_text = [*text[len(_LINKED_TOKEN_PREFIX) :].split(":"), "", ""][:3]
    if not (account.isdigit() and phase_text in ("0", "1") and position_text.lstrip("-").isdigit()):
        raise invalid
    return account, int(phase_text), int(position_text)


def list_linked_metrics(
    backend: Any,
    next_token: str | None,
    namespace: str | None,
    metric_name: str | None,
    dimensions: list[dict[str, str]] | None,
    recently_active: str | None = None,
    owning_account: str | None = None,
) -> tuple[str | None, list[dict[str, Any]], list[str]]:
    """ListMetrics with IncludeLinkedAccounts: the caller's metrics, then those of each source
    account linked to its sink (``tui.sim.extensions.oam``) in the order the links were made,
    only the namespaces each link shares; with ``owning_account``, that account's only. Returns
    the next token, the metrics and, one per metric, the account that owns it."""
    from tui.sim.extensions import oam

    own = backend.account_id
    accounts: dict[str, Callable[[str], bool] | None] = {own: None}
    for source in oam.linked_sources(own, backend.region_name):
        accounts.setdefault(source.account_id, source.namespaces)
    if owning_account:
        accounts = {owning_account: accounts[owning_account]} if owning_account in accounts else {}
    active_since_us: int | None = None
    if recently_active:
        if recently_active != "PT3H":
            raise _exceptions().InvalidParameterValue(
                f"The value {recently_active} for parameter RecentlyActive is not valid."
            )
        active_since_us = _to_us(_utcnow() - RECENTLY_ACTIVE_WINDOW)
    filters = [(item["Name"], item.get("Value")) for item in dimensions or ()]
    order = list(accounts)
    start_account, start_phase, after = order[0] if order else own, 0, -1
    if next_token:
        start_account, start_phase, after = _decode_linked_token(next_token)
        if start_account not in accounts:
            raise _exceptions().InvalidParameterValue("Request parameter NextToken is invalid")
    limit = LIST_METRICS_PAGE_SIZE + 1
    page: list[tuple[str, int, int, dict[str, Any]]] = []
    for account in order[order.index(start_account) :] if order else ():
        source = backend if account == own else backend_for(account, backend.region_name)
        for phase in (0, 1):
            if account == start_account and phase < start_phase:
                continue
            index = index_of(source) if phase == 0 else _provider_index(source, 0)
            if index is None:
                continue
            resume = after if (account, phase) == (start_account, start_phase) else -1
            found = _list_candidates(
                index,
                namespace,
                metric_name,
                filters,
                active_since_us,
                resume,
                limit - len(page),
                accounts[account],
            )
            page.extend((account, phase, serial, metric) for serial, metric in found)
            if len(page) >= limit:
                break
        if len(page) >= limit:
            break
    token = None
    if len(page) > LIST_METRICS_PAGE_SIZE:
        last_account, last_phase, last_serial, _ = page[LIST_METRICS_PAGE_SIZE - 1]
        token = _encode_linked_token(last_account, last_phase, last_serial)
        page = page[:LIST_METRICS_PAGE_SIZE]
    return token, [metric for _, _, _, metric in page], [account for account, _, _, _ in page]


def _list_metrics_response(self: Any) -> Any:
    from moto.core.responses import ActionResult

    params = self._get_params()
    if params.get("IncludeLinkedAccounts"):
        next_token, metrics, owners = list_linked_metrics(
            self.cloudwatch_backend,
            self._get_param("NextToken"),
            self._get_param("Namespace"),
            self._get_param("MetricName"),
            params.get("Dimensions", []),
            recently_active=self._get_param("RecentlyActive"),
            owning_account=self._get_param("OwningAccount"),
        )
        return ActionResult({"Metrics": metrics, "NextToken": next_token, "OwningAccounts": owners})
    next_token, metrics = self.cloudwatch_backend.list_metrics(
        self._get_param("NextToken"),
        self._get_param("Namespace"),
        self._get_param("MetricName"),
        params.get("Dimensions", []),
        recently_active=self._get_param("RecentlyActive"),
    )
    return ActionResult({"Metrics": metrics, "NextToken": next_token})


# --------------------------------------------------------------------------------------------
# Registration
# --------------------------------------------------------------------------------------------

BACKEND_METHODS: dict[str, Callable[..., Any]] = {
    "put_metric_data": _put_metric_data,
    "get_metric_data": _get_metric_data,
    "get_metric_statistics": _get_metric_statistics,
    "list_metrics": _list_metrics,
    "get_all_metrics": _get_all_metrics,
}
RESPONSE_METHODS: dict[str, Callable[..., Any]] = {
    "list_metrics": _list_metrics_response,
}

# The parameters of the moto functions replaced above, as moto 5.2.5 declares them.
EXPECTED_SIGNATURES: dict[str, tuple[str, ...]] = {
    "CloudWatchBackend.put_metric_data": ("self", "namespace", "metric_data"),
    "CloudWatchBackend.get_metric_data": ("self", "queries", "start_time", "end_time", "scan_by"),
    "CloudWatchBackend.get_metric_statistics": (
        "self",
        "namespace",
        "metric_name",
        "start_time",
        "end_time",
        "period",
        "stats",
        "dimensions",
        "unit",
    ),
    "CloudWatchBackend.list_metrics": ("self", "next_token", "namespace", "metric_name", "dimensions"),
    "CloudWatchBackend.get_all_metrics": ("self",),
    "CloudWatchResponse.list_metrics": ("self",),
}


def signature_of(function: Any) -> tuple[str, ...]:
    return tuple(inspect.signature(function).parameters)


def install() -> None:
    """Make the index moto CloudWatch's store of datapoints (idempotent)."""
    if moto_originals.get("installed"):
        return
    from moto.cloudwatch.models import CloudWatchBackend
    from moto.cloudwatch.responses import CloudWatchResponse

    with _install_lock:
        if moto_originals.get("installed"):
            return
        for owner, methods in (
            (CloudWatchBackend, BACKEND_METHODS),
            (CloudWatchResponse, RESPONSE_METHODS),
        ):
            for name, function in methods.items():
                key = f"{owner.__name__}.{name}"
                current = owner.__dict__.get(name)
                if current is None:
                    raise RuntimeError(f"moto's {key} is gone: the CloudWatch extension needs updating")
                if current is function:
                    continue
                if signature_of(current) != EXPECTED_SIGNATURES[key]:
                    raise RuntimeError(
                        f"moto's {key}{signature_of(current)} changed:"
                        " the CloudWatch extension needs updating"
                    )
                moto_originals.setdefault(key, current)
                setattr(owner, name, function)
        moto_originals["installed"] = True
    logger.debug("CloudWatch metric index installed")
