"""Limits through a CloudWatch monitoring account: the credential's own account has an OAM sink that
a member account links to, so the member's metrics are read through it, with AccountId in each
query, in the same GetMetricData calls as its own (500 queries a call); an account that is not
linked is read with its role. Against the simulator, whose OAM is tested in tests/sim/test_ext_oam.py."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.sim.assumed import HOME_ACCOUNT, Accounts, account_ids
from tui.aws.clients import AwsTarget, ClientFactory
from tui.aws.limits import LimitsPoller
from tui.aws.scope import Place

REGION = "eu-north-1"
new_account = account_ids("3600")


@pytest.fixture(autouse=True)
def _unpinned(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MOTO_ACCOUNT_ID", raising=False)


def _instance_with_traffic(accounts: Accounts, account: str) -> str:
    ec2 = accounts.client(account, "ec2", REGION)
    image = ec2.describe_images()["Images"][0]["ImageId"]
    iid = str(
        ec2.run_instances(
            ImageId=image, InstanceType="m5.large", MinCount=1, MaxCount=1, Monitoring={"Enabled": True}
        )["Instances"][0]["InstanceId"]
    )
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    accounts.client(account, "cloudwatch", REGION).put_metric_data(
        Namespace="AWS/EC2",
        MetricData=[
            {
                "MetricName": "NetworkIn",
                "Dimensions": [{"Name": "InstanceId", "Value": iid}],
                "Timestamp": now - timedelta(minutes=m),
                "Value": 750_000_000.0,  # bytes a minute: 100 Mbit/s
                "Unit": "Bytes",
            }
            for m in range(2, 8)
        ],
    )
    return iid


def _link(accounts: Accounts, source: str) -> None:
    """The credential's own account monitors ``source``: a sink in REGION (made once), its policy
    allowing ``source`` too, and ``source``'s link to it."""
    oam = accounts.client(HOME_ACCOUNT, "oam", REGION)
    sinks = oam.list_sinks()["Items"]
    sink = sinks[0]["Arn"] if sinks else oam.create_sink(Name="warroom-monitoring")["Arn"]
    allowed = [source]
    if sinks:
        policy = json.loads(oam.get_sink_policy(SinkIdentifier=sink)["Policy"])
        allowed += policy["Statement"][0]["Principal"]["AWS"]
    statement = {
        "Effect": "Allow",
        "Principal": {"AWS": allowed},
        "Action": ["oam:CreateLink"],
        "Resource": "*",
    }
    oam.put_sink_policy(
        SinkIdentifier=sink, Policy=json.dumps({"Version": "2012-10-17", "Statement": [statement]})
    )
    accounts.client(source, "oam", REGION).create_link(
        LabelTemplate="$AccountName", ResourceTypes=["AWS::CloudWatch::Metric"], SinkIdentifier=sink
    )


async def test_a_linked_account_is_read_through_the_monitoring_account(sim_url: str) -> None:
    accounts = Accounts(sim_url)
    linked, alone = new_account(), new_account()
    linked_iid = _instance_with_traffic(accounts, linked)
    alone_iid = _instance_with_traffic(accounts, alone)
    _link(accounts, linked)
    factory = ClientFactory(
        AwsTarget(regions=(REGION,), endpoint_url=sim_url, access_key="testing", secret_key="testing")
    )

    def role(account: str) -> str:
        return f"arn:aws:iam::{account}:role/warroom-readonly"

    factory.set_places(
        [
            Place(REGION, HOME_ACCOUNT),
            Place(REGION, linked, "linked", role(linked)),
            Place(REGION, alone, "alone", role(alone)),
        ]
    )
    poller = LimitsPoller(factory)
    try:
        snapshot = await poller.poll()
    finally:
        await factory.close()
    assert poller.linked[REGION] == frozenset({linked})
    views = {i.instance_id: i for i in snapshot.instances}
    assert views[linked_iid].account_id == linked
    assert views[linked_iid].net_in_mbps == pytest.approx(100.0, rel=0.01), "read through AccountId"
    assert views[alone_iid].net_in_mbps == pytest.approx(100.0, rel=0.01), "read with its own role"
    # Home and the linked account in one call; the account that is not linked in one of its own.
    calls = {k: v for k, v in factory.calls.items() if k.endswith("GetMetricData")}
    assert sum(calls.values()) == 2, calls


async def test_kinesis_reads_a_linked_accounts_streams_metrics_through_it(
    sim_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tui.aws import kinesis
    from tui.aws.kinesis import KinesisPoller

    asked: list[tuple[str | None, set[str]]] = []
    real = kinesis.get_metric_data

    async def spy(factory: Any, region: str, queries: Any, *args: Any, **kwargs: Any) -> Any:
        asked.append((kwargs.get("role_arn"), {q.account_id for q in queries}))
        return await real(factory, region, queries, *args, **kwargs)

    monkeypatch.setattr(kinesis, "get_metric_data", spy)

    accounts = Accounts(sim_url)
    linked = new_account()
    accounts.client(linked, "kinesis", REGION).create_stream(StreamName="linked-events", ShardCount=1)
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    accounts.client(linked, "cloudwatch", REGION).put_metric_data(
        Namespace="AWS/Kinesis",
        MetricData=[
            {
                "MetricName": "IncomingRecords",
                "Dimensions": [{"Name": "StreamName", "Value": "linked-events"}],
                "Timestamp": now - timedelta(minutes=m),
                "Value": 30_000.0,
                "Unit": "Count",
            }
            for m in range(2, 8)
        ],
    )
    _link(accounts, linked)
    factory = ClientFactory(
        AwsTarget(regions=(REGION,), endpoint_url=sim_url, access_key="testing", secret_key="testing")
    )
    factory.set_places([Place(REGION, linked, "linked", f"arn:aws:iam::{linked}:role/warroom-readonly")])
    poller = KinesisPoller(factory)
    try:
        snapshot = await poller.poll()
    finally:
        await factory.close()
    assert linked in poller.linked[REGION]
    (stream,) = [s for s in snapshot.streams if s.stream_name == "linked-events"]
    assert stream.account_id == linked
    assert stream.incoming_records_per_s == pytest.approx(500.0, rel=0.01)
    assert factory.calls["sts:AssumeRole"] == 1, "the stream is listed with the role"
    assert asked and all(role is None and accounts_named == {linked} for role, accounts_named in asked), (
        "its metrics are read by the monitoring account, naming the linked account"
    )
