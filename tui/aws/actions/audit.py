"""The audit log: one JSON line per mutating call (or refusal), append-only, with secrets scrubbed."""

from __future__ import annotations

import getpass
import json
import logging
import os
import threading
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tui.common import paths
from tui.common.jsonl import append_locked, open_append
from tui.common.secrets import REDACTED, scrub, scrub_text

log = logging.getLogger(__name__)

__all__ = ["FIELDS", "REDACTED", "AuditLog", "os_user", "scrub", "scrub_text"]

#: The fields every record carries, in the order they are written. ``account`` is the account the call
#: acted in (a member account's for a call made as its role or with its profile; the credential's own
#: otherwise), ``profile`` the named profile whose credentials made or assumed it, ``role_arn`` the role
#: it ran as.
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
        return cls(paths.audit_file())

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
            fd = open_append(self.path)
            try:
                append_locked(fd, data, fsync=True)
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
        account: str | None = None,
    ) -> int:
        """How many successful ``service:operation`` calls whose params contain ``match`` were logged.

        With ``region``, only calls made in that region count; with ``account``, only calls made in
        that account (a stream of one name may live in several).
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
            if account is not None and record.get("account") != account:
                continue
            if _contains(record.get("params"), wanted):
                total += 1
        return total
