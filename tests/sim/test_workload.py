"""The seeded payments platform (seed 7) as the API shows it, and the metric generator's rules.

Reads of the shared simulator only look; the tick and thread tests write metrics into their own
region, sa-east-1, with a second Workload adopting the seeded fleet.
"""

from __future__ import annotations

import random
import re
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tui.sim import catalog
from tui.sim.findings import build_findings
from tui.sim.metricgen import (
    FleetModel,
    InstanceModel,
    LiveState,
    MetricGenerator,
    VolumeModel,
    daily,
    minute_of,
    minute_start,
    unit_noise,
)
from tui.sim.server import SimServer
from tui.sim.workload import Inventory, Workload, is_standard_type, vcpus_of

ACCOUNT = "123456789012"
MEMBER = "210987654321"
OWN_REGION = "sa-east-1"

Client = Callable[..., Any]


@pytest.fixture(scope="module")
def inventory(sim: SimServer) -> Inventory:
    inv: Inventory = sim.workload.inventory
    return inv


@pytest.fixture(scope="module")
def findings(sim: SimServer) -> list[dict[str, Any]]:
    import boto3

    hub = boto3.client(
        "securityhub",
        region_name="us-east-1",
        endpoint_url=sim.endpoint_url,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    out: list[dict[str, Any]] = []
    token: str | None = None
    while True:
        params: dict[str, Any] = {"MaxResults": 100}
        if token:
            params["NextToken"] = token
        page = hub.get_findings(**params)
        out.extend(page["Findings"])
        token = page.get("NextToken")
        if not token:
            return out


def _instances(client: Client) -> list[dict[str, Any]]:
    reservations = client("ec2").describe_instances()["Reservations"]
    return [i for r in reservations for i in r["Instances"]]


def _tags(resource: dict[str, Any]) -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in resource.get("Tags", [])}


# ------------------------------------------------------------------------------------------------
# EC2 and EBS
# ------------------------------------------------------------------------------------------------


def test_fleet_has_mixed_tagged_instances_and_one_stopped(client: Client, inventory: Inventory) -> None:
    instances = _instances(client)
    seeded = [i for i in instances if i["InstanceId"] in set(inventory.instances.values())]
    assert 8 <= len(seeded) <= 12
    assert len({i["InstanceType"] for i in seeded}) >= 5
    for instance in seeded:
        tags = _tags(instance)
        assert {"Name", "Role", "Service"} <= tags.keys(), instance["InstanceId"]
        assert inventory.instances[tags["Name"]] == instance["InstanceId"]
    states = Counter(i["State"]["Name"] for i in seeded)
    assert states["stopped"] >= 1 and states["running"] >= 7
    by_name = {_tags(i)["Name"]: i for i in seeded}
    assert by_name["payments-db-1"]["InstanceType"] == "m5.xlarge"
    assert {by_name[n]["InstanceType"] for n in ("payments-api-1", "payments-api-2")} == {
        "t3.large",
        "t3.medium",
    }
    assert by_name[inventory.stopped_instances[0]]["State"]["Name"] == "stopped"
    assert any(
        i["MetadataOptions"]["HttpTokens"] == "optional" for i in seeded if i["State"]["Name"] == "running"
    )


def test_every_volume_type_is_attached_and_one_volume_is_available(
    client: Client, inventory: Inventory
) -> None:
    volumes = client("ec2").describe_volumes()["Volumes"]
    in_use = [v for v in volumes if v["State"] == "in-use"]
    assert {v["VolumeType"] for v in in_use} >= {"gp2", "gp3", "io1", "io2", "st1", "sc1", "standard"}
    gp2_sizes = sorted(v["Size"] for v in in_use if v["VolumeType"] == "gp2")
    assert gp2_sizes[0] <= 100 and gp2_sizes[-1] >= 1000
    available = [v["VolumeId"] for v in volumes if v["State"] == "available"]
    assert available == list(inventory.unattached_volumes)
    data = next(v for v in volumes if v["VolumeId"] == inventory.volumes_by_key["payments-db-1:data"])
    wal = next(v for v in volumes if v["VolumeId"] == inventory.volumes_by_key["payments-db-1:wal"])
    db = inventory.instances["payments-db-1"]
    assert data["VolumeType"] == "gp3" and data["Iops"] > 3000 and data["Throughput"] > 125
    assert wal["VolumeType"] == "io2" and wal["Iops"] == 10000
    assert data["Attachments"][0] == {**data["Attachments"][0], "InstanceId": db, "Device": "/dev/sdf"}
    assert wal["Attachments"][0]["InstanceId"] == db and wal["Attachments"][0]["Device"] == "/dev/sdg"
    for kind, ids in inventory.volumes.items():
        assert {v["VolumeType"] for v in volumes if v["VolumeId"] in ids} == {kind}


def test_catalog_instance_facts_match_describe_instance_types(client: Client) -> None:
    types = client("ec2").describe_instance_types(InstanceTypes=sorted(catalog.INSTANCE_TYPES))[
        "InstanceTypes"
    ]
    assert len(types) == len(catalog.INSTANCE_TYPES)
    for info in types:
        facts = catalog.INSTANCE_TYPES[info["InstanceType"]]
        ebs = info["EbsInfo"]["EbsOptimizedInfo"]
        card = info["NetworkInfo"]["NetworkCards"][0]
        assert facts.vcpus == info["VCpuInfo"]["DefaultVCpus"]
        assert (facts.ebs_baseline_mbps, facts.ebs_max_mbps) == (
            ebs["BaselineThroughputInMBps"],
            ebs["MaximumThroughputInMBps"],
        )
        assert (facts.ebs_baseline_iops, facts.ebs_max_iops) == (ebs["BaselineIops"], ebs["MaximumIops"])
        assert (facts.net_baseline_gbps, facts.net_peak_gbps) == (
            card["BaselineBandwidthInGbps"],
            card["PeakBandwidthInGbps"],
        )


def test_live_state_reads_moto_ec2_as_the_api_reports_it(sim: SimServer, client: Client) -> None:
    """Fails when a moto upgrade changes the EC2 backend attributes the metric ticks read."""
    state = sim.workload.live_state()
    instances = _instances(client)
    fleet_ids = {i.instance_id for i in sim.workload.fleet.instances}
    running = {i["InstanceId"] for i in instances if i["State"]["Name"] == "running"} & fleet_ids
    assert state.running_instances == running, "Workload.live_state no longer reads moto's instance states"
    fleet_volumes = {v.volume_id for i in sim.workload.fleet.instances for v in i.volumes}
    in_use = {v["VolumeId"] for v in client("ec2").describe_volumes()["Volumes"] if v["State"] == "in-use"}
    assert state.attached_volumes == in_use & fleet_volumes, "Workload.live_state no longer reads attachments"
    vcpus = sum(
        catalog.INSTANCE_TYPES[i["InstanceType"]].vcpus
        for i in instances
        if i["State"]["Name"] == "running" and i["InstanceType"] in catalog.INSTANCE_TYPES
    )
    assert state.standard_vcpus >= vcpus > 0


def test_vcpus_come_from_the_catalog_or_moto_type_table() -> None:
    assert vcpus_of("m5.xlarge") == 4.0
    assert vcpus_of("m6i.4xlarge") == 16.0, "moto's instance type table moved or changed shape"


def test_standard_families() -> None:
    assert all(is_standard_type(t) for t in ("m5.xlarge", "t3.small", "r5b.large", "c5n.xlarge", "z1d.large"))
    assert not any(is_standard_type(t) for t in ("p4d.24xlarge", "g5.xlarge", "inf2.xlarge", "x2idn.large"))


# ------------------------------------------------------------------------------------------------
# Kinesis
# ------------------------------------------------------------------------------------------------


def test_streams_have_shards_retention_and_consumers(client: Client, inventory: Inventory) -> None:
    kinesis = client("kinesis")
    names = kinesis.list_streams()["StreamNames"]
    assert 2 <= len(names) <= 3 and set(names) == set(inventory.streams)
    for spec in catalog.STREAMS:
        summary = kinesis.describe_stream_summary(StreamName=spec.name)["StreamDescriptionSummary"]
        assert summary["OpenShardCount"] == spec.shards
        assert summary["RetentionPeriodHours"] == spec.retention_hours
        consumers = kinesis.list_stream_consumers(StreamARN=summary["StreamARN"])["Consumers"]
        assert [c["ConsumerName"] for c in consumers] == list(inventory.consumers[spec.name])
        assert consumers, spec.name
    assert {s.name: s.shards for s in catalog.STREAMS}["payments-events"] == 1


# ------------------------------------------------------------------------------------------------
# Security Hub
# ------------------------------------------------------------------------------------------------


def test_findings_cover_accounts_severities_products_and_states(
    findings: list[dict[str, Any]], inventory: Inventory
) -> None:
    assert inventory.rejected_findings == ()
    ours = [f for f in findings if f["Id"] in set(inventory.finding_ids)]
    assert len(ours) == len(inventory.finding_ids) >= 60
    assert {f["AwsAccountId"] for f in ours} >= {ACCOUNT, MEMBER}
    assert {f["Severity"]["Label"] for f in ours} == {"CRITICAL", "HIGH", "MEDIUM", "LOW", "INFORMATIONAL"}
    assert {f["ProductName"] for f in ours} >= {
        "Security Hub",
        "GuardDuty",
        "Inspector",
        "IAM Access Analyzer",
        "Macie",
    }
    assert {f["Workflow"]["Status"] for f in ours} >= {"NEW", "NOTIFIED", "RESOLVED", "SUPPRESSED"}
    assert {f["RecordState"] for f in ours} == {"ACTIVE", "ARCHIVED"}
    controls = {f["Compliance"].get("SecurityControlId") for f in ours if "Compliance" in f}
    assert controls >= {
        "EC2.13",
        "EC2.14",
        "EC2.19",
        "EC2.7",
        "S3.1",
        "S3.8",
        "IAM.3",
        "CloudTrail.1",
        "EC2.2",
        "EC2.8",
    }
    generators = {f["GeneratorId"] for f in ours}
    assert "arn:aws:securityhub:::ruleset/cis-aws-foundations-benchmark/v/1.2.0/rule/4.1" in generators
    for finding in ours:
        for name in (
            "SchemaVersion",
            "Id",
            "ProductArn",
            "GeneratorId",
            "AwsAccountId",
            "Types",
            "CreatedAt",
        ):
            assert finding.get(name), (finding["Id"], name)
        for name in ("UpdatedAt", "FirstObservedAt", "LastObservedAt", "Title", "Description", "Region"):
            assert finding.get(name), (finding["Id"], name)
        assert finding["SchemaVersion"] == "2018-10-08"
        assert finding["Remediation"]["Recommendation"]["Text"], finding["Id"]
        assert finding["Remediation"]["Recommendation"]["Url"].startswith("https://"), finding["Id"]
        assert finding["ProductFields"]["aws/securityhub/ProductName"] == finding["ProductName"]
        assert finding["Severity"]["Normalized"] >= 0
        for resource in finding["Resources"]:
            assert {"Type", "Id", "Region", "Partition"} <= resource.keys()
    by_product = {f["ProductName"]: f["ProductArn"] for f in ours}
    assert by_product["GuardDuty"] == "arn:aws:securityhub:us-east-1::product/aws/guardduty"
    assert Counter(f["AwsAccountId"] for f in ours) == Counter(dict(inventory.findings_by_account))


def _group_id(finding: dict[str, Any]) -> str:
    resource = next(r for r in finding["Resources"] if r["Type"] == "AwsEc2SecurityGroup")
    arn = resource["Id"]
    assert arn.startswith(f"arn:aws:ec2:us-east-1:{ACCOUNT}:security-group/")
    group_id: str = arn.rsplit("/", 1)[1]
    return group_id


@pytest.mark.parametrize(("control", "rule", "port"), [("EC2.13", "4.1", 22), ("EC2.14", "4.2", 3389)])
def test_open_port_findings_name_a_group_that_really_has_the_rule(
    findings: list[dict[str, Any]], client: Client, control: str, rule: str, port: int
) -> None:
    failing = ("FAILED", "ACTIVE")
    mine = [
        f
        for f in findings
        if f["AwsAccountId"] == ACCOUNT
        and (f.get("Compliance", {}).get("Status"), f["RecordState"]) == failing
    ]
    matching = [
        f
        for f in mine
        if f.get("Compliance", {}).get("SecurityControlId") == control
        or f["GeneratorId"].endswith(f"/rule/{rule}")
    ]
    assert len(matching) == 2
    group_ids = {_group_id(f) for f in matching}
    assert len(group_ids) == 1
    group = client("ec2").describe_security_groups(GroupIds=list(group_ids))["SecurityGroups"][0]
    open_rules = [
        p
        for p in group["IpPermissions"]
        if p.get("FromPort") == port
        and p.get("ToPort") == port
        and any(r["CidrIp"] == "0.0.0.0/0" for r in p.get("IpRanges", []))
    ]
    assert open_rules, group
    details = matching[0]["Resources"][0]["Details"]["AwsEc2SecurityGroup"]
    assert details["GroupId"] == group["GroupId"]
    assert any(p.get("FromPort") == port for p in details["IpPermissions"])


def test_own_account_finding_resources_exist(findings: list[dict[str, Any]], client: Client) -> None:
    ec2, s3, iam, trail = client("ec2"), client("s3"), client("iam"), client("cloudtrail")
    instance_ids = {i["InstanceId"] for i in _instances(client)}
    group_ids = {g["GroupId"] for g in ec2.describe_security_groups()["SecurityGroups"]}
    volume_ids = {v["VolumeId"] for v in ec2.describe_volumes()["Volumes"]}
    vpc_ids = {v["VpcId"] for v in ec2.describe_vpcs()["Vpcs"]}
    buckets = {b["Name"] for b in s3.list_buckets()["Buckets"]}
    trails = {t["TrailARN"] for t in trail.describe_trails()["trailList"]}
    users = {u["UserName"]: u["UserId"] for u in iam.list_users()["Users"]}
    roles = {r["Arn"] for r in iam.list_roles()["Roles"]}
    keys = {
        k["AccessKeyId"] for name in users for k in iam.list_access_keys(UserName=name)["AccessKeyMetadata"]
    }
    checked = Counter[str]()
    for finding in findings:
        # Archived findings may name resources that were deleted since.
        if finding["AwsAccountId"] != ACCOUNT or finding["RecordState"] == "ARCHIVED":
            continue
        for resource in finding["Resources"]:
            kind, rid = resource["Type"], resource["Id"]
            tail = rid.rsplit("/", 1)[-1]
            if kind == "AwsIamUser":
                exists = users.get(tail) == resource["Details"]["AwsIamUser"]["UserId"]
            else:
                exists = {
                    "AwsEc2Instance": tail in instance_ids,
                    "AwsEc2SecurityGroup": tail in group_ids,
                    "AwsEc2Volume": tail in volume_ids,
                    "AwsEc2Vpc": tail in vpc_ids,
                    "AwsS3Bucket": rid.removeprefix("arn:aws:s3:::") in buckets,
                    "AwsCloudTrailTrail": rid in trails,
                    "AwsIamRole": rid in roles,
                    "AwsIamAccessKey": rid in keys,
                    "AwsAccount": rid == f"AWS::::Account:{ACCOUNT}",
                    "AwsKmsKey": rid in {k["KeyArn"] for k in client("kms").list_keys()["Keys"]},
                }[kind]
            assert exists, (finding["Title"], kind, rid)
            checked[kind] += 1
    assert len(checked) >= 9


def test_unencrypted_volume_and_imds_findings_match_the_fleet(
    findings: list[dict[str, Any]], client: Client, inventory: Inventory
) -> None:
    active = [f for f in findings if f["AwsAccountId"] == ACCOUNT and f["RecordState"] == "ACTIVE"]
    failed = [f for f in active if f.get("Compliance", {}).get("Status") == "FAILED"]
    ec2 = client("ec2")
    unencrypted = {
        v["VolumeId"]
        for v in ec2.describe_volumes()["Volumes"]
        if v["State"] == "in-use" and not v["Encrypted"]
    }
    flagged = {
        f["Resources"][0]["Id"].rsplit("/", 1)[1]
        for f in failed
        if f["Compliance"].get("SecurityControlId") == "EC2.3"
    }
    assert flagged == unencrypted
    imds_v1 = {
        i["InstanceId"]
        for i in _instances(client)
        if i["MetadataOptions"]["HttpTokens"] == "optional"
        and i["InstanceId"] in set(inventory.instances.values())
    }
    flagged = {
        f["Resources"][0]["Id"].rsplit("/", 1)[1]
        for f in failed
        if f["Compliance"].get("SecurityControlId") == "EC2.8"
    }
    assert flagged == imds_v1 and flagged


def test_public_bucket_and_trail_findings_match_their_resources(
    findings: list[dict[str, Any]], client: Client, inventory: Inventory
) -> None:
    s3 = client("s3")
    public = inventory.public_buckets[0]
    grants = s3.get_bucket_acl(Bucket=public)["Grants"]
    assert any(g["Grantee"].get("URI", "").endswith("/global/AllUsers") for g in grants)
    flagged = {
        f["Resources"][0]["Id"]
        for f in findings
        if f.get("Compliance", {}).get("SecurityControlId") == "S3.2"
        and f["AwsAccountId"] == ACCOUNT
        and f["Compliance"]["Status"] == "FAILED"
    }
    assert flagged == {f"arn:aws:s3:::{public}"}
    trail = client("cloudtrail").get_trail(Name=inventory.trail_name)["Trail"]
    assert trail["LogFileValidationEnabled"] is False and trail["IsMultiRegionTrail"] is False
    assert any(f.get("Compliance", {}).get("SecurityControlId") == "CloudTrail.4" for f in findings)


def test_markup_like_title_is_stored_verbatim(findings: list[dict[str, Any]]) -> None:
    titles = [f["Title"] for f in findings if "[bold]x[/]" in f["Title"]]
    assert len(titles) == 1
    assert "\x1b[31m" in titles[0]


# ------------------------------------------------------------------------------------------------
# SSM managed nodes
# ------------------------------------------------------------------------------------------------


def test_managed_nodes_include_ec2_and_hybrid_servers(client: Client, inventory: Inventory) -> None:
    ssm = client("ssm")
    nodes: list[dict[str, Any]] = []
    for page in ssm.get_paginator("describe_instance_information").paginate():
        nodes.extend(page["InstanceInformationList"])
    by_id = {n["InstanceId"]: n for n in nodes}
    running = {i["InstanceId"] for i in _instances(client) if i["State"]["Name"] == "running"}
    ec2_nodes = {i for i, n in by_id.items() if n["ResourceType"] == "EC2Instance"}
    assert ec2_nodes <= running and len(ec2_nodes) >= len(running & set(inventory.instances.values())) - 2
    hybrid = {n["Name"]: n for n in nodes if n["ResourceType"] == "ManagedInstance"}
    assert set(hybrid) == set(inventory.hybrid_nodes)
    for name, node in hybrid.items():
        assert re.fullmatch(r"mi-[0-9a-f]{17}", node["InstanceId"]), node
        assert inventory.hybrid_nodes[name] == node["InstanceId"]
    lost = [n for n in hybrid.values() if n["PingStatus"] == "ConnectionLost"]
    assert len(lost) == 1
    silence = datetime.now(UTC) - lost[0]["LastPingDateTime"]
    assert timedelta(minutes=100) < silence < timedelta(minutes=180)
    assert set(inventory.managed_nodes) == set(by_id) & set(inventory.managed_nodes)


# ------------------------------------------------------------------------------------------------
# Metrics in the shared simulator (read only)
# ------------------------------------------------------------------------------------------------


def test_backfill_gives_three_hours_of_an_ebs_metric(
    sim: SimServer, client: Client, inventory: Inventory
) -> None:
    last = sim.workload.last_written_minute
    assert last is not None
    volume = inventory.volumes_by_key["payments-db-1:data"]
    result = client("cloudwatch").get_metric_data(
        MetricDataQueries=[
            {
                "Id": "w",
                "MetricStat": {
                    "Metric": {
                        "Namespace": "AWS/EBS",
                        "MetricName": "VolumeWriteBytes",
                        "Dimensions": [{"Name": "VolumeId", "Value": volume}],
                    },
                    "Period": 60,
                    "Stat": "Sum",
                },
            }
        ],
        StartTime=minute_start(last - 179),
        EndTime=minute_start(last + 1),
        ScanBy="TimestampAscending",
    )["MetricDataResults"][0]
    assert len(result["Values"]) == 180
    assert result["Timestamps"][0] == minute_start(last - 179)
    expected = {
        key.metric: value
        for key, value in sim.workload.generator.sample(last, state=sim.workload.live_state())
        if key.resource == volume
    }
    assert result["Values"][-1] == pytest.approx(expected["VolumeWriteBytes"])


def test_stopped_instance_and_unattached_volume_emit_nothing(
    sim: SimServer, client: Client, inventory: Inventory
) -> None:
    cloudwatch = client("cloudwatch")
    stopped = inventory.instances[inventory.stopped_instances[0]]
    running = inventory.instances["payments-db-1"]

    def listed(namespace: str, name: str, value: str) -> list[Any]:
        found: list[Any] = cloudwatch.list_metrics(
            Namespace=namespace, Dimensions=[{"Name": name, "Value": value}]
        )["Metrics"]
        return found

    assert listed("AWS/EC2", "InstanceId", stopped) == []
    assert listed("AWS/EBS", "VolumeId", inventory.unattached_volumes[0]) == []
    assert len(listed("AWS/EC2", "InstanceId", running)) >= 10
    assert {m["MetricName"] for m in listed("CWAgent", "InstanceId", running)} >= {
        "mem_used_percent",
        "disk_used_percent",
        "ethtool_pps_allowance_exceeded",
    }


# ------------------------------------------------------------------------------------------------
# The generator: pure and deterministic
# ------------------------------------------------------------------------------------------------


def _fleet(seed: int) -> FleetModel:
    instances = tuple(
        InstanceModel(
            f"i-{index:017x}",
            spec,
            tuple(VolumeModel(f"vol-{index:02d}{n:015x}", v) for n, v in enumerate(spec.volumes)),
        )
        for index, spec in enumerate(catalog.INSTANCES)
    )
    return FleetModel(seed=seed, instances=instances, streams=catalog.STREAMS)


MINUTE = minute_of(datetime(2026, 11, 26, 15, 7, tzinfo=UTC))


def test_values_depend_only_on_seed_series_and_minute() -> None:
    first = MetricGenerator(_fleet(7)).sample(MINUTE)
    again = MetricGenerator(_fleet(7)).sample(MINUTE)
    other = MetricGenerator(_fleet(8)).sample(MINUTE)
    assert first == again
    assert [k for k, _ in first] == [k for k, _ in other]
    assert [v for _, v in first] != [v for _, v in other]
    window = MetricGenerator(_fleet(7)).window(MINUTE - 30, MINUTE + 5)
    single = dict(first)
    # A window is its minutes' samples, each point stamped with the first minute it covers.
    fresh = MetricGenerator(_fleet(7))
    expected: dict[Any, list[tuple[datetime, float]]] = {}
    for minute in range(MINUTE - 30, MINUTE + 6):
        for key, value in fresh.sample(minute):
            expected.setdefault(key, []).append((minute_start(minute + 1 - key.period // 60), value))
    assert window == expected
    for key, points in window.items():
        if key.period == 60 and key in single:
            assert points[30] == (minute_start(MINUTE), single[key])
    coarse = [key for key in window if key.period == 300]
    assert coarse, "a basic-monitoring instance publishes 5-minute points"
    assert all(stamp.minute % 5 == 0 for key in coarse for stamp, _ in window[key])
    assert unit_noise(7, "k", MINUTE) == unit_noise(7, "k", MINUTE) != unit_noise(7, "k", MINUTE + 1)


def _values(sample: list[Any], metric: str, resource: str) -> float:
    return float(next(v for k, v in sample if k.metric == metric and k.resource == resource))


def test_story_numbers_respect_the_limits() -> None:
    fleet = _fleet(7)
    generator = MetricGenerator(fleet)
    db = next(i for i in fleet.instances if i.spec.name == "payments-db-1")
    wal = next(v for v in db.volumes if v.spec.key == "payments-db-1:wal")
    minutes = range(MINUTE - 720, MINUTE + 720, 7)
    samples = [generator.sample(m) for m in minutes]
    ceiling = db.spec.facts.ebs_max_mbps
    ebs = [
        (_values(s, "EBSReadBytes", db.instance_id) + _values(s, "EBSWriteBytes", db.instance_id)) / 60e6
        for s in samples
    ]
    assert max(ebs) <= ceiling + 1e-6
    assert max(ebs) >= 0.85 * ceiling and min(ebs) >= 0.6 * ceiling
    data = next(v for v in db.volumes if v.spec.key == "payments-db-1:data")
    assert data.spec.limits.mibps * 1.048576 > ceiling, "the instance, not the volume, must bind"
    wal_iops = [
        (_values(s, "VolumeReadOps", wal.volume_id) + _values(s, "VolumeWriteOps", wal.volume_id)) / 60
        for s in samples
    ]
    assert 0.25 * 10000 <= sum(wal_iops) / len(wal_iops) <= 0.4 * 10000
    records = [_values(s, "IncomingRecords", "payments-events") / 60 for s in samples]
    assert min(records) >= 0.75 * 1000 and max(records) <= 1000
    throttled = [_values(s, "WriteProvisionedThroughputExceeded", "payments-events") for s in samples]
    assert 0 < sum(1 for t in throttled if t > 0) < len(samples) / 2
    lag = [_values(s, "SubscribeToShardEvent.MillisBehindLatest", "ledger-projector") for s in samples]
    assert min(lag) >= 60_000
    fraud = [_values(s, "SubscribeToShardEvent.MillisBehindLatest", "fraud-scorer") for s in samples]
    assert max(fraud) < 5_000
    vcpus = sum(i.spec.facts.vcpus for i in fleet.instances if i.spec.running)
    assert {_values(s, "ResourceCount", "vCPU") for s in samples} == {float(vcpus)}


def test_daily_curve_peaks_in_the_afternoon() -> None:
    day = minute_of(datetime(2026, 11, 26, tzinfo=UTC))
    assert daily(day + 15 * 60) == pytest.approx(1.0)
    assert daily(day + 3 * 60) == pytest.approx(0.0)


def test_hooks_scale_load_and_output() -> None:
    fleet = _fleet(7)
    generator = MetricGenerator(fleet)
    db = next(i for i in fleet.instances if i.spec.name == "payments-db-1").instance_id
    base = generator.sample(MINUTE)
    hot = generator.sample(MINUTE, load_factors={"payments-events": 1.5})
    assert _values(hot, "WriteProvisionedThroughputExceeded", "payments-events") > 10_000
    assert _values(hot, "IncomingRecords", "payments-events") <= 60 * 1000
    scaled = generator.sample(MINUTE, multipliers={("AWS/EC2", "CPUUtilization", db): 10.0})
    assert _values(scaled, "CPUUtilization", db) == 100.0
    assert _values(scaled, "NetworkIn", db) == _values(base, "NetworkIn", db)
    everything = generator.sample(MINUTE, multipliers={("AWS/EC2", "*", db): 0.5})
    assert _values(everything, "NetworkIn", db) == pytest.approx(_values(base, "NetworkIn", db) / 2)
    stopped = LiveState(frozenset(), frozenset(), 0.0)
    silent = generator.sample(MINUTE, state=stopped)
    assert {k.namespace for k, _ in silent} == {"AWS/Kinesis", "AWS/Lambda", "AWS/Usage"}


def test_findings_are_deterministic_for_a_seed(sim: SimServer) -> None:
    resources = _resources_from(sim)
    now = datetime(2026, 11, 26, 12, tzinfo=UTC)
    first = build_findings(resources, random.Random(7), now)
    again = build_findings(resources, random.Random(7), now)
    other = build_findings(resources, random.Random(8), now)
    assert first == again
    assert [f["Id"] for f in first] != [f["Id"] for f in other]
    assert len(first) == len(other) >= 60


def _resources_from(sim: SimServer) -> Any:
    from tui.sim.findings import BucketRef, GroupRef, InstanceRef, RoleRef, SeededResources, TrailRef, UserRef

    inv = sim.workload.inventory
    instances = {
        name: InstanceRef(
            name,
            iid,
            "m5.large",
            "ami-1",
            "10.0.0.1",
            "vpc-1",
            "subnet-1",
            "2026-01-01T00:00:00.000Z",
            "required",
            None,
            {},
        )
        for name, iid in inv.instances.items()
    }
    groups = {name: GroupRef(name, gid, "vpc-1", ()) for name, gid in inv.security_groups.items()}
    users = {
        name: UserRef(name, f"AID{name}", "2026-01-01T00:00:00.000Z", f"AKIA{name}", 400)
        for name in inv.users
    }
    buckets = [
        BucketRef(name, name in inv.public_buckets[:1], name not in inv.public_buckets)
        for name in inv.buckets
    ]
    return SeededResources(
        account_id=ACCOUNT,
        account_name="payments-prod",
        member_account_id=MEMBER,
        member_account_name="payments-sandbox",
        region="us-east-1",
        default_vpc_id=inv.default_vpc_id,
        instances=instances,
        groups=groups,
        volumes=(),
        users=users,
        buckets=buckets,
        trail=TrailRef(
            inv.trail_name, f"arn:aws:cloudtrail:us-east-1:{ACCOUNT}:trail/{inv.trail_name}", inv.buckets[-1]
        ),
        external_role=RoleRef(
            "partner", f"arn:aws:iam::{ACCOUNT}:role/partner", "AROA1", "2026-01-01T00:00:00.000Z", "1"
        ),
    )


# ------------------------------------------------------------------------------------------------
# tick() and the thread, in this module's own region
# ------------------------------------------------------------------------------------------------


@pytest.fixture
def own_workload(sim: SimServer) -> Iterator[Workload]:
    workload = Workload(sim.endpoint_url, seed=7, region=OWN_REGION, track_ec2=False, retention=None)
    workload.adopt(sim.workload.fleet)
    try:
        yield workload
    finally:
        workload.stop()


def _sums(client: Client, volume: str, start: datetime, end: datetime) -> dict[datetime, float]:
    result = client("cloudwatch", region=OWN_REGION).get_metric_data(
        MetricDataQueries=[
            {
                "Id": "r",
                "MetricStat": {
                    "Metric": {
                        "Namespace": "AWS/EBS",
                        "MetricName": "VolumeReadOps",
                        "Dimensions": [{"Name": "VolumeId", "Value": volume}],
                    },
                    "Period": 60,
                    "Stat": "Sum",
                },
            }
        ],
        StartTime=start,
        EndTime=end,
    )["MetricDataResults"][0]
    return dict(zip(result["Timestamps"], result["Values"], strict=True))


def test_tick_writes_only_new_complete_minutes(
    own_workload: Workload, client: Client, inventory: Inventory
) -> None:
    volume = inventory.volumes_by_key["ledger-1:journal"]
    t0 = datetime(2026, 6, 1, 14, 30, 20, tzinfo=UTC)
    assert own_workload.tick(t0) == 180
    assert own_workload.tick(t0 + timedelta(seconds=30)) == 0
    assert own_workload.tick(t0 + timedelta(minutes=3)) == 3
    start = minute_start(minute_of(t0) - 240)
    sums = _sums(client, volume, start, start + timedelta(hours=5))
    last = minute_of(t0) + 2
    assert len(sums) == 183
    assert max(sums) == minute_start(last)
    assert min(sums) == minute_start(minute_of(t0) - 180)
    generator = own_workload.generator
    expected = {
        minute_start(m): _values(generator.sample(m), "VolumeReadOps", volume) for m in (last - 100, last)
    }
    for stamp, value in expected.items():
        assert sums[stamp] == value
    assert own_workload.tick(t0 + timedelta(days=2)) == 180


def test_thread_ticks_and_stops(sim: SimServer, client: Client, inventory: Inventory) -> None:
    moment = datetime(2025, 3, 3, 9, 0, 30, tzinfo=UTC)
    workload = Workload(
        sim.endpoint_url,
        seed=7,
        region=OWN_REGION,
        track_ec2=False,
        retention=None,
        clock=lambda: moment,
        interval_seconds=0.05,
    )
    workload.adopt(sim.workload.fleet)
    workload.start_metrics()
    try:
        import time

        deadline = time.monotonic() + 10
        while workload.last_written_minute is None and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        workload.stop()
    assert not workload.metrics_running
    assert workload.last_written_minute == minute_of(moment) - 1
    volume = inventory.volumes_by_key["ledger-1:journal"]
    sums = _sums(client, volume, minute_start(minute_of(moment) - 180), minute_start(minute_of(moment)))
    assert len(sums) == 180


def test_unseeded_workload_refuses_to_tick() -> None:
    workload = Workload("http://127.0.0.1:9", seed=7)
    with pytest.raises(RuntimeError, match="not seeded"):
        workload.tick()
    with pytest.raises(RuntimeError, match="not seeded"):
        _ = workload.inventory
    with pytest.raises(RuntimeError, match="not seeded"):
        workload.start_metrics()
    assert not workload.metrics_running


def test_rewriting_minutes_keeps_one_five_minute_point_per_block(
    own_workload: Workload, client: Client, inventory: Inventory
) -> None:
    """A basic-monitoring point is written with the last minute of its block: writing minutes
    again, in windows that start or end inside a block, leaves exactly one point per block."""
    name = catalog.BASIC_MONITORING_INSTANCES[0]
    iid = inventory.instances[name]
    end = datetime(2026, 6, 3, 10, 0, tzinfo=UTC)
    own_workload.write_minutes(end, 60)
    own_workload.write_minutes(end - timedelta(minutes=12), 7)  # 09:41..09:47, inside blocks
    own_workload.write_minutes(end, 3)  # 09:57..09:59: rewrites only the last block's point
    own_workload.write_minutes(end - timedelta(minutes=31), 1)  # 09:28 alone: writes no block
    result = client("cloudwatch", region=OWN_REGION).get_metric_data(
        MetricDataQueries=[
            {
                "Id": "n",
                "MetricStat": {
                    "Metric": {
                        "Namespace": "AWS/EC2",
                        "MetricName": "NetworkIn",
                        "Dimensions": [{"Name": "InstanceId", "Value": iid}],
                    },
                    "Period": 60,
                    "Stat": "SampleCount",
                },
            },
            {
                "Id": "s",
                "MetricStat": {
                    "Metric": {
                        "Namespace": "AWS/EC2",
                        "MetricName": "NetworkIn",
                        "Dimensions": [{"Name": "InstanceId", "Value": iid}],
                    },
                    "Period": 60,
                    "Stat": "Sum",
                },
            },
        ],
        StartTime=end - timedelta(hours=1),
        EndTime=end,
        ScanBy="TimestampAscending",
    )["MetricDataResults"]
    counts, sums = result
    stamps = [stamp.astimezone(UTC) for stamp in counts["Timestamps"]]
    assert stamps == [end - timedelta(minutes=60 - 5 * k) for k in range(12)]
    assert counts["Values"] == [1.0] * 12
    generator = own_workload.generator
    for stamp, value in zip(stamps, sums["Values"], strict=True):
        block_end = minute_of(stamp) + 4
        assert value == _values(generator.sample(block_end), "NetworkIn", iid)


def test_the_seeding_cannot_write_to_a_service_it_has_told_seeded(sim: SimServer) -> None:
    from tui.sim.workload import _Seeder

    told: list[frozenset[str]] = []
    seeder = _Seeder(Workload(sim.endpoint_url), datetime.now(UTC), ready=told.append)
    seeder.seeded("ec2")
    seeder.seeded("ec2", "kinesis")
    assert told == [frozenset({"ec2"}), frozenset({"kinesis"})]
    ec2 = seeder.client("ec2")
    assert ec2.describe_vpcs()["Vpcs"], "a read of a service told seeded is refused"
    before = len(ec2.describe_security_groups()["SecurityGroups"])
    with pytest.raises(RuntimeError, match="after telling clients ec2 was seeded"):
        ec2.create_security_group(GroupName="late", Description="made after ec2 was told seeded")
    assert len(ec2.describe_security_groups()["SecurityGroups"]) == before
    with pytest.raises(RuntimeError, match="kinesis"):
        seeder.client("kinesis").create_stream(StreamName="late", ShardCount=1)
