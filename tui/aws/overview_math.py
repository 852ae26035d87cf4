"""Pure summaries behind the overview pane (no I/O)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

from tui.common.aws_rules import is_standard_family


def count_states(instances: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    """Instances by state name (pending, running, stopping, stopped, shutting-down, terminated)."""
    return dict(Counter(str(i.get("State", {}).get("Name", "unknown")) for i in instances))


def standard_vcpus(instances: Iterable[Mapping[str, Any]], vcpus_by_type: Mapping[str, int]) -> int | None:
    """vCPUs of running standard-family instances; None if any type's vCPU count is unknown."""
    total = 0
    for inst in instances:
        if inst.get("State", {}).get("Name") != "running":
            continue
        itype = str(inst.get("InstanceType", ""))
        if not is_standard_family(itype):
            continue
        cpu = inst.get("CpuOptions") or {}
        if itype in vcpus_by_type:
            total += vcpus_by_type[itype]
        elif cpu.get("CoreCount") and cpu.get("ThreadsPerCore"):
            total += int(cpu["CoreCount"]) * int(cpu["ThreadsPerCore"])
        else:
            return None
    return total
