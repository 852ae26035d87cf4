"""Why an account is not reached, in its own words: ``AccountDirectory.explain`` over
``tui.aws.errors.classify``, on errors parsed by botocore from the bodies AWS sends.

No call is made: the directory knows its accounts from the settings and the identity it is given.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError, ProfileNotFound
from botocore.loaders import Loader
from botocore.model import ServiceModel
from botocore.parsers import create_parser

from tui.aws.accounts import Account, AccountDirectory
from tui.aws.clients import AwsTarget, ClientFactory
from tui.aws.errors import ErrorKind, classify, explicit_deny
from tui.aws.identity import Identity
from tui.aws.target import AccountEntry, AccountSettings

HOME = "123456789012"
PAYMENTS = "210987654321"
LEDGER = "345678901234"
ROLE_ARN = f"arn:aws:iam::{PAYMENTS}:role/warroom-readonly"
CALLER = f"arn:aws:sts::{HOME}:assumed-role/oncall/alice"
_loader = Loader()


def aws_error(service: str, operation: str, status: int, body: str) -> ClientError:
    """The ClientError botocore raises for ``body``, parsed as it parses AWS's answers."""
    model = ServiceModel(_loader.load_service_model(service, "service-2"), service)
    parser = create_parser(model.protocol)
    op = model.operation_model(operation)
    parsed: Any = parser.parse({"status_code": status, "headers": {}, "body": body.encode()}, op.output_shape)
    return ClientError(parsed, operation)


def sts_error(code: str, message: str, operation: str = "AssumeRole", status: int = 403) -> ClientError:
    return aws_error(
        "sts",
        operation,
        status,
        '<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type>'
        f"<Code>{code}</Code><Message>{message}</Message></Error>"
        "<RequestId>2f1b6c8e-2a55-4c5e-9d2b-0a1b2c3d4e5f</RequestId></ErrorResponse>",
    )


def ec2_error(code: str, message: str, operation: str = "DescribeInstances") -> ClientError:
    return aws_error(
        "ec2",
        operation,
        401 if code == "AuthFailure" else 403,
        f"<Response><Errors><Error><Code>{code}</Code><Message>{message}</Message></Error></Errors>"
        "<RequestID>8d7a2f3c-1b2e-4c5d-8e9f-0a1b2c3d4e5f</RequestID></Response>",
    )


@pytest.fixture
async def directory() -> AsyncIterator[AccountDirectory]:
    target = AwsTarget(
        regions=("us-east-1", "eu-west-1"),
        endpoint_url="http://127.0.0.1:9",
        access_key="testing",
        secret_key="testing",
    )
    factory = ClientFactory(target)
    settings = AccountSettings(
        entries=(
            AccountEntry(PAYMENTS, "payments-prod", line=4),
            AccountEntry(LEDGER, "ledger-prod", profile="ledger-ro", line=8),
        )
    )
    identity = Identity(HOME, CALLER, "AROAEXAMPLE:alice")
    made = AccountDirectory(factory, settings, identity=identity)
    await made.load()
    try:
        yield made
    finally:
        assert dict(factory.calls) == {}, "explaining made a call"
        await factory.close()


def test_errors_name_an_organization_policy_deny_and_a_disabled_region() -> None:
    scp = ec2_error(
        "UnauthorizedOperation",
        f"You are not authorized to perform this operation. User: {CALLER} is not authorized to perform: "
        "ec2:DescribeInstances with an explicit deny in a service control policy",
    )
    assert explicit_deny(scp) == "service control policy"
    problem = classify(scp)
    assert problem.kind is ErrorKind.PERMISSION
    assert problem.message == "DescribeInstances: denied by a service control policy of the organization"
    assert problem.hint == (
        "ask the organization's administrators to allow DescribeInstances in its service control policies"
    )
    boundary = sts_error(
        "AccessDenied",
        f"User: {CALLER} is not authorized to perform: sts:AssumeRole on resource: {ROLE_ARN} "
        "with an explicit deny in a permissions boundary",
    )
    assert explicit_deny(boundary) == "permissions boundary"
    assert classify(boundary).message == "AssumeRole: denied by an explicit deny in a permissions boundary"
    plain = sts_error("AccessDenied", f"User: {CALLER} is not authorized to perform: sts:AssumeRole")
    assert explicit_deny(plain) == "" and classify(plain).message == "AssumeRole: access denied"
    disabled = sts_error("RegionDisabledException", "STS is not activated in this region for account")
    assert classify(disabled).kind is ErrorKind.NOT_ENABLED


async def test_assuming_the_role_fails_for_a_reason_and_says_what_to_do(directory: AccountDirectory) -> None:
    payments = directory.account(PAYMENTS)
    assert payments.role_arn == ROLE_ARN and payments.line == 4

    missing = directory.explain(
        sts_error(
            "AccessDenied",
            f"User: {CALLER} is not authorized to perform: sts:AssumeRole on resource: {ROLE_ARN}",
        ),
        payments,
        "us-east-1",
    )
    assert missing.kind is ErrorKind.PERMISSION and missing.code == "AccessDenied"
    assert (
        missing.message
        == f"the role warroom-readonly is missing in payments-prod ({PAYMENTS}) or does not trust {HOME}"
    )
    assert missing.hint == (
        f"create it in {PAYMENTS} with read-only permissions and the trust policy statement "
        f'{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{HOME}:root"}},"Action":"sts:AssumeRole"}}, '
        f"and let this identity call sts:AssumeRole on {ROLE_ARN}"
    )

    scp = directory.explain(
        sts_error(
            "AccessDenied",
            f"User: {CALLER} is not authorized to perform: sts:AssumeRole on resource: {ROLE_ARN} with an "
            "explicit deny in a service control policy",
        ),
        payments,
        "us-east-1",
    )
    assert scp.message == (
        f"a service control policy of the organization denies assuming the role warroom-readonly in "
        f"payments-prod ({PAYMENTS}) (sts:AssumeRole, with an explicit deny)"
    )

    mine = directory.explain(
        sts_error(
            "AccessDenied",
            f"User: {CALLER} is not authorized to perform: sts:AssumeRole on resource: {ROLE_ARN} with an "
            "explicit deny in an identity-based policy",
        ),
        payments,
        "us-east-1",
    )
    assert mine.message == (
        f"an explicit deny in an identity-based policy stops {HOME} from assuming the role warroom-readonly "
        f"in payments-prod ({PAYMENTS})"
    )
    assert mine.hint == f"remove the deny of sts:AssumeRole on {ROLE_ARN} from that identity-based policy"

    sts_off = directory.explain(
        sts_error(
            "RegionDisabledException",
            f"STS is not activated in this region for account:{HOME}. Your account administrator can "
            "activate STS in this region using the IAM Console.",
        ),
        payments,
        "us-east-1",
    )
    assert sts_off.kind is ErrorKind.NOT_ENABLED
    assert (
        sts_off.message
        == f"STS is not active in us-east-1 for account {HOME}, so no role can be assumed there"
    )

    expired = directory.explain(
        sts_error("ExpiredToken", "The security token included in the request is expired"),
        payments,
        "eu-west-1",
    )
    assert expired.kind is ErrorKind.EXPIRED
    assert expired.message.startswith(f"assuming the role warroom-readonly in payments-prod ({PAYMENTS}): ")
    assert "aws sso login" in expired.hint

    throttled = directory.explain(sts_error("Throttling", "Rate exceeded", status=400), payments, "us-east-1")
    assert throttled.kind is ErrorKind.THROTTLED
    assert (
        throttled.message
        == f"assuming the role warroom-readonly in payments-prod ({PAYMENTS}): AssumeRole: throttled by AWS"
    )


async def test_a_call_as_the_account_fails_for_a_reason_and_says_what_to_do(
    directory: AccountDirectory,
) -> None:
    payments = directory.account(PAYMENTS)
    region_off = directory.explain(
        ec2_error("AuthFailure", "AWS was not able to validate the provided access credentials"),
        payments,
        "eu-west-1",
    )
    assert region_off.kind is ErrorKind.NOT_ENABLED and region_off.code == "AuthFailure"
    assert region_off.message == f"region eu-west-1 is not enabled in account payments-prod ({PAYMENTS})"
    assert region_off.hint.startswith(f"enable eu-west-1 in payments-prod ({PAYMENTS}) (Account settings")
    opt_in = directory.explain(
        ec2_error("OptInRequired", "You are not subscribed to this service."), payments, "ap-east-1"
    )
    assert opt_in.message == f"region ap-east-1 is not enabled in account payments-prod ({PAYMENTS})"

    scp = directory.explain(
        ec2_error(
            "UnauthorizedOperation",
            "You are not authorized to perform this operation. User: arn:aws:sts::210987654321:assumed-role/"
            "warroom-readonly/warroom is not authorized to perform: ec2:DescribeInstances with an explicit "
            "deny in a service control policy",
        ),
        payments,
        "us-east-1",
    )
    assert scp.kind is ErrorKind.PERMISSION
    assert scp.message == (
        f"a service control policy of the organization denies DescribeInstances in payments-prod ({PAYMENTS})"
    )
    not_granted = directory.explain(
        ec2_error("UnauthorizedOperation", "You are not authorized to perform this operation."),
        payments,
        "us-east-1",
    )
    assert (
        not_granted.message
        == f"DescribeInstances is not allowed to role warroom-readonly in payments-prod ({PAYMENTS})"
    )
    assert not_granted.hint == (
        f"grant DescribeInstances to role warroom-readonly in {PAYMENTS} (see README, IAM policy)"
    )

    gone = directory.explain(
        EndpointConnectionError(endpoint_url="https://ec2.eu-west-1.amazonaws.com"), payments, "eu-west-1"
    )
    assert gone.kind is ErrorKind.NETWORK
    assert gone.message == f"payments-prod ({PAYMENTS}), eu-west-1: cannot connect to the endpoint"

    ledger = directory.account(LEDGER)
    assert ledger.via == "profile ledger-ro" and ledger.role_arn is None
    no_profile = directory.explain(ProfileNotFound(profile="ledger-ro"), ledger, "us-east-1")
    assert no_profile.kind is ErrorKind.CREDENTIALS
    assert no_profile.message == (
        f"the profile ledger-ro of ledger-prod ({LEDGER}): The config profile (ledger-ro) could not be found"
    )


async def test_the_consoles_own_account_is_told_as_before(directory: AccountDirectory) -> None:
    home = directory.account(HOME)
    assert home.home and home.via == "directly" and home.source.value == "credentials"
    rejected = sts_error(
        "InvalidClientTokenId", "The security token included in the request is invalid.", "GetCallerIdentity"
    )
    # In the primary region, the console's own keys refused are its credentials, as before.
    assert directory.explain(rejected, home, "us-east-1") == classify(rejected)
    denied = ec2_error("UnauthorizedOperation", "You are not authorized to perform this operation.")
    assert directory.explain(denied, home, "us-east-1") == classify(denied)
    # Refused in a region while they work in another: that region is not enabled.
    directory.succeeded(HOME, "us-east-1")
    assert directory.explain(rejected, home, "eu-west-1").kind is ErrorKind.NOT_ENABLED


def test_an_account_is_shown_by_name_and_id() -> None:
    assert Account("210987654321", "payments-prod").label == "payments-prod (210987654321)"
    assert Account("210987654321").label == "210987654321"
    assert Account("1", role_arn="arn:aws:iam::1:role/ops/reader").via == "role ops/reader"
