"""moto's dispatcher, remembering which service answers each host.

For every request, moto's ``DomainDispatcherApplication`` looked the host it inferred from the
signature ("ec2.us-east-1.amazonaws.com") up in the list of moto's packages, listing moto's
directory and testing each of its 200-odd entries for a directory, then in some 400 URL patterns,
holding the dispatcher's lock: about 1 ms a request, some 100 of them while the workload is
seeded. The answer depends on the host alone (moto's packages and patterns do not change while it
runs), so ``install()`` keeps it, for at most ``MAX_HOSTS`` hosts.
"""

from __future__ import annotations

import threading
from typing import Any

MAX_HOSTS = 1024
"""Hosts remembered at most (a client may sign for any made-up service or region)."""

_lock = threading.Lock()


def install() -> None:
    """Make moto's dispatcher remember the service of each host (idempotent)."""
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication

    with _lock:
        current = DomainDispatcherApplication.__dict__.get("get_backend_for_host")
        if not callable(current):
            raise RuntimeError(
                "moto's DomainDispatcherApplication has no get_backend_for_host: tui.sim.dispatch needs work"
            )
        if "warroom_original" in getattr(current, "__dict__", {}):
            return
        known: dict[str | None, Any] = {}

        def get_backend_for_host(self: Any, host: str | None) -> Any:
            try:
                return known[host]
            except KeyError:
                pass
            backend = current(self, host)
            if len(known) < MAX_HOSTS:
                known[host] = backend
            return backend

        get_backend_for_host.__dict__["warroom_original"] = current
        setattr(DomainDispatcherApplication, "get_backend_for_host", get_backend_for_host)  # noqa: B010
