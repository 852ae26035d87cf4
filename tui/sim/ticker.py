"""A daemon thread that keeps the simulator's metrics current (one workload's, or an organization's)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

logger = logging.getLogger(__name__)


class Ticker:
    """A daemon thread that calls ``step`` every ``interval`` seconds until stopped; a step that
    fails is logged and the next one comes on time."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self, step: Callable[[], object], interval: float) -> None:
        if self.running:
            return
        self._stop.clear()

        def run() -> None:
            while not self._stop.is_set():
                try:
                    step()
                except Exception:
                    logger.debug("metric tick failed", exc_info=True)
                if self._stop.wait(interval):
                    return

        self._thread = threading.Thread(target=run, name=self.name, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the thread (returns promptly)."""
        self._stop.set()
        thread = self._thread
        if thread is not None:
            thread.join(timeout=5.0)
            self._thread = None
