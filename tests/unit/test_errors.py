from __future__ import annotations

import json

import pytest
from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    EndpointConnectionError,
    NoCredentialsError,
    ReadTimeoutError,
)
from botocore.parsers import ResponseParserError

from tui.aws.errors import ErrorKind, classify


def _client_error(code: str, op: str = "GetFindings", service: str = "securityhub") -> ClientError:
    return ClientError(
        {"Error": {"Code": code, "Message": "msg"}, "ResponseMetadata": {"ServiceName": service}}, op
    )


def test_access_denied_says_which_action_to_grant() -> None:
    problem = classify(_client_error("AccessDeniedException"))
    assert problem.kind is ErrorKind.PERMISSION
    assert "securityhub:GetFindings" in problem.hint


def test_throttling_and_expiry() -> None:
    assert classify(_client_error("ThrottlingException")).kind is ErrorKind.THROTTLED
    expired = classify(_client_error("ExpiredTokenException"), profile="prod")
    assert expired.kind is ErrorKind.EXPIRED
    assert "aws sso login --profile prod" in expired.hint


def test_credentials_and_network() -> None:
    assert classify(NoCredentialsError()).kind is ErrorKind.CREDENTIALS
    assert classify(EndpointConnectionError(endpoint_url="http://x")).kind is ErrorKind.NETWORK


def test_unknown_exception_is_an_error_not_a_crash() -> None:
    problem = classify(ValueError("odd"))
    assert problem.kind is ErrorKind.ERROR
    assert "odd" in problem.one_line()


def _unreadable_answers() -> list[BaseException]:
    garbage = b"\xff\xfe\x00{\x81"
    try:
        garbage.decode("utf-8")
    except UnicodeDecodeError as exc:
        decode_error = exc
    try:
        json.loads('{"Streams": [')
    except json.JSONDecodeError as exc:
        json_error = exc
    return [
        decode_error,
        json_error,
        ResponseParserError("Unable to parse response (not well-formed (invalid token))"),
        ConnectionClosedError(endpoint_url="http://127.0.0.1:1/"),
        ReadTimeoutError(endpoint_url="http://127.0.0.1:1/"),
        EndpointConnectionError(endpoint_url="http://127.0.0.1:1/"),
        ConnectionResetError(104, "Connection reset by peer"),
    ]


@pytest.mark.parametrize("exc", _unreadable_answers(), ids=lambda e: type(e).__name__)
def test_unreadable_answers_are_said_in_words_not_python(exc: BaseException) -> None:
    problem = classify(exc)
    shown = problem.one_line()
    assert problem.kind is ErrorKind.NETWORK
    for python in ("Error", "Exception", "codec", "byte 0x", "Expecting", "errno", "[Errno"):
        assert python not in shown, shown
    assert "endpoint" in shown
    assert "retrying" in problem.hint


def test_an_unreadable_answer_says_what_to_check() -> None:
    problem = classify(ResponseParserError("Unable to parse response"))
    assert "could not be read" in problem.message
    assert "proxy" in problem.hint


@pytest.mark.parametrize("code", ["InternalFailure", "ServiceUnavailable", "InternalError", "Unavailable"])
def test_server_errors_name_the_call_and_say_it_retries(code: str) -> None:
    problem = classify(_client_error(code, op="DescribeInstances", service="ec2"))
    assert problem.kind is ErrorKind.NETWORK
    assert problem.message == f"DescribeInstances: AWS answered with a server error ({code})"
    assert problem.hint.startswith("retrying")
