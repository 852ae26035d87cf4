"""The one codec: snapshots, recordings, journal entries, ``warroom snapshot --json`` and the TOML
files people write, to and from JSON values, through msgspec.

``encode`` writes any frozen dataclass of tuples, mappings, datetimes, enums and scalars (or a
dict or list holding them) as compact UTF-8 JSON; ``decode`` (from JSON text) and ``convert``
(from values already parsed, such as a TOML document) rebuild the type asked for from its type
hints, so a snapshot read back equals the one written. bench/codec.py measured msgspec against the
hand-written codec warroom had before: 4 to 26 times faster on large snapshots and recordings.

Decoding is lenient about time: unknown keys are ignored and missing keys take the field's
default, so a recording from an older or newer version still loads. ``Model`` is the stricter base
for files a person writes, where an unknown key is a typo and refused. It is strict about shape: a
value of the wrong kind raises ``CodecError`` naming where it sits, e.g.
``instances[3].volumes[0].iops: expected a number, got 'x'``.

Times are written as RFC 3339 (UTC as ``Z``; other offsets kept); ``+00:00`` written by earlier
versions reads the same. A ``Mapping`` (a ``MappingProxyType``) is written as an object and read
back as a dict; sets are written as lists. Every field is written, those with ``init=False``
included (they are computed again when read); ``UNSET`` fields are left out. A type that is not
JSON-shaped can take part by defining ``parse_value(value)`` (a classmethod that returns an
instance or raises ValueError with the reason), which the codec calls with the raw value: a
scenario's durations are read that way. ``pretty`` is the same JSON indented and ASCII-only, for
a terminal.
"""

from __future__ import annotations

import dataclasses
import enum
import re
import tomllib
import types
import typing
from array import array
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Annotated, Any, TypeVar, Union, cast, overload

import msgspec

T = TypeVar("T")

Raw = msgspec.Raw
"""Undecoded JSON text held inside a decoded value: decode it later, with the type then known."""
UNSET = msgspec.UNSET
"""A field whose value is UNSET is left out of the document."""
Unset = msgspec.UnsetType
Aware = Annotated[datetime, msgspec.Meta(tz=True)]
"""A time that must carry its time zone (a naive one is refused when read)."""


class Model(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A typed model of a file a person writes: unknown keys are refused, since there they are typos."""


class Record(msgspec.Struct, frozen=True, kw_only=True):
    """A typed view of a line a program wrote (unknown keys ignored), whose fields may be ``Raw``:
    left undecoded until their type is known (dataclasses cannot hold ``Raw``)."""


class CodecError(ValueError):
    """A value that cannot be encoded, or JSON of the wrong shape for the type asked for.

    ``path`` says where (``instances[3].volumes[0].iops``; empty at the top), ``steps`` the same
    as field names, keys and indices, ``reason`` what is wrong."""

    def __init__(self, reason: str, path: str = "", steps: Sequence[str | int] = ()) -> None:
        self.reason = reason
        self.path = path
        self.steps = tuple(steps)
        super().__init__(f"{path}: {reason}" if path else reason)


class NotJSON(CodecError):
    """Text that is not JSON at all (cut off, or not text)."""


class FileError(ValueError):
    """A file a person wrote that cannot be read: ``source``, the ``line`` (None when unknown),
    and the codec's ``path`` and ``reason``."""

    def __init__(self, source: str, reason: str, *, line: int | None = None, path: str = "") -> None:
        self.source = source
        self.line = line
        self.path = path
        self.reason = reason
        where = source if line is None else f"{source} line {line}"
        super().__init__(f"{where}: {path}: {reason}" if path else f"{where}: {reason}")


# ---------------------------------------------------------------------------------------------
# Encoding
# ---------------------------------------------------------------------------------------------


def _enc_hook(obj: Any) -> Any:
    if isinstance(obj, Mapping):
        return dict(obj)
    if isinstance(obj, array):  # a compact series of numbers (an instance's trend): a list
        return obj.tolist()
    raise TypeError(f"cannot encode a {type(obj).__name__}")


_ENCODER = msgspec.json.Encoder(enc_hook=_enc_hook)


def encode(obj: Any) -> bytes:
    """``obj`` as compact UTF-8 JSON. Raises CodecError naming the path of a value it cannot write."""
    try:
        return _ENCODER.encode(obj)
    except (TypeError, ValueError, OverflowError) as exc:
        raise _encode_error(obj, exc) from None


_NOT_ASCII = re.compile(r"[^\x00-\x7f]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    code -= 0x10000
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"


def pretty(obj: Any) -> str:
    """``obj`` as JSON for a person or a terminal: indented by two, and ASCII only (everything else
    escaped, so no character from AWS can act on the terminal it is printed to)."""
    text = msgspec.json.format(encode(obj), indent=2).decode("utf-8")
    return _NOT_ASCII.sub(_escape, text)


def to_builtins(obj: Any) -> Any:
    """``obj`` as the JSON values ``encode`` writes (dicts with str keys, lists, str, numbers, bools,
    None): what a reader of the document gets."""
    return msgspec.json.decode(encode(obj))


def _children(obj: Any) -> Iterable[tuple[str, str | int, Any]]:
    """(path text, step, value) of each value ``obj`` holds."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        for f in dataclasses.fields(obj):
            yield f".{f.name}", f.name, getattr(obj, f.name)
    elif isinstance(obj, msgspec.Struct):
        for name in obj.__struct_fields__:
            yield f".{name}", name, getattr(obj, name)
    elif isinstance(obj, Mapping):
        for key, value in obj.items():
            yield f"[{key!r}]", str(key), value
    elif isinstance(obj, list | tuple | set | frozenset):
        for index, value in enumerate(obj):
            yield f"[{index}]", index, value


def _encodes(value: Any) -> bool:
    try:
        _ENCODER.encode(value)
    except (TypeError, ValueError, OverflowError):
        return False
    return True


def _encode_error(obj: Any, exc: Exception) -> CodecError:
    """Where inside ``obj`` the value that cannot be written sits, and why (after a failure only)."""
    text, steps = "", cast(list[str | int], [])
    node = obj
    while True:
        if isinstance(node, Mapping):
            for key in node:
                if not _encodes({key: None}):
                    reason = f"a mapping key must be text or a number, not {key!r}"
                    return CodecError(reason, _path(text), steps)
        failing = next(((t, s, v) for t, s, v in _children(node) if not _encodes(v)), None)
        if failing is None:
            break
        text += failing[0]
        steps.append(failing[1])
        node = failing[2]
    container = dataclasses.is_dataclass(node) or isinstance(
        node, msgspec.Struct | Mapping | list | tuple | set | frozenset
    )
    reason = str(exc) if container else f"cannot encode a {type(node).__name__}"
    return CodecError(reason, _path(text), steps)


def _path(text: str) -> str:
    return text[1:] if text.startswith(".") else text


# ---------------------------------------------------------------------------------------------
# Decoding
# ---------------------------------------------------------------------------------------------


def _dec_hook(tp: Any, obj: Any) -> Any:
    parse = getattr(tp, "parse_value", None)
    if parse is None:
        # A ValueError becomes msgspec's ValidationError with the value's path, which the codec
        # turns into a CodecError naming where; any other exception would escape the codec raw.
        raise ValueError(
            f"the codec cannot read values of type {tp.__name__ if isinstance(tp, type) else tp!r}"
        )
    return parse(obj)


_DECODERS: dict[Any, msgspec.json.Decoder[Any]] = {}


def _decoder(tp: Any) -> msgspec.json.Decoder[Any]:
    found = _DECODERS.get(tp)
    if found is None:
        found = msgspec.json.Decoder(tp, dec_hook=_dec_hook)
        _DECODERS[tp] = found
    return found


@overload
def decoder(tp: type[T]) -> Callable[[bytes | str | Raw], T]: ...
@overload
def decoder(tp: Any) -> Callable[[bytes | str | Raw], Any]: ...
def decoder(tp: Any) -> Callable[[bytes | str | Raw], Any]:
    """A function that decodes JSON text into ``tp`` (built once per type), raising CodecError."""
    decode_json = _decoder(tp).decode

    def run(data: bytes | str | Raw) -> Any:
        try:
            return decode_json(data)
        except msgspec.ValidationError as exc:
            raise _decode_error(tp, str(exc), _parsed(data)) from None
        except msgspec.DecodeError as exc:
            raise NotJSON(f"not JSON: {exc}") from None

    return run


@overload
def decode(tp: type[T], data: bytes | str | Raw) -> T: ...
@overload
def decode(tp: Any, data: bytes | str | Raw) -> Any: ...
def decode(tp: Any, data: bytes | str | Raw) -> Any:
    """A ``tp`` from JSON text (``tp`` may be any type expression, such as ``tuple[Finding, ...]``)."""
    return decoder(tp)(data)


@overload
def convert(tp: type[T], data: Any) -> T: ...
@overload
def convert(tp: Any, data: Any) -> Any: ...
def convert(tp: Any, data: Any) -> Any:
    """A ``tp`` from JSON-shaped values already parsed (``json.loads``, ``tomllib``)."""
    try:
        return msgspec.convert(data, tp, dec_hook=_dec_hook, str_keys=True)
    except msgspec.ValidationError as exc:
        raise _decode_error(tp, str(exc), data) from None


def parse_json(data: bytes | bytearray | str | Raw) -> Any:
    """Any JSON document as plain values (dicts, lists, strings, numbers, None), as ``json.loads``
    reads it but about three times faster (an AWS answer of thousands of results); ``NotJSON``
    when it is not JSON."""
    try:
        return msgspec.json.decode(data)
    except msgspec.DecodeError as exc:
        raise NotJSON(str(exc)) from exc


def _parsed(data: bytes | str | Raw) -> Any:
    try:
        return parse_json(data)
    except NotJSON:
        return None


# ---------------------------------------------------------------------------------------------
# Errors in words, with their paths
# ---------------------------------------------------------------------------------------------

_AT = re.compile(r"^(?P<message>.*?)(?: - at `(?P<key>key` in `)?(?P<path>\$[^`]*)`)?$", re.S)
_STEP = re.compile(r"\.([^.\[]+)|\[(\d+|\.\.\.)\]")
_WORDS = {
    "float": "a number",
    "int": "an integer",
    "str": "a string",
    "bool": "true or false",
    "null": "null",
    "array": "a list",
    "object": "an object",
    "datetime": "an ISO 8601 time",
    "date": "an ISO 8601 date",
    "time": "a time of day",
    "duration": "an ISO 8601 duration",
    "bytes": "base64 text",
    "uuid": "a UUID",
    "decimal": "a decimal number",
}
_ANY_KEY = object()


def got(value: Any) -> str:
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


def _decode_error(tp: Any, message: str, data: Any) -> CodecError:
    match = _AT.match(message)
    assert match is not None
    text = match.group("message")
    raw_steps: list[str | int | object] = []
    for name, index in _STEP.findall(match.group("path") or ""):
        if name:
            raw_steps.append(name)
        else:
            raw_steps.append(_ANY_KEY if index == "..." else int(index))
    steps, node, kinds = _resolve(tp, data, raw_steps)
    target = _type_at(tp, steps, kinds)
    if match.group("key"):
        return _key_error(target, node, steps, kinds)
    reason = text
    missing = re.match(r"Object missing required field `(.+)`$", text)
    unknown = re.match(r"Object contains unknown field `(.+)`$", text)
    expected = re.match(r"Expected `([^`]+)`(?:, got `([^`]+)`)?$", text)
    length = re.match(r"Expected `array` of length (\d+)(?:, got (\d+))?$", text)
    invalid = re.match(r"Invalid (?:RFC3339|ISO8601) encoded (\w+)$", text)
    zone = re.match(r"Expected `datetime` (with|without) a timezone component$", text)
    if missing:
        steps, kinds = [*steps, missing.group(1)], [*kinds, "field"]
        reason = "missing"
    elif unknown:
        known = _field_names(target)
        steps, kinds = [*steps, unknown.group(1)], [*kinds, "field"]
        reason = "unknown key" + (f"; the known keys are {', '.join(known)}" if known else "")
    elif zone:
        reason = f"expected a time {zone.group(1)} a time zone, got {got(node)}"
    elif length:
        size = len(node) if isinstance(node, list) else length.group(2)
        reason = f"expected a list of {length.group(1)} items, got {size}"
    elif expected:
        reason = f"expected {_expected(expected.group(1), target, node)}, got {got(node)}"
    elif invalid:
        kind = invalid.group(1)
        reason = f"expected {_WORDS.get(kind, kind)}, got {got(node)}"
    elif text.startswith("Invalid enum value"):
        allowed = _allowed(target)
        reason = f"expected one of {allowed}, got {got(node)}" if allowed else f"not allowed: {got(node)}"
    return CodecError(reason, _render(steps, kinds), steps)


def _resolve(tp: Any, data: Any, raw: list[str | int | object]) -> tuple[list[str | int], Any, list[str]]:
    """The steps of msgspec's path with each ``[...]`` (a mapping key it does not name) replaced by
    the key whose value fails, the value found there, and each step's kind (field, key or index)."""
    steps: list[str | int] = []
    kinds: list[str] = []
    node = data
    for position, step in enumerate(raw):
        if step is _ANY_KEY:
            if not isinstance(node, dict) or not node:
                break
            key = _failing_key(tp, steps, kinds, node, raw[position + 1 :])
            steps.append(key)
            kinds.append("key")
            node = node[key]
        elif isinstance(step, int):
            steps.append(step)
            kinds.append("index")
            node = node[step] if isinstance(node, list) and step < len(node) else None
        else:
            assert isinstance(step, str)
            steps.append(step)
            kinds.append("field")
            node = node.get(step) if isinstance(node, dict) else None
    return steps, node, kinds


def _failing_key(
    tp: Any, steps: list[str | int], kinds: list[str], node: dict[Any, Any], rest: list[Any]
) -> Any:
    mapping = _type_at(tp, steps, kinds)
    value_type = _mapping_value(mapping)
    for key, value in node.items():
        if value_type is not None:
            try:
                msgspec.convert(value, value_type, dec_hook=_dec_hook, str_keys=True)
            except msgspec.ValidationError:
                return key
            continue
        if _walk(value, rest) is not None:
            return key
    return next(iter(node))


def _walk(value: Any, rest: list[Any]) -> Any:
    for step in rest:
        if isinstance(step, int) and isinstance(value, list) and step < len(value):
            value = value[step]
        elif isinstance(step, str) and isinstance(value, dict):
            value = value.get(step)
        else:
            return None
    return value


def _render(steps: Sequence[str | int], kinds: Sequence[str]) -> str:
    out = ""
    for step, kind in zip(steps, kinds, strict=True):
        if kind == "field":
            out += f".{step}"
        elif kind == "index":
            out += f"[{step}]"
        else:
            out += f"[{str(step)!r}]"
    return _path(out)


def _key_error(mapping: Any, node: Any, steps: list[str | int], kinds: list[str]) -> CodecError:
    """A mapping key of the wrong kind (an integer key that is not a number, say), named."""
    key_type = _mapping_key(mapping)
    bad: Any = None
    keyed: Any = dict[key_type or str, Any]  # type: ignore[misc]
    for key in node if isinstance(node, dict) else ():
        try:
            msgspec.json.decode(msgspec.json.encode({key: None}), type=keyed)
        except msgspec.ValidationError:
            bad = key
            break
    allowed = _allowed(key_type)
    if allowed:
        reason = f"expected a key that is one of {allowed}, got {got(bad)}"
    else:
        name = _WORDS.get(getattr(key_type, "__name__", ""), "a valid")
        reason = f"expected {name} key, got {got(bad)}"
    return CodecError(reason, _render([*steps, str(bad)], [*kinds, "key"]), [*steps, str(bad)])


# -- the type at a path, for naming what was expected ----------------------------------------------


def _strip(tp: Any) -> Any:
    """``tp`` without Annotated, and without None when it is ``X | None`` for one X."""
    while typing.get_origin(tp) is typing.Annotated:
        tp = typing.get_args(tp)[0]
    if typing.get_origin(tp) in (Union, types.UnionType):
        options = [a for a in typing.get_args(tp) if a is not type(None)]
        if len(options) == 1:
            return _strip(options[0])
    return tp


def _hints(tp: Any) -> dict[str, Any]:
    origin = typing.get_origin(tp) or tp
    if not isinstance(origin, type):
        return {}
    try:
        hints = typing.get_type_hints(origin)
    except Exception:  # names that do not resolve: fall back to no type
        return {}
    params = dict(zip(getattr(origin, "__parameters__", ()), typing.get_args(tp), strict=False))
    return {
        name: params.get(hint, hint) if isinstance(hint, TypeVar) else hint for name, hint in hints.items()
    }


def _type_at(tp: Any, steps: Sequence[str | int], kinds: Sequence[str]) -> Any:
    for step, kind in zip(steps, kinds, strict=True):
        tp = _strip(tp)
        origin = typing.get_origin(tp)
        args = typing.get_args(tp)
        if kind == "field":
            tp = _hints(tp).get(str(step))
        elif kind == "key":
            tp = _mapping_value(tp)
        elif origin is tuple and args and not (len(args) == 2 and args[1] is Ellipsis):
            tp = args[step] if isinstance(step, int) and step < len(args) else None
        elif args:
            tp = args[0]
        else:
            tp = None
        if tp is None:
            return None
    return tp


def _mapping_value(tp: Any) -> Any:
    args = typing.get_args(_strip(tp))
    return args[1] if len(args) == 2 else None


def _mapping_key(tp: Any) -> Any:
    args = typing.get_args(_strip(tp))
    return args[0] if len(args) == 2 else None


def _field_names(tp: Any) -> list[str]:
    return list(_hints(_strip(tp))) if tp is not None else []


def _allowed(tp: Any) -> str:
    tp = _strip(tp)
    if typing.get_origin(tp) is typing.Literal:
        values = [v.value if isinstance(v, enum.Enum) else v for v in typing.get_args(tp)]
    elif isinstance(tp, type) and issubclass(tp, enum.Enum):
        values = [member.value for member in tp]
    else:
        return ""
    return ", ".join(repr(v) for v in values)


def _expected(names: str, tp: Any, value: Any) -> str:
    parts = [part.strip() for part in names.split("|")]
    if value is not None and len(parts) > 1:
        parts = [p for p in parts if p != "null"]
    words = []
    for part in parts:
        word = _WORDS.get(part, part)
        stripped = _strip(tp)
        if part == "object" and isinstance(stripped, type) and _hints(stripped):
            word = f"an object ({stripped.__name__})"
        words.append(word)
    return " or ".join(words)


# ---------------------------------------------------------------------------------------------
# TOML files
# ---------------------------------------------------------------------------------------------

_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(?:#.*)?$")
_KEY = re.compile(
    r"""^\s*((?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*')(?:\s*\.\s*(?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*'))*)\s*="""
)


def _key_parts(text: str) -> list[str]:
    parts = re.findall(r"""[A-Za-z0-9_-]+|"[^"]*"|'[^']*'""", text)
    return [p[1:-1] if p[:1] in "\"'" else p for p in parts]


def toml_line(text: str, steps: Sequence[str | int]) -> int | None:
    """The line of ``text`` (TOML) that holds the value at ``steps``, or the nearest line that
    holds what contains it (the table of a missing key); None when nothing matches.

    tomllib gives no positions, so this reads the text itself: table headers (``[a]``,
    ``[[a]]``, counting each array's tables) and ``key =`` lines, skipping multi-line strings."""
    places: dict[tuple[str | int, ...], int] = {}
    counts: dict[tuple[str | int, ...], int] = {}
    table: tuple[str | int, ...] = ()
    in_string: str | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        if in_string is not None:
            if line.count(in_string) % 2 == 1:
                in_string = None
            continue
        header = _HEADER.match(line)
        if header:
            names = tuple(_key_parts(header.group(2)))
            if header.group(1) == "[[":
                index = counts.get(names, 0)
                counts[names] = index + 1
                table = (*names, index)
            else:
                table = names
            places.setdefault(table, number)
            continue
        key = _KEY.match(line)
        if key:
            places.setdefault((*table, *_key_parts(key.group(1))), number)
            rest = line[key.end() :]
            for quote in ('"""', "'''"):
                if rest.count(quote) % 2 == 1:
                    in_string = quote
    wanted = tuple(steps)
    for size in range(len(wanted), 0, -1):
        found = places.get(wanted[:size])
        if found is not None:
            return found
    return None


def read_toml(tp: type[T], text: str, *, source: str, check: Callable[[T], None] | None = None) -> T:
    """``text`` (a TOML file called ``source``) read as ``tp``, then ``check`` ed (it raises
    CodecError with the steps of what is wrong). FileError names the file, the line, the path and
    the reason, e.g. ``scenario.toml line 12: fault[2].at: expected a duration such as 90s, got true``."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise FileError(source, f"not valid TOML: {exc}") from None
    try:
        value = convert(tp, data)
        if check is not None:
            check(value)
    except CodecError as exc:
        # In TOML's words: an object is a table.
        reason = exc.reason.replace("an object", "a table")
        raise FileError(source, reason, line=toml_line(text, exc.steps), path=exc.path) from None
    return value


class Key(str):
    """A mapping key in the steps given to ``error_at`` (written ``['key']``, not ``.key``)."""


def path_of(*steps: str | int) -> str:
    """The path text of ``steps`` (field names, ``Key`` s and indices), as CodecError writes it."""
    kinds = ["index" if isinstance(s, int) else "key" if isinstance(s, Key) else "field" for s in steps]
    return _render(steps, kinds)


def error_at(reason: str, *steps: str | int) -> CodecError:
    """A CodecError for a value found wrong after it was read (a check beyond its type)."""
    return CodecError(reason, path_of(*steps), steps)
