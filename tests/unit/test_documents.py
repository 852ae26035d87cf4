"""What ``warroom snapshot PANE --json`` prints, without a simulator: each pane's view keeps its
documented keys in their order, leaves out what it has no value for, and prints as ASCII."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from tests.json_doc import KEYS, check_document, json_of, places_of
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
    assert check_document("limits", doc) == 2
    first, second = doc["quotas"]
    assert list(first) == ["code", "name", "value", "usage", "utilization", "region", "account_id"]
    assert first["account_id"] is None, "a quota read before the account was known says so"
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


PAYMENTS, LEDGER = "210987654321", "345678901234"


def test_every_item_of_the_limits_document_says_its_account_and_region() -> None:
    from tui.aws.limits import InstanceView, VolumeView
    from tui.aws.limits_math import Hint, InstanceLimits

    def vol(volume_id: str, region: str, account: str, instance: str | None) -> VolumeView:
        return VolumeView(
            region, volume_id, "", "gp3", 100, "in-use", instance, "/dev/sdf", None, account_id=account
        )

    db = InstanceView(
        "eu-west-1", "i-db", "payments-db-1", "m5.xlarge", "running", (), 60, InstanceLimits(),
        volumes=(vol("vol-data", "eu-west-1", PAYMENTS, "i-db"),), account_id=PAYMENTS,
    )  # fmt: skip
    spare = vol("vol-spare", "us-east-1", LEDGER, None)
    snapshot = LimitsSnapshot(
        fetched_at=AT,
        period_s=60,
        instances=(db,),
        unattached=(spare,),
        quotas=(QuotaView("eu-west-1", "L-1216C47A", "vCPU", 640.0, 4.0, 0.01, "ok", "", PAYMENTS),),
        hints=(
            Hint("vol-spare", "unattached", "unattached 100 GiB gp3"),
            Hint("vol-data", "idle", "idle"),
            Hint("i-db", "underused", "underused"),
        ),
    )
    doc = json_of(snapshot)
    assert check_document("limits", doc) == 6
    assert doc["unattached_volumes"] == [
        {
            "volume_id": "vol-spare",
            "volume_type": "gp3",
            "size_gib": 100,
            "region": "us-east-1",
            "account_id": LEDGER,
        }
    ]
    assert [(h["resource_id"], h["account_id"], h["region"]) for h in doc["hints"]] == [
        ("vol-spare", LEDGER, "us-east-1"),
        ("vol-data", PAYMENTS, "eu-west-1"),
        ("i-db", PAYMENTS, "eu-west-1"),
    ], "a hint is where its volume or instance is"
    assert places_of("limits", doc) == {(PAYMENTS, "eu-west-1"), (LEDGER, "us-east-1")}


def test_sessions_alarms_and_experiments_say_their_account_and_region() -> None:
    from tui.aws.alarms import AlarmsSnapshot
    from tui.aws.alarms_model import Alarm
    from tui.aws.fis import ExperimentView, FisSnapshot, TemplateView
    from tui.aws.sessions import ManagedTarget, SessionsSnapshot, SessionView

    node = ManagedTarget(
        "i-1", "web-1", "EC2Instance", "Online", "Linux", "Amazon Linux", "2023", "3.3", False,
        "10.0.0.1", "ip-10-0-0-1", AT, "eu-west-1", account_id=LEDGER,
    )  # fmt: skip
    shell = SessionView(
        "alice-0a1b", "i-1", "alice", "Connected", AT, None, None, None, "eu-west-1", True, LEDGER
    )
    sessions = json_of(SessionsSnapshot(fetched_at=AT, instances=(node,), active=(shell,)))
    assert check_document("sessions", sessions) == 2
    assert places_of("sessions", sessions) == {(LEDGER, "eu-west-1")}

    arn = f"arn:aws:cloudwatch:eu-west-1:{PAYMENTS}:alarm:cpu"
    alarm = Alarm("eu-west-1", "cpu", arn, "metric", "OK", "fine", AT, True)
    no_arn = Alarm("us-east-1", "cpu", "", "metric", "OK", "fine", AT, True)
    alarms = json_of(AlarmsSnapshot(fetched_at=AT, alarms=(alarm, no_arn)))
    assert check_document("alarms", alarms) == 2
    assert places_of("alarms", alarms) == {(PAYMENTS, "eu-west-1"), (None, "us-east-1")}

    template = TemplateView(
        "us-east-1", "EXT1", "drill", "sg-open-ssh", (), (), "", (), {},
        arn=f"arn:aws:fis:us-east-1:{PAYMENTS}:experiment-template/EXT1",
    )  # fmt: skip
    run = ExperimentView(
        "us-east-1", "EXP1", "EXT1", "running", "", "sg-open-ssh", "", "console", None, None, {},
        arn=f"arn:aws:fis:us-east-1:{PAYMENTS}:experiment/EXP1",
    )  # fmt: skip
    fis = json_of(FisSnapshot(fetched_at=AT, templates=(template,), experiments=(run,)))
    assert check_document("fis", fis) == 2
    assert places_of("fis", fis) == {(PAYMENTS, "us-east-1")}


def test_the_readme_lists_every_documented_key_in_order() -> None:
    from pathlib import Path

    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    for where, keys in KEYS.items():
        row = f"| `{where}` | " + ", ".join(f"`{key}`" for key in keys) + " |"
        assert row in readme, f"README.md's table of the documents lacks {row}"
