"""What the console waits for while its first frame is already on screen: a ``Startup`` runs a slow
start (the demo's simulator: moto's import and the workload's seeding, several seconds) in a thread
of its own, says which step it is on, and lets the event loop await its end without blocking.

No Textual here: the console reads ``stage`` to show it, and its AWS clients await ``wait()``
before their first call.
"""

from __future__ import annotations

import concurrent.futures
import threading
from collections.abc import Callable
from typing import Any


class StartupFailed(Exception):
    """The start ended with an error; its text is what to tell the user, whole."""


class Startup:
    """``run(startup)`` in a daemon thread; it calls ``startup.step(text)`` as each step begins, and
    ``startup.reachable()`` once clients may connect (``wait_reachable``), which may be before the
    end: a simulator that answers STS at once and holds the rest until it is seeded."""

    def __init__(self, what: str, run: Callable[[Startup], Any]) -> None:
        self.what = what
        """What is starting, as the console says it: "starting the simulator"."""
        self._run = run
        self._step = ""
        self._future: concurrent.futures.Future[Any] = concurrent.futures.Future()
        self._reachable: concurrent.futures.Future[None] = concurrent.futures.Future()
        self._thread: threading.Thread | None = None

    def start(self) -> Startup:
        """Begin in the background (once); returns at once."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._main, name="warroom-startup", daemon=True)
            self._thread.start()
        return self

    def _main(self) -> None:
        if not self._future.set_running_or_notify_cancel():
            return
        try:
            result = self._run(self)
        except SystemExit as exc:  # a command's one-line refusal ("warroom: the scenario cannot run: ...")
            self._fail(StartupFailed(str(exc.code)))
        except BaseException as exc:  # handed to whoever waits, in their thread, never raised in this one
            self._fail(StartupFailed(f"warroom: {self.what} failed: {exc}"))
        else:
            self.reachable()
            self._future.set_result(result)

    def _fail(self, error: StartupFailed) -> None:
        if not self._reachable.done():
            self._reachable.set_exception(error)
        self._future.set_exception(error)

    def step(self, text: str) -> None:
        """The step the start is on now ("seeding the fleet")."""
        self._step = text

    def reachable(self) -> None:
        """Clients may connect from now on (the start may go on behind what they reach)."""
        if not self._reachable.done():
            self._reachable.set_result(None)

    @property
    def done(self) -> bool:
        return self._future.done()

    @property
    def failed(self) -> BaseException | None:
        """The error the start ended with (None while it runs, or when it succeeded)."""
        return self._future.exception() if self._future.done() else None

    @property
    def stage(self) -> str:
        """``starting the simulator… (seeding the fleet)``; "" once it is done."""
        if self._future.done():
            return ""
        return f"{self.what}… ({self._step})" if self._step else f"{self.what}…"

    def result(self, timeout: float | None = None) -> Any:
        """Block until the start ends (its result, or ``StartupFailed`` raised here)."""
        return self._future.result(timeout)

    async def wait(self) -> Any:
        """Await the end of the start from an event loop (its result, or ``StartupFailed``)."""
        import asyncio  # 30 ms the demo's first frame and its simulator's fork no longer wait for

        if self._thread is None:
            raise RuntimeError("the start was never begun: call start()")
        return await asyncio.wrap_future(self._future)

    async def wait_reachable(self) -> None:
        """Await the moment clients may connect (or ``StartupFailed``)."""
        import asyncio  # see wait()

        if self._thread is None:
            raise RuntimeError("the start was never begun: call start()")
        await asyncio.wrap_future(self._reachable)
