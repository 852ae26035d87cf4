"""The Service Quotas extension: the EC2 quotas and the calls moto lacks, through boto3.

Region eu-central-1 is this module's own: nothing else sets quota values there.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from tui.sim.extensions import servicequotas
from tui.sim.extensions.servicequotas import reset_quota_values, set_quota_value

ACCOUNT = "123456789012"
REGION = "eu-central-1"
VCPU = "L-1216C47A"
SPOT = "L-34B43A08"
EIP = "L-0263D0A3"

ClientMaker = Callable[..., Any]


@pytest.fixture(autouse=True)
def _clean_region() -> Iterator[None]:
    reset_quota_values(ACCOUNT, REGION)
    yield
    reset_quota_values(ACCOUNT, REGION)


@pytest.fixture
def quotas(client: ClientMaker) -> Any:
    return client("service-quotas", region=REGION)


def _code(excinfo: pytest.ExceptionInfo[ClientError]) -> str:
    return str(excinfo.value.response["Error"]["Code"])


def _walk(quotas: Any, operation: str, page_size: int, **params: Any) -> list[list[dict[str, Any]]]:
    pages = quotas.get_paginator(operation).paginate(PaginationConfig={"PageSize": page_size}, **params)
    return [page["Quotas"] for page in pages]


VCPU_USAGE = {
    "MetricNamespace": "AWS/Usage",
    "MetricName": "ResourceCount",
    "MetricDimensions": {
        "Service": "EC2",
        "Type": "Resource",
        "Resource": "vCPU",
        "Class": "Standard/OnDemand",
    },
    "MetricStatisticRecommendation": "Maximum",
}


# --------------------------------------------------------------------------------------------
# What this module patches in moto
# --------------------------------------------------------------------------------------------


def test_moto_objects_the_extension_relies_on_are_still_there() -> None:
    from moto.core.utils import camelcase_to_underscores
    from moto.servicequotas.models import ServiceQuotasBackend
    from moto.servicequotas.resources.default_quotas.vpc import VPC_DEFAULT_QUOTAS
    from moto.servicequotas.responses import ServiceQuotasResponse

    servicequotas.install()
    for name in ("get_aws_default_service_quota", "list_service_quotas"):
        assert servicequotas.moto_originals.get(f"ServiceQuotasResponse.{name}") is None, (
            f"moto now implements ServiceQuotasResponse.{name}: review tui/sim/extensions/servicequotas.py"
        )
    assert callable(
        servicequotas.moto_originals.get("ServiceQuotasResponse.list_aws_default_service_quotas")
    ), "moto's ServiceQuotasResponse.list_aws_default_service_quotas is gone"
    expected = {
        "get_service_quota": ["self", "service_code", "quota_code"],
        "list_aws_default_service_quotas": ["self", "service_code"],
    }
    for name, parameters in expected.items():
        original = servicequotas.moto_originals.get(f"ServiceQuotasBackend.{name}")
        assert callable(original), f"moto's ServiceQuotasBackend.{name} is gone"
        assert list(inspect.signature(original).parameters) == parameters, (
            f"moto's ServiceQuotasBackend.{name} changed its signature"
        )
        assert ServiceQuotasBackend.__dict__[name].warroom_original is original
    for operation in ("GetAWSDefaultServiceQuota", "ListServiceQuotas", "ListAWSDefaultServiceQuotas"):
        assert camelcase_to_underscores(operation) in servicequotas.RESPONSE_METHODS, operation
        assert (
            ServiceQuotasResponse.__dict__[camelcase_to_underscores(operation)]
            is (servicequotas.RESPONSE_METHODS[camelcase_to_underscores(operation)])
        )
    assert {"QuotaCode", "Value", "ServiceCode"} <= set(VPC_DEFAULT_QUOTAS[0]), (
        "moto's VPC quota list changed"
    )


def test_install_is_idempotent() -> None:
    from moto.servicequotas.models import ServiceQuotasBackend

    servicequotas.install()
    wrapped = ServiceQuotasBackend.__dict__["get_service_quota"]
    servicequotas.install()
    assert ServiceQuotasBackend.__dict__["get_service_quota"] is wrapped
    assert "warroom_original" not in vars(wrapped.warroom_original)


# --------------------------------------------------------------------------------------------
# The EC2 quotas
# --------------------------------------------------------------------------------------------


def test_get_service_quota_answers_the_ec2_vcpu_quota(quotas: Any) -> None:
    quota = quotas.get_service_quota(ServiceCode="ec2", QuotaCode=VCPU)["Quota"]
    assert quota == {
        "ServiceCode": "ec2",
        "ServiceName": "Amazon Elastic Compute Cloud (Amazon EC2)",
        "QuotaArn": f"arn:aws:servicequotas:{REGION}:{ACCOUNT}:ec2/{VCPU}",
        "QuotaCode": VCPU,
        "QuotaName": "Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances",
        "Value": 640.0,
        "Unit": "None",
        "Adjustable": True,
        "GlobalQuota": False,
        "UsageMetric": VCPU_USAGE,
    }


def test_get_aws_default_service_quota(quotas: Any) -> None:
    quota = quotas.get_aws_default_service_quota(ServiceCode="ec2", QuotaCode=VCPU)["Quota"]
    assert quota["QuotaArn"] == f"arn:aws:servicequotas:{REGION}::ec2/{VCPU}"
    assert quota["Value"] == 640.0
    assert quota["UsageMetric"] == VCPU_USAGE
    eip = quotas.get_aws_default_service_quota(ServiceCode="ec2", QuotaCode=EIP)["Quota"]
    assert (eip["QuotaName"], eip["Value"]) == ("EC2-VPC Elastic IPs", 5.0)
    assert "UsageMetric" not in eip


def test_list_service_quotas_pages_through_the_ec2_quotas(quotas: Any) -> None:
    pages = _walk(quotas, "list_service_quotas", 4, ServiceCode="ec2")
    everything = [quota for page in pages for quota in page]
    assert len(everything) == len(servicequotas.EC2_QUOTAS)
    assert [len(page) for page in pages[:-1]] == [4] * (len(pages) - 1)
    assert 1 <= len(pages[-1]) <= 4
    by_code = {quota["QuotaCode"]: quota for quota in everything}
    assert len(by_code) == len(everything)
    assert by_code[VCPU]["Value"] == 640.0
    assert by_code[SPOT]["QuotaName"] == "All Standard (A, C, D, H, I, M, R, T, Z) Spot Instance Requests"
    assert by_code[SPOT]["Value"] == 640.0
    assert by_code[SPOT]["UsageMetric"]["MetricDimensions"]["Class"] == "Standard/Spot"
    assert by_code[EIP]["Value"] == 5.0
    assert all(
        q["QuotaArn"] == f"arn:aws:servicequotas:{REGION}:{ACCOUNT}:ec2/{q['QuotaCode']}" for q in everything
    )

    first = quotas.list_service_quotas(ServiceCode="ec2")
    assert len(first["Quotas"]) == len(servicequotas.EC2_QUOTAS)
    assert "NextToken" not in first
    only = quotas.list_service_quotas(ServiceCode="ec2", QuotaCode=EIP)["Quotas"]
    assert [q["QuotaCode"] for q in only] == [EIP]


def test_list_aws_default_service_quotas_knows_ec2(quotas: Any) -> None:
    pages = _walk(quotas, "list_aws_default_service_quotas", 5, ServiceCode="ec2")
    codes = [quota["QuotaCode"] for page in pages for quota in page]
    assert codes == [quota.code for quota in servicequotas.EC2_QUOTAS]
    assert len(pages) == -(-len(codes) // 5)


def test_set_quota_value_changes_the_applied_value_only(quotas: Any) -> None:
    set_quota_value(ACCOUNT, REGION, "ec2", VCPU, 32.0)
    assert quotas.get_service_quota(ServiceCode="ec2", QuotaCode=VCPU)["Quota"]["Value"] == 32.0
    assert quotas.get_aws_default_service_quota(ServiceCode="ec2", QuotaCode=VCPU)["Quota"]["Value"] == 640.0
    listed = {q["QuotaCode"]: q["Value"] for q in quotas.list_service_quotas(ServiceCode="ec2")["Quotas"]}
    assert listed[VCPU] == 32.0
    assert listed[SPOT] == 640.0
    other_region = {
        q["QuotaCode"]: q["Value"] for q in servicequotas.applied_quotas(ACCOUNT, "eu-west-3", "ec2")
    }
    assert other_region[VCPU] == 640.0

    reset_quota_values(ACCOUNT, REGION)
    assert quotas.get_service_quota(ServiceCode="ec2", QuotaCode=VCPU)["Quota"]["Value"] == 640.0


def test_set_quota_value_refuses_what_aws_would_not_hold() -> None:
    with pytest.raises(KeyError):
        set_quota_value(ACCOUNT, REGION, "ec2", "L-00000000", 1.0)
    with pytest.raises(KeyError):
        set_quota_value(ACCOUNT, REGION, "lambda", "L-B99A9384", 1.0)
    with pytest.raises(ValueError, match="between"):
        set_quota_value(ACCOUNT, REGION, "ec2", VCPU, -1.0)
    with pytest.raises(ValueError, match="between"):
        set_quota_value(ACCOUNT, REGION, "ec2", VCPU, float("nan"))


def test_unknown_quotas_and_services(quotas: Any) -> None:
    calls: list[Callable[[], Any]] = [
        lambda: quotas.get_service_quota(ServiceCode="ec2", QuotaCode="L-00000000"),
        lambda: quotas.get_aws_default_service_quota(ServiceCode="ec2", QuotaCode="L-00000000"),
        lambda: quotas.get_service_quota(ServiceCode="nosuchservice", QuotaCode=VCPU),
        lambda: quotas.get_aws_default_service_quota(ServiceCode="nosuchservice", QuotaCode=VCPU),
        lambda: quotas.list_service_quotas(ServiceCode="nosuchservice"),
        lambda: quotas.list_aws_default_service_quotas(ServiceCode="nosuchservice"),
    ]
    for call in calls:
        with pytest.raises(ClientError) as excinfo:
            call()
        assert _code(excinfo) == "NoSuchResourceException"
        assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_pagination_arguments_are_validated(sim_url: str, quotas: Any) -> None:
    unchecked = boto3.client(
        "service-quotas",
        region_name=REGION,
        endpoint_url=sim_url,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(parameter_validation=False),
    )
    for bad in (0, 101):
        with pytest.raises(ClientError) as excinfo:
            unchecked.list_service_quotas(ServiceCode="ec2", MaxResults=bad)
        assert _code(excinfo) == "ValidationException"
    with pytest.raises(ClientError) as excinfo:
        quotas.list_service_quotas(ServiceCode="ec2", NextToken="garbage")
    assert _code(excinfo) == "InvalidPaginationTokenException"
    token = quotas.list_service_quotas(ServiceCode="ec2", MaxResults=2)["NextToken"]
    with pytest.raises(ClientError) as excinfo:
        quotas.list_aws_default_service_quotas(ServiceCode="ec2", NextToken=token)
    assert _code(excinfo) == "InvalidPaginationTokenException"


# --------------------------------------------------------------------------------------------
# What moto answered before still answers
# --------------------------------------------------------------------------------------------


def test_moto_vpc_quotas_still_answer(quotas: Any) -> None:
    from moto.servicequotas.resources.default_quotas.vpc import VPC_DEFAULT_QUOTAS

    code = str(VPC_DEFAULT_QUOTAS[0]["QuotaCode"])
    quota = quotas.get_service_quota(ServiceCode="vpc", QuotaCode=code)["Quota"]
    assert quota == VPC_DEFAULT_QUOTAS[0]
    defaults = quotas.list_aws_default_service_quotas(ServiceCode="vpc")["Quotas"]
    assert defaults == VPC_DEFAULT_QUOTAS
    assert (
        quotas.get_aws_default_service_quota(ServiceCode="vpc", QuotaCode=code)["Quota"]
        == VPC_DEFAULT_QUOTAS[0]
    )
    applied = [q for page in _walk(quotas, "list_service_quotas", 10, ServiceCode="vpc") for q in page]
    assert [q["QuotaCode"] for q in applied] == [q["QuotaCode"] for q in VPC_DEFAULT_QUOTAS]
    assert applied[0]["QuotaArn"] == f"arn:aws:servicequotas:{REGION}:{ACCOUNT}:vpc/{code}"

    set_quota_value(ACCOUNT, REGION, "vpc", code, 125.0)
    assert quotas.get_service_quota(ServiceCode="vpc", QuotaCode=code)["Quota"]["Value"] == 125.0
    assert (
        quotas.get_aws_default_service_quota(ServiceCode="vpc", QuotaCode=code)["Quota"]["Value"]
        == (VPC_DEFAULT_QUOTAS[0]["Value"])
    )
    assert VPC_DEFAULT_QUOTAS[0]["Value"] != 125.0
