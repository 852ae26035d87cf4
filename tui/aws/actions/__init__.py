"""Every mutating AWS call goes through here: a plan, read-only enforcement, then the audit log."""

from tui.aws.actions.audit import AuditLog, scrub
from tui.aws.actions.core import (
    DRY_RUN_PASSED,
    NO_DRY_RUN,
    ActionResult,
    ActionRunner,
    ApiCall,
    CliTarget,
    Plan,
    PlanRefusal,
    ReadOnlyRefusal,
    cli_lines,
    snake_case,
)
from tui.aws.actions.findings import Target, WorkflowOutcome, run_workflow, workflow_plan

__all__ = [
    "DRY_RUN_PASSED",
    "NO_DRY_RUN",
    "ActionResult",
    "ActionRunner",
    "ApiCall",
    "AuditLog",
    "CliTarget",
    "Plan",
    "PlanRefusal",
    "ReadOnlyRefusal",
    "Target",
    "WorkflowOutcome",
    "cli_lines",
    "run_workflow",
    "scrub",
    "snake_case",
    "workflow_plan",
]
