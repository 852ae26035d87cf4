"""The last hours of one instance, for the charts of its detail view: one GetMetricData call.

Rates are computed the way the Limits poller computes them (Sum / period), per timestamp.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from tui.aws.clients import ClientFactory
from tui.aws.limits import VOLUME_METRICS, VOLUME_PERIOD, InstanceView
from tui.aws.limits_math import mbps, mibps
from tui.aws.metrics import MetricQuery, Series, get_metric_data

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


def _combine(a: dict[float, float], b: dict[float, float], scale: float) -> Points:
    return tuple((ts, (a[ts] + b[ts]) * scale) for ts in sorted(a) if ts in b)


async def instance_history(
    factory: ClientFactory, view: InstanceView, *, now: datetime, hours: float = 3.0
) -> InstanceHistory:
    """Network and per-volume IOPS and throughput of ``view``'s instance over the last ``hours``."""
    iid = view.instance_id
    period = view.period_s
    dims = (("InstanceId", iid),)
    queries = [
        MetricQuery(f"{iid}|{metric}", "AWS/EC2", metric, dims, "Sum", period)
        for metric in ("NetworkIn", "NetworkOut")
    ]
    for vol in view.volumes:
        vdims = (("VolumeId", vol.volume_id),)
        queries += [
            MetricQuery(f"{vol.volume_id}|{metric}", "AWS/EBS", metric, vdims, "Sum", VOLUME_PERIOD)
            for metric in VOLUME_METRICS
            if metric != "VolumeIdleTime"
        ]
    batch = await get_metric_data(factory, view.region, queries, now - timedelta(hours=hours), now)
    series = batch.series
    net_in = tuple(
        (ts, mbps(v, period)) for ts, v in sorted(_ascending(series.get(f"{iid}|NetworkIn")).items())
    )
    net_out = tuple(
        (ts, mbps(v, period)) for ts, v in sorted(_ascending(series.get(f"{iid}|NetworkOut")).items())
    )
    volumes: dict[str, VolumeHistory] = {}
    for vol in view.volumes:
        vid = vol.volume_id
        reads = _ascending(series.get(f"{vid}|VolumeReadOps"))
        writes = _ascending(series.get(f"{vid}|VolumeWriteOps"))
        rbytes = _ascending(series.get(f"{vid}|VolumeReadBytes"))
        wbytes = _ascending(series.get(f"{vid}|VolumeWriteBytes"))
        volumes[vid] = VolumeHistory(
            vid,
            iops=_combine(reads, writes, 1.0 / VOLUME_PERIOD),
            mibps=tuple(
                (ts, mibps(rbytes[ts] + wbytes[ts], VOLUME_PERIOD)) for ts in sorted(rbytes) if ts in wbytes
            ),
        )
    return InstanceHistory(iid, hours, net_in, net_out, volumes, tuple(batch.messages))
