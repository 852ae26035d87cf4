"""EC2 quotas for moto's Service Quotas, which knows only a list of VPC defaults.

``install()`` teaches moto's Service Quotas backend the EC2 quotas (GetServiceQuota and
ListAWSDefaultServiceQuotas now answer ``ec2`` too) and adds GetAWSDefaultServiceQuota and
ListServiceQuotas, with pagination, for every service the backend knows (ec2 and moto's vpc).
What moto answered before for vpc is unchanged, except that a value set with
``set_quota_value`` is the applied value GetServiceQuota and ListServiceQuotas report.
"""

# moto is imported inside the functions, for start-up time: see tui/sim/extensions/__init__.py.
from __future__ import annotations

import copy
import functools
import json
import logging
import math
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from tui.sim.extensions._common import decode_offset_token, encode_offset_token, service_error

logger = logging.getLogger(__name__)

EC2_SERVICE_NAME = "Amazon Elastic Compute Cloud (Amazon EC2)"
MAX_QUOTA_VALUE = 10_000_000_000.0


@dataclass(frozen=True)
class QuotaDefinition:
    """One EC2 quota as AWS describes it; ``usage_class`` names its AWS/Usage vCPU metric."""

    code: str
    name: str
    default: float
    usage_class: str | None = None
    adjustable: bool = True


EC2_QUOTAS: tuple[QuotaDefinition, ...] = (
    QuotaDefinition(
        "L-1216C47A",
        "Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances",
        640.0,
        "Standard/OnDemand",
    ),
    QuotaDefinition("L-74FC7D96", "Running On-Demand F instances", 64.0, "F/OnDemand"),
    QuotaDefinition("L-DB2E81BA", "Running On-Demand G and VT instances", 16.0, "G/OnDemand"),
    QuotaDefinition("L-43DA4232", "Running On-Demand High Memory instances", 0.0, "HighMem/OnDemand"),
    QuotaDefinition("L-1945791B", "Running On-Demand Inf instances", 16.0, "Inf/OnDemand"),
    QuotaDefinition("L-417A185B", "Running On-Demand P instances", 8.0, "P/OnDemand"),
    QuotaDefinition("L-7295265B", "Running On-Demand X instances", 0.0, "X/OnDemand"),
    QuotaDefinition(
        "L-34B43A08",
        "All Standard (A, C, D, H, I, M, R, T, Z) Spot Instance Requests",
        640.0,
        "Standard/Spot",
    ),
    QuotaDefinition("L-88CF9481", "All F Spot Instance Requests", 64.0, "F/Spot"),
    QuotaDefinition("L-3819A6DF", "All G and VT Spot Instance Requests", 16.0, "G/Spot"),
    QuotaDefinition("L-B5D1601B", "All Inf Spot Instance Requests", 16.0, "Inf/Spot"),
    QuotaDefinition("L-7212CCBC", "All P Spot Instance Requests", 16.0, "P/Spot"),
    QuotaDefinition("L-E3A00192", "All X Spot Instance Requests", 0.0, "X/Spot"),
    QuotaDefinition("L-0263D0A3", "EC2-VPC Elastic IPs", 5.0),
    QuotaDefinition("L-D0B7243C", "New Reserved Instances per month", 20.0),
)

_EC2_BY_CODE = {quota.code: quota for quota in EC2_QUOTAS}

_lock = threading.Lock()
_applied: dict[tuple[str, str, str, str], float] = {}


# --------------------------------------------------------------------------------------------
# The seam the workload and the faults use
# --------------------------------------------------------------------------------------------


def set_quota_value(account_id: str, region: str, service_code: str, quota_code: str, value: float) -> None:
    """Set the applied value of a quota (as if an increase had been granted) in an account and region."""
    if _defaults(service_code, region) is None:
        raise KeyError(f"unknown service code {service_code!r}")
    if _find(service_code, quota_code, region) is None:
        raise KeyError(f"unknown quota {service_code}/{quota_code}")
    number = float(value)
    if not math.isfinite(number) or not 0.0 <= number <= MAX_QUOTA_VALUE:
        raise ValueError(f"a quota value must be between 0 and {MAX_QUOTA_VALUE:.0f}, not {value!r}")
    with _lock:
        _applied[(account_id, region, service_code, quota_code)] = number
    logger.debug("quota %s/%s in %s/%s set to %s", service_code, quota_code, account_id, region, number)


def reset() -> None:
    """Forget every applied value, in every account and region."""
    with _lock:
        _applied.clear()


def reset_quota_values(account_id: str, region: str) -> None:
    """Forget every applied value set in an account and region."""
    with _lock:
        for key in [key for key in _applied if key[:2] == (account_id, region)]:
            del _applied[key]


def _applied_value(account_id: str, region: str, service_code: str, quota_code: str) -> float | None:
    with _lock:
        return _applied.get((account_id, region, service_code, quota_code))


# --------------------------------------------------------------------------------------------
# The catalogue
# --------------------------------------------------------------------------------------------


def _partition(region: str) -> str:
    from moto.utilities.utils import get_partition

    return str(get_partition(region))


def _ec2_quota(quota: QuotaDefinition, region: str, account_id: str) -> dict[str, Any]:
    out: dict[str, Any] = {
        "ServiceCode": "ec2",
        "ServiceName": EC2_SERVICE_NAME,
        "QuotaArn": f"arn:{_partition(region)}:servicequotas:{region}:{account_id}:ec2/{quota.code}",
        "QuotaCode": quota.code,
        "QuotaName": quota.name,
        "Value": quota.default,
        "Unit": "None",
        "Adjustable": quota.adjustable,
        "GlobalQuota": False,
    }
    if quota.usage_class is not None:
        out["UsageMetric"] = {
            "MetricNamespace": "AWS/Usage",
            "MetricName": "ResourceCount",
            "MetricDimensions": {
                "Class": quota.usage_class,
                "Resource": "vCPU",
                "Service": "EC2",
                "Type": "Resource",
            },
            "MetricStatisticRecommendation": "Maximum",
        }
    return out


def _moto_defaults(service_code: str) -> list[dict[str, Any]] | None:
    if service_code == "vpc":
        from moto.servicequotas.resources.default_quotas.vpc import VPC_DEFAULT_QUOTAS

        return [dict(quota) for quota in VPC_DEFAULT_QUOTAS]
    return None


def _defaults(service_code: str, region: str, account_id: str = "") -> list[dict[str, Any]] | None:
    """The AWS default quotas of a service (an account id of "" leaves it out of the ARN)."""
    if service_code == "ec2":
        return [_ec2_quota(quota, region, account_id) for quota in EC2_QUOTAS]
    return _moto_defaults(service_code)


def _find(service_code: str, quota_code: str, region: str) -> dict[str, Any] | None:
    for quota in _defaults(service_code, region) or []:
        if quota["QuotaCode"] == quota_code:
            return quota
    return None


def _with_applied_value(quota: dict[str, Any], account_id: str, region: str) -> dict[str, Any]:
    value = _applied_value(account_id, region, quota["ServiceCode"], quota["QuotaCode"])
    if value is None:
        return quota
    changed = copy.deepcopy(quota)
    changed["Value"] = value
    return changed


def _no_such_quota(service_code: str, quota_code: str) -> Exception:
    return service_error(
        "NoSuchResourceException", f"The quota {quota_code} does not exist for service {service_code}."
    )


def _no_such_service() -> Exception:
    from moto.servicequotas.exceptions import NoSuchResource

    error: Exception = NoSuchResource()
    return error


def applied_quotas(account_id: str, region: str, service_code: str) -> list[dict[str, Any]]:
    """The quotas of a service with their applied values (ListServiceQuotas)."""
    defaults = _defaults(service_code, region, account_id)
    if defaults is None:
        raise _no_such_service()
    out = []
    for quota in defaults:
        applied = dict(quota)
        applied["QuotaArn"] = (
            f"arn:{_partition(region)}:servicequotas:{region}:{account_id}:{service_code}/{quota['QuotaCode']}"
        )
        out.append(_with_applied_value(applied, account_id, region))
    return out


def default_quota(account_id: str, region: str, service_code: str, quota_code: str) -> dict[str, Any]:
    """One quota with its AWS default value (GetAWSDefaultServiceQuota)."""
    defaults = _defaults(service_code, region)
    if defaults is None:
        raise _no_such_service()
    for quota in defaults:
        if quota["QuotaCode"] == quota_code:
            return quota
    raise _no_such_quota(service_code, quota_code)


# --------------------------------------------------------------------------------------------
# Pagination
# --------------------------------------------------------------------------------------------


def _page(
    kind: str, items: Sequence[dict[str, Any]], max_results: Any, token: Any
) -> tuple[list[dict[str, Any]], str | None]:
    limit = 100 if max_results is None else int(max_results)
    if not 1 <= limit <= 100:
        raise service_error(
            "ValidationException",
            f"1 validation error detected: Value '{limit}' at 'maxResults' failed to satisfy constraint: "
            "Member must have value between 1 and 100",
        )
    try:
        offset = decode_offset_token(kind, str(token)) if token else 0
    except ValueError as exc:
        raise service_error("InvalidPaginationTokenException", "Invalid pagination token.") from exc
    end = offset + limit
    return list(items[offset:end]), (encode_offset_token(kind, end) if end < len(items) else None)


# --------------------------------------------------------------------------------------------
# moto glue
# --------------------------------------------------------------------------------------------


def _params(response: Any) -> dict[str, Any]:
    body = response.body
    if isinstance(body, bytes):
        body = body.decode("utf-8")
    data = json.loads(body) if body else {}
    return data if isinstance(data, dict) else {}


def _paged_result(quotas: list[dict[str, Any]], kind: str, params: dict[str, Any]) -> Any:
    from moto.core.responses import ActionResult

    page, token = _page(kind, quotas, params.get("MaxResults"), params.get("NextToken"))
    result: dict[str, Any] = {"Quotas": page}
    if token is not None:
        result["NextToken"] = token
    return ActionResult(result)


def _list_service_quotas(self: Any) -> Any:
    params = _params(self)
    service_code = str(params.get("ServiceCode"))
    quotas = applied_quotas(self.current_account, self.region, service_code)
    quota_code = params.get("QuotaCode")
    if quota_code:
        quotas = [quota for quota in quotas if quota["QuotaCode"] == quota_code]
    if params.get("QuotaAppliedAtLevel") == "RESOURCE":
        quotas = []
    return _paged_result(quotas, f"applied-{service_code}", params)


def _list_aws_default_service_quotas(self: Any) -> Any:
    params = _params(self)
    service_code = str(params.get("ServiceCode"))
    quotas = self.backend.list_aws_default_service_quotas(service_code)
    return _paged_result(list(quotas), f"default-{service_code}", params)


def _get_aws_default_service_quota(self: Any) -> Any:
    from moto.core.responses import ActionResult

    params = _params(self)
    quota = default_quota(
        self.current_account, self.region, str(params.get("ServiceCode")), str(params.get("QuotaCode"))
    )
    return ActionResult({"Quota": quota})


def _wrap_get_service_quota(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def get_service_quota(self: Any, service_code: str, quota_code: str) -> dict[str, Any]:
        if service_code == "ec2":
            definition = _EC2_BY_CODE.get(quota_code)
            if definition is None:
                raise _no_such_quota(service_code, quota_code)
            quota = _ec2_quota(definition, self.region_name, self.account_id)
        else:
            quota = original(self, service_code=service_code, quota_code=quota_code)
        return _with_applied_value(quota, self.account_id, self.region_name)

    get_service_quota.__dict__["warroom_original"] = original
    return get_service_quota


def _wrap_list_aws_default_service_quotas(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def list_aws_default_service_quotas(self: Any, service_code: str) -> list[dict[str, Any]]:
        if service_code == "ec2":
            return _defaults("ec2", self.region_name) or []
        result: list[dict[str, Any]] = original(self, service_code)
        return result

    list_aws_default_service_quotas.__dict__["warroom_original"] = original
    return list_aws_default_service_quotas


RESPONSE_METHODS: dict[str, Callable[[Any], Any]] = {
    "get_aws_default_service_quota": _get_aws_default_service_quota,
    "list_service_quotas": _list_service_quotas,
    "list_aws_default_service_quotas": _list_aws_default_service_quotas,
}
BACKEND_WRAPPERS: dict[str, Callable[[Callable[..., Any]], Callable[..., Any]]] = {
    "get_service_quota": _wrap_get_service_quota,
    "list_aws_default_service_quotas": _wrap_list_aws_default_service_quotas,
}

# What moto defined under each name before install() (None: moto lacked it).
moto_originals: dict[str, object] = {}
_install_lock = threading.Lock()


def install() -> None:
    """Extend moto's Service Quotas backend and response class (idempotent)."""
    from moto.servicequotas.models import ServiceQuotasBackend
    from moto.servicequotas.responses import ServiceQuotasResponse

    with _install_lock:
        for name, function in RESPONSE_METHODS.items():
            current = ServiceQuotasResponse.__dict__.get(name)
            if current is function:
                continue
            moto_originals.setdefault(f"ServiceQuotasResponse.{name}", current)
            setattr(ServiceQuotasResponse, name, function)
        for name, wrap in BACKEND_WRAPPERS.items():
            current = ServiceQuotasBackend.__dict__.get(name)
            if current is None:
                raise RuntimeError(
                    f"moto's ServiceQuotasBackend has no {name}(): the extension needs updating"
                )
            if "warroom_original" in getattr(current, "__dict__", {}):
                continue
            moto_originals.setdefault(f"ServiceQuotasBackend.{name}", current)
            setattr(ServiceQuotasBackend, name, wrap(current))
