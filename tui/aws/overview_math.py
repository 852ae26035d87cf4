"""Pure summaries behind the overview pane (no I/O)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

# L-1216C47A counts the vCPUs of running On-Demand instances in the A, C, D, H, I, M, R, T and Z
# families; these families start with those letters but have quotas of their own.
_OWN_QUOTA_PREFIXES = ("inf", "hpc", "mac", "trn", "dl", "u-", "x", "p", "g", "f", "vt")
_STANDARD_LETTERS = frozenset("acdhimrtz")

SEVERITY_ORDER = ("CRITICAL", "HIGH", "MEDIUM", "LOW", "INFORMATIONAL")


def is_standard_family(instance_type: str) -> bool:
    """Whether an instance type counts against the Standard On-Demand vCPU quota (L-1216C47A)."""
    family = instance_type.split(".", 1)[0].lower()
    if not family or family.startswith(_OWN_QUOTA_PREFIXES):
        return False
    return family[0] in _STANDARD_LETTERS


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


def severity_counts(findings: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    """Findings by Severity.Label, in the order CRITICAL..INFORMATIONAL (zeros kept)."""
    counts = Counter(str((f.get("Severity") or {}).get("Label", "UNKNOWN")) for f in findings)
    ordered = {label: counts.pop(label, 0) for label in SEVERITY_ORDER}
    ordered.update(sorted(counts.items()))
    return ordered
