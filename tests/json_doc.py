"""The document ``warroom snapshot PANE --json`` prints for a snapshot, parsed: its pane's view
(``tui.aws.documents``) as the codec writes it."""

from __future__ import annotations

from typing import Any

from tui.aws.documents import document
from tui.common.codec import to_builtins


def json_of(snapshot: object) -> Any:
    return to_builtins(document(snapshot))


ALARM_JSON_KEYS = [
    "name", "arn", "type", "state", "state_reason", "state_updated_at", "actions_enabled", "metric",
    "expression", "threshold", "comparison", "evaluation_periods", "datapoints_to_alarm", "resource",
    "account_id",
]  # fmt: skip
"""The keys of each alarm in ``warroom snapshot alarms --json``, in order."""
