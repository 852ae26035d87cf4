"""The Experiments pane driven with keys against the simulator: templates listed, Tab between the lists,
the filter, the details, starting an experiment from a template and stopping it (each asks first), and
read-only mode refusing.

Region me-south-1 is shared with tests/aws/test_fis.py only; these tests find what they create by id.
moto moves an experiment one state on each GetExperiment; ``one_step_per_read`` pins that.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

# moto's experiments advance one state per GetExperiment here too (an autouse fixture).
from tests.aws.test_fis import one_step_per_read  # noqa: F401
from tests.helpers import frozen_clock, open_pane, settle, sim_settings
from tui.app import WarroomApp, make_app
from tui.aws.clients import AwsTarget
from tui.common import paths
from tui.screens.confirm import ConfirmScreen
from tui.screens.fis import FisDetailScreen, FisScreen
from tui.settings import Intervals
from tui.sim.account import ACCOUNT_ID
from widgets.vtable import VirtualTable

REGION = "me-south-1"
_serial = itertools.count(1)


@pytest.fixture
def fis(client: Callable[..., Any]) -> Any:
    return client("fis", region=REGION)


def new_template(fis: Any, description: str, fault: str = "") -> str:
    n = next(_serial)
    reply = fis.create_experiment_template(
        clientToken=f"fis-pilot-{n}-{len(description)}",
        description=description,
        stopConditions=[{"source": "none"}],
        targets={
            "Instances": {
                "resourceType": "aws:ec2:instance",
                "resourceArns": [f"arn:aws:ec2:{REGION}:{ACCOUNT_ID}:instance/i-0f1e2d3c4b5a69788"],
                "selectionMode": "ALL",
            }
        },
        actions={"stop": {"actionId": "aws:ec2:stop-instances", "targets": {"Instances": "Instances"}}},
        roleArn=f"arn:aws:iam::{ACCOUNT_ID}:role/fis-pilot",
        tags={"warroom:fault": fault} if fault else {},
    )
    template_id: str = reply["experimentTemplate"]["id"]
    return template_id


def fis_app(url: str, **overrides: Any) -> WarroomApp:
    target = AwsTarget(regions=(REGION,), endpoint_url=url, access_key="testing", secret_key="testing")
    # Polls come only from the test's keys and the actions (one second after each).
    settings = sim_settings(url, target=target, intervals=Intervals(fis=600.0), **overrides)
    return make_app(settings, clock=frozen_clock)


async def open_fis(pilot: Pilot[Any]) -> FisScreen:
    screen: FisScreen = await open_pane(pilot, "6", FisScreen)
    return screen


def _audit() -> list[dict[str, Any]]:
    path = paths.audit_file()
    if not path.exists():
        return []
    return [json.loads(line) for line in Path(path).read_text().splitlines() if line.strip()]


def _row_text(table: VirtualTable, key: str) -> str:
    row = next(r for r in table.rows if r.key == key)
    return " ".join(c if isinstance(c, str) else "".join(t for t, _ in c) for c in row.cells)


async def test_start_an_experiment_from_a_template_then_stop_it(sim_url: str, fis: Any) -> None:
    # Text from AWS that is not valid markup and carries an escape sequence must show literally.
    template_id = new_template(
        fis, "pilot: stop the web tier [red]x[/bold]\x1b[31m", fault="ebs-instance-cap"
    )
    app = fis_app(sim_url)
    # Toasts shown, so a notification that parsed AWS text as markup would fail the test.
    async with app.run_test(size=(160, 48), notifications=True) as pilot:
        screen = await open_fis(pilot)
        assert screen.snapshot is not None and screen.snapshot.error is None
        templates = screen.query_one("#fis-templates", VirtualTable)
        key = f"{REGION}/{template_id}"
        assert templates.move_cursor_to_key(key)
        row = _row_text(templates, key)
        assert (
            "pilot: stop the web tier [red]x[/bold]" in row
            and "\x1b" not in row
            and "ebs-instance-cap" in row
        )
        assert "i-0f1e2d3c4b5a69788" in row and "aws:ec2:stop-instances" in row

        await pilot.press("S")
        await pilot.pause()
        confirm = app.screen
        assert isinstance(confirm, ConfirmScreen) and confirm.runnable
        (call,) = confirm.plan.calls
        assert call.operation == "StartExperiment" and call.params["experimentTemplateId"] == template_id
        assert call.params["tags"] == {"warroom:origin": "console", "warroom:fault": "ebs-instance-cap"}
        assert any(note.startswith("Action stop: aws:ec2:stop-instances") for note in confirm.plan.notes)
        await pilot.press("y")

        def started() -> Any:
            snap = screen.snapshot
            return snap and next((e for e in snap.experiments if e.template_id == template_id), None)

        await settle(pilot, lambda: isinstance(app.screen, FisScreen) and started())
        experiment = started()
        assert experiment.origin == "console" and experiment.fault == "ebs-instance-cap"
        assert experiment.active and experiment.started_at is not None
        experiments = screen.query_one("#fis-experiments", VirtualTable)
        await settle(pilot, lambda: experiments.cursor_key == f"{REGION}/{experiment.experiment_id}")
        assert experiments.body.has_focus, "the new experiment is selected in the experiments list"
        assert "◌ initiating" in _row_text(experiments, experiments.cursor_key or "")

        await pilot.press("X")
        await pilot.pause()
        confirm = app.screen
        assert isinstance(confirm, ConfirmScreen) and confirm.runnable
        assert [c.cli() for c in confirm.plan.calls] == [
            f"aws fis stop-experiment --id {experiment.experiment_id} --region {REGION}"
        ]
        await pilot.press("y")

        def status() -> str:
            snap = screen.snapshot
            found = snap and next((e for e in snap.experiments if e.template_id == template_id), None)
            return found.status if found else ""

        await settle(pilot, lambda: status() == "stopped")
        assert "■ stopped" in _row_text(experiments, f"{REGION}/{experiment.experiment_id}")
        assert fis.get_experiment(id=experiment.experiment_id)["experiment"]["state"]["status"] == "stopped"
        made = [
            (r["operation"], r["outcome"])
            for r in _audit()
            if r.get("plan_key", "").endswith((template_id, experiment.experiment_id))
        ]
        assert made == [("StartExperiment", "ok"), ("StopExperiment", "ok")]

        # Stopping it again is refused in the modal, before any call.
        await pilot.press("X")
        await pilot.pause()
        confirm = app.screen
        assert isinstance(confirm, ConfirmScreen) and not confirm.runnable
        assert "already ended: stopped" in confirm.plan.refusal
        await pilot.press("escape")


async def test_tab_filter_and_details(sim_url: str, fis: Any) -> None:
    wanted = new_template(fis, "pilot: unique-filter-word [bold]literal[/bold]")
    new_template(fis, "pilot: another template")
    app = fis_app(sim_url, read_only=True)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_fis(pilot)
        templates = screen.query_one("#fis-templates", VirtualTable)
        experiments = screen.query_one("#fis-experiments", VirtualTable)
        assert templates.body.has_focus
        await pilot.press("tab")
        assert experiments.body.has_focus
        await pilot.press("tab")
        assert templates.body.has_focus

        await pilot.press("slash", *"unique-filter-word", "enter")
        await pilot.pause()
        assert [r.key for r in templates.rows] == [f"{REGION}/{wanted}"]
        await pilot.press("enter")
        await pilot.pause()
        detail = app.screen
        assert isinstance(detail, FisDetailScreen)
        body = detail.body.plain
        assert wanted in body and "[bold]literal[/bold]" in body and "aws:ec2:stop-instances" in body
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is screen
        await pilot.press("escape")
        await pilot.pause()
        assert len(templates.rows) >= 2


async def test_read_only_mode_refuses_to_start(sim_url: str, fis: Any) -> None:
    template_id = new_template(fis, "pilot: read-only start")
    app = fis_app(sim_url, read_only=True)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_fis(pilot)
        assert screen.query_one("#fis-templates", VirtualTable).move_cursor_to_key(f"{REGION}/{template_id}")
        await pilot.press("S")
        await pilot.pause()
        confirm = app.screen
        assert isinstance(confirm, ConfirmScreen) and not confirm.runnable
        await pilot.press("y")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen), "y does nothing in read-only mode"
        await pilot.press("n")
        await pilot.pause()
        assert isinstance(app.screen, FisScreen)
        assert app.factory.calls["fis:StartExperiment"] == 0
        listed = fis.list_experiments()["experiments"]
        assert not any(e["experimentTemplateId"] == template_id for e in listed)
