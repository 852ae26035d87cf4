"""Security Hub findings (ASFF) about the seeded platform, built from the resources really seeded.

``build_findings`` is pure: the same resources, random generator state and clock give the same
findings. Every finding names resources that exist in the simulator (their ids, ARNs and, for
security groups, the rules they really have), in the seeded account or, for the member account's
findings, in that account (``SeededResources.member``; without it there are no member findings).
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from tui.common.aws_rules import HIGH_RISK_PORTS
from tui.common.timefmt import asff_time as _iso
from tui.sim import catalog
from tui.sim.datafile import Reader

SCHEMA_VERSION = "2018-10-08"

_STANDARDS_TYPE = "Software and Configuration Checks/Industry and Regulatory Standards"
_NORMALIZED = {"INFORMATIONAL": 0, "LOW": 1, "MEDIUM": 40, "HIGH": 70, "CRITICAL": 90}


@dataclass(frozen=True)
class Product:
    """A finding provider as Security Hub names it."""

    path: str
    name: str
    company: str
    # Set for an account's own integration (product/<account>/default), empty for AWS products.
    account: str = ""

    def arn(self, region: str) -> str:
        return f"arn:aws:securityhub:{region}:{self.account}:product/{self.path}"


SECURITY_HUB = Product("aws/securityhub", "Security Hub", "AWS")
GUARDDUTY = Product("aws/guardduty", "GuardDuty", "Amazon")
INSPECTOR = Product("aws/inspector", "Inspector", "Amazon")
ACCESS_ANALYZER = Product("aws/access-analyzer", "IAM Access Analyzer", "AWS")
MACIE = Product("aws/macie", "Macie", "Amazon")


@dataclass(frozen=True)
class InstanceRef:
    name: str
    instance_id: str
    instance_type: str
    image_id: str
    private_ip: str
    vpc_id: str
    subnet_id: str
    launched_at: str
    http_tokens: str
    profile_arn: str | None
    tags: Mapping[str, str]
    public_ip: str | None = None


@dataclass(frozen=True)
class GroupRef:
    name: str
    group_id: str
    vpc_id: str
    ip_permissions: Sequence[Mapping[str, Any]]
    ip_permissions_egress: Sequence[Mapping[str, Any]] = ()


@dataclass(frozen=True)
class VolumeRef:
    key: str
    volume_id: str
    volume_type: str
    size_gib: int
    encrypted: bool
    instance_id: str | None
    device: str | None


@dataclass(frozen=True)
class UserRef:
    name: str
    user_id: str
    create_date: str
    access_key_id: str
    key_age_days: int


@dataclass(frozen=True)
class BucketRef:
    name: str
    public_read_acl: bool
    public_access_block: bool


@dataclass(frozen=True)
class TrailRef:
    name: str
    arn: str
    bucket: str


@dataclass(frozen=True)
class RoleRef:
    name: str
    arn: str
    role_id: str
    create_date: str
    trusted_account: str


@dataclass(frozen=True)
class KeyRef:
    """A customer managed KMS key."""

    key_id: str
    arn: str
    alias: str
    description: str
    created_at: float
    rotation_enabled: bool


@dataclass(frozen=True)
class MemberResources:
    """What the member account holds: its default VPC, an open security group, a build host in
    that group and a bucket with Block Public Access."""

    default_vpc_id: str
    group: GroupRef
    instance: InstanceRef
    bucket: BucketRef


@dataclass(frozen=True)
class SeededResources:
    """What the workload created, as the findings need to describe it."""

    account_id: str
    account_name: str
    member_account_id: str
    member_account_name: str
    region: str
    default_vpc_id: str
    instances: Mapping[str, InstanceRef]
    groups: Mapping[str, GroupRef]
    volumes: Sequence[VolumeRef]
    users: Mapping[str, UserRef]
    buckets: Sequence[BucketRef]
    trail: TrailRef
    external_role: RoleRef
    unmanaged_instances: Sequence[str] = field(default_factory=tuple)
    # Running instances that Systems Manager manages (they pass SSM.1).
    managed_instances: Sequence[str] = field(default_factory=tuple)
    member: MemberResources | None = None
    kms_keys: Sequence[KeyRef] = field(default_factory=tuple)


@dataclass(frozen=True)
class Control:
    title: str
    severity: str
    standards: tuple[str, ...]
    config_rule: str
    recommendation: str


@dataclass(frozen=True)
class CisRule:
    title: str
    severity: str


@dataclass(frozen=True)
class Package:
    """A vulnerable package as Amazon Inspector names it."""

    name: str
    version: str
    release: str
    fixed: str
    manager: str = "OS"


@dataclass(frozen=True)
class Vulnerability:
    """An Amazon Inspector package vulnerability on an instance (``instance``: its name in the
    seeded account; empty for the member account's build host)."""

    cve: str
    score: float
    package: Package
    instance: str = ""
    workflow: str = "NEW"
    age_days: float = 9.0


@dataclass(frozen=True)
class FindingsData:
    """Every table of the findings file, typed."""

    standards: dict[str, str]
    controls: dict[str, Control]
    passing_controls: dict[str, Control]
    account_controls_passed: tuple[str, ...]
    cis_rules: dict[str, tuple[str, str]]
    passing_cis_rules: dict[str, tuple[str, str]]
    cvss_vectors: dict[str, str]
    vulnerabilities: tuple[Vulnerability, ...]
    member_vulnerabilities: tuple[Vulnerability, ...]


FINDINGS_FILE = "findings.toml"


def load_findings_data(name: str = FINDINGS_FILE, data: Mapping[str, Any] | None = None) -> FindingsData:
    """The finding templates of ``tui/sim/data/<name>`` (``data``: its parsed text, for tests); a
    malformed file raises ``DataFileError`` naming the file and the entry."""
    reader = Reader(name, data)
    standards = {
        key: reader.value(reader.section("standards"), key, str, "standards")
        for key in reader.section("standards")
    }

    def controls(section: str) -> dict[str, Control]:
        out = {}
        for control_id, raw in reader.section(section).items():
            entry = f'{section}."{control_id}"'
            table = dict(reader.table(raw, entry))
            named = reader.value(table, "standards", tuple[str, ...], entry)
            unknown = [n for n in named if n not in standards]
            if unknown:
                raise reader.fail(f"{entry}.standards", f"{unknown[0]!r} is not one of standards")
            out[control_id] = reader.build(
                Control, {**table, "standards": [standards[n] for n in named]}, entry
            )
        return out

    def rules(section: str) -> dict[str, tuple[str, str]]:
        out = {}
        for rule_id, raw in reader.section(section).items():
            rule = reader.build(CisRule, raw, f'{section}."{rule_id}"')
            out[rule_id] = (rule.title, rule.severity)
        return out

    failing, passing = controls("controls"), controls("passing_controls")
    account_passed = reader.value(reader.data, "account_controls_passed", tuple[str, ...], "")
    for control_id in account_passed:
        if control_id not in passing:
            raise reader.fail("account_controls_passed", f"{control_id!r} is not one of passing_controls")
    vectors = {
        score: reader.value(reader.section("cvss_vectors"), score, str, "cvss_vectors")
        for score in reader.section("cvss_vectors")
    }
    inspector = reader.section("inspector")
    names = {spec.name for spec in catalog.INSTANCES}

    def vulnerabilities(key: str, on_fleet: bool) -> tuple[Vulnerability, ...]:
        out = []
        for label, table in reader.tables(inspector.get(key), f"inspector.{key}"):
            found = reader.build(Vulnerability, table, label)
            if f"{found.score}" not in vectors:
                raise reader.fail(f"{label}.score", f"no cvss_vectors entry for {found.score}")
            if on_fleet and found.instance not in names:
                raise reader.fail(f"{label}.instance", f"{found.instance!r} is not an instance of the fleet")
            out.append(found)
        return tuple(out)

    return FindingsData(
        standards=standards,
        controls=failing,
        passing_controls=passing,
        account_controls_passed=account_passed,
        cis_rules=rules("cis_rules"),
        passing_cis_rules=rules("passing_cis_rules"),
        cvss_vectors=vectors,
        vulnerabilities=vulnerabilities("seeded", True),
        member_vulnerabilities=vulnerabilities("member", False),
    )


FINDINGS_DATA = load_findings_data()
"""The finding templates, read once."""

FSBP = FINDINGS_DATA.standards["fsbp"]
CIS_12 = FINDINGS_DATA.standards["cis_12"]
CIS_14 = FINDINGS_DATA.standards["cis_14"]

CONTROLS: dict[str, Control] = FINDINGS_DATA.controls

#: Controls the seeded platform passes everywhere: each has only PASSED findings (the synthetic
#: findings of ``tui.sim.findings_bulk`` draw from ``CONTROLS`` alone).
PASSING_CONTROLS: dict[str, Control] = FINDINGS_DATA.passing_controls

ALL_CONTROLS: dict[str, Control] = {**CONTROLS, **PASSING_CONTROLS}

#: Controls the seeded account passes as a whole (their resource is the account).
ACCOUNT_CONTROLS_PASSED: tuple[str, ...] = FINDINGS_DATA.account_controls_passed

CIS_RULES: dict[str, tuple[str, str]] = FINDINGS_DATA.cis_rules

#: CIS 1.2 rules the seeded platform passes everywhere.
PASSING_CIS_RULES: dict[str, tuple[str, str]] = FINDINGS_DATA.passing_cis_rules
ALL_CIS_RULES: dict[str, tuple[str, str]] = {**CIS_RULES, **PASSING_CIS_RULES}


def _workflow_of(status: str) -> str:
    """The workflow Security Hub gives a new control finding: it resolves the ones that pass."""
    return "RESOLVED" if status == "PASSED" else "NEW"


class _Builder:
    def __init__(self, res: SeededResources, rng: random.Random, now: datetime) -> None:
        self.res = res
        self.rng = rng
        self.now = now
        self.findings: list[dict[str, Any]] = []

    # ---- ids and resources --------------------------------------------------------------

    def uuid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def hex(self, length: int) -> str:
        return "".join(self.rng.choice("0123456789abcdef") for _ in range(length))

    def account_name(self, account: str) -> str:
        return self.res.account_name if account == self.res.account_id else self.res.member_account_name

    def resource(
        self,
        kind: str,
        arn: str,
        details: Mapping[str, Any] | None = None,
        *,
        tags: Mapping[str, str] | None = None,
    ) -> dict[str, Any]:
        """An ASFF Resources entry in this region; ``details`` go under Details.<kind>."""
        entry: dict[str, Any] = {"Type": kind, "Id": arn, "Partition": "aws", "Region": self.res.region}
        if tags is not None:
            entry["Tags"] = dict(tags)
        if details is not None:
            entry["Details"] = {kind: dict(details)}
        return entry

    def account_resource(self, account: str) -> dict[str, Any]:
        return self.resource("AwsAccount", f"AWS::::Account:{account}")

    def instance_resource(self, ref: InstanceRef, account: str | None = None) -> dict[str, Any]:
        owner = account or self.res.account_id
        details: dict[str, Any] = {
            "Type": ref.instance_type,
            "ImageId": ref.image_id,
            "IpV4Addresses": [ip for ip in (ref.private_ip, ref.public_ip) if ip],
            "VpcId": ref.vpc_id,
            "SubnetId": ref.subnet_id,
            "LaunchedAt": ref.launched_at,
            "MetadataOptions": {
                "HttpEndpoint": "enabled",
                "HttpTokens": ref.http_tokens,
                "HttpPutResponseHopLimit": 1,
            },
        }
        if ref.profile_arn:
            details["IamInstanceProfileArn"] = ref.profile_arn
        return self.resource(
            "AwsEc2Instance",
            f"arn:aws:ec2:{self.res.region}:{owner}:instance/{ref.instance_id}",
            details,
            tags=dict(ref.tags),
        )

    def group_resource(self, ref: GroupRef, account: str | None = None) -> dict[str, Any]:
        owner = account or self.res.account_id
        details: dict[str, Any] = {
            "GroupName": ref.name,
            "GroupId": ref.group_id,
            "OwnerId": owner,
            "VpcId": ref.vpc_id,
            "IpPermissions": [dict(p) for p in ref.ip_permissions],
        }
        if ref.ip_permissions_egress:
            details["IpPermissionsEgress"] = [dict(p) for p in ref.ip_permissions_egress]
        return self.resource(
            "AwsEc2SecurityGroup",
            f"arn:aws:ec2:{self.res.region}:{owner}:security-group/{ref.group_id}",
            details,
        )

    def vpc_resource(self, vpc_id: str) -> dict[str, Any]:
        return self.resource(
            "AwsEc2Vpc",
            f"arn:aws:ec2:{self.res.region}:{self.res.account_id}:vpc/{vpc_id}",
            {"State": "available"},
        )

    def volume_resource(self, ref: VolumeRef) -> dict[str, Any]:
        details: dict[str, Any] = {
            "VolumeId": ref.volume_id,
            "VolumeType": ref.volume_type,
            "Size": ref.size_gib,
            "Encrypted": ref.encrypted,
            "Status": "in-use" if ref.instance_id else "available",
        }
        if ref.instance_id:
            details["Attachments"] = [{"InstanceId": ref.instance_id, "Status": "attached"}]
            details["DeviceName"] = ref.device
        return self.resource(
            "AwsEc2Volume",
            f"arn:aws:ec2:{self.res.region}:{self.res.account_id}:volume/{ref.volume_id}",
            details,
        )

    def user_resource(self, ref: UserRef) -> dict[str, Any]:
        return self.resource(
            "AwsIamUser",
            f"arn:aws:iam::{self.res.account_id}:user/{ref.name}",
            {
                "UserName": ref.name,
                "UserId": ref.user_id,
                "CreateDate": ref.create_date,
                "Path": "/",
            },
        )

    def access_key_resource(self, ref: UserRef) -> dict[str, Any]:
        created = self.now - timedelta(days=ref.key_age_days)
        return self.resource(
            "AwsIamAccessKey",
            ref.access_key_id,
            {
                "UserName": ref.name,
                "Status": "Active",
                "CreatedAt": _iso(created),
                "PrincipalId": ref.user_id,
                "PrincipalType": "IAMUser",
                "PrincipalName": ref.name,
                "AccountId": self.res.account_id,
                "AccessKeyId": ref.access_key_id,
            },
        )

    def bucket_resource(self, ref: BucketRef, account: str | None = None) -> dict[str, Any]:
        details: dict[str, Any] = {"Name": ref.name, "OwnerAccountId": account or self.res.account_id}
        flag = ref.public_access_block
        details["PublicAccessBlockConfiguration"] = {
            "BlockPublicAcls": flag,
            "BlockPublicPolicy": flag,
            "IgnorePublicAcls": flag,
            "RestrictPublicBuckets": flag,
        }
        return self.resource("AwsS3Bucket", f"arn:aws:s3:::{ref.name}", details)

    def trail_resource(self) -> dict[str, Any]:
        trail = self.res.trail
        return self.resource(
            "AwsCloudTrailTrail",
            trail.arn,
            {
                "Name": trail.name,
                "TrailArn": trail.arn,
                "S3BucketName": trail.bucket,
                "HomeRegion": self.res.region,
                "IsMultiRegionTrail": False,
                "LogFileValidationEnabled": False,
                "IncludeGlobalServiceEvents": True,
                "IsOrganizationTrail": False,
            },
        )

    def role_resource(self, ref: RoleRef) -> dict[str, Any]:
        return self.resource(
            "AwsIamRole",
            ref.arn,
            {
                "RoleName": ref.name,
                "RoleId": ref.role_id,
                "CreateDate": ref.create_date,
                "Path": "/",
                "MaxSessionDuration": 3600,
            },
        )

    def key_resource(self, ref: KeyRef) -> dict[str, Any]:
        return self.resource(
            "AwsKmsKey",
            ref.arn,
            {
                "AWSAccountId": self.res.account_id,
                "CreationDate": ref.created_at,
                "KeyId": ref.key_id,
                "KeyManager": "CUSTOMER",
                "KeyState": "Enabled",
                "Origin": "AWS_KMS",
                "Description": ref.description,
                "KeyRotationStatus": ref.rotation_enabled,
            },
        )

    # ---- the common envelope -----------------------------------------------------------

    def add(
        self,
        *,
        finding_id: str,
        product: Product,
        generator_id: str,
        account: str,
        types: Sequence[str],
        title: str,
        description: str,
        label: str,
        resources: Sequence[Mapping[str, Any]],
        age_days: float,
        workflow: str = "NEW",
        record_state: str = "ACTIVE",
        normalized: int | None = None,
        original: str | None = None,
        compliance: Mapping[str, Any] | None = None,
        remediation: tuple[str, str] | None = None,
        product_fields: Mapping[str, str] | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        region = self.res.region
        product_arn = product.arn(region)
        first = self.now - timedelta(days=age_days, minutes=self.rng.randint(0, 600))
        last = self.now - timedelta(minutes=self.rng.randint(4, 240))
        if last < first:
            last = first
        severity: dict[str, Any] = {
            "Label": label,
            "Normalized": _NORMALIZED[label] if normalized is None else normalized,
        }
        if original is not None:
            severity["Original"] = original
        fields = {
            "aws/securityhub/FindingId": f"{product_arn}/{finding_id}",
            "aws/securityhub/ProductName": product.name,
            "aws/securityhub/CompanyName": product.company,
        }
        fields.update(product_fields or {})
        finding: dict[str, Any] = {
            "SchemaVersion": SCHEMA_VERSION,
            "Id": finding_id,
            "ProductArn": product_arn,
            "ProductName": product.name,
            "CompanyName": product.company,
            "Region": region,
            "GeneratorId": generator_id,
            "AwsAccountId": account,
            "AwsAccountName": self.account_name(account),
            "Types": list(types),
            "FirstObservedAt": _iso(first),
            "LastObservedAt": _iso(last),
            "CreatedAt": _iso(first),
            "UpdatedAt": _iso(last),
            "Severity": severity,
            "Title": title,
            "Description": description,
            "ProductFields": fields,
            "Resources": [dict(r) for r in resources],
            "Workflow": {"Status": workflow},
            "RecordState": record_state,
        }
        if remediation is not None:
            finding["Remediation"] = {"Recommendation": {"Text": remediation[0], "Url": remediation[1]}}
        if compliance is not None:
            finding["Compliance"] = dict(compliance)
        if extra:
            finding.update(extra)
        self.findings.append(finding)

    # ---- Security Hub: consolidated controls and CIS 1.2 rules ---------------------------

    def control(
        self,
        control_id: str,
        resource: Mapping[str, Any],
        *,
        account: str | None = None,
        status: str = "FAILED",
        workflow: str | None = None,
        record_state: str = "ACTIVE",
        age_days: float = 20.0,
        note: str = "",
    ) -> None:
        spec = ALL_CONTROLS[control_id]
        account = account or self.res.account_id
        region = self.res.region
        finding_id = (
            f"arn:aws:securityhub:{region}:{account}:security-control/{control_id}/finding/{self.uuid()}"
        )
        label = spec.severity if status == "FAILED" else "INFORMATIONAL"
        rule = f"securityhub-{spec.config_rule}-{self.hex(8)}"
        url = f"https://docs.aws.amazon.com/console/securityhub/{control_id}/remediation"
        description = f"This control checks: {spec.title.lower()}."
        if note:
            description = f"{description} {note}"
        self.add(
            finding_id=finding_id,
            product=SECURITY_HUB,
            generator_id=f"security-control/{control_id}",
            account=account,
            types=[_STANDARDS_TYPE],
            title=spec.title,
            description=description,
            label=label,
            resources=[resource],
            age_days=age_days,
            workflow=workflow or _workflow_of(status),
            record_state=record_state,
            compliance={
                "Status": status,
                "SecurityControlId": control_id,
                "AssociatedStandards": [{"StandardsId": s} for s in spec.standards],
            },
            remediation=(spec.recommendation, url),
            product_fields={
                "RelatedAWSResources:0/name": rule,
                "RelatedAWSResources:0/type": "AWS::Config::ConfigRule",
                "Resources:0/Id": str(resource["Id"]),
            },
        )

    def cis(
        self,
        rule_id: str,
        resource: Mapping[str, Any],
        *,
        account: str | None = None,
        status: str = "FAILED",
        workflow: str | None = None,
        record_state: str = "ACTIVE",
        age_days: float = 30.0,
        note: str = "",
    ) -> None:
        title, severity = ALL_CIS_RULES[rule_id]
        account = account or self.res.account_id
        region = self.res.region
        guide = "arn:aws:securityhub:::ruleset/cis-aws-foundations-benchmark/v/1.2.0"
        subscription = (
            f"arn:aws:securityhub:{region}:{account}:subscription/cis-aws-foundations-benchmark/v/1.2.0"
        )
        finding_id = f"{subscription}/{rule_id}/finding/{self.uuid()}"
        url = f"https://docs.aws.amazon.com/console/securityhub/standards-cis-{rule_id}/remediation"
        label = severity if status == "FAILED" else "INFORMATIONAL"
        description = f"CIS AWS Foundations Benchmark v1.2.0, recommendation {rule_id}: {title}."
        if note:
            description = f"{description} {note}"
        self.add(
            finding_id=finding_id,
            product=SECURITY_HUB,
            generator_id=f"{guide}/rule/{rule_id}",
            account=account,
            types=[f"{_STANDARDS_TYPE}/CIS AWS Foundations Benchmark"],
            title=f"{rule_id} {title}",
            description=description,
            label=label,
            resources=[resource],
            age_days=age_days,
            workflow=workflow or _workflow_of(status),
            record_state=record_state,
            compliance={"Status": status, "AssociatedStandards": [{"StandardsId": CIS_12}]},
            remediation=(f"For directions on how to fix this issue, see CIS {rule_id} remediation.", url),
            product_fields={
                "StandardsGuideArn": guide,
                "StandardsGuideSubscriptionArn": subscription,
                "RuleId": rule_id,
                "RecommendationUrl": url,
                "RelatedAWSResources:0/type": "AWS::Config::ConfigRule",
                "Resources:0/Id": str(resource["Id"]),
            },
        )

    # ---- other products ------------------------------------------------------------------

    def guardduty(
        self,
        finding_type: str,
        asff_type: str,
        resource: Mapping[str, Any],
        *,
        account: str | None = None,
        gd_severity: float,
        title: str,
        description: str,
        workflow: str = "NEW",
        record_state: str = "ACTIVE",
        age_days: float = 3.0,
        count: int = 1,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        account = account or self.res.account_id
        detector = self.hex(32)
        finding_id = (
            f"arn:aws:guardduty:{self.res.region}:{account}:detector/{detector}/finding/{self.hex(32)}"
        )
        normalized = round(gd_severity * 10)
        label = "LOW" if gd_severity < 4 else "MEDIUM" if gd_severity < 7 else "HIGH"
        category = finding_type.split(":", 1)[0].lower()
        url = (
            f"https://docs.aws.amazon.com/guardduty/latest/ug/guardduty_finding-types-active.html#{category}"
        )
        self.add(
            finding_id=finding_id,
            product=GUARDDUTY,
            generator_id=finding_type,
            account=account,
            types=[asff_type],
            title=title,
            description=description,
            label=label,
            normalized=normalized,
            original=f"{gd_severity:.1f}",
            resources=[resource],
            age_days=age_days,
            workflow=workflow,
            record_state=record_state,
            remediation=(f"Investigate {finding_type} with the GuardDuty remediation guide.", url),
            product_fields={
                "aws/guardduty/service/archived": "false",
                "aws/guardduty/service/count": str(count),
                "aws/guardduty/service/detectorId": detector,
            },
            extra=extra,
        )

    def inspector(
        self,
        cve: str,
        score: float,
        vector: str,
        package: Mapping[str, str],
        resource: Mapping[str, Any],
        *,
        account: str | None = None,
        workflow: str = "NEW",
        age_days: float = 9.0,
        label: str | None = None,
    ) -> None:
        account = account or self.res.account_id
        finding_id = f"arn:aws:inspector2:{self.res.region}:{account}:finding/{self.hex(32)}"
        if label is None:
            label = (
                "CRITICAL"
                if score >= 9.0
                else "HIGH"
                if score >= 7.0
                else "MEDIUM"
                if score >= 4.0
                else "LOW"
            )
        nvd = f"https://nvd.nist.gov/vuln/detail/{cve}"
        name = package["Name"]
        self.add(
            finding_id=finding_id,
            product=INSPECTOR,
            generator_id="AWSInspector",
            account=account,
            types=["Software and Configuration Checks/Vulnerabilities/CVE"],
            title=f"{cve} - {name}",
            description=f"{cve}: a vulnerability in {name} {package['Version']} (CVSS {score}).",
            label=label,
            resources=[resource],
            age_days=age_days,
            workflow=workflow,
            remediation=(f"Upgrade {name} to {package['FixedInVersion']} or later.", nvd),
            product_fields={
                "aws/inspector/ProductVersion": "2",
                "aws/inspector/FindingStatus": "ACTIVE",
                "aws/inspector/inspectorScore": f"{score}",
                "aws/inspector/ProviderName": "AWS Inspector",
            },
            extra={
                "Vulnerabilities": [
                    {
                        "Id": cve,
                        "VulnerablePackages": [dict(package)],
                        "Cvss": [
                            {"Version": "3.1", "BaseScore": score, "BaseVector": vector, "Source": "NVD"}
                        ],
                        "Vendor": {"Name": "NVD", "Url": nvd, "VendorSeverity": label},
                        "ReferenceUrls": [nvd],
                        "FixAvailable": "YES",
                    }
                ]
            },
        )

    def other(
        self,
        product: Product,
        generator_id: str,
        finding_id: str,
        types: Sequence[str],
        title: str,
        description: str,
        label: str,
        resource: Mapping[str, Any],
        *,
        remediation: tuple[str, str],
        workflow: str = "NEW",
        age_days: float = 6.0,
    ) -> None:
        self.add(
            finding_id=finding_id,
            product=product,
            generator_id=generator_id,
            account=self.res.account_id,
            types=types,
            title=title,
            description=description,
            label=label,
            resources=[resource],
            age_days=age_days,
            workflow=workflow,
            remediation=remediation,
        )


def _pkg(package: Package) -> dict[str, str]:
    return {
        "Name": package.name,
        "Version": package.version,
        "Epoch": "0",
        "Release": package.release,
        "Architecture": "x86_64",
        "PackageManager": package.manager,
        "FixedInVersion": package.fixed,
    }


def _member_findings(b: _Builder, member: MemberResources, vectors: Mapping[str, str]) -> None:
    """The member account's findings, about the resources it really holds."""
    account = b.res.member_account_id
    account_res = b.account_resource(account)
    sg_res = b.group_resource(member.group, account)
    instance = member.instance
    instance_res = b.instance_resource(instance, account)
    world_admin = "Rules: tcp 22 and tcp 3389 from 0.0.0.0/0 and ::/0."
    b.control("EC2.19", sg_res, account=account, age_days=8, note=world_admin)
    b.control("EC2.13", sg_res, account=account, age_days=8, note="Rule: tcp 22 from 0.0.0.0/0 and ::/0.")
    b.control("S3.1", account_res, account=account, age_days=400)
    b.control("IAM.6", account_res, account=account, age_days=400)
    b.control("IAM.4", account_res, account=account, workflow="NOTIFIED", age_days=400)
    b.control("CloudTrail.1", account_res, account=account, age_days=400)
    b.control("EC2.8", instance_res, account=account, age_days=30, note=f"{instance.name} accepts IMDSv1.")
    b.control("SSM.1", instance_res, account=account, workflow="SUPPRESSED", age_days=30)
    b.control(
        "S3.8",
        b.bucket_resource(member.bucket, account),
        account=account,
        status="PASSED",
        workflow="RESOLVED",
    )
    b.cis("4.1", sg_res, account=account, age_days=8, note="Port 22 is open to 0.0.0.0/0.")
    b.cis("1.12", account_res, account=account, age_days=400)
    b.control("EC2.14", sg_res, account=account, age_days=8, note="Rule: tcp 3389 from 0.0.0.0/0 and ::/0.")
    b.cis("4.2", sg_res, account=account, age_days=8, note="Port 3389 is open to 0.0.0.0/0.")
    instance_id = instance.instance_id
    b.guardduty(
        "CryptoCurrency:EC2/BitcoinTool.B!DNS",
        "TTPs/Command and Control/CryptoCurrency:EC2-BitcoinTool.B!DNS",
        instance_res,
        account=account,
        gd_severity=8.0,
        title=f"EC2 instance {instance_id} is querying a domain name that is associated with Bitcoin "
        "activity.",
        description=f"EC2 instance {instance_id} is querying pool.example-miner.net, a domain associated "
        "with cryptocurrency mining.",
        age_days=0.8,
        count=1204,
    )
    b.guardduty(
        "Backdoor:EC2/C&CActivity.B!DNS",
        "TTPs/Command and Control/Backdoor:EC2-C&CActivity.B!DNS",
        instance_res,
        account=account,
        gd_severity=8.0,
        title=f"EC2 instance {instance_id} is querying a domain name associated with a known command and "
        "control server.",
        description="The instance queried c2.example-botnet.net, a known command and control domain.",
        age_days=0.7,
        count=88,
    )
    for found in FINDINGS_DATA.member_vulnerabilities:
        b.inspector(
            found.cve,
            found.score,
            vectors[f"{found.score}"],
            _pkg(found.package),
            instance_res,
            account=account,
            workflow=found.workflow,
            age_days=found.age_days,
        )


def build_findings(res: SeededResources, rng: random.Random, now: datetime) -> list[dict[str, Any]]:
    """Every finding about the seeded platform and its member account (about 90)."""
    b = _Builder(res, rng, now)
    acct = res.account_id
    inst = res.instances
    groups = res.groups
    users = res.users
    public = [bucket for bucket in res.buckets if not bucket.public_access_block]
    private = [bucket for bucket in res.buckets if bucket.public_access_block]
    account_res = b.account_resource(acct)
    ssh = b.group_resource(groups["legacy-bastion-ssh"])
    rdp = b.group_resource(groups["ops-jump-rdp"])
    default_sg = b.group_resource(groups["default"])
    default_vpc = b.vpc_resource(res.default_vpc_id)
    trail = b.trail_resource()

    # CIS AWS Foundations Benchmark v1.2.0 (one finding per rule and resource).
    b.cis("4.1", ssh, note="Port 22 is open to 0.0.0.0/0.")
    b.cis("4.2", rdp, workflow="NOTIFIED", note="Port 3389 is open to 0.0.0.0/0.")
    b.cis("4.3", default_sg, note="The default security group has inbound rules.")
    for name, user in users.items():
        old = user.key_age_days > 90
        b.cis(
            "1.4",
            b.user_resource(user),
            status="FAILED" if old else "PASSED",
            workflow="SUPPRESSED" if name == "legacy-ftp-export" else None,
            note=f"Access key {user.access_key_id} is {user.key_age_days} days old.",
        )
    b.cis(
        "1.3", b.user_resource(users["legacy-ftp-export"]), note="The access key was last used 212 days ago."
    )
    b.cis("1.5", account_res, age_days=120)
    b.cis("1.12", account_res, status="PASSED", age_days=120)
    b.cis("2.1", account_res, note=f"Trail {res.trail.name} logs only {res.region}.")
    b.cis("2.2", trail)
    b.cis("2.9", default_vpc, workflow="NOTIFIED")
    b.cis("3.3", account_res, age_days=90)

    # Security Hub consolidated controls.
    b.control("EC2.13", ssh, note="Rule: tcp 22 from 0.0.0.0/0.")
    b.control("EC2.14", rdp, workflow="NOTIFIED", note="Rule: tcp 3389 from 0.0.0.0/0.")
    b.control("EC2.19", ssh, age_days=41)
    b.control("EC2.19", rdp, age_days=12)
    b.control("EC2.2", default_sg, note="Inbound: self reference, tcp 8080 from 0.0.0.0/0.")
    b.control("EC2.7", account_res, age_days=200)
    b.control("EC2.6", default_vpc, age_days=200)
    for ref in inst.values():
        resource = b.instance_resource(ref)
        if ref.http_tokens != "required":
            b.control("EC2.8", resource, note=f"{ref.name} still accepts IMDSv1 requests.")
    b.control("EC2.8", b.instance_resource(inst["payments-db-1"]), status="PASSED", workflow="RESOLVED")
    b.control(
        "EC2.8",
        b.instance_resource(inst["payments-api-1"]),
        status="PASSED",
        workflow="RESOLVED",
        record_state="ARCHIVED",
        age_days=60,
    )
    for volume in res.volumes:
        if volume.instance_id and not volume.encrypted:
            b.control("EC2.3", b.volume_resource(volume), age_days=90)
    for name in res.unmanaged_instances:
        b.control("SSM.1", b.instance_resource(inst[name]))
    b.control("S3.1", account_res, age_days=300)
    for index, bucket in enumerate(public):
        resource = b.bucket_resource(bucket)
        if bucket.public_read_acl:
            b.control("S3.2", resource, note="The bucket ACL grants READ to AllUsers.")
        b.control("S3.8", resource)
        b.control("S3.5", resource, workflow="SUPPRESSED" if index else "NEW")
    for bucket in private:
        b.control("S3.8", b.bucket_resource(bucket), status="PASSED", workflow="RESOLVED")
    for user in users.values():
        old = user.key_age_days > 90
        b.control(
            "IAM.3",
            b.user_resource(user),
            status="FAILED" if old else "PASSED",
            note=f"Access key {user.access_key_id} is {user.key_age_days} days old.",
        )
    b.control("IAM.8", b.user_resource(users["legacy-ftp-export"]), workflow="NOTIFIED")
    b.control("IAM.4", account_res, status="PASSED", age_days=300)
    b.control("CloudTrail.1", account_res, age_days=150)
    b.control("CloudTrail.2", trail, age_days=150)
    b.control("CloudTrail.4", trail, age_days=150)

    # GuardDuty.
    bastion = inst["legacy-bastion-1"]
    b.guardduty(
        "UnauthorizedAccess:EC2/SSHBruteForce",
        "TTPs/Initial Access/UnauthorizedAccess:EC2-SSHBruteForce",
        b.instance_resource(bastion),
        gd_severity=2.0,
        title=f"203.0.113.77 is performing SSH brute force attacks against {bastion.instance_id}.",
        description=f"203.0.113.77 is performing SSH brute force attacks against {bastion.instance_id}. "
        "Brute force attacks are used to gain unauthorized access to your instance by guessing the SSH "
        "password.",
        count=318,
        extra={
            "Network": {
                "Direction": "IN",
                "Protocol": "TCP",
                "SourceIpV4": "203.0.113.77",
                "DestinationIpV4": bastion.private_ip,
                "DestinationPort": 22,
            }
        },
    )
    jump = inst["ops-jump-1"]
    b.guardduty(
        "Recon:EC2/PortProbeUnprotectedPort",
        "TTPs/Discovery/Recon:EC2-PortProbeUnprotectedPort",
        b.instance_resource(jump),
        gd_severity=2.0,
        title=f"Unprotected port on EC2 instance {jump.instance_id} is being probed.",
        description=f"EC2 instance {jump.instance_id} has an unprotected port 3389 which is being probed "
        "by known malicious hosts.",
        workflow="NOTIFIED",
        count=57,
    )
    worker = inst["settlement-worker-2"]
    b.guardduty(
        "UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS",
        "TTPs/Initial Access/UnauthorizedAccess:IAMUser-InstanceCredentialExfiltration.OutsideAWS",
        b.instance_resource(worker),
        gd_severity=8.0,
        title="Credentials for instance role payments-ec2-ssm used from external IP address 198.51.100.23.",
        description=f"Credentials created exclusively for {worker.instance_id} through an instance launch "
        "role are being used from external IP address 198.51.100.23.",
        age_days=0.4,
    )
    b.guardduty(
        "Recon:IAMUser/MaliciousIPCaller.Custom",
        "TTPs/Discovery/Recon:IAMUser-MaliciousIPCaller.Custom",
        b.access_key_resource(users["svc-reconciler"]),
        gd_severity=5.0,
        title="API ListBuckets was invoked from an IP address on a custom threat list.",
        description="API ListBuckets, commonly used in reconnaissance attacks, was invoked from IP address "
        "192.0.2.200 on the custom threat list payments-blocklist.",
        age_days=1.5,
    )
    if public:
        b.guardduty(
            "Policy:S3/BucketAnonymousAccessGranted",
            "Effects/Data Exposure/Policy:S3-BucketAnonymousAccessGranted",
            b.bucket_resource(public[0]),
            gd_severity=8.0,
            title=f"Amazon S3 Public Anonymous Access was granted for the S3 bucket {public[0].name}.",
            description=f"The S3 bucket {public[0].name} was made publicly accessible by PutBucketAcl.",
            age_days=2.0,
        )
    if len(public) > 1:
        b.guardduty(
            "Discovery:S3/MaliciousIPCaller",
            "TTPs/Discovery/Discovery:S3-MaliciousIPCaller",
            b.bucket_resource(public[1]),
            gd_severity=5.0,
            title=f"S3 API GetBucketAcl was invoked from a known malicious IP address on {public[1].name}.",
            description="An API commonly used to discover resources was invoked from a known malicious IP "
            "address.",
            workflow="RESOLVED",
            record_state="ARCHIVED",
            age_days=16.0,
        )

    # Amazon Inspector.
    vectors = FINDINGS_DATA.cvss_vectors
    for found in FINDINGS_DATA.vulnerabilities:
        b.inspector(
            found.cve,
            found.score,
            vectors[f"{found.score}"],
            _pkg(found.package),
            b.instance_resource(inst[found.instance]),
            workflow=found.workflow,
            age_days=found.age_days,
        )
    api = inst["payments-api-1"]
    b.other(
        INSPECTOR,
        "AWSInspector",
        f"arn:aws:inspector2:{res.region}:{acct}:finding/{b.hex(32)}",
        ["Software and Configuration Checks/AWS Security Best Practices/Network Reachability"],
        "Port 443 is reachable from an internet gateway",
        f"On the instance {api.instance_id}, port 443 is reachable from an internet gateway.",
        "INFORMATIONAL",
        b.instance_resource(api),
        age_days=11.0,
        remediation=(
            "Confirm the port must be reachable from the internet, or restrict its security group.",
            "https://docs.aws.amazon.com/inspector/latest/user/findings-types.html",
        ),
    )

    # IAM Access Analyzer.
    analyzer = f"arn:aws:access-analyzer:{res.region}:{acct}:analyzer/payments-account-analyzer"
    if public:
        b.other(
            ACCESS_ANALYZER,
            "aws/access-analyzer",
            f"{analyzer}/arn:aws:s3:::{public[0].name}",
            ["Software and Configuration Checks/AWS Security Best Practices/External Access Granted"],
            f"AwsS3Bucket/arn:aws:s3:::{public[0].name}/ allows public access",
            f"The bucket ACL of {public[0].name} grants s3:ListBucket and s3:GetObject to everyone.",
            "HIGH",
            b.bucket_resource(public[0]),
            remediation=(
                "Remove the public grant or archive the finding if the access is intended.",
                "https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-findings-remediate.html",
            ),
        )
    role = res.external_role
    b.other(
        ACCESS_ANALYZER,
        "aws/access-analyzer",
        f"{analyzer}/{role.arn}",
        ["Software and Configuration Checks/AWS Security Best Practices/External Access Granted"],
        f"AwsIamRole/{role.arn}/ allows cross-account access",
        f"The trust policy of {role.name} allows sts:AssumeRole from account {role.trusted_account}.",
        "MEDIUM",
        b.role_resource(role),
        workflow="NOTIFIED",
        remediation=(
            "Confirm the partner account still needs the role, or narrow the trust policy.",
            "https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-findings-remediate.html",
        ),
    )
    ftp = users["legacy-ftp-export"]
    b.other(
        ACCESS_ANALYZER,
        "aws/access-analyzer",
        f"{analyzer}/unused/{ftp.access_key_id}",
        ["Software and Configuration Checks/AWS Security Best Practices/Unused IAM User Access Key"],
        f"AwsIamUser/{ftp.name} has an unused access key",
        f"Access key {ftp.access_key_id} of {ftp.name} has not been used for 212 days.",
        "LOW",
        b.user_resource(ftp),
        remediation=(
            "Deactivate and delete the unused access key.",
            "https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-findings-remediate.html",
        ),
    )

    # Amazon Macie.
    if public:
        b.other(
            MACIE,
            "aws/macie",
            b.hex(32),
            ["Sensitive Data Identifications/Financial"],
            "The S3 object contains financial information.",
            f"The object statements/2026-10/settlement-0042.csv in {public[0].name} contains credit card "
            "numbers.",
            "HIGH",
            b.bucket_resource(public[0]),
            age_days=4.0,
            remediation=(
                "Move the object to a private bucket or delete it.",
                "https://docs.aws.amazon.com/macie/latest/user/findings-action.html",
            ),
        )
        b.other(
            MACIE,
            "aws/macie",
            b.hex(32),
            ["Software and Configuration Checks/AWS Security Best Practices/Policy:IAMUser-S3BucketPublic"],
            f"The S3 bucket {public[0].name} is publicly accessible.",
            f"An ACL grant made {public[0].name} readable by everyone.",
            "HIGH",
            b.bucket_resource(public[0]),
            workflow="NOTIFIED",
            age_days=2.0,
            remediation=(
                "Turn on Block Public Access for the bucket.",
                "https://docs.aws.amazon.com/macie/latest/user/findings-action.html",
            ),
        )
    if len(public) > 1:
        b.other(
            MACIE,
            "aws/macie",
            b.hex(32),
            ["Sensitive Data Identifications/PII"],
            "The S3 object contains personal information.",
            f"The object exports/partners/acme/customers.json in {public[1].name} contains names and "
            "addresses.",
            "MEDIUM",
            b.bucket_resource(public[1]),
            age_days=5.0,
            remediation=(
                "Restrict access to the object or remove the personal data.",
                "https://docs.aws.amazon.com/macie/latest/user/findings-action.html",
            ),
        )

    # A finding a custom integration imported, with text that must be shown literally.
    custom = Product(f"{acct}/default", "Default", "Personal", account=acct)
    target_bucket = public[-1] if public else res.buckets[0]
    b.add(
        finding_id=f"payments-scanner/{b.uuid()}",
        product=custom,
        generator_id="payments-object-scanner",
        account=acct,
        types=["Unusual Behaviors/Data/Suspicious object key"],
        title="Suspicious object key [bold]x[/] \x1b[31mred\x1b[0m in " + target_bucket.name,
        description="Object key contains markup-like text [link=https://example.com]click[/link] and an "
        "escape sequence \x1b[2J; it must be shown as written.",
        label="LOW",
        resources=[b.bucket_resource(target_bucket)],
        age_days=0.2,
        remediation=(
            "Review the object and the process that wrote it.",
            "https://example.com/runbooks/object-scanner",
        ),
    )

    # The member account.
    if res.member is not None:
        _member_findings(b, res.member, vectors)

    # Customer managed KMS keys.
    for key in res.kms_keys:
        if key.rotation_enabled:
            continue
        note = f"Automatic rotation of {key.alias} is off."
        b.control("KMS.4", b.key_resource(key), age_days=75, note=note)
        b.cis("2.8", b.key_resource(key), age_days=75, note=note)

    # What passes, and what was deleted, from a generator of their own: the draws of the findings
    # above, and of whatever the workload draws after them, stay as they were.
    rest = _Builder(res, random.Random(f"passed-and-archived/{rng.getstate()!r}"), now)
    _passed_findings(rest, {_control_key(f) for f in b.findings if f["RecordState"] == "ACTIVE"})
    _archived_findings(rest)
    return b.findings + rest.findings


def _control_key(finding: Mapping[str, Any]) -> tuple[str, str, str]:
    """(account, control or CIS rule, resource id) of a Security Hub control finding."""
    control = finding.get("Compliance", {}).get("SecurityControlId") or finding.get("GeneratorId", "")
    return str(finding["AwsAccountId"]), str(control), str(finding["Resources"][0]["Id"])


def _world_open(group: GroupRef, ports: Sequence[int]) -> bool:
    """Whether a rule of ``group`` lets 0.0.0.0/0 or ::/0 reach one of ``ports``."""
    for permission in group.ip_permissions:
        world = any(r.get("CidrIp") == "0.0.0.0/0" for r in permission.get("IpRanges", ())) or any(
            r.get("CidrIpv6") == "::/0" for r in permission.get("Ipv6Ranges", ())
        )
        if not world:
            continue
        if permission.get("IpProtocol") == "-1":
            return True
        low, high = permission.get("FromPort"), permission.get("ToPort")
        if low is None or high is None or any(low <= port <= high for port in ports):
            return True
    return False


def _passed_findings(b: _Builder, seen: set[tuple[str, str, str]]) -> None:
    """A PASSED finding for each control that passes, per resource, as Security Hub writes them
    (severity INFORMATIONAL, workflow RESOLVED): only where the seeded resource really passes, and
    only where no finding of that control on that resource exists already."""
    res = b.res
    account = res.account_id
    cis_guide = "arn:aws:securityhub:::ruleset/cis-aws-foundations-benchmark/v/1.2.0/rule/"

    def passes(control: str, resource: Mapping[str, Any], *, owner: str = account, cis: str = "") -> None:
        key = (owner, f"{cis_guide}{cis}" if cis else control, str(resource["Id"]))
        if key in seen:
            return
        seen.add(key)
        age = b.rng.uniform(30, 400)
        if cis:
            b.cis(cis, resource, account=owner, status="PASSED", age_days=age)
        else:
            b.control(control, resource, account=owner, status="PASSED", age_days=age)

    account_res = b.account_resource(account)
    for control in ACCOUNT_CONTROLS_PASSED:
        passes(control, account_res)
    passes("IAM.6", account_res)
    passes("IAM.9", account_res)
    passes("", account_res, cis="1.13")
    passes("", account_res, cis="2.5")
    for name, ref in sorted(res.instances.items()):
        resource = b.instance_resource(ref)
        # Every seeded type is HVM, with one network interface.
        passes("EC2.24", resource)
        passes("EC2.17", resource)
        if ref.http_tokens == "required":
            passes("EC2.8", resource)
        if name in res.managed_instances:
            passes("SSM.1", resource)
    for volume in res.volumes:
        if volume.instance_id and volume.encrypted:
            passes("EC2.3", b.volume_resource(volume))
    for _name, group in sorted(res.groups.items()):
        resource = b.group_resource(group)
        if not _world_open(group, (22,)):
            passes("EC2.13", resource)
            passes("", resource, cis="4.1")
        if not _world_open(group, (3389,)):
            passes("EC2.14", resource)
            passes("", resource, cis="4.2")
        if not _world_open(group, HIGH_RISK_PORTS):
            passes("EC2.19", resource)
    for bucket in res.buckets:
        resource = b.bucket_resource(bucket)
        # No seeded bucket grants write access to everyone.
        passes("S3.3", resource)
        if not bucket.public_read_acl:
            passes("S3.2", resource)
        if bucket.name == res.trail.bucket and bucket.public_access_block:
            passes("", resource, cis="2.3")
    for _name, user in sorted(res.users.items()):
        resource = b.user_resource(user)
        # The seeded users are services: none has a console password.
        passes("IAM.5", resource)
        passes("", resource, cis="1.2")
        if user.name != "legacy-ftp-export":
            passes("IAM.8", resource)
            passes("", resource, cis="1.3")
    for key in res.kms_keys:
        resource = b.key_resource(key)
        passes("KMS.3", resource)
        if key.rotation_enabled:
            passes("KMS.4", resource)
            passes("", resource, cis="2.8")
    if res.member is not None:
        member = res.member_account_id
        passes("S3.2", b.bucket_resource(res.member.bucket, member), owner=member)


def _archived_findings(b: _Builder) -> None:
    """Findings Security Hub archived when their resources were deleted: an instance, a security
    group and a bucket that the simulator no longer holds."""
    res = b.res
    instance = InstanceRef(
        name="payments-canary-1",
        instance_id=f"i-0{b.hex(16)}",
        instance_type="t3.small",
        image_id=f"ami-0{b.hex(16)}",
        private_ip="10.40.1.77",
        vpc_id=res.default_vpc_id,
        subnet_id=f"subnet-0{b.hex(16)}",
        launched_at=_iso(b.now - timedelta(days=120)),
        http_tokens="optional",
        profile_arn=None,
        tags={"Name": "payments-canary-1", "app": "payments"},
    )
    b.control(
        "EC2.8",
        b.instance_resource(instance),
        record_state="ARCHIVED",
        age_days=110,
        note="The instance was terminated.",
    )
    group = GroupRef(
        name="payments-debug-ssh",
        group_id=f"sg-0{b.hex(16)}",
        vpc_id=res.default_vpc_id,
        ip_permissions=[
            {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}
        ],
    )
    b.control(
        "EC2.13",
        b.group_resource(group),
        record_state="ARCHIVED",
        age_days=95,
        note="The security group was deleted.",
    )
    b.cis("4.1", b.group_resource(group), record_state="ARCHIVED", age_days=95)
    bucket = BucketRef(
        name=f"payments-export-scratch-{b.hex(8)}", public_read_acl=False, public_access_block=False
    )
    b.control(
        "S3.8",
        b.bucket_resource(bucket),
        record_state="ARCHIVED",
        age_days=70,
        note="The bucket was deleted.",
    )
