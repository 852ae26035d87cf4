"""The shared layer: the one text cleaner, the one secret scrubber, the one JSONL appender."""

from __future__ import annotations

import json
import multiprocessing
import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

from tui.common import jsonl
from tui.common.secrets import REDACTED, is_secret_key, scrub, scrub_text, without_secrets
from tui.common.text import clean
from tui.screens.presets import Presets

SESSION_TOKEN = "IQoJb3JpZ2luX2VjEJr" + "A1b2C3d4E5f6G7h8" * 8
SECRET_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"

LAYER_PROBE = """
import importlib, pkgutil, sys
import tui.common
for info in pkgutil.walk_packages(tui.common.__path__, "tui.common."):
    importlib.import_module(info.name)
above = ("textual", "rich", "tui.aws", "tui.sim", "tui.gameday", "tui.screens", "tui.app", "widgets")
print(",".join(sorted(m for m in sys.modules if m.startswith(above))))
"""


def test_the_shared_layer_imports_nothing_above_it() -> None:
    out = subprocess.run(
        [sys.executable, "-c", LAYER_PROBE], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == ""


# -- text ---------------------------------------------------------------------------------------


def test_clean_drops_controls_escapes_bidi_and_zero_width() -> None:
    hostile = "\x1b]8;;https://evil\x07pay\u202egnp\u200b\u200c\u200d\u200e\u200f\u2060\ufeff\u2066x\u2069\x9b31m\x00ok"
    assert clean(hostile) == "paygnpxok"
    assert clean("[b]markup stays[/b]") == "[b]markup stays[/b]"
    assert clean(None) == "" and clean(42) == "42"


def test_clean_keeps_newlines_only_when_asked() -> None:
    assert clean("a\nb\r\nc\td") == "a b c d"
    assert clean("a\nb\r\nc\td", newlines=True) == "a\nb\nc d"
    assert clean("\u202eline one\n\u200bline two", newlines=True) == "line one\nline two"


# -- secrets ------------------------------------------------------------------------------------


def test_secret_names_at_any_depth_are_redacted() -> None:
    value = {
        "SessionId": "s-1",
        "TokenValue": "tv",
        "StreamUrl": "wss://ssmmessages.us-east-1.amazonaws.com/v1/data-channel/s-1",
        "Credentials": {"AccessKeyId": "AKIA", "SecretAccessKey": "x", "SessionToken": "y"},
        "nested": [{"deeper": ({"session_token": "z"},)}],
    }
    assert scrub(value) == {
        "SessionId": "s-1",
        "TokenValue": REDACTED,
        "StreamUrl": REDACTED,
        "Credentials": REDACTED,
        "nested": [{"deeper": [{"session_token": REDACTED}]}],
    }
    assert all(is_secret_key(k) for k in ("TokenValue", "stream_url", "SecretAccessKey", "x-password"))
    assert not any(is_secret_key(k) for k in ("SessionId", "Target", "role_arn"))


def test_secret_shapes_in_text_are_redacted() -> None:
    text = f"token {SESSION_TOKEN} key {SECRET_KEY} url wss://ssmmessages.example/v1/s-1?x=1 id s-1"
    scrubbed = scrub_text(text)
    assert SESSION_TOKEN not in scrubbed and SECRET_KEY not in scrubbed and "wss://" not in scrubbed
    assert scrubbed.endswith("id s-1")
    assert scrub({"note": text})["note"] == scrubbed
    # A hex digest does not mix cases and is not a key.
    assert scrub_text("a" * 20 + "0" * 20) == "a" * 20 + "0" * 20
    assert without_secrets({"SessionToken": "x", "why": f"saw {SESSION_TOKEN}"}) == {"why": f"saw {REDACTED}"}


# -- JSON Lines appends -------------------------------------------------------------------------


def test_new_files_are_private_and_a_torn_line_is_closed_off(tmp_path: Path) -> None:
    path = tmp_path / "log.jsonl"
    jsonl.append_line(path, {"n": 1})
    assert (path.stat().st_mode & 0o777) == 0o600
    with path.open("ab") as handle:
        handle.write(b'{"n": 2, "cut')
    jsonl.append_line(path, {"n": 3}, fsync=True)
    lines = path.read_bytes().split(b"\n")
    assert lines[0] == b'{"n":1}' and lines[2] == b'{"n":3}' and lines[3] == b""


def test_threads_splitting_their_writes_still_append_whole_lines(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each write goes out in small pieces with a switch between them: only the lock keeps lines whole."""
    path = tmp_path / "shared.jsonl"
    real_write = os.write
    barrier = threading.Barrier(4, timeout=10)

    def chunky(fd: int, data: Any) -> int:
        done = real_write(fd, bytes(data)[:7])
        os.sched_yield()
        return done

    monkeypatch.setattr(os, "write", chunky)

    def writer(who: int) -> None:
        barrier.wait()
        for n in range(25):
            jsonl.append_line(path, {"who": who, "n": n, "pad": "x" * 40})

    threads = [threading.Thread(target=writer, args=(who,)) for who in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
        assert not thread.is_alive()
    monkeypatch.undo()
    records = [json.loads(line) for line in path.read_text().splitlines()]
    assert len(records) == 100
    for who in range(4):
        assert [r["n"] for r in records if r["who"] == who] == list(range(25))


def _append_many(path: str, who: int, count: int) -> None:
    for n in range(count):
        jsonl.append_line(path, {"who": who, "n": n, "pad": "y" * (50 + 300 * (n % 7))})


def test_processes_appending_to_one_file_interleave_whole_lines_only(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_append_many, args=(str(path), who, 60)) for who in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
        if worker.is_alive():
            worker.kill()
        assert worker.exitcode == 0
    records = [json.loads(line) for line in path.read_text().splitlines()]
    assert len(records) == 240
    for who in range(4):
        assert [r["n"] for r in records if r["who"] == who] == list(range(60))


# -- atomic replace -----------------------------------------------------------------------------


def test_a_crash_before_the_replace_leaves_the_old_file_and_no_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "state.json"
    jsonl.replace_atomically(path, b"old")
    assert path.read_bytes() == b"old" and (path.stat().st_mode & 0o777) == 0o600

    def crash(*_: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="No space"):
        jsonl.replace_atomically(path, b"new")
    assert path.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["state.json"]


def test_presets_are_replaced_atomically(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "session-presets.json"
    Presets(path).remember("i-1", "AWS-StartPortForwardingSession", {"portNumber": "5432"})
    before = path.read_bytes()
    assert Presets(path).get("i-1", "AWS-StartPortForwardingSession") == {"portNumber": "5432"}

    def crash(*_: object) -> None:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(os, "replace", crash)
    Presets(path).remember("i-1", "AWS-StartPortForwardingSession", {"portNumber": "6543"})
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["session-presets.json"]
    assert Presets(path).get("i-1", "AWS-StartPortForwardingSession") == {"portNumber": "5432"}
