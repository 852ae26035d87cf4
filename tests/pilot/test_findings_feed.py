"""One GetFindings stream for the whole console: the Overview's Security Hub card reads the Findings
feed (never Security Hub), says how far the first load has got, and then counts what the Findings pane
shows; the pane is usable from the first page of that load, the most severe findings first."""

from __future__ import annotations

import asyncio
import math
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.helpers import settle
from tui.app import WarroomApp, make_app
from tui.aws.clients import AwsTarget, ClientFactory
from tui.aws.findings_model import FindingFilter, apply_filter
from tui.screens.findings import FindingsScreen
from tui.screens.overview import OverviewScreen
from tui.settings import Settings
from tui.sim.findings_bulk import synthetic_findings
from tui.sim.workload import import_findings
from widgets.card import Card

REGION = "eu-central-2"
COUNT = 1_000


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
    refused = import_findings(
        client, synthetic_findings(COUNT, seed=41, now=datetime.now(UTC), region=REGION)
    )
    assert not refused
    return client


def card_rows(app: WarroomApp) -> dict[str, str]:
    return dict(app.screen.query_one(f"#card-{REGION}-findings", Card).rows)


async def test_the_overview_reads_the_findings_feed_and_the_pane_works_from_the_first_page(
    sim_url: str, hub: Any
) -> None:
    target = AwsTarget(regions=(REGION,), endpoint_url=sim_url, access_key="testing", secret_key="testing")
    factory = ClientFactory(target)
    # Hold every GetFindings after the first, so the first load stops after its first page.
    release = asyncio.Event()
    held = 0

    async def hold(**_: Any) -> None:
        nonlocal held
        held += 1
        if held > 1:
            await release.wait()

    client = await factory.client("securityhub", REGION)
    client.meta.events.register("before-call.securityhub.GetFindings", hold)
    app = make_app(Settings(target=target, demo=True), factory=factory)
    async with app.run_test(size=(120, 40)) as pilot:
        assert isinstance(app.screen, OverviewScreen)
        # The Findings feed runs for the Overview's card, though its pane was never opened.
        await settle(pilot, lambda: card_rows(app).get("loading findings…") == "100 so far")
        await pilot.press("4")
        await settle(pilot, lambda: isinstance(app.screen, FindingsScreen) and bool(app.screen._shown))
        pane = app.screen
        assert isinstance(pane, FindingsScreen) and pane.snapshot is not None and pane.snapshot.loading
        assert pane.snapshot.total == 100
        assert pane._shown[0].severity == "CRITICAL"
        assert "loading" in str(pane.query_one("#fnd-scores").render())
        release.set()
        await settle(pilot, lambda: pane.snapshot is not None and not pane.snapshot.loading, within=60)
        snapshot = app.feeds["findings"].state.snapshot
        open_ = apply_filter(snapshot.findings, FindingFilter())
        assert len(pane._shown) == len(open_)
        await pilot.press("1")
        await settle(pilot, lambda: isinstance(app.screen, OverviewScreen))
        await settle(pilot, lambda: "total" in card_rows(app))
        rows = card_rows(app)
        assert rows["total"] == f"{len(open_):,}"
        assert rows["critical"] == f"{sum(1 for f in open_ if f.severity == 'CRITICAL'):,}"
        # Every GetFindings so far was the Findings feed's first load, at the floor: none the Overview's.
        active = sum(1 for f in snapshot.findings if f.record_state == "ACTIVE")
        assert factory.calls["securityhub:GetFindings"] == held == math.ceil(active / 100) == snapshot.pages
