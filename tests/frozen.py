"""The moment the UI tests live in: their clock, and the hour of metrics the simulator writes for it."""

from __future__ import annotations

from datetime import UTC, datetime

FROZEN = datetime(2026, 11, 26, 3, 0, 0, tzinfo=UTC)
