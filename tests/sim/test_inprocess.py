"""Seeding calls the simulator's application in this process: a botocore client attached to a WSGI
application reaches it with the request an HTTP server would have given it, and opens no socket."""

from __future__ import annotations

import socket
from typing import Any
from urllib.parse import parse_qs

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from tui.sim.inprocess import attach

IDENTITY = (
    '<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">'
    "<GetCallerIdentityResult><Arn>arn:aws:iam::123456789012:root</Arn><UserId>123456789012</UserId>"
    "<Account>123456789012</Account></GetCallerIdentityResult>"
    "<ResponseMetadata><RequestId>r-1</RequestId></ResponseMetadata></GetCallerIdentityResponse>"
)


def _closed_port() -> int:
    """A loopback port nothing listens on (a connection to it is refused)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_a_request_reaches_the_application_in_this_process_and_its_answer_is_parsed() -> None:
    seen: list[dict[str, Any]] = []

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        seen.append({**environ, "body": environ["wsgi.input"].read(length)})
        body = IDENTITY.encode()
        start_response("200 OK", [("Content-Type", "text/xml"), ("Content-Length", str(len(body)))])
        return [body]

    url = f"http://127.0.0.1:{_closed_port()}"
    client = boto3.session.Session("AKIDEXAMPLE", "secret", region_name="us-east-1").client(
        "sts", endpoint_url=url, config=Config(retries={"max_attempts": 1})
    )
    attach(client, app)
    assert client.get_caller_identity()["Account"] == "123456789012"
    (environ,) = seen
    assert environ["REQUEST_METHOD"] == "POST"
    assert environ["PATH_INFO"] == "/"
    assert environ["HTTP_HOST"] == url.removeprefix("http://")
    assert "Credential=AKIDEXAMPLE/" in environ["HTTP_AUTHORIZATION"]
    assert environ["CONTENT_TYPE"].startswith("application/x-www-form-urlencoded")
    assert parse_qs(environ["body"].decode())["Action"] == ["GetCallerIdentity"]


def test_an_error_answer_is_raised_as_botocore_raises_it() -> None:
    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        body = (
            b"<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code>"
            b"<Message>no</Message></Error><RequestId>r-2</RequestId></ErrorResponse>"
        )
        start_response("403 Forbidden", [("Content-Type", "text/xml")])
        return [body]

    client = boto3.session.Session("AKIDEXAMPLE", "secret", region_name="us-east-1").client(
        "sts", endpoint_url=f"http://127.0.0.1:{_closed_port()}", config=Config(retries={"max_attempts": 1})
    )
    attach(client, app)
    with pytest.raises(ClientError) as raised:
        client.get_caller_identity()
    assert raised.value.response["Error"]["Code"] == "AccessDenied"
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
