"""What ``warroom snapshot PANE --json`` prints, without a simulator: each pane's view keeps its
documented keys in their order, leaves out what it has no value for, and prints as ASCII."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from tests.json_doc import json_of
from tui.aws import documents
from tui.aws.errors import AwsProblem, ErrorKind
from tui.aws.kinesis import UNKNOWN, KinesisSnapshot, StreamView
from tui.aws.limits import LimitsSnapshot, QuotaView
from tui.aws.outcome import ApiError
from tui.aws.overview import OverviewSnapshot
from tui.common.codec import pretty

AT = datetime(2026, 3, 1, 10, 0, 0, 123456, tzinfo=UTC)


def test_a_quota_names_its_problem_only_when_it_has_one() -> None:
    known = QuotaView("us-east-1", "L-1216C47A", "Running On-Demand", 640.0, 24.0, 0.0375, "ok")
    unknown = QuotaView("us-east-1", "L-34B43A08", "Spot", None, None, None, "unknown", "access denied")
    doc = json_of(LimitsSnapshot(fetched_at=AT, period_s=60, quotas=(known, unknown)))
    assert list(doc) == [
        "fetched_at",
        "period_s",
        "instances",
        "unattached_volumes",
        "quotas",
        "hints",
        "errors",
    ]
    first, second = doc["quotas"]
    assert list(first) == ["code", "name", "value", "usage", "utilization", "region"]
    assert second["problem"] == "access denied" and second["value"] is None
    assert doc["fetched_at"] == "2026-03-01T10:00:00.123456Z"


def test_the_polls_own_failure_comes_last_without_region_or_hint() -> None:
    failed = ApiError("eu-west-1", "kinesis:ListStreams", "access denied", "grant kinesis:ListStreams")
    problem = AwsProblem(ErrorKind.THROTTLED, "slowed down", "backing off", "Throttling", "ListStreams")
    doc = json_of(KinesisSnapshot(fetched_at=AT, errors=(failed,), error=problem))
    assert doc["errors"] == [
        {
            "api": "kinesis:ListStreams",
            "message": "access denied",
            "region": "eu-west-1",
            "hint": "grant kinesis:ListStreams",
        },
        {"api": "ListStreams", "message": "slowed down — backing off"},
    ]


def test_a_stream_renames_rounds_and_nulls_what_it_does_not_know() -> None:
    stream = StreamView(
        region="us-east-1",
        stream_name="orders",
        stream_arn="",
        mode=UNKNOWN,
        status="ACTIVE",
        open_shards=2,
        retention_hours=24,
        consumer_count=3,
        efo_count=1,
        usage_factor=0.123456789,
        iterator_age_ms=1234.56,
        time_to_risk_s=99.6,
    )
    row = json_of(KinesisSnapshot(fetched_at=AT, streams=(stream,)))["streams"][0]
    assert row["stream_arn"] is None and row["mode"] is None and row["status"] == "ACTIVE"
    assert (row["consumers"], row["efo_consumers"]) == (3, 1)
    assert (row["usage_factor"], row["iterator_age_ms"], row["time_to_risk_s"]) == (0.1235, 1234.6, 100.0)
    assert "consumer_count" not in row and "history" not in row


def test_a_snapshot_without_a_view_is_its_own_document() -> None:
    snap = OverviewSnapshot(fetched_at=AT, identity=None, regions=())
    assert documents.document(snap) is snap
    assert json_of(snap) == {
        "fetched_at": "2026-03-01T10:00:00.123456Z",
        "identity": None,
        "regions": [],
        "error": None,
    }


def test_printed_documents_are_indented_ascii() -> None:
    quota = QuotaView("us-east-1", "L-1", "Café \u009b[31m quota 😀", 1.0, 0.0, 0.0, "ok")
    text = pretty(documents.document(LimitsSnapshot(fetched_at=AT, period_s=60, quotas=(quota,))))
    assert text.isascii() and "\\u00e9" in text and "\\u009b" in text and "\\ud83d\\ude00" in text
    assert text.startswith('{\n  "fetched_at": "2026-03-01T10:00:00.123456Z",\n  "period_s": 60,')
    assert json.loads(text)["quotas"][0]["name"] == "Café \u009b[31m quota 😀"
