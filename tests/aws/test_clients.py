"""The client factory: endpoint, adaptive retries, rate limiter on every call, cached clients."""

from __future__ import annotations

import dataclasses
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from botocore.parsers import ResponseParserError

from tests.helpers import sim_settings
from tui.aws.clients import AwsTarget, ClientFactory, retry_config
from tui.aws.errors import classify
from tui.aws.identity import caller_identity
from tui.aws.ratelimit import RateLimiter
from tui.settings import Intervals


class RecordingLimiter(RateLimiter):
    def __init__(self) -> None:
        super().__init__()
        self.calls: list[tuple[str, str, str]] = []

    async def acquire(self, region: str, service: str, operation: str) -> None:
        self.calls.append((region, service, operation))
        await super().acquire(region, service, operation)


def test_retries_are_adaptive() -> None:
    config = retry_config()
    assert config.retries is not None and config.retries["mode"] == "adaptive"


async def test_idle_connections_outlive_the_longest_default_interval(sim_url: str) -> None:
    """A feed's next cycle reuses the connections of its last one: none is opened (or, against AWS,
    handshaken) again every cycle."""
    factory = ClientFactory(sim_settings(sim_url).target)
    try:
        cloudwatch = await factory.client("cloudwatch")
        await cloudwatch.list_metrics()
        sessions = cloudwatch._endpoint.http_session._sessions.values()
        kept = [session.connector._keepalive_timeout for session in sessions]
    finally:
        await factory.close()
    intervals = dataclasses.asdict(Intervals())
    longest = max(seconds for name, seconds in intervals.items() if name != "max_backoff")
    assert kept and min(kept) > longest


async def test_every_call_goes_through_the_rate_limiter(sim_url: str) -> None:
    limiter = RecordingLimiter()
    factory = ClientFactory(sim_settings(sim_url).target, limiter=limiter)
    try:
        identity = await caller_identity(factory)
        ec2 = await factory.client("ec2")
        async for _ in ec2.get_paginator("describe_volumes").paginate():
            pass
        assert await factory.client("ec2") is ec2
        assert await factory.client("ec2", "eu-west-1") is not ec2
    finally:
        await factory.close()
    assert identity.account == "123456789012"
    assert ("us-east-1", "sts", "GetCallerIdentity") in limiter.calls
    assert ("us-east-1", "ec2", "DescribeVolumes") in limiter.calls


def test_region_falls_back_to_the_profile_chain(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-north-1")
    assert ClientFactory(AwsTarget()).region == "eu-north-1"
    assert ClientFactory(AwsTarget(regions=("ap-south-1", "us-west-2"))).regions == (
        "ap-south-1",
        "us-west-2",
    )


async def test_endpoint_from_environment_is_honoured(sim_url: str, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("AWS_ENDPOINT_URL", sim_url)
    factory = ClientFactory(AwsTarget(regions=("us-east-1",)))
    try:
        assert (await caller_identity(factory)).account == "123456789012"
    finally:
        await factory.close()


async def test_s3_control_reaches_an_explicit_endpoint_for_any_account(sim_url: str) -> None:
    import pytest
    from botocore.exceptions import ClientError

    target = AwsTarget(
        regions=("us-east-1",), endpoint_url=sim_url, access_key="testing", secret_key="testing"
    )
    factory = ClientFactory(target)
    try:
        control = await factory.client("s3control")
        # Without the fix the host is "123456789012.127.0.0.1", which never resolves: the call
        # raises EndpointConnectionError instead of reaching the simulator, which answers for an
        # account with no block configured.
        with pytest.raises(ClientError, match="NoSuchPublicAccessBlockConfiguration"):
            await control.get_public_access_block(AccountId="123456789012")
    finally:
        await factory.close()


def test_profile_in_use_is_the_flag_then_the_environment(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    config = tmp_path / "config"
    config.write_text("[profile from-env]\nregion = eu-west-1\n[profile from-flag]\nregion = eu-west-2\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    assert ClientFactory(AwsTarget()).profile is None
    monkeypatch.setenv("AWS_PROFILE", "from-env")
    assert ClientFactory(AwsTarget()).profile == "from-env"
    assert ClientFactory(AwsTarget(profile="from-flag")).profile == "from-flag"


class _CutJson(BaseHTTPRequestHandler):
    """Answers every request 200 with half a JSON document, its Content-Length saying that half."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        body = json.dumps({"StreamNames": ["orders", "clicks"], "HasMoreStreams": False}).encode()
        cut = body[: len(body) // 2]
        self.send_response(200)
        self.send_header("Content-Type", "application/x-amz-json-1.1")
        self.send_header("Content-Length", str(len(cut)))
        self.end_headers()
        self.wfile.write(cut)

    def log_message(self, *_: Any) -> None:
        pass


async def test_a_json_answer_cut_short_is_an_error_in_words_not_an_empty_answer() -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _CutJson)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    target = AwsTarget(
        regions=("us-east-1",),
        endpoint_url=f"http://127.0.0.1:{server.server_address[1]}",
        access_key="testing",
        secret_key="testing",
    )
    factory = ClientFactory(target)
    try:
        kinesis = await factory.client("kinesis")
        with pytest.raises(ResponseParserError) as raised:
            await kinesis.list_streams()
    finally:
        await factory.close()
        server.shutdown()
        server.server_close()
    problem = classify(raised.value)
    assert "could not be read" in problem.message, problem
