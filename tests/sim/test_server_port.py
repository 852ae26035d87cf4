"""A taken port is an error at once, not a simulator that never answers."""

from __future__ import annotations

import socket

import pytest

from tui.sim.server import SimServer


def test_a_taken_port_raises_instead_of_hanging() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        with pytest.raises(OSError, match="in use"):
            SimServer(port=port, empty=True, live=False).start()
