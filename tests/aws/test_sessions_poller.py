"""The Sessions poller against the simulator: the seeded managed instances (EC2 and hybrid) joined with
their EC2 Name tags, agent and ping status, sort order, DescribeInstanceInformation pages of 50, active
sessions and the newest 100 of the history, the JSON contract, and single APIs failing.

The seeded us-east-1 is read only here. Region eu-south-2 is shared with test_session_launch.py (this
package's other sessions module): what this module registers or starts there it finds by its own ids,
and counts hold whatever the other module left there.
"""

from __future__ import annotations

import math
import secrets
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from tests.json_doc import check_document, json_of
from tui.aws.clients import AwsTarget, ClientFactory
from tui.aws.sessions import (
    HISTORY_LIMIT,
    INFO_PAGE_SIZE,
    NAMES_REFRESH_S,
    ManagedTarget,
    SessionsPoller,
    SessionsSnapshot,
)
from tui.sim import catalog
from tui.sim.account import ACCOUNT_ID
from tui.sim.extensions.ssm import ManagedNode, register_node

SEEDED = "us-east-1"
OWN = "eu-south-2"
FIXED = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def _boto(url: str, service: str, region: str) -> Any:
    return boto3.client(
        service,
        region_name=region,
        endpoint_url=url,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def _factory(url: str, *regions: str) -> ClientFactory:
    return ClientFactory(
        AwsTarget(regions=regions, endpoint_url=url, access_key="testing", secret_key="testing")
    )


@pytest.fixture
async def seeded(sim_url: str) -> AsyncIterator[ClientFactory]:
    made = _factory(sim_url, SEEDED)
    try:
        yield made
    finally:
        await made.close()


@pytest.fixture
async def own(sim_url: str) -> AsyncIterator[ClientFactory]:
    made = _factory(sim_url, OWN)
    try:
        yield made
    finally:
        await made.close()


@pytest.fixture
async def both(sim_url: str) -> AsyncIterator[ClientFactory]:
    made = _factory(sim_url, SEEDED, OWN)
    try:
        yield made
    finally:
        await made.close()


def _mi() -> str:
    return f"mi-{secrets.token_hex(9)[:17]}"


def deny(code: str, operation: str) -> Callable[..., None]:
    def fail(**_: Any) -> None:
        raise ClientError({"Error": {"Code": code, "Message": f"{operation} refused by the test"}}, operation)

    return fail


def seeded_truth(url: str) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """What boto3 reads from the seeded region: every managed node, and EC2 Name tags by id."""
    ssm = _boto(url, "ssm", SEEDED)
    nodes = [
        n
        for page in ssm.get_paginator("describe_instance_information").paginate()
        for n in page["InstanceInformationList"]
    ]
    ec2 = _boto(url, "ec2", SEEDED)
    names: dict[str, str] = {}
    for reservation in ec2.describe_instances()["Reservations"]:
        for instance in reservation["Instances"]:
            for tag in instance.get("Tags") or ():
                if tag["Key"] == "Name":
                    names[instance["InstanceId"]] = tag["Value"]
    return nodes, names


# ---------------------------------------------------------------------------------------------
# The seeded workload
# ---------------------------------------------------------------------------------------------


async def test_every_managed_instance_is_listed_ec2_and_hybrid_with_names(
    seeded: ClientFactory, sim_url: str
) -> None:
    snapshot = await SessionsPoller(seeded, clock=lambda: FIXED).poll()
    nodes, names = seeded_truth(sim_url)
    assert snapshot.fetched_at == FIXED and snapshot.error is None and snapshot.errors == ()
    assert {t.instance_id for t in snapshot.instances} == {n["InstanceId"] for n in nodes}

    ec2 = [t for t in snapshot.instances if not t.hybrid]
    hybrid = [t for t in snapshot.instances if t.hybrid]
    expected_ec2 = sum(1 for spec in catalog.INSTANCES if spec.running and spec.ssm_managed)
    assert len(ec2) == expected_ec2 > 0
    assert len(hybrid) == len(catalog.HYBRID_NODES) == 2
    for target in ec2:
        assert target.resource_type == "EC2Instance" and target.instance_id.startswith("i-")
        assert target.name == names[target.instance_id] != ""
        assert target.region == SEEDED and target.iam_role == catalog.INSTANCE_ROLE
        assert target.activation_id is None
    assert {t.name for t in ec2} <= {spec.name for spec in catalog.INSTANCES}

    specs = {spec.name: spec for spec in catalog.HYBRID_NODES}
    for target in hybrid:
        spec = specs[target.name]
        assert target.resource_type == "ManagedInstance" and target.instance_id.startswith("mi-")
        assert target.ip_address == spec.ip_address and target.computer_name == spec.computer_name
        assert target.platform_name == spec.platform_name and target.platform_version == spec.platform_version
        assert target.online is spec.online
        assert target.ping_status == ("Online" if spec.online else "ConnectionLost")
        assert target.activation_id and target.iam_role == catalog.HYBRID_ROLE


async def test_agent_versions_ping_times_and_the_sort_order(seeded: ClientFactory, sim_url: str) -> None:
    snapshot = await SessionsPoller(seeded).poll()
    nodes, _ = seeded_truth(sim_url)
    by_id = {n["InstanceId"]: n for n in nodes}
    for target in snapshot.instances:
        raw = by_id[target.instance_id]
        assert target.agent_version == raw["AgentVersion"]
        assert target.agent_outdated is (not raw["IsLatestVersion"])
        assert target.platform_type == raw["PlatformType"]
        assert target.last_ping_at is not None and target.last_ping_at.tzinfo is not None
        assert target.last_ping_at == raw["LastPingDateTime"]
    assert any(t.agent_outdated for t in snapshot.instances if not t.hybrid)
    lost = next(t for t in snapshot.instances if not t.online)
    assert lost.name == "branch-pos-gw-2" and lost.agent_outdated is True
    assert snapshot.instances[-1] == lost  # offline last

    online = [t for t in snapshot.instances if t.online]
    assert [t.name.lower() for t in online] == sorted(t.name.lower() for t in online)
    assert snapshot.instances[: len(online)] == tuple(online)


async def test_json_has_exactly_the_documented_shape(seeded: ClientFactory) -> None:
    snapshot = await SessionsPoller(seeded).poll()
    doc = json_of(snapshot)
    assert check_document("sessions", doc) == len(snapshot.instances) + len(doc["sessions"])
    assert doc["errors"] == []
    assert len(doc["instances"]) == len(snapshot.instances)
    hybrid = next(i for i in doc["instances"] if i["name"] == "onprem-hsm-gw-1")
    assert hybrid["resource_type"] == "ManagedInstance" and hybrid["ping_status"] == "Online"
    assert hybrid["agent_outdated"] is False
    assert datetime.fromisoformat(hybrid["last_ping_at"]).tzinfo is not None


def test_sessions_json_lists_active_then_history() -> None:
    def view(session_id: str, active: bool) -> Any:
        from tui.aws.sessions import SessionView

        return SessionView(
            session_id,
            "mi-0123456789abcdef0",
            "arn:aws:iam::123456789012:user/ops",
            "Connected" if active else "Terminated",
            FIXED,
            None if active else FIXED,
            "AWS-StartSSHSession",
            None,
            OWN,
            active,
        )

    snapshot = SessionsSnapshot(
        FIXED, active=(view("a", True),), history=(view("h1", False), view("h2", False))
    )
    doc = json_of(snapshot)
    assert [s["session_id"] for s in doc["sessions"]] == ["a", "h1", "h2"]
    assert doc["sessions"][0] == {
        "session_id": "a",
        "target": "mi-0123456789abcdef0",
        "owner": "arn:aws:iam::123456789012:user/ops",
        "status": "Connected",
        "start_date": FIXED.isoformat().replace("+00:00", "Z"),
        "document_name": "AWS-StartSSHSession",
        "region": OWN,
        "account_id": None,
    }


# ---------------------------------------------------------------------------------------------
# Pages, sessions and history in this module's own region
# ---------------------------------------------------------------------------------------------


async def test_describe_instance_information_is_read_50_a_page(own: ClientFactory, sim_url: str) -> None:
    mine = [_mi() for _ in range(57)]
    for n, node_id in enumerate(mine):
        register_node(
            ACCOUNT_ID,
            OWN,
            ManagedNode(node_id, resource_type="ManagedInstance", name=f"page-node-{n:02d}"),
        )
    ssm = _boto(sim_url, "ssm", OWN)
    total = sum(
        len(page["InstanceInformationList"])
        for page in ssm.get_paginator("describe_instance_information").paginate()
    )
    snapshot = await SessionsPoller(own).poll()
    listed = {t.instance_id: t for t in snapshot.instances}
    assert set(mine) <= set(listed)
    assert len(snapshot.instances) == total
    assert all(listed[i].name.startswith("page-node-") and listed[i].hybrid for i in mine)
    assert own.calls["ssm:DescribeInstanceInformation"] == math.ceil(total / INFO_PAGE_SIZE) >= 2
    # Only hybrid nodes of this module's own are unnamed by EC2: no EC2 call is needed for them.
    assert own.calls["ec2:DescribeInstances"] == (1 if any(not t.hybrid for t in snapshot.instances) else 0)


async def test_active_sessions_and_the_newest_100_of_the_history(own: ClientFactory, sim_url: str) -> None:
    node = _mi()
    register_node(ACCOUNT_ID, OWN, ManagedNode(node, resource_type="ManagedInstance", name="history-node"))
    ssm = _boto(sim_url, "ssm", OWN)
    ended = []
    for _ in range(HISTORY_LIMIT + 5):
        session_id = ssm.start_session(Target=node)["SessionId"]
        ssm.terminate_session(SessionId=session_id)
        ended.append(session_id)
    shell = ssm.start_session(Target=node, Reason="on call")["SessionId"]
    forward = ssm.start_session(
        Target=node,
        DocumentName="AWS-StartPortForwardingSession",
        Parameters={"portNumber": ["8080"], "localPortNumber": ["18080"]},
    )["SessionId"]
    try:
        snapshot = await SessionsPoller(own).poll()
    finally:
        ssm.terminate_session(SessionId=shell)
        ssm.terminate_session(SessionId=forward)

    active = {s.session_id: s for s in snapshot.active}
    assert {shell, forward} <= set(active)
    assert all(s.active and s.status == "Connected" and s.end_date is None for s in snapshot.active)
    assert active[shell].document_name == "SSM-SessionManagerRunShell" and active[shell].reason == "on call"
    assert active[forward].document_name == "AWS-StartPortForwardingSession"
    assert active[shell].target == node and active[shell].region == OWN
    assert active[shell].owner.startswith("arn:aws:iam::")

    assert len(snapshot.history) == HISTORY_LIMIT
    assert all(not s.active and s.end_date is not None for s in snapshot.history)
    starts = [s.start_date for s in snapshot.history]
    assert all(start is not None for start in starts)
    assert starts == sorted(starts, reverse=True)  # type: ignore[type-var]
    assert ended[-1] in {s.session_id for s in snapshot.history}
    assert ended[0] not in {s.session_id for s in snapshot.history}

    doc = json_of(snapshot)
    assert [s["session_id"] for s in doc["sessions"]] == [
        *(s.session_id for s in snapshot.active),
        *(s.session_id for s in snapshot.history),
    ]
    assert check_document("sessions", doc) == len(doc["instances"]) + len(doc["sessions"])


# ---------------------------------------------------------------------------------------------
# Failures
# ---------------------------------------------------------------------------------------------


async def test_ec2_failing_leaves_names_blank_with_an_error(seeded: ClientFactory) -> None:
    ec2 = await seeded.client("ec2", SEEDED)
    ec2.meta.events.register(
        "before-call.ec2.DescribeInstances", deny("UnauthorizedOperation", "DescribeInstances")
    )
    snapshot = await SessionsPoller(seeded).poll()
    assert snapshot.error is None
    assert [(e.region, e.api) for e in snapshot.errors] == [(SEEDED, "ec2:DescribeInstances")]
    assert "access denied" in snapshot.errors[0].message and "names unknown" in snapshot.errors[0].message
    assert "grant DescribeInstances" in snapshot.errors[0].hint
    assert all(t.name == "" for t in snapshot.instances if not t.hybrid)
    assert {t.name for t in snapshot.instances if t.hybrid} == {n.name for n in catalog.HYBRID_NODES}
    assert json_of(snapshot)["errors"][0]["api"] == "ec2:DescribeInstances"


async def test_describe_sessions_failing_keeps_the_instances(seeded: ClientFactory) -> None:
    ssm = await seeded.client("ssm", SEEDED)
    ssm.meta.events.register(
        "before-call.ssm.DescribeSessions", deny("AccessDeniedException", "DescribeSessions")
    )
    snapshot = await SessionsPoller(seeded).poll()
    assert snapshot.error is None and snapshot.active == () and snapshot.history == ()
    assert sorted(e.api for e in snapshot.errors) == [
        "ssm:DescribeSessions (Active)",
        "ssm:DescribeSessions (History)",
    ]
    assert len(snapshot.instances) == len(catalog.HYBRID_NODES) + sum(
        1 for spec in catalog.INSTANCES if spec.running and spec.ssm_managed
    )


async def test_instance_information_failing_in_one_region_leaves_the_other(both: ClientFactory) -> None:
    ssm = await both.client("ssm", OWN)
    ssm.meta.events.register(
        "before-call.ssm.DescribeInstanceInformation",
        deny("AccessDeniedException", "DescribeInstanceInformation"),
    )
    snapshot = await SessionsPoller(both).poll()
    assert snapshot.error is None
    assert [(e.region, e.api) for e in snapshot.errors] == [(OWN, "ssm:DescribeInstanceInformation")]
    assert snapshot.instances and {t.region for t in snapshot.instances} == {SEEDED}


async def test_instance_information_failing_everywhere_is_the_polls_error(both: ClientFactory) -> None:
    for region in (SEEDED, OWN):
        ssm = await both.client("ssm", region)
        ssm.meta.events.register(
            "before-call.ssm.DescribeInstanceInformation",
            deny("ThrottlingException", "DescribeInstanceInformation"),
        )
    snapshot = await SessionsPoller(both).poll()
    assert snapshot.error is not None and snapshot.error.operation == "DescribeInstanceInformation"
    assert snapshot.instances == ()
    assert {e.region for e in snapshot.errors} == {SEEDED, OWN}
    assert both.calls["ec2:DescribeInstances"] == 0
    assert json_of(snapshot)["errors"][-1]["api"] == "DescribeInstanceInformation"


def test_targets_know_hybrid_and_online() -> None:
    base: dict[str, Any] = {
        "name": "",
        "resource_type": "ManagedInstance",
        "platform_type": None,
        "platform_name": None,
        "platform_version": None,
        "agent_version": None,
        "agent_outdated": None,
        "ip_address": None,
        "computer_name": None,
        "last_ping_at": None,
        "region": OWN,
    }
    hybrid = ManagedTarget(instance_id="mi-0123456789abcdef0", ping_status="Inactive", **base)
    ec2 = ManagedTarget(instance_id="i-0123456789abcdef0", ping_status="Online", **base)
    assert hybrid.hybrid and not hybrid.online
    assert not ec2.hybrid and ec2.online


async def test_names_are_read_whole_every_few_minutes_and_only_for_new_instances_between(
    own: ClientFactory, sim_url: str
) -> None:
    """Describing every instance each cycle for its Name tag cost a third of the console's CPU at
    2,000 instances: a cycle describes only the instances it has not named yet, and all of them
    again after ``NAMES_REFRESH_S`` (a rename shows then)."""
    ec2 = _boto(sim_url, "ec2", OWN)
    image = ec2.describe_images()["Images"][0]["ImageId"]

    def launch(name: str) -> str:
        made = ec2.run_instances(ImageId=image, InstanceType="t3.micro", MinCount=1, MaxCount=1)
        iid = str(made["Instances"][0]["InstanceId"])
        ec2.create_tags(Resources=[iid], Tags=[{"Key": "Name", "Value": name}])
        register_node(ACCOUNT_ID, OWN, ManagedNode(iid))
        return iid

    first = launch("names-first")
    now = [FIXED]
    poller = SessionsPoller(own, clock=lambda: now[0])
    described: list[list[str]] = []
    client = await own.client("ec2", OWN)

    def seen(params: dict[str, Any], **_: Any) -> None:
        described.append(sorted(params["Filters"][0]["Values"]))

    client.meta.events.register("provide-client-params.ec2.DescribeInstances", seen)

    def names(snapshot: SessionsSnapshot) -> dict[str, str]:
        return {t.instance_id: t.name for t in snapshot.instances if t.instance_id in (first, second)}

    await poller.poll()
    assert first in described[-1]
    whole = len(described[-1])
    described.clear()
    second = launch("names-second")
    ec2.create_tags(Resources=[first], Tags=[{"Key": "Name", "Value": "names-renamed"}])
    snapshot = await poller.poll()
    assert described == [[second]], "only the instance not named yet"
    assert names(snapshot) == {first: "names-first", second: "names-second"}
    described.clear()
    await poller.poll()
    assert described == [], "every instance named: none described"
    now[0] = FIXED + timedelta(seconds=NAMES_REFRESH_S)
    snapshot = await poller.poll()
    assert len(described) == 1 and len(described[0]) == whole + 1, "all of them again"
    assert names(snapshot) == {first: "names-renamed", second: "names-second"}
