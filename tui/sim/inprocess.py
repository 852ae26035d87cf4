"""botocore clients that call the simulator's WSGI application in this process, with no socket.

The workload is seeded through the API: over HTTP to a loopback listener, each call opened a
connection (werkzeug's server closes every one), started a thread to serve it, and went through
two HTTP parsers, about 1.5 ms of the simulator's start a call, some 90 calls. ``attach(client,
app)`` hands the client's requests to ``app`` (moto's dispatcher, as the listener would) in the
calling thread instead: the same application answers them, in the same order, so the seeding
makes the same resources with the same identifiers; only the transport is gone.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit

WsgiApp = Callable[[dict[str, Any], Any], Any]


class _Body(io.BytesIO):
    """A response body botocore can read whole (``stream``) or as a stream (``read``)."""

    def stream(self, **_: Any) -> Iterator[bytes]:
        data = self.read()
        if data:
            yield data


def _request_body(body: Any) -> bytes:
    if body is None:
        return b""
    if isinstance(body, bytes | bytearray):
        return bytes(body)
    if isinstance(body, str):
        return body.encode("utf-8")
    data = body.read()  # a file-like body (an upload)
    return data.encode("utf-8") if isinstance(data, str) else bytes(data)


def call(app: WsgiApp, request: Any) -> Any:
    """Answer botocore's prepared ``request`` with ``app``: an ``AWSResponse``."""
    from botocore.awsrequest import AWSResponse
    from werkzeug.test import EnvironBuilder, run_wsgi_app

    parts = urlsplit(request.url)
    headers = {}
    for name, value in request.headers.items():
        headers[name] = value.decode("utf-8") if isinstance(value, bytes) else str(value)
    headers.setdefault("Host", parts.netloc)
    builder = EnvironBuilder(
        path=parts.path or "/",
        base_url=f"{parts.scheme}://{parts.netloc}",
        query_string=parts.query,
        method=request.method,
        headers=headers,
        data=_request_body(request.body),
    )
    try:
        environ = builder.get_environ()
    finally:
        builder.close()
    environ["REMOTE_ADDR"] = "127.0.0.1"
    body, status, response_headers = run_wsgi_app(app, environ, buffered=True)
    try:
        content = b"".join(body)
    finally:
        close = getattr(body, "close", None)
        if close is not None:
            close()
    code = int(status.split(None, 1)[0])
    return AWSResponse(request.url, code, dict(response_headers.items()), _Body(content))


def attach(client: Any, app: WsgiApp) -> Any:
    """Make ``client`` send every request to ``app`` in this process; returns the client."""

    def send(request: Any, **_: Any) -> Any:
        return call(app, request)

    client.meta.events.register_first("before-send", send, unique_id="warroom-inprocess")
    return client
