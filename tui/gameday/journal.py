"""The journal: every event of a game day (or an incident), in memory and in an append-only file.

The file holds one JSON object a line (a ``JournalEvent`` as the codec, ``tui.common.codec``, writes
it: every field, times in RFC 3339; lines written by earlier versions left empty fields out, and
read the same). It is opened once in append mode
and each line goes out under an advisory lock (``tui.common.jsonl``), so a reader sees whole lines,
several journals appending to one file never interleave inside a line, and a process killed at any
moment loses at most the line being written. A write that fails is remembered in ``Journal.problem`` and
never raised: the game day goes on in memory.

Events carry no credentials; detail keys that name one (token values, session tokens, secret
keys, passwords, stream URLs) are dropped anyway, and text shaped like one is redacted, by the one
scrubber (``tui.common.secrets``) before an event is kept, written or announced.
"""

from __future__ import annotations

import dataclasses
import logging
import os
from collections import deque
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from types import MappingProxyType
from typing import Any

from tui.common.codec import CodecError, NotJSON, convert, decode
from tui.common.jsonl import append_locked, encode_line, open_append
from tui.common.secrets import scrub_text, without_secrets
from tui.gameday.events import NOTE, JournalEvent

log = logging.getLogger(__name__)

MAX_EVENTS = 20_000
DIR_MODE = 0o700
FILE_MODE = 0o600

Subscriber = Callable[[JournalEvent], None]


def _utcnow() -> datetime:
    return datetime.now(UTC)


def scrub(event: JournalEvent) -> JournalEvent:
    """The event without detail entries whose key names a credential, and with anything shaped like
    one (a session token, a secret key, a stream URL) redacted from its text and detail values."""
    detail = without_secrets(event.detail)
    text = scrub_text(event.text)
    if text == event.text and detail == dict(event.detail):
        return event
    return dataclasses.replace(event, text=text, detail=MappingProxyType(detail))


def default_journal_path(state_dir: Path, now: datetime) -> Path:
    """``state_dir/journal/journal-YYYYmmdd-HHMMSSZ.jsonl`` (``now`` in UTC)."""
    stamp = now.astimezone(UTC) if now.tzinfo is not None else now.replace(tzinfo=UTC)
    return state_dir / "journal" / f"journal-{stamp:%Y%m%d-%H%M%S}Z.jsonl"


def _make_dirs(directory: Path) -> None:
    """Create ``directory`` and missing parents, each new one 0700."""
    missing: list[Path] = []
    current = directory
    while not current.exists():
        missing.append(current)
        if current.parent == current:
            break
        current = current.parent
    for path in reversed(missing):
        try:
            path.mkdir(mode=DIR_MODE)
        except FileExistsError:
            continue
        os.chmod(path, DIR_MODE)


class Journal:
    """Events in memory (the newest ``MAX_EVENTS``) and, when ``path`` is given, in a file."""

    def __init__(
        self, path: Path | None, *, clock: Callable[[], datetime] = _utcnow, maxlen: int = MAX_EVENTS
    ) -> None:
        self.path = path
        self.clock = clock
        self.problem = ""
        """Why the file is not (fully) written: the last failure, "" while all is well."""
        self.written = 0
        """Lines written to the file."""
        self._events: deque[JournalEvent] = deque(maxlen=maxlen)
        self._subscribers: list[Subscriber] = []
        self._fd: int | None = None
        if path is not None:
            self._open(path)

    def _open(self, path: Path) -> None:
        try:
            _make_dirs(path.parent)
            self._fd = open_append(path)
        except OSError as exc:
            self.problem = f"cannot open the journal file {path}: {exc.strerror or exc}"
            log.debug("journal: %s", self.problem)

    @property
    def events(self) -> tuple[JournalEvent, ...]:
        return tuple(self._events)

    def __len__(self) -> int:
        return len(self._events)

    def add(self, event: JournalEvent) -> JournalEvent:
        """Keep, write and announce one event; returns it as kept (credentials dropped)."""
        event = scrub(event)
        self._events.append(event)
        self._write(event)
        for callback in list(self._subscribers):
            try:
                callback(event)
            except Exception:  # one failing subscriber must not stop the journal or the others
                log.debug("journal subscriber %r failed", callback, exc_info=True)
        return event

    def note(self, text: str, *, author: str = "") -> JournalEvent:
        """Add a note typed by a person, dated by the journal's clock."""
        detail = MappingProxyType({"author": author}) if author else MappingProxyType({})
        return self.add(JournalEvent(at=self.clock(), kind=NOTE, source="person", text=text, detail=detail))

    def subscribe(self, callback: Subscriber) -> Callable[[], None]:
        """Call ``callback`` with every event added from now on; returns the unsubscribe function."""
        self._subscribers.append(callback)

        def unsubscribe() -> None:
            if callback in self._subscribers:
                self._subscribers.remove(callback)

        return unsubscribe

    def _write(self, event: JournalEvent) -> None:
        fd = self._fd
        if fd is None:
            return
        try:
            data = encode_line(event)
        except CodecError as exc:
            self.problem = f"an event could not be written to {self.path}: {exc}"
            log.debug("journal: %s", self.problem)
            return
        try:
            append_locked(fd, data)
        except OSError as exc:
            self.problem = f"cannot write the journal file {self.path}: {exc.strerror or exc}"
            log.debug("journal: %s", self.problem)
            return
        self.written += 1

    def close(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            try:
                os.close(fd)
            except OSError as exc:
                self.problem = f"cannot close the journal file {self.path}: {exc.strerror or exc}"


def read_journal(path: Path) -> tuple[list[JournalEvent], list[str]]:
    """The events of a journal file, and a sentence per line that could not be read.

    A last line without its newline (the writer stopped mid-line) is reported and skipped; a
    malformed line anywhere is reported by its number and skipped. OSError if the file cannot be
    read at all."""
    data = path.read_bytes()
    lines = data.split(b"\n")
    complete = data.endswith(b"\n")
    if complete:
        lines.pop()
    events: list[JournalEvent] = []
    problems: list[str] = []
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        last = number == len(lines)
        try:
            record = decode(Any, raw.decode("utf-8"))
            if not isinstance(record, dict):
                raise ValueError(f"a JSON {type(record).__name__}, not an object")
            events.append(scrub(convert(JournalEvent, record)))
        except ValueError as exc:
            if last and not complete:
                problems.append(f"line {number}: incomplete last line ignored (the writer stopped mid-line)")
            else:
                problems.append(f"line {number}: {_reason(exc)}")
    return events, problems


def _reason(exc: Exception) -> str:
    if isinstance(exc, UnicodeDecodeError):
        return "not UTF-8 text"
    if isinstance(exc, NotJSON):
        return f"not JSON ({exc.reason.removeprefix('not JSON: ')})"
    if isinstance(exc, CodecError) and exc.reason == "missing":
        return f"not a journal event (no {exc.path!r})"
    return f"not a journal event ({exc})"
