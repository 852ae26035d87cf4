"""The simulator's control API, served on the simulator's own endpoint, and its client.

Paths under ``/_warroom/`` of the moto server answer here instead of reaching moto:

* ``GET  /_warroom/status``: the simulator (seed, speed, scenario), the fault catalogue with
  targets, every fault started (FaultState), the scenario's schedule and the last log entries;
* ``POST /_warroom/inject`` ``{"fault", "target"?, "duration_s"?}``: a FaultState (HTTP 400
  with ``{"error": ...}`` for an unknown fault or target);
* ``POST /_warroom/clear`` ``{"fault", "target"?}``: ``{"cleared": [FaultState, ...]}``.

``install()`` wraps moto's WSGI dispatcher; the simulator registers the handler that answers
for its port (``register``). ``ControlClient`` and ``probe`` use only the standard library, and
importing this module does not import moto.
"""

from __future__ import annotations

import json
import logging
import threading
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable
from typing import Any, Protocol

logger = logging.getLogger(__name__)

PREFIX = "/_warroom/"
SIMULATOR = "warroom"
MAX_BODY = 64 * 1024


class ControlError(Exception):
    """The simulator could not be reached, is not a warroom simulator, or refused the request."""


# --------------------------------------------------------------------------------------------
# The client
# --------------------------------------------------------------------------------------------


class ControlClient:
    """Talks to a running simulator's control API."""

    def __init__(self, endpoint_url: str, timeout: float = 5.0) -> None:
        url = (endpoint_url or "").strip().rstrip("/")
        if not url.startswith(("http://", "https://")):
            raise ControlError(f"{endpoint_url!r} is not an http:// or https:// endpoint URL")
        self.endpoint_url = url
        self.timeout = timeout
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def _call(self, method: str, name: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        url = f"{self.endpoint_url}{PREFIX}{name}"
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(url, data=data, method=method)
        if data is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                raw = response.read(4 * 1024 * 1024)
        except urllib.error.HTTPError as exc:
            message = _error_text(exc)
            if message is None:
                raise ControlError(
                    f"{self.endpoint_url} is not a warroom simulator (HTTP {exc.code} for {PREFIX}{name})"
                ) from None
            raise ControlError(message) from None
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise ControlError(f"cannot reach a simulator at {self.endpoint_url}: {reason}") from None
        try:
            parsed = json.loads(raw)
        except ValueError:
            raise ControlError(
                f"{self.endpoint_url} is not a warroom simulator (its answer is not JSON)"
            ) from None
        if not isinstance(parsed, dict):
            raise ControlError(f"{self.endpoint_url} is not a warroom simulator (unexpected answer)")
        return parsed

    def status(self) -> dict[str, Any]:
        """The simulator's status (see the module's docstring)."""
        status = self._call("GET", "status")
        if status.get("simulator") != SIMULATOR:
            raise ControlError(f"{self.endpoint_url} is not a warroom simulator")
        return status

    def inject(
        self, fault: str, target: str | None = None, duration_s: float | None = None
    ) -> dict[str, Any]:
        """Start ``fault`` (on ``target``, for ``duration_s`` scenario seconds); its FaultState."""
        body: dict[str, Any] = {"fault": fault}
        if target:
            body["target"] = target
        if duration_s is not None:
            body["duration_s"] = duration_s
        state = self._call("POST", "inject", body)
        if "fault" not in state:
            raise ControlError(f"{self.endpoint_url} is not a warroom simulator (unexpected answer)")
        return state

    def clear(self, fault: str, target: str | None = None) -> list[dict[str, Any]]:
        """End ``fault`` (on ``target``, else wherever it is active); the FaultStates cleared."""
        body: dict[str, Any] = {"fault": fault}
        if target:
            body["target"] = target
        cleared = self._call("POST", "clear", body).get("cleared")
        if not isinstance(cleared, list):
            raise ControlError(f"{self.endpoint_url} is not a warroom simulator (unexpected answer)")
        return [c for c in cleared if isinstance(c, dict)]


def _error_text(exc: urllib.error.HTTPError) -> str | None:
    try:
        parsed = json.loads(exc.read(MAX_BODY))
    except (ValueError, OSError):
        return None
    if isinstance(parsed, dict) and isinstance(parsed.get("error"), str):
        return str(parsed["error"])
    return None


def probe(endpoint_url: str, timeout: float = 2.0) -> bool:
    """Whether a warroom simulator answers at ``endpoint_url``."""
    try:
        ControlClient(endpoint_url, timeout=timeout).status()
    except ControlError:
        return False
    return True


# --------------------------------------------------------------------------------------------
# The server side
# --------------------------------------------------------------------------------------------


class ControlHandler(Protocol):
    """What a simulator answers the control API with (``tui.sim.server``)."""

    def status(self) -> dict[str, Any]: ...

    def inject(self, fault: str, target: str | None, duration_s: float | None) -> dict[str, Any]: ...

    def clear(self, fault: str, target: str | None) -> list[dict[str, Any]]: ...


_lock = threading.Lock()
_handlers: dict[int, ControlHandler] = {}


def register(port: int, handler: ControlHandler) -> None:
    """Answer the control API of the server on ``port`` with ``handler``."""
    with _lock:
        _handlers[int(port)] = handler


def unregister(port: int, handler: ControlHandler) -> None:
    with _lock:
        if _handlers.get(int(port)) is handler:
            del _handlers[int(port)]


def registered_ports() -> tuple[int, ...]:
    """The ports of the servers whose control API answers in this process."""
    with _lock:
        return tuple(sorted(_handlers))


def _handler(environ: dict[str, Any]) -> ControlHandler | None:
    try:
        port = int(environ.get("SERVER_PORT") or 0)
    except ValueError:
        return None
    with _lock:
        return _handlers.get(port)


StartResponse = Callable[..., Any]


def _reply(start_response: StartResponse, code: int, payload: Any) -> Iterable[bytes]:
    body = json.dumps(payload).encode()
    reasons = {200: "OK", 400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed", 500: "Error"}
    start_response(
        f"{code} {reasons.get(code, 'Error')}",
        [("Content-Type", "application/json"), ("Content-Length", str(len(body)))],
    )
    return [body]


def _body(environ: dict[str, Any]) -> dict[str, Any]:
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > MAX_BODY:
        raise ValueError("the request body is too large")
    raw = environ["wsgi.input"].read(length) if length > 0 else b""
    if not raw:
        return {}
    try:
        data = json.loads(raw)
    except ValueError:
        raise ValueError("the request body is not JSON") from None
    if not isinstance(data, dict):
        raise ValueError("the request body must be a JSON object")
    return data


def _text(data: dict[str, Any], key: str, *, required: bool) -> str | None:
    value = data.get(key)
    if value is None or value == "":
        if required:
            raise ValueError(f"{key} is missing")
        return None
    if not isinstance(value, str):
        raise ValueError(f"{key} must be a string")
    return value


def _duration(data: dict[str, Any]) -> float | None:
    value = data.get("duration_s")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
        raise ValueError(f"duration_s must be a number of scenario seconds above 0, not {value!r}")
    return float(value)


def handle(
    environ: dict[str, Any], start_response: StartResponse, handler: ControlHandler | None
) -> Iterable[bytes]:
    """Answer one control API request."""
    path = str(environ.get("PATH_INFO") or "")
    method = str(environ.get("REQUEST_METHOD") or "GET").upper()
    name = path[len(PREFIX) :].strip("/")
    if handler is None:
        return _reply(start_response, 404, {"error": "no warroom simulator is served on this port"})
    routes = {"status": "GET", "inject": "POST", "clear": "POST"}
    if name not in routes:
        return _reply(start_response, 404, {"error": f"no control API {path}; try {PREFIX}status"})
    if method != routes[name]:
        return _reply(start_response, 405, {"error": f"{path} takes {routes[name]}"})
    try:
        if name == "status":
            return _reply(start_response, 200, handler.status())
        data = _body(environ)
        fault = _text(data, "fault", required=True)
        assert fault is not None
        target = _text(data, "target", required=False)
        if name == "inject":
            return _reply(start_response, 200, handler.inject(fault, target, _duration(data)))
        return _reply(start_response, 200, {"cleared": handler.clear(fault, target)})
    except ValueError as exc:
        return _reply(start_response, 400, {"error": str(exc)})
    except Exception as exc:
        logger.debug("control API %s failed", path, exc_info=True)
        return _reply(start_response, 500, {"error": f"the simulator failed: {exc}"})


_install_lock = threading.Lock()


def install() -> None:
    """Serve the control API from moto's WSGI dispatcher (idempotent)."""
    # Imported here: the console imports this module, and moto costs it about 0.2 s of start-up.
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication

    with _install_lock:
        current = DomainDispatcherApplication.__dict__.get("__call__")
        if current is None:
            raise RuntimeError(
                "moto's DomainDispatcherApplication has no __call__: the control API needs updating"
            )
        if "warroom_original" in getattr(current, "__dict__", {}):
            return

        def dispatch(self: Any, environ: dict[str, Any], start_response: StartResponse) -> Any:
            if str(environ.get("PATH_INFO") or "").startswith(PREFIX):
                return handle(environ, start_response, _handler(environ))
            return current(self, environ, start_response)

        dispatch.__dict__["warroom_original"] = current
        setattr(DomainDispatcherApplication, "__call__", dispatch)  # noqa: B010
    logger.debug("control API installed")
