from __future__ import annotations

from botocore.exceptions import ClientError, EndpointConnectionError, NoCredentialsError

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
