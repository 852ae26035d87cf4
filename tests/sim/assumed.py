"""boto3 clients acting as any account of the simulator, through sts:AssumeRole.

moto maps the "testing" keys to account 123456789012 and keys that sts:AssumeRole issued to the
role's account, so a test makes the accounts of an organization by assuming a role in each of their
ids, as a console assumes its read role in each member account. The role is
OrganizationAccountAccessRole, which Organizations makes in each account it creates: the simulator
refuses a role missing from an organization's account (``tui.sim.extensions.sts``), and lets any
role be assumed in an account outside every organization. The aggregation tests use accounts of
their own (ids no other test uses), so what they create in the shared simulator meets nothing else.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import boto3

HOME_ACCOUNT = "123456789012"
ROLE_NAME = "OrganizationAccountAccessRole"


class Accounts:
    """``accounts.client("123412341234", "oam", "eu-west-1")``: a client in that account."""

    def __init__(self, url: str) -> None:
        self.url = url

    @functools.cache  # noqa: B019 - one set of keys per account for the life of the test module
    def credentials(self, account_id: str) -> dict[str, str]:
        if account_id == HOME_ACCOUNT:
            return {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
        sts = boto3.client(
            "sts",
            region_name="us-east-1",
            endpoint_url=self.url,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        issued = sts.assume_role(
            RoleArn=f"arn:aws:iam::{account_id}:role/{ROLE_NAME}", RoleSessionName="warroom-tests"
        )["Credentials"]
        return {
            "aws_access_key_id": issued["AccessKeyId"],
            "aws_secret_access_key": issued["SecretAccessKey"],
            "aws_session_token": issued["SessionToken"],
        }

    def client(self, account_id: str, service: str, region: str = "us-east-1") -> Any:
        return boto3.client(
            service, region_name=region, endpoint_url=self.url, **self.credentials(account_id)
        )

    def maker(self, account_id: str) -> Callable[..., Any]:
        """``make("ec2", "eu-west-1")`` for one account."""
        return functools.partial(self.client, account_id)


def account_ids(prefix: str) -> Callable[[], str]:
    """A source of 12-digit account ids starting with ``prefix``, none returned twice."""
    counter = iter(range(1, 10 ** (12 - len(prefix))))
    return lambda: f"{prefix}{next(counter):0{12 - len(prefix)}d}"


def make_organization(accounts: Accounts, management_id: str, names: list[str]) -> dict[str, str]:
    """An organization managed by ``management_id`` (as AWS Organizations' CreateOrganization and
    CreateAccount make it), with one new account per name: name -> account id (moto picks the ids)."""
    org = accounts.client(management_id, "organizations")
    org.create_organization(FeatureSet="ALL")
    made: dict[str, str] = {}
    for name in names:
        status = org.create_account(AccountName=name, Email=f"{name}@example.com")["CreateAccountStatus"]
        made[name] = status["AccountId"]
    return made
