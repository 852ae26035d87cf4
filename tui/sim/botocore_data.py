"""One parsed copy of botocore's data files for the whole process.

botocore parses its JSON models (``endpoints.json``, each service's ``service-2.json``) once per
``Session``, and moto makes new sessions freely: three while ``moto.ec2`` is imported, one for each
account's backends, one more for every region list. The simulator's start parsed EC2's 1.5 MB
model seven times and the endpoints six, about 2.5 s of its 5.5 s (measured with a counting
``JSONFileLoader`` around ``SimServer.start``). Sessions made with the same data path now share one
``Loader``, whose own cache then parses each file once; botocore already shares a loader's parsed
models between the clients of one session, and treats them as read-only.

moto reads the models it serves with a loader of its own class (it merges its ``moto-extras``
into them), and made a new one for each service: each new loader listed every service botocore
knows (some 400 directories) before reading one model, about 0.3 s of the simulator's start. Its
calls now share one loader of that class, whose cache does both once.

Both loaders read the files into plain dicts: botocore asks ``json`` for an ``OrderedDict`` per
object, which parsed more than twice as slowly (EC2's model: 35 ms, 15 ms as dicts), and each copy
of a shape it made to resolve a member was slower too: about 0.25 s of the simulator's CPU at start.
Dicts keep their order, and botocore builds its own ordered maps from the models it reads.
"""

from __future__ import annotations

import json
import os
import threading
from typing import Any

_lock = threading.RLock()
_loaders: dict[str | None, Any] = {}
_moto_loader: list[Any] = []
_installed = False


def _plain_file_loader() -> Any:
    """botocore's JSON file loader, reading objects as dicts."""
    from botocore.loaders import JSONFileLoader

    if not callable(getattr(JSONFileLoader, "_load_file", None)):
        raise RuntimeError("botocore's JSONFileLoader has no _load_file: tui.sim.botocore_data needs work")

    class PlainJSONFileLoader(JSONFileLoader):  # type: ignore[misc]
        def _load_file(self, full_path: str, open_method: Any) -> Any:
            if not os.path.isfile(full_path):
                return None
            with open_method(full_path, "rb") as fp:
                return json.loads(fp.read().decode("utf-8"))

    return PlainJSONFileLoader()


def install() -> None:
    """Make every botocore session made from now on use the shared loader of its data path, and
    moto's model reads one loader of moto's class (once)."""
    global _installed
    with _lock:
        if _installed:
            return
        import botocore.session
        from botocore.loaders import create_loader

        file_loader = _plain_file_loader()

        def shared_loader(search_path_string: str | None = None) -> Any:
            with _lock:
                loader = _loaders.get(search_path_string)
                if loader is None:
                    loader = _loaders[search_path_string] = create_loader(search_path_string)
                    loader.file_loader = file_loader
                return loader

        # botocore.session imported create_loader by name: its own reference is the one to replace.
        botocore.session.create_loader = shared_loader

        import moto.core.utils
        from moto.core.loaders import create_loader as create_moto_loader

        def shared_moto_loader() -> Any:
            with _lock:
                if not _moto_loader:
                    loader = create_moto_loader()
                    loader.file_loader = file_loader
                    _moto_loader.append(loader)
                return _moto_loader[0]

        if not callable(getattr(moto.core.utils, "create_loader", None)):
            raise RuntimeError("moto.core.utils has no create_loader: tui.sim.botocore_data needs updating")
        setattr(moto.core.utils, "create_loader", shared_moto_loader)  # noqa: B010
        _installed = True
