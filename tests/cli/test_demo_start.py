"""``warroom demo`` as a user starts it, in a pseudo-terminal: the first frame says what it is
doing, the account and the Overview's data follow, and q leaves no simulator process behind."""

from __future__ import annotations

import contextlib
import os
import pty
import select
import signal
import struct
import sys
import termios
import time
from fcntl import ioctl
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEADLINE_S = 90.0

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="a pseudo-terminal and fork")


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        found += [int(n) for n in task.read_text().split()]
    return found


def _gone(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return True
    return state == "Z"


def test_demo_paints_first_then_shows_the_account_and_data_and_quits_whole(tmp_path: Path) -> None:
    env = {**os.environ, "TERM": "xterm-256color", "WARROOM_STATE_DIR": str(tmp_path)}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
    pid, fd = pty.fork()
    if pid == 0:  # the child: the console on the pseudo-terminal
        os.chdir(ROOT)
        os.execve(sys.executable, [sys.executable, "-m", "tui.cli", "demo"], env)
    ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    wanted = ["starting the simulator", "123456789012", "● live"]
    seen = b""
    order: list[str] = []
    simulators: list[int] = []
    try:
        deadline = time.monotonic() + DEADLINE_S
        while len(order) < len(wanted) and time.monotonic() < deadline:
            if select.select([fd], [], [], 0.1)[0]:
                seen += os.read(fd, 65536)
            text = seen.decode("utf-8", "replace")
            order += [w for w in wanted if w not in order and w in text]
            simulators = simulators or _children(pid)
        assert order == wanted, f"shown in this order: {order}"
        assert simulators, "the simulator did not run in a process of its own"
        os.write(fd, b"q")
        deadline = time.monotonic() + DEADLINE_S
        status = None
        while status is None and time.monotonic() < deadline:
            if select.select([fd], [], [], 0.1)[0]:
                with contextlib.suppress(OSError):
                    os.read(fd, 65536)
            done, code = os.waitpid(pid, os.WNOHANG)
            status = code if done else None
        assert status is not None, "q did not end the console"
        assert os.waitstatus_to_exitcode(status) == 0
        gone_by = time.monotonic() + 10.0
        while not all(_gone(child) for child in simulators) and time.monotonic() < gone_by:
            time.sleep(0.05)
        assert all(_gone(child) for child in simulators), "the simulator outlived the console"
    finally:
        if _gone(pid) is False:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        os.close(fd)
