"""One finding: every useful ASFF field as Security Hub has it now, its resources, notes, the
recommendation, and what the one-key fix would do; the same triage keys as the list."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Static

from tui.aws.actions import playbooks
from tui.aws.errors import classify
from tui.aws.findings_model import Finding, clean_block, clean_line
from tui.context import PaneContext
from tui.screens import findings_format as fmt
from tui.screens.base import FollowsFeeds, PaneFooter
from tui.screens.findings_triage import TRIAGE_BINDINGS, FindingsPane, Triage
from tui.screens.listing import sync_detail_header
from widgets.header import HeaderBar

MAX_DETAIL_LINES = 40
MAX_DEPTH = 4


def _flatten(value: Any, prefix: str, out: list[tuple[str, str]], depth: int = 0) -> None:
    """Nested ASFF as ``path: value`` lines (cleaned, bounded)."""
    if len(out) >= MAX_DETAIL_LINES:
        return
    if isinstance(value, Mapping) and depth < MAX_DEPTH:
        for key, item in value.items():
            _flatten(
                item, f"{prefix}.{clean_line(key, 60)}" if prefix else clean_line(key, 60), out, depth + 1
            )
    elif isinstance(value, list) and depth < MAX_DEPTH:
        if value and all(not isinstance(v, Mapping | list) for v in value):
            out.append((prefix, clean_line(", ".join(str(v) for v in value), 200)))
        else:
            for index, item in enumerate(value[:10]):
                _flatten(item, f"{prefix}[{index}]", out, depth + 1)
    else:
        out.append((prefix, clean_line(value, 200)))


def _field(text: Text, label: str, value: object) -> None:
    shown = clean_line(value, 300) if value not in (None, "") else "—"
    text.append(f"{label:<18}", "dim")
    text.append(f"{shown}\n")


def describe(finding: Finding, raw: Mapping[str, Any] | None, problem: str) -> Text:
    """The finding as text: parsed fields always, the full record once it has been read."""
    text = Text()
    text.append(f"{finding.title}\n", "bold")
    _field(text, "Severity", f"{finding.severity}")
    _field(text, "Workflow", f"{finding.workflow_status} · record {finding.record_state}")
    _field(text, "Compliance", finding.compliance_status or "—")
    _field(text, "Control", finding.control_id or "—")
    _field(text, "Product", f"{finding.product_name} · {finding.product_arn}")
    _field(text, "Generator", finding.generator_id)
    _field(text, "Account", f"{finding.account_id} {finding.account_name}")
    _field(text, "Region", finding.region)
    _field(text, "Types", ", ".join(finding.types))
    _field(
        text, "First observed", finding.first_observed_at.isoformat() if finding.first_observed_at else "?"
    )
    _field(text, "Last observed", finding.last_observed_at.isoformat() if finding.last_observed_at else "?")
    _field(text, "Updated", finding.updated_at.isoformat() if finding.updated_at else "?")
    _field(text, "Id", finding.id)
    if finding.note is not None:
        text.append("\nNote\n", "bold")
        text.append(f"{finding.note.text}\n")
        text.append(f"— {finding.note.updated_by}, {finding.note.updated_at}\n", "dim")
    book = playbooks.playbook_for(finding)
    text.append("\nOne-key fix (Shift+X)\n", "bold")
    if book is not None:
        text.append(f"+ {book.title}: {book.description}\n")
    else:
        text.append("No playbook for this control: fix it by hand, then resolve it with Shift+R.\n", "dim")
    text.append("\nRemediation\n", "bold")
    text.append(f"{finding.remediation_text or '—'}\n")
    if finding.remediation_url:
        text.append(f"{finding.remediation_url}\n", "underline")
    if raw is not None:
        description = clean_block(raw.get("Description"))
        if description:
            text.append("\nDescription\n", "bold")
            text.append(f"{description}\n")
        text.append(f"\nResources ({len(raw.get('Resources') or [])})\n", "bold")
        for resource in raw.get("Resources") or []:
            if not isinstance(resource, Mapping):
                continue
            kind = clean_line(resource.get("Type"), 80)
            rid = clean_line(resource.get("Id"), 300)
            text.append(f"• {kind} {rid}", "bold")
            text.append(f"  {clean_line(resource.get('Region'), 30)}\n")
            lines: list[tuple[str, str]] = []
            for key in ("Tags", "Details"):
                if key in resource:
                    _flatten(resource[key], key, lines)
            for path, value in lines:
                text.append(f"    {path}: ", "dim")
                text.append(f"{value}\n")
        extra: list[tuple[str, str]] = []
        for key in (
            "Compliance",
            "Severity",
            "VerificationState",
            "Confidence",
            "Criticality",
            "UserDefinedFields",
            "Network",
            "Vulnerabilities",
            "ProductFields",
        ):
            if key in raw:
                _flatten(raw[key], key, extra)
        if extra:
            text.append("\nMore fields\n", "bold")
            for path, value in extra:
                text.append(f"  {path}: ", "dim")
                text.append(f"{value}\n")
    elif problem:
        text.append(f"\n⚠ Could not read the full finding: {problem}\n")
    else:
        text.append("\n⟳ reading the full finding…\n", "dim")
    if finding.problems:
        text.append("\nMalformed fields\n", "bold")
        for line in finding.problems:
            text.append(f"⚠ {line}\n")
    return text


class FindingScreen(FollowsFeeds, Triage, Screen[None]):
    """Opened from the Findings pane with Enter; Esc goes back."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "app.pop_screen", "Back"), *TRIAGE_BINDINGS]

    TITLE: ClassVar[str] = "Finding"
    HELP: ClassVar[str] = (
        "One finding as Security Hub has it now: fields, resources with their details, the note, the "
        "recommendation and what Shift+X would do. Shift+N/S/R/U change its workflow (with a note); "
        "Shift+X runs its playbook."
    )

    DEFAULT_CSS = """
    FindingScreen #fd-body { height: 1fr; padding: 0 1; }
    """

    def __init__(self, ctx: PaneContext, pane: FindingsPane, finding: Finding) -> None:
        super().__init__()
        self.ctx = ctx
        self._pane = pane
        self.finding = finding
        self.raw: Mapping[str, Any] | None = None
        self.problem = ""

    def pane(self) -> FindingsPane:
        return self._pane

    def targets(self) -> list[Finding]:
        return [self.finding]

    def compose(self) -> ComposeResult:
        yield HeaderBar()
        with Vertical(classes="pane-body"), VerticalScroll(id="fd-body"):
            yield Static("", id="fd-text")
        yield PaneFooter()

    def on_mount(self) -> None:
        sync_detail_header(self, self.ctx, "Findings \u203a finding")
        self._show()
        self.query_one("#fd-body").focus()
        self.follow(
            self._pane.feed, lambda snapshot: self.refresh_from({f.key: f for f in snapshot.findings})
        )
        self.load()

    @work(exclusive=True, group="finding", exit_on_error=False)
    async def load(self) -> None:
        poller = self._pane.poller
        if poller is None:
            self.problem = "a recording holds the finding's fields, not its raw JSON"
            self._show()
            return
        try:
            self.raw = await poller.read_one(self.finding.key)
            self.problem = ""
        except LookupError as exc:
            self.problem = str(exc)
        except Exception as exc:  # shown in the view; the parsed fields stay
            self.problem = classify(exc, profile=self.ctx.settings.target.profile).one_line()
        self._show()

    def refresh_from(self, findings: Mapping[tuple[str, str], Finding]) -> None:
        updated = findings.get(self.finding.key)
        if updated is not None and updated != self.finding:
            self.finding = updated
            self.load()
        self._show()

    def _show(self) -> None:
        text = describe(self.finding, self.raw, self.problem)
        resource = fmt.resource_text(self.finding.resource_type, self.finding.resource_id)
        text.append(f"\nEsc back · this view shows {resource} as read just now", "dim")
        self.query_one("#fd-text", Static).update(text)
