"""The Limits poller on data shaped the way AWS publishes it, against a plain moto server (no
simulator patches): metrics written with PutMetricData exactly as AWS would send them.

- AWS/EBS sends nothing for an idle volume, and only the direction a volume used: a read-only
  volume has VolumeReadOps/VolumeReadBytes and no write points.
- AWS/EC2 basic monitoring sends one Sum per 5 minutes, stamped on the 5-minute boundary.
- Nitro types send AWS/EC2 EBSReadOps/EBSWriteOps/EBSReadBytes/EBSWriteBytes for the instance as a
  whole; Xen types (m4) send none, so their EBS traffic is the sum of their volumes'.

Every point sits on its period's boundary, so the answer is the same whether or not a server aligns
GetMetricData's timestamps to the period (AWS does; moto may not). Region eu-south-1 is this module's
own on the shared plain server.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.json_doc import json_of
from tests.plain_moto import boto3_factory
from tui.aws.clients import AwsTarget, ClientFactory
from tui.aws.limits import NO_DATAPOINTS, InstanceView, LimitsPoller, LimitsSnapshot, VolumeView
from tui.aws.limits_history import instance_history
from tui.aws.limits_math import MB_PER_MIB

REGION = "eu-south-1"
MIB = 1024 * 1024
MINUTES = 30


@dataclass
class Fleet:
    t0: datetime
    nitro: str = ""  # m5.large, detailed; publishes AWS/EC2 EBS*
    xen: str = ""  # m4.large, detailed; no AWS/EC2 EBS*
    basic: str = ""  # m5.large, basic monitoring: 5-minute points
    silent: str = ""  # m5.large, detailed; nothing published at all
    lagging: str = ""  # m4.large, detailed; its second volume's newest minute arrives late
    roots: dict[str, str] = field(default_factory=dict)
    reader: str = ""  # gp3 on nitro: reads only
    writer: str = ""  # io2 on nitro: writes only
    idle: str = ""  # gp2 on nitro: no AWS/EBS points at all
    xen_busy: str = ""  # gp3 on xen: reads and writes every minute
    xen_quieted: str = ""  # gp2 on xen: wrote until 15 minutes ago, idle since
    lag_a: str = ""  # gp3 on lagging: 100 read IOPS every minute
    lag_b: str = ""  # gp3 on lagging: 100 read IOPS, 50 write IOPS; its last minute not yet published


_BUILT: list[Fleet] = []


def launch_detailed(ec2: Any) -> dict[str, Any]:
    """One m5.large with detailed monitoring (1-minute AWS/EC2 data), as RunInstances describes it."""
    image = ec2.describe_images()["Images"][0]["ImageId"]
    reply = ec2.run_instances(
        ImageId=image, MinCount=1, MaxCount=1, InstanceType="m5.large", Monitoring={"Enabled": True}
    )
    instance: dict[str, Any] = reply["Instances"][0]
    return instance


@dataclass
class OneInstance:
    """A region of the plain server with one detailed-monitoring instance and a gp3 data volume."""

    ec2: Any
    cloudwatch: Any
    instance_id: str
    volume_id: str
    t0: datetime  # the current minute's start


def one_instance(url: str, region: str, size_gib: int) -> OneInstance:
    make = boto3_factory(url)
    ec2 = make("ec2", region=region)
    inst = launch_detailed(ec2)
    zone = inst["Placement"]["AvailabilityZone"]
    volume_id: str = ec2.create_volume(AvailabilityZone=zone, Size=size_gib, VolumeType="gp3")["VolumeId"]
    ec2.attach_volume(VolumeId=volume_id, InstanceId=inst["InstanceId"], Device="/dev/sdf")
    t0 = datetime.now(UTC).replace(second=0, microsecond=0)
    return OneInstance(ec2, make("cloudwatch", region=region), inst["InstanceId"], volume_id, t0)


def put_points(
    cloudwatch: Any, namespace: str, metric: str, dims: dict[str, str], value: float, times: list[datetime]
) -> None:
    """``value`` at each of ``times``, as AWS publishes a metric: one point per period."""
    cloudwatch.put_metric_data(
        Namespace=namespace,
        MetricData=[
            {
                "MetricName": metric,
                "Dimensions": [{"Name": k, "Value": v} for k, v in dims.items()],
                "Timestamp": t,
                "Value": value,
                "Unit": "Count" if metric.endswith("Ops") else "Bytes",
            }
            for t in times
        ],
    )


def plain_factory(url: str, *regions: str) -> ClientFactory:
    """A client factory for the plain server in ``regions``, as the console makes it."""
    return ClientFactory(
        AwsTarget(regions=regions, endpoint_url=url, access_key="testing", secret_key="testing")
    )


def record_sent(monkeypatch: pytest.MonkeyPatch) -> list[set[str]]:
    """The keys each GetMetricData batch of the Limits poller sends (those read at the batch's end),
    one set a batch; each batch's count and calls checked against them."""
    import tui.aws.limits as limits_module
    from tui.aws.metrics import MetricBatch

    sent: list[set[str]] = []
    original = limits_module.get_metric_data

    async def recorded(*args: Any, **kwargs: Any) -> MetricBatch:
        batch = await original(*args, **kwargs)
        plan, at = args[2], args[4].timestamp()
        asked = {plan.keys[n] for n in range(len(plan)) if plan.read_at[n] == at}  # read at this cycle's end
        assert batch.queries == len(asked) <= len(plan)
        assert batch.calls == MetricBatch.calls_needed(batch.queries)
        sent.append(asked)
        return batch

    monkeypatch.setattr(limits_module, "get_metric_data", recorded)
    return sent


class Clock:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at


def _build(url: str) -> Fleet:
    make = boto3_factory(url)
    ec2 = make("ec2", region=REGION)
    cloudwatch = make("cloudwatch", region=REGION)
    now = datetime.now(UTC)
    t0 = now.replace(minute=now.minute - now.minute % 5, second=0, microsecond=0)
    fleet = Fleet(t0=t0)
    image = ec2.describe_images()["Images"][0]["ImageId"]

    def launch(itype: str, detailed: bool) -> dict[str, Any]:
        reply = ec2.run_instances(
            ImageId=image, MinCount=1, MaxCount=1, InstanceType=itype, Monitoring={"Enabled": detailed}
        )
        instance: dict[str, Any] = reply["Instances"][0]
        fleet.roots[instance["InstanceId"]] = instance["BlockDeviceMappings"][0]["Ebs"]["VolumeId"]
        return instance

    def attach(instance: dict[str, Any], device: str, **volume: Any) -> str:
        zone = instance["Placement"]["AvailabilityZone"]
        volume_id: str = ec2.create_volume(AvailabilityZone=zone, **volume)["VolumeId"]
        ec2.attach_volume(VolumeId=volume_id, InstanceId=instance["InstanceId"], Device=device)
        return volume_id

    nitro, xen, basic, silent, lagging = (
        launch("m5.large", True),
        launch("m4.large", True),
        launch("m5.large", False),
        launch("m5.large", True),
        launch("m4.large", True),
    )
    fleet.nitro, fleet.xen, fleet.basic, fleet.silent, fleet.lagging = (
        i["InstanceId"] for i in (nitro, xen, basic, silent, lagging)
    )
    fleet.reader = attach(nitro, "/dev/sdf", Size=500, VolumeType="gp3")
    fleet.writer = attach(nitro, "/dev/sdg", Size=100, VolumeType="io2", Iops=2000)
    fleet.idle = attach(nitro, "/dev/sdh", Size=200, VolumeType="gp2")
    fleet.xen_busy = attach(xen, "/dev/sdf", Size=500, VolumeType="gp3")
    fleet.xen_quieted = attach(xen, "/dev/sdg", Size=200, VolumeType="gp2")
    fleet.lag_a = attach(lagging, "/dev/sdf", Size=100, VolumeType="gp3")
    fleet.lag_b = attach(lagging, "/dev/sdg", Size=100, VolumeType="gp3")

    minutes = [t0 - timedelta(minutes=k) for k in range(1, MINUTES + 1)]
    fives = [t0 - timedelta(minutes=k) for k in range(5, MINUTES + 1, 5)]

    def put(namespace: str, metric: str, dims: dict[str, str], value: float, times: list[datetime]) -> None:
        put_points(cloudwatch, namespace, metric, dims, value, times)

    def volume(vid: str, metric: str, value: float, times: list[datetime] = minutes) -> None:
        put("AWS/EBS", metric, {"VolumeId": vid}, value, times)

    # nitro: the gp3 reads 1,000 IOPS of 64 KiB (62.5 MiB/s); the io2 writes 500 IOPS of 8 KiB
    # (3.90625 MiB/s); the gp2 and the root volume idle: no AWS/EBS points for them.
    volume(fleet.reader, "VolumeReadOps", 60000.0)
    volume(fleet.reader, "VolumeReadBytes", 60000.0 * 65536)
    volume(fleet.writer, "VolumeWriteOps", 30000.0)
    volume(fleet.writer, "VolumeWriteBytes", 30000.0 * 8192)
    # ... and the instance as a whole, as Nitro publishes it.
    nitro_dims = {"InstanceId": fleet.nitro}
    put("AWS/EC2", "EBSReadOps", nitro_dims, 60000.0, minutes)
    put("AWS/EC2", "EBSWriteOps", nitro_dims, 30000.0, minutes)
    put("AWS/EC2", "EBSReadBytes", nitro_dims, 60000.0 * 65536, minutes)
    put("AWS/EC2", "EBSWriteBytes", nitro_dims, 30000.0 * 8192, minutes)
    for iid in (fleet.nitro, fleet.xen):
        put("AWS/EC2", "NetworkIn", {"InstanceId": iid}, 7.5e8, minutes)  # 100 Mbps
        put("AWS/EC2", "NetworkOut", {"InstanceId": iid}, 3.75e8, minutes)  # 50 Mbps

    # xen (no AWS/EC2 EBS*): the gp3 does 600 IOPS and 6 MiB/s, half reads, half writes; the gp2
    # wrote 300 IOPS of 16 KiB until 15 minutes ago and has been idle since.
    for metric in ("VolumeReadOps", "VolumeWriteOps"):
        volume(fleet.xen_busy, metric, 18000.0)
    for metric in ("VolumeReadBytes", "VolumeWriteBytes"):
        volume(fleet.xen_busy, metric, 3.0 * MIB * 60)
    earlier = [t for t in minutes if t <= t0 - timedelta(minutes=16)]
    volume(fleet.xen_quieted, "VolumeWriteOps", 18000.0, earlier)
    volume(fleet.xen_quieted, "VolumeWriteBytes", 18000.0 * 16384, earlier)

    # lagging: both volumes read; lag_b's points for the newest minute are not published yet.
    volume(fleet.lag_a, "VolumeReadOps", 6000.0)
    volume(fleet.lag_a, "VolumeReadBytes", 6000.0 * 4096)
    volume(fleet.lag_b, "VolumeReadOps", 6000.0, minutes[1:])
    volume(fleet.lag_b, "VolumeReadBytes", 6000.0 * 4096, minutes[1:])

    # basic: one Sum per 5 minutes, stamped on the boundary. 100 Mbps in, 20 Mbps out; EBS reads
    # only, 100 IOPS and 2 MB/s; its root volume (1-minute data, as AWS/EBS always is) 20 IOPS.
    basic_dims = {"InstanceId": fleet.basic}
    put("AWS/EC2", "NetworkIn", basic_dims, 3.75e9, fives)
    put("AWS/EC2", "NetworkOut", basic_dims, 7.5e8, fives)
    put("AWS/EC2", "EBSReadOps", basic_dims, 30000.0, fives)
    put("AWS/EC2", "EBSReadBytes", basic_dims, 6e8, fives)
    volume(fleet.roots[fleet.basic], "VolumeReadOps", 1200.0)
    volume(fleet.roots[fleet.basic], "VolumeReadBytes", 1200.0 * 4096)
    return fleet


@pytest.fixture
def fleet(plain_moto_url: str) -> Fleet:
    if not _BUILT:
        _BUILT.append(_build(plain_moto_url))
    return _BUILT[0]


@pytest.fixture
async def factory(plain_moto_url: str) -> AsyncIterator[ClientFactory]:
    made = plain_factory(plain_moto_url, REGION)
    yield made
    await made.close()


def by_id(snapshot: LimitsSnapshot) -> dict[str, InstanceView]:
    return {view.instance_id: view for view in snapshot.instances}


def volume(view: InstanceView, volume_id: str) -> VolumeView:
    (found,) = (v for v in view.volumes if v.volume_id == volume_id)
    return found


def rel(expected: float) -> Any:
    return pytest.approx(expected, rel=1e-6)


async def test_read_only_and_write_only_volumes_are_known(fleet: Fleet, factory: ClientFactory) -> None:
    views = by_id(await LimitsPoller(factory, clock=Clock(fleet.t0)).poll())
    nitro = views[fleet.nitro]
    reader = volume(nitro, fleet.reader)
    assert reader.iops == rel(1000.0)
    assert reader.throughput_mibps == rel(62.5)
    assert reader.utilization == rel(62.5 / 125.0)  # gp3's included 125 MiB/s binds
    assert reader.reasons == ()
    writer = volume(nitro, fleet.writer)
    assert writer.iops == rel(500.0)
    assert writer.throughput_mibps == rel(3.90625)
    assert writer.utilization == rel(500.0 / 2000.0)


async def test_volumes_that_published_nothing_are_unknown_with_the_reason(
    fleet: Fleet, factory: ClientFactory
) -> None:
    views = by_id(await LimitsPoller(factory, clock=Clock(fleet.t0)).poll())
    nitro = views[fleet.nitro]
    for vid in (fleet.idle, fleet.roots[fleet.nitro]):
        vol = volume(nitro, vid)
        assert vol.iops is None and vol.throughput_mibps is None and vol.utilization is None
        assert vol.level == "unknown"
        assert any(NO_DATAPOINTS in r for r in vol.reasons), vol.reasons


async def test_a_data_volume_that_published_nothing_in_the_hour_is_hinted_idle(
    fleet: Fleet, factory: ClientFactory
) -> None:
    snapshot = await LimitsPoller(factory, clock=Clock(fleet.t0)).poll()
    idle = {h.resource_id: h.text for h in snapshot.hints if h.kind == "idle"}
    assert fleet.idle in idle and "no I/O over 60 min" in idle[fleet.idle]
    # A boot volume idles by nature; a volume that published earlier in the hour is not silent.
    assert fleet.roots[fleet.nitro] not in idle and fleet.xen_quieted not in idle


async def test_nitro_instance_ebs_comes_from_its_ec2_metrics(fleet: Fleet, factory: ClientFactory) -> None:
    views = by_id(await LimitsPoller(factory, clock=Clock(fleet.t0)).poll())
    nitro = views[fleet.nitro]
    assert nitro.ebs_source == "AWS/EC2 EBS*"
    assert nitro.ebs_iops == rel(1500.0)
    assert nitro.ebs_mbs == rel((60000.0 * 65536 + 30000.0 * 8192) / 60 / 1e6)
    assert nitro.net_in_mbps == rel(100.0)
    assert nitro.period_s == 60


async def test_xen_instance_ebs_is_its_volumes_sum_an_idle_one_counting_zero(
    fleet: Fleet, factory: ClientFactory
) -> None:
    poller = LimitsPoller(factory, clock=Clock(fleet.t0))
    views = by_id(await poller.poll())
    xen = views[fleet.xen]
    assert xen.ebs_source == "AWS/EBS, sum of volumes"
    busy = volume(xen, fleet.xen_busy)
    assert busy.iops == rel(600.0)
    assert busy.throughput_mibps == rel(6.0)
    # Published earlier in the hour, nothing in the last 15 minutes: idle now, zero and known.
    quieted = volume(xen, fleet.xen_quieted)
    assert quieted.iops == 0.0 and quieted.throughput_mibps == 0.0
    assert quieted.utilization == 0.0 and quieted.level == "ok"
    # The root published nothing at all: unknown, and it does not make the sum unknown.
    assert volume(xen, fleet.roots[fleet.xen]).iops is None
    assert xen.ebs_iops == rel(600.0)
    assert xen.ebs_mbs == rel(6.0 * MB_PER_MIB)
    # The sum was known at every minute some volume published: 30 minutes, 15 of them with the gp2.
    assert max(poller.history.values(f"{fleet.xen}|ebs_iops")) == rel(900.0)
    assert len(poller.history.values(f"{fleet.xen}|ebs_iops")) == MINUTES


async def test_basic_monitoring_reads_five_minute_points(fleet: Fleet, factory: ClientFactory) -> None:
    snapshot = await LimitsPoller(factory, clock=Clock(fleet.t0)).poll()
    basic = by_id(snapshot)[fleet.basic]
    assert basic.period_s == 300
    assert basic.monitoring == "5-min data (basic monitoring)"
    assert basic.net_in_mbps == rel(100.0)
    assert basic.net_out_mbps == rel(20.0)
    # EBS reads only: the write series' absence is zero at the 5-minute stamps.
    assert basic.ebs_source == "AWS/EC2 EBS*"
    assert basic.ebs_iops == rel(100.0)
    assert basic.ebs_mbs == rel(2.0)
    assert volume(basic, fleet.roots[fleet.basic]).iops == rel(20.0)
    assert snapshot.periods == {60: 4, 300: 1}


async def test_a_late_five_minute_point_is_still_read(
    fleet: Fleet, factory: ClientFactory, plain_moto_url: str
) -> None:
    """AWS publishes a basic-monitoring point minutes after its period ends: a steady cycle long
    after the stamp must still find it."""
    clock = Clock(fleet.t0)
    poller = LimitsPoller(factory, clock=clock)
    await poller.poll()
    cloudwatch = boto3_factory(plain_moto_url)("cloudwatch", region=REGION)
    late = fleet.t0 + timedelta(minutes=5)
    cloudwatch.put_metric_data(
        Namespace="AWS/EC2",
        MetricData=[
            {
                "MetricName": "NetworkIn",
                "Dimensions": [{"Name": "InstanceId", "Value": fleet.basic}],
                "Timestamp": late,
                "Value": 7.5e9,  # 200 Mbps over those 5 minutes
                "Unit": "Bytes",
            }
        ],
    )
    # Covering [t0+5, t0+10), arriving 13 minutes after the period ended.
    clock.at = fleet.t0 + timedelta(minutes=23)
    basic = by_id(await poller.poll())[fleet.basic]
    assert basic.net_in_mbps == rel(200.0)


async def test_json_is_null_only_where_nothing_was_published(fleet: Fleet, factory: ClientFactory) -> None:
    doc = json_of(await LimitsPoller(factory, clock=Clock(fleet.t0)).poll())
    instances = {i["instance_id"]: i for i in doc["instances"]}
    for iid in (fleet.nitro, fleet.xen, fleet.basic):
        inst = instances[iid]
        assert inst["network"]["in_mbps"] is not None, iid
        assert inst["network"]["utilization"] is not None, iid
        assert inst["ebs"]["throughput_mbs"] is not None, iid
        assert inst["ebs"]["iops"] is not None, iid
        assert inst["ebs"]["utilization"] is not None, iid
    vols = {v["volume_id"]: v for i in doc["instances"] for v in i["volumes"]}
    for vid in (fleet.reader, fleet.writer, fleet.xen_busy, fleet.xen_quieted, fleet.roots[fleet.basic]):
        assert vols[vid]["iops"] is not None and vols[vid]["throughput_mibps"] is not None, vid
        assert vols[vid]["utilization"] is not None, vid
    assert vols[fleet.xen_quieted]["iops"] == 0.0
    for vid in (fleet.idle, fleet.roots[fleet.nitro], fleet.roots[fleet.xen], fleet.roots[fleet.silent]):
        assert vols[vid]["iops"] is None and vols[vid]["utilization"] is None, vid
    silent = instances[fleet.silent]
    assert silent["network"]["in_mbps"] is None
    assert silent["ebs"]["throughput_mbs"] is None and silent["ebs"]["iops"] is None
    assert any(note.startswith(f"EBS: {NO_DATAPOINTS}") for note in silent["notes"]), silent["notes"]
    assert any(note.startswith(f"network: {NO_DATAPOINTS}") for note in silent["notes"]), silent["notes"]
    assert instances[fleet.silent]["period_s"] == 60
    assert instances[fleet.basic]["period_s"] == 300


async def test_charts_show_read_only_and_write_only_volumes(fleet: Fleet, factory: ClientFactory) -> None:
    nitro = by_id(await LimitsPoller(factory, clock=Clock(fleet.t0)).poll())[fleet.nitro]
    history = await instance_history(factory, nitro, now=fleet.t0, hours=1.0)
    reader = history.volumes[fleet.reader]
    assert len(reader.iops) == len(reader.mibps) == MINUTES
    assert {round(v, 6) for _, v in reader.iops} == {1000.0}
    assert {round(v, 6) for _, v in reader.mibps} == {62.5}
    writer = history.volumes[fleet.writer]
    assert {round(v, 6) for _, v in writer.mibps} == {3.90625}
    assert history.volumes[fleet.idle].iops == ()  # nothing published: no line, not a line at zero


async def test_charts_read_a_volumes_minutes_without_points_as_idle(
    fleet: Fleet, factory: ClientFactory
) -> None:
    """AWS publishes nothing for a volume without I/O: after its first point in the window, a minute
    with none, up to the newest any of the instance's volumes published, is drawn at zero, as the
    gauges read it, not as a line from its last busy minute to nothing."""
    xen = by_id(await LimitsPoller(factory, clock=Clock(fleet.t0)).poll())[fleet.xen]
    history = await instance_history(factory, xen, now=fleet.t0, hours=1.0)
    quieted = history.volumes[fleet.xen_quieted]
    assert len(quieted.iops) == len(quieted.mibps) == MINUTES
    since = (fleet.t0 - timedelta(minutes=16)).timestamp()
    assert [v for ts, v in quieted.iops if ts > since] == [0.0] * 15
    assert {round(v, 6) for ts, v in quieted.iops if ts <= since} == {300.0}
    assert quieted.iops[-1][0] == (fleet.t0 - timedelta(minutes=1)).timestamp()
    assert len(history.volumes[fleet.xen_busy].iops) == MINUTES


async def test_two_regions_keep_each_others_history(fleet: Fleet, plain_moto_url: str) -> None:
    """Each region's cycle ends at its own time; neither may forget the other's rolling hour."""
    other = "eu-south-2"
    make = boto3_factory(plain_moto_url)
    ec2 = make("ec2", region=other)
    iid = launch_detailed(ec2)["InstanceId"]
    minutes = [fleet.t0 - timedelta(minutes=k) for k in range(1, MINUTES + 1)]
    make("cloudwatch", region=other).put_metric_data(
        Namespace="AWS/EC2",
        MetricData=[
            {
                "MetricName": "NetworkIn",
                "Dimensions": [{"Name": "InstanceId", "Value": iid}],
                "Timestamp": t,
                "Value": 7.5e8,
                "Unit": "Bytes",
            }
            for t in minutes
        ],
    )
    factory = plain_factory(plain_moto_url, REGION, other)
    try:
        poller = LimitsPoller(factory, clock=Clock(fleet.t0))
        views = by_id(await poller.poll())
    finally:
        await factory.close()
    assert views[iid].net_in_mbps == rel(100.0)
    assert len(views[iid].history) == MINUTES
    assert len(poller.history.values(f"{iid}|NetworkIn")) == MINUTES
    assert len(poller.history.values(f"{fleet.xen}|NetworkIn")) == MINUTES
    assert len(poller.history.values(f"{fleet.xen_busy}|iops")) == MINUTES


async def test_a_point_published_after_its_minute_was_read_is_counted(
    fleet: Fleet, factory: ClientFactory, plain_moto_url: str
) -> None:
    """CloudWatch publishes each volume's minute on its own: a cycle may read one volume's newest
    minute before another's, or a volume's reads before its writes. The next cycle counts them."""
    clock = Clock(fleet.t0)
    poller = LimitsPoller(factory, clock=clock)
    first = by_id(await poller.poll())[fleet.lagging]
    assert first.ebs_iops == rel(100.0)  # lag_b had no point yet for the newest minute
    newest = [fleet.t0 - timedelta(minutes=1)]
    cloudwatch = boto3_factory(plain_moto_url)("cloudwatch", region=REGION)
    for metric, value in (
        ("VolumeReadOps", 6000.0),
        ("VolumeReadBytes", 6000.0 * 4096),
        ("VolumeWriteOps", 3000.0),
        ("VolumeWriteBytes", 3000.0 * 4096),
    ):
        cloudwatch.put_metric_data(
            Namespace="AWS/EBS",
            MetricData=[
                {
                    "MetricName": metric,
                    "Dimensions": [{"Name": "VolumeId", "Value": fleet.lag_b}],
                    "Timestamp": newest[0],
                    "Value": value,
                }
            ],
        )
    clock.at = fleet.t0 + timedelta(seconds=20)
    second = by_id(await poller.poll())[fleet.lagging]
    assert volume(second, fleet.lag_b).iops == rel(150.0)
    assert second.ebs_iops == rel(250.0)
    assert second.ebs_mbs == rel(250.0 * 4096 / 1e6)
    iops = poller.history.values(f"{fleet.lagging}|ebs_iops")
    assert len(iops) == MINUTES and iops[-1] == rel(250.0)


async def test_a_cycle_reading_the_same_series_keeps_each_view_until_a_gauge_turns_stale(
    plain_moto_url: str,
) -> None:
    """An instance that stopped publishing 7 minutes ago: its last points are fresh for one more
    minute (8 minutes at 1-minute data). A cycle that reads the same series keeps the same view; once
    those points are stale, the view is derived again though no series changed."""
    region = "ap-southeast-3"
    placed = one_instance(plain_moto_url, region, 100)
    cloudwatch, iid, vid, t0 = placed.cloudwatch, placed.instance_id, placed.volume_id, placed.t0
    until_7_minutes_ago = [t0 - timedelta(minutes=k) for k in range(7, 20)]
    for namespace, metric, dims, value in (
        ("AWS/EC2", "NetworkIn", {"InstanceId": iid}, 7.5e8),
        ("AWS/EC2", "NetworkOut", {"InstanceId": iid}, 3.75e8),
        ("AWS/EBS", "VolumeReadOps", {"VolumeId": vid}, 6000.0),
        ("AWS/EBS", "VolumeReadBytes", {"VolumeId": vid}, 6000.0 * 4096),
    ):
        put_points(cloudwatch, namespace, metric, dims, value, until_7_minutes_ago)
    factory = plain_factory(plain_moto_url, region)
    clock = Clock(t0)
    poller = LimitsPoller(factory, clock=clock)
    try:
        first = by_id(await poller.poll())[iid]  # the hour, and the slow metrics too
        clock.at = t0 + timedelta(seconds=15)
        second = by_id(await poller.poll())[iid]  # a steady cycle's queries
        clock.at = t0 + timedelta(seconds=30)
        again = by_id(await poller.poll())[iid]
        clock.at = t0 + timedelta(seconds=90)
        stale = by_id(await poller.poll())[iid]
    finally:
        await factory.close()
    assert first.net_in_mbps == rel(100.0) and volume(first, vid).iops == rel(100.0)
    assert again is second and second.net_in_mbps == rel(100.0)
    assert stale is not second
    assert stale.net_in_mbps is None
    assert any("no AWS/EC2 network datapoints in the last 8 min" in r for r in stale.reasons), stale.reasons
    assert volume(stale, vid).iops == 0.0  # published in the hour, nothing since: idle


async def test_places_added_after_the_first_poll_are_read_as_a_first_poll_reads(
    fleet: Fleet, plain_moto_url: str
) -> None:
    """The organization's accounts are learned after a first poll of the credential's own: the next
    poll lists their fleet at once, then their latest minutes, and reads their last hour."""
    from tui.aws.scope import Place

    added = "il-central-1"
    make = boto3_factory(plain_moto_url)
    ec2, cloudwatch = make("ec2", region=added), make("cloudwatch", region=added)
    iid = launch_detailed(ec2)["InstanceId"]
    minutes = [fleet.t0 - timedelta(minutes=k) for k in range(1, MINUTES + 1)]
    put_points(cloudwatch, "AWS/EC2", "NetworkIn", {"InstanceId": iid}, 7.5e8, minutes)
    factory = plain_factory(plain_moto_url, REGION, added)
    factory.set_places([Place(REGION)])
    clock = Clock(fleet.t0)
    poller = LimitsPoller(factory, clock=clock)
    handed: list[tuple[int, LimitsSnapshot | None]] = []
    try:
        first = await poller.poll(progress=lambda pages, found, partial=None: handed.append((pages, partial)))
        assert iid not in by_id(first)
        handed.clear()
        factory.set_places([Place(REGION), Place(added)])
        clock.at = fleet.t0 + timedelta(seconds=30)
        grown = by_id(
            await poller.poll(progress=lambda pages, found, partial=None: handed.append((pages, partial)))
        )
        clock.at = fleet.t0 + timedelta(seconds=60)
        steady = await poller.poll(
            progress=lambda pages, found, partial=None: handed.append((pages, partial))
        )
    finally:
        await factory.close()
    [(_, listed), (_, latest)] = handed[:2]
    assert listed is not None and listed.listed_only and iid in by_id(listed)
    assert latest is not None and latest.loading and not latest.listed_only
    assert len(handed) == 2, "a steady cycle after it hands over nothing"
    assert grown[iid].net_in_mbps == rel(100.0)
    assert len(grown[iid].history) == MINUTES, "the added place's last hour is read"
    assert not steady.loading


async def test_a_steady_cycle_asks_only_for_series_that_can_have_a_new_point(
    plain_moto_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """AWS publishes a period of its own metrics once the period has ended: a series whose newest
    point is stamped T has nothing newer before T + 2 periods, and a cycle between two minutes asks
    CloudWatch nothing about it. A series that published nothing (an idle volume, a direction not
    used) may start at any minute, and is asked every cycle; so is a CloudWatch agent series, whose
    next period may be published as soon as it begins. The views of the series not asked stay as
    they were, and the next minute is read once it can exist."""
    from tui.aws.scope import Place

    region = "ap-northeast-3"
    placed = one_instance(plain_moto_url, region, 500)
    ec2, cloudwatch, iid, busy, t0 = (
        placed.ec2,
        placed.cloudwatch,
        placed.instance_id,
        placed.volume_id,
        placed.t0,
    )
    minutes = [t0 - timedelta(minutes=k) for k in range(1, 20)]
    published = (
        ("AWS/EC2", "NetworkIn", {"InstanceId": iid}, 7.5e8),  # 100 Mbps
        ("AWS/EC2", "NetworkOut", {"InstanceId": iid}, 3.75e8),
        ("AWS/EBS", "VolumeReadOps", {"VolumeId": busy}, 6000.0),  # reads only: no write points
        ("AWS/EBS", "VolumeReadBytes", {"VolumeId": busy}, 6000.0 * 4096),
    )
    for namespace, metric, dims, value in published:
        put_points(cloudwatch, namespace, metric, dims, value, minutes)
    factory = plain_factory(plain_moto_url, region)
    sent = record_sent(monkeypatch)
    clock = Clock(t0 + timedelta(seconds=5))
    poller = LimitsPoller(factory, clock=clock)
    try:
        await poller.poll()  # the hour: every series
        clock.at = t0 + timedelta(seconds=20)
        steady = by_id(await poller.poll())[iid]
        # An instance launched meanwhile: a new plan, which keeps what the old one knew.
        launched = launch_detailed(ec2)
        poller.refresh_inventory()
        clock.at = t0 + timedelta(seconds=50)
        between = by_id(await poller.poll())[iid]  # minute t0 cannot be published before t0 + 60 s
        for namespace, metric, dims, value in published:
            put_points(cloudwatch, namespace, metric, dims, value * 2, [t0])
        clock.at = t0 + timedelta(seconds=80)
        moved = by_id(await poller.poll())[iid]
        clock.at = t0 + timedelta(seconds=305)
        await poller.poll()
    finally:
        await factory.close()
    planned = {q.key for q in poller._plans[Place(region).key].queries}
    publishing = {f"{iid}|NetworkIn", f"{iid}|NetworkOut", f"{busy}|VolumeReadOps", f"{busy}|VolumeReadBytes"}
    new = {
        key
        for key in planned
        if key.startswith((launched["InstanceId"], launched["BlockDeviceMappings"][0]["Ebs"]["VolumeId"]))
    }
    idle_time = {key for key in planned if key.endswith("|VolumeIdleTime")} - new  # every 5 minutes
    assert publishing < planned and len(idle_time) == 2 and len(new) > 5
    assert sent[0] == planned - new
    # Each series that published nothing, and only those (and at once, the new instance's):
    assert sent[1] == planned - new - publishing - idle_time
    assert sent[2] == planned - publishing - idle_time
    assert between == steady and between.net_in_mbps == rel(100.0)  # derived again: a new inventory
    assert volume(between, busy).iops == rel(100.0)
    assert {f"{iid}|NetworkIn", f"{busy}|VolumeReadOps"} <= sent[3]
    assert moved.net_in_mbps == rel(200.0) and volume(moved, busy).iops == rel(200.0)
    assert idle_time <= sent[4] and not idle_time & (sent[1] | sent[2] | sent[3])
    assert len(moved.history) == len(steady.history) + 1


async def test_an_instances_charts_are_read_in_its_own_account(
    plain_moto_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The detail view's charts of an instance in a member account: read through that account's
    role, or, when the credential's account is the CloudWatch monitoring account it links to,
    through the credential's account with each query naming the instance's."""
    import tui.aws.limits_history as history_module
    from tui.aws.metrics import MetricBatch
    from tui.aws.scope import Place

    region, member = "me-central-1", "210987654321"
    role = f"arn:aws:iam::{member}:role/warroom-readonly"
    in_member = boto3_factory(plain_moto_url, role_arn=role)
    iid = launch_detailed(in_member("ec2", region=region))["InstanceId"]
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    minutes = [now - timedelta(minutes=k) for k in range(1, 11)]
    cloudwatch = in_member("cloudwatch", region=region)
    put_points(cloudwatch, "AWS/EC2", "NetworkIn", {"InstanceId": iid}, 7.5e8, minutes)
    factory = plain_factory(plain_moto_url, region)
    factory.set_places([Place(region), Place(region, member, "payments-prod", role)])
    asked: list[tuple[str | None, set[str]]] = []
    original = history_module.get_metric_data

    async def recorded(*args: Any, **kwargs: Any) -> MetricBatch:
        asked.append((kwargs.get("role_arn"), {q.account_id for q in args[2]}))
        return await original(*args, **kwargs)

    monkeypatch.setattr(history_module, "get_metric_data", recorded)
    try:
        view = by_id(await LimitsPoller(factory, clock=Clock(now)).poll())[iid]
        assert view.account_id == member
        charts = await instance_history(factory, view, now=now, hours=1.0)
        await instance_history(factory, view, now=now, hours=1.0, linked={region: frozenset({member})})
    finally:
        await factory.close()
    assert [value for _, value in charts.net_in_mbps] == [rel(100.0)] * 10
    assert asked == [(role, {""}), (None, {member})]


async def test_a_fleet_due_for_its_re_read_leaves_a_new_minute_to_the_poll_after_and_the_hints_wait(
    fleet: Fleet, factory: ClientFactory
) -> None:
    """The fleet is described again every 2 minutes, and the hints worked out every 5. A re-read
    that falls due in a cycle where most series have a new minute due is made at once and leaves
    the minute to a poll right after (``follow_up``), as ``r`` does; the hints wait for the next
    cycle (a minute at most). The costs fall in different cycles."""
    import time

    clock = Clock(fleet.t0 + timedelta(seconds=5))
    poller = LimitsPoller(factory, clock=clock)
    await poller.poll()  # the hour: minute t0 - 1 min read, minute t0 due from t0 + 60 s

    def due_for_re_read(seconds: float) -> float:
        poller._described_at = time.monotonic() - seconds
        return poller._described_at

    clock.at = fleet.t0 + timedelta(seconds=20)
    assert poller._due_share(clock.at.timestamp()) < 0.5
    mark = due_for_re_read(125)
    light = await poller.poll()
    assert poller._described_at > mark, "a light cycle re-reads the fleet when it is due"
    assert not light.follow_up

    clock.at = fleet.t0 + timedelta(seconds=70)
    assert poller._due_share(clock.at.timestamp()) >= 0.5
    mark = due_for_re_read(125)
    hints_at = poller._slow_at = time.monotonic() - 305  # the hints, every 5 minutes, are due too
    calls = factory.calls["cloudwatch:GetMetricData"]
    re_read = await poller.poll()
    assert poller._described_at > mark, "the re-read is made at once"
    assert re_read.follow_up and factory.calls["cloudwatch:GetMetricData"] == calls, "the minute waits"
    assert poller._slow_at == hints_at, "and the hints"
    clock.at = fleet.t0 + timedelta(seconds=71)
    after = await poller.poll()
    assert not after.follow_up and factory.calls["cloudwatch:GetMetricData"] > calls
    assert poller._described_at > mark
    hints_at = poller._slow_at = time.monotonic() - 365
    clock.at = fleet.t0 + timedelta(seconds=75)
    await poller.poll()
    assert poller._slow_at is not None and poller._slow_at > hints_at, "the hints wait a minute at most"


async def test_a_re_read_asked_for_in_a_cycle_with_a_new_minute_leaves_the_minute_to_a_poll_right_after(
    plain_moto_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``r`` re-reads the fleet at once. When it falls in a cycle whose new minute is due, that cycle
    reads only the series never read (the instance it found), keeps the others' held points and says
    so (``follow_up``); the poll right after reads the minute. The two costs never add up."""

    region = "af-south-1"
    placed = one_instance(plain_moto_url, region, 100)
    ec2, cloudwatch, iid, t0 = placed.ec2, placed.cloudwatch, placed.instance_id, placed.t0
    minutes = [t0 - timedelta(minutes=k) for k in range(1, 11)]
    put_points(cloudwatch, "AWS/EC2", "NetworkIn", {"InstanceId": iid}, 7.5e8, minutes)  # 100 Mbps
    factory = plain_factory(plain_moto_url, region)
    sent = record_sent(monkeypatch)
    clock = Clock(t0 + timedelta(seconds=5))
    poller = LimitsPoller(factory, clock=clock)
    try:
        first = await poller.poll()  # the hour
        assert not first.follow_up and by_id(first)[iid].net_in_mbps == rel(100.0)
        launched = launch_detailed(ec2)["InstanceId"]
        put_points(cloudwatch, "AWS/EC2", "NetworkIn", {"InstanceId": iid}, 1.5e9, [t0])  # 200 Mbps
        poller.refresh_inventory()
        clock.at = t0 + timedelta(seconds=70)  # minute t0 is due
        assert poller._due_share(clock.at.timestamp()) >= 0.5
        re_read = await poller.poll()
        clock.at = t0 + timedelta(seconds=72)
        after = await poller.poll()
        clock.at = t0 + timedelta(seconds=100)
        light = await poller.poll()
    finally:
        await factory.close()
    assert re_read.follow_up and launched in by_id(re_read)
    found = ec2.describe_instances(InstanceIds=[launched])["Reservations"][0]["Instances"][0]
    its_own = (launched, *(m["Ebs"]["VolumeId"] for m in found["BlockDeviceMappings"]))
    assert sent[1] and all(key.startswith(its_own) for key in sent[1]), sent[1]
    assert by_id(re_read)[iid].net_in_mbps == rel(100.0), "the minute is left to the next poll"
    assert not after.follow_up and f"{iid}|NetworkIn" in sent[2]
    assert by_id(after)[iid].net_in_mbps == rel(200.0)
    assert not light.follow_up


async def test_ebs_balances_are_asked_only_of_types_whose_ebs_bursts(
    plain_moto_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """AWS publishes EBSIOBalance% and EBSByteBalance% only for the Nitro sizes whose EBS bursts
    (baseline under maximum: an m5.large, not an m5.8xlarge), and nothing of the kind for Xen types
    (an m4.large): a series that never has a point is not asked every cycle."""
    import tui.aws.limits as limits_module
    from tui.aws.metrics import QueryPlan

    region = "sa-east-1"
    ec2 = boto3_factory(plain_moto_url)("ec2", region=region)
    image = ec2.describe_images()["Images"][0]["ImageId"]
    ids = {
        itype: ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1, InstanceType=itype)["Instances"][0][
            "InstanceId"
        ]
        for itype in ("m5.large", "m5.8xlarge", "m4.large")
    }
    asked: set[str] = set()
    original = limits_module.get_metric_data

    async def recorded(*args: Any, **kwargs: Any) -> Any:
        plan = args[2]
        asked.update(plan.keys if isinstance(plan, QueryPlan) else (q.key for q in plan))
        return await original(*args, **kwargs)

    monkeypatch.setattr(limits_module, "get_metric_data", recorded)
    factory = plain_factory(plain_moto_url, region)
    try:
        views = by_id(await LimitsPoller(factory).poll())
    finally:
        await factory.close()
    assert set(ids.values()) <= set(views)
    balances = {key.split("|")[0] for key in asked if key.endswith(("|EBSIOBalance%", "|EBSByteBalance%"))}
    assert balances == {ids["m5.large"]}
    assert f"{ids['m5.8xlarge']}|EBSReadOps" in asked and f"{ids['m4.large']}|EBSReadOps" not in asked
