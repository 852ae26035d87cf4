"""The control API on the simulator's own endpoint: ControlClient, probe, the HTTP answers, and
``warroom sim inject|clear|faults`` (run_fault_command), against the module's own simulator.

Every fault started here is cleared before the test ends (an SSM agent's connection: no metric,
no finding), so the next test finds the simulator as it was.
"""

from __future__ import annotations

import inspect
import io
import json
import re
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest

from tui.cli import build_parser
from tui.common import catalogue as cat
from tui.sim import control
from tui.sim.account import ACCOUNT_ID, REGION
from tui.sim.commands import run_fault_command
from tui.sim.control import ControlClient, ControlError, probe
from tui.sim.extensions.ssm import ping_status
from tui.sim.faults import FaultEngine
from tui.sim.server import SimServer


@pytest.fixture(scope="module")
def sim(own_sim: SimServer) -> SimServer:
    """The control API injects faults: the module's own simulator (own_sim)."""
    return own_sim


@pytest.fixture(scope="module")
def sim_url(own_sim: SimServer) -> str:
    return own_sim.endpoint_url


@pytest.fixture
def engine(sim: SimServer) -> Iterator[FaultEngine]:
    engine = sim.faults
    assert engine is not None
    assert not engine.active()
    yield engine
    left = engine.clear_all()
    assert not left, f"the test left faults active: {left}"


@pytest.fixture
def not_a_simulator() -> Iterator[str]:
    """An HTTP server that answers 404 to everything."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(404)
            self.send_header("Content-Length", "9")
            self.end_headers()
            self.wfile.write(b"not found")

        do_POST = do_GET

        def log_message(self, *args: Any) -> None:
            return

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def closed_port() -> str:
    server = HTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    port = server.server_address[1]
    server.server_close()
    return f"http://127.0.0.1:{port}"


def _run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    args = build_parser().parse_args(["sim", *argv])
    code = run_fault_command(args, out=out, err=err)
    return code, out.getvalue(), err.getvalue()


# ------------------------------------------------------------------------------------------------
# ControlClient
# ------------------------------------------------------------------------------------------------


def test_status_describes_the_simulator_and_its_catalogue(sim: SimServer, engine: FaultEngine) -> None:
    status = ControlClient(sim.endpoint_url).status()

    assert (status["simulator"], status["seed"], status["speed"], status["scenario"]) == (
        "warroom",
        7,
        1.0,
        None,
    )
    assert status["schedule"] == []
    assert [entry["id"] for entry in status["catalogue"]] == [spec.id for spec in cat.CATALOGUE]
    lag = next(entry for entry in status["catalogue"] if entry["id"] == "kinesis-consumer-lag")
    assert (lag["title"], lag["target_kind"], lag["default_target"]) == (
        cat.fault("kinesis-consumer-lag").title,
        "stream",
        "ledger-cdc",
    )
    assert {"id": "audit-trail", "name": "audit-trail"} in lag["targets"]
    assert all(f["state"] != "active" for f in status["faults"])
    assert isinstance(status["log"], list) and len(status["log"]) <= 200
    assert probe(sim.endpoint_url) is True


def test_inject_and_clear_through_the_client(sim: SimServer, engine: FaultEngine, client: Any) -> None:
    api = ControlClient(sim.endpoint_url + "/")
    node = engine.workload.inventory.instances["payments-api-2"]

    state = api.inject("ssm-connection-lost", "payments-api-2", duration_s=600)

    assert set(state) >= {
        "fault",
        "target",
        "target_name",
        "origin",
        "state",
        "started_at",
        "ended_at",
        "scenario_at_s",
        "experiment_id",
        "note",
    }
    assert (state["fault"], state["target"], state["target_name"]) == (
        "ssm-connection-lost",
        node,
        "payments-api-2",
    )
    assert (state["origin"], state["state"], state["ended_at"], state["scenario_at_s"]) == (
        "facilitator",
        "active",
        None,
        None,
    )
    assert state["duration_s"] == 600.0
    assert ping_status(ACCOUNT_ID, REGION, node) == "ConnectionLost"
    experiment = client("fis").get_experiment(id=state["experiment_id"])["experiment"]
    assert experiment["state"]["status"] == "running"
    assert experiment["tags"][cat.FAULT_TAG] == "ssm-connection-lost"
    assert (experiment["tags"][cat.TARGET_TAG], experiment["tags"][cat.ORIGIN_TAG]) == (node, "facilitator")
    active = [f for f in api.status()["faults"] if f["state"] == "active"]
    assert [f["experiment_id"] for f in active] == [state["experiment_id"]]

    (cleared,) = api.clear("ssm-connection-lost", node)

    assert (cleared["experiment_id"], cleared["state"]) == (state["experiment_id"], "ended")
    assert cleared["note"] == "cleared by facilitator" and cleared["ended_at"] is not None
    assert ping_status(ACCOUNT_ID, REGION, node) == "Online"
    assert (
        client("fis").get_experiment(id=state["experiment_id"])["experiment"]["state"]["status"] == "stopped"
    )
    assert api.clear("ssm-connection-lost") == []


def test_the_api_answers_400_with_the_reason(sim: SimServer, engine: FaultEngine) -> None:
    api = ControlClient(sim.endpoint_url)
    with pytest.raises(ControlError, match="no fault 'disk-full'; the catalogue has: ebs-instance-cap"):
        api.inject("disk-full")
    with pytest.raises(ControlError, match="ssm-connection-lost has no target 'web-9'"):
        api.inject("ssm-connection-lost", "web-9")
    api.inject("ssm-connection-lost")
    with pytest.raises(ControlError, match="ssm-connection-lost is already active on payments-api-1"):
        api.inject("ssm-connection-lost", "payments-api-1")
    api.clear("ssm-connection-lost")

    request = urllib.request.Request(
        f"{sim.endpoint_url}/_warroom/inject",
        data=b'{"fault": "lambda-errors", "duration_s": -1}',
        method="POST",
    )
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(request, timeout=5)
    assert caught.value.code == 400
    assert json.loads(caught.value.read()) == {
        "error": "duration_s must be a number of scenario seconds above 0, not -1"
    }
    with pytest.raises(urllib.error.HTTPError) as wrong:
        urllib.request.urlopen(f"{sim.endpoint_url}/_warroom/inject", timeout=5)
    assert wrong.value.code == 405
    with pytest.raises(urllib.error.HTTPError) as unknown:
        urllib.request.urlopen(f"{sim.endpoint_url}/_warroom/reset", timeout=5)
    assert unknown.value.code == 404
    assert not engine.active()


def test_the_client_tells_a_simulator_from_anything_else(not_a_simulator: str, closed_port: str) -> None:
    with pytest.raises(ControlError, match="is not a warroom simulator"):
        ControlClient(not_a_simulator).status()
    with pytest.raises(ControlError, match="cannot reach a simulator at"):
        ControlClient(closed_port, timeout=2.0).status()
    with pytest.raises(ControlError, match="not an http:// or https:// endpoint"):
        ControlClient("127.0.0.1:4566")
    assert probe(not_a_simulator) is False and probe(closed_port) is False


def test_an_empty_simulator_has_the_catalogue_but_nothing_to_inject_into() -> None:
    empty = SimServer(empty=True).start()
    try:
        api = ControlClient(empty.endpoint_url)
        status = api.status()
        assert (status["seed"], status["faults"], status["log"]) == (None, [], [])
        assert [e["id"] for e in status["catalogue"]] == list(cat.BY_ID)
        assert all(e["targets"] == [] for e in status["catalogue"])
        with pytest.raises(ControlError, match="without a workload"):
            api.inject("lambda-errors")
    finally:
        empty.stop()


def test_importing_the_client_does_not_import_moto() -> None:
    import subprocess
    import sys

    code = "import sys, tui.sim.control; print('moto' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert result.stdout.strip() == "False"


def test_install_wraps_motos_dispatcher_once() -> None:
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication

    control.install()
    control.install()
    wrapped = DomainDispatcherApplication.__dict__["__call__"]
    original = wrapped.__dict__.get("warroom_original")
    assert original is not None, "the control API is not installed on moto's dispatcher"
    assert "warroom_original" not in original.__dict__, "install() wrapped the dispatcher twice"
    assert list(inspect.signature(original).parameters) == ["self", "environ", "start_response"], (
        "moto's DomainDispatcherApplication.__call__ changed its signature: the control API needs updating"
    )


# ------------------------------------------------------------------------------------------------
# warroom sim inject | clear | faults
# ------------------------------------------------------------------------------------------------


def test_inject_clear_and_faults_commands(sim: SimServer, engine: FaultEngine) -> None:
    url = sim.endpoint_url

    code, out, err = _run(
        "inject", "ssm-connection-lost", "--target", "payments-api-2", "--endpoint-url", url
    )

    assert (code, err) == (0, "")
    (record,) = engine.active()
    experiment = record.experiment_id
    assert (
        out
        == f"started ssm-connection-lost on payments-api-2 (experiment {experiment}, origin facilitator)\n"
    )

    code, out, err = _run("faults", "--endpoint-url", url)
    assert (code, err) == (0, "")
    assert "No scenario (speed 1); seed 7" in out
    assert re.search(
        r"\n  ssm-connection-lost +managed-node +payments-api-1 +active on payments-api-2\n", out
    )
    assert f"started ssm-connection-lost on payments-api-2 (experiment {record.experiment_id}" in out

    code, out, err = _run("faults", "--json", "--endpoint-url", url)
    assert code == 0 and json.loads(out)["faults"][-1]["experiment_id"] == record.experiment_id

    code, out, err = _run("clear", "ssm-connection-lost", "--endpoint-url", url)
    assert (code, err) == (0, "")
    assert out == f"cleared ssm-connection-lost on payments-api-2 (experiment {record.experiment_id})\n"
    assert not engine.active()
    code, out, _ = _run("clear", "ssm-connection-lost", "--target", "payments-api-2", "--endpoint-url", url)
    assert (code, out) == (0, "ssm-connection-lost is not active on payments-api-2: nothing to clear\n")


def test_inject_with_a_duration_in_scenario_time(sim: SimServer, engine: FaultEngine) -> None:
    code, out, _ = _run(
        "inject", "ssm-connection-lost", "--duration", "1h30m", "--endpoint-url", sim.endpoint_url
    )
    assert code == 0 and " on payments-api-1 for 1h30m (experiment " in out
    (record,) = engine.active()
    assert record.duration_s == 5400.0
    engine.clear("ssm-connection-lost")


def test_the_endpoint_comes_from_the_environment(
    sim: SimServer, engine: FaultEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", sim.endpoint_url)
    code, out, _ = _run("faults")
    assert code == 0 and out.startswith("No scenario")
    monkeypatch.delenv("AWS_ENDPOINT_URL")
    code, out, err = _run("faults")
    assert (code, out) == (2, "")
    assert err == "warroom: no simulator given: pass --endpoint-url URL (the URL warroom sim serve printed)\n"


def test_command_errors_are_one_line_and_exit_2(
    sim: SimServer, engine: FaultEngine, not_a_simulator: str, closed_port: str
) -> None:
    for argv, message in (
        (("inject", "disk-full", "--endpoint-url", sim.endpoint_url), "warroom: no fault 'disk-full'"),
        (
            ("faults", "--endpoint-url", not_a_simulator),
            f"warroom: {not_a_simulator} is not a warroom simulator",
        ),
        (("clear", "lambda-errors", "--endpoint-url", closed_port), "warroom: cannot reach a simulator at"),
    ):
        code, out, err = _run(*argv)
        assert (code, out) == (2, ""), argv
        assert err.startswith(message) and err.count("\n") == 1, err
    assert not engine.active()
