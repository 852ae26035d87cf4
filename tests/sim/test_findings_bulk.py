"""The synthetic findings generator: valid, realistic in its mix, deterministic, shaped like the seeded.

Pure tests, except the import check, which writes into this module's own region, eu-north-1.
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from datetime import UTC, datetime
from typing import Any

import pytest

from tui.sim.findings import (
    CIS_12,
    CIS_RULES,
    CONTROLS,
    BucketRef,
    GroupRef,
    InstanceRef,
    KeyRef,
    MemberResources,
    RoleRef,
    SeededResources,
    TrailRef,
    UserRef,
    VolumeRef,
    build_findings,
)
from tui.sim.findings_bulk import (
    ACCOUNT_NAMES,
    CIS_RESOURCES,
    CONTROL_RESOURCES,
    DEFAULT_ACCOUNTS,
    synthetic_findings,
)

NOW = datetime(2026, 11, 26, 12, tzinfo=UTC)
OWN_REGION = "eu-north-1"
SIM_ACCOUNTS = {"123456789012", "210987654321"}


@pytest.fixture(scope="module")
def many() -> list[dict[str, Any]]:
    return synthetic_findings(20_000, seed=11, now=NOW)


def kind_of(finding: dict[str, Any]) -> str:
    if finding["ProductName"] == "GuardDuty":
        return "guardduty"
    if finding["ProductName"] == "Inspector":
        return "inspector"
    if "/rule/" in finding["GeneratorId"]:
        return "cis"
    if finding.get("Compliance", {}).get("SecurityControlId"):
        return "control"
    return "other"


def parsed(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def test_every_control_and_rule_has_a_resource_type() -> None:
    assert set(CONTROL_RESOURCES) == set(CONTROLS)
    assert set(CIS_RESOURCES) == set(CIS_RULES)


def test_default_accounts_are_twelve_others_than_the_simulators() -> None:
    assert len(DEFAULT_ACCOUNTS) == len(set(DEFAULT_ACCOUNTS)) == 12
    assert all(len(a) == 12 and a.isdigit() for a in DEFAULT_ACCOUNTS)
    assert not SIM_ACCOUNTS & set(DEFAULT_ACCOUNTS)
    assert set(ACCOUNT_NAMES) == set(DEFAULT_ACCOUNTS)


def test_same_arguments_give_the_same_findings_and_other_seeds_other_ids() -> None:
    first = synthetic_findings(500, seed=3, now=NOW)
    assert first == synthetic_findings(500, seed=3, now=NOW)
    other = synthetic_findings(500, seed=4, now=NOW)
    assert first != other
    assert not {f["Id"] for f in first} & {f["Id"] for f in other}


def test_ids_are_unique_at_fifty_thousand() -> None:
    findings = synthetic_findings(50_000, seed=1, now=NOW)
    assert len(findings) == 50_000
    assert len({(f["Id"], f["ProductArn"]) for f in findings}) == 50_000


def test_severity_mix(many: list[dict[str, Any]]) -> None:
    shares = Counter(f["Severity"]["Label"] for f in many)
    expected = {"CRITICAL": 0.02, "HIGH": 0.15, "MEDIUM": 0.45, "LOW": 0.25, "INFORMATIONAL": 0.13}
    for label, share in expected.items():
        assert shares[label] / len(many) == pytest.approx(share, abs=0.015), label
    assert set(shares) == set(expected)


def test_workflow_and_record_state_mix(many: list[dict[str, Any]]) -> None:
    workflows = Counter(f["Workflow"]["Status"] for f in many)
    assert workflows.most_common(1)[0][0] == "NEW"
    assert workflows["NEW"] / len(many) > 0.55
    for status in ("NOTIFIED", "SUPPRESSED", "RESOLVED"):
        assert 0.03 < workflows[status] / len(many) < 0.25, status
    archived = sum(1 for f in many if f["RecordState"] == "ARCHIVED") / len(many)
    assert archived == pytest.approx(0.10, abs=0.015)
    assert {f["RecordState"] for f in many} == {"ACTIVE", "ARCHIVED"}
    for finding in many:
        if finding.get("Compliance", {}).get("Status") == "PASSED":
            assert finding["Workflow"]["Status"] == "RESOLVED"
            assert finding["Severity"]["Label"] == "INFORMATIONAL"


def test_products_controls_and_cis_rules(many: list[dict[str, Any]]) -> None:
    kinds = Counter(kind_of(f) for f in many)
    assert set(kinds) == {"control", "cis", "guardduty", "inspector"}
    assert kinds["control"] > kinds["inspector"] > 0 and kinds["cis"] > 0 and kinds["guardduty"] > 0
    controls = Counter(f["Compliance"]["SecurityControlId"] for f in many if kind_of(f) == "control")
    assert set(controls) == set(CONTROLS)
    for finding in many:
        kind = kind_of(finding)
        if kind == "control":
            control_id = finding["Compliance"]["SecurityControlId"]
            spec = CONTROLS[control_id]
            standards = [s["StandardsId"] for s in finding["Compliance"]["AssociatedStandards"]]
            assert standards == list(spec.standards)
            assert finding["GeneratorId"] == f"security-control/{control_id}"
            assert f":security-control/{control_id}/finding/" in finding["Id"]
            assert finding["Resources"][0]["Type"] == CONTROL_RESOURCES[control_id]
            if finding["Compliance"]["Status"] == "FAILED":
                assert finding["Severity"]["Label"] == spec.severity
        elif kind == "cis":
            rule = finding["ProductFields"]["RuleId"]
            assert finding["Compliance"]["AssociatedStandards"] == [{"StandardsId": CIS_12}]
            assert finding["Title"] == f"{rule} {CIS_RULES[rule][0]}"
            assert finding["Resources"][0]["Type"] == CIS_RESOURCES[rule]
        elif kind == "guardduty":
            assert finding["ProductArn"] == "arn:aws:securityhub:us-east-1::product/aws/guardduty"
            assert float(finding["Severity"]["Original"]) * 10 == finding["Severity"]["Normalized"]
        else:
            (vulnerability,) = finding["Vulnerabilities"]
            assert finding["Title"].startswith(vulnerability["Id"])


def test_resources_are_shared_between_findings(many: list[dict[str, Any]]) -> None:
    per_resource = Counter(f["Resources"][0]["Id"] for f in many)
    shared = [rid for rid, n in per_resource.items() if n > 1]
    assert len(per_resource) > 500
    assert len(shared) / len(per_resource) > 0.3
    groups = [rid for rid in shared if ":security-group/" in rid]
    assert groups and max(per_resource[g] for g in groups) >= 5
    controls_per_group: dict[str, set[str]] = defaultdict(set)
    for finding in many:
        rid = finding["Resources"][0]["Id"]
        if ":security-group/" in rid and kind_of(finding) == "control":
            controls_per_group[rid].add(finding["Compliance"]["SecurityControlId"])
    assert max(len(c) for c in controls_per_group.values()) >= 3
    for finding in many:
        account = finding["AwsAccountId"]
        rid = finding["Resources"][0]["Id"]
        assert account in rid or rid.startswith("AKIA"), (account, rid)


def test_resource_ids_do_not_depend_on_the_seed() -> None:
    first = {f["Resources"][0]["Id"] for f in synthetic_findings(2000, seed=1, now=NOW)}
    second = {f["Resources"][0]["Id"] for f in synthetic_findings(2000, seed=2, now=NOW)}
    assert len(first & second) > 0.3 * len(first)


def test_timestamps_are_ordered_and_in_the_past(many: list[dict[str, Any]]) -> None:
    for finding in many:
        first, last = parsed(finding["FirstObservedAt"]), parsed(finding["LastObservedAt"])
        assert first <= last <= NOW
        assert finding["CreatedAt"] == finding["FirstObservedAt"]
        assert finding["UpdatedAt"] == finding["LastObservedAt"]
        assert finding["FirstObservedAt"].endswith("Z") and len(finding["FirstObservedAt"]) == 24
    ages = sorted((NOW - parsed(f["FirstObservedAt"])).days for f in many)
    assert ages[len(ages) // 2] < ages[-1] and ages[-1] >= 200


def test_accounts_and_region_are_the_callers() -> None:
    accounts = ("100000000001", "100000000002")
    findings = synthetic_findings(300, seed=5, now=NOW, region="ap-south-1", accounts=accounts)
    assert {f["AwsAccountId"] for f in findings} == set(accounts)
    assert {f["AwsAccountName"] for f in findings} == {"account-0001", "account-0002"}
    assert {f["Region"] for f in findings} == {"ap-south-1"}
    for finding in findings:
        assert finding["ProductArn"].startswith("arn:aws:securityhub:ap-south-1::product/")
        assert all(r["Region"] == "ap-south-1" for r in finding["Resources"])


@pytest.mark.parametrize(
    ("count", "accounts", "message"),
    [(-1, DEFAULT_ACCOUNTS, "count"), (5, (), "at least one"), (5, ("12345",), "twelve-digit")],
)
def test_bad_arguments_are_refused(count: int, accounts: tuple[str, ...], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        synthetic_findings(count, seed=1, now=NOW, accounts=accounts)


def test_zero_findings() -> None:
    assert synthetic_findings(0, seed=1, now=NOW) == []


# ------------------------------------------------------------------------------------------------
# Same fields as the seeded findings
# ------------------------------------------------------------------------------------------------


def _seeded() -> list[dict[str, Any]]:
    account, member = "123456789012", "210987654321"
    instance = InstanceRef(
        "web-1",
        "i-0123456789abcdef0",
        "m5.large",
        "ami-1",
        "10.0.0.1",
        "vpc-1",
        "subnet-1",
        "2026-01-01T00:00:00.000Z",
        "optional",
        None,
        {"Name": "web-1"},
    )
    instances = {
        name: InstanceRef(
            name,
            f"i-{n:017x}",
            "m5.large",
            "ami-1",
            "10.0.0.2",
            "vpc-1",
            "subnet-1",
            "2026-01-01T00:00:00.000Z",
            "required",
            None,
            {},
        )
        for n, name in enumerate(
            (
                "legacy-bastion-1",
                "ops-jump-1",
                "settlement-worker-2",
                "payments-api-1",
                "payments-api-2",
                "ingest-1",
                "settlement-worker-1",
                "payments-db-1",
                "audit-archiver-1",
                "ledger-1",
            )
        )
    }
    groups = {
        name: GroupRef(name, f"sg-{n:017x}", "vpc-1", ())
        for n, name in enumerate(("legacy-bastion-ssh", "ops-jump-rdp", "default"))
    }
    users = {
        name: UserRef(name, f"AID{n}", "2026-01-01T00:00:00.000Z", f"AKIA{n:016d}", age)
        for n, (name, age) in enumerate(
            (("svc-reconciler", 412), ("legacy-ftp-export", 1038), ("ci-deployer", 37))
        )
    }
    resources = SeededResources(
        account_id=account,
        account_name="payments-prod",
        member_account_id=member,
        member_account_name="payments-sandbox",
        region="us-east-1",
        default_vpc_id="vpc-1",
        instances=instances,
        groups=groups,
        volumes=(VolumeRef("k", "vol-1", "gp2", 10, False, "i-00000000000000000", "/dev/sdf"),),
        users=users,
        buckets=(
            BucketRef("public-a", True, False),
            BucketRef("public-b", False, False),
            BucketRef("private", False, True),
        ),
        trail=TrailRef("t", f"arn:aws:cloudtrail:us-east-1:{account}:trail/t", "private"),
        external_role=RoleRef(
            "r", f"arn:aws:iam::{account}:role/r", "AROA1", "2026-01-01T00:00:00.000Z", "1"
        ),
        unmanaged_instances=("settlement-worker-2",),
        member=MemberResources(
            "vpc-2", GroupRef("open", "sg-2", "vpc-2", ()), instance, BucketRef("b", False, True)
        ),
        kms_keys=(KeyRef("k-1", f"arn:aws:kms:us-east-1:{account}:key/k-1", "alias/k", "key", 1.7e9, False),),
    )
    return build_findings(resources, random.Random(7), NOW)


def test_synthetic_findings_have_the_seeded_findings_fields(many: list[dict[str, Any]]) -> None:
    seeded = _seeded()
    for kind in ("control", "cis", "guardduty", "inspector"):
        theirs = [f for f in seeded if kind_of(f) == kind]
        ours = [f for f in many if kind_of(f) == kind]
        assert theirs and ours, kind
        union = set().union(*(f.keys() for f in theirs))
        common = set.intersection(*(set(f) for f in theirs))
        for finding in ours:
            assert common <= finding.keys() <= union, (kind, finding.keys() ^ common)
        their_fields = set().union(*(f["ProductFields"].keys() for f in theirs))
        for finding in ours:
            assert finding["ProductFields"].keys() <= their_fields, kind
            assert finding["ProductFields"]["aws/securityhub/ProductName"] == finding["ProductName"]
            assert finding["ProductFields"]["aws/securityhub/FindingId"].endswith(finding["Id"])
            assert {"Type", "Id", "Partition", "Region"} <= finding["Resources"][0].keys()
            assert finding["Remediation"]["Recommendation"]["Url"].startswith("https://")
        if kind in ("control", "cis"):
            their_compliance = set().union(*(f["Compliance"].keys() for f in theirs))
            for finding in ours:
                assert finding["Compliance"].keys() <= their_compliance, kind


def test_synthetic_findings_import_cleanly(client: Any) -> None:
    from botocore.exceptions import ClientError

    hub = client("securityhub", region=OWN_REGION)
    try:
        hub.enable_security_hub(EnableDefaultStandards=True)
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "ResourceConflictException":
            raise
    findings = synthetic_findings(300, seed=909, now=NOW, region=OWN_REGION)
    for start in range(0, 300, 100):
        reply = hub.batch_import_findings(Findings=findings[start : start + 100])
        assert reply["FailedCount"] == 0, reply["FailedFindings"][:3]
        assert reply["SuccessCount"] == 100
    one = findings[123]
    (stored,) = hub.get_findings(Filters={"Id": [{"Value": one["Id"], "Comparison": "EQUALS"}]})["Findings"]
    for name in one:
        assert stored[name] == one[name], name
