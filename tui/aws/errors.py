"""Turn what AWS and botocore raise into a short reason and what to do about it."""

from __future__ import annotations

import asyncio
import json
import re
from dataclasses import dataclass
from enum import StrEnum

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    HTTPClientError,
    NoCredentialsError,
    NoRegionError,
    PartialCredentialsError,
    ProfileNotFound,
    ReadTimeoutError,
)
from botocore.parsers import ResponseParserError


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
_UNAVAILABLE = {
    "InternalError",
    "InternalFailure",
    "InternalServerError",
    "InternalServiceError",
    "ServiceUnavailable",
    "ServiceUnavailableException",
    "Unavailable",
    "500",
    "502",
    "503",
    "504",
}
_NOT_ENABLED = {
    "InvalidAccessException",
    "OptInRequired",
    "SubscriptionRequiredException",
    "RegionDisabledException",
}
_NOT_FOUND = {"ResourceNotFoundException", "NoSuchResourceException", "NotFoundException"}


_EXPLICIT_DENY = re.compile(
    r"with an explicit deny in an? ((?:[\w-]+ ){0,3}?(?:policy|boundary))\b", re.IGNORECASE
)
_ORG_POLICIES = ("service control policy", "resource control policy")


def explicit_deny(exc: BaseException) -> str:
    """The kind of policy an access-denied answer says explicitly denies the call ("service control
    policy", "identity-based policy", "permissions boundary", ...), as AWS writes it in the message;
    "" when it says none (an implicit deny: no policy allows the call)."""
    if not isinstance(exc, ClientError):
        return ""
    match = _EXPLICIT_DENY.search(str(exc.response.get("Error", {}).get("Message", "") or ""))
    return match.group(1).lower() if match else ""


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
            deny = explicit_deny(exc)
            if deny in _ORG_POLICIES:
                return AwsProblem(
                    ErrorKind.PERMISSION,
                    f"{op}: denied by a {deny} of the organization",
                    f"ask the organization's administrators to allow {action} in its "
                    f"{deny.removesuffix('policy')}policies",
                    code,
                    op,
                )
            if deny:
                article = "an" if deny[0] in "aeiou" else "a"
                return AwsProblem(
                    ErrorKind.PERMISSION,
                    f"{op}: denied by an explicit deny in {article} {deny}",
                    f"remove the deny of {action} from that {deny}",
                    code,
                    op,
                )
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
        if code in _UNAVAILABLE:
            return AwsProblem(
                ErrorKind.NETWORK,
                f"{op}: AWS answered with a server error ({code})",
                "retrying with backoff; if it lasts, check the AWS Health Dashboard",
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
    unreadable = _unreadable(exc)
    if unreadable is not None:
        return unreadable
    if isinstance(exc, OSError):
        return AwsProblem(
            ErrorKind.NETWORK,
            f"network error: {exc.strerror or name}",
            "retrying with backoff; check the network or --endpoint-url",
            name,
        )
    if isinstance(exc, BotoCoreError):
        return AwsProblem(ErrorKind.ERROR, f"{name}: {exc}", "retrying with backoff", name)
    return AwsProblem(ErrorKind.ERROR, f"{name}: {exc}", "retrying with backoff; details in the log", name)


_REACH = "check the network, a VPN or proxy, and --endpoint-url"


def _unreadable(exc: BaseException) -> AwsProblem | None:
    """The endpoint could not be reached, went silent, hung up or sent an answer no parser reads.

    These are said in words (what happened, what the console does, what to check), never as the name
    of a Python exception: the user sees the endpoint's behaviour, not the parser's.
    """
    name = type(exc).__name__
    if isinstance(exc, ReadTimeoutError):
        return AwsProblem(
            ErrorKind.NETWORK,
            "the endpoint accepted the request but sent no answer in time",
            f"retrying; if it lasts, {_REACH}",
            name,
        )
    if isinstance(exc, ConnectTimeoutError | EndpointConnectionError):
        return AwsProblem(ErrorKind.NETWORK, "cannot connect to the endpoint", f"retrying; {_REACH}", name)
    if isinstance(exc, ConnectionClosedError) or (
        isinstance(exc, HTTPClientError | ConnectionError) and not isinstance(exc, ConnectionRefusedError)
    ):
        return AwsProblem(
            ErrorKind.NETWORK,
            "the endpoint closed the connection before answering",
            f"retrying; if it lasts, {_REACH}",
            name,
        )
    if isinstance(exc, ConnectionRefusedError):
        return AwsProblem(
            ErrorKind.NETWORK, "the endpoint refused the connection", f"retrying; {_REACH}", name
        )
    if isinstance(exc, ResponseParserError | UnicodeDecodeError | json.JSONDecodeError):
        return AwsProblem(
            ErrorKind.NETWORK,
            "the endpoint sent an answer that could not be read (truncated, or not the expected JSON/XML)",
            "retrying; check the endpoint and any proxy in between",
            name,
        )
    if isinstance(exc, asyncio.TimeoutError | TimeoutError):
        return AwsProblem(
            ErrorKind.NETWORK, "the request timed out", f"retrying; if it lasts, {_REACH}", name
        )
    return None
