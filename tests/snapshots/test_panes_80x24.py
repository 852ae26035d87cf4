"""Every pane and every drill-in view at 80x24, the size of an SSH window on call: the whole account
id in the header, and each row's details readable (on the row or in the detail strip under it).

The panes read the same fixed data as their own snapshot tests (those modules' fixtures, used here
too), at the frozen moment; the journal and activity panes get fixed events of their own.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from textual.pilot import Pilot

from tests.frozen import FROZEN
from tests.helpers import (
    frozen_clock,
    open_instance,
    open_limits,
    settle,
    sim_app,
    sim_settings,
    wait_for_data,
)
from tests.pilot.test_kinesis import EVENTS, _select
from tests.snapshots import test_findings_snapshots as findings_snaps
from tests.snapshots import test_fis_snapshots as fis_snaps
from tests.snapshots import test_kinesis_snapshots as kinesis_snaps
from tests.snapshots import test_sessions_snapshots as sessions_snaps
from tests.snapshots.test_findings_snapshots import fixed_findings  # noqa: F401 (autouse fixture)
from tests.snapshots.test_fis_snapshots import fixed_experiments  # noqa: F401 (autouse fixture)
from tests.snapshots.test_sessions_snapshots import fixed_targets  # noqa: F401 (autouse fixture)
from tui.app import WarroomApp, make_app
from tui.context import ActivityEvent
from tui.gameday import events as ev
from tui.gameday.events import JournalEvent
from tui.gameday.services import default_demo_services
from tui.screens.activity import ActivityScreen
from tui.screens.facilitator import FacilitatorScreen
from tui.screens.finding import FindingScreen
from tui.screens.journal import JournalScreen
from tui.screens.stream import StreamScreen
from widgets.header import HeaderBar

SIZE = (80, 24)
ACCOUNT = "123456789012"


def _header_shows_the_account(pilot: Pilot[Any]) -> bool:
    headers = list(pilot.app.screen.query(HeaderBar))
    return bool(headers) and all(h.account == ACCOUNT for h in headers)


async def _account_shown(pilot: Pilot[Any]) -> None:
    await settle(pilot, lambda: _header_shows_the_account(pilot), what="the header to show the account")
    await pilot.pause()


def test_overview(snap_compare: Any, sim_url: str) -> None:
    async def ready(pilot: Pilot[Any]) -> None:
        await wait_for_data(pilot)
        await _account_shown(pilot)

    assert snap_compare(sim_app(sim_url), terminal_size=SIZE, run_before=ready)


def test_limits(snap_compare: Any, sim_url: str) -> None:
    async def ready(pilot: Pilot[Any]) -> None:
        await open_limits(pilot)
        await _account_shown(pilot)

    assert snap_compare(sim_app(sim_url), terminal_size=SIZE, run_before=ready)


def test_instance(snap_compare: Any, sim_url: str) -> None:
    async def ready(pilot: Pilot[Any]) -> None:
        await open_limits(pilot)
        await open_instance(pilot, "payments-db-1")
        await _account_shown(pilot)

    assert snap_compare(sim_app(sim_url), terminal_size=SIZE, run_before=ready)


def test_kinesis(snap_compare: Any, sim_url: str) -> None:
    async def ready(pilot: Pilot[Any]) -> None:
        await kinesis_snaps._ready(pilot)
        await _account_shown(pilot)

    assert snap_compare(sim_app(sim_url), terminal_size=SIZE, run_before=ready)


def test_stream(snap_compare: Any, sim_url: str) -> None:
    async def ready(pilot: Pilot[Any]) -> None:
        await kinesis_snaps._ready(pilot)
        _select(pilot.app.screen, EVENTS)
        await pilot.press("enter")
        await settle(pilot, lambda: isinstance(pilot.app.screen, StreamScreen), what="the stream view")
        await _account_shown(pilot)

    assert snap_compare(sim_app(sim_url), terminal_size=SIZE, run_before=ready)


def test_findings(snap_compare: Any, sim_url: str) -> None:
    async def ready(pilot: Pilot[Any]) -> None:
        await findings_snaps._ready(pilot)
        await _account_shown(pilot)

    assert snap_compare(sim_app(sim_url), terminal_size=SIZE, run_before=ready)


def test_finding(snap_compare: Any, sim_url: str) -> None:
    async def ready(pilot: Pilot[Any]) -> None:
        await findings_snaps._ready(pilot)
        await pilot.press("enter")
        await settle(
            pilot,
            lambda: isinstance(pilot.app.screen, FindingScreen) and pilot.app.screen.raw is not None,
            what="the finding's full record",
        )
        await _account_shown(pilot)

    assert snap_compare(sim_app(sim_url), terminal_size=SIZE, run_before=ready)


def test_sessions(snap_compare: Any, sim_url: str) -> None:
    async def ready(pilot: Pilot[Any]) -> None:
        await sessions_snaps._ready(pilot)
        await _account_shown(pilot)

    assert snap_compare(sim_app(sim_url), terminal_size=SIZE, run_before=ready)


def test_experiments(snap_compare: Any, sim_url: str) -> None:
    async def ready(pilot: Pilot[Any]) -> None:
        await fis_snaps._ready(pilot)
        await _account_shown(pilot)

    assert snap_compare(sim_app(sim_url), terminal_size=SIZE, run_before=ready)


def test_facilitator(snap_compare: Any, sim_url: str) -> None:
    async def ready(pilot: Pilot[Any]) -> None:
        await wait_for_data(pilot)
        await pilot.press("8")
        await settle(
            pilot,
            lambda: isinstance(pilot.app.screen, FacilitatorScreen) and pilot.app.screen.status is not None,
            what="the simulator's status",
        )
        await _account_shown(pilot)

    assert snap_compare(sim_app(sim_url), terminal_size=SIZE, run_before=ready)


SCENARIO_START = FROZEN - timedelta(minutes=7)


def _journal_events() -> list[JournalEvent]:
    """A game day's first minutes: each kind of row, details longer than a row can show."""
    t0 = FROZEN - timedelta(minutes=6)
    return [
        JournalEvent(
            at=t0,
            kind=ev.FAULT_STARTED,
            source="fis",
            text="fault started: A business API's Lambda functions failing on payments-ledger-writer",
            resource="payments-ledger-writer",
            fault="lambda-errors",
            ref="EXPrun1a2b3c4d5e",
            level="warning",
            detail={
                "scenario": "payments-peak",
                "scenario_start": SCENARIO_START.isoformat(),
                "speed": "1",
                "origin": "scenario",
            },
        ),
        JournalEvent(
            at=t0 + timedelta(minutes=1),
            kind=ev.DETECTED,
            source="kinesis",
            text="payments-ledger-writer: Lambda errors at 7.2% of invocations in a minute",
            resource="payments-ledger-writer",
            metric="lambda.errors",
            value=0.072,
            limit=0.05,
            fault="lambda-errors",
            level="warning",
        ),
        JournalEvent(
            at=t0 + timedelta(minutes=2),
            kind=ev.FINDING_NEW,
            source="findings",
            text="new HIGH EC2.19: Security groups should not allow unrestricted access to ports with "
            "high risk",
            resource="arn:aws:ec2:us-east-1:123456789012:security-group/sg-0abc",
            detail={"name": "payments-app"},
            level="warning",
        ),
        JournalEvent(
            at=t0 + timedelta(minutes=3),
            kind=ev.ACTION,
            source="console",
            text="Double payments-events to 2 shards: kinesis:UpdateShardCount StreamName=payments-events "
            "TargetShardCount=2 (ok)",
            resource="payments-events",
        ),
        JournalEvent(
            at=t0 + timedelta(minutes=4),
            kind=ev.NOTE,
            source="person",
            text="throttling began with the 02:50 batch; doubling the shards, then watching the iterator age",
            detail={"author": "dana"},
        ),
        JournalEvent(
            at=t0 + timedelta(minutes=5),
            kind=ev.SESSION_ENDED,
            source="console",
            text="session dana-0a1b2c3d4e5f to i-0a1b2c3d4e5f60718 ended after 04:12 (exit status 0)",
            resource="i-0a1b2c3d4e5f60718",
            ref="dana-0a1b2c3d4e5f",
        ),
    ]


def test_journal(snap_compare: Any, sim_url: str) -> None:
    app = make_app(sim_settings(sim_url), clock=frozen_clock, services=default_demo_services())
    # The journal's file lives in each run's own state directory: the pane names a fixed one.
    app.journal_description = lambda: "journal ~/.local/state/warroom/journal.jsonl"  # type: ignore[method-assign]

    async def ready(pilot: Pilot[Any]) -> None:
        await wait_for_data(pilot)
        assert isinstance(app, WarroomApp) and app.gameday is not None
        for event in _journal_events():
            app.gameday.add(event)
        await pilot.press("7")
        await settle(
            pilot,
            lambda: (
                isinstance(app.screen, JournalScreen) and all(h.alert for h in app.screen.query(HeaderBar))
            ),
            what="the journal, and the header timing the impaired service",
        )
        await _account_shown(pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=ready)


def test_activity(snap_compare: Any, sim_url: str) -> None:
    app = sim_app(sim_url)

    async def ready(pilot: Pilot[Any]) -> None:
        await wait_for_data(pilot)
        await settle(pilot, lambda: any(e.pane == "identity" for e in app.activity), what="the sign-in")
        app.record(
            ActivityEvent(
                FROZEN,
                "Kinesis",
                "warning",
                "poll failed: DescribeStreamSummary payments-events throttled (LimitExceededException): "
                "retrying in 20 s with backoff; the data on screen is 1m old",
            )
        )
        await pilot.press("9")
        await settle(pilot, lambda: isinstance(app.screen, ActivityScreen), what="the activity pane")
        await _account_shown(pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=ready)


@pytest.fixture(autouse=True)
def _no_stray_state(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    """Each console its own state directory (journal, audit log): nothing carries from test to test."""
    monkeypatch.setenv("WARROOM_STATE_DIR", str(tmp_path))
