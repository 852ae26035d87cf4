"""The journal as a person uses it: notes from any pane, detections from the panes' polls, every
pane watched from the start, and a recording played back with no AWS calls."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import frozen_clock, open_limits, settle, sim_settings
from tui.app import LIVE_PANES, WarroomApp, make_app, make_gameday, make_replay_app
from tui.aws.limits_math import Thresholds
from tui.common.codec import to_builtins
from tui.gameday import events as ev
from tui.gameday.journal import read_journal
from tui.gameday.record import read_recording
from tui.gameday.replay import Playback
from tui.replaying import ReplayDriver
from tui.screens.instance import InstanceScreen
from tui.screens.journal import JournalNoteScreen, JournalScreen
from tui.screens.limits import LimitsScreen
from tui.sim.server import SimServer
from widgets.vtable import VirtualTable


@pytest.fixture(scope="module")
def sim(own_sim: SimServer) -> SimServer:
    """A rehearsal here injects a fault: the module's own simulator (own_sim)."""
    return own_sim


@pytest.fixture(scope="module")
def sim_url(own_sim: SimServer) -> str:
    return own_sim.endpoint_url


def _rows_text(screen: JournalScreen) -> list[str]:
    table = screen.query_one(VirtualTable)
    return [" ".join(str(c) for c in row.cells) for row in table.rows]


async def test_a_note_from_any_pane_reaches_the_journal_pane_and_its_file(
    sim_url: str, tmp_path: Path
) -> None:
    journal = tmp_path / "journal.jsonl"
    app = make_app(sim_settings(sim_url, journal_path=journal, note_author="dana"), clock=frozen_clock)
    async with app.run_test(size=(140, 40)) as pilot:
        await pilot.press("n")
        await settle(pilot, lambda: isinstance(app.screen, JournalNoteScreen))
        await pilot.press(*"rolled back payments-api")
        await pilot.press("enter")
        await settle(pilot, lambda: not isinstance(app.screen, JournalNoteScreen))
        await pilot.press("7")
        await settle(pilot, lambda: isinstance(app.screen, JournalScreen))
        screen = app.screen
        assert isinstance(screen, JournalScreen)
        await settle(pilot, lambda: any("rolled back payments-api" in r for r in _rows_text(screen)))
    events, problems = read_journal(journal)
    notes = [e for e in events if e.kind == ev.NOTE]
    assert problems == []
    assert [n.text for n in notes] == ["rolled back payments-api"]
    assert notes[0].detail.get("author") == "dana"


async def test_an_empty_note_is_not_kept(sim_url: str, tmp_path: Path) -> None:
    journal = tmp_path / "journal.jsonl"
    app = make_app(sim_settings(sim_url, journal_path=journal), clock=frozen_clock)
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.press("n")
        await settle(pilot, lambda: isinstance(app.screen, JournalNoteScreen))
        await pilot.press("escape")
        await settle(pilot, lambda: not isinstance(app.screen, JournalNoteScreen))
        assert app.gameday is not None
        assert not [e for e in app.gameday.journal.events if e.kind == ev.NOTE]


async def test_threshold_crossings_seen_by_the_limits_pane_are_journaled(
    sim_url: str, tmp_path: Path
) -> None:
    # Lines low enough that the seeded fleet crosses them at the tests' frozen hour.
    lines = Thresholds(warn=0.5, critical=0.7)
    settings = sim_settings(sim_url, journal_path=tmp_path / "j.jsonl", thresholds=lines)
    app = make_app(settings, clock=frozen_clock)
    async with app.run_test(size=(140, 40)) as pilot:
        limits: LimitsScreen = await open_limits(pilot)
        hot = ("warn", "critical")
        crossed = {
            i.instance_id for i in limits.snapshot.instances if i.ebs_level in hot or i.net_level in hot
        }
        crossed |= {v.volume_id for i in limits.snapshot.instances for v in i.volumes if v.level in hot}
        assert crossed, "the seeded fleet has resources over a gauge's line"
        assert app.gameday is not None
        detected = [e for e in app.gameday.journal.events if e.kind == ev.DETECTED and e.source == "limits"]
        assert crossed <= {e.resource for e in detected}
        for event in detected:
            assert event.value is not None and event.limit is not None


async def test_every_pane_is_watched_from_the_start(sim_url: str, tmp_path: Path) -> None:
    settings = sim_settings(sim_url, journal_path=tmp_path / "j.jsonl", watch_all=True)
    gameday = make_gameday(settings, frozen_clock)
    observed: set[str] = set()
    observe = gameday.observe

    def watching(pane: str, snapshot: object) -> None:
        observed.add(pane)
        observe(pane, snapshot)

    gameday.observe = watching  # type: ignore[method-assign]
    app = make_app(settings, clock=frozen_clock, gameday=gameday)
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot, lambda: observed >= LIVE_PANES, within=40)
        assert app.current_mode == "overview"


async def test_a_recording_replays_in_the_same_panes_without_aws(sim_url: str, tmp_path: Path) -> None:
    recording = tmp_path / "rehearsal.jsonl"
    settings = sim_settings(sim_url, journal_path=tmp_path / "j.jsonl", record_path=recording)
    app = make_app(settings, clock=frozen_clock)
    async with app.run_test(size=(140, 40)) as pilot:
        live: LimitsScreen = await open_limits(pilot)
        live_ids = [i.instance_id for i in live.snapshot.instances]
        await pilot.press("n")
        await settle(pilot, lambda: isinstance(app.screen, JournalNoteScreen))
        await pilot.press(*"limits checked")
        await pilot.press("enter")
        await settle(pilot, lambda: not isinstance(app.screen, JournalNoteScreen))
    recorded = read_recording(recording)
    assert "limits" in recorded.panes
    playback = Playback(recorded.entries, speed=60.0)
    driver = ReplayDriver(playback, source=str(recording))
    calls: list[Any] = []
    replay = make_replay_app(dataclasses.replace(settings, record_path=None), driver)
    assert isinstance(replay, WarroomApp)
    original = replay.factory.client

    async def counting(*args: Any, **kwargs: Any) -> Any:
        calls.append(args)
        return await original(*args, **kwargs)

    replay.factory.client = counting  # type: ignore[method-assign]
    async with replay.run_test(size=(140, 40)) as pilot:
        await pilot.press("2")
        await settle(
            pilot, lambda: isinstance(replay.screen, LimitsScreen) and replay.screen.snapshot is not None
        )
        shown = replay.screen
        assert isinstance(shown, LimitsScreen)
        assert [i.instance_id for i in shown.snapshot.instances] == live_ids
        await pilot.press("enter")
        await settle(pilot, lambda: isinstance(replay.screen, InstanceScreen))
        charts = str(replay.screen.query_one("#inst-chart-status").render())
        assert "no charts in a replay" in charts
        await pilot.press("escape")
        await pilot.press("7")
        await settle(pilot, lambda: isinstance(replay.screen, JournalScreen))
        journal = replay.screen
        assert isinstance(journal, JournalScreen)
        await pilot.press("right_curly_bracket")
        await settle(pilot, lambda: any("limits checked" in r for r in _rows_text(journal)))
        assert "REPLAY" in replay.replay_badge()
        # A change is refused: the replay console is read-only below the UI.
        assert replay.actions.read_only
    assert calls == []


async def test_the_journal_collects_a_rehearsal_from_fault_to_fix(
    sim: Any, sim_url: str, tmp_path: Path
) -> None:
    """A fault injected by a facilitator, found by the Findings pane, fixed with X: the journal
    (pane and file) has the fault's start and end, the new finding, the actions, the workflow
    change, a threshold crossing and a note, each once."""
    from tui.screens.confirm import ConfirmScreen
    from tui.screens.findings import FindingsScreen
    from tui.sim.account import ACCOUNT_ID
    from tui.sim.control import ControlClient
    from tui.sim.extensions.securityhub import delete_findings

    journal = tmp_path / "journal.jsonl"
    settings = sim_settings(sim_url, journal_path=journal, watch_all=True)
    # The real clock: the simulator stamps the fault's finding with the time it is imported.
    app = make_app(settings)
    control = ControlClient(sim_url)
    engine = sim.faults
    known = len(engine.faults())
    try:
        async with app.run_test(size=(150, 42)) as pilot:
            gameday = app.gameday
            assert gameday is not None

            def kinds() -> set[str]:
                return {e.kind for e in gameday.journal.events}

            def findings_loaded() -> bool:
                return app.feeds["findings"].state.snapshot is not None

            await settle(pilot, findings_loaded, within=40)
            state = control.inject("sg-open-ssh", None, None)
            group = state["target"]
            await pilot.press("6")
            await pilot.pause(0.3)
            await pilot.press("r")
            await pilot.press("4")
            await pilot.pause(0.3)
            await pilot.press("r")
            await settle(
                pilot,
                lambda: (
                    ev.FINDING_NEW in kinds()
                    and any(e.ref == state["experiment_id"] for e in gameday.journal.events)
                ),
                within=30,
            )
            screen = app.screen
            assert isinstance(screen, FindingsScreen)
            new = next(e for e in gameday.journal.events if e.kind == ev.FINDING_NEW and group in e.resource)
            await pilot.press("slash")
            await pilot.press(*group)
            await pilot.press("enter")
            await settle(pilot, lambda: bool(screen.query_one(VirtualTable).rows))
            key = next(r.key for r in screen.query_one(VirtualTable).rows if new.ref in r.key)
            assert screen.query_one(VirtualTable).move_cursor_to_key(key)
            await pilot.press("X")
            await settle(pilot, lambda: isinstance(app.screen, ConfirmScreen))
            await pilot.press("y")
            await settle(pilot, lambda: ev.ACTION in kinds(), within=30)
            await pilot.press("6")
            await pilot.pause(0.3)
            await pilot.press("r")
            await pilot.press("4")
            await pilot.pause(0.3)
            await pilot.press("r")
            await settle(pilot, lambda: {ev.FAULT_ENDED, ev.FINDING_WORKFLOW} <= kinds(), within=30)
            await pilot.press("n")
            await settle(pilot, lambda: isinstance(app.screen, JournalNoteScreen))
            await pilot.press(*"ssh closed")
            await pilot.press("enter")
            await settle(pilot, lambda: ev.NOTE in kinds())
            events = gameday.journal.events
    finally:
        for left in engine.active():
            control.clear(left.fault, left.target.id)
        findings = [r.data["finding"] for r in engine.faults()[known:] if "finding" in r.data]
        delete_findings(ACCOUNT_ID, "us-east-1", [(f["Id"], f["ProductArn"]) for f in findings])
    expected = {
        ev.FAULT_STARTED,
        ev.FAULT_ENDED,
        ev.DETECTED,
        ev.FINDING_NEW,
        ev.FINDING_WORKFLOW,
        ev.ACTION,
        ev.NOTE,
    }
    assert expected <= {e.kind for e in events}
    # Earlier tests may have run the same fault on the same group: this test's is its experiment.
    experiment = state["experiment_id"]
    assert experiment
    ended = next(e for e in events if e.kind == ev.FAULT_ENDED and e.ref == experiment)
    assert ended.detail.get("outcome", "").startswith("mitigated"), "the fix ended the fault"
    operations = {e.detail.get("operation") for e in events if e.kind == ev.ACTION}
    assert {"ec2:RevokeSecurityGroupIngress", "securityhub:BatchUpdateFindings"} <= operations
    started = [e for e in events if e.kind == ev.FAULT_STARTED and e.ref == experiment]
    assert len(started) == 1, "a fault seen on several polls is journaled once"
    written, problems = read_journal(journal)
    assert problems == []
    assert [to_builtins(e) for e in written] == [to_builtins(e) for e in events], (
        "the file holds what the pane shows"
    )


async def test_the_journal_pane_keeps_time_order_filters_and_opens_an_event(
    sim_url: str, tmp_path: Path
) -> None:
    from datetime import timedelta
    from types import MappingProxyType

    from tests.frozen import FROZEN
    from tui.gameday.events import JournalEvent
    from tui.screens.journal import EventScreen

    app = make_app(sim_settings(sim_url, journal_path=tmp_path / "j.jsonl"), clock=frozen_clock)
    async with app.run_test(size=(150, 40)) as pilot:
        gameday = app.gameday
        assert gameday is not None
        await pilot.press("7")
        await settle(pilot, lambda: isinstance(app.screen, JournalScreen))
        screen = app.screen
        assert isinstance(screen, JournalScreen)
        table = screen.query_one(VirtualTable)
        before = len(table.rows)

        def at(seconds: int) -> Any:
            return FROZEN + timedelta(days=1, seconds=seconds)

        found = JournalEvent(at(20), ev.FINDING_NEW, "findings", "new CRITICAL EC2.19", resource="sg-0feed")
        gameday.add(found)
        await pilot.pause()

        def cell(row: Any, key: str) -> Any:
            return row.cells[[c.key for c in table.columns].index(key)]

        assert cell(table.rows[-1], "kind") == "▲ finding"
        assert "t" not in [c.key for c in table.columns], "T+ shows only while a scenario runs"
        # The fault's start arrives later than what it caused, and names the scenario's T+0.
        scenario = MappingProxyType({"speed": "10", "scenario_start": at(0).isoformat(), "scenario": "drill"})
        gameday.add(
            JournalEvent(
                at(10), ev.FAULT_STARTED, "fis", "fault started", resource="sg-0feed", detail=scenario
            )
        )
        gameday.add(JournalEvent(at(30), ev.NOTE, "person", "closing port 22"))
        await pilot.pause()
        last = [(cell(row, "t"), cell(row, "kind")) for row in table.rows[before:]]
        assert last == [("01:40", "⚡ fault"), ("03:20", "▲ finding"), ("05:00", "✎ note")]
        await pilot.press("slash")
        await pilot.press(*"0feed")
        await pilot.pause()
        assert [cell(row, "kind") for row in table.rows] == ["⚡ fault", "▲ finding"]
        await pilot.press("enter")
        await pilot.press("escape")
        await pilot.press("f")  # signals only
        await pilot.pause()
        assert all(cell(row, "kind") != "✎ note" for row in table.rows)
        table.move_cursor_to_key(table.rows[-1].key)
        await pilot.press("enter")
        await settle(pilot, lambda: isinstance(app.screen, EventScreen))
        shown = app.screen
        assert isinstance(shown, EventScreen) and shown.event is found and shown.scenario == "03:20"
