"""The Findings pane driven with keys: the default view, filtering, facets, grouping, a finding's
details, hostile text shown literally, and workflow and remediation asking first."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from rich.text import Text
from textual.pilot import Pilot
from textual.widgets import Input, Static

from tests.frozen import FROZEN
from tests.helpers import frozen_clock, open_pane, settle, sim_settings
from tui.app import make_app
from tui.common import paths
from tui.common.timefmt import asff_time
from tui.screens.confirm import ConfirmScreen
from tui.screens.finding import FindingScreen
from tui.screens.findings import FindingsScreen
from tui.screens.findings_modals import FacetScreen, NoteScreen
from widgets.vtable import VirtualTable

OWN_REGION = "eu-south-1"
ACCOUNT = "123456789012"


async def open_findings(pilot: Pilot[Any], *, within: float = 30.0) -> FindingsScreen:
    screen: FindingsScreen = await open_pane(pilot, "4", FindingsScreen, within=within)
    return screen


def plain(widget: Any) -> str:
    content = widget.render()
    return content.plain if isinstance(content, Text) else str(content)


def _audit() -> list[dict[str, Any]]:
    path = paths.audit_file()
    if not path.exists():
        return []
    return [json.loads(line) for line in Path(path).read_text().splitlines() if line.strip()]


async def test_the_default_view_is_open_active_findings_worst_first(sim_url: str) -> None:
    app = make_app(sim_settings(sim_url, read_only=True), clock=frozen_clock)
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await open_findings(pilot)
        snapshot = screen.snapshot
        assert snapshot is not None and snapshot.error is None
        shown = screen._shown
        assert shown and len(shown) < snapshot.total
        assert {f.workflow_status for f in shown} <= {"NEW", "NOTIFIED"}
        assert {f.record_state for f in shown} == {"ACTIVE"}
        assert shown[0].severity == "CRITICAL"
        ranks = [f.severity_rank for f in shown]
        assert ranks == sorted(ranks)
        summary = plain(screen.query_one("#fnd-summary"))
        assert "CRIT" in summary and f"of {snapshot.total:,}" in summary
        # Security Hub's PASSED findings are there (they make the scores), but not in the default view.
        assert any(f.compliance_status == "PASSED" for f in snapshot.findings)
        assert "PASSED" not in {f.compliance_status for f in shown}
        scores = plain(screen.query_one("#fnd-scores"))
        shares = dict(re.findall(r"(FSBP v1\.0\.0|CIS 1\.2\.0) (\d+)% \(\d+/\d+ controls\)", scores))
        assert set(shares) == {"FSBP v1.0.0", "CIS 1.2.0"}, scores
        assert all(0 < int(share) < 100 for share in shares.values()), scores


async def test_hostile_text_is_shown_literally(sim_url: str) -> None:
    app = make_app(sim_settings(sim_url, read_only=True), clock=frozen_clock)
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await open_findings(pilot)
        await pilot.press("slash", *"suspicious")
        await pilot.pause()
        (hostile,) = screen._shown
        assert "[bold]x[/]" in hostile.title and "\x1b" not in hostile.title
        table = screen.query_one(VirtualTable)
        row = table.rows[table.cursor_index]
        assert "[bold]x[/]" in str(row.cells[1])
        detail = plain(screen.query_one("#fnd-detail"))
        assert "[bold]x[/] red" in detail and "\x1b" not in detail
        await pilot.press("enter", "enter")
        await settle(pilot, lambda: isinstance(app.screen, FindingScreen) and app.screen.raw is not None)
        text = plain(app.screen.query_one("#fd-text", Static))
        assert "[link=https://example.com]click[/link]" in text
        assert "\x1b" not in text


async def test_typing_filters_and_escape_clears(sim_url: str) -> None:
    app = make_app(sim_settings(sim_url, read_only=True), clock=frozen_clock)
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await open_findings(pilot)
        everything = len(screen._shown)
        await pilot.press("slash", *"securitygroup")
        await pilot.pause()
        assert screen._shown and len(screen._shown) < everything
        assert {f.resource_type for f in screen._shown} == {"AwsEc2SecurityGroup"}
        await pilot.press("enter", "escape")
        await pilot.pause()
        assert len(screen._shown) == everything
        assert screen.query_one("#fnd-filter", Input).value == ""


async def test_facets_narrow_to_critical(sim_url: str) -> None:
    app = make_app(sim_settings(sim_url, read_only=True), clock=frozen_clock)
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await open_findings(pilot)
        await pilot.press("f")
        await pilot.pause()
        facets = app.screen
        assert isinstance(facets, FacetScreen)
        facets.toggle("severity", "CRITICAL")
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, FindingsScreen)
        assert screen._shown and {f.severity for f in screen._shown} == {"CRITICAL"}
        view = plain(screen.query_one("#fnd-view"))
        assert "CRITICAL" in view
        await pilot.press("f")
        await pilot.pause()
        await pilot.press("d", "enter")
        await pilot.pause()
        assert len({f.severity for f in screen._shown}) > 1


async def test_grouping_by_resource_and_drilling_in(sim_url: str) -> None:
    app = make_app(sim_settings(sim_url, read_only=True), clock=frozen_clock)
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await open_findings(pilot)
        await pilot.press("v")
        await pilot.pause()
        assert screen.grouped
        groups = screen._groups
        assert groups and sum(g.count for g in groups) == len(screen._shown)
        busiest = max(groups, key=lambda g: g.count)
        assert busiest.count >= 3
        table = screen.query_one(VirtualTable)
        assert table.move_cursor_to_key(f"{busiest.resource_type}\x00{busiest.resource_id}")
        await pilot.press("enter")
        await pilot.pause()
        assert not screen.grouped
        assert len(screen._shown) == busiest.count
        assert {f.resource_id for f in screen._shown} == {busiest.resource_id}
        await pilot.press("escape")
        await pilot.pause()
        assert screen.grouped and screen.flt.resource is None


async def test_selecting_and_read_only_workflow_refusal(sim_url: str) -> None:
    app = make_app(sim_settings(sim_url, read_only=True), clock=frozen_clock)
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await open_findings(pilot)
        await pilot.press("space", "space")
        await pilot.pause()
        assert len(screen.selected) == 2
        await pilot.press("a")
        await pilot.pause()
        assert len(screen.selected) == len(screen._shown)
        before = app.factory.calls["securityhub:BatchUpdateFindings"]
        await pilot.press("S")
        await pilot.pause()
        note = app.screen
        assert isinstance(note, NoteScreen)
        await pilot.press(*"accepted risk", "enter")
        await pilot.pause()
        assert isinstance(app.screen, NoteScreen)
        assert "Read-only" in plain(note.query_one("#refusal", Static))
        calls = plain(note.query_one("#calls", Static))
        assert "batch-update-findings" in calls and "SUPPRESSED" in calls
        # the preview is the command that does the same when pasted: the console's endpoint included
        assert calls.startswith("$ aws securityhub batch-update-findings ")
        assert f" --region us-east-1 --endpoint-url {sim_url}" in calls
        await pilot.press("escape")
        await pilot.pause()
        assert app.factory.calls["securityhub:BatchUpdateFindings"] == before


async def test_remediation_shows_its_calls_and_cancel_changes_nothing(sim_url: str) -> None:
    app = make_app(sim_settings(sim_url), clock=frozen_clock)
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await open_findings(pilot)
        await pilot.press("slash", *"ec2.13")
        await pilot.pause()
        target = next(f for f in screen._shown if f.account_id == ACCOUNT)
        assert screen.query_one(VirtualTable).move_cursor_to_key(f"{target.product_arn}\x00{target.id}")
        await pilot.press("enter", "X")
        await settle(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        confirm = app.screen
        assert isinstance(confirm, ConfirmScreen)
        clis = [call.cli() for call in confirm.plan.calls]
        assert any("revoke-security-group-ingress" in c and "0.0.0.0/0" in c for c in clis)
        before = app.factory.calls["ec2:RevokeSecurityGroupIngress"]
        await pilot.press("n")
        await pilot.pause()
        assert app.factory.calls["ec2:RevokeSecurityGroupIngress"] == before


# ---- changes, in a region of their own ----------------------------------------------------


def _finding(
    index: int, control: str, resource: dict[str, Any], *, severity: str = "HIGH", title: str = ""
) -> dict[str, Any]:
    product = f"arn:aws:securityhub:{OWN_REGION}::product/aws/securityhub"
    return {
        "SchemaVersion": "2018-10-08",
        "Id": f"arn:aws:securityhub:{OWN_REGION}:{ACCOUNT}:security-control/{control}/finding/pilot-{index}",
        "ProductArn": product,
        "ProductName": "Security Hub",
        "GeneratorId": f"security-control/{control}",
        "AwsAccountId": ACCOUNT,
        "Types": ["Software and Configuration Checks/Industry and Regulatory Standards"],
        "CreatedAt": asff_time(FROZEN),
        "UpdatedAt": asff_time(FROZEN),
        "FirstObservedAt": asff_time(FROZEN),
        "Severity": {"Label": severity},
        "Title": title or f"{control} pilot finding {index}",
        "Description": "A finding of the pilot tests.",
        "Resources": [resource],
        "Compliance": {"Status": "FAILED", "SecurityControlId": control},
        "RecordState": "ACTIVE",
        "Workflow": {"Status": "NEW"},
    }


@pytest.fixture(scope="module")
def own(sim_url: str) -> dict[str, Any]:
    import boto3

    def client(service: str) -> Any:
        return boto3.client(
            service,
            region_name=OWN_REGION,
            endpoint_url=sim_url,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )

    ec2 = client("ec2")
    hub = client("securityhub")
    hub.enable_security_hub(EnableDefaultStandards=True)
    vpc = ec2.create_vpc(CidrBlock="10.40.0.0/16")["Vpc"]["VpcId"]
    group = ec2.create_security_group(GroupName="pilot-open-ssh", Description="pilot", VpcId=vpc)["GroupId"]
    ec2.authorize_security_group_ingress(
        GroupId=group,
        IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}
        ],
    )
    resource = {
        "Type": "AwsEc2SecurityGroup",
        "Id": f"arn:aws:ec2:{OWN_REGION}:{ACCOUNT}:security-group/{group}",
        "Region": OWN_REGION,
    }
    findings = [_finding(0, "EC2.13", resource, title="pilot open ssh")]
    findings += [
        _finding(
            i, "EC2.8", {"Type": "AwsEc2Instance", "Id": f"i-{i:017x}", "Region": OWN_REGION}, severity="LOW"
        )
        for i in range(1, 13)
    ]
    assert hub.batch_import_findings(Findings=findings)["FailedCount"] == 0
    return {"ec2": ec2, "hub": hub, "group": group, "findings": findings}


def _workflow_of(hub: Any, finding_id: str) -> dict[str, Any]:
    (found,) = hub.get_findings(Filters={"Id": [{"Value": finding_id, "Comparison": "EQUALS"}]})["Findings"]
    return found


async def test_suppressing_a_batch_with_a_note(sim_url: str, own: dict[str, Any]) -> None:
    app = make_app(_own_settings(sim_url), clock=frozen_clock)
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await open_findings(pilot)
        await pilot.press("slash", *"ec2.8", "enter")
        await pilot.pause()
        assert len(screen._shown) == 12
        await pilot.press("a", "S")
        await pilot.pause()
        assert isinstance(app.screen, NoteScreen)
        await pilot.press(*"sandbox instances, accepted", "enter")
        await settle(pilot, lambda: not screen._shown)
        for finding in own["findings"][1:]:
            stored = _workflow_of(own["hub"], finding["Id"])
            assert stored["Workflow"]["Status"] == "SUPPRESSED"
            assert stored["Note"]["Text"] == "sandbox instances, accepted"
        records = [
            r for r in _audit() if r.get("operation") == "BatchUpdateFindings" and r["region"] == OWN_REGION
        ]
        assert records and records[-1]["outcome"] == "ok"


async def test_one_key_fix_closes_the_rule_and_resolves_the_finding(
    sim_url: str, own: dict[str, Any]
) -> None:
    app = make_app(_own_settings(sim_url), clock=frozen_clock)
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await open_findings(pilot)
        await pilot.press("slash", *"pilot open ssh", "enter")
        await pilot.pause()
        (target,) = screen._shown
        await pilot.press("X")
        await settle(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await settle(
            pilot, lambda: _workflow_of(own["hub"], target.id)["Workflow"]["Status"] == "RESOLVED", within=30
        )
        rules = own["ec2"].describe_security_groups(GroupIds=[own["group"]])["SecurityGroups"][0][
            "IpPermissions"
        ]
        assert not any(r.get("FromPort") == 22 for r in rules)
        note = _workflow_of(own["hub"], target.id)["Note"]["Text"]
        assert "sg-world-admin-ports" in note
        await settle(pilot, lambda: not screen._shown)


def _own_settings(sim_url: str) -> Any:
    from tui.aws.clients import AwsTarget

    target = AwsTarget(
        regions=(OWN_REGION,), endpoint_url=sim_url, access_key="testing", secret_key="testing"
    )
    return sim_settings(sim_url, target=target)
