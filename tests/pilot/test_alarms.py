"""The Alarms pane driven with keys at 80x24: firing first, the filter and the facets, an alarm's view,
muting with a reason and a duration (the header reminds, the console offers to unmute when it ends,
quitting lists what is still muted), the jump to what an alarm watches, and read-only mode refusing.

The alarms are this module's own, in region eu-south-1 of the session simulator, put and set the way
AWS takes them; the console's clock is the test's, so a mute's time can run out at once.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Static

from tests.helpers import open_pane, settle, sim_settings
from tests.plain_moto import boto3_factory
from tui.app import WarroomApp, make_app
from tui.aws.clients import AwsTarget
from tui.common import paths
from tui.gameday import events as ev
from tui.screens.alarm import AlarmScreen
from tui.screens.alarms import AlarmsScreen
from tui.screens.alarms_dialogs import AlarmFacetScreen, MutedOnQuitScreen, PlanForm
from tui.screens.confirm import ConfirmScreen
from widgets.header import HeaderBar
from widgets.vtable import VirtualTable

REGION = "eu-south-1"
CPU, AGE, ERRORS = "pilot db CPU high", "pilot stream iterator age", "pilot ledger errors"
SIZE = (80, 24)
FILLERS = 16


class Clock:
    """The console's clock, moved by the test."""

    def __init__(self) -> None:
        self.at = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.at


@pytest.fixture(scope="module")
def alarms(sim_url: str) -> None:
    cw = boto3_factory(sim_url)("cloudwatch", REGION)
    topic = f"arn:aws:sns:{REGION}:123456789012:oncall"
    common: dict[str, Any] = {
        "Period": 300,
        "EvaluationPeriods": 3,
        "DatapointsToAlarm": 2,
        "AlarmActions": [topic],
    }
    # More alarms than the list shows at 80x24, all quiet, so the list can scroll.
    for n in range(FILLERS):
        name = f"pilot quiet {n:02d}"
        cw.put_metric_alarm(
            AlarmName=name, Namespace="AWS/EC2", MetricName="StatusCheckFailed", Statistic="Maximum",
            Dimensions=[{"Name": "InstanceId", "Value": f"i-0quiet{n:012d}"}], Threshold=1.0,
            ComparisonOperator="GreaterThanOrEqualToThreshold", **common,
        )  # fmt: skip
        cw.set_alarm_state(AlarmName=name, StateValue="OK", StateReason="Threshold Crossed: all checks pass")
    cw.put_metric_alarm(
        AlarmName=CPU, Namespace="AWS/EC2", MetricName="CPUUtilization", Statistic="Average",
        Dimensions=[{"Name": "InstanceId", "Value": "i-0pilot000000000001"}], Threshold=80.0,
        ComparisonOperator="GreaterThanOrEqualToThreshold", **common,
    )  # fmt: skip
    cw.put_metric_alarm(
        AlarmName=AGE, Namespace="AWS/Kinesis", MetricName="GetRecords.IteratorAgeMilliseconds",
        Statistic="Maximum", Dimensions=[{"Name": "StreamName", "Value": "pilot-orders"}],
        Threshold=43_200_000.0, ComparisonOperator="GreaterThanOrEqualToThreshold", **common,
    )  # fmt: skip
    cw.put_metric_alarm(
        AlarmName=ERRORS, Namespace="AWS/Lambda", MetricName="Errors", Statistic="Sum",
        Dimensions=[{"Name": "FunctionName", "Value": "pilot-ledger"}], Threshold=5.0,
        ComparisonOperator="GreaterThanOrEqualToThreshold", **common,
    )  # fmt: skip
    cw.set_alarm_state(
        AlarmName=CPU, StateValue="ALARM", StateReason="Threshold Crossed: 2 of 3 at 91.0 and 88.5"
    )
    cw.set_alarm_state(
        AlarmName=AGE, StateValue="INSUFFICIENT_DATA", StateReason="Insufficient Data: 3 unknown"
    )
    # AWS creates an alarm in INSUFFICIENT_DATA (moto in OK): this one is said OK either way.
    cw.set_alarm_state(AlarmName=ERRORS, StateValue="OK", StateReason="Threshold Crossed: no errors")
    cw.disable_alarm_actions(AlarmNames=[ERRORS])


def _app(sim_url: str, clock: Clock, **overrides: Any) -> WarroomApp:
    target = AwsTarget(regions=(REGION,), endpoint_url=sim_url, access_key="testing", secret_key="testing")
    return make_app(sim_settings(sim_url, target=target, **overrides), clock=clock)


def _names(screen: AlarmsScreen) -> list[str]:
    """The rows listed, by alarm name, the quiet fillers left out."""
    assert screen.snapshot is not None
    by_key = {a.key: a.name for a in screen.snapshot.alarms}
    names = [by_key[row.key] for row in screen.query_one(VirtualTable).rows]
    return [n for n in names if not n.startswith("pilot quiet")]


def _text(screen: Any, selector: str) -> str:
    return str(screen.query_one(selector, Static).render())


def _audit() -> list[dict[str, Any]]:
    path = paths.audit_file()
    return (
        [json.loads(line) for line in Path(path).read_text().splitlines() if line.strip()]
        if path.exists()
        else []
    )


async def _type(pilot: Pilot[Any], text: str) -> None:
    await pilot.press(*["space" if c == " " else c for c in text])


async def test_the_alarms_pane_lists_filters_opens_and_mutes_with_a_timer(sim_url: str, alarms: None) -> None:
    clock = Clock()
    app = _app(sim_url, clock)
    async with app.run_test(size=SIZE) as pilot:
        screen: AlarmsScreen = await open_pane(pilot, "0", AlarmsScreen)
        assert _names(screen) == [CPU, AGE, ERRORS], "ALARM first, then INSUFFICIENT_DATA, then OK"
        assert "✖ 1 in ALARM" in _text(screen, "#alarms-summary") and "⊘ 1 muted" in _text(
            screen, "#alarms-summary"
        )
        detail = _text(screen, "#alarms-detail")
        assert CPU in detail and "Threshold Crossed: 2 of 3 at 91.0 and 88.5" in detail
        assert "AWS/EC2 CPUUtilization InstanceId=i-0pilot000000000001 Average 5m ≥ 80 2 of 3" in detail

        # Filter as you type; Esc clears.
        await pilot.press("slash")
        await _type(pilot, "lambda")
        await pilot.pause()
        assert _names(screen) == [ERRORS]
        await pilot.press("escape")
        await pilot.pause()
        assert _names(screen) == [CPU, AGE, ERRORS]

        # The "muted" facet: only the muted alarm; Esc clears it.
        await pilot.press("f")
        await settle(pilot, lambda: isinstance(app.screen, AlarmFacetScreen), what="the facets dialog")
        await pilot.press("down", "down", "down", "space", "enter")
        await pilot.pause()
        assert _names(screen) == [ERRORS] and "muted" in _text(screen, "#alarms-summary")
        await pilot.press("escape")
        await pilot.pause()
        assert _names(screen) == [CPU, AGE, ERRORS]

        # Enter opens the alarm: its condition, reason, and what it watches.
        screen.query_one(VirtualTable).move_cursor_to_key(screen.snapshot.alarms[0].key)  # type: ignore[union-attr]
        await pilot.press("enter")
        await settle(pilot, lambda: isinstance(app.screen, AlarmScreen) and app.screen.detail is not None)
        view = app.screen
        assert CPU in _text(view, "#al-title") and "ALARM" in _text(view, "#al-title")
        assert "watches instance i-0pilot000000000001 (w: Limits)" in _text(view, "#al-info")
        assert "last 3 h · threshold 80" in _text(view, "#al-chart-status")
        assert f"on ALARM: arn:aws:sns:{REGION}:123456789012:oncall" in _text(view, "#al-more-text")
        await pilot.press("escape")
        await pilot.pause()

        # Mute: a reason is required, then the exact call runs.
        await pilot.press("M")
        await settle(pilot, lambda: isinstance(app.screen, PlanForm), what="the mute form")
        form = app.screen
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is form and "a reason is required" in _text(form, "#refusal")
        assert "disable-alarm-actions --alarm-names 'pilot db CPU high'" in _text(form, "#calls")
        await _type(pilot, "pilot rehearsal")
        await pilot.press("enter")
        await settle(pilot, lambda: app.factory.calls["cloudwatch:DisableAlarmActions"] == 1)
        await settle(pilot, lambda: app.mutes.reminder(clock()) != "")
        header = app.screen.query_one(HeaderBar)
        await settle(pilot, lambda: header.muted == "⊘ 1 alarm muted 30:00 left", what=f"{header.muted!r}")
        mute = next(
            r for r in _audit() if r.get("operation") == "DisableAlarmActions" and r["outcome"] == "ok"
        )
        assert mute["plan_title"] == f"Mute {CPU} for 30m: pilot rehearsal" and mute["region"] == REGION
        assert app.gameday is not None
        journaled = [e for e in app.gameday.journal.events if e.kind == ev.ACTION and CPU in e.text]
        assert journaled and "DisableAlarmActions" in journaled[-1].text

        # The time is up: the console offers to unmute, once, with the exact call.
        clock.at += timedelta(minutes=31)
        await settle(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="the unmute offer")
        offer = app.screen
        assert isinstance(offer, ConfirmScreen)
        assert [c.operation for c in offer.plan.calls] == ["EnableAlarmActions"]
        assert "Their mute ended (pilot rehearsal)" in offer.plan.why
        await pilot.press("y")
        await settle(pilot, lambda: app.factory.calls["cloudwatch:EnableAlarmActions"] == 1)
        await settle(pilot, lambda: not len(app.mutes) and header.muted == "")

        # What an alarm watches: w goes to its pane (the instance is not in this region's Limits).
        await settle(pilot, lambda: isinstance(app.screen, AlarmsScreen))
        screen.query_one(VirtualTable).move_cursor_to_key(screen.snapshot.alarms[0].key)  # type: ignore[union-attr]
        await pilot.press("w")
        await settle(pilot, lambda: app.current_mode == "limits", what="the Limits pane")

        # Quitting with an alarm still muted lists it first; n stays.
        alarm = next(a for a in screen.snapshot.alarms if a.name == AGE)  # type: ignore[union-attr]
        app.mutes.add([alarm], "left muted", 600, clock())
        await pilot.press("q")
        await settle(pilot, lambda: isinstance(app.screen, MutedOnQuitScreen), what="the quit list")
        quitting = app.screen
        assert isinstance(quitting, MutedOnQuitScreen) and [m.name for m in quitting.mutes] == [AGE]
        assert quitting.prompt() == "u unmute them and quit · y quit, leave them muted · n or Esc stay"
        await pilot.press("n")
        await pilot.pause()
        assert app.is_running and not isinstance(app.screen, MutedOnQuitScreen)
        app.mutes.remove([alarm.key])

        # An alarm that fires sorts to the top: the cursor stays on its alarm, the top comes into view.
        table = screen.query_one(VirtualTable)
        cpu = next(a.key for a in screen.snapshot.alarms if a.name == CPU)  # type: ignore[union-attr]
        table.move_cursor_to_key(cpu)
        boto3_factory(sim_url)("cloudwatch", REGION).set_alarm_state(
            AlarmName=AGE, StateValue="ALARM", StateReason="Threshold Crossed: the pilot says so"
        )
        screen.feed.poll_now()
        await settle(pilot, lambda: _names(screen)[:2] == [AGE, CPU], what="the new alarm on top")
        assert table.cursor_key == cpu and table.cursor_index == 1
        assert table.body.scroll_offset.y == 0 and len(table.rows) > table.body.size.height


async def test_read_only_mode_refuses_a_mute_and_calls_nothing(sim_url: str, alarms: None) -> None:
    app = _app(sim_url, Clock(), read_only=True)
    async with app.run_test(size=SIZE) as pilot:
        await open_pane(pilot, "0", AlarmsScreen)
        await pilot.press("M")
        await settle(pilot, lambda: isinstance(app.screen, PlanForm), what="the mute form")
        form = app.screen
        assert "Read-only mode" in _text(form, "#refusal")
        await _type(pilot, "why not")
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is form, "nothing to confirm in read-only mode"
        await pilot.press("escape")
        await pilot.pause()
        assert app.factory.calls["cloudwatch:DisableAlarmActions"] == 0 and not len(app.mutes)
