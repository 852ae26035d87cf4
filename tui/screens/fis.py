"""The Experiments pane: AWS Fault Injection Service templates and their experiments; start one from a
template, stop a running one (each asks first and shows the exact call)."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import Input, Static

from tui.aws.actions import Plan, PlanRefusal, ReadOnlyRefusal
from tui.aws.actions import fis as fis_actions
from tui.aws.actions.core import acting_in
from tui.aws.errors import AwsProblem
from tui.aws.fis import ExperimentView, FisSnapshot, TemplateView, running_of
from tui.aws.scope import acting_place
from tui.common.timefmt import age_text, wall_or_date_text
from tui.context import ActivityEvent, PaneContext
from tui.feeds import Feed
from tui.screens.base import PaneFooter, PaneScreen
from tui.screens.confirm import ConfirmScreen
from tui.screens.dialog import Dialog
from tui.screens.listing import (
    account_names,
    api_errors_text,
    fill_places,
    place_columns,
    reached_places,
    several_accounts,
)
from widgets.gauge import Fragment
from widgets.safe import clean
from widgets.textline import TextLine
from widgets.vtable import Column, TableRow, VirtualTable

UNKNOWN = "?"
TEMPLATES = "templates"
EXPERIMENTS = "experiments"

#: A symbol and a word for every experiment state: never colour alone.
STATUS_WORD: dict[str, tuple[str, str]] = {
    "pending": ("◌ pending", "muted"),
    "initiating": ("◌ initiating", "muted"),
    "running": ("● running", "warn"),
    "stopping": ("■ stopping", "warn"),
    "completed": ("✓ completed", "ok"),
    "stopped": ("■ stopped", "muted"),
    "failed": ("✖ failed", "critical"),
    "cancelled": ("⊘ cancelled", "muted"),
}


def status_cell(status: str) -> list[Fragment]:
    word, role = STATUS_WORD.get(status, (f"? {status or 'unknown'}", "unknown"))
    return [(word, role)]


def short_resource(arn: str) -> str:
    """The resource id at the end of an ARN (``arn:...:instance/i-0abc`` -> ``i-0abc``)."""
    tail = arn.rsplit(":", 1)[-1] if arn.startswith("arn:") else arn
    return tail.rsplit("/", 1)[-1] or arn


def template_targets(view: TemplateView) -> str:
    if view.targets:
        return ", ".join(short_resource(a) for a in view.targets)
    if view.target_details:
        return "; ".join(line.split(": ", 1)[-1] for line in view.target_details)
    return "—" if view.detailed else UNKNOWN


def experiment_target(view: ExperimentView) -> str:
    if view.target:
        return view.target
    if view.resources:
        return ", ".join(short_resource(a) for a in view.resources)
    return "—" if view.detailed else UNKNOWN


def clock_time(moment: datetime | None, now: datetime) -> str:
    """UTC time of day, with the date when it is not today's: 03:12:05 or 11-25 22:01."""
    return UNKNOWN if moment is None else wall_or_date_text(moment, now)


def elapsed(view: ExperimentView, now: datetime) -> str:
    if view.started_at is None:
        return UNKNOWN
    end = view.ended_at if view.ended_at is not None else now
    return age_text((end - view.started_at).total_seconds())


def ended_or_elapsed(view: ExperimentView, now: datetime) -> str:
    """ "at 03:12:05" once ended, "for 4m05s" while under way."""
    if view.ended:
        return f"at {clock_time(view.ended_at, now)}"
    return f"for {elapsed(view, now)}" if view.started_at is not None else UNKNOWN


def template_columns(width: int) -> tuple[Column, ...]:
    if width >= 140:
        return (
            Column("description", "TEMPLATE", 24, flex=True),
            Column("fault", "FAULT", 22),
            Column("targets", "TARGETS", 30),
            Column("actions", "ACTIONS", 28),
            Column("duration", "DURATION", 8),
            Column("region", "REGION", 14),
        )
    if width >= 100:
        return (
            Column("description", "TEMPLATE", 20, flex=True),
            Column("fault", "FAULT", 18),
            Column("targets", "TARGETS", 22),
            Column("actions", "ACTIONS", 24),
        )
    return (
        Column("description", "TEMPLATE", 18, flex=True),
        Column("fault", "FAULT", 16),
        Column("targets", "TARGETS", 14),
        Column("actions", "ACTIONS", 16),
    )


def experiment_columns(width: int) -> tuple[Column, ...]:
    if width >= 140:
        return (
            Column("status", "STATUS", 12),
            Column("id", "EXPERIMENT", 18),
            Column("template", "TEMPLATE", 14, flex=True),
            Column("fault", "FAULT", 22),
            Column("target", "TARGET", 22),
            Column("origin", "ORIGIN", 11),
            Column("started", "STARTED", 11),
            Column("ended", "ENDED", 11),
            Column("elapsed", "ELAPSED", 8, align="right"),
        )
    if width >= 100:
        return (
            Column("status", "STATUS", 12),
            Column("template", "TEMPLATE", 14, flex=True),
            Column("fault", "FAULT", 16),
            Column("target", "TARGET", 14),
            Column("origin", "ORIGIN", 10),
            Column("started", "STARTED", 11),
            Column("ended_elapsed", "ENDED/ELAPSED", 14),
        )
    return (
        Column("status", "STATUS", 12),
        Column("template", "TEMPLATE", 8, flex=True),
        Column("fault", "FAULT", 13),
        Column("target", "TARGET", 10),
        Column("started", "STARTED", 11),
        Column("ended_elapsed", "END/ELAPSED", 14),
    )


def template_row(view: TemplateView, columns: tuple[Column, ...]) -> TableRow:
    cells: list[str | list[Fragment]] = []
    for col in columns:
        key = col.key
        if key == "description":
            cells.append(view.description or view.template_id)
        elif key == "fault":
            cells.append(view.fault or "—")
        elif key == "targets":
            cells.append(template_targets(view))
        elif key == "actions":
            cells.append(", ".join(view.actions) if view.actions else ("—" if view.detailed else UNKNOWN))
        elif key == "duration":
            cells.append(view.duration or "—")
        elif key == "region":
            cells.append(view.region)
        else:
            cells.append("")
    return TableRow(
        f"{view.region}/{view.template_id}", tuple(cells), level="" if view.detailed else "unknown"
    )


def experiment_row(
    view: ExperimentView, columns: tuple[Column, ...], names: dict[str, str], now: datetime
) -> TableRow:
    cells: list[str | list[Fragment]] = []
    for col in columns:
        key = col.key
        if key == "status":
            cells.append(status_cell(view.status))
        elif key == "id":
            cells.append(view.experiment_id)
        elif key == "template":
            cells.append(names.get(view.template_id) or view.template_id or UNKNOWN)
        elif key == "fault":
            cells.append(view.fault or "—")
        elif key == "target":
            cells.append(experiment_target(view))
        elif key == "origin":
            cells.append(view.origin or "—")
        elif key == "started":
            cells.append(clock_time(view.started_at, now))
        elif key == "ended":
            cells.append(clock_time(view.ended_at, now) if view.ended else "—")
        elif key == "elapsed":
            cells.append(elapsed(view, now))
        elif key == "ended_elapsed":
            cells.append(ended_or_elapsed(view, now))
        elif key == "region":
            cells.append(view.region)
        else:
            cells.append("")
    # The status cell carries the state's symbol and word; the marker flags rows read only in part.
    level = "" if view.detailed else "unknown"
    return TableRow(f"{view.region}/{view.experiment_id}", tuple(cells), level=level)


def template_matches(view: TemplateView, needle: str) -> bool:
    if not needle:
        return True
    hay = " ".join(
        (
            view.template_id,
            view.description,
            view.fault,
            view.region,
            view.role_arn,
            *view.targets,
            *view.actions,
            *(f"{k}={v}" for k, v in view.tags),
        )
    )
    return needle.lower() in hay.lower()


def experiment_matches(view: ExperimentView, needle: str, names: dict[str, str]) -> bool:
    if not needle:
        return True
    hay = " ".join(
        (
            view.experiment_id,
            view.template_id,
            names.get(view.template_id, ""),
            view.status,
            view.fault,
            view.target,
            view.origin,
            view.region,
            *view.resources,
            *view.actions,
            *(f"{k}={v}" for k, v in view.tags),
        )
    )
    return needle.lower() in hay.lower()


def _field(text: Text, label: str, value: object) -> None:
    shown = clean(value) if value not in (None, "") else "—"
    text.append(f"{label:<18}", "dim")
    text.append(f"{shown}\n")


def _list(text: Text, title: str, lines: tuple[str, ...]) -> None:
    text.append(f"\n{title} ({len(lines)})\n", "bold")
    if not lines:
        text.append("  —\n")
    for line in lines:
        text.append(f"  • {clean(line)}\n")


def _iso(moment: datetime | None) -> str:
    return moment.isoformat() if moment is not None else f"{UNKNOWN} (not read yet)"


def describe_template(view: TemplateView) -> Text:
    """Every field of a template, as text shown literally."""
    text = Text()
    text.append(f"{clean(view.description or view.template_id)}\n", "bold")
    _field(text, "Template id", view.template_id)
    _field(text, "ARN", view.arn)
    _field(text, "Region", view.region)
    _field(text, "Fault", view.fault)
    _field(text, "Role", view.role_arn)
    _field(text, "Longest duration", view.duration)
    _field(text, "Created", _iso(view.created_at))
    _field(text, "Updated", _iso(view.updated_at))
    if not view.detailed:
        text.append("⚠ GetExperimentTemplate failed: targets and actions unknown (see the pane's errors)\n")
    _list(text, "Actions", view.action_details or view.actions)
    _list(text, "Targets", view.target_details or view.targets)
    _list(text, "Resources", view.targets)
    _list(text, "Stop conditions", view.stop_conditions)
    _list(text, "Tags", tuple(f"{k} = {v}" for k, v in view.tags))
    text.append("\nShift+S starts an experiment from this template (asks first)\n", "dim")
    return text


def describe_experiment(view: ExperimentView, template_name: str, now: datetime) -> Text:
    """Every field of an experiment, as text shown literally."""
    text = Text()
    word, _role = STATUS_WORD.get(view.status, (f"? {view.status or 'unknown'}", "unknown"))
    text.append(f"{clean(view.experiment_id)}  {word}\n", "bold")
    _field(text, "Reason", view.reason)
    if view.error:
        _field(text, "Error", view.error)
    _field(text, "ARN", view.arn)
    _field(text, "Region", view.region)
    _field(text, "Template", f"{view.template_id} {template_name}".strip())
    _field(text, "Fault", view.fault)
    _field(text, "Target", view.target)
    _field(text, "Origin", view.origin)
    _field(text, "Role", view.role_arn)
    _field(text, "Created", _iso(view.created_at))
    _field(text, "Started", _iso(view.started_at))
    _field(text, "Ended", view.ended_at.isoformat() if view.ended_at is not None else "— (not ended)")
    _field(text, "Elapsed", elapsed(view, now))
    if not view.detailed:
        text.append("⚠ GetExperiment failed: times, actions and targets unknown (see the pane's errors)\n")
    _list(text, "Actions", view.action_details or view.actions)
    _list(text, "Targets", view.target_details)
    _list(text, "Resources", view.resources)
    _list(text, "Stop conditions", view.stop_conditions)
    _list(text, "Tags", tuple(f"{k} = {v}" for k, v in view.tags))
    if view.active and view.status != "stopping":
        text.append("\nShift+X stops this experiment (asks first)\n", "dim")
    return text


class FisDetailScreen(Dialog[None]):
    """Every field of one template or experiment; Esc closes."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,enter,q", "close", "Close"),
    ]

    DEFAULT_CSS = """
    FisDetailScreen > #dialog { max-width: 130; border: thick $primary; }
    """

    def __init__(self, title: str, body: Text) -> None:
        super().__init__()
        self.title_text = title
        self.body = body

    def compose_top(self) -> ComposeResult:
        yield Static(Text(self.title_text), classes="dialog--title")

    def compose_body(self) -> ComposeResult:
        yield Static(self.body, id="fis-detail-body")

    def prompt(self) -> str:
        return "Esc, Enter or q closes"

    def action_close(self) -> None:
        self.dismiss(None)


class FisScreen(PaneScreen[FisSnapshot]):
    """Experiment templates, and the experiments run from them."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "filter", "Filter", key_display="/", id="filter"),
        Binding("escape", "clear_filter", "Clear filter", show=False),
        Binding("tab", "switch_list", "Switch list", show=False),
        Binding("shift+tab", "switch_list", "Switch list", show=False),
        Binding("enter", "details", "Details", show=False),
        Binding("S", "start", "Start experiment", id="start"),
        Binding("X", "stop", "Stop experiment", id="stop"),
    ]

    PANE: ClassVar[str] = "fis"
    TITLE: ClassVar[str] = "Experiments"
    HELP: ClassVar[str] = (
        "AWS Fault Injection Service. The upper list holds the experiment templates: description, the "
        "warroom fault they inject (tag warroom:fault), their targets and actions. The lower list holds "
        "the experiments, under way first, then newest: status as a symbol and a word (● running, "
        "◌ pending, ■ stopping/stopped, ✓ completed, ✖ failed), template, fault, target, who started "
        "it (origin), start time (UTC) and end time or time elapsed. Tab switches between the lists, "
        "/ filters both, Enter shows every field of the row. Shift+S starts an experiment from the "
        "selected template, Shift+X stops the selected experiment; both show the exact FIS call and "
        "ask first, and read-only mode refuses them."
    )

    DEFAULT_CSS = """
    FisScreen #fis-summary { height: 1; padding: 0 1; color: $text-muted; }
    FisScreen #fis-errors { height: auto; max-height: 4; padding: 0 1; color: $warning; }
    FisScreen #fis-filter { display: none; height: 3; margin: 0 1; }
    FisScreen #fis-filter.-shown { display: block; }
    FisScreen .fis-title { height: 1; padding: 0 1; color: $accent; text-style: bold; }
    FisScreen #fis-templates { height: 2fr; }
    FisScreen #fis-experiments { height: 3fr; }
    FisScreen #fis-detail { height: 3; padding: 0 1; border-top: solid $primary 40%; }
    """

    def __init__(self, ctx: PaneContext, feed: Feed) -> None:
        super().__init__(ctx, feed)
        self.needle = ""
        self._template_columns = template_columns(120)
        self._experiment_columns = experiment_columns(120)
        self._follow: str | None = None
        self._counts = (0, 0)

    def compose(self) -> ComposeResult:
        yield from self.compose_header()
        with Vertical(classes="pane-body"):
            yield TextLine("waiting for the first poll…", id="fis-summary")
            yield Static("", id="fis-errors")
            yield Input(
                placeholder="filter: description, fault, target, action, status, tag", id="fis-filter"
            )
            yield TextLine("Templates", id="fis-templates-title", classes="fis-title")
            yield VirtualTable(self._template_columns, empty_text="no templates yet", id="fis-templates")
            yield TextLine("Experiments", id="fis-experiments-title", classes="fis-title")
            yield VirtualTable(
                self._experiment_columns, empty_text="no experiments yet", id="fis-experiments"
            )
            yield Static("", id="fis-detail")
        yield PaneFooter()

    # Textual calls every class's on_mount along the MRO: the base's starts the poll.
    def on_mount(self) -> None:
        self._templates_table.focus()

    def on_resize(self, event: object) -> None:
        if self._sync_columns():
            self._fill()

    def _sync_columns(self) -> bool:
        """Fit both tables' columns to the width, with ACCOUNT and REGION as the places watched
        need; whether they changed."""
        width, regions = self.size.width or 120, self.ctx.factory.regions
        accounts = several_accounts(self)
        templates = place_columns(
            template_columns, width, accounts=accounts, regions=regions, drops=("actions",)
        )
        experiments = place_columns(
            experiment_columns, width, accounts=accounts, regions=regions, drops=("started",)
        )
        if templates == self._template_columns and experiments == self._experiment_columns:
            return False
        self._template_columns, self._experiment_columns = templates, experiments
        self._templates_table.set_columns(templates)
        self._experiments_table.set_columns(experiments)
        return True

    # -- data ---------------------------------------------------------------------------------

    @property
    def _templates_table(self) -> VirtualTable:
        return self.query_one("#fis-templates", VirtualTable)

    @property
    def _experiments_table(self) -> VirtualTable:
        return self.query_one("#fis-experiments", VirtualTable)

    def show(self, snapshot: FisSnapshot) -> None:
        self._fill()
        errors = self.query_one("#fis-errors", Static)
        errors.update(api_errors_text(snapshot.errors))
        errors.display = bool(snapshot.errors)

    def show_problem(self, problem: AwsProblem) -> None:
        if self.snapshot is None:
            self.query_one("#fis-summary", TextLine).update(Text(f"⚠ {clean(problem.message)}"))
            errors = self.query_one("#fis-errors", Static)
            errors.update(Text(f"→ {clean(problem.hint)}") if problem.hint else Text(""))
            errors.display = bool(problem.hint)
            self._templates_table.empty_text = f"no data: {problem.message}"
            self._experiments_table.empty_text = f"no data: {problem.message}"

    def _names(self) -> dict[str, str]:
        if self.snapshot is None:
            return {}
        return {t.template_id: t.description for t in self.snapshot.templates if t.description}

    def visible_templates(self) -> list[TemplateView]:
        if self.snapshot is None:
            return []
        return [t for t in self.snapshot.templates if template_matches(t, self.needle)]

    def visible_experiments(self) -> list[ExperimentView]:
        if self.snapshot is None:
            return []
        names = self._names()
        return [e for e in self.snapshot.experiments if experiment_matches(e, self.needle, names)]

    def _fill(self) -> None:
        snapshot = self.snapshot
        if snapshot is None:
            return
        now = self.ctx.clock()
        names = self._names()
        templates = self.visible_templates()
        experiments = self.visible_experiments()
        t_table, e_table = self._templates_table, self._experiments_table
        if self.needle:
            t_table.empty_text = f"no template matches {self.needle!r}"
            e_table.empty_text = f"no experiment matches {self.needle!r}"
        else:
            t_table.empty_text = "no experiment templates in these regions"
            e_table.empty_text = "no experiments in these regions"
        self._sync_columns()
        accounts = account_names(self)
        t_rows = [template_row(t, self._template_columns) for t in templates]
        t_table.set_rows(fill_places(t_rows, self._template_columns, templates, accounts))
        e_rows = [experiment_row(e, self._experiment_columns, names, now) for e in experiments]
        e_table.set_rows(fill_places(e_rows, self._experiment_columns, experiments, accounts))
        if self._follow is not None and e_table.move_cursor_to_key(self._follow):
            self._follow = None
            e_table.focus()
        running = len(snapshot.running)
        line = (
            f"{len(snapshot.templates)} template(s) · {len(snapshot.experiments)} experiment(s) · "
            f"{running} under way"
        )
        if self.needle:
            line += f" · filter {self.needle!r}: {len(templates)} + {len(experiments)} shown"
        self.query_one("#fis-summary", TextLine).update(Text(line))
        self._counts = (len(templates), len(experiments))
        self._show_titles()
        self._show_detail()

    def _show_titles(self) -> None:
        templates, experiments = self._counts
        side = self._side()
        self.query_one("#fis-templates-title", TextLine).update(
            Text(f"{'▸' if side == TEMPLATES else ' '} Templates ({templates})")
        )
        self.query_one("#fis-experiments-title", TextLine).update(
            Text(f"{'▸' if side == EXPERIMENTS else ' '} Experiments ({experiments})")
        )

    def current_template(self) -> TemplateView | None:
        if self.snapshot is None:
            return None
        key = self._templates_table.cursor_key
        return next((t for t in self.snapshot.templates if f"{t.region}/{t.template_id}" == key), None)

    def current_experiment(self) -> ExperimentView | None:
        if self.snapshot is None:
            return None
        key = self._experiments_table.cursor_key
        return next((e for e in self.snapshot.experiments if f"{e.region}/{e.experiment_id}" == key), None)

    def _side(self) -> str:
        return EXPERIMENTS if self._experiments_table.body.has_focus else TEMPLATES

    def _show_detail(self) -> None:
        text = Text()
        if self._side() == EXPERIMENTS:
            experiment = self.current_experiment()
            if experiment is not None:
                word, _role = STATUS_WORD.get(experiment.status, (experiment.status or UNKNOWN, ""))
                text.append(clean(experiment.experiment_id), "bold")
                text.append(f"  {word} · {clean(experiment.reason or '—')}")
                if experiment.error:
                    text.append(f" · error {clean(experiment.error)}")
                keys = "Enter details · Shift+X stop" if experiment.active else "Enter details"
                text.append(f"\n{keys} · Tab templates")
        else:
            template = self.current_template()
            if template is not None:
                text.append(clean(template.description or template.template_id), "bold")
                text.append(f"  {clean(template.template_id)} · {template.region}")
                if template.stop_conditions:
                    text.append(f" · stops on {clean('; '.join(template.stop_conditions))}")
                text.append("\nEnter details · Shift+S start an experiment · Tab experiments")
        self.query_one("#fis-detail", Static).update(text)

    @on(VirtualTable.Highlighted)
    def _highlighted(self, event: VirtualTable.Highlighted) -> None:
        self._show_detail()

    @on(VirtualTable.Selected)
    def _selected(self, event: VirtualTable.Selected) -> None:
        event.stop()
        self._open_details(TEMPLATES if event.table.id == "fis-templates" else EXPERIMENTS)

    def on_descendant_focus(self, event: object) -> None:
        self._show_titles()
        self._show_detail()

    # -- keys ---------------------------------------------------------------------------------

    def action_switch_list(self) -> None:
        if self._side() == TEMPLATES:
            self._experiments_table.focus()
        else:
            self._templates_table.focus()

    def action_filter(self) -> None:
        box = self.query_one("#fis-filter", Input)
        box.add_class("-shown")
        box.focus()

    def action_clear_filter(self) -> None:
        box = self.query_one("#fis-filter", Input)
        if not box.has_class("-shown") and not self.needle:
            return
        box.value = ""
        box.remove_class("-shown")
        self.needle = ""
        self._fill()
        self._templates_table.focus()

    @on(Input.Changed, "#fis-filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self.needle = event.value
        self._fill()

    @on(Input.Submitted, "#fis-filter")
    def _filter_submitted(self, event: Input.Submitted) -> None:
        self._templates_table.focus()

    def action_details(self) -> None:
        self._open_details(self._side())

    def _open_details(self, side: str) -> None:
        if side == EXPERIMENTS:
            experiment = self.current_experiment()
            if experiment is None:
                return
            name = self._names().get(experiment.template_id, "")
            body = describe_experiment(experiment, name, self.ctx.clock())
            self.app.push_screen(FisDetailScreen(f"Experiment {experiment.experiment_id}", body))
        else:
            template = self.current_template()
            if template is None:
                return
            self.app.push_screen(
                FisDetailScreen(f"Template {template.template_id}", describe_template(template))
            )

    def action_start(self) -> None:
        template = self.current_template()
        if template is None or self.snapshot is None:
            self.notify("Pick a template first", severity="warning", timeout=3)
            return
        running = running_of(self.snapshot, template.template_id, template.region)
        plan = self._in_account(fis_actions.start_plan(template, running=running), template)

        def chosen(confirmed: bool | None) -> None:
            if confirmed:
                self.run_plan_worker(plan)

        self.app.push_screen(ConfirmScreen(plan, read_only=self.ctx.settings.read_only), chosen)

    def action_stop(self) -> None:
        experiment = self.current_experiment()
        if experiment is None:
            self.notify(
                "Pick an experiment first (Tab moves to the experiments)", severity="warning", timeout=3
            )
            return
        plan = self._in_account(fis_actions.stop_plan(experiment), experiment)

        def chosen(confirmed: bool | None) -> None:
            if confirmed:
                self.run_plan_worker(plan)

        self.app.push_screen(ConfirmScreen(plan, read_only=self.ctx.settings.read_only), chosen)

    def _in_account(self, plan: Plan, row: TemplateView | ExperimentView) -> Plan:
        """``plan`` acting in the account of the template or experiment it is about."""
        place = acting_place(reached_places(self, self.ctx), row.region, row.account_id)
        return acting_in(plan, place, row.account_id, row.region, account_names(self).get(row.account_id, ""))

    @work(group="fis-actions", exit_on_error=False)
    async def run_plan_worker(self, plan: Plan) -> None:
        runner = self.ctx.actions
        if runner is None:
            self.notify("Actions are not available in this console", severity="error")
            return
        try:
            result = await runner.execute(plan)
        except ReadOnlyRefusal:
            self.notify("Read-only mode: refused, nothing was called", severity="warning")
            return
        except PlanRefusal as refusal:
            self.notify(f"Refused: {clean(refusal)}", severity="warning", markup=False)
            return
        level = "info" if result.ok else "error"
        message = clean(result.message)
        self.ctx.record(ActivityEvent(self.ctx.clock(), self.TITLE, level, message))
        if not result.ok:
            self.notify(f"✖ {message}", severity="error", timeout=8, markup=False)
            return
        body = result.outputs[0].get("experiment") if result.outputs else None
        if isinstance(body, dict) and isinstance(body.get("id"), str):
            region = plan.calls[0].region
            self._follow = f"{region}/{body['id']}"
            self.notify(f"✓ {clean(plan.title)}: {clean(body['id'])}", timeout=5, markup=False)
        else:
            self.notify(f"✓ {clean(plan.title)}", timeout=5, markup=False)
        self.set_timer(1.0, self.feed.refresh)
