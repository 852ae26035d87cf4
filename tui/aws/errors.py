"""Turn what AWS and botocore raise into a short reason and what to do about it."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from enum import StrEnum

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    NoRegionError,
    PartialCredentialsError,
    ProfileNotFound,
    ReadTimeoutError,
)


class ErrorKind(StrEnum):
    PERMISSION = "permission"
    THROTTLED = "throttled"
    CREDENTIALS = "credentials"
    EXPIRED = "expired"
    NETWORK = "network"
    NOT_FOUND = "not-found"
    NOT_ENABLED = "not-enabled"
    INVALID = "invalid"
    ERROR = "error"


@dataclass(frozen=True)
class AwsProblem:
    """What went wrong, in one line, and what the user can do about it."""

    kind: ErrorKind
    message: str
    hint: str
    code: str = ""
    operation: str = ""

    def one_line(self) -> str:
        return f"{self.message} — {self.hint}" if self.hint else self.message


_PERMISSION = {
    "AccessDenied",
    "AccessDeniedException",
    "UnauthorizedOperation",
    "UnauthorizedAccess",
    "AuthorizationError",
    "NotAuthorized",
}
_THROTTLED = {
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "TooManyRequestsException",
    "RequestLimitExceeded",
    "LimitExceededException",
    "ProvisionedThroughputExceededException",
    "RequestThrottled",
    "RequestThrottledException",
    "SlowDown",
}
_EXPIRED = {
    "ExpiredToken",
    "ExpiredTokenException",
    "RequestExpired",
    "InvalidClientTokenId",
    "UnrecognizedClientException",
    "SignatureDoesNotMatch",
    "AuthFailure",
}
_NOT_ENABLED = {"InvalidAccessException", "OptInRequired", "SubscriptionRequiredException"}
_NOT_FOUND = {"ResourceNotFoundException", "NoSuchResourceException", "NotFoundException"}


def _login_hint(profile: str | None) -> str:
    where = f" --profile {profile}" if profile else ""
    return f"refresh credentials (aws sso login{where}, or new keys) and the pane retries by itself"


def classify(exc: BaseException, *, profile: str | None = None) -> AwsProblem:
    """Describe an exception raised by a poll or an action for the pane it affects."""
    if isinstance(exc, ClientError):
        err = exc.response.get("Error", {})
        code = str(err.get("Code", "") or "")
        text = str(err.get("Message", "") or code)
        op = exc.operation_name or ""
        service = str(exc.response.get("ResponseMetadata", {}).get("ServiceName", "") or "")
        if code in _PERMISSION:
            action = f"{service}:{op}" if service else op
            return AwsProblem(
                ErrorKind.PERMISSION,
                f"{op}: access denied",
                f"grant {action} to this identity (see README, IAM policy)",
                code,
                op,
            )
        if code in _THROTTLED:
            return AwsProblem(
                ErrorKind.THROTTLED, f"{op}: throttled by AWS", "backing off; nothing to do", code, op
            )
        if code in _EXPIRED:
            return AwsProblem(
                ErrorKind.EXPIRED, f"{op}: credentials rejected ({code})", _login_hint(profile), code, op
            )
        if code in _NOT_ENABLED:
            return AwsProblem(
                ErrorKind.NOT_ENABLED,
                f"{op}: service not enabled in this account/region",
                "enable it in this region or pick another region",
                code,
                op,
            )
        if code in _NOT_FOUND:
            return AwsProblem(ErrorKind.NOT_FOUND, f"{op}: {text}", "it may have been deleted", code, op)
        return AwsProblem(ErrorKind.ERROR, f"{op}: {code}: {text}", "retrying with backoff", code, op)
    name = type(exc).__name__
    if isinstance(exc, NoCredentialsError | PartialCredentialsError):
        return AwsProblem(
            ErrorKind.CREDENTIALS,
            "no AWS credentials found",
            "set AWS_PROFILE or pass --profile, run aws configure / aws sso login",
            name,
        )
    if isinstance(exc, ProfileNotFound):
        return AwsProblem(ErrorKind.CREDENTIALS, str(exc), "check --profile against ~/.aws/config", name)
    if isinstance(exc, NoRegionError):
        return AwsProblem(ErrorKind.INVALID, "no region configured", "pass --region or set AWS_REGION", name)
    if name in {"TokenRetrievalError", "SSOTokenLoadError", "UnauthorizedSSOTokenError", "SSOError"}:
        return AwsProblem(ErrorKind.EXPIRED, "SSO session expired or missing", _login_hint(profile), name)
    if isinstance(exc, EndpointConnectionError | ConnectTimeoutError | ReadTimeoutError):
        return AwsProblem(
            ErrorKind.NETWORK, f"cannot reach AWS ({name})", "check the network or --endpoint-url", name
        )
    if isinstance(exc, asyncio.TimeoutError | TimeoutError):
        return AwsProblem(ErrorKind.NETWORK, "request timed out", "retrying with backoff", name)
    if isinstance(exc, OSError):
        return AwsProblem(ErrorKind.NETWORK, f"network error: {exc}", "retrying with backoff", name)
    if isinstance(exc, BotoCoreError):
        return AwsProblem(ErrorKind.ERROR, f"{name}: {exc}", "retrying with backoff", name)
    return AwsProblem(ErrorKind.ERROR, f"{name}: {exc}", "retrying with backoff; details in the log", name)
