"""Per-minute CloudWatch values for the seeded fleet, computed from the catalog's load table.

Everything here is pure: a value depends only on (seed, series, minute) and on the multipliers
and load factors passed in, never on when or how often it is computed. Minutes are whole minutes
since the Unix epoch (UTC); a datapoint is stamped with the start of its minute.

The model follows AWS's limits, so the numbers agree with each other:

* a volume delivers at most its type's ceiling (``catalog.volume_limits``) and an instance's
  volumes together at most the instance's EBS maximum; demand above either is clamped, raises
  latency, and sets VolumeIOPSExceededCheck / VolumeThroughputExceededCheck when the volume is
  the one that binds;
* AWS/EC2 EBS* metrics are the sums of the instance's volumes, published by Nitro types only
  (``TypeFacts.nitro``), like EBSIOBalance%/EBSByteBalance%, the volume checks
  (VolumeIOPSExceededCheck, VolumeThroughputExceededCheck) and the ENA ethtool counters;
* AWS/EBS is published only while a volume is active: a minute without reads has no
  VolumeReadOps/VolumeReadBytes/VolumeTotalReadTime point (likewise for writes), and a minute with
  neither has no AWS/EBS point at all;
* an instance with basic monitoring (``InstanceSpec.detailed_monitoring`` false) publishes AWS/EC2
  once every 5 minutes: the point stamped at a 5-minute boundary covers those 5 minutes (a Sum,
  or an Average for percentages and the CPU credit balance) and is emitted with the block's last
  minute; its ``SeriesKey.period`` is 300 (60 for every other series);
* a Kinesis stream accepts min(1000 records/s, 1 MiB/s) per shard, and the busiest second of a
  minute carries more than the minute's mean (between 1.04 and 1.24 times it for ``burst`` 1.1,
  mostly near the low end), so a stream near its limit throttles a few records now and then and
  a stream above it throttles the excess;
* network allowance counters (CWAgent ethtool_*) count packets shaped in the minute, from traffic
  above the instance's baseline bandwidth, its PPS allowance, the link-local 1024 packets/s and
  its connection-tracking allowance.

Balances (BurstBalance, EBSByteBalance%, EBSIOBalance%, CPUCreditBalance) are functions of the
daily curve, draining towards the afternoon peak when demand exceeds the baseline.

The one exception to purity is a GetRecords reader with a per-shard processing limit
(``ConsumerSpec.per_shard_rps``): its backlog is computed minute by minute from an anchor and
memoised, and the shard count of each minute comes from the shard counts the generator was told
about (``LiveState.stream_shards``, recorded from the first minute each count was seen; before
that, the catalog's). Such a reader processes at most ``per_shard_rps`` records/s per open
shard, so it falls behind while demand exceeds that and catches up once the stream has enough
shards; its iterator age is the backlog divided by the arrival rate (the backlog holds that
many seconds of writes, so more shards shorten the age only as fast as they drain it; records
older than the retention period expire). The backlog is ``B0`` (about six hours of reading, from
the seed) at an
anchor ``behind_hours`` (within half an hour either side, from the seed) before the fleet's
``story_minute``; minutes earlier than that anchor, or every minute when ``story_minute`` is
None, follow daily anchors placed the same time before 03:00 UTC. Values therefore depend on
(seed, story minute, shard history, minute) and on the load factors of the minutes as first
computed.

Two hooks let faults bend the story: ``load_factors`` (resource id -> factor) scales demand
before limits apply (instance id: CPU, network and its volumes' I/O; volume id: that volume's
I/O; stream name: producer demand; consumer or Lambda function name: its lag, while a
rate-limited reader's processing rate is divided by it), and
``multipliers`` ((namespace, metric, resource id) -> factor, metric ``"*"`` for all of a
resource's metrics in a namespace) scales the emitted value (percentages stay at most 100).

Both hooks apply to every minute computed. ``effects`` (minute -> ``Effects``) gives them per
minute instead, with a few more: an instance's network traffic alone, an instance whose EBS IOPS
burst is spent (held to its baseline IOPS, EBSIOBalance% at 0), a Lambda function's share of
failing invocations, and emitted values pulled toward a goal (``Effects.blends``). A rate-limited
reader's backlog takes each minute's load factors from ``effects`` at that minute, so the same
effects give the same values however a window is split; when the effects of minutes already
computed change, ``forget`` drops the memoised backlogs from the first minute that changed.
"""

from __future__ import annotations

import functools
import hashlib
import math
import threading
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from tui.sim.catalog import (
    LAMBDA_BATCH_SIZE,
    LINKLOCAL_PPS_ALLOWANCE,
    PEAK_HOUR_UTC,
    SHARD_WRITE_BYTES,
    SHARD_WRITE_RECORDS,
    ConsumerSpec,
    InstanceSpec,
    Load,
    StreamSpec,
    TypeFacts,
    VolumeSpec,
)

Dimensions = tuple[tuple[str, str], ...]
Multipliers = Mapping[tuple[str, str, str], float]
LoadFactors = Mapping[str, float]
Blends = Mapping[tuple[str, str, str], tuple[float, float]]

_MASK64 = (1 << 64) - 1
_TWO_64 = float(1 << 64)
_WANDER_MINUTES = 15
_MIB = 1024.0 * 1024.0
_KIB = 1024.0
_DAY_MINUTES = 1440
# Without a story minute, the readers' backlog story is told every day as of this hour (UTC).
_DAILY_STORY_HOUR_UTC = 3


@dataclass(frozen=True)
class SeriesKey:
    """One CloudWatch series, and the resource id multipliers are keyed by."""

    namespace: str
    metric: str
    dimensions: Dimensions
    unit: str
    resource: str
    period: int = 60
    """Seconds a point covers; a point is emitted with the last minute it covers and stamped with
    the first."""

    @property
    def dimension_map(self) -> dict[str, str]:
        return dict(self.dimensions)


@dataclass(frozen=True)
class VolumeModel:
    volume_id: str
    spec: VolumeSpec


@dataclass(frozen=True)
class InstanceModel:
    instance_id: str
    spec: InstanceSpec
    volumes: tuple[VolumeModel, ...]


@dataclass(frozen=True)
class FleetModel:
    """The seeded resources with their real ids, and the seed their noise derives from."""

    seed: int
    instances: tuple[InstanceModel, ...]
    streams: tuple[StreamSpec, ...]
    story_minute: int | None = None
    """The minute the fleet was seeded at: lagging readers' backlogs are anchored before it."""


@dataclass(frozen=True)
class LiveState:
    """What the fleet looks like now, where it may differ from the catalog (an instance stopped,
    a volume detached): only running instances and attached volumes emit metrics."""

    running_instances: frozenset[str]
    attached_volumes: frozenset[str]
    standard_vcpus: float
    stream_shards: Mapping[str, int] = field(default_factory=dict)
    """Open shards per stream name, where known; a stream not named keeps its recorded count."""


@dataclass(frozen=True)
class Effects:
    """What faults do to one minute.

    ``load_factors`` and ``multipliers`` work as the generator's hooks of the same names;
    ``network`` scales an instance's network traffic only (instance id -> factor);
    ``ebs_io_spent`` names instances whose EBS IOPS burst is spent: their volumes together get at
    most the type's baseline IOPS and EBSIOBalance% reads 0; ``function_errors`` is the share of a
    Lambda function's invocations that fail (function name -> share); ``blends`` pull an emitted
    value toward a goal ((namespace, metric, resource id) -> (goal, weight in [0, 1]), applied
    after the multipliers).
    """

    load_factors: LoadFactors = field(default_factory=dict)
    multipliers: Multipliers = field(default_factory=dict)
    network: Mapping[str, float] = field(default_factory=dict)
    ebs_io_spent: frozenset[str] = frozenset()
    function_errors: Mapping[str, float] = field(default_factory=dict)
    blends: Blends = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return not (
            self.load_factors
            or self.multipliers
            or self.network
            or self.ebs_io_spent
            or self.function_errors
            or self.blends
        )


NO_EFFECTS = Effects()
EffectsAt = Callable[[int], Effects]


def _product(a: Mapping[Any, float], b: Mapping[Any, float]) -> dict[Any, float]:
    merged = dict(a)
    for key, value in b.items():
        merged[key] = merged.get(key, 1.0) * value
    return merged


def _effects_at(
    multipliers: Multipliers | None, load_factors: LoadFactors | None, effects: EffectsAt | None
) -> EffectsAt:
    """Per-minute effects: those of ``effects`` with the fixed hooks multiplied in."""
    fixed_m = dict(multipliers or {})
    fixed_f = dict(load_factors or {})
    if effects is None:
        fixed = Effects(load_factors=fixed_f, multipliers=fixed_m) if fixed_m or fixed_f else NO_EFFECTS
        return lambda _minute: fixed
    if not fixed_m and not fixed_f:
        return effects

    def at(minute: int) -> Effects:
        given = effects(minute)
        return Effects(
            load_factors=_product(fixed_f, given.load_factors),
            multipliers=_product(fixed_m, given.multipliers),
            network=given.network,
            ebs_io_spent=given.ebs_io_spent,
            function_errors=given.function_errors,
            blends=given.blends,
        )

    return at


# --------------------------------------------------------------------------------------------
# Curves and noise
# --------------------------------------------------------------------------------------------


def minute_of(moment: datetime) -> int:
    """The whole minute since the epoch that contains ``moment`` (tz-aware)."""
    if moment.tzinfo is None:
        raise ValueError(f"need a tz-aware datetime, got {moment!r}")
    return math.floor(moment.timestamp() / 60.0)


def minute_start(minute: int) -> datetime:
    return datetime.fromtimestamp(minute * 60, UTC)


def daily(minute: int) -> float:
    """The daily curve in [0, 1]: 1 at the afternoon peak (15:00 UTC), 0 twelve hours later."""
    hour = (minute % 1440) / 60.0
    return 0.5 + 0.5 * math.cos(2.0 * math.pi * (hour - PEAK_HOUR_UTC) / 24.0)


@functools.lru_cache(maxsize=1 << 17)
def _salt(seed: int, key: str) -> int:
    # About 24 keys an instance (a series' and its slow wander's): a fleet of 2,000 instances
    # holds some 50,000, and a cache smaller than that hashed each one again every minute
    # written (70 minutes of 2,000 instances' history took 40 s rather than 31 s).
    digest = hashlib.blake2b(f"{seed}\x00{key}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")


def _mix(value: int) -> int:
    """splitmix64's finaliser: a bijection on 64-bit integers with full avalanche."""
    value = (value + 0x9E3779B97F4A7C15) & _MASK64
    value = ((value ^ (value >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    value = ((value ^ (value >> 27)) * 0x94D049BB133111EB) & _MASK64
    return value ^ (value >> 31)


def unit_noise(seed: int, key: str, minute: int) -> float:
    """A uniform number in [0, 1) that depends only on (seed, key, minute)."""
    return _mix(_salt(seed, key) ^ (minute & _MASK64)) / _TWO_64


def jitter(seed: int, key: str, minute: int, amount: float) -> float:
    """A factor within 1 +- amount: minute-to-minute noise over a slow wander (15-minute knots)."""
    if amount <= 0.0:
        return 1.0
    fast = 2.0 * unit_noise(seed, key, minute) - 1.0
    knot, offset = divmod(minute, _WANDER_MINUTES)
    slow_key = key + "~"
    a = unit_noise(seed, slow_key, knot)
    b = unit_noise(seed, slow_key, knot + 1)
    t = offset / _WANDER_MINUTES
    t = t * t * (3.0 - 2.0 * t)
    slow = 2.0 * (a + (b - a) * t) - 1.0
    return 1.0 + amount * (0.45 * fast + 0.55 * slow)


def level(load: Load, seed: int, key: str, minute: int, factor: float = 1.0) -> float:
    """The value of a load curve at a minute (never negative)."""
    base = load.night + (load.peak - load.night) * daily(minute)
    return max(0.0, base * jitter(seed, key, minute, load.jitter) * factor)


def _clamp(value: float, low: float, high: float) -> float:
    return low if value < low else high if value > high else value


# --------------------------------------------------------------------------------------------
# The generator
# --------------------------------------------------------------------------------------------

_SKIP_CHECK = frozenset({"standard"})
# Basic monitoring: one AWS/EC2 point per 5 minutes; these metrics average over it, the rest sum.
_BASIC_PERIOD = 300
_AVERAGED_EC2 = frozenset({"CPUCreditBalance"})


@dataclass(frozen=True)
class _Writes:
    """A stream's producer traffic in one minute, after the shards' write limit."""

    batch_total: int
    batch_ok: int
    batch_throttled: int
    batch_failed: int
    single_total: int
    single_ok: int
    single_throttled: int

    @property
    def incoming(self) -> int:
        return self.batch_ok + self.single_ok


@dataclass(frozen=True)
class ReaderMinute:
    """A rate-limited reader's minute: records processed, backlog left, and what bounded it."""

    processed: float
    backlog: float
    capacity: float
    shards: int
    rate: float
    """The reader's nominal processing rate (records/s) over all its shards."""
    arrival: float = 0.0
    """Records/s written to the stream this minute."""

    @property
    def age_seconds(self) -> float:
        """The age of the oldest unread record: the backlog holds that many seconds of arrivals, so a
        faster reader shortens the age only as fast as it drains the backlog."""
        if self.backlog <= 0.0:
            return 0.0
        per_second = self.arrival if self.arrival > 0.0 else self.rate
        return self.backlog / per_second if per_second > 0.0 else 0.0


class MetricGenerator:
    """Computes every series of a fleet for a minute.

    All it holds over time is the Kinesis shard history it was told about and the memoised
    backlogs of rate-limited readers; both are guarded by a lock, so threads may share it.
    """

    def __init__(self, fleet: FleetModel) -> None:
        self.fleet = fleet
        self._keys: dict[tuple[str, str, Dimensions, str], SeriesKey] = {}
        self._lock = threading.RLock()
        self._history: dict[str, list[tuple[int, int]]] = {}
        self._observed_through: int | None = None
        self._backlogs: dict[tuple[str, str, int], list[ReaderMinute]] = {}
        self._catalog_state = LiveState(
            running_instances=frozenset(i.instance_id for i in fleet.instances if i.spec.running),
            attached_volumes=frozenset(
                v.volume_id for i in fleet.instances if i.spec.running for v in i.volumes
            ),
            standard_vcpus=float(sum(i.spec.facts.vcpus for i in fleet.instances if i.spec.running)),
        )

    @property
    def catalog_state(self) -> LiveState:
        """The fleet as seeded: instances running per the catalog, their volumes attached."""
        return self._catalog_state

    # ---- shard history ----------------------------------------------------------------------

    def observe_shards(self, minute: int, counts: Mapping[str, int]) -> None:
        """Record the open shard counts seen while writing ``minute``.

        A count that differs from the one in effect is recorded from ``minute``, or from the
        minute after the latest minute observed so far when ``minute`` is earlier (a window in
        the past keeps the counts it had), and memoised backlogs from then on are recomputed.
        """
        with self._lock:
            start = minute if self._observed_through is None else max(minute, self._observed_through + 1)
            for stream in self.fleet.streams:
                count = counts.get(stream.name)
                if count is None or count < 1 or count == self.shards_at(stream.name, start):
                    continue
                self._history.setdefault(stream.name, []).append((start, int(count)))
                self._forget(stream.name, start)
            if self._observed_through is None or minute > self._observed_through:
                self._observed_through = minute

    def shard_history(self) -> dict[str, tuple[tuple[int, int], ...]]:
        """Per stream name, (first minute, open shards) for every count recorded, oldest first."""
        with self._lock:
            return {name: tuple(entries) for name, entries in self._history.items()}

    def shards_at(self, stream_name: str, minute: int) -> int:
        """The open shards of a stream during ``minute``: the latest count recorded by then, else
        the catalog's."""
        with self._lock:
            count: int | None = None
            for start, recorded in self._history.get(stream_name, ()):
                if start > minute:
                    break
                count = recorded
            if count is not None:
                return count
        spec = next((s for s in self.fleet.streams if s.name == stream_name), None)
        if spec is None:
            raise KeyError(f"no stream named {stream_name!r} in the fleet")
        return spec.shards

    def _forget(self, stream_name: str, start: int) -> None:
        for (name, _, anchor), steps in self._backlogs.items():
            if name == stream_name and len(steps) > start - anchor:
                del steps[max(0, start - anchor) :]

    def _key(
        self, namespace: str, metric: str, dims: Dimensions, unit: str, resource: str, period: int = 60
    ) -> SeriesKey:
        lookup = (namespace, metric, dims, unit)
        key = self._keys.get(lookup)
        if key is None:
            key = SeriesKey(namespace, metric, dims, unit, resource, period)
            self._keys[lookup] = key
        return key

    def forget(self, stream_name: str, start: int) -> None:
        """Drop the memoised backlogs of a stream's readers from minute ``start`` on (the effects
        of those minutes changed); they are recomputed when next asked for."""
        with self._lock:
            self._forget(stream_name, start)

    def sample(
        self,
        minute: int,
        *,
        multipliers: Multipliers | None = None,
        load_factors: LoadFactors | None = None,
        state: LiveState | None = None,
        effects: EffectsAt | None = None,
    ) -> list[tuple[SeriesKey, float]]:
        """Every series' value for one minute."""
        return self._sample(minute, _effects_at(multipliers, load_factors, effects), state)

    def _sample(self, minute: int, at: EffectsAt, state: LiveState | None) -> list[tuple[SeriesKey, float]]:
        out: list[tuple[SeriesKey, float]] = []
        effect = at(minute)
        live = state or self._catalog_state
        if live.stream_shards:
            self.observe_shards(minute, live.stream_shards)
        finished: list[tuple[SeriesKey, float]] = []
        for instance in self.fleet.instances:
            if instance.instance_id not in live.running_instances:
                continue
            if instance.spec.detailed_monitoring:
                self._instance(out, instance, minute, effect, live)
            else:
                self._basic_instance(out, finished, instance, minute, at, live)
        for stream in self.fleet.streams:
            self._stream(out, stream, minute, effect, at)
        self._usage(out, live)
        return _finish(out, effect) + finished

    def _basic_instance(
        self,
        out: list[tuple[SeriesKey, float]],
        finished: list[tuple[SeriesKey, float]],
        instance: InstanceModel,
        minute: int,
        at: EffectsAt,
        live: LiveState,
    ) -> None:
        """An instance with basic monitoring: its other namespaces into ``out`` as every minute;
        AWS/EC2, on the last minute of a 5-minute block, as one point per series covering the
        block, each minute scaled by its own effects, into ``finished``."""
        own: list[tuple[SeriesKey, float]] = []
        self._instance(own, instance, minute, at(minute), live, ec2_period=_BASIC_PERIOD)
        out.extend(item for item in own if item[0].namespace != "AWS/EC2")
        block = _BASIC_PERIOD // 60
        if (minute + 1) % block:
            return
        values: dict[SeriesKey, list[float]] = {}
        for covered in range(minute - block + 1, minute + 1):
            effect = at(covered)
            part: list[tuple[SeriesKey, float]] = []
            if covered == minute:
                part = own
            else:
                self._instance(part, instance, covered, effect, live, ec2_period=_BASIC_PERIOD)
            ec2 = [item for item in part if item[0].namespace == "AWS/EC2"]
            for key, value in _finish(ec2, effect):
                values.setdefault(key, []).append(value)
        for key, covered_values in values.items():
            total = sum(covered_values)
            averaged = key.unit == "Percent" or key.metric in _AVERAGED_EC2
            finished.append((key, total / len(covered_values) if averaged else total))

    def window(
        self,
        first_minute: int,
        last_minute: int,
        *,
        multipliers: Multipliers | None = None,
        load_factors: LoadFactors | None = None,
        state: LiveState | None = None,
        effects: EffectsAt | None = None,
    ) -> dict[SeriesKey, list[tuple[datetime, float]]]:
        """Every series' points for the minutes first..last inclusive, grouped by series."""
        series: dict[SeriesKey, list[tuple[datetime, float]]] = {}
        at = _effects_at(multipliers, load_factors, effects)
        for minute in range(first_minute, last_minute + 1):
            stamp = minute_start(minute)
            values = self._sample(minute, at, state)
            for key, value in values:
                at_stamp = stamp if key.period == 60 else minute_start(minute + 1 - key.period // 60)
                points = series.get(key)
                if points is None:
                    series[key] = [(at_stamp, value)]
                else:
                    points.append((at_stamp, value))
        return series

    # ---- EC2, EBS and the CloudWatch agent ------------------------------------------------

    def _instance(
        self,
        out: list[tuple[SeriesKey, float]],
        instance: InstanceModel,
        minute: int,
        effect: Effects,
        live: LiveState,
        ec2_period: int = 60,
    ) -> None:
        seed = self.fleet.seed
        spec = instance.spec
        facts = spec.facts
        iid = instance.instance_id
        name = spec.name
        factors = effect.load_factors
        f_inst = factors.get(iid, 1.0)
        f_net = f_inst * effect.network.get(iid, 1.0)
        io_spent = iid in effect.ebs_io_spent
        max_iops = facts.ebs_baseline_iops if io_spent else facts.ebs_max_iops
        dims: Dimensions = (("InstanceId", iid),)
        ec2 = "AWS/EC2"

        def emit(metric: str, value: float, unit: str) -> None:
            out.append((self._key(ec2, metric, dims, unit, iid, ec2_period), value))

        # CPU and, for burstable types, credits.
        cpu = min(100.0, level(spec.cpu_pct, seed, f"{name}:cpu", minute, f_inst))
        emit("CPUUtilization", cpu, "Percent")
        if facts.cpu_baseline_pct is not None and facts.max_credit_balance is not None:
            emit("CPUCreditUsage", facts.vcpus * cpu / 100.0, "Count")
            over = spec.cpu_pct.peak * f_inst / facts.cpu_baseline_pct - 1.0
            drain = _clamp(0.7 * over, 0.0, 0.97)
            wobble = 1.0 + 0.004 * (2.0 * unit_noise(seed, f"{name}:credits", minute) - 1.0)
            balance = facts.max_credit_balance * (1.0 - drain * daily(minute) ** 2) * wobble
            emit("CPUCreditBalance", _clamp(balance, 0.0, facts.max_credit_balance), "Count")

        # Network.
        in_bps = level(spec.net_in_mbps, seed, f"{name}:net-in", minute, f_net) * 1e6 / 8.0
        out_bps = level(spec.net_out_mbps, seed, f"{name}:net-out", minute, f_net) * 1e6 / 8.0
        in_packet, out_packet = spec.packet_bytes, spec.packet_bytes * 1.2
        emit("NetworkIn", in_bps * 60.0, "Bytes")
        emit("NetworkOut", out_bps * 60.0, "Bytes")
        emit("NetworkPacketsIn", round(in_bps * 60.0 / in_packet), "Count")
        emit("NetworkPacketsOut", round(out_bps * 60.0 / out_packet), "Count")

        # EBS: each volume's demand, clamped by the volume and then by the instance.
        attached = [v for v in instance.volumes if v.volume_id in live.attached_volumes]
        demands = []
        for volume in attached:
            vspec = volume.spec
            f_vol = f_inst * factors.get(volume.volume_id, 1.0)
            reads = level(vspec.read_iops, seed, f"{vspec.key}:r", minute, f_vol)
            writes = level(vspec.write_iops, seed, f"{vspec.key}:w", minute, f_vol)
            demands.append((volume, reads, writes, f_vol))
        volume_scales = []
        total_mbps = total_iops = 0.0
        for volume, reads, writes, _ in demands:
            limits = volume.spec.limits
            iops = reads + writes
            mibps = (reads * volume.spec.read_kib + writes * volume.spec.write_kib) / _KIB
            scale = 1.0
            if iops > limits.iops:
                scale = min(scale, limits.iops / iops)
            if mibps > limits.mibps:
                scale = min(scale, limits.mibps / mibps)
            volume_scales.append((scale, iops > limits.iops, mibps > limits.mibps))
            total_iops += iops * scale
            total_mbps += mibps * scale * _MIB / 1e6
        instance_scale = 1.0
        if total_iops > max_iops:
            instance_scale = max_iops / total_iops
        if total_mbps > facts.ebs_max_mbps:
            instance_scale = min(instance_scale, facts.ebs_max_mbps / total_mbps)

        sums = [0.0, 0.0, 0.0, 0.0]
        for (volume, reads, writes, f_vol), (scale, iops_over, mibps_over) in zip(
            demands, volume_scales, strict=True
        ):
            got = scale * instance_scale
            read_ops = reads * got * 60.0
            write_ops = writes * got * 60.0
            read_bytes = read_ops * volume.spec.read_kib * _KIB
            write_bytes = write_ops * volume.spec.write_kib * _KIB
            sums[0] += read_ops
            sums[1] += write_ops
            sums[2] += read_bytes
            sums[3] += write_bytes
            self._volume(
                out,
                volume,
                minute,
                read_ops,
                write_ops,
                read_bytes,
                write_bytes,
                got,
                iops_over,
                mibps_over,
                f_vol,
                facts.nitro,
            )
        if facts.nitro:
            self._instance_ebs(emit, sums, facts, minute, io_spent)
        if spec.windows:
            return
        self._agent(out, instance, minute, f_inst, in_bps, out_bps, in_packet, out_packet)

    @staticmethod
    def _instance_ebs(
        emit: Callable[[str, float, str], None],
        sums: list[float],
        facts: TypeFacts,
        minute: int,
        io_spent: bool,
    ) -> None:
        """A Nitro instance's AWS/EC2 EBS* metrics: its volumes' I/O together, and the balances."""
        emit("EBSReadOps", round(sums[0]), "Count")
        emit("EBSWriteOps", round(sums[1]), "Count")
        emit("EBSReadBytes", sums[2], "Bytes")
        emit("EBSWriteBytes", sums[3], "Bytes")
        delivered_mbps = (sums[2] + sums[3]) / 60.0 / 1e6
        delivered_iops = (sums[0] + sums[1]) / 60.0
        emit(
            "EBSByteBalance%",
            _balance(delivered_mbps, facts.ebs_baseline_mbps, facts.ebs_max_mbps, minute),
            "Percent",
        )
        io_balance = _balance(delivered_iops, facts.ebs_baseline_iops, facts.ebs_max_iops, minute)
        emit("EBSIOBalance%", 0.0 if io_spent else io_balance, "Percent")

    def _volume(
        self,
        out: list[tuple[SeriesKey, float]],
        volume: VolumeModel,
        minute: int,
        read_ops: float,
        write_ops: float,
        read_bytes: float,
        write_bytes: float,
        got: float,
        iops_over: bool,
        mibps_over: bool,
        f_vol: float,
        nitro: bool = True,
    ) -> None:
        seed = self.fleet.seed
        spec = volume.spec
        vid = volume.volume_id
        dims: Dimensions = (("VolumeId", vid),)
        limits = spec.limits

        def emit(metric: str, value: float, unit: str) -> None:
            out.append((self._key("AWS/EBS", metric, dims, unit, vid), value))

        iops = (read_ops + write_ops) / 60.0
        mibps = (read_bytes + write_bytes) / 60.0 / _MIB
        utilisation = max(
            iops / limits.iops if limits.iops else 0.0, mibps / limits.mibps if limits.mibps else 0.0
        )
        throttle = 1.0 / got if got > 0.0 else 1.0
        latency_ms = spec.latency_ms * (1.0 + 1.5 * min(utilisation, 1.0) ** 3) * throttle
        latency_ms *= jitter(seed, f"{spec.key}:lat", minute, 0.1)
        reading = round(read_ops) > 0
        writing = round(write_ops) > 0
        if not (reading or writing):
            return  # an idle minute: AWS/EBS sends nothing for it
        if reading:
            emit("VolumeReadOps", round(read_ops), "Count")
            emit("VolumeReadBytes", read_bytes, "Bytes")
            emit("VolumeTotalReadTime", read_ops * latency_ms / 1000.0, "Seconds")
        if writing:
            emit("VolumeWriteOps", round(write_ops), "Count")
            emit("VolumeWriteBytes", write_bytes, "Bytes")
            emit("VolumeTotalWriteTime", write_ops * latency_ms / 1000.0, "Seconds")
        queue = iops * latency_ms / 1000.0
        emit("VolumeIdleTime", 60.0 * (1.0 - min(queue, 1.0)), "Seconds")
        emit("VolumeQueueLength", queue, "Count")
        if spec.volume_type in ("gp2", "st1", "sc1"):
            drain = spec.burst_drain * daily(minute) ** 2 * f_vol
            wobble = 0.3 * (2.0 * unit_noise(seed, f"{spec.key}:burst", minute) - 1.0)
            balance = 100.0 if spec.burst_drain <= 0.0 else 100.0 - drain + wobble
            emit("BurstBalance", _clamp(balance, 0.0, 100.0), "Percent")
        if spec.volume_type in ("io1", "io2"):
            delivered = 99.4 + 0.6 * unit_noise(seed, f"{spec.key}:tp", minute)
            emit("VolumeThroughputPercentage", delivered if iops > 0.0 else 0.0, "Percent")
            units_read = max(1.0, math.ceil(spec.read_kib / 256.0))
            units_write = max(1.0, math.ceil(spec.write_kib / 256.0))
            emit(
                "VolumeConsumedReadWriteOps", round(read_ops * units_read + write_ops * units_write), "Count"
            )
        if nitro and spec.volume_type not in _SKIP_CHECK:
            emit("VolumeIOPSExceededCheck", 1.0 if iops_over else 0.0, "None")
            emit("VolumeThroughputExceededCheck", 1.0 if mibps_over else 0.0, "None")

    def _agent(
        self,
        out: list[tuple[SeriesKey, float]],
        instance: InstanceModel,
        minute: int,
        f_inst: float,
        in_bps: float,
        out_bps: float,
        in_packet: float,
        out_packet: float,
    ) -> None:
        seed = self.fleet.seed
        spec = instance.spec
        facts = spec.facts
        iid = instance.instance_id
        name = spec.name
        agent = "CWAgent"

        def emit(metric: str, dims: Dimensions, value: float, unit: str) -> None:
            out.append((self._key(agent, metric, dims, unit, iid), value))

        emit(
            "mem_used_percent",
            (("InstanceId", iid),),
            min(99.5, level(spec.mem_pct, seed, f"{name}:mem", minute)),
            "Percent",
        )
        disk = spec.disk_used_pct + 0.02 * (2.0 * unit_noise(seed, f"{name}:disk", minute) - 1.0)
        disk_dims: Dimensions = (
            ("InstanceId", iid),
            ("path", "/"),
            ("device", "nvme0n1p1"),
            ("fstype", "xfs"),
        )
        emit("disk_used_percent", disk_dims, disk, "Percent")
        if not facts.nitro:
            return  # no ENA driver: ethtool has no allowance counters to report

        eth: Dimensions = (("InstanceId", iid), ("driver", "ena"), ("interface", "eth0"))
        baseline_bps = facts.net_baseline_gbps * 1e9 / 8.0
        bw_in = max(0.0, in_bps - baseline_bps) / in_packet * 60.0 * 0.02
        bw_out = max(0.0, out_bps - baseline_bps) / out_packet * 60.0 * 0.02
        pps_over = 0.0
        if spec.pps_allowance is not None:
            pps = in_bps / in_packet + out_bps / out_packet
            pps_over = max(0.0, pps - spec.pps_allowance) * 60.0 * 0.05
        conntrack = 0.0
        if spec.connections is not None and spec.conntrack_allowance is not None:
            connections = level(spec.connections, seed, f"{name}:conns", minute, f_inst)
            conntrack = max(0.0, connections - spec.conntrack_allowance) * 0.5
        linklocal = 0.0
        if spec.linklocal_pps is not None:
            local = level(spec.linklocal_pps, seed, f"{name}:linklocal", minute, f_inst)
            linklocal = max(0.0, local - LINKLOCAL_PPS_ALLOWANCE) * 60.0
        emit("ethtool_bw_in_allowance_exceeded", eth, round(bw_in), "Count")
        emit("ethtool_bw_out_allowance_exceeded", eth, round(bw_out), "Count")
        emit("ethtool_pps_allowance_exceeded", eth, round(pps_over), "Count")
        emit("ethtool_conntrack_allowance_exceeded", eth, round(conntrack), "Count")
        emit("ethtool_linklocal_allowance_exceeded", eth, round(linklocal), "Count")

    # ---- Kinesis and Lambda ---------------------------------------------------------------

    def _writes(self, stream: StreamSpec, minute: int, factor: float, shards: int) -> _Writes:
        """Producer demand against ``shards`` shards' write limit: accepted, throttled, failed."""
        seed = self.fleet.seed
        name = stream.name
        demand = level(stream.records_per_s, seed, f"{name}:records", minute, factor)
        capacity = shards * min(SHARD_WRITE_RECORDS, SHARD_WRITE_BYTES / stream.record_bytes)
        spike = unit_noise(seed, f"{name}:spike", minute)
        burst = 1.0 + (stream.burst - 1.0) * (0.4 + 2.0 * spike**4)
        throttled_rps = max(demand - capacity, 0.25 * max(0.0, demand * burst - capacity))
        share = stream.put_records_share
        batch_total = round(demand * 60.0 * share)
        batch_throttled = min(batch_total, round(throttled_rps * 60.0 * share))
        failure_roll = unit_noise(seed, f"{name}:failed", minute)
        batch_failed = min(
            batch_total - batch_throttled, int(failure_roll * 100) - 96 if failure_roll > 0.97 else 0
        )
        single_total = round(demand * 60.0 * (1.0 - share))
        single_throttled = min(single_total, round(throttled_rps * 60.0 * (1.0 - share)))
        return _Writes(
            batch_total=batch_total,
            batch_ok=batch_total - batch_throttled - batch_failed,
            batch_throttled=batch_throttled,
            batch_failed=batch_failed,
            single_total=single_total,
            single_ok=single_total - single_throttled,
            single_throttled=single_throttled,
        )

    def story_anchor(self, stream: StreamSpec, consumer: ConsumerSpec, minute: int) -> int:
        """The minute from which ``minute``'s backlog of a rate-limited reader is computed."""
        seed = self.fleet.seed
        hours = consumer.behind_hours + unit_noise(seed, f"{stream.name}/{consumer.name}:story", 0) - 0.5
        lead = round(hours * 60.0)
        story = self.fleet.story_minute
        if story is not None and minute >= story - lead:
            return story - lead
        first_daily = _DAILY_STORY_HOUR_UTC * 60 - lead
        return first_daily + ((minute - first_daily) // _DAY_MINUTES) * _DAY_MINUTES

    def _initial_backlog(self, stream: StreamSpec, consumer: ConsumerSpec) -> float:
        rate = consumer.per_shard_rps or 0.0
        # Several hours of reading already owed at the anchor, so the story starts well behind.
        minutes = 340.0 + 20.0 * unit_noise(self.fleet.seed, f"{stream.name}/{consumer.name}:b0", 0)
        return rate * stream.shards * 60.0 * minutes

    def reader_minute(
        self,
        stream: StreamSpec,
        consumer: ConsumerSpec,
        minute: int,
        load_factors: LoadFactors | None = None,
        *,
        effects: EffectsAt | None = None,
    ) -> ReaderMinute:
        """A rate-limited reader's minute, computed in order from its anchor (and memoised); each
        step takes the load factors of its own minute."""
        if consumer.per_shard_rps is None:
            raise ValueError(f"{consumer.name} reads as fast as records arrive: it has no backlog")
        return self._reader_minute(stream, consumer, minute, _effects_at(None, load_factors, effects))

    def _reader_minute(
        self, stream: StreamSpec, consumer: ConsumerSpec, minute: int, effects_of: EffectsAt
    ) -> ReaderMinute:
        per_shard_rps = consumer.per_shard_rps or 0.0
        seed = self.fleet.seed
        pace_key = f"{stream.name}/{consumer.name}:pace"
        retention_s = stream.retention_hours * 3600.0
        with self._lock:
            anchor = self.story_anchor(stream, consumer, minute)
            steps = self._backlogs.setdefault((stream.name, consumer.name, anchor), [])
            while len(steps) <= minute - anchor:
                at = anchor + len(steps)
                factors = effects_of(at).load_factors
                stream_factor = factors.get(stream.name, 1.0)
                slowdown = factors.get(consumer.name, 1.0)
                before = steps[-1].backlog if steps else self._initial_backlog(stream, consumer)
                shards = self.shards_at(stream.name, at)
                incoming = float(self._writes(stream, at, stream_factor, shards).incoming)
                rate = shards * per_shard_rps / slowdown if slowdown > 0.0 else 0.0
                capacity = rate * 60.0 * jitter(seed, pace_key, at, 0.01)
                processed = min(before + incoming, capacity)
                # The age counts the backlog in seconds of the stream's usual arrivals (its daily curve
                # without the minute's jitter, at most what the shards accept), so a draining backlog
                # reads as a falling age.
                curve = stream.records_per_s
                arrival = (curve.night + (curve.peak - curve.night) * daily(at)) * stream_factor
                accepted = shards * min(SHARD_WRITE_RECORDS, SHARD_WRITE_BYTES / stream.record_bytes)
                arrival = min(arrival, accepted)
                # Records older than the retention expire unread.
                backlog = min(before + incoming - processed, (arrival or rate) * retention_s)
                steps.append(ReaderMinute(processed, backlog, capacity, shards, rate, arrival))
            return steps[minute - anchor]

    def _stream(
        self,
        out: list[tuple[SeriesKey, float]],
        stream: StreamSpec,
        minute: int,
        effect: Effects,
        at: EffectsAt,
    ) -> None:
        seed = self.fleet.seed
        name = stream.name
        dims: Dimensions = (("StreamName", name),)

        def emit(metric: str, value: float, unit: str) -> None:
            out.append((self._key("AWS/Kinesis", metric, dims, unit, name), value))

        factors = effect.load_factors
        shards = self.shards_at(name, minute)
        writes = self._writes(stream, minute, factors.get(name, 1.0), shards)
        incoming = writes.incoming
        size = stream.record_bytes
        emit("IncomingRecords", incoming, "Count")
        emit("IncomingBytes", incoming * size, "Bytes")
        emit("PutRecords.TotalRecords", writes.batch_total, "Count")
        emit("PutRecords.SuccessfulRecords", writes.batch_ok, "Count")
        emit("PutRecords.ThrottledRecords", writes.batch_throttled, "Count")
        emit("PutRecords.FailedRecords", writes.batch_failed, "Count")
        emit("PutRecords.Bytes", writes.batch_ok * size, "Bytes")
        emit("PutRecord.Success", writes.single_ok, "Count")
        emit("PutRecord.Bytes", writes.single_ok * size, "Bytes")
        emit("WriteProvisionedThroughputExceeded", writes.batch_throttled + writes.single_throttled, "Count")

        ages: list[float] = []
        read: dict[str, float] = {}
        for consumer in stream.consumers:
            base = level(
                consumer.lag_ms, seed, f"{name}/{consumer.name}:lag", minute, factors.get(consumer.name, 1.0)
            )
            reader: ReaderMinute | None = None
            if consumer.per_shard_rps is not None:
                reader = self._reader_minute(stream, consumer, minute, at)
                read[consumer.name] = reader.processed
                lag = float(round(reader.age_seconds * 1000.0 + base))
            else:
                read[consumer.name] = float(incoming)
                lag = float(round(base))
            if consumer.efo:
                consumer_dims: Dimensions = (("StreamName", name), ("ConsumerName", consumer.name))
                key = self._key(
                    "AWS/Kinesis",
                    "SubscribeToShardEvent.MillisBehindLatest",
                    consumer_dims,
                    "Milliseconds",
                    consumer.name,
                )
                out.append((key, lag))
            else:
                ages.append(lag)
            if consumer.lambda_function:
                failing = effect.function_errors.get(consumer.name, 0.0)
                self._function(out, stream, consumer, minute, lag, reader, failing)

        outgoing = sum(read.values())
        emit("OutgoingRecords", round(outgoing), "Count")
        emit("OutgoingBytes", round(outgoing) * size, "Bytes")
        pollers = stream.pollers
        if pollers:
            polled = round(sum(read[c.name] for c in pollers))
            emit("GetRecords.Records", polled, "Count")
            emit("GetRecords.Bytes", polled * size, "Bytes")
            emit("GetRecords.Success", len(pollers) * shards * 60, "Count")
            latency = level(Load(12.0, 28.0, 0.2), seed, f"{name}:get-latency", minute)
            emit("GetRecords.Latency", latency, "Milliseconds")
            emit("ReadProvisionedThroughputExceeded", 0, "Count")
        if ages:
            emit("GetRecords.IteratorAgeMilliseconds", max(ages), "Milliseconds")

    def _function(
        self,
        out: list[tuple[SeriesKey, float]],
        stream: StreamSpec,
        consumer: ConsumerSpec,
        minute: int,
        lag: float,
        reader: ReaderMinute | None,
        failing: float = 0.0,
    ) -> None:
        """AWS/Lambda metrics of a function reading the stream through an event source mapping;
        ``failing`` is the share of its invocations that fail besides the usual few."""
        fn = consumer.name
        dims: Dimensions = (("FunctionName", fn),)

        def emit(metric: str, value: float, unit: str) -> None:
            out.append((self._key("AWS/Lambda", metric, dims, unit, fn), value))

        emit("IteratorAge", lag, "Milliseconds")
        if reader is None or consumer.per_shard_rps is None:
            return
        seed = self.fleet.seed
        invocations = math.ceil(reader.processed / LAMBDA_BATCH_SIZE)
        emit("Invocations", invocations, "Count")
        roll = unit_noise(seed, f"{stream.name}/{fn}:errors", minute)
        errors = min(invocations, int((roll - 0.9) * 30.0) if roll > 0.9 else 0)
        if failing > 0.0:
            errors = max(errors, min(invocations, round(invocations * min(failing, 1.0))))
        emit("Errors", errors, "Count")
        if invocations:
            batch = reader.processed / invocations
            duration = 1000.0 * batch / consumer.per_shard_rps
            emit(
                "Duration",
                duration * jitter(seed, f"{stream.name}/{fn}:duration", minute, 0.08),
                "Milliseconds",
            )
        if reader.backlog > 0.0:
            concurrent = reader.shards
        elif reader.processed > 0.0 and reader.capacity > 0.0:
            concurrent = max(1, math.ceil(reader.shards * reader.processed / reader.capacity - 1e-9))
        else:
            concurrent = 0
        emit("ConcurrentExecutions", concurrent, "Count")

    # ---- Service Quotas usage -------------------------------------------------------------

    def _usage(self, out: list[tuple[SeriesKey, float]], live: LiveState) -> None:
        dims: Dimensions = (
            ("Service", "EC2"),
            ("Type", "Resource"),
            ("Resource", "vCPU"),
            ("Class", "Standard/OnDemand"),
        )
        out.append((self._key("AWS/Usage", "ResourceCount", dims, "None", "vCPU"), live.standard_vcpus))


def _balance(rate: float, baseline: float, maximum: float, minute: int) -> float:
    """A burst balance (percent) that drains towards the daily peak while ``rate`` exceeds the baseline."""
    if rate <= baseline or maximum <= baseline:
        return 100.0
    over = _clamp((rate / baseline - 1.0) / (maximum / baseline - 1.0), 0.0, 1.0)
    return _clamp(100.0 * (1.0 - over * daily(minute) ** 1.5), 0.0, 100.0)


def _finish(values: list[tuple[SeriesKey, float]], effect: Effects) -> list[tuple[SeriesKey, float]]:
    """Values with the effect's multipliers, then its blends, applied."""
    if effect.multipliers:
        multipliers = effect.multipliers
        values = [(key, _scaled(key, value, multipliers)) for key, value in values]
    if effect.blends:
        blends = effect.blends
        values = [(key, _blended(key, value, blends)) for key, value in values]
    return values


def _scaled(key: SeriesKey, value: float, multipliers: Multipliers) -> float:
    factor = multipliers.get((key.namespace, key.metric, key.resource), 1.0) * multipliers.get(
        (key.namespace, "*", key.resource), 1.0
    )
    if factor == 1.0:
        return value
    scaled = max(0.0, value * factor)
    return min(scaled, 100.0) if key.unit == "Percent" else scaled


def _blended(key: SeriesKey, value: float, blends: Blends) -> float:
    blend = blends.get((key.namespace, key.metric, key.resource))
    if blend is None:
        return value
    goal, weight = blend
    weight = _clamp(weight, 0.0, 1.0)
    moved = max(0.0, value + (goal - value) * weight)
    return min(moved, 100.0) if key.unit == "Percent" else moved


def running_state(
    fleet: FleetModel,
    running: Collection[str],
    attached: Collection[str],
    standard_vcpus: float,
    stream_shards: Mapping[str, int] | None = None,
) -> LiveState:
    """A LiveState restricted to the fleet's resources."""
    known_instances = {i.instance_id for i in fleet.instances}
    known_volumes = {v.volume_id for i in fleet.instances for v in i.volumes}
    known_streams = {s.name for s in fleet.streams}
    return LiveState(
        running_instances=frozenset(known_instances.intersection(running)),
        attached_volumes=frozenset(known_volumes.intersection(attached)),
        standard_vcpus=float(standard_vcpus),
        stream_shards={
            name: int(count) for name, count in (stream_shards or {}).items() if name in known_streams
        },
    )
