"""Network faults: an instance's traffic at its baseline bandwidth."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from tui.sim.faults.base import Target, _Effects, _Fault, _instance_model, _Span
from tui.sim.metricgen import InstanceModel, level, unit_noise

if TYPE_CHECKING:
    from tui.sim.faults.engine import FaultEngine


class _NetworkBaseline(_Fault):
    """The instance's busiest direction carries 101-105% of its baseline bandwidth: over it every
    minute, so the instance's allowance is exceeded (and its alarm fires) whatever the minute the
    fault starts on (with 98-104%, a third of the minutes stayed under it)."""

    spec_id = "network-baseline"
    default_target = "ingest-1"

    def prepare(self, engine: FaultEngine, target: Target, started: datetime) -> dict[str, Any]:
        return {"model": _instance_model(engine, target.id), "seed": engine.seed}

    def effects(self, span: _Span, middle: float, minute: int, into: _Effects) -> None:
        if not span.covers(middle):
            return
        model: InstanceModel = span.params["model"]
        seed: int = span.params["seed"]
        spec = model.spec
        busiest = max(
            level(spec.net_in_mbps, seed, f"{spec.name}:net-in", minute),
            level(spec.net_out_mbps, seed, f"{spec.name}:net-out", minute),
        )
        if busiest <= 0.0:
            return
        baseline = spec.facts.net_baseline_gbps * 1000.0
        goal = baseline * (1.01 + 0.04 * unit_noise(seed, f"fault:{spec.name}:network", minute))
        into.network[model.instance_id] = into.network.get(model.instance_id, 1.0) * max(1.0, goal / busiest)
