"""EC2's instance type offerings, read by region when first asked: the same answers as moto's files.

Regions eu-west-3 and ap-northeast-2 are this module's own (only read).
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tui.sim.extensions.offerings import LazyRegions
from tui.sim.server import SimServer

ClientMaker = Callable[..., Any]
ROOT = Path(__file__).resolve().parents[2]


def _from_file(location_type: str, region: str) -> set[tuple[str, str]]:
    from moto.utilities.utils import load_resource

    offerings = load_resource(f"ec2/resources/instance_type_offerings/{location_type}/{region}.json")
    return {(o["InstanceType"], o["Location"]) for o in offerings}


@pytest.mark.parametrize(
    ("location_type", "region"), [("region", "eu-west-3"), ("availability-zone", "ap-northeast-2")]
)
def test_a_region_offers_what_moto_s_file_says(
    sim: SimServer, client: ClientMaker, location_type: str, region: str
) -> None:
    ec2 = client("ec2", region=region)
    found: set[tuple[str, str]] = set()
    for page in ec2.get_paginator("describe_instance_type_offerings").paginate(LocationType=location_type):
        found.update((o["InstanceType"], o["Location"]) for o in page["InstanceTypeOfferings"])
        assert all(o["LocationType"] == location_type for o in page["InstanceTypeOfferings"])
    assert found == _from_file(location_type, region)


PROBE = """
from tui.sim.extensions.offerings import LazyRegions
from tui.sim.server import SimServer
with SimServer(empty=True) as server:
    from moto.ec2.models.instance_types import INSTANCE_TYPE_OFFERINGS
    regions = INSTANCE_TYPE_OFFERINGS["region"]
    print(isinstance(regions, LazyRegions), "sa-east-1" in regions, len(regions.unread) > 10)
"""


def test_a_simulator_reads_the_offerings_of_the_regions_asked_about_only() -> None:
    """In a process of its own: moto.ec2 may be imported in this one before any simulator."""
    out = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=120, cwd=ROOT, check=False
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split() == ["True", "True", "True"]


def test_lazy_regions_read_a_file_once_when_asked_for_it() -> None:
    read: list[str] = []

    def reader(resource: str) -> list[dict[str, str]]:
        read.append(resource)
        return [{"InstanceType": "t3.micro", "Location": resource}]

    regions = LazyRegions("region", {"eu-west-1": "eu-west-1.json", "us-east-2": "us-east-2.json"}, reader)
    assert read == [] and len(regions) == 2 and "eu-west-1" in regions
    assert regions.get("eu-west-1") == [
        {"InstanceType": "t3.micro", "Location": "eu-west-1.json", "LocationType": "region"}
    ]
    assert regions["eu-west-1"][0]["Location"] == "eu-west-1.json"
    assert read == ["eu-west-1.json"]
    assert regions.get("mars-1", []) == []
    assert sorted(regions) == ["eu-west-1", "us-east-2"]
    assert read == ["eu-west-1.json", "us-east-2.json"]
    assert regions.unread == frozenset()
