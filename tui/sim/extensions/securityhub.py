"""Security Hub operations and semantics that moto 5.2.5 lacks.

``install()`` patches moto's Security Hub in place:

* GetFindings honours ``Filters`` (every AwsSecurityFindingFilters key that maps onto an ASFF
  attribute) and ``SortCriteria``, and pages with a NextToken tied to the query;
* BatchImportFindings keys findings by (Id, ProductArn), keeps every field it is given, fills
  the defaults Security Hub fills (Workflow, WorkflowState, RecordState, the missing half of
  Severity) and applies the update rules of a re-import: the workflow fields stay the customer's,
  the workflow status goes back to NEW when a finding is re-opened, and control findings that
  pass are RESOLVED;
* BatchUpdateFindings (PATCH /findings/batchupdate) is added;
* GetEnabledStandards (POST /standards/get) is added: moto has no standards subscriptions, so it
  answers with the two default standards once the hub was enabled with ``EnableDefaultStandards``;
* GetFindings and BatchUpdateFindings cover every hub the caller sees
  (``tui.sim.extensions.securityhub_aggregation``): an administrator's member accounts, and in a
  finding aggregator's home Region the linked Regions too; the set is filtered, sorted and paged
  as one, and an administrator's update lands on the member's finding where it lives.

The finding logic is pure (plain dicts in, plain dicts out) and raises :class:`InvalidInput`;
the functions at the end adapt it to moto's backend and response classes. moto's server builds
each service's routes from ``moto.securityhub.urls.url_paths`` on the service's first request,
so ``install()`` must run before that.
"""

# moto is imported inside the functions, for start-up time: see tui/sim/extensions/__init__.py.
from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import inspect
import ipaddress
import json
import logging
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from tui.sim.extensions import securityhub_aggregation as aggregation
from tui.sim.extensions._common import json_params

logger = logging.getLogger(__name__)

SEVERITY_LABELS = ("INFORMATIONAL", "LOW", "MEDIUM", "HIGH", "CRITICAL")
# Normalized severity Security Hub derives from a label given alone.
LABEL_NORMALIZED = {"INFORMATIONAL": 0, "LOW": 1, "MEDIUM": 40, "HIGH": 70, "CRITICAL": 90}
WORKFLOW_STATUSES = ("NEW", "NOTIFIED", "RESOLVED", "SUPPRESSED")
VERIFICATION_STATES = ("UNKNOWN", "TRUE_POSITIVE", "FALSE_POSITIVE", "BENIGN_POSITIVE")
RECORD_STATES = ("ACTIVE", "ARCHIVED")
COMPLIANCE_STATUSES = ("PASSED", "WARNING", "FAILED", "NOT_AVAILABLE")
TYPE_NAMESPACES = (
    "Software and Configuration Checks",
    "TTPs",
    "Effects",
    "Unusual Behaviors",
    "Sensitive Data Identifications",
)

MAX_UPDATE_IDENTIFIERS = 100
MAX_FILTER_FIELDS = 10
MAX_FILTER_VALUES = 20
MAX_NOTE_TEXT = 512
DEFAULT_MAX_RESULTS = 100
MAX_RESULTS = 100

# Fields that belong to the customer once a finding exists: BatchImportFindings leaves them alone.
CUSTOMER_FIELDS = ("Note", "UserDefinedFields", "VerificationState", "Workflow")
# Fields a provider may re-import only until BatchUpdateFindings has set them.
UPDATE_OWNED_FIELDS = ("Confidence", "Criticality", "RelatedFindings", "Severity", "Types")

# The attributes of AwsSecurityFinding, which a sort field's first segment must name.
# fmt: off
ASFF_ATTRIBUTES = (
    "SchemaVersion", "Id", "ProductArn", "ProductName", "CompanyName", "Region", "GeneratorId",
    "AwsAccountId", "Types", "FirstObservedAt", "LastObservedAt", "CreatedAt", "UpdatedAt", "Severity",
    "Confidence", "Criticality", "Title", "Description", "Remediation", "SourceUrl", "ProductFields",
    "UserDefinedFields", "Malware", "Network", "NetworkPath", "Process", "Threats",
    "ThreatIntelIndicators", "Resources", "Compliance", "VerificationState", "WorkflowState",
    "Workflow", "RecordState", "RelatedFindings", "Note", "Vulnerabilities", "PatchSummary", "Action",
    "FindingProviderFields", "Sample", "GeneratorDetails", "ProcessedAt", "AwsAccountName",
    "Detection",
)
# fmt: on


class InvalidInput(ValueError):
    """A request Security Hub rejects with InvalidInputException."""


# --------------------------------------------------------------------------------------------
# Reading values out of a finding
# --------------------------------------------------------------------------------------------

Kind = Literal["string", "date", "number", "map", "boolean", "ip"]


@dataclass(frozen=True)
class FieldSpec:
    """Where a filter key's values live in a finding (a dotted ASFF path) and how they compare."""

    kind: Kind
    path: str


def _s(path: str) -> FieldSpec:
    return FieldSpec("string", path)


def _d(path: str) -> FieldSpec:
    return FieldSpec("date", path)


def _n(path: str) -> FieldSpec:
    return FieldSpec("number", path)


def _m(path: str) -> FieldSpec:
    return FieldSpec("map", path)


def _ip(path: str) -> FieldSpec:
    return FieldSpec("ip", path)


_EC2 = "Resources.Details.AwsEc2Instance."
_KEY = "Resources.Details.AwsIamAccessKey."
_CONTAINER = "Resources.Details.Container."
_FPF = "FindingProviderFields."

# AwsSecurityFindingFilters key -> finding path. Lists met along a path are flattened, so
# "Resources.Type" yields the type of every resource and a filter matches if any of them does.
# Keyword is absent: it is deprecated and names no attribute of a finding.
FIELDS: dict[str, FieldSpec] = {
    "ProductArn": _s("ProductArn"),
    "AwsAccountId": _s("AwsAccountId"),
    "AwsAccountName": _s("AwsAccountName"),
    "Id": _s("Id"),
    "GeneratorId": _s("GeneratorId"),
    "Region": _s("Region"),
    "Type": _s("Types"),
    "FirstObservedAt": _d("FirstObservedAt"),
    "LastObservedAt": _d("LastObservedAt"),
    "CreatedAt": _d("CreatedAt"),
    "UpdatedAt": _d("UpdatedAt"),
    "SeverityProduct": _n("Severity.Product"),
    "SeverityNormalized": _n("Severity.Normalized"),
    "SeverityLabel": _s("Severity.Label"),
    "Confidence": _n("Confidence"),
    "Criticality": _n("Criticality"),
    "Title": _s("Title"),
    "Description": _s("Description"),
    "RecommendationText": _s("Remediation.Recommendation.Text"),
    "SourceUrl": _s("SourceUrl"),
    "ProductFields": _m("ProductFields"),
    "ProductName": _s("ProductName"),
    "CompanyName": _s("CompanyName"),
    "UserDefinedFields": _m("UserDefinedFields"),
    "MalwareName": _s("Malware.Name"),
    "MalwareType": _s("Malware.Type"),
    "MalwarePath": _s("Malware.Path"),
    "MalwareState": _s("Malware.State"),
    "NetworkDirection": _s("Network.Direction"),
    "NetworkProtocol": _s("Network.Protocol"),
    "NetworkSourceIpV4": _ip("Network.SourceIpV4"),
    "NetworkSourceIpV6": _ip("Network.SourceIpV6"),
    "NetworkSourcePort": _n("Network.SourcePort"),
    "NetworkSourceDomain": _s("Network.SourceDomain"),
    "NetworkSourceMac": _s("Network.SourceMac"),
    "NetworkDestinationIpV4": _ip("Network.DestinationIpV4"),
    "NetworkDestinationIpV6": _ip("Network.DestinationIpV6"),
    "NetworkDestinationPort": _n("Network.DestinationPort"),
    "NetworkDestinationDomain": _s("Network.DestinationDomain"),
    "ProcessName": _s("Process.Name"),
    "ProcessPath": _s("Process.Path"),
    "ProcessPid": _n("Process.Pid"),
    "ProcessParentPid": _n("Process.ParentPid"),
    "ProcessLaunchedAt": _d("Process.LaunchedAt"),
    "ProcessTerminatedAt": _d("Process.TerminatedAt"),
    "ThreatIntelIndicatorType": _s("ThreatIntelIndicators.Type"),
    "ThreatIntelIndicatorValue": _s("ThreatIntelIndicators.Value"),
    "ThreatIntelIndicatorCategory": _s("ThreatIntelIndicators.Category"),
    "ThreatIntelIndicatorLastObservedAt": _d("ThreatIntelIndicators.LastObservedAt"),
    "ThreatIntelIndicatorSource": _s("ThreatIntelIndicators.Source"),
    "ThreatIntelIndicatorSourceUrl": _s("ThreatIntelIndicators.SourceUrl"),
    "ResourceType": _s("Resources.Type"),
    "ResourceId": _s("Resources.Id"),
    "ResourcePartition": _s("Resources.Partition"),
    "ResourceRegion": _s("Resources.Region"),
    "ResourceTags": _m("Resources.Tags"),
    "ResourceAwsEc2InstanceType": _s(_EC2 + "Type"),
    "ResourceAwsEc2InstanceImageId": _s(_EC2 + "ImageId"),
    "ResourceAwsEc2InstanceIpV4Addresses": _ip(_EC2 + "IpV4Addresses"),
    "ResourceAwsEc2InstanceIpV6Addresses": _ip(_EC2 + "IpV6Addresses"),
    "ResourceAwsEc2InstanceKeyName": _s(_EC2 + "KeyName"),
    "ResourceAwsEc2InstanceIamInstanceProfileArn": _s(_EC2 + "IamInstanceProfileArn"),
    "ResourceAwsEc2InstanceVpcId": _s(_EC2 + "VpcId"),
    "ResourceAwsEc2InstanceSubnetId": _s(_EC2 + "SubnetId"),
    "ResourceAwsEc2InstanceLaunchedAt": _d(_EC2 + "LaunchedAt"),
    "ResourceAwsS3BucketOwnerId": _s("Resources.Details.AwsS3Bucket.OwnerId"),
    "ResourceAwsS3BucketOwnerName": _s("Resources.Details.AwsS3Bucket.OwnerName"),
    "ResourceAwsIamAccessKeyUserName": _s(_KEY + "UserName"),
    "ResourceAwsIamAccessKeyPrincipalName": _s(_KEY + "PrincipalName"),
    "ResourceAwsIamAccessKeyStatus": _s(_KEY + "Status"),
    "ResourceAwsIamAccessKeyCreatedAt": _d(_KEY + "CreatedAt"),
    "ResourceAwsIamUserUserName": _s("Resources.Details.AwsIamUser.UserName"),
    "ResourceContainerName": _s(_CONTAINER + "Name"),
    "ResourceContainerImageId": _s(_CONTAINER + "ImageId"),
    "ResourceContainerImageName": _s(_CONTAINER + "ImageName"),
    "ResourceContainerLaunchedAt": _d(_CONTAINER + "LaunchedAt"),
    "ResourceDetailsOther": _m("Resources.Details.Other"),
    "ResourceApplicationName": _s("Resources.ApplicationName"),
    "ResourceApplicationArn": _s("Resources.ApplicationArn"),
    "ResourceOwnerAccountId": _s("Resources.Owner.Account.Id"),
    "ResourceOwnerOrgId": _s("Resources.Owner.Org.Id"),
    "ResourceProvider": _s("Resources.Provider"),
    "ComplianceStatus": _s("Compliance.Status"),
    "ComplianceSecurityControlId": _s("Compliance.SecurityControlId"),
    "ComplianceAssociatedStandardsId": _s("Compliance.AssociatedStandards.StandardsId"),
    "ComplianceSecurityControlParametersName": _s("Compliance.SecurityControlParameters.Name"),
    "ComplianceSecurityControlParametersValue": _s("Compliance.SecurityControlParameters.Value"),
    "VerificationState": _s("VerificationState"),
    "WorkflowState": _s("WorkflowState"),
    "WorkflowStatus": _s("Workflow.Status"),
    "RecordState": _s("RecordState"),
    "RelatedFindingsProductArn": _s("RelatedFindings.ProductArn"),
    "RelatedFindingsId": _s("RelatedFindings.Id"),
    "NoteText": _s("Note.Text"),
    "NoteUpdatedAt": _d("Note.UpdatedAt"),
    "NoteUpdatedBy": _s("Note.UpdatedBy"),
    "FindingProviderFieldsConfidence": _n(_FPF + "Confidence"),
    "FindingProviderFieldsCriticality": _n(_FPF + "Criticality"),
    "FindingProviderFieldsRelatedFindingsId": _s(_FPF + "RelatedFindings.Id"),
    "FindingProviderFieldsRelatedFindingsProductArn": _s(_FPF + "RelatedFindings.ProductArn"),
    "FindingProviderFieldsSeverityLabel": _s(_FPF + "Severity.Label"),
    "FindingProviderFieldsSeverityOriginal": _s(_FPF + "Severity.Original"),
    "FindingProviderFieldsTypes": _s(_FPF + "Types"),
    "Sample": FieldSpec("boolean", "Sample"),
    "VulnerabilitiesExploitAvailable": _s("Vulnerabilities.ExploitAvailable"),
    "VulnerabilitiesFixAvailable": _s("Vulnerabilities.FixAvailable"),
}

_SPEC_BY_PATH = {spec.path: spec for spec in FIELDS.values()}


def resolve(finding: Mapping[str, Any], path: str) -> list[Any]:
    """Every value at a dotted path, flattening the lists met on the way (and at the end)."""
    current: list[Any] = [finding]
    for segment in path.split("."):
        found: list[Any] = []
        for item in current:
            if isinstance(item, Mapping) and item.get(segment) is not None:
                found.append(item[segment])
        current = []
        for value in found:
            if isinstance(value, list):
                current.extend(v for v in value if v is not None)
            else:
                current.append(value)
    return current


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def parse_timestamp(value: Any) -> datetime | None:
    """An ASFF timestamp (RFC 3339; a value without an offset is UTC), or None if it is not one."""
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


# --------------------------------------------------------------------------------------------
# Filters
# --------------------------------------------------------------------------------------------

Predicate = Callable[[Mapping[str, Any]], bool]

STRING_COMPARISONS = ("EQUALS", "PREFIX", "NOT_EQUALS", "PREFIX_NOT_EQUALS", "CONTAINS", "NOT_CONTAINS")
MAP_COMPARISONS = ("EQUALS", "NOT_EQUALS")
_NEGATIVE = {"NOT_EQUALS": "EQUALS", "PREFIX_NOT_EQUALS": "PREFIX", "NOT_CONTAINS": "CONTAINS"}


def _compare(value: str, comparison: str, target: str) -> bool:
    """Whether ``value`` satisfies the positive form of ``comparison`` against ``target``."""
    if comparison == "EQUALS":
        return value == target
    if comparison == "PREFIX":
        return value.startswith(target)
    return target in value


def _check_combination(name: str, comparisons: set[str]) -> None:
    if "CONTAINS" in comparisons and comparisons != {"CONTAINS"}:
        raise InvalidInput(f"Filter {name}: CONTAINS can only be combined with other CONTAINS filters.")
    if "NOT_CONTAINS" in comparisons and comparisons != {"NOT_CONTAINS"}:
        raise InvalidInput(
            f"Filter {name}: NOT_CONTAINS can only be combined with other NOT_CONTAINS filters."
        )
    if "EQUALS" in comparisons and comparisons & {"NOT_EQUALS", "PREFIX_NOT_EQUALS"}:
        raise InvalidInput(
            f"Filter {name}: EQUALS can't be combined with NOT_EQUALS or PREFIX_NOT_EQUALS on the same field."
        )


def _conditions(name: str, raw: Any, allowed: Sequence[str]) -> list[tuple[str, str]]:
    conditions: list[tuple[str, str]] = []
    for item in raw:
        if not isinstance(item, Mapping):
            raise InvalidInput(f"Filter {name}: each condition must be an object.")
        value, comparison = item.get("Value"), item.get("Comparison")
        if not isinstance(value, str) or not value:
            raise InvalidInput(f"Filter {name}: Value must be a non-empty string.")
        if comparison not in allowed:
            raise InvalidInput(
                f"Filter {name}: Comparison must be one of {', '.join(allowed)}, not {comparison!r}."
            )
        conditions.append((str(comparison), value))
    return conditions


def _values_predicate(
    conditions: Sequence[tuple[str, str]], values_of: Callable[[Mapping[str, Any]], list[str]]
) -> Predicate:
    """Positive conditions are ORed, negative ones ANDed; a list of values matches a positive
    condition if any value does, and a negative one if no value matches its positive form."""
    positive = [(c, v) for c, v in conditions if c not in _NEGATIVE]
    negative = [(_NEGATIVE[c], v) for c, v in conditions if c in _NEGATIVE]

    def matches(finding: Mapping[str, Any]) -> bool:
        values = values_of(finding)
        if positive and not any(_compare(x, c, v) for c, v in positive for x in values):
            return False
        return not any(_compare(x, c, v) for c, v in negative for x in values)

    return matches


def _string_predicate(name: str, spec: FieldSpec, raw: Any) -> Predicate:
    conditions = _conditions(name, raw, STRING_COMPARISONS)
    _check_combination(name, {c for c, _ in conditions})
    return _values_predicate(conditions, lambda f: [_text(v) for v in resolve(f, spec.path)])


def _map_predicate(name: str, spec: FieldSpec, raw: Any) -> Predicate:
    """Map filters are grouped by key: conditions on one key combine as for a string field, and
    different keys are ANDed."""
    by_key: dict[str, list[dict[str, Any]]] = {}
    for item in raw:
        if not isinstance(item, Mapping):
            raise InvalidInput(f"Filter {name}: each condition must be an object.")
        key = item.get("Key")
        if not isinstance(key, str) or not key:
            raise InvalidInput(f"Filter {name}: Key must be a non-empty string.")
        by_key.setdefault(key, []).append(dict(item))
    predicates: list[Predicate] = []
    for key, items in by_key.items():
        label = f"{name}.{key}"
        if any(item.get("Comparison") in ("CONTAINS", "NOT_CONTAINS") for item in items):
            raise InvalidInput(
                f"Filter {label}: CONTAINS and NOT_CONTAINS map filters work only in automation rules."
            )
        conditions = _conditions(label, items, MAP_COMPARISONS)
        _check_combination(label, {c for c, _ in conditions})

        def values_of(finding: Mapping[str, Any], key: str = key) -> list[str]:
            maps = resolve(finding, spec.path)
            return [_text(m[key]) for m in maps if isinstance(m, Mapping) and m.get(key) is not None]

        predicates.append(_values_predicate(conditions, values_of))
    return lambda finding: all(p(finding) for p in predicates)


def _date_bounds(name: str, item: Any, now: datetime) -> tuple[datetime | None, datetime | None]:
    if not isinstance(item, Mapping):
        raise InvalidInput(f"Filter {name}: each condition must be an object.")
    date_range = item.get("DateRange")
    if date_range is not None:
        if not isinstance(date_range, Mapping):
            raise InvalidInput(f"Filter {name}: DateRange must be an object.")
        value, unit = date_range.get("Value"), date_range.get("Unit")
        comparison = date_range.get("Comparison", "WITHIN")
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise InvalidInput(f"Filter {name}: DateRange.Value must be a non-negative integer.")
        if unit != "DAYS":
            raise InvalidInput(f"Filter {name}: DateRange.Unit must be DAYS.")
        cutoff = now - timedelta(days=value)
        if comparison == "WITHIN":
            return cutoff, None
        if comparison == "OLDER_THAN":
            return None, cutoff - timedelta(microseconds=1)
        raise InvalidInput(f"Filter {name}: DateRange.Comparison must be WITHIN or OLDER_THAN.")
    start, end = item.get("Start"), item.get("End")
    if start is None and end is None:
        raise InvalidInput(f"Filter {name}: give Start and End, or DateRange.")
    bounds: list[datetime | None] = []
    for label, raw in (("Start", start), ("End", end)):
        moment = parse_timestamp(raw) if raw is not None else None
        if raw is not None and moment is None:
            raise InvalidInput(f"Filter {name}: {label} {raw!r} is not a valid timestamp.")
        bounds.append(moment)
    return bounds[0], bounds[1]


def _date_predicate(name: str, spec: FieldSpec, raw: Any, now: datetime) -> Predicate:
    ranges = [_date_bounds(name, item, now) for item in raw]

    def matches(finding: Mapping[str, Any]) -> bool:
        moments = [m for m in (parse_timestamp(v) for v in resolve(finding, spec.path)) if m is not None]
        return any(
            (low is None or m >= low) and (high is None or m <= high) for m in moments for low, high in ranges
        )

    return matches


_NUMBER_TESTS: dict[str, Callable[[float, float], bool]] = {
    "Gte": lambda x, y: x >= y,
    "Lte": lambda x, y: x <= y,
    "Eq": lambda x, y: x == y,
    "Gt": lambda x, y: x > y,
    "Lt": lambda x, y: x < y,
}


def _number_predicate(name: str, spec: FieldSpec, raw: Any) -> Predicate:
    groups: list[list[tuple[Callable[[float, float], bool], float]]] = []
    for item in raw:
        if not isinstance(item, Mapping):
            raise InvalidInput(f"Filter {name}: each condition must be an object.")
        tests = []
        for key, value in item.items():
            if key not in _NUMBER_TESTS:
                raise InvalidInput(f"Filter {name}: unknown number condition {key!r}.")
            bound = _number(value)
            if bound is None or isinstance(value, str):
                raise InvalidInput(f"Filter {name}: {key} must be a number.")
            tests.append((_NUMBER_TESTS[key], bound))
        if not tests:
            raise InvalidInput(f"Filter {name}: give at least one of Gte, Lte, Eq, Gt, Lt.")
        groups.append(tests)

    def matches(finding: Mapping[str, Any]) -> bool:
        numbers = [n for n in (_number(v) for v in resolve(finding, spec.path)) if n is not None]
        return any(all(test(n, bound) for test, bound in group) for n in numbers for group in groups)

    return matches


def _boolean_predicate(name: str, spec: FieldSpec, raw: Any) -> Predicate:
    wanted: set[bool] = set()
    for item in raw:
        value = item.get("Value") if isinstance(item, Mapping) else None
        if not isinstance(value, bool):
            raise InvalidInput(f"Filter {name}: Value must be true or false.")
        wanted.add(value)
    return lambda finding: any(v is True for v in resolve(finding, spec.path)) in wanted


def _ip_predicate(name: str, spec: FieldSpec, raw: Any) -> Predicate:
    networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = []
    for item in raw:
        cidr = item.get("Cidr") if isinstance(item, Mapping) else None
        try:
            networks.append(ipaddress.ip_network(str(cidr), strict=False))
        except ValueError as exc:
            raise InvalidInput(f"Filter {name}: Cidr {cidr!r} is not a valid CIDR block.") from exc

    def matches(finding: Mapping[str, Any]) -> bool:
        for value in resolve(finding, spec.path):
            try:
                address = ipaddress.ip_address(str(value).split("/")[0])
            except ValueError:
                continue
            if any(address.version == n.version and address in n for n in networks):
                return True
        return False

    return matches


def compile_filters(filters: Any, *, now: datetime) -> Predicate:
    """One predicate for an AwsSecurityFindingFilters object: its fields are ANDed.

    Raises :class:`InvalidInput` for what Security Hub rejects: unknown keys, more than ten
    fields, more than twenty conditions on one field, malformed conditions and combinations the
    documentation forbids (CONTAINS with another comparison, NOT_CONTAINS with another,
    EQUALS with NOT_EQUALS or PREFIX_NOT_EQUALS).
    """
    if filters is None:
        return lambda finding: True
    if not isinstance(filters, Mapping):
        raise InvalidInput("Filters must be an object.")
    used = {name: raw for name, raw in filters.items() if raw}
    if len(used) > MAX_FILTER_FIELDS:
        raise InvalidInput(f"You can filter by up to {MAX_FILTER_FIELDS} finding attributes.")
    predicates: list[Predicate] = []
    for name, raw in used.items():
        spec = FIELDS.get(name)
        if spec is None:
            raise InvalidInput(f"Filter {name} is not supported.")
        if not isinstance(raw, list):
            raise InvalidInput(f"Filter {name} must be a list of conditions.")
        if len(raw) > MAX_FILTER_VALUES:
            raise InvalidInput(f"Filter {name}: you can provide up to {MAX_FILTER_VALUES} filter values.")
        if spec.kind == "string":
            predicates.append(_string_predicate(name, spec, raw))
        elif spec.kind == "map":
            predicates.append(_map_predicate(name, spec, raw))
        elif spec.kind == "date":
            predicates.append(_date_predicate(name, spec, raw, now))
        elif spec.kind == "number":
            predicates.append(_number_predicate(name, spec, raw))
        elif spec.kind == "boolean":
            predicates.append(_boolean_predicate(name, spec, raw))
        else:
            predicates.append(_ip_predicate(name, spec, raw))
    return lambda finding: all(p(finding) for p in predicates)


def filter_findings(findings: Iterable[Mapping[str, Any]], filters: Any, *, now: datetime) -> list[Any]:
    """The findings that match ``filters``, in their original order."""
    matches = compile_filters(filters, now=now)
    return [f for f in findings if matches(f)]


# --------------------------------------------------------------------------------------------
# Sorting
# --------------------------------------------------------------------------------------------

SortKey = tuple[int, Any]


@dataclass(frozen=True)
class SortField:
    """One validated sort criterion."""

    path: str
    kind: Kind | None
    descending: bool


def _sort_field(raw: Any) -> SortField:
    if not isinstance(raw, Mapping):
        raise InvalidInput("Each sort criterion must be an object.")
    name, order = raw.get("Field"), raw.get("SortOrder", "asc")
    if not isinstance(name, str) or not name:
        raise InvalidInput("SortCriteria Field must be a non-empty string.")
    if order not in ("asc", "desc"):
        raise InvalidInput(f"SortOrder must be asc or desc, not {order!r}.")
    spec = FIELDS.get(name) or _SPEC_BY_PATH.get(name)
    if spec is not None:
        return SortField(spec.path, spec.kind, order == "desc")
    if name.split(".")[0] not in ASFF_ATTRIBUTES:
        raise InvalidInput(f"SortCriteria Field {name!r} is not a finding attribute.")
    return SortField(name, None, order == "desc")


def _sort_key(field_: SortField, finding: Mapping[str, Any]) -> SortKey | None:
    values = resolve(finding, field_.path)
    if not values:
        return None
    value = values[0]
    if field_.path.endswith("Severity.Label") and value in SEVERITY_LABELS:
        return (0, SEVERITY_LABELS.index(value))
    if field_.kind == "date":
        moment = parse_timestamp(value)
        if moment is not None:
            return (0, moment)
    number = _number(value) if not isinstance(value, str) else None
    if number is not None:
        return (1, number)
    if isinstance(value, str | bool):
        return (2, _text(value))
    return (3, json.dumps(value, sort_keys=True, default=str))


def sort_findings(findings: Iterable[Mapping[str, Any]], criteria: Any) -> list[Any]:
    """The findings ordered by ``SortCriteria``: stable, earlier criteria first, missing values last.

    A Field is a filter key (``SeverityLabel``) or a dotted ASFF path (``Severity.Label``). Severity
    labels order by rank (INFORMATIONAL lowest), as their normalized scores do.
    """
    items = list(findings)
    if criteria is None:
        return items
    if not isinstance(criteria, list):
        raise InvalidInput("SortCriteria must be a list.")
    fields = [_sort_field(raw) for raw in criteria]
    for sort_field in reversed(fields):
        keyed = [(_sort_key(sort_field, f), f) for f in items]
        present = [(k, f) for k, f in keyed if k is not None]
        missing = [f for k, f in keyed if k is None]
        present.sort(key=lambda pair: pair[0], reverse=sort_field.descending)
        items = [f for _, f in present] + missing
    return items


# --------------------------------------------------------------------------------------------
# Pagination
# --------------------------------------------------------------------------------------------


def identity(finding: Mapping[str, Any]) -> tuple[str, str]:
    """A finding's identity in Security Hub: its Id and ProductArn."""
    return (str(finding.get("Id", "")), str(finding.get("ProductArn", "")))


def query_digest(*parts: Any) -> str:
    """A short digest of a query, tying a NextToken to the filters and sort it was made for."""
    canonical = json.dumps(parts, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def parse_max_results(value: Any) -> int:
    """MaxResults checked against the model's bounds (1..100); absent means 100."""
    if value is None:
        return DEFAULT_MAX_RESULTS
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise InvalidInput("MaxResults must be a number between 1 and 100.")
    try:
        number = int(value)
    except ValueError as exc:
        raise InvalidInput("MaxResults must be a number between 1 and 100.") from exc
    if not 1 <= number <= MAX_RESULTS:
        raise InvalidInput("MaxResults must be a number between 1 and 100.")
    return number


def _encode_token(digest: str, offset: int, anchor: tuple[str, str]) -> str:
    raw = json.dumps({"q": digest, "o": offset, "a": list(anchor)}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode()


def _decode_token(token: str, digest: str) -> tuple[int, tuple[str, str]]:
    try:
        data = json.loads(base64.urlsafe_b64decode(token.encode()))
        offset, anchor = data["o"], data["a"]
        valid = (
            data["q"] == digest
            and isinstance(offset, int)
            and offset >= 0
            and isinstance(anchor, list)
            and len(anchor) == 2
            and all(isinstance(part, str) for part in anchor)
        )
    except (ValueError, KeyError, TypeError, binascii.Error) as exc:
        raise InvalidInput("The NextToken is invalid.") from exc
    if not valid:
        raise InvalidInput("The NextToken is invalid or was issued for a different query.")
    return offset, (anchor[0], anchor[1])


def page(
    items: Sequence[Mapping[str, Any]],
    *,
    limit: int,
    next_token: str | None,
    digest: str,
    key: Callable[[Mapping[str, Any]], tuple[str, str]] = identity,
) -> tuple[list[Any], str | None]:
    """One page of ``items`` and the token for the next one (None after the last page).

    The token names (by ``key``) the first item of the next page, so a page starts there even
    when items before it were added or dropped between calls; if that item is gone the page
    starts at the same position instead.
    """
    start = 0
    if next_token:
        offset, anchor = _decode_token(next_token, digest)
        start = min(offset, len(items))
        if not (start < len(items) and key(items[start]) == anchor):
            start = next((i for i, item in enumerate(items) if key(item) == anchor), start)
    chunk = list(items[start : start + limit])
    end = start + len(chunk)
    token = _encode_token(digest, end, key(items[end])) if end < len(items) else None
    return chunk, token


# --------------------------------------------------------------------------------------------
# Severity
# --------------------------------------------------------------------------------------------


def label_for_normalized(normalized: int) -> str:
    """The label Security Hub derives from a normalized score (0, 1-39, 40-69, 70-89, 90-100)."""
    if normalized <= 0:
        return "INFORMATIONAL"
    if normalized < 40:
        return "LOW"
    if normalized < 70:
        return "MEDIUM"
    if normalized < 90:
        return "HIGH"
    return "CRITICAL"


def completed_severity(severity: Mapping[str, Any]) -> dict[str, Any]:
    """A Severity with the missing one of Label and Normalized filled in from the other."""
    result = dict(severity)
    label, normalized = result.get("Label"), _number(result.get("Normalized"))
    if label is None and normalized is not None:
        result["Label"] = label_for_normalized(int(normalized))
    elif normalized is None and label in LABEL_NORMALIZED:
        result["Normalized"] = LABEL_NORMALIZED[label]
    return result


# --------------------------------------------------------------------------------------------
# BatchImportFindings
# --------------------------------------------------------------------------------------------


_OBJECT_FIELDS = (
    "Severity",
    "Workflow",
    "Compliance",
    "Note",
    "Remediation",
    "ProductFields",
    "UserDefinedFields",
    "FindingProviderFields",
)


def import_problem(finding: Any) -> str | None:
    """Why Security Hub would refuse to store ``finding``, or None."""
    if not isinstance(finding, Mapping):
        return "Finding must be an object"
    for name in ("Id", "ProductArn"):
        if not isinstance(finding.get(name), str) or not finding[name]:
            return f"Finding must have a non-empty {name}"
    for name in _OBJECT_FIELDS:
        if finding.get(name) is not None and not isinstance(finding[name], Mapping):
            return f"{name} must be an object"
    resources = finding.get("Resources")
    if not isinstance(resources, list) or not resources:
        return "Finding must contain at least one resource in the Resources array"
    checks: list[tuple[str, Any, Sequence[str]]] = [
        ("Severity.Label", _first(finding, "Severity.Label"), SEVERITY_LABELS),
        ("Workflow.Status", _first(finding, "Workflow.Status"), WORKFLOW_STATUSES),
        ("RecordState", finding.get("RecordState"), RECORD_STATES),
        ("Compliance.Status", _first(finding, "Compliance.Status"), COMPLIANCE_STATUSES),
        ("VerificationState", finding.get("VerificationState"), VERIFICATION_STATES),
    ]
    for name, value, allowed in checks:
        if value is not None and value not in allowed:
            return f"Invalid {name} {value!r}: must be one of {', '.join(allowed)}"
    return None


def _first(finding: Mapping[str, Any], path: str) -> Any:
    values = resolve(finding, path)
    return values[0] if values else None


def _is_control_finding(finding: Mapping[str, Any]) -> bool:
    return str(finding.get("ProductArn", "")).endswith(":product/aws/securityhub")


def _settle_workflow(finding: dict[str, Any], previous: Mapping[str, Any] | None) -> None:
    status = _first(finding, "Workflow.Status")
    if status is None:
        return
    reopened = previous is not None and (
        (previous.get("RecordState") == "ARCHIVED" and finding.get("RecordState") == "ACTIVE")
        or (
            _first(previous, "Compliance.Status") == "PASSED"
            and _first(finding, "Compliance.Status") in ("WARNING", "FAILED", "NOT_AVAILABLE")
        )
    )
    if reopened and status in ("NOTIFIED", "RESOLVED"):
        status = "NEW"
    passed = _first(finding, "Compliance.Status") == "PASSED"
    if _is_control_finding(finding) and passed and status in ("NEW", "NOTIFIED"):
        status = "RESOLVED"
    workflow = dict(finding.get("Workflow") or {})
    workflow["Status"] = status
    finding["Workflow"] = workflow


def new_finding(data: Mapping[str, Any]) -> dict[str, Any]:
    """A finding as Security Hub stores it on first import: every given field, plus defaults."""
    stored = dict(data)
    stored.setdefault("Workflow", {"Status": "NEW"})
    if not _first(stored, "Workflow.Status"):
        stored["Workflow"] = {**stored["Workflow"], "Status": "NEW"}
    stored.setdefault("WorkflowState", "NEW")
    stored.setdefault("RecordState", "ACTIVE")
    severity = stored.get("Severity")
    provider_label = _first(stored, "FindingProviderFields.Severity.Label")
    if not severity and provider_label in LABEL_NORMALIZED:
        severity = {"Label": provider_label}
        original = _first(stored, "FindingProviderFields.Severity.Original")
        if original is not None:
            severity["Original"] = original
    if isinstance(severity, Mapping) and severity:
        stored["Severity"] = completed_severity(severity)
    _settle_workflow(stored, None)
    return stored


def reimported_finding(
    previous: Mapping[str, Any], data: Mapping[str, Any], updated_fields: Iterable[str]
) -> dict[str, Any]:
    """A finding after a provider imports it again.

    The new record's fields replace the old ones, except the customer's fields (Note,
    UserDefinedFields, VerificationState, Workflow) and those BatchUpdateFindings has set
    (``updated_fields``); the workflow status then follows Security Hub's reset rules.
    """
    merged = dict(previous)
    merged.update(data)
    for name in (*CUSTOMER_FIELDS, *(f for f in updated_fields if f in UPDATE_OWNED_FIELDS)):
        if name in previous:
            merged[name] = previous[name]
        else:
            merged.pop(name, None)
    if isinstance(merged.get("Severity"), Mapping):
        merged["Severity"] = completed_severity(merged["Severity"])
    _settle_workflow(merged, previous)
    return merged


# --------------------------------------------------------------------------------------------
# BatchUpdateFindings
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FindingUpdate:
    """A validated BatchUpdateFindings request."""

    identifiers: tuple[tuple[str, str], ...]
    changes: dict[str, Any] = field(default_factory=dict)


def _ratio(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 100:
        raise InvalidInput(f"{name} must be an integer between 0 and 100.")
    return value


def _identifiers(raw: Any) -> tuple[tuple[str, str], ...]:
    if not isinstance(raw, list) or not raw:
        raise InvalidInput("FindingIdentifiers must list at least one finding.")
    if len(raw) > MAX_UPDATE_IDENTIFIERS:
        raise InvalidInput(
            f"BatchUpdateFindings can update up to {MAX_UPDATE_IDENTIFIERS} findings at a time; "
            f"{len(raw)} were given."
        )
    result = []
    for item in raw:
        if not isinstance(item, Mapping):
            raise InvalidInput("Each FindingIdentifier must be an object with Id and ProductArn.")
        finding_id, product_arn = item.get("Id"), item.get("ProductArn")
        if not isinstance(finding_id, str) or not finding_id:
            raise InvalidInput("Each FindingIdentifier needs a non-empty Id.")
        if not isinstance(product_arn, str) or not product_arn:
            raise InvalidInput("Each FindingIdentifier needs a non-empty ProductArn.")
        result.append((finding_id, product_arn))
    return tuple(result)


def _severity_change(raw: Any) -> dict[str, Any]:
    if not isinstance(raw, Mapping) or not raw:
        raise InvalidInput("Severity must give at least one of Label, Normalized, Product.")
    change: dict[str, Any] = {}
    for key, value in raw.items():
        if key == "Label":
            if value not in SEVERITY_LABELS:
                raise InvalidInput(f"Severity.Label must be one of {', '.join(SEVERITY_LABELS)}.")
            change["Label"] = value
        elif key == "Normalized":
            change["Normalized"] = _ratio("Severity.Normalized", value)
        elif key == "Product":
            if _number(value) is None or isinstance(value, str):
                raise InvalidInput("Severity.Product must be a number.")
            change["Product"] = value
        else:
            raise InvalidInput(f"Unknown Severity member {key!r}.")
    return change


def _note_change(raw: Any) -> dict[str, str]:
    if not isinstance(raw, Mapping):
        raise InvalidInput("Note must be an object with Text and UpdatedBy.")
    text, updated_by = raw.get("Text"), raw.get("UpdatedBy")
    if not isinstance(text, str) or not 1 <= len(text) <= MAX_NOTE_TEXT:
        raise InvalidInput(f"Note.Text must be 1 to {MAX_NOTE_TEXT} characters.")
    if not isinstance(updated_by, str) or not updated_by:
        raise InvalidInput("Note.UpdatedBy must be a non-empty string.")
    return {"Text": text, "UpdatedBy": updated_by}


def _types_change(raw: Any) -> list[str]:
    if not isinstance(raw, list) or not all(isinstance(t, str) and t for t in raw):
        raise InvalidInput("Types must be a list of non-empty strings.")
    for finding_type in raw:
        if finding_type.split("/")[0] not in TYPE_NAMESPACES:
            raise InvalidInput(
                f"Type {finding_type!r} must start with one of the namespaces {', '.join(TYPE_NAMESPACES)}."
            )
    return list(raw)


def _related_change(raw: Any) -> list[dict[str, str]]:
    if not isinstance(raw, list):
        raise InvalidInput("RelatedFindings must be a list of {Id, ProductArn}.")
    return [{"ProductArn": p, "Id": i} for i, p in _identifiers(raw)] if raw else []


def parse_update(params: Mapping[str, Any]) -> FindingUpdate:
    """A validated BatchUpdateFindings request body; :class:`InvalidInput` if Security Hub refuses it."""
    identifiers = _identifiers(params.get("FindingIdentifiers"))
    changes: dict[str, Any] = {}
    if params.get("Note") is not None:
        changes["Note"] = _note_change(params["Note"])
    if params.get("Severity") is not None:
        changes["Severity"] = _severity_change(params["Severity"])
    if params.get("VerificationState") is not None:
        if params["VerificationState"] not in VERIFICATION_STATES:
            raise InvalidInput(f"VerificationState must be one of {', '.join(VERIFICATION_STATES)}.")
        changes["VerificationState"] = params["VerificationState"]
    for name in ("Confidence", "Criticality"):
        if params.get(name) is not None:
            changes[name] = _ratio(name, params[name])
    if params.get("Types") is not None:
        changes["Types"] = _types_change(params["Types"])
    if params.get("UserDefinedFields") is not None:
        fields_ = params["UserDefinedFields"]
        if not isinstance(fields_, Mapping) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in fields_.items()
        ):
            raise InvalidInput("UserDefinedFields must map strings to strings.")
        changes["UserDefinedFields"] = dict(fields_)
    if params.get("Workflow") is not None:
        workflow = params["Workflow"]
        status = workflow.get("Status") if isinstance(workflow, Mapping) else None
        if status not in WORKFLOW_STATUSES:
            raise InvalidInput(
                f"Workflow.Status must be one of {', '.join(WORKFLOW_STATUSES)}, not {status!r}."
            )
        changes["Workflow"] = {"Status": status}
    if params.get("RelatedFindings") is not None:
        changes["RelatedFindings"] = _related_change(params["RelatedFindings"])
    if not changes:
        raise InvalidInput("BatchUpdateFindings needs at least one field to update.")
    return FindingUpdate(identifiers, changes)


def note_timestamp(now: datetime) -> str:
    """An ASFF timestamp: UTC, milliseconds, Z."""
    return now.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def updated_finding(
    finding: Mapping[str, Any], changes: Mapping[str, Any], *, now: datetime
) -> dict[str, Any]:
    """A finding with validated changes applied. UpdatedAt is left as it was."""
    finding = dict(finding)
    for name, value in changes.items():
        if name == "Note":
            finding["Note"] = {**value, "UpdatedAt": note_timestamp(now)}
        elif name == "Severity":
            severity = dict(finding.get("Severity") or {})
            severity.update(value)
            if "Label" in value and "Normalized" not in value:
                severity["Normalized"] = LABEL_NORMALIZED[value["Label"]]
            elif "Normalized" in value and "Label" not in value:
                severity["Label"] = label_for_normalized(value["Normalized"])
            finding["Severity"] = severity
        elif name == "UserDefinedFields":
            finding["UserDefinedFields"] = {**(finding.get("UserDefinedFields") or {}), **value}
        elif name == "Workflow":
            finding["Workflow"] = {**(finding.get("Workflow") or {}), **value}
        else:
            finding[name] = value
    return finding


def unprocessed(identifier: tuple[str, str], code: str, message: str) -> dict[str, Any]:
    return {
        "FindingIdentifier": {"Id": identifier[0], "ProductArn": identifier[1]},
        "ErrorCode": code,
        "ErrorMessage": message,
    }


# --------------------------------------------------------------------------------------------
# Standards
# --------------------------------------------------------------------------------------------


def default_standards(partition: str, region: str, account_id: str) -> list[dict[str, Any]]:
    """The subscriptions EnableSecurityHub makes with EnableDefaultStandards: CIS AWS Foundations
    Benchmark v1.2.0 and AWS Foundational Security Best Practices v1.0.0, both READY."""
    standards = (
        (
            f"arn:{partition}:securityhub:::ruleset/cis-aws-foundations-benchmark/v/1.2.0",
            "cis-aws-foundations-benchmark/v/1.2.0",
        ),
        (
            f"arn:{partition}:securityhub:{region}::standards/aws-foundational-security-best-practices/v/1.0.0",
            "aws-foundational-security-best-practices/v/1.0.0",
        ),
    )
    subscription = f"arn:{partition}:securityhub:{region}:{account_id}:subscription"
    return [
        {
            "StandardsSubscriptionArn": f"{subscription}/{name}",
            "StandardsArn": arn,
            "StandardsInput": {},
            "StandardsStatus": "READY",
            "StandardsControlsUpdatable": "READY_FOR_UPDATES",
        }
        for arn, name in standards
    ]


def enabled_standards(
    subscriptions: Sequence[dict[str, Any]], params: Mapping[str, Any]
) -> tuple[list[dict[str, Any]], str | None]:
    """One page of GetEnabledStandards over ``subscriptions``."""
    arns = params.get("StandardsSubscriptionArns")
    if arns is not None and (not isinstance(arns, list) or not 1 <= len(arns) <= 25):
        raise InvalidInput("StandardsSubscriptionArns must list 1 to 25 ARNs.")
    providers = params.get("Providers")
    chosen = [
        s
        for s in subscriptions
        if (arns is None or s["StandardsSubscriptionArn"] in arns) and (not providers or "AWS" in providers)
    ]
    return page(
        chosen,
        limit=parse_max_results(params.get("MaxResults")),
        next_token=params.get("NextToken"),
        digest=query_digest("standards", arns, providers),
        key=lambda s: (str(s["StandardsSubscriptionArn"]), ""),
    )


# --------------------------------------------------------------------------------------------
# moto glue
# --------------------------------------------------------------------------------------------

# Names of the attributes this module keeps on moto's objects.
_UPDATED_FIELDS_ATTR = "warroom_updated_fields"
_DEFAULT_STANDARDS_ATTR = "warroom_default_standards"
_VERSION_ATTR = "warroom_findings_version"
_QUERY_CACHE_ATTR = "warroom_query_cache"
# Filtered and sorted results kept per backend, so walking the pages of one query filters and
# sorts once; a result is reused while the findings are unchanged, within the same minute.
QUERY_CACHE_SIZE = 8

NEW_URL_PATHS = {
    "{0}/findings/batchupdate$": "BatchUpdateFindings",
    "{0}/standards/get$": "GetEnabledStandards",
}

_state_lock = threading.RLock()
_install_lock = threading.Lock()
# What moto defined under each patched name before install(); None means moto lacked it.
moto_originals: dict[str, Any] = {}
_wrappers: dict[str, Callable[..., Any]] = {}


def _now() -> datetime:
    return datetime.now(UTC)


def _error(code: str, message: str) -> Exception:
    from moto.securityhub.exceptions import SecurityHubClientError

    error: Exception = SecurityHubClientError(code, message)
    return error


def _invalid(op: str, exc: InvalidInput) -> Exception:
    logger.debug("securityhub %s rejected: %s", op, exc)
    return _error("InvalidInputException", str(exc))


def _params(response: Any) -> dict[str, Any]:
    return json_params(response, functools.partial(_error, "InvalidInputException"))


def _changed(backend: Any) -> None:
    backend.__dict__[_VERSION_ATTR] = backend.__dict__.get(_VERSION_ATTR, 0) + 1


def _query(backend: Any, filters: Any, sort_criteria: Any, digest: str) -> list[dict[str, Any]]:
    now = _now()
    hubs = aggregation.source_hubs(backend.account_id, backend.region_name, backend)
    with _state_lock:
        key = (
            tuple((hub.__dict__.get(_VERSION_ATTR, 0), id(hub.findings), len(hub.findings)) for hub in hubs),
            now.strftime("%Y%m%d%H%M"),
        )
        cache: dict[str, tuple[Any, list[dict[str, Any]]]] = backend.__dict__.setdefault(
            _QUERY_CACHE_ATTR, {}
        )
        hit = cache.get(digest)
        if hit is not None and hit[0] == key:
            return hit[1]
        stored = [f.as_dict() for hub in hubs for f in hub.findings]
    chosen = sort_findings(filter_findings(stored, filters, now=now), sort_criteria)
    with _state_lock:
        if len(cache) >= QUERY_CACHE_SIZE:
            cache.clear()
        cache[digest] = (key, chosen)
    return chosen


def delete_findings(account_id: str, region: str, identifiers: Iterable[tuple[str, str]]) -> int:
    """Remove findings, by (Id, ProductArn), from the hub of an account and region (Security Hub
    itself deletes archived findings after 90 days); return how many went."""
    from moto.securityhub.models import securityhub_backends

    wanted = set(identifiers)
    backend = securityhub_backends[account_id][region]
    with _state_lock:
        kept = [f for f in backend.findings if identity(f.data) not in wanted]
        removed = len(backend.findings) - len(kept)
        if removed:
            backend.findings[:] = kept
            _changed(backend)
    return removed


def _backend_get_findings(
    self: Any,
    filters: Any = None,
    sort_criteria: Any = None,
    max_results: Any = None,
    next_token: str | None = None,
) -> tuple[list[dict[str, Any]], str | None]:
    limit = parse_max_results(max_results)
    digest = query_digest("findings", filters, sort_criteria)
    return page(
        _query(self, filters, sort_criteria, digest), limit=limit, next_token=next_token, digest=digest
    )


def _backend_batch_import_findings(
    self: Any, findings: list[dict[str, Any]]
) -> tuple[int, int, list[dict[str, Any]]]:
    from moto.securityhub.models import Finding

    failed: list[dict[str, Any]] = []
    succeeded = 0
    with _state_lock:
        index = {identity(f.data): f for f in self.findings}
        for data in findings:
            problem = import_problem(data)
            if problem is not None:
                finding_id = data.get("Id", "") if isinstance(data, Mapping) else ""
                failed.append({"Id": finding_id, "ErrorCode": "InvalidInput", "ErrorMessage": problem})
                continue
            existing = index.get(identity(data))
            if existing is None:
                created = Finding(data["Id"], new_finding(data))
                self.findings.append(created)
                index[identity(data)] = created
            else:
                updated = getattr(existing, _UPDATED_FIELDS_ATTR, ())
                existing.data = reimported_finding(existing.data, data, updated)
            succeeded += 1
        _changed(self)
    return len(failed), succeeded, failed


def _backend_batch_update_findings(self: Any, update: FindingUpdate) -> dict[str, Any]:
    counts: dict[tuple[str, str], int] = {}
    for identifier in update.identifiers:
        counts[identifier] = counts.get(identifier, 0) + 1
    processed: list[dict[str, str]] = []
    failures: list[dict[str, Any]] = []
    now = _now()
    hubs = aggregation.source_hubs(self.account_id, self.region_name, self)
    with _state_lock:
        index: dict[tuple[str, str], Any] = {}
        owner: dict[tuple[str, str], Any] = {}
        for hub in reversed(hubs):
            for f in hub.findings:
                index[identity(f.data)] = f
                owner[identity(f.data)] = hub
        for identifier in update.identifiers:
            target = index.get(identifier)
            if counts[identifier] > 1:
                failures.append(
                    unprocessed(identifier, "DuplicatedFindingIdentifier", "Finding Identifier is duplicated")
                )
            elif target is None:
                failures.append(unprocessed(identifier, "FindingNotFound", "Finding Not Found"))
            else:
                target.data = updated_finding(target.data, update.changes, now=now)
                owned = set(getattr(target, _UPDATED_FIELDS_ATTR, ()))
                owned.update(name for name in update.changes if name in UPDATE_OWNED_FIELDS)
                setattr(target, _UPDATED_FIELDS_ATTR, frozenset(owned))
                processed.append({"Id": identifier[0], "ProductArn": identifier[1]})
                if owner[identifier] is not self:
                    _changed(owner[identifier])
        _changed(self)
    return {"ProcessedFindings": processed, "UnprocessedFindings": failures}


def _backend_get_enabled_standards(self: Any, params: Mapping[str, Any]) -> dict[str, Any]:
    if not self.enabled:
        raise _error(
            "InvalidAccessException", f"Account {self.account_id} is not subscribed to AWS Security Hub"
        )
    subscriptions: list[dict[str, Any]] = []
    if getattr(self, _DEFAULT_STANDARDS_ATTR, True):
        subscriptions = default_standards(self.partition, self.region_name, self.account_id)
    chosen, token = enabled_standards(subscriptions, params)
    result: dict[str, Any] = {"StandardsSubscriptions": chosen}
    if token:
        result["NextToken"] = token
    return result


def _wrap_enable_security_hub(original: Callable[..., Any]) -> Callable[..., Any]:
    def enable_security_hub(
        self: Any, enable_default_standards: bool = True, tags: dict[str, str] | None = None
    ) -> Any:
        if not self.enabled:
            setattr(self, _DEFAULT_STANDARDS_ATTR, enable_default_standards is not False)
        return original(self, enable_default_standards=enable_default_standards, tags=tags)

    return enable_security_hub


def _response_get_findings(self: Any) -> str:
    params = _params(self)
    try:
        findings, token = self.securityhub_backend.get_findings(
            filters=params.get("Filters"),
            sort_criteria=params.get("SortCriteria"),
            max_results=params.get("MaxResults"),
            next_token=params.get("NextToken"),
        )
    except InvalidInput as exc:
        raise _invalid("GetFindings", exc) from exc
    result: dict[str, Any] = {"Findings": findings}
    if token:
        result["NextToken"] = token
    return json.dumps(result)


def _response_batch_update_findings(self: Any) -> str:
    try:
        update = parse_update(_params(self))
    except InvalidInput as exc:
        raise _invalid("BatchUpdateFindings", exc) from exc
    return json.dumps(self.securityhub_backend.batch_update_findings(update))


def _response_get_enabled_standards(self: Any) -> str:
    try:
        result = self.securityhub_backend.get_enabled_standards(_params(self))
    except InvalidInput as exc:
        raise _invalid("GetEnabledStandards", exc) from exc
    return json.dumps(result)


BACKEND_METHODS: dict[str, Callable[..., Any]] = {
    "get_findings": _backend_get_findings,
    "batch_import_findings": _backend_batch_import_findings,
    "batch_update_findings": _backend_batch_update_findings,
    "get_enabled_standards": _backend_get_enabled_standards,
}
RESPONSE_METHODS: dict[str, Callable[..., Any]] = {
    "get_findings": _response_get_findings,
    "batch_update_findings": _response_batch_update_findings,
    "get_enabled_standards": _response_get_enabled_standards,
}


def _patch(cls: Any, name: str, function: Callable[..., Any]) -> None:
    current = cls.__dict__.get(name)
    if current is function:
        return
    moto_originals.setdefault(f"{cls.__name__}.{name}", current)
    setattr(cls, name, function)


def install() -> None:
    """Patch moto's Security Hub backend, response class and URL table (idempotent)."""
    from moto.securityhub import urls
    from moto.securityhub.models import SecurityHubBackend
    from moto.securityhub.responses import SecurityHubResponse

    with _install_lock:
        for name, function in BACKEND_METHODS.items():
            _patch(SecurityHubBackend, name, function)
        for name, function in RESPONSE_METHODS.items():
            _patch(SecurityHubResponse, name, function)
        enable = SecurityHubBackend.__dict__["enable_security_hub"]
        if enable is not _wrappers.get("enable_security_hub"):
            original = moto_originals.setdefault("SecurityHubBackend.enable_security_hub", enable)
            _wrappers["enable_security_hub"] = _wrap_enable_security_hub(original)
            _patch(SecurityHubBackend, "enable_security_hub", _wrappers["enable_security_hub"])
        for path in NEW_URL_PATHS:
            urls.url_paths.setdefault(path, SecurityHubResponse.dispatch)
        logger.debug("securityhub extension installed")


def original_signature(qualified_name: str) -> inspect.Signature | None:
    """The signature of what moto defined under ``Class.method`` before install(), if anything."""
    original = moto_originals.get(qualified_name)
    return inspect.signature(original) if callable(original) else None
