"""The console's keys by action name: what the console and each pane bind, the key map a config
file's ``[keys]`` tables change, and the clashes that make a key map unusable.

An action a person can move to another key is a ``Binding`` with an ``id``: its name in the config
file. The console's own (``help``, ``quit``, ...) are remapped in ``[keys]``, a pane's in
``[keys.<pane>]``, which also reaches the detail screens opened from that pane (a finding, a
stream, an instance). The app gives Textual the key map of the pane on screen (``keymaps``), so the
footer and help show the keys in force.

Some keys are fixed, the same everywhere: the pane numbers, moving in lists (arrows, j k, g G,
home end, pgup pgdn), Enter, Esc, Tab, and Textual's own (ctrl+c, ctrl+q, ctrl+p). A key map is
refused when two actions would share a key on one screen, or when a pane's key would hide one of
the console's own keys (a pane's keys are looked up first), whether the remapped key is the
pane's or the console's. ``warroom config show`` lists every action with its key.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from textual.binding import Binding, BindingsMap
from textual.dom import DOMNode
from textual.keys import KEY_NAME_REPLACEMENTS, REPLACED_KEYS, Keys, key_to_character

from tui import panes
from tui.config import ConfigFile, key_list, toml_value
from tui.settings import GLOBAL_KEYS, KeyMap
from widgets.vtable import VirtualTable

DETAIL_SCREENS: Mapping[str, tuple[str, ...]] = {
    "findings": ("tui.screens.finding:FindingScreen",),
    "kinesis": ("tui.screens.stream:StreamScreen",),
    "limits": ("tui.screens.instance:InstanceScreen",),
    "alarms": ("tui.screens.alarm:AlarmScreen",),
}
"""The screens a pane opens over itself, which take the pane's key map."""

MODIFIERS = frozenset({"ctrl", "alt", "shift", "meta", "super", "hyper"})
NAMED_KEYS = frozenset(k.value for k in Keys if "+" not in k.value and not k.value.startswith("<"))
COMMAND_PALETTE = "ctrl+p"
"""Textual's command palette, bound by the app itself (not in its BINDINGS)."""
SWALLOWED = {
    "ctrl+s": "many terminals stop their output on ctrl+s (XOFF)",
    "ctrl+q": "many terminals take ctrl+q (XON), and Textual quits on it",
    "ctrl+b": "ctrl+b is tmux's prefix key",
    "ctrl+z": "a terminal suspends the program on ctrl+z",
}
"""Keys a terminal or tmux takes before the console sees them (DESIGN.md: avoid them)."""


# ---------------------------------------------------------------------------------------------
# Key names
# ---------------------------------------------------------------------------------------------


def _character_key(character: str) -> str:
    """A character's key name, as Textual names it (``?`` -> ``question_mark``)."""
    if character.isalnum():
        return character
    name = unicodedata.name(character, character).lower().replace("-", "_").replace(" ", "_")
    return KEY_NAME_REPLACEMENTS.get(name, name)


def normalize(key: str) -> str:
    """``key`` as Textual names it: ``?`` -> ``question_mark``, ``Ctrl+F`` -> ``ctrl+f``,
    ``shift+g`` -> ``G``. ValueError says what is wrong with a key that does not exist."""
    if key == " ":
        return "space"
    text = key.strip()
    if len(text) == 1:
        if not text.isprintable():
            raise ValueError(f"{key!r} is not a key")
        return _character_key(text)
    if text.endswith("++"):
        mods, base = text[:-2].split("+"), "+"
    else:
        *mods, base = text.split("+")
    modifiers = [m.strip().lower() for m in mods]
    unknown = [m for m in modifiers if m not in MODIFIERS]
    if unknown or len(set(modifiers)) != len(modifiers) or not base.strip():
        raise ValueError(f"{key!r} is not a key: write a key, such as o, ?, f1 or ctrl+o")
    base = base.strip()
    if len(base) == 1:
        if modifiers == ["shift"] and base.isalpha():
            return base.upper()
        name = _character_key(base.lower() if modifiers else base)
    else:
        name = base.lower()
        if name not in NAMED_KEYS and key_to_character(REPLACED_KEYS.get(name, name)) is None:
            raise ValueError(f"{key!r} is not a key: write a key, such as o, ?, f1, escape or ctrl+o")
    result = "+".join([*modifiers, name])
    if result in SWALLOWED:
        raise ValueError(f"{key!r}: {SWALLOWED[result]}")
    return result


def display(key: str) -> str:
    """A key as a person writes it: ``question_mark`` -> ``?``, ``ctrl+f`` as it is."""
    if "+" not in key:
        character = key_to_character(REPLACED_KEYS.get(key, key))
        if (
            character is not None
            and len(character) == 1
            and character.isprintable()
            and not character.isspace()
        ):
            return character
    return key


def keymaps(remapped: KeyMap, scopes: Iterable[str]) -> dict[str, dict[str, str]]:
    """Textual's key map for each pane in ``scopes``: the console's remapped actions and the pane's."""
    console = {action: _normalized(keys) for action, keys in remapped.get(GLOBAL_KEYS, {}).items()}
    return {
        scope: {**console, **{action: _normalized(keys) for action, keys in remapped.get(scope, {}).items()}}
        for scope in scopes
    }


def _normalized(keys: str) -> str:
    return ",".join(normalize(key) for key in key_list(keys))


# ---------------------------------------------------------------------------------------------
# What the console binds
# ---------------------------------------------------------------------------------------------


def merged_bindings(cls: type[DOMNode]) -> list[tuple[str, Binding]]:
    """(key, binding) of every binding of ``cls`` and its bases, as Textual merges them: by key,
    the most derived class's winning."""
    layers: list[BindingsMap] = []
    for base in reversed(cls.__mro__):
        if isinstance(base, type) and issubclass(base, DOMNode):
            if not base._inherit_bindings:
                layers.clear()
            layers.append(BindingsMap(base.__dict__.get("BINDINGS", [])))
    keys: dict[str, list[Binding]] = {}
    for layer in layers:
        keys.update(layer.key_to_bindings)
    return [(key, binding) for key, bindings in keys.items() for binding in bindings]


def screens(scope: str) -> tuple[type[DOMNode], ...]:
    """The screens that take ``scope``'s key map: the pane's and those it opens."""
    paths = (panes.BY_NAME[scope].screen, *DETAIL_SCREENS.get(scope, ()))
    return tuple(panes.resolve(path) for path in paths)


@dataclass(frozen=True)
class Action:
    """An action a key map can move: its scope, name (the binding's id), default keys and what it does."""

    scope: str
    name: str
    keys: tuple[str, ...]
    description: str


def catalogue(app: type[DOMNode]) -> dict[str, dict[str, Action]]:
    """Every action a key map can move, by scope (``GLOBAL_KEYS`` for ``app``'s), in binding order."""
    found: dict[str, dict[str, Action]] = {GLOBAL_KEYS: _actions(GLOBAL_KEYS, [app])}
    for pane in panes.PANES:
        found[pane.name] = _actions(pane.name, screens(pane.name))
    return found


def _actions(scope: str, classes: Sequence[type[DOMNode]]) -> dict[str, Action]:
    actions: dict[str, Action] = {}
    for cls in classes:
        for key, binding in merged_bindings(cls):
            if binding.id is None:
                continue
            known = actions.get(binding.id)
            keys = known.keys if known is not None else ()
            keys = keys if key in keys else (*keys, key)
            actions[binding.id] = Action(scope, binding.id, keys, binding.description or binding.action)
    return actions


def fixed_keys(app: type[DOMNode], scope: str) -> list[str]:
    """The keys of ``scope`` no key map moves (``warroom config show`` lists them)."""
    classes: Sequence[type[DOMNode]] = [app] if scope == GLOBAL_KEYS else [*screens(scope), VirtualTable]
    keys: list[str] = [COMMAND_PALETTE] if scope == GLOBAL_KEYS else []
    for cls in classes:
        for key, binding in merged_bindings(cls):
            if binding.id is None and display(key) not in keys:
                keys.append(display(key))
    return keys


# ---------------------------------------------------------------------------------------------
# Checking a config file's key map
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Bound:
    """One key on one screen: the action's name (or, fixed, what it does), and whether the config
    file put it there (its scope and name then say where in the file)."""

    key: str
    name: str
    scope: str
    remapped: bool


def _label(binding: Binding) -> str:
    what = binding.description or binding.action
    return binding.id or f"{what} (a fixed key)"


def _layer(cls: type[DOMNode], scope: str, remap: Mapping[str, tuple[str, ...]]) -> list[_Bound]:
    bound: list[_Bound] = []
    moved: dict[str, Binding] = {}
    for key, binding in merged_bindings(cls):
        if binding.id is not None and binding.id in remap:
            moved[binding.id] = binding
            continue
        bound.append(_Bound(key, _label(binding), scope, remapped=False))
    if scope == GLOBAL_KEYS:
        bound.append(_Bound(COMMAND_PALETTE, "the command palette (a fixed key)", scope, remapped=False))
    for name in moved:
        bound += [_Bound(key, name, scope, remapped=True) for key in remap[name]]
    return bound


def _where(scope: str) -> str:
    return "among the console's own keys" if scope == GLOBAL_KEYS else f"on the {scope} pane"


def check(loaded: ConfigFile, app: type[DOMNode]) -> list[str]:
    """What is wrong with the file's key map: an unknown action, a key that does not exist, two
    actions on one key, a pane's key hiding one of the console's. Each message names the line,
    the field, both actions and the key."""
    remaps = loaded.keys
    if not remaps:
        return []
    known = catalogue(app)
    problems: list[str] = []
    normalized: dict[str, dict[str, tuple[str, ...]]] = {}
    for scope, actions in remaps.items():
        for action, keys in actions.items():
            steps = loaded.key_steps(scope, action)
            if action not in known[scope]:
                names = ", ".join(known[scope]) or "none"
                problems.append(
                    loaded.problem(f"no action {action!r} {_where(scope)}; they are {names}", *steps)
                )
                continue
            try:
                normalized.setdefault(scope, {})[action] = tuple(dict.fromkeys(normalize(k) for k in keys))
            except ValueError as exc:
                problems.append(loaded.problem(str(exc), *steps))
    # The clashes of the entries that are right, so one check lists everything to fix.
    return problems + _clashes(loaded, app, normalized)


def _clashes(
    loaded: ConfigFile, app: type[DOMNode], remaps: Mapping[str, Mapping[str, tuple[str, ...]]]
) -> list[str]:
    problems: dict[str, None] = {}

    def report(at: _Bound, reason: str) -> None:
        problems[loaded.problem(reason, *loaded.key_steps(at.scope, at.name))] = None

    console: dict[str, list[_Bound]] = {}
    for bound in _layer(app, GLOBAL_KEYS, remaps.get(GLOBAL_KEYS, {})):
        console.setdefault(bound.key, []).append(bound)
    _same_key(console, GLOBAL_KEYS, report)
    fixed_list = _layer(VirtualTable, "list", {})
    for pane in panes.PANES:
        remap = remaps.get(pane.name, {})
        for cls in screens(pane.name):
            on_screen: dict[str, list[_Bound]] = {}
            for bound in [*_layer(cls, pane.name, remap), *fixed_list]:
                on_screen.setdefault(bound.key, []).append(bound)
            _same_key(on_screen, pane.name, report)
            for key, here in on_screen.items():
                for mine in here:
                    for theirs in console.get(key, []):
                        if theirs.name == mine.name or not (mine.remapped or theirs.remapped):
                            continue
                        reason = (
                            f"the {pane.name} pane's {mine.name} and the console's {theirs.name} would "
                            f"both be on {display(key)}: the pane's key hides the console's there"
                        )
                        report(theirs if theirs.remapped else mine, reason)
    return list(problems)


def _same_key(layer: Mapping[str, list[_Bound]], scope: str, report: Any) -> None:
    for key, bound in layer.items():
        names = list(dict.fromkeys(b.name for b in bound))
        moved = [b for b in bound if b.remapped]
        if len(names) > 1 and moved:
            both = " and ".join(names)
            report(moved[0], f"{display(key)} would be the key of both {both} {_where(scope)}")


# ---------------------------------------------------------------------------------------------
# warroom config show
# ---------------------------------------------------------------------------------------------


def describe(loaded: ConfigFile, app: type[DOMNode]) -> list[str]:
    """Every action and its key in force, as the TOML of ``[keys]`` tables, each with its source and
    what it does, and the fixed keys of each scope."""
    remaps = loaded.keys
    lines: list[str] = []
    for scope, actions in catalogue(app).items():
        header = "[keys]" if scope == GLOBAL_KEYS else f"[keys.{scope}]"
        lines += ["", header]
        rows: list[tuple[str, str]] = []
        for action in actions.values():
            given = remaps.get(scope, {}).get(action.name)
            if given is not None:
                keys = tuple(normalize(k) for k in given)
                line = loaded.line(*loaded.key_steps(scope, action.name))
                source = f"file line {line}" if line else "file"
            else:
                keys, source = action.keys, "default"
            shown = [display(k) for k in keys]
            value = toml_value(shown[0]) if len(shown) == 1 else toml_value(shown)
            rows.append((f"{action.name} = {value}", f"{source} · {action.description}"))
        width = max((len(text) for text, _ in rows), default=0)
        lines += [f"{text.ljust(width)}  # {note}" for text, note in rows]
        lines.append(f"# fixed: {' '.join(fixed_keys(app, scope))}")
    return lines
