"""The Findings pane: Security Hub findings cut down as you type, worked in bulk from the keyboard,
and the common ones fixed with one key (each change asks first and shows its calls)."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any, ClassVar

from rich.color import Color as RichColor
from rich.style import Style
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.timer import Timer
from textual.widgets import Input, Static

from tui.aws.actions import Plan, PlanRefusal, ReadOnlyRefusal, playbooks
from tui.aws.actions import findings as workflow
from tui.aws.errors import AwsProblem, classify
from tui.aws.findings import FindingsPoller, FindingsSnapshot
from tui.aws.findings_model import (
    SORTS,
    AccountGroup,
    FilterCache,
    Finding,
    FindingFilter,
    Note,
    ResourceGroup,
    SortedOrders,
    group_by_account,
    group_by_resource,
    severity_counts,
    standard_scores,
)
from tui.context import ActivityEvent, PaneContext
from tui.feeds import Feed
from tui.screens import findings_format as fmt
from tui.screens.base import PaneFooter, PaneScreen
from tui.screens.confirm import ConfirmScreen
from tui.screens.finding import FindingScreen
from tui.screens.findings_modals import FacetScreen
from tui.screens.findings_triage import TRIAGE_BINDINGS, Triage, plural
from tui.screens.listing import FilteredList, account_names, api_errors_text, theme_rgb
from widgets.textline import TextLine
from widgets.vtable import Column, LazyRows, VirtualTable

UNPROCESSED_SHOWN = 20
#: What ``v`` cycles through: the flat list, one row per resource, one row per account.
GROUPINGS = ("", "resource", "account")
GROUPING_KEY_WORDS = {"resource": "By resource", "account": "By account", "": "Ungroup"}
"""What the footer says ``v`` does: the grouping it goes to next (it cycles them)."""
#: Group lists kept, by (findings version and order, filter, grouping): going back to one is free.
GROUPS_KEPT = 6
#: Seconds after new findings are shown before the orders not asked for yet are made, one at a time
#: with this pause between them, so the first press of each sort finds its order made.
WARM_AFTER_S = 1.0

Group = ResourceGroup | AccountGroup


class FindingsScreen(Triage, FilteredList, PaneScreen[FindingsSnapshot]):
    """Every ACTIVE finding of the hub region, filtered, grouped, triaged and fixed from the keyboard."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "filter", "Filter", key_display="/", id="filter"),
        Binding("escape", "back", "Clear", show=False),
        Binding("f", "facets", "Facets", id="facets"),
        # v cycles the groupings: the footer shows the one it goes to next (check_action hides the others).
        Binding("v", "group_next", GROUPING_KEY_WORDS["resource"], id="group"),
        Binding("s", "sort", "Sort", id="sort"),
        Binding("space", "toggle_select", "Select, move down", show=False, id="select"),
        Binding("a", "select_all", "Select all", show=False, id="select_all"),
        Binding("enter", "open", "Open", show=False),
        *TRIAGE_BINDINGS,
    ]

    FILTER_ID: ClassVar[str] = "fnd-filter"
    PLACE_DROPS: ClassVar[tuple[str, ...]] = ("workflow", "controls")
    PANE: ClassVar[str] = "findings"
    TITLE: ClassVar[str] = "Findings"
    HELP: ClassVar[str] = (
        "Security Hub findings of the hub region (ACTIVE records; the default view shows workflow NEW and "
        "NOTIFIED, worst first). / filters as you type over title, resource, control and account; f opens "
        "the facet toggles (severity, workflow, product, account, resource type, compliance). v cycles the "
        "grouping: by resource (one row per resource), by account (one row per account, its name and "
        "id, count and worst severity), then the flat list again; Enter on a group lists its findings, "
        "Esc goes back to the groups, and the triage keys act on every finding of the group under the "
        "cursor. space selects (and moves down), a selects "
        "every row shown. Shift+N notified, Shift+S suppress, Shift+R resolve, Shift+U back to new: each "
        "asks for a note and shows its BatchUpdateFindings calls. Shift+X runs the control's playbook (+ "
        "after the control): it shows the calls, dry-runs them where AWS can, runs them, re-reads the "
        "resource and marks the finding RESOLVED with a note, or NOTIFIED with the failure."
    )

    DEFAULT_CSS = """
    FindingsScreen #fnd-summary { height: 1; padding: 0 1; }
    FindingsScreen #fnd-scores { height: 1; padding: 0 1; color: $text-muted; }
    FindingsScreen #fnd-view { height: 1; padding: 0 1; color: $text-muted; }
    FindingsScreen #fnd-errors { height: auto; max-height: 3; padding: 0 1; color: $warning; }
    FindingsScreen #fnd-filter { display: none; height: 3; margin: 0 1; }
    FindingsScreen #fnd-filter.-shown { display: block; }
    FindingsScreen #fnd-table { height: 1fr; }
    FindingsScreen #fnd-detail { height: 4; padding: 0 1; border-top: solid $primary 40%; }
    """

    def __init__(self, ctx: PaneContext, feed: Feed) -> None:
        super().__init__(ctx, feed)
        self.poller: FindingsPoller | None = feed.source
        self.needle = ""
        self.sort = 0
        self.flt = FindingFilter()
        self.grouping = ""
        """"" for the flat list, "resource" or "account" for one row per resource or account."""
        self.selected: set[tuple[str, str]] = set()
        self._caches: dict[int, FilterCache] = {}
        """A filter cache per order (the results keep the order): a sort pressed again refilters nothing."""
        self._orders: SortedOrders | None = None
        self._orders_for = -1
        self._warm_timer: Timer | None = None
        self._data_version = 0
        self._shown: list[Finding] = []
        self._groups: Sequence[Group] = []
        self._group_cache: dict[tuple[int, int, FindingFilter, str], Sequence[Group]] = {}
        self._counts_cache: dict[tuple[int, FindingFilter], dict[str, int]] = {}
        self._by_key: dict[tuple[str, str], Finding] = {}
        self._scores_text = ""
        self._drills: list[tuple[str, str | None]] = []
        """(filter field, grouping Esc goes back to) of each group opened with Enter, latest last."""
        self._columns = fmt.columns_for(120)
        self._regions: tuple[int, tuple[str, ...]] = (-1, ())

    def compose(self) -> ComposeResult:
        yield from self.compose_header()
        with Vertical(classes="pane-body"):
            yield TextLine("waiting for the first poll…", id="fnd-summary")
            yield TextLine("", id="fnd-scores")
            yield TextLine("", id="fnd-view")
            yield Static("", id="fnd-errors")
            yield Input(placeholder="filter: title, resource, control or account", id="fnd-filter")
            yield VirtualTable(self._columns, empty_text="loading findings…", id="fnd-table")
            yield TextLine("", id="fnd-detail")
        yield PaneFooter()

    # -- the pane's parts ---------------------------------------------------------------------

    def pane(self) -> FindingsScreen:
        return self

    @property
    def grouped(self) -> bool:
        return bool(self.grouping)

    def grouping_words(self) -> str:
        """ "flat", "by resource" or "by account"."""
        return fmt.GROUPING_WORDS[self.grouping]

    def columns_for(self, width: int) -> tuple[Column, ...]:
        if self.grouping == "account":
            return fmt.account_group_columns_for(width)
        return fmt.group_columns_for(width) if self.grouped else fmt.columns_for(width)

    def _following(self) -> str:
        return GROUPINGS[(GROUPINGS.index(self.grouping) + 1) % len(GROUPINGS)]

    def _describe_group_key(self) -> None:
        """The footer names the grouping ``v`` (or the key the config gives it) goes to next."""
        words = GROUPING_KEY_WORDS[self._following()]
        chosen = self._bindings.key_to_bindings
        for key, bindings in list(chosen.items()):
            if any(b.id == "group" for b in bindings):
                chosen[key] = [
                    dataclasses.replace(b, description=words) if b.id == "group" else b for b in bindings
                ]
        self.refresh_bindings()

    def sort_choices(self) -> tuple[tuple[str, str], ...]:
        return tuple((name, name) for name in SORTS)

    @property
    def hub_region(self) -> str:
        """The region whose Security Hub the findings come from."""
        return self.poller.region if self.poller is not None else self.ctx.factory.region

    def updated_by(self) -> str:
        configured = self.ctx.settings.findings_updated_by
        if configured:
            return configured
        runner = self.ctx.actions
        return (runner.actor if runner is not None else None) or "warroom"

    # -- polling ------------------------------------------------------------------------------

    def show_progress(self, pages: int, found: int) -> None:
        if self.snapshot is None:
            self.query_one("#fnd-summary", TextLine).update(
                Text(f"⟳ first load: page {pages:,}, {found:,} findings so far (GetFindings at 3 calls/s)…")
            )
        elif self.snapshot.loading:
            self._scores_text = fmt.loading_text(pages, found)
            self.query_one("#fnd-scores", TextLine).update(Text(self._scores_text))

    def show_partial(self, snapshot: FindingsSnapshot) -> None:
        """The first pages of the first load, most severe first: the list works on them at once."""
        if self.snapshot is None or self.snapshot.loading:
            self.snapshot = snapshot
            self.show(snapshot)

    def show(self, snapshot: FindingsSnapshot) -> None:
        self._by_key = {f.key: f for f in snapshot.findings}
        self.selected &= self._by_key.keys()
        if snapshot.loading:
            # The scores need every control finding: they wait for the end of the load.
            self._scores_text = fmt.loading_text(snapshot.pages, snapshot.total)
        else:
            problem = snapshot.standards_problem.message if snapshot.standards_problem else ""
            scores = standard_scores(snapshot.findings, snapshot.standards)
            self._scores_text = fmt.scores_text(scores, problem, known=snapshot.standards is not None)
        self._fill()
        errors = api_errors_text(snapshot.errors, regions=False)
        if snapshot.skipped:
            errors.append(
                f"{chr(10) if errors else ''}⚠ {snapshot.skipped} finding(s) without Id or ProductArn"
            )
        self.query_one("#fnd-errors", Static).update(errors)

    def show_problem(self, problem: AwsProblem) -> None:
        if self.snapshot is None:
            self.query_one("#fnd-summary", TextLine).update(Text(f"⚠ {problem.message}"))
            self.query_one("#fnd-errors", Static).update(Text(f"→ {problem.hint}" if problem.hint else ""))
            self.query_one(VirtualTable).empty_text = f"no findings: {problem.message}"

    def _local(self, changed: Sequence[Finding]) -> None:
        """Show this console's own change at once; the next poll reconciles it."""
        if self.poller is None:
            return
        self.poller.apply_local(changed)
        if self.snapshot is not None:
            findings, version = self.poller.current()
            amended = dataclasses.replace(self.snapshot, findings=findings, version=version)
            if amended.loading:
                # Part of a first load is this pane's alone: the feed publishes only whole polls.
                self.snapshot = amended
                self.show(amended)
            else:
                self.feed.amend(amended)

    # -- the list -----------------------------------------------------------------------------

    def _sorted_findings(self) -> list[Finding]:
        """The findings in the chosen order; each order is made once per findings version."""
        snapshot = self.snapshot
        if snapshot is None:
            return []
        if self._orders is None or self._orders_for != snapshot.version:
            self._orders = SortedOrders(snapshot.findings)
            self._orders_for = snapshot.version
            self._data_version += 1
            self._caches.clear()
            self._group_cache.clear()
            self._counts_cache.clear()
            self._warm_later()
        return self._orders.order(SORTS[self.sort])

    def _warm_later(self) -> None:
        if self._warm_timer is not None:
            self._warm_timer.stop()
        self._warm_timer = self.set_timer(WARM_AFTER_S, self._warm_orders)

    def _warm_orders(self) -> None:
        """Make one order not asked for yet (about 30 ms at 50,000 findings), then the next one later.
        A first load changes the findings every page: its orders are made only when asked for."""
        self._warm_timer = None
        orders, snapshot = self._orders, self.snapshot
        if orders is None or snapshot is None or snapshot.loading or self._orders_for != snapshot.version:
            return
        missing = orders.missing()
        if missing:
            orders.order(missing[0])
            if len(missing) > 1:
                self._warm_later()

    def _filtered(self, findings: list[Finding], flt: FindingFilter) -> list[Finding]:
        cache = self._caches.get(self.sort)
        if cache is None:
            cache = self._caches[self.sort] = FilterCache()
        return cache.select(findings, self._data_version, flt)

    def _counts(self, shown: list[Finding], flt: FindingFilter) -> dict[str, int]:
        """The severities of the findings shown (the same in every order), kept per filter."""
        key = (self._data_version, flt)
        counts = self._counts_cache.get(key)
        if counts is None:
            if len(self._counts_cache) >= GROUPS_KEPT:
                del self._counts_cache[next(iter(self._counts_cache))]
            counts = self._counts_cache[key] = severity_counts(shown)
        return counts

    def _grouped(self, shown: list[Finding], flt: FindingFilter) -> Sequence[Group]:
        """The groups of the findings shown, kept for the same findings, order, filter and grouping."""
        key = (self._data_version, self.sort, flt, self.grouping)
        groups = self._group_cache.pop(key, None)
        if groups is None:
            groups = group_by_account(shown) if self.grouping == "account" else group_by_resource(shown)
        self._group_cache[key] = groups
        while len(self._group_cache) > GROUPS_KEPT:
            del self._group_cache[next(iter(self._group_cache))]
        return groups

    def _fill(self) -> None:
        snapshot = self.snapshot
        if snapshot is None:
            return
        flt = dataclasses.replace(self.flt, text=self.needle)
        findings = self._sorted_findings()
        shown = self._filtered(findings, flt)
        self._shown = shown
        self.sync_account_column()
        table = self.query_one(VirtualTable)
        now = self.ctx.clock()
        names = account_names(self)
        if self.grouped:
            self._groups = groups = self._grouped(shown, flt)
            selected = self.selected
            columns = self._columns

            def make_group(index: int) -> Any:
                group = groups[index]
                chosen = bool(selected) and all(f.key in selected for f in group.findings)
                if isinstance(group, AccountGroup):
                    return fmt.account_group_row(group, columns, now, chosen, names)
                return fmt.group_row(group, columns, now, chosen, names)

            rows = LazyRows(len(groups), lambda i: _group_key(groups[i]), make_group)
            table.empty_text = f"no {self.grouping} has findings in this view"
        else:
            selected = self.selected
            columns = self._columns
            playbook_of = _playbook_id

            def make_row(index: int) -> Any:
                finding = shown[index]
                return fmt.finding_row(finding, columns, now, finding.key in selected, playbook_of, names)

            rows = LazyRows(
                len(shown),
                lambda i: fmt.row_key(shown[i]),
                make_row,
                lambda key: fmt.finding_index(shown, key),
            )
            if self.needle or self.flt != FindingFilter():
                table.empty_text = "no finding matches this filter (Esc clears, f changes the facets)"
            elif snapshot.loading:
                table.empty_text = "no open finding read yet: the first load goes on…"
            else:
                table.empty_text = "no open findings: Security Hub has nothing NEW or NOTIFIED here"
        table.set_rows(rows)
        summary = Text()
        for text, role in fmt.summary(self._counts(shown, flt), len(shown), snapshot.total):
            summary.append(text, self._role_style(role))
        self.query_one("#fnd-summary", TextLine).update(summary)
        self.query_one("#fnd-scores", TextLine).update(Text(self._scores_text))
        view = fmt.filter_text(flt, SORTS[self.sort], self.grouping, len(self.selected), names)
        if self.needle:
            view += f" · text {self.needle!r}"
        self.query_one("#fnd-view", TextLine).update(Text(view))
        self._show_detail()

    def _role_style(self, role: str) -> Style:
        if role == "muted":
            return Style(dim=True)
        name = {"critical": "error", "warn": "warning"}.get(role)
        if name is None:
            return Style()
        r, g, b = theme_rgb(self.app, name)
        return Style(color=RichColor.from_rgb(r, g, b), bold=role == "critical")

    def current_finding(self) -> Finding | None:
        key = self.query_one(VirtualTable).cursor_key
        if key is None or self.grouped:
            return None
        product_arn, _, finding_id = key.partition("\x00")
        return self._by_key.get((finding_id, product_arn))

    def current_group(self) -> ResourceGroup | AccountGroup | None:
        key = self.query_one(VirtualTable).cursor_key
        if key is None or not self.grouped:
            return None
        return next((g for g in self._groups if _group_key(g) == key), None)

    def targets(self) -> list[Finding]:
        if self.selected:
            return [self._by_key[k] for k in sorted(self.selected) if k in self._by_key]
        if self.grouped:
            group = self.current_group()
            return list(group.findings) if group else []
        finding = self.current_finding()
        return [finding] if finding else []

    def _show_detail(self) -> None:
        text = Text()
        finding = self.current_finding()
        group = self.current_group()
        if finding is not None:
            text.append(finding.title, "bold")
            text.append(f"\n{fmt.resource_text(finding.resource_type, finding.resource_id)}")
            text.append(f" · {finding.account_id} {finding.account_name} · {finding.product_name}")
            book = playbooks.playbook_for(finding)
            if book is not None:
                text.append(f"\n+ Shift+X fixes it: {book.title}", "bold")
            elif finding.remediation_text:
                text.append(f"\n{finding.remediation_text.splitlines()[0]}")
            if finding.problems:
                text.append(f"\n⚠ {finding.problems[0]}")
        elif isinstance(group, AccountGroup):
            text.append(fmt.account_label(group.account_id, account_names(self)), "bold")
            regions = ", ".join(group.regions) or "no region"
            breakdown = fmt.severities_text(group.severities)
            text.append(f"\n{plural(group.count)}, worst {group.severity}: {breakdown}")
            text.append(f"; {group.resources:,} resources in {regions}")
            text.append("\nEnter lists them · space selects them all")
        elif group is not None:
            text.append(fmt.resource_text(group.resource_type, group.resource_id), "bold")
            controls = ", ".join(group.controls) or "none"
            text.append(f"\n{plural(group.count)}, worst {group.severity}; controls: {controls}")
            text.append("\nEnter lists them · space selects them all")
        self.query_one("#fnd-detail", TextLine).update(text)

    @on(VirtualTable.Highlighted, "#fnd-table")
    def _highlighted(self, event: VirtualTable.Highlighted) -> None:
        self._show_detail()

    @on(VirtualTable.Selected, "#fnd-table")
    def _selected(self, event: VirtualTable.Selected) -> None:
        self.action_open()

    # -- keys ---------------------------------------------------------------------------------

    def action_open(self) -> None:
        if self.grouped:
            group = self.current_group()
            if group is None:
                return
            if isinstance(group, AccountGroup):
                self.flt = dataclasses.replace(self.flt, account=group.account_id)
                field = "account"
            else:
                self.flt = dataclasses.replace(self.flt, resource=group.key)
                field = "resource"
            # One account and one resource at most are open: this one replaces an earlier one.
            self._drills = [*(d for d in self._drills if d[0] != field), (field, self.grouping)]
            self._set_grouping("")
            return
        finding = self.current_finding()
        if finding is not None:
            self.app.push_screen(FindingScreen(self.ctx, self, finding))

    def row_regions(self) -> Sequence[str]:
        """The findings follow their hub's aggregation, not the scope: the regions they are in."""
        snapshot = self.snapshot
        if snapshot is None:
            return ()
        if self._regions[0] != snapshot.version:
            self._regions = (snapshot.version, tuple(sorted({f.region for f in snapshot.findings})))
        return self._regions[1]

    def _set_grouping(self, grouping: str) -> None:
        self.grouping = grouping
        self._describe_group_key()
        self._columns = self.shown_columns(self.size.width or 120)
        table = self.query_one(VirtualTable)
        table.set_columns(self._columns)
        self._fill()
        table.move_cursor_to_key(table.cursor_key or "")

    def action_group_next(self) -> None:
        self.action_group(self._following())

    def action_group(self, grouping: str) -> None:
        # A group opened stays open, but Esc no longer goes back to a grouping left by hand.
        self._drills = [(field, None) for field, _ in self._drills]
        self._set_grouping(grouping)

    def action_back(self) -> None:
        box = self.query_one(f"#{self.FILTER_ID}", Input)
        if box.has_class("-shown") or self.needle:
            self.action_clear_filter()
            return
        if self.flt.resource is not None or self.flt.account is not None:
            # Close the group opened last (its grouping comes back when Enter opened it from there).
            field, back_to = self._drills.pop() if self._drills else ("", None)
            if field not in ("resource", "account") or getattr(self.flt, field) is None:
                field, back_to = ("resource" if self.flt.resource is not None else "account"), None
            if field == "resource":
                self.flt = dataclasses.replace(self.flt, resource=None)
            else:
                self.flt = dataclasses.replace(self.flt, account=None)
            if back_to is not None:
                self._set_grouping(back_to)
            else:
                self._fill()
            return
        if self.selected:
            self.selected.clear()
            self._fill()

    def action_toggle_select(self) -> None:
        if self.grouped:
            group = self.current_group()
            keys = {f.key for f in group.findings} if group else set()
        else:
            finding = self.current_finding()
            keys = {finding.key} if finding else set()
        if not keys:
            return
        if keys <= self.selected:
            self.selected -= keys
        else:
            self.selected |= keys
        self._fill()
        self.query_one(VirtualTable).action_cursor_down()

    def action_select_all(self) -> None:
        keys = {f.key for f in self._shown}
        if keys and keys <= self.selected:
            self.selected -= keys
            self.notify("Selection cleared", timeout=2)
        else:
            self.selected |= keys
            self.notify(f"{plural(len(self.selected))} selected", timeout=2)
        self._fill()

    def action_facets(self) -> None:
        snapshot = self.snapshot
        if snapshot is None:
            self.notify("Wait for the first load", severity="warning", timeout=2)
            return

        def chosen(flt: FindingFilter | None) -> None:
            if flt is not None:
                self.flt = dataclasses.replace(
                    flt, text="", resource=self.flt.resource, account=self.flt.account
                )
                self._fill()

        self.app.push_screen(FacetScreen(snapshot.findings, self.flt, account_names(self)), chosen)

    # -- workers ------------------------------------------------------------------------------

    def _record(self, level: str, text: str) -> None:
        self.ctx.record(ActivityEvent(self.ctx.clock(), self.TITLE, level, text))

    @work(group="actions", exit_on_error=False)
    async def run_workflow_worker(
        self, targets: list[Finding], status: str, plan: Plan, note_text: str
    ) -> None:
        runner = self.ctx.actions
        if runner is None:
            self.notify("Actions are not available in this console", severity="error")
            return
        try:
            outcome = await workflow.run_workflow(runner, plan)
        except ReadOnlyRefusal:
            self.notify("Read-only mode: refused, nothing was called", severity="warning")
            return
        except PlanRefusal as refusal:
            self.notify(f"Refused: {refusal}", severity="warning")
            return
        note = Note(text=note_text, updated_by=self.updated_by(), updated_at=self.ctx.clock().isoformat())
        changed = [t.with_workflow(status, note) for t in targets if t.key in outcome.processed]
        self.selected -= outcome.processed
        self._local(changed)
        if self.poller is not None:
            self.poller.expect(t.key for t in targets)
        failed = len(outcome.unprocessed) + len(outcome.not_sent)
        self._record("error" if failed else "info", outcome.message)
        titles = {t.key: t.title for t in targets}
        for key, reason in sorted(outcome.unprocessed.items())[:UNPROCESSED_SHOWN]:
            self._record("error", f"not marked {status}: {titles.get(key, key[0])} ({reason})")
        if failed:
            self.notify(f"✖ {outcome.message}", severity="error", timeout=10)
        else:
            self.notify(f"✓ {outcome.message}", timeout=5)

    @work(group="actions", exit_on_error=False)
    async def prepare_worker(self, targets: list[Finding]) -> None:
        context = self.remediation_context()
        self.notify(f"Reading what the fix would change for {plural(len(targets))}…", timeout=3)
        try:
            remediation = await playbooks.prepare(context, targets)
        except Exception as exc:  # reads that fail are shown, never raised
            problem = classify(exc, profile=self.ctx.settings.target.profile)
            self.notify(f"✖ Could not read the resource: {problem.one_line()}", severity="error", timeout=10)
            return

        def chosen(confirmed: bool | None) -> None:
            if confirmed:
                self.remediate_worker(remediation)

        confirm = ConfirmScreen(remediation.plan, read_only=self.ctx.settings.read_only, findings=targets)
        self.app.push_screen(confirm, chosen)

    def remediation_context(self) -> playbooks.RemediationContext:
        runner = self.ctx.actions
        caller = (runner.account if runner is not None else None) or ""
        return playbooks.RemediationContext(
            factory=self.ctx.factory,
            caller_account=caller,
            role_name=self.ctx.settings.remediation_role,
            updated_by=self.updated_by(),
            hub_region=self.hub_region,
        )

    @work(group="actions", exit_on_error=False)
    async def remediate_worker(self, remediation: playbooks.Remediation) -> None:
        runner = self.ctx.actions
        if runner is None:
            self.notify("Actions are not available in this console", severity="error")
            return
        title = remediation.plan.title
        self.notify(f"Running: {title}…", timeout=3)
        try:
            outcome = await playbooks.run(runner, self.remediation_context(), remediation)
        except ReadOnlyRefusal:
            self.notify("Read-only mode: refused, nothing was called", severity="warning")
            return
        except PlanRefusal as refusal:
            self.notify(f"Refused: {refusal}", severity="warning")
            return
        keys = [t.key for t in remediation.targets]
        marked = outcome.marked
        if marked is not None and marked.processed:
            note = Note(
                text=outcome.message, updated_by=self.updated_by(), updated_at=self.ctx.clock().isoformat()
            )
            changed = [
                self._by_key[k].with_workflow(marked.status, note)
                for k in keys
                if k in marked.processed and k in self._by_key
            ]
            self.selected -= set(keys)
            self._local(changed)
        if self.poller is not None:
            self.poller.expect(keys)
        self.selected -= set(keys)
        self._record("info" if outcome.ok else "error", f"{title}: {outcome.message}")
        if outcome.ok:
            self.notify(f"✓ {outcome.message}", timeout=8)
        else:
            self.notify(f"✖ {outcome.message}", severity="error", timeout=12)


def _group_key(group: ResourceGroup | AccountGroup) -> str:
    if isinstance(group, AccountGroup):
        return fmt.account_group_key(group)
    return fmt.group_key(group)


def _playbook_id(finding: Finding) -> str | None:
    book = playbooks.playbook_for(finding)
    return book.id if book else None
