"""Shared shapes for poll results: a value or the problem that prevented it."""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Awaitable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

from tui.aws.errors import AwsProblem, classify

T = TypeVar("T")


@dataclass(frozen=True)
class Outcome(Generic[T]):
    """One part of a snapshot: its value, or the problem met fetching it (never both unknown)."""

    value: T | None = None
    problem: AwsProblem | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None


async def gather_outcome(awaitable: Awaitable[T], *, profile: str | None = None) -> Outcome[T]:
    """Await one part of a poll; a failure becomes that part's problem, not the poll's."""
    try:
        return Outcome(value=await awaitable)
    except Exception as exc:  # every failure is shown in the pane it affects
        return Outcome(problem=classify(exc, profile=profile))


def utcnow() -> datetime:
    return datetime.now(UTC)


def to_jsonable(obj: Any) -> Any:
    """Dataclass snapshots as plain JSON values (datetimes in ISO 8601, enums by value)."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: to_jsonable(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, datetime):
        return obj.isoformat()
    if isinstance(obj, enum.Enum):
        return obj.value
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [to_jsonable(v) for v in obj]
    return obj


@dataclass(frozen=True)
class ApiError:
    """One API that failed in a poll, where, and what to do; the rest of the poll stands."""

    region: str
    api: str
    message: str
    hint: str = ""


def errors_json(errors: tuple[ApiError, ...], error: AwsProblem | None) -> list[dict[str, str]]:
    """The ``errors`` list of a pane's JSON snapshot: each failed API, then the whole poll's failure."""
    out = [{"api": e.api, "message": e.message, "region": e.region, "hint": e.hint} for e in errors]
    if error is not None:
        out.append({"api": error.operation or "poll", "message": error.one_line()})
    return out


def rounded(value: float | None, digits: int = 2) -> float | None:
    """A figure for JSON: rounded, and still None when unknown."""
    return None if value is None else round(value, digits)
