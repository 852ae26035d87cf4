"""The App: panes as modes, global keys, identity in the header, themes."""

from __future__ import annotations

import os
import sys
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

from textual import work
from textual.app import App
from textual.binding import Binding, BindingType
from textual.screen import Screen

from themes import STYLESHEET, THEMES
from tui import __version__
from tui.aws.actions import ActionRunner, AuditLog
from tui.aws.clients import ClientFactory
from tui.aws.errors import classify
from tui.aws.identity import caller_identity
from tui.context import ActivityEvent, PaneContext, utc_clock
from tui.screens.activity import ActivityScreen
from tui.screens.base import PaneScreen
from tui.screens.findings import FindingsScreen
from tui.screens.help import HelpScreen, KeyRow
from tui.screens.jump import JumpScreen
from tui.screens.kinesis import KinesisScreen
from tui.screens.limits import LimitsScreen
from tui.screens.overview import OverviewScreen
from tui.screens.sessions import SessionsScreen
from tui.settings import Settings
from widgets.header import HeaderBar


@dataclass(frozen=True)
class PaneSpec:
    name: str
    title: str
    key: str
    build: Callable[[WarroomApp], Screen[Any]]


TERMINAL_CHECK_S = 2.0


def controlling_terminal() -> str | None:
    """The device of the terminal on stdin (``/dev/pts/3``), or None when stdin is not a terminal."""
    try:
        return os.ttyname(sys.__stdin__.fileno()) if sys.__stdin__ is not None else None
    except (OSError, ValueError):
        return None


def _panes() -> tuple[PaneSpec, ...]:
    return (
        PaneSpec(
            "overview",
            "Overview",
            "1",
            lambda app: OverviewScreen(app.pane_context, interval=app.settings.intervals.overview),
        ),
        PaneSpec(
            "limits",
            "Limits",
            "2",
            lambda app: LimitsScreen(app.pane_context, interval=app.settings.intervals.limits),
        ),
        PaneSpec(
            "kinesis",
            "Kinesis",
            "3",
            lambda app: KinesisScreen(app.pane_context, interval=app.settings.intervals.kinesis),
        ),
        PaneSpec(
            "findings",
            "Findings",
            "4",
            lambda app: FindingsScreen(app.pane_context, interval=app.settings.intervals.findings),
        ),
        PaneSpec(
            "sessions",
            "Sessions",
            "5",
            lambda app: SessionsScreen(app.pane_context, interval=app.settings.intervals.sessions),
        ),
        PaneSpec("activity", "Activity", "9", lambda app: ActivityScreen(lambda: tuple(app.activity))),
    )


class WarroomApp(App[None]):
    """warroom's console. Build it with ``make_app``."""

    TITLE = "warroom"
    CSS_PATH = str(STYLESHEET)
    ENABLE_COMMAND_PALETTE = True
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("question_mark", "help", "Help", key_display="?"),
        Binding("colon", "jump", "Jump", key_display=":"),
        Binding("T", "next_theme", "Theme", show=False),
        Binding("q", "quit", "Quit"),
        *[Binding(str(n), f"pane({n})", f"Pane {n}", show=False) for n in range(1, 10)],
    ]

    def __init__(
        self,
        settings: Settings,
        factory: ClientFactory,
        *,
        clock: Callable[[], datetime] = utc_clock,
    ) -> None:
        super().__init__()
        self.settings = settings
        self.factory = factory
        self.clock = clock
        self.panes = _panes()
        self.activity: deque[ActivityEvent] = deque(maxlen=5000)
        self.account = ""
        self.identity_problem = ""
        self.actions = ActionRunner(
            factory, read_only=settings.read_only, audit=AuditLog.default(), clock=clock
        )
        self.pane_context = PaneContext(
            factory=factory, settings=settings, clock=clock, record=self.record, actions=self.actions
        )
        for theme in THEMES:
            self.register_theme(theme)
        self.theme = settings.theme
        for spec in self.panes:
            self.add_mode(spec.name, self._builder(spec))

    def _builder(self, spec: PaneSpec) -> Callable[[], Screen[Any]]:
        return lambda: spec.build(self)

    # -- lifecycle ----------------------------------------------------------------------------

    async def on_mount(self) -> None:
        await self.switch_mode(self.panes[0].name)
        self.load_identity()
        terminal = controlling_terminal()
        if terminal is not None and not self.is_headless:
            self.set_interval(TERMINAL_CHECK_S, lambda: self._check_terminal(terminal), name="terminal-check")

    def _check_terminal(self, terminal: str) -> None:
        """Quit when the terminal is gone. A hangup may not reach the console (``make demo`` takes it
        and waits), and a console left on a vanished terminal would spin on it forever."""
        if not os.path.exists(terminal):
            self.exit(return_code=1, message="warroom: the terminal went away")

    async def on_unmount(self) -> None:
        await self.factory.close()

    def on_screen_resume(self) -> None:
        self.sync_header()

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
        self.sync_header()

    def sync_header(self) -> None:
        """Copy the console's state to the header of the screen on show."""
        spec = self.current_pane
        for header in self.screen.query(HeaderBar):
            header.account = self.account
            header.identity_problem = self.identity_problem
            header.profile = self.settings.target.profile or ""
            header.regions = self.factory.regions
            header.demo = self.settings.demo
            header.read_only = self.settings.read_only
            header.pane = spec.title if spec else ""

    # -- activity -----------------------------------------------------------------------------

    def record(self, event: ActivityEvent) -> None:
        self.activity.append(event)
        for stack in self._screen_stacks.values():
            for screen in stack:
                if isinstance(screen, ActivityScreen):
                    screen.add_event(event)

    # -- panes --------------------------------------------------------------------------------

    @property
    def current_pane(self) -> PaneSpec | None:
        return next((p for p in self.panes if p.name == self.current_mode), None)

    def pane_by_key(self, key: str) -> PaneSpec | None:
        return next((p for p in self.panes if p.key == key), None)

    async def go_to(self, name: str) -> None:
        if name == self.current_mode:
            return
        if any(p.name == name for p in self.panes):
            await self.switch_mode(name)
            self.sync_header()

    async def action_pane(self, number: int) -> None:
        spec = self.pane_by_key(str(number))
        if spec is None:
            self.bell()
            self.notify(f"No pane {number}; : lists the panes", timeout=2)
            return
        await self.go_to(spec.name)

    def action_jump(self) -> None:
        async def chosen(name: str | None) -> None:
            if name:
                await self.go_to(name)

        self.push_screen(JumpScreen([(p.name, p.title) for p in self.panes]), chosen)

    def _key_rows(self, bindings: list[BindingType]) -> list[KeyRow]:
        rows: list[KeyRow] = []
        for item in bindings:
            binding = item if isinstance(item, Binding) else Binding(*item)
            if binding.action.startswith("pane("):
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
        numbers = " ".join(f"{p.key} {p.title}" for p in self.panes)
        rows: list[KeyRow] = [("1-9", f"switch pane: {numbers}")]
        rows += self._key_rows(list(self.BINDINGS))
        rows += [
            ("j k ↑ ↓", "move; pgup pgdn home end scroll"),
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
        from textual.app import SystemCommand

        yield from super().get_system_commands(screen)
        for spec in self.panes:
            yield SystemCommand(
                f"Pane: {spec.title}",
                f"Switch to the {spec.title} pane (key {spec.key})",
                self._goto_callback(spec.name),
            )
        yield SystemCommand("Next theme", "Cycle warroom's themes (T)", self.action_next_theme)

    def _goto_callback(self, name: str) -> Callable[[], Any]:
        async def go() -> None:
            await self.go_to(name)

        return go


def make_app(
    settings: Settings,
    *,
    factory: ClientFactory | None = None,
    clock: Callable[[], datetime] = utc_clock,
) -> WarroomApp:
    """The one way to build the console, for the CLI and for the tests."""
    return WarroomApp(settings, factory or ClientFactory(settings.target), clock=clock)


__all__ = ["PaneScreen", "WarroomApp", "__version__", "make_app"]
