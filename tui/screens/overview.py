"""The overview pane: identity, then one row of service cards per watched region.

The Security Hub card reads the Findings feed (the Findings pane's own), never Security Hub: the
console keeps one GetFindings stream on the 3-calls-a-second quota, and the card's numbers are the
pane's default view (ACTIVE, workflow NEW or NOTIFIED). While the feed's first load runs, the card
says how far it has got.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Grid, VerticalScroll
from textual.message import Message
from textual.widgets import Static

from tui.aws import overview
from tui.aws.errors import AwsProblem
from tui.aws.findings import FindingsSnapshot
from tui.aws.findings_model import SEVERITIES, Finding, FindingFilter, apply_filter, severity_counts
from tui.aws.outcome import Outcome
from tui.aws.overview import (
    EbsCard,
    Ec2Card,
    KinesisCard,
    OverviewSnapshot,
    RegionOverview,
    SessionsCard,
)
from tui.context import PaneContext
from tui.feeds import Feed, FeedState, Update
from tui.screens.base import PaneFooter, PaneScreen
from widgets.card import Card, Row

CARDS = ("ec2", "ebs", "kinesis", "sessions", "findings")
POLLED_CARDS = ("ec2", "ebs", "kinesis", "sessions")
"""The cards the Overview's own poll fills (the findings card follows the Findings feed)."""
FINDINGS_FEED = "findings"
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


RENDERERS: dict[str, Any] = {
    "ec2": ec2_rows,
    "ebs": ebs_rows,
    "kinesis": kinesis_rows,
    "sessions": sessions_rows,
}


@dataclass(frozen=True)
class FindingsCardView:
    """What the Security Hub card of one region shows."""

    rows: tuple[Row, ...] = ()
    problem: str = ""
    hint: str = ""


def open_findings(snapshot: FindingsSnapshot) -> list[Finding]:
    """The findings the Findings pane shows in its default view: ACTIVE, workflow NEW or NOTIFIED."""
    return apply_filter(snapshot.findings, FindingFilter())


def findings_card(
    region: str,
    snapshot: FindingsSnapshot | None,
    open_: Sequence[Finding],
    *,
    loading: tuple[int, int] | None = None,
    problem: AwsProblem | None = None,
) -> FindingsCardView:
    """The Security Hub card of ``region`` from the Findings feed: the last whole poll's ``snapshot``
    and its ``open_`` findings (``open_findings``), the progress of a first load under way, and the
    problem of the last poll when it failed.

    The hub region's card counts every open finding of the feed, as the Findings pane does (with
    cross-region aggregation that includes the linked regions); another watched region's counts the
    feed's findings of that region, and says where they come from."""
    if snapshot is None:
        if problem is not None:
            return FindingsCardView(problem=problem.message, hint=problem.hint)
        if loading is None:
            return FindingsCardView(rows=(("loading findings…", "starting"),))
        pages, found = loading
        return FindingsCardView(
            rows=(("loading findings…", f"{found:,} so far"), ("pages read", f"{pages:,}"))
        )
    hub = snapshot.region
    mine = open_ if region == hub else [f for f in open_ if f.region == region]
    stale, fix = (f"stale: {problem.message}", problem.hint) if problem is not None else ("", "")
    if region != hub and not mine:
        return FindingsCardView(
            problem=stale or f"the findings are read from the {hub} hub; none is from {region}",
            hint=fix or f"with cross-region aggregation in {hub}, this region's findings count here",
        )
    counts = severity_counts(mine)
    rows: list[Row] = [(label.lower(), f"{counts.get(label, 0):,}") for label in SEVERITIES]
    rows.append(("total", f"{len(mine):,}"))
    if region != hub:
        rows.append(("read from", f"the {hub} hub"))
    else:
        regions = Counter(f.region for f in mine)
        if len(regions) > 1:
            rows.append(("regions", f"{len(regions)} (aggregated)"))
    return FindingsCardView(rows=tuple(rows), problem=stale, hint=fix)


class OverviewScreen(PaneScreen[OverviewSnapshot]):
    """Identity and a card per service and region; the Security Hub card follows the Findings feed."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j", "scroll(1)", "Down", show=False),
        Binding("k", "scroll(-1)", "Up", show=False),
    ]

    PANE: ClassVar[str] = "overview"
    TITLE: ClassVar[str] = "Overview"
    HELP: ClassVar[str] = (
        "Who you are, and what runs in each watched region. The Security Hub card counts the open "
        "findings (ACTIVE, workflow NEW or NOTIFIED) of the Findings pane (4), from its feed."
    )

    class FindingsFed(Message):
        """An update from the Findings feed; a newer one's progress replaces an older one's."""

        def __init__(self, update: Update) -> None:
            super().__init__()
            self.update = update

        def can_replace(self, message: Message) -> bool:
            return (
                self.update.kind == "progress"
                and isinstance(message, OverviewScreen.FindingsFed)
                and message.update.kind == "progress"
            )

    def __init__(self, ctx: PaneContext, feed: Feed) -> None:
        super().__init__(ctx, feed)
        self.findings_feed: Feed | None = ctx.pane_feed(FINDINGS_FEED)
        """The Findings pane's feed, which the Security Hub card reads (None: there is none)."""
        self._open_of: tuple[int, int] = (-1, -1)
        self._open: list[Finding] = []
        self._stop_findings: Callable[[], None] | None = None

    def compose(self) -> ComposeResult:
        yield from self.compose_header()
        with VerticalScroll(classes="pane-body"):
            yield Card("Identity", id="identity", compact=True)
            accounts = Static("", id="overview-accounts")
            accounts.display = False  # shown when other accounts are watched
            yield accounts
            for region in self.ctx.factory.regions:
                yield Static(f"▍{region}", classes="region-title")
                with Grid(classes="cards"):
                    for key in CARDS:
                        yield Card(CARD_TITLES[key], id=self._card_id(region, key))
        yield PaneFooter()

    @staticmethod
    def _card_id(region: str, key: str) -> str:
        return f"card-{region}-{key}"

    def on_mount(self) -> None:
        # PaneScreen's own on_mount follows the Overview feed (Textual calls each class's handler).
        if self.findings_feed is None:
            for card in self._findings_cards():
                card.problem = "no Findings feed here"
                card.hint = "the findings are counted in the Findings pane's feed"
            return
        self._stop_findings = self.findings_feed.subscribe(self._findings_update)
        # The card's data: the Findings feed runs while the Overview is shown, even if its pane
        # was never opened (its first load, most severe first, then one call a refresh).
        self.findings_feed.start()

    def on_unmount(self) -> None:
        if self._stop_findings is not None:
            self._stop_findings()
            self._stop_findings = None

    def _findings_update(self, update: Update) -> None:
        self.post_message(self.FindingsFed(update))

    @on(FindingsFed)
    def _on_findings_fed(self, message: FindingsFed) -> None:
        message.stop()
        self.show_findings(message.update.state)

    def _findings_cards(self) -> list[Card]:
        return [self.query_one(f"#{self._card_id(r, 'findings')}", Card) for r in self.ctx.factory.regions]

    def show_findings(self, state: FeedState) -> None:
        """Fill every region's Security Hub card from the Findings feed's state."""
        snapshot: FindingsSnapshot | None = state.snapshot
        if snapshot is not None and snapshot.loading:
            snapshot = None
        if snapshot is not None:
            stamp = (id(snapshot.findings), snapshot.version)
            if stamp != self._open_of:
                self._open, self._open_of = open_findings(snapshot), stamp
        for region in self.ctx.factory.regions:
            view = findings_card(
                region,
                snapshot,
                self._open if snapshot is not None else (),
                loading=state.loading,
                problem=state.error,
            )
            card = self.query_one(f"#{self._card_id(region, 'findings')}", Card)
            card.rows, card.problem, card.hint = view.rows, view.problem, view.hint

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
        home = snapshot.identity.account if snapshot.identity is not None else ""
        others = []
        for region in snapshot.regions:
            if region.account_id in ("", home) and region.region in self.ctx.factory.regions:
                self._show_region(region)
            else:
                others.append(region)
        self._show_accounts(others)

    def show_problem(self, problem: AwsProblem) -> None:
        # With data on screen the status line marks it stale; with none, every card says why.
        if self.snapshot is None:
            for card in self.query(Card):
                if not (card.id or "").endswith("-findings"):
                    card.problem, card.hint = problem.message, problem.hint

    def _show_accounts(self, regions: list[RegionOverview]) -> None:
        """One row per other account and region, the worst signal first, and one per account that
        cannot be reached (the cards below are the credential's own account's)."""
        box = self.query_one("#overview-accounts", Static)
        view = getattr(self.app, "accounts_view", None)
        failing = view.failures() if view is not None else ()
        if not regions and not failing:
            box.update("")
            box.display = False
            return
        rows = [account_row(r) for r in regions]
        for row in failing:
            problem = next((r.problem for r in row.reaches if r is not None and r.problem), None)
            reason = problem.message if problem else "cannot be reached"
            rows.append(unreachable_row(row.account.label, reason))
        rows.sort(key=lambda r: (-r.rank, r.cells[0]))
        table = Table(box=None, padding=(0, 1), expand=True, show_edge=False, header_style="bold")
        # Narrow, the account, its region, its instances and its signal; wide, every column.
        shown = [i for i, t in enumerate(ACCOUNT_COLUMNS) if self.size.width >= 110 or t in NARROW_COLUMNS]
        for i in shown:
            title = ACCOUNT_COLUMNS[i]
            table.add_column(title, no_wrap=True, overflow="ellipsis", ratio=1 if title == "SIGNAL" else None)
        for row in rows:
            style = self.app.theme_variables.get("error") if row.rank >= 2 else None
            table.add_row(*(row.cells[i] for i in shown), style=style or None)
        box.display = True
        box.update(Group(Text(f"▍Accounts · {len(rows)} rows, the worst first", style="bold"), table))

    def _show_region(self, region: RegionOverview) -> None:
        for key in POLLED_CARDS:
            outcome: Outcome[Any] = getattr(region, key)
            card = self.query_one(f"#{self._card_id(region.region, key)}", Card)
            if outcome.problem is not None:
                card.problem, card.hint = outcome.problem.message, outcome.problem.hint
            elif outcome.value is not None:
                card.problem = card.hint = ""
                card.rows = RENDERERS[key](outcome.value)


ACCOUNT_COLUMNS = ("ACCOUNT", "REGION", "EC2", "EBS", "KINESIS", "SSM NODES", "SIGNAL")
NARROW_COLUMNS = frozenset({"ACCOUNT", "REGION", "EC2", "SIGNAL"})


@dataclass(frozen=True)
class AccountRow:
    cells: tuple[str, ...]
    rank: int
    """2: cannot be read, 1: a warning, 0: quiet."""


def unreachable_row(label: str, reason: str) -> AccountRow:
    return AccountRow((label, "—", "—", "—", "—", "—", f"✖ cannot be reached: {reason}"), 2)


def account_row(region: RegionOverview) -> AccountRow:
    """Another account's region in one line: what runs there, and its worst signal."""
    signals: list[tuple[int, str]] = []

    def cell(outcome: Outcome[Any], text: Callable[[Any], str], what: str) -> str:
        if outcome.problem is not None:
            signals.append((2, f"✖ {what}: {outcome.problem.message}"))
            return "?"
        return text(outcome.value) if outcome.value is not None else "…"

    def ec2(card: Ec2Card) -> str:
        return f"{card.states.get('running', 0)} running" + (
            f" · {card.states.get('stopped', 0)} stopped" if card.states.get("stopped") else ""
        )

    def ebs(card: EbsCard) -> str:
        if card.unattached:
            signals.append((1, f"⚠ {card.unattached} unattached volume{'s' * (card.unattached != 1)}"))
        return f"{card.volumes}" + (f" · {card.unattached} ⚠" if card.unattached else "")

    def kinesis(card: KinesisCard) -> str:
        return f"{card.streams} · {card.open_shards} shards"

    def ssm(card: SessionsCard) -> str:
        lost = sum(n for ping, n in card.by_ping.items() if ping != "Online")
        if lost:
            signals.append((1, f"⚠ {lost} node{'s' * (lost != 1)} not Online"))
        return f"{card.by_ping.get('Online', 0)} online" + (f" · {lost} lost" if lost else "")

    cells = (
        region.account_name or region.account_id,
        region.region,
        cell(region.ec2, ec2, "EC2"),
        cell(region.ebs, ebs, "EBS"),
        cell(region.kinesis, kinesis, "Kinesis"),
        cell(region.sessions, ssm, "SSM"),
    )
    signals.sort(key=lambda s: -s[0])
    worst = signals[0] if signals else (0, "✓ quiet")
    return AccountRow((*cells, worst[1]), worst[0])
