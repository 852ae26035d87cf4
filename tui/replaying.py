"""``warroom replay``: the console's panes fed from a recording instead of AWS.

The driver owns a ``Playback`` and a recorded feed per pane (``Feeds.recorded``); four times a
second it publishes the snapshots recorded up to the playback clock on those feeds, and the
journal's events on the console's journal topic. The panes subscribe to the feeds as they would to
live ones. No AWS client is ever made: the factory refuses, and every action is refused as in
read-only mode.

Following a recording still being written (``warroom replay --follow``, the watch view that
``warroom serve`` gives each browser), the driver also reads the lines appended since its last tick
(``RecordingTail``) and adds them to the playback, which stays at the newest of them while live.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, Protocol

from tui import panes
from tui.aws.clients import AwsTarget, ClientFactory
from tui.aws.outcome import utcnow
from tui.common.timefmt import clock_text, zulu_text
from tui.feeds import Feeds, RecordedFeed
from tui.gameday import events as ev
from tui.gameday.events import JournalEvent
from tui.gameday.record import RecordingTail
from tui.gameday.replay import Delivery, Playback
from tui.gameday.services import ServiceStatus

TICK_S = 0.25
QUIET_S = 60.0
"""A followed recording whose newest line is this old: its writer may have stopped."""


class ReplayOnly(RuntimeError):
    """Raised by the replay's client factory: a replay never calls AWS."""


class OfflineFactory(ClientFactory):
    """A client factory that makes no clients."""

    def __init__(self, target: AwsTarget) -> None:
        super().__init__(target)

    async def client(
        self,
        service: str,
        region: str | None = None,
        *,
        role_arn: str | None = None,
        profile: str | None = None,
    ) -> Any:
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
    """Publishes a ``Playback`` on recorded feeds and an app's journal; with a ``tail``, follows a
    recording as it is written."""

    def __init__(
        self,
        playback: Playback,
        *,
        source: str,
        tail: RecordingTail | None = None,
        wall: Callable[[], datetime] = utcnow,
    ) -> None:
        self.playback = playback
        self.source = source
        self.tail = tail
        self.wall = wall
        self.lag_s = 0.0
        """How long after its writer wrote it the newest line was read (a followed recording)."""
        self.problem = ""
        """Why the followed recording cannot be read on (it is not a recording), or ""."""
        self._told = 0
        self.events: list[JournalEvent] = []
        self.app: ReplayConsole | None = None
        self._recorded = {p.name: RecordedFeed(p.name, p.title, toggle=self.toggle_pause) for p in panes.LIVE}
        self.feeds = Feeds(dict(self._recorded))

    @property
    def following(self) -> bool:
        """A recording still being written: the watch view of another console."""
        return self.tail is not None

    def bind(self, app: ReplayConsole) -> None:
        self.app = app
        if self.following:
            self.read_on()
            self._apply(self.playback.go_live())
        else:
            self._apply(self.playback.seek(self.playback.start))
        app.set_interval(TICK_S, self.tick, name="replay")

    def read_on(self) -> int:
        """Add the lines the writer appended since the last read; how many entries they gave."""
        tail = self.tail
        if tail is None or self.problem:
            return 0
        try:
            entries = tail.read()
        except ValueError as exc:
            self.problem = str(exc)
            self._say(f"cannot follow: {exc}", timeout=30)
            return 0
        except OSError as exc:
            self._tell_problem(f"cannot read {tail.path}: {exc.strerror or exc}")
            return 0
        for problem in tail.recording.problems[self._told :]:
            self._tell_problem(problem)
        self._told = len(tail.recording.problems)
        if entries:
            now = self.wall()
            self.lag_s = max(0.0, (now - max(e.at for e in entries)).total_seconds())
            self.playback.extend(entries)
        return len(entries)

    def _tell_problem(self, problem: str) -> None:
        log_line = f"{self.source}: {problem}"
        if self.app is not None:
            self.app.notify(f"Following {log_line}", timeout=6)

    # -- the panes' keys ----------------------------------------------------------------------

    def toggle_pause(self) -> str:
        """p on any pane: pause or play the recording; returns what to tell the user."""
        at_end = self.playback.position >= self.playback.end
        paused = self.playback.toggle()
        if at_end and not paused and not self.following:
            self._apply(self.playback.seek(self.playback.start), rewound=True)
        if self.following:
            if paused:
                return "Watch: ⏸ paused; p plays on, L goes back to live"
            return "Watch: " + ("● live" if self.playback.live else f"▶ playing at {self.playback.speed:g}x")
        return "Replay: " + ("⏸ paused" if paused else f"▶ playing at {self.playback.speed:g}x")

    # -- moving -------------------------------------------------------------------------------

    def tick(self) -> None:
        self.read_on()
        self._apply(self.playback.advance(TICK_S))

    def go_live(self) -> None:
        """Back to the newest line of a followed recording (a replay: to its end)."""
        if self.following:
            self._apply(self.playback.go_live(), rewound=False)
            self._say("live")
        else:
            self.seek_to(self.playback.end)

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
        """The console's clock: the playback's position; live, the wall clock, so that ages and the
        services' timers run on between the writer's lines as they do in the driving console."""
        position = self.playback.now()
        if self.following and self.playback.live and not self.playback.empty:
            return max(position, self.wall())
        return position

    def badge(self) -> str:
        if self.following:
            return self._follow_badge()
        p = self.playback
        state = "⏸" if p.paused else "▶"
        done = (p.position - p.start).total_seconds()
        total = (p.end - p.start).total_seconds()
        where = f"{clock_text(done)}/{clock_text(total)}"
        return f"REPLAY {state} {zulu_text(p.position)} {where} {p.speed:g}x"

    def _follow_badge(self) -> str:
        p = self.playback
        if self.problem:
            return "WATCH ✖ not a recording"
        if p.empty:
            return "LIVE · waiting for the first line"
        if p.live:
            quiet = (self.wall() - p.end).total_seconds()
            if quiet >= QUIET_S:
                return f"LIVE {zulu_text(p.position)} · writer quiet {clock_text(quiet)}"
            return f"LIVE {zulu_text(p.position)} · {self.lag_s:.1f}s behind"
        state = "⏸" if p.paused else f"▶ {p.speed:g}x"
        return f"WATCH {state} {zulu_text(p.position)} · {clock_text(p.behind_live)} behind live"

    def services(self) -> tuple[ServiceStatus, ...]:
        return recorded_services(self.events, self.now())

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

    def _say(self, text: str, *, timeout: float = 2) -> None:
        if self.app is not None:
            self.app.notify(f"{'Watch' if self.following else 'Replay'}: {text}", timeout=timeout)
