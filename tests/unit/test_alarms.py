"""The Alarms pane's data, without a server: alarms parsed from DescribeAlarms as AWS writes them (metric,
metric math, composite), what they watch, their text in short, the pane's order, the history read only
for the alarms that changed, an alarm's chart, the plans that mute, unmute and set a state, the mutes the
console keeps, and ``warroom snapshot alarms --json``."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from tests.alarms_aws import (
    INSTANCE,
    STREAM,
    TOPIC,
    FakeCloudWatch,
    FakeFactory,
    ago,
    arn,
    composite_alarm,
    cpu_series,
    history_entry,
    metric_alarm,
    scale_up_alarm,
    scale_up_series,
)
from tests.frozen import FROZEN
from tests.json_doc import check_document, json_of
from tui.aws.actions import alarms as plans
from tui.aws.actions.alarms import MuteBook
from tui.aws.alarms import DESCRIBE_ALARM_HISTORY, AlarmsPoller, AlarmsSnapshot
from tui.aws.alarms_model import (
    Alarm,
    Resource,
    history_item,
    resource_of,
    rule_children,
    short_text,
    sort_key,
)
from tui.aws.alarms_model import (
    composite_alarm as parse_composite,
)
from tui.aws.alarms_model import (
    metric_alarm as parse_metric,
)
from tui.aws.errors import AwsProblem, ErrorKind
from tui.aws.outcome import ApiError


def _poller(cloudwatch: FakeCloudWatch, clock: list[Any] | None = None) -> AlarmsPoller:
    moment = clock if clock is not None else [FROZEN]
    return AlarmsPoller(FakeFactory(cloudwatch), clock=lambda: moment[0])  # type: ignore[arg-type]


# -- parsing ----------------------------------------------------------------------------------------


def test_a_metric_alarm_is_read_with_everything_the_pane_shows() -> None:
    alarm = parse_metric(metric_alarm("payments-db CPU high", "ALARM"), "us-east-1")
    assert (alarm.name, alarm.arn, alarm.kind, alarm.state) == (
        "payments-db CPU high",
        arn("payments-db CPU high"),
        "metric",
        "ALARM",
    )
    assert alarm.state_updated_at == ago(90) and alarm.since == ago(90)
    assert alarm.actions_enabled is True and not alarm.muted
    assert alarm.metric is not None and alarm.metric.dimensions == (("InstanceId", INSTANCE),)
    assert (alarm.threshold, alarm.comparison, alarm.evaluation_periods, alarm.datapoints) == (
        80.0,
        "GreaterThanOrEqualToThreshold",
        3,
        2,
    )
    assert alarm.treat_missing_data == "missing"
    assert alarm.actions == (("ALARM", (TOPIC,)), ("OK", (TOPIC,)))
    assert alarm.resource == Resource("instance", INSTANCE)
    assert short_text(alarm) == f"AWS/EC2 CPUUtilization InstanceId={INSTANCE} Average 5m ≥ 80 2 of 3"
    assert alarm.expression is None


def test_a_metric_math_alarm_names_its_expression_and_the_stream_its_metrics_watch() -> None:
    alarm = parse_metric(scale_up_alarm(), "us-east-1")
    assert alarm.metric is None and [q.id for q in alarm.queries] == ["m1", "m2", "e1"]
    assert alarm.evaluated is not None and alarm.evaluated.id == "e1"
    assert alarm.expression == "MAX([m1/(1048576*PERIOD(m1)), m2/(1000*PERIOD(m2))])"
    assert alarm.period == 300
    assert alarm.resource == Resource("stream", STREAM)
    assert short_text(alarm) == f"{alarm.expression} 5m ≥ 0.75 5 of 5"


def test_a_composite_alarm_reads_its_rule_and_children() -> None:
    alarm = parse_composite(composite_alarm(), "us-east-1")
    assert alarm.kind == "composite" and alarm.metric is None and alarm.resource is None
    assert alarm.children == (
        ("ALARM", f"{STREAM} scale up"),
        ("ALARM", "payments-db CPU high"),
        ("OK", "quiet"),
    )
    assert short_text(alarm) == alarm.rule
    assert rule_children('NOT OK("a \\"b\\"") AND (INSUFFICIENT_DATA(c) OR TRUE)') == (
        ("OK", 'a "b"'),
        ("INSUFFICIENT_DATA", "c"),
    )


@pytest.mark.parametrize(
    ("dimensions", "resource"),
    [
        ((("VolumeId", "vol-1"),), Resource("volume", "vol-1")),
        (
            (("FunctionName", "ledger-writer"), ("Resource", "ledger-writer:live")),
            Resource("function", "ledger-writer"),
        ),
        ((("StreamName", "s"), ("ConsumerName", "c")), Resource("stream", "s")),
        ((("AutoScalingGroupName", "asg"),), None),
        ((), None),
    ],
)
def test_what_an_alarm_watches_comes_from_its_dimensions(
    dimensions: tuple[tuple[str, str], ...], resource: Resource | None
) -> None:
    assert resource_of(dimensions) == resource


def test_unknown_and_missing_values_stay_unknown() -> None:
    raw = {"AlarmName": "bare", "StateValue": "OK"}
    alarm = parse_metric(raw, "eu-west-1")
    assert alarm.actions_enabled is None and alarm.threshold is None and alarm.state_updated_at is None
    assert alarm.key == "eu-west-1:bare"
    assert short_text(alarm) == "? ?"


def test_a_history_entry_reads_its_states_and_reason_from_history_data() -> None:
    item = history_item(history_entry("x", ago(5), "OK", "ALARM", "Threshold Crossed: 2 datapoints"))
    assert item is not None and (item.old_state, item.new_state, item.at) == ("OK", "ALARM", ago(5))
    assert item.reason == "Threshold Crossed: 2 datapoints"
    # Without HistoryData, the summary AWS writes says the same.
    bare = history_item(
        {
            "Timestamp": ago(1),
            "HistoryItemType": "StateUpdate",
            "HistorySummary": "Alarm updated from ALARM to OK",
        }
    )
    assert bare is not None and (bare.old_state, bare.new_state) == ("ALARM", "OK")
    assert history_item({"HistorySummary": "no time"}) is None


def test_alarm_first_then_insufficient_then_ok_most_recent_change_first() -> None:
    def make(name: str, state: str, minutes: float) -> Alarm:
        return parse_metric(metric_alarm(name, state, updated=ago(minutes)), "us-east-1")

    alarms = [
        make("ok-old", "OK", 50),
        make("alarm-old", "ALARM", 40),
        make("ok-new", "OK", 1),
        make("insufficient", "INSUFFICIENT_DATA", 30),
        make("alarm-new", "ALARM", 2),
    ]
    assert [a.name for a in sorted(alarms, key=sort_key)] == [
        "alarm-new",
        "alarm-old",
        "insufficient",
        "ok-new",
        "ok-old",
    ]


# -- the poller -------------------------------------------------------------------------------------


async def test_every_page_of_both_types_is_read() -> None:
    cloudwatch = FakeCloudWatch(
        metric_alarms=[metric_alarm(f"cpu-{n:03d}") for n in range(5)] + [scale_up_alarm()],
        composite_alarms=[composite_alarm()],
        page_size=3,
    )
    snap = await _poller(cloudwatch).poll()
    assert len(snap.alarms) == 7 and not snap.errors
    asked = cloudwatch.made("DescribeAlarms")
    assert len(asked) == 3 and [p.get("NextToken") for p in asked] == [None, "3", "6"]
    assert all(p["AlarmTypes"] == ["MetricAlarm", "CompositeAlarm"] and p["MaxRecords"] == 100 for p in asked)
    assert [a.name for a in snap.alarms[:2]] == ["payments degraded", f"{STREAM} scale up"]


async def test_history_is_read_only_for_alarms_whose_state_changed_and_only_since_then() -> None:
    name = "payments-db CPU high"
    cloudwatch = FakeCloudWatch(
        metric_alarms=[metric_alarm(name, "OK", updated=ago(90)), metric_alarm("quiet")]
    )
    clock = [FROZEN]
    poller = _poller(cloudwatch, clock)
    first = await poller.poll()
    # The first poll is the baseline: no alarm's history is read.
    assert first.history_reads == 0 and not cloudwatch.made("DescribeAlarmHistory")

    # Between two polls the alarm went to ALARM and back (OK -> ALARM -> OK): its state is the same, its
    # StateUpdatedTimestamp moved, and its history says what happened.
    cloudwatch.history[name] = [
        history_entry(name, ago(120), "INSUFFICIENT_DATA", "OK", "old"),
        history_entry(name, ago(4), "OK", "ALARM", "Threshold Crossed: 2 out of 3"),
        history_entry(name, ago(1), "ALARM", "OK", "Threshold Crossed: back"),
    ]
    cloudwatch.metric_alarms[0] = metric_alarm(name, "OK", updated=ago(1))
    clock[0] = FROZEN + timedelta(minutes=1)
    second = await poller.poll()
    asked = cloudwatch.made("DescribeAlarmHistory")
    assert [p["AlarmName"] for p in asked] == [name] and second.history_reads == 1
    assert asked[0]["StartDate"] == ago(90) and asked[0]["ScanBy"] == "TimestampDescending"
    alarm = next(a for a in second.alarms if a.name == name)
    assert [(h.old_state, h.new_state) for h in alarm.history] == [("ALARM", "OK"), ("OK", "ALARM")]

    # Nothing changed: no history call, the history read so far stays with the alarm.
    third = await poller.poll()
    assert len(cloudwatch.made("DescribeAlarmHistory")) == 1 and third.history_reads == 0
    assert next(a for a in third.alarms if a.name == name).history == alarm.history


async def test_a_failed_history_call_is_reported_and_tried_again_from_the_same_moment() -> None:
    name = "payments-db CPU high"
    cloudwatch = FakeCloudWatch(metric_alarms=[metric_alarm(name, "OK", updated=ago(90))])
    poller = _poller(cloudwatch)
    await poller.poll()
    cloudwatch.metric_alarms[0] = metric_alarm(name, "ALARM", updated=ago(2))
    cloudwatch.fail["DescribeAlarmHistory"] = RuntimeError("connection reset")
    failed = await poller.poll()
    assert failed.alarms[0].state == "ALARM" and failed.error is None
    assert [e.api for e in failed.errors] == [DESCRIBE_ALARM_HISTORY]
    del cloudwatch.fail["DescribeAlarmHistory"]
    cloudwatch.history[name] = [history_entry(name, ago(2), "OK", "ALARM", "crossed")]
    again = await poller.poll()
    starts = [p["StartDate"] for p in cloudwatch.made("DescribeAlarmHistory")]
    assert starts == [ago(90), ago(90)] and not again.errors
    assert [h.new_state for h in again.alarms[0].history] == ["ALARM"]


async def test_a_region_that_cannot_list_its_alarms_says_so() -> None:
    cloudwatch = FakeCloudWatch(fail={"DescribeAlarms": RuntimeError("boom")})
    snap = await _poller(cloudwatch).poll()
    assert snap.alarms == () and snap.error is not None
    assert [e.api for e in snap.errors] == ["cloudwatch:DescribeAlarms"]


async def test_the_chart_reads_each_metric_and_the_expression_and_marks_the_breaches() -> None:
    cloudwatch = FakeCloudWatch(metric_alarms=[scale_up_alarm()], series=scale_up_series())
    poller = _poller(cloudwatch)
    snap = await poller.poll()
    detail = await poller.detail(snap.alarms[0])
    (params,) = cloudwatch.made("GetMetricData")
    assert [(q["Id"], q["ReturnData"]) for q in params["MetricDataQueries"]] == [
        ("m1", True),
        ("m2", True),
        ("e1", True),
    ]
    assert params["EndTime"] == FROZEN and params["StartTime"] <= FROZEN - timedelta(hours=3)
    assert params["StartTime"].timestamp() % 300 == 0
    assert [(s.id, s.evaluated) for s in detail.series] == [("m1", False), ("m2", False), ("e1", True)]
    evaluated = detail.series[2]
    assert len(evaluated.points) == 36 and evaluated.points == tuple(sorted(evaluated.points))
    # The last five periods are at 1.1, and so is every point from 0.75 up.
    assert len(detail.breaching) >= 5
    assert all(v >= 0.75 for ts, v in evaluated.points if ts in set(detail.breaching))
    assert {ts for ts, v in evaluated.points if v >= 0.75} == set(detail.breaching)


async def test_an_expression_cloudwatch_refuses_leaves_the_metrics_charted_and_says_why() -> None:
    cloudwatch = FakeCloudWatch(
        metric_alarms=[scale_up_alarm()], series=scale_up_series(), reject_expressions=True
    )
    poller = _poller(cloudwatch)
    detail = await poller.detail((await poller.poll()).alarms[0])
    assert [len(q["MetricDataQueries"]) for q in cloudwatch.made("GetMetricData")] == [3, 2]
    assert [len(s.points) > 0 for s in detail.series] == [True, True, False]
    assert any("the expression could not be computed" in p and "MAX" in p for p in detail.problems)
    assert detail.breaching == ()


async def test_an_alarms_whole_history_is_read_once_when_its_view_opens() -> None:
    name = "payments-db CPU high"
    cloudwatch = FakeCloudWatch(
        metric_alarms=[metric_alarm(name, "ALARM", updated=ago(3))],
        history={
            name: [
                history_entry(name, ago(3), "OK", "ALARM", "crossed"),
                history_entry(name, ago(60), "ALARM", "OK", "fine"),
            ]
        },
        series=cpu_series(),
    )
    poller = _poller(cloudwatch)
    alarm = (await poller.poll()).alarms[0]
    first = await poller.detail(alarm)
    again = await poller.detail(alarm)
    assert [h.new_state for h in first.history] == ["ALARM", "OK"] and again.history == first.history
    (asked,) = cloudwatch.made("DescribeAlarmHistory")
    assert "StartDate" not in asked
    assert [(s.id, s.evaluated) for s in first.series] == [("m1", True)]
    assert len(first.breaching) == 3


async def test_a_composite_alarm_has_no_chart() -> None:
    cloudwatch = FakeCloudWatch(composite_alarms=[composite_alarm()])
    poller = _poller(cloudwatch)
    detail = await poller.detail((await poller.poll()).alarms[0])
    assert detail.series == () and not cloudwatch.made("GetMetricData")


# -- plans and mutes --------------------------------------------------------------------------------


def _alarm(name: str, *, region: str = "us-east-1", enabled: bool = True, state: str = "OK") -> Alarm:
    return parse_metric(metric_alarm(name, state, ActionsEnabled=enabled, AlarmArn=arn(name, region)), region)


def test_a_mute_needs_a_reason_and_a_duration_and_mutes_only_what_is_not_muted() -> None:
    alarms = [_alarm("a"), _alarm("b", enabled=False), _alarm("c", region="eu-west-1")]
    assert plans.mute_plan(alarms, "", "30m").refusal.startswith("a reason is required")
    assert "not a duration" in plans.mute_plan(alarms, "GD-12", "soon").refusal
    assert "longer than the 24h" in plans.mute_plan(alarms, "GD-12", "25h").refusal
    assert "already disabled" in plans.mute_plan([alarms[1]], "GD-12", "30m").refusal
    plan = plans.mute_plan(alarms, " GD-12 rehearsal ", "1h30m")
    assert not plan.refusal and plan.title == "Mute 2 alarms for 1h30m: GD-12 rehearsal"
    assert [(c.operation, c.region, c.params["AlarmNames"]) for c in plan.calls] == [
        ("DisableAlarmActions", "us-east-1", ["a"]),
        ("DisableAlarmActions", "eu-west-1", ["c"]),
    ]
    assert any("Already muted, left as they are: b." in n for n in plan.notes)


def test_a_mute_of_many_alarms_calls_once_per_hundred_names() -> None:
    plan = plans.mute_plan([_alarm(f"a{n}") for n in range(205)], "load test", "2h")
    assert [len(c.params["AlarmNames"]) for c in plan.calls] == [100, 100, 5]


def test_unmute_turns_on_only_muted_alarms_and_says_a_firing_one_sends_nothing() -> None:
    firing = _alarm("x", enabled=False, state="ALARM")
    plan = plans.unmute_plan([firing, _alarm("y")])
    assert [c.params["AlarmNames"] for c in plan.calls] == [["x"]] and plan.calls[
        0
    ].operation == "EnableAlarmActions"
    assert any("Unmuting sends nothing" in n for n in plan.notes)
    assert "enabled already" in plans.unmute_plan([_alarm("y")]).refusal


def test_set_state_takes_one_of_the_three_states_and_a_reason() -> None:
    alarm = _alarm("x")
    plan = plans.set_state_plan(alarm, "alarm", "GD-12: prove the pager")
    assert not plan.refusal
    (call,) = plan.calls
    assert (call.operation, dict(call.params)) == (
        "SetAlarmState",
        {"AlarmName": "x", "StateValue": "ALARM", "StateReason": "GD-12: prove the pager"},
    )
    assert any("next evaluation" in n for n in plan.notes)
    assert "not a state" in plans.set_state_plan(alarm, "RED", "why").refusal
    assert "reason is required" in plans.set_state_plan(alarm, "OK", " ").refusal


def test_the_mute_book_reminds_offers_once_and_forgets_what_was_undone_elsewhere() -> None:
    book = MuteBook()
    a, b = _alarm("a"), _alarm("b")
    book.add([a], "rehearsal", 1800, FROZEN)
    book.add([b], "rehearsal", 600, FROZEN)
    assert book.reminder(FROZEN + timedelta(minutes=1)) == "⊘ 2 alarms muted 09:00 left"
    later = FROZEN + timedelta(minutes=12)
    assert [m.name for m in book.due(later)] == ["b"]
    book.offered([b.key])
    assert book.due(later) == () and book.reminder(later) == "⊘ 2 alarms muted 02:00 over"
    # A poll from before the mutes proves nothing; one after them shows b unmuted by someone else.
    assert book.reconcile([replace(a, actions_enabled=True)], FROZEN - timedelta(seconds=1)) == []
    gone = book.reconcile([replace(a, actions_enabled=False), replace(b, actions_enabled=True)], later)
    assert [m.name for m in gone] == ["b"] and len(book) == 1
    # An alarm no longer listed is gone, unless its region failed to list its alarms.
    assert book.reconcile([], later, failed_regions=["us-east-1"]) == []
    assert [m.name for m in book.reconcile([], later)] == ["a"] and book.reminder(later) == ""


# -- the JSON document ------------------------------------------------------------------------------


def test_snapshot_alarms_json_has_the_documented_shape() -> None:
    alarms = tuple(
        sorted(
            (
                parse_metric(metric_alarm("cpu", "ALARM"), "us-east-1"),
                parse_metric(scale_up_alarm(), "us-east-1"),
                parse_composite(composite_alarm(), "us-east-1"),
            ),
            key=sort_key,
        )
    )
    failed = ApiError("us-east-1", DESCRIBE_ALARM_HISTORY, "throttled", "backing off")
    doc = json_of(
        AlarmsSnapshot(
            fetched_at=FROZEN,
            alarms=alarms,
            errors=(failed,),
            error=AwsProblem(ErrorKind.NETWORK, "down", "", "", "DescribeAlarms"),
        )
    )
    assert check_document("alarms", doc) == len(alarms)
    by_name = {a["name"]: a for a in doc["alarms"]}
    cpu = by_name["cpu"]
    assert (
        cpu["type"] == "metric"
        and cpu["expression"] is None
        and cpu["resource"] == {"kind": "instance", "id": INSTANCE}
    )
    assert cpu["metric"] == {
        "namespace": "AWS/EC2",
        "name": "CPUUtilization",
        "dimensions": {"InstanceId": INSTANCE},
        "stat": "Average",
        "period": 300,
        "unit": None,
    }
    assert cpu["state_updated_at"] == "2026-11-26T01:30:00Z" and cpu["datapoints_to_alarm"] == 2
    scale = by_name[f"{STREAM} scale up"]
    assert scale["metric"] is None and scale["expression"].startswith("MAX(") and scale["threshold"] == 0.75
    composite = by_name["payments degraded"]
    assert (
        composite["type"] == "composite" and composite["resource"] is None and composite["threshold"] is None
    )
    assert doc["errors"][0]["api"] == DESCRIBE_ALARM_HISTORY and doc["errors"][-1] == {
        "api": "DescribeAlarms",
        "message": "down",
    }


async def test_a_history_call_that_keeps_failing_is_given_up_after_a_few_polls() -> None:
    name = "payments-db CPU high"
    cloudwatch = FakeCloudWatch(metric_alarms=[metric_alarm(name, "OK", updated=ago(90))])
    poller = _poller(cloudwatch)
    await poller.poll()
    cloudwatch.metric_alarms[0] = metric_alarm(name, "ALARM", updated=ago(2))
    cloudwatch.fail["DescribeAlarmHistory"] = RuntimeError("not implemented")
    for _ in range(5):
        await poller.poll()
    # Three polls asked (from the same moment); then its gap was given up, and nothing changed since.
    assert [p["StartDate"] for p in cloudwatch.made("DescribeAlarmHistory")] == [ago(90)] * 3
    cloudwatch.metric_alarms[0] = metric_alarm(name, "OK", updated=ago(1))
    await poller.poll()
    assert cloudwatch.made("DescribeAlarmHistory")[-1]["StartDate"] == ago(2)
