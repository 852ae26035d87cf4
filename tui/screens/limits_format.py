"""Words and numbers for the Limits pane: table cells, gauge details, filters. No widgets here."""

from __future__ import annotations

from collections.abc import Sequence

from tui.aws.limits import InstanceView, LimitsSnapshot, QuotaView, VolumeView, monitoring_words
from tui.aws.limits_math import Hint
from widgets.gauge import Fragment, gauge, percent, sparkline

UNKNOWN = "?"
NOT_PUBLISHED = "\u2013"  # an en dash: the metric is not published at all (no agent, no burst)


def num(value: float | None, digits: int = 0) -> str:
    """1,234 or 12.5; ``?`` when unknown."""
    if value is None:
        return UNKNOWN
    if digits == 0 or abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:,.{digits}f}"


def rate(value: float | None, unit: str) -> str:
    return f"{num(value, 1)} {unit}"


def bandwidth(mbps_value: float | None) -> str:
    """Mbps below 10 Gbps, Gbps above."""
    if mbps_value is None:
        return UNKNOWN
    if mbps_value >= 10000:
        return f"{mbps_value / 1000:,.1f} Gbps"
    return f"{mbps_value:,.0f} Mbps"


def ratio_marks(baseline: float | None, ceiling: float | None) -> tuple[float, ...]:
    """Where the baseline sits on a bar scaled to the ceiling, when the ceiling is above it."""
    if baseline is None or not ceiling or baseline >= ceiling:
        return ()
    return (baseline / ceiling,)


def net_gauge(view: InstanceView, width: int) -> list[Fragment]:
    return gauge(view.net_utilization, width, view.net_level)


def ebs_gauge(view: InstanceView, width: int) -> list[Fragment]:
    lim = view.limits
    return gauge(
        view.ebs_utilization,
        width,
        view.ebs_level,
        marks=ratio_marks(lim.ebs_baseline_mbs, view.ebs_ceiling_mbs),
    )


def volume_gauge(view: InstanceView, width: int) -> list[Fragment]:
    worst = view.worst_volume
    if worst is None:
        return gauge(None, width, "unknown")
    return gauge(worst.utilization, width, worst.level)


def binding_word(view: InstanceView) -> str:
    """What caps the busiest volume: its own limit or the instance's."""
    worst = view.worst_volume
    if worst is None or worst.capped_by is None:
        return ""
    return "by inst" if worst.capped_by == "instance" else "by vol"


def pct(value: float | None) -> str:
    return UNKNOWN if value is None else f"{value:.0f}%"


def agent_pct(value: float | None) -> str:
    """A CloudWatch agent percentage; an instance without the agent publishes none."""
    return NOT_PUBLISHED if value is None else f"{value:.0f}%"


def ena_word(view: InstanceView) -> str:
    """Packets shaped in the watched window, or nothing when the agent does not publish them."""
    if view.ena is None:
        return NOT_PUBLISHED
    total = sum(count for _, count in view.ena)
    if total <= 0:
        return "0"
    worst = max(view.ena, key=lambda item: item[1])
    return f"⚠{total:,.0f} {worst[0]}"


def trend(view: InstanceView, width: int) -> list[Fragment]:
    return sparkline(list(view.history), width, top=1.0)


def matches(view: InstanceView, needle: str) -> bool:
    """Case-insensitive: name, id, type, state, tag values, or ``key=value`` of a tag."""
    if not needle:
        return True
    needle = needle.lower().strip()
    fields = [view.name, view.instance_id, view.instance_type, view.state, view.region]
    fields += [v for _, v in view.tags]
    fields += [f"{k}={v}" for k, v in view.tags]
    return any(needle in f.lower() for f in fields)


SORTS: tuple[tuple[str, str], ...] = (
    ("utilization", "busiest first"),
    ("network", "network first"),
    ("ebs", "EBS first"),
    ("name", "by name"),
    ("type", "by type"),
)


def sort_views(views: Sequence[InstanceView], how: str) -> list[InstanceView]:
    def busy(value: float | None) -> float:
        return -(value if value is not None else -1.0)

    if how == "name":
        return sorted(views, key=lambda v: (v.name or "~", v.instance_id))
    if how == "type":
        return sorted(views, key=lambda v: (v.instance_type, v.name, v.instance_id))
    if how == "network":
        return sorted(views, key=lambda v: (busy(v.net_utilization), v.name))
    if how == "ebs":
        return sorted(views, key=lambda v: (busy(v.ebs_utilization), v.name))
    return sorted(views, key=lambda v: (busy(v.utilization), v.name))


def summary(snapshot: LimitsSnapshot, shown: int) -> str:
    running = sum(1 for i in snapshot.instances if i.state == "running")
    periods = snapshot.periods
    if not periods:
        period = "period unknown (nothing running)"
    elif len(periods) == 1:
        period = monitoring_words(next(iter(periods)))
    else:
        # "1-min data x3, 5-min data (basic monitoring) x1": which instances refresh slower, and why.
        period = ", ".join(f"{monitoring_words(p)} x{n}" for p, n in sorted(periods.items()))
        period = period.replace(" (detailed monitoring)", "")
    parts = [
        f"{shown}/{len(snapshot.instances)} instances",
        f"{running} running",
        period,
    ]
    if snapshot.window_minutes:
        parts.append(f"watched {snapshot.window_minutes:.0f} min")
    volumes = sum(len(i.volumes) for i in snapshot.instances)
    parts.append(f"{volumes} volumes attached, {len(snapshot.unattached)} unattached")
    return " · ".join(parts)


QUOTA_LINES = 3
"""Quota lines shown when several accounts and regions each have one: the fullest first."""


def quotas_shown(quotas: tuple[QuotaView, ...]) -> tuple[list[QuotaView], int]:
    """The quota lines to show (every one up to ``QUOTA_LINES``, else the fullest, unknown last)
    and how many more there are."""
    if len(quotas) <= QUOTA_LINES:
        return list(quotas), 0
    ranked = sorted(quotas, key=lambda q: 1.0 if q.utilization is None else -q.utilization)
    return ranked[:QUOTA_LINES], len(quotas) - QUOTA_LINES


def quota_line(quota: QuotaView, account: str = "") -> tuple[str, list[Fragment], str]:
    """(label, gauge fragments, detail) for the account strip; ``account`` names it when several
    accounts are watched."""
    label = f"std vCPU {account + ' ' if account else ''}{quota.region}"
    if quota.value is None:
        return label, gauge(None, 22, "unknown"), f"unavailable: {quota.problem or 'no quota value'}"
    detail = f"{num(quota.usage)} / {num(quota.value)} vCPU · {quota.code}"
    if quota.usage is None:
        detail += f" · usage unknown: {quota.problem}"
    return label, gauge(quota.utilization, 22, quota.level), detail


def hint_subject(hint: Hint, snapshot: LimitsSnapshot) -> str:
    """Name a hint's resource the way the table does: instance name, or volume and its instance."""
    return hint_subjects(snapshot).get(hint.resource_id, hint.resource_id)


def hint_subjects(snapshot: LimitsSnapshot) -> dict[str, str]:
    """Every resource's name as ``hint_subject`` gives it, by resource id (one pass over the fleet,
    for the pane's thousands of hints)."""
    names: dict[str, str] = {}
    for inst in snapshot.instances:
        owner = inst.name or inst.instance_id
        names.setdefault(inst.instance_id, owner)
        for vol in inst.volumes:
            names.setdefault(vol.volume_id, f"{owner} {vol.device or vol.volume_id}")
    for vol in snapshot.unattached:
        names.setdefault(vol.volume_id, vol.name or vol.volume_id)
    return names


def ebs_source_text(view: InstanceView) -> str:
    """Where the instance's EBS numbers come from (", EBS from AWS/EC2 EBS*"); nothing when unknown."""
    return f", EBS from {view.ebs_source}" if view.ebs_source else ""


def volume_limit_text(vol: VolumeView, kind: str) -> str:
    """ "9,960 / 12,000 IOPS (volume)" with the side that caps."""
    if kind == "iops":
        usage, ceiling, side, unit = vol.iops, vol.iops_ceiling, vol.iops_capped_by, "IOPS"
        own = vol.own_iops
    else:
        usage, ceiling, side, unit = vol.throughput_mibps, vol.mibps_ceiling, vol.mibps_capped_by, "MiB/s"
        own = vol.own_mibps
    digits = 0 if kind == "iops" else 1
    text = f"{num(usage, digits)} / {num(ceiling, digits)} {unit}"
    if side == "instance" and own is not None:
        text += f" (instance; volume allows {num(own, digits)})"
    elif side:
        text += f" ({side})"
    return text


def level_of(view: InstanceView) -> str:
    return view.level if view.level in ("warn", "critical") else ""


def percent_only(utilization: float | None, level: str) -> list[Fragment]:
    return percent(utilization, level)
