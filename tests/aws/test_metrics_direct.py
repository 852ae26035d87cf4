"""GetMetricData outside botocore (``metrics._direct``): after a client's first call, its calls are
the same request botocore sent, with a new body, signed by the client's signer and sent on its own
connections; a call that does not succeed there is made again through botocore. Against a plain
moto server; region ap-southeast-3 is this module's own on the shared server."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

import tui.aws.metrics as metrics
from tests.plain_moto import boto3_factory
from tui.aws.clients import AwsTarget, ClientFactory
from tui.aws.metrics import MetricQuery, QueryPlan, get_metric_data

REGION = "ap-southeast-3"
NOW = datetime.now(UTC).replace(second=0, microsecond=0)
START, END = NOW - timedelta(minutes=10), NOW
FROZEN = datetime(2026, 12, 7, 19, 0, 0, tzinfo=UTC).replace(tzinfo=None)  # naive UTC, as botocore reads it


@pytest.fixture
async def factory(plain_moto_url: str) -> AsyncIterator[ClientFactory]:
    made = ClientFactory(
        AwsTarget(regions=(REGION,), endpoint_url=plain_moto_url, access_key="testing", secret_key="testing")
    )
    yield made
    await made.close()


def plan_with_points(url: str) -> QueryPlan:
    """Three volumes' read ops, each with a point a minute for five minutes."""
    cloudwatch = boto3_factory(url)("cloudwatch", region=REGION)
    times = [NOW - timedelta(minutes=m) for m in range(1, 6)]
    queries = []
    for n in range(3):
        vid = f"vol-0direct{n:08d}"
        cloudwatch.put_metric_data(
            Namespace="AWS/EBS",
            MetricData=[
                {
                    "MetricName": "VolumeReadOps",
                    "Dimensions": [{"Name": "VolumeId", "Value": vid}],
                    "Timestamp": t,
                    "Value": 100.0 * (n + 1),
                    "Unit": "Count",
                }
                for t in times
            ],
        )
        queries.append(
            MetricQuery(f"{vid}|VolumeReadOps", "AWS/EBS", "VolumeReadOps", (("VolumeId", vid),), "Sum", 60)
        )
    return QueryPlan(queries)


class Sent:
    """Every request the client's connections send, and those botocore itself sent (``before-send``)."""

    def __init__(self, client: Any, monkeypatch: pytest.MonkeyPatch) -> None:
        self.wire: list[Any] = []
        self.botocore: list[Any] = []
        self.fail_next = 0
        http = client._endpoint.http_session
        original = http.send

        async def send(request: Any) -> Any:
            self.wire.append(request)
            if self.fail_next:
                self.fail_next -= 1
                raise ConnectionResetError("reset by the test")
            return await original(request)

        monkeypatch.setattr(http, "send", send)
        client.meta.events.register(
            "before-send.cloudwatch.GetMetricData", lambda request, **_: self.botocore.append(request)
        )


def text_headers(request: Any) -> dict[str, str]:
    """The headers as text, the call's own id (a new one each call) aside."""
    headers = {k: v.decode() if isinstance(v, bytes) else v for k, v in request.headers.items()}
    assert len(headers.pop("amz-sdk-invocation-id")) == 36
    return headers


async def recorded(
    url: str, factory: ClientFactory, monkeypatch: pytest.MonkeyPatch
) -> tuple[QueryPlan, Any, Sent]:
    """The points' plan, the region's CloudWatch client and what it sends."""
    plan = plan_with_points(url)
    client = await factory.client("cloudwatch", REGION)
    return plan, client, Sent(client, monkeypatch)


def series_of(batch: Any) -> dict[str, tuple[list[float], list[float]]]:
    return {key: (list(s.timestamps), list(s.values)) for key, s in batch.series.items()}


async def test_calls_after_the_first_are_botocores_request_signed_as_it_signs_them(
    plain_moto_url: str, factory: ClientFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    plan, _, sent = await recorded(plain_moto_url, factory, monkeypatch)
    monkeypatch.setattr("botocore.auth.get_current_datetime", lambda: FROZEN)  # both signed at once
    first = await get_metric_data(factory, REGION, plan, START, END)
    second = await get_metric_data(factory, REGION, plan, START, END)

    assert len(sent.wire) == 2 and len(sent.botocore) == 1, "the second call is made outside botocore"
    ours, theirs = sent.wire[1], sent.botocore[0]
    assert ours.url == theirs.url and ours.method == theirs.method == "POST"
    assert ours.body == theirs.body
    assert text_headers(ours) == text_headers(theirs)  # Authorization, X-Amz-Date, X-Amz-Target...
    assert "Authorization" in ours.headers and "GetMetricData" in ours.headers["X-Amz-Target"]
    assert series_of(second) == series_of(first) and len(first.series) == 3
    assert {key: s.values[0] for key, s in second.series.items()} == {
        f"vol-0direct{n:08d}|VolumeReadOps": 100.0 * (n + 1) for n in range(3)
    }
    assert factory.calls["cloudwatch:GetMetricData"] == 2  # each call counted once


async def test_a_call_that_fails_outside_botocore_is_made_again_through_it_and_counted_once(
    plain_moto_url: str, factory: ClientFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    plan, client, sent = await recorded(plain_moto_url, factory, monkeypatch)
    first = await get_metric_data(factory, REGION, plan, START, END)
    assert getattr(client, metrics._ROUTE) is not None

    sent.fail_next = 1  # the connection resets under the call made outside botocore
    reset = await get_metric_data(factory, REGION, plan, START, END)
    assert len(sent.wire) == 3 and len(sent.botocore) == 2
    assert series_of(reset) == series_of(first)

    # An answer that is not 2xx (here to an operation the server does not know) is made again so.
    route = getattr(client, metrics._ROUTE)
    unknown = tuple(
        (k, "GraniteServiceVersion20100801.NoSuchOperation" if k == "X-Amz-Target" else v)
        for k, v in route.headers
    )
    setattr(client, metrics._ROUTE, dataclasses.replace(route, headers=unknown))
    refused = await get_metric_data(factory, REGION, plan, START, END)
    assert len(sent.wire) == 5 and len(sent.botocore) == 3
    assert series_of(refused) == series_of(first)
    assert factory.calls["cloudwatch:GetMetricData"] == 3
    # botocore's call found the route again: the next call is outside botocore once more.
    assert getattr(client, metrics._ROUTE) == route
    await get_metric_data(factory, REGION, plan, START, END)
    assert len(sent.wire) == 6 and len(sent.botocore) == 3

    # While calls fail, they are botocore's alone: the endpoint is not asked twice a call.
    sent.fail_next = 100
    with pytest.raises(Exception, match="reset by the test"):
        await get_metric_data(factory, REGION, plan, START, END)
    assert getattr(client, metrics._ROUTE) is None
    wire, through = len(sent.wire), len(sent.botocore)
    with pytest.raises(Exception, match="reset by the test"):
        await get_metric_data(factory, REGION, plan, START, END)
    assert len(sent.wire) - wire == len(sent.botocore) - through  # every request botocore's own
    sent.fail_next = 0
    again = await get_metric_data(factory, REGION, plan, START, END)
    assert series_of(again) == series_of(first) and getattr(client, metrics._ROUTE) == route
