"""Where the pollers read: places, each one account in one region, and how to reach it.

A single-account console reads one place per region of its credential's own account, as it always
did (``home_places``): no role, and an account id left "" until a caller identity says it. An
organization's console reads one place per member account it can reach and region it watches; a
member account is reached through a role the console assumes there (``role_arn``).

The pollers take their places from the client factory (``ClientFactory.places``), ask each
place for its clients (``client``), and stamp what they read with the place's account and
region, so every row can say which account and region it belongs to.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

T = TypeVar("T")

PLACES_AT_ONCE = 8
"""How many places one poller reads at once. Each place is its own account's API quotas, but the
roles that reach them are all assumed through the credential's account (sts:AssumeRole on its
quota), and a console watching 40 accounts in 2 regions would otherwise open 80 of every call at
once."""


class MakesClients(Protocol):
    """The part of ``tui.aws.clients.ClientFactory`` a place needs."""

    async def client(
        self,
        service: str,
        region: str | None = None,
        *,
        role_arn: str | None = None,
        profile: str | None = None,
    ) -> Any: ...


@dataclass(frozen=True)
class Place:
    """One account in one region, and how it is reached: a role, a profile, or (neither) the
    credential itself."""

    region: str
    account_id: str = ""
    """"" for the credential's own account before its id is known."""
    account_name: str = ""
    role_arn: str | None = None
    profile: str | None = None

    @property
    def home(self) -> bool:
        """Reached with the credential itself."""
        return not (self.role_arn or self.profile)

    @property
    def key(self) -> str:
        """Unique among a console's places: ``account/region``, or the region for the home account."""
        return self.region if self.home else f"{self.account_id}/{self.region}"

    @property
    def label(self) -> str:
        """How rows and errors name it: ``payments-prod us-east-1``, or the region alone at home."""
        if self.home:
            return self.region
        return f"{self.account_name or self.account_id} {self.region}"

    async def client(self, factory: MakesClients, service: str) -> Any:
        return await factory.client(service, self.region, role_arn=self.role_arn, profile=self.profile)


def home_places(regions: Iterable[str]) -> tuple[Place, ...]:
    """The credential's own account in each region: a single-account console's places."""
    return tuple(Place(region) for region in regions)


def _find(places: Iterable[Place], region: str, account_id: str) -> tuple[Place | None, Place | None]:
    """(the place of ``account_id`` in ``region``, the credential's own place there)."""
    home: Place | None = None
    for place in places:
        if place.region != region:
            continue
        if account_id and place.account_id == account_id:
            return place, home
        if place.home and home is None:
            home = place
    return None, home


def place_of(places: Iterable[Place], region: str, account_id: str = "") -> Place:
    """The place of ``account_id`` in ``region`` among ``places``; the credential's own account
    there when no place names that account (or the account is unknown)."""
    found, home = _find(places, region, account_id)
    return found or home or Place(region)


def acting_places(places: Iterable[Place], act_role: str) -> tuple[Place, ...]:
    """``places`` as actions reach them: an account reached through a role acts through its
    ``act_role`` (the console's remediation role, ``findings.remediation_role``) in that account,
    for the role it reads through may only read; the credential's own account and an account
    reached with a profile act as they read."""
    out = []
    for place in places:
        if place.role_arn and act_role:
            role = (
                act_role
                if act_role.startswith("arn:")
                else place.role_arn.split(":role/", 1)[0] + f":role/{act_role}"
            )
            place = dataclasses.replace(place, role_arn=role)
        out.append(place)
    return tuple(out)


def acting_place(places: Iterable[Place], region: str, account_id: str) -> Place | None:
    """Where an action on a row of ``account_id`` in ``region`` runs: that account's place there.

    A row of the credential's own account (or of no account) acts through the credential, as it
    always did; so does every row of a console that watches its own account alone (its places name
    no account: whatever it shows was read there). A row of another account that is not reached in
    ``region`` now (its role failed since, or the region is no longer watched) has no place: None,
    and the action must be refused rather than made in the wrong account.
    """
    found, home = _find(places, region, account_id)
    if found is not None:
        return found
    if home is not None and (not account_id or not home.account_id):
        return home
    return None


def metrics_via(place: Place, linked: Mapping[str, frozenset[str]]) -> Place:
    """Where ``place``'s metrics are read: through the credential's own account when it is a
    CloudWatch monitoring account that ``place``'s account links to in that region (``linked``:
    region -> account ids, ``tui.aws.metrics.linked_accounts``), else in ``place`` itself."""
    if place.home or place.account_id not in linked.get(place.region, frozenset()):
        return place
    return Place(place.region)


class FirstCycle:
    """Whether a poller over places has read a whole cycle yet: its first hands over partial
    snapshots as places answer (``each_place``); later ones keep the last whole one on screen."""

    def __init__(self) -> None:
        self.done = False

    async def read(
        self,
        places: Iterable[Place],
        read: Callable[[Place], Awaitable[T]],
        answered: Answered | None,
        snapshot: Callable[[list[T], bool], Any],
    ) -> list[T]:
        """``each_place`` of ``read``; ``snapshot(results so far, True)`` is the partial one."""
        partial = None if self.done else (lambda done: snapshot(done, True))
        parts = await each_place(places, read, answered=answered, partial=partial)
        self.done = True
        return parts


class Answered(Protocol):
    """How far a poll over several places has come: ``done`` of ``total`` accounts (or regions, for
    one account) have answered, and what the poll has read so far (``partial``, when it hands it)."""

    def __call__(self, done: int, total: int, noun: str, partial: Any = None, /) -> None: ...


async def each_place(
    places: Iterable[Place],
    read: Callable[[Place], Awaitable[T]],
    at_once: int = PLACES_AT_ONCE,
    *,
    answered: Answered | None = None,
    partial: Callable[[list[T]], Any] | None = None,
) -> list[T]:
    """``read(place)`` of every place, ``at_once`` at a time, in the places' order.

    With ``answered``, and more than one place, each place that answers reports how many accounts
    have answered in all their regions (regions, when every place is one account's) and, with
    ``partial``, what ``partial(results so far)`` makes of the places answered: the first rows
    appear as accounts answer."""
    chosen = tuple(places)
    gate = asyncio.Semaphore(at_once)
    results: list[T | None] = [None] * len(chosen)
    answers = [False] * len(chosen)
    accounts = {p.account_id for p in chosen}
    noun = "accounts" if len(accounts) > 1 else "regions"

    def report() -> None:
        if answered is None or len(chosen) < 2:
            return
        if noun == "accounts":
            waiting = {p.account_id for p, done in zip(chosen, answers, strict=True) if not done}
            done, total = len(accounts - waiting), len(accounts)
        else:
            done, total = sum(answers), len(chosen)
        so_far = [r for r, ok in zip(results, answers, strict=True) if ok]
        answered(done, total, noun, partial(so_far) if partial is not None else None)  # type: ignore[arg-type]

    async def one(index: int, place: Place) -> T:
        async with gate:
            result = await read(place)
        results[index], answers[index] = result, True
        report()
        return result

    return list(await asyncio.gather(*(one(i, place) for i, place in enumerate(chosen))))
