"""The action gate without AWS: CLI lines, the audit log on disk, the runner against a fake factory."""

from __future__ import annotations

import json
import os
import shlex
import stat
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

import pytest
from botocore.exceptions import ClientError, NoCredentialsError

from tui.aws.actions import (
    NO_DRY_RUN,
    ActionRunner,
    ApiCall,
    AuditLog,
    CliTarget,
    Plan,
    PlanRefusal,
    ReadOnlyRefusal,
    cli_lines,
    scrub,
    snake_case,
)
from tui.aws.actions.audit import REDACTED
from tui.aws.actions.core import summarize
from tui.aws.clients import AwsTarget, ClientFactory
from tui.aws.errors import ErrorKind

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
ARN = "arn:aws:kinesis:us-east-1:123456789012:stream/payments-events"
SECRET_ACCESS_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
SESSION_TOKEN = "IQoJb3JpZ2luX2VjEJr" + "AbCdEf0123456789+/" * 10


# ApiCall.cli ---------------------------------------------------------------------------------------


def test_cli_update_shard_count_is_the_documented_command() -> None:
    call = ApiCall(
        "kinesis",
        "UpdateShardCount",
        "us-east-1",
        {"StreamName": "payments-events", "TargetShardCount": 2, "ScalingType": "UNIFORM_SCALING"},
    )
    assert call.cli() == (
        "aws kinesis update-shard-count --stream-name payments-events --target-shard-count 2 "
        "--scaling-type UNIFORM_SCALING --region us-east-1"
    )


def test_cli_structures_become_quoted_json_and_arns_stay_bare() -> None:
    call = ApiCall(
        "kinesis",
        "UpdateStreamMode",
        "eu-west-3",
        {"StreamARN": ARN, "StreamModeDetails": {"StreamMode": "ON_DEMAND"}},
    )
    assert call.cli() == (
        f"aws kinesis update-stream-mode --stream-arn {ARN} "
        """--stream-mode-details '{"StreamMode":"ON_DEMAND"}' --region eu-west-3"""
    )


def test_cli_quotes_values_for_the_shell() -> None:
    call = ApiCall("kinesis", "IncreaseStreamRetentionPeriod", "us-east-1", {"StreamName": "it's a $name"})
    assert call.cli() == (
        "aws kinesis increase-stream-retention-period --stream-name 'it'\"'\"'s a $name' --region us-east-1"
    )


def test_cli_lists_booleans_and_lists_of_structures() -> None:
    ids = ApiCall("ec2", "TerminateInstances", "us-east-1", {"InstanceIds": ["i-1", "i-2"], "DryRun": False})
    assert ids.cli() == "aws ec2 terminate-instances --instance-ids i-1 i-2 --no-dry-run --region us-east-1"
    dry = ApiCall("ec2", "TerminateInstances", "us-east-1", {"InstanceIds": ["i-1"], "DryRun": True})
    assert dry.cli() == "aws ec2 terminate-instances --instance-ids i-1 --dry-run --region us-east-1"
    findings = ApiCall(
        "securityhub",
        "BatchUpdateFindings",
        "us-east-1",
        {"FindingIdentifiers": [{"Id": "f 1", "ProductArn": "p"}], "Workflow": {"Status": "RESOLVED"}},
    )
    assert findings.cli() == (
        "aws securityhub batch-update-findings "
        """--finding-identifiers '[{"Id":"f 1","ProductArn":"p"}]' """
        """--workflow '{"Status":"RESOLVED"}' --region us-east-1"""
    )


def test_snake_case_names_the_client_method() -> None:
    assert snake_case("UpdateShardCount") == "update_shard_count"
    assert snake_case("IncreaseStreamRetentionPeriod") == "increase_stream_retention_period"
    assert snake_case("UpdateStreamMode") == "update_stream_mode"


# AuditLog -----------------------------------------------------------------------------------------


def _record(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "at": NOW.isoformat(),
        "region": "us-east-1",
        "service": "kinesis",
        "operation": "UpdateShardCount",
        "params": {"StreamName": "payments-events", "TargetShardCount": 2},
        "outcome": "ok",
    }
    base.update(fields)
    return base


def test_two_audit_logs_on_one_file_only_append(tmp_path: Path) -> None:
    path = tmp_path / "state" / "nested" / "audit.jsonl"
    first, second = AuditLog(path), AuditLog(path)
    first.append(_record(message="one"))
    before = path.read_bytes()
    second.append(_record(message="two"))
    middle = path.read_bytes()
    first.append(_record(message="three"))
    after = path.read_bytes()
    assert middle.startswith(before) and len(middle) > len(before)
    assert after.startswith(middle) and len(after) > len(middle)
    lines = after.decode().splitlines()
    assert [json.loads(line)["message"] for line in lines] == ["one", "two", "three"]
    assert [r["message"] for r in second.records()] == ["one", "two", "three"]


def test_audit_file_is_private(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    AuditLog(path).append(_record())
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_every_record_has_the_standard_fields(tmp_path: Path) -> None:
    log = AuditLog(tmp_path / "audit.jsonl")
    log.append({"service": "kinesis", "operation": "UpdateShardCount", "outcome": "ok"})
    (record,) = log.records()
    for name in ("at", "actor", "profile", "account", "params", "error_code", "plan_title", "plan_key"):
        assert name in record, name
    assert record["actor"]
    at = datetime.fromisoformat(record["at"])
    assert at.utcoffset() == timedelta(0)
    assert abs(datetime.now(UTC) - at) < timedelta(minutes=1)


def test_scrubbing_at_any_depth_leaves_no_secret_in_the_file(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    log = AuditLog(path)
    log.append(
        _record(
            operation="StartSession",
            params={
                "Target": "i-0abc",
                "Credentials": {"SessionToken": "x", "AccessKeyId": "ASIAEXAMPLEEXAMPLE12"},
                "Nested": [{"deeper": {"TokenValue": "tv-123-never-write"}}],
                "password": "hunter2-never-write",
                "Blob": SESSION_TOKEN,
            },
            message=f"started with key {SECRET_ACCESS_KEY} ok",
        )
    )
    text = path.read_text()
    for secret in ("ASIAEXAMPLEEXAMPLE12", "tv-123-never-write", "hunter2-never-write"):
        assert secret not in text
    assert SECRET_ACCESS_KEY not in text
    assert SESSION_TOKEN[:60] not in text
    (record,) = log.records()
    params = record["params"]
    assert params["Credentials"] == REDACTED
    assert params["Nested"] == [{"deeper": {"TokenValue": REDACTED}}]
    assert params["password"] == REDACTED
    assert params["Blob"] == REDACTED
    assert params["Target"] == "i-0abc"
    assert record["message"] == f"started with key {REDACTED} ok"


def test_scrub_keeps_ordinary_values() -> None:
    digest = "0123456789abcdef0123456789abcdef01234567"  # a 40-character hex digest is not a secret key
    value = {"StreamName": "payments-events", "ARN": ARN, "Sha": digest, "Count": 3, "Flag": True}
    assert scrub(value) == value
    assert scrub({"SessionToken": "x"}) == {"SessionToken": REDACTED}
    assert scrub({"a": ({"ClientSecret": 1},)}) == {"a": [{"ClientSecret": REDACTED}]}


def test_torn_last_line_is_skipped_and_the_next_record_stays_whole(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    log = AuditLog(path)
    log.append(_record(message="whole"))
    with path.open("ab") as handle:
        handle.write(b'{"at": "2026-11-26T12:00:00+00:00", "outcome": "o')
    assert [r["message"] for r in log.records()] == ["whole"]
    torn = path.read_bytes()
    log.append(_record(message="after"))
    assert path.read_bytes().startswith(torn)
    assert [r["message"] for r in log.records()] == ["whole", "after"]


def test_records_of_a_missing_file_are_empty(tmp_path: Path) -> None:
    assert AuditLog(tmp_path / "none.jsonl").records() == []


def test_records_since_and_count(tmp_path: Path) -> None:
    log = AuditLog(tmp_path / "audit.jsonl")
    old = (NOW - timedelta(hours=25)).isoformat()
    recent = (NOW - timedelta(hours=1)).isoformat()
    log.append(_record(at=old))
    log.append(_record(at=recent))
    log.append(_record(at=recent))
    log.append(_record(at=recent, outcome="error"))
    log.append(_record(at=recent, outcome="refused"))
    log.append(_record(at=recent, params={"StreamName": "other", "TargetShardCount": 2}))
    log.append(_record(at=recent, region="eu-west-3"))
    log.append(_record(at=recent, operation="IncreaseStreamRetentionPeriod"))
    since = NOW - timedelta(hours=24)
    assert len(log.records()) == 8
    assert len(log.records(since)) == 7
    match = {"StreamName": "payments-events"}
    assert log.count("kinesis", "UpdateShardCount", since=since, match=match) == 3
    assert log.count("kinesis", "UpdateShardCount", since=since, match=match, region="us-east-1") == 2
    assert log.count("kinesis", "UpdateShardCount", since=None, match=match, region="us-east-1") == 3
    assert log.count("kinesis", "UpdateShardCount", since=since, match={}) == 4
    both = {"StreamName": "payments-events", "TargetShardCount": 3}
    assert log.count("kinesis", "UpdateShardCount", since=since, match=both) == 0
    # a stream of the same name in another account counts there, not here
    log.append(_record(at=recent, account="210987654321"))
    log.append(_record(at=recent, account="123456789012"))
    count = log.count
    assert count("kinesis", "UpdateShardCount", since=since, match=match, region="us-east-1") == 4
    assert count("kinesis", "UpdateShardCount", since=since, match=match, account="210987654321") == 1
    assert count("kinesis", "UpdateShardCount", since=since, match=match, account="123456789012") == 1


# ActionRunner -------------------------------------------------------------------------------------


class FakeClient:
    """Records every call; operations named in ``failures`` raise the given exception."""

    def __init__(
        self, service: str, journal: list[tuple[str, str, dict[str, Any]]], failures: dict[str, Any]
    ):
        self.service = service
        self.journal = journal
        self.failures = failures

    def __getattr__(self, method: str) -> Callable[..., Any]:
        async def call(**params: Any) -> dict[str, Any]:
            self.journal.append((self.service, method, params))
            failure = self.failures.get(method)
            if failure is not None:
                raise failure
            return {
                "Echo": params,
                "Credentials": {"SecretAccessKey": SECRET_ACCESS_KEY},
                "ResponseMetadata": {"HTTPStatusCode": 200, "RequestId": "r-1"},
            }

        return call


class FakeFactory:
    def __init__(self, failures: dict[str, Any] | None = None, client_error: Exception | None = None):
        self.target = AwsTarget(profile="ops")
        self.calls: Counter[str] = Counter()
        self.journal: list[tuple[str, str, dict[str, Any]]] = []
        self.clients_made: list[tuple[str, str | None]] = []
        self.roles_used: list[str | None] = []
        self.profiles_used: list[str | None] = []
        self.failures = failures or {}
        self.client_error = client_error

    async def client(
        self,
        service: str,
        region: str | None = None,
        *,
        role_arn: str | None = None,
        profile: str | None = None,
    ) -> FakeClient:
        self.clients_made.append((service, region))
        self.roles_used.append(role_arn)
        self.profiles_used.append(profile)
        if self.client_error is not None:
            raise self.client_error
        return FakeClient(service, self.journal, self.failures)


def _runner(factory: FakeFactory, audit: AuditLog, *, read_only: bool = False) -> ActionRunner:
    return ActionRunner(
        cast(ClientFactory, factory),
        read_only=read_only,
        audit=audit,
        clock=lambda: NOW,
        actor="alice",
        account="123456789012",
    )


def _plan(*operations: str, refusal: str = "") -> Plan:
    calls = tuple(
        ApiCall("kinesis", op, "us-east-1", {"StreamName": "s", "N": i}) for i, op in enumerate(operations)
    )
    return Plan(title="Test plan", why="testing", calls=calls, refusal=refusal, key="kinesis:us-east-1:s")


def _denied(operation: str) -> ClientError:
    return ClientError({"Error": {"Code": "AccessDeniedException", "Message": "no"}}, operation)


async def test_read_only_refuses_audits_and_calls_nothing(tmp_path: Path) -> None:
    factory, audit = FakeFactory(), AuditLog(tmp_path / "audit.jsonl")
    plan = _plan("UpdateShardCount")
    with pytest.raises(ReadOnlyRefusal) as info:
        await _runner(factory, audit, read_only=True).execute(plan)
    assert info.value.plan is plan
    assert factory.clients_made == [] and factory.journal == []
    (record,) = audit.records()
    assert record["outcome"] == "refused-read-only"
    assert record["operation"] == "UpdateShardCount"
    assert record["params"] == {"StreamName": "s", "N": 0}
    assert record["actor"] == "alice" and record["profile"] == "ops" and record["account"] == "123456789012"
    assert record["at"] == NOW.isoformat()
    assert record["plan_title"] == "Test plan" and record["plan_key"] == "kinesis:us-east-1:s"


async def test_read_only_wins_over_a_refusal(tmp_path: Path) -> None:
    factory, audit = FakeFactory(), AuditLog(tmp_path / "audit.jsonl")
    with pytest.raises(ReadOnlyRefusal):
        await _runner(factory, audit, read_only=True).execute(_plan("UpdateShardCount", refusal="no"))
    assert [r["outcome"] for r in audit.records()] == ["refused-read-only"]


async def test_a_refused_plan_raises_audits_and_calls_nothing(tmp_path: Path) -> None:
    factory, audit = FakeFactory(), AuditLog(tmp_path / "audit.jsonl")
    with pytest.raises(PlanRefusal) as info:
        await _runner(factory, audit).execute(_plan("UpdateShardCount", refusal="AWS would refuse: too many"))
    assert info.value.reason == "AWS would refuse: too many"
    assert factory.clients_made == [] and factory.journal == []
    (record,) = audit.records()
    assert record["outcome"] == "refused"
    assert record["message"] == "AWS would refuse: too many"


async def test_a_plan_without_calls_is_refused(tmp_path: Path) -> None:
    factory, audit = FakeFactory(), AuditLog(tmp_path / "audit.jsonl")
    with pytest.raises(PlanRefusal):
        await _runner(factory, audit).execute(_plan())
    assert factory.journal == []
    assert [r["outcome"] for r in audit.records()] == ["refused"]


async def test_calls_run_in_order_and_each_is_audited_without_secrets(tmp_path: Path) -> None:
    factory, audit = FakeFactory(), AuditLog(tmp_path / "audit.jsonl")
    result = await _runner(factory, audit).execute(_plan("UpdateShardCount", "UpdateStreamMode"))
    assert result.ok and result.problem is None
    assert factory.journal == [
        ("kinesis", "update_shard_count", {"StreamName": "s", "N": 0}),
        ("kinesis", "update_stream_mode", {"StreamName": "s", "N": 1}),
    ]
    assert factory.clients_made == [("kinesis", "us-east-1"), ("kinesis", "us-east-1")]
    assert len(result.outputs) == 2
    assert all("ResponseMetadata" not in out for out in result.outputs)
    assert result.outputs[0]["Echo"] == {"StreamName": "s", "N": 0}
    records = audit.records()
    assert [(r["operation"], r["outcome"]) for r in records] == [
        ("UpdateShardCount", "ok"),
        ("UpdateStreamMode", "ok"),
    ]
    assert records[0]["message"] == f"Credentials={REDACTED}, Echo={{2 fields}}"
    text = (tmp_path / "audit.jsonl").read_text()
    assert SECRET_ACCESS_KEY not in text and "RequestId" not in text


async def test_a_failing_call_stops_the_sequence_and_comes_back_as_a_problem(tmp_path: Path) -> None:
    factory = FakeFactory(failures={"update_stream_mode": _denied("UpdateStreamMode")})
    audit = AuditLog(tmp_path / "audit.jsonl")
    plan = _plan("UpdateShardCount", "UpdateStreamMode", "IncreaseStreamRetentionPeriod")
    result = await _runner(factory, audit).execute(plan)
    assert not result.ok
    assert result.problem is not None
    assert result.problem.kind is ErrorKind.PERMISSION
    assert result.problem.code == "AccessDeniedException"
    assert len(result.outputs) == 1
    assert [method for _, method, _ in factory.journal] == ["update_shard_count", "update_stream_mode"]
    assert "after 1 of 3 calls" in result.message
    records = audit.records()
    assert [(r["operation"], r["outcome"]) for r in records] == [
        ("UpdateShardCount", "ok"),
        ("UpdateStreamMode", "error"),
    ]
    assert records[1]["error_code"] == "AccessDeniedException"
    assert records[1]["message"] == result.problem.message


async def test_a_client_that_cannot_be_built_is_a_problem_not_an_exception(tmp_path: Path) -> None:
    factory = FakeFactory(client_error=NoCredentialsError())
    audit = AuditLog(tmp_path / "audit.jsonl")
    result = await _runner(factory, audit).execute(_plan("UpdateShardCount"))
    assert not result.ok and result.outputs == ()
    assert result.problem is not None and result.problem.kind is ErrorKind.CREDENTIALS
    assert [r["outcome"] for r in audit.records()] == ["error"]


async def test_an_unwritable_audit_log_does_not_hide_a_made_call(tmp_path: Path) -> None:
    unwritable = tmp_path / "dir.jsonl"
    unwritable.mkdir()
    factory = FakeFactory()
    result = await _runner(factory, AuditLog(unwritable)).execute(_plan("UpdateShardCount"))
    assert result.ok
    assert "audit log not written" in result.message
    assert len(factory.journal) == 1


def test_summarize_is_short_and_secret_free() -> None:
    assert summarize({"ResponseMetadata": {"RequestId": "r"}}) == "no response body"
    long = summarize({"Name": "x" * 1000})
    assert summarize({"Blob": SESSION_TOKEN}) == f"Blob={REDACTED}"
    assert len(long) == 300 and long.endswith("…")
    assert summarize({"SessionId": "s-1", "TokenValue": "tv", "StreamUrl": "wss://x"}) == (
        f"SessionId=s-1, StreamUrl={REDACTED}, TokenValue={REDACTED}"
    )


# Roles and dry runs --------------------------------------------------------------------------------

ROLE = "arn:aws:iam::111122223333:role/warroom-remediation"


def _dry_denied(operation: str) -> ClientError:
    return ClientError(
        {"Error": {"Code": "DryRunOperation", "Message": "Request would have succeeded"}}, operation
    )


def _revoke(group: str, *, role_arn: str | None = None, dry_run: bool = True) -> ApiCall:
    return ApiCall(
        "ec2",
        "RevokeSecurityGroupIngress",
        "eu-west-1",
        {"GroupId": group, "IpPermissions": [{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22}]},
        role_arn=role_arn,
        dry_run=dry_run,
    )


def test_a_role_call_keeps_a_valid_cli_line_and_names_the_role_apart() -> None:
    plain = _revoke("sg-1")
    as_role = _revoke("sg-1", role_arn=ROLE)
    assert as_role.cli() == plain.cli()
    assert as_role.cli().startswith("aws ec2 revoke-security-group-ingress --group-id sg-1 --ip-permissions ")
    assert as_role.cli().endswith(" --region eu-west-1")
    assert as_role.as_role == f"as role {ROLE}"
    assert plain.as_role == ""


async def test_execute_runs_each_call_as_its_role_and_audits_the_role(tmp_path: Path) -> None:
    factory, audit = FakeFactory(), AuditLog(tmp_path / "audit.jsonl")
    plan = Plan(title="Close SSH", why="world", calls=(_revoke("sg-1", role_arn=ROLE), _revoke("sg-2")))
    result = await _runner(factory, audit).execute(plan)
    assert result.ok
    assert factory.roles_used == [ROLE, None]
    assert [method for _, method, _ in factory.journal] == ["revoke_security_group_ingress"] * 2
    assert all("DryRun" not in params for _, _, params in factory.journal)
    assert [r["role_arn"] for r in audit.records()] == [ROLE, None]


async def test_each_call_runs_and_is_audited_in_the_account_it_acts_in(tmp_path: Path) -> None:
    factory, audit = FakeFactory(), AuditLog(tmp_path / "audit.jsonl")
    member_role = "arn:aws:iam::210987654321:role/warroom-readonly"
    calls = (
        _revoke("sg-1", role_arn=member_role),
        ApiCall(
            "kinesis",
            "UpdateShardCount",
            "us-east-1",
            {"StreamName": "s"},
            profile="ledger",
            account_id="345678901234",
        ),
        _revoke("sg-2"),
    )
    result = await _runner(factory, audit).execute(Plan(title="Three accounts", why="test", calls=calls))
    assert result.ok
    assert factory.roles_used == [member_role, None, None]
    assert factory.profiles_used == [None, "ledger", None]
    records = audit.records()
    # the role's account, the profile's account as the plan named it, the credential's own
    assert [r["account"] for r in records] == ["210987654321", "345678901234", "123456789012"]
    # the profile whose credentials made the call (or assumed its role): the console's "ops" but one
    assert [r["profile"] for r in records] == ["ops", "ledger", "ops"]
    assert [r["role_arn"] for r in records] == [member_role, None, None]


def test_a_call_runs_as_a_role_or_with_a_profile_not_both() -> None:
    with pytest.raises(ValueError, match="not both"):
        ApiCall("kinesis", "UpdateShardCount", "us-east-1", role_arn=ROLE, profile="ledger")
    assert (
        ApiCall("kinesis", "UpdateShardCount", "us-east-1", profile="ledger").as_role == "with profile ledger"
    )


def test_a_call_is_placed_in_its_account_and_the_plan_can_say_where() -> None:
    from tui.aws.actions.core import account_words, in_place, place_note, titled_in, unreached_refusal
    from tui.aws.scope import Place

    call = ApiCall("kinesis", "UpdateShardCount", "us-east-1", {"StreamName": "s"})
    role = "arn:aws:iam::210987654321:role/warroom-readonly"
    member = Place("us-east-1", "210987654321", "payments-prod", role)
    ledger = Place("us-east-1", "345678901234", "ledger-prod", profile="ledger")
    home = Place("us-east-1", "123456789012", "security-tooling")
    assert in_place(call, None) == call
    assert in_place(call, Place("us-east-1")) == call, "a console of one account: as it always was"
    assert in_place(call, home) == ApiCall(
        "kinesis", "UpdateShardCount", "us-east-1", {"StreamName": "s"}, account_id="123456789012"
    )
    placed = in_place(call, member)
    assert (placed.role_arn, placed.profile, placed.acts_in) == (role, None, "210987654321")
    assert in_place(call, ledger).profile == "ledger" and in_place(call, ledger).role_arn is None
    assert account_words(member) == "payments-prod (210987654321)"
    assert place_note(member).startswith(
        f"In account payments-prod (210987654321), us-east-1: the calls run as {role}, which the console"
    )
    assert "profile ledger" in place_note(ledger)
    assert titled_in("Reshard s 1 → 2 shards", "payments-prod") == "payments-prod: Reshard s 1 → 2 shards"
    assert unreached_refusal("567890123456", "eu-west-1", "sandbox").startswith(
        "account sandbox (567890123456) is not reached in eu-west-1 now: nothing is called"
    )


async def test_a_refused_role_call_is_audited_with_its_role(tmp_path: Path) -> None:
    factory, audit = FakeFactory(), AuditLog(tmp_path / "audit.jsonl")
    plan = Plan(title="Close SSH", why="world", calls=(_revoke("sg-1", role_arn=ROLE),))
    with pytest.raises(ReadOnlyRefusal):
        await _runner(factory, audit, read_only=True).execute(plan)
    (record,) = audit.records()
    assert (record["outcome"], record["role_arn"]) == ("refused-read-only", ROLE)


async def test_dry_run_passes_on_dry_run_operation_and_changes_nothing(tmp_path: Path) -> None:
    factory = FakeFactory(
        failures={"revoke_security_group_ingress": _dry_denied("RevokeSecurityGroupIngress")}
    )
    audit = AuditLog(tmp_path / "audit.jsonl")
    not_checkable = ApiCall("securityhub", "BatchUpdateFindings", "eu-west-1", {"FindingIdentifiers": []})
    plan = Plan(
        title="Close SSH",
        why="world",
        calls=(_revoke("sg-1", role_arn=ROLE), not_checkable, _revoke("sg-2")),
        key="k",
    )
    result = await _runner(factory, audit).dry_run(plan)
    assert result.ok and result.problem is None
    assert result.message == "Close SSH: dry run passed (2 calls)"
    assert result.outputs == (
        {"DryRunOperation": "Request would have succeeded"},
        {"DryRunOperation": "Request would have succeeded"},
    )
    assert [(method, params["GroupId"], params["DryRun"]) for _, method, params in factory.journal] == [
        ("revoke_security_group_ingress", "sg-1", True),
        ("revoke_security_group_ingress", "sg-2", True),
    ]
    assert factory.roles_used == [ROLE, None]
    assert plan.calls[0].params.get("DryRun") is None, "the plan's own call was changed"
    records = audit.records()
    assert [(r["outcome"], r["role_arn"], r["params"]["DryRun"]) for r in records] == [
        ("dry-run-ok", ROLE, True),
        ("dry-run-ok", None, True),
    ]
    assert records[0]["message"] == "Request would have succeeded"
    assert records[0]["plan_key"] == "k"


async def test_a_failed_dry_run_stops_and_is_a_problem(tmp_path: Path) -> None:
    unauthorized = ClientError(
        {"Error": {"Code": "UnauthorizedOperation", "Message": "You are not authorized"}},
        "RevokeSecurityGroupIngress",
    )
    factory = FakeFactory(failures={"revoke_security_group_ingress": unauthorized})
    audit = AuditLog(tmp_path / "audit.jsonl")
    plan = Plan(title="Close SSH", why="world", calls=(_revoke("sg-1"), _revoke("sg-2")))
    result = await _runner(factory, audit).dry_run(plan)
    assert not result.ok and result.outputs == ()
    assert result.problem is not None and result.problem.kind is ErrorKind.PERMISSION
    assert result.message.startswith("Close SSH: dry run failed: RevokeSecurityGroupIngress: access denied")
    assert len(factory.journal) == 1
    (record,) = audit.records()
    assert (record["outcome"], record["error_code"]) == ("dry-run-error", "UnauthorizedOperation")


async def test_a_call_that_ignores_dry_run_is_reported_not_passed(tmp_path: Path) -> None:
    factory, audit = FakeFactory(), AuditLog(tmp_path / "audit.jsonl")
    result = await _runner(factory, audit).dry_run(Plan(title="Close SSH", why="w", calls=(_revoke("sg-1"),)))
    assert not result.ok
    assert result.problem is not None and result.problem.code == "DryRunIgnored"
    assert "ran instead of a dry run" in result.message
    (record,) = audit.records()
    assert (record["outcome"], record["error_code"]) == ("dry-run-error", "DryRunIgnored")
    assert SECRET_ACCESS_KEY not in audit.path.read_text()


async def test_a_plan_without_dry_runnable_calls_is_ok_without_calling(tmp_path: Path) -> None:
    factory, audit = FakeFactory(), AuditLog(tmp_path / "audit.jsonl")
    result = await _runner(factory, audit).dry_run(_plan("UpdateShardCount"))
    assert result.ok and result.outputs == () and result.problem is None
    assert result.message == NO_DRY_RUN == "no dry run available"
    assert factory.journal == [] and factory.clients_made == []
    assert audit.records() == []


async def test_dry_run_is_refused_like_execute(tmp_path: Path) -> None:
    factory, audit = FakeFactory(), AuditLog(tmp_path / "audit.jsonl")
    plan = Plan(title="Close SSH", why="w", calls=(_revoke("sg-1", role_arn=ROLE),))
    with pytest.raises(ReadOnlyRefusal):
        await _runner(factory, audit, read_only=True).dry_run(plan)
    refused = Plan(title="Close SSH", why="w", calls=(_revoke("sg-1"),), refusal="the group is gone")
    with pytest.raises(PlanRefusal) as info:
        await _runner(factory, audit).dry_run(refused)
    assert info.value.reason == "the group is gone"
    with pytest.raises(PlanRefusal):
        await _runner(factory, audit).dry_run(Plan(title="Empty", why="w", calls=()))
    assert factory.journal == [] and factory.clients_made == []
    assert [(r["outcome"], r["role_arn"]) for r in audit.records()] == [
        ("refused-read-only", ROLE),
        ("refused", None),
        ("refused", None),
    ]


# cli_lines: what the confirm dialog shows runs as shown ---------------------------------------------

ENDPOINT = "http://127.0.0.1:45999"
XACCT_ROLE = "arn:aws:iam::222222222222:role/warroom-fixer"
SSH_WORLD = {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}
#: The calls of real plans: a security group rule revoked (as a role of another account, and in
#: the console's own account), an S3 public access block, a reshard and a findings workflow update.
REAL_CALLS = (
    ApiCall(
        "ec2",
        "RevokeSecurityGroupIngress",
        "eu-west-1",
        {"GroupId": "sg-0abc", "IpPermissions": [SSH_WORLD]},
        role_arn=XACCT_ROLE,
        dry_run=True,
    ),
    ApiCall(
        "ec2", "RevokeSecurityGroupIngress", "us-east-1", {"GroupId": "sg-1", "IpPermissions": [SSH_WORLD]}
    ),
    ApiCall(
        "s3",
        "PutPublicAccessBlock",
        "us-east-1",
        {
            "Bucket": "payments-exports",
            "PublicAccessBlockConfiguration": {
                "BlockPublicAcls": True,
                "IgnorePublicAcls": True,
                "BlockPublicPolicy": True,
                "RestrictPublicBuckets": True,
            },
        },
    ),
    ApiCall(
        "kinesis",
        "UpdateShardCount",
        "us-east-1",
        {"StreamName": "payments-events", "TargetShardCount": 4, "ScalingType": "UNIFORM_SCALING"},
    ),
    ApiCall(
        "securityhub",
        "BatchUpdateFindings",
        "us-east-1",
        {
            "FindingIdentifiers": [{"Id": "it's $HOME `id`", "ProductArn": "arn:aws:securityhub:x"}],
            "Workflow": {"Status": "NOTIFIED"},
            "Note": {"Text": "--region elsewhere; file://etc/passwd", "UpdatedBy": "warroom"},
        },
    ),
    ApiCall("sqs", "CreateQueue", "us-east-1", {"QueueName": "-looks-like-an-option"}),
    # a reshard in another account, reached with a profile of its own (as ``--profile``)
    ApiCall(
        "kinesis",
        "UpdateShardCount",
        "eu-west-1",
        {"StreamName": "ledger-cdc", "TargetShardCount": 2, "ScalingType": "UNIFORM_SCALING"},
        profile="ledger",
        account_id="345678901234",
    ),
    ApiCall("ec2", "TerminateInstances", "us-east-1", {"InstanceIds": ["i-1", "i-2"], "DryRun": False}),
)


def parse_with_the_aws_cli(
    line: str, monkeypatch: pytest.MonkeyPatch, config: Path
) -> tuple[dict[str, str], dict[str, Any]]:
    """Run ``line`` (one shown command, with its environment words) through the AWS CLI's own argument
    parsing and client set-up, stopping before anything is sent; what the request would be."""
    from awscli.clidriver import create_clidriver

    words = shlex.split(line)
    env = {}
    while "=" in words[0]:
        name, _, value = words.pop(0).partition("=")
        env[name] = value
    assert words[0] == "aws"
    seen: dict[str, Any] = {}

    def params(params: dict[str, Any], model: Any, **_: Any) -> None:
        seen["operation"] = model.name
        seen["params"] = dict(params)

    def sent(params: dict[str, Any], request_signer: Any, **_: Any) -> tuple[Any, dict[str, Any]]:
        seen["url"] = params["url"]
        seen["region"] = request_signer.region_name
        return type("Http", (), {"status_code": 200, "headers": {}})(), {}

    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_DEFAULT_REGION", "AWS_REGION"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(config.with_name("none")))
    driver = create_clidriver()
    driver.session.register("before-parameter-build", params)
    driver.session.register("before-call", sent)
    assert driver.main(words[1:]) == 0, line
    seen["profile"] = driver.session.get_config_variable("profile")
    return env, seen


def expected_params(call: ApiCall) -> dict[str, Any]:
    return {name: value for name, value in call.params.items() if value is not None}


@pytest.mark.parametrize("profile", [None, "payments-oncall"])
def test_every_shown_line_is_the_same_call_to_the_same_endpoint_region_profile_and_role(
    profile: str | None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    config = tmp_path / "config"
    config.write_text(
        "[profile payments-oncall]\nregion = ap-south-1\n[profile ledger]\nregion = eu-west-1\n"
    )
    target = CliTarget(
        profile=profile,
        endpoints={"ec2": ENDPOINT, "sts": ENDPOINT, "s3": ENDPOINT, "kinesis": ENDPOINT},
        sts_region="us-east-1",
    )
    lines = cli_lines(REAL_CALLS, target)
    assert not any(secret in "\n".join(lines) for secret in ("testing", "AKIA", "SecretAccessKey="))
    # the role of another account is assumed first, by the profile, at the console's STS endpoint
    assume, *made = lines
    assert assume.startswith("set -- $(") and assume.endswith(")")
    env, sts = parse_with_the_aws_cli(assume[len("set -- $(") : -1], monkeypatch, config)
    assert env == {}
    assert sts["operation"] == "AssumeRole"
    assert sts["params"] == {"RoleArn": XACCT_ROLE, "RoleSessionName": "warroom"}
    assert (sts["url"], sts["region"], sts["profile"]) == (ENDPOINT + "/", "us-east-1", profile)
    words = shlex.split(assume[len("set -- $(") : -1])
    assert words[words.index("--query") + 1] == "Credentials.[AccessKeyId,SecretAccessKey,SessionToken]"
    assert words[words.index("--output") + 1] == "text"
    assert len(made) == len(REAL_CALLS)
    for call, line in zip(REAL_CALLS, made, strict=True):
        env, request = parse_with_the_aws_cli(line, monkeypatch, config)
        assert request["operation"] == call.operation, line
        assert request["params"] == expected_params(call), line
        assert request["region"] == call.region, line
        assert request["url"].startswith(ENDPOINT) == (call.service in target.endpoints), line
        if call.role_arn:
            # the role's credentials from the assume-role line, never the profile's
            assert set(env) == {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"}
            assert env["AWS_ACCESS_KEY_ID"].startswith("${1:?")
            assert request["profile"] is None
        else:
            # a call with a profile of its own (another account's) names it, whatever the console's
            assert env == {}
            assert request["profile"] == (call.profile or profile)


def test_the_cli_target_comes_from_the_factory_profile_and_configured_endpoints(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    config = tmp_path / "config"
    config.write_text("[profile blue]\nregion = eu-west-2\n[profile green]\nregion = eu-west-3\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.setenv("AWS_PROFILE", "green")
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)
    monkeypatch.delenv("AWS_REGION", raising=False)
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://all.example:1")
    monkeypatch.setenv("AWS_ENDPOINT_URL_SECURITYHUB", "http://hub.example:2")
    from_env = CliTarget.of(ClientFactory(AwsTarget()), ["ec2", "securityhub"])
    assert from_env == CliTarget(
        profile="green",
        endpoints={
            "ec2": "http://all.example:1",
            "securityhub": "http://hub.example:2",
            "sts": "http://all.example:1",
        },
        sts_region="eu-west-3",
    )
    given = CliTarget.of(
        ClientFactory(AwsTarget(profile="blue", regions=("us-west-2",), endpoint_url=ENDPOINT)), ["kinesis"]
    )
    assert given == CliTarget(
        profile="blue", endpoints={"kinesis": ENDPOINT, "sts": ENDPOINT}, sts_region="us-west-2"
    )
    monkeypatch.delenv("AWS_ENDPOINT_URL")
    monkeypatch.delenv("AWS_ENDPOINT_URL_SECURITYHUB")
    assert CliTarget.of(ClientFactory(AwsTarget()), ["ec2"]).endpoints == {}


def test_an_s3_control_call_to_an_endpoint_says_where_the_cli_sends_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    call = ApiCall(
        "s3control",
        "PutPublicAccessBlock",
        "us-east-1",
        {"AccountId": "123456789012", "PublicAccessBlockConfiguration": {"BlockPublicAcls": True}},
    )
    config = tmp_path / "config"
    config.write_text("")
    line, note = cli_lines((call,), CliTarget(endpoints={"s3control": ENDPOINT}))
    _, request = parse_with_the_aws_cli(line, monkeypatch, config)
    assert request["url"].startswith("http://123456789012.127.0.0.1:45999/")
    assert note.startswith("# ") and "<account-id>.<endpoint host>" in note
    assert cli_lines((call,), CliTarget()) == [line.removesuffix(f" --endpoint-url {ENDPOINT}")]
