"""The lessons-learned report: times to detect and to mitigate from a known recording (in scenario
time at speed 10), the fault nobody detected, a service in breach, notes and actions, charts, and
hostile text escaped in Markdown and HTML."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pytest

from tests.gameday.test_codec import poll_all
from tui.aws.kinesis import KinesisSnapshot
from tui.aws.limits import InstanceView, LimitsSnapshot
from tui.aws.limits_math import InstanceLimits
from tui.common import catalogue as cat
from tui.common.codec import encode
from tui.gameday import events as ev
from tui.gameday.charts import BLOCKS, sparkline, svg_line_chart
from tui.gameday.events import JournalEvent
from tui.gameday.record import Recorder, read_recording
from tui.gameday.report import CHART_PANES, analyse, render_html, render_markdown

T = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)
ORIGIN = T - timedelta(seconds=60)
TARGET = "i-0abc123def4567890"
BUCKET = "warroom-public-assets"
HOSTILE = "<script>alert(1)</script> & EBS | pinned"


def at(seconds: float) -> datetime:
    return T + timedelta(seconds=seconds)


def scenario(extra: dict[str, str] | None = None) -> MappingProxyType[str, str]:
    detail = {
        "speed": "10",
        "scenario_start": ORIGIN.isoformat(),
        "scenario": "checkout-peak",
        "origin": "scenario",
    }
    detail.update(extra or {})
    return MappingProxyType(detail)


def journal() -> list[JournalEvent]:
    def e(seconds: float, kind: str, text: str, **kwargs: Any) -> JournalEvent:
        return JournalEvent(
            at=at(seconds), kind=kind, source=kwargs.pop("source", "console"), text=text, **kwargs
        )

    return [
        e(0, ev.FAULT_STARTED, "fault started: EBS capped", source="fis", resource=TARGET,
          fault="ebs-instance-cap", ref="EXP1", level="warning", detail=scenario()),
        e(30, ev.DETECTED, "network at 85%", source="limits", resource=TARGET, metric="instance.network",
          value=0.85, limit=0.8, unit="ratio", level="warning"),
        e(60, ev.ACTION, "revoke ingress on sg-0zzz", resource="sg-0zzz"),
        e(75, ev.DETECTED, "EBS at 97% of the instance maximum", source="limits", resource=TARGET,
          metric="instance.ebs", value=0.97, limit=0.95, unit="ratio", level="critical"),
        e(80, ev.SERVICE_IMPAIRED, "Checkout impaired", resource="Checkout", ref="Checkout",
          detail=MappingProxyType({"tolerance_s": "60", "tolerance_minutes": "1"})),
        e(90, ev.ACTION, f"throttled the batch job on {TARGET}", resource=TARGET),
        e(100, ev.FAULT_STARTED, "fault started: public bucket", source="fis", resource=BUCKET,
          fault="s3-public-bucket", ref="EXP2", detail=scenario({"origin": "facilitator"})),
        e(120, ev.NOTE, HOSTILE, source="person", detail=MappingProxyType({"author": "alice"})),
        e(140, ev.SERVICE_BREACH, "Checkout: impaired longer than its 1 min tolerance", resource="Checkout",
          ref="Checkout", level="critical", detail=MappingProxyType({"tolerance_s": "60"})),
        e(150, ev.RECOVERED, "EBS back to 60%", source="limits", resource=TARGET, metric="instance.ebs",
          value=0.6, limit=0.9, unit="ratio"),
        e(160, ev.SERVICE_RESTORED, "Checkout restored", resource="Checkout", ref="Checkout",
          detail=MappingProxyType({"tolerance_s": "60", "breached": "yes"})),
        e(200, ev.FAULT_ENDED, "fault completed", source="fis", resource=TARGET, fault="ebs-instance-cap",
          ref="EXP1"),
        e(400, ev.FAULT_ENDED, "fault completed", source="fis", resource=BUCKET, fault="s3-public-bucket",
          ref="EXP2", detail=scenario({"status": "completed"})),
    ]  # fmt: skip


def ebs_share(seconds: float) -> float | None:
    if seconds == 45:
        return None
    return 0.97 if 60 <= seconds <= 150 else 0.3


def limits(seconds: float) -> LimitsSnapshot:
    instance = InstanceView(
        region="us-east-1",
        instance_id=TARGET,
        name="checkout-web-1",
        instance_type="m5.large",
        state="running",
        tags=(("Name", "checkout-web-1"), ("Service", "checkout")),
        period_s=60,
        limits=InstanceLimits(ebs_baseline_mbs=81.25, ebs_max_mbs=593.75),
        ebs_utilization=ebs_share(seconds),
    )
    return LimitsSnapshot(fetched_at=at(seconds), period_s=60, instances=(instance,))


class Clock:
    def __init__(self) -> None:
        self.at = T

    def __call__(self) -> datetime:
        return self.at


def record_game_day(path: Path) -> None:
    clock = Clock()
    clock.at = at(-120)
    recorder = Recorder(path, meta={"facilitator": "bo"}, clock=clock)
    items: list[tuple[float, Any]] = [(e.at.timestamp() - T.timestamp(), e) for e in journal()]
    items += [(float(s), limits(s)) for s in range(-120, 421, 15)]
    items.sort(key=lambda pair: (pair[0], isinstance(pair[1], JournalEvent)))
    for seconds, item in items:
        clock.at = at(seconds)
        if isinstance(item, JournalEvent):
            recorder.event(item)
        else:
            recorder.snapshot("limits", item)
    recorder.close()
    assert recorder.problem is None


@pytest.fixture
def recording_path(tmp_path: Path) -> Path:
    path = tmp_path / "checkout-peak.jsonl"
    record_game_day(path)
    return path


def test_times_to_detect_and_mitigate_in_scenario_time(recording_path: Path) -> None:
    review = analyse(read_recording(recording_path))
    assert review.clock.speed == 10.0 and review.clock.origin == ORIGIN and review.clock.from_scenario
    assert review.title == "checkout-peak"
    first, second = review.faults

    assert first.fault == "ebs-instance-cap" and first.target == TARGET and first.origin == "scenario"
    assert first.started == T
    assert review.clock.label(first.started) == "T+10:00"
    assert first.detection is not None
    assert first.detection.metric == "instance.ebs", "the catalogue's signal is preferred to an earlier one"
    assert first.detection.at == at(75) and first.detection.expected
    assert first.detection.reading() == "97% vs limit 95%"
    assert [s.metric for s in first.other_signals] == ["instance.network"]
    assert first.time_to_detect_s == 75.0
    assert first.ttd_text() == "12m30s (wall 1m15s)"
    assert first.first_action is not None and first.first_action.at == at(90), "the action on the target"
    assert first.mitigated == at(150) and first.mitigated_by == "recovered"
    assert first.ttm_text() == "25m (wall 2m30s)"
    assert first.ended == at(200)

    assert second.fault == "s3-public-bucket" and not second.detected and second.origin == "facilitator"
    assert second.ttd_text() == "not detected"
    assert second.first_action is None, "a change to another resource is not the response to it"
    # Its duration ran out: it ended, nobody mitigated it, and it has no time to mitigate.
    assert second.mitigated is None and second.ended_how == "expired" and second.ended == at(400)
    assert second.time_to_mitigate_s is None
    assert second.ttm_text() == "expired, not mitigated"
    assert review.undetected == (second,)

    assert review.summary.faults == 2 and review.summary.detected == 1
    assert review.summary.median_ttd_s == 750.0
    assert review.summary.median_ttm_s == 1500.0, "only the mitigated fault counts"

    (service,) = review.services
    assert service.name == "Checkout" and service.tolerance_s == 60.0
    assert service.breached and service.breach_at == at(140)
    assert service.impaired_s == 80.0 and service.longest_s == 80.0 and not service.still_impaired
    assert service.impaired_text() == "1m20s (scenario 13m20s)"

    assert [r.at for r in review.timeline] == [e.at for e in journal()]
    assert review.timeline[0].clock == "T+10:00" and review.timeline[0].wall == "10:00:00"
    assert [r.at for r in review.actions] == [at(60), at(90)]
    (note,) = review.notes
    assert note.author == "alice" and note.text == HOSTILE


def test_charts_follow_the_fault_metric_from_the_snapshots(recording_path: Path) -> None:
    review = analyse(read_recording(recording_path))
    ebs, bucket = review.charts
    assert ebs.fault == "ebs-instance-cap" and ebs.unit == "%"
    times = [t for t, _ in ebs.points]
    assert times[0] == at(-120) and times[-1] == at(420), "5 minutes either side, within the recording"
    assert ebs.threshold == pytest.approx(95.0)
    values = dict(ebs.points)
    assert values[at(45)] is None
    assert values[at(90)] == pytest.approx(97.0)
    assert "min 30%, max 97%" in ebs.words()
    assert bucket.fault == "s3-public-bucket" and bucket.points == ()
    assert bucket.note == "no findings snapshots recorded around this fault"
    assert analyse(read_recording(recording_path, panes=CHART_PANES)) == analyse(
        read_recording(recording_path)
    )


def test_markdown_has_every_section_and_calls_out_the_miss(recording_path: Path) -> None:
    text = render_markdown(analyse(read_recording(recording_path)))
    headings = re.findall(r"^## (.+)$", text, flags=re.MULTILINE)
    assert headings == [
        "Summary",
        "Faults",
        "Not detected",
        "Business services",
        "Timeline",
        "Actions",
        "Notes",
        "Charts",
    ]
    assert "- Detected: 1 of 2" in text
    assert "- Median time to detect: 12m30s (scenario time)" in text
    missed = text.split("## Not detected", 1)[1].split("## ", 1)[0]
    assert BUCKET in missed and "should have been caught by the findings pane, metric finding.new" in missed
    assert "12m30s (wall 1m15s)" in text and "25m (wall 2m30s)" in text
    assert "BREACHED" in text
    sparks = re.findall(rf"`([{BLOCKS} ]+)`", text)
    assert sparks, "the chart is drawn as a sparkline"
    assert "█" in sparks[0] and " " in sparks[0], "the peak at the top, the missing value a gap"
    assert "threshold 95%" in text
    assert "<script>" not in text
    assert "\\<script\\>alert(1)\\</script\\> \\& EBS \\| pinned" in text


def test_html_is_self_contained_and_escapes_hostile_text(recording_path: Path) -> None:
    page = render_html(analyse(read_recording(recording_path)))
    assert page.startswith("<!DOCTYPE html>")
    assert "<script" not in page.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; EBS | pinned" in page
    assert "<style>" in page and "<link" not in page and "src=" not in page
    assert page.count("<svg") == 1
    assert "stroke-dasharray" in page
    assert "NOT DETECTED" in page and "BREACHED" in page
    svg = page[page.index("<svg") : page.index("</svg>") + len("</svg>")]
    ET.fromstring(svg)


def test_a_journal_without_a_scenario_counts_from_its_start(tmp_path: Path) -> None:
    path = tmp_path / "journal.jsonl"
    lag = "kinesis-consumer-lag"
    events = [
        JournalEvent(at(0), ev.FAULT_STARTED, "fis", "fault", resource="orders", fault=lag),
        JournalEvent(
            at(95), ev.DETECTED, "kinesis", "age 60%", resource="orders", metric="stream.iterator_age",
            value=0.6, limit=0.5, unit="ratio",
        ),
        JournalEvent(at(300), ev.FAULT_ENDED, "fis", "ended", resource="orders", fault=lag),
    ]  # fmt: skip
    path.write_bytes(b"".join(encode(e) + b"\n" for e in events))
    review = analyse(read_recording(path))
    assert not review.clock.from_scenario and review.clock.speed == 1.0
    (fault,) = review.faults
    assert fault.ttd_text() == "1m35s"
    assert fault.ttm_text() == "ended, not mitigated", "no action, no fix: the recording only says it ended"
    assert review.timeline[1].clock == "T+01:35"
    assert review.charts[0].note == "no kinesis snapshots recorded around this fault"
    text = render_markdown(review)
    assert "Every fault was detected." in text
    assert "Times are counted from the start of the recording" in text


def test_a_compressed_rehearsal_measures_services_in_scenario_time(tmp_path: Path) -> None:
    path = tmp_path / "journal.jsonl"
    tolerance = MappingProxyType({"tolerance_s": "900", "speed": "10"})
    events = [
        JournalEvent(at(0), ev.SERVICE_IMPAIRED, "console", "Card impaired", resource="Card", ref="Card",
                     detail=tolerance),
        JournalEvent(at(90), ev.SERVICE_BREACH, "console", "Card breach", resource="Card", ref="Card",
                     detail=tolerance),
        JournalEvent(at(150), ev.SERVICE_RESTORED, "console", "Card restored", resource="Card", ref="Card",
                     detail=MappingProxyType({**tolerance, "breached": "yes"})),
    ]  # fmt: skip
    path.write_bytes(b"".join(encode(e) + b"\n" for e in events))
    (service,) = analyse(read_recording(path)).services
    assert service.breached and service.breach_at == at(90)
    assert service.longest_text() == "25m (wall 2m30s)"
    assert service.share_text() == "167% of tolerance"


def test_sparkline() -> None:
    assert sparkline([0, None, 5, 10]) == "▁ ▅█"
    assert sparkline([2.0, 2.0]) == "▄▄"
    assert sparkline([None, None]) == "  "
    assert sparkline([]) == ""
    assert sparkline([50, 200], low=0, high=100) == "▅█", "values outside the scale are clamped"


def test_svg_chart_escapes_text_and_leaves_gaps() -> None:
    points = [(at(n * 60), v) for n, v in enumerate([1.0, 2.0, None, 4.0, 5.0, None, 3.0])]
    svg = svg_line_chart(
        points,
        threshold=4.5,
        start=at(60),
        end=at(240),
        width=400,
        height=160,
        title='<b>"hi" & bye</b>',
        unit="<u>",
    )
    root = ET.fromstring(svg)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert "<b>" not in svg and "&lt;b&gt;&quot;hi&quot; &amp; bye&lt;/b&gt;" in svg
    assert "&lt;u&gt;" in svg
    assert svg.count("<polyline") == 2 and svg.count("<circle") == 1, "two runs and a lone point"
    assert 'stroke-dasharray="6 4"' in svg
    assert "fault window" in svg
    empty = svg_line_chart([], threshold=None, start=at(0), end=at(60), title="none", unit="")
    assert "no data recorded" in empty
    ET.fromstring(empty)


# ---------------------------------------------------------------------------------------------
# Charts from real snapshots
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def real(sim_url: str) -> dict[str, Any]:
    return poll_all(sim_url)


def real_targets(real: dict[str, Any]) -> dict[str, str]:
    """A target from the seeded workload for every catalogue fault, one whose metric is known."""
    lim: LimitsSnapshot = real["limits"]
    kin: KinesisSnapshot = real["kinesis"]
    ebs = next(i for i in lim.instances if i.ebs_utilization is not None)
    net = next(i for i in lim.instances if i.net_utilization is not None)
    volume = next(v for i in lim.instances for v in i.volumes if v.utilization is not None)
    stream = next(s for s in kin.streams if s.iterator_age_retention_fraction is not None)
    throttled = next(s for s in kin.streams if s.write_throttled is not None and s.incoming_records_per_s)
    function = next(fn for s in kin.streams for fn in s.lambdas if fn.errors is not None)
    node = real["sessions"].instances[0]
    group = next(
        f.resource_id.rsplit("/", 1)[-1]
        for f in real["findings"].findings
        if f.record_state == "ACTIVE" and f.severity in ("CRITICAL", "HIGH") and "sg-" in f.resource_id
    )
    return {
        "ebs-instance-cap": ebs.instance_id,
        "network-baseline": net.instance_id,
        "io2-instance-cap": volume.volume_id,
        "kinesis-consumer-lag": stream.stream_name,
        "kinesis-write-throttle": throttled.stream_name,
        "lambda-errors": function.function_name,
        "ssm-connection-lost": node.instance_id,
        "sg-open-ssh": group,
    }


def test_every_chart_reads_its_metric_from_real_snapshots(real: dict[str, Any], tmp_path: Path) -> None:
    targets = real_targets(real)
    path = tmp_path / "real.jsonl"
    clock = Clock()
    with Recorder(path, meta={}, clock=clock) as recorder:
        for n, (fault, target) in enumerate(targets.items()):
            clock.at = at(n)
            recorder.event(
                JournalEvent(at(n), ev.FAULT_STARTED, "fis", f"{fault} started", resource=target, fault=fault)
            )
        for minute in range(3):
            for pane in ("limits", "kinesis", "sessions", "findings"):
                clock.at = at(60 * minute + 30)
                recorder.snapshot(pane, real[pane])
    review = analyse(read_recording(path))
    assert [c.fault for c in review.charts] == list(targets)
    for chart in review.charts:
        assert len(chart.points) == 3, chart.title
        assert chart.known, f"{chart.title}: no value for {chart.target} in the real snapshots"
        assert chart.threshold is not None, chart.title
    by_fault = {c.fault: c for c in review.charts}
    assert by_fault["sg-open-ssh"].known[0] >= 1, "the group's CRITICAL/HIGH findings are counted"
    assert by_fault["ssm-connection-lost"].known[0] in (0.0, 1.0)
    page = render_html(review)
    assert page.count("<svg") == len(targets)
    assert "No fault started" not in render_markdown(review)


# ---------------------------------------------------------------------------------------------
# Verdicts that come from the exercise
# ---------------------------------------------------------------------------------------------


def write_journal(path: Path, events: list[JournalEvent]) -> Path:
    path.write_bytes(b"".join(encode(e) + b"\n" for e in events))
    return path


def test_only_a_fix_or_a_signal_cleared_after_an_action_is_mitigation(tmp_path: Path) -> None:
    lag, mem, ssh = "kinesis-consumer-lag", "memory-pressure", "sg-open-ssh"

    def started(s: float, fault: str, target: str, ref: str) -> JournalEvent:
        return JournalEvent(
            at(s), ev.FAULT_STARTED, "fis", "fault", resource=target, fault=fault, ref=ref, detail=scenario()
        )

    def ended(s: float, fault: str, target: str, ref: str, **detail: str) -> JournalEvent:
        return JournalEvent(
            at(s),
            ev.FAULT_ENDED,
            "fis",
            "ended",
            resource=target,
            fault=fault,
            ref=ref,
            detail=scenario(detail),
        )

    def signal(s: float, kind: str, metric: str, target: str) -> JournalEvent:
        return JournalEvent(at(s), kind, "kinesis", kind, resource=target, metric=metric, level="warning")

    events = [
        started(0, lag, "orders", "E1"),
        signal(90, ev.DETECTED, "stream.iterator_age", "orders"),
        # The signal dips under its line on its own, and nobody acted: not mitigated.
        signal(150, ev.RECOVERED, "stream.iterator_age", "orders"),
        started(160, mem, "i-0settle", "E2"),
        signal(200, ev.DETECTED, "instance.memory", "i-0settle"),
        JournalEvent(at(220), ev.ACTION, "console", "restart the worker", resource="i-0settle"),
        signal(260, ev.RECOVERED, "instance.memory", "i-0settle"),
        started(270, ssh, "sg-0app", "E3"),
        JournalEvent(at(280), ev.FINDING_NEW, "findings", "new CRITICAL", resource="sg-0app",
                     metric="finding.new"),
        ended(330, ssh, "sg-0app", "E3", status="completed", outcome="mitigated: the rule was revoked"),
        ended(360, lag, "orders", "E1", status="completed"),
        ended(400, mem, "i-0settle", "E2", status="stopped"),
    ]  # fmt: skip
    review = analyse(read_recording(write_journal(tmp_path / "j.jsonl", events)))
    by_fault = {f.fault: f for f in review.faults}
    expired, fixed_by_action, fixed = by_fault[lag], by_fault[mem], by_fault[ssh]
    assert expired.mitigated is None and expired.time_to_mitigate_s is None
    assert expired.ttm_text() == "expired, not mitigated"
    assert fixed_by_action.mitigated == at(260) and fixed_by_action.mitigated_by == "recovered"
    assert fixed_by_action.ttm_text() == "16m40s (wall 1m40s)"
    assert fixed.mitigated == at(330) and fixed.mitigated_by == "fixed by the team"
    assert review.summary.median_ttm_s == (1000.0 + 600.0) / 2
    text = render_markdown(review)
    assert "expired, not mitigated: ended T+1:10:00" in text
    assert "Ended without being mitigated: 1 (1 expired: #1)" in text


def test_a_fault_shorter_than_a_cloudwatch_minute_is_too_short_to_detect(tmp_path: Path) -> None:
    cap = "ebs-instance-cap"
    events = [
        JournalEvent(at(0), ev.FAULT_STARTED, "fis", "fault", resource=TARGET, fault=cap, ref="E1",
                     detail=scenario()),
        JournalEvent(at(40), ev.FAULT_ENDED, "fis", "ended", resource=TARGET, fault=cap, ref="E1",
                     detail=scenario({"status": "completed"})),
        JournalEvent(at(50), ev.FAULT_STARTED, "fis", "fault", resource=BUCKET, fault="s3-public-bucket",
                     ref="E2", detail=scenario()),
        JournalEvent(at(400), ev.FAULT_ENDED, "fis", "ended", resource=BUCKET, fault="s3-public-bucket",
                     ref="E2", detail=scenario({"status": "completed"})),
    ]  # fmt: skip
    review = analyse(read_recording(write_journal(tmp_path / "j.jsonl", events)))
    short, missed = review.faults
    assert short.undetected_reason.startswith("too short to detect: it lasted 40s wall (scenario 6m40s)")
    assert short.ttd_text() == "too short to detect"
    assert review.too_short == (short,) and review.undetected == (missed,)
    text = render_markdown(review)
    assert text.count("NOT DETECTED") == 1, "only the fault that lasted long enough is a miss"
    assert "Detected: 0 of 2 (1 could not be: too short to detect)" in text


def test_the_reporting_delay_is_stated_beside_the_time_to_detect(recording_path: Path) -> None:
    review = analyse(read_recording(recording_path))
    first = review.faults[0]
    # Limits snapshots every 15 s in this recording: a metric is seen 1 to 2 minutes and 15 s
    # after the fact.
    assert first.delay_s == (60.0, 135.0)
    delay = "reporting delay at speed 10: 10m to 22m30s (wall 1m to 2m15s)"
    assert first.delay_text() == delay
    text = render_markdown(review)
    assert f"12m30s (wall 1m15s); {delay}" in text
    assert "that is 10m to 22m30s of scenario time, included in each time to detect" in text


def test_chart_windows_end_where_the_recording_ends(recording_path: Path) -> None:
    review = analyse(read_recording(recording_path))
    ebs = review.charts[0]
    # The fault ended at 200 s; five minutes after is past the recording's end at 420 s.
    assert ebs.end == at(200) and ebs.window_end == at(420) and ebs.window_start == at(-120)
    assert "window T-10:00 to T+1:20:00, fault T+10:00 to T+43:20" in render_markdown(review)


def test_a_reader_stalled_too_briefly_to_tell_from_a_slow_one_says_so(tmp_path: Path) -> None:
    from tests.gameday.test_detect import kinesis, stream

    lag = "kinesis-consumer-lag"
    path = tmp_path / "lag.jsonl"
    clock = Clock()
    clock.at = at(-60)
    recorder = Recorder(path, meta={}, clock=clock)
    for seconds in range(-60, 241, 30):
        clock.at = at(seconds)
        recorder.snapshot("kinesis", kinesis(stream(iterator_age_ms=300_000.0), when=at(seconds)))
        if seconds in (0, 210):
            kind, status = (ev.FAULT_STARTED, "running") if seconds == 0 else (ev.FAULT_ENDED, "completed")
            detail = scenario({"status": status})
            recorder.event(
                JournalEvent(at(seconds), kind, "fis", kind, resource="payments-events", fault=lag, ref="E1",
                             detail=detail)
            )  # fmt: skip
    recorder.close()
    review = analyse(read_recording(path))
    (fault,) = review.faults
    assert fault.undetected_reason == (
        "too short to detect: it lasted 3m30s wall (scenario 35m), less than the 4m of complete minutes "
        "in which a reader's lag must grow at time's pace before it counts as stalled"
    )
    assert review.undetected == () and review.too_short == (fault,)
    assert "NOT DETECTED" not in render_markdown(review)


def test_a_stalled_reader_detects_the_consumer_lag_fault(tmp_path: Path) -> None:
    from tests.gameday.test_detect import kinesis, reader, stream

    lag = "kinesis-consumer-lag"
    path = tmp_path / "lag.jsonl"
    clock = Clock()
    recorder = Recorder(path, meta={}, clock=clock)
    for seconds in range(-60, 481, 60):
        clock.at = at(seconds)
        growth = 1000.0 if seconds >= 60 else 0.0
        behind = 5_000.0 + 1000.0 * max(0, seconds)
        stuck = reader("projector", behind, growth, seconds >= 240)
        recorder.snapshot("kinesis", kinesis(stream(readers=(stuck,)), when=at(seconds)))
        if seconds == 0:
            recorder.event(
                JournalEvent(at(0), ev.FAULT_STARTED, "fis", "started", resource="payments-events", fault=lag,
                             ref="E1", detail=scenario({"status": "running"}))
            )  # fmt: skip
        if seconds == 240:
            recorder.event(
                JournalEvent(at(240), ev.DETECTED, "kinesis", "payments-events / projector: reader stalled",
                             resource="payments-events/projector", metric=cat.M_READER_STALLED, fault=lag,
                             value=1.0, limit=0.9, unit="ms/ms", level="critical",
                             detail={"name": "projector", "stream": "payments-events"})
            )  # fmt: skip
    recorder.close()
    review = analyse(read_recording(path))
    (fault,) = review.faults
    assert fault.detected and fault.detection is not None
    assert fault.detection.metric == cat.M_READER_STALLED
    assert fault.expected is not None and fault.expected.metric == cat.M_READER_STALLED
    (chart,) = review.charts
    assert max(v for _, v in chart.points if v is not None) == pytest.approx(1.0)
