"""Pane name -> one poll cycle, for ``warroom snapshot PANE --json``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from tui.aws import findings, fis, kinesis, limits, overview, sessions
from tui.aws.clients import ClientFactory

POLLERS: dict[str, Callable[[ClientFactory], Awaitable[Any]]] = {
    "overview": overview.poll,
    "limits": limits.poll,
    "kinesis": kinesis.poll,
    "findings": findings.poll,
    "instances": sessions.poll,
    "fis": fis.poll,
}
