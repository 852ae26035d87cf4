"""The Kinesis pane driven with keys: the lagging event stream, its advice, and resharding it."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import time
from pathlib import Path
from typing import Any

from textual.pilot import Pilot
from textual.widgets import Static

from tests.helpers import frozen_clock, open_pane, sim_settings
from tui.app import make_app
from tui.common import paths
from tui.screens.confirm import ConfirmScreen
from tui.screens.kinesis import KinesisScreen
from tui.screens.stream import StreamScreen
from widgets.vtable import VirtualTable

EVENTS = "payments-events"


async def open_kinesis(pilot: Pilot[Any], *, within: float = 20.0) -> KinesisScreen:
    screen: KinesisScreen = await open_pane(pilot, "3", KinesisScreen, within=within)
    return screen


def _select(screen: KinesisScreen, name: str) -> Any:
    assert screen.snapshot is not None
    view = next(v for v in screen.snapshot.streams if v.stream_name == name)
    assert screen.query_one(VirtualTable).move_cursor_to_key(view.stream_arn or view.stream_name)
    return view


def _audit() -> list[dict[str, Any]]:
    path = paths.audit_file()
    if not path.exists():
        return []
    return [json.loads(line) for line in Path(path).read_text().splitlines() if line.strip()]


async def test_the_event_stream_lags_and_is_advised_to_scale_up(sim_url: str) -> None:
    app = make_app(sim_settings(sim_url), clock=frozen_clock)
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await open_kinesis(pilot)
        snapshot = screen.snapshot
        assert snapshot is not None and snapshot.error is None
        names = {v.stream_name for v in snapshot.streams}
        assert {EVENTS, "ledger-cdc", "audit-trail"} <= names
        events = next(v for v in snapshot.streams if v.stream_name == EVENTS)
        assert events.open_shards == 1
        assert events.usage_factor is not None and events.usage_factor >= 0.75
        assert events.advice == "scale_up" and "0.75" in (events.advice_reason or "")
        _select(screen, EVENTS)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, StreamScreen)
        # Who is behind: each reader by its own metric, the worst first.
        readers = str(app.screen.query_one("#st-readers-text", Static).render())
        assert "Who is behind (3 readers, worst first)" in readers
        ages = [r.behind_ms for r in events.readers]
        assert None not in ages and ages == sorted(ages, reverse=True)  # type: ignore[type-var]
        names = [r.name for r in events.readers]
        # The Lambda mapping is the reader that is hours behind; the fraud scorer keeps up.
        assert names[-1] == "fraud-scorer" and "payments-ledger-writer" in names[:2]
        positions = [readers.index(f"  {name}  ") for name in names]
        assert positions == sorted(positions)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, KinesisScreen)


async def test_reshard_asks_first_shows_the_call_and_cancel_calls_nothing(sim_url: str) -> None:
    app = make_app(sim_settings(sim_url), clock=frozen_clock)
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await open_kinesis(pilot)
        _select(screen, EVENTS)
        before = app.factory.calls["kinesis:UpdateShardCount"]
        await pilot.press("U")
        await pilot.pause()
        confirm = app.screen
        assert isinstance(confirm, ConfirmScreen)
        clis = [call.cli() for call in confirm.plan.calls]
        assert clis and "update-shard-count" in clis[0] and "--target-shard-count 2" in clis[0]
        assert "UNIFORM_SCALING" in clis[0]
        await pilot.press("n")
        await pilot.pause()
        assert isinstance(app.screen, KinesisScreen)
        assert app.factory.calls["kinesis:UpdateShardCount"] == before


async def test_reshard_confirmed_changes_the_stream_and_is_audited(sim_url: str) -> None:
    app = make_app(sim_settings(sim_url), clock=frozen_clock)
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await open_kinesis(pilot)
        _select(screen, EVENTS)
        await pilot.press("U")
        await pilot.pause()
        await pilot.press("y")
        for _ in range(100):
            if app.factory.calls["kinesis:UpdateShardCount"]:
                break
            await pilot.pause(0.1)
        await pilot.pause(0.5)
        assert app.factory.calls["kinesis:UpdateShardCount"] == 1
        kinesis = await app.factory.client("kinesis", "us-east-1")
        summary = await kinesis.describe_stream_summary(StreamName=EVENTS)
        assert summary["StreamDescriptionSummary"]["StreamStatus"] == "UPDATING"
        assert (await _active(kinesis))["OpenShardCount"] == 2
        records = [r for r in _audit() if r.get("operation") == "UpdateShardCount"]
        assert records and records[-1]["outcome"] == "ok"
        assert records[-1]["params"]["TargetShardCount"] == 2
        # Back to one shard: the simulator is shared by the whole test session.
        await kinesis.update_shard_count(StreamName=EVENTS, TargetShardCount=1, ScalingType="UNIFORM_SCALING")
        assert (await _active(kinesis))["OpenShardCount"] == 1


async def _active(kinesis: Any, deadline_s: float = 30.0) -> dict[str, Any]:
    """The stream's summary once a reshard is done: it is UPDATING meanwhile, as on AWS."""
    deadline = time.monotonic() + deadline_s
    while True:
        reply = await kinesis.describe_stream_summary(StreamName=EVENTS)
        summary: dict[str, Any] = reply["StreamDescriptionSummary"]
        if summary["StreamStatus"] == "ACTIVE":
            return summary
        assert time.monotonic() < deadline, f"{EVENTS} is still {summary['StreamStatus']}"
        await asyncio.sleep(0.2)


async def test_read_only_refuses_in_the_dialog(sim_url: str) -> None:
    app = make_app(sim_settings(sim_url, read_only=True), clock=frozen_clock)
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await open_kinesis(pilot)
        _select(screen, EVENTS)
        await pilot.press("U")
        await pilot.pause()
        confirm = app.screen
        assert isinstance(confirm, ConfirmScreen) and not confirm.runnable
        await pilot.press("y")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen), "y does nothing in read-only mode"
        await pilot.press("escape")
        await pilot.pause()
        assert app.factory.calls["kinesis:UpdateShardCount"] == 0


def _with_a_stalled_reader(snapshot: Any, stream: str) -> Any:
    """The snapshot with the stream's first reader stalled, 5 minutes behind and a minute more each minute."""
    views = []
    for view in snapshot.streams:
        if view.stream_name == stream:
            first, *rest = view.readers
            stuck = dataclasses.replace(first, behind_ms=300_000.0, growth_ms_per_s=1000.0, stalled=True)
            view = dataclasses.replace(view, readers=(stuck, *rest))
        views.append(view)
    return dataclasses.replace(snapshot, streams=tuple(views))


async def test_a_stalled_reader_is_marked_with_a_symbol_and_a_word_at_80_columns(sim_url: str) -> None:
    app = make_app(sim_settings(sim_url), clock=frozen_clock)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_kinesis(pilot)
        assert screen.snapshot is not None
        ledger = next(v for v in screen.snapshot.streams if v.stream_name == "ledger-cdc")
        assert not any(r.stalled for r in ledger.readers), "the seed alone stalls no reader"
        await pilot.press("p")  # no poll replaces the snapshot below
        screen.feed.amend(_with_a_stalled_reader(screen.snapshot, "ledger-cdc"))
        await pilot.pause()
        summary = str(screen.query_one("#kin-summary", Static).render())
        assert summary.startswith("⏸ stalled: 1 reader · ")
        view = _select(screen, "ledger-cdc")
        await pilot.pause()
        advice = str(screen.query_one("#kin-advice", Static).render())
        assert f"⏸ stalled: +60 s/min {view.readers[0].name}, 5m00s behind" in advice
        key = view.stream_arn or view.stream_name
        (row,) = [r for r in screen.query_one(VirtualTable).rows if r.key == key]
        assert row.level == "critical"
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, StreamScreen)
        readers = str(app.screen.query_one("#st-readers-text", Static).render())
        line = next(line for line in readers.splitlines() if view.readers[0].name in line)
        assert "5m00s behind" in line and "⏸ stalled: +60 s/min" in line


async def test_the_reshard_dialog_shows_a_runnable_command_at_80x24_and_copies_it(sim_url: str) -> None:
    app = make_app(sim_settings(sim_url), clock=frozen_clock)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_kinesis(pilot)
        _select(screen, EVENTS)
        await pilot.press("U")
        await pilot.pause()
        confirm = app.screen
        assert isinstance(confirm, ConfirmScreen)
        shown = str(confirm.query_one(".confirm--calls", Static).render())
        (line,) = confirm.commands
        assert shown == f"$ {line}"
        assert line.startswith("aws kinesis update-shard-count --stream-name payments-events ")
        assert line.endswith(f" --region us-east-1 --endpoint-url {sim_url}")
        # wrapped inside the dialog, and the keys stay on screen
        calls = confirm.query_one(".confirm--calls", Static)
        assert calls.region.width < 80 and calls.region.height > 1
        keys = confirm.query_one("#dialog-prompt", Static)
        assert 0 <= keys.region.y < 24 and "c copies the commands" in str(keys.render())
        await pilot.press("c")
        await pilot.pause()
        assert app.clipboard == f"{line}\n"
        await pilot.press("n")
        await pilot.pause()
        assert isinstance(app.screen, KinesisScreen)
