"""The seeded payments platform: resources through the API, managed nodes, findings and metrics.

``Workload(endpoint_url, seed=...)`` talks to a running simulator (given its WSGI application,
``app=``, seeding calls it in this process instead of over HTTP). ``seed_all()`` creates the
fleet of ``tui.sim.catalog`` through boto3 (single-threaded, so moto's seeded id generator gives
the same ids for the same seed), registers SSM managed nodes, creates the member account's few
resources through an assumed role (moto puts them in the role's account), imports Security Hub
findings about what it created (and, with ``extra_findings``, that many synthetic ones from
``tui.sim.findings_bulk``), and backfills three hours of metrics (one-minute points, five-minute
ones for instances with basic monitoring); instances carry launch times weeks or months before
the seeding, long before the oldest metric. With the metrics it puts the teams' CloudWatch alarms
(``tui.sim.alarms``) and evaluates them over the backfilled window. ``start_metrics()``
keeps the metrics current from a daemon thread; ``tick(now)`` is the same step, callable directly,
and evaluates the alarms once it has written new minutes (CloudWatch evaluates once a minute).
Every minute written takes the effects ``effects_provider`` gives for that minute (the faults of
``tui.sim.faults``), and a minute written again replaces what was stored for it.

A ``Placement`` seeds the workload into another account (with its credentials, a prefix for its
instances' names and no member account: the simulated organization's workload accounts, see
``tui.sim.org``), and ``instances`` gives a grown fleet (``catalog.grown_fleet``): the copies of one
catalog instance are launched with one call and finished in moto's EC2 backend.

The simulator runs in this process: managed nodes and metrics go straight into the extensions'
stores (``tui.sim.extensions.ssm`` and ``tui.sim.extensions.cloudwatch``), and each tick reads the
EC2 backend to find which instances still run and which volumes are still attached.
"""

from __future__ import annotations

import io
import json
import logging
import random
import threading
import time
import uuid
import zipfile
from bisect import bisect_left
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from types import MappingProxyType
from typing import Any

import boto3
from botocore.config import Config

from tui.common.aws_rules import is_standard_family as is_standard_type
from tui.sim import catalog
from tui.sim.account import ACCOUNT_ID, REGION, SIM_ACCESS_KEY, SIM_SECRET_KEY
from tui.sim.alarms import SeededAlarms, plan_alarms, put_alarms
from tui.sim.catalog import (
    MEMBER_ACCOUNT_ID,
    HybridNodeSpec,
    InstanceSpec,
    SecurityGroupSpec,
    StreamSpec,
    VolumeSpec,
)
from tui.sim.extensions import alarms as cloudwatch_alarms
from tui.sim.extensions.cloudwatch import backend_for, index_of, put_series, trim_before
from tui.sim.extensions.kinesis import set_creation_time
from tui.sim.extensions.ssm import ManagedNode, register_node
from tui.sim.findings import (
    BucketRef,
    GroupRef,
    InstanceRef,
    KeyRef,
    MemberResources,
    RoleRef,
    SeededResources,
    TrailRef,
    UserRef,
    VolumeRef,
    build_findings,
)
from tui.sim.findings_bulk import synthetic_findings
from tui.sim.inprocess import WsgiApp, attach
from tui.sim.metricgen import (
    EffectsAt,
    FleetModel,
    InstanceModel,
    LiveState,
    MetricGenerator,
    SeriesKey,
    VolumeModel,
    minute_of,
    minute_start,
    running_state,
    unit_noise,
)
from tui.sim.ticker import Ticker

# moto is imported inside the functions that reach into its backends: importing moto costs
# about 0.2 s and reads AWS_DEFAULT_REGION, and the simulator's server imports it first, after
# setting that variable.

logger = logging.getLogger(__name__)

BACKFILL = timedelta(hours=3)
# How long before the oldest backfilled metric the seeded streams were created.
STREAM_AGE = timedelta(days=30)
TICK_INTERVAL_SECONDS = 15.0
RETENTION = timedelta(hours=24)
IMPORT_BATCH = 100


_CATALOG_NAMES = frozenset(spec.name for spec in catalog.INSTANCES)

_LINUX_AMI_NAME = "al2023-ami-2023*-kernel-6.1-x86_64"
_WINDOWS_AMI_NAME = "Windows_Server-2016-English-Full-Base-*"
_WINDOWS_PLATFORM = ("Microsoft Windows Server 2016 Datacenter", "10.0.14393")


@dataclass(frozen=True)
class Placement:
    """Whose account a workload is seeded into, with which credentials, under which names.

    The default is the simulator's own account (the "testing" keys), the payments platform's
    names, and the member account's few resources; each workload account of the simulated
    organization (``tui.sim.org``) has its own."""

    account_id: str = ACCOUNT_ID
    account_name: str = catalog.ACCOUNT_NAME
    access_key: str = SIM_ACCESS_KEY
    secret_key: str = SIM_SECRET_KEY
    session_token: str | None = None
    prefix: str = ""
    """Put before the names of the instances (and so their volumes') and of the hybrid nodes."""
    environment: str = "prod"
    """The instances' Environment tag."""
    member_account: bool = True
    """Seed the member account's resources (through its bootstrap role) and their findings."""
    trusted_account: str = ACCOUNT_ID
    """The account whose principals may assume the remediation role (the console's)."""


@dataclass(frozen=True)
class AccountGlobals:
    """What an account's first seeded region made of its global services (IAM, S3): the
    account's other regions use it rather than make it again."""

    external_role: RoleRef
    users: Mapping[str, UserRef]
    profile_arn: str
    lambda_role_arn: str | None
    buckets: tuple[BucketRef, ...]
    remediation_role: str


@dataclass(frozen=True)
class Inventory:
    """What ``seed_all`` created, by the names the catalog gives it."""

    account_id: str
    member_account_id: str
    region: str
    instances: Mapping[str, str]
    stopped_instances: tuple[str, ...]
    volumes: Mapping[str, tuple[str, ...]]
    volumes_by_key: Mapping[str, str]
    unattached_volumes: tuple[str, ...]
    streams: tuple[str, ...]
    consumers: Mapping[str, tuple[str, ...]]
    security_groups: Mapping[str, str]
    default_vpc_id: str
    buckets: tuple[str, ...]
    public_buckets: tuple[str, ...]
    users: tuple[str, ...]
    trail_name: str
    finding_ids: tuple[str, ...]
    findings_by_account: Mapping[str, int]
    rejected_findings: tuple[str, ...]
    managed_nodes: tuple[str, ...]
    hybrid_nodes: Mapping[str, str]
    seeded_at: datetime
    member_default_vpc_id: str
    member_security_groups: Mapping[str, str]
    member_instances: Mapping[str, str]
    member_buckets: tuple[str, ...]
    kms_keys: Mapping[str, str]
    """Alias -> key ARN."""
    remediation_roles: Mapping[str, str]
    """Account id -> ARN of ``catalog.REMEDIATION_ROLE`` there."""
    extra_findings: int = 0
    """Synthetic findings imported besides the seeded ones (``Workload(extra_findings=...)``)."""
    extra_rejected: int = 0
    alarms: tuple[str, ...] = ()
    """The CloudWatch alarms seeded (``tui.sim.alarms``), composites last."""
    alarm_topics: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    """Team name (and "kinesis-scaling") -> the SNS topic ARN its alarms notify."""
    account_globals: AccountGlobals | None = None
    """The account's IAM and S3 resources, for seeding its other regions (``Workload(account_globals=)``)."""


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _frozen(mapping: Mapping[str, Any]) -> Mapping[str, Any]:
    return MappingProxyType(dict(mapping))


def _iso(moment: datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _asff_permissions(permissions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """EC2 IpPermissions in the shape of ASFF's AwsEc2SecurityGroupIpPermission."""
    shaped: list[dict[str, Any]] = []
    for permission in permissions:
        item: dict[str, Any] = {"IpProtocol": permission["IpProtocol"]}
        for name in ("FromPort", "ToPort"):
            if name in permission:
                item[name] = permission[name]
        ranges = [{"CidrIp": r["CidrIp"]} for r in permission.get("IpRanges", [])]
        v6 = [{"CidrIpv6": r["CidrIpv6"]} for r in permission.get("Ipv6Ranges", [])]
        pairs = [
            {k: v for k, v in pair.items() if k in ("GroupId", "GroupName", "UserId", "VpcId")}
            for pair in permission.get("UserIdGroupPairs", [])
        ]
        lists = {"IpRanges": ranges, "Ipv6Ranges": v6, "UserIdGroupPairs": pairs}
        item.update({name: value for name, value in lists.items() if value})
        shaped.append(item)
    return shaped


class Workload:
    """Seeds the payments platform into a simulator at ``endpoint_url`` and keeps its metrics."""

    def __init__(
        self,
        endpoint_url: str,
        seed: int = 7,
        *,
        region: str = REGION,
        track_ec2: bool = True,
        clock: Callable[[], datetime] = _utcnow,
        backfill: timedelta = BACKFILL,
        interval_seconds: float = TICK_INTERVAL_SECONDS,
        retention: timedelta | None = RETENTION,
        extra_findings: int = 0,
        app: WsgiApp | None = None,
        placement: Placement | None = None,
        instances: Sequence[InstanceSpec] | None = None,
        account_globals: AccountGlobals | None = None,
        alarms: bool = True,
    ) -> None:
        if extra_findings < 0:
            raise ValueError(f"extra_findings must be 0 or more, not {extra_findings}")
        self.endpoint_url = endpoint_url
        self.app = app
        """The simulator's WSGI application when it runs in this process: seeding hands its calls
        to it directly (``tui.sim.inprocess``) rather than over HTTP to ``endpoint_url``."""
        self.seed = seed
        self.extra_findings = extra_findings
        """Synthetic findings ``seed_all`` imports after the seeded ones (see ``import_extra_findings``)."""
        self.placement = placement or Placement()
        self.account_id = self.placement.account_id
        self.region = region
        prefix = self.placement.prefix
        self.instances: tuple[InstanceSpec, ...] = tuple(
            catalog.renamed(spec, prefix + spec.name) if prefix else spec
            for spec in (catalog.INSTANCES if instances is None else instances)
        )
        """The fleet seeded (the catalog's unless given), its names prefixed."""
        # The streams keep their names: their alarms page the team their name's first word gives.
        self.streams: tuple[StreamSpec, ...] = catalog.STREAMS
        self.hybrid_nodes: tuple[HybridNodeSpec, ...] = tuple(
            catalog.prefixed_node(node, prefix) for node in catalog.HYBRID_NODES
        )
        self.unattached_volume: VolumeSpec = catalog.prefixed_volume(catalog.UNATTACHED_VOLUME, prefix)
        self.account_globals = account_globals
        """The account's IAM and S3 resources when another region of it was seeded first: this
        seeding makes none of its own."""
        self.with_alarms = alarms
        """Whether the seeding puts the teams' CloudWatch alarms."""
        self.track_ec2 = track_ec2
        self.interval_seconds = interval_seconds
        self.retention = retention
        self._clock = clock
        self._backfill_minutes = max(1, int(backfill.total_seconds() // 60))
        self.multipliers: dict[tuple[str, str, str], float] = {}
        """Output scaling per (namespace, metric, resource id); metric "*" scales all of a resource's."""
        self.load_factors: dict[str, float] = {}
        """Demand scaling per resource id (instance, volume, stream, consumer or function name)."""
        self.effects_provider: EffectsAt | None = None
        """Per-minute effects (``tui.sim.faults.FaultEngine.effects_at``): every minute written takes
        the effects of that minute, besides ``multipliers`` and ``load_factors``."""
        self._rng = random.Random(seed)
        self._inventory: Inventory | None = None
        self._fleet: FleetModel | None = None
        self._generator: MetricGenerator | None = None
        self._last_written: int | None = None
        self._tick_lock = threading.Lock()
        self._ticker = Ticker("warroom-sim-metrics")
        self._last_trim: datetime | None = None
        self.seed_seconds: float | None = None
        self.evaluate_alarms_on_tick = True
        """Whether ``tick`` evaluates the CloudWatch alarms after writing new minutes."""
        self._pending_alarms: SeededAlarms | None = None
        self._alarm_client: Callable[[str], Any] | None = None

    # ---- what was seeded -------------------------------------------------------------------

    @property
    def inventory(self) -> Inventory:
        if self._inventory is None:
            raise RuntimeError("the workload is not seeded yet: call seed_all()")
        return self._inventory

    @property
    def fleet(self) -> FleetModel:
        if self._fleet is None:
            raise RuntimeError("the workload is not seeded yet: call seed_all()")
        return self._fleet

    @property
    def generator(self) -> MetricGenerator:
        if self._generator is None:
            raise RuntimeError("the workload is not seeded yet: call seed_all()")
        return self._generator

    @property
    def seeded_at(self) -> datetime:
        """When the workload was seeded (the end of its metric history's backfill)."""
        return self.inventory.seeded_at

    def catalog_name(self, name: str) -> str:
        """The name the catalog gives the instance ``name`` (the placement's prefix removed)."""
        return name.removeprefix(self.placement.prefix)

    def is_copy(self, spec: InstanceSpec) -> bool:
        """Whether ``spec`` is a copy a grown fleet adds rather than an instance of the catalog."""
        return self.catalog_name(spec.name) not in _CATALOG_NAMES

    @property
    def last_written_minute(self) -> int | None:
        """The last minute (since the epoch) whose datapoints were written."""
        return self._last_written

    # ---- seeding ---------------------------------------------------------------------------

    def seed_all(
        self,
        progress: Callable[[str], None] | None = None,
        *,
        backfill: bool = True,
        ready: Callable[[frozenset[str]], None] | None = None,
    ) -> Inventory:
        """Create everything, register nodes, import findings and backfill metrics (run once);
        ``progress(step)`` is told each step as it begins. Without ``backfill`` the caller writes
        the history (and puts the alarms) later, with ``backfill(inventory.seeded_at)``.

        ``ready(services)`` is told, as soon as it holds, that the workload's account has all the
        seeding gives it of these services (by SigV4 signing name, "ec2", "kinesis", ...): from
        then on the seeding writes nothing more to them, so a client may read them while the
        rest is seeded. The member account's resources, the metrics and the fault engine's
        experiment templates are never told early."""
        from moto.moto_api._internal import mock_random

        step = progress or (lambda text: None)
        started = time.perf_counter()
        mock_random.seed(self.seed)
        self._rng = random.Random(self.seed)
        now = self._clock()
        seeder = _Seeder(self, now, step, ready or (lambda services: None))
        inventory = seeder.run()
        self._fleet = seeder.fleet()
        self._generator = MetricGenerator(self._fleet)
        self._inventory = inventory
        if backfill:
            step("backfilling metrics")
            self.backfill(now)
        self.seed_seconds = time.perf_counter() - started
        logger.debug("seeded workload (seed %s) in %.2f s", self.seed, self.seed_seconds)
        return inventory

    def adopt(self, fleet: FleetModel) -> None:
        """Generate metrics for a fleet that exists already (no API calls, nothing seeded)."""
        self._fleet = fleet
        self._generator = MetricGenerator(fleet)

    # ---- metrics ---------------------------------------------------------------------------

    def live_state(self) -> LiveState:
        """Running instances, attached volumes and running Standard vCPUs, read from moto's EC2,
        and the streams' open shard counts, read from moto's Kinesis."""
        from moto.ec2.models import ec2_backends

        fleet = self.fleet
        shards = self.stream_shards()
        per_account = dict.get(ec2_backends, self.account_id)
        backend = dict.get(per_account, self.region) if per_account is not None else None
        if backend is None:
            catalog_state = self.generator.catalog_state
            return running_state(
                fleet,
                catalog_state.running_instances,
                catalog_state.attached_volumes,
                catalog_state.standard_vcpus,
                shards,
            )
        instances = list(backend.all_instances())
        running = [i for i in instances if i.state == "running"]
        attached = [v.id for v in list(backend.volumes.values()) if v.attachment is not None]
        vcpus = 0.0
        for instance in running:
            if is_standard_type(instance.instance_type):
                vcpus += vcpus_of(instance.instance_type)
        return running_state(fleet, [i.id for i in running], attached, vcpus, shards)

    def stream_shards(self) -> dict[str, int]:
        """Open shards per seeded stream, as moto's Kinesis reports them (DescribeStreamSummary's
        OpenShardCount, which UpdateShardCount sets to its target); a stream moto does not hold,
        or all of them when its state cannot be read, is left out (the generator then keeps the
        counts it recorded last, the catalog's before any)."""
        try:
            from moto.kinesis.models import kinesis_backends

            per_account = dict.get(kinesis_backends, self.account_id)
            backend = dict.get(per_account, self.region) if per_account is not None else None
            if backend is None:
                return {}
            counts: dict[str, int] = {}
            for spec in self.fleet.streams:
                stream = backend.streams.get(spec.name)
                if stream is None:
                    continue
                reported = stream.shard_count
                if not isinstance(reported, int) or reported < 1:
                    reported = sum(1 for shard in list(stream.shards.values()) if shard.is_open)
                if reported >= 1:
                    counts[spec.name] = reported
            return counts
        except (AttributeError, KeyError, TypeError, ImportError):
            logger.debug(
                "reading moto's Kinesis state failed; keeping the recorded shard counts", exc_info=True
            )
            return {}

    def backfill(self, now: datetime) -> int:
        """Write the metric history before ``now`` (``tick``), and the alarms' evaluations over it,
        once a minute, as if the simulator had run through it: at ``now`` every alarm has the state,
        the state history and the time in its state the window gives it. The alarms count as
        created when the window begins. Returns the minutes written."""
        self.put_alarms()
        written = self.tick(now, evaluate=False)
        inventory = self.inventory
        first = minute_start(minute_of(now) - self._backfill_minutes)
        # The alarms settle into the state they have once the window holds enough data (a third
        # of it), and their history is written from there.
        settle = minute_start(minute_of(now) - (2 * self._backfill_minutes) // 3)
        try:
            cloudwatch_alarms.backdate(inventory.account_id, inventory.region, inventory.alarms, first)
            cloudwatch_alarms.replay(inventory.account_id, inventory.region, settle, now, settled_since=first)
        except KeyError:  # moto runs in another process: its alarms evaluate from now on
            logger.debug("cannot replay the alarms: moto's CloudWatch is not in this process")
        return written

    def put_alarms(self) -> None:
        """Put the seeded alarms and their topics through the API (once)."""
        planned, client = self._pending_alarms, self._alarm_client
        if planned is None or client is None:
            return
        self._pending_alarms = None
        put_alarms(client, planned)

    def tick(self, now: datetime | None = None, *, evaluate: bool = True) -> int:
        """Write every complete minute not yet written (at most the backfill window); return how many.
        Once new minutes are written the alarms are evaluated (``evaluate_alarms``), unless
        ``evaluate`` is false."""
        moment = now if now is not None else self._clock()
        last_complete = minute_of(moment) - 1
        with self._tick_lock:
            oldest = last_complete - self._backfill_minutes + 1
            first = oldest if self._last_written is None else max(self._last_written + 1, oldest)
            if first > last_complete:
                return 0
            self._write(first, last_complete)
            self._last_written = last_complete
            if evaluate and self.evaluate_alarms_on_tick:
                self.evaluate_alarms(moment)
            return last_complete - first + 1

    def evaluate_alarms(self, now: datetime | None = None) -> int:
        """Evaluate the simulator's CloudWatch alarms at ``now`` (the workload's clock by default),
        as CloudWatch does once a minute; return how many changed state. ``tick`` calls it once it
        has written new minutes, so alarms follow the simulator's clock."""
        moment = now if now is not None else self._clock()
        try:
            return cloudwatch_alarms.evaluate_all(moment)
        except Exception:
            logger.debug("evaluating alarms failed", exc_info=True)
            return 0

    def _write(self, first: int, last: int) -> None:
        """Generate and store the datapoints of minutes ``first``..``last`` (hold the tick lock),
        replacing what was stored for those minutes before (a rewrite leaves one point a minute)."""
        generator = self.generator
        state = generator.catalog_state
        if self.track_ec2:
            try:
                state = self.live_state()
            except (AttributeError, KeyError, RuntimeError):
                logger.debug("reading moto's EC2 state failed; using the catalog's", exc_info=True)
        series = generator.window(
            first,
            last,
            multipliers=dict(self.multipliers),
            load_factors=dict(self.load_factors),
            state=state,
            effects=self.effects_provider,
        )
        # A point covering several minutes is written with its last minute and stamped with its
        # first: the points these minutes write start up to ``period`` - 1 minute earlier.
        by_span: dict[int, list[SeriesKey]] = {}
        for key in series:
            by_span.setdefault(key.period // 60, []).append(key)
        for span, keys in by_span.items():
            start, end = minute_start(first + 1 - span), minute_start(last + 2 - span)
            drop_points(self.account_id, self.region, keys, start, end)
        for key, points in series.items():
            put_series(
                self.account_id,
                self.region,
                key.namespace,
                key.metric,
                key.dimension_map,
                points,
                unit=key.unit,
            )

    def write_minutes(self, end: datetime, minutes: int) -> int:
        """Write the ``minutes`` complete minutes before ``end``, whatever was written before, so a
        fixed moment (a test's frozen clock) has data; the live schedule is left as it was."""
        last = minute_of(end) - 1
        with self._tick_lock:
            self._write(last - minutes + 1, last)
        return minutes

    @property
    def metrics_running(self) -> bool:
        """Whether the metric thread is alive."""
        return self._ticker.running

    def start_metrics(self) -> None:
        """Keep writing new minutes from a daemon thread every ``interval_seconds``."""
        if self._generator is None:
            raise RuntimeError("the workload is not seeded yet: call seed_all()")
        self._ticker.start(self._step, self.interval_seconds)

    def stop(self) -> None:
        """Stop the metric thread (returns promptly)."""
        self._ticker.stop()

    def _step(self) -> None:
        self.tick()
        self.trim()

    def trim(self) -> None:
        """Drop the points older than the retention from the simulator's CloudWatch (every
        account's: the store is one), at most once an hour."""
        if self.retention is None:
            return
        now = self._clock()
        if self._last_trim is not None and now - self._last_trim < timedelta(hours=1):
            return
        trim_before(now - self.retention)
        self._last_trim = now


def vcpus_of(instance_type: str) -> float:
    """The default vCPU count of an instance type (the catalog's facts, else moto's type table)."""
    facts = catalog.INSTANCE_TYPES.get(instance_type)
    if facts is not None:
        return float(facts.vcpus)
    from moto.ec2.models.instance_types import INSTANCE_TYPES

    info = INSTANCE_TYPES.get(instance_type) or {}
    return float(info.get("VCpuInfo", {}).get("DefaultVCpus", 0))


def drop_points(
    account_id: str, region: str, keys: Iterable[SeriesKey], start: datetime, end: datetime
) -> int:
    """Remove the stored datapoints of the series ``keys`` timestamped in [start, end) from the
    simulator's CloudWatch index (``tui.sim.extensions.cloudwatch``); return how many went."""
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    start_us = (start - epoch) // timedelta(microseconds=1)
    end_us = (end - epoch) // timedelta(microseconds=1)
    index = index_of(backend_for(account_id, region))
    removed = 0
    with index.lock:
        for key in keys:
            series = index.series.get((key.namespace, key.metric, frozenset(key.dimensions)))
            part = None if series is None else series.parts.get(key.unit)
            if part is None or not part.ts:
                continue
            low = bisect_left(part.ts, start_us)
            high = bisect_left(part.ts, end_us, low)
            if high > low:
                del part.ts[low:high]
                del part.vals[low:high]
                del part.seqs[low:high]
                removed += high - low
    return removed


def detach_stream_invocations(account_id: str, region: str, stream_name: str, function_arn: str) -> int:
    """Remove a function's event source mappings from moto's Kinesis stream object, so records
    put into the stream do not invoke it; return how many were removed."""
    from moto.kinesis.models import kinesis_backends

    stream = kinesis_backends[account_id][region].streams[stream_name]
    mappings = stream.lambda_event_source_mappings
    keys = [key for key, mapping in mappings.items() if mapping.function_arn == function_arn]
    for key in keys:
        del mappings[key]
    return len(keys)


def import_findings(hub: Any, findings: list[dict[str, Any]]) -> set[str]:
    """Import ``findings`` through the boto3 Security Hub client ``hub``, in batches of 100;
    return the ids Security Hub refused."""
    rejected: set[str] = set()
    for start in range(0, len(findings), IMPORT_BATCH):
        response = hub.batch_import_findings(Findings=findings[start : start + IMPORT_BATCH])
        for failure in response.get("FailedFindings", []):
            rejected.add(failure.get("Id", ""))
            logger.debug(
                "Security Hub refused finding %s: %s %s",
                failure.get("Id"),
                failure.get("ErrorCode"),
                failure.get("ErrorMessage"),
            )
    return rejected


def import_synthetic_findings(
    hub: Any, count: int, *, seed: int, now: datetime, region: str
) -> tuple[int, int]:
    """Import ``count`` findings of ``tui.sim.findings_bulk.synthetic_findings`` through ``hub``, a
    Security Hub client of a region where the hub is enabled; return (imported, refused).

    In the simulator 10,000 take about 2.5 s, 50,000 about 21 s (each batch costs more as the
    store grows)."""
    if count <= 0:
        return 0, 0
    findings = synthetic_findings(count, seed=seed, now=now, region=region)
    refused = len(import_findings(hub, findings))
    return count - refused, refused


def backdate_iam_users(
    account_id: str,
    key_ages_days: Mapping[str, int],
    now: datetime,
    *,
    region: str = REGION,
    user_lead_days: int = catalog.USER_OLDER_THAN_KEY_DAYS,
) -> int:
    """Date each named user's access keys ``key_ages_days[name]`` days before ``now`` (and the user
    ``user_lead_days`` earlier still) in moto's IAM backend, so ListAccessKeys and GetUser report
    those CreateDates (moto stamps both with the moment of creation). Setting the same dates again
    changes nothing; returns how many keys were dated."""
    from moto.iam.models import iam_backends
    from moto.utilities.utils import get_partition

    backend = iam_backends[account_id][get_partition(region)]
    moment = now.astimezone(UTC).replace(tzinfo=None)
    dated = 0
    for name, age in key_ages_days.items():
        user = backend.get_user(name)
        user.create_date = moment - timedelta(days=age + user_lead_days)
        for key in user.access_keys:
            key.create_date = moment - timedelta(days=age)
            dated += 1
    return dated


def trust_account_root(account_id: str) -> str:
    """A role trust policy that lets principals of ``account_id`` assume the role."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{account_id}:root"},
                    "Action": "sts:AssumeRole",
                }
            ],
        },
        separators=(",", ":"),
    )


def remediation_policy() -> str:
    """The inline policy of ``catalog.REMEDIATION_ROLE``: the calls the console's playbooks make.

    moto does not evaluate IAM policies (unless its IAM authentication is switched on), so in the
    simulator the policy documents what a real account would need rather than limiting anything.
    """
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "WarroomPlaybooks",
                    "Effect": "Allow",
                    "Action": list(catalog.REMEDIATION_ACTIONS),
                    "Resource": "*",
                }
            ],
        },
        separators=(",", ":"),
    )


def _shape(spec: InstanceSpec) -> InstanceSpec:
    """``spec`` without its names: the copies of one catalog instance share it."""
    return replace(spec, name="", volumes=tuple(replace(v, key="") for v in spec.volumes))


def _ip_permissions(spec: SecurityGroupSpec) -> list[dict[str, Any]]:
    """EC2 IpPermissions for a group's ingress rules (IPv6 ranges for CIDRs with a colon)."""
    permissions: list[dict[str, Any]] = []
    for rule in spec.ingress:
        permission: dict[str, Any] = {
            "IpProtocol": rule.protocol,
            "FromPort": rule.from_port,
            "ToPort": rule.to_port,
        }
        if ":" in rule.cidr:
            permission["Ipv6Ranges"] = [{"CidrIpv6": rule.cidr, "Description": rule.description}]
        else:
            permission["IpRanges"] = [{"CidrIp": rule.cidr, "Description": rule.description}]
        permissions.append(permission)
    return permissions


_READ_PREFIXES = ("Describe", "Get", "List")
"""Operations that read: the only ones the seeding may call on a service it has told seeded."""


class _Seeder:
    """One seeding run: the API calls, in a fixed order, and what they returned."""

    def __init__(
        self,
        workload: Workload,
        now: datetime,
        step: Callable[[str], None] = lambda text: None,
        ready: Callable[[frozenset[str]], None] = lambda services: None,
    ) -> None:
        self.step = step
        self.ready = ready
        self.released: set[str] = set()
        """The services ``ready`` was told of: the account's clients refuse to write to them."""
        self.w = workload
        self.rng = workload._rng
        self.now = now
        placement = workload.placement
        self.session = boto3.session.Session(
            aws_access_key_id=placement.access_key,
            aws_secret_access_key=placement.secret_key,
            aws_session_token=placement.session_token,
            region_name=workload.region,
        )
        self.config = Config(retries={"max_attempts": 2, "mode": "standard"})
        self._clients: dict[str, Any] = {}
        self.instances: dict[str, dict[str, Any]] = {}
        self.volume_ids: dict[str, str] = {}
        self.groups: dict[str, str] = {}
        self.profile_arn: str | None = None
        self.lambda_role_arn: str | None = None
        self.member_session: Any = None
        self.member_remediation_role = ""
        self._member_clients: dict[str, Any] = {}

    def zone(self, catalog_zone: str) -> str:
        """The catalog's zone (written for us-east-1) in the workload's region: same letter."""
        return f"{self.w.region}{catalog_zone[-1]}"

    def new_client(self, session: Any, service: str) -> Any:
        """A client of ``session`` for the simulator (in this process when its app is known)."""
        client = session.client(service, endpoint_url=self.w.endpoint_url, config=self.config)
        return client if self.w.app is None else attach(client, self.w.app)

    def client(self, service: str) -> Any:
        existing = self._clients.get(service)
        if existing is None:
            existing = self.new_client(self.session, service)
            signing_name = existing.meta.service_model.signing_name

            def refuse_late_writes(model: Any, **_: Any) -> None:
                if signing_name in self.released and not model.name.startswith(_READ_PREFIXES):
                    raise RuntimeError(
                        f"the seeding called {signing_name} {model.name} after telling clients "
                        f"{signing_name} was seeded: move the call, or tell them later"
                    )

            existing.meta.events.register("before-call", refuse_late_writes)
            self._clients[service] = existing
        return existing

    def seeded(self, *services: str) -> None:
        """Tell ``ready`` that the account holds all the seeding gives it of ``services`` (SigV4
        signing names): nothing after this call writes to them, through the API (the account's
        clients refuse to) or through moto's internals (each step says what it writes)."""
        fresh = frozenset(services) - self.released
        self.released.update(fresh)
        if fresh:
            self.ready(fresh)

    def run(self) -> Inventory:
        # The account's services are told seeded (``seeded``) once the last step that writes to
        # them is done, through the API or moto's internals: EC2's launch times are moved back in
        # ec2_fleet, Kinesis's creation times and Lambda's mappings in streams, SSM's nodes go to
        # the extension's store in managed_nodes, IAM's access keys are backdated below. The
        # order of the calls is the seed's: moving one changes every identifier drawn after it.
        self.step("seeding the fleet")
        self.seeded("servicequotas")  # the workload sets no quota: the defaults stand
        shared = self.w.account_globals
        if shared is None:
            role = self.iam()
            users = self.users()
        else:  # another region of the account made its IAM resources
            role, users = shared.external_role, dict(shared.users)
            self.profile_arn, self.lambda_role_arn = shared.profile_arn, shared.lambda_role_arn
        default_vpc, default_sg = self.network()
        amis = self.images()
        self.ec2_fleet(amis)
        unattached = self.unattached_volume()
        self.seeded("ec2")  # group_refs only reads
        consumers = self.streams()
        self.seeded("kinesis", "lambda")
        buckets = self.buckets() if shared is None else list(shared.buckets)
        trail = self.trail(buckets)
        self.seeded("s3", "cloudtrail")
        group_refs = self.group_refs(default_vpc)
        managed, hybrid = self.managed_nodes()
        self.seeded("ssm")
        key = self.kms_key()
        self.seeded("kms")
        if shared is None:
            roles = {self.w.account_id: self.remediation_role(self.client("iam"))}
            backdate_iam_users(self.w.account_id, catalog.ACCESS_KEY_USERS, self.now, region=self.w.region)
        else:
            roles = {self.w.account_id: shared.remediation_role}
        self.seeded("iam")
        member: MemberResources | None = None
        member_account_id = member_account_name = ""
        if self.w.placement.member_account:
            member = self.member_account()
            roles[MEMBER_ACCOUNT_ID] = self.member_remediation_role
            member_account_id, member_account_name = MEMBER_ACCOUNT_ID, catalog.MEMBER_ACCOUNT_NAME
        resources = SeededResources(
            account_id=self.w.account_id,
            account_name=self.w.placement.account_name,
            member_account_id=member_account_id,
            member_account_name=member_account_name,
            region=self.w.region,
            default_vpc_id=default_vpc,
            instances=self.instance_refs(),
            groups=group_refs,
            volumes=self.volume_refs(),
            users=users,
            buckets=buckets,
            trail=trail,
            external_role=role,
            unmanaged_instances=tuple(
                self.w.catalog_name(spec.name)
                for spec in self.w.instances
                if spec.running and not spec.ssm_managed
            ),
            managed_instances=tuple(
                self.w.catalog_name(spec.name)
                for spec in self.w.instances
                if spec.running and spec.ssm_managed
            ),
            member=member,
            kms_keys=(key,),
        )
        self.step("importing findings")
        findings = build_findings(resources, self.rng, self.now)
        rejected = self.import_findings(findings)
        extra_imported, extra_rejected = self.import_extra_findings()
        self.seeded("securityhub")
        accepted = [f for f in findings if f["Id"] not in rejected]
        by_account: dict[str, int] = {}
        for finding in accepted:
            by_account[finding["AwsAccountId"]] = by_account.get(finding["AwsAccountId"], 0) + 1
        alarms = self.alarms() if self.w.with_alarms else SeededAlarms((), {}, {})
        volumes_by_type: dict[str, list[str]] = {}
        for spec in (*[v for i in self.w.instances for v in i.volumes], self.w.unattached_volume):
            volumes_by_type.setdefault(spec.volume_type, []).append(self.volume_ids[spec.key])
        account_globals = shared or AccountGlobals(
            external_role=role,
            users=_frozen(users),
            profile_arn=self.profile_arn or "",
            lambda_role_arn=self.lambda_role_arn,
            buckets=tuple(buckets),
            remediation_role=roles[self.w.account_id],
        )
        return Inventory(
            account_id=self.w.account_id,
            member_account_id=member_account_id,
            region=self.w.region,
            instances=_frozen({name: data["InstanceId"] for name, data in self.instances.items()}),
            stopped_instances=tuple(spec.name for spec in self.w.instances if not spec.running),
            volumes=_frozen({kind: tuple(ids) for kind, ids in volumes_by_type.items()}),
            volumes_by_key=_frozen(self.volume_ids),
            unattached_volumes=(unattached,),
            streams=tuple(stream.name for stream in self.w.streams),
            consumers=_frozen(consumers),
            security_groups=_frozen({**self.groups, "default": default_sg}),
            default_vpc_id=default_vpc,
            buckets=tuple(bucket.name for bucket in buckets),
            public_buckets=tuple(bucket.name for bucket in buckets if not bucket.public_access_block),
            users=tuple(users),
            trail_name=trail.name,
            finding_ids=tuple(f["Id"] for f in accepted),
            findings_by_account=_frozen(by_account),
            rejected_findings=tuple(sorted(rejected)),
            managed_nodes=managed,
            hybrid_nodes=_frozen(hybrid),
            seeded_at=self.now,
            member_default_vpc_id=member.default_vpc_id if member else "",
            member_security_groups=_frozen({member.group.name: member.group.group_id} if member else {}),
            member_instances=_frozen({member.instance.name: member.instance.instance_id} if member else {}),
            member_buckets=(member.bucket.name,) if member else (),
            kms_keys=_frozen({key.alias: key.arn}),
            remediation_roles=_frozen(roles),
            extra_findings=extra_imported,
            extra_rejected=extra_rejected,
            alarms=alarms.names,
            alarm_topics=_frozen(alarms.topics),
            account_globals=account_globals,
        )

    def fleet(self) -> FleetModel:
        models = []
        for spec in self.w.instances:
            volumes = tuple(VolumeModel(self.volume_ids[v.key], v) for v in spec.volumes)
            models.append(InstanceModel(self.instances[spec.name]["InstanceId"], spec, volumes))
        return FleetModel(
            seed=self.w.seed,
            instances=tuple(models),
            streams=self.w.streams,
            story_minute=minute_of(self.now),
        )

    # ---- CloudWatch alarms -----------------------------------------------------------------

    def alarms(self) -> SeededAlarms:
        """The teams' SNS topics and alarms (``tui.sim.alarms``), put with the metric history
        (``Workload.backfill``): CloudWatch's requests wait for that anyway, the other panes'
        do not. Putting them consumes none of moto's seeded random numbers, so every id seeded
        stays the same.

        They watch the catalog's instances only: the copies a grown fleet adds have none (a
        service's CPU alarm takes at most 10 instances into its metric math)."""
        fleet = self.fleet()
        watched = tuple(m for m in fleet.instances if not self.w.is_copy(m.spec))
        if len(watched) != len(fleet.instances):
            fleet = replace(fleet, instances=watched)
        planned = plan_alarms(fleet, self.w.account_id, self.w.region)
        self.w._pending_alarms = planned
        self.w._alarm_client = self.client
        return planned

    # ---- IAM -------------------------------------------------------------------------------

    def iam(self) -> RoleRef:
        iam = self.client("iam")
        ec2_trust = (
            '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},'
            '"Action":"sts:AssumeRole"}]}'
        )
        iam.create_role(RoleName=catalog.INSTANCE_ROLE, AssumeRolePolicyDocument=ec2_trust)
        profile = iam.create_instance_profile(InstanceProfileName=catalog.INSTANCE_ROLE)
        iam.add_role_to_instance_profile(
            InstanceProfileName=catalog.INSTANCE_ROLE, RoleName=catalog.INSTANCE_ROLE
        )
        self.profile_arn = profile["InstanceProfile"]["Arn"]
        partner_trust = (
            '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::'
            + catalog.EXTERNAL_PARTNER_ACCOUNT
            + ':root"},"Action":"sts:AssumeRole"}]}'
        )
        role = iam.create_role(RoleName=catalog.EXTERNAL_ROLE, AssumeRolePolicyDocument=partner_trust)["Role"]
        return RoleRef(
            name=role["RoleName"],
            arn=role["Arn"],
            role_id=role["RoleId"],
            create_date=_iso(role["CreateDate"]),
            trusted_account=catalog.EXTERNAL_PARTNER_ACCOUNT,
        )

    def users(self) -> dict[str, UserRef]:
        iam = self.client("iam")
        refs: dict[str, UserRef] = {}
        for name, age in catalog.ACCESS_KEY_USERS.items():
            user = iam.create_user(UserName=name, Tags=[{"Key": "KeyAgeDays", "Value": str(age)}])["User"]
            key = iam.create_access_key(UserName=name)["AccessKey"]
            refs[name] = UserRef(
                name=name,
                user_id=user["UserId"],
                create_date=_iso(self.now - timedelta(days=age + 3)),
                access_key_id=key["AccessKeyId"],
                key_age_days=age,
            )
        return refs

    # ---- EC2 -------------------------------------------------------------------------------

    def network(self) -> tuple[str, str]:
        ec2 = self.client("ec2")
        vpcs = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"]
        vpc_id = vpcs[0]["VpcId"]
        default = ec2.describe_security_groups(
            Filters=[{"Name": "vpc-id", "Values": [vpc_id]}, {"Name": "group-name", "Values": ["default"]}]
        )["SecurityGroups"][0]
        extra = catalog.DEFAULT_SG_EXTRA_INGRESS
        ec2.authorize_security_group_ingress(
            GroupId=default["GroupId"],
            IpPermissions=[
                {"IpProtocol": "-1", "UserIdGroupPairs": [{"GroupId": default["GroupId"]}]},
                {
                    "IpProtocol": extra.protocol,
                    "FromPort": extra.from_port,
                    "ToPort": extra.to_port,
                    "IpRanges": [{"CidrIp": extra.cidr, "Description": extra.description}],
                },
            ],
        )
        for spec in catalog.SECURITY_GROUPS:
            group_id = ec2.create_security_group(
                GroupName=spec.name,
                Description=spec.description,
                VpcId=vpc_id,
                TagSpecifications=[
                    {"ResourceType": "security-group", "Tags": [{"Key": "Name", "Value": spec.name}]}
                ],
            )["GroupId"]
            ec2.authorize_security_group_ingress(GroupId=group_id, IpPermissions=_ip_permissions(spec))
            self.groups[spec.name] = group_id
        self.default_group = default["GroupId"]
        return vpc_id, default["GroupId"]

    def images(self) -> dict[str, dict[str, Any]]:
        ec2 = self.client("ec2")
        found: dict[str, dict[str, Any]] = {}
        for kind, pattern in (("linux", _LINUX_AMI_NAME), ("windows", _WINDOWS_AMI_NAME)):
            images = ec2.describe_images(Filters=[{"Name": "name", "Values": [pattern]}])["Images"]
            if not images:
                raise RuntimeError(f"the simulator has no AMI named like {pattern!r}")
            found[kind] = sorted(images, key=lambda image: (image.get("CreationDate", ""), image["ImageId"]))[
                -1
            ]
        return found

    def ec2_fleet(self, amis: Mapping[str, Mapping[str, Any]]) -> None:
        ec2 = self.client("ec2")
        stopped: list[str] = []
        copies: dict[InstanceSpec, list[InstanceSpec]] = {}
        for spec in self.w.instances:
            if self.w.is_copy(spec):
                copies.setdefault(_shape(spec), []).append(spec)
                continue
            image = amis["windows" if spec.windows else "linux"]
            instance = self.launch(ec2, spec, image)
            self.instances[spec.name] = instance
            for volume in spec.volumes:
                if volume.root:
                    root = next(
                        m for m in instance["BlockDeviceMappings"] if m["DeviceName"] == volume.device
                    )
                    self.volume_ids[volume.key] = root["Ebs"]["VolumeId"]
                    continue
                volume_id = self.create_volume(ec2, volume, self.zone(spec.zone), spec)
                ec2.attach_volume(VolumeId=volume_id, InstanceId=instance["InstanceId"], Device=volume.device)
            instance["LaunchTime"] = self.backdate_launch(spec, instance)
            if not spec.running:
                stopped.append(instance["InstanceId"])
        for group in copies.values():
            stopped.extend(self.launch_copies(ec2, group, amis["windows" if group[0].windows else "linux"]))
        if stopped:
            ec2.stop_instances(InstanceIds=stopped)

    def launch_copies(self, ec2: Any, group: list[InstanceSpec], image: Mapping[str, Any]) -> list[str]:
        """Launch the copies of one catalog instance a grown fleet adds (``catalog.grown_fleet``)
        with one RunInstances call, then name them, make and attach their data volumes and date
        them back in moto's EC2 backend: one by one through the API, each copy cost some 25 ms,
        more as the fleet grew (moto finds an instance or a tag by walking all of them). Returns
        the ids of the copies that are to be stopped."""
        backend = self.ec2_backend()
        first = group[0]
        tags = {key: value for key, value in self.instance_tags(first).items() if key != "Name"}
        instances = self.run_instances(ec2, first, image, count=len(group), tags=tags)
        moto_instances = {i.id: i for i in backend.all_instances()}
        stopped: list[str] = []
        for spec, instance in zip(group, instances, strict=True):
            instance_id = instance["InstanceId"]
            self.instances[spec.name] = instance
            backend.create_tags([instance_id], {"Name": spec.name})
            launched = self.launched_at(spec.name)
            naive = launched.astimezone(UTC).replace(tzinfo=None)
            moto_instances[instance_id].launch_time = naive
            instance["LaunchTime"] = launched
            for volume in spec.volumes:
                if volume.root:
                    mapping = next(
                        m for m in instance["BlockDeviceMappings"] if m["DeviceName"] == volume.device
                    )
                    made = backend.get_volume(mapping["Ebs"]["VolumeId"])
                    backend.create_tags([made.id], {"Name": volume.name})
                else:
                    made = backend.create_volume(
                        size=volume.size_gib,
                        zone_name=self.zone(spec.zone),
                        encrypted=volume.encrypted,
                        volume_type=volume.volume_type,
                        iops=volume.iops,
                        throughput=volume.throughput,
                    )
                    backend.create_tags([made.id], {"Name": volume.name, "Service": spec.service})
                    backend.attach_volume(made.id, instance_id, volume.device)
                self.volume_ids[volume.key] = made.id
                made.create_time = naive
                if made.attachment is not None:
                    made.attachment.attach_time = naive
            if not spec.running:
                stopped.append(instance_id)
        return stopped

    def ec2_backend(self) -> Any:
        """moto's EC2 backend of the workload's account and region (it must run in this process)."""
        from moto.ec2.models import ec2_backends

        per_account = dict.get(ec2_backends, self.w.account_id)
        backend = dict.get(per_account, self.w.region) if per_account is not None else None
        if backend is None:
            raise RuntimeError("a grown fleet is launched in moto's EC2 backend: run it in this process")
        return backend

    def launch(self, ec2: Any, spec: InstanceSpec, image: Mapping[str, Any]) -> dict[str, Any]:
        """The instance of ``spec``, tagged, its root volume named."""
        instance: dict[str, Any] = self.run_instances(ec2, spec, image)[0]
        return instance

    def run_instances(
        self,
        ec2: Any,
        spec: InstanceSpec,
        image: Mapping[str, Any],
        *,
        count: int = 1,
        tags: Mapping[str, str] | None = None,
    ) -> list[dict[str, Any]]:
        """``count`` instances of ``spec`` in one call, tagged with ``tags`` (the spec's, and the
        root volume's name, when not given)."""
        root = next(v for v in spec.volumes if v.root)
        if tags is None:
            tags = self.instance_tags(spec)
            volume_tags = [{"Key": "Name", "Value": root.name}, {"Key": "Service", "Value": spec.service}]
        else:
            volume_tags = [{"Key": "Service", "Value": spec.service}]
        response = ec2.run_instances(
            ImageId=image["ImageId"],
            MinCount=count,
            MaxCount=count,
            InstanceType=spec.instance_type,
            Placement={"AvailabilityZone": self.zone(spec.zone)},
            SecurityGroupIds=[self.groups[spec.security_group]],
            IamInstanceProfile={"Name": catalog.INSTANCE_ROLE},
            MetadataOptions={
                "HttpTokens": "required" if spec.imdsv2 else "optional",
                "HttpEndpoint": "enabled",
            },
            EbsOptimized=True,
            Monitoring={"Enabled": spec.detailed_monitoring},
            BlockDeviceMappings=[
                {
                    "DeviceName": root.device,
                    "Ebs": {
                        "VolumeSize": root.size_gib,
                        "VolumeType": root.volume_type,
                        "Encrypted": root.encrypted,
                        "DeleteOnTermination": True,
                    },
                }
            ],
            TagSpecifications=[
                {"ResourceType": "instance", "Tags": [{"Key": k, "Value": v} for k, v in tags.items()]},
                {"ResourceType": "volume", "Tags": volume_tags},
            ],
        )
        return list(response["Instances"])

    def launched_at(self, name: str) -> datetime:
        """When the instance ``name`` was launched: 45 to 545 days before the seeding (from the seed,
        on a whole second), so long before the oldest metric the workload writes."""
        days = 45.0 + 500.0 * unit_noise(self.w.seed, f"{name}:launch", 0)
        moment = self.now - timedelta(days=days)
        return moment.replace(microsecond=0)

    def backdate_launch(self, spec: InstanceSpec, instance: Mapping[str, Any]) -> datetime:
        """Move the instance's LaunchTime, and the creation and attachment of its volumes, back to
        ``launched_at`` in moto's EC2 backend (moto stamps them with the moment of each call); a
        simulator in another process keeps moto's times."""
        from moto.ec2.models import ec2_backends

        launched = self.launched_at(spec.name)
        per_account = dict.get(ec2_backends, self.w.account_id)
        backend = dict.get(per_account, self.w.region) if per_account is not None else None
        moto_instance = backend.get_instance_by_id(instance["InstanceId"]) if backend is not None else None
        if backend is None or moto_instance is None:
            stamped: datetime = instance["LaunchTime"]
            return stamped
        naive = launched.astimezone(UTC).replace(tzinfo=None)
        moto_instance.launch_time = naive
        for volume in list(backend.volumes.values()):
            attachment = volume.attachment
            if attachment is not None and attachment.instance.id == instance["InstanceId"]:
                volume.create_time = naive
                attachment.attach_time = naive
        return launched

    def instance_tags(self, spec: InstanceSpec) -> dict[str, str]:
        return {
            "Name": spec.name,
            "Role": spec.role,
            "Service": spec.service,
            "Environment": self.w.placement.environment,
            "Team": "payments-platform",
            "InstanceProfile": catalog.INSTANCE_ROLE,
        }

    def create_volume(self, ec2: Any, volume: VolumeSpec, zone: str, owner: InstanceSpec | None) -> str:
        params: dict[str, Any] = {
            "AvailabilityZone": zone,
            "Size": volume.size_gib,
            "VolumeType": volume.volume_type,
            "Encrypted": volume.encrypted,
        }
        if volume.iops is not None:
            params["Iops"] = volume.iops
        if volume.throughput is not None:
            params["Throughput"] = volume.throughput
        tags = [{"Key": "Name", "Value": volume.name}]
        if owner is not None:
            tags.append({"Key": "Service", "Value": owner.service})
        params["TagSpecifications"] = [{"ResourceType": "volume", "Tags": tags}]
        volume_id: str = ec2.create_volume(**params)["VolumeId"]
        self.volume_ids[volume.key] = volume_id
        return volume_id

    def unattached_volume(self) -> str:
        zone = self.zone(catalog.UNATTACHED_VOLUME_ZONE)
        return self.create_volume(self.client("ec2"), self.w.unattached_volume, zone, None)

    def group_refs(self, vpc_id: str) -> dict[str, GroupRef]:
        ec2 = self.client("ec2")
        ids = {**self.groups, "default": self.default_group}
        described = ec2.describe_security_groups(GroupIds=list(ids.values()))["SecurityGroups"]
        by_id = {group["GroupId"]: group for group in described}
        refs: dict[str, GroupRef] = {}
        for name, group_id in ids.items():
            group = by_id[group_id]
            refs[name] = GroupRef(
                name=group["GroupName"],
                group_id=group_id,
                vpc_id=group.get("VpcId", vpc_id),
                ip_permissions=_asff_permissions(group.get("IpPermissions", [])),
                ip_permissions_egress=_asff_permissions(group.get("IpPermissionsEgress", [])),
            )
        return refs

    def instance_refs(self) -> dict[str, InstanceRef]:
        refs: dict[str, InstanceRef] = {}
        for spec in self.w.instances:
            data = self.instances[spec.name]
            # The findings know the instances by the catalog's names.
            refs[self.w.catalog_name(spec.name)] = InstanceRef(
                name=spec.name,
                instance_id=data["InstanceId"],
                instance_type=spec.instance_type,
                image_id=data["ImageId"],
                private_ip=data.get("PrivateIpAddress", ""),
                public_ip=data.get("PublicIpAddress") if spec.role in ("bastion", "jump-host") else None,
                vpc_id=data.get("VpcId", ""),
                subnet_id=data.get("SubnetId", ""),
                launched_at=_iso(data["LaunchTime"]),
                http_tokens="required" if spec.imdsv2 else "optional",
                profile_arn=self.profile_arn,
                tags=self.instance_tags(spec),
            )
        return refs

    def volume_refs(self) -> list[VolumeRef]:
        refs: list[VolumeRef] = []
        for spec in self.w.instances:
            for volume in spec.volumes:
                refs.append(
                    VolumeRef(
                        key=volume.key,
                        volume_id=self.volume_ids[volume.key],
                        volume_type=volume.volume_type,
                        size_gib=volume.size_gib,
                        encrypted=volume.encrypted,
                        instance_id=self.instances[spec.name]["InstanceId"],
                        device=volume.device,
                    )
                )
        orphan = self.w.unattached_volume
        refs.append(
            VolumeRef(
                orphan.key,
                self.volume_ids[orphan.key],
                orphan.volume_type,
                orphan.size_gib,
                False,
                None,
                None,
            )
        )
        return refs

    # ---- Kinesis ---------------------------------------------------------------------------

    def streams(self) -> dict[str, tuple[str, ...]]:
        kinesis = self.client("kinesis")
        consumers: dict[str, tuple[str, ...]] = {}
        for stream in self.w.streams:
            kinesis.create_stream(
                StreamName=stream.name,
                ShardCount=stream.shards,
                StreamModeDetails={"StreamMode": "PROVISIONED"},
            )
            if stream.retention_hours > 24:
                kinesis.increase_stream_retention_period(
                    StreamName=stream.name, RetentionPeriodHours=stream.retention_hours
                )
            arn = kinesis.describe_stream_summary(StreamName=stream.name)["StreamDescriptionSummary"][
                "StreamARN"
            ]
            kinesis.add_tags_to_stream(StreamName=stream.name, Tags={"Service": stream.name.split("-")[0]})
            self.stream_created(stream.name)
            names = []
            for consumer in stream.registered_consumers:
                kinesis.register_stream_consumer(StreamARN=arn, ConsumerName=consumer.name)
                names.append(consumer.name)
            consumers[stream.name] = tuple(names)
            for consumer in stream.consumers:
                if consumer.lambda_function:
                    self.stream_function(stream.name, arn, consumer.name)
        return consumers

    def stream_created(self, stream_name: str) -> None:
        """Date the stream's StreamCreationTimestamp before its oldest backfilled metric (moto dates it
        now), as a stream that has been publishing them for weeks would be."""
        created = self.w._clock() - timedelta(minutes=self.w._backfill_minutes) - STREAM_AGE
        try:
            set_creation_time(self.w.account_id, self.w.region, stream_name, created)
        except KeyError:  # moto runs in another process: the stream keeps moto's date
            logger.debug("cannot date stream %s: moto's Kinesis is not in this process", stream_name)

    def stream_function(self, stream_name: str, stream_arn: str, function_name: str) -> None:
        """A Lambda function reading the stream through an event source mapping.

        moto would invoke the function (in Docker) for every record put into the stream, so the
        mapping is detached from moto's stream object: Lambda lists it, records do not start it.
        """
        role_arn = self.lambda_role()
        code = io.BytesIO()
        with zipfile.ZipFile(code, "w") as archive:
            archive.writestr(
                zipfile.ZipInfo("handler.py", date_time=(2020, 1, 1, 0, 0, 0)),
                "def handler(event, context):\n    return {'batchItemFailures': []}\n",
            )
        lam = self.client("lambda")
        function_arn: str = lam.create_function(
            FunctionName=function_name,
            Runtime=catalog.LAMBDA_RUNTIME,
            Role=role_arn,
            Handler="handler.handler",
            Code={"ZipFile": code.getvalue()},
            MemorySize=catalog.LAMBDA_MEMORY_MB,
            Timeout=catalog.LAMBDA_TIMEOUT_S,
            Tags={"Service": stream_name.split("-")[0]},
        )["FunctionArn"]
        lam.create_event_source_mapping(
            EventSourceArn=stream_arn,
            FunctionName=function_name,
            StartingPosition="TRIM_HORIZON",
            BatchSize=catalog.LAMBDA_BATCH_SIZE,
            ParallelizationFactor=1,
        )
        detach_stream_invocations(self.w.account_id, self.w.region, stream_name, function_arn)

    def lambda_role(self) -> str:
        if self.lambda_role_arn is None:
            trust = (
                '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":'
                '"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}'
            )
            role = self.client("iam").create_role(
                RoleName=catalog.LAMBDA_ROLE, AssumeRolePolicyDocument=trust
            )
            self.lambda_role_arn = str(role["Role"]["Arn"])
        return self.lambda_role_arn

    # ---- S3 and CloudTrail -----------------------------------------------------------------

    def buckets(self) -> list[BucketRef]:
        s3 = self.client("s3")
        refs: list[BucketRef] = []
        for index, prefix in enumerate(catalog.PUBLIC_BUCKET_PREFIXES):
            name = f"{prefix}-{self.rng.getrandbits(32):08x}"
            public_read = index == 0
            if public_read:
                s3.create_bucket(Bucket=name, ACL="public-read")
            else:
                s3.create_bucket(Bucket=name)
            refs.append(BucketRef(name=name, public_read_acl=public_read, public_access_block=False))
        for prefix in catalog.PRIVATE_BUCKET_PREFIXES:
            name = f"{prefix}-{self.rng.getrandbits(32):08x}"
            s3.create_bucket(Bucket=name)
            s3.put_public_access_block(
                Bucket=name,
                PublicAccessBlockConfiguration={
                    "BlockPublicAcls": True,
                    "IgnorePublicAcls": True,
                    "BlockPublicPolicy": True,
                    "RestrictPublicBuckets": True,
                },
            )
            refs.append(BucketRef(name=name, public_read_acl=False, public_access_block=True))
        return refs

    def trail(self, buckets: list[BucketRef]) -> TrailRef:
        cloudtrail = self.client("cloudtrail")
        bucket = next(b.name for b in buckets if b.public_access_block)
        trail = cloudtrail.create_trail(
            Name=catalog.TRAIL_NAME,
            S3BucketName=bucket,
            IsMultiRegionTrail=False,
            EnableLogFileValidation=False,
            IncludeGlobalServiceEvents=True,
        )
        cloudtrail.start_logging(Name=catalog.TRAIL_NAME)
        return TrailRef(name=trail["Name"], arn=trail["TrailARN"], bucket=bucket)

    # ---- KMS and the remediation role ------------------------------------------------------

    def kms_key(self) -> KeyRef:
        """A customer managed symmetric key under ``catalog.KMS_KEY_ALIAS``, rotation left off."""
        kms = self.client("kms")
        meta = kms.create_key(
            Description=catalog.KMS_KEY_DESCRIPTION,
            KeyUsage="ENCRYPT_DECRYPT",
            KeySpec="SYMMETRIC_DEFAULT",
            Tags=[{"TagKey": "Service", "TagValue": "ledger"}],
        )["KeyMetadata"]
        kms.create_alias(AliasName=catalog.KMS_KEY_ALIAS, TargetKeyId=meta["KeyId"])
        rotation = kms.get_key_rotation_status(KeyId=meta["KeyId"])["KeyRotationEnabled"]
        return KeyRef(
            key_id=meta["KeyId"],
            arn=meta["Arn"],
            alias=catalog.KMS_KEY_ALIAS,
            description=catalog.KMS_KEY_DESCRIPTION,
            created_at=meta["CreationDate"].timestamp(),
            rotation_enabled=bool(rotation),
        )

    def remediation_role(self, iam: Any) -> str:
        """``catalog.REMEDIATION_ROLE`` in the account of ``iam``, trusting the seeded account's root."""
        role = iam.create_role(
            RoleName=catalog.REMEDIATION_ROLE,
            AssumeRolePolicyDocument=trust_account_root(self.w.placement.trusted_account),
            Description="Assumed by warroom to run the Findings pane's remediation playbooks",
            MaxSessionDuration=3600,
        )["Role"]
        iam.put_role_policy(
            RoleName=catalog.REMEDIATION_ROLE,
            PolicyName=catalog.REMEDIATION_POLICY_NAME,
            PolicyDocument=remediation_policy(),
        )
        return str(role["Arn"])

    # ---- the member account ----------------------------------------------------------------

    def member_client(self, service: str) -> Any:
        """A client of the member account, with credentials of its bootstrap role."""
        existing = self._member_clients.get(service)
        if existing is None:
            if self.member_session is None:
                self.member_session = self.assume_member_role()
            existing = self.new_client(self.member_session, service)
            self._member_clients[service] = existing
        return existing

    def assume_member_role(self) -> Any:
        """A boto3 session of ``catalog.MEMBER_BOOTSTRAP_ROLE`` in the member account.

        moto maps the credentials sts:AssumeRole returns to the role's account, unless the
        MOTO_ACCOUNT_ID variable pins every request to one account; then this raises.
        """
        role_arn = f"arn:aws:iam::{MEMBER_ACCOUNT_ID}:role/{catalog.MEMBER_BOOTSTRAP_ROLE}"
        credentials = self.client("sts").assume_role(RoleArn=role_arn, RoleSessionName="warroom-sim-seed")[
            "Credentials"
        ]
        session = boto3.session.Session(
            aws_access_key_id=credentials["AccessKeyId"],
            aws_secret_access_key=credentials["SecretAccessKey"],
            aws_session_token=credentials["SessionToken"],
            region_name=self.w.region,
        )
        account = self.new_client(session, "sts").get_caller_identity()["Account"]
        if account != MEMBER_ACCOUNT_ID:
            raise RuntimeError(
                f"credentials of {role_arn} act in account {account}, not {MEMBER_ACCOUNT_ID}: "
                "unset MOTO_ACCOUNT_ID so the simulator can hold the member account"
            )
        return session

    def member_account(self) -> MemberResources:
        """The member account's roles, open security group, build host and bucket."""
        iam = self.member_client("iam")
        iam.create_role(
            RoleName=catalog.MEMBER_BOOTSTRAP_ROLE,
            AssumeRolePolicyDocument=trust_account_root(self.w.account_id),
        )
        iam.put_role_policy(
            RoleName=catalog.MEMBER_BOOTSTRAP_ROLE,
            PolicyName="AdministratorAccess",
            PolicyDocument=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
                },
                separators=(",", ":"),
            ),
        )
        self.member_remediation_role = self.remediation_role(iam)
        ec2 = self.member_client("ec2")
        vpc_id = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
        spec = catalog.MEMBER_SECURITY_GROUP
        group_id = ec2.create_security_group(
            GroupName=spec.name,
            Description=spec.description,
            VpcId=vpc_id,
            TagSpecifications=[
                {"ResourceType": "security-group", "Tags": [{"Key": "Name", "Value": spec.name}]}
            ],
        )["GroupId"]
        ec2.authorize_security_group_ingress(GroupId=group_id, IpPermissions=_ip_permissions(spec))
        group = ec2.describe_security_groups(GroupIds=[group_id])["SecurityGroups"][0]
        group_ref = GroupRef(
            name=spec.name,
            group_id=group_id,
            vpc_id=vpc_id,
            ip_permissions=_asff_permissions(group.get("IpPermissions", [])),
            ip_permissions_egress=_asff_permissions(group.get("IpPermissionsEgress", [])),
        )
        return MemberResources(
            default_vpc_id=vpc_id,
            group=group_ref,
            instance=self.member_instance(ec2, group_id),
            bucket=self.member_bucket(),
        )

    def member_instance(self, ec2: Any, group_id: str) -> InstanceRef:
        images = ec2.describe_images(Filters=[{"Name": "name", "Values": [_LINUX_AMI_NAME]}])["Images"]
        if not images:
            raise RuntimeError(f"the simulator has no AMI named like {_LINUX_AMI_NAME!r}")
        image = sorted(images, key=lambda found: (found.get("CreationDate", ""), found["ImageId"]))[-1]
        tags = {
            "Name": catalog.MEMBER_INSTANCE_NAME,
            "Role": "builder",
            "Service": "sandbox",
            "Environment": "sandbox",
        }
        data = ec2.run_instances(
            ImageId=image["ImageId"],
            MinCount=1,
            MaxCount=1,
            InstanceType=catalog.MEMBER_INSTANCE_TYPE,
            Placement={"AvailabilityZone": self.zone(catalog.MEMBER_INSTANCE_ZONE)},
            SecurityGroupIds=[group_id],
            MetadataOptions={"HttpTokens": "optional", "HttpEndpoint": "enabled"},
            TagSpecifications=[
                {"ResourceType": "instance", "Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}
            ],
        )["Instances"][0]
        return InstanceRef(
            name=catalog.MEMBER_INSTANCE_NAME,
            instance_id=data["InstanceId"],
            instance_type=catalog.MEMBER_INSTANCE_TYPE,
            image_id=data["ImageId"],
            private_ip=data.get("PrivateIpAddress", ""),
            public_ip=data.get("PublicIpAddress"),
            vpc_id=data.get("VpcId", ""),
            subnet_id=data.get("SubnetId", ""),
            launched_at=_iso(data["LaunchTime"]),
            http_tokens="optional",
            profile_arn=None,
            tags=tags,
        )

    def member_bucket(self) -> BucketRef:
        s3 = self.member_client("s3")
        name = f"{catalog.MEMBER_BUCKET_PREFIX}-{MEMBER_ACCOUNT_ID}"
        if self.w.region == "us-east-1":
            s3.create_bucket(Bucket=name)
        else:
            s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": self.w.region})
        s3.put_public_access_block(
            Bucket=name,
            PublicAccessBlockConfiguration={
                "BlockPublicAcls": True,
                "IgnorePublicAcls": True,
                "BlockPublicPolicy": True,
                "RestrictPublicBuckets": True,
            },
        )
        return BucketRef(name=name, public_read_acl=False, public_access_block=True)

    # ---- Security Hub ----------------------------------------------------------------------

    def import_findings(self, findings: list[dict[str, Any]]) -> set[str]:
        """Enable the hub and import in batches of 100; return the ids Security Hub refused."""
        hub = self.client("securityhub")
        hub.enable_security_hub(EnableDefaultStandards=True)
        return import_findings(hub, findings)

    def import_extra_findings(self) -> tuple[int, int]:
        """Import ``Workload.extra_findings`` synthetic findings; return (imported, refused)."""
        return import_synthetic_findings(
            self.client("securityhub"),
            self.w.extra_findings,
            seed=self.w.seed,
            now=self.now,
            region=self.w.region,
        )

    # ---- SSM managed nodes -----------------------------------------------------------------

    def managed_nodes(self) -> tuple[tuple[str, ...], dict[str, str]]:
        account, region = self.w.account_id, self.w.region
        registered: list[str] = []
        for spec in self.w.instances:
            if not (spec.running and spec.ssm_managed):
                continue
            data = self.instances[spec.name]
            ip: str | None = data.get("PrivateIpAddress") or None
            computer: str | None
            if spec.windows:
                platform_type, (platform_name, platform_version) = "Windows", _WINDOWS_PLATFORM
                computer = f"EC2AMAZ-{self.rng.getrandbits(28):07X}"
            else:
                platform_type, platform_name, platform_version = "Linux", "Amazon Linux", "2023"
                computer = f"ip-{ip.replace('.', '-')}.ec2.internal" if ip else None
            node = ManagedNode(
                data["InstanceId"],
                ping_status="Online",
                agent_version=spec.agent_version,
                is_latest_version=spec.agent_version == "3.3.1142.0",
                platform_type=platform_type,
                platform_name=platform_name,
                platform_version=platform_version,
                resource_type="EC2Instance",
                iam_role=catalog.INSTANCE_ROLE,
                ip_address=ip,
                computer_name=computer,
            )
            register_node(account, region, node)
            registered.append(node.instance_id)
        hybrid: dict[str, str] = {}
        for spec_node in self.w.hybrid_nodes:
            node_id = f"mi-{self.rng.getrandbits(68):017x}"
            activation = str(uuid.UUID(int=self.rng.getrandbits(128), version=4))
            registered_at = self.now - timedelta(days=30 + self.rng.randint(0, 300))
            last_ping = None if spec_node.online else self.now - timedelta(minutes=spec_node.silent_minutes)
            node = ManagedNode(
                node_id,
                ping_status="Online" if spec_node.online else "ConnectionLost",
                last_ping=last_ping,
                agent_version=spec_node.agent_version,
                is_latest_version=spec_node.agent_version == "3.3.1142.0",
                platform_type="Linux",
                platform_name=spec_node.platform_name,
                platform_version=spec_node.platform_version,
                resource_type="ManagedInstance",
                iam_role=catalog.HYBRID_ROLE,
                name=spec_node.name,
                ip_address=spec_node.ip_address,
                computer_name=spec_node.computer_name,
                activation_id=activation,
                registration_date=registered_at,
            )
            register_node(account, region, node)
            registered.append(node_id)
            hybrid[spec_node.name] = node_id
        return tuple(registered), hybrid
