"""An alarm's chart read from the simulator, whose GetMetricData refuses what CloudWatch refuses: the
Kinesis scaling solution's alarms carry a number alone among their queries (``s1``, the shard
count), which feeds the other expressions and cannot be returned as a series of its own."""

from __future__ import annotations

from typing import Any

import boto3

from tui.aws.alarms import AlarmsPoller
from tui.aws.clients import AwsTarget, ClientFactory

REGION = "us-west-1"
STREAM = "chart-orders"


def _put(sim_url: str) -> None:
    cw: Any = boto3.client("cloudwatch", region_name=REGION, endpoint_url=sim_url)

    def stat(qid: str, metric: str) -> dict[str, Any]:
        return {
            "Id": qid,
            "ReturnData": False,
            "MetricStat": {
                "Metric": {
                    "Namespace": "AWS/Kinesis",
                    "MetricName": metric,
                    "Dimensions": [{"Name": "StreamName", "Value": STREAM}],
                },
                "Period": 300,
                "Stat": "Sum",
            },
        }

    cw.put_metric_alarm(
        AlarmName=f"{STREAM}-scale-up",
        ComparisonOperator="GreaterThanOrEqualToThreshold",
        Threshold=0.75,
        EvaluationPeriods=5,
        DatapointsToAlarm=5,
        Metrics=[
            {"Id": "s1", "Expression": "1", "Label": "ShardCount", "ReturnData": False},
            stat("m1", "IncomingBytes"),
            stat("m2", "IncomingRecords"),
            {"Id": "e1", "Expression": "FILL(m1,0)/(1048576*60*5*s1)", "ReturnData": False},
            {"Id": "e2", "Expression": "FILL(m2,0)/(1000*60*5*s1)", "ReturnData": False},
            {"Id": "e3", "Expression": "MAX([e1,e2])", "Label": "MaxUsage", "ReturnData": True},
        ],
    )


async def test_a_constant_among_an_alarms_queries_is_not_asked_for_as_a_series(sim_url: str) -> None:
    _put(sim_url)
    factory = ClientFactory(
        AwsTarget(regions=(REGION,), endpoint_url=sim_url, access_key="testing", secret_key="testing")
    )
    try:
        poller = AlarmsPoller(factory)
        (alarm,) = [a for a in (await poller.poll()).alarms if a.name == f"{STREAM}-scale-up"]
        detail = await poller.detail(alarm)
    finally:
        await factory.close()
    assert not [p for p in detail.problems if "could not be computed" in p], detail.problems
    assert "s1" not in [s.id for s in detail.series]
    assert [s.id for s in detail.series if s.evaluated] == ["e3"]
