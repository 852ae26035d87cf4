"""The Findings poller: every ACTIVE Security Hub finding of the hub region, kept current cheaply.

The first load pages GetFindings (100 a page, so ceil(N/100) calls, the floor) at its quota (3 calls/s,
burst 6: the factory's limiter paces it), most severe first (SortCriteria on SeverityNormalized, the
number Security Hub keeps beside every label, so the order holds whatever the service makes of the
labels' text). After each page it reports its progress, and after pages 1, 2, 4, 8, ... and every
``PARTIAL_EVERY``-th page it also hands over what it has read so far (a snapshot with ``loading``
set), so the pane is usable from the first page, the worst findings on it.

A refresh asks only for the findings whose UpdatedAt is at or after the earlier of two moments: the
start of the previous complete read less ``overlap``, and the newest UpdatedAt held. Security Hub's
reads are eventually consistent, and providers stamp UpdatedAt themselves: a finding updated at T can
be missing from a read made just after T, and then arrive after findings stamped later. The overlap is
the allowance for that lag: whatever a read could not yet see was stamped at most ``overlap`` before
the read began, so the next read, starting there, sees it. The newest UpdatedAt held adds what is
newer than every finding held, however late it arrives (in a quiet hub a finding delivered long after
its stamp). The window used to start ``overlap`` before the newest UpdatedAt held, which in a quiet
hub never moves, so every refresh paged the same last minutes of updates again, forever (2 calls at
10,000 findings, 8 at 50,000). Now it slides forward with the reads: once nothing has been updated
within the overlap, it holds the newest finding alone and a refresh is one call, however many findings
the hub holds. Reading the window newest first and stopping at a page of findings already held would
be cheaper in a busy hub but unsafe: a late finding sorts by its own, older UpdatedAt, behind newer
ones already held, and would be skipped. A read's start is the earlier of this console's clock and
the Date of Security Hub's first answer, so a clock running ahead of AWS's does not narrow the
allowance.

BatchUpdateFindings does not move UpdatedAt, so findings this console changed are re-read by Id on
the next poll (``expect``), and a full reload every ``full_every`` catches workflow changes made
elsewhere (and an update that lagged by more than the overlap). GetEnabledStandards feeds the
per-standard scores; its failure only blanks them.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any, Protocol

from tui.aws.clients import ClientFactory
from tui.aws.errors import AwsProblem, classify
from tui.aws.findings_model import Finding, parse_finding
from tui.aws.outcome import ApiError, utcnow
from tui.common.timefmt import asff_time

log = logging.getLogger(__name__)

PAGE_SIZE = 100
OVERLAP = timedelta(minutes=5)
FULL_EVERY = timedelta(minutes=30)
ID_CHUNK = 20
MAX_PAGES = 5_000
PARTIAL_EVERY = 10
"""A first load hands over what it has read after pages 1, 2, 4, 8, ... and every this many pages."""
ACTIVE_ONLY = {"RecordState": [{"Value": "ACTIVE", "Comparison": "EQUALS"}]}
MOST_SEVERE_FIRST = ({"Field": "SeverityNormalized", "SortOrder": "desc"},)


class Progress(Protocol):
    """Called after each page of a full load with (pages read, findings so far) and, during a first
    load now and then (``partial_after``), the snapshot of the findings read so far."""

    def __call__(self, pages: int, found: int, partial: FindingsSnapshot | None = None, /) -> None: ...


def partial_after(pages: int) -> bool:
    """Whether a first load hands over what it has read after this many pages: after pages 1, 2, 4,
    8, ... (the list fills fast at first) and every ``PARTIAL_EVERY``-th page (at most every few
    seconds at the quota, and each costs the pane a sort of everything read)."""
    return pages > 0 and (pages & (pages - 1) == 0 or pages % PARTIAL_EVERY == 0)


@dataclass(frozen=True)
class FindingsSnapshot:
    fetched_at: datetime
    region: str
    findings: tuple[Finding, ...] = ()
    version: int = 0
    full_load: bool = False
    pages: int = 0
    changed: int = 0
    skipped: int = 0
    malformed: int = 0
    standards: tuple[Mapping[str, Any], ...] | None = None
    standards_problem: AwsProblem | None = None
    watermark: datetime | None = None
    errors: tuple[ApiError, ...] = ()
    error: AwsProblem | None = None
    calls: dict[str, int] = field(default_factory=dict)
    loading: bool = False
    """A first load under way: the findings read so far, most severe first (its feed publishes it
    with the load's progress, never as a poll)."""

    @property
    def total(self) -> int:
        return len(self.findings)


class FindingsPoller:
    """``poll()`` is one cycle: a full load the first time (and every ``full_every``), else the
    findings updated since the previous read began (less the overlap) plus those this console
    changed."""

    def __init__(
        self,
        factory: ClientFactory,
        *,
        region: str | None = None,
        clock: Callable[[], datetime] = utcnow,
        full_every: timedelta = FULL_EVERY,
        overlap: timedelta = OVERLAP,
    ) -> None:
        self.factory = factory
        self.region = region or factory.region
        self.clock = clock
        self.full_every = full_every
        self.overlap = overlap
        self._findings: dict[tuple[str, str], Finding] = {}
        self._watermark: datetime | None = None
        self._loaded_at: datetime | None = None
        self._since: datetime | None = None
        """The previous complete read's start, less the overlap (see the module's description)."""
        self._complete = False
        """A full load has ended once (until then, what is read is handed over as it comes)."""
        self._expected: set[tuple[str, str]] = set()
        self._version = 0
        self._standards: tuple[Mapping[str, Any], ...] | None = None
        self._standards_problem: AwsProblem | None = None
        self._skipped = 0

    # -- what the console changed -------------------------------------------------------------

    def expect(self, keys: Iterable[tuple[str, str]]) -> None:
        """Re-read these findings by Id on the next poll (their UpdatedAt will not have moved)."""
        self._expected.update(keys)

    def apply_local(self, findings: Iterable[Finding]) -> None:
        """Show a change this console made at once; the next poll reconciles it with Security Hub."""
        for finding in findings:
            if finding.key in self._findings:
                self._findings[finding.key] = finding
                self._expected.add(finding.key)
        self._version += 1

    def current(self) -> tuple[tuple[Finding, ...], int]:
        """The findings as they stand now (polls plus local changes), and their version."""
        return tuple(self._findings.values()), self._version

    def reload(self) -> None:
        """Make the next poll a full load."""
        self._loaded_at = None

    # -- one cycle ----------------------------------------------------------------------------

    def _problem(self, exc: Exception) -> AwsProblem:
        return classify(exc, profile=self.factory.target.profile)

    async def poll(self, progress: Progress | None = None) -> FindingsSnapshot:
        now = self.clock()
        hub = await self.factory.client("securityhub", self.region)
        full = self._loaded_at is None or now - self._loaded_at >= self.full_every
        errors: list[ApiError] = []
        pages = 0
        changed = 0
        try:
            if full:
                pages, changed = await self._full_load(hub, now, progress)
            else:
                pages, changed = await self._incremental(hub, now)
        except Exception as exc:  # the findings on screen stay; the pane says why they are stale
            problem = self._problem(exc)
            return self._snapshot(now, full, pages, changed, errors, problem)
        if self._expected:
            try:
                changed += await self._reread(hub, sorted(self._expected))
                self._expected.clear()
            except Exception as exc:  # the next poll tries again
                problem = self._problem(exc)
                errors.append(ApiError(self.region, "GetFindings", problem.message, problem.hint))
        if full:
            await self._read_standards(hub)
        return self._snapshot(now, full, pages, changed, errors, None)

    def _snapshot(
        self,
        now: datetime,
        full: bool,
        pages: int,
        changed: int,
        errors: list[ApiError],
        error: AwsProblem | None,
        *,
        loading: bool = False,
    ) -> FindingsSnapshot:
        findings = tuple(self._findings.values())
        return FindingsSnapshot(
            fetched_at=now,
            region=self.region,
            findings=findings,
            version=self._version,
            full_load=full,
            pages=pages,
            changed=changed,
            skipped=self._skipped,
            malformed=sum(1 for f in findings if f.problems),
            standards=self._standards,
            standards_problem=self._standards_problem,
            watermark=self._watermark,
            errors=tuple(errors),
            error=error,
            calls=dict(self.factory.calls),
            loading=loading,
        )

    async def _pages(
        self,
        hub: Any,
        filters: Mapping[str, Any],
        *,
        sort: Iterable[Mapping[str, str]] = (),
        answered: list[datetime] | None = None,
    ) -> AsyncIterator[list[Any]]:
        """The findings of each page of one query; ``answered`` gets the time Security Hub gave its
        first answer (its Date header), when it gave one."""
        params: dict[str, Any] = {"Filters": dict(filters), "MaxResults": PAGE_SIZE}
        criteria = [dict(c) for c in sort]
        if criteria:
            params["SortCriteria"] = criteria
        for _ in range(MAX_PAGES):
            reply = await hub.get_findings(**params)
            if answered is not None and not answered:
                stamp = _answered_at(reply)
                if stamp is not None:
                    answered.append(stamp)
            yield reply.get("Findings") or []
            token = reply.get("NextToken")
            if not token:
                return
            params["NextToken"] = token

    def _take(self, raw_findings: Iterable[Any], into: dict[tuple[str, str], Finding]) -> int:
        taken = 0
        for raw in raw_findings:
            finding = parse_finding(raw)
            if finding is None:
                self._skipped += 1
                continue
            into[finding.key] = finding
            taken += 1
            stamp = finding.updated_at
            if stamp is not None and (self._watermark is None or stamp > self._watermark):
                self._watermark = stamp
        return taken

    def _read_start(self, now: datetime, answered: list[datetime]) -> datetime:
        """When a read began, as both clocks agree at the earliest: this console's ``now`` taken
        before its first call, and the Date of Security Hub's first answer."""
        return min(now, answered[0]) if answered else now

    async def _full_load(self, hub: Any, now: datetime, progress: Progress | None) -> tuple[int, int]:
        first = not self._complete
        loaded: dict[tuple[str, str], Finding] = {}
        if first:
            # Nothing is shown yet: the pane shows (and may change) what is read as it comes.
            self._findings = loaded
        self._skipped = 0
        pages = 0
        answered: list[datetime] = []
        async for page in self._pages(hub, ACTIVE_ONLY, sort=MOST_SEVERE_FIRST, answered=answered):
            pages += 1
            self._take(page, loaded)
            if progress is not None:
                partial = None
                if first and partial_after(pages):
                    self._version += 1
                    partial = self._snapshot(now, True, pages, len(loaded), [], None, loading=True)
                progress(pages, len(loaded), partial)
        if first:
            changed = len(loaded)
        else:
            changed = len(loaded.keys() ^ self._findings.keys()) + sum(
                1 for key, f in loaded.items() if key in self._findings and self._findings[key] != f
            )
        self._findings = loaded
        self._loaded_at = now
        self._since = self._read_start(now, answered) - self.overlap
        self._complete = True
        self._version += 1
        return pages, changed

    def _merge(self, found: dict[tuple[str, str], Finding]) -> int:
        changed = 0
        for key, finding in found.items():
            if self._findings.get(key) != finding:
                self._findings[key] = finding
                changed += 1
        if changed:
            self._version += 1
        return changed

    def _window_start(self, now: datetime) -> datetime:
        """Where a refresh's UpdatedAt window starts: the earlier of the previous complete read's
        start less the overlap, and the newest UpdatedAt held (see the module's description)."""
        since = self._since if self._since is not None else now - self.overlap
        return since if self._watermark is None else min(since, self._watermark)

    async def _incremental(self, hub: Any, now: datetime) -> tuple[int, int]:
        since = self._window_start(now)
        filters = {"UpdatedAt": [{"Start": asff_time(since), "End": asff_time(now + timedelta(days=1))}]}
        found: dict[tuple[str, str], Finding] = {}
        pages = 0
        answered: list[datetime] = []
        async for page in self._pages(hub, filters, answered=answered):
            pages += 1
            self._take(page, found)
        changed = self._merge(found)
        # Only a read that ended moves the window: after a failure the next one starts as this did.
        self._since = self._read_start(now, answered) - self.overlap
        return pages, changed

    async def _reread(self, hub: Any, keys: list[tuple[str, str]]) -> int:
        found: dict[tuple[str, str], Finding] = {}
        for start in range(0, len(keys), ID_CHUNK):
            chunk = keys[start : start + ID_CHUNK]
            filters = {"Id": [{"Value": finding_id, "Comparison": "EQUALS"} for finding_id, _ in chunk]}
            async for page in self._pages(hub, filters):
                self._take(page, found)
        return self._merge(found)

    async def _read_standards(self, hub: Any) -> None:
        try:
            subscriptions: list[Mapping[str, Any]] = []
            params: dict[str, Any] = {}
            for _ in range(20):
                reply = await hub.get_enabled_standards(**params)
                subscriptions.extend(reply.get("StandardsSubscriptions") or [])
                token = reply.get("NextToken")
                if not token:
                    break
                params["NextToken"] = token
        except Exception as exc:  # the scores show as unknown with the reason
            self._standards = None
            self._standards_problem = self._problem(exc)
            return
        self._standards = tuple(subscriptions)
        self._standards_problem = None

    async def read_one(self, key: tuple[str, str]) -> Mapping[str, Any]:
        """The full ASFF of one finding as Security Hub has it now (for the details view)."""
        hub = await self.factory.client("securityhub", self.region)
        finding_id, product_arn = key
        reply = await hub.get_findings(
            Filters={
                "Id": [{"Value": finding_id, "Comparison": "EQUALS"}],
                "ProductArn": [{"Value": product_arn, "Comparison": "EQUALS"}],
            },
            MaxResults=1,
        )
        found = reply.get("Findings") or []
        if not found:
            raise LookupError(f"Security Hub no longer has finding {finding_id}")
        raw: Mapping[str, Any] = found[0]
        return raw


def _answered_at(reply: Mapping[str, Any]) -> datetime | None:
    """The time in the Date header of an answer (None without one, or one that does not parse)."""
    headers = (reply.get("ResponseMetadata") or {}).get("HTTPHeaders") or {}
    text = headers.get("date")
    if not isinstance(text, str):
        return None
    try:
        stamp = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    return stamp if stamp.tzinfo is not None else None


async def poll(factory: ClientFactory) -> FindingsSnapshot:
    """One full load with a fresh poller (``warroom snapshot findings``)."""
    return await FindingsPoller(factory).poll()
