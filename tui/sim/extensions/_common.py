"""Helpers the moto extensions share: service errors, JSON request bodies and page tokens."""

# moto is imported inside the functions, for start-up time: see tui/sim/extensions/__init__.py.
from __future__ import annotations

import base64
import functools
import json
from collections.abc import Callable
from typing import Any


@functools.cache
def _error_class() -> type[Exception]:
    """moto's ServiceException, under this module's name.

    moto picks the error shapes by the exception's module: one defined in moto.core would make
    it look for a service called "core"; one defined here is matched against the model of the
    service that received the request.
    """
    from moto.core.exceptions import ServiceException

    cls: type[Exception] = type("ExtensionError", (ServiceException,), {"__module__": __name__})
    return cls


def service_error(code: str, message: str) -> Exception:
    """An error moto answers with ``code`` and ``message`` in the shape of the called service."""
    return _error_class()(code, message)


def json_params(response: Any, invalid: Callable[[str], Exception]) -> dict[str, Any]:
    """The JSON object in a moto response's request body; ``invalid`` builds the error for bad JSON."""
    body = response.body
    if not body:
        return {}
    if isinstance(body, bytes):
        body = body.decode("utf-8")
    try:
        data = json.loads(body)
    except ValueError as exc:
        raise invalid("The request body is not valid JSON.") from exc
    return data if isinstance(data, dict) else {}


def encode_offset_token(kind: str, offset: int) -> str:
    """A page token for ``offset`` into a listing of ``kind``."""
    raw = json.dumps({"k": kind, "o": offset}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode()


def decode_offset_token(kind: str, token: str) -> int:
    """The offset in a token from ``encode_offset_token``; ValueError if it is not one for ``kind``."""
    try:
        data = json.loads(base64.urlsafe_b64decode(token.encode()))
        offset = data["o"]
        valid = data["k"] == kind and isinstance(offset, int) and offset >= 0
    except (ValueError, KeyError, TypeError) as exc:
        raise ValueError(token) from exc
    if not valid:
        raise ValueError(token)
    return int(offset)
