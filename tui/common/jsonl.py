"""The one JSON Lines appender, and the one atomic replace for files that are rewritten.

Files several consoles share (the audit log, the journal, a recording) are appended to: opened with
O_APPEND (0600 when new), and each line goes out under an advisory lock (``fcntl.flock``) held for
the whole write, so two processes never interleave inside a line even when a write is split. A line
torn by an earlier crash is closed off first, so the new one stands on its own. Files that are
rewritten (presets) are replaced atomically: a temporary file in the same directory, fsynced, then
``os.replace``, so a crash leaves the old file or the new one, never half of either.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from tui.common.codec import encode

FILE_MODE = 0o600


def encode_line(record: Any) -> bytes:
    """One record (a mapping, a dataclass, anything the codec writes) as one compact JSON line
    (UTF-8, newline-terminated), written by the one codec. Raises CodecError."""
    return encode(record) + b"\n"


def open_append(path: Path | str) -> int:
    """A descriptor for appending to ``path`` (created 0600 when missing, closed on exec)."""
    flags = os.O_RDWR | os.O_APPEND | os.O_CREAT | getattr(os, "O_CLOEXEC", 0)
    return os.open(path, flags, FILE_MODE)


def append_locked(fd: int, data: bytes, *, fsync: bool = False) -> None:
    """Append ``data`` (whole lines) to the file open on ``fd`` under an exclusive advisory lock.
    A last line left without its newline by a crash is ended first. Raises OSError."""
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        size = os.fstat(fd).st_size
        if size and os.pread(fd, 1, size - 1) != b"\n":
            data = b"\n" + data
        view = memoryview(data)
        while view:
            written = os.write(fd, view)
            view = view[written:]
        if fsync:
            os.fsync(fd)
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)


def append_line(path: Path | str, record: Mapping[str, Any], *, fsync: bool = False) -> None:
    """Open ``path``, append ``record`` as one locked line, close. Raises OSError."""
    fd = open_append(path)
    try:
        append_locked(fd, encode_line(record), fsync=fsync)
    finally:
        os.close(fd)


def replace_atomically(path: Path | str, data: bytes, *, mode: int = FILE_MODE) -> None:
    """Make ``path`` hold ``data``: written to a temporary file beside it, fsynced, then renamed over
    it. On any failure the old file is left as it was and the temporary file is removed."""
    target = Path(path)
    fd, temp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        os.fchmod(fd, mode)
        view = memoryview(data)
        while view:
            written = os.write(fd, view)
            view = view[written:]
        os.fsync(fd)
        os.close(fd)
        fd = -1
        os.replace(temp, target)
    except BaseException:
        if fd >= 0:
            os.close(fd)
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
