"""The config file: the settings a person keeps, in one TOML file, merged with the environment and
the command line into the one ``Settings``, each value with where it came from.

The file is ``paths.config_file()`` (``warroom config path``). Each setting is taken, lowest first,
from the defaults, the file, the environment (``AWS_PROFILE``; ``AWS_REGION``, else
``AWS_DEFAULT_REGION``) and the command line, so a flag wins over the environment and the
environment over the file, as with the AWS CLI. ``warroom config show`` prints every setting and
its source.

A file that cannot be used is refused as a whole and the defaults are in force: not TOML, a key
it does not know, a value of the wrong type or out of range, a theme or services file that does not
load, or a key map that clashes (checked by ``tui.keys``, which knows the console's keys). Each
problem names the file, the line and the field, e.g. ``config.toml line 7: limits.warn_at: expected
a number, got 'high'``; the console shows it when it starts and ``warroom config check`` prints it.

Every key is optional::

    profile = "prod-ro"                 # unset: the AWS CLI's chain
    regions = ["us-east-1", "eu-west-1"]
    theme = "warroom-high-contrast"
    note_author = "alice"
    services = "services.toml"          # relative to this file

    [limits]
    warn_at = 80                        # percent of the binding limit
    critical_at = 95

    [kinesis]
    scale_up_rule = "0.75:5/5"          # USAGE:M/N, as --scale-up-rule
    scale_down_rule = "0.25:57/60"
    scale_down_block_minutes = 30

    [findings]
    updated_by = ""                     # empty: your identity ARN
    remediation_role = "warroom-remediation"

    [sessions]
    tmux_windows = true

    [intervals]                         # seconds between polls
    findings = 120

    [keys]                              # the console's actions -> key
    help = "f1"

    [keys.limits]                       # one pane's actions -> key
    sort = "o"

    [organization]                      # which accounts to watch (tui.aws.accounts)
    read = true                         # --org: ListAccounts of AWS Organizations
    role = "warroom-readonly"           # --account-role: assumed in each other account
    watch = ["payments-prod"]           # --accounts: only these (ids or names)

    [[accounts]]                        # one per account, when the organization is not read
    id = "210987654321"
    name = "payments-prod"
    role = "warroom-readonly"           # a role name or ARN to assume (default: organization.role)

    [[accounts]]
    id = "345678901234"
    name = "ledger-prod"
    profile = "ledger-ro"               # or an AWS CLI profile of that account
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

from tui import panes
from tui.aws.clients import ROLE_ARN, AwsTarget, account_of_role
from tui.aws.kinesis_math import ScalingRule
from tui.aws.limits_math import Thresholds
from tui.aws.target import DEFAULT_ACCOUNT_ROLE, AccountEntry, AccountSettings
from tui.common import paths
from tui.common.codec import UNSET, FileError, Model, Unset, error_at, path_of, read_toml, toml_line
from tui.settings import DEFAULT_THEME, GLOBAL_KEYS, Intervals, Settings

KeySpec = str | tuple[str, ...]
"""A key (``"o"``, ``"ctrl+f"``), several comma separated (``"o,O"``), or a list of them."""

ROLE_NAME = re.compile(r"[\w+=,.@/-]{1,64}")
REGION_NAME = re.compile(r"[a-z0-9][a-z0-9-]{0,31}")
NOTE_AUTHOR_MAX = 200
UPDATED_BY_MAX = 512
INTERVAL_RANGE = (1.0, 86400.0)
ACCOUNT_ID = re.compile(r"\d{12}")
ACCOUNT_NAME_MAX = 50
PROFILE_MAX = 128


class ConfigError(ValueError):
    """Settings that cannot go together (a flag against the file's value); names both sources."""


# ---------------------------------------------------------------------------------------------
# The file's model: UNSET where the file says nothing
# ---------------------------------------------------------------------------------------------


class LimitsTable(Model, frozen=True):
    warn_at: float | Unset = UNSET
    critical_at: float | Unset = UNSET


class KinesisTable(Model, frozen=True):
    scale_up_rule: str | Unset = UNSET
    scale_down_rule: str | Unset = UNSET
    scale_down_block_minutes: float | Unset = UNSET


class FindingsTable(Model, frozen=True):
    updated_by: str | Unset = UNSET
    remediation_role: str | Unset = UNSET


class SessionsTable(Model, frozen=True):
    tmux_windows: bool | Unset = UNSET


class IntervalsTable(Model, frozen=True):
    overview: float | Unset = UNSET
    limits: float | Unset = UNSET
    kinesis: float | Unset = UNSET
    findings: float | Unset = UNSET
    sessions: float | Unset = UNSET
    fis: float | Unset = UNSET
    alarms: float | Unset = UNSET
    max_backoff: float | Unset = UNSET


class OrganizationTable(Model, frozen=True):
    read: bool | Unset = UNSET
    role: str | Unset = UNSET
    watch: tuple[str, ...] | Unset = UNSET


class AccountTable(Model, frozen=True):
    id: str | int
    """A string, or an integer (an id written without quotes has no leading zero to lose)."""
    name: str | Unset = UNSET
    role: str | Unset = UNSET
    profile: str | Unset = UNSET


class ConfigModel(Model, frozen=True):
    profile: str | Unset = UNSET
    regions: tuple[str, ...] | Unset = UNSET
    theme: str | Unset = UNSET
    note_author: str | Unset = UNSET
    services: str | Unset = UNSET
    limits: LimitsTable = LimitsTable()
    kinesis: KinesisTable = KinesisTable()
    findings: FindingsTable = FindingsTable()
    sessions: SessionsTable = SessionsTable()
    intervals: IntervalsTable = IntervalsTable()
    keys: dict[str, KeySpec | dict[str, KeySpec]] = {}
    organization: OrganizationTable = OrganizationTable()
    accounts: tuple[AccountTable, ...] = ()


# ---------------------------------------------------------------------------------------------
# The settings a file, the environment and the flags can set
# ---------------------------------------------------------------------------------------------


def percent(text: str | float) -> float:
    """A threshold in percent of the binding limit, above 0 and at most 1000."""
    try:
        value = float(text)
    except (TypeError, ValueError):
        raise ValueError(f"{text!r} is not a number") from None
    if not 0 < value <= 1000:
        raise ValueError(f"{value:g} is not a percentage between 0 and 1000")
    return value


def scaling_window(text: str) -> tuple[float, int, int]:
    """``0.75:5/5`` -> (0.75, 5, 5): a usage line and M of the last N five-minute points."""
    match = re.fullmatch(r"\s*([0-9]*\.?[0-9]+)\s*:\s*(\d+)\s*/\s*(\d+)\s*", text)
    if match is None:
        raise ValueError(f"{text!r} is not USAGE:M/N, like 0.75:5/5")
    usage, points, window = float(match.group(1)), int(match.group(2)), int(match.group(3))
    if not 1 <= points <= window:
        raise ValueError(f"{text!r}: M must be between 1 and N")
    return usage, points, window


def account_scope(text: str | Sequence[str]) -> tuple[str, ...]:
    """``"210987654321,ledger-prod"`` (or a list of them) -> the account ids and names it names."""
    items = [text] if isinstance(text, str) else list(text)
    found: list[str] = []
    for item in items:
        for part in item.split(","):
            name = part.strip()
            if not name:
                raise ValueError(f"{item!r} names an empty account")
            if name.isdigit() and not ACCOUNT_ID.fullmatch(name):
                raise ValueError(f"{name!r} is not a 12-digit account id")
            found.append(name)
    return tuple(found)


def region_names(text: str) -> tuple[str, ...]:
    """``"us-east-1,eu-west-1"`` -> the region names it lists (``--regions``, as ``--accounts``)."""
    found: list[str] = []
    for part in text.split(","):
        name = part.strip()
        if not REGION_NAME.fullmatch(name):
            raise ValueError(f"{name!r} is not a region name, like us-east-1")
        found.append(name)
    return tuple(found)


def window_text(rule: tuple[float, int, int]) -> str:
    return f"{rule[0]:g}:{rule[1]}/{rule[2]}"


@dataclass(frozen=True)
class Spec:
    """One setting: its dotted name in the file, its default, and the flag and environment
    variables that set it too."""

    name: str
    default: Any
    about: str
    flag: str = ""
    dest: str = ""
    """The flag's ``argparse`` destination."""
    env: tuple[str, ...] = ()
    parse: Callable[[Any], Any] = lambda value: value
    """A value as the file or the environment writes it -> the setting's value."""
    show: Callable[[Any], Any] = lambda value: value
    """The setting's value -> as the file writes it."""

    @property
    def steps(self) -> tuple[str, ...]:
        return tuple(self.name.split("."))


def _regions(value: Any) -> tuple[str, ...]:
    return tuple(value) if not isinstance(value, str) else (value,)


def _rule(value: Any) -> tuple[float, int, int]:
    if isinstance(value, str):
        return scaling_window(value)
    usage, points, window = value
    return float(usage), int(points), int(window)


def _path_text(value: Path | None) -> str:
    return "" if value is None else str(value)


_INTERVAL_ABOUT = {
    "max_backoff": "seconds at most between the polls of a failing pane",
}

SPECS: tuple[Spec, ...] = (
    Spec(
        "profile",
        None,
        "named profile from ~/.aws/config; empty: the AWS CLI's chain",
        "--profile",
        "profile",
        ("AWS_PROFILE",),
        parse=lambda value: value or None,
        show=lambda value: value or "",
    ),
    Spec(
        "regions",
        (),
        "regions to watch; empty: the profile's region",
        "--region",
        "regions",
        ("AWS_REGION", "AWS_DEFAULT_REGION"),
        parse=_regions,
        show=list,
    ),
    Spec("theme", DEFAULT_THEME, "warroom-dark or warroom-high-contrast", "--theme", "theme"),
    Spec(
        "note_author",
        "",
        "who journal notes are from; empty: your identity ARN",
        "--note-author",
        "note_author",
    ),
    Spec(
        "services",
        None,
        "TOML of the business services and their impact tolerance; empty: none",
        "--services",
        "services",
        parse=lambda value: Path(value).expanduser() if value else None,
        show=_path_text,
    ),
    Spec(
        "limits.warn_at",
        80.0,
        "gauges warn at this percentage of the binding limit",
        "--warn-at",
        "warn_at",
        parse=percent,
    ),
    Spec(
        "limits.critical_at",
        95.0,
        "gauges turn critical at this percentage",
        "--critical-at",
        "critical_at",
        parse=percent,
    ),
    Spec(
        "kinesis.scale_up_rule",
        (0.75, 5, 5),
        "advise doubling a stream when usage >= USAGE in M of the last N five-minute points",
        "--scale-up-rule",
        "scale_up_rule",
        parse=_rule,
        show=window_text,
    ),
    Spec(
        "kinesis.scale_down_rule",
        (0.25, 57, 60),
        "advise halving a stream when MAX(usage, iterator-age term) < USAGE in M of the last N points",
        "--scale-down-rule",
        "scale_down_rule",
        parse=_rule,
        show=window_text,
    ),
    Spec(
        "kinesis.scale_down_block_minutes",
        30.0,
        "an iterator age of this many minutes blocks the advice to halve a stream",
        "--scale-down-block-minutes",
        "scale_down_block_minutes",
        parse=float,
    ),
    Spec(
        "findings.updated_by",
        "",
        "UpdatedBy on finding notes; empty: your identity ARN",
        "--updated-by",
        "updated_by",
    ),
    Spec(
        "findings.remediation_role",
        "warroom-remediation",
        "role assumed in a finding's account to fix it there",
        "--remediation-role",
        "remediation_role",
    ),
    Spec(
        "sessions.tmux_windows",
        False,
        "inside tmux, open each Session Manager session in a new tmux window",
        "--tmux-windows",
        "tmux_windows",
    ),
    *(
        Spec(
            f"intervals.{f.name}",
            f.default,
            _INTERVAL_ABOUT.get(f.name, f"seconds between the {f.name} pane's polls"),
            parse=float,
        )
        for f in dataclasses.fields(Intervals)
    ),
    Spec(
        "organization.read",
        False,
        "learn the accounts from AWS Organizations (ListAccounts); else the [[accounts]] list",
        "--org",
        "read_org",
    ),
    Spec(
        "organization.role",
        DEFAULT_ACCOUNT_ROLE,
        "role assumed in each watched account but the credential's own, unless its entry names one",
        "--account-role",
        "account_role",
    ),
    Spec(
        "organization.watch",
        (),
        "watch only these accounts (ids or names); empty: every account known",
        "--accounts",
        "accounts",
        parse=account_scope,
        show=list,
    ),
)
BY_NAME = {spec.name: spec for spec in SPECS}


# ---------------------------------------------------------------------------------------------
# Reading the file
# ---------------------------------------------------------------------------------------------


def shown_path(path: Path) -> str:
    """``path`` with the home directory written ``~``."""
    home = Path.home()
    try:
        return f"~/{path.relative_to(home)}" if path.is_absolute() else str(path)
    except ValueError:
        return str(path)


@dataclass(frozen=True)
class ConfigFile:
    """The config file as read: its model (all UNSET when it is missing or refused), its text for
    the lines of messages, and what is wrong with it (refused when anything is)."""

    path: Path
    found: bool = False
    text: str = ""
    model: ConfigModel = dataclasses.field(default_factory=ConfigModel)
    problems: tuple[str, ...] = ()

    @property
    def refused(self) -> bool:
        return bool(self.problems)

    @property
    def name(self) -> str:
        return shown_path(self.path)

    def line(self, *steps: str | int) -> int | None:
        return toml_line(self.text, steps) if self.found and not self.refused else None

    def problem(self, reason: str, *steps: str | int) -> str:
        """A message naming this file, the line of ``steps``, the field and the reason."""
        line = toml_line(self.text, steps) if self.found else None
        return str(FileError(self.name, reason, line=line, path=path_of(*steps)))

    def refuse(self, problems: Sequence[str]) -> ConfigFile:
        """This file refused for ``problems``: the defaults are in force."""
        if not problems:
            return self
        return dataclasses.replace(self, model=ConfigModel(), problems=(*self.problems, *problems))

    def value(self, spec: Spec) -> Any:
        """What the file sets ``spec`` to (UNSET when it says nothing)."""
        node: Any = self.model
        for step in spec.steps:
            node = getattr(node, step)
        return node

    @property
    def keys(self) -> Mapping[str, Mapping[str, tuple[str, ...]]]:
        """The file's key map: scope -> action -> keys as written."""
        found: dict[str, dict[str, tuple[str, ...]]] = {}
        for name, value in self.model.keys.items():
            if isinstance(value, dict):
                found.setdefault(name, {}).update({a: key_list(k) for a, k in value.items()})
            else:
                found.setdefault(GLOBAL_KEYS, {})[name] = key_list(value)
        return found

    def key_steps(self, scope: str, action: str) -> tuple[str, ...]:
        """Where ``scope``'s ``action`` sits in the file."""
        return ("keys", action) if scope == GLOBAL_KEYS else ("keys", scope, action)


def key_list(spec: KeySpec) -> tuple[str, ...]:
    """``"o, O"`` or ``["o", "O"]`` -> ("o", "O"); a lone ``,`` stays a key."""
    items = (spec,) if isinstance(spec, str) else spec
    keys: list[str] = []
    for item in items:
        parts = [item] if item.strip() == "," else item.split(",")
        keys.extend(part.strip() for part in parts)
    return tuple(keys)


def load(path: Path | None = None) -> ConfigFile:
    """The config file at ``path`` (default ``paths.config_file()``), checked but for its theme,
    services file and key clashes (``check_theme``, ``check_services``, ``tui.keys``). A file that
    is missing is no problem: the defaults are in force."""
    path = paths.config_file() if path is None else path
    loaded = ConfigFile(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return loaded
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        return dataclasses.replace(loaded, found=True, problems=(f"{loaded.name}: cannot read: {reason}",))
    loaded = dataclasses.replace(loaded, found=True, text=text)
    try:
        model = read_toml(ConfigModel, text, source=loaded.name, check=_check)
    except FileError as exc:
        return loaded.refuse([str(exc)])
    return dataclasses.replace(loaded, model=model)


def _check(model: ConfigModel) -> None:
    """The values' ranges and formats, beyond their types (CodecError names the field)."""
    warn, critical = model.limits.warn_at, model.limits.critical_at
    for name, value in (("warn_at", warn), ("critical_at", critical)):
        if not isinstance(value, Unset):
            try:
                percent(value)
            except ValueError as exc:
                raise error_at(str(exc), "limits", name) from None
    if not isinstance(warn, Unset) and not isinstance(critical, Unset) and warn > critical:
        raise error_at(f"{warn:g} is above critical_at {critical:g}", "limits", "warn_at")
    rules: dict[str, tuple[float, int, int]] = {}
    for name in ("scale_up_rule", "scale_down_rule"):
        text = getattr(model.kinesis, name)
        if not isinstance(text, Unset):
            try:
                rules[name] = scaling_window(text)
            except ValueError as exc:
                raise error_at(str(exc), "kinesis", name) from None
    block = model.kinesis.scale_down_block_minutes
    if not isinstance(block, Unset) and block <= 0:
        raise error_at(f"must be above 0, not {block:g}", "kinesis", "scale_down_block_minutes")
    role = model.findings.remediation_role
    if not isinstance(role, Unset) and not ROLE_NAME.fullmatch(role):
        raise error_at(f"{role!r} is not a valid IAM role name", "findings", "remediation_role")
    for table, name, most in (
        (model.findings, "updated_by", UPDATED_BY_MAX),
        (model, "note_author", NOTE_AUTHOR_MAX),
    ):
        text = getattr(table, name)
        if not isinstance(text, Unset) and len(text) > most:
            steps = ("findings", name) if table is not model else (name,)
            raise error_at(f"longer than {most} characters", *steps)
    if not isinstance(model.regions, Unset):
        for index, region in enumerate(model.regions):
            if not REGION_NAME.fullmatch(region):
                raise error_at(f"{region!r} is not a region name, like us-east-1", "regions", index)
    _check_accounts(model)
    low, high = INTERVAL_RANGE
    for name in IntervalsTable.__struct_fields__:
        seconds = getattr(model.intervals, name)
        if not isinstance(seconds, Unset) and not low <= seconds <= high:
            raise error_at(f"{seconds:g} is not between {low:g} and {high:g} seconds", "intervals", name)
    _check_keys(model)


def _check_accounts(model: ConfigModel) -> None:
    """``[organization]`` and the ``[[accounts]]`` list: ids, names, roles and profiles."""
    role = model.organization.role
    if not isinstance(role, Unset) and not ROLE_NAME.fullmatch(role):
        raise error_at(f"{role!r} is not a valid IAM role name", "organization", "role")
    if not isinstance(model.organization.watch, Unset):
        for index, item in enumerate(model.organization.watch):
            try:
                account_scope(item)
            except ValueError as exc:
                raise error_at(str(exc), "organization", "watch", index) from None
    ids: dict[str, int] = {}
    names: dict[str, int] = {}
    for index, entry in enumerate(model.accounts):
        account_id = str(entry.id)
        if not ACCOUNT_ID.fullmatch(account_id):
            raise error_at(f"{entry.id!r} is not a 12-digit account id", "accounts", index, "id")
        if account_id in ids:
            raise error_at(f"account {account_id} is listed twice", "accounts", index, "id")
        ids[account_id] = index
        if not isinstance(entry.name, Unset):
            if not entry.name.strip() or not entry.name.isprintable():
                raise error_at(f"{entry.name!r} is not an account name", "accounts", index, "name")
            if len(entry.name) > ACCOUNT_NAME_MAX:
                raise error_at(f"longer than {ACCOUNT_NAME_MAX} characters", "accounts", index, "name")
            if entry.name.casefold() in names:
                raise error_at(f"the name {entry.name!r} is used twice", "accounts", index, "name")
            names[entry.name.casefold()] = index
        has_role, has_profile = not isinstance(entry.role, Unset), not isinstance(entry.profile, Unset)
        if has_role and has_profile:
            raise error_at("a role or a profile, not both", "accounts", index, "profile")
        if not isinstance(entry.role, Unset):
            _check_account_role(entry.role, account_id, index)
        if not isinstance(entry.profile, Unset) and (
            not entry.profile.strip() or not entry.profile.isprintable() or len(entry.profile) > PROFILE_MAX
        ):
            raise error_at(f"{entry.profile!r} is not a profile name", "accounts", index, "profile")


def _check_account_role(role: str, account_id: str, index: int) -> None:
    if role.startswith("arn:"):
        if not ROLE_ARN.match(role):
            raise error_at(f"{role!r} is not an IAM role ARN", "accounts", index, "role")
        if account_of_role(role) != account_id:
            raise error_at(
                f"{role!r} is a role of account {account_of_role(role)}, not of {account_id}",
                "accounts",
                index,
                "role",
            )
    elif not ROLE_NAME.fullmatch(role):
        raise error_at(f"{role!r} is not a valid IAM role name or ARN", "accounts", index, "role")


def _check_keys(model: ConfigModel) -> None:
    for name, value in model.keys.items():
        if isinstance(value, dict) and name not in panes.BY_NAME:
            known = ", ".join(p.name for p in panes.PANES)
            raise error_at(f"no pane {name!r}; the panes are {known}", "keys", name)
        entries = value.items() if isinstance(value, dict) else ((None, value),)
        for action, spec in entries:
            if not all(key_list(spec)):
                steps = ("keys", name) if action is None else ("keys", name, action)
                raise error_at("an empty key", *steps)


def check_theme(loaded: ConfigFile, names: Sequence[str]) -> list[str]:
    """The file's theme, when it names one that is not among ``names``."""
    theme = loaded.model.theme
    if isinstance(theme, Unset) or theme in names:
        return []
    return [loaded.problem(f"no theme {theme!r}; choose one of {', '.join(names)}", "theme")]


def services_path(loaded: ConfigFile) -> Path | None:
    """The file's services file, relative to the config file's directory."""
    given = loaded.model.services
    if isinstance(given, Unset) or not given:
        return None
    path = Path(given).expanduser()
    return path if path.is_absolute() else loaded.path.parent / path


def check_services(loaded: ConfigFile, load_services: Callable[[Path], object]) -> list[str]:
    """The file's services file, when it cannot be read (``load_services`` raises ValueError)."""
    path = services_path(loaded)
    if path is None:
        return []
    try:
        load_services(path)
    except (OSError, ValueError) as exc:
        return [loaded.problem(str(exc), "services")]
    return []


# ---------------------------------------------------------------------------------------------
# Merging: defaults < file < environment < flags
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Source:
    """Where a value came from: ``default``, ``file``, ``environment`` or ``flag``, and which
    (the file's line, the variable, the flag)."""

    kind: str
    detail: str = ""

    def __str__(self) -> str:
        return f"{self.kind} {self.detail}" if self.detail else self.kind


DEFAULT = Source("default")


@dataclass(frozen=True)
class Value:
    """A setting in force, where it came from, and what it overrides (the file's value and source,
    when a variable or a flag wins over the file)."""

    spec: Spec
    value: Any
    source: Source
    overrides: tuple[Any, Source] | None = None

    @property
    def shown(self) -> Any:
        return self.spec.show(self.value)


def resolve(
    loaded: ConfigFile, flags: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None
) -> dict[str, Value]:
    """Every setting in force: the defaults, then the file, the environment and the ``flags``
    (argparse's namespace as a dict: a destination that is missing or None was not given)."""
    flags = flags or {}
    environ = os.environ if environ is None else environ
    values: dict[str, Value] = {}
    for spec in SPECS:
        value, source = spec.default, DEFAULT
        written = loaded.value(spec)
        in_file: tuple[Any, Source] | None = None
        if not isinstance(written, Unset):
            line = loaded.line(*spec.steps)
            value = services_path(loaded) if spec.name == "services" else spec.parse(written)
            source = Source("file", f"line {line}" if line else "")
            in_file = (value, source)
        for variable in spec.env:
            if environ.get(variable):
                value, source = spec.parse(environ[variable]), Source("environment", variable)
                break
        given = flags.get(spec.dest) if spec.dest else None
        if given is not None:
            value, source = spec.parse(given), Source("flag", spec.flag)
        overridden = in_file if in_file is not None and source.kind in ("environment", "flag") else None
        values[spec.name] = Value(spec, value, source, overridden)
    return values


def _named(value: Value) -> str:
    """How an error names where a value came from: the flag, or the setting and its source."""
    if value.source.kind == "flag":
        return f"{value.spec.flag} {toml_value(value.shown)}"
    return f"{value.spec.name} {toml_value(value.shown)} ({value.source})"


def build(
    values: Mapping[str, Value], loaded: ConfigFile, *, endpoint_url: str | None = None, **overrides: Any
) -> Settings:
    """The ``Settings`` of ``values`` (``endpoint_url``: ``--endpoint-url``); ``overrides`` are
    fields set by the command itself (its target, read-only mode, files). ConfigError when a flag
    cannot go with the rest."""

    def v(name: str) -> Any:
        return values[name].value

    warn, critical = values["limits.warn_at"], values["limits.critical_at"]
    if warn.value > critical.value:
        raise ConfigError(f"{_named(warn)} is above {_named(critical)}")
    block = values["kinesis.scale_down_block_minutes"]
    if block.value <= 0:
        raise ConfigError(f"{_named(block)}: must be above 0")
    up_at, up_points, up_window = v("kinesis.scale_up_rule")
    down_below, down_points, down_window = v("kinesis.scale_down_rule")
    try:
        rule = ScalingRule(
            up_at=up_at,
            up_points=up_points,
            up_window=up_window,
            down_below=down_below,
            down_points=down_points,
            down_window=down_window,
            block_minutes=block.value,
        )
    except ValueError as exc:
        raise ConfigError(f"kinesis.scale_up_rule/scale_down_rule: {exc}") from None
    role = values["findings.remediation_role"]
    if not ROLE_NAME.fullmatch(str(role.value)):
        raise ConfigError(f"{_named(role)}: not a valid IAM role name")
    intervals = Intervals(
        **{name: float(v(f"intervals.{name}")) for name in IntervalsTable.__struct_fields__}
    )
    account_role = values["organization.role"]
    if not ROLE_NAME.fullmatch(str(account_role.value)):
        raise ConfigError(f"{_named(account_role)}: not a valid IAM role name")
    keys = MappingProxyType(
        {scope: MappingProxyType({a: ",".join(k) for a, k in m.items()}) for scope, m in loaded.keys.items()}
    )
    fields: dict[str, Any] = {
        "target": AwsTarget(profile=v("profile"), regions=tuple(v("regions")), endpoint_url=endpoint_url),
        "theme": v("theme"),
        "thresholds": Thresholds(warn=warn.value / 100.0, critical=critical.value / 100.0),
        "kinesis_block_minutes": float(block.value),
        "kinesis_rule": rule,
        "findings_updated_by": str(v("findings.updated_by") or "")[:UPDATED_BY_MAX],
        "remediation_role": str(role.value),
        "session_tmux_windows": bool(v("sessions.tmux_windows")),
        "note_author": str(v("note_author") or "")[:NOTE_AUTHOR_MAX],
        "services_path": v("services"),
        "intervals": intervals,
        "accounts": AccountSettings(
            read_org=bool(v("organization.read")),
            role=str(account_role.value),
            entries=account_entries(loaded),
            watch=tuple(v("organization.watch")),
        ),
        "keys": keys,
        "warnings": loaded.problems,
    }
    fields.update(overrides)
    return Settings(**fields)


def account_entries(loaded: ConfigFile) -> tuple[AccountEntry, ...]:
    """The file's ``[[accounts]]`` list, each with its line."""
    return tuple(
        AccountEntry(
            id=str(entry.id),
            name="" if isinstance(entry.name, Unset) else entry.name,
            role="" if isinstance(entry.role, Unset) else entry.role,
            profile="" if isinstance(entry.profile, Unset) else entry.profile,
            line=loaded.line("accounts", index),
        )
        for index, entry in enumerate(loaded.model.accounts)
    )


# ---------------------------------------------------------------------------------------------
# warroom config show
# ---------------------------------------------------------------------------------------------


def toml_value(value: Any) -> str:
    """``value`` written as TOML (strings quoted, lists bracketed, numbers as short as they go)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return f"{value:g}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(toml_value(item) for item in value) + "]"
    text = str(value).replace("\\", "\\\\").replace('"', '\\"')
    return '"' + "".join(ch if ch.isprintable() else f"\\u{ord(ch):04x}" for ch in text) + '"'


def describe(loaded: ConfigFile, values: Mapping[str, Value]) -> list[str]:
    """The settings in force as TOML lines, each commented with its source (``warroom config show``)."""
    if not loaded.found:
        state = "not found: the defaults are in force"
    elif loaded.refused:
        state = "refused: the defaults are in force (see warroom config check)"
    else:
        state = "read"
    lines = [f"# config file: {loaded.name} ({state})"]
    if os.environ.get(paths.CONFIG_ENV):
        lines.append(f"# (named by {paths.CONFIG_ENV})")
    lines += ["# Each setting in force, and where it comes from: default, file, environment or flag.", ""]
    table = ""
    rows: list[tuple[str, str]] = []
    for value in values.values():
        spec = value.spec
        head, _, leaf = spec.name.rpartition(".")
        if head != table:
            lines += _aligned(rows)
            rows = []
            lines += ["", f"[{head}]"]
            table = head
        note = str(value.source)
        if value.overrides is not None:
            written, where = value.overrides
            note += f"; overrides the file's {toml_value(spec.show(written))} ({where})"
        rows.append((f"{leaf} = {toml_value(value.shown)}", f"{note} · {spec.about}"))
    lines += _aligned(rows)
    lines += _describe_accounts(loaded, values)
    return lines


def _describe_accounts(loaded: ConfigFile, values: Mapping[str, Value]) -> list[str]:
    """The file's ``[[accounts]]``, each with its line and how it is reached, and where the
    accounts come from."""
    read_org = bool(values["organization.read"].value)
    entries = account_entries(loaded)
    if read_org:
        where = (
            "the organization's (organizations:ListAccounts), each entry below saying how to reach its "
            "account; the entries alone when the organization cannot be read"
        )
    elif entries:
        where = "these entries, and the credential's own account"
    else:
        where = "the credential's own account only"
    watch = values["organization.watch"].value
    if watch:
        where += f"; of them only {', '.join(watch)} (organization.watch)"
    lines = ["", f"# The accounts watched: {where}."]
    if not entries:
        return [*lines, "# [[accounts]]: none in the file"]
    default_role = str(values["organization.role"].value)
    for entry in entries:
        if entry.profile:
            reached = f"profile {entry.profile}"
        elif entry.role:
            reached = f"role {entry.role}"
        else:
            reached = f"role {default_role} (organization.role)"
        where_in = f"file line {entry.line}" if entry.line else "file"
        lines += [
            "",
            f"[[accounts]]  # {where_in} · reached through {reached}",
            f"id = {toml_value(entry.id)}",
        ]
        lines += [
            f"{key} = {toml_value(text)}"
            for key, text in (("name", entry.name), ("role", entry.role), ("profile", entry.profile))
            if text
        ]
    return lines


def _aligned(rows: Sequence[tuple[str, str]]) -> list[str]:
    width = max((len(text) for text, _ in rows), default=0)
    return [f"{text.ljust(width)}  # {note}" for text, note in rows]
