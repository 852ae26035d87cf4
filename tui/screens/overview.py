"""The overview pane: identity, then one row of service cards per watched region."""

from __future__ import annotations

from typing import Any, ClassVar

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Grid, VerticalScroll
from textual.widgets import Static

from tui.aws import overview
from tui.aws.errors import AwsProblem
from tui.aws.outcome import Outcome
from tui.aws.overview import (
    EbsCard,
    Ec2Card,
    FindingsCard,
    KinesisCard,
    OverviewSnapshot,
    RegionOverview,
    SessionsCard,
)
from tui.screens.base import PaneFooter, PaneScreen
from widgets.card import Card, Row

CARDS = ("ec2", "ebs", "kinesis", "sessions", "findings")
CARD_TITLES = {
    "ec2": "EC2 instances",
    "ebs": "EBS volumes",
    "kinesis": "Kinesis streams",
    "sessions": "Session Manager nodes",
    "findings": "Security Hub (active, open)",
}


def _gib(total: int) -> str:
    return f"{total / 1024:.1f} TiB" if total >= 1024 else f"{total} GiB"


def ec2_rows(card: Ec2Card) -> tuple[Row, ...]:
    order = ("running", "pending", "stopping", "stopped", "shutting-down", "terminated")
    rows: list[Row] = [(state, str(card.states[state])) for state in order if card.states.get(state)]
    rows += [(s, str(n)) for s, n in sorted(card.states.items()) if s not in order]
    if not rows:
        rows.append(("instances", "none"))
    used = "unknown (an instance type's vCPUs)" if card.standard_vcpus is None else str(card.standard_vcpus)
    quota = card.vcpu_quota
    if quota.value is not None and card.standard_vcpus is not None:
        pct = 100 * card.standard_vcpus / quota.value if quota.value else 0.0
        rows.append(("std vCPU", f"{used}/{quota.value:g} {pct:.0f}%"))
    elif quota.problem is not None:
        rows.append(("std vCPU", f"{used} / quota unknown: {quota.problem.code or quota.problem.kind}"))
    else:
        rows.append(("std vCPU", used))
    return tuple(rows)


def ebs_rows(card: EbsCard) -> tuple[Row, ...]:
    rows: list[Row] = [("volumes", str(card.volumes)), ("capacity", _gib(card.total_gib))]
    rows.append(("unattached", f"{card.unattached} ⚠" if card.unattached else "0"))
    rows += [(f"  {vtype}", str(n)) for vtype, n in card.by_type.items()]
    return tuple(rows)


def kinesis_rows(card: KinesisCard) -> tuple[Row, ...]:
    return (
        ("streams", str(card.streams)),
        ("open shards", str(card.open_shards)),
        ("consumers (EFO)", str(card.consumers)),
    )


def sessions_rows(card: SessionsCard) -> tuple[Row, ...]:
    rows: list[Row] = []
    for status, mark in (("Online", "●"), ("ConnectionLost", "⚠"), ("Inactive", "○")):
        if status in card.by_ping:
            rows.append((f"{mark} {status}", str(card.by_ping[status])))
    rows += [
        (s, str(n)) for s, n in card.by_ping.items() if s not in {"Online", "ConnectionLost", "Inactive"}
    ]
    if not rows:
        rows.append(("managed nodes", "none"))
    rows.append(("hybrid (mi-)", str(card.hybrid)))
    return tuple(rows)


def findings_rows(card: FindingsCard) -> tuple[Row, ...]:
    rows: list[Row] = [(label.lower(), str(n)) for label, n in card.by_severity.items()]
    rows.append(("total", f"{card.total}+" if card.capped else str(card.total)))
    return tuple(rows)


RENDERERS: dict[str, Any] = {
    "ec2": ec2_rows,
    "ebs": ebs_rows,
    "kinesis": kinesis_rows,
    "sessions": sessions_rows,
    "findings": findings_rows,
}


class OverviewScreen(PaneScreen[OverviewSnapshot]):
    """Identity and a card per service and region."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j", "scroll(1)", "Down", show=False),
        Binding("k", "scroll(-1)", "Up", show=False),
    ]

    PANE: ClassVar[str] = "overview"
    TITLE: ClassVar[str] = "Overview"
    HELP: ClassVar[str] = "Who you are, and what runs in each watched region."

    def compose(self) -> ComposeResult:
        yield from self.compose_header()
        with VerticalScroll(classes="pane-body"):
            yield Card("Identity", id="identity", compact=True)
            for region in self.ctx.factory.regions:
                yield Static(f"▍{region}", classes="region-title")
                with Grid(classes="cards"):
                    for key in CARDS:
                        yield Card(CARD_TITLES[key], id=self._card_id(region, key))
        yield PaneFooter()

    @staticmethod
    def _card_id(region: str, key: str) -> str:
        return f"card-{region}-{key}"

    def on_resize(self, event: events.Resize) -> None:
        # Three cards a row where they fit at least 36 columns each, otherwise two.
        columns = 3 if event.size.width >= 112 else 2
        for grid in self.query(".cards"):
            grid.styles.grid_size_columns = columns

    def action_scroll(self, lines: int) -> None:
        self.query_one(VerticalScroll).scroll_relative(y=lines, animate=False)

    async def fetch(self) -> OverviewSnapshot:
        return await overview.poll(self.ctx.factory)

    def show(self, snapshot: OverviewSnapshot) -> None:
        identity = self.query_one("#identity", Card)
        if snapshot.identity is not None:
            target = self.ctx.settings.target
            rows: list[Row] = [
                ("account", snapshot.identity.account),
                ("principal", snapshot.identity.principal),
            ]
            if target.endpoint_url:
                rows.append(("endpoint", target.endpoint_url))
            rows.append(("mode", "read-only" if self.ctx.settings.read_only else "read-write"))
            identity.rows = tuple(rows)
            identity.problem = ""
        for region in snapshot.regions:
            self._show_region(region)

    def show_problem(self, problem: AwsProblem) -> None:
        # With data on screen the status line marks it stale; with none, every card says why.
        if self.snapshot is None:
            for card in self.query(Card):
                card.problem, card.hint = problem.message, problem.hint

    def _show_region(self, region: RegionOverview) -> None:
        for key in CARDS:
            outcome: Outcome[Any] = getattr(region, key)
            card = self.query_one(f"#{self._card_id(region.region, key)}", Card)
            if outcome.problem is not None:
                card.problem, card.hint = outcome.problem.message, outcome.problem.hint
            elif outcome.value is not None:
                card.problem = card.hint = ""
                card.rows = RENDERERS[key](outcome.value)
