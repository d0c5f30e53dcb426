"""Orders become overdue when their pickup window ends, without anyone pressing a key.

A daemon thread with its own Store connection calls ``orders.mark_overdue`` every
``interval_s`` (and once at start). The terminal app runs one; ``store-edge sync`` sweeps
before each sync, so a store running only the sync service marks them too. The clock is
injectable so tests move time instead of waiting for it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from devices.worker import BackgroundWorker
from edge.clock import utcnow
from edge.domain import orders
from edge.services.callbacks import notify
from edge.store import Store

log = logging.getLogger(__name__)
SWEEP_INTERVAL_S = 30.0


class OverdueSweeper(BackgroundWorker):
    """Marks orders overdue as their windows end; ``on_change(order_nos)`` after a sweep
    that marked some (called from this thread)."""

    thread_name = "overdue-sweeper"

    def __init__(self, data_dir: str | Path, *, interval_s: float = SWEEP_INTERVAL_S,
                 clock: Callable[[], datetime] = utcnow,
                 on_change: Callable[[list[str]], None] | None = None) -> None:
        super().__init__()
        self.data_dir = Path(data_dir)
        self.interval_s = interval_s
        self.clock = clock
        self.on_change = on_change
        self.sweeps = 0  # completed sweeps (tests wait on it)

    def run(self) -> None:
        store = Store.open(self.data_dir)
        try:
            while not self._stop.is_set():
                self.sweep(store)
                self._stop.wait(self.interval_s)
        finally:
            store.close()

    def sweep(self, store: Store) -> list[str]:
        try:
            marked = orders.mark_overdue(store.db, now=self.clock())
        except Exception:  # a locked database or a bug: log it, try again next time
            log.exception("overdue sweep failed")
            marked = []
        self.sweeps += 1
        if marked and self.on_change is not None:
            notify(lambda: self.on_change(marked), "overdue")  # type: ignore[misc]
        return marked
