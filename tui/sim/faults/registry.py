"""Every catalogue fault's implementation, by fault id, and each one's default target."""

from __future__ import annotations

from tui.sim.faults.base import FaultError, _Fault
from tui.sim.faults.ebs import _EbsInstanceCap, _Io2InstanceCap
from tui.sim.faults.memory import _MemoryPressure
from tui.sim.faults.network import _NetworkBaseline
from tui.sim.faults.security import _S3PublicBucket, _SgOpenSsh
from tui.sim.faults.ssm import _SsmConnectionLost
from tui.sim.faults.streams import _KinesisConsumerLag, _KinesisWriteThrottle, _LambdaErrors

FAULTS: dict[str, _Fault] = {
    fault.spec_id: fault
    for fault in (
        _EbsInstanceCap(),
        _Io2InstanceCap(),
        _NetworkBaseline(),
        _KinesisConsumerLag(),
        _KinesisWriteThrottle(),
        _SgOpenSsh(),
        _S3PublicBucket(),
        _SsmConnectionLost(),
        _MemoryPressure(),
        _LambdaErrors(),
    )
}
"""Every catalogue fault's implementation, by fault id."""

DEFAULT_TARGETS: dict[str, str] = {fault_id: fault.default_target for fault_id, fault in FAULTS.items()}
"""The name of each fault's default target in the seeded workload."""


def _implementation(fault_id: str) -> _Fault:
    implementation = FAULTS.get(fault_id)
    if implementation is None:
        known = ", ".join(FAULTS)
        raise FaultError(f"no fault {fault_id!r}; the catalogue has: {known}")
    return implementation
