"""moto's serializer answers the same with what it works out kept (``tui.sim.moto_serializer``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tui.sim.server import SimServer

ClientMaker = Callable[..., Any]

CALLS: list[tuple[str, str, dict[str, Any]]] = [
    ("ec2", "describe_instances", {}),
    ("ec2", "describe_volumes", {}),
    ("ec2", "describe_security_groups", {}),
    ("ec2", "describe_instance_types", {"InstanceTypes": ["m5.large", "t3.medium"]}),
    (
        "ec2",
        "describe_images",
        {"Filters": [{"Name": "name", "Values": ["al2023-ami-2023*-kernel-6.1-x86_64"]}]},
    ),
    ("ec2", "describe_vpcs", {}),
    ("ssm", "describe_instance_information", {}),
    ("kinesis", "list_streams", {}),
    ("kinesis", "describe_stream_summary", {"StreamName": "payments-events"}),
    ("securityhub", "get_findings", {"MaxResults": 100}),
    ("iam", "list_users", {}),
    ("iam", "list_roles", {}),
    ("s3", "list_buckets", {}),
    ("cloudtrail", "describe_trails", {}),
    ("lambda", "list_functions", {}),
    ("service-quotas", "get_service_quota", {"ServiceCode": "ec2", "QuotaCode": "L-1216C47A"}),
]


def _answers(client: ClientMaker) -> list[Any]:
    found = []
    for service, operation, params in CALLS:
        reply = getattr(client(service), operation)(**params)
        reply.pop("ResponseMetadata", None)
        found.append(reply)
    return found


def test_the_answers_are_the_same_as_moto_s_own(
    sim: SimServer, client: ClientMaker, monkeypatch: pytest.MonkeyPatch
) -> None:
    import moto.core.serialize as serialize

    kept = serialize.AttributePicker.__dict__["__call__"]
    assert "warroom_original" in kept.__dict__, "the simulator runs moto's own serializer"
    with_kept = _answers(client)
    assert with_kept == _answers(client), "the answers change from one call to the next"
    monkeypatch.setattr(serialize.AttributePicker, "__call__", kept.__dict__["warroom_original"])
    assert with_kept == _answers(client)
    sizes = [len(next(iter(reply.values()))) for reply in with_kept if len(reply) == 1]
    assert all(sizes), "a listing came back empty: it proves nothing"
