"""Journal events: what happened during a game day (or an incident), one immutable record each.

Journals and recordings hold them as the codec (``tui.common.codec``) writes them; reading one back
refuses a time without its time zone.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from tui.common.codec import Aware

# What an event records (``JournalEvent.kind``).
FAULT_STARTED = "fault.started"
FAULT_ENDED = "fault.ended"
DETECTED = "detected"
"""A threshold crossed: ``resource``, ``metric``, ``value`` and ``limit`` say which and how far."""
RECOVERED = "recovered"
"""The same signal back below its threshold."""
FINDING_NEW = "finding.new"
FINDING_WORKFLOW = "finding.workflow"
ACTION = "action"
"""A change this console made to AWS (a remediation, a reshard, a workflow update, an experiment)."""
SESSION_STARTED = "session.started"
SESSION_ENDED = "session.ended"
NOTE = "note"
SERVICE_IMPAIRED = "service.impaired"
SERVICE_BREACH = "service.breach"
SERVICE_RESTORED = "service.restored"

KINDS = (
    FAULT_STARTED,
    FAULT_ENDED,
    DETECTED,
    RECOVERED,
    FINDING_NEW,
    FINDING_WORKFLOW,
    ACTION,
    SESSION_STARTED,
    SESSION_ENDED,
    NOTE,
    SERVICE_IMPAIRED,
    SERVICE_BREACH,
    SERVICE_RESTORED,
)

_EMPTY: Mapping[str, str] = MappingProxyType({})


@dataclass(frozen=True)
class JournalEvent:
    at: Aware
    """When it happened (tz-aware UTC): for a detection, when the poll that saw it finished."""
    kind: str
    source: str
    """Who saw or did it: a pane (limits, kinesis, findings, sessions, fis), console, sim or person."""
    text: str
    """One line a person reads; data from AWS in it is already cleaned of control characters."""
    resource: str = ""
    metric: str = ""
    value: float | None = None
    limit: float | None = None
    unit: str = ""
    fault: str = ""
    """The catalogue fault id, for fault events (and detections the detector could attribute)."""
    ref: str = ""
    """An id to follow: FIS experiment id, finding id, session id, service name."""
    level: str = "info"
    """info, warning or critical."""
    detail: Mapping[str, str] = field(default_factory=lambda: _EMPTY)

    def __post_init__(self) -> None:
        # Read back from a file, the detail is a plain dict: keep it read-only like the rest.
        if not isinstance(self.detail, MappingProxyType):
            object.__setattr__(self, "detail", MappingProxyType(dict(self.detail)))
