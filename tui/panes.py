"""The panes, each named once: the one table the app, the feeds, the codec, ``warroom snapshot``,
the journal's detector and the report read.

Classes and functions are named by dotted path and imported when first needed, so reading the
table costs nothing at start-up and this module stays below the layers it names (its screens, its
detector rules): it imports no Textual and nothing of warroom's but the settings.
"""

from __future__ import annotations

import importlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import datetime
from functools import cache
from typing import Any

from tui.settings import Settings


@dataclass(frozen=True)
class Pane:
    name: str
    """For ``:``, the modes, recordings and ``warroom snapshot``."""
    title: str
    key: str
    """Its number key, or "" for a pane reached only by name (``:``, the command palette)."""
    screen: str
    """``module:Class`` of its screen."""
    snapshot: str = ""
    """``module:Class`` of the snapshot its feed publishes ("" for a pane with no feed)."""
    poller: str = ""
    """``module:function`` building its poller: ``(factory, settings, clock) -> poller`` whose
    ``poll()`` is one cycle."""
    interval: str = ""
    """The ``Intervals`` field of its poll interval."""
    detect: str = ""
    """The ``Detector`` method that reads its snapshots for the journal ("" for none)."""
    metrics: bool = False
    """Its data are CloudWatch metrics, published a minute late (the report's reporting delay)."""
    aliases: tuple[str, ...] = ()
    """Other names ``warroom snapshot`` and ``:`` accept."""
    progress: bool = False
    """Its poller's ``poll`` takes a ``progress(pages, items)`` callback for a long first load."""
    answered: bool = False
    """Its poller's ``poll`` takes an ``answered`` callback (``tui.aws.scope.Answered``) as the places
    of a poll over several accounts answer."""

    @property
    def live(self) -> bool:
        """It has a feed that polls AWS."""
        return bool(self.poller)

    def snapshot_class(self) -> type:
        if not self.snapshot:
            raise KeyError(f"the {self.name} pane publishes no snapshot")
        found = resolve(self.snapshot)
        assert isinstance(found, type)
        return found

    def make_poller(self, factory: Any, settings: Settings, clock: Callable[[], datetime]) -> Any:
        """A new poller for this pane (``poll()`` is one cycle)."""
        return resolve(self.poller)(factory, settings, clock)


PANES: tuple[Pane, ...] = (
    Pane(
        "overview",
        "Overview",
        "1",
        "tui.screens.overview:OverviewScreen",
        "tui.aws.overview:OverviewSnapshot",
        "tui.aws.overview:OverviewPoller",
        "overview",
    ),
    Pane(
        "limits",
        "Limits",
        "2",
        "tui.screens.limits:LimitsScreen",
        "tui.aws.limits:LimitsSnapshot",
        "tui.panes:_limits",
        "limits",
        detect="_limits",
        metrics=True,
        progress=True,
    ),
    Pane(
        "kinesis",
        "Kinesis",
        "3",
        "tui.screens.kinesis:KinesisScreen",
        "tui.aws.kinesis:KinesisSnapshot",
        "tui.panes:_kinesis",
        "kinesis",
        detect="_kinesis",
        metrics=True,
        answered=True,
    ),
    Pane(
        "findings",
        "Findings",
        "4",
        "tui.screens.findings:FindingsScreen",
        "tui.aws.findings:FindingsSnapshot",
        "tui.panes:_findings",
        "findings",
        detect="_findings_events",
        progress=True,
    ),
    Pane(
        "sessions",
        "Sessions",
        "5",
        "tui.screens.sessions:SessionsScreen",
        "tui.aws.sessions:SessionsSnapshot",
        "tui.panes:_sessions",
        "sessions",
        detect="_sessions_events",
        aliases=("instances",),
        answered=True,
    ),
    Pane(
        "fis",
        "Experiments",
        "6",
        "tui.screens.fis:FisScreen",
        "tui.aws.fis:FisSnapshot",
        "tui.panes:_fis",
        "fis",
        detect="_fis",
        aliases=("experiments",),
        answered=True,
    ),
    Pane("journal", "Journal", "7", "tui.screens.journal:JournalScreen"),
    Pane("facilitator", "Facilitator", "8", "tui.screens.facilitator:FacilitatorScreen"),
    Pane("activity", "Activity", "9", "tui.screens.activity:ActivityScreen"),
    # Every number from 1 to 9 is taken: the alarms are on 0, the key after 9 on the keyboard.
    Pane(
        "alarms",
        "Alarms",
        "0",
        "tui.screens.alarms:AlarmsScreen",
        "tui.aws.alarms:AlarmsSnapshot",
        "tui.panes:_alarms",
        "alarms",
        detect="_alarms",
        answered=True,
    ),
    # With every number taken, the game day's wall is reached by name: `:wall`.
    Pane("wall", "Wall", "", "tui.screens.wall:WallScreen"),
)

KEY_ORDER = "1234567890"
"""The number keys in the order the keyboard has them (and the panes are listed in)."""


def key_order(key: str) -> int:
    """Where a pane with number key ``key`` is listed: in the keyboard's order, the panes without a
    number key ("") after every one with."""
    return KEY_ORDER.index(key) if key else len(KEY_ORDER)


LIVE = tuple(p for p in PANES if p.live)
"""The panes with a feed, in key order."""
BY_NAME = {p.name: p for p in PANES}
SNAPSHOT_NAMES = {name: p for p in LIVE for name in (p.name, *p.aliases)}
"""Every name ``warroom snapshot`` accepts."""


def pane(name: str) -> Pane:
    """The pane called ``name`` (or one of its aliases); KeyError naming the panes otherwise."""
    found = BY_NAME.get(name) or SNAPSHOT_NAMES.get(name)
    if found is None:
        raise KeyError(f"no pane {name!r}; the panes are {', '.join(p.name for p in PANES)}")
    return found


@cache
def resolve(path: str) -> Any:
    """The object ``module:name`` names."""
    module, _, name = path.partition(":")
    return getattr(importlib.import_module(module), name)


# -- the pollers that need more than the client factory ------------------------------------------
# Each imports its poller when it builds one, like the table above, for start-up time: the
# commands read the table, and ``warroom snapshot PANE`` needs one poller.


def _limits(factory: Any, settings: Settings, clock: Callable[[], datetime]) -> Any:
    from tui.aws.limits import LimitsPoller

    return LimitsPoller(factory, thresholds=settings.thresholds, clock=clock)


def _kinesis(factory: Any, settings: Settings, clock: Callable[[], datetime]) -> Any:
    from tui.aws.kinesis import KinesisPoller

    rule = replace(settings.kinesis_rule, block_minutes=settings.kinesis_block_minutes)
    return KinesisPoller(factory, rule=rule, clock=clock)


def _findings(factory: Any, settings: Settings, clock: Callable[[], datetime]) -> Any:
    from tui.aws.findings import FindingsPoller

    return FindingsPoller(factory, clock=clock)


def _sessions(factory: Any, settings: Settings, clock: Callable[[], datetime]) -> Any:
    from tui.aws.sessions import SessionsPoller

    return SessionsPoller(factory, clock=clock)


def _fis(factory: Any, settings: Settings, clock: Callable[[], datetime]) -> Any:
    from tui.aws.fis import FisPoller

    return FisPoller(factory, clock=clock)


def _alarms(factory: Any, settings: Settings, clock: Callable[[], datetime]) -> Any:
    from tui.aws.alarms import AlarmsPoller

    return AlarmsPoller(factory, clock=clock)


async def one_poll(name: str, factory: Any, settings: Settings, clock: Callable[[], datetime]) -> Any:
    """One cycle of a fresh poller of pane ``name`` (``warroom snapshot``)."""
    poller = pane(name).make_poller(factory, settings, clock)
    result: Awaitable[Any] = poller.poll()
    return await result


async def poll_every_pane(endpoint_url: str, region: str = "us-east-1") -> dict[str, Any]:
    """One snapshot of every pane with a poller, read from the endpoint (a simulator) with its test
    keys and default settings: what the benches and the codec's tests encode."""
    from tui.aws.clients import AwsTarget, ClientFactory  # the registry itself stays light to import
    from tui.aws.outcome import utcnow

    target = AwsTarget(
        regions=(region,), endpoint_url=endpoint_url, access_key="testing", secret_key="testing"
    )
    factory = ClientFactory(target)
    try:
        return {p.name: await one_poll(p.name, factory, Settings(), utcnow) for p in LIVE}
    finally:
        await factory.close()
