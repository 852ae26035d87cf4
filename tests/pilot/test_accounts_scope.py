"""The console watching several accounts: the config file's list is checked, each account reached
becomes a place the panes poll, the header says how many accounts and regions, and one that cannot
be reached is said in Activity with what to do. On plain moto, whose accounts are per access key."""

from __future__ import annotations

from typing import Any

import boto3
from textual.pilot import Pilot

from tui.app import WarroomApp, make_app
from tui.aws.clients import AwsTarget
from tui.aws.target import AccountEntry, AccountSettings
from tui.settings import Settings
from widgets.header import HeaderBar
from widgets.vtable import VirtualTable

REGION = "ap-northeast-3"
MEMBER = "210987654321"
BROKEN = "567890123456"


def _member_instance(url: str) -> str:
    sts = boto3.client(
        "sts",
        region_name=REGION,
        endpoint_url=url,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    creds = sts.assume_role(RoleArn=f"arn:aws:iam::{MEMBER}:role/warroom-readonly", RoleSessionName="seed")[
        "Credentials"
    ]
    ec2 = boto3.client(
        "ec2",
        region_name=REGION,
        endpoint_url=url,
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
    )
    image = ec2.describe_images()["Images"][0]["ImageId"]
    reply = ec2.run_instances(ImageId=image, InstanceType="t3.micro", MinCount=1, MaxCount=1)
    return str(reply["Instances"][0]["InstanceId"])


def _app_of_three(url: str) -> WarroomApp:
    """A console watching its own account, payments-prod, and sandbox (whose role names another
    account: it cannot be reached)."""
    accounts = AccountSettings(
        entries=(
            AccountEntry(MEMBER, "payments-prod"),
            AccountEntry(BROKEN, "sandbox", role=f"arn:aws:iam::{MEMBER}:role/not-its-account"),
        )
    )
    target = AwsTarget(regions=(REGION,), endpoint_url=url, access_key="testing", secret_key="testing")
    app = make_app(Settings(target=target, accounts=accounts))
    assert isinstance(app, WarroomApp)
    return app


def _keys(text: str) -> list[str]:
    return ["space" if c == " " else c for c in text]


async def _until(pilot: Pilot[Any], test: Any, within: float = 30.0) -> None:
    waited = 0.0
    while not test():
        assert waited < within, "not within the deadline"
        await pilot.pause(0.1)
        waited += 0.1


async def test_the_console_polls_every_account_it_reaches(plain_moto_url: str) -> None:
    instance = _member_instance(plain_moto_url)
    app = _app_of_three(plain_moto_url)
    async with app.run_test(size=(120, 40)) as pilot:
        await _until(pilot, lambda: "unreachable" in app.scope_text() and not app.scope_progress)
        assert app.scope_text() == "3 accounts · 1 region · 1 unreachable"
        places = app.factory.places
        assert [(p.account_id, p.account_name) for p in places] == [
            ("123456789012", ""),
            (MEMBER, "payments-prod"),
        ]
        assert app.screen.query_one(HeaderBar).scope == app.scope_text()
        errors = [e for e in app.activity if e.pane == "accounts" and e.level == "error"]
        assert (
            len(errors) == 1
            and "sandbox (567890123456)" in errors[0].text
            and "fix the entry" in errors[0].text
        )
        await pilot.press("2")
        await _until(pilot, lambda: getattr(app.screen, "snapshot", None) is not None)
        ids = {i.instance_id: i.account_id for i in app.screen.snapshot.instances}  # type: ignore[attr-defined]
        assert ids[instance] == MEMBER
        table = app.screen.query_one(VirtualTable)
        at = [c.key for c in table.columns].index("account")
        assert at == 1, "ACCOUNT follows the name"
        cells = {row.key: row.cells[at] for row in table.rows}
        assert cells[instance] == "payments-prod"
        assert {cells[k] for k in cells if k != instance} <= {"123456789012"}


async def test_the_scope_switcher_narrows_what_every_pane_polls(plain_moto_url: str) -> None:
    from tui.screens.scope import ScopeScreen

    app = _app_of_three(plain_moto_url)
    async with app.run_test(size=(80, 24)) as pilot:
        await _until(pilot, lambda: "unreachable" in app.scope_text() and not app.scope_progress)
        await pilot.press("A")
        await _until(pilot, lambda: isinstance(app.screen, ScopeScreen))
        # All, this account, payments-prod, sandbox (cannot be chosen): down twice is payments-prod.
        await pilot.press("down", "down", "enter")
        await _until(pilot, lambda: not isinstance(app.screen, ScopeScreen))
        assert [p.account_id for p in app.factory.places] == [MEMBER]
        assert app.scope_text().startswith("payments-prod · all regions of 3 accounts")
        await pilot.press("colon", *_keys("account sandbox"), "enter")
        await pilot.pause(0.2)
        assert [p.account_id for p in app.factory.places] == [MEMBER], "an unreachable account is refused"
        await pilot.press("colon", *_keys("account all"), "enter")
        await _until(pilot, lambda: len(app.factory.places) == 2)
        assert app.scope_text() == "3 accounts · 1 region · 1 unreachable"
