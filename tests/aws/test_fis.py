"""The Experiments poller and the FIS actions against the simulator: templates and experiments listed
with their tags, every page, GetExperiment for the times (ended experiments not read again), start and
stop through plans and the ActionRunner (audited; refused in read-only mode without calling AWS), and
failing APIs reported while the rest of the poll stands.

Region me-south-1 is this module's own (shared only with tests/pilot/test_fis.py): everything here is
created by these tests and found by its own ids. moto moves an experiment one state on each
GetExperiment (pending, initiating, running, completed; stopping, stopped); the ``one_step_per_read``
fixture pins that transition so these tests do not depend on moto's default.
"""

from __future__ import annotations

import itertools
import math
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.json_doc import json_of
from tui.aws import fis as fis_module
from tui.aws.actions import ActionRunner, AuditLog, PlanRefusal, ReadOnlyRefusal
from tui.aws.actions.fis import start_plan, stop_plan
from tui.aws.clients import AwsTarget, ClientFactory
from tui.aws.fis import (
    ExperimentView,
    FisPoller,
    FisSnapshot,
    TemplateView,
    poll,
)
from tui.aws.outcome import ApiError
from tui.common.codec import decode, encode
from tui.sim.account import ACCOUNT_ID

REGION = "me-south-1"
ROLE = f"arn:aws:iam::{ACCOUNT_ID}:role/fis-experiments"
ALARM = f"arn:aws:cloudwatch:{REGION}:{ACCOUNT_ID}:alarm:payments-5xx"
FIXED = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
_serial = itertools.count(1)


@pytest.fixture(autouse=True)
def one_step_per_read() -> Iterator[None]:
    """moto's experiments advance one state per GetExperiment while these tests run."""
    from moto.moto_api import state_manager

    model = "fis::experiment"
    before = state_manager.get_transition(model)
    state_manager.set_transition(model, {"progression": "manual", "times": 1})
    try:
        yield
    finally:
        state_manager.unset_transition(model)
        if state_manager.get_transition(model) != before:
            state_manager.set_transition(model, before)


@pytest.fixture
async def factory(sim_url: str) -> AsyncIterator[ClientFactory]:
    made = ClientFactory(
        AwsTarget(regions=(REGION,), endpoint_url=sim_url, access_key="testing", secret_key="testing")
    )
    try:
        yield made
    finally:
        await made.close()


@pytest.fixture
def fis(client: Callable[..., Any]) -> Any:
    return client("fis", region=REGION)


@pytest.fixture
def audit(tmp_path: Path) -> AuditLog:
    return AuditLog(tmp_path / "state" / "audit.jsonl")


def instance_arn(instance_id: str) -> str:
    return f"arn:aws:ec2:{REGION}:{ACCOUNT_ID}:instance/{instance_id}"


def new_template(
    fis: Any,
    *,
    description: str | None = None,
    fault: str = "",
    arns: tuple[str, ...] = (),
    tags: dict[str, str] | None = None,
    duration: str = "PT10M",
) -> str:
    """A template that stops instances (by ARN, or by tag when ``arns`` is empty)."""
    n = next(_serial)
    target: dict[str, Any] = {"resourceType": "aws:ec2:instance", "selectionMode": "ALL"}
    if arns:
        target["resourceArns"] = list(arns)
    else:
        target["resourceTags"] = {"Service": "payments"}
        target["filters"] = [{"path": "State.Name", "values": ["running"]}]
        target["selectionMode"] = "COUNT(1)"
    all_tags = dict(tags or {})
    if fault:
        all_tags["warroom:fault"] = fault
    reply = fis.create_experiment_template(
        clientToken=f"fis-test-{n}",
        description=description or f"fis test template {n}",
        stopConditions=[{"source": "aws:cloudwatch:alarm", "value": ALARM}],
        targets={"Instances": target},
        actions={
            "stop": {
                "actionId": "aws:ec2:stop-instances",
                "description": "stop the instances",
                "parameters": {"startInstancesAfterDuration": duration},
                "targets": {"Instances": "Instances"},
            },
            "wait": {"actionId": "aws:fis:wait", "parameters": {"duration": duration}},
        },
        roleArn=ROLE,
        tags=all_tags,
    )
    template_id: str = reply["experimentTemplate"]["id"]
    return template_id


def start(fis: Any, template_id: str, **tags: str) -> str:
    experiment_id: str = fis.start_experiment(
        clientToken=f"fis-test-start-{next(_serial)}", experimentTemplateId=template_id, tags=tags
    )["experiment"]["id"]
    return experiment_id


def template_of(snapshot: FisSnapshot, template_id: str) -> TemplateView:
    return next(t for t in snapshot.templates if t.template_id == template_id)


def experiment_of(snapshot: FisSnapshot, experiment_id: str) -> ExperimentView:
    return next(e for e in snapshot.experiments if e.experiment_id == experiment_id)


def runner(factory: ClientFactory, audit: AuditLog, *, read_only: bool = False) -> ActionRunner:
    return ActionRunner(factory, read_only=read_only, audit=audit, actor="gameday-lead")


def watch_reads(factory_client: Any) -> list[str]:
    """The ids GetExperiment is called with, in order."""
    seen: list[str] = []

    def record(params: dict[str, Any], **_: Any) -> None:
        seen.append(str(params.get("id")))

    factory_client.meta.events.register("provide-client-params.fis.GetExperiment", record)
    return seen


def deny(code: str, operation: str) -> Callable[..., None]:
    def fail(**_: Any) -> None:
        raise ClientError({"Error": {"Code": code, "Message": f"{operation} refused by the test"}}, operation)

    return fail


# Templates ------------------------------------------------------------------------------------------


async def test_templates_come_with_their_tags_targets_and_actions(factory: ClientFactory, fis: Any) -> None:
    by_arn = new_template(
        fis,
        description="stop payments-api-1",
        fault="ebs-instance-cap",
        arns=(instance_arn("i-0aaa1111bbbb2222c"), instance_arn("i-0ddd3333eeee4444f")),
        tags={"team": "payments", "warroom:target": "i-0aaa1111bbbb2222c"},
    )
    by_tag = new_template(fis, description="stop one payments instance", duration="PT1H30M")

    snapshot = await FisPoller(factory, clock=lambda: FIXED).poll()

    assert snapshot.fetched_at == FIXED and snapshot.error is None and snapshot.errors == ()
    one = template_of(snapshot, by_arn)
    assert one.region == REGION and one.description == "stop payments-api-1"
    assert one.fault == "ebs-instance-cap"
    assert one.targets == (instance_arn("i-0aaa1111bbbb2222c"), instance_arn("i-0ddd3333eeee4444f"))
    assert one.actions == ("aws:ec2:stop-instances", "aws:fis:wait")
    assert one.role_arn == ROLE
    assert one.stop_conditions == (f"aws:cloudwatch:alarm {ALARM}",)
    assert dict(one.tags) == {
        "team": "payments",
        "warroom:fault": "ebs-instance-cap",
        "warroom:target": "i-0aaa1111bbbb2222c",
    }
    assert one.arn.endswith(f":experiment-template/{by_arn}") and one.detailed
    assert one.duration == "PT10M"
    assert one.action_details[0].startswith("stop: aws:ec2:stop-instances · stop the instances")
    assert one.created_at is not None and one.created_at.tzinfo is UTC
    assert one.updated_at is not None and one.updated_at.tzinfo is UTC

    two = template_of(snapshot, by_tag)
    assert two.fault == "" and two.targets == () and two.duration == "PT1H30M"
    (line,) = two.target_details
    assert "tagged Service=payments" in line and "where State.Name=running" in line
    assert "selection COUNT(1)" in line
    assert [t.fault for t in snapshot.templates].index("ebs-instance-cap") < [
        t.template_id for t in snapshot.templates
    ].index(by_tag)


async def test_a_template_body_is_read_again_only_when_it_changes(factory: ClientFactory, fis: Any) -> None:
    template_id = new_template(fis, description="before")
    poller = FisPoller(factory)
    first = await poller.poll()
    assert template_of(first, template_id).description == "before"
    reads = factory.calls["fis:GetExperimentTemplate"]
    assert reads == len(first.templates)

    await poller.poll()
    assert factory.calls["fis:GetExperimentTemplate"] == reads

    fis.update_experiment_template(id=template_id, description="after", roleArn=f"{ROLE}-2")
    third = await poller.poll()
    assert factory.calls["fis:GetExperimentTemplate"] == reads + 1
    changed = template_of(third, template_id)
    assert changed.description == "after" and changed.role_arn == f"{ROLE}-2"


async def test_every_page_of_both_lists_is_read(
    factory: ClientFactory, fis: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    template_id = new_template(fis)
    started = [start(fis, template_id) for _ in range(3)]
    monkeypatch.setattr(fis_module, "PAGE_SIZE", 2)
    templates = len(fis.list_experiment_templates(maxResults=100)["experimentTemplates"])
    experiments = len(fis.list_experiments(maxResults=100)["experiments"])

    snapshot = await poll(factory)

    assert len(snapshot.templates) == templates and len(snapshot.experiments) == experiments
    assert set(started) <= {e.experiment_id for e in snapshot.experiments}
    assert factory.calls["fis:ListExperimentTemplates"] == math.ceil(templates / 2) >= 2
    assert factory.calls["fis:ListExperiments"] == math.ceil(experiments / 2) >= 2


# Experiments ----------------------------------------------------------------------------------------


async def test_experiments_carry_tags_and_their_times_come_from_get_experiment(
    factory: ClientFactory, fis: Any
) -> None:
    template_id = new_template(fis, fault="kinesis-consumer-stall")
    experiment_id = start(
        fis, template_id, **{"warroom:target": "ledger-cdc", "warroom:origin": "scenario", "run": "7"}
    )
    poller = FisPoller(factory)
    client = await factory.client("fis", REGION)
    reads = watch_reads(client)

    first = experiment_of(await poller.poll(), experiment_id)
    assert experiment_id in reads
    assert first.template_id == template_id and first.region == REGION
    assert first.status == "initiating" and first.active and not first.ended
    assert first.reason == "Experiment is initiating"
    assert first.fault == "kinesis-consumer-stall"  # from the template: the experiment has no fault tag
    assert first.target == "ledger-cdc" and first.origin == "scenario"
    assert dict(first.tags) == {"warroom:target": "ledger-cdc", "warroom:origin": "scenario", "run": "7"}
    assert first.started_at is not None and first.started_at.tzinfo is UTC
    assert abs(first.started_at - datetime.now(UTC)) < timedelta(minutes=5)
    assert first.ended_at is None
    assert first.role_arn == ROLE and first.actions == ("aws:ec2:stop-instances", "aws:fis:wait")
    assert first.stop_conditions == (f"aws:cloudwatch:alarm {ALARM}",)

    views = [first]
    for _ in range(3):
        views.append(experiment_of(await poller.poll(), experiment_id))
        if views[-1].ended:
            break
    assert [v.status for v in views] == ["initiating", "running", "completed"]
    done = views[-1]
    assert done.ended and not done.active and done.reason == "Experiment completed"
    assert done.ended_at is not None and done.ended_at.tzinfo is UTC
    assert done.started_at == first.started_at and done.ended_at >= done.started_at
    assert any("completed" in line for line in done.action_details)

    # An experiment read once in a terminal state is never read again.
    read_before = reads.count(experiment_id)
    again = experiment_of(await poller.poll(), experiment_id)
    assert reads.count(experiment_id) == read_before
    assert again == done


async def test_under_way_first_then_newest_first(factory: ClientFactory, fis: Any) -> None:
    template_id = new_template(fis)
    old = start(fis, template_id)
    for _ in range(3):
        fis.get_experiment(id=old)  # pending -> initiating -> running -> completed
    assert fis.get_experiment(id=old)["experiment"]["state"]["status"] == "completed"
    middle = start(fis, template_id)
    newest = start(fis, template_id)

    snapshot = await FisPoller(factory).poll()

    ids = [e.experiment_id for e in snapshot.experiments]
    assert ids.index(newest) < ids.index(middle) < ids.index(old)
    flags = [e.active for e in snapshot.experiments]
    assert flags == sorted(flags, reverse=True), "every experiment under way comes before the ended ones"
    ended = [e for e in snapshot.experiments if not e.active]
    starts = [e.started_at or e.created_at for e in ended]
    assert all(s is not None for s in starts)
    assert starts == sorted(starts, reverse=True)  # type: ignore[type-var]


# Actions --------------------------------------------------------------------------------------------


async def test_start_and_stop_through_plans_are_made_and_audited(
    factory: ClientFactory, fis: Any, audit: AuditLog
) -> None:
    template_id = new_template(
        fis,
        description="stall the ledger consumer",
        fault="kinesis-consumer-stall",
        arns=(instance_arn("i-0123456789abcdef0"),),
        tags={"warroom:target": "ledger-cdc"},
    )
    poller = FisPoller(factory)
    template = template_of(await poller.poll(), template_id)

    plan = start_plan(template, token=lambda: "token-1")
    assert plan.refusal == ""
    (call,) = plan.calls
    assert (call.service, call.operation, call.region) == ("fis", "StartExperiment", REGION)
    assert call.params == {
        "clientToken": "token-1",
        "experimentTemplateId": template_id,
        "tags": {
            "warroom:origin": "console",
            "warroom:fault": "kinesis-consumer-stall",
            "warroom:target": "ledger-cdc",
        },
    }
    assert call.cli() == (
        f"aws fis start-experiment --client-token token-1 --experiment-template-id {template_id} "
        """--tags '{"warroom:origin":"console","warroom:fault":"kinesis-consumer-stall","""
        """"warroom:target":"ledger-cdc"}' --region me-south-1"""
    )
    assert "Fault: kinesis-consumer-stall (tag warroom:fault)." in plan.notes
    assert any(n.startswith("Action stop: aws:ec2:stop-instances") for n in plan.notes)
    assert any(n.startswith("Target Instances: aws:ec2:instance") for n in plan.notes)
    assert any(ALARM in n for n in plan.notes)

    factory.calls.clear()
    result = await runner(factory, audit).execute(plan)
    assert result.ok, result.message
    assert factory.calls == Counter({"fis:StartExperiment": 1})
    experiment_id = result.outputs[0]["experiment"]["id"]
    # The same plan again is the same experiment: the client token makes the call idempotent.
    again = await runner(factory, audit).execute(plan)
    assert again.outputs[0]["experiment"]["id"] == experiment_id
    listed = [e for e in fis.list_experiments()["experiments"] if e["experimentTemplateId"] == template_id]
    assert [e["id"] for e in listed] == [experiment_id]
    assert listed[0]["tags"] == call.params["tags"]

    record = audit.records()[0]
    assert record["outcome"] == "ok" and record["actor"] == "gameday-lead"
    assert (record["service"], record["operation"], record["region"]) == ("fis", "StartExperiment", REGION)
    assert record["params"]["experimentTemplateId"] == template_id
    assert record["params"]["tags"] == call.params["tags"]
    assert record["plan_title"] == "Start FIS experiment: stall the ledger consumer"
    assert record["plan_key"] == f"fis:{REGION}:experiment-template/{template_id}"

    view = experiment_of(await poller.poll(), experiment_id)
    assert view.origin == "console" and view.fault == "kinesis-consumer-stall" and view.target == "ledger-cdc"
    assert view.active

    stop = stop_plan(view)
    assert stop.refusal == ""
    assert [c.cli() for c in stop.calls] == [
        f"aws fis stop-experiment --id {experiment_id} --region {REGION}"
    ]
    stopped = await runner(factory, audit).execute(stop)
    assert stopped.ok, stopped.message
    assert stopped.outputs[0]["experiment"]["state"]["status"] == "stopping"
    final = experiment_of(await poller.poll(), experiment_id)
    assert final.status == "stopped" and final.ended_at is not None and final.ended_at.tzinfo is UTC
    assert [r["operation"] for r in audit.records()] == [
        "StartExperiment",
        "StartExperiment",
        "StopExperiment",
    ]
    assert audit.records()[-1]["params"] == {"id": experiment_id}

    # Stopping an ended experiment is refused before any call.
    refused = stop_plan(final)
    assert refused.refusal.startswith(f"experiment {experiment_id} already ended: stopped at ")
    factory.calls.clear()
    with pytest.raises(PlanRefusal):
        await runner(factory, audit).execute(refused)
    assert factory.calls == Counter()
    assert audit.records()[-1]["outcome"] == "refused"


async def test_read_only_refuses_below_the_ui_without_calling_aws(
    factory: ClientFactory, fis: Any, audit: AuditLog
) -> None:
    template_id = new_template(fis)
    template = template_of(await FisPoller(factory).poll(), template_id)
    experiment_id = start(fis, template_id)
    before = len(fis.list_experiments()["experiments"])
    factory.calls.clear()

    with pytest.raises(ReadOnlyRefusal):
        await runner(factory, audit, read_only=True).execute(start_plan(template))
    view = ExperimentView(REGION, experiment_id, template_id, "running", "", "", "", "", FIXED, None, ())
    with pytest.raises(ReadOnlyRefusal):
        await runner(factory, audit, read_only=True).execute(stop_plan(view))

    assert factory.calls == Counter(), "read-only mode must not call AWS"
    assert len(fis.list_experiments()["experiments"]) == before
    assert fis.get_experiment(id=experiment_id)["experiment"]["state"]["status"] != "stopping"
    records = audit.records()
    assert [(r["operation"], r["outcome"]) for r in records] == [
        ("StartExperiment", "refused-read-only"),
        ("StopExperiment", "refused-read-only"),
    ]


def test_stop_is_refused_while_stopping_and_a_plan_names_running_siblings() -> None:
    def view(status: str) -> ExperimentView:
        return ExperimentView(REGION, f"exp-{status}", "tpl-1", status, "", "", "", "", FIXED, None, ())

    assert stop_plan(view("stopping")).refusal == "experiment exp-stopping is already stopping"
    assert stop_plan(view("failed")).refusal == "experiment exp-failed already ended: failed"
    assert stop_plan(view("pending")).refusal == ""
    template = TemplateView(REGION, "tpl-1", "drill", "", (), ("aws:fis:wait",), ROLE, (), ())
    plan = start_plan(template, running=(view("running"),))
    assert any("exp-running of this template is already running" in n for n in plan.notes)
    assert len({start_plan(template).calls[0].params["clientToken"] for _ in range(3)}) == 3


# Failures -------------------------------------------------------------------------------------------


async def test_denied_template_listing_names_the_permission_and_keeps_the_experiments(
    factory: ClientFactory, fis: Any
) -> None:
    template_id = new_template(fis)
    experiment_id = start(fis, template_id)
    client = await factory.client("fis", REGION)
    client.meta.events.register(
        "before-call.fis.ListExperimentTemplates",
        deny("AccessDeniedException", "ListExperimentTemplates"),
    )
    snapshot = await FisPoller(factory).poll()

    assert snapshot.error is None and snapshot.templates == ()
    (error,) = snapshot.errors
    assert (error.region, error.api) == (REGION, "fis:ListExperimentTemplates")
    assert "access denied" in error.message
    assert error.hint.startswith("grant fis:ListExperimentTemplates to this identity")
    assert "fis:GetExperiment" in error.hint
    view = experiment_of(snapshot, experiment_id)
    assert view.started_at is not None and view.fault == ""
    assert json_of(snapshot)["errors"][0]["api"] == "fis:ListExperimentTemplates"


async def test_get_experiment_failing_leaves_the_times_unknown(factory: ClientFactory, fis: Any) -> None:
    template_id = new_template(fis)
    experiment_id = start(fis, template_id, **{"warroom:origin": "facilitator"})
    client = await factory.client("fis", REGION)
    client.meta.events.register("before-call.fis.GetExperiment", deny("ThrottlingException", "GetExperiment"))
    snapshot = await FisPoller(factory).poll()

    assert snapshot.error is None
    (error,) = snapshot.errors
    assert error.api == "fis:GetExperiment" and "times of" in error.message and "unknown" in error.message
    assert error.hint == "backing off; nothing to do"
    view = experiment_of(snapshot, experiment_id)
    assert view.status == "pending" and view.origin == "facilitator"
    assert view.started_at is None and view.ended_at is None and not view.detailed
    assert view.created_at is not None and view.created_at.tzinfo is UTC
    assert template_of(snapshot, template_id).detailed


async def test_both_listings_failing_is_the_polls_error(factory: ClientFactory) -> None:
    client = await factory.client("fis", REGION)
    for operation in ("ListExperimentTemplates", "ListExperiments"):
        client.meta.events.register(f"before-call.fis.{operation}", deny("AccessDeniedException", operation))
    snapshot = await FisPoller(factory).poll()

    assert snapshot.error is not None and snapshot.error.operation == "ListExperimentTemplates"
    assert "fis:ListExperimentTemplates" in snapshot.error.hint
    assert [e.api for e in snapshot.errors] == ["fis:ListExperimentTemplates", "fis:ListExperiments"]
    assert factory.calls["fis:GetExperiment"] == 0 and factory.calls["fis:GetExperimentTemplate"] == 0
    assert json_of(snapshot)["errors"][-1]["api"] == "ListExperimentTemplates"


async def test_text_from_aws_loses_escape_and_control_characters(factory: ClientFactory, fis: Any) -> None:
    template_id = new_template(
        fis, description="drill\x1b[31m red\nline [b]", tags={"owner\x07": "ops\x1b]0;title\x07 team"}
    )
    start(fis, template_id, **{"warroom:origin": "con\x1b[2Jsole"})
    snapshot = await FisPoller(factory).poll()
    template = template_of(snapshot, template_id)
    assert template.description == "drill red line [b]"
    assert ("owner", "ops team") in template.tags
    (experiment,) = [e for e in snapshot.experiments if e.template_id == template_id]
    assert experiment.origin == "console"


# JSON -----------------------------------------------------------------------------------------------


async def test_json_round_trips(factory: ClientFactory, fis: Any) -> None:
    template_id = new_template(fis, fault="lambda-errors", tags={"Name": "drill <b>[bold]x[/bold]"})
    start(fis, template_id, **{"warroom:origin": "console"})
    snapshot = await FisPoller(factory).poll()
    doc = json_of(snapshot)
    assert set(doc) == {"fetched_at", "templates", "experiments", "errors"}
    item = next(t for t in doc["templates"] if t["template_id"] == template_id)
    assert item["fault"] == "lambda-errors" and item["tags"]["Name"] == "drill <b>[bold]x[/bold]"
    assert datetime.fromisoformat(item["created_at"]).tzinfo is not None
    # A recording holds the snapshot itself, and reads it back whole.
    assert decode(FisSnapshot, encode(snapshot)) == snapshot

    failed = FisSnapshot(FIXED, errors=(ApiError(REGION, "fis:ListExperiments", "denied", "grant it"),))
    assert json_of(failed)["errors"] == [
        {"api": "fis:ListExperiments", "message": "denied", "region": REGION, "hint": "grant it"}
    ]
    assert decode(FisSnapshot, encode(failed)) == failed
