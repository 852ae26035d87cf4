"""How data travels: each pane's feed publishes its snapshots to subscribers (no Textual here).

``Feeds`` holds one feed per pane of ``tui.panes`` that has a poller: ``Feeds.live(...)`` polls AWS;
a replay builds ``RecordedFeed``s and publishes a recording on them. Screens, the recorder and the
journal's detector subscribe alike.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tui import panes
from tui.aws.errors import AwsProblem, ErrorKind
from tui.aws.limits_history import instance_history
from tui.feeds.feed import Backend, Feed, FeedState, LiveFeed, RecordedFeed, Report, Update
from tui.feeds.topic import Topic
from tui.settings import Settings

HISTORY_HOURS = 3.0
"""How far back an instance's charts reach."""
HISTORY_REFRESH_S = 60.0
"""How often an instance's charts are read again."""

__all__ = [
    "Feed",
    "FeedState",
    "Feeds",
    "HistorySnapshot",
    "LiveFeed",
    "RecordedFeed",
    "Report",
    "SimulatorStatus",
    "Topic",
    "Update",
    "simulator_feed",
]


@dataclass(frozen=True)
class HistorySnapshot:
    """An instance's last hours of metrics, as its history feed publishes them."""

    fetched_at: datetime
    history: Any
    error: AwsProblem | None = None


class Feeds:
    """Every pane's feed, by pane name; and, on demand, the feed of one instance's history or of
    one alarm's chart."""

    def __init__(
        self,
        feeds: dict[str, Feed],
        *,
        history: Callable[[Any], Feed | None] | None = None,
        alarm_detail: Callable[[str], Feed | None] | None = None,
    ) -> None:
        self._feeds = feeds
        self._history = history
        self._alarm_detail = alarm_detail

    def instance_history(self, view: Any) -> Feed | None:
        """A new feed of the metric history of ``view``'s instance (the last 3 hours, read again
        every minute), started by its subscriber and stopped when it is done; None when there is
        none to read (a recording holds the polls, not the history)."""
        return self._history(view) if self._history is not None else None

    def alarm_detail(self, key: str) -> Feed | None:
        """A new feed of the alarm ``key``'s chart and history (``AlarmsPoller.detail`` of the alarm as
        the list last polled it, read again every minute), started by its subscriber and stopped when
        it is done; None when there is none to read (a recording holds the polls, not the metrics)."""
        return self._alarm_detail(key) if self._alarm_detail is not None else None

    def __getitem__(self, pane: str) -> Feed:
        return self._feeds[pane]

    def __iter__(self) -> Iterator[Feed]:
        return iter(self._feeds.values())

    def __contains__(self, pane: object) -> bool:
        return pane in self._feeds

    def start(self) -> None:
        """Start every feed (the journal then sees crossings on panes nobody opened)."""
        for feed in self:
            feed.start()

    def subscribe_all(self, subscriber: Callable[[str, Update], None]) -> Callable[[], None]:
        """``subscriber(pane, update)`` for every feed's updates; returns the unsubscriber."""
        stops = [feed.subscribe(_tagged(feed.pane, subscriber)) for feed in self]

        def unsubscribe() -> None:
            for stop in stops:
                stop()

        return unsubscribe

    def observe_polls(self, observe: Callable[[str, Any], None]) -> Callable[[], None]:
        """``observe(pane, snapshot)`` for each new snapshot from AWS, every pane (the recording and
        the journal's detectors); returns the unsubscriber."""

        def deliver(pane: str, update: Update) -> None:
            if update.kind == "polled":
                observe(pane, update.snapshot)

        return self.subscribe_all(deliver)

    async def close(self) -> None:
        await asyncio.gather(*(feed.stop() for feed in self))

    @classmethod
    def live(
        cls,
        factory: Backend,
        settings: Settings,
        clock: Callable[[], datetime],
        *,
        record: Callable[[str, str, str], None] = lambda title, level, text: None,
    ) -> Feeds:
        """A feed polling AWS for every pane with a poller."""
        feeds: dict[str, Feed] = {}
        for pane in panes.LIVE:
            poller = pane.make_poller(factory, settings, clock)
            feeds[pane.name] = LiveFeed(
                pane.name,
                pane.title,
                _fetch(poller, progress=pane.progress, answered=pane.answered),
                backend=factory,
                interval=float(getattr(settings.intervals, pane.interval)),
                max_backoff=settings.intervals.max_backoff,
                clock=clock,
                record=record,
                profile=settings.target.profile,
                source=poller,
            )

        def charts(name: str, title: str, read: Callable[[datetime], Awaitable[Any]]) -> Feed:
            """A feed of one view's last hours of metrics, read again every minute."""

            async def fetch(_: Report) -> HistorySnapshot:
                now = clock()
                return HistorySnapshot(now, await read(now))

            return LiveFeed(
                name,
                title,
                fetch,
                backend=factory,
                interval=HISTORY_REFRESH_S,
                max_backoff=settings.intervals.max_backoff,
                clock=clock,
                record=record,
                profile=settings.target.profile,
            )

        limits = feeds.get("limits")

        def history(view: Any) -> Feed:
            def read(now: datetime) -> Awaitable[Any]:
                # Where the Limits poller reads the instance's metrics: its monitoring account's links.
                linked = getattr(limits.source, "linked", None) if limits is not None else None
                return instance_history(factory, view, now=now, hours=HISTORY_HOURS, linked=linked)  # type: ignore[arg-type]

            return charts(f"history:{view.instance_id}", f"{view.instance_id} charts", read)

        alarms = feeds.get("alarms")

        def alarm_detail(key: str) -> Feed | None:
            if alarms is None or alarms.source is None:
                return None
            listing, poller = alarms, alarms.source

            async def read(_: datetime) -> Any:
                # The alarm as the list's last poll has it (its state, its queries).
                listed = listing.state.snapshot
                alarm = next((a for a in getattr(listed, "alarms", ()) if a.key == key), None)
                if alarm is None:
                    raise LookupError(f"{key} is no longer listed")
                return await poller.detail(alarm)

            return charts(f"alarm:{key}", f"{key} chart", read)

        return cls(feeds, history=history, alarm_detail=alarm_detail)


@dataclass(frozen=True)
class SimulatorStatus:
    """What warroom's simulator says of its scenario and faults (``GET /__warroom__/status``)."""

    fetched_at: datetime
    status: Mapping[str, Any] | None
    error: AwsProblem | None = None


SIMULATOR_REFRESH_S = 2.0


def simulator_feed(
    client: Any,
    *,
    backend: Backend,
    clock: Callable[[], datetime],
    record: Callable[[str, str, str], None] = lambda title, level, text: None,
) -> LiveFeed:
    """The facilitator's feed: the simulator's status every two seconds, read with ``client``."""

    async def fetch(_: Report) -> SimulatorStatus:
        try:
            status = await asyncio.to_thread(client.status)
        except Exception as exc:  # shown in the pane; the next poll tries again
            problem = AwsProblem(ErrorKind.NETWORK, f"the simulator did not answer: {exc}", "")
            return SimulatorStatus(clock(), None, problem)
        return SimulatorStatus(clock(), status if isinstance(status, Mapping) else None)

    return LiveFeed(
        "facilitator",
        "Facilitator",
        fetch,
        backend=backend,
        interval=SIMULATOR_REFRESH_S,
        max_backoff=SIMULATOR_REFRESH_S,
        clock=clock,
        record=record,
    )


def _tagged(pane: str, subscriber: Callable[[str, Update], None]) -> Callable[[Update], None]:
    def deliver(update: Update) -> None:
        subscriber(pane, update)

    return deliver


def _fetch(poller: Any, *, progress: bool, answered: bool = False) -> Any:
    if progress:
        return lambda report: poller.poll(progress=report)
    if answered:
        return lambda report: poller.poll(answered=getattr(report, "places", None))
    return lambda report: poller.poll()
