"""Business services: loading the TOML file, matching detections by id, name and tag, impairment,
breach after the tolerance (once per impairment) and restoration."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pytest

from tui.common import catalogue as cat
from tui.common.codec import to_builtins
from tui.gameday.events import (
    DETECTED,
    FAULT_STARTED,
    NOTE,
    RECOVERED,
    SERVICE_BREACH,
    SERVICE_IMPAIRED,
    SERVICE_RESTORED,
    JournalEvent,
)
from tui.gameday.services import (
    BusinessService,
    ServiceTracker,
    default_demo_services,
    load_services,
    parse_services,
)
from tui.sim import catalog

T0 = datetime(2026, 11, 20, 14, 0, tzinfo=UTC)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def event(kind: str, metric: str, resource: str, minutes: float, **detail: str) -> JournalEvent:
    return JournalEvent(
        at=at(minutes),
        kind=kind,
        source="limits",
        text=f"{metric} {resource}",
        resource=resource,
        metric=metric,
        detail=MappingProxyType(detail),
    )


def detected(metric: str, resource: str, minutes: float, **detail: str) -> JournalEvent:
    return event(DETECTED, metric, resource, minutes, **detail)


def stalled(stream: str, reader: str, kind: str) -> JournalEvent:
    """A reader stalled, as the detector reports it."""
    ev = detected(cat.M_READER_STALLED, f"{stream}/{reader}", 0, name=reader, stream=stream)
    return dataclasses.replace(ev, detail=MappingProxyType({**ev.detail, "kind": kind}))


def recovered(metric: str, resource: str, minutes: float, **detail: str) -> JournalEvent:
    return event(RECOVERED, metric, resource, minutes, **detail)


CARD = BusinessService(
    "Card payments",
    15,
    resources=("payments-events", "payments-db-1"),
    tags=(("Service", "payments-api"),),
    ignore_metrics=(cat.M_STREAM_USAGE,),
)
LEDGER = BusinessService("Ledger", 30, resources=("i-ledger",))


# ---------------------------------------------------------------------------------------------
# Matching
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ev", "matches"),
    [
        (detected(cat.M_STREAM_AGE, "payments-events", 0), True),
        (detected(cat.M_INSTANCE_EBS, "i-1", 0, name="payments-db-1"), True),
        (detected(cat.M_VOLUME, "vol-1", 0, name="payments-db-1-data", instance_name="payments-db-1"), True),
        (detected(cat.M_INSTANCE_MEMORY, "i-2", 0, **{"tag:Service": "payments-api"}), True),
        (detected(cat.M_INSTANCE_MEMORY, "i-3", 0, **{"tag:Service": "ledger"}), False),
        (detected(cat.M_INSTANCE_MEMORY, "i-3", 0, **{"tag:Team": "payments-api"}), False),
        (detected(cat.M_STREAM_USAGE, "payments-events", 0), False),
        (detected(cat.M_LAMBDA_ERRORS, "payments-ledger-writer", 0, stream="payments-events"), False),
        # A stalled reader is its owner's by name; unregistered GetRecords readers are the stream's.
        (stalled("ledger-cdc", "payments-db-1", "enhanced fan-out"), True),
        (stalled("payments-events", "fraud", "enhanced fan-out"), False),
        (stalled("payments-events", "GetRecords readers", "GetRecords"), True),
        (stalled("ledger-cdc", "GetRecords readers", "GetRecords"), False),
        # An alarm seen going to ALARM impairs what it watches; one already firing at start does not.
        (dataclasses.replace(detected(cat.M_ALARM, "payments-events", 0), level="critical"), True),
        (dataclasses.replace(detected(cat.M_ALARM, "payments-events", 0), level="warning"), False),
    ],
)
def test_matching_by_id_name_instance_and_tag(ev: JournalEvent, matches: bool) -> None:
    assert CARD.matches(ev) is matches


def test_volume_matches_its_instance_id() -> None:
    assert LEDGER.matches(detected(cat.M_VOLUME, "vol-9", 0, instance_id="i-ledger"))


# ---------------------------------------------------------------------------------------------
# Tracking
# ---------------------------------------------------------------------------------------------


def test_impaired_while_any_signal_is_open_then_restored() -> None:
    tracker = ServiceTracker([CARD, LEDGER])
    out = tracker.update(detected(cat.M_STREAM_AGE, "payments-events", 1))
    assert [(e.kind, e.ref, e.resource, e.at) for e in out] == [
        (SERVICE_IMPAIRED, "Card payments", "Card payments", at(1))
    ]
    assert out[0].detail["tolerance_s"] == "900"
    assert tracker.update(detected(cat.M_STREAM_AGE, "payments-events", 2)) == []
    second = detected(cat.M_INSTANCE_EBS, "i-1", 3, **{"tag:Service": "payments-api"})
    assert tracker.update(second) == []
    assert tracker.update(recovered(cat.M_STREAM_AGE, "payments-events", 5)) == []
    (card,) = [s for s in tracker.status(at(6)) if s.name == "Card payments"]
    assert card.impaired_since == at(1)
    assert card.impaired_s == 300.0
    assert card.signals == ("instance.ebs i-1",)
    assert not card.breached
    restored = tracker.update(recovered(cat.M_INSTANCE_EBS, "i-1", 7))
    assert [(e.kind, e.ref, e.value, e.limit) for e in restored] == [
        (SERVICE_RESTORED, "Card payments", 360.0, 900.0)
    ]
    assert restored[0].detail["breached"] == "no"
    (card, ledger) = tracker.status(at(20))
    assert (card.impaired_since, card.impaired_s, card.total_impaired_s) == (None, 0.0, 360.0)
    assert (ledger.impaired_since, ledger.total_impaired_s, ledger.signals) == (None, 0.0, ())


def test_breach_after_the_tolerance_once_per_impairment_dated_when_it_ran_out() -> None:
    tracker = ServiceTracker([CARD])
    tracker.update(detected(cat.M_STREAM_THROTTLE, "payments-events", 0))
    assert tracker.tick(at(15)) == []
    assert tracker.status(at(15))[0].breached is False
    (breach,) = tracker.tick(at(15.5))
    assert (breach.kind, breach.at, breach.ref, breach.level) == (
        SERVICE_BREACH,
        at(15),
        "Card payments",
        "critical",
    )
    assert tracker.tick(at(16)) == []
    status = tracker.status(at(20))[0]
    assert (status.breached, status.impaired_s, status.breaches) == (True, 1200.0, 1)
    restored = tracker.update(recovered(cat.M_STREAM_THROTTLE, "payments-events", 21))
    assert [e.kind for e in restored] == [SERVICE_RESTORED]
    assert restored[0].detail["breached"] == "yes"
    # A new impairment starts its own clock: the tolerance is per continuous impairment.
    tracker.update(detected(cat.M_STREAM_THROTTLE, "payments-events", 30))
    assert tracker.tick(at(44)) == []
    status = tracker.status(at(44))[0]
    assert (status.breached, status.impaired_s, status.total_impaired_s) == (False, 840.0, 21 * 60 + 840.0)


def test_breach_is_found_by_events_alone_without_ticks() -> None:
    tracker = ServiceTracker([CARD])
    tracker.update(detected(cat.M_STREAM_AGE, "payments-events", 0))
    out = tracker.update(recovered(cat.M_STREAM_AGE, "payments-events", 40))
    assert [(e.kind, e.at) for e in out] == [(SERVICE_BREACH, at(15)), (SERVICE_RESTORED, at(40))]


def test_other_kinds_and_unmatched_resources_change_nothing() -> None:
    tracker = ServiceTracker([CARD])
    note = JournalEvent(at=at(1), kind=NOTE, source="person", text="payments-events looks slow")
    assert tracker.update(note) == []
    assert tracker.update(detected(cat.M_INSTANCE_EBS, "i-other", 1)) == []
    assert tracker.update(recovered(cat.M_INSTANCE_EBS, "i-other", 2)) == []
    assert tracker.status(at(3))[0].impaired_since is None


# ---------------------------------------------------------------------------------------------
# Loading
# ---------------------------------------------------------------------------------------------

GOOD = """
[[service]]
name = "Card payments"
tolerance_minutes = 15
resources = ["payments-events", "i-0123"]
tags = { Service = ["payments-api", "payments"], Team = "payments-platform" }
ignore_metrics = ["stream.usage"]

[[service]]
name = "Ledger"
tolerance_minutes = 2.5
tags = { Service = "ledger" }
"""


def test_load_services(tmp_path: Path) -> None:
    path = tmp_path / "services.toml"
    path.write_text(GOOD, encoding="utf-8")
    card, ledger = load_services(path)
    assert card == BusinessService(
        "Card payments",
        15.0,
        ("payments-events", "i-0123"),
        (("Service", "payments-api"), ("Service", "payments"), ("Team", "payments-platform")),
        ("stream.usage",),
    )
    assert (ledger.name, ledger.tolerance_s, ledger.resources) == ("Ledger", 150.0, ())
    assert [to_builtins(ledger)] == [
        {
            "name": "Ledger",
            "tolerance_minutes": 2.5,
            "resources": [],
            "tags": [["Service", "ledger"]],
            "ignore_metrics": [],
        }
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[[service]\n", "bad.toml: not valid TOML"),
        ("title = 'x'\n", "bad.toml line 1: title: unknown key; the known keys are service"),
        ("", "bad.toml: no [[service]] entries"),
        (
            "[[service]]\ntolerance_minutes = 5\nresources = ['a']\n",
            "bad.toml line 1: service[0].name: missing",
        ),
        (
            "[[service]]\nname = 'A'\ntolerance_minutes = 0\nresources = ['a']\n",
            "bad.toml line 3: service[0].tolerance_minutes: expected a number of minutes above 0, got 0",
        ),
        (
            "[[service]]\nname = 'A'\ntolerance_minutes = true\nresources = ['a']\n",
            "bad.toml line 3: service[0].tolerance_minutes: expected a number, got true",
        ),
        (
            "[[service]]\nname = 'A'\ntolerance_minutes = 5\n",
            "bad.toml line 1: service[0]: names no resources and no tags",
        ),
        (
            "[[service]]\nname = 'A'\ntolerance_minutes = 5\nresources = [1]\n",
            "bad.toml line 4: service[0].resources[0]: expected a string, got 1",
        ),
        (
            "[[service]]\nname = 'A'\ntolerance_minutes = 5\ntags = ['x']\n",
            "bad.toml line 4: service[0].tags: expected a table, got a list",
        ),
        (
            "[[service]]\nname = 'A'\ntolerance_minutes = 5\ntags = { Service = 3 }\n",
            "bad.toml line 4: service[0].tags['Service']: expected a string or a list, got 3",
        ),
        (
            "[[service]]\nname = 'A'\ntolerance_minutes = 5\nresource = ['a']\n",
            "bad.toml line 4: service[0].resource: unknown key; the known keys are name, tolerance_minutes,",
        ),
        (
            "[[service]]\nname = 'A'\ntolerance_minutes = 5\nresources = ['a']\nignore_metrics = ['cpu']\n",
            "bad.toml line 5: service[0].ignore_metrics: names unknown metrics cpu",
        ),
        (
            "[[service]]\nname = 'A'\ntolerance_minutes = 5\nresources = ['a']\n"
            "[[service]]\nname = 'A'\ntolerance_minutes = 5\nresources = ['b']\n",
            "bad.toml line 6: service[1].name: 'A' is used twice",
        ),
        (
            "# the payments team's services\n\n[[service]]\nname = 'A'\ntolerance_minutes = 5\n"
            "resources = ['a']\n\n[[service]]\nname = 'B'\n# minutes\ntolerance_minutes = '15'\n",
            "bad.toml line 11: service[1].tolerance_minutes: expected a number, got '15'",
        ),
    ],
)
def test_load_services_errors_name_the_file_and_the_problem(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ValueError, match=r"bad\.toml") as caught:
        load_services(path)
    assert str(caught.value).startswith(f"{path.parent}/{message}")


def test_a_missing_file_is_a_value_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"missing\.toml: cannot read"):
        load_services(tmp_path / "missing.toml")


def test_parse_services_names_its_source() -> None:
    with pytest.raises(ValueError, match=r"^inline: no"):
        parse_services("", "inline")


def test_demo_services_name_what_the_simulator_seeds() -> None:
    services = default_demo_services()
    assert 2 <= len(services) <= 3
    names = {s.name for s in services}
    assert "Card payments" in names
    card = next(s for s in services if s.name == "Card payments")
    assert card.tolerance_minutes == 15
    seeded_services = {spec.service for spec in catalog.INSTANCES}
    seeded_streams = {spec.name for spec in catalog.STREAMS}
    seeded_functions = {c.name for spec in catalog.STREAMS for c in spec.consumers if c.lambda_function}
    seeded_consumers = {c.name for spec in catalog.STREAMS for c in spec.consumers if c.efo}
    for service in services:
        for key, value in service.tags:
            assert key == "Service" and value in seeded_services, (service.name, value)
        for resource in service.resources:
            assert resource in seeded_streams | seeded_functions | seeded_consumers, (service.name, resource)
    assert "payments-events" in card.resources
    assert seeded_functions <= set(card.resources)
    # The reader the consumer-lag fault stalls by default belongs to the Ledger.
    ledger = next(s for s in services if s.name == "Ledger")
    assert {"ledger-cdc", "ledger-projector"} <= set(ledger.resources)


def test_a_compressed_rehearsal_spends_tolerance_in_scenario_time() -> None:
    tracker = ServiceTracker([CARD])
    started = JournalEvent(
        at=at(0),
        kind=FAULT_STARTED,
        source="fis",
        text="fault started",
        detail=MappingProxyType({"speed": "10", "scenario_start": at(0).isoformat()}),
    )
    assert tracker.update(started) == []
    (impaired,) = tracker.update(detected(cat.M_STREAM_THROTTLE, "payments-events", 0))
    assert impaired.detail["speed"] == "10"
    # Fifteen scenario minutes are ninety wall seconds at speed 10.
    assert tracker.tick(at(1.4)) == []
    assert tracker.status(at(1.4))[0].impaired_s == pytest.approx(14 * 60)
    (breach,) = tracker.tick(at(1.6))
    assert breach.at == at(1.5)
    (restored,) = tracker.update(recovered(cat.M_STREAM_THROTTLE, "payments-events", 2))
    assert restored.value == pytest.approx(20 * 60)


# ---------------------------------------------------------------------------------------------
# Headroom is not impact
# ---------------------------------------------------------------------------------------------


def leveled(metric: str, resource: str, minutes: float, level: str) -> JournalEvent:
    return dataclasses.replace(detected(metric, resource, minutes), level=level)


def test_a_utilisation_warning_is_headroom_and_its_critical_level_impairs() -> None:
    tracker = ServiceTracker([CARD])
    assert tracker.update(leveled(cat.M_INSTANCE_EBS, "payments-db-1", 1, "warning")) == []
    assert tracker.update(leveled(cat.M_STREAM_THROTTLE, "payments-events", 1, "warning")) == []
    assert tracker.status(at(40))[0].impaired_since is None
    out = tracker.update(leveled(cat.M_INSTANCE_EBS, "payments-db-1", 5, "critical"))
    assert [e.kind for e in out] == [SERVICE_IMPAIRED]
    # The signal stays open until the gauge recovers below its warning line.
    out = tracker.update(recovered(cat.M_INSTANCE_EBS, "payments-db-1", 12))
    assert [e.kind for e in out] == [SERVICE_RESTORED]
    # An iterator age at half the retention is headroom: records are lost only at 100%.
    assert tracker.update(leveled(cat.M_STREAM_AGE, "payments-events", 20, "warning")) == []
    out = tracker.update(leveled(cat.M_STREAM_AGE, "payments-events", 21, "critical"))
    assert [e.kind for e in out] == [SERVICE_IMPAIRED]


async def test_the_seeded_workload_impairs_no_demo_service_for_a_day(sim: Any) -> None:
    """The demo opens healthy and stays so: over a day of the seeded daily curve, the peak (15:00 UTC)
    included, the detectors find headroom warnings but no demo service is impaired."""
    from tui.aws.clients import AwsTarget, ClientFactory
    from tui.aws.kinesis import KinesisPoller
    from tui.aws.limits import LimitsPoller
    from tui.aws.sessions import SessionsPoller
    from tui.gameday.detect import Detector

    start = datetime(2026, 6, 3, 11, 0, tzinfo=UTC)
    hours = 24
    sim.workload.write_minutes(start + timedelta(hours=hours), hours * 60 + 15)
    now = [start]
    factory = ClientFactory(
        AwsTarget(
            regions=("us-east-1",), endpoint_url=sim.endpoint_url, access_key="testing", secret_key="testing"
        )
    )
    pollers = (
        ("limits", LimitsPoller(factory, clock=lambda: now[0])),
        ("kinesis", KinesisPoller(factory, clock=lambda: now[0])),
        ("sessions", SessionsPoller(factory, clock=lambda: now[0])),
    )
    detector = Detector()
    tracker = ServiceTracker(default_demo_services())
    found: list[JournalEvent] = []
    impairments: list[JournalEvent] = []
    try:
        for step in range(hours * 3 + 1):
            now[0] = start + timedelta(minutes=20 * step)
            for pane, poller in pollers:
                for e in detector.observe(pane, await poller.poll()):
                    found.append(e)
                    impairments.extend(tracker.update(e))
            impairments.extend(tracker.tick(now[0]))
    finally:
        await factory.close()
    headroom = {(e.metric, e.detail.get("name")) for e in found if e.kind == DETECTED}
    # The afternoon peak is busy: the fleet's own gauges cross their warning lines ...
    assert (cat.M_INSTANCE_EBS, "payments-db-1") in headroom
    assert (cat.M_STREAM_THROTTLE, "payments-events") in headroom
    # ... the rate-limited ledger writer falls behind past half the retention (records at risk, none
    # lost), slowly: it is not stalled ...
    assert (cat.M_STREAM_AGE, "payments-events") in headroom
    assert not any(e.metric == cat.M_READER_STALLED for e in found)
    # ... and no business service is impaired by the seed alone.
    assert impairments == []
