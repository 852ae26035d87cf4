"""The Findings pane's data model: Security Hub findings (ASFF) parsed into small immutable records,
and the pure functions the pane runs over them (filter, sort, group, count, score).

Everything here is plain Python over plain data: no I/O, no AWS client, no Textual or Rich.

Text inside a finding is attacker-controllable (a title, a tag, a resource name), so every string a
finding carries to the screen passes through ``clean_line`` or ``clean_block`` while it is parsed:
escape sequences, control characters, bidi overrides and invisible characters are removed, and markup
such as ``[bold]`` stays literal characters. Only ``Finding.id`` and ``Finding.product_arn`` are kept
exactly as AWS sent them, because BatchUpdateFindings needs them verbatim; a finding whose Id or
ProductArn contains unsafe characters says so in ``problems``.

Memory: a finding keeps no copy of its raw dict; records use slots; strings that repeat across
findings (accounts, regions, products, titles, types, statuses, controls) are shared.
"""

from __future__ import annotations

import dataclasses
import math
import re
import sys
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from itertools import compress, repeat
from operator import attrgetter
from typing import Any

from tui.common.text import as_text, strip_unsafe

SEVERITIES = ("CRITICAL", "HIGH", "MEDIUM", "LOW", "INFORMATIONAL")
WORKFLOWS = ("NEW", "NOTIFIED", "RESOLVED", "SUPPRESSED")
DEFAULT_WORKFLOWS = frozenset({"NEW", "NOTIFIED"})
RECORD_STATES = ("ACTIVE", "ARCHIVED")
COMPLIANCE_STATUSES = ("PASSED", "WARNING", "FAILED", "NOT_AVAILABLE")

_RANK = {name: rank for rank, name in enumerate(SEVERITIES)}
_LOWEST_RANK = len(SEVERITIES) - 1

MAX_RESOURCES = 32
MAX_TYPES = 50
MAX_STANDARDS = 20
ID_LIMIT = 1024
NOTE_LIMIT = 2000

# ---------------------------------------------------------------------------------------------
# Text made safe to draw
# ---------------------------------------------------------------------------------------------

# The one strict cleaner (tui.common.text) removes escape sequences, controls and format characters.

_ELLIPSIS = "…"
_CACHEABLE = 2048


def _cap(text: str, limit: int) -> tuple[str, bool]:
    """Cuts text far longer than anything it could show down to a bounded prefix, for speed."""
    cap = limit * 4 + 256
    if len(text) > cap:
        return text[:cap], True
    return text, False


def _truncate(text: str, limit: int, cut: bool) -> str:
    if cut or len(text) > limit:
        return text[: limit - 1].rstrip() + _ELLIPSIS
    return text


def clean_line(value: object, limit: int = 500) -> str:
    """``value`` as one line that is safe to draw: escape sequences, control characters, bidi
    overrides and isolates and zero-width characters removed; newlines, tabs and runs of whitespace
    become one space; at most ``limit`` characters, the last one "…" when cut. Markup characters
    stay as they are. None is ""; other non-strings are their str()."""
    limit = max(1, limit)
    text = as_text(value)
    if not text:
        return ""
    if len(text) <= limit and text.isprintable() and "  " not in text and text[0] != " " and text[-1] != " ":
        return text
    text, cut = _cap(text, limit)
    text = " ".join(strip_unsafe(text).split())
    return _truncate(text, limit, cut)


def clean_block(value: object, limit: int = 4000) -> str:
    """Like ``clean_line``, but line breaks survive as "\\n" (any line separator counts as one), with
    never more than two in a row; whitespace inside each line is collapsed."""
    limit = max(1, limit)
    text = as_text(value)
    if not text:
        return ""
    text, cut = _cap(text, limit)
    lines = [" ".join(line.split()) for line in strip_unsafe(text).splitlines()]
    out: list[str] = []
    blank = False
    for line in lines:
        if line:
            if blank and out:
                out.append("")
            out.append(line)
            blank = False
        else:
            blank = True
    return _truncate("\n".join(out), limit, cut)


@lru_cache(maxsize=16384)
def _shared_line(text: str, limit: int) -> str:
    return sys.intern(clean_line(text, limit))


@lru_cache(maxsize=2048)
def _shared_block(text: str, limit: int) -> str:
    return sys.intern(clean_block(text, limit))


def _line(text: str, limit: int) -> str:
    """clean_line for strings that repeat across findings: one shared object per distinct value."""
    if len(text) <= _CACHEABLE:
        return _shared_line(text, limit)
    return clean_line(text, limit)


def _block(text: str, limit: int) -> str:
    if len(text) <= _CACHEABLE:
        return _shared_block(text, limit)
    return clean_block(text, limit)


def _preview(value: object) -> str:
    """A short, safe, quoted view of a bad value for a problem sentence."""
    if isinstance(value, str):
        return repr(clean_line(value, 40))
    return _kind(value)


def _kind(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, list | tuple):
        return "a list"
    return f"a {type(value).__name__}"


# ---------------------------------------------------------------------------------------------
# Records
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ResourceRef:
    type: str
    id: str
    region: str
    partition: str


@dataclass(frozen=True, slots=True)
class Note:
    text: str
    updated_by: str
    updated_at: str


@dataclass(frozen=True, slots=True)
class Finding:
    id: str
    product_arn: str
    product_name: str
    title: str
    severity: str
    account_id: str
    account_name: str
    region: str
    control_id: str
    control_keys: tuple[str, ...]
    standards: tuple[str, ...]
    compliance_status: str
    workflow_status: str
    record_state: str
    resource_type: str
    resource_id: str
    resources: tuple[ResourceRef, ...]
    first_observed_at: datetime | None
    last_observed_at: datetime | None
    updated_at: datetime | None
    generator_id: str
    types: tuple[str, ...]
    remediation_text: str
    remediation_url: str
    note: Note | None
    problems: tuple[str, ...]
    search: str

    @property
    def key(self) -> tuple[str, str]:
        """(Id, ProductArn): what BatchUpdateFindings identifies a finding by."""
        return (self.id, self.product_arn)

    @property
    def severity_rank(self) -> int:
        """0 for CRITICAL up to 4 for INFORMATIONAL."""
        return _RANK.get(self.severity, _LOWEST_RANK)

    def with_workflow(self, status: str, note: Note | None) -> Finding:
        """This finding after a workflow change made by this console."""
        return dataclasses.replace(self, workflow_status=status, note=note)


def search_text(*parts: str) -> str:
    """The lowercased haystack the text filter looks in; fields are joined by a space, so a typed
    word (which never holds a space) cannot match across two fields."""
    return " ".join(p for p in parts if p).lower()


# ---------------------------------------------------------------------------------------------
# Parsing
# ---------------------------------------------------------------------------------------------


def _text(
    raw: Mapping[str, Any],
    key: str,
    problems: list[str],
    *,
    label: str | None = None,
    limit: int = 500,
    required: bool = False,
) -> str:
    """A text field, cleaned; a missing one is "", a number is its digits, anything else is ""
    (each with a problem when it matters)."""
    value = raw.get(key)
    name = label or key
    if value is None:
        if required:
            problems.append(f"{name} missing")
        return ""
    if isinstance(value, str):
        text = _line(value, limit)
        if required and not text:
            problems.append(f"{name} is empty")
        return text
    if isinstance(value, int | float) and not isinstance(value, bool):
        problems.append(f"{name} is a number, not text")
        return _line(str(value), limit)
    problems.append(f"{name} is not text but {_preview(value)}")
    return ""


def _mapping(
    raw: Mapping[str, Any], key: str, problems: list[str], label: str | None = None
) -> Mapping[str, Any]:
    value = raw.get(key)
    if value is None:
        return {}
    if isinstance(value, Mapping):
        return value
    problems.append(f"{label or key} is not an object but {_preview(value)}")
    return {}


def _choice(
    value: object,
    allowed: Sequence[str],
    default: str,
    label: str,
    problems: list[str],
    *,
    quiet: bool = True,
) -> str:
    if value is None:
        if not quiet:
            problems.append(f"{label} missing")
        return default
    if isinstance(value, str):
        upper = value.strip().upper()
        if upper in allowed:
            return allowed[allowed.index(upper)]
    problems.append(f"{label} is not one of {', '.join(allowed)}: {_preview(value)}")
    return default


@lru_cache(maxsize=8192)
def _parse_time_text(text: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    return _as_utc(moment)


def _as_utc(moment: datetime) -> datetime | None:
    try:
        if moment.tzinfo is None:
            return moment.replace(tzinfo=UTC)
        return moment.astimezone(UTC)
    except (OverflowError, ValueError):
        return None


def _time(
    raw: Mapping[str, Any], key: str, problems: list[str], *, required: bool = False
) -> datetime | None:
    value = raw.get(key)
    if value is None:
        if required:
            problems.append(f"{key} missing")
        return None
    moment: datetime | None = None
    if isinstance(value, datetime):
        moment = _as_utc(value)
    elif isinstance(value, str) and len(value) <= 64:
        moment = _parse_time_text(value)
    if moment is None:
        problems.append(f"{key} is not a timestamp: {_preview(value)}")
    return moment


def _severity(raw: Mapping[str, Any], problems: list[str]) -> str:
    value = raw.get("Severity")
    if value is None:
        problems.append("Severity missing")
        return "INFORMATIONAL"
    if not isinstance(value, Mapping):
        problems.append(f"Severity is not an object but {_preview(value)}")
        return "INFORMATIONAL"
    label = value.get("Label")
    if isinstance(label, str) and label.strip().upper() in _RANK:
        return SEVERITIES[_RANK[label.strip().upper()]]
    said = (
        "Severity.Label missing" if label is None else f"Severity.Label is not a severity: {_preview(label)}"
    )
    normalized = value.get("Normalized")
    derived = _from_normalized(normalized)
    if derived is not None:
        problems.append(f"{said}; {derived} from Severity.Normalized {normalized}")
        return derived
    if normalized is not None:
        problems.append(f"{said}; Severity.Normalized is not 0-100: {_preview(normalized)}")
    else:
        problems.append(said)
    return "INFORMATIONAL"


def _from_normalized(value: object) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if not math.isfinite(value) or value < 0 or value > 100:
        return None
    if value == 0:
        return "INFORMATIONAL"
    if value < 40:
        return "LOW"
    if value < 70:
        return "MEDIUM"
    if value < 90:
        return "HIGH"
    return "CRITICAL"


_CIS = "cis-aws-foundations-benchmark"
_CONTROL_PART = r"([0-9A-Za-z][0-9A-Za-z._-]{0,63})"
_RULESET_RULE = re.compile(r"ruleset/([a-z0-9-]+)/v/(\d+)\.(\d+)(?:\.\d+)*/rule/" + _CONTROL_PART + r"$")
_STANDARD_CONTROL = re.compile(r"(?:^|[/:])([a-z0-9-]+)/v/(\d+)\.(\d+)(?:\.\d+)*/" + _CONTROL_PART + r"$")
_STANDARD_VERSION = re.compile(r"(?:standards|ruleset)/([a-z0-9-]+)/v/(\d+)\.(\d+)")
_SECURITY_CONTROL = re.compile(r"^security-control/" + _CONTROL_PART + r"$")
_CONTROL_TOKEN = re.compile(_CONTROL_PART)


def _control_names(standard: str, major: str, minor: str, control: str) -> tuple[str, str]:
    """(display, playbook key) of one standard's control."""
    if standard == _CIS:
        return f"CIS {major}.{minor} {control}", f"CIS{major}.{minor}/{control}"
    return control, control


def _field(fields: Mapping[str, Any], key: str) -> str:
    value = fields.get(key)
    return value if isinstance(value, str) and len(value) <= ID_LIMIT else ""


def _controls(
    generator_id: object, compliance: Mapping[str, Any], fields: Mapping[str, Any], problems: list[str]
) -> tuple[str, tuple[str, ...]]:
    """The control's display id and its playbook keys, most authoritative source first."""
    found: list[tuple[str, str]] = []
    consolidated = compliance.get("SecurityControlId")
    if isinstance(consolidated, str) and consolidated.strip():
        if _CONTROL_TOKEN.fullmatch(consolidated.strip()):
            name = sys.intern(consolidated.strip())
            found.append((name, name))
        else:
            problems.append(f"Compliance.SecurityControlId is not a control id: {_preview(consolidated)}")
    elif consolidated is not None and not isinstance(consolidated, str):
        problems.append(f"Compliance.SecurityControlId is not text but {_preview(consolidated)}")
    generator = generator_id if isinstance(generator_id, str) and len(generator_id) <= ID_LIMIT else ""
    match = _RULESET_RULE.search(generator)
    if match:
        found.append(_control_names(match[1], match[2], match[3], match[4]))
    rule_id, guide = _field(fields, "RuleId"), _field(fields, "StandardsGuideArn")
    if rule_id and guide:
        standard = _STANDARD_VERSION.search(guide)
        if standard and _CONTROL_TOKEN.fullmatch(rule_id):
            found.append(_control_names(standard[1], standard[2], standard[3], rule_id))
    match = _STANDARD_CONTROL.search(_field(fields, "StandardsControlArn"))
    if match:
        found.append(_control_names(match[1], match[2], match[3], match[4]))
    control_id, standards_arn = _field(fields, "ControlId"), _field(fields, "StandardsArn")
    if control_id and standards_arn:
        standard = _STANDARD_VERSION.search(standards_arn)
        if standard and _CONTROL_TOKEN.fullmatch(control_id):
            found.append(_control_names(standard[1], standard[2], standard[3], control_id))
    if not found and generator:
        match = _SECURITY_CONTROL.match(generator)
        if match:
            found.append((match.group(1), match.group(1)))
        else:
            match = _STANDARD_CONTROL.search(generator)
            if match:
                found.append(_control_names(match[1], match[2], match[3], match[4]))
    if not found:
        return "", ()
    keys: list[str] = []
    for _display, key in found:
        if key not in keys:
            keys.append(sys.intern(key))
    return sys.intern(found[0][0]), tuple(keys)


def normalize_standard(value: str) -> str:
    """A standard's id as "standards/<name>/v/<version>" or "ruleset/<name>/v/<version>" (CIS 1.2),
    from a standards ARN, a ruleset ARN, a subscription ARN or an id already in that form."""
    if not isinstance(value, str):
        return ""
    text = value.strip()
    if text.startswith("arn:"):
        parts = text.split(":", 5)
        if len(parts) == 6:
            text = parts[5]
    if text.startswith("subscription/"):
        rest = text[len("subscription/") :]
        text = ("ruleset/" if rest.startswith(f"{_CIS}/v/1.2.0") else "standards/") + rest
    return _line(text, 256)


def _standards(
    compliance: Mapping[str, Any], fields: Mapping[str, Any], problems: list[str]
) -> tuple[str, ...]:
    out: list[str] = []
    associated = compliance.get("AssociatedStandards")
    if isinstance(associated, list | tuple):
        for entry in associated[:MAX_STANDARDS]:
            value = entry.get("StandardsId") if isinstance(entry, Mapping) else None
            if isinstance(value, str) and value.strip():
                out.append(normalize_standard(value))
            else:
                problems.append(
                    f"Compliance.AssociatedStandards has an entry without StandardsId: {_preview(entry)}"
                )
    elif associated is not None:
        problems.append(f"Compliance.AssociatedStandards is not a list but {_preview(associated)}")
    if not out:
        for key in ("StandardsArn", "StandardsGuideArn"):
            value = _field(fields, key)
            if value:
                out.append(normalize_standard(value))
    unique: list[str] = []
    for standard in out:
        if standard and standard not in unique:
            unique.append(sys.intern(standard))
    return tuple(unique)


def _resources(raw: Mapping[str, Any], problems: list[str]) -> tuple[ResourceRef, ...]:
    value = raw.get("Resources")
    if value is None:
        problems.append("Resources missing")
        return ()
    if not isinstance(value, list | tuple):
        problems.append(f"Resources is not a list but {_preview(value)}")
        return ()
    if not value:
        problems.append("Resources is empty")
        return ()
    out: list[ResourceRef] = []
    for index, entry in enumerate(value[:MAX_RESOURCES]):
        label = f"Resources[{index}]"
        if not isinstance(entry, Mapping):
            problems.append(f"{label} is not an object but {_preview(entry)}")
            continue
        out.append(
            ResourceRef(
                type=_text(entry, "Type", problems, label=f"{label}.Type", limit=256, required=True),
                id=_text(entry, "Id", problems, label=f"{label}.Id", limit=ID_LIMIT, required=True),
                region=_text(entry, "Region", problems, label=f"{label}.Region", limit=64),
                partition=_text(entry, "Partition", problems, label=f"{label}.Partition", limit=64),
            )
        )
    if len(value) > MAX_RESOURCES:
        problems.append(f"Resources has {len(value)} entries; the first {MAX_RESOURCES} are kept")
    return tuple(out)


def _types(raw: Mapping[str, Any], problems: list[str]) -> tuple[str, ...]:
    value = raw.get("Types")
    if value is None:
        return ()
    if not isinstance(value, list | tuple):
        problems.append(f"Types is not a list but {_preview(value)}")
        return ()
    out: list[str] = []
    for entry in value[:MAX_TYPES]:
        if isinstance(entry, str):
            text = _line(entry, 256)
            if text:
                out.append(text)
        else:
            problems.append(f"Types has an entry that is not text but {_preview(entry)}")
    return tuple(out)


def _note(raw: Mapping[str, Any], problems: list[str]) -> Note | None:
    value = raw.get("Note")
    if value is None:
        return None
    if not isinstance(value, Mapping):
        problems.append(f"Note is not an object but {_preview(value)}")
        return None
    text = value.get("Text")
    if text is not None and not isinstance(text, str):
        problems.append(f"Note.Text is not text but {_preview(text)}")
        text = None
    return Note(
        text=_block(text, NOTE_LIMIT) if text else "",
        updated_by=_text(value, "UpdatedBy", problems, label="Note.UpdatedBy", limit=512),
        updated_at=_text(value, "UpdatedAt", problems, label="Note.UpdatedAt", limit=64),
    )


def _product_name(
    raw: Mapping[str, Any], fields: Mapping[str, Any], product_arn: str, problems: list[str]
) -> str:
    name = _text(raw, "ProductName", problems, limit=128)
    if name:
        return name
    name = _line(_field(fields, "aws/securityhub/ProductName"), 128)
    if name:
        return name
    _, _, tail = product_arn.rpartition("/")
    return _line(tail, 128)


def _arn_region(arn: str) -> str:
    parts = arn.split(":", 5)
    return _line(parts[3], 64) if len(parts) == 6 else ""


def _problems_with_key(name: str, value: str, problems: list[str]) -> None:
    if not value.isprintable():
        problems.append(f"{name} contains control or invisible characters: {_preview(value)}")


def parse_finding(raw: object) -> Finding | None:
    """One ASFF finding as GetFindings returns it, or None when it has no usable Id or ProductArn.

    Any other field may be missing, null, of the wrong type or hostile: the result is still a
    Finding, with ``problems`` saying what was wrong. Timestamps may be ISO 8601 strings or datetime
    objects; a naive one is taken as UTC."""
    if not isinstance(raw, Mapping):
        return None
    try:
        finding_id = raw.get("Id")
        product_arn = raw.get("ProductArn")
    except Exception:  # a mapping that cannot be read is no finding
        return None
    if not isinstance(finding_id, str) or not finding_id.strip():
        return None
    if not isinstance(product_arn, str) or not product_arn.strip():
        return None
    problems: list[str] = []
    try:
        return _parse(raw, finding_id, product_arn, problems)
    except Exception as exc:  # unreadable in a way the field checks did not foresee: keep what is known
        problems.append(f"finding could not be read: {type(exc).__name__}")
        return _bare(finding_id, product_arn, problems)


def _bare(finding_id: str, product_arn: str, problems: list[str]) -> Finding:
    return Finding(
        id=finding_id,
        product_arn=sys.intern(product_arn),
        product_name="",
        title="",
        severity="INFORMATIONAL",
        account_id="",
        account_name="",
        region="",
        control_id="",
        control_keys=(),
        standards=(),
        compliance_status="",
        workflow_status="NEW",
        record_state="ACTIVE",
        resource_type="",
        resource_id="",
        resources=(),
        first_observed_at=None,
        last_observed_at=None,
        updated_at=None,
        generator_id="",
        types=(),
        remediation_text="",
        remediation_url="",
        note=None,
        problems=tuple(sys.intern(p) for p in problems),
        search="",
    )


def _parse(raw: Mapping[str, Any], finding_id: str, product_arn: str, problems: list[str]) -> Finding:
    _problems_with_key("Id", finding_id, problems)
    _problems_with_key("ProductArn", product_arn, problems)
    fields = _mapping(raw, "ProductFields", problems)
    compliance = _mapping(raw, "Compliance", problems)
    workflow = _mapping(raw, "Workflow", problems)
    recommendation = _mapping(raw, "Remediation", problems)
    remediation = _mapping(recommendation, "Recommendation", problems, "Remediation.Recommendation")

    title = _text(raw, "Title", problems, required=True)
    severity = _severity(raw, problems)
    account_id = _text(raw, "AwsAccountId", problems, limit=64, required=True)
    account_name = _text(raw, "AwsAccountName", problems, limit=128)
    region = _text(raw, "Region", problems, limit=64)
    generator_raw = raw.get("GeneratorId")
    generator_id = _text(raw, "GeneratorId", problems, limit=ID_LIMIT)
    control_id, control_keys = _controls(generator_raw, compliance, fields, problems)
    standards = _standards(compliance, fields, problems)
    compliance_status = ""
    if compliance.get("Status") is not None:
        compliance_status = _choice(
            compliance.get("Status"), COMPLIANCE_STATUSES, "", "Compliance.Status", problems
        )
    workflow_status = _choice(workflow.get("Status"), WORKFLOWS, "NEW", "Workflow.Status", problems)
    record_state = _choice(raw.get("RecordState"), RECORD_STATES, "ACTIVE", "RecordState", problems)
    resources = _resources(raw, problems)
    first = resources[0] if resources else None
    resource_type = first.type if first else ""
    resource_id = first.id if first else ""
    if not region:
        region = first.region if first and first.region else _arn_region(product_arn)
    remediation_text = remediation.get("Text")
    if remediation_text is not None and not isinstance(remediation_text, str):
        problems.append(f"Remediation.Recommendation.Text is not text but {_preview(remediation_text)}")
        remediation_text = None

    resource_words: list[str] = []
    for ref in resources:
        for word in (ref.type, ref.id):
            if word and word not in resource_words:
                resource_words.append(word)
    return Finding(
        id=finding_id,
        product_arn=sys.intern(product_arn),
        product_name=_product_name(raw, fields, product_arn, problems),
        title=title,
        severity=severity,
        account_id=account_id,
        account_name=account_name,
        region=region,
        control_id=control_id,
        control_keys=control_keys,
        standards=standards,
        compliance_status=compliance_status,
        workflow_status=workflow_status,
        record_state=record_state,
        resource_type=resource_type,
        resource_id=resource_id,
        resources=resources,
        first_observed_at=_time(raw, "FirstObservedAt", problems),
        last_observed_at=_time(raw, "LastObservedAt", problems),
        updated_at=_time(raw, "UpdatedAt", problems, required=True),
        generator_id=generator_id,
        types=_types(raw, problems),
        remediation_text=_block(remediation_text, 4000) if remediation_text else "",
        remediation_url=_text(
            remediation, "Url", problems, label="Remediation.Recommendation.Url", limit=ID_LIMIT
        ),
        note=_note(raw, problems),
        problems=tuple(sys.intern(p) for p in problems),
        search=search_text(title, *resource_words, control_id, account_id, account_name),
    )


# ---------------------------------------------------------------------------------------------
# Facets and filters
# ---------------------------------------------------------------------------------------------

FACETS = ("severity", "workflow", "record_state", "product", "account", "resource_type", "compliance")

_FILTER_FIELDS = {
    "severity": "severities",
    "workflow": "workflows",
    "record_state": "record_states",
    "product": "products",
    "account": "accounts",
    "resource_type": "resource_types",
    "compliance": "compliance",
}
_FACET_LABELS = {
    "severity": "severity",
    "workflow": "workflow",
    "record_state": "",
    "product": "product",
    "account": "account",
    "resource_type": "type",
    "compliance": "compliance",
}
_FACET_ORDER: dict[str, Sequence[str]] = {
    "severity": SEVERITIES,
    "workflow": WORKFLOWS,
    "record_state": RECORD_STATES,
    "compliance": COMPLIANCE_STATUSES,
}
_DESCRIBE_VALUES = 3


_GETTERS: dict[str, Callable[[Finding], str]] = {
    "severity": lambda f: f.severity,
    "workflow": lambda f: f.workflow_status,
    "record_state": lambda f: f.record_state,
    "product": lambda f: f.product_name,
    "account": lambda f: f.account_id,
    "resource_type": lambda f: f.resource_type,
    "compliance": lambda f: f.compliance_status,
}


def _facet_getter(facet: str) -> Callable[[Finding], str]:
    try:
        return _GETTERS[facet]
    except KeyError:
        raise ValueError(f"unknown facet {facet!r}; facets are {', '.join(FACETS)}") from None


def facet_value(finding: Finding, facet: str) -> str:
    """The finding's value for a facet ("" for a finding without compliance status: the UI labels it)."""
    return _facet_getter(facet)(finding)


def _filter_field(facet: str) -> str:
    try:
        return _FILTER_FIELDS[facet]
    except KeyError:
        raise ValueError(f"unknown facet {facet!r}; facets are {', '.join(FACETS)}") from None


def _ordered(facet: str, values: Iterable[str]) -> list[str]:
    order = _FACET_ORDER.get(facet)
    if order is None:
        return sorted(values)
    return sorted(values, key=lambda v: (order.index(v) if v in order else len(order), v))


@dataclass(frozen=True, slots=True)
class FindingFilter:
    """What the list shows: typed words plus a set of allowed values per facet (empty = any value)."""

    text: str = ""
    severities: frozenset[str] = frozenset()
    workflows: frozenset[str] = DEFAULT_WORKFLOWS
    record_states: frozenset[str] = frozenset({"ACTIVE"})
    products: frozenset[str] = frozenset()
    accounts: frozenset[str] = frozenset()
    resource_types: frozenset[str] = frozenset()
    compliance: frozenset[str] = frozenset()
    resource: tuple[str, str] | None = None
    account: str | None = None
    """One account's findings only (an account group opened with Enter), besides the facets."""

    def values(self, facet: str) -> frozenset[str]:
        chosen: frozenset[str] = getattr(self, _filter_field(facet))
        return chosen

    def with_values(self, facet: str, values: frozenset[str]) -> FindingFilter:
        change: dict[str, Any] = {_filter_field(facet): frozenset(values)}
        return dataclasses.replace(self, **change)

    def toggled(self, facet: str, value: str) -> FindingFilter:
        return self.with_values(facet, self.values(facet) ^ {value})

    def words(self) -> tuple[str, ...]:
        return tuple(self.text.lower().split())

    def narrows(self, previous: FindingFilter) -> bool:
        """True when every finding this filter matches is also matched by ``previous``: each facet
        allows a subset of what ``previous`` allowed, the resource is the same (or ``previous`` had
        none), and each word of ``previous`` is a substring of some word of this filter."""
        for field in _FILTER_FIELDS.values():
            before: frozenset[str] = getattr(previous, field)
            if not before:
                continue
            now: frozenset[str] = getattr(self, field)
            if not now or not now <= before:
                return False
        if previous.resource is not None and self.resource != previous.resource:
            return False
        if previous.account is not None and self.account != previous.account:
            return False
        mine = self.words()
        return all(any(word in own for own in mine) for word in previous.words())

    def describe(self) -> str:
        """The facets in force, in words, e.g. "severity CRITICAL,HIGH · workflow NEW,NOTIFIED ·
        ACTIVE" ("" when every facet allows any value). The typed text, the resource and the account
        opened are not part of it."""
        parts: list[str] = []
        for facet in FACETS:
            chosen = self.values(facet)
            if not chosen:
                continue
            shown = [clean_line(v, 60) or "none" for v in _ordered(facet, chosen)]
            text = ",".join(shown[:_DESCRIBE_VALUES])
            if len(shown) > _DESCRIBE_VALUES:
                text += f" +{len(shown) - _DESCRIBE_VALUES}"
            label = _FACET_LABELS[facet]
            parts.append(f"{label} {text}" if label else text)
        return " · ".join(parts)


def matches(finding: Finding, flt: FindingFilter) -> bool:
    """Whether the finding passes every facet of the filter, is the filter's resource (when it names
    one) and holds every typed word in its search text."""
    for facet in FACETS:
        allowed = flt.values(facet)
        if allowed and facet_value(finding, facet) not in allowed:
            return False
    if flt.resource is not None and (finding.resource_type, finding.resource_id) != flt.resource:
        return False
    if flt.account is not None and finding.account_id != flt.account:
        return False
    return all(word in finding.search for word in flt.words())


def _needed_words(words: Iterable[str]) -> list[str]:
    """The typed words, longest first, without those contained in a longer one (they add nothing)."""
    out: list[str] = []
    for word in sorted(set(words), key=len, reverse=True):
        if not any(word in kept for kept in out):
            out.append(word)
    return out


_SEVERITY = attrgetter("severity")
_LAST_SEEN = attrgetter("last_observed_at")
_FIRST_SEEN = attrgetter("first_observed_at")
_ACCOUNT = attrgetter("account_id")
_CONTROL = attrgetter("control_id")
_REGION = attrgetter("region")
_RESOURCE = attrgetter("resource_type", "resource_id")
_SEARCH = attrgetter("search")
#: The facets' fields in the order apply_filter tries them.
_FACET_FIELDS = (
    ("severities", _SEVERITY),
    ("accounts", _ACCOUNT),
    ("products", attrgetter("product_name")),
    ("resource_types", attrgetter("resource_type")),
    ("compliance", attrgetter("compliance_status")),
    ("workflows", attrgetter("workflow_status")),
    ("record_states", attrgetter("record_state")),
)


def apply_filter(findings: Sequence[Finding], flt: FindingFilter) -> list[Finding]:
    """The findings the filter matches, in their given order. Each condition is one pass over what
    the previous one kept: the resource and the account opened first, then the facets (a set lookup
    each), then the typed words (a substring search each), longest word first. Each pass runs in C
    (a field getter, a set's or a string's ``__contains__`` and ``compress``), about three times as
    fast as a comprehension that tests each finding in Python."""
    items: Sequence[Finding] = findings
    if flt.resource is not None:
        items = list(compress(items, map(flt.resource.__eq__, map(_RESOURCE, items))))
    if flt.account is not None:
        items = list(compress(items, map(flt.account.__eq__, map(_ACCOUNT, items))))
    for field, getter in _FACET_FIELDS:
        allowed: frozenset[str] = getattr(flt, field)
        if allowed:
            items = list(compress(items, map(allowed.__contains__, map(getter, items))))
    for word in _needed_words(flt.words()):
        items = list(compress(items, map(str.__contains__, map(_SEARCH, items), repeat(word))))
    return items if isinstance(items, list) and items is not findings else list(items)


class FilterCache:
    """Remembers the last (findings version, filter) -> result so typing one more letter filters only the
    previous result (narrowing), and the full list otherwise.

    A few recent results are kept, so deleting a letter returns the earlier result at once. The cache
    is valid for one list object and version: pass a new version whenever the findings change."""

    MAX_ENTRIES = 8

    def __init__(self) -> None:
        self._source: Sequence[Finding] | None = None
        self._version: int | None = None
        self._entries: dict[FindingFilter, list[Finding]] = {}
        self.scanned = 0
        """How many findings the last select looked at (0 when it was answered from the cache)."""

    def select(self, findings: Sequence[Finding], version: int, flt: FindingFilter) -> list[Finding]:
        if version != self._version or findings is not self._source:
            self._entries.clear()
            self._version = version
            self._source = findings
        known = self._entries.pop(flt, None)
        if known is not None:
            self._entries[flt] = known
            self.scanned = 0
            return list(known)
        base: Sequence[Finding] = findings
        for earlier, result in self._entries.items():
            if len(result) < len(base) and flt.narrows(earlier):
                base = result
        self.scanned = len(base)
        result = apply_filter(base, flt)
        self._entries[flt] = result
        while len(self._entries) > self.MAX_ENTRIES:
            del self._entries[next(iter(self._entries))]
        return list(result)


# ---------------------------------------------------------------------------------------------
# Sorting, grouping, counting
# ---------------------------------------------------------------------------------------------

SORTS = ("severity", "last seen", "age", "account", "control")

_NEVER = math.inf


def _seconds(moment: datetime | None) -> float:
    """Seconds since the epoch; None sorts after every time."""
    if moment is None:
        return _NEVER
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def _newest_first(moment: datetime | None) -> float:
    return _NEVER if moment is None else -_seconds(moment)


@lru_cache(maxsize=4096)
def _natural(text: str) -> tuple[tuple[int, int, str], ...]:
    """A sort key that puts "EC2.2" before "EC2.13"; "" sorts after every control."""
    if not text:
        return ((2, 0, ""),)
    return tuple(
        (0, int(part), "") if part.isdigit() else (1, 0, part) for part in re.split(r"(\d+)", text) if part
    )


def sort_findings(findings: Iterable[Finding], sort: str) -> list[Finding]:
    """A new list in the named order (one of SORTS); ties fall back to title, then Id and ProductArn,
    so the order is total and the same on every call. Missing times sort last."""

    def tail(f: Finding) -> tuple[str, str, str]:
        return (f.title, f.id, f.product_arn)

    keys: dict[str, Callable[[Finding], Any]] = {
        "severity": lambda f: (f.severity_rank, _newest_first(f.last_observed_at), *tail(f)),
        "last seen": lambda f: (_newest_first(f.last_observed_at), f.severity_rank, *tail(f)),
        "age": lambda f: (_seconds(f.first_observed_at), f.severity_rank, *tail(f)),
        "account": lambda f: (f.account_id, f.severity_rank, _newest_first(f.last_observed_at), *tail(f)),
        "control": lambda f: (
            _natural(f.control_id),
            f.severity_rank,
            _newest_first(f.last_observed_at),
            *tail(f),
        ),
    }
    try:
        key = keys[sort]
    except KeyError:
        raise ValueError(f"unknown sort {sort!r}; sorts are {', '.join(SORTS)}") from None
    return sorted(findings, key=key)


class _Ranks(dict[str, int]):
    """Severity -> rank, the lowest rank for a word that is not a severity (a C-speed lookup)."""

    def __missing__(self, key: str) -> int:
        return _LOWEST_RANK


_RANKS = _Ranks(_RANK)
_OLDEST = datetime.min.replace(tzinfo=UTC)
_LATEST = datetime.max.replace(tzinfo=UTC)


class SortedOrders:
    """One list of findings in each order of SORTS, as ``sort_findings`` gives it, each made when
    first asked for and then kept.

    The findings are put in the tie-breaking order (title, Id, ProductArn) once; each order is then
    a few stable sorts of positions by one plain key each (a rank, a time, an account id), which run
    at C speed where one sort by a tuple built per finding in Python does not: about a tenth of the
    time at 50,000 findings. Times are compared as datetimes (the parser makes every one UTC); a list
    that mixes naive and aware times is sorted as ``sort_findings`` does it."""

    def __init__(self, findings: Sequence[Finding]) -> None:
        self._findings = findings
        self._orders: dict[str, list[Finding]] = {}
        self._base: list[Finding] | None = None
        self._keys: dict[str, list[Any]] = {}

    def order(self, sort: str) -> list[Finding]:
        """The findings in the named order (one of SORTS): the same list object on every call."""
        known = self._orders.get(sort)
        if known is not None:
            return known
        if sort not in SORTS:
            raise ValueError(f"unknown sort {sort!r}; sorts are {', '.join(SORTS)}")
        try:
            made = self._make(sort)
        except TypeError:  # naive and aware times together: no plain comparison orders them
            made = sort_findings(self._findings, sort)
        self._orders[sort] = made
        return made

    def missing(self) -> list[str]:
        """The orders not made yet, in the order of SORTS."""
        return [sort for sort in SORTS if sort not in self._orders]

    def _make(self, sort: str) -> list[Finding]:
        base = self._base
        if base is None:
            base = sorted(self._findings, key=attrgetter("product_arn"))
            base.sort(key=attrgetter("id"))
            base.sort(key=attrgetter("title"))
            self._base = base
        # (key, newest first), least significant first: each stable pass keeps the earlier ties.
        passes: dict[str, tuple[tuple[str, bool], ...]] = {
            "severity": (("last", True), ("rank", False)),
            "last seen": (("rank", False), ("last", True)),
            "age": (("rank", False), ("first", False)),
            "account": (("last", True), ("rank", False), ("account", False)),
            "control": (("last", True), ("rank", False), ("control", False)),
        }
        positions = list(range(len(base)))
        for name, newest_first in passes[sort]:
            positions.sort(key=self._key(name, base).__getitem__, reverse=newest_first)
        return list(map(base.__getitem__, positions))

    def _key(self, name: str, base: list[Finding]) -> list[Any]:
        keys = self._keys.get(name)
        if keys is not None:
            return keys
        if name == "rank":
            keys = list(map(_RANKS.__getitem__, map(_SEVERITY, base)))
        elif name == "last":  # newest first, missing times last
            keys = [_OLDEST if moment is None else moment for moment in map(_LAST_SEEN, base)]
        elif name == "first":  # oldest first, missing times last
            keys = [_LATEST if moment is None else moment for moment in map(_FIRST_SEEN, base)]
        elif name == "account":
            keys = list(map(_ACCOUNT, base))
        else:
            controls = sorted(set(map(_CONTROL, base)), key=_natural)
            place = {control: n for n, control in enumerate(controls)}
            keys = list(map(place.__getitem__, map(_CONTROL, base)))
        self._keys[name] = keys
        return keys


@dataclass(frozen=True, slots=True)
class ResourceGroup:
    """The findings of one resource (by their first resource), as one row."""

    resource_type: str
    resource_id: str
    account_id: str
    region: str
    count: int
    severity: str
    last_observed_at: datetime | None
    findings: tuple[Finding, ...]
    controls: tuple[str, ...]

    @property
    def key(self) -> tuple[str, str]:
        return (self.resource_type, self.resource_id)


def _group_order(group: ResourceGroup) -> tuple[int, int, str, str]:
    return (_RANK[group.severity], -group.count, group.resource_id, group.resource_type)


def _latest(members: Sequence[Finding]) -> datetime | None:
    """The latest LastObservedAt among the findings (None when none has one)."""
    moments: list[datetime] = [moment for moment in map(_LAST_SEEN, members) if moment is not None]
    if not moments:
        return None
    try:
        return max(moments)
    except TypeError:  # naive and aware times together
        return max(moments, key=_seconds)


def _buckets(findings: Sequence[Finding], key: Callable[[Finding], Any]) -> dict[Any, list[Finding]]:
    """The findings by ``key``, each bucket in the given order, buckets in order of first appearance."""
    buckets: dict[Any, list[Finding]] = {}
    for value, finding in zip(map(key, findings), findings, strict=True):
        members = buckets.get(value)
        if members is None:
            buckets[value] = [finding]
        else:
            members.append(finding)
    return buckets


def group_by_resource(findings: Sequence[Finding]) -> list[ResourceGroup]:
    """One group per (resource type, resource id), its findings in the given order; groups sorted by
    highest severity, then most findings, then resource id."""
    groups: list[ResourceGroup] = []
    for (rtype, rid), members in _buckets(findings, _RESOURCE).items():
        first = members[0]
        if len(members) == 1:
            rank = _RANKS[first.severity]
            last = first.last_observed_at
            controls: tuple[str, ...] = (first.control_id,) if first.control_id else ()
        else:
            rank = min(map(_RANKS.__getitem__, map(_SEVERITY, members)))
            last = _latest(members)
            controls = tuple(dict.fromkeys(filter(None, map(_CONTROL, members))))
        groups.append(
            ResourceGroup(
                rtype,
                rid,
                first.account_id,
                first.region,
                len(members),
                SEVERITIES[rank],
                last,
                tuple(members),
                controls,
            )
        )
    groups.sort(key=_group_order)
    return groups


@dataclass(frozen=True, slots=True)
class AccountGroup:
    """The findings of one account, as one row."""

    account_id: str
    count: int
    severity: str
    """The worst severity among them."""
    severities: tuple[int, ...]
    """How many of each severity, in the order of SEVERITIES."""
    regions: tuple[str, ...]
    """The regions they are in, sorted."""
    resources: int
    """How many resources they are about."""
    last_observed_at: datetime | None
    findings: tuple[Finding, ...]

    @property
    def key(self) -> str:
        return self.account_id


def _account_order(group: AccountGroup) -> tuple[int, int, int, str]:
    rank = _RANK[group.severity]
    return (rank, -group.severities[rank], -group.count, group.account_id)


def group_by_account(findings: Sequence[Finding]) -> list[AccountGroup]:
    """One group per account, its findings in the given order; the account with the worst severity
    first, then the one with most findings of that severity, then most findings, then account id."""
    groups: list[AccountGroup] = []
    for account, members in _buckets(findings, _ACCOUNT).items():
        counts = Counter(map(_SEVERITY, members))
        per_severity = tuple(counts.get(severity, 0) for severity in SEVERITIES)
        unknown = len(members) - sum(per_severity)
        if unknown:  # a severity word the model does not know counts as the lowest, as it sorts
            per_severity = (*per_severity[:-1], per_severity[-1] + unknown)
        rank = next(n for n, count in enumerate(per_severity) if count)
        groups.append(
            AccountGroup(
                account,
                len(members),
                SEVERITIES[rank],
                per_severity,
                tuple(sorted(set(map(_REGION, members)))),
                len(set(map(_RESOURCE, members))),
                _latest(members),
                tuple(members),
            )
        )
    groups.sort(key=_account_order)
    return groups


def facet_counts(findings: Iterable[Finding], facet: str) -> list[tuple[str, int]]:
    """Each value of the facet among the findings with how many have it: most common first, then by value."""
    getter = _facet_getter(facet)
    counts = Counter(getter(f) for f in findings)
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))


def severity_counts(findings: Iterable[Finding]) -> dict[str, int]:
    """How many findings of each severity, every severity present (0 when none), CRITICAL first."""
    counts = dict.fromkeys(SEVERITIES, 0)
    counts.update(Counter(map(_SEVERITY, findings)))
    return counts


# ---------------------------------------------------------------------------------------------
# Standards scores
# ---------------------------------------------------------------------------------------------

STANDARD_NAMES: dict[str, str] = {
    "standards/aws-foundational-security-best-practices/v/1.0.0": "FSBP v1.0.0",
    "ruleset/cis-aws-foundations-benchmark/v/1.2.0": "CIS 1.2.0",
    "standards/cis-aws-foundations-benchmark/v/1.4.0": "CIS 1.4.0",
    "standards/cis-aws-foundations-benchmark/v/3.0.0": "CIS 3.0.0",
    "standards/cis-aws-foundations-benchmark/v/5.0.0": "CIS 5.0.0",
    "standards/pci-dss/v/3.2.1": "PCI DSS 3.2.1",
    "standards/pci-dss/v/4.0.1": "PCI DSS 4.0.1",
    "standards/nist-800-53/v/5.0.0": "NIST 800-53 r5",
    "standards/nist-800-171/v/2.0.0": "NIST 800-171 r2",
    "standards/aws-resource-tagging-standard/v/1.0.0": "Tagging v1.0.0",
    "standards/service-managed-aws-control-tower/v/1.0.0": "Control Tower v1.0.0",
}

_ENABLED_STATUSES = frozenset({"READY", "INCOMPLETE"})
_SCORED = frozenset({"PASSED", "WARNING", "FAILED"})
_STANDARD_PARTS = re.compile(r"^(?:standards|ruleset)/([^/]+)/v/([^/]+)$")


def standard_name(standard_id: str) -> str:
    """A short name for a normalized standard id: a known one's, else "<name> v<version>"."""
    known = STANDARD_NAMES.get(standard_id)
    if known:
        return known
    match = _STANDARD_PARTS.match(standard_id)
    if match:
        return clean_line(f"{match.group(1)} v{match.group(2)}", 80)
    return clean_line(standard_id, 80)


@dataclass(frozen=True, slots=True)
class StandardScore:
    standard_id: str
    name: str
    enabled: bool
    passed: int
    total: int

    @property
    def share(self) -> float | None:
        """passed / total, None when no control of the standard has data."""
        return self.passed / self.total if self.total else None


def standard_scores(
    findings: Iterable[Finding], enabled: Sequence[Mapping[str, Any]] | None
) -> list[StandardScore]:
    """Security Hub's score per standard: of the standard's controls that have data, the share that pass.

    A control (by control id) has data in a standard when at least one ACTIVE finding of that standard
    has compliance status PASSED, WARNING or FAILED; it passes when all of them are PASSED. Findings
    with compliance NOT_AVAILABLE (or none), ARCHIVED ones and SUPPRESSED ones are ignored, as Security
    Hub ignores them. ``enabled`` is GetEnabledStandards' StandardsSubscriptions: those standards come
    first, in that order, enabled when their status is READY or INCOMPLETE; standards seen only in
    findings follow, not enabled, by name. None means the enabled standards are unknown."""
    controls: dict[str, dict[str, bool]] = {}
    for finding in findings:
        if (
            not finding.control_id
            or finding.record_state != "ACTIVE"
            or finding.workflow_status == "SUPPRESSED"
            or finding.compliance_status not in _SCORED
        ):
            continue
        passed = finding.compliance_status == "PASSED"
        for standard in finding.standards:
            per_control = controls.setdefault(standard, {})
            per_control[finding.control_id] = per_control.get(finding.control_id, True) and passed

    def score(standard: str, is_enabled: bool) -> StandardScore:
        states = controls.get(standard, {})
        return StandardScore(
            standard_id=standard,
            name=standard_name(standard),
            enabled=is_enabled,
            passed=sum(states.values()),
            total=len(states),
        )

    out: list[StandardScore] = []
    listed: set[str] = set()
    for entry in enabled or ():
        if not isinstance(entry, Mapping):
            continue
        arn = entry.get("StandardsArn")
        if not isinstance(arn, str) or not arn.strip():
            continue
        standard = normalize_standard(arn)
        if not standard or standard in listed:
            continue
        listed.add(standard)
        status = entry.get("StandardsStatus")
        out.append(score(standard, isinstance(status, str) and status in _ENABLED_STATUSES))
    seen_only = [s for s in controls if s not in listed]
    seen_only.sort(key=lambda s: (standard_name(s), s))
    out.extend(score(s, False) for s in seen_only)
    return out
