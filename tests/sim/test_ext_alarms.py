"""CloudWatch alarms in the simulator answer as CloudWatch's do, checked through boto3, and evaluate
the simulator's metrics with CloudWatch's rules.

Region ap-northeast-2 (``CLEAN_REGIONS[6]``) is this module's own: nothing else puts alarms or
metrics there. Each test names its alarms with a prefix of its own and writes its datapoints with
``put_series``; alarms are evaluated in-process at a chosen moment (``alarms.evaluate``), as the
workload does once a minute. The evaluation rules themselves are checked table-driven on
``alarms.judge`` (CloudWatch's own tables for missing data, M of N, every comparison).
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conftest import CLEAN_REGIONS
from tui.sim.extensions import alarms
from tui.sim.extensions.cloudwatch import put_series

ACCOUNT = "123456789012"
REGION = CLEAN_REGIONS[6]

ClientMaker = Callable[..., Any]


@pytest.fixture
def cw(client: ClientMaker) -> Any:
    return client("cloudwatch", region=REGION)


@pytest.fixture
def topic(client: ClientMaker) -> str:
    arn: str = client("sns", region=REGION).create_topic(Name="alarm-tests-oncall")["TopicArn"]
    return arn


class _Clock:
    """The simulated now: what the alarms' API reads, moved by each evaluation."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


_clock = _Clock(datetime.now(UTC))


@pytest.fixture
def t0(monkeypatch: pytest.MonkeyPatch) -> datetime:
    """A whole minute a little before now: tests write their datapoints around it. The alarms'
    API reads the time of the test's latest evaluation (from ten minutes before ``t0``), so its
    calls and the evaluations are ordered as the test makes them."""
    start = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=30)
    _clock.now = start - timedelta(minutes=10)
    monkeypatch.setattr(alarms, "api_clock", _clock)
    return start


def _code(caught: pytest.ExceptionInfo[ClientError]) -> str:
    return str(caught.value.response["Error"]["Code"])


def _series(metric: str, dims: dict[str, str], start: datetime, values: list[float | None]) -> None:
    """One datapoint a minute from ``start`` (None: no datapoint that minute)."""
    points = [(start + timedelta(minutes=k), value) for k, value in enumerate(values) if value is not None]
    put_series(ACCOUNT, REGION, "Warroom/AlarmTests", metric, dims, points)


def _alarm(cw: Any, name: str, dims: dict[str, str], **params: Any) -> None:
    settings: dict[str, Any] = {
        "Namespace": "Warroom/AlarmTests",
        "MetricName": "Load",
        "Dimensions": [{"Name": key, "Value": value} for key, value in dims.items()],
        "Statistic": "Maximum",
        "Period": 60,
        "EvaluationPeriods": 3,
        "DatapointsToAlarm": 3,
        "Threshold": 90.0,
        "ComparisonOperator": "GreaterThanOrEqualToThreshold",
    }
    settings.update(params)
    if "DatapointsToAlarm" not in params:
        settings["DatapointsToAlarm"] = min(3, int(settings["EvaluationPeriods"]))
    cw.put_metric_alarm(
        AlarmName=name, **{key: value for key, value in settings.items() if value is not None}
    )


def _one(cw: Any, name: str) -> dict[str, Any]:
    found = cw.describe_alarms(AlarmNames=[name], AlarmTypes=["MetricAlarm", "CompositeAlarm"])
    items: list[dict[str, Any]] = found["MetricAlarms"] + found["CompositeAlarms"]
    assert len(items) == 1, items
    return items[0]


def _evaluate(at: datetime, prefix: str = "") -> list[str]:
    """Evaluate the region's alarms at ``at`` (the API's now from then on); the names starting
    with ``prefix`` that changed state."""
    _clock.now = at
    return [name for name in alarms.evaluate(ACCOUNT, REGION, at) if name.startswith(prefix)]


def _history(cw: Any, name: str, **params: Any) -> list[dict[str, Any]]:
    pages = cw.get_paginator("describe_alarm_history").paginate(AlarmName=name, **params)
    return [item for page in pages for item in page["AlarmHistoryItems"]]


# --------------------------------------------------------------------------------------------
# moto and the extension
# --------------------------------------------------------------------------------------------


def test_the_alarm_actions_are_answered_by_the_extension() -> None:
    from moto.cloudwatch.models import Alarm
    from moto.cloudwatch.responses import CloudWatchResponse

    alarms.install()
    for name, function in {**alarms.RESPONSE_METHODS, **alarms.NEW_METHODS}.items():
        assert CloudWatchResponse.__dict__[name] is function, name
    for name in alarms.RESPONSE_METHODS:
        assert callable(alarms.moto_originals[name]), f"moto's {name} was not kept"
    import inspect

    assert tuple(inspect.signature(Alarm.__init__).parameters) == alarms.EXPECTED_ALARM_PARAMETERS


# --------------------------------------------------------------------------------------------
# PutMetricAlarm and DescribeAlarms
# --------------------------------------------------------------------------------------------


def test_a_new_alarm_is_insufficient_data_and_described_as_cloudwatch_describes_it(cw: Any) -> None:
    _alarm(cw, "new-cpu", {"Host": "new"}, AlarmDescription="CPU of new", Unit="Percent")
    alarm = _one(cw, "new-cpu")
    assert alarm["StateValue"] == "INSUFFICIENT_DATA"
    assert alarm["StateReason"] == "Unchecked: Initial alarm creation"
    assert "StateReasonData" not in alarm
    assert alarm["AlarmArn"] == f"arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:new-cpu"
    assert alarm["ActionsEnabled"] is True
    assert (alarm["OKActions"], alarm["AlarmActions"], alarm["InsufficientDataActions"]) == ([], [], [])
    assert alarm["Dimensions"] == [{"Name": "Host", "Value": "new"}]
    assert (alarm["Statistic"], alarm["Period"], alarm["Unit"]) == ("Maximum", 60, "Percent")
    assert (alarm["EvaluationPeriods"], alarm["DatapointsToAlarm"], alarm["Threshold"]) == (3, 3, 90.0)
    assert "TreatMissingData" not in alarm, "only given settings are listed"
    for key in ("AlarmConfigurationUpdatedTimestamp", "StateUpdatedTimestamp", "StateTransitionedTimestamp"):
        assert isinstance(alarm[key], datetime), key
    created = _history(cw, "new-cpu")
    assert [(item["HistoryItemType"], item["HistorySummary"]) for item in created] == [
        ("ConfigurationUpdate", 'Alarm "new-cpu" created')
    ]
    assert json.loads(created[0]["HistoryData"])["createdAlarm"]["alarmName"] == "new-cpu"


def test_an_alarm_keeps_its_tags_and_an_update_keeps_its_state(cw: Any, t0: datetime) -> None:
    _alarm(cw, "tagged-cpu", {"Host": "tagged"}, Tags=[{"Key": "Team", "Value": "payments"}])
    arn = _one(cw, "tagged-cpu")["AlarmArn"]
    assert cw.list_tags_for_resource(ResourceARN=arn)["Tags"] == [{"Key": "Team", "Value": "payments"}]
    _series("Load", {"Host": "tagged"}, t0 - timedelta(minutes=3), [99.0, 99.0, 99.0])
    _evaluate(t0 + timedelta(seconds=5))
    assert _one(cw, "tagged-cpu")["StateValue"] == "ALARM"
    _alarm(cw, "tagged-cpu", {"Host": "tagged"}, Threshold=95.0, AlarmDescription="raised")
    updated = _one(cw, "tagged-cpu")
    assert (updated["StateValue"], updated["Threshold"], updated["AlarmDescription"]) == (
        "ALARM",
        95.0,
        "raised",
    )
    assert [
        item["HistorySummary"] for item in _history(cw, "tagged-cpu", HistoryItemType="ConfigurationUpdate")
    ] == [
        'Alarm "tagged-cpu" updated',
        'Alarm "tagged-cpu" created',
    ]


def test_put_metric_alarm_refuses_what_cloudwatch_refuses(cw: Any) -> None:
    refusals: list[tuple[dict[str, Any], str]] = [
        ({"Period": 45}, "ValidationError"),
        ({"DatapointsToAlarm": 4}, "ValidationError"),
        ({"TreatMissingData": "sometimes"}, "ValidationError"),
        ({"Statistic": None, "ExtendedStatistic": None}, "InvalidParameterCombination"),
        ({"ExtendedStatistic": "p99"}, "InvalidParameterCombination"),
        ({"ComparisonOperator": "LessThanLowerOrGreaterThanUpperThreshold"}, "ValidationError"),
        ({"EvaluationPeriods": 10081}, "ValidationError"),
        (
            {
                "Metrics": [
                    {
                        "Id": "m1",
                        "MetricStat": {
                            "Metric": {"Namespace": "A", "MetricName": "B"},
                            "Period": 60,
                            "Stat": "Sum",
                        },
                    }
                ]
            },
            "InvalidParameterCombination",
        ),
    ]
    for change, code in refusals:
        params: dict[str, Any] = {
            "Namespace": "Warroom/AlarmTests",
            "MetricName": "Load",
            "Statistic": "Maximum",
            "Period": 60,
            "EvaluationPeriods": 3,
            "Threshold": 1.0,
            "ComparisonOperator": "GreaterThanThreshold",
        }
        params.update(change)
        params = {key: value for key, value in params.items() if value is not None}
        with pytest.raises(ClientError) as caught:
            cw.put_metric_alarm(AlarmName="refused", **params)
        assert _code(caught) == code, change
    assert cw.describe_alarms(AlarmNames=["refused"])["MetricAlarms"] == []


def test_describe_alarms_filters_by_names_prefix_state_actions_and_type(
    cw: Any, topic: str, t0: datetime
) -> None:
    for host in ("a", "b", "c"):
        _alarm(cw, f"filter-{host}", {"Host": f"filter-{host}"}, AlarmActions=[topic] if host == "a" else [])
    _alarm(cw, "other-filter", {"Host": "filter-other"})
    _series("Load", {"Host": "filter-a"}, t0 - timedelta(minutes=3), [95.0, 96.0, 97.0])
    _series("Load", {"Host": "filter-b"}, t0 - timedelta(minutes=3), [5.0, 6.0, 7.0])
    _evaluate(t0 + timedelta(seconds=10))
    cw.put_composite_alarm(AlarmName="filter-any", AlarmRule='ALARM("filter-a") OR ALARM("filter-b")')

    def names(**params: Any) -> list[str]:
        found = cw.describe_alarms(**params)
        return [item["AlarmName"] for item in found["MetricAlarms"] + found["CompositeAlarms"]]

    assert names(AlarmNamePrefix="filter-") == ["filter-a", "filter-b", "filter-c"], "metric alarms only"
    assert names(AlarmNamePrefix="filter-", AlarmTypes=["CompositeAlarm"]) == ["filter-any"]
    assert sorted(names(AlarmNamePrefix="filter-", AlarmTypes=["MetricAlarm", "CompositeAlarm"])) == [
        "filter-a",
        "filter-any",
        "filter-b",
        "filter-c",
    ]
    assert names(AlarmNames=["filter-c", "filter-a", "nothing"]) == ["filter-a", "filter-c"]
    assert names(AlarmNamePrefix="filter-", StateValue="ALARM") == ["filter-a"]
    assert names(AlarmNamePrefix="filter-", StateValue="OK") == ["filter-b"]
    assert names(AlarmNamePrefix="filter-", StateValue="INSUFFICIENT_DATA") == ["filter-c"]
    assert names(ActionPrefix=topic) == ["filter-a"]
    assert names(ChildrenOfAlarmName="filter-any") == ["filter-a", "filter-b"]
    assert names(ParentsOfAlarmName="filter-b") == ["filter-any"]
    children = cw.describe_alarms(ChildrenOfAlarmName="filter-any")["MetricAlarms"]
    assert set(children[0]) == {"AlarmName", "AlarmArn", "StateValue", "StateUpdatedTimestamp"}
    with pytest.raises(ClientError) as caught:
        cw.describe_alarms(AlarmNames=["filter-a"], AlarmNamePrefix="filter-")
    assert _code(caught) == "InvalidParameterCombination"
    with pytest.raises(ClientError) as caught:
        cw.describe_alarms(ChildrenOfAlarmName="filter-any", StateValue="OK")
    assert _code(caught) == "ValidationError"


def test_describe_alarms_pages_in_name_order(cw: Any) -> None:
    wanted = [f"page-{index:02d}" for index in range(7)]
    for name in reversed(wanted):
        _alarm(cw, name, {"Host": name})
    first = cw.describe_alarms(AlarmNamePrefix="page-", MaxRecords=3)
    assert [item["AlarmName"] for item in first["MetricAlarms"]] == wanted[:3]
    second = cw.describe_alarms(AlarmNamePrefix="page-", MaxRecords=3, NextToken=first["NextToken"])
    assert [item["AlarmName"] for item in second["MetricAlarms"]] == wanted[3:6]
    third = cw.describe_alarms(AlarmNamePrefix="page-", MaxRecords=3, NextToken=second["NextToken"])
    assert [item["AlarmName"] for item in third["MetricAlarms"]] == wanted[6:]
    assert "NextToken" not in third
    pages = cw.get_paginator("describe_alarms").paginate(
        AlarmNamePrefix="page-", PaginationConfig={"PageSize": 2}
    )
    assert [item["AlarmName"] for page in pages for item in page["MetricAlarms"]] == wanted
    with pytest.raises(ClientError) as caught:
        cw.describe_alarms(MaxRecords=101)
    assert _code(caught) == "ValidationError"
    with pytest.raises(ClientError) as caught:
        cw.describe_alarms(NextToken="not-a-token")
    assert _code(caught) == "InvalidNextToken"


# --------------------------------------------------------------------------------------------
# Evaluation, history and actions
# --------------------------------------------------------------------------------------------


def test_a_breach_and_its_end_are_written_as_cloudwatch_writes_them(
    cw: Any, topic: str, t0: datetime
) -> None:
    dims = {"Host": "breach"}
    _alarm(cw, "breach-cpu", dims, AlarmActions=[topic], OKActions=[topic], TreatMissingData="missing")
    _series("Load", dims, t0 - timedelta(minutes=5), [40.0, 41.0, 95.2, 96.5, 97.0, 12.0, 11.0, 10.0])
    assert _evaluate(t0 - timedelta(minutes=2) + timedelta(seconds=5), "breach-") == ["breach-cpu"]
    assert _one(cw, "breach-cpu")["StateValue"] == "OK"
    assert _evaluate(t0 + timedelta(seconds=5), "breach-") == ["breach-cpu"]
    alarm = _one(cw, "breach-cpu")
    stamps = [(t0 - timedelta(minutes=k)).strftime("%d/%m/%y %H:%M:%S") for k in (1, 2, 3, 0)]
    assert alarm["StateValue"] == "ALARM"
    assert alarm["StateReason"] == (
        f"Threshold Crossed: 3 out of the last 3 datapoints [97.0 ({stamps[0]}), "
        f"96.5 ({stamps[1]}), 95.2 ({stamps[2]})] were greater than or equal to the "
        "threshold (90.0) (minimum 3 datapoints for OK -> ALARM transition)."
    )
    data = json.loads(alarm["StateReasonData"])
    assert data["version"] == "1.0"
    assert (data["statistic"], data["period"], data["threshold"]) == ("Maximum", 60, 90.0)
    assert data["recentDatapoints"] == [95.2, 96.5, 97.0]
    assert data["startDate"].startswith((t0 - timedelta(minutes=3)).strftime("%Y-%m-%dT%H:%M:00.000"))
    assert [point["value"] for point in data["evaluatedDatapoints"]] == [97.0, 96.5, 95.2]
    assert all(point["sampleCount"] == 1.0 for point in data["evaluatedDatapoints"])
    assert alarm["StateTransitionedTimestamp"] == alarm["StateUpdatedTimestamp"]

    # 3 of 3: one datapoint that does not breach is enough to go back to OK.
    assert _evaluate(t0 + timedelta(minutes=1, seconds=5), "breach-") == ["breach-cpu"]
    calm = _one(cw, "breach-cpu")
    assert calm["StateValue"] == "OK"
    assert calm["StateReason"] == (
        f"Threshold Crossed: 1 out of the last 3 datapoints [12.0 ({stamps[3]})] was not greater than or "
        "equal to the threshold (90.0) (minimum 1 datapoint for ALARM -> OK transition)."
    )
    assert _evaluate(t0 + timedelta(minutes=3, seconds=5), "breach-") == [], (
        "an alarm changes only with its state"
    )
    history = _history(cw, "breach-cpu")
    summaries = [(item["HistoryItemType"], item["HistorySummary"]) for item in history]
    executed = ("Action", f"Successfully executed action {topic}")
    assert summaries == [
        executed,
        ("StateUpdate", "Alarm updated from ALARM to OK"),
        executed,
        ("StateUpdate", "Alarm updated from OK to ALARM"),
        executed,
        ("StateUpdate", "Alarm updated from INSUFFICIENT_DATA to OK"),
        ("ConfigurationUpdate", 'Alarm "breach-cpu" created'),
    ], "newest first"
    update = json.loads(history[3]["HistoryData"])
    assert update["oldState"]["stateValue"] == "OK"
    assert update["newState"]["stateValue"] == "ALARM"
    assert update["newState"]["stateReason"] == alarm["StateReason"]
    assert update["newState"]["stateReasonData"] == data
    action = json.loads(history[2]["HistoryData"])
    assert (action["actionState"], action["notificationResource"]) == ("Succeeded", topic)
    message = json.loads(action["publishedMessage"])
    assert (message["AlarmName"], message["NewStateValue"], message["OldStateValue"]) == (
        "breach-cpu",
        "ALARM",
        "OK",
    )
    assert message["Trigger"]["MetricName"] == "Load"
    assert all(item["AlarmType"] == "MetricAlarm" for item in history)


def test_disabled_actions_record_no_action_but_the_alarm_still_evaluates(
    cw: Any, topic: str, t0: datetime
) -> None:
    dims = {"Host": "muted"}
    _alarm(cw, "muted-cpu", dims, EvaluationPeriods=1, DatapointsToAlarm=1, AlarmActions=[topic])
    _series("Load", dims, t0 - timedelta(minutes=1), [99.0, 1.0, 99.0])
    cw.disable_alarm_actions(AlarmNames=["muted-cpu", "no-such-alarm"])
    assert _one(cw, "muted-cpu")["ActionsEnabled"] is False
    _evaluate(t0 + timedelta(seconds=5))
    assert _one(cw, "muted-cpu")["StateValue"] == "ALARM"
    assert _history(cw, "muted-cpu", HistoryItemType="Action") == []
    _evaluate(t0 + timedelta(minutes=1, seconds=5))
    cw.enable_alarm_actions(AlarmNames=["muted-cpu"])
    assert _one(cw, "muted-cpu")["ActionsEnabled"] is True
    _evaluate(t0 + timedelta(minutes=2, seconds=5))
    assert [item["HistorySummary"] for item in _history(cw, "muted-cpu", HistoryItemType="Action")] == [
        f"Successfully executed action {topic}"
    ]
    states = [item["HistorySummary"] for item in _history(cw, "muted-cpu", HistoryItemType="StateUpdate")]
    assert states[:2] == ["Alarm updated from OK to ALARM", "Alarm updated from ALARM to OK"]


def test_an_action_on_a_topic_that_does_not_exist_fails(cw: Any, t0: datetime) -> None:
    missing = f"arn:aws:sns:{REGION}:{ACCOUNT}:nobody-listens"
    _alarm(cw, "lost-cpu", {"Host": "lost"}, EvaluationPeriods=1, AlarmActions=[missing])
    _series("Load", {"Host": "lost"}, t0 - timedelta(minutes=1), [99.0])
    _evaluate(t0 + timedelta(seconds=5))
    [action] = _history(cw, "lost-cpu", HistoryItemType="Action")
    assert action["HistorySummary"].startswith(f"Failed to execute action {missing}.")
    assert json.loads(action["HistoryData"])["actionState"] == "Failed"


def test_set_alarm_state_holds_until_the_next_evaluation(cw: Any, topic: str, t0: datetime) -> None:
    dims = {"Host": "test-state"}
    _alarm(cw, "state-cpu", dims, AlarmActions=[topic])
    _series("Load", dims, t0 - timedelta(minutes=3), [10.0, 11.0, 12.0])
    _evaluate(t0 + timedelta(seconds=5))
    cw.set_alarm_state(
        AlarmName="state-cpu",
        StateValue="ALARM",
        StateReason="rehearsal: proving the pager",
        StateReasonData="{}",
    )
    alarm = _one(cw, "state-cpu")
    assert (alarm["StateValue"], alarm["StateReason"], alarm["StateReasonData"]) == (
        "ALARM",
        "rehearsal: proving the pager",
        "{}",
    )
    assert [item["HistorySummary"] for item in _history(cw, "state-cpu", HistoryItemType="Action")] == [
        f"Successfully executed action {topic}"
    ]
    assert _evaluate(t0 + timedelta(minutes=1, seconds=5), "state-") == ["state-cpu"]
    back = _one(cw, "state-cpu")
    assert back["StateValue"] == "OK"
    assert back["StateReason"].startswith("Threshold Crossed:")
    states = [item["HistorySummary"] for item in _history(cw, "state-cpu", HistoryItemType="StateUpdate")]
    assert states[:2] == ["Alarm updated from ALARM to OK", "Alarm updated from OK to ALARM"]

    cw.set_alarm_state(AlarmName="state-cpu", StateValue="OK", StateReason="said twice")
    assert _one(cw, "state-cpu")["StateReason"] == "said twice"
    _evaluate(t0 + timedelta(minutes=2, seconds=5))
    assert _one(cw, "state-cpu")["StateReason"].startswith("Threshold Crossed:"), (
        "the evaluation's reason again"
    )
    with pytest.raises(ClientError) as caught:
        cw.set_alarm_state(AlarmName="no-such-alarm", StateValue="OK", StateReason="x")
    assert _code(caught) == "ResourceNotFound"
    with pytest.raises(ClientError) as caught:
        cw.set_alarm_state(
            AlarmName="state-cpu", StateValue="OK", StateReason="x", StateReasonData="{not json"
        )
    assert _code(caught) == "InvalidFormat"


def test_alarm_history_filters_orders_and_pages(cw: Any, t0: datetime) -> None:
    dims = {"Host": "history"}
    _alarm(cw, "history-cpu", dims, EvaluationPeriods=1)
    values: list[float | None] = [99.0 if minute % 2 else 1.0 for minute in range(8)]
    _series("Load", dims, t0 - timedelta(minutes=8), values)
    for minute in range(8):
        _evaluate(t0 - timedelta(minutes=7 - minute, seconds=-5))
    updates = _history(cw, "history-cpu", HistoryItemType="StateUpdate")
    assert len(updates) == 8
    stamps = [item["Timestamp"] for item in updates]
    assert stamps == sorted(stamps, reverse=True), "newest first by default"
    ascending = _history(cw, "history-cpu", HistoryItemType="StateUpdate", ScanBy="TimestampAscending")
    assert [item["Timestamp"] for item in ascending] == sorted(stamps)
    window = _history(
        cw,
        "history-cpu",
        HistoryItemType="StateUpdate",
        StartDate=t0 - timedelta(minutes=4),
        EndDate=t0 - timedelta(minutes=2) + timedelta(seconds=10),
    )
    assert len(window) == 3
    page = cw.describe_alarm_history(AlarmName="history-cpu", HistoryItemType="StateUpdate", MaxRecords=5)
    assert len(page["AlarmHistoryItems"]) == 5 and page["NextToken"]
    rest = cw.describe_alarm_history(
        AlarmName="history-cpu", HistoryItemType="StateUpdate", MaxRecords=5, NextToken=page["NextToken"]
    )
    assert len(rest["AlarmHistoryItems"]) == 3 and "NextToken" not in rest
    assert _history(cw, "history-cpu", AlarmTypes=["CompositeAlarm"]) == []
    cw.delete_alarms(AlarmNames=["history-cpu"])
    kept = _history(cw, "history-cpu")
    assert kept[0]["HistorySummary"] == 'Alarm "history-cpu" deleted', "history outlives the alarm"
    assert len(kept) == 10


# --------------------------------------------------------------------------------------------
# Statistics and metric math
# --------------------------------------------------------------------------------------------


def test_each_statistic_is_what_the_alarm_compares(cw: Any, t0: datetime) -> None:
    dims = {"Host": "stats"}
    minute = t0 - timedelta(minutes=1)
    points = [
        (minute + timedelta(seconds=second), value)
        for second, value in ((5, 1.0), (20, 2.0), (35, 3.0), (50, 4.0))
    ]
    put_series(ACCOUNT, REGION, "Warroom/AlarmTests", "Load", dims, points)
    expected = {"Average": 2.5, "Sum": 10.0, "Minimum": 1.0, "Maximum": 4.0, "SampleCount": 4.0, "p50": 2.0}
    for stat in expected:
        kind = {"Statistic": None, "ExtendedStatistic": stat} if stat.startswith("p") else {"Statistic": stat}
        _alarm(cw, f"stat-{stat}", dims, EvaluationPeriods=1, Threshold=2.5, **kind)
    _evaluate(t0 + timedelta(seconds=5))
    for stat, value in expected.items():
        alarm = _one(cw, f"stat-{stat}")
        assert json.loads(alarm["StateReasonData"])["recentDatapoints"] == [value], stat
        assert alarm["StateValue"] == ("ALARM" if value >= 2.5 else "OK"), stat


def test_a_metric_math_alarm_evaluates_its_expression(cw: Any, t0: datetime) -> None:
    def stat(query_id: str, metric: str) -> dict[str, Any]:
        return {
            "Id": query_id,
            "ReturnData": False,
            "MetricStat": {
                "Metric": {
                    "Namespace": "Warroom/AlarmTests",
                    "MetricName": metric,
                    "Dimensions": [{"Name": "Api", "Value": "math"}],
                },
                "Period": 60,
                "Stat": "Sum",
            },
        }

    metrics = [
        stat("m1", "Errors"),
        stat("m2", "Requests"),
        {"Id": "e1", "Expression": "100*FILL(m1,0)/m2", "Label": "ErrorPercent", "ReturnData": True},
    ]
    cw.put_metric_alarm(
        AlarmName="math-errors",
        Metrics=metrics,
        EvaluationPeriods=3,
        DatapointsToAlarm=2,
        Threshold=5.0,
        ComparisonOperator="GreaterThanOrEqualToThreshold",
    )
    start = t0 - timedelta(minutes=3)
    _series("Requests", {"Api": "math"}, start, [200.0, 200.0, 200.0])
    _series("Errors", {"Api": "math"}, start, [None, 20.0, 30.0])
    _evaluate(t0 + timedelta(seconds=5))
    alarm = _one(cw, "math-errors")
    assert alarm["StateValue"] == "ALARM"
    assert [query["Id"] for query in alarm["Metrics"]] == ["m1", "m2", "e1"]
    assert "Dimensions" in alarm and "Statistic" not in alarm
    data = json.loads(alarm["StateReasonData"])
    assert data["recentDatapoints"] == [0.0, 10.0, 15.0], "FILL gives the quiet minute 0 errors"
    assert "statistic" not in data and all(
        "sampleCount" not in point for point in data["evaluatedDatapoints"]
    )
    assert alarm["StateReason"].startswith("Threshold Crossed: 2 out of the last 3 datapoints [15.0 (")

    refused: list[list[dict[str, Any]]] = [
        [stat("m1", "Errors"), {"Id": "e1", "Expression": "m1*2"}, {"Id": "e2", "Expression": "m1*3"}],
        [
            dict(stat("m1", "Errors"), ReturnData=True),
            {"Id": "e1", "Expression": "m1", "ReturnData": False},
            dict(stat("m2", "Requests"), MetricStat=dict(stat("m2", "Requests")["MetricStat"], Period=300)),
        ],
        [stat("m1", "Errors"), {"Id": "e1", "Expression": "m1 + nothing"}],
        [stat("m1", "Errors"), {"Id": "e1", "Expression": "ANOMALY_DETECTION_BAND(m1, 2)"}],
        [stat("m1", "Errors"), {"Id": "E1", "Expression": "m1"}],
    ]
    for queries in refused:
        with pytest.raises(ClientError) as caught:
            cw.put_metric_alarm(
                AlarmName="math-refused",
                Metrics=queries,
                EvaluationPeriods=1,
                Threshold=1.0,
                ComparisonOperator="GreaterThanThreshold",
            )
        assert _code(caught) == "ValidationError", queries


# --------------------------------------------------------------------------------------------
# Composite alarms
# --------------------------------------------------------------------------------------------


@pytest.fixture
def children(cw: Any, t0: datetime) -> tuple[str, str]:
    for host in ("left", "right"):
        _alarm(cw, f"child-{host}", {"Host": f"child-{host}"}, EvaluationPeriods=1)
        _series("Load", {"Host": f"child-{host}"}, t0 - timedelta(minutes=1), [1.0, 1.0, 99.0])
    _evaluate(t0 + timedelta(seconds=5))
    return "child-left", "child-right"


def test_a_composite_alarm_follows_its_children(
    cw: Any, topic: str, children: tuple[str, str], t0: datetime
) -> None:
    left, right = children
    rule = f'ALARM("{left}") AND NOT OK(arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:{right})'
    cw.put_composite_alarm(AlarmName="both-children", AlarmRule=rule, AlarmActions=[topic], OKActions=[topic])
    composite = _one(cw, "both-children")
    assert composite["AlarmRule"] == rule
    assert composite["StateValue"] == "OK"
    assert composite["StateReason"] == (
        f"arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:both-children was created and its alarm rule "
        "evaluates to OK"
    )
    assert set(composite) >= {"ActionsEnabled", "AlarmArn", "StateTransitionedTimestamp", "StateReasonData"}
    assert "MetricName" not in composite and "Threshold" not in composite

    _evaluate(t0 + timedelta(minutes=2, seconds=5))
    assert _one(cw, left)["StateValue"] == "ALARM"
    assert _one(cw, right)["StateValue"] == "ALARM"
    composite = _one(cw, "both-children")
    assert composite["StateValue"] == "ALARM"
    arns = {name: f"arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:{name}" for name in children}
    assert re.fullmatch(
        rf"arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:child-(left|right) transitioned to ALARM at "
        r"[A-Z][a-z]+day \d\d [A-Z][a-z]+, \d{4} \d\d:\d\d:\d\d UTC",
        composite["StateReason"],
    ), composite["StateReason"]
    triggering = json.loads(composite["StateReasonData"])["triggeringAlarms"]
    assert [item["arn"] for item in triggering] == [arns[left]], "the children in ALARM its rule reads"
    assert all(item["state"]["value"] == "ALARM" for item in triggering)
    history = _history(cw, "both-children", AlarmTypes=["CompositeAlarm"])
    assert [item["HistorySummary"] for item in history[:2]] == [
        f"Successfully executed action {topic}",
        "Alarm updated from OK to ALARM",
    ]
    assert _history(cw, "both-children") == [], "a composite's history needs AlarmTypes"

    cw.set_alarm_state(AlarmName="both-children", StateValue="OK", StateReason="quiet for the test")
    _evaluate(t0 + timedelta(minutes=2, seconds=35))
    assert _one(cw, "both-children")["StateValue"] == "OK", (
        "a composite holds a set state until a child changes"
    )
    cw.set_alarm_state(AlarmName=left, StateValue="OK", StateReason="left is fine")
    assert _one(cw, "both-children")["StateValue"] == "OK"
    cw.set_alarm_state(AlarmName=left, StateValue="ALARM", StateReason="left again")
    assert _one(cw, "both-children")["StateValue"] == "ALARM"

    with pytest.raises(ClientError) as caught:
        cw.delete_alarms(AlarmNames=[left])
    assert _code(caught) == "ResourceConflict"
    cw.delete_alarms(AlarmNames=["both-children", left])
    gone = cw.describe_alarms(
        AlarmNames=["both-children", left], AlarmTypes=["CompositeAlarm", "MetricAlarm"]
    )
    assert gone["MetricAlarms"] == [] and gone["CompositeAlarms"] == []


def test_put_composite_alarm_refuses_a_broken_rule(cw: Any, children: tuple[str, str]) -> None:
    left, _ = children
    for rule in (
        'ALARM("no-such-alarm")',
        f'ALARM("{left}") AND',
        f'SOMETIMES("{left}")',
        f'ALARM("{left}"',
        'ALARM("self-named")',
    ):
        with pytest.raises(ClientError) as caught:
            cw.put_composite_alarm(AlarmName="self-named", AlarmRule=rule)
        assert _code(caught) == "ValidationError", rule
    with pytest.raises(ClientError) as caught:
        cw.put_composite_alarm(AlarmName=left, AlarmRule="TRUE")
    assert _code(caught) == "ValidationError", "a metric alarm's name"


# --------------------------------------------------------------------------------------------
# The evaluation rules, table-driven
# --------------------------------------------------------------------------------------------

BASE = datetime(2026, 6, 12, 21, 0, tzinfo=UTC)


def _points(pattern: str, period: int = 300) -> list[alarms.Datapoint]:
    """``"0 - X - X"``, oldest first: 0 does not breach, X breaches, - is missing."""
    values = {"0": 10.0, "X": 100.0, "-": None}
    marks = pattern.split()
    micros = int(BASE.timestamp()) * 1_000_000
    return [
        alarms.Datapoint(micros + index * period * 1_000_000, values[mark])
        for index, mark in enumerate(marks)
    ]


def _config(
    n: int, m: int, treatment: str, comparison: str = "GreaterThanThreshold", threshold: float = 50.0
) -> dict[str, Any]:
    return {
        "Namespace": "N",
        "MetricName": "M",
        "Statistic": "Average",
        "Period": 300,
        "EvaluationPeriods": n,
        "DatapointsToAlarm": m,
        "Threshold": threshold,
        "ComparisonOperator": comparison,
        "TreatMissingData": treatment,
    }


RETAIN = None
TREATMENTS = ("missing", "ignore", "breaching", "notBreaching")

# CloudWatch's own tables ("How alarm state is evaluated when data is missing"): the state for each
# TreatMissingData, for an alarm with 3 of 3 and one with 2 of 3, over five most recent periods.
MISSING_DATA_TABLE = [
    (3, 3, "0 - X - X", ("OK", "OK", "OK", "OK")),
    (3, 3, "0 - - - -", ("OK", "OK", "OK", "OK")),
    (3, 3, "- - - - -", ("INSUFFICIENT_DATA", RETAIN, "ALARM", "OK")),
    (3, 3, "0 X X - X", ("ALARM", "ALARM", "ALARM", "ALARM")),
    (3, 3, "- - - - X", ("INSUFFICIENT_DATA", RETAIN, "ALARM", "OK")),
    (3, 3, "X - - - -", ("ALARM", RETAIN, "ALARM", "OK")),
    (3, 2, "0 - X - X", ("ALARM", "ALARM", "ALARM", "ALARM")),
    (3, 2, "0 0 X 0 X", ("ALARM", "ALARM", "ALARM", "ALARM")),
    (3, 2, "0 - X - -", ("OK", "OK", "ALARM", "OK")),
    (3, 2, "- - - - 0", ("OK", "OK", "ALARM", "OK")),
    (3, 2, "- - - - X", ("INSUFFICIENT_DATA", RETAIN, "ALARM", "OK")),
]


@pytest.mark.parametrize(("n", "m", "pattern", "states"), MISSING_DATA_TABLE)
def test_missing_data_is_treated_as_cloudwatch_documents(
    n: int, m: int, pattern: str, states: tuple[str | None, ...]
) -> None:
    for treatment, state in zip(TREATMENTS, states, strict=True):
        assert alarms.judge(_config(n, m, treatment), _points(pattern)).state == state, treatment


@pytest.mark.parametrize(
    ("pattern", "m", "state"),
    [
        ("0 0 0 0 0", 1, "OK"),
        ("0 0 0 0 X", 1, "ALARM"),
        ("0 0 X 0 X", 2, "ALARM"),
        ("0 0 X 0 X", 3, "OK"),
        ("0 X X X 0", 3, "OK"),
        ("0 0 X X X", 3, "ALARM"),
        ("X X 0 0 X", 2, "OK"),
    ],
)
def test_m_of_n_counts_breaches_among_the_last_n(pattern: str, m: int, state: str) -> None:
    assert alarms.judge(_config(3, m, "missing"), _points(pattern)).state == state


@pytest.mark.parametrize(
    ("comparison", "below", "equal", "above"),
    [
        ("GreaterThanThreshold", "OK", "OK", "ALARM"),
        ("GreaterThanOrEqualToThreshold", "OK", "ALARM", "ALARM"),
        ("LessThanThreshold", "ALARM", "OK", "OK"),
        ("LessThanOrEqualToThreshold", "ALARM", "ALARM", "OK"),
    ],
)
def test_each_comparison_against_the_threshold(comparison: str, below: str, equal: str, above: str) -> None:
    for value, state in ((49.0, below), (50.0, equal), (51.0, above)):
        point = alarms.Datapoint(int(BASE.timestamp()) * 1_000_000, value)
        assert alarms.judge(_config(1, 1, "missing", comparison), [point]).state == state, value


@pytest.mark.parametrize(
    ("config", "pattern", "reason"),
    [
        (
            _config(1, 1, "missing"),
            "0 0 X",
            "Threshold Crossed: 1 out of the last 1 datapoints [100.0 (12/06/26 21:10:00)] was greater than "
            "the threshold (50.0) (minimum 1 datapoint for OK -> ALARM transition).",
        ),
        (
            {**_config(2, 2, "missing"), "DatapointsToAlarm": None},
            "X X 0 0",
            "Threshold Crossed: 2 datapoints [10.0 (12/06/26 21:15:00), 10.0 (12/06/26 21:10:00)] were not "
            "greater than the threshold (50.0).",
        ),
        (
            _config(2, 2, "breaching"),
            "- - - -",
            "Threshold Crossed: no datapoints were received for 2 periods and 2 missing datapoints were "
            "treated as [Breaching].",
        ),
        (
            _config(1, 1, "notBreaching"),
            "- - -",
            "Threshold Crossed: no datapoints were received for 1 period and 1 missing datapoint was "
            "treated as [NonBreaching].",
        ),
        (_config(3, 3, "missing"), "- - - - -", "Insufficient Data: 3 datapoints were unknown."),
        (
            _config(3, 3, "missing"),
            "X X 0 X 0",
            "Threshold Crossed: 2 out of the last 3 datapoints [10.0 (12/06/26 21:20:00), 10.0 (12/06/26 "
            "21:10:00)] were not greater than the threshold (50.0) (minimum 1 datapoint for ALARM -> OK "
            "transition).",
        ),
    ],
)
def test_reasons_are_worded_as_cloudwatch_words_them(
    config: dict[str, Any], pattern: str, reason: str
) -> None:
    outcome = alarms.decide(config, _points(pattern), BASE + timedelta(minutes=30))
    assert outcome.reason == reason
    data = json.loads(outcome.reason_data or "{}")
    assert data["queryDate"] == "2026-06-12T21:30:00.000+0000"
    assert data["threshold"] == config["Threshold"]


def test_numbers_are_written_as_java_writes_doubles() -> None:
    cases = {
        90.0: "90.0",
        0.005: "0.005",
        95.2: "95.2",
        1e7: "1.0E7",
        35120720.0: "3.512072E7",
        0.0001: "1.0E-4",
        -2.5: "-2.5",
    }
    for value, text in cases.items():
        assert alarms.java_double(value) == text, value


def test_the_evaluation_range_ends_at_the_current_minute() -> None:
    at = datetime(2026, 6, 12, 21, 7, 41, tzinfo=UTC)
    starts = alarms.evaluation_range(_config(3, 3, "missing"), at)
    assert starts[-1] == datetime(2026, 6, 12, 21, 2, tzinfo=UTC), "the last 5-minute period ends at 21:07"
    assert len(starts) == 3 + alarms.EXTRA_PERIODS
    assert [b - a for a, b in itertools.pairwise(starts)] == [timedelta(minutes=5)] * (len(starts) - 1)
