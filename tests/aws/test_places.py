"""Pollers over places: accounts reached through roles, each in its regions (``tui.aws.scope``).

On plain moto, which keeps one backend per account: keys issued by sts:AssumeRole act in the role's
account. Each test makes its own accounts' resources in a region of its own, so the session's
other users of the server are untouched.
"""

from __future__ import annotations

import itertools
from typing import Any

import boto3

from tui.aws.clients import AwsTarget, ClientFactory
from tui.aws.limits import LimitsPoller
from tui.aws.scope import Place, home_places

HOME = "123456789012"
MEMBER = "210987654321"
REGION = "ap-southeast-2"
_names = itertools.count(1)


def _boto(url: str, service: str, account: str | None = None) -> Any:
    keys: dict[str, str] = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
    if account is not None:
        sts = boto3.client("sts", region_name=REGION, endpoint_url=url, **keys)
        role = f"arn:aws:iam::{account}:role/warroom-readonly"
        creds = sts.assume_role(RoleArn=role, RoleSessionName="seed")["Credentials"]
        keys = {
            "aws_access_key_id": creds["AccessKeyId"],
            "aws_secret_access_key": creds["SecretAccessKey"],
            "aws_session_token": creds["SessionToken"],
        }
    return boto3.client(service, region_name=REGION, endpoint_url=url, **keys)


def _instance(url: str, account: str | None, name: str) -> str:
    ec2 = _boto(url, "ec2", account)
    image = ec2.describe_images()["Images"][0]["ImageId"]
    reply = ec2.run_instances(
        ImageId=image,
        InstanceType="m5.large",
        MinCount=1,
        MaxCount=1,
        TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": name}]}],
    )
    return str(reply["Instances"][0]["InstanceId"])


def _factory(url: str) -> ClientFactory:
    return ClientFactory(
        AwsTarget(regions=(REGION,), endpoint_url=url, access_key="testing", secret_key="testing")
    )


def test_a_single_account_reads_its_regions_as_places() -> None:
    factory = _factory("http://127.0.0.1:1")
    assert factory.places == home_places((REGION,)) == (Place(REGION),)
    assert factory.places[0].label == REGION and factory.places[0].key == REGION


async def test_limits_reads_every_place_and_says_whose_each_row_is(plain_moto_url: str) -> None:
    tag = f"places-{next(_names)}"
    home_id = _instance(plain_moto_url, None, f"{tag}-home")
    member_id = _instance(plain_moto_url, MEMBER, f"{tag}-member")
    factory = _factory(plain_moto_url)
    member = Place(REGION, MEMBER, "payments-prod", f"arn:aws:iam::{MEMBER}:role/warroom-readonly")
    factory.set_places([Place(REGION, HOME, "security-tooling"), member])
    try:
        snapshot = await LimitsPoller(factory).poll()
    finally:
        await factory.close()
    ours = {i.instance_id: i for i in snapshot.instances if i.name.startswith(tag)}
    assert set(ours) == {home_id, member_id}
    assert ours[member_id].account_id == MEMBER and ours[member_id].region == REGION
    assert ours[home_id].account_id == HOME
    assert all(v.account_id == MEMBER for v in ours[member_id].volumes)
    assert {q.account_id for q in snapshot.quotas} == {HOME, MEMBER}
    assert factory.calls["sts:AssumeRole"] == 1, "the member's role is assumed once for every call"


async def test_a_place_that_cannot_be_reached_is_one_error_and_the_rest_stands(plain_moto_url: str) -> None:
    tag = f"places-{next(_names)}"
    home_id = _instance(plain_moto_url, None, f"{tag}-home")
    factory = _factory(plain_moto_url)
    broken = Place(REGION, "567890123456", "sandbox", "arn:aws:iam::567890123456:role/not a role")
    factory.set_places([Place(REGION), broken])
    try:
        snapshot = await LimitsPoller(factory).poll()
    finally:
        await factory.close()
    assert snapshot.error is None
    assert home_id in {i.instance_id for i in snapshot.instances}
    (failed,) = [e for e in snapshot.errors if e.region == "sandbox ap-southeast-2"]
    assert failed.api == "ec2:DescribeInstances"


def test_an_accounts_view_gives_the_places_to_read() -> None:
    from tui.aws.accounts import Account, AccountRow, AccountsView, Reach

    home = Account(HOME, "security-tooling", home=True)
    member = Account(MEMBER, "payments-prod", role_arn=f"arn:aws:iam::{MEMBER}:role/warroom-readonly")
    sandbox = Account("567890123456", "sandbox", role_arn="arn:aws:iam::567890123456:role/warroom-readonly")
    regions = ("us-east-1", "eu-west-1")

    def row(account: Account, ok: bool) -> AccountRow:
        return AccountRow(account, tuple(Reach(account.id, r, ok) for r in regions))

    view = AccountsView(rows=(row(home, True), row(member, True), row(sandbox, False)), regions=regions)
    places = view.places()
    assert [p.key for p in places] == [
        "us-east-1",
        "eu-west-1",
        f"{MEMBER}/us-east-1",
        f"{MEMBER}/eu-west-1",
    ]
    assert places[0].home and places[0].account_id == HOME
    assert places[2].role_arn == member.role_arn and places[2].label == "payments-prod us-east-1"


async def test_kinesis_reads_every_place(plain_moto_url: str) -> None:
    from tui.aws.kinesis import KinesisPoller

    tag = f"places-{next(_names)}"
    _boto(plain_moto_url, "kinesis").create_stream(StreamName=f"{tag}-home", ShardCount=1)
    _boto(plain_moto_url, "kinesis", MEMBER).create_stream(StreamName=f"{tag}-member", ShardCount=2)
    factory = _factory(plain_moto_url)
    member = Place(REGION, MEMBER, "payments-prod", f"arn:aws:iam::{MEMBER}:role/warroom-readonly")
    factory.set_places([Place(REGION, HOME, "security-tooling"), member])
    heard: list[tuple[int, int, str, Any]] = []
    try:
        poller = KinesisPoller(factory)
        snapshot = await poller.poll(answered=lambda *report: heard.append(report))
        first = list(heard)
        heard.clear()
        await poller.poll(answered=lambda *report: heard.append(report))
    finally:
        await factory.close()
    ours = {s.stream_name: s for s in snapshot.streams if s.stream_name.startswith(tag)}
    assert ours[f"{tag}-home"].account_id == HOME
    assert ours[f"{tag}-member"].account_id == MEMBER and ours[f"{tag}-member"].open_shards == 2
    assert f":{MEMBER}:stream/{tag}-member" in ours[f"{tag}-member"].stream_arn
    assert not snapshot.partial
    # The first rows appear as accounts answer: after the first account, a partial snapshot of its
    # streams alone; after the second, all of them.
    assert [(done, total, noun) for done, total, noun, _ in first] == [(1, 2, "accounts"), (2, 2, "accounts")]
    early = first[0][3]
    assert early.partial and {s.account_id for s in early.streams if s.stream_name.startswith(tag)} in (
        {HOME},
        {MEMBER},
    )
    # Later polls say how far they have come, with no partial snapshot: the pane keeps the whole last one.
    assert [(done, partial) for done, _, _, partial in heard] == [(1, None), (2, None)]


async def test_alarms_say_their_account(plain_moto_url: str) -> None:
    from tui.aws.alarms import AlarmsPoller

    tag = f"places-{next(_names)}"
    _boto(plain_moto_url, "cloudwatch", MEMBER).put_metric_alarm(
        AlarmName=f"{tag}-cpu",
        Namespace="AWS/EC2",
        MetricName="CPUUtilization",
        Statistic="Average",
        Period=60,
        EvaluationPeriods=1,
        Threshold=90,
        ComparisonOperator="GreaterThanThreshold",
    )
    factory = _factory(plain_moto_url)
    member = Place(REGION, MEMBER, "payments-prod", f"arn:aws:iam::{MEMBER}:role/warroom-readonly")
    factory.set_places([Place(REGION, HOME, "security-tooling"), member])
    try:
        alarms = await AlarmsPoller(factory).poll()
    finally:
        await factory.close()
    (alarm,) = [a for a in alarms.alarms if a.name == f"{tag}-cpu"]
    assert alarm.account_id == MEMBER and alarm.region == REGION


def _template(url: str, account: str | None, description: str) -> str:
    fis = _boto(url, "fis", account)
    owner = account or HOME
    reply = fis.create_experiment_template(
        clientToken=description,
        description=description,
        stopConditions=[{"source": "none"}],
        targets={},
        actions={"wait": {"actionId": "aws:fis:wait", "parameters": {"duration": "PT1M"}}},
        roleArn=f"arn:aws:iam::{owner}:role/fis-experiments",
    )
    return str(reply["experimentTemplate"]["id"])


async def test_experiments_read_every_place_and_say_whose_each_template_is(plain_moto_url: str) -> None:
    from tui.aws.fis import FisPoller

    tag = f"places-{next(_names)}"
    home_id = _template(plain_moto_url, None, f"{tag}-home")
    member_id = _template(plain_moto_url, MEMBER, f"{tag}-member")
    factory = _factory(plain_moto_url)
    member = Place(REGION, MEMBER, "payments-prod", f"arn:aws:iam::{MEMBER}:role/warroom-readonly")
    factory.set_places([Place(REGION, HOME, "security-tooling"), member])
    try:
        poller = FisPoller(factory)
        snapshot = await poller.poll()
        again = await poller.poll()
    finally:
        await factory.close()
    ours = {t.template_id: t for t in snapshot.templates if t.description.startswith(tag)}
    assert {i: t.account_id for i, t in ours.items()} == {home_id: HOME, member_id: MEMBER}
    assert all(t.detailed for t in ours.values())
    # Each place's template bodies are kept by the place: the second poll reads them again only
    # when their lastUpdateTime moved, in whichever account they are.
    assert {t.template_id: t.account_id for t in again.templates if t.description.startswith(tag)} == {
        home_id: HOME,
        member_id: MEMBER,
    }
    assert snapshot.errors == () and snapshot.error is None


async def test_places_are_read_a_few_at_once_in_their_order() -> None:
    import asyncio

    from tui.aws.scope import each_place

    places = [Place(REGION, f"{n:012d}", f"account-{n}", f"arn:aws:iam::{n:012d}:role/r") for n in range(40)]
    reading = 0
    most = 0

    async def read(place: Place) -> str:
        nonlocal reading, most
        reading += 1
        most = max(most, reading)
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        reading -= 1
        return place.account_id

    assert await asyncio.wait_for(each_place(places, read, at_once=8), 10.0) == [p.account_id for p in places]
    assert most == 8


async def test_progress_counts_accounts_whole_or_regions_for_one_account() -> None:
    import asyncio

    from tui.aws.scope import each_place

    two_regions = [
        Place(r, a, a, f"arn:aws:iam::{a}:role/r") for a in (HOME, MEMBER) for r in ("us-east-1", "eu-west-1")
    ]
    heard: list[tuple[int, int, str]] = []

    async def read(place: Place) -> str:
        await asyncio.sleep(0.01 if place.account_id == HOME else 0.0)
        return place.key

    done = await each_place(two_regions, read, answered=lambda d, t, noun, _=None: heard.append((d, t, noun)))
    assert done == [p.key for p in two_regions]
    # An account counts once it has answered in every region.
    assert heard == [(0, 2, "accounts"), (1, 2, "accounts"), (1, 2, "accounts"), (2, 2, "accounts")]
    heard.clear()
    await each_place(
        home_places(("us-east-1", "eu-west-1")),
        read,
        answered=lambda d, t, n, _=None: heard.append((d, t, n)),
    )
    assert heard == [(1, 2, "regions"), (2, 2, "regions")]
    heard.clear()
    await each_place(
        home_places(("us-east-1",)), read, answered=lambda d, t, n, _=None: heard.append((d, t, n))
    )
    assert heard == [], "one place: nothing to count"


async def test_an_experiment_of_a_member_template_starts_in_that_account_through_its_acting_role(
    plain_moto_url: str, tmp_path: Any
) -> None:
    from tui.aws.actions import ActionRunner, AuditLog
    from tui.aws.actions.core import acting_in
    from tui.aws.actions.fis import start_plan
    from tui.aws.fis import FisPoller
    from tui.aws.scope import acting_place, acting_places

    tag = f"places-{next(_names)}"
    member_id = _template(plain_moto_url, MEMBER, f"{tag}-member")
    factory = _factory(plain_moto_url)
    member = Place(REGION, MEMBER, "payments-prod", f"arn:aws:iam::{MEMBER}:role/warroom-readonly")
    places = (Place(REGION, HOME, "security-tooling"), member)
    factory.set_places(places)
    try:
        snapshot = await FisPoller(factory).poll()
        (template,) = [t for t in snapshot.templates if t.template_id == member_id]
        place = acting_place(acting_places(places, "warroom-remediation"), REGION, MEMBER)
        plan = acting_in(start_plan(template), place, template.account_id, REGION, "payments-prod")
        (call,) = plan.calls
        assert plan.title.startswith("payments-prod: Start FIS experiment")
        assert (call.role_arn, call.account_id) == (f"arn:aws:iam::{MEMBER}:role/warroom-remediation", MEMBER)
        audit = AuditLog(tmp_path / "audit.jsonl")
        await ActionRunner(factory, read_only=False, audit=audit, actor="tests").execute(plan)
    finally:
        await factory.close()
    started = _boto(plain_moto_url, "fis", MEMBER).list_experiments()["experiments"]
    assert any(e["experimentTemplateId"] == member_id for e in started)
    at_home = _boto(plain_moto_url, "fis").list_experiments()["experiments"]
    assert not any(e["experimentTemplateId"] == member_id for e in at_home)
    # An account not reached now: refused, nothing called.
    gone = acting_in(start_plan(template), None, MEMBER, REGION, "payments-prod")
    assert gone.refusal and "not reached" in gone.refusal
