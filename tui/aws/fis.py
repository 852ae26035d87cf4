"""The Experiments poller: AWS Fault Injection Service templates and experiments, every region.

One cycle per place (an account in a region, ``tui.aws.scope``), places concurrently:
ListExperimentTemplates and ListExperiments (every page) at once. Template summaries lack targets
and actions, so GetExperimentTemplate reads a template the first time it is seen and again whenever
its lastUpdateTime changes. Experiment summaries lack start and end times, so GetExperiment reads
every experiment that is not known to have ended; an experiment read once in a terminal state is
kept by the poller and not read again. A failed API becomes an ``ApiError`` and the rest of the poll
stands; only when both listings fail in every region is the whole poll's ``error`` set.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from tui.aws.clients import ClientFactory
from tui.aws.errors import AwsProblem, ErrorKind, classify
from tui.aws.findings_model import clean_line
from tui.aws.outcome import ApiError, utcnow
from tui.aws.scope import Answered, FirstCycle, Place
from tui.common.catalogue import FAULT_TAG, ORIGIN_TAG, TARGET_TAG
from tui.common.durations import iso_duration_seconds
from tui.common.timefmt import instant

log = logging.getLogger(__name__)

LIST_TEMPLATES = "fis:ListExperimentTemplates"
GET_TEMPLATE = "fis:GetExperimentTemplate"
LIST_EXPERIMENTS = "fis:ListExperiments"
GET_EXPERIMENT = "fis:GetExperiment"
READ_PERMISSIONS = (LIST_TEMPLATES, GET_TEMPLATE, LIST_EXPERIMENTS, GET_EXPERIMENT)
API_ORDER = READ_PERMISSIONS

PAGE_SIZE = 100
MAX_PAGES = 1000
#: GetExperiment / GetExperimentTemplate calls in flight at once, per region.
DETAIL_CONCURRENCY = 8


#: States after which an experiment never changes again.
TERMINAL = frozenset({"completed", "stopped", "failed", "cancelled"})
#: States of an experiment that is under way (running first in the list).
ACTIVE = frozenset({"pending", "initiating", "running", "stopping"})

Tags = tuple[tuple[str, str], ...]


#: Longest text kept from one AWS field (FIS descriptions are at most 512 characters).
TEXT_LIMIT = 1000


def _text(value: Any) -> str:
    """A string field from AWS as one safe line (no escape or control characters); "" otherwise."""
    return clean_line(value, TEXT_LIMIT) if isinstance(value, str) else ""


def _tags(value: Any) -> Tags:
    if not isinstance(value, Mapping):
        return ()
    return tuple(sorted((clean_line(k, TEXT_LIMIT), clean_line(v, TEXT_LIMIT)) for k, v in value.items()))


def tag_value(tags: Tags, key: str) -> str:
    """The value of tag ``key`` ("" when absent)."""
    return next((v for k, v in tags if k == key), "")


def _short(value: Any, limit: int = 120) -> str:
    return clean_line(value, limit)


def _pairs(value: Any) -> str:
    if not isinstance(value, Mapping):
        return ""
    items = sorted(value.items(), key=lambda kv: str(kv[0]))
    return ", ".join(f"{_short(k, 60)}={_short(v, 60)}" for k, v in items)


def _target_arns(targets: Any) -> tuple[str, ...]:
    """The resource ARNs every target names, in target-name order, without repeats."""
    found: list[str] = []
    if isinstance(targets, Mapping):
        for _name, target in sorted(targets.items(), key=lambda kv: str(kv[0])):
            if not isinstance(target, Mapping):
                continue
            for raw in target.get("resourceArns") or ():
                arn = _text(raw)
                if arn and arn not in found:
                    found.append(arn)
    return tuple(found)


def _target_lines(targets: Any) -> tuple[str, ...]:
    """One line per named target: its resource type, how it picks resources, and the selection."""
    lines: list[str] = []
    if not isinstance(targets, Mapping):
        return ()
    for name, target in sorted(targets.items(), key=lambda kv: str(kv[0])):
        if not isinstance(target, Mapping):
            continue
        parts = [f"{_short(name, 80)}: {_text(target.get('resourceType')) or '?'}"]
        arns = [_text(a) for a in target.get("resourceArns") or () if isinstance(a, str)]
        if arns:
            parts.append(", ".join(arns))
        tags = _pairs(target.get("resourceTags"))
        if tags:
            parts.append(f"tagged {tags}")
        filters = []
        for item in target.get("filters") or ():
            if isinstance(item, Mapping):
                values = ",".join(_short(v, 60) for v in item.get("values") or ())
                filters.append(f"{_short(item.get('path'), 60)}={values}")
        if filters:
            parts.append("where " + " and ".join(filters))
        params = _pairs(target.get("parameters"))
        if params:
            parts.append(params)
        mode = _text(target.get("selectionMode"))
        if mode:
            parts.append(f"selection {mode}")
        lines.append(" · ".join(parts))
    return tuple(lines)


def _action_ids(actions: Any) -> tuple[str, ...]:
    if not isinstance(actions, Mapping):
        return ()
    out = [_text(a.get("actionId")) for _n, a in sorted(actions.items(), key=lambda kv: str(kv[0]))]
    return tuple(a for a in out if a)


def _action_lines(actions: Any, *, with_state: bool = False) -> tuple[str, ...]:
    """One line per action: its name, actionId, parameters, targets and order (and state)."""
    lines: list[str] = []
    if not isinstance(actions, Mapping):
        return ()
    for name, action in sorted(actions.items(), key=lambda kv: str(kv[0])):
        if not isinstance(action, Mapping):
            continue
        parts = [f"{_short(name, 80)}: {_text(action.get('actionId')) or '?'}"]
        description = _text(action.get("description"))
        if description:
            parts.append(_short(description))
        params = _pairs(action.get("parameters"))
        if params:
            parts.append(params)
        targets = _pairs(action.get("targets"))
        if targets:
            parts.append(f"targets {targets}")
        after = [_short(a, 60) for a in action.get("startAfter") or ()]
        if after:
            parts.append("after " + ", ".join(after))
        if with_state:
            state = action.get("state")
            if isinstance(state, Mapping) and state.get("status"):
                reason = _text(state.get("reason"))
                parts.append(_short(state.get("status"), 30) + (f" ({reason})" if reason else ""))
        lines.append(" · ".join(parts))
    return tuple(lines)


def _duration(actions: Any) -> str:
    """The longest ``duration`` parameter of the actions, as written (ISO 8601, e.g. PT10M); ""."""
    best = ""
    best_seconds = -1.0
    if not isinstance(actions, Mapping):
        return ""
    for action in actions.values():
        if not isinstance(action, Mapping):
            continue
        params = action.get("parameters")
        raw = params.get("duration") if isinstance(params, Mapping) else None
        if isinstance(raw, str) and raw:
            seconds = iso_duration_seconds(raw)
            if seconds is not None and seconds > best_seconds:
                best, best_seconds = raw, seconds
    return best


def _stop_conditions(value: Any) -> tuple[str, ...]:
    out: list[str] = []
    for item in value or ():
        if isinstance(item, Mapping):
            source = _text(item.get("source")) or "?"
            target = _text(item.get("value"))
            out.append(f"{source} {target}".strip())
    return tuple(out)


@dataclass(frozen=True)
class TemplateView:
    """One experiment template; ``detailed`` is False when only its summary could be read."""

    region: str
    template_id: str
    description: str
    fault: str  # tag warroom:fault or ""
    targets: tuple[str, ...]  # resource ARNs / ids the template names
    actions: tuple[str, ...]  # actionIds
    role_arn: str
    stop_conditions: tuple[str, ...]
    tags: Tags
    arn: str = ""
    target_details: tuple[str, ...] = ()
    action_details: tuple[str, ...] = ()
    duration: str = ""
    created_at: datetime | None = None
    updated_at: datetime | None = None
    detailed: bool = True
    account_id: str = ""
    """The account the template is in ("" for the credential's own before its id is known)."""


@dataclass(frozen=True)
class ExperimentView:
    """One experiment; the times come from GetExperiment (None when it could not be read)."""

    region: str
    experiment_id: str
    template_id: str
    status: str
    reason: str
    fault: str  # tag warroom:fault (else the template's), "" when absent
    target: str  # tag warroom:target, "" when absent
    origin: str  # tag warroom:origin, "" when absent
    started_at: datetime | None
    ended_at: datetime | None
    tags: Tags
    arn: str = ""
    created_at: datetime | None = None
    role_arn: str = ""
    resources: tuple[str, ...] = ()  # resource ARNs the experiment's targets name
    actions: tuple[str, ...] = ()  # actionIds
    action_details: tuple[str, ...] = ()  # per action: name, actionId, parameters, state
    target_details: tuple[str, ...] = ()
    stop_conditions: tuple[str, ...] = ()
    error: str = ""  # state.error: code and location when the experiment failed
    detailed: bool = True
    account_id: str = ""

    @property
    def ended(self) -> bool:
        return self.status in TERMINAL

    @property
    def active(self) -> bool:
        return self.status in ACTIVE


@dataclass(frozen=True)
class FisSnapshot:
    fetched_at: datetime
    templates: tuple[TemplateView, ...] = ()
    experiments: tuple[ExperimentView, ...] = ()
    errors: tuple[ApiError, ...] = ()
    error: AwsProblem | None = None
    calls: dict[str, int] = field(default_factory=dict)
    partial: bool = False
    """Only the places that answered first of a first poll over several (``tui.aws.scope.each_place``)."""

    @property
    def running(self) -> tuple[ExperimentView, ...]:
        """The experiments under way (pending, initiating, running or stopping)."""
        return tuple(e for e in self.experiments if e.active)


def template_from(summary: Mapping[str, Any], detail: Mapping[str, Any] | None, region: str) -> TemplateView:
    """A ``TemplateView`` from a ListExperimentTemplates entry and its GetExperimentTemplate body."""
    body: Mapping[str, Any] = detail if detail is not None else summary
    tags = _tags(body.get("tags") if body.get("tags") is not None else summary.get("tags"))
    return TemplateView(
        region=region,
        template_id=_text(summary.get("id")) or _text(body.get("id")),
        description=_text(body.get("description")) or _text(summary.get("description")),
        fault=tag_value(tags, FAULT_TAG),
        targets=_target_arns(body.get("targets")),
        actions=_action_ids(body.get("actions")),
        role_arn=_text(body.get("roleArn")),
        stop_conditions=_stop_conditions(body.get("stopConditions")),
        tags=tags,
        arn=_text(body.get("arn")) or _text(summary.get("arn")),
        target_details=_target_lines(body.get("targets")),
        action_details=_action_lines(body.get("actions")),
        duration=_duration(body.get("actions")),
        created_at=instant(body.get("creationTime") or summary.get("creationTime")),
        updated_at=instant(summary.get("lastUpdateTime") or body.get("lastUpdateTime")),
        detailed=detail is not None,
    )


def _state(raw: Mapping[str, Any]) -> tuple[str, str, str]:
    state = raw.get("state")
    if not isinstance(state, Mapping):
        return "", "", ""
    error = state.get("error")
    code = ""
    if isinstance(error, Mapping):
        code = " ".join(_text(error.get(k)) for k in ("code", "location", "accountId") if error.get(k))
    return _text(state.get("status")), _text(state.get("reason")), code


def experiment_from(
    summary: Mapping[str, Any],
    detail: Mapping[str, Any] | None,
    region: str,
    *,
    template_faults: Mapping[str, str] | None = None,
) -> ExperimentView:
    """An ``ExperimentView`` from a ListExperiments entry and its GetExperiment body (when read)."""
    body: Mapping[str, Any] = detail if detail is not None else summary
    status, reason, error = _state(body)
    if not status:
        status, reason, error = _state(summary)
    tags = _tags(summary.get("tags") if summary.get("tags") is not None else body.get("tags"))
    template_id = _text(body.get("experimentTemplateId")) or _text(summary.get("experimentTemplateId"))
    fault = tag_value(tags, FAULT_TAG) or (template_faults or {}).get(template_id, "")
    return ExperimentView(
        region=region,
        experiment_id=_text(summary.get("id")) or _text(body.get("id")),
        template_id=template_id,
        status=status,
        reason=reason,
        fault=fault,
        target=tag_value(tags, TARGET_TAG),
        origin=tag_value(tags, ORIGIN_TAG),
        started_at=instant(detail.get("startTime")) if detail is not None else None,
        ended_at=instant(detail.get("endTime")) if detail is not None else None,
        tags=tags,
        arn=_text(body.get("arn")) or _text(summary.get("arn")),
        created_at=instant(body.get("creationTime") or summary.get("creationTime")),
        role_arn=_text(body.get("roleArn")),
        resources=_target_arns(body.get("targets")),
        actions=_action_ids(body.get("actions")),
        action_details=_action_lines(body.get("actions"), with_state=True),
        target_details=_target_lines(body.get("targets")),
        stop_conditions=_stop_conditions(body.get("stopConditions")),
        error=error,
        detailed=detail is not None,
    )


def _when(view: ExperimentView) -> float:
    moment = view.started_at or view.created_at
    return moment.timestamp() if moment is not None else 0.0


def experiment_sort_key(view: ExperimentView) -> tuple[bool, float, str]:
    """Experiments under way first, then newest first."""
    return (not view.active, -_when(view), view.experiment_id)


def template_sort_key(view: TemplateView) -> tuple[str, str, str, str]:
    """By fault, then description, then region and id."""
    return (view.fault.lower() or "\uffff", view.description.lower(), view.region, view.template_id)


def permission_hint(api: str) -> str:
    """What to grant when FIS answers AccessDenied to ``api``."""
    needed = ", ".join(READ_PERMISSIONS)
    return f"grant {api} to this identity (the Experiments pane reads with {needed})"


@dataclass
class _RegionResult:
    templates: list[TemplateView] = field(default_factory=list)
    experiments: list[ExperimentView] = field(default_factory=list)
    errors: list[ApiError] = field(default_factory=list)
    listing: dict[str, AwsProblem] = field(default_factory=dict)
    """The problem of each listing (ListExperimentTemplates, ListExperiments) that failed."""


class FisPoller:
    """``poll()`` is one cycle over every place of the factory (``ClientFactory.places``).

    Between cycles it keeps experiments already read in a terminal state (they never change again, so
    they are not read again) and template bodies by lastUpdateTime.
    """

    def __init__(self, factory: ClientFactory, *, clock: Callable[[], datetime] = utcnow) -> None:
        self.factory = factory
        self.clock = clock
        # Keyed by (place key, id): the place key is the region for the credential's own account.
        self._ended: dict[tuple[str, str], Mapping[str, Any]] = {}
        self._bodies: dict[tuple[str, str], tuple[Any, Mapping[str, Any]]] = {}
        self._first = FirstCycle()

    async def poll(self, answered: Answered | None = None) -> FisSnapshot:
        """One cycle; ``answered`` hears as places answer (with what was read so far, until the
        first whole cycle)."""
        now = self.clock()
        parts = await self._first.read(
            self.factory.places,
            self._region,
            answered,
            lambda done, partial: self._snapshot(now, done, partial=partial),
        )
        return self._snapshot(now, parts)

    def _snapshot(self, now: datetime, parts: list[_RegionResult], *, partial: bool = False) -> FisSnapshot:
        templates: list[TemplateView] = []
        experiments: list[ExperimentView] = []
        errors: list[ApiError] = []
        for part in parts:
            templates.extend(part.templates)
            experiments.extend(part.experiments)
            errors.extend(part.errors)
        error: AwsProblem | None = None
        if parts and all(len(p.listing) == 2 for p in parts):
            error = parts[0].listing[LIST_TEMPLATES]
        return FisSnapshot(
            fetched_at=now,
            templates=tuple(sorted(templates, key=template_sort_key)),
            experiments=tuple(sorted(experiments, key=experiment_sort_key)),
            errors=tuple(errors),
            error=error,
            calls=dict(self.factory.calls),
            partial=partial,
        )

    def _failure(
        self, region: str, api: str, exc: Exception, result: _RegionResult, note: str = ""
    ) -> AwsProblem:
        problem = classify(exc, profile=self.factory.target.profile)
        hint = permission_hint(api) if problem.kind is ErrorKind.PERMISSION else problem.hint
        if problem.kind is ErrorKind.PERMISSION:
            problem = replace(problem, hint=hint)
        log.debug("%s in %s failed: %s", api, region, problem.code)
        message = f"{problem.message} ({note})" if note else problem.message
        result.errors.append(ApiError(region, api, message, hint))
        return problem

    async def _region(self, place: Place) -> _RegionResult:
        result = _RegionResult()
        region, where = place.region, place.key
        summaries, listed = await asyncio.gather(
            self._list(place, "list_experiment_templates", "experimentTemplates", LIST_TEMPLATES, result),
            self._list(place, "list_experiments", "experiments", LIST_EXPERIMENTS, result),
        )
        gate = asyncio.Semaphore(DETAIL_CONCURRENCY)
        bodies, details = await asyncio.gather(
            self._template_bodies(place, summaries or [], gate, result),
            self._experiment_bodies(place, listed or [], gate, result),
        )
        account = place.account_id
        result.templates = [
            replace(template_from(s, bodies.get(_text(s.get("id"))), region), account_id=account)
            for s in summaries or []
            if s.get("id")
        ]
        faults = {t.template_id: t.fault for t in result.templates if t.fault}
        result.experiments = [
            replace(
                experiment_from(s, details.get(_text(s.get("id"))), region, template_faults=faults),
                account_id=account,
            )
            for s in listed or []
            if s.get("id")
        ]
        live = {(where, _text(s.get("id"))) for s in listed or []}
        if listed is not None:
            for key in [k for k in self._ended if k[0] == where and k not in live]:
                del self._ended[key]
        if summaries is not None:
            known = {(where, _text(s.get("id"))) for s in summaries}
            for key in [k for k in self._bodies if k[0] == where and k not in known]:
                del self._bodies[key]
        # Concurrent calls fail in any order; the pane lists them in a fixed one.
        result.errors.sort(key=lambda e: API_ORDER.index(e.api) if e.api in API_ORDER else len(API_ORDER))
        return result

    async def _list(
        self, place: Place, method: str, key: str, api: str, result: _RegionResult
    ) -> list[dict[str, Any]] | None:
        found: dict[str, dict[str, Any]] = {}
        try:
            fis = await place.client(self.factory, "fis")
            params: dict[str, Any] = {"maxResults": PAGE_SIZE}
            for _ in range(MAX_PAGES):
                reply = await getattr(fis, method)(**params)
                for item in reply.get(key) or ():
                    ident = item.get("id") if isinstance(item, Mapping) else None
                    if isinstance(ident, str) and ident:
                        found[ident] = item
                token = reply.get("nextToken")
                if not token:
                    break
                params = {"maxResults": PAGE_SIZE, "nextToken": token}
        except Exception as exc:  # the place shows its error; the other listing and places carry on
            result.listing[api] = self._failure(place.label, api, exc, result)
            return None
        return list(found.values())

    async def _template_bodies(
        self, place: Place, summaries: list[dict[str, Any]], gate: asyncio.Semaphore, result: _RegionResult
    ) -> dict[str, Mapping[str, Any]]:
        where = place.key
        bodies: dict[str, Mapping[str, Any]] = {}
        wanted: list[str] = []
        for summary in summaries:
            ident = _text(summary.get("id"))
            if not ident:
                continue
            cached = self._bodies.get((where, ident))
            stamp = summary.get("lastUpdateTime")
            if cached is not None and stamp is not None and cached[0] == stamp:
                bodies[ident] = cached[1]
            else:
                wanted.append(ident)
        failed: list[tuple[str, Exception]] = []

        async def read(ident: str, stamp: Any) -> None:
            async with gate:
                try:
                    fis = await place.client(self.factory, "fis")
                    reply = await fis.get_experiment_template(id=ident)
                except Exception as exc:  # the template stays listed from its summary
                    failed.append((ident, exc))
                    return
            body = reply.get("experimentTemplate")
            if isinstance(body, Mapping):
                bodies[ident] = body
                self._bodies[(where, ident)] = (stamp, body)

        stamps = {_text(s.get("id")): s.get("lastUpdateTime") for s in summaries}
        await asyncio.gather(*(read(ident, stamps.get(ident)) for ident in wanted))
        if failed:
            ident, exc = failed[0]
            more = f" and {len(failed) - 1} more" if len(failed) > 1 else ""
            self._failure(
                place.label, GET_TEMPLATE, exc, result, f"targets and actions of {ident}{more} unknown"
            )
        return bodies

    async def _experiment_bodies(
        self, place: Place, listed: list[dict[str, Any]], gate: asyncio.Semaphore, result: _RegionResult
    ) -> dict[str, Mapping[str, Any]]:
        where = place.key
        bodies: dict[str, Mapping[str, Any]] = {}
        wanted: list[str] = []
        for summary in listed:
            ident = _text(summary.get("id"))
            if not ident:
                continue
            status, _, _ = _state(summary)
            cached = self._ended.get((where, ident))
            if cached is not None and status in TERMINAL:
                bodies[ident] = cached
            else:
                wanted.append(ident)
        failed: list[tuple[str, Exception]] = []

        async def read(ident: str) -> None:
            async with gate:
                try:
                    fis = await place.client(self.factory, "fis")
                    reply = await fis.get_experiment(id=ident)
                except Exception as exc:  # the experiment stays listed from its summary, times unknown
                    failed.append((ident, exc))
                    return
            body = reply.get("experiment")
            if isinstance(body, Mapping):
                bodies[ident] = body
                status, _, _ = _state(body)
                if status in TERMINAL:
                    self._ended[(where, ident)] = body

        await asyncio.gather(*(read(ident) for ident in wanted))
        if failed:
            ident, exc = failed[0]
            more = f" and {len(failed) - 1} more" if len(failed) > 1 else ""
            self._failure(place.label, GET_EXPERIMENT, exc, result, f"times of {ident}{more} unknown")
        return bodies


def running_of(snapshot: FisSnapshot, template_id: str, region: str) -> tuple[ExperimentView, ...]:
    """The experiments of one template that are under way."""
    return tuple(
        e for e in snapshot.experiments if e.active and e.template_id == template_id and e.region == region
    )


async def poll(factory: ClientFactory) -> FisSnapshot:
    """One cycle with a fresh poller (``warroom snapshot fis``)."""
    return await FisPoller(factory).poll()
