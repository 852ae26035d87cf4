"""The CloudWatch alarms the teams keep on the seeded payments platform, and their SNS topics.

``build_alarms`` turns the fleet into the alarms a team running it would have (pure: the same
fleet gives the same alarms), named by the ``ALARM_*`` patterns of ``tui.common.catalogue`` and
paging the team that owns each resource (``catalog.ALARMS``):

* per instance group (the Service tag): average CPU of the hottest instance at or above 80% for
  3 of 3 five-minute periods;
* per Linux instance: the CloudWatch agent's mem_used_percent at or above 90% in 2 of 3 minutes;
  per Nitro Linux instance: any packet shaped by the ENA bandwidth allowances
  (ethtool_bw_in/out_allowance_exceeded) in a five-minute period;
* per gp2 volume: BurstBalance at or below 20% for 3 of 3 five-minute periods (an idle volume
  sends none: its alarm sits in INSUFFICIENT_DATA, as AWS's documentation warns);
* per database host: EBS throughput at or above 95% of the instance's maximum, and EBSIOBalance%
  at or below 20%, in 2 of 3 minutes;
* per stream: GetRecords.IteratorAgeMilliseconds at half the retention period for 5 of 5 minutes;
  throttled writes at or above 5% of the writes in 2 of 3 minutes; the scale-up and scale-down
  alarms of aws-samples/kinesis-auto-scaling (its metric math, thresholds and M of N, with the
  shard count of the stream and a scale-down block at 30 minutes of iterator age, as
  ``tui.aws.kinesis_math.ScalingRule`` reads them);
* per enhanced fan-out reader: its lag growing at 0.9 ms or more per ms (RATE of
  SubscribeToShardEvent.MillisBehindLatest) in 2 of 3 minutes;
* per Lambda reader: Errors at or above 5% of Invocations in 2 of 3 minutes;
* ``payments-degraded``: a composite alarm, ALARM when any payments alarm that means customers wait
  or fail is in ALARM.

The fault-related alarms decide within 2 one-minute periods of a fault's signal, so every fault of
the default game day (30 scenario minutes at speed 10: 3 wall minutes) drives them to ALARM.
``plan_alarms`` names them with their topics' ARNs (no API call); ``put_alarms`` creates the teams'
topics and puts the alarms through the API.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from tui.common import catalogue as cat
from tui.sim.catalog import ALARMS, SHARD_WRITE_BYTES, SHARD_WRITE_RECORDS, AlarmPlan, StreamSpec
from tui.sim.metricgen import FleetModel, InstanceModel

CPU_HIGH_PCT = 80.0
MEMORY_HIGH_PCT = 90.0
BURST_BALANCE_LOW_PCT = 20.0
EBS_AT_MAX_PCT = 95.0
EBS_IO_BALANCE_LOW_PCT = 20.0
WRITE_THROTTLED_PCT = 5.0
FUNCTION_ERROR_PCT = 5.0
FALLING_BEHIND_MS_PER_MS = 0.9
ITERATOR_AGE_RETENTION_SHARE = 0.5
# aws-samples/kinesis-auto-scaling (kinesis_scaling_cf.yaml): its default thresholds and windows.
SCALE_UP_AT = 0.75
SCALE_DOWN_BELOW = 0.25
SCALE_PERIOD_S = 300
SCALE_UP_POINTS = (5, 5)
SCALE_DOWN_POINTS = (57, 60)
SCALE_DOWN_BLOCK_MINUTES = 30
DATABASE_ROLE = "database"


@dataclass(frozen=True)
class AlarmSpec:
    """One alarm: its name, PutMetricAlarm's (or, ``composite``, PutCompositeAlarm's) other
    parameters, and the resource it watches (kind and id)."""

    name: str
    params: Mapping[str, Any]
    resource_kind: str
    resource_id: str
    composite: bool = False
    pages: tuple[str, ...] = field(default=())
    """The names of the teams it notifies."""


def _metric(namespace: str, name: str, dims: Sequence[tuple[str, str]]) -> dict[str, Any]:
    return {
        "Namespace": namespace,
        "MetricName": name,
        "Dimensions": [{"Name": key, "Value": value} for key, value in dims],
    }


def _stat(query_id: str, metric: dict[str, Any], stat: str, period: int, label: str) -> dict[str, Any]:
    return {
        "Id": query_id,
        "Label": label,
        "ReturnData": False,
        "MetricStat": {"Metric": metric, "Period": period, "Stat": stat},
    }


def _expr(query_id: str, expression: str, label: str, *, returned: bool = False) -> dict[str, Any]:
    return {"Id": query_id, "Label": label, "ReturnData": returned, "Expression": expression}


def _stream_service(stream: StreamSpec) -> str:
    return stream.name.split("-")[0]


def scaling_topic_name(plan: AlarmPlan = ALARMS) -> str:
    """The SNS topic of the Kinesis scaling solution's stack, as its template names it."""
    return f"{plan.scaling_stack}-kinesis-scaling-topic"


class _Builder:
    def __init__(
        self, fleet: FleetModel, topics: Mapping[str, str], scaling_topic: str, plan: AlarmPlan
    ) -> None:
        self.fleet = fleet
        self.topics = topics
        self.scaling_topic = scaling_topic
        self.plan = plan
        self.out: list[AlarmSpec] = []

    def add(
        self,
        name: str,
        service: str,
        resource: tuple[str, str],
        description: str,
        **params: Any,
    ) -> None:
        team = self.plan.team_of(service)
        actions = [self.topics[team.name]]
        full = {
            "AlarmDescription": description,
            "ActionsEnabled": True,
            "AlarmActions": actions,
            "OKActions": actions,
            **params,
        }
        self.out.append(AlarmSpec(name, full, resource[0], resource[1], pages=(team.name,)))

    # ---- EC2 and EBS ----------------------------------------------------------------------

    def cpu(self) -> None:
        groups: dict[str, list[InstanceModel]] = {}
        for model in self.fleet.instances:
            if model.spec.running:
                groups.setdefault(model.spec.service, []).append(model)
        for service, models in groups.items():
            name = cat.ALARM_CPU_HIGH.format(service=service)
            description = (
                f"CPU of the {service} instances: the busiest at or above {CPU_HIGH_PCT:g}% for 15 minutes"
            )
            common = {
                "EvaluationPeriods": 3,
                "DatapointsToAlarm": 3,
                "Threshold": CPU_HIGH_PCT,
                "ComparisonOperator": "GreaterThanOrEqualToThreshold",
                "TreatMissingData": "missing",
            }
            if len(models) == 1:
                iid = models[0].instance_id
                self.add(
                    name,
                    service,
                    ("instance", iid),
                    description,
                    Namespace="AWS/EC2",
                    MetricName="CPUUtilization",
                    Dimensions=[{"Name": "InstanceId", "Value": iid}],
                    Statistic="Average",
                    Period=300,
                    **common,
                )
                continue
            metrics = [
                _stat(
                    f"m{index}",
                    _metric("AWS/EC2", "CPUUtilization", (("InstanceId", model.instance_id),)),
                    "Average",
                    300,
                    model.spec.name,
                )
                for index, model in enumerate(models, start=1)
            ]
            ids = ",".join(query["Id"] for query in metrics)
            metrics.append(_expr("e1", f"MAX([{ids}])", "BusiestInstanceCPU", returned=True))
            self.add(name, service, ("service", service), description, Metrics=metrics, **common)

    def memory_and_network(self) -> None:
        for model in self.fleet.instances:
            spec = model.spec
            if not spec.running or spec.windows:
                continue
            iid = model.instance_id
            self.add(
                cat.ALARM_MEMORY_HIGH.format(instance=spec.name),
                spec.service,
                ("instance", iid),
                f"{spec.name}: memory in use (CloudWatch agent) at or above {MEMORY_HIGH_PCT:g}%",
                Namespace="CWAgent",
                MetricName="mem_used_percent",
                Dimensions=[{"Name": "InstanceId", "Value": iid}],
                Statistic="Average",
                Period=60,
                EvaluationPeriods=3,
                DatapointsToAlarm=2,
                Threshold=MEMORY_HIGH_PCT,
                ComparisonOperator="GreaterThanOrEqualToThreshold",
                TreatMissingData="missing",
            )
            if not spec.facts.nitro:
                continue
            eth = (("InstanceId", iid), ("driver", "ena"), ("interface", "eth0"))
            self.add(
                cat.ALARM_NETWORK_ALLOWANCE.format(instance=spec.name),
                spec.service,
                ("instance", iid),
                f"{spec.name}: packets shaped by the instance's bandwidth allowance (ENA)",
                Metrics=[
                    _stat(
                        "m1", _metric("CWAgent", "ethtool_bw_in_allowance_exceeded", eth), "Sum", 300, "In"
                    ),
                    _stat(
                        "m2", _metric("CWAgent", "ethtool_bw_out_allowance_exceeded", eth), "Sum", 300, "Out"
                    ),
                    _expr("e1", "FILL(m1,0)+FILL(m2,0)", "PacketsShaped", returned=True),
                ],
                EvaluationPeriods=1,
                DatapointsToAlarm=1,
                Threshold=0.0,
                ComparisonOperator="GreaterThanThreshold",
                TreatMissingData="notBreaching",
            )

    def volumes(self) -> None:
        for model in self.fleet.instances:
            if not model.spec.running:
                continue
            for volume in model.volumes:
                if volume.spec.volume_type != "gp2":
                    continue
                self.add(
                    cat.ALARM_BURST_BALANCE_LOW.format(volume=volume.spec.name),
                    model.spec.service,
                    ("volume", volume.volume_id),
                    f"{volume.spec.name} (gp2): burst credits at or below {BURST_BALANCE_LOW_PCT:g}%",
                    Namespace="AWS/EBS",
                    MetricName="BurstBalance",
                    Dimensions=[{"Name": "VolumeId", "Value": volume.volume_id}],
                    Statistic="Average",
                    Period=300,
                    EvaluationPeriods=3,
                    DatapointsToAlarm=3,
                    Threshold=BURST_BALANCE_LOW_PCT,
                    ComparisonOperator="LessThanOrEqualToThreshold",
                )

    def databases(self) -> None:
        for model in self.fleet.instances:
            spec = model.spec
            if not spec.running or spec.role != DATABASE_ROLE or not spec.facts.nitro:
                continue
            iid = model.instance_id
            dims = (("InstanceId", iid),)
            maximum = spec.facts.ebs_max_mbps
            self.add(
                cat.ALARM_EBS_THROUGHPUT_AT_MAX.format(instance=spec.name),
                spec.service,
                ("instance", iid),
                f"{spec.name}: EBS throughput at or above {EBS_AT_MAX_PCT:g}% of the instance's "
                f"{maximum:g} MB/s",
                Metrics=[
                    _stat("m1", _metric("AWS/EC2", "EBSReadBytes", dims), "Sum", 60, "EBSReadBytes"),
                    _stat("m2", _metric("AWS/EC2", "EBSWriteBytes", dims), "Sum", 60, "EBSWriteBytes"),
                    _expr("e1", "(m1+m2)/PERIOD(m1)/1000000", "EbsMBps"),
                    _expr("e2", f"100*e1/{maximum:g}", "EbsThroughputPercentOfMax", returned=True),
                ],
                EvaluationPeriods=3,
                DatapointsToAlarm=2,
                Threshold=EBS_AT_MAX_PCT,
                ComparisonOperator="GreaterThanOrEqualToThreshold",
            )
            self.add(
                cat.ALARM_EBS_IO_BALANCE_LOW.format(instance=spec.name),
                spec.service,
                ("instance", iid),
                f"{spec.name}: EBS IOPS burst balance at or below {EBS_IO_BALANCE_LOW_PCT:g}%",
                Namespace="AWS/EC2",
                MetricName="EBSIOBalance%",
                Dimensions=[{"Name": "InstanceId", "Value": iid}],
                Statistic="Minimum",
                Period=60,
                EvaluationPeriods=3,
                DatapointsToAlarm=2,
                Threshold=EBS_IO_BALANCE_LOW_PCT,
                ComparisonOperator="LessThanOrEqualToThreshold",
            )

    # ---- Kinesis and Lambda ---------------------------------------------------------------

    def streams(self) -> None:
        for stream in self.fleet.streams:
            service = _stream_service(stream)
            dims = (("StreamName", stream.name),)
            resource = ("stream", stream.name)
            retention_ms = stream.retention_hours * 3_600_000
            self.add(
                cat.ALARM_ITERATOR_AGE.format(stream=stream.name),
                service,
                resource,
                f"{stream.name}: the oldest unread record is half the {stream.retention_hours} h retention "
                "old; records will expire unread",
                Namespace="AWS/Kinesis",
                MetricName="GetRecords.IteratorAgeMilliseconds",
                Dimensions=[{"Name": "StreamName", "Value": stream.name}],
                Statistic="Maximum",
                Period=60,
                EvaluationPeriods=5,
                DatapointsToAlarm=5,
                Threshold=float(retention_ms * ITERATOR_AGE_RETENTION_SHARE),
                ComparisonOperator="GreaterThanOrEqualToThreshold",
            )
            self.add(
                cat.ALARM_WRITE_THROTTLED.format(stream=stream.name),
                service,
                resource,
                f"{stream.name}: {WRITE_THROTTLED_PCT:g}% or more of the writes throttled",
                Metrics=[
                    _stat(
                        "m1",
                        _metric("AWS/Kinesis", "WriteProvisionedThroughputExceeded", dims),
                        "Sum",
                        60,
                        "Throttled",
                    ),
                    _stat("m2", _metric("AWS/Kinesis", "IncomingRecords", dims), "Sum", 60, "Accepted"),
                    _expr("e1", "100*FILL(m1,0)/(FILL(m1,0)+m2)", "ThrottledPercent", returned=True),
                ],
                EvaluationPeriods=3,
                DatapointsToAlarm=2,
                Threshold=WRITE_THROTTLED_PCT,
                ComparisonOperator="GreaterThanOrEqualToThreshold",
            )
            self.scaling(stream)
            for consumer in stream.registered_consumers:
                consumer_dims = (("StreamName", stream.name), ("ConsumerName", consumer.name))
                self.add(
                    cat.ALARM_READER_FALLING_BEHIND.format(stream=stream.name, reader=consumer.name),
                    service,
                    ("consumer", f"{stream.name}/{consumer.name}"),
                    f"{consumer.name} on {stream.name}: falling behind "
                    f"({FALLING_BEHIND_MS_PER_MS:g} ms or more "
                    "of lag per ms)",
                    Metrics=[
                        _stat(
                            "m1",
                            _metric("AWS/Kinesis", "SubscribeToShardEvent.MillisBehindLatest", consumer_dims),
                            "Maximum",
                            60,
                            "MillisBehindLatest",
                        ),
                        _expr("e1", "RATE(m1)/1000", "LagGrowthMsPerMs", returned=True),
                    ],
                    EvaluationPeriods=3,
                    DatapointsToAlarm=2,
                    Threshold=FALLING_BEHIND_MS_PER_MS,
                    ComparisonOperator="GreaterThanOrEqualToThreshold",
                )
            for consumer in stream.consumers:
                if not consumer.lambda_function:
                    continue
                fn = (("FunctionName", consumer.name),)
                self.add(
                    cat.ALARM_FUNCTION_ERRORS.format(function=consumer.name),
                    service,
                    ("function", consumer.name),
                    f"{consumer.name} (reads {stream.name}): {FUNCTION_ERROR_PCT:g}% or more of its "
                    "invocations fail",
                    Metrics=[
                        _stat("m1", _metric("AWS/Lambda", "Errors", fn), "Sum", 60, "Errors"),
                        _stat("m2", _metric("AWS/Lambda", "Invocations", fn), "Sum", 60, "Invocations"),
                        _expr("e1", "100*FILL(m1,0)/m2", "ErrorPercent", returned=True),
                    ],
                    EvaluationPeriods=3,
                    DatapointsToAlarm=2,
                    Threshold=FUNCTION_ERROR_PCT,
                    ComparisonOperator="GreaterThanOrEqualToThreshold",
                )

    def scaling(self, stream: StreamSpec) -> None:
        """The scale-up and scale-down alarms of aws-samples/kinesis-auto-scaling for ``stream``."""
        dims = (("StreamName", stream.name),)
        minutes = SCALE_PERIOD_S // 60
        usage = [
            _expr("s1", str(stream.shards), "ShardCount"),
            _stat(
                "m1", _metric("AWS/Kinesis", "IncomingBytes", dims), "Sum", SCALE_PERIOD_S, "IncomingBytes"
            ),
            _stat(
                "m2",
                _metric("AWS/Kinesis", "IncomingRecords", dims),
                "Sum",
                SCALE_PERIOD_S,
                "IncomingRecords",
            ),
            _expr("e1", "FILL(m1,0)", "FillMissingDataPointsWithZeroForIncomingBytes"),
            _expr("e2", "FILL(m2,0)", "FillMissingDataPointsWithZeroForIncomingRecords"),
            _expr("e3", f"e1/({SHARD_WRITE_BYTES:.0f}*60*{minutes}*s1)", "IncomingBytesUsageFactor"),
            _expr("e4", f"e2/({SHARD_WRITE_RECORDS:.0f}*60*{minutes}*s1)", "IncomingRecordsUsageFactor"),
        ]
        scaling = {"AlarmActions": [self.scaling_topic], "OKActions": [], "ActionsEnabled": True}
        up = [*usage, _expr("e5", "MAX([e3,e4])", "MaxIncomingUsageFactor", returned=True)]
        self.out.append(
            AlarmSpec(
                cat.ALARM_SCALE_UP.format(stream=stream.name),
                {
                    "AlarmDescription": "Stream throughput has gone above the scale up threshold",
                    **scaling,
                    "ComparisonOperator": "GreaterThanOrEqualToThreshold",
                    "Threshold": SCALE_UP_AT,
                    "EvaluationPeriods": SCALE_UP_POINTS[1],
                    "DatapointsToAlarm": SCALE_UP_POINTS[0],
                    "Metrics": up,
                },
                "stream",
                stream.name,
                pages=("kinesis-scaling",),
            )
        )
        down = [
            usage[0],
            _expr("s2", str(SCALE_DOWN_BLOCK_MINUTES), "IteratorAgeMinutesToBlockScaledowns"),
            *usage[1:3],
            _stat(
                "m3",
                _metric("AWS/Kinesis", "GetRecords.IteratorAgeMilliseconds", dims),
                "Maximum",
                SCALE_PERIOD_S,
                "GetRecords.IteratorAgeMilliseconds",
            ),
            *usage[3:],
            _expr("e5", f"(FILL(m3,0)/1000/60)*({SCALE_DOWN_BELOW:g}/s2)", "IteratorAgeAdjustedFactor"),
            _expr("e6", "MAX([e3,e4,e5])", "MaxIncomingUsageFactor", returned=True),
        ]
        self.out.append(
            AlarmSpec(
                cat.ALARM_SCALE_DOWN.format(stream=stream.name),
                {
                    "AlarmDescription": "Stream throughput has gone below the scale down threshold",
                    **scaling,
                    "ComparisonOperator": "LessThanThreshold",
                    # The solution sets -1 on a one-shard stream: it cannot be halved.
                    "Threshold": -1.0 if stream.shards == 1 else SCALE_DOWN_BELOW,
                    "EvaluationPeriods": SCALE_DOWN_POINTS[1],
                    "DatapointsToAlarm": SCALE_DOWN_POINTS[0],
                    "Metrics": down,
                },
                "stream",
                stream.name,
                pages=("kinesis-scaling",),
            )
        )

    # ---- the composite --------------------------------------------------------------------

    def composite(self) -> None:
        """ALARM when any alarm of the composite's team that means customers wait or fail is."""
        team = self.plan.composite_team
        kinds = (
            "-cpu-high",
            "-ebs-throughput-at-max",
            "-write-throttled",
            "-iterator-age-half-retention",
            "-falling-behind",
            "-errors",
        )
        children = [
            spec.name
            for spec in self.out
            if not spec.composite and team in spec.pages and spec.name.endswith(kinds)
        ]
        rule = " OR ".join(f'ALARM("{name}")' for name in children)
        actions = [self.topics[team]]
        self.out.append(
            AlarmSpec(
                self.plan.composite,
                {
                    "AlarmDescription": f"The {team} service is degraded: one of its alarms that means "
                    "customers "
                    "wait or fail is in ALARM",
                    "ActionsEnabled": True,
                    "AlarmActions": actions,
                    "OKActions": actions,
                    "AlarmRule": rule,
                },
                "service",
                team,
                composite=True,
                pages=(team,),
            )
        )


def build_alarms(
    fleet: FleetModel,
    topics: Mapping[str, str],
    scaling_topic: str,
    plan: AlarmPlan = ALARMS,
) -> list[AlarmSpec]:
    """The alarms of ``fleet``, paging the teams' topic ARNs ``topics`` (team name -> ARN) and the
    scaling solution's ``scaling_topic``; composites last, after the alarms they name."""
    builder = _Builder(fleet, topics, scaling_topic, plan)
    for step in (
        builder.cpu,
        builder.memory_and_network,
        builder.volumes,
        builder.databases,
        builder.streams,
    ):
        step()
    builder.composite()
    return builder.out


@dataclass(frozen=True)
class SeededAlarms:
    """The alarms of a fleet and the topics they page, before or after they are put."""

    specs: tuple[AlarmSpec, ...]
    topics: Mapping[str, str]
    """Team name (and "kinesis-scaling") -> SNS topic ARN."""
    topic_names: Mapping[str, str]
    """Team name (and "kinesis-scaling") -> SNS topic name."""

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(spec.name for spec in self.specs)


def plan_alarms(fleet: FleetModel, account_id: str, region: str, plan: AlarmPlan = ALARMS) -> SeededAlarms:
    """The alarms of ``fleet`` in one account and region, with the ARNs their topics will have."""
    names = {team.name: team.topic for team in plan.teams}
    names["kinesis-scaling"] = scaling_topic_name(plan)
    topics = {team: f"arn:aws:sns:{region}:{account_id}:{name}" for team, name in names.items()}
    specs = build_alarms(
        fleet, {team.name: topics[team.name] for team in plan.teams}, topics["kinesis-scaling"], plan
    )
    return SeededAlarms(tuple(specs), topics, names)


def put_alarms(client: Callable[[str], Any], planned: SeededAlarms) -> None:
    """Create the topics and put the alarms of ``planned`` through ``client(service)``, a boto3
    client factory of their account and region."""
    sns = client("sns")
    for team, name in planned.topic_names.items():
        arn = str(sns.create_topic(Name=name)["TopicArn"])
        if arn != planned.topics[team]:
            raise RuntimeError(f"the topic {name} was created as {arn}, not {planned.topics[team]}")
    cloudwatch = client("cloudwatch")
    for spec in planned.specs:
        if spec.composite:
            cloudwatch.put_composite_alarm(AlarmName=spec.name, **spec.params)
        else:
            cloudwatch.put_metric_alarm(AlarmName=spec.name, **spec.params)
