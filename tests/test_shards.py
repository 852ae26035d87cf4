"""The suite's runner: how it deals files to shards, and what it prints again at the end."""

from __future__ import annotations

from pathlib import Path

from tests.shards import deal, failures

JUNIT = """<?xml version="1.0" encoding="utf-8"?>
<testsuites><testsuite name="pytest" tests="3">
<testcase classname="tests.a.test_one" name="test_fine" time="0.1"/>
<testcase classname="tests.a.test_one" name="test_breaks" time="0.2">
<failure message="assert [1, 2] == [1, 2, 3]">{body}</failure></testcase>
<testcase classname="tests.b.test_two" name="test_setup" time="0.0">
<error message="fixture 'sim' failed">boom</error></testcase>
</testsuite></testsuites>
"""


def test_failures_names_each_failed_test_with_its_message_cut_to_both_ends(tmp_path: Path) -> None:
    body = "\n".join(f"line {i}" for i in range(40))
    junit = tmp_path / "shard.xml"
    junit.write_text(JUNIT.format(body=body), encoding="utf-8")
    found = failures(junit, lines=3)
    assert len(found) == 2
    first = found[0].splitlines()
    assert first[0] == "FAILURE tests.a.test_one::test_breaks"
    assert first[1].strip() == "assert [1, 2] == [1, 2, 3]"
    assert first[2:4] == ["    line 0", "    line 1"]
    assert "... (35 lines)" in found[0]
    assert first[-1] == "    line 39"
    assert found[1].splitlines()[0] == "ERROR tests.b.test_two::test_setup"


def test_failures_of_a_missing_or_broken_report_is_empty(tmp_path: Path) -> None:
    assert failures(tmp_path / "none.xml") == []
    broken = tmp_path / "broken.xml"
    broken.write_text("<testsuites", encoding="utf-8")
    assert failures(broken) == []


def test_deal_pins_snapshots_to_shard_zero_and_balances_the_rest() -> None:
    files = ["tests/snapshots/test_s.py", "tests/x/test_a.py", "tests/x/test_b.py", "tests/x/test_c.py"]
    seconds = {"tests/snapshots/test_s.py": 50.0, "tests/x/test_a.py": 60.0, "tests/x/test_b.py": 30.0}
    shards = deal(files, 2, seconds)
    assert shards[0].files[0] == "tests/snapshots/test_s.py"
    assert "tests/x/test_a.py" in shards[1].files
    assert sorted(f for s in shards for f in s.files) == sorted(files)
