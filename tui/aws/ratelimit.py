"""Client-side rate limits per API, sized from AWS's documented quotas.

botocore's adaptive retry mode reacts to throttling after it happens; these token buckets keep the
console under the documented rates in the first place, so a busy pane does not starve the others
(or another tool sharing the account's quota).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Rate:
    """A sustained rate in requests per second with a burst capacity."""

    per_second: float
    burst: float


# (service name as botocore spells it, operation) -> documented quota. "*" is the service default.
DOCUMENTED_RATES: dict[tuple[str, str], Rate] = {
    ("securityhub", "GetFindings"): Rate(3, 6),
    ("securityhub", "BatchUpdateFindings"): Rate(10, 30),
    ("securityhub", "BatchImportFindings"): Rate(10, 30),
    ("securityhub", "*"): Rate(10, 30),
    ("cloudwatch", "GetMetricData"): Rate(50, 50),
    ("cloudwatch", "GetMetricStatistics"): Rate(400, 400),
    ("cloudwatch", "ListMetrics"): Rate(25, 25),
    ("cloudwatch", "*"): Rate(20, 20),
    # EC2 throttles with token buckets: non-mutating actions 100 burst, 20/s refill.
    ("ec2", "*"): Rate(20, 100),
    ("kinesis", "DescribeStreamSummary"): Rate(20, 20),
    ("kinesis", "ListStreamConsumers"): Rate(5, 5),
    ("kinesis", "DescribeStreamConsumer"): Rate(20, 20),
    ("kinesis", "ListStreams"): Rate(5, 5),
    ("kinesis", "ListShards"): Rate(100, 100),
    ("kinesis", "UpdateShardCount"): Rate(1, 1),
    ("kinesis", "*"): Rate(5, 5),
    ("ssm", "DescribeInstanceInformation"): Rate(10, 20),
    ("ssm", "*"): Rate(10, 20),
    ("service-quotas", "*"): Rate(10, 10),
    ("sts", "*"): Rate(10, 20),
}
DEFAULT_RATE = Rate(10, 20)


def rate_for(service: str, operation: str) -> Rate:
    return DOCUMENTED_RATES.get((service, operation)) or DOCUMENTED_RATES.get((service, "*")) or DEFAULT_RATE


class TokenBucket:
    """An asyncio token bucket. ``acquire()`` waits until a token is available."""

    def __init__(self, rate: Rate, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = rate
        self._clock = clock
        self._tokens = rate.burst
        self._stamp = clock()
        self._lock = asyncio.Lock()

    def _refill(self) -> None:
        now = self._clock()
        self._tokens = min(self.rate.burst, self._tokens + (now - self._stamp) * self.rate.per_second)
        self._stamp = now

    def wait_needed(self) -> float:
        """Seconds until one token is available (0 if one is available now)."""
        self._refill()
        if self._tokens >= 1:
            return 0.0
        return (1 - self._tokens) / self.rate.per_second

    async def acquire(self) -> None:
        async with self._lock:
            delay = self.wait_needed()
            if delay > 0:
                await asyncio.sleep(delay)
                self._refill()
            self._tokens -= 1


class RateLimiter:
    """One bucket per (region, service, operation), created on first use."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._buckets: dict[tuple[str, str, str], TokenBucket] = {}

    def bucket(self, region: str, service: str, operation: str) -> TokenBucket:
        # Operations without a quota of their own share their service's bucket, as AWS counts them.
        shared = (service, operation) not in DOCUMENTED_RATES
        key = (region, service, "*" if shared else operation)
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = TokenBucket(rate_for(service, operation), self._clock)
        return bucket

    async def acquire(self, region: str, service: str, operation: str) -> None:
        await self.bucket(region, service, operation).acquire()
