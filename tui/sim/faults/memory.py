"""Instance memory faults: the CloudWatch agent's mem_used_percent climbs toward full."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from tui.sim.faults.base import FaultError, Target, _Effects, _Fault, _instance_model, _Span
from tui.sim.metricgen import unit_noise

if TYPE_CHECKING:
    from tui.sim.faults.engine import FaultEngine


class _MemoryPressure(_Fault):
    """mem_used_percent climbs to 96-98.5% over ``ramp_s`` scenario seconds."""

    spec_id = "memory-pressure"
    default_target = "settlement-worker-1"
    ramp_s = 5 * 60.0

    def template_action(self) -> tuple[str, dict[str, str]]:
        return "aws:ssm:send-command", {
            "documentArn": "arn:aws:ssm:us-east-1::document/AWSFIS-Run-Memory-Stress"
        }

    def candidates(self, engine: FaultEngine) -> list[Target]:
        return [
            t for t in engine.targets_of_kind("instance") if not _instance_model(engine, t.id).spec.windows
        ]

    def check(self, engine: FaultEngine, target: Target, started: datetime) -> None:
        if _instance_model(engine, target.id).spec.windows:
            raise FaultError(
                f"{target.label} runs Windows: its CloudWatch agent publishes no mem_used_percent"
            )

    def prepare(self, engine: FaultEngine, target: Target, started: datetime) -> dict[str, Any]:
        return {"name": _instance_model(engine, target.id).spec.name, "seed": engine.seed}

    def effects(self, span: _Span, middle: float, minute: int, into: _Effects) -> None:
        if not span.covers(middle):
            return
        goal = 96.0 + 2.5 * unit_noise(span.params["seed"], f"fault:{span.params['name']}:memory", minute)
        into.blends[("CWAgent", "mem_used_percent", span.target.id)] = (
            goal,
            span.progress(middle, self.ramp_s),
        )
