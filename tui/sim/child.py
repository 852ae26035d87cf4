"""The demo's simulator in a process of its own, forked before the console is imported.

Started in a thread of the console's process, the simulator's start (moto's import, the workload's
seeding: about 4 s of CPU) and the console's (Textual, the AWS SDK, the first frame: about 1.5 s)
took turns on one interpreter lock, though the machine has two cores; the console drew its panes
only after about 3 s. Forked, each has a core: the console draws while the simulator seeds, and the
console's memory no longer holds moto's.

The child reports each step on a pipe (``step TEXT``, ``reachable``, ``done`` or ``error TEXT``),
never writes to the terminal (its standard streams are /dev/null; its log is the log file), and
ends when the console closes the other pipe, or dies: the pipe closes with it.
"""

from __future__ import annotations

import contextlib
import gc
import os
import signal
import time
from collections.abc import Callable
from typing import Any

from tui.common.startup import Startup

STOP_WAIT_S = 5.0


def can_fork() -> bool:
    return hasattr(os, "fork")


class SimChild:
    """A forked simulator, seen from the console."""

    def __init__(self, pid: int, events: int, keepalive: int) -> None:
        self.pid = pid
        self._events = events
        self._keepalive: int | None = keepalive

    @classmethod
    def fork(cls, server: Any, start: Callable[[], Any]) -> SimChild:
        """Fork; the child runs ``start()`` (``server.start()``, whose refusals are ``SystemExit``)
        with ``server``'s steps reported on the pipe, then serves until the console lets go."""
        events_r, events_w = os.pipe()
        keep_r, keep_w = os.pipe()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child process; its end is os._exit
            os.close(events_r)
            os.close(keep_w)
            _child(server, start, events_w, keep_r)
        os.close(events_w)
        os.close(keep_r)
        server.forget_reserved()  # the child serves the address; this process's copy goes
        return cls(pid, events_r, keep_w)

    def follow(self, startup: Startup) -> None:
        """Pass the child's steps to ``startup`` until it has started (a refusal is raised as
        ``SystemExit`` with the child's words)."""
        with os.fdopen(self._events, "r", encoding="utf-8", closefd=True) as events:
            for line in events:
                kind, _, text = line.rstrip("\n").partition(" ")
                if kind == "step":
                    startup.step(text)
                elif kind == "reachable":
                    startup.reachable()
                elif kind == "done":
                    return
                elif kind == "error":
                    raise SystemExit(text)
        raise SystemExit("warroom: the simulator ended before it had started")

    def stop(self) -> None:
        """Let the child go (it stops its simulator and exits); end it after ``STOP_WAIT_S``."""
        if self._keepalive is not None:
            os.close(self._keepalive)
            self._keepalive = None
        for sig in (None, signal.SIGTERM, signal.SIGKILL):
            if sig is not None:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(self.pid, sig)
            deadline = time.monotonic() + STOP_WAIT_S
            while time.monotonic() < deadline:
                try:
                    done, _ = os.waitpid(self.pid, os.WNOHANG)
                except ChildProcessError:
                    return
                if done:
                    return
                time.sleep(0.05)


def _child(server: Any, start: Callable[[], Any], events: int, keepalive: int) -> None:  # pragma: no cover
    code = 0
    try:
        devnull = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(devnull, fd)
        # The console reads ctrl+c as a key; a terminal's SIGINT (before the console has taken the
        # terminal) ends the console, whose pipe then ends this process.
        signal.signal(signal.SIGINT, signal.SIG_IGN)

        def send(kind: str, text: str = "") -> None:
            os.write(events, f"{kind} {' '.join(text.split())}\n".encode())

        server.progress = lambda text: send("step", text)
        server.listening = lambda: send("reachable")
        # The start allocates a few hundred thousand objects that live as long as the process
        # (moto's modules and backends, the seeded resources): the collector walked them about a
        # dozen times while they were made, some 0.15 s of the start. It runs again afterwards,
        # over what is made from then on (what the start left, a few MB, is kept with it).
        gc.disable()
        try:
            start()
        except SystemExit as exc:
            send("error", str(exc.code))
            code = 1
            return
        except BaseException as exc:
            send("error", f"warroom: the simulator cannot start: {exc}")
            code = 1
            return
        gc.freeze()
        gc.enable()
        send("done")
        while os.read(keepalive, 1):
            pass
        server.stop()
    finally:
        os._exit(code)
