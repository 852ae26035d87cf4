"""Waiting in tests: every wait has a deadline, and a failed one says what it waited for."""

from __future__ import annotations

import inspect
import queue
import signal
import subprocess
import threading
from collections.abc import Callable
from typing import IO, Any


def awaited(until: Callable[[], object]) -> str:
    """What a wait waits for, for its failure message: the source of its condition, in one line."""
    try:
        source = inspect.getsource(until)
    except (OSError, TypeError):
        return getattr(until, "__qualname__", repr(until))
    return " ".join(source.split())[:200]


def read_line(stream: IO[str], *, within: float, what: str) -> str:
    """The next line of a child process's output, failing after ``within`` seconds (the caller
    then stops the process, which ends the reading thread)."""
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: lines.put(stream.readline()), name="test-read-line", daemon=True).start()
    try:
        return lines.get(timeout=within)
    except queue.Empty:
        raise AssertionError(f"{what}: no line within {within:g} s") from None


def stop(process: subprocess.Popen[Any], *, how: int = signal.SIGTERM, within: float = 10.0) -> None:
    """Stop a child process with ``how``, then kill it if it has not ended ``within`` seconds."""
    if process.poll() is not None:
        return
    process.send_signal(how)
    try:
        process.wait(timeout=within)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=within)
