"""Kinesis actions against the simulator: real reshards, retention and mode changes, every refusal made
before any call, and read-only mode refused below the UI.

Region eu-west-3 is this module's own for Kinesis: every stream here is created by these tests.
"""

from __future__ import annotations

import itertools
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tui.aws.actions import ActionRunner, AuditLog, Plan, PlanRefusal, ReadOnlyRefusal
from tui.aws.actions.kinesis import (
    StreamFacts,
    double_plan,
    halve_plan,
    mode_plan,
    reshard_plan,
    retention_plan,
)
from tui.aws.clients import AwsTarget, ClientFactory

REGION = "eu-west-3"
ClientMaker = Callable[..., Any]
_names = itertools.count(1)


@pytest.fixture
async def factory(sim_url: str) -> AsyncIterator[ClientFactory]:
    made = ClientFactory(
        AwsTarget(regions=(REGION,), endpoint_url=sim_url, access_key="testing", secret_key="testing")
    )
    try:
        yield made
    finally:
        await made.close()


@pytest.fixture
def kinesis(client: ClientMaker) -> Any:
    return client("kinesis", region=REGION)


@pytest.fixture
def audit(tmp_path: Path) -> AuditLog:
    return AuditLog(tmp_path / "state" / "audit.jsonl")


def now() -> datetime:
    return datetime.now(UTC)


def summary(kinesis: Any, name: str) -> dict[str, Any]:
    reply: dict[str, Any] = kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]
    return reply


def settled(kinesis: Any, name: str, deadline_s: float = 30.0) -> dict[str, Any]:
    """The stream's summary once its reshard is done (ACTIVE again), failing after ``deadline_s``."""
    deadline = time.monotonic() + deadline_s
    while True:
        found = summary(kinesis, name)
        if found["StreamStatus"] == "ACTIVE":
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"{name} is still {found['StreamStatus']} after {deadline_s:g} s")
        time.sleep(0.2)


def new_stream(kinesis: Any, *, shards: int = 2, mode: str = "PROVISIONED", retention: int = 24) -> str:
    name = f"act-{next(_names)}-{mode.lower()}"
    if mode == "ON_DEMAND":
        kinesis.create_stream(StreamName=name, StreamModeDetails={"StreamMode": "ON_DEMAND"})
    else:
        kinesis.create_stream(StreamName=name, ShardCount=shards)
    if retention != 24:
        kinesis.increase_stream_retention_period(StreamName=name, RetentionPeriodHours=retention)
    return name


def facts_of(kinesis: Any, name: str) -> StreamFacts:
    """What the Kinesis pane knows about a stream, read the way it reads it."""
    s = summary(kinesis, name)
    return StreamFacts(
        name=s["StreamName"],
        arn=s["StreamARN"],
        region=REGION,
        mode=s["StreamModeDetails"]["StreamMode"],
        open_shards=s["OpenShardCount"],
        retention_hours=s["RetentionPeriodHours"],
        status=s["StreamStatus"],
    )


def runner(factory: ClientFactory, audit: AuditLog, *, read_only: bool = False) -> ActionRunner:
    return ActionRunner(factory, read_only=read_only, audit=audit, actor="oncall")


def prefill(
    audit: AuditLog, facts: StreamFacts, operation: str, params: dict[str, Any], **fields: Any
) -> None:
    record: dict[str, Any] = {
        "at": (now() - timedelta(hours=1)).isoformat(),
        "region": REGION,
        "service": "kinesis",
        "operation": operation,
        "params": params,
        "outcome": "ok",
        "plan_key": f"kinesis:{REGION}:{facts.name}",
    }
    record.update(fields)
    audit.append(record)


async def assert_refused_without_calls(
    plan: Plan, factory: ClientFactory, audit: AuditLog, *reason_words: str
) -> None:
    assert plan.refusal, plan
    for word in reason_words:
        assert word in plan.refusal, (word, plan.refusal)
    before = len(audit.records())
    with pytest.raises(PlanRefusal) as info:
        await runner(factory, audit).execute(plan)
    assert info.value.reason == plan.refusal
    assert factory.calls == Counter(), "a refused plan must not call AWS"
    added = audit.records()[before:]
    assert [r["outcome"] for r in added] == ["refused"] * len(plan.calls)
    assert all(r["message"] == plan.refusal for r in added)


# Plans that run -----------------------------------------------------------------------------------


async def test_doubling_reshards_the_stream_and_audits_the_exact_call(
    factory: ClientFactory, kinesis: Any, audit: AuditLog
) -> None:
    name = new_stream(kinesis, shards=2)
    facts = facts_of(kinesis, name)
    plan = double_plan(facts, audit=audit, now=now())
    assert plan.refusal == ""
    assert plan.title == f"Reshard {name} 2 → 4 shards"
    assert plan.key == f"kinesis:{REGION}:{name}"
    assert [c.cli() for c in plan.calls] == [
        f"aws kinesis update-shard-count --stream-name {name} --target-shard-count 4 "
        f"--scaling-type UNIFORM_SCALING --region {REGION}"
    ]
    assert any("UPDATING" in note for note in plan.notes)
    assert any("0 of the 10 scalings" in note for note in plan.notes)

    result = await runner(factory, audit).execute(plan)

    assert result.ok, result.message
    assert result.problem is None
    assert result.outputs[0]["CurrentShardCount"] == 2
    assert result.outputs[0]["TargetShardCount"] == 4
    assert factory.calls == Counter({"kinesis:UpdateShardCount": 1})
    # AWS reshards while the stream is UPDATING; a second reshard meanwhile is refused with the reason.
    during = facts_of(kinesis, name)
    assert during.status == "UPDATING"
    again = double_plan(during, audit=audit, now=now())
    assert again.refusal == f"{name} is UPDATING; AWS changes the shard count only while the stream is ACTIVE"
    assert settled(kinesis, name)["OpenShardCount"] == 4
    (record,) = audit.records()
    assert record["outcome"] == "ok"
    assert record["service"] == "kinesis" and record["operation"] == "UpdateShardCount"
    assert record["region"] == REGION
    assert record["params"] == {"StreamName": name, "TargetShardCount": 4, "ScalingType": "UNIFORM_SCALING"}
    assert record["actor"] == "oncall"
    assert record["plan_title"] == plan.title and record["plan_key"] == plan.key
    assert "CurrentShardCount=2" in record["message"] and "TargetShardCount=4" in record["message"]
    assert audit.count("kinesis", "UpdateShardCount", since=None, match={"StreamName": name}) == 1


@pytest.mark.parametrize(("shards", "halved"), [(4, 2), (3, 2), (2, 1)])
async def test_halving_rounds_up(
    factory: ClientFactory, kinesis: Any, audit: AuditLog, shards: int, halved: int
) -> None:
    name = new_stream(kinesis, shards=shards)
    plan = halve_plan(facts_of(kinesis, name), audit=audit, now=now())
    assert plan.refusal == ""
    assert plan.calls[0].params["TargetShardCount"] == halved
    result = await runner(factory, audit).execute(plan)
    assert result.ok, result.message
    assert settled(kinesis, name)["OpenShardCount"] == halved
    assert [r["outcome"] for r in audit.records()] == ["ok"]


async def test_retention_increase(factory: ClientFactory, kinesis: Any, audit: AuditLog) -> None:
    name = new_stream(kinesis, shards=1)
    plan = retention_plan(facts_of(kinesis, name), 168)
    assert plan.refusal == ""
    assert plan.calls[0].params == {"StreamName": name, "RetentionPeriodHours": 168}
    assert any("per shard-hour" in note for note in plan.notes)
    result = await runner(factory, audit).execute(plan)
    assert result.ok, result.message
    assert factory.calls == Counter({"kinesis:IncreaseStreamRetentionPeriod": 1})
    assert summary(kinesis, name)["RetentionPeriodHours"] == 168
    (record,) = audit.records()
    assert record["outcome"] == "ok" and record["message"] == "no response body"


async def test_mode_switch_to_on_demand(factory: ClientFactory, kinesis: Any, audit: AuditLog) -> None:
    name = new_stream(kinesis, shards=1)
    facts = facts_of(kinesis, name)
    plan = mode_plan(facts, "ON_DEMAND", audit=audit, now=now())
    assert plan.refusal == ""
    assert plan.calls[0].params == {"StreamARN": facts.arn, "StreamModeDetails": {"StreamMode": "ON_DEMAND"}}
    assert any("per GB" in note for note in plan.notes)
    result = await runner(factory, audit).execute(plan)
    assert result.ok, result.message
    assert summary(kinesis, name)["StreamModeDetails"]["StreamMode"] == "ON_DEMAND"
    assert factory.calls == Counter({"kinesis:UpdateStreamMode": 1})


async def test_without_an_audit_log_the_daily_limit_is_a_note(kinesis: Any) -> None:
    facts = facts_of(kinesis, new_stream(kinesis, shards=1))
    plan = double_plan(facts, audit=None, now=now())
    assert plan.refusal == ""
    assert any("cannot check" in note for note in plan.notes)


async def test_scalings_outside_the_window_region_or_stream_do_not_count(
    factory: ClientFactory, kinesis: Any, audit: AuditLog
) -> None:
    facts = facts_of(kinesis, new_stream(kinesis, shards=1))
    params = {"StreamName": facts.name, "TargetShardCount": 2, "ScalingType": "UNIFORM_SCALING"}
    for _ in range(9):
        prefill(audit, facts, "UpdateShardCount", params)
    prefill(audit, facts, "UpdateShardCount", params, at=(now() - timedelta(hours=25)).isoformat())
    prefill(audit, facts, "UpdateShardCount", params, region="us-east-1")
    prefill(audit, facts, "UpdateShardCount", params, outcome="error")
    prefill(audit, facts, "UpdateShardCount", {**params, "StreamName": "someone-else"})
    plan = double_plan(facts, audit=audit, now=now())
    assert plan.refusal == ""
    assert any("9 of the 10 scalings" in note for note in plan.notes)
    result = await runner(factory, audit).execute(plan)
    assert result.ok, result.message
    assert settled(kinesis, facts.name)["OpenShardCount"] == 2
    # That was the tenth: the next one is refused.
    after = facts_of(kinesis, facts.name)
    refused = halve_plan(after, audit=audit, now=now())
    assert (
        refused.refusal
        == "10 scalings already made from this console in the last 24 h; AWS allows 10 per rolling 24 h"
    )


# Refusals: nothing is called ----------------------------------------------------------------------


async def test_on_demand_stream_cannot_be_resharded(
    factory: ClientFactory, kinesis: Any, audit: AuditLog
) -> None:
    facts = facts_of(kinesis, new_stream(kinesis, mode="ON_DEMAND"))
    assert facts.mode == "ON_DEMAND"
    plan = reshard_plan(facts, facts.open_shards + 1, audit=audit, now=now())
    await assert_refused_without_calls(plan, factory, audit, "only on PROVISIONED", "ON_DEMAND")


async def test_beyond_double_is_refused(factory: ClientFactory, kinesis: Any, audit: AuditLog) -> None:
    name = new_stream(kinesis, shards=2)
    plan = reshard_plan(facts_of(kinesis, name), 5, audit=audit, now=now())
    await assert_refused_without_calls(plan, factory, audit, "at most doubling", "2 → at most 4")
    assert summary(kinesis, name)["OpenShardCount"] == 2


async def test_under_half_is_refused(factory: ClientFactory, kinesis: Any, audit: AuditLog) -> None:
    name = new_stream(kinesis, shards=4)
    plan = reshard_plan(facts_of(kinesis, name), 1, audit=audit, now=now())
    await assert_refused_without_calls(plan, factory, audit, "at most halving", "4 → at least 2")
    assert summary(kinesis, name)["OpenShardCount"] == 4


@pytest.mark.parametrize(
    ("target", "words"),
    [(0, "at least 1 shard"), (3, "already has 3 open shards"), (10_001, "10,000 shards")],
)
async def test_other_shard_targets_are_refused(
    factory: ClientFactory, kinesis: Any, audit: AuditLog, target: int, words: str
) -> None:
    facts = facts_of(kinesis, new_stream(kinesis, shards=3))
    big = replace(facts, open_shards=6000) if target > 10_000 else facts
    plan = reshard_plan(big, target, audit=audit, now=now())
    await assert_refused_without_calls(plan, factory, audit, words)


async def test_a_stream_that_is_not_active_is_not_touched(
    factory: ClientFactory, kinesis: Any, audit: AuditLog
) -> None:
    facts = replace(facts_of(kinesis, new_stream(kinesis, shards=2)), status="UPDATING")
    for plan in (
        double_plan(facts, audit=audit, now=now()),
        retention_plan(facts, 48),
        mode_plan(facts, "ON_DEMAND", audit=audit, now=now()),
    ):
        await assert_refused_without_calls(plan, factory, audit, "UPDATING", "ACTIVE")


async def test_eleventh_scaling_in_24_hours_is_refused(
    factory: ClientFactory, kinesis: Any, audit: AuditLog
) -> None:
    name = new_stream(kinesis, shards=2)
    facts = facts_of(kinesis, name)
    for target in (4, 2, 4, 2, 4, 2, 4, 2, 4, 2):
        prefill(
            audit,
            facts,
            "UpdateShardCount",
            {"StreamName": name, "TargetShardCount": target, "ScalingType": "UNIFORM_SCALING"},
        )
    plan = double_plan(facts, audit=audit, now=now())
    assert plan.refusal == (
        "10 scalings already made from this console in the last 24 h; AWS allows 10 per rolling 24 h"
    )
    await assert_refused_without_calls(plan, factory, audit)
    assert summary(kinesis, name)["OpenShardCount"] == 2


@pytest.mark.parametrize(("current", "asked"), [(48, 48), (48, 24), (24, 9000)])
async def test_retention_must_rise_within_the_maximum(
    factory: ClientFactory, kinesis: Any, audit: AuditLog, current: int, asked: int
) -> None:
    name = new_stream(kinesis, shards=1, retention=current)
    facts = facts_of(kinesis, name)
    assert facts.retention_hours == current
    plan = retention_plan(facts, asked)
    words = "8,760 h" if asked > 8760 else "must be above"
    await assert_refused_without_calls(plan, factory, audit, words)
    assert summary(kinesis, name)["RetentionPeriodHours"] == current


async def test_mode_unchanged_is_refused(factory: ClientFactory, kinesis: Any, audit: AuditLog) -> None:
    facts = facts_of(kinesis, new_stream(kinesis, shards=1))
    plan = mode_plan(facts, "PROVISIONED", audit=audit, now=now())
    await assert_refused_without_calls(plan, factory, audit, "already PROVISIONED")


async def test_unknown_mode_is_refused(factory: ClientFactory, kinesis: Any, audit: AuditLog) -> None:
    facts = facts_of(kinesis, new_stream(kinesis, shards=1))
    plan = mode_plan(facts, "SERVERLESS", audit=audit, now=now())
    await assert_refused_without_calls(plan, factory, audit, "unknown capacity mode")


async def test_third_mode_switch_in_24_hours_is_refused(
    factory: ClientFactory, kinesis: Any, audit: AuditLog
) -> None:
    facts = facts_of(kinesis, new_stream(kinesis, shards=1))
    for mode in ("ON_DEMAND", "PROVISIONED"):
        prefill(
            audit,
            facts,
            "UpdateStreamMode",
            {"StreamARN": facts.arn, "StreamModeDetails": {"StreamMode": mode}},
        )
    plan = mode_plan(facts, "ON_DEMAND", audit=audit, now=now())
    await assert_refused_without_calls(plan, factory, audit, "2 mode switches already made", "AWS allows 2")


# Read-only mode -----------------------------------------------------------------------------------


async def test_read_only_refuses_below_the_ui(factory: ClientFactory, kinesis: Any, audit: AuditLog) -> None:
    name = new_stream(kinesis, shards=2)
    plan = double_plan(facts_of(kinesis, name), audit=audit, now=now())
    assert plan.refusal == ""
    with pytest.raises(ReadOnlyRefusal):
        await runner(factory, audit, read_only=True).execute(plan)
    assert factory.calls == Counter()
    assert summary(kinesis, name)["OpenShardCount"] == 2
    (record,) = audit.records()
    assert record["outcome"] == "refused-read-only"
    assert record["params"] == {"StreamName": name, "TargetShardCount": 4, "ScalingType": "UNIFORM_SCALING"}
