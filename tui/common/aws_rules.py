"""Rules AWS defines that the console and the simulator must read alike: which instance families
count against the Standard On-Demand vCPU quota, and which ports Security Hub's EC2.19 control
calls high risk. The console applies them to real accounts; the simulator seeds its workload and
its findings by them, so the two agree on what a pane shows."""

from __future__ import annotations

# L-1216C47A counts the vCPUs of running On-Demand instances in the A, C, D, H, I, M, R, T and Z
# families; these families start with those letters but have quotas of their own.
_OWN_QUOTA_PREFIXES = ("inf", "hpc", "mac", "trn", "dl", "u-", "x", "p", "g", "f", "vt")
_STANDARD_LETTERS = frozenset("acdhimrtz")

#: The ports EC2.19 (vpc-sg-restricted-common-ports) checks.
HIGH_RISK_PORTS = (
    20, 21, 22, 23, 25, 110, 135, 143, 445, 1433, 1434, 3000, 3306, 3389, 4333, 5000,
    5432, 5500, 5601, 8080, 8088, 8888, 9200, 9300,
)  # fmt: skip


def is_standard_family(instance_type: str) -> bool:
    """Whether an instance type counts against the Standard On-Demand vCPU quota (L-1216C47A)."""
    family = instance_type.split(".", 1)[0].lower()
    if not family or family.startswith(_OWN_QUOTA_PREFIXES):
        return False
    return family[0] in _STANDARD_LETTERS
