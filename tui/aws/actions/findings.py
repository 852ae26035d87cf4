"""Security Hub workflow changes from the keyboard: plans of BatchUpdateFindings calls and their outcome.

A plan marks findings NEW, NOTIFIED, RESOLVED or SUPPRESSED with a note, 100 findings a call (the API's
limit). The calls are paced by the client factory's rate limiter at the documented quota of
BatchUpdateFindings, and ``run_workflow`` reads back, per finding, what Security Hub processed.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from tui.aws.actions.core import ActionResult, ActionRunner, ApiCall, Plan
from tui.aws.ratelimit import rate_for

#: FindingIdentifiers per BatchUpdateFindings call, the most the API takes.
BATCH = 100
#: Security Hub's Workflow.Status values.
WORKFLOW_STATUSES = ("NEW", "NOTIFIED", "RESOLVED", "SUPPRESSED")
#: The longest Note.Text and Note.UpdatedBy Security Hub accepts.
NOTE_LIMIT = 512

SERVICE = "securityhub"
OPERATION = "BatchUpdateFindings"

FindingKey = tuple[str, str]


class Target(Protocol):
    """What the workflow and the playbooks need of a finding (``Finding`` satisfies it)."""

    @property
    def id(self) -> str: ...
    @property
    def product_arn(self) -> str: ...
    @property
    def account_id(self) -> str: ...
    @property
    def region(self) -> str: ...
    @property
    def control_keys(self) -> tuple[str, ...]: ...
    @property
    def resource_type(self) -> str: ...
    @property
    def resource_id(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def workflow_status(self) -> str: ...
    @property
    def compliance_status(self) -> str: ...
    @property
    def record_state(self) -> str: ...
    @property
    def key(self) -> tuple[str, str]: ...


def _count(n: int) -> str:
    return f"{n:,} finding{'s' if n != 1 else ''}"


def _refusal(keys: Sequence[FindingKey], status: str, note: str, updated_by: str) -> str:
    if not keys:
        return "no findings to mark"
    if status not in WORKFLOW_STATUSES:
        return f"workflow status must be one of {', '.join(WORKFLOW_STATUSES)}, not {status!r}"
    if not note.strip():
        return "a note is required"
    if len(note) > NOTE_LIMIT:
        return f"the note is {len(note)} characters; Security Hub takes at most {NOTE_LIMIT}"
    if not updated_by.strip():
        return "UpdatedBy is empty: configure a name or let the console read the caller's identity"
    if len(updated_by) > NOTE_LIMIT:
        return f"UpdatedBy is {len(updated_by)} characters; Security Hub takes at most {NOTE_LIMIT}"
    return ""


def workflow_plan(targets: Sequence[Target], status: str, note: str, updated_by: str, region: str) -> Plan:
    """BatchUpdateFindings calls in ``region`` that set ``status`` with ``note`` on every target.

    Targets listed twice are sent once (Security Hub refuses a duplicated identifier). The plan is
    refused when there is nothing to mark, the status is unknown, or the note or UpdatedBy is empty
    or longer than Security Hub takes.
    """
    keys = list(dict.fromkeys(target.key for target in targets))
    note = note.strip()
    updated_by = updated_by.strip()
    title = f"Mark {_count(len(keys))} {status}"
    why = f'Note: "{note}" (by {updated_by})' if note else "No note given"
    plan_key = f"{SERVICE}:{region}:workflow:{status}"
    refusal = _refusal(keys, status, note, updated_by)
    if refusal:
        return Plan(title=title, why=why, calls=(), refusal=refusal, key=plan_key)

    calls = tuple(
        ApiCall(
            SERVICE,
            OPERATION,
            region,
            {
                "FindingIdentifiers": [
                    {"Id": id_, "ProductArn": arn} for id_, arn in keys[start : start + BATCH]
                ],
                "Workflow": {"Status": status},
                "Note": {"Text": note, "UpdatedBy": updated_by},
            },
        )
        for start in range(0, len(keys), BATCH)
    )
    rate = rate_for(SERVICE, OPERATION)
    count = len(calls)
    notes = [
        f"{count} {OPERATION} call{'s' if count != 1 else ''} of at most {BATCH} findings in {region}, "
        f"paced at the API's quota ({rate.per_second:g} calls/s, burst {rate.burst:g}) by the client's "
        "rate limiter.",
        "Security Hub leaves the findings' UpdatedAt as it is: the list shows the change at once and "
        "re-reads these findings on the next poll.",
    ]
    duplicates = len(targets) - len(keys)
    if duplicates:
        notes.append(f"{_count(duplicates)} listed twice, sent once.")
    return Plan(title=title, why=why, calls=calls, notes=tuple(notes), key=plan_key)


@dataclass(frozen=True)
class WorkflowOutcome:
    """What Security Hub did with each finding of a workflow plan."""

    status: str
    processed: frozenset[FindingKey]
    unprocessed: Mapping[FindingKey, str]  # key -> "ErrorCode: ErrorMessage"
    not_sent: frozenset[FindingKey]  # the findings of a failed call and of every call after it
    result: ActionResult
    message: str


def _identifiers(call: ApiCall) -> list[FindingKey]:
    raw = call.params.get("FindingIdentifiers")
    return [_key(item) for item in raw if isinstance(item, Mapping)] if isinstance(raw, list) else []


def _key(item: Mapping[str, Any]) -> FindingKey:
    return (str(item.get("Id", "")), str(item.get("ProductArn", "")))


def _status(plan: Plan) -> str:
    for call in plan.calls:
        workflow = call.params.get("Workflow")
        if isinstance(workflow, Mapping) and isinstance(workflow.get("Status"), str):
            return str(workflow["Status"])
    return ""


def _codes(unprocessed: Mapping[FindingKey, str]) -> str:
    counts = Counter(reason.split(":", 1)[0] for reason in unprocessed.values())
    if len(counts) == 1:
        return next(iter(counts))
    return ", ".join(f"{code} ({n})" for code, n in counts.most_common())


async def run_workflow(runner: ActionRunner, plan: Plan) -> WorkflowOutcome:
    """Execute a ``workflow_plan`` and sort its findings by what became of them.

    Refusals (read-only mode, a refused plan) are raised by the runner, exactly as ``execute`` raises
    them. A call that fails leaves its findings and those of the calls after it in ``not_sent``.
    """
    result = await runner.execute(plan)
    status = _status(plan)
    processed: set[FindingKey] = set()
    unprocessed: dict[FindingKey, str] = {}
    for call, output in zip(plan.calls, result.outputs, strict=False):
        for item in output.get("ProcessedFindings") or ():
            if isinstance(item, Mapping):
                processed.add(_key(item))
        for item in output.get("UnprocessedFindings") or ():
            if not isinstance(item, Mapping):
                continue
            identifier = item.get("FindingIdentifier")
            key = _key(identifier) if isinstance(identifier, Mapping) else ("", "")
            unprocessed[key] = (
                f"{item.get('ErrorCode') or 'Unknown'}: {item.get('ErrorMessage') or ''}".rstrip()
            )
        for key in _identifiers(call):
            if key not in processed and key not in unprocessed:
                unprocessed[key] = "NotReported: Security Hub did not list this finding in its answer"
    not_sent: set[FindingKey] = set()
    if not result.ok:
        not_sent = {key for call in plan.calls[len(result.outputs) :] for key in _identifiers(call)}

    total = sum(len(_identifiers(call)) for call in plan.calls)
    done = len(processed)
    if done == total and not unprocessed and not not_sent:
        message = f"Marked {_count(total)} {status}"
    else:
        parts = [f"Marked {done:,} of {_count(total)} {status}"]
        if unprocessed:
            parts.append(f"{len(unprocessed):,} not processed: {_codes(unprocessed)}")
        if not_sent:
            reason = result.problem.one_line() if result.problem else "the call failed"
            parts.append(f"{len(not_sent):,} not sent: {reason}")
        message = "; ".join(parts)
    return WorkflowOutcome(
        status=status,
        processed=frozenset(processed),
        unprocessed=unprocessed,
        not_sent=frozenset(not_sent),
        result=result,
        message=message,
    )
