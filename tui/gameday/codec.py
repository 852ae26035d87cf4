"""A typed JSON round trip for poll snapshots.

``encode`` turns a snapshot (frozen dataclasses of tuples, mappings, datetimes, enums and scalars)
into plain JSON values; ``decode`` rebuilds it from the dataclass's own type hints, so the result
equals the original. Decoding is lenient about time (unknown keys are ignored, missing keys take
the field's default, so a recording from an older version still loads) and strict about shape: a
value of the wrong kind raises ``CodecError`` naming where it sits, e.g.
``instances[3].volumes[0].iops: expected a number, got 'x'``.

Supported types: dataclasses (frozen, slots, generic ones such as ``Outcome[T]`` with their type
parameters substituted), ``tuple[X, ...]``, fixed tuples, ``list``, ``dict``/``Mapping`` with str,
int or enum keys (JSON keys are strings), ``frozenset``/``set``, ``X | None`` and other unions,
``Literal``, enums, ``datetime``/``date`` (ISO 8601, time zone kept), ``NamedTuple``, and ``Any``
(kept as JSON). Fields with ``init=False`` are neither written nor read.
"""

from __future__ import annotations

import collections.abc as cabc
import dataclasses
import enum
import types
import typing
from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import Any, TypeVar, Union, cast

from tui import panes

T = TypeVar("T")


PANES = frozenset(p.name for p in panes.LIVE)
"""The panes a recording holds snapshots of."""


def snapshot_class(pane: str) -> type:
    """The snapshot class of ``pane`` (``tui.panes``); KeyError for an unknown pane, ImportError
    when its module cannot be imported."""
    found = panes.BY_NAME.get(pane)
    if found is None or not found.snapshot:
        known = ", ".join(p.name for p in panes.LIVE)
        raise KeyError(f"no pane {pane!r}; recordings know: {known}")
    return found.snapshot_class()


class CodecError(ValueError):
    """A value that cannot be encoded, or JSON of the wrong shape for the type asked for.

    ``path`` says where (``instances[3].volumes[0].iops``; empty at the top), ``reason`` what."""

    def __init__(self, reason: str, path: str = "") -> None:
        self.reason = reason
        self.path = path
        super().__init__(f"{path}: {reason}" if path else reason)


class _Fail(Exception):
    """Raised inside the codec; containers add their step to ``steps`` as it unwinds."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.steps: list[str] = []


def _path(steps: list[str]) -> str:
    text = "".join(reversed(steps))
    return text[1:] if text.startswith(".") else text


def _got(value: object) -> str:
    """A short description of a JSON value for an error message."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:39] + "…"
        return repr(shown)
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    return f"a {type(value).__name__}"


def _key_step(key: object) -> str:
    return f"[{key!r}]"


# ---------------------------------------------------------------------------------------------
# Encoding
# ---------------------------------------------------------------------------------------------

_FIELDS: dict[type, tuple[str, ...]] = {}


def _init_fields(cls: type) -> tuple[str, ...]:
    names = _FIELDS.get(cls)
    if names is None:
        names = tuple(f.name for f in dataclasses.fields(cls) if f.init)
        _FIELDS[cls] = names
    return names


def encode(obj: Any) -> Any:
    """``obj`` as JSON values (dicts with str keys, lists, str, numbers, bools, None).

    Raises CodecError naming the path of a value it cannot represent."""
    try:
        return _encode(obj)
    except _Fail as fail:
        raise CodecError(fail.reason, _path(fail.steps)) from None


def _encode_key(key: object) -> str:
    if isinstance(key, enum.Enum):
        key = key.value
    if isinstance(key, str):
        return key
    if isinstance(key, int) and not isinstance(key, bool):
        return str(key)
    raise _Fail(f"a mapping key must be text or an integer, not {_got(key)}")


def _encode(obj: Any) -> Any:
    if obj is None or isinstance(obj, bool):
        return obj
    if isinstance(obj, enum.Enum):
        return _encode(obj.value)
    if isinstance(obj, str | int | float):
        return obj
    if isinstance(obj, datetime | date):
        return obj.isoformat()
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        out: dict[str, Any] = {}
        for name in _init_fields(type(obj)):
            try:
                out[name] = _encode(getattr(obj, name))
            except _Fail as fail:
                fail.steps.append("." + name)
                raise
        return out
    if isinstance(obj, Mapping):
        encoded: dict[str, Any] = {}
        for key, value in obj.items():
            try:
                encoded[_encode_key(key)] = _encode(value)
            except _Fail as fail:
                fail.steps.append(_key_step(key))
                raise
        return encoded
    if isinstance(obj, list | tuple):
        items: list[Any] = []
        for index, value in enumerate(obj):
            try:
                items.append(_encode(value))
            except _Fail as fail:
                fail.steps.append(f"[{index}]")
                raise
        return items
    if isinstance(obj, set | frozenset):
        members = [_encode(value) for value in obj]
        try:
            return sorted(members)
        except TypeError:
            return members
    raise _Fail(f"cannot encode a {type(obj).__name__}")


# ---------------------------------------------------------------------------------------------
# Decoding
# ---------------------------------------------------------------------------------------------

Decoder = Callable[[Any], Any]
_DECODERS: dict[Any, Decoder] = {}
_NONE_TYPE = type(None)


def decode(cls: type[T], data: Any) -> T:
    """Rebuild a ``cls`` from JSON values written by ``encode`` (``cls`` may also be any type
    expression the codec supports, such as ``tuple[Finding, ...]``)."""
    try:
        return cast(T, decoder(cls)(data))
    except _Fail as fail:
        raise CodecError(fail.reason, _path(fail.steps)) from None


def decoder(tp: Any) -> Decoder:
    """The (cached) function that decodes JSON into ``tp``; TypeError for a type it cannot handle.

    The function raises the codec's internal failure, which ``decode`` turns into CodecError."""
    try:
        found = _DECODERS.get(tp)
    except TypeError:
        return _build(tp)
    if found is not None:
        return found
    lazy = _Lazy()
    _DECODERS[tp] = lazy
    try:
        built = _build(tp)
    except BaseException:
        del _DECODERS[tp]
        raise
    lazy.target = built
    _DECODERS[tp] = built
    return built


class _Lazy:
    """Stands for a decoder while it is built, so self-referencing types do not recurse forever."""

    def __init__(self) -> None:
        self.target: Decoder | None = None

    def __call__(self, data: Any) -> Any:
        if self.target is None:
            raise _Fail("type still being prepared")
        return self.target(data)


def _any(data: Any) -> Any:
    return data


def _none(data: Any) -> None:
    if data is not None:
        raise _Fail(f"expected null, got {_got(data)}")


def _bool(data: Any) -> bool:
    if isinstance(data, bool):
        return data
    raise _Fail(f"expected true or false, got {_got(data)}")


def _int(data: Any) -> int:
    if isinstance(data, int) and not isinstance(data, bool):
        return data
    if isinstance(data, float) and data.is_integer():
        return int(data)
    raise _Fail(f"expected an integer, got {_got(data)}")


def _float(data: Any) -> float:
    if isinstance(data, int | float) and not isinstance(data, bool):
        return float(data)
    raise _Fail(f"expected a number, got {_got(data)}")


def _str(data: Any) -> str:
    if isinstance(data, str):
        return data
    raise _Fail(f"expected a string, got {_got(data)}")


def _datetime(data: Any) -> datetime:
    if isinstance(data, str):
        try:
            return datetime.fromisoformat(data)
        except ValueError:
            pass
    raise _Fail(f"expected an ISO 8601 time, got {_got(data)}")


def _date(data: Any) -> date:
    if isinstance(data, str):
        try:
            return date.fromisoformat(data)
        except ValueError:
            pass
    raise _Fail(f"expected an ISO 8601 date, got {_got(data)}")


def _enum(cls: type[enum.Enum]) -> Decoder:
    allowed = ", ".join(repr(member.value) for member in cls)

    def decode_enum(data: Any) -> Any:
        if isinstance(data, str | int | float) and not isinstance(data, bool):
            try:
                return cls(data)
            except ValueError:
                pass
        raise _Fail(f"expected one of {allowed}, got {_got(data)}")

    return decode_enum


def _literal(values: tuple[Any, ...]) -> Decoder:
    allowed = ", ".join(repr(v.value if isinstance(v, enum.Enum) else v) for v in values)

    def decode_literal(data: Any) -> Any:
        for value in values:
            plain = value.value if isinstance(value, enum.Enum) else value
            if type(plain) is type(data) and plain == data:
                return value
        raise _Fail(f"expected one of {allowed}, got {_got(data)}")

    return decode_literal


def _union(args: tuple[Any, ...]) -> Decoder:
    options = [a for a in args if a is not _NONE_TYPE]
    nullable = len(options) < len(args)
    decoders = [decoder(a) for a in options]
    if len(decoders) == 1:
        only = decoders[0]

        def decode_optional(data: Any) -> Any:
            if data is None and nullable:
                return None
            return only(data)

        return decode_optional

    def decode_union(data: Any) -> Any:
        if data is None and nullable:
            return None
        failures: list[_Fail] = []
        for each in decoders:
            try:
                return each(data)
            except _Fail as fail:
                failures.append(fail)
        deepest = max(failures, key=lambda f: len(f.steps), default=None)
        if deepest is not None and deepest.steps:
            raise deepest
        names = " or ".join(_type_name(a) for a in options)
        raise _Fail(f"expected {names}{' or null' if nullable else ''}, got {_got(data)}")

    return decode_union


def _type_name(tp: Any) -> str:
    return tp.__name__ if isinstance(tp, type) else repr(tp)


def _sequence(item: Decoder, make: Callable[[list[Any]], Any]) -> Decoder:
    def decode_sequence(data: Any) -> Any:
        if not isinstance(data, list):
            raise _Fail(f"expected a list, got {_got(data)}")
        out: list[Any] = []
        for index, value in enumerate(data):
            try:
                out.append(item(value))
            except _Fail as fail:
                fail.steps.append(f"[{index}]")
                raise
        return make(out)

    return decode_sequence


def _fixed_tuple(items: list[Decoder]) -> Decoder:
    size = len(items)

    def decode_fixed(data: Any) -> tuple[Any, ...]:
        if not isinstance(data, list):
            raise _Fail(f"expected a list, got {_got(data)}")
        if len(data) != size:
            raise _Fail(f"expected a list of {size} items, got {len(data)}")
        out: list[Any] = []
        for index, (each, value) in enumerate(zip(items, data, strict=True)):
            try:
                out.append(each(value))
            except _Fail as fail:
                fail.steps.append(f"[{index}]")
                raise
        return tuple(out)

    return decode_fixed


def _mapping(key_type: Any, value: Decoder, make: Callable[[dict[Any, Any]], Any]) -> Decoder:
    if key_type is str or key_type is Any:
        key: Decoder | None = None
    elif key_type is int:

        def key(text: Any) -> Any:
            try:
                return int(text)
            except ValueError:
                raise _Fail(f"expected an integer key, got {_got(text)}") from None

    elif isinstance(key_type, type) and issubclass(key_type, enum.Enum):
        key = _enum(key_type)
    else:
        key = decoder(key_type)

    def decode_mapping(data: Any) -> Any:
        if not isinstance(data, dict):
            raise _Fail(f"expected an object, got {_got(data)}")
        out: dict[Any, Any] = {}
        for text, item in data.items():
            try:
                out[text if key is None else key(text)] = value(item)
            except _Fail as fail:
                fail.steps.append(_key_step(text))
                raise
        return make(out)

    return decode_mapping


def _substitute(tp: Any, params: Mapping[Any, Any]) -> Any:
    """``tp`` with its type variables replaced (those not in ``params`` become Any)."""
    if isinstance(tp, TypeVar):
        return params.get(tp, Any)
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin is None or not args or origin is typing.Literal:
        return tp
    new = tuple(_substitute(arg, params) for arg in args)
    if new == args:
        return tp
    if origin is Union or origin is types.UnionType:
        return Union[new]  # noqa: UP007
    if isinstance(tp, types.GenericAlias):
        return types.GenericAlias(origin, new)
    copy_with = getattr(tp, "copy_with", None)
    if copy_with is not None:
        return copy_with(new)
    return origin[new]


def _dataclass(cls: type, args: tuple[Any, ...]) -> Decoder:
    parameters = getattr(cls, "__parameters__", ())
    params = dict(zip(parameters, args, strict=False))
    try:
        hints = typing.get_type_hints(cls)
    except Exception as exc:  # an annotation that does not resolve is a programming error
        raise TypeError(f"cannot read the type hints of {cls.__qualname__}: {exc}") from exc
    plan: list[tuple[str, Decoder, bool]] = []
    for f in dataclasses.fields(cls):
        if not f.init:
            continue
        optional = f.default is not dataclasses.MISSING or f.default_factory is not dataclasses.MISSING
        plan.append((f.name, decoder(_substitute(hints[f.name], params)), optional))
    name = cls.__name__

    def decode_dataclass(data: Any) -> Any:
        if not isinstance(data, dict):
            raise _Fail(f"expected an object ({name}), got {_got(data)}")
        values: dict[str, Any] = {}
        for field_name, each, optional in plan:
            if field_name in data:
                try:
                    values[field_name] = each(data[field_name])
                except _Fail as fail:
                    fail.steps.append("." + field_name)
                    raise
            elif not optional:
                missing = _Fail("missing")
                missing.steps.append("." + field_name)
                raise missing
        try:
            return cls(**values)
        except (TypeError, ValueError) as exc:
            raise _Fail(f"{name} refused these values: {exc}") from None

    return decode_dataclass


def _namedtuple(cls: type) -> Decoder:
    hints = typing.get_type_hints(cls)
    names: tuple[str, ...] = getattr(cls, "_fields", ())
    items = [decoder(hints.get(n, Any)) for n in names]
    fixed = _fixed_tuple(items)

    def decode_namedtuple(data: Any) -> Any:
        return cls(*fixed(data))

    return decode_namedtuple


_MAPPINGS_IMMUTABLE = (cabc.Mapping, types.MappingProxyType)
_MAPPINGS_MUTABLE = (dict, cabc.MutableMapping)


def _build(tp: Any) -> Decoder:
    if tp is Any or tp is object:
        return _any
    if tp is None or tp is _NONE_TYPE:
        return _none
    if isinstance(tp, TypeVar):
        return _any
    if isinstance(tp, type):
        simple = _SIMPLE.get(tp)
        if simple is not None:
            return simple
        if issubclass(tp, enum.Enum):
            return _enum(tp)
        if dataclasses.is_dataclass(tp):
            return _dataclass(tp, ())
        if issubclass(tp, tuple) and hasattr(tp, "_fields"):
            return _namedtuple(tp)
        if tp in (tuple, list, set, frozenset, dict) or tp in _MAPPINGS_IMMUTABLE:
            return _build(tp[Any, ...] if tp is tuple else _bare(tp))
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin is typing.Annotated:
        return decoder(args[0])
    if origin is typing.Literal:
        return _literal(args)
    if origin is Union or origin is types.UnionType:
        return _union(args)
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            return _sequence(decoder(args[0]), tuple)
        if args == ((),) or not args:
            return _fixed_tuple([])
        return _fixed_tuple([decoder(a) for a in args])
    if origin in (list, cabc.Sequence, cabc.MutableSequence):
        make: Callable[[list[Any]], Any] = tuple if origin is cabc.Sequence else list
        return _sequence(decoder(args[0] if args else Any), make)
    if origin in (frozenset, cabc.Set):
        return _sequence(decoder(args[0] if args else Any), frozenset)
    if origin in (set, cabc.MutableSet):
        return _sequence(decoder(args[0] if args else Any), set)
    if origin in _MAPPINGS_MUTABLE or origin in _MAPPINGS_IMMUTABLE:
        key_type, value_type = args if len(args) == 2 else (str, Any)
        wrap: Callable[[dict[Any, Any]], Any] = (
            types.MappingProxyType if origin in _MAPPINGS_IMMUTABLE else _as_dict
        )
        return _mapping(key_type, decoder(value_type), wrap)
    if isinstance(origin, type) and dataclasses.is_dataclass(origin):
        return _dataclass(origin, args)
    raise TypeError(f"the codec cannot decode values of type {tp!r}")


def _as_dict(data: dict[Any, Any]) -> dict[Any, Any]:
    return data


def _bare(tp: type) -> Any:
    if tp is list:
        return list[Any]
    if tp is set:
        return set[Any]
    if tp is frozenset:
        return frozenset[Any]
    if tp is dict:
        return dict[str, Any]
    return Mapping[str, Any]


_SIMPLE: dict[type, Decoder] = {
    bool: _bool,
    int: _int,
    float: _float,
    str: _str,
    datetime: _datetime,
    date: _date,
}
