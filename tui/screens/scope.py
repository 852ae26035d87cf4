"""`A`: which accounts and regions the panes show, when the console watches several accounts.

All accounts in all regions, one account, or one region: the choice narrows what every pane polls
(fewer calls, not only fewer rows). An account that cannot be reached is listed with why, and
cannot be chosen. ``:account NAME`` and ``:region NAME`` choose the same from the jump prompt.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from tui.aws.scope import Place
from tui.screens.dialog import Dialog, DialogOptions
from widgets.safe import clean


@dataclass(frozen=True)
class Scope:
    """What the panes show: one account (its id) or every one, one region or every one."""

    account: str = ""
    region: str = ""

    @property
    def everything(self) -> bool:
        return not self.account and not self.region

    def keep(self, places: Iterable[Place]) -> tuple[Place, ...]:
        """The places in scope (every place when the scope leaves nothing)."""
        places = tuple(places)
        kept = tuple(
            p
            for p in places
            if (not self.account or p.account_id == self.account)
            and (not self.region or p.region == self.region)
        )
        return kept or places

    def words(self, names: dict[str, str]) -> str:
        """``payments-prod · us-east-1``, ``all accounts · eu-west-1``; "" for everything."""
        if self.everything:
            return ""
        account = names.get(self.account, self.account) if self.account else "all accounts"
        return f"{account} · {self.region or 'all regions'}"


@dataclass(frozen=True)
class AccountChoice:
    account_id: str
    label: str
    """``payments-prod (210987654321)``."""
    problem: str = ""
    """Why it cannot be reached ("" when it can)."""


def find_scope(
    query: str, accounts: Sequence[AccountChoice], regions: Sequence[str], current: Scope
) -> Scope | str:
    """``account NAME`` or ``region NAME`` (from ``:``) as a scope, or why not. "all" widens."""
    kind, _, name = query.strip().partition(" ")
    name = name.strip().lower()
    if kind not in ("account", "region") or not name:
        return "type :account NAME or :region NAME"
    if kind == "region":
        if name == "all":
            return Scope(current.account, "")
        found = [r for r in regions if r.lower() == name] or [
            r for r in regions if r.lower().startswith(name)
        ]
        if len(found) != 1:
            return f"no single watched region matches {name!r}: {', '.join(regions)}"
        return Scope(current.account, found[0])
    if name == "all":
        return Scope("", current.region)
    matches = [a for a in accounts if name in (a.account_id, a.label.lower())] or [
        a for a in accounts if name in a.label.lower()
    ]
    if len(matches) != 1:
        known = ", ".join(a.label for a in accounts)
        return f"no single watched account matches {name!r}: {known}"
    if matches[0].problem:
        return f"{matches[0].label} cannot be reached: {matches[0].problem}"
    return Scope(matches[0].account_id, current.region)


class ScopeScreen(Dialog[Scope | None]):
    """Returns the scope chosen, or None."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,n", "cancel", "Cancel", show=False),
    ]
    DEFAULT_CSS = """
    ScopeScreen > #dialog { max-width: 90; }
    ScopeScreen #scope-error { color: $error; }
    """

    def __init__(self, accounts: Sequence[AccountChoice], regions: Sequence[str], current: Scope) -> None:
        super().__init__()
        self.accounts = tuple(accounts)
        self.regions = tuple(regions)
        self.current = current
        self.choices: list[Scope | None] = []

    def compose_top(self) -> ComposeResult:
        yield Static("Scope: what the panes show", classes="dialog--title")

    def compose_bottom(self) -> ComposeResult:
        yield Static("", id="scope-error")

    def compose_frame_body(self) -> ComposeResult:
        options: list[Option] = []
        self.choices = []

        def add(text: str, scope: Scope | None, marked: bool = False) -> None:
            options.append(Option(("● " if marked else "  ") + clean(text), disabled=scope is None))
            self.choices.append(scope)

        add("All accounts · all regions", Scope(), self.current.everything)
        for account in self.accounts:
            if account.problem:
                add(f"{account.label}  ✖ {account.problem}", None)
            else:
                scope = Scope(account.account_id, self.current.region)
                add(f"{account.label}", scope, self.current.account == account.account_id)
        if len(self.regions) > 1:
            for region in self.regions:
                add(f"region {region}", Scope(self.current.account, region), self.current.region == region)
            if self.current.region:
                add("every region", Scope(self.current.account, ""))
        yield DialogOptions(*options, id="dialog-body")

    def prompt(self) -> str:
        return "Enter choose · ↑↓ move · Esc or n cancel · :account NAME, :region NAME from any pane"

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        scope = self.choices[event.option_index]
        if scope is None:
            self.query_one("#scope-error", Static).update(
                "that account cannot be reached: see why on its line"
            )
            return
        self.dismiss(scope)

    def action_cancel(self) -> None:
        self.dismiss(None)
