"""What the dialogs say, without a screen: the findings a bulk change lists (CRITICAL and HIGH never
folded away), the line that counts what is below, refused reshards titled by what was asked, both
Kinesis limits counted from the audit log, and the row's marker from the moment a reshard is called."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from tests.frozen import FROZEN
from tui.aws.actions import ActionRunner, AuditLog
from tui.aws.actions import kinesis as stream_actions
from tui.aws.clients import AwsTarget, ClientFactory
from tui.aws.findings_model import Finding, parse_finding
from tui.aws.kinesis import StreamView
from tui.context import PaneContext
from tui.screens import kinesis_format as fmt
from tui.screens.dialog import CONFIRM_RULE, more_text
from tui.screens.findings_format import findings_heading, findings_rows, severe_hint
from tui.screens.kinesis_actions import StreamActions
from tui.settings import Settings
from tui.sim.findings_bulk import synthetic_findings

FACTS = stream_actions.StreamFacts(
    name="payments-events",
    arn="arn:aws:kinesis:us-east-1:123456789012:stream/payments-events",
    region="us-east-1",
    mode="PROVISIONED",
    open_shards=1,
    retention_hours=24,
    status="ACTIVE",
)


def _findings(**counts: int) -> list[Finding]:
    base = next(f for f in (parse_finding(r) for r in synthetic_findings(1, seed=3, now=FROZEN)) if f)
    made: list[Finding] = []
    for severity, count in counts.items():
        made += [
            dataclasses.replace(
                base, id=f"{severity}-{i}", severity=severity, title=f"{severity} finding {i}"
            )
            for i in range(count)
        ]
    # Listed in an order that is not the severity order, as a selection may be.
    return made[::-1]


# ---- the findings a bulk change lists ---------------------------------------------------------


def test_every_critical_and_high_finding_is_listed_first_and_only_the_rest_are_counted() -> None:
    findings = _findings(LOW=30, CRITICAL=3, MEDIUM=40, HIGH=25, INFORMATIONAL=2)
    rows = findings_rows(findings, others=5)
    words = [word for word, _ in rows]
    assert words[:3] == ["✖ CRIT"] * 3 and words[3:28] == ["▲ HIGH"] * 25
    assert words[28:33] == ["MED"] * 5, "then the most severe of the rest"
    (folded,) = rows[33:]
    assert folded == ("…", "and 67 more, none CRITICAL or HIGH: 35 MEDIUM · 30 LOW · 2 INFORMATIONAL")
    assert findings_heading(findings).startswith("100 findings, most severe first: 3 CRITICAL · 25 HIGH")
    assert severe_hint(findings) == "CRITICAL and HIGH at the top"


def test_tens_of_thousands_of_severe_findings_are_listed_up_to_a_bound_and_counted_by_severity() -> None:
    findings = _findings(HIGH=30, CRITICAL=5, LOW=4)
    rows = findings_rows(findings, severe=20)
    assert [word for word, _ in rows[:20]] == ["✖ CRIT"] * 5 + ["▲ HIGH"] * 15
    severe, rest = rows[20:]
    assert severe[1].startswith("and 15 more CRITICAL or HIGH not listed here (15 HIGH): Esc, then the")
    assert rest == ("…", "and 4 more, none CRITICAL or HIGH: 4 LOW")


def test_a_few_findings_are_all_listed_and_none_severe_says_nothing_of_severity() -> None:
    findings = _findings(LOW=2, MEDIUM=1)
    assert [word for word, _ in findings_rows(findings)] == ["MED", "LOW", "LOW"]
    assert severe_hint(findings) == ""


# ---- the line under a body taller than its box --------------------------------------------------


def test_the_more_line_counts_the_lines_below_and_says_where_the_severe_ones_are() -> None:
    assert more_text(0, 0) == "", "a body that fits says nothing"
    assert more_text(1, 0).startswith("▼ 1 more line (")
    assert more_text(1_234, 10, "CRITICAL at the top").startswith("▼ 1,234 more lines (")
    assert more_text(1_234, 10, "CRITICAL at the top").endswith(" · CRITICAL at the top")
    assert more_text(0, 12).startswith("▲ the end")


# ---- Kinesis plans -----------------------------------------------------------------------------


def test_halving_one_shard_is_refused_as_asked_not_as_a_reshard_to_the_same_count() -> None:
    plan = stream_actions.halve_plan(FACTS, audit=None, now=FROZEN)
    assert plan.title == "Halve the shards of payments-events: refused"
    assert "→" not in plan.title and "1 → 1" not in plan.why
    assert plan.refusal == "1 shard is the fewest a stream can have: there is nothing to halve"


def test_a_refused_double_says_what_was_asked(tmp_path: Path) -> None:
    audit = AuditLog(tmp_path / "audit.jsonl")
    params = {"StreamName": FACTS.name, "TargetShardCount": 2, "ScalingType": "UNIFORM_SCALING"}
    for _ in range(stream_actions.SCALINGS_PER_DAY):
        audit.append(
            {
                "at": FROZEN.isoformat(),
                "region": FACTS.region,
                "service": "kinesis",
                "operation": "UpdateShardCount",
                "params": params,
                "outcome": "ok",
            }
        )
    plan = stream_actions.double_plan(FACTS, audit=audit, now=FROZEN)
    assert plan.title == "Double the shards of payments-events: refused"
    assert plan.why == "payments-events has 1 shard open now; 2 asked. Nothing is called."
    assert plan.refusal.startswith("10 scalings already made from this console")
    runnable = stream_actions.double_plan(FACTS, audit=AuditLog(tmp_path / "other.jsonl"), now=FROZEN)
    assert runnable.title == "Reshard payments-events 1 → 2 shards" and not runnable.refusal
    assert runnable.why.startswith("Will set payments-events to 2 open shards")


class _Pane(StreamActions):
    def __init__(self, ctx: PaneContext) -> None:
        self.ctx = ctx
        self.pending = {}


@pytest.mark.parametrize("audited", [True, False])
async def test_mode_and_reshard_count_from_the_audit_log_alike(tmp_path: Path, audited: bool) -> None:
    factory = ClientFactory(AwsTarget(regions=("us-east-1",), access_key="testing", secret_key="testing"))
    audit = AuditLog(tmp_path / "audit.jsonl")
    runner = ActionRunner(factory, read_only=False, audit=audit) if audited else None
    pane = _Pane(PaneContext(factory=factory, settings=Settings(), clock=lambda: FROZEN, actions=runner))
    view = StreamView(
        region=FACTS.region,
        stream_name=FACTS.name,
        stream_arn=FACTS.arn,
        mode=FACTS.mode,
        status=FACTS.status,
        open_shards=2,
        retention_hours=24,
    )
    try:
        reshard = " ".join(pane.plan_for("double", view).notes)
        mode = " ".join(pane.plan_for("mode", view).notes)
    finally:
        await factory.close()
    if audited:
        assert "0 of the 10 scalings AWS allows per rolling 24 h were made from this console" in reshard
        assert "0 of the 2 mode switches AWS allows per rolling 24 h were made from this console" in mode
    else:
        assert "without an audit log this console cannot check" in reshard
        assert "without an audit log this console cannot check" in mode


def test_a_called_reshard_reads_resharding_in_any_column_width() -> None:
    plan = stream_actions.double_plan(dataclasses.replace(FACTS, open_shards=2), audit=None, now=FROZEN)
    pending = fmt.pending_word(plan)
    assert pending == "⟳ resharding → 4 shards"
    assert fmt.pending_cell(pending, 30) == pending
    assert fmt.pending_cell(pending, 14) == "⟳ resharding"
    assert fmt.pending_cell(pending, 11) == "resharding…"
    mode = stream_actions.mode_plan(FACTS, "ON_DEMAND", audit=None, now=FROZEN)
    assert fmt.pending_cell(fmt.pending_word(mode), 11) == "⟳ updating"


def test_the_readme_and_the_help_state_one_confirmation_rule() -> None:
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    row = next(line for line in readme.splitlines() if line.startswith("| `y` / `n` `Esc` |"))
    assert "every dialog" in row and "Enter confirms" in row and "text field" in row
    rule = dict(CONFIRM_RULE)
    assert rule["y"].startswith("confirm") and "text field" in rule["y"] and "Enter" in rule["y"]
    assert rule["n Esc"].startswith("cancel")
