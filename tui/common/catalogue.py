"""The fault catalogue: what each fault does to the fictional workload, how the console detects it
and how it ends; the FIS tags that carry a fault, and the journal metrics that name a detection.

The simulator (``tui.sim.faults``) implements the faults; the console's detectors
(``tui.gameday.detect``, with ``tui.aws.kinesis_math`` for a stalled reader) emit journal events
named by ``Detection.metric``; the report matches the two to compute times to detect and to
mitigate; the FIS pane (``tui.aws.fis``) reads the tags. Fault ids are also the value of the FIS
template tag ``warroom:fault``.
"""

from __future__ import annotations

from dataclasses import dataclass

FAULT_TAG = "warroom:fault"
"""FIS template and experiment tag naming the catalogue fault an experiment starts."""
TARGET_TAG = "warroom:target"
"""FIS experiment tag: the resource id the fault acts on."""
ORIGIN_TAG = "warroom:origin"
"""FIS experiment tag: who started the fault: scenario, facilitator or fis."""
OUTCOME_TAG = "warroom:outcome"
"""FIS experiment tag set when a fault ends: how it ended ("mitigated: the rule ... was revoked")."""
SCENARIO_TAG = "warroom:scenario"
"""FIS experiment tag: the scenario's name, when a scenario started the fault."""
SPEED_TAG = "warroom:speed"
"""FIS experiment tag: the scenario's speed (scenario seconds per wall second)."""
SCENARIO_START_TAG = "warroom:scenario-start"
"""FIS experiment tag: the wall time (ISO 8601, UTC) at which the scenario's clock read 0."""

# A reader is stalled when its lag grows nearly as fast as time passes (a reader that reads nothing
# falls behind by exactly the time that passes: 1 ms per ms) at every step of its last
# ``STALL_MIN_S`` at least, and it is already ``STALL_MIN_BEHIND_MS`` behind. A slow reader that
# still makes progress grows slower than ``STALL_GROWTH_MS_PER_MS``. The Kinesis pane's
# ``kinesis_math.is_stalled`` applies it; the kinesis-consumer-lag fault's detection states it.
STALL_GROWTH_MS_PER_MS = 0.9
STALL_MIN_S = 180.0
STALL_MIN_BEHIND_MS = 120_000.0


# The simulated workload's CloudWatch alarms (``tui.sim.alarms`` seeds them), named by what they
# watch: ``{instance}``, ``{volume}`` (a volume's name), ``{stream}``, ``{reader}`` (a stream's
# reader), ``{function}`` and ``{service}`` (an instance's Service tag). A fault's detection names
# the ones it should drive to ALARM.
ALARM_CPU_HIGH = "{service}-cpu-high"
ALARM_MEMORY_HIGH = "{instance}-memory-high"
ALARM_BURST_BALANCE_LOW = "{volume}-burst-balance-low"
ALARM_NETWORK_ALLOWANCE = "{instance}-network-allowance-exceeded"
ALARM_EBS_THROUGHPUT_AT_MAX = "{instance}-ebs-throughput-at-max"
ALARM_EBS_IO_BALANCE_LOW = "{instance}-ebs-io-balance-low"
ALARM_ITERATOR_AGE = "{stream}-iterator-age-half-retention"
ALARM_WRITE_THROTTLED = "{stream}-write-throttled"
ALARM_SCALE_UP = "{stream}-scale-up"
ALARM_SCALE_DOWN = "{stream}-scale-down"
ALARM_READER_FALLING_BEHIND = "{stream}-{reader}-falling-behind"
ALARM_FUNCTION_ERRORS = "{function}-errors"


@dataclass(frozen=True)
class Detection:
    """Where and how the console sees a fault: a journal ``detected`` event from ``pane`` whose
    ``metric`` is this one, on the fault's target (or a resource of the target's instance).

    ``alarms`` name (as the ``ALARM_*`` patterns above) the simulated alarms the fault drives to
    ALARM; the fault engine fills in the target (``tui.sim.faults.FaultEngine.expected_alarms``),
    and adds the composite alarms over them. A fault no metric shows has none: the seeded
    account keeps no CloudTrail metric-filter alarms (its CIS 3.x findings say so)."""

    pane: str
    metric: str
    threshold: str
    alarms: tuple[str, ...] = ()
    """The report credits an alarm watching the fault's target, or one named as these are (with the
    target's id or name where a pattern has a field), with detecting it."""


@dataclass(frozen=True)
class FaultSpec:
    id: str
    title: str
    target_kind: str
    """instance, volume, stream, consumer, function, security-group, bucket or managed-node."""
    effect: str
    detection: Detection
    ends: str
    """How the fault ends, besides ``warroom sim clear`` and stopping its FIS experiment."""


# Journal metrics the detectors emit (``JournalEvent.metric``).
M_INSTANCE_EBS = "instance.ebs"
M_INSTANCE_NETWORK = "instance.network"
M_INSTANCE_MEMORY = "instance.memory"
M_VOLUME = "volume.limit"
M_STREAM_AGE = "stream.iterator_age"
M_STREAM_USAGE = "stream.usage"
M_STREAM_THROTTLE = "stream.write_throttled"
M_READER_STALLED = "stream.reader_stalled"
"""A reader of a stream stopped making progress (``kinesis_math.is_stalled``); its resource is
"<stream>/<reader>"."""
M_LAMBDA_ERRORS = "lambda.errors"
M_FINDING_NEW = "finding.new"
M_NODE_PING = "node.ping"
M_ALARM = "alarm.state"
"""A CloudWatch alarm in ALARM (the Alarms pane); its resource is what the alarm watches (an
instance, a stream, a volume, a function), or the alarm's name when its dimensions name nothing."""

HEADROOM_METRICS = frozenset(
    {
        M_INSTANCE_EBS,
        M_INSTANCE_NETWORK,
        M_INSTANCE_MEMORY,
        M_VOLUME,
        M_STREAM_USAGE,
        M_STREAM_THROTTLE,
        M_STREAM_AGE,
    }
)
"""Gauges whose warning is headroom running short, not customers affected: their critical level
is the impact (an iterator age at half the retention puts records at risk; at the full retention
they are lost). The detectors say when one falls back below its critical line (``EASED``), and a
business service is impaired by one only from its critical detection to then."""
EASED = "eased"
"""Detail key of a ``recovered`` event that only left the critical level (value "critical"): the
gauge is still at or above its warning line."""

CATALOGUE: tuple[FaultSpec, ...] = (
    FaultSpec(
        "ebs-instance-cap",
        "EBS throughput capped by the instance",
        "instance",
        "the instance's volumes demand more than its EBS maximum: the instance's EBS throughput sits "
        "at its ceiling while each volume stays below its own limit",
        Detection(
            "limits",
            M_INSTANCE_EBS,
            "instance EBS throughput at or above the critical share (95%) of its maximum, binding: instance",
            (ALARM_EBS_THROUGHPUT_AT_MAX,),
        ),
        "demand falls back when the fault ends",
    ),
    FaultSpec(
        "io2-instance-cap",
        "io2 IOPS held far below provisioned by the instance",
        "volume",
        "an io2 volume's demand rises towards its provisioned IOPS, but the instance's EBS IOPS "
        "maximum holds it to a fraction of them",
        Detection(
            "limits",
            M_VOLUME,
            "volume IOPS capped by the instance (capped_by instance) at or "
            "above the warning share (80%) of its ceiling",
            (ALARM_EBS_IO_BALANCE_LOW,),
        ),
        "demand falls back when the fault ends",
    ),
    FaultSpec(
        "network-baseline",
        "Network near the instance's baseline",
        "instance",
        "network traffic rises to the instance's baseline bandwidth; ENA allowance counters start "
        "to count shaped packets",
        Detection(
            "limits",
            M_INSTANCE_NETWORK,
            "network throughput at or above the warning share (80%) of the baseline",
            (ALARM_NETWORK_ALLOWANCE,),
        ),
        "traffic falls back when the fault ends",
    ),
    FaultSpec(
        "kinesis-consumer-lag",
        "A Kinesis reader stalls, its lag growing toward 50% of retention",
        "stream",
        "one named reader of the stream stalls (its enhanced fan-out consumer, else its Lambda "
        "mapping): its lag grows as fast as time passes, toward half the stream's retention period",
        Detection(
            "kinesis",
            M_READER_STALLED,
            f"a reader's lag growing at least {STALL_GROWTH_MS_PER_MS:g} ms per ms for "
            f"{STALL_MIN_S / 60:g} minutes, {STALL_MIN_BEHIND_MS / 60_000:g} minutes behind or more",
            (ALARM_READER_FALLING_BEHIND,),
        ),
        "the reader catches up when the fault ends (faster with more shards)",
    ),
    FaultSpec(
        "kinesis-write-throttle",
        "Kinesis write throttling",
        "stream",
        "producers write about three times the stream's write capacity: records are throttled",
        Detection(
            "kinesis",
            M_STREAM_THROTTLE,
            "throttled writes at or above 1% of incoming records in a minute",
            (ALARM_WRITE_THROTTLED,),
        ),
        "resharding to enough shards absorbs the demand; the demand falls back when the fault ends",
    ),
    FaultSpec(
        "sg-open-ssh",
        "A security group opened to the world on port 22",
        "security-group",
        "an ingress rule tcp 22 from 0.0.0.0/0 is added to the group and Security Hub reports a "
        "new CRITICAL finding on it",
        Detection("findings", M_FINDING_NEW, "a new ACTIVE CRITICAL finding on the group"),
        "revoking the rule (the sg-high-risk-ports playbook) mitigates it",
    ),
    FaultSpec(
        "s3-public-bucket",
        "An S3 bucket made public",
        "bucket",
        "the bucket's Block Public Access is turned off and a public-read policy attached; "
        "Security Hub reports a new CRITICAL finding on it",
        Detection("findings", M_FINDING_NEW, "a new ACTIVE CRITICAL or HIGH finding on the bucket"),
        "turning Block Public Access back on (the s3-bucket-block-public playbook) mitigates it",
    ),
    FaultSpec(
        "ssm-connection-lost",
        "An SSM agent loses its connection",
        "managed-node",
        "the managed node's PingStatus turns ConnectionLost and its last ping stops moving",
        Detection("sessions", M_NODE_PING, "PingStatus other than Online"),
        "the agent reconnects when the fault ends",
    ),
    FaultSpec(
        "memory-pressure",
        "Memory pressure on an instance",
        "instance",
        "the CloudWatch agent's mem_used_percent climbs above 95%",
        Detection("limits", M_INSTANCE_MEMORY, "mem_used_percent at or above 90%", (ALARM_MEMORY_HIGH,)),
        "memory falls back when the fault ends",
    ),
    FaultSpec(
        "lambda-errors",
        "A business API's Lambda functions failing",
        "function",
        "the function's invocations fail (Errors about a third of Invocations) and its Duration triples",
        Detection(
            "kinesis",
            M_LAMBDA_ERRORS,
            "Lambda Errors at or above 5% of invocations in a minute",
            (ALARM_FUNCTION_ERRORS,),
        ),
        "the function recovers when the fault ends",
    ),
)

BY_ID: dict[str, FaultSpec] = {spec.id: spec for spec in CATALOGUE}


def fault(fault_id: str) -> FaultSpec:
    """The catalogue entry for ``fault_id``; KeyError names the known ones."""
    try:
        return BY_ID[fault_id]
    except KeyError:
        known = ", ".join(BY_ID)
        raise KeyError(f"no fault {fault_id!r}; the catalogue has: {known}") from None
