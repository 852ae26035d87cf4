"""The document ``warroom snapshot PANE --json`` prints for a snapshot, parsed: its pane's view
(``tui.aws.documents``) as the codec writes it; and every key it documents, in order, in one place
(README.md's table of the documents lists the same, which a test checks)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tui.aws.documents import document
from tui.common.codec import to_builtins


def json_of(snapshot: object) -> Any:
    return to_builtins(document(snapshot))


KEYS: dict[str, list[str]] = {
    # -- limits
    "limits": ["fetched_at", "period_s", "instances", "unattached_volumes", "quotas", "hints", "errors"],
    "limits.instances": [
        "instance_id", "name", "instance_type", "state", "region", "period_s", "network", "ebs",
        "memory_used_pct", "disk_used_pct", "ena_allowance_exceeded", "volumes", "notes", "account_id",
    ],
    "limits.instances.network": ["baseline_mbps", "peak_mbps", "in_mbps", "out_mbps", "utilization"],
    "limits.instances.ebs": [
        "baseline_mbs", "max_mbs", "baseline_iops", "max_iops", "throughput_mbs", "iops", "utilization",
        "binding",
    ],
    "limits.instances.volumes": [
        "volume_id", "volume_type", "size_gib", "baseline_iops", "burst_iops", "baseline_mibps",
        "burst_mibps", "iops", "throughput_mibps", "burst_balance_pct", "utilization", "capped_by",
    ],
    "limits.unattached_volumes": ["volume_id", "volume_type", "size_gib", "region", "account_id"],
    "limits.quotas": ["code", "name", "value", "usage", "utilization", "region", "account_id", "problem"],
    "limits.hints": ["resource_id", "kind", "text", "region", "account_id"],
    # -- kinesis
    "kinesis": ["fetched_at", "period_s", "streams", "errors"],
    "kinesis.streams": [
        "stream_name", "stream_arn", "region", "mode", "status", "open_shards", "retention_hours",
        "consumers", "efo_consumers", "incoming_bytes_per_s", "incoming_records_per_s", "usage_factor",
        "usage_driver", "usage_level", "iterator_age_ms", "iterator_age_source",
        "iterator_age_retention_fraction", "iterator_age_trend", "age_level", "time_to_risk_s",
        "time_to_loss_s", "time_to_catch_up_s", "write_throttled", "read_throttled",
        "put_records_throttled", "put_records_failed", "get_records_success", "advice", "advice_reason",
        "lambdas", "readers", "reasons", "account_id",
    ],
    "kinesis.streams.readers": ["name", "kind", "behind_ms", "reason", "growth_ms_per_s", "stalled"],
    # -- findings
    "findings": ["fetched_at", "total", "findings", "errors"],
    "findings.findings": [
        "id", "product_arn", "product_name", "title", "severity", "account_id", "region", "control_id",
        "compliance_status", "workflow_status", "record_state", "resource_type", "resource_id",
        "first_observed_at", "last_observed_at", "remediation",
    ],
    # -- sessions (or instances)
    "sessions": ["fetched_at", "instances", "sessions", "errors"],
    "sessions.instances": [
        "instance_id", "name", "resource_type", "ping_status", "platform_type", "platform_name",
        "agent_version", "agent_outdated", "ip_address", "computer_name", "last_ping_at", "region",
        "account_id",
    ],
    "sessions.sessions": [
        "session_id", "target", "owner", "status", "start_date", "document_name", "region", "account_id",
    ],
    # -- fis (or experiments)
    "fis": ["fetched_at", "templates", "experiments", "errors"],
    "fis.templates": [
        "region", "template_id", "arn", "description", "fault", "targets", "actions", "role_arn",
        "stop_conditions", "tags", "target_details", "action_details", "duration", "created_at",
        "updated_at", "detailed", "account_id",
    ],
    "fis.experiments": [
        "region", "experiment_id", "arn", "template_id", "status", "reason", "fault", "target", "origin",
        "created_at", "started_at", "ended_at", "tags", "role_arn", "resources", "actions",
        "action_details", "target_details", "stop_conditions", "error", "detailed", "account_id",
    ],
    # -- alarms
    "alarms": ["fetched_at", "alarms", "errors"],
    "alarms.alarms": [
        "name", "arn", "type", "state", "state_reason", "state_updated_at", "actions_enabled", "metric",
        "expression", "threshold", "comparison", "evaluation_periods", "datapoints_to_alarm", "resource",
        "region", "account_id",
    ],
    # -- overview
    "overview": ["fetched_at", "identity", "regions", "error"],
    "overview.regions": ["region", "ec2", "ebs", "kinesis", "sessions", "account_id", "account_name"],
    # -- every pane's errors
    "errors": ["api", "message", "region", "hint"],
}  # fmt: skip
"""Each document's keys (``limits``) and each of its lists' items' (``limits.instances``; nested:
``limits.instances.volumes``), in the order the document writes them."""

OPTIONAL: dict[str, frozenset[str]] = {
    "limits.quotas": frozenset({"problem"}),
    "errors": frozenset({"region", "hint"}),
}
"""Keys left out when they have no value (a quota's problem; the poll's own failure's region and hint)."""

ITEM_LISTS: dict[str, tuple[str, ...]] = {
    "limits": ("instances", "unattached_volumes", "quotas", "hints"),
    "kinesis": ("streams",),
    "findings": ("findings",),
    "sessions": ("instances", "sessions"),
    "fis": ("templates", "experiments"),
    "alarms": ("alarms",),
    "overview": ("regions",),
}
"""Each document's lists of items: every item says where it is (``account_id`` and ``region``)."""


def keys_of(where: str, item: Mapping[str, Any]) -> list[str]:
    """The keys ``item`` (at ``where``, a key of ``KEYS``) must have, in order: every key of its
    kind but the optional ones it leaves out."""
    optional = OPTIONAL.get(where, frozenset())
    return [key for key in KEYS[where] if key in item or key not in optional]


def check_document(pane: str, doc: Mapping[str, Any]) -> int:
    """Assert that ``doc`` (pane ``pane``'s document: ``sessions``, not ``instances``) has exactly
    its documented keys, in order, and so has every item of its lists and their nested items; and
    that every item names its region and its account. Returns how many items it checked."""
    assert list(doc) == KEYS[pane], (pane, list(doc))
    for error in doc.get("errors") or ():
        assert list(error) == keys_of("errors", error), error
    checked = 0
    for name in ITEM_LISTS[pane]:
        where = f"{pane}.{name}"
        nested = [key.rsplit(".", 1)[1] for key in KEYS if key.startswith(f"{where}.")]
        for item in doc[name]:
            assert list(item) == keys_of(where, item), (where, list(item))
            assert item["region"], (where, item)
            assert item["account_id"] is None or len(item["account_id"]) == 12, (where, item)
            for inner in nested:
                values = item[inner]
                for value in values if isinstance(values, list) else [values]:
                    if value is not None:
                        assert list(value) == KEYS[f"{where}.{inner}"], (where, inner, list(value))
            checked += 1
    return checked


def places_of(pane: str, doc: Mapping[str, Any]) -> set[tuple[str | None, str]]:
    """Every (account_id, region) the items of ``doc`` name."""
    return {(item["account_id"], item["region"]) for name in ITEM_LISTS[pane] for item in doc[name]}
