"""The overview poller against the simulator: values, the calls it makes (never Security Hub's: its
card reads the Findings feed), and the calls' failures kept per card."""

from __future__ import annotations

from tests.helpers import sim_settings
from tests.json_doc import json_of
from tui.aws import overview
from tui.aws.clients import AwsTarget, ClientFactory
from tui.aws.errors import ErrorKind


async def test_overview_poll_reads_the_fleet(sim_url: str, client) -> None:  # type: ignore[no-untyped-def]
    factory = ClientFactory(sim_settings(sim_url).target)
    try:
        snap = await overview.poll(factory)
    finally:
        await factory.close()
    assert snap.error is None
    assert snap.identity is not None and snap.identity.account == "123456789012"
    (region,) = snap.regions
    ec2 = client("ec2")
    instances = [i for r in ec2.describe_instances()["Reservations"] for i in r["Instances"]]
    running = sum(1 for i in instances if i["State"]["Name"] == "running")
    assert region.ec2.value is not None
    assert region.ec2.value.states["running"] == running
    assert region.ec2.value.vcpu_quota.value == 640.0
    assert region.ec2.value.standard_vcpus is not None and region.ec2.value.standard_vcpus >= running
    volumes = ec2.describe_volumes()["Volumes"]
    assert region.ebs.value is not None and region.ebs.value.volumes == len(volumes)
    assert region.ebs.value.unattached == 1
    assert region.kinesis.value is not None and 2 <= region.kinesis.value.streams <= 3
    assert region.sessions.value is not None and region.sessions.value.hybrid == 2
    assert region.sessions.value.by_ping.get("ConnectionLost", 0) >= 1
    # The Security Hub card is drawn from the Findings feed: the Overview never pages GetFindings.
    assert not any(call.startswith("securityhub:") for call in factory.calls)
    doc = json_of(snap)
    assert doc["identity"]["account"] == "123456789012"
    assert doc["regions"][0]["ec2"]["value"]["vcpu_quota"]["value"] == 640.0


async def test_unreachable_endpoint_is_a_problem_not_a_crash() -> None:
    target = AwsTarget(
        regions=("us-east-1",), endpoint_url="http://127.0.0.1:9", access_key="testing", secret_key="testing"
    )
    factory = ClientFactory(target)
    try:
        snap = await overview.poll(factory)
    finally:
        await factory.close()
    assert snap.identity is None
    assert snap.error is not None and snap.error.kind is ErrorKind.NETWORK
