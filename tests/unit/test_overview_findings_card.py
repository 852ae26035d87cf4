"""The Overview's Security Hub card, drawn from the Findings feed's state: how far a first load has
got, then the pane's default view counted, per watched region, and never a number it does not have."""

from __future__ import annotations

from datetime import UTC, datetime

from tui.aws.errors import AwsProblem, ErrorKind
from tui.aws.findings import FindingsSnapshot
from tui.aws.findings_model import parse_finding
from tui.screens.overview import findings_card, open_findings
from tui.sim.findings_bulk import synthetic_findings

NOW = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)
DENIED = AwsProblem(ErrorKind.PERMISSION, "GetFindings: access denied", "grant securityhub:GetFindings")


def snapshot(*regions: str, count: int = 300) -> FindingsSnapshot:
    raw = [f for region in regions for f in synthetic_findings(count, seed=3, now=NOW, region=region)]
    findings = tuple(f for f in (parse_finding(r) for r in raw) if f is not None)
    return FindingsSnapshot(fetched_at=NOW, region=regions[0], findings=findings, version=1)


def test_a_first_load_says_how_far_it_has_got_and_a_failure_why() -> None:
    assert findings_card("us-east-1", None, ()).rows == (("loading findings…", "starting"),)
    loading = findings_card("us-east-1", None, (), loading=(12, 1_200))
    assert loading.rows == (("loading findings…", "1,200 so far"), ("pages read", "12"))
    failed = findings_card("us-east-1", None, (), problem=DENIED)
    assert failed.rows == () and failed.problem == DENIED.message and failed.hint == DENIED.hint


def test_the_hub_regions_card_counts_the_panes_default_view() -> None:
    snap = snapshot("us-east-1")
    open_ = open_findings(snap)
    assert 0 < len(open_) < snap.total
    assert all(f.record_state == "ACTIVE" and f.workflow_status in ("NEW", "NOTIFIED") for f in open_)
    rows = dict(findings_card("us-east-1", snap, open_).rows)
    assert rows["total"] == f"{len(open_):,}"
    assert rows["critical"] == str(sum(1 for f in open_ if f.severity == "CRITICAL"))
    assert list(rows) == ["critical", "high", "medium", "low", "informational", "total"]
    stale = findings_card("us-east-1", snap, open_, problem=DENIED)
    assert dict(stale.rows) == rows and stale.problem == f"stale: {DENIED.message}"


def test_another_region_counts_its_own_findings_of_the_hubs_stream_or_says_it_has_none() -> None:
    snap = snapshot("us-east-1", "eu-west-1")
    open_ = open_findings(snap)
    hub = dict(findings_card("us-east-1", snap, open_).rows)
    assert hub["total"] == f"{len(open_):,}" and hub["regions"] == "2 (aggregated)"
    linked = dict(findings_card("eu-west-1", snap, open_).rows)
    assert linked["total"] == str(sum(1 for f in open_ if f.region == "eu-west-1"))
    assert linked["read from"] == "the us-east-1 hub"
    # A watched region the hub holds nothing of: no zero, but where the findings come from.
    alone = findings_card("ap-south-1", snap, open_)
    assert alone.rows == () and "us-east-1 hub" in alone.problem and "aggregation" in alone.hint
