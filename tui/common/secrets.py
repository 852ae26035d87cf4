"""The one secret scrubber: nothing that leaves warroom (audit log, journal, recording, listeners,
log files) carries a credential.

Secret by name, at any depth: any key that, lower-cased and without separators, contains
"secret", "token", "password", "credential", "accesskey" or "streamurl" (SessionToken,
TokenValue, SecretAccessKey, AccessKeyId, Credentials, StreamUrl, ...). Secret by shape, in any
text: a run shaped like an AWS secret access key or an STS session token, and a ``wss://`` stream
URL (Session Manager's StreamUrl, which the AWS CLI hands only to the plugin).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

REDACTED = "[redacted]"

_SECRET_NAME = re.compile(r"secret|token|password|credential|accesskey|streamurl")

# A value that looks like an AWS secret access key: 40 base64 characters mixing upper case, lower case
# and digits (a 40-digit hex digest does not mix cases, so it is left alone).
_SECRET_ACCESS_KEY = re.compile(
    r"(?<![A-Za-z0-9/+=])(?=[A-Za-z0-9/+]*[a-z])(?=[A-Za-z0-9/+]*[A-Z])"
    r"(?=[A-Za-z0-9/+]*[0-9])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])"
)
# A value that looks like an STS session token or a similar bearer blob: a long base64 run, again
# mixing upper case, lower case and digits.
_SESSION_TOKEN = re.compile(
    r"(?<![A-Za-z0-9/+=])(?=[A-Za-z0-9/+]*[a-z])(?=[A-Za-z0-9/+]*[A-Z])"
    r"(?=[A-Za-z0-9/+]*[0-9])[A-Za-z0-9/+]{100,}={0,2}"
)
# A WebSocket URL such as a Session Manager StreamUrl: whoever holds it (with the token) joins the session.
_STREAM_URL = re.compile(r"(?i)wss://[^\s\"',;]+")


def is_secret_key(key: object) -> bool:
    """Whether a key names a credential (SessionToken, TokenValue, SecretAccessKey, StreamUrl, ...)."""
    return bool(_SECRET_NAME.search(re.sub(r"[^a-z]", "", str(key).lower())))


def scrub_text(text: str) -> str:
    """``text`` with anything shaped like a secret key, a session token or a stream URL replaced."""
    text = _STREAM_URL.sub(REDACTED, text)
    text = _SESSION_TOKEN.sub(REDACTED, text)
    return _SECRET_ACCESS_KEY.sub(REDACTED, text)


def scrub(value: Any) -> Any:
    """A JSON-ready copy of ``value`` with secret-named keys and secret-shaped strings redacted, at
    any depth of nested mappings and sequences."""
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for key, item in value.items():
            name = str(key)
            out[name] = REDACTED if is_secret_key(name) else scrub(item)
        return out
    if isinstance(value, list | tuple | set | frozenset):
        return [scrub(item) for item in value]
    if isinstance(value, str):
        return scrub_text(value)
    if isinstance(value, bytes | bytearray):
        return f"<{len(value)} bytes>"
    if isinstance(value, datetime):
        return value.isoformat()
    if value is None or isinstance(value, bool | int | float):
        return value
    return scrub_text(str(value))


def without_secrets(mapping: Mapping[str, str]) -> dict[str, str]:
    """``mapping`` without the entries whose key names a credential, and the rest's values scrubbed."""
    return {key: scrub_text(value) for key, value in mapping.items() if not is_secret_key(key)}
