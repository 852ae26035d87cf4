"""What a pane needs from the console, injected so tests can build panes on their own."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from tui.aws.actions import ActionRunner
from tui.aws.actions.alarms import MuteBook
from tui.aws.clients import ClientFactory
from tui.settings import Settings


def utc_clock() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class ActivityEvent:
    at: datetime
    pane: str
    level: str  # "info" | "warning" | "error"
    text: str


@dataclass(frozen=True)
class PaneContext:
    factory: ClientFactory
    settings: Settings
    clock: Callable[[], datetime] = utc_clock
    record: Callable[[ActivityEvent], None] = lambda event: None
    actions: ActionRunner | None = None
    instance_history: Callable[[Any], Any] = lambda view: None
    """A new feed of an instance's metric history (``Feeds.instance_history``), or None."""
    alarm_detail: Callable[[str], Any] = lambda key: None
    """A new feed of an alarm's chart and history (``Feeds.alarm_detail``), or None."""
    mutes: MuteBook | None = None
    """The alarms this console muted and that are still muted (the header reminds of them)."""
    pane_feed: Callable[[str], Any] = lambda name: None
    """Another pane's feed by name (``Feeds[name]``), or None: the Overview's findings card reads the
    Findings feed rather than poll Security Hub itself."""
