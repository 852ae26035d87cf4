"""The Findings pane's data model: parsing hostile ASFF, cleaning text, filters and their cache,
sorting, grouping, counting and the per-standard scores."""

from __future__ import annotations

import dataclasses
import json
import random
import string
import subprocess
import sys
import unicodedata
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from tui.aws.findings_model import (
    DEFAULT_WORKFLOWS,
    FACETS,
    SEVERITIES,
    SORTS,
    STANDARD_NAMES,
    WORKFLOWS,
    FilterCache,
    Finding,
    FindingFilter,
    Note,
    ResourceGroup,
    ResourceRef,
    SortedOrders,
    StandardScore,
    apply_filter,
    clean_block,
    clean_line,
    facet_counts,
    facet_value,
    group_by_account,
    group_by_resource,
    matches,
    normalize_standard,
    parse_finding,
    severity_counts,
    sort_findings,
    standard_scores,
)

HUB = "arn:aws:securityhub:us-east-1::product/aws/securityhub"
GUARDDUTY = "arn:aws:securityhub:us-east-1::product/aws/guardduty"
FSBP = "standards/aws-foundational-security-best-practices/v/1.0.0"
CIS12 = "ruleset/cis-aws-foundations-benchmark/v/1.2.0"
CIS14 = "standards/cis-aws-foundations-benchmark/v/1.4.0"
CIS30 = "standards/cis-aws-foundations-benchmark/v/3.0.0"
PCI = "standards/pci-dss/v/3.2.1"
CIS12_ARN = f"arn:aws:securityhub:::{CIS12}"
FSBP_ARN = f"arn:aws:securityhub:us-east-1::{FSBP}"
NOW = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)
_STANDARDS_TYPE = "Software and Configuration Checks/Industry and Regulatory Standards"

# ---------------------------------------------------------------------------------------------
# Synthetic findings (plain dicts, as GetFindings returns them)
# ---------------------------------------------------------------------------------------------

_CONTROLS = (
    (
        "EC2.13",
        "HIGH",
        "Security groups should not allow ingress from 0.0.0.0/0 to port 22",
        "AwsEc2SecurityGroup",
    ),
    (
        "EC2.14",
        "HIGH",
        "Security groups should not allow ingress from 0.0.0.0/0 to port 3389",
        "AwsEc2SecurityGroup",
    ),
    (
        "EC2.19",
        "CRITICAL",
        "Security groups should not allow unrestricted access to high-risk ports",
        "AwsEc2SecurityGroup",
    ),
    (
        "EC2.2",
        "HIGH",
        "VPC default security groups should not allow inbound or outbound traffic",
        "AwsEc2SecurityGroup",
    ),
    ("EC2.7", "MEDIUM", "EBS default encryption should be enabled", "AwsAccount"),
    (
        "S3.1",
        "MEDIUM",
        "S3 general purpose buckets should have block public access settings enabled",
        "AwsAccount",
    ),
    ("S3.8", "HIGH", "S3 general purpose buckets should block public access", "AwsS3Bucket"),
    ("CloudTrail.4", "LOW", "CloudTrail log file validation should be enabled", "AwsCloudTrailTrail"),
    ("KMS.4", "MEDIUM", "AWS KMS key rotation should be enabled", "AwsKmsKey"),
    ("IAM.3", "MEDIUM", "IAM users' access keys should be rotated every 90 days or less", "AwsIamUser"),
)
_GUARDDUTY = (
    ("Recon:EC2/PortProbeUnprotectedPort", "LOW", "Unprotected port on EC2 instance is being probed"),
    ("UnauthorizedAccess:EC2/SSHBruteForce", "MEDIUM", "SSH brute force attacks against an instance"),
    ("CryptoCurrency:EC2/BitcoinTool.B!DNS", "HIGH", "EC2 instance querying a domain name of a bitcoin pool"),
)
_REGIONS = ("us-east-1", "us-west-2", "eu-west-1")


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _resource_id(rtype: str, account: str, region: str, n: int) -> str:
    if rtype == "AwsEc2SecurityGroup":
        return f"arn:aws:ec2:{region}:{account}:security-group/sg-{n:017x}"
    if rtype == "AwsS3Bucket":
        return f"arn:aws:s3:::bucket-{account}-{n}"
    if rtype == "AwsCloudTrailTrail":
        return f"arn:aws:cloudtrail:{region}:{account}:trail/trail-{n % 3}"
    if rtype == "AwsKmsKey":
        return f"arn:aws:kms:{region}:{account}:key/{n:08x}-0000-4000-8000-000000000000"
    if rtype == "AwsIamUser":
        return f"arn:aws:iam::{account}:user/user-{n % 400}"
    if rtype == "AwsEc2Instance":
        return f"arn:aws:ec2:{region}:{account}:instance/i-{n:017x}"
    return f"AWS::::Account:{account}"


def synthetic_raw(n: int, seed: int = 1) -> list[dict[str, Any]]:
    """``n`` ASFF findings as plain dicts: consolidated controls, CIS 1.2 rules and GuardDuty findings
    over 25 accounts, 3 regions, every severity, workflow status and compliance status."""
    rng = random.Random(seed)
    accounts = [f"{100000000000 + i * 7919:012d}" for i in range(25)]
    out: list[dict[str, Any]] = []
    for i in range(n):
        account = accounts[rng.randrange(len(accounts))]
        region = _REGIONS[rng.randrange(len(_REGIONS))]
        first = NOW - timedelta(days=rng.uniform(0, 200))
        last = first + (NOW - first) * rng.random()
        kind = rng.random()
        raw: dict[str, Any] = {
            "SchemaVersion": "2018-10-08",
            "AwsAccountId": account,
            "AwsAccountName": f"team-{int(account) % 97}",
            "Region": region,
            "FirstObservedAt": _iso(first),
            "LastObservedAt": _iso(last),
            "CreatedAt": _iso(first),
            "UpdatedAt": _iso(last),
            "RecordState": "ACTIVE" if rng.random() < 0.9 else "ARCHIVED",
            "Workflow": {"Status": WORKFLOWS[rng.randrange(4)]},
        }
        if kind < 0.75:
            cid, label, title, rtype = _CONTROLS[rng.randrange(len(_CONTROLS))]
            status = rng.choice(("FAILED", "FAILED", "PASSED", "WARNING", "NOT_AVAILABLE"))
            raw.update(
                Id=f"arn:aws:securityhub:{region}:{account}:security-control/{cid}/finding/{i:08x}-1111-4222-8333-{i:012x}",
                ProductArn=f"arn:aws:securityhub:{region}::product/aws/securityhub",
                ProductName="Security Hub",
                CompanyName="AWS",
                GeneratorId=f"security-control/{cid}",
                Types=["Software and Configuration Checks/Industry and Regulatory Standards"],
                Title=title,
                Description=f"This control checks whether {title.lower()}.",
                Severity={"Label": label if status == "FAILED" else "INFORMATIONAL", "Normalized": 70},
                Compliance={
                    "Status": status,
                    "SecurityControlId": cid,
                    "AssociatedStandards": [{"StandardsId": FSBP}]
                    + ([{"StandardsId": CIS14}] if i % 3 else []),
                },
                Remediation={
                    "Recommendation": {
                        "Text": "For information on how to correct this issue, consult the documentation.",
                        "Url": f"https://docs.aws.amazon.com/console/securityhub/{cid}/remediation",
                    }
                },
                ProductFields={"aws/securityhub/ProductName": "Security Hub", "Resources:0/Id": "x"},
                Resources=[
                    {
                        "Type": rtype,
                        "Id": _resource_id(rtype, account, region, rng.randrange(4000)),
                        "Partition": "aws",
                        "Region": region,
                    }
                ],
            )
        elif kind < 0.85:
            rule = rng.choice(("4.1", "4.2", "4.3", "2.2", "1.4"))
            raw.update(
                Id=f"arn:aws:securityhub:{region}:{account}:subscription/cis-aws-foundations-benchmark/v/1.2.0/{rule}/finding/{i:032x}",
                ProductArn=f"arn:aws:securityhub:{region}::product/aws/securityhub",
                ProductName="Security Hub",
                GeneratorId=f"arn:aws:securityhub:::ruleset/cis-aws-foundations-benchmark/v/1.2.0/rule/{rule}",
                Types=[f"{_STANDARDS_TYPE}/CIS AWS Foundations Benchmark"],
                Title=f"{rule} Ensure no security groups allow ingress from 0.0.0.0/0",
                Severity={"Label": "HIGH", "Normalized": 70},
                Compliance={"Status": "FAILED", "AssociatedStandards": [{"StandardsId": CIS12}]},
                ProductFields={
                    "StandardsGuideArn": CIS12_ARN,
                    "RuleId": rule,
                },
                Resources=[
                    {
                        "Type": "AwsEc2SecurityGroup",
                        "Id": _resource_id("AwsEc2SecurityGroup", account, region, rng.randrange(4000)),
                        "Region": region,
                        "Partition": "aws",
                    }
                ],
            )
        else:
            gtype, label, title = _GUARDDUTY[rng.randrange(len(_GUARDDUTY))]
            raw.update(
                Id=f"arn:aws:guardduty:{region}:{account}:detector/{i:032x}/finding/{i * 31:032x}",
                ProductArn=f"arn:aws:securityhub:{region}::product/aws/guardduty",
                ProductName="GuardDuty",
                GeneratorId=gtype,
                Types=["TTPs/Discovery/Recon:EC2-PortProbeUnprotectedPort"],
                Title=title,
                Severity={"Label": label, "Normalized": 40},
                Resources=[
                    {
                        "Type": "AwsEc2Instance",
                        "Id": _resource_id("AwsEc2Instance", account, region, rng.randrange(4000)),
                        "Region": region,
                        "Partition": "aws",
                    }
                ],
            )
            if rng.random() < 0.2:
                raw["Note"] = {"Text": "Looked at it.", "UpdatedBy": "alice", "UpdatedAt": _iso(last)}
        out.append(raw)
    return out


def base_raw(**changes: Any) -> dict[str, Any]:
    """One well-formed consolidated control finding; keyword arguments replace top-level fields."""
    raw: dict[str, Any] = {
        "SchemaVersion": "2018-10-08",
        "Id": "arn:aws:securityhub:us-east-1:111122223333:security-control/EC2.13/finding/abc",
        "ProductArn": HUB,
        "ProductName": "Security Hub",
        "CompanyName": "AWS",
        "Region": "us-east-1",
        "GeneratorId": "security-control/EC2.13",
        "AwsAccountId": "111122223333",
        "AwsAccountName": "payments-prod",
        "Types": ["Software and Configuration Checks/Industry and Regulatory Standards"],
        "FirstObservedAt": "2026-11-01T02:10:00.000Z",
        "LastObservedAt": "2026-11-26T02:10:00.000Z",
        "CreatedAt": "2026-11-01T02:10:00.000Z",
        "UpdatedAt": "2026-11-26T02:10:00.000Z",
        "Severity": {"Label": "HIGH", "Normalized": 70},
        "Title": "Security groups should not allow ingress from 0.0.0.0/0 to port 22",
        "Description": "This control checks ...",
        "Remediation": {
            "Recommendation": {
                "Text": "Remove the rule.\n\n\n\nThen verify.",
                "Url": "https://docs.aws.amazon.com/console/securityhub/EC2.13/remediation",
            }
        },
        "ProductFields": {"aws/securityhub/ProductName": "Security Hub"},
        "Resources": [
            {
                "Type": "AwsEc2SecurityGroup",
                "Id": "arn:aws:ec2:us-east-1:111122223333:security-group/sg-0123456789abcdef0",
                "Partition": "aws",
                "Region": "us-east-1",
            },
            {
                "Type": "AwsEc2Instance",
                "Id": "i-0aaaabbbbccccdddd",
                "Partition": "aws",
                "Region": "us-east-1",
            },
        ],
        "Compliance": {
            "Status": "FAILED",
            "SecurityControlId": "EC2.13",
            "AssociatedStandards": [{"StandardsId": FSBP}, {"StandardsId": CIS14}],
        },
        "Workflow": {"Status": "NOTIFIED"},
        "RecordState": "ACTIVE",
        "Note": {
            "Text": "Owner told.\nTicket SEC-1",
            "UpdatedBy": "alice",
            "UpdatedAt": "2026-11-25T10:00:00Z",
        },
    }
    raw.update(changes)
    return raw


def parsed(**changes: Any) -> Finding:
    finding = parse_finding(base_raw(**changes))
    assert finding is not None
    return finding


def make(n: int = 0, **changes: Any) -> Finding:
    """A well-formed finding with a distinct Id, fields replaced by keyword (Finding field names)."""
    finding = dataclasses.replace(parsed(), id=f"finding-{n}")
    return dataclasses.replace(finding, **changes)


def _safe(text: str) -> bool:
    """Nothing a terminal would act on, nothing invisible that reorders or hides text."""
    return (
        all(unicodedata.category(ch) not in ("Cc", "Cf", "Cs") or ch == "\n" for ch in text)
        and "\x1b" not in text
    )


def _strings(finding: Finding) -> list[str]:
    out = [
        finding.product_name,
        finding.title,
        finding.severity,
        finding.account_id,
        finding.account_name,
        finding.region,
        finding.control_id,
        finding.compliance_status,
        finding.workflow_status,
        finding.record_state,
        finding.resource_type,
        finding.resource_id,
        finding.generator_id,
        finding.remediation_text,
        finding.remediation_url,
        finding.search,
        *finding.control_keys,
        *finding.standards,
        *finding.types,
        *finding.problems,
    ]
    for ref in finding.resources:
        out += [ref.type, ref.id, ref.region, ref.partition]
    if finding.note is not None:
        out += [finding.note.text, finding.note.updated_by, finding.note.updated_at]
    return out


def _assert_sane(finding: Finding) -> None:
    for text in _strings(finding):
        assert isinstance(text, str)
        assert _safe(text), f"unsafe text survived: {text!r}"
    for text in [finding.remediation_text] + ([finding.note.text] if finding.note else []):
        assert "\n\n\n" not in text
    for text in _strings(finding):
        if text not in (finding.remediation_text, finding.note.text if finding.note else None):
            assert "\n" not in text, f"line break in a one-line field: {text!r}"
    assert finding.severity in SEVERITIES
    assert finding.workflow_status in WORKFLOWS
    assert finding.record_state in ("ACTIVE", "ARCHIVED")
    for moment in (finding.first_observed_at, finding.last_observed_at, finding.updated_at):
        assert moment is None or moment.utcoffset() == timedelta(0)
    assert not any(p.startswith("finding could not be read") for p in finding.problems), finding.problems


# ---------------------------------------------------------------------------------------------
# clean_line / clean_block
# ---------------------------------------------------------------------------------------------

ESC = "\x1b"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (f"{ESC}[31mred{ESC}[0m", "red"),
        (f"{ESC}[1;31;42mbold{ESC}[m text", "bold text"),
        (f"a{ESC}[2J{ESC}[Hb", "ab"),
        (f"a{ESC}[?1049hb{ESC}[?25l", "ab"),
        (f"a{ESC}[38;2;255;0;0mb", "ab"),
        (f"x{ESC}]0;evil title\x07y", "xy"),
        (f"x{ESC}]8;;https://evil.example/{ESC}\\link{ESC}]8;;{ESC}\\y", "xlinky"),
        (f"x{ESC}]52;c;ZXZpbA==\x07y", "xy"),
        (f"x{ESC}]0;never terminated", "x"),
        (f"x{ESC}P1$r0m{ESC}\\y", "xy"),
        (f"x{ESC}Xsos string{ESC}\\y", "xy"),
        (f"x{ESC}^privacy message{ESC}\\y", "xy"),
        (f"x{ESC}_application command{ESC}\\y", "xy"),
        (f"x{ESC}cy", "xy"),
        (f"x{ESC}7y{ESC}8z", "xyz"),
        (f"x{ESC}(0y{ESC}(Bz", "xyz"),
        (f"x{ESC}#8y", "xy"),
        (f"x{ESC}", "x"),
        ("x\x9b31my", "xy"),
        ("x\x9d0;title\x9cy", "xy"),
        ("x\x9d0;title\x07y", "xy"),
        ("x\x90dcs\x9cy", "xy"),
        ("x\x98sos\x9cy", "xy"),
        ("x\x9epm\x9cy", "xy"),
        ("x\x9fapc\x9cy", "xy"),
        ("a\x00b\x07c\x08d\x7fe", "abcde"),
        ("a\x80b\x84c\x8ad\x9f", "abcd"),
        ("a\x85b", "a b"),
        ("abc\u202edcba\u202c", "abcdcba"),
        ("\u2066a\u2067b\u2068c\u2069", "abc"),
        ("\u202aa\u202bb\u202cc\u202dd", "abcd"),
        ("a\u200bb\u200cc\u200dd\u2060e\ufefff", "abcdef"),
        ("a\u200eb\u200fc\u061cd", "abcd"),
        ("a\ud800b\udfffc", "abc"),
        ("tag\U000e0041\U000e007f", "tag"),
        ("line one\nline two\r\nthree\tfour\x0bfive\x0csix", "line one line two three four five six"),
        ("a\u2028b\u2029c", "a b c"),
        ("  lots   of\u00a0\u3000space  ", "lots of space"),
        ("[bold red]not markup[/]", "[bold red]not markup[/]"),
        (
            "[link=https://evil]click[/link] :smile: $(rm -rf /)",
            "[link=https://evil]click[/link] :smile: $(rm -rf /)",
        ),
        ("ünïcödé ✓ 日本語 🙂", "ünïcödé ✓ 日本語 🙂"),
    ],
)
def test_clean_line_strips_every_kind_of_escape_and_control(raw: str, expected: str) -> None:
    assert clean_line(raw) == expected


def test_clean_line_removes_every_control_and_format_character_of_unicode() -> None:
    whitespace = "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f\x85"
    introducers = "\x1b\x90\x98\x9b\x9d\x9e\x9f"  # they start a sequence that swallows what follows
    bad = [
        chr(c)
        for c in range(sys.maxunicode + 1)
        if unicodedata.category(chr(c)) in ("Cc", "Cf", "Cs") and chr(c) not in whitespace
    ]
    assert len(bad) > 2000
    for ch in bad:
        text = f"a{ch}" if ch in introducers else f"a{ch}b"
        expected = "a" if ch in introducers else "ab"
        assert clean_line(text) == expected, f"U+{ord(ch):04X} survived"
        assert clean_block(text) == expected, f"U+{ord(ch):04X} survived in a block"
    for ch in whitespace:
        assert clean_line(f"a{ch}b") == "a b"


def test_clean_line_values_that_are_not_strings() -> None:
    class Broken:
        def __str__(self) -> str:
            raise RuntimeError("no text")

    assert clean_line(None) == ""
    assert clean_line(42) == "42"
    assert clean_line(1.5) == "1.5"
    assert clean_line(["a\x1b[31m"]) == "['a\\x1b[31m']"
    assert clean_line(Broken()) == ""
    assert clean_line("") == ""


def test_clean_line_truncates_with_an_ellipsis() -> None:
    assert clean_line("abcdef", limit=6) == "abcdef"
    assert clean_line("abcdefg", limit=6) == "abcde…"
    assert clean_line("abc   def", limit=6) == "abc d…"
    assert len(clean_line("x" * 10_000)) == 500
    assert clean_line("x" * 10_000).endswith("…")
    assert clean_line("abc", limit=0) == "…"


def test_huge_hostile_strings_are_bounded() -> None:
    huge = (f"{ESC}[31m" + "A" * 1000 + "\u202e" + "\x00") * 10_000  # about 10 MB
    line = clean_line(huge)
    block = clean_block(huge)
    assert len(line) == 500
    assert line.endswith("…")
    assert _safe(line)
    assert len(block) <= 4000
    assert _safe(block)
    unterminated = f"start{ESC}]0;" + "x" * 5_000_000
    assert clean_line(unterminated) == "start…"


def test_clean_block_keeps_line_breaks_but_never_more_than_two() -> None:
    assert clean_block("one\ntwo") == "one\ntwo"
    assert clean_block("one\n\n\n\n\ntwo\r\n\r\nthree") == "one\n\ntwo\n\nthree"
    assert clean_block("\n\n  lead\t  and   trail  \n\n") == "lead and trail"
    assert clean_block("a\rb\u2028c") == "a\nb\nc"
    assert clean_block(f"{ESC}[31mred{ESC}[0m\n[b]x[/b]") == "red\n[b]x[/b]"
    assert clean_block("x" * 5000, limit=100) == "x" * 99 + "…"
    assert clean_block(None) == ""


# ---------------------------------------------------------------------------------------------
# parse_finding
# ---------------------------------------------------------------------------------------------


def test_parse_a_well_formed_finding() -> None:
    f = parsed()
    assert f.key == (base_raw()["Id"], HUB)
    assert f.product_name == "Security Hub"
    assert f.title == "Security groups should not allow ingress from 0.0.0.0/0 to port 22"
    assert f.severity == "HIGH"
    assert f.severity_rank == 1
    assert (f.account_id, f.account_name, f.region) == ("111122223333", "payments-prod", "us-east-1")
    assert f.control_id == "EC2.13"
    assert f.control_keys == ("EC2.13",)
    assert f.standards == (FSBP, CIS14)
    assert (f.compliance_status, f.workflow_status, f.record_state) == ("FAILED", "NOTIFIED", "ACTIVE")
    assert f.resource_type == "AwsEc2SecurityGroup"
    assert f.resource_id == "arn:aws:ec2:us-east-1:111122223333:security-group/sg-0123456789abcdef0"
    assert f.resources[1] == ResourceRef("AwsEc2Instance", "i-0aaaabbbbccccdddd", "us-east-1", "aws")
    assert f.first_observed_at == datetime(2026, 11, 1, 2, 10, tzinfo=UTC)
    assert f.last_observed_at == datetime(2026, 11, 26, 2, 10, tzinfo=UTC)
    assert f.updated_at == datetime(2026, 11, 26, 2, 10, tzinfo=UTC)
    assert f.generator_id == "security-control/EC2.13"
    assert f.types == ("Software and Configuration Checks/Industry and Regulatory Standards",)
    assert f.remediation_text == "Remove the rule.\n\nThen verify."
    assert f.remediation_url == "https://docs.aws.amazon.com/console/securityhub/EC2.13/remediation"
    assert f.note == Note("Owner told.\nTicket SEC-1", "alice", "2026-11-25T10:00:00Z")
    assert f.problems == ()
    for word in ("security groups", "awsec2securitygroup", "sg-0123456789abcdef0", "i-0aaaabbbb", "ec2.13"):
        assert word in f.search
    assert "111122223333" in f.search
    assert "payments-prod" in f.search
    assert f.search == f.search.lower()
    _assert_sane(f)


def test_finding_is_a_slotted_record_without_the_raw_dict() -> None:
    f = parsed()
    assert not hasattr(f, "__dict__")
    assert not hasattr(f.resources[0], "__dict__")
    with pytest.raises(dataclasses.FrozenInstanceError):
        f.title = "changed"  # type: ignore[misc]


def test_repeated_strings_are_shared_between_findings() -> None:
    a, b = (parse_finding(json.loads(json.dumps(r))) for r in (base_raw(), base_raw(Id="other")))
    assert a is not None
    assert b is not None
    for name in (
        "product_arn",
        "product_name",
        "title",
        "account_id",
        "region",
        "resource_type",
        "control_id",
    ):
        assert getattr(a, name) is getattr(b, name), name
    assert a.standards[0] is b.standards[0]


@pytest.mark.parametrize(
    "raw",
    [
        None,
        "finding",
        42,
        [base_raw()],
        {},
        base_raw(Id=None),
        base_raw(Id=""),
        base_raw(Id="   "),
        base_raw(Id=42),
        base_raw(ProductArn=None),
        base_raw(ProductArn=""),
        base_raw(ProductArn=["x"]),
        {k: v for k, v in base_raw().items() if k != "Id"},
        {k: v for k, v in base_raw().items() if k != "ProductArn"},
    ],
)
def test_no_finding_without_id_and_product_arn(raw: object) -> None:
    assert parse_finding(raw) is None


def test_id_and_product_arn_stay_verbatim_but_unsafe_ones_are_reported() -> None:
    f = parsed(Id="id\x1b[31m-1")
    assert f.id == "id\x1b[31m-1"
    assert any(p.startswith("Id contains control or invisible characters") for p in f.problems)
    assert _safe(" ".join(f.problems))


def test_minimal_finding_gets_defaults_and_problems() -> None:
    f = parse_finding({"Id": "i-1", "ProductArn": HUB})
    assert f is not None
    assert f.severity == "INFORMATIONAL"
    assert f.workflow_status == "NEW"
    assert f.record_state == "ACTIVE"
    assert f.compliance_status == ""
    assert f.control_id == ""
    assert f.control_keys == ()
    assert f.resources == ()
    assert (f.resource_type, f.resource_id) == ("", "")
    assert f.note is None
    assert f.product_name == "securityhub"
    assert f.region == "us-east-1"
    assert set(f.problems) == {
        "Title missing",
        "Severity missing",
        "AwsAccountId missing",
        "Resources missing",
        "UpdatedAt missing",
    }


@pytest.mark.parametrize(
    ("severity", "expected", "problem"),
    [
        ({"Label": "CRITICAL"}, "CRITICAL", None),
        ({"Label": "low", "Normalized": 99}, "LOW", None),
        ({"Label": "MEDIUM", "Normalized": 1}, "MEDIUM", None),
        (
            {"Normalized": 0},
            "INFORMATIONAL",
            "Severity.Label missing; INFORMATIONAL from Severity.Normalized 0",
        ),
        ({"Normalized": 1}, "LOW", "Severity.Label missing; LOW from Severity.Normalized 1"),
        ({"Normalized": 39}, "LOW", "Severity.Label missing; LOW from Severity.Normalized 39"),
        ({"Normalized": 40}, "MEDIUM", "Severity.Label missing; MEDIUM from Severity.Normalized 40"),
        ({"Normalized": 69}, "MEDIUM", "Severity.Label missing; MEDIUM from Severity.Normalized 69"),
        ({"Normalized": 70}, "HIGH", "Severity.Label missing; HIGH from Severity.Normalized 70"),
        ({"Normalized": 89}, "HIGH", "Severity.Label missing; HIGH from Severity.Normalized 89"),
        ({"Normalized": 90}, "CRITICAL", "Severity.Label missing; CRITICAL from Severity.Normalized 90"),
        ({"Normalized": 100}, "CRITICAL", "Severity.Label missing; CRITICAL from Severity.Normalized 100"),
        ({"Normalized": 39.5}, "LOW", "Severity.Label missing; LOW from Severity.Normalized 39.5"),
        (
            {"Label": "SEVERE", "Normalized": 75},
            "HIGH",
            "Severity.Label is not a severity: 'SEVERE'; HIGH from Severity.Normalized 75",
        ),
        (
            {"Label": "\x1b[31mHIGH"},
            "INFORMATIONAL",
            "Severity.Label is not a severity: 'HIGH'",
        ),
        (
            {"Normalized": 101},
            "INFORMATIONAL",
            "Severity.Label missing; Severity.Normalized is not 0-100: a number",
        ),
        (
            {"Normalized": -1},
            "INFORMATIONAL",
            "Severity.Label missing; Severity.Normalized is not 0-100: a number",
        ),
        (
            {"Normalized": float("nan")},
            "INFORMATIONAL",
            "Severity.Label missing; Severity.Normalized is not 0-100: a number",
        ),
        (
            {"Normalized": True},
            "INFORMATIONAL",
            "Severity.Label missing; Severity.Normalized is not 0-100: a boolean",
        ),
        (
            {"Normalized": "90"},
            "INFORMATIONAL",
            "Severity.Label missing; Severity.Normalized is not 0-100: '90'",
        ),
        ({"Label": 3}, "INFORMATIONAL", "Severity.Label is not a severity: a number"),
        ({}, "INFORMATIONAL", "Severity.Label missing"),
        ("HIGH", "INFORMATIONAL", "Severity is not an object but 'HIGH'"),
        (None, "INFORMATIONAL", "Severity missing"),
    ],
)
def test_severity_from_label_then_normalized(severity: object, expected: str, problem: str | None) -> None:
    f = parsed(Severity=severity)
    assert f.severity == expected
    severity_problems = [p for p in f.problems if p.startswith("Severity")]
    assert severity_problems == ([problem] if problem else [])


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-11-26T02:10:00.000Z", datetime(2026, 11, 26, 2, 10, tzinfo=UTC)),
        ("2026-11-26T02:10:00Z", datetime(2026, 11, 26, 2, 10, tzinfo=UTC)),
        ("2026-11-26T02:10:00.1234567Z", datetime(2026, 11, 26, 2, 10, 0, 123456, tzinfo=UTC)),
        ("2026-11-26T04:10:00+02:00", datetime(2026, 11, 26, 2, 10, tzinfo=UTC)),
        ("2026-11-25T21:10:00-05:00", datetime(2026, 11, 26, 2, 10, tzinfo=UTC)),
        ("2026-11-26T02:10:00", datetime(2026, 11, 26, 2, 10, tzinfo=UTC)),
        (datetime(2026, 11, 26, 2, 10, tzinfo=UTC), datetime(2026, 11, 26, 2, 10, tzinfo=UTC)),
        (
            datetime(2026, 11, 26, 3, 10, tzinfo=timezone(timedelta(hours=1))),
            datetime(2026, 11, 26, 2, 10, tzinfo=UTC),
        ),
        (datetime(2026, 11, 26, 2, 10), datetime(2026, 11, 26, 2, 10, tzinfo=UTC)),  # noqa: DTZ001
    ],
)
def test_timestamps_become_aware_utc(value: object, expected: datetime) -> None:
    f = parsed(FirstObservedAt=value, LastObservedAt=value, UpdatedAt=value)
    for moment in (f.first_observed_at, f.last_observed_at, f.updated_at):
        assert moment == expected
        assert moment is not None
        assert moment.tzinfo is UTC
    assert f.problems == ()


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("yesterday", "FirstObservedAt is not a timestamp: 'yesterday'"),
        ("", "FirstObservedAt is not a timestamp: ''"),
        ("2026-13-45T99:00:00Z", "FirstObservedAt is not a timestamp: '2026-13-45T99:00:00Z'"),
        ("0001-01-01T00:00:00+01:00", "FirstObservedAt is not a timestamp: '0001-01-01T00:00:00+01:00'"),
        ("\x1b[31m2026\x1b[0m", "FirstObservedAt is not a timestamp: '2026'"),
        ("2026-11-26T02:10:00Z" + " " * 100, "FirstObservedAt is not a timestamp: '2026-11-26T02:10:00Z'"),
        (1764123000, "FirstObservedAt is not a timestamp: a number"),
        ({"$date": 1}, "FirstObservedAt is not a timestamp: an object"),
        (["2026-11-26T02:10:00Z"], "FirstObservedAt is not a timestamp: a list"),
        (True, "FirstObservedAt is not a timestamp: a boolean"),
    ],
)
def test_bad_timestamps_are_problems(value: object, problem: str) -> None:
    f = parsed(FirstObservedAt=value)
    assert f.first_observed_at is None
    assert f.problems == (problem,)


def test_missing_timestamps() -> None:
    raw = base_raw()
    for key in ("FirstObservedAt", "LastObservedAt", "UpdatedAt"):
        del raw[key]
    f = parse_finding(raw)
    assert f is not None
    assert (f.first_observed_at, f.last_observed_at, f.updated_at) == (None, None, None)
    assert f.problems == ("UpdatedAt missing",)


@pytest.mark.parametrize(
    ("changes", "display", "keys"),
    [
        ({}, "EC2.13", ("EC2.13",)),
        (
            {
                "GeneratorId": "arn:aws:securityhub:::ruleset/cis-aws-foundations-benchmark/v/1.2.0/rule/4.1",
                "Compliance": {"Status": "FAILED"},
            },
            "CIS 1.2 4.1",
            ("CIS1.2/4.1",),
        ),
        (
            {
                "GeneratorId": "something-else",
                "Compliance": {"Status": "FAILED"},
                "ProductFields": {
                    "StandardsGuideArn": CIS12_ARN,
                    "RuleId": "4.3",
                },
            },
            "CIS 1.2 4.3",
            ("CIS1.2/4.3",),
        ),
        (
            {
                "GeneratorId": "cis-aws-foundations-benchmark/v/1.4.0/5.2",
                "Compliance": {"Status": "FAILED"},
                "ProductFields": {
                    "StandardsControlArn": "arn:aws:securityhub:us-east-1:111122223333:control/"
                    "cis-aws-foundations-benchmark/v/1.4.0/5.2"
                },
            },
            "CIS 1.4 5.2",
            ("CIS1.4/5.2",),
        ),
        (
            {
                "GeneratorId": "x",
                "Compliance": {"Status": "FAILED"},
                "ProductFields": {
                    "StandardsArn": "arn:aws:securityhub:::standards/cis-aws-foundations-benchmark/v/1.4.0",
                    "ControlId": "1.14",
                },
            },
            "CIS 1.4 1.14",
            ("CIS1.4/1.14",),
        ),
        (
            {
                "GeneratorId": "x",
                "Compliance": {"Status": "FAILED"},
                "ProductFields": {
                    "StandardsControlArn": "arn:aws:securityhub:us-east-1:111122223333:control/"
                    "cis-aws-foundations-benchmark/v/3.0.0/5.3",
                },
            },
            "CIS 3.0 5.3",
            ("CIS3.0/5.3",),
        ),
        (
            {
                "GeneratorId": "x",
                "Compliance": {"Status": "FAILED"},
                "ProductFields": {
                    "StandardsControlArn": "arn:aws:securityhub:us-east-1:111122223333:control/"
                    "aws-foundational-security-best-practices/v/1.0.0/EC2.19",
                },
            },
            "EC2.19",
            ("EC2.19",),
        ),
        (
            {
                "GeneratorId": "aws-foundational-security-best-practices/v/1.0.0/S3.8",
                "Compliance": {"Status": "FAILED"},
            },
            "S3.8",
            ("S3.8",),
        ),
        (
            {"GeneratorId": "pci-dss/v/3.2.1/PCI.EC2.2", "Compliance": {"Status": "FAILED"}},
            "PCI.EC2.2",
            ("PCI.EC2.2",),
        ),
        ({"GeneratorId": "security-control/KMS.4", "Compliance": {"Status": "FAILED"}}, "KMS.4", ("KMS.4",)),
        (
            {
                "GeneratorId": "arn:aws:securityhub:::ruleset/cis-aws-foundations-benchmark/v/1.2.0/rule/4.1",
                "Compliance": {"Status": "FAILED", "SecurityControlId": "EC2.13"},
            },
            "EC2.13",
            ("EC2.13", "CIS1.2/4.1"),
        ),
        ({"GeneratorId": "Recon:EC2/PortProbeUnprotectedPort", "Compliance": None}, "", ()),
        ({"GeneratorId": None, "Compliance": None}, "", ()),
    ],
)
def test_control_ids_and_playbook_keys(changes: dict[str, Any], display: str, keys: tuple[str, ...]) -> None:
    f = parsed(**changes)
    assert f.control_id == display
    assert f.control_keys == keys


def test_hostile_control_ids_are_rejected() -> None:
    f = parsed(GeneratorId="x", Compliance={"Status": "FAILED", "SecurityControlId": "EC2.13\x1b[2J; rm"})
    assert f.control_id == ""
    assert f.control_keys == ()
    assert any(p.startswith("Compliance.SecurityControlId is not a control id") for p in f.problems)
    f = parsed(
        GeneratorId="x",
        Compliance={"Status": "FAILED"},
        ProductFields={
            "StandardsArn": "arn:aws:securityhub:::standards/pci-dss/v/3.2.1",
            "ControlId": "../../x y",
        },
    )
    assert f.control_id == ""
    f = parsed(GeneratorId="x", Compliance={"Status": "FAILED", "SecurityControlId": 13})
    assert f.control_id == ""
    assert "Compliance.SecurityControlId is not text but a number" in f.problems


def test_standards_from_associated_standards_else_product_fields() -> None:
    assert parsed().standards == (FSBP, CIS14)
    f = parsed(
        Compliance={"Status": "FAILED"},
        ProductFields={"StandardsArn": FSBP_ARN},
    )
    assert f.standards == (FSBP,)
    f = parsed(
        Compliance={"Status": "FAILED"},
        ProductFields={
            "StandardsGuideArn": "arn:aws:securityhub:::ruleset/cis-aws-foundations-benchmark/v/1.2.0"
        },
    )
    assert f.standards == (CIS12,)
    f = parsed(
        Compliance={"Status": "FAILED", "AssociatedStandards": [{"StandardsId": FSBP}, {"StandardsId": FSBP}]}
    )
    assert f.standards == (FSBP,)
    f = parsed(
        Compliance={"Status": "FAILED", "AssociatedStandards": [{"Nope": 1}, "x", {"StandardsId": PCI}]}
    )
    assert f.standards == (PCI,)
    assert sum(p.startswith("Compliance.AssociatedStandards has an entry") for p in f.problems) == 2
    f = parsed(Compliance={"Status": "FAILED", "AssociatedStandards": "all"})
    assert f.standards == ()
    assert "Compliance.AssociatedStandards is not a list but 'all'" in f.problems


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("arn:aws:securityhub:us-east-1::standards/aws-foundational-security-best-practices/v/1.0.0", FSBP),
        (CIS12_ARN, CIS12),
        ("arn:aws:securityhub:eu-west-1::standards/cis-aws-foundations-benchmark/v/1.4.0", CIS14),
        ("arn:aws-us-gov:securityhub:us-gov-west-1::standards/pci-dss/v/3.2.1", PCI),
        (
            "arn:aws:securityhub:us-east-1:111122223333:subscription/cis-aws-foundations-benchmark/v/1.2.0",
            CIS12,
        ),
        ("arn:aws:securityhub:us-east-1:111122223333:subscription/pci-dss/v/3.2.1", PCI),
        (FSBP, FSBP),
        (CIS12, CIS12),
        ("  " + CIS30 + "  ", CIS30),
        ("standards/x\x1b[31m/v/1", "standards/x/v/1"),
    ],
)
def test_normalize_standard(value: str, expected: str) -> None:
    assert normalize_standard(value) == expected


def test_standard_names() -> None:
    assert STANDARD_NAMES[FSBP] == "FSBP v1.0.0"
    assert STANDARD_NAMES[CIS12] == "CIS 1.2.0"
    assert STANDARD_NAMES[CIS14] == "CIS 1.4.0"
    assert STANDARD_NAMES[CIS30] == "CIS 3.0.0"
    assert STANDARD_NAMES[PCI] == "PCI DSS 3.2.1"
    assert STANDARD_NAMES["standards/nist-800-53/v/5.0.0"] == "NIST 800-53 r5"


def test_workflow_record_state_and_compliance_values() -> None:
    f = parsed(Workflow={"Status": "suppressed"}, RecordState="archived", Compliance={"Status": "passed"})
    assert (f.workflow_status, f.record_state, f.compliance_status) == ("SUPPRESSED", "ARCHIVED", "PASSED")
    f = parsed(Workflow={"Status": "DONE"}, RecordState=7, Compliance={"Status": "MAYBE"})
    assert (f.workflow_status, f.record_state, f.compliance_status) == ("NEW", "ACTIVE", "")
    assert "Workflow.Status is not one of NEW, NOTIFIED, RESOLVED, SUPPRESSED: 'DONE'" in f.problems
    assert "RecordState is not one of ACTIVE, ARCHIVED: a number" in f.problems
    assert "Compliance.Status is not one of PASSED, WARNING, FAILED, NOT_AVAILABLE: 'MAYBE'" in f.problems
    f = parsed(Workflow=None, RecordState=None, Compliance=None)
    assert (f.workflow_status, f.record_state, f.compliance_status) == ("NEW", "ACTIVE", "")
    assert f.problems == ()
    f = parsed(Workflow="NEW", Compliance=["FAILED"])
    assert "Workflow is not an object but 'NEW'" in f.problems
    assert "Compliance is not an object but a list" in f.problems


def test_wrong_types_in_text_fields() -> None:
    f = parsed(
        Title={"text": "hi"}, AwsAccountId=111122223333, AwsAccountName=["x"], Region=True, ProductName=5
    )
    assert f.title == ""
    assert f.account_id == "111122223333"
    assert f.account_name == ""
    assert f.region == "us-east-1"  # from the first resource
    assert f.product_name == "5"
    assert "Title is not text but an object" in f.problems
    assert "AwsAccountId is a number, not text" in f.problems
    assert "AwsAccountName is not text but a list" in f.problems
    assert "Region is not text but a boolean" in f.problems
    assert "ProductName is a number, not text" in f.problems
    f = parsed(Title="", ProductName=None)
    assert "Title is empty" in f.problems
    assert f.product_name == "Security Hub"  # from ProductFields


def test_resources_malformed() -> None:
    f = parsed(Resources="sg-1")
    assert (f.resources, f.resource_type, f.resource_id) == ((), "", "")
    assert "Resources is not a list but 'sg-1'" in f.problems
    f = parsed(Resources=[])
    assert "Resources is empty" in f.problems
    f = parsed(Resources=[None, {"Type": 3, "Id": None}, {"Type": "AwsS3Bucket", "Id": "b\x1b]0;x\x07ucket"}])
    assert "Resources[0] is not an object but null" in f.problems
    assert "Resources[1].Type is a number, not text" in f.problems
    assert "Resources[1].Id missing" in f.problems
    assert f.resources[0] == ResourceRef("3", "", "", "")
    assert f.resources[1] == ResourceRef("AwsS3Bucket", "bucket", "", "")
    assert (f.resource_type, f.resource_id) == ("3", "")
    f = parsed(Resources=[{"Type": "AwsS3Bucket", "Id": f"b-{i}"} for i in range(1000)])
    assert len(f.resources) == 32
    assert "Resources has 1000 entries; the first 32 are kept" in f.problems


def test_notes_remediation_and_types_malformed() -> None:
    f = parsed(Note={"Text": "a\x1b[31m\n\n\n\nb", "UpdatedBy": "\u202eeve", "UpdatedAt": 5})
    assert f.note == Note("a\n\nb", "eve", "5")
    f = parsed(Note="hello")
    assert f.note is None
    assert "Note is not an object but 'hello'" in f.problems
    f = parsed(Note={"Text": ["x"]})
    assert f.note == Note("", "", "")
    assert "Note.Text is not text but a list" in f.problems
    f = parsed(Remediation={"Recommendation": {"Text": 5, "Url": {"u": 1}}})
    assert (f.remediation_text, f.remediation_url) == ("", "")
    assert "Remediation.Recommendation.Text is not text but a number" in f.problems
    assert "Remediation.Recommendation.Url is not text but an object" in f.problems
    f = parsed(Remediation="fix it")
    assert "Remediation is not an object but 'fix it'" in f.problems
    f = parsed(Types=["a", 5, None, "b\x00c"])
    assert f.types == ("a", "bc")
    f = parsed(Types="TTPs")
    assert f.types == ()
    assert "Types is not a list but 'TTPs'" in f.problems
    f = parsed(ProductFields=["x"])
    assert "ProductFields is not an object but a list" in f.problems


def test_hostile_text_is_cleaned_everywhere_and_markup_stays_literal() -> None:
    evil = f"[bold red]X[/]{ESC}]0;pwned\x07{ESC}[2J\u202eevil\u2066\x9b31m\r\nline"
    raw = base_raw(
        Title=evil,
        ProductName=evil,
        AwsAccountName=evil,
        GeneratorId=evil,
        Types=[evil],
        Resources=[{"Type": evil, "Id": evil, "Region": evil, "Partition": evil}],
        Remediation={"Recommendation": {"Text": evil, "Url": evil}},
        Note={"Text": evil, "UpdatedBy": evil, "UpdatedAt": evil},
    )
    f = parse_finding(raw)
    assert f is not None
    _assert_sane(f)
    assert f.title == "[bold red]X[/]evil line"
    assert f.resource_id == "[bold red]X[/]evil line"
    assert f.remediation_text == "[bold red]X[/]evil\nline"
    assert "[bold red]x[/]evil line" in f.search


def test_huge_fields_are_bounded() -> None:
    f = parsed(Title="T" * 3_000_000, Remediation={"Recommendation": {"Text": "R\n" * 1_000_000}})
    assert len(f.title) == 500
    assert len(f.remediation_text) <= 4000
    assert f.remediation_text.endswith("…")


_JUNK: tuple[Any, ...] = (
    None,
    0,
    -1,
    1.5,
    float("inf"),
    float("nan"),
    True,
    "",
    " ",
    "x" * 20_000,
    f"{ESC}[31m\u202e\x00\x9b",
    "\ud800",
    [],
    [None],
    [{}],
    {},
    {"Label": None},
    {"x": [1, {"y": 2}]},
    b"bytes",
    datetime(2026, 1, 1),  # noqa: DTZ001
    ("t", "u"),
    object(),
)


def _mutate(value: Any, rng: random.Random, depth: int = 0) -> Any:
    """A copy of value with some keys removed and some values replaced by junk, at random depths."""
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            roll = rng.random()
            if key in ("Id", "ProductArn") and depth == 0:
                out[key] = item
            elif roll < 0.1:
                continue
            elif roll < 0.25:
                out[key] = rng.choice(_JUNK)
            else:
                out[key] = _mutate(item, rng, depth + 1)
        if rng.random() < 0.1:
            out[rng.choice(("Extra", "Label", "Text", "Status"))] = rng.choice(_JUNK)
        return out
    if isinstance(value, list):
        items = [_mutate(item, rng, depth + 1) for item in value]
        if rng.random() < 0.2:
            items.append(rng.choice(_JUNK))
        return items
    if isinstance(value, str) and rng.random() < 0.2:
        cut = rng.randrange(len(value) + 1)
        return value[:cut] + rng.choice(("\x1b[", "\x9d", "\u202e", "\x00", "\n\n\n", "]")) + value[cut:]
    return value


def test_fuzzed_findings_never_raise_and_stay_safe() -> None:
    rng = random.Random(20261126)
    seeds = [base_raw(), *synthetic_raw(30, seed=3)]
    for n in range(3000):
        raw = _mutate(seeds[n % len(seeds)], rng)
        f = parse_finding(raw)
        assert f is not None
        _assert_sane(f)


def test_findings_from_the_synthetic_generator_have_no_problems() -> None:
    findings = [parse_finding(r) for r in synthetic_raw(500, seed=5)]
    assert all(f is not None and f.problems == () for f in findings)


def test_with_workflow_changes_only_status_and_note() -> None:
    f = parsed()
    note = Note("done", "bob", "2026-11-26T03:00:00Z")
    g = f.with_workflow("RESOLVED", note)
    assert (g.workflow_status, g.note) == ("RESOLVED", note)
    assert dataclasses.replace(g, workflow_status=f.workflow_status, note=f.note) == f
    assert f.workflow_status == "NOTIFIED"


# ---------------------------------------------------------------------------------------------
# Facets and filters
# ---------------------------------------------------------------------------------------------


def test_facet_values() -> None:
    f = parsed()
    assert [facet_value(f, facet) for facet in FACETS] == [
        "HIGH",
        "NOTIFIED",
        "ACTIVE",
        "Security Hub",
        "111122223333",
        "AwsEc2SecurityGroup",
        "FAILED",
    ]
    assert facet_value(parsed(Compliance=None), "compliance") == ""
    with pytest.raises(ValueError, match="unknown facet"):
        facet_value(f, "colour")


def test_default_filter_is_open_work() -> None:
    flt = FindingFilter()
    assert flt.workflows == DEFAULT_WORKFLOWS == frozenset({"NEW", "NOTIFIED"})
    assert flt.record_states == frozenset({"ACTIVE"})
    assert matches(make(workflow_status="NEW"), flt)
    assert matches(make(workflow_status="NOTIFIED"), flt)
    assert not matches(make(workflow_status="RESOLVED"), flt)
    assert not matches(make(workflow_status="SUPPRESSED"), flt)
    assert not matches(make(record_state="ARCHIVED"), flt)
    assert flt.describe() == "workflow NEW,NOTIFIED · ACTIVE"


def test_filter_values_toggles_and_describe() -> None:
    flt = FindingFilter().toggled("severity", "HIGH").toggled("severity", "CRITICAL")
    assert flt.values("severity") == {"CRITICAL", "HIGH"}
    assert flt.describe() == "severity CRITICAL,HIGH · workflow NEW,NOTIFIED · ACTIVE"
    assert flt.toggled("severity", "HIGH").values("severity") == {"CRITICAL"}
    flt = flt.with_values("workflow", frozenset()).with_values("record_state", frozenset())
    flt = flt.with_values("account", frozenset({"333", "111", "222", "444"})).toggled("compliance", "")
    assert flt.describe() == "severity CRITICAL,HIGH · account 111,222,333 +1 · compliance none"
    assert FindingFilter(workflows=frozenset(), record_states=frozenset()).describe() == ""
    assert FindingFilter(resource_types=frozenset({"AwsS3Bucket"})).describe().startswith("workflow")
    for facet in FACETS:
        assert FindingFilter().with_values(facet, frozenset({"v"})).values(facet) == {"v"}
    with pytest.raises(ValueError, match="unknown facet"):
        FindingFilter().values("colour")
    with pytest.raises(ValueError, match="unknown facet"):
        FindingFilter().toggled("colour", "x")
    assert FindingFilter(text="  EC2.13   SG-0 ").words() == ("ec2.13", "sg-0")
    hostile = FindingFilter(products=frozenset({"\x1b[31mEvil"}), workflows=frozenset())
    assert hostile.describe() == "ACTIVE · product Evil"


def test_matches_each_condition() -> None:
    f = make()
    any_state = FindingFilter(workflows=frozenset(), record_states=frozenset())
    assert matches(f, any_state)
    assert matches(f, dataclasses.replace(any_state, text="EC2.13 sg-0123"))
    assert matches(f, dataclasses.replace(any_state, text="PAYMENTS 1111"))
    assert matches(f, dataclasses.replace(any_state, text="i-0aaaa"))  # second resource
    assert not matches(f, dataclasses.replace(any_state, text="ec2.13 nothere"))
    assert not matches(f, dataclasses.replace(any_state, text="securityhub"))  # product is not searched
    assert matches(f, dataclasses.replace(any_state, text="22 awsec2"))
    for facet in FACETS:
        value = facet_value(f, facet)
        assert matches(f, any_state.with_values(facet, frozenset({value, "other"})))
        assert not matches(f, any_state.with_values(facet, frozenset({"other"})))
    resource = (f.resource_type, f.resource_id)
    assert matches(f, dataclasses.replace(any_state, resource=resource))
    assert not matches(f, dataclasses.replace(any_state, resource=("AwsEc2Instance", "i-0aaaabbbbccccdddd")))


def test_words_do_not_match_across_fields() -> None:
    f = make(title="alpha", resource_type="beta", resource_id="gamma", control_id="", account_name="")
    f = dataclasses.replace(f, search="alpha beta gamma 111122223333")
    flt = FindingFilter(workflows=frozenset(), record_states=frozenset())
    assert matches(f, dataclasses.replace(flt, text="pha bet"))
    assert not matches(f, dataclasses.replace(flt, text="alphabeta"))


@pytest.fixture(scope="module")
def corpus() -> list[Finding]:
    out = [parse_finding(r) for r in synthetic_raw(3000, seed=11)]
    return [f for f in out if f is not None]


def _random_filter(rng: random.Random, corpus: list[Finding]) -> FindingFilter:
    flt = FindingFilter()
    for facet in FACETS:
        if rng.random() < 0.3:
            values = sorted({facet_value(f, facet) for f in corpus})
            flt = flt.with_values(facet, frozenset(rng.sample(values, rng.randint(0, min(3, len(values))))))
    text = rng.choice(("", "sec", "ec2", "sg-0", "ec2.1 team", "4.1", "s3 bucket", "team-1", "zzz"))
    flt = dataclasses.replace(flt, text=text)
    if rng.random() < 0.1:
        f = rng.choice(corpus)
        flt = dataclasses.replace(flt, resource=(f.resource_type, f.resource_id))
    if rng.random() < 0.15:
        flt = dataclasses.replace(flt, account=rng.choice(corpus).account_id)
    return flt


def test_apply_filter_equals_matches(corpus: list[Finding]) -> None:
    rng = random.Random(7)
    for _ in range(300):
        flt = _random_filter(rng, corpus)
        assert apply_filter(corpus, flt) == [f for f in corpus if matches(f, flt)], flt


def test_apply_filter_returns_a_new_list_in_order(corpus: list[Finding]) -> None:
    everything = FindingFilter(workflows=frozenset(), record_states=frozenset())
    result = apply_filter(corpus, everything)
    assert result == corpus
    assert result is not corpus
    assert apply_filter(tuple(corpus), everything) == corpus
    assert apply_filter([], FindingFilter(text="x")) == []


@pytest.mark.parametrize(
    ("now", "before", "expected"),
    [
        (FindingFilter(text="ab"), FindingFilter(text="a"), True),
        (FindingFilter(text="abc"), FindingFilter(text="b"), True),
        (FindingFilter(text="a"), FindingFilter(text="ab"), False),
        (FindingFilter(text="a b"), FindingFilter(text="a"), True),
        (FindingFilter(text="a"), FindingFilter(text="a b"), False),
        (FindingFilter(text="xa"), FindingFilter(text="a a"), True),
        (FindingFilter(text=""), FindingFilter(text=""), True),
        (FindingFilter(severities=frozenset({"HIGH"})), FindingFilter(), True),
        (FindingFilter(), FindingFilter(severities=frozenset({"HIGH"})), False),
        (
            FindingFilter(severities=frozenset({"HIGH"})),
            FindingFilter(severities=frozenset({"HIGH", "LOW"})),
            True,
        ),
        (
            FindingFilter(severities=frozenset({"HIGH", "LOW"})),
            FindingFilter(severities=frozenset({"HIGH"})),
            False,
        ),
        (FindingFilter(workflows=frozenset()), FindingFilter(), False),
        (FindingFilter(), FindingFilter(workflows=frozenset()), True),
        (FindingFilter(resource=("t", "i")), FindingFilter(), True),
        (FindingFilter(), FindingFilter(resource=("t", "i")), False),
        (FindingFilter(resource=("t", "j")), FindingFilter(resource=("t", "i")), False),
        (FindingFilter(account="1"), FindingFilter(), True),
        (FindingFilter(), FindingFilter(account="1"), False),
        (FindingFilter(account="2"), FindingFilter(account="1"), False),
        (FindingFilter(account="1", text="ab"), FindingFilter(account="1", text="a"), True),
    ],
)
def test_narrows(now: FindingFilter, before: FindingFilter, expected: bool) -> None:
    assert now.narrows(before) is expected


def test_narrows_is_sound(corpus: list[Finding]) -> None:
    rng = random.Random(99)
    narrowing = 0
    for _ in range(1500):
        a, b = _random_filter(rng, corpus), _random_filter(rng, corpus)
        roll = rng.random()
        if roll < 0.4:
            a = dataclasses.replace(b, text=b.text + rng.choice(string.ascii_lowercase + " .-"))
        elif roll < 0.6:
            facet = rng.choice(FACETS)
            a = b.toggled(facet, rng.choice(sorted({facet_value(f, facet) for f in corpus})))
        if a.narrows(b):
            narrowing += 1
            assert set(map(id, apply_filter(corpus, a))) <= set(map(id, apply_filter(corpus, b)))
    assert narrowing > 500


def test_filter_cache_equals_apply_filter_for_random_typing(corpus: list[Finding]) -> None:
    rng = random.Random(1234)
    cache = FilterCache()
    findings = sort_findings(corpus, "severity")
    version = 1
    flt = FindingFilter()
    narrowed = 0
    for step in range(2000):
        roll = rng.random()
        if roll < 0.45:
            flt = dataclasses.replace(flt, text=flt.text + rng.choice("ec2.13 sgteam-4bucket"))
        elif roll < 0.75:
            flt = dataclasses.replace(flt, text=flt.text[:-1])
        elif roll < 0.9:
            facet = rng.choice(FACETS)
            values = sorted({facet_value(f, facet) for f in findings})
            flt = flt.toggled(facet, rng.choice(values))
        elif roll < 0.93:
            f = rng.choice(findings)
            flt = dataclasses.replace(
                flt, resource=None if flt.resource else (f.resource_type, f.resource_id)
            )
        elif roll < 0.945:
            flt = dataclasses.replace(flt, account=None if flt.account else rng.choice(findings).account_id)
        elif roll < 0.96:
            flt = FindingFilter()
        else:
            version += 1
            findings = sort_findings(findings, rng.choice(SORTS))
        result = cache.select(findings, version, flt)
        assert result == apply_filter(findings, flt), (step, flt)
        if 0 < cache.scanned < len(findings):
            narrowed += 1
    assert narrowed > 200


def test_filter_cache_narrows_and_remembers(corpus: list[Finding]) -> None:
    cache = FilterCache()
    any_state = FindingFilter(workflows=frozenset(), record_states=frozenset())
    first = cache.select(corpus, 1, dataclasses.replace(any_state, text="e"))
    assert cache.scanned == len(corpus)
    second = cache.select(corpus, 1, dataclasses.replace(any_state, text="ec"))
    assert cache.scanned == len(first)
    again = cache.select(corpus, 1, dataclasses.replace(any_state, text="e"))
    assert cache.scanned == 0
    assert again == first
    again.clear()
    assert cache.select(corpus, 1, dataclasses.replace(any_state, text="e")) == first
    cache.select(corpus, 2, dataclasses.replace(any_state, text="ec"))
    assert cache.scanned == len(corpus)
    changed = [*corpus[:10]]
    assert cache.select(changed, 2, dataclasses.replace(any_state, text="ec")) == apply_filter(
        changed, dataclasses.replace(any_state, text="ec")
    )
    assert len(second) <= len(first)


# ---------------------------------------------------------------------------------------------
# Sorting, grouping, counting
# ---------------------------------------------------------------------------------------------

T0 = datetime(2026, 11, 1, tzinfo=UTC)


def test_sort_by_severity_then_last_seen_with_none_last() -> None:
    a = make(1, severity="HIGH", last_observed_at=T0)
    b = make(2, severity="HIGH", last_observed_at=T0 + timedelta(days=1))
    c = make(3, severity="HIGH", last_observed_at=None)
    d = make(4, severity="CRITICAL", last_observed_at=None)
    e = make(5, severity="LOW", last_observed_at=T0 + timedelta(days=9))
    f = make(6, severity="HIGH", last_observed_at=T0, title="Aaa")
    assert sort_findings([a, b, c, d, e, f], "severity") == [d, b, f, a, c, e]


def test_sort_last_seen_age_account_control() -> None:
    a = make(
        1, severity="LOW", last_observed_at=T0, first_observed_at=T0, account_id="2", control_id="EC2.13"
    )
    b = make(
        2, severity="HIGH", last_observed_at=T0 + timedelta(hours=1), first_observed_at=None, account_id="1"
    )
    b = dataclasses.replace(b, control_id="EC2.2")
    c = make(3, severity="CRITICAL", last_observed_at=None, first_observed_at=T0 - timedelta(days=1))
    c = dataclasses.replace(c, account_id="2", control_id="")
    d = make(
        4, severity="MEDIUM", last_observed_at=T0, first_observed_at=T0, account_id="1", control_id="EC2.2"
    )
    items = [a, b, c, d]
    assert sort_findings(items, "last seen") == [b, d, a, c]
    assert sort_findings(items, "age") == [c, d, a, b]
    assert sort_findings(items, "account") == [b, d, c, a]
    assert sort_findings(items, "control") == [b, d, a, c]


def test_sort_is_total_and_accepts_naive_times() -> None:
    naive = make(1, last_observed_at=datetime(2026, 1, 1), first_observed_at=None)  # noqa: DTZ001
    twins = [make(n, title="same", last_observed_at=None) for n in (5, 3, 4)]
    for sort in SORTS:
        out = sort_findings([*twins, naive], sort)
        assert sort_findings(reversed(out), sort) == out
        assert len(out) == 4
    with pytest.raises(ValueError, match="unknown sort"):
        sort_findings([], "colour")


def test_group_by_resource() -> None:
    sg = ("AwsEc2SecurityGroup", "sg-1")
    a = make(
        1, severity="MEDIUM", resource_type=sg[0], resource_id=sg[1], control_id="EC2.2", last_observed_at=T0
    )
    b = make(
        2, severity="HIGH", resource_type=sg[0], resource_id=sg[1], control_id="EC2.13", last_observed_at=None
    )
    c = make(
        3, severity="HIGH", resource_type=sg[0], resource_id=sg[1], control_id="EC2.2", last_observed_at=T0
    )
    c = dataclasses.replace(c, last_observed_at=T0 + timedelta(days=2))
    d = make(4, severity="HIGH", resource_type="AwsS3Bucket", resource_id="b", control_id="")
    e = make(5, severity="CRITICAL", resource_type="AwsS3Bucket", resource_id="a", control_id="S3.8")
    f = make(6, severity="HIGH", resource_type="AwsS3Bucket", resource_id="c", control_id="")
    groups = group_by_resource([a, b, c, d, e, f])
    assert [g.key for g in groups] == [("AwsS3Bucket", "a"), sg, ("AwsS3Bucket", "b"), ("AwsS3Bucket", "c")]
    group = groups[1]
    assert isinstance(group, ResourceGroup)
    assert group.count == 3
    assert group.severity == "HIGH"
    assert group.findings == (a, b, c)
    assert group.controls == ("EC2.2", "EC2.13")
    assert group.last_observed_at == T0 + timedelta(days=2)
    assert (group.account_id, group.region) == (a.account_id, a.region)
    assert groups[2].controls == ()
    assert groups[2].last_observed_at == d.last_observed_at
    assert group_by_resource([]) == []


def test_group_sizes_add_up(corpus: list[Finding]) -> None:
    groups = group_by_resource(corpus)
    assert sum(g.count for g in groups) == len(corpus)
    assert len({g.key for g in groups}) == len(groups)
    ranks = [(SEVERITIES.index(g.severity), -g.count) for g in groups]
    assert ranks == sorted(ranks)


def test_counts() -> None:
    items = [make(1, severity="HIGH"), make(2, severity="HIGH"), make(3, severity="LOW", account_id="9")]
    assert severity_counts(items) == {"CRITICAL": 0, "HIGH": 2, "MEDIUM": 0, "LOW": 1, "INFORMATIONAL": 0}
    assert list(severity_counts([])) == list(SEVERITIES)
    assert facet_counts(items, "account") == [("111122223333", 2), ("9", 1)]
    assert facet_counts(items, "severity") == [("HIGH", 2), ("LOW", 1)]
    tie = [make(1, product_name="b"), make(2, product_name="a")]
    assert facet_counts(tie, "product") == [("a", 1), ("b", 1)]
    with pytest.raises(ValueError, match="unknown facet"):
        facet_counts(items, "colour")


# ---------------------------------------------------------------------------------------------
# Standard scores
# ---------------------------------------------------------------------------------------------


def control(n: int, cid: str, status: str, standards: tuple[str, ...] = (FSBP,), **changes: Any) -> Finding:
    return make(
        n, control_id=cid, control_keys=(cid,), compliance_status=status, standards=standards, **changes
    )


def test_scores_follow_security_hub_rules() -> None:
    findings = [
        control(1, "EC2.13", "PASSED"),
        control(2, "EC2.13", "PASSED"),  # passes: all PASSED
        control(3, "EC2.2", "PASSED"),
        control(4, "EC2.2", "FAILED"),  # fails: one FAILED
        control(5, "S3.1", "WARNING"),  # fails: WARNING
        control(6, "S3.8", "PASSED"),
        control(7, "S3.8", "NOT_AVAILABLE"),  # NOT_AVAILABLE ignored: passes
        control(8, "KMS.4", "NOT_AVAILABLE"),  # only NOT_AVAILABLE: no data, not counted
        control(9, "IAM.3", "FAILED", record_state="ARCHIVED"),  # archived: ignored
        control(10, "IAM.3", "PASSED"),  # passes
        control(11, "EC2.7", "FAILED", workflow_status="SUPPRESSED"),  # suppressed: ignored
        control(12, "EC2.7", "PASSED", workflow_status="RESOLVED"),  # passes
        control(13, "", "FAILED"),  # no control: ignored
        control(14, "CloudTrail.4", ""),  # no compliance status: ignored
        control(15, "EC2.13", "FAILED", standards=(CIS14,)),
        control(16, "EC2.19", "PASSED", standards=(FSBP, CIS14)),
    ]
    enabled = [
        {"StandardsArn": f"arn:aws:securityhub:us-east-1::{FSBP}", "StandardsStatus": "READY"},
        {"StandardsArn": f"arn:aws:securityhub:us-east-1::{PCI}", "StandardsStatus": "INCOMPLETE"},
        {"StandardsArn": f"arn:aws:securityhub:::{CIS12}", "StandardsStatus": "DELETING"},
    ]
    scores = standard_scores(findings, enabled)
    assert scores == [
        StandardScore(FSBP, "FSBP v1.0.0", True, 5, 7),
        StandardScore(PCI, "PCI DSS 3.2.1", True, 0, 0),
        StandardScore(CIS12, "CIS 1.2.0", False, 0, 0),
        StandardScore(CIS14, "CIS 1.4.0", False, 1, 2),
    ]
    assert scores[0].share == pytest.approx(5 / 7)
    assert scores[1].share is None


def test_scores_without_enabled_standards_list_what_findings_show() -> None:
    findings = [
        control(1, "EC2.13", "PASSED", standards=(PCI, FSBP)),
        control(2, "x.1", "FAILED", standards=("y",)),
    ]
    scores = standard_scores(findings, None)
    assert [(s.standard_id, s.name, s.enabled, s.passed, s.total) for s in scores] == [
        (FSBP, "FSBP v1.0.0", False, 1, 1),
        (PCI, "PCI DSS 3.2.1", False, 1, 1),
        ("y", "y", False, 0, 1),
    ]
    assert standard_scores([], None) == []
    assert standard_scores([], []) == []


def test_scores_tolerate_malformed_subscriptions() -> None:
    enabled: list[Any] = [
        "x",
        {},
        {"StandardsArn": 5},
        {"StandardsArn": "arn:aws:securityhub:::standards/custom-thing/v/2.0.0"},
        {"StandardsArn": "arn:aws:securityhub:::standards/custom-thing/v/2.0.0", "StandardsStatus": "READY"},
    ]
    scores = standard_scores([], enabled)
    assert scores == [StandardScore("standards/custom-thing/v/2.0.0", "custom-thing v2.0.0", False, 0, 0)]


def test_scores_over_parsed_findings() -> None:
    raw = synthetic_raw(2000, seed=8)
    findings = [f for f in (parse_finding(r) for r in raw) if f is not None]
    scores = standard_scores(
        findings, [{"StandardsArn": "arn:aws:securityhub:::" + FSBP, "StandardsStatus": "READY"}]
    )
    assert scores[0].standard_id == FSBP
    assert scores[0].enabled
    assert scores[0].total == 10
    assert 0 <= scores[0].passed < scores[0].total
    assert {s.standard_id for s in scores} == {FSBP, CIS14, CIS12}


# ---------------------------------------------------------------------------------------------
# Hygiene
# ---------------------------------------------------------------------------------------------


def test_the_model_imports_no_ui_and_no_aws_client() -> None:
    code = (
        "import sys, tui.aws.findings_model\n"
        "roots = {'textual', 'rich', 'botocore', 'aiobotocore', 'boto3'}\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in roots)\n"
        "print(','.join(bad))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert out.stdout.strip() == ""


# ---------------------------------------------------------------------------------------------
# Fields of the wrong JSON type, everywhere
# ---------------------------------------------------------------------------------------------

_WRONG_TYPES: tuple[object, ...] = (42, 4.5, True, None, "text", ["x", 7, None], {"k": "v", "n": [1]}, [], {})


def _paths(value: object, path: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    """Every path to a value inside ``value`` (keys of objects, indexes of lists), leaves included."""
    found: list[tuple[object, ...]] = []
    if isinstance(value, dict):
        for key, item in value.items():
            found.append((*path, key))
            found.extend(_paths(item, (*path, key)))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found.append((*path, index))
            found.extend(_paths(item, (*path, index)))
    return found


def _replaced(raw: dict[str, Any], path: tuple[object, ...], value: object) -> dict[str, Any]:
    copy = json.loads(json.dumps(raw))
    target: Any = copy
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    return copy


def test_every_field_of_the_wrong_json_type_still_parses() -> None:
    """A number where text is due, a list where an object is due, an object where a list is due, null
    anywhere: the finding still parses, the bad field is unknown or empty, nothing raises."""
    raw = base_raw()
    keys = {"Id", "ProductArn"}
    for path in _paths(raw):
        for wrong in _WRONG_TYPES:
            changed = _replaced(raw, path, wrong)
            finding = parse_finding(changed)
            if path[0] in keys and len(path) == 1 and not (isinstance(wrong, str) and wrong):
                continue  # no identity, no finding: covered by test_no_finding_without_id_and_product_arn
            assert finding is not None, (path, wrong)
            # Parsed field by field, never through the fallback that keeps only the identity.
            assert not any("could not be read" in p for p in finding.problems), (
                path,
                wrong,
                finding.problems,
            )
            _assert_sane(finding)


def test_null_everywhere_but_the_identity_still_parses() -> None:
    raw = base_raw()
    nulled = {key: (value if key in ("Id", "ProductArn") else None) for key, value in raw.items()}
    finding = parse_finding(nulled)
    assert finding is not None
    assert not any("could not be read" in p for p in finding.problems), finding.problems
    _assert_sane(finding)
    assert finding.title == "" and finding.resources == () and finding.note is None
    assert finding.first_observed_at is None and finding.last_observed_at is None


def test_sorted_orders_equal_sort_findings(corpus: list[Finding]) -> None:
    """Every order SortedOrders makes by its stable passes is the one sort_findings defines: over a
    corpus with ties on every key, missing times, unknown severities and controls without a number."""
    rng = random.Random(5)
    items = list(corpus)
    for n in range(300):
        f = rng.choice(corpus)
        items.append(
            dataclasses.replace(
                f,
                id=f"tie-{n % 7}",
                title=rng.choice((f.title, "Same title", "")),
                last_observed_at=rng.choice((None, f.last_observed_at, T0)),
                first_observed_at=rng.choice((None, f.first_observed_at, T0)),
                severity=rng.choice((*SEVERITIES, "UNKNOWN")),
                control_id=rng.choice(("", "EC2.2", "EC2.13", "IAM.x", f.control_id)),
                account_id=rng.choice(("", "2", f.account_id)),
            )
        )
    rng.shuffle(items)
    orders = SortedOrders(items)
    assert orders.missing() == list(SORTS)
    for sort in SORTS:
        made = orders.order(sort)
        assert made == sort_findings(items, sort), sort
        assert orders.order(sort) is made
    assert orders.missing() == []
    with pytest.raises(ValueError, match="unknown sort"):
        orders.order("colour")


def test_sorted_orders_with_naive_and_aware_times_fall_back() -> None:
    naive = make(1, last_observed_at=datetime(2026, 11, 2), severity="HIGH")  # noqa: DTZ001
    aware = make(2, last_observed_at=T0, severity="HIGH")
    orders = SortedOrders([aware, naive])
    assert orders.order("severity") == sort_findings([aware, naive], "severity") == [naive, aware]


def test_group_by_account() -> None:
    a = make(1, account_id="1", severity="HIGH", region="us-east-1", resource_id="r1", last_observed_at=T0)
    b = make(2, account_id="1", severity="LOW", region="eu-west-1", resource_id="r1", last_observed_at=None)
    c = make(3, account_id="1", severity="HIGH", region="us-east-1", resource_id="r2")
    c = dataclasses.replace(c, last_observed_at=T0 + timedelta(days=3))
    d = make(4, account_id="2", severity="CRITICAL", resource_id="r3")
    e = make(5, account_id="3", severity="HIGH", resource_id="r4")
    f = make(6, account_id="3", severity="HIGH", resource_id="r5")
    g = make(7, account_id="3", severity="HIGH", resource_id="r6")
    h = make(8, account_id="4", severity="NOT-A-SEVERITY", resource_id="r7", last_observed_at=None)
    groups = group_by_account([a, b, c, d, e, f, g, h])
    # worst severity first, then most findings of it (3 has three HIGH, 1 two), then most findings
    assert [group.account_id for group in groups] == ["2", "3", "1", "4"]
    one = groups[2]
    assert one.key == "1" and one.count == 3 and one.findings == (a, b, c)
    assert one.severity == "HIGH"
    assert one.severities == (0, 2, 0, 1, 0)
    assert one.regions == ("eu-west-1", "us-east-1")
    assert one.resources == 2
    assert one.last_observed_at == T0 + timedelta(days=3)
    assert groups[3].severity == "INFORMATIONAL" and groups[3].severities == (0, 0, 0, 0, 1)
    assert groups[3].last_observed_at is None
    assert group_by_account([]) == []


def test_account_group_sizes_add_up(corpus: list[Finding]) -> None:
    groups = group_by_account(corpus)
    assert sum(g.count for g in groups) == len(corpus)
    assert sorted(g.account_id for g in groups) == sorted({f.account_id for f in corpus})
    for group in groups:
        assert sum(group.severities) == group.count
        assert {f.account_id for f in group.findings} == {group.account_id}
    ranks = [SEVERITIES.index(g.severity) for g in groups]
    assert ranks == sorted(ranks)


def test_the_account_opened_filters_and_narrows(corpus: list[Finding]) -> None:
    account = corpus[0].account_id
    opened = FindingFilter(workflows=frozenset(), record_states=frozenset(), account=account)
    assert apply_filter(corpus, opened) == [f for f in corpus if f.account_id == account]
    assert all(matches(f, opened) == (f.account_id == account) for f in corpus)
    assert opened.describe() == ""
