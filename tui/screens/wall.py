"""The wall: a game day on a projector, readable from across the room.

In order of importance: each business service's impact timer in large digits, with its state (✓ OK,
⚠ IMPAIRED, ✖ BREACH: a symbol and a word as well as a colour) and its tolerance; the faults active
now and for how long; the CloudWatch alarms firing, muted ones marked; and the journal's latest
lines, newest first. It reads only what the console already has: the services' status, the journal
(the faults are paired from its ``fault.started`` and ``fault.ended`` events, so a replay shows the
same wall as the live console did) and the Alarms pane's feed. It changes nothing, and has no keys
of its own: the console's keys work here as on every pane.

The timers are drawn as large as the room on screen allows (``widgets.bigtimer``), every other line
says as much as its width holds and ends in "…" where it is cut.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import ClassVar

from rich.cells import set_cell_size
from rich.style import Style
from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.geometry import Size
from textual.screen import Screen
from textual.widget import Widget

from tui.aws.actions.alarms import MuteBook
from tui.aws.alarms import AlarmsSnapshot
from tui.aws.alarms_model import ALARM, Alarm
from tui.common import catalogue as cat
from tui.common.timefmt import age_text, clock_text, wall_text
from tui.feeds import Feed, FeedState, Topic, Update
from tui.gameday import events as ev
from tui.gameday.events import JournalEvent
from tui.gameday.faults import FaultLog, Occurrence
from tui.gameday.services import ServiceStatus
from tui.screens.base import FollowsFeeds, PaneFooter
from tui.screens.journal import event_what, kind_label
from widgets.bigtimer import DIGITS_ROWS, LARGE_ROWS, TEXT_ROWS, BigTimer
from widgets.header import HeaderBar
from widgets.safe import clean
from widgets.textline import FitLine

Piece = tuple[str, str]
"""Text and its role: "" (plain), or one of ``WallList.ROLES``."""
Line = list[Piece]
Row = tuple[Line, Line]
"""A list's row: what it says on the left (cut with "…" when short of room) and on the right."""

TICK_S = 1.0
"""How often the timers move."""
LARGE_FROM_ROWS = 36
"""From this terminal height the timers may take block digits five rows high."""
DIGITS_FROM_ROWS = 18
"""From this height Textual's three-row digits; below it one line of text."""
WIDE = 120
"""From this width the faults and the alarms stand side by side."""
JOURNAL_KEPT = 300
"""The journal's latest events the wall keeps (more than any screen shows)."""
MIN_LEFT = 12
"""Cells a row's left part keeps before its right part gives way."""
KIND_CELLS = 10
"""Cells of a journal line's kind (``⚡ fault`` takes two for its symbol), so the texts line up."""


# ---------------------------------------------------------------------------------------------
# What each part says (plain data; the widgets below draw it)
# ---------------------------------------------------------------------------------------------


def service_state(status: ServiceStatus) -> str:
    """``ok``, ``impaired`` or ``breach``."""
    if status.breached:
        return "breach"
    return "impaired" if status.impaired_since is not None else "ok"


def service_timer(status: ServiceStatus) -> str:
    """The current impairment's length, ``mm:ss`` (``00:00`` when the service is well)."""
    return clock_text(status.impaired_s)


def service_state_choices(status: ServiceStatus) -> tuple[str, ...]:
    """The state line under a service's timer, longest first: its state in a symbol and a word, and
    the timer against the tolerance."""
    tolerance = clock_text(status.tolerance_s)
    state = service_state(status)
    if state == "breach":
        over = clock_text(status.impaired_s - status.tolerance_s)
        return (
            f"✖ BREACH · {over} over its {tolerance} tolerance",
            f"✖ BREACH · tolerance {tolerance}",
            f"✖ BREACH > {tolerance}",
            "✖ BREACH",
        )
    if state == "impaired":
        left = clock_text(max(0.0, status.tolerance_s - status.impaired_s))
        return (
            f"⚠ IMPAIRED · {left} left of its {tolerance} tolerance",
            f"⚠ IMPAIRED · tolerance {tolerance}",
            f"⚠ IMPAIRED of {tolerance}",
            "⚠ IMPAIRED",
        )
    total = f" · impaired {clock_text(status.total_impaired_s)} in all" if status.total_impaired_s else ""
    return (
        f"✓ OK · tolerance {tolerance}{total}",
        f"✓ OK · tolerance {tolerance}",
        f"✓ OK · tol. {tolerance}",
        "✓ OK",
    )


def fault_title(occ: Occurrence) -> str:
    """The fault's name in the catalogue, else its id, else what its start said."""
    spec = cat.BY_ID.get(occ.fault)
    if spec is not None:
        return spec.title
    if occ.fault:
        return clean(occ.fault)
    return clean(occ.start.text.removeprefix("fault started: "))


def fault_rows(active: Sequence[Occurrence], now: datetime) -> list[Row]:
    """One row per active fault, the first started first: what, then where and how long it has been
    active (in scenario time during a rehearsal) on the right, so the title gives way first."""
    rows: list[Row] = []
    for occ in active:
        where = clean(occ.start.detail.get("target_name") or occ.target)
        right: Line = [(where, ""), ("  ", "")] if where else []
        right.append((clock_text(occ.active_s(now)), "fault"))
        rows.append(([("⚡ ", "fault"), (fault_title(occ), "fault")], right))
    return rows


def faults_note(active: Sequence[Occurrence]) -> Line:
    speeds = {occ.speed for occ in active if occ.speed != 1.0}
    if not speeds:
        return []
    return [(f"scenario time, speed {max(speeds):g}", "dim")]


def mute_label(alarm: Alarm, book: MuteBook | None, now: datetime) -> str:
    """``⊘ muted 29:41 left`` for an alarm this console muted (``+03:10 over`` once its time is up),
    ``⊘ muted`` for one muted elsewhere, "" for one whose actions are on."""
    mute = book.get(alarm.key) if book is not None else None
    if mute is not None:
        left = (mute.until - now).total_seconds()
        return f"⊘ muted {clock_text(left)} left" if left > 0 else f"⊘ muted +{clock_text(-left)} over"
    return "⊘ muted" if alarm.muted else ""


def firing(snapshot: AlarmsSnapshot) -> list[Alarm]:
    """The alarms in ALARM, as the poll orders them (the latest to fire first)."""
    return [a for a in snapshot.alarms if a.state == ALARM]


def alarm_rows(alarms: Sequence[Alarm], book: MuteBook | None, now: datetime) -> list[Row]:
    """One row per alarm firing: its name (and region when they span several), muted or not, and
    how long it has been in ALARM."""
    regions = len({a.region for a in alarms}) > 1
    rows: list[Row] = []
    for alarm in alarms:
        muted = mute_label(alarm, book, now)
        left: Line = [
            ("✖ ", "muted" if muted else "alarm"),
            (clean(alarm.name), "muted" if muted else "alarm"),
        ]
        if regions:
            left.append((f" ({clean(alarm.region)})", "dim"))
        if muted:
            left.append((f"  {muted}", "muted"))
        since = alarm.since
        right: Line = [(age_text((now - since).total_seconds()), "dim")] if since is not None else []
        rows.append((left, right))
    return rows


_LEVEL_ROLE = {"critical": "critical", "warning": "warn"}


def journal_row(event: JournalEvent) -> Row:
    """One journal line: the time (UTC), the kind with its symbol, what happened."""
    role = _LEVEL_ROLE.get(event.level, "")
    if event.kind in (ev.RECOVERED, ev.SERVICE_RESTORED):
        role = "ok"
    left: Line = [
        (wall_text(event.at), "dim"),
        (" ", ""),
        (set_cell_size(kind_label(event.kind), KIND_CELLS), role),
        (" ", ""),
        (event_what(event), ""),
    ]
    return (left, [])


def _pieces_text(line: Line, styles: dict[str, Style]) -> Text:
    text = Text(no_wrap=True, end="")
    for piece, role in line:
        text.append(piece, styles.get(role) or "")
    return text


def row_text(row: Row, width: int, styles: dict[str, Style]) -> Text:
    """A row in ``width`` cells: the right part flush right, the left part cut with "…" when the two
    do not fit; when even that leaves the left too little room, the whole row cut with "…"."""
    left = _pieces_text(row[0], styles)
    right = _pieces_text(row[1], styles)
    if not right.cell_len:
        left.truncate(max(0, width), overflow="ellipsis")
        return left
    room = width - right.cell_len - 1
    if left.cell_len <= room:
        return Text.assemble(left, " " * (width - left.cell_len - right.cell_len), right, no_wrap=True)
    if room >= MIN_LEFT:
        left.truncate(room, overflow="ellipsis")
        return Text.assemble(left, " ", right, no_wrap=True)
    whole = Text.assemble(left, " ", right, no_wrap=True)
    whole.truncate(max(0, width), overflow="ellipsis")
    return whole


# ---------------------------------------------------------------------------------------------
# Widgets
# ---------------------------------------------------------------------------------------------


class ServiceCard(Vertical):
    """One business service: its name, its impact timer in large digits, its state and tolerance;
    coloured by state through the classes ``-ok``, ``-impaired`` and ``-breach``."""

    DEFAULT_CSS = """
    ServiceCard {
        width: 1fr;
        height: auto;
        padding: 0 1;
        margin-right: 1;
        border-left: thick $success;
    }
    ServiceCard:last-of-type { margin-right: 0; }
    ServiceCard > .card-name { text-style: bold; }
    ServiceCard > BigTimer { color: $success; text-align: center; }
    ServiceCard > .card-state { color: $success; }
    ServiceCard.-impaired { border-left: thick $warning; }
    ServiceCard.-impaired > BigTimer, ServiceCard.-impaired > .card-state { color: $warning; }
    ServiceCard.-breach { border-left: thick $error; background: $error 20%; }
    ServiceCard.-breach > BigTimer { color: $error; }
    ServiceCard.-breach > .card-state { color: $error; text-style: bold; }
    """

    def __init__(self, status: ServiceStatus, *, max_rows: int) -> None:
        super().__init__(classes=f"-{service_state(status)}")
        self.service = status.name
        self._status = status
        self._max_rows = max_rows

    def compose(self) -> ComposeResult:
        yield FitLine(clean(self._status.name), classes="card-name")
        yield BigTimer(service_timer(self._status), max_rows=self._max_rows)
        yield FitLine(*service_state_choices(self._status), classes="card-state")

    def show(self, status: ServiceStatus) -> None:
        self._status = status
        state = service_state(status)
        for name in ("ok", "impaired", "breach"):
            self.set_class(name == state, f"-{name}")
        if self.is_mounted and self.children:
            self.query_one(BigTimer).value = service_timer(status)
            self.query_one(".card-state", FitLine).update(*service_state_choices(status))

    def on_mount(self) -> None:
        # A size set after compose made the timer (the screen's first resize) and before it was
        # mounted found no timer to tell: the timer takes the latest now.
        self.query_one(BigTimer).max_rows = self._max_rows

    def set_max_rows(self, rows: int) -> None:
        self._max_rows = rows
        for timer in self.query(BigTimer):
            timer.max_rows = rows


class ServiceBoard(Vertical):
    """The business services' cards side by side, or, without services, a line saying why. The
    console's services timer updates it (``show``) with the statuses the header's timer reads, so the
    two never disagree by a tick."""

    DEFAULT_CSS = """
    ServiceBoard { height: auto; }
    ServiceBoard > Horizontal { height: auto; }
    ServiceBoard > FitLine { height: 1; }
    """

    def __init__(
        self, statuses: Sequence[ServiceStatus], *, max_rows: int, empty: Sequence[str], id: str | None = None
    ) -> None:
        super().__init__(id=id)
        self._statuses = tuple(statuses)
        self._max_rows = max_rows
        self.empty: tuple[str, ...] = tuple(empty)
        """What the board says without services, longest first."""

    def compose(self) -> ComposeResult:
        with Horizontal():
            for status in self._statuses:
                yield ServiceCard(status, max_rows=self._max_rows)
        yield FitLine(*self.empty)

    def on_mount(self) -> None:
        self._show_empty()

    def show(self, statuses: Sequence[ServiceStatus]) -> None:
        """Each service's state and timer now; cards come and go with the services."""
        statuses = tuple(statuses)
        if not self.children:  # not composed yet: it composes with these
            self._statuses = statuses
            return
        row = self.query_one(Horizontal)
        cards = list(row.query_children(ServiceCard))
        if tuple(s.name for s in statuses) != tuple(c.service for c in cards):
            row.remove_children()
            row.mount_all(ServiceCard(s, max_rows=self._max_rows) for s in statuses)
        else:
            for card, status in zip(cards, statuses, strict=True):
                card.show(status)
        self._statuses = statuses
        self._show_empty()

    def _show_empty(self) -> None:
        self.query_one(Horizontal).display = bool(self._statuses)
        message = self.query_one(FitLine)
        message.display = not self._statuses
        message.update(*self.empty)

    def say_empty(self, empty: Sequence[str]) -> None:
        """What the board says without services, longest first."""
        self.empty = tuple(empty)
        if self.children:
            self._show_empty()

    def set_max_rows(self, rows: int) -> None:
        self._max_rows = rows
        for card in self.query(ServiceCard):
            card.set_max_rows(rows)


class WallList(Widget):
    """A titled list of rows, as many as its height holds: the rows it cannot show are counted on its
    last line. With no rows, what it says instead stands on the title's line."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "wall--title",
        "wall--title-warn",
        "wall--title-alarm",
        "wall--dim",
        "wall--fault",
        "wall--alarm",
        "wall--muted",
        "wall--ok",
        "wall--warn",
        "wall--critical",
    }
    DEFAULT_CSS = """
    WallList { height: auto; width: 1fr; }
    WallList > .wall--title { background: $primary; color: $background; text-style: bold; }
    WallList > .wall--title-warn { background: $warning; color: $background; text-style: bold; }
    WallList > .wall--title-alarm { background: $error; color: $background; text-style: bold; }
    WallList > .wall--dim { color: $text-muted; }
    WallList > .wall--fault { color: $warning; text-style: bold; }
    WallList > .wall--alarm { color: $error; text-style: bold; }
    WallList > .wall--muted { color: $secondary; }
    WallList > .wall--ok { color: $success; }
    WallList > .wall--warn { color: $warning; }
    WallList > .wall--critical { color: $error; text-style: bold; }
    """
    ROLES: ClassVar[tuple[str, ...]] = (
        "title",
        "title-warn",
        "title-alarm",
        "dim",
        "fault",
        "alarm",
        "muted",
        "ok",
        "warn",
        "critical",
    )

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._title: Line = []
        self._note: Line = []
        self._rows: list[Row] = []
        self._empty: Line = []

    @property
    def rows(self) -> list[Row]:
        return self._rows

    def show(self, title: Line, rows: list[Row], *, empty: Line, note: Line | None = None) -> None:
        """The title, its note on the right, the rows, and what stands beside the title without rows."""
        note = note or []
        if (title, rows, empty, note) == (self._title, self._rows, self._empty, self._note):
            return
        relayout = len(rows) != len(self._rows)
        self._title, self._rows, self._empty, self._note = title, rows, empty, note
        self.refresh(layout=relayout)

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return 1 + len(self._rows)

    def render(self) -> Text:
        width = self.content_region.width
        height = max(1, self.content_region.height)
        if width <= 0:
            return Text()
        styles = {role: self.get_component_rich_style(f"wall--{role}") for role in self.ROLES}
        title: Line = [*self._title, *(([("  ", ""), *self._empty]) if not self._rows else [])]
        lines = [row_text((title, self._note), width, styles)]
        room = height - 1
        rows = self._rows
        if len(rows) > room:
            shown = max(0, room - 1)
            lines += [row_text(r, width, styles) for r in rows[:shown]]
            if room:
                more = len(rows) - shown
                lines.append(row_text(([(f"… and {more} more", "dim")], []), width, styles))
        else:
            lines += [row_text(r, width, styles) for r in rows]
        return Text("\n", no_wrap=True).join(lines)


# ---------------------------------------------------------------------------------------------
# The screen
# ---------------------------------------------------------------------------------------------


def timer_rows_for(height: int) -> int:
    """The most rows a timer may take on a terminal ``height`` rows high."""
    if height >= LARGE_FROM_ROWS:
        return LARGE_ROWS
    return DIGITS_ROWS if height >= DIGITS_FROM_ROWS else TEXT_ROWS


class WallScreen(FollowsFeeds, Screen[None]):
    """The game day at a glance, for a projector: services' timers, faults, alarms, journal."""

    PANE: ClassVar[str] = "wall"
    TITLE: ClassVar[str] = "Wall"
    HELP: ClassVar[str] = (
        "The game day for a projector, largest first: each business service's impact timer (the "
        "current impairment, mm:ss) with its state, ✓ OK, ⚠ IMPAIRED or ✖ BREACH, against its "
        "tolerance; the faults active now (from the journal's fault started and ended events, the same "
        "in a replay) and for how long, in scenario time during a rehearsal; the CloudWatch alarms in "
        "ALARM and for how long, ⊘ muted ones marked (with the time left of a mute of this console); "
        "and the journal's latest lines, newest first. The timers move every second and shrink to fit "
        "the terminal. The wall changes nothing; it has no keys of its own (no number key either: "
        ":wall or ctrl+p)."
    )

    DEFAULT_CSS = """
    WallScreen #wall-body { height: 1fr; padding: 0 1; }
    WallScreen #wall-services { margin-bottom: 1; }
    WallScreen #wall-lists { height: auto; margin-bottom: 1; }
    WallScreen #wall-lists > WallList { width: 1fr; }
    WallScreen.-wide #wall-faults { margin-right: 2; }
    WallScreen.-narrow #wall-lists { layout: vertical; }
    WallScreen #wall-journal { height: 1fr; }
    """

    def __init__(
        self,
        *,
        services: Callable[[], Sequence[ServiceStatus]],
        history: Callable[[], Sequence[JournalEvent]],
        journal: Topic[JournalEvent | None],
        alarms: Feed | None,
        mutes: MuteBook | None,
        clock: Callable[[], datetime],
        recorded: bool = False,
    ) -> None:
        super().__init__(name=self.PANE)
        self._services = services
        self._history = history
        self._journal_topic = journal
        self._alarms_feed = alarms
        self._mutes = mutes
        self._clock = clock
        self._recorded = recorded
        self._faults = FaultLog(history)
        self._recent: list[JournalEvent] = []
        self._alarm_state: FeedState | None = None
        self._alarms: AlarmsSnapshot | None = None
        self._timer_rows = DIGITS_ROWS
        self._stale = False
        """Something changed while the wall was hidden: draw everything when it is shown again."""
        self._read_journal()

    def compose(self) -> ComposeResult:
        yield HeaderBar()
        with Vertical(id="wall-body"):
            yield ServiceBoard(
                self._services(), max_rows=self._timer_rows, empty=self._no_services(), id="wall-services"
            )
            with Horizontal(id="wall-lists"):
                yield WallList(id="wall-faults")
                yield WallList(id="wall-alarms")
            yield WallList(id="wall-journal")
        yield PaneFooter()

    def on_mount(self) -> None:
        self.keep(self._journal_topic.subscribe(self._journal_event))
        # Read again now that every later event reaches the wall: one journaled between the wall's
        # making and its mounting (the first services tick's breach, say) was in neither.
        self._faults.update(None)
        self._read_journal()
        if self._alarms_feed is not None:
            self.keep(self._alarms_feed.subscribe(self._alarms_fed))
            # The wall shows what the Alarms pane's feed publishes: it starts it, as that pane does.
            self._alarms_feed.start()
        self.set_interval(TICK_S, self._tick, name="wall-tick")
        self._draw()

    def on_screen_resume(self) -> None:
        if self._stale:
            self._draw()

    def on_resize(self, event: events.Resize) -> None:
        size = event.size
        self.set_class(size.width >= WIDE, "-wide")
        self.set_class(size.width < WIDE, "-narrow")
        rows = timer_rows_for(size.height)
        if rows != self._timer_rows:
            self._timer_rows = rows
            self.query_one(ServiceBoard).set_max_rows(rows)
        # Faults and alarms take at most part of the room each, so the journal keeps some lines.
        body = max(4, size.height - 3)
        share = 0.4 if size.width >= WIDE else 0.25
        cap = max(2, int(body * share))
        for name in ("#wall-faults", "#wall-alarms"):
            self.query_one(name, WallList).styles.max_height = cap

    # -- what comes in ------------------------------------------------------------------------

    def _read_journal(self) -> None:
        self._recent = sorted(self._history(), key=lambda e: e.at)[-JOURNAL_KEPT:]

    def _journal_event(self, event: JournalEvent | None) -> None:
        """One more journal event, or None: read the journal again (a replay seeked backwards)."""
        faults_moved = self._faults.update(event)
        if event is None:
            self._read_journal()
        else:
            # In time order: a fault's start read from FIS often comes after what it caused.
            index = len(self._recent)
            while index and self._recent[index - 1].at > event.at:
                index -= 1
            self._recent.insert(index, event)
            del self._recent[:-JOURNAL_KEPT]
        if not self.is_current:
            self._stale = True
            return
        if faults_moved:
            self._show_faults()
        self._show_journal()
        # The services' cards move on the console's services timer, with the header's timer; what
        # the board says without services depends on the journal.
        self.query_one(ServiceBoard).say_empty(self._no_services())

    def _alarms_fed(self, update: Update) -> None:
        self.call_later(self._alarms_update, update)

    def _alarms_update(self, update: Update) -> None:
        self._alarm_state = update.state
        snapshot = update.snapshot if update.snapshot is not None else update.state.snapshot
        if snapshot is not None:
            self._alarms = snapshot
        if self.is_current:
            self._show_alarms()
        else:
            self._stale = True

    def _tick(self) -> None:
        # Hidden (another pane on screen) or closing, the wall does not repaint. The services' timers
        # move with the header's, on the console's services timer (``ServiceBoard``).
        if not self.is_current:
            return
        self._show_faults()
        self._show_alarms()

    # -- drawing ------------------------------------------------------------------------------

    def _draw(self) -> None:
        self._stale = False
        self._show_services()
        self._show_faults()
        self._show_alarms()
        self._show_journal()

    def _no_services(self) -> tuple[str, ...]:
        if self._recorded:
            return (
                "No business service in the recording so far: each appears once impaired",
                "No business service in the recording so far",
                "No business service yet",
            )
        nothing = not self._faults.all and not self._recent
        if nothing:
            return (
                "No game day under way: no business services to time (--services FILE names them, with "
                "their impact tolerance), no fault, no journal event yet",
                "No game day under way: no business services to time, no fault yet",
                "No game day: no services, no fault yet",
            )
        return (
            "No business services to time: --services FILE names them, with their impact tolerance",
            "No business services to time (--services FILE)",
            "No business services to time",
        )

    def _show_services(self) -> None:
        board = self.query_one(ServiceBoard)
        board.say_empty(self._no_services())
        board.show(self._services())

    def _show_faults(self) -> None:
        active = self._faults.active
        now = self._clock()
        title: Line = [(f" ⚡ FAULTS ACTIVE {len(active)} ", "title-warn" if active else "title")]
        started = len(self._faults.all)
        if started:
            ended = started - len(active)
            empty: Line = [("✓ No fault active", "ok"), (f" · {started} started, {ended} ended", "dim")]
        else:
            empty = [("No fault started yet", "")]
        if not active:
            title = [(" ⚡ FAULTS ", "title")]
        self.query_one("#wall-faults", WallList).show(
            title, fault_rows(active, now), empty=empty, note=faults_note(active)
        )

    def _show_alarms(self) -> None:
        shown = self.query_one("#wall-alarms", WallList)
        now = self._clock()
        state = self._alarm_state
        snapshot = self._alarms
        if self._alarms_feed is None:
            shown.show([(" ✖ ALARMS ", "title")], [], empty=[("no alarms feed", "dim")])
            return
        if snapshot is None:
            if state is not None and state.error is not None:
                why: Line = [(f"⚠ unknown: {clean(state.error.message)}", "warn")]
            else:
                why = [("waiting for the first alarms poll…", "dim")]
            shown.show([(" ✖ ALARMS ", "title")], [], empty=why)
            return
        alarms = firing(snapshot)
        muted = sum(1 for a in alarms if mute_label(a, self._mutes, now))
        note: Line = [(f"⊘ {muted} muted", "muted")] if muted else []
        if state is not None and state.problem:
            note = [*note, *([("  ", "")] if note else []), (f"⚠ {clean(state.problem)}", "warn")]
        if alarms:
            title: Line = [(f" ✖ ALARMS FIRING {len(alarms)} ", "title-alarm")]
        else:
            title = [(" ✖ ALARMS ", "title")]
        empty: Line = [("✓ No alarm firing", "ok"), (f" · {len(snapshot.alarms)} watched", "dim")]
        shown.show(title, alarm_rows(alarms, self._mutes, now), empty=empty, note=note)

    def _show_journal(self) -> None:
        rows = [journal_row(e) for e in reversed(self._recent)]
        note: Line = [("newest first", "dim")] if rows else []
        self.query_one("#wall-journal", WallList).show(
            [(" ✎ JOURNAL ", "title")], rows, empty=[("No journal event yet", "")], note=note
        )
