"""What ``warroom snapshot PANE --json`` prints: one small typed view per pane, all declared here.

A snapshot holds more than its pane's documented JSON (histories, per-call counts, the reasons
behind each figure), so each pane has a view: frozen dataclasses with the documented fields, in
their documented order, built from the snapshot by ``document`` and written by the one codec
(``tui.common.codec``) like everything else. Where a view differs from the snapshot it says so:
figures are rounded (``rounded``), a few fields are renamed (a stream's ``consumer_count`` is
``consumers``) or derived (a volume's limits, a finding's remediation playbook, the poll's
``errors`` with its failure last), and an unknown text becomes null. A snapshot type with no view
(the overview) is its own document. A field left UNSET is left out (a quota's ``problem`` when it
has none, the region and hint of the poll's own failure).

Every item of a pane's list (an instance, an unattached volume, a quota, a hint, a stream, a finding,
a managed node, a session, a template, an experiment, an alarm) says where it is: ``account_id`` (null
when the account could not be learnt) and ``region``. The pollers stamp what they read with the place
they read it in (``tui.aws.scope``); an alarm, a template or an experiment names its account in its
ARN, and a finding in its AwsAccountId. A hint is where the resource it is about is.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tui.aws.actions.playbooks import playbook_for
from tui.aws.alarms import AlarmsSnapshot
from tui.aws.alarms_model import Alarm, MetricSpec
from tui.aws.errors import AwsProblem
from tui.aws.findings import FindingsSnapshot
from tui.aws.findings_model import Finding
from tui.aws.fis import ExperimentView, FisSnapshot, TemplateView
from tui.aws.kinesis import UNKNOWN, KinesisSnapshot, StreamView
from tui.aws.limits import InstanceView, LimitsSnapshot, QuotaView, VolumeView
from tui.aws.outcome import ApiError
from tui.aws.sessions import ManagedTarget, SessionsSnapshot, SessionView
from tui.common.codec import UNSET, Unset


def rounded(value: float | None, digits: int = 2) -> float | None:
    """A figure for JSON: rounded, and still None when unknown."""
    return None if value is None else round(value, digits)


@dataclass(frozen=True)
class ErrorDoc:
    """One failed API of a poll (region and hint given), or the whole poll's failure (neither)."""

    api: str
    message: str
    region: str | Unset = UNSET
    hint: str | Unset = UNSET


def errors_of(errors: tuple[ApiError, ...], error: AwsProblem | None) -> tuple[ErrorDoc, ...]:
    """The ``errors`` list of a pane's document: each failed API, then the whole poll's failure."""
    out = [ErrorDoc(e.api, e.message, e.region, e.hint) for e in errors]
    if error is not None:
        out.append(ErrorDoc(error.operation or "poll", error.one_line()))
    return tuple(out)


def account_of(account_id: str) -> str | None:
    """An item's ``account_id``: its account, or null when the account is not known."""
    return account_id or None


def arn_account(arn: str) -> str | None:
    """The account an ARN names (``arn:aws:fis:us-east-1:123456789012:...``), or null."""
    parts = arn.split(":")
    return account_of(parts[4]) if len(parts) > 5 and parts[0] == "arn" else None


# -- limits ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class VolumeDoc:
    volume_id: str
    volume_type: str
    size_gib: int | None
    baseline_iops: float | None
    burst_iops: float | None
    baseline_mibps: float | None
    burst_mibps: float | None
    iops: float | None
    throughput_mibps: float | None
    burst_balance_pct: float | None
    utilization: float | None
    capped_by: str | None


@dataclass(frozen=True)
class NetworkDoc:
    baseline_mbps: float | None
    peak_mbps: float | None
    in_mbps: float | None
    out_mbps: float | None
    utilization: float | None


@dataclass(frozen=True)
class EbsDoc:
    baseline_mbs: float | None
    max_mbs: float | None
    baseline_iops: float | None
    max_iops: float | None
    throughput_mbs: float | None
    iops: float | None
    utilization: float | None
    binding: str | None


@dataclass(frozen=True)
class InstanceDoc:
    instance_id: str
    name: str
    instance_type: str
    state: str
    region: str
    period_s: int
    network: NetworkDoc
    ebs: EbsDoc
    memory_used_pct: float | None
    disk_used_pct: float | None
    ena_allowance_exceeded: dict[str, float] | None
    volumes: tuple[VolumeDoc, ...]
    notes: tuple[str, ...]
    account_id: str | None
    """The account (the credential's own too); null when it could not be learnt."""


@dataclass(frozen=True)
class QuotaDoc:
    code: str
    name: str
    value: float | None
    usage: float | None
    utilization: float | None
    region: str
    account_id: str | None
    problem: str | Unset = UNSET


@dataclass(frozen=True)
class UnattachedDoc:
    volume_id: str
    volume_type: str
    size_gib: int | None
    region: str
    account_id: str | None


@dataclass(frozen=True)
class HintDoc:
    resource_id: str
    kind: str
    text: str
    region: str | None
    """Where the instance or volume it is about is (null when the snapshot does not hold it)."""
    account_id: str | None


@dataclass(frozen=True)
class LimitsDoc:
    fetched_at: datetime
    period_s: int
    instances: tuple[InstanceDoc, ...]
    unattached_volumes: tuple[UnattachedDoc, ...]
    quotas: tuple[QuotaDoc, ...]
    hints: tuple[HintDoc, ...]
    errors: tuple[ErrorDoc, ...]


def volume(v: VolumeView) -> VolumeDoc:
    limit = v.limit
    return VolumeDoc(
        volume_id=v.volume_id,
        volume_type=v.volume_type,
        size_gib=v.size_gib,
        baseline_iops=None if limit is None else limit.baseline_iops,
        burst_iops=None if limit is None else limit.burst_iops,
        baseline_mibps=None if limit is None else limit.baseline_mibps,
        burst_mibps=None if limit is None else limit.burst_mibps,
        iops=rounded(v.iops),
        throughput_mibps=rounded(v.throughput_mibps),
        burst_balance_pct=rounded(v.burst_balance_pct),
        utilization=rounded(v.utilization, 4),
        capped_by=v.capped_by,
    )


def instance(i: InstanceView) -> InstanceDoc:
    lim = i.limits
    return InstanceDoc(
        instance_id=i.instance_id,
        name=i.name,
        instance_type=i.instance_type,
        state=i.state,
        region=i.region,
        period_s=i.period_s,
        network=NetworkDoc(
            baseline_mbps=lim.net_baseline_mbps,
            peak_mbps=lim.net_peak_mbps,
            in_mbps=rounded(i.net_in_mbps),
            out_mbps=rounded(i.net_out_mbps),
            utilization=rounded(i.net_utilization, 4),
        ),
        ebs=EbsDoc(
            baseline_mbs=lim.ebs_baseline_mbs,
            max_mbs=lim.ebs_max_mbs,
            baseline_iops=lim.ebs_baseline_iops,
            max_iops=lim.ebs_max_iops,
            throughput_mbs=rounded(i.ebs_mbs),
            iops=rounded(i.ebs_iops),
            utilization=rounded(i.ebs_utilization, 4),
            binding=i.ebs_binding,
        ),
        memory_used_pct=rounded(i.memory_used_pct),
        disk_used_pct=rounded(i.disk_used_pct),
        ena_allowance_exceeded=None if i.ena is None else dict(i.ena),
        volumes=tuple(volume(v) for v in i.volumes),
        notes=i.reasons,
        account_id=account_of(i.account_id),
    )


def quota(q: QuotaView) -> QuotaDoc:
    return QuotaDoc(
        code=q.code,
        name=q.name,
        value=q.value,
        usage=q.usage,
        utilization=rounded(q.utilization, 4),
        region=q.region,
        account_id=account_of(q.account_id),
        problem=q.problem or UNSET,
    )


def unattached(v: VolumeView) -> UnattachedDoc:
    return UnattachedDoc(
        volume_id=v.volume_id,
        volume_type=v.volume_type,
        size_gib=v.size_gib,
        region=v.region,
        account_id=account_of(v.account_id),
    )


def hints(s: LimitsSnapshot) -> tuple[HintDoc, ...]:
    """The snapshot's hints, each placed where the instance or volume it is about is."""
    where: dict[str, tuple[str, str]] = {}
    for i in s.instances:
        where[i.instance_id] = (i.region, i.account_id)
        for v in i.volumes:
            where[v.volume_id] = (v.region, v.account_id)
    for v in s.unattached:
        where[v.volume_id] = (v.region, v.account_id)
    out = []
    for h in s.hints:
        region, account = where.get(h.resource_id, ("", ""))
        out.append(HintDoc(h.resource_id, h.kind, h.text, region or None, account_of(account)))
    return tuple(out)


def limits(s: LimitsSnapshot) -> LimitsDoc:
    return LimitsDoc(
        fetched_at=s.fetched_at,
        period_s=s.period_s,
        instances=tuple(instance(i) for i in s.instances),
        unattached_volumes=tuple(unattached(v) for v in s.unattached),
        quotas=tuple(quota(q) for q in s.quotas),
        hints=hints(s),
        errors=errors_of(s.errors, s.error),
    )


# -- kinesis --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReaderDoc:
    name: str
    kind: str
    behind_ms: float | None
    reason: str | None
    growth_ms_per_s: float | None
    stalled: bool


@dataclass(frozen=True)
class StreamDoc:
    stream_name: str
    stream_arn: str | None
    region: str
    mode: str | None
    status: str | None
    open_shards: int | None
    retention_hours: int | None
    consumers: int | None
    efo_consumers: int | None
    incoming_bytes_per_s: float | None
    incoming_records_per_s: float | None
    usage_factor: float | None
    usage_driver: str | None
    usage_level: str
    iterator_age_ms: float | None
    iterator_age_source: str | None
    iterator_age_retention_fraction: float | None
    iterator_age_trend: str
    age_level: str
    time_to_risk_s: float | None
    time_to_loss_s: float | None
    time_to_catch_up_s: float | None
    write_throttled: float | None
    read_throttled: float | None
    put_records_throttled: float | None
    put_records_failed: float | None
    get_records_success: float | None
    advice: str
    advice_reason: str
    lambdas: tuple[str, ...]
    readers: tuple[ReaderDoc, ...]
    reasons: tuple[str, ...]
    account_id: str | None
    """The account (the credential's own too); null when it could not be learnt."""


@dataclass(frozen=True)
class KinesisDoc:
    fetched_at: datetime
    period_s: int
    streams: tuple[StreamDoc, ...]
    errors: tuple[ErrorDoc, ...]


def stream(s: StreamView) -> StreamDoc:
    return StreamDoc(
        stream_name=s.stream_name,
        stream_arn=s.stream_arn or None,
        region=s.region,
        mode=None if s.mode == UNKNOWN else s.mode,
        status=None if s.status == UNKNOWN else s.status,
        open_shards=s.open_shards,
        retention_hours=s.retention_hours,
        consumers=s.consumer_count,
        efo_consumers=s.efo_count,
        incoming_bytes_per_s=rounded(s.incoming_bytes_per_s),
        incoming_records_per_s=rounded(s.incoming_records_per_s),
        usage_factor=rounded(s.usage_factor, 4),
        usage_driver=s.usage_driver,
        usage_level=s.usage_level,
        iterator_age_ms=rounded(s.iterator_age_ms, 1),
        iterator_age_source=s.iterator_age_source,
        iterator_age_retention_fraction=rounded(s.iterator_age_retention_fraction, 6),
        iterator_age_trend=s.iterator_age_trend,
        age_level=s.age_level,
        time_to_risk_s=rounded(s.time_to_risk_s, 0),
        time_to_loss_s=rounded(s.time_to_loss_s, 0),
        time_to_catch_up_s=rounded(s.time_to_catch_up_s, 0),
        write_throttled=s.write_throttled,
        read_throttled=s.read_throttled,
        put_records_throttled=s.put_records_throttled,
        put_records_failed=s.put_records_failed,
        get_records_success=s.get_records_success,
        advice=s.advice,
        advice_reason=s.advice_reason,
        lambdas=tuple(fn.function_name for fn in s.lambdas),
        readers=tuple(
            ReaderDoc(
                name=r.name,
                kind=r.kind,
                behind_ms=rounded(r.behind_ms, 1),
                reason=r.reason or None,
                growth_ms_per_s=rounded(r.growth_ms_per_s, 1),
                stalled=r.stalled,
            )
            for r in s.readers
        ),
        reasons=s.reasons,
        account_id=account_of(s.account_id),
    )


def kinesis(s: KinesisSnapshot) -> KinesisDoc:
    return KinesisDoc(
        fetched_at=s.fetched_at,
        period_s=s.period_s,
        streams=tuple(stream(x) for x in s.streams),
        errors=errors_of(s.errors, s.error),
    )


# -- findings -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FindingDoc:
    id: str
    product_arn: str
    product_name: str
    title: str
    severity: str
    account_id: str
    region: str
    control_id: str | None
    compliance_status: str | None
    workflow_status: str
    record_state: str
    resource_type: str | None
    resource_id: str | None
    first_observed_at: datetime | None
    last_observed_at: datetime | None
    remediation: str | None
    """The id of the playbook that fixes it (``tui.aws.actions.playbooks``), or null."""


@dataclass(frozen=True)
class FindingsDoc:
    fetched_at: datetime
    total: int
    findings: tuple[FindingDoc, ...]
    errors: tuple[ErrorDoc, ...]


def finding(f: Finding, remediation: str | None) -> FindingDoc:
    return FindingDoc(
        id=f.id,
        product_arn=f.product_arn,
        product_name=f.product_name,
        title=f.title,
        severity=f.severity,
        account_id=f.account_id,
        region=f.region,
        control_id=f.control_id or None,
        compliance_status=f.compliance_status or None,
        workflow_status=f.workflow_status,
        record_state=f.record_state,
        resource_type=f.resource_type or None,
        resource_id=f.resource_id or None,
        first_observed_at=f.first_observed_at,
        last_observed_at=f.last_observed_at,
        remediation=remediation,
    )


def findings(s: FindingsSnapshot) -> FindingsDoc:
    def playbook_of(f: Finding) -> str | None:
        book = playbook_for(f)
        return book.id if book else None

    return FindingsDoc(
        fetched_at=s.fetched_at,
        total=s.total,
        findings=tuple(finding(f, playbook_of(f)) for f in s.findings),
        errors=errors_of(s.errors, s.error),
    )


# -- sessions -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TargetDoc:
    instance_id: str
    name: str
    resource_type: str
    ping_status: str
    platform_type: str | None
    platform_name: str | None
    agent_version: str | None
    agent_outdated: bool | None
    ip_address: str | None
    computer_name: str | None
    last_ping_at: datetime | None
    region: str
    account_id: str | None
    """The account (the credential's own too); null when it could not be learnt."""


@dataclass(frozen=True)
class SessionDoc:
    session_id: str
    target: str
    owner: str
    status: str
    start_date: datetime | None
    document_name: str | None
    region: str
    account_id: str | None
    """The account (the credential's own too); null when it could not be learnt."""


@dataclass(frozen=True)
class SessionsDoc:
    fetched_at: datetime
    instances: tuple[TargetDoc, ...]
    sessions: tuple[SessionDoc, ...]
    """The active sessions, then the history."""
    errors: tuple[ErrorDoc, ...]


def target(t: ManagedTarget) -> TargetDoc:
    return TargetDoc(
        instance_id=t.instance_id,
        name=t.name,
        resource_type=t.resource_type,
        ping_status=t.ping_status,
        platform_type=t.platform_type,
        platform_name=t.platform_name,
        agent_version=t.agent_version,
        agent_outdated=t.agent_outdated,
        ip_address=t.ip_address,
        computer_name=t.computer_name,
        last_ping_at=t.last_ping_at,
        region=t.region,
        account_id=account_of(t.account_id),
    )


def session(s: SessionView) -> SessionDoc:
    return SessionDoc(
        session_id=s.session_id,
        target=s.target,
        owner=s.owner,
        status=s.status,
        start_date=s.start_date,
        document_name=s.document_name,
        region=s.region,
        account_id=account_of(s.account_id),
    )


def sessions(s: SessionsSnapshot) -> SessionsDoc:
    return SessionsDoc(
        fetched_at=s.fetched_at,
        instances=tuple(target(t) for t in s.instances),
        sessions=tuple(session(x) for x in (*s.active, *s.history)),
        errors=errors_of(s.errors, s.error),
    )


# -- experiments ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class TemplateDoc:
    region: str
    template_id: str
    arn: str
    description: str
    fault: str
    targets: tuple[str, ...]
    actions: tuple[str, ...]
    role_arn: str
    stop_conditions: tuple[str, ...]
    tags: dict[str, str]
    target_details: tuple[str, ...]
    action_details: tuple[str, ...]
    duration: str
    created_at: datetime | None
    updated_at: datetime | None
    detailed: bool
    account_id: str | None
    """The account, from the template's ARN; null without an ARN."""


@dataclass(frozen=True)
class ExperimentDoc:
    region: str
    experiment_id: str
    arn: str
    template_id: str
    status: str
    reason: str
    fault: str
    target: str
    origin: str
    created_at: datetime | None
    started_at: datetime | None
    ended_at: datetime | None
    tags: dict[str, str]
    role_arn: str
    resources: tuple[str, ...]
    actions: tuple[str, ...]
    action_details: tuple[str, ...]
    target_details: tuple[str, ...]
    stop_conditions: tuple[str, ...]
    error: str
    detailed: bool
    account_id: str | None
    """The account, from the experiment's ARN; null without an ARN."""


@dataclass(frozen=True)
class FisDoc:
    fetched_at: datetime
    templates: tuple[TemplateDoc, ...]
    experiments: tuple[ExperimentDoc, ...]
    errors: tuple[ErrorDoc, ...]


def template(t: TemplateView) -> TemplateDoc:
    return TemplateDoc(
        region=t.region,
        template_id=t.template_id,
        arn=t.arn,
        description=t.description,
        fault=t.fault,
        targets=t.targets,
        actions=t.actions,
        role_arn=t.role_arn,
        stop_conditions=t.stop_conditions,
        tags=dict(t.tags),
        target_details=t.target_details,
        action_details=t.action_details,
        duration=t.duration,
        created_at=t.created_at,
        updated_at=t.updated_at,
        detailed=t.detailed,
        account_id=arn_account(t.arn),
    )


def experiment(e: ExperimentView) -> ExperimentDoc:
    return ExperimentDoc(
        region=e.region,
        experiment_id=e.experiment_id,
        arn=e.arn,
        template_id=e.template_id,
        status=e.status,
        reason=e.reason,
        fault=e.fault,
        target=e.target,
        origin=e.origin,
        created_at=e.created_at,
        started_at=e.started_at,
        ended_at=e.ended_at,
        tags=dict(e.tags),
        role_arn=e.role_arn,
        resources=e.resources,
        actions=e.actions,
        action_details=e.action_details,
        target_details=e.target_details,
        stop_conditions=e.stop_conditions,
        error=e.error,
        detailed=e.detailed,
        account_id=arn_account(e.arn),
    )


def fis(s: FisSnapshot) -> FisDoc:
    return FisDoc(
        fetched_at=s.fetched_at,
        templates=tuple(template(t) for t in s.templates),
        experiments=tuple(experiment(e) for e in s.experiments),
        errors=errors_of(s.errors, s.error),
    )


# -- alarms ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MetricDoc:
    namespace: str
    name: str
    dimensions: dict[str, str]
    stat: str | None
    period: int | None
    unit: str | None


@dataclass(frozen=True)
class ResourceDoc:
    kind: str
    id: str


@dataclass(frozen=True)
class AlarmDoc:
    name: str
    arn: str
    type: str
    """``metric`` or ``composite``."""
    state: str
    state_reason: str
    state_updated_at: datetime | None
    actions_enabled: bool | None
    metric: MetricDoc | None
    """A metric alarm's one metric; null for a metric-math or composite alarm."""
    expression: str | None
    """The metric-math expression the alarm evaluates (a composite's rule); null otherwise."""
    threshold: float | None
    comparison: str | None
    evaluation_periods: int | None
    datapoints_to_alarm: int | None
    resource: ResourceDoc | None
    region: str
    account_id: str | None
    """The account, from the alarm's ARN (the credential's own too); null without an ARN."""


@dataclass(frozen=True)
class AlarmsDoc:
    fetched_at: datetime
    alarms: tuple[AlarmDoc, ...]
    errors: tuple[ErrorDoc, ...]


def metric_doc(m: MetricSpec) -> MetricDoc:
    return MetricDoc(
        namespace=m.namespace,
        name=m.name,
        dimensions=dict(m.dimensions),
        stat=m.stat or None,
        period=m.period,
        unit=m.unit or None,
    )


def alarm(a: Alarm) -> AlarmDoc:
    return AlarmDoc(
        name=a.name,
        arn=a.arn,
        type=a.kind,
        state=a.state,
        state_reason=a.state_reason,
        state_updated_at=a.state_updated_at,
        actions_enabled=a.actions_enabled,
        metric=None if a.metric is None else metric_doc(a.metric),
        expression=a.expression or (a.rule or None),
        threshold=a.threshold,
        comparison=a.comparison or None,
        evaluation_periods=a.evaluation_periods,
        datapoints_to_alarm=a.datapoints_to_alarm,
        resource=None if a.resource is None else ResourceDoc(a.resource.kind, a.resource.id),
        region=a.region,
        account_id=account_of(a.account_id),
    )


def alarms(s: AlarmsSnapshot) -> AlarmsDoc:
    return AlarmsDoc(
        fetched_at=s.fetched_at,
        alarms=tuple(alarm(a) for a in s.alarms),
        errors=errors_of(s.errors, s.error),
    )


# -- the one table --------------------------------------------------------------------------------

VIEWS: dict[type, Callable[[Any], object]] = {
    LimitsSnapshot: limits,
    KinesisSnapshot: kinesis,
    FindingsSnapshot: findings,
    SessionsSnapshot: sessions,
    FisSnapshot: fis,
    AlarmsSnapshot: alarms,
}
"""Each snapshot type with a view, and the function that builds it."""


def document(snapshot: object) -> object:
    """What ``warroom snapshot`` prints for ``snapshot`` (pass it to ``tui.common.codec.encode``):
    its pane's view, or the snapshot itself when its type has none."""
    view = VIEWS.get(type(snapshot))
    return snapshot if view is None else view(snapshot)
