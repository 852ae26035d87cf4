"""Cross-account clients and dry runs against the simulator.

Region us-west-2 is this module's own: every queue and security group here is created by these tests.

moto maps a request's access key to its account: the "testing" keys to 123456789012, keys issued by
sts:AssumeRole to the role's account. The ``accounts`` fixture makes sure no ``MOTO_ACCOUNT_ID`` in the
environment pins every request to one account while a test tells accounts apart.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiobotocore.httpsession import AIOHTTPSession
from botocore.exceptions import ClientError
from moto.core import enable_iam_authentication

from tui.aws.actions import ActionRunner, ApiCall, AuditLog, CliTarget, Plan, cli_lines
from tui.aws.clients import ROLE_SESSION_NAME, AwsTarget, ClientFactory, account_of_role
from tui.aws.errors import ErrorKind

REGION = "us-west-2"
OTHER_ACCOUNT = "111122223333"
HOME_ACCOUNT = "123456789012"
ROLE = f"arn:aws:iam::{OTHER_ACCOUNT}:role/warroom-remediation"
ClientMaker = Callable[..., Any]
_names = itertools.count(1)


def unique(prefix: str) -> str:
    return f"{prefix}-{next(_names)}"


class Clock:
    """A settable clock for credential expiry; real time until moved."""

    def __init__(self) -> None:
        self.offset = timedelta(0)

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset


def make_factory(
    sim_url: str, *, key: str = "testing", secret: str = "testing", clock: Clock | None = None
) -> ClientFactory:
    target = AwsTarget(regions=(REGION,), endpoint_url=sim_url, access_key=key, secret_key=secret)
    return ClientFactory(target, clock=clock)


@pytest.fixture
async def factory(sim_url: str) -> AsyncIterator[ClientFactory]:
    made = make_factory(sim_url)
    try:
        yield made
    finally:
        await made.close()


@pytest.fixture
def accounts(monkeypatch: pytest.MonkeyPatch) -> None:
    """Requests land in the account of their access key, as on AWS, for the length of one test."""
    monkeypatch.delenv("MOTO_ACCOUNT_ID", raising=False)


@pytest.fixture
def audit(tmp_path: Path) -> AuditLog:
    return AuditLog(tmp_path / "state" / "audit.jsonl")


def runner_for(factory: ClientFactory, audit: AuditLog) -> ActionRunner:
    return ActionRunner(factory, read_only=False, audit=audit, actor="alice", account=HOME_ACCOUNT)


def queue_names(sqs: Any, prefix: str) -> list[str]:
    urls: list[str] = sqs.list_queues(QueueNamePrefix=prefix).get("QueueUrls", [])
    return [url.rsplit("/", 1)[-1] for url in urls]


async def test_a_role_call_creates_the_queue_in_the_roles_account_only(
    factory: ClientFactory, audit: AuditLog, client: ClientMaker, accounts: None
) -> None:
    name = unique("xacct-queue")
    call = ApiCall("sqs", "CreateQueue", REGION, {"QueueName": name}, role_arn=ROLE)
    plan = Plan(title=f"Create {name}", why="cross-account test", calls=(call,), key=f"sqs:{name}")

    result = await runner_for(factory, audit).execute(plan)

    assert result.ok, result.message
    assert f"/{OTHER_ACCOUNT}/{name}" in result.outputs[0]["QueueUrl"]
    as_role = await factory.client("sqs", REGION, role_arn=ROLE)
    listed = (await as_role.list_queues(QueueNamePrefix=name)).get("QueueUrls", [])
    assert [url.rsplit("/", 1)[-1] for url in listed] == [name]
    assert all(f"/{OTHER_ACCOUNT}/" in url for url in listed)
    assert queue_names(client("sqs", region=REGION), name) == [], "the queue leaked into the caller's account"
    sts = await factory.client("sts", REGION, role_arn=ROLE)
    identity = await sts.get_caller_identity()
    assert identity["Account"] == OTHER_ACCOUNT
    assert (
        identity["Arn"]
        == f"arn:aws:sts::{OTHER_ACCOUNT}:assumed-role/warroom-remediation/{ROLE_SESSION_NAME}"
    )

    (record,) = audit.records()
    assert record["outcome"] == "ok"
    assert record["role_arn"] == ROLE
    # the account the call acted in: the role's, not the credential's that assumed it
    assert record["account"] == OTHER_ACCOUNT
    text = audit.path.read_text()
    assert "ASIA" not in text and "SessionToken" not in text, "credentials reached the audit log"


async def test_many_calls_and_concurrent_first_uses_assume_each_role_once(
    factory: ClientFactory, accounts: None
) -> None:
    async def use(service: str, region: str) -> Any:
        made = await factory.client(service, region, role_arn=ROLE)
        if service == "sqs":
            return await made.list_queues()
        return await made.get_caller_identity()

    jobs = [
        use(service, region)
        for _ in range(4)
        for service in ("sqs", "sts")
        for region in (REGION, "us-east-1")
    ]
    replies = await asyncio.gather(*jobs)

    assert len(replies) == 16
    assert factory.calls["sts:AssumeRole"] == 1
    assert factory.calls["sts:GetCallerIdentity"] == 8
    assert factory.calls["sqs:ListQueues"] == 8
    assert await factory.client("sqs", REGION, role_arn=ROLE) is await factory.client(
        "sqs", REGION, role_arn=ROLE
    )
    assert await factory.client("sqs", REGION, role_arn=ROLE) is not await factory.client("sqs", REGION)

    other = f"arn:aws:iam::{OTHER_ACCOUNT}:role/another-role"
    identity = await (await factory.client("sts", REGION, role_arn=other)).get_caller_identity()
    assert identity["Arn"].endswith(":assumed-role/another-role/warroom")
    assert factory.calls["sts:AssumeRole"] == 2


async def test_credentials_near_expiry_are_refreshed_on_the_next_call(sim_url: str, accounts: None) -> None:
    clock = Clock()
    factory = make_factory(sim_url, clock=clock)
    try:
        sts = await factory.client("sts", REGION, role_arn=ROLE)
        await sts.get_caller_identity()
        await sts.get_caller_identity()
        assert factory.calls["sts:AssumeRole"] == 1

        clock.offset = timedelta(minutes=56)  # 4 minutes left of the hour STS granted
        identity = await sts.get_caller_identity()
        assert factory.calls["sts:AssumeRole"] == 2
        assert identity["Account"] == OTHER_ACCOUNT

        clock.offset = timedelta(0)
        await sts.get_caller_identity()
        assert factory.calls["sts:AssumeRole"] == 2
    finally:
        await factory.close()


async def test_access_denied_by_assume_role_is_a_classified_problem(
    sim_url: str, client: ClientMaker, audit: AuditLog, accounts: None
) -> None:
    iam = client("iam")
    user = unique("xacct-denied")
    iam.create_user(UserName=user)
    policy = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "sqs:ListQueues", "Resource": "*"}],
    }
    iam.put_user_policy(UserName=user, PolicyName="sqs-only", PolicyDocument=json.dumps(policy))
    key = iam.create_access_key(UserName=user)["AccessKey"]
    name = unique("denied-queue")
    plan = Plan(
        title=f"Create {name}",
        why="cross-account test",
        calls=(ApiCall("sqs", "CreateQueue", REGION, {"QueueName": name}, role_arn=ROLE),),
    )
    factory = make_factory(sim_url, key=key["AccessKeyId"], secret=key["SecretAccessKey"])
    try:
        with enable_iam_authentication():
            with pytest.raises(ClientError) as raised:
                await factory.client("sqs", REGION, role_arn=ROLE)
            result = await runner_for(factory, audit).execute(plan)
            home = await factory.client("sqs", REGION)
            await home.list_queues()
    finally:
        await factory.close()

    assert raised.value.response["Error"]["Code"] == "AccessDenied"
    assert raised.value.operation_name == "AssumeRole"
    assert not result.ok
    assert result.problem is not None
    assert result.problem.kind is ErrorKind.PERMISSION
    assert result.problem.code == "AccessDenied"
    assert result.problem.operation == "AssumeRole"
    assert "AssumeRole: access denied" in result.message
    # A refusal is not remembered: each attempt asks STS again.
    assert factory.calls["sts:AssumeRole"] == 2
    (record,) = audit.records()
    assert (record["outcome"], record["error_code"], record["role_arn"]) == ("error", "AccessDenied", ROLE)

    check = make_factory(sim_url)
    try:
        as_role = await check.client("sqs", REGION, role_arn=ROLE)
        assert (await as_role.list_queues(QueueNamePrefix=name)).get("QueueUrls", []) == []
    finally:
        await check.close()


async def test_a_malformed_role_arn_is_refused_before_anything_is_sent(
    factory: ClientFactory, audit: AuditLog
) -> None:
    bad = "arn:aws:iam::1234:role/too-short-an-account"
    with pytest.raises(ClientError) as raised:
        await factory.client("sqs", REGION, role_arn=bad)
    assert raised.value.response["Error"]["Code"] == "ValidationError"
    assert raised.value.operation_name == "AssumeRole"

    plan = Plan(title="Purge", why="test", calls=(ApiCall("sqs", "ListQueues", REGION, {}, role_arn=bad),))
    result = await runner_for(factory, audit).execute(plan)
    assert not result.ok and result.problem is not None
    assert result.problem.code == "ValidationError"
    assert "not an IAM role ARN" in result.problem.message
    assert factory.calls["sts:AssumeRole"] == 0
    assert account_of_role(bad) == ""
    assert account_of_role(ROLE) == OTHER_ACCOUNT


async def test_close_closes_the_clients_of_assumed_roles(
    sim_url: str, accounts: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    closed: list[int] = []
    original_exit = AIOHTTPSession.__aexit__

    async def spy_exit(self: AIOHTTPSession, *exc: object) -> None:
        closed.append(id(self))
        await original_exit(self, *exc)

    monkeypatch.setattr(AIOHTTPSession, "__aexit__", spy_exit)
    factory = make_factory(sim_url)
    sqs = await factory.client("sqs", REGION, role_arn=ROLE)
    await sqs.list_queues()
    await factory.close()
    assert id(sqs._endpoint.http_session) in closed, "the role's client was left open"
    assert len(closed) == 2  # the role's sqs client and the sts client that assumed the role
    reopened = await factory.client("sqs", REGION, role_arn=ROLE)
    try:
        assert reopened is not sqs
        await reopened.list_queues()
        assert factory.calls["sts:AssumeRole"] == 2, "close() kept the role's credentials"
    finally:
        await factory.close()


# Dry runs ---------------------------------------------------------------------------------------


SSH_WORLD = {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}


def ingress(ec2: Any, group_id: str) -> list[dict[str, Any]]:
    permissions: list[dict[str, Any]] = ec2.describe_security_groups(GroupIds=[group_id])["SecurityGroups"][
        0
    ]["IpPermissions"]
    return permissions


def revoke_plan(group_id: str, role_arn: str | None = None) -> Plan:
    call = ApiCall(
        "ec2",
        "RevokeSecurityGroupIngress",
        REGION,
        {"GroupId": group_id, "IpPermissions": [SSH_WORLD]},
        role_arn=role_arn,
        dry_run=True,
    )
    return Plan(
        title=f"Close SSH on {group_id}", why="open to the world", calls=(call,), key=f"ec2:{group_id}"
    )


async def test_dry_run_passes_changes_nothing_then_execute_revokes(
    factory: ClientFactory, audit: AuditLog, client: ClientMaker
) -> None:
    ec2 = client("ec2", region=REGION)
    group_id = ec2.create_security_group(GroupName=unique("dry-run"), Description="dry run test")["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=group_id, IpPermissions=[SSH_WORLD])
    runner = runner_for(factory, audit)
    plan = revoke_plan(group_id)

    checked = await runner.dry_run(plan)
    assert checked.ok, checked.message
    assert checked.problem is None
    assert "dry run passed (1 call)" in checked.message
    assert len(checked.outputs) == 1 and "DryRunOperation" in checked.outputs[0]
    assert [p["FromPort"] for p in ingress(ec2, group_id)] == [22], "the dry run revoked the rule"

    done = await runner.execute(plan)
    assert done.ok, done.message
    assert ingress(ec2, group_id) == []

    records = audit.records()
    assert [r["outcome"] for r in records] == ["dry-run-ok", "ok"]
    assert records[0]["params"]["DryRun"] is True
    assert "DryRun" not in records[1]["params"]
    assert all(r["operation"] == "RevokeSecurityGroupIngress" and r["role_arn"] is None for r in records)


async def test_dry_run_and_execute_through_a_role_act_in_the_roles_account(
    factory: ClientFactory, audit: AuditLog, client: ClientMaker, accounts: None
) -> None:
    as_role = await factory.client("ec2", REGION, role_arn=ROLE)
    created = await as_role.create_security_group(GroupName=unique("xacct-sg"), Description="cross-account")
    group_id = created["GroupId"]
    await as_role.authorize_security_group_ingress(GroupId=group_id, IpPermissions=[SSH_WORLD])
    home = client("ec2", region=REGION)
    with pytest.raises(ClientError, match=r"InvalidGroup\.NotFound"):
        home.describe_security_groups(GroupIds=[group_id])

    runner = runner_for(factory, audit)
    plan = revoke_plan(group_id, role_arn=ROLE)
    assert plan.calls[0].as_role == f"as role {ROLE}"
    assert (await runner.dry_run(plan)).ok
    described = await as_role.describe_security_groups(GroupIds=[group_id])
    assert described["SecurityGroups"][0]["IpPermissions"] != []
    assert (await runner.execute(plan)).ok
    described = await as_role.describe_security_groups(GroupIds=[group_id])
    assert described["SecurityGroups"][0]["IpPermissions"] == []
    assert [(r["outcome"], r["role_arn"]) for r in audit.records()] == [("dry-run-ok", ROLE), ("ok", ROLE)]
    assert factory.calls["sts:AssumeRole"] == 1


async def test_the_shown_commands_pasted_into_a_shell_do_what_the_console_would(
    factory: ClientFactory, client: ClientMaker, accounts: None, tmp_path: Path
) -> None:
    """The confirm dialog's lines, run by sh and the AWS CLI with the simulator's keys: the rule is
    revoked in the role's account, the queue is made in the console's own account."""
    aws = Path(sys.executable).with_name("aws")
    assert aws.exists(), "the AWS CLI is in the test extra"
    as_role = await factory.client("ec2", REGION, role_arn=ROLE)
    group_id = (await as_role.create_security_group(GroupName=unique("pasted-sg"), Description="pasted"))[
        "GroupId"
    ]
    await as_role.authorize_security_group_ingress(GroupId=group_id, IpPermissions=[SSH_WORLD])
    queue = unique("pasted-queue")
    calls = (
        *revoke_plan(group_id, role_arn=ROLE).calls,
        ApiCall("sqs", "CreateQueue", REGION, {"QueueName": queue}),
    )
    script = "\n".join(["set -e", *cli_lines(calls, CliTarget.of(factory, ["ec2", "sqs"]))])
    assert "testing" not in script
    (tmp_path / "config").write_text("")
    env = {
        "PATH": f"{aws.parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_CONFIG_FILE": str(tmp_path / "config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "config"),
        "HOME": str(tmp_path),
    }
    done = await asyncio.to_thread(
        subprocess.run,
        ["sh", "-c", script],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    described = await as_role.describe_security_groups(GroupIds=[group_id])
    assert described["SecurityGroups"][0]["IpPermissions"] == []
    assert queue_names(client("sqs", region=REGION), queue) == [queue]
    role_sqs = await factory.client("sqs", REGION, role_arn=ROLE)
    assert (await role_sqs.list_queues(QueueNamePrefix=queue)).get("QueueUrls", []) == []
