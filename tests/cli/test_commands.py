"""The commands as a user runs them: --help, --version, sim serve, snapshot."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest

from tests.json_doc import check_document, places_of
from tests.waits import read_line
from tui import __version__
from tui.cli import build_parser
from tui.common.codec import encode

WARROOM = [sys.executable, "-m", "tui.cli"]


def _env(tmp_path: object) -> dict[str, str]:
    env = dict(os.environ)
    env["WARROOM_STATE_DIR"] = str(tmp_path)
    return env


def test_help_documents_every_command() -> None:
    out = subprocess.run([*WARROOM, "--help"], capture_output=True, text=True, check=True, timeout=60).stdout
    for word in (
        "demo", "sim", "snapshot", "record", "replay", "report", "--profile", "--region", "--endpoint-url",
        "--read-only", "--record", "--journal", "--services", "config",
    ):  # fmt: skip
        assert word in out
    sim = subprocess.run(
        [*WARROOM, "sim", "serve", "--help"], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    for word in ("--host", "--port", "--seed", "--empty", "--scenario", "--speed"):
        assert word in sim


def test_version() -> None:
    out = subprocess.run(
        [*WARROOM, "--version"], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    assert out.strip() == f"warroom {__version__}"


def test_regions_accumulate_like_a_list() -> None:
    args = build_parser().parse_args(["--region", "us-east-1", "eu-west-1", "--region", "ap-south-1"])
    assert args.regions == ["us-east-1", "eu-west-1", "ap-south-1"]
    snap = build_parser().parse_args(["snapshot", "overview", "--json", "--profile", "p", "--region", "r"])
    assert snap.profile == "p" and snap.regions == ["r"]
    listed = ["snapshot", "limits", "--json", "--regions", "us-east-1,eu-west-1", "--region", "us-east-1"]
    assert build_parser().parse_args(listed).regions == ["us-east-1", "eu-west-1"], "each once, in order"


def test_a_region_list_with_a_hole_or_a_wrong_name_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    for given in ("us-east-1,,eu-west-1", "us-east-1,EU West"):
        with pytest.raises(SystemExit):
            build_parser().parse_args(["snapshot", "limits", "--json", "--regions", given])
        assert "is not a region name, like us-east-1" in capsys.readouterr().err


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    proc = subprocess.Popen(
        [*WARROOM, "sim", "serve", "--port", "0", "--seed", "3"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(tmp_path_factory.mktemp("state")),
    )
    assert proc.stdout is not None
    try:
        url = read_line(proc.stdout, within=60, what="warroom sim serve printing its URL").strip()
        assert url.startswith("http://127.0.0.1:"), url
        yield url
    finally:
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=20)
        assert proc.returncode == 0
        # Only the usage lines, never a request log.
        assert all(line.startswith("#") for line in err.splitlines() if line.strip()), err


def _boto(url: str, service: str) -> object:
    return boto3.client(
        service,
        region_name="us-east-1",
        endpoint_url=url,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def test_sim_serve_answers_boto3(served: str) -> None:
    ec2 = _boto(served, "ec2")
    instances = [i for r in ec2.describe_instances()["Reservations"] for i in r["Instances"]]  # type: ignore[attr-defined]
    assert 8 <= len(instances) <= 12

    hub = _boto(served, "securityhub")
    high = hub.get_findings(Filters={"SeverityLabel": [{"Value": "HIGH", "Comparison": "EQUALS"}]})  # type: ignore[attr-defined]
    assert high["Findings"] and all(f["Severity"]["Label"] == "HIGH" for f in high["Findings"])
    target = high["Findings"][0]
    reply = hub.batch_update_findings(  # type: ignore[attr-defined]
        FindingIdentifiers=[{"Id": target["Id"], "ProductArn": target["ProductArn"]}],
        Workflow={"Status": "NOTIFIED"},
    )
    assert len(reply["ProcessedFindings"]) == 1
    again = hub.get_findings(Filters={"Id": [{"Value": target["Id"], "Comparison": "EQUALS"}]})  # type: ignore[attr-defined]
    assert again["Findings"][0]["Workflow"]["Status"] == "NOTIFIED"

    ssm = _boto(served, "ssm")
    pages = ssm.get_paginator("describe_instance_information").paginate()  # type: ignore[attr-defined]
    nodes = [n for page in pages for n in page["InstanceInformationList"]]
    assert sum(1 for n in nodes if n["InstanceId"].startswith("mi-")) == 2

    volume = ec2.describe_volumes(Filters=[{"Name": "status", "Values": ["in-use"]}])["Volumes"][0]  # type: ignore[attr-defined]
    cw = _boto(served, "cloudwatch")
    end = datetime.now(UTC)
    data = cw.get_metric_data(  # type: ignore[attr-defined]
        MetricDataQueries=[
            {
                "Id": "w",
                "MetricStat": {
                    "Metric": {
                        "Namespace": "AWS/EBS",
                        "MetricName": "VolumeWriteBytes",
                        "Dimensions": [{"Name": "VolumeId", "Value": volume["VolumeId"]}],
                    },
                    "Period": 60,
                    "Stat": "Sum",
                },
            }
        ],
        StartTime=end - timedelta(hours=1),
        EndTime=end,
    )
    values = data["MetricDataResults"][0]["Values"]
    assert len(values) >= 55
    assert len(set(values)) > len(values) // 2  # a moving series, not a constant


def _snapshot_json(pane: str, tmp_path: object, *options: str) -> dict[str, Any]:
    """``warroom snapshot PANE --json --demo [OPTIONS]`` as a user runs it, parsed."""
    out = subprocess.run(
        [*WARROOM, "snapshot", pane, "--json", "--demo", *options],
        capture_output=True,
        text=True,
        check=True,
        env=_env(tmp_path),
        timeout=120,
    )
    assert out.stderr == "", "nothing but the JSON may reach the terminal"
    doc: dict[str, Any] = json.loads(out.stdout)
    return doc


def test_snapshot_overview_json_demo(tmp_path: object) -> None:
    doc = _snapshot_json("overview", tmp_path)
    assert check_document("overview", doc) == 1
    assert doc["identity"]["account"] == "123456789012"
    assert doc["error"] is None
    assert places_of("overview", doc) == {("123456789012", "us-east-1")}


def test_snapshot_limits_json_demo_has_the_documented_fields(tmp_path: object) -> None:
    doc = _snapshot_json("limits", tmp_path)
    assert check_document("limits", doc) > 10
    # The credential's own account alone: each item still names it.
    assert places_of("limits", doc) == {("123456789012", "us-east-1")}
    # The fleet holds a basic-monitoring instance: the snapshot's period is its longest.
    assert doc["period_s"] == 300 and doc["errors"] == []
    periods = {i["name"]: i["period_s"] for i in doc["instances"]}
    assert periods["legacy-bastion-1"] == 300 and periods["payments-db-1"] == 60
    db = next(i for i in doc["instances"] if i["name"] == "payments-db-1")
    data = next(v for v in db["volumes"] if v["baseline_mibps"] == 750.0)
    assert data["capped_by"] == "instance" and data["burst_iops"] is None
    stopped = next(i for i in doc["instances"] if i["state"] == "stopped")
    assert stopped["network"]["in_mbps"] is None and stopped["ebs"]["utilization"] is None
    assert len(doc["unattached_volumes"]) == 1
    assert doc["quotas"][0]["code"] == "L-1216C47A" and doc["quotas"][0]["value"] == 640.0
    # Sparse publishing: the read-only and the Xen instance's EBS are known, not null.
    for name in ("ledger-1", "audit-archiver-1", "legacy-bastion-1"):
        inst = next(i for i in doc["instances"] if i["name"] == name)
        assert inst["ebs"]["throughput_mbs"] is not None and inst["ebs"]["iops"] is not None, name


def test_snapshot_kinesis_json_demo_has_the_documented_fields(tmp_path: object) -> None:
    doc = _snapshot_json("kinesis", tmp_path)
    assert check_document("kinesis", doc) >= 3 and doc["errors"] == []
    assert places_of("kinesis", doc) == {("123456789012", "us-east-1")}
    events = next(s for s in doc["streams"] if s["stream_name"] == "payments-events")
    assert events["open_shards"] == 1 and events["usage_driver"] == "records"
    assert events["usage_factor"] >= 0.75 and events["advice"] == "scale_up"
    assert 0.25 < events["iterator_age_retention_fraction"] < 0.5
    assert events["time_to_risk_s"] > 0


def test_snapshot_kinesis_takes_the_scaling_rule(tmp_path: object) -> None:
    doc = _snapshot_json("kinesis", tmp_path, "--scale-up-rule", "0.5:2/3")
    events = next(s for s in doc["streams"] if s["stream_name"] == "payments-events")
    assert "usage >= 0.50 in 3 of 3 five-minute points" in events["advice_reason"]


def test_scale_down_block_minutes_reach_the_settings() -> None:
    from tui.cli import _settings, build_parser

    settings = _settings(build_parser().parse_args(["--scale-down-block-minutes", "45"]))
    assert settings.kinesis_block_minutes == 45.0
    with pytest.raises(SystemExit):
        _settings(build_parser().parse_args(["--scale-down-block-minutes", "0"]))


def test_snapshot_findings_json_demo_has_the_documented_fields(tmp_path: object) -> None:
    doc = _snapshot_json("findings", tmp_path)
    assert check_document("findings", doc) == doc["total"] == len(doc["findings"]) > 50
    assert doc["errors"] == []
    # AwsAccountId and Region, as the findings say them (one is about another account's resource).
    places = places_of("findings", doc)
    assert ("123456789012", "us-east-1") in places and {region for _, region in places} == {"us-east-1"}
    assert all(finding["record_state"] == "ACTIVE" for finding in doc["findings"])
    ssh = [f for f in doc["findings"] if f["control_id"] == "EC2.13"]
    assert ssh and {f["remediation"] for f in ssh} == {"sg-world-admin-ports"}
    hostile = next(f for f in doc["findings"] if f["title"].startswith("Suspicious object key"))
    assert "\x1b" not in hostile["title"] and "[bold]x[/]" in hostile["title"]
    inspector = next(f for f in doc["findings"] if f["product_name"] == "Inspector")
    assert inspector["remediation"] is None


def test_snapshot_alarms_json_demo_has_the_documented_shape(tmp_path: object) -> None:
    doc = _snapshot_json("alarms", tmp_path)
    assert check_document("alarms", doc) > 5 and doc["errors"] == []
    assert places_of("alarms", doc) == {("123456789012", "us-east-1")}
    for alarm in doc["alarms"]:
        assert alarm["type"] in ("metric", "composite") and alarm["state"] in (
            "ALARM",
            "INSUFFICIENT_DATA",
            "OK",
        )


def test_snapshot_fis_json_demo_has_the_documented_fields(tmp_path: object) -> None:
    doc = _snapshot_json("fis", tmp_path)
    assert check_document("fis", doc) >= len(doc["templates"]) > 5 and doc["errors"] == []
    # The account from each template's ARN.
    assert places_of("fis", doc) == {("123456789012", "us-east-1")}


@pytest.mark.parametrize("name", ["sessions", "instances"])
def test_snapshot_sessions_json_demo_has_the_documented_fields(tmp_path: object, name: str) -> None:
    doc = _snapshot_json(name, tmp_path)
    assert check_document("sessions", doc) >= len(doc["instances"]) > 5 and doc["errors"] == []
    assert places_of("sessions", doc) == {("123456789012", "us-east-1")}
    hybrid = [i for i in doc["instances"] if i["resource_type"] == "ManagedInstance"]
    assert {i["name"] for i in hybrid} == {"onprem-hsm-gw-1", "branch-pos-gw-2"}
    assert all(i["instance_id"].startswith("mi-") for i in hybrid)
    lost = next(i for i in hybrid if i["ping_status"] == "ConnectionLost")
    assert lost["agent_outdated"] is True and doc["instances"][-1] == lost
    ec2 = [i for i in doc["instances"] if i["resource_type"] == "EC2Instance"]
    assert ec2 and all(i["name"] and i["instance_id"].startswith("i-") for i in ec2)
    assert any(i["name"] == "payments-db-1" for i in ec2)


def _journal_file(path: Any, events: list[Any]) -> None:
    path.write_bytes(b"".join(encode(e) + b"\n" for e in events))


def test_report_merges_the_journals_of_several_consoles(
    tmp_path: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    from tui.cli import main
    from tui.gameday import events as ev
    from tui.gameday.events import JournalEvent

    t0 = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
    detail = {"speed": "10", "scenario_start": t0.isoformat(), "scenario": "drill", "origin": "scenario"}
    started = JournalEvent(
        at=t0 + timedelta(seconds=60),
        kind=ev.FAULT_STARTED,
        source="fis",
        text="fault started: A security group opened to the world on port 22",
        resource="sg-0abc",
        fault="sg-open-ssh",
        ref="EXP1",
        detail=detail,
    )
    found = JournalEvent(
        at=t0 + timedelta(seconds=90),
        kind=ev.FINDING_NEW,
        source="findings",
        text="new CRITICAL EC2.19",
        resource="arn:aws:ec2:us-east-1:123456789012:security-group/sg-0abc",
        metric="finding.new",
        level="critical",
    )
    fixed = JournalEvent(
        at=t0 + timedelta(seconds=120),
        kind=ev.ACTION,
        source="console",
        text="Close high-risk ports: ec2:RevokeSecurityGroupIngress GroupId=sg-0abc (ok)",
        resource="sg-0abc",
    )
    ended = JournalEvent(
        at=t0 + timedelta(seconds=121),
        kind=ev.FAULT_ENDED,
        source="fis",
        text="fault completed: mitigated: the rule was revoked",
        resource="sg-0abc",
        fault="sg-open-ssh",
        ref="EXP1",
        detail={"outcome": "mitigated: the rule was revoked"},
    )
    watcher, fixer = tmp_path / "alice.jsonl", tmp_path / "bob.jsonl"
    _journal_file(watcher, [started, found, ended])
    _journal_file(fixer, [started, fixed, ended])
    assert main(["report", str(watcher), str(fixer)]) == 0
    out = capsys.readouterr().out
    assert out.count("| 1 | `sg-open-ssh`") == 1, "the fault both consoles saw is one fault"
    assert "ec2:RevokeSecurityGroupIngress" in out, "the other console's action is the first action"
    assert "fixed by the team" in out
    # TTD 30 s and TTM 61 s of wall time are 5 and about 10 scenario minutes at speed 10.
    assert "5m (wall 30s)" in out and "10m10s (wall 1m01s)" in out


def test_report_and_replay_refuse_an_unreadable_file_alike(
    tmp_path: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    from tui.cli import main

    missing = str(tmp_path / "gone.jsonl")
    said = []
    for command in ("report", "replay"):
        assert main([command, missing]) == 2, command
        said.append(capsys.readouterr().err)
    assert said[0] == said[1]
    assert said[0].startswith(f"warroom: cannot read {missing}: ")


def test_record_writes_every_pane_with_no_screen_and_replay_and_report_read_it(tmp_path: Any) -> None:
    """``warroom record``: data flows from the feeds to a recording without the UI."""
    from tui import panes
    from tui.gameday.record import read_recording

    output = tmp_path / "rehearsal.jsonl"
    done = subprocess.run(
        [*WARROOM, "record", "--demo", "--duration", "6s", "--output", str(output)],
        capture_output=True,
        text=True,
        env=_env(tmp_path),
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""
    assert "warroom record: done:" in done.stderr
    recording = read_recording(output)
    assert set(recording.panes) >= {p.name for p in panes.LIVE}
    limits = [e.snapshot for e in recording.entries if e.kind == "snapshot" and e.pane == "limits"]
    assert limits and limits[0] is not None and limits[0].instances
    report = subprocess.run(
        [*WARROOM, "report", str(output)], capture_output=True, text=True, env=_env(tmp_path), timeout=120
    )
    assert report.returncode == 0 and "# Game day review" in report.stdout


@pytest.fixture(scope="module")
def org_served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``warroom sim serve --org``: the simulated organization, whose keys are its security account's."""
    from tests.plain_moto import _free_port
    from tests.waits import stop

    port = _free_port()
    server = subprocess.Popen(
        [*WARROOM, "sim", "serve", "--org", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(tmp_path_factory.mktemp("org-state")),
    )
    try:
        assert server.stderr is not None
        for _ in range(40):
            if "Ctrl+C" in read_line(server.stderr, within=90, what="the org simulator's banner"):
                break
        yield f"http://127.0.0.1:{port}"
    finally:
        stop(server)


def _org_snapshot(url: str, pane: str, tmp_path: object, *options: str) -> dict[str, Any]:
    env = dict(_env(tmp_path), AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing")
    env.pop("AWS_PROFILE", None)
    done = subprocess.run(
        [*WARROOM, "snapshot", pane, "--json", "--endpoint-url", url, *options],
        capture_output=True, text=True, env=env, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    doc: dict[str, Any] = json.loads(done.stdout)
    return doc


PAYMENTS_PROD, LEDGER_PROD, SECURITY = "210987654321", "345678901234", "123456789012"
BOTH_REGIONS = ("us-east-1", "eu-west-1")


@pytest.mark.parametrize("pane", ["limits", "kinesis", "sessions", "alarms", "overview"])
def test_snapshot_of_an_organization_names_each_items_account(
    org_served: str, pane: str, tmp_path: object
) -> None:
    """``--org --accounts A,B --regions R1,R2`` polls those accounts in both regions, and each item
    says its account and region."""
    doc = _org_snapshot(
        org_served, pane, tmp_path, "--regions", "us-east-1,eu-west-1", "--org", "--accounts",
        "payments-prod,ledger-prod",
    )  # fmt: skip
    assert check_document(pane, doc) > 0
    assert places_of(pane, doc) == {
        (account, region) for account in (PAYMENTS_PROD, LEDGER_PROD) for region in BOTH_REGIONS
    }


def test_snapshot_of_one_region_of_an_organization(org_served: str, tmp_path: object) -> None:
    """``--regions`` scopes the regions as ``--accounts`` the accounts; an account given by id is
    reached too; findings say the account and region their ASFF names."""
    doc = _org_snapshot(
        org_served, "limits", tmp_path, "--regions", "eu-west-1", "--org", "--accounts", PAYMENTS_PROD
    )
    assert check_document("limits", doc) > 0
    assert places_of("limits", doc) == {(PAYMENTS_PROD, "eu-west-1")}
    findings = _org_snapshot(org_served, "findings", tmp_path, "--regions", "us-east-1", "--org")
    assert check_document("findings", findings) > 0
    # The security account's hub aggregates every workload account and both regions.
    accounts = {account for account, _ in places_of("findings", findings)}
    assert {PAYMENTS_PROD, LEDGER_PROD} <= accounts
    assert {region for _, region in places_of("findings", findings)} == set(BOTH_REGIONS)


def test_snapshot_of_the_credentials_own_account_names_it_in_every_region(
    org_served: str, tmp_path: object
) -> None:
    """Without --org or --accounts: the credential's own account (the security account), named on
    every item, in each region of --regions; its hub's findings name the member accounts."""
    overview = _org_snapshot(org_served, "overview", tmp_path, "--regions", "us-east-1,eu-west-1")
    assert check_document("overview", overview) == 2
    assert places_of("overview", overview) == {(SECURITY, region) for region in BOTH_REGIONS}
    findings = _org_snapshot(org_served, "findings", tmp_path, "--region", "us-east-1", "eu-west-1")
    assert check_document("findings", findings) > 0
    assert {PAYMENTS_PROD, LEDGER_PROD} <= {account for account, _ in places_of("findings", findings)}
