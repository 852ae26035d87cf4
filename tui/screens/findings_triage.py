"""The triage keys, shared by the Findings pane and a finding's view: workflow changes with a note
and the one-key fix. Both screens import this module; neither imports the other's for it."""

from __future__ import annotations

from typing import Any, Protocol

from textual.binding import Binding, BindingType

from tui.aws.actions import Plan, playbooks
from tui.aws.actions import findings as workflow
from tui.aws.findings import FindingsPoller
from tui.aws.findings_model import Finding
from tui.context import PaneContext
from tui.feeds import Feed
from tui.screens.dialog import is_replay, offline_refusal
from tui.screens.findings_modals import NoteScreen


class FindingsPane(Protocol):
    """What the triage keys and a finding's view use of the Findings pane (``FindingsScreen``)."""

    feed: Feed
    poller: FindingsPoller | None

    @property
    def hub_region(self) -> str: ...

    def updated_by(self) -> str: ...

    def run_workflow_worker(self, targets: list[Finding], status: str, plan: Plan, note_text: str) -> Any: ...

    def prepare_worker(self, targets: list[Finding]) -> Any: ...


WORKFLOW_VERBS = {
    "NOTIFIED": "Mark {n} NOTIFIED (owner told)",
    "SUPPRESSED": "Suppress {n}",
    "RESOLVED": "Resolve {n}",
    "NEW": "Reopen {n} as NEW",
}

TRIAGE_BINDINGS: list[BindingType] = [
    Binding("N", "workflow('NOTIFIED')", "Notified", id="notified"),
    Binding("S", "workflow('SUPPRESSED')", "Suppress", id="suppress"),
    Binding("R", "workflow('RESOLVED')", "Resolve", id="resolve"),
    Binding("U", "workflow('NEW')", "Back to new", show=False, id="reopen"),
    Binding("X", "remediate", "Fix", id="fix"),
]


def plural(count: int) -> str:
    return f"{count:,} finding{'s' if count != 1 else ''}"


class Triage:
    """Workflow changes and one-key remediation, shared by the list and a finding's view; the screen
    provides ``targets()`` (the findings the keys act on) and ``pane()`` (the Findings pane)."""

    ctx: PaneContext

    def action_workflow(self, status: str) -> None:
        screen: Any = self
        targets: list[Finding] = screen.targets()
        if not targets:
            screen.notify("Nothing to mark: move to a finding or select some with space", severity="warning")
            return
        pane: FindingsPane = screen.pane()
        title = WORKFLOW_VERBS[status].format(n=plural(len(targets)))

        def plan_for(note: str) -> Plan:
            return workflow.workflow_plan(targets, status, note, pane.updated_by(), pane.hub_region)

        def chosen(note: str | None) -> None:
            if note is not None:
                pane.run_workflow_worker(targets, status, plan_for(note), note)

        screen.app.push_screen(
            NoteScreen(title, targets, plan_for, read_only=self.ctx.settings.read_only), chosen
        )

    def action_remediate(self) -> None:
        screen: Any = self
        if is_replay(screen.app):
            screen.notify(offline_refusal(screen.app, "fixes nothing"), severity="warning")
            return
        targets: list[Finding] = screen.targets()
        if not targets:
            screen.notify("Nothing to fix: move to a finding or select some with space", severity="warning")
            return
        kinds = {pb.id if pb else None for pb in (playbooks.playbook_for(t) for t in targets)}
        if None in kinds:
            missing = next(t for t in targets if playbooks.playbook_for(t) is None)
            screen.notify(
                f"No playbook for {missing.control_id or missing.product_name}: "
                "fix it by hand, then resolve it with R",
                severity="warning",
                timeout=6,
            )
            return
        if len(kinds) > 1:
            screen.notify(
                "The selection mixes controls with different playbooks: select findings of one control",
                severity="warning",
                timeout=6,
            )
            return
        screen.pane().prepare_worker(targets)
