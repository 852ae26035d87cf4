"""The session simulator is never faulted: a fault asked of it is refused, whichever way it comes."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from tui.sim.control import ControlClient, ControlError
from tui.sim.faults import FaultError
from tui.sim.server import SimServer


def test_the_session_simulator_refuses_every_fault(sim: SimServer, sim_url: str, client: Any) -> None:
    assert sim.faults is not None
    with pytest.raises(FaultError, match="the session simulator takes no faults"):
        sim.faults.start("ssm-connection-lost")
    with pytest.raises(ControlError, match="the session simulator takes no faults"):
        ControlClient(sim_url).inject("sg-open-ssh")
    fis = client("fis")
    template = sim.faults.templates["memory-pressure"]
    with pytest.raises(ClientError, match="the session simulator takes no faults"):
        fis.start_experiment(experimentTemplateId=template)
    assert sim.faults.faults() == []


def test_the_process_is_not_reset_under_a_running_simulator(sim: SimServer) -> None:
    from tui.sim import extensions

    port = sim.endpoint_url.rsplit(":", 1)[1]
    with pytest.raises(RuntimeError, match=f"a simulator still answers on port {port}"):
        extensions.reset()
