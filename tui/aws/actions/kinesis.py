"""Plans for the Kinesis pane: resharding, retention and capacity mode, refused before any call
when AWS would refuse them."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from tui.aws.actions.audit import AuditLog
from tui.aws.actions.core import ApiCall, Plan, acting_in
from tui.aws.outcome import utcnow
from tui.aws.scope import Place

SERVICE = "kinesis"
PROVISIONED = "PROVISIONED"
ON_DEMAND = "ON_DEMAND"
MODES = (PROVISIONED, ON_DEMAND)

MAX_SHARDS = 10_000
SCALINGS_PER_DAY = 10
MODE_SWITCHES_PER_DAY = 2
MIN_RETENTION_HOURS = 24
MAX_RETENTION_HOURS = 8760
EXTENDED_RETENTION_HOURS = 168
WINDOW = timedelta(hours=24)


@dataclass(frozen=True)
class StreamFacts:
    """What the pane knows about the stream when the plan is built."""

    name: str
    arn: str
    region: str
    mode: str
    open_shards: int
    retention_hours: int
    status: str
    account_id: str = ""
    """The account the stream is in ("" for the credential's own, in a console of one account)."""
    place: Place | None = None
    """Where the console acts on it (``tui.aws.scope.acting_place``): its account's place in its
    region. None with an ``account_id``: that account is not reached there now, and every plan is
    refused rather than made with the credential's own account."""
    account_name: str = ""


def _in_account(plan: Plan, facts: StreamFacts) -> Plan:
    """``plan`` acting in the stream's account (``core.acting_in``)."""
    return acting_in(plan, facts.place, facts.account_id, facts.region, facts.account_name)


def stream_key(facts: StreamFacts) -> str:
    return f"kinesis:{facts.region}:{facts.name}"


def _capacity(shards: int) -> str:
    return f"write {shards} MB/s or {shards * 1000:,} records/s, read {2 * shards} MB/s"


def _shard_count_reason(facts: StreamFacts, target: int) -> str:
    """Why AWS would refuse UpdateShardCount to ``target`` on this stream, or ""."""
    if facts.mode != PROVISIONED:
        return (
            f"UpdateShardCount works only on PROVISIONED streams; {facts.name} is {facts.mode} "
            "and AWS sizes it by itself"
        )
    if facts.status != "ACTIVE":
        return f"{facts.name} is {facts.status}; AWS changes the shard count only while the stream is ACTIVE"
    if facts.open_shards < 1:
        return f"the open shard count of {facts.name} is unknown; refresh the pane first"
    opened = facts.open_shards
    if target < 1:
        return "a stream needs at least 1 shard"
    if target == opened:
        return f"{facts.name} already has {opened} open shard{'s' if opened != 1 else ''}"
    if target > MAX_SHARDS:
        return f"AWS allows at most {MAX_SHARDS:,} shards per stream through UpdateShardCount"
    if target > 2 * opened:
        return (
            f"AWS allows at most doubling the open shards in one UpdateShardCount: "
            f"{opened} → at most {2 * opened}"
        )
    lowest = math.ceil(opened / 2)
    if target < lowest:
        return (
            f"AWS allows at most halving the open shards in one UpdateShardCount: "
            f"{opened} → at least {lowest}"
        )
    return ""


def _daily_limit(
    audit: AuditLog | None,
    *,
    operation: str,
    match: dict[str, str],
    region: str,
    account: str,
    now: datetime,
    limit: int,
    what: str,
) -> tuple[str, str]:
    """(refusal, note) for ``limit`` calls per stream per rolling 24 h, counted from the audit log."""
    if audit is None:
        return "", (
            f"AWS allows {limit} {what} per stream per rolling 24 h; without an audit log "
            "this console cannot check how many were made"
        )
    try:
        made = audit.count(
            SERVICE, operation, since=now - WINDOW, match=match, region=region, account=account or None
        )
    except OSError as exc:
        return "", (
            f"AWS allows {limit} {what} per stream per rolling 24 h; the audit log could not be read "
            f"({exc.strerror or exc}), so this console cannot check how many were made"
        )
    if made >= limit:
        return (
            f"{made} {what} already made from this console in the last 24 h; "
            f"AWS allows {limit} per rolling 24 h"
        ), ""
    return "", (
        f"{made} of the {limit} {what} AWS allows per rolling 24 h were made from this console; "
        "AWS does not expose its count, so changes made elsewhere are not included"
    )


def _shards(count: int) -> str:
    return f"{count} shard{'s' if count != 1 else ''}"


def reshard_plan(
    facts: StreamFacts, target: int, *, audit: AuditLog | None, now: datetime, asked: str = ""
) -> Plan:
    """UpdateShardCount (UNIFORM_SCALING) to ``target`` open shards, in the stream's account.

    ``asked``: what the user asked for ("Double the shards of …"), which a refused plan is titled by,
    so a refusal never reads as a reshard that would run."""
    return _in_account(_reshard(facts, target, audit=audit, now=now, asked=asked), facts)


def _reshard(facts: StreamFacts, target: int, *, audit: AuditLog | None, now: datetime, asked: str) -> Plan:
    call = ApiCall(
        SERVICE,
        "UpdateShardCount",
        facts.region,
        {"StreamName": facts.name, "TargetShardCount": target, "ScalingType": "UNIFORM_SCALING"},
    )
    refusal = _shard_count_reason(facts, target)
    notes = [
        "Resharding takes a few minutes; the stream is UPDATING meanwhile and cannot be changed again "
        "until it is ACTIVE (reads and writes continue).",
        f"Provisioned streams are billed per shard-hour: {target} shards instead of {facts.open_shards}.",
    ]
    if not refusal:
        refusal, note = _daily_limit(
            audit,
            operation="UpdateShardCount",
            match={"StreamName": facts.name},
            region=facts.region,
            account=facts.account_id,
            now=now,
            limit=SCALINGS_PER_DAY,
            what="scalings",
        )
        if note:
            notes.append(note)
    if refusal:
        opened = _shards(facts.open_shards) if facts.open_shards > 0 else "an unknown number of shards"
        return Plan(
            title=f"{asked or f'Reshard {facts.name} to {_shards(target)}'}: refused",
            why=f"{facts.name} has {opened} open now; {target} asked. Nothing is called.",
            calls=(call,),
            refusal=refusal,
            key=stream_key(facts),
        )
    return Plan(
        title=f"Reshard {facts.name} {facts.open_shards} → {target} shards",
        why=(
            f"Will set {facts.name} to {target} open shards: {_capacity(target)} "
            f"(now {_capacity(facts.open_shards)})."
        ),
        calls=(call,),
        refusal=refusal,
        notes=tuple(notes),
        key=stream_key(facts),
    )


def double_plan(facts: StreamFacts, *, audit: AuditLog | None, now: datetime) -> Plan:
    """Reshard to twice the open shards."""
    asked = f"Double the shards of {facts.name}"
    return reshard_plan(facts, 2 * facts.open_shards, audit=audit, now=now, asked=asked)


def halve_plan(facts: StreamFacts, *, audit: AuditLog | None, now: datetime) -> Plan:
    """Reshard to half the open shards, rounded up; a stream of 1 shard cannot be halved."""
    asked = f"Halve the shards of {facts.name}"
    plan = _reshard(facts, max(1, math.ceil(facts.open_shards / 2)), audit=audit, now=now, asked=asked)
    if facts.open_shards == 1 and facts.mode == PROVISIONED and facts.status == "ACTIVE":
        plan = replace(
            plan,
            why=f"{facts.name} has 1 open shard now. Nothing is called.",
            refusal="1 shard is the fewest a stream can have: there is nothing to halve",
        )
    return _in_account(plan, facts)


def retention_plan(facts: StreamFacts, hours: int) -> Plan:
    """IncreaseStreamRetentionPeriod to ``hours``, in the stream's account."""
    return _in_account(_retention(facts, hours), facts)


def _retention(facts: StreamFacts, hours: int) -> Plan:
    call = ApiCall(
        SERVICE,
        "IncreaseStreamRetentionPeriod",
        facts.region,
        {"StreamName": facts.name, "RetentionPeriodHours": hours},
    )
    refusal = ""
    if facts.status != "ACTIVE":
        refusal = f"{facts.name} is {facts.status}; AWS changes retention only while the stream is ACTIVE"
    elif hours > MAX_RETENTION_HOURS:
        refusal = f"AWS keeps records at most {MAX_RETENTION_HOURS:,} h (365 days); {hours:,} h asked"
    elif hours < MIN_RETENTION_HOURS:
        refusal = f"AWS keeps records at least {MIN_RETENTION_HOURS} h; {hours} h asked"
    elif hours <= facts.retention_hours:
        refusal = (
            f"{facts.name} already keeps records {facts.retention_hours:,} h; this action only raises "
            f"retention, so {hours:,} h must be above that"
        )
    notes: list[str] = []
    if hours > MIN_RETENTION_HOURS:
        notes.append("Retention beyond 24 h costs extra per shard-hour (extended retention).")
    if hours > EXTENDED_RETENTION_HOURS:
        notes.append("Records kept beyond 7 days (168 h) are also billed per GB-month (long-term retention).")
    title = f"Raise retention of {facts.name} {facts.retention_hours:,} h → {hours:,} h"
    if refusal:
        title = f"Raise retention of {facts.name} to {hours:,} h: refused"
    return Plan(
        title=title,
        why=(
            f"Consumers that fall behind lose records once their iterator age passes the retention; "
            f"{hours:,} h gives them {hours / 24:g} days to catch up."
        ),
        calls=(call,),
        refusal=refusal,
        notes=tuple(notes),
        key=stream_key(facts),
    )


def mode_plan(
    facts: StreamFacts, mode: str, *, audit: AuditLog | None = None, now: datetime | None = None
) -> Plan:
    """UpdateStreamMode to ``mode`` (PROVISIONED or ON_DEMAND), in the stream's account.

    With ``audit``, AWS's two switches per rolling 24 h before ``now`` (default: the current time) are
    counted from the audit log.
    """
    return _in_account(_mode(facts, mode, audit=audit, now=now), facts)


def _mode(facts: StreamFacts, mode: str, *, audit: AuditLog | None, now: datetime | None) -> Plan:
    call = ApiCall(
        SERVICE,
        "UpdateStreamMode",
        facts.region,
        {"StreamARN": facts.arn, "StreamModeDetails": {"StreamMode": mode}},
    )
    refusal = ""
    if mode not in MODES:
        refusal = f"unknown capacity mode {mode!r}; AWS takes {' or '.join(MODES)}"
    elif mode == facts.mode:
        refusal = f"{facts.name} is already {facts.mode}"
    elif facts.status != "ACTIVE":
        refusal = f"{facts.name} is {facts.status}; AWS switches the mode only while the stream is ACTIVE"
    notes = ["The stream is UPDATING for a few minutes while the mode changes."]
    if mode == ON_DEMAND:
        notes.append(
            "On-demand is billed per GB written and read plus a per-stream hourly charge; "
            "AWS adds and removes shards by itself."
        )
    elif mode == PROVISIONED:
        notes.append(
            f"Provisioned is billed per shard-hour; the stream keeps its current "
            f"{facts.open_shards} open shards until you reshard it."
        )
    if not refusal:
        refusal, note = _daily_limit(
            audit,
            operation="UpdateStreamMode",
            match={"StreamARN": facts.arn},
            region=facts.region,
            account=facts.account_id,
            now=now or utcnow(),
            limit=MODE_SWITCHES_PER_DAY,
            what="mode switches",
        )
        if note:
            notes.append(note)
    return Plan(
        title=f"Switch {facts.name} from {facts.mode} to {mode}" + (": refused" if refusal else ""),
        why=(
            "On-demand absorbs unpredictable traffic without resharding; provisioned is cheaper for steady, "
            "known throughput."
        ),
        calls=(call,),
        refusal=refusal,
        notes=tuple(notes),
        key=stream_key(facts),
    )
