"""``warroom replay``: the console's panes fed from a recording instead of AWS.

The driver owns a ``Playback`` and a recorded feed per pane (``Feeds.recorded``); four times a
second it publishes the snapshots recorded up to the playback clock on those feeds, and the
journal's events on the console's journal topic. The panes subscribe to the feeds as they would to
live ones. No AWS client is ever made: the factory refuses, and every action is refused as in
read-only mode.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, Protocol

from tui import panes
from tui.aws.clients import AwsTarget, ClientFactory
from tui.common.timefmt import clock_text, zulu_text
from tui.feeds import Feeds, RecordedFeed
from tui.gameday import events as ev
from tui.gameday.events import JournalEvent
from tui.gameday.replay import Delivery, Playback
from tui.gameday.services import ServiceStatus

TICK_S = 0.25


class ReplayOnly(RuntimeError):
    """Raised by the replay's client factory: a replay never calls AWS."""


class OfflineFactory(ClientFactory):
    """A client factory that makes no clients."""

    def __init__(self, target: AwsTarget) -> None:
        super().__init__(target)

    async def client(self, service: str, region: str | None = None, *, role_arn: str | None = None) -> Any:
        raise ReplayOnly(f"replaying a recording: {service} is not called (no AWS calls in a replay)")


def recorded_services(events: list[JournalEvent], now: datetime) -> tuple[ServiceStatus, ...]:
    """Each business service's state as the recording's service events tell it at ``now``."""
    state: dict[str, dict[str, Any]] = {}
    speed = 1.0
    for event in events:
        with contextlib.suppress(ValueError):
            speed = (
                float(event.detail.get("speed", speed) or speed)
                if event.kind.startswith("service.")
                else speed
            )
        if event.kind not in (ev.SERVICE_IMPAIRED, ev.SERVICE_BREACH, ev.SERVICE_RESTORED):
            continue
        name = event.ref or event.resource
        entry = state.setdefault(
            name, {"since": None, "total": 0.0, "breached": False, "tolerance": 0.0, "signals": ()}
        )
        with contextlib.suppress(ValueError):
            entry["tolerance"] = float(event.detail.get("tolerance_s", entry["tolerance"]) or 0.0)
        if event.kind == ev.SERVICE_IMPAIRED and entry["since"] is None:
            entry["since"] = event.at
            entry["breached"] = False
        elif event.kind == ev.SERVICE_BREACH:
            entry["breached"] = True
        elif event.kind == ev.SERVICE_RESTORED and entry["since"] is not None:
            entry["total"] += (event.at - entry["since"]).total_seconds() * speed
            entry["since"] = None
            entry["breached"] = False
    out = []
    for name, entry in state.items():
        since = entry["since"]
        current = (now - since).total_seconds() * speed if since is not None else 0.0
        out.append(
            ServiceStatus(
                name=name,
                tolerance_s=entry["tolerance"],
                impaired_since=since,
                impaired_s=max(0.0, current),
                total_impaired_s=entry["total"] + max(0.0, current),
                breached=entry["breached"],
                signals=(),
            )
        )
    return tuple(out)


class ReplayConsole(Protocol):
    """What the driver plays into: the console (``tui.app.WarroomApp``), seen from below."""

    account: str

    def sync_header(self) -> None: ...

    def journal_append(self, event: JournalEvent) -> None: ...

    def journal_reload(self) -> None: ...

    def notify(self, message: str, *, timeout: float | None = None) -> None: ...

    def set_interval(
        self, interval: float, callback: Callable[[], Any] | None = None, *, name: str | None = None
    ) -> Any: ...


class ReplayDriver:
    """Publishes a ``Playback`` on recorded feeds and an app's journal."""

    def __init__(self, playback: Playback, *, source: str) -> None:
        self.playback = playback
        self.source = source
        self.events: list[JournalEvent] = []
        self.app: ReplayConsole | None = None
        self._recorded = {p.name: RecordedFeed(p.name, p.title, toggle=self.toggle_pause) for p in panes.LIVE}
        self.feeds = Feeds(dict(self._recorded))

    def bind(self, app: ReplayConsole) -> None:
        self.app = app
        self._apply(self.playback.seek(self.playback.start))
        app.set_interval(TICK_S, self.tick, name="replay")

    # -- the panes' keys ----------------------------------------------------------------------

    def toggle_pause(self) -> str:
        """p on any pane: pause or play the recording; returns what to tell the user."""
        at_end = self.playback.position >= self.playback.end
        paused = self.playback.toggle()
        if at_end and not paused:
            self._apply(self.playback.seek(self.playback.start), rewound=True)
        return "Replay: " + ("⏸ paused" if paused else f"▶ playing at {self.playback.speed:g}x")

    # -- moving -------------------------------------------------------------------------------

    def tick(self) -> None:
        self._apply(self.playback.advance(TICK_S))

    def seek_by(self, seconds: float) -> None:
        self._apply(self.playback.seek(self.playback.position + timedelta(seconds=seconds)))
        self._say(f"at {self.badge()}")

    def seek_to(self, moment: datetime) -> None:
        self._apply(self.playback.seek(moment))

    def step(self, forward: bool) -> None:
        self.playback.paused = True
        self._apply(self.playback.step() if forward else self.playback.step_back())

    def faster(self, up: bool) -> None:
        speed = self.playback.faster() if up else self.playback.slower()
        self._say(f"speed {speed:g}x")

    def now(self) -> datetime:
        return self.playback.now()

    def badge(self) -> str:
        p = self.playback
        state = "⏸" if p.paused else "▶"
        done = (p.position - p.start).total_seconds()
        total = (p.end - p.start).total_seconds()
        where = f"{clock_text(done)}/{clock_text(total)}"
        return f"REPLAY {state} {zulu_text(p.position)} {where} {p.speed:g}x"

    def services(self) -> tuple[ServiceStatus, ...]:
        return recorded_services(self.events, self.playback.now())

    # -- delivering ---------------------------------------------------------------------------

    def _apply(self, delivery: Delivery, *, rewound: bool = False) -> None:
        app = self.app
        if app is None:
            return
        for pane, snapshot in delivery.snapshots:
            identity = getattr(snapshot, "identity", None) if pane == "overview" else None
            account = getattr(identity, "account", "")
            if account and account != app.account:
                app.account = account
                app.sync_header()
            if pane in self._recorded:
                self._recorded[pane].publish(snapshot)
        if delivery.rewound or rewound:
            self.events = list(delivery.events)
            app.journal_reload()
        else:
            for event in delivery.events:
                self.events.append(event)
                app.journal_append(event)

    def _say(self, text: str) -> None:
        if self.app is not None:
            self.app.notify(f"Replay: {text}", timeout=2)
