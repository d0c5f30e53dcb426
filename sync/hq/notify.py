"""Customer notifications: written to HQ's own outbox in the business transaction, then
delivered to a webhook by a background thread with retries and exponential backoff.

Delivery is at-least-once: the JSON body and the ``Idempotency-Key`` header carry the
notification id so the receiver can drop repeats. Per order, notifications go out in the
order they were written: while one waits for a retry, later ones for that order wait too.
"""

from __future__ import annotations

import threading
import time
import uuid
from datetime import datetime
from typing import Any

import httpx

from .clock import iso
from .codec import dumps, loads
from .db import Database, Tx

KINDS = ("allocated", "ready", "picked_up", "reminder", "overdue", "cancelled")


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


class Deliverer:
    """Background sender: polls due notifications and POSTs each to ``url``."""

    def __init__(self, db: Database, url: str, *, retry_base: float = 1.0, retry_cap: float = 300.0,
                 max_attempts: int = 20, poll_interval: float = 0.2, timeout: float = 5.0) -> None:
        self.db = db
        self.url = url
        self.retry_base = retry_base
        self.retry_cap = retry_cap
        self.max_attempts = max_attempts
        self.poll_interval = poll_interval
        self._client = httpx.Client(timeout=timeout)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="hq-notify", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)
        self._client.close()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.deliver_due()
            except Exception:
                pass  # database briefly unavailable: try again next round
            self._stop.wait(self.poll_interval)

    def deliver_due(self, limit: int = 500) -> int:
        """One pass over pending notifications, oldest first; returns how many were delivered."""
        with self.db.tx(snapshot=True) as tx:
            pending = tx.all(
                "SELECT notification_id, store_id, order_no, kind, payload, attempts, created_at, "
                "next_attempt_at FROM notifications WHERE status = 'pending' ORDER BY ord LIMIT ?", (limit,))
        delivered = 0
        waiting: set[str | None] = set()  # orders with an earlier notification still waiting
        for *row, next_attempt_at in pending:
            if self._stop.is_set():
                break
            order_no = row[2]
            if order_no in waiting:
                continue
            if next_attempt_at > time.time() or not self._send(*row):
                if order_no is not None:
                    waiting.add(order_no)
                continue
            delivered += 1
        return delivered

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
