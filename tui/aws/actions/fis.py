"""Plans for the Experiments pane: start an experiment from a template, stop a running one.

Both run through ``ActionRunner`` like every mutating call: refused in read-only mode, audited.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence

from tui.aws.actions.core import ApiCall, Plan
from tui.aws.fis import ExperimentView, TemplateView, tag_value
from tui.common.catalogue import FAULT_TAG, ORIGIN_TAG, TARGET_TAG

SERVICE = "fis"
ORIGIN = "console"


def _new_token() -> str:
    return str(uuid.uuid4())


def template_key(template: TemplateView) -> str:
    return f"fis:{template.region}:experiment-template/{template.template_id}"


def experiment_key(experiment: ExperimentView) -> str:
    return f"fis:{experiment.region}:experiment/{experiment.experiment_id}"


def start_tags(template: TemplateView) -> dict[str, str]:
    """The tags the experiment gets: started from the console, and the template's fault and target."""
    tags = {ORIGIN_TAG: ORIGIN}
    for key in (FAULT_TAG, TARGET_TAG):
        value = tag_value(template.tags, key)
        if value:
            tags[key] = value
    return tags


def _what_it_does(template: TemplateView) -> tuple[str, ...]:
    notes: list[str] = []
    if not template.detailed:
        notes.append(
            "The template's actions and targets are unknown: GetExperimentTemplate failed in the last "
            "poll. Check the template before running it."
        )
    if template.fault:
        notes.append(f"Fault: {template.fault} (tag {FAULT_TAG}).")
    for line in template.action_details or template.actions:
        notes.append(f"Action {line}")
    for line in template.target_details or template.targets:
        notes.append(f"Target {line}")
    if template.duration:
        notes.append(f"Longest action duration: {template.duration}.")
    if template.stop_conditions:
        notes.append("Stop conditions: " + "; ".join(template.stop_conditions) + ".")
    if template.role_arn:
        notes.append(f"FIS acts as {template.role_arn}.")
    return tuple(notes)


def start_plan(
    template: TemplateView,
    *,
    running: Sequence[ExperimentView] = (),
    token: Callable[[], str] | None = None,
) -> Plan:
    """StartExperiment from ``template``, tagged as started from the console.

    ``running``: experiments of this template already under way (named in the notes). The client
    token is made here, so the call shown is the call made, and a retry cannot start a second one.
    """
    params = {
        "clientToken": (token or _new_token)(),
        "experimentTemplateId": template.template_id,
        "tags": start_tags(template),
    }
    call = ApiCall(SERVICE, "StartExperiment", template.region, params)
    refusal = "" if template.template_id else "the template has no id; refresh the pane first"
    notes = list(_what_it_does(template))
    for experiment in running:
        notes.append(
            f"Experiment {experiment.experiment_id} of this template is already {experiment.status}; "
            "this starts another one."
        )
    notes.append("Shift+X on the experiment stops it; its stop conditions stop it too.")
    described = template.description or template.template_id
    return Plan(
        title=f"Start FIS experiment: {described}",
        why=(
            f"Runs experiment template {template.template_id} in {template.region}: its actions act on "
            "real resources until they finish or the experiment is stopped."
        ),
        calls=(call,),
        refusal=refusal,
        notes=tuple(notes),
        key=template_key(template),
    )


def stop_plan(experiment: ExperimentView) -> Plan:
    """StopExperiment; refused when the experiment has already ended or is stopping."""
    call = ApiCall(SERVICE, "StopExperiment", experiment.region, {"id": experiment.experiment_id})
    refusal = ""
    if experiment.ended:
        when = f" at {experiment.ended_at.isoformat()}" if experiment.ended_at is not None else ""
        refusal = f"experiment {experiment.experiment_id} already ended: {experiment.status}{when}"
    elif experiment.status == "stopping":
        refusal = f"experiment {experiment.experiment_id} is already stopping"
    notes: list[str] = []
    if experiment.fault:
        notes.append(f"Fault: {experiment.fault}" + (f" on {experiment.target}" if experiment.target else ""))
    for line in experiment.action_details or experiment.actions:
        notes.append(f"Action {line}")
    notes.append("FIS stops the actions still running; the experiment ends as stopped.")
    return Plan(
        title=f"Stop FIS experiment {experiment.experiment_id}",
        why=(
            f"Experiment {experiment.experiment_id} of template {experiment.template_id or '?'} is "
            f"{experiment.status or 'in an unknown state'}; stopping it ends its actions"
            + (f" and so the fault {experiment.fault}." if experiment.fault else ".")
        ),
        calls=(call,),
        refusal=refusal,
        notes=tuple(notes),
        key=experiment_key(experiment),
    )
