"""A value published to whoever subscribed: the journal's events, the activity log."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from typing import Generic, TypeVar

log = logging.getLogger(__name__)
T = TypeVar("T")


class Topic(Generic[T]):
    def __init__(self, name: str) -> None:
        self.name = name
        self._subscribers: list[Callable[[T], None]] = []

    def subscribe(self, subscriber: Callable[[T], None]) -> Callable[[], None]:
        """Call ``subscriber`` with every value published from now on; returns the unsubscriber."""
        self._subscribers.append(subscriber)

        def unsubscribe() -> None:
            with contextlib.suppress(ValueError):
                self._subscribers.remove(subscriber)

        return unsubscribe

    def publish(self, value: T) -> None:
        for subscriber in list(self._subscribers):
            try:
                subscriber(value)
            except Exception:  # one subscriber's fault never stops the others
                log.exception("a subscriber of %s failed", self.name)
