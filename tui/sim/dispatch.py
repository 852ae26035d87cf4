"""moto's dispatcher, remembering which service answers each host and which actions each
response class has, and its per-service apps, made without the URL builders nobody calls.

For every request, moto's ``DomainDispatcherApplication`` looked the host it inferred from the
signature ("ec2.us-east-1.amazonaws.com") up in the list of moto's packages, listing moto's
directory and testing each of its 200-odd entries for a directory, then in some 400 URL patterns,
holding the dispatcher's lock: about 1 ms a request, some 100 of them while the workload is
seeded. The answer depends on the host alone (moto's packages and patterns do not change while it
runs), so ``install()`` keeps it, for at most ``MAX_HOSTS`` hosts.

Each request then listed the methods of its service's response class (``inspect.getmembers``
over EC2's 342 attributes: 0.3 ms an EC2 request) to check it has one for the action;
the classes are complete once the extensions are installed, before the first request, so the
list is made once per class.

The first request to a service makes its Flask app, and werkzeug compiled two URL builders (Python
source, parsed and compiled) for each of the app's routes, 578 for the services the workload
seeds, about 40 ms of the start. moto's server never builds a URL from a route, so each builder
is now compiled the first time it is called.
"""

from __future__ import annotations

import threading
from typing import Any

MAX_HOSTS = 1024
"""Hosts remembered at most (a client may sign for any made-up service or region)."""

_lock = threading.Lock()


def install() -> None:
    """Make moto's dispatcher remember the service of each host, and werkzeug's routes compile
    their URL builders when first called (idempotent)."""
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication

    _lazy_url_builders()
    _remembered_method_names()
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


def _lazy_url_builders() -> None:
    from werkzeug.routing.rules import Rule

    with _lock:
        current = Rule.__dict__.get("_compile_builder")
        if not callable(current):
            raise RuntimeError("werkzeug's Rule has no _compile_builder: tui.sim.dispatch needs work")
        if "warroom_original" in getattr(current, "__dict__", {}):
            return

        def _compile_builder(self: Any, append_unknown: bool = True) -> Any:
            compiled: list[Any] = []

            def build(rule: Any, *args: Any, **values: Any) -> Any:
                if not compiled:
                    compiled.append(current(self, append_unknown))
                return compiled[0](rule, *args, **values)

            return build

        _compile_builder.__dict__["warroom_original"] = current
        setattr(Rule, "_compile_builder", _compile_builder)  # noqa: B010


def _remembered_method_names() -> None:
    import moto.core.responses as responses

    with _lock:
        current = getattr(responses, "method_names_from_class", None)
        if not callable(current):
            raise RuntimeError(
                "moto.core.responses has no method_names_from_class: tui.sim.dispatch needs work"
            )
        if "warroom_original" in getattr(current, "__dict__", {}):
            return
        known: dict[type, list[str]] = {}

        def method_names_from_class(clazz: Any) -> list[str]:
            names = known.get(clazz)
            if names is None:
                names = known[clazz] = current(clazz)
            return list(names)

        method_names_from_class.__dict__["warroom_original"] = current
        setattr(responses, "method_names_from_class", method_names_from_class)  # noqa: B010
