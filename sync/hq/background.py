"""A named daemon thread that runs one step every ``interval`` seconds until stopped.

A failing step (say, the database briefly away) is logged and retried next round: background
work must never take the HQ endpoint down with it."""

from __future__ import annotations

import logging
import threading
from abc import ABC, abstractmethod

log = logging.getLogger(__name__)


class Periodic(ABC):
    def __init__(self, name: str, interval: float) -> None:
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=name, daemon=True)

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    @abstractmethod
    def step(self) -> None:
        """One round of the background work."""

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.step()
            except Exception:
                log.exception("%s step failed", self._thread.name)
