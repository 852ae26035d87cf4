"""Remembered session form values, per target and document (ports, remote host), in the state directory.

Only what the form asked for is kept: never credentials, tokens or session ids.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from pathlib import Path

from tui.common import paths
from tui.common.jsonl import replace_atomically

log = logging.getLogger(__name__)

MAX_ENTRIES = 500


def presets_file() -> Path:
    return paths.state_dir() / "session-presets.json"


class Presets:
    """``get(target, document)`` -> the values last used; ``remember`` stores new ones (file 0600)."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or presets_file()
        self._data: dict[str, dict[str, str]] | None = None

    def _load(self) -> dict[str, dict[str, str]]:
        if self._data is None:
            try:
                raw = json.loads(self.path.read_text())
            except (OSError, ValueError):
                raw = {}
            self._data = {
                str(k): {str(a): str(b) for a, b in v.items()}
                for k, v in (raw.items() if isinstance(raw, dict) else ())
                if isinstance(v, dict)
            }
        return self._data

    @staticmethod
    def _key(target: str, document: str) -> str:
        return f"{target}\x00{document}"

    def get(self, target: str, document: str) -> dict[str, str]:
        return dict(self._load().get(self._key(target, document), {}))

    def remember(self, target: str, document: str, values: Mapping[str, str]) -> None:
        data = self._load()
        key = self._key(target, document)
        data.pop(key, None)
        data[key] = {str(k): str(v) for k, v in values.items()}
        while len(data) > MAX_ENTRIES:
            data.pop(next(iter(data)))
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # Replaced whole, never truncated and rewritten: a crash leaves the old presets or the new.
            replace_atomically(self.path, json.dumps(data).encode("utf-8"))
        except OSError as exc:
            log.debug("session presets not saved to %s: %s", self.path, exc)
