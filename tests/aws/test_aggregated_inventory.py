"""Limits' inventory from the credential's AWS Config aggregator: one advanced query per resource
type covers every account and region, instead of describe calls through each account's role; Config's
camelCase items read as EC2's own structures. Against the simulator (its aggregator is tested in
tests/sim/test_ext_config_aggregator.py)."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from tests.sim.assumed import HOME_ACCOUNT, Accounts, account_ids
from tui.aws import inventory, overview
from tui.aws.clients import AwsTarget, ClientFactory
from tui.aws.inventory import InventoryCache, ec2_instance, ec2_inventory, ec2_volume, pascal
from tui.aws.limits import LimitsPoller
from tui.aws.scope import Place

REGION = "ap-southeast-1"
new_account = account_ids("3400")


@pytest.fixture(autouse=True)
def _unpinned(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MOTO_ACCOUNT_ID", raising=False)


def test_configs_camel_case_reads_as_ec2s_structures() -> None:
    item = {
        "instanceId": "i-1",
        "state": {"name": "running", "code": 16},
        "tags": [{"key": "Name", "value": "x"}],
    }
    assert pascal(item) == {
        "InstanceId": "i-1",
        "State": {"Name": "running", "Code": 16},
        "Tags": [{"Key": "Name", "Value": "x"}],
    }
    volume = ec2_volume(
        {"volumeId": "vol-1", "state": {"value": "in-use"}, "attachments": [{"instanceId": "i-1"}]}
    )
    assert volume == {"VolumeId": "vol-1", "State": "in-use", "Attachments": [{"InstanceId": "i-1"}]}


def test_only_what_the_pollers_read_of_a_resource_is_kept() -> None:
    instance = ec2_instance(
        {
            "instanceId": "i-1",
            "instanceType": "m5.large",
            "state": {"name": "running", "code": 16},
            "monitoring": {"state": "enabled"},
            "rootDeviceName": "/dev/xvda",
            "networkInterfaces": [{"privateIpAddress": "10.0.0.1"}],
            "cpuOptions": {"coreCount": 1},
        }
    )
    assert sorted(instance) == ["InstanceId", "InstanceType", "Monitoring", "RootDeviceName", "State"]
    volume = ec2_volume({"volumeId": "vol-1", "size": 8, "snapshotId": "snap-1", "createTime": "x"})
    assert volume == {"VolumeId": "vol-1", "Size": 8}


async def test_the_inventory_comes_from_the_aggregator(sim_url: str) -> None:
    member, iid, factory = _member_with_an_instance(sim_url)
    poller = LimitsPoller(factory)
    try:
        snapshot = await poller.poll()
    finally:
        await factory.close()
    assert poller.aggregator == "warroom-inventory"
    views = {i.instance_id: i for i in snapshot.instances}
    assert views[iid].account_id == member and views[iid].instance_type == "m5.large"
    assert [v.device for v in views[iid].volumes] == ["/dev/sda1"], "its root volume, attached"
    assert factory.calls["ec2:DescribeInstances"] == 0 and factory.calls["ec2:DescribeVolumes"] == 0
    assert factory.calls["config:SelectAggregateResourceConfig"] >= 2


async def test_an_inventory_read_again_parses_only_what_changed(sim_url: str) -> None:
    member, iid, factory = _member_with_an_instance(sim_url)
    cache = InventoryCache()
    place = (member, REGION)
    try:
        first = (await ec2_inventory(factory, REGION, "warroom-inventory", [place], cache))[place]
        again = (await ec2_inventory(factory, REGION, "warroom-inventory", [place], cache))[place]
        assert again == first
        assert [id(i) for i in again.instances] == [id(i) for i in first.instances], "not parsed again"
        Accounts(sim_url).client(member, "ec2", REGION).stop_instances(InstanceIds=[iid])
        changed = (await ec2_inventory(factory, REGION, "warroom-inventory", [place], cache))[place]
        # What is read through the poller shows the change too: its plan is made again.
        poller = LimitsPoller(factory)
        await poller.poll()
        poller.refresh_inventory()
        snapshot = await poller.poll()
    finally:
        await factory.close()
    assert [i["State"]["Name"] for i in changed.instances] == ["stopped"]
    assert changed.instances[0] is not first.instances[0]
    assert [id(v) for v in changed.volumes] == [id(v) for v in first.volumes], "the volume did not change"
    assert {i.instance_id: i.state for i in snapshot.instances if i.account_id == member} == {iid: "stopped"}


async def test_the_overview_counts_the_aggregators_inventory(sim_url: str) -> None:
    """The Overview's EC2 and EBS cards count what the aggregator holds (only the type, state and
    size of each resource are selected), the same numbers the describe calls give."""
    member, _, factory = _member_with_an_instance(sim_url)
    poller = overview.OverviewPoller(factory)
    try:
        snapshot = await poller.poll()
        calls = dict(factory.calls)
        places = {(p.account_id, p.region): p for p in factory.places}
        described = {key: await overview._ec2_card(factory, place) for key, place in places.items()}
        volumes = {key: await overview._ebs_card(factory, place) for key, place in places.items()}
        again = await poller.poll()
    finally:
        await factory.close()
    assert calls.get("ec2:DescribeInstances", 0) == 0 and calls.get("ec2:DescribeVolumes", 0) == 0
    assert calls["config:SelectAggregateResourceConfig"] >= 2
    cards = {(r.account_id, r.region): r for r in snapshot.regions}
    mine = cards[(member, REGION)]
    assert mine.ec2.value is not None and mine.ec2.value.states == {"running": 1}
    assert mine.ebs.value is not None and mine.ebs.value.volumes == 1
    for key, region in cards.items():
        assert region.ec2.value is not None and region.ebs.value is not None
        assert region.ec2.value.states == described[key].states, key
        assert region.ec2.value.standard_vcpus == described[key].standard_vcpus, key
        assert region.ebs.value == volumes[key], key
    assert [r.ec2 for r in again.regions] == [r.ec2 for r in snapshot.regions]


async def test_the_overview_describes_each_place_when_the_aggregator_fails(
    sim_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    member, _, factory = _member_with_an_instance(sim_url)

    async def refused(*_: object) -> list[str]:
        error = {"Error": {"Code": "AccessDeniedException", "Message": "not authorized"}}
        raise ClientError(error, "SelectAggregateResourceConfig")  # type: ignore[arg-type]

    monkeypatch.setattr(inventory, "select_texts", refused)
    try:
        snapshot = await overview.OverviewPoller(factory).poll()
    finally:
        await factory.close()
    assert factory.calls["ec2:DescribeInstances"] >= 2 and factory.calls["ec2:DescribeVolumes"] >= 2
    cards = {(r.account_id, r.region): r for r in snapshot.regions}
    mine = cards[(member, REGION)]
    assert mine.ec2.value is not None and mine.ec2.value.states == {"running": 1}
    assert mine.ebs.value is not None and mine.ebs.value.volumes == 1


def _member_with_an_instance(sim_url: str) -> tuple[str, str, ClientFactory]:
    """A new member account with one instance, the home account's aggregator over it, and a console's
    client factory watching both."""
    accounts = Accounts(sim_url)
    member = new_account()
    ec2 = accounts.client(member, "ec2", REGION)
    image = ec2.describe_images()["Images"][0]["ImageId"]
    iid = ec2.run_instances(ImageId=image, InstanceType="m5.large", MinCount=1, MaxCount=1)["Instances"][0][
        "InstanceId"
    ]
    config = accounts.client(HOME_ACCOUNT, "config", REGION)
    config.put_configuration_aggregator(
        ConfigurationAggregatorName="warroom-inventory",
        AccountAggregationSources=[{"AccountIds": [HOME_ACCOUNT, member], "AwsRegions": [REGION]}],
    )
    accounts.client(member, "config", REGION).put_aggregation_authorization(
        AuthorizedAccountId=HOME_ACCOUNT, AuthorizedAwsRegion=REGION
    )
    factory = ClientFactory(
        AwsTarget(regions=(REGION,), endpoint_url=sim_url, access_key="testing", secret_key="testing")
    )
    factory.set_places(
        [
            Place(REGION, HOME_ACCOUNT),
            Place(REGION, member, "member", f"arn:aws:iam::{member}:role/warroom-readonly"),
        ]
    )
    return member, iid, factory
