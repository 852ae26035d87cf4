"""The simulator as an AWS Organization (``SimServer(org=True)``, ``warroom sim serve --org``), seen
through boto3 as the console's credential sees it: the security account's "testing" keys, and the
read role it assumes in each member account.

One organization simulator serves the module, with ``--fleet 200`` and a short metric history;
the session simulator is parked meanwhile (``tests.conftest.own_simulator``).
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from contextlib import redirect_stderr
from datetime import timedelta
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from tests.conftest import own_simulator
from tui.cli import build_parser, main
from tui.sim import catalog, org
from tui.sim.extensions.cloudwatch import stored_counts
from tui.sim.server import SimServer

FLEET = 200
Clients = Callable[[str, str], Any]


@pytest.fixture(scope="module")
def org_sim() -> Iterator[SimServer]:
    def start() -> SimServer:
        server = SimServer(seed=7, live=False, org=True, fleet=FLEET, backfill=timedelta(minutes=10))
        return server.start()

    with own_simulator(start) as server:
        yield server


@pytest.fixture(scope="module")
def url(org_sim: SimServer) -> str:
    return org_sim.endpoint_url


def keys_client(url: str, service: str, region: str = org.HOME_REGION) -> Any:
    """A client with the simulator's keys: the security account's credential."""
    return boto3.client(
        service,
        region_name=region,
        endpoint_url=url,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def assume(url: str, account_id: str, role: str = org.READ_ROLE) -> Clients:
    """Clients (service, region) with the credentials of ``role`` in ``account_id``."""
    arn = f"arn:aws:iam::{account_id}:role/{role}"
    granted = keys_client(url, "sts").assume_role(RoleArn=arn, RoleSessionName="warroom-test")
    credentials = granted["Credentials"]

    def make(service: str, region: str = org.HOME_REGION) -> Any:
        return boto3.client(
            service,
            region_name=region,
            endpoint_url=url,
            aws_access_key_id=credentials["AccessKeyId"],
            aws_secret_access_key=credentials["SecretAccessKey"],
            aws_session_token=credentials["SessionToken"],
        )

    return make


def instances(ec2: Any) -> list[dict[str, Any]]:
    pages = ec2.get_paginator("describe_instances").paginate()
    return [i for page in pages for r in page["Reservations"] for i in r["Instances"]]


def name_of(instance: dict[str, Any]) -> str:
    return str(next(t["Value"] for t in instance.get("Tags", []) if t["Key"] == "Name"))


# ---- Organizations ---------------------------------------------------------------------------


def test_the_security_account_lists_the_six_accounts_with_their_names(url: str) -> None:
    client = keys_client(url, "organizations")
    pages = client.get_paginator("list_accounts").paginate()
    listed = {a["Id"]: a["Name"] for page in pages for a in page["Accounts"]}

    assert listed == {
        "100000000001": "acme-management",
        "123456789012": "security-tooling",
        "210987654321": "payments-prod",
        "345678901234": "ledger-prod",
        "456789012345": "analytics-dev",
        "567890123456": "sandbox",
    }
    described = client.describe_organization()["Organization"]
    assert described["MasterAccountId"] == org.MANAGEMENT.account_id
    admins = client.list_delegated_administrators()["DelegatedAdministrators"]
    assert [a["Id"] for a in admins] == [org.SECURITY_TOOLING.account_id]


def test_a_member_that_is_no_delegated_administrator_may_not_list_the_accounts(url: str) -> None:
    member = assume(url, org.PAYMENTS_PROD.account_id)("organizations", org.HOME_REGION)

    with pytest.raises(ClientError) as refused:
        member.list_accounts()

    assert refused.value.response["Error"]["Code"] == "AccessDeniedException"


def test_an_account_outside_the_organization_is_told_it_is_in_none(url: str) -> None:
    # Outside the organization moto's leniency stays: a role that does not exist is assumed.
    outsider = assume(url, "111122223333", "made-up")("organizations", org.HOME_REGION)

    with pytest.raises(ClientError) as refused:
        outsider.list_accounts()

    assert refused.value.response["Error"]["Code"] == "AWSOrganizationsNotInUseException"


# ---- roles -----------------------------------------------------------------------------------


def test_the_read_role_is_assumed_in_every_account_but_the_sandbox(url: str) -> None:
    for account in org.ACCOUNTS:
        if not account.readable:
            continue
        identity = assume(url, account.account_id)("sts", org.HOME_REGION).get_caller_identity()
        assert identity["Account"] == account.account_id
        assert identity["Arn"].endswith(f":assumed-role/{org.READ_ROLE}/warroom-test")


def test_assuming_the_read_role_in_the_sandbox_is_denied_as_aws_words_it(url: str) -> None:
    role = f"arn:aws:iam::{org.SANDBOX.account_id}:role/{org.READ_ROLE}"

    with pytest.raises(ClientError) as refused:
        keys_client(url, "sts").assume_role(RoleArn=role, RoleSessionName="warroom-test")

    error = refused.value.response["Error"]
    assert error["Code"] == "AccessDenied"
    assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert error["Message"] == (
        "User: arn:aws:iam::123456789012:user/moto is not authorized to perform: "
        f"sts:AssumeRole on resource: {role}"
    )


def test_each_workload_account_has_the_remediation_role_trusting_the_security_account(url: str) -> None:
    for account in org.WORKLOAD_ACCOUNTS:
        role = assume(url, account.account_id)("iam", org.HOME_REGION).get_role(RoleName=org.REMEDIATION_ROLE)
        statement = role["Role"]["AssumeRolePolicyDocument"]["Statement"][0]
        assert statement["Principal"] == {"AWS": f"arn:aws:iam::{org.SECURITY_TOOLING.account_id}:root"}


# ---- workloads -------------------------------------------------------------------------------


def test_each_workload_account_shows_its_own_fleet_in_both_regions(url: str) -> None:
    sizes = iter(org.fleet_sizes(FLEET))
    seen_ids: set[str] = set()
    total = 0
    for account in org.WORKLOAD_ACCOUNTS:
        clients = assume(url, account.account_id)
        for region in org.REGIONS:
            found = instances(clients("ec2", region))
            assert len(found) == next(sizes), (account.name, region)
            assert {i["Placement"]["AvailabilityZone"][:-1] for i in found} == {region}
            names = {name_of(i) for i in found}
            assert f"{account.prefix}payments-db-1" in names
            assert all(name.startswith(account.prefix) for name in names)
            ids = {i["InstanceId"] for i in found}
            assert not ids & seen_ids, "two accounts share instance ids"
            seen_ids |= ids
            total += len(found)

    assert total == FLEET


def test_the_security_account_holds_no_fleet(url: str) -> None:
    for region in org.REGIONS:
        assert instances(keys_client(url, "ec2", region)) == []


def test_each_workload_account_has_its_streams_and_its_own_findings_in_both_regions(url: str) -> None:
    for account in org.WORKLOAD_ACCOUNTS:
        clients = assume(url, account.account_id)
        for region in org.REGIONS:
            streams = clients("kinesis", region).list_streams()["StreamNames"]
            assert sorted(streams) == sorted(s.name for s in catalog.STREAMS)
            findings = clients("securityhub", region).get_findings(MaxResults=100)["Findings"]
            assert findings, (account.name, region)
            assert {f["AwsAccountId"] for f in findings} == {account.account_id}
            assert {f["Region"] for f in findings} == {region}


def cpu_series(cloudwatch: Any) -> set[str]:
    """The instances whose CPUUtilization the CloudWatch of ``cloudwatch``'s account lists."""
    listed = cloudwatch.list_metrics(Namespace="AWS/EC2", MetricName="CPUUtilization")["Metrics"]
    return {d["Value"] for m in listed for d in m["Dimensions"] if d["Name"] == "InstanceId"}


def test_each_account_reads_its_own_metrics_from_its_own_cloudwatch(url: str) -> None:
    for account in org.WORKLOAD_ACCOUNTS:
        clients = assume(url, account.account_id)
        for region in org.REGIONS:
            found = instances(clients("ec2", region))
            running = {i["InstanceId"] for i in found if i["State"]["Name"] == "running"}
            assert cpu_series(clients("cloudwatch", region)) == running, (account.name, region)
    assert cpu_series(keys_client(url, "cloudwatch")) == set()


def test_one_tick_writes_the_new_minutes_of_every_account_into_its_own_cloudwatch(org_sim: SimServer) -> None:
    workload = org_sim.workload
    slots = [(a.account_id, region) for a in org.WORKLOAD_ACCOUNTS for region in org.REGIONS]
    before = {slot: stored_counts(*slot)[1] for slot in slots}
    security_before = stored_counts(org.SECURITY_TOOLING.account_id, org.HOME_REGION)

    written = workload.tick(workload.seeded_at + timedelta(minutes=3))

    assert written == 3 * len(slots)
    for slot in slots:
        assert stored_counts(*slot)[1] > before[slot], slot
    assert stored_counts(org.SECURITY_TOOLING.account_id, org.HOME_REGION) == security_before


# ---- the fleet's size and the commands -------------------------------------------------------


def test_a_grown_fleet_copies_the_catalogs_instances_under_new_numbers() -> None:
    grown = catalog.grown_fleet(len(catalog.INSTANCES) + 13)

    names = [spec.name for spec in grown]
    assert names[: len(catalog.INSTANCES)] == [spec.name for spec in catalog.INSTANCES]
    assert len(set(names)) == len(names)
    assert "payments-api-3" in names  # after payments-api-1 and -2
    keys = [volume.key for spec in grown for volume in spec.volumes]
    assert len(set(keys)) == len(keys)
    for spec in grown:
        assert all(volume.key.startswith(f"{spec.name}:") for volume in spec.volumes)
    with pytest.raises(ValueError, match="smaller"):
        catalog.grown_fleet(len(catalog.INSTANCES) - 1)


def test_the_fleet_is_dealt_over_the_workload_accounts_and_regions() -> None:
    base = len(catalog.INSTANCES)
    assert org.fleet_sizes(None) == [base] * org.SLOTS
    sizes = org.fleet_sizes(2000)
    assert sum(sizes) == 2000
    assert max(sizes) - min(sizes) <= 1
    with pytest.raises(ValueError, match="too small for the organization"):
        org.fleet_sizes(base * org.SLOTS - 1)


def test_serve_and_demo_take_org_and_fleet() -> None:
    for command in (["sim", "serve"], ["demo"]):
        args = build_parser().parse_args([*command, "--org", "--fleet", "200"])
        assert (args.org, args.fleet) == (True, 200)


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["sim", "serve", "--org", "--fleet", "10"], "too small for the organization"),
        (["sim", "serve", "--fleet", "3"], "smaller than the workload's own fleet"),
        (["sim", "serve", "--org", "--empty"], "--org needs the workload"),
        (["sim", "serve", "--org", "--scenario", "default"], "--org takes no faults yet"),
        (["demo", "--org", "--fleet", "10"], "too small for the organization"),
    ],
)
def test_impossible_org_and_fleet_options_end_the_command_with_one_line(argv: list[str], said: str) -> None:
    err = io.StringIO()
    with redirect_stderr(err), pytest.raises(SystemExit) as ended:
        main(argv)

    assert ended.value.code == 2
    assert said in err.getvalue()
    assert len(err.getvalue().strip().splitlines()) == 1


def test_the_demo_console_watches_the_organizations_regions() -> None:
    from tui import cli
    from tui.sim import org

    assert tuple(org.REGIONS) == cli.DEMO_ORG_REGIONS
