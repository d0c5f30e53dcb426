"""Background timekeeping at HQ: release unpaid orders after 30 minutes, send reminders,
tell stores how fast their live streams sell (``stream.rate``).

Uses the injectable clock for business time (so tests move time instead of waiting) and
real time only for how often it wakes up.
"""

from __future__ import annotations

from .background import Periodic
from .clock import Clock
from .db import Database
from .orders import release_unpaid_orders, send_reminders
from .stream import publish_rates


def sweep_once(db: Database, clock: Clock) -> list[str]:
    """One round; returns the orders released."""
    now = clock()
    released = release_unpaid_orders(db, now)
    send_reminders(db, now)
    publish_rates(db, now)
    return released


class Sweeper(Periodic):
    def __init__(self, db: Database, clock: Clock, interval: float) -> None:
        super().__init__("hq-sweeper", interval)
        self.db = db
        self.clock = clock

    def step(self) -> None:
        sweep_once(self.db, self.clock)
