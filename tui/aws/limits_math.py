"""EC2 and EBS limits: what an instance type and a volume can deliver, which ceiling binds, and the
right-sizing hints that follow. Pure functions over plain values (AWS-FACTS part A).

Units: instance EBS throughput in MB/s (10^6 bytes, as DescribeInstanceTypes quotes it), volume
throughput in MiB/s (as EBS quotes it), network in Mbps (10^6 bits/s). ``None`` always means unknown,
never zero.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple, Protocol

MIB = 1024.0 * 1024.0
MB_PER_MIB = MIB / 1e6

# A burst balance at or below this (percent) is spent: the baseline is what the resource delivers.
BALANCE_EXHAUSTED_PCT = 0.5

# gp3 as the API accepts it today.
GP3_MAX_IOPS = 80000.0
GP3_MAX_MIBPS = 2000.0
GP3_INCLUDED_IOPS = 3000.0
GP3_INCLUDED_MIBPS = 125.0
ST1_MIN_GIB = 125
ST1_MAX_GIB = 16384
ST1_BASELINE_MIBPS_PER_TIB = 40.0
ST1_BURST_MIBPS_PER_TIB = 250.0
ST1_MAX_MIBPS = 500.0
IO2_MIBPS_PER_IOPS = 0.256
IO2_MAX_MIBPS = 4000.0

# Public us-east-1 list prices (USD per GiB-month, per provisioned IOPS-month, per provisioned
# MiB/s-month), used only to compare one volume type with another: never a bill.
PRICE_GP2_GIB = 0.10
PRICE_GP3_GIB = 0.08
PRICE_GP3_IOPS = 0.005  # above the included 3,000
PRICE_GP3_MIBPS = 0.04  # above the included 125 MiB/s
PRICE_IO_GIB = 0.125  # io1 and io2
PRICE_IO_IOPS = 0.065  # io1 and io2, first tier
PRICE_ST1_GIB = 0.045


@dataclass(frozen=True)
class Thresholds:
    """Fractions of the binding limit at which a gauge turns to warning and critical."""

    warn: float = 0.80
    critical: float = 0.95


def level(utilization: float | None, thresholds: Thresholds) -> str:
    """``ok``, ``warn``, ``critical`` or ``unknown``."""
    if utilization is None:
        return "unknown"
    if utilization >= thresholds.critical:
        return "critical"
    if utilization >= thresholds.warn:
        return "warn"
    return "ok"


# ---------------------------------------------------------------------------------------------
# Volumes
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class VolumeLimit:
    """A volume's IOPS and MiB/s: sustained baseline and, for types that burst, the burst ceiling."""

    baseline_iops: float | None
    burst_iops: float | None
    baseline_mibps: float | None
    burst_mibps: float | None

    def iops_now(self, balance_pct: float | None) -> float | None:
        return _now(self.baseline_iops, self.burst_iops, balance_pct)

    def mibps_now(self, balance_pct: float | None) -> float | None:
        return _now(self.baseline_mibps, self.burst_mibps, balance_pct)


def _now(baseline: float | None, burst: float | None, balance_pct: float | None) -> float | None:
    """The ceiling in force: the burst while credits remain (or nobody says they are gone)."""
    if burst is None:
        return baseline
    if balance_pct is not None and balance_pct <= BALANCE_EXHAUSTED_PCT:
        return baseline
    return burst


def _clamp(value: float, low: float, high: float) -> float:
    return max(low, min(high, value))


def io_throughput_mibps(volume_type: str, iops: float) -> float:
    """io1: 256 KiB per I/O up to 500 MiB/s at <= 32,000 IOPS, 16 KiB per I/O above (1,000 MiB/s at
    64,000). io2 (Block Express, every io2 since 2023): 0.256 MiB/s per provisioned IOPS up to
    4,000 MiB/s."""
    if volume_type == "io2":
        return min(IO2_MAX_MIBPS, iops * IO2_MIBPS_PER_IOPS)
    if iops <= 32000:
        return min(500.0, iops * 256.0 / 1024.0)
    return min(1000.0, iops * 16.0 / 1024.0)


def volume_limit(
    volume_type: str, size_gib: int | None, iops: int | None = None, throughput: int | None = None
) -> VolumeLimit | None:
    """The limits of one volume by type, or None for a type we do not know."""
    if volume_type == "gp2":
        if size_gib is None:
            return None
        base = _clamp(3.0 * size_gib, 100.0, 16000.0)
        burst = 3000.0 if base < 3000.0 else None
        if size_gib <= 170:
            return VolumeLimit(base, burst, 128.0, None)
        if size_gib < 334:
            return VolumeLimit(base, burst, 128.0, 250.0)
        return VolumeLimit(base, burst, 250.0, None)
    if volume_type == "gp3":
        return VolumeLimit(
            float(iops) if iops else GP3_INCLUDED_IOPS,
            None,
            float(throughput) if throughput else GP3_INCLUDED_MIBPS,
            None,
        )
    if volume_type in ("io1", "io2"):
        if not iops:
            return VolumeLimit(None, None, None, None)
        return VolumeLimit(float(iops), None, io_throughput_mibps(volume_type, float(iops)), None)
    if volume_type in ("st1", "sc1"):
        if size_gib is None:
            return None
        tib = size_gib / 1024.0
        if volume_type == "st1":
            return VolumeLimit(
                500.0,
                None,
                min(ST1_MAX_MIBPS, ST1_BASELINE_MIBPS_PER_TIB * tib),
                min(ST1_MAX_MIBPS, ST1_BURST_MIBPS_PER_TIB * tib),
            )
        return VolumeLimit(250.0, None, min(192.0, 12.0 * tib), min(250.0, 80.0 * tib))
    if volume_type == "standard":
        return VolumeLimit(100.0, 200.0, 40.0, 90.0)
    return None


# ---------------------------------------------------------------------------------------------
# Instance types
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class InstanceLimits:
    """What an instance type allows. Reasons say why a number is unknown."""

    ebs_baseline_mbs: float | None = None
    ebs_max_mbs: float | None = None
    ebs_baseline_iops: float | None = None
    ebs_max_iops: float | None = None
    net_baseline_mbps: float | None = None
    net_peak_mbps: float | None = None
    ebs_reason: str = ""
    net_reason: str = ""

    @property
    def ebs_bursts(self) -> bool:
        return _bursts(self.ebs_baseline_mbs, self.ebs_max_mbs) or _bursts(
            self.ebs_baseline_iops, self.ebs_max_iops
        )


def _bursts(baseline: float | None, maximum: float | None) -> bool:
    return baseline is not None and maximum is not None and maximum > baseline


_GIGABIT = re.compile(r"^\s*(up to\s+)?(\d+(?:\.\d+)?)\s*gigabit\s*$", re.IGNORECASE)


def network_from_performance(text: str) -> tuple[float | None, float | None] | None:
    """(baseline, peak) Mbps from the NetworkPerformance words; None for Low/Moderate/High and the like."""
    match = _GIGABIT.match(text or "")
    if not match:
        return None
    mbps = float(match.group(2)) * 1000.0
    return (None, mbps) if match.group(1) else (mbps, mbps)


def _number(value: Any) -> float | None:
    try:
        return None if value is None else float(value)
    except (TypeError, ValueError):
        return None


def instance_limits(info: dict[str, Any] | None) -> InstanceLimits:
    """Limits from one DescribeInstanceTypes entry (missing fields become unknown with a reason)."""
    if info is None:
        return InstanceLimits(
            ebs_reason="instance type not known to DescribeInstanceTypes",
            net_reason="instance type not known to DescribeInstanceTypes",
        )
    ebs: dict[str, Any] = (info.get("EbsInfo") or {}).get("EbsOptimizedInfo") or {}
    ebs_reason = "" if ebs else "no EbsOptimizedInfo for this type (not EBS-optimized)"
    network: dict[str, Any] = info.get("NetworkInfo") or {}
    cards = network.get("NetworkCards") or []
    baselines = [_number(c.get("BaselineBandwidthInGbps")) for c in cards]
    peaks = [_number(c.get("PeakBandwidthInGbps")) for c in cards]
    net_baseline: float | None = None
    net_peak: float | None = None
    net_reason = ""
    if cards and all(b is not None for b in baselines):
        net_baseline = sum(b for b in baselines if b is not None) * 1000.0
    if cards and all(p is not None for p in peaks):
        net_peak = sum(p for p in peaks if p is not None) * 1000.0
    if net_baseline is None or net_peak is None:
        words = str(network.get("NetworkPerformance") or "")
        parsed = network_from_performance(words)
        if parsed is not None:
            net_baseline = net_baseline if net_baseline is not None else parsed[0]
            net_peak = net_peak if net_peak is not None else parsed[1]
        if net_baseline is None:
            net_reason = (
                f'NetworkPerformance "{words}" gives no baseline bandwidth'
                if words
                else "no network bandwidth published for this type"
            )
    return InstanceLimits(
        ebs_baseline_mbs=_number(ebs.get("BaselineThroughputInMBps")),
        ebs_max_mbs=_number(ebs.get("MaximumThroughputInMBps")),
        ebs_baseline_iops=_number(ebs.get("BaselineIops")),
        ebs_max_iops=_number(ebs.get("MaximumIops")),
        net_baseline_mbps=net_baseline,
        net_peak_mbps=net_peak,
        ebs_reason=ebs_reason,
        net_reason=net_reason,
    )


def ceiling_now(baseline: float | None, maximum: float | None, balance_pct: float | None) -> float | None:
    """An instance's EBS ceiling in force: its maximum while burst balance remains, else its baseline."""
    if maximum is None:
        return baseline
    if baseline is not None and balance_pct is not None and balance_pct <= BALANCE_EXHAUSTED_PCT:
        return baseline
    return maximum


# ---------------------------------------------------------------------------------------------
# Which ceiling binds
# ---------------------------------------------------------------------------------------------


class Dimension:
    """One measured quantity (IOPS or throughput) against two ceilings in the same unit.

    ``own`` is the resource's own ceiling (the volume's; for an instance, its type's), ``other``
    the other one (the instance's; for an instance, its volumes' sum). Computed once: thousands
    are built a cycle."""

    __slots__ = ("capped_by_other", "ceiling", "other", "own", "usage", "utilization")

    def __init__(self, usage: float | None, own: float | None, other: float | None) -> None:
        self.usage = usage
        self.own = own
        self.other = other
        if own is None:
            self.ceiling = other
            self.capped_by_other: bool | None = None if other is None else True
        elif other is None:
            self.ceiling = own
            self.capped_by_other = False
        else:
            self.ceiling = other if other < own else own
            self.capped_by_other = other < own
        ceiling = self.ceiling
        self.utilization = None if usage is None or not ceiling else usage / ceiling

    def __repr__(self) -> str:
        return f"Dimension(usage={self.usage!r}, own={self.own!r}, other={self.other!r})"


class Binding(NamedTuple):
    """Which ceiling binds (a named tuple: thousands are made a cycle)."""

    utilization: float | None
    by_other: bool | None  # True: the other ceiling binds; False: the own one; None: unknown
    dimension: int | None  # index of the binding dimension


def binding(dimensions: tuple[Dimension, ...]) -> Binding:
    """The dimension closest to its ceiling, and whose ceiling that is.

    With no usage known, the answer still says which side caps (the first dimension where the other
    ceiling is lower), so a volume capped by its instance is labelled even before data arrives.
    """
    best: int | None = None
    for index, dim in enumerate(dimensions):
        util = dim.utilization
        if util is None:
            continue
        current = None if best is None else dimensions[best].utilization
        if current is None or util > current:
            best = index
    if best is not None:
        return Binding(dimensions[best].utilization, dimensions[best].capped_by_other, best)
    for index, dim in enumerate(dimensions):
        if dim.capped_by_other:
            return Binding(None, True, index)
    known = [d.capped_by_other for d in dimensions if d.capped_by_other is not None]
    return Binding(None, known[0] if known else None, None)


class SeriesPoints(Protocol):
    """A series' datapoints, newest first (``metrics.Series``)."""

    @property
    def timestamps(self) -> Sequence[float]: ...

    @property
    def values(self) -> Sequence[float]: ...


def with_siblings(
    series: Iterable[SeriesPoints | None], after: float = -math.inf
) -> dict[float, list[float]]:
    """Per timestamp newer than ``after`` where any of a resource's sibling series (read and write,
    ops and bytes; None for one not read) has a point, every series' value there: a missing one is
    zero, as AWS publishes nothing for a direction without I/O in that period. Timestamps where none
    has a point are absent (unknown). One pass over the points: thousands of resources a cycle."""
    out: dict[float, list[float]] = {}
    siblings = tuple(series)
    width = len(siblings)
    for index, found in enumerate(siblings):
        if found is None:
            continue
        for ts, value in zip(found.timestamps, found.values, strict=False):
            if ts <= after:
                break
            row = out.get(ts)
            if row is None:
                row = out[ts] = [0.0] * width
            row[index] = value
    return out


def mbps(bytes_sum: float, period_s: float) -> float:
    """Megabits per second from a byte count over a period."""
    return bytes_sum * 8.0 / period_s / 1e6


def mbs(bytes_sum: float, period_s: float) -> float:
    """Megabytes (10^6) per second."""
    return bytes_sum / period_s / 1e6


def mibps(bytes_sum: float, period_s: float) -> float:
    return bytes_sum / period_s / MIB


# ---------------------------------------------------------------------------------------------
# Right-sizing hints
# ---------------------------------------------------------------------------------------------

LOW_UTILIZATION = 0.10
IDLE_FRACTION = 0.95
ST1_MIN_IO_KIB = 128.0


@dataclass(frozen=True)
class VolumeUsage:
    """What a volume did over the watched window (peaks are the highest period's rates)."""

    volume_id: str
    volume_type: str
    size_gib: int | None
    peak_iops: float | None
    peak_mibps: float | None
    peak_utilization: float | None
    idle_fraction: float | None  # lowest VolumeIdleTime / period over the window
    window_minutes: float
    at_gp3_floor: bool = False  # a gp3 volume at the included 3,000 IOPS / 125 MiB/s cannot go lower
    provisioned_iops: float | None = None  # DescribeVolumes Iops (gp3, io1, io2 are billed for it)
    provisioned_mibps: float | None = None  # DescribeVolumes Throughput (gp3)
    mean_mibps: float | None = None  # the average over the window: what a baseline must sustain


@dataclass(frozen=True)
class Hint:
    resource_id: str
    kind: str  # "underused", "gp2-to-gp3", "io-to-gp3", "to-st1", "unattached", "idle"
    text: str


def _window(minutes: float) -> str:
    if minutes >= 120:
        return f"{minutes / 60:.0f} h"
    return f"{minutes:.0f} min"


def volume_hints(usage: VolumeUsage) -> list[Hint]:
    """Hints for one attached volume from its usage over the window."""
    hints: list[Hint] = []
    vid = usage.volume_id
    span = _window(usage.window_minutes)
    if usage.idle_fraction is not None and usage.idle_fraction >= IDLE_FRACTION:
        hints.append(
            Hint(
                vid,
                "idle",
                f"idle {usage.idle_fraction:.0%} of every period over {span}: still needed?",
            )
        )
    elif (
        usage.peak_utilization is not None
        and usage.peak_utilization < LOW_UTILIZATION
        and not (usage.volume_type == "gp3" and usage.at_gp3_floor)
    ):
        hints.append(
            Hint(
                vid,
                "underused",
                f"peak {usage.peak_utilization:.0%} of its limit over {span}: provision less",
            )
        )
    if usage.volume_type == "gp2":
        hints.append(
            Hint(vid, "gp2-to-gp3", "gp2 → gp3: 3,000 IOPS and 125 MiB/s included at a lower price per GiB")
        )
    if (
        usage.volume_type in ("io1", "io2")
        and usage.peak_iops is not None
        and usage.peak_mibps is not None
        and usage.peak_iops <= GP3_MAX_IOPS
        and usage.peak_mibps <= GP3_MAX_MIBPS
    ):
        iops = max(GP3_INCLUDED_IOPS, _round_up(usage.peak_iops * 1.2, 500))
        mib = max(GP3_INCLUDED_MIBPS, _round_up(usage.peak_mibps * 1.2, 25))
        hints.append(
            Hint(
                vid,
                "io-to-gp3",
                f"{usage.volume_type} → gp3: peak {usage.peak_iops:,.0f} IOPS / "
                f"{usage.peak_mibps:,.0f} MiB/s fits gp3 at {min(iops, GP3_MAX_IOPS):,.0f} IOPS / "
                f"{min(mib, GP3_MAX_MIBPS):,.0f} MiB/s",
            )
        )
    st1 = _st1_hint(usage)
    if st1 is not None:
        hints.append(st1)
    return hints


def monthly_cost(
    volume_type: str, size_gib: float, iops: float | None = None, mibps: float | None = None
) -> float | None:
    """A volume's monthly price at the us-east-1 list prices above; None for a type not priced here."""
    if volume_type == "gp2":
        return size_gib * PRICE_GP2_GIB
    if volume_type == "gp3":
        extra_iops = max(0.0, (iops or GP3_INCLUDED_IOPS) - GP3_INCLUDED_IOPS)
        extra_mibps = max(0.0, (mibps or GP3_INCLUDED_MIBPS) - GP3_INCLUDED_MIBPS)
        return size_gib * PRICE_GP3_GIB + extra_iops * PRICE_GP3_IOPS + extra_mibps * PRICE_GP3_MIBPS
    if volume_type in ("io1", "io2"):
        if iops is None:
            return None
        return size_gib * PRICE_IO_GIB + iops * PRICE_IO_IOPS
    if volume_type == "st1":
        return size_gib * PRICE_ST1_GIB
    return None


def st1_size_for(peak_mibps: float, mean_mibps: float | None = None) -> int | None:
    """The smallest st1 (GiB) that bursts to the peak and sustains the mean at its baseline; without
    a mean, one whose baseline sustains the peak. None when no st1 can (above 500 MiB/s)."""
    if peak_mibps > ST1_MAX_MIBPS:
        return None
    sustained = peak_mibps if mean_mibps is None else min(mean_mibps, peak_mibps)
    for_burst = peak_mibps / ST1_BURST_MIBPS_PER_TIB * 1024.0
    for_baseline = sustained / ST1_BASELINE_MIBPS_PER_TIB * 1024.0
    size = max(float(ST1_MIN_GIB), for_burst, for_baseline)
    # The largest st1 sustains 500 MiB/s at baseline: a sustained load below that fits in it.
    return min(ST1_MAX_GIB, int(-(-size // 1)))


def _st1_hint(usage: VolumeUsage) -> Hint | None:
    """Large sequential I/O on an SSD volume: st1 of the size that serves it, only when cheaper."""
    if (
        usage.volume_type not in ("gp2", "gp3", "io1", "io2")
        or not usage.peak_iops
        or usage.peak_mibps is None
        or usage.peak_mibps < 100.0
        or usage.peak_mibps * 1024.0 / usage.peak_iops < ST1_MIN_IO_KIB
        or usage.size_gib is None
    ):
        return None
    size = st1_size_for(usage.peak_mibps, usage.mean_mibps)
    now = monthly_cost(usage.volume_type, usage.size_gib, usage.provisioned_iops, usage.provisioned_mibps)
    if size is None or now is None:
        return None
    # st1 must also hold the data: never smaller than the volume it replaces.
    size = max(size, usage.size_gib)
    if size > ST1_MAX_GIB:
        return None
    then = monthly_cost("st1", size)
    if then is None or then >= now:
        return None
    io_kib = usage.peak_mibps * 1024.0 / usage.peak_iops
    return Hint(
        usage.volume_id,
        "to-st1",
        f"large sequential I/O ({io_kib:,.0f} KiB per op, peak {usage.peak_mibps:,.0f} MiB/s): "
        f"st1 of {size:,} GiB serves it for ${then:,.2f}/month instead of ${now:,.2f} "
        "(us-east-1 list prices)",
    )


def silent_volume_hint(volume_id: str, window_minutes: float) -> Hint:
    """An attached volume that published no AWS/EBS datapoint over the whole window did no I/O:
    AWS sends a volume's metrics only while it is active."""
    return Hint(
        volume_id,
        "idle",
        f"no I/O over {_window(window_minutes)} (AWS/EBS published nothing): still needed?",
    )


def _round_up(value: float, step: float) -> float:
    return float(-(-value // step) * step)


def instance_hint(instance_id: str, peak_utilization: float | None, window_minutes: float) -> Hint | None:
    """An instance whose network and EBS stay under 10% of its type's limits may fit a smaller type."""
    if peak_utilization is None or peak_utilization >= LOW_UTILIZATION:
        return None
    return Hint(
        instance_id,
        "underused",
        f"network and EBS peak {peak_utilization:.0%} of the type's limits over {_window(window_minutes)}: "
        "a smaller type may do",
    )


def unattached_hint(volume_id: str, volume_type: str, size_gib: int | None) -> Hint:
    size = f"{size_gib:,} GiB " if size_gib is not None else ""
    return Hint(volume_id, "unattached", f"unattached {size}{volume_type}: snapshot and delete, or attach")
