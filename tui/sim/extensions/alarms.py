"""CloudWatch alarms that evaluate the simulator's metrics as CloudWatch evaluates them.

moto 5.2 stores metric alarms but never evaluates them, keeps no alarm history and has no
composite alarms. ``install()`` replaces moto's alarm actions with ones answered from an alarm book
per (account, region) backend (``AlarmBook``), and ``evaluate_all(now)`` evaluates every alarm of
the process against the metric index of ``tui.sim.extensions.cloudwatch``; the workload calls it
once a minute, after writing the minute's datapoints (``tui.sim.workload.Workload.tick``).

The API, as CloudWatch answers it (checked through boto3 in tests/sim/test_ext_alarms.py):

* PutMetricAlarm: one metric (Statistic or a percentile ExtendedStatistic) or metric math
  (``Metrics``: MetricStat queries of one Period and expressions, exactly one returning data);
  validated as CloudWatch validates it. A new alarm starts in INSUFFICIENT_DATA ("Unchecked:
  Initial alarm creation") and is evaluated at the next evaluation; an update keeps the state.
  Anomaly detection bands (the Lower/Upper comparisons) are refused: the simulator has no model.
* PutCompositeAlarm: an ``AlarmRule`` over ALARM(), OK(), INSUFFICIENT_DATA(), TRUE, FALSE, AND,
  OR, NOT and parentheses, naming alarms that exist (by name or ARN); evaluated at once and again
  whenever a child changes state.
* DescribeAlarms: AlarmNames or AlarmNamePrefix, StateValue, ActionPrefix, AlarmTypes (metric
  alarms only when omitted), ChildrenOfAlarmName, ParentsOfAlarmName; alarms in name order,
  MaxRecords (1..100, 50 by default) and NextToken.
* DescribeAlarmHistory: AlarmName, AlarmTypes (metric alarms only when omitted), HistoryItemType,
  StartDate/EndDate, ScanBy (newest first by default), MaxRecords (100 by default) and NextToken.
  History outlives a deleted alarm; items older than two weeks are dropped.
* DescribeAlarmsForMetric, DeleteAlarms, DisableAlarmActions, EnableAlarmActions, SetAlarmState.

Evaluation, as CloudWatch documents it ("How alarm state is evaluated when data is missing"): at
``now`` the alarm reads the ``EvaluationPeriods + 2`` periods that end at the start of the current
minute (the evaluation range). With at least EvaluationPeriods datapoints in the range, the most
recent ones decide: ALARM when at least DatapointsToAlarm of them breach, else OK. With fewer,
TreatMissingData fills the gaps: ``breaching`` and ``notBreaching`` as their names say; ``missing``
and ``ignore`` go to ALARM with enough breaching datapoints, to OK with any that does not breach,
and otherwise ``ignore`` keeps the state while ``missing`` goes to INSUFFICIENT_DATA (or to ALARM
when its lone breaching datapoints are at least DatapointsToAlarm periods old). With no datapoint
at all: INSUFFICIENT_DATA, the current state, ALARM or OK. Reasons, reason data and history items
are worded as CloudWatch words them ("Threshold Crossed: 3 out of the last 3 datapoints [...] were
greater than or equal to the threshold (90.0) (minimum 3 datapoints for OK -> ALARM
transition)."). SetAlarmState holds only until the next evaluation. A state change of an alarm
whose actions are enabled records one "Action" history item per action of the new state ("Successfully
executed action arn:aws:sns:..."): nothing is published, so the seeded ids never depend on when
alarms change state.

Not modelled: anomaly detection bands and Metrics Insights queries (refused at Put); what
ActionsSuppressor suppresses (kept and described only); EvaluateLowSampleCountPercentile (kept,
percentiles are always evaluated); alarms with a period under a minute are evaluated once a
minute, like the others, as the simulator writes its metrics once a minute.
"""

# moto is imported inside the functions, for start-up time: see tui/sim/extensions/__init__.py.
from __future__ import annotations

import json
import logging
import math
import operator
import re
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from tui.sim.extensions._common import decode_offset_token, encode_offset_token, service_error

logger = logging.getLogger(__name__)

OK = "OK"
ALARM = "ALARM"
INSUFFICIENT_DATA = "INSUFFICIENT_DATA"
STATES = (OK, ALARM, INSUFFICIENT_DATA)
METRIC_ALARM = "MetricAlarm"
COMPOSITE_ALARM = "CompositeAlarm"
ALARM_TYPES = (METRIC_ALARM, COMPOSITE_ALARM)
TREATMENTS = ("missing", "ignore", "breaching", "notBreaching")
HISTORY_TYPES = ("ConfigurationUpdate", "StateUpdate", "Action")

EXTRA_PERIODS = 2
"""The evaluation range reaches this many periods further back than EvaluationPeriods."""
HISTORY_RETENTION = timedelta(days=14)
DESCRIBE_PAGE = 50
HISTORY_PAGE = 100
MAX_RECORDS = 100
MAX_METRICS = 10
MAX_EVALUATION_SECONDS = 7 * 86_400
INITIAL_REASON = "Unchecked: Initial alarm creation"

_COMPARISONS: dict[str, tuple[Callable[[float, float], bool], str]] = {
    "GreaterThanOrEqualToThreshold": (operator.ge, "greater than or equal to"),
    "GreaterThanThreshold": (operator.gt, "greater than"),
    "LessThanThreshold": (operator.lt, "less than"),
    "LessThanOrEqualToThreshold": (operator.le, "less than or equal to"),
}
_BAND_COMPARISONS = (
    "LessThanLowerOrGreaterThanUpperThreshold",
    "LessThanLowerThreshold",
    "GreaterThanUpperThreshold",
)
_BASIC_STATISTICS = ("SampleCount", "Average", "Sum", "Minimum", "Maximum")
_PERCENTILE = re.compile(r"^p(\d{1,2}(?:\.\d{1,10})?|100)$")
_QUERY_ID = re.compile(r"^[a-z][A-Za-z0-9_]*$")
_ALARM_ARN = re.compile(r"^arn:[^:]+:cloudwatch:[^:]*:[^:]*:alarm:(.+)$")

_BOOK_ATTRIBUTE = "_warroom_alarm_book"
_install_lock = threading.Lock()
_book_create_lock = threading.Lock()
moto_originals: dict[str, Any] = {}


# --------------------------------------------------------------------------------------------
# Formats CloudWatch uses
# --------------------------------------------------------------------------------------------


def java_double(value: float) -> str:
    """``value`` as Java's Double.toString writes it (CloudWatch's reasons do): 90.0, 0.005,
    1.0E7."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if value == 0.0:
        return "-0.0" if math.copysign(1.0, value) < 0 else "0.0"
    magnitude = abs(value)
    if 1e-3 <= magnitude < 1e7:
        text = repr(float(value))
        return text if "." in text else f"{text}.0"
    sign, digits, exponent = Decimal(repr(float(value))).as_tuple()
    shown = "".join(str(digit) for digit in digits).rstrip("0") or "0"
    power = len(digits) - 1 + int(exponent)
    mantissa = f"{shown[0]}.{shown[1:] or '0'}"
    return f"{'-' if sign else ''}{mantissa}E{power}"


def _aware(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _iso_ms(moment: datetime) -> str:
    """2024-07-16T13:14:42.817+0000, as reason data and notifications write times."""
    moment = _aware(moment)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000"


def _reason_time(moment: datetime) -> str:
    """14/07/21 23:18:00: a datapoint's timestamp in a state reason."""
    return _aware(moment).strftime("%d/%m/%y %H:%M:%S")


def _composite_time(moment: datetime) -> str:
    """Sunday 30 October, 2022 20:47:35 UTC: a child's transition in a composite's reason."""
    return _aware(moment).strftime("%A %d %B, %Y %H:%M:%S UTC")


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def _was(count: int) -> str:
    return "was" if count == 1 else "were"


def _utcnow() -> datetime:
    return datetime.now(UTC)


api_clock: Callable[[], datetime] = _utcnow
"""What the API reads as now (put, SetAlarmState, delete): the simulator's clock, which is the
wall clock; evaluations are told their moment (``evaluate(..., now)``), and tests that move time
set both."""


def _from_us(micros: int) -> datetime:
    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=micros)


def _to_us(moment: datetime) -> int:
    return (_aware(moment) - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)


def _exceptions() -> Any:
    from moto.cloudwatch import exceptions

    return exceptions


def _validation(message: str) -> Exception:
    error: Exception = _exceptions().ValidationError(message)
    return error


def _invalid_value(message: str) -> Exception:
    error: Exception = _exceptions().InvalidParameterValue(message)
    return error


def _combination(message: str) -> Exception:
    error: Exception = _exceptions().InvalidParameterCombination(message)
    return error


# --------------------------------------------------------------------------------------------
# The book
# --------------------------------------------------------------------------------------------


@dataclass
class HistoryItem:
    alarm_name: str
    alarm_type: str
    timestamp: datetime
    item_type: str
    summary: str
    data: str
    serial: int = 0

    def describe(self) -> dict[str, Any]:
        return {
            "AlarmName": self.alarm_name,
            "AlarmType": self.alarm_type,
            "Timestamp": self.timestamp,
            "HistoryItemType": self.item_type,
            "HistorySummary": self.summary,
            "HistoryData": self.data,
        }


@dataclass
class AlarmRecord:
    """One alarm as the book keeps it: its configuration as given, and its state."""

    name: str
    arn: str
    alarm_type: str
    config: dict[str, Any]
    """PutMetricAlarm's or PutCompositeAlarm's parameters, normalised (defaults filled in)."""
    configured_at: datetime
    state: str = INSUFFICIENT_DATA
    reason: str = INITIAL_REASON
    reason_data: str | None = None
    updated_at: datetime = field(default_factory=_utcnow)
    transitioned_at: datetime = field(default_factory=_utcnow)
    actions_enabled: bool = True
    manual: bool = False
    """The state was set through SetAlarmState since the last evaluation."""
    rule: Any = None
    """A composite alarm's parsed AlarmRule."""

    @property
    def composite(self) -> bool:
        return self.alarm_type == COMPOSITE_ALARM

    def actions_for(self, state: str) -> list[str]:
        key = {ALARM: "AlarmActions", OK: "OKActions", INSUFFICIENT_DATA: "InsufficientDataActions"}[state]
        return list(self.config.get(key) or [])

    def describe(self) -> dict[str, Any]:
        """The alarm as DescribeAlarms lists it (MetricAlarm or CompositeAlarm)."""
        config = self.config
        out: dict[str, Any] = {"AlarmName": self.name, "AlarmArn": self.arn}
        if config.get("AlarmDescription") is not None:
            out["AlarmDescription"] = config["AlarmDescription"]
        out.update(
            {
                "AlarmConfigurationUpdatedTimestamp": self.configured_at,
                "ActionsEnabled": self.actions_enabled,
                "OKActions": list(config.get("OKActions") or []),
                "AlarmActions": list(config.get("AlarmActions") or []),
                "InsufficientDataActions": list(config.get("InsufficientDataActions") or []),
                "StateValue": self.state,
                "StateReason": self.reason,
            }
        )
        if self.reason_data is not None:
            out["StateReasonData"] = self.reason_data
        out["StateUpdatedTimestamp"] = self.updated_at
        out["StateTransitionedTimestamp"] = self.transitioned_at
        if self.composite:
            out["AlarmRule"] = config["AlarmRule"]
            for key in (
                "ActionsSuppressor",
                "ActionsSuppressorWaitPeriod",
                "ActionsSuppressorExtensionPeriod",
            ):
                if config.get(key) is not None:
                    out[key] = config[key]
            return out
        for key in ("MetricName", "Namespace", "Statistic", "ExtendedStatistic"):
            if config.get(key) is not None:
                out[key] = config[key]
        out["Dimensions"] = [dict(item) for item in config.get("Dimensions") or []]
        for key in (
            "Period",
            "Unit",
            "EvaluationPeriods",
            "DatapointsToAlarm",
            "Threshold",
            "ComparisonOperator",
            "TreatMissingData",
            "EvaluateLowSampleCountPercentile",
        ):
            if config.get(key) is not None:
                out[key] = config[key]
        if config.get("Metrics"):
            out["Metrics"] = [dict(query) for query in config["Metrics"]]
        if config.get("ThresholdMetricId") is not None:
            out["ThresholdMetricId"] = config["ThresholdMetricId"]
        return out

    def history_view(self) -> dict[str, Any]:
        """The alarm as a ConfigurationUpdate history item describes it (camelCase keys)."""
        described = self.describe()
        out: dict[str, Any] = {}
        for key, value in described.items():
            if key in ("StateReason", "StateReasonData"):
                continue
            camel = key[0].lower() + key[1:]
            out[camel] = _iso_ms(value) if isinstance(value, datetime) else value
        return out


class AlarmBook:
    """The alarms and alarm history of one CloudWatch backend (one account and region)."""

    def __init__(self, account_id: str, region: str) -> None:
        self.lock = threading.RLock()
        self.account_id = account_id
        self.region = region
        self.alarms: dict[str, AlarmRecord] = {}
        self.history: list[HistoryItem] = []
        self.next_serial = 0

    def record(self, item: HistoryItem) -> None:
        item.serial = self.next_serial
        self.next_serial += 1
        self.history.append(item)
        cutoff = item.timestamp - HISTORY_RETENTION
        if self.history and self.history[0].timestamp < cutoff:
            self.history = [entry for entry in self.history if entry.timestamp >= cutoff]

    def arn(self, name: str) -> str:
        return f"arn:aws:cloudwatch:{self.region}:{self.account_id}:alarm:{name}"

    def name_of(self, reference: str) -> str:
        """An alarm name from a name or an alarm ARN."""
        match = _ALARM_ARN.match(reference)
        return match.group(1) if match else reference


def book_of(backend: Any) -> AlarmBook:
    """The alarm book of one moto CloudWatch backend (created on first use; a reset discards it)."""
    book: AlarmBook | None = backend.__dict__.get(_BOOK_ATTRIBUTE)
    if book is None:
        with _book_create_lock:
            book = backend.__dict__.get(_BOOK_ATTRIBUTE)
            if book is None:
                book = AlarmBook(backend.account_id, backend.region_name)
                setattr(backend, _BOOK_ATTRIBUTE, book)
    return book


def _backend(account_id: str, region: str) -> Any:
    from moto.cloudwatch.models import cloudwatch_backends

    return cloudwatch_backends[account_id][region]


def _books() -> list[tuple[Any, AlarmBook]]:
    """Every backend of the process that holds alarms, with its book."""
    from moto.cloudwatch.models import cloudwatch_backends

    found = []
    for account_backends in list(cloudwatch_backends.values()):
        for backend in list(dict.values(account_backends)):
            book = backend.__dict__.get(_BOOK_ATTRIBUTE)
            if book is not None and book.alarms:
                found.append((backend, book))
    return found


# --------------------------------------------------------------------------------------------
# History items
# --------------------------------------------------------------------------------------------


def _json(data: Any) -> str:
    return json.dumps(data, separators=(",", ":"))


def _configuration_item(book: AlarmBook, alarm: AlarmRecord, kind: str, at: datetime) -> None:
    words = {"Create": "created", "Update": "updated", "Delete": "deleted"}[kind]
    key = {"Create": "createdAlarm", "Update": "updatedAlarm", "Delete": "deletedAlarm"}[kind]
    data = {"version": "1.0", "type": kind, key: alarm.history_view()}
    book.record(
        HistoryItem(
            alarm.name,
            alarm.alarm_type,
            at,
            "ConfigurationUpdate",
            f'Alarm "{alarm.name}" {words}',
            _json(data),
        )
    )


def _state_json(state: str, reason: str, reason_data: str | None) -> dict[str, Any]:
    out: dict[str, Any] = {"stateValue": state, "stateReason": reason}
    if reason_data:
        try:
            out["stateReasonData"] = json.loads(reason_data)
        except ValueError:
            out["stateReasonData"] = reason_data
    return out


def _notification(book: AlarmBook, alarm: AlarmRecord, old_state: str, at: datetime) -> str:
    """The message CloudWatch would publish to an SNS topic for this state change."""
    message: dict[str, Any] = {
        "AlarmName": alarm.name,
        "AlarmDescription": alarm.config.get("AlarmDescription"),
        "AWSAccountId": book.account_id,
        "AlarmConfigurationUpdatedTimestamp": _iso_ms(alarm.configured_at),
        "NewStateValue": alarm.state,
        "NewStateReason": alarm.reason,
        "StateChangeTime": _iso_ms(at),
        "Region": book.region,
        "AlarmArn": alarm.arn,
        "OldStateValue": old_state,
        "OKActions": alarm.actions_for(OK),
        "AlarmActions": alarm.actions_for(ALARM),
        "InsufficientDataActions": alarm.actions_for(INSUFFICIENT_DATA),
    }
    if alarm.composite:
        message["AlarmRule"] = alarm.config["AlarmRule"]
    else:
        config = alarm.config
        trigger: dict[str, Any] = {
            "Period": config.get("Period"),
            "EvaluationPeriods": config.get("EvaluationPeriods"),
            "ComparisonOperator": config.get("ComparisonOperator"),
            "Threshold": config.get("Threshold"),
            "TreatMissingData": config.get("TreatMissingData") or "missing",
        }
        if config.get("MetricName"):
            trigger.update(
                {
                    "MetricName": config["MetricName"],
                    "Namespace": config["Namespace"],
                    "StatisticType": "Statistic" if config.get("Statistic") else "ExtendedStatistic",
                    "Statistic": (config.get("Statistic") or config.get("ExtendedStatistic") or "").upper(),
                    "Unit": config.get("Unit"),
                    "Dimensions": [
                        {"value": item["Value"], "name": item["Name"]}
                        for item in config.get("Dimensions") or []
                    ],
                }
            )
        else:
            trigger["Metrics"] = config.get("Metrics")
        message["Trigger"] = trigger
    return _json(message)


def _topic_exists(arn: str) -> bool | None:
    """Whether the SNS topic ``arn`` exists in the simulator (None: not an SNS topic ARN)."""
    parts = arn.split(":")
    if len(parts) < 6 or parts[2] != "sns":
        return None
    try:
        from moto.sns.models import sns_backends

        return arn in sns_backends[parts[4]][parts[3]].topics
    except (KeyError, ValueError):
        return False


def _run_actions(book: AlarmBook, alarm: AlarmRecord, old_state: str, at: datetime) -> None:
    """One Action history item per action of the alarm's new state (actions enabled only)."""
    if not alarm.actions_enabled:
        return
    for arn in alarm.actions_for(alarm.state):
        exists = _topic_exists(arn)
        stamp = int(_aware(at).timestamp() * 1000)
        if exists is False:
            summary = f'Failed to execute action {arn}. Received error: "Resource {arn} does not exist"'
            data: dict[str, Any] = {"actionState": "Failed", "stateUpdateTimestamp": stamp, "error": summary}
        else:
            summary = f"Successfully executed action {arn}"
            data = {"actionState": "Succeeded", "stateUpdateTimestamp": stamp, "notificationResource": arn}
            if exists:
                data["publishedMessage"] = _notification(book, alarm, old_state, at)
        book.record(HistoryItem(alarm.name, alarm.alarm_type, at, "Action", summary, _json(data)))


def _set_state(
    book: AlarmBook,
    alarm: AlarmRecord,
    state: str,
    reason: str,
    reason_data: str | None,
    at: datetime,
    *,
    manual: bool = False,
) -> bool:
    """Give ``alarm`` a state; a change of state is written to the history and runs the new
    state's actions. Returns whether the state changed."""
    old_state, old_reason, old_data = alarm.state, alarm.reason, alarm.reason_data
    alarm.reason, alarm.reason_data = reason, reason_data
    alarm.updated_at = at
    alarm.manual = manual
    if state == old_state:
        return False
    alarm.state = state
    alarm.transitioned_at = at
    data = {
        "version": "1.0",
        "oldState": _state_json(old_state, old_reason, old_data),
        "newState": _state_json(state, reason, reason_data),
    }
    book.record(
        HistoryItem(
            alarm.name,
            alarm.alarm_type,
            at,
            "StateUpdate",
            f"Alarm updated from {old_state} to {state}",
            _json(data),
        )
    )
    _run_actions(book, alarm, old_state, at)
    return True


# --------------------------------------------------------------------------------------------
# Metric alarms: datapoints, and the decision
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Datapoint:
    """One period of an alarm's evaluation range: its start (microseconds since the epoch), and
    its value (None: missing) and sample count."""

    micros: int
    value: float | None
    samples: float | None = None

    @property
    def stamp(self) -> datetime:
        return _from_us(self.micros)


@dataclass(frozen=True)
class Outcome:
    """What an evaluation decided: a state (None: keep the current one), and why."""

    state: str | None
    reason: str
    reason_data: str | None


def _period(config: Mapping[str, Any]) -> int:
    if config.get("Metrics"):
        for query in config["Metrics"]:
            if "MetricStat" in query:
                return int(query["MetricStat"]["Period"])
        for query in config["Metrics"]:
            if query.get("Period"):
                return int(query["Period"])
    return int(config["Period"])


def _range_end(config: Mapping[str, Any], now_us: int) -> int:
    """Where the evaluation range at ``now_us`` ends: the start of the current minute (of the
    current period for periods under a minute)."""
    period = _period(config)
    step = (period if period < 60 else 60) * 1_000_000
    return now_us - now_us % step


def evaluation_range(config: Mapping[str, Any], now: datetime) -> list[datetime]:
    """The starts of the periods an evaluation at ``now`` reads, oldest first: EvaluationPeriods
    + ``EXTRA_PERIODS`` periods ending at the start of the current minute (of the current period
    for periods under a minute)."""
    period_us = _period(config) * 1_000_000
    end = _range_end(config, _to_us(now))
    count = int(config["EvaluationPeriods"]) + EXTRA_PERIODS
    return [_from_us(end - k * period_us) for k in range(count, 0, -1)]


def _stat_points(
    sources: Sequence[Any],
    metric: Mapping[str, Any],
    stat: str,
    unit: str | None,
    starts: Sequence[int],
    period: int,
) -> dict[int, tuple[float, float | None]]:
    """Per period start (microseconds, evenly spaced ``period`` seconds apart): the statistic and
    the sample count of one metric."""
    from tui.sim.extensions import cloudwatch as cw

    period_us = period * 1_000_000
    origin = starts[0]
    end = starts[-1] + period_us
    dims = frozenset((item["Name"], item["Value"]) for item in metric.get("Dimensions") or [])
    slices = []
    for source in sources:
        with source.lock:
            slices.extend(
                source.exact_slices(metric["Namespace"], metric["MetricName"], dims, unit, origin, end)
            )
    out: dict[int, tuple[float, float | None]] = {}
    for k, singles, aggs in cw._buckets(slices, origin, period_us):
        value = cw._statistic(stat, singles, aggs)
        if value is None:
            continue
        samples = cw._statistic("SampleCount", singles, aggs)
        out[origin + k * period_us] = (float(value), float(samples) if samples is not None else None)
    return out


def _sources(backend: Any, namespaces: Iterable[str]) -> list[Any]:
    """The metric stores an alarm reads: the index, and moto's S3 provider only for AWS/S3 (it
    computes its metrics on every call)."""
    from tui.sim.extensions import cloudwatch as cw

    if "AWS/S3" in namespaces:
        return cw._sources(backend)
    return [cw.index_of(backend)]


def _namespaces(config: Mapping[str, Any]) -> set[str]:
    if config.get("Metrics"):
        return {
            query["MetricStat"]["Metric"]["Namespace"] for query in config["Metrics"] if "MetricStat" in query
        }
    return {str(config.get("Namespace"))}


def period_values(
    backend: Any, config: Mapping[str, Any], starts: Sequence[int]
) -> dict[int, tuple[float, float | None]]:
    """The value a metric alarm sees for each period starting at ``starts`` (microseconds, evenly
    spaced by its period, oldest first): its metric's statistic, or its expression's value, with
    the period's sample count where there is one; periods without a value are left out."""
    from tui.sim.extensions import cloudwatch as cw

    period = _period(config)
    sources = _sources(backend, _namespaces(config))
    if not config.get("Metrics"):
        metric = {
            "Namespace": config["Namespace"],
            "MetricName": config["MetricName"],
            "Dimensions": config.get("Dimensions") or [],
        }
        stat = config.get("Statistic") or config.get("ExtendedStatistic")
        return _stat_points(sources, metric, str(stat), config.get("Unit"), starts, period)
    queries = config["Metrics"]
    series: dict[str, dict[int, float]] = {}
    samples: dict[str, dict[int, float | None]] = {}
    periods: dict[str, int] = {}
    for query in queries:
        if "MetricStat" not in query:
            continue
        stat = query["MetricStat"]
        points = _stat_points(sources, stat["Metric"], stat["Stat"], stat.get("Unit"), starts, period)
        series[query["Id"]] = {stamp: value for stamp, (value, _) in points.items()}
        samples[query["Id"]] = {stamp: count for stamp, (_, count) in points.items()}
        periods[query["Id"]] = int(stat["Period"])
    returned = next(query for query in queries if query.get("ReturnData", True))
    if "MetricStat" in returned:
        own = samples[returned["Id"]]
        return {stamp: (value, own.get(stamp)) for stamp, value in series[returned["Id"]].items()}
    math_queries = {query["Id"]: query for query in queries if "Expression" in query}
    grid = list(starts)
    result = cw.evaluate_math(returned["Id"], math_queries, series, periods, lambda name: grid)
    if not isinstance(result, dict):
        return {stamp: (float(result), None) for stamp in starts}
    return {stamp: (value, None) for stamp, value in result.items() if math.isfinite(value)}


def datapoints(backend: Any, config: Mapping[str, Any], now: datetime) -> list[Datapoint]:
    """The evaluation range of a metric alarm at ``now``, oldest first, with each period's value."""
    stamps = [_to_us(start) for start in evaluation_range(config, now)]
    values = period_values(backend, config, stamps)
    return [
        Datapoint(stamp, *values[stamp]) if stamp in values else Datapoint(stamp, None) for stamp in stamps
    ]


def _threshold_text(config: Mapping[str, Any]) -> str:
    return java_double(float(config["Threshold"]))


def _reason_data(
    config: Mapping[str, Any],
    now: datetime,
    evaluated: Sequence[Datapoint],
    shown: Sequence[Datapoint],
    *,
    unknown: Sequence[Datapoint] = (),
) -> str:
    """StateReasonData: what was queried, the recent values (oldest first) and the datapoints that
    decided (newest first)."""
    data: dict[str, Any] = {"version": "1.0", "queryDate": _iso_ms(now)}
    if evaluated:
        data["startDate"] = _iso_ms(evaluated[0].stamp)
    if not config.get("Metrics"):
        if config.get("Unit"):
            data["unit"] = config["Unit"]
        data["statistic"] = config.get("Statistic") or config.get("ExtendedStatistic")
    data["period"] = _period(config)
    data["recentDatapoints"] = [point.value for point in evaluated if point.value is not None]
    data["threshold"] = float(config["Threshold"])
    listed: list[dict[str, Any]] = []
    for point in shown:
        item: dict[str, Any] = {"timestamp": _iso_ms(point.stamp)}
        if point.samples is not None and not config.get("Metrics"):
            item["sampleCount"] = point.samples
        if point.value is not None:
            item["value"] = point.value
        listed.append(item)
    listed.extend({"timestamp": _iso_ms(point.stamp)} for point in unknown)
    data["evaluatedDatapoints"] = listed
    return _json(data)


def _crossed_reason(
    config: Mapping[str, Any],
    state: str,
    crossed: int,
    listed: Sequence[Datapoint],
    filled: int,
) -> str:
    """'Threshold Crossed: ...' for a decision to ``state`` with ``crossed`` datapoints on its side
    (``listed`` are the real ones, newest first; ``filled`` gaps counted as TreatMissingData says)."""
    n = int(config["EvaluationPeriods"])
    m = int(config.get("DatapointsToAlarm") or n)
    phrase = _COMPARISONS[config["ComparisonOperator"]][1]
    negation = "" if state == ALARM else "not "
    points = ", ".join(f"{java_double(float(p.value or 0.0))} ({_reason_time(p.stamp)})" for p in listed)
    fills = ""
    if filled:
        treated = "Breaching" if config.get("TreatMissingData") == "breaching" else "NonBreaching"
        fills = f" and {_plural(filled, 'missing datapoint')} {_was(filled)} treated as [{treated}]"
    threshold = _threshold_text(config)
    if config.get("DatapointsToAlarm") is None:
        return (
            f"Threshold Crossed: {_plural(crossed, 'datapoint')} [{points}] {_was(crossed)} "
            f"{negation}{phrase} the threshold ({threshold}){fills}."
        )
    needed = m if state == ALARM else n - m + 1
    transition = "OK -> ALARM" if state == ALARM else "ALARM -> OK"
    return (
        f"Threshold Crossed: {crossed} out of the last {n} datapoints [{points}] {_was(crossed)} "
        f"{negation}{phrase} the threshold ({threshold}){fills} "
        f"(minimum {_plural(needed, 'datapoint')} for {transition} transition)."
    )


@dataclass(frozen=True)
class _Judgement:
    """A decision and what it rests on (reasons are worded from it only when they are needed)."""

    state: str | None
    kind: str
    """"none" (no datapoint), "unknown" (too few, undecided) or "crossed"."""
    points: Sequence[Datapoint]
    evaluated: Sequence[Datapoint] = ()
    side: Sequence[Datapoint] = ()
    count: int = 0
    filled: int = 0
    unknown: int = 0


def judge(config: Mapping[str, Any], points: Sequence[Datapoint]) -> _Judgement:
    """The state CloudWatch's rules give a metric alarm over its evaluation range ``points``
    (oldest first); None keeps the current state (TreatMissingData ignore)."""
    n = int(config["EvaluationPeriods"])
    m = int(config.get("DatapointsToAlarm") or n)
    treatment = config.get("TreatMissingData") or "missing"
    compare = _COMPARISONS[config["ComparisonOperator"]][0]
    threshold = float(config["Threshold"])
    real = [point for point in points if point.value is not None]
    if not real:
        state = {"missing": INSUFFICIENT_DATA, "ignore": None, "breaching": ALARM, "notBreaching": OK}[
            treatment
        ]
        return _Judgement(state, "none", points, unknown=n)
    evaluated = real[-n:]
    filled = n - len(evaluated)
    breaching = [point for point in evaluated if compare(float(point.value or 0.0), threshold)]
    calm = [point for point in evaluated if not compare(float(point.value or 0.0), threshold)]
    filled_breaching = filled if treatment == "breaching" else 0
    filled_calm = filled if treatment == "notBreaching" else 0
    if filled and treatment in ("missing", "ignore") and len(breaching) < m and not calm:
        # Only breaching datapoints, too few of them: undecided, unless (missing) the oldest is at
        # least M periods old with nothing since that does not breach (CloudWatch then alarms).
        period_us = _period(config) * 1_000_000
        age = (points[-1].micros - breaching[0].micros) // period_us + 1
        if treatment == "ignore":
            return _Judgement(None, "unknown", points, evaluated, unknown=filled)
        if age < m:
            return _Judgement(INSUFFICIENT_DATA, "unknown", points, evaluated, unknown=filled)
        return _Judgement(ALARM, "crossed", points, evaluated, breaching, len(breaching))
    if len(breaching) + filled_breaching >= m:
        return _Judgement(
            ALARM,
            "crossed",
            points,
            evaluated,
            breaching,
            len(breaching) + filled_breaching,
            filled_breaching,
        )
    return _Judgement(
        OK, "crossed", points, evaluated, calm, len(calm) + filled_calm, filled_breaching or filled_calm
    )


def explain(config: Mapping[str, Any], judgement: _Judgement, now: datetime) -> tuple[str, str]:
    """The StateReason and StateReasonData CloudWatch gives a judgement."""
    n = int(config["EvaluationPeriods"])
    m = int(config.get("DatapointsToAlarm") or n)
    points = judgement.points
    if judgement.kind == "none":
        data = _reason_data(config, now, [], [], unknown=list(reversed(points[-n:])))
        if judgement.state == ALARM or judgement.state == OK:
            treated = "Breaching" if judgement.state == ALARM else "NonBreaching"
            return (
                f"Threshold Crossed: no datapoints were received for {_plural(n, 'period')} and "
                f"{_plural(n, 'missing datapoint')} {_was(n)} treated as [{treated}].",
                data,
            )
        return f"Insufficient Data: {_plural(n, 'datapoint')} {_was(n)} unknown.", data
    evaluated = judgement.evaluated
    if judgement.kind == "unknown":
        missing = [point for point in points if point.value is None][-judgement.unknown :]
        return (
            f"Insufficient Data: {_plural(judgement.unknown, 'datapoint')} "
            f"{_was(judgement.unknown)} unknown.",
            _reason_data(config, now, evaluated, list(reversed(evaluated)), unknown=list(reversed(missing))),
        )
    state = judgement.state or OK
    needed = m if state == ALARM else n - m + 1
    shown: list[Datapoint] = []
    found = 0
    side = set(id(point) for point in judgement.side)
    for point in reversed(evaluated):
        shown.append(point)
        if id(point) in side:
            found += 1
            if found >= needed:
                break
    reason = _crossed_reason(config, state, judgement.count, list(reversed(judgement.side)), judgement.filled)
    return reason, _reason_data(config, now, evaluated, shown)


def decide(config: Mapping[str, Any], points: Sequence[Datapoint], now: datetime) -> Outcome:
    """The state CloudWatch's rules give a metric alarm over ``points`` (oldest first) at ``now``,
    and the reason it gives (a state of None keeps the current one)."""
    judgement = judge(config, points)
    if judgement.state is None:
        return Outcome(None, "", None)
    reason, data = explain(config, judgement, now)
    return Outcome(judgement.state, reason, data)


# --------------------------------------------------------------------------------------------
# Composite alarms: the rule
# --------------------------------------------------------------------------------------------


_WORD = re.compile(r"[A-Za-z_]+")


class RuleError(ValueError):
    """An AlarmRule that cannot be parsed."""


@dataclass(frozen=True)
class _Term:
    kind: str  # "state", "const", "not", "and", "or"
    state: str = ""
    alarm: str = ""
    value: bool = False
    parts: tuple[_Term, ...] = ()


class _RuleParser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.position = 0

    def skip(self) -> None:
        while self.position < len(self.text) and self.text[self.position].isspace():
            self.position += 1

    def word(self) -> str | None:
        self.skip()
        match = _WORD.match(self.text, self.position)
        return match.group(0) if match else None

    def take(self, text: str) -> None:
        self.position += len(text)

    def parse(self) -> _Term:
        term = self.or_term()
        self.skip()
        if self.position != len(self.text):
            raise RuleError(
                f"Unexpected text at position {self.position + 1}: {self.text[self.position :]!r}"
            )
        return term

    def or_term(self) -> _Term:
        parts = [self.and_term()]
        while (word := self.word()) is not None and word.upper() == "OR":
            self.take(word)
            parts.append(self.and_term())
        return parts[0] if len(parts) == 1 else _Term("or", parts=tuple(parts))

    def and_term(self) -> _Term:
        parts = [self.not_term()]
        while (word := self.word()) is not None and word.upper() == "AND":
            self.take(word)
            parts.append(self.not_term())
        return parts[0] if len(parts) == 1 else _Term("and", parts=tuple(parts))

    def not_term(self) -> _Term:
        word = self.word()
        if word is not None and word.upper() == "NOT":
            self.take(word)
            return _Term("not", parts=(self.not_term(),))
        return self.atom()

    def atom(self) -> _Term:
        self.skip()
        if self.text.startswith("(", self.position):
            self.position += 1
            term = self.or_term()
            self.skip()
            if not self.text.startswith(")", self.position):
                raise RuleError("Missing closing parenthesis")
            self.position += 1
            return term
        word = self.word()
        if word is None:
            raise RuleError(f"Expected a state function at position {self.position + 1}")
        upper = word.upper()
        if upper in ("TRUE", "FALSE"):
            self.take(word)
            return _Term("const", value=upper == "TRUE")
        if upper not in STATES:
            raise RuleError(f"Unknown function {word}: use ALARM, OK or INSUFFICIENT_DATA")
        self.take(word)
        self.skip()
        if not self.text.startswith("(", self.position):
            raise RuleError(f"{word} takes the name or ARN of an alarm in parentheses")
        self.position += 1
        self.skip()
        if self.text.startswith('"', self.position):
            end = self.text.find('"', self.position + 1)
            if end < 0:
                raise RuleError("Unterminated quoted alarm name")
            name = self.text[self.position + 1 : end]
            self.position = end + 1
            self.skip()
            if not self.text.startswith(")", self.position):
                raise RuleError(f"{word} takes one alarm")
        else:
            end = self.text.find(")", self.position)
            if end < 0:
                raise RuleError("Missing closing parenthesis")
            name = self.text[self.position : end].strip()
            self.position = end
        self.position += 1
        if not name:
            raise RuleError(f"{word} needs the name or ARN of an alarm")
        return _Term("state", state=upper, alarm=name)


def parse_rule(text: str) -> _Term:
    """The parsed AlarmRule; RuleError when it is not one."""
    if not text or not text.strip():
        raise RuleError("The AlarmRule is empty")
    return _RuleParser(text).parse()


def rule_children(term: _Term) -> list[_Term]:
    """The state terms of a rule, in order."""
    if term.kind == "state":
        return [term]
    out: list[_Term] = []
    for part in term.parts:
        out.extend(rule_children(part))
    return out


def _rule_value(term: _Term, states: Mapping[str, str]) -> bool:
    if term.kind == "const":
        return term.value
    if term.kind == "state":
        return states.get(term.alarm) == term.state
    if term.kind == "not":
        return not _rule_value(term.parts[0], states)
    values = [_rule_value(part, states) for part in term.parts]
    return all(values) if term.kind == "and" else any(values)


def _composite_outcome(
    book: AlarmBook, alarm: AlarmRecord, at: datetime, trigger: AlarmRecord | None
) -> Outcome:
    terms = rule_children(alarm.rule)
    names = []
    for term in terms:
        name = book.name_of(term.alarm)
        if name not in names:
            names.append(name)
    states = {}
    for term in terms:
        child = book.alarms.get(book.name_of(term.alarm))
        states[term.alarm] = child.state if child is not None else INSUFFICIENT_DATA
    state = ALARM if _rule_value(alarm.rule, states) else OK
    if state == ALARM:
        triggering = [
            book.name_of(term.alarm)
            for term in terms
            if states[term.alarm] == term.state and term.state == ALARM
        ] or [book.name_of(term.alarm) for term in terms if states[term.alarm] == term.state]
    else:
        triggering = names
    seen: list[str] = []
    for name in triggering:
        if name not in seen and name in book.alarms:
            seen.append(name)
    data = {
        "triggeringAlarms": [
            {
                "arn": book.alarms[name].arn,
                "state": {
                    "value": book.alarms[name].state,
                    "timestamp": _iso_ms(book.alarms[name].transitioned_at),
                },
            }
            for name in seen
        ]
    }
    if trigger is not None:
        reason = (
            f"{trigger.arn} transitioned to {trigger.state} at {_composite_time(trigger.transitioned_at)}"
        )
    else:
        reason = f"{alarm.arn} was created and its alarm rule evaluates to {state}"
    return Outcome(state, reason, _json(data))


def _parents(book: AlarmBook, name: str) -> list[AlarmRecord]:
    return [
        alarm
        for alarm in book.alarms.values()
        if alarm.composite and any(book.name_of(term.alarm) == name for term in rule_children(alarm.rule))
    ]


def _propagate(book: AlarmBook, changed: Iterable[AlarmRecord], at: datetime) -> None:
    """Re-evaluate the composite alarms whose children changed state (and theirs, in turn)."""
    queue = list(changed)
    visits = 0
    limit = 4 * max(1, len(book.alarms))
    while queue and visits < limit:
        child = queue.pop(0)
        for parent in _parents(book, child.name):
            visits += 1
            outcome = _composite_outcome(book, parent, at, child)
            if outcome.state is None or outcome.state == parent.state:
                continue
            _set_state(book, parent, outcome.state, outcome.reason, outcome.reason_data, at)
            queue.append(parent)


# --------------------------------------------------------------------------------------------
# Evaluation
# --------------------------------------------------------------------------------------------


def _apply(book: AlarmBook, alarm: AlarmRecord, judgement: _Judgement, now: datetime) -> bool:
    """Give a metric alarm the state of a judgement (worded only when it changes something);
    return whether the state changed."""
    state = judgement.state
    if state is None or (state == alarm.state and not alarm.manual):
        return False
    reason, data = explain(alarm.config, judgement, now)
    return _set_state(book, alarm, state, reason, data, now)


def evaluate_book(backend: Any, book: AlarmBook, now: datetime) -> list[str]:
    """Evaluate every metric alarm of one backend at ``now`` (then the composites their changes
    touch); return the names of the alarms whose state changed."""
    now = _aware(now)
    changed: list[AlarmRecord] = []
    with book.lock:
        before = {alarm.name: alarm.state for alarm in book.alarms.values() if alarm.composite}
        for alarm in sorted(book.alarms.values(), key=lambda item: item.name):
            if alarm.composite:
                continue
            try:
                judgement = judge(alarm.config, datapoints(backend, alarm.config, now))
            except Exception:
                logger.debug("evaluating alarm %s failed", alarm.name, exc_info=True)
                continue
            if _apply(book, alarm, judgement, now):
                changed.append(alarm)
        _propagate(book, changed, now)
        composites = [
            alarm.name
            for alarm in book.alarms.values()
            if alarm.composite and before.get(alarm.name) != alarm.state
        ]
    return [alarm.name for alarm in changed] + composites


def evaluate(account_id: str, region: str, now: datetime) -> list[str]:
    """Evaluate the alarms of one account and region at ``now``; the names whose state changed."""
    install()
    backend = _backend(account_id, region)
    return evaluate_book(backend, book_of(backend), now)


def evaluate_all(now: datetime) -> int:
    """Evaluate every alarm of the process at ``now``; return how many changed state."""
    changed = 0
    for backend, book in _books():
        changed += len(evaluate_book(backend, book, now))
    return changed


def replay(
    account_id: str, region: str, start: datetime, end: datetime, *, settled_since: datetime | None = None
) -> int:
    """Evaluate the alarms of one account and region once a minute from ``start`` to ``end``
    (inclusive), as CloudWatch would have while the metrics of that window were written; return
    how many state changes that made.

    With ``settled_since`` the alarms take the state of the evaluation at ``start`` silently (no
    history, no actions), as in that state since ``settled_since``: the alarms of a platform that
    ran before its history begins, whose first evaluations would otherwise read a range without
    data. The same decisions as ``evaluate`` at each minute, but each alarm's metrics are read once
    for the whole window (once per alignment of its period to the minute), so three hours of
    history cost about what a few evaluations do."""
    install()
    backend = _backend(account_id, region)
    book = book_of(backend)
    first = _to_us(_aware(start))
    first -= first % 60_000_000
    last = _to_us(_aware(end))
    times = list(range(first, last + 1, 60_000_000))
    if not times:
        return 0
    changes = 0
    with book.lock:
        ranges: dict[str, list[list[Datapoint]]] = {}
        for alarm in book.alarms.values():
            if alarm.composite:
                continue
            try:
                ranges[alarm.name] = _ranges(backend, alarm.config, times)
            except Exception:
                logger.debug("replaying alarm %s failed", alarm.name, exc_info=True)
        for position, micros in enumerate(times):
            now = _from_us(micros)
            if position == 0 and settled_since is not None:
                _settle(
                    book,
                    {name: judge(book.alarms[name].config, line[0]) for name, line in ranges.items()},
                    now,
                    _aware(settled_since),
                )
                continue
            changed: list[AlarmRecord] = []
            for name in sorted(ranges):
                alarm = book.alarms[name]
                if _apply(book, alarm, judge(alarm.config, ranges[name][position]), now):
                    changed.append(alarm)
            before = {alarm.name: alarm.state for alarm in book.alarms.values() if alarm.composite}
            _propagate(book, changed, now)
            changes += len(changed) + sum(
                1 for alarm in book.alarms.values() if alarm.composite and before[alarm.name] != alarm.state
            )
    return changes


def _settle(book: AlarmBook, judgements: Mapping[str, _Judgement], now: datetime, since: datetime) -> None:
    """Give every alarm the state of its judgement (composites: of their rule) without history or
    actions, dated ``since``."""
    for name, judgement in judgements.items():
        alarm = book.alarms[name]
        if judgement.state is None:
            continue
        alarm.state = judgement.state
        alarm.reason, alarm.reason_data = explain(alarm.config, judgement, now)
        alarm.updated_at = alarm.transitioned_at = since
        alarm.manual = False
    for _ in range(len(book.alarms)):
        settled = True
        for alarm in book.alarms.values():
            if not alarm.composite:
                continue
            outcome = _composite_outcome(book, alarm, now, None)
            if outcome.state != alarm.state:
                settled = False
            alarm.state = outcome.state or alarm.state
            alarm.reason = f"{alarm.arn} was created and its alarm rule evaluates to {alarm.state}"
            alarm.reason_data = outcome.reason_data
            alarm.updated_at = alarm.transitioned_at = since
        if settled:
            break


def _ranges(backend: Any, config: Mapping[str, Any], times: Sequence[int]) -> list[list[Datapoint]]:
    """The evaluation range of a metric alarm at each of ``times`` (microseconds, whole minutes):
    slices of one list of datapoints per alignment of the period to the minute."""
    period_us = _period(config) * 1_000_000
    count = int(config["EvaluationPeriods"]) + EXTRA_PERIODS
    ends = [_range_end(config, micros) for micros in times]
    lines: dict[int, tuple[int, list[Datapoint]]] = {}
    for offset in sorted({end % period_us for end in ends}):
        aligned = [end for end in ends if end % period_us == offset]
        origin = min(aligned) - count * period_us
        grid = list(range(origin, max(aligned), period_us))
        values = period_values(backend, config, grid)
        line = [
            Datapoint(stamp, *values[stamp]) if stamp in values else Datapoint(stamp, None) for stamp in grid
        ]
        lines[offset] = (origin, line)
    out: list[list[Datapoint]] = []
    for end in ends:
        origin, line = lines[end % period_us]
        stop = (end - origin) // period_us
        out.append(line[stop - count : stop])
    return out


def with_composites(account_id: str, region: str, names: Sequence[str]) -> list[str]:
    """The alarms ``names`` that exist in one account and region, followed by the composite alarms
    whose rules name any of them (or, in turn, those composites)."""
    install()
    book = book_of(_backend(account_id, region))
    with book.lock:
        found = [name for name in names if name in book.alarms]
        queue = list(found)
        while queue:
            for parent in sorted(_parents(book, queue.pop(0)), key=lambda alarm: alarm.name):
                if parent.name not in found:
                    found.append(parent.name)
                    queue.append(parent.name)
    return found


def backdate(account_id: str, region: str, names: Iterable[str], at: datetime) -> None:
    """Date the creation of the alarms ``names`` at ``at``: their configuration and state times, and
    every history item they have so far (their creation, a composite's first evaluation), as
    alarms a team created before the simulator started would be."""
    at = _aware(at)
    book = book_of(_backend(account_id, region))
    wanted = set(names)
    with book.lock:
        for name in wanted:
            alarm = book.alarms.get(name)
            if alarm is None:
                continue
            alarm.configured_at = alarm.updated_at = alarm.transitioned_at = at
        for item in book.history:
            if item.alarm_name not in wanted:
                continue
            item.timestamp = at
            data = json.loads(item.data)
            alarm = book.alarms.get(item.alarm_name)
            if data.get("type") == "Create" and alarm is not None:
                data["createdAlarm"] = alarm.history_view()
                item.data = _json(data)
        book.history.sort(key=lambda entry: (entry.timestamp, entry.serial))


# --------------------------------------------------------------------------------------------
# Validation of PutMetricAlarm and PutCompositeAlarm
# --------------------------------------------------------------------------------------------


def _check_period(period: Any, where: str) -> int:
    try:
        value = int(period)
    except (TypeError, ValueError):
        raise _validation(f"The parameter {where} must be an integer.") from None
    if value not in (10, 20, 30) and (value < 60 or value % 60):
        raise _validation(f"The parameter {where} must be 10, 20, 30 or a multiple of 60.")
    return value


def _check_statistic(stat: str, where: str) -> None:
    if stat in _BASIC_STATISTICS or _PERCENTILE.match(stat):
        return
    raise _invalid_value(f"The value {stat} for parameter {where} is not supported.")


def _normalise_query(query: Mapping[str, Any], position: int) -> dict[str, Any]:
    where = f"Metrics.member.{position}"
    out: dict[str, Any] = {}
    query_id = query.get("Id")
    if not query_id or not _QUERY_ID.match(str(query_id)):
        raise _validation(
            f"The value {query_id} for parameter {where}.Id is invalid: it must start with a lowercase "
            "letter and contain only letters, numbers and underscores."
        )
    out["Id"] = str(query_id)
    if ("MetricStat" in query) == ("Expression" in query):
        raise _validation(f"Exactly one of {where}.MetricStat and {where}.Expression must be set.")
    if "MetricStat" in query:
        stat = query["MetricStat"]
        metric = stat.get("Metric") or {}
        if not metric.get("Namespace") or not metric.get("MetricName"):
            raise _validation(f"{where}.MetricStat.Metric needs a Namespace and a MetricName.")
        _check_statistic(str(stat.get("Stat")), f"{where}.MetricStat.Stat")
        shaped: dict[str, Any] = {
            "Metric": {
                "Namespace": metric["Namespace"],
                "MetricName": metric["MetricName"],
                "Dimensions": [
                    {"Name": item["Name"], "Value": item["Value"]} for item in metric.get("Dimensions") or []
                ],
            },
            "Period": _check_period(stat.get("Period"), f"{where}.MetricStat.Period"),
            "Stat": stat["Stat"],
        }
        if stat.get("Unit"):
            shaped["Unit"] = stat["Unit"]
        out["MetricStat"] = shaped
    else:
        expression = str(query["Expression"])
        if "ANOMALY_DETECTION_BAND" in expression.upper():
            raise _validation(
                "The simulator does not evaluate anomaly detection bands (ANOMALY_DETECTION_BAND)."
            )
        if expression.lstrip().upper().startswith("SELECT"):
            raise _validation("The simulator does not evaluate alarms on Metrics Insights queries.")
        out["Expression"] = expression
    if query.get("Label") is not None:
        out["Label"] = query["Label"]
    out["ReturnData"] = bool(query.get("ReturnData", True))
    if query.get("Period") is not None:
        out["Period"] = int(query["Period"])
    if query.get("AccountId") is not None:
        out["AccountId"] = query["AccountId"]
    return out


def _check_math(queries: list[dict[str, Any]]) -> None:
    """Parse every expression once against an empty range, so a broken one fails at Put."""
    from tui.sim.extensions import cloudwatch as cw

    ids = [query["Id"] for query in queries]
    if len(set(ids)) != len(ids):
        raise _validation("The Ids of Metrics must be unique.")
    series = {query["Id"]: {0: 1.0} for query in queries if "MetricStat" in query}
    periods = {query["Id"]: int(query["MetricStat"]["Period"]) for query in queries if "MetricStat" in query}
    math_queries = {query["Id"]: query for query in queries if "Expression" in query}
    for query_id in math_queries:
        try:
            cw.evaluate_math(query_id, math_queries, series, periods, lambda name: [0])
        except Exception as exc:
            message = getattr(exc, "message", None) or str(exc)
            if "Division by zero" in message:
                continue
            raise _validation(str(message)) from None


def normalise_metric_alarm(params: Mapping[str, Any]) -> dict[str, Any]:
    """PutMetricAlarm's parameters, checked as CloudWatch checks them, with defaults filled in."""
    name = params.get("AlarmName")
    if not name or not isinstance(name, str) or len(name) > 255:
        raise _validation("The parameter AlarmName must be between 1 and 255 characters long.")
    operator_name = params.get("ComparisonOperator")
    if operator_name in _BAND_COMPARISONS:
        raise _validation(
            f"The simulator does not evaluate anomaly detection bands: ComparisonOperator {operator_name} "
            "needs one (ThresholdMetricId)."
        )
    if operator_name not in _COMPARISONS:
        raise _validation(
            f"Value '{operator_name}' at 'comparisonOperator' failed to satisfy constraint: Member must "
            f"satisfy enum value set: [{', '.join(list(_COMPARISONS) + list(_BAND_COMPARISONS))}]"
        )
    if params.get("ThresholdMetricId"):
        raise _validation("The simulator does not evaluate anomaly detection bands (ThresholdMetricId).")
    if params.get("Threshold") is None:
        raise _validation("The parameter Threshold is required.")
    periods = params.get("EvaluationPeriods")
    if periods is None or int(periods) < 1:
        raise _validation("The parameter EvaluationPeriods must be at least 1.")
    n = int(periods)
    m = params.get("DatapointsToAlarm")
    if m is not None and not 1 <= int(m) <= n:
        raise _validation("DatapointsToAlarm must be between 1 and EvaluationPeriods.")
    treatment = params.get("TreatMissingData")
    if treatment is not None and treatment not in TREATMENTS:
        raise _validation(
            f"The value {treatment} for parameter TreatMissingData is not valid: use one of "
            f"{', '.join(TREATMENTS)}."
        )
    low_samples = params.get("EvaluateLowSampleCountPercentile")
    if low_samples not in (None, "", "evaluate", "ignore"):
        raise _validation(
            f"Option {low_samples} is not supported. Supported options for parameter "
            "EvaluateLowSampleCountPercentile are evaluate and ignore."
        )
    config: dict[str, Any] = {
        "AlarmName": name,
        "AlarmDescription": params.get("AlarmDescription"),
        "ActionsEnabled": True if params.get("ActionsEnabled") is None else bool(params["ActionsEnabled"]),
        "OKActions": list(params.get("OKActions") or []),
        "AlarmActions": list(params.get("AlarmActions") or []),
        "InsufficientDataActions": list(params.get("InsufficientDataActions") or []),
        "EvaluationPeriods": n,
        "DatapointsToAlarm": None if m is None else int(m),
        "Threshold": float(params["Threshold"]),
        "ComparisonOperator": operator_name,
        "TreatMissingData": treatment,
        "EvaluateLowSampleCountPercentile": low_samples or None,
    }
    metrics = params.get("Metrics") or []
    single = any(params.get(key) for key in ("MetricName", "Namespace", "Statistic", "ExtendedStatistic"))
    if metrics and single:
        raise _combination(
            "The parameters MetricName, Namespace, Statistic, ExtendedStatistic, Dimensions, Period and Unit "
            "cannot be given together with Metrics."
        )
    if metrics:
        queries = [_normalise_query(query, position) for position, query in enumerate(metrics, start=1)]
        returned = [query for query in queries if query["ReturnData"]]
        if len(returned) != 1:
            raise _validation("Exactly one element of the metrics list should return data.")
        stat_periods = {query["MetricStat"]["Period"] for query in queries if "MetricStat" in query}
        if not stat_periods and not any(query.get("Period") for query in queries):
            raise _validation("Metrics must include at least one MetricStat with a Period.")
        if len(stat_periods) > 1:
            raise _validation("All metrics in an alarm's Metrics must use the same Period.")
        if sum(1 for query in queries if "MetricStat" in query) > MAX_METRICS:
            raise _validation(f"An alarm's math expression can use at most {MAX_METRICS} metrics.")
        _check_math(queries)
        config["Metrics"] = queries
        config["Dimensions"] = []
        period = _period(config)
    else:
        for key in ("MetricName", "Namespace"):
            if not params.get(key):
                raise _validation(f"The parameter {key} is required.")
        statistic, extended = params.get("Statistic"), params.get("ExtendedStatistic")
        if bool(statistic) == bool(extended):
            raise _combination("Exactly one of the parameters Statistic and ExtendedStatistic must be given.")
        if statistic:
            if statistic not in _BASIC_STATISTICS:
                raise _validation(
                    f"Value '{statistic}' at 'statistic' failed to satisfy constraint: Member must satisfy "
                    f"enum value set: [{', '.join(_BASIC_STATISTICS)}]"
                )
        else:
            _check_statistic(str(extended), "ExtendedStatistic")
        period = _check_period(params.get("Period"), "Period")
        config.update(
            {
                "MetricName": params["MetricName"],
                "Namespace": params["Namespace"],
                "Statistic": statistic or None,
                "ExtendedStatistic": extended or None,
                "Dimensions": [
                    {"Name": item["Name"], "Value": item["Value"]} for item in params.get("Dimensions") or []
                ],
                "Period": period,
                "Unit": params.get("Unit"),
            }
        )
    if n * period > MAX_EVALUATION_SECONDS:
        raise _validation("The evaluation interval (Period x EvaluationPeriods) cannot exceed 7 days.")
    return config


def normalise_composite_alarm(params: Mapping[str, Any], book: AlarmBook) -> tuple[dict[str, Any], _Term]:
    name = params.get("AlarmName")
    if not name or not isinstance(name, str) or len(name) > 255:
        raise _validation("The parameter AlarmName must be between 1 and 255 characters long.")
    text = params.get("AlarmRule")
    if not text:
        raise _validation("The parameter AlarmRule is required.")
    if len(text) > 10_240:
        raise _validation("The AlarmRule can hold at most 10240 characters.")
    try:
        rule = parse_rule(str(text))
    except RuleError as exc:
        raise _validation(f"Error in the AlarmRule: {exc}") from None
    children = []
    for term in rule_children(rule):
        child = book.name_of(term.alarm)
        if child not in children:
            children.append(child)
    if len(children) > 100:
        raise _validation("An AlarmRule can name at most 100 alarms.")
    missing = [child for child in children if child not in book.alarms and child != name]
    if missing:
        raise _validation(
            f"Could not save the composite alarm as alarms [{', '.join(missing)}] in the alarm rule "
            "do not exist"
        )
    if name in children:
        raise _validation("A composite alarm cannot name itself in its AlarmRule.")
    config = {
        "AlarmName": name,
        "AlarmDescription": params.get("AlarmDescription"),
        "ActionsEnabled": True if params.get("ActionsEnabled") is None else bool(params["ActionsEnabled"]),
        "OKActions": list(params.get("OKActions") or []),
        "AlarmActions": list(params.get("AlarmActions") or []),
        "InsufficientDataActions": list(params.get("InsufficientDataActions") or []),
        "AlarmRule": str(text),
        "ActionsSuppressor": params.get("ActionsSuppressor"),
        "ActionsSuppressorWaitPeriod": params.get("ActionsSuppressorWaitPeriod"),
        "ActionsSuppressorExtensionPeriod": params.get("ActionsSuppressorExtensionPeriod"),
    }
    return config, rule


# --------------------------------------------------------------------------------------------
# The API: moto's CloudWatchResponse methods, answered from the book
# --------------------------------------------------------------------------------------------


def _tags(backend: Any, arn: str, tags: Sequence[Mapping[str, str]] | None) -> None:
    if tags:
        backend.tagger.tag_resource(arn, [{"Key": tag["Key"], "Value": tag["Value"]} for tag in tags])


def _moto_anchor(backend: Any, alarm: AlarmRecord) -> None:
    """A moto Alarm under the same name, so moto's tagging (and anything else that lists
    ``backend.alarms``) still finds the alarm."""
    from moto.cloudwatch.models import Alarm

    config = alarm.config
    backend.alarms[alarm.name] = Alarm(
        account_id=backend.account_id,
        region_name=backend.region_name,
        name=alarm.name,
        namespace=config.get("Namespace") or "",
        metric_name=config.get("MetricName") or "",
        metric_data_queries=None,
        comparison_operator=config.get("ComparisonOperator") or "",
        evaluation_periods=int(config.get("EvaluationPeriods") or 0),
        datapoints_to_alarm=config.get("DatapointsToAlarm"),
        period=int(config.get("Period") or 0),
        threshold=float(config.get("Threshold") or 0.0),
        statistic=config.get("Statistic") or "",
        extended_statistic=config.get("ExtendedStatistic"),
        description=config.get("AlarmDescription") or "",
        dimensions=list(config.get("Dimensions") or []),
        alarm_actions=list(config.get("AlarmActions") or []),
        ok_actions=list(config.get("OKActions") or []),
        insufficient_data_actions=list(config.get("InsufficientDataActions") or []),
        unit=config.get("Unit"),
        actions_enabled=alarm.actions_enabled,
        treat_missing_data=config.get("TreatMissingData"),
        evaluate_low_sample_count_percentile=config.get("EvaluateLowSampleCountPercentile"),
        threshold_metric_id=None,
        rule=config.get("AlarmRule"),
    )


def _store(
    backend: Any, book: AlarmBook, config: dict[str, Any], alarm_type: str, rule: Any, at: datetime
) -> AlarmRecord:
    name = config["AlarmName"]
    existing = book.alarms.get(name)
    if existing is not None and existing.alarm_type != alarm_type:
        kind = "a composite" if existing.composite else "a metric"
        raise _validation(f"An alarm named {name} exists already as {kind} alarm.")
    if existing is None:
        alarm = AlarmRecord(
            name=name,
            arn=book.arn(name),
            alarm_type=alarm_type,
            config=config,
            configured_at=at,
            updated_at=at,
            transitioned_at=at,
            actions_enabled=bool(config["ActionsEnabled"]),
            manual=alarm_type == METRIC_ALARM,
            rule=rule,
        )
        book.alarms[name] = alarm
        _configuration_item(book, alarm, "Create", at)
    else:
        alarm = existing
        alarm.config = config
        alarm.rule = rule
        alarm.configured_at = at
        alarm.actions_enabled = bool(config["ActionsEnabled"])
        _configuration_item(book, alarm, "Update", at)
    _moto_anchor(backend, alarm)
    return alarm


def _params(response: Any) -> dict[str, Any]:
    params: dict[str, Any] = response._get_params()
    return params


def _put_metric_alarm(self: Any) -> Any:
    from moto.core.responses import EmptyResult

    params = _params(self)
    backend = self.cloudwatch_backend
    book = book_of(backend)
    config = normalise_metric_alarm(params)
    with book.lock:
        _store(backend, book, config, METRIC_ALARM, None, api_clock())
    _tags(backend, book.arn(config["AlarmName"]), params.get("Tags"))
    return EmptyResult()


def _put_composite_alarm(self: Any) -> Any:
    from moto.core.responses import EmptyResult

    params = _params(self)
    backend = self.cloudwatch_backend
    book = book_of(backend)
    now = api_clock()
    with book.lock:
        config, rule = normalise_composite_alarm(params, book)
        created = config["AlarmName"] not in book.alarms
        alarm = _store(backend, book, config, COMPOSITE_ALARM, rule, now)
        outcome = _composite_outcome(book, alarm, now, None)
        if not created:
            outcome = Outcome(
                outcome.state,
                f"{alarm.arn} was updated and its alarm rule evaluates to {outcome.state}",
                outcome.reason_data,
            )
        if outcome.state is not None and _set_state(
            book, alarm, outcome.state, outcome.reason, outcome.reason_data, now
        ):
            _propagate(book, [alarm], now)
    _tags(backend, alarm.arn, params.get("Tags"))
    return EmptyResult()


def _max_records(value: Any, default: int) -> int:
    if value is None:
        return default
    count = int(value)
    if not 1 <= count <= MAX_RECORDS:
        raise _validation(
            f"1 validation error detected: Value '{count}' at 'maxRecords' failed to satisfy constraint: "
            f"Member must have value between 1 and {MAX_RECORDS}"
        )
    return count


def _page(items: Sequence[Any], kind: str, token: str | None, size: int) -> tuple[list[Any], str | None]:
    offset = 0
    if token:
        try:
            offset = decode_offset_token(kind, token)
        except ValueError:
            raise service_error("InvalidNextToken", "The service returned an invalid NextToken.") from None
    page = list(items[offset : offset + size])
    more = offset + size < len(items)
    return page, encode_offset_token(kind, offset + size) if more else None


def _types(value: Any) -> tuple[str, ...]:
    wanted = tuple(value or ()) or (METRIC_ALARM,)
    for item in wanted:
        if item not in (*ALARM_TYPES, "LogAlarm"):
            raise _validation(
                f"Value '{item}' at 'alarmTypes' failed to satisfy constraint: Member must satisfy enum "
                "value "
                "set: [CompositeAlarm, MetricAlarm, LogAlarm]"
            )
    return wanted


def _describe_alarms(self: Any) -> Any:
    from moto.core.responses import ActionResult

    params = _params(self)
    book = book_of(self.cloudwatch_backend)
    names = list(params.get("AlarmNames") or [])
    prefix = params.get("AlarmNamePrefix")
    state = params.get("StateValue")
    action_prefix = params.get("ActionPrefix")
    children_of = params.get("ChildrenOfAlarmName")
    parents_of = params.get("ParentsOfAlarmName")
    size = _max_records(params.get("MaxRecords"), DESCRIBE_PAGE)
    if names and prefix:
        raise _combination("The parameters AlarmNames and AlarmNamePrefix cannot be given together.")
    if len(names) > 100:
        raise _validation("AlarmNames can name at most 100 alarms.")
    if state is not None and state not in STATES:
        raise _validation(
            f"1 validation error detected: Value '{state}' at 'stateValue' failed to satisfy constraint: "
            "Member must satisfy enum value set: [INSUFFICIENT_DATA, ALARM, OK]"
        )
    others = [names, prefix, state, action_prefix, params.get("AlarmTypes")]
    with book.lock:
        if children_of or parents_of:
            if (children_of and parents_of) or any(others):
                raise _validation(
                    "ChildrenOfAlarmName and ParentsOfAlarmName cannot be combined with other parameters"
                    " than MaxRecords and NextToken."
                )
            if children_of:
                parent = book.alarms.get(children_of)
                names_in = [] if parent is None or not parent.composite else rule_children(parent.rule)
                wanted = {book.name_of(term.alarm) for term in names_in}
                found = [book.alarms[name] for name in sorted(wanted) if name in book.alarms]
                fields: tuple[str, ...] = ("AlarmName", "AlarmArn", "StateValue", "StateUpdatedTimestamp")
            else:
                found = sorted(_parents(book, str(parents_of)), key=lambda alarm: alarm.name)
                fields = ("AlarmName", "AlarmArn")
            page, token = _page(found, "alarms-related", params.get("NextToken"), size)
            metric: list[dict[str, Any]] = []
            composite: list[dict[str, Any]] = []
            for alarm in page:
                described = {key: value for key, value in alarm.describe().items() if key in fields}
                (composite if alarm.composite else metric).append(described)
            return ActionResult({"MetricAlarms": metric, "CompositeAlarms": composite, "NextToken": token})
        types = _types(params.get("AlarmTypes"))
        found = []
        for alarm in sorted(book.alarms.values(), key=lambda item: item.name):
            if alarm.alarm_type not in types:
                continue
            if names and alarm.name not in names:
                continue
            if prefix and not alarm.name.startswith(prefix):
                continue
            if state and alarm.state != state:
                continue
            if action_prefix and not any(
                action.startswith(action_prefix)
                for action in alarm.actions_for(ALARM)
                + alarm.actions_for(OK)
                + alarm.actions_for(INSUFFICIENT_DATA)
            ):
                continue
            found.append(alarm)
        page, token = _page(found, "alarms", params.get("NextToken"), size)
        metric = [alarm.describe() for alarm in page if not alarm.composite]
        composite = [alarm.describe() for alarm in page if alarm.composite]
    return ActionResult({"MetricAlarms": metric, "CompositeAlarms": composite, "NextToken": token})


def _describe_alarms_for_metric(self: Any) -> Any:
    from moto.core.responses import ActionResult

    params = _params(self)
    book = book_of(self.cloudwatch_backend)
    namespace, metric_name = params.get("Namespace"), params.get("MetricName")
    dims = params.get("Dimensions")
    wanted_dims = None if dims is None else sorted((item["Name"], item["Value"]) for item in dims)
    with book.lock:
        found = []
        for alarm in sorted(book.alarms.values(), key=lambda item: item.name):
            config = alarm.config
            if alarm.composite or config.get("Metrics"):
                continue
            if config.get("Namespace") != namespace or config.get("MetricName") != metric_name:
                continue
            if params.get("Statistic") and config.get("Statistic") != params["Statistic"]:
                continue
            if (
                params.get("ExtendedStatistic")
                and config.get("ExtendedStatistic") != params["ExtendedStatistic"]
            ):
                continue
            if params.get("Period") and config.get("Period") != int(params["Period"]):
                continue
            have = sorted((item["Name"], item["Value"]) for item in config.get("Dimensions") or [])
            if wanted_dims is not None and have != wanted_dims:
                continue
            found.append(alarm.describe())
    return ActionResult({"MetricAlarms": found})


def _describe_alarm_history(self: Any) -> Any:
    from moto.core.responses import ActionResult

    params = _params(self)
    book = book_of(self.cloudwatch_backend)
    name = params.get("AlarmName")
    item_type = params.get("HistoryItemType")
    if item_type is not None and item_type not in (
        *HISTORY_TYPES,
        "AlarmContributorStateUpdate",
        "AlarmContributorAction",
    ):
        raise _validation(
            f"1 validation error detected: Value '{item_type}' at 'historyItemType' failed to satisfy "
            "constraint: Member must satisfy enum value set: [ConfigurationUpdate, StateUpdate, Action, "
            "AlarmContributorStateUpdate, AlarmContributorAction]"
        )
    scan_by = params.get("ScanBy") or "TimestampDescending"
    if scan_by not in ("TimestampDescending", "TimestampAscending"):
        raise _validation(
            f"1 validation error detected: Value '{scan_by}' at 'scanBy' failed to satisfy constraint: "
            "Member must satisfy enum value set: [TimestampDescending, TimestampAscending]"
        )
    types = _types(params.get("AlarmTypes"))
    start = params.get("StartDate")
    end = params.get("EndDate")
    start = None if start is None else _aware(start)
    end = None if end is None else _aware(end)
    if start is not None and end is not None and start > end:
        raise _validation("The parameter StartDate must not be after EndDate.")
    size = _max_records(params.get("MaxRecords"), HISTORY_PAGE)
    with book.lock:
        items = [
            item
            for item in book.history
            if (name is None or item.alarm_name == name)
            and item.alarm_type in types
            and (item_type is None or item.item_type == item_type)
            and (start is None or item.timestamp >= start)
            and (end is None or item.timestamp <= end)
        ]
    items.sort(key=lambda item: (item.timestamp, item.serial), reverse=scan_by == "TimestampDescending")
    page, token = _page(items, f"history-{scan_by}", params.get("NextToken"), size)
    return ActionResult({"AlarmHistoryItems": [item.describe() for item in page], "NextToken": token})


def _named(book: AlarmBook, names: Sequence[str]) -> list[AlarmRecord]:
    if len(names) > 100:
        raise _validation("AlarmNames can name at most 100 alarms.")
    return [book.alarms[name] for name in names if name in book.alarms]


def _set_actions(self: Any, enabled: bool) -> Any:
    from moto.core.responses import EmptyResult

    params = _params(self)
    backend = self.cloudwatch_backend
    book = book_of(backend)
    with book.lock:
        for alarm in _named(book, list(params.get("AlarmNames") or [])):
            alarm.actions_enabled = enabled
            alarm.config["ActionsEnabled"] = enabled
            anchor = backend.alarms.get(alarm.name)
            if anchor is not None:
                anchor.actions_enabled = enabled
    return EmptyResult()


def _disable_alarm_actions(self: Any) -> Any:
    return _set_actions(self, False)


def _enable_alarm_actions(self: Any) -> Any:
    return _set_actions(self, True)


def _delete_alarms(self: Any) -> Any:
    from moto.core.responses import EmptyResult

    params = _params(self)
    backend = self.cloudwatch_backend
    book = book_of(backend)
    names = list(params.get("AlarmNames") or [])
    now = api_clock()
    with book.lock:
        doomed = _named(book, names)
        if sum(1 for alarm in doomed if alarm.composite) > 1:
            raise _validation("DeleteAlarms can delete at most one composite alarm at a time.")
        leaving = {alarm.name for alarm in doomed}
        for alarm in doomed:
            users = [parent.name for parent in _parents(book, alarm.name) if parent.name not in leaving]
            if users:
                raise service_error(
                    "ResourceConflict",
                    f"Alarm {alarm.name} is referenced by the composite alarm(s) {', '.join(sorted(users))}.",
                )
        for alarm in doomed:
            del book.alarms[alarm.name]
            backend.alarms.pop(alarm.name, None)
            _configuration_item(book, alarm, "Delete", now)
    return EmptyResult()


def _set_alarm_state(self: Any) -> Any:
    from moto.core.responses import EmptyResult

    params = _params(self)
    book = book_of(self.cloudwatch_backend)
    name = params.get("AlarmName")
    state = params.get("StateValue")
    reason = params.get("StateReason")
    reason_data = params.get("StateReasonData")
    if reason_data is not None:
        try:
            json.loads(reason_data)
        except ValueError:
            raise _exceptions().InvalidFormat("StateReasonData is not valid JSON.") from None
    if state not in STATES:
        raise _validation(
            "1 validation error detected: "
            f"Value '{state}' at 'stateValue' failed to satisfy constraint: "
            "Member must satisfy enum value set: [INSUFFICIENT_DATA, ALARM, OK]"
        )
    if reason is None:
        raise _validation("The parameter StateReason is required.")
    now = api_clock()
    with book.lock:
        alarm = book.alarms.get(str(name))
        if alarm is None:
            raise _exceptions().ResourceNotFound(f"Alarm {name} not found")
        if _set_state(book, alarm, state, str(reason), reason_data, now, manual=not alarm.composite):
            _propagate(book, [alarm], now)
    return EmptyResult()


# --------------------------------------------------------------------------------------------
# Registration
# --------------------------------------------------------------------------------------------

RESPONSE_METHODS: dict[str, Callable[..., Any]] = {
    "put_metric_alarm": _put_metric_alarm,
    "describe_alarms": _describe_alarms,
    "describe_alarms_for_metric": _describe_alarms_for_metric,
    "delete_alarms": _delete_alarms,
    "disable_alarm_actions": _disable_alarm_actions,
    "enable_alarm_actions": _enable_alarm_actions,
    "set_alarm_state": _set_alarm_state,
}
"""moto's CloudWatchResponse methods this module replaces (each takes only ``self``)."""
NEW_METHODS: dict[str, Callable[..., Any]] = {
    "put_composite_alarm": _put_composite_alarm,
    "describe_alarm_history": _describe_alarm_history,
}
"""Actions moto 5.2 does not have, added to CloudWatchResponse."""
EXPECTED_ALARM_PARAMETERS = (
    "self",
    "account_id",
    "region_name",
    "name",
    "namespace",
    "metric_name",
    "metric_data_queries",
    "comparison_operator",
    "evaluation_periods",
    "datapoints_to_alarm",
    "period",
    "threshold",
    "statistic",
    "extended_statistic",
    "description",
    "dimensions",
    "alarm_actions",
    "ok_actions",
    "insufficient_data_actions",
    "unit",
    "actions_enabled",
    "treat_missing_data",
    "evaluate_low_sample_count_percentile",
    "threshold_metric_id",
    "rule",
)
"""moto's ``Alarm.__init__`` parameters, which ``_moto_anchor`` passes by name."""


def install() -> None:
    """Answer moto's alarm actions from the alarm books (idempotent)."""
    if moto_originals.get("installed"):
        return
    import inspect

    from moto.cloudwatch.models import Alarm
    from moto.cloudwatch.responses import CloudWatchResponse

    with _install_lock:
        if moto_originals.get("installed"):
            return
        parameters = tuple(inspect.signature(Alarm.__init__).parameters)
        if parameters != EXPECTED_ALARM_PARAMETERS:
            raise RuntimeError(f"moto's Alarm{parameters} changed: the alarms extension needs updating")
        for name, function in RESPONSE_METHODS.items():
            current = CloudWatchResponse.__dict__.get(name)
            if current is None:
                raise RuntimeError(
                    f"moto's CloudWatchResponse.{name} is gone: the alarms extension needs updating"
                )
            if current is function:
                continue
            if tuple(inspect.signature(current).parameters) != ("self",):
                raise RuntimeError(
                    f"moto's CloudWatchResponse.{name} changed: the alarms extension needs updating"
                )
            moto_originals.setdefault(name, current)
            setattr(CloudWatchResponse, name, function)
        for name, function in NEW_METHODS.items():
            current = CloudWatchResponse.__dict__.get(name)
            if current is not None and current is not function:
                raise RuntimeError(
                    f"moto now has CloudWatchResponse.{name}: review the alarms extension against it"
                )
            setattr(CloudWatchResponse, name, function)
        moto_originals["installed"] = True
    logger.debug("CloudWatch alarms installed")
