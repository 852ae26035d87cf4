"""Every mutating AWS call goes through here: a plan, read-only enforcement, then the audit log."""

from tui.aws.actions.audit import AuditLog, scrub
from tui.aws.actions.core import (
    ActionResult,
    ActionRunner,
    ApiCall,
    Plan,
    PlanRefusal,
    ReadOnlyRefusal,
    snake_case,
)

__all__ = [
    "ActionResult",
    "ActionRunner",
    "ApiCall",
    "AuditLog",
    "Plan",
    "PlanRefusal",
    "ReadOnlyRefusal",
    "scrub",
    "snake_case",
]
