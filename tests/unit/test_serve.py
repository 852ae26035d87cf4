"""`warroom serve`: the token guard on every request, the followers' environment without AWS
credentials, and the refusal to bind beyond this machine without an explicit token."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from tui.cli import main
from tui.serve import (
    COOKIE,
    ServeError,
    check_exposure,
    follower_command,
    is_loopback,
    make_server,
    new_token,
    watcher_environment,
)

TOKEN = "s3cr3t-token-for-the-test"


async def _client(tmp_path: Path) -> TestClient[web.Request, web.Application]:
    server = make_server(tmp_path / "game.jsonl", token=TOKEN)
    app = await server._make_app()
    client: TestClient[web.Request, web.Application] = TestClient(TestServer(app))
    await client.start_server()
    return client


async def test_every_address_is_refused_without_the_token(tmp_path: Path) -> None:
    client = await _client(tmp_path)
    try:
        for path in ("/", "/ws", "/static/js/textual.js", "/download/x", "/?token=wrong"):
            response = await client.get(path)
            assert response.status == 403, path
            assert "access token" in await response.text()
    finally:
        await client.close()


async def test_the_token_opens_the_page_and_its_cookie_opens_the_rest(tmp_path: Path) -> None:
    client = await _client(tmp_path)
    try:
        page = await client.get(f"/?token={TOKEN}")
        assert page.status == 200
        html = await page.text()
        assert "warroom · watching game.jsonl" in html
        assert TOKEN not in html, "the page does not repeat the token: its requests carry the cookie"
        cookie = page.cookies[COOKIE]
        assert cookie.value == TOKEN and cookie["httponly"] and cookie["samesite"] == "Strict"
        script = await client.get("/static/js/textual.js")
        assert script.status == 200, "the cookie set by the page lets its script load"
        client.session.cookie_jar.clear()
        assert (await client.get("/static/js/textual.js")).status == 403
    finally:
        await client.close()


def test_followers_get_no_aws_credentials() -> None:
    environ = {
        "PATH": "/usr/bin",
        "HOME": "/home/watch",
        "AWS_ACCESS_KEY_ID": "AKIAEXAMPLEEXAMPLE01",
        "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "AWS_SESSION_TOKEN": "FwoGZXIvYXdzEXAMPLE",
        "AWS_PROFILE": "prod-admin",
        "aws_default_region": "eu-west-1",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "/v2/credentials/x",
        "BOTO_CONFIG": "/etc/boto.cfg",
    }
    env = watcher_environment(environ)
    assert env["PATH"] == "/usr/bin" and env["HOME"] == "/home/watch"
    assert env["AWS_SHARED_CREDENTIALS_FILE"] == env["AWS_CONFIG_FILE"] == "/dev/null"
    assert env["AWS_EC2_METADATA_DISABLED"] == "true"
    assert set(env) == {
        "PATH",
        "HOME",
        "AWS_SHARED_CREDENTIALS_FILE",
        "AWS_CONFIG_FILE",
        "AWS_EC2_METADATA_DISABLED",
    }
    for secret in ("AKIAEXAMPLEEXAMPLE01", "wJalrXUtnFEMI", "FwoGZXIvYXdz", "prod-admin", "/v2/credentials"):
        assert all(secret not in value for value in env.values())


def test_the_follower_is_a_replay_that_follows() -> None:
    words = shlex.split(follower_command(Path("/tmp/a game.jsonl"), theme="warroom-light"))
    assert words == [
        "exec",
        sys.executable,
        "-m",
        "tui.cli",
        "replay",
        "--follow",
        "/tmp/a game.jsonl",
        "--theme",
        "warroom-light",
    ]


def test_binding_beyond_loopback_needs_an_explicit_token() -> None:
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert check_exposure("127.0.0.1", None) is None
    with pytest.raises(ServeError, match="--token"):
        check_exposure("0.0.0.0", None)
    warning = check_exposure("0.0.0.0", "long-random")
    assert warning is not None and "beyond this machine" in warning
    assert len(new_token()) >= 32 and new_token() != new_token()


def test_the_command_refuses_what_it_cannot_serve(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    recording = tmp_path / "game.jsonl"
    assert main(["serve", "--follow", str(recording), "--host", "0.0.0.0"]) == 2
    assert "give --token TOKEN explicitly" in capsys.readouterr().err
    notes = tmp_path / "notes.txt"
    notes.write_text("not a recording\n")
    assert main(["serve", "--follow", str(notes)]) == 2
    assert "not a warroom recording" in capsys.readouterr().err
