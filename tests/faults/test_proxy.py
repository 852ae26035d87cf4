"""The fault proxy itself: AWS's error shapes per protocol, faults per service, switching and counting."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Callable
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError, ConnectionClosedError, ReadTimeoutError
from botocore.retries.standard import ThrottledRetryableChecker

from tui.sim.faultproxy import CONTROL_PATH, FaultProxy


@pytest.fixture
def make(clean_proxy: FaultProxy) -> Callable[..., Any]:
    def build(service: str, read_timeout: float = 10) -> Any:
        config = Config(retries={"mode": "standard", "total_max_attempts": 1}, read_timeout=read_timeout)
        return boto3.client(
            service,
            region_name="us-east-1",
            endpoint_url=clean_proxy.url,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            config=config,
        )

    return build


def _code(call: Callable[[], Any]) -> str:
    with pytest.raises(ClientError) as raised:
        call()
    return str(raised.value.response["Error"]["Code"])


def test_throttling_is_the_shape_botocore_retries_for_every_protocol(
    clean_proxy: FaultProxy, make: Callable[..., Any]
) -> None:
    clean_proxy.set("throttle")
    codes = {
        "ec2": _code(lambda: make("ec2").describe_instances()),
        "sts": _code(lambda: make("sts").get_caller_identity()),
        "kinesis": _code(lambda: make("kinesis").list_streams()),
        "cloudwatch": _code(lambda: make("cloudwatch").list_metrics()),
        "securityhub": _code(lambda: make("securityhub").get_findings(MaxResults=1)),
    }
    assert codes["ec2"] == "RequestLimitExceeded"
    assert codes["sts"] == "Throttling"
    assert set(codes.values()) <= set(ThrottledRetryableChecker()._throttled_error_codes), codes


def test_a_fault_on_one_service_leaves_the_others_alone(
    clean_proxy: FaultProxy, make: Callable[..., Any]
) -> None:
    clean_proxy.set("denied", service="monitoring")
    assert _code(lambda: make("cloudwatch").list_metrics()) == "AccessDeniedException"
    assert make("ec2").describe_instances()["Reservations"] is not None
    clean_proxy.set("expired")
    assert _code(lambda: make("ec2").describe_instances()) == "RequestExpired"
    assert _code(lambda: make("kinesis").list_streams()) == "ExpiredTokenException"
    clean_proxy.clear()
    assert make("kinesis").list_streams()["StreamNames"] is not None


def test_resets_and_slow_answers(clean_proxy: FaultProxy, make: Callable[..., Any]) -> None:
    clean_proxy.set("reset")
    with pytest.raises(ConnectionClosedError):
        make("sts").get_caller_identity()
    clean_proxy.set("slow", delay=3)
    with pytest.raises(ReadTimeoutError):
        make("sts", read_timeout=1).get_caller_identity()


def test_requests_and_mutating_ones_are_counted_and_faults_switch_over_http(
    clean_proxy: FaultProxy, make: Callable[..., Any]
) -> None:
    ec2 = make("ec2")
    ec2.describe_instances()
    ec2.create_key_pair(KeyName="fault-proxy-counting")
    ec2.delete_key_pair(KeyName="fault-proxy-counting")
    make("securityhub").get_findings(MaxResults=1)
    ask = urllib.request.Request(
        clean_proxy.url + CONTROL_PATH,
        data=json.dumps({"mode": "http503", "service": "ec2"}).encode(),
        method="POST",
    )
    with urllib.request.urlopen(ask, timeout=5) as reply:
        state = json.loads(reply.read())
    assert state["faults"] == [{"mode": "http503", "service": "ec2", "rate": 1.0, "delay": 35.0}]
    assert state["calls"] == {
        "ec2:DescribeInstances": 1,
        "ec2:CreateKeyPair": 1,
        "ec2:DeleteKeyPair": 1,
        "securityhub:GetFindings": 1,
    }
    assert state["mutating"] == {"ec2:CreateKeyPair": 1, "ec2:DeleteKeyPair": 1}
    assert _code(lambda: ec2.describe_instances()) == "Unavailable"


def test_a_rate_throttles_some_calls_not_all(clean_proxy: FaultProxy, make: Callable[..., Any]) -> None:
    clean_proxy.set("throttle", rate=0.5)
    sts = make("sts")
    outcomes = []
    for _ in range(40):
        try:
            sts.get_caller_identity()
            outcomes.append("ok")
        except ClientError:
            outcomes.append("throttled")
    assert 5 < outcomes.count("throttled") < 35
