"""The Alarms poller against a plain moto server (no simulator patches): alarms put the way AWS takes
them (a metric alarm on an instance, one on a volume, the auto-scaling solution's metric-math alarm on
a stream), their states set with SetAlarmState, one muted with DisableAlarmActions, and mute and
unmute made through the console's action runner.

moto answers DescribeAlarms in one page and has no DescribeAlarmHistory (it answers 500): a poll
after a state change asks for that alarm's history only, and says it failed. Region ap-northeast-3
is this module's own on the shared plain server.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.json_doc import json_of
from tests.plain_moto import boto3_factory
from tui.aws.actions import ActionRunner, AuditLog, ReadOnlyRefusal
from tui.aws.actions import alarms as plans
from tui.aws.alarms import DESCRIBE_ALARM_HISTORY, AlarmsPoller
from tui.aws.alarms_model import Resource
from tui.aws.clients import AwsTarget, ClientFactory

REGION = "ap-northeast-3"
INSTANCE = "i-0feedc0ffee000001"
VOLUME = "vol-0feedc0ffee000002"
STREAM = "orders"
TOPIC = "arn:aws:sns:ap-northeast-3:123456789012:oncall"


def _put_alarms(cw: Any) -> None:
    cw.put_metric_alarm(
        AlarmName="db CPU high",
        AlarmDescription="CPU of the database",
        Namespace="AWS/EC2",
        MetricName="CPUUtilization",
        Dimensions=[{"Name": "InstanceId", "Value": INSTANCE}],
        Statistic="Average",
        Period=300,
        EvaluationPeriods=3,
        DatapointsToAlarm=2,
        Threshold=80.0,
        ComparisonOperator="GreaterThanOrEqualToThreshold",
        TreatMissingData="missing",
        AlarmActions=[TOPIC],
        OKActions=[TOPIC],
    )
    cw.put_metric_alarm(
        AlarmName="db volume burst balance low",
        Namespace="AWS/EBS",
        MetricName="BurstBalance",
        Dimensions=[{"Name": "VolumeId", "Value": VOLUME}],
        Statistic="Minimum",
        Period=300,
        EvaluationPeriods=2,
        Threshold=20.0,
        ComparisonOperator="LessThanThreshold",
        TreatMissingData="notBreaching",
        AlarmActions=[TOPIC],
    )
    dims = [{"Name": "StreamName", "Value": STREAM}]
    cw.put_metric_alarm(
        AlarmName="orders scale up",
        EvaluationPeriods=5,
        DatapointsToAlarm=5,
        Threshold=0.75,
        ComparisonOperator="GreaterThanOrEqualToThreshold",
        TreatMissingData="ignore",
        AlarmActions=[TOPIC],
        Metrics=[
            {
                "Id": "m1",
                "MetricStat": {
                    "Metric": {"Namespace": "AWS/Kinesis", "MetricName": "IncomingBytes", "Dimensions": dims},
                    "Period": 300,
                    "Stat": "Sum",
                },
                "ReturnData": False,
            },
            {"Id": "e1", "Expression": "m1/(1048576*PERIOD(m1))", "Label": "usage", "ReturnData": True},
        ],
    )
    cw.set_alarm_state(
        AlarmName="db CPU high",
        StateValue="ALARM",
        StateReason="Threshold Crossed: 2 out of the last 3 datapoints [91.0, 88.5] were greater than or "
        "equal to the threshold (80.0).",
    )
    cw.set_alarm_state(AlarmName="orders scale up", StateValue="INSUFFICIENT_DATA", StateReason="no data")
    cw.disable_alarm_actions(AlarmNames=["db volume burst balance low"])


@pytest.fixture(scope="module")
def cw(plain_moto_url: str) -> Any:
    client = boto3_factory(plain_moto_url)("cloudwatch", REGION)
    _put_alarms(client)
    return client


@pytest.fixture
async def factory(plain_moto_url: str, cw: Any) -> AsyncIterator[ClientFactory]:
    made = ClientFactory(
        AwsTarget(regions=(REGION,), endpoint_url=plain_moto_url, access_key="testing", secret_key="testing")
    )
    try:
        yield made
    finally:
        await made.close()


async def test_alarms_are_listed_firing_first_with_what_they_watch(factory: ClientFactory) -> None:
    snap = await AlarmsPoller(factory).poll()
    assert snap.error is None and not snap.errors
    assert [(a.name, a.state) for a in snap.alarms] == [
        ("db CPU high", "ALARM"),
        ("orders scale up", "INSUFFICIENT_DATA"),
        ("db volume burst balance low", "OK"),
    ]
    cpu, scale, burst = snap.alarms
    assert cpu.resource == Resource("instance", INSTANCE) and cpu.state_reason.startswith("Threshold Crossed")
    assert cpu.actions == (("ALARM", (TOPIC,)), ("OK", (TOPIC,))) and not cpu.muted
    assert scale.resource == Resource("stream", STREAM) and scale.expression == "m1/(1048576*PERIOD(m1))"
    assert burst.resource == Resource("volume", VOLUME) and burst.muted
    assert factory.calls["cloudwatch:DescribeAlarms"] == 1
    doc = json_of(snap)
    assert [a["type"] for a in doc["alarms"]] == ["metric", "metric", "metric"]
    assert doc["alarms"][0]["metric"]["dimensions"] == {"InstanceId": INSTANCE}
    assert doc["alarms"][1]["metric"] is None and doc["alarms"][1]["expression"] == "m1/(1048576*PERIOD(m1))"
    assert doc["alarms"][2]["actions_enabled"] is False and doc["errors"] == []


async def test_only_the_alarm_whose_state_changed_has_its_history_asked_for(
    factory: ClientFactory, cw: Any
) -> None:
    poller = AlarmsPoller(factory)
    await poller.poll()
    assert factory.calls["cloudwatch:DescribeAlarmHistory"] == 0
    cw.set_alarm_state(AlarmName="db volume burst balance low", StateValue="ALARM", StateReason="test")
    changed = await poller.poll()
    assert changed.history_reads == 1 and factory.calls["cloudwatch:DescribeAlarmHistory"] == 1
    # moto has no DescribeAlarmHistory: the state shows, the failure is said, nothing else is lost.
    assert [e.api for e in changed.errors] == [DESCRIBE_ALARM_HISTORY] and changed.error is None
    assert next(a for a in changed.alarms if a.name == "db volume burst balance low").state == "ALARM"
    cw.set_alarm_state(AlarmName="db volume burst balance low", StateValue="OK", StateReason="back")


async def test_mute_and_unmute_go_through_the_action_runner(factory: ClientFactory, tmp_path: Any) -> None:
    poller = AlarmsPoller(factory)
    cpu = next(a for a in (await poller.poll()).alarms if a.name == "db CPU high")
    runner = ActionRunner(factory, read_only=False, audit=AuditLog(tmp_path / "audit.jsonl"))
    muted = await runner.execute(plans.mute_plan([cpu], "GD-7 rehearsal", "30m"))
    assert muted.ok
    (record,) = runner.audit.records()
    assert record["plan_title"] == "Mute db CPU high for 30m: GD-7 rehearsal"
    assert record["params"] == {"AlarmNames": ["db CPU high"]} and record["outcome"] == "ok"
    after = next(a for a in (await poller.poll()).alarms if a.name == "db CPU high")
    assert after.muted and after.state == "ALARM", "muting stops actions, not evaluation"
    assert (await runner.execute(plans.unmute_plan([after]))).ok
    assert not next(a for a in (await poller.poll()).alarms if a.name == "db CPU high").muted


async def test_read_only_refuses_a_mute_below_the_screen(factory: ClientFactory, tmp_path: Any) -> None:
    cpu = next(a for a in (await AlarmsPoller(factory).poll()).alarms if a.name == "db CPU high")
    audit = AuditLog(tmp_path / "audit.jsonl")
    runner = ActionRunner(factory, read_only=True, audit=audit)
    with pytest.raises(ReadOnlyRefusal):
        await runner.execute(plans.mute_plan([cpu], "GD-7", "30m"))
    assert factory.calls["cloudwatch:DisableAlarmActions"] == 0
    (refused,) = audit.records()
    assert (refused["operation"], refused["outcome"]) == ("DisableAlarmActions", "refused-read-only")
