"""What the list panes share: the `/` filter typed into an input over the table, and the `s` sort."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any, ClassVar

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
from widgets.vtable import Column, TableRow, VirtualTable


class FilteredList:
    """Mixed into a pane with an Input ``#{FILTER_ID}`` over a VirtualTable. The pane provides
    ``_fill()`` (redraw the rows) and ``sort_choices()`` ((key, words) of each order ``s`` cycles)."""

    FILTER_ID: ClassVar[str] = ""
    needle: str
    sort: int
    _columns: tuple[Column, ...]

    def columns_for(self, width: int) -> tuple[Column, ...]:
        """The table's columns at ``width`` cells."""
        return self._columns

    # Textual calls every class's on_mount along the MRO: the pane's own starts its poll.
    def on_mount(self) -> None:
        screen: Any = self
        screen.query_one(VirtualTable).focus()

    def on_resize(self, event: events.Resize) -> None:
        columns = account_columns(self.columns_for(event.size.width), several_accounts(self))
        if columns != self._columns:
            screen: Any = self
            self._columns = columns
            screen.query_one(VirtualTable).set_columns(columns)
            screen._fill()

    # -- the ACCOUNT column, when the console watches several accounts ----------------------------

    def sync_account_column(self) -> None:
        """Show or hide the ACCOUNT column as the accounts watched change (call before the rows)."""
        several = several_accounts(self)
        if several == any(c is ACCOUNT_COLUMN for c in self._columns):
            return
        screen: Any = self
        self._columns = account_columns(self.columns_for(screen.size.width or 120), several)
        screen.query_one(VirtualTable).set_columns(self._columns)

    def with_accounts(self, rows: list[TableRow], account_ids: Sequence[str]) -> list[TableRow]:
        """``rows`` with each ACCOUNT cell filled with its account's name (or id)."""
        at = next((i for i, c in enumerate(self._columns) if c.key == "account"), None)
        if at is None:
            return rows
        names = account_names(self)
        out = []
        for row, account in zip(rows, account_ids, strict=True):
            cells = list(row.cells)
            cells[at] = clean(names.get(account, account))
            out.append(dataclasses.replace(row, cells=tuple(cells)))
        return out

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


def account_columns(columns: tuple[Column, ...], several: bool) -> tuple[Column, ...]:
    """``columns`` with ACCOUNT after the first when ``several`` accounts are watched (a list with an
    account column of its own, as Findings has, keeps it as it is)."""
    plain = tuple(c for c in columns if c is not ACCOUNT_COLUMN)
    if not several or not plain or any(c.key == "account" for c in plain):
        return plain
    return (plain[0], ACCOUNT_COLUMN, *plain[1:])
