"""One typed settings object for a run of the console."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from tui.aws.kinesis_math import ScalingRule
from tui.aws.limits_math import Thresholds
from tui.aws.target import AccountSettings, AwsTarget

DEFAULT_THEME = "warroom-dark"
"""The name of the theme used unless another is asked for (``themes.DARK``)."""

GLOBAL_KEYS = "global"
"""The scope of ``Settings.keys`` holding the console's own actions (the config file's ``[keys]``)."""

KeyMap = Mapping[str, Mapping[str, str]]
"""Keys remapped by action: scope (``GLOBAL_KEYS`` or a pane's name) -> action -> keys, comma
separated in Textual's names (``question_mark,f1``)."""


@dataclass(frozen=True)
class Intervals:
    """Seconds between the end of one poll and the start of the next, per pane."""

    overview: float = 30.0
    limits: float = 30.0
    kinesis: float = 30.0
    findings: float = 60.0
    sessions: float = 30.0
    fis: float = 15.0
    alarms: float = 60.0
    max_backoff: float = 300.0


@dataclass(frozen=True)
class Settings:
    target: AwsTarget = field(default_factory=AwsTarget)
    # Which accounts are watched and how each is reached (tui.aws.accounts); the default: the credential's.
    accounts: AccountSettings = field(default_factory=AccountSettings)
    read_only: bool = False
    demo: bool = False
    theme: str = DEFAULT_THEME
    intervals: Intervals = field(default_factory=Intervals)
    thresholds: Thresholds = field(default_factory=Thresholds)
    # An iterator age of this many minutes blocks the advice to scale a stream down.
    kinesis_block_minutes: float = 30.0
    # The Kinesis scaling advice's thresholds and windows (aws-samples/kinesis-auto-scaling's by default).
    kinesis_rule: ScalingRule = field(default_factory=ScalingRule)
    # The Note's UpdatedBy on workflow changes; empty: the caller's identity ARN.
    findings_updated_by: str = ""
    # Findings of another account are fixed through this role in that account (sts:AssumeRole).
    remediation_role: str = "warroom-remediation"
    # The session-manager-plugin to run (None: the one on PATH); only the demo sets its stand-in.
    session_plugin: str | None = None
    # Inside tmux, open each session in a new tmux window instead of suspending the console.
    session_tmux_windows: bool = False
    # Poll every pane from the start (not only those opened), so the journal sees every crossing.
    watch_all: bool = False
    # The journal's append-only file; None: a new file under the state directory.
    journal_path: Path | None = None
    # Write every poll snapshot and journal event to this file (warroom replay / report read it).
    record_path: Path | None = None
    # Who typed a journal note; empty: the caller's identity ARN, else the login name.
    note_author: str = ""
    # The important business services and their impact tolerance (TOML); None: none.
    services_path: Path | None = None
    # Keys remapped by the config file, checked for clashes before they get here (tui.keys).
    keys: KeyMap = field(default_factory=lambda: MappingProxyType({}))
    # What was wrong with the config file (refused as a whole): the console shows each at start.
    warnings: tuple[str, ...] = ()
