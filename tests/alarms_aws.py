"""CloudWatch alarms as AWS answers for them, for the tests moto cannot serve: DescribeAlarms with
composite alarms and pages, DescribeAlarmHistory, GetMetricData over metric math.

The dicts are written the way botocore returns AWS's answers (the API Reference's shapes, timestamps
as datetimes; HistoryData is JSON text, as in the AWS CLI's ``describe-alarm-history`` example).
``FakeCloudWatch`` answers from them and records every call; ``FakeFactory`` hands it out as the
``ClientFactory`` does its clients.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from tests.frozen import FROZEN
from tui.aws.scope import Place, home_places

ACCOUNT = "123456789012"
REGION = "us-east-1"
TOPIC = f"arn:aws:sns:{REGION}:{ACCOUNT}:payments-oncall"
INSTANCE = "i-0abc123def4567890"
STREAM = "payments-events"


def arn(name: str, region: str = REGION) -> str:
    return f"arn:aws:cloudwatch:{region}:{ACCOUNT}:alarm:{name}"


def ago(minutes: float) -> datetime:
    return FROZEN - timedelta(minutes=minutes)


def metric_alarm(
    name: str, state: str = "OK", *, updated: datetime | None = None, **extra: Any
) -> dict[str, Any]:
    """A MetricAlarms entry: CPU of one instance unless ``extra`` says otherwise."""
    when = updated or ago(90)
    alarm: dict[str, Any] = {
        "AlarmName": name,
        "AlarmArn": arn(name),
        "AlarmDescription": "CPU of the payments database",
        "AlarmConfigurationUpdatedTimestamp": ago(600),
        "ActionsEnabled": True,
        "OKActions": [TOPIC],
        "AlarmActions": [TOPIC],
        "InsufficientDataActions": [],
        "StateValue": state,
        "StateReason": "Threshold Crossed: 1 out of the last 3 datapoints [42.0 (26/11/26 02:55:00)] was not "
        "greater than or equal to the threshold (80.0) (minimum 2 datapoints for ALARM -> OK transition).",
        "StateReasonData": json.dumps(
            {"version": "1.0", "statistic": "Average", "period": 300, "threshold": 80.0}
        ),
        "StateUpdatedTimestamp": when,
        "StateTransitionedTimestamp": when,
        "MetricName": "CPUUtilization",
        "Namespace": "AWS/EC2",
        "Statistic": "Average",
        "Dimensions": [{"Name": "InstanceId", "Value": INSTANCE}],
        "Period": 300,
        "EvaluationPeriods": 3,
        "DatapointsToAlarm": 2,
        "Threshold": 80.0,
        "ComparisonOperator": "GreaterThanOrEqualToThreshold",
        "TreatMissingData": "missing",
    }
    alarm.update(extra)
    return alarm


def scale_up_alarm(state: str = "ALARM", *, updated: datetime | None = None) -> dict[str, Any]:
    """The auto-scaling solution's scale-up alarm: usage factor over metric math (Metrics, no MetricName)."""
    when = updated or ago(12)
    dims = [{"Name": "StreamName", "Value": STREAM}]
    return {
        "AlarmName": f"{STREAM} scale up",
        "AlarmArn": arn(f"{STREAM} scale up"),
        "AlarmConfigurationUpdatedTimestamp": ago(900),
        "ActionsEnabled": True,
        "OKActions": [],
        "AlarmActions": [f"arn:aws:sns:{REGION}:{ACCOUNT}:kinesis-scale-up"],
        "InsufficientDataActions": [],
        "StateValue": state,
        "StateReason": "Threshold Crossed: 5 out of the last 5 datapoints [1.21 (26/11/26 02:45:00)] were "
        "greater than or equal to the threshold (0.75) (minimum 5 datapoints for OK -> ALARM transition).",
        "StateUpdatedTimestamp": when,
        "StateTransitionedTimestamp": when,
        "Dimensions": [],
        "EvaluationPeriods": 5,
        "DatapointsToAlarm": 5,
        "Threshold": 0.75,
        "ComparisonOperator": "GreaterThanOrEqualToThreshold",
        "TreatMissingData": "ignore",
        "Metrics": [
            {
                "Id": "m1",
                "MetricStat": {
                    "Metric": {"Namespace": "AWS/Kinesis", "MetricName": "IncomingBytes", "Dimensions": dims},
                    "Period": 300,
                    "Stat": "Sum",
                },
                "ReturnData": False,
            },
            {
                "Id": "m2",
                "MetricStat": {
                    "Metric": {
                        "Namespace": "AWS/Kinesis",
                        "MetricName": "IncomingRecords",
                        "Dimensions": dims,
                    },
                    "Period": 300,
                    "Stat": "Sum",
                },
                "ReturnData": False,
            },
            {
                "Id": "e1",
                "Expression": "MAX([m1/(1048576*PERIOD(m1)), m2/(1000*PERIOD(m2))])",
                "Label": "usage factor",
                "ReturnData": True,
            },
        ],
    }


def composite_alarm(state: str = "ALARM", *, updated: datetime | None = None) -> dict[str, Any]:
    when = updated or ago(10)
    return {
        "AlarmName": "payments degraded",
        "AlarmArn": arn("payments degraded"),
        "AlarmDescription": "Card payments are degraded",
        "AlarmConfigurationUpdatedTimestamp": ago(900),
        "ActionsEnabled": True,
        "AlarmActions": [TOPIC],
        "OKActions": [TOPIC],
        "InsufficientDataActions": [],
        "AlarmRule": f'ALARM("{STREAM} scale up") OR ALARM("{arn("payments-db CPU high")}") OR OK(quiet)',
        "StateValue": state,
        "StateReason": f"arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:{STREAM} scale up transitioned to ALARM "
        "at Thursday 26 November, 2026 02:48:00 UTC",
        "StateUpdatedTimestamp": when,
        "StateTransitionedTimestamp": when,
    }


def history_entry(name: str, at: datetime, old: str, new: str, reason: str) -> dict[str, Any]:
    """A StateUpdate entry of AlarmHistoryItems, HistoryData as JSON text."""
    data = {
        "version": "1.0",
        "oldState": {"stateValue": old, "stateReason": "previous reason"},
        "newState": {
            "stateValue": new,
            "stateReason": reason,
            "stateReasonData": {"version": "1.0", "queryDate": "2026-11-26T02:59:06.419+0000"},
        },
    }
    return {
        "AlarmName": name,
        "AlarmType": "MetricAlarm",
        "Timestamp": at,
        "HistoryItemType": "StateUpdate",
        "HistorySummary": f"Alarm updated from {old} to {new}",
        "HistoryData": json.dumps(data),
    }


def validation_error(operation: str, message: str) -> ClientError:
    return ClientError({"Error": {"Code": "ValidationError", "Message": message}}, operation)


@dataclass
class FakeCloudWatch:
    """Answers DescribeAlarms (``page_size`` alarms a page, both types), DescribeAlarmHistory (from
    ``history`` per alarm name, filtered by StartDate, newest first) and GetMetricData (from ``series``
    per query id); records each call's parameters. ``fail`` maps an operation to the exception it raises."""

    metric_alarms: list[dict[str, Any]] = field(default_factory=list)
    composite_alarms: list[dict[str, Any]] = field(default_factory=list)
    history: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    series: dict[str, list[tuple[datetime, float]]] = field(default_factory=dict)
    page_size: int = 100
    fail: dict[str, Exception] = field(default_factory=dict)
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    reject_expressions: bool = False

    def made(self, operation: str) -> list[dict[str, Any]]:
        return [params for op, params in self.calls if op == operation]

    def _record(self, operation: str, params: Mapping[str, Any]) -> None:
        self.calls.append((operation, dict(params)))
        if operation in self.fail:
            raise self.fail[operation]

    async def describe_alarms(self, **params: Any) -> dict[str, Any]:
        self._record("DescribeAlarms", params)
        everything: list[tuple[str, dict[str, Any]]] = [("MetricAlarms", a) for a in self.metric_alarms]
        everything += [("CompositeAlarms", a) for a in self.composite_alarms]
        start = int(params.get("NextToken") or 0)
        page = everything[start : start + min(self.page_size, int(params.get("MaxRecords") or 100))]
        reply: dict[str, Any] = {"MetricAlarms": [], "CompositeAlarms": []}
        for kind, alarm in page:
            reply[kind].append(alarm)
        if start + len(page) < len(everything):
            reply["NextToken"] = str(start + len(page))
        return reply

    async def describe_alarm_history(self, **params: Any) -> dict[str, Any]:
        self._record("DescribeAlarmHistory", params)
        items = self.history.get(params["AlarmName"], [])
        since = params.get("StartDate")
        chosen = [i for i in items if since is None or i["Timestamp"] >= since]
        chosen.sort(key=lambda i: i["Timestamp"], reverse=True)
        return {"AlarmHistoryItems": chosen[: int(params.get("MaxRecords") or 100)]}

    async def get_metric_data(self, **params: Any) -> dict[str, Any]:
        self._record("GetMetricData", params)
        queries = params["MetricDataQueries"]
        if self.reject_expressions and any("Expression" in q for q in queries):
            raise validation_error("GetMetricData", "Error in expression 'e1': Unsupported function MAX")
        results = []
        for query in queries:
            points = sorted(
                p
                for p in self.series.get(query["Id"], [])
                if params["StartTime"] <= p[0] <= params["EndTime"]
            )
            results.append(
                {
                    "Id": query["Id"],
                    "Label": query.get("Label", query["Id"]),
                    "Timestamps": [t for t, _ in points],
                    "Values": [v for _, v in points],
                    "StatusCode": "Complete",
                }
            )
        return {"MetricDataResults": results, "Messages": []}


@dataclass
class _Target:
    profile: str | None = None


class FakeFactory:
    """What the Alarms poller asks of a ``ClientFactory``: its regions, its calls and a CloudWatch client."""

    def __init__(self, cloudwatch: FakeCloudWatch, regions: tuple[str, ...] = (REGION,)) -> None:
        self.cloudwatch = cloudwatch
        self.regions = regions
        self.region = regions[0]
        self.target = _Target()
        self.calls: Counter[str] = Counter()

    @property
    def places(self) -> tuple[Place, ...]:
        return home_places(self.regions)

    async def client(self, service: str, region: str | None = None, **_: Any) -> Any:
        assert service == "cloudwatch", service
        return self.cloudwatch

    async def close(self) -> None:
        return None


def scale_up_series(end: datetime = FROZEN, hours: float = 3.0) -> dict[str, list[tuple[datetime, float]]]:
    """Three hours of 5-minute points: the stream writes more and more, the usage factor crosses 0.75
    in the last 25 minutes."""
    steps = int(hours * 12)
    m1, m2, e1 = [], [], []
    for n in range(steps):
        at = end - timedelta(minutes=5 * (steps - n))
        usage = 0.3 + 0.6 * n / steps if n < steps - 5 else 1.1
        m1.append((at, usage * 0.5 * 1048576 * 300))
        m2.append((at, usage * 1000 * 300))
        e1.append((at, usage))
    return {"m1": m1, "m2": m2, "e1": e1}


def cpu_series(end: datetime = FROZEN, hours: float = 3.0) -> dict[str, list[tuple[datetime, float]]]:
    steps = int(hours * 12)
    return {
        "m1": [
            (end - timedelta(minutes=5 * (steps - n)), 40.0 + (50.0 if n > steps - 4 else n % 7))
            for n in range(steps)
        ]
    }


Clock = Callable[[], datetime]
