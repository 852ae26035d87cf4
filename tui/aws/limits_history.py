"""The last hours of one instance, for the charts of its detail view: one GetMetricData call.

Rates are computed the way the Limits poller computes them (Sum / period), per timestamp, and a
volume's missing read or write series is zero wherever its sibling has a point (AWS publishes nothing
for a direction without I/O). For the same reason a volume's minute with no point at all, after its
first in the window and up to the newest any of the instance's volumes published, was idle: zero,
as the Limits gauges read it. A running instance's network is published every period, idle or not:
a missing period there is a metric gap, which the charts leave open (``segments``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from tui.aws.clients import ClientFactory
from tui.aws.limits import FAST_VOLUME_METRICS, VOLUME_PERIOD, InstanceView
from tui.aws.limits_math import mbps, mibps, with_siblings
from tui.aws.metrics import MetricQuery, Series, get_metric_data
from tui.aws.scope import metrics_via, place_of

Points = tuple[tuple[float, float], ...]


@dataclass(frozen=True)
class VolumeHistory:
    volume_id: str
    iops: Points = ()
    mibps: Points = ()


@dataclass(frozen=True)
class InstanceHistory:
    instance_id: str
    hours: float
    net_in_mbps: Points = ()
    net_out_mbps: Points = ()
    volumes: dict[str, VolumeHistory] = field(default_factory=dict)
    messages: tuple[str, ...] = ()


def _ascending(series: Series | None) -> dict[float, float]:
    if series is None:
        return {}
    return dict(zip(reversed(series.timestamps), reversed(series.values), strict=False))


async def instance_history(
    factory: ClientFactory,
    view: InstanceView,
    *,
    now: datetime,
    hours: float = 3.0,
    linked: Mapping[str, frozenset[str]] | None = None,
) -> InstanceHistory:
    """Network and per-volume IOPS and throughput of ``view``'s instance over the last ``hours``,
    read where the Limits poller reads it: through the CloudWatch monitoring account its account
    links to (``linked``, the poller's), each query naming that account, else through the role or
    profile of its account (``factory.places``)."""
    iid = view.instance_id
    period = view.period_s
    place = place_of(factory.places, view.region, view.account_id)
    via = metrics_via(place, linked or {})
    account = place.account_id if via is not place else ""
    dims = (("InstanceId", iid),)
    queries = [
        MetricQuery(f"{iid}|{metric}", "AWS/EC2", metric, dims, "Sum", period, account)
        for metric in ("NetworkIn", "NetworkOut")
    ]
    for vol in view.volumes:
        vdims = (("VolumeId", vol.volume_id),)
        queries += [
            MetricQuery(f"{vol.volume_id}|{metric}", "AWS/EBS", metric, vdims, "Sum", VOLUME_PERIOD, account)
            for metric in FAST_VOLUME_METRICS
        ]
    batch = await get_metric_data(
        factory, via.region, queries, now - timedelta(hours=hours), now, role_arn=via.role_arn
    )
    series = batch.series
    net_in = tuple(
        (ts, mbps(v, period)) for ts, v in sorted(_ascending(series.get(f"{iid}|NetworkIn")).items())
    )
    net_out = tuple(
        (ts, mbps(v, period)) for ts, v in sorted(_ascending(series.get(f"{iid}|NetworkOut")).items())
    )
    volumes: dict[str, VolumeHistory] = {}
    read = {
        vol.volume_id: with_siblings(
            series.get(f"{vol.volume_id}|{metric}") for metric in FAST_VOLUME_METRICS
        )
        for vol in view.volumes
    }
    newest = max((max(sums) for sums in read.values() if sums), default=0.0)
    for vid, sums in read.items():
        if sums:  # its idle minutes since its first point: zero I/O
            step, first = float(VOLUME_PERIOD), min(sums)
            idle = (first + k * step for k in range(1, int((newest - first) // step) + 1))
            sums.update((ts, [0.0, 0.0, 0.0, 0.0]) for ts in idle if ts not in sums)
        stamps = sorted(sums)
        volumes[vid] = VolumeHistory(
            vid,
            iops=tuple((ts, (sums[ts][0] + sums[ts][1]) / VOLUME_PERIOD) for ts in stamps),
            mibps=tuple((ts, mibps(sums[ts][2] + sums[ts][3], VOLUME_PERIOD)) for ts in stamps),
        )
    return InstanceHistory(iid, hours, net_in, net_out, volumes, tuple(batch.messages))


def segments(points: Points, period: float) -> list[Points]:
    """``points`` (oldest first) cut where a period or more is missing, so that a chart draws a
    metric gap as one rather than a line across it."""
    out: list[Points] = []
    run: list[tuple[float, float]] = []
    for point in points:
        if run and point[0] - run[-1][0] > 1.5 * period:
            out.append(tuple(run))
            run = []
        run.append(point)
    if run:
        out.append(tuple(run))
    return out
