"""How the Alarms pane and an alarm's view look at the frozen moment, on alarms as AWS answers for them
(``tests.alarms_aws``: metric, metric-math and composite alarms, a history, three hours of metrics),
which moto cannot serve: every state with its symbol and word, one alarm muted by this console (the
header's reminder), and the scale-up alarm's chart with its threshold and breaching periods."""

from __future__ import annotations

from typing import Any

import pytest
from textual.pilot import Pilot

from tests.alarms_aws import (
    STREAM,
    FakeCloudWatch,
    FakeFactory,
    ago,
    composite_alarm,
    history_entry,
    metric_alarm,
    scale_up_alarm,
    scale_up_series,
)
from tests.frozen import FROZEN
from tests.helpers import frozen_clock, settle, sim_app
from tui.aws.alarms import AlarmsPoller
from tui.screens.alarm import AlarmScreen
from tui.screens.alarms import AlarmsScreen
from widgets.header import HeaderBar
from widgets.vtable import VirtualTable

LEDGER = "payments-ledger-writer errors"
SCALE_UP = f"{STREAM} scale up"


def cloudwatch() -> FakeCloudWatch:
    return FakeCloudWatch(
        metric_alarms=[
            metric_alarm("payments-db-1 CPU high", "ALARM", updated=ago(3)),
            scale_up_alarm("ALARM", updated=ago(12)),
            metric_alarm(
                f"{STREAM} iterator age 50% of retention",
                "INSUFFICIENT_DATA",
                updated=ago(45),
                Namespace="AWS/Kinesis",
                MetricName="GetRecords.IteratorAgeMilliseconds",
                Statistic="Maximum",
                Dimensions=[{"Name": "StreamName", "Value": STREAM}],
                Period=60,
                EvaluationPeriods=5,
                DatapointsToAlarm=3,
                Threshold=43_200_000.0,
                TreatMissingData="missing",
                StateReason="Insufficient Data: 5 datapoints were unknown.",
            ),
            metric_alarm(
                LEDGER,
                "OK",
                updated=ago(130),
                ActionsEnabled=False,
                Namespace="AWS/Lambda",
                MetricName="Errors",
                Statistic="Sum",
                Dimensions=[{"Name": "FunctionName", "Value": "payments-ledger-writer"}],
                Period=60,
                Threshold=5.0,
                StateReason="Threshold Crossed: no datapoints were received for 3 periods and 3 missing "
                "datapoints were treated as [NonBreaching].",
            ),
            metric_alarm(
                "vol-0a1b2c3d4e5f60718 burst balance low",
                "OK",
                updated=ago(600),
                Namespace="AWS/EBS",
                MetricName="BurstBalance",
                Statistic="Minimum",
                Dimensions=[{"Name": "VolumeId", "Value": "vol-0a1b2c3d4e5f60718"}],
                Threshold=20.0,
                ComparisonOperator="LessThanThreshold",
            ),
        ],
        composite_alarms=[composite_alarm("ALARM", updated=ago(10))],
        history={
            SCALE_UP: [
                history_entry(
                    SCALE_UP, ago(12), "OK", "ALARM", "Threshold Crossed: 5 out of the last 5 datapoints"
                ),
                history_entry(SCALE_UP, ago(95), "INSUFFICIENT_DATA", "OK", "Threshold Crossed: 0 of 5"),
            ]
        },
        series=scale_up_series(),
    )


@pytest.fixture(autouse=True)
def fixed_alarms(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every Alarms poller of the console answers from the fixed alarms, at the frozen moment."""
    fake = AlarmsPoller(FakeFactory(cloudwatch()), clock=frozen_clock)  # type: ignore[arg-type]
    poll, detail = AlarmsPoller.poll, AlarmsPoller.detail

    async def fixed_poll(self: AlarmsPoller, answered: Any = None) -> Any:
        return await poll(fake)

    async def fixed_detail(self: AlarmsPoller, alarm: Any, **kwargs: Any) -> Any:
        return await detail(fake, alarm, **kwargs)

    monkeypatch.setattr(AlarmsPoller, "poll", fixed_poll)
    monkeypatch.setattr(AlarmsPoller, "detail", fixed_detail)


async def _ready(pilot: Pilot[Any]) -> None:
    await pilot.press("0")
    await settle(
        pilot,
        lambda: isinstance(pilot.app.screen, AlarmsScreen) and pilot.app.screen.snapshot is not None,
        what="the Alarms pane to show its poll",
    )
    screen: Any = pilot.app.screen
    ledger = next(a for a in screen.snapshot.alarms if a.name == LEDGER)
    # This console muted the ledger alarm: the header counts its time.
    pilot.app.mutes.add([ledger], "GD-12 rehearsal", 1800, FROZEN)  # type: ignore[attr-defined]
    screen._fill()
    await settle(pilot, lambda: getattr(pilot.app, "account", ""), what="the header to know the account")
    header = pilot.app.screen.query_one(HeaderBar)
    await settle(pilot, lambda: header.muted == "⊘ 1 alarm muted 30:00 left", what="the header's reminder")
    # The alarms firing when the console starts are journaled; their toasts would hide the pane.
    pilot.app.clear_notifications()
    await pilot.pause()


@pytest.mark.parametrize("size", [(80, 24), (160, 48)], ids=["80x24", "160x48"])
def test_alarms(snap_compare: Any, sim_url: str, size: tuple[int, int]) -> None:
    assert snap_compare(sim_app(sim_url), terminal_size=size, run_before=_ready)


def test_alarm_view(snap_compare: Any, sim_url: str) -> None:
    async def opened(pilot: Pilot[Any]) -> None:
        await _ready(pilot)
        screen: Any = pilot.app.screen
        scale_up = next(a for a in screen.snapshot.alarms if a.name == SCALE_UP)
        screen.query_one(VirtualTable).move_cursor_to_key(scale_up.key)
        await pilot.press("enter")
        await settle(
            pilot,
            lambda: isinstance(pilot.app.screen, AlarmScreen) and pilot.app.screen.detail is not None,
            what="the alarm's chart and history",
        )
        pilot.app.clear_notifications()
        await pilot.pause()

    assert snap_compare(sim_app(sim_url), terminal_size=(80, 24), run_before=opened)


def test_mute_dialog_at_80x24(snap_compare: Any, sim_url: str) -> None:
    """The mute form with its exact call, refused until a reason is typed; its keys stay on screen."""
    from tests.snapshots.test_dialogs_80x24 import keys_on_screen
    from tui.screens.alarms_dialogs import PlanForm

    async def ask(pilot: Pilot[Any]) -> None:
        await _ready(pilot)
        await pilot.press("M")
        await settle(pilot, lambda: isinstance(pilot.app.screen, PlanForm), what="the mute form")
        await pilot.pause()
        keys_on_screen(pilot.app)

    assert snap_compare(sim_app(sim_url), terminal_size=(80, 24), run_before=ask)
