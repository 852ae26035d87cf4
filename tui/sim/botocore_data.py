"""One parsed copy of botocore's data files for the whole process.

botocore parses its JSON models (``endpoints.json``, each service's ``service-2.json``) once per
``Session``, and moto makes new sessions freely: three while ``moto.ec2`` is imported, one for each
account's backends, one more for every region list. The simulator's start parsed EC2's 1.5 MB
model seven times and the endpoints six, about 2.5 s of its 5.5 s (measured with a counting
``JSONFileLoader`` around ``SimServer.start``). Sessions made with the same data path now share one
``Loader``, whose own cache then parses each file once; botocore already shares a loader's parsed
models between the clients of one session, and treats them as read-only.
"""

from __future__ import annotations

import threading
from typing import Any

_lock = threading.Lock()
_loaders: dict[str | None, Any] = {}
_installed = False


def install() -> None:
    """Make every botocore session made from now on use the shared loader of its data path (once)."""
    global _installed
    with _lock:
        if _installed:
            return
        import botocore.session
        from botocore.loaders import create_loader

        def shared_loader(search_path_string: str | None = None) -> Any:
            with _lock:
                loader = _loaders.get(search_path_string)
                if loader is None:
                    loader = _loaders[search_path_string] = create_loader(search_path_string)
                return loader

        # botocore.session imported create_loader by name: its own reference is the one to replace.
        botocore.session.create_loader = shared_loader
        _installed = True
