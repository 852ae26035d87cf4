"""One refresh of the Limits pane against a hand-written boto3 script, on fleets of the simulator.

The simulator runs in a child process. For each fleet size N (default 50, 500 and 2,000 instances)
an empty simulator region gets N
running instances (mixed types, detailed monitoring on most, basic on one in ten, a Name tag), each
with a gp3 root volume (20 GiB) and a data volume alternating gp2 (300 GiB) and io2 (200 GiB,
8000 IOPS), and 70 minutes of AWS/EC2, AWS/EBS and CloudWatch agent metrics written with
``put_series``. Then:

* the console's way: ``LimitsPoller`` through ``ClientFactory``, one first cycle (it reads an hour
  of history) and ``--cycles`` steady cycles, each a minute after the last with one more minute of
  every series written before it (so each derives one new period per series, the most a console
  polling every minute or faster meets), reporting the median steady cycle;
* the script's way: DescribeInstances, DescribeVolumes, DescribeInstanceTypes, ListMetrics for the
  agent's series, then one sequential GetMetricStatistics per metric per resource (the last 10
  minutes, Period 60). When that would take longer than ``--script-budget`` seconds, only the
  first ``--script-sample`` GetMetricStatistics calls are timed and the rest is extrapolated
  linearly (the table says so).

Per cycle: API calls by operation, metric queries sent, the minimum number of GetMetricData calls
(ceil(queries sent / 500) per batch), client CPU (``time.thread_time`` of the thread that makes the calls; the
simulator's work is in its own process) and wall time. Targets: GetMetricData calls equal the
minimum, and client CPU under 250 ms per steady cycle at 2,000 instances.

Run from the repository root: ``.venv/bin/python bench/limits.py [--sizes 50,500,2000] [--cycles 3]``.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import multiprocessing
import os
import random
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import tui.aws.limits as limits_module
from tui.aws.clients import AwsTarget, ClientFactory
from tui.aws.limits import LimitsPoller, LimitsSnapshot
from tui.aws.metrics import MAX_QUERIES
from tui.common.runtime import tune_gc
from tui.sim.account import ACCOUNT_ID, SIM_ACCESS_KEY, SIM_SECRET_KEY
from tui.sim.extensions import cloudwatch
from tui.sim.server import SimServer

REGIONS = (
    "us-west-2",
    "eu-west-1",
    "ap-northeast-1",
    "eu-central-1",
    "ap-southeast-2",
    "ca-central-1",
    "sa-east-1",
    "ap-south-1",
)
INSTANCE_TYPES = ("m5.large", "m5.xlarge", "t3.large", "c5n.xlarge", "r5b.large")
LAUNCH_BATCH = 100
SETUP_THREADS = 8
HISTORY_MINUTES = 70
BASIC_PERIOD = 300
DETAILED_PERIOD = 60
ROOT_GIB = 20
GP2_GIB = 300
IO2_GIB = 200
IO2_IOPS = 8000
DATA_DEVICE = "/dev/sdf"
AGENT_DISK_DIMS = {"path": "/", "device": "nvme0n1p1", "fstype": "xfs"}
EC2_METRICS = (
    ("NetworkIn", "Sum", "Bytes"),
    ("NetworkOut", "Sum", "Bytes"),
    ("EBSByteBalance%", "Average", "Percent"),
    ("EBSIOBalance%", "Average", "Percent"),
    # The instance's EBS as Nitro types publish it; the poller reads these before its volumes' sum.
    ("EBSReadOps", "Sum", "Count"),
    ("EBSWriteOps", "Sum", "Count"),
    ("EBSReadBytes", "Sum", "Bytes"),
    ("EBSWriteBytes", "Sum", "Bytes"),
)
EBS_METRICS = (
    ("VolumeReadOps", "Sum", "Count"),
    ("VolumeWriteOps", "Sum", "Count"),
    ("VolumeReadBytes", "Sum", "Bytes"),
    ("VolumeWriteBytes", "Sum", "Bytes"),
    ("VolumeIdleTime", "Sum", "Seconds"),
)
SCRIPT_WINDOW = timedelta(minutes=10)
SCRIPT_PERIOD = 60
CPU_TARGET_MS = 250.0
CPU_TARGET_INSTANCES = 2000
GMS = "cloudwatch:GetMetricStatistics"
GMD = "cloudwatch:GetMetricData"
OPERATION_ORDER = (
    "ec2:DescribeInstances",
    "ec2:DescribeVolumes",
    "ec2:DescribeInstanceTypes",
    "cloudwatch:ListMetrics",
    "service-quotas:GetServiceQuota",
    GMD,
    GMS,
)


# ---------------------------------------------------------------------------------------------
# The fleet
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Disk:
    volume_id: str
    volume_type: str
    root: bool


@dataclass
class Host:
    number: int
    instance_type: str
    detailed: bool
    agent: bool
    data_type: str
    instance_id: str = ""
    disks: list[Disk] = field(default_factory=list)


@dataclass
class Fleet:
    region: str
    hosts: list[Host]
    ec2_s: float = 0.0
    metrics_s: float = 0.0
    series: int = 0
    points: int = 0

    @property
    def volumes(self) -> int:
        return sum(len(h.disks) for h in self.hosts)

    @property
    def expected_queries(self) -> int:
        """Instance and volume metric queries the fleet calls for (the poller adds the vCPU quota)."""
        total = 0
        for host in self.hosts:
            total += len(EC2_METRICS) + (2 if host.agent else 0)
            for disk in host.disks:
                total += len(EBS_METRICS) + (1 if disk.volume_type == "gp2" else 0)
        return total


def plan_fleet(region: str, size: int) -> list[Host]:
    return [
        Host(
            number=n,
            instance_type=INSTANCE_TYPES[n % len(INSTANCE_TYPES)],
            detailed=n % 10 != 7,
            agent=n % 4 < 2,
            data_type="gp2" if n % 2 == 0 else "io2",
        )
        for n in range(size)
    ]


def boto3_client(service: str, region: str, url: str, pool: int = 10) -> Any:
    import boto3
    from botocore.config import Config

    return boto3.client(
        service,
        region_name=region,
        endpoint_url=url,
        aws_access_key_id=SIM_ACCESS_KEY,
        aws_secret_access_key=SIM_SECRET_KEY,
        config=Config(max_pool_connections=pool, retries={"mode": "standard", "max_attempts": 3}),
    )


def amazon_linux_image(ec2: Any) -> tuple[str, str]:
    images = ec2.describe_images(
        Owners=["amazon"], Filters=[{"Name": "name", "Values": ["amzn2-ami-hvm-*"]}]
    )["Images"]
    if not images:
        raise SystemExit("the simulator lists no Amazon Linux 2 image")
    image = sorted(images, key=lambda i: (i.get("CreationDate", ""), i["ImageId"]))[-1]
    return str(image["ImageId"]), str(image.get("RootDeviceName") or "/dev/xvda")


def launch(ec2: Any, region: str, hosts: list[Host], size: int) -> None:
    """run_instances in batches of one type and monitoring mode, then a Name tag and a data volume each."""
    image_id, root_device = amazon_linux_image(ec2)
    zone = f"{region}a"
    groups: dict[tuple[str, bool], list[Host]] = {}
    for host in hosts:
        groups.setdefault((host.instance_type, host.detailed), []).append(host)
    for (instance_type, detailed), members in groups.items():
        for start in range(0, len(members), LAUNCH_BATCH):
            chunk = members[start : start + LAUNCH_BATCH]
            reply = ec2.run_instances(
                ImageId=image_id,
                MinCount=len(chunk),
                MaxCount=len(chunk),
                InstanceType=instance_type,
                Placement={"AvailabilityZone": zone},
                Monitoring={"Enabled": detailed},
                EbsOptimized=True,
                BlockDeviceMappings=[
                    {
                        "DeviceName": root_device,
                        "Ebs": {"VolumeSize": ROOT_GIB, "VolumeType": "gp3", "DeleteOnTermination": True},
                    }
                ],
                TagSpecifications=[
                    {"ResourceType": "instance", "Tags": [{"Key": "Fleet", "Value": f"bench-{size}"}]}
                ],
            )
            for host, instance in zip(chunk, reply["Instances"], strict=True):
                host.instance_id = str(instance["InstanceId"])
                root = next(m for m in instance["BlockDeviceMappings"] if m["DeviceName"] == root_device)
                host.disks.append(Disk(str(root["Ebs"]["VolumeId"]), "gp3", root=True))

    def finish(host: Host) -> None:
        name = f"bench{size}-{host.instance_type.replace('.', '-')}-{host.number:04d}"
        ec2.create_tags(Resources=[host.instance_id], Tags=[{"Key": "Name", "Value": name}])
        params: dict[str, Any] = {
            "AvailabilityZone": zone,
            "VolumeType": host.data_type,
            "Size": GP2_GIB if host.data_type == "gp2" else IO2_GIB,
            "TagSpecifications": [
                {"ResourceType": "volume", "Tags": [{"Key": "Name", "Value": f"{name}-data"}]}
            ],
        }
        if host.data_type == "io2":
            params["Iops"] = IO2_IOPS
        volume_id = str(ec2.create_volume(**params)["VolumeId"])
        ec2.attach_volume(VolumeId=volume_id, InstanceId=host.instance_id, Device=DATA_DEVICE)
        host.disks.append(Disk(volume_id, host.data_type, root=False))

    with ThreadPoolExecutor(SETUP_THREADS) as pool:
        for _ in pool.map(finish, hosts):
            pass


class Values:
    """Plausible datapoints: a per-series level with noise, from one seeded generator."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)

    def around(self, count: int, level: float, spread: float, low: float, high: float) -> list[float]:
        rng = self.rng
        return [min(high, max(low, level + rng.uniform(-spread, spread))) for _ in range(count)]


def write_metrics(fleet: Fleet, now: datetime, seed: int, history: int = HISTORY_MINUTES) -> None:
    """``history`` minutes of every series up to the minute before ``now``."""
    region = fleet.region
    values = Values(seed)
    rng = values.rng
    minutes = [now - timedelta(minutes=m) for m in range(history, 0, -1)]
    five = [t for t in minutes if t.minute % 5 == 0]
    series = points = 0

    def put(
        namespace: str, metric: str, dims: dict[str, str], stamps: list[datetime], data: list[float]
    ) -> None:
        nonlocal series, points
        unit = _unit(namespace, metric)
        cloudwatch.put_series(
            ACCOUNT_ID, region, namespace, metric, dims, list(zip(stamps, data, strict=True)), unit
        )
        series += 1
        points += len(stamps)

    for host in fleet.hosts:
        dims = {"InstanceId": host.instance_id}
        stamps = minutes if host.detailed else five
        period = DETAILED_PERIOD if host.detailed else BASIC_PERIOD
        n = len(stamps)
        for metric in ("NetworkIn", "NetworkOut"):
            mbps = rng.uniform(5.0, 600.0)
            rates = values.around(n, mbps, mbps * 0.4, 0.1, 5000.0)
            put("AWS/EC2", metric, dims, stamps, [r * 1e6 / 8.0 * period for r in rates])
        for metric in ("EBSByteBalance%", "EBSIOBalance%"):
            put("AWS/EC2", metric, dims, stamps, values.around(n, rng.uniform(70.0, 100.0), 8.0, 0.0, 100.0))
        if host.agent:
            put(
                "CWAgent",
                "mem_used_percent",
                dims,
                minutes,
                values.around(len(minutes), rng.uniform(20, 85), 5, 0, 100),
            )
            disk_dims = dict(dims, **AGENT_DISK_DIMS)
            put(
                "CWAgent",
                "disk_used_percent",
                disk_dims,
                minutes,
                values.around(len(minutes), rng.uniform(10, 85), 1, 0, 100),
            )
        # The instance's EBS*, as a Nitro type publishes it: its volumes' sums per period.
        totals = [[0.0] * len(minutes) for _ in range(4)]
        for disk in host.disks:
            vdims = {"VolumeId": disk.volume_id}
            ceiling = {"gp3": 3000.0, "gp2": 3.0 * GP2_GIB, "io2": float(IO2_IOPS)}[disk.volume_type]
            iops = values.around(len(minutes), rng.uniform(0.05, 0.9) * ceiling, ceiling * 0.1, 0.0, ceiling)
            reads = [i * rng.uniform(0.3, 0.8) for i in iops]
            writes = [i - r for i, r in zip(iops, reads, strict=True)]
            size = rng.choice((4096.0, 16384.0, 65536.0))
            put("AWS/EBS", "VolumeReadOps", vdims, minutes, [r * 60.0 for r in reads])
            put("AWS/EBS", "VolumeWriteOps", vdims, minutes, [w * 60.0 for w in writes])
            put("AWS/EBS", "VolumeReadBytes", vdims, minutes, [r * 60.0 * size for r in reads])
            put("AWS/EBS", "VolumeWriteBytes", vdims, minutes, [w * 60.0 * size for w in writes])
            for i, (r, w) in enumerate(zip(reads, writes, strict=True)):
                for k, value in enumerate((r * 60.0, w * 60.0, r * 60.0 * size, w * 60.0 * size)):
                    totals[k][i] += value
            put(
                "AWS/EBS",
                "VolumeIdleTime",
                vdims,
                minutes,
                values.around(len(minutes), rng.uniform(0, 40), 5, 0, 60),
            )
            if disk.volume_type == "gp2":
                put(
                    "AWS/EBS",
                    "BurstBalance",
                    vdims,
                    minutes,
                    values.around(len(minutes), rng.uniform(40, 100), 3, 0, 100),
                )
        for k, metric in enumerate(("EBSReadOps", "EBSWriteOps", "EBSReadBytes", "EBSWriteBytes")):
            if host.detailed:
                put("AWS/EC2", metric, dims, minutes, totals[k])
                continue
            by_five: dict[datetime, float] = {}
            for stamp, value in zip(minutes, totals[k], strict=True):
                start = stamp - timedelta(minutes=stamp.minute % 5)
                by_five[start] = by_five.get(start, 0.0) + value
            put("AWS/EC2", metric, dims, five, [by_five[f] for f in five])
    fleet.series = series
    fleet.points = points


def _unit(namespace: str, metric: str) -> str:
    if namespace == "CWAgent" or metric.endswith("%") or metric == "BurstBalance":
        return "Percent"
    for name, _, unit in EC2_METRICS + EBS_METRICS:
        if name == metric:
            return unit
    raise ValueError(f"no unit for {namespace} {metric}")


def build_fleet(url: str, region: str, size: int, now: datetime, seed: int) -> Fleet:
    fleet = Fleet(region, plan_fleet(region, size))
    ec2 = boto3_client("ec2", region, url, pool=SETUP_THREADS * 2)
    began = time.perf_counter()
    launch(ec2, region, fleet.hosts, size)
    fleet.ec2_s = time.perf_counter() - began
    began = time.perf_counter()
    write_metrics(fleet, now, seed)
    fleet.metrics_s = time.perf_counter() - began
    return fleet


class SimProcess:
    """The simulator in a child process: it builds fleets and writes their metrics on request, so
    the thread CPU measured here is the client's alone (no server thread, no server heap for the
    garbage collector to walk)."""

    def __init__(self) -> None:
        context = multiprocessing.get_context("spawn")
        self._conn, child = context.Pipe()
        self._process = context.Process(target=_sim_child, args=(child,), daemon=True)
        self._process.start()
        self.url: str = self._conn.recv()

    def build(self, region: str, size: int, now: datetime, seed: int) -> Fleet:
        self._conn.send(("build", region, size, now, seed))
        fleet: Fleet = self._conn.recv()
        return fleet

    def advance(self, region: str, moment: datetime, seed: int) -> None:
        """Write one more minute of every series of ``region``'s fleet, ending before ``moment``."""
        self._conn.send(("advance", region, moment, seed))
        self._conn.recv()

    def stop(self) -> None:
        self._conn.send(("stop",))
        self._process.join(timeout=30)


def _sim_child(conn: Any) -> None:
    server = SimServer(port=0, empty=True, live=False).start()
    fleets: dict[str, Fleet] = {}
    conn.send(server.endpoint_url)
    try:
        while True:
            command = conn.recv()
            if command[0] == "build":
                _, region, size, now, seed = command
                fleets[region] = build_fleet(server.endpoint_url, region, size, now, seed)
                conn.send(fleets[region])
            elif command[0] == "advance":
                _, region, moment, seed = command
                write_metrics(fleets[region], moment, seed, history=1)
                conn.send(True)
            else:
                break
    finally:
        server.stop()


# ---------------------------------------------------------------------------------------------
# Measurements
# ---------------------------------------------------------------------------------------------


@dataclass
class Cycle:
    label: str
    calls: Counter[str]
    queries: int
    """The queries sent (a steady cycle sends only the series that can have a new point)."""
    cpu_s: float
    wall_s: float
    note: str = ""
    instances_with_network: int = 0
    volumes_with_iops: int = 0
    problems: list[str] = field(default_factory=list)
    planned: int = 0
    """The queries of the poller's plan."""
    floor: int | None = None
    """ceil(queries / 500) per GetMetricData batch, summed (None: the whole cycle's)."""

    @property
    def minimum_gmd(self) -> int:
        return self.floor if self.floor is not None else math.ceil(self.queries / MAX_QUERIES)

    @property
    def total_calls(self) -> int:
        return sum(self.calls.values())

    @property
    def gmd_is_minimum(self) -> bool:
        return self.calls.get(GMD, 0) == self.minimum_gmd


def _snapshot_problems(snapshot: LimitsSnapshot) -> list[str]:
    problems = [f"{e.api}: {e.message}" for e in snapshot.errors]
    if snapshot.error is not None:
        problems.append(snapshot.error.one_line())
    return problems


@dataclass
class PollerRun:
    cycles: list[Cycle]
    profile: str = ""
    profiled_cpu_s: float = 0.0


async def warroom_cycles(
    sim: SimProcess,
    fleet: Fleet,
    base: datetime,
    seed: int,
    steady: int,
    profile: Callable[[list[Cycle]], bool],
    profile_to: Path | None,
) -> PollerRun:
    """The first cycle and ``steady`` more; then one more under cProfile when ``profile`` says so.

    The poller's clock starts at ``base`` and each steady cycle happens one minute later, after one
    more minute of every series is written (untimed), so every cycle derives one new period per
    series, as a live console polling once a minute does."""
    region = fleet.region
    factory = ClientFactory(
        AwsTarget(
            regions=(region,), endpoint_url=sim.url, access_key=SIM_ACCESS_KEY, secret_key=SIM_SECRET_KEY
        )
    )
    moment = [base + timedelta(seconds=5)]
    poller = LimitsPoller(factory, clock=lambda: moment[0])
    run = PollerRun([])
    # The queries each GetMetricData batch sent (a steady cycle sends only those due).
    batches: list[int] = []
    original = limits_module.get_metric_data

    async def counted(*args: Any, **kwargs: Any) -> Any:
        batch = await original(*args, **kwargs)
        batches.append(batch.queries)
        return batch

    limits_module.get_metric_data = counted  # type: ignore[assignment]
    try:
        for number in range(steady + 1):
            if number:
                moment[0] = base + timedelta(minutes=number, seconds=5)
                sim.advance(region, base + timedelta(minutes=number), seed + number)
            before = Counter(factory.calls)
            batches.clear()
            cpu = time.thread_time()
            wall = time.perf_counter()
            snapshot = await poller.poll()
            wall = time.perf_counter() - wall
            cpu = time.thread_time() - cpu
            delta = Counter(factory.calls)
            delta.subtract(before)
            run.cycles.append(
                Cycle(
                    "first cycle (1 h backfill)" if number == 0 else f"steady cycle {number}",
                    +delta,
                    sum(batches),
                    cpu,
                    wall,
                    planned=poller.last_queries,
                    floor=sum(math.ceil(n / MAX_QUERIES) for n in batches),
                    instances_with_network=sum(1 for i in snapshot.instances if i.net_in_mbps is not None),
                    volumes_with_iops=sum(
                        1 for i in snapshot.instances for v in i.volumes if v.iops is not None
                    ),
                    problems=_snapshot_problems(snapshot),
                )
            )
        if profile(run.cycles):
            extra = steady + 1
            moment[0] = base + timedelta(minutes=extra, seconds=5)
            sim.advance(region, base + timedelta(minutes=extra), seed + extra)
            run.profile, run.profiled_cpu_s = await _profiled(poller, profile_to)
    finally:
        limits_module.get_metric_data = original  # type: ignore[assignment]
        await factory.close()
    return run


# Functions whose cumulative time says where a cycle's CPU goes (they may nest).
PROFILE_PARTS = (
    ("botocore XML parsing of the EC2 Describe* responses", "botocore/parsers.py", "_parse_body_as_xml"),
    ("  of which timestamps (dateutil)", "botocore/utils.py", "parse_timestamp"),
    ("DescribeInstances (request, parse, filter)", "tui/aws/limits.py", "instances"),
    ("DescribeVolumes (request, parse)", "tui/aws/limits.py", "volumes"),
    ("GetMetricData (requests, json, conversion)", "tui/aws/metrics.py", "_run_chunk"),
    ("derivation: _instance_view", "tui/aws/limits.py", "_instance_view"),
    ("derivation: _volume_view", "tui/aws/limits.py", "_volume_view"),
    ("hints (every 5 min)", "tui/aws/limits.py", "_instance_hints"),
)


async def _profiled(poller: LimitsPoller, out: Path | None) -> tuple[str, float]:
    import cProfile
    import io
    import pstats

    profiler = cProfile.Profile(time.thread_time)
    cpu = time.thread_time()
    profiler.enable()
    try:
        await poller.poll()
    finally:
        profiler.disable()
    cpu = time.thread_time() - cpu
    if out is not None:
        profiler.dump_stats(str(out))
    text = io.StringIO()
    stats = pstats.Stats(profiler, stream=text)
    stats.sort_stats("tottime").print_stats(25)
    raw: dict[tuple[str, int, str], tuple[int, int, float, float, Any]] = vars(stats)["stats"]
    total = sum(entry[2] for entry in raw.values())
    text.write("Cumulative thread CPU of selected functions (they nest; % of the profiled total):\n")
    for label, path, function in PROFILE_PARTS:
        spent = sum(
            entry[3] for (file, _, name), entry in raw.items() if file.endswith(path) and name == function
        )
        text.write(f"  {label:<56} {spent * 1000.0:>8,.0f} ms  {100.0 * spent / total:5.1f} %\n")
    return text.getvalue(), cpu


@dataclass(frozen=True)
class Request:
    namespace: str
    metric: str
    dims: tuple[tuple[str, str], ...]
    stat: str


def script_requests(
    instances: list[dict[str, Any]], volumes: list[dict[str, Any]], agent: list[dict[str, Any]]
) -> list[Request]:
    """What the script asks for: the same series as the poller, one GetMetricStatistics each."""
    running = {str(i["InstanceId"]) for i in instances if i["State"]["Name"] == "running"}
    agent_dims: dict[str, list[tuple[str, tuple[tuple[str, str], ...]]]] = {}
    for listed in agent:
        dims = tuple((str(d["Name"]), str(d["Value"])) for d in listed.get("Dimensions") or ())
        iid = dict(dims).get("InstanceId")
        if iid and listed["MetricName"] in ("mem_used_percent", "disk_used_percent"):
            agent_dims.setdefault(iid, []).append((str(listed["MetricName"]), dims))
    requests: list[Request] = []
    for iid in sorted(running):
        for metric, stat, _ in EC2_METRICS:
            requests.append(Request("AWS/EC2", metric, (("InstanceId", iid),), stat))
        for metric, dims in sorted(agent_dims.get(iid, [])):
            requests.append(Request("CWAgent", metric, dims, "Average"))
    for vol in volumes:
        attachments = vol.get("Attachments") or []
        if not attachments or str(attachments[0].get("InstanceId")) not in running:
            continue
        vdims = (("VolumeId", str(vol["VolumeId"])),)
        for metric, stat, _ in EBS_METRICS:
            requests.append(Request("AWS/EBS", metric, vdims, stat))
        if vol.get("VolumeType") == "gp2":
            requests.append(Request("AWS/EBS", "BurstBalance", vdims, "Average"))
    return requests


def _counting(client: Any, calls: Counter[str]) -> Any:
    service = client.meta.service_model.service_name

    def count(model: Any, **_: Any) -> None:
        calls[f"{service}:{model.name}"] += 1

    client.meta.events.register("before-call", count)
    return client


def _pages(client: Any, operation: str, key: str, **params: Any) -> Iterator[Any]:
    for page in client.get_paginator(operation).paginate(**params):
        yield from page.get(key) or []


def script_snapshot(url: str, region: str, budget_s: float, sample: int) -> Cycle:
    """The hand-written script, timed like a cycle; clients are built before the clock starts."""
    calls: Counter[str] = Counter()
    ec2 = _counting(boto3_client("ec2", region, url), calls)
    cw = _counting(boto3_client("cloudwatch", region, url), calls)
    cpu0 = time.thread_time()
    wall0 = time.perf_counter()
    instances = [i for r in _pages(ec2, "describe_instances", "Reservations") for i in r["Instances"]]
    volumes = list(_pages(ec2, "describe_volumes", "Volumes"))
    types = sorted({str(i["InstanceType"]) for i in instances})
    for start in range(0, len(types), 100):
        list(
            _pages(ec2, "describe_instance_types", "InstanceTypes", InstanceTypes=types[start : start + 100])
        )
    agent = list(_pages(cw, "list_metrics", "Metrics", Namespace="CWAgent"))
    requests = script_requests(instances, volumes, agent)
    described_cpu = time.thread_time() - cpu0
    described_wall = time.perf_counter() - wall0

    end = datetime.now(UTC)
    start_time = end - SCRIPT_WINDOW
    done = 0
    answered = 0
    metric_cpu0 = time.thread_time()
    metric_wall0 = time.perf_counter()
    for request in requests:
        reply = cw.get_metric_statistics(
            Namespace=request.namespace,
            MetricName=request.metric,
            Dimensions=[{"Name": n, "Value": v} for n, v in request.dims],
            StartTime=start_time,
            EndTime=end,
            Period=SCRIPT_PERIOD,
            Statistics=[request.stat],
        )
        done += 1
        answered += 1 if reply.get("Datapoints") else 0
        if done == sample and done < len(requests):
            projected = (time.perf_counter() - metric_wall0) * len(requests) / done + described_wall
            if projected > budget_s:
                break
    metric_cpu = time.thread_time() - metric_cpu0
    metric_wall = time.perf_counter() - metric_wall0
    note = ""
    total = len(requests)
    if done < total:
        scale = total / done
        metric_cpu *= scale
        metric_wall *= scale
        calls[GMS] = total
        note = (
            f"EXTRAPOLATED: timed the first {done:,} of {total:,} GetMetricStatistics calls "
            f"and scaled linearly (x{scale:.1f})"
        )
    cycle = Cycle(
        "script (boto3 GetMetricStatistics)",
        calls,
        total,
        described_cpu + metric_cpu,
        described_wall + metric_wall,
        note=note,
    )
    if answered < done:
        cycle.problems.append(
            f"{done - answered:,} of {done:,} GetMetricStatistics calls returned no datapoints"
        )
    return cycle


# ---------------------------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------------------------


def median_cycle(cycles: list[Cycle]) -> Cycle:
    """The steady cycle with the median client CPU (the lower middle one for an even count)."""
    ranked = sorted(cycles, key=lambda c: c.cpu_s)
    return ranked[(len(ranked) - 1) // 2]


def _ms(seconds: float) -> str:
    return f"{seconds * 1000.0:,.0f} ms"


def _ratio(script: float, warroom: float) -> str:
    return f"{script / warroom:,.0f}x" if warroom > 0 else "-"


def report(
    size: int, fleet: Fleet, cycles: list[Cycle], script: Cycle | None, budget_s: float
) -> tuple[bool, bool | None]:
    first, steady = cycles[0], cycles[1:]
    middle = median_cycle(steady)
    poller_columns = [first, middle]
    columns = [*poller_columns, *([script] if script else [])]
    headers = [first.label, f"steady (median-CPU cycle of {len(steady)})"]
    if script is not None:
        headers += [script.label, "script / steady"]
    ops = [op for op in OPERATION_ORDER if any(c.calls.get(op) for c in columns)]
    ops += sorted({op for c in columns for op in c.calls} - set(ops))

    def row(label: str, poller: list[str], scripted: str = "-", ratio: str = "") -> tuple[str, list[str]]:
        return label, [*poller, *([scripted, ratio] if script else [])]

    rows: list[tuple[str, list[str]]] = [("API calls by operation", [""] * len(headers))]
    for op in ops:
        rows.append(
            row(
                f"  {op}",
                [f"{c.calls.get(op, 0):,}" for c in poller_columns],
                f"{script.calls.get(op, 0):,}" if script else "-",
            )
        )
    rows.append(
        row(
            "API calls, total",
            [f"{c.total_calls:,}" for c in poller_columns],
            f"{script.total_calls:,}" if script else "-",
            _ratio(script.total_calls, middle.total_calls) if script else "",
        )
    )
    rows.append(
        row(
            "metric queries sent (series)",
            [f"{c.queries:,}" for c in poller_columns],
            f"{script.queries:,}" if script else "-",
        )
    )
    rows.append(row("minimum GetMetricData calls", [f"{c.minimum_gmd:,}" for c in poller_columns]))
    rows.append(
        row("GetMetricData == minimum", ["yes" if c.gmd_is_minimum else "NO" for c in poller_columns])
    )
    rows.append(
        row(
            "client CPU",
            [_ms(c.cpu_s) for c in poller_columns],
            _ms(script.cpu_s) if script else "-",
            _ratio(script.cpu_s, middle.cpu_s) if script else "",
        )
    )
    rows.append(
        row(
            "wall",
            [_ms(c.wall_s) for c in poller_columns],
            _ms(script.wall_s) if script else "-",
            _ratio(script.wall_s, middle.wall_s) if script else "",
        )
    )
    rows.append(row("instances with network data", [f"{c.instances_with_network:,}" for c in poller_columns]))
    rows.append(row("volumes with IOPS data", [f"{c.volumes_with_iops:,}" for c in poller_columns]))

    label_width = max(len(label) for label, _ in rows)
    widths = [max(len(headers[i]), *(len(cells[i]) for _, cells in rows)) for i in range(len(headers))]

    def line(label: str, cells: list[str]) -> str:
        return f"  {label:<{label_width}}  " + "  ".join(
            f"{v:>{w}}" for v, w in zip(cells, widths, strict=True)
        )

    print()
    print(
        f"Fleet of {size:,} instances, {fleet.volumes:,} volumes in {fleet.region}: setup"
        f" {fleet.ec2_s + fleet.metrics_s:.1f} s (EC2 {fleet.ec2_s:.1f} s,"
        f" put_series {fleet.metrics_s:.1f} s: {fleet.series:,} series, {fleet.points:,} datapoints)"
    )
    print(line("", headers).rstrip())
    for label, cells in rows:
        print(line(label, cells).rstrip())
    cpus = [c.cpu_s for c in steady]
    walls = [c.wall_s for c in steady]
    print(
        f"  steady cycles: CPU {' / '.join(_ms(s) for s in cpus)}; wall {' / '.join(_ms(s) for s in walls)}"
        f" (median CPU {_ms(statistics.median(cpus))}, median wall {_ms(statistics.median(walls))})"
    )
    # Every cycle here has a new minute of every series: a steady cycle sends them all but the
    # volumes' idle time, which the plan asks every five minutes with the hints, and, in a minute
    # that is not on a five-minute boundary, the AWS/EC2 series of the hosts on basic monitoring.
    expected = fleet.expected_queries - fleet.volumes
    basic = sum(len(EC2_METRICS) for host in fleet.hosts if not host.detailed)
    extra = middle.queries - expected
    if extra + basic in (0, 1):
        expected -= basic
        extra += basic
    if first.queries - fleet.expected_queries not in (0, 1):
        print(
            f"  !!! the first cycle sent {first.queries:,} queries; the fleet publishes"
            f" {fleet.expected_queries:,} instance and volume series (+1 vCPU quota usage) !!!"
        )
    if extra not in (0, 1):
        print(
            f"  !!! a steady cycle sent {middle.queries:,} queries of {middle.planned:,} planned; expected"
            f" {expected:,} instance and volume series without VolumeIdleTime (+1 vCPU quota usage) !!!"
        )
    else:
        print(
            f"  poller queries: first cycle {first.queries:,}; steady {expected:,} instance and volume series"
            f" + {extra} vCPU quota usage of {middle.planned:,} planned (not sent: VolumeIdleTime,"
            f" {fleet.volumes:,} series, every 5 minutes; the basic monitoring hosts' {basic:,} series"
            " when their 5-minute point is not due)"
        )
    if script is None:
        print("  script: skipped (--no-script)")
    elif script.note:
        print(f"  script: {script.note}")
    else:
        print(f"  script: every call timed (projected under the {budget_s:.0f} s budget)")
    calls_ok = all(c.gmd_is_minimum for c in cycles)
    for cycle in cycles:
        if not cycle.gmd_is_minimum:
            print(
                f"  !!! {cycle.label}: {cycle.calls.get(GMD, 0)} GetMetricData calls for"
                f" {cycle.queries:,} queries, the minimum is {cycle.minimum_gmd} !!!"
            )
    for cycle in columns:
        for problem in cycle.problems[:5]:
            print(f"  !!! {cycle.label}: {problem}")
    print(f"  target: GetMetricData calls equal the minimum in every cycle: {'PASS' if calls_ok else 'MISS'}")
    cpu_ok: bool | None = None
    if size == CPU_TARGET_INSTANCES:
        cpu_ok = middle.cpu_s * 1000.0 < CPU_TARGET_MS
        print(
            f"  target: client CPU < {CPU_TARGET_MS:.0f} ms per steady cycle at"
            f" {CPU_TARGET_INSTANCES:,} instances: {'PASS' if cpu_ok else 'MISS'} ({_ms(middle.cpu_s)})"
        )
    else:
        print(
            f"  target: client CPU < {CPU_TARGET_MS:.0f} ms applies at {CPU_TARGET_INSTANCES:,} instances"
            f" (here {_ms(middle.cpu_s)})"
        )
    return calls_ok, cpu_ok


def _sizes(text: str) -> list[int]:
    try:
        sizes = [int(part.replace("_", "")) for part in text.split(",") if part.strip()]
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"--sizes wants comma-separated integers, not {text!r}") from exc
    if not sizes or any(s <= 0 for s in sizes):
        raise argparse.ArgumentTypeError("--sizes wants positive integers")
    if len(sizes) > len(REGIONS):
        raise argparse.ArgumentTypeError(f"at most {len(REGIONS)} sizes (one region each)")
    return sizes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--sizes", type=_sizes, default=[50, 500, 2000], help="fleet sizes (default 50,500,2000)"
    )
    parser.add_argument("--cycles", type=int, default=3, help="steady cycles after the first (default 3)")
    parser.add_argument("--seed", type=int, default=7, help="seed of the metric values (default 7)")
    parser.add_argument(
        "--script-budget", type=float, default=90.0, help="seconds the script may take before extrapolating"
    )
    parser.add_argument(
        "--script-sample", type=int, default=2000, help="GetMetricStatistics calls timed when extrapolating"
    )
    parser.add_argument("--no-script", action="store_true", help="skip the boto3 script")
    parser.add_argument(
        "--profile",
        type=Path,
        default=None,
        metavar="FILE",
        help="always profile one more steady cycle at the largest size and save the profile to FILE"
        " (without it, a cycle is profiled only when the CPU target is missed)",
    )
    args = parser.parse_args(argv)
    if args.cycles < 1:
        parser.error("--cycles must be at least 1")
    if args.script_sample < 1:
        parser.error("--script-sample must be at least 1")

    os.environ.setdefault("AWS_EC2_METADATA_DISABLED", "true")
    began = time.perf_counter()
    sim = SimProcess()
    tune_gc()  # as the console runs
    verdicts: list[tuple[int, bool, bool | None]] = []
    try:
        url = sim.url
        print(
            f"Limits refresh cycle on the simulator ({url}); sizes {', '.join(f'{s:,}' for s in args.sizes)}"
        )
        largest = max(args.sizes)
        for size, region in zip(args.sizes, REGIONS, strict=False):
            now = datetime.now(UTC).replace(second=0, microsecond=0)
            fleet = sim.build(region, size, now, args.seed + size)
            forced = args.profile is not None and size == largest

            def wanted(cycles: list[Cycle], size: int = size, forced: bool = forced) -> bool:
                missed = median_cycle(cycles[1:]).cpu_s * 1000.0 >= CPU_TARGET_MS
                return forced or (size == CPU_TARGET_INSTANCES and missed)

            run = asyncio.run(
                warroom_cycles(
                    sim, fleet, now, args.seed + size, args.cycles, wanted, args.profile if forced else None
                )
            )
            script = (
                None
                if args.no_script
                else script_snapshot(url, region, args.script_budget, args.script_sample)
            )
            calls_ok, cpu_ok = report(size, fleet, run.cycles, script, args.script_budget)
            verdicts.append((size, calls_ok, cpu_ok))
            if run.profile:
                print()
                print(
                    f"Profile of one more steady cycle at {size:,} instances (cProfile, timer"
                    f" time.thread_time, sorted by tottime; {_ms(run.profiled_cpu_s)} thread CPU"
                    " with the profiler on" + (f"; saved to {args.profile}" if forced else "") + "):"
                )
                print(run.profile.rstrip())
    finally:
        sim.stop()

    print()
    print("Summary")
    for size, calls_ok, cpu_ok in verdicts:
        cpu = (
            "" if cpu_ok is None else f"; client CPU < {CPU_TARGET_MS:.0f} ms: {'PASS' if cpu_ok else 'MISS'}"
        )
        print(f"  {size:>6,} instances: calls equal the minimum: {'PASS' if calls_ok else 'MISS'}{cpu}")
    if CPU_TARGET_INSTANCES not in args.sizes:
        print(f"  client CPU target not evaluated ({CPU_TARGET_INSTANCES:,} is not among --sizes)")
    print(f"  whole run: {time.perf_counter() - began:.1f} s")
    passed = all(c and p is not False for _, c, p in verdicts)
    return 0 if passed else 1


if __name__ == "__main__":
    raise SystemExit(main())
