"""The console's game-day hub: every poll snapshot and every change the console makes passes
through here on its way to the journal, the recording and the business services' timers.

It holds no UI: the app calls ``observe`` after each poll, ``action`` for each audited call,
``note`` for what people type and ``tick`` once a second; listeners learn of each new event.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any

from tui import __version__
from tui.common import paths
from tui.common.timefmt import clock_text
from tui.gameday import events as ev
from tui.gameday.detect import Detector
from tui.gameday.events import JournalEvent
from tui.gameday.journal import Journal, default_journal_path
from tui.gameday.record import Recorder
from tui.gameday.services import BusinessService, ServiceStatus, ServiceTracker
from tui.settings import Settings

log = logging.getLogger(__name__)

Listener = Callable[[JournalEvent], None]

_SUMMARY_PARAMS = (
    "GroupId",
    "Bucket",
    "StreamName",
    "TargetShardCount",
    "RetentionPeriodHours",
    "experimentTemplateId",
    "id",
    "KeyId",
    "Name",
    "Target",
    "SessionId",
    "AlarmName",
    "StateValue",
)
_LISTED_PARAMS = ("AlarmNames",)
"""Parameters that are lists of names, summarised as ``AlarmNames=a,b`` (the first is the resource)."""
_LISTED_SHOWN = 5


def action_event(record: Mapping[str, Any], at: datetime) -> JournalEvent | None:
    """A journal event for one audit record of a call that was made (refusals are not actions)."""
    outcome = str(record.get("outcome") or "")
    if outcome not in ("ok", "error"):
        return None
    if record.get("service") == "ssm" and record.get("operation") == "SessionEnded":
        return session_ended_event(record, at)
    service = str(record.get("service") or "")
    operation = str(record.get("operation") or "")
    params = record.get("params") or {}
    resource = ""
    shown: list[str] = []
    if isinstance(params, Mapping):
        for key in _SUMMARY_PARAMS:
            value = params.get(key)
            if isinstance(value, str | int | float) and not isinstance(value, bool):
                shown.append(f"{key}={value}")
                if not resource and isinstance(value, str):
                    resource = value
        for key in _LISTED_PARAMS:
            names = params.get(key)
            if isinstance(names, list) and names and all(isinstance(n, str) for n in names):
                more = f" (+{len(names) - _LISTED_SHOWN})" if len(names) > _LISTED_SHOWN else ""
                shown.append(f"{key}={','.join(names[:_LISTED_SHOWN])}{more}")
                resource = resource or names[0]
        if not resource:
            findings = params.get("FindingIdentifiers")
            if isinstance(findings, list) and findings:
                shown.append(f"{len(findings)} finding(s)")
    title = str(record.get("plan_title") or "")
    result = "ok" if outcome == "ok" else f"failed: {record.get('error_code') or record.get('message')}"
    text = f"{title}: {service}:{operation}" if title else f"{service}:{operation}"
    if shown:
        text += " " + " ".join(shown)
    text += f" ({result})"
    detail = {"operation": f"{service}:{operation}", "outcome": outcome}
    for key in ("plan_key", "region", "account", "actor", "role_arn", "profile"):
        value = record.get(key)
        if value:
            detail[key] = str(value)
    return JournalEvent(
        at=at,
        kind=ev.ACTION,
        source="console",
        text=text,
        resource=resource,
        level="info" if outcome == "ok" else "warning",
        detail=detail,
    )


def session_ended_event(record: Mapping[str, Any], at: datetime) -> JournalEvent | None:
    """ "session ended", with how long it lasted, for the audit record the console writes when the
    plugin of a session it opened returns; None for a session handed to a tmux window, whose end
    the console does not see."""
    params = record.get("params")
    params = params if isinstance(params, Mapping) else {}
    started, exit_status = params.get("PluginStarted"), params.get("ExitStatus")
    if started and exit_status is None:
        return None
    session_id = str(params.get("SessionId") or "")
    target = str(params.get("Target") or "")
    detail = {"region": str(record.get("region") or ""), "document": str(params.get("DocumentName") or "")}
    lasted = ""
    try:
        begun = datetime.fromisoformat(str(params.get("StartedAt")))
        ended = datetime.fromisoformat(str(params.get("EndedAt")))
    except ValueError:
        pass
    else:
        at = ended
        duration = clock_text((ended - begun).total_seconds())
        lasted = f" after {duration}"
        detail.update(started_at=begun.isoformat(), ended_at=ended.isoformat(), duration=duration)
    if not started:
        how = f": {record.get('message') or 'the plugin did not start'}"
    else:
        how = f" (exit status {exit_status})"
        detail["exit_status"] = str(exit_status)
    for key in ("actor", "plan_key"):
        if record.get(key):
            detail[key] = str(record[key])
    return JournalEvent(
        at=at,
        kind=ev.SESSION_ENDED,
        source="console",
        text=f"session {session_id} to {target} ended{lasted}{how}",
        resource=target,
        ref=session_id,
        level="info" if record.get("outcome") == "ok" else "warning",
        detail={k: v for k, v in detail.items() if v},
    )


class _RecordingWriter:
    """Encodes and appends to the recording off the UI thread, in the order things happened: a
    snapshot of a large fleet takes a fraction of a second to encode, which the screen must not
    wait for. The queue is drained as fast as it fills, so a kill loses only what is being written."""

    def __init__(self, recorder: Recorder) -> None:
        self.recorder = recorder
        self._queue: queue.SimpleQueue[tuple[str, object, object] | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="warroom-recording", daemon=True)
        self._thread.start()

    def snapshot(self, pane: str, snapshot: object) -> None:
        self._queue.put(("snapshot", pane, snapshot))

    def event(self, event: JournalEvent) -> None:
        self._queue.put(("event", event, None))

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            kind, first, second = item
            try:
                if kind == "snapshot":
                    self.recorder.snapshot(str(first), second)
                elif isinstance(first, JournalEvent):
                    self.recorder.event(first)
            except Exception:  # the recorder reports its own problems; a bug must not stop the thread
                log.exception("recording a %s failed", kind)

    def close(self) -> None:
        """Write what is queued, then close the file."""
        self._queue.put(None)
        self._thread.join(timeout=30.0)
        self.recorder.close()


class GameDay:
    """Routes snapshots to the detector and the recorder, and events to the journal, the
    recorder, the service tracker and the listeners."""

    def __init__(
        self,
        *,
        journal: Journal,
        detector: Detector,
        services: ServiceTracker,
        recorder: Recorder | None = None,
        clock: Callable[[], datetime],
    ) -> None:
        self.journal = journal
        self.detector = detector
        self.services = services
        self.recorder = recorder
        self.clock = clock
        self._listeners: list[Listener] = []
        self._writer = _RecordingWriter(recorder) if recorder is not None else None

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        self._listeners.append(listener)

        def unsubscribe() -> None:
            if listener in self._listeners:
                self._listeners.remove(listener)

        return unsubscribe

    @property
    def problem(self) -> str:
        """Why the journal or the recording is not being written, or empty."""
        problems = [self.journal.problem or ""]
        if self.recorder is not None:
            problems.append(self.recorder.problem or "")
        return "; ".join(p for p in problems if p)

    def observe(self, pane: str, snapshot: object) -> None:
        """One finished poll: record it, then journal what crossed a threshold."""
        if self._writer is not None:
            self._writer.snapshot(pane, snapshot)
        try:
            found = self.detector.observe(pane, snapshot)
        except Exception:  # a detector bug must not cost the poll its display
            log.exception("detector failed on a %s snapshot", pane)
            return
        for event in found:
            self.add(event)

    def add(self, event: JournalEvent) -> JournalEvent:
        """Journal, record and announce ``event``; returns it as kept (credentials scrubbed)."""
        kept = self._emit(event)
        for derived in self.services.update(kept):
            self._emit(derived)
        return kept

    def _emit(self, event: JournalEvent) -> JournalEvent:
        # The journal scrubs the event once; only that copy goes on to the recording and listeners.
        kept = self.journal.add(event)
        if self._writer is not None:
            self._writer.event(kept)
        for listener in tuple(self._listeners):
            listener(kept)
        return kept

    def note(self, text: str, author: str) -> JournalEvent:
        event = JournalEvent(
            at=self.clock(),
            kind=ev.NOTE,
            source="person",
            text=text,
            detail={"author": author} if author else {},
        )
        return self.add(event)

    def action(self, record: Mapping[str, Any]) -> None:
        event = action_event(record, self.clock())
        if event is None:
            return
        if event.kind == ev.SESSION_ENDED and event.ref:
            # Its end is journaled now: the sessions pane's polls must not journal it again.
            self.detector.session_ended(event.ref)
        self.add(event)

    def tick(self) -> None:
        for event in self.services.tick(self.clock()):
            self._emit(event)

    def service_status(self) -> tuple[ServiceStatus, ...]:
        return self.services.status(self.clock())

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()


def make_gameday(
    settings: Settings, clock: Callable[[], datetime], services: Iterable[BusinessService] = ()
) -> GameDay:
    """The journal, its detectors, the timers of the important business ``services`` (--services)
    and (with --record) the recording."""
    path = settings.journal_path or default_journal_path(paths.state_dir(), clock())
    recorder = None
    if settings.record_path is not None:
        meta = {
            "version": __version__,
            "profile": settings.target.profile or "",
            "regions": ",".join(settings.target.regions),
            "endpoint_url": settings.target.endpoint_url or "",
            "demo": "yes" if settings.demo else "no",
            "journal": str(path),
        }
        recorder = Recorder(settings.record_path, meta=meta, clock=clock)
    return GameDay(
        journal=Journal(path, clock=clock),
        detector=Detector(settings.thresholds),
        services=ServiceTracker(services),
        recorder=recorder,
        clock=clock,
    )
