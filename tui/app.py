"""The App: panes as modes, global keys, identity in the header, themes."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import sys
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar, TypeVar

from textual import work
from textual.actions import SkipAction
from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.notifications import SeverityLevel
from textual.screen import ModalScreen, Screen
from textual.timer import Timer
from textual.widget import AwaitMount, Widget
from textual.widgets import Input, TextArea

from themes import STYLESHEET, THEMES
from tui import __version__, keys, panes
from tui.aws.accounts import AccountDirectory, AccountsView
from tui.aws.actions import ActionResult, ActionRunner, AuditLog, PlanRefusal, ReadOnlyRefusal
from tui.aws.actions import alarms as alarm_actions
from tui.aws.actions.alarms import Mute, MuteBook, acted_on
from tui.aws.clients import ClientFactory
from tui.aws.errors import classify
from tui.aws.identity import Identity, caller_identity
from tui.aws.scope import Place, acting_places
from tui.common.startup import Startup, StartupFailed
from tui.common.timefmt import clock_text, zulu_text
from tui.context import ActivityEvent, PaneContext, utc_clock
from tui.feeds import Feeds, Topic, simulator_feed
from tui.gameday.events import JournalEvent
from tui.gameday.hub import GameDay, make_gameday
from tui.gameday.services import BusinessService, ServiceStatus
from tui.replaying import OfflineFactory, ReplayDriver
from tui.screens.activity import ActivityScreen
from tui.screens.alarms_dialogs import MutedOnQuitScreen
from tui.screens.base import PaneScreen
from tui.screens.confirm import ConfirmScreen
from tui.screens.facilitator import FacilitatorScreen
from tui.screens.help import HelpScreen, KeyRow
from tui.screens.journal import JournalNoteScreen, JournalScreen
from tui.screens.jump import JumpScreen
from tui.screens.scope import AccountChoice, Scope, ScopeScreen, find_scope
from tui.screens.wall import ServiceBoard, WallScreen
from tui.settings import Settings
from tui.sim.control import ControlClient, probe
from widgets.header import HeaderBar
from widgets.status import StatusLine

WidgetT = TypeVar("WidgetT", bound=Widget)


@dataclass(frozen=True)
class PaneSpec:
    name: str
    title: str
    key: str
    """Its number key, or "" for a pane reached only by name (``:``, the command palette)."""
    build: Callable[[WarroomApp], Screen[Any]]

    @property
    def reached_by(self) -> str:
        """How a person gets to it: ``key 7``, or ``:wall`` for a pane without a number key."""
        return f"key {self.key}" if self.key else f":{self.name}"


TERMINAL_CHECK_S = 2.0
STARTING_REFRESH_S = 0.1
"""How often the status line's start-up step is read again while the console starts."""
LIVE_PANES = frozenset(p.name for p in panes.LIVE)
"""Panes that poll AWS (``Settings.watch_all`` starts them all at once)."""


def controlling_terminal() -> str | None:
    """The device of the terminal on stdin (``/dev/pts/3``), or None when stdin is not a terminal."""
    try:
        return os.ttyname(sys.__stdin__.fileno()) if sys.__stdin__ is not None else None
    except (OSError, ValueError):
        return None


def _pane_screen(pane: panes.Pane) -> Callable[[WarroomApp], Screen[Any]]:
    def build(app: WarroomApp) -> Screen[Any]:
        screen: Screen[Any] = panes.resolve(pane.screen)(app.pane_context, app.feeds[pane.name])
        return screen

    return build


def _wall(app: WarroomApp) -> Screen[Any]:
    """The game day's wall: the services' timers, the journal's faults and lines, the alarms' feed."""
    return WallScreen(
        services=app.service_status,
        history=app.journal_events,
        journal=app.journal,
        alarms=app.feeds["alarms"] if "alarms" in app.feeds else None,  # noqa: SIM401 (not a dict)
        mutes=app.mutes,
        clock=app.clock,
        recorded=app.replay is not None,
    )


def _panes() -> tuple[PaneSpec, ...]:
    """The console's panes (``tui.panes``); the facilitator's joins when a simulator answers."""
    builders: dict[str, Callable[[WarroomApp], Screen[Any]]] = {
        "journal": lambda app: JournalScreen(
            app.journal_events, app.service_status, app.journal_description, app.journal
        ),
        "activity": lambda app: ActivityScreen(lambda: tuple(app.activity), app.activity_topic),
        "wall": _wall,
    }
    return tuple(
        PaneSpec(p.name, p.title, p.key, _pane_screen(p) if p.live else builders[p.name])
        for p in panes.PANES
        if p.live or p.name in builders
    )


class WarroomApp(App[None]):
    """warroom's console. Build it with ``make_app``."""

    TITLE = "warroom"
    CSS_PATH = str(STYLESHEET)
    ENABLE_COMMAND_PALETTE = True
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("question_mark", "help", "Help", key_display="?", id="help"),
        # A priority binding: `:wall` Enter typed in one burst (or pasted) reaches the prompt whole.
        # Checked when it bubbled up, the letters after `:` already went to the pane's widget.
        Binding("colon", "jump", "Jump", key_display=":", id="jump", priority=True),
        Binding("n", "note", "Note", id="note"),
        Binding("T", "next_theme", "Theme", show=False, id="next_theme"),
        Binding("q", "quit", "Quit", id="quit"),
        *[Binding(str(n), f"pane({n})", f"Pane {n}", show=False) for n in range(10)],
        # Replays only; Textual shows each of these keys as its character (] for right_square_bracket).
        Binding("full_stop", "replay_step(True)", "Step", show=False, id="replay_step"),
        Binding("comma", "replay_step(False)", "Step back", show=False, id="replay_step_back"),
        Binding("right_square_bracket", "replay_seek(60)", "+1 min", show=False, id="replay_ahead_minute"),
        Binding("left_square_bracket", "replay_seek(-60)", "-1 min", show=False, id="replay_back_minute"),
        Binding(
            "right_curly_bracket", "replay_seek(600)", "+10 min", show=False, id="replay_ahead_10_minutes"
        ),
        Binding(
            "left_curly_bracket", "replay_seek(-600)", "-10 min", show=False, id="replay_back_10_minutes"
        ),
        Binding("greater_than_sign", "replay_speed(True)", "Faster", show=False, id="replay_faster"),
        Binding("less_than_sign", "replay_speed(False)", "Slower", show=False, id="replay_slower"),
        Binding("L", "replay_live", "Live", show=False, id="replay_live"),
        Binding("A", "scope", "Scope", show=False, id="scope"),
    ]

    def __init__(
        self,
        settings: Settings,
        factory: ClientFactory,
        *,
        clock: Callable[[], datetime] = utc_clock,
        gameday: GameDay | None = None,
        replay: ReplayDriver | None = None,
        startup: Startup | None = None,
    ) -> None:
        super().__init__()
        self.settings = settings
        self.startup = startup
        """What comes up behind the first frame (the demo's simulator); the factory's clients wait
        until it answers (``make_app`` builds the factory so), and its failure ends the console."""
        self._first_data = replay is not None
        """Whether the first pane has shown a poll's outcome: the start-up messages end there."""
        self.factory = factory
        self.clock = clock
        self.panes = _panes()
        self.activity: deque[ActivityEvent] = deque(maxlen=5000)
        self.activity_topic: Topic[ActivityEvent] = Topic("activity")
        self.journal: Topic[JournalEvent | None] = Topic("journal")
        """The journal's events as they come; None: read them all again (a replay seeked back)."""
        self.account = ""
        self.identity_problem = ""
        self.accounts_directory: AccountDirectory | None = None
        self.accounts_view: AccountsView | None = None
        """The accounts watched, when more than the credential's own (``tui.aws.accounts``)."""
        self.scope_progress = ""
        """``12 of 40 accounts`` while the accounts are checked."""
        self.scope = Scope()
        """Which of the accounts and regions watched the panes show (``A``, ``:account``)."""
        self.gameday = gameday
        self.replay = replay
        self.actions = ActionRunner(
            factory, read_only=settings.read_only or replay is not None, audit=AuditLog.default(), clock=clock
        )
        if replay is not None:
            self.feeds = replay.feeds
        else:
            self.feeds = Feeds.live(factory, settings, clock, record=self._record_feed)
        self.mutes = MuteBook()
        """The alarms this console muted: the header reminds of them until they are unmuted."""
        if "alarms" in self.feeds:
            self.feeds["alarms"].subscribe(self._alarms_polled)
        if gameday is not None:
            self.actions.listeners.append(gameday.action)
            gameday.subscribe(self._journal_event)
            # The recording and the journal's detectors read every good poll of every pane.
            self.feeds.observe_polls(gameday.observe)
        self.pane_context = PaneContext(
            factory=factory,
            settings=settings,
            clock=clock,
            record=self.record,
            actions=self.actions,
            instance_history=self.feeds.instance_history,
            alarm_detail=self.feeds.alarm_detail,
            mutes=self.mutes,
            pane_feed=self._pane_feed,
        )
        # Set by exit(): keys typed while the console closes run nothing (run_action).
        self.quitting = False
        self.keymaps = keys.keymaps(settings.keys, (p.name for p in panes.PANES))
        """Textual's key map for each pane: the config file's remapped keys (``tui.keys``)."""
        self._keymap_shown: dict[str, str] = {}
        for theme in THEMES:
            self.register_theme(theme)
        self.theme = settings.theme
        for spec in self.panes:
            self.add_mode(spec.name, self._builder(spec))
        if settings.demo and settings.target.endpoint_url and replay is None:
            # The demo's endpoint is warroom's own simulator: no need to ask it.
            self.add_facilitator(settings.target.endpoint_url)

    def _pane_feed(self, name: str) -> Any:
        """The feed of pane ``name`` (None when it has none)."""
        return self.feeds[name] if name in self.feeds else None  # noqa: SIM401 (not a dict)

    def _builder(self, spec: PaneSpec) -> Callable[[], Screen[Any]]:
        return lambda: spec.build(self)

    # -- lifecycle ----------------------------------------------------------------------------

    async def on_mount(self) -> None:
        if not self._first_data:
            # The first frame says what the console is doing until the first pane has data.
            first = self.panes[0].name
            if first in self.feeds:
                self._unsubscribe_first = self.feeds[first].subscribe(self._first_update)
            self._starting_timer = self.set_interval(
                STARTING_REFRESH_S, self._show_starting, name="starting-timer"
            )
            if self.startup is not None:
                self.wait_for_startup()
        if self.settings.watch_all:
            # Every feed starts now, so the journal sees crossings on panes nobody opened.
            self.feeds.start()
        await self.switch_mode(self.panes[0].name)
        # The first frame now stays up while the simulator starts: its header shows the pane, the
        # profile, the regions and the badges from the start, not only once the identity is read.
        self.call_after_refresh(self.sync_header)
        if not self._first_data:
            self.call_after_refresh(self._show_starting)
        if self.replay is not None:
            self.replay.bind(self)
        else:
            self.load_identity()
            self.detect_simulator()
        self.set_interval(1.0, self._tick_services, name="services-timer")
        self.config_warning()
        terminal = controlling_terminal()
        if terminal is not None and not self.is_headless:
            self.set_interval(TERMINAL_CHECK_S, lambda: self._check_terminal(terminal), name="terminal-check")

    def config_warning(self) -> None:
        """Say why the config file was refused (the defaults are in force): one toast, and every
        problem in the Activity pane."""
        warnings = self.settings.warnings
        if not warnings:
            return
        more = f"\n(+{len(warnings) - 1} more: warroom config check)" if len(warnings) > 1 else ""
        self.notify(
            f"{warnings[0]}{more}\nwarroom runs on the defaults.",
            title="Config file refused",
            severity="warning",
            timeout=20,
        )
        for warning in warnings:
            self.record(ActivityEvent(self.clock(), "config", "warning", warning))

    # -- the start: what the first frame says until the first data -----------------------------

    _unsubscribe_first: Callable[[], None] | None = None
    _starting_timer: Timer | None = None

    def starting_text(self) -> str:
        """What the console is doing before the first pane's first data ("" after it)."""
        if self._first_data:
            return ""
        if self.startup is not None and not self.startup.done:
            return self.startup.stage
        if not self.account and not self.identity_problem:
            return "reading identity…"
        return "first polls…"

    def _first_update(self, update: Any) -> None:
        if update.kind in ("polled", "failed") and not self._first_data:
            self._first_data = True
            self.call_later(self._show_starting)

    def _show_starting(self) -> None:
        text = self.starting_text()
        for status in self.shown(StatusLine):
            status.starting = text
        if not text:
            if self._starting_timer is not None:
                self._starting_timer.stop()
            if self._unsubscribe_first is not None:
                self._unsubscribe_first()
                self._unsubscribe_first = None

    @work(exclusive=True, group="startup", exit_on_error=False)
    async def wait_for_startup(self) -> None:
        """End the console, saying why, when what it waits for cannot start."""
        assert self.startup is not None
        try:
            await self.startup.wait()
        except StartupFailed as exc:
            self.exit(return_code=1, message=str(exc))
        self._show_starting()

    def _check_terminal(self, terminal: str) -> None:
        """Quit when the terminal is gone. A hangup may not reach the console (``make demo`` takes it
        and waits), and a console left on a vanished terminal would spin on it forever."""
        if not os.path.exists(terminal):
            self.exit(return_code=1, message="warroom: the terminal went away")

    async def on_unmount(self) -> None:
        await self.feeds.close()
        if self.gameday is not None:
            self.gameday.close()
        await self.factory.close()

    def on_screen_resume(self) -> None:
        self.sync_header()
        if not self._first_data:
            self._show_starting()

    @work(exclusive=True, group="identity", exit_on_error=False)
    async def load_identity(self) -> None:
        try:
            identity = await caller_identity(self.factory)
        except Exception as exc:  # shown in the header; the panes say more
            problem = classify(exc, profile=self.settings.target.profile)
            self.identity_problem = problem.message
            self.record(ActivityEvent(self.clock(), "identity", "error", problem.one_line()))
        else:
            self.account = identity.account
            self.actions.account = identity.account
            self.actions.actor = identity.arn
            self.identity_problem = ""
            self.record(ActivityEvent(self.clock(), "identity", "info", f"signed in as {identity.arn}"))
            if not self.settings.accounts.single and self.replay is None:
                self.load_accounts(identity)
        self.sync_header()

    @work(exclusive=True, group="accounts", exit_on_error=False)
    async def load_accounts(self, identity: Identity) -> None:
        """The accounts to watch (``tui.aws.accounts``): each account reached becomes the pollers'
        places as it answers; one that cannot be reached is said once, with what to do."""
        directory = AccountDirectory(self.factory, self.settings.accounts, identity=identity)
        self.accounts_directory = directory
        view = await directory.load()
        for note in view.notes:
            self.record(ActivityEvent(self.clock(), "accounts", "warning", note))
        self._accounts_moved(view)
        total = len(view.rows)
        async for row in directory.check_all():
            view = directory.view()
            self._accounts_moved(view)
            done = sum(1 for r in view.rows if all(reach is not None for reach in r.reaches))
            self.scope_progress = f"{done} of {total} accounts" if done < total else ""
            if row.failing():
                problem = next((r.problem for r in row.reaches if r is not None and r.problem), None)
                reason = problem.message if problem else "cannot be reached"
                text = reason if row.account.id in reason else f"{row.account.label}: {reason}"
                if problem is not None and problem.hint:
                    text += f" · {problem.hint}"
                self.record(ActivityEvent(self.clock(), "accounts", "error", text))
        self.scope_progress = ""
        self._accounts_moved(directory.view())

    def _accounts_moved(self, view: AccountsView) -> None:
        self.accounts_view = view
        before = self.factory.places
        self.factory.set_places(self.scope.keep(view.places()))
        if self.factory.places != before:
            self._poll_shown()
        self.sync_header()

    def _poll_shown(self) -> None:
        """The places changed: the feeds running poll them now rather than at their next turn."""
        for feed in self.feeds:
            again = getattr(feed, "poll_again", None)
            if getattr(feed, "started", False) and again is not None:
                again()

    def _account_choices(self, view: AccountsView) -> list[AccountChoice]:
        choices = []
        for row in view.rows:
            problem = ""
            if row.failing():
                found = next((r.problem for r in row.reaches if r is not None and r.problem), None)
                problem = found.message if found is not None else "cannot be reached"
            label = row.account.label + (" · this credential's account" if row.account.home else "")
            choices.append(AccountChoice(row.account.id, label, problem))
        return choices

    def action_scope(self) -> None:
        """A: all accounts, one account, one region."""
        view = self.accounts_view
        if view is None or view.single:
            self.notify(
                "This console watches one account: list others under [[accounts]] in the config file, "
                "or start with --org to read the organization's",
                timeout=5,
            )
            return

        def chosen(scope: Scope | None) -> None:
            if scope is not None:
                self.set_scope(scope)

        self.push_screen(ScopeScreen(self._account_choices(view), view.regions, self.scope), chosen)

    def scope_query(self, query: str) -> None:
        """``:account NAME`` or ``:region NAME``."""
        view = self.accounts_view
        if view is None or view.single:
            self.action_scope()
            return
        found = find_scope(query, self._account_choices(view), view.regions, self.scope)
        if isinstance(found, str):
            self.bell()
            self.notify(found, severity="warning", timeout=5)
            return
        self.set_scope(found)

    def set_scope(self, scope: Scope) -> None:
        """Show ``scope`` from now on: the panes poll only its places, at once."""
        self.scope = scope
        if self.accounts_view is not None:
            self._accounts_moved(self.accounts_view)
        self._poll_shown()
        self.notify(f"Scope: {self.scope_words() or 'all accounts · all regions'}", timeout=3)

    def scope_words(self) -> str:
        view = self.accounts_view
        names = {r.account.id: r.account.name or r.account.id for r in view.rows} if view else {}
        return self.scope.words(names)

    @work(exclusive=True, group="simulator", exit_on_error=False)
    async def detect_simulator(self) -> None:
        """Against warroom's simulator, add the facilitator's pane (key 8)."""
        url = self.settings.target.endpoint_url
        if not url or any(p.name == "facilitator" for p in self.panes):
            return
        if await asyncio.to_thread(probe, url):
            self.add_facilitator(url)

    def add_facilitator(self, url: str) -> None:
        """The facilitator's pane for the simulator at ``url``, on key 8."""
        if any(p.name == "facilitator" for p in self.panes):
            return
        client = ControlClient(url)

        def build(app: WarroomApp) -> Screen[Any]:
            return FacilitatorScreen(
                client,
                feed=simulator_feed(client, backend=app.factory, clock=app.clock, record=app._record_feed),
                read_only=app.settings.read_only,
                audit=app.actions.audit,
                actor=app.actions.actor or "",
                journal=app.gameday.action if app.gameday is not None else None,
            )

        pane = panes.BY_NAME["facilitator"]
        spec = PaneSpec(pane.name, pane.title, pane.key, build)
        self.panes = tuple(sorted((*self.panes, spec), key=lambda p: panes.key_order(p.key)))
        self.add_mode(spec.name, self._builder(spec))
        self.record(ActivityEvent(self.clock(), "facilitator", "info", f"warroom simulator at {url}: key 8"))

    def sync_header(self) -> None:
        """Copy the console's state to the header of the screen on show."""
        spec = self.current_pane
        for header in self.shown(HeaderBar):
            header.account = self.account
            header.identity_problem = self.identity_problem
            header.scope = self.scope_text()
            header.profile = self.factory.profile_in_use() or ""
            header.regions = self.factory.regions
            header.demo = self.settings.demo
            header.read_only = self.settings.read_only
            header.pane = spec.title if spec else ""
            header.alert = self._alert
            header.muted = self.mutes.reminder(self.clock())
            header.replay = self.replay_badge()

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = True,
    ) -> None:
        """Every toast is literal text: its message often carries AWS data (titles, descriptions,
        errors), which must never be read as markup."""
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=False)

    # -- journal ------------------------------------------------------------------------------

    _alert = ""

    def scope_text(self) -> str:
        """``5 accounts · 2 regions`` (and the check's progress) when watching several accounts."""
        view = self.accounts_view
        if view is None or view.single:
            return ""
        failing = len(view.failures())
        text = view.header
        shown = self.scope_words()
        if shown:
            text = f"{shown} of {text}"
        if failing:
            text += f" · {failing} unreachable"
        if self.scope_progress:
            text += f" · checking {self.scope_progress}"
        return text

    def journal_events(self) -> tuple[JournalEvent, ...]:
        if self.replay is not None:
            return tuple(self.replay.events)
        return self.gameday.journal.events if self.gameday is not None else ()

    def service_status(self) -> tuple[ServiceStatus, ...]:
        if self.replay is not None:
            return self.replay.services()
        return self.gameday.service_status() if self.gameday is not None else ()

    def journal_append(self, event: JournalEvent) -> None:
        """Show one more event in every journal pane."""
        self._journal_event(event)

    def journal_reload(self) -> None:
        """Show the journal anew (a replay seeked backwards)."""
        self.journal.publish(None)

    def journal_description(self) -> str:
        if self.gameday is None:
            return ""
        parts = []
        path = self.gameday.journal.path
        if path is not None:
            parts.append(f"journal {path}")
        if self.gameday.recorder is not None:
            parts.append(f"● recording {self.gameday.recorder.path}")
        problem = self.gameday.problem
        if problem:
            parts.append(f"⚠ {problem}")
        return " · ".join(parts)

    def replay_badge(self) -> str:
        return self.replay.badge() if self.replay is not None else ""

    def exit(self, *args: Any, **kwargs: Any) -> None:
        self.quitting = True
        super().exit(*args, **kwargs)

    async def run_action(self, action: Any, *args: Any, **kwargs: Any) -> bool:
        """Every key's action, except once the console is quitting: a key typed right after `q`
        (`n` opening a note) would open a dialog on an app that no longer composes one."""
        if self.quitting:
            return True
        return await super().run_action(action, *args, **kwargs)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action.startswith("replay_"):
            return self.replay is not None
        return True

    def _replay_moved(self) -> None:
        for header in self.shown(HeaderBar):
            header.replay = self.replay_badge()

    def action_replay_step(self, forward: bool) -> None:
        if self.replay is not None:
            self.replay.step(forward)
            self._replay_moved()

    def action_replay_seek(self, seconds: float) -> None:
        if self.replay is not None:
            self.replay.seek_by(seconds)
            self._replay_moved()

    def action_replay_speed(self, up: bool) -> None:
        if self.replay is not None:
            self.replay.faster(up)
            self._replay_moved()

    def action_replay_live(self) -> None:
        """L: back to live in a watch view (a replay: to the end of the recording)."""
        if self.replay is not None:
            self.replay.go_live()
            self._replay_moved()

    def _journal_event(self, event: JournalEvent) -> None:
        self.journal.publish(event)
        if (
            self.replay is None
            and event.level == "critical"
            and event.kind not in ("fault.started", "fault.ended")
        ):
            self.notify(event.text[:200], title="Journal", severity="warning", timeout=6)

    def shown(self, kind: type[WidgetT]) -> list[WidgetT]:
        """The widgets of ``kind`` on the screen shown; none while the console closes, when a timer
        can still fire after the last screen has left the stack."""
        if not self.screen_stack:
            return []
        # A walk, not a query: the services' timer asks every second, and matching selectors cost
        # ten times as much.
        return list(self.screen.walk_children(kind))

    def _tick_services(self) -> None:
        if self.gameday is not None:
            self.gameday.tick()
        statuses = self.service_status()
        alert = alert_text(statuses)
        if alert != self._alert:
            self._alert = alert
        muted = self.mutes.reminder(self.clock())
        for header in self.shown(HeaderBar):
            header.alert = alert
            header.muted = muted
            header.replay = self.replay_badge()
        # The wall's large timers read the same statuses as the header's timer.
        for board in self.shown(ServiceBoard):
            board.show(statuses)
        self._offer_unmute()

    # -- the alarms this console muted ----------------------------------------------------------

    def _alarms_polled(self, update: Any) -> None:
        """Forget the mutes a poll shows undone elsewhere (actions enabled again, alarm deleted)."""
        if update.kind != "polled" or update.snapshot is None or not len(self.mutes):
            return
        snapshot = update.snapshot
        failed = {e.region for e in snapshot.errors if e.api == "cloudwatch:DescribeAlarms"}
        for mute in self.mutes.reconcile(snapshot.alarms, snapshot.fetched_at, failed):
            self.record(
                ActivityEvent(
                    self.clock(), "Alarms", "warning", f"{mute.name} is no longer muted: unmuted elsewhere"
                )
            )

    def _action_places(self) -> tuple[Place, ...]:
        """Where actions on each account's rows run: every place reached, whatever the scope."""
        places = self.accounts_view.places() if self.accounts_view is not None else ()
        return acting_places(places or self.factory.places, self.settings.remediation_role)

    def _muted_alarms(self, mutes: Iterable[Mute]) -> list[Any]:
        """The alarms of the last alarms poll that ``mutes`` name."""
        snapshot = self.feeds["alarms"].state.snapshot if "alarms" in self.feeds else None
        keys = {m.key for m in mutes}
        return [a for a in getattr(snapshot, "alarms", ()) if a.key in keys]

    def _offer_unmute(self) -> None:
        """Once a mute's time is up, ask (once) whether to unmute: never over another dialog."""
        due = self.mutes.due(self.clock())
        if not due or not self.screen_stack or isinstance(self.screen, ModalScreen) or self.quitting:
            return
        self.mutes.offered(m.key for m in due)
        alarms = [a for a in self._muted_alarms(due) if a.muted]
        if not alarms:
            return
        reasons = "; ".join(dict.fromkeys(m.reason for m in due))
        plan = alarm_actions.unmute_plan(
            alarms,
            places=self._action_places(),
            why=(
                f"Their mute ended ({reasons}). EnableAlarmActions turns their notifications and actions "
                "back "
                "on; n keeps them muted, and the header keeps counting the time over."
            ),
        )

        def chosen(confirmed: bool | None) -> None:
            if confirmed:
                self.unmute(plan, alarms)

        self.push_screen(ConfirmScreen(plan, read_only=self.settings.read_only), chosen)

    @work(group="unmute", exit_on_error=False)
    async def unmute(self, plan: Any, alarms: list[Any], *, then_quit: bool = False) -> None:
        try:
            result: ActionResult = await self.actions.execute(plan)
        except (ReadOnlyRefusal, PlanRefusal) as refusal:
            self.notify(f"Not unmuted: {refusal}", severity="warning", timeout=5)
            return
        self.mutes.remove(a.key for a in acted_on(plan, result, alarms))
        self.record(ActivityEvent(self.clock(), "Alarms", "info" if result.ok else "error", result.message))
        if "alarms" in self.feeds:
            self.feeds["alarms"].refresh()
        if not result.ok:
            self.notify(f"✖ {result.message}", severity="error", timeout=8)
            return
        self.notify(f"✓ {plan.title}", timeout=4)
        if then_quit:
            self.exit(message=self._muted_text())

    def _muted_text(self) -> str | None:
        mutes = self.mutes.active()
        if not mutes:
            return None
        lines = [f"warroom: {len(mutes)} alarm(s) this console muted are still muted:"]
        lines += [f"  {m.name} ({m.region}): {m.reason}" for m in mutes]
        return "\n".join(lines)

    async def action_quit(self) -> None:
        """Quit; first list the alarms this console muted that are still muted, and offer to unmute
        them."""
        mutes = self.mutes.active()
        if not mutes or self.settings.read_only:
            self.exit()
            return

        def chosen(choice: str | None) -> None:
            if choice == "quit":
                self.exit(message=self._muted_text())
            elif choice == "unmute":
                alarms = [a for a in self._muted_alarms(mutes) if a.muted]
                if not alarms:
                    self.mutes.remove(m.key for m in mutes)
                    self.exit()
                    return
                plan = alarm_actions.unmute_plan(alarms, places=self._action_places())
                self.unmute(plan, alarms, then_quit=True)

        self.push_screen(MutedOnQuitScreen(mutes, self.clock(), read_only=self.settings.read_only), chosen)

    def action_note(self) -> None:
        if self.gameday is None:
            where = "Watching" if self.replay is not None and self.replay.following else "Replaying"
            self.notify(f"{where} a recording: notes go in the journal of the console that drives", timeout=3)
            return
        author = self.settings.note_author or self.actions.actor or os.environ.get("USER", "")
        when = zulu_text(self.clock())

        def keep(text: str | None) -> None:
            if text and self.gameday is not None:
                self.gameday.note(text, author)
                self.notify("✎ Noted in the journal", timeout=2)

        self.push_screen(JournalNoteScreen(author, when), keep)

    # -- activity -----------------------------------------------------------------------------

    def record(self, event: ActivityEvent) -> None:
        self.activity.append(event)
        self.activity_topic.publish(event)

    def _record_feed(self, title: str, level: str, text: str) -> None:
        self.record(ActivityEvent(self.clock(), title, level, text))

    # -- panes --------------------------------------------------------------------------------

    @property
    def current_pane(self) -> PaneSpec | None:
        return next((p for p in self.panes if p.name == self.current_mode), None)

    def pane_by_key(self, key: str) -> PaneSpec | None:
        return next((p for p in self.panes if p.key and p.key == key), None)

    def switch_mode(self, mode: str) -> AwaitMount:
        """Show pane ``mode``, with its key map in force."""
        keymap = self.keymaps.get(mode, {})
        if keymap != self._keymap_shown:
            self._keymap_shown = keymap
            self.set_keymap(keymap)
        return super().switch_mode(mode)

    async def go_to(self, name: str) -> None:
        if name == self.current_mode:
            return
        if any(p.name == name for p in self.panes):
            await self.switch_mode(name)
            self.sync_header()

    async def show_resource(self, kind: str, resource_id: str) -> None:
        """Show what an alarm watches in the pane that has it: an instance (or the instance of a
        volume) in Limits' instance view, a stream in Kinesis' stream view."""
        pane = {"instance": "limits", "volume": "limits", "stream": "kinesis"}.get(kind)
        if pane is None or not any(p.name == pane for p in self.panes):
            self.notify(f"No pane shows a {kind}: {resource_id}", severity="warning", timeout=4)
            return
        await self.go_to(pane)
        while len(self.screen_stack) > 1:
            await self.pop_screen()
        opener = getattr(self.screen, "open_resource", None)
        if opener is not None:
            opener(resource_id)

    async def action_pane(self, number: int) -> None:
        spec = self.pane_by_key(str(number))
        if spec is None:
            self.bell()
            self.notify(f"No pane {number}; : lists the panes", timeout=2)
            return
        await self.go_to(spec.name)

    def action_jump(self) -> None:
        if isinstance(self.screen, ModalScreen) or isinstance(self.focused, (Input, TextArea)):
            raise SkipAction()  # a `:` typed in a field or a dialog is that field's or dialog's

        async def chosen(name: str | None) -> None:
            if name and name.startswith(("account ", "region ")):
                self.scope_query(name)
            elif name:
                await self.go_to(name)

        self.push_screen(JumpScreen([(p.name, p.title) for p in self.panes]), chosen)

    def _key_rows(self, bindings: list[BindingType]) -> list[KeyRow]:
        rows: list[KeyRow] = []
        for item in bindings:
            binding = item if isinstance(item, Binding) else Binding(*item)
            remapped = self.keymaps.get(self.current_mode, {}).get(binding.id or "")
            if remapped:
                binding = binding.with_key(remapped, key_display=None)
            if binding.action.startswith("pane("):
                continue
            if binding.action.startswith("replay_") and self.replay is None:
                continue
            keys = binding.key_display or " ".join(
                self.get_key_display(Binding(k.strip(), binding.action)) for k in binding.key.split(",")
            )
            rows.append((keys, binding.description or binding.action))
        return rows

    def pane_key_rows(self, screen: Screen[Any]) -> list[KeyRow]:
        """The keys a pane defines itself (its class and its warroom base classes), most specific first."""
        bindings: list[BindingType] = []
        for cls in type(screen).__mro__:
            if cls.__module__.startswith("tui.") and "BINDINGS" in cls.__dict__:
                bindings.extend(cls.__dict__["BINDINGS"])
        return self._key_rows(bindings)

    def global_key_rows(self) -> list[KeyRow]:
        numbers = " ".join(f"{p.key} {p.title}" for p in self.panes if p.key)
        rows: list[KeyRow] = [("0-9", f"switch pane: {numbers}")]
        rows += [(p.reached_by, f"the {p.title} pane (no number key)") for p in self.panes if not p.key]
        rows += self._key_rows(list(self.BINDINGS))
        rows += [
            ("j k ↑ ↓", "move; pgup pgdn a page"),
            ("g G", "top, bottom (home end)"),
            ("tab", "next widget"),
            ("ctrl+p", "command palette: panes, themes, keys"),
            ("ctrl+c", "copy the selected text"),
        ]
        return rows

    def action_help(self) -> None:
        pane = self.screen
        title = str(getattr(pane, "TITLE", "") or "warroom")
        about = str(getattr(pane, "HELP", ""))
        self.push_screen(HelpScreen(title, about, self.pane_key_rows(pane), self.global_key_rows()))

    def action_next_theme(self) -> None:
        names = [t.name for t in THEMES]
        current = names.index(self.theme) if self.theme in names else -1
        self.theme = names[(current + 1) % len(names)]
        self.notify(f"Theme: {self.theme}", timeout=2)

    def get_system_commands(self, screen: Screen[Any]) -> Any:
        yield from super().get_system_commands(screen)
        for spec in self.panes:
            yield SystemCommand(
                f"Pane: {spec.title}",
                f"Switch to the {spec.title} pane ({spec.reached_by})",
                self._goto_callback(spec.name),
            )
        yield SystemCommand("Next theme", "Cycle warroom's themes (T)", self.action_next_theme)

    def _goto_callback(self, name: str) -> Callable[[], Any]:
        async def go() -> None:
            await self.go_to(name)

        return go


def alert_text(statuses: tuple[ServiceStatus, ...]) -> str:
    """The header's timer: a service in breach first, else an impaired one ("" when all are well)."""
    breached = [s for s in statuses if s.breached]
    impaired = [s for s in statuses if s.impaired_since is not None and not s.breached]
    if breached:
        first = breached[0]
        text = f"✖ BREACH {first.name} {clock_text(first.impaired_s)} > {clock_text(first.tolerance_s)}"
        others = len(breached) + len(impaired) - 1
    elif impaired:
        first = impaired[0]
        text = f"⏱ {first.name} impaired {clock_text(first.impaired_s)}/{clock_text(first.tolerance_s)}"
        others = len(impaired) - 1
    else:
        return ""
    return f"{text} (+{others})" if others else text


def make_app(
    settings: Settings,
    *,
    factory: ClientFactory | None = None,
    clock: Callable[[], datetime] = utc_clock,
    gameday: GameDay | None = None,
    services: Iterable[BusinessService] = (),
    startup: Startup | None = None,
) -> WarroomApp:
    """The one way to build the console, for the CLI and for the tests; ``services`` are the
    important business services whose impairment the header times. With ``startup`` (begun), the
    console paints at once and says how the start goes; its AWS calls wait until it is reachable."""
    return WarroomApp(
        settings,
        factory
        or ClientFactory(settings.target, ready=startup.wait_reachable if startup is not None else None),
        clock=clock,
        gameday=gameday or make_gameday(settings, clock, services),
        startup=startup,
    )


def make_replay_app(settings: Settings, driver: ReplayDriver) -> WarroomApp:
    """The console over a recording: the same panes, fed by ``driver``, with no AWS client."""
    settings = dataclasses.replace(settings, read_only=True, watch_all=False)
    return WarroomApp(settings, OfflineFactory(settings.target), clock=driver.now, replay=driver)


__all__ = ["PaneScreen", "WarroomApp", "__version__", "make_app"]
