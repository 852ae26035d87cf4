"""CloudWatch cross-account observability in the simulator: OAM sinks and links (``oam``), and
what a monitoring account reads through them (ListMetrics with IncludeLinkedAccounts,
GetMetricData with AccountId).

Every account here is made by assuming a role in an id starting 3100 (``tests.sim.assumed``), each
test with accounts of its own, so the shared simulator's other tenants never see a sink or link.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.sim.assumed import Accounts, account_ids, make_organization
from tui.sim.extensions import oam

REGION = "eu-west-1"
OTHER_REGION = "us-east-1"
METRIC = "AWS::CloudWatch::Metric"
LOGS = "AWS::Logs::LogGroup"
NOW = datetime.now(UTC).replace(second=0, microsecond=0)

new_account = account_ids("3100")


@pytest.fixture(scope="module")
def accounts(sim_url: str) -> Accounts:
    return Accounts(sim_url)


@pytest.fixture(autouse=True)
def _unpinned(monkeypatch: pytest.MonkeyPatch) -> None:
    """Requests land in the account of their keys (no MOTO_ACCOUNT_ID pins them)."""
    monkeypatch.delenv("MOTO_ACCOUNT_ID", raising=False)


def error_of(call: Callable[[], Any]) -> tuple[str, str, int]:
    with pytest.raises(ClientError) as raised:
        call()
    response = raised.value.response
    return (
        response["Error"]["Code"],
        response["Error"]["Message"],
        response["ResponseMetadata"]["HTTPStatusCode"],
    )


def allow_policy(*sources: str, types: list[str] | None = None) -> str:
    statement: dict[str, Any] = {
        "Effect": "Allow",
        "Principal": {"AWS": list(sources)},
        "Action": ["oam:CreateLink", "oam:UpdateLink"],
        "Resource": "*",
    }
    if types is not None:
        statement["Condition"] = {"ForAllValues:StringEquals": {"oam:ResourceTypes": types}}
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


class Observability:
    """A monitoring account with a sink, and helpers to link source accounts to it."""

    def __init__(self, accounts: Accounts, region: str = REGION) -> None:
        self.accounts = accounts
        self.region = region
        self.monitoring = new_account()
        self.oam = accounts.client(self.monitoring, "oam", region)
        self.sink = self.oam.create_sink(Name="warroom-monitoring")

    def allow(self, *sources: str, types: list[str] | None = None) -> None:
        self.oam.put_sink_policy(SinkIdentifier=self.sink["Arn"], Policy=allow_policy(*sources, types=types))

    def link(self, source: str, types: tuple[str, ...] = (METRIC,), **extra: Any) -> dict[str, Any]:
        client = self.accounts.client(source, "oam", self.region)
        link: dict[str, Any] = client.create_link(
            LabelTemplate=extra.pop("LabelTemplate", "$AccountName"),
            ResourceTypes=list(types),
            SinkIdentifier=self.sink["Arn"],
            **extra,
        )
        return link

    def cloudwatch(self, account: str | None = None) -> Any:
        return self.accounts.client(account or self.monitoring, "cloudwatch", self.region)


def put(
    cloudwatch: Any, namespace: str, name: str, value: float, dimensions: dict[str, str] | None = None
) -> None:
    cloudwatch.put_metric_data(
        Namespace=namespace,
        MetricData=[
            {
                "MetricName": name,
                "Value": value,
                "Timestamp": NOW - timedelta(minutes=3),
                "Dimensions": [{"Name": k, "Value": v} for k, v in (dimensions or {}).items()],
            }
        ],
    )


def stat(
    query_id: str, namespace: str, name: str, account: str | None = None, **extra: Any
) -> dict[str, Any]:
    query: dict[str, Any] = {
        "Id": query_id,
        "MetricStat": {"Metric": {"Namespace": namespace, "MetricName": name}, "Period": 60, "Stat": "Sum"},
        **extra,
    }
    if account is not None:
        query["AccountId"] = account
    return query


def metric_data(cloudwatch: Any, queries: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    reply = cloudwatch.get_metric_data(
        MetricDataQueries=queries, StartTime=NOW - timedelta(minutes=15), EndTime=NOW
    )
    return {result["Id"]: result for result in reply["MetricDataResults"]}


# Sinks -------------------------------------------------------------------------------------------


def test_a_sink_is_made_read_listed_and_one_per_account_and_region(accounts: Accounts) -> None:
    account = new_account()
    client = accounts.client(account, "oam", REGION)

    sink = client.create_sink(Name="monitoring", Tags={"team": "sre"})

    assert sink["Arn"] == f"arn:aws:oam:{REGION}:{account}:sink/{sink['Id']}"
    assert (sink["Name"], sink["Tags"]) == ("monitoring", {"team": "sre"})
    got = client.get_sink(Identifier=sink["Arn"])
    assert {k: got[k] for k in ("Arn", "Id", "Name", "Tags")} == {
        k: sink[k] for k in ("Arn", "Id", "Name", "Tags")
    }
    assert client.list_sinks()["Items"] == [{"Arn": sink["Arn"], "Id": sink["Id"], "Name": "monitoring"}]
    code, message, status = error_of(lambda: client.create_sink(Name="second"))
    assert (code, status) == ("ConflictException", 409)
    assert "one sink per Region" in message
    # Another Region of the same account takes a sink of its own.
    elsewhere = accounts.client(account, "oam", OTHER_REGION).create_sink(Name="monitoring")
    assert f":{OTHER_REGION}:{account}:sink/" in elsewhere["Arn"]
    assert accounts.client(account, "oam", OTHER_REGION).list_sinks()["Items"][0]["Arn"] == elsewhere["Arn"]


def test_sink_errors_have_the_models_codes(accounts: Accounts) -> None:
    account = new_account()
    client = accounts.client(account, "oam", REGION)
    missing = f"arn:aws:oam:{REGION}:{account}:sink/00000000-0000-0000-0000-000000000000"

    assert error_of(lambda: client.get_sink(Identifier=missing))[::2] == ("ResourceNotFoundException", 404)
    assert error_of(lambda: client.create_sink(Name="no spaces allowed"))[::2] == (
        "InvalidParameterException",
        400,
    )
    sink = client.create_sink(Name="s")
    code, _, status = error_of(lambda: client.put_sink_policy(SinkIdentifier=sink["Arn"], Policy="{not json"))
    assert (code, status) == ("InvalidParameterException", 400)
    assert "Policy" not in client.get_sink_policy(SinkIdentifier=sink["Arn"])
    policy = allow_policy("111111111111")
    put_answer = client.put_sink_policy(SinkIdentifier=sink["Arn"], Policy=policy)
    assert (put_answer["SinkArn"], put_answer["SinkId"], put_answer["Policy"]) == (
        sink["Arn"],
        sink["Id"],
        policy,
    )
    assert client.get_sink_policy(SinkIdentifier=sink["Arn"])["Policy"] == policy
    # Another account's sink is not found from here, even by its ARN.
    stranger = accounts.client(new_account(), "oam", REGION)
    assert error_of(lambda: stranger.get_sink(Identifier=sink["Arn"]))[0] == "ResourceNotFoundException"


# Links -------------------------------------------------------------------------------------------


def test_a_link_needs_the_sink_policy_to_allow_the_source_account(accounts: Accounts) -> None:
    obs = Observability(accounts)
    source = new_account()

    code, message, status = error_of(lambda: obs.link(source))
    assert (code, status) == ("AccessDeniedException", 403)
    assert f"arn:aws:sts::{source}:assumed-role/" in message
    assert f"oam:CreateLink on resource: {obs.sink['Arn']}" in message

    obs.allow("999999999999")
    assert error_of(lambda: obs.link(source))[0] == "AccessDeniedException"
    obs.allow(f"arn:aws:iam::{source}:root", types=[METRIC])
    assert error_of(lambda: obs.link(source, (METRIC, LOGS)))[0] == "AccessDeniedException", (
        "the policy shares metrics only"
    )

    link = obs.link(source, LabelTemplate="payments")

    assert link["Arn"] == f"arn:aws:oam:{REGION}:{source}:link/{link['Id']}"
    assert (link["Label"], link["LabelTemplate"], link["ResourceTypes"]) == ("payments", "payments", [METRIC])
    assert (link["SinkArn"], link["Tags"]) == (obs.sink["Arn"], {})
    source_oam = accounts.client(source, "oam", REGION)
    assert source_oam.get_link(Identifier=link["Arn"])["SinkArn"] == obs.sink["Arn"]
    assert source_oam.list_links()["Items"] == [
        {
            "Arn": link["Arn"],
            "Id": link["Id"],
            "Label": "payments",
            "ResourceTypes": [METRIC],
            "SinkArn": obs.sink["Arn"],
        }
    ]
    assert obs.oam.list_attached_links(SinkIdentifier=obs.sink["Arn"])["Items"] == [
        {"Label": "payments", "LinkArn": link["Arn"], "ResourceTypes": [METRIC]}
    ]
    code, _, status = error_of(lambda: obs.link(source))
    assert (code, status) == ("ConflictException", 409)


def test_links_stay_in_their_region_and_out_of_their_own_account(accounts: Accounts) -> None:
    obs = Observability(accounts)
    source = new_account()
    obs.allow(source, obs.monitoring)
    elsewhere = accounts.client(source, "oam", OTHER_REGION)

    code, message, _ = error_of(
        lambda: elsewhere.create_link(
            LabelTemplate="x", ResourceTypes=[METRIC], SinkIdentifier=obs.sink["Arn"]
        )
    )
    assert code == "InvalidParameterException"
    assert "sink's Region" in message
    assert error_of(lambda: obs.link(obs.monitoring))[0] == "InvalidParameterException"
    assert error_of(lambda: obs.link(source, ("AWS::EC2::Instance",)))[0] == "InvalidParameterException"
    gone = obs.sink["Arn"].rsplit("/", 1)[0] + "/11111111-1111-1111-1111-111111111111"
    other = accounts.client(source, "oam", REGION)
    assert (
        error_of(lambda: other.create_link(LabelTemplate="x", ResourceTypes=[METRIC], SinkIdentifier=gone))[0]
        == "InvalidParameterException"
    )


def test_a_source_account_links_to_five_monitoring_accounts_at_most(accounts: Accounts) -> None:
    source = new_account()
    sinks = [Observability(accounts) for _ in range(6)]
    for obs in sinks:
        obs.allow(source)
    for obs in sinks[:5]:
        obs.link(source)

    code, _, status = error_of(lambda: sinks[5].link(source))

    assert (code, status) == ("ServiceQuotaExceededException", 429)
    listed = accounts.client(source, "oam", REGION).list_links(MaxResults=5)
    assert len(listed["Items"]) == 5 and "NextToken" not in listed


def test_attached_links_page_and_leave_when_deleted(accounts: Accounts) -> None:
    obs = Observability(accounts)
    sources = [new_account() for _ in range(5)]
    obs.allow(*sources)
    links = [obs.link(source, LabelTemplate=f"src-{n}") for n, source in enumerate(sources)]

    pages: list[list[str]] = []
    token: str | None = None
    while True:
        reply = obs.oam.list_attached_links(
            SinkIdentifier=obs.sink["Arn"], MaxResults=2, **({"NextToken": token} if token else {})
        )
        pages.append([item["Label"] for item in reply["Items"]])
        token = reply.get("NextToken")
        if token is None:
            break
    assert pages == [["src-0", "src-1"], ["src-2", "src-3"], ["src-4"]]

    code, _, status = error_of(lambda: obs.oam.delete_sink(Identifier=obs.sink["Arn"]))
    assert (code, status) == ("ConflictException", 409)
    accounts.client(sources[0], "oam", REGION).delete_link(Identifier=links[0]["Arn"])
    attached = obs.oam.list_attached_links(SinkIdentifier=obs.sink["Arn"])["Items"]
    assert [item["Label"] for item in attached] == ["src-1", "src-2", "src-3", "src-4"]
    assert accounts.client(sources[0], "oam", REGION).list_links()["Items"] == []
    assert error_of(lambda: obs.oam.list_attached_links(SinkIdentifier=obs.sink["Arn"], NextToken="bogus"))[
        0
    ] == ("InvalidParameterException")


def test_labels_and_org_wide_policies_come_from_organizations(accounts: Accounts) -> None:
    management = new_account()
    made = make_organization(accounts, management, ["payments-prod"])
    member = made["payments-prod"]
    obs = Observability(accounts)
    org_id = accounts.client(management, "organizations").describe_organization()["Organization"]["Id"]
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": "*",
                "Action": ["oam:CreateLink", "oam:UpdateLink"],
                "Resource": "*",
                "Condition": {"ForAnyValue:StringEquals": {"aws:PrincipalOrgID": [org_id]}},
            }
        ],
    }
    obs.oam.put_sink_policy(SinkIdentifier=obs.sink["Arn"], Policy=json.dumps(policy))

    link = obs.link(member, LabelTemplate="$AccountName ($AccountEmailNoDomain)")

    assert link["Label"] == "payments-prod (payments-prod)"
    assert link["LabelTemplate"] == "$AccountName ($AccountEmailNoDomain)"
    outsider = new_account()
    assert error_of(lambda: obs.link(outsider))[0] == "AccessDeniedException", "not in the organization"


# CloudWatch through the links ---------------------------------------------------------------------


def test_list_metrics_in_a_monitoring_account_includes_linked_accounts_with_their_owners(
    accounts: Accounts,
) -> None:
    obs = Observability(accounts)
    first, second, unlinked = new_account(), new_account(), new_account()
    obs.allow(first, second)
    obs.link(first)
    obs.link(second, (LOGS,))  # shares no metrics
    put(obs.cloudwatch(), "App", "Mine", 1.0)
    put(obs.cloudwatch(first), "App", "Theirs", 2.0, {"Stream": "orders"})
    put(obs.cloudwatch(second), "App", "Hidden", 3.0)
    put(obs.cloudwatch(unlinked), "App", "Stranger", 4.0)
    cw = obs.cloudwatch()

    linked = cw.list_metrics(IncludeLinkedAccounts=True)

    assert [m["MetricName"] for m in linked["Metrics"]] == ["Mine", "Theirs"]
    assert linked["OwningAccounts"] == [obs.monitoring, first]
    assert linked["Metrics"][1]["Dimensions"] == [{"Name": "Stream", "Value": "orders"}]
    only_first = cw.list_metrics(IncludeLinkedAccounts=True, OwningAccount=first)
    assert ([m["MetricName"] for m in only_first["Metrics"]], only_first["OwningAccounts"]) == (
        ["Theirs"],
        [first],
    )
    only_mine = cw.list_metrics(IncludeLinkedAccounts=True, OwningAccount=obs.monitoring)
    assert only_mine["OwningAccounts"] == [obs.monitoring]
    assert cw.list_metrics(IncludeLinkedAccounts=True, OwningAccount=unlinked)["Metrics"] == []
    plain = cw.list_metrics()
    assert [m["MetricName"] for m in plain["Metrics"]] == ["Mine"]
    assert "OwningAccounts" not in plain
    # Filters apply in every account.
    named = cw.list_metrics(IncludeLinkedAccounts=True, MetricName="Theirs", Namespace="App")
    assert named["OwningAccounts"] == [first]


def test_linked_list_metrics_pages_by_500_across_accounts_with_reusable_tokens(accounts: Accounts) -> None:
    obs = Observability(accounts)
    source = new_account()
    obs.allow(source)
    obs.link(source)
    for account, count in ((obs.monitoring, 300), (source, 350)):
        cw = obs.cloudwatch(account)
        for start in range(0, count, 20):
            cw.put_metric_data(
                Namespace="Fleet",
                MetricData=[
                    {"MetricName": f"m{n:03d}", "Value": 1.0, "Timestamp": NOW - timedelta(minutes=2)}
                    for n in range(start, min(start + 20, count))
                ],
            )
    cw = obs.cloudwatch()

    first = cw.list_metrics(IncludeLinkedAccounts=True, Namespace="Fleet")
    second = cw.list_metrics(IncludeLinkedAccounts=True, Namespace="Fleet", NextToken=first["NextToken"])
    again = cw.list_metrics(IncludeLinkedAccounts=True, Namespace="Fleet", NextToken=first["NextToken"])

    assert (len(first["Metrics"]), len(first["OwningAccounts"])) == (500, 500)
    assert first["OwningAccounts"] == [obs.monitoring] * 300 + [source] * 200
    assert (len(second["Metrics"]), second["OwningAccounts"]) == (150, [source] * 150)
    assert "NextToken" not in second
    assert (again["Metrics"], again["OwningAccounts"]) == (second["Metrics"], second["OwningAccounts"])
    names = [
        (owner, m["MetricName"])
        for page in (first, second)
        for owner, m in zip(page["OwningAccounts"], page["Metrics"], strict=True)
    ]
    assert len(set(names)) == 650
    assert error_of(lambda: cw.list_metrics(IncludeLinkedAccounts=True, NextToken="bm90LWEtdG9rZW4="))[0] == (
        "InvalidParameterValue"
    )


def test_get_metric_data_reads_a_linked_accounts_metric_by_account_id(accounts: Accounts) -> None:
    obs = Observability(accounts)
    source, stranger = new_account(), new_account()
    obs.allow(source)
    obs.link(source)
    put(obs.cloudwatch(), "App", "Requests", 10.0)
    put(obs.cloudwatch(source), "App", "Requests", 7.0)
    put(obs.cloudwatch(stranger), "App", "Requests", 99.0)
    cw = obs.cloudwatch()

    results = metric_data(
        cw,
        [
            stat("mine", "App", "Requests"),
            stat("same", "App", "Requests", obs.monitoring),
            stat("theirs", "App", "Requests", source),
            stat("stranger", "App", "Requests", stranger),
            stat("hidden", "App", "Requests", source, ReturnData=False),
            {"Id": "total", "Expression": "mine + hidden"},
            stat("secret", "App", "Requests", stranger, ReturnData=False),
            {"Id": "leak", "Expression": "secret * 2"},
            {"Id": "deeper", "Expression": "leak + 1"},
        ],
    )

    assert [results[q]["Values"] for q in ("mine", "same", "theirs", "total")] == [
        [10.0],
        [10.0],
        [7.0],
        [17.0],
    ]
    assert all(results[q]["StatusCode"] == "Complete" for q in ("mine", "same", "theirs", "total"))
    for refused in ("stranger", "leak", "deeper"):
        assert results[refused]["StatusCode"] == "Forbidden", refused
        assert results[refused]["Values"] == [] and results[refused]["Timestamps"] == []
        (message,) = results[refused]["Messages"]
        assert message["Code"] == "Forbidden" and stranger in message["Value"]
    assert "hidden" not in results and "secret" not in results

    # Without the link, the source account's metric is refused too.
    accounts.client(source, "oam", REGION).delete_link(
        Identifier=accounts.client(source, "oam", REGION).list_links()["Items"][0]["Arn"]
    )
    assert metric_data(cw, [stat("theirs", "App", "Requests", source)])["theirs"]["StatusCode"] == "Forbidden"


def test_a_links_metric_filter_limits_what_the_monitoring_account_sees(accounts: Accounts) -> None:
    obs = Observability(accounts)
    source = new_account()
    obs.allow(source)
    obs.link(
        source,
        LinkConfiguration={"MetricConfiguration": {"Filter": "Namespace IN ('AWS/EC2', 'AWS/Kinesis')"}},
    )
    for namespace in ("AWS/EC2", "AWS/Kinesis", "Payments"):
        put(obs.cloudwatch(source), namespace, "Work", 1.0)
    cw = obs.cloudwatch()

    listed = cw.list_metrics(IncludeLinkedAccounts=True, OwningAccount=source)
    results = metric_data(
        cw, [stat("ec2", "AWS/EC2", "Work", source), stat("pay", "Payments", "Work", source)]
    )

    assert sorted(m["Namespace"] for m in listed["Metrics"]) == ["AWS/EC2", "AWS/Kinesis"]
    assert (results["ec2"]["StatusCode"], results["ec2"]["Values"]) == ("Complete", [1.0])
    assert results["pay"]["StatusCode"] == "Forbidden"


def test_get_metric_data_takes_500_queries_at_most(accounts: Accounts) -> None:
    obs = Observability(accounts)
    put(obs.cloudwatch(), "App", "Requests", 1.0)
    cw = obs.cloudwatch()
    queries = [stat(f"q{n}", "App", "Requests") for n in range(501)]

    code, message, status = error_of(lambda: metric_data(cw, queries))
    assert (code, status) == ("ValidationError", 400)
    assert message == "The collection MetricDataQueries must not have a size greater than 500."
    assert len(metric_data(cw, queries[:500])) == 500


# The pure parts ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "accepted", "refused"),
    [
        ("Namespace = 'AWS/EC2'", ["AWS/EC2"], ["AWS/EBS"]),
        ("Namespace != 'AWS/EC2'", ["AWS/EBS"], ["AWS/EC2"]),
        ("Namespace NOT LIKE 'AWS/%'", ["Payments"], ["AWS/EC2"]),
        ("Namespace = 'AWS/EC2' OR Namespace NOT LIKE 'AWS/%'", ["AWS/EC2", "Payments"], ["AWS/EBS"]),
        ("Namespace IN ('AWS/EC2', 'AWS/EBS')", ["AWS/EBS"], ["AWS/Kinesis"]),
        ("Namespace NOT IN ('AWS/EC2')", ["AWS/EBS"], ["AWS/EC2"]),
        ("(Namespace LIKE 'AWS/%' AND Namespace != 'AWS/EC2')", ["AWS/EBS"], ["AWS/EC2", "App"]),
    ],
)
def test_namespace_filters_read_as_the_oam_documentation_writes_them(
    text: str, accepted: list[str], refused: list[str]
) -> None:
    predicate = oam.namespace_filter(text)
    assert all(predicate(name) for name in accepted)
    assert not any(predicate(name) for name in refused)


@pytest.mark.parametrize("text", ["Namespace", "Namespace = AWS/EC2", "Region = 'x'", "Namespace IN ('a'"])
def test_unreadable_namespace_filters_are_refused(text: str) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - any reason will do
        oam.namespace_filter(text)


def test_a_deny_statement_overrides_an_allow() -> None:
    sink = "arn:aws:oam:eu-west-1:123456789012:sink/abc"
    allow = {"Effect": "Allow", "Principal": "*", "Action": "oam:*", "Resource": "*"}
    deny = {
        "Effect": "Deny",
        "Principal": {"AWS": "222222222222"},
        "Action": "oam:CreateLink",
        "Resource": sink,
    }
    policy = json.dumps({"Statement": [allow, deny]})

    def allows(account: str) -> bool:
        return oam.policy_allows(
            policy,
            action="oam:CreateLink",
            account_id=account,
            partition="aws",
            resource_types=[METRIC],
            sink_arn=sink,
        )

    assert allows("333333333333")
    assert not allows("222222222222")


def test_moto_still_lacks_oam_and_linked_metrics(plain_moto_url: str) -> None:
    """The extension fills a gap: plain moto answers neither OAM nor linked accounts' metrics."""
    import boto3

    keys = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
    client = boto3.client("oam", region_name=REGION, endpoint_url=plain_moto_url, **keys)
    with pytest.raises(ClientError):
        client.list_sinks()
    cw = boto3.client("cloudwatch", region_name=REGION, endpoint_url=plain_moto_url, **keys)
    assert "OwningAccounts" not in cw.list_metrics(IncludeLinkedAccounts=True)
