"""The Limits pane driven with keys against the simulator's payments fleet."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from tests.helpers import frozen_clock, open_limits, settle, sim_app, sim_settings
from tui.app import WarroomApp, make_app
from tui.aws.clients import ClientFactory
from tui.aws.limits import InstanceView, LimitsSnapshot
from tui.aws.limits_math import InstanceLimits
from tui.screens.instance import InstanceScreen
from tui.screens.limits import LimitsScreen
from tui.screens.limits_format import summary
from widgets.vtable import VirtualTable


def _keys(screen: LimitsScreen) -> list[str]:
    return [row.key for row in screen.query_one(VirtualTable).rows]


def _app(url: str, **overrides: Any) -> WarroomApp:
    return make_app(sim_settings(url, **overrides), clock=frozen_clock)


async def test_every_instance_is_listed_busiest_first(sim_url: str) -> None:
    app = _app(sim_url)
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await open_limits(pilot)
        snapshot = screen.snapshot
        assert snapshot is not None and snapshot.error is None
        names = {i.name for i in snapshot.instances}
        assert {"payments-db-1", "ledger-1", "ingest-1", "batch-reports-1"} <= names
        assert len(_keys(screen)) == len(snapshot.instances) == 11
        utils = [i.utilization for i in snapshot.instances if i.utilization is not None]
        assert utils == sorted(utils, reverse=True)
        # One instance has basic monitoring: the longest period, and the others' one minute.
        assert snapshot.period_s == 300 and snapshot.periods == {60: 9, 300: 1}
        db = next(i for i in snapshot.instances if i.name == "payments-db-1")
        data = next(v for v in db.volumes if v.device == "/dev/sdf")
        assert data.capped_by == "instance"
        assert data.mibps_capped_by == "instance"
        assert data.utilization is not None and data.utilization > 0.3
        stopped = next(i for i in snapshot.instances if i.name == "batch-reports-1")
        assert stopped.utilization is None and "not running" in stopped.reasons[0]
        quota = snapshot.quotas[0]
        assert quota.code == "L-1216C47A" and quota.value == 640 and quota.usage is not None
        # No seeded volume moves to st1 for less: the settlement spool's 500 GiB gp3 ($45 a month)
        # would need about 4 TiB of st1 to sustain its average 150 MiB/s.
        assert {h.kind for h in snapshot.hints} >= {"unattached", "gp2-to-gp3", "io-to-gp3", "idle"}


async def test_filter_sort_and_clear(sim_url: str) -> None:
    app = _app(sim_url)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_limits(pilot)
        everything = _keys(screen)
        await pilot.press("slash", *"SETTLEMENT")
        await pilot.pause()
        shown = _keys(screen)
        assert screen.snapshot is not None
        names = {i.instance_id: i.name for i in screen.snapshot.instances}
        assert {names[k] for k in shown} == {"settlement-worker-1", "settlement-worker-2"}
        await pilot.press("escape")
        await pilot.pause()
        assert sorted(_keys(screen)) == sorted(everything)
        await pilot.press("slash", *"Role=database")
        await pilot.pause()
        assert {names[k] for k in _keys(screen)} == {"payments-db-1", "ledger-1"}
        await pilot.press("enter", "escape")
        await pilot.pause()
        await pilot.press("s", "s", "s")  # busiest, network, EBS, then by name
        await pilot.pause()
        ordered = [names[k] for k in _keys(screen)]
        assert ordered == sorted(ordered)
        await pilot.press("slash", *"no-such-box")
        await pilot.pause()
        table = screen.query_one(VirtualTable)
        assert _keys(screen) == [] and "no-such-box" in table.empty_text


async def test_enter_opens_the_instance_and_esc_returns(sim_url: str) -> None:
    app = _app(sim_url)
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await open_limits(pilot)
        assert screen.snapshot is not None
        db = next(i for i in screen.snapshot.instances if i.name == "payments-db-1")
        table = screen.query_one(VirtualTable)
        assert table.move_cursor_to_key(db.instance_id)
        await pilot.press("enter")
        await pilot.pause()
        detail = app.screen
        assert isinstance(detail, InstanceScreen) and detail.view is not None
        assert detail.view.instance_id == db.instance_id
        title = str(detail.query_one("#inst-title").render())
        # m5.xlarge is a Nitro type: its EBS gauges read its own AWS/EC2 EBS* metrics.
        assert "1-min data (detailed monitoring), EBS from AWS/EC2 EBS*" in title
        volumes = detail.query_one("#inst-volumes", VirtualTable)
        assert {row.key for row in volumes.rows} == {v.volume_id for v in db.volumes}
        waited = 0.0
        while detail.history is None and waited < 10:
            await pilot.pause(0.1)
            waited += 0.1
        assert detail.history is not None
        assert detail.history.net_in_mbps, "three hours of network history for the charts"
        assert any(v.iops for v in detail.history.volumes.values())
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, LimitsScreen)


async def test_a_denied_api_is_shown_in_the_pane(sim_url: str) -> None:
    settings = sim_settings(sim_url)
    factory = ClientFactory(settings.target)
    ec2 = await factory.client("ec2", "us-east-1")

    def deny(**_: Any) -> None:
        raise ClientError(
            {"Error": {"Code": "UnauthorizedOperation", "Message": "not allowed to DescribeVolumes"}},
            "DescribeVolumes",
        )

    ec2.meta.events.register("before-call.ec2.DescribeVolumes", deny)
    app = make_app(settings, factory=factory, clock=frozen_clock)
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await open_limits(pilot)
        snapshot = screen.snapshot
        assert snapshot is not None and snapshot.instances
        assert any(e.api == "ec2:DescribeVolumes" for e in snapshot.errors)
        errors = str(screen.query_one("#limits-errors").render())
        assert "ec2:DescribeVolumes" in errors
        assert all(i.volumes == () for i in snapshot.instances)


async def test_metrics_and_quota_denied_show_unknown_with_the_reason(sim_url: str) -> None:
    settings = sim_settings(sim_url)
    factory = ClientFactory(settings.target)
    cloudwatch = await factory.client("cloudwatch", "us-east-1")

    def deny_metrics(**_: Any) -> None:
        raise ClientError({"Error": {"Code": "AccessDenied", "Message": "no GetMetricData"}}, "GetMetricData")

    cloudwatch.meta.events.register("before-call.cloudwatch.GetMetricData", deny_metrics)
    quotas = await factory.client("service-quotas", "us-east-1")

    def deny_quota(**_: Any) -> None:
        raise ClientError({"Error": {"Code": "AccessDeniedException", "Message": "no"}}, "GetServiceQuota")

    quotas.meta.events.register("before-call.service-quotas.GetServiceQuota", deny_quota)
    app = make_app(settings, factory=factory, clock=frozen_clock)
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await open_limits(pilot)
        snapshot = screen.snapshot
        assert snapshot is not None and snapshot.error is None
        assert {e.api for e in snapshot.errors} >= {"cloudwatch:GetMetricData"}
        running = [i for i in snapshot.instances if i.state == "running"]
        assert running and all(i.utilization is None and i.net_in_mbps is None for i in running)
        assert all(any("metrics unavailable" in r for r in i.reasons) for i in running)
        quota = snapshot.quotas[0]
        assert quota.value is None and quota.problem
        strip = str(screen.query_one("#limits-quota").render())
        assert "unavailable" in strip
        errors = str(screen.query_one("#limits-errors").render())
        assert "cloudwatch:GetMetricData" in errors
        rows = screen.query_one(VirtualTable).rows
        db = next(i for i in running if i.name == "payments-db-1")
        row = next(r for r in rows if r.key == db.instance_id)
        assert any(
            "?" in "".join(text for text, _ in cell) for cell in row.cells if not isinstance(cell, str)
        )
        screen.query_one(VirtualTable).move_cursor_to_key(db.instance_id)
        await pilot.press("enter")
        await pilot.pause()
        detail = app.screen
        assert isinstance(detail, InstanceScreen)
        notes = str(detail.query_one("#inst-notes").render())
        assert "metrics unavailable" in notes


def test_the_summary_names_each_monitoring_period() -> None:
    def view(iid: str, period: int) -> InstanceView:
        return InstanceView("us-east-1", iid, iid, "m5.large", "running", (), period, InstanceLimits())

    now = datetime(2026, 1, 1, tzinfo=UTC)
    views = (view("i-1", 60), view("i-2", 60), view("i-3", 300))
    mixed = LimitsSnapshot(now, 300, instances=views, periods={60: 2, 300: 1})
    line = summary(mixed, 3)
    assert "1-min data x2, 5-min data (basic monitoring) x1" in line
    basic = LimitsSnapshot(now, 300, instances=views[2:], periods={300: 1})
    assert "5-min data (basic monitoring)" in summary(basic, 1)
    assert views[2].monitoring == "5-min data (basic monitoring)"


async def test_the_instance_view_follows_the_limits_feed_only_while_it_is_open(sim_url: str) -> None:
    app = sim_app(sim_url)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_limits(pilot)
        feed = app.feeds["limits"]
        before = len(feed._subscribers)
        await pilot.press("enter")
        await settle(pilot, lambda: isinstance(app.screen, InstanceScreen))
        screen = app.screen
        assert isinstance(screen, InstanceScreen)
        assert len(feed._subscribers) == before + 1
        history = screen.history_feed
        assert history is not None
        await settle(pilot, lambda: history.state.snapshot is not None)
        await pilot.press("escape")
        await settle(pilot, lambda: not isinstance(app.screen, InstanceScreen))
        await settle(pilot, lambda: len(feed._subscribers) == before and not history.started)


async def test_a_first_poll_shows_the_fleet_then_its_latest_minutes_then_the_hour(sim_url: str) -> None:
    import dataclasses

    from textual.widgets import Static

    from tui.aws.limits import READING

    app = _app(sim_url)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_limits(pilot)
        whole = screen.snapshot
        assert whole is not None

        def line() -> str:
            return str(screen.query_one("#limits-summary", Static).render())

        listed = dataclasses.replace(
            whole,
            loading=True,
            queries=0,
            instances=tuple(
                dataclasses.replace(
                    i, reasons=(READING,), utilization=None, level="unknown", net_utilization=None
                )
                for i in whole.instances
            ),
        )
        screen.snapshot = None
        screen.show_partial(listed)
        await pilot.pause()
        assert "reading the latest minutes…" in line()
        assert len(_keys(screen)) == len(whole.instances), "every instance listed at once"
        latest = dataclasses.replace(whole, loading=True)
        screen.show_partial(latest)
        await pilot.pause()
        assert "reading the last hour…" in line() and "latest minutes" not in line()
        screen.snapshot = whole
        screen.show(whole)
        await pilot.pause()
        assert "reading" not in line()
        # The cursor, left at the top while the gauges were unknown, is on the busiest instance.
        table = screen.query_one(VirtualTable)
        assert table.cursor_index == 0 and table.cursor_key == _keys(screen)[0]
        # Later, a poll lists the same fleet while reading: the whole snapshot stays on screen; a
        # poll whose places grew (the organization's accounts, learned after a first poll) shows
        # the larger fleet at once.
        screen.show_partial(listed)
        await pilot.pause()
        assert "reading" not in line()
        extra = dataclasses.replace(listed.instances[0], instance_id="i-0123456789abcdef0")
        grown = dataclasses.replace(listed, instances=(*listed.instances, extra))
        screen.show_partial(grown)
        await pilot.pause()
        assert "reading the latest minutes…" in line()
        assert len(_keys(screen)) == len(whole.instances) + 1
