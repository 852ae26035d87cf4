"""The Limits poller against the simulator, with metrics this module writes: rates, periods, API calls,
the JSON contract, unknowns with their reasons, failures of single APIs, and the GetMetricData fast path.

Region ca-central-1 is this module's own: nothing else creates instances or writes metrics there. The
fleet is built once (``fleet``) and every poll runs on a clock fixed to the fleet's minute ``t0``; the
metrics end one minute before ``t0``, so a later point written at ``t0`` is seen only by polls whose
clock is past it.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.json_doc import check_document, json_of
from tui.aws import documents
from tui.aws.clients import AwsTarget, ClientFactory
from tui.aws.limits import READING, InstanceView, LimitsPoller, LimitsSnapshot, VolumeView
from tui.aws.limits_math import MB_PER_MIB
from tui.aws.metrics import MAX_QUERIES, MetricQuery, QueryPlan, get_metric_data
from tui.common.codec import to_builtins
from tui.sim.account import ACCOUNT_ID
from tui.sim.extensions.cloudwatch import put_series

REGION = "ca-central-1"
MIB = 1024 * 1024
MINUTES = 30  # of metrics before t0: fewer than the poller's 60-point history, so growth shows

ClientMaker = Callable[..., Any]


# ---------------------------------------------------------------------------------------------
# The fleet
# ---------------------------------------------------------------------------------------------


@dataclass
class Fleet:
    """What was created in REGION, and the per-period sums written for it."""

    t0: datetime
    web: str = ""  # m5.xlarge, detailed monitoring: gp3 12,000/750 + gp2 200 GiB + root
    db: str = ""  # m5.large, detailed: io2 4,000 IOPS + root
    batch: str = ""  # t3.small, basic monitoring (5-minute periods): root only
    quiet: str = ""  # m5.large, detailed, and no datapoints at all
    web_gp3: str = ""
    web_gp2: str = ""
    db_io2: str = ""
    spare: str = ""  # unattached gp2
    roots: dict[str, str] = field(default_factory=dict)  # instance id -> root volume id
    # (volume id) -> (read ops, write ops, read bytes, write bytes) per minute
    volume_sums: dict[str, tuple[float, float, float, float]] = field(default_factory=dict)


_BUILT: list[Fleet] = []


def _put(namespace: str, metric: str, dims: dict[str, str], value: float, times: list[datetime]) -> None:
    put_series(ACCOUNT_ID, REGION, namespace, metric, dims, [(t, value) for t in times], "None")


def _put_volume(fleet: Fleet, volume_id: str, times: list[datetime]) -> None:
    for metric, value in zip(
        ("VolumeReadOps", "VolumeWriteOps", "VolumeReadBytes", "VolumeWriteBytes"),
        fleet.volume_sums[volume_id],
        strict=True,
    ):
        _put("AWS/EBS", metric, {"VolumeId": volume_id}, value, times)
    _put("AWS/EBS", "VolumeIdleTime", {"VolumeId": volume_id}, 6.0, times)


def _build(client: ClientMaker) -> Fleet:
    ec2 = client("ec2", region=REGION)
    now = datetime.now(UTC)
    t0 = now.replace(minute=now.minute - now.minute % 5, second=0, microsecond=0)
    fleet = Fleet(t0=t0)
    image = ec2.describe_images()["Images"][0]["ImageId"]

    def launch(name: str, itype: str, detailed: bool) -> dict[str, Any]:
        reply = ec2.run_instances(
            ImageId=image,
            MinCount=1,
            MaxCount=1,
            InstanceType=itype,
            Monitoring={"Enabled": detailed},
            TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": name}]}],
        )
        instance: dict[str, Any] = reply["Instances"][0]
        return instance

    def attach(instance: dict[str, Any], device: str, **volume: Any) -> str:
        zone = instance["Placement"]["AvailabilityZone"]
        volume_id: str = ec2.create_volume(AvailabilityZone=zone, **volume)["VolumeId"]
        ec2.attach_volume(VolumeId=volume_id, InstanceId=instance["InstanceId"], Device=device)
        return volume_id

    web = launch("web", "m5.xlarge", True)
    db = launch("db", "m5.large", True)
    batch = launch("batch", "t3.small", False)
    quiet = launch("quiet", "m5.large", True)
    fleet.web, fleet.db, fleet.batch, fleet.quiet = (i["InstanceId"] for i in (web, db, batch, quiet))
    fleet.web_gp3 = attach(web, "/dev/sdf", Size=500, VolumeType="gp3", Iops=12000, Throughput=750)
    fleet.web_gp2 = attach(web, "/dev/sdg", Size=200, VolumeType="gp2")
    fleet.db_io2 = attach(db, "/dev/sdf", Size=1000, VolumeType="io2", Iops=4000)
    fleet.spare = ec2.create_volume(AvailabilityZone=web["Placement"]["AvailabilityZone"], Size=100)[
        "VolumeId"
    ]
    for instance in (web, db, batch, quiet):
        (root,) = (
            m["Ebs"]["VolumeId"]
            for m in instance["BlockDeviceMappings"]
            if m["DeviceName"] == instance["RootDeviceName"]
        )
        fleet.roots[instance["InstanceId"]] = root

    minutes = [t0 - timedelta(minutes=k) for k in range(1, MINUTES + 1)]
    fives = [t0 - timedelta(minutes=k) for k in range(5, MINUTES + 1, 5)]
    # 3,000 IOPS and 450 MiB/s on the gp3; 300 IOPS and 10 MiB/s on the gp2; 20 IOPS and 1 MiB/s on
    # every root; 3,000 IOPS of 16 KiB (46.875 MiB/s) on the io2.
    fleet.volume_sums = {
        fleet.web_gp3: (120000.0, 60000.0, 300.0 * MIB * 60, 150.0 * MIB * 60),
        fleet.web_gp2: (6000.0, 12000.0, 4.0 * MIB * 60, 6.0 * MIB * 60),
        fleet.db_io2: (120000.0, 60000.0, 120000.0 * 16384, 60000.0 * 16384),
    }
    for iid in (fleet.web, fleet.db, fleet.batch):
        fleet.volume_sums[fleet.roots[iid]] = (600.0, 600.0, 0.5 * MIB * 60, 0.5 * MIB * 60)
    for volume_id in fleet.volume_sums:
        _put_volume(fleet, volume_id, minutes)
    _put("AWS/EBS", "BurstBalance", {"VolumeId": fleet.web_gp2}, 75.0, minutes)
    # 100 and 200 Mbps for web, 1 Mbps each way for db: bytes per minute.
    _put("AWS/EC2", "NetworkIn", {"InstanceId": fleet.web}, 7.5e8, minutes)
    _put("AWS/EC2", "NetworkOut", {"InstanceId": fleet.web}, 1.5e9, minutes)
    _put("AWS/EC2", "NetworkIn", {"InstanceId": fleet.db}, 7.5e6, minutes)
    _put("AWS/EC2", "NetworkOut", {"InstanceId": fleet.db}, 7.5e6, minutes)
    # Basic monitoring: one sum per five minutes, 100 Mbps in and 20 Mbps out.
    _put("AWS/EC2", "NetworkIn", {"InstanceId": fleet.batch}, 3.75e9, fives)
    _put("AWS/EC2", "NetworkOut", {"InstanceId": fleet.batch}, 7.5e8, fives)
    # The CloudWatch agent on web.
    _put("CWAgent", "mem_used_percent", {"InstanceId": fleet.web}, 42.5, minutes)
    disk = {"InstanceId": fleet.web, "path": "/", "device": "nvme0n1p1", "fstype": "xfs"}
    _put("CWAgent", "disk_used_percent", disk, 71.0, minutes)
    return fleet


@pytest.fixture
def fleet(client: ClientMaker) -> Fleet:
    """The module's fleet, created on first use (moto's state outlives a test)."""
    if not _BUILT:
        _BUILT.append(_build(client))
    return _BUILT[0]


@pytest.fixture
async def factory(sim_url: str) -> AsyncIterator[ClientFactory]:
    """A factory for REGION. Tests close it after their last call; closing again here (a no-op then)
    releases it when a test fails before that."""
    target = AwsTarget(regions=(REGION,), endpoint_url=sim_url, access_key="testing", secret_key="testing")
    made = ClientFactory(target)
    yield made
    await made.close()


class Clock:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at


def by_id(snapshot: LimitsSnapshot) -> dict[str, InstanceView]:
    return {view.instance_id: view for view in snapshot.instances}


def volume(view: InstanceView, volume_id: str) -> VolumeView:
    (found,) = (v for v in view.volumes if v.volume_id == volume_id)
    return found


def deny(code: str, operation: str) -> Callable[..., None]:
    def handler(**_: Any) -> None:
        raise ClientError({"Error": {"Code": code, "Message": f"{operation} refused by the test"}}, operation)

    return handler


def rel(expected: float) -> Any:
    return pytest.approx(expected, rel=1e-6)


# ---------------------------------------------------------------------------------------------
# Values
# ---------------------------------------------------------------------------------------------


async def test_rates_are_sums_over_the_period(fleet: Fleet, factory: ClientFactory) -> None:
    snapshot = await LimitsPoller(factory, clock=Clock(fleet.t0)).poll()
    await factory.close()
    assert snapshot.errors == ()
    views = by_id(snapshot)
    assert set(views) == {fleet.web, fleet.db, fleet.batch, fleet.quiet}
    web = views[fleet.web]
    assert web.name == "web"
    assert web.instance_type == "m5.xlarge"
    assert web.net_in_mbps == rel(100.0)
    assert web.net_out_mbps == rel(200.0)
    assert web.net_utilization == rel(200.0 / 1250.0)
    gp3 = volume(web, fleet.web_gp3)
    assert gp3.iops == rel(3000.0)
    assert gp3.throughput_mibps == rel(450.0)
    gp2 = volume(web, fleet.web_gp2)
    assert gp2.iops == rel(300.0)
    assert gp2.throughput_mibps == rel(10.0)
    assert gp2.burst_balance_pct == rel(75.0)
    root = volume(web, fleet.roots[fleet.web])
    assert root.iops == rel(20.0)
    assert root.throughput_mibps == rel(1.0)
    # The instance's EBS traffic is its volumes' sum, in MB/s (10^6).
    assert web.ebs_iops == rel(3320.0)
    assert web.ebs_mbs == rel(461.0 * MB_PER_MIB)
    assert web.memory_used_pct == rel(42.5)
    assert web.disk_used_pct == rel(71.0)
    db = views[fleet.db]
    assert db.net_in_mbps == rel(1.0)
    io2 = volume(db, fleet.db_io2)
    assert io2.iops == rel(3000.0)
    assert io2.throughput_mibps == rel(46.875)
    assert io2.utilization == rel(0.75)
    assert io2.capped_by == "volume"
    batch = views[fleet.batch]
    assert batch.net_in_mbps == rel(100.0)
    assert batch.net_out_mbps == rel(20.0)
    assert volume(batch, fleet.roots[fleet.batch]).iops == rel(20.0)
    assert [v.volume_id for v in snapshot.unattached] == [fleet.spare]


async def test_periods_follow_the_monitoring(fleet: Fleet, factory: ClientFactory) -> None:
    snapshot = await LimitsPoller(factory, clock=Clock(fleet.t0)).poll()
    await factory.close()
    views = by_id(snapshot)
    assert views[fleet.web].period_s == 60
    assert views[fleet.db].period_s == 60
    assert views[fleet.quiet].period_s == 60
    assert views[fleet.batch].period_s == 300
    assert snapshot.periods == {60: 3, 300: 1}
    assert snapshot.period_s == 300  # the longest in use: the slowest gauge's refresh
    doc = json_of(snapshot)
    assert doc["period_s"] == 300
    assert {i["instance_id"]: i["period_s"] for i in doc["instances"]} == {
        fleet.web: 60,
        fleet.db: 60,
        fleet.quiet: 60,
        fleet.batch: 300,
    }


async def test_gp3_volume_capped_by_its_instance(fleet: Fleet, factory: ClientFactory) -> None:
    snapshot = await LimitsPoller(factory, clock=Clock(fleet.t0)).poll()
    await factory.close()
    gp3 = volume(by_id(snapshot)[fleet.web], fleet.web_gp3)
    assert gp3.capped_by == "instance"
    assert gp3.mibps_capped_by == "instance"
    assert gp3.iops_capped_by == "volume"
    assert gp3.mibps_ceiling == rel(593.75 / MB_PER_MIB)
    assert gp3.iops_ceiling == 12000.0
    assert gp3.utilization == rel(450.0 / (593.75 / MB_PER_MIB))
    assert gp3.level == "ok"
    doc = next(
        v for i in json_of(snapshot)["instances"] for v in i["volumes"] if v["volume_id"] == fleet.web_gp3
    )
    assert doc["capped_by"] == "instance"
    assert doc["utilization"] == pytest.approx(0.7947, abs=1e-4)
    assert (doc["baseline_iops"], doc["baseline_mibps"], doc["burst_iops"]) == (12000.0, 750.0, None)


async def test_gp2_without_iops_in_describe_volumes_gets_limits_from_its_size(
    fleet: Fleet, factory: ClientFactory
) -> None:
    ec2 = await factory.client("ec2", REGION)
    seen: list[str] = []

    def strip_iops(parsed: dict[str, Any], **_: Any) -> None:
        for vol in parsed.get("Volumes") or ():
            if vol.get("VolumeType") == "gp2":
                vol.pop("Iops", None)
                seen.append(vol["VolumeId"])

    ec2.meta.events.register("after-call.ec2.DescribeVolumes", strip_iops)
    snapshot = await LimitsPoller(factory, clock=Clock(fleet.t0)).poll()
    await factory.close()
    assert fleet.web_gp2 in seen
    gp2 = volume(by_id(snapshot)[fleet.web], fleet.web_gp2)
    assert gp2.limit is not None
    assert (gp2.limit.baseline_iops, gp2.limit.burst_iops) == (600.0, 3000.0)
    assert (gp2.limit.baseline_mibps, gp2.limit.burst_mibps) == (128.0, 250.0)
    assert gp2.iops_ceiling == 3000.0  # bursting: 75 % of its credits left
    assert gp2.utilization == rel(300.0 / 3000.0)


# ---------------------------------------------------------------------------------------------
# API calls and later cycles
# ---------------------------------------------------------------------------------------------


async def test_api_calls_per_cycle(fleet: Fleet, factory: ClientFactory) -> None:
    clock = Clock(fleet.t0)
    poller = LimitsPoller(factory, clock=clock)
    first = await poller.poll()
    calls = dict(factory.calls)
    assert poller.last_queries == first.queries > 0
    assert calls["cloudwatch:GetMetricData"] == math.ceil(poller.last_queries / MAX_QUERIES)
    assert calls["ec2:DescribeInstances"] == 1
    assert calls["ec2:DescribeVolumes"] == 1
    assert calls["ec2:DescribeInstanceTypes"] == 1
    assert first.calls == calls

    clock.at = fleet.t0 + timedelta(minutes=1)
    second = await poller.poll()
    delta = factory.calls - Counter(calls)
    assert delta["cloudwatch:GetMetricData"] == math.ceil(poller.last_queries / MAX_QUERIES)
    assert delta["ec2:DescribeInstanceTypes"] == 0  # cached for the session
    # The inventory is re-read every INVENTORY_REFRESH_S or on demand, never twice in a cycle.
    assert delta["ec2:DescribeInstances"] == 0
    assert delta["ec2:DescribeVolumes"] == 0
    assert len(second.instances) == len(first.instances)

    before = dict(factory.calls)
    poller.refresh_inventory()
    clock.at = fleet.t0 + timedelta(minutes=2)
    re_read = await poller.poll()
    delta = factory.calls - Counter(before)
    assert delta["ec2:DescribeInstances"] == 1
    assert delta["ec2:DescribeVolumes"] == 1
    assert delta["ec2:DescribeInstanceTypes"] == 0
    # The same fleet, in a cycle whose new minute is due: the minute is left to the poll after.
    assert re_read.follow_up and delta["cloudwatch:GetMetricData"] == 0
    before = dict(factory.calls)
    await poller.poll()
    delta = factory.calls - Counter(before)
    assert delta["cloudwatch:GetMetricData"] == math.ceil(poller.last_queries / MAX_QUERIES)
    assert delta["ec2:DescribeInstances"] == 0
    await factory.close()


async def test_second_cycle_picks_up_the_new_minute(fleet: Fleet, factory: ClientFactory) -> None:
    clock = Clock(fleet.t0)
    poller = LimitsPoller(factory, clock=clock)
    first = by_id(await poller.poll())[fleet.web]
    assert len(first.history) == MINUTES
    # One more minute for web, busier than before: 200 Mbps in, 6,000 IOPS on the gp3.
    minute = [fleet.t0]
    _put("AWS/EC2", "NetworkIn", {"InstanceId": fleet.web}, 1.5e9, minute)
    _put("AWS/EC2", "NetworkOut", {"InstanceId": fleet.web}, 1.5e9, minute)
    for volume_id in (fleet.web_gp2, fleet.roots[fleet.web]):
        _put_volume(fleet, volume_id, minute)
    _put("AWS/EBS", "VolumeReadOps", {"VolumeId": fleet.web_gp3}, 240000.0, minute)
    _put("AWS/EBS", "VolumeWriteOps", {"VolumeId": fleet.web_gp3}, 120000.0, minute)
    _put("AWS/EBS", "VolumeReadBytes", {"VolumeId": fleet.web_gp3}, 300.0 * MIB * 60, minute)
    _put("AWS/EBS", "VolumeWriteBytes", {"VolumeId": fleet.web_gp3}, 150.0 * MIB * 60, minute)
    clock.at = fleet.t0 + timedelta(minutes=1)
    second = by_id(await poller.poll())[fleet.web]
    await factory.close()
    assert len(second.history) == MINUTES + 1
    assert second.history[:-1] == first.history
    assert second.net_in_mbps == rel(200.0)
    assert volume(second, fleet.web_gp3).iops == rel(6000.0)
    assert second.ebs_iops == rel(6320.0)


async def test_the_first_cycle_hands_over_the_fleet_then_the_latest_minutes_before_the_hour(
    fleet: Fleet, factory: ClientFactory
) -> None:
    handed: list[tuple[int, int, LimitsSnapshot | None]] = []
    clock = Clock(fleet.t0)
    plain = by_id(await LimitsPoller(factory, clock=clock).poll())
    poller = LimitsPoller(factory, clock=clock)
    whole = await poller.poll(
        progress=lambda pages, found, partial=None: handed.append((pages, found, partial))
    )
    calls = factory.calls["cloudwatch:GetMetricData"]
    again = by_id(await poller.poll())
    await factory.close()
    [(_, listed_count, listed), (pages, found, partial)] = handed
    # First the fleet as the inventory lists it, every running instance's gauges unknown while read.
    assert listed is not None and listed.listed_only and listed_count == len(whole.instances)
    assert {i.instance_id for i in listed.instances} == {i.instance_id for i in whole.instances}
    listed_web = by_id(listed)[fleet.web]
    assert listed_web.reasons == (READING,) and listed_web.net_in_mbps is None
    assert listed_web.utilization is None and listed_web.level == "unknown" and listed_web.volumes
    assert partial is not None and partial.loading and not partial.listed_only and not whole.loading
    assert (pages, found) == (1, len(partial.instances)) and found == len(whole.instances)
    early = by_id(partial)
    web = early[fleet.web]
    # The latest minutes: the gauges as the hour gives them, a short trend, and no hints yet.
    assert web.net_in_mbps == plain[fleet.web].net_in_mbps == rel(100.0)
    assert volume(web, fleet.web_gp3).iops == volume(plain[fleet.web], fleet.web_gp3).iops
    assert 0 < len(web.history) < MINUTES and not partial.hints
    # The poll's result is the hour, as a poll without progress reads it, and the next cycle adds to it.
    assert (
        by_id(whole) == plain and whole.hints and by_id(whole)[fleet.web].history == plain[fleet.web].history
    )
    assert again[fleet.web].history == plain[fleet.web].history
    assert calls > 0


async def test_a_large_fleets_first_rows_get_their_gauges_before_the_rest_are_read(
    fleet: Fleet, factory: ClientFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When the whole fleet's latest minutes take many calls, the instances listed first (a
    screen's rows) have theirs read first, in a call of their own: their gauges are on screen, as
    the whole read will give them, while the rest still read."""
    import tui.aws.limits as limits_module

    monkeypatch.setattr(limits_module, "ROWS_FIRST", 1)
    monkeypatch.setattr(limits_module, "ROWS_FIRST_QUERIES", 1)  # "many calls" for this small fleet
    clock = Clock(fleet.t0)
    plain = by_id(await LimitsPoller(factory, clock=clock).poll())
    handed: list[LimitsSnapshot | None] = []
    await LimitsPoller(factory, clock=clock).poll(
        progress=lambda pages, found, partial=None: handed.append(partial)
    )
    await factory.close()
    [listed, rows, latest] = handed
    assert listed is not None and rows is not None and latest is not None
    running = [i.instance_id for i in listed.instances if i.state == "running"]
    first, rest = running[0], running[1:]
    assert rows.loading and not rows.listed_only and rows.queries > 0
    shown = by_id(rows)
    assert set(shown) == set(by_id(listed))
    assert shown[first].reasons != (READING,) and shown[first].utilization is not None
    assert shown[first].net_in_mbps == plain[first].net_in_mbps
    assert rest and all(shown[iid].reasons == (READING,) for iid in rest)
    assert rows.instances[0].instance_id == first  # measured first: the list sorts by its gauges
    assert all(by_id(latest)[iid].reasons != (READING,) for iid in running)


async def test_a_cycle_without_new_data_adds_no_history(fleet: Fleet, factory: ClientFactory) -> None:
    """Clocks off the minute (as a real clock always is) must not shift CloudWatch's buckets between
    cycles and count one period twice."""
    clock = Clock(fleet.t0 - timedelta(seconds=50))
    poller = LimitsPoller(factory, clock=clock)
    first = by_id(await poller.poll())
    clock.at = fleet.t0 - timedelta(seconds=10)
    second = by_id(await poller.poll())
    await factory.close()
    for iid in (fleet.web, fleet.db, fleet.batch):
        assert second[iid].history == first[iid].history, iid
    assert second[fleet.web].net_in_mbps == rel(100.0)
    assert second[fleet.batch].net_in_mbps == rel(100.0)


# ---------------------------------------------------------------------------------------------
# The JSON contract, and unknowns
# ---------------------------------------------------------------------------------------------


async def test_json_has_the_named_fields_and_null_for_unknowns(fleet: Fleet, factory: ClientFactory) -> None:
    snapshot = await LimitsPoller(factory, clock=Clock(fleet.t0)).poll()
    await factory.close()
    doc = json_of(snapshot)
    assert check_document("limits", doc) > 0
    assert datetime.fromisoformat(doc["fetched_at"]) == fleet.t0
    assert [v["volume_id"] for v in doc["unattached_volumes"]] == [fleet.spare]
    assert doc["errors"] == []
    instances = {i["instance_id"]: i for i in doc["instances"]}
    web = instances[fleet.web]
    assert web["network"]["baseline_mbps"] == 1250.0
    assert web["network"]["peak_mbps"] == 10000.0
    assert web["network"]["in_mbps"] == 100.0
    assert web["ebs"]["max_mbs"] == 593.75
    assert web["ebs"]["iops"] == 3320.0
    assert web["memory_used_pct"] == 42.5
    # No datapoints at all: every measured value is null, never 0, and a note says why.
    quiet = instances[fleet.quiet]
    assert quiet["network"]["in_mbps"] is None
    assert quiet["network"]["out_mbps"] is None
    assert quiet["network"]["utilization"] is None
    assert quiet["ebs"]["throughput_mbs"] is None
    assert quiet["ebs"]["iops"] is None
    assert quiet["ebs"]["utilization"] is None
    assert quiet["memory_used_pct"] is None
    assert quiet["disk_used_pct"] is None
    assert quiet["network"]["baseline_mbps"] == 750.0  # limits are known all the same
    (root,) = quiet["volumes"]
    assert root["iops"] is None and root["throughput_mibps"] is None and root["utilization"] is None
    assert any(note.startswith("network: no datapoints: idle or not published") for note in quiet["notes"]), (
        quiet["notes"]
    )
    assert any("AWS/EBS" in note for note in quiet["notes"]), quiet["notes"]
    # web has no agent gap, and its limits are all known: no notes.
    assert web["notes"] == []
    # The agent is only on web.
    assert instances[fleet.db]["memory_used_pct"] is None


async def test_hints_from_the_first_cycle(fleet: Fleet, factory: ClientFactory) -> None:
    snapshot = await LimitsPoller(factory, clock=Clock(fleet.t0)).poll()
    await factory.close()
    hints = {(h.resource_id, h.kind): h.text for h in snapshot.hints}
    assert (fleet.spare, "unattached") in hints
    assert (fleet.web_gp2, "gp2-to-gp3") in hints
    assert "gp3 at 4,000 IOPS / 125 MiB/s" in hints[(fleet.db_io2, "io-to-gp3")]
    # 450 MiB/s in 154 KiB operations, sustained: an st1 that sustains it (11,520 GiB, $518.40 a
    # month) costs more than the gp3 it would replace ($110): no hint.
    assert (fleet.web_gp3, "to-st1") not in hints
    roots = set(fleet.roots.values())
    assert not [key for key in hints if key[0] in roots], "a boot volume got a hint"


# ---------------------------------------------------------------------------------------------
# Failures of one API
# ---------------------------------------------------------------------------------------------


async def test_describe_volumes_denied(fleet: Fleet, factory: ClientFactory) -> None:
    ec2 = await factory.client("ec2", REGION)
    handler = deny("UnauthorizedOperation", "DescribeVolumes")
    ec2.meta.events.register("before-call.ec2.DescribeVolumes", handler)
    clock = Clock(fleet.t0)
    poller = LimitsPoller(factory, clock=clock)
    snapshot = await poller.poll()
    assert {v.instance_id for v in snapshot.instances} == {fleet.web, fleet.db, fleet.batch, fleet.quiet}
    doc = json_of(snapshot)
    errors = [e for e in doc["errors"] if e["api"] == "ec2:DescribeVolumes"]
    assert len(errors) == 1 and "DescribeVolumes" in errors[0]["message"]
    for inst in doc["instances"]:
        assert inst["volumes"] == []
        assert any("volumes unknown" in note for note in inst["notes"]), inst["notes"]
        assert inst["ebs"]["throughput_mbs"] is None
    assert doc["unattached_volumes"] == []
    web = by_id(snapshot)[fleet.web]
    assert web.net_in_mbps == rel(100.0)  # the rest of the cycle went on
    assert web.limits.ebs_max_mbs == 593.75
    # Granted again: the next cycle re-reads the inventory and the volumes come back.
    ec2.meta.events.unregister("before-call.ec2.DescribeVolumes", handler)
    clock.at = fleet.t0 + timedelta(seconds=20)
    recovered = await poller.poll()
    await factory.close()
    assert recovered.errors == ()
    assert {v.volume_id for v in by_id(recovered)[fleet.web].volumes} == {
        fleet.web_gp3,
        fleet.web_gp2,
        fleet.roots[fleet.web],
    }


async def test_unknown_instance_type(fleet: Fleet, factory: ClientFactory) -> None:
    ec2 = await factory.client("ec2", REGION)
    asked: list[str] = []

    def unknown_t3_small(params: dict[str, Any], **_: Any) -> None:
        body = str(params.get("body"))
        asked.append(body)
        if "t3.small" in body:
            raise ClientError(
                {
                    "Error": {
                        "Code": "InvalidInstanceType",
                        "Message": "The following supplied instance types do not exist: [t3.small]",
                    }
                },
                "DescribeInstanceTypes",
            )

    ec2.meta.events.register("before-call.ec2.DescribeInstanceTypes", unknown_t3_small)
    snapshot = await LimitsPoller(factory, clock=Clock(fleet.t0)).poll()
    await factory.close()
    assert asked, "DescribeInstanceTypes was not called"
    views = by_id(snapshot)
    batch = to_builtins(documents.instance(views[fleet.batch]))
    assert batch["network"]["baseline_mbps"] is None and batch["network"]["peak_mbps"] is None
    assert batch["ebs"]["max_mbs"] is None and batch["ebs"]["max_iops"] is None
    assert batch["network"]["utilization"] is None
    assert any("DescribeInstanceTypes" in note for note in batch["notes"]), batch["notes"]
    assert batch["network"]["in_mbps"] == 100.0  # traffic is still measured
    assert views[fleet.web].limits.ebs_max_mbs == 593.75
    assert views[fleet.web].limits.net_baseline_mbps == 1250.0
    assert views[fleet.db].limits.net_baseline_mbps == 750.0
    assert volume(views[fleet.web], fleet.web_gp3).capped_by == "instance"


async def test_get_metric_data_denied(fleet: Fleet, factory: ClientFactory) -> None:
    cloudwatch = await factory.client("cloudwatch", REGION)
    cloudwatch.meta.events.register(
        "before-call.cloudwatch.GetMetricData", deny("AccessDenied", "GetMetricData")
    )
    snapshot = await LimitsPoller(factory, clock=Clock(fleet.t0)).poll()
    await factory.close()
    assert [e.api for e in snapshot.errors] == ["cloudwatch:GetMetricData"]
    assert "GetMetricData" in snapshot.errors[0].message
    assert len(snapshot.instances) == 4
    for view in snapshot.instances:
        assert view.net_in_mbps is None and view.net_out_mbps is None
        assert view.net_utilization is None and view.net_level == "unknown"
        assert view.ebs_mbs is None and view.ebs_iops is None
        assert view.ebs_utilization is None and view.ebs_level == "unknown"
        assert view.memory_used_pct is None and view.disk_used_pct is None
        assert view.utilization is None and view.level == "unknown"
        assert not view.history
        assert any(note.startswith("metrics unavailable") for note in view.reasons), view.reasons
        for vol in view.volumes:
            assert vol.iops is None and vol.throughput_mibps is None and vol.burst_balance_pct is None
            assert vol.utilization is None and vol.level == "unknown"
    web = by_id(snapshot)[fleet.web]
    assert web.limits.ebs_max_mbs == 593.75  # what the type allows is still known
    assert volume(web, fleet.web_gp3).capped_by == "instance"
    assert all(q.usage is None for q in snapshot.quotas)
    doc = json_of(snapshot)
    assert doc["errors"][0]["api"] == "cloudwatch:GetMetricData"


# ---------------------------------------------------------------------------------------------
# tui.aws.metrics
# ---------------------------------------------------------------------------------------------


async def test_fast_path_matches_boto3(fleet: Fleet, factory: ClientFactory, client: ClientMaker) -> None:
    real: list[MetricQuery] = []
    for iid in (fleet.web, fleet.db, fleet.batch):
        for metric in ("NetworkIn", "NetworkOut"):
            real.append(MetricQuery(f"{iid}|{metric}", "AWS/EC2", metric, (("InstanceId", iid),), "Sum", 60))
    for volume_id in fleet.volume_sums:
        for metric in ("VolumeReadOps", "VolumeWriteBytes"):
            real.append(
                MetricQuery(f"{volume_id}|{metric}", "AWS/EBS", metric, (("VolumeId", volume_id),), "Sum", 60)
            )
    real.append(
        MetricQuery("mem", "CWAgent", "mem_used_percent", (("InstanceId", fleet.web),), "Average", 300)
    )
    absent = [
        MetricQuery(
            f"vol-absent{n:05d}", "AWS/EBS", "VolumeReadOps", (("VolumeId", f"vol-absent{n:05d}"),), "Sum", 60
        )
        for n in range(1200 - len(real))
    ]
    queries = real + absent
    assert len(queries) == 1200
    start = fleet.t0 - timedelta(hours=1)
    cloudwatch = await factory.client("cloudwatch", REGION)
    assert cloudwatch.meta.service_model.resolved_protocol == "json", "the fast path does not apply"
    batch = await get_metric_data(factory, REGION, queries, start, fleet.t0)
    await factory.close()
    assert batch.calls == 3
    assert factory.calls["cloudwatch:GetMetricData"] == 3
    assert len(batch.series) == 1200
    assert all(not batch.series[q.key].timestamps for q in absent)

    boto = client("cloudwatch", region=REGION)
    reply = boto.get_metric_data(
        MetricDataQueries=[q.to_api(f"q{n}") for n, q in enumerate(real)],
        StartTime=start,
        EndTime=fleet.t0,
        ScanBy="TimestampDescending",
    )
    assert "NextToken" not in reply
    expected = {result["Id"]: result for result in reply["MetricDataResults"]}
    for n, query in enumerate(real):
        series = batch.series[query.key]
        want = expected[f"q{n}"]
        assert list(series.timestamps) == [t.timestamp() for t in want["Timestamps"]], query.key
        assert list(series.values) == want["Values"], query.key
        assert series.status == want["StatusCode"]
    web_in = batch.series[f"{fleet.web}|NetworkIn"]
    assert len(web_in.values) == MINUTES
    assert set(web_in.values) == {7.5e8}
    assert web_in.timestamps[0] == (fleet.t0 - timedelta(minutes=1)).timestamp()
    assert batch.series["mem"].values[0] == rel(42.5)


def test_a_plan_writes_each_query_as_botocore_would_send_it() -> None:
    queries = [
        MetricQuery("a", "AWS/EC2", "NetworkIn", (("InstanceId", "i-0123"),), "Sum", 60),
        MetricQuery(
            "b",
            "CWAgent",
            "disk_used_percent",
            (("path", '/data "x"'), ("device", "nvme1n1")),
            "Maximum",
            300,
        ),
        MetricQuery("c", "Custom/ünï", "Latency\\ms", (), "p99", 60, account_id="210987654321"),
        *(
            MetricQuery(f"v{n}", "AWS/EBS", "VolumeReadOps", (("VolumeId", f"vol-{n}"),), "Sum", 60)
            for n in range(600)
        ),
    ]
    plan = QueryPlan(queries)
    assert [len(chunk.keys) for chunk in plan.chunks] == [MAX_QUERIES, len(queries) - MAX_QUERIES]
    for chunk in plan.chunks:
        assert json.loads(chunk.encoded) == chunk.api()
        assert chunk.encoded == json.dumps(chunk.api(), separators=(",", ":"))
        assert [query["Id"] for query in chunk.api()] == list(chunk.keys)
    sent = {query["Id"]: query for chunk in plan.chunks for query in chunk.api()}
    by_key = {plan.chunks[n].keys[qid]: sent[qid] for n in range(2) for qid in plan.chunks[n].keys}
    assert by_key["c"]["AccountId"] == "210987654321" and "AccountId" not in by_key["a"]
    assert by_key["b"]["MetricStat"]["Metric"]["Dimensions"][0] == {"Name": "path", "Value": '/data "x"'}


async def test_a_new_minute_is_spread_by_instance_busiest_first(fleet: Fleet, factory: ClientFactory) -> None:
    """Every query of an instance, its volumes' included, is one group of the plan, and the poller
    ranks the groups as its list (busiest first) for a large fleet's spread read."""
    poller = LimitsPoller(factory, clock=Clock(fleet.t0))
    snapshot = await poller.poll()
    await factory.close()
    assert list(poller._rank) == [view.instance_id for view in snapshot.instances]
    plan = next(plan.compiled for plan in poller._plans.values())
    groups = {key: plan.group_names[plan.group[n]] for n, key in enumerate(plan.keys)}
    assert groups[f"{fleet.web}|NetworkIn"] == fleet.web
    assert groups[f"{fleet.web_gp3}|VolumeReadOps"] == fleet.web
    assert groups[f"{fleet.roots[fleet.web]}|VolumeWriteBytes"] == fleet.web
