"""``warroom serve --follow FILE``: the watch view of a recording, in browsers.

textual-serve runs one follower process (``warroom replay --follow FILE``) per browser tab and
streams its screen over a websocket, so each watcher moves between panes on their own. The
followers read the recording the driving console writes (``--record FILE``); none of them makes
an AWS client (``tui.replaying.OfflineFactory``), and their environment holds no AWS credential:
``watcher_environment`` is what the server runs with, and so what every follower inherits.

Access: the server binds to 127.0.0.1 unless told otherwise. Every request needs the access token,
in the address (``?token=``, the URL printed at start) or in the cookie the page sets from it, so
that the page's own requests (its script, its websocket) carry it without it in their addresses;
a request without it gets 403. Binding to another address needs ``--token`` given explicitly, and
prints a warning.
"""

from __future__ import annotations

import asyncio
import hmac
import ipaddress
import logging
import os
import secrets
import shlex
import sys
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import Any

TOKEN_PARAM = "token"
COOKIE = "warroom_watch"
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8800
TEMPLATES = Path(__file__).parent / "web"
"""The page around the terminal (``app_index.html``, the name textual-serve asks for); its own
script and styles draw the terminal in it."""

REFUSED = "403: this watch view needs its access token: open the address `warroom serve` printed."

# What a follower must not inherit: credentials and anything pointing at them.
_DROPPED_PREFIXES = ("AWS_", "BOTO_", "BOTOCORE_")
_NO_CREDENTIALS = {
    # The shared files would be read by any AWS SDK the follower loaded: point them at nothing.
    "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    "AWS_CONFIG_FILE": os.devnull,
    # No instance or container role either.
    "AWS_EC2_METADATA_DISABLED": "true",
}


class ServeError(ValueError):
    """A ``warroom serve`` option that cannot be used; the message says why and what to do."""


def new_token() -> str:
    return secrets.token_urlsafe(24)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_exposure(host: str, token: str | None) -> str | None:
    """The warning to print for ``host``, or None on loopback; ServeError when binding beyond
    this machine without an explicit ``--token``."""
    if is_loopback(host):
        return None
    if not token:
        raise ServeError(
            f"--host {host} would let other machines reach the watch view: give --token TOKEN "
            "explicitly (a long random string; every watcher needs it) to bind there"
        )
    return (
        f"warning: serving on {host}, reachable beyond this machine; anyone with the address and its "
        "token sees the game day (over plain HTTP: put it behind TLS on an untrusted network)"
    )


def watcher_environment(environ: Mapping[str, str]) -> dict[str, str]:
    """``environ`` without AWS credentials or any way to find some: the followers' environment."""
    kept = {k: v for k, v in environ.items() if not k.upper().startswith(_DROPPED_PREFIXES)}
    kept.update(_NO_CREDENTIALS)
    return kept


def follower_command(path: Path, *, theme: str | None = None, python: str = sys.executable) -> str:
    """The shell command textual-serve runs per browser tab: the shell becomes the follower
    (``exec``), so a watcher costs one process, which textual-serve's signals reach directly."""
    words = [python, "-m", "tui.cli", "replay", "--follow", str(path)]
    if theme:
        words += ["--theme", theme]
    return "exec " + shlex.join(words)


def public_url(host: str, port: int) -> str:
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}"


def token_matches(given: str | None, token: str) -> bool:
    return bool(given) and hmac.compare_digest(str(given).encode(), token.encode())


Handler = Callable[[Any], Awaitable[Any]]


def token_guard(token: str) -> Any:
    """An aiohttp middleware: 403 without the token; the page's answer sets the cookie."""
    from aiohttp import web

    @web.middleware
    async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
        in_query = token_matches(request.query.get(TOKEN_PARAM), token)
        if not (in_query or token_matches(request.cookies.get(COOKIE), token)):
            raise web.HTTPForbidden(text=REFUSED)
        response: web.StreamResponse = await handler(request)
        if in_query and not response.prepared:
            response.set_cookie(COOKIE, token, httponly=True, samesite="Strict", path="/")
        return response

    return guard


async def _listening(host: str, port: int, within: float = 30.0) -> None:
    """Return once ``host:port`` accepts a connection (at most ``within`` seconds)."""
    probe = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(host, host)
    deadline = asyncio.get_running_loop().time() + within
    while True:
        try:
            _, writer = await asyncio.open_connection(probe, port)
        except OSError:
            if asyncio.get_running_loop().time() > deadline:
                return
            await asyncio.sleep(0.02)
            continue
        writer.close()
        return


def make_server(
    recording: Path,
    *,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    token: str,
    theme: str | None = None,
    url: str | None = None,
) -> Any:
    """A textual-serve server of the watch view of ``recording``, guarded by ``token``."""
    from aiohttp import web
    from textual_serve.server import Server

    address = url or public_url(host, port)
    command = follower_command(recording, theme=theme)
    announcing = web.AppKey("warroom-announce", asyncio.Task)

    class WatchServer(Server):
        """textual-serve's server with the token guard, warroom's page and its start message."""

        async def _make_app(self) -> web.Application:
            app: web.Application = await super()._make_app()
            app.middlewares.append(token_guard(token))
            return app

        def initialize_logging(self) -> None:
            # Its request log would print every address, the token in the first one.
            logging.basicConfig(level=logging.WARNING, format="warroom serve: %(message)s")
            logging.getLogger("aiohttp.access").setLevel(logging.ERROR)

        async def on_startup(self, app: web.Application) -> None:
            # aiohttp runs its startup hooks before it listens: the address is printed once it
            # answers, or a browser (or a script) opening it at once would be refused.
            app[announcing] = asyncio.get_running_loop().create_task(self._announce())

        async def _announce(self) -> None:
            await _listening(host, port)
            print(f"warroom serve: the watch view of {recording}", flush=True)
            print(f"  open {address}/?{TOKEN_PARAM}={token}", flush=True)
            print("  each browser tab follows on its own; Ctrl+C stops serving", flush=True)

    return WatchServer(
        command,
        host=host,
        port=port,
        title=f"warroom · watching {recording.name}",
        public_url=address,
        templates_path=TEMPLATES,
    )


def serve(
    recording: Path,
    *,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    token: str | None = None,
    theme: str | None = None,
    url: str | None = None,
) -> None:
    """Serve until interrupted. The process drops its AWS credentials first: the followers it
    starts inherit its environment."""
    warning = check_exposure(host, token)
    if warning:
        print(f"warroom serve: {warning}", file=sys.stderr, flush=True)
    clean = watcher_environment(os.environ)
    os.environ.clear()
    os.environ.update(clean)
    server = make_server(recording, host=host, port=port, token=token or new_token(), theme=theme, url=url)
    server.serve()
