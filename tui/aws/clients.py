"""The one place that builds AWS clients: profile, region, endpoint, retries and rate limits.

Credentials follow botocore's standard chain exactly as the AWS CLI does (environment, profiles,
SSO, process credentials, container and instance roles), and ``AWS_ENDPOINT_URL`` /
``AWS_ENDPOINT_URL_<SERVICE>`` are honoured by botocore itself when no endpoint is given.

A client may also run as an IAM role of another account: the factory assumes the role with
sts:AssumeRole through its own STS client (rate limited and counted like every call), keeps the
temporary credentials until shortly before they expire, and refreshes them on the next call after that.
Or it may run with a named profile's credentials (another account's, as the AWS CLI's ``--profile``):
the profile is resolved by botocore like any other, SSO and ``role_arn``/``source_profile`` included.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable
from contextlib import AsyncExitStack
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from aiobotocore.config import AioConfig
from aiobotocore.credentials import AioCredentialResolver, AioRefreshableCredentials
from aiobotocore.session import AioSession, get_session
from botocore.configprovider import ConfiguredEndpointProvider
from botocore.exceptions import BotoCoreError, ClientError
from botocore.parsers import ResponseParserError

from tui import __version__
from tui.aws.ratelimit import RateLimiter
from tui.aws.scope import Place, home_places
from tui.aws.target import AwsTarget as AwsTarget  # re-exported: callers build it with the factory

log = logging.getLogger(__name__)

#: The RoleSessionName of every assumed role: CloudTrail in the target account shows it.
ROLE_SESSION_NAME = "warroom"
#: Assumed-role credentials are replaced this long before they expire.
ROLE_REFRESH_BEFORE = timedelta(minutes=5)
#: Calls in flight longer than this are forgotten (their task was cancelled), checked past this many.
IN_FLIGHT_FORGET_S = 900.0
IN_FLIGHT_KEPT = 200
ROLE_ARN = re.compile(r"^arn:aws(?:-[a-z]+)*:iam::\d{12}:role/[\w+=,.@/-]{1,512}$")


T = TypeVar("T")

#: Who makes the calls of the current task (a pane's name while it polls): the calls it is waiting for
#: are told apart from those of other panes by it.
CALLER: ContextVar[str] = ContextVar("warroom_caller", default="")


@dataclass(frozen=True)
class InFlight:
    """One API call that has been sent and not yet answered (its retries included)."""

    service: str
    operation: str
    started: float
    """``time.monotonic()`` when the call was made."""
    caller: str

    def waited(self, now: float | None = None) -> float:
        return (time.monotonic() if now is None else now) - self.started


def account_of_role(role_arn: str) -> str:
    """The account id in an IAM role ARN ("" when it is not one)."""
    return role_arn.split(":")[4] if ROLE_ARN.match(role_arn) else ""


def invalid_role_arn(role_arn: str) -> ClientError:
    """The ValidationError STS answers a malformed role ARN with, raised before anything is sent."""
    return ClientError(
        {
            "Error": {
                "Code": "ValidationError",
                "Message": f"{role_arn!r} is not an IAM role ARN (arn:aws:iam::<account>:role/<name>)",
            },
            "ResponseMetadata": {"ServiceName": "sts"},
        },
        "AssumeRole",
    )


class _RoleCredentialProvider:
    """A credential provider that always answers with one role's refreshable credentials."""

    METHOD = "assume-role"
    CANONICAL_NAME = "custom-warroom-assume-role"

    def __init__(self, credentials: Any) -> None:
        self._credentials = credentials

    async def load(self) -> Any:
        return self._credentials


KEEPALIVE_S = 75.0
"""How long an idle connection is kept for the next call: longer than a feed's default interval (60 s
at most), so a cycle's calls reuse the last cycle's connections instead of opening up to 20 new ones
and, against AWS, handshaking TLS on each (aiohttp's default, 12 s, closed them between every two
cycles). A connection the endpoint closes sooner is dropped as it closes."""


def retry_config(max_attempts: int = 4) -> AioConfig:
    return AioConfig(
        retries={"mode": "adaptive", "total_max_attempts": max_attempts},
        connect_timeout=5,
        read_timeout=20,
        user_agent_extra=f"warroom/{__version__}",
        max_pool_connections=20,
        connector_args={"keepalive_timeout": KEEPALIVE_S},
    )


_ACCOUNT_HOST = re.compile(r"^(https?://)\d{12}\.")


def _one_endpoint_for_every_account(request: Any, **_: Any) -> None:
    """S3 Control's endpoint rules put ``<account-id>.`` before the host; an explicit endpoint (a local
    stand-in for AWS) serves every account at its own host, so the prefix is removed before signing."""
    request.url = _ACCOUNT_HOST.sub(r"\1", request.url, count=1)


def _refuse_unreadable_json(operation_model: Any = None, response_dict: Any = None, **_: Any) -> None:
    """A 2xx JSON answer that is not one whole JSON object is an error, not an empty answer.

    botocore reads a JSON body it cannot parse as ``{"message": body}``, so an answer cut short with
    a length that matches (a proxy or a middlebox closing early) would read as an empty list of
    streams or findings, shown as live. AWS's JSON protocols answer with one object (some
    endpoints, the simulator's among them, with ``null`` for nothing): a body that does not open
    and close as one JSON value is refused here (a cheap test, no second parse).
    """
    if operation_model is None or not response_dict:
        return
    if operation_model.service_model.resolved_protocol not in {"json", "rest-json"}:
        return
    if operation_model.has_streaming_output or not 200 <= int(response_dict.get("status_code", 0)) < 300:
        return
    body = response_dict.get("body")
    if not isinstance(body, bytes | bytearray):
        return
    text = body.strip()
    whole = text == b"null" or (text[:1], text[-1:]) in {(b"{", b"}"), (b"[", b"]")}
    if text and not whole:
        raise ResponseParserError(f"the answer of {len(body)} bytes is not a whole JSON document")


class ClientFactory:
    """Builds and caches aiobotocore clients per (service, region, role or profile); close() releases them.

    Every client runs its calls through the shared ``RateLimiter`` first, and every call is counted
    in ``calls`` by ``service:Operation`` (retries of one call count once). ``clock`` is the time
    assumed-role credentials are checked against.
    """

    def __init__(
        self,
        target: AwsTarget,
        *,
        limiter: RateLimiter | None = None,
        session: AioSession | None = None,
        clock: Callable[[], datetime] | None = None,
        ready: Callable[[], Awaitable[object]] | None = None,
    ) -> None:
        self.target = target
        self._ready = ready
        """Awaited before any client is made: an endpoint still starting behind the console's first
        frame (the demo's simulator); its error is every call's. None once it has ended well."""
        self.limiter = limiter or RateLimiter()
        self._session = session or self._make_session(target)
        self._clock: Callable[[], datetime] = clock or (lambda: datetime.now(UTC))
        self._stack = AsyncExitStack()
        self._clients: dict[tuple[str, str, str], Any] = {}
        self._lock = asyncio.Lock()
        self._roles: dict[str, tuple[AioSession, Any]] = {}
        self._profiles: dict[str, AioSession] = {}
        self._role_locks: dict[str, asyncio.Lock] = {}
        self.calls: Counter[str] = Counter()
        self._in_flight: dict[int, InFlight] = {}
        self._success_listeners: list[Callable[[str], None]] = []
        self._failing = False
        self._probe_lock = asyncio.Lock()
        self._probed_at = float("-inf")
        self._places: tuple[Place, ...] = ()

    # -- what is in flight, and telling the panes that AWS answers again --

    def waiting_for(self, caller: str, *, since: float = float("-inf")) -> InFlight | None:
        """The oldest call ``caller`` made at or after ``since`` (monotonic) and still waits for."""
        mine = [c for c in self._in_flight.values() if c.caller == caller and c.started >= since]
        return min(mine, key=lambda c: c.started) if mine else None

    def on_success(self, listener: Callable[[str], None]) -> Callable[[], None]:
        """Call ``listener(service)`` when a call succeeds after calls failed; returns the unsubscriber."""
        self._success_listeners.append(listener)

        def unsubscribe() -> None:
            if listener in self._success_listeners:
                self._success_listeners.remove(listener)

        return unsubscribe

    def _succeeded(self, service: str) -> None:
        if not self._failing:
            return
        self._failing = False
        for listener in list(self._success_listeners):
            try:
                listener(service)
            except Exception:  # a listener's fault never fails the call that succeeded
                log.exception("success listener failed")

    async def probe(self, *, min_gap: float = 1.0) -> bool:
        """One cheap call (sts:GetCallerIdentity, no retries) to learn whether AWS answers again.

        Panes waiting out a long backoff call this once per interval, so that a fault clearing is seen
        within an interval whatever the backoff had reached; probes closer than ``min_gap`` seconds
        apart are one probe. A success tells every listener (``on_success``).
        """
        async with self._probe_lock:
            if time.monotonic() - self._probed_at < min_gap:
                return not self._failing
            self._probed_at = time.monotonic()
            try:
                sts = await self._client("sts", self.region, None, 1)
                await sts.get_caller_identity()
            except Exception as exc:  # the answer is the point, not the identity
                log.debug("probe failed: %s", type(exc).__name__)
                return False
            return True

    @staticmethod
    def _make_session(target: AwsTarget) -> AioSession:
        session = get_session()
        if target.profile:
            session.set_config_variable("profile", target.profile)
        return session

    @property
    def profile(self) -> str | None:
        """The named profile really in use: --profile first, then AWS_PROFILE (or AWS_DEFAULT_PROFILE),
        as botocore resolves it; None for the default profile and chain."""
        if self.target.profile:
            return self.target.profile
        configured = self._session.get_config_variable("profile")
        return str(configured) if configured else None

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

    @property
    def places(self) -> tuple[Place, ...]:
        """Where the pollers read (``tui.aws.scope``): the accounts and regions set with
        ``set_places`` (an organization), else the credential's own account in each region."""
        return self._places or home_places(self.regions)

    def set_places(self, places: Iterable[Place]) -> None:
        """Read these places from the next poll on (an empty list: the credential's own account)."""
        self._places = tuple(places)

    def endpoint_for(self, service: str) -> str | None:
        """The endpoint URL ``service``'s clients use when one is set: --endpoint-url first, then what
        botocore resolves itself (AWS_ENDPOINT_URL_<SERVICE>, AWS_ENDPOINT_URL, the config file)."""
        if self.target.endpoint_url:
            return self.target.endpoint_url
        session = self._session
        try:
            if session.get_config_variable("ignore_configured_endpoint_urls"):
                return None
            provider = ConfiguredEndpointProvider(
                full_config=session.full_config,
                scoped_config=session.get_scoped_config(),
                client_name=service,
            )
            url = provider.provide()
        except BotoCoreError:  # a missing profile or a broken config: no endpoint is configured either
            return None
        return str(url) if url else None

    def profile_in_use(self) -> str | None:
        """The named profile whose credentials the clients use (--profile, else AWS_PROFILE); None when
        they use explicit keys or the default chain."""
        if self.target.access_key and self.target.secret_key:
            return None
        return self.profile

    async def client(
        self,
        service: str,
        region: str | None = None,
        *,
        role_arn: str | None = None,
        profile: str | None = None,
    ) -> Any:
        """A long-lived client for ``service`` in ``region`` (default: the primary region).

        With ``role_arn`` the client runs as that IAM role (sts:AssumeRole on first use); errors of
        AssumeRole, such as AccessDenied, are raised here as botocore's ``ClientError``. With
        ``profile`` it runs with that named profile's credentials (botocore's ``ProfileNotFound`` when
        there is none); not both.
        """
        if role_arn and profile:
            raise ValueError("a client runs as a role or with a profile, not both")
        return await self._client(service, region or self.region, role_arn, 0, profile=profile)

    async def _client(
        self, service: str, region: str, role_arn: str | None, attempts: int, *, profile: str | None = None
    ) -> Any:
        """The cached client; ``attempts`` other than 0 makes one with that many attempts per call."""
        if self._ready is not None:
            await self._ready()
            self._ready = None
        via = role_arn or (f"profile:{profile}" if profile else "")
        key = (service, region, f"{via}#{attempts}" if attempts else via)
        client = self._clients.get(key)
        if client is not None:
            return client
        via_session = (
            await self._role_session(role_arn)
            if role_arn
            else self._profile_session(profile)
            if profile
            else None
        )
        async with self._lock:
            client = self._clients.get(key)
            if client is None:
                config = retry_config(attempts) if attempts else retry_config()
                kwargs: dict[str, Any] = {"region_name": region, "config": config}
                if self.target.endpoint_url:
                    kwargs["endpoint_url"] = self.target.endpoint_url
                if via_session is None and self.target.access_key and self.target.secret_key:
                    kwargs["aws_access_key_id"] = self.target.access_key
                    kwargs["aws_secret_access_key"] = self.target.secret_key
                session = via_session or self._session
                made: Any = await self._stack.enter_async_context(session.create_client(service, **kwargs))
                self._install_limiter(made, region)
                made.meta.events.register("before-parse", _refuse_unreadable_json)
                if self.target.endpoint_url and service == "s3control":
                    made.meta.events.register("before-sign", _one_endpoint_for_every_account)
                self._clients[key] = client = made
        return client

    async def _role_session(self, role_arn: str) -> AioSession:
        """A session whose credentials are ``role_arn``'s, assuming the role once however many ask."""
        known = self._roles.get(role_arn)
        if known is not None:
            return known[0]
        if not ROLE_ARN.match(role_arn):
            raise invalid_role_arn(role_arn)
        lock = self._role_locks.setdefault(role_arn, asyncio.Lock())
        async with lock:
            known = self._roles.get(role_arn)
            if known is not None:
                return known[0]
            first = await self._assume(role_arn)
            credentials = AioRefreshableCredentials(
                access_key=first["access_key"],
                secret_key=first["secret_key"],
                token=first["token"],
                expiry_time=datetime.fromisoformat(first["expiry_time"]),
                refresh_using=lambda: self._assume(role_arn),
                method=_RoleCredentialProvider.METHOD,
                time_fetcher=self._clock,
                advisory_timeout=ROLE_REFRESH_BEFORE.total_seconds(),
                mandatory_timeout=ROLE_REFRESH_BEFORE.total_seconds(),
            )
            session = self._make_session(self.target)
            session.register_component("data_loader", self._session.get_component("data_loader"))
            session.register_component(
                "credential_provider", AioCredentialResolver([_RoleCredentialProvider(credentials)])
            )
            self._roles[role_arn] = (session, credentials)
            return session

    def _profile_session(self, profile: str) -> AioSession:
        """A session whose credentials are those of the named ``profile``, made once."""
        session = self._profiles.get(profile)
        if session is None:
            session = self._make_session(AwsTarget(profile=profile))
            session.register_component("data_loader", self._session.get_component("data_loader"))
            self._profiles[profile] = session
        return session

    async def fresh_role_credentials(self, role_arn: str) -> tuple[str, str, str]:
        """New temporary credentials of ``role_arn`` for a process the console starts (the Session
        Manager plugin, which makes its own calls in the role's account): one sts:AssumeRole, as the
        console assumes it for its clients, so they last the role's whole session duration.
        (access key id, secret access key, session token); never logged nor kept here."""
        if not ROLE_ARN.match(role_arn):
            raise invalid_role_arn(role_arn)
        issued = await self._assume(role_arn)
        return issued["access_key"], issued["secret_key"], issued["token"]

    async def _assume(self, role_arn: str) -> dict[str, str]:
        """Fresh credentials of ``role_arn`` in the shape botocore's refreshable credentials take."""
        sts = await self.client("sts", self.region)
        reply = await sts.assume_role(RoleArn=role_arn, RoleSessionName=ROLE_SESSION_NAME)
        issued = reply["Credentials"]
        expiry = issued["Expiration"]
        if isinstance(expiry, datetime):
            expiry = (expiry if expiry.tzinfo else expiry.replace(tzinfo=UTC)).isoformat()
        log.debug("assumed %s until %s", role_arn, expiry)
        return {
            "access_key": issued["AccessKeyId"],
            "secret_key": issued["SecretAccessKey"],
            "token": issued["SessionToken"],
            "expiry_time": str(expiry),
        }

    def _install_limiter(self, client: Any, region: str) -> None:
        service = client.meta.service_model.service_name

        async def throttle(model: Any, context: Any = None, **_: Any) -> None:
            await self._call_begins(region, service, model.name, id(context))

        def answered(http_response: Any = None, context: Any = None, **_: Any) -> None:
            status = int(getattr(http_response, "status_code", 0) or 0)
            self._call_ends(service, id(context), ok=200 <= status < 300)

        def failed(context: Any = None, **_: Any) -> None:
            self._call_ends(service, id(context), ok=False)

        client.meta.events.register("before-call", throttle)
        client.meta.events.register("after-call", answered)
        client.meta.events.register("after-call-error", failed)

    async def _call_begins(self, region: str, service: str, operation: str, key: int) -> None:
        """A call is made: counted, tracked in flight (``waiting_for``), and held to its rate."""
        self.calls[f"{service}:{operation}"] += 1
        in_flight = self._in_flight
        now = time.monotonic()
        if len(in_flight) > IN_FLIGHT_KEPT:  # calls whose task was cancelled never answer
            for stale in [k for k, c in in_flight.items() if now - c.started > IN_FLIGHT_FORGET_S]:
                del in_flight[stale]
        in_flight[key] = InFlight(service, operation, now, CALLER.get())
        await self.limiter.acquire(region, service, operation)

    def _call_ends(self, service: str, key: int, *, ok: bool) -> None:
        self._in_flight.pop(key, None)
        if ok:
            self._succeeded(service)
        else:
            self._failing = True

    async def call_outside_botocore(
        self, client: Any, operation: str, call: Callable[[], Awaitable[T | None]]
    ) -> T | None:
        """One request a caller makes itself on a botocore ``client``'s behalf (a request botocore
        already made for it, replayed with a new body: ``metrics``), held to the same rules as the
        client's own calls: counted, rate limited and tracked in flight. ``call`` returns None when
        the request did not succeed: then it is not counted, for the caller makes it again the
        ordinary way (botocore's retries and error parsing), which counts it."""
        service = client.meta.service_model.service_name
        key = id(call)
        await self._call_begins(client.meta.region_name, service, operation, key)
        answer: T | None = None
        try:
            answer = await call()
        finally:
            self._in_flight.pop(key, None)
            if answer is None:
                self.calls[f"{service}:{operation}"] -= 1
            else:
                self._succeeded(service)
        return answer

    async def close(self) -> None:
        """Close every client, those of assumed roles and profiles included, and forget assumed
        credentials."""
        self._clients.clear()
        self._roles.clear()
        self._profiles.clear()
        self._role_locks.clear()
        await self._stack.aclose()
