"""Systems Manager faults: a managed node's agent loses its connection."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from tui.sim.extensions.ssm import ping_status, set_ping_status
from tui.sim.faults.base import FaultError, FaultRecord, Target, _Fault

if TYPE_CHECKING:
    from tui.sim.faults.engine import FaultEngine


class _SsmConnectionLost(_Fault):
    """The managed node's PingStatus turns ConnectionLost until the fault ends."""

    spec_id = "ssm-connection-lost"
    default_target = "payments-api-1"

    def template_action(self) -> tuple[str, dict[str, str]]:
        return "aws:ssm:send-command", {
            "documentArn": "arn:aws:ssm:us-east-1::document/AWSFIS-Run-Kill-Process",
            "documentParameters": '{"ProcessName": "amazon-ssm-agent"}',
        }

    def check(self, engine: FaultEngine, target: Target, started: datetime) -> None:
        status = ping_status(engine.account_id, engine.region, target.id)
        if status is None:
            raise FaultError(f"{target.label} is not a managed node")
        if status != "Online":
            raise FaultError(f"{target.label}'s agent is already {status}")

    def apply(self, engine: FaultEngine, record: FaultRecord) -> None:
        set_ping_status(engine.account_id, engine.region, record.target.id, "ConnectionLost")

    def restore(self, engine: FaultEngine, record: FaultRecord) -> None:
        if ping_status(engine.account_id, engine.region, record.target.id) is not None:
            set_ping_status(engine.account_id, engine.region, record.target.id, "Online")
