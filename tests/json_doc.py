"""The document ``warroom snapshot PANE --json`` prints for a snapshot, parsed: its pane's view
(``tui.aws.documents``) as the codec writes it."""

from __future__ import annotations

from typing import Any

from tui.aws.documents import document
from tui.common.codec import to_builtins


def json_of(snapshot: object) -> Any:
    return to_builtins(document(snapshot))
