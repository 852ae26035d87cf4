"""Faults from the journal: starts paired with their ends, by experiment or by fault and target, as
the journal grows and when a replay reads it again from the start."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.gameday.test_replay import Entry
from tui.feeds import Topic
from tui.gameday import events as ev
from tui.gameday.events import JournalEvent
from tui.gameday.faults import FaultLog, occurrences
from tui.gameday.replay import Playback
from tui.replaying import ReplayDriver

T0 = datetime(2026, 11, 20, 14, 0, tzinfo=UTC)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def fault(
    kind: str, minutes: float, fault_id: str, target: str, ref: str = "", **detail: str
) -> JournalEvent:
    return JournalEvent(
        at=at(minutes),
        kind=kind,
        source="fis",
        text=f"{kind} {fault_id} on {target}",
        resource=target,
        fault=fault_id,
        ref=ref,
        detail=detail,
    )


def started(minutes: float, fault_id: str, target: str, ref: str = "", **detail: str) -> JournalEvent:
    return fault(ev.FAULT_STARTED, minutes, fault_id, target, ref, **detail)


def ended(minutes: float, fault_id: str, target: str, ref: str = "", **detail: str) -> JournalEvent:
    return fault(ev.FAULT_ENDED, minutes, fault_id, target, ref, **detail)


def detected(minutes: float, resource: str) -> JournalEvent:
    return JournalEvent(
        at=at(minutes), kind=ev.DETECTED, source="kinesis", text="lag", resource=resource, metric="m"
    )


def log_of(events: list[JournalEvent]) -> FaultLog:
    """A fault log fed ``events`` one by one, as the journal's topic publishes them."""
    log = FaultLog(lambda: ())
    for event in events:
        log.update(event)
    return log


def test_a_start_and_its_end_make_one_fault_no_longer_active() -> None:
    log = log_of(
        [
            started(0, "lambda-errors", "payments-ledger-writer", "EXP1"),
            detected(1, "payments-ledger-writer"),
            started(2, "sg-open-ssh", "sg-0abc", "EXP2"),
            ended(5, "lambda-errors", "payments-ledger-writer", "EXP1", status="completed"),
        ]
    )
    assert [(o.fault, o.end is not None) for o in log.all] == [
        ("lambda-errors", True),
        ("sg-open-ssh", False),
    ]
    (active,) = log.active
    assert active.start.ref == "EXP2" and active.target == "sg-0abc"
    # Active since minute 2: at minute 7 that is five minutes.
    assert active.active_s(at(7)) == 300.0


def test_an_end_without_a_start_ends_nothing() -> None:
    # The journal began mid-fault: its end arrives alone, and a later start of the same fault on
    # the same target is a fault of its own, active until its own end.
    log = log_of(
        [
            ended(1, "kinesis-consumer-lag", "payments-events"),
            started(3, "kinesis-consumer-lag", "payments-events"),
        ]
    )
    (only,) = log.all
    assert only.start.at == at(3) and only.active
    assert log_of([ended(1, "kinesis-consumer-lag", "payments-events")]).all == []


def test_an_end_read_before_its_start_still_ends_it() -> None:
    # FIS said both in one poll, the end first: time order puts the start first.
    log = log_of(
        [
            ended(4, "lambda-errors", "payments-ledger-writer", "EXP1"),
            started(1, "lambda-errors", "payments-ledger-writer", "EXP1"),
        ]
    )
    (only,) = log.all
    assert not only.active and only.active_s(at(10)) == 180.0


def test_two_faults_on_one_resource_are_two_faults() -> None:
    events = [
        started(0, "ebs-instance-cap", "i-0abc", "EXP1"),
        started(1, "network-baseline", "i-0abc", "EXP2"),
        # The same fault again on the same instance, as a second experiment.
        started(2, "ebs-instance-cap", "i-0abc", "EXP3"),
    ]
    log = log_of(events)
    assert [o.start.ref for o in log.active] == ["EXP1", "EXP2", "EXP3"]
    log.update(ended(3, "ebs-instance-cap", "i-0abc", "EXP1"))
    assert [o.start.ref for o in log.active] == ["EXP2", "EXP3"]
    # Without experiment ids, faults are told apart by fault and target: a second start of one still
    # running is the same fault, another fault on the same target is not.
    bare = log_of(
        [
            started(0, "ebs-instance-cap", "i-0abc"),
            started(1, "network-baseline", "i-0abc"),
            started(2, "ebs-instance-cap", "i-0abc"),
            ended(3, "network-baseline", "i-0abc"),
        ]
    )
    assert [(o.fault, o.start.at, o.active) for o in bare.all] == [
        ("ebs-instance-cap", at(0), True),
        ("network-baseline", at(1), False),
    ]


def test_the_active_time_is_scenario_time_in_a_rehearsal() -> None:
    (fast,) = log_of([started(0, "lambda-errors", "fn", "EXP1", speed="10")]).active
    assert fast.speed == 10.0 and fast.active_s(at(1)) == 600.0
    (odd,) = log_of([started(0, "lambda-errors", "fn", "EXP1", speed="fast")]).active
    assert odd.speed == 1.0


def test_the_report_and_the_log_pair_the_same_way() -> None:
    events = [
        started(0, "ebs-instance-cap", "i-0abc", "EXP1"),
        ended(1, "sg-open-ssh", "sg-0", "EXP9"),
        started(2, "network-baseline", "i-0abc", "EXP2"),
        ended(3, "ebs-instance-cap", "i-0abc", "EXP1"),
    ]
    pairs = [(o.start.ref, o.end.ref if o.end else None) for o in occurrences(events)]
    assert pairs == [("EXP1", "EXP1"), ("EXP2", None)]
    assert [(o.start.ref, o.end.ref if o.end else None) for o in log_of(events).all] == pairs


# -- a replay that seeks backwards ------------------------------------------------------------


class Console:
    """What a replay plays into, with the app's journal topic: each event, or None to reload."""

    account = ""

    def __init__(self) -> None:
        self.journal: Topic[JournalEvent | None] = Topic("journal")

    def sync_header(self) -> None:
        pass

    def journal_append(self, event: JournalEvent) -> None:
        self.journal.publish(event)

    def journal_reload(self) -> None:
        self.journal.publish(None)

    def notify(self, message: str, *, timeout: float | None = None) -> None:
        pass

    def set_interval(
        self, interval: float, callback: Callable[[], Any] | None = None, *, name: str | None = None
    ) -> None:
        pass


def test_a_replay_seeking_back_reads_the_faults_again() -> None:
    journal = [
        started(0, "lambda-errors", "payments-ledger-writer", "EXP1"),
        started(2, "sg-open-ssh", "sg-0abc", "EXP2"),
        ended(6, "lambda-errors", "payments-ledger-writer", "EXP1"),
        started(8, "kinesis-write-throttle", "payments-events", "EXP3"),
        detected(9, "payments-events"),
    ]
    driver = ReplayDriver(Playback([Entry(e.at, "event", event=e) for e in journal]), source="test")
    console = Console()
    log = FaultLog(lambda: driver.events)
    console.journal.subscribe(log.update)
    driver.bind(console)  # type: ignore[arg-type]
    driver.seek_to(at(9))
    assert [o.start.ref for o in log.active] == ["EXP2", "EXP3"]
    # Back to minute 4: EXP1 has not ended yet there, and EXP3 not started.
    driver.seek_to(at(4))
    assert [o.start.ref for o in log.active] == ["EXP1", "EXP2"]
    assert [o.start.ref for o in log.all] == ["EXP1", "EXP2"]
    # Playing on from there ends EXP1 again.
    driver.seek_to(at(7))
    assert [o.start.ref for o in log.active] == ["EXP2"]
