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


CONFIG_ENV = "WARROOM_CONFIG"
"""The environment variable naming the config file itself (tests, a team's shared file)."""


def config_dir() -> Path:
    """The platform's config directory: ``$XDG_CONFIG_HOME/warroom`` (``~/.config/warroom``) on
    Linux, ``~/Library/Application Support/warroom`` on macOS, ``%APPDATA%\\warroom`` on Windows.
    ``WARROOM_CONFIG_DIR`` overrides it."""
    override = os.environ.get("WARROOM_CONFIG_DIR")
    return Path(override) if override else user_config_path(APP, appauthor=False, roaming=True)


def config_file() -> Path:
    """The config file: ``WARROOM_CONFIG`` when set, else ``config.toml`` in ``config_dir()``."""
    override = os.environ.get(CONFIG_ENV)
    return Path(override).expanduser() if override else config_dir() / "config.toml"


def log_file() -> Path:
    return state_dir() / "warroom.log"


def audit_file() -> Path:
    return state_dir() / "audit.jsonl"
