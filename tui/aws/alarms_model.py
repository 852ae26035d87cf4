"""CloudWatch alarms as the Alarms pane reads them: the model, parsing AWS's answers, and the pure
rules the pane, the journal and ``warroom snapshot alarms`` share (no I/O here).

An ``Alarm`` is one metric or composite alarm as DescribeAlarms returns it: its state, why and since
when, whether its actions are enabled, what it watches (one metric, or a metric-math expression with
its ``MetricDataQuery`` list), its threshold and how it is evaluated (comparison, M of N periods,
missing data), its actions by state, a composite's rule and children, and the resource it watches
(from its dimensions: ``InstanceId`` an instance, ``StreamName`` a stream, ``VolumeId`` a volume,
``FunctionName`` a function). ``history`` holds the state history read so far, newest first.

Text from AWS is kept as AWS wrote it; the widgets clean it when they draw it.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from tui.common.timefmt import compact_duration_text, instant

METRIC = "metric"
COMPOSITE = "composite"
KINDS = (METRIC, COMPOSITE)

ALARM = "ALARM"
INSUFFICIENT_DATA = "INSUFFICIENT_DATA"
OK = "OK"
STATES = (ALARM, INSUFFICIENT_DATA, OK)
"""In the order the pane lists them: what fires first."""
STATE_ORDER = {state: n for n, state in enumerate(STATES)}

STATE_SYMBOL = {ALARM: "✖", INSUFFICIENT_DATA: "?", OK: "✓"}
"""Each state's symbol, so a state reads the same without colour."""
STATE_WORD = {ALARM: "ALARM", INSUFFICIENT_DATA: "INSUFFICIENT", OK: "OK"}
STATE_SHORT = {ALARM: "ALARM", INSUFFICIENT_DATA: "INSUF", OK: "OK"}

COMPARISON_SIGN = {
    "GreaterThanOrEqualToThreshold": "≥",
    "GreaterThanThreshold": ">",
    "LessThanThreshold": "<",
    "LessThanOrEqualToThreshold": "≤",
    "LessThanLowerOrGreaterThanUpperThreshold": "outside the band",
    "LessThanLowerThreshold": "below the band",
    "GreaterThanUpperThreshold": "above the band",
}
BAND_COMPARISONS = frozenset(
    {"LessThanLowerOrGreaterThanUpperThreshold", "LessThanLowerThreshold", "GreaterThanUpperThreshold"}
)

RESOURCE_DIMENSIONS: tuple[tuple[str, str], ...] = (
    ("InstanceId", "instance"),
    ("StreamName", "stream"),
    ("VolumeId", "volume"),
    ("FunctionName", "function"),
)
"""The dimension that names what an alarm watches, and the kind of resource it is, in the order
they are looked for."""

STATE_UPDATE = "StateUpdate"


# ---------------------------------------------------------------------------------------------
# Model
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MetricSpec:
    """One metric and how it is aggregated (a MetricStat, or a metric alarm's own fields)."""

    namespace: str
    name: str
    dimensions: tuple[tuple[str, str], ...] = ()
    stat: str = ""
    period: int | None = None
    unit: str = ""

    def to_api(self) -> dict[str, Any]:
        """The ``MetricStat`` of a GetMetricData query for this metric."""
        stat: dict[str, Any] = {
            "Metric": {
                "Namespace": self.namespace,
                "MetricName": self.name,
                "Dimensions": [{"Name": n, "Value": v} for n, v in self.dimensions],
            },
            "Period": self.period or 60,
            "Stat": self.stat or "Average",
        }
        if self.unit:
            stat["Unit"] = self.unit
        return stat


@dataclass(frozen=True)
class Query:
    """One ``MetricDataQuery`` of a metric-math alarm: a metric or an expression over the others."""

    id: str
    metric: MetricSpec | None = None
    expression: str = ""
    label: str = ""
    return_data: bool = False
    """The query whose result the alarm compares with its threshold (exactly one has it)."""
    period: int | None = None
    account_id: str = ""

    @property
    def effective_period(self) -> int | None:
        if self.period:
            return self.period
        return self.metric.period if self.metric is not None else None


@dataclass(frozen=True)
class Resource:
    """What an alarm watches, when its dimensions name it: ``kind`` is instance, stream, volume or
    function."""

    kind: str
    id: str


@dataclass(frozen=True)
class HistoryItem:
    """One entry of DescribeAlarmHistory: a state change (with its old and new state and reason), a
    configuration update or an action."""

    at: datetime
    kind: str
    summary: str
    old_state: str = ""
    new_state: str = ""
    reason: str = ""

    @property
    def identity(self) -> tuple[float, str, str]:
        return (self.at.timestamp(), self.kind, self.summary)


@dataclass(frozen=True)
class Alarm:
    """One metric or composite alarm."""

    region: str
    name: str
    arn: str
    kind: str
    """``metric`` or ``composite``."""
    state: str
    state_reason: str
    state_updated_at: datetime | None
    """When its state or evaluation last changed (StateUpdatedTimestamp): what the poller compares
    to know whether its history can hold anything new."""
    actions_enabled: bool | None
    state_transitioned_at: datetime | None = None
    """When its state last changed value (StateTransitionedTimestamp); None when AWS did not say."""
    description: str = ""
    metric: MetricSpec | None = None
    """A metric alarm's single metric; None for a metric-math alarm (see ``queries``)."""
    queries: tuple[Query, ...] = ()
    threshold: float | None = None
    threshold_metric_id: str = ""
    comparison: str = ""
    evaluation_periods: int | None = None
    datapoints_to_alarm: int | None = None
    treat_missing_data: str = ""
    alarm_actions: tuple[str, ...] = ()
    ok_actions: tuple[str, ...] = ()
    insufficient_data_actions: tuple[str, ...] = ()
    rule: str = ""
    """A composite alarm's rule."""
    children: tuple[tuple[str, str], ...] = ()
    """A composite alarm's children as its rule names them: (state the rule tests, alarm name)."""
    actions_suppressor: str = ""
    resource: Resource | None = None
    config_updated_at: datetime | None = None
    history: tuple[HistoryItem, ...] = ()
    """The history read so far, newest first."""

    @property
    def key(self) -> str:
        return self.arn or f"{self.region}:{self.name}"

    @property
    def account_id(self) -> str:
        """The account the alarm is in, from its ARN ("" when it has none)."""
        parts = self.arn.split(":")
        return parts[4] if len(parts) > 5 and parts[0] == "arn" else ""

    @property
    def since(self) -> datetime | None:
        """When it entered its current state."""
        return self.state_transitioned_at or self.state_updated_at

    @property
    def muted(self) -> bool:
        """Its actions are disabled: it still evaluates, and notifies nobody."""
        return self.actions_enabled is False

    @property
    def evaluated(self) -> Query | None:
        """The query of a metric-math alarm whose result is compared with the threshold."""
        returned = [q for q in self.queries if q.return_data]
        if returned:
            return returned[0]
        expressions = [q for q in self.queries if q.expression]
        return expressions[-1] if expressions else None

    @property
    def expression(self) -> str | None:
        """The metric-math expression the alarm evaluates, or None."""
        query = self.evaluated
        return query.expression if query is not None and query.expression else None

    @property
    def period(self) -> int | None:
        if self.metric is not None:
            return self.metric.period
        query = self.evaluated
        if query is None:
            return None
        if query.effective_period:
            return query.effective_period
        periods = [q.effective_period for q in self.queries if q.effective_period]
        return max(periods) if periods else None

    @property
    def datapoints(self) -> int | None:
        """M of "M of N": the breaching periods that put it in ALARM."""
        return self.datapoints_to_alarm or self.evaluation_periods

    @property
    def actions(self) -> tuple[tuple[str, tuple[str, ...]], ...]:
        """Its actions per state, the states that have some."""
        found = (
            (ALARM, self.alarm_actions),
            (OK, self.ok_actions),
            (INSUFFICIENT_DATA, self.insufficient_data_actions),
        )
        return tuple((state, arns) for state, arns in found if arns)

    def with_history(self, history: tuple[HistoryItem, ...]) -> Alarm:
        return replace(self, history=history)


# ---------------------------------------------------------------------------------------------
# Parsing AWS's answers
# ---------------------------------------------------------------------------------------------


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _int(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return int(value)


def _float(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _dimensions(raw: Any) -> tuple[tuple[str, str], ...]:
    out: list[tuple[str, str]] = []
    for item in raw if isinstance(raw, list | tuple) else ():
        if isinstance(item, Mapping):
            name, value = _text(item.get("Name")), _text(item.get("Value"))
            if name:
                out.append((name, value))
    return tuple(out)


def _arns(raw: Any) -> tuple[str, ...]:
    return tuple(a for a in (raw if isinstance(raw, list | tuple) else ()) if isinstance(a, str) and a)


def _query(raw: Mapping[str, Any]) -> Query:
    stat = raw.get("MetricStat")
    metric: MetricSpec | None = None
    if isinstance(stat, Mapping):
        inner = stat.get("Metric") if isinstance(stat.get("Metric"), Mapping) else {}
        assert isinstance(inner, Mapping)
        metric = MetricSpec(
            namespace=_text(inner.get("Namespace")),
            name=_text(inner.get("MetricName")),
            dimensions=_dimensions(inner.get("Dimensions")),
            stat=_text(stat.get("Stat")),
            period=_int(stat.get("Period")),
            unit=_text(stat.get("Unit")),
        )
    returned = raw.get("ReturnData")
    return Query(
        id=_text(raw.get("Id")),
        metric=metric,
        expression=_text(raw.get("Expression")),
        label=_text(raw.get("Label")),
        # AWS's default is true; an alarm's list has exactly one query that returns data.
        return_data=returned if isinstance(returned, bool) else True,
        period=_int(raw.get("Period")),
        account_id=_text(raw.get("AccountId")),
    )


def resource_of(dimensions: Iterable[tuple[str, str]]) -> Resource | None:
    """The resource a set of dimensions names (the first of ``RESOURCE_DIMENSIONS`` present)."""
    given = {name: value for name, value in dimensions if value}
    for dimension, kind in RESOURCE_DIMENSIONS:
        if dimension in given:
            return Resource(kind, given[dimension])
    return None


def _watched(metric: MetricSpec | None, queries: Sequence[Query]) -> Resource | None:
    dims: list[tuple[str, str]] = list(metric.dimensions) if metric is not None else []
    for query in queries:
        if query.metric is not None:
            dims.extend(query.metric.dimensions)
    return resource_of(dims)


_RULE_TERM = re.compile(
    r"\b(ALARM|OK|INSUFFICIENT_DATA)\s*\(\s*(\"(?:[^\"\\]|\\.)*\"|'(?:[^'\\]|\\.)*'|[^()\s]+)\s*\)"
)


def rule_children(rule: str) -> tuple[tuple[str, str], ...]:
    """The alarms a composite rule tests, with the state it tests each for, in rule order, once
    each: ``ALARM("cpu-high") OR OK(arn:...:alarm:disk)`` -> (("ALARM", "cpu-high"), ("OK", "disk"))."""
    found: dict[tuple[str, str], None] = {}
    for state, raw in _RULE_TERM.findall(rule or ""):
        name = raw
        if name[:1] in "\"'" and name[-1:] == name[:1]:
            name = name[1:-1].replace(f"\\{name[:1]}", name[:1])
        if ":alarm:" in name:
            name = name.split(":alarm:", 1)[1]
        if name:
            found[(state, name)] = None
    return tuple(found)


def _state(value: Any) -> str:
    text = _text(value)
    return text if text in STATES else (text or INSUFFICIENT_DATA)


def metric_alarm(raw: Mapping[str, Any], region: str) -> Alarm:
    """An ``Alarm`` from one entry of DescribeAlarms' ``MetricAlarms``."""
    queries = tuple(_query(q) for q in raw.get("Metrics") or () if isinstance(q, Mapping))
    metric: MetricSpec | None = None
    if _text(raw.get("MetricName")):
        metric = MetricSpec(
            namespace=_text(raw.get("Namespace")),
            name=_text(raw.get("MetricName")),
            dimensions=_dimensions(raw.get("Dimensions")),
            stat=_text(raw.get("Statistic")) or _text(raw.get("ExtendedStatistic")),
            period=_int(raw.get("Period")),
            unit=_text(raw.get("Unit")),
        )
    return Alarm(
        kind=METRIC,
        **_common(raw, region),
        metric=metric,
        queries=queries,
        threshold=_float(raw.get("Threshold")),
        threshold_metric_id=_text(raw.get("ThresholdMetricId")),
        comparison=_text(raw.get("ComparisonOperator")),
        evaluation_periods=_int(raw.get("EvaluationPeriods")),
        datapoints_to_alarm=_int(raw.get("DatapointsToAlarm")),
        treat_missing_data=_text(raw.get("TreatMissingData")),
        resource=_watched(metric, queries),
        config_updated_at=instant(raw.get("AlarmConfigurationUpdatedTimestamp")),
    )


def _common(raw: Mapping[str, Any], region: str) -> dict[str, Any]:
    """What DescribeAlarms says alike of metric and composite alarms: name, state, actions."""
    enabled = raw.get("ActionsEnabled")
    return {
        "region": region,
        "name": _text(raw.get("AlarmName")),
        "arn": _text(raw.get("AlarmArn")),
        "state": _state(raw.get("StateValue")),
        "state_reason": _text(raw.get("StateReason")),
        "state_updated_at": instant(raw.get("StateUpdatedTimestamp")),
        "state_transitioned_at": instant(raw.get("StateTransitionedTimestamp")),
        "actions_enabled": enabled if isinstance(enabled, bool) else None,
        "description": _text(raw.get("AlarmDescription")),
        "alarm_actions": _arns(raw.get("AlarmActions")),
        "ok_actions": _arns(raw.get("OKActions")),
        "insufficient_data_actions": _arns(raw.get("InsufficientDataActions")),
    }


def composite_alarm(raw: Mapping[str, Any], region: str) -> Alarm:
    """An ``Alarm`` from one entry of DescribeAlarms' ``CompositeAlarms``."""
    rule = _text(raw.get("AlarmRule"))
    return Alarm(
        kind=COMPOSITE,
        **_common(raw, region),
        rule=rule,
        children=rule_children(rule),
        actions_suppressor=_text(raw.get("ActionsSuppressor")),
        config_updated_at=instant(raw.get("AlarmConfigurationUpdatedTimestamp")),
    )


def history_item(raw: Mapping[str, Any]) -> HistoryItem | None:
    """A ``HistoryItem`` from one of DescribeAlarmHistory's ``AlarmHistoryItems``; its HistoryData
    (JSON text) gives a state change's old and new state and reason. None without a timestamp."""
    at = instant(raw.get("Timestamp"))
    if at is None:
        return None
    kind = _text(raw.get("HistoryItemType"))
    summary = _text(raw.get("HistorySummary"))
    old = new = reason = ""
    data: Any = None
    try:
        data = json.loads(_text(raw.get("HistoryData")) or "null")
    except ValueError:
        data = None
    if isinstance(data, Mapping):
        before, after = data.get("oldState"), data.get("newState")
        if isinstance(before, Mapping):
            old = _text(before.get("stateValue"))
        if isinstance(after, Mapping):
            new = _text(after.get("stateValue"))
            reason = _text(after.get("stateReason"))
    if kind == STATE_UPDATE and not new:
        # "Alarm updated from OK to ALARM": what HistorySummary says when HistoryData does not.
        words = re.match(r"Alarm updated from (\w+) to (\w+)", summary)
        if words:
            old, new = words.group(1), words.group(2)
    return HistoryItem(at, kind, summary, old, new, reason)


def merge_history(
    newer: Iterable[HistoryItem], older: Iterable[HistoryItem], limit: int
) -> tuple[HistoryItem, ...]:
    """Both lists as one, newest first, each entry once, at most ``limit`` of them."""
    seen: set[tuple[float, str, str]] = set()
    out: list[HistoryItem] = []
    for item in sorted([*newer, *older], key=lambda h: h.at, reverse=True):
        if item.identity in seen:
            continue
        seen.add(item.identity)
        out.append(item)
    return tuple(out[:limit])


def transitions_since(alarm: Alarm, after: datetime | None) -> list[HistoryItem]:
    """The alarm's state changes after ``after`` (every one when None), oldest first."""
    return sorted(
        (
            h
            for h in alarm.history
            if h.kind == STATE_UPDATE and h.new_state and (after is None or h.at > after)
        ),
        key=lambda h: h.at,
    )


# ---------------------------------------------------------------------------------------------
# The pane's rules
# ---------------------------------------------------------------------------------------------


def sort_key(alarm: Alarm) -> tuple[int, float, str, str]:
    """ALARM first, then INSUFFICIENT_DATA, then OK; the most recent change first; then by name."""
    since = alarm.since
    return (
        STATE_ORDER.get(alarm.state, len(STATES)),
        -since.timestamp() if since is not None else math.inf,
        alarm.name.lower(),
        alarm.region,
    )


def number_text(value: float | None) -> str:
    """A threshold or a datapoint as people write it: 80, 0.75, 1.5e+06; "?" when unknown."""
    if value is None:
        return "?"
    return f"{value:g}"


def period_text(seconds: int | None) -> str:
    return compact_duration_text(seconds) if seconds else "?"


def dimensions_text(dimensions: Sequence[tuple[str, str]]) -> str:
    return ",".join(f"{name}={value}" for name, value in dimensions)


def metric_text(metric: MetricSpec) -> str:
    """``AWS/EC2 CPUUtilization InstanceId=i-1 Average 5m``."""
    parts = [metric.namespace, metric.name, dimensions_text(metric.dimensions), metric.stat]
    parts.append(period_text(metric.period))
    return " ".join(p for p in parts if p)


def condition_text(alarm: Alarm) -> str:
    """``≥ 80 2 of 3``: the comparison, the threshold and M of N."""
    sign = COMPARISON_SIGN.get(alarm.comparison, alarm.comparison or "?")
    if alarm.comparison in BAND_COMPARISONS:
        line = f"{sign} {alarm.threshold_metric_id}" if alarm.threshold_metric_id else sign
    else:
        line = f"{sign} {number_text(alarm.threshold)}"
    n = alarm.evaluation_periods
    m = alarm.datapoints
    if n is not None:
        line += f" {m if m is not None else n} of {n}"
    return line


def short_text(alarm: Alarm) -> str:
    """The metric or expression in short, with the condition: ``AWS/EC2 CPUUtilization
    InstanceId=i-1 Average 5m ≥ 80 2 of 3``; a composite's rule."""
    if alarm.kind == COMPOSITE:
        return alarm.rule or "(no rule)"
    if alarm.metric is not None:
        return f"{metric_text(alarm.metric)} {condition_text(alarm)}"
    expression = alarm.expression
    if expression is not None:
        return f"{expression} {period_text(alarm.period)} {condition_text(alarm)}"
    query = alarm.evaluated
    if query is not None and query.metric is not None:
        return f"{metric_text(query.metric)} {condition_text(alarm)}"
    return condition_text(alarm)


def query_text(query: Query) -> str:
    """One query of a metric-math alarm: ``m1 = AWS/Kinesis IncomingBytes StreamName=s Sum 5m``."""
    if query.metric is not None:
        body = metric_text(query.metric)
    else:
        body = query.expression
        if query.period:
            body += f" ({period_text(query.period)})"
    label = f" [{query.label}]" if query.label else ""
    return f"{query.id} = {body}{label}"


def resource_text(resource: Resource | None) -> str:
    return f"{resource.kind} {resource.id}" if resource is not None else ""


def breaches(value: float, comparison: str, threshold: float | None) -> bool | None:
    """Whether ``value`` is on the alarm's side of its threshold; None when that cannot be told
    from a threshold alone (an anomaly band, or no threshold)."""
    if threshold is None or comparison in BAND_COMPARISONS:
        return None
    if comparison == "GreaterThanOrEqualToThreshold":
        return value >= threshold
    if comparison == "GreaterThanThreshold":
        return value > threshold
    if comparison == "LessThanThreshold":
        return value < threshold
    if comparison == "LessThanOrEqualToThreshold":
        return value <= threshold
    return None


def search_text(alarm: Alarm) -> str:
    """What the filter looks in: name, state, metric or expression, resource, reason, region."""
    return " ".join(
        (
            alarm.name,
            alarm.state,
            alarm.kind,
            short_text(alarm),
            resource_text(alarm.resource),
            alarm.state_reason,
            alarm.region,
            "muted" if alarm.muted else "",
            alarm.description,
        )
    ).lower()
