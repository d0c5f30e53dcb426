"""When each store last talked to HQ, for operators (``/metrics``: last contact, stores silent).

Every authenticated store request notes the store in memory; a background thread writes
the notes to ``store_contact`` in one transaction every few seconds. So a pull stays a pure
read (no write per request, no wait on the store's row lock that change writers hold), and
with several HQ processes each writes its own notes: the newest wins in the database.
"""

from __future__ import annotations

import threading
import time

from .background import Periodic
from .db import Database

FLUSH_INTERVAL_S = 5.0


class ContactLog(Periodic):
    """Last-contact notes of this process, flushed to the database every few seconds."""

    def __init__(self, db: Database, interval: float = FLUSH_INTERVAL_S) -> None:
        super().__init__("hq-contact", interval)
        self.db = db
        self._seen: dict[str, float] = {}
        self._lock = threading.Lock()

    def seen(self, store_id: str) -> None:
        """A store just made an authenticated request (cheap: a dict write)."""
        with self._lock:
            self._seen[store_id] = time.time()

    def step(self) -> None:
        self.flush()

    def stop(self) -> None:
        super().stop()
        self.flush()

    def flush(self) -> None:
        """Write the notes taken since the last flush (never moves a contact backwards)."""
        with self._lock:
            notes, self._seen = self._seen, {}
        if not notes:
            return
        try:
            with self.db.tx() as tx:
                tx.many("INSERT INTO store_contact (store_id, last_contact) VALUES (?, ?) "
                        "ON CONFLICT (store_id) DO UPDATE SET last_contact = excluded.last_contact "
                        "WHERE store_contact.last_contact < excluded.last_contact",
                        sorted(notes.items()))
        except Exception:
            with self._lock:  # keep them for the next round
                for store_id, at in notes.items():
                    self._seen[store_id] = max(at, self._seen.get(store_id, 0.0))
            raise
