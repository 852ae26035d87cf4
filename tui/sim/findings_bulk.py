"""Many synthetic Security Hub findings (ASFF), for benchmarks and a crowded simulator.

``synthetic_findings(count, seed=..., now=...)`` returns findings with the fields
``tui.sim.findings`` gives the seeded ones: consolidated control findings (with
``Compliance.SecurityControlId`` and ``AssociatedStandards``), CIS AWS Foundations Benchmark v1.2.0
rule findings, GuardDuty and Inspector findings. The mix is about 2 % CRITICAL, 15 % HIGH, 45 %
MEDIUM, 25 % LOW and 13 % INFORMATIONAL (controls that pass); workflows are mostly NEW with some
NOTIFIED, SUPPRESSED and RESOLVED; about 10 % are ARCHIVED. Resources are drawn from a pool per
account and resource type, skewed towards its first members, so several findings share one
resource; a resource's id depends only on its account, type and place in the pool, so calls with
other seeds name the same resources. Ids are unique within a call (a counter) and across seeds (a
random prefix). The same arguments give the same findings; 50,000 take about a second.

The default accounts are not the simulator's seeded ones, so synthetic findings never claim to be
about the seeded resources.
"""

from __future__ import annotations

import hashlib
import random
import time
from bisect import bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import accumulate
from typing import Any

from tui.sim.findings import (
    _NORMALIZED,
    _STANDARDS_TYPE,
    CIS_12,
    CIS_RULES,
    CONTROLS,
    GUARDDUTY,
    INSPECTOR,
    SCHEMA_VERSION,
    SECURITY_HUB,
    Product,
)

DEFAULT_ACCOUNTS: tuple[str, ...] = (
    "111122223333",
    "222233334444",
    "333344445555",
    "444455556666",
    "555566667777",
    "666677778888",
    "777788889999",
    "101010101010",
    "202020202020",
    "303030303030",
    "404040404040",
    "505050505050",
)
ACCOUNT_NAMES: dict[str, str] = {
    "111122223333": "payments-dev",
    "222233334444": "payments-staging",
    "333344445555": "ledger-prod",
    "444455556666": "ledger-staging",
    "555566667777": "data-platform",
    "666677778888": "shared-network",
    "777788889999": "log-archive",
    "101010101010": "security-tooling",
    "202020202020": "identity",
    "303030303030": "partner-gateway",
    "404040404040": "analytics-sandbox",
    "505050505050": "legacy-batch",
}

SEVERITY_SHARES: tuple[tuple[str, float], ...] = (
    ("CRITICAL", 0.02),
    ("HIGH", 0.15),
    ("MEDIUM", 0.45),
    ("LOW", 0.25),
    ("INFORMATIONAL", 0.13),
)
ARCHIVED_SHARE = 0.10
# Workflow of a failed or threat finding; a control that passes is RESOLVED.
WORKFLOW_SHARES: tuple[tuple[str, float], ...] = (
    ("NEW", 0.72),
    ("NOTIFIED", 0.12),
    ("SUPPRESSED", 0.08),
    ("RESOLVED", 0.08),
)
# Within one severity: the share of each kind of finding that exists at that severity.
_KIND_SHARES: dict[str, dict[str, float]] = {
    "CRITICAL": {"control": 0.5, "cis": 0.1, "inspector": 0.4},
    "HIGH": {"control": 0.55, "cis": 0.12, "inspector": 0.2, "guardduty": 0.13},
    "MEDIUM": {"control": 0.6, "cis": 0.12, "inspector": 0.15, "guardduty": 0.13},
    "LOW": {"control": 0.3, "cis": 0.15, "inspector": 0.3, "guardduty": 0.25},
    "INFORMATIONAL": {"control": 0.85, "cis": 0.15},
}

# The resource type each control and CIS 1.2 rule is evaluated on.
CONTROL_RESOURCES: dict[str, str] = {
    "EC2.2": "AwsEc2SecurityGroup",
    "EC2.3": "AwsEc2Volume",
    "EC2.6": "AwsEc2Vpc",
    "EC2.7": "AwsAccount",
    "EC2.8": "AwsEc2Instance",
    "EC2.13": "AwsEc2SecurityGroup",
    "EC2.14": "AwsEc2SecurityGroup",
    "EC2.19": "AwsEc2SecurityGroup",
    "S3.1": "AwsAccount",
    "S3.2": "AwsS3Bucket",
    "S3.5": "AwsS3Bucket",
    "S3.8": "AwsS3Bucket",
    "IAM.3": "AwsIamUser",
    "IAM.4": "AwsAccount",
    "IAM.6": "AwsAccount",
    "IAM.8": "AwsIamUser",
    "CloudTrail.1": "AwsAccount",
    "CloudTrail.2": "AwsCloudTrailTrail",
    "CloudTrail.4": "AwsCloudTrailTrail",
    "SSM.1": "AwsEc2Instance",
    "KMS.4": "AwsKmsKey",
}
CIS_RESOURCES: dict[str, str] = {
    "1.3": "AwsIamUser",
    "1.4": "AwsIamUser",
    "1.5": "AwsAccount",
    "1.12": "AwsAccount",
    "2.1": "AwsAccount",
    "2.2": "AwsCloudTrailTrail",
    "2.8": "AwsKmsKey",
    "2.9": "AwsEc2Vpc",
    "3.3": "AwsAccount",
    "4.1": "AwsEc2SecurityGroup",
    "4.2": "AwsEc2SecurityGroup",
    "4.3": "AwsEc2SecurityGroup",
}

# An account has one of each account-level finding on AWS, so those are drawn less often.
_ACCOUNT_LEVEL_WEIGHT = 0.2
# Pool size of a resource type, relative to the pool of security groups.
_POOL_SCALE: dict[str, float] = {
    "AwsEc2SecurityGroup": 1.0,
    "AwsEc2Instance": 2.0,
    "AwsEc2Volume": 2.0,
    "AwsEc2Vpc": 0.2,
    "AwsS3Bucket": 1.0,
    "AwsIamUser": 0.5,
    "AwsIamAccessKey": 0.5,
    "AwsCloudTrailTrail": 0.05,
    "AwsKmsKey": 0.2,
}
# Findings per security group in the pool, on average, before the skew.
_FINDINGS_PER_POOL_SLOT = 25

_BUCKET_WORDS = ("app-logs", "exports", "artifacts", "backups", "static-assets", "data-lake", "reports")
_USER_WORDS = ("deployer", "reporting", "etl", "backup", "sftp", "monitoring", "billing", "sync")


@dataclass(frozen=True)
class _Threat:
    """A GuardDuty finding type."""

    finding_type: str
    asff_type: str
    gd_severity: float
    resource_type: str
    title: str  # "{rid}" is the resource's short id

    @property
    def label(self) -> str:
        return "LOW" if self.gd_severity < 4 else "MEDIUM" if self.gd_severity < 7 else "HIGH"


_THREATS: tuple[_Threat, ...] = (
    _Threat(
        "UnauthorizedAccess:EC2/SSHBruteForce",
        "TTPs/Initial Access/UnauthorizedAccess:EC2-SSHBruteForce",
        2.0,
        "AwsEc2Instance",
        "198.51.100.9 is performing SSH brute force attacks against {rid}.",
    ),
    _Threat(
        "Recon:EC2/PortProbeUnprotectedPort",
        "TTPs/Discovery/Recon:EC2-PortProbeUnprotectedPort",
        2.0,
        "AwsEc2Instance",
        "Unprotected port on EC2 instance {rid} is being probed.",
    ),
    _Threat(
        "Recon:IAMUser/MaliciousIPCaller.Custom",
        "TTPs/Discovery/Recon:IAMUser-MaliciousIPCaller.Custom",
        5.0,
        "AwsIamAccessKey",
        "API ListBuckets was invoked with {rid} from an IP address on a custom threat list.",
    ),
    _Threat(
        "Discovery:S3/MaliciousIPCaller",
        "TTPs/Discovery/Discovery:S3-MaliciousIPCaller",
        5.0,
        "AwsS3Bucket",
        "S3 API GetBucketAcl was invoked from a known malicious IP address on {rid}.",
    ),
    _Threat(
        "UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS",
        "TTPs/Initial Access/UnauthorizedAccess:IAMUser-InstanceCredentialExfiltration.OutsideAWS",
        8.0,
        "AwsEc2Instance",
        "Credentials for the instance role of {rid} used from external IP address 203.0.113.50.",
    ),
    _Threat(
        "CryptoCurrency:EC2/BitcoinTool.B!DNS",
        "TTPs/Command and Control/CryptoCurrency:EC2-BitcoinTool.B!DNS",
        8.0,
        "AwsEc2Instance",
        "EC2 instance {rid} is querying a domain name that is associated with Bitcoin activity.",
    ),
    _Threat(
        "Policy:S3/BucketAnonymousAccessGranted",
        "Effects/Data Exposure/Policy:S3-BucketAnonymousAccessGranted",
        8.0,
        "AwsS3Bucket",
        "Amazon S3 Public Anonymous Access was granted for the S3 bucket {rid}.",
    ),
)


@dataclass(frozen=True)
class _Cve:
    cve: str
    score: float
    package: str
    version: str
    fixed: str
    vector: str

    @property
    def label(self) -> str:
        score = self.score
        return "CRITICAL" if score >= 9 else "HIGH" if score >= 7 else "MEDIUM" if score >= 4 else "LOW"


_CVES: tuple[_Cve, ...] = (
    _Cve("CVE-2021-44228", 10.0, "log4j-core", "2.14.1", "2.17.1", "AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H"),
    _Cve("CVE-2024-3094", 10.0, "xz-libs", "5.6.0", "5.6.1-2", "AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H"),
    _Cve("CVE-2023-38408", 9.8, "openssh-clients", "8.7p1", "8.7p1-8", "AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"),
    _Cve("CVE-2022-40674", 9.8, "expat", "2.4.8", "2.4.9-1", "AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"),
    _Cve("CVE-2024-6387", 8.1, "openssh-server", "8.7p1", "8.7p1-38", "AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:H"),
    _Cve("CVE-2024-2961", 8.8, "glibc", "2.34", "2.34-52", "AV:N/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H"),
    _Cve("CVE-2023-4863", 8.8, "libwebp", "1.2.4", "1.2.4-1", "AV:N/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H"),
    _Cve("CVE-2023-44487", 7.5, "libnghttp2", "1.51.0", "1.57.0-1", "AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H"),
    _Cve("CVE-2023-5678", 5.3, "openssl-libs", "3.0.8", "3.0.8-1", "AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:L"),
    _Cve("CVE-2023-2650", 6.5, "openssl-libs", "3.0.8", "3.0.9-1", "AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H"),
    _Cve("CVE-2023-29383", 3.3, "shadow-utils", "4.9", "4.9-12", "AV:L/AC:L/PR:L/UI:N/S:U/C:L/I:N/A:N"),
    _Cve("CVE-2022-3821", 3.8, "systemd", "250", "250-12", "AV:L/AC:H/PR:L/UI:N/S:U/C:N/I:N/A:H"),
)


@dataclass(frozen=True)
class _Template:
    kind: str  # "control", "cis", "guardduty" or "inspector"
    key: str  # control id, CIS rule id, GuardDuty type or CVE
    label: str
    resource_type: str
    passed: bool = False


def _templates() -> dict[str, tuple[list[_Template], list[float]]]:
    """For each severity: the finding templates at that severity and their cumulative weights."""
    by_kind: dict[str, dict[str, list[_Template]]] = {label: {} for label, _ in SEVERITY_SHARES}

    def add(template: _Template) -> None:
        by_kind[template.label].setdefault(template.kind, []).append(template)

    for control_id, control in CONTROLS.items():
        resource_type = CONTROL_RESOURCES[control_id]
        add(_Template("control", control_id, control.severity, resource_type))
        add(_Template("control", control_id, "INFORMATIONAL", resource_type, passed=True))
    for rule_id, (_, severity) in CIS_RULES.items():
        add(_Template("cis", rule_id, severity, CIS_RESOURCES[rule_id]))
        add(_Template("cis", rule_id, "INFORMATIONAL", CIS_RESOURCES[rule_id], passed=True))
    for threat in _THREATS:
        add(_Template("guardduty", threat.finding_type, threat.label, threat.resource_type))
    for cve in _CVES:
        add(_Template("inspector", cve.cve, cve.label, "AwsEc2Instance"))
    table: dict[str, tuple[list[_Template], list[float]]] = {}
    for label, kinds in by_kind.items():
        templates: list[_Template] = []
        weights: list[float] = []
        for kind, share in _KIND_SHARES[label].items():
            members = kinds.get(kind, [])
            if not members:
                raise RuntimeError(f"no {kind} finding has severity {label}")
            raw = [_ACCOUNT_LEVEL_WEIGHT if m.resource_type == "AwsAccount" else 1.0 for m in members]
            templates.extend(members)
            weights.extend(share * weight / sum(raw) for weight in raw)
        table[label] = (templates, list(accumulate(weights)))
    return table


def _short_hash(*parts: str, size: int = 9) -> str:
    return hashlib.blake2b("/".join(parts).encode(), digest_size=size).hexdigest()


class _Resources:
    """The resource pools of one call: ids depend on (account, type, slot) only."""

    def __init__(self, region: str, pool: int) -> None:
        self.region = region
        self.pool = pool
        self._cache: dict[tuple[str, str, int], tuple[str, str]] = {}

    def size(self, resource_type: str) -> int:
        if resource_type == "AwsAccount":
            return 1
        return max(1, round(self.pool * _POOL_SCALE[resource_type]))

    def get(self, account: str, resource_type: str, slot: int) -> tuple[str, str]:
        """The resource's ASFF Id and its short name (for titles)."""
        key = (account, resource_type, slot)
        found = self._cache.get(key)
        if found is None:
            found = self._make(account, resource_type, slot)
            self._cache[key] = found
        return found

    def _make(self, account: str, resource_type: str, slot: int) -> tuple[str, str]:
        digest = _short_hash(account, resource_type, str(slot))
        region = self.region
        ec2 = f"arn:aws:ec2:{region}:{account}"
        if resource_type == "AwsEc2SecurityGroup":
            short = f"sg-{digest[:17]}"
            return f"{ec2}:security-group/{short}", short
        if resource_type == "AwsEc2Instance":
            short = f"i-{digest[:17]}"
            return f"{ec2}:instance/{short}", short
        if resource_type == "AwsEc2Volume":
            short = f"vol-{digest[:17]}"
            return f"{ec2}:volume/{short}", short
        if resource_type == "AwsEc2Vpc":
            short = f"vpc-{digest[:17]}"
            return f"{ec2}:vpc/{short}", short
        if resource_type == "AwsS3Bucket":
            short = f"{_BUCKET_WORDS[slot % len(_BUCKET_WORDS)]}-{account}-{digest[:6]}"
            return f"arn:aws:s3:::{short}", short
        if resource_type == "AwsIamUser":
            short = f"svc-{_USER_WORDS[slot % len(_USER_WORDS)]}-{slot}"
            return f"arn:aws:iam::{account}:user/{short}", short
        if resource_type == "AwsIamAccessKey":
            short = "AKIA" + digest[:16].upper()
            return short, short
        if resource_type == "AwsCloudTrailTrail":
            short = f"trail-{slot}"
            return f"arn:aws:cloudtrail:{region}:{account}:trail/{short}", short
        if resource_type == "AwsKmsKey":
            key = _short_hash(account, "kms", str(slot), size=16)
            short = f"{key[:8]}-{key[8:12]}-{key[12:16]}-{key[16:20]}-{key[20:32]}"
            return f"arn:aws:kms:{region}:{account}:key/{short}", short
        if resource_type == "AwsAccount":
            return f"AWS::::Account:{account}", account
        raise ValueError(f"unknown resource type {resource_type!r}")


def _iso_formatter(now: datetime) -> Callable[[float], str]:
    """Seconds before ``now`` -> an ASFF timestamp (millisecond precision, UTC)."""
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    epoch = now.timestamp()
    gmtime = time.gmtime
    strftime = time.strftime

    def iso(seconds_ago: float) -> str:
        moment = epoch - seconds_ago
        whole = int(moment)
        return f"{strftime('%Y-%m-%dT%H:%M:%S', gmtime(whole))}.{int((moment - whole) * 1000):03d}Z"

    return iso


def _pick(rng_random: Callable[[], float], shares: Sequence[tuple[str, float]]) -> Callable[[], str]:
    names = [name for name, _ in shares]
    cumulative = list(accumulate(share for _, share in shares))
    total = cumulative[-1]

    def pick() -> str:
        return names[min(bisect_right(cumulative, rng_random() * total), len(names) - 1)]

    return pick


_DAY = 86400.0
_RECENT_SECONDS = 6 * 3600.0
# Oldest first observation (days before ``now``) by kind of finding.
_MAX_AGE_DAYS = {"control": 400.0, "cis": 400.0, "guardduty": 30.0, "inspector": 120.0}
_GUARDDUTY_GUIDE = "https://docs.aws.amazon.com/guardduty/latest/ug/guardduty_finding-types-active.html"
_CIS_GUIDE = "arn:aws:securityhub:::ruleset/cis-aws-foundations-benchmark/v/1.2.0"


def synthetic_findings(
    count: int,
    *,
    seed: int,
    now: datetime,
    region: str = "us-east-1",
    accounts: Sequence[str] = DEFAULT_ACCOUNTS,
) -> list[dict[str, Any]]:
    """``count`` valid ASFF findings about ``accounts`` in ``region``, the same for the same arguments."""
    if count < 0:
        raise ValueError(f"count must be 0 or more, not {count}")
    if not accounts:
        raise ValueError("accounts must name at least one account")
    for account in accounts:
        if len(account) != 12 or not account.isdigit():
            raise ValueError(f"{account!r} is not a twelve-digit account id")
    rng = random.Random(seed)
    rand = rng.random
    table = _templates()
    pick_severity = _pick(rand, SEVERITY_SHARES)
    pick_workflow = _pick(rand, WORKFLOW_SHARES)
    iso = _iso_formatter(now)
    pool = max(4, count // (len(accounts) * _FINDINGS_PER_POOL_SLOT))
    resources = _Resources(region, pool)
    # Ids: a random prefix for the call, the finding's index for uniqueness within it.
    bits = f"{rng.getrandbits(80):020x}"
    uuid_head = f"{bits[:8]}-{bits[8:12]}-4{bits[12:15]}-a{bits[15:18]}-"
    prefix = bits[:16]
    threats = {threat.finding_type: threat for threat in _THREATS}
    cves = {cve.cve: cve for cve in _CVES}
    names = {account: ACCOUNT_NAMES.get(account, f"account-{account[-4:]}") for account in accounts}
    hub_arn = SECURITY_HUB.arn(region)
    detectors = {account: _short_hash(account, "guardduty-detector", size=16) for account in accounts}
    account_count = len(accounts)
    findings: list[dict[str, Any]] = []
    append = findings.append
    for index in range(count):
        templates, cumulative = table[pick_severity()]
        template = templates[min(bisect_right(cumulative, rand() * cumulative[-1]), len(templates) - 1)]
        account = accounts[int(rand() * account_count)]
        kind = template.kind
        resource_type = template.resource_type
        r = rand()
        slot = int(resources.size(resource_type) * r * r)
        resource_id, short = resources.get(account, resource_type, slot)
        archived = rand() < ARCHIVED_SHARE
        first_ago = _MAX_AGE_DAYS[kind] * _DAY * rand() ** 2 + 3600.0
        # Active findings were seen in the last hours; archived ones stopped being seen long ago.
        last_ago = first_ago * rand() * 0.5 if archived else 60.0 + _RECENT_SECONDS * rand()
        first = iso(first_ago)
        last = iso(min(last_ago, first_ago))
        workflow = "RESOLVED" if template.passed else pick_workflow()
        unique = f"{uuid_head}{index:012x}"
        resource = {"Type": resource_type, "Id": resource_id, "Partition": "aws", "Region": region}
        label = template.label
        severity: dict[str, Any] = {"Label": label, "Normalized": _NORMALIZED[label]}
        product: Product
        extra: dict[str, Any] | None = None
        compliance: dict[str, Any] | None = None
        if kind == "control":
            control = CONTROLS[template.key]
            product = SECURITY_HUB
            finding_id = (
                f"arn:aws:securityhub:{region}:{account}:security-control/{template.key}/finding/{unique}"
            )
            generator = f"security-control/{template.key}"
            types = [_STANDARDS_TYPE]
            title = control.title
            description = f"This control checks: {control.title.lower()}."
            compliance = {
                "Status": "PASSED" if template.passed else "FAILED",
                "SecurityControlId": template.key,
                "AssociatedStandards": [{"StandardsId": s} for s in control.standards],
            }
            remediation = (
                control.recommendation,
                f"https://docs.aws.amazon.com/console/securityhub/{template.key}/remediation",
            )
            fields = {
                "RelatedAWSResources:0/name": f"securityhub-{control.config_rule}-{detectors[account][:8]}",
                "RelatedAWSResources:0/type": "AWS::Config::ConfigRule",
                "Resources:0/Id": resource_id,
            }
        elif kind == "cis":
            rule_title, _ = CIS_RULES[template.key]
            product = SECURITY_HUB
            subscription = (
                f"arn:aws:securityhub:{region}:{account}:subscription/cis-aws-foundations-benchmark/v/1.2.0"
            )
            finding_id = f"{subscription}/{template.key}/finding/{unique}"
            generator = f"{_CIS_GUIDE}/rule/{template.key}"
            types = [f"{_STANDARDS_TYPE}/CIS AWS Foundations Benchmark"]
            title = f"{template.key} {rule_title}"
            description = (
                f"CIS AWS Foundations Benchmark v1.2.0, recommendation {template.key}: {rule_title}."
            )
            compliance = {
                "Status": "PASSED" if template.passed else "FAILED",
                "AssociatedStandards": [{"StandardsId": CIS_12}],
            }
            url = f"https://docs.aws.amazon.com/console/securityhub/standards-cis-{template.key}/remediation"
            remediation = (
                f"For directions on how to fix this issue, see CIS {template.key} remediation.",
                url,
            )
            fields = {
                "StandardsGuideArn": _CIS_GUIDE,
                "StandardsGuideSubscriptionArn": subscription,
                "RuleId": template.key,
                "RecommendationUrl": url,
                "RelatedAWSResources:0/type": "AWS::Config::ConfigRule",
                "Resources:0/Id": resource_id,
            }
        elif kind == "guardduty":
            threat = threats[template.key]
            product = GUARDDUTY
            detector = detectors[account]
            finding_id = (
                f"arn:aws:guardduty:{region}:{account}:detector/{detector}/finding/{prefix}{index:016x}"
            )
            generator = threat.finding_type
            types = [threat.asff_type]
            title = threat.title.format(rid=short)
            seen = str(1 + int(rand() * 400))
            description = f"{title} GuardDuty observed it {seen} times."
            severity = {
                "Label": label,
                "Normalized": round(threat.gd_severity * 10),
                "Original": f"{threat.gd_severity:.1f}",
            }
            category = threat.finding_type.split(":", 1)[0].lower()
            remediation = (
                f"Investigate {threat.finding_type} with the GuardDuty remediation guide.",
                f"{_GUARDDUTY_GUIDE}#{category}",
            )
            fields = {
                "aws/guardduty/service/archived": "true" if archived else "false",
                "aws/guardduty/service/count": seen,
                "aws/guardduty/service/detectorId": detector,
            }
        else:
            cve = cves[template.key]
            product = INSPECTOR
            finding_id = f"arn:aws:inspector2:{region}:{account}:finding/{prefix}{index:016x}"
            generator = "AWSInspector"
            types = ["Software and Configuration Checks/Vulnerabilities/CVE"]
            title = f"{cve.cve} - {cve.package}"
            description = f"{cve.cve}: a vulnerability in {cve.package} {cve.version} (CVSS {cve.score})."
            nvd = f"https://nvd.nist.gov/vuln/detail/{cve.cve}"
            remediation = (f"Upgrade {cve.package} to {cve.fixed} or later.", nvd)
            fields = {
                "aws/inspector/ProductVersion": "2",
                "aws/inspector/FindingStatus": "CLOSED" if archived else "ACTIVE",
                "aws/inspector/inspectorScore": f"{cve.score}",
                "aws/inspector/ProviderName": "AWS Inspector",
            }
            extra = {
                "Vulnerabilities": [
                    {
                        "Id": cve.cve,
                        "VulnerablePackages": [
                            {
                                "Name": cve.package,
                                "Version": cve.version,
                                "Epoch": "0",
                                "Architecture": "x86_64",
                                "PackageManager": "OS",
                                "FixedInVersion": cve.fixed,
                            }
                        ],
                        "Cvss": [
                            {
                                "Version": "3.1",
                                "BaseScore": cve.score,
                                "BaseVector": f"CVSS:3.1/{cve.vector}",
                                "Source": "NVD",
                            }
                        ],
                        "Vendor": {"Name": "NVD", "Url": nvd, "VendorSeverity": label},
                        "ReferenceUrls": [nvd],
                        "FixAvailable": "YES",
                    }
                ]
            }
        product_arn = hub_arn if product is SECURITY_HUB else product.arn(region)
        fields["aws/securityhub/FindingId"] = f"{product_arn}/{finding_id}"
        fields["aws/securityhub/ProductName"] = product.name
        fields["aws/securityhub/CompanyName"] = product.company
        finding: dict[str, Any] = {
            "SchemaVersion": SCHEMA_VERSION,
            "Id": finding_id,
            "ProductArn": product_arn,
            "ProductName": product.name,
            "CompanyName": product.company,
            "Region": region,
            "GeneratorId": generator,
            "AwsAccountId": account,
            "AwsAccountName": names[account],
            "Types": types,
            "FirstObservedAt": first,
            "LastObservedAt": last,
            "CreatedAt": first,
            "UpdatedAt": last,
            "Severity": severity,
            "Title": title,
            "Description": description,
            "ProductFields": fields,
            "Resources": [resource],
            "Workflow": {"Status": workflow},
            "RecordState": "ARCHIVED" if archived else "ACTIVE",
            "Remediation": {"Recommendation": {"Text": remediation[0], "Url": remediation[1]}},
        }
        if compliance is not None:
            finding["Compliance"] = compliance
        if extra is not None:
            finding.update(extra)
        append(finding)
    return findings
