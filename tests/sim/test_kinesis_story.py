"""The simulated Kinesis story: a single-shard stream near its limit whose Lambda reader falls
behind, and a reshard that brings the usage factor and the lag down.

The shared simulator is only read here. The reshard runs in this module's own region
(``REGION``), on a stream created there and a workload that writes that region's metrics, so the
shared stream keeps its one shard.
"""

from __future__ import annotations

import inspect
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest

from tests.frozen import FROZEN
from tui.sim import catalog
from tui.sim.account import ACCOUNT_ID
from tui.sim.metricgen import FleetModel, LiveState, MetricGenerator, minute_of, minute_start
from tui.sim.server import SimServer
from tui.sim.workload import Workload, detach_stream_invocations

Client = Callable[..., Any]

REGION = "ap-northeast-1"
EVENTS = "payments-events"
WRITER = "payments-ledger-writer"
DAY_MS = 24 * 3600 * 1000.0
EVENTS_SPEC = next(s for s in catalog.STREAMS if s.name == EVENTS)
WRITER_SPEC = next(c for c in EVENTS_SPEC.consumers if c.name == WRITER)
# The moment the reshard story of this module is seeded at.
T0 = datetime(2026, 11, 20, 18, 30, 20, tzinfo=UTC)


def _series(
    cloudwatch: Any,
    namespace: str,
    metric: str,
    dims: dict[str, str],
    stat: str,
    first: int,
    last: int,
) -> dict[int, float]:
    """minute -> value of one series over minutes first..last."""
    result = cloudwatch.get_metric_data(
        MetricDataQueries=[
            {
                "Id": "m",
                "MetricStat": {
                    "Metric": {
                        "Namespace": namespace,
                        "MetricName": metric,
                        "Dimensions": [{"Name": k, "Value": v} for k, v in dims.items()],
                    },
                    "Period": 60,
                    "Stat": stat,
                },
            }
        ],
        StartTime=minute_start(first),
        EndTime=minute_start(last + 1),
    )["MetricDataResults"][0]
    return {
        minute_of(stamp): float(value)
        for stamp, value in zip(result["Timestamps"], result["Values"], strict=True)
    }


def _usage(cloudwatch: Any, first: int, last: int, shards: int) -> dict[int, float]:
    """The usage factor of payments-events per minute (the kinesis-auto-scaling formula)."""
    dims = {"StreamName": EVENTS}
    records = _series(cloudwatch, "AWS/Kinesis", "IncomingRecords", dims, "Sum", first, last)
    size = _series(cloudwatch, "AWS/Kinesis", "IncomingBytes", dims, "Sum", first, last)
    assert set(records) == set(range(first, last + 1)), "a minute of IncomingRecords is missing"
    return {
        m: max(records[m] / (1000.0 * 60 * shards), size[m] / (1024.0 * 1024.0 * 60 * shards))
        for m in records
    }


def _ages(cloudwatch: Any, first: int, last: int) -> dict[int, float]:
    ages = _series(
        cloudwatch,
        "AWS/Kinesis",
        "GetRecords.IteratorAgeMilliseconds",
        {"StreamName": EVENTS},
        "Maximum",
        first,
        last,
    )
    assert set(ages) == set(range(first, last + 1)), "a minute of iterator age is missing"
    return ages


def _value(sample: list[Any], namespace: str, metric: str, resource: str) -> float:
    return float(
        next(
            v for k, v in sample if k.namespace == namespace and k.metric == metric and k.resource == resource
        )
    )


def _fleet(seed: int, story_minute: int | None) -> FleetModel:
    return FleetModel(seed=seed, instances=(), streams=(EVENTS_SPEC,), story_minute=story_minute)


# ------------------------------------------------------------------------------------------------
# The shared simulator, as seeded
# ------------------------------------------------------------------------------------------------


def test_the_event_stream_runs_near_its_single_shard_limit(sim: SimServer, client: Client) -> None:
    summary = client("kinesis").describe_stream_summary(StreamName=EVENTS)["StreamDescriptionSummary"]
    assert summary["OpenShardCount"] == 1 and summary["RetentionPeriodHours"] == 24
    story = sim.workload.fleet.story_minute
    assert story is not None
    cloudwatch = client("cloudwatch")
    usage = _usage(cloudwatch, story - 30, story - 1, shards=1)
    assert all(0.9 <= u <= 1.0 for u in usage.values()), usage
    throttled = _series(
        cloudwatch,
        "AWS/Kinesis",
        "WriteProvisionedThroughputExceeded",
        {"StreamName": EVENTS},
        "Sum",
        story - 180,
        story - 1,
    )
    hits = [t for t in throttled.values() if t > 0]
    assert 0 < len(hits) < len(throttled) / 2, "a few minutes, not most, should throttle"
    assert max(hits) < 0.05 * 60 * 1000, "throttling should stay a few records"


def test_the_lambda_reader_falls_behind_towards_half_the_retention(sim: SimServer, client: Client) -> None:
    story = sim.workload.fleet.story_minute
    assert story is not None
    cloudwatch = client("cloudwatch")
    ages = _ages(cloudwatch, story - 30, story - 1)
    first, last = ages[story - 30], ages[story - 1]
    assert 0.30 * DAY_MS <= last <= 0.50 * DAY_MS, f"age {last / DAY_MS:.0%} of the retention"
    assert last > first, "the iterator age should rise"
    hours_to_half = (0.5 * DAY_MS - last) / ((last - first) / 29) / 60
    assert 1.0 <= hours_to_half <= 12.0, f"{hours_to_half:.1f} h to 50% of the retention"
    fn = {"FunctionName": WRITER}
    lambda_age = _series(cloudwatch, "AWS/Lambda", "IteratorAge", fn, "Maximum", story - 1, story - 1)
    assert lambda_age[story - 1] == last
    concurrent = _series(
        cloudwatch, "AWS/Lambda", "ConcurrentExecutions", fn, "Maximum", story - 30, story - 1
    )
    assert set(concurrent.values()) == {1.0}, "one batch per shard at a time while backlogged"
    duration = _series(cloudwatch, "AWS/Lambda", "Duration", fn, "Average", story - 30, story - 1)
    expected_ms = 1000.0 * catalog.LAMBDA_BATCH_SIZE / (WRITER_SPEC.per_shard_rps or 0.0)
    assert all(0.85 * expected_ms <= d <= 1.15 * expected_ms for d in duration.values()), duration
    errors = _series(cloudwatch, "AWS/Lambda", "Errors", fn, "Sum", story - 180, story - 1)
    invocations = _series(cloudwatch, "AWS/Lambda", "Invocations", fn, "Sum", story - 180, story - 1)
    assert sum(errors.values()) < 0.01 * sum(invocations.values())
    fraud = _series(
        cloudwatch,
        "AWS/Kinesis",
        "SubscribeToShardEvent.MillisBehindLatest",
        {"StreamName": EVENTS, "ConsumerName": "fraud-scorer"},
        "Maximum",
        story - 180,
        story - 1,
    )
    assert fraud and max(fraud.values()) < 5_000, "the EFO consumer keeps up"


def test_the_other_streams_stay_healthy_all_day(sim: SimServer) -> None:
    generator = MetricGenerator(sim.workload.fleet)
    day = minute_of(datetime(2026, 11, 26, tzinfo=UTC))
    samples = [generator.sample(m) for m in range(day, day + 1440, 7)]
    for spec in catalog.STREAMS:
        if spec.name == EVENTS:
            continue
        usage = [
            max(
                _value(s, "AWS/Kinesis", "IncomingRecords", spec.name) / (60_000.0 * spec.shards),
                _value(s, "AWS/Kinesis", "IncomingBytes", spec.name) / (60.0 * 1024 * 1024 * spec.shards),
            )
            for s in samples
        ]
        assert min(usage) > 0.25 and max(usage) < 0.75, (spec.name, min(usage), max(usage))
        ages = [_value(s, "AWS/Kinesis", "GetRecords.IteratorAgeMilliseconds", spec.name) for s in samples]
        assert max(ages) < 60_000, spec.name
        throttled = [
            _value(s, "AWS/Kinesis", "WriteProvisionedThroughputExceeded", spec.name) for s in samples
        ]
        assert not any(throttled), spec.name


def test_the_lambda_reader_is_mapped_but_records_do_not_invoke_it(sim: SimServer, client: Client) -> None:
    lam = client("lambda")
    arn = client("kinesis").describe_stream_summary(StreamName=EVENTS)["StreamDescriptionSummary"][
        "StreamARN"
    ]
    function = lam.get_function(FunctionName=WRITER)["Configuration"]
    assert function["Runtime"] == catalog.LAMBDA_RUNTIME
    mappings = lam.list_event_source_mappings(EventSourceArn=arn)["EventSourceMappings"]
    assert [(m["FunctionArn"], m["BatchSize"], m["State"]) for m in mappings] == [
        (function["FunctionArn"], catalog.LAMBDA_BATCH_SIZE, "Enabled")
    ]
    from moto.kinesis.models import kinesis_backends

    stream = kinesis_backends[ACCOUNT_ID]["us-east-1"].streams[EVENTS]
    assert not any(
        m.function_arn == function["FunctionArn"] for m in stream.lambda_event_source_mappings.values()
    )
    client("kinesis").put_record(StreamName=EVENTS, Data=b"{}", PartitionKey="story-test")
    groups = client("logs").describe_log_groups(logGroupNamePrefix=f"/aws/lambda/{WRITER}")["logGroups"]
    for group in groups:
        streams = client("logs").describe_log_streams(logGroupName=group["logGroupName"])["logStreams"]
        assert not streams, "a record put into the stream invoked the Lambda function"


def test_the_frozen_moment_tells_the_same_story(sim: SimServer, client: Client) -> None:
    """The UI tests' frozen hour is written by the shared fixture: it shows the lag too, and the
    values are those a fresh generator computes (so snapshots do not depend on the run)."""
    end = minute_of(FROZEN) - 1
    ages = _ages(client("cloudwatch"), end - 30, end)
    assert 0.30 * DAY_MS <= ages[end] <= 0.50 * DAY_MS and ages[end] > ages[end - 30]
    fresh = MetricGenerator(sim.workload.fleet)
    for name, entries in sim.workload.generator.shard_history().items():
        for start, count in entries:
            fresh.observe_shards(start, {name: count})
    for minute in (end - 30, end):
        sample = fresh.sample(minute)
        assert _value(sample, "AWS/Kinesis", "GetRecords.IteratorAgeMilliseconds", EVENTS) == ages[minute]


# ------------------------------------------------------------------------------------------------
# The generator alone: deterministic, and shaped by the shard history
# ------------------------------------------------------------------------------------------------


def test_same_seed_and_shard_history_give_the_same_values() -> None:
    story = minute_of(T0)

    def run(seed: int) -> list[float]:
        generator = MetricGenerator(_fleet(seed, story))
        values: list[float] = []
        for minute in range(story - 200, story + 20):
            state = LiveState(frozenset(), frozenset(), 0.0, {EVENTS: 2 if minute >= story else 1})
            values.extend(
                v for k, v in generator.sample(minute, state=state) if k.resource in (EVENTS, WRITER)
            )
        return values

    assert run(7) == run(7)
    assert run(7) != run(8)
    # Computing a minute directly or after its predecessors gives the same value.
    direct = MetricGenerator(_fleet(7, story)).sample(story - 1)
    stepped = MetricGenerator(_fleet(7, story))
    for minute in range(story - 90, story):
        stepped_sample = stepped.sample(minute)
    assert stepped_sample == direct


def test_without_a_story_minute_the_story_repeats_daily_at_the_quiet_hours() -> None:
    generator = MetricGenerator(_fleet(7, None))
    for day in range(3):
        quiet = minute_of(datetime(2026, 3, 10 + day, 3, tzinfo=UTC))
        before = _value(generator.sample(quiet - 31), "AWS/Lambda", "IteratorAge", WRITER)
        now = _value(generator.sample(quiet - 1), "AWS/Lambda", "IteratorAge", WRITER)
        assert 0.30 * DAY_MS <= now <= 0.50 * DAY_MS and now > before


def test_history_is_recorded_from_the_first_minute_seen_and_keeps_the_past() -> None:
    story = minute_of(T0)
    generator = MetricGenerator(_fleet(7, story))
    past = generator.sample(story - 5)
    generator.observe_shards(story, {EVENTS: 1})
    assert generator.shard_history() == {}
    generator.observe_shards(story + 3, {EVENTS: 2})
    # A window in the past written later keeps the count it had.
    generator.observe_shards(story - 5, {EVENTS: 4})
    assert generator.shard_history() == {EVENTS: ((story + 3, 2), (story + 4, 4))}
    assert [generator.shards_at(EVENTS, m) for m in (story - 5, story + 2, story + 3, story + 9)] == [
        1,
        1,
        2,
        4,
    ]
    assert generator.sample(story - 5) == past


# ------------------------------------------------------------------------------------------------
# Resharding, in this module's own region
# ------------------------------------------------------------------------------------------------


@dataclass
class Story:
    workload: Workload
    kinesis: Any
    cloudwatch: Any


@pytest.fixture(scope="module")
def story(sim_url: str) -> Iterator[Story]:
    def make(service: str) -> Any:
        return boto3.client(
            service,
            region_name=REGION,
            endpoint_url=sim_url,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )

    kinesis = make("kinesis")
    kinesis.create_stream(StreamName=EVENTS, ShardCount=1, StreamModeDetails={"StreamMode": "PROVISIONED"})
    workload = Workload(sim_url, seed=7, region=REGION, track_ec2=True, retention=None)
    workload.adopt(_fleet(7, minute_of(T0)))
    try:
        yield Story(workload, kinesis, make("cloudwatch"))
    finally:
        workload.stop()
        kinesis.delete_stream(StreamName=EVENTS)


def _open_shards(kinesis: Any) -> int:
    shards = kinesis.list_shards(StreamName=EVENTS)["Shards"]
    return sum(1 for s in shards if "EndingSequenceNumber" not in s["SequenceNumberRange"])


def _reshard(kinesis: Any, target: int, deadline_s: float = 30.0) -> dict[str, Any]:
    """UpdateShardCount, then the summary once the stream is ACTIVE again (UPDATING meanwhile, as on AWS)."""
    kinesis.update_shard_count(StreamName=EVENTS, TargetShardCount=target, ScalingType="UNIFORM_SCALING")
    deadline = time.monotonic() + deadline_s
    while True:
        reply = kinesis.describe_stream_summary(StreamName=EVENTS)
        summary: dict[str, Any] = reply["StreamDescriptionSummary"]
        if summary["StreamStatus"] == "ACTIVE":
            return summary
        assert time.monotonic() < deadline, f"{EVENTS} is still {summary['StreamStatus']}"
        time.sleep(0.2)


def test_resharding_halves_the_usage_and_brings_the_lag_down(story: Story) -> None:
    workload, kinesis, cloudwatch = story.workload, story.kinesis, story.cloudwatch
    now = minute_of(T0)
    assert workload.tick(T0) == 180
    assert workload.stream_shards() == {EVENTS: 1}
    before_usage = _usage(cloudwatch, now - 30, now - 1, shards=1)
    before_ages = _ages(cloudwatch, now - 30, now - 1)
    assert all(0.9 <= u <= 1.0 for u in before_usage.values())
    assert 0.30 * DAY_MS <= before_ages[now - 1] <= 0.50 * DAY_MS
    assert before_ages[now - 1] > before_ages[now - 30]

    summary = _reshard(kinesis, 2)
    assert summary["OpenShardCount"] == _open_shards(kinesis) == 2
    assert workload.stream_shards() == {EVENTS: 2}
    assert workload.tick(T0 + timedelta(minutes=10)) == 10
    assert workload.generator.shard_history() == {EVENTS: ((now, 2),)}

    # The same records over twice the capacity: the usage factor halves.
    after_usage = _usage(cloudwatch, now, now + 9, shards=2)
    mean_before = sum(before_usage.values()) / len(before_usage)
    mean_after = sum(after_usage.values()) / len(after_usage)
    assert 0.45 <= mean_after / mean_before <= 0.55, (mean_before, mean_after)
    after_ages = _ages(cloudwatch, now, now + 9)
    assert after_ages[now + 9] < after_ages[now] < before_ages[now - 1], "the lag should fall"
    assert all(after_ages[m + 1] < after_ages[m] for m in range(now, now + 9))
    concurrent = _series(
        cloudwatch, "AWS/Lambda", "ConcurrentExecutions", {"FunctionName": WRITER}, "Maximum", now, now + 9
    )
    assert set(concurrent.values()) == {2.0}

    # The written minutes are what a fresh generator with the same history computes.
    fresh = MetricGenerator(_fleet(7, minute_of(T0)))
    fresh.observe_shards(now, {EVENTS: 2})
    for minute in (now - 1, now + 9):
        sample = fresh.sample(minute)
        assert (
            _value(sample, "AWS/Kinesis", "GetRecords.IteratorAgeMilliseconds", EVENTS)
            == (before_ages if minute < now else after_ages)[minute]
        )

    # Halving back: moto's OpenShardCount and its open shards agree again, and new minutes use it.
    summary = _reshard(kinesis, 1)
    assert summary["OpenShardCount"] == _open_shards(kinesis) == 1
    assert workload.tick(T0 + timedelta(minutes=15)) == 5
    assert workload.generator.shard_history() == {EVENTS: ((now, 2), (now + 10, 1))}
    back = _usage(cloudwatch, now + 10, now + 14, shards=1)
    assert all(0.9 <= u <= 1.0 for u in back.values())


# ------------------------------------------------------------------------------------------------
# What the simulator relies on in moto
# ------------------------------------------------------------------------------------------------


def test_moto_kinesis_internals_are_what_the_workload_reads() -> None:
    from moto.kinesis.models import KinesisBackend, Shard, Stream, kinesis_backends

    assert isinstance(kinesis_backends, dict), "moto.kinesis.models.kinesis_backends is no longer a dict"
    assert "streams" in inspect.getsource(KinesisBackend.__init__), "KinesisBackend.streams is gone"
    stream_init = inspect.getsource(Stream.__init__)
    for attribute in ("self.shards", "self.shard_count", "self.lambda_event_source_mappings"):
        assert attribute in stream_init, f"moto's Kinesis Stream no longer sets {attribute}"
    assert "is_open" in inspect.getsource(Shard.__init__), "moto's Kinesis Shard has no is_open"
    assert "self.shard_count = target_shard_count" in inspect.getsource(Stream.update_shard_count), (
        "moto's UpdateShardCount no longer sets the OpenShardCount DescribeStreamSummary reports"
    )
    assert "lambda_event_source_mappings" in inspect.getsource(Stream.put_record), (
        "moto's Kinesis put_record no longer invokes Lambda through Stream.lambda_event_source_mappings: "
        "check how the workload keeps records from invoking payments-ledger-writer"
    )


def test_detaching_removes_only_the_functions_mappings(sim: SimServer) -> None:
    from moto.kinesis.models import kinesis_backends

    stream = kinesis_backends[ACCOUNT_ID]["us-east-1"].streams[EVENTS]

    @dataclass
    class Mapping:
        function_arn: str

    other: Any = Mapping("arn:aws:lambda:us-east-1:1:function:other")
    stream.lambda_event_source_mappings["other"] = other
    try:
        assert (
            detach_stream_invocations(ACCOUNT_ID, "us-east-1", EVENTS, "arn:aws:lambda:x:function:none") == 0
        )
        assert "other" in stream.lambda_event_source_mappings
    finally:
        stream.lambda_event_source_mappings.pop("other", None)


def test_the_event_stream_near_its_limit_is_never_critical_without_a_fault(sim: SimServer) -> None:
    """Near one shard's limit all day, the seed's stream refuses a second's burst now and then;
    the console reads that as busy ("warn"), never as a stream refusing its writes, at any minute
    of the day (a fault's refusal is, in tests/sim/test_faults.py)."""
    from tui.aws.kinesis_math import throttled_share, usage_factor, usage_level

    generator = MetricGenerator(
        FleetModel(seed=sim.workload.fleet.seed, instances=(), streams=(EVENTS_SPEC,))
    )
    day = minute_of(datetime(2026, 11, 26, tzinfo=UTC))
    accepted: dict[float, float] = {}
    refused: dict[float, float] = {}
    spiked = 0
    for minute in range(day, day + 1440):
        sample = generator.sample(minute)
        ts = minute * 60.0
        accepted[ts] = _value(sample, "AWS/Kinesis", "IncomingRecords", EVENTS)
        refused[ts] = _value(sample, "AWS/Kinesis", "WriteProvisionedThroughputExceeded", EVENTS)
        spiked += refused[ts] >= 0.01 * accepted[ts]
        window = {t: v for t, v in accepted.items() if t > ts - 600.0}
        usage, _driver = usage_factor(accepted[ts] * EVENTS_SPEC.record_bytes, accepted[ts], 60.0, 1)
        share = throttled_share(refused, window)
        assert usage_level(usage, share) != "critical", (minute - day, usage, share)
    assert spiked, "some minutes do refuse a burst: the window is what keeps them from reading critical"
