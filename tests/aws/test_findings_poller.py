"""The Findings poller against the simulator: paging at the first load, one call when nothing is new,
re-reads of what the console changed, and every failure kept to the part it affects."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.json_doc import json_of
from tui.aws.clients import AwsTarget, ClientFactory
from tui.aws.findings import FindingsPoller
from tui.common.timefmt import asff_time

REGION = "ap-southeast-1"
ACCOUNT = "123456789012"
PRODUCT = f"arn:aws:securityhub:{REGION}:{ACCOUNT}:product/{ACCOUNT}/default"
T0 = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)


class Clock:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at


def finding(
    index: int, *, updated: datetime, record_state: str = "ACTIVE", title: str = ""
) -> dict[str, Any]:
    return {
        "SchemaVersion": "2018-10-08",
        "Id": f"poller-test/{index:05d}",
        "ProductArn": PRODUCT,
        "GeneratorId": "poller-test",
        "AwsAccountId": ACCOUNT,
        "Types": ["Software and Configuration Checks"],
        "CreatedAt": asff_time(updated - timedelta(days=3)),
        "FirstObservedAt": asff_time(updated - timedelta(days=3)),
        "UpdatedAt": asff_time(updated),
        "Severity": {"Label": ("CRITICAL", "HIGH", "MEDIUM", "LOW")[index % 4]},
        "Title": title or f"Poller test finding {index}",
        "Description": "A finding imported by the poller tests.",
        "Resources": [{"Type": "AwsEc2SecurityGroup", "Id": f"sg-{index:017x}", "Region": REGION}],
        "RecordState": record_state,
        "Workflow": {"Status": "NEW"},
    }


@pytest.fixture(scope="module")
def hub(sim_url: str) -> Any:
    import boto3

    client = boto3.client(
        "securityhub",
        region_name=REGION,
        endpoint_url=sim_url,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    client.enable_security_hub(EnableDefaultStandards=True)
    batch = [finding(i, updated=T0 - timedelta(minutes=300 - i)) for i in range(250)]
    batch += [finding(1000 + i, updated=T0 - timedelta(hours=9), record_state="ARCHIVED") for i in range(10)]
    for start in range(0, len(batch), 100):
        reply = client.batch_import_findings(Findings=batch[start : start + 100])
        assert reply["FailedCount"] == 0, reply["FailedFindings"]
    return client


@pytest.fixture
async def factory(sim_url: str, hub: Any) -> AsyncIterator[ClientFactory]:
    target = AwsTarget(regions=(REGION,), endpoint_url=sim_url, access_key="testing", secret_key="testing")
    made = ClientFactory(target)
    try:
        yield made
    finally:
        await made.close()


def deny(code: str, operation: str) -> Callable[..., None]:
    def handler(**_: Any) -> None:
        raise ClientError({"Error": {"Code": code, "Message": f"{operation} refused by the test"}}, operation)

    return handler


async def test_first_load_pages_the_active_findings_with_progress(factory: ClientFactory) -> None:
    seen: list[tuple[int, int]] = []
    poller = FindingsPoller(factory, clock=Clock(T0))
    snapshot = await poller.poll(progress=lambda pages, found: seen.append((pages, found)))
    assert snapshot.error is None
    mine = [f for f in snapshot.findings if f.id.startswith("poller-test/")]
    assert len(mine) >= 250
    assert all(f.record_state == "ACTIVE" for f in snapshot.findings)
    assert seen[0] == (1, 100) and seen[1] == (2, 200)
    assert [pages for pages, _ in seen] == list(range(1, len(seen) + 1))
    assert factory.calls["securityhub:GetFindings"] == len(seen) == snapshot.pages
    assert factory.calls["securityhub:GetEnabledStandards"] == 1
    assert snapshot.full_load and snapshot.standards is not None
    assert snapshot.watermark is not None
    assert json_of(snapshot)["total"] == snapshot.total


async def test_a_refresh_with_nothing_new_is_one_call(factory: ClientFactory) -> None:
    clock = Clock(T0)
    poller = FindingsPoller(factory, clock=clock)
    first = await poller.poll()
    before = factory.calls["securityhub:GetFindings"]
    clock.at = T0 + timedelta(minutes=1)
    second = await poller.poll()
    assert factory.calls["securityhub:GetFindings"] == before + 1
    assert not second.full_load
    assert second.total == first.total
    assert second.version == first.version
    assert second.changed == 0


async def test_a_new_finding_arrives_by_the_watermark(factory: ClientFactory, hub: Any) -> None:
    clock = Clock(T0)
    poller = FindingsPoller(factory, clock=clock)
    first = await poller.poll()
    assert first.watermark is not None
    fresh = finding(5000, updated=first.watermark + timedelta(minutes=2), title="Arrived later")
    assert hub.batch_import_findings(Findings=[fresh])["FailedCount"] == 0
    clock.at = T0 + timedelta(minutes=3)
    second = await poller.poll()
    assert second.changed == 1
    assert second.total == first.total + 1
    assert any(f.title == "Arrived later" for f in second.findings)
    assert second.version > first.version


async def test_changes_made_here_are_reread_by_id(factory: ClientFactory, hub: Any) -> None:
    clock = Clock(T0)
    poller = FindingsPoller(factory, clock=clock)
    await poller.poll()
    target = ("poller-test/00007", PRODUCT)
    hub.batch_update_findings(
        FindingIdentifiers=[{"Id": target[0], "ProductArn": target[1]}],
        Workflow={"Status": "SUPPRESSED"},
        Note={"Text": "accepted risk", "UpdatedBy": "tests"},
    )
    clock.at = T0 + timedelta(minutes=1)
    unchanged = await poller.poll()
    # BatchUpdateFindings leaves UpdatedAt alone: the watermark does not see it.
    assert next(f for f in unchanged.findings if f.key == target).workflow_status == "NEW"
    poller.expect([target])
    clock.at = T0 + timedelta(minutes=2)
    reread = await poller.poll()
    changed = next(f for f in reread.findings if f.key == target)
    assert changed.workflow_status == "SUPPRESSED"
    assert changed.note is not None and changed.note.text == "accepted risk"
    assert reread.changed >= 1
    hub.batch_update_findings(
        FindingIdentifiers=[{"Id": target[0], "ProductArn": target[1]}],
        Workflow={"Status": "NEW"},
        Note={"Text": "reopened by the tests", "UpdatedBy": "tests"},
    )


async def test_local_changes_show_at_once(factory: ClientFactory) -> None:
    poller = FindingsPoller(factory, clock=Clock(T0))
    first = await poller.poll()
    one = first.findings[0]
    poller.apply_local([one.with_workflow("RESOLVED", None)])
    findings, version = poller.current()
    assert version > first.version
    assert next(f for f in findings if f.key == one.key).workflow_status == "RESOLVED"


async def test_a_full_reload_comes_after_full_every(factory: ClientFactory) -> None:
    clock = Clock(T0)
    poller = FindingsPoller(factory, clock=clock, full_every=timedelta(minutes=30))
    await poller.poll()
    clock.at = T0 + timedelta(minutes=31)
    assert (await poller.poll()).full_load
    poller.reload()
    clock.at = T0 + timedelta(minutes=32)
    assert (await poller.poll()).full_load


async def test_findings_without_identity_are_counted_and_skipped(factory: ClientFactory) -> None:
    client = await factory.client("securityhub", REGION)

    def spoil(parsed: dict[str, Any], **_: Any) -> None:
        parsed.setdefault("Findings", []).append({"Title": "no id"})
        parsed["Findings"].append({"Id": "x", "ProductArn": PRODUCT, "Severity": "bogus", "Title": 7})

    client.meta.events.register("after-call.securityhub.GetFindings", spoil)
    snapshot = await FindingsPoller(factory, clock=Clock(T0)).poll()
    client.meta.events.unregister("after-call.securityhub.GetFindings", spoil)
    assert snapshot.error is None
    assert snapshot.skipped >= 1
    assert snapshot.malformed >= 1
    odd = next(f for f in snapshot.findings if f.id == "x")
    assert odd.problems


async def test_a_denied_get_findings_keeps_what_was_shown(factory: ClientFactory) -> None:
    clock = Clock(T0)
    poller = FindingsPoller(factory, clock=clock)
    first = await poller.poll()
    client = await factory.client("securityhub", REGION)
    handler = deny("AccessDeniedException", "GetFindings")
    client.meta.events.register("before-call.securityhub.GetFindings", handler)
    clock.at = T0 + timedelta(minutes=1)
    second = await poller.poll()
    client.meta.events.unregister("before-call.securityhub.GetFindings", handler)
    assert second.error is not None
    assert "denied" in second.error.message.lower()
    assert second.total == first.total


async def test_denied_standards_blank_only_the_scores(factory: ClientFactory) -> None:
    client = await factory.client("securityhub", REGION)
    handler = deny("AccessDeniedException", "GetEnabledStandards")
    client.meta.events.register("before-call.securityhub.GetEnabledStandards", handler)
    snapshot = await FindingsPoller(factory, clock=Clock(T0)).poll()
    client.meta.events.unregister("before-call.securityhub.GetEnabledStandards", handler)
    assert snapshot.error is None
    assert snapshot.standards is None
    assert snapshot.standards_problem is not None
    assert snapshot.total >= 250


async def test_read_one_returns_the_full_record(factory: ClientFactory) -> None:
    poller = FindingsPoller(factory, clock=Clock(T0))
    raw = await poller.read_one(("poller-test/00003", PRODUCT))
    assert raw["Description"] == "A finding imported by the poller tests."
    with pytest.raises(LookupError):
        await poller.read_one(("poller-test/missing", PRODUCT))
