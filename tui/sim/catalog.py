"""The fictional payments platform the simulator seeds: a table of resources and their load.

The tables (instance types, security groups, instances and their volumes, streams, hybrid nodes,
IAM users, bucket prefixes) live in ``tui/sim/data/fleet.toml``, read once when this module is
imported and typed into the dataclasses below (``load_fleet``); a malformed file raises
``tui.sim.datafile.DataFileError`` naming the file and the entry. The workload creates these
resources through the API, and the metric generator (``tui.sim.metricgen``) turns each ``Load``
into per-minute CloudWatch values. A ``Load`` is a daily curve: ``night`` at the trough (03:00
UTC) and ``peak`` in the afternoon (15:00 UTC), scaled by deterministic jitter.

Instance-type facts are those DescribeInstanceTypes reports (EBS throughput in MB/s of 10^6 bytes,
network bandwidth in Gbps); volume limits follow the EBS volume-type rules (throughput in MiB/s).

The fleet publishes as AWS publishes, so the console meets the data shapes real accounts have
(``SPARSE_*_VOLUMES``, ``BASIC_MONITORING_INSTANCES`` and ``XEN_INSTANCES`` name them): a volume
nobody uses sends no AWS/EBS points, a volume that only reads (or only writes) sends no write (or
read) points, an instance without detailed monitoring sends AWS/EC2 every 5 minutes, and a
Xen-generation instance sends no AWS/EC2 EBS* metrics.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from tui.sim.datafile import Reader, label_of

# The seeded account is the simulator's (tui.sim.server.ACCOUNT_ID). The member account holds the
# few resources its findings name (``MEMBER_*`` below), created through an assumed role.
ACCOUNT_NAME = "payments-prod"
MEMBER_ACCOUNT_ID = "210987654321"
MEMBER_ACCOUNT_NAME = "payments-sandbox"

# The role AWS Organizations creates in a member account; the workload seeds the member through it.
MEMBER_BOOTSTRAP_ROLE = "OrganizationAccountAccessRole"

# The role the console's playbooks assume to fix a finding of another account; the workload creates
# it in both accounts, trusting the seeded account's root.
REMEDIATION_ROLE = "warroom-remediation"
# What the remediation role's inline policy allows: the reads and fixes of the Findings pane's playbooks,
# and the other actions the console takes in an account it reads through a read-only role (a reshard, a
# mute, a session), which act through this role there.
REMEDIATION_POLICY_NAME = "warroom-playbooks"
REMEDIATION_ACTIONS = (
    "ec2:DescribeSecurityGroups",
    "ec2:RevokeSecurityGroupIngress",
    "ec2:RevokeSecurityGroupEgress",
    "ec2:GetEbsEncryptionByDefault",
    "ec2:EnableEbsEncryptionByDefault",
    "s3:GetAccountPublicAccessBlock",
    "s3:PutAccountPublicAccessBlock",
    "s3:GetBucketPublicAccessBlock",
    "s3:PutBucketPublicAccessBlock",
    "cloudtrail:DescribeTrails",
    "cloudtrail:GetTrail",
    "cloudtrail:UpdateTrail",
    "kms:DescribeKey",
    "kms:GetKeyRotationStatus",
    "kms:EnableKeyRotation",
    "iam:ListAccessKeys",
    "iam:UpdateAccessKey",
    "kinesis:DescribeStreamSummary",
    "kinesis:UpdateShardCount",
    "kinesis:IncreaseStreamRetentionPeriod",
    "kinesis:DecreaseStreamRetentionPeriod",
    "kinesis:UpdateStreamMode",
    "cloudwatch:DisableAlarmActions",
    "cloudwatch:EnableAlarmActions",
    "cloudwatch:SetAlarmState",
    "ssm:DescribeInstanceInformation",
    "ssm:StartSession",
    "ssm:ResumeSession",
    "ssm:TerminateSession",
)

# The peak of the daily curve, in hours UTC.
PEAK_HOUR_UTC = 15.0

# Link-local services (Route 53 Resolver, IMDS, Time Sync) accept 1024 packets/s per ENI.
LINKLOCAL_PPS_ALLOWANCE = 1024.0

# A Kinesis shard accepts 1 MiB/s or 1000 records/s of writes.
SHARD_WRITE_RECORDS = 1000.0
SHARD_WRITE_BYTES = 1024.0 * 1024.0


@dataclass(frozen=True)
class Load:
    """A daily load curve: ``night`` at the trough, ``peak`` in the afternoon, ``jitter`` relative."""

    night: float
    peak: float
    jitter: float = 0.06


@dataclass(frozen=True)
class TypeFacts:
    """What DescribeInstanceTypes says about an instance type (the subset the workload uses)."""

    vcpus: int
    ebs_baseline_mbps: float
    ebs_max_mbps: float
    ebs_baseline_iops: float
    ebs_max_iops: float
    net_baseline_gbps: float
    net_peak_gbps: float
    # Burstable (T) types: baseline utilisation per vCPU (percent) and credits earned per hour.
    cpu_baseline_pct: float | None = None
    credits_per_hour: float | None = None
    # Nitro types publish AWS/EC2 EBSReadOps/EBSWriteOps/EBSReadBytes/EBSWriteBytes and
    # EBSIOBalance%/EBSByteBalance%, the EBS volume checks, and (with ENA) the ethtool allowance
    # counters; Xen types (m4, c4, ...) publish none of them.
    nitro: bool = True

    @property
    def max_credit_balance(self) -> float | None:
        """A T3 instance accrues at most 24 hours of earned credits."""
        return None if self.credits_per_hour is None else self.credits_per_hour * 24.0


@dataclass(frozen=True)
class VolumeLimits:
    """What a volume can deliver now: IOPS and MiB/s ceilings, and its IOPS baseline."""

    iops: float
    mibps: float
    baseline_iops: float
    bursting: bool


def volume_limits(volume_type: str, size_gib: int, iops: int | None, throughput: int | None) -> VolumeLimits:
    """The EBS performance ceiling of a volume (burst ceilings for gp2, st1 and sc1)."""
    if volume_type == "gp2":
        baseline = min(max(3.0 * size_gib, 100.0), 16000.0)
        ceiling = max(baseline, 3000.0) if size_gib < 1024 else baseline
        mibps = 128.0 if size_gib <= 170 else 250.0
        return VolumeLimits(ceiling, mibps, baseline, ceiling > baseline)
    if volume_type == "gp3":
        provisioned = float(iops or 3000)
        return VolumeLimits(provisioned, float(throughput or 125), provisioned, False)
    if volume_type in ("io1", "io2"):
        provisioned = float(iops or 100)
        mibps = 500.0 if provisioned <= 32000 else min(1000.0, provisioned * 16.0 / 1024.0)
        if volume_type == "io2" and provisioned > 64000:
            mibps = min(4000.0, provisioned * 16.0 / 1024.0)
        return VolumeLimits(provisioned, mibps, provisioned, False)
    if volume_type == "st1":
        tib = size_gib / 1024.0
        return VolumeLimits(500.0, min(500.0, 250.0 * tib), 500.0, True)
    if volume_type == "sc1":
        tib = size_gib / 1024.0
        return VolumeLimits(250.0, min(250.0, 80.0 * tib), 250.0, True)
    if volume_type == "standard":
        return VolumeLimits(200.0, 90.0, 100.0, True)
    raise ValueError(f"unknown volume type {volume_type!r}")


@dataclass(frozen=True)
class VolumeSpec:
    """One EBS volume and the I/O its owner drives against it."""

    key: str
    volume_type: str
    size_gib: int
    device: str
    read_iops: Load
    write_iops: Load
    read_kib: float
    write_kib: float
    latency_ms: float
    iops: int | None = None
    throughput: int | None = None
    encrypted: bool = True
    root: bool = False
    # Percentage points of BurstBalance gone at the daily peak (gp2, st1, sc1).
    burst_drain: float = 0.0

    @property
    def limits(self) -> VolumeLimits:
        return volume_limits(self.volume_type, self.size_gib, self.iops, self.throughput)

    @property
    def name(self) -> str:
        return self.key.replace(":", "-")


@dataclass(frozen=True)
class InstanceSpec:
    """One EC2 instance: what it is for, its volumes, and the load it carries."""

    name: str
    instance_type: str
    role: str
    service: str
    zone: str
    security_group: str
    volumes: tuple[VolumeSpec, ...]
    cpu_pct: Load
    net_in_mbps: Load
    net_out_mbps: Load
    mem_pct: Load
    disk_used_pct: float
    packet_bytes: float = 900.0
    running: bool = True
    windows: bool = False
    imdsv2: bool = True
    ssm_managed: bool = True
    agent_version: str = "3.3.1142.0"
    # Packets/s at which the instance's PPS allowance starts shaping (not published by AWS).
    pps_allowance: float | None = None
    # Packets/s to link-local services (DNS, IMDS, NTP).
    linklocal_pps: Load | None = None
    # Tracked connections and the connection-tracking allowance.
    connections: Load | None = None
    conntrack_allowance: float | None = None
    # Detailed monitoring publishes AWS/EC2 every minute; basic monitoring (AWS's default) every
    # 5 minutes, each point covering the 5 minutes it is stamped with.
    detailed_monitoring: bool = True

    @property
    def facts(self) -> TypeFacts:
        return INSTANCE_TYPES[self.instance_type]


@dataclass(frozen=True)
class ConsumerSpec:
    """A reader of a stream: enhanced fan-out (registered consumer) or shared-throughput GetRecords."""

    name: str
    lag_ms: Load
    efo: bool = True
    lambda_function: bool = False
    # A GetRecords reader that processes at most this many records/s per open shard (one batch per
    # shard at a time); None reads as fast as records arrive, ``lag_ms`` behind.
    per_shard_rps: float | None = None
    # How long before the simulator's seeding such a reader started falling behind, in hours.
    behind_hours: float = 0.0


@dataclass(frozen=True)
class StreamSpec:
    """A provisioned Kinesis stream and its producers' demand (records/s over the whole stream)."""

    name: str
    shards: int
    retention_hours: int
    records_per_s: Load
    record_bytes: float
    consumers: tuple[ConsumerSpec, ...]
    # Within a minute, the busiest second carries up to about this much more than the minute's
    # mean (usually less: the excess varies from minute to minute).
    burst: float = 1.1
    put_records_share: float = 0.95

    @property
    def registered_consumers(self) -> tuple[ConsumerSpec, ...]:
        return tuple(c for c in self.consumers if c.efo)

    @property
    def pollers(self) -> tuple[ConsumerSpec, ...]:
        return tuple(c for c in self.consumers if not c.efo)


@dataclass(frozen=True)
class HybridNodeSpec:
    """An on-premises server registered with SSM through a hybrid activation."""

    name: str
    platform_name: str
    platform_version: str
    ip_address: str
    computer_name: str
    online: bool = True
    # For a node whose agent went quiet: minutes since its last ping.
    silent_minutes: int = 0
    agent_version: str = "3.3.1142.0"


@dataclass(frozen=True)
class AlarmTeamSpec:
    """A team that owns alarms: its SNS topic's name and the services it is paged for."""

    name: str
    topic: str
    services: tuple[str, ...]


@dataclass(frozen=True)
class AlarmPlan:
    """Who the workload's alarms page: the teams, the composite alarm over the worst of them, and
    the stack name of the Kinesis scaling solution (its SNS topic is named after it)."""

    scaling_stack: str
    composite: str
    composite_team: str
    teams: tuple[AlarmTeamSpec, ...]

    def team_of(self, service: str) -> AlarmTeamSpec:
        for team in self.teams:
            if service in team.services:
                return team
        raise KeyError(f"no alarm team owns the service {service!r}")


@dataclass(frozen=True)
class IngressRule:
    protocol: str
    from_port: int
    to_port: int
    cidr: str
    description: str


@dataclass(frozen=True)
class SecurityGroupSpec:
    name: str
    description: str
    ingress: tuple[IngressRule, ...]


# --------------------------------------------------------------------------------------------
# The fleet, read from tui/sim/data/fleet.toml
# --------------------------------------------------------------------------------------------

FLEET_FILE = "fleet.toml"


@dataclass(frozen=True)
class FleetData:
    """Every table of the fleet file, typed."""

    instance_types: dict[str, TypeFacts]
    security_groups: tuple[SecurityGroupSpec, ...]
    default_sg_extra_ingress: IngressRule
    member_security_group: SecurityGroupSpec
    member_instance_name: str
    member_instance_type: str
    member_instance_zone: str
    member_bucket_prefix: str
    instances: tuple[InstanceSpec, ...]
    sparse_idle_volumes: tuple[str, ...]
    sparse_read_only_volumes: tuple[str, ...]
    sparse_write_only_volumes: tuple[str, ...]
    unattached_volume: VolumeSpec
    unattached_volume_zone: str
    streams: tuple[StreamSpec, ...]
    hybrid_nodes: tuple[HybridNodeSpec, ...]
    access_key_users: dict[str, int]
    public_bucket_prefixes: tuple[str, ...]
    private_bucket_prefixes: tuple[str, ...]
    alarms: AlarmPlan


def load_fleet(name: str = FLEET_FILE, data: Mapping[str, Any] | None = None) -> FleetData:
    """The fleet of ``tui/sim/data/<name>`` (``data``: its parsed text, for tests); a malformed
    file raises ``DataFileError`` naming the file and the entry."""
    reader = Reader(name, data)
    names = tuple[str, ...]
    types = {
        type_name: reader.build(TypeFacts, table, f'instance_types."{type_name}"')
        for type_name, table in reader.section("instance_types").items()
    }
    groups = tuple(
        reader.build(SecurityGroupSpec, table, label)
        for label, table in reader.tables(reader.data.get("security_groups"), "security_groups")
    )
    member = reader.section("member")
    member_type = reader.value(member, "instance_type", str, "member")
    if member_type not in types:
        raise reader.fail("member.instance_type", f"{member_type!r} is not one of instance_types")
    templates = reader.section("volume_templates")
    instances: list[InstanceSpec] = []
    group_names = {group.name for group in groups}
    for label, table in reader.tables(reader.data.get("instances"), "instances"):
        volumes = [
            _volume_table(reader, templates, volume, volume_label)
            for volume_label, volume in reader.tables(table.get("volumes", []), f"{label}.volumes")
        ]
        spec = reader.build(InstanceSpec, {**table, "volumes": volumes}, label)
        if spec.instance_type not in types:
            raise reader.fail(
                f"{label}.instance_type", f"{spec.instance_type!r} is not one of instance_types"
            )
        if spec.security_group not in group_names:
            raise reader.fail(
                f"{label}.security_group", f"{spec.security_group!r} is not one of security_groups"
            )
        for index, volume in enumerate(spec.volumes):
            _check_limits(reader, volume, label_of(f"{label}.volumes", index, volumes[index]))
        instances.append(spec)
    unattached = reader.section("unattached")
    unattached_volume = reader.build(
        VolumeSpec,
        _volume_table(reader, templates, unattached.get("volume"), "unattached.volume"),
        "unattached.volume",
    )
    _check_limits(reader, unattached_volume, "unattached.volume")
    keys = [v.key for spec in instances for v in spec.volumes] + [unattached_volume.key]
    _unique(reader, "instances", [spec.name for spec in instances])
    _unique(reader, "instances.volumes", keys)
    sparse = reader.section("sparse")
    sparse_names = {}
    for kind in ("idle_volumes", "read_only_volumes", "write_only_volumes"):
        listed = reader.value(sparse, kind, names, "sparse")
        unknown = [key for key in listed if key not in keys]
        if unknown:
            raise reader.fail(f"sparse.{kind}", f"{unknown[0]!r} is not the key of a volume of the fleet")
        sparse_names[kind] = listed
    users = reader.section("access_key_users")
    buckets = reader.section("buckets")
    default_group = reader.section("default_security_group")
    return FleetData(
        instance_types=types,
        security_groups=groups,
        default_sg_extra_ingress=reader.value(
            default_group, "extra_ingress", IngressRule, "default_security_group"
        ),
        member_security_group=reader.value(member, "security_group", SecurityGroupSpec, "member"),
        member_instance_name=reader.value(member, "instance_name", str, "member"),
        member_instance_type=member_type,
        member_instance_zone=reader.value(member, "instance_zone", str, "member"),
        member_bucket_prefix=reader.value(member, "bucket_prefix", str, "member"),
        instances=tuple(instances),
        sparse_idle_volumes=sparse_names["idle_volumes"],
        sparse_read_only_volumes=sparse_names["read_only_volumes"],
        sparse_write_only_volumes=sparse_names["write_only_volumes"],
        unattached_volume=unattached_volume,
        unattached_volume_zone=reader.value(unattached, "zone", str, "unattached"),
        streams=tuple(
            reader.build(StreamSpec, table, label)
            for label, table in reader.tables(reader.data.get("streams"), "streams")
        ),
        hybrid_nodes=tuple(
            reader.build(HybridNodeSpec, table, label)
            for label, table in reader.tables(reader.data.get("hybrid_nodes"), "hybrid_nodes")
        ),
        access_key_users={user: reader.value(users, user, int, "access_key_users") for user in users},
        public_bucket_prefixes=reader.value(buckets, "public_prefixes", names, "buckets"),
        private_bucket_prefixes=reader.value(buckets, "private_prefixes", names, "buckets"),
        alarms=_alarm_plan(reader, instances),
    )


def _alarm_plan(reader: Reader, instances: list[InstanceSpec]) -> AlarmPlan:
    """The alarm teams; every service of the fleet must have exactly one."""
    plan = reader.build(AlarmPlan, reader.section("alarms"), "alarms")
    owners: dict[str, str] = {}
    for team in plan.teams:
        for service in team.services:
            if service in owners:
                raise reader.fail(
                    "alarms.teams", f"{service!r} belongs to {owners[service]!r} and {team.name!r}"
                )
            owners[service] = team.name
    services = {spec.service for spec in instances} | {
        stream.get("name", "").split("-")[0]
        for stream in reader.data.get("streams") or []
        if isinstance(stream, dict)
    }
    orphans = sorted(service for service in services if service not in owners)
    if orphans:
        raise reader.fail("alarms.teams", f"no team owns the service {orphans[0]!r}")
    if plan.composite_team not in {team.name for team in plan.teams}:
        raise reader.fail("alarms.composite_team", f"{plan.composite_team!r} is not one of alarms.teams")
    return plan


def _volume_table(reader: Reader, templates: Mapping[str, Any], volume: Any, label: str) -> Mapping[str, Any]:
    """A volume's table with its template's fields under its own."""
    table = reader.table(volume, label)
    if "template" not in table:
        return table
    name = table["template"]
    if not isinstance(name, str) or name not in templates:
        raise reader.fail(
            f"{label}.template", f"{name!r} is not one of volume_templates ({', '.join(templates)})"
        )
    template = reader.table(templates[name], f"volume_templates.{name}")
    return {**template, **{k: v for k, v in table.items() if k != "template"}}


def _unique(reader: Reader, entry: str, values: list[str]) -> None:
    seen: set[str] = set()
    for value in values:
        if value in seen:
            raise reader.fail(entry, f"{value!r} appears twice")
        seen.add(value)


def _check_limits(reader: Reader, volume: VolumeSpec, entry: str) -> None:
    try:
        volume_limits(volume.volume_type, volume.size_gib, volume.iops, volume.throughput)
    except ValueError as exc:
        raise reader.fail(entry, str(exc)) from exc


FLEET = load_fleet()
"""The fleet, read once."""

INSTANCE_TYPES: dict[str, TypeFacts] = FLEET.instance_types
SECURITY_GROUPS: tuple[SecurityGroupSpec, ...] = FLEET.security_groups
# Rules added to the default VPC's default security group (besides the self reference AWS puts there).
DEFAULT_SG_EXTRA_INGRESS: IngressRule = FLEET.default_sg_extra_ingress
# The member account's security group in its default VPC: SSH and RDP from anywhere, IPv4 and IPv6.
MEMBER_SECURITY_GROUP: SecurityGroupSpec = FLEET.member_security_group
# The member account's build host (IMDSv1, no instance profile, so not managed by SSM), in that group.
MEMBER_INSTANCE_NAME: str = FLEET.member_instance_name
MEMBER_INSTANCE_TYPE: str = FLEET.member_instance_type
MEMBER_INSTANCE_ZONE: str = FLEET.member_instance_zone
# The member account's bucket is ``<prefix>-<member account id>``, with Block Public Access on.
MEMBER_BUCKET_PREFIX: str = FLEET.member_bucket_prefix
INSTANCES: tuple[InstanceSpec, ...] = FLEET.instances

# The resources that publish sparsely, as AWS publishes (see the module's docstring).
SPARSE_IDLE_VOLUMES: tuple[str, ...] = FLEET.sparse_idle_volumes
SPARSE_READ_ONLY_VOLUMES: tuple[str, ...] = FLEET.sparse_read_only_volumes
SPARSE_WRITE_ONLY_VOLUMES: tuple[str, ...] = FLEET.sparse_write_only_volumes
BASIC_MONITORING_INSTANCES = tuple(spec.name for spec in INSTANCES if not spec.detailed_monitoring)
XEN_INSTANCES = tuple(spec.name for spec in INSTANCES if not spec.facts.nitro)

# A volume restored for a test and never attached to anything.
UNATTACHED_VOLUME: VolumeSpec = FLEET.unattached_volume
UNATTACHED_VOLUME_ZONE: str = FLEET.unattached_volume_zone

STREAMS: tuple[StreamSpec, ...] = FLEET.streams
HYBRID_NODES: tuple[HybridNodeSpec, ...] = FLEET.hybrid_nodes

# Who the workload's CloudWatch alarms page (tui.sim.alarms builds the alarms).
ALARMS: AlarmPlan = FLEET.alarms

# IAM users with access keys: name -> age of the key in days. The workload dates each key (and its
# user, ``USER_OLDER_THAN_KEY_DAYS`` earlier) back from the seeding time, so ListAccessKeys reports it.
ACCESS_KEY_USERS: dict[str, int] = FLEET.access_key_users

# Bucket name prefixes; the workload appends a seed-derived suffix. Public ones carry an ACL.
PUBLIC_BUCKET_PREFIXES: tuple[str, ...] = FLEET.public_bucket_prefixes
PRIVATE_BUCKET_PREFIXES: tuple[str, ...] = FLEET.private_bucket_prefixes

# Lambda functions reading a stream (``ConsumerSpec.lambda_function``) get an event source mapping
# with this batch size; the workload creates them with this runtime, memory and role.
LAMBDA_BATCH_SIZE = 100
LAMBDA_RUNTIME = "python3.12"
LAMBDA_MEMORY_MB = 512
LAMBDA_TIMEOUT_S = 60
LAMBDA_ROLE = "payments-stream-reader"

INSTANCE_ROLE = "payments-ec2-ssm"
HYBRID_ROLE = "SSMServiceRole"
EXTERNAL_ROLE = "partner-settlement-reader"
EXTERNAL_PARTNER_ACCOUNT = "999988887777"
TRAIL_NAME = "payments-audit"

USER_OLDER_THAN_KEY_DAYS = 3

# A customer managed symmetric key of the seeded account, with automatic rotation off.
KMS_KEY_ALIAS = "alias/payments-ledger"
KMS_KEY_DESCRIPTION = "payments ledger field encryption"


# ---- fleets of other sizes and names (``warroom sim serve --fleet N``, the organization's accounts) ----


def renamed(spec: InstanceSpec, name: str) -> InstanceSpec:
    """``spec`` as the instance ``name``: its volumes' keys follow it (``name:root``, ``name:data``)."""
    volumes = tuple(replace(v, key=f"{name}:{v.key.partition(':')[2]}") for v in spec.volumes)
    return replace(spec, name=name, volumes=volumes)


def prefixed_volume(volume: VolumeSpec, prefix: str) -> VolumeSpec:
    """``volume`` with ``prefix`` before its key (and so its name)."""
    return replace(volume, key=prefix + volume.key) if prefix else volume


def prefixed_node(node: HybridNodeSpec, prefix: str) -> HybridNodeSpec:
    """``node`` with ``prefix`` before its name."""
    return replace(node, name=prefix + node.name) if prefix else node


_NUMBERED = re.compile(r"^(?P<stem>.*?)-(?P<number>\d+)$")


def fleet_too_small(total: int, places: int = 1) -> str:
    """Why a fleet of ``total`` instances cannot hold the catalog's in each of ``places`` accounts
    and regions ("" when it can)."""
    smallest = len(INSTANCES) * places
    if total >= smallest:
        return ""
    if places == 1:
        return f"--fleet {total} is smaller than the workload's own fleet of {smallest} instances"
    return (
        f"--fleet {total} is too small for the organization: its {places} workload accounts and "
        f"regions hold {len(INSTANCES)} instances each, {smallest} in all"
    )


def grown_fleet(total: int, base: Sequence[InstanceSpec] = INSTANCES) -> tuple[InstanceSpec, ...]:
    """``base`` followed by copies of its instances, taken in turn, until there are ``total``.

    A copy is the same host under the next free number of its name (``payments-api-1`` and
    ``payments-api-2`` are followed by ``payments-api-3``, ...), with its volumes, load and
    settings. ``total`` below the size of ``base`` raises ValueError: the seeded findings and
    alarms name the instances of ``base``."""
    if total < len(base):
        raise ValueError(f"a fleet of {total} instances is smaller than the {len(base)} it grows from")
    taken: dict[str, int] = {}
    for spec in base:
        match = _NUMBERED.match(spec.name)
        stem, number = (match["stem"], int(match["number"])) if match else (spec.name, 0)
        taken[stem] = max(taken.get(stem, 0), number)
    grown = list(base)
    for index in range(total - len(base)):
        spec = base[index % len(base)]
        match = _NUMBERED.match(spec.name)
        stem = match["stem"] if match else spec.name
        taken[stem] += 1
        grown.append(renamed(spec, f"{stem}-{taken[stem]}"))
    return tuple(grown)
