"""The fictional payments platform the simulator seeds: a table of resources and their load.

Everything here is plain data. The workload creates these resources through the API, and the
metric generator (``tui.sim.metricgen``) turns each ``Load`` into per-minute CloudWatch values.
A ``Load`` is a daily curve: ``night`` at the trough (03:00 UTC) and ``peak`` in the afternoon
(15:00 UTC), scaled by deterministic jitter.

Instance-type facts are those DescribeInstanceTypes reports (EBS throughput in MB/s of 10^6 bytes,
network bandwidth in Gbps); volume limits follow the EBS volume-type rules (throughput in MiB/s).

The fleet publishes as AWS publishes, so the console meets the data shapes real accounts have
(``SPARSE_*_VOLUMES``, ``BASIC_MONITORING_INSTANCES`` and ``XEN_INSTANCES`` name them): a volume
nobody uses sends no AWS/EBS points, a volume that only reads (or only writes) sends no write (or
read) points, an instance without detailed monitoring sends AWS/EC2 every 5 minutes, and a
Xen-generation instance sends no AWS/EC2 EBS* metrics.
"""

from __future__ import annotations

from dataclasses import dataclass

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
# What the remediation role's inline policy allows: the reads and fixes of the Findings pane's playbooks.
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


INSTANCE_TYPES: dict[str, TypeFacts] = {
    "m5.xlarge": TypeFacts(4, 143.75, 593.75, 6000, 18750, 1.25, 10.0),
    "m5.large": TypeFacts(2, 81.25, 593.75, 3600, 18750, 0.75, 10.0),
    "r5b.large": TypeFacts(2, 156.25, 1250.0, 5417, 43333, 0.75, 10.0),
    "c5n.xlarge": TypeFacts(4, 143.75, 593.75, 6000, 20000, 5.0, 25.0),
    "t3.large": TypeFacts(2, 86.875, 347.5, 4000, 15700, 0.512, 5.0, 30.0, 36.0),
    "t3.medium": TypeFacts(2, 43.375, 260.625, 2000, 11800, 0.256, 5.0, 20.0, 24.0),
    "t3.small": TypeFacts(2, 21.75, 260.625, 1000, 11800, 0.128, 5.0, 20.0, 24.0),
    "m4.large": TypeFacts(2, 56.25, 56.25, 3600, 3600, 0.45, 1.2, nitro=False),
}


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


def _gp3_root(name: str, size: int = 20, *, encrypted: bool = True, device: str = "/dev/xvda") -> VolumeSpec:
    return VolumeSpec(
        key=f"{name}:root",
        volume_type="gp3",
        size_gib=size,
        device=device,
        read_iops=Load(4, 18, 0.2),
        write_iops=Load(8, 35, 0.2),
        read_kib=16,
        write_kib=32,
        latency_ms=0.6,
        encrypted=encrypted,
        root=True,
    )


SECURITY_GROUPS: tuple[SecurityGroupSpec, ...] = (
    SecurityGroupSpec(
        "payments-app",
        "payments API and workers",
        (IngressRule("tcp", 443, 443, "10.0.0.0/8", "HTTPS from the VPCs"),),
    ),
    SecurityGroupSpec(
        "payments-db",
        "payments and ledger databases",
        (IngressRule("tcp", 5432, 5432, "172.31.0.0/16", "PostgreSQL from the default VPC"),),
    ),
    SecurityGroupSpec(
        "legacy-bastion-ssh",
        "legacy bastion, SSH from anywhere",
        (IngressRule("tcp", 22, 22, "0.0.0.0/0", "SSH from anywhere"),),
    ),
    SecurityGroupSpec(
        "ops-jump-rdp",
        "ops Windows jump host",
        (IngressRule("tcp", 3389, 3389, "0.0.0.0/0", "RDP for the ops vendor"),),
    ),
)

# Rules added to the default VPC's default security group (besides the self reference AWS puts there).
DEFAULT_SG_EXTRA_INGRESS = IngressRule("tcp", 8080, 8080, "0.0.0.0/0", "temporary debug listener")

# The member account's security group in its default VPC: SSH and RDP from anywhere, IPv4 and IPv6.
MEMBER_SECURITY_GROUP = SecurityGroupSpec(
    "sandbox-open-admin",
    "sandbox admin access, open while the builder is tested",
    (
        IngressRule("tcp", 22, 22, "0.0.0.0/0", "SSH from anywhere"),
        IngressRule("tcp", 22, 22, "::/0", "SSH from anywhere (IPv6)"),
        IngressRule("tcp", 3389, 3389, "0.0.0.0/0", "RDP from anywhere"),
        IngressRule("tcp", 3389, 3389, "::/0", "RDP from anywhere (IPv6)"),
    ),
)
# The member account's build host (IMDSv1, no instance profile, so not managed by SSM), in that group.
MEMBER_INSTANCE_NAME = "sandbox-builder-1"
MEMBER_INSTANCE_TYPE = "t3.medium"
MEMBER_INSTANCE_ZONE = "us-east-1a"
# The member account's bucket is ``<prefix>-<member account id>``, with Block Public Access on.
MEMBER_BUCKET_PREFIX = "sandbox-artifacts"

INSTANCES: tuple[InstanceSpec, ...] = (
    InstanceSpec(
        name="payments-db-1",
        instance_type="m5.xlarge",
        role="database",
        service="payments",
        zone="us-east-1a",
        security_group="payments-db",
        volumes=(
            _gp3_root("payments-db-1"),
            VolumeSpec(
                key="payments-db-1:data",
                volume_type="gp3",
                size_gib=500,
                device="/dev/sdf",
                iops=12000,
                throughput=750,
                read_iops=Load(3100, 3800, 0.05),
                # At the afternoon peak the instance runs near, not at, its EBS maximum: about 85%.
                write_iops=Load(1400, 1500, 0.05),
                read_kib=64,
                write_kib=128,
                latency_ms=0.8,
            ),
            VolumeSpec(
                key="payments-db-1:wal",
                volume_type="io2",
                size_gib=200,
                device="/dev/sdg",
                iops=10000,
                read_iops=Load(250, 300, 0.05),
                write_iops=Load(2500, 3050, 0.04),
                read_kib=16,
                write_kib=16,
                latency_ms=0.35,
            ),
        ),
        cpu_pct=Load(18, 62),
        net_in_mbps=Load(40, 180),
        net_out_mbps=Load(60, 260),
        mem_pct=Load(71, 83, 0.02),
        disk_used_pct=64.0,
    ),
    InstanceSpec(
        name="ledger-1",
        instance_type="r5b.large",
        role="database",
        service="ledger",
        zone="us-east-1b",
        security_group="payments-db",
        volumes=(
            _gp3_root("ledger-1"),
            VolumeSpec(
                key="ledger-1:journal",
                volume_type="io1",
                size_gib=400,
                device="/dev/sdf",
                iops=8000,
                read_iops=Load(400, 1200),
                write_iops=Load(1500, 4200),
                read_kib=16,
                write_kib=16,
                latency_ms=0.5,
            ),
            # Closed ledger years: read by reports and audits, never written.
            VolumeSpec(
                key="ledger-1:archive",
                volume_type="gp2",
                size_gib=1000,
                device="/dev/sdg",
                read_iops=Load(200, 900, 0.1),
                write_iops=Load(0, 0),
                read_kib=64,
                write_kib=64,
                latency_ms=0.9,
                encrypted=False,
            ),
        ),
        cpu_pct=Load(12, 41),
        net_in_mbps=Load(20, 90),
        net_out_mbps=Load(25, 120),
        mem_pct=Load(78, 86, 0.02),
        disk_used_pct=58.0,
    ),
    InstanceSpec(
        name="payments-api-1",
        instance_type="t3.large",
        role="api",
        service="payments-api",
        zone="us-east-1a",
        security_group="payments-app",
        volumes=(
            VolumeSpec(
                key="payments-api-1:root",
                volume_type="gp2",
                size_gib=50,
                device="/dev/xvda",
                read_iops=Load(40, 220, 0.1),
                write_iops=Load(60, 260, 0.1),
                read_kib=16,
                write_kib=16,
                latency_ms=0.7,
                root=True,
                burst_drain=62.0,
            ),
        ),
        cpu_pct=Load(8, 26),
        net_in_mbps=Load(30, 140),
        net_out_mbps=Load(60, 210),
        mem_pct=Load(55, 68, 0.03),
        disk_used_pct=41.0,
    ),
    InstanceSpec(
        name="payments-api-2",
        instance_type="t3.medium",
        role="api",
        service="payments-api",
        zone="us-east-1b",
        security_group="payments-app",
        volumes=(_gp3_root("payments-api-2", 16),),
        cpu_pct=Load(12, 44),
        net_in_mbps=Load(35, 160),
        net_out_mbps=Load(80, 290),
        mem_pct=Load(61, 77, 0.03),
        disk_used_pct=47.0,
    ),
    InstanceSpec(
        name="ingest-1",
        instance_type="c5n.xlarge",
        role="ingest",
        service="payments-events",
        zone="us-east-1a",
        security_group="payments-app",
        volumes=(
            _gp3_root("ingest-1", 30),
            VolumeSpec(
                key="ingest-1:spool",
                volume_type="st1",
                size_gib=2048,
                device="/dev/sdf",
                read_iops=Load(5, 30, 0.15),
                write_iops=Load(20, 110, 0.08),
                read_kib=1024,
                write_kib=1024,
                latency_ms=4.0,
                encrypted=False,
                burst_drain=45.0,
            ),
        ),
        cpu_pct=Load(22, 58),
        net_in_mbps=Load(600, 3300),
        net_out_mbps=Load(200, 900),
        mem_pct=Load(48, 63, 0.03),
        disk_used_pct=72.0,
        packet_bytes=420.0,
        pps_allowance=1_220_000.0,
        connections=Load(40_000, 128_000, 0.05),
        conntrack_allowance=132_000.0,
    ),
    InstanceSpec(
        name="settlement-worker-1",
        instance_type="m5.large",
        role="worker",
        service="settlement",
        zone="us-east-1a",
        security_group="payments-app",
        volumes=(
            _gp3_root("settlement-worker-1", 30),
            # Nightly settlement files streamed through in large sequential reads and writes.
            VolumeSpec(
                key="settlement-worker-1:spool",
                volume_type="gp3",
                size_gib=500,
                device="/dev/sdf",
                throughput=250,
                read_iops=Load(380, 560, 0.08),
                write_iops=Load(120, 180, 0.08),
                read_kib=256,
                write_kib=256,
                latency_ms=0.9,
            ),
        ),
        cpu_pct=Load(15, 55),
        net_in_mbps=Load(15, 70),
        net_out_mbps=Load(10, 50),
        mem_pct=Load(52, 66, 0.03),
        disk_used_pct=36.0,
        linklocal_pps=Load(300, 1000, 0.05),
    ),
    InstanceSpec(
        name="settlement-worker-2",
        instance_type="m5.large",
        role="worker",
        service="settlement",
        zone="us-east-1b",
        security_group="payments-app",
        volumes=(_gp3_root("settlement-worker-2", 30),),
        cpu_pct=Load(14, 52),
        net_in_mbps=Load(15, 65),
        net_out_mbps=Load(10, 45),
        mem_pct=Load(50, 64, 0.03),
        disk_used_pct=35.0,
        imdsv2=False,
        ssm_managed=False,
    ),
    # An older host (Xen generation): no instance EBS metrics.
    InstanceSpec(
        name="audit-archiver-1",
        instance_type="m4.large",
        role="archive",
        service="audit",
        zone="us-east-1c",
        security_group="payments-app",
        volumes=(
            _gp3_root("audit-archiver-1"),
            # Audit records appended for the regulator, never read back here.
            VolumeSpec(
                key="audit-archiver-1:cold",
                volume_type="sc1",
                size_gib=1024,
                device="/dev/sdf",
                read_iops=Load(0, 0),
                write_iops=Load(5, 40, 0.1),
                read_kib=1024,
                write_kib=1024,
                latency_ms=9.0,
                encrypted=False,
                burst_drain=55.0,
            ),
            VolumeSpec(
                key="audit-archiver-1:legacy",
                volume_type="standard",
                size_gib=100,
                device="/dev/sdg",
                read_iops=Load(10, 60, 0.15),
                write_iops=Load(5, 30, 0.15),
                read_kib=32,
                write_kib=32,
                latency_ms=6.0,
                encrypted=False,
                burst_drain=20.0,
            ),
        ),
        cpu_pct=Load(6, 18),
        net_in_mbps=Load(10, 45),
        net_out_mbps=Load(5, 20),
        mem_pct=Load(38, 44, 0.03),
        disk_used_pct=83.0,
    ),
    InstanceSpec(
        name="legacy-bastion-1",
        instance_type="t3.small",
        role="bastion",
        service="ops",
        zone="us-east-1a",
        security_group="legacy-bastion-ssh",
        volumes=(
            _gp3_root("legacy-bastion-1", 8, encrypted=False),
            # Home directories of the old bastion: mounted, nobody reads them.
            VolumeSpec(
                key="legacy-bastion-1:home",
                volume_type="gp2",
                size_gib=50,
                device="/dev/sdf",
                read_iops=Load(0, 0),
                write_iops=Load(0, 0),
                read_kib=16,
                write_kib=16,
                latency_ms=0.6,
                encrypted=False,
            ),
        ),
        cpu_pct=Load(2, 6, 0.2),
        net_in_mbps=Load(0.5, 2, 0.3),
        net_out_mbps=Load(0.5, 3, 0.3),
        mem_pct=Load(28, 33, 0.05),
        disk_used_pct=52.0,
        imdsv2=False,
        agent_version="3.1.1004.0",
        detailed_monitoring=False,
    ),
    InstanceSpec(
        name="ops-jump-1",
        instance_type="t3.large",
        role="jump-host",
        service="ops",
        zone="us-east-1b",
        security_group="ops-jump-rdp",
        volumes=(_gp3_root("ops-jump-1", 50, encrypted=False, device="/dev/sda1"),),
        cpu_pct=Load(4, 14, 0.15),
        net_in_mbps=Load(1, 6, 0.3),
        net_out_mbps=Load(1, 4, 0.3),
        mem_pct=Load(45, 58, 0.05),
        disk_used_pct=61.0,
        windows=True,
        imdsv2=False,
    ),
    InstanceSpec(
        name="batch-reports-1",
        instance_type="m5.large",
        role="batch",
        service="reporting",
        zone="us-east-1c",
        security_group="payments-app",
        volumes=(_gp3_root("batch-reports-1", 30, encrypted=False),),
        cpu_pct=Load(0, 0),
        net_in_mbps=Load(0, 0),
        net_out_mbps=Load(0, 0),
        mem_pct=Load(0, 0),
        disk_used_pct=0.0,
        running=False,
    ),
)

# The resources that publish sparsely, as AWS publishes (see the module's docstring).
SPARSE_IDLE_VOLUMES = ("legacy-bastion-1:home",)
SPARSE_READ_ONLY_VOLUMES = ("ledger-1:archive",)
SPARSE_WRITE_ONLY_VOLUMES = ("audit-archiver-1:cold",)
BASIC_MONITORING_INSTANCES = tuple(spec.name for spec in INSTANCES if not spec.detailed_monitoring)
XEN_INSTANCES = tuple(spec.name for spec in INSTANCES if not spec.facts.nitro)

# A volume restored for a test and never attached to anything.
UNATTACHED_VOLUME = VolumeSpec(
    key="restore-test:orphan",
    volume_type="gp3",
    size_gib=100,
    device="",
    read_iops=Load(0, 0),
    write_iops=Load(0, 0),
    read_kib=0,
    write_kib=0,
    latency_ms=0,
    encrypted=False,
)
UNATTACHED_VOLUME_ZONE = "us-east-1a"

# Lambda functions reading a stream (``ConsumerSpec.lambda_function``) get an event source mapping
# with this batch size; the workload creates them with this runtime, memory and role.
LAMBDA_BATCH_SIZE = 100
LAMBDA_RUNTIME = "python3.12"
LAMBDA_MEMORY_MB = 512
LAMBDA_TIMEOUT_S = 60
LAMBDA_ROLE = "payments-stream-reader"

STREAMS: tuple[StreamSpec, ...] = (
    # Near one shard's 1,000 records/s all day; the ledger writer reads 600 records/s per shard,
    # so with one shard it falls further behind every minute and with two it catches up.
    StreamSpec(
        name="payments-events",
        shards=1,
        retention_hours=24,
        records_per_s=Load(935, 965, 0.015),
        record_bytes=620.0,
        consumers=(
            ConsumerSpec("fraud-scorer", Load(180, 650, 0.25)),
            ConsumerSpec(
                "payments-ledger-writer",
                Load(250, 1400, 0.3),
                efo=False,
                lambda_function=True,
                per_shard_rps=600.0,
                behind_hours=16.0,
            ),
        ),
        burst=1.05,
    ),
    # The other two stay between the 0.25 (halve) and 0.75 (double) usage lines all day.
    StreamSpec(
        name="ledger-cdc",
        shards=4,
        retention_hours=24,
        records_per_s=Load(900, 1800),
        record_bytes=1400.0,
        consumers=(
            ConsumerSpec("ledger-projector", Load(90_000, 420_000, 0.08)),
            ConsumerSpec("ledger-snapshotter", Load(400, 2000, 0.3), efo=False),
        ),
    ),
    StreamSpec(
        name="audit-trail",
        shards=2,
        retention_hours=168,
        records_per_s=Load(280, 420),
        record_bytes=2200.0,
        consumers=(
            ConsumerSpec("audit-indexer", Load(300, 1200, 0.25)),
            ConsumerSpec("audit-s3-archiver", Load(800, 3000, 0.3), efo=False),
        ),
    ),
)

HYBRID_NODES: tuple[HybridNodeSpec, ...] = (
    HybridNodeSpec(
        name="onprem-hsm-gw-1",
        platform_name="Red Hat Enterprise Linux",
        platform_version="9.3",
        ip_address="10.40.1.15",
        computer_name="hsm-gw-1.dc1.payments.internal",
    ),
    HybridNodeSpec(
        name="branch-pos-gw-2",
        platform_name="Ubuntu",
        platform_version="22.04",
        ip_address="10.72.8.2",
        computer_name="pos-gw-2.branch-ord.payments.internal",
        online=False,
        silent_minutes=123,
        agent_version="3.2.2222.0",
    ),
)

INSTANCE_ROLE = "payments-ec2-ssm"
HYBRID_ROLE = "SSMServiceRole"
EXTERNAL_ROLE = "partner-settlement-reader"
EXTERNAL_PARTNER_ACCOUNT = "999988887777"
TRAIL_NAME = "payments-audit"

# IAM users with access keys: name -> age of the key in days. The workload dates each key (and its
# user, ``USER_OLDER_THAN_KEY_DAYS`` earlier) back from the seeding time, so ListAccessKeys reports it.
ACCESS_KEY_USERS: dict[str, int] = {
    "svc-reconciler": 412,
    "legacy-ftp-export": 1038,
    "ci-deployer": 37,
}
USER_OLDER_THAN_KEY_DAYS = 3

# A customer managed symmetric key of the seeded account, with automatic rotation off.
KMS_KEY_ALIAS = "alias/payments-ledger"
KMS_KEY_DESCRIPTION = "payments ledger field encryption"

# Bucket name prefixes; the workload appends a seed-derived suffix. Public ones carry an ACL.
PUBLIC_BUCKET_PREFIXES = ("payments-statements", "partner-exports")
PRIVATE_BUCKET_PREFIXES = ("payments-audit-logs",)
