"""What the Findings pane's playbooks act on, as the seeded simulator holds it (seed 7, us-east-1).

Reads of the shared simulator only look. The checks that change something (dry runs, a finding's
workflow, synthetic imports, dating a user's keys) work in this module's own region, eu-north-1,
or in account 999900001111, which nothing else uses.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit

import boto3
import pytest
from botocore.exceptions import ClientError

from tui.sim import catalog
from tui.sim.account import ACCOUNT_ID
from tui.sim.findings import CIS_12, CIS_14
from tui.sim.findings_bulk import synthetic_findings
from tui.sim.server import SimServer
from tui.sim.workload import Inventory, backdate_iam_users, import_synthetic_findings

MEMBER = catalog.MEMBER_ACCOUNT_ID
OWN_REGION = "eu-north-1"
SCRATCH_ACCOUNT = "999900001111"
WORLD = ("0.0.0.0/0", "::/0")

Client = Callable[..., Any]


@pytest.fixture(scope="module")
def inventory(sim: SimServer) -> Inventory:
    inv: Inventory = sim.workload.inventory
    return inv


@pytest.fixture(scope="module")
def findings(sim: SimServer) -> list[dict[str, Any]]:
    hub = _client(sim.endpoint_url, "securityhub")
    out: list[dict[str, Any]] = []
    for page in hub.get_paginator("get_findings").paginate(PaginationConfig={"PageSize": 100}):
        out.extend(page["Findings"])
    return out


def _client(
    url: str, service: str, region: str = "us-east-1", credentials: dict[str, str] | None = None
) -> Any:
    keys = credentials or {"AccessKeyId": "testing", "SecretAccessKey": "testing"}
    return boto3.client(
        service,
        region_name=region,
        endpoint_url=url,
        aws_access_key_id=keys["AccessKeyId"],
        aws_secret_access_key=keys["SecretAccessKey"],
        aws_session_token=keys.get("SessionToken"),
    )


def _assume(url: str, account: str, role: str = catalog.REMEDIATION_ROLE) -> dict[str, str]:
    sts = _client(url, "sts")
    reply = sts.assume_role(RoleArn=f"arn:aws:iam::{account}:role/{role}", RoleSessionName="warroom-tests")
    credentials: dict[str, str] = reply["Credentials"]
    return credentials


@pytest.fixture(scope="module")
def member(sim: SimServer) -> Client:
    """``member("ec2")``: a client of the member account, through the remediation role."""
    credentials = _assume(sim.endpoint_url, MEMBER)

    def make(service: str, region: str = "us-east-1") -> Any:
        return _client(sim.endpoint_url, service, region, credentials)

    return make


def _s3control(client: Client) -> Any:
    """An s3control client whose requests reach the simulator: its endpoint rules put the account id
    in front of the host, which does not resolve for 127.0.0.1."""
    s3control = client("s3control")

    def route(request: Any, **_: Any) -> None:
        parts = urlsplit(request.url)
        request.url = urlunsplit(parts._replace(netloc=re.sub(r"^\d{12}\.", "", parts.netloc)))

    s3control.meta.events.register("before-sign.s3-control", route)
    return s3control


def _control(findings: list[dict[str, Any]], control: str, account: str = ACCOUNT_ID) -> list[dict[str, Any]]:
    return [
        f
        for f in findings
        if f["AwsAccountId"] == account and f.get("Compliance", {}).get("SecurityControlId") == control
    ]


def _cis(findings: list[dict[str, Any]], rule: str, account: str = ACCOUNT_ID) -> list[dict[str, Any]]:
    return [
        f for f in findings if f["AwsAccountId"] == account and f["GeneratorId"].endswith(f"/rule/{rule}")
    ]


# ------------------------------------------------------------------------------------------------
# Accounts: requests land in the account of their credentials
# ------------------------------------------------------------------------------------------------


def test_requests_are_not_pinned_to_one_account(sim: SimServer) -> None:
    from moto.core.models import DEFAULT_ACCOUNT_ID

    assert DEFAULT_ACCOUNT_ID == ACCOUNT_ID, "moto's default account is no longer the simulator's"
    assert "MOTO_ACCOUNT_ID" not in os.environ, "MOTO_ACCOUNT_ID pins every request to one account"
    assert _client(sim.endpoint_url, "sts").get_caller_identity()["Account"] == ACCOUNT_ID
    credentials = _assume(sim.endpoint_url, MEMBER)
    identity = _client(sim.endpoint_url, "sts", credentials=credentials).get_caller_identity()
    assert identity["Account"] == MEMBER
    assert identity["Arn"].startswith(f"arn:aws:sts::{MEMBER}:assumed-role/{catalog.REMEDIATION_ROLE}/")


# ------------------------------------------------------------------------------------------------
# The member account's resources
# ------------------------------------------------------------------------------------------------


def test_member_group_opens_ssh_and_rdp_to_the_world_in_its_default_vpc(
    member: Client, client: Client, inventory: Inventory
) -> None:
    ec2 = member("ec2")
    (vpc,) = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"]
    assert vpc["VpcId"] == inventory.member_default_vpc_id
    name = catalog.MEMBER_SECURITY_GROUP.name
    (group,) = ec2.describe_security_groups(Filters=[{"Name": "group-name", "Values": [name]}])[
        "SecurityGroups"
    ]
    assert group["GroupId"] == inventory.member_security_groups[name]
    assert group["VpcId"] == vpc["VpcId"] and group["OwnerId"] == MEMBER
    opened = set()
    for permission in group["IpPermissions"]:
        cidrs = [r["CidrIp"] for r in permission.get("IpRanges", [])]
        cidrs += [r["CidrIpv6"] for r in permission.get("Ipv6Ranges", [])]
        for cidr in cidrs:
            opened.add((permission["IpProtocol"], permission["FromPort"], permission["ToPort"], cidr))
    assert opened == {("tcp", port, port, cidr) for port in (22, 3389) for cidr in WORLD}
    mine = client("ec2").describe_security_groups(Filters=[{"Name": "group-name", "Values": [name]}])
    assert mine["SecurityGroups"] == [], "the member's group is in the seeded account too"


def test_member_instance_and_bucket_exist_in_the_member_account_only(
    member: Client, client: Client, inventory: Inventory
) -> None:
    (instance_id,) = inventory.member_instances.values()
    reservations = member("ec2").describe_instances(InstanceIds=[instance_id])["Reservations"]
    (instance,) = reservations[0]["Instances"]
    assert instance["MetadataOptions"]["HttpTokens"] == "optional"
    assert [g["GroupName"] for g in instance["SecurityGroups"]] == [catalog.MEMBER_SECURITY_GROUP.name]
    seeded = {
        i["InstanceId"] for r in client("ec2").describe_instances()["Reservations"] for i in r["Instances"]
    }
    assert instance_id not in seeded

    (bucket,) = inventory.member_buckets
    assert bucket == f"sandbox-artifacts-{MEMBER}"
    s3 = member("s3")
    assert bucket in {b["Name"] for b in s3.list_buckets()["Buckets"]}
    config = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    assert config == dict.fromkeys(
        ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"), True
    )
    assert bucket not in {b["Name"] for b in client("s3").list_buckets()["Buckets"]}


def test_member_findings_name_the_member_accounts_real_resources(
    findings: list[dict[str, Any]], member: Client, inventory: Inventory
) -> None:
    ours = [f for f in findings if f["AwsAccountId"] == MEMBER]
    assert len(ours) == inventory.findings_by_account[MEMBER] == 18
    group_id = inventory.member_security_groups[catalog.MEMBER_SECURITY_GROUP.name]
    (instance_id,) = inventory.member_instances.values()
    (bucket,) = inventory.member_buckets
    real = {
        "AwsEc2SecurityGroup": f"arn:aws:ec2:us-east-1:{MEMBER}:security-group/{group_id}",
        "AwsEc2Instance": f"arn:aws:ec2:us-east-1:{MEMBER}:instance/{instance_id}",
        "AwsS3Bucket": f"arn:aws:s3:::{bucket}",
        "AwsAccount": f"AWS::::Account:{MEMBER}",
    }
    named = {(r["Type"], r["Id"]) for f in ours for r in f["Resources"]}
    assert named == set(real.items())
    for finding in ours:
        assert finding["AwsAccountName"] == catalog.MEMBER_ACCOUNT_NAME
        for resource in finding["Resources"]:
            if resource["Type"] == "AwsEc2SecurityGroup":
                details = resource["Details"]["AwsEc2SecurityGroup"]
                assert details["GroupId"] == group_id and details["OwnerId"] == MEMBER
                assert details["GroupName"] == catalog.MEMBER_SECURITY_GROUP.name
    # The instance's findings carry its real id in their text too.
    crypto = next(f for f in ours if f["GeneratorId"].startswith("CryptoCurrency:"))
    assert instance_id in crypto["Title"]
    assert member("ec2").describe_instances(InstanceIds=[instance_id])["Reservations"]


@pytest.mark.parametrize(
    ("control", "rule", "ports"),
    [("EC2.13", "4.1", (22,)), ("EC2.14", "4.2", (3389,)), ("EC2.19", None, (22, 3389))],
)
def test_member_open_port_findings_match_the_groups_rules(
    findings: list[dict[str, Any]], member: Client, control: str, rule: str | None, ports: tuple[int, ...]
) -> None:
    matching = _control(findings, control, MEMBER) + (_cis(findings, rule, MEMBER) if rule else [])
    assert len(matching) == (2 if rule else 1)
    for finding in matching:
        assert finding["Compliance"]["Status"] == "FAILED" and finding["RecordState"] == "ACTIVE"
        (resource,) = finding["Resources"]
        group_id = resource["Id"].rsplit("/", 1)[1]
        (group,) = member("ec2").describe_security_groups(GroupIds=[group_id])["SecurityGroups"]
        for port in ports:
            world = set()
            for permission in group["IpPermissions"]:
                if permission.get("FromPort") == port and permission.get("ToPort") == port:
                    world |= {r["CidrIp"] for r in permission.get("IpRanges", [])}
                    world |= {r["CidrIpv6"] for r in permission.get("Ipv6Ranges", [])}
            assert world == set(WORLD), (control, port, group["IpPermissions"])
        details = resource["Details"]["AwsEc2SecurityGroup"]
        v6 = {r["CidrIpv6"] for p in details["IpPermissions"] for r in p.get("Ipv6Ranges", [])}
        assert v6 == {"::/0"}


def test_member_bucket_finding_passes_as_its_block_says(
    findings: list[dict[str, Any]], inventory: Inventory
) -> None:
    (finding,) = _control(findings, "S3.8", MEMBER)
    assert finding["Compliance"]["Status"] == "PASSED" and finding["Workflow"]["Status"] == "RESOLVED"
    (resource,) = finding["Resources"]
    assert resource["Id"] == f"arn:aws:s3:::{inventory.member_buckets[0]}"
    details = resource["Details"]["AwsS3Bucket"]
    assert details["OwnerAccountId"] == MEMBER
    assert all(details["PublicAccessBlockConfiguration"].values())


# ------------------------------------------------------------------------------------------------
# The remediation role
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("account", [ACCOUNT_ID, MEMBER])
def test_remediation_role_trusts_the_seeded_account_and_allows_the_playbooks(
    sim: SimServer, inventory: Inventory, account: str
) -> None:
    credentials = None if account == ACCOUNT_ID else _assume(sim.endpoint_url, MEMBER)
    iam = _client(sim.endpoint_url, "iam", credentials=credentials)
    role = iam.get_role(RoleName=catalog.REMEDIATION_ROLE)["Role"]
    assert role["Arn"] == f"arn:aws:iam::{account}:role/{catalog.REMEDIATION_ROLE}"
    assert inventory.remediation_roles[account] == role["Arn"]
    trust = role["AssumeRolePolicyDocument"]
    if isinstance(trust, str):
        trust = json.loads(unquote(trust))
    (statement,) = trust["Statement"]
    assert statement["Principal"] == {"AWS": f"arn:aws:iam::{ACCOUNT_ID}:root"}
    assert statement["Action"] == "sts:AssumeRole" and statement["Effect"] == "Allow"
    assert iam.list_role_policies(RoleName=catalog.REMEDIATION_ROLE)["PolicyNames"] == [
        catalog.REMEDIATION_POLICY_NAME
    ]
    document = iam.get_role_policy(
        RoleName=catalog.REMEDIATION_ROLE, PolicyName=catalog.REMEDIATION_POLICY_NAME
    )["PolicyDocument"]
    if isinstance(document, str):
        document = json.loads(unquote(document))
    allowed = {action for s in document["Statement"] if s["Effect"] == "Allow" for action in s["Action"]}
    assert allowed >= {
        "ec2:RevokeSecurityGroupIngress",
        "ec2:RevokeSecurityGroupEgress",
        "ec2:EnableEbsEncryptionByDefault",
        "s3:PutAccountPublicAccessBlock",
        "s3:PutBucketPublicAccessBlock",
        "cloudtrail:UpdateTrail",
        "kms:EnableKeyRotation",
        "iam:UpdateAccessKey",
        "iam:ListAccessKeys",
    }


# ------------------------------------------------------------------------------------------------
# Access key ages
# ------------------------------------------------------------------------------------------------


def test_access_keys_are_as_old_as_the_catalog_says(client: Client, inventory: Inventory) -> None:
    iam = client("iam")
    seeded_at = inventory.seeded_at
    for name, age in catalog.ACCESS_KEY_USERS.items():
        (key,) = iam.list_access_keys(UserName=name)["AccessKeyMetadata"]
        expected = seeded_at - timedelta(days=age)
        assert abs((key["CreateDate"] - expected).total_seconds()) < 1, (name, key["CreateDate"], expected)
        user = iam.get_user(UserName=name)["User"]
        lead = timedelta(days=age + catalog.USER_OLDER_THAN_KEY_DAYS)
        assert abs((user["CreateDate"] - (seeded_at - lead)).total_seconds()) < 1, name


def test_key_rotation_findings_fail_exactly_for_keys_older_than_90_days(
    client: Client, findings: list[dict[str, Any]], inventory: Inventory
) -> None:
    iam = client("iam")
    old = set()
    for name in catalog.ACCESS_KEY_USERS:
        (key,) = iam.list_access_keys(UserName=name)["AccessKeyMetadata"]
        if inventory.seeded_at - key["CreateDate"] > timedelta(days=90):
            old.add(f"arn:aws:iam::{ACCOUNT_ID}:user/{name}")
    assert len(old) == 2
    for flagged in (_control(findings, "IAM.3"), _cis(findings, "1.4")):
        failed = {f["Resources"][0]["Id"] for f in flagged if f["Compliance"]["Status"] == "FAILED"}
        assert failed == old


def test_moto_iam_users_and_access_keys_still_carry_create_date(sim: SimServer) -> None:
    from moto.iam.models import AccessKey, User, iam_backends

    backend = iam_backends[ACCOUNT_ID]["aws"]
    assert hasattr(backend, "get_user"), "moto's IAM backend has no get_user: backdate_iam_users must change"
    user = backend.get_user("svc-reconciler")
    assert isinstance(user, User), f"moto's IAM backend returns {type(user)!r} for a user"
    assert isinstance(getattr(user, "create_date", None), datetime), (
        "moto's IAM User has no create_date datetime any more: backdate_iam_users cannot date users"
    )
    keys = getattr(user, "access_keys", None)
    assert isinstance(keys, list) and keys, "moto's IAM User keeps no access_keys list any more"
    assert all(isinstance(key, AccessKey) for key in keys), "moto's IAM User.access_keys holds other objects"
    assert all(isinstance(getattr(key, "create_date", None), datetime) for key in keys), (
        "moto's IAM AccessKey has no create_date datetime any more: ListAccessKeys would report the "
        "seeding time and backdate_iam_users must change"
    )


def test_backdating_is_idempotent_and_shows_in_list_access_keys(sim_url: str) -> None:
    iam = _client(sim_url, "iam", credentials=_assume(sim_url, SCRATCH_ACCOUNT, "seed-tests"))
    iam.create_user(UserName="dated-user")
    iam.create_access_key(UserName="dated-user")
    iam.create_access_key(UserName="dated-user")
    now = datetime(2026, 11, 26, 12, tzinfo=UTC)

    assert backdate_iam_users(SCRATCH_ACCOUNT, {"dated-user": 200}, now) == 2
    assert backdate_iam_users(SCRATCH_ACCOUNT, {"dated-user": 200}, now) == 2

    keys = iam.list_access_keys(UserName="dated-user")["AccessKeyMetadata"]
    assert [k["CreateDate"] for k in keys] == [now - timedelta(days=200)] * 2
    created = iam.get_user(UserName="dated-user")["User"]["CreateDate"]
    assert created == now - timedelta(days=200 + catalog.USER_OLDER_THAN_KEY_DAYS)


# ------------------------------------------------------------------------------------------------
# KMS
# ------------------------------------------------------------------------------------------------


def test_customer_key_has_rotation_off_and_two_findings(
    client: Client, findings: list[dict[str, Any]], inventory: Inventory
) -> None:
    kms = client("kms")
    aliases = {a["AliasName"]: a.get("TargetKeyId") for a in kms.list_aliases()["Aliases"]}
    key_id = aliases[catalog.KMS_KEY_ALIAS]
    meta = kms.describe_key(KeyId=catalog.KMS_KEY_ALIAS)["KeyMetadata"]
    assert meta["KeyId"] == key_id and meta["Arn"] == inventory.kms_keys[catalog.KMS_KEY_ALIAS]
    assert meta["KeyManager"] == "CUSTOMER" and meta["KeySpec"] == "SYMMETRIC_DEFAULT"
    assert meta["KeyUsage"] == "ENCRYPT_DECRYPT" and meta["KeyState"] == "Enabled"
    assert kms.get_key_rotation_status(KeyId=key_id)["KeyRotationEnabled"] is False

    (control,) = _control(findings, "KMS.4")
    assert control["Title"] == "AWS KMS key rotation should be enabled"
    assert control["Severity"]["Label"] == "MEDIUM" and control["Compliance"]["Status"] == "FAILED"
    standards = [s["StandardsId"] for s in control["Compliance"]["AssociatedStandards"]]
    assert standards == [CIS_12, CIS_14]
    (rule,) = _cis(findings, "2.8")
    assert rule["Title"] == "2.8 Ensure rotation for customer created CMKs is enabled"
    assert rule["Severity"]["Label"] == "MEDIUM"
    for finding in (control, rule):
        (resource,) = finding["Resources"]
        assert resource["Type"] == "AwsKmsKey" and resource["Id"] == meta["Arn"]
        details = resource["Details"]["AwsKmsKey"]
        assert details["KeyId"] == key_id and details["KeyRotationStatus"] is False
        assert details["KeyManager"] == "CUSTOMER"


# ------------------------------------------------------------------------------------------------
# What the other playbooks find: EBS default encryption, trail validation, account S3 block
# ------------------------------------------------------------------------------------------------


def test_ebs_encryption_by_default_is_off_and_flagged(client: Client, findings: list[dict[str, Any]]) -> None:
    assert client("ec2").get_ebs_encryption_by_default()["EbsEncryptionByDefault"] is False
    (finding,) = _control(findings, "EC2.7")
    assert finding["Compliance"]["Status"] == "FAILED"
    assert finding["Resources"][0]["Id"] == f"AWS::::Account:{ACCOUNT_ID}"


def test_trail_validation_is_off_in_get_trail_and_describe_trails(
    client: Client, findings: list[dict[str, Any]], inventory: Inventory
) -> None:
    cloudtrail = client("cloudtrail")
    trail = cloudtrail.get_trail(Name=inventory.trail_name)["Trail"]
    assert trail["LogFileValidationEnabled"] is False
    (described,) = [t for t in cloudtrail.describe_trails()["trailList"] if t["Name"] == inventory.trail_name]
    assert described["LogFileValidationEnabled"] is False
    (finding,) = _control(findings, "CloudTrail.4")
    assert finding["Compliance"]["Status"] == "FAILED"
    assert finding["Resources"][0]["Id"] == trail["TrailARN"]
    assert finding["Resources"][0]["Details"]["AwsCloudTrailTrail"]["LogFileValidationEnabled"] is False


def test_account_public_access_block_is_absent_and_flagged(
    client: Client, findings: list[dict[str, Any]]
) -> None:
    with pytest.raises(ClientError) as caught:
        _s3control(client).get_public_access_block(AccountId=ACCOUNT_ID)
    assert caught.value.response["Error"]["Code"] == "NoSuchPublicAccessBlockConfiguration"
    (finding,) = _control(findings, "S3.1")
    assert finding["Compliance"]["Status"] == "FAILED"
    assert finding["Resources"][0]["Id"] == f"AWS::::Account:{ACCOUNT_ID}"


# ------------------------------------------------------------------------------------------------
# Dry runs change nothing (own region)
# ------------------------------------------------------------------------------------------------


def _dry_run_code(call: Callable[..., Any], **params: Any) -> str:
    with pytest.raises(ClientError) as caught:
        call(DryRun=True, **params)
    code: str = caught.value.response["Error"]["Code"]
    return code


def test_dry_runs_answer_dry_run_operation_and_change_nothing(client: Client) -> None:
    ec2 = client("ec2", region=OWN_REGION)
    vpc_id = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
    group_id = ec2.create_security_group(GroupName="dry-run-open", Description="dry run", VpcId=vpc_id)[
        "GroupId"
    ]
    ssh = {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}
    ec2.authorize_security_group_ingress(GroupId=group_id, IpPermissions=[ssh])
    before = ec2.describe_security_groups(GroupIds=[group_id])["SecurityGroups"][0]
    egress = {"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}

    assert _dry_run_code(ec2.revoke_security_group_ingress, GroupId=group_id, IpPermissions=[ssh]) == (
        "DryRunOperation"
    )
    assert _dry_run_code(ec2.revoke_security_group_egress, GroupId=group_id, IpPermissions=[egress]) == (
        "DryRunOperation"
    )
    assert _dry_run_code(ec2.enable_ebs_encryption_by_default) == "DryRunOperation"

    after = ec2.describe_security_groups(GroupIds=[group_id])["SecurityGroups"][0]
    assert after["IpPermissions"] == before["IpPermissions"] and after["IpPermissions"]
    assert after["IpPermissionsEgress"] == before["IpPermissionsEgress"] and after["IpPermissionsEgress"]
    assert ec2.get_ebs_encryption_by_default()["EbsEncryptionByDefault"] is False


# ------------------------------------------------------------------------------------------------
# Security Hub semantics the pane relies on
# ------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def own_hub(sim_url: str) -> Any:
    hub = _client(sim_url, "securityhub", OWN_REGION)
    try:
        hub.enable_security_hub(EnableDefaultStandards=True)
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "ResourceConflictException":
            raise
    return hub


def test_batch_update_findings_leaves_updated_at_alone(own_hub: Any) -> None:
    now = datetime(2026, 11, 26, 12, tzinfo=UTC)
    (finding,) = synthetic_findings(1, seed=501, now=now, region=OWN_REGION)
    assert own_hub.batch_import_findings(Findings=[finding])["FailedCount"] == 0
    ident = {"Id": finding["Id"], "ProductArn": finding["ProductArn"]}
    reply = own_hub.batch_update_findings(
        FindingIdentifiers=[ident],
        Workflow={"Status": "SUPPRESSED"},
        Note={"Text": "accepted risk", "UpdatedBy": "seed-tests"},
    )
    assert reply["ProcessedFindings"] == [ident] and reply["UnprocessedFindings"] == []
    (stored,) = own_hub.get_findings(Filters={"Id": [{"Value": finding["Id"], "Comparison": "EQUALS"}]})[
        "Findings"
    ]
    assert stored["Workflow"]["Status"] == "SUPPRESSED"
    assert stored["Note"]["Text"] == "accepted risk"
    assert stored["UpdatedAt"] == finding["UpdatedAt"]


def test_get_findings_by_twenty_ids(sim: SimServer, findings: list[dict[str, Any]]) -> None:
    hub = _client(sim.endpoint_url, "securityhub")
    wanted = sorted(f["Id"] for f in findings)[::4][:20]
    assert len(wanted) == 20
    reply = hub.get_findings(
        Filters={"Id": [{"Value": i, "Comparison": "EQUALS"} for i in wanted]}, MaxResults=100
    )
    assert sorted(f["Id"] for f in reply["Findings"]) == wanted


def test_get_findings_by_updated_at_window(sim: SimServer, findings: list[dict[str, Any]]) -> None:
    hub = _client(sim.endpoint_url, "securityhub")

    def parsed(value: str) -> datetime:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))

    moments = sorted({parsed(f["UpdatedAt"]) for f in findings})
    start, end = moments[len(moments) // 4], moments[len(moments) // 2]
    expected = sorted(f["Id"] for f in findings if start <= parsed(f["UpdatedAt"]) <= end)
    assert 0 < len(expected) < len(findings)
    window = {
        "Start": start.strftime("%Y-%m-%dT%H:%M:%S.") + f"{start.microsecond // 1000:03d}Z",
        "End": end.strftime("%Y-%m-%dT%H:%M:%S.") + f"{end.microsecond // 1000:03d}Z",
    }
    got: list[str] = []
    for page in hub.get_paginator("get_findings").paginate(Filters={"UpdatedAt": [window]}):
        got.extend(f["Id"] for f in page["Findings"])
    assert sorted(got) == expected


# ------------------------------------------------------------------------------------------------
# Synthetic findings in the simulator
# ------------------------------------------------------------------------------------------------


def test_synthetic_findings_import_in_batches_and_read_back(own_hub: Any) -> None:
    now = datetime(2026, 11, 26, 12, tzinfo=UTC)
    calls: list[int] = []
    own_hub.meta.events.register(
        "provide-client-params.securityhub.BatchImportFindings",
        lambda params, **_: calls.append(len(params["Findings"])),
    )
    imported, refused = import_synthetic_findings(own_hub, 250, seed=77, now=now, region=OWN_REGION)
    assert (imported, refused) == (250, 0)
    assert calls == [100, 100, 50]
    expected = synthetic_findings(250, seed=77, now=now, region=OWN_REGION)
    ids = [f["Id"] for f in expected[:20]]
    stored = own_hub.get_findings(Filters={"Id": [{"Value": i, "Comparison": "EQUALS"} for i in ids]})[
        "Findings"
    ]
    assert sorted(f["Id"] for f in stored) == sorted(ids)
    by_id = {f["Id"]: f for f in expected}
    for finding in stored:
        original = by_id[finding["Id"]]
        for name in ("Title", "Severity", "Resources", "AwsAccountId", "RecordState", "UpdatedAt"):
            assert finding[name] == original[name], name
    assert import_synthetic_findings(own_hub, 0, seed=77, now=now, region=OWN_REGION) == (0, 0)


def test_sim_server_passes_extra_findings_to_the_workload(monkeypatch: pytest.MonkeyPatch) -> None:
    from tui.sim import workload

    made: list[dict[str, Any]] = []

    class Recorder:
        def __init__(self, endpoint_url: str, **kwargs: Any) -> None:
            made.append({"endpoint_url": endpoint_url, **kwargs})

        def seed_all(self, **_: Any) -> None:  # progress, backfill
            return None

        def stop(self) -> None:
            return None

    monkeypatch.setattr(workload, "Workload", Recorder)
    server = SimServer(seed=3, live=False, extra_findings=1234).start()
    try:
        # The workload is seeded through the simulator's application, in this process; the URL
        # of its private loopback listener names the endpoint.
        (given,) = made
        assert given.pop("endpoint_url").startswith("http://127.0.0.1:")
        assert callable(given.pop("app"))
        assert given == {"seed": 3, "extra_findings": 1234}
    finally:
        server.stop()


def test_a_negative_extra_findings_count_is_refused() -> None:
    from tui.sim.workload import Workload

    with pytest.raises(ValueError, match="extra_findings"):
        Workload("http://127.0.0.1:9", extra_findings=-1)


# ------------------------------------------------------------------------------------------------
# Controls that pass, per resource, and findings of deleted resources
# ------------------------------------------------------------------------------------------------


def _passed(findings: list[dict[str, Any]], control: str) -> set[str]:
    return {
        f["Resources"][0]["Id"]
        for f in _control(findings, control)
        if f["Compliance"]["Status"] == "PASSED" and f["RecordState"] == "ACTIVE"
    }


def test_passed_control_findings_are_informational_and_resolved(findings: list[dict[str, Any]]) -> None:
    passed = [
        f
        for f in findings
        if f.get("Compliance", {}).get("Status") == "PASSED" and f["RecordState"] == "ACTIVE"
    ]
    assert len(passed) >= 60
    for finding in passed:
        assert finding["Severity"] == {"Label": "INFORMATIONAL", "Normalized": 0}, finding["Id"]
        assert finding["Workflow"]["Status"] == "RESOLVED", finding["Id"]


def test_every_instance_passes_or_fails_imdsv2_as_it_is_configured(
    client: Client, findings: list[dict[str, Any]]
) -> None:
    reservations = client("ec2").describe_instances()["Reservations"]
    required, optional = set(), set()
    for instance in (i for r in reservations for i in r["Instances"]):
        arn = f"arn:aws:ec2:us-east-1:{ACCOUNT_ID}:instance/{instance['InstanceId']}"
        tokens = instance["MetadataOptions"]["HttpTokens"]
        (required if tokens == "required" else optional).add(arn)
        assert instance["VirtualizationType"] == "hvm" and len(instance["NetworkInterfaces"]) <= 1
    failed = {
        f["Resources"][0]["Id"]
        for f in _control(findings, "EC2.8")
        if f["Compliance"]["Status"] == "FAILED" and f["RecordState"] == "ACTIVE"
    }
    assert required and optional
    assert _passed(findings, "EC2.8") == required
    assert failed == optional
    assert _passed(findings, "EC2.24") == _passed(findings, "EC2.17") == required | optional


def test_encrypted_attached_volumes_pass_and_unencrypted_ones_fail(
    client: Client, findings: list[dict[str, Any]]
) -> None:
    volumes = client("ec2").describe_volumes()["Volumes"]
    attached = [v for v in volumes if v["Attachments"]]
    arn = "arn:aws:ec2:us-east-1:{}:volume/{}".format
    encrypted = {arn(ACCOUNT_ID, v["VolumeId"]) for v in attached if v["Encrypted"]}
    assert encrypted and _passed(findings, "EC2.3") == encrypted
    failed = {f["Resources"][0]["Id"] for f in _control(findings, "EC2.3")} - encrypted
    assert failed == {arn(ACCOUNT_ID, v["VolumeId"]) for v in attached if not v["Encrypted"]}


@pytest.mark.parametrize(("control", "ports"), [("EC2.13", (22,)), ("EC2.14", (3389,))])
def test_security_groups_pass_the_port_controls_only_when_their_rules_are_closed(
    client: Client, findings: list[dict[str, Any]], inventory: Inventory, control: str, ports: tuple[int, ...]
) -> None:
    groups = client("ec2").describe_security_groups(GroupIds=list(inventory.security_groups.values()))
    passed = _passed(findings, control)
    assert passed
    for group in groups["SecurityGroups"]:
        arn = f"arn:aws:ec2:us-east-1:{ACCOUNT_ID}:security-group/{group['GroupId']}"
        open_to_world = any(
            p.get("FromPort", 0) <= port <= p.get("ToPort", 65535)
            and {r.get("CidrIp") for r in p.get("IpRanges", [])} & {"0.0.0.0/0"}
            for p in group["IpPermissions"]
            for port in ports
        )
        assert (arn in passed) is not open_to_world, (group["GroupName"], group["IpPermissions"])


def test_passing_users_have_no_console_password_and_their_keys_are_used(
    client: Client, findings: list[dict[str, Any]]
) -> None:
    iam = client("iam")
    users = {f"arn:aws:iam::{ACCOUNT_ID}:user/{name}" for name in catalog.ACCESS_KEY_USERS}
    assert _passed(findings, "IAM.5") == users
    for name in catalog.ACCESS_KEY_USERS:
        with pytest.raises(ClientError, match="NoSuchEntity"):
            iam.get_login_profile(UserName=name)
    assert _passed(findings, "IAM.8") == users - {f"arn:aws:iam::{ACCOUNT_ID}:user/legacy-ftp-export"}


def test_buckets_pass_public_write_and_read_as_their_acls_say(
    client: Client, findings: list[dict[str, Any]], inventory: Inventory
) -> None:
    s3 = client("s3")
    everyone = "http://acs.amazonaws.com/groups/global/AllUsers"
    public_read, names = set(), set()
    for name in inventory.buckets:
        names.add(f"arn:aws:s3:::{name}")
        grants = s3.get_bucket_acl(Bucket=name)["Grants"]
        for grant in grants:
            if grant["Grantee"].get("URI") == everyone:
                assert grant["Permission"] not in ("WRITE", "WRITE_ACP", "FULL_CONTROL"), name
                if grant["Permission"] == "READ":
                    public_read.add(f"arn:aws:s3:::{name}")
    assert public_read
    assert _passed(findings, "S3.3") == names
    assert _passed(findings, "S3.2") == names - public_read


def test_standards_scores_are_realistic_and_failing_controls_still_fail(sim: SimServer) -> None:
    import asyncio

    from tui.aws.clients import AwsTarget, ClientFactory
    from tui.aws.findings import FindingsPoller
    from tui.aws.findings_model import standard_scores

    async def poll() -> Any:
        factory = ClientFactory(
            AwsTarget(
                regions=("us-east-1",),
                endpoint_url=sim.endpoint_url,
                access_key="testing",
                secret_key="testing",
            )
        )
        try:
            return await FindingsPoller(factory).poll()
        finally:
            await factory.close()

    snapshot = asyncio.run(poll())
    scores = {s.name: s for s in standard_scores(snapshot.findings, snapshot.standards)}
    for name in ("FSBP v1.0.0", "CIS 1.2.0"):
        share = scores[name].share
        assert share is not None and 0.15 <= share <= 0.8, (name, scores[name])
    failing: dict[str, bool] = {}
    for finding in snapshot.findings:
        if finding.control_id and finding.workflow_status != "SUPPRESSED":
            failing[finding.control_id] = failing.get(finding.control_id, False) or (
                finding.compliance_status == "FAILED"
            )
    for control in ("EC2.19", "S3.8", "IAM.3", "EC2.8", "CloudTrail.1"):
        assert failing[control] is True, control
    for control in ("EC2.24", "S3.3", "IAM.5", "KMS.3", "GuardDuty.1"):
        assert failing[control] is False, control


def test_archived_findings_name_resources_that_no_longer_exist(
    client: Client, findings: list[dict[str, Any]]
) -> None:
    gone = ("was deleted", "was terminated")
    archived = [
        f for f in findings if f["RecordState"] == "ARCHIVED" and any(w in f["Description"] for w in gone)
    ]
    kinds = {f["Resources"][0]["Type"] for f in archived}
    assert {"AwsEc2Instance", "AwsEc2SecurityGroup", "AwsS3Bucket"} <= kinds
    ec2 = client("ec2")
    for finding in archived:
        assert finding["RecordState"] == "ARCHIVED"
        resource = finding["Resources"][0]
        if resource["Type"] == "AwsEc2Instance":
            with pytest.raises(ClientError, match="InvalidInstanceID"):
                ec2.describe_instances(InstanceIds=[resource["Id"].rsplit("/", 1)[1]])
        elif resource["Type"] == "AwsEc2SecurityGroup":
            with pytest.raises(ClientError, match="InvalidGroup"):
                ec2.describe_security_groups(GroupIds=[resource["Id"].rsplit("/", 1)[1]])
        else:
            with pytest.raises(ClientError, match=r"NoSuchBucket|Not Found|404"):
                client("s3").head_bucket(Bucket=resource["Id"].split(":::", 1)[1])
