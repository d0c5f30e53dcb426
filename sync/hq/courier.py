"""HQ and a courier platform: HQ asks it for a rider, the platform reports back.

HQ -> platform (``Dispatcher``, a background thread, outbox-style from ``courier_jobs``):
``POST {platform}/v1/jobs`` {order_no, store_id, store_name, address, promised_at, parcels}
for every platform-mode delivery order, and ``POST {platform}/v1/jobs/{order_no}/collected``
once every parcel left the store. A failed call is retried with backoff (``notify``'s).

Platform -> HQ: ``POST /v1/courier/events`` with a channel key of kind ``courier``
(``store-edge hq add-channel NAME --kind courier``), body ``protocol.CourierEvent``:
``assigned`` (the rider's name goes to the store, the customer is told), ``cancelled`` (no
rider: the store sees it and calls one or sends its own clerk), ``late`` (the customer is
told), ``delivered`` (the order is closed, the customer is told).
"""

from __future__ import annotations

import time
from datetime import datetime

import httpx

from .. import protocol as p
from . import delivery, notify
from . import orders as hq_orders
from .background import Periodic
from .clock import iso
from .db import Database, Tx
from .errors import HQError, not_found

JOBS_PATH = "/v1/jobs"


def apply_event(db: Database, e: p.CourierEvent, now: datetime) -> dict[str, str]:
    """What the platform reports about one of HQ's jobs (404 for an order it was never
    asked about); idempotent: a repeated report changes nothing more."""

    def work(tx: Tx) -> dict[str, str]:
        job = tx.one("SELECT store_id, status FROM courier_jobs WHERE order_no = ?", (e.order_no,))
        if job is None:
            raise not_found("courier job", e.order_no)
        store_id, status = job
        hq_orders.lock_store(tx, store_id)
        # the platform may answer before HQ has recorded its own call as made
        if e.kind == "assigned" and status in ("to_request", "requested", "assigned", "given_up"):
            if not e.courier_name:
                raise HQError("bad_event", "an assignment names the rider: courier_name", 422)
            delivery.courier_assigned(tx, e.order_no, e.courier_name, e.note, now)
        elif e.kind == "cancelled" and status in ("to_request", "requested", "assigned"):
            delivery.courier_assigned(tx, e.order_no, None, e.note or "", now)
        elif e.kind == "late":
            notify.enqueue(tx, store_id, e.order_no, "courier_late",
                           {**hq_orders._notice(tx, store_id, e.order_no), "note": e.note,
                            "eta_min": e.eta_min}, now)
        elif e.kind == "delivered" and status in ("to_collect", "collected"):
            tx.run("UPDATE courier_jobs SET status = 'delivered', updated_at = ? WHERE order_no = ?",
                   (iso(now), e.order_no))
            o = hq_orders.load_order(tx, store_id, e.order_no)
            if o is not None and o["status"] == "out_for_delivery":
                delivery.mark_delivered(tx, store_id, e.order_no, now)
        current = tx.scalar("SELECT status FROM courier_jobs WHERE order_no = ?", (e.order_no,))
        return {"order_no": e.order_no, "job": current}

    return db.run_tx(work)


def job_request(tx: Tx, order_no: str) -> dict:
    """What the platform needs to send a rider: the full address (only HQ and the platform
    hold it), by when, which parcels."""
    o = hq_orders.load_order(tx, None, order_no)  # the platform knows the number only
    d = delivery.details(tx, o["store_id"], order_no) or {} if o else {}
    name = tx.scalar("SELECT name FROM stores WHERE store_id = ?", (o["store_id"],)) if o else ""
    return {"order_no": order_no, "store_id": o["store_id"] if o else "", "store_name": name or "",
            "address": d.get("address", ""), "promised_at": d.get("promised_at"),
            "parcels": [pc["zone"] for pc in delivery.parcels(tx, o["store_id"], order_no)] if o else []}


class Dispatcher(Periodic):
    """Sends HQ's due courier jobs to the platform: new ones, and parcels all collected.

    Each call is claimed first (a lease on ``next_try_at``, re-checked in the UPDATE), so
    several HQ processes never send one job twice at once; a failed call waits with backoff."""

    LEASE_S = 30.0

    def __init__(self, db: Database, url: str, clock, *, poll_interval: float = 0.5,
                 retry_base: float = 1.0, retry_cap: float = 60.0, timeout: float = 5.0) -> None:
        super().__init__("hq-courier", poll_interval)
        self.db, self.url, self.clock = db, url.rstrip("/"), clock
        self.retry_base, self.retry_cap = retry_base, retry_cap
        self._client = httpx.Client(timeout=timeout)

    def stop(self) -> None:
        super().stop()
        self._client.close()

    def step(self) -> None:
        self.send_due()

    def send_due(self, limit: int = 200) -> int:
        """One pass; returns how many calls the platform accepted."""
        with self.db.tx(snapshot=True) as tx:
            due = tx.all("SELECT order_no, status, attempts FROM courier_jobs WHERE status IN "
                         "('to_request', 'to_collect') AND next_try_at <= ? ORDER BY updated_at LIMIT ?",
                         (time.time(), limit))
        sent = 0
        for order_no, status, attempts in due:
            if self.stopping:
                break
            if self._claim(order_no, status):
                sent += self._send(order_no, status, attempts)
        return sent

    def _claim(self, order_no: str, status: str) -> bool:
        now = time.time()
        return self.db.run_tx(lambda tx: tx.run(
            "UPDATE courier_jobs SET next_try_at = ? WHERE order_no = ? AND status = ? AND next_try_at <= ?",
            (now + self.LEASE_S, order_no, status, now))) == 1

    def _send(self, order_no: str, status: str, attempts: int) -> int:
        if status == "to_request":
            with self.db.tx(snapshot=True) as tx:
                body = job_request(tx, order_no)
            path, after = JOBS_PATH, "requested"
        else:
            body, path, after = {"order_no": order_no}, f"{JOBS_PATH}/{order_no}/collected", "collected"
        try:
            response = self._client.post(self.url + path, json=body)
            error = None if response.is_success else f"HTTP {response.status_code}"
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}"

        def record(tx: Tx) -> None:
            if error is None:  # only if nothing moved it meanwhile (the platform may answer first)
                tx.run("UPDATE courier_jobs SET status = ?, last_error = NULL, next_try_at = 0, "
                       "updated_at = ? WHERE order_no = ? AND status = ?",
                       (after, iso(self.clock()), order_no, status))
            else:
                wait = notify.backoff_seconds(attempts + 1, self.retry_base, self.retry_cap)
                tx.run("UPDATE courier_jobs SET attempts = attempts + 1, last_error = ?, next_try_at = ? "
                       "WHERE order_no = ?", (error[:300], time.time() + wait, order_no))

        self.db.run_tx(record)
        return 1 if error is None else 0
