"""How the Findings pane words and lays out findings: columns, cells, the summary strip, and the lazy
row source that turns only the rows on screen into table rows."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from operator import attrgetter

from tui.aws.findings_model import (
    SEVERITIES,
    AccountGroup,
    Finding,
    FindingFilter,
    ResourceGroup,
    StandardScore,
)
from tui.common.timefmt import one_unit_age_text
from widgets.gauge import Fragment
from widgets.safe import clean
from widgets.vtable import Column, TableRow

SEVERITY_WORD = {
    "CRITICAL": "✖ CRIT",
    "HIGH": "▲ HIGH",
    "MEDIUM": "MED",
    "LOW": "LOW",
    "INFORMATIONAL": "info",
}
SEVERITY_ROLE = {
    "CRITICAL": "critical",
    "HIGH": "warn",
    "MEDIUM": "",
    "LOW": "muted",
    "INFORMATIONAL": "muted",
}
WORKFLOW_WORD = {"NEW": "new", "NOTIFIED": "notified", "RESOLVED": "resolved", "SUPPRESSED": "suppressed"}
COMPLIANCE_WORD = {
    "FAILED": "✖ fail",
    "PASSED": "✓ pass",
    "WARNING": "▲ warn",
    "NOT_AVAILABLE": "n/a",
    "": "—",
}
SEVERITY_SHORT = {"CRITICAL": "crit", "HIGH": "high", "MEDIUM": "med", "LOW": "low", "INFORMATIONAL": "info"}
#: What ``v`` shows, by grouping ("" is the flat list), in the order it cycles.
GROUPING_WORDS = {"": "flat", "resource": "by resource", "account": "by account"}
WORKFLOW_SHORT = {"NEW": "new", "NOTIFIED": "ntfy", "RESOLVED": "rslv", "SUPPRESSED": "supp"}

RESOURCE_ABBREVIATIONS = {
    "AwsEc2SecurityGroup": "sg",
    "AwsEc2Instance": "ec2",
    "AwsEc2Volume": "ebs",
    "AwsEc2Vpc": "vpc",
    "AwsS3Bucket": "s3",
    "AwsIamUser": "user",
    "AwsIamAccessKey": "key",
    "AwsIamRole": "role",
    "AwsAccount": "account",
    "AwsKmsKey": "kms",
    "AwsCloudTrailTrail": "trail",
    "AwsLambdaFunction": "lambda",
    "AwsEcrContainerImage": "image",
}


def resource_kind(resource_type: str) -> str:
    known = RESOURCE_ABBREVIATIONS.get(resource_type)
    if known:
        return known
    return resource_type.removeprefix("Aws") or "?"


def short_id(resource_id: str) -> str:
    """The readable tail of a resource id: an ARN's last part, an account's number."""
    if resource_id.startswith("AWS::::Account:"):
        return resource_id.rsplit(":", 1)[-1]
    if resource_id.startswith("arn:"):
        parts = resource_id.split(":", 5)
        tail = parts[5] if len(parts) == 6 else resource_id
        if "/" in tail:
            head, _, rest = tail.partition("/")
            if head in {"security-group", "instance", "volume", "vpc", "key", "user", "role", "trail"}:
                return rest.rsplit("/", 1)[-1]
            return rest
        return tail
    return resource_id


def resource_text(resource_type: str, resource_id: str) -> str:
    if not resource_type and not resource_id:
        return "—"
    return f"{resource_kind(resource_type)} {short_id(resource_id)}"


def age(since: datetime | None, now: datetime) -> str:
    """Minutes below an hour, hours below two days, then days."""
    if since is None:
        return "?"
    return one_unit_age_text((now - since).total_seconds(), seconds_below=0, minutes_below=3600)


def severity_cell(severity: str) -> list[Fragment]:
    return [(SEVERITY_WORD.get(severity, severity.lower()), SEVERITY_ROLE.get(severity, ""))]


def columns_for(width: int) -> tuple[Column, ...]:
    if width >= 170:
        return (
            Column("sev", "SEV", 6),
            Column("title", "TITLE", 30, flex=True),
            Column("resource", "RESOURCE", 26),
            Column("account", "ACCOUNT", 12),
            Column("region", "REGION", 10),
            Column("product", "PRODUCT", 14),
            Column("control", "CONTROL", 11),
            Column("compliance", "COMPL", 6),
            Column("workflow", "WORKFLOW", 10),
            Column("age", "AGE", 4, align="right"),
        )
    if width >= 130:
        return (
            Column("sev", "SEV", 6),
            Column("title", "TITLE", 26, flex=True),
            Column("resource", "RESOURCE", 22),
            Column("account", "ACCOUNT", 12),
            Column("region", "REGION", 9),
            Column("product", "PRODUCT", 12),
            Column("control", "CONTROL", 11),
            Column("compliance", "COMPL", 6),
            Column("workflow", "WORKFLOW", 9),
            Column("age", "AGE", 4, align="right"),
        )
    if width >= 100:
        return (
            Column("sev", "SEV", 6),
            Column("title", "TITLE", 24, flex=True),
            Column("resource", "RESOURCE", 20),
            Column("account", "ACCOUNT", 12),
            Column("control", "CONTROL", 11),
            Column("workflow", "WORKFLOW", 9),
            Column("age", "AGE", 4, align="right"),
        )
    return (
        Column("sev", "SEV", 6),
        Column("title", "TITLE", 20, flex=True),
        Column("resource", "RESOURCE", 16),
        Column("workflow", "WF", 4),
        Column("age", "AGE", 4, align="right"),
    )


def group_columns_for(width: int) -> tuple[Column, ...]:
    if width >= 120:
        return (
            Column("sev", "SEV", 6),
            Column("count", "COUNT", 5, align="right"),
            Column("resource", "RESOURCE", 30, flex=True),
            Column("account", "ACCOUNT", 12),
            Column("region", "REGION", 10),
            Column("controls", "CONTROLS", 28),
            Column("last", "SEEN", 4, align="right"),
        )
    return (
        Column("sev", "SEV", 6),
        Column("count", "N", 3, align="right"),
        Column("resource", "RESOURCE", 24, flex=True),
        Column("controls", "CONTROLS", 18),
    )


def account_group_columns_for(width: int) -> tuple[Column, ...]:
    # The name's column is keyed "account", so the list's own ACCOUNT column is not added to it.
    if width >= 120:
        return (
            Column("sev", "SEV", 6),
            Column("count", "COUNT", 6, align="right"),
            Column("account", "ACCOUNT", 24, flex=True),
            Column("id", "ID", 12),
            Column("severities", "BY SEVERITY", 44 if width >= 150 else 28),
            Column("resources", "RESOURCES", 9, align="right"),
            Column("regions", "REGIONS", 20),
            Column("last", "SEEN", 4, align="right"),
        )
    return (
        Column("sev", "SEV", 6),
        Column("count", "N", 5, align="right"),
        Column("account", "ACCOUNT", 14, flex=True),
        Column("id", "ID", 12),
        Column("severities", "BY SEVERITY", 26),
    )


def severities_text(counts: Sequence[int], *, limit: int = len(SEVERITIES)) -> str:
    """ "2 crit · 15 high · 30 med": the severities present, most severe first (``limit`` of them)."""
    parts = [f"{count:,} {SEVERITY_SHORT[s]}" for s, count in zip(SEVERITIES, counts, strict=True) if count]
    return " · ".join(parts[:limit])


def account_label(account_id: str, names: Mapping[str, str] | None) -> str:
    """ "payments-prod (210987654321)", or the id alone when the console knows no other name."""
    name = names.get(account_id, "") if names else ""
    return f"{clean(name)} ({account_id})" if name and name != account_id else account_id


def finding_row(
    finding: Finding,
    columns: tuple[Column, ...],
    now: datetime,
    selected: bool,
    playbook_of: Callable[[Finding], str | None],
    names: Mapping[str, str] | None = None,
) -> TableRow:
    """One finding's row; ``names`` gives the accounts' names (the id when it has none)."""
    cells: list[str | list[Fragment]] = []
    for col in columns:
        key = col.key
        if key == "sev":
            cells.append(severity_cell(finding.severity))
        elif key == "title":
            cells.append(finding.title)
        elif key == "resource":
            cells.append(resource_text(finding.resource_type, finding.resource_id))
        elif key == "account":
            cells.append(names.get(finding.account_id, finding.account_id) if names else finding.account_id)
        elif key == "region":
            cells.append(finding.region)
        elif key == "product":
            cells.append(finding.product_name)
        elif key == "control":
            fix = "+" if playbook_of(finding) else ""
            cells.append(
                [(finding.control_id or "—", ""), (fix, "mark")] if fix else finding.control_id or "—"
            )
        elif key == "compliance":
            cells.append(COMPLIANCE_WORD.get(finding.compliance_status, finding.compliance_status.lower()))
        elif key == "workflow":
            words = WORKFLOW_SHORT if col.width < 6 else WORKFLOW_WORD
            cells.append(words.get(finding.workflow_status, finding.workflow_status.lower()))
        elif key == "age":
            cells.append(age(finding.first_observed_at, now))
        else:
            cells.append("")
    return TableRow(_row_key(finding.key), tuple(cells), level="mark" if selected else "")


def group_row(
    group: ResourceGroup,
    columns: tuple[Column, ...],
    now: datetime,
    selected: bool,
    names: Mapping[str, str] | None = None,
) -> TableRow:
    cells: list[str | list[Fragment]] = []
    for col in columns:
        key = col.key
        if key == "sev":
            cells.append(severity_cell(group.severity))
        elif key == "count":
            cells.append(str(group.count))
        elif key == "resource":
            cells.append(resource_text(group.resource_type, group.resource_id))
        elif key == "account":
            cells.append(names.get(group.account_id, group.account_id) if names else group.account_id)
        elif key == "region":
            cells.append(group.region)
        elif key == "controls":
            cells.append(", ".join(group.controls) or "—")
        elif key == "last":
            cells.append(age(group.last_observed_at, now))
        else:
            cells.append("")
    return TableRow(_group_key(group.key), tuple(cells), level="mark" if selected else "")


def account_group_row(
    group: AccountGroup,
    columns: tuple[Column, ...],
    now: datetime,
    selected: bool,
    names: Mapping[str, str] | None = None,
) -> TableRow:
    """One account's row: its name as the console knows it (the id when it has none) and its id."""
    cells: list[str | list[Fragment]] = []
    for col in columns:
        key = col.key
        if key == "sev":
            cells.append(severity_cell(group.severity))
        elif key == "count":
            cells.append(f"{group.count:,}")
        elif key == "account":
            name = names.get(group.account_id, "") if names else ""
            cells.append(clean(name) if name and name != group.account_id else "—")
        elif key == "id":
            cells.append(group.account_id or "?")
        elif key == "severities":
            cells.append(severities_text(group.severities, limit=5 if col.width >= 44 else 3))
        elif key == "resources":
            cells.append(f"{group.resources:,}")
        elif key == "regions":
            cells.append(", ".join(group.regions) or "—")
        elif key == "region":
            # The narrow list's REGION: an account's findings span its regions.
            many = len(group.regions) > 1
            cells.append(f"{len(group.regions)} regions" if many else (group.regions or ("—",))[0])
        elif key == "last":
            cells.append(age(group.last_observed_at, now))
        else:
            cells.append("")
    return TableRow(account_group_key(group), tuple(cells), level="mark" if selected else "")


def account_group_key(group: AccountGroup) -> str:
    return f"account\x00{group.account_id}"


def _row_key(key: tuple[str, str]) -> str:
    return f"{key[1]}\x00{key[0]}"


def _group_key(key: tuple[str, str]) -> str:
    return f"{key[0]}\x00{key[1]}"


def row_key(finding: Finding) -> str:
    return _row_key(finding.key)


_FINDING_ID = attrgetter("id")


def finding_index(findings: Sequence[Finding], key: str) -> int | None:
    """Where the finding with table row ``key`` is in ``findings``, without making every row's key."""
    product_arn, _, finding_id = key.partition("\x00")
    ids = list(map(_FINDING_ID, findings))  # C speed: the cursor is looked up on every refill
    start = 0
    while True:
        try:
            index = ids.index(finding_id, start)
        except ValueError:
            return None
        if findings[index].product_arn == product_arn:
            return index
        start = index + 1


def group_key(group: ResourceGroup) -> str:
    return _group_key(group.key)


def summary(counts: Mapping[str, int], shown: int, loaded: int) -> list[Fragment]:
    out: list[Fragment] = []
    for severity in SEVERITIES:
        count = counts.get(severity, 0)
        word = SEVERITY_WORD[severity] if severity != "INFORMATIONAL" else "INFO"
        role = SEVERITY_ROLE[severity] if count else "muted"
        if out:
            out.append(("  ", ""))
        out.append((f"{word} {count:,}", role))
    out.append((f"   showing {shown:,} of {loaded:,}", "muted"))
    return out


def loading_text(pages: int, found: int) -> str:
    """The first load's progress, while the list shows what it has read."""
    return f"⟳ loading, most severe first: {found:,} findings read (page {pages:,}); scores at the end"


def scores_text(scores: Sequence[StandardScore], problem: str, *, known: bool = True) -> str:
    """Each standard's share of passing controls; "(not enabled)" only when the enabled ones are known."""
    parts: list[str] = []
    for score in scores:
        share = score.share
        if share is None:
            continue
        flag = "" if score.enabled or not known else " (not enabled)"
        parts.append(f"{score.name} {share:.0%} ({score.passed}/{score.total} controls){flag}")
    if problem:
        parts.append(f"standards: ? {problem}")
    return " · ".join(parts) if parts else "standards: no control findings yet"


def filter_text(
    flt: FindingFilter,
    sort: str,
    grouping: str,
    selected: int,
    names: Mapping[str, str] | None = None,
) -> str:
    """The view line: the facets, the order, the account and resource opened, the grouping."""
    parts = [flt.describe() or "all findings", f"sorted by {sort}"]
    if flt.account is not None:
        parts.append(f"account {account_label(flt.account, names)}")
    if flt.resource is not None:
        parts.append(f"resource {resource_text(*flt.resource)}")
    if grouping:
        parts.append(f"grouped {GROUPING_WORDS[grouping]}")
    if selected:
        parts.append(f"{selected} selected")
    return " · ".join(parts)


# ---- the findings a dialog acts on ------------------------------------------------------------

#: The severities a dialog always lists one by one, however many findings it acts on.
ALWAYS_LISTED = ("CRITICAL", "HIGH")
#: Lines a dialog gives the other severities before it counts the rest.
OTHERS_LISTED = 12
#: CRITICAL and HIGH findings a dialog lists at most: a bulk change over tens of thousands of them
#: would take seconds to draw (about 2 s for 12,000 on the 2-core bench machine) and be read by no one.
SEVERE_LISTED = 500


def severity_breakdown(findings: Sequence[Finding]) -> str:
    """ "3 CRITICAL · 5 HIGH · 12 MEDIUM": each severity present, most severe first."""
    counts = Counter(f.severity for f in findings)
    return " · ".join(f"{counts[s]:,} {s}" for s in SEVERITIES if counts[s])


def findings_heading(findings: Sequence[Finding]) -> str:
    count = len(findings)
    return f"{count:,} finding{'s' if count != 1 else ''}, most severe first: {severity_breakdown(findings)}"


def most_severe_first(findings: Sequence[Finding]) -> list[Finding]:
    return sorted(findings, key=lambda f: (f.severity_rank, f.title, f.resource_id))


def findings_rows(
    findings: Sequence[Finding], *, others: int = OTHERS_LISTED, severe: int = SEVERE_LISTED
) -> list[tuple[str, str]]:
    """(severity word, what and where) per finding, most severe first: every CRITICAL and HIGH one (up
    to ``severe`` of them, the rest then counted by severity and named as such), then up to ``others``
    of the rest, the remainder counted by severity."""
    ordered = most_severe_first(findings)
    worst = [f for f in ordered if f.severity in ALWAYS_LISTED]
    rest = [f for f in ordered if f.severity not in ALWAYS_LISTED]
    rows = [_row(f) for f in worst[:severe]]
    if len(worst) > severe:
        unlisted = worst[severe:]
        counted = severity_breakdown(unlisted)
        rows.append(
            (
                "…",
                f"and {len(unlisted):,} more CRITICAL or HIGH not listed here ({counted}): "
                "Esc, then the severity facet (f) shows them all",
            )
        )
        others = 0
    rows += [_row(f) for f in rest[:others]]
    hidden = rest[others:]
    if hidden:
        rows.append(("…", f"and {len(hidden):,} more, none CRITICAL or HIGH: {severity_breakdown(hidden)}"))
    return rows


def _row(finding: Finding) -> tuple[str, str]:
    return _severity_word(finding), f"{clean(finding.title)} · {clean(_where(finding))}"


def _severity_word(finding: Finding) -> str:
    return SEVERITY_WORD.get(finding.severity, finding.severity.lower())


def _where(finding: Finding) -> str:
    return resource_text(finding.resource_type, finding.resource_id)


def severe_hint(findings: Sequence[Finding]) -> str:
    """Where a dialog's most severe findings are, for the line that says the body goes on."""
    present = {f.severity for f in findings}
    severe = [s for s in ALWAYS_LISTED if s in present]
    return f"{' and '.join(severe)} at the top" if severe else ""
