"""The simulator answers EC2 and CloudWatch as AWS does, with boto3 as the client.

The seeded workload (seed 7) publishes the way AWS publishes: idle volumes send no AWS/EBS points,
a volume that only reads sends no write points, basic monitoring sends AWS/EC2 every 5 minutes,
and a Xen-generation instance has no instance EBS metrics. GetMetricData aligns its buckets to the
period and computes metric math; DescribeVolumes reports Iops and Throughput where AWS does.

Metric math tests write their own series into ca-central-1, which the workload leaves empty.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tui.sim import catalog
from tui.sim.extensions.cloudwatch import put_series
from tui.sim.server import SimServer
from tui.sim.workload import Inventory

ACCOUNT = "123456789012"
MATH_REGION = "ca-central-1"

Client = Callable[..., Any]


def _aligned_now(step_minutes: int) -> datetime:
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    return now - timedelta(minutes=now.minute % step_minutes)


def _stat(namespace: str, metric: str, dims: dict[str, str], period: int, stat: str) -> dict[str, Any]:
    return {
        "Metric": {
            "Namespace": namespace,
            "MetricName": metric,
            "Dimensions": [{"Name": name, "Value": value} for name, value in dims.items()],
        },
        "Period": period,
        "Stat": stat,
    }


# --------------------------------------------------------------------------------------------
# GetMetricData: period alignment and metric math
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def math_now(sim: SimServer) -> datetime:
    """Two series written a minute apart for an hour, ending at a 10-minute boundary: Reads is
    the minute's number of minutes ago, Writes twice that; Sparse has a point every 5 minutes."""
    now = _aligned_now(10)
    reads = [(now - timedelta(minutes=m), float(m)) for m in range(1, 61)]
    writes = [(now - timedelta(minutes=m), 2.0 * m) for m in range(1, 61)]
    sparse = [(now - timedelta(minutes=m), 100.0 + m) for m in range(5, 61, 5)]
    dims = {"VolumeId": "vol-math"}
    put_series(ACCOUNT, MATH_REGION, "Warroom/Conformance", "Reads", dims, reads, "Count")
    put_series(ACCOUNT, MATH_REGION, "Warroom/Conformance", "Writes", dims, writes, "Count")
    put_series(ACCOUNT, MATH_REGION, "Warroom/Conformance", "Sparse", dims, sparse, "Count")
    return now


def _math_query(client: Client, now: datetime, queries: list[dict[str, Any]], **kwargs: Any) -> Any:
    cw = client("cloudwatch", region=MATH_REGION)
    return cw.get_metric_data(
        MetricDataQueries=queries,
        StartTime=kwargs.pop("start", now - timedelta(minutes=30)),
        EndTime=kwargs.pop("end", now),
        ScanBy="TimestampAscending",
        **kwargs,
    )


DIMS = {"VolumeId": "vol-math"}


@pytest.fixture(scope="module")
def inventory(sim: SimServer) -> Inventory:
    inv: Inventory = sim.workload.inventory
    return inv


def test_buckets_are_aligned_to_the_period_whatever_the_start(client: Client, math_now: datetime) -> None:
    now = math_now
    # A window starting 2 minutes past a 5-minute boundary: the first bucket is stamped at the
    # boundary, and every timestamp is a multiple of 300 s since the epoch.
    reply = _math_query(
        client,
        now,
        [{"Id": "r", "MetricStat": _stat("Warroom/Conformance", "Reads", DIMS, 300, "Sum")}],
        start=now - timedelta(minutes=28),
    )
    result = reply["MetricDataResults"][0]
    stamps = [stamp.astimezone(UTC) for stamp in result["Timestamps"]]
    assert all(int(stamp.timestamp()) % 300 == 0 for stamp in stamps)
    assert stamps[0] == now - timedelta(minutes=30)
    # The first bucket holds minutes 28..26 ago (the window's part of it); the others five minutes.
    assert result["Values"] == [28.0 + 27 + 26, 25.0 + 24 + 23 + 22 + 21, 90.0, 65.0, 40.0, 15.0]


def test_a_coarser_series_comes_back_at_its_own_timestamps(client: Client, math_now: datetime) -> None:
    """A 5-minute series asked for at 60 s from a start between minutes: its points as published,
    never spread per minute nor shifted to the start's seconds."""
    now = math_now
    reply = _math_query(
        client,
        now,
        [{"Id": "s", "MetricStat": _stat("Warroom/Conformance", "Sparse", DIMS, 60, "Sum")}],
        start=now - timedelta(minutes=30, seconds=30),
    )
    result = reply["MetricDataResults"][0]
    stamps = [stamp.astimezone(UTC) for stamp in result["Timestamps"]]
    assert stamps == [now - timedelta(minutes=m) for m in (30, 25, 20, 15, 10, 5)]
    assert result["Values"] == [130.0, 125.0, 120.0, 115.0, 110.0, 105.0]


def test_expressions_compute_arithmetic_point_wise(client: Client, math_now: datetime) -> None:
    now = math_now
    reply = _math_query(
        client,
        now,
        [
            {
                "Id": "r",
                "MetricStat": _stat("Warroom/Conformance", "Reads", DIMS, 300, "Sum"),
                "ReturnData": False,
            },
            {
                "Id": "w",
                "MetricStat": _stat("Warroom/Conformance", "Writes", DIMS, 300, "Sum"),
                "ReturnData": False,
            },
            {"Id": "iops", "Expression": "(r + w) / PERIOD(r)", "Label": "IOPS"},
            {"Id": "share", "Expression": "100 * r / (r + w)"},
            {"Id": "nested", "Expression": "iops * 2 - -1"},
            {"Id": "hidden", "Expression": "w - r", "ReturnData": False},
        ],
    )
    results = {result["Id"]: result for result in reply["MetricDataResults"]}
    # Queries with ReturnData false are computed from, never returned.
    assert sorted(results) == ["iops", "nested", "share"]
    sums = [140.0, 115.0, 90.0, 65.0, 40.0, 15.0]
    assert results["iops"]["Label"] == "IOPS"
    assert results["iops"]["StatusCode"] == "Complete"
    assert results["iops"]["Values"] == pytest.approx([3.0 * s / 300.0 for s in sums])
    assert results["share"]["Values"] == pytest.approx([100.0 / 3.0] * 6)
    assert results["nested"]["Values"] == pytest.approx([6.0 * s / 300.0 + 1.0 for s in sums])
    stamps = [stamp.astimezone(UTC) for stamp in results["iops"]["Timestamps"]]
    assert stamps == [now - timedelta(minutes=30 - 5 * k) for k in range(6)]


def test_series_combine_only_where_both_have_a_point(client: Client, math_now: datetime) -> None:
    now = math_now
    reply = _math_query(
        client,
        now,
        [
            {"Id": "r", "MetricStat": _stat("Warroom/Conformance", "Reads", DIMS, 60, "Sum")},
            {"Id": "s", "MetricStat": _stat("Warroom/Conformance", "Sparse", DIMS, 60, "Sum")},
            {"Id": "both", "Expression": "s - r"},
        ],
        start=now - timedelta(minutes=12),
    )
    results = {result["Id"]: result for result in reply["MetricDataResults"]}
    assert len(results["r"]["Values"]) == 12
    assert results["both"]["Values"] == [100.0, 100.0]
    stamps = [stamp.astimezone(UTC) for stamp in results["both"]["Timestamps"]]
    assert stamps == [now - timedelta(minutes=10), now - timedelta(minutes=5)]


def test_fill_max_rate_and_numbers_as_the_kinesis_scaling_alarms_use_them(
    client: Client, math_now: datetime
) -> None:
    """FILL gives every period of the range a value, MAX([...]) takes the larger point by point,
    RATE and DIFF compare consecutive points, and a number-only query feeds others."""
    now = math_now
    reply = _math_query(
        client,
        now,
        [
            {
                "Id": "r",
                "MetricStat": _stat("Warroom/Conformance", "Reads", DIMS, 60, "Sum"),
                "ReturnData": False,
            },
            {
                "Id": "s",
                "MetricStat": _stat("Warroom/Conformance", "Sparse", DIMS, 60, "Sum"),
                "ReturnData": False,
            },
            {"Id": "k", "Expression": "2", "ReturnData": False},
            {"Id": "filled", "Expression": "FILL(s,0)"},
            {"Id": "most", "Expression": "MAX([r,FILL(s,0)])"},
            {"Id": "rate", "Expression": "RATE(r)"},
            {"Id": "diff", "Expression": "DIFF(r)"},
            {"Id": "scaled", "Expression": "r*k"},
        ],
        start=now - timedelta(minutes=12),
    )
    results = {result["Id"]: result for result in reply["MetricDataResults"]}
    assert sorted(results) == ["diff", "filled", "most", "rate", "scaled"]
    reads = [float(m) for m in range(12, 0, -1)]
    assert results["filled"]["Values"] == [0.0, 0.0, 110.0, 0.0, 0.0, 0.0, 0.0, 105.0, 0.0, 0.0, 0.0, 0.0]
    stamps = [stamp.astimezone(UTC) for stamp in results["filled"]["Timestamps"]]
    assert stamps == [now - timedelta(minutes=m) for m in range(12, 0, -1)]
    assert results["most"]["Values"] == [12.0, 11.0, 110.0, 9.0, 8.0, 7.0, 6.0, 105.0, 4.0, 3.0, 2.0, 1.0]
    assert results["rate"]["Values"] == pytest.approx([-1.0 / 60.0] * 11)
    assert results["diff"]["Values"] == [-1.0] * 11
    assert results["scaled"]["Values"] == [2.0 * value for value in reads]


@pytest.mark.parametrize(
    ("expression", "reason"),
    [
        ("r +", "end of expression"),
        ("r + nosuch", "nosuch"),
        ("ANOMALY_DETECTION_BAND(r)", "ANOMALY_DETECTION_BAND"),
        ("r $ 2", "$"),
        ("(r + 1", "parenthesis"),
        ("2 * 3", "at least one metric"),
        ("loop + 1", "Circular"),
    ],
)
def test_an_expression_that_cannot_be_computed_is_a_validation_error(
    client: Client, math_now: datetime, expression: str, reason: str
) -> None:
    now = math_now
    with pytest.raises(ClientError) as excinfo:
        _math_query(
            client,
            now,
            [
                {"Id": "r", "MetricStat": _stat("Warroom/Conformance", "Reads", DIMS, 60, "Sum")},
                {"Id": "loop", "Expression": expression},
            ],
        )
    error = excinfo.value.response
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert error["Error"]["Code"] == "ValidationError"
    message = error["Error"]["Message"]
    assert expression in message
    assert reason in message


# --------------------------------------------------------------------------------------------
# DescribeVolumes: Iops and Throughput where AWS reports them
# --------------------------------------------------------------------------------------------


def test_describe_volumes_reports_iops_and_throughput_per_type(client: Client, inventory: Inventory) -> None:
    ec2 = client("ec2")
    volumes = {v["VolumeId"]: v for v in ec2.describe_volumes()["Volumes"]}
    by_key = inventory.volumes_by_key
    expected: dict[str, tuple[int | None, int | None]] = {
        "payments-db-1:data": (12000, 750),  # gp3 as provisioned
        "payments-db-1:root": (3000, 125),  # gp3 root from the launch: AWS's defaults
        "payments-db-1:wal": (10000, None),  # io2
        "ledger-1:journal": (8000, None),  # io1
        "ledger-1:archive": (3000, None),  # gp2, 1000 GiB: 3 IOPS per GiB
        "payments-api-1:root": (150, None),  # gp2, 50 GiB
        "ingest-1:spool": (None, None),  # st1
        "audit-archiver-1:cold": (None, None),  # sc1
        "audit-archiver-1:legacy": (None, None),  # standard
    }
    for key, (iops, throughput) in expected.items():
        volume = volumes[by_key[key]]
        assert volume.get("Iops") == iops, key
        assert volume.get("Throughput") == throughput, key
    for volume in volumes.values():
        if volume["VolumeType"] in ("gp2", "gp3", "io1", "io2"):
            assert volume["Iops"] >= 100, volume["VolumeId"]
        if volume["VolumeType"] == "gp3":
            assert volume["Throughput"] >= 125, volume["VolumeId"]


def test_gp2_iops_is_clamped_and_follows_a_type_change(client: Client) -> None:
    ec2 = client("ec2", region="eu-central-1")
    zone = "eu-central-1a"
    small = ec2.create_volume(AvailabilityZone=zone, Size=20, VolumeType="gp2")["VolumeId"]
    large = ec2.create_volume(AvailabilityZone=zone, Size=6000, VolumeType="gp2")["VolumeId"]
    moved = ec2.create_volume(AvailabilityZone=zone, Size=400, VolumeType="gp3", Iops=4000)["VolumeId"]
    ec2.modify_volume(VolumeId=moved, VolumeType="gp2")
    described = {v["VolumeId"]: v for v in ec2.describe_volumes(VolumeIds=[small, large, moved])["Volumes"]}
    assert described[small]["Iops"] == 100
    assert described[large]["Iops"] == 16000
    assert described[moved]["Iops"] == 1200
    assert "Throughput" not in described[moved]


# --------------------------------------------------------------------------------------------
# The seeded fleet publishes as AWS publishes
# --------------------------------------------------------------------------------------------


def _series(
    client: Client,
    namespace: str,
    metric: str,
    dims: dict[str, str],
    start: datetime,
    end: datetime,
    period: int = 60,
    stat: str = "Sum",
) -> tuple[list[datetime], list[float]]:
    result = client("cloudwatch").get_metric_data(
        MetricDataQueries=[{"Id": "q", "MetricStat": _stat(namespace, metric, dims, period, stat)}],
        StartTime=start,
        EndTime=end,
        ScanBy="TimestampAscending",
    )["MetricDataResults"][0]
    return [stamp.astimezone(UTC) for stamp in result["Timestamps"]], list(result["Values"])


def _listed(client: Client, namespace: str, name: str, value: str) -> set[str]:
    metrics = client("cloudwatch").list_metrics(
        Namespace=namespace, Dimensions=[{"Name": name, "Value": value}]
    )
    return {metric["MetricName"] for metric in metrics["Metrics"]}


def _backfill(sim: SimServer) -> tuple[datetime, datetime]:
    """The three hours the workload wrote before its last written minute, as a window."""
    last = sim.workload.last_written_minute
    assert last is not None
    end = datetime.fromtimestamp((last + 1) * 60, UTC)
    return end - timedelta(hours=3), end


EBS_READS = {"VolumeReadOps", "VolumeReadBytes", "VolumeTotalReadTime"}
EBS_WRITES = {"VolumeWriteOps", "VolumeWriteBytes", "VolumeTotalWriteTime"}
INSTANCE_EBS = {
    "EBSReadOps",
    "EBSWriteOps",
    "EBSReadBytes",
    "EBSWriteBytes",
    "EBSIOBalance%",
    "EBSByteBalance%",
}


def test_an_idle_attached_volume_publishes_no_ebs_points(
    sim: SimServer, client: Client, inventory: Inventory
) -> None:
    start, end = _backfill(sim)
    assert catalog.SPARSE_IDLE_VOLUMES
    for key in catalog.SPARSE_IDLE_VOLUMES:
        volume_id = inventory.volumes_by_key[key]
        volume = client("ec2").describe_volumes(VolumeIds=[volume_id])["Volumes"][0]
        assert volume["State"] == "in-use" and volume["Attachments"], key
        assert _listed(client, "AWS/EBS", "VolumeId", volume_id) == set(), key
        for metric in ("VolumeReadOps", "VolumeWriteOps", "VolumeIdleTime", "BurstBalance"):
            assert _series(client, "AWS/EBS", metric, {"VolumeId": volume_id}, start, end) == ([], []), key
    # Its neighbour on the same instance is busy and publishes every minute.
    busy = inventory.volumes_by_key["legacy-bastion-1:root"]
    stamps, _ = _series(client, "AWS/EBS", "VolumeWriteOps", {"VolumeId": busy}, start, end)
    assert len(stamps) == 180


@pytest.mark.parametrize(
    ("keys", "present", "absent"),
    [
        (catalog.SPARSE_READ_ONLY_VOLUMES, EBS_READS, EBS_WRITES),
        (catalog.SPARSE_WRITE_ONLY_VOLUMES, EBS_WRITES, EBS_READS),
    ],
    ids=["read-only", "write-only"],
)
def test_a_volume_that_only_reads_or_only_writes_has_no_points_for_the_other(
    sim: SimServer,
    client: Client,
    inventory: Inventory,
    keys: tuple[str, ...],
    present: set[str],
    absent: set[str],
) -> None:
    start, end = _backfill(sim)
    assert keys
    for key in keys:
        volume_id = inventory.volumes_by_key[key]
        listed = _listed(client, "AWS/EBS", "VolumeId", volume_id)
        assert present <= listed, key
        assert not absent & listed, key
        for metric in present:
            stamps, values = _series(client, "AWS/EBS", metric, {"VolumeId": volume_id}, start, end)
            assert len(stamps) >= 170 and min(values) > 0, (key, metric)
        for metric in absent:
            assert _series(client, "AWS/EBS", metric, {"VolumeId": volume_id}, start, end) == ([], []), key


def _by_name(client: Client) -> dict[str, dict[str, Any]]:
    reservations = client("ec2").describe_instances()["Reservations"]
    instances = [i for r in reservations for i in r["Instances"]]
    return {
        next(t["Value"] for t in i.get("Tags", []) if t["Key"] == "Name"): i
        for i in instances
        if i["State"]["Name"] == "running"
    }


def test_basic_monitoring_publishes_ec2_every_five_minutes(
    sim: SimServer, client: Client, inventory: Inventory
) -> None:
    described = _by_name(client)
    assert catalog.BASIC_MONITORING_INSTANCES
    for name, instance in described.items():
        basic = name in catalog.BASIC_MONITORING_INSTANCES
        assert instance["Monitoring"]["State"] == ("disabled" if basic else "enabled"), name
    start, end = _backfill(sim)
    generator = sim.workload.generator
    state = sim.workload.live_state()
    for name in catalog.BASIC_MONITORING_INSTANCES:
        iid = inventory.instances[name]
        dims = {"InstanceId": iid}
        # Asked for at 60 s, the 5-minute points come back as published: one per 5-minute block
        # whose last minute was written, stamped with its first minute.
        early = start - timedelta(minutes=4)
        stamps, net = _series(client, "AWS/EC2", "NetworkIn", dims, early, end)
        first, last = int(start.timestamp()) // 60, int(end.timestamp()) // 60 - 1
        blocks = [m - 4 for m in range(first, last + 1) if (m + 1) % 5 == 0]
        assert stamps == [datetime.fromtimestamp(60 * m, UTC) for m in blocks]
        assert len(stamps) == 36
        assert _series(client, "AWS/EC2", "NetworkIn", dims, early, end, period=300) == (stamps, net)
        # Each is the Sum of its five minutes; CPU is their Average, so a percentage still.
        last_block = stamps[-1]
        block_end = int(last_block.timestamp()) // 60 + 4
        sample = {
            key.metric: value
            for key, value in generator.sample(block_end, state=state)
            if key.resource == iid
        }
        assert net[-1] == pytest.approx(sample["NetworkIn"])
        five_minutes = [
            value
            for minute in range(block_end - 4, block_end + 1)
            for key, value in generator.sample(minute, state=state)
            if key.resource == iid and key.metric == "CPUUtilization"
        ]
        assert five_minutes == [pytest.approx(sample["CPUUtilization"])]
        cpu_stamps, cpu = _series(client, "AWS/EC2", "CPUUtilization", dims, early, end, stat="Average")
        assert cpu_stamps == stamps and max(cpu) <= 100.0
        # Its volumes still publish every minute (AWS/EBS has 1-minute data for every volume).
        root = inventory.volumes_by_key[f"{name}:root"]
        assert len(_series(client, "AWS/EBS", "VolumeWriteOps", {"VolumeId": root}, start, end)[0]) == 180
    detailed = inventory.instances["payments-db-1"]
    assert len(_series(client, "AWS/EC2", "NetworkIn", {"InstanceId": detailed}, start, end)[0]) == 180


def test_a_xen_instance_publishes_no_instance_ebs_metrics(
    sim: SimServer, client: Client, inventory: Inventory
) -> None:
    described = _by_name(client)
    assert catalog.XEN_INSTANCES
    ec2 = client("ec2")
    for name in catalog.XEN_INSTANCES:
        instance_type = described[name]["InstanceType"]
        info = ec2.describe_instance_types(InstanceTypes=[instance_type])["InstanceTypes"][0]
        assert info["Hypervisor"] == "xen"
        assert info["EbsInfo"]["EbsOptimizedInfo"]["MaximumThroughputInMBps"] > 0
        iid = inventory.instances[name]
        listed = _listed(client, "AWS/EC2", "InstanceId", iid)
        assert {"CPUUtilization", "NetworkIn", "NetworkOut"} <= listed
        assert not INSTANCE_EBS & listed, name
        # Its volumes publish their own I/O, without the Nitro-only checks.
        for volume in (v for v in catalog.INSTANCES if v.name == name for v in v.volumes):
            volume_listed = _listed(client, "AWS/EBS", "VolumeId", inventory.volumes_by_key[volume.key])
            assert volume_listed and "VolumeIOPSExceededCheck" not in volume_listed, volume.key
    for name, instance in described.items():
        if name in catalog.XEN_INSTANCES:
            continue
        info = ec2.describe_instance_types(InstanceTypes=[instance["InstanceType"]])["InstanceTypes"][0]
        assert info["Hypervisor"] == "nitro", name
        assert _listed(client, "AWS/EC2", "InstanceId", inventory.instances[name]) >= INSTANCE_EBS, name


def test_instances_were_launched_before_their_first_metric(
    sim: SimServer, client: Client, inventory: Inventory
) -> None:
    reservations = client("ec2").describe_instances()["Reservations"]
    instances = [
        i for r in reservations for i in r["Instances"] if i["InstanceId"] in inventory.instances.values()
    ]
    assert len(instances) == len(inventory.instances)
    end = datetime.now(UTC) + timedelta(minutes=1)
    launches = set()
    for instance in instances:
        launched = instance["LaunchTime"].astimezone(UTC)
        launches.add(launched)
        assert launched <= inventory.seeded_at - timedelta(days=45), instance["InstanceId"]
        stamps, _ = _series(
            client,
            "AWS/EC2",
            "CPUUtilization",
            {"InstanceId": instance["InstanceId"]},
            launched,
            end,
            3600,
            "Average",
        )
        if instance["State"]["Name"] == "running":
            assert stamps and launched < stamps[0], instance["InstanceId"]
        volumes = client("ec2").describe_volumes(
            Filters=[{"Name": "attachment.instance-id", "Values": [instance["InstanceId"]]}]
        )["Volumes"]
        assert volumes
        for volume in volumes:
            assert volume["CreateTime"].astimezone(UTC) == launched
            assert volume["Attachments"][0]["AttachTime"].astimezone(UTC) == launched
    assert len(launches) == len(instances), "each instance has its own launch time"
