"""The Kinesis poller against the simulator, with metrics this module writes: rates, usage factor and
its driver, iterator age against retention and its projection, advice, the JSON contract, API call
counts, unknown metrics, and single APIs failing.

Region us-west-1 is this module's own: nothing else creates streams or writes metrics there. The
streams are built once (``world``) and polls run on a clock fixed to the world's minute ``t0``; the
metrics cover the hour before it, one point a minute ending at ``t0 - 1 min``.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.frozen import FROZEN
from tests.json_doc import check_document, json_of
from tui.aws import kinesis as kinesis_module
from tui.aws.clients import AwsTarget, ClientFactory
from tui.aws.kinesis import ITERATOR_AGE, KinesisPoller, KinesisSnapshot, StreamView
from tui.aws.kinesis_math import ScalingRule
from tui.sim.account import ACCOUNT_ID
from tui.sim.extensions.cloudwatch import put_series

REGION = "us-west-1"
MIB = 1024 * 1024
MINUTE_MS = 60_000.0
HOUR_MS = 3_600_000.0
MINUTES = 60
# clicks has five hours and ten minutes of writes: the scale-down window's 60 five-minute points.
CLICKS_MINUTES = 310

ClientMaker = Callable[..., Any]


@dataclass
class World:
    t0: datetime
    orders_arn: str
    clicks_arn: str
    sink_uuid: str


_BUILT: list[World] = []


def _put(
    metric: str, dims: dict[str, str], values: list[tuple[datetime, float]], unit: str = "Count"
) -> None:
    namespace = "AWS/Lambda" if "FunctionName" in dims else "AWS/Kinesis"
    put_series(ACCOUNT_ID, REGION, namespace, metric, dims, values, unit)


def _build(client: ClientMaker) -> World:
    """Four streams in REGION:

    orders: provisioned, 2 shards, 24 h. 1,500 records/s of 200 bytes (records dominate, usage 0.75);
        GetRecords age rising 1,000 ms a second to 6 h at the last minute; EFO consumer "fraud"
        5 s behind; 120 write-throttled records a minute, PutRecords 100 throttled and 3 failed,
        GetRecords.Success 240, ReadProvisionedThroughputExceeded 0.
    clicks: provisioned, 4 shards, 48 h. 0.4 MiB/s of 4 KiB records (bytes dominate, usage 0.1);
        no GetRecords age; EFO consumer "indexer" a steady 41 min behind; Lambda "clicks-sink"
        reading it by an event source mapping, 800 ms behind. Its writes and the indexer's lag go back
        CLICKS_MINUTES, with no write points at all for 7 minutes around 200 minutes ago.
    quiet: provisioned, 1 shard, no datapoints at all.
    elastic: on-demand.
    """
    kinesis = client("kinesis", region=REGION)
    now = datetime.now(UTC)
    t0 = now.replace(second=0, microsecond=0)
    kinesis.create_stream(StreamName="orders", ShardCount=2)
    kinesis.create_stream(StreamName="clicks", ShardCount=4)
    kinesis.increase_stream_retention_period(StreamName="clicks", RetentionPeriodHours=48)
    kinesis.create_stream(StreamName="quiet", ShardCount=1)
    kinesis.create_stream(StreamName="elastic", StreamModeDetails={"StreamMode": "ON_DEMAND"})

    def arn(name: str) -> str:
        value: str = kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]["StreamARN"]
        return value

    orders_arn, clicks_arn = arn("orders"), arn("clicks")
    kinesis.register_stream_consumer(StreamARN=orders_arn, ConsumerName="fraud")
    kinesis.register_stream_consumer(StreamARN=clicks_arn, ConsumerName="indexer")

    iam = client("iam", region=REGION)
    role = iam.create_role(RoleName="warroom-kinesis-test-sink", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as archive:
        archive.writestr("handler.py", "def handle(event, context):\n    return None\n")
    lam = client("lambda", region=REGION)
    lam.create_function(
        FunctionName="clicks-sink",
        Runtime="python3.12",
        Role=role,
        Handler="handler.handle",
        Code={"ZipFile": code.getvalue()},
    )
    mapping = lam.create_event_source_mapping(
        EventSourceArn=clicks_arn, FunctionName="clicks-sink", StartingPosition="LATEST", BatchSize=250
    )

    minutes = [t0 - timedelta(minutes=k) for k in range(MINUTES, 0, -1)]  # oldest first

    def flat(value: float) -> list[tuple[datetime, float]]:
        return [(t, value) for t in minutes]

    orders = {"StreamName": "orders"}
    _put("IncomingRecords", orders, flat(1500.0 * 60))
    _put("IncomingBytes", orders, flat(1500.0 * 60 * 200), "Bytes")
    _put(
        ITERATOR_AGE,
        orders,
        [(t, 6 * HOUR_MS - 1000.0 * (t0 - timedelta(minutes=1) - t).total_seconds()) for t in minutes],
        "Milliseconds",
    )
    _put("WriteProvisionedThroughputExceeded", orders, flat(120.0))
    _put("ReadProvisionedThroughputExceeded", orders, flat(0.0))
    _put("PutRecords.ThrottledRecords", orders, flat(100.0))
    _put("PutRecords.FailedRecords", orders, flat(3.0))
    _put("GetRecords.Success", orders, flat(240.0))
    _put(
        "SubscribeToShardEvent.MillisBehindLatest",
        {"StreamName": "orders", "ConsumerName": "fraud"},
        flat(5000.0),
        "Milliseconds",
    )

    clicks = {"StreamName": "clicks"}
    longer = [t0 - timedelta(minutes=k) for k in range(CLICKS_MINUTES, 0, -1)]
    written = [t for t in longer if not 197 <= (t0 - t).total_seconds() / 60 <= 203]
    _put("IncomingBytes", clicks, [(t, 0.4 * MIB * 60) for t in written], "Bytes")
    _put("IncomingRecords", clicks, [(t, 0.4 * MIB * 60 / 4096) for t in written], "Count")
    _put(
        "SubscribeToShardEvent.MillisBehindLatest",
        {"StreamName": "clicks", "ConsumerName": "indexer"},
        [(t, 41 * MINUTE_MS) for t in longer],
        "Milliseconds",
    )
    sink = {"FunctionName": "clicks-sink"}
    _put("IteratorAge", sink, flat(800.0), "Milliseconds")
    _put("Errors", sink, flat(2.0))
    _put("Duration", sink, flat(35.5), "Milliseconds")
    _put("ConcurrentExecutions", sink, flat(4.0))
    # An incomplete minute at t0 that only a clock past t0 + 1 min may count.
    _put("IncomingRecords", orders, [(t0, 1.0)])
    _put("IncomingBytes", orders, [(t0, 1.0)], "Bytes")
    return World(t0=t0, orders_arn=orders_arn, clicks_arn=clicks_arn, sink_uuid=str(mapping["UUID"]))


@pytest.fixture
def world(client: ClientMaker) -> World:
    """The module's streams, created on first use (moto's state outlives a test)."""
    if not _BUILT:
        _BUILT.append(_build(client))
    return _BUILT[0]


@pytest.fixture
async def factory(sim_url: str) -> AsyncIterator[ClientFactory]:
    target = AwsTarget(regions=(REGION,), endpoint_url=sim_url, access_key="testing", secret_key="testing")
    made = ClientFactory(target)
    yield made
    await made.close()


class Clock:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at


def by_name(snapshot: KinesisSnapshot) -> dict[str, StreamView]:
    return {view.stream_name: view for view in snapshot.streams}


def deny(code: str, operation: str) -> Callable[..., None]:
    def handler(**_: Any) -> None:
        raise ClientError({"Error": {"Code": code, "Message": f"{operation} refused by the test"}}, operation)

    return handler


def rel(expected: float) -> Any:
    return pytest.approx(expected, rel=1e-6)


async def poll_at(factory: ClientFactory, at: datetime, **kwargs: Any) -> KinesisSnapshot:
    return await KinesisPoller(factory, clock=Clock(at), **kwargs).poll()


# ---------------------------------------------------------------------------------------------
# Values
# ---------------------------------------------------------------------------------------------


async def test_rates_usage_and_driver(world: World, factory: ClientFactory) -> None:
    snapshot = await poll_at(factory, world.t0)
    assert snapshot.errors == () and snapshot.error is None
    views = by_name(snapshot)
    assert list(views) == ["clicks", "elastic", "orders", "quiet"]
    orders = views["orders"]
    assert (orders.region, orders.mode, orders.status) == (REGION, "PROVISIONED", "ACTIVE")
    assert (orders.open_shards, orders.retention_hours) == (2, 24)
    assert orders.stream_arn == world.orders_arn
    # The latest complete minute, not the partial one at t0.
    assert orders.incoming_records_per_s == rel(1500.0)
    assert orders.incoming_bytes_per_s == rel(300_000.0)
    assert orders.usage_factor == rel(0.75)
    assert orders.usage_driver == "records"
    assert orders.usage_level == "warn"
    assert orders.write_throttled == 120.0
    assert orders.read_throttled == 0.0
    assert orders.put_records_throttled == 100.0
    assert orders.put_records_failed == 3.0
    assert orders.get_records_success == 240.0
    clicks = views["clicks"]
    assert (clicks.open_shards, clicks.retention_hours) == (4, 48)
    assert clicks.incoming_bytes_per_s == rel(0.4 * MIB)
    assert clicks.usage_factor == rel(0.1)
    assert clicks.usage_driver == "bytes"
    assert clicks.usage_level == "ok"


async def test_a_partial_minute_is_not_the_latest(world: World, factory: ClientFactory) -> None:
    # Half a minute past t0 the minute starting at t0 is still incomplete: ignored.
    half = await poll_at(factory, world.t0 + timedelta(seconds=30))
    assert by_name(half)["orders"].incoming_records_per_s == rel(1500.0)
    # A minute past t0 it is complete and is the latest (1 record in that minute).
    later = await poll_at(factory, world.t0 + timedelta(seconds=61))
    orders = by_name(later)["orders"]
    assert orders.incoming_records_per_s == rel(1.0 / 60)
    assert orders.usage_factor == rel(1.0 / 60 / 1000 / 2)
    # The throttle counts have no point there: their latest is still the minute before.
    assert orders.write_throttled == 120.0


async def test_iterator_age_fraction_and_projection(world: World, factory: ClientFactory) -> None:
    snapshot = await poll_at(factory, world.t0)
    orders = by_name(snapshot)["orders"]
    assert orders.iterator_age_ms == rel(6 * HOUR_MS)
    assert orders.iterator_age_source == ITERATOR_AGE
    assert orders.iterator_age_retention_fraction == rel(0.25)
    assert orders.age_level == "ok"
    assert orders.iterator_age_slope_ms_per_s == rel(1000.0)
    assert orders.time_to_risk_s == rel(6 * 3600.0)
    assert orders.time_to_loss_s == rel(18 * 3600.0)
    assert orders.time_to_catch_up_s is None
    (fraud,) = orders.consumers
    assert (fraud.name, fraud.efo, fraud.status, fraud.millis_behind_ms) == ("fraud", True, "ACTIVE", 5000.0)
    assert (orders.consumer_count, orders.efo_count) == (1, 1)
    # The history holds the hour, oldest first, one point a minute.
    ages = orders.history.iterator_age
    assert len(ages) == MINUTES
    assert [ts for ts, _ in ages] == sorted(ts for ts, _ in ages)
    assert ages[-1] == (rel((world.t0 - timedelta(minutes=1)).timestamp()), rel(6 * HOUR_MS))
    assert ages[0][1] == rel(6 * HOUR_MS - 59 * MINUTE_MS)
    assert len(orders.history.usage_factor) == MINUTES
    assert all(v == rel(0.75) for _, v in orders.history.usage_factor)
    assert [v for _, v in orders.history.write_throttled] == [120.0] * MINUTES
    assert [v for _, v in orders.history.read_throttled] == [0.0] * MINUTES

    clicks = by_name(snapshot)["clicks"]
    assert clicks.iterator_age_ms == rel(41 * MINUTE_MS)
    assert clicks.iterator_age_source == "consumer:indexer"
    assert clicks.iterator_age_retention_fraction == rel(41 / (48 * 60))
    assert clicks.iterator_age_slope_ms_per_s == 0.0
    assert (clicks.time_to_risk_s, clicks.time_to_loss_s, clicks.time_to_catch_up_s) == (None, None, None)


async def test_advice(world: World, factory: ClientFactory) -> None:
    views = by_name(await poll_at(factory, world.t0))
    assert views["orders"].advice == "scale_up"
    assert views["orders"].advice_reason == (
        "usage >= 0.75 in 5 of 5 five-minute points (latest 0.75 of 2 shards' write capacity,"
        " records dominate): double to 4 shards"
    )
    # The indexer's 41 min of a 30 min block keeps MAX(usage, age term) at 0.34 in every point.
    clicks = views["clicks"]
    assert clicks.advice == "hold"
    assert "< 0.25 in 0 of 60 five-minute points" in clicks.advice_reason
    assert "the iterator age blocked scaling down in 60 points" in clicks.advice_reason
    # A longer block time lets the same age through: MAX(0.10, 41 x 0.25 / 120 = 0.085) < 0.25 in
    # every point, the seven minutes without writes included (no writes is usage 0).
    relaxed = by_name(await poll_at(factory, world.t0, block_minutes=120.0))
    assert relaxed["clicks"].advice == "scale_down"
    assert "< 0.25 in 60 of 60 five-minute points" in relaxed["clicks"].advice_reason
    assert relaxed["clicks"].advice_reason.endswith("halve to 2 shards")
    # One hour of orders' writes is not enough to decide on scaling down.
    calm = by_name(await poll_at(factory, world.t0, rule=ScalingRule(up_at=2.0)))["orders"]
    assert calm.advice == "hold"
    assert re.search(r"scale-down window 1[23] of 60 points: not enough history", calm.advice_reason)
    assert views["elastic"].mode == "ON_DEMAND"
    assert (views["elastic"].advice, views["elastic"].advice_reason) == (
        "hold",
        "on-demand streams scale themselves",
    )


async def test_readers_behind_worst_first(world: World, factory: ClientFactory) -> None:
    views = by_name(await poll_at(factory, world.t0))
    readers = [(r.name, r.kind, r.behind_ms) for r in views["clicks"].readers]
    assert readers == [
        ("indexer", "enhanced fan-out", 41 * MINUTE_MS),
        ("clicks-sink", "Lambda", 800.0),
    ]
    readers = [(r.name, r.kind, r.behind_ms) for r in views["orders"].readers]
    assert readers == [
        ("GetRecords readers", "GetRecords", 6 * HOUR_MS),
        ("fraud", "enhanced fan-out", 5000.0),
    ]
    row = {s["stream_name"]: s for s in json_of(await poll_at(factory, world.t0))["streams"]}["clicks"]
    assert row["readers"][0] == {
        "name": "indexer",
        "kind": "enhanced fan-out",
        "behind_ms": 2460000.0,
        "reason": None,
        "growth_ms_per_s": 0.0,
        "stalled": False,
    }


async def test_lambda_readers(world: World, factory: ClientFactory) -> None:
    views = by_name(await poll_at(factory, world.t0))
    (sink,) = views["clicks"].lambdas
    assert sink.function_name == "clicks-sink"
    assert sink.uuid == world.sink_uuid
    assert (sink.state, sink.batch_size) == ("Enabled", 250)
    assert sink.iterator_age_ms == 800.0
    assert sink.errors == 2.0
    assert sink.duration_ms == rel(35.5)
    assert sink.concurrent_executions == 4.0
    assert views["orders"].lambdas == ()


async def test_unknown_metrics_are_none_not_zero(world: World, factory: ClientFactory) -> None:
    snapshot = await poll_at(factory, world.t0)
    quiet = by_name(snapshot)["quiet"]
    assert (quiet.open_shards, quiet.retention_hours) == (1, 24)
    for name in (
        "incoming_bytes_per_s",
        "incoming_records_per_s",
        "usage_factor",
        "usage_driver",
        "iterator_age_ms",
        "iterator_age_source",
        "iterator_age_retention_fraction",
        "time_to_risk_s",
        "time_to_loss_s",
        "time_to_catch_up_s",
        "write_throttled",
        "read_throttled",
        "put_records_throttled",
        "put_records_failed",
        "get_records_success",
    ):
        assert getattr(quiet, name) is None, name
    assert (quiet.usage_level, quiet.age_level) == ("unknown", "unknown")
    assert quiet.advice == "hold"
    assert quiet.advice_reason == "usage unknown: no IncomingBytes/IncomingRecords datapoints in the last 5 h"
    assert quiet.history.iterator_age == () and quiet.history.usage_factor == ()
    (row,) = (s for s in json_of(snapshot)["streams"] if s["stream_name"] == "quiet")
    assert row["usage_factor"] is None and row["incoming_bytes_per_s"] is None
    assert row["write_throttled"] is None and row["iterator_age_ms"] is None
    assert row["consumers"] == 0  # listed, and there are none


# ---------------------------------------------------------------------------------------------
# JSON and calls
# ---------------------------------------------------------------------------------------------


async def test_json_contract(world: World, factory: ClientFactory) -> None:
    data = json_of(await poll_at(factory, world.t0))
    assert check_document("kinesis", data) == len(data["streams"]) > 0
    assert datetime.fromisoformat(data["fetched_at"]) == world.t0
    assert data["period_s"] == 60
    assert data["errors"] == []
    for row in data["streams"]:
        assert row["advice"] in {"scale_up", "scale_down", "hold"}
        assert row["usage_driver"] in {"bytes", "records", None}
    rows = {row["stream_name"]: row for row in data["streams"]}
    orders = rows["orders"]
    assert orders["stream_arn"] == world.orders_arn
    assert (orders["mode"], orders["open_shards"], orders["retention_hours"], orders["consumers"]) == (
        "PROVISIONED",
        2,
        24,
        1,
    )
    assert orders["usage_factor"] == 0.75
    assert orders["usage_driver"] == "records"
    assert orders["incoming_records_per_s"] == 1500.0
    assert orders["incoming_bytes_per_s"] == 300000.0
    assert orders["iterator_age_ms"] == 6 * HOUR_MS
    assert orders["iterator_age_retention_fraction"] == 0.25
    assert (orders["time_to_risk_s"], orders["time_to_loss_s"]) == (21600.0, 64800.0)
    assert (orders["write_throttled"], orders["read_throttled"]) == (120.0, 0.0)
    assert orders["advice"] == "scale_up"
    assert rows["clicks"]["lambdas"] == ["clicks-sink"]
    assert rows["elastic"]["mode"] == "ON_DEMAND"


async def test_call_counts(world: World, factory: ClientFactory) -> None:
    snapshot = await poll_at(factory, world.t0)
    calls = factory.calls
    # The hour's one-minute series, and the scaling rule's 5-minute series over its five hours.
    assert calls["cloudwatch:GetMetricData"] == 2
    assert calls["kinesis:ListStreams"] == 1
    assert calls["kinesis:DescribeStreamSummary"] == 4
    assert calls["kinesis:ListStreamConsumers"] == 4
    assert calls["lambda:ListEventSourceMappings"] == 4
    # 4 streams x 8 metrics, 2 EFO consumers, 1 function x 4 metrics; for the scaling rule, the
    # 3 provisioned streams x 3 metrics and their 2 EFO consumers (the on-demand stream has no rule).
    assert snapshot.queries == 4 * 8 + 2 + 4 + 3 * 3 + 2
    assert snapshot.calls == dict(calls)


async def test_list_streams_pages(
    world: World, factory: ClientFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(kinesis_module, "LIST_LIMIT", 1)
    snapshot = await poll_at(factory, world.t0)
    assert [v.stream_name for v in snapshot.streams] == ["clicks", "elastic", "orders", "quiet"]
    assert factory.calls["kinesis:ListStreams"] >= 2


# ---------------------------------------------------------------------------------------------
# Failures
# ---------------------------------------------------------------------------------------------


async def test_list_stream_consumers_failing(world: World, factory: ClientFactory) -> None:
    client = await factory.client("kinesis", REGION)
    client.meta.events.register(
        "before-call.kinesis.ListStreamConsumers", deny("AccessDeniedException", "ListStreamConsumers")
    )
    snapshot = await poll_at(factory, world.t0)
    assert snapshot.error is None
    (error,) = snapshot.errors
    assert (error.region, error.api) == (REGION, "kinesis:ListStreamConsumers")
    assert error.message == "ListStreamConsumers: access denied (4 streams)"
    assert "grant" in error.hint
    views = by_name(snapshot)
    orders = views["orders"]
    # Usage and the GetRecords age stand; the consumers are unknown.
    assert orders.usage_factor == rel(0.75)
    assert orders.iterator_age_source == ITERATOR_AGE
    # The count still comes from DescribeStreamSummary's ConsumerCount; who they are is unknown.
    assert (orders.consumers, orders.consumer_count, orders.efo_count) == ((), 1, None)
    assert any(r.reason == "unknown: the consumers could not be listed" for r in orders.readers)
    assert any("enhanced fan-out consumers unknown" in r for r in orders.reasons)
    # The clicks age came only from its EFO consumer: now unknown, and the advice no longer blocked.
    clicks = views["clicks"]
    assert clicks.iterator_age_ms is None and clicks.iterator_age_retention_fraction is None
    assert clicks.advice == "scale_down"
    assert "iterator age unknown" in clicks.advice_reason
    assert clicks.lambdas[0].function_name == "clicks-sink"
    data = json_of(snapshot)
    assert {"api": "kinesis:ListStreamConsumers", "message": error.message} == {
        k: data["errors"][0][k] for k in ("api", "message")
    }
    assert {row["stream_name"]: row["consumers"] for row in data["streams"]}["orders"] == 1
    assert factory.calls["cloudwatch:GetMetricData"] == 2


async def test_lambda_failing(world: World, factory: ClientFactory) -> None:
    client = await factory.client("lambda", REGION)
    client.meta.events.register(
        "before-call.lambda.ListEventSourceMappings",
        deny("ServiceUnavailableException", "ListEventSourceMappings"),
    )
    snapshot = await poll_at(factory, world.t0)
    (error,) = snapshot.errors
    assert error.api == "lambda:ListEventSourceMappings"
    clicks = by_name(snapshot)["clicks"]
    assert clicks.lambdas == ()
    assert any(r.startswith("Lambda consumers unknown: ") for r in clicks.reasons)
    assert clicks.usage_factor == rel(0.1)


async def test_describe_failing(world: World, factory: ClientFactory) -> None:
    client = await factory.client("kinesis", REGION)
    client.meta.events.register(
        "before-call.kinesis.DescribeStreamSummary", deny("LimitExceededException", "DescribeStreamSummary")
    )
    snapshot = await poll_at(factory, world.t0)
    (error,) = snapshot.errors
    assert error.api == "kinesis:DescribeStreamSummary"
    orders = by_name(snapshot)["orders"]
    # ListStreams' summary still gave the ARN, mode and status; shards and retention are unknown.
    assert (orders.stream_arn, orders.mode, orders.status) == (world.orders_arn, "PROVISIONED", "ACTIVE")
    assert orders.open_shards is None and orders.retention_hours is None
    assert orders.usage_factor is None and orders.usage_level == "unknown"
    assert orders.incoming_records_per_s == rel(1500.0)
    assert orders.iterator_age_ms == rel(6 * HOUR_MS)
    assert orders.iterator_age_retention_fraction is None
    assert orders.advice == "hold"
    assert orders.advice_reason == "usage unknown: open shard count unknown"


async def test_metrics_failing(world: World, factory: ClientFactory) -> None:
    client = await factory.client("cloudwatch", REGION)
    client.meta.events.register("before-call.cloudwatch.GetMetricData", deny("AccessDenied", "GetMetricData"))
    snapshot = await poll_at(factory, world.t0)
    (error,) = snapshot.errors
    assert error.api == "cloudwatch:GetMetricData"
    orders = by_name(snapshot)["orders"]
    assert orders.open_shards == 2
    assert orders.usage_factor is None and orders.iterator_age_ms is None
    assert orders.advice_reason.startswith("usage unknown: GetMetricData failed")
    assert any(r.startswith("metrics unknown: ") for r in orders.reasons)


async def test_listing_failing_everywhere_sets_the_error(world: World, factory: ClientFactory) -> None:
    client = await factory.client("kinesis", REGION)
    client.meta.events.register(
        "before-call.kinesis.ListStreams", deny("AccessDeniedException", "ListStreams")
    )
    snapshot = await poll_at(factory, world.t0)
    assert snapshot.streams == ()
    assert snapshot.error is not None and snapshot.error.operation == "ListStreams"
    (error,) = snapshot.errors
    assert error.api == "kinesis:ListStreams"
    data = json_of(snapshot)
    assert data["streams"] == []
    assert [e["api"] for e in data["errors"]] == ["kinesis:ListStreams", "ListStreams"]


async def test_one_region_listing_failing_is_not_the_snapshot_error(world: World, sim_url: str) -> None:
    target = AwsTarget(
        regions=(REGION, "us-east-1"), endpoint_url=sim_url, access_key="testing", secret_key="testing"
    )
    factory = ClientFactory(target)
    try:
        client = await factory.client("kinesis", "us-east-1")
        client.meta.events.register(
            "before-call.kinesis.ListStreams", deny("AccessDeniedException", "ListStreams")
        )
        snapshot = await poll_at(factory, world.t0)
    finally:
        await factory.close()
    assert snapshot.error is None
    assert [(e.region, e.api) for e in snapshot.errors] == [("us-east-1", "kinesis:ListStreams")]
    assert {v.region for v in snapshot.streams} == {REGION}


# ---------------------------------------------------------------------------------------------
# The seeded workload
# ---------------------------------------------------------------------------------------------


async def test_seeded_workload(sim_url: str) -> None:
    target = AwsTarget(
        regions=("us-east-1",), endpoint_url=sim_url, access_key="testing", secret_key="testing"
    )
    factory = ClientFactory(target)
    try:
        snapshot = await poll_at(factory, FROZEN)
    finally:
        await factory.close()
    assert snapshot.errors == ()
    views = by_name(snapshot)
    assert {"payments-events", "ledger-cdc", "audit-trail"} <= set(views)
    shards = {name: views[name].open_shards for name in ("payments-events", "ledger-cdc", "audit-trail")}
    assert shards == {"payments-events": 1, "ledger-cdc": 4, "audit-trail": 2}
    assert views["audit-trail"].retention_hours == 168
    for name in ("payments-events", "ledger-cdc", "audit-trail"):
        view = views[name]
        assert view.usage_factor is not None and view.usage_factor > 0, name
        assert view.iterator_age_ms is not None, name
        assert view.efo_count == 1, name
        assert len(view.history.iterator_age) == MINUTES, name
    # payments-events runs near its one shard's records limit.
    payments = views["payments-events"]
    assert payments.usage_driver == "records"
    assert payments.usage_factor is not None and payments.usage_factor > 0.5
    assert [fn.function_name for fn in payments.lambdas] == ["payments-ledger-writer"]


# ---------------------------------------------------------------------------------------------
# A stalled reader, on metrics written the way AWS writes them (plain moto, PutMetricData)
# ---------------------------------------------------------------------------------------------

STALL_REGION = "eu-west-3"


async def test_a_stalled_reader_is_told_from_a_slow_one(plain_moto_url: str) -> None:
    """Two enhanced fan-out consumers of one stream, one point a minute for ten minutes: "stuck"
    reads nothing (its MillisBehindLatest rises 60,000 ms a minute, as time passes), "slow" falls
    behind 20,000 ms a minute. Only the first is stalled; both know how fast they fall behind."""
    from tests.plain_moto import boto3_factory

    make = boto3_factory(plain_moto_url)
    kinesis = make("kinesis", region=STALL_REGION)
    kinesis.create_stream(StreamName="ledger", ShardCount=1)
    arn = kinesis.describe_stream_summary(StreamName="ledger")["StreamDescriptionSummary"]["StreamARN"]
    for name in ("stuck", "slow", "early"):
        kinesis.register_stream_consumer(StreamARN=arn, ConsumerName=name)
    t0 = datetime.now(UTC).replace(second=0, microsecond=0)
    cloudwatch = make("cloudwatch", region=STALL_REGION)

    def put(consumer: str, values: list[tuple[int, float]]) -> None:
        cloudwatch.put_metric_data(
            Namespace="AWS/Kinesis",
            MetricData=[
                {
                    "MetricName": "SubscribeToShardEvent.MillisBehindLatest",
                    "Dimensions": [
                        {"Name": "StreamName", "Value": "ledger"},
                        {"Name": "ConsumerName", "Value": consumer},
                    ],
                    "Timestamp": t0 - timedelta(minutes=ago),
                    "Value": value,
                    "Unit": "Milliseconds",
                }
                for ago, value in values
            ],
        )

    put("stuck", [(ago, 60_000.0 * (10 - ago)) for ago in range(10, 0, -1)])
    put("slow", [(ago, 20_000.0 * (10 - ago)) for ago in range(10, 0, -1)])
    # Steady, then stuck for the last two minutes only: not yet three minutes of it.
    put("early", [(ago, 5_000.0 if ago > 3 else 5_000.0 + 60_000.0 * (3 - ago)) for ago in range(10, 0, -1)])
    target = AwsTarget(
        regions=(STALL_REGION,), endpoint_url=plain_moto_url, access_key="testing", secret_key="testing"
    )
    factory = ClientFactory(target)
    try:
        snapshot = await KinesisPoller(factory, clock=Clock(t0)).poll()
    finally:
        await factory.close()
    (view,) = snapshot.streams
    readers = {r.name: r for r in view.readers}
    assert readers["stuck"].behind_ms == 540_000.0
    assert readers["stuck"].growth_ms_per_s == rel(1000.0)
    assert readers["stuck"].stalled is True
    assert readers["slow"].behind_ms == 180_000.0
    assert readers["slow"].growth_ms_per_s == rel(20_000.0 / 60.0)
    assert readers["slow"].stalled is False
    assert readers["early"].behind_ms == 125_000.0
    assert readers["early"].stalled is False
    rows = {r["name"]: r for r in json_of(snapshot)["streams"][0]["readers"]}
    assert rows["stuck"]["stalled"] is True and rows["stuck"]["growth_ms_per_s"] == 1000.0
    assert rows["slow"]["stalled"] is False and rows["slow"]["growth_ms_per_s"] == 333.3
    # The growth comes from the series the lag is read from: no query of its own.
    assert snapshot.queries == 8 + 3 + 3 + 3
