"""The simulator as an AWS Organization (``SimServer(org=True)``, ``warroom sim serve --org``), seen
through boto3 as the console's credential sees it: the security account's "testing" keys, and the
read role it assumes in each member account.

One organization simulator serves the module, with ``--fleet 200`` and a short metric history;
the session simulator is parked meanwhile (``tests.conftest.own_simulator``). It opens its address
before seeding, as the demo's does (``identity_first``), and the security account asks for its
aggregated views (OAM links, linked metrics, findings, Config inventory) as soon as it listens,
as a console started with it would: ``early`` keeps those answers.
"""

from __future__ import annotations

import io
import json
import threading
from collections.abc import Callable, Iterator
from contextlib import redirect_stderr
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.conftest import own_simulator
from tui.cli import build_parser, main
from tui.sim import catalog, org
from tui.sim.extensions.cloudwatch import stored_counts
from tui.sim.server import SimServer

FLEET = 200
Clients = Callable[[str, str], Any]
AGGREGATING = "aggregating into security-tooling"
"""The seeding's step that makes the aggregation (``OrgWorkload.seed_all``)."""
ASKER_TIMEOUT_S = 180.0


@dataclass
class Early:
    """What the security account was answered when it asked while the organization was seeded."""

    answers: dict[str, Any] = field(default_factory=dict)
    asked_before_aggregation: dict[str, bool] = field(default_factory=dict)
    problems: dict[str, str] = field(default_factory=dict)
    askers: list[threading.Thread] = field(default_factory=list)


EARLY = Early()


@pytest.fixture(scope="module")
def org_sim() -> Iterator[SimServer]:
    steps: list[str] = []

    def ask(url: str, name: str, question: Callable[[str], Any]) -> None:
        EARLY.asked_before_aggregation[name] = AGGREGATING not in steps
        try:
            EARLY.answers[name] = question(url)
        except Exception as exc:  # the test names it
            EARLY.problems[name] = repr(exc)

    def start() -> SimServer:
        server = SimServer(
            seed=7,
            live=False,
            org=True,
            fleet=FLEET,
            backfill=timedelta(minutes=10),
            identity_first=True,
            progress=steps.append,
        )
        url = server.reserve()

        def listening() -> None:
            for name, question in EARLY_QUESTIONS.items():
                asker = threading.Thread(target=ask, args=(url, name, question), daemon=True)
                asker.start()
                EARLY.askers.append(asker)

        server.listening = listening
        return server.start()

    with own_simulator(start) as server:
        for asker in EARLY.askers:
            asker.join(ASKER_TIMEOUT_S)
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
        config=Config(retries={"max_attempts": 1}, read_timeout=ASKER_TIMEOUT_S),
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


# ---- the aggregation into the security account ----------------------------------------------


WORKLOAD_IDS = {a.account_id for a in org.WORKLOAD_ACCOUNTS}
WORKLOAD_PLACES = {(a.account_id, region) for a in org.WORKLOAD_ACCOUNTS for region in org.REGIONS}


def attached_links(url: str, region: str) -> dict[str, dict[str, Any]]:
    """Account id -> its link attached to the security account's sink in ``region``."""
    oam = keys_client(url, "oam", region)
    sinks = [s for page in oam.get_paginator("list_sinks").paginate() for s in page["Items"]]
    assert [s["Name"] for s in sinks] == [org.SINK_NAME]
    pages = oam.get_paginator("list_attached_links").paginate(SinkIdentifier=sinks[0]["Arn"])
    return {link["LinkArn"].split(":")[4]: link for page in pages for link in page["Items"]}


def linked_cpu_series(url: str, region: str) -> dict[str, set[str]]:
    """Owning account -> the instances whose CPUUtilization the security account lists in ``region``
    with its linked accounts'."""
    cloudwatch = keys_client(url, "cloudwatch", region)
    pages = cloudwatch.get_paginator("list_metrics").paginate(
        Namespace="AWS/EC2", MetricName="CPUUtilization", IncludeLinkedAccounts=True
    )
    found: dict[str, set[str]] = {}
    for page in pages:
        assert len(page["OwningAccounts"]) == len(page["Metrics"])
        for metric, owner in zip(page["Metrics"], page["OwningAccounts"], strict=True):
            ids = {d["Value"] for d in metric["Dimensions"] if d["Name"] == "InstanceId"}
            found.setdefault(owner, set()).update(ids)
    return found


def findings_of(hub: Any) -> list[dict[str, Any]]:
    return [f for page in hub.get_paginator("get_findings").paginate() for f in page["Findings"]]


def finding_places(url: str, region: str) -> dict[tuple[str, str], int]:
    """(AwsAccountId, Region) -> how many findings the security account's GetFindings in ``region``
    returns."""
    counted: dict[tuple[str, str], int] = {}
    for finding in findings_of(keys_client(url, "securityhub", region)):
        place = (finding["AwsAccountId"], finding["Region"])
        counted[place] = counted.get(place, 0) + 1
    return counted


def aggregated_instances(url: str) -> dict[tuple[str, str], set[str]]:
    """(accountId, awsRegion) -> the instances the security account's Config aggregator returns."""
    config = keys_client(url, "config", org.HOME_REGION)
    pages = config.get_paginator("select_aggregate_resource_config").paginate(
        ConfigurationAggregatorName=org.CONFIG_AGGREGATOR,
        Expression="SELECT resourceId, accountId, awsRegion WHERE resourceType = 'AWS::EC2::Instance'",
    )
    found: dict[tuple[str, str], set[str]] = {}
    for page in pages:
        for text in page["Results"]:
            item = json.loads(text)
            found.setdefault((item["accountId"], item["awsRegion"]), set()).add(item["resourceId"])
    return found


EARLY_QUESTIONS: dict[str, Callable[[str], Any]] = {
    "links": lambda url: {r: sorted(attached_links(url, r)) for r in org.REGIONS},
    "metrics": lambda url: {k: len(v) for k, v in linked_cpu_series(url, org.HOME_REGION).items()},
    "findings": lambda url: finding_places(url, org.FINDING_AGGREGATION_REGION),
    "inventory": lambda url: {k: len(v) for k, v in aggregated_instances(url).items()},
}
"""What the fixture's security account asks for as soon as the simulator listens."""


def test_each_regions_sink_has_a_link_from_each_workload_account_and_none_from_the_sandbox(url: str) -> None:
    for region in org.REGIONS:
        links = attached_links(url, region)

        assert set(links) == WORKLOAD_IDS, region
        for account_id, link in links.items():
            assert link["Label"] == org.BY_ID[account_id].name
            assert link["ResourceTypes"] == ["AWS::CloudWatch::Metric"]
            assert f":oam:{region}:{account_id}:link/" in link["LinkArn"]


def test_the_sinks_policy_lets_only_the_workload_accounts_link_their_metrics(
    org_sim: SimServer, url: str
) -> None:
    oam = keys_client(url, "oam")
    sink = oam.list_sinks()["Items"][0]["Arn"]
    statement = json.loads(oam.get_sink_policy(SinkIdentifier=sink)["Policy"])["Statement"][0]

    assert set(statement["Principal"]["AWS"]) == WORKLOAD_IDS
    assert statement["Condition"] == {
        "ForAllValues:StringEquals": {"oam:ResourceTypes": ["AWS::CloudWatch::Metric"]}
    }
    # The sandbox (through the role its management account holds there) may not link to it.
    sandbox_oam = org_sim.workload.client_of(org.SANDBOX.account_id, "oam")
    with pytest.raises(ClientError) as refused:
        sandbox_oam.create_link(
            LabelTemplate="$AccountName", ResourceTypes=["AWS::CloudWatch::Metric"], SinkIdentifier=sink
        )
    assert refused.value.response["Error"]["Code"] == "AccessDeniedException"


def test_the_security_account_lists_each_workload_accounts_metrics_as_owned_by_it(url: str) -> None:
    for region in org.REGIONS:
        owned = linked_cpu_series(url, region)

        assert set(owned) == WORKLOAD_IDS, region
        for account in org.WORKLOAD_ACCOUNTS:
            found = instances(assume(url, account.account_id)("ec2", region))
            running = {i["InstanceId"] for i in found if i["State"]["Name"] == "running"}
            assert owned[account.account_id] == running, (account.name, region)


def test_findings_in_the_aggregation_region_are_every_workload_accounts_in_both_regions(url: str) -> None:
    hub = keys_client(url, "securityhub", org.FINDING_AGGREGATION_REGION)
    aggregators = hub.list_finding_aggregators()["FindingAggregators"]
    assert len(aggregators) == 1
    aggregator = hub.get_finding_aggregator(FindingAggregatorArn=aggregators[0]["FindingAggregatorArn"])
    assert aggregator["FindingAggregationRegion"] == org.FINDING_AGGREGATION_REGION
    assert aggregator["RegionLinkingMode"] == "SPECIFIED_REGIONS"
    assert aggregator["Regions"] == ["eu-west-1"]

    seen = finding_places(url, org.FINDING_AGGREGATION_REGION)

    assert set(seen) == WORKLOAD_PLACES
    for account in org.WORKLOAD_ACCOUNTS:
        clients = assume(url, account.account_id)
        for region in org.REGIONS:
            own = findings_of(clients("securityhub", region))
            assert seen[(account.account_id, region)] == len(own), (account.name, region)


def test_findings_in_another_region_are_the_workload_accounts_there_only(url: str) -> None:
    seen = finding_places(url, "eu-west-1")

    assert set(seen) == {(account_id, "eu-west-1") for account_id in WORKLOAD_IDS}


def test_the_management_account_made_the_security_account_security_hubs_administrator(
    org_sim: SimServer,
) -> None:
    for region in org.REGIONS:
        hub = org_sim.workload.management_client("securityhub", region)
        admins = hub.list_organization_admin_accounts()["AdminAccounts"]
        assert admins == [{"AccountId": org.SECURITY_TOOLING.account_id, "Status": "ENABLED"}]


def test_the_config_aggregator_returns_every_workload_accounts_instances_in_both_regions(url: str) -> None:
    config = keys_client(url, "config", org.HOME_REGION)
    described = config.describe_configuration_aggregators()["ConfigurationAggregators"]
    assert [a["ConfigurationAggregatorName"] for a in described] == [org.CONFIG_AGGREGATOR]
    source = described[0]["OrganizationAggregationSource"]
    assert sorted(source["AwsRegions"]) == sorted(org.REGIONS)

    found = aggregated_instances(url)

    assert set(found) == WORKLOAD_PLACES
    for account in org.WORKLOAD_ACCOUNTS:
        clients = assume(url, account.account_id)
        for region in org.REGIONS:
            present = {
                i["InstanceId"]
                for i in instances(clients("ec2", region))
                if i["State"]["Name"] != "terminated"
            }
            assert found[(account.account_id, region)] == present, (account.name, region)


def test_what_the_security_account_asked_while_the_organization_was_seeded_waited_for_all_of_it(
    url: str,
) -> None:
    assert EARLY.problems == {}
    assert all(not asker.is_alive() for asker in EARLY.askers)
    assert set(EARLY.answers) == set(EARLY_QUESTIONS)
    assert all(EARLY.asked_before_aggregation.values()), EARLY.asked_before_aggregation

    for name, question in EARLY_QUESTIONS.items():
        assert EARLY.answers[name] == question(url), name
    assert EARLY.answers["links"] == {r: sorted(WORKLOAD_IDS) for r in org.REGIONS}
    assert set(EARLY.answers["metrics"]) == WORKLOAD_IDS
    assert set(EARLY.answers["findings"]) == WORKLOAD_PLACES
    assert set(EARLY.answers["inventory"]) == WORKLOAD_PLACES


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
