"""The wall as a game day's facilitator puts it on the projector: reached by name (it has no number
key), it shows each service's timer in large digits with its state, the faults the journal says are
active, the alarms firing (muted ones marked) and the journal's latest lines, and follows them live."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from textual.pilot import Pilot

from tests.frozen import FROZEN
from tests.helpers import frozen_clock, settle, sim_app, sim_settings, wait_for_data
from tests.snapshots.test_alarms_snapshots import fixed_alarms  # noqa: F401 (autouse fixture)
from tests.snapshots.test_panes_80x24 import _journal_events
from tui.app import WarroomApp, make_app
from tui.common import catalogue as cat
from tui.gameday import events as ev
from tui.gameday.events import JournalEvent
from tui.gameday.services import default_demo_services
from tui.screens.help import HelpScreen
from tui.screens.journal import JournalScreen
from tui.screens.wall import ServiceBoard, ServiceCard, WallList, WallScreen
from widgets.bigtimer import BigTimer
from widgets.header import HeaderBar
from widgets.textline import FitLine

SCALE_UP = "payments-events scale up"


def game_day_events() -> list[JournalEvent]:
    """The snapshots' first minutes of a game day, with a Ledger reader stalled 35 minutes (past
    its 30-minute tolerance), an earlier fault that ended, and a second fault still active."""
    stalled = JournalEvent(
        at=FROZEN - timedelta(minutes=35),
        kind=ev.DETECTED,
        source="kinesis",
        text="ledger-cdc: reader ledger-projector stalled (no progress in 5 min)",
        resource="ledger-cdc/ledger-projector",
        metric=cat.M_READER_STALLED,
        level="critical",
        detail={"name": "ledger-projector", "stream": "ledger-cdc", "kind": "SubscribeToShard"},
    )
    earlier = JournalEvent(
        at=FROZEN - timedelta(minutes=20),
        kind=ev.FAULT_STARTED,
        source="fis",
        text="fault started: A security group opened to the world on port 22 on sg-0abc",
        resource="sg-0abc",
        fault="sg-open-ssh",
        ref="EXPssh0000000001",
        level="warning",
    )
    over = JournalEvent(
        at=FROZEN - timedelta(minutes=12),
        kind=ev.FAULT_ENDED,
        source="fis",
        text="fault completed: A security group opened to the world on port 22 on sg-0abc: mitigated",
        resource="sg-0abc",
        fault="sg-open-ssh",
        ref="EXPssh0000000001",
    )
    throttle = JournalEvent(
        at=FROZEN - timedelta(minutes=2, seconds=30),
        kind=ev.FAULT_STARTED,
        source="fis",
        text="fault started: Kinesis write throttling on payments-events",
        resource="payments-events",
        fault="kinesis-write-throttle",
        ref="EXPthr0000000002",
        level="warning",
    )
    return sorted([stalled, earlier, over, throttle, *_journal_events()], key=lambda e: e.at)


def game_day_app(url: str) -> WarroomApp:
    app = make_app(sim_settings(url), clock=frozen_clock, services=default_demo_services())
    assert app.gameday is not None
    for event in game_day_events():
        app.gameday.add(event)
    return app


def text_of(widget: WallList | FitLine) -> str:
    return widget.render().plain


def wall_of(app: WarroomApp) -> WallScreen:
    screen = app.screen
    assert isinstance(screen, WallScreen)
    return screen


def alarms_shown(app: WarroomApp) -> bool:
    return isinstance(app.screen, WallScreen) and bool(app.screen.query_one("#wall-alarms", WallList).rows)


async def open_wall(pilot: Pilot[Any]) -> WallScreen:
    """``:wall`` Enter, as a person types it, and the first alarms poll on the wall."""
    app = pilot.app
    assert isinstance(app, WarroomApp)
    await pilot.press("colon", *"wall", "enter")
    await settle(pilot, lambda: isinstance(app.screen, WallScreen), what="the wall")
    await settle(pilot, lambda: alarms_shown(app), what="the alarms firing on the wall")
    return wall_of(app)


def mute_scale_up(app: WarroomApp) -> None:
    snapshot = app.feeds["alarms"].state.snapshot
    scale_up = next(a for a in snapshot.alarms if a.name == SCALE_UP)
    app.mutes.add([scale_up], "GD-12 rehearsal", 1800, FROZEN)


async def test_the_wall_shows_timers_faults_alarms_and_the_journal_and_follows_them(sim_url: str) -> None:
    app = game_day_app(sim_url)
    async with app.run_test(size=(160, 45)) as pilot:
        await wait_for_data(pilot)
        wall = await open_wall(pilot)
        assert app.current_mode == "wall"
        assert all(h.pane == "Wall" for h in wall.query(HeaderBar))

        # 1. Each service's timer, state and tolerance; the header's timer reads the same statuses.
        cards = {card.service: card for card in wall.query(ServiceCard)}
        assert list(cards) == ["Card payments", "Ledger", "Settlement"]
        card_payments, ledger, settlement = cards.values()
        assert (
            card_payments.has_class("-impaired")
            and ledger.has_class("-breach")
            and settlement.has_class("-ok")
        )
        assert card_payments.query_one(BigTimer).value == "05:00"
        assert ledger.query_one(BigTimer).value == "35:00"
        assert settlement.query_one(BigTimer).value == "00:00"
        # At 160x45 the timers take the block digits five rows high (once the board is laid out at
        # that size: a loaded machine took the first look earlier).
        timer = card_payments.query_one(BigTimer)
        await settle(pilot, lambda: timer.rows == 5, within=10.0, what="five-row timers")
        assert text_of(card_payments.query_one(".card-state", FitLine)).startswith("⚠ IMPAIRED · 10:00 left")
        assert text_of(ledger.query_one(".card-state", FitLine)).startswith("✖ BREACH · 05:00 over")
        assert text_of(settlement.query_one(".card-state", FitLine)).startswith("✓ OK · tolerance 1:00:00")

        # 2. The faults active, from the journal: the SSH fault ended, two remain, with how long.
        faults = text_of(wall.query_one("#wall-faults", WallList)).splitlines()
        assert faults[0].strip().startswith("⚡ FAULTS ACTIVE 2")
        assert "Lambda" in faults[1] and faults[1].rstrip().endswith("payments-ledger-writer  06:00")
        assert faults[2].startswith("⚡ Kinesis write throttling")
        assert faults[2].rstrip().endswith("payments-events  02:30")
        assert not any("port 22" in line for line in faults)

        # 3. The alarms firing, the latest first, a muted one marked with its time left.
        mute_scale_up(app)
        await settle(
            pilot,
            lambda: "⊘ muted" in text_of(wall.query_one("#wall-alarms", WallList)),
            what="the muted alarm marked on the wall",
        )
        alarms = text_of(wall.query_one("#wall-alarms", WallList)).splitlines()
        assert alarms[0].strip().startswith("✖ ALARMS FIRING 3") and "⊘ 1 muted" in alarms[0]
        assert "payments-db-1 CPU high" in alarms[1] and alarms[1].rstrip().endswith("3m00s")
        muted = next(line for line in alarms if SCALE_UP in line)
        assert "⊘ muted 30:00 left" in muted and muted.rstrip().endswith("12m00s")
        assert not any("payments-ledger-writer errors" in line for line in alarms)  # OK, muted or not

        # 4. The journal's latest lines, newest first.
        journal = text_of(wall.query_one("#wall-journal", WallList)).splitlines()
        assert journal[0].strip().startswith("✎ JOURNAL")
        # The alarms already firing when the console started are journaled as the wall starts their feed.
        assert "alarm payments-db-1 CPU high in ALARM" in "".join(journal[1:4])
        session = next(n for n, line in enumerate(journal) if "session dana-0a1b2c3d4e5f" in line)
        note = next(n for n, line in enumerate(journal) if "throttling began with the 02:50 batch" in line)
        assert session < note and journal[session].startswith("02:59:00 · session")

        # Live: a fault ends, a note is written; the wall follows the journal.
        assert app.gameday is not None
        app.gameday.add(
            JournalEvent(
                at=FROZEN,
                kind=ev.FAULT_ENDED,
                source="fis",
                text="fault completed: Kinesis write throttling on payments-events",
                resource="payments-events",
                fault="kinesis-write-throttle",
                ref="EXPthr0000000002",
            )
        )
        app.gameday.note("rolled back payments-api", "dana")
        await settle(
            pilot,
            lambda: "⚡ FAULTS ACTIVE 1" in text_of(wall.query_one("#wall-faults", WallList)),
            what="the ended fault gone from the wall",
        )
        journal = text_of(wall.query_one("#wall-journal", WallList)).splitlines()
        assert "rolled back payments-api" in journal[1]

        # The console's keys work here: help, then a number key to another pane.
        await pilot.press("question_mark")
        await settle(pilot, lambda: isinstance(app.screen, HelpScreen), what="the help")
        help_screen = app.screen
        assert isinstance(help_screen, HelpScreen)
        assert help_screen.pane_title == "Wall" and not help_screen.pane_keys
        assert dict(help_screen.global_keys)[":wall"] == "the Wall pane (no number key)"
        await pilot.press("escape")
        await pilot.press("7")
        await settle(pilot, lambda: isinstance(app.screen, JournalScreen), what="the journal pane")


async def test_at_80x24_the_timers_shrink_and_nothing_is_cut_without_an_ellipsis(sim_url: str) -> None:
    app = game_day_app(sim_url)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_data(pilot)
        wall = await open_wall(pilot)
        timers = list(wall.query(BigTimer))
        # Three cards in 80 columns: Textual's three-row digits, not the five-row blocks (once the
        # board is laid out at that size: a loaded machine took the first look earlier).
        await settle(
            pilot, lambda: [t.rows for t in timers] == [3, 3, 3], within=10.0, what="three-row timers"
        )
        for widget in [*wall.query(WallList), *wall.query(FitLine)]:
            if not widget.display:
                continue
            for line in text_of(widget).splitlines():
                assert len(line) <= widget.content_region.width
    async with game_day_app(sim_url).run_test(size=(60, 16)) as pilot:
        await wait_for_data(pilot)
        wall = await open_wall(pilot)
        # Too low for digits: the timers are one line of text, the reading whole.
        await settle(
            pilot,
            lambda: [t.rows for t in wall.query(BigTimer)] == [1, 1, 1],
            within=10.0,
            what="one-line timers",
        )
        assert [t.render_line(0).text.strip() for t in wall.query(BigTimer)] == ["05:00", "35:00", "00:00"]
        listed = wall.query_one("#wall-faults", WallList)

        def lambda_fault() -> str:
            lines = text_of(listed).splitlines()
            return lines[1] if len(lines) > 1 else ""

        # The Lambda fault's title gives way ("…"), its target and time do not (once the list has
        # its width: the first frame after the resize may lay it out narrower).
        await settle(
            pilot,
            lambda: lambda_fault().endswith("… payments-ledger-writer  06:00"),
            what="the Lambda fault's target and time whole",
        )
        assert lambda_fault().startswith("⚡ A business API's")


async def test_without_a_game_day_the_wall_says_so(sim_url: str) -> None:
    app = sim_app(sim_url)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_data(pilot)
        # The command palette reaches it too.
        await pilot.press("ctrl+p")
        await pilot.press(*"Pane: Wall")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await settle(pilot, lambda: isinstance(app.screen, WallScreen), what="the wall, from the palette")
        wall = wall_of(app)
        board = wall.query_one(ServiceBoard)
        assert not list(wall.query(ServiceCard))
        message = text_of(board.query_one(FitLine))
        assert "business services to time" in message.lower()
        faults = text_of(wall.query_one("#wall-faults", WallList))
        assert "No fault started yet" in faults
