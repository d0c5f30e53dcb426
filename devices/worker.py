"""A stoppable daemon thread, shared by every background device driver.

Drivers run in background threads so the counter never waits on hardware (design property 2).
They all need the same things: a daemon thread, an Event to stop it without busy loops, and a
context manager so tests and the demo cannot leak threads.
"""
from __future__ import annotations

import logging
import threading
from abc import ABC, abstractmethod
from typing import Any

log = logging.getLogger(__name__)


class BackgroundWorker(ABC):
    """Base for drivers: subclass and implement :meth:`run` checking ``self._stop``.

    ``run`` should block on I/O with a timeout or on ``self._stop.wait(timeout)``, never spin.
    """

    thread_name = "device-worker"

    def __init__(self) -> None:
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @abstractmethod
    def run(self) -> None:
        """The driver's loop; return when ``self._stop`` is set."""

    def _main(self) -> None:
        try:
            self.run()
        except Exception:  # a driver bug must show up in the log, not kill the app silently
            log.exception("%s crashed", self.thread_name)

    def start(self) -> "BackgroundWorker":
        if self._thread is not None and self._thread.is_alive():
            return self
        self._stop.clear()
        self._thread = threading.Thread(target=self._main, name=self.thread_name, daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._on_stop()
        t = self._thread
        if t is not None and t is not threading.current_thread():
            t.join(timeout)
        self._thread = None

    def _on_stop(self) -> None:
        """Hook: unblock whatever ``run`` waits on (close a port, wake an event)."""

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def __enter__(self) -> Any:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
