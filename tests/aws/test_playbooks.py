"""One-key remediation playbooks against the simulator: the rule is really gone, the bucket really
blocked, the key really inactive, and the finding really RESOLVED (or NOTIFIED) with its note.

Region ap-south-1 is this module's own: every resource and finding here is created by these tests.
IAM is global in moto, so the users here are named "pb-<test>-<random>". The account-level S3 block
is set in account 444455556666 (through the remediation role), which no other test uses.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest

from tui.aws.actions import ActionRunner, AuditLog, ReadOnlyRefusal
from tui.aws.actions.playbooks import (
    NO_PLAYBOOK,
    PLAYBOOKS,
    Remediation,
    RemediationContext,
    playbook_for,
    prepare,
    run,
)
from tui.aws.clients import AwsTarget, ClientFactory
from tui.aws.findings_model import Finding, parse_finding
from tui.common.aws_rules import HIGH_RISK_PORTS

REGION = "ap-south-1"
HOME = "123456789012"
MEMBER = "210987654321"
# Only the account-level S3 block test uses this account.
S3_ACCOUNT = "444455556666"
ROLE_NAME = "warroom-remediation"
UPDATED_BY = "pb-tests"
PRODUCT_ARN = f"arn:aws:securityhub:{REGION}::product/aws/securityhub"
CIS_12 = "arn:aws:securityhub:::ruleset/cis-aws-foundations-benchmark/v/1.2.0"
ALL_BLOCKED = {
    "BlockPublicAcls": True,
    "IgnorePublicAcls": True,
    "BlockPublicPolicy": True,
    "RestrictPublicBuckets": True,
}
ClientMaker = Callable[..., Any]


@dataclass(frozen=True)
class Found:
    """A finding as the playbooks see it (what ``Target`` asks for)."""

    id: str
    product_arn: str
    account_id: str
    region: str
    control_keys: tuple[str, ...]
    resource_type: str
    resource_id: str
    title: str
    workflow_status: str = "NEW"
    compliance_status: str = "FAILED"
    record_state: str = "ACTIVE"

    @property
    def key(self) -> tuple[str, str]:
        return (self.id, self.product_arn)


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def asff(
    control: str,
    resource_type: str,
    resource_id: str,
    *,
    account: str = HOME,
    status: str = "FAILED",
    workflow: str = "NEW",
    record_state: str = "ACTIVE",
) -> dict[str, Any]:
    """A minimal valid ASFF control finding: a consolidated control id, or a CIS 1.2 rule "CIS1.2/4.1"."""
    finding_id = f"arn:aws:securityhub:{REGION}:{account}:security-control/{control}/finding/{uuid.uuid4()}"
    raw: dict[str, Any] = {
        "SchemaVersion": "2018-10-08",
        "Id": finding_id,
        "ProductArn": PRODUCT_ARN,
        "GeneratorId": f"security-control/{control}",
        "AwsAccountId": account,
        "Region": REGION,
        "Types": ["Software and Configuration Checks/Industry and Regulatory Standards"],
        "CreatedAt": _now(),
        "UpdatedAt": _now(),
        "FirstObservedAt": _now(),
        "LastObservedAt": _now(),
        "Severity": {"Label": "HIGH"},
        "Title": f"{control} playbook test",
        "Description": f"{control} on {resource_id}",
        "Resources": [{"Type": resource_type, "Id": resource_id, "Partition": "aws", "Region": REGION}],
        "Compliance": {"Status": status, "SecurityControlId": control},
        "Workflow": {"Status": workflow},
        "RecordState": record_state,
    }
    if control.startswith("CIS1.2/"):
        rule = control.split("/", 1)[1]
        subscription = (
            f"arn:aws:securityhub:{REGION}:{account}:subscription/cis-aws-foundations-benchmark/v/1.2.0"
        )
        raw["Id"] = f"{subscription}/{rule}/finding/{uuid.uuid4()}"
        raw["GeneratorId"] = f"{CIS_12}/rule/{rule}"
        raw["Compliance"] = {"Status": status}
        raw["ProductFields"] = {"StandardsGuideArn": CIS_12, "RuleId": rule}
    return raw


def target_of(raw: dict[str, Any]) -> Found:
    control = raw["Compliance"].get("SecurityControlId") or f"CIS1.2/{raw['ProductFields']['RuleId']}"
    resource = raw["Resources"][0]
    return Found(
        id=raw["Id"],
        product_arn=raw["ProductArn"],
        account_id=raw["AwsAccountId"],
        region=raw["Region"],
        control_keys=(control,),
        resource_type=resource["Type"],
        resource_id=resource["Id"],
        title=raw["Title"],
        workflow_status=raw["Workflow"]["Status"],
        compliance_status=raw["Compliance"]["Status"],
        record_state=raw["RecordState"],
    )


def imported(client: ClientMaker, *raws: dict[str, Any]) -> list[Found]:
    """Import ``raws`` into the hub (ap-south-1) and return them as targets."""
    reply = client("securityhub", region=REGION).batch_import_findings(Findings=list(raws))
    assert reply["FailedCount"] == 0, reply["FailedFindings"]
    return [target_of(raw) for raw in raws]


def stored(client: ClientMaker, target: Found) -> dict[str, Any]:
    hub = client("securityhub", region=REGION)
    found = hub.get_findings(Filters={"Id": [{"Value": target.id, "Comparison": "EQUALS"}]})["Findings"]
    assert len(found) == 1, f"finding {target.id} not stored once: {found}"
    finding: dict[str, Any] = found[0]
    return finding


def assert_marked(client: ClientMaker, target: Found, status: str, *needles: str) -> dict[str, Any]:
    finding = stored(client, target)
    assert finding["Workflow"]["Status"] == status, finding.get("Note")
    note = finding.get("Note") or {}
    assert note.get("UpdatedBy") == UPDATED_BY
    for needle in needles:
        assert needle in note.get("Text", ""), f"{needle!r} not in note {note.get('Text')!r}"
    return finding


def group_arn(group_id: str, account: str = HOME) -> str:
    return f"arn:aws:ec2:{REGION}:{account}:security-group/{group_id}"


def new_group(ec2: Any, permissions: list[dict[str, Any]]) -> str:
    vpc = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
    group_id: str = ec2.create_security_group(GroupName=unique("pb-sg"), Description="pb", VpcId=vpc)[
        "GroupId"
    ]
    if permissions:
        ec2.authorize_security_group_ingress(GroupId=group_id, IpPermissions=permissions)
    return group_id


def ingress(ec2: Any, group_id: str) -> list[dict[str, Any]]:
    permissions: list[dict[str, Any]] = ec2.describe_security_groups(GroupIds=[group_id])["SecurityGroups"][
        0
    ]["IpPermissions"]
    return permissions


def world_rules(permissions: list[dict[str, Any]]) -> list[tuple[str, Any, Any, str]]:
    """(protocol, from, to, cidr) of every rule open to 0.0.0.0/0 or ::/0."""
    found = []
    for perm in permissions:
        cidrs = [r["CidrIp"] for r in perm.get("IpRanges", [])]
        cidrs += [r["CidrIpv6"] for r in perm.get("Ipv6Ranges", [])]
        for cidr in cidrs:
            if cidr in ("0.0.0.0/0", "::/0"):
                found.append((perm["IpProtocol"], perm.get("FromPort"), perm.get("ToPort"), cidr))
    return sorted(found)


def by_port(permissions: Any) -> list[dict[str, Any]]:
    return sorted(permissions, key=lambda p: (p.get("FromPort", -1), str(p.get("IpProtocol"))))


def tcp(port: int, *cidrs: str, to: int | None = None) -> dict[str, Any]:
    perm: dict[str, Any] = {"IpProtocol": "tcp", "FromPort": port, "ToPort": port if to is None else to}
    v4 = [{"CidrIp": c} for c in cidrs if ":" not in c]
    v6 = [{"CidrIpv6": c} for c in cidrs if ":" in c]
    if v4:
        perm["IpRanges"] = v4
    if v6:
        perm["Ipv6Ranges"] = v6
    return perm


def role_arn(account: str) -> str:
    return f"arn:aws:iam::{account}:role/{ROLE_NAME}"


def assumed(sim_url: str, service: str, account: str) -> Any:
    """A boto3 client acting in ``account`` through its remediation role."""
    sts = boto3.client(
        "sts",
        region_name=REGION,
        endpoint_url=sim_url,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    creds = sts.assume_role(RoleArn=role_arn(account), RoleSessionName="pb-tests")["Credentials"]
    return boto3.client(
        service,
        region_name=REGION,
        endpoint_url=sim_url,
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
    )


class Clock:
    def __init__(self, offset: timedelta = timedelta(0)) -> None:
        self.offset = offset

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset


@pytest.fixture
async def factory(sim_url: str) -> AsyncIterator[ClientFactory]:
    made = ClientFactory(
        AwsTarget(regions=(REGION,), endpoint_url=sim_url, access_key="testing", secret_key="testing")
    )
    try:
        yield made
    finally:
        await made.close()


@pytest.fixture
def audit(tmp_path: Path) -> AuditLog:
    return AuditLog(tmp_path / "state" / "audit.jsonl")


@pytest.fixture
def runner(factory: ClientFactory, audit: AuditLog) -> ActionRunner:
    return ActionRunner(factory, read_only=False, audit=audit, actor="pb", account=HOME)


@pytest.fixture
def ctx(factory: ClientFactory) -> RemediationContext:
    return RemediationContext(
        factory=factory,
        caller_account=HOME,
        role_name=ROLE_NAME,
        updated_by=UPDATED_BY,
        hub_region=REGION,
    )


@pytest.fixture
def accounts(monkeypatch: pytest.MonkeyPatch) -> None:
    """Requests land in the account of their access key (assumed roles in the role's account)."""
    monkeypatch.delenv("MOTO_ACCOUNT_ID", raising=False)


def outcomes(audit: AuditLog) -> list[tuple[str, str]]:
    return [(str(r["operation"]), str(r["outcome"])) for r in audit.records()]


# ---- which playbook ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("keys", "resource_type", "expected"),
    [
        (("EC2.13",), "AwsEc2SecurityGroup", "sg-world-admin-ports"),
        (("EC2.14",), "AwsEc2SecurityGroup", "sg-world-admin-ports"),
        (("EC2.53",), "AwsEc2SecurityGroup", "sg-world-admin-ports"),
        (("EC2.54",), "AwsEc2SecurityGroup", "sg-world-admin-ports"),
        (("CIS1.2/4.1",), "AwsEc2SecurityGroup", "sg-world-admin-ports"),
        (("CIS1.2/4.2",), "AwsEc2SecurityGroup", "sg-world-admin-ports"),
        (("CIS1.4/5.2",), "AwsEc2SecurityGroup", "sg-world-admin-ports"),
        (("CIS3.0/5.2",), "AwsEc2SecurityGroup", "sg-world-admin-ports"),
        (("CIS3.0/5.3",), "AwsEc2SecurityGroup", "sg-world-admin-ports"),
        (("EC2.19",), "AwsEc2SecurityGroup", "sg-high-risk-ports"),
        (("EC2.2",), "AwsEc2SecurityGroup", "sg-default-strip"),
        (("CIS1.2/4.3",), "AwsEc2SecurityGroup", "sg-default-strip"),
        (("CIS1.4/5.3",), "AwsEc2SecurityGroup", "sg-default-strip"),
        (("CIS3.0/5.4",), "AwsEc2SecurityGroup", "sg-default-strip"),
        (("S3.1",), "AwsAccount", "s3-account-block-public"),
        (("CIS1.4/2.1.5.1",), "AwsAccount", "s3-account-block-public"),
        (("CIS3.0/2.1.4",), "AwsAccount", "s3-account-block-public"),
        (("S3.8",), "AwsS3Bucket", "s3-bucket-block-public"),
        (("S3.2",), "AwsS3Bucket", "s3-bucket-block-public"),
        (("S3.3",), "AwsS3Bucket", "s3-bucket-block-public"),
        (("CIS1.4/2.1.5.2",), "AwsS3Bucket", "s3-bucket-block-public"),
        (("CIS3.0/2.1.4",), "AwsS3Bucket", "s3-bucket-block-public"),
        (("EC2.7",), "AwsAccount", "ebs-default-encryption"),
        (("CIS1.4/2.2.1",), "AwsAccount", "ebs-default-encryption"),
        (("CloudTrail.4",), "AwsCloudTrailTrail", "cloudtrail-log-validation"),
        (("CIS1.2/2.2",), "AwsCloudTrailTrail", "cloudtrail-log-validation"),
        (("CIS3.0/3.2",), "AwsCloudTrailTrail", "cloudtrail-log-validation"),
        (("KMS.4",), "AwsKmsKey", "kms-key-rotation"),
        (("CIS1.2/2.8",), "AwsKmsKey", "kms-key-rotation"),
        (("CIS1.4/3.8",), "AwsKmsKey", "kms-key-rotation"),
        (("CIS3.0/3.6",), "AwsKmsKey", "kms-key-rotation"),
        (("IAM.3",), "AwsIamUser", "iam-deactivate-old-keys"),
        (("CIS1.2/1.4",), "AwsIamUser", "iam-deactivate-old-keys"),
        (("CIS1.4/1.14",), "AwsIamUser", "iam-deactivate-old-keys"),
        (("CIS3.0/1.14",), "AwsIamUser", "iam-deactivate-old-keys"),
        (("EC2.13",), "AwsEc2Instance", None),
        (("S3.1",), "AwsS3Bucket", None),
        (("EC2.8",), "AwsEc2Instance", None),
        ((), "AwsEc2SecurityGroup", None),
    ],
)
def test_playbook_for_matches_control_key_and_resource_type(
    keys: tuple[str, ...], resource_type: str, expected: str | None
) -> None:
    target = Found("f", PRODUCT_ARN, HOME, REGION, keys, resource_type, "x", "t")
    book = playbook_for(target)
    assert (book.id if book else None) == expected


def test_every_playbook_is_listed_once_with_its_controls() -> None:
    assert [book.id for book in PLAYBOOKS] == [
        "sg-world-admin-ports",
        "sg-high-risk-ports",
        "sg-default-strip",
        "s3-account-block-public",
        "s3-bucket-block-public",
        "ebs-default-encryption",
        "cloudtrail-log-validation",
        "kms-key-rotation",
        "iam-deactivate-old-keys",
    ]
    for book in PLAYBOOKS:
        assert book.title and book.description and book.controls, book
    assert HIGH_RISK_PORTS == (
        20, 21, 22, 23, 25, 110, 135, 143, 445, 1433, 1434, 3000,
        3306, 3389, 4333, 5000, 5432, 5500, 5601, 8080, 8088, 8888, 9200, 9300,
    )  # fmt: skip


# ---- security groups -----------------------------------------------------------------------


async def test_world_admin_ports_revokes_only_the_world_rules_and_resolves(
    client: ClientMaker, ctx: RemediationContext, runner: ActionRunner, audit: AuditLog
) -> None:
    ec2 = client("ec2", region=REGION)
    group = new_group(
        ec2,
        [
            {
                "IpProtocol": "tcp",
                "FromPort": 22,
                "ToPort": 22,
                "IpRanges": [{"CidrIp": "0.0.0.0/0", "Description": "ssh"}, {"CidrIp": "10.0.0.0/8"}],
                "Ipv6Ranges": [{"CidrIpv6": "::/0"}],
            },
            tcp(3389, "0.0.0.0/0"),
            tcp(443, "0.0.0.0/0", "::/0"),
            tcp(20, "192.168.0.0/16", to=25),
        ],
    )
    ssh, rdp, cis = imported(
        client,
        asff("EC2.13", "AwsEc2SecurityGroup", group_arn(group)),
        asff("EC2.14", "AwsEc2SecurityGroup", group_arn(group)),
        asff("CIS1.2/4.1", "AwsEc2SecurityGroup", group_arn(group)),
    )

    remediation = await prepare(ctx, [ssh, rdp, cis])

    assert not remediation.plan.refused, remediation.plan.refusal
    assert remediation.playbook.id == "sg-world-admin-ports"
    (call,) = remediation.plan.calls
    assert (call.service, call.operation, call.region, call.role_arn, call.dry_run) == (
        "ec2",
        "RevokeSecurityGroupIngress",
        REGION,
        None,
        True,
    )
    assert call.params["GroupId"] == group
    assert by_port(call.params["IpPermissions"]) == [
        {
            "IpProtocol": "tcp",
            "FromPort": 22,
            "ToPort": 22,
            "IpRanges": [{"CidrIp": "0.0.0.0/0", "Description": "ssh"}],
            "Ipv6Ranges": [{"CidrIpv6": "::/0"}],
        },
        {"IpProtocol": "tcp", "FromPort": 3389, "ToPort": 3389, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]},
    ]
    notes = " ".join(remediation.plan.notes)
    assert "Dry run first: RevokeSecurityGroupIngress" in notes
    assert f"BatchUpdateFindings in {REGION}" in notes and "RESOLVED" in notes and "NOTIFIED" in notes
    # Before anything runs the plan says what will be done; only the note it will write says "revoked".
    (fix,) = [n for n in remediation.plan.notes if n.startswith(f"security group {group}")]
    assert f": will revoke tcp 22 from 0.0.0.0/0, ::/0; tcp 3389 from 0.0.0.0/0 on {group}." in fix
    said = notes.replace(remediation.note, "")
    assert "revoked" not in said, said

    outcome = await run(runner, ctx, remediation)

    assert outcome.ok, outcome.message
    assert outcome.verified, outcome.verification
    assert world_rules(ingress(ec2, group)) == [("tcp", 443, 443, "0.0.0.0/0"), ("tcp", 443, 443, "::/0")]
    kept = {(p["FromPort"], r["CidrIp"]) for p in ingress(ec2, group) for r in p.get("IpRanges", [])}
    assert (22, "10.0.0.0/8") in kept and (20, "192.168.0.0/16") in kept
    for target in (ssh, rdp, cis):
        assert_marked(client, target, "RESOLVED", "warroom sg-world-admin-ports:", "tcp 22", group)
    assert outcome.marked is not None and outcome.marked.processed == {ssh.key, rdp.key, cis.key}
    assert outcomes(audit) == [
        ("RevokeSecurityGroupIngress", "dry-run-ok"),
        ("RevokeSecurityGroupIngress", "ok"),
        ("BatchUpdateFindings", "ok"),
    ]


async def test_a_family_specific_control_revokes_only_that_family(
    client: ClientMaker, ctx: RemediationContext, runner: ActionRunner
) -> None:
    ec2 = client("ec2", region=REGION)
    group = new_group(ec2, [tcp(22, "0.0.0.0/0", "::/0")])
    (v6,) = imported(client, asff("EC2.54", "AwsEc2SecurityGroup", group))

    remediation = await prepare(ctx, [v6])

    (call,) = remediation.plan.calls
    assert call.params["IpPermissions"] == [
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "Ipv6Ranges": [{"CidrIpv6": "::/0"}]}
    ]
    assert (await run(runner, ctx, remediation)).ok
    assert world_rules(ingress(ec2, group)) == [("tcp", 22, 22, "0.0.0.0/0")]


async def test_high_risk_ports_revokes_world_rules_that_cover_them(
    client: ClientMaker, ctx: RemediationContext, runner: ActionRunner
) -> None:
    ec2 = client("ec2", region=REGION)
    group = new_group(
        ec2,
        [
            tcp(3306, "0.0.0.0/0"),
            tcp(8000, "::/0", to=8100),
            tcp(443, "0.0.0.0/0"),
            {"IpProtocol": "udp", "FromPort": 53, "ToPort": 53, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]},
            {"IpProtocol": "-1", "IpRanges": [{"CidrIp": "10.1.0.0/16"}]},
        ],
    )
    (finding,) = imported(client, asff("EC2.19", "AwsEc2SecurityGroup", group_arn(group)))

    remediation = await prepare(ctx, [finding])

    assert remediation.playbook.id == "sg-high-risk-ports"
    (call,) = remediation.plan.calls
    assert by_port(call.params["IpPermissions"]) == [
        {"IpProtocol": "tcp", "FromPort": 3306, "ToPort": 3306, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]},
        {"IpProtocol": "tcp", "FromPort": 8000, "ToPort": 8100, "Ipv6Ranges": [{"CidrIpv6": "::/0"}]},
    ]
    outcome = await run(runner, ctx, remediation)
    assert outcome.ok, outcome.message
    assert world_rules(ingress(ec2, group)) == [("tcp", 443, 443, "0.0.0.0/0"), ("udp", 53, 53, "0.0.0.0/0")]
    assert_marked(client, finding, "RESOLVED", "warroom sg-high-risk-ports:", "tcp 3306", "tcp 8000-8100")


async def test_default_strip_revokes_every_rule_exactly_as_read(
    client: ClientMaker, ctx: RemediationContext, runner: ActionRunner
) -> None:
    ec2 = client("ec2", region=REGION)
    vpc = ec2.create_vpc(CidrBlock="10.42.0.0/16")["Vpc"]["VpcId"]
    (group,) = ec2.describe_security_groups(
        Filters=[{"Name": "vpc-id", "Values": [vpc]}, {"Name": "group-name", "Values": ["default"]}]
    )["SecurityGroups"]
    group_id = group["GroupId"]
    ec2.authorize_security_group_ingress(
        GroupId=group_id,
        IpPermissions=[
            {"IpProtocol": "-1", "UserIdGroupPairs": [{"GroupId": group_id, "Description": "self"}]},
            tcp(8080, "0.0.0.0/0"),
        ],
    )
    read = ec2.describe_security_groups(GroupIds=[group_id])["SecurityGroups"][0]
    strip, cis = imported(
        client,
        asff("EC2.2", "AwsEc2SecurityGroup", group_arn(group_id)),
        asff("CIS1.2/4.3", "AwsEc2SecurityGroup", group_arn(group_id)),
    )

    remediation = await prepare(ctx, [strip, cis])

    assert remediation.playbook.id == "sg-default-strip"
    inbound, outbound = remediation.plan.calls
    assert (inbound.operation, outbound.operation) == (
        "RevokeSecurityGroupIngress",
        "RevokeSecurityGroupEgress",
    )
    assert inbound.dry_run and outbound.dry_run
    exact = [{k: v for k, v in p.items() if v != []} for p in read["IpPermissions"]]
    assert inbound.params == {"GroupId": group_id, "IpPermissions": exact}
    assert by_port(exact) == [
        {
            "IpProtocol": "-1",
            "UserIdGroupPairs": [{"Description": "self", "UserId": HOME, "GroupId": group_id}],
        },
        {"IpProtocol": "tcp", "FromPort": 8080, "ToPort": 8080, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]},
    ]
    assert outbound.params == {
        "GroupId": group_id,
        "IpPermissions": [{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}],
    }

    outcome = await run(runner, ctx, remediation)

    assert outcome.ok, outcome.message
    after = ec2.describe_security_groups(GroupIds=[group_id])["SecurityGroups"][0]
    assert (after["IpPermissions"], after["IpPermissionsEgress"]) == ([], [])
    for target in (strip, cis):
        assert_marked(client, target, "RESOLVED", "warroom sg-default-strip:", "removed every rule", group_id)


async def test_default_strip_refuses_a_group_that_is_not_a_default_group(
    client: ClientMaker, ctx: RemediationContext
) -> None:
    ec2 = client("ec2", region=REGION)
    group = new_group(ec2, [tcp(8080, "0.0.0.0/0")])
    (finding,) = imported(client, asff("EC2.2", "AwsEc2SecurityGroup", group_arn(group)))

    remediation = await prepare(ctx, [finding])

    assert remediation.plan.refused and remediation.plan.calls == ()
    assert "not a VPC's default security group" in remediation.plan.refusal
    assert world_rules(ingress(ec2, group)) == [("tcp", 8080, 8080, "0.0.0.0/0")]


# ---- S3 ------------------------------------------------------------------------------------


async def test_account_block_public_access_through_the_accounts_role(
    client: ClientMaker, sim_url: str, factory: ClientFactory, runner: ActionRunner, accounts: None
) -> None:
    ctx = RemediationContext(factory, HOME, ROLE_NAME, UPDATED_BY, REGION)
    role = role_arn(S3_ACCOUNT)
    (finding,) = imported(
        client, asff("S3.1", "AwsAccount", f"AWS::::Account:{S3_ACCOUNT}", account=S3_ACCOUNT)
    )

    remediation = await prepare(ctx, [finding])

    assert remediation.playbook.id == "s3-account-block-public"
    (call,) = remediation.plan.calls
    assert (call.service, call.operation, call.role_arn, call.dry_run) == (
        "s3control",
        "PutPublicAccessBlock",
        role,
        False,
    )
    assert call.params == {"AccountId": S3_ACCOUNT, "PublicAccessBlockConfiguration": ALL_BLOCKED}
    assert any(note.startswith("No dry run: PutPublicAccessBlock") for note in remediation.plan.notes)

    outcome = await run(runner, ctx, remediation)

    assert outcome.ok, outcome.message
    assert outcome.dry_run is not None and outcome.dry_run.message == "no dry run available"
    s3control = await factory.client("s3control", REGION, role_arn=role)
    reply = await s3control.get_public_access_block(AccountId=S3_ACCOUNT)
    assert reply["PublicAccessBlockConfiguration"] == ALL_BLOCKED
    assert_marked(client, finding, "RESOLVED", "warroom s3-account-block-public:", S3_ACCOUNT)


async def test_bucket_block_public_access_fixes_each_bucket_once(
    client: ClientMaker, ctx: RemediationContext, runner: ActionRunner
) -> None:
    s3 = client("s3", region=REGION)
    bucket = unique("pb-bucket")
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
    s3.put_public_access_block(
        Bucket=bucket, PublicAccessBlockConfiguration={**ALL_BLOCKED, "BlockPublicPolicy": False}
    )
    block, read = imported(
        client,
        asff("S3.8", "AwsS3Bucket", f"arn:aws:s3:::{bucket}"),
        asff("S3.2", "AwsS3Bucket", f"arn:aws:s3:::{bucket}"),
    )

    remediation = await prepare(ctx, [block, read])

    (call,) = remediation.plan.calls
    assert (call.service, call.operation, call.dry_run) == ("s3", "PutPublicAccessBlock", False)
    assert call.params == {"Bucket": bucket, "PublicAccessBlockConfiguration": ALL_BLOCKED}
    assert "BlockPublicPolicy" in call_summary(remediation)

    outcome = await run(runner, ctx, remediation)

    assert outcome.ok, outcome.message
    assert s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"] == ALL_BLOCKED
    for target in (block, read):
        assert_marked(client, target, "RESOLVED", "warroom s3-bucket-block-public:", bucket)


def call_summary(remediation: Remediation) -> str:
    return " ".join(fix.summary for fix in remediation.fixes)


async def test_a_bucket_deleted_after_the_plan_marks_the_finding_notified(
    client: ClientMaker, ctx: RemediationContext, runner: ActionRunner
) -> None:
    s3 = client("s3", region=REGION)
    bucket = unique("pb-gone")
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
    (finding,) = imported(client, asff("S3.8", "AwsS3Bucket", f"arn:aws:s3:::{bucket}"))
    remediation = await prepare(ctx, [finding])
    assert not remediation.plan.refused, remediation.plan.refusal
    s3.delete_bucket(Bucket=bucket)

    outcome = await run(runner, ctx, remediation)

    assert not outcome.ok and not outcome.verified
    assert outcome.action is not None and not outcome.action.ok
    assert outcome.marked is not None and outcome.marked.status == "NOTIFIED"
    assert_marked(client, finding, "NOTIFIED", "warroom s3-bucket-block-public: failed:", "NoSuchBucket")


# ---- EBS, CloudTrail, KMS, IAM -------------------------------------------------------------


async def test_ebs_default_encryption_then_a_second_finding_is_already_fixed(
    client: ClientMaker, ctx: RemediationContext, runner: ActionRunner
) -> None:
    ec2 = client("ec2", region=REGION)
    assert ec2.get_ebs_encryption_by_default()["EbsEncryptionByDefault"] is False
    (finding,) = imported(client, asff("EC2.7", "AwsAccount", f"AWS::::Account:{HOME}"))

    remediation = await prepare(ctx, [finding])

    (call,) = remediation.plan.calls
    assert (call.service, call.operation, call.region, call.params, call.dry_run) == (
        "ec2",
        "EnableEbsEncryptionByDefault",
        REGION,
        {},
        True,
    )
    outcome = await run(runner, ctx, remediation)
    assert outcome.ok, outcome.message
    assert outcome.dry_run is not None and outcome.dry_run.ok and outcome.dry_run.outputs
    assert ec2.get_ebs_encryption_by_default()["EbsEncryptionByDefault"] is True
    assert_marked(client, finding, "RESOLVED", "warroom ebs-default-encryption:", REGION)

    (again,) = imported(client, asff("EC2.7", "AwsAccount", f"AWS::::Account:{HOME}"))
    refused = await prepare(ctx, [again])
    assert refused.plan.refused and refused.plan.calls == ()
    assert refused.plan.refusal.startswith("already fixed:")
    assert "resolve the finding" in refused.plan.refusal
    assert stored(client, again)["Workflow"]["Status"] == "NEW"


async def test_cloudtrail_log_file_validation(
    client: ClientMaker, ctx: RemediationContext, runner: ActionRunner
) -> None:
    s3 = client("s3", region=REGION)
    bucket = unique("pb-trail-logs")
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
    cloudtrail = client("cloudtrail", region=REGION)
    trail = cloudtrail.create_trail(Name=unique("pb-trail"), S3BucketName=bucket)
    arn = trail["TrailARN"]
    (finding,) = imported(client, asff("CIS1.2/2.2", "AwsCloudTrailTrail", arn))

    remediation = await prepare(ctx, [finding])

    assert remediation.playbook.id == "cloudtrail-log-validation"
    (call,) = remediation.plan.calls
    assert (call.service, call.operation, call.region, call.params) == (
        "cloudtrail",
        "UpdateTrail",
        REGION,
        {"Name": arn, "EnableLogFileValidation": True},
    )
    outcome = await run(runner, ctx, remediation)
    assert outcome.ok, outcome.message
    assert cloudtrail.get_trail(Name=arn)["Trail"]["LogFileValidationEnabled"] is True
    assert_marked(client, finding, "RESOLVED", "warroom cloudtrail-log-validation:", trail["Name"])


async def test_kms_key_rotation(client: ClientMaker, ctx: RemediationContext, runner: ActionRunner) -> None:
    kms = client("kms", region=REGION)
    key = kms.create_key(Description="pb ledger")["KeyMetadata"]
    (finding,) = imported(client, asff("KMS.4", "AwsKmsKey", key["Arn"]))

    remediation = await prepare(ctx, [finding])

    (call,) = remediation.plan.calls
    assert (call.service, call.operation, call.params) == ("kms", "EnableKeyRotation", {"KeyId": key["Arn"]})
    outcome = await run(runner, ctx, remediation)
    assert outcome.ok, outcome.message
    assert kms.get_key_rotation_status(KeyId=key["KeyId"])["KeyRotationEnabled"] is True
    assert_marked(client, finding, "RESOLVED", "warroom kms-key-rotation:", key["Arn"])


async def test_kms_refuses_a_key_that_cannot_rotate(client: ClientMaker, ctx: RemediationContext) -> None:
    kms = client("kms", region=REGION)
    key = kms.create_key(KeySpec="RSA_2048", KeyUsage="SIGN_VERIFY")["KeyMetadata"]
    (finding,) = imported(client, asff("KMS.4", "AwsKmsKey", key["Arn"]))

    remediation = await prepare(ctx, [finding])

    assert remediation.plan.refused and "RSA_2048" in remediation.plan.refusal


async def test_iam_deactivates_only_active_keys_older_than_90_days(
    client: ClientMaker, factory: ClientFactory, runner: ActionRunner
) -> None:
    iam = client("iam", region=REGION)
    user = unique("pb-keys")
    iam.create_user(UserName=user)
    active = iam.create_access_key(UserName=user)["AccessKey"]["AccessKeyId"]
    inactive = iam.create_access_key(UserName=user)["AccessKey"]["AccessKeyId"]
    iam.update_access_key(UserName=user, AccessKeyId=inactive, Status="Inactive")
    (finding,) = imported(client, asff("IAM.3", "AwsIamUser", f"arn:aws:iam::{HOME}:user/{user}"))
    later = RemediationContext(factory, HOME, ROLE_NAME, UPDATED_BY, REGION, clock=Clock(timedelta(days=100)))

    remediation = await prepare(later, [finding])

    (call,) = remediation.plan.calls
    assert (call.service, call.operation, call.region, call.params) == (
        "iam",
        "UpdateAccessKey",
        REGION,
        {"UserName": user, "AccessKeyId": active, "Status": "Inactive"},
    )
    outcome = await run(runner, later, remediation)
    assert outcome.ok, outcome.message
    statuses = {
        k["AccessKeyId"]: k["Status"] for k in iam.list_access_keys(UserName=user)["AccessKeyMetadata"]
    }
    assert statuses == {active: "Inactive", inactive: "Inactive"}
    assert_marked(client, finding, "RESOLVED", "warroom iam-deactivate-old-keys:", active, "100 days old")


async def test_iam_refuses_when_no_key_is_older_than_90_days(
    client: ClientMaker, ctx: RemediationContext
) -> None:
    iam = client("iam", region=REGION)
    user = unique("pb-fresh")
    iam.create_user(UserName=user)
    iam.create_access_key(UserName=user)
    (finding,) = imported(client, asff("CIS1.2/1.4", "AwsIamUser", f"arn:aws:iam::{HOME}:user/{user}"))

    remediation = await prepare(ctx, [finding])

    assert remediation.plan.refused and remediation.plan.calls == ()
    assert "no active access key older than 90 days" in remediation.plan.refusal
    assert "already fixed" in remediation.plan.refusal


# ---- many findings, other accounts, failures, refusals ---------------------------------------


async def test_several_findings_of_one_control_make_one_plan(
    client: ClientMaker, ctx: RemediationContext, runner: ActionRunner
) -> None:
    ec2 = client("ec2", region=REGION)
    groups = [new_group(ec2, [tcp(22, "0.0.0.0/0")]) for _ in range(3)]
    targets = imported(client, *(asff("EC2.13", "AwsEc2SecurityGroup", group_arn(g)) for g in groups))

    remediation = await prepare(ctx, targets)

    assert remediation.plan.title == "Close SSH/RDP to the world: 3 security groups"
    assert [call.params["GroupId"] for call in remediation.plan.calls] == groups
    outcome = await run(runner, ctx, remediation)
    assert outcome.ok, outcome.message
    for group, target in zip(groups, targets, strict=True):
        assert world_rules(ingress(ec2, group)) == []
        assert_marked(client, target, "RESOLVED", "warroom sg-world-admin-ports:", *groups)


async def test_findings_read_back_from_security_hub_are_remediated(
    client: ClientMaker, ctx: RemediationContext, runner: ActionRunner
) -> None:
    ec2 = client("ec2", region=REGION)
    group = new_group(ec2, [tcp(22, "0.0.0.0/0")])
    raws = [asff(control, "AwsEc2SecurityGroup", group_arn(group)) for control in ("EC2.13", "CIS1.2/4.1")]
    imported(client, *raws)
    hub = client("securityhub", region=REGION)
    ids = [{"Value": raw["Id"], "Comparison": "EQUALS"} for raw in raws]
    parsed = [parse_finding(raw) for raw in hub.get_findings(Filters={"Id": ids})["Findings"]]
    findings: list[Finding] = [finding for finding in parsed if finding is not None]
    assert sorted(f.control_keys for f in findings) == [("CIS1.2/4.1",), ("EC2.13",)]

    remediation = await prepare(ctx, findings)

    books = [playbook_for(f) for f in findings]
    assert [book.id if book else None for book in books] == ["sg-world-admin-ports"] * 2
    outcome = await run(runner, ctx, remediation)
    assert outcome.ok, outcome.message
    assert world_rules(ingress(ec2, group)) == []
    for raw in raws:
        assert_marked(client, target_of(raw), "RESOLVED", "warroom sg-world-admin-ports:")


async def test_findings_of_another_account_are_fixed_through_its_role(
    client: ClientMaker, sim_url: str, factory: ClientFactory, runner: ActionRunner, accounts: None
) -> None:
    ctx = RemediationContext(factory, HOME, ROLE_NAME, UPDATED_BY, REGION)
    member_ec2 = assumed(sim_url, "ec2", MEMBER)
    member_group = new_group(member_ec2, [tcp(22, "0.0.0.0/0", "::/0")])
    home_ec2 = client("ec2", region=REGION)
    home_group = new_group(home_ec2, [tcp(3389, "0.0.0.0/0")])
    assert (
        member_ec2.describe_security_groups(GroupIds=[member_group])["SecurityGroups"][0]["OwnerId"] == MEMBER
    )
    member, home = imported(
        client,
        asff("EC2.13", "AwsEc2SecurityGroup", group_arn(member_group, MEMBER), account=MEMBER),
        asff("EC2.14", "AwsEc2SecurityGroup", group_arn(home_group)),
    )

    remediation = await prepare(ctx, [member, home])

    assert remediation.plan.title == "Close SSH/RDP to the world: 2 security groups in 2 accounts"
    member_call, home_call = remediation.plan.calls
    assert (member_call.params["GroupId"], member_call.role_arn) == (member_group, role_arn(MEMBER))
    assert (home_call.params["GroupId"], home_call.role_arn) == (home_group, None)
    assert any(f"as role {role_arn(MEMBER)}" in note for note in remediation.plan.notes)

    outcome = await run(runner, ctx, remediation)

    assert outcome.ok, outcome.message
    assert world_rules(ingress(member_ec2, member_group)) == []
    assert world_rules(ingress(home_ec2, home_group)) == []
    assert_marked(client, member, "RESOLVED", member_group)
    assert_marked(client, home, "RESOLVED", home_group)
    roles = [(r["operation"], r["outcome"], r["role_arn"]) for r in runner.audit.records()]
    assert ("RevokeSecurityGroupIngress", "ok", role_arn(MEMBER)) in roles
    assert ("RevokeSecurityGroupIngress", "ok", None) in roles


async def test_read_only_refuses_and_changes_nothing(
    client: ClientMaker, factory: ClientFactory, ctx: RemediationContext, audit: AuditLog
) -> None:
    ec2 = client("ec2", region=REGION)
    group = new_group(ec2, [tcp(22, "0.0.0.0/0")])
    (finding,) = imported(client, asff("EC2.13", "AwsEc2SecurityGroup", group_arn(group)))
    remediation = await prepare(ctx, [finding])
    assert not remediation.plan.refused
    read_only = ActionRunner(factory, read_only=True, audit=audit, actor="pb", account=HOME)

    with pytest.raises(ReadOnlyRefusal):
        await run(read_only, ctx, remediation)

    assert world_rules(ingress(ec2, group)) == [("tcp", 22, 22, "0.0.0.0/0")]
    after = stored(client, finding)
    assert after["Workflow"]["Status"] == "NEW" and "Note" not in after
    assert outcomes(audit) == [("RevokeSecurityGroupIngress", "refused-read-only")]


async def test_a_group_deleted_after_the_plan_marks_the_finding_notified(
    client: ClientMaker, ctx: RemediationContext, runner: ActionRunner
) -> None:
    ec2 = client("ec2", region=REGION)
    group = new_group(ec2, [tcp(3389, "0.0.0.0/0")])
    (finding,) = imported(client, asff("EC2.14", "AwsEc2SecurityGroup", group_arn(group)))
    remediation = await prepare(ctx, [finding])
    ec2.delete_security_group(GroupId=group)

    outcome = await run(runner, ctx, remediation)

    assert not outcome.ok and not outcome.verified
    assert outcome.marked is not None and outcome.marked.processed == {finding.key}
    assert_marked(
        client, finding, "NOTIFIED", "warroom sg-world-admin-ports: failed:", "InvalidGroup.NotFound"
    )


async def test_a_rule_added_before_the_run_fails_verification(
    client: ClientMaker, ctx: RemediationContext, runner: ActionRunner
) -> None:
    ec2 = client("ec2", region=REGION)
    group = new_group(ec2, [tcp(22, "0.0.0.0/0")])
    (finding,) = imported(client, asff("EC2.13", "AwsEc2SecurityGroup", group_arn(group)))
    remediation = await prepare(ctx, [finding])
    ec2.authorize_security_group_ingress(GroupId=group, IpPermissions=[tcp(20, "0.0.0.0/0", to=30)])

    outcome = await run(runner, ctx, remediation)

    assert outcome.action is not None and outcome.action.ok
    assert not outcome.ok and not outcome.verified
    assert "tcp 20-30 from 0.0.0.0/0" in outcome.verification
    assert world_rules(ingress(ec2, group)) == [("tcp", 20, 30, "0.0.0.0/0")]
    assert_marked(client, finding, "NOTIFIED", "failed: verification failed", "tcp 20-30")


async def test_refusals_name_their_reason(client: ClientMaker, ctx: RemediationContext) -> None:
    ec2 = client("ec2", region=REGION)
    group = new_group(ec2, [tcp(22, "0.0.0.0/0")])
    arn = group_arn(group)
    open_ssh = target_of(asff("EC2.13", "AwsEc2SecurityGroup", arn))
    cases: list[tuple[list[Found], str]] = [
        ([], "no findings selected"),
        ([target_of(asff("EC2.8", "AwsEc2Instance", "i-0123"))], "no playbook for EC2.8"),
        ([open_ssh, target_of(asff("EC2.19", "AwsEc2SecurityGroup", arn))], "different playbooks"),
        ([replace(open_ssh, workflow_status="SUPPRESSED")], "it is SUPPRESSED"),
        ([replace(open_ssh, compliance_status="PASSED")], "PASSED, not FAILED"),
        ([replace(open_ssh, record_state="ARCHIVED")], "it is ARCHIVED"),
        (
            [target_of(asff("EC2.13", "AwsEc2SecurityGroup", group_arn("sg-0123456789abcdef0")))],
            "no longer exists (InvalidGroup.NotFound)",
        ),
    ]
    for targets, reason in cases:
        remediation = await prepare(ctx, targets)
        assert remediation.plan.refused, targets
        assert reason in remediation.plan.refusal, remediation.plan.refusal
        assert remediation.plan.calls == ()
    assert (await prepare(ctx, [])).playbook == NO_PLAYBOOK
    nobody = replace(ctx, updated_by="")
    assert "could not be marked" in (await prepare(nobody, [open_ssh])).plan.refusal
    assert world_rules(ingress(ec2, group)) == [("tcp", 22, 22, "0.0.0.0/0")]


async def test_an_unassumable_role_is_a_refusal_not_an_exception(
    client: ClientMaker, factory: ClientFactory
) -> None:
    ctx = RemediationContext(factory, HOME, "bad role name with spaces", UPDATED_BY, REGION)
    target = target_of(
        asff("EC2.13", "AwsEc2SecurityGroup", group_arn("sg-0123456789abcdef0", MEMBER), account=MEMBER)
    )

    remediation = await prepare(ctx, [target])

    assert remediation.plan.refused
    assert remediation.plan.refusal.startswith(
        f"could not read security group sg-0123456789abcdef0 in account {MEMBER} {REGION}"
    )
    assert "is not an IAM role ARN" in remediation.plan.refusal
