"""Where warroom keeps files: the XDG state and config directories (platformdirs)."""

from __future__ import annotations

import os
from pathlib import Path

from platformdirs import user_config_path, user_state_path

APP = "warroom"


def state_dir() -> Path:
    """Logs and the audit log. ``WARROOM_STATE_DIR`` overrides it (tests, shared game-day hosts)."""
    override = os.environ.get("WARROOM_STATE_DIR")
    path = Path(override) if override else user_state_path(APP)
    path.mkdir(parents=True, exist_ok=True)
    return path


def config_dir() -> Path:
    override = os.environ.get("WARROOM_CONFIG_DIR")
    return Path(override) if override else user_config_path(APP)


def log_file() -> Path:
    return state_dir() / "warroom.log"


def audit_file() -> Path:
    return state_dir() / "audit.jsonl"
