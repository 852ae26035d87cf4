"""The Sessions pane: every managed instance, EC2 and hybrid, to open a shell or a port forward on with a
key; the console steps aside while the session runs and comes back after. ``v`` shows the sessions."""

from __future__ import annotations

import os
from datetime import datetime
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult, SuspendNotSupported
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import Input, Static

from tui.aws import session_launch as launch
from tui.aws.actions import Plan, PlanRefusal, ReadOnlyRefusal
from tui.aws.actions.core import account_words, unreached_refusal, via_words
from tui.aws.errors import AwsProblem, classify
from tui.aws.scope import Place, acting_place
from tui.aws.sessions import ManagedTarget, SessionsSnapshot, SessionView
from tui.common.timefmt import one_unit_age_text
from tui.context import ActivityEvent, PaneContext
from tui.feeds import Feed
from tui.screens.base import PaneFooter, PaneScreen
from tui.screens.confirm import ConfirmScreen
from tui.screens.dialog import is_replay, offline_refusal
from tui.screens.listing import (
    FilteredList,
    account_names,
    api_errors_text,
    reached_places,
    several_accounts,
)
from tui.screens.presets import Presets
from tui.screens.session_form import FIELDS, TITLES, SessionForm
from widgets.safe import clean
from widgets.textline import TextLine
from widgets.vtable import Column, TableRow, VirtualTable

SHELL = ""
PING_WORD = {"Online": "● online", "ConnectionLost": "✖ lost", "Inactive": "? inactive"}


def _ago(moment: datetime | None, now: datetime) -> str:
    return "?" if moment is None else one_unit_age_text((now - moment).total_seconds())


def target_columns(width: int) -> tuple[Column, ...]:
    if width >= 140:
        return (
            Column("name", "NAME", 18, flex=True),
            Column("id", "ID", 20),
            Column("kind", "KIND", 6),
            Column("ping", "PING", 10),
            Column("platform", "PLATFORM", 18),
            Column("agent", "AGENT", 16),
            Column("ip", "IP", 15),
            Column("computer", "COMPUTER", 20),
            Column("last", "PING AGO", 8, align="right"),
        )
    if width >= 100:
        return (
            Column("name", "NAME", 16, flex=True),
            Column("id", "ID", 20),
            Column("kind", "KIND", 6),
            Column("ping", "PING", 10),
            Column("platform", "PLATFORM", 14),
            Column("agent", "AGENT", 14),
            Column("ip", "IP", 15),
        )
    return (
        Column("name", "NAME", 14, flex=True),
        Column("id", "ID", 20),
        Column("ping", "PING", 9),
        Column("agent", "AGENT", 12),
    )


def session_columns(width: int) -> tuple[Column, ...]:
    if width < 100:
        # 80 columns over SSH: the document gives way (the detail line under the list names it).
        return (
            Column("id", "SESSION", 18, flex=True),
            Column("target", "TARGET", 20),
            Column("status", "STATUS", 10),
            Column("owner", "OWNER", 12),
            Column("start", "STARTED", 8, align="right"),
        )
    return (
        Column("id", "SESSION", 24, flex=True),
        Column("target", "TARGET", 20),
        Column("status", "STATUS", 12),
        Column("owner", "OWNER", 24 if width >= 120 else 14),
        Column("start", "STARTED", 8, align="right"),
        Column("document", "DOCUMENT", 22 if width >= 120 else 12),
    )


def target_row(target: ManagedTarget, columns: tuple[Column, ...], now: datetime) -> TableRow:
    cells: list[str | list[tuple[str, str]]] = []
    for col in columns:
        key = col.key
        if key == "name":
            cells.append(target.name or "—")
        elif key == "id":
            cells.append(target.instance_id)
        elif key == "kind":
            cells.append("hybrid" if target.hybrid else "ec2")
        elif key == "ping":
            word = PING_WORD.get(target.ping_status, target.ping_status or "?")
            cells.append([(word, "ok" if target.online else "warn")])
        elif key == "platform":
            cells.append(" ".join(p for p in (target.platform_name, target.platform_version) if p) or "?")
        elif key == "agent":
            version = target.agent_version or "?"
            cells.append([(version, ""), (" ▲ old", "warn")] if target.agent_outdated else version)
        elif key == "ip":
            cells.append(target.ip_address or "—")
        elif key == "computer":
            cells.append(target.computer_name or "—")
        elif key == "last":
            cells.append(_ago(target.last_ping_at, now))
        else:
            cells.append("")
    return TableRow(target.instance_id, tuple(cells), level="" if target.online else "warn")


def session_row(
    session: SessionView, columns: tuple[Column, ...], names: dict[str, str], now: datetime
) -> TableRow:
    cells: list[str] = []
    for col in columns:
        key = col.key
        if key == "id":
            cells.append(session.session_id)
        elif key == "target":
            name = names.get(session.target, "")
            cells.append(f"{name} {session.target}".strip())
        elif key == "status":
            cells.append(("● " if session.active else "") + (session.status or "?"))
        elif key == "owner":
            cells.append(session.owner.rsplit("/", 1)[-1] or "?")
        elif key == "start":
            cells.append(_ago(session.start_date, now))
        elif key == "document":
            cells.append(session.document_name or "shell")
        else:
            cells.append("")
    return TableRow(session.session_id, tuple(cells), level="")


class SessionsScreen(FilteredList, PaneScreen[SessionsSnapshot]):
    """Managed instances to connect to, and the sessions open and past."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "filter", "Filter", key_display="/", id="filter"),
        Binding("escape", "clear_filter", "Clear filter", show=False),
        Binding("enter", "launch('')", "Shell"),
        Binding("F", "launch('AWS-StartPortForwardingSession')", "Forward", id="forward"),
        Binding(
            "H", "launch('AWS-StartPortForwardingSessionToRemoteHost')", "Host forward", id="host_forward"
        ),
        Binding("S", "launch('AWS-StartSSHSession')", "SSH", id="ssh"),
        Binding("o", "toggle_offline", "Offline", id="offline"),
        Binding("v", "toggle_view", "Sessions", id="view"),
        Binding("w", "toggle_tmux", "tmux window", show=False, id="tmux_window"),
        Binding("X", "terminate", "Terminate", show=False, id="terminate"),
    ]

    FILTER_ID: ClassVar[str] = "ses-filter"
    PLACE_DROPS: ClassVar[tuple[str, ...]] = ("agent", "document", "start", "owner", "status")
    PANE: ClassVar[str] = "sessions"
    TITLE: ClassVar[str] = "Sessions"
    HELP: ClassVar[str] = (
        "Every managed instance Session Manager can reach, EC2 and hybrid (mi-): ping status, platform, "
        "agent version (▲ old when a newer agent exists), IP and computer name. Enter opens a shell; "
        "Shift+F forwards a port of the instance, Shift+H forwards a port of a host the instance reaches "
        "(a database on 5432), Shift+S runs SSH over the session. Each asks what it needs (remembered per "
        "target), checks the target is online, the session-manager-plugin is installed and the credentials "
        "work, shows the StartSession call, then hands the terminal to the plugin until the session ends. "
        "o hides offline targets; v shows active sessions and history (Shift+X terminates one); w opens "
        "sessions in new tmux windows when the console runs inside tmux."
    )

    DEFAULT_CSS = """
    SessionsScreen #ses-summary { height: 1; padding: 0 1; }
    SessionsScreen #ses-errors { height: auto; max-height: 3; padding: 0 1; color: $warning; }
    SessionsScreen #ses-filter { display: none; height: 3; margin: 0 1; }
    SessionsScreen #ses-filter.-shown { display: block; }
    SessionsScreen #ses-table { height: 1fr; }
    SessionsScreen #ses-detail { height: 3; padding: 0 1; border-top: solid $primary 40%; }
    """

    def __init__(self, ctx: PaneContext, feed: Feed) -> None:
        super().__init__(ctx, feed)
        self.needle = ""
        self.sort = 0
        self.hide_offline = False
        self.show_sessions = False
        self.tmux_windows = ctx.settings.session_tmux_windows and bool(os.environ.get("TMUX"))
        self.presets = Presets()
        self._columns = target_columns(120)

    def compose(self) -> ComposeResult:
        yield from self.compose_header()
        with Vertical(classes="pane-body"):
            yield TextLine("waiting for the first poll…", id="ses-summary")
            yield Static("", id="ses-errors")
            yield Input(placeholder="filter: name, id, IP, platform or computer name", id="ses-filter")
            yield VirtualTable(self._columns, empty_text="no managed instances yet", id="ses-table")
            yield TextLine("", id="ses-detail")
        yield PaneFooter()

    def columns_for(self, width: int) -> tuple[Column, ...]:
        return session_columns(width) if self.show_sessions else target_columns(width)

    def sort_choices(self) -> tuple[tuple[str, str], ...]:
        return (("status", "online first"),)

    def show(self, snapshot: SessionsSnapshot) -> None:
        self._fill()
        self.query_one("#ses-errors", Static).update(api_errors_text(snapshot.errors))

    def show_problem(self, problem: AwsProblem) -> None:
        if self.snapshot is None:
            self.query_one("#ses-summary", TextLine).update(Text(f"⚠ {problem.message}"))
            self.query_one("#ses-errors", Static).update(Text(f"→ {problem.hint}" if problem.hint else ""))
            self.query_one(VirtualTable).empty_text = f"no data: {problem.message}"

    # -- the lists ----------------------------------------------------------------------------

    def _targets(self) -> list[ManagedTarget]:
        if self.snapshot is None:
            return []
        needle = self.needle.lower()
        out = []
        for target in self.snapshot.instances:
            if self.hide_offline and not target.online:
                continue
            hay = " ".join(
                (
                    target.name,
                    target.instance_id,
                    target.ip_address or "",
                    target.platform_name or "",
                    target.computer_name or "",
                    "hybrid" if target.hybrid else "ec2",
                )
            ).lower()
            if needle and needle not in hay and not self.account_matches(target.account_id):
                continue
            out.append(target)
        return out

    def _sessions(self) -> list[SessionView]:
        if self.snapshot is None:
            return []
        needle = self.needle.lower()
        rows = [*self.snapshot.active, *self.snapshot.history]
        return [
            s
            for s in rows
            if not needle
            or needle in f"{s.session_id} {s.target} {s.owner}".lower()
            or self.account_matches(s.account_id)
        ]

    def _names(self) -> dict[str, str]:
        return {t.instance_id: t.name for t in self.snapshot.instances} if self.snapshot else {}

    def _fill(self) -> None:
        snapshot = self.snapshot
        if snapshot is None:
            return
        now = self.ctx.clock()
        self.sync_account_column()
        table = self.query_one(VirtualTable)
        if self.show_sessions:
            names = self._names()
            sessions = self._sessions()
            table.empty_text = "no sessions, active or in the last 30 days"
            rows = [session_row(s, self._columns, names, now) for s in sessions]
            table.set_rows(self.with_places(rows, sessions))
            line = f"{len(snapshot.active)} active · {len(snapshot.history)} in history · v back to targets"
        else:
            targets = self._targets()
            table.empty_text = (
                f"no target matches {self.needle!r}"
                if self.needle
                else "no managed instances in these regions"
            )
            rows = [target_row(t, self._columns, now) for t in targets]
            table.set_rows(self.with_places(rows, targets))
            online = sum(1 for t in snapshot.instances if t.online)
            hybrid = sum(1 for t in snapshot.instances if t.hybrid)
            line = (
                f"{len(snapshot.instances)} managed ({hybrid} hybrid) · {online} online · "
                f"{len(snapshot.active)} active session(s)"
            )
            if self.hide_offline:
                line += " · offline hidden (o shows them)"
            if self.tmux_windows:
                line += " · sessions open in new tmux windows (w)"
        if self.needle:
            line += f" · filter {self.needle!r}"
        self.query_one("#ses-summary", TextLine).update(Text(line))
        self._show_detail()

    def current_target(self) -> ManagedTarget | None:
        if self.snapshot is None or self.show_sessions:
            return None
        key = self.query_one(VirtualTable).cursor_key
        return next((t for t in self.snapshot.instances if t.instance_id == key), None)

    def current_session(self) -> SessionView | None:
        if self.snapshot is None or not self.show_sessions:
            return None
        key = self.query_one(VirtualTable).cursor_key
        return next((s for s in [*self.snapshot.active, *self.snapshot.history] if s.session_id == key), None)

    def _show_detail(self) -> None:
        text = Text()
        target = self.current_target()
        session = self.current_session()
        if target is not None:
            text.append(f"{target.name or target.instance_id}", "bold")
            # Among several accounts, the account takes the id's place (the ID column shows it).
            where = self._account_name(target.account_id) if several_accounts(self) else target.instance_id
            text.append(f"  {where} · {target.region} · role {target.iam_role or '?'}")
            if target.online:
                text.append(
                    "\nEnter shell · Shift+F forward a port · Shift+H forward to a host · Shift+S SSH"
                )
            else:
                text.append(
                    f"\n⚠ {target.ping_status}: Session Manager cannot reach it until its agent is online"
                )
        elif session is not None:
            text.append(session.session_id, "bold")
            text.append(f"  {session.status} · {session.document_name or 'shell'} · {session.owner}")
            if session.reason:
                text.append(f"\nreason: {session.reason}")
            if session.active:
                text.append("\nShift+X terminates it (asks first)")
        self.query_one("#ses-detail", TextLine).update(text)

    @on(VirtualTable.Highlighted, "#ses-table")
    def _highlighted(self, event: VirtualTable.Highlighted) -> None:
        self._show_detail()

    @on(VirtualTable.Selected, "#ses-table")
    def _selected(self, event: VirtualTable.Selected) -> None:
        if not self.show_sessions:
            self.action_launch(SHELL)

    # -- keys ---------------------------------------------------------------------------------

    def _switch(self) -> None:
        self._columns = self.columns_for(self.size.width or 120)
        self.query_one(VirtualTable).set_columns(self._columns)
        self._fill()

    def action_toggle_view(self) -> None:
        self.show_sessions = not self.show_sessions
        self._switch()

    def action_toggle_offline(self) -> None:
        self.hide_offline = not self.hide_offline
        self._fill()

    def action_toggle_tmux(self) -> None:
        if not os.environ.get("TMUX"):
            self.notify("Not inside tmux: sessions take over this terminal", severity="warning", timeout=4)
            return
        self.tmux_windows = not self.tmux_windows
        self.notify(
            "Sessions open in new tmux windows" if self.tmux_windows else "Sessions take over this window"
        )
        self._fill()

    def action_launch(self, document: str) -> None:
        if is_replay(self.app):
            self.notify(offline_refusal(self.app, "opens no session"), severity="warning")
            return
        target = self.current_target()
        if target is None:
            self.notify("Pick a target first (v goes back to the targets)", severity="warning", timeout=3)
            return
        if not FIELDS[document]:
            self._ask_reason_less(target, document)
            return
        preset = self.presets.get(target.instance_id, document)

        def chosen(values: dict[str, str] | None) -> None:
            if values is not None:
                self.preflight_worker(target, document, values)

        form = SessionForm(document, target.name or target.instance_id, preset, where=self._where(target))
        self.app.push_screen(form, chosen)

    def _place(self, region: str, account_id: str) -> Place | None:
        """Where a session to a target (or an action on a session) of ``account_id`` runs: that
        account's place in ``region`` (None: not reached there now)."""
        return acting_place(reached_places(self, self.ctx), region, account_id)

    def _account_name(self, account_id: str) -> str:
        return account_names(self).get(account_id, "") or account_id

    def _where(self, target: ManagedTarget) -> str:
        """The form's line saying in which account, region and as whom the session opens."""
        if not several_accounts(self):
            return ""
        place = self._place(target.region, target.account_id)
        if place is None:
            return f"in {self._account_name(target.account_id)} {target.region}: not reached now"
        if place.home:
            return f"in {account_words(place)} {target.region}, with the console's credentials"
        return f"in {account_words(place)} {target.region}, {via_words(place)}"

    def _ask_reason_less(self, target: ManagedTarget, document: str) -> None:
        self.preflight_worker(target, document, {"reason": ""})

    def _request(
        self, target: ManagedTarget, document: str, values: dict[str, str], place: Place | None
    ) -> launch.SessionRequest:
        parameters = {f.name: [values[f.name]] for f in FIELDS[document]}
        return launch.SessionRequest(
            target=target.instance_id,
            region=target.region,
            document=document or None,
            parameters=parameters,
            reason=values.get("reason", ""),
            place=place,
        )

    def _unreached(self, account_id: str, region: str) -> str:
        return unreached_refusal(account_id, region, account_names(self).get(account_id, ""))

    def _record(self, level: str, text: str) -> None:
        self.ctx.record(ActivityEvent(self.ctx.clock(), self.TITLE, level, text))

    @work(group="sessions", exclusive=True, exit_on_error=False)
    async def preflight_worker(self, target: ManagedTarget, document: str, values: dict[str, str]) -> None:
        place = self._place(target.region, target.account_id)
        if place is None:
            refusal = self._unreached(target.account_id, target.region)
            self.notify(
                f"✖ {TITLES[document]} on {target.instance_id} not started: {refusal}",
                severity="error",
                markup=False,
            )
            self._record("warning", f"{TITLES[document]} on {target.instance_id} not started: {refusal}")
            return
        request = self._request(target, document, values, place)
        plan = launch.start_plan(request)
        checked = await launch.preflight(self.ctx.factory, target, self.ctx.settings.session_plugin, place)
        if not checked.ok:
            self.notify("✖ " + "\n".join(checked.problems), severity="error", timeout=15)
            self._record(
                "warning", f"{TITLES[document]} on {target.instance_id} not started: {checked.problems[0]}"
            )
            return
        if FIELDS[document]:
            self.presets.remember(
                target.instance_id, document, {f.name: values[f.name] for f in FIELDS[document]}
            )

        def chosen(confirmed: bool | None) -> None:
            if confirmed and checked.plugin is not None:
                self.session_worker(request, checked.plugin)

        self.app.push_screen(ConfirmScreen(plan, read_only=self.ctx.settings.read_only), chosen)

    @work(group="sessions", exclusive=True, exit_on_error=False)
    async def session_worker(self, request: launch.SessionRequest, plugin: launch.Plugin) -> None:
        runner = self.ctx.actions
        if runner is None:
            self.notify("Actions are not available in this console", severity="error")
            return
        launcher = launch.SessionLauncher(runner, self.ctx.factory, clock=self.ctx.clock)
        try:
            opened = await launcher.open(request)
        except ReadOnlyRefusal:
            self.notify("Read-only mode: refused, no session was started", severity="warning")
            return
        except PlanRefusal as refusal:
            self.notify(f"Refused: {refusal}", severity="warning")
            return
        except Exception as exc:  # StartSession failures are shown, never raised
            problem = classify(exc, profile=self.ctx.settings.target.profile)
            self.notify(f"✖ StartSession failed: {problem.one_line()}", severity="error", timeout=10)
            return
        profile = self.ctx.settings.target.profile
        if self.tmux_windows:
            exit_ = launcher.run_plugin(opened, plugin, profile=profile, tmux_window=True)
        else:
            try:
                with self.app.suspend():
                    exit_ = launcher.run_plugin(opened, plugin, profile=profile)
            except SuspendNotSupported:
                exit_ = launcher.run_plugin(opened, plugin, profile=profile)
            self.app.refresh(repaint=True, layout=True)
        if not exit_.started:
            await launcher.terminate(opened.session_id, request.region, place=request.place)
            self.notify(f"✖ The plugin did not start: {exit_.error}; session terminated", severity="error")
        await launcher.record_end(opened, exit_)
        status = "started in a new tmux window" if self.tmux_windows and exit_.started else "ended"
        if exit_.returncode not in (None, 0):
            status += f" (exit {exit_.returncode})"
        self._record("info", f"session {opened.session_id} on {request.target} {status}")
        if exit_.started:
            self.notify(f"Session {opened.session_id} {status}", timeout=5)
        self.feed.refresh()

    def action_terminate(self) -> None:
        session = self.current_session()
        if session is None:
            where = "pick an active one" if self.show_sessions else "v shows them; pick an active one"
            self.notify(f"No session selected: {where}", severity="warning", timeout=3)
            return
        if not session.active:
            status = clean(session.status) or "not active"
            self.notify(
                f"Session {clean(session.session_id)} already ended ({status}): nothing to terminate",
                severity="warning",
                timeout=4,
                markup=False,
            )
            return
        place = self._place(session.region, session.account_id)
        if place is None:
            refusal = self._unreached(session.account_id, session.region)
            self.notify(
                f"Session {clean(session.session_id)} not terminated: {clean(refusal)}",
                severity="warning",
                markup=False,
            )
            return
        plan = launch.terminate_plan(session.session_id, session.region, place)

        def chosen(confirmed: bool | None) -> None:
            if confirmed:
                self.terminate_worker(plan)

        self.app.push_screen(ConfirmScreen(plan, read_only=self.ctx.settings.read_only), chosen)

    @work(group="sessions", exit_on_error=False)
    async def terminate_worker(self, plan: Plan) -> None:
        runner = self.ctx.actions
        if runner is None:
            return
        try:
            result = await runner.execute(plan)
        except (ReadOnlyRefusal, PlanRefusal) as refusal:
            self.notify(f"Refused: {refusal}", severity="warning")
            return
        self._record("info" if result.ok else "error", result.message)
        self.notify(
            ("✓ " if result.ok else "✖ ") + result.message, severity="information" if result.ok else "error"
        )
        self.feed.refresh()
