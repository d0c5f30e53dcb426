"""Delivery orders at HQ: placing (address, promised time, courier mode), one parcel per zone
bag, and what the store and the courier platform report about them.

HQ keeps the full address (the courier platform needs it); a store gets it masked unless its
own clerk carries the order (``protocol.address_for_store``). Every step queues the
customer's notification in the outbox in the same transaction: ``out_for_delivery`` ("the
courier has collected your order") per parcel, ``delivered``, ``delivery_failed``...
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from .. import protocol as p
from . import notify, rules, tasks
from . import orders as hq_orders
from .changes import emit
from .clock import iso
from .db import Tx
from .errors import HQError


def check_request(req: p.PlaceOrderRequest) -> None:
    """A delivery order names where and by when; a pickup order names neither (422)."""
    if req.fulfilment == "delivery" and req.delivery is None:
        raise HQError("bad_delivery", "a delivery order needs delivery: {address, promised_min}", 422)
    if req.fulfilment != "delivery" and req.delivery is not None:
        raise HQError("bad_delivery", "delivery details are for fulfilment 'delivery' only", 422)


def window(req: p.PlaceOrderRequest, now: datetime) -> tuple[str, str]:
    """A delivery order's window runs from placing to the promised time."""
    assert req.delivery is not None
    return iso(now), iso(now + timedelta(minutes=req.delivery.promised_min))


def on_placed(tx: Tx, order_no: str, req: p.PlaceOrderRequest, zones: list[str], now: datetime) -> None:
    """Keep the address, the courier mode and the customer's delivery code; one parcel per
    zone; a platform order becomes a job for the courier platform (``courier.Dispatcher``)."""
    d = req.delivery
    assert d is not None
    tx.run("UPDATE orders SET delivery_address = ?, courier_mode = ?, delivery_code = ? "
           "WHERE store_id = ? AND order_no = ?",
           (d.address, d.courier_mode, p.make_pickup_code(), req.store_id, order_no))
    for zone in sorted(set(zones), key=p.ZONES.index):
        tx.run("INSERT INTO parcels (order_no, zone, store_id, status) VALUES (?, ?, ?, 'waiting')",
               (order_no, zone, req.store_id))
    if d.courier_mode == "platform":
        tx.run("INSERT INTO courier_jobs (order_no, store_id, status, created_at, updated_at) "
               "VALUES (?, ?, 'to_request', ?, ?)", (order_no, req.store_id, iso(now), iso(now)))


def details(tx: Tx, store_id: str, order_no: str) -> dict[str, Any] | None:
    """(address, courier mode, delivery code) of a delivery order, else None."""
    row = tx.one("SELECT delivery_address, courier_mode, delivery_code, window_end FROM orders "
                 "WHERE store_id = ? AND order_no = ? AND fulfilment = 'delivery'", (store_id, order_no))
    if row is None or row[0] is None:
        return None
    return {"address": row[0], "courier_mode": row[1], "delivery_code": row[2], "promised_at": row[3]}


def store_info(tx: Tx, store_id: str, order_no: str) -> dict[str, Any] | None:
    """``order.allocated``'s ``delivery`` (protocol.DeliveryInfo): the address as the store
    may hold it."""
    d = details(tx, store_id, order_no)
    if d is None:
        return None
    return {**d, "address": p.address_for_store(d["address"], d["courier_mode"]),
            "delivery_code": d["delivery_code"] if d["courier_mode"] == "store" else None}


def parcels(tx: Tx, store_id: str, order_no: str) -> list[dict[str, Any]]:
    keys = ("zone", "status", "courier_name", "out_at", "delivered_at")
    return [dict(zip(keys, r)) for r in tx.all(
        f"SELECT {', '.join(keys)} FROM parcels WHERE store_id = ? AND order_no = ? ORDER BY zone",
        (store_id, order_no))]


def parcels_out(tx: Tx, store_id: str, order_no: str) -> int:
    """Parcels of the order a courier already took (the order can no longer be cancelled)."""
    return tx.scalar("SELECT COUNT(*) FROM parcels WHERE store_id = ? AND order_no = ? "
                     "AND status != 'waiting'", (store_id, order_no)) or 0


def _notify(tx: Tx, store_id: str, order_no: str, kind: str, now: datetime, **extra: Any) -> None:
    notify.enqueue(tx, store_id, order_no, kind, {**hq_orders._notice(tx, store_id, order_no), **extra}, now)


def _set_status(tx: Tx, store_id: str, order_no: str, status: str, now: datetime, *,
                handed: bool = False) -> None:
    tx.run("UPDATE orders SET status = ?, version = version + 1"
           + (", handed_over_at = ?" if handed else "") + " WHERE store_id = ? AND order_no = ?",
           (status, iso(now), store_id, order_no) if handed else (status, store_id, order_no))


# ---------------------------------------------------------------- from the store
def record_parcel_out(tx: Tx, store_id: str, e: p.ParcelOut, now: datetime) -> str | None:
    """A parcel left with a courier: tracked per parcel; the last one out makes the order
    ``out_for_delivery``. The customer hears of each parcel."""
    o, refused = hq_orders.order_about(tx, store_id, e.order_no, e.order_uid, now)
    if o is None:
        return refused
    row = tx.one("SELECT status FROM parcels WHERE store_id = ? AND order_no = ? AND zone = ?",
                 (store_id, e.order_no, e.zone))
    if o["fulfilment"] != "delivery" or row is None:
        return f"no_parcel:{e.zone}"
    decision = rules.parcel_may_leave(o["status"], row[0])
    if not decision.apply:
        return decision.reject_reason
    if decision.conflict:
        _rebook_parcel(tx, store_id, o, e.zone)
        hq_orders.record_conflict(tx, store_id, decision.conflict, now, order_no=e.order_no,
                                  key=f"{e.order_no}:{e.zone}",
                                  detail=f"parcel {e.zone} given to courier {e.courier_name} "
                                         "after HQ cancelled; decide refund")
    tx.run("UPDATE parcels SET status = 'out', courier_name = ?, out_at = ? "
           "WHERE store_id = ? AND order_no = ? AND zone = ?", (e.courier_name, iso(now), store_id, e.order_no, e.zone))
    waiting = tx.scalar("SELECT COUNT(*) FROM parcels WHERE store_id = ? AND order_no = ? AND status = 'waiting'",
                        (store_id, e.order_no))
    if waiting == 0:  # the goods are gone, also after a cancellation (like a hand-over)
        _set_status(tx, store_id, e.order_no, "out_for_delivery", now, handed=True)
        tasks.set_status_from_hq(tx, store_id, f"prep-{e.order_no}", "done", now)
        # the platform's rider collected: tell the platform; never asked yet: ask no more
        tx.run("UPDATE courier_jobs SET status = CASE WHEN status IN ('requested', 'assigned') "
               "THEN 'to_collect' ELSE 'not_needed' END, updated_at = ? WHERE store_id = ? AND order_no = ? "
               "AND status IN ('to_request', 'requested', 'assigned')", (iso(now), store_id, e.order_no))
    _notify(tx, store_id, e.order_no, "out_for_delivery", now, zone=e.zone,
            courier_name=e.courier_name, parcels=parcels(tx, store_id, e.order_no))
    return None


def _rebook_parcel(tx: Tx, store_id: str, o: dict[str, Any], zone: str) -> None:
    """The cancellation gave the parcel's units back, but they left with the courier: they
    count as sold again (as ``orders.record_handover`` does for a hand-over)."""
    pool = rules.allotment_pool(bool(o["presale"]))
    back = 1 if rules.cancelled_units_back_to_store(pool) else 0
    for line in hq_orders.order_lines(tx, store_id, o["order_no"]):
        if line["zone"] == zone:
            tx.run("UPDATE allotments SET sold = sold + ?, granted = granted + ? "
                   "WHERE store_id = ? AND sku = ? AND pool = ?",
                   (line["qty"], line["qty"] * back, store_id, line["sku"], pool))


def record_delivered(tx: Tx, store_id: str, d: p.OrderDelivered, now: datetime) -> str | None:
    """The store's clerk delivered every parcel out with them."""
    refused = _out_with_clerk(tx, store_id, d.order_no, d.order_uid, now)
    if refused is None:
        mark_delivered(tx, store_id, d.order_no, now)
    return refused


def _out_with_clerk(tx: Tx, store_id: str, order_no: str, uid: str | None, now: datetime) -> str | None:
    """Why the store's report about an order out for delivery is refused, or None."""
    o, refused = hq_orders.order_about(tx, store_id, order_no, uid, now)
    if o is None:
        return refused
    return None if o["status"] == "out_for_delivery" else f"not_out_for_delivery:{o['status']}"


def mark_delivered(tx: Tx, store_id: str, order_no: str, now: datetime) -> None:
    tx.run("UPDATE parcels SET status = 'delivered', delivered_at = ? "
           "WHERE store_id = ? AND order_no = ? AND status = 'out'",
           (iso(now), store_id, order_no))
    _set_status(tx, store_id, order_no, "delivered", now)
    _notify(tx, store_id, order_no, "delivered", now)


def record_failed(tx: Tx, store_id: str, f: p.DeliveryFailed, now: datetime) -> str | None:
    """Not delivered (not at home...): the goods are back at the store, its manager decides."""
    refused = _out_with_clerk(tx, store_id, f.order_no, f.order_uid, now)
    if refused is not None:
        return refused
    tx.run("UPDATE parcels SET status = 'back' WHERE store_id = ? AND order_no = ?", (store_id, f.order_no))
    _set_status(tx, store_id, f.order_no, "delivery_failed", now)
    _notify(tx, store_id, f.order_no, "delivery_failed", now, reason=f.reason)
    return None


def record_decided(tx: Tx, store_id: str, d: p.DeliveryDecided, now: datetime) -> str | None:
    """The manager's call on a failed delivery: ``return`` closes the order (the goods are
    the store's again; HQ's allotment keeps them sold, as for a returned pickup), ``retry``
    makes it ready to go out again."""
    o, refused = hq_orders.order_about(tx, store_id, d.order_no, d.order_uid, now)
    if o is None:
        return refused
    if o["status"] != "delivery_failed":
        return f"not_failed:{o['status']}"
    if d.decision == "return":
        _set_status(tx, store_id, d.order_no, "returned", now)
        _notify(tx, store_id, d.order_no, "delivery_returned", now)
    else:
        tx.run("UPDATE parcels SET status = 'waiting', courier_name = NULL, out_at = NULL "
               "WHERE store_id = ? AND order_no = ?", (store_id, d.order_no))
        _set_status(tx, store_id, d.order_no, "ready", now)
        _notify(tx, store_id, d.order_no, "delivery_retry", now)
    return None


# ---------------------------------------------------------------- from the courier platform
def courier_assigned(tx: Tx, order_no: str, courier_name: str | None, note: str, now: datetime) -> None:
    """The platform named a rider (or gave the order up: ``courier_name`` None). The store
    sees who will come; the customer is told."""
    o = hq_orders.load_order(tx, None, order_no)  # the platform knows the number only
    if o is None:
        return
    hq_orders.lock_store(tx, o["store_id"])
    tx.run("UPDATE courier_jobs SET status = ?, courier_name = ?, updated_at = ? WHERE store_id = ? AND order_no = ?",
           ("assigned" if courier_name else "given_up", courier_name, iso(now), o["store_id"], order_no))
    emit(tx, o["store_id"], p.CH_COURIER_ASSIGNED,
         {"order_no": order_no, "courier_name": courier_name, "note": note}, now)
    kind = "courier_assigned" if courier_name else "courier_cancelled"
    _notify(tx, o["store_id"], order_no, kind, now, courier_name=courier_name, note=note)
