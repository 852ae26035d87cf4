"""AWS Config aggregators in the simulator: SelectAggregateResourceConfig over every account and
Region an aggregator covers, with configuration items shaped as AWS Config records them.

Every account here is reached by assuming a role in an id starting 3500 (``tests.sim.assumed``),
each test with accounts of its own; the managed nodes are registered in this process, where the
simulator runs (``tui.sim.extensions.ssm.register_node``).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from tests.sim.assumed import Accounts, account_ids, make_organization
from tui.sim.extensions import config_aggregator, ssm
from tui.sim.extensions.config_aggregator import InvalidExpression

HOME = "us-east-1"
OTHER = "eu-west-1"
AMI = "ami-12c6146b"
INSTANCE = "AWS::EC2::Instance"
VOLUME = "AWS::EC2::Volume"
STREAM = "AWS::Kinesis::Stream"
INVENTORY = "AWS::SSM::ManagedInstanceInventory"
FIELDS = "resourceId, resourceType, accountId, awsRegion, configuration, tags"

new_account = account_ids("3500")


@pytest.fixture(scope="module")
def accounts(sim_url: str) -> Accounts:
    return Accounts(sim_url)


@pytest.fixture(autouse=True)
def _unpinned(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MOTO_ACCOUNT_ID", raising=False)


def error_of(call: Callable[[], Any]) -> tuple[str, str]:
    with pytest.raises(ClientError) as raised:
        call()
    return raised.value.response["Error"]["Code"], raised.value.response["Error"]["Message"]


@dataclass
class Fleet:
    """What one account holds in one Region."""

    instances: list[str]
    volume: str
    stream: str


def make_fleet(accounts: Accounts, account: str, region: str, *, instances: int = 2) -> Fleet:
    ec2 = accounts.client(account, "ec2", region)
    made = ec2.run_instances(
        ImageId=AMI,
        MinCount=instances,
        MaxCount=instances,
        InstanceType="m5.large",
        TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "team", "Value": f"t-{account}"}]}],
    )["Instances"]
    ids = [instance["InstanceId"] for instance in made]
    for instance_id in ids:
        ssm.register_node(
            account, region, ssm.ManagedNode(instance_id=instance_id, computer_name=f"host-{instance_id}")
        )
    volume = ec2.create_volume(
        AvailabilityZone=f"{region}a",
        Size=120,
        VolumeType="gp3",
        Iops=4000,
        Throughput=250,
        TagSpecifications=[{"ResourceType": "volume", "Tags": [{"Key": "Name", "Value": "data"}]}],
    )["VolumeId"]
    ec2.attach_volume(VolumeId=volume, InstanceId=ids[0], Device="/dev/sdf")
    stream = f"orders-{account}-{region}"
    kinesis = accounts.client(account, "kinesis", region)
    kinesis.create_stream(StreamName=stream, ShardCount=3)
    kinesis.add_tags_to_stream(StreamName=stream, Tags={"app": "orders"})
    return Fleet(ids, volume, stream)


def select(config: Any, aggregator: str, expression: str, **params: Any) -> list[dict[str, Any]]:
    """Every result of a query, following NextToken."""
    results: list[dict[str, Any]] = []
    token: str | None = None
    while True:
        reply = config.select_aggregate_resource_config(
            ConfigurationAggregatorName=aggregator,
            Expression=expression,
            **params,
            **({"NextToken": token} if token else {}),
        )
        results.extend(json.loads(text) for text in reply["Results"])
        token = reply.get("NextToken")
        if not token:
            return results


def pairs(results: list[dict[str, Any]]) -> set[tuple[str, str]]:
    return {(r["accountId"], r["awsRegion"]) for r in results}


def camel(value: Any) -> Any:
    """A boto3 EC2 structure with Config's names and timestamps."""
    if isinstance(value, dict):
        return {key[:1].lower() + key[1:]: camel(item) for key, item in value.items()}
    if isinstance(value, list):
        return [camel(item) for item in value]
    if isinstance(value, datetime):
        return config_aggregator.config_time(value)
    return value


class Aggregation:
    """An aggregator account with an account-based aggregator over itself and a source account."""

    def __init__(self, accounts: Accounts, *, regions: tuple[str, ...] = (HOME, OTHER)) -> None:
        self.accounts = accounts
        self.aggregator_account = new_account()
        self.source = new_account()
        self.config = accounts.client(self.aggregator_account, "config", HOME)
        self.fleets = {
            (account, region): make_fleet(accounts, account, region)
            for account in (self.aggregator_account, self.source)
            for region in regions
        }
        self.config.put_configuration_aggregator(
            ConfigurationAggregatorName="inventory",
            AccountAggregationSources=[
                {"AccountIds": [self.aggregator_account, self.source], "AwsRegions": list(regions)}
            ],
        )

    def authorize(self, region: str) -> None:
        self.accounts.client(self.source, "config", region).put_aggregation_authorization(
            AuthorizedAccountId=self.aggregator_account, AuthorizedAwsRegion=HOME
        )

    def select(self, expression: str, **params: Any) -> list[dict[str, Any]]:
        return select(self.config, "inventory", expression, **params)


# What an aggregator covers ----------------------------------------------------------------------


def test_a_source_account_counts_once_it_authorized_the_aggregator_in_that_region(accounts: Accounts) -> None:
    agg = Aggregation(accounts)
    own = {(agg.aggregator_account, HOME), (agg.aggregator_account, OTHER)}
    query = f"SELECT {FIELDS} WHERE resourceType = '{INSTANCE}'"

    assert pairs(agg.select(query)) == own
    agg.authorize(OTHER)
    assert pairs(agg.select(query)) == own | {(agg.source, OTHER)}
    agg.authorize(HOME)
    results = agg.select(query)
    assert pairs(results) == own | {(agg.source, OTHER), (agg.source, HOME)}
    assert sorted(r["resourceId"] for r in results) == sorted(
        instance for fleet in agg.fleets.values() for instance in fleet.instances
    )
    only = agg.select(
        f"SELECT resourceId, accountId WHERE resourceType = '{INSTANCE}' AND accountId = '{agg.source}'"
    )
    assert {r["accountId"] for r in only} == {agg.source} and len(only) == 4


def test_an_organization_aggregator_covers_every_account_of_the_organization(accounts: Accounts) -> None:
    management = new_account()
    made = make_organization(accounts, management, ["security-tooling", "payments"])
    tooling, payments = made["security-tooling"], made["payments"]
    for account in (management, payments):
        make_fleet(accounts, account, HOME, instances=1)
    source = {"RoleArn": f"arn:aws:iam::{tooling}:role/config-aggregator", "AwsRegions": [HOME]}

    code, _ = error_of(
        lambda: accounts.client(tooling, "config").put_configuration_aggregator(
            ConfigurationAggregatorName="org", OrganizationAggregationSource=source
        )
    )
    assert code == "OrganizationAccessDeniedException"
    code, _ = error_of(
        lambda: accounts.client(new_account(), "config").put_configuration_aggregator(
            ConfigurationAggregatorName="org", OrganizationAggregationSource=source
        )
    )
    assert code == "NoAvailableOrganizationException"
    accounts.client(management, "organizations").register_delegated_administrator(
        AccountId=tooling, ServicePrincipal="config-multiaccountsetup.amazonaws.com"
    )
    config = accounts.client(tooling, "config")
    config.put_configuration_aggregator(
        ConfigurationAggregatorName="org", OrganizationAggregationSource=source
    )

    results = select(
        config, "org", f"SELECT resourceId, accountId, awsRegion WHERE resourceType = '{INSTANCE}'"
    )

    assert pairs(results) == {(management, HOME), (payments, HOME)}, (
        "no authorization needed in an organization"
    )
    code, _ = error_of(lambda: select(accounts.client(management, "config"), "org", "SELECT resourceId"))
    assert code == "NoSuchConfigurationAggregatorException", "aggregators belong to their account"


def test_all_aws_regions_covers_every_region_an_account_holds_resources_in(accounts: Accounts) -> None:
    account = new_account()
    make_fleet(accounts, account, HOME, instances=1)
    make_fleet(accounts, account, "ap-southeast-2", instances=1)
    config = accounts.client(account, "config")
    config.put_configuration_aggregator(
        ConfigurationAggregatorName="everywhere",
        AccountAggregationSources=[{"AccountIds": [account], "AllAwsRegions": True}],
    )

    results = select(config, "everywhere", f"SELECT accountId, awsRegion WHERE resourceType = '{STREAM}'")

    assert pairs(results) == {(account, HOME), (account, "ap-southeast-2")}


# Configuration items ---------------------------------------------------------------------------


def test_an_instance_item_is_the_ec2_instance_structure_in_camel_case(accounts: Accounts) -> None:
    agg = Aggregation(accounts, regions=(HOME,))
    fleet = agg.fleets[(agg.aggregator_account, HOME)]
    ec2 = accounts.client(agg.aggregator_account, "ec2", HOME)
    described = ec2.describe_instances(InstanceIds=[fleet.instances[0]])["Reservations"][0]["Instances"][0]

    (item,) = agg.select(
        f"SELECT * WHERE resourceType = '{INSTANCE}' AND resourceId = '{fleet.instances[0]}'"
    )

    expected = camel(described)
    configuration = item["configuration"]
    for key in (
        "instanceId",
        "instanceType",
        "imageId",
        "state",
        "launchTime",
        "privateIpAddress",
        "subnetId",
        "vpcId",
        "monitoring",
    ):
        assert configuration[key] == expected[key], key
    assert configuration["placement"]["availabilityZone"] == expected["placement"]["availabilityZone"]
    assert [(b["deviceName"], b["ebs"]["volumeId"]) for b in configuration["blockDeviceMappings"]] == [
        (b["deviceName"], b["ebs"]["volumeId"]) for b in expected["blockDeviceMappings"]
    ]
    assert configuration["state"] == {"code": 16, "name": "running"}
    assert configuration["tags"] == [{"key": "team", "value": f"t-{agg.aggregator_account}"}]
    assert configuration["launchTime"].endswith("Z") and len(configuration["launchTime"]) == 24
    assert item["resourceId"] == fleet.instances[0]
    assert item["arn"] == f"arn:aws:ec2:{HOME}:{agg.aggregator_account}:instance/{fleet.instances[0]}"
    assert (item["resourceType"], item["accountId"], item["awsRegion"]) == (
        INSTANCE,
        agg.aggregator_account,
        HOME,
    )
    assert item["availabilityZone"] == expected["placement"]["availabilityZone"]
    assert item["tags"] == [{"key": "team", "value": f"t-{agg.aggregator_account}"}]
    assert item["resourceCreationTime"] == configuration["launchTime"]
    assert item["configurationItemStatus"] == "OK"


def test_volume_stream_and_inventory_items_have_configs_shapes(accounts: Accounts) -> None:
    agg = Aggregation(accounts, regions=(HOME,))
    account = agg.aggregator_account
    fleet = agg.fleets[(account, HOME)]

    (volume,) = agg.select(
        f"SELECT {FIELDS} WHERE resourceType = '{VOLUME}' AND resourceId = '{fleet.volume}'"
    )
    (stream,) = agg.select(
        f"SELECT resourceId, resourceName, arn, configuration, tags WHERE resourceType = '{STREAM}'"
    )
    inventory = agg.select(f"SELECT resourceId, arn, configuration WHERE resourceType = '{INVENTORY}'")

    v = volume["configuration"]
    assert (v["volumeId"], v["size"], v["volumeType"], v["iops"], v["throughput"]) == (
        fleet.volume,
        120,
        "gp3",
        4000,
        250,
    )
    assert v["state"] == {"value": "in-use"}, "Config records a volume's state as an object"
    (attachment,) = v["attachments"]
    assert (attachment["instanceId"], attachment["device"], attachment["state"]) == (
        fleet.instances[0],
        "/dev/sdf",
        "attached",
    )
    assert volume["tags"] == [{"key": "Name", "value": "data"}]
    assert stream["resourceId"] == stream["resourceName"] == fleet.stream
    assert stream["arn"] == f"arn:aws:kinesis:{HOME}:{account}:stream/{fleet.stream}"
    assert stream["configuration"] == {
        "Name": fleet.stream,
        "Arn": stream["arn"],
        "ShardCount": 3,
        "RetentionPeriodHours": 24,
        "StreamModeDetails": {"StreamMode": "PROVISIONED"},
    }
    assert stream["tags"] == [{"key": "app", "value": "orders"}]
    assert sorted(i["resourceId"] for i in inventory) == sorted(fleet.instances)
    first = next(i for i in inventory if i["resourceId"] == fleet.instances[0])
    assert first["arn"] == f"arn:aws:ssm:{HOME}:{account}:managed-instance-inventory/{fleet.instances[0]}"
    information = first["configuration"]["AWS:InstanceInformation"]
    content = information["Content"][fleet.instances[0]]
    assert information["SchemaVersion"] == "1.0"
    assert (content["InstanceId"], content["ComputerName"], content["InstanceStatus"]) == (
        fleet.instances[0],
        f"host-{fleet.instances[0]}",
        "Active",
    )
    assert (content["PlatformType"], content["ResourceType"]) == ("Linux", "EC2Instance")


def test_items_follow_changes_and_deleted_resources_leave(accounts: Accounts) -> None:
    agg = Aggregation(accounts, regions=(HOME,))
    account = agg.aggregator_account
    first, second = agg.fleets[(account, HOME)].instances
    ec2 = accounts.client(account, "ec2", HOME)
    query = f"SELECT resourceId, configuration.state.name, tags WHERE resourceType = '{INSTANCE}'"
    assert {r["resourceId"]: r["configuration"]["state"]["name"] for r in agg.select(query)} == {
        first: "running",
        second: "running",
    }

    ec2.stop_instances(InstanceIds=[first])
    ec2.create_tags(Resources=[first], Tags=[{"Key": "oncall", "Value": "sre"}])
    ec2.terminate_instances(InstanceIds=[second])
    ssm.set_ping_status(account, HOME, first, "ConnectionLost")

    results = {r["resourceId"]: r for r in agg.select(query)}
    assert list(results) == [first], "a terminated instance is a deleted resource"
    assert results[first]["configuration"] == {"state": {"name": "stopped"}}
    assert {"key": "oncall", "value": "sre"} in results[first]["tags"]
    inventory = agg.select(f"SELECT resourceId WHERE resourceType = '{INVENTORY}'")
    assert inventory == [], "SSM lists no node whose instance is stopped or terminated"


# The query language ------------------------------------------------------------------------------


def test_where_clauses_and_selected_properties(accounts: Accounts) -> None:
    agg = Aggregation(accounts)
    agg.authorize(HOME)
    agg.authorize(OTHER)
    source_home = agg.fleets[(agg.source, HOME)]

    assert pairs(
        agg.select(
            f"SELECT accountId, awsRegion WHERE resourceType IN ('{STREAM}') AND awsRegion = '{OTHER}'"
        )
    ) == {
        (agg.aggregator_account, OTHER),
        (agg.source, OTHER),
    }
    large = agg.select(f"SELECT resourceId WHERE resourceType = '{VOLUME}' AND configuration.size >= 100")
    assert len(large) == 4
    assert agg.select(
        f"SELECT resourceId WHERE resourceType = '{VOLUME}' AND configuration.size BETWEEN 1 AND 99"
    )
    assert (
        len(
            agg.select(
                f"SELECT resourceId WHERE resourceType = '{VOLUME}' AND NOT configuration.volumeType = 'gp3'"
            )
        )
        == 8
    )
    tagged = agg.select(
        f"SELECT resourceId WHERE resourceType = '{INSTANCE}' AND tags.tag = 'team=t-{agg.source}'"
        f" AND awsRegion = '{HOME}'"
    )
    assert sorted(r["resourceId"] for r in tagged) == sorted(source_home.instances)
    liked = agg.select(
        f"SELECT resourceId WHERE resourceType = '{STREAM}' AND resourceId LIKE 'orders-{agg.source}-%'"
    )
    assert len(liked) == 2
    either = agg.select(
        f"SELECT resourceId WHERE (resourceType = '{STREAM}' OR resourceType = '{VOLUME}')"
        f" AND accountId = '{agg.source}'"
    )
    assert len(either) == 2 + 2 + 4, "two streams, two attached volumes, four root volumes"
    by_device = agg.select(
        f"SELECT resourceId WHERE resourceType = '{INSTANCE}'"
        " AND configuration.blockDeviceMappings.deviceName = '/dev/sdf'"
    )
    assert len(by_device) == 4, "a condition on a list holds when any element does"

    reply = agg.config.select_aggregate_resource_config(
        ConfigurationAggregatorName="inventory",
        Expression=f"SELECT resourceId, configuration.volumeType, configuration.attachments.device, tags.key "
        f"WHERE resourceType = '{VOLUME}' AND resourceId = '{source_home.volume}'",
    )
    assert reply["QueryInfo"]["SelectFields"] == [
        {"Name": "resourceId"},
        {"Name": "configuration.volumeType"},
        {"Name": "configuration.attachments.device"},
        {"Name": "tags.key"},
    ]
    assert [json.loads(text) for text in reply["Results"]] == [
        {
            "resourceId": source_home.volume,
            "configuration": {"volumeType": "gp3", "attachments": [{"device": "/dev/sdf"}]},
            "tags": [{"key": "Name"}],
        }
    ]
    ordered = agg.select(f"SELECT resourceId WHERE resourceType = '{STREAM}' ORDER BY resourceId DESC")
    assert [r["resourceId"] for r in ordered] == sorted((r["resourceId"] for r in ordered), reverse=True)


def test_pages_follow_limit_and_next_token(accounts: Accounts) -> None:
    account = new_account()
    make_fleet(accounts, account, HOME, instances=60)
    config = accounts.client(account, "config")
    config.put_configuration_aggregator(
        ConfigurationAggregatorName="paged",
        AccountAggregationSources=[{"AccountIds": [account], "AwsRegions": [HOME]}],
    )
    query = f"SELECT resourceId WHERE resourceType = '{INSTANCE}'"

    def page(**params: Any) -> dict[str, Any]:
        reply: dict[str, Any] = config.select_aggregate_resource_config(
            ConfigurationAggregatorName="paged", Expression=query, **params
        )
        return reply

    assert len(page()["Results"]) == 25, "25 results a page unless told"
    assert len(page(Limit=0)["Results"]) == 25
    first = page(Limit=40)
    second = page(Limit=40, NextToken=first["NextToken"])
    assert (len(first["Results"]), len(second["Results"]), "NextToken" in second) == (40, 20, False)
    assert len(set(first["Results"]) | set(second["Results"])) == 60
    again = page(Limit=40, NextToken=first["NextToken"])
    assert again["Results"] == second["Results"], "a token can be used again"
    assert len(page(MaxResults=7)["Results"]) == 7
    assert len(select(config, "paged", query, Limit=100)) == 60

    assert error_of(lambda: page(Limit=101))[0] == "InvalidLimitException"
    assert error_of(lambda: page(NextToken="not-a-token"))[0] == "InvalidNextTokenException"
    other = config.select_aggregate_resource_config(
        ConfigurationAggregatorName="paged",
        Expression=f"SELECT resourceId WHERE resourceType = '{VOLUME}'",
        Limit=5,
    )
    assert error_of(lambda: page(NextToken=other["NextToken"]))[0] == "InvalidNextTokenException", (
        "a token belongs to its query"
    )


def test_unknown_aggregators_and_bad_expressions_are_refused(accounts: Accounts) -> None:
    agg = Aggregation(accounts, regions=(HOME,))

    code, message = error_of(lambda: select(agg.config, "nope", "SELECT resourceId"))
    assert code == "NoSuchConfigurationAggregatorException" and "does not exist" in message
    for expression in (
        "SELECT resourceId FROM resources",
        f"SELECT resourceType, COUNT(*) WHERE resourceType = '{INSTANCE}' GROUP BY resourceType",
        "SELEKT resourceId",
        "SELECT resourceId WHERE resourceType =",
        "SELECT resourceId WHERE resourceType = 'x' AND",
        "SELECT *, resourceId",
    ):
        code, _ = error_of(functools.partial(agg.select, expression))
        assert code == "InvalidExpressionException", expression


@pytest.mark.parametrize(
    ("expression", "fields", "types"),
    [
        ("select resourceId where resourceType = 'AWS::EC2::Volume'", ["resourceId"], ("AWS::EC2::Volume",)),
        (
            "SELECT configuration.state.name"
            " WHERE resourceType IN ('AWS::EC2::Instance', 'AWS::EC2::Volume')",
            ["configuration.state.name"],
            ("AWS::EC2::Instance", "AWS::EC2::Volume"),
        ),
        ("SELECT * WHERE resourceType = 'a' OR resourceType = 'b'", ["*"], None),
        ("SELECT resourceId", ["resourceId"], None),
    ],
)
def test_the_parser_reads_fields_and_the_types_a_query_needs(
    expression: str, fields: list[str], types: tuple[str, ...] | None
) -> None:
    query = config_aggregator.parse(expression)
    assert query.fields == fields
    assert query.resource_types == types


def test_the_parser_refuses_what_advanced_query_does_not_take() -> None:
    for expression in ("", "SELECT", "SELECT a WHERE b LIKE 3", "SELECT a ORDER b", "SELECT a, DISTINCT b"):
        with pytest.raises(InvalidExpression):
            config_aggregator.parse(expression)


def test_config_time_is_utc_with_milliseconds() -> None:
    moment = datetime(2024, 5, 1, 10, 0, 3, 123456, tzinfo=UTC)
    assert config_aggregator.config_time(moment) == "2024-05-01T10:00:03.123Z"
    assert config_aggregator.config_time(moment.replace(tzinfo=None)) == "2024-05-01T10:00:03.123Z"
    assert config_aggregator.config_time("2024-05-01T10:00:03+00:00") == "2024-05-01T10:00:03.000Z"


def test_moto_still_lacks_advanced_queries_over_aggregators(plain_moto_url: str) -> None:
    config = boto3.client(
        "config",
        region_name=HOME,
        endpoint_url=plain_moto_url,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    config.put_configuration_aggregator(
        ConfigurationAggregatorName="plain",
        AccountAggregationSources=[{"AccountIds": ["123456789012"], "AwsRegions": [HOME]}],
    )
    with pytest.raises(ClientError):
        config.select_aggregate_resource_config(
            ConfigurationAggregatorName="plain", Expression="SELECT resourceId"
        )
