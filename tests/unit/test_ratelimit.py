from __future__ import annotations

import asyncio

from tui.aws.ratelimit import DEFAULT_RATE, Rate, RateLimiter, TokenBucket, rate_for


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_documented_rates_are_used() -> None:
    assert rate_for("securityhub", "GetFindings") == Rate(3, 6)
    assert rate_for("securityhub", "BatchUpdateFindings") == Rate(10, 30)
    assert rate_for("kinesis", "ListStreamConsumers") == Rate(5, 5)
    assert rate_for("ec2", "DescribeVolumes") == rate_for("ec2", "*")
    assert rate_for("nosuch", "Op") == DEFAULT_RATE


def test_bucket_allows_burst_then_paces() -> None:
    clock = FakeClock()
    bucket = TokenBucket(Rate(3, 6), clock)
    for _ in range(6):
        assert bucket.wait_needed() == 0
        bucket._tokens -= 1
    assert abs(bucket.wait_needed() - 1 / 3) < 1e-9
    clock.now += 1.0
    assert bucket.wait_needed() == 0


def test_operations_without_own_quota_share_the_service_bucket() -> None:
    limiter = RateLimiter(FakeClock())
    assert limiter.bucket("us-east-1", "ec2", "DescribeVolumes") is limiter.bucket(
        "us-east-1", "ec2", "DescribeInstances"
    )
    assert limiter.bucket("us-east-1", "securityhub", "GetFindings") is not limiter.bucket(
        "us-east-1", "securityhub", "BatchUpdateFindings"
    )
    assert limiter.bucket("us-east-1", "ec2", "X") is not limiter.bucket("eu-west-1", "ec2", "X")


async def test_acquire_waits_when_empty() -> None:
    bucket = TokenBucket(Rate(50, 1))
    loop = asyncio.get_running_loop()
    start = loop.time()
    await bucket.acquire()
    await bucket.acquire()
    assert loop.time() - start >= 0.015
