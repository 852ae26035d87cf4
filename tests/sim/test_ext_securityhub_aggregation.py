"""Security Hub across an organization in the simulator: a delegated administrator sees its member
accounts' findings, a finding aggregator brings the linked Regions' into the home Region, and the
administrator updates a member's finding.

Each test builds an organization of its own (AWS Organizations' CreateOrganization and
CreateAccount, from a management account with an id starting 3200), so nothing here meets another
test's findings; every account is reached by assuming a role in it (``tests.sim.assumed``).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from tests.sim.assumed import Accounts, account_ids, make_organization
from tui.sim.extensions import securityhub_aggregation

HOME = "us-east-1"
LINKED = "eu-west-1"
FAR = "ap-southeast-2"
NOW = datetime.now(UTC).replace(microsecond=0)
LABELS = {0: "INFORMATIONAL", 1: "LOW", 40: "MEDIUM", 70: "HIGH", 90: "CRITICAL"}

new_account = account_ids("3200")


@pytest.fixture(scope="module")
def accounts(sim_url: str) -> Accounts:
    return Accounts(sim_url)


@pytest.fixture(autouse=True)
def _unpinned(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MOTO_ACCOUNT_ID", raising=False)


def _ts(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def finding(account: str, region: str, n: int, *, normalized: int, updated: datetime) -> dict[str, Any]:
    label = max((k for k in LABELS if k <= normalized), key=int)
    return {
        "SchemaVersion": "2018-10-08",
        "Id": f"arn:aws:securityhub:{region}:{account}:finding/agg-{n}",
        "ProductArn": f"arn:aws:securityhub:{region}:{account}:product/{account}/default",
        "GeneratorId": "warroom-test/aggregation",
        "AwsAccountId": account,
        "Region": region,
        "Types": ["Software and Configuration Checks"],
        "CreatedAt": _ts(updated - timedelta(days=1)),
        "UpdatedAt": _ts(updated),
        "Severity": {"Label": LABELS[label], "Normalized": normalized},
        "Title": f"finding {n} of {account} in {region}",
        "Description": "aggregation test",
        "Resources": [
            {"Type": "AwsEc2Instance", "Id": f"arn:aws:ec2:{region}:{account}:instance/i-{n:017x}"}
        ],
        "Workflow": {"Status": "NEW"},
        "RecordState": "ACTIVE",
    }


def ident(finding: dict[str, Any]) -> dict[str, str]:
    return {"Id": finding["Id"], "ProductArn": finding["ProductArn"]}


def error_of(call: Callable[[], Any]) -> tuple[str, str, int]:
    with pytest.raises(ClientError) as raised:
        call()
    response = raised.value.response
    return (
        response["Error"]["Code"],
        response["Error"]["Message"],
        response["ResponseMetadata"]["HTTPStatusCode"],
    )


@dataclass
class Org:
    accounts: Accounts
    management: str
    admin: str
    members: list[str]
    invited: str
    """An account outside the organization the administrator added with CreateMembers in HOME."""
    outsider: str
    """An account nobody administers."""
    imported: dict[tuple[str, str], list[dict[str, Any]]]

    def hub(self, account: str, region: str = HOME) -> Any:
        return self.accounts.client(account, "securityhub", region)

    def ids(self, account: str, region: str = HOME, **params: Any) -> set[str]:
        return {f["Id"] for f in everything(self.hub(account, region), **params)}

    def expected(self, pairs: list[tuple[str, str]]) -> set[str]:
        return {f["Id"] for pair in pairs for f in self.imported.get(pair, [])}


def everything(hub: Any, **params: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    token: str | None = None
    while True:
        reply = hub.get_findings(**params, **({"NextToken": token} if token else {}))
        found.extend(reply["Findings"])
        token = reply.get("NextToken")
        if not token:
            return found


def build_org(accounts: Accounts, per_hub: int = 3, *, auto_enable: bool = True) -> Org:
    """An organization (management, a security-tooling administrator, two workload accounts) with
    hubs in HOME and LINKED (and a far Region for one workload account), plus an invited and an
    outside account; each hub holds ``per_hub`` findings of its own account."""
    management = new_account()
    made = make_organization(accounts, management, ["security-tooling", "payments", "ledger"])
    admin, members = made["security-tooling"], [made["payments"], made["ledger"]]
    invited, outsider = new_account(), new_account()
    layout = {account: [HOME, LINKED] for account in (admin, *members, invited, outsider)}
    layout[members[0]].append(FAR)
    imported: dict[tuple[str, str], list[dict[str, Any]]] = {}
    serial = 0
    for account, regions in layout.items():
        for region in regions:
            hub = accounts.client(account, "securityhub", region)
            hub.enable_security_hub()
            batch = []
            for _ in range(per_hub):
                serial += 1
                updated = NOW - timedelta(hours=serial)
                batch.append(
                    finding(account, region, serial, normalized=(serial * 37) % 101, updated=updated)
                )
            for start in range(0, len(batch), 100):
                result = hub.batch_import_findings(Findings=batch[start : start + 100])
                assert result["FailedCount"] == 0, result["FailedFindings"]
            imported[(account, region)] = batch
    accounts.client(management, "securityhub", HOME).enable_organization_admin_account(AdminAccountId=admin)
    admin_hub = accounts.client(admin, "securityhub", HOME)
    if auto_enable:
        admin_hub.update_organization_configuration(AutoEnable=True)
    unprocessed = admin_hub.create_members(AccountDetails=[{"AccountId": invited, "Email": "x@example.com"}])
    assert unprocessed["UnprocessedAccounts"] == []
    return Org(accounts, management, admin, members, invited, outsider, imported)


# Administrators and members -----------------------------------------------------------------------


def test_a_delegated_administrator_sees_its_members_findings_in_each_region(accounts: Accounts) -> None:
    org = build_org(accounts)
    admin, (payments, ledger) = org.admin, org.members

    assert org.ids(admin, HOME) == org.expected([(a, HOME) for a in (admin, payments, ledger, org.invited)])
    # CreateMembers was made in HOME only: in LINKED the invited account is no member.
    assert org.ids(admin, LINKED) == org.expected([(a, LINKED) for a in (admin, payments, ledger)])
    assert org.ids(payments, HOME) == org.expected([(payments, HOME)]), "a member sees its own only"
    assert org.ids(org.management, HOME) == set(), "the management account is not the administrator"
    assert org.ids(org.outsider, HOME) == org.expected([(org.outsider, HOME)])


def test_without_auto_enable_the_organizations_accounts_are_not_members(accounts: Accounts) -> None:
    org = build_org(accounts, auto_enable=False)

    assert org.ids(org.admin, HOME) == org.expected([(org.admin, HOME), (org.invited, HOME)])
    org.hub(org.admin).create_members(AccountDetails=[{"AccountId": org.members[0]}])
    assert org.ids(org.admin, HOME) == org.expected(
        [(a, HOME) for a in (org.admin, org.invited, org.members[0])]
    )


def test_list_organization_admin_accounts_answers_the_management_account(accounts: Accounts) -> None:
    org = build_org(accounts, per_hub=0)

    reply = org.hub(org.management).list_organization_admin_accounts()

    assert reply["AdminAccounts"] == [{"AccountId": org.admin, "Status": "ENABLED"}]
    code, _, status = error_of(lambda: org.hub(org.admin).list_organization_admin_accounts())
    assert (code, status) == ("InvalidAccessException", 401)


# Finding aggregators -------------------------------------------------------------------------------


def test_the_home_region_of_a_finding_aggregator_returns_the_linked_regions_findings(
    accounts: Accounts,
) -> None:
    org = build_org(accounts)
    admin, (payments, ledger) = org.admin, org.members
    hub = org.hub(admin, HOME)

    made = hub.create_finding_aggregator(RegionLinkingMode="SPECIFIED_REGIONS", Regions=[LINKED])

    assert made["FindingAggregatorArn"].startswith(f"arn:aws:securityhub:{HOME}:{admin}:finding-aggregator/")
    assert (made["FindingAggregationRegion"], made["RegionLinkingMode"], made["Regions"]) == (
        HOME,
        "SPECIFIED_REGIONS",
        [LINKED],
    )
    home_pairs = [(a, HOME) for a in (admin, payments, ledger, org.invited)]
    linked_pairs = [(a, LINKED) for a in (admin, payments, ledger)]
    assert org.ids(admin, HOME) == org.expected(home_pairs + linked_pairs)
    aggregated = everything(hub)
    assert {f["Region"] for f in aggregated} == {HOME, LINKED}
    assert {f["AwsAccountId"] for f in aggregated} == {admin, payments, ledger, org.invited}
    # A linked Region still answers for itself only.
    assert org.ids(admin, LINKED) == org.expected(linked_pairs)

    hub.update_finding_aggregator(
        FindingAggregatorArn=made["FindingAggregatorArn"], RegionLinkingMode="ALL_REGIONS"
    )
    assert org.ids(admin, HOME) == org.expected(home_pairs + linked_pairs + [(payments, FAR)])
    hub.update_finding_aggregator(
        FindingAggregatorArn=made["FindingAggregatorArn"],
        RegionLinkingMode="ALL_REGIONS_EXCEPT_SPECIFIED",
        Regions=[FAR],
    )
    assert org.ids(admin, HOME) == org.expected(home_pairs + linked_pairs)
    hub.update_finding_aggregator(
        FindingAggregatorArn=made["FindingAggregatorArn"], RegionLinkingMode="NO_REGIONS"
    )
    assert org.ids(admin, HOME) == org.expected(home_pairs)
    hub.delete_finding_aggregator(FindingAggregatorArn=made["FindingAggregatorArn"])
    assert hub.list_finding_aggregators()["FindingAggregators"] == []


def test_finding_aggregator_operations_answer_as_security_hub_does(accounts: Accounts) -> None:
    org = build_org(accounts, per_hub=0)
    hub = org.hub(org.outsider, HOME)
    elsewhere = org.hub(org.outsider, LINKED)

    refused: list[dict[str, Any]] = [
        {"RegionLinkingMode": "SOME_REGIONS"},
        {"RegionLinkingMode": "SPECIFIED_REGIONS"},
        {"RegionLinkingMode": "NO_REGIONS", "Regions": [LINKED]},
        {"RegionLinkingMode": "SPECIFIED_REGIONS", "Regions": [HOME]},
    ]
    for params in refused:
        code, _, status = error_of(functools.partial(hub.create_finding_aggregator, **params))
        assert (code, status) == ("InvalidInputException", 400), params
    made = hub.create_finding_aggregator(RegionLinkingMode="ALL_REGIONS")
    arn = made["FindingAggregatorArn"]
    assert "Regions" not in made

    assert (
        error_of(lambda: hub.create_finding_aggregator(RegionLinkingMode="ALL_REGIONS"))[0]
        == "InvalidInputException"
    )
    assert elsewhere.list_finding_aggregators()["FindingAggregators"] == [{"FindingAggregatorArn": arn}]
    got = elsewhere.get_finding_aggregator(FindingAggregatorArn=arn)
    assert (got["FindingAggregatorArn"], got["FindingAggregationRegion"]) == (arn, HOME)
    code, message, _ = error_of(
        lambda: elsewhere.update_finding_aggregator(FindingAggregatorArn=arn, RegionLinkingMode="NO_REGIONS")
    )
    assert code == "InvalidInputException" and HOME in message
    assert (
        error_of(lambda: elsewhere.delete_finding_aggregator(FindingAggregatorArn=arn))[0]
        == "InvalidInputException"
    )
    code, _, status = error_of(lambda: hub.get_finding_aggregator(FindingAggregatorArn=arn + "0"))
    assert (code, status) == ("ResourceNotFoundException", 404)
    # Another account does not see this one's aggregator.
    assert org.hub(org.admin, HOME).list_finding_aggregators()["FindingAggregators"] == []

    code, message, _ = error_of(
        lambda: org.hub(org.members[0], HOME).create_finding_aggregator(RegionLinkingMode="ALL_REGIONS")
    )
    assert (code, message) == (
        "InvalidInputException",
        "A finding aggregator cannot be created by a member account.",
    )
    fresh = org.hub(new_account(), HOME)
    code, _, status = error_of(lambda: fresh.create_finding_aggregator(RegionLinkingMode="ALL_REGIONS"))
    assert (code, status) == ("InvalidAccessException", 401), "Security Hub is not enabled there"


# Filters, sorting and pages over the aggregated set -------------------------------------------------


def test_sorting_filters_and_pages_cover_the_aggregated_set_as_one(accounts: Accounts) -> None:
    org = build_org(accounts, per_hub=30)
    hub = org.hub(org.admin, HOME)
    hub.create_finding_aggregator(RegionLinkingMode="SPECIFIED_REGIONS", Regions=[LINKED])
    pairs = [(a, r) for r in (HOME, LINKED) for a in (org.admin, *org.members)] + [(org.invited, HOME)]
    expected = [f for pair in pairs for f in org.imported[pair]]
    assert len(expected) == 210
    by_severity = [{"Field": "SeverityNormalized", "SortOrder": "desc"}, {"Field": "Id", "SortOrder": "asc"}]

    first = hub.get_findings(SortCriteria=by_severity)
    second = hub.get_findings(SortCriteria=by_severity, NextToken=first["NextToken"])
    third = hub.get_findings(SortCriteria=by_severity, NextToken=second["NextToken"])
    again = hub.get_findings(SortCriteria=by_severity, NextToken=first["NextToken"])

    assert [len(page["Findings"]) for page in (first, second, third)] == [100, 100, 10]
    assert "NextToken" not in third
    assert [f["Id"] for f in again["Findings"]] == [f["Id"] for f in second["Findings"]]
    listed = [f for page in (first, second, third) for f in page["Findings"]]
    wanted = sorted(expected, key=lambda f: (-f["Severity"]["Normalized"], f["Id"]))
    assert [f["Id"] for f in listed] == [f["Id"] for f in wanted]
    code, _, status = error_of(lambda: hub.get_findings(MaxResults=101))
    assert (code, status) == ("InvalidInputException", 400)

    # The console's incremental refresh: what was updated in the last 5 hours, newest first.
    since = {
        "UpdatedAt": [
            {"Start": _ts(NOW - timedelta(hours=5, minutes=30)), "End": _ts(NOW + timedelta(minutes=1))}
        ]
    }
    recent = everything(hub, Filters=since, SortCriteria=[{"Field": "UpdatedAt", "SortOrder": "desc"}])
    window = [f for f in expected if f["UpdatedAt"] >= _ts(NOW - timedelta(hours=5, minutes=30))]
    assert [f["Id"] for f in recent] == [
        f["Id"] for f in sorted(window, key=lambda f: f["UpdatedAt"], reverse=True)
    ]
    assert recent, "the window holds findings"
    only = everything(
        hub,
        Filters={
            "AwsAccountId": [{"Value": org.members[1], "Comparison": "EQUALS"}],
            "Region": [{"Value": LINKED, "Comparison": "EQUALS"}],
        },
    )
    assert {f["Id"] for f in only} == {f["Id"] for f in org.imported[(org.members[1], LINKED)]}


# BatchUpdateFindings from the administrator ---------------------------------------------------------


def test_the_administrator_updates_a_members_finding_where_it_lives(accounts: Accounts) -> None:
    org = build_org(accounts)
    admin_hub = org.hub(org.admin, HOME)
    admin_hub.create_finding_aggregator(RegionLinkingMode="SPECIFIED_REGIONS", Regions=[LINKED])
    target = org.imported[(org.members[1], LINKED)][0]
    stranger = org.imported[(org.outsider, HOME)][0]
    own = org.imported[(org.admin, HOME)][0]

    reply = admin_hub.batch_update_findings(
        FindingIdentifiers=[ident(target), ident(stranger)],
        Workflow={"Status": "NOTIFIED"},
        Note={"Text": "paged the ledger team", "UpdatedBy": "security-tooling"},
    )

    assert reply["ProcessedFindings"] == [ident(target)]
    assert [(u["FindingIdentifier"], u["ErrorCode"]) for u in reply["UnprocessedFindings"]] == [
        (ident(stranger), "FindingNotFound")
    ]
    in_member = {f["Id"]: f for f in everything(org.hub(org.members[1], LINKED))}[target["Id"]]
    assert in_member["Workflow"]["Status"] == "NOTIFIED"
    assert in_member["Note"]["Text"] == "paged the ledger team"
    assert in_member["UpdatedAt"] == target["UpdatedAt"], "BatchUpdateFindings leaves UpdatedAt as it was"
    seen_by_admin = {f["Id"]: f for f in everything(admin_hub)}[target["Id"]]
    assert seen_by_admin["Workflow"]["Status"] == "NOTIFIED", "the administrator's view follows at once"
    # A member updates its own findings only.
    member = org.hub(org.members[1], HOME)
    refused = member.batch_update_findings(FindingIdentifiers=[ident(own)], Workflow={"Status": "RESOLVED"})
    assert refused["ProcessedFindings"] == []
    assert refused["UnprocessedFindings"][0]["ErrorCode"] == "FindingNotFound"


# moto -------------------------------------------------------------------------------------------


def test_moto_internals_the_aggregation_reads_are_still_there() -> None:
    from moto.securityhub.models import SecurityHubBackend
    from moto.securityhub.responses import SecurityHubResponse

    securityhub_aggregation.install()
    assert isinstance(SecurityHubBackend.__dict__.get("_org_configs"), dict), (
        "moto keeps Security Hub's organization settings elsewhere now"
    )
    backend = SecurityHubBackend(HOME, "111111111111")
    assert backend.members == {}, "SecurityHubBackend.members changed"
    for name, function in securityhub_aggregation.RESPONSE_METHODS.items():
        assert securityhub_aggregation.moto_originals.get(name) is None, f"moto now implements {name}: review"
        assert SecurityHubResponse.__dict__[name] is function


def test_moto_still_lacks_finding_aggregators(plain_moto_url: str) -> None:
    hub = boto3.client(
        "securityhub",
        region_name=HOME,
        endpoint_url=plain_moto_url,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    hub.enable_security_hub()
    with pytest.raises(ClientError):
        hub.create_finding_aggregator(RegionLinkingMode="ALL_REGIONS")
    assert json.dumps(hub.get_findings()["Findings"]) == "[]"


def test_reset_forgets_the_organizations_security_hub_settings() -> None:
    # moto keeps them on its backend class, past its own reset; the simulated organization sets them.
    from moto.securityhub.models import SecurityHubBackend

    SecurityHubBackend._org_configs["o-warroomreset"] = {
        "admin_account_id": "320000000001",
        "auto_enable": True,
    }

    securityhub_aggregation.reset()

    assert "o-warroomreset" not in SecurityHubBackend._org_configs
