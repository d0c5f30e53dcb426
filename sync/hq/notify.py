"""Customer notifications: written to HQ's own outbox in the business transaction, then
delivered to a webhook by a background thread with retries and exponential backoff.

Delivery is at-least-once: the JSON body and the ``Idempotency-Key`` header carry the
notification id so the receiver can drop repeats. Per order, notifications go out in the
order they were written: while one waits for a retry, later ones for that order wait too.

Several HQ processes each run a deliverer on the same table: a deliverer first claims a few
due rows (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, the write lock on SQLite) and moves their
``next_attempt_at`` a lease ahead, so no other process sends them meanwhile. Only a process
that dies mid-send leaves its claim to expire, after which another sends it again.
"""

from __future__ import annotations

import time
import uuid
from datetime import datetime
from typing import Any

import httpx

from .background import Periodic
from .clock import iso
from .codec import dumps, loads
from .db import Database, Tx

KINDS = ("allocated", "ready", "picked_up", "reminder", "overdue", "cancelled", "window_extended",
         # delivery orders (sync/hq/delivery.py)
         "out_for_delivery", "delivered", "delivery_failed", "delivery_returned", "delivery_retry",
         "courier_assigned", "courier_cancelled", "courier_late",
         "presale_arrived", "presale_delayed")


def enqueue(tx: Tx, store_id: str, order_no: str | None, kind: str, payload: dict[str, Any],
            now: datetime) -> str:
    """Record a notification to send (same transaction as the change that causes it)."""
    notification_id = str(uuid.uuid4())
    tx.run(
        "INSERT INTO notifications (notification_id, store_id, order_no, kind, payload, status, "
        "attempts, next_attempt_at, created_at, ord) VALUES (?, ?, ?, ?, ?, 'pending', 0, 0, ?, ?)",
        (notification_id, store_id, order_no, kind, dumps(payload), iso(now), time.time_ns()),
    )
    return notification_id


def backoff_seconds(attempts: int, base: float, cap: float) -> float:
    """Wait after the n-th failed attempt: base, 2*base, 4*base ... capped."""
    return min(cap, base * (2 ** max(0, attempts - 1)))


class Deliverer(Periodic):
    """Background sender: polls pending notifications and POSTs each to ``url``."""

    def __init__(self, db: Database, url: str, *, retry_base: float = 1.0, retry_cap: float = 300.0,
                 max_attempts: int = 20, poll_interval: float = 0.2, timeout: float = 5.0,
                 claim: int = 10) -> None:
        super().__init__("hq-notify", poll_interval)
        self.db = db
        self.url = url
        self.retry_base = retry_base
        self.retry_cap = retry_cap
        self.max_attempts = max_attempts
        self.claim = claim
        # long enough to send a whole claim at the slowest (each phase of a request may take
        # ``timeout``), short enough that a dead process's claim is sent again soon
        self.lease_s = claim * timeout * 2 + 30
        self._client = httpx.Client(timeout=timeout)

    def stop(self) -> None:
        super().stop()
        self._client.close()

    def step(self) -> None:
        self.deliver_due()

    def deliver_due(self, limit: int = 500) -> int:
        """Claim and send due notifications, a few at a time, until none is due or ``limit``
        were tried. Returns how many were delivered."""
        delivered = tried = 0
        while tried < limit and not self.stopping:
            claimed = self.claim_due(min(self.claim, limit - tried))
            if not claimed:
                break
            for i, row in enumerate(claimed):
                if self.stopping:
                    self._unclaim([r[0] for r in claimed[i:]])
                    break
                delivered += self._send(*row)
            tried += len(claimed)
        return delivered

    def claim_due(self, n: int) -> list[tuple]:
        """Take up to ``n`` due notifications, oldest first, for this process alone, skipping
        any whose order still has an earlier one waiting (per-order order)."""
        now = time.time()
        lock = " FOR UPDATE OF n SKIP LOCKED" if self.db.dialect == "postgresql" else ""
        with self.db.tx() as tx:
            due = tx.all(
                "SELECT n.notification_id, n.store_id, n.order_no, n.kind, n.payload, n.attempts, n.created_at "
                "FROM notifications n WHERE n.status = 'pending' AND n.next_attempt_at <= ? "
                "AND NOT EXISTS (SELECT 1 FROM notifications e WHERE e.order_no = n.order_no "
                "AND e.status = 'pending' AND e.ord < n.ord) ORDER BY n.ord LIMIT ?" + lock, (now, n))
            tx.many("UPDATE notifications SET next_attempt_at = ? WHERE notification_id = ?",
                    [(now + self.lease_s, row[0]) for row in due])
        return due

    def _unclaim(self, ids: list[str]) -> None:
        """Hand back claimed rows not sent (HQ stopping): due again for any process at once."""
        with self.db.tx() as tx:
            tx.many("UPDATE notifications SET next_attempt_at = 0 WHERE notification_id = ? "
                    "AND status = 'pending'", [(i,) for i in ids])

    def _send(self, notification_id: str, store_id: str, order_no: str | None, kind: str,
              payload: str, attempts: int, created_at: str) -> int:
        body = {"notification_id": notification_id, "kind": kind, "store_id": store_id,
                "order_no": order_no, "created_at": created_at, "data": loads(payload)}
        try:
            response = self._client.post(self.url, json=body, headers={"Idempotency-Key": notification_id})
            error = None if response.is_success else f"HTTP {response.status_code}"
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}"
        with self.db.tx() as tx:
            if error is None:
                tx.run("UPDATE notifications SET status = 'delivered', attempts = attempts + 1, "
                       "delivered_at = ?, last_error = NULL WHERE notification_id = ?",
                       (iso(datetime.now().astimezone()), notification_id))
                return 1
            tries = attempts + 1
            status = "failed" if tries >= self.max_attempts else "pending"
            tx.run("UPDATE notifications SET status = ?, attempts = ?, last_error = ?, "
                   "next_attempt_at = ? WHERE notification_id = ?",
                   (status, tries, error[:500],
                    time.time() + backoff_seconds(tries, self.retry_base, self.retry_cap), notification_id))
        return 0
