"""Recordings: every poll snapshot and journal event of a session, one JSON line each.

The file starts with a header line, ``{"type": "header", "format": "warroom-recording/1",
"started_at": ISO, "meta": {...}}``, written only when the file is new or empty (a second session
appends to the same file). Then one object per line: ``{"type": "snapshot", "at": ISO, "pane":
PANE, "data": {...}}`` or ``{"type": "event", "at": ISO, "event": {...}}``, the snapshot and the
``JournalEvent`` as the codec (``tui.common.codec``) writes them. Each line is appended under an
advisory lock on a descriptor opened with O_APPEND (``tui.common.jsonl``), so a kill -9 loses at
most the line being written, and the reader reports a cut-off last line instead of failing. Lines
are read with their ``data`` left undecoded until the pane (and so the type) is known, and not
decoded at all for panes the reader was not asked for.

Findings snapshots are large and mostly unchanged, so the findings themselves are written as a
difference from the last findings written by the same recorder:

- the first findings snapshot (and any whose findings all changed) is written whole;
- a snapshot whose ``version`` and findings equal the last written ones is written without its
  findings plus ``"same_findings_as": <version>``;
- otherwise the snapshot is written without its findings plus ``"findings_delta": {"base":
  <version of the last written set>, "upsert": [findings added or changed, in snapshot order],
  "removed": [[Id, ProductArn], ...]}``. The reader drops the removed keys from the previous
  ordered set, replaces changed findings in place and appends new ones at the end, which is how
  ``FindingsPoller`` merges an incremental poll. When that does not give the snapshot's order (a
  full reload returns Security Hub's order), the delta also carries ``"order": [[Id, ProductArn],
  ...]``, the keys in snapshot order.
"""

from __future__ import annotations

import dataclasses
import logging
import os
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from tui import panes
from tui.aws.findings import FindingsSnapshot
from tui.aws.findings_model import Finding
from tui.aws.outcome import utcnow
from tui.common.codec import CodecError, NotJSON, Raw, Record, decode, decoder, to_builtins
from tui.common.jsonl import append_locked, encode_line, open_append
from tui.gameday.events import JournalEvent

log = logging.getLogger(__name__)

FORMAT = "warroom-recording/1"
FORMAT_FAMILY = "warroom-recording/"

PANES = frozenset(p.name for p in panes.LIVE)
"""The panes a recording holds snapshots of."""

FindingKey = tuple[str, str]


def snapshot_class(pane: str) -> type:
    """The snapshot class of ``pane`` (``tui.panes``); KeyError for an unknown pane, ImportError
    when its module cannot be imported."""
    found = panes.BY_NAME.get(pane)
    if found is None or not found.snapshot:
        known = ", ".join(p.name for p in panes.LIVE)
        raise KeyError(f"no pane {pane!r}; recordings know: {known}")
    return found.snapshot_class()


class Recorder:
    """Appends snapshots and journal events to ``path``; a failure is remembered in ``problem``,
    never raised, so recording can never stop the console."""

    def __init__(
        self,
        path: Path,
        *,
        meta: Mapping[str, str] | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.path = Path(path)
        self.clock = clock
        self.problem: str | None = None
        """The latest failure to write (the recording misses what it concerned), or None."""
        self.lines = 0
        """Lines this recorder wrote, the header included."""
        self._fd: int | None = None
        self._findings: dict[FindingKey, Finding] = {}
        self._findings_tuple: tuple[Finding, ...] | None = None
        self._findings_version: int | None = None
        try:
            self._fd = open_append(self.path)
            empty = os.fstat(self._fd).st_size == 0
        except OSError as exc:
            self._fail(f"cannot open {self.path}: {exc.strerror or exc}")
            return
        if empty:
            header = {
                "type": "header",
                "format": FORMAT,
                "started_at": self.clock(),
                "meta": {str(k): str(v) for k, v in (meta or {}).items()},
            }
            self._write(encode_line(header))

    @property
    def closed(self) -> bool:
        return self._fd is None

    def _fail(self, problem: str) -> None:
        self.problem = problem
        log.debug("recording %s: %s", self.path, problem)

    def _write(self, data: bytes) -> bool:
        fd = self._fd
        if fd is None:
            return False
        try:
            append_locked(fd, data)
        except OSError as exc:
            self._fail(f"cannot write {self.path}: {exc.strerror or exc}")
            return False
        self.lines += 1
        return True

    def snapshot(self, pane: str, snapshot: object) -> None:
        """Record one poll's snapshot of ``pane`` (one of ``codec.PANES``, from ``tui.panes``)."""
        if self._fd is None:
            return
        if pane not in PANES:
            self._fail(f"not recorded: no pane {pane!r}")
            return
        at = self.clock()
        found = snapshot if pane == "findings" and isinstance(snapshot, FindingsSnapshot) else None
        findings = found is not None
        try:
            data = snapshot if found is None else self._findings_data(found)
            line = encode_line({"type": "snapshot", "at": at, "pane": pane, "data": data})
        except (CodecError, TypeError, ValueError) as exc:
            self._fail(f"a {pane} snapshot could not be recorded: {exc}")
            if findings:
                self._forget_findings()
            return
        if not self._write(line) and findings:
            self._forget_findings()

    def event(self, event: JournalEvent) -> None:
        """Record one journal event."""
        if self._fd is None:
            return
        record = {"type": "event", "at": self.clock(), "event": event}
        try:
            line = encode_line(record)
        except (CodecError, TypeError, ValueError) as exc:
            self._fail(f"an event could not be recorded: {exc}")
            return
        self._write(line)

    def close(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            try:
                os.close(fd)
            except OSError as exc:
                self._fail(f"cannot close {self.path}: {exc.strerror or exc}")

    def __enter__(self) -> Recorder:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # -- findings ---------------------------------------------------------------------------

    def _forget_findings(self) -> None:
        """After a findings line was lost, the next one is written whole (a delta would refer to
        a set the file does not hold)."""
        self._findings = {}
        self._findings_tuple = None
        self._findings_version = None

    def _findings_data(self, snapshot: FindingsSnapshot) -> Any:
        findings = snapshot.findings
        previous = self._findings_tuple
        if (
            previous is not None
            and snapshot.version == self._findings_version
            and (findings is previous or findings == previous)
        ):
            same = self._without_findings(snapshot)
            same["same_findings_as"] = snapshot.version
            return same
        by_key = {f.key: f for f in findings}
        old = self._findings
        upsert = [f for f in findings if (prior := old.get(f.key)) is not f and prior != f]
        data: Any
        if previous is None or len(by_key) != len(findings) or (findings and len(upsert) >= len(findings)):
            data = snapshot
        else:
            removed = [list(key) for key in old if key not in by_key]
            merged = [key for key in old if key in by_key]
            merged.extend(f.key for f in upsert if f.key not in old)
            keys = [f.key for f in findings]
            delta: dict[str, Any] = {
                "base": self._findings_version,
                "upsert": upsert,
                "removed": removed,
            }
            if merged != keys:
                delta["order"] = [list(key) for key in keys]
            data = self._without_findings(snapshot)
            data["findings_delta"] = delta
        self._findings = by_key
        self._findings_tuple = findings
        self._findings_version = snapshot.version
        return data

    @staticmethod
    def _without_findings(snapshot: FindingsSnapshot) -> dict[str, Any]:
        data: dict[str, Any] = to_builtins(dataclasses.replace(snapshot, findings=()))
        data.pop("findings", None)
        return data


# ---------------------------------------------------------------------------------------------
# Reading
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    """One recorded snapshot or journal event. ``pane`` is the event's source for events."""

    at: datetime
    kind: str
    pane: str
    snapshot: object | None = None
    event: JournalEvent | None = None


@dataclass
class Recording:
    """What ``read_recording`` found: the header, the entries in file order, and what could not
    be read (one sentence per line concerned)."""

    path: Path
    header: dict[str, Any] = field(default_factory=dict)
    entries: list[Entry] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    panes: set[str] = field(default_factory=set)
    """Panes with at least one snapshot."""
    journal: bool = False
    """True when the file was a journal (events only, no header)."""

    @property
    def start(self) -> datetime | None:
        """The header's start time, else the earliest entry's."""
        started = self.header.get("started_at")
        if isinstance(started, str):
            try:
                moment = datetime.fromisoformat(started)
            except ValueError:
                moment = None
            if moment is not None and moment.tzinfo is not None:
                return moment
        return min((e.at for e in self.entries), default=None)

    @property
    def end(self) -> datetime | None:
        """The latest entry's time (the start for a recording with no entries)."""
        return max((e.at for e in self.entries), default=self.start)

    @property
    def meta(self) -> dict[str, str]:
        meta = self.header.get("meta")
        return {str(k): str(v) for k, v in meta.items()} if isinstance(meta, dict) else {}

    def events(self) -> list[JournalEvent]:
        return [e.event for e in self.entries if e.event is not None]

    def snapshots(self, pane: str) -> list[tuple[datetime, object]]:
        return [(e.at, e.snapshot) for e in self.entries if e.pane == pane and e.snapshot is not None]


class _Line(Record, frozen=True):
    """One line of a recording or a journal, its payload left undecoded."""

    type: Any = None
    """header, snapshot or event; absent from a journal's lines."""
    at: Any = None
    pane: Any = None
    kind: Any = None
    """A journal line's event kind."""
    format: Any = None
    data: Raw = Raw()
    event: Raw = Raw()

    @property
    def journal_event(self) -> bool:
        return self.type is None and self.at is not None and self.kind is not None


@dataclass(frozen=True)
class _FindingsDelta:
    base: Any = None
    upsert: tuple[Finding, ...] = ()
    removed: tuple[FindingKey, ...] = ()
    order: tuple[FindingKey, ...] | None = None


@dataclass(frozen=True)
class _FindingsLine:
    """What a findings snapshot's ``data`` holds besides the snapshot (see the module's doc)."""

    same_findings_as: Any = None
    findings_delta: _FindingsDelta | None = None


_read_line = decoder(_Line)
_read_event = decoder(JournalEvent)
_read_findings_line = decoder(_FindingsLine)


def _is_object(raw: Raw) -> bool:
    return bytes(memoryview(raw)[:1]) == b"{"


class _Findings:
    """The reader's side of the findings deltas: the last set read, in order."""

    def __init__(self) -> None:
        self.by_key: dict[FindingKey, Finding] | None = None
        self.version: int | None = None
        self.as_tuple: tuple[Finding, ...] = ()

    def _set(self, by_key: dict[FindingKey, Finding], version: int) -> None:
        self.by_key = by_key
        self.version = version
        self.as_tuple = tuple(by_key.values())

    def full(self, snapshot: FindingsSnapshot) -> FindingsSnapshot:
        self._set({f.key: f for f in snapshot.findings}, snapshot.version)
        self.as_tuple = snapshot.findings
        return snapshot

    def same(self, snapshot: FindingsSnapshot, base: Any) -> tuple[FindingsSnapshot, str | None]:
        problem = self._check(base, "the same findings as")
        return dataclasses.replace(snapshot, findings=self.as_tuple), problem

    def delta(self, snapshot: FindingsSnapshot, delta: _FindingsDelta) -> tuple[FindingsSnapshot, str | None]:
        problem = self._check(delta.base, "a findings change against")
        by_key = dict(self.by_key or {})
        for key in delta.removed:
            by_key.pop(key, None)
        for finding in delta.upsert:
            by_key[finding.key] = finding
        if delta.order is not None:
            missing = [k for k in delta.order if k not in by_key]
            if missing and problem is None:
                problem = f"{len(missing)} finding(s) of the recorded order were never recorded"
            by_key = {k: by_key[k] for k in delta.order if k in by_key}
        self._set(by_key, snapshot.version)
        return dataclasses.replace(snapshot, findings=self.as_tuple), problem

    def _check(self, base: Any, what: str) -> str | None:
        if self.by_key is None:
            return f"{what} version {base}, but no findings were read before: findings missing"
        if base != self.version:
            return (
                f"{what} version {base}, but the findings read before are version {self.version}: "
                "findings may be wrong"
            )
        return None


def _time(value: Any) -> datetime:
    if not isinstance(value, str):
        raise ValueError("no time")
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        raise ValueError(f"time {value!r} has no time zone")
    return moment


class _Reader:
    def __init__(self, recording: Recording, panes: Collection[str] | None) -> None:
        self.recording = recording
        self.findings = _Findings()
        self.wanted = None if panes is None else frozenset(panes)

    def problem(self, number: int, text: str) -> None:
        self.recording.problems.append(f"line {number}: {text}")

    def record(self, number: int, line: _Line, text: bytes) -> None:
        kind = line.type
        if kind == "snapshot":
            self.snapshot(number, line)
        elif kind == "event":
            self.event(number, line)
        elif kind == "header":
            if self.recording.header:
                self.problem(number, "a second header (another session appended): read on")
            else:
                self.recording.header = decode(dict[str, Any], text)
        else:
            self.problem(number, f"unknown record type {kind!r}")

    def event(self, number: int, line: _Line) -> None:
        if not line.event or not _is_object(line.event):
            self.problem(number, "event record without an event")
            return
        try:
            event = _read_event(line.event)
        except CodecError as exc:
            self.problem(number, f"bad event: {exc}")
            return
        try:
            at = _time(line.at)
        except ValueError:
            at = event.at
        self.recording.entries.append(Entry(at, "event", event.source, event=event))

    def snapshot(self, number: int, line: _Line) -> None:
        pane = line.pane
        if not isinstance(pane, str) or pane not in PANES:
            self.problem(number, f"snapshot of an unknown pane {pane!r}")
            return
        if self.wanted is not None and pane not in self.wanted:
            return
        try:
            at = _time(line.at)
        except ValueError as exc:
            self.problem(number, f"{pane} snapshot with a bad time: {exc}")
            return
        if not line.data or not _is_object(line.data):
            self.problem(number, f"{pane} snapshot without data")
            return
        try:
            cls = snapshot_class(pane)
        except ImportError as exc:
            self.problem(number, f"{pane} snapshots cannot be read by this version: {exc}")
            return
        problem: str | None = None
        try:
            if pane == "findings":
                snapshot, problem = self.findings_snapshot(line.data)
            else:
                snapshot = decode(cls, line.data)
        except CodecError as exc:
            self.problem(number, f"{pane} snapshot: {exc}")
            return
        except (TypeError, ValueError) as exc:
            self.problem(number, f"{pane} snapshot cannot be read: {exc}")
            return
        if problem is not None:
            self.problem(number, f"{pane} snapshot: {problem}")
        self.recording.entries.append(Entry(at, "snapshot", pane, snapshot=snapshot))
        self.recording.panes.add(pane)

    def findings_snapshot(self, data: Raw) -> tuple[FindingsSnapshot, str | None]:
        extra = _read_findings_line(data)
        snapshot = decode(FindingsSnapshot, data)
        if extra.findings_delta is not None:
            return self.findings.delta(snapshot, extra.findings_delta)
        if extra.same_findings_as is not None:
            return self.findings.same(snapshot, extra.same_findings_as)
        return self.findings.full(snapshot), None


def read_recording(path: Path, *, panes: Collection[str] | None = None) -> Recording:
    """Read a recording (or a journal file: JournalEvent JSON lines without a header).

    ``panes`` limits the snapshots read to those panes (the others are skipped undecoded, which
    is much faster on a long recording); None reads every pane. Lines that cannot be read become
    ``problems`` (a cut-off last line, bad JSON, a snapshot that does not decode); they are never
    raised. Raises ValueError when the file is neither a recording nor a journal, and OSError
    when it cannot be read."""
    tail = RecordingTail(path, panes=panes, keep=True)
    tail.read(final=True)
    if tail.lines == 0:
        raise ValueError(f"{tail.path} is empty: not a warroom recording or journal")
    return tail.recording


READ_CHUNK = 1 << 20
"""Bytes read at a time: a findings snapshot written whole can be megabytes long."""


class RecordingTail:
    """A recording read as it is written (``warroom replay --follow``), or all at once.

    Each ``read`` returns the entries of the lines completed since the last one. A last line
    without its newline is the writer's line in progress: it is kept and read once complete, not
    reported as cut off, except by ``read(final=True)`` (a file read whole, whose writer is gone).
    A file that does not exist yet, or is empty, gives no entries and ``waiting`` stays True. A file
    that shrinks (rewritten from the start) is read again from its first line, and says so in
    ``problems``. The findings deltas are resolved across reads, as in one reading."""

    def __init__(self, path: Path, *, panes: Collection[str] | None = None, keep: bool = False) -> None:
        self.path = Path(path)
        self._panes = panes
        self._keep = keep
        """Keep every entry in ``recording.entries`` (a whole reading); a follower hands them on."""
        self.recording = Recording(self.path)
        self._reader = _Reader(self.recording, panes)
        self._offset = 0
        self._number = 0
        self._partial = b""
        self.lines = 0
        """Non-empty lines read, the header included."""
        self.bytes_read = 0

    @property
    def waiting(self) -> bool:
        """Nothing read yet: the writer has not written its first line."""
        return self.lines == 0

    def _restart(self) -> None:
        problems = self.recording.problems
        self.recording = Recording(self.path, problems=problems)
        self._reader = _Reader(self.recording, self._panes)
        self._offset = self._number = self.lines = 0
        self._partial = b""
        problems.append(f"{self.path} was rewritten from the start: read again from its first line")

    def read(self, *, final: bool = False) -> list[Entry]:
        """The entries of the lines written since the last read. Raises ValueError when the
        first line shows the file is neither a recording nor a journal; OSError (but not for a
        missing file, until one was read) when it cannot be read."""
        try:
            handle = self.path.open("rb")
        except FileNotFoundError:
            if self.lines or final:
                raise
            return []
        before = len(self.recording.entries)
        with handle:
            size = os.fstat(handle.fileno()).st_size
            if size < self._offset:
                self._restart()
                before = 0
            handle.seek(self._offset)
            while chunk := handle.read(READ_CHUNK):
                self._offset += len(chunk)
                self.bytes_read += len(chunk)
                *complete, self._partial = (self._partial + chunk).split(b"\n")
                for raw in complete:
                    self._line(raw.rstrip(b"\r"), True)
        if final and self._partial:
            partial, self._partial = self._partial, b""
            self._line(partial.rstrip(b"\r"), False)
        entries = self.recording.entries[before:]
        if not self._keep:
            del self.recording.entries[:]
        return entries

    def _line(self, text: bytes, complete: bool) -> None:
        self._number += 1
        if not text.strip():
            return
        number = self._number
        recording = self.recording
        reader = self._reader
        line: _Line | None = None
        bad = "bad JSON"
        try:
            line = _read_line(text)
        except NotJSON:
            pass
        except CodecError:
            bad = "not a JSON object"
        self.lines += 1
        if self.lines == 1:
            _identify(self.path, line, recording, complete, bad)
        if line is None:
            reader.problem(
                number, "truncated (the recording was cut off while writing)" if not complete else bad
            )
            return
        if recording.journal:
            if not line.journal_event:
                reader.problem(number, "not a journal event")
                return
            try:
                event = _read_event(text)
            except CodecError as exc:
                reader.problem(number, f"bad event: {exc}")
                return
            recording.entries.append(Entry(event.at, "event", event.source, event=event))
            return
        try:
            reader.record(number, line, text)
        except CodecError as exc:
            reader.problem(number, f"bad {line.type}: {exc}")


def _identify(path: Path, line: _Line | None, recording: Recording, complete: bool, bad: str) -> None:
    """Decide from the first line whether ``path`` is a recording or a journal."""
    if line is not None:
        kind = line.type
        if kind == "header":
            fmt = str(line.format or "")
            if fmt != FORMAT:
                if fmt.startswith(FORMAT_FAMILY):
                    raise ValueError(f"{path} is a recording in format {fmt}; this version reads {FORMAT}")
                raise ValueError(f"{path} has a header of an unknown format {fmt!r}: not a warroom recording")
            return
        if kind in ("snapshot", "event"):
            recording.problems.append("line 1: no header (the recording's first line is missing)")
            return
        if line.journal_event:
            recording.journal = True
            return
    if not complete and line is None and bad == "bad JSON":
        raise ValueError(f"{path} holds only a cut-off first line: not a readable recording")
    raise ValueError(
        f"{path} is not a warroom recording or journal: its first line is neither a recording "
        "header nor a journal event"
    )


def merge_recordings(recordings: Sequence[Recording]) -> Recording:
    """Several consoles' recordings (or journals) of one game day as one: entries in time order,
    an event two of them journaled alike (a fault read from the same FIS experiment) kept once.
    The header is the first recording's; problems name the file they come from."""
    if not recordings:
        raise ValueError("no recording to merge")
    if len(recordings) == 1:
        return recordings[0]
    first = recordings[0]
    seen: set[tuple[Any, ...]] = set()
    tagged: list[tuple[datetime, int, Entry]] = []
    for number, recording in enumerate(recordings):
        for entry in recording.entries:
            if entry.kind == "event" and entry.event is not None:
                e = entry.event
                key = (e.at, e.kind, e.source, e.resource, e.ref, e.text)
                if key in seen:
                    continue
                seen.add(key)
            tagged.append((entry.at, number, entry))
    tagged.sort(key=lambda item: (item[0], item[1]))
    problems = [f"{r.path.name}: {p}" for r in recordings for p in r.problems]
    return Recording(
        path=first.path,
        header=dict(first.header),
        entries=[entry for _, _, entry in tagged],
        problems=problems,
        panes=set().union(*(r.panes for r in recordings)),
        journal=all(r.journal for r in recordings),
    )
