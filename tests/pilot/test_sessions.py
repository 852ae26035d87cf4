"""The Sessions pane driven with keys: the targets, the form, pre-flight, launching a session through a
recording stand-in plugin with the console suspended and back, the sessions view and terminating."""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from tests.helpers import frozen_clock, open_pane, settle, sim_settings
from tui.app import make_app
from tui.aws.sessions import SessionView
from tui.common import paths
from tui.screens.confirm import ConfirmScreen
from tui.screens.session_form import SessionForm
from tui.screens.sessions import SessionsScreen
from widgets.vtable import VirtualTable


async def open_sessions(pilot: Pilot[Any]) -> SessionsScreen:
    screen: SessionsScreen = await open_pane(pilot, "5", SessionsScreen)
    return screen


def recording_plugin(tmp_path: Path, version: str = "1.2.650.0") -> tuple[Path, Path]:
    """A session-manager-plugin that writes what it was given to a file and exits 0."""
    record = tmp_path / "plugin-call.json"
    script = tmp_path / "session-manager-plugin"
    script.write_text(
        "#!/bin/sh\n"
        f'if [ "$1" = "--version" ]; then echo {version}; exit 0; fi\n'
        f"exec {sys.executable} -c '"
        "import json, os, sys; "
        'json.dump({"argv": sys.argv[1:], '
        '"response_in_env": "AWS_SSM_START_SESSION_RESPONSE" in os.environ}, '
        f'open("{record}", "w"))'
        '\' "$@"\n'
    )
    script.chmod(0o700)
    return script, record


def _audit() -> list[dict[str, Any]]:
    path = paths.audit_file()
    if not path.exists():
        return []
    return [json.loads(line) for line in Path(path).read_text().splitlines() if line.strip()]


def _hybrid(screen: SessionsScreen, *, online: bool = True) -> Any:
    assert screen.snapshot is not None
    return next(t for t in screen.snapshot.instances if t.hybrid and t.online == online)


async def test_targets_list_ec2_and_hybrid_and_hide_offline(sim_url: str) -> None:
    app = make_app(sim_settings(sim_url, read_only=True), clock=frozen_clock)
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await open_sessions(pilot)
        snapshot = screen.snapshot
        assert snapshot is not None and snapshot.error is None
        hybrids = [t for t in snapshot.instances if t.hybrid]
        assert len(hybrids) == 2 and any(not t.online for t in hybrids)
        assert any(not t.hybrid for t in snapshot.instances)
        table = screen.query_one(VirtualTable)
        everything = len(table.rows)
        lost = _hybrid(screen, online=False)
        row = next(r for r in table.rows if r.key == lost.instance_id)
        assert row.level == "warn" and "lost" in str(row.cells)
        await pilot.press("o")
        await pilot.pause()
        assert len(table.rows) == everything - sum(1 for t in snapshot.instances if not t.online)
        await pilot.press("o", "slash", *"hybrid", "enter")
        await pilot.pause()
        assert {r.key for r in table.rows} == {t.instance_id for t in hybrids}


async def test_a_missing_plugin_is_reported_and_nothing_is_called(sim_url: str, tmp_path: Path) -> None:
    settings = sim_settings(sim_url, session_plugin=str(tmp_path / "no-such-plugin"))
    app = make_app(settings, clock=frozen_clock)
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await open_sessions(pilot)
        target = _hybrid(screen)
        assert screen.query_one(VirtualTable).move_cursor_to_key(target.instance_id)
        await pilot.press("enter")
        await pilot.pause(0.5)
        assert not isinstance(app.screen, ConfirmScreen)
        assert app.factory.calls["ssm:StartSession"] == 0


async def test_a_port_forward_asks_its_ports_and_cancel_calls_nothing(sim_url: str, tmp_path: Path) -> None:
    plugin, _ = recording_plugin(tmp_path)
    app = make_app(sim_settings(sim_url, session_plugin=str(plugin)), clock=frozen_clock)
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await open_sessions(pilot)
        target = _hybrid(screen)
        assert screen.query_one(VirtualTable).move_cursor_to_key(target.instance_id)
        await pilot.press("H")
        await pilot.pause()
        assert isinstance(app.screen, SessionForm)
        await pilot.press(*"db.internal", "tab", *"5432", "tab", *"15432", "enter")
        await settle(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        confirm = app.screen
        assert isinstance(confirm, ConfirmScreen)
        (call,) = confirm.plan.calls
        assert call.operation == "StartSession"
        assert call.params["DocumentName"] == "AWS-StartPortForwardingSessionToRemoteHost"
        assert call.params["Parameters"] == {
            "host": ["db.internal"],
            "portNumber": ["5432"],
            "localPortNumber": ["15432"],
        }
        await pilot.press("n")
        await pilot.pause()
        assert app.factory.calls["ssm:StartSession"] == 0


async def test_a_shell_runs_the_plugin_with_the_console_suspended_and_comes_back(
    sim_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plugin, record = recording_plugin(tmp_path)
    app = make_app(sim_settings(sim_url, session_plugin=str(plugin)), clock=frozen_clock)
    suspended: list[str] = []

    @contextlib.contextmanager
    def suspend() -> Iterator[None]:
        suspended.append("in")
        yield
        suspended.append("out")

    monkeypatch.setattr(app, "suspend", suspend)
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await open_sessions(pilot)
        target = _hybrid(screen)
        assert screen.query_one(VirtualTable).move_cursor_to_key(target.instance_id)
        await pilot.press("enter")
        await settle(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await settle(pilot, record.exists)
        await settle(pilot, lambda: suspended == ["in", "out"])
        call = json.loads(record.read_text())
        argv = call["argv"]
        assert argv[0] == "AWS_SSM_START_SESSION_RESPONSE" and call["response_in_env"]
        assert argv[1:4] == ["us-east-1", "StartSession", ""]
        assert json.loads(argv[4])["Target"] == target.instance_id
        assert argv[5] == sim_url or argv[5].startswith("http://127.0.0.1")
        # The console is back and answers keys.
        await settle(pilot, lambda: isinstance(app.screen, SessionsScreen))
        await pilot.press("v")
        await pilot.pause()
        assert screen.show_sessions
        # Shift+X on a session that has ended says so, and asks nothing.
        ended = SessionView(
            session_id="oncall-0ended",
            target=target.instance_id,
            owner="arn:aws:iam::123456789012:user/oncall",
            status="Terminated",
            start_date=None,
            end_date=None,
            document_name=None,
            reason=None,
            region="us-east-1",
            active=False,
        )
        monkeypatch.setattr(screen, "current_session", lambda: ended)
        await pilot.press("X")
        await pilot.pause()
        assert not isinstance(app.screen, ConfirmScreen)
        said = [n.message for n in app._notifications]
        assert any(f"Session {ended.session_id} already ended" in m for m in said), said
        records = [r for r in _audit() if r.get("operation") in {"StartSession", "SessionEnded"}]
        assert any(r["operation"] == "StartSession" and r["outcome"] == "ok" for r in records)
        assert any(r["operation"] == "SessionEnded" for r in records)
        assert not any("TokenValue" in json.dumps(r.get("params")) for r in records)
