"""Shared shapes for poll results: a value or the problem that prevented it."""

from __future__ import annotations

from collections.abc import Awaitable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Generic, TypeVar

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


@dataclass(frozen=True)
class ApiError:
    """One API that failed in a poll, where, and what to do; the rest of the poll stands."""

    region: str
    api: str
    message: str
    hint: str = ""


class ErrorTally:
    """One ApiError per API in a region: the first problem, and how many of a poll's items (the
    ``noun``: streams, alarms) it hit."""

    def __init__(self, region: str, noun: str) -> None:
        self.region = region
        self.noun = noun
        self._seen: dict[str, tuple[AwsProblem, int]] = {}

    def add(self, api: str, problem: AwsProblem) -> None:
        first, count = self._seen.get(api, (problem, 0))
        self._seen[api] = (first, count + 1)

    def as_tuple(self) -> tuple[ApiError, ...]:
        out = []
        for api, (problem, count) in self._seen.items():
            more = f" ({count} {self.noun})" if count > 1 else ""
            out.append(ApiError(self.region, api, problem.message + more, problem.hint))
        return tuple(out)
