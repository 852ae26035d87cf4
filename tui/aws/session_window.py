"""Run in a new tmux window: collect a session's plugin argv and environment, then become the plugin.

``python -m tui.aws.session_window SOCKET`` connects to the unix socket the console serves once
(``SessionLauncher.run_plugin(..., tmux_window=True)``), reads one JSON object
``{"argv": [...], "env": {...}}`` until EOF and execs ``argv`` with ``env`` added to its own
environment. The session token travels only through that socket: never on a command line or in a
file. The socket is close-on-exec, so a successful exec closes it and the console reads EOF; when
the exec fails, the reason is sent back instead and the helper exits with status 127.

Only the standard library is imported, so the window starts quickly.
"""

from __future__ import annotations

import json
import os
import socket
import sys
from collections.abc import Sequence

PAYLOAD_LIMIT = 1 << 20
TIMEOUT_S = 15.0
# What names the tmux pane this helper runs in: kept from the helper's own environment.
OWN_VARIABLES = ("TMUX", "TMUX_PANE")


def _receive(conn: socket.socket) -> tuple[list[str], dict[str, str]]:
    data = bytearray()
    while len(data) <= PAYLOAD_LIMIT:
        chunk = conn.recv(65536)
        if not chunk:
            break
        data.extend(chunk)
    if len(data) > PAYLOAD_LIMIT:
        raise ValueError("the session payload is too large")
    payload = json.loads(data.decode("utf-8"))
    argv = payload.get("argv") if isinstance(payload, dict) else None
    env = payload.get("env") if isinstance(payload, dict) else None
    if not isinstance(argv, list) or not argv or not all(isinstance(a, str) for a in argv):
        raise ValueError("the session payload has no argv")
    if not isinstance(env, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in env.items()
    ):
        raise ValueError("the session payload has no environment")
    return argv, env


def main(args: Sequence[str] | None = None) -> int:
    """Exec the plugin the console hands over; returns only when that fails (2: bad use, 127)."""
    words = list(sys.argv[1:] if args is None else args)
    if len(words) != 1:
        return 2
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    conn.settimeout(TIMEOUT_S)
    try:
        conn.connect(words[0])
    except OSError:
        conn.close()
        return 127
    with conn:
        try:
            argv, extra = _receive(conn)
        except (OSError, ValueError) as exc:
            conn.sendall(f"the tmux window could not read the session: {exc}".encode())
            return 127
        env = dict(os.environ)
        env.update({k: v for k, v in extra.items() if k not in OWN_VARIABLES})
        try:
            os.execve(argv[0], argv, env)
        except OSError as exc:
            conn.sendall(f"{argv[0]}: {exc.strerror or exc}".encode())
    return 127


if __name__ == "__main__":
    sys.exit(main())
