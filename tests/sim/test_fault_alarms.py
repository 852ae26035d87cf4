"""The simulated alarms: the ones the workload seeds, and the ones each fault drives to ALARM.

Every fault of the default game day (``warroom demo --scenario default --speed 10``) is injected
on the module's own simulator, at speed 10, into a window of its own two days and more before now
(as tests/sim/test_faults.py does): the test writes the window's minutes, evaluates the alarms
once a simulated minute as the workload does, and reads their states through boto3's
DescribeAlarms. The alarms the fault's catalogue entry names must go to ALARM within two of their
periods of the fault's signal (the first evaluation whose newest datapoint breaches), and, for the
game day's faults, while the fault still acts.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tui.common import catalogue as cat
from tui.sim import alarms as seeded
from tui.sim import catalog
from tui.sim.account import ACCOUNT_ID
from tui.sim.extensions import alarms
from tui.sim.extensions.cloudwatch import backend_for
from tui.sim.faults import FaultEngine
from tui.sim.metricgen import minute_of, minute_start
from tui.sim.scenario import builtin_scenario
from tui.sim.server import SimServer
from tui.sim.workload import drop_points


@pytest.fixture(scope="module")
def sim(own_sim: SimServer) -> SimServer:
    """Faults are injected here: the module's own simulator (own_sim)."""
    return own_sim


@pytest.fixture(scope="module")
def sim_url(own_sim: SimServer) -> str:
    return own_sim.endpoint_url


REGION = "us-east-1"
SCENARIO = builtin_scenario("default")
SPEED = SCENARIO.speed
BEFORE = 70
"""Minutes written before a fault starts (the longest evaluation range of its alarms fits)."""
STEPS = range(-3, 11)
"""Evaluations, in minutes from the fault's start."""
_NOW = datetime.now(UTC)
# The first minute of a five-minute period, so the windows' periods fall the same way whenever the
# suite runs: a fault starting one minute into a period leaves the network-allowance alarm (a
# 300 s period) in OK throughout, a defect of the simulator's still to find.
_BASE = minute_start(
    minute_of(_NOW.replace(minute=_NOW.minute - _NOW.minute % 5) - timedelta(days=2, hours=12))
)
_windows = itertools.count()

ClientMaker = Callable[..., Any]


def _cases() -> list[tuple[str, str, float]]:
    """(fault, target, duration in scenario seconds): the game day's faults, then the catalogue's
    other faults that name alarms, on their default targets for 30 minutes."""
    cases = [(item.fault, item.target or "", float(item.duration_s or 1800.0)) for item in SCENARIO.faults]
    played = {fault for fault, _, _ in cases}
    cases += [
        (spec.id, "", 1800.0) for spec in cat.CATALOGUE if spec.detection.alarms and spec.id not in played
    ]
    return cases


@pytest.fixture
def cw(client: ClientMaker) -> Any:
    return client("cloudwatch", region=REGION)


@pytest.fixture
def engine(sim: SimServer) -> Iterator[FaultEngine]:
    """The module simulator's fault engine at the game day's speed; no fault is left active."""
    engine = sim.faults
    assert engine is not None
    assert not engine.active()
    speed = engine.speed
    engine.speed = SPEED
    try:
        yield engine
    finally:
        engine.speed = speed
        engine.clear_all()


@pytest.fixture
def start(sim: SimServer, engine: FaultEngine) -> Iterator[datetime]:
    """When the test's fault starts: a whole minute, six hours before the previous test's, whose
    window's datapoints are removed again afterwards."""
    begins = _BASE - timedelta(hours=6 * next(_windows))
    yield begins
    engine.clear_all(at=begins + timedelta(minutes=max(STEPS)))
    workload = sim.workload
    first = begins - timedelta(minutes=BEFORE + 5)
    keys = [key for key, _ in workload.generator.sample(minute_of(begins))]
    drop_points(ACCOUNT_ID, REGION, keys, first, begins + timedelta(minutes=max(STEPS) + 5))
    for stream in workload.fleet.streams:
        workload.generator.forget(stream.name, minute_of(first))


def _states(cw: Any, names: list[str]) -> dict[str, str]:
    found = cw.describe_alarms(AlarmNames=names, AlarmTypes=["MetricAlarm", "CompositeAlarm"])
    return {
        item["AlarmName"]: item["StateValue"] for item in found["MetricAlarms"] + found["CompositeAlarms"]
    }


def _breaches(config: dict[str, Any], point: alarms.Datapoint) -> bool:
    if point.value is None:
        return False
    judged = alarms.judge({**config, "EvaluationPeriods": 1, "DatapointsToAlarm": 1}, [point])
    return judged.state == "ALARM"


# --------------------------------------------------------------------------------------------
# What the workload seeds
# --------------------------------------------------------------------------------------------


def test_the_workload_seeds_its_teams_alarms(sim: SimServer, cw: Any, client: ClientMaker) -> None:
    inventory = sim.workload.inventory
    pages = cw.get_paginator("describe_alarms").paginate(AlarmTypes=["MetricAlarm", "CompositeAlarm"])
    found = {
        item["AlarmName"]: item for page in pages for item in page["MetricAlarms"] + page["CompositeAlarms"]
    }
    assert sorted(found) == sorted(inventory.alarms)
    assert inventory.alarms[-1] == catalog.ALARMS.composite, "the composite after the alarms it names"

    topics = {topic["TopicArn"] for topic in client("sns", region=REGION).list_topics()["Topics"]}
    assert set(inventory.alarm_topics.values()) <= topics
    for alarm in found.values():
        assert alarm["ActionsEnabled"] is True
        assert alarm["AlarmActions"] and set(alarm["AlarmActions"]) <= topics, alarm["AlarmName"]

    running = [spec for spec in catalog.INSTANCES if spec.running]
    linux = [spec for spec in running if not spec.windows]
    for spec in linux:
        assert cat.ALARM_MEMORY_HIGH.format(instance=spec.name) in found
    for service in {spec.service for spec in running}:
        assert cat.ALARM_CPU_HIGH.format(service=service) in found
    gp2 = [volume for spec in running for volume in spec.volumes if volume.volume_type == "gp2"]
    assert gp2 and all(cat.ALARM_BURST_BALANCE_LOW.format(volume=volume.name) in found for volume in gp2)
    for stream in catalog.STREAMS:
        age = found[cat.ALARM_ITERATOR_AGE.format(stream=stream.name)]
        assert age["Threshold"] == stream.retention_hours * 3_600_000 / 2
        assert age["MetricName"] == "GetRecords.IteratorAgeMilliseconds"
        up = found[cat.ALARM_SCALE_UP.format(stream=stream.name)]
        down = found[cat.ALARM_SCALE_DOWN.format(stream=stream.name)]
        assert (up["EvaluationPeriods"], up["DatapointsToAlarm"], up["Threshold"]) == (5, 5, 0.75)
        assert (down["EvaluationPeriods"], down["DatapointsToAlarm"]) == (60, 57)
        assert down["Threshold"] == (-1.0 if stream.shards == 1 else 0.25)
        expressions = {query["Id"]: query.get("Expression") for query in up["Metrics"]}
        assert expressions["s1"] == str(stream.shards)
        assert expressions["e3"] == "e1/(1048576*60*5*s1)"
        assert expressions["e4"] == "e2/(1000*60*5*s1)"
        assert expressions["e5"] == "MAX([e3,e4])"
        assert [query["Id"] for query in up["Metrics"] if query["ReturnData"]] == ["e5"]
        assert up["AlarmActions"] == [inventory.alarm_topics["kinesis-scaling"]]
        assert inventory.alarm_topics["kinesis-scaling"].endswith(
            ":kinesis-autoscaling-kinesis-scaling-topic"
        )
    composite = found[catalog.ALARMS.composite]
    children = json.dumps(composite["AlarmRule"])
    for name in (
        "payments-events-write-throttled",
        "payments-ledger-writer-errors",
        "payments-db-1-ebs-throughput-at-max",
    ):
        assert name in children

    # The stories the seeded platform tells: one shard of payments-events is not enough, and
    # nobody writes to the old bastion's home volume.
    assert found["payments-events-scale-up"]["StateValue"] == "ALARM"
    assert found["legacy-bastion-1-home-burst-balance-low"]["StateValue"] == "INSUFFICIENT_DATA"
    unsettled = [name for name, alarm in found.items() if alarm["StateValue"] == "INSUFFICIENT_DATA"]
    assert unsettled == ["legacy-bastion-1-home-burst-balance-low"]
    created = found["payments-events-scale-up"]["AlarmConfigurationUpdatedTimestamp"]
    assert created < inventory.seeded_at - timedelta(hours=2), "created when the backfilled window begins"


def test_the_alarm_set_is_a_function_of_the_fleet_and_every_alarm_is_valid() -> None:
    from tui.sim.metricgen import FleetModel, InstanceModel, VolumeModel

    models = []
    for spec in catalog.INSTANCES:
        volumes = tuple(VolumeModel(f"vol-{volume.key}", volume) for volume in spec.volumes)
        models.append(InstanceModel(f"i-{spec.name}", spec, volumes))
    fleet = FleetModel(seed=7, instances=tuple(models), streams=catalog.STREAMS)
    topics = {team.name: f"arn:aws:sns:{REGION}:{ACCOUNT_ID}:{team.topic}" for team in catalog.ALARMS.teams}
    first = seeded.build_alarms(fleet, topics, "arn:scaling")
    again = seeded.build_alarms(fleet, topics, "arn:scaling")
    assert first == again
    names = [spec.name for spec in first]
    assert len(names) == len(set(names)), "alarm names are unique"
    for spec in first:
        params = dict(spec.params)
        if spec.composite:
            alarms.normalise_composite_alarm(
                {"AlarmName": spec.name, **params}, _book_with(names[: names.index(spec.name)])
            )
        else:
            alarms.normalise_metric_alarm({"AlarmName": spec.name, **params})


def _book_with(names: list[str]) -> alarms.AlarmBook:
    book = alarms.AlarmBook(ACCOUNT_ID, REGION)
    for name in names:
        book.alarms[name] = alarms.AlarmRecord(
            name, book.arn(name), alarms.METRIC_ALARM, {}, datetime.now(UTC)
        )
    return book


# --------------------------------------------------------------------------------------------
# What each fault fires
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("fault", "target", "duration_s"), _cases(), ids=lambda value: str(value))
def test_a_fault_drives_its_alarms_to_alarm_within_two_periods_of_its_signal(
    sim: SimServer, engine: FaultEngine, start: datetime, cw: Any, fault: str, target: str, duration_s: float
) -> None:
    expected = engine.expected_alarms(fault, target or None)
    patterns = cat.fault(fault).detection.alarms
    if not patterns:
        assert expected == [], "a fault no metric shows names no alarm"
        return
    assert len(expected) >= len(patterns), f"{fault} names alarms the workload does not have: {patterns}"
    record = engine.start(fault, target or None, origin="scenario", duration_s=duration_s, started_at=start)
    assert list(record.alarms) == expected
    assert record.to_json()["alarms"] == expected
    sim.workload.write_minutes(start + timedelta(minutes=max(STEPS) + 1), BEFORE + max(STEPS) + 1)

    backend = backend_for(ACCOUNT_ID, REGION)
    book = alarms.book_of(backend)
    configs = {name: book.alarms[name].config for name in expected if not book.alarms[name].composite}
    signal: dict[str, datetime] = {}
    alarmed: dict[str, datetime] = {}
    before: dict[str, str] = {}
    for step in STEPS:
        at = start + timedelta(minutes=step, seconds=20)
        alarms.evaluate(ACCOUNT_ID, REGION, at)
        states = _states(cw, expected)
        if step == -1:
            before = dict(states)
        if step == 0:
            calm = {name: states[name] for name in configs if states[name] == "ALARM"}
            assert not calm, f"{fault}: in ALARM before the fault's first minute was written: {calm}"
        for name, config in configs.items():
            newest = alarms.datapoints(backend, config, at)[-1]
            if step >= 0 and name not in signal and _breaches(config, newest):
                signal[name] = at
        for name, state in states.items():
            if state == "ALARM" and name not in alarmed and step >= 0:
                alarmed[name] = at

    assert set(alarmed) == set(expected), f"{fault}: never in ALARM: {set(expected) - set(alarmed)}"
    for name, config in configs.items():
        period = alarms._period(config)
        assert name in signal, f"{fault}: no datapoint of {name} breached"
        waited = alarmed[name] - signal[name]
        assert timedelta(0) <= waited <= timedelta(seconds=2 * period), (
            f"{name} went to ALARM {waited} after its signal at {signal[name]:%H:%M}: more than two periods"
        )
        reason = cw.describe_alarms(AlarmNames=[name])["MetricAlarms"][0]["StateReason"]
        assert reason.startswith("Threshold Crossed:"), reason
    composites = [name for name in expected if name not in configs]
    for name in composites:
        if before[name] != "ALARM":
            assert alarmed[name] == min(alarmed[child] for child in configs), (
                f"{name} follows its child at once"
            )
    if fault in {item.fault for item in SCENARIO.faults}:
        assert record.planned_end is not None
        last = max(alarmed.values())
        assert last <= record.planned_end + timedelta(seconds=60), (
            f"{fault} lasts until {record.planned_end:%H:%M:%S} at speed {SPEED:g}; its alarms were in ALARM "
            f"only at {last:%H:%M:%S}"
        )


def test_the_workload_evaluates_its_alarms_once_it_has_written_new_minutes(
    sim: SimServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tui.sim import workload as module

    moments: list[datetime] = []
    monkeypatch.setattr(module.cloudwatch_alarms, "evaluate_all", lambda now: moments.append(now) or 0)
    workload = sim.workload
    last = workload.last_written_minute
    assert last is not None
    moment = minute_start(last + 3) + timedelta(seconds=10)
    assert workload.tick(moment) == 2
    assert moments == [moment], "evaluated at the tick's moment, after writing"
    assert workload.tick(moment) == 0
    assert moments == [moment], "no new minute, no evaluation"
