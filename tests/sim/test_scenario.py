"""Scenarios: the TOML format and its errors, the built-in rehearsal, and playing a scenario on a
fake clock (scenario time = wall time since T+0 times the speed).

Played faults run on a second fault engine of the module's own workload that is not installed (it feeds
no metrics and answers no FIS call); its faults are metric faults whose only trace is their FIS
experiments, which end ``completed`` or ``stopped``.
"""

from __future__ import annotations

import argparse
import itertools
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tui.common import catalogue as cat
from tui.common.catalogue import SCENARIO_START_TAG, SCENARIO_TAG, SPEED_TAG
from tui.sim.commands import add_serve_options, scenario_from_args, speed_from_args
from tui.sim.faults import FaultEngine
from tui.sim.scenario import (
    Scenario,
    ScenarioError,
    ScenarioRunner,
    builtin_scenario,
    check_names,
    check_targets,
    load_scenario,
    parse_scenario,
    scenario_from,
)
from tui.sim.server import SimServer


@pytest.fixture(scope="module")
def sim(own_sim: SimServer) -> SimServer:
    """Played scenarios start faults: the module's own simulator (own_sim)."""
    return own_sim


@pytest.fixture(scope="module")
def sim_url(own_sim: SimServer) -> str:
    return own_sim.endpoint_url


T0 = datetime(2026, 11, 20, 9, 0, 0, tzinfo=UTC)


class FakeClock:
    def __init__(self, at: datetime) -> None:
        self.at = at
        self.lock = threading.Lock()

    def __call__(self) -> datetime:
        with self.lock:
            return self.at

    def advance(self, seconds: float) -> None:
        with self.lock:
            self.at += timedelta(seconds=seconds)


# ------------------------------------------------------------------------------------------------
# The format
# ------------------------------------------------------------------------------------------------


SCENARIO = """
name = "drill"
description = "two faults"
speed = 4

[[fault]]
at = "10m"
fault = "memory-pressure"
duration = "20m"

[[fault]]
at = 90
fault = "kinesis-write-throttle"
target = "payments-events"
"""


def test_a_scenario_is_read_into_its_faults_in_time_order() -> None:
    scenario = parse_scenario(SCENARIO, source="drill.toml")

    assert (scenario.name, scenario.description, scenario.speed) == ("drill", "two faults", 4.0)
    first, second = scenario.faults
    assert (first.at_s, first.fault, first.target, first.duration_s, first.line) == (
        90.0,
        "kinesis-write-throttle",
        "payments-events",
        None,
        11,
    )
    assert (second.at_s, second.fault, second.target, second.duration_s, second.line) == (
        600.0,
        "memory-pressure",
        None,
        1200.0,
        6,
    )
    assert scenario.duration_s == 1800.0


def test_a_file_names_the_scenario_after_itself(tmp_path: Path) -> None:
    path = tmp_path / "tuesday.toml"
    path.write_text('[[fault]]\nat = "1m"\nfault = "lambda-errors"\n', encoding="utf-8")

    scenario = load_scenario(path)

    assert (scenario.name, scenario.speed, scenario.source) == ("tuesday", 1.0, str(path))
    assert scenario_from(str(path)) == scenario


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            '[[fault]]\nat = "1m"\nfault = "disk-full"\n',
            r"^bad\.toml line 3: fault\[0\]\.fault: unknown fault 'disk-full'; the catalogue has: ebs-",
        ),
        (
            'name = "x"\n\n[[fault]]\nat = "1m"\nfault = "lambda-errors"\n\n'
            '[[fault]]\nat = "soon"\nfault = "lambda-errors"\n',
            r"^bad\.toml line 8: fault\[1\]\.at: expected a duration such as 90s, got 'soon' \(write it like",
        ),
        (
            '[[fault]]\nat = "1m"\nfault = "lambda-errors"\nduration = "0s"\n',
            r"^bad\.toml line 4: fault\[0\]\.duration: expected a duration above 0, such as 90s, got '0s'$",
        ),
        (
            '[[fault]]\nfault = "lambda-errors"\n',
            r"^bad\.toml line 1: fault\[0\]\.at: missing \(when the fault",
        ),
        (
            '[[fault]]\nat = "1m"\n',
            r"^bad\.toml line 1: fault\[0\]\.fault: missing \(one of: ebs-instance-cap",
        ),
        (
            'name = "x"\n\n[[fault]]\nat = "1m"\nfault = "lambda-errors"\n\n'
            '[[fault]]\nat = true\nfault = "lambda-errors"\n',
            r"^bad\.toml line 8: fault\[1\]\.at: expected a duration such as 90s, got true$",
        ),
        ('[[fault]]\nat = "5m5m"\nfault = "lambda-errors"\n', r"line 2: fault\[0\]\.at: .*once each"),
        ("fault = 3\n", r"^bad\.toml line 1: fault: expected a list, got 3$"),
        (
            '[[fault]]\nat = "1m"\nfault = "lambda-errors"\nwhen = 3\n',
            r"^bad\.toml line 4: fault\[0\]\.when: unknown key; the known keys are at, fault, target",
        ),
        (
            'speed = 0\n[[fault]]\nat = "1m"\nfault = "lambda-errors"\n',
            r"^bad\.toml line 1: speed: expected a number above 0, got 0$",
        ),
        (
            'sped = 2\n[[fault]]\nat = "1m"\nfault = "lambda-errors"\n',
            r"^bad\.toml line 1: sped: unknown key",
        ),
        (
            'speed = "fast"\n[[fault]]\nat = "1m"\nfault = "lambda-errors"\n',
            r"line 1: speed: expected a number, got 'fast'",
        ),
        ('name = "x"\n', r"^bad\.toml: the scenario schedules no \[\[fault\]\]$"),
        ('name = "x\n[[fault]]\n', r"not valid TOML: .*line 1"),
    ],
)
def test_scenario_errors_say_what_and_where(text: str, message: str) -> None:
    with pytest.raises(ScenarioError, match=message):
        parse_scenario(text, source="bad.toml")


def test_a_missing_file_says_so(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="cannot be read"):
        load_scenario(tmp_path / "nope.toml")


def test_names_are_checked_against_the_workload_before_a_simulator_starts() -> None:
    scenario = parse_scenario(
        '[[fault]]\nat = "1m"\nfault = "memory-pressure"\ntarget = "payments-api-9"\n\n'
        '[[fault]]\nat = "2m"\nfault = "s3-public-bucket"\ntarget = "payments-audit-logs"\n\n'
        '[[fault]]\nat = "3m"\nfault = "sg-open-ssh"\ntarget = "sg-0123456789abcdef0"\n',
        source="names.toml",
    )
    with pytest.raises(
        ScenarioError, match=r"memory-pressure at T\+60s \(line 1\): no instance 'payments-api-9'"
    ) as caught:
        check_names(scenario)
    assert "s3-public-bucket" not in str(caught.value) and "sg-open-ssh" not in str(caught.value)


# ------------------------------------------------------------------------------------------------
# The built-in rehearsal
# ------------------------------------------------------------------------------------------------


def test_the_default_rehearsal_is_an_hour_of_overlapping_faults_each_detectable_at_speed_10(
    sim: SimServer,
) -> None:
    scenario = builtin_scenario("default")

    assert scenario_from("default") == scenario
    assert scenario.speed == 10.0
    assert 55 * 60 <= scenario.duration_s <= 65 * 60
    assert len({f.fault for f in scenario.faults}) >= 6
    assert {f.fault for f in scenario.faults} <= set(cat.BY_ID)
    for fault in scenario.faults:
        assert fault.duration_s is not None and fault.duration_s / 10.0 >= 180.0, fault
    spans = sorted((f.at_s, f.at_s + (f.duration_s or 0.0)) for f in scenario.faults)
    assert any(later[0] < earlier[1] for earlier, later in itertools.pairwise(spans)), "no overlap"
    check_names(scenario)
    assert sim.faults is not None
    check_targets(scenario, sim.faults)


def test_serve_options_and_the_speed_that_wins() -> None:
    parser = argparse.ArgumentParser()
    add_serve_options(parser)

    args = parser.parse_args(["--scenario", "default", "--speed", "2.5"])
    scenario = scenario_from_args(args)

    assert isinstance(scenario, Scenario) and scenario.speed == 10.0
    assert speed_from_args(args) == 2.5
    assert SimServer(scenario=scenario, speed=speed_from_args(args)).effective_speed == 2.5
    assert SimServer(scenario=scenario).effective_speed == 10.0
    assert SimServer().effective_speed == 1.0
    none = parser.parse_args([])
    assert scenario_from_args(none) is None and speed_from_args(none) is None
    with pytest.raises(SystemExit):
        parser.parse_args(["--speed", "0"])


def test_a_bad_scenario_argument_exits_with_status_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "bad.toml"
    path.write_text('[[fault]]\nat = "1m"\nfault = "disk-full"\n', encoding="utf-8")
    parser = argparse.ArgumentParser()
    add_serve_options(parser)

    with pytest.raises(SystemExit) as exited:
        scenario_from_args(parser.parse_args(["--scenario", str(path)]))

    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith(
        f"warroom: --scenario {path}: {path} line 3: fault[0].fault: unknown fault 'disk-full'"
    )
    assert err.count("\n") == 1


# ------------------------------------------------------------------------------------------------
# Playing a scenario
# ------------------------------------------------------------------------------------------------


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(T0)


@pytest.fixture
def player(sim: SimServer, clock: FakeClock) -> Iterator[FaultEngine]:
    """A fault engine of the module's workload at speed 10 on the fake clock (not installed)."""
    engine = FaultEngine(sim.workload, speed=10.0, clock=clock)
    yield engine
    engine.clear_all(at=clock())


PLAY = """
name = "fast drill"

[[fault]]
at = "10m"
fault = "memory-pressure"
target = "payments-api-2"
duration = "30m"

[[fault]]
at = "15m"
fault = "network-baseline"
"""


def test_a_fault_at_10m_at_speed_10_starts_one_wall_minute_in_and_lasts_its_scenario_time(
    player: FaultEngine, clock: FakeClock, client: Any
) -> None:
    scenario = parse_scenario(PLAY, source="play.toml")
    runner = ScenarioRunner(scenario, player, speed=10.0, clock=clock)
    assert runner.begin() == T0

    clock.advance(59.9)
    assert runner.tick() == []
    assert runner.elapsed_s() == pytest.approx(599.0)
    clock.advance(0.1)
    (memory,) = runner.tick()

    assert memory.fault == "memory-pressure" and memory.target.name == "payments-api-2"
    assert memory.started_at == T0 + timedelta(seconds=60)
    assert (memory.origin, memory.scenario_at_s, memory.duration_s) == ("scenario", 600.0, 1800.0)
    assert memory.planned_end == T0 + timedelta(seconds=60 + 180)
    tags = client("fis").get_experiment(id=memory.experiment_id)["experiment"]["tags"]
    assert tags[SCENARIO_TAG] == "fast drill" and tags[SPEED_TAG] == "10"
    assert tags[SCENARIO_START_TAG] == T0.isoformat() and tags[cat.ORIGIN_TAG] == "scenario"
    assert runner.status()["state"] == "running"

    clock.advance(30)
    (network,) = runner.tick()
    assert network.fault == "network-baseline" and network.started_at == T0 + timedelta(seconds=90)
    assert [s["started"] for s in runner.schedule()] == [True, True]

    clock.advance(149.0)
    assert player.refresh() == [] and memory.active
    clock.advance(1.0)
    assert player.refresh() == [memory]
    assert memory.state == "ended" and memory.ended_at == T0 + timedelta(seconds=240)
    experiment = client("fis").get_experiment(id=memory.experiment_id)["experiment"]
    assert experiment["state"]["status"] == "completed"
    assert experiment["endTime"] == T0 + timedelta(seconds=240)

    status = runner.status()
    assert status["elapsed_s"] == pytest.approx(2400.0) and status["duration_s"] == 2400.0
    assert status["state"] == "running", "network-baseline has no duration: it runs until cleared"
    player.clear("network-baseline", at=clock())
    assert runner.status()["state"] == "finished"


def test_a_scheduled_fault_that_cannot_start_is_logged_not_retried(
    player: FaultEngine, clock: FakeClock
) -> None:
    scenario = parse_scenario('[[fault]]\nat = "1m"\nfault = "ebs-instance-cap"\ntarget = "ledger-1"\n')
    runner = ScenarioRunner(scenario, player, speed=10.0, clock=clock)
    runner.begin()
    clock.advance(6)

    assert runner.tick() == [] and runner.tick() == []

    (entry,) = runner.schedule()
    assert entry["started"] and "cannot be capped by its instance" in entry["error"]
    (logged,) = [e for e in player.log_entries() if e["what"] == "refused"]
    assert logged["fault"] == "ebs-instance-cap" and logged["origin"] == "scenario"
    assert not player.active()


def test_the_runner_thread_follows_the_fake_clock(player: FaultEngine, clock: FakeClock) -> None:
    scenario = parse_scenario(PLAY, source="play.toml")
    runner = ScenarioRunner(scenario, player, speed=10.0, clock=clock, interval=0.01).start()
    try:
        time.sleep(0.05)
        assert not player.active()
        clock.advance(60)
        runner.wake()
        deadline = time.monotonic() + 3.0
        while not player.active() and time.monotonic() < deadline:
            time.sleep(0.01)
        assert player.active(), "the runner thread started no fault within 3 s of T+60 s"
        (record,) = player.active()
        assert record.fault == "memory-pressure" and record.started_at == T0 + timedelta(seconds=60)
        clock.advance(30)
        runner.wake()
        while len(player.active()) < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert len(player.active()) == 2, "the runner thread did not start the second fault in time"
        assert {r.fault for r in player.active()} == {"memory-pressure", "network-baseline"}
        while runner.running and time.monotonic() < deadline:
            time.sleep(0.01)
        assert not runner.running, "every fault started: the thread is done"
    finally:
        runner.stop()
