"""The Security Hub extension: filters, sorting, paging, BatchUpdateFindings and standards.

The pure functions are tested directly; the rest goes through boto3 against the simulator in
region eu-west-1, which is this module's own.
"""

from __future__ import annotations

import gzip
import inspect
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import botocore
import pytest
from botocore.exceptions import ClientError

from tui.sim.extensions import securityhub
from tui.sim.extensions.securityhub import (
    FIELDS,
    InvalidInput,
    compile_filters,
    filter_findings,
    label_for_normalized,
    new_finding,
    page,
    parse_update,
    reimported_finding,
    sort_findings,
    updated_finding,
)

ACCOUNT = "123456789012"
MEMBER = "210987654321"
REGION = "eu-west-1"
PRODUCT = f"arn:aws:securityhub:{REGION}:{ACCOUNT}:product/{ACCOUNT}/default"
CONTROL_PRODUCT = f"arn:aws:securityhub:{REGION}::product/aws/securityhub"
NOW = datetime.now(UTC).replace(microsecond=0)
SUITE = {"Key": "suite", "Value": "base", "Comparison": "EQUALS"}

ClientMaker = Callable[..., Any]


def _ts(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass(frozen=True)
class Spec:
    """One base finding, described by the attributes the tests filter and sort on."""

    n: int
    label: str
    normalized: int
    workflow: str
    record: str
    compliance: str
    control: str
    resource_types: tuple[str, ...]
    days_ago: int
    account: str
    title: str
    udf: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)


# fmt: off
BASE = (
    Spec(0, "CRITICAL", 95, "NEW", "ACTIVE", "FAILED", "EC2.19", ("AwsEc2SecurityGroup",), 0, ACCOUNT,
         "Security group open to the world on port 22", {"owner": "alice", "team": "red"}, {"env": "prod"}),
    Spec(1, "HIGH", 70, "NOTIFIED", "ACTIVE", "FAILED", "IAM.1", ("AwsIamRole",), 1, MEMBER,
         "IAM role trusts every principal", {"owner": "bob"}, {"env": "dev"}),
    Spec(2, "HIGH", 85, "NEW", "ACTIVE", "FAILED", "IAM.1", ("AwsIamPolicy", "AwsIamRole"), 2, ACCOUNT,
         "IAM policy grants full access", {"owner": "alice"}, {"env": "prod"}),
    Spec(3, "MEDIUM", 40, "RESOLVED", "ACTIVE", "PASSED", "S3.14", ("AwsS3Bucket",), 3, ACCOUNT,
         "S3 bucket without versioning", {}, {"env": "prod"}),
    Spec(4, "MEDIUM", 55, "SUPPRESSED", "ACTIVE", "FAILED", "S3.2", ("AwsS3Bucket",), 5, MEMBER,
         "S3 bucket allows public read", {"owner": "carol"}),
    Spec(5, "MEDIUM", 60, "NEW", "ARCHIVED", "FAILED", "EC2.8", ("AwsEc2Instance",), 8, ACCOUNT,
         "EC2 instance accepts IMDSv1", {}, {"env": "dev"}),
    Spec(6, "LOW", 1, "NEW", "ACTIVE", "WARNING", "EC2.3", ("AwsEc2Volume",), 13, ACCOUNT,
         "EBS volume is not encrypted", {"owner": "bob", "team": "blue"}),
    Spec(7, "LOW", 30, "NOTIFIED", "ACTIVE", "FAILED", "IAM.3", ("AwsIamUser",), 21, MEMBER,
         "IAM user has an unused access key"),
    Spec(8, "INFORMATIONAL", 0, "NEW", "ACTIVE", "PASSED", "IAM.6", ("AwsAccount",), 34, ACCOUNT,
         "Root account has hardware MFA"),
    Spec(9, "INFORMATIONAL", 0, "RESOLVED", "ACTIVE", "NOT_AVAILABLE", "EC2.2", ("AwsEc2SecurityGroup",), 55,
         ACCOUNT, "Default security group restricts traffic", {}, {"env": "prod"}),
)
# fmt: on


def _base_id(n: int) -> str:
    return f"warroom-test/base/{n}"


def _asff(spec: Spec) -> dict[str, Any]:
    updated = NOW - timedelta(days=spec.days_ago)
    created = updated - timedelta(days=10)
    finding: dict[str, Any] = {
        "SchemaVersion": "2018-10-08",
        "Id": _base_id(spec.n),
        "ProductArn": PRODUCT,
        "ProductName": "Default",
        "CompanyName": "Warroom Tests",
        "GeneratorId": f"warroom-test/{spec.control}",
        "AwsAccountId": spec.account,
        "Region": REGION,
        "Types": ["Software and Configuration Checks/AWS Security Best Practices"],
        "CreatedAt": _ts(created),
        "FirstObservedAt": _ts(created),
        "LastObservedAt": _ts(updated),
        "UpdatedAt": _ts(updated),
        "Severity": {"Label": spec.label, "Normalized": spec.normalized, "Original": spec.label},
        "Confidence": spec.n * 10,
        "Title": spec.title,
        "Description": f"{spec.title}.",
        "Remediation": {"Recommendation": {"Text": "Fix it", "Url": "https://example.com/fix"}},
        "ProductFields": {"suite": "base", "n": str(spec.n)},
        "UserDefinedFields": dict(spec.udf),
        "Resources": [
            {"Type": kind, "Id": f"arn:aws:test:::{kind}/{spec.n}", "Region": REGION, "Tags": dict(spec.tags)}
            for kind in spec.resource_types
        ],
        "Compliance": {"Status": spec.compliance, "SecurityControlId": spec.control},
        "WorkflowState": "NEW",
        "Workflow": {"Status": spec.workflow},
        "RecordState": spec.record,
    }
    if spec.n == 3:
        finding["Note"] = {"Text": "Known", "UpdatedBy": "alice", "UpdatedAt": _ts(updated)}
    return finding


def _client(url: str) -> Any:
    return boto3.client(
        "securityhub",
        region_name=REGION,
        endpoint_url=url,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


@pytest.fixture(scope="module")
def seeded(sim_url: str) -> dict[int, dict[str, Any]]:
    """The hub enabled in eu-west-1 and the ten base findings imported; the findings as sent."""
    hub = _client(sim_url)
    hub.enable_security_hub()
    findings = {spec.n: _asff(spec) for spec in BASE}
    result = hub.batch_import_findings(Findings=list(findings.values()))
    assert result["FailedCount"] == 0, result["FailedFindings"]
    return findings


@pytest.fixture
def hub(client: ClientMaker, seeded: dict[int, dict[str, Any]]) -> Any:
    return client("securityhub", region=REGION)


def _error(excinfo: pytest.ExceptionInfo[ClientError]) -> tuple[str, int]:
    err = excinfo.value.response
    return err["Error"]["Code"], err["ResponseMetadata"]["HTTPStatusCode"]


def _all(hub: Any, **params: Any) -> list[dict[str, Any]]:
    pages = hub.get_paginator("get_findings").paginate(**params)
    return [finding for p in pages for finding in p["Findings"]]


def _base(hub: Any, filters: dict[str, Any] | None = None, **params: Any) -> list[int]:
    """The numbers of the base findings matching ``filters``, in the order returned."""
    scoped = dict(filters or {})
    scoped["ProductFields"] = [*scoped.get("ProductFields", []), SUITE]
    return [int(f["ProductFields"]["n"]) for f in _all(hub, Filters=scoped, **params)]


def _eq(value: str) -> dict[str, str]:
    return {"Value": value, "Comparison": "EQUALS"}


# --------------------------------------------------------------------------------------------
# What this module patches in moto
# --------------------------------------------------------------------------------------------


def test_moto_objects_the_extension_patches_are_still_there() -> None:
    from moto.core.exceptions import ServiceException
    from moto.core.utils import method_names_from_class
    from moto.securityhub import urls
    from moto.securityhub.exceptions import SecurityHubClientError
    from moto.securityhub.models import Finding, SecurityHubBackend
    from moto.securityhub.responses import SecurityHubResponse

    securityhub.install()
    expected_signatures = {
        "SecurityHubBackend.get_findings": ["self", "filters", "sort_criteria", "max_results"],
        "SecurityHubBackend.batch_import_findings": ["self", "findings"],
        "SecurityHubBackend.enable_security_hub": ["self", "enable_default_standards", "tags"],
        "SecurityHubResponse.get_findings": ["self"],
    }
    for name, parameters in expected_signatures.items():
        signature = securityhub.original_signature(name)
        assert signature is not None, (
            f"moto no longer defines {name}: review tui/sim/extensions/securityhub.py"
        )
        assert list(signature.parameters) == parameters, f"moto's {name} changed its signature to {signature}"
    for name in (
        "SecurityHubBackend.batch_update_findings",
        "SecurityHubBackend.get_enabled_standards",
        "SecurityHubResponse.batch_update_findings",
        "SecurityHubResponse.get_enabled_standards",
    ):
        assert securityhub.moto_originals.get(name) is None, (
            f"moto now implements {name}: review tui/sim/extensions/securityhub.py before shadowing it"
        )
    for name, function in securityhub.BACKEND_METHODS.items():
        assert SecurityHubBackend.__dict__.get(name) is function
    for name, function in securityhub.RESPONSE_METHODS.items():
        assert SecurityHubResponse.__dict__.get(name) is function
        assert name in method_names_from_class(SecurityHubResponse), (
            f"moto no longer finds {name} by inspecting the response class: its dispatch changed"
        )
    assert isinstance(SecurityHubResponse.__dict__.get("securityhub_backend"), property), (
        "SecurityHubResponse.securityhub_backend is no longer a property"
    )
    assert issubclass(SecurityHubClientError, ServiceException), "SecurityHubClientError changed its base"
    assert list(inspect.signature(Finding.__init__).parameters) == ["self", "finding_id", "finding_data"], (
        "moto's securityhub Finding changed its constructor"
    )
    finding = Finding("x", {"Id": "x"})
    assert finding.id == "x" and finding.as_dict() is finding.data, (
        "Finding no longer keeps its dict in .data"
    )
    backend = SecurityHubBackend(REGION, "111111111111")
    assert backend.findings == [] and backend.enabled is False, (
        "SecurityHubBackend's state attributes changed"
    )
    assert backend.partition == "aws" and backend.region_name == REGION
    assert isinstance(urls.url_paths, dict) and "{0}/findings$" in urls.url_paths, (
        "moto.securityhub.urls.url_paths is no longer the routing table"
    )
    for path in ("/findings/batchupdate$", "/standards/get$"):
        assert path in backend.url_paths, f"moto's server would not route {path}"


def test_install_is_idempotent() -> None:
    from moto.securityhub import urls
    from moto.securityhub.models import SecurityHubBackend

    securityhub.install()
    before = dict(SecurityHubBackend.__dict__)
    paths = dict(urls.url_paths)
    securityhub.install()
    assert dict(SecurityHubBackend.__dict__) == before
    assert urls.url_paths == paths
    wrapped = securityhub.moto_originals["SecurityHubBackend.enable_security_hub"]
    assert getattr(wrapped, "__qualname__", "") == "SecurityHubBackend.enable_security_hub"


# --------------------------------------------------------------------------------------------
# The filter table against botocore's model
# --------------------------------------------------------------------------------------------


def _model() -> dict[str, Any]:
    root = Path(botocore.__file__).parent / "data" / "securityhub"
    (version,) = sorted(p for p in root.iterdir() if p.is_dir())[-1:]
    with gzip.open(version / "service-2.json.gz") as handle:
        model: dict[str, Any] = json.load(handle)
    return model


def _path_exists(shapes: dict[str, Any], shape_name: str, path: str) -> bool:
    shape = shapes[shape_name]
    for segment in path.split("."):
        while shape["type"] == "list":
            shape = shapes[shape["member"]["shape"]]
        member = shape.get("members", {}).get(segment)
        if member is None:
            return False
        shape = shapes[member["shape"]]
    return True


def test_filter_table_matches_the_model() -> None:
    shapes = _model()["shapes"]
    filter_members = shapes["AwsSecurityFindingFilters"]["members"]
    kinds = {
        "StringFilterList": "string",
        "DateFilterList": "date",
        "NumberFilterList": "number",
        "MapFilterList": "map",
        "BooleanFilterList": "boolean",
        "IpFilterList": "ip",
    }
    assert set(FIELDS) <= set(filter_members)
    assert set(filter_members) - set(FIELDS) <= {"Keyword"}, "a filter key of the model is unmapped"
    for name, spec in FIELDS.items():
        assert kinds[filter_members[name]["shape"]] == spec.kind, name
        assert _path_exists(shapes, "AwsSecurityFinding", spec.path), f"{name}: {spec.path} is not in ASFF"
    assert set(securityhub.ASFF_ATTRIBUTES) <= set(shapes["AwsSecurityFinding"]["members"])


# --------------------------------------------------------------------------------------------
# Pure functions
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("normalized", "label"),
    [
        (0, "INFORMATIONAL"),
        (1, "LOW"),
        (39, "LOW"),
        (40, "MEDIUM"),
        (69, "MEDIUM"),
        (70, "HIGH"),
        (89, "HIGH"),
        (90, "CRITICAL"),
        (100, "CRITICAL"),
    ],
)
def test_label_for_normalized(normalized: int, label: str) -> None:
    assert label_for_normalized(normalized) == label


def _plain(n: int, **fields: Any) -> dict[str, Any]:
    return {"Id": f"f{n}", "ProductArn": "p", **fields}


def test_string_filters_or_positives_and_negatives() -> None:
    findings = [
        _plain(0, Resources=[{"Type": "AwsIamRole"}]),
        _plain(1, Resources=[{"Type": "AwsIamPolicy"}, {"Type": "AwsIamRole"}]),
        _plain(2, Resources=[{"Type": "AwsEc2NetworkInterface"}]),
        _plain(3, Resources=[{"Type": "AwsEc2Instance"}]),
        _plain(4, Resources=[{"Type": "AwsS3Bucket"}]),
    ]
    filters = {
        "ResourceType": [
            {"Value": "AwsIam", "Comparison": "PREFIX"},
            {"Value": "AwsEc2", "Comparison": "PREFIX"},
            {"Value": "AwsIamPolicy", "Comparison": "NOT_EQUALS"},
            {"Value": "AwsEc2NetworkInterface", "Comparison": "NOT_EQUALS"},
        ]
    }
    assert [f["Id"] for f in filter_findings(findings, filters, now=NOW)] == ["f0", "f3"]


@pytest.mark.parametrize(
    "comparisons",
    [
        ("EQUALS", "NOT_EQUALS"),
        ("EQUALS", "PREFIX_NOT_EQUALS"),
        ("CONTAINS", "EQUALS"),
        ("NOT_CONTAINS", "NOT_EQUALS"),
        ("CONTAINS", "NOT_CONTAINS"),
        ("CONTAINS_WORD",),
    ],
)
def test_forbidden_string_combinations(comparisons: tuple[str, ...]) -> None:
    filters = {"Title": [{"Value": "x", "Comparison": c} for c in comparisons]}
    with pytest.raises(InvalidInput):
        compile_filters(filters, now=NOW)


def test_filter_limits() -> None:
    eleven = {name: [_eq("x")] for name in list(FIELDS)[:20] if FIELDS[name].kind == "string"}
    assert len(eleven) >= 11
    with pytest.raises(InvalidInput, match="up to 10"):
        compile_filters(dict(list(eleven.items())[:11]), now=NOW)
    with pytest.raises(InvalidInput, match="up to 20"):
        compile_filters({"Title": [_eq(str(i)) for i in range(21)]}, now=NOW)
    with pytest.raises(InvalidInput, match="not supported"):
        compile_filters({"Keyword": [{"Value": "x"}]}, now=NOW)
    compile_filters({"Title": [_eq(str(i)) for i in range(20)]}, now=NOW)


def test_ip_boolean_and_date_range_filters() -> None:
    findings = [
        _plain(0, Network={"SourceIpV4": "10.1.2.3"}, Sample=True, UpdatedAt=_ts(NOW - timedelta(days=2))),
        _plain(1, Network={"SourceIpV4": "192.168.0.9"}, UpdatedAt=_ts(NOW - timedelta(days=9))),
        _plain(2, UpdatedAt="not a date"),
    ]

    def ids(filters: dict[str, Any]) -> list[str]:
        return [f["Id"] for f in filter_findings(findings, filters, now=NOW)]

    assert ids({"NetworkSourceIpV4": [{"Cidr": "10.0.0.0/8"}]}) == ["f0"]
    assert ids({"Sample": [{"Value": False}]}) == ["f1", "f2"]
    assert ids({"UpdatedAt": [{"DateRange": {"Value": 7, "Unit": "DAYS"}}]}) == ["f0"]
    assert ids({"UpdatedAt": [{"DateRange": {"Value": 7, "Unit": "DAYS", "Comparison": "OLDER_THAN"}}]}) == [
        "f1"
    ]
    for bad in ({"DateRange": {"Value": 7, "Unit": "WEEKS"}}, {"Start": "yesterday", "End": _ts(NOW)}, {}):
        with pytest.raises(InvalidInput):
            compile_filters({"UpdatedAt": [bad]}, now=NOW)


def test_sort_is_stable_with_missing_values_last() -> None:
    findings = [
        _plain(0, Severity={"Label": "LOW"}),
        _plain(1),
        _plain(2, Severity={"Label": "CRITICAL"}),
        _plain(3, Severity={"Label": "LOW"}),
        _plain(4, Severity={"Label": "INFORMATIONAL"}),
    ]
    asc = sort_findings(findings, [{"Field": "SeverityLabel", "SortOrder": "asc"}])
    desc = sort_findings(findings, [{"Field": "Severity.Label", "SortOrder": "desc"}])
    assert [f["Id"] for f in asc] == ["f4", "f0", "f3", "f2", "f1"]
    assert [f["Id"] for f in desc] == ["f2", "f0", "f3", "f4", "f1"]
    with pytest.raises(InvalidInput):
        sort_findings(findings, [{"Field": "NoSuchAttribute", "SortOrder": "asc"}])
    with pytest.raises(InvalidInput):
        sort_findings(findings, [{"Field": "Title", "SortOrder": "up"}])


def test_page_tokens_follow_the_next_finding() -> None:
    items = [_plain(n) for n in range(7)]
    first, token = page(items, limit=3, next_token=None, digest="q")
    assert [f["Id"] for f in first] == ["f0", "f1", "f2"] and token
    shrunk = items[1:]
    second, token = page(shrunk, limit=3, next_token=token, digest="q")
    assert [f["Id"] for f in second] == ["f3", "f4", "f5"]
    assert token
    third, last = page(shrunk, limit=3, next_token=token, digest="q")
    assert [f["Id"] for f in third] == ["f6"] and last is None
    with pytest.raises(InvalidInput):
        page(items, limit=3, next_token=token, digest="another query")
    with pytest.raises(InvalidInput):
        page(items, limit=3, next_token="garbage", digest="q")


def test_new_finding_defaults() -> None:
    stored = new_finding(
        {"Id": "a", "ProductArn": PRODUCT, "Resources": [{}], "Severity": {"Normalized": 45}}
    )
    assert stored["Workflow"] == {"Status": "NEW"}
    assert stored["WorkflowState"] == "NEW" and stored["RecordState"] == "ACTIVE"
    assert stored["Severity"] == {"Normalized": 45, "Label": "MEDIUM"}
    control = new_finding(
        {"Id": "c", "ProductArn": CONTROL_PRODUCT, "Resources": [{}], "Compliance": {"Status": "PASSED"}}
    )
    assert control["Workflow"]["Status"] == "RESOLVED"
    provider = new_finding(
        {
            "Id": "p",
            "ProductArn": PRODUCT,
            "Resources": [{}],
            "FindingProviderFields": {"Severity": {"Label": "HIGH"}},
        }
    )
    assert provider["Severity"] == {"Label": "HIGH", "Normalized": 70}


def test_reimport_keeps_the_customers_fields_and_reopens() -> None:
    first = new_finding(
        {
            "Id": "a",
            "ProductArn": PRODUCT,
            "Resources": [{}],
            "Title": "old",
            "RecordState": "ACTIVE",
            "Severity": {"Label": "LOW"},
        }
    )
    update = parse_update(
        {
            "FindingIdentifiers": [{"Id": "a", "ProductArn": PRODUCT}],
            "Workflow": {"Status": "RESOLVED"},
            "Note": {"Text": "done", "UpdatedBy": "me"},
            "Severity": {"Label": "HIGH"},
        }
    )
    handled = updated_finding(first, update.changes, now=NOW)
    provider = {
        "Id": "a",
        "ProductArn": PRODUCT,
        "Resources": [{}],
        "Title": "new",
        "Severity": {"Label": "LOW"},
        "Workflow": {"Status": "NEW"},
        "RecordState": "ARCHIVED",
    }
    archived = reimported_finding(handled, provider, {"Severity"})
    assert archived["Title"] == "new" and archived["RecordState"] == "ARCHIVED"
    assert archived["Workflow"]["Status"] == "RESOLVED"
    assert archived["Note"]["Text"] == "done"
    assert archived["Severity"] == {"Label": "HIGH", "Normalized": 70}
    reopened = reimported_finding(archived, {**provider, "RecordState": "ACTIVE"}, {"Severity"})
    assert reopened["Workflow"]["Status"] == "NEW"
    unowned = reimported_finding(handled, provider, ())
    assert unowned["Severity"] == {"Label": "LOW", "Normalized": 1}


# --------------------------------------------------------------------------------------------
# Import, through the server
# --------------------------------------------------------------------------------------------


def test_import_keeps_every_field_and_member_accounts(hub: Any, seeded: dict[int, dict[str, Any]]) -> None:
    found = {int(f["ProductFields"]["n"]): f for f in _all(hub, Filters={"ProductFields": [SUITE]})}
    assert sorted(found) == list(range(10))
    for n, sent in seeded.items():
        for key, value in sent.items():
            assert found[n][key] == value, f"finding {n}: {key} changed on import"
    assert _base(hub, {"AwsAccountId": [_eq(MEMBER)]}) == [1, 4, 7]


def test_import_rejects_a_finding_without_resources(hub: Any) -> None:
    broken = {**_asff(BASE[0]), "Id": "warroom-test/broken", "Resources": []}
    result = hub.batch_import_findings(Findings=[broken])
    assert result["FailedCount"] == 1 and result["SuccessCount"] == 0
    assert result["FailedFindings"][0]["Id"] == "warroom-test/broken"
    assert hub.get_findings(Filters={"Id": [_eq("warroom-test/broken")]})["Findings"] == []


# --------------------------------------------------------------------------------------------
# GetFindings filters, sorting and paging
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"SeverityLabel": [_eq("HIGH")]}, [1, 2]),
        ({"SeverityLabel": [_eq("HIGH"), _eq("CRITICAL")]}, [0, 1, 2]),
        ({"ResourceType": [{"Value": "AwsIam", "Comparison": "PREFIX"}]}, [1, 2, 7]),
        (
            {
                "ResourceType": [
                    {"Value": "AwsIam", "Comparison": "PREFIX"},
                    {"Value": "AwsIamPolicy", "Comparison": "NOT_EQUALS"},
                ]
            },
            [1, 7],
        ),
        ({"ResourceType": [{"Value": "AwsEc2", "Comparison": "PREFIX_NOT_EQUALS"}]}, [1, 2, 3, 4, 7, 8]),
        (
            {
                "WorkflowStatus": [
                    {"Value": "RESOLVED", "Comparison": "NOT_EQUALS"},
                    {"Value": "SUPPRESSED", "Comparison": "NOT_EQUALS"},
                ]
            },
            [0, 1, 2, 5, 6, 7, 8],
        ),
        (
            {
                "Title": [
                    {"Value": "S3", "Comparison": "CONTAINS"},
                    {"Value": "EBS", "Comparison": "CONTAINS"},
                ]
            },
            [3, 4, 6],
        ),
        ({"Title": [{"Value": "IAM", "Comparison": "NOT_CONTAINS"}]}, [0, 3, 4, 5, 6, 8, 9]),
        ({"RecordState": [_eq("ARCHIVED")]}, [5]),
        ({"ComplianceStatus": [_eq("PASSED")]}, [3, 8]),
        ({"ComplianceSecurityControlId": [{"Value": "EC2.", "Comparison": "PREFIX"}]}, [0, 5, 6, 9]),
        ({"Id": [_eq(_base_id(4))]}, [4]),
        ({"GeneratorId": [_eq("warroom-test/IAM.1")], "AwsAccountId": [_eq(ACCOUNT)]}, [2]),
        ({"ProductName": [_eq("Default")], "Region": [_eq(REGION)], "SeverityLabel": [_eq("LOW")]}, [6, 7]),
        (
            {"RecordState": [_eq("ACTIVE")], "WorkflowStatus": [_eq("NEW"), _eq("NOTIFIED")]},
            [0, 1, 2, 6, 7, 8],
        ),
        ({"ResourceId": [{"Value": "arn:aws:test:::AwsIamRole/", "Comparison": "PREFIX"}]}, [1, 2]),
    ],
)
def test_string_filters(hub: Any, filters: dict[str, Any], expected: list[int]) -> None:
    assert _base(hub, filters) == expected


@pytest.mark.parametrize(
    "filters",
    [
        {"SeverityLabel": [_eq("HIGH"), {"Value": "LOW", "Comparison": "NOT_EQUALS"}]},
        {"Title": [{"Value": "S3", "Comparison": "CONTAINS"}, _eq("x")]},
        {"UserDefinedFields": [{"Key": "owner", "Value": "al", "Comparison": "CONTAINS"}]},
        {"SeverityNormalized": [{}]},
    ],
)
def test_invalid_filters_are_rejected(hub: Any, filters: dict[str, Any]) -> None:
    with pytest.raises(ClientError) as excinfo:
        hub.get_findings(Filters=filters)
    assert _error(excinfo) == ("InvalidInputException", 400)


def test_date_filters(hub: Any) -> None:
    within = {"UpdatedAt": [{"DateRange": {"Value": 7, "Unit": "DAYS"}}]}
    assert _base(hub, within) == [0, 1, 2, 3, 4]
    older = {"UpdatedAt": [{"DateRange": {"Value": 30, "Unit": "DAYS", "Comparison": "OLDER_THAN"}}]}
    assert _base(hub, older) == [8, 9]
    window = {"UpdatedAt": [{"Start": _ts(NOW - timedelta(days=14)), "End": _ts(NOW - timedelta(days=4))}]}
    assert _base(hub, window) == [4, 5, 6]
    created = {"CreatedAt": [{"Start": _ts(NOW - timedelta(days=12)), "End": _ts(NOW)}]}
    assert _base(hub, created) == [0, 1, 2]
    assert _base(hub, {"LastObservedAt": within["UpdatedAt"], "FirstObservedAt": older["UpdatedAt"]}) == []


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"SeverityNormalized": [{"Gte": 70}]}, [0, 1, 2]),
        ({"SeverityNormalized": [{"Gt": 0, "Lt": 40}]}, [6, 7]),
        ({"SeverityNormalized": [{"Eq": 40}]}, [3]),
        ({"SeverityNormalized": [{"Lte": 1}, {"Gte": 90}]}, [0, 6, 8, 9]),
        ({"Confidence": [{"Gte": 80}]}, [8, 9]),
    ],
)
def test_number_filters(hub: Any, filters: dict[str, Any], expected: list[int]) -> None:
    assert _base(hub, filters) == expected


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"UserDefinedFields": [{"Key": "owner", "Value": "alice", "Comparison": "EQUALS"}]}, [0, 2]),
        (
            {
                "UserDefinedFields": [
                    {"Key": "owner", "Value": "alice", "Comparison": "EQUALS"},
                    {"Key": "owner", "Value": "bob", "Comparison": "EQUALS"},
                ]
            },
            [0, 1, 2, 6],
        ),
        (
            {"UserDefinedFields": [{"Key": "owner", "Value": "alice", "Comparison": "NOT_EQUALS"}]},
            [1, 3, 4, 5, 6, 7, 8, 9],
        ),
        (
            {
                "UserDefinedFields": [
                    {"Key": "owner", "Value": "bob", "Comparison": "EQUALS"},
                    {"Key": "team", "Value": "blue", "Comparison": "EQUALS"},
                ]
            },
            [6],
        ),
        ({"ResourceTags": [{"Key": "env", "Value": "prod", "Comparison": "EQUALS"}]}, [0, 2, 3, 9]),
        ({"ProductFields": [{"Key": "n", "Value": "7", "Comparison": "EQUALS"}]}, [7]),
    ],
)
def test_map_filters(hub: Any, filters: dict[str, Any], expected: list[int]) -> None:
    assert _base(hub, filters) == expected


@pytest.mark.parametrize(
    ("criteria", "expected"),
    [
        ([{"Field": "UpdatedAt", "SortOrder": "desc"}], list(range(10))),
        ([{"Field": "UpdatedAt", "SortOrder": "asc"}], list(range(9, -1, -1))),
        ([{"Field": "SeverityNormalized", "SortOrder": "desc"}], [0, 2, 1, 5, 4, 3, 7, 6, 8, 9]),
        ([{"Field": "Severity.Normalized", "SortOrder": "asc"}], [8, 9, 6, 7, 3, 4, 5, 1, 2, 0]),
        (
            [{"Field": "Severity.Label", "SortOrder": "desc"}, {"Field": "UpdatedAt", "SortOrder": "asc"}],
            [0, 2, 1, 5, 4, 3, 7, 6, 9, 8],
        ),
        (
            [{"Field": "SeverityLabel", "SortOrder": "desc"}, {"Field": "UpdatedAt", "SortOrder": "asc"}],
            [0, 2, 1, 5, 4, 3, 7, 6, 9, 8],
        ),
        (
            [{"Field": "Title", "SortOrder": "asc"}],
            [n for _, n in sorted((spec.title, spec.n) for spec in BASE)],
        ),
    ],
)
def test_sort(hub: Any, criteria: list[dict[str, str]], expected: list[int]) -> None:
    assert _base(hub, SortCriteria=criteria) == expected


def test_sort_on_an_unknown_field_is_rejected(hub: Any) -> None:
    with pytest.raises(ClientError) as excinfo:
        hub.get_findings(SortCriteria=[{"Field": "Bogus", "SortOrder": "asc"}])
    assert _error(excinfo) == ("InvalidInputException", 400)


@pytest.mark.parametrize("page_size", [1, 3, 4, 10])
def test_paginator_returns_every_finding_once(hub: Any, page_size: int) -> None:
    params = {
        "Filters": {"ProductFields": [SUITE]},
        "SortCriteria": [{"Field": "UpdatedAt", "SortOrder": "asc"}],
        "PaginationConfig": {"PageSize": page_size},
    }
    pages = list(hub.get_paginator("get_findings").paginate(**params))
    numbers = [int(f["ProductFields"]["n"]) for p in pages for f in p["Findings"]]
    assert numbers == list(range(9, -1, -1))
    assert len(pages) == -(-10 // page_size)
    assert all(len(p["Findings"]) == page_size for p in pages[:-1])
    assert "NextToken" not in pages[-1]


def test_paging_limits_and_tokens(hub: Any) -> None:
    with pytest.raises(ClientError) as excinfo:
        hub.get_findings(MaxResults=101)
    assert _error(excinfo) == ("InvalidInputException", 400)
    first = hub.get_findings(Filters={"ProductFields": [SUITE]}, MaxResults=2)
    assert len(first["Findings"]) == 2
    with pytest.raises(ClientError) as excinfo:
        hub.get_findings(
            Filters={"ProductFields": [SUITE]},
            MaxResults=2,
            SortCriteria=[{"Field": "Title", "SortOrder": "asc"}],
            NextToken=first["NextToken"],
        )
    assert _error(excinfo) == ("InvalidInputException", 400)
    everything = hub.get_findings(Filters={"ProductFields": [SUITE]})
    assert len(everything["Findings"]) == 10 and "NextToken" not in everything


# --------------------------------------------------------------------------------------------
# BatchUpdateFindings
# --------------------------------------------------------------------------------------------


def _import_for_update(hub: Any, tag: str, count: int) -> list[dict[str, Any]]:
    findings = []
    for n in range(count):
        finding = _asff(BASE[n])
        finding.update(Id=f"warroom-test/update/{tag}/{n}", ProductFields={"suite": "update", "n": str(n)})
        findings.append(finding)
    assert hub.batch_import_findings(Findings=findings)["FailedCount"] == 0
    return findings


def _get(hub: Any, finding_id: str) -> dict[str, Any]:
    (finding,) = hub.get_findings(Filters={"Id": [_eq(finding_id)]})["Findings"]
    result: dict[str, Any] = finding
    return result


def _ident(finding: dict[str, Any]) -> dict[str, str]:
    return {"Id": finding["Id"], "ProductArn": finding["ProductArn"]}


def test_batch_update_changes_the_finding_but_not_updated_at(hub: Any) -> None:
    sent = _import_for_update(hub, "fields", 2)
    assert _get(hub, sent[0]["Id"])["Workflow"]["Status"] == "NEW"
    before = datetime.now(UTC) - timedelta(seconds=1)
    result = hub.batch_update_findings(
        FindingIdentifiers=[_ident(f) for f in sent],
        Workflow={"Status": "RESOLVED"},
        Note={"Text": "Closed port 22", "UpdatedBy": "warroom"},
        Severity={"Label": "LOW"},
        VerificationState="TRUE_POSITIVE",
        UserDefinedFields={"ticket": "SEC-1", "owner": "dave"},
        Confidence=55,
        Criticality=80,
        Types=["Effects/Data Exposure"],
    )
    assert result["ProcessedFindings"] == [_ident(f) for f in sent]
    assert result["UnprocessedFindings"] == []
    for original in sent:
        got = _get(hub, original["Id"])
        assert got["Workflow"]["Status"] == "RESOLVED"
        assert got["WorkflowState"] == original["WorkflowState"]
        assert got["Note"]["Text"] == "Closed port 22" and got["Note"]["UpdatedBy"] == "warroom"
        noted = datetime.fromisoformat(got["Note"]["UpdatedAt"])
        assert before <= noted <= datetime.now(UTC) + timedelta(seconds=1)
        assert got["Severity"]["Label"] == "LOW" and got["Severity"]["Normalized"] == 1
        assert got["Severity"]["Original"] == original["Severity"]["Original"]
        assert got["VerificationState"] == "TRUE_POSITIVE"
        assert got["UserDefinedFields"] == {
            **original["UserDefinedFields"],
            "ticket": "SEC-1",
            "owner": "dave",
        }
        assert (got["Confidence"], got["Criticality"], got["Types"]) == (55, 80, ["Effects/Data Exposure"])
        assert got["UpdatedAt"] == original["UpdatedAt"]
        assert got["Title"] == original["Title"]


@pytest.mark.parametrize(("normalized", "label"), [(0, "INFORMATIONAL"), (45, "MEDIUM"), (95, "CRITICAL")])
def test_batch_update_normalized_sets_the_label(hub: Any, normalized: int, label: str) -> None:
    (sent,) = _import_for_update(hub, f"normalized-{normalized}", 1)
    hub.batch_update_findings(FindingIdentifiers=[_ident(sent)], Severity={"Normalized": normalized})
    assert _get(hub, sent["Id"])["Severity"]["Label"] == label


def test_batch_update_reports_unknown_and_duplicated_findings(hub: Any) -> None:
    first, second = _import_for_update(hub, "unknown", 2)
    unknown = {"Id": "warroom-test/no-such-finding", "ProductArn": PRODUCT}
    wrong_product = {"Id": first["Id"], "ProductArn": CONTROL_PRODUCT}
    result = hub.batch_update_findings(
        FindingIdentifiers=[_ident(first), unknown, wrong_product, _ident(second), _ident(second)],
        Workflow={"Status": "RESOLVED"},
    )
    assert result["ProcessedFindings"] == [_ident(first)]
    codes = [
        (u["FindingIdentifier"], u["ErrorCode"], u["ErrorMessage"]) for u in result["UnprocessedFindings"]
    ]
    assert codes == [
        (unknown, "FindingNotFound", "Finding Not Found"),
        (wrong_product, "FindingNotFound", "Finding Not Found"),
        (_ident(second), "DuplicatedFindingIdentifier", "Finding Identifier is duplicated"),
        (_ident(second), "DuplicatedFindingIdentifier", "Finding Identifier is duplicated"),
    ]
    assert _get(hub, first["Id"])["Workflow"]["Status"] == "RESOLVED"
    assert _get(hub, second["Id"])["Workflow"]["Status"] == second["Workflow"]["Status"] == "NOTIFIED"


def test_batch_update_takes_at_most_100_findings(hub: Any) -> None:
    identifiers = [{"Id": f"warroom-test/missing/{n}", "ProductArn": PRODUCT} for n in range(101)]
    with pytest.raises(ClientError) as excinfo:
        hub.batch_update_findings(FindingIdentifiers=identifiers, Workflow={"Status": "RESOLVED"})
    assert _error(excinfo) == ("InvalidInputException", 400)
    result = hub.batch_update_findings(FindingIdentifiers=identifiers[:100], Workflow={"Status": "RESOLVED"})
    assert len(result["UnprocessedFindings"]) == 100 and result["ProcessedFindings"] == []


@pytest.mark.parametrize(
    "update",
    [
        {"Workflow": {"Status": "CLOSED"}},
        {"VerificationState": "MAYBE"},
        {"Severity": {"Label": "SEVERE"}},
        {"Severity": {"Normalized": 101}},
        {"Confidence": 101},
        {"Types": ["Not a namespace/x"]},
        {"Note": {"Text": "x" * 513, "UpdatedBy": "me"}},
        {},
    ],
)
def test_batch_update_rejects_invalid_input(hub: Any, update: dict[str, Any]) -> None:
    (sent,) = _import_for_update(hub, "invalid", 1)
    with pytest.raises(ClientError) as excinfo:
        hub.batch_update_findings(FindingIdentifiers=[_ident(sent)], **update)
    assert _error(excinfo) == ("InvalidInputException", 400)
    got = _get(hub, sent["Id"])
    assert (got["Workflow"], got["Severity"]) == (sent["Workflow"], sent["Severity"])


def test_reimport_after_update_keeps_the_workflow_until_reopened(hub: Any) -> None:
    (sent,) = _import_for_update(hub, "reimport", 1)
    hub.batch_update_findings(
        FindingIdentifiers=[_ident(sent)], Workflow={"Status": "RESOLVED"}, Severity={"Label": "LOW"}
    )
    archived = {**sent, "Title": "Renamed", "RecordState": "ARCHIVED", "UpdatedAt": _ts(NOW)}
    hub.batch_import_findings(Findings=[archived])
    got = _get(hub, sent["Id"])
    assert got["Title"] == "Renamed" and got["UpdatedAt"] == _ts(NOW)
    assert got["Workflow"]["Status"] == "RESOLVED" and got["Severity"]["Label"] == "LOW"
    hub.batch_import_findings(Findings=[{**archived, "RecordState": "ACTIVE"}])
    assert _get(hub, sent["Id"])["Workflow"]["Status"] == "NEW"


# --------------------------------------------------------------------------------------------
# GetEnabledStandards
# --------------------------------------------------------------------------------------------


def test_enabled_standards_after_enabling_the_hub(hub: Any) -> None:
    subscriptions = hub.get_enabled_standards()["StandardsSubscriptions"]
    assert [s["StandardsArn"] for s in subscriptions] == [
        "arn:aws:securityhub:::ruleset/cis-aws-foundations-benchmark/v/1.2.0",
        f"arn:aws:securityhub:{REGION}::standards/aws-foundational-security-best-practices/v/1.0.0",
    ]
    assert {s["StandardsStatus"] for s in subscriptions} == {"READY"}
    cis = subscriptions[0]["StandardsSubscriptionArn"]
    assert cis == f"arn:aws:securityhub:{REGION}:{ACCOUNT}:subscription/cis-aws-foundations-benchmark/v/1.2.0"
    chosen = hub.get_enabled_standards(StandardsSubscriptionArns=[cis])["StandardsSubscriptions"]
    assert chosen == [subscriptions[0]]
    paged = list(hub.get_paginator("get_enabled_standards").paginate(PaginationConfig={"PageSize": 1}))
    assert [s for p in paged for s in p["StandardsSubscriptions"]] == subscriptions


def test_enabled_standards_follow_the_hub_and_its_default_standards() -> None:
    from moto.core.exceptions import ServiceException
    from moto.securityhub.models import securityhub_backends

    securityhub.install()
    backend: Any = securityhub_backends["111111111111"][REGION]
    with pytest.raises(ServiceException) as excinfo:
        backend.get_enabled_standards({})
    assert excinfo.value.code == "InvalidAccessException"
    backend.enable_security_hub(enable_default_standards=False)
    assert backend.get_enabled_standards({}) == {"StandardsSubscriptions": []}
    backend.disable_security_hub()
    backend.enable_security_hub()
    assert len(backend.get_enabled_standards({})["StandardsSubscriptions"]) == 2
