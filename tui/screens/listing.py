"""What the list panes share: the `/` filter typed into an input over the table, the `s` sort, and
the ACCOUNT and REGION columns that say where each row is when the console watches several.

Where a row is: ACCOUNT (the account's name, or its id) follows the row's first column when several
accounts are watched, and REGION (the region's full name) follows it when the panes poll more than
one region. They take room the pane's own columns had: the pane is asked for its columns at the width
left to it (its narrower set), and on a narrow screen gives up the fewest of the columns it names
in ``PLACE_DROPS`` (least valued first) that let the line fit; a list that has an ACCOUNT or REGION
column of its own (Findings) keeps it where it is.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import Any, ClassVar, Protocol

from rich.text import Text
from textual import events
from textual.app import App
from textual.color import Color
from textual.widgets import Input

from tui.aws.outcome import ApiError
from tui.aws.scope import Place, acting_places
from tui.context import PaneContext
from widgets.header import HeaderBar
from widgets.safe import clean
from widgets.vtable import MARKER_WIDTH, Column, TableRow, VirtualTable


class FilteredList:
    """Mixed into a pane with an Input ``#{FILTER_ID}`` over a VirtualTable. The pane provides
    ``_fill()`` (redraw the rows) and ``sort_choices()`` ((key, words) of each order ``s`` cycles)."""

    FILTER_ID: ClassVar[str] = ""
    PLACE_DROPS: ClassVar[tuple[str, ...]] = ()
    """The keys of the pane's columns it may give up when ACCOUNT and REGION need room on a narrow
    screen, least valued first: each is kept before all those listed before it together."""
    needle: str
    sort: int
    _columns: tuple[Column, ...]

    def columns_for(self, width: int) -> tuple[Column, ...]:
        """The table's columns at ``width`` cells."""
        return self._columns

    def row_regions(self) -> Sequence[str]:
        """The regions the rows may be in: those the panes poll now (a pane whose rows follow no
        scope says its own)."""
        return watched_regions(self)

    def shown_columns(self, width: int) -> tuple[Column, ...]:
        """The columns at ``width`` cells with ACCOUNT and REGION as the places watched need."""
        return place_columns(
            self.columns_for,
            width,
            accounts=several_accounts(self),
            regions=self.row_regions(),
            drops=self.PLACE_DROPS,
        )

    # Textual calls every class's on_mount along the MRO: the pane's own starts its poll.
    def on_mount(self) -> None:
        screen: Any = self
        screen.query_one(VirtualTable).focus()

    def on_resize(self, event: events.Resize) -> None:
        columns = self.shown_columns(event.size.width)
        if columns != self._columns:
            screen: Any = self
            self._columns = columns
            screen.query_one(VirtualTable).set_columns(columns)
            screen._fill()

    # -- the ACCOUNT and REGION columns, when the console watches several -------------------------

    def sync_account_column(self) -> None:
        """Show or hide the ACCOUNT and REGION columns as the accounts and regions watched change
        (call before the rows)."""
        screen: Any = self
        columns = self.shown_columns(screen.size.width or 120)
        if columns != self._columns:
            self._columns = columns
            screen.query_one(VirtualTable).set_columns(columns)

    def with_places(self, rows: list[TableRow], items: Sequence[Placed]) -> list[TableRow]:
        """``rows`` (one per item) with their ACCOUNT and REGION cells filled from ``items``."""
        return fill_places(rows, self._columns, items, account_names(self))

    def account_matches(self, account_id: str) -> bool:
        """Whether the filter typed names ``account_id``'s account (part of its name or id), when
        several accounts are watched: `/payments-prod` keeps that account's rows."""
        needle = self.needle.strip().lower()
        if not needle or not several_accounts(self):
            return False
        name = account_names(self).get(account_id, account_id)
        return needle in name.lower() or (bool(account_id) and needle in account_id)

    def action_filter(self) -> None:
        screen: Any = self
        box = screen.query_one(f"#{self.FILTER_ID}", Input)
        box.add_class("-shown")
        box.focus()

    def action_clear_filter(self) -> None:
        screen: Any = self
        box = screen.query_one(f"#{self.FILTER_ID}", Input)
        if not box.has_class("-shown") and not self.needle:
            return
        box.value = ""
        box.remove_class("-shown")
        self.needle = ""
        screen._fill()
        screen.query_one(VirtualTable).focus()

    # Named handlers, not @on: Textual collects decorated handlers only on its own classes.
    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == self.FILTER_ID:
            self.needle = event.value
            pane: Any = self
            pane._fill()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == self.FILTER_ID:
            screen: Any = self
            screen.query_one(VirtualTable).focus()

    def action_sort(self) -> None:
        screen: Any = self
        choices: Sequence[tuple[str, str]] = screen.sort_choices()
        self.sort = (self.sort + 1) % len(choices)
        screen._fill()
        screen.notify(f"Sorted {choices[self.sort][1]}", timeout=2)


def sync_detail_header(screen: Any, ctx: PaneContext, pane: str) -> None:
    """Give a drill-in screen's header what the pane's own header shows."""
    app = screen.app
    header = screen.query_one(HeaderBar)
    header.account = getattr(app, "account", "")
    header.identity_problem = getattr(app, "identity_problem", "")
    header.profile = ctx.factory.profile_in_use() or ""
    header.regions = ctx.factory.regions
    header.demo = ctx.settings.demo
    header.read_only = ctx.settings.read_only
    header.pane = pane


def api_errors_text(errors: Sequence[ApiError], *, regions: bool = True) -> Text:
    """A poll's failed APIs, one line each: what failed, where, why, and what to do."""
    text = Text()
    for n, err in enumerate(errors):
        if n:
            text.append("\n")
        where = f" ({err.region})" if regions and err.region else ""
        text.append(f"⚠ {err.api}{where}: {clean(err.message)}")
        if err.hint:
            text.append(f" → {clean(err.hint)}")
    return text


def theme_rgb(app: App[Any], name: str) -> tuple[int, int, int]:
    """A theme variable's colour for plotext, which takes RGB triples (colours stay in the theme)."""
    value = app.theme_variables.get(name) or app.theme_variables.get("foreground") or "white"
    r, g, b = Color.parse(value).rgb
    return (r, g, b)


ACCOUNT_COLUMN = Column("account", "ACCOUNT", 14)
REGION_TITLE = "REGION"
SCROLLBAR_WIDTH = 2
"""Cells a table's vertical scrollbar takes (a long list has one)."""


class Placed(Protocol):
    """A row's item: it says where it is."""

    @property
    def account_id(self) -> str: ...

    @property
    def region(self) -> str: ...


def region_column(regions: Sequence[str]) -> Column:
    """REGION, as wide as the longest region name watched."""
    return Column("region", REGION_TITLE, max(len(REGION_TITLE), *(len(r) for r in regions)))


def watched_regions(screen: object) -> tuple[str, ...]:
    """The regions the panes poll now (in scope), in order."""
    ctx = getattr(screen, "ctx", None)
    factory = getattr(ctx, "factory", None)
    if factory is None:
        return ()
    return tuple(dict.fromkeys(place.region for place in factory.places))


def several_accounts(screen: object) -> bool:
    """Whether the console watches more than the credential's own account."""
    app = getattr(screen, "app", None)
    view = getattr(app, "accounts_view", None)
    return view is not None and not view.single and len(view.rows) > 1


def account_names(screen: object) -> dict[str, str]:
    """Account id -> its name (the id when it has none), for the accounts watched."""
    view = getattr(getattr(screen, "app", None), "accounts_view", None)
    if view is None:
        return {}
    names = {row.account.id: row.account.name or row.account.id for row in view.rows}
    if view.home is not None:
        # Rows read before the accounts were known carry "" for the credential's own account.
        names[""] = names.get(view.home.id, view.home.id)
    return names


def account_label(screen: object, account_id: str) -> str:
    """How a detail view names the account of what it shows, with several accounts watched
    (``ledger-prod 345678901234``); "" with one."""
    if not several_accounts(screen):
        return ""
    name = account_names(screen).get(account_id, account_id)
    return clean(f"{name} {account_id}" if account_id and account_id != name else name)


def where(screen: object, account_id: str, region: str) -> str:
    """A row's region, after its account's name when several accounts are watched."""
    label = account_label(screen, account_id)
    return f"{label} {region}" if label else region


def reached_places(screen: object, ctx: PaneContext) -> tuple[Place, ...]:
    """Every place the console reaches, whatever the scope shown (an action on a row still on
    screen after the scope narrowed acts in its account): the accounts' places, else the factory's."""
    view = getattr(getattr(screen, "app", None), "accounts_view", None)
    places = view.places() if view is not None else ()
    return acting_places(places or ctx.factory.places, ctx.settings.remediation_role)


def fits(columns: Sequence[Column], width: int) -> bool:
    """Whether ``columns`` fit a table on a screen ``width`` cells wide, scrollbar included."""
    return MARKER_WIDTH + sum(c.width for c in columns) + len(columns) - 1 <= width - SCROLLBAR_WIDTH


def with_place_columns(
    columns: tuple[Column, ...], *, accounts: bool, regions: Sequence[str]
) -> tuple[Column, ...]:
    """``columns`` with ACCOUNT after the first when several ``accounts`` are watched, and REGION
    after the account's column (or the first) when several ``regions`` are; a list with an ACCOUNT
    or REGION column of its own keeps it as it is."""
    if not columns:
        return columns
    out = list(columns)
    keys = {c.key for c in columns}
    if accounts and "account" not in keys:
        out.insert(1, ACCOUNT_COLUMN)
    if len(regions) > 1 and "region" not in keys:
        after = next((i for i, c in enumerate(out) if c.key == "account"), 0)
        out.insert(after + 1, region_column(regions))
    return tuple(out)


def place_columns(
    columns_for: Callable[[int], tuple[Column, ...]],
    width: int,
    *,
    accounts: bool,
    regions: Sequence[str],
    drops: Sequence[str] = (),
) -> tuple[Column, ...]:
    """A pane's columns (``columns_for(width)``) with ACCOUNT and REGION as ``accounts`` and
    ``regions`` need, fitted to ``width``. When the pane's own do not leave them room: the pane's
    columns for the width left, less the fewest of ``drops`` that lets the line fit, where each
    column is kept before all those listed before it together (all of them when nothing fits)."""
    own = columns_for(width)
    shown = with_place_columns(own, accounts=accounts, regions=regions)
    if len(shown) == len(own) or fits(shown, width):
        return shown
    room = sum(c.width + 1 for c in shown) - sum(c.width + 1 for c in own)
    shown = with_place_columns(columns_for(width - room), accounts=accounts, regions=regions)
    keys = {c.key for c in shown}
    present = [key for key in dict.fromkeys(drops) if key in keys]
    # Counting up in binary (bit i: give up present[i]) tries the cheapest sets first.
    for chosen in range(1 << len(present)):
        gone = {key for bit, key in enumerate(present) if chosen >> bit & 1}
        kept = tuple(c for c in shown if c.key not in gone)
        if fits(kept, width):
            return kept
    return tuple(c for c in shown if c.key not in present)


def fill_places(
    rows: list[TableRow], columns: Sequence[Column], items: Sequence[Placed], names: dict[str, str]
) -> list[TableRow]:
    """``rows`` (one per item) with their ACCOUNT cell (the account's name in ``names``, else its id)
    and REGION cell filled from ``items``; the rows themselves when ``columns`` have neither."""
    account_at = next((i for i, c in enumerate(columns) if c.key == "account"), None)
    region_at = next((i for i, c in enumerate(columns) if c.key == "region"), None)
    if account_at is None and region_at is None:
        return rows
    out = []
    for row, item in zip(rows, items, strict=True):
        cells = list(row.cells)
        cells += [""] * (len(columns) - len(cells))
        if account_at is not None:
            cells[account_at] = clean(names.get(item.account_id, item.account_id))
        if region_at is not None:
            cells[region_at] = item.region
        out.append(dataclasses.replace(row, cells=tuple(cells)))
    return out
