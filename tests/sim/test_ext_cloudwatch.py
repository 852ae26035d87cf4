"""The CloudWatch metric index: moto's answers, from an index, and the bulk API.

Region ap-southeast-2 is this module's own. The equivalence tests work in-process on account
210987654321 and compare the index with moto's original code (its own storage and its own scan);
accounts 310987654321 and 410987654321 hold two small in-process cases.
"""

from __future__ import annotations

import inspect
import random
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tui.sim.extensions import cloudwatch
from tui.sim.extensions.cloudwatch import put_series, trim_before

ACCOUNT = "123456789012"
REGION = "ap-southeast-2"
EQ_ACCOUNT = "210987654321"

ClientMaker = Callable[..., Any]


@pytest.fixture
def cw(client: ClientMaker) -> Any:
    return client("cloudwatch", region=REGION)


def _now(step_minutes: int = 1) -> datetime:
    """The current minute, rounded down to a multiple of ``step_minutes`` since the epoch."""
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    return now - timedelta(minutes=now.minute % step_minutes)


# --------------------------------------------------------------------------------------------
# What this module patches in moto
# --------------------------------------------------------------------------------------------


def test_moto_functions_the_index_replaces_are_still_there() -> None:
    from moto.cloudwatch.metric_data_expression_parser import parse_expression
    from moto.cloudwatch.models import (
        CloudWatchBackend,
        MetricAggregatedDatum,
        MetricDatum,
    )
    from moto.cloudwatch.responses import CloudWatchResponse

    cloudwatch.install()
    owners = {"CloudWatchBackend": CloudWatchBackend, "CloudWatchResponse": CloudWatchResponse}
    for key, parameters in cloudwatch.EXPECTED_SIGNATURES.items():
        original = cloudwatch.moto_originals.get(key)
        assert callable(original), f"moto's {key} is gone: review tui/sim/extensions/cloudwatch.py"
        assert cloudwatch.signature_of(original) == parameters, (
            f"moto's {key} now takes {cloudwatch.signature_of(original)}, not {parameters}:"
            " review tui/sim/extensions/cloudwatch.py"
        )
        owner_name, _, name = key.partition(".")
        methods = (
            cloudwatch.BACKEND_METHODS if owner_name == "CloudWatchBackend" else cloudwatch.RESPONSE_METHODS
        )
        assert owners[owner_name].__dict__[name] is methods[name], f"{key} is not the index's"

    def params(function: Any) -> list[str]:
        return list(inspect.signature(function).parameters)

    assert params(CloudWatchBackend._validate_parameters_put_metric_data) == [
        "self",
        "metric",
        "query_num",
    ], "moto's put_metric_data validator changed"
    assert params(MetricDatum.__init__) == [
        "self",
        "namespace",
        "name",
        "value",
        "dimensions",
        "timestamp",
        "unit",
    ], "moto's MetricDatum changed"
    assert params(MetricAggregatedDatum.__init__) == [
        "self",
        "namespace",
        "name",
        "min_stat",
        "max_stat",
        "sample_count",
        "sum_stat",
        "dimensions",
        "timestamp",
        "unit",
    ], "moto's MetricAggregatedDatum changed"
    assert params(parse_expression) == ["expression", "results"], "moto's metric math parser changed"
    assert isinstance(CloudWatchBackend.__dict__.get("aws_metric_data"), property), (
        "moto's CloudWatchBackend.aws_metric_data (metrics computed by providers) is gone"
    )
    assert params(CloudWatchBackend.get_filtered_metrics) == [
        "self",
        "metric_name",
        "namespace",
        "dimensions",
    ]
    assert "scan_by" in inspect.getsource(CloudWatchResponse.get_metric_data), (
        "moto's GetMetricData response no longer passes ScanBy"
    )


def test_install_is_idempotent() -> None:
    from moto.cloudwatch.models import CloudWatchBackend

    cloudwatch.install()
    installed = CloudWatchBackend.__dict__["get_metric_data"]
    original = cloudwatch.moto_originals["CloudWatchBackend.get_metric_data"]
    cloudwatch.install()
    assert CloudWatchBackend.__dict__["get_metric_data"] is installed
    assert cloudwatch.moto_originals["CloudWatchBackend.get_metric_data"] is original
    assert original is not installed


# --------------------------------------------------------------------------------------------
# Equivalence with moto's own storage and scan
# --------------------------------------------------------------------------------------------

# Metric names differ between namespaces: moto ignores the namespace of a query with dimensions.
METRICS = {"App/One": ("Latency", "Errors"), "App/Two": ("Depth", "Age")}
# Fed only by put_series, oldest first: the index reads these without re-sorting by arrival.
STEADY = {"App/Three": ("Steady",)}
QUERYABLE = {**METRICS, **STEADY}
DIMENSION_SETS: tuple[tuple[tuple[str, str], ...], ...] = (
    (),
    (("Host", "h1"),),
    (("Host", "h2"),),
    (("Host", "h1"), ("Az", "a")),
    (("Queue", "q1"),),
)
UNITS = (None, "Count", "Bytes")
STATS = ("Sum", "Average", "Minimum", "Maximum", "SampleCount")


class _Pair:
    """The real backend (the index) and a shadow backend running moto's original code."""

    def __init__(self) -> None:
        from moto.cloudwatch.models import CloudWatchBackend, cloudwatch_backends
        from moto.s3.models import s3_backends

        cloudwatch.install()
        self.backend: Any = cloudwatch_backends[EQ_ACCOUNT][REGION]
        self.backend.reset()
        self.shadow = CloudWatchBackend(REGION, EQ_ACCOUNT)
        s3 = s3_backends[EQ_ACCOUNT]["aws"]
        if "warroom-cw-equivalence" not in s3.buckets:
            s3.create_bucket("warroom-cw-equivalence", REGION)
        original_all = cloudwatch.moto_originals["CloudWatchBackend.get_all_metrics"]
        self.reference = SimpleNamespace(get_all_metrics=lambda: original_all(self.shadow))
        self.base = datetime.now(UTC).replace(tzinfo=None)
        self.span = timedelta(hours=1)

    def put_metric_data(self, namespace: str, members: list[dict[str, Any]]) -> None:
        self.backend.put_metric_data(namespace, members)
        cloudwatch.moto_originals["CloudWatchBackend.put_metric_data"](self.shadow, namespace, members)

    def put_series(
        self,
        namespace: str,
        name: str,
        dims: tuple[tuple[str, str], ...],
        points: list[tuple[datetime, float]],
        unit: str,
    ) -> None:
        put_series(EQ_ACCOUNT, REGION, namespace, name, dict(dims), points, unit)
        ordered = sorted(points, key=lambda point: point[0])
        members = [
            {
                "MetricName": name,
                "Value": value,
                "Timestamp": moment.astimezone(UTC).replace(tzinfo=None),
                "Dimensions": [{"Name": key, "Value": item} for key, item in dims],
                "Unit": unit,
            }
            for moment, value in ordered
        ]
        cloudwatch.moto_originals["CloudWatchBackend.put_metric_data"](self.shadow, namespace, members)

    def get_metric_data(self, *args: Any) -> tuple[Any, Any]:
        mine = self.backend.get_metric_data(*args)
        theirs = cloudwatch.moto_originals["CloudWatchBackend.get_metric_data"](self.reference, *args)
        return mine, theirs

    def get_metric_statistics(self, **kwargs: Any) -> tuple[Any, Any]:
        mine = self.backend.get_metric_statistics(**kwargs)
        original = cloudwatch.moto_originals["CloudWatchBackend.get_metric_statistics"]
        theirs = [_datapoint(statistics) for statistics in original(self.reference, **kwargs)]
        return mine, theirs


def _datapoint(statistics: Any) -> dict[str, Any]:
    """A moto ``Statistics`` as the Datapoint its serializer writes."""
    point: dict[str, Any] = {"Timestamp": statistics.timestamp}
    for stat, attribute in (
        ("SampleCount", "sample_count"),
        ("Average", "average"),
        ("Sum", "sum"),
        ("Minimum", "minimum"),
        ("Maximum", "maximum"),
    ):
        value = getattr(statistics, attribute)
        if value is not None:
            point[stat] = value
    if statistics.unit is not None:
        point["Unit"] = statistics.unit
    return point


def _datum_row(datum: Any) -> tuple[Any, ...]:
    payload = (
        datum.value if hasattr(datum, "value") else (datum.sum, datum.min, datum.max, datum.sample_count)
    )
    dims = [(dimension.name, dimension.value) for dimension in datum.dimensions]
    return (datum.namespace, datum.name, payload, dims, datum.timestamp, datum.unit)


def _random_members(rng: random.Random, base: datetime, span: timedelta) -> list[dict[str, Any]]:
    members = []
    for _ in range(rng.randint(1, 20)):
        namespace = rng.choice(sorted(METRICS))
        stamp = base + timedelta(microseconds=rng.randrange(int(span / timedelta(microseconds=1))))
        if rng.random() < 0.15:
            stamp = stamp.replace(second=0, microsecond=0)
        member: dict[str, Any] = {
            "MetricName": rng.choice(METRICS[namespace]),
            "Timestamp": stamp,
            "Dimensions": [{"Name": key, "Value": value} for key, value in rng.choice(DIMENSION_SETS)],
        }
        unit = rng.choice(UNITS)
        if unit is not None:
            member["Unit"] = unit
        kind = rng.random()
        if kind < 0.7:
            member["Value"] = rng.uniform(-50.0, 1000.0)
        elif kind < 0.85:
            member["Values"] = [rng.uniform(0.0, 10.0) for _ in range(rng.randint(1, 4))]
            member["Counts"] = [float(rng.randint(1, 3)) for _ in member["Values"]]
        else:
            low = rng.uniform(0.0, 5.0)
            high = low + rng.uniform(0.0, 5.0)
            count = float(rng.randint(1, 9))
            member["StatisticValues"] = {
                "Sum": rng.uniform(low, high) * count,
                "Minimum": low,
                "Maximum": high,
                "SampleCount": count,
            }
        members.append((namespace, member))
    by_namespace: dict[str, list[dict[str, Any]]] = {}
    for namespace, member in members:
        by_namespace.setdefault(namespace, []).append(member)
    return [{"Namespace": namespace, "MetricData": batch} for namespace, batch in by_namespace.items()]


@pytest.fixture(scope="module")
def pair() -> _Pair:
    """Random data (fixed seed) around today's midnight, where moto's S3 provider puts its metrics."""
    rng = random.Random(20261126)
    pair = _Pair()
    midnight = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0, tzinfo=None)
    pair.base = base = midnight - timedelta(hours=2)
    pair.span = span = timedelta(hours=4)
    for _ in range(60):
        for call in _random_members(rng, base, span):
            pair.put_metric_data(call["Namespace"], call["MetricData"])
    for _ in range(25):
        namespace = rng.choice(sorted(METRICS))
        points = [
            (
                (base + timedelta(seconds=rng.randrange(int(span.total_seconds())))).replace(tzinfo=UTC),
                rng.uniform(0.0, 500.0),
            )
            for _ in range(rng.randint(1, 40))
        ]
        pair.put_series(
            namespace,
            rng.choice(METRICS[namespace]),
            rng.choice(DIMENSION_SETS),
            points,
            rng.choice(("None", "Count")),
        )
    for dims in DIMENSION_SETS[1:3]:
        for chunk in range(8):
            points = [
                (
                    (base + timedelta(minutes=30 * chunk + minute, seconds=rng.randrange(60))).replace(
                        tzinfo=UTC
                    ),
                    rng.uniform(0.0, 100.0),
                )
                for minute in range(30)
            ]
            pair.put_series("App/Three", "Steady", dims, points, "Bytes")
    return pair


def _window(
    rng: random.Random, base: datetime, span: timedelta, period: int | None = None
) -> tuple[datetime, datetime]:
    """A random window; with ``period``, one that starts on a multiple of it since the epoch
    (CloudWatch's buckets and moto's, which step from StartTime, then coincide)."""
    total = int(span.total_seconds())
    start = base + timedelta(seconds=rng.randrange(-600, total), microseconds=rng.randrange(1_000_000))
    end = start + timedelta(seconds=rng.randrange(1, total + 1200), microseconds=rng.randrange(1_000_000))
    if rng.random() < 0.4:
        # Whole minutes: datapoints stamped on the minute then sit on the window's edges.
        start = start.replace(second=0)
        end = end.replace(second=0)
    if period is not None:
        seconds = int((start.replace(tzinfo=UTC) - datetime.fromtimestamp(0, UTC)).total_seconds())
        start = datetime.fromtimestamp(seconds - seconds % period, UTC).replace(tzinfo=None)
    if end.replace(microsecond=0) <= start.replace(microsecond=0):
        end = start + timedelta(seconds=2)
    return start, end


def _random_query(rng: random.Random, number: int, period: int) -> dict[str, Any]:
    namespace = rng.choice(sorted(QUERYABLE))
    name = rng.choice(QUERYABLE[namespace]) if rng.random() < 0.95 else "NoSuchMetric"
    metric: dict[str, Any] = {"Namespace": namespace, "MetricName": name}
    dims = rng.choice(DIMENSION_SETS)
    if dims:
        metric["Dimensions"] = [{"Name": key, "Value": value} for key, value in dims]
    metric_stat: dict[str, Any] = {
        "Metric": metric,
        "Period": period,
        "Stat": rng.choice(STATS),
    }
    if rng.random() < 0.3:
        metric_stat["Unit"] = rng.choice(("Count", "Bytes", "None", "Seconds"))
    query: dict[str, Any] = {"Id": f"q{number}", "MetricStat": metric_stat}
    if rng.random() < 0.2:
        query["Label"] = f"label {number}"
    if rng.random() < 0.2:
        query["ReturnData"] = False
    return query


def test_put_metric_data_stores_what_moto_stores(pair: _Pair) -> None:
    from moto.cloudwatch.models import cloudwatch_backends

    backend: Any = cloudwatch_backends[EQ_ACCOUNT][REGION]
    mine = [_datum_row(datum) for datum in backend.get_all_metrics()]
    theirs = [_datum_row(datum) for datum in pair.reference.get_all_metrics()]
    assert len(mine) > 500
    parts = [
        part for series in cloudwatch.index_of(backend).series.values() for part in series.parts.values()
    ]
    assert any(part.in_order and len(part) > 100 for part in parts), "no series is read on the fast path"
    assert any(not part.in_order for part in parts), "no series arrived out of time order"
    assert any(row[0] == "AWS/S3" for row in theirs), "the S3 provider's metrics are part of the comparison"
    # Points appended with put_series to an existing series get their numbers in time order,
    # like the PutMetricData call the shadow made; a datum list in arrival order is the same.
    assert mine == theirs


def test_get_metric_data_equals_moto(pair: _Pair) -> None:
    rng = random.Random(7)
    base, span = pair.base, pair.span
    compared = 0
    for call in range(120):
        # One period per call, and a window aligned to it (CloudWatch's buckets are aligned to the
        # period; moto's step from StartTime); moto computes no arithmetic, so only bare ids here.
        period = rng.choice((60, 120, 300, 600, 3600, 86400))
        queries = [_random_query(rng, number, period) for number in range(rng.randint(1, 12))]
        stat_ids = [query["Id"] for query in queries]
        if rng.random() < 0.5:
            queries.append({"Id": "e1", "Expression": rng.choice(stat_ids)})
        if rng.random() < 0.3:
            queries.append({"Id": "s1", "Expression": 'SELECT SUM(Latency) FROM "App/One"', "Period": period})
        rng.shuffle(queries)
        start, end = _window(rng, base, span, period)
        scan_by = rng.choice(("TimestampAscending", "TimestampDescending"))
        mine, theirs = pair.get_metric_data(queries, start, end, scan_by)
        assert mine == theirs, f"call {call}: {queries} {start} {end} {scan_by}"
        compared += sum(len(result["values"]) for result in theirs)
    assert compared > 1000, "the random queries found too little data to compare"


def test_get_metric_data_equals_moto_over_the_whole_day(pair: _Pair) -> None:
    base = pair.base
    queries = [
        {
            "Id": f"q{number}",
            "MetricStat": {
                "Metric": {
                    "Namespace": namespace,
                    "MetricName": name,
                    "Dimensions": [{"Name": key, "Value": value} for key, value in dims],
                },
                "Period": 300,
                "Stat": stat,
            },
        }
        for number, (namespace, name, dims, stat) in enumerate(
            (namespace, name, dims, stat)
            for namespace, names in QUERYABLE.items()
            for name in names
            for dims in DIMENSION_SETS
            for stat in STATS
        )
    ]
    queries.append({"Id": "s3", "MetricStat": _s3_stat()})
    for scan_by in ("TimestampAscending", "TimestampDescending"):
        mine, theirs = pair.get_metric_data(
            queries, base - timedelta(hours=1), base + timedelta(hours=6), scan_by
        )
        # The window starts on a multiple of 300 s, so the 5-minute buckets are moto's; the daily
        # S3 point is stamped at midnight, the start of its day, where moto stamps StartTime.
        assert mine[:-1] == theirs[:-1]
        assert mine[-1]["values"] == theirs[-1]["values"]
        midnight = base + timedelta(hours=2)
        assert mine[-1]["timestamps"] == [midnight]
        assert theirs[-1]["timestamps"] == [base - timedelta(hours=1)]
    assert mine[-1]["values"], "moto's S3 provider metric is answered"


def _s3_stat() -> dict[str, Any]:
    return {
        "Metric": {
            "Namespace": "AWS/S3",
            "MetricName": "NumberOfObjects",
            "Dimensions": [
                {"Name": "StorageType", "Value": "AllStorageTypes"},
                {"Name": "BucketName", "Value": "warroom-cw-equivalence"},
            ],
        },
        "Period": 86400,
        "Stat": "Maximum",
    }


def test_get_metric_statistics_equals_moto(pair: _Pair) -> None:
    rng = random.Random(11)
    base, span = pair.base, pair.span
    filters: tuple[list[dict[str, str]], ...] = (
        [],
        [{"Name": "Host", "Value": "h1"}],
        [{"Name": "Host", "Value": "h2"}],
        [{"Name": "Az", "Value": "a"}],
        [{"Name": "Host", "Value": "h1"}, {"Name": "Az", "Value": "a"}],
        [{"Name": "Host"}],
        [{"Name": "Queue", "Value": "q9"}],
    )
    compared = 0
    for call in range(200):
        namespace = rng.choice(sorted(QUERYABLE))
        start, end = _window(rng, base, span)
        kwargs = {
            "namespace": namespace,
            "metric_name": rng.choice(QUERYABLE[namespace]),
            "start_time": start,
            "end_time": end,
            "period": rng.choice((1, 60, 120, 300, 3600)),
            "stats": rng.sample(STATS, rng.randint(1, len(STATS))),
            "dimensions": rng.choice(filters),
            "unit": rng.choice((None, None, "Count", "Bytes", "None")),
        }
        mine, theirs = pair.get_metric_statistics(**kwargs)
        assert mine == theirs, f"call {call}: {kwargs}"
        compared += len(theirs)
    assert compared > 500, "the random requests found too little data to compare"


def test_list_metrics_lists_what_moto_lists_once_each(pair: _Pair) -> None:
    from moto.cloudwatch.models import CloudWatchBackend

    cases: tuple[tuple[str | None, str | None, list[dict[str, str]]], ...] = (
        (None, None, []),
        ("App/One", None, []),
        (None, "Depth", []),
        ("App/Two", "Age", [{"Name": "Host", "Value": "h1"}]),
        (None, None, [{"Name": "Host"}]),
        ("AWS/S3", None, []),
    )
    get_filtered_metrics: Any = CloudWatchBackend.get_filtered_metrics
    for namespace, name, dims in cases:
        seen: set[tuple[Any, ...]] = set()
        theirs = []
        for datum in get_filtered_metrics(pair.reference, name, namespace, dims):
            key = (datum.namespace, datum.name, frozenset((d.name, d.value) for d in datum.dimensions))
            if key not in seen:
                seen.add(key)
                theirs.append(
                    {
                        "Namespace": datum.namespace,
                        "MetricName": datum.name,
                        "Dimensions": [{"Name": d.name, "Value": d.value} for d in datum.dimensions],
                    }
                )
        token, mine = pair.backend.list_metrics(None, namespace, name, dims)
        assert token is None
        assert mine == theirs, (namespace, name, dims)
        assert mine, (namespace, name, dims)


def test_a_query_with_dimensions_stays_in_its_namespace() -> None:
    """moto matches a MetricStat with dimensions in any namespace; CloudWatch does not."""
    from moto.cloudwatch.models import cloudwatch_backends

    backend: Any = cloudwatch_backends["310987654321"][REGION]
    moment = datetime(2026, 1, 1, 12, 0, 30, tzinfo=UTC)
    put_series("310987654321", REGION, "First", "Shared", {"Id": "1"}, [(moment, 1.0)])
    put_series("310987654321", REGION, "Second", "Shared", {"Id": "1"}, [(moment, 10.0)])
    query = {
        "Id": "a",
        "MetricStat": {
            "Metric": {
                "Namespace": "Second",
                "MetricName": "Shared",
                "Dimensions": [{"Name": "Id", "Value": "1"}],
            },
            "Period": 60,
            "Stat": "Sum",
        },
    }
    start = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    results = backend.get_metric_data([query], start, start + timedelta(minutes=5))
    assert results[0]["values"] == [10.0]
    assert results[0]["timestamps"] == [start]


# --------------------------------------------------------------------------------------------
# The bulk API and the calls the console makes, through boto3
# --------------------------------------------------------------------------------------------


def test_put_series_is_visible_to_get_metric_data(cw: Any) -> None:
    now = _now(5)
    points = [(now - timedelta(minutes=minute), float(minute)) for minute in range(60)]
    random.Random(3).shuffle(points)
    put_series(ACCOUNT, REGION, "Warroom/Visible", "Reads", {"VolumeId": "vol-1"}, points, "Bytes")
    query: dict[str, Any] = {
        "Id": "reads",
        "MetricStat": {
            "Metric": {
                "Namespace": "Warroom/Visible",
                "MetricName": "Reads",
                "Dimensions": [{"Name": "VolumeId", "Value": "vol-1"}],
            },
            "Period": 300,
            "Stat": "Sum",
        },
    }
    start = now - timedelta(minutes=25)
    result = cw.get_metric_data(MetricDataQueries=[query], StartTime=start, EndTime=now)["MetricDataResults"][
        0
    ]
    # Five buckets from StartTime: minutes 25..21 ago, ..., 5..1 ago; the newest first by default.
    assert result["Id"] == "reads"
    assert result["Label"] == "Reads Sum"
    assert result["StatusCode"] == "Complete"
    assert result["Values"] == [15.0, 40.0, 65.0, 90.0, 115.0]
    assert [stamp.astimezone(UTC) for stamp in result["Timestamps"]] == [
        start + timedelta(minutes=20 - 5 * index) for index in range(5)
    ]
    ascending = cw.get_metric_data(
        MetricDataQueries=[dict(query, Label="mine")],
        StartTime=start,
        EndTime=now,
        ScanBy="TimestampAscending",
    )["MetricDataResults"][0]
    assert ascending["Label"] == "mine"
    assert ascending["Values"] == [115.0, 90.0, 65.0, 40.0, 15.0]
    by_unit = dict(query, MetricStat=dict(query["MetricStat"], Unit="Count"))
    empty = cw.get_metric_data(MetricDataQueries=[by_unit], StartTime=start, EndTime=now)
    assert empty["MetricDataResults"][0]["Values"] == []
    # A window that starts between buckets: StartTime is rounded down to its minute (24 minutes
    # ago), and the first bucket keeps its aligned timestamp and holds only the window's minutes
    # (24, 23, 22 and 21 minutes ago).
    inside = cw.get_metric_data(
        MetricDataQueries=[query],
        StartTime=now - timedelta(minutes=23, seconds=30),
        EndTime=now,
        ScanBy="TimestampAscending",
    )["MetricDataResults"][0]
    assert inside["Values"] == [90.0, 90.0, 65.0, 40.0, 15.0]
    assert inside["Timestamps"][0].astimezone(UTC) == start


def test_put_series_is_visible_to_get_metric_statistics(cw: Any) -> None:
    now = _now()
    points = [(now - timedelta(minutes=minute), float(minute % 7)) for minute in range(1, 31)]
    put_series(ACCOUNT, REGION, "Warroom/Stats", "Depth", {"Queue": "jobs"}, points, "Count")
    datapoints = cw.get_metric_statistics(
        Namespace="Warroom/Stats",
        MetricName="Depth",
        Dimensions=[{"Name": "Queue", "Value": "jobs"}],
        StartTime=now - timedelta(minutes=30),
        EndTime=now,
        Period=600,
        Statistics=["Sum", "Maximum", "Minimum", "SampleCount", "Average"],
    )["Datapoints"]
    values = [float(minute % 7) for minute in range(30, 0, -1)]
    expected = [values[0:10], values[10:20], values[20:30]]
    assert len(datapoints) == 3
    for point, bucket in zip(sorted(datapoints, key=lambda p: p["Timestamp"]), expected, strict=True):
        assert point["Sum"] == sum(bucket)
        assert point["Maximum"] == max(bucket)
        assert point["Minimum"] == min(bucket)
        assert point["SampleCount"] == 10.0
        assert point["Average"] == pytest.approx(sum(bucket) / 10)
        assert point["Unit"] == "Count"


def test_put_series_is_visible_to_list_metrics(cw: Any) -> None:
    now = _now()
    put_series(ACCOUNT, REGION, "Warroom/List", "Ops", {"VolumeId": "vol-a"}, [(now, 1.0)])
    put_series(ACCOUNT, REGION, "Warroom/List", "Ops", {"VolumeId": "vol-b"}, [(now, 1.0)])
    put_series(ACCOUNT, REGION, "Warroom/List", "Bytes", {"VolumeId": "vol-a"}, [(now, 1.0)])
    put_series(
        ACCOUNT, REGION, "Warroom/List", "Ops", {"VolumeId": "vol-old"}, [(now - timedelta(days=1), 1.0)]
    )
    put_series(
        ACCOUNT, REGION, "Warroom/List", "Ops", {"VolumeId": "vol-a", "Kind": "gp3"}, [(now, 1.0), (now, 2.0)]
    )

    def listed(**kwargs: Any) -> list[tuple[str, dict[str, str]]]:
        metrics = cw.list_metrics(Namespace="Warroom/List", **kwargs)["Metrics"]
        return [(m["MetricName"], {d["Name"]: d["Value"] for d in m["Dimensions"]}) for m in metrics]

    assert listed() == [
        ("Ops", {"VolumeId": "vol-a"}),
        ("Ops", {"VolumeId": "vol-b"}),
        ("Bytes", {"VolumeId": "vol-a"}),
        ("Ops", {"VolumeId": "vol-old"}),
        ("Ops", {"VolumeId": "vol-a", "Kind": "gp3"}),
    ]
    assert listed(MetricName="Bytes") == [("Bytes", {"VolumeId": "vol-a"})]
    assert listed(Dimensions=[{"Name": "VolumeId", "Value": "vol-a"}]) == [
        ("Ops", {"VolumeId": "vol-a"}),
        ("Bytes", {"VolumeId": "vol-a"}),
        ("Ops", {"VolumeId": "vol-a", "Kind": "gp3"}),
    ]
    assert listed(Dimensions=[{"Name": "Kind"}]) == [("Ops", {"VolumeId": "vol-a", "Kind": "gp3"})]
    assert ("Ops", {"VolumeId": "vol-old"}) not in listed(RecentlyActive="PT3H")
    assert len(listed(RecentlyActive="PT3H")) == 4


def test_list_metrics_pages_by_500(cw: Any) -> None:
    now = _now()
    for number in range(1203):
        put_series(ACCOUNT, REGION, "Warroom/Paging", "Ops", {"VolumeId": f"vol-{number:05d}"}, [(now, 1.0)])
    pages = [
        page["Metrics"] for page in cw.get_paginator("list_metrics").paginate(Namespace="Warroom/Paging")
    ]
    assert [len(page) for page in pages] == [500, 500, 203]
    names = [metric["Dimensions"][0]["Value"] for page in pages for metric in page]
    assert names == [f"vol-{number:05d}" for number in range(1203)]
    first = cw.list_metrics(Namespace="Warroom/Paging")
    again = cw.list_metrics(Namespace="Warroom/Paging", NextToken=first["NextToken"])
    assert again["Metrics"] == pages[1]
    with pytest.raises(ClientError) as excinfo:
        cw.list_metrics(Namespace="Warroom/Paging", NextToken="not-a-token")
    assert excinfo.value.response["Error"]["Code"] == "InvalidParameterValue"


def test_put_metric_data_through_the_api_joins_the_series(cw: Any) -> None:
    # Both points in one 10-minute bucket, whatever the clock reads: buckets align to the period.
    now = _now(10) - timedelta(minutes=7)
    put_series(
        ACCOUNT, REGION, "Warroom/Mixed", "Ops", {"VolumeId": "vol-m"}, [(now - timedelta(minutes=2), 5.0)]
    )
    cw.put_metric_data(
        Namespace="Warroom/Mixed",
        MetricData=[
            {
                "MetricName": "Ops",
                "Dimensions": [{"Name": "VolumeId", "Value": "vol-m"}],
                "Timestamp": now - timedelta(minutes=1),
                "Value": 7.0,
                "Unit": "None",
            },
            {
                "MetricName": "Ops",
                "Dimensions": [{"Name": "VolumeId", "Value": "vol-m"}],
                "Timestamp": now - timedelta(minutes=1),
                "StatisticValues": {"SampleCount": 2, "Sum": 6.0, "Minimum": 1.0, "Maximum": 5.0},
                "Unit": "None",
            },
        ],
    )
    query: dict[str, Any] = {
        "Id": "ops",
        "MetricStat": {
            "Metric": {
                "Namespace": "Warroom/Mixed",
                "MetricName": "Ops",
                "Dimensions": [{"Name": "VolumeId", "Value": "vol-m"}],
            },
            "Period": 600,
            "Stat": "SampleCount",
        },
    }
    counts = cw.get_metric_data(
        MetricDataQueries=[query, dict(query, Id="total", MetricStat=dict(query["MetricStat"], Stat="Sum"))],
        StartTime=now - timedelta(minutes=3),
        EndTime=now + timedelta(minutes=7),
    )["MetricDataResults"]
    assert counts[0]["Values"] == [4.0]
    assert counts[1]["Values"] == [18.0]
    assert cw.list_metrics(Namespace="Warroom/Mixed")["Metrics"] == [
        {
            "Namespace": "Warroom/Mixed",
            "MetricName": "Ops",
            "Dimensions": [{"Name": "VolumeId", "Value": "vol-m"}],
        }
    ]
    with pytest.raises(ClientError) as excinfo:
        cw.put_metric_data(
            Namespace="Warroom/Mixed",
            MetricData=[{"MetricName": "Ops", "Value": 1.0, "Values": [1.0]}],
        )
    assert excinfo.value.response["Error"]["Code"] == "InvalidParameterValue"


def test_expressions_percentiles_and_unknown_statistics(cw: Any) -> None:
    now = _now(10)
    put_series(
        ACCOUNT,
        REGION,
        "Warroom/Math",
        "Latency",
        {"Api": "get"},
        [(now - timedelta(seconds=5 * step + 1), float(step + 1)) for step in range(100)],
    )
    metric = {
        "Namespace": "Warroom/Math",
        "MetricName": "Latency",
        "Dimensions": [{"Name": "Api", "Value": "get"}],
    }
    start = now - timedelta(minutes=10)
    results = cw.get_metric_data(
        MetricDataQueries=[
            {"Id": "p", "MetricStat": {"Metric": metric, "Period": 600, "Stat": "p90"}},
            {"Id": "m", "MetricStat": {"Metric": metric, "Period": 600, "Stat": "p100"}, "ReturnData": False},
            {"Id": "copy", "Expression": "p"},
            {"Id": "rate", "Expression": "p / 600"},
            {"Id": "tm", "MetricStat": {"Metric": metric, "Period": 600, "Stat": "TM(10%:90%)"}},
            {"Id": "all", "Expression": 'SELECT SUM(Latency) FROM "Warroom/Math"', "Period": 600},
        ],
        StartTime=start,
        EndTime=now,
    )["MetricDataResults"]
    by_id = {result["Id"]: result for result in results}
    assert [result["Id"] for result in results] == ["p", "tm", "copy", "rate", "all"]
    assert by_id["p"]["Values"] == [90.0]
    assert by_id["copy"]["Values"] == [90.0]
    assert by_id["rate"] == {
        "Id": "rate",
        "Label": "rate",
        "Timestamps": by_id["p"]["Timestamps"],
        "Values": [90.0 / 600],
        "StatusCode": "Complete",
    }
    assert by_id["tm"]["StatusCode"] == "InternalError"
    assert by_id["tm"]["Values"] == []
    assert by_id["tm"]["Messages"][0]["Code"] == "UnsupportedStatistic"
    # moto's Metrics Insights sums every datapoint of the region, whatever the query says.
    assert len(by_id["all"]["Values"]) == 1
    assert by_id["all"]["Values"][0] >= 5050.0


def test_alarms_keep_working(cw: Any) -> None:
    cw.put_metric_alarm(
        AlarmName="warroom-cw-alarm",
        Namespace="Warroom/Alarm",
        MetricName="Ops",
        Dimensions=[{"Name": "VolumeId", "Value": "vol-x"}],
        Statistic="Sum",
        Period=300,
        EvaluationPeriods=1,
        Threshold=10.0,
        ComparisonOperator="GreaterThanThreshold",
    )
    put_series(ACCOUNT, REGION, "Warroom/Alarm", "Ops", {"VolumeId": "vol-x"}, [(_now(), 50.0)])
    cw.set_alarm_state(AlarmName="warroom-cw-alarm", StateValue="ALARM", StateReason="threshold crossed")
    alarms = cw.describe_alarms(AlarmNames=["warroom-cw-alarm"])["MetricAlarms"]
    assert [(alarm["AlarmName"], alarm["StateValue"]) for alarm in alarms] == [("warroom-cw-alarm", "ALARM")]
    assert cw.describe_alarms_for_metric(Namespace="Warroom/Alarm", MetricName="Ops")["MetricAlarms"]
    cw.delete_alarms(AlarmNames=["warroom-cw-alarm"])
    assert cw.describe_alarms(AlarmNames=["warroom-cw-alarm"])["MetricAlarms"] == []


def test_trim_before_drops_old_points_and_empty_series(cw: Any) -> None:
    early = datetime(2001, 3, 1, tzinfo=UTC)
    put_series(ACCOUNT, REGION, "Warroom/Trim", "Ops", {"VolumeId": "vol-gone"}, [(early, 1.0)])
    put_series(
        ACCOUNT,
        REGION,
        "Warroom/Trim",
        "Ops",
        {"VolumeId": "vol-kept"},
        [(early, 1.0), (early + timedelta(days=200), 2.0), (early + timedelta(days=201), 3.0)],
    )
    trim_before(datetime(2001, 6, 1, tzinfo=UTC))
    metrics = cw.list_metrics(Namespace="Warroom/Trim")["Metrics"]
    assert [metric["Dimensions"][0]["Value"] for metric in metrics] == ["vol-kept"]
    datapoints = cw.get_metric_statistics(
        Namespace="Warroom/Trim",
        MetricName="Ops",
        Dimensions=[{"Name": "VolumeId", "Value": "vol-kept"}],
        StartTime=early - timedelta(days=1),
        EndTime=early + timedelta(days=300),
        Period=86400,
        Statistics=["SampleCount", "Sum"],
    )["Datapoints"]
    assert sorted((point["SampleCount"], point["Sum"]) for point in datapoints) == [(1.0, 2.0), (1.0, 3.0)]
    with pytest.raises(ValueError, match="tz-aware"):
        trim_before(datetime(2001, 6, 1))  # noqa: DTZ001


def test_put_series_rejects_naive_timestamps_and_non_finite_values() -> None:
    with pytest.raises(ValueError, match="tz-aware"):
        put_series(ACCOUNT, REGION, "Warroom/Bad", "Ops", {}, [(datetime(2026, 1, 1), 1.0)])  # noqa: DTZ001
    with pytest.raises(ValueError, match="finite"):
        put_series(ACCOUNT, REGION, "Warroom/Bad", "Ops", {}, [(_now(), float("nan"))])


def test_a_backend_reset_discards_its_index() -> None:
    from moto.cloudwatch.models import cloudwatch_backends

    put_series("410987654321", REGION, "Warroom/Reset", "Ops", {"Id": "1"}, [(_now(), 1.0)])
    backend: Any = cloudwatch_backends["410987654321"][REGION]
    assert backend.list_metrics(None, "Warroom/Reset", None, [])[1]
    backend.reset()
    assert backend.list_metrics(None, "Warroom/Reset", None, []) == (None, [])


def test_a_writer_thread_and_readers_share_the_index(cw: Any) -> None:
    now = _now()
    stop = threading.Event()
    failures: list[BaseException] = []
    written = [0]

    def write() -> None:
        try:
            minute = 0
            while not stop.is_set() and minute < 5000:
                for volume in range(20):
                    put_series(
                        ACCOUNT,
                        REGION,
                        "Warroom/Threads",
                        "Ops",
                        {"VolumeId": f"vol-{volume}"},
                        [(now - timedelta(seconds=minute % 3600), 1.0)],
                    )
                minute += 1
            written[0] = minute
        except BaseException as error:  # pragma: no cover - reported by the assertion below
            failures.append(error)

    writer = threading.Thread(target=write, name="cloudwatch-test-writer")
    writer.start()
    queries = [
        {
            "Id": f"v{volume}",
            "MetricStat": {
                "Metric": {
                    "Namespace": "Warroom/Threads",
                    "MetricName": "Ops",
                    "Dimensions": [{"Name": "VolumeId", "Value": f"vol-{volume}"}],
                },
                "Period": 3600,
                "Stat": "SampleCount",
            },
        }
        for volume in range(20)
    ]
    try:
        for _ in range(15):
            cw.get_metric_data(MetricDataQueries=queries, StartTime=now - timedelta(hours=2), EndTime=now)
            cw.list_metrics(Namespace="Warroom/Threads")
    finally:
        stop.set()
        writer.join(timeout=60)
    assert not writer.is_alive(), "the writer thread did not stop within 60 s of being told to"
    assert not failures
    results = cw.get_metric_data(
        MetricDataQueries=queries, StartTime=now - timedelta(hours=2), EndTime=now + timedelta(minutes=1)
    )["MetricDataResults"]
    assert all(sum(result["Values"]) == written[0] for result in results)
