"""What a pane needs from the console, injected so tests can build panes on their own."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol

from tui.aws.clients import ClientFactory
from tui.settings import Settings

if TYPE_CHECKING:
    from tui.aws.actions import ActionRunner


def utc_clock() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class ActivityEvent:
    at: datetime
    pane: str
    level: str  # "info" | "warning" | "error"
    text: str


class ReplaySource(Protocol):
    """Feeds recorded snapshots to panes instead of polling (``warroom replay``)."""

    def attach(self, screen: Any) -> None:
        """A pane was mounted: show it the latest recorded snapshot of its kind."""

    def toggle_pause(self) -> None:
        """Pause or resume the playback."""


def _ignore(pane: str, snapshot: object) -> None:
    return None


@dataclass(frozen=True)
class PaneContext:
    factory: ClientFactory
    settings: Settings
    clock: Callable[[], datetime] = utc_clock
    record: Callable[[ActivityEvent], None] = lambda event: None
    actions: ActionRunner | None = None
    observe: Callable[[str, object], None] = _ignore
    """Called with each good snapshot a pane polls (the journal's detectors and the recording)."""
    replay: ReplaySource | None = None
    """Set when replaying a recording: panes then never poll."""
