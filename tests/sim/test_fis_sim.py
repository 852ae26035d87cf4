"""Fault Injection Service in the simulator: one seeded template per catalogue fault, StartExperiment
on a template tagged warroom:fault starts that fault, StopExperiment clears it, and warroom's
experiments keep the state their fault gives them.

Faults started here act on an SSM agent's connection (no metric, no finding) and are stopped
before the test ends. The untagged template lives in af-south-1, a region no other test uses.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tui.common import catalogue as cat
from tui.sim.account import ACCOUNT_ID
from tui.sim.extensions import fis as fis_extension
from tui.sim.extensions.ssm import ping_status
from tui.sim.faults import FaultEngine
from tui.sim.server import SimServer


@pytest.fixture(scope="module")
def sim(own_sim: SimServer) -> SimServer:
    """StartExperiment starts faults: the module's own simulator (own_sim)."""
    return own_sim


@pytest.fixture(scope="module")
def sim_url(own_sim: SimServer) -> str:
    return own_sim.endpoint_url


REGION = "us-east-1"
OTHER_REGION = "af-south-1"


@pytest.fixture
def engine(sim: SimServer) -> Iterator[FaultEngine]:
    engine = sim.faults
    assert engine is not None
    assert not engine.active()
    yield engine
    left = engine.clear_all()
    assert not left, f"the test left faults active: {left}"


@pytest.fixture
def fis(client: Any) -> Any:
    return client("fis", region=REGION)


def _templates(fis: Any) -> dict[str, dict[str, Any]]:
    """The warroom templates by fault id (read in full)."""
    found = {}
    for summary in fis.list_experiment_templates()["experimentTemplates"]:
        fault = summary["tags"].get(cat.FAULT_TAG)
        if fault and summary["tags"].get("Name") == f"warroom-{fault}":
            found[fault] = fis.get_experiment_template(id=summary["id"])["experimentTemplate"]
    return found


def _node(client: Any, instance_id: str) -> str:
    info = client("ssm").describe_instance_information(
        Filters=[{"Key": "InstanceIds", "Values": [instance_id]}]
    )["InstanceInformationList"]
    return str(info[0]["PingStatus"])


def test_one_seeded_template_per_catalogue_fault_names_its_default_target(
    sim: SimServer, engine: FaultEngine, fis: Any
) -> None:
    templates = _templates(fis)

    assert sorted(templates) == sorted(cat.BY_ID)
    for fault_id, template in templates.items():
        spec = cat.fault(fault_id)
        default = engine.default_target(fault_id)
        assert default is not None
        assert template["tags"][cat.TARGET_TAG] == default.id
        assert spec.title in template["description"] and default.label in template["description"]
        (target,) = template["targets"].values()
        assert target["resourceArns"] == [default.arn] and target["selectionMode"] == "ALL"
        (action,) = template["actions"].values()
        assert action["actionId"].startswith("aws:")
        assert template["roleArn"] == f"arn:aws:iam::{ACCOUNT_ID}:role/warroom-fis"
    ssm = templates["ssm-connection-lost"]
    assert ssm["targets"]["ManagedNodes"]["resourceType"] == "aws:ssm:managed-instance"
    assert ssm["actions"]["ssm-connection-lost"]["actionId"] == "aws:ssm:send-command"
    assert templates["lambda-errors"]["actions"]["lambda-errors"]["actionId"] == "aws:lambda:invocation-error"
    assert engine.seed_templates() == {f: t["id"] for f, t in templates.items()}, "seeding again adds nothing"


def test_start_experiment_starts_the_fault_and_stop_experiment_clears_it(
    sim: SimServer, engine: FaultEngine, fis: Any, client: Any
) -> None:
    template = _templates(fis)["ssm-connection-lost"]
    node = template["tags"][cat.TARGET_TAG]

    started = fis.start_experiment(
        experimentTemplateId=template["id"], tags={"team": "blue", cat.ORIGIN_TAG: "someone"}
    )["experiment"]

    assert started["state"]["status"] == "running"
    assert started["tags"] == {
        "team": "blue",
        cat.FAULT_TAG: "ssm-connection-lost",
        cat.TARGET_TAG: node,
        cat.ORIGIN_TAG: "fis",
        cat.SPEED_TAG: "1",
    }
    (record,) = engine.active()
    assert (record.fault, record.target.id, record.origin, record.experiment_id) == (
        "ssm-connection-lost",
        node,
        "fis",
        started["id"],
    )
    assert _node(client, node) == "ConnectionLost"
    for _ in range(3):
        again = fis.get_experiment(id=started["id"])["experiment"]
        assert again["state"]["status"] == "running" and "endTime" not in again
    listed = {e["id"]: e for e in fis.list_experiments()["experiments"]}
    assert listed[started["id"]]["state"]["status"] == "running"
    assert abs(again["startTime"] - record.started_at) < timedelta(milliseconds=1)
    with pytest.raises(ClientError, match="ConflictException"):
        fis.start_experiment(experimentTemplateId=template["id"])

    stopped = fis.stop_experiment(id=started["id"])["experiment"]

    assert stopped["state"]["status"] == "stopped"
    assert record.state == "ended" and record.note == "stopped through FIS (StopExperiment)"
    assert _node(client, node) == "Online"
    final = fis.get_experiment(id=started["id"])["experiment"]
    assert final["state"]["status"] == "stopped" and record.ended_at is not None
    assert abs(final["endTime"] - record.ended_at) < timedelta(milliseconds=1)
    assert [a["state"]["status"] for a in final["actions"].values()] == ["stopped"]
    assert fis.stop_experiment(id=started["id"])["experiment"]["state"]["status"] == "stopped"


def test_the_client_token_makes_start_experiment_idempotent(engine: FaultEngine, fis: Any) -> None:
    template = _templates(fis)["ssm-connection-lost"]
    token = f"fis-sim-{datetime.now(UTC).timestamp()}"
    first = fis.start_experiment(experimentTemplateId=template["id"], clientToken=token)["experiment"]
    second = fis.start_experiment(experimentTemplateId=template["id"], clientToken=token)["experiment"]
    assert first["id"] == second["id"] and len(engine.active()) == 1
    fis.stop_experiment(id=first["id"])


def test_a_template_may_name_another_target_and_a_duration(
    sim: SimServer, engine: FaultEngine, fis: Any, client: Any
) -> None:
    node = engine.workload.inventory.instances["payments-api-2"]
    template = fis.create_experiment_template(
        clientToken=f"fis-sim-duration-{datetime.now(UTC).timestamp()}",
        description="lose payments-api-2's agent for a minute",
        stopConditions=[{"source": "none"}],
        targets={},
        actions={"lose": {"actionId": "aws:fis:wait", "parameters": {"duration": "PT1M"}}},
        roleArn=f"arn:aws:iam::{ACCOUNT_ID}:role/warroom-fis",
        tags={cat.FAULT_TAG: "ssm-connection-lost", cat.TARGET_TAG: node},
    )["experimentTemplate"]
    try:
        started = fis.start_experiment(experimentTemplateId=template["id"])["experiment"]
        (record,) = engine.active()
        assert (record.target.id, record.target.name, record.duration_s) == (node, "payments-api-2", 60.0)
        assert ping_status(ACCOUNT_ID, REGION, node) == "ConnectionLost"

        assert engine.refresh(record.started_at + timedelta(seconds=61)) == [record]

        experiment = fis.get_experiment(id=started["id"])["experiment"]
        assert experiment["state"]["status"] == "completed"
        assert abs(experiment["endTime"] - (record.started_at + timedelta(seconds=60))) < timedelta(
            milliseconds=1
        )
        assert ping_status(ACCOUNT_ID, REGION, node) == "Online"
    finally:
        fis.delete_experiment_template(id=template["id"])


def test_a_template_naming_no_known_target_is_refused(engine: FaultEngine, fis: Any) -> None:
    template = fis.create_experiment_template(
        clientToken=f"fis-sim-bad-{datetime.now(UTC).timestamp()}",
        description="a fault on nothing",
        stopConditions=[{"source": "none"}],
        targets={},
        actions={"x": {"actionId": "aws:fis:wait"}},
        roleArn=f"arn:aws:iam::{ACCOUNT_ID}:role/warroom-fis",
        tags={cat.FAULT_TAG: "ssm-connection-lost", cat.TARGET_TAG: "i-00000000000000000"},
    )["experimentTemplate"]
    try:
        with pytest.raises(ClientError, match=r"ValidationException.*has no target 'i-00000000000000000'"):
            fis.start_experiment(experimentTemplateId=template["id"])
        assert not engine.active()
    finally:
        fis.delete_experiment_template(id=template["id"])


def test_templates_without_the_tag_behave_as_moto_does(engine: FaultEngine, client: Any) -> None:
    other = client("fis", region=OTHER_REGION)
    template = other.create_experiment_template(
        clientToken="fis-sim-plain",
        description="a plain drill",
        stopConditions=[{"source": "none"}],
        targets={},
        actions={"wait": {"actionId": "aws:fis:wait", "parameters": {"duration": "PT1M"}}},
        roleArn=f"arn:aws:iam::{ACCOUNT_ID}:role/drill",
        tags={"team": "blue"},
    )["experimentTemplate"]
    before = len(engine.faults())

    started = other.start_experiment(experimentTemplateId=template["id"])["experiment"]

    assert len(engine.faults()) == before
    states = [other.get_experiment(id=started["id"])["experiment"]["state"]["status"] for _ in range(4)]
    assert states == ["initiating", "running", "completed", "completed"], "moto moves it along as it is read"
    backend = fis_extension.backend(ACCOUNT_ID, OTHER_REGION)
    assert not getattr(backend.experiments[started["id"]], fis_extension.MANAGED_ATTR, False)


def test_moto_fis_internals_are_what_the_extension_patches() -> None:
    from moto.fis.models import Experiment, FISBackend
    from moto.fis.responses import FISResponse
    from moto.moto_api._internal.managed_state_model import ManagedState

    fis_extension.install()
    for name in ("start_experiment", "stop_experiment", "get_experiment", "list_experiments"):
        patched = FISResponse.__dict__.get(name)
        assert patched is not None and "warroom_original" in patched.__dict__, (
            f"FISResponse.{name} is not patched"
        )
    status = ManagedState.__dict__.get("status")
    assert isinstance(status, property) and status.fset is not None, "moto's ManagedState.status changed"
    assert "warroom_original" in Experiment.__dict__["status"].fget.__dict__, (
        "Experiment.status is not patched"
    )
    assert "self._status" in inspect.getsource(ManagedState.__init__), "ManagedState no longer keeps _status"
    start = inspect.signature(FISBackend.start_experiment).parameters
    assert list(start) == ["self", "client_token", "experiment_template_id", "experiment_options", "tags"], (
        "moto's FISBackend.start_experiment changed: tui.sim.extensions.fis needs updating"
    )
    create = inspect.signature(FISBackend.create_experiment_template).parameters
    for name in ("client_token", "description", "stop_conditions", "targets", "actions", "role_arn", "tags"):
        assert name in create, f"moto's FISBackend.create_experiment_template lost {name}"
    backend_init = inspect.getsource(FISBackend.__init__)
    for attribute in (
        "self.experiments",
        "self.experiment_templates",
        "self._client_token_to_experiment_id",
        "self.tagger",
    ):
        assert attribute in backend_init, f"moto's FISBackend no longer sets {attribute}"
    experiment_init = inspect.getsource(Experiment.__init__)
    for attribute in (
        "self.start_time",
        "self.end_time",
        "self.creation_time",
        "self.targets",
        "self.actions",
    ):
        assert attribute in experiment_init, f"moto's FIS Experiment no longer sets {attribute}"
