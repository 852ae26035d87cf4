"""A scripted rehearsal: the default scenario at speed 10 on the seeded simulator, read by the
console's data path (the pollers, the detector, the business services, the recording) on a clock
the test moves, then the report. The verdicts must come from the exercise: no breach before the
first fault, every fault detected or reported with the reason it was not, and no time to mitigate
for a fault that expired.

One responder acts: when the journal shows the new finding on the security group opened to SSH,
they revoke the rule; every other fault runs until its duration is over."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tui.aws.clients import AwsTarget, ClientFactory
from tui.aws.findings import FindingsPoller
from tui.aws.fis import FisPoller
from tui.aws.kinesis import KinesisPoller
from tui.aws.limits import LimitsPoller
from tui.aws.sessions import SessionsPoller
from tui.common import catalogue as cat
from tui.gameday import events as ev
from tui.gameday.detect import Detector
from tui.gameday.hub import GameDay
from tui.gameday.journal import Journal
from tui.gameday.record import Recorder, read_recording
from tui.gameday.report import analyse, render_markdown
from tui.gameday.services import ServiceTracker, default_demo_services
from tui.sim.account import ACCOUNT_ID
from tui.sim.extensions.securityhub import delete_findings
from tui.sim.faults import FaultEngine
from tui.sim.metricgen import minute_of, minute_start
from tui.sim.scenario import ScenarioRunner, builtin_scenario
from tui.sim.server import SimServer
from tui.sim.workload import drop_points


@pytest.fixture(scope="module")
def sim(own_sim: SimServer) -> SimServer:
    """The rehearsal plays the default scenario: the module's own simulator (own_sim)."""
    return own_sim


@pytest.fixture(scope="module")
def sim_url(own_sim: SimServer) -> str:
    return own_sim.endpoint_url


REGION = "us-east-1"
SSH = "sg-open-ssh"
SPEED = 10.0
POLL = timedelta(seconds=30)
"""The console's poll interval (wall time) for the metric panes and sessions."""
HISTORY = 65
"""Minutes of metrics written before T+0: the pollers read the last hour."""
T0 = minute_start(minute_of(datetime.now(UTC) - timedelta(days=7))) + timedelta(seconds=20)
"""The scenario's T+0: a week ago, so the seeding's own metrics share none of its minutes."""


@pytest.fixture
def engine(sim: SimServer) -> Iterator[FaultEngine]:
    """The module simulator's fault engine at speed 10 (on the rehearsal's clock while it plays);
    afterwards it has its own speed and clock again, no
    fault is active, the findings the faults imported are gone and the minutes written are dropped."""
    engine = sim.faults
    assert engine is not None and not engine.active(), "the rehearsal needs a quiet fault engine"
    known = len(engine.faults())
    speed, clock = engine.speed, engine.clock
    engine.speed = SPEED
    try:
        yield engine
    finally:
        engine.speed, engine.clock = speed, clock
        engine.clear_all(at=T0)
        engine.set_scenario(None, None)
        findings = [r.data["finding"] for r in engine.faults()[known:] if "finding" in r.data]
        delete_findings(ACCOUNT_ID, REGION, [(f["Id"], f["ProductArn"]) for f in findings])
        workload = sim.workload
        first = T0 - timedelta(minutes=HISTORY + 5)
        keys = [key for key, _ in workload.generator.sample(minute_of(T0) - 1)]
        drop_points(ACCOUNT_ID, REGION, keys, first, T0 + timedelta(hours=1))
        for stream in workload.fleet.streams:
            workload.generator.forget(stream.name, minute_of(first))


async def rehearse(sim: SimServer, engine: FaultEngine, path: Path) -> None:
    """Play the default scenario from T0 to its end and a little after, polling as the console does."""
    scenario = builtin_scenario("default")
    now = [T0]

    def clock() -> datetime:
        return now[0]

    engine.clock = clock
    runner = ScenarioRunner(scenario, engine, speed=SPEED, clock=clock)
    runner.begin(T0)
    workload = sim.workload
    workload.write_minutes(T0, HISTORY)
    written = minute_of(T0) - 1
    factory = ClientFactory(
        AwsTarget(
            regions=(REGION,), endpoint_url=sim.endpoint_url, access_key="testing", secret_key="testing"
        )
    )
    pollers: list[tuple[str, Any]] = [
        ("fis", FisPoller(factory, clock=clock)),
        ("limits", LimitsPoller(factory, clock=clock)),
        ("kinesis", KinesisPoller(factory, clock=clock)),
        ("sessions", SessionsPoller(factory, clock=clock)),
        # Every poll a full load: the seeded findings were updated at the real now, a week after
        # this rehearsal's clock, so an incremental read's watermark would hide the faults' ones.
        ("findings", FindingsPoller(factory, region=REGION, clock=clock, full_every=timedelta(0))),
    ]
    hub = GameDay(
        journal=Journal(None, clock=clock),
        detector=Detector(),
        services=ServiceTracker(default_demo_services()),
        recorder=Recorder(path, meta={"demo": "yes", "scenario": scenario.name}, clock=clock),
        clock=clock,
    )
    end = T0 + timedelta(seconds=scenario.duration_s / SPEED) + 4 * POLL
    seen: list[ev.JournalEvent] = []
    hub.subscribe(seen.append)
    fixed = False
    try:
        while now[0] <= end:
            if not fixed and any(e.kind == ev.FINDING_NEW and e.fault == SSH for e in seen):
                fixed = True
                group = next(e.resource.rsplit("/", 1)[-1] for e in seen if e.fault == SSH)
                ec2 = engine.client("ec2")
                ec2.revoke_security_group_ingress(
                    GroupId=group,
                    IpPermissions=[
                        {
                            "IpProtocol": "tcp",
                            "FromPort": 22,
                            "ToPort": 22,
                            "IpRanges": [{"CidrIp": "0.0.0.0/0"}],
                        }
                    ],
                )
                hub.action(
                    {
                        "outcome": "ok",
                        "service": "ec2",
                        "operation": "RevokeSecurityGroupIngress",
                        "params": {"GroupId": group},
                    }
                )
            runner.tick(now[0])
            engine.refresh(now[0])
            last_complete = minute_of(now[0]) - 1
            if last_complete > written:
                workload.write_minutes(now[0], last_complete - written)
                written = last_complete
            for pane, poller in pollers:
                hub.observe(pane, await poller.poll())
            hub.tick()
            now[0] += POLL
    finally:
        hub.close()
        await factory.close()


async def test_the_default_scenario_at_speed_10_gives_verdicts_from_the_exercise(
    sim: SimServer, engine: FaultEngine, tmp_path: Path
) -> None:
    path = tmp_path / "rehearsal.jsonl"
    await rehearse(sim, engine, path)
    recording = read_recording(path)
    assert recording.problems == []
    events = recording.events()
    review = analyse(recording)
    scenario = builtin_scenario("default")

    assert review.clock.from_scenario and review.clock.speed == SPEED
    assert len(review.faults) == len(scenario.faults)
    first_fault = min(f.started for f in review.faults)
    assert first_fault == T0 + timedelta(seconds=scenario.faults[0].at_s / SPEED)

    # The seed alone impairs nothing: every impairment and breach comes after a fault started, and
    # names a signal on a fault's target.
    service_events = [e for e in events if e.kind in (ev.SERVICE_IMPAIRED, ev.SERVICE_BREACH)]
    assert service_events, "the faults impair the business services"
    assert all(e.at >= first_fault for e in service_events), service_events
    impaired = [e for e in events if e.kind == ev.SERVICE_IMPAIRED]
    assert all(e.fault for e in impaired), [e.text for e in impaired if not e.fault]

    # Once the faults are over and their signals have cleared, the seed alone impairs nothing again.
    assert [s.name for s in review.services if s.still_impaired] == []

    # Every fault is detected, or the report says why it could not be.
    for fault in review.faults:
        assert fault.detected or fault.undetected_reason, f"{fault.label()} missed without a reason"
    assert review.undetected == ()
    # The stalled reader is told from a slow one while its fault runs, and impairs the Ledger.
    (lag,) = [f for f in review.faults if f.fault == "kinesis-consumer-lag"]
    assert lag.detected and lag.detection is not None, lag.undetected_reason
    assert lag.detection.metric == cat.M_READER_STALLED
    assert lag.detection.resource == "ledger-cdc/ledger-projector"
    assert lag.ended is not None and lag.detection.at < lag.ended
    assert any(
        e.kind == ev.SERVICE_IMPAIRED and e.resource == "Ledger" and cat.M_READER_STALLED in e.text
        for e in events
    )

    # The fix is the only mitigation, and the only time to mitigate; every other fault ran out.
    for fault in review.faults:
        assert fault.ended is not None, fault.label()
        if fault.fault == SSH:
            assert fault.first_action is not None and "RevokeSecurityGroupIngress" in fault.first_action.text
            assert fault.mitigated_by == "fixed by the team" and fault.mitigated == fault.ended
            assert fault.time_to_mitigate_s is not None and fault.time_to_mitigate_s > 0
            continue
        assert fault.mitigated is None and fault.time_to_mitigate_s is None, fault.label()
        assert fault.ended_how == "expired" and fault.ttm_text() == "expired, not mitigated"
    (ssh,) = [f for f in review.faults if f.fault == SSH]
    assert review.summary.median_ttm_s == pytest.approx(ssh.time_to_mitigate_s * SPEED)

    text = render_markdown(review)
    assert "NOT DETECTED" not in text
    assert "over the 1 mitigated" in text
    expired = len(scenario.faults) - 1
    assert f"Ended without being mitigated: {expired} ({expired} expired" in text
    assert "times are scenario time" in text
    assert "reporting delay at speed 10: 10m to 25m (wall 1m to 2m30s)" in text
