"""A fault-injecting HTTP proxy between a console (or a poller) and the simulator.

It listens on 127.0.0.1, forwards every request to the simulator, and on the way makes AWS misbehave
on purpose, per service or for every service, switchable while it runs:

- ``throttle`` at a rate (0..1): the throttling error of the request's protocol, the codes botocore's
  retry handler recognises (EC2 ``RequestLimitExceeded``, query ``Throttling``, JSON, REST-JSON and
  CBOR ``ThrottlingException``);
- ``http500`` / ``http503``: an internal error or "service unavailable" in the protocol's shape;
- ``reset``: the connection is reset without an answer;
- ``slow``: the answer comes ``delay`` seconds late;
- ``denied``: AccessDenied (EC2 ``UnauthorizedOperation``);
- ``expired``: the security token has expired (EC2 ``RequestExpired``, others ``ExpiredToken``);
- ``garbage``: a 200 whose body is bytes no parser reads;
- ``truncated``: a 200 that promises the whole body and closes half way.

It is driven in process (``FaultProxy.set`` / ``clear``) or over HTTP on the proxy itself:
``GET /__faults__`` answers the faults and counters as JSON, ``POST /__faults__`` with
``{"mode": ..., "service": ..., "rate": ..., "delay": ...}`` sets one (``{"clear": true}`` clears).
Every request is counted per ``service:Operation``, and the mutating ones apart.

Standard library only (botocore's service models name REST operations), no Textual.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import random
import re
import signal
import socket
import struct
import threading
from collections import Counter
from dataclasses import dataclass
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

MODES = ("throttle", "http500", "http503", "reset", "slow", "denied", "expired", "garbage", "truncated")
CONTROL_PATH = "/__faults__"
#: Operation names that change something (by prefix), as read-only mode must never send.
MUTATING_PREFIXES = (
    "Create",
    "Delete",
    "Update",
    "Put",
    "Revoke",
    "Authorize",
    "Start",
    "Stop",
    "Terminate",
    "Reboot",
    "BatchUpdate",
    "BatchImport",
    "Modify",
    "Increase",
    "Decrease",
    "Enable",
    "Disable",
    "Register",
    "Deregister",
    "Attach",
    "Detach",
    "Associate",
    "Disassociate",
    "Send",
    "Request",
    "Reset",
    "Tag",
    "Untag",
    "Merge",
    "Split",
    "Import",
    "Resume",
    "Cancel",
    "Accept",
    "Reject",
    "Run",
    "Set",
)
_HOP_HEADERS = {"content-length", "transfer-encoding", "connection", "date", "server"}
_SCOPE = re.compile(r"Credential=[^/]+/\d{8}/[^/]+/([^/]+)/aws4_request")
_CBOR_PATH = re.compile(r"^/service/[^/]+/operation/([A-Za-z0-9]+)$")


def is_mutating(operation: str) -> bool:
    return operation.startswith(MUTATING_PREFIXES)


@dataclass(frozen=True)
class Fault:
    """One injected misbehaviour: which mode, for which service ("" for all), how often, how slow."""

    mode: str
    service: str = ""
    rate: float = 1.0
    delay: float = 35.0

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"unknown fault mode {self.mode!r} (one of {', '.join(MODES)})")
        if not 0.0 <= self.rate <= 1.0:
            raise ValueError("rate is a fraction between 0 and 1")

    def applies(self, service: str) -> bool:
        return not self.service or self.service == service


@dataclass(frozen=True)
class Request:
    """What the proxy understood of one request."""

    service: str
    operation: str
    protocol: str  # ec2 | query | json | rest-json | cbor


# -- recognising the request ------------------------------------------------------------------------


@cache
def _rest_routes(service: str) -> tuple[tuple[str, re.Pattern[str], str], ...]:
    """(method, path pattern, operation) of a REST service, from botocore's model of it."""
    try:
        import botocore.session  # for start-up time: only a REST service's first request needs it

        model = botocore.session.get_session().get_service_model(service)
    except Exception:  # an unknown service: its requests are counted under "?"
        return ()
    routes = []
    for name in model.operation_names:
        http = model.operation_model(name).http
        uri = str(http.get("requestUri", "/")).split("?", 1)[0]
        pattern = "/".join("[^/]+" if part.startswith("{") else re.escape(part) for part in uri.split("/"))
        routes.append((str(http.get("method", "POST")), re.compile(f"^{pattern}/?$"), name))
    # Literal paths before templated ones: "/findings/batchupdate" is not "/findings/{id}".
    routes.sort(key=lambda r: r[1].pattern.count("[^/]+"))
    return tuple(routes)


def understand(method: str, path: str, headers: Any, body: bytes) -> Request:
    """The service (from the SigV4 credential scope), operation and protocol of a request."""
    auth = str(headers.get("Authorization", "") or "")
    match = _SCOPE.search(auth)
    service = match.group(1) if match else ""
    target = str(headers.get("X-Amz-Target", "") or "")
    content_type = str(headers.get("Content-Type", "") or "")
    url = urlsplit(path)
    cbor = _CBOR_PATH.match(url.path)
    if cbor:
        return Request(service, cbor.group(1), "cbor")
    if target:
        return Request(service, target.rsplit(".", 1)[-1], "json")
    if "x-www-form-urlencoded" in content_type or (method == "POST" and body.startswith(b"Action=")):
        form = parse_qs(body.decode("utf-8", "replace"))
        action = (form.get("Action") or parse_qs(url.query).get("Action") or ["?"])[0]
        return Request(service, action, "ec2" if service == "ec2" else "query")
    for route_method, pattern, name in _rest_routes(service):
        if route_method == method and pattern.match(url.path):
            return Request(service, name, "rest-json")
    return Request(service, "?", "rest-json")


# -- AWS's error shapes -----------------------------------------------------------------------------


def _cbor_text(value: str) -> bytes:
    data = value.encode()
    n = len(data)
    if n < 24:
        head = bytes([0x60 | n])
    elif n < 256:
        head = bytes([0x78, n])
    else:
        head = bytes([0x79]) + struct.pack(">H", n)
    return head + data


def _cbor_map(items: dict[str, str]) -> bytes:
    return bytes([0xA0 | len(items)]) + b"".join(_cbor_text(k) + _cbor_text(v) for k, v in items.items())


_CODES = {
    # mode: (status, EC2 code, query code, JSON code)
    "throttle": (400, "RequestLimitExceeded", "Throttling", "ThrottlingException"),
    "http500": (500, "InternalError", "InternalFailure", "InternalFailure"),
    "http503": (503, "Unavailable", "ServiceUnavailable", "ServiceUnavailableException"),
    "denied": (403, "UnauthorizedOperation", "AccessDenied", "AccessDeniedException"),
    "expired": (400, "RequestExpired", "ExpiredToken", "ExpiredTokenException"),
}
_MESSAGES = {
    "throttle": "Rate exceeded",
    "http500": "We encountered an internal error. Please try again.",
    "http503": "Service is unavailable. Please try again.",
    "denied": "You are not authorized to perform this operation.",
    "expired": "The security token included in the request is expired",
}


def error_response(mode: str, req: Request) -> tuple[int, dict[str, str], bytes]:
    """Status, headers and body of the error ``mode`` in the request's protocol."""
    status, ec2_code, query_code, json_code = _CODES[mode]
    if mode == "throttle" and req.protocol == "rest-json":
        status = 429
    message = _MESSAGES[mode]
    request_id = "fault-proxy-0000"
    if req.protocol == "ec2":
        body = (
            f"<?xml version='1.0' encoding='UTF-8'?><Response><Errors><Error><Code>{ec2_code}</Code>"
            f"<Message>{message}</Message></Error></Errors><RequestID>{request_id}</RequestID></Response>"
        )
        return status, {"Content-Type": "text/xml"}, body.encode()
    if req.protocol == "query":
        kind = "Receiver" if status >= 500 else "Sender"
        body = (
            f"<ErrorResponse><Error><Type>{kind}</Type><Code>{query_code}</Code><Message>{message}</Message>"
            f"</Error><RequestId>{request_id}</RequestId></ErrorResponse>"
        )
        return status, {"Content-Type": "text/xml"}, body.encode()
    if req.protocol == "cbor":
        headers = {"Content-Type": "application/cbor", "smithy-protocol": "rpc-v2-cbor"}
        headers["x-amzn-query-error"] = f"{query_code};{'Receiver' if status >= 500 else 'Sender'}"
        return status, headers, _cbor_map({"__type": json_code, "message": message})
    headers = {"Content-Type": "application/x-amz-json-1.1", "x-amzn-RequestId": request_id}
    if req.protocol == "rest-json":
        headers = {"Content-Type": "application/json", "x-amzn-ErrorType": json_code}
    return status, headers, json.dumps({"__type": json_code, "message": message}).encode()


# -- the proxy --------------------------------------------------------------------------------------


class FaultProxy:
    """The proxy, its faults and its counters. ``start()`` returns it; ``url`` is where to point clients."""

    def __init__(self, upstream: str, *, port: int = 0, seed: int = 0) -> None:
        parts = urlsplit(upstream)
        self.upstream_host = parts.hostname or "127.0.0.1"
        self.upstream_port = parts.port or 80
        self._lock = threading.Lock()
        self._faults: list[Fault] = []
        self._rng = random.Random(seed)
        self._closing = threading.Event()
        self.calls: Counter[str] = Counter()
        self.mutating: Counter[str] = Counter()
        self.injected: Counter[str] = Counter()
        self._server = ThreadingHTTPServer(("127.0.0.1", port), _handler_for(self))
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> FaultProxy:
        self._thread = threading.Thread(target=self._server.serve_forever, name="fault-proxy", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._closing.set()
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    # -- switching faults at run time --

    def set(self, mode: str, *, service: str = "", rate: float = 1.0, delay: float = 35.0) -> Fault:
        """Inject ``mode`` for ``service`` ("" for all), replacing any fault on that service."""
        fault = Fault(mode, service, rate, delay)
        with self._lock:
            self._faults = [f for f in self._faults if f.service != service] + [fault]
        return fault

    def clear(self) -> None:
        with self._lock:
            self._faults = []

    @property
    def faults(self) -> tuple[Fault, ...]:
        with self._lock:
            return tuple(self._faults)

    def reset_counts(self) -> None:
        with self._lock:
            self.calls.clear()
            self.mutating.clear()
            self.injected.clear()

    def total_calls(self) -> int:
        with self._lock:
            return sum(self.calls.values())

    def state(self) -> dict[str, Any]:
        with self._lock:
            return {
                "faults": [f.__dict__ for f in self._faults],
                "calls": dict(self.calls),
                "mutating": dict(self.mutating),
                "injected": dict(self.injected),
            }

    def _decide(self, req: Request) -> Fault | None:
        """Count the request and pick the fault it meets, if any."""
        key = f"{req.service}:{req.operation}"
        with self._lock:
            self.calls[key] += 1
            if is_mutating(req.operation):
                self.mutating[key] += 1
            for fault in reversed(self._faults):
                if fault.applies(req.service):
                    if self._rng.random() < fault.rate:
                        self.injected[f"{fault.mode} {key}"] += 1
                        return fault
                    return None
        return None

    def _forward(
        self, method: str, path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, Any, bytes]:
        conn = http.client.HTTPConnection(self.upstream_host, self.upstream_port, timeout=120)
        try:
            conn.request(method, path, body=body, headers=headers)
            reply = conn.getresponse()
            return reply.status, reply.getheaders(), reply.read()
        finally:
            conn.close()


def _handler_for(proxy: FaultProxy) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: nothing may print on the terminal a console draws on."""

        def _body(self) -> bytes:
            length = int(self.headers.get("Content-Length") or 0)
            return self.rfile.read(length) if length else b""

        def _send(self, status: int, headers: Any, body: bytes, *, cut: bool = False) -> None:
            self.send_response(status)
            for name, value in headers:
                if name.lower() not in {
                    "content-length",
                    "transfer-encoding",
                    "connection",
                    "date",
                    "server",
                }:
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            if cut:
                self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(body[: len(body) // 2] if cut else body)
            if cut:
                self.wfile.flush()
                self.close_connection = True

        def _control(self, body: bytes) -> None:
            if self.command == "POST":
                try:
                    ask = json.loads(body or b"{}")
                    if ask.get("clear"):
                        proxy.clear()
                    if ask.get("reset_counts"):
                        proxy.reset_counts()
                    if ask.get("mode"):
                        proxy.set(
                            str(ask["mode"]),
                            service=str(ask.get("service", "")),
                            rate=float(ask.get("rate", 1.0)),
                            delay=float(ask.get("delay", 35.0)),
                        )
                except (ValueError, TypeError) as exc:
                    self._send(
                        400, [("Content-Type", "application/json")], json.dumps({"error": str(exc)}).encode()
                    )
                    return
            self._send(200, [("Content-Type", "application/json")], json.dumps(proxy.state()).encode())

        def _handle(self) -> None:
            body = self._body()
            if urlsplit(self.path).path == CONTROL_PATH:
                self._control(body)
                return
            req = understand(self.command, self.path, self.headers, body)
            fault = proxy._decide(req)
            mode = fault.mode if fault else ""
            if mode == "reset":
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                self.close_connection = True
                self.connection.close()
                return
            if mode in _CODES:
                status, headers, payload = error_response(mode, req)
                self._send(status, list(headers.items()), payload)
                return
            if fault is not None and mode == "slow":
                proxy._closing.wait(fault.delay)
            headers = {k: v for k, v in self.headers.items() if k.lower() not in {"connection", "keep-alive"}}
            try:
                status, reply_headers, payload = proxy._forward(self.command, self.path, headers, body)
            except OSError:
                status, reply_headers, payload = 502, [("Content-Type", "text/plain")], b"bad gateway"
            if mode == "garbage":
                payload = bytes([0xFF, 0xFE, 0x00, 0x7B, 0x81]) * 40
                status = 200
            self._send(status, reply_headers, payload, cut=mode == "truncated")

        def do_GET(self) -> None:
            try:
                self._handle()
            except OSError:  # the client gave up (its read timeout) or the proxy is closing
                self.close_connection = True

        do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_GET

    return Handler


def main(argv: list[str] | None = None) -> int:
    """``python -m tui.sim.faultproxy UPSTREAM [--port N]``: serve the proxy until interrupted."""
    parser = argparse.ArgumentParser(
        prog="python -m tui.sim.faultproxy",
        description="A fault-injecting proxy in front of a warroom simulator (POST /__faults__ sets faults).",
    )
    parser.add_argument("upstream", help="the simulator's URL, as `warroom sim serve` prints it")
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: a free one)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the throttling rate's draws")
    args = parser.parse_args(argv)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with FaultProxy(args.upstream, port=args.port, seed=args.seed) as proxy:
        print(proxy.url, flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            stop.wait()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
