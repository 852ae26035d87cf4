"""The simulator's Kinesis answers as AWS does: UpdateShardCount's limits and UPDATING window,
DescribeStreamSummary's ConsumerCount, and seeded streams older than their metrics."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conftest import CLEAN_REGIONS
from tui.sim.extensions import kinesis as extension
from tui.sim.server import SimServer

REGION = CLEAN_REGIONS[3]
DEADLINE_S = 30.0

ClientMaker = Callable[..., Any]


def _summary(kinesis: Any, name: str) -> dict[str, Any]:
    summary: dict[str, Any] = kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]
    return summary


def _wait_active(kinesis: Any, name: str) -> dict[str, Any]:
    deadline = time.monotonic() + DEADLINE_S
    while time.monotonic() < deadline:
        summary = _summary(kinesis, name)
        if summary["StreamStatus"] == "ACTIVE":
            return summary
        time.sleep(0.2)
    raise AssertionError(f"{name} did not become ACTIVE within {DEADLINE_S:g} s")


def _code(exc: pytest.ExceptionInfo[ClientError]) -> str:
    return str(exc.value.response["Error"]["Code"])


@pytest.fixture
def kinesis(client: ClientMaker) -> Any:
    return client("kinesis", region=REGION)


def test_reshard_is_updating_then_active_with_the_new_count(kinesis: Any) -> None:
    kinesis.create_stream(StreamName="reshard", ShardCount=2)
    reply = kinesis.update_shard_count(
        StreamName="reshard", TargetShardCount=4, ScalingType="UNIFORM_SCALING"
    )
    assert (reply["CurrentShardCount"], reply["TargetShardCount"]) == (2, 4)
    summary = _summary(kinesis, "reshard")
    assert (summary["StreamStatus"], summary["OpenShardCount"]) == ("UPDATING", 2)
    with pytest.raises(ClientError) as refused:
        kinesis.update_shard_count(StreamName="reshard", TargetShardCount=3, ScalingType="UNIFORM_SCALING")
    assert _code(refused) == "ResourceInUseException"
    assert "UPDATING" in str(refused.value)
    summary = _wait_active(kinesis, "reshard")
    assert summary["OpenShardCount"] == 4


def test_reshard_refuses_beyond_double_and_below_half(kinesis: Any) -> None:
    kinesis.create_stream(StreamName="bounds", ShardCount=5)
    with pytest.raises(ClientError) as above:
        kinesis.update_shard_count(StreamName="bounds", TargetShardCount=11, ScalingType="UNIFORM_SCALING")
    assert _code(above) == "InvalidArgumentException"
    assert "over double" in str(above.value)
    with pytest.raises(ClientError) as below:
        kinesis.update_shard_count(StreamName="bounds", TargetShardCount=2, ScalingType="UNIFORM_SCALING")
    assert _code(below) == "InvalidArgumentException"
    assert "below half" in str(below.value)
    # 3 is not below half of 5 (2.5): accepted.
    kinesis.update_shard_count(StreamName="bounds", TargetShardCount=3, ScalingType="UNIFORM_SCALING")
    assert _wait_active(kinesis, "bounds")["OpenShardCount"] == 3


def test_reshard_refuses_on_demand_streams(kinesis: Any) -> None:
    kinesis.create_stream(StreamName="elastic", StreamModeDetails={"StreamMode": "ON_DEMAND"})
    with pytest.raises(ClientError) as refused:
        kinesis.update_shard_count(StreamName="elastic", TargetShardCount=8, ScalingType="UNIFORM_SCALING")
    assert _code(refused) == "ValidationException"


def test_reshard_at_most_ten_times_a_day(kinesis: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(extension, "UPDATING_S", 0.0)
    kinesis.create_stream(StreamName="busy", ShardCount=1)
    for target in (2, 1) * 5:
        kinesis.update_shard_count(StreamName="busy", TargetShardCount=target, ScalingType="UNIFORM_SCALING")
        _wait_active(kinesis, "busy")
    with pytest.raises(ClientError) as refused:
        kinesis.update_shard_count(StreamName="busy", TargetShardCount=2, ScalingType="UNIFORM_SCALING")
    assert _code(refused) == "LimitExceededException"
    assert _summary(kinesis, "busy")["OpenShardCount"] == 1


def test_summary_counts_consumers(kinesis: Any) -> None:
    kinesis.create_stream(StreamName="fanout", ShardCount=1)
    arn = _summary(kinesis, "fanout")["StreamARN"]
    assert _summary(kinesis, "fanout")["ConsumerCount"] == 0
    kinesis.register_stream_consumer(StreamARN=arn, ConsumerName="one")
    kinesis.register_stream_consumer(StreamARN=arn, ConsumerName="two")
    assert _summary(kinesis, "fanout")["ConsumerCount"] == 2


def test_seeded_streams_predate_their_oldest_metric(sim: SimServer, client: ClientMaker) -> None:
    kinesis = client("kinesis", region=sim.workload.region)
    cloudwatch = client("cloudwatch", region=sim.workload.region)

    def points(name: str, start: datetime, end: datetime) -> int:
        reply = cloudwatch.get_metric_statistics(
            Namespace="AWS/Kinesis",
            MetricName="IncomingRecords",
            Dimensions=[{"Name": "StreamName", "Value": name}],
            StartTime=start,
            EndTime=end,
            Period=86400,
            Statistics=["SampleCount"],
        )
        return int(sum(p["SampleCount"] for p in reply["Datapoints"]))

    for name in ("payments-events", "ledger-cdc", "audit-trail"):
        created = _summary(kinesis, name)["StreamCreationTimestamp"]
        assert points(name, created - timedelta(days=1), created) == 0, name
        assert points(name, created, datetime.now(UTC) + timedelta(days=1)) > 0, name
