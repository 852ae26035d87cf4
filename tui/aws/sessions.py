"""The Sessions poller: every managed instance Session Manager can reach, and the sessions to them.

One cycle per region, regions concurrently: DescribeInstanceInformation (every page, 50 a page) and
DescribeSessions (Active, every page; History, the newest ``HISTORY_LIMIT``) at once, then EC2
DescribeInstances for the EC2 instance ids, ``EC2_CHUNK`` ids a call, for their Name tags. Hybrid
nodes (``mi-``) are named by their own Name field. A failed API becomes an ``ApiError`` and what it
would have fed stays blank; only when DescribeInstanceInformation fails in every region is the whole
poll's ``error`` set.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from tui.aws.clients import ClientFactory
from tui.aws.errors import AwsProblem, classify
from tui.aws.outcome import ApiError, utcnow
from tui.aws.scope import Answered, FirstCycle, Place
from tui.common.timefmt import instant

log = logging.getLogger(__name__)

INFO_PAGE_SIZE = 50
SESSIONS_PAGE_SIZE = 200
HISTORY_LIMIT = 100
EC2_CHUNK = 200
NAMES_REFRESH_S = 300.0
"""How long the instances' Name tags read in a place are trusted: between two reads of them all, a
cycle describes only the instances it had not named yet (at 2,000 instances, describing every one
each cycle cost about a third of the console's CPU); a renamed instance shows its new name after."""
MAX_PAGES = 1000

DESCRIBE_INSTANCE_INFORMATION = "ssm:DescribeInstanceInformation"
DESCRIBE_SESSIONS = "ssm:DescribeSessions"
DESCRIBE_INSTANCES = "ec2:DescribeInstances"

ONLINE = "Online"
HYBRID_PREFIX = "mi-"


def _text(value: Any) -> str | None:
    return str(value) if isinstance(value, str) and value else None


@dataclass(frozen=True)
class ManagedTarget:
    """One managed instance as DescribeInstanceInformation reports it, named by its EC2 Name tag
    (EC2 instances) or its own Name (hybrid nodes); "" when no name is known."""

    instance_id: str
    name: str
    resource_type: str  # "EC2Instance" | "ManagedInstance"
    ping_status: str  # "Online" | "ConnectionLost" | "Inactive"
    platform_type: str | None
    platform_name: str | None
    platform_version: str | None
    agent_version: str | None
    agent_outdated: bool | None
    ip_address: str | None
    computer_name: str | None
    last_ping_at: datetime | None
    region: str
    iam_role: str | None = None
    activation_id: str | None = None
    account_id: str = ""
    """The account it is registered in ("" for the credential's own, before its id is known)."""

    @property
    def hybrid(self) -> bool:
        """A hybrid (on-premises or other cloud) node registered with an activation."""
        return self.instance_id.startswith(HYBRID_PREFIX)

    @property
    def online(self) -> bool:
        return self.ping_status == ONLINE


@dataclass(frozen=True)
class SessionView:
    """One Session Manager session; ``active`` for those DescribeSessions lists under State Active."""

    session_id: str
    target: str
    owner: str
    status: str
    start_date: datetime | None
    end_date: datetime | None
    document_name: str | None
    reason: str | None
    region: str
    active: bool
    account_id: str = ""


@dataclass(frozen=True)
class SessionsSnapshot:
    fetched_at: datetime
    instances: tuple[ManagedTarget, ...] = ()
    active: tuple[SessionView, ...] = ()
    history: tuple[SessionView, ...] = ()
    errors: tuple[ApiError, ...] = ()
    error: AwsProblem | None = None
    calls: dict[str, int] = field(default_factory=dict)
    partial: bool = False
    """Only the places that answered first of a first poll over several (``tui.aws.scope.each_place``)."""


def target_from(info: Mapping[str, Any], region: str, ec2_name: str = "") -> ManagedTarget:
    """A ``ManagedTarget`` from one InstanceInformation entry; ``ec2_name`` is the EC2 Name tag."""
    instance_id = str(info.get("InstanceId") or "")
    latest = info.get("IsLatestVersion")
    hybrid = instance_id.startswith(HYBRID_PREFIX)
    resource_type = _text(info.get("ResourceType")) or ("ManagedInstance" if hybrid else "EC2Instance")
    name = (_text(info.get("Name")) or "") if hybrid else ec2_name
    return ManagedTarget(
        instance_id=instance_id,
        name=name,
        resource_type=resource_type,
        ping_status=_text(info.get("PingStatus")) or "",
        platform_type=_text(info.get("PlatformType")),
        platform_name=_text(info.get("PlatformName")),
        platform_version=_text(info.get("PlatformVersion")),
        agent_version=_text(info.get("AgentVersion")),
        agent_outdated=(not latest) if isinstance(latest, bool) else None,
        ip_address=_text(info.get("IPAddress")),
        computer_name=_text(info.get("ComputerName")),
        last_ping_at=instant(info.get("LastPingDateTime")),
        region=region,
        iam_role=_text(info.get("IamRole")),
        activation_id=_text(info.get("ActivationId")),
    )


def session_from(raw: Mapping[str, Any], region: str, *, active: bool) -> SessionView:
    """A ``SessionView`` from one DescribeSessions entry."""
    return SessionView(
        session_id=str(raw.get("SessionId") or ""),
        target=str(raw.get("Target") or ""),
        owner=str(raw.get("Owner") or ""),
        status=str(raw.get("Status") or ""),
        start_date=instant(raw.get("StartDate")),
        end_date=instant(raw.get("EndDate")),
        document_name=_text(raw.get("DocumentName")),
        reason=_text(raw.get("Reason")),
        region=region,
        active=active,
    )


def sort_key(target: ManagedTarget) -> tuple[bool, bool, str, str]:
    """Online first, then named before unnamed, by name, then by id."""
    return (not target.online, not target.name, target.name.lower(), target.instance_id)


def _newest_first(session: SessionView) -> tuple[float, str]:
    start = session.start_date.timestamp() if session.start_date is not None else 0.0
    return (-start, session.session_id)


@dataclass
class _RegionResult:
    instances: list[ManagedTarget] = field(default_factory=list)
    active: list[SessionView] = field(default_factory=list)
    history: list[SessionView] = field(default_factory=list)
    errors: list[ApiError] = field(default_factory=list)
    listing_problem: AwsProblem | None = None


@dataclass(frozen=True)
class _Names:
    read_at: float
    """When the place's instances were last described all together (epoch seconds)."""
    names: dict[str, str]
    described: frozenset[str]
    """The instances described since (named or not)."""


class SessionsPoller:
    """``poll()`` is one cycle over every place of the factory; between cycles it keeps whether one
    has been read whole, and the instances' Name tags (``_named``)."""

    def __init__(self, factory: ClientFactory, *, clock: Callable[[], datetime] = utcnow) -> None:
        self.factory = factory
        self.clock = clock
        self._first = FirstCycle()
        self._known_names: dict[str, _Names] = {}
        """Per place (its key): the Name tags read there (``_named``)."""

    async def poll(self, answered: Answered | None = None) -> SessionsSnapshot:
        """One cycle; ``answered`` hears as places answer (with the nodes read so far, until the
        first whole cycle)."""
        now = self.clock()
        places = self.factory.places
        self._known_names = {p.key: self._known_names[p.key] for p in places if p.key in self._known_names}
        parts = await self._first.read(
            places,
            self._region,
            answered,
            lambda done, partial: self._snapshot(now, done, partial=partial),
        )
        return self._snapshot(now, parts)

    def _snapshot(
        self, now: datetime, parts: list[_RegionResult], *, partial: bool = False
    ) -> SessionsSnapshot:
        instances: list[ManagedTarget] = []
        active: list[SessionView] = []
        history: list[SessionView] = []
        errors: list[ApiError] = []
        for part in parts:
            instances.extend(part.instances)
            active.extend(part.active)
            history.extend(part.history)
            errors.extend(part.errors)
        listing = [p.listing_problem for p in parts if p.listing_problem is not None]
        error = listing[0] if listing and len(listing) == len(parts) else None
        return SessionsSnapshot(
            fetched_at=now,
            instances=tuple(sorted(instances, key=sort_key)),
            active=tuple(sorted(active, key=_newest_first)),
            history=tuple(sorted(history, key=_newest_first)),
            errors=tuple(errors),
            error=error,
            calls=dict(self.factory.calls),
            partial=partial,
        )

    def _classify(self, exc: Exception) -> AwsProblem:
        return classify(exc, profile=self.factory.target.profile)

    def _api_error(self, region: str, api: str, exc: Exception) -> tuple[AwsProblem, ApiError]:
        problem = self._classify(exc)
        log.debug("%s in %s failed: %s", api, region, problem.code)
        return problem, ApiError(region, api, problem.message, problem.hint)

    async def _region(self, place: Place) -> _RegionResult:
        result = _RegionResult()
        region = place.region
        infos, active, history = await asyncio.gather(
            self._instance_information(place, result),
            self._sessions(place, "Active", None, result),
            self._sessions(place, "History", HISTORY_LIMIT, result),
        )
        result.active = [session_from(s, region, active=True) for s in active]
        result.history = sorted((session_from(s, region, active=False) for s in history), key=_newest_first)[
            :HISTORY_LIMIT
        ]
        ec2_ids = [str(i["InstanceId"]) for i in infos if str(i["InstanceId"]).startswith("i-")]
        names = await self._named(place, ec2_ids, result) if ec2_ids else {}
        result.instances = [
            target_from(info, region, names.get(str(info.get("InstanceId") or ""), "")) for info in infos
        ]
        if place.account_id:
            account = place.account_id
            result.instances = [dataclasses.replace(t, account_id=account) for t in result.instances]
            result.active = [dataclasses.replace(v, account_id=account) for v in result.active]
            result.history = [dataclasses.replace(v, account_id=account) for v in result.history]
        return result

    async def _instance_information(self, place: Place, result: _RegionResult) -> list[dict[str, Any]]:
        found: dict[str, dict[str, Any]] = {}
        try:
            ssm = await place.client(self.factory, "ssm")
            params: dict[str, Any] = {"MaxResults": INFO_PAGE_SIZE}
            for _ in range(MAX_PAGES):
                reply = await ssm.describe_instance_information(**params)
                for info in reply.get("InstanceInformationList") or ():
                    instance_id = info.get("InstanceId")
                    if isinstance(instance_id, str) and instance_id:
                        found[instance_id] = info
                token = reply.get("NextToken")
                if not token:
                    break
                params = {"MaxResults": INFO_PAGE_SIZE, "NextToken": token}
        except Exception as exc:  # the region shows its error; other regions carry on
            problem, error = self._api_error(place.label, DESCRIBE_INSTANCE_INFORMATION, exc)
            result.errors.append(error)
            result.listing_problem = problem
            return []
        return list(found.values())

    async def _sessions(
        self, place: Place, state: str, limit: int | None, result: _RegionResult
    ) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        try:
            ssm = await place.client(self.factory, "ssm")
            params: dict[str, Any] = {"State": state, "MaxResults": SESSIONS_PAGE_SIZE}
            for _ in range(MAX_PAGES):
                reply = await ssm.describe_sessions(**params)
                found.extend(reply.get("Sessions") or ())
                token = reply.get("NextToken")
                if not token or (limit is not None and len(found) >= limit):
                    break
                params = {"State": state, "MaxResults": SESSIONS_PAGE_SIZE, "NextToken": token}
        except Exception as exc:  # the instances still show; the sessions list says why it is empty
            _, error = self._api_error(place.label, f"{DESCRIBE_SESSIONS} ({state})", exc)
            result.errors.append(error)
            return []
        return found

    async def _named(self, place: Place, instance_ids: list[str], result: _RegionResult) -> dict[str, str]:
        """The Name tags of ``instance_ids``: read for them all every ``NAMES_REFRESH_S``, and for
        those not described yet in the cycles between. A read that fails is not kept: the next
        cycle reads them all again."""
        now = self.clock().timestamp()
        known = self._known_names.get(place.key)
        if known is None or now - known.read_at >= NAMES_REFRESH_S:
            known = _Names(now, {}, frozenset())
        wanted = [i for i in instance_ids if i not in known.described]
        if not wanted:
            return known.names
        errors = len(result.errors)
        found = {**known.names, **await self._names(place, wanted, result)}
        if len(result.errors) > errors:
            self._known_names.pop(place.key, None)
        else:
            self._known_names[place.key] = _Names(known.read_at, found, known.described | set(wanted))
        return found

    async def _names(self, place: Place, instance_ids: list[str], result: _RegionResult) -> dict[str, str]:
        """Name tags of EC2 instances, ``EC2_CHUNK`` ids a call (an id filter, so an id EC2 no longer
        knows is skipped rather than failing the call)."""
        names: dict[str, str] = {}
        try:
            ec2 = await place.client(self.factory, "ec2")
            for start in range(0, len(instance_ids), EC2_CHUNK):
                chunk = instance_ids[start : start + EC2_CHUNK]
                paginator = ec2.get_paginator("describe_instances")
                async for page in paginator.paginate(Filters=[{"Name": "instance-id", "Values": chunk}]):
                    for reservation in page.get("Reservations") or ():
                        for instance in reservation.get("Instances") or ():
                            for tag in instance.get("Tags") or ():
                                if tag.get("Key") == "Name" and isinstance(tag.get("Value"), str):
                                    names[str(instance.get("InstanceId"))] = tag["Value"]
        except Exception as exc:  # the instances not named by then stay listed, unnamed
            _, error = self._api_error(place.label, DESCRIBE_INSTANCES, exc)
            result.errors.append(
                ApiError(error.region, error.api, f"{error.message} (instance names unknown)", error.hint)
            )
        return names


async def poll(factory: ClientFactory) -> SessionsSnapshot:
    """One cycle with a fresh poller (``warroom snapshot instances``)."""
    return await SessionsPoller(factory).poll()
