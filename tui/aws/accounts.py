"""Which accounts the console watches, and how it reaches each one.

Where the accounts come from, the first that answers:

1. AWS Organizations, when asked for (``--org``, or ``read = true`` under ``[organization]`` in the
   config file) and the caller may read it (the management account or a delegated administrator):
   ListAccounts, every page, names included. ACTIVE accounts are watched; SUSPENDED (closed) and
   other inactive ones are listed as unreachable, with that reason. The config file's ``[[accounts]]``
   entries of the same ids say how to reach them (their role or profile); entries of other ids are
   added.
2. The config file's ``[[accounts]]`` list (id, name, and a role to assume or a profile to use), when
   the organization is not asked for or cannot be read (why is in ``AccountsView.notes``). The
   credential's own account is watched too.
3. The credential's own account alone: the console as it was before it watched several, with no call
   beyond the one sts:GetCallerIdentity that names the account (none when ``identity`` is given).

``--accounts ID,NAME`` (``watch`` under ``[organization]``) keeps only those accounts; an id known
from neither 1 nor 2 is added, reached through the default role.

How each is reached: the credential's own account directly; another with its entry's profile
(``ClientFactory.client(profile=...)``), else by assuming its entry's role, a role name or ARN, or the
organization-wide default, ``warroom-readonly`` (``ClientFactory.client(role_arn=...)``, the same
assumed-role credentials that remediation uses).

Each (account, region) is checked once, with sts:GetCallerIdentity as the account in that region, and
the answer kept; a failure is checked again when asked after a backoff (30 s, doubling, at most 15
minutes), never sooner. A failure is ``tui.aws.errors.classify``'s ``AwsProblem`` told in the account's
words, with what to do: a role missing or not trusting the caller, an explicit deny of a service
control policy, a region not enabled in the account, credentials rejected or expired, throttling.
In the one-account default nothing is checked: the account is reached as it always was.

The API the panes use (no Textual; every call on the console's event loop)::

    directory = AccountDirectory(factory, settings.accounts, identity=identity)
    view = await directory.load()              # AccountsView: the accounts, not yet checked
    async for row in directory.check_all():     # an AccountRow as each account has answered in
        ...                                     # every region, a few calls at a time ("12 of 40")
    view = directory.view()                    # one AccountRow per account, its Reach per region
    for account, region in view.targets():     # the reachable (account, region) pairs to poll
        ec2 = await directory.client(account.id, "ec2", region)
    view.failures()                            # the rows shown as "cannot reach": reason, what to do
    directory.failed(account.id, region, exc)  # a pane's call failed there: kept, checked again later
    directory.explain(exc, account, region)    # that failure in the account's words (no state)
    view.header                                # "5 accounts · 2 regions"
    view.document()                            # JSON: warroom snapshot accounts --json
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from botocore.exceptions import ClientError

from tui.aws.clients import ROLE_ARN, ClientFactory, account_of_role
from tui.aws.errors import AwsProblem, ErrorKind, classify, explicit_deny
from tui.aws.identity import Identity, caller_identity
from tui.aws.scope import Place
from tui.aws.target import DEFAULT_ACCOUNT_ROLE, AccountEntry, AccountSettings

__all__ = [
    "DEFAULT_ACCOUNT_ROLE",
    "Account",
    "AccountDirectory",
    "AccountRow",
    "AccountSource",
    "AccountsView",
    "Reach",
    "UnknownAccount",
]

log = logging.getLogger(__name__)

#: Accounts per ListAccounts page: the most Organizations gives.
ORG_PAGE_SIZE = 20
#: Reach checks in flight at once (sts:GetCallerIdentity, and AssumeRole once per account).
CHECKS_AT_ONCE = 8
#: A failed check is made again this long after the first failure, doubling, at most RECHECK_MAX_S.
RECHECK_FIRST_S = 30.0
RECHECK_MAX_S = 900.0
#: Organizations' state of an account that is watched; any other is listed as unreachable.
ACTIVE = "ACTIVE"
_CLOSED = {"SUSPENDED", "PENDING_CLOSURE", "CLOSED"}
#: Codes with which a region that an account has not enabled refuses its credentials.
_REGION_REFUSED = {"InvalidClientTokenId", "AuthFailure", "UnrecognizedClientException"}
_REGION_DISABLED = {"OptInRequired", "RegionDisabledException"}
_ORG_POLICIES = ("service control policy", "resource control policy")


class AccountSource(StrEnum):
    """Where the console learnt of an account."""

    ORGANIZATIONS = "organizations"
    CONFIG = "config"
    ACCOUNTS_OPTION = "accounts-option"
    """``--accounts`` named an id that neither the organization nor the config file lists."""
    CREDENTIALS = "credentials"
    """The credential's own account (sts:GetCallerIdentity)."""


class UnknownAccount(KeyError):
    """An account id the directory does not watch."""


@dataclass(frozen=True)
class Account:
    """One watched account and how it is reached: directly, as a role, or with a profile."""

    id: str
    name: str = ""
    source: AccountSource = AccountSource.CREDENTIALS
    home: bool = False
    """The credential's own account: reached directly."""
    role_arn: str | None = None
    profile: str | None = None
    state: str = ACTIVE
    """Organizations' state of the account (ACTIVE, SUSPENDED, PENDING_CLOSURE, ...)."""
    line: int | None = None
    """The config file's line of its ``[[accounts]]`` entry, when it has one."""

    @property
    def label(self) -> str:
        """``payments-prod (210987654321)``, or the id alone when the name is unknown."""
        return f"{self.name} ({self.id})" if self.name else self.id

    @property
    def active(self) -> bool:
        return self.state == ACTIVE

    @property
    def role_name(self) -> str:
        return self.role_arn.split(":role/", 1)[-1] if self.role_arn else ""

    @property
    def via(self) -> str:
        """How it is reached, in words: ``directly``, ``role warroom-readonly``, ``profile ledger``."""
        if self.home:
            return "directly"
        if self.profile:
            return f"profile {self.profile}"
        return f"role {self.role_name}"


@dataclass(frozen=True)
class Reach:
    """Whether the console reaches an account in a region, and if not why and what to do."""

    account_id: str
    region: str
    ok: bool
    problem: AwsProblem | None = None
    arn: str = ""
    """Who the console is there (GetCallerIdentity's ARN), once reached."""
    checked: bool = True
    """A call was made; False: reached as the console always reached its own account."""
    failures: int = 0
    """Failures in a row."""
    retry_at: float | None = None
    """When (``clock()``, monotonic) a failure is checked again; None: never (a closed account)."""

    @property
    def reason(self) -> str:
        return self.problem.message if self.problem else ""

    @property
    def todo(self) -> str:
        return self.problem.hint if self.problem else ""


@dataclass(frozen=True)
class AccountRow:
    """One account as a pane shows it: the account and its reach in each watched region."""

    account: Account
    reaches: tuple[Reach | None, ...]
    """One per region of ``AccountsView.regions``, in that order; None: not checked yet."""

    @property
    def reachable(self) -> bool | None:
        """True when reached in some region, False when it failed in every region, None until known."""
        known = [r for r in self.reaches if r is not None]
        if any(r.ok for r in known):
            return True
        return False if known and len(known) == len(self.reaches) else None

    @property
    def problem(self) -> AwsProblem | None:
        """The first failure among its regions (None when none failed)."""
        return next((r.problem for r in self.reaches if r is not None and r.problem), None)

    def failing(self) -> tuple[Reach, ...]:
        return tuple(r for r in self.reaches if r is not None and not r.ok)


@dataclass(frozen=True)
class AccountsView:
    """The accounts as last known: what the panes read (immutable; ``AccountDirectory.view()``)."""

    rows: tuple[AccountRow, ...] = ()
    regions: tuple[str, ...] = ()
    home: Account | None = None
    """The credential's own account (None until sts:GetCallerIdentity answers)."""
    source: AccountSource = AccountSource.CREDENTIALS
    """Where the list came from: the organization, the config file, or the credential alone."""
    notes: tuple[str, ...] = ()
    """What the user should know about the list: why the organization could not be read, an
    ``--accounts`` name that matches no account."""
    problem: AwsProblem | None = None
    """Why there is no list at all (the credential's own account could not be named)."""
    single: bool = True
    """The one-account default (no organization, no config list, no ``--accounts``)."""

    @property
    def accounts(self) -> tuple[Account, ...]:
        return tuple(row.account for row in self.rows)

    def row(self, account_id: str) -> AccountRow:
        for row in self.rows:
            if row.account.id == account_id:
                return row
        raise UnknownAccount(account_id)

    def targets(self) -> list[tuple[Account, str]]:
        """The (account, region) pairs reached, the credential's own account first."""
        return [
            (row.account, region)
            for row in self.rows
            for region, reach in zip(self.regions, row.reaches, strict=True)
            if reach is not None and reach.ok
        ]

    def places(self) -> tuple[Place, ...]:
        """The pollers' places (``tui.aws.scope``): every (account, region) reached, the
        credential's own account first, each with the role or profile that reaches it."""
        return tuple(
            Place(
                region,
                account.id,
                account.name,
                None if account.home else account.role_arn,
                None if account.home else account.profile,
            )
            for account, region in self.targets()
        )

    def failures(self) -> tuple[AccountRow, ...]:
        """The accounts that failed in at least one region (the panes' "cannot reach" rows)."""
        return tuple(row for row in self.rows if row.failing())

    @property
    def header(self) -> str:
        """``5 accounts · 2 regions`` (singular for one)."""
        count, regions = len(self.rows), len(self.regions)
        return f"{count} account{'s' * (count != 1)} · {regions} region{'s' * (regions != 1)}"

    def document(self) -> dict[str, Any]:
        """The view as JSON data (``warroom snapshot accounts --json``)."""

        def problem(found: AwsProblem | None) -> dict[str, str] | None:
            if found is None:
                return None
            return {"kind": str(found.kind), "reason": found.message, "todo": found.hint, "code": found.code}

        accounts = []
        for row in self.rows:
            account = row.account
            first = row.problem
            accounts.append(
                {
                    "account_id": account.id,
                    "name": account.name,
                    "source": str(account.source),
                    "home": account.home,
                    "state": account.state,
                    "via": account.via,
                    "role_arn": account.role_arn,
                    "profile": account.profile,
                    "reachable": row.reachable,
                    "reason": first.message if first else "",
                    "todo": first.hint if first else "",
                    "regions": [
                        {
                            "region": region,
                            "reachable": None if reach is None else reach.ok,
                            "checked": reach is not None and reach.checked,
                            "as": reach.arn if reach is not None else "",
                            "problem": problem(reach.problem if reach is not None else None),
                        }
                        for region, reach in zip(self.regions, row.reaches, strict=True)
                    ],
                }
            )
        return {
            "header": self.header,
            "home_account": self.home.id if self.home else None,
            "source": str(self.source),
            "regions": list(self.regions),
            "notes": list(self.notes),
            "error": problem(self.problem),
            "accounts": accounts,
        }


def recheck_after(failures: int) -> float:
    """Seconds before a check that failed ``failures`` times in a row is made again."""
    return min(RECHECK_FIRST_S * 2.0 ** max(failures - 1, 0), RECHECK_MAX_S)


def role_arn_of(role: str, account_id: str, partition: str = "aws") -> str:
    """``role`` (a role name, a path/name, or an ARN) as the ARN of that role in ``account_id``."""
    return role if role.startswith("arn:") else f"arn:{partition}:iam::{account_id}:role/{role}"


def trust_statement(home_account: str, partition: str = "aws") -> str:
    """The trust policy statement a watched account's role needs, as one line of JSON."""
    principal = f"arn:{partition}:iam::{home_account}:root"
    return json.dumps(
        {"Effect": "Allow", "Principal": {"AWS": principal}, "Action": "sts:AssumeRole"},
        separators=(",", ":"),
    )


class AccountDirectory:
    """Learns the watched accounts, checks that each is reached, and hands out clients in each.

    ``identity`` is the credential's own (the console has it from its start); without it ``load``
    asks sts:GetCallerIdentity. ``clock`` (monotonic seconds) times the checks' backoff.
    """

    def __init__(
        self,
        factory: ClientFactory,
        settings: AccountSettings | None = None,
        *,
        identity: Identity | None = None,
        clock: Callable[[], float] = time.monotonic,
        checks_at_once: int = CHECKS_AT_ONCE,
    ) -> None:
        self.factory = factory
        self.settings = settings or AccountSettings()
        self._identity = identity
        self._clock = clock
        self._checks = asyncio.Semaphore(checks_at_once)
        self._load_lock = asyncio.Lock()
        self._loaded = False
        self._accounts: tuple[Account, ...] = ()
        self._by_id: dict[str, Account] = {}
        self._home: Account | None = None
        self._source = AccountSource.CREDENTIALS
        self._notes: tuple[str, ...] = ()
        self._problem: AwsProblem | None = None
        self._reaches: dict[tuple[str, str], Reach] = {}
        self._locks: dict[tuple[str, str], asyncio.Lock] = {}

    # -- the list --

    @property
    def regions(self) -> tuple[str, ...]:
        return self.factory.regions

    @property
    def partition(self) -> str:
        arn = self._identity.arn if self._identity else ""
        return arn.split(":")[1] if arn.count(":") >= 5 else "aws"

    async def load(self, *, reload: bool = False) -> AccountsView:
        """Learn the accounts (once; ``reload`` reads the organization and the settings again and
        keeps the checks of the accounts still watched)."""
        async with self._load_lock:
            if self._loaded and not reload:
                return self.view()
            if self._identity is None:
                try:
                    self._identity = await caller_identity(self.factory)
                except Exception as exc:  # no account at all: said in the view, asked again next time
                    self._problem = classify(exc, profile=self.factory.profile_in_use())
                    log.warning("cannot name the credential's account: %s", self._problem.one_line())
                    return self.view()
            self._problem = None
            accounts, source, notes = await self._learn(self._identity)
            before = self._by_id
            self._accounts = accounts
            self._by_id = {account.id: account for account in accounts}
            # A check is kept while the account is still reached the same way.
            self._reaches = {
                key: reach
                for key, reach in self._reaches.items()
                if key[0] in self._by_id
                and key[0] in before
                and _same_way(before[key[0]], self._by_id[key[0]])
            }
            self._home = next((a for a in accounts if a.home), None) or Account(
                self._identity.account, home=True
            )
            self._source, self._notes = source, notes
            self._loaded = True
            return self.view()

    async def _learn(self, identity: Identity) -> tuple[tuple[Account, ...], AccountSource, tuple[str, ...]]:
        settings, home_id = self.settings, identity.account
        notes: list[str] = []
        found: dict[str, Account] = {}
        source = AccountSource.CREDENTIALS
        if settings.read_org:
            listed, why = await self._organization(home_id)
            if listed:
                found = {account.id: account for account in listed}
                source = AccountSource.ORGANIZATIONS
            else:
                instead = (
                    f"the config file's {len(settings.entries)} account(s) instead"
                    if settings.entries
                    else f"only the credential's account {home_id}"
                )
                notes.append(f"the organization's accounts could not be read: {why}; watching {instead}")
        for entry in settings.entries:
            known = found.get(entry.id)
            reach = self._reached_as(entry)
            if known is None:
                found[entry.id] = Account(
                    entry.id, entry.name, AccountSource.CONFIG, line=entry.line, **reach
                )
            else:
                found[entry.id] = replace(known, name=known.name or entry.name, line=entry.line, **reach)
        if source is AccountSource.CREDENTIALS and settings.entries:
            source = AccountSource.CONFIG
        home = found.get(home_id)
        found[home_id] = (
            replace(home, home=True, role_arn=None, profile=None)
            if home is not None
            else Account(home_id, home=True)
        )
        if settings.watch:
            found, missing = self._scope(found, settings.watch)
            notes.extend(missing)
        ordered = sorted(found.values(), key=lambda a: (not a.home, a.name.casefold() or "~", a.id))
        return tuple(ordered), source, tuple(notes)

    def _reached_as(self, entry: AccountEntry) -> dict[str, Any]:
        if entry.profile:
            return {"profile": entry.profile, "role_arn": None}
        role = entry.role or self.settings.role
        return {"role_arn": role_arn_of(role, entry.id, self.partition), "profile": None}

    def _scope(self, found: dict[str, Account], watch: Iterable[str]) -> tuple[dict[str, Account], list[str]]:
        """``found`` narrowed to ``watch`` (ids or names), and what in it matched nothing."""
        kept: dict[str, Account] = {}
        missing: list[str] = []
        for wanted in watch:
            if wanted in found:
                kept[wanted] = found[wanted]
                continue
            named = [a for a in found.values() if a.name == wanted] or [
                a for a in found.values() if a.name.casefold() == wanted.casefold()
            ]
            if named:
                kept.update({a.id: a for a in named})
            elif wanted.isdigit() and len(wanted) == 12:
                role = role_arn_of(self.settings.role, wanted, self.partition)
                kept[wanted] = Account(wanted, source=AccountSource.ACCOUNTS_OPTION, role_arn=role)
            else:
                names = sorted(a.name for a in found.values() if a.name)
                known = (
                    f"the accounts known are named {', '.join(names)}" if names else "no account has a name"
                )
                missing.append(f"--accounts: no account is named {wanted!r} ({known})")
        return kept, missing

    async def _organization(self, home_id: str) -> tuple[list[Account], str]:
        """The organization's accounts (all pages), or none and why."""
        found: list[dict[str, Any]] = []
        try:
            org = await self.factory.client("organizations")
            pages = org.get_paginator("list_accounts").paginate(PaginationConfig={"PageSize": ORG_PAGE_SIZE})
            async for page in pages:
                found.extend(page.get("Accounts") or [])
        except Exception as exc:  # said in the notes; the list falls back to the config or the credential
            return [], self._organization_problem(exc, home_id)
        if not found:
            return [], (
                f"organizations:ListAccounts from {home_id} listed no account (only the organization's "
                "management account or a delegated administrator lists them)"
            )
        accounts = []
        for item in found:
            account_id = str(item.get("Id") or "")
            if not account_id:
                continue
            state = str(item.get("State") or item.get("Status") or ACTIVE)
            accounts.append(
                Account(
                    account_id,
                    str(item.get("Name") or ""),
                    AccountSource.ORGANIZATIONS,
                    role_arn=role_arn_of(self.settings.role, account_id, self.partition),
                    state=state,
                )
            )
        return accounts, ""

    def _organization_problem(self, exc: BaseException, home_id: str) -> str:
        problem = classify(exc, profile=self.factory.profile_in_use())
        if problem.code == "AWSOrganizationsNotInUseException":
            return f"account {home_id} is not in an organization"
        if problem.kind is ErrorKind.PERMISSION:
            return (
                f"{home_id} may not call organizations:ListAccounts (only the organization's management "
                "account or a delegated administrator may): list the accounts under [[accounts]] in the "
                "config file, or run from such an account"
            )
        return problem.one_line()

    def view(self) -> AccountsView:
        regions = self.regions
        rows = tuple(
            AccountRow(account, tuple(self._known(account, region) for region in regions))
            for account in self._accounts
        )
        return AccountsView(
            rows=rows,
            regions=regions,
            home=self._home,
            source=self._source,
            notes=self._notes,
            problem=self._problem,
            single=self.settings.single,
        )

    def account(self, account_id: str) -> Account:
        found = self._by_id.get(account_id)
        if found is None:
            raise UnknownAccount(account_id)
        return found

    # -- reaching each account --

    def _known(self, account: Account, region: str) -> Reach | None:
        """What is known of ``account`` in ``region`` without a call (None: it needs a check)."""
        if not account.active:
            return self._closed(account, region)
        if account.home and self.settings.single:
            # The one-account default: reached as the console always reached it, nothing checked.
            arn = self._identity.arn if self._identity else ""
            return Reach(account.id, region, ok=True, arn=arn, checked=False)
        if account.home and region == self.factory.region and self._identity is not None:
            return Reach(account.id, region, ok=True, arn=self._identity.arn, checked=False)
        return self._reaches.get((account.id, region))

    def _closed(self, account: Account, region: str) -> Reach:
        closed = account.state in _CLOSED
        problem = AwsProblem(
            ErrorKind.NOT_ENABLED,
            f"{account.label} is {account.state} in the organization"
            + (" (closed)" if closed else " (not active yet)"),
            "nothing to do: a closed account leaves the organization 90 days after it was closed"
            if closed
            else "it is watched once the organization has made it ACTIVE",
            account.state,
        )
        return Reach(account.id, region, ok=False, problem=problem, checked=False)

    def _due(self, reach: Reach) -> bool:
        return not reach.ok and reach.retry_at is not None and self._clock() >= reach.retry_at

    async def check(self, account_id: str, region: str | None = None) -> Reach:
        """Whether ``account_id`` is reached in ``region`` (default: the primary region): checked
        once, kept; a failure is checked again only once its backoff has passed."""
        await self.load()
        account = self.account(account_id)
        primary = self.factory.region
        region = region or primary
        key = (account_id, region)
        known = self._known(account, region)
        if known is not None and not self._due(known):
            return known
        if region != primary:
            # The primary region first: a failure there to assume the role, or of the profile's
            # credentials, is the account's in every region, with no call of its own.
            first = await self.check(account_id, primary)
            if self._account_wide(account, first):
                self._reaches[key] = reach = replace(first, region=region)
                return reach
        async with self._locks.setdefault(key, asyncio.Lock()):
            known = self._known(account, region)
            if known is not None and not self._due(known):
                return known
            async with self._checks:
                reach = await self._probe(account, region, known)
            self._reaches[key] = reach
            return reach

    async def _probe(self, account: Account, region: str, before: Reach | None) -> Reach:
        try:
            sts = await self.client(account.id, "sts", region)
            reply = await sts.get_caller_identity()
        except Exception as exc:  # the failure is the answer: classified below
            return self._failure(account, region, exc, before)
        answered = str(reply.get("Account") or "")
        arn = str(reply.get("Arn") or "")
        if answered != account.id:
            problem = AwsProblem(
                ErrorKind.INVALID,
                f"{account.via} reaches account {answered}, not {account.label}",
                f"fix the entry of {account.id} in the config file"
                + (f" (line {account.line})" if account.line else ""),
                "WrongAccount",
                "GetCallerIdentity",
            )
            return self._failed(account.id, region, problem, before)
        log.debug("reached %s in %s as %s", account.id, region, arn)
        return Reach(account.id, region, ok=True, arn=arn)

    @staticmethod
    def _account_wide(account: Account, reach: Reach) -> bool:
        """A failure of the account as a whole: its role cannot be assumed, its profile's
        credentials do not work, or they reach another account."""
        problem = reach.problem
        if reach.ok or problem is None:
            return False
        return (
            problem.operation == "AssumeRole"
            or problem.kind in (ErrorKind.CREDENTIALS, ErrorKind.INVALID)
            or (account.profile is not None and problem.kind is ErrorKind.EXPIRED)
        )

    async def check_all(self) -> AsyncIterator[AccountRow]:
        """Check every watched account in every region, a few calls at a time; yields each
        account's row as soon as all its regions have answered (for "12 of 40 accounts")."""
        await self.load()

        async def one(account: Account) -> AccountRow:
            reaches = await asyncio.gather(*(self.check(account.id, region) for region in self.regions))
            return AccountRow(account, tuple(reaches))

        pending = [asyncio.ensure_future(one(account)) for account in self._accounts]
        try:
            for done in asyncio.as_completed(pending):
                yield await done
        finally:
            for task in pending:
                task.cancel()

    async def client(self, account_id: str, service: str, region: str | None = None) -> Any:
        """A client of ``service`` in ``region`` with the credentials of ``account_id``: the console's
        own for its account, else the account's profile or role (``ClientFactory.client``)."""
        account = self.account(account_id)
        if account.home:
            return await self.factory.client(service, region)
        return await self.factory.client(service, region, role_arn=account.role_arn, profile=account.profile)

    def failed(self, account_id: str, region: str, exc: BaseException) -> Reach:
        """A pane's call as ``account_id`` in ``region`` failed with ``exc``: the account is shown as
        not reached there, for the reason ``explain`` gives, until a check after the backoff passes."""
        account = self.account(account_id)
        return self._failure(account, region, exc, self._reaches.get((account_id, region)))

    def succeeded(self, account_id: str, region: str, arn: str = "") -> Reach:
        """A pane's call as ``account_id`` in ``region`` succeeded: it is reached there."""
        reach = Reach(self.account(account_id).id, region, ok=True, arn=arn)
        self._reaches[(account_id, region)] = reach
        return reach

    def _failure(self, account: Account, region: str, exc: BaseException, before: Reach | None) -> Reach:
        problem = self.explain(exc, account, region)
        log.info("cannot reach %s in %s: %s", account.id, region, problem.one_line())
        return self._failed(account.id, region, problem, before)

    def _failed(self, account_id: str, region: str, problem: AwsProblem, before: Reach | None) -> Reach:
        failures = (before.failures if before is not None and not before.ok else 0) + 1
        reach = Reach(
            account_id,
            region,
            ok=False,
            problem=problem,
            failures=failures,
            retry_at=self._clock() + recheck_after(failures),
        )
        self._reaches[(account_id, region)] = reach
        return reach

    # -- why an account is not reached --

    def _reached_elsewhere(self, account_id: str, region: str) -> bool:
        return any(
            reach.ok and reach.checked
            for (known, where), reach in self._reaches.items()
            if known == account_id and where != region
        )

    def explain(self, exc: BaseException, account: Account, region: str) -> AwsProblem:
        """``exc``, raised by a call as ``account`` in ``region`` (or by assuming its role), as
        ``classify`` says it, in the account's words: why it is not reached and what to do."""
        base = classify(exc, profile=account.profile or self.factory.profile_in_use())
        home = self._home.id if self._home else (self._identity.account if self._identity else "")
        label = account.label
        if base.operation == "AssumeRole" and account.role_arn:
            return self._assume_problem(exc, base, account, home)
        code = base.code
        if code in _REGION_DISABLED or (
            code in _REGION_REFUSED
            and (account.role_arn is not None or self._reached_elsewhere(account.id, region))
        ):
            # Credentials that STS has just issued, or that work in another region, are refused only
            # by a region the account has not enabled.
            return AwsProblem(
                ErrorKind.NOT_ENABLED,
                f"region {region} is not enabled in account {label}",
                f"enable {region} in {label} (Account settings, AWS Regions), or leave it out of --region",
                code,
                base.operation,
            )
        if base.kind is ErrorKind.PERMISSION and not account.home:
            action = _action(exc, base)
            deny = explicit_deny(exc)
            if deny in _ORG_POLICIES:
                message = f"a {deny} of the organization denies {action} in {label}"
                hint = f"ask the organization's administrators to allow {action} for {account.via}"
            elif deny:
                message = f"an explicit deny in {_article(deny)} {deny} stops {action} in {label}"
                hint = f"remove the deny of {action} from that {deny}"
            else:
                message = f"{action} is not allowed to {account.via} in {label}"
                hint = f"grant {action} to {account.via} in {account.id} (see README, IAM policy)"
            return AwsProblem(ErrorKind.PERMISSION, message, hint, code, base.operation)
        if account.home:
            return base
        if base.kind in (ErrorKind.EXPIRED, ErrorKind.CREDENTIALS) and account.profile:
            return AwsProblem(
                base.kind,
                f"the profile {account.profile} of {label}: {base.message}",
                base.hint,
                code,
                base.operation,
            )
        return AwsProblem(base.kind, f"{label}, {region}: {base.message}", base.hint, code, base.operation)

    def _assume_problem(
        self, exc: BaseException, base: AwsProblem, account: Account, home: str
    ) -> AwsProblem:
        """Why sts:AssumeRole into ``account`` failed (it is asked from the credential's account)."""
        role, arn, label = account.role_name, account.role_arn or "", account.label
        code = base.code
        if base.kind is ErrorKind.PERMISSION:
            deny = explicit_deny(exc)
            if deny in _ORG_POLICIES:
                return AwsProblem(
                    ErrorKind.PERMISSION,
                    f"a {deny} of the organization denies assuming the role {role} in {label} "
                    "(sts:AssumeRole, with an explicit deny)",
                    f"ask the organization's administrators to allow sts:AssumeRole on {arn} from {home}",
                    code,
                    "AssumeRole",
                )
            if deny:
                return AwsProblem(
                    ErrorKind.PERMISSION,
                    f"an explicit deny in {_article(deny)} {deny} stops {home} from assuming the role "
                    f"{role} in {label}",
                    f"remove the deny of sts:AssumeRole on {arn} from that {deny}",
                    code,
                    "AssumeRole",
                )
            trust = trust_statement(home, self.partition)
            return AwsProblem(
                ErrorKind.PERMISSION,
                f"the role {role} is missing in {label} or does not trust {home}",
                f"create it in {account.id} with read-only permissions and the trust policy statement "
                f"{trust}, and let this identity call sts:AssumeRole on {arn}",
                code,
                "AssumeRole",
            )
        if code == "RegionDisabledException":
            region = self.factory.region
            return AwsProblem(
                ErrorKind.NOT_ENABLED,
                f"STS is not active in {region} for account {home}, so no role can be assumed there",
                f"activate STS in {region} (IAM, Account settings) or put another region first in --region",
                code,
                "AssumeRole",
            )
        if code == "ValidationError" or not ROLE_ARN.match(arn) or account_of_role(arn) != account.id:
            where = f" (line {account.line})" if account.line else ""
            return AwsProblem(
                ErrorKind.INVALID,
                f"{arn!r} is not a role of account {label}",
                f"fix the role of {account.id} in the config file{where}",
                code,
                "AssumeRole",
            )
        if base.kind in (ErrorKind.EXPIRED, ErrorKind.CREDENTIALS):
            return AwsProblem(
                base.kind,
                f"assuming the role {role} in {label}: {base.message}",
                base.hint,
                code,
                "AssumeRole",
            )
        return AwsProblem(
            base.kind, f"assuming the role {role} in {label}: {base.message}", base.hint, code, "AssumeRole"
        )


def _same_way(before: Account, now: Account) -> bool:
    return (before.home, before.role_arn, before.profile, before.state) == (
        now.home,
        now.role_arn,
        now.profile,
        now.state,
    )


def _article(word: str) -> str:
    return "an" if word[:1] in "aeiou" else "a"


def _action(exc: BaseException, base: AwsProblem) -> str:
    """``service:Operation`` of a refused call."""
    service = ""
    if isinstance(exc, ClientError):
        service = str(exc.response.get("ResponseMetadata", {}).get("ServiceName", "") or "")
    return f"{service}:{base.operation}" if service else base.operation
