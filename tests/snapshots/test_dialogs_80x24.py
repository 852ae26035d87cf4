"""Every dialog at 80x24, the on-call engineer's SSH terminal: how each looks (SVG snapshots at the
frozen moment), and that its prompt line is on the rendered screen with the longest plan the demo
can produce, at the top of the body and at its end, with the line that counts what is below.

Findings, experiments and session targets come from the other snapshot modules' fixed data where
the dialog shows times or ids the simulator stamps at seeding; the longest plans come from the
demo's own data (the session simulator, seed 7)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest
from textual.app import App
from textual.pilot import Pilot

from tests.frozen import FROZEN
from tests.helpers import frozen_clock, open_pane, settle, sim_app, sim_settings, type_text
from tests.pilot.test_kinesis import EVENTS, _select, open_kinesis
from tests.snapshots import test_findings_snapshots as fixed_findings_data
from tests.snapshots import test_fis_snapshots as fixed_fis_data
from tui.app import make_app
from tui.aws.actions import fis as fis_actions
from tui.aws.actions import playbooks
from tui.aws.findings import FindingsPoller, FindingsSnapshot
from tui.aws.findings_model import Finding, parse_finding
from tui.aws.fis import FisPoller, FisSnapshot
from tui.screens.confirm import ConfirmScreen
from tui.screens.dialog import Dialog
from tui.screens.facilitator import FacilitatorScreen, InjectScreen
from tui.screens.findings import FindingsScreen
from tui.screens.findings_modals import FacetScreen, NoteScreen
from tui.screens.fis import FisDetailScreen, FisScreen
from tui.screens.help import HelpScreen
from tui.screens.journal import EventScreen, JournalNoteScreen, JournalScreen
from tui.screens.jump import JumpScreen
from tui.screens.kinesis import KinesisScreen
from tui.screens.presets import Presets
from tui.screens.session_form import SessionForm
from tui.screens.sessions import SessionsScreen
from widgets.vtable import VirtualTable

SIZE = (80, 24)
KINESIS_KEYS = {"double": "U", "halve": "D", "retention": "E", "mode": "M"}


# ---- the screen as a person reads it ------------------------------------------------------------


def screen_rows(app: App[Any]) -> list[str]:
    """The rows on screen, top to bottom, as plain text (the dialog on top of its pane)."""
    return [strip.text for strip in app.screen._compositor.render_strips()]


def keys_on_screen(app: App[Any]) -> list[str]:
    """The rows on screen, after checking the dialog's prompt line is one of them, whole, with the
    line that counts the lines below when the body does not fit (and its count right)."""
    dialog = app.screen
    assert isinstance(dialog, Dialog), dialog
    rows = screen_rows(app)
    shown = "\n".join(rows)
    assert len(rows) == SIZE[1], shown
    prompt = dialog.prompt()
    assert any(prompt in row for row in rows), f"the prompt {prompt!r} is not on screen:\n{shown}"
    below = dialog.lines_below()
    if below:
        more = f"▼ {below:,} more line"
        assert any(more in row for row in rows), f"{more!r} is not on screen:\n{shown}"
    return rows


async def keys_stay_on_screen_to_the_end(pilot: Pilot[Any], *, to_body: bool = False) -> list[str]:
    """Scroll the dialog's body to its end (Tab to it first from a text field) and back: the
    prompt stays on screen throughout, and the end says so. A body that fits has no "more" line."""
    app = pilot.app
    dialog = app.screen
    assert isinstance(dialog, Dialog)
    top = keys_on_screen(app)
    if not dialog.lines_below():
        assert not any("▼ " in row or "▲ the end" in row for row in top), "\n".join(top)
        return top
    if to_body:
        await pilot.press("tab")
    await pilot.press("pagedown")
    await pilot.pause()
    keys_on_screen(app)
    await pilot.press("end")
    await pilot.pause()
    end = keys_on_screen(app)
    assert dialog.lines_below() == 0
    assert any("▲ the end" in row for row in end), "\n".join(end)
    await pilot.press("home")
    await pilot.pause()
    # back at the top: the same rows, above a prompt that may now name other keys (the focus moved)
    assert keys_on_screen(app)[:-2] == top[:-2]
    return end


# ---- fixed data for the dialogs that show what the simulator stamps at seeding -----------------


@pytest.fixture
def fixed_findings(monkeypatch: pytest.MonkeyPatch) -> None:
    raw = [fixed_findings_data.HOSTILE, *fixed_findings_data.RAW]
    findings = tuple(f for f in (parse_finding(r) for r in raw) if f is not None)

    async def poll(self: FindingsPoller, progress: Any = None) -> FindingsSnapshot:
        return FindingsSnapshot(fetched_at=FROZEN, region="us-east-1", findings=findings, version=1)

    monkeypatch.setattr(FindingsPoller, "poll", poll)


@pytest.fixture
def fixed_experiments(monkeypatch: pytest.MonkeyPatch) -> None:
    async def poll(self: FisPoller, answered: Any = None) -> FisSnapshot:
        return FisSnapshot(
            fetched_at=FROZEN, templates=fixed_fis_data.TEMPLATES, experiments=fixed_fis_data.EXPERIMENTS
        )

    monkeypatch.setattr(FisPoller, "poll", poll)
    monkeypatch.setattr(fis_actions, "_new_token", lambda: "6f1c2d3e-0000-4000-8000-00000000c0de")


@pytest.fixture
def no_presets(monkeypatch: pytest.MonkeyPatch) -> None:
    """A form opens empty, whatever an earlier test remembered for the same target."""
    monkeypatch.setattr(Presets, "get", lambda self, target, document: {})


# ---- getting to each dialog -----------------------------------------------------------------------


async def _findings(pilot: Pilot[Any]) -> FindingsScreen:
    screen: FindingsScreen = await open_pane(pilot, "4", FindingsScreen, within=30)
    await settle(pilot, lambda: pilot.app.account, what="the header to know the account")
    return screen


async def _dialog(pilot: Pilot[Any], kind: type[Dialog[Any]], *keys: str, quiet: bool = True) -> Any:
    """Press ``keys`` until the ``kind`` dialog is on screen; ``quiet``: without the notifications
    that led to it (a snapshot must not depend on whether one has expired yet)."""
    await pilot.press(*keys)
    await settle(pilot, lambda: isinstance(pilot.app.screen, kind), what=f"the {kind.__name__} dialog")
    if quiet:
        pilot.app.clear_notifications()
    await pilot.pause()
    return pilot.app.screen


async def reshard(pilot: Pilot[Any]) -> None:
    screen = await open_kinesis(pilot)
    await settle(pilot, lambda: pilot.app.account, what="the header to know the account")
    _select(screen, EVENTS)
    await _dialog(pilot, ConfirmScreen, "U")
    keys_on_screen(pilot.app)


async def refused_halve(pilot: Pilot[Any]) -> None:
    screen = await open_kinesis(pilot)
    await settle(pilot, lambda: pilot.app.account, what="the header to know the account")
    view = _select(screen, EVENTS)
    assert view.open_shards == 1, "payments-events starts with one shard"
    confirm = await _dialog(pilot, ConfirmScreen, "D")
    assert confirm.plan.title == f"Halve the shards of {EVENTS}: refused"
    rows = keys_on_screen(pilot.app)
    assert any("Refused before calling AWS" in row for row in rows), "the refusal stays on top"


async def bulk_suppression(pilot: Pilot[Any]) -> None:
    await _findings(pilot)
    await _dialog(pilot, NoteScreen, "a", "S")
    await type_text(pilot, "accepted: sandbox")
    keys_on_screen(pilot.app)


async def facets(pilot: Pilot[Any]) -> None:
    await _findings(pilot)
    await _dialog(pilot, FacetScreen, "f")
    keys_on_screen(pilot.app)


async def one_control_fix(pilot: Pilot[Any]) -> None:
    screen = await _findings(pilot)
    await pilot.press("slash", *"EC2.19", "enter", "a")
    await pilot.pause()
    assert len(screen.selected) == 3, "the demo has three EC2.19 findings"
    await _dialog(pilot, ConfirmScreen, "X")
    keys_on_screen(pilot.app)


async def remote_host_form(pilot: Pilot[Any]) -> None:
    screen: SessionsScreen = await open_pane(pilot, "5", SessionsScreen)
    await settle(pilot, lambda: pilot.app.account, what="the header to know the account")
    assert screen.query_one(VirtualTable).move_cursor_to_key(screen._targets()[0].instance_id)
    await _dialog(pilot, SessionForm, "H")
    await pilot.press("enter")  # nothing filled in: the form says what is missing, above its keys
    await pilot.pause()
    rows = keys_on_screen(pilot.app)
    assert any("✖ Remote host (reached from the instance) is required" in row for row in rows)


async def fis_start(pilot: Pilot[Any]) -> None:
    await open_pane(pilot, "6", FisScreen)
    await settle(pilot, lambda: pilot.app.account, what="the header to know the account")
    await _dialog(pilot, ConfirmScreen, "S")
    keys_on_screen(pilot.app)


async def fis_details(pilot: Pilot[Any]) -> None:
    await open_pane(pilot, "6", FisScreen)
    await settle(pilot, lambda: pilot.app.account, what="the header to know the account")
    await _dialog(pilot, FisDetailScreen, "tab", "enter")
    keys_on_screen(pilot.app)


async def journal_note(pilot: Pilot[Any]) -> None:
    await settle(pilot, lambda: pilot.app.account, what="the header to know the account")
    await _dialog(pilot, JournalNoteScreen, "n")
    await type_text(pilot, "rolled back payments-api")
    keys_on_screen(pilot.app)


async def journal_event(pilot: Pilot[Any]) -> None:
    await journal_note(pilot)
    await pilot.press("enter")
    await pilot.press("7")
    await settle(pilot, lambda: isinstance(pilot.app.screen, JournalScreen), what="the Journal pane")
    screen = pilot.app.screen
    table = screen.query_one(VirtualTable)
    await settle(pilot, lambda: any("rolled back" in " ".join(map(str, r.cells)) for r in table.rows))
    note = next(r.key for r in table.rows if "rolled back" in " ".join(map(str, r.cells)))
    assert table.move_cursor_to_key(note)
    event = await _dialog(pilot, EventScreen, "enter")
    rows = keys_on_screen(pilot.app)
    # label and value never touch: two spaces at least between the label column and the value
    assert any("Text" in row and "  rolled back payments-api" in row for row in rows), "\n".join(rows)
    assert event.event.text == "rolled back payments-api"


async def inject(pilot: Pilot[Any]) -> None:
    await pilot.press("8")
    await settle(
        pilot,
        lambda: isinstance(pilot.app.screen, FacilitatorScreen) and pilot.app.screen.status is not None,
        what="the Facilitator pane",
    )
    faults = pilot.app.screen.query_one("#fac-faults", VirtualTable)
    # the fault with the most targets to choose from
    status: Any = pilot.app.screen.status
    catalogue: list[Mapping[str, Any]] = [f for f in status.get("catalogue") or [] if isinstance(f, Mapping)]
    widest = max(catalogue, key=lambda f: len(f.get("targets") or ()))
    assert faults.move_cursor_to_key(f"{widest['id']}|")
    await _dialog(pilot, InjectScreen, "i")
    keys_on_screen(pilot.app)


async def findings_help(pilot: Pilot[Any]) -> None:
    await _findings(pilot)
    await _dialog(pilot, HelpScreen, "question_mark")
    keys_on_screen(pilot.app)


async def jump(pilot: Pilot[Any]) -> None:
    await settle(pilot, lambda: pilot.app.account, what="the header to know the account")
    await pilot.press("colon")
    await settle(pilot, lambda: isinstance(pilot.app.screen, JumpScreen), what="the jump dialog")
    await pilot.pause()
    rows = screen_rows(pilot.app)
    assert any("Enter go · ↑↓ choose · Esc cancel" in row for row in rows), "\n".join(rows)


# ---- how each dialog looks at 80x24 -------------------------------------------------------------------


@pytest.mark.parametrize(
    "before",
    [reshard, refused_halve, one_control_fix, journal_note, journal_event, inject, jump],
    ids=lambda f: f.__name__,
)
def test_dialog_at_80x24(snap_compare: Any, sim_url: str, before: Any) -> None:
    assert snap_compare(sim_app(sim_url), terminal_size=SIZE, run_before=before)


@pytest.mark.usefixtures("fixed_findings")
@pytest.mark.parametrize("before", [bulk_suppression, facets, findings_help], ids=lambda f: f.__name__)
def test_findings_dialog_at_80x24(snap_compare: Any, sim_url: str, before: Any) -> None:
    assert snap_compare(sim_app(sim_url), terminal_size=SIZE, run_before=before)


@pytest.mark.usefixtures("fixed_experiments")
@pytest.mark.parametrize("before", [fis_start, fis_details], ids=lambda f: f.__name__)
def test_experiments_dialog_at_80x24(snap_compare: Any, sim_url: str, before: Any) -> None:
    assert snap_compare(sim_app(sim_url), terminal_size=SIZE, run_before=before)


@pytest.mark.usefixtures("no_presets")
def test_session_form_at_80x24(snap_compare: Any, sim_url: str) -> None:
    assert snap_compare(sim_app(sim_url), terminal_size=SIZE, run_before=remote_host_form)


# ---- the longest plans the demo can produce keep their keys on screen ---------------------------


def _eligible(finding: Finding) -> bool:
    return (
        finding.record_state == "ACTIVE"
        and finding.compliance_status == "FAILED"
        and finding.workflow_status != "SUPPRESSED"
    )


async def test_bulk_suppression_of_every_open_finding_keeps_its_keys_on_screen(sim_url: str) -> None:
    app = make_app(sim_settings(sim_url), clock=frozen_clock)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _findings(pilot)
        await pilot.press("a")
        note = await _dialog(pilot, NoteScreen, "S")
        assert len(note.targets) == len(screen._shown) > 50
        await type_text(pilot, "accepted: game day sandbox")
        rows = keys_on_screen(app)
        assert note.lines_below() > 0, "every open finding makes a plan taller than the screen"
        assert any("CRITICAL and HIGH at the top" in row for row in rows), "\n".join(rows)
        end = await keys_stay_on_screen_to_the_end(pilot, to_body=True)
        assert any("y run it · n or Esc cancel" in row for row in end), "outside the note, y runs it"
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, FindingsScreen)


async def test_the_largest_one_key_fix_keeps_its_keys_on_screen(sim_url: str) -> None:
    app = make_app(sim_settings(sim_url), clock=frozen_clock)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _findings(pilot)
        by_book: dict[str, list[Finding]] = {}
        for finding in screen._shown:
            book = playbooks.playbook_for(finding)
            if book is not None and _eligible(finding):
                by_book.setdefault(book.id, []).append(finding)
        largest = max(by_book.values(), key=len)
        screen.selected = {f.key for f in largest}
        # With the notifications that led to it: they stay clear of the prompt line.
        confirm = await _dialog(pilot, ConfirmScreen, "X", quiet=False)
        assert confirm.runnable, confirm.plan.refusal
        assert len(confirm.findings) == len(largest)
        assert confirm.lines_below() > 0, "the largest fix makes a plan taller than the screen"
        await keys_stay_on_screen_to_the_end(pilot)
        await pilot.press("n")
        await pilot.pause()
        assert isinstance(app.screen, FindingsScreen)


async def test_the_longest_kinesis_plan_keeps_its_keys_on_screen(sim_url: str) -> None:
    app = make_app(sim_settings(sim_url), clock=frozen_clock)
    async with app.run_test(size=SIZE) as pilot:
        screen: KinesisScreen = await open_kinesis(pilot)
        assert screen.snapshot is not None

        def length(kind: str, view: Any) -> int:
            plan = screen.plan_for(kind, view)
            return len(" ".join((plan.title, plan.why, plan.refusal, *plan.notes)))

        _, name, kind = max(
            (length(kind, view), view.stream_name, kind)
            for view in screen.snapshot.streams
            for kind in KINESIS_KEYS
        )
        _select(screen, name)
        await _dialog(pilot, ConfirmScreen, KINESIS_KEYS[kind])
        await keys_stay_on_screen_to_the_end(pilot)


async def test_the_longest_experiment_start_keeps_its_keys_on_screen(sim_url: str) -> None:
    app = make_app(sim_settings(sim_url), clock=frozen_clock)
    async with app.run_test(size=SIZE) as pilot:
        screen: FisScreen = await open_pane(pilot, "6", FisScreen)
        assert screen.snapshot is not None and screen.snapshot.templates
        longest = max(screen.snapshot.templates, key=lambda t: len(" ".join(fis_actions.start_plan(t).notes)))
        table = screen.query_one("#fis-templates", VirtualTable)
        assert table.move_cursor_to_key(f"{longest.region}/{longest.template_id}")
        await _dialog(pilot, ConfirmScreen, "S")
        keys_on_screen(app)
        await pilot.press("end")
        await pilot.pause()
        keys_on_screen(app)


async def test_help_of_the_pane_with_the_most_keys_keeps_its_keys_on_screen(sim_url: str) -> None:
    app = make_app(sim_settings(sim_url), clock=frozen_clock)
    async with app.run_test(size=SIZE) as pilot:
        await _findings(pilot)
        await _dialog(pilot, HelpScreen, "question_mark")
        end = await keys_stay_on_screen_to_the_end(pilot)
        said = "\n".join(end)
        assert "In a dialog" in said and "confirm: run the calls shown (in a text field, where" in said, said
