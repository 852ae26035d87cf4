"""The Findings poller against the simulator: paging at the first load, one call when nothing is new,
re-reads of what the console changed, and every failure kept to the part it affects."""

from __future__ import annotations

import math
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.json_doc import json_of
from tui.aws.clients import AwsTarget, ClientFactory
from tui.aws.findings import FindingsPoller, FindingsSnapshot, partial_after
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
    index: int,
    *,
    updated: datetime,
    record_state: str = "ACTIVE",
    title: str = "",
    region: str = REGION,
) -> dict[str, Any]:
    return {
        "SchemaVersion": "2018-10-08",
        "Id": f"poller-test/{index:05d}",
        "ProductArn": f"arn:aws:securityhub:{region}:{ACCOUNT}:product/{ACCOUNT}/default",
        "GeneratorId": "poller-test",
        "AwsAccountId": ACCOUNT,
        "Types": ["Software and Configuration Checks"],
        "CreatedAt": asff_time(updated - timedelta(days=3)),
        "FirstObservedAt": asff_time(updated - timedelta(days=3)),
        "UpdatedAt": asff_time(updated),
        "Severity": {"Label": ("CRITICAL", "HIGH", "MEDIUM", "LOW")[index % 4]},
        "Title": title or f"Poller test finding {index}",
        "Description": "A finding imported by the poller tests.",
        "Resources": [{"Type": "AwsEc2SecurityGroup", "Id": f"sg-{index:017x}", "Region": region}],
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
    partials: list[FindingsSnapshot] = []

    def progress(pages: int, found: int, partial: FindingsSnapshot | None = None) -> None:
        seen.append((pages, found))
        if partial is not None:
            partials.append(partial)

    poller = FindingsPoller(factory, clock=Clock(T0))
    snapshot = await poller.poll(progress=progress)
    assert snapshot.error is None
    mine = [f for f in snapshot.findings if f.id.startswith("poller-test/")]
    assert len(mine) >= 250
    assert all(f.record_state == "ACTIVE" for f in snapshot.findings)
    assert seen[0] == (1, 100) and seen[1] == (2, 200)
    assert [pages for pages, _ in seen] == list(range(1, len(seen) + 1))
    # What was read so far, handed over after pages 1, 2 and 4 (of 3 here): the pane works on it.
    assert [p.pages for p in partials] == [n for n in (1, 2, 4) if n <= len(seen)]
    assert all(p.loading and p.full_load for p in partials) and not snapshot.loading
    assert [p.total for p in partials] == [100 * p.pages for p in partials]
    assert len({p.version for p in (*partials, snapshot)}) == len(partials) + 1
    # Most severe first: the pages come in severity order, so the first one holds the worst.
    ranks = [f.severity_rank for f in snapshot.findings]
    assert ranks == sorted(ranks)
    assert {f.severity for f in partials[0].findings} <= {"CRITICAL", "HIGH"}
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


# -- thousands of findings: what a refresh costs, and what it never misses -----------------------


def import_all(client: Any, findings: list[dict[str, Any]]) -> None:
    for start in range(0, len(findings), 100):
        reply = client.batch_import_findings(Findings=findings[start : start + 100])
        assert reply["FailedCount"] == 0, reply["FailedFindings"]


def busy_hub(sim_url: str, region: str, count: int) -> tuple[Any, datetime]:
    """A hub in ``region`` with ``count`` findings updated a second apart, the newest ten minutes ago
    (so 300 of them within the five minutes before the newest); returns its client and that time."""
    import boto3

    client = boto3.client(
        "securityhub",
        region_name=region,
        endpoint_url=sim_url,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    client.enable_security_hub(EnableDefaultStandards=False)
    newest = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=10)
    import_all(
        client, [finding(i, updated=newest - timedelta(seconds=i), region=region) for i in range(count)]
    )
    return client, newest


async def regional_factory(sim_url: str, region: str) -> ClientFactory:
    target = AwsTarget(regions=(region,), endpoint_url=sim_url, access_key="testing", secret_key="testing")
    return ClientFactory(target)


async def test_thousands_cost_the_floor_to_load_and_one_call_a_refresh(sim_url: str) -> None:
    _, newest = busy_hub(sim_url, "me-central-1", 2_500)
    factory = await regional_factory(sim_url, "me-central-1")
    try:
        clock = Clock(datetime.now(UTC))
        poller = FindingsPoller(factory, clock=clock)
        first = await poller.poll()
        assert first.total == 2_500
        assert factory.calls["securityhub:GetFindings"] == math.ceil(2_500 / 100) == first.pages
        for minutes in (1, 2, 3):
            before = factory.calls["securityhub:GetFindings"]
            clock.at += timedelta(minutes=1)
            again = await poller.poll()
            # 300 findings were updated in the five minutes before the newest: the old window (five
            # minutes before the newest UpdatedAt) paged them again on every refresh.
            assert factory.calls["securityhub:GetFindings"] == before + 1, f"refresh {minutes}"
            assert not again.full_load and again.changed == 0 and again.total == 2_500
        assert again.watermark == newest
    finally:
        await factory.close()


async def test_a_refresh_reads_late_updates_within_the_overlap(sim_url: str) -> None:
    region = "ap-south-2"
    client, _ = busy_hub(sim_url, region, 300)
    factory = await regional_factory(sim_url, region)
    try:
        started = datetime.now(UTC).replace(microsecond=0)
        clock = Clock(started)
        poller = FindingsPoller(factory, clock=clock)
        await poller.poll()
        # Newer than every finding held: read, however late it came.
        import_all(
            client, [finding(9_000, updated=started - timedelta(minutes=1), title="newer", region=region)]
        )
        clock.at = started + timedelta(minutes=1)
        first = await poller.poll()
        assert first.changed == 1 and first.watermark == started - timedelta(minutes=1)
        # Stamped before the newest finding now held, and found only now (eventual consistency): one
        # late by less than the overlap, one by more.
        import_all(
            client,
            [
                finding(9_001, updated=started - timedelta(minutes=3), title="late", region=region),
                finding(9_002, updated=started - timedelta(minutes=20), title="very late", region=region),
            ],
        )
        clock.at = started + timedelta(minutes=2)
        second = await poller.poll()
        titles = {f.title for f in second.findings}
        assert "late" in titles and "very late" not in titles
        assert second.changed == 1 and not second.full_load
        # An update later than the overlap allows is the full reload's to find.
        poller.reload()
        clock.at = started + timedelta(minutes=3)
        reloaded = await poller.poll()
        assert reloaded.full_load and "very late" in {f.title for f in reloaded.findings}
    finally:
        await factory.close()


def test_a_first_load_hands_over_its_pages_now_and_then() -> None:
    handed = [n for n in range(1, 61) if partial_after(n)]
    assert handed == [1, 2, 4, 8, 10, 16, 20, 30, 32, 40, 50, 60]
    assert not partial_after(0)
