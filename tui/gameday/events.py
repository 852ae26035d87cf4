"""Journal events: what happened during a game day (or an incident), one immutable record each."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Any

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
    at: datetime
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

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"at": self.at.isoformat(), "kind": self.kind, "source": self.source}
        out["text"] = self.text
        for name in ("resource", "metric", "unit", "fault", "ref"):
            value = getattr(self, name)
            if value:
                out[name] = value
        if self.value is not None:
            out["value"] = self.value
        if self.limit is not None:
            out["limit"] = self.limit
        if self.level != "info":
            out["level"] = self.level
        if self.detail:
            out["detail"] = dict(self.detail)
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> JournalEvent:
        """Rebuild an event; raises ValueError (or KeyError/TypeError) on a malformed record."""
        at = datetime.fromisoformat(str(data["at"]))
        if at.tzinfo is None:
            raise ValueError(f"event time {data['at']!r} has no timezone")

        def number(key: str) -> float | None:
            value = data.get(key)
            if value is None:
                return None
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ValueError(f"{key} {value!r} is not a number")
            return float(value)

        detail = data.get("detail") or {}
        if not isinstance(detail, Mapping):
            raise ValueError("detail is not an object")
        return cls(
            at=at,
            kind=str(data["kind"]),
            source=str(data.get("source", "")),
            text=str(data.get("text", "")),
            resource=str(data.get("resource", "")),
            metric=str(data.get("metric", "")),
            value=number("value"),
            limit=number("limit"),
            unit=str(data.get("unit", "")),
            fault=str(data.get("fault", "")),
            ref=str(data.get("ref", "")),
            level=str(data.get("level", "info")),
            detail=MappingProxyType({str(k): str(v) for k, v in detail.items()}),
        )
