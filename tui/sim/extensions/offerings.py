"""moto's EC2 instance type offerings, read for a region when it is first asked about.

Importing ``moto.ec2`` read the offerings of every region moto knows, three location types each
(90 gzipped JSON files), though the simulator answers for one region: about 70 ms of its start.
``install()``, run before ``moto.ec2`` is first imported, lets that import skip them, and gives
each location type a mapping that reads a region's file the first time it is asked for that
region, or for all of them (what ``describe_instance_type_offerings``, ``run_instances`` and the
spot price history read, by region, is the same as before). Once ``moto.ec2`` is imported
without it, the offerings are already read and ``install()`` leaves them.
"""

# moto is imported inside the functions, for start-up time: see tui/sim/extensions/__init__.py.
from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Iterator
from typing import Any

MODULE = "moto.ec2.models.instance_types"
MARK = "instance_type_offerings/"

_lock = threading.RLock()
_installed = False


class _Unread:
    """Where moto's import would have read one region's offerings: nothing yet."""

    def __init__(self, resource: str) -> None:
        self.resource = resource

    def __iter__(self) -> Iterator[Any]:
        return iter(())


class LazyRegions(dict[str, Any]):
    """One location type's offerings by region, each read from its file when first asked for."""

    def __init__(self, location_type: str, files: dict[str, str], read: Callable[[str], Any]) -> None:
        super().__init__()
        self._location_type = location_type
        self._files = dict(files)
        self._read = read

    def _load(self, region: str) -> None:
        with _lock:
            resource = self._files.pop(region, None)
            if resource is None:
                return
            offerings = self._read(resource)
            for offering in offerings:
                offering["LocationType"] = self._location_type
            dict.__setitem__(self, region, offerings)

    def _load_all(self) -> None:
        for region in list(self._files):
            self._load(region)

    @property
    def unread(self) -> frozenset[str]:
        """The regions whose file is not read yet."""
        return frozenset(self._files)

    def __getitem__(self, region: str) -> Any:
        self._load(region)
        return dict.__getitem__(self, region)

    def get(self, region: str, default: Any = None) -> Any:
        self._load(region)
        return dict.get(self, region, default)

    def __contains__(self, region: object) -> bool:
        return region in self._files or dict.__contains__(self, region)

    def __iter__(self) -> Iterator[str]:
        self._load_all()
        return dict.__iter__(self)

    def __len__(self) -> int:
        return dict.__len__(self) + len(self._files)

    def keys(self) -> Any:
        self._load_all()
        return dict.keys(self)

    def values(self) -> Any:
        self._load_all()
        return dict.values(self)

    def items(self) -> Any:
        self._load_all()
        return dict.items(self)


def install() -> None:
    """Read EC2's instance type offerings by region, on first use (idempotent; does nothing once
    ``moto.ec2`` is imported)."""
    global _installed
    with _lock:
        if _installed or MODULE in sys.modules:
            _installed = True
            return
        import moto.utilities.utils as utils

        read = utils.load_resource
        if not callable(read):
            raise RuntimeError(
                "moto.utilities.utils has no load_resource: the offerings extension needs work"
            )

        def load_resource(resource: str) -> Any:
            if MARK in resource:
                return _Unread(resource)
            return read(resource)

        utils.load_resource = load_resource
        try:
            import moto.ec2.models.instance_types as instance_types
        finally:
            utils.load_resource = read
        instance_types.load_resource = read  # type: ignore[attr-defined]
        offerings = getattr(instance_types, "INSTANCE_TYPE_OFFERINGS", None)
        if not isinstance(offerings, dict):
            raise RuntimeError("moto's INSTANCE_TYPE_OFFERINGS is gone: the offerings extension needs work")
        for location_type, regions in list(offerings.items()):
            files = {
                region: unread.resource for region, unread in regions.items() if isinstance(unread, _Unread)
            }
            if len(files) != len(regions):
                raise RuntimeError("moto read offerings another way: the offerings extension needs work")
            offerings[location_type] = LazyRegions(location_type, files, read)
        _installed = True
