"""The facilitator's pane, shown when the console runs against warroom's simulator: the fault
catalogue with what is active, the scenario's clock and schedule, and the simulator's own log.
``i`` injects the selected fault (on a target you pick), ``c`` clears it."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar

from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from tui.common import durations
from tui.common.catalogue import BY_ID
from tui.common.timefmt import clock_text
from tui.feeds import Feed, Update
from tui.screens.base import PaneFooter
from tui.screens.dialog import Dialog, DialogOptions
from widgets.header import HeaderBar
from widgets.safe import clean
from widgets.textline import TextLine
from widgets.vtable import Column, TableRow, VirtualTable

FAULT_COLUMNS = (
    Column("state", "State", 9),
    Column("fault", "Fault", 22),
    Column("target", "Target", 24),
    Column("since", "Since", 9, align="right"),
    Column("origin", "By", 11),
    Column("detect", "Expected detection", 30, flex=True),
)
NARROW_FAULT_COLUMNS = (
    Column("state", "State", 9),
    Column("fault", "Fault", 22),
    Column("target", "Target", 22, flex=True),
    Column("since", "Since", 8, align="right"),
    Column("origin", "By", 11),
)
"""Below ``WIDE`` cells: the expected detection is in the detail strip only."""
WIDE = 120


def fault_columns_for(width: int) -> tuple[Column, ...]:
    return FAULT_COLUMNS if width >= WIDE else NARROW_FAULT_COLUMNS


LOG_COLUMNS = (
    Column("at", "UTC", 8),
    Column("t", "T+", 8, align="right"),
    Column("text", "Simulator log and schedule", 40, flex=True),
)


def _state_label(state: str) -> str:
    return {"active": "● active", "mitigated": "✓ mitig.", "ended": "■ ended"}.get(state, "· idle")


def parse_duration(text: str) -> float | None:
    """ "90s", "10m", "1h30m" or a number of seconds -> seconds, as a scenario file takes them;
    "" -> None (until cleared); ValueError (DurationError) otherwise."""
    if not text.strip():
        return None
    return durations.parse_duration(text, what="the duration")


MAX_FAULT_ROWS = 13
"""Fault rows shown before the list scrolls."""


def fault_entries(status: Mapping[str, Any]) -> list[tuple[str, dict[str, str], str]]:
    """Each row's key, its cells by column key, and its level."""
    active: dict[str, list[Mapping[str, Any]]] = {}
    for state in status.get("faults") or []:
        if isinstance(state, Mapping) and state.get("state") == "active":
            active.setdefault(str(state.get("fault")), []).append(state)
    scenario = status.get("scenario") or {}
    rows: list[tuple[str, dict[str, str], str]] = []
    for entry in status.get("catalogue") or []:
        if not isinstance(entry, Mapping):
            continue
        fault_id = str(entry.get("id", ""))
        spec = BY_ID.get(fault_id)
        detect = f"{spec.detection.pane}: {spec.detection.threshold}" if spec else ""
        running = active.get(fault_id, [])
        for state in running:
            since = state.get("scenario_at_s")
            elapsed = ""
            if isinstance(since, int | float) and isinstance(scenario, Mapping):
                now_s = scenario.get("elapsed_s")
                if isinstance(now_s, int | float):
                    elapsed = clock_text(max(0.0, float(now_s) - float(since)))
            cells = {
                "state": _state_label("active"),
                "fault": fault_id,
                "target": clean(str(state.get("target_name") or state.get("target") or "")),
                "since": elapsed or clean(str(state.get("started_at", ""))[11:19]),
                "origin": clean(str(state.get("origin", ""))),
                "detect": detect,
            }
            rows.append((f"{fault_id}|{state.get('target', '')}", cells, "critical"))
        if not running:
            cells = {
                "state": _state_label(""),
                "fault": fault_id,
                "target": clean(str(entry.get("default_target", ""))),
                "since": "",
                "origin": "",
                "detect": detect,
            }
            rows.append((f"{fault_id}|", cells, ""))
    return rows


def fault_strip(cells: Mapping[str, str], *, active: bool, width: int = 0) -> Text:
    """The detail strip of the selected fault: what it is and where it runs on the first line (cut
    to ``width`` cells when given), then how the console is expected to detect it, in full (on a
    wide terminal it also has a column of its own)."""
    fault_id = cells.get("fault", "")
    spec = BY_ID.get(fault_id)
    first = Text(fault_id, "bold")
    if spec is not None:
        first.append(f": {spec.title}", "bold")
    if active:
        said = [f"{cells.get('state', '')} on {cells.get('target', '')}"]
        if cells.get("since"):
            said.append(f"for {cells['since']}")
        if cells.get("origin"):
            said.append(f"by {cells['origin']}")
        first.append(" · " + " ".join(said))
    if width > 0:
        first.truncate(width, overflow="ellipsis")
    text = first
    if spec is not None:
        text.append("\nExpected detection: ", "bold")
        text.append(f"{spec.detection.pane} · {spec.detection.threshold}")
    return text


def log_rows(status: Mapping[str, Any]) -> list[TableRow]:
    rows: list[TableRow] = []
    for i, item in enumerate(status.get("schedule") or []):
        if not isinstance(item, Mapping) or item.get("started"):
            continue
        at_s = item.get("at_s")
        when = clock_text(float(at_s)) if isinstance(at_s, int | float) else "?"
        duration = item.get("duration_s")
        lasting = (
            f" for {clock_text(float(duration))}" if isinstance(duration, int | float) else " until cleared"
        )
        text = f"⏲ scheduled: {item.get('fault')} on {item.get('target') or 'its default target'}{lasting}"
        rows.append(TableRow(key=f"s{i}", cells=("", when, clean(text)), level="muted"))
    for i, item in enumerate(status.get("log") or []):
        if not isinstance(item, Mapping):
            continue
        at = str(item.get("at", ""))
        scenario_at = item.get("scenario_at_s")
        when = clock_text(float(scenario_at)) if isinstance(scenario_at, int | float) else ""
        text = (
            item.get("text")
            or item.get("what")
            or " ".join(str(item.get(k, "")) for k in ("fault", "target", "origin") if item.get(k))
        )
        rows.append(TableRow(key=f"l{i}", cells=(at[11:19], when, clean(str(text)))))
    return rows


def scenario_text(status: Mapping[str, Any] | None, problem: str) -> Text:
    text = Text()
    if problem:
        text.append(f"⚠ {problem}", "bold")
        return text
    if status is None:
        text.append("⟳ asking the simulator…")
        return text
    scenario = status.get("scenario")
    speed = status.get("speed", 1)
    if isinstance(scenario, Mapping) and scenario:
        state = str(scenario.get("state", ""))
        mark = "▶" if state == "running" else "■"
        elapsed = scenario.get("elapsed_s")
        duration = scenario.get("duration_s")
        text.append(f"Scenario {clean(str(scenario.get('name', '')))} ", "bold")
        text.append(f"{mark} {state}")
        if isinstance(elapsed, int | float):
            text.append(f"  T+{clock_text(float(elapsed))}")
            if isinstance(duration, int | float) and duration:
                text.append(f" of {clock_text(float(duration))}")
        text.append(f"  speed {speed}")
    else:
        text.append("No scenario: faults start with i, `warroom sim inject` or FIS")
    active = sum(
        1 for f in status.get("faults") or [] if isinstance(f, Mapping) and f.get("state") == "active"
    )
    text.append(f" · {active} active")
    return text


class InjectScreen(Dialog[tuple[str, float | None] | None]):
    """Pick the target and (optionally) a duration in scenario time for one fault: y injects from the
    list, Enter in the duration field injects, Enter in the list goes to the duration."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel"),
        Binding("n", "cancel", "Cancel", show=False),
        Binding("y", "inject", "Inject", show=False),
    ]
    DEFAULT_CSS = """
    InjectScreen > #dialog { max-width: 100; border: thick $warning; }
    InjectScreen #inject-error { color: $error; }
    """

    def __init__(self, fault_id: str, targets: Sequence[Mapping[str, Any]], default: str) -> None:
        super().__init__()
        self.fault_id = fault_id
        self.targets = [t for t in targets if isinstance(t, Mapping)]
        self.default = default

    def compose_top(self) -> ComposeResult:
        spec = BY_ID.get(self.fault_id)
        yield Static(Text(f"⚡ Inject {self.fault_id}", style="bold"))
        if spec is not None:
            yield Static(Text(f"{spec.title}: {spec.effect}"))
            yield Static(Text(f"Expected detection: {spec.detection.pane} · {spec.detection.threshold}"))
            yield Static(Text(f"Ends: {spec.ends}", style="dim"))
        yield Static("Target:", classes="dialog--label")

    def compose_frame_body(self) -> ComposeResult:
        options = [
            Option(clean(f"{t.get('name') or t.get('id')}  ({t.get('id')})"), id=str(t.get("id")))
            for t in self.targets
        ]
        yield DialogOptions(*options, id="dialog-body")

    def compose_bottom(self) -> ComposeResult:
        yield Static("Duration in scenario time (empty: until cleared or mitigated):")
        yield Input(placeholder="e.g. 20m", id="inject-duration")
        yield Static("", id="inject-error")

    def prompt(self) -> str:
        if self.typing():
            return "Enter inject · Tab or Shift+Tab the target · Esc cancel"
        return "y inject · Enter the duration · n or Esc cancel"

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        ids = [str(t.get("id")) for t in self.targets]
        names = [str(t.get("name")) for t in self.targets]
        index = (
            ids.index(self.default)
            if self.default in ids
            else (names.index(self.default) if self.default in names else 0)
        )
        if ids:
            options.highlighted = index
        options.focus()

    def _finish(self) -> None:
        options = self.query_one(OptionList)
        index = options.highlighted
        if index is None or not self.targets:
            self.query_one("#inject-error", Static).update("no target to choose")
            return
        try:
            duration = parse_duration(self.query_one("#inject-duration", Input).value)
        except ValueError as exc:
            self.query_one("#inject-error", Static).update(Text(str(exc)))
            return
        self.dismiss((str(self.targets[index].get("id")), duration))

    @on(OptionList.OptionSelected)
    def _chosen(self) -> None:
        self.query_one("#inject-duration", Input).focus()

    @on(Input.Submitted)
    def _submitted(self) -> None:
        self._finish()

    def action_inject(self) -> None:
        self._finish()

    def action_cancel(self) -> None:
        self.dismiss(None)


class SimulatorFed(Message):
    """An update from the simulator's status feed."""

    def __init__(self, update: Update) -> None:
        super().__init__()
        self.update = update


class FacilitatorScreen(Screen[None]):
    """What the simulator is doing to the workload, and the keys to change it."""

    PANE: ClassVar[str] = "facilitator"
    TITLE: ClassVar[str] = "Facilitator"
    HELP: ClassVar[str] = (
        "Shown when the console runs against warroom's simulator. The fault catalogue (● active, with its "
        "target, age in scenario time and who started it: scenario, facilitator or FIS), the scenario's "
        "clock, what is scheduled next and the simulator's log. i injects the selected fault on a target "
        "you pick (optionally for a duration in scenario time); c clears it. Every console attached to "
        "the same simulator sees the change, and the journal records it through the fault's FIS experiment."
    )
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("i", "inject", "Inject", id="inject"),
        Binding("c", "clear", "Clear", id="clear"),
        Binding("r", "refresh", "Refresh", id="refresh"),
        Binding("tab", "focus_next", "Next list", show=False),
    ]
    DEFAULT_CSS = """
    FacilitatorScreen #fac-scenario { padding: 0 1; }
    FacilitatorScreen #fac-faults { height: 14; }
    FacilitatorScreen #fac-detail { height: 4; padding: 0 1; border-top: solid $primary 40%; }
    FacilitatorScreen #fac-log { height: 1fr; }
    """

    def __init__(
        self,
        client: Any,
        *,
        read_only: bool,
        audit: Any = None,
        actor: str = "",
        journal: Callable[[Mapping[str, Any]], None] | None = None,
        feed: Feed,
    ) -> None:
        super().__init__(name=self.PANE)
        self.feed = feed
        """The simulator's status (``tui.feeds.simulator_feed``), owned by this pane."""
        self._unsubscribe: Callable[[], None] | None = None
        self.client = client
        self.read_only = read_only
        self.audit = audit
        self.actor = actor
        self.journal = journal
        """Told of each injection or clearing, as an audit record (the journal lists it as an action)."""
        self.status: Mapping[str, Any] | None = None
        self.problem = ""
        self._columns: tuple[Column, ...] = FAULT_COLUMNS
        self._entries: dict[str, tuple[dict[str, str], str]] = {}

    def compose(self) -> ComposeResult:
        yield HeaderBar()
        yield TextLine(id="fac-scenario")
        yield VirtualTable(self._columns, empty_text="asking the simulator…", id="fac-faults")
        yield TextLine(id="fac-detail")
        yield VirtualTable(LOG_COLUMNS, empty_text="nothing has happened yet", id="fac-log")
        yield PaneFooter()

    def on_mount(self) -> None:
        self.query_one("#fac-faults", VirtualTable).focus()
        self._show()
        self._unsubscribe = self.feed.subscribe(self._fed)
        self.feed.start()

    async def on_unmount(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        await self.feed.stop()

    def _fed(self, update: Update) -> None:
        self.post_message(SimulatorFed(update))

    @on(SimulatorFed)
    def _on_fed(self, message: SimulatorFed) -> None:
        update = message.update
        if update.kind == "polled" and update.snapshot is not None:
            self.status = update.snapshot.status
            self.problem = ""
        elif update.kind == "failed" and update.error is not None:
            self.problem = update.error.message
        else:
            return
        self._show()

    def action_refresh(self) -> None:
        self.feed.poll_now()

    def on_resize(self, event: events.Resize) -> None:
        columns = fault_columns_for(event.size.width)
        if columns != self._columns:
            self._columns = columns
            self.query_one("#fac-faults", VirtualTable).set_columns(columns)
            self._show()
        # The strip's first line is cut to its width, known once the screen is laid out again.
        self.call_after_refresh(self._show_detail)

    def _show(self) -> None:
        self.query_one("#fac-scenario", TextLine).update(scenario_text(self.status, self.problem))
        if self.status is None:
            return
        entries = fault_entries(self.status)
        self._entries = {key: (cells, level) for key, cells, level in entries}
        faults = self.query_one("#fac-faults", VirtualTable)
        faults.set_rows(
            [
                TableRow(key=key, cells=tuple(cells[c.key] for c in self._columns), level=level)
                for key, cells, level in entries
            ]
        )
        # The catalogue's rows and their titles, no more: the log below gets the rest of the screen.
        faults.styles.height = max(3, min(len(entries) + 1, MAX_FAULT_ROWS + 1))
        self.query_one("#fac-log", VirtualTable).set_rows(log_rows(self.status))
        self._show_detail()

    def _show_detail(self) -> None:
        key = self.query_one("#fac-faults", VirtualTable).cursor_key
        entry = self._entries.get(key) if key is not None else None
        detail = self.query_one("#fac-detail", TextLine)
        strip = (
            fault_strip(entry[0], active=entry[1] == "critical", width=detail.size.width)
            if entry is not None
            else Text()
        )
        detail.update(strip)

    @on(VirtualTable.Highlighted, "#fac-faults")
    def _highlighted(self) -> None:
        self._show_detail()

    def _selected(self) -> tuple[str, str] | None:
        key = self.query_one("#fac-faults", VirtualTable).cursor_key
        if not key:
            return None
        fault_id, _, target = key.partition("|")
        return fault_id, target

    def _refuse_read_only(self) -> bool:
        if self.read_only:
            self.notify(
                "Read-only console: faults are not started or cleared from here "
                "(use a facilitator console or `warroom sim inject`)",
                severity="warning",
                timeout=5,
            )
        return self.read_only

    def action_inject(self) -> None:
        chosen = self._selected()
        if chosen is None or self.status is None or self._refuse_read_only():
            return
        fault_id = chosen[0]
        entry = next(
            (
                e
                for e in self.status.get("catalogue") or []
                if isinstance(e, Mapping) and e.get("id") == fault_id
            ),
            None,
        )
        if entry is None:
            return
        targets = entry.get("targets") or []

        def picked(result: tuple[str, float | None] | None) -> None:
            if result is not None:
                self._call("inject", fault_id, result[0], result[1])

        self.app.push_screen(InjectScreen(fault_id, targets, str(entry.get("default_target", ""))), picked)

    def action_clear(self) -> None:
        chosen = self._selected()
        if chosen is None or self._refuse_read_only():
            return
        fault_id, target = chosen
        if not target:
            self.notify(f"{fault_id} is not active", timeout=2)
            return
        self._call("clear", fault_id, target, None)

    @work(group="facilitator-change", exit_on_error=False)
    async def _call(self, verb: str, fault_id: str, target: str, duration: float | None) -> None:
        try:
            if verb == "inject":
                result: Any = await asyncio.to_thread(self.client.inject, fault_id, target, duration)
                said = f"⚡ started {fault_id} on {target}"
            else:
                result = await asyncio.to_thread(self.client.clear, fault_id, target)
                said = f"■ cleared {fault_id} on {target}" if result else f"{fault_id} was not active"
        except Exception as exc:  # the simulator's refusal is shown, never raised
            self.notify(f"{verb} {fault_id} failed: {exc}", severity="error", timeout=6)
            outcome = "error"
        else:
            self.notify(said, timeout=4)
            outcome = "ok"
        params: dict[str, Any] = {"Fault": fault_id, "Target": target}
        if duration is not None:
            params["DurationSeconds"] = duration
        record = {
            "at": self.app.clock().isoformat() if hasattr(self.app, "clock") else "",
            "actor": self.actor,
            "service": "sim",
            "operation": "InjectFault" if verb == "inject" else "ClearFault",
            "params": params,
            "outcome": outcome,
            "plan_title": f"{'Inject' if verb == 'inject' else 'Clear'} {fault_id} on {target}",
            "plan_key": f"facilitator:{verb}",
        }
        if self.journal is not None:
            self.journal(record)
        if self.audit is not None:
            with contextlib.suppress(OSError):
                await asyncio.to_thread(self.audit.append, record)
        self.action_refresh()
