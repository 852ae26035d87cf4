"""Security findings faults: state changes (a security group rule open to the world, a bucket made
public) made through the simulator's API, each reported to Security Hub as a FAILED control."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from tui.sim.faults.base import FaultError, FaultRecord, Target, _Fault

if TYPE_CHECKING:
    from tui.sim.faults.engine import FaultEngine

logger = logging.getLogger(__name__)


_WORLD_V4 = "0.0.0.0/0"


_PUBLIC_ACCESS_BLOCK_KEYS = (
    "BlockPublicAcls",
    "IgnorePublicAcls",
    "BlockPublicPolicy",
    "RestrictPublicBuckets",
)
_PUBLIC_POLICY_SID = "PublicReadForPartners"


class _SgOpenSsh(_Fault):
    """An ingress rule tcp 22 from 0.0.0.0/0 on the group, and a CRITICAL EC2.19 finding."""

    spec_id = "sg-open-ssh"
    default_target = "payments-app"
    DESCRIPTION = "temporary vendor support access"

    def check(self, engine: FaultEngine, target: Target, started: datetime) -> None:
        group = engine.describe_group(target.id)
        if any(_world_ssh(p) for p in group.get("IpPermissions") or ()):
            raise FaultError(f"{target.label} already allows SSH from {_WORLD_V4}")

    def apply(self, engine: FaultEngine, record: FaultRecord) -> None:
        ec2 = engine.client("ec2")
        reply = ec2.authorize_security_group_ingress(
            GroupId=record.target.id,
            IpPermissions=[
                {
                    "IpProtocol": "tcp",
                    "FromPort": 22,
                    "ToPort": 22,
                    "IpRanges": [{"CidrIp": _WORLD_V4, "Description": self.DESCRIPTION}],
                }
            ],
        )
        rules = [r.get("SecurityGroupRuleId") for r in reply.get("SecurityGroupRules") or ()]
        record.data["rule_ids"] = [r for r in rules if r]
        group = engine.describe_group(record.target.id)
        resource = {
            "Type": "AwsEc2SecurityGroup",
            "Id": record.target.arn,
            "Partition": "aws",
            "Region": engine.region,
            "Details": {
                "AwsEc2SecurityGroup": {
                    "GroupName": group.get("GroupName", record.target.name),
                    "GroupId": record.target.id,
                    "OwnerId": engine.account_id,
                    "VpcId": group.get("VpcId", ""),
                    "IpPermissions": _asff_permissions(group.get("IpPermissions") or []),
                }
            },
        }
        record.data["finding"] = engine.import_control_finding(
            "EC2.19",
            resource,
            record,
            f"Security group {record.target.label} allows SSH (22) from {_WORLD_V4}.",
        )

    def mitigation(self, engine: FaultEngine, record: FaultRecord) -> str | None:
        try:
            group = engine.describe_group(record.target.id)
        except FaultError:
            return f"security group {record.target.label} was deleted"
        if any(_world_ssh(p) for p in group.get("IpPermissions") or ()):
            return None
        return f"the rule allowing SSH from {_WORLD_V4} was revoked"

    def restore(self, engine: FaultEngine, record: FaultRecord) -> None:
        rule_ids = list(record.data.get("rule_ids") or ())
        if rule_ids:
            present = set()
            try:
                rules = engine.client("ec2").describe_security_group_rules(
                    Filters=[{"Name": "group-id", "Values": [record.target.id]}]
                )
                present = {r.get("SecurityGroupRuleId") for r in rules.get("SecurityGroupRules") or ()}
            except Exception:
                logger.debug("reading the rules of %s failed", record.target.id, exc_info=True)
            still = [r for r in rule_ids if r in present]
            if still:
                engine.client("ec2").revoke_security_group_ingress(
                    GroupId=record.target.id, SecurityGroupRuleIds=still
                )
        engine.archive_finding(record)

    def settle(self, engine: FaultEngine, record: FaultRecord) -> None:
        engine.archive_finding(record)


def _world_ssh(permission: Mapping[str, Any]) -> bool:
    protocol = str(permission.get("IpProtocol", "")).lower()
    if protocol not in ("tcp", "6", "-1", "all"):
        return False
    if protocol in ("tcp", "6"):
        low, high = permission.get("FromPort"), permission.get("ToPort")
        low = low if isinstance(low, int) else -1
        high = high if isinstance(high, int) else -1
        if not (low == -1 and high == -1) and not low <= 22 <= high:
            return False
    return any(r.get("CidrIp") == _WORLD_V4 for r in permission.get("IpRanges") or ())


def _asff_permissions(permissions: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """EC2 IpPermissions in the shape of ASFF's AwsEc2SecurityGroupIpPermission."""
    shaped: list[dict[str, Any]] = []
    for permission in permissions:
        item: dict[str, Any] = {"IpProtocol": permission.get("IpProtocol")}
        for name in ("FromPort", "ToPort"):
            if name in permission:
                item[name] = permission[name]
        ranges = [{"CidrIp": r["CidrIp"]} for r in permission.get("IpRanges") or () if "CidrIp" in r]
        v6 = [{"CidrIpv6": r["CidrIpv6"]} for r in permission.get("Ipv6Ranges") or () if "CidrIpv6" in r]
        if ranges:
            item["IpRanges"] = ranges
        if v6:
            item["Ipv6Ranges"] = v6
        shaped.append(item)
    return shaped


class _S3PublicBucket(_Fault):
    """The bucket's Block Public Access is removed, a public-read policy attached, and Security Hub
    reports a CRITICAL S3.2 finding."""

    spec_id = "s3-public-bucket"
    default_target = "payments-audit-logs"

    def apply(self, engine: FaultEngine, record: FaultRecord) -> None:
        s3 = engine.client("s3")
        bucket = record.target.id
        try:
            config = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
            record.data["block"] = {k: bool(config.get(k)) for k in _PUBLIC_ACCESS_BLOCK_KEYS}
        except ClientError:
            record.data["block"] = None
        try:
            record.data["policy"] = s3.get_bucket_policy(Bucket=bucket)["Policy"]
        except ClientError:
            record.data["policy"] = None
        if record.data["block"] is not None:
            s3.delete_public_access_block(Bucket=bucket)
        policy = _public_policy(bucket, record.data["policy"])
        s3.put_bucket_policy(Bucket=bucket, Policy=policy)
        record.data["public_policy"] = policy
        resource = {
            "Type": "AwsS3Bucket",
            "Id": record.target.arn,
            "Partition": "aws",
            "Region": engine.region,
            "Details": {
                "AwsS3Bucket": {
                    "Name": bucket,
                    "OwnerAccountId": engine.account_id,
                    "PublicAccessBlockConfiguration": dict.fromkeys(_PUBLIC_ACCESS_BLOCK_KEYS, False),
                }
            },
        }
        record.data["finding"] = engine.import_control_finding(
            "S3.2",
            resource,
            record,
            f"Bucket {bucket} has Block Public Access off and a policy granting s3:GetObject to everyone.",
        )

    def mitigation(self, engine: FaultEngine, record: FaultRecord) -> str | None:
        s3 = engine.client("s3")
        bucket = record.target.id
        try:
            config = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
            if all(config.get(k) is True for k in _PUBLIC_ACCESS_BLOCK_KEYS):
                return "Block Public Access was turned back on"
        except ClientError:
            pass
        try:
            policy = s3.get_bucket_policy(Bucket=bucket)["Policy"]
        except ClientError:
            policy = None
        if policy is None or _PUBLIC_POLICY_SID not in str(policy):
            return "the public bucket policy was removed"
        return None

    def restore(self, engine: FaultEngine, record: FaultRecord) -> None:
        s3 = engine.client("s3")
        bucket = record.target.id
        try:
            current = s3.get_bucket_policy(Bucket=bucket)["Policy"]
        except ClientError:
            current = None
        if current is not None and _PUBLIC_POLICY_SID in str(current):
            previous = record.data.get("policy")
            if previous:
                s3.put_bucket_policy(Bucket=bucket, Policy=previous)
            else:
                s3.delete_bucket_policy(Bucket=bucket)
        block = record.data.get("block")
        if block is not None:
            s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration=dict(block))
        engine.archive_finding(record)

    def settle(self, engine: FaultEngine, record: FaultRecord) -> None:
        engine.archive_finding(record)


def _public_policy(bucket: str, previous: str | None) -> str:
    statement = {
        "Sid": _PUBLIC_POLICY_SID,
        "Effect": "Allow",
        "Principal": "*",
        "Action": "s3:GetObject",
        "Resource": f"arn:aws:s3:::{bucket}/*",
    }
    document: dict[str, Any] = {"Version": "2012-10-17", "Statement": []}
    if previous:
        try:
            parsed = json.loads(previous)
            if isinstance(parsed, dict):
                document = parsed
        except ValueError:
            logger.debug("the policy of %s is not JSON; replacing it", bucket)
    statements = document.get("Statement")
    if isinstance(statements, dict):
        statements = [statements]
    if not isinstance(statements, list):
        statements = []
    document["Statement"] = [*statements, statement]
    return json.dumps(document, separators=(",", ":"))
