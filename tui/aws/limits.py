"""The Limits poller: every instance's network and EBS traffic, and every volume's, against their limits.

One cycle per region: DescribeInstances and DescribeVolumes (paginated), DescribeInstanceTypes for
types not seen before (cached for the session), the vCPU quota, then every metric of every running
instance and attached volume in ceil(queries / 500) concurrent GetMetricData calls. The CloudWatch
agent's series are discovered with ListMetrics every ``AGENT_REFRESH_S`` (their dimensions vary by
agent configuration). Rates are Sum / period, computed here.

The first cycle reads the last hour so gauges, sparklines and hints start full; later cycles read
only the last few periods, and only of the series that can have a new point since their last read
(``metrics.QueryPlan``: a one-minute series polled every 30 s is asked once a minute, a volume's
idle time every ``SLOW_REFRESH_S``), and keep a rolling hour per series in memory.

Data as AWS publishes it is sparse: AWS/EBS sends nothing for an idle volume, and nothing for the
direction (read or write) a volume did not use that minute; a missing sibling series is zero when
another of the resource's series has a point. An instance's EBS traffic is its AWS/EC2 EBS* metrics
where AWS publishes them (Nitro types), otherwise the sum of its volumes', an idle volume counting
zero. A value is unknown only when nothing at all was published for it in the watched hour.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import math
import operator
import time
from array import array
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, NamedTuple, Protocol

from tui.aws.clients import ClientFactory
from tui.aws.errors import AwsProblem, classify
from tui.aws.inventory import (
    INSTANCE_FIELDS,
    VOLUME_FIELDS,
    Inventory,
    InventoryCache,
    aggregated_inventory,
    kept,
)
from tui.aws.limits_math import (
    MB_PER_MIB,
    MIB,
    Binding,
    Dimension,
    Hint,
    InstanceLimits,
    Thresholds,
    VolumeLimit,
    VolumeUsage,
    binding,
    ceiling_now,
    instance_hint,
    instance_limits,
    level,
    silent_volume_hint,
    unattached_hint,
    volume_hints,
    volume_limit,
    with_siblings,
)
from tui.aws.metrics import MetricBatch, MetricQuery, QueryPlan, Series, get_metric_data, linked_accounts
from tui.aws.outcome import ApiError, utcnow
from tui.aws.scope import Place, each_place, metrics_via
from tui.common.runtime import paused_gc, release_memory

VCPU_QUOTA_CODE = "L-1216C47A"
VCPU_QUOTA_NAME = "Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances (vCPU)"
# What Service Quotas documents for L-1216C47A, used when the quota does not name its usage metric.
VCPU_USAGE_DIMENSIONS = (
    ("Class", "Standard/OnDemand"),
    ("Resource", "vCPU"),
    ("Service", "EC2"),
    ("Type", "Resource"),
)
AGENT_REFRESH_S = 900.0
# The fleet (DescribeInstances, DescribeVolumes, the quota) is re-read this often, or on demand;
# metrics every cycle. Parsing a large fleet's EC2 XML costs more than everything else in a cycle.
INVENTORY_REFRESH_S = 120.0
HINTS_GRACE_S = 60.0
"""How long the hints, once due, may wait for a cycle that reads few metrics (a due re-read of the
fleet never waits: it leaves a new minute to the poll after)."""
# Idle time and the right-sizing hints move slowly: read and recomputed this often.
SLOW_REFRESH_S = 300.0
BACKFILL_S = 3600.0
HISTORY_POINTS = 60
VOLUME_PERIOD = 60
BURSTING_VOLUME_TYPES = ("gp2", "st1", "sc1", "standard")
ENA_COUNTERS = (
    "ethtool_bw_in_allowance_exceeded",
    "ethtool_bw_out_allowance_exceeded",
    "ethtool_pps_allowance_exceeded",
    "ethtool_conntrack_allowance_exceeded",
    "ethtool_linklocal_allowance_exceeded",
)
FAST_VOLUME_METRICS = ("VolumeReadOps", "VolumeWriteOps", "VolumeReadBytes", "VolumeWriteBytes")
# Published by Nitro instances for all their volumes together; older (Xen) types publish none.
INSTANCE_EBS_METRICS = ("EBSReadOps", "EBSWriteOps", "EBSReadBytes", "EBSWriteBytes")
NO_DATAPOINTS = "no datapoints: idle or not published"


# ---------------------------------------------------------------------------------------------
# Snapshot
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class VolumeView:
    region: str
    volume_id: str
    name: str
    volume_type: str
    size_gib: int | None
    state: str
    instance_id: str | None
    device: str
    limit: VolumeLimit | None
    iops: float | None = None
    throughput_mibps: float | None = None
    burst_balance_pct: float | None = None
    idle_fraction: float | None = None
    iops_ceiling: float | None = None
    mibps_ceiling: float | None = None
    iops_capped_by: str | None = None
    mibps_capped_by: str | None = None
    utilization: float | None = None
    capped_by: str | None = None
    level: str = "unknown"
    reasons: tuple[str, ...] = ()
    # The volume's own limits in force now (burst while credits remain), before the instance's.
    own_iops: float | None = None
    own_mibps: float | None = None
    account_id: str = ""
    """The account it belongs to ("" for the credential's own account, before its id is known)."""


@dataclass(frozen=True, slots=True)
class InstanceView:
    region: str
    instance_id: str
    name: str
    instance_type: str
    state: str
    tags: tuple[tuple[str, str], ...]
    period_s: int
    limits: InstanceLimits
    net_in_mbps: float | None = None
    net_out_mbps: float | None = None
    net_utilization: float | None = None
    net_level: str = "unknown"
    ebs_mbs: float | None = None
    ebs_iops: float | None = None
    ebs_byte_balance_pct: float | None = None
    ebs_io_balance_pct: float | None = None
    ebs_ceiling_mbs: float | None = None
    ebs_ceiling_iops: float | None = None
    ebs_utilization: float | None = None
    ebs_binding: str | None = None
    ebs_level: str = "unknown"
    memory_used_pct: float | None = None
    disk_used_pct: float | None = None
    ena: tuple[tuple[str, float], ...] | None = None  # None: the agent publishes no ENA counters
    volumes: tuple[VolumeView, ...] = ()
    utilization: float | None = None
    level: str = "unknown"
    history: Sequence[float] = field(default=(), compare=False)
    """The instance's busiest gauge per period, oldest first (single precision: thousands of views
    are held, and a trend needs no more)."""
    reasons: tuple[str, ...] = ()
    root_device: str = ""
    # Where the EBS gauges come from: "AWS/EC2 EBS*" or "AWS/EBS, sum of volumes" ("" before data).
    ebs_source: str = ""
    account_id: str = ""
    """The account it belongs to ("" for the credential's own account, before its id is known)."""

    @property
    def monitoring(self) -> str:
        """ "1-min data (detailed monitoring)" or "5-min data (basic monitoring)"."""
        return monitoring_words(self.period_s)

    @property
    def worst_volume(self) -> VolumeView | None:
        known = [v for v in self.volumes if v.utilization is not None]
        return max(known, key=lambda v: v.utilization or 0.0) if known else None


@dataclass(frozen=True)
class QuotaView:
    region: str
    code: str
    name: str
    value: float | None
    usage: float | None
    utilization: float | None
    level: str
    problem: str = ""
    account_id: str = ""


READING = "reading its metrics…"
"""The reason of an instance's unknown gauges in the first poll's list of the fleet, before any
metric is read."""


@dataclass(frozen=True)
class LimitsSnapshot:
    fetched_at: datetime
    period_s: int
    instances: tuple[InstanceView, ...] = ()
    unattached: tuple[VolumeView, ...] = ()
    quotas: tuple[QuotaView, ...] = ()
    errors: tuple[ApiError, ...] = ()
    hints: tuple[Hint, ...] = ()
    thresholds: Thresholds = field(default_factory=Thresholds)
    periods: dict[int, int] = field(default_factory=dict)
    window_minutes: float = 0.0
    queries: int = 0
    calls: dict[str, int] = field(default_factory=dict)
    error: AwsProblem | None = None
    loading: bool = False
    """A first poll's list of the fleet, or its latest minutes, shown while it reads the hour
    (never a poll's result)."""
    follow_up: bool = False
    """The cycle re-read the fleet on demand and left CloudWatch's new minute, due in it, to a poll
    right after (``LimitsPoller.poll``): the feed polls again a second later."""

    @property
    def listed_only(self) -> bool:
        """The first poll's list of the fleet, before any metric is read."""
        return self.loading and self.queries == 0


class Progress(Protocol):
    """Told of a first poll's progress: (pages, instances) and the partial snapshot it hands over."""

    def __call__(self, pages: int, found: int, partial: LimitsSnapshot | None = None, /) -> None: ...


# ---------------------------------------------------------------------------------------------
# Rolling history
# ---------------------------------------------------------------------------------------------


_TIMES = "I" if array("I").itemsize == 4 else "L"  # four bytes or more: whole epoch seconds until 2106


class History:
    """Per (resource, quantity): the last ``HISTORY_POINTS`` derived values, oldest first.

    Times and values sit in two arrays: tens of thousands of series at fleet scale, where a Python
    float in a deque costs several times the memory, and copies and extremes run at C speed. Times
    are whole epoch seconds (CloudWatch stamps periods so), values single precision: seven
    significant digits, more than any gauge shows, for half the memory."""

    def __init__(self, points: int = HISTORY_POINTS) -> None:
        self._points = points
        self._data: dict[str, tuple[array[int], array[float]]] = {}

    def last_ts(self, key: str) -> float:
        series = self._data.get(key)
        return series[0][-1] if series else 0.0

    def add(self, key: str, ts: float, value: float) -> None:
        stamp = int(ts)
        series = self._data.get(key)
        if series is None:
            self._data[key] = (array(_TIMES, (stamp,)), array("f", (value,)))
            return
        times, values = series
        if stamp > times[-1]:
            times.append(stamp)
            values.append(value)
            if len(times) > self._points:
                del times[0]
                del values[0]
        elif stamp == times[-1]:  # the newest period again, with points that arrived since
            values[-1] = value

    def add_newer(self, key: str, found: Series | None, scale: float = 1.0) -> None:
        """The points of ``found`` (newest first) newer than the newest held, oldest first, each
        times ``scale``: one call per series, as thousands are added a cycle."""
        if found is None:
            return
        stamps = found.timestamps
        if not stamps:
            return
        series = self._data.get(key)
        last = series[0][-1] if series else 0.0
        if stamps[0] <= last:
            return
        values = found.values
        count = 0
        previous = math.inf
        for ts in stamps:
            if ts <= last:
                break
            if ts >= previous:  # not strictly newest first: the general way
                fresh = _new_points(found, last)
                for stamp in sorted(fresh):
                    self.add(key, stamp, fresh[stamp] * scale)
                return
            previous = ts
            count += 1
        for index in range(min(count, len(values)) - 1, -1, -1):
            self.add(key, stamps[index], values[index] * scale)

    def latest(self, key: str) -> tuple[float, float] | None:
        series = self._data.get(key)
        return (series[0][-1], series[1][-1]) if series else None

    def values(self, key: str) -> array[float]:
        """A copy of the values held, oldest first."""
        series = self._data.get(key)
        return array("f", series[1]) if series else array("f")

    def points_after(self, key: str, after: float) -> list[tuple[float, float]]:
        series = self._data.get(key)
        if not series:
            return []
        times, values = series
        out: list[tuple[float, float]] = []
        index = len(times) - 1
        while index >= 0 and times[index] > after:
            out.append((times[index], values[index]))
            index -= 1
        return out

    def total(self, key: str) -> float:
        """The sum of the values held (0 for none)."""
        series = self._data.get(key)
        return float(sum(series[1])) if series else 0.0

    def peak(self, key: str) -> float | None:
        series = self._data.get(key)
        return max(series[1]) if series else None

    def lowest(self, key: str) -> float | None:
        series = self._data.get(key)
        return min(series[1]) if series else None

    def span_minutes(self, key: str) -> float:
        series = self._data.get(key)
        if not series or len(series[0]) < 2:
            return 0.0
        return (series[0][-1] - series[0][0]) / 60.0

    def forget(self, keep: Callable[[str], bool]) -> None:
        for key in [k for k in self._data if not keep(k)]:
            del self._data[key]


def monitoring_words(period_s: int) -> str:
    if period_s == 60:
        return "1-min data (detailed monitoring)"
    if period_s == 300:
        return "5-min data (basic monitoring)"
    return f"{period_s}-s data"


def _new_points(series: Series | None, after: float) -> dict[float, float]:
    """Datapoints newer than ``after`` (the series comes newest first)."""
    out: dict[float, float] = {}
    if series is None:
        return out
    for ts, value in zip(series.timestamps, series.values, strict=False):
        if ts <= after:
            break
        out[ts] = value
    return out


def _latest(series: Series | None) -> tuple[float, float] | None:
    if series is None or not series.timestamps:
        return None
    return series.timestamps[0], series.values[0]


# ---------------------------------------------------------------------------------------------
# The poller
# ---------------------------------------------------------------------------------------------


@dataclass
class _AgentCatalog:
    fetched_at: float = 0.0
    memory: dict[str, tuple[tuple[str, str], ...]] = field(default_factory=dict)
    disks: dict[str, list[tuple[tuple[str, str], ...]]] = field(default_factory=dict)
    ena: dict[str, dict[str, list[tuple[tuple[str, str], ...]]]] = field(default_factory=dict)
    problem: AwsProblem | None = None


@dataclass
class _Region:
    """What one place's (an account's region's) describe calls returned, before metrics."""

    place: Place
    instances: list[dict[str, Any]] = field(default_factory=list)
    volumes: list[dict[str, Any]] = field(default_factory=list)
    by_instance: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    available: list[dict[str, Any]] = field(default_factory=list)
    volumes_ok: bool = True
    quota: dict[str, Any] | None = None
    errors: list[ApiError] = field(default_factory=list)
    fatal: AwsProblem | None = None

    @property
    def region(self) -> str:
        return self.place.region


def _unchanged(old: _Region | None, new: _Region) -> _Region:
    """``old`` when ``new`` (the same place read again) holds the same inventory, else ``new``."""
    if (
        old is not None
        and old.fatal is None
        and new.fatal is None
        and not old.errors
        and not new.errors
        and old.volumes_ok == new.volumes_ok
        and old.instances == new.instances
        and old.volumes == new.volumes
        and old.quota == new.quota
    ):
        return old
    return new


def _tags(resource: dict[str, Any]) -> dict[str, str]:
    return {str(t.get("Key", "")): str(t.get("Value", "")) for t in resource.get("Tags") or ()}


def _dims(dimensions: Iterable[dict[str, Any]]) -> tuple[tuple[str, str], ...]:
    return tuple((str(d.get("Name", "")), str(d.get("Value", ""))) for d in dimensions)


def _api_error(region: str, api: str, problem: AwsProblem) -> ApiError:
    return ApiError(region, api, problem.message, problem.hint)


class LimitsPoller:
    """Keeps the caches and rolling history between cycles; ``poll()`` is one cycle."""

    def __init__(
        self,
        factory: ClientFactory,
        *,
        thresholds: Thresholds | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.factory = factory
        self.thresholds = thresholds or Thresholds()
        self.clock = clock
        self.history = History()
        self._types: dict[tuple[str, str], dict[str, Any] | None] = {}
        self._limits: dict[tuple[str, str], InstanceLimits] = {}
        self._agents: dict[str, _AgentCatalog] = {}
        self._described: list[_Region] = []
        self._described_at = 0.0
        self._force = False
        self._plans: dict[str, _Plan] = {}
        self._replaced: dict[str, _Plan] = {}
        self._slow_at: float | None = None
        self._hints: dict[str, list[Hint]] = {}
        self._read_hour = False
        """The cycle under way reads the last hour (a first cycle's)."""
        self._built: dict[str, _Built] = {}
        """Each running instance's view, and what it was derived from (reused while that holds)."""
        self._ebs_from_ec2: set[str] = set()  # instances whose AWS/EC2 EBS* metrics were seen
        self._cycles = 0
        self.last_queries = 0
        self._combined_plans: dict[tuple[str, str], tuple[tuple[_Plan, ...], QueryPlan]] = {}
        """Per batch (its region and monitoring place): the plans it combined, and their queries."""
        self._rank: dict[str, int] = {}
        """Each instance's place in the last list, busiest first: of a large fleet's new minute, the
        busiest instances' series are read first (``QueryPlan.due_chunks``, spread)."""
        self._inventory_cache = InventoryCache()
        self.aggregator = ""
        """The AWS Config aggregator the inventory came from ("" when each place was described)."""
        self.aggregator_problem = ""
        self.linked: dict[str, frozenset[str]] = {}
        """Per region, the accounts whose metrics the credential's own account reads as a CloudWatch
        monitoring account (OAM links to its sink); read with the inventory."""

    def refresh_inventory(self) -> None:
        """Re-read instances, volumes and the quota on the next cycle (the user asked)."""
        self._force = True

    # -- describe ---------------------------------------------------------------------------

    async def _paginate(self, client: Any, operation: str, key: str, **params: Any) -> list[Any]:
        items: list[Any] = []
        async for page in client.get_paginator(operation).paginate(**params):
            items.extend(page.get(key) or [])
        return items

    async def _aggregated(self, places: tuple[Place, ...]) -> dict[tuple[str, str], Inventory] | None:
        """Every place's instances and volumes from the credential's AWS Config aggregator, when it
        has one that answers (``tui.aws.inventory``); None: describe each place instead."""
        found = await aggregated_inventory(self.factory, places, self._inventory_cache)
        self.aggregator = found.aggregator
        if found.problem:
            self.aggregator_problem = found.problem
        return found.inventory

    async def _describe(self, place: Place, given: Inventory | None = None) -> _Region:
        """``place``'s instances, volumes and vCPU quota; ``given`` instances and volumes (an
        aggregator's) are not asked for again."""
        profile = self.factory.target.profile
        out = _Region(place)
        region = place.label
        try:
            ec2 = None if given is not None else await place.client(self.factory, "ec2")
        except Exception as exc:  # the role cannot be assumed: this place's one error
            out.fatal = classify(exc, profile=profile)
            return out

        async def instances() -> None:
            if given is not None:
                found = given.instances
            else:
                reservations = await self._paginate(ec2, "describe_instances", "Reservations")
                found = [i for r in reservations for i in r.get("Instances") or ()]
            # Only what the poller reads is held (an aggregator's are so already).
            out.instances = [
                i if given is not None else kept(i, INSTANCE_FIELDS)
                for i in found
                if (i.get("State") or {}).get("Name") not in ("terminated", "shutting-down")
            ]

        async def volumes() -> None:
            if given is not None:
                out.volumes = given.volumes
            else:
                described = await self._paginate(ec2, "describe_volumes", "Volumes")
                out.volumes = [kept(v, VOLUME_FIELDS) for v in described]

        async def quota() -> None:
            client = await place.client(self.factory, "service-quotas")
            reply = await client.get_service_quota(ServiceCode="ec2", QuotaCode=VCPU_QUOTA_CODE)
            out.quota = reply.get("Quota") or {}

        results = await asyncio.gather(instances(), volumes(), quota(), return_exceptions=True)
        for vol in out.volumes:
            attachments = vol.get("Attachments") or []
            owner = attachments[0].get("InstanceId") if attachments else None
            if owner and vol.get("State") == "in-use":
                out.by_instance.setdefault(str(owner), []).append(vol)
            elif vol.get("State") == "available":
                out.available.append(vol)
        for api, result in zip(
            ("ec2:DescribeInstances", "ec2:DescribeVolumes", "service-quotas:GetServiceQuota"),
            results,
            strict=True,
        ):
            if isinstance(result, BaseException):
                if not isinstance(result, Exception):
                    raise result
                problem = classify(result, profile=profile)
                if api == "ec2:DescribeInstances":
                    out.fatal = problem
                elif api == "ec2:DescribeVolumes":
                    out.volumes_ok = False
                    out.errors.append(_api_error(region, api, problem))
                else:
                    out.quota = {"_problem": problem}
        return out

    async def _load_types(self, place: Place, names: set[str], errors: list[ApiError]) -> None:
        """The instance types' specifications, the same in every account: kept per region."""
        region = place.region
        missing = sorted(n for n in names if (region, n) not in self._types)
        if not missing:
            return
        ec2 = await place.client(self.factory, "ec2")

        async def batch(chunk: list[str]) -> None:
            try:
                found = await self._paginate(
                    ec2, "describe_instance_types", "InstanceTypes", InstanceTypes=chunk
                )
            except Exception as exc:  # an unknown name fails the whole call: retry one by one
                problem = classify(exc, profile=self.factory.target.profile)
                if len(chunk) > 1 and problem.code.startswith("InvalidInstanceType"):
                    await asyncio.gather(*(batch([name]) for name in chunk))
                    return
                if problem.code.startswith("InvalidInstanceType"):
                    self._types[(region, chunk[0])] = None
                    return
                errors.append(_api_error(place.label, "ec2:DescribeInstanceTypes", problem))
                return
            by_name = {str(t.get("InstanceType")): t for t in found}
            for name in chunk:
                self._types[(region, name)] = by_name.get(name)

        await asyncio.gather(*(batch(missing[i : i + 100]) for i in range(0, len(missing), 100)))

    async def _agent_catalog(self, place: Place) -> _AgentCatalog:
        now = time.monotonic()
        cached = self._agents.get(place.key)
        if cached is not None and now - cached.fetched_at < AGENT_REFRESH_S and cached.problem is None:
            return cached
        catalog = _AgentCatalog(fetched_at=now)
        try:
            cw = await place.client(self.factory, "cloudwatch")
            metrics = await self._paginate(
                cw, "list_metrics", "Metrics", Namespace="CWAgent", RecentlyActive="PT3H"
            )
        except Exception as exc:  # the agent's gauges say why they are unknown
            catalog.problem = classify(exc, profile=self.factory.target.profile)
            self._agents[place.key] = catalog
            return catalog
        for metric in metrics:
            dims = _dims(metric.get("Dimensions") or ())
            iid = dict(dims).get("InstanceId")
            if not iid:
                continue
            name = str(metric.get("MetricName"))
            if name == "mem_used_percent":
                # Prefer the plainest dimension set when the agent appends several.
                current = catalog.memory.get(iid)
                if current is None or len(dims) < len(current):
                    catalog.memory[iid] = dims
            elif name == "disk_used_percent":
                catalog.disks.setdefault(iid, []).append(dims)
            elif name in ENA_COUNTERS:
                catalog.ena.setdefault(iid, {}).setdefault(name, []).append(dims)
        self._agents[place.key] = catalog
        return catalog

    # -- one cycle --------------------------------------------------------------------------

    async def poll(self, progress: Progress | None = None) -> LimitsSnapshot:
        """One cycle. The first reads the last hour; given ``progress``, it first hands over a
        partial snapshot (``loading``) from the latest minutes, read as a steady cycle reads them.

        The cyclic garbage collector waits for the cycle's end (``paused_gc``): at fleet scale a
        cycle decodes and derives tens of thousands of series, and the collector walked them over
        and over while they were alive (100 to 400 ms a cycle at 2,000 instances)."""
        forced = self._force
        self._read_hour = False
        with paused_gc():
            snapshot = await self._poll(progress)
        if self._read_hour or forced:
            release_memory()  # the hour's series, or the inventory's descriptions, are gone
        return snapshot

    async def _poll(self, progress: Progress | None) -> LimitsSnapshot:
        started = self.clock()
        mono = time.monotonic()
        # A re-read (asked for with ``r``, or due every ``INVENTORY_REFRESH_S``) is never delayed;
        # when it falls in a cycle whose new minute is due, the minute is left to a poll of its own
        # right after (``follow_up``): the two costs never add up. (Waiting for a cycle without the
        # minute does not do: a large fleet's minute is read over two cycles, and none is without.)
        stale = mono - self._described_at >= INVENTORY_REFRESH_S
        follow_up = (
            (self._force or stale) and self._cycles > 0 and self._due_share(started.timestamp()) >= 0.5
        )
        moved = tuple(d.place for d in self._described) != self.factory.places
        # Places watched for the first time (the organization's accounts, learned after a first
        # poll of the credential's own; a scope widened again) are read as a first cycle is: the
        # fleet at once, its latest minutes, then the hour.
        added = bool(set(self.factory.places) - {d.place for d in self._described}) and self._cycles > 0
        if (
            self._force
            or stale
            or moved
            or not self._described
            or any(d.fatal or d.errors for d in self._described)
        ):
            places = self.factory.places
            aggregated = await self._aggregated(places) if any(not p.home for p in places) else None
            given = aggregated or {}
            # A few places at a time (``each_place``): every role is assumed on one STS quota.
            fresh = await each_place(places, lambda p: self._describe(p, given.get((p.account_id, p.region))))
            # A place whose inventory reads the same as before keeps what was worked out from it
            # (its query plan and its instances' fixed parts): only the places that changed start over.
            before = {d.place: d for d in self._described}
            self._described = [_unchanged(before.get(d.place), d) for d in fresh]
            kept = {d.place.key for d in self._described if before.get(d.place) is d}
            if any(not p.home for p in places):
                self.linked = await linked_accounts(self.factory, (p.region for p in places))
            self._described_at = mono
            self._force = False
            # A place whose inventory changed gets a new plan, which takes over what its old one
            # knew of the series both have (``_prepare``).
            self._replaced = {key: plan for key, plan in self._plans.items() if key not in kept}
            self._plans = {key: plan for key, plan in self._plans.items() if key in kept}
        described = self._described
        fatal = [d.fatal for d in described if d.fatal is not None]
        if fatal and len(fatal) == len(described):
            return LimitsSnapshot(started, 60, thresholds=self.thresholds, error=fatal[0])
        first = self._cycles == 0 or added
        follow_up = follow_up and not first  # a first read of a place reads everything anyway
        self._cycles += 1
        slow = not follow_up and (
            self._slow_at is None or self._light_enough(mono - self._slow_at, SLOW_REFRESH_S, started)
        )
        if slow:
            self._slow_at = mono
        window = BACKFILL_S if first else None
        self._read_hour = first
        prepared = await asyncio.gather(*(self._prepare(d, slow) for d in described))
        if first and progress is not None:
            # The fleet as soon as it is known, its gauges unknown while read; then the latest
            # minutes, on screen while the hour is read (a large fleet's hour is many times the
            # data): what the pane shows until the poll ends, never its result.
            listed = self._inventory_only(prepared, started)
            progress(0, len(listed.instances), listed)
            rows = await self._rows_first(prepared, listed, started)
            if rows is not None:
                progress(0, len(rows.instances), rows)
            partial = await self._latest_first(prepared, started)
            progress(1, len(partial.instances), partial)
        # Only the series never read yet (the instances the re-read found) when the minute is left
        # to the poll after: the others answer with the points held.
        answers = await self._read(prepared, started, window, unread_only=follow_up)
        parts: list[_RegionResult] = []
        for one, answer in zip(prepared, answers, strict=True):
            parts.append(self._finish(one, *answer, started))
            await asyncio.sleep(0)  # the screen's keys between two places' views
        snapshot = self._snapshot(started, parts, prune=slow and not any(d.fatal for d in described))
        return dataclasses.replace(snapshot, follow_up=True) if follow_up else snapshot

    def _light_enough(self, age: float, every: float, now: datetime) -> bool:
        """Whether a step done ``every`` seconds (the hints) is done in this cycle, ``age`` seconds
        after the last: once due, it waits one cycle (``HINTS_GRACE_S`` at most) when most
        publishing series have a new point due in this one (CloudWatch's new minute), so the two
        costs fall in different cycles."""
        if age < every:
            return False
        return age >= every + HINTS_GRACE_S or self._due_share(now.timestamp()) < 0.5

    def _due_share(self, now_ts: float) -> float:
        """The share of the series that publish with a new point due at ``now_ts`` (1 before any
        is known)."""
        plans = [combined for _, combined in self._combined_plans.values()]
        plans += [plan._compiled for plan in self._plans.values() if plan._compiled is not None]
        counts = [plan.publishing_due(now_ts) for plan in plans]
        total = sum(n for _, n in counts)
        return sum(due for due, _ in counts) / total if total else 1.0

    async def _read(
        self,
        prepared: list[_Prepared],
        started: datetime,
        window: float | None,
        *,
        slow: bool = True,
        unread_only: bool = False,
    ) -> list[tuple[MetricBatch, str]]:
        """Every place's metrics: one batch per place that reads them (its own, or its monitoring
        account's for all its linked places in the region), 500 queries a call; without ``slow``,
        not the slow quantities (a first poll's latest minutes: the hour read next has them); with
        ``unread_only``, only the series never read."""
        groups = _by_batch(one for one in prepared if one.via is not None)
        answers: dict[int, tuple[MetricBatch, str]] = {}

        async def read(group: list[_Prepared]) -> None:
            answer = await self._fetch(group, started, window, slow=slow, unread_only=unread_only)
            for one in group:
                answers[id(one)] = answer

        # The batches are kept here, not as gather's results: gather's finished future outlives the
        # cycle a while (the event loop's last callback holds it), and with it tens of thousands of
        # series, for the collector to walk once it resumes.
        await asyncio.gather(*(read(group) for group in groups))
        return [answers.get(id(one), (MetricBatch(), "")) for one in prepared]

    def _inventory_only(self, prepared: list[_Prepared], started: datetime) -> LimitsSnapshot:
        """The first cycle's instances before any metric is read: each running one's gauges
        unknown, saying they are being read (``READING``)."""
        parts: list[_RegionResult] = []
        for one in prepared:
            part = one.result.copy()
            part.queries = 0  # none read yet (``listed_only``)
            if one.plan is not None:
                for static in one.plan.static:
                    if static.base.state == "running":
                        reading = dataclasses.replace(static.base, volumes=static.volumes, reasons=(READING,))
                        part.instances.append(reading)
                    else:
                        part.instances.append(_not_running(static))
            parts.append(part)
        return self._snapshot(started, parts, prune=False, loading=True)

    @contextlib.contextmanager
    def _scratch(self) -> Iterator[None]:
        """Views worked out apart from the rolling history, what it knows of each instance and the
        hints (a first poll's early looks, which the hour then makes again). Nothing may await
        inside: nothing else may see the scratch state."""
        saved = self.history, self._ebs_from_ec2, self._hints, self._built
        self.history, self._ebs_from_ec2, self._hints, self._built = History(), set(), {}, {}
        try:
            yield
        finally:
            self.history, self._ebs_from_ec2, self._hints, self._built = saved

    async def _rows_first(
        self, prepared: list[_Prepared], listed: LimitsSnapshot, started: datetime
    ) -> LimitsSnapshot | None:
        """The latest minutes of the instances listed first (the rows a screen shows, in the list's
        order), in a call or two, when the whole fleet's take many more: those rows' gauges appear
        while the rest are read. None for a fleet read as quickly whole, or when the read fails (the
        whole read that follows says why)."""
        planned = sum(len(one.plan.queries) for one in prepared if one.plan is not None)
        if planned <= ROWS_FIRST_QUERIES:
            return None
        wanted = set([i.instance_id for i in listed.instances if i.state == "running"][:ROWS_FIRST])
        now_ts = started.timestamp()

        shown = {
            id(one): [st for st in one.plan.static if st.base.instance_id in wanted]
            for one in prepared
            if one.plan is not None and one.via is not None and one.agent is not None
        }
        groups = _by_batch(one for one in prepared if shown.get(id(one)))

        async def read(group: list[_Prepared]) -> MetricBatch:
            keys = {key for one in group for st in shown[id(one)] for key in st.keys}
            queries = [
                q
                for one in group
                if one.plan is not None
                for q in one.plan.queries
                if q.key in keys and not q.every
            ]
            via = group[0].via
            assert via is not None
            return await get_metric_data(
                self.factory,
                via.region,
                queries,
                started - timedelta(seconds=BACKFILL_S),
                started,
                lookback=_steady_lookback,
                role_arn=via.role_arn,
            )

        try:
            batches = await asyncio.gather(*(read(group) for group in groups))
        except Exception:  # the whole latest read, next, reports it
            return None
        views: dict[str, InstanceView] = {}
        with self._scratch():
            for group, batch in zip(groups, batches, strict=True):
                for one in group:
                    assert one.agent is not None
                    for st in shown[id(one)]:
                        views[st.base.instance_id] = self._instance_view(
                            st, one.described.volumes_ok, batch, "", one.agent, now_ts
                        )
        instances = sorted((views.get(i.instance_id, i) for i in listed.instances), key=_busiest_first)
        return dataclasses.replace(
            listed, instances=tuple(instances), queries=sum(b.queries for b in batches)
        )

    async def _latest_first(self, prepared: list[_Prepared], started: datetime) -> LimitsSnapshot:
        """The first cycle's views from the latest minutes alone (a steady cycle's window), worked
        out apart from the rolling history and the hints, which the whole hour then fills."""
        copies = [dataclasses.replace(one, result=one.result.copy()) for one in prepared]
        answers = await self._read(copies, started, None, slow=False)
        with self._scratch():
            parts = [self._finish(one, *answer, started) for one, answer in zip(copies, answers, strict=True)]
        for part in parts:
            part.hints.clear()  # worked out from the hour only
        return self._snapshot(started, parts, prune=False, loading=True)

    def _snapshot(
        self, started: datetime, parts: list[_RegionResult], *, prune: bool, loading: bool = False
    ) -> LimitsSnapshot:
        instances: list[InstanceView] = []
        unattached: list[VolumeView] = []
        quotas: list[QuotaView] = []
        errors: list[ApiError] = []
        hints: list[Hint] = []
        queries = 0
        for part in parts:
            instances.extend(part.instances)
            unattached.extend(part.unattached)
            quotas.extend(part.quotas)
            errors.extend(part.errors)
            hints.extend(part.hints)
            queries += part.queries
        if not loading:
            self.last_queries = queries
        if prune:
            # Across every region: one region's cycle must not drop another's history.
            live = {i.instance_id for i in instances} | {v.volume_id for i in instances for v in i.volumes}
            self.history.forget(
                lambda key: key.split("|", 1)[0] in live or not key.startswith(("i-", "vol-"))
            )
            self._ebs_from_ec2 &= live
            self._built = {iid: built for iid, built in self._built.items() if iid in live}
        periods: dict[int, int] = {}
        for inst in instances:
            if inst.state == "running":
                periods[inst.period_s] = periods.get(inst.period_s, 0) + 1
        period = max(periods) if periods else 60
        instances.sort(key=_busiest_first)
        if not loading:
            self._rank = {view.instance_id: n for n, view in enumerate(instances)}
        span = max((self.history.span_minutes(f"{i.instance_id}|util") for i in instances), default=0.0)
        return LimitsSnapshot(
            fetched_at=started,
            period_s=period,
            instances=tuple(instances),
            unattached=tuple(unattached),
            quotas=tuple(quotas),
            errors=tuple(errors),
            hints=tuple(hints),
            thresholds=self.thresholds,
            periods=periods,
            window_minutes=span,
            queries=queries,
            calls=dict(self.factory.calls),
            loading=loading,
        )

    def _metrics_via(self, place: Place) -> Place:
        return metrics_via(place, self.linked)

    async def _prepare(self, described: _Region, slow: bool) -> _Prepared:
        """One place's plan of queries (kept per inventory), before any metric is read."""
        place = described.place
        region = place.region
        result = _RegionResult()
        result.errors.extend(described.errors)
        if described.fatal is not None:
            result.errors.append(_api_error(place.label, "ec2:DescribeInstances", described.fatal))
            return _Prepared(described, result, None, None, None, slow)
        types = {str(i.get("InstanceType")) for i in described.instances}
        await self._load_types(place, types, result.errors)
        agent = await self._agent_catalog(place)
        if agent.problem is not None:
            result.errors.append(_api_error(place.label, "cloudwatch:ListMetrics", agent.problem))
        for vol in described.available:
            result.unattached.append(_unattached_view(place, vol))
        via = self._metrics_via(place)
        # Read through a monitoring account, each query names the account its metric is in.
        account = place.account_id if via is not place else ""
        plan = self._plans.get(place.key)
        if plan is None or plan.agent_at != agent.fetched_at or plan.account_id != account:
            replaced = plan or self._replaced.pop(place.key, None)
            plan = _Plan(region, agent.fetched_at, account)
            if replaced is not None:
                plan.previous = replaced._compiled or replaced.previous
            for inst in described.instances:
                vols = described.by_instance.get(str(inst.get("InstanceId")), [])
                info = self._types.get((region, str(inst.get("InstanceType"))))
                # Xen types publish no AWS/EC2 EBS* nor EBS balances; a Nitro type publishes its
                # balances only when its EBS bursts (the smaller sizes, their baseline under their
                # maximum). A type not described yet is asked for them all.
                xen = info is not None and info.get("Hypervisor") == "xen"
                balances = info is None or (not xen and instance_limits(info).ebs_bursts)
                iid = str(inst.get("InstanceId"))
                names = _keys(iid, [str(vol.get("VolumeId")) for vol in vols], agent)
                first = len(plan.queries)
                period = plan.add_instance(inst, vols, agent, names, instance_ebs=not xen, balances=balances)
                keys = tuple(q.key for q in plan.queries[first:])
                plan.static.append(self._static(place, inst, vols, period, keys, names))
            quota_q = _quota_query(place, described.quota, account)
            if quota_q is not None:
                plan.queries.append(quota_q)
            plan.compile()
            self._plans[place.key] = plan
        result.queries = len(plan.queries)
        return _Prepared(described, result, plan, agent, via, slow)

    async def _fetch(
        self,
        group: list[_Prepared],
        now: datetime,
        window: float | None,
        *,
        slow: bool = True,
        unread_only: bool = False,
    ) -> tuple[MetricBatch, str]:
        """One GetMetricData batch for places read through the same account in one region: 500
        queries a call over all of them (a monitoring account reads its linked accounts' so)."""
        plans = [p.plan for p in group if p.plan is not None and p.plan.queries]
        via = group[0].via
        if not plans or via is None:
            return MetricBatch(), ""
        batch_key = (via.region, via.key)
        compiled = plans[0].compiled if len(plans) == 1 else self._combined(batch_key, plans)
        span = window if window is not None else BACKFILL_S
        try:
            batch = await get_metric_data(
                self.factory,
                via.region,
                compiled,
                now - timedelta(seconds=span),
                now,
                lookback=None if window is not None else _steady_lookback,
                role_arn=via.role_arn,
                incremental=window is None,
                slow=slow,
                unread_only=unread_only,
                spread=self._rank,
            )
        except Exception as exc:  # every gauge says its data is unknown, and why
            problem = classify(exc, profile=self.factory.target.profile)
            for prepared in group:
                label = prepared.described.place.label
                prepared.result.errors.append(_api_error(label, "cloudwatch:GetMetricData", problem))
            return MetricBatch(), problem.message
        return batch, ""

    def _combined(self, group: tuple[str, str], plans: list[_Plan]) -> QueryPlan:
        """The queries of several plans as one, encoded once per batch (a region read through its
        monitoring account) while its plans stay the same."""
        kept = self._combined_plans.get(group)
        if kept is not None and len(kept[0]) == len(plans) and all(map(operator.is_, kept[0], plans)):
            return kept[1]
        found = QueryPlan([q for plan in plans for q in plan.queries], kept[1] if kept else None)
        self._combined_plans[group] = (tuple(plans), found)
        return found

    def _finish(
        self, prepared: _Prepared, batch: MetricBatch, metrics_problem: str, now: datetime
    ) -> _RegionResult:
        described, result, plan, agent = prepared.described, prepared.result, prepared.plan, prepared.agent
        if plan is None or agent is None:
            return result
        place = described.place
        now_ts = now.timestamp()
        for static in plan.static:
            result.instances.append(
                self._instance_view(static, described.volumes_ok, batch, metrics_problem, agent, now_ts)
            )
        if prepared.slow or place.key not in self._hints:
            hints = [unattached_hint(v.volume_id, v.volume_type, v.size_gib) for v in result.unattached]
            for view in result.instances:
                hints.extend(self._instance_hints(view))
            self._hints[place.key] = hints
        result.hints.extend(self._hints[place.key])
        result.quotas.append(self._quota_view(place, described.quota, batch))
        return result

    # -- derivation ---------------------------------------------------------------------------

    def _static(
        self,
        place: Place,
        inst: dict[str, Any],
        vols: list[dict[str, Any]],
        period: int,
        keys: tuple[str, ...],
        names: _Keys,
    ) -> _Static:
        """What a cycle does not change about an instance and its volumes (built per inventory);
        ``keys``: those of the instance's queries in the plan; ``names``: the instance's keys, which
        the plan asked its queries under."""
        region = place.region
        iid = str(inst.get("InstanceId"))
        tags = _tags(inst)
        itype = str(inst.get("InstanceType"))
        state = str((inst.get("State") or {}).get("Name", "unknown"))
        limits = self._limits.get((region, itype))
        if limits is None:
            info = self._types.get((region, itype))
            limits = instance_limits(info) if (region, itype) in self._types else _limits_unavailable()
            if (region, itype) in self._types:
                self._limits[(region, itype)] = limits
        base = InstanceView(
            region=region,
            instance_id=iid,
            name=tags.get("Name", ""),
            instance_type=itype,
            state=state,
            tags=tuple(sorted(tags.items())),
            period_s=period,
            limits=limits,
            root_device=str(inst.get("RootDeviceName") or ""),
            account_id=place.account_id,
        )
        volumes = []
        for vol in vols:
            vid = str(vol.get("VolumeId"))
            vtype = str(vol.get("VolumeType"))
            size = vol.get("Size")
            limit = volume_limit(vtype, size, vol.get("Iops"), vol.get("Throughput"))
            reasons: tuple[str, ...] = ()
            if limit is None:
                reasons = (f"volume type {vtype!r} has no known limits",)
            elif limit.baseline_iops is None:
                reasons = (f"{vtype} without provisioned Iops: limits unknown",)
            attachments = vol.get("Attachments") or [{}]
            volumes.append(
                VolumeView(
                    region=region,
                    volume_id=vid,
                    name=_tags(vol).get("Name", ""),
                    volume_type=vtype,
                    size_gib=size,
                    state=str(vol.get("State", "")),
                    instance_id=iid,
                    device=str(attachments[0].get("Device", "")),
                    limit=limit,
                    reasons=reasons,
                    account_id=place.account_id,
                )
            )
        return _Static(base, tuple(volumes), keys, names)

    def _instance_view(
        self,
        static: _Static,
        volumes_ok: bool,
        batch: MetricBatch,
        metrics_problem: str,
        agent: _AgentCatalog,
        now_ts: float,
    ) -> InstanceView:
        base = static.base
        iid = base.instance_id
        if base.state != "running":
            return _not_running(static)
        conditions = (static, metrics_problem, volumes_ok, agent.fetched_at, self.thresholds)
        built = self._built.get(iid)
        kept = (
            built is not None
            and now_ts < built.until
            and all(map(operator.is_, built.conditions, conditions))
        )
        if kept and built is not None and not batch.read_any(static.keys):
            # None of its series had anything new (``MetricBatch.read_any``): deriving them again
            # would add nothing to the history.
            return built.view
        names = static.names
        view = self._derived_view(static, names, volumes_ok, batch, metrics_problem, agent, now_ts)
        self._built[iid] = _Built(conditions, self._stale_at(names, base.period_s, now_ts), view)
        return view

    def _stale_at(self, names: _Keys, period: int, now_ts: float) -> float:
        """The first moment after ``now_ts`` at which a gauge of the instance would read otherwise
        with no new point: a latest point turning stale (the gauge reads 0, the resource idle), or
        leaving the watched hour (unknown)."""
        last_ts = self.history.last_ts
        first = math.inf
        instance_k = 3 * period + 300
        for key in (names.net_in, names.net_out, names.ebs_mbs, names.ebs_iops):
            last = last_ts(key)
            if last:
                for turn in (last + instance_k, last + BACKFILL_S):
                    if now_ts <= turn < first:
                        first = turn
        volume_k = 3 * VOLUME_PERIOD + 300
        for vk in names.volumes:
            for key in (vk.iops, vk.mibps):
                last = last_ts(key)
                if last:
                    for turn in (last + volume_k, last + BACKFILL_S):
                        if now_ts <= turn < first:
                            first = turn
        return first

    def _derived_view(
        self,
        static: _Static,
        names: _Keys,
        volumes_ok: bool,
        series: MetricBatch,
        metrics_problem: str,
        agent: _AgentCatalog,
        now_ts: float,
    ) -> InstanceView:
        base = static.base
        iid = base.instance_id
        state = base.state
        period = base.period_s
        limits = base.limits
        thresholds = self.thresholds
        reasons: list[str] = []
        if metrics_problem:
            reasons.append(f"metrics unavailable: {metrics_problem}")
        if not volumes_ok:
            reasons.append("volumes unknown: DescribeVolumes failed")
        h = self.history
        get = series.get
        stale_after = now_ts - (3 * period + 300)

        # EBS balances of the instance (types that burst), latest values.
        byte_pct = _latest_value(get(names.byte_balance))
        io_pct = _latest_value(get(names.io_balance))
        inst_mbs = ceiling_now(limits.ebs_baseline_mbs, limits.ebs_max_mbs, byte_pct)
        inst_iops = ceiling_now(limits.ebs_baseline_iops, limits.ebs_max_iops, io_pct)
        inst_mibps = None if inst_mbs is None else inst_mbs / MB_PER_MIB

        measured = not metrics_problem
        pairs = tuple(zip(static.volumes, names.volumes, strict=True))
        ceilings = [self._volume_ceilings(v, get(vk.burst), inst_iops, inst_mibps) for v, vk in pairs]
        for (_, vk), ceiling in zip(pairs, ceilings, strict=True):
            self._derive_volume(vk, series, ceiling)
        # The newest minute any of the instance's volumes published: one with no point there was idle.
        last_ts = h.last_ts
        newest = max((last_ts(vk.iops) for vk in names.volumes), default=0.0)
        volumes = tuple(
            self._volume_view(v, vk, ceiling, newest, now_ts, measured)
            for (v, vk), ceiling in zip(pairs, ceilings, strict=True)
        )

        # Instance EBS: its AWS/EC2 EBS* metrics where published, else the sum of its volumes.
        from_ec2 = self._derive_instance_ebs(iid, names, period, series)
        ebs_source = "AWS/EC2 EBS*" if from_ec2 else "AWS/EBS, sum of volumes" if volumes else ""
        ebs_mbs = self._current(names.ebs_mbs, stale_after, now_ts, measured)
        ebs_iops = self._current(names.ebs_iops, stale_after, now_ts, measured)
        vol_mibps = _sum_known([v.own_mibps for v in volumes]) if volumes else None
        vol_iops = _sum_known([v.own_iops for v in volumes]) if volumes else None
        ebs_dims = (
            Dimension(ebs_mbs, inst_mbs, None if vol_mibps is None else vol_mibps * MB_PER_MIB),
            Dimension(ebs_iops, inst_iops, vol_iops),
        )
        ebs_bind = binding(ebs_dims)
        if not volumes and volumes_ok:
            reasons.append("no EBS volumes attached")
        elif ebs_mbs is None and measured and (volumes or from_ec2):
            reasons.append(f"EBS: {NO_DATAPOINTS} (AWS/EC2 EBS* and AWS/EBS, last {BACKFILL_S / 60:.0f} min)")

        # Network.
        net_in = net_out = None
        scale = 8.0 / period / 1e6
        h.add_newer(names.net_in, get(names.net_in), scale)
        h.add_newer(names.net_out, get(names.net_out), scale)
        latest_in = h.latest(names.net_in)
        latest_out = h.latest(names.net_out)
        if latest_in and latest_in[0] >= stale_after:
            net_in = latest_in[1]
        if latest_out and latest_out[0] >= stale_after:
            net_out = latest_out[1]
        if net_in is None and net_out is None and not metrics_problem:
            if latest_in is None and latest_out is None:
                reasons.append(f"network: {NO_DATAPOINTS} (AWS/EC2, last {BACKFILL_S / 60:.0f} min)")
            else:  # AWS publishes a running instance's network every period, idle or not
                reasons.append(
                    f"no AWS/EC2 network datapoints in the last {(3 * period + 300) // 60} min (metric gap)"
                )
        busiest = max((v for v in (net_in, net_out) if v is not None), default=None)
        net_util = Dimension(busiest, limits.net_baseline_mbps, None).utilization
        if limits.net_reason:
            reasons.append(f"network limit unknown: {limits.net_reason}")
        if limits.ebs_reason:
            reasons.append(f"EBS limit unknown: {limits.ebs_reason}")

        # CloudWatch agent.
        memory = disk = None
        ena: tuple[tuple[str, float], ...] | None = None
        if iid in agent.memory:
            memory = _latest_value(get(names.mem))
        # The agent's disks and ENA counters: their keys are made with the catalog the plan was
        # made with (a new catalog makes a new plan).
        if names.disks:
            disks = [_latest_value(get(key)) for key in names.disks]
            known_disks = [d for d in disks if d is not None]
            disk = max(known_disks) if known_disks else None
        if names.ena is not None:
            counts: list[tuple[str, float]] = []
            for counter, keys in names.ena:
                total = 0.0
                for key in keys:
                    h.add_newer(key, get(key))
                    total += h.total(key)
                counts.append((counter, total))
            ena = tuple(counts)

        components = [u for u in (net_util, ebs_bind.utilization) if u is not None]
        components += [v.utilization for v in volumes if v.utilization is not None]
        total_util = max(components) if components else None
        self._derive_instance_util(
            names.util,
            [vk.util for vk in names.volumes],
            (
                (names.ebs_mbs, ebs_dims[0].ceiling),
                (names.ebs_iops, ebs_dims[1].ceiling),
                (names.net_in, limits.net_baseline_mbps),
                (names.net_out, limits.net_baseline_mbps),
            ),
        )
        return InstanceView(
            region=base.region,
            instance_id=iid,
            name=base.name,
            instance_type=base.instance_type,
            state=state,
            tags=base.tags,
            period_s=period,
            limits=limits,
            root_device=base.root_device,
            ebs_source=ebs_source if ebs_mbs is not None else "",
            net_in_mbps=net_in,
            net_out_mbps=net_out,
            net_utilization=net_util,
            net_level=level(net_util, thresholds),
            ebs_mbs=ebs_mbs,
            ebs_iops=ebs_iops,
            ebs_byte_balance_pct=byte_pct,
            ebs_io_balance_pct=io_pct,
            ebs_ceiling_mbs=ebs_dims[0].ceiling,
            ebs_ceiling_iops=ebs_dims[1].ceiling,
            ebs_utilization=ebs_bind.utilization,
            ebs_binding=_side(ebs_bind, other="volume", own="instance"),
            ebs_level=level(ebs_bind.utilization, thresholds),
            memory_used_pct=memory,
            disk_used_pct=disk,
            ena=ena,
            volumes=volumes,
            utilization=total_util,
            level=level(total_util, thresholds),
            history=h.values(names.util),
            reasons=tuple(reasons),
            account_id=base.account_id,
        )

    def _derive_instance_util(
        self, key: str, fractions: list[str], against: tuple[tuple[str, float | None], ...]
    ) -> None:
        """The instance's busiest gauge per timestamp (``key``), for its trend: volume
        utilizations as they are, and rates divided by their ceiling."""
        h = self.history
        after = h.last_ts(key)
        busiest: dict[float, float] = {}
        for fraction in fractions:
            for ts, value in h.points_after(fraction, after):
                busiest[ts] = max(busiest.get(ts, 0.0), value)
        for rate, ceiling in against:
            if not ceiling:
                continue
            for ts, value in h.points_after(rate, after):
                busiest[ts] = max(busiest.get(ts, 0.0), value / ceiling)
        for ts in sorted(busiest):
            h.add(key, ts, busiest[ts])

    def _current(self, key: str, stale_after: float, now_ts: float, measured: bool) -> float | None:
        """The latest value of a sparse series: its newest point while fresh; zero when the resource
        published earlier in the watched hour and nothing since (AWS sends nothing while idle);
        unknown when it published nothing at all, or when the metrics could not be read."""
        latest = self.history.latest(key)
        if latest is None or not measured:
            return None
        if latest[0] >= stale_after:
            return latest[1]
        return 0.0 if latest[0] >= now_ts - BACKFILL_S else None

    def _derive_instance_ebs(self, iid: str, names: _Keys, period: int, series: MetricBatch) -> bool:
        """New points of the instance's EBS IOPS and MB/s; True when they come from AWS/EC2 EBS*."""
        h = self.history
        get = series.get
        # The newest period is derived again: a sibling series or another volume may have
        # published its point for it after the last cycle read it.
        last = h.last_ts(names.ebs_mbs)
        after = last - 1.0 if last else 0.0
        ec2 = with_siblings([get(key) for key in names.ec2_ebs], after)
        if ec2:
            self._ebs_from_ec2.add(iid)
        if iid in self._ebs_from_ec2:
            for ts in sorted(ec2):
                reads, writes, rbytes, wbytes = ec2[ts]
                h.add(names.ebs_iops, ts, (reads + writes) / period)
                h.add(names.ebs_mbs, ts, (rbytes + wbytes) / period / 1e6)
            return True
        # The sum of the volumes at every minute any of them published: the others were idle.
        total: dict[float, list[float]] = {}
        for vk in names.volumes:
            mib = dict(h.points_after(vk.mibps, after))
            for ts, iops in h.points_after(vk.iops, after):
                acc = total.setdefault(ts, [0.0, 0.0])
                acc[0] += iops
                acc[1] += mib.get(ts, 0.0)
        for ts in sorted(total):
            h.add(names.ebs_iops, ts, total[ts][0])
            h.add(names.ebs_mbs, ts, total[ts][1] * MB_PER_MIB)
        return False

    @staticmethod
    def _volume_ceilings(
        vol: VolumeView, burst: Series | None, inst_iops: float | None, inst_mibps: float | None
    ) -> _Ceilings:
        limit = vol.limit
        balance = _latest_value(burst)
        own_iops = limit.iops_now(balance) if limit else None
        own_mibps = limit.mibps_now(balance) if limit else None
        return _Ceilings(balance, own_iops, own_mibps, inst_iops, inst_mibps)

    def _derive_volume(self, vk: _VolumeKeys, series: MetricBatch, ceilings: _Ceilings) -> None:
        """New periods of one volume: IOPS, MiB/s, idle share and utilization per timestamp (the
        newest known period again, in case a sibling series published its point for it since)."""
        h = self.history
        get = series.get
        last = h.last_ts(vk.iops)
        after = last - 1.0 if last else 0.0
        fresh = with_siblings([get(key) for key in vk.fast], after)
        if not fresh:
            return
        idle = _new_points(get(vk.idle_time), after)
        iops_ceiling = _lowest(ceilings.own_iops, ceilings.inst_iops)
        mibps_ceiling = _lowest(ceilings.own_mibps, ceilings.inst_mibps)
        add = h.add
        for ts in sorted(fresh):
            reads, writes, rbytes, wbytes = fresh[ts]
            ts_iops = (reads + writes) / VOLUME_PERIOD
            ts_mib = (rbytes + wbytes) / VOLUME_PERIOD / MIB
            add(vk.iops, ts, ts_iops)
            add(vk.mibps, ts, ts_mib)
            if ts in idle:
                add(vk.idle, ts, min(1.0, idle[ts] / VOLUME_PERIOD))
            ts_util = _fraction(ts_iops, iops_ceiling)
            mib_util = _fraction(ts_mib, mibps_ceiling)
            if mib_util is not None and (ts_util is None or mib_util > ts_util):
                ts_util = mib_util
            if ts_util is not None:
                add(vk.util, ts, ts_util)

    def _volume_view(
        self,
        vol: VolumeView,
        vk: _VolumeKeys,
        ceilings: _Ceilings,
        newest: float,
        now_ts: float,
        measured: bool,
    ) -> VolumeView:
        """``newest``: the newest minute any volume of the instance published; a volume without a
        point there was idle in it."""
        stale_after = max(now_ts - (3 * VOLUME_PERIOD + 300), newest)
        iops = self._current(vk.iops, stale_after, now_ts, measured)
        mib = self._current(vk.mibps, stale_after, now_ts, measured)
        idle_pt = self.history.latest(vk.idle)
        dims = (
            Dimension(iops, ceilings.own_iops, ceilings.inst_iops),
            Dimension(mib, ceilings.own_mibps, ceilings.inst_mibps),
        )
        bound = binding(dims)
        reasons = vol.reasons
        if iops is None and measured:
            reasons = (*reasons, f"{NO_DATAPOINTS} (AWS/EBS, last {BACKFILL_S / 60:.0f} min)")
        return VolumeView(
            region=vol.region,
            volume_id=vol.volume_id,
            name=vol.name,
            volume_type=vol.volume_type,
            size_gib=vol.size_gib,
            state=vol.state,
            instance_id=vol.instance_id,
            device=vol.device,
            limit=vol.limit,
            iops=iops,
            throughput_mibps=mib,
            burst_balance_pct=ceilings.balance,
            idle_fraction=idle_pt[1] if idle_pt else None,
            iops_ceiling=dims[0].ceiling,
            mibps_ceiling=dims[1].ceiling,
            iops_capped_by=_dim_side(dims[0]),
            mibps_capped_by=_dim_side(dims[1]),
            utilization=bound.utilization,
            capped_by=_side(bound, other="instance", own="volume"),
            level=level(bound.utilization, self.thresholds),
            reasons=reasons,
            own_iops=ceilings.own_iops,
            own_mibps=ceilings.own_mibps,
            account_id=vol.account_id,
        )

    def _instance_hints(self, view: InstanceView) -> list[Hint]:
        h = self.history
        hints: list[Hint] = []
        if view.state != "running":
            return hints
        iid = view.instance_id
        span = h.span_minutes(f"{iid}|NetworkIn")
        if span >= 15:
            lim = view.limits
            peaks = [
                _ratio(h.peak(f"{iid}|NetworkIn"), lim.net_baseline_mbps),
                _ratio(h.peak(f"{iid}|NetworkOut"), lim.net_baseline_mbps),
                _ratio(h.peak(f"{iid}|ebs_mbs"), view.ebs_ceiling_mbs),
                _ratio(h.peak(f"{iid}|ebs_iops"), view.ebs_ceiling_iops),
            ]
            peaks += [h.peak(f"{v.volume_id}|util") for v in view.volumes]
            known = [p for p in peaks if p is not None]
            # Only when every gauge is known: an unknown limit is no evidence of idleness.
            if known and len(known) == len(peaks):
                hint = instance_hint(iid, max(known), span)
                if hint is not None:
                    hints.append(hint)
        root = view.root_device
        for vol in view.volumes:
            if vol.device and vol.device == root:
                continue  # a boot volume idles by nature and cannot be provisioned much lower
            if not h.values(f"{vol.volume_id}|iops") and any(NO_DATAPOINTS in r for r in vol.reasons):
                hints.append(silent_volume_hint(vol.volume_id, BACKFILL_S / 60.0))
                continue
            vspan = h.span_minutes(f"{vol.volume_id}|iops")
            throughputs = h.values(f"{vol.volume_id}|mibps")
            limit = vol.limit
            usage = VolumeUsage(
                volume_id=vol.volume_id,
                volume_type=vol.volume_type,
                size_gib=vol.size_gib,
                peak_iops=h.peak(f"{vol.volume_id}|iops"),
                peak_mibps=h.peak(f"{vol.volume_id}|mibps"),
                peak_utilization=h.peak(f"{vol.volume_id}|util") if vspan >= 15 else None,
                idle_fraction=h.lowest(f"{vol.volume_id}|idle") if vspan >= 15 else None,
                window_minutes=vspan,
                at_gp3_floor=vol.limit is not None
                and (vol.limit.baseline_iops or 0) <= 3000
                and (vol.limit.baseline_mibps or 0) <= 125,
                provisioned_iops=limit.baseline_iops if limit and vol.volume_type != "gp2" else None,
                provisioned_mibps=limit.baseline_mibps if limit and vol.volume_type == "gp3" else None,
                # Minutes without a point were idle: the mean over the points alone errs high (safe).
                mean_mibps=sum(throughputs) / len(throughputs) if throughputs else None,
            )
            hints.extend(volume_hints(usage))
        return hints

    def _quota_view(self, place: Place, quota: dict[str, Any] | None, batch: MetricBatch) -> QuotaView:
        region, account = place.region, place.account_id
        if quota is None:
            return QuotaView(
                region, VCPU_QUOTA_CODE, VCPU_QUOTA_NAME, None, None, None, "unknown", "not fetched", account
            )
        problem = quota.get("_problem")
        if isinstance(problem, AwsProblem):
            return QuotaView(
                region,
                VCPU_QUOTA_CODE,
                VCPU_QUOTA_NAME,
                None,
                None,
                None,
                "unknown",
                problem.one_line(),
                account,
            )
        value = quota.get("Value")
        usage = _latest_value(batch.get(f"quota|{place.key}"))
        reason = ""
        if usage is None:
            reason = "no AWS/Usage ResourceCount datapoints in the last minutes"
        util = usage / float(value) if usage is not None and value else None
        return QuotaView(
            region,
            VCPU_QUOTA_CODE,
            str(quota.get("QuotaName") or VCPU_QUOTA_NAME),
            None if value is None else float(value),
            usage,
            util,
            level(util, self.thresholds),
            reason,
            account,
        )


class _Ceilings(NamedTuple):
    """A volume's burst balance and ceilings in force: its own and its instance's."""

    balance: float | None
    own_iops: float | None
    own_mibps: float | None
    inst_iops: float | None
    inst_mibps: float | None


@dataclass
class _Prepared:
    """One place's cycle between its plan and its metrics."""

    described: _Region
    result: _RegionResult
    plan: _Plan | None
    agent: _AgentCatalog | None
    via: Place | None
    """The place whose CloudWatch reads its metrics: itself, or its monitoring account's place."""
    slow: bool


@dataclass
class _RegionResult:
    instances: list[InstanceView] = field(default_factory=list)
    unattached: list[VolumeView] = field(default_factory=list)
    quotas: list[QuotaView] = field(default_factory=list)
    errors: list[ApiError] = field(default_factory=list)
    hints: list[Hint] = field(default_factory=list)
    queries: int = 0

    def copy(self) -> _RegionResult:
        return _RegionResult(
            list(self.instances),
            list(self.unattached),
            list(self.quotas),
            list(self.errors),
            list(self.hints),
            self.queries,
        )


class _VolumeKeys(NamedTuple):
    """A volume's keys: of its series in a batch, and of what the history keeps of it."""

    fast: tuple[str, ...]  # FAST_VOLUME_METRICS, in that order
    idle_time: str
    burst: str
    iops: str
    mibps: str
    idle: str
    util: str


class _Keys(NamedTuple):
    """An instance's keys, made once per inventory: thousands of instances a cycle look up tens of
    keys each, and a string made once keeps its hash (and, the plan asking its queries under the
    same strings, is found by identity)."""

    net_in: str
    net_out: str
    byte_balance: str
    io_balance: str
    ec2_ebs: tuple[str, ...]  # INSTANCE_EBS_METRICS, in that order
    ebs_mbs: str
    ebs_iops: str
    util: str
    mem: str
    volumes: tuple[_VolumeKeys, ...]
    disks: tuple[str, ...]
    """The agent's disk series of the instance."""
    ena: tuple[tuple[str, tuple[str, ...]], ...] | None
    """Per ENA counter the agent publishes (None: none), its short name and its series' keys."""


def _keys(iid: str, volume_ids: Iterable[str], agent: _AgentCatalog) -> _Keys:
    """The instance's keys, in the one place they are written: the plan asks its queries under them
    (``_Plan.add_instance``) and the derivation looks them up. ``agent``: the catalog the plan is
    made with (its disk and ENA series)."""

    def k(owner: str, what: str) -> str:
        return f"{owner}|{what}"

    disks = tuple(k(iid, f"disk|{n}") for n in range(len(agent.disks.get(iid, ()))))
    ena = tuple(
        (
            metric.removeprefix("ethtool_").removesuffix("_allowance_exceeded"),
            tuple(k(iid, f"eth|{metric}|{n}") for n in range(len(dim_sets))),
        )
        for metric, dim_sets in sorted(agent.ena.get(iid, {}).items())
    )

    volumes = tuple(
        _VolumeKeys(
            tuple(k(vid, m) for m in FAST_VOLUME_METRICS),
            k(vid, "VolumeIdleTime"),
            k(vid, "BurstBalance"),
            k(vid, "iops"),
            k(vid, "mibps"),
            k(vid, "idle"),
            k(vid, "util"),
        )
        for vid in volume_ids
    )
    return _Keys(
        k(iid, "NetworkIn"),
        k(iid, "NetworkOut"),
        k(iid, "EBSByteBalance%"),
        k(iid, "EBSIOBalance%"),
        tuple(k(iid, m) for m in INSTANCE_EBS_METRICS),
        k(iid, "ebs_mbs"),
        k(iid, "ebs_iops"),
        k(iid, "util"),
        k(iid, "mem"),
        volumes,
        disks,
        ena or None,
    )


@dataclass(frozen=True)
class _Static:
    """An instance's view without metrics, and its volumes'."""

    base: InstanceView
    volumes: tuple[VolumeView, ...]
    keys: tuple[str, ...]
    """The keys of every series its view is derived from (its queries in the plan)."""
    names: _Keys
    """The keys its derivation looks up, one by one."""


class _Built(NamedTuple):
    """An instance's view, and what it was derived from: a cycle that reads nothing new of its
    series, under the same conditions, before ``until`` (when a gauge would turn stale), gets the
    same view."""

    conditions: tuple[object, ...]
    until: float
    view: InstanceView


class _Plan:
    """The queries of one region's cycle, compiled once per inventory."""

    def __init__(self, region: str, agent_at: float, account_id: str = "") -> None:
        self.region = region
        self.agent_at = agent_at
        self.account_id = account_id
        """The account every query names (read through a monitoring account), or "" for none."""
        self.queries: list[MetricQuery] = []
        self.periods: dict[str, int] = {}
        self.static: list[_Static] = []
        self._compiled: QueryPlan | None = None
        self.previous: QueryPlan | None = None
        """The plan this one replaces, whose knowledge of each series it takes over."""
        self.group = ""
        """The instance whose queries are being added: read in the same cycle (``MetricQuery.group``)."""

    def compile(self) -> None:
        """The queries are all added: encode them when first asked (a place read through a
        monitoring account is read in its region's combined plan, never in its own)."""
        self._compiled = None

    @property
    def compiled(self) -> QueryPlan:
        if self._compiled is None:
            self._compiled, self.previous = QueryPlan(self.queries, self.previous), None
        return self._compiled

    def q(
        self,
        key: str,
        namespace: str,
        metric: str,
        dims: tuple[tuple[str, str], ...],
        stat: str,
        period: int,
        every: int = 0,
    ) -> None:
        self.queries.append(
            MetricQuery(key, namespace, metric, dims, stat, period, self.account_id, every, self.group)
        )

    def add_instance(
        self,
        inst: dict[str, Any],
        vols: list[dict[str, Any]],
        agent: _AgentCatalog,
        names: _Keys,
        *,
        instance_ebs: bool = True,
        balances: bool = True,
    ) -> int:
        """Queue the instance's queries, under its keys ``names`` (``_keys`` of its volumes, in
        their order, and of ``agent``); returns its period (60 s detailed, 300 s basic monitoring).
        A volume's idle time is asked for every ``SLOW_REFRESH_S``: it feeds only the hints."""
        iid = str(inst.get("InstanceId"))
        detailed = (inst.get("Monitoring") or {}).get("State") == "enabled"
        period = 60 if detailed else 300
        self.periods[iid] = period
        self.group = iid
        if (inst.get("State") or {}).get("Name") != "running":
            return period
        dims = (("InstanceId", iid),)
        self.q(names.net_in, "AWS/EC2", "NetworkIn", dims, "Sum", period)
        self.q(names.net_out, "AWS/EC2", "NetworkOut", dims, "Sum", period)
        if balances:
            self.q(names.byte_balance, "AWS/EC2", "EBSByteBalance%", dims, "Average", period)
            self.q(names.io_balance, "AWS/EC2", "EBSIOBalance%", dims, "Average", period)
        for key, metric in zip(names.ec2_ebs, INSTANCE_EBS_METRICS, strict=True) if instance_ebs else ():
            self.q(key, "AWS/EC2", metric, dims, "Sum", period)
        if iid in agent.memory:
            self.q(names.mem, "CWAgent", "mem_used_percent", agent.memory[iid], "Average", 60)
        for key, disk_dims in zip(names.disks, agent.disks.get(iid, []), strict=True):
            self.q(key, "CWAgent", "disk_used_percent", disk_dims, "Maximum", 60)
        catalog = sorted(agent.ena.get(iid, {}).items())
        for (_, keys), (metric, dim_sets) in zip(names.ena or (), catalog, strict=True):
            for key, eth_dims in zip(keys, dim_sets, strict=True):
                self.q(key, "CWAgent", metric, eth_dims, "Sum", 60)
        for vol, vk in zip(vols, names.volumes, strict=True):
            vdims = (("VolumeId", str(vol.get("VolumeId"))),)
            for key, metric in zip(vk.fast, FAST_VOLUME_METRICS, strict=True):
                self.q(key, "AWS/EBS", metric, vdims, "Sum", VOLUME_PERIOD)
            every = int(SLOW_REFRESH_S)
            self.q(vk.idle_time, "AWS/EBS", "VolumeIdleTime", vdims, "Sum", VOLUME_PERIOD, every)
            if vol.get("VolumeType") in BURSTING_VOLUME_TYPES:
                self.q(vk.burst, "AWS/EBS", "BurstBalance", vdims, "Average", VOLUME_PERIOD)
        return period


def _by_batch(prepared: Iterable[_Prepared]) -> list[list[_Prepared]]:
    """Places grouped as their metrics are read: one batch per account that reads them (their own,
    or their monitoring account's for its linked places) and region. Each place needs its ``via``."""
    groups: dict[tuple[str, str], list[_Prepared]] = {}
    for one in prepared:
        assert one.via is not None
        groups.setdefault((one.via.region, one.via.key), []).append(one)
    return list(groups.values())


def _busiest_first(view: InstanceView) -> tuple[float, str, str]:
    """The list's order: the busiest first, then by name; unknown gauges last."""
    return (-(view.utilization or -1.0), view.name, view.instance_id)


ROWS_FIRST = 50
"""A first poll reads the latest minutes of this many instances (the rows of a tall screen) before
the rest's, in the list's order, when the fleet's take more than ``ROWS_FIRST_QUERIES``."""
ROWS_FIRST_QUERIES = 2_000


def _steady_lookback(period: int) -> float:
    """A steady cycle reads the last few periods: enough for CloudWatch's publishing delay, which
    for basic monitoring's 5-minute points is a few minutes after the period ends (a point stamped
    T arrives near T + 8 min and is still read until T + 17 min)."""
    return 240.0 if period <= 60 else 3.0 * period + 120.0


def _quota_query(place: Place, quota: dict[str, Any] | None, account: str = "") -> MetricQuery | None:
    if quota is None or "_problem" in quota:
        return None
    usage = quota.get("UsageMetric") or {}
    namespace = str(usage.get("MetricNamespace") or "AWS/Usage")
    metric = str(usage.get("MetricName") or "ResourceCount")
    dims_map = usage.get("MetricDimensions") or dict(VCPU_USAGE_DIMENSIONS)
    stat = str(usage.get("MetricStatisticRecommendation") or "Maximum")
    dims = tuple(sorted((str(k), str(v)) for k, v in dims_map.items()))
    return MetricQuery(f"quota|{place.key}", namespace, metric, dims, stat, 60, account)


def _unattached_view(place: Place, vol: dict[str, Any]) -> VolumeView:
    vtype = str(vol.get("VolumeType"))
    return VolumeView(
        region=place.region,
        account_id=place.account_id,
        volume_id=str(vol.get("VolumeId")),
        name=_tags(vol).get("Name", ""),
        volume_type=vtype,
        size_gib=vol.get("Size"),
        state=str(vol.get("State", "")),
        instance_id=None,
        device="",
        limit=volume_limit(vtype, vol.get("Size"), vol.get("Iops"), vol.get("Throughput")),
        reasons=("unattached: no I/O",),
    )


def _limits_unavailable() -> InstanceLimits:
    reason = "DescribeInstanceTypes failed (see errors)"
    return InstanceLimits(ebs_reason=reason, net_reason=reason)


def _not_running(static: _Static) -> InstanceView:
    """An instance that is not running: no metrics, and why."""
    reason = f"{static.base.state}: no metrics while not running"
    return dataclasses.replace(static.base, volumes=static.volumes, reasons=(reason,))


def _latest_value(series: Series | None) -> float | None:
    point = _latest(series)
    return None if point is None else point[1]


def _lowest(a: float | None, b: float | None) -> float | None:
    if a is None:
        return b
    return a if b is None or a <= b else b


def _fraction(value: float | None, ceiling: float | None) -> float | None:
    return None if value is None or not ceiling else value / ceiling


def _ratio(value: float | None, limit: float | None) -> float | None:
    return None if value is None or not limit else value / limit


def _sum_known(values: list[float | None]) -> float | None:
    if any(v is None for v in values):
        return None
    return sum(v for v in values if v is not None)


def _side(bound: Binding, *, other: str, own: str) -> str | None:
    if bound.by_other is None:
        return None
    return other if bound.by_other else own


def _dim_side(dim: Dimension) -> str | None:
    side = dim.capped_by_other
    if side is None:
        return None
    return "instance" if side else "volume"


async def poll(factory: ClientFactory) -> LimitsSnapshot:
    """One cycle with a fresh poller (``warroom snapshot limits``): reads the last hour for hints."""
    return await LimitsPoller(factory).poll()
