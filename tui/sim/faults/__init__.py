"""The game-day faults of ``tui.common.catalogue``, injected into the seeded workload.

A ``FaultEngine`` is attached to a seeded ``Workload`` (``install()``). ``start`` begins a fault on
a target (by id or by name; each fault has a default target in the seeded fleet), ``clear`` ends
it and restores what it changed, ``refresh`` ends the faults whose duration is over and notices
the ones people fixed (mitigated). Every fault started is a running FIS experiment of the seeded
template for that fault, tagged with the fault, its target and who started it; it turns
``completed`` when the fault's duration is over or it is mitigated, ``stopped`` when it is cleared.

Two kinds of faults:

* metric faults (EBS, network, Kinesis, memory, Lambda) change what the workload's metric
  generator computes. They act per minute, from the engine's timeline: ``effects_at(minute)``
  gives the effects of the faults whose span covers the minute's middle, so a minute written
  twice gets the same values. Ramps progress in scenario time: the engine's ``speed`` scenario
  seconds pass per wall second.
* state faults (a security group rule, a bucket's public access, an SSM agent's connection)
  change resources through the simulator's API, and Security Hub gets a finding about the change.

The engine's ``log`` is the simulator's own record of what happened: one dict per event.

One module per fault family, and the engine:

* ``base``: a fault's record and target, the timeline's spans, and the ``_Fault`` base class
* ``ebs``: an instance's EBS maximum, a provisioned-IOPS volume held to its instance's baseline
* ``network``: an instance at its baseline bandwidth
* ``streams``: Kinesis readers and writers, and the Lambda functions that read the streams
* ``memory``: an instance's memory filling up
* ``security``: a security group open to the world, a public bucket (and their findings)
* ``ssm``: a managed node's agent losing its connection
* ``registry``: every fault by id, with its default target
* ``engine``: ``FaultEngine``
"""

from tui.common.timefmt import compact_duration_text as format_duration
from tui.sim.faults.base import (
    ACTIVE,
    ENDED,
    FIS_ROLE_NAME,
    LOG_LIMIT,
    MITIGATED,
    MONITOR_INTERVAL_S,
    ORIGINS,
    FaultConflict,
    FaultError,
    FaultRecord,
    Target,
)
from tui.sim.faults.engine import FaultEngine, resource_id_of
from tui.sim.faults.registry import DEFAULT_TARGETS, FAULTS

__all__ = [
    "ACTIVE",
    "DEFAULT_TARGETS",
    "ENDED",
    "FAULTS",
    "FIS_ROLE_NAME",
    "LOG_LIMIT",
    "MITIGATED",
    "MONITOR_INTERVAL_S",
    "ORIGINS",
    "FaultConflict",
    "FaultEngine",
    "FaultError",
    "FaultRecord",
    "Target",
    "format_duration",
    "resource_id_of",
]
