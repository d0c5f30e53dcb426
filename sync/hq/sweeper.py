"""Background timekeeping at HQ: release unpaid orders after 30 minutes, send reminders.

Uses the injectable clock for business time (so tests move time instead of waiting) and
real time only for how often it wakes up.
"""

from __future__ import annotations

import logging
import threading

from .clock import Clock
from .db import Database
from .orders import release_unpaid_orders, send_reminders

log = logging.getLogger(__name__)


def sweep_once(db: Database, clock: Clock) -> list[str]:
    """One round; returns the orders released."""
    now = clock()
    released = release_unpaid_orders(db, now)
    send_reminders(db, now)
    return released


class Sweeper:
    def __init__(self, db: Database, clock: Clock, interval: float) -> None:
        self.db = db
        self.clock = clock
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="hq-sweeper", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                sweep_once(self.db, self.clock)
            except Exception:  # the database may be briefly away; next round retries
                log.exception("sweep failed")
