"""Security Hub workflow changes against the simulator: chunking, per-finding results, refusals, pacing.

Region us-east-2 is this module's own: every finding in it is imported by these tests.
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest

from tui.aws.actions import ActionRunner, AuditLog, PlanRefusal, ReadOnlyRefusal
from tui.aws.actions.findings import BATCH, Target, run_workflow, workflow_plan
from tui.aws.clients import AwsTarget, ClientFactory
from tui.aws.ratelimit import RateLimiter

REGION = "us-east-2"
ACCOUNT = "123456789012"
PRODUCT_ARN = f"arn:aws:securityhub:{REGION}:{ACCOUNT}:product/{ACCOUNT}/default"
IMPORTED_AT = "2026-11-01T10:00:00.000Z"
ClientMaker = Callable[..., Any]
_batches = itertools.count(1)


@dataclass(frozen=True, slots=True)
class Item:
    """A finding as the workflow sees it."""

    id: str
    product_arn: str = PRODUCT_ARN
    account_id: str = ACCOUNT
    region: str = REGION
    control_keys: tuple[str, ...] = ("EC2.13",)
    resource_type: str = "AwsEc2SecurityGroup"
    resource_id: str = "sg-0123456789abcdef0"
    title: str = "Security groups should not allow ingress from 0.0.0.0/0 to port 22"
    workflow_status: str = "NEW"
    compliance_status: str = "FAILED"
    record_state: str = "ACTIVE"

    @property
    def key(self) -> tuple[str, str]:
        return (self.id, self.product_arn)


def asff(finding_id: str) -> dict[str, Any]:
    return {
        "SchemaVersion": "2018-10-08",
        "Id": finding_id,
        "ProductArn": PRODUCT_ARN,
        "GeneratorId": "workflow-test",
        "AwsAccountId": ACCOUNT,
        "Types": ["Software and Configuration Checks/Industry and Regulatory Standards"],
        "CreatedAt": IMPORTED_AT,
        "UpdatedAt": IMPORTED_AT,
        "Severity": {"Label": "HIGH"},
        "Title": "Security groups should not allow ingress from 0.0.0.0/0 to port 22",
        "Description": "imported by test_findings_workflow",
        "Resources": [
            {"Type": "AwsEc2SecurityGroup", "Id": finding_id, "Region": REGION, "Partition": "aws"}
        ],
    }


def import_findings(hub: Any, count: int) -> tuple[str, list[Item]]:
    """``count`` new findings with ids under one fresh prefix."""
    prefix = f"wf-{next(_batches)}-"
    ids = [f"{prefix}{n:04d}" for n in range(count)]
    for start in range(0, count, 100):
        reply = hub.batch_import_findings(Findings=[asff(i) for i in ids[start : start + 100]])
        assert reply["FailedCount"] == 0, reply["FailedFindings"]
    return prefix, [Item(i) for i in ids]


def read_back(hub: Any, prefix: str) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    pages = hub.get_paginator("get_findings").paginate(
        Filters={"Id": [{"Value": prefix, "Comparison": "PREFIX"}]}, PaginationConfig={"PageSize": 100}
    )
    for page in pages:
        for finding in page["Findings"]:
            found[finding["Id"]] = finding
    return found


class RecordingLimiter(RateLimiter):
    """A limiter that notes, before each call, how long its bucket makes the call wait."""

    def __init__(self, clock: Callable[[], float]) -> None:
        super().__init__(clock)
        self.waits: list[tuple[str, float]] = []

    async def acquire(self, region: str, service: str, operation: str) -> None:
        self.waits.append((operation, self.bucket(region, service, operation).wait_needed()))
        await super().acquire(region, service, operation)


def make_factory(sim_url: str, limiter: RateLimiter | None = None) -> ClientFactory:
    target = AwsTarget(regions=(REGION,), endpoint_url=sim_url, access_key="testing", secret_key="testing")
    return ClientFactory(target, limiter=limiter)


@pytest.fixture
async def factory(sim_url: str) -> AsyncIterator[ClientFactory]:
    made = make_factory(sim_url)
    try:
        yield made
    finally:
        await made.close()


@pytest.fixture
def hub(client: ClientMaker) -> Any:
    return client("securityhub", region=REGION)


@pytest.fixture
def audit(tmp_path: Path) -> AuditLog:
    return AuditLog(tmp_path / "state" / "audit.jsonl")


def runner_for(factory: ClientFactory, audit: AuditLog, *, read_only: bool = False) -> ActionRunner:
    return ActionRunner(factory, read_only=read_only, audit=audit, actor="alice", account=ACCOUNT)


# The plan ----------------------------------------------------------------------------------------


def test_the_plan_chunks_by_100_and_says_what_how_many_and_why() -> None:
    targets = [Item(f"plan-{n}") for n in range(250)]
    plan = workflow_plan(targets, "SUPPRESSED", "  accepted risk: lab account  ", "alice", REGION)
    assert not plan.refused
    assert plan.title == "Mark 250 findings SUPPRESSED"
    assert plan.why == 'Note: "accepted risk: lab account" (by alice)'
    assert plan.key == f"securityhub:{REGION}:workflow:SUPPRESSED"
    assert [len(c.params["FindingIdentifiers"]) for c in plan.calls] == [100, 100, 50]
    assert all(
        (c.service, c.operation, c.region) == ("securityhub", "BatchUpdateFindings", REGION)
        for c in plan.calls
    )
    first = plan.calls[0].params
    assert first["FindingIdentifiers"][0] == {"Id": "plan-0", "ProductArn": PRODUCT_ARN}
    assert first["Workflow"] == {"Status": "SUPPRESSED"}
    assert first["Note"] == {"Text": "accepted risk: lab account", "UpdatedBy": "alice"}
    sent = [i["Id"] for c in plan.calls for i in c.params["FindingIdentifiers"]]
    assert sent == [t.id for t in targets]
    assert any(
        "10 calls/s, burst 30" in note and "3 BatchUpdateFindings calls" in note for note in plan.notes
    )
    assert any("UpdatedAt" in note for note in plan.notes)
    assert all(not c.dry_run and c.role_arn is None for c in plan.calls)
    assert plan.calls[2].cli().startswith("aws securityhub batch-update-findings --finding-identifiers ")


def test_one_finding_and_duplicates() -> None:
    one = workflow_plan([Item("a")], "NEW", "reopened", "bob", REGION)
    assert one.title == "Mark 1 finding NEW"
    twice = workflow_plan([Item("a"), Item("b"), Item("a")], "RESOLVED", "fixed", "bob", REGION)
    assert twice.title == "Mark 2 findings RESOLVED"
    assert [i["Id"] for i in twice.calls[0].params["FindingIdentifiers"]] == ["a", "b"]
    assert any("1 finding listed twice" in note for note in twice.notes)
    same_id_other_product = [
        Item("a"),
        Item("a", product_arn="arn:aws:securityhub:us-east-2::product/aws/guardduty"),
    ]
    assert workflow_plan(same_id_other_product, "NEW", "n", "bob", REGION).title == "Mark 2 findings NEW"


@pytest.mark.parametrize(
    ("targets", "status", "note", "updated_by", "reason"),
    [
        ([], "NEW", "n", "bob", "no findings"),
        ([Item("a")], "ARCHIVED", "n", "bob", "workflow status must be one of"),
        ([Item("a")], "resolved", "n", "bob", "workflow status must be one of"),
        ([Item("a")], "NEW", "   ", "bob", "a note is required"),
        ([Item("a")], "NEW", "x" * 513, "bob", "at most 512"),
        ([Item("a")], "NEW", "n", "", "UpdatedBy is empty"),
        ([Item("a")], "NEW", "n", "y" * 513, "UpdatedBy is 513 characters"),
    ],
)
def test_plans_aws_would_refuse_are_refused(
    targets: Sequence[Target], status: str, note: str, updated_by: str, reason: str
) -> None:
    plan = workflow_plan(targets, status, note, updated_by, REGION)
    assert plan.refused
    assert reason in plan.refusal
    assert plan.calls == ()


def test_limits_are_inclusive() -> None:
    plan = workflow_plan([Item(str(n)) for n in range(BATCH)], "NEW", "x" * 512, "y" * 512, REGION)
    assert not plan.refused and len(plan.calls) == 1


# Running it --------------------------------------------------------------------------------------


async def test_250_findings_are_marked_in_three_calls_and_really_change(
    factory: ClientFactory, hub: Any, audit: AuditLog
) -> None:
    prefix, targets = import_findings(hub, 250)
    plan = workflow_plan(targets, "SUPPRESSED", "accepted risk: lab account", "alice", REGION)

    outcome = await run_workflow(runner_for(factory, audit), plan)

    assert outcome.result.ok, outcome.message
    assert outcome.message == "Marked 250 findings SUPPRESSED"
    assert outcome.status == "SUPPRESSED"
    assert outcome.processed == {t.key for t in targets}
    assert outcome.unprocessed == {} and outcome.not_sent == frozenset()
    assert factory.calls["securityhub:BatchUpdateFindings"] == 3
    stored = read_back(hub, prefix)
    assert len(stored) == 250
    for finding in stored.values():
        assert finding["Workflow"]["Status"] == "SUPPRESSED"
        assert finding["Note"]["Text"] == "accepted risk: lab account"
        assert finding["Note"]["UpdatedBy"] == "alice"
        assert finding["UpdatedAt"] == IMPORTED_AT
    records = audit.records()
    assert [(r["operation"], r["outcome"]) for r in records] == [("BatchUpdateFindings", "ok")] * 3
    assert [len(r["params"]["FindingIdentifiers"]) for r in records] == [100, 100, 50]


async def test_an_unknown_finding_is_reported_per_finding(
    factory: ClientFactory, hub: Any, audit: AuditLog
) -> None:
    prefix, targets = import_findings(hub, 5)
    ghost = Item(f"{prefix}ghost")
    plan = workflow_plan([*targets, ghost], "NOTIFIED", "paged the owner", "alice", REGION)

    outcome = await run_workflow(runner_for(factory, audit), plan)

    assert outcome.result.ok
    assert outcome.processed == {t.key for t in targets}
    assert outcome.unprocessed == {ghost.key: "FindingNotFound: Finding Not Found"}
    assert outcome.not_sent == frozenset()
    assert outcome.message == "Marked 5 of 6 findings NOTIFIED; 1 not processed: FindingNotFound"
    stored = read_back(hub, prefix)
    assert sorted(stored) == sorted(t.id for t in targets)
    assert {f["Workflow"]["Status"] for f in stored.values()} == {"NOTIFIED"}


async def test_a_failed_call_leaves_its_chunk_and_the_later_ones_unsent(
    factory: ClientFactory, hub: Any, audit: AuditLog
) -> None:
    prefix, targets = import_findings(hub, 250)
    plan = workflow_plan(targets, "RESOLVED", "fixed by hand", "alice", REGION)
    # Security Hub refuses the second call (an unknown workflow status), the first has been made.
    broken = replace(plan.calls[1], params={**plan.calls[1].params, "Workflow": {"Status": "DONE"}})
    plan = replace(plan, calls=(plan.calls[0], broken, plan.calls[2]))

    outcome = await run_workflow(runner_for(factory, audit), plan)

    assert not outcome.result.ok
    assert outcome.processed == {t.key for t in targets[:100]}
    assert outcome.not_sent == {t.key for t in targets[100:]}
    assert outcome.unprocessed == {}
    assert outcome.message.startswith(
        "Marked 100 of 250 findings RESOLVED; 150 not sent: BatchUpdateFindings: InvalidInputException: "
    )
    stored = read_back(hub, prefix)
    assert {stored[t.id]["Workflow"]["Status"] for t in targets[:100]} == {"RESOLVED"}
    assert {stored[t.id]["Workflow"]["Status"] for t in targets[100:]} == {"NEW"}
    assert factory.calls["securityhub:BatchUpdateFindings"] == 2
    assert [r["outcome"] for r in audit.records()] == ["ok", "error"]


async def test_read_only_mode_refuses_and_changes_nothing(
    factory: ClientFactory, hub: Any, audit: AuditLog
) -> None:
    prefix, targets = import_findings(hub, 120)
    plan = workflow_plan(targets, "SUPPRESSED", "not in read-only mode", "alice", REGION)

    with pytest.raises(ReadOnlyRefusal):
        await run_workflow(runner_for(factory, audit, read_only=True), plan)

    assert factory.calls["securityhub:BatchUpdateFindings"] == 0
    stored = read_back(hub, prefix)
    assert {f["Workflow"]["Status"] for f in stored.values()} == {"NEW"}
    assert all("Note" not in f for f in stored.values())
    records = audit.records()
    assert [(r["operation"], r["outcome"]) for r in records] == [
        ("BatchUpdateFindings", "refused-read-only")
    ] * 2


async def test_a_refused_plan_is_raised_and_audited(factory: ClientFactory, audit: AuditLog) -> None:
    plan = workflow_plan([Item("a")], "NEW", "", "alice", REGION)
    with pytest.raises(PlanRefusal, match="a note is required"):
        await run_workflow(runner_for(factory, audit), plan)
    assert factory.calls == {}
    assert [r["outcome"] for r in audit.records()] == ["refused"]


async def test_calls_past_the_burst_wait_for_the_quota(sim_url: str, hub: Any, audit: AuditLog) -> None:
    now = [0.0]  # the limiter's clock stands still: only the burst is available
    limiter = RecordingLimiter(lambda: now[0])
    factory = make_factory(sim_url, limiter)
    # 28 BatchUpdateFindings calls of this burst were already made: 2 of 30 tokens are left.
    for _ in range(28):
        await limiter.acquire(REGION, "securityhub", "BatchUpdateFindings")
    limiter.waits.clear()
    prefix, targets = import_findings(hub, 250)
    try:
        outcome = await run_workflow(
            runner_for(factory, audit), workflow_plan(targets, "NOTIFIED", "paced", "alice", REGION)
        )
    finally:
        await factory.close()

    assert outcome.result.ok, outcome.message
    waits = [wait for operation, wait in limiter.waits if operation == "BatchUpdateFindings"]
    assert waits[:2] == [0.0, 0.0]
    assert waits[2] == pytest.approx(0.1), "the 31st call of a burst must wait 1/10 s (10 calls/s)"
    assert len(waits) == 3
    assert {f["Workflow"]["Status"] for f in read_back(hub, prefix).values()} == {"NOTIFIED"}
