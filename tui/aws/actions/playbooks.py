"""One-key remediation: a playbook per Security Hub control, planned from what AWS really holds.

``prepare`` reads each finding's resource (through an assumed role in the finding's account when
that is not the console's own), works out the exact calls that fix it, and returns a ``Plan`` the
confirm dialog shows. ``run`` checks the plan with a dry run where the API takes one, executes it,
re-reads every resource to verify the fix, and marks the findings RESOLVED with a note naming the
playbook, or NOTIFIED with the failure. Refusals (read-only mode, a refused plan) come from the
``ActionRunner`` and propagate unchanged.

IAM calls are made in the finding's region: botocore sends IAM to its partition's global endpoint
whichever region of that partition the client names, and the finding's region is always in the
finding's partition, where a fixed ``us-east-1`` would be wrong for aws-cn and aws-us-gov.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from tui.aws.actions.core import ActionResult, ActionRunner, ApiCall, Plan, PlanRefusal
from tui.aws.actions.findings import NOTE_LIMIT, Target, WorkflowOutcome, run_workflow, workflow_plan
from tui.aws.clients import ClientFactory
from tui.aws.errors import AwsProblem, ErrorKind, classify
from tui.aws.outcome import utcnow
from tui.common.aws_rules import HIGH_RISK_PORTS
from tui.common.timefmt import instant

log = logging.getLogger(__name__)

WORLD_V4 = "0.0.0.0/0"
WORLD_V6 = "::/0"
_BOTH = (WORLD_V4, WORLD_V6)
ADMIN_PORTS = (22, 3389)
#: An access key older than this is deactivated by ``iam-deactivate-old-keys``.
KEY_MAX_AGE = timedelta(days=90)
PUBLIC_ACCESS_BLOCK = {
    "BlockPublicAcls": True,
    "IgnorePublicAcls": True,
    "BlockPublicPolicy": True,
    "RestrictPublicBuckets": True,
}

# Control key -> (ports, world ranges) for the security group playbooks. Controls that name one
# address family (EC2.53, EC2.54, CIS 3.0 5.2/5.3) revoke only that family.
_WORLD_ADMIN: dict[str, tuple[tuple[int, ...], tuple[str, ...]]] = {
    "EC2.13": ((22,), _BOTH),
    "EC2.14": ((3389,), _BOTH),
    "EC2.53": (ADMIN_PORTS, (WORLD_V4,)),
    "EC2.54": (ADMIN_PORTS, (WORLD_V6,)),
    "CIS1.2/4.1": ((22,), _BOTH),
    "CIS1.2/4.2": ((3389,), _BOTH),
    "CIS1.4/5.2": (ADMIN_PORTS, _BOTH),
    "CIS3.0/5.2": (ADMIN_PORTS, (WORLD_V4,)),
    "CIS3.0/5.3": (ADMIN_PORTS, (WORLD_V6,)),
}
_HIGH_RISK: dict[str, tuple[tuple[int, ...], tuple[str, ...]]] = {"EC2.19": (HIGH_RISK_PORTS, _BOTH)}


@dataclass(frozen=True)
class PlaybookInfo:
    """What a playbook is called, what it does, and the control keys it handles."""

    id: str
    title: str
    description: str
    controls: tuple[str, ...]


#: The ``playbook`` of a ``Remediation`` whose targets have no single playbook (it is refused).
NO_PLAYBOOK = PlaybookInfo("", "No playbook", "The selected findings have no single playbook.", ())


@dataclass(frozen=True)
class RemediationContext:
    """Who runs the remediation and where: the console's account, the role for others, the hub.

    ``caller_account`` may be "" when unknown: ``prepare`` then asks STS GetCallerIdentity.
    ``clock`` is the time access key ages are measured against.
    """

    factory: ClientFactory
    caller_account: str
    role_name: str
    updated_by: str
    hub_region: str
    clock: Callable[[], datetime] = utcnow


@dataclass(frozen=True)
class ResourceFix:
    """One resource of a remediation: where it is, the calls that fix it, and its findings.

    ``calls`` is empty when the resource is already compliant. ``summary`` says what the calls did (or
    the compliant state), for the findings' note; ``plan`` what they will do, for the plan shown
    before they run. ``needs`` holds the (port, world range) pairs the security group playbooks close.
    """

    kind: str
    ident: str
    account: str
    region: str
    role_arn: str | None
    targets: tuple[Target, ...]
    calls: tuple[ApiCall, ...] = ()
    summary: str = ""
    needs: frozenset[tuple[int, str]] = frozenset()
    plan: str = ""

    @property
    def label(self) -> str:
        return f"{self.kind} {self.ident}"


@dataclass(frozen=True)
class Remediation:
    """A prepared remediation: the playbook, its findings, the exact plan and each resource's fix."""

    playbook: PlaybookInfo
    targets: tuple[Target, ...]
    plan: Plan
    fixes: tuple[ResourceFix, ...] = ()

    @property
    def note(self) -> str:
        """The Note the findings get when the fix is verified."""
        done = "; ".join(fix.summary if fix.calls else f"already so: {fix.summary}" for fix in self.fixes)
        return _note(f"warroom {self.playbook.id}: {done}")


@dataclass(frozen=True)
class RemediationOutcome:
    """What ``run`` did: each stage's result, the verification, and how the findings were marked."""

    ok: bool
    message: str
    dry_run: ActionResult | None
    action: ActionResult | None
    verified: bool
    verification: str
    marked: WorkflowOutcome | None


class _Refused(Exception):
    """A resource the playbook must not touch, or cannot find; the message is the refusal."""


@dataclass(frozen=True)
class Reading:
    """What reading a resource found: the calls that fix it (none when it is compliant), what they
    will do (the plan says it before anything runs) and what they did (the findings' note says it
    after); for a compliant resource both are its state."""

    calls: tuple[ApiCall, ...]
    will: str
    did: str


def _compliant(state: str) -> Reading:
    return Reading((), state, state)


def _change(calls: Sequence[ApiCall], will: str, did: str, what: str) -> Reading:
    """``calls`` that ``will`` (an imperative verb) do ``what``, said afterwards as ``did`` ``what``."""
    return Reading(tuple(calls), f"{will} {what}", f"{did} {what}")


Inspector = Callable[["RemediationContext", ResourceFix], Awaitable[Reading]]
Locator = Callable[[Target], tuple[str, str, str]]


@dataclass(frozen=True)
class _Book:
    info: PlaybookInfo
    resource_types: frozenset[str]
    kind: str
    locate: Locator  # target -> (account, region, resource ident)
    inspect: Inspector  # calls that make the resource compliant (none when it is) and what they do
    verify: str  # how the re-read proves the fix
    ports: Mapping[str, tuple[tuple[int, ...], tuple[str, ...]]] = field(default_factory=dict)


# ---- reading resource ids ------------------------------------------------------------------


def _arn_parts(value: str) -> list[str] | None:
    parts = value.split(":", 5)
    return parts if len(parts) == 6 and parts[0] == "arn" else None


def _arn_region(value: str, default: str) -> str:
    parts = _arn_parts(value)
    return parts[3] if parts and parts[3] else default


def _arn_account(value: str, default: str) -> str:
    parts = _arn_parts(value)
    return parts[4] if parts and parts[4] else default


def _partition(target: Target) -> str:
    parts = _arn_parts(target.resource_id)
    return parts[1] if parts and parts[1] else "aws"


def _locate_group(target: Target) -> tuple[str, str, str]:
    rid = target.resource_id
    ident = rid.rsplit("/", 1)[-1] if _arn_parts(rid) else rid
    return _arn_account(rid, target.account_id), _arn_region(rid, target.region), ident


def _locate_account(target: Target) -> tuple[str, str, str]:
    rid = target.resource_id
    account = rid.rsplit(":", 1)[-1] if rid.startswith("AWS::::Account:") else target.account_id
    return account or target.account_id, target.region, account or target.account_id


def _locate_bucket(target: Target) -> tuple[str, str, str]:
    rid = target.resource_id
    name = rid.split(":::", 1)[1] if rid.startswith("arn:") and ":::" in rid else rid
    return target.account_id, target.region, name.split("/", 1)[0]


def _locate_arn(target: Target) -> tuple[str, str, str]:
    rid = target.resource_id
    return _arn_account(rid, target.account_id), _arn_region(rid, target.region), rid


def _locate_user(target: Target) -> tuple[str, str, str]:
    rid = target.resource_id
    parts = _arn_parts(rid)
    name = parts[5].rsplit("/", 1)[-1] if parts and parts[5].startswith("user/") else rid
    return _arn_account(rid, target.account_id), target.region, name


# ---- AWS reads -----------------------------------------------------------------------------


async def _client(ctx: RemediationContext, service: str, region: str, role_arn: str | None) -> Any:
    if role_arn:
        return await ctx.factory.client(service, region, role_arn=role_arn)
    return await ctx.factory.client(service, region)


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", "") or "")


def _gone(fix: ResourceFix, code: str) -> _Refused:
    return _Refused(
        f"{fix.label} no longer exists ({code}): the finding is out of date; "
        "resolve it, or wait for Security Hub to archive it"
    )


def _problem_text(problem: AwsProblem) -> str:
    """The problem in one line, without the retry hint that only fits a poller."""
    if problem.kind in (ErrorKind.ERROR, ErrorKind.THROTTLED, ErrorKind.NETWORK):
        return problem.message
    return problem.one_line()


# ---- security groups -----------------------------------------------------------------------


def _covers(permission: Mapping[str, Any], port: int) -> bool:
    protocol = str(permission.get("IpProtocol", "")).lower()
    if protocol in ("-1", "all"):
        return True
    if protocol not in ("tcp", "6"):
        return False
    low, high = permission.get("FromPort"), permission.get("ToPort")
    if not isinstance(low, int) or not isinstance(high, int) or (low == -1 and high == -1):
        return True
    return low <= port <= high


def _world_part(permission: Mapping[str, Any], needs: frozenset[tuple[int, str]]) -> dict[str, Any] | None:
    """``permission`` cut down to the world ranges ``needs`` closes, or None when it has none."""
    families = {cidr for port, cidr in needs if _covers(permission, port)}
    v4 = [
        dict(r)
        for r in permission.get("IpRanges") or ()
        if WORLD_V4 in families and r.get("CidrIp") == WORLD_V4
    ]
    v6 = [
        dict(r)
        for r in permission.get("Ipv6Ranges") or ()
        if WORLD_V6 in families and r.get("CidrIpv6") == WORLD_V6
    ]
    if not v4 and not v6:
        return None
    part: dict[str, Any] = {"IpProtocol": permission.get("IpProtocol")}
    for key in ("FromPort", "ToPort"):
        if key in permission:
            part[key] = permission[key]
    if v4:
        part["IpRanges"] = v4
    if v6:
        part["Ipv6Ranges"] = v6
    return part


def _exact(permission: Mapping[str, Any]) -> dict[str, Any]:
    """A permission as read, without the empty lists DescribeSecurityGroups adds."""
    return {key: value for key, value in permission.items() if value != []}


def _permission_text(permission: Mapping[str, Any]) -> str:
    protocol = str(permission.get("IpProtocol", ""))
    low, high = permission.get("FromPort"), permission.get("ToPort")
    if protocol in ("-1", "all"):
        what = "all traffic"
    elif low is None or (low == -1 and high == -1):
        what = f"{protocol} all ports"
    else:
        what = f"{protocol} {low}" if low == high else f"{protocol} {low}-{high}"
    sources = [str(r.get("CidrIp")) for r in permission.get("IpRanges") or ()]
    sources += [str(r.get("CidrIpv6")) for r in permission.get("Ipv6Ranges") or ()]
    sources += [str(p.get("GroupId") or p.get("GroupName")) for p in permission.get("UserIdGroupPairs") or ()]
    sources += [str(p.get("PrefixListId")) for p in permission.get("PrefixListIds") or ()]
    return f"{what} from {', '.join(sources) or 'nowhere'}"


async def _read_group(ctx: RemediationContext, fix: ResourceFix) -> Mapping[str, Any]:
    ec2 = await _client(ctx, "ec2", fix.region, fix.role_arn)
    try:
        reply = await ec2.describe_security_groups(GroupIds=[fix.ident])
    except ClientError as exc:
        if _code(exc) in ("InvalidGroup.NotFound", "InvalidGroupId.NotFound"):
            raise _gone(fix, _code(exc)) from exc
        if _code(exc) == "InvalidGroupId.Malformed":
            raise _Refused(f"{fix.ident!r} is not a security group id (InvalidGroupId.Malformed)") from exc
        raise
    groups = reply.get("SecurityGroups") or []
    if not groups:
        raise _gone(fix, "InvalidGroup.NotFound")
    group: Mapping[str, Any] = groups[0]
    return group


async def _inspect_world(ctx: RemediationContext, fix: ResourceFix) -> Reading:
    group = await _read_group(ctx, fix)
    parts = [p for p in (_world_part(perm, fix.needs) for perm in group.get("IpPermissions") or ()) if p]
    if not parts:
        return _compliant(f"no ingress from the world to {_ports_text(fix.needs)} on {fix.ident}")
    call = ApiCall(
        "ec2",
        "RevokeSecurityGroupIngress",
        fix.region,
        {"GroupId": fix.ident, "IpPermissions": parts},
        role_arn=fix.role_arn,
        dry_run=True,
    )
    rules = "; ".join(_permission_text(p) for p in parts)
    return _change((call,), "revoke", "revoked", f"{rules} on {fix.ident}")


def _ports_text(needs: frozenset[tuple[int, str]]) -> str:
    ports = sorted({port for port, _ in needs})
    if len(ports) > 6:
        return f"{len(ports)} high-risk ports"
    return (
        "port " + ", ".join(str(p) for p in ports)
        if len(ports) == 1
        else "ports " + ", ".join(map(str, ports))
    )


async def _inspect_default(ctx: RemediationContext, fix: ResourceFix) -> Reading:
    group = await _read_group(ctx, fix)
    if group.get("GroupName") != "default":
        raise _Refused(
            f"{fix.label} is {group.get('GroupName')!r}, not a VPC's default security group: "
            "stripping every rule is only done to default groups"
        )
    calls: list[ApiCall] = []
    done: list[str] = []
    for operation, key, direction in (
        ("RevokeSecurityGroupIngress", "IpPermissions", "inbound"),
        ("RevokeSecurityGroupEgress", "IpPermissionsEgress", "outbound"),
    ):
        permissions = [_exact(p) for p in group.get(key) or ()]
        if permissions:
            calls.append(
                ApiCall(
                    "ec2",
                    operation,
                    fix.region,
                    {"GroupId": fix.ident, "IpPermissions": permissions},
                    role_arn=fix.role_arn,
                    dry_run=True,
                )
            )
            done.append(f"{direction} {'; '.join(_permission_text(p) for p in permissions)}")
    if not calls:
        return _compliant(f"{fix.ident} has no rules")
    return _change(
        calls, "remove", "removed", f"every rule of default group {fix.ident} ({' | '.join(done)})"
    )


# ---- S3 ------------------------------------------------------------------------------------


def _blocked(config: Mapping[str, Any]) -> bool:
    return all(config.get(key) is True for key in PUBLIC_ACCESS_BLOCK)


def _off(config: Mapping[str, Any]) -> str:
    off = [key for key in PUBLIC_ACCESS_BLOCK if config.get(key) is not True]
    return ", ".join(off)


async def _inspect_account_block(ctx: RemediationContext, fix: ResourceFix) -> Reading:
    s3control = await _client(ctx, "s3control", fix.region, fix.role_arn)
    try:
        reply = await s3control.get_public_access_block(AccountId=fix.ident)
        config: Mapping[str, Any] = reply.get("PublicAccessBlockConfiguration") or {}
    except ClientError as exc:
        if _code(exc) != "NoSuchPublicAccessBlockConfiguration":
            raise
        config = {}
    if _blocked(config):
        return _compliant(f"account {fix.ident} blocks S3 public access")
    call = ApiCall(
        "s3control",
        "PutPublicAccessBlock",
        fix.region,
        {"AccountId": fix.ident, "PublicAccessBlockConfiguration": dict(PUBLIC_ACCESS_BLOCK)},
        role_arn=fix.role_arn,
    )
    what, off = f"S3 Block Public Access for account {fix.ident}", _off(config)
    return Reading((call,), f"turn on {what} (off now: {off})", f"turned on {what} (was off: {off})")


async def _inspect_bucket_block(ctx: RemediationContext, fix: ResourceFix) -> Reading:
    s3 = await _client(ctx, "s3", fix.region, fix.role_arn)
    try:
        reply = await s3.get_public_access_block(Bucket=fix.ident)
        config: Mapping[str, Any] = reply.get("PublicAccessBlockConfiguration") or {}
    except ClientError as exc:
        if _code(exc) == "NoSuchBucket":
            raise _gone(fix, "NoSuchBucket") from exc
        if _code(exc) != "NoSuchPublicAccessBlockConfiguration":
            raise
        config = {}
    if _blocked(config):
        return _compliant(f"bucket {fix.ident} blocks public access")
    call = ApiCall(
        "s3",
        "PutPublicAccessBlock",
        fix.region,
        {"Bucket": fix.ident, "PublicAccessBlockConfiguration": dict(PUBLIC_ACCESS_BLOCK)},
        role_arn=fix.role_arn,
    )
    what, off = f"Block Public Access for bucket {fix.ident}", _off(config)
    return Reading((call,), f"turn on {what} (off now: {off})", f"turned on {what} (was off: {off})")


# ---- EBS, CloudTrail, KMS, IAM -------------------------------------------------------------


async def _inspect_ebs(ctx: RemediationContext, fix: ResourceFix) -> Reading:
    ec2 = await _client(ctx, "ec2", fix.region, fix.role_arn)
    reply = await ec2.get_ebs_encryption_by_default()
    if reply.get("EbsEncryptionByDefault") is True:
        return _compliant(f"EBS encryption by default is on in {fix.account} {fix.region}")
    call = ApiCall("ec2", "EnableEbsEncryptionByDefault", fix.region, {}, role_arn=fix.role_arn, dry_run=True)
    return _change(
        (call,), "turn on", "turned on", f"EBS encryption by default in account {fix.account} {fix.region}"
    )


async def _inspect_trail(ctx: RemediationContext, fix: ResourceFix) -> Reading:
    cloudtrail = await _client(ctx, "cloudtrail", fix.region, fix.role_arn)
    try:
        reply = await cloudtrail.get_trail(Name=fix.ident)
    except ClientError as exc:
        if _code(exc) in ("TrailNotFoundException", "InvalidTrailNameException"):
            raise _gone(fix, _code(exc)) from exc
        raise
    trail: Mapping[str, Any] = reply.get("Trail") or {}
    name = str(trail.get("Name") or fix.ident)
    if trail.get("LogFileValidationEnabled") is True:
        return _compliant(f"trail {name} validates its log files")
    call = ApiCall(
        "cloudtrail",
        "UpdateTrail",
        fix.region,
        {"Name": fix.ident, "EnableLogFileValidation": True},
        role_arn=fix.role_arn,
    )
    return _change((call,), "turn on", "turned on", f"log file validation for trail {name}")


async def _inspect_key(ctx: RemediationContext, fix: ResourceFix) -> Reading:
    kms = await _client(ctx, "kms", fix.region, fix.role_arn)
    try:
        meta: Mapping[str, Any] = (await kms.describe_key(KeyId=fix.ident)).get("KeyMetadata") or {}
        status = await kms.get_key_rotation_status(KeyId=fix.ident)
    except ClientError as exc:
        if _code(exc) == "NotFoundException":
            raise _gone(fix, "NotFoundException") from exc
        raise
    if status.get("KeyRotationEnabled") is True:
        return _compliant(f"key {fix.ident} rotates yearly")
    if meta.get("KeyManager") == "AWS":
        raise _Refused(f"{fix.label} is an AWS managed key: AWS rotates it, its rotation cannot be changed")
    spec = meta.get("KeySpec") or meta.get("CustomerMasterKeySpec") or "SYMMETRIC_DEFAULT"
    if spec != "SYMMETRIC_DEFAULT":
        raise _Refused(
            f"{fix.label} is a {spec} key: KMS rotates only symmetric encryption keys automatically"
        )
    origin = meta.get("Origin") or "AWS_KMS"
    if origin != "AWS_KMS":
        raise _Refused(f"{fix.label} has {origin} key material: KMS cannot rotate it automatically")
    state = meta.get("KeyState") or "Enabled"
    if state != "Enabled":
        raise _Refused(f"{fix.label} is {state}: rotation can only be turned on for an enabled key")
    call = ApiCall("kms", "EnableKeyRotation", fix.region, {"KeyId": fix.ident}, role_arn=fix.role_arn)
    return _change((call,), "turn on", "turned on", f"yearly rotation of key {fix.ident}")


async def _inspect_user(ctx: RemediationContext, fix: ResourceFix) -> Reading:
    iam = await _client(ctx, "iam", fix.region, fix.role_arn)
    try:
        reply = await iam.list_access_keys(UserName=fix.ident)
    except ClientError as exc:
        if _code(exc) == "NoSuchEntity":
            raise _gone(fix, "NoSuchEntity") from exc
        raise
    now = ctx.clock()
    old: list[tuple[str, int]] = []
    for key in reply.get("AccessKeyMetadata") or ():
        created = instant(key.get("CreateDate"))
        if key.get("Status") == "Active" and created is not None and now - created > KEY_MAX_AGE:
            old.append((str(key.get("AccessKeyId")), (now - created).days))
    if not old:
        return _compliant(f"user {fix.ident} has no active access key older than {KEY_MAX_AGE.days} days")
    calls = tuple(
        ApiCall(
            "iam",
            "UpdateAccessKey",
            fix.region,
            {"UserName": fix.ident, "AccessKeyId": key_id, "Status": "Inactive"},
            role_arn=fix.role_arn,
        )
        for key_id, _ in old
    )
    keys = ", ".join(f"{key_id} ({days} days old)" for key_id, days in old)
    return _change(
        calls,
        "deactivate",
        "deactivated",
        f"access key{'s' if len(old) != 1 else ''} {keys} of user {fix.ident}",
    )


# ---- the playbooks -------------------------------------------------------------------------

_BOOKS: tuple[_Book, ...] = (
    _Book(
        PlaybookInfo(
            "sg-world-admin-ports",
            "Close SSH/RDP to the world",
            "Revokes the security group's inbound rules that open port 22 or 3389 to 0.0.0.0/0 or ::/0, "
            "leaving every other rule, then re-reads the group to check none is left.",
            tuple(_WORLD_ADMIN),
        ),
        frozenset({"AwsEc2SecurityGroup"}),
        "security group",
        _locate_group,
        _inspect_world,
        "DescribeSecurityGroups shows no inbound rule from the world to the ports",
        _WORLD_ADMIN,
    ),
    _Book(
        PlaybookInfo(
            "sg-high-risk-ports",
            "Close high-risk ports to the world",
            "Revokes the security group's inbound rules that open any of the 24 high-risk ports of EC2.19 "
            "to 0.0.0.0/0 or ::/0, then re-reads the group to check none is left.",
            tuple(_HIGH_RISK),
        ),
        frozenset({"AwsEc2SecurityGroup"}),
        "security group",
        _locate_group,
        _inspect_world,
        "DescribeSecurityGroups shows no inbound rule from the world to a high-risk port",
        _HIGH_RISK,
    ),
    _Book(
        PlaybookInfo(
            "sg-default-strip",
            "Strip the default security group",
            "Revokes every inbound and outbound rule of the VPC's default security group, exactly as read, "
            "then re-reads it to check it has no rule left.",
            ("EC2.2", "CIS1.2/4.3", "CIS1.4/5.3", "CIS3.0/5.4"),
        ),
        frozenset({"AwsEc2SecurityGroup"}),
        "security group",
        _locate_group,
        _inspect_default,
        "DescribeSecurityGroups shows the default group without rules",
    ),
    _Book(
        PlaybookInfo(
            "s3-account-block-public",
            "Block S3 public access for the account",
            "Turns on all four account-level S3 Block Public Access settings, then reads them back.",
            # CIS 1.4.0 2.1.5.1 is S3.1's unconsolidated id; CIS 3.0.0 2.1.4 covers S3.1 and S3.8,
            # told apart by the finding's resource type.
            ("S3.1", "CIS1.4/2.1.5.1", "CIS3.0/2.1.4"),
        ),
        frozenset({"AwsAccount"}),
        "account",
        _locate_account,
        _inspect_account_block,
        "s3control GetPublicAccessBlock shows all four settings on",
    ),
    _Book(
        PlaybookInfo(
            "s3-bucket-block-public",
            "Block public access to the bucket",
            "Turns on all four Block Public Access settings of the bucket, which also neutralises public "
            "ACLs and policies, then reads them back.",
            ("S3.8", "S3.2", "S3.3", "CIS1.4/2.1.5.2", "CIS3.0/2.1.4"),
        ),
        frozenset({"AwsS3Bucket"}),
        "bucket",
        _locate_bucket,
        _inspect_bucket_block,
        "s3 GetPublicAccessBlock shows all four settings on",
    ),
    _Book(
        PlaybookInfo(
            "ebs-default-encryption",
            "Encrypt new EBS volumes by default",
            "Turns on EBS encryption by default in the finding's account and region, then reads it back.",
            ("EC2.7", "CIS1.4/2.2.1", "CIS3.0/2.2.1"),
        ),
        frozenset({"AwsAccount"}),
        "account",
        _locate_account,
        _inspect_ebs,
        "GetEbsEncryptionByDefault answers true",
    ),
    _Book(
        PlaybookInfo(
            "cloudtrail-log-validation",
            "Validate CloudTrail log files",
            "Turns on log file validation for the trail in its home region, then reads the trail back.",
            ("CloudTrail.4", "CIS1.2/2.2", "CIS1.4/3.2", "CIS3.0/3.2"),
        ),
        frozenset({"AwsCloudTrailTrail"}),
        "trail",
        _locate_arn,
        _inspect_trail,
        "GetTrail shows LogFileValidationEnabled",
    ),
    _Book(
        PlaybookInfo(
            "kms-key-rotation",
            "Rotate the KMS key yearly",
            "Turns on automatic yearly rotation of the customer managed key, then reads its rotation status.",
            ("KMS.4", "CIS1.2/2.8", "CIS1.4/3.8", "CIS3.0/3.6"),
        ),
        frozenset({"AwsKmsKey"}),
        "key",
        _locate_arn,
        _inspect_key,
        "GetKeyRotationStatus answers true",
    ),
    _Book(
        PlaybookInfo(
            "iam-deactivate-old-keys",
            "Deactivate access keys older than 90 days",
            "Sets every active access key of the user created more than 90 days ago to Inactive (they can "
            "be re-activated), then lists the user's keys to check.",
            ("IAM.3", "CIS1.2/1.4", "CIS1.4/1.14", "CIS3.0/1.14"),
        ),
        frozenset({"AwsIamUser"}),
        "user",
        _locate_user,
        _inspect_user,
        "ListAccessKeys shows no active key older than 90 days",
    ),
)

#: Every playbook, in the order the help lists them.
PLAYBOOKS: tuple[PlaybookInfo, ...] = tuple(book.info for book in _BOOKS)


def _book_for(target: Target) -> _Book | None:
    for key in target.control_keys:
        for book in _BOOKS:
            if key in book.info.controls and target.resource_type in book.resource_types:
                return book
    return None


def playbook_for(target: Target) -> PlaybookInfo | None:
    """The playbook that fixes ``target``: one of its control keys, on a resource of the right type."""
    book = _book_for(target)
    return book.info if book else None


# ---- prepare -------------------------------------------------------------------------------


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _note(text: str) -> str:
    return text if len(text) <= NOTE_LIMIT else text[: NOTE_LIMIT - 1] + "…"


def _control_of(target: Target) -> str:
    return target.control_keys[0] if target.control_keys else "no control"


def _refused(playbook: PlaybookInfo, targets: Sequence[Target], reason: str) -> Remediation:
    title = f"{playbook.title}: refused" if playbook.id else "Remediation refused"
    plan = Plan(
        title=title,
        why=f"{_plural(len(targets), 'finding')} selected",
        calls=(),
        refusal=reason,
        key=f"playbook:{playbook.id}" if playbook.id else "playbook",
    )
    return Remediation(playbook=playbook, targets=tuple(targets), plan=plan)


def _ineligible(target: Target) -> str:
    """Why the workflow rules of automated remediation exclude ``target`` ("" when they do not)."""
    if target.record_state != "ACTIVE":
        return f"it is {target.record_state or 'not ACTIVE'}"
    if target.compliance_status != "FAILED":
        return f"its compliance status is {target.compliance_status or 'missing'}, not FAILED"
    if target.workflow_status == "SUPPRESSED":
        return "it is SUPPRESSED"
    return ""


async def _caller_account(ctx: RemediationContext) -> str:
    if ctx.caller_account:
        return ctx.caller_account
    sts = await ctx.factory.client("sts", ctx.hub_region)
    identity = await sts.get_caller_identity()
    return str(identity.get("Account") or "")


def _needs(book: _Book, targets: Iterable[Target]) -> frozenset[tuple[int, str]]:
    pairs: set[tuple[int, str]] = set()
    for target in targets:
        for key in target.control_keys:
            ports, ranges = book.ports.get(key, ((), ()))
            pairs.update((port, cidr) for port in ports for cidr in ranges)
    return frozenset(pairs)


def _group(book: _Book, targets: Sequence[Target], caller: str, ctx: RemediationContext) -> list[ResourceFix]:
    """One ``ResourceFix`` per resource, in the order the findings name them."""
    by_place: dict[tuple[str, str, str], list[Target]] = {}
    for target in targets:
        by_place.setdefault(book.locate(target), []).append(target)
    fixes: list[ResourceFix] = []
    for (account, region, ident), members in by_place.items():
        role = None
        if account and account != caller:
            role = f"arn:{_partition(members[0])}:iam::{account}:role/{ctx.role_name}"
        fixes.append(
            ResourceFix(
                kind=book.kind,
                ident=ident,
                account=account,
                region=region,
                role_arn=role,
                targets=tuple(members),
                needs=_needs(book, members),
            )
        )
    return fixes


async def _read_all(
    ctx: RemediationContext, book: _Book, fixes: Sequence[ResourceFix]
) -> list[Reading | Exception]:
    """Each resource's calls and summary, or what stopped its read; the reads run concurrently
    (the client factory's rate limiter paces them)."""
    results = await asyncio.gather(*(book.inspect(ctx, fix) for fix in fixes), return_exceptions=True)
    out: list[Reading | Exception] = []
    for result in results:
        if isinstance(result, BaseException) and not isinstance(result, Exception):
            raise result
        out.append(result)
    return out


def _read_failure(fix: ResourceFix, exc: Exception, ctx: RemediationContext) -> str:
    problem = classify(exc, profile=ctx.factory.target.profile)
    where = f" through {fix.role_arn}" if fix.role_arn else ""
    account = "" if fix.ident == fix.account else f"account {fix.account or 'of the console'} "
    place = f"{account}{fix.region}{where}"
    return f"could not read {fix.label} in {place}: {_problem_text(problem)}"


def _notes(book: _Book, ctx: RemediationContext, fixes: Sequence[ResourceFix], note: str) -> tuple[str, ...]:
    calls = [call for fix in fixes for call in fix.calls]
    checkable = sorted({call.operation for call in calls if call.dry_run})
    unchecked = sorted({call.operation for call in calls if not call.dry_run})
    takes = "takes" if len(unchecked) == 1 else "take"
    notes: list[str] = []
    if checkable and not unchecked:
        notes.append(
            f"Dry run first: {', '.join(checkable)} with DryRun=True; nothing changes unless it passes."
        )
    elif checkable:
        notes.append(
            f"Dry run first: {', '.join(checkable)} with DryRun=True; "
            f"{', '.join(unchecked)} {takes} no dry run."
        )
    else:
        notes.append(
            f"No dry run: {', '.join(unchecked)} {takes} no DryRun parameter; the calls run directly."
        )
    for fix in fixes:
        if not fix.calls:
            continue
        where = f"account {fix.account} {fix.region}"
        if fix.role_arn:
            where += f" as role {fix.role_arn}"
        notes.append(f"{fix.label} ({where}): will {fix.plan or fix.summary}.")
    compliant = [fix for fix in fixes if not fix.calls]
    if compliant:
        names = ", ".join(fix.ident for fix in compliant)
        count = sum(len(fix.targets) for fix in compliant)
        notes.append(
            f"Already compliant, to be marked RESOLVED with the rest: {_plural(count, 'finding')} of {names}."
        )
    notes.append(f"Then re-read to verify: {book.verify}.")
    count = len({target.key for fix in fixes for target in fix.targets})
    notes.append(
        f"Then mark {_plural(count, 'finding')} RESOLVED with BatchUpdateFindings in {ctx.hub_region}, "
        f'with Note "{note}" (UpdatedBy {ctx.updated_by}), or NOTIFIED with the failure.'
    )
    return tuple(notes)


async def prepare(ctx: RemediationContext, targets: Sequence[Target]) -> Remediation:
    """Read what the findings' resources hold and plan the calls that fix them.

    Never raises for AWS errors: every reason not to act (no or mixed playbooks, findings that are
    not FAILED and ACTIVE or are SUPPRESSED, resources that are gone or already compliant, reads
    that fail) is the plan's refusal.
    """
    unique = list({target.key: target for target in targets}.values())
    if not unique:
        return _refused(NO_PLAYBOOK, unique, "no findings selected")
    books = [_book_for(target) for target in unique]
    missing = [target for target, book in zip(unique, books, strict=True) if book is None]
    if missing:
        first = missing[0]
        return _refused(
            NO_PLAYBOOK,
            unique,
            f"no playbook for {_control_of(first)} on {first.resource_type or 'an unknown resource'} "
            f"({_plural(len(missing), 'finding')}): fix it by hand, then resolve it",
        )
    ids = {book.info.id for book in books if book is not None}
    book = books[0]
    if book is None or len(ids) > 1:
        return _refused(
            NO_PLAYBOOK,
            unique,
            f"the findings need different playbooks ({', '.join(sorted(ids))}): "
            "select findings of one control",
        )
    info = book.info
    for target in unique:
        why = _ineligible(target)
        if why:
            return _refused(
                info,
                unique,
                f"{_control_of(target)} finding on {target.resource_id} is not remediated: {why} "
                "(playbooks act only on ACTIVE, FAILED findings that are not SUPPRESSED)",
            )
    probe = workflow_plan(unique, "RESOLVED", f"warroom {info.id}", ctx.updated_by, ctx.hub_region)
    if probe.refused:
        return _refused(info, unique, f"the findings could not be marked afterwards: {probe.refusal}")
    try:
        caller = await _caller_account(ctx)
    except Exception as exc:  # the refusal says why
        problem = classify(exc, profile=ctx.factory.target.profile)
        return _refused(info, unique, f"could not tell the console's own account: {_problem_text(problem)}")
    if not caller:
        return _refused(
            info, unique, "could not tell the console's own account (GetCallerIdentity gave none)"
        )

    fixes: list[ResourceFix] = []
    located = _group(book, unique, caller, ctx)
    for fix, read in zip(located, await _read_all(ctx, book, located), strict=True):
        if isinstance(read, _Refused):
            return _refused(info, unique, str(read))
        if isinstance(read, Exception):
            log.debug("playbook %s: reading %s failed: %r", info.id, fix.label, read)
            return _refused(info, unique, _read_failure(fix, read, ctx))
        fixes.append(replace(fix, calls=read.calls, summary=read.did, plan=read.will))

    to_fix = [fix for fix in fixes if fix.calls]
    if not to_fix:
        states = "; ".join(fix.summary for fix in fixes)
        return _refused(
            info,
            unique,
            f"already fixed: {states}. Nothing to change: resolve "
            f"{'the findings' if len(unique) != 1 else 'the finding'} instead "
            "(Security Hub also resolves control findings on its next check)",
        )
    draft = Remediation(playbook=info, targets=tuple(unique), plan=Plan("", "", ()), fixes=tuple(fixes))
    calls = tuple(call for fix in to_fix for call in fix.calls)
    accounts = sorted({fix.account for fix in to_fix})
    title = f"{info.title}: {_plural(len(to_fix), book.kind)}"
    if len(accounts) > 1:
        title += f" in {len(accounts)} accounts"
    controls = sorted({_control_of(target) for target in unique})
    plan = Plan(
        title=title,
        why=f"{_plural(len(unique), 'finding')} of {', '.join(controls)}. {info.description}",
        calls=calls,
        notes=_notes(book, ctx, fixes, draft.note),
        key=f"playbook:{info.id}",
    )
    return Remediation(playbook=info, targets=tuple(unique), plan=plan, fixes=tuple(fixes))


# ---- run -----------------------------------------------------------------------------------


async def _verify(ctx: RemediationContext, remediation: Remediation) -> tuple[bool, str]:
    book = next((b for b in _BOOKS if b.info.id == remediation.playbook.id), None)
    if book is None:
        return False, f"no playbook {remediation.playbook.id!r} to verify with"
    lines: list[str] = []
    ok = True
    for fix, read in zip(remediation.fixes, await _read_all(ctx, book, remediation.fixes), strict=True):
        if isinstance(read, Exception):
            ok = False
            lines.append(str(read) if isinstance(read, _Refused) else _read_failure(fix, read, ctx))
            continue
        if read.calls:
            ok = False
            lines.append(f"{fix.label} still needs a fix: {read.will}")
        else:
            lines.append(read.did)
    return ok, "; ".join(lines)


async def _mark(
    runner: ActionRunner, ctx: RemediationContext, remediation: Remediation, status: str, note: str
) -> tuple[WorkflowOutcome | None, str]:
    plan = workflow_plan(remediation.targets, status, _note(note), ctx.updated_by, ctx.hub_region)
    try:
        marked = await run_workflow(runner, plan)
    except PlanRefusal as refusal:
        return None, f"findings not marked {status}: {refusal.reason}"
    return marked, marked.message


async def _failed(
    runner: ActionRunner,
    ctx: RemediationContext,
    remediation: Remediation,
    reason: str,
    *,
    dry_run: ActionResult | None,
    action: ActionResult | None = None,
    verification: str = "",
) -> RemediationOutcome:
    note = f"warroom {remediation.playbook.id}: failed: {reason}"
    marked, marking = await _mark(runner, ctx, remediation, "NOTIFIED", note)
    return RemediationOutcome(
        ok=False,
        message=f"{_note(note)} ({marking})",
        dry_run=dry_run,
        action=action,
        verified=False,
        verification=verification,
        marked=marked,
    )


def _result_reason(stage: str, result: ActionResult) -> str:
    if result.problem is None:
        return f"{stage} failed: {result.message}"
    return f"{stage} failed: {_problem_text(result.problem)}"


async def run(runner: ActionRunner, ctx: RemediationContext, remediation: Remediation) -> RemediationOutcome:
    """Dry-run, execute, verify and mark ``remediation``.

    Read-only mode and a refused plan raise (``ReadOnlyRefusal`` / ``PlanRefusal``) before anything
    is called or marked. A failed dry run, call or verification marks the findings NOTIFIED with
    the failure; success marks them RESOLVED with a note naming the playbook and what it did.
    """
    plan = remediation.plan
    dry = await runner.dry_run(plan)
    if not dry.ok:
        return await _failed(runner, ctx, remediation, _result_reason("dry run", dry), dry_run=dry)
    action = await runner.execute(plan)
    if not action.ok:
        return await _failed(
            runner, ctx, remediation, _result_reason(plan.title, action), dry_run=dry, action=action
        )
    verified, verification = await _verify(ctx, remediation)
    if not verified:
        return await _failed(
            runner,
            ctx,
            remediation,
            f"verification failed: {verification}",
            dry_run=dry,
            action=action,
            verification=verification,
        )
    note = remediation.note
    marked, marking = await _mark(runner, ctx, remediation, "RESOLVED", note)
    fully = marked is not None and not marked.unprocessed and not marked.not_sent
    return RemediationOutcome(
        ok=True,
        message=note if fully else f"{note} ({marking})",
        dry_run=dry,
        action=action,
        verified=True,
        verification=verification,
        marked=marked,
    )
