"""EC2 volume fields moto leaves out: DescribeVolumes reports Iops and Throughput as AWS does.

moto 5.2.5 keeps a volume's ``iops`` and ``throughput`` only when CreateVolume (or ModifyVolume)
was given them, so a gp2 volume, a gp3 volume created without them and every root volume come
back without Iops. AWS reports:

* gp2: Iops, the baseline of 3 IOPS per GiB, at least 100 and at most 16,000;
* gp3: Iops and Throughput as provisioned, 3,000 IOPS and 125 MiB/s when not given;
* io1, io2: Iops as provisioned;
* st1, sc1, standard: neither.

``install()`` replaces ``Volume.iops`` and ``Volume.throughput`` with properties that answer so;
what moto stores is kept (as ``_warroom_iops`` and ``_warroom_throughput``) and wins where AWS
would report it.
"""

# moto is imported inside the functions, for start-up time: see tui/sim/extensions/__init__.py.
from __future__ import annotations

import logging
import threading
from typing import Any

logger = logging.getLogger(__name__)

GP2_MIN_IOPS = 100
GP2_MAX_IOPS = 16_000
GP2_IOPS_PER_GIB = 3
GP3_DEFAULT_IOPS = 3_000
GP3_DEFAULT_THROUGHPUT = 125

_install_lock = threading.Lock()
_installed = False


def volume_iops(volume_type: str, size_gib: int, provisioned: int | None) -> int | None:
    """The Iops DescribeVolumes reports for a volume of this type and size."""
    if volume_type == "gp2":
        return min(max(GP2_IOPS_PER_GIB * int(size_gib), GP2_MIN_IOPS), GP2_MAX_IOPS)
    if volume_type == "gp3":
        return int(provisioned) if provisioned else GP3_DEFAULT_IOPS
    if volume_type in ("io1", "io2"):
        return int(provisioned) if provisioned else None
    return None


def volume_throughput(volume_type: str, provisioned: int | None) -> int | None:
    """The Throughput (MiB/s) DescribeVolumes reports: gp3 only."""
    if volume_type == "gp3":
        return int(provisioned) if provisioned else GP3_DEFAULT_THROUGHPUT
    return None


def _get_iops(self: Any) -> int | None:
    return volume_iops(self.volume_type, self.size, self.__dict__.get("_warroom_iops"))


def _set_iops(self: Any, value: Any) -> None:
    self.__dict__["_warroom_iops"] = int(value) if value not in (None, "") else None


def _get_throughput(self: Any) -> int | None:
    return volume_throughput(self.volume_type, self.__dict__.get("_warroom_throughput"))


def _set_throughput(self: Any, value: Any) -> None:
    self.__dict__["_warroom_throughput"] = int(value) if value not in (None, "") else None


def install() -> None:
    """Make moto's volumes report Iops and Throughput as AWS does (idempotent)."""
    global _installed
    from moto.ec2.models.elastic_block_store import Volume

    with _install_lock:
        if _installed:
            return
        for name in ("iops", "throughput"):
            if isinstance(Volume.__dict__.get(name), property):
                raise RuntimeError(f"moto's Volume.{name} is a property now: the EC2 extension needs work")
        Volume.iops = property(_get_iops, _set_iops)  # type: ignore[assignment]
        Volume.throughput = property(_get_throughput, _set_throughput)  # type: ignore[assignment]
        _installed = True
    logger.debug("EC2 volume Iops and Throughput installed")
