"""How the Sessions pane, its form and its sessions view look, on fixed targets at the frozen moment
(the simulator stamps pings with the real time the test session runs)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from textual.pilot import Pilot

from tests.frozen import FROZEN
from tests.helpers import settle, sim_app
from tui.aws.sessions import ManagedTarget, SessionsPoller, SessionsSnapshot, SessionView
from tui.screens.sessions import SessionsScreen

# At 80x24 in test_panes_80x24.py, with every other pane.
SIZES = [(160, 48)]


def _target(name: str, instance_id: str, **changes: Any) -> ManagedTarget:
    values: dict[str, Any] = {
        "instance_id": instance_id,
        "name": name,
        "resource_type": "ManagedInstance" if instance_id.startswith("mi-") else "EC2Instance",
        "ping_status": "Online",
        "platform_type": "Linux",
        "platform_name": "Amazon Linux",
        "platform_version": "2023",
        "agent_version": "3.3.1142.0",
        "agent_outdated": False,
        "ip_address": "10.0.1.10",
        "computer_name": f"{name}.internal",
        "last_ping_at": FROZEN - timedelta(minutes=2),
        "region": "us-east-1",
        "iam_role": "payments-ec2-ssm",
    }
    values.update(changes)
    return ManagedTarget(**values)


TARGETS = (
    _target("payments-db-1", "i-0a1b2c3d4e5f60718"),
    _target(
        "ops-jump-1",
        "i-0b1c2d3e4f5a60718",
        platform_type="Windows",
        platform_name="Windows Server 2022",
        platform_version="10.0.20348",
        ip_address="10.0.2.20",
    ),
    _target("legacy-bastion-1", "i-0c1d2e3f4a5b60718", agent_version="3.1.1004.0", agent_outdated=True),
    _target(
        "onprem-hsm-gw-1",
        "mi-0123456789abcdef0",
        platform_name="Red Hat Enterprise Linux",
        platform_version="9.4",
        ip_address="192.168.40.15",
        iam_role="payments-hybrid",
    ),
    _target(
        "branch-pos-gw-2",
        "mi-0fedcba9876543210",
        ping_status="ConnectionLost",
        platform_name="Ubuntu",
        platform_version="22.04",
        agent_version="3.2.2222.0",
        agent_outdated=True,
        last_ping_at=FROZEN - timedelta(hours=5),
        ip_address="10.72.8.2",
    ),
)
SESSIONS = (
    SessionView(
        "alice-0a1b2c3d4e5f",
        "mi-0123456789abcdef0",
        "arn:aws:sts::123456789012:assumed-role/oncall/alice",
        "Connected",
        FROZEN - timedelta(minutes=7),
        None,
        None,
        "INC-2231 HSM latency",
        "us-east-1",
        True,
    ),
    SessionView(
        "bob-1b2c3d4e5f6a",
        "i-0a1b2c3d4e5f60718",
        "arn:aws:sts::123456789012:assumed-role/dba/bob",
        "Terminated",
        FROZEN - timedelta(hours=3),
        FROZEN - timedelta(hours=2),
        "AWS-StartPortForwardingSessionToRemoteHost",
        None,
        "us-east-1",
        False,
    ),
)


@pytest.fixture(autouse=True)
def fixed_targets(monkeypatch: pytest.MonkeyPatch) -> None:
    async def poll(self: SessionsPoller, answered: Any = None) -> SessionsSnapshot:
        return SessionsSnapshot(
            fetched_at=FROZEN,
            instances=TARGETS,
            active=SESSIONS[:1],
            history=SESSIONS[1:],
            errors=(),
            error=None,
        )

    monkeypatch.setattr(SessionsPoller, "poll", poll)


async def _ready(pilot: Pilot[Any]) -> None:
    await pilot.press("5")
    await settle(
        pilot,
        lambda: isinstance(pilot.app.screen, SessionsScreen) and pilot.app.screen.snapshot is not None,
        what="the Sessions pane to show its poll",
    )
    await settle(pilot, lambda: pilot.app.account, what="the header to know the account")
    await pilot.pause()


@pytest.mark.parametrize("size", SIZES, ids=["160x48"])
def test_sessions(snap_compare: Any, sim_url: str, size: tuple[int, int]) -> None:
    assert snap_compare(sim_app(sim_url), terminal_size=size, run_before=_ready)


def test_the_remote_host_form(snap_compare: Any, sim_url: str) -> None:
    async def form(pilot: Pilot[Any]) -> None:
        await _ready(pilot)
        await pilot.press("j", "j", "j", "H")
        await pilot.pause()

    assert snap_compare(sim_app(sim_url), terminal_size=(120, 40), run_before=form)


def test_the_sessions_view(snap_compare: Any, sim_url: str) -> None:
    async def view(pilot: Pilot[Any]) -> None:
        await _ready(pilot)
        await pilot.press("v")
        await pilot.pause()

    assert snap_compare(sim_app(sim_url), terminal_size=(120, 40), run_before=view)
