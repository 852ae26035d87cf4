"""``SimServer(fleet=N)`` (``warroom sim serve --fleet N``) without an organization: the one
account's fleet grows to N instances, each copy a catalog instance under a new number, with its
volumes, its managed node and its metrics.

The module runs a small simulator of its own (``tests.conftest.own_simulator``).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import boto3
import pytest

from tests.conftest import own_simulator
from tui.sim import catalog
from tui.sim.account import REGION
from tui.sim.server import SimServer

FLEET = len(catalog.INSTANCES) + 9


@pytest.fixture(scope="module")
def fleet_sim() -> Iterator[SimServer]:
    with own_simulator(
        lambda: SimServer(seed=7, live=False, fleet=FLEET, backfill=timedelta(minutes=10)).start()
    ) as server:
        yield server


def make(server: SimServer, service: str) -> Any:
    return boto3.client(
        service,
        region_name=REGION,
        endpoint_url=server.endpoint_url,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def test_the_fleet_grows_to_the_size_asked_with_each_copy_like_its_original(fleet_sim: SimServer) -> None:
    ec2 = make(fleet_sim, "ec2")
    found = [i for r in ec2.describe_instances()["Reservations"] for i in r["Instances"]]
    by_name = {next(t["Value"] for t in i["Tags"] if t["Key"] == "Name"): i for i in found}
    assert len(found) == len(by_name) == FLEET

    volumes = {v["VolumeId"]: v for v in ec2.describe_volumes()["Volumes"]}
    grown = catalog.grown_fleet(FLEET)
    for spec in grown[len(catalog.INSTANCES) :]:
        instance = by_name[spec.name]
        assert instance["InstanceType"] == spec.instance_type
        assert instance["State"]["Name"] == ("running" if spec.running else "stopped")
        attached = sorted(
            (
                m["DeviceName"],
                volumes[m["Ebs"]["VolumeId"]]["VolumeType"],
                volumes[m["Ebs"]["VolumeId"]]["Size"],
            )
            for m in instance["BlockDeviceMappings"]
        )
        assert attached == sorted((v.device, v.volume_type, v.size_gib) for v in spec.volumes), spec.name
        for mapping in instance["BlockDeviceMappings"]:
            tags = {t["Key"]: t["Value"] for t in volumes[mapping["Ebs"]["VolumeId"]].get("Tags", [])}
            assert tags["Name"].startswith(f"{spec.name}-")
        assert instance["LaunchTime"] < fleet_sim.workload.seeded_at - timedelta(days=40)


def test_the_copies_are_managed_nodes_and_publish_metrics(fleet_sim: SimServer) -> None:
    inventory = fleet_sim.workload.inventory
    grown = catalog.grown_fleet(FLEET)
    copies = [spec for spec in grown[len(catalog.INSTANCES) :] if spec.running]
    assert copies
    nodes = make(fleet_sim, "ssm").describe_instance_information(MaxResults=50)["InstanceInformationList"]
    managed = {node["InstanceId"] for node in nodes}
    listed = make(fleet_sim, "cloudwatch").list_metrics(Namespace="AWS/EC2", MetricName="CPUUtilization")
    measured = {d["Value"] for m in listed["Metrics"] for d in m["Dimensions"] if d["Name"] == "InstanceId"}
    for spec in copies:
        instance_id = inventory.instances[spec.name]
        assert instance_id in measured, spec.name
        assert (instance_id in managed) == spec.ssm_managed, spec.name
