"""The simulator's data files (``tui/sim/data/*.toml``): read once, typed on load.

``read(name)`` parses a file shipped in ``tui/sim/data``. A ``Reader`` over it turns each table
into a frozen dataclass (``build(cls, table, entry)``), checking every field against the
dataclass's annotations (str, int, float, bool, ``X | None``, ``tuple[X, ...]`` and nested
dataclasses). A number keeps the type it is written with (a float field takes 16 or 16.0 as
written), so the values read are the values the code held when they were Python literals.
Anything wrong raises ``DataFileError`` naming the file and the entry.
"""

from __future__ import annotations

import dataclasses
import functools
import tomllib
import types
import typing
from collections.abc import Mapping
from importlib import resources
from typing import Any, TypeVar

T = TypeVar("T")


class DataFileError(ValueError):
    """A data file that cannot be read, or an entry of it that does not fit its type."""

    def __init__(self, source: str, entry: str, problem: str) -> None:
        where = f"{source}: {entry}" if entry else source
        super().__init__(f"{where}: {problem}")
        self.source = source
        self.entry = entry


def path_of(name: str) -> str:
    """Where the data file ``name`` is (for messages)."""
    return str(resources.files("tui.sim").joinpath("data", name))


def read(name: str) -> dict[str, Any]:
    """The parsed TOML of ``tui/sim/data/<name>``."""
    source = path_of(name)
    try:
        text = resources.files("tui.sim").joinpath("data", name).read_text(encoding="utf-8")
    except OSError as exc:
        raise DataFileError(source, "", f"cannot be read: {exc}") from exc
    return parse(text, source)


def parse(text: str, source: str) -> dict[str, Any]:
    """``text`` as TOML; ``source`` names it in the error when it is not TOML."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise DataFileError(source, "", f"is not valid TOML: {exc}") from exc


@functools.cache
def _shape(cls: type) -> tuple[dict[str, Any], dict[str, dataclasses.Field[Any]]]:
    """The type hints and the init fields of the dataclass ``cls``, worked out once per class
    (resolving the hints compiles each annotation, and the catalog's read builds some 240
    records: about 15 ms of the simulator's start)."""
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls) if f.init}
    return hints, fields


class Reader:
    """Typed access to one parsed data file: every error names the file and the entry."""

    def __init__(self, name: str, data: Mapping[str, Any] | None = None) -> None:
        self.source = path_of(name)
        self.data: Mapping[str, Any] = read(name) if data is None else data

    def fail(self, entry: str, problem: str) -> DataFileError:
        return DataFileError(self.source, entry, problem)

    def table(self, value: Any, entry: str) -> Mapping[str, Any]:
        if not isinstance(value, Mapping):
            raise self.fail(entry, f"must be a table, not {_kind(value)}")
        return value

    def tables(self, value: Any, entry: str) -> list[tuple[str, Mapping[str, Any]]]:
        """An array of tables, each with the label that names it in messages (``instances[2] "x"``)."""
        if value is None:
            raise self.fail(entry, "is missing")
        if not isinstance(value, list):
            raise self.fail(entry, f"must be an array of tables, not {_kind(value)}")
        out = []
        for index, item in enumerate(value):
            label = label_of(entry, index, item)
            out.append((label, self.table(item, label)))
        return out

    def section(self, key: str) -> Mapping[str, Any]:
        """A top-level table of the file."""
        if key not in self.data:
            raise self.fail(key, "is missing")
        return self.table(self.data[key], key)

    def value(self, table: Mapping[str, Any], key: str, hint: Any, entry: str) -> Any:
        """``table[key]`` checked against ``hint`` (a required key)."""
        if key not in table:
            raise self.fail(entry, f"{key} is missing")
        return self.typed(table[key], hint, f"{entry}.{key}" if entry else key)

    def build(self, cls: type[T], table: Mapping[str, Any], entry: str) -> T:
        """The dataclass ``cls`` from ``table``: unknown keys and missing required fields are errors."""
        table = self.table(table, entry)
        hints, fields = _shape(typing.cast(type, cls))
        unknown = sorted(set(table) - set(fields))
        if unknown:
            raise self.fail(entry, f"unknown field {unknown[0]!r} (known: {', '.join(fields)})")
        values: dict[str, Any] = {}
        for name, spec in fields.items():
            if name not in table:
                required = spec.default is dataclasses.MISSING and spec.default_factory is dataclasses.MISSING
                if required:
                    raise self.fail(entry, f"{name} is missing")
                continue
            values[name] = self.typed(table[name], hints[name], f"{entry}.{name}")
        try:
            return cls(**values)
        except (TypeError, ValueError) as exc:
            raise self.fail(entry, str(exc)) from exc

    def typed(self, value: Any, hint: Any, entry: str) -> Any:
        """``value`` checked against the annotation ``hint`` (arrays become tuples)."""
        origin = typing.get_origin(hint)
        args = typing.get_args(hint)
        if origin in (types.UnionType, typing.Union):
            if value is None and type(None) in args:
                return None
            options = [a for a in args if a is not type(None)]
            if len(options) == 1:
                return self.typed(value, options[0], entry)
            raise self.fail(entry, f"unsupported annotation {hint!r}")
        if origin is tuple:
            if not isinstance(value, list):
                raise self.fail(entry, f"must be an array, not {_kind(value)}")
            item = args[0]
            return tuple(self.typed(v, item, label_of(entry, i, v)) for i, v in enumerate(value))
        if dataclasses.is_dataclass(hint) and isinstance(hint, type):
            return self.build(hint, value, entry)
        if hint is bool:
            if not isinstance(value, bool):
                raise self.fail(entry, f"must be true or false, not {_kind(value)}")
            return value
        if hint is int:
            if isinstance(value, bool) or not isinstance(value, int):
                raise self.fail(entry, f"must be an integer, not {_kind(value)}")
            return value
        if hint is float:
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise self.fail(entry, f"must be a number, not {_kind(value)}")
            return value
        if hint is str:
            if not isinstance(value, str):
                raise self.fail(entry, f"must be a string, not {_kind(value)}")
            return value
        raise self.fail(entry, f"unsupported annotation {hint!r}")


def label_of(entry: str, index: int, item: Any) -> str:
    """How messages name the item at ``index`` of the array ``entry``: ``instances[2] "ingest-1"``."""
    label = f"{entry}[{index}]"
    if isinstance(item, Mapping):
        for key in ("name", "key", "id", "cve"):
            if isinstance(item.get(key), str):
                return f'{label} "{item[key]}"'
    return label


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, int | float):
        return f"the number {value!r}"
    if isinstance(value, str):
        return f"the string {value!r}"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, Mapping):
        return "a table"
    return type(value).__name__
