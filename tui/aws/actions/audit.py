"""The audit log: one JSON line per mutating call (or refusal), append-only, with secrets scrubbed."""

from __future__ import annotations

import getpass
import json
import logging
import os
import re
import threading
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

REDACTED = "[redacted]"

#: Keys whose values never reach the file, at any depth.
SECRET_KEY = re.compile(r"(?i)(secret|token|password|credential|sessiontoken|accesskey)")

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

#: The fields every record carries, in the order they are written.
FIELDS = (
    "at",
    "actor",
    "profile",
    "account",
    "region",
    "service",
    "operation",
    "params",
    "role_arn",
    "outcome",
    "error_code",
    "message",
    "plan_title",
    "plan_key",
)


def os_user() -> str:
    """The operating-system user name running the console."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return os.environ.get("USER") or os.environ.get("USERNAME") or f"uid:{os.getuid()}"


def scrub_text(text: str) -> str:
    """``text`` with anything shaped like an AWS secret key or session token replaced."""
    text = _SESSION_TOKEN.sub(REDACTED, text)
    return _SECRET_ACCESS_KEY.sub(REDACTED, text)


def scrub(value: Any) -> Any:
    """A JSON-ready copy of ``value`` with secret-named keys and secret-shaped strings redacted."""
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for key, item in value.items():
            name = str(key)
            out[name] = REDACTED if SECRET_KEY.search(name) else scrub(item)
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


def _parse_at(record: Mapping[str, Any]) -> datetime | None:
    raw = record.get("at")
    if not isinstance(raw, str):
        return None
    try:
        at = datetime.fromisoformat(raw)
    except ValueError:
        return None
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def _contains(params: Any, match: Mapping[str, Any]) -> bool:
    if not isinstance(params, Mapping):
        return False
    return all(key in params and params[key] == value for key, value in match.items())


class AuditLog:
    """Append-only JSON Lines at ``path``; lines already written are never rewritten or truncated."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()

    @classmethod
    def default(cls) -> AuditLog:
        """The audit log in warroom's state directory."""
        from tui.paths import audit_file

        return cls(audit_file())

    def append(self, record: Mapping[str, Any]) -> None:
        """Write one scrubbed record as one line, then flush it to disk."""
        full: dict[str, Any] = {name: None for name in FIELDS}
        full.update(scrub(record))
        if not full["at"]:
            full["at"] = datetime.now(UTC).isoformat()
        if not full["actor"]:
            full["actor"] = os_user()
        line = json.dumps(full, ensure_ascii=False, separators=(",", ":"), default=str) + "\n"
        data = line.encode("utf-8")
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        with self._lock:
            fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                size = os.fstat(fd).st_size
                # A torn last line (a crash mid-write) is closed off so this record stays its own line.
                if size and os.pread(fd, 1, size - 1) != b"\n":
                    data = b"\n" + data
                view = memoryview(data)
                while view:
                    written = os.write(fd, view)
                    view = view[written:]
                os.fsync(fd)
            finally:
                os.close(fd)

    def records(self, since: datetime | None = None) -> list[dict[str, Any]]:
        """Every readable record (at or after ``since`` when given), oldest first."""
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return []
        out: list[dict[str, Any]] = []
        for number, line in enumerate(raw.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except (json.JSONDecodeError, UnicodeDecodeError):
                log.debug("audit log %s: line %d is not a record, skipped", self.path, number)
                continue
            if not isinstance(record, dict):
                continue
            if since is not None:
                at = _parse_at(record)
                if at is None or at < since:
                    continue
            out.append(record)
        return out

    def count(
        self,
        service: str,
        operation: str,
        *,
        since: datetime | None,
        match: Mapping[str, Any],
        region: str | None = None,
    ) -> int:
        """How many successful ``service:operation`` calls whose params contain ``match`` were logged.

        With ``region``, only calls made in that region count.
        """
        # Stored params are scrubbed, so the match is compared in its scrubbed form too.
        wanted = scrub(match)
        total = 0
        for record in self.records(since):
            if record.get("outcome") != "ok":
                continue
            if record.get("service") != service or record.get("operation") != operation:
                continue
            if region is not None and record.get("region") != region:
                continue
            if _contains(record.get("params"), wanted):
                total += 1
        return total
