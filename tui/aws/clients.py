"""The one place that builds AWS clients: profile, region, endpoint, retries and rate limits.

Credentials follow botocore's standard chain exactly as the AWS CLI does (environment, profiles,
SSO, process credentials, container and instance roles), and ``AWS_ENDPOINT_URL`` /
``AWS_ENDPOINT_URL_<SERVICE>`` are honoured by botocore itself when no endpoint is given.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from typing import Any

from aiobotocore.config import AioConfig
from aiobotocore.session import AioSession, get_session

from tui import __version__
from tui.aws.ratelimit import RateLimiter

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AwsTarget:
    """Where the console points: the same knobs as the AWS CLI."""

    profile: str | None = None
    regions: tuple[str, ...] = ()
    endpoint_url: str | None = None
    # Explicit static credentials; only the simulator uses them (its keys are not secrets).
    access_key: str | None = field(default=None, repr=False)
    secret_key: str | None = field(default=None, repr=False)

    @property
    def primary_region(self) -> str | None:
        return self.regions[0] if self.regions else None


def retry_config(max_attempts: int = 6) -> AioConfig:
    return AioConfig(
        retries={"mode": "adaptive", "total_max_attempts": max_attempts},
        connect_timeout=5,
        read_timeout=30,
        user_agent_extra=f"warroom/{__version__}",
        max_pool_connections=20,
    )


class ClientFactory:
    """Builds and caches aiobotocore clients per (service, region); close() releases them.

    Every client runs its calls through the shared ``RateLimiter`` first, and every call is counted
    in ``calls`` by ``service:Operation`` (retries of one call count once).
    """

    def __init__(
        self,
        target: AwsTarget,
        *,
        limiter: RateLimiter | None = None,
        session: AioSession | None = None,
    ) -> None:
        self.target = target
        self.limiter = limiter or RateLimiter()
        self._session = session or self._make_session(target)
        self._stack = AsyncExitStack()
        self._clients: dict[tuple[str, str], Any] = {}
        self._lock = asyncio.Lock()
        self.calls: Counter[str] = Counter()

    @staticmethod
    def _make_session(target: AwsTarget) -> AioSession:
        session = get_session()
        if target.profile:
            session.set_config_variable("profile", target.profile)
        return session

    @property
    def region(self) -> str:
        """The primary region: --region first, then the profile's or environment's region."""
        if self.target.primary_region:
            return self.target.primary_region
        configured = self._session.get_config_variable("region")
        return str(configured) if configured else "us-east-1"

    @property
    def regions(self) -> tuple[str, ...]:
        return self.target.regions or (self.region,)

    async def client(self, service: str, region: str | None = None) -> Any:
        """A long-lived client for ``service`` in ``region`` (default: the primary region)."""
        region = region or self.region
        key = (service, region)
        client = self._clients.get(key)
        if client is not None:
            return client
        async with self._lock:
            client = self._clients.get(key)
            if client is None:
                kwargs: dict[str, Any] = {"region_name": region, "config": retry_config()}
                if self.target.endpoint_url:
                    kwargs["endpoint_url"] = self.target.endpoint_url
                if self.target.access_key and self.target.secret_key:
                    kwargs["aws_access_key_id"] = self.target.access_key
                    kwargs["aws_secret_access_key"] = self.target.secret_key
                client = await self._stack.enter_async_context(self._session.create_client(service, **kwargs))
                self._install_limiter(client, region)
                self._clients[key] = client
        return client

    def _install_limiter(self, client: Any, region: str) -> None:
        limiter = self.limiter
        calls = self.calls
        service = client.meta.service_model.service_name

        async def throttle(model: Any, **_: Any) -> None:
            calls[f"{service}:{model.name}"] += 1
            await limiter.acquire(region, service, model.name)

        client.meta.events.register("before-call", throttle)

    async def close(self) -> None:
        self._clients.clear()
        await self._stack.aclose()
