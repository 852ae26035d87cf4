"""How the Experiments pane looks, on fixed templates and experiments at the frozen moment: every
experiment state with its symbol and word, a failed API with what to do, text from AWS that looks
like markup shown literally, the details of an experiment and the confirm modal of a start."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from textual.pilot import Pilot

from tests.frozen import FROZEN
from tests.helpers import settle, sim_app
from tui.aws.actions import fis as fis_actions
from tui.aws.fis import ExperimentView, FisPoller, FisSnapshot, TemplateView
from tui.aws.outcome import ApiError
from tui.screens.fis import FisScreen

# At 80x24 in test_panes_80x24.py, with every other pane.
SIZES = [(160, 48)]
REGION = "us-east-1"
ACCOUNT = "123456789012"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/warroom-fis"


def _instance(instance_id: str) -> str:
    return f"arn:aws:ec2:{REGION}:{ACCOUNT}:instance/{instance_id}"


def _template(
    template_id: str, description: str, fault: str, targets: tuple[str, ...], **more: Any
) -> TemplateView:
    tags = (("warroom:fault", fault),) if fault else ()
    values: dict[str, Any] = {
        "region": REGION,
        "template_id": template_id,
        "description": description,
        "fault": fault,
        "targets": targets,
        "actions": ("aws:fis:wait",),
        "role_arn": ROLE,
        "stop_conditions": ("none",),
        "tags": tags,
        "arn": f"arn:aws:fis:{REGION}:{ACCOUNT}:experiment-template/{template_id}",
        "target_details": tuple(f"Instances: aws:ec2:instance · {t}" for t in targets),
        "action_details": ("wait: aws:fis:wait · duration=PT10M",),
        "duration": "PT10M",
        "created_at": FROZEN - timedelta(days=3),
        "updated_at": FROZEN - timedelta(days=1),
    }
    values.update(more)
    return TemplateView(**values)


TEMPLATES = (
    _template(
        "EXT1a2b3c4d5e6f7",
        "EBS capped by payments-db-1",
        "ebs-instance-cap",
        (_instance("i-0a1b2c3d4e5f60718"),),
    ),
    _template(
        "EXT2b3c4d5e6f7a8",
        "Stall the ledger consumer",
        "kinesis-consumer-stall",
        (f"arn:aws:kinesis:{REGION}:{ACCOUNT}:stream/ledger-cdc",),
        actions=("aws:fis:wait", "aws:ssm:send-command"),
    ),
    _template(
        "EXT3c4d5e6f7a8b9",
        "[bold]Legacy[/bold] stop-instances drill",
        "",
        (),
        actions=("aws:ec2:stop-instances",),
        target_details=("Instances: aws:ec2:instance · tagged Team=legacy · selection COUNT(1)",),
    ),
)


def _experiment(
    experiment_id: str, template: TemplateView, status: str, started: int, ended: int | None, **tags: str
) -> ExperimentView:
    all_tags = dict(tags)
    if template.fault:
        all_tags.setdefault("warroom:fault", template.fault)
    return ExperimentView(
        region=REGION,
        experiment_id=experiment_id,
        template_id=template.template_id,
        status=status,
        reason=f"Experiment {status}",
        fault=template.fault,
        target=all_tags.get("warroom:target", ""),
        origin=all_tags.get("warroom:origin", ""),
        started_at=FROZEN - timedelta(minutes=started),
        ended_at=None if ended is None else FROZEN - timedelta(minutes=ended),
        tags=tuple(sorted(all_tags.items())),
        arn=f"arn:aws:fis:{REGION}:{ACCOUNT}:experiment/{experiment_id}",
        created_at=FROZEN - timedelta(minutes=started),
        role_arn=ROLE,
        resources=template.targets,
        actions=template.actions,
        action_details=(f"wait: aws:fis:wait · duration=PT10M · {status}",),
        target_details=template.target_details,
        stop_conditions=template.stop_conditions,
    )


EXPERIMENTS = (
    _experiment(
        "EXPrun1a2b3c4d5e",
        TEMPLATES[1],
        "running",
        4,
        None,
        **{"warroom:target": "ledger-cdc", "warroom:origin": "scenario"},
    ),
    _experiment("EXPpen2b3c4d5e6f", TEMPLATES[0], "pending", 0, None, **{"warroom:origin": "console"}),
    _experiment(
        "EXPcom3c4d5e6f7a",
        TEMPLATES[0],
        "completed",
        95,
        85,
        **{"warroom:target": "i-0a1b2c3d4e5f60718", "warroom:origin": "fis"},
    ),
    _experiment("EXPsto4d5e6f7a8b", TEMPLATES[1], "stopped", 180, 171, **{"warroom:origin": "facilitator"}),
    _experiment("EXPfai5e6f7a8b9c", TEMPLATES[2], "failed", 300, 299),
)


@pytest.fixture(autouse=True)
def fixed_experiments(monkeypatch: pytest.MonkeyPatch) -> None:
    async def poll(self: FisPoller, answered: Any = None) -> FisSnapshot:
        return FisSnapshot(
            fetched_at=FROZEN,
            templates=TEMPLATES,
            experiments=EXPERIMENTS,
            errors=(
                ApiError(
                    REGION,
                    "fis:GetExperimentTemplate",
                    "GetExperimentTemplate: access denied (targets and actions of EXT9 unknown)",
                    "grant fis:GetExperimentTemplate to this identity",
                ),
            ),
        )

    monkeypatch.setattr(FisPoller, "poll", poll)
    monkeypatch.setattr(fis_actions, "_new_token", lambda: "6f1c2d3e-0000-4000-8000-00000000c0de")


async def _ready(pilot: Pilot[Any]) -> None:
    await pilot.press("6")
    await settle(
        pilot,
        lambda: isinstance(pilot.app.screen, FisScreen) and pilot.app.screen.snapshot is not None,
        what="the Experiments pane to show its poll",
    )
    await settle(pilot, lambda: getattr(pilot.app, "account", ""), what="the header to know the account")
    await pilot.pause()


@pytest.mark.parametrize("size", SIZES, ids=["160x48"])
def test_experiments(snap_compare: Any, sim_url: str, size: tuple[int, int]) -> None:
    assert snap_compare(sim_app(sim_url), terminal_size=size, run_before=_ready)


def test_experiment_details(snap_compare: Any, sim_url: str) -> None:
    async def details(pilot: Pilot[Any]) -> None:
        await _ready(pilot)
        await pilot.press("tab", "enter")
        await pilot.pause()

    assert snap_compare(sim_app(sim_url), terminal_size=(120, 40), run_before=details)


def test_start_asks_first(snap_compare: Any, sim_url: str) -> None:
    async def confirm(pilot: Pilot[Any]) -> None:
        await _ready(pilot)
        await pilot.press("S")
        await pilot.pause()

    assert snap_compare(sim_app(sim_url), terminal_size=(120, 40), run_before=confirm)
