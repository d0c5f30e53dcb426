"""Online orders at HQ: place (lock allotment), pay (deduct), cancel / release (give units
back), extend the window, and take in the store's hand-over and status reports.

Every function that changes an order first takes the store's row lock (``lock_store``), so
on PostgreSQL all writes for one store queue in one order and never deadlock on each other.
"""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

from ..protocol import (
    CH_CONFLICT_NOTED,
    CH_ORDER_ALLOCATED,
    CH_ORDER_CANCELLED,
    CH_ORDER_WINDOW_EXTENDED,
    CH_TASK_UPDATED,
    ORDER_TERMINAL,
    OrderHandedOver,
    OrderShortDecided,
    OrderShortPicked,
    OrderRestored,
    OrderStatusChanged,
    PlaceOrderRequest,
    ReminderRequested,
    WindowExtendedByStore,
    make_pickup_code,
    mask_name,
    phone_last4,
)
from . import delivery, notify, rules, tasks
from .changes import emit, emit_many
from .clock import iso, parse_iso
from .db import Database, Tx
from .errors import HQError, not_found

DEFAULT_WINDOW_DELAY = timedelta(hours=2)
DEFAULT_WINDOW_LENGTH = timedelta(hours=8)
_ORDER_COLUMNS = (
    "order_no, store_id, channel, customer_name, phone, status, payment_status, fulfilment, "
    "window_start, window_end, pickup_code, made_to_order, presale, version, placed_at, order_uid"
)


# ---------------------------------------------------------------- reading
def load_order(tx: Tx, store_id: str | None, order_no: str) -> dict[str, Any] | None:
    """The order, looked up in its store (one shard on Citus); ``store_id`` None only where
    just the number is known (a courier platform's callback)."""
    if store_id is None:
        row = tx.one(f"SELECT {_ORDER_COLUMNS} FROM orders WHERE order_no = ?", (order_no,))
    else:
        row = tx.one(f"SELECT {_ORDER_COLUMNS} FROM orders WHERE store_id = ? AND order_no = ?",
                     (store_id, order_no))
    return None if row is None else dict(zip(_ORDER_COLUMNS.split(", "), row))


def order_lines(tx: Tx, store_id: str, order_no: str) -> list[dict[str, Any]]:
    keys = ("line_no", "sku", "name_zh", "name_en", "qty", "zone", "unit_price_cents")
    rows = tx.all(f"SELECT {', '.join(keys)} FROM order_lines WHERE store_id = ? AND order_no = ? "
                  "ORDER BY line_no", (store_id, order_no))
    return [dict(zip(keys, r)) for r in rows]


def _payload(o: dict[str, Any], lines: list[dict[str, Any]], delivery_info: dict[str, Any] | None) -> dict[str, Any]:
    """``order.allocated``'s payload from the order's row and lines (no query: placing an
    order builds it from what it just wrote)."""
    return {
        "order_no": o["order_no"], "store_id": o["store_id"], "channel": o["channel"],
        "customer_masked": mask_name(o["customer_name"]), "phone_last4": phone_last4(o["phone"]),
        "lines": lines, "window_start": o["window_start"],
        "window_end": o["window_end"], "payment_status": o["payment_status"],
        "fulfilment": o["fulfilment"], "pickup_code": o["pickup_code"],
        "made_to_order": bool(o["made_to_order"]), "presale": bool(o["presale"]),
        "status": o["status"], "version": o["version"], "order_uid": o["order_uid"],
        **({"delivery": delivery_info} if delivery_info else {}),
    }


def order_payload(tx: Tx, store_id: str, order_no: str) -> dict[str, Any]:
    """The full ``order.allocated`` payload (protocol.OrderAllocated)."""
    o = load_order(tx, store_id, order_no)
    if o is None:
        raise not_found("order", order_no)
    return _payload(o, order_lines(tx, store_id, order_no), delivery.store_info(tx, store_id, order_no))


def _view(p: dict[str, Any], d: dict[str, Any] | None) -> dict[str, Any]:
    """What a channel sees, from the payload and the delivery details (if any)."""
    keys = ("order_no", "store_id", "status", "payment_status", "pickup_code", "version",
            "lines", "window_start", "window_end")
    view = {k: p[k] for k in keys}
    if d is not None:  # the customer's app shows the delivery code; the courier gets the pickup code
        view.update(promised_at=d["promised_at"], courier_mode=d["courier_mode"],
                    delivery_code=d["delivery_code"])
    return view


def order_view(tx: Tx, store_id: str, order_no: str) -> dict[str, Any]:
    """What a channel sees (protocol.OrderView)."""
    return _view(order_payload(tx, store_id, order_no), delivery.details(tx, store_id, order_no))


def get_order(db: Database, order_no: str, *, channel_name: str | None = None) -> dict[str, Any]:
    def read(tx: Tx) -> dict[str, Any]:
        return order_view(tx, _check_channel(tx, order_no, channel_name), order_no)

    return db.run_tx(read, snapshot=True)


# ---------------------------------------------------------------- locks and allotment
def lock_store(tx: Tx, store_id: str) -> None:
    """Take the store's row lock first (a no-op write; SQLite already holds the DB lock)."""
    if tx.run("UPDATE stores SET order_seq = order_seq WHERE store_id = ?", (store_id,)) != 1:
        raise not_found("store", store_id)


def _sku_totals(lines: list[dict[str, Any]]) -> list[tuple[str, int]]:
    totals: Counter[str] = Counter()
    for line in lines:
        totals[line["sku"]] += line["qty"]
    return sorted(totals.items())


def lock_allotment(tx: Tx, store_id: str, sku: str, pool: str, qty: int, *, paid: bool = False) -> None:
    """Online orders take only units the store granted and HQ has not promised (rule 3),
    atomically: the WHERE re-checks under the row lock. ``paid``: locked and deducted at
    once (rule 5), the units go straight to sold."""
    locked, sold = (0, qty) if paid else (qty, 0)
    changed = tx.run(
        "UPDATE allotments SET locked = locked + ?, sold = sold + ? WHERE store_id = ? AND sku = ? "
        "AND pool = ? AND granted - locked - sold >= ?", (locked, sold, store_id, sku, pool, qty))
    if changed != 1:
        if pool == "presale":  # never falls back to the shelf: the pool is all HQ may pre-sell
            raise HQError("insufficient_presale",
                          f"store {store_id} has not enough {sku} in its pre-sale pool", 409)
        raise HQError("insufficient_allotment", f"store {store_id} has not enough {sku} online", 409)


def _deduct(tx: Tx, store_id: str, pool: str, totals: list[tuple[str, int]]) -> None:
    """Paid: the locked units become sold (rule 5)."""
    for sku, qty in totals:
        tx.run("UPDATE allotments SET locked = locked - ?, sold = sold + ? "
               "WHERE store_id = ? AND sku = ? AND pool = ?", (qty, qty, store_id, sku, pool))


def _give_back(tx: Tx, store_id: str, pool: str, totals: list[tuple[str, int]], paid: bool) -> None:
    """rules.cancelled_units_back_to_store: on-hand units leave HQ's allotment with the order."""
    column = "sold" if paid else "locked"
    back = 1 if rules.cancelled_units_back_to_store(pool) else 0
    for sku, qty in totals:
        tx.run(f"UPDATE allotments SET {column} = {column} - ?, granted = granted - ? "
               "WHERE store_id = ? AND sku = ? AND pool = ?", (qty, qty * back, store_id, sku, pool))


# ---------------------------------------------------------------- placing
def _resolve_lines(tx: Tx, req: PlaceOrderRequest) -> list[dict[str, Any]]:
    skus = sorted({wanted.sku for wanted in req.lines})
    found = {row[0]: row[1:] for row in tx.all(  # one query for every line
        f"SELECT sku, name_zh, name_en, zone, price_cents FROM catalog WHERE sku IN ({', '.join('?' * len(skus))})",
        skus)}
    lines = []
    for no, wanted in enumerate(req.lines, start=1):
        row = found.get(wanted.sku)
        if row is None:
            raise HQError("unknown_sku", f"sku {wanted.sku!r} is not in the catalog", 422)
        lines.append({"line_no": no, "sku": wanted.sku, "name_zh": row[0], "name_en": row[1],
                      "qty": wanted.qty, "zone": row[2], "unit_price_cents": row[3]})
    return lines


def _window(req: PlaceOrderRequest, now: datetime) -> tuple[str, str]:
    try:
        start = parse_iso(req.window_start) if req.window_start else now + DEFAULT_WINDOW_DELAY
        end = parse_iso(req.window_end) if req.window_end else start + DEFAULT_WINDOW_LENGTH
        if end <= start:
            raise HQError("bad_window", "window_end must be after window_start", 422)
        return iso(start), iso(end)
    except (ValueError, OverflowError):  # OverflowError: year 1 or 9999 moved to UTC
        raise HQError("bad_window", "window_start/window_end must be ISO 8601", 422) from None


def order_number(store_id: str, series: str, seq: int) -> str:
    """``<store>-<series>-<seq>``: the series changes with every ``hq bump-epoch``, so an HQ
    restored from a backup never gives out a number its lost state had already issued."""
    return f"{store_id}-{series}-{seq:06d}"


def _unique_pickup_code(tx: Tx, store_id: str) -> str:
    while True:
        code = make_pickup_code()
        if tx.one("SELECT 1 FROM orders WHERE store_id = ? AND pickup_code = ?", (store_id, code)) is None:
            return code


def place_order(db: Database, req: PlaceOrderRequest, *, channel_name: str, channel_kind: str,
                now: datetime) -> dict[str, Any]:
    """Check and lock the store's allotment, allocate, create the preparation task, issue the
    pickup code, tell the store and the customer. Idempotent per (channel, request_id)."""

    def work(tx: Tx) -> dict[str, Any]:
        seq = tx.scalar("UPDATE stores SET order_seq = order_seq + 1 WHERE store_id = ? RETURNING order_seq",
                        (req.store_id,))
        if seq is None:
            raise not_found("store", req.store_id)
        request_key = f"{channel_name}:{req.request_id}"
        # read under the store's row lock (a new snapshot: a twin request committed meanwhile shows)
        existing, series = tx.one("SELECT (SELECT order_no FROM orders WHERE store_id = ? AND request_key = ?), "
                                  "(SELECT value FROM meta WHERE key = 'order_series')",
                                  (req.store_id, request_key))
        if existing:
            return order_view(tx, req.store_id, existing)
        delivery.check_request(req)
        lines = _resolve_lines(tx, req)
        window_start, window_end = delivery.window(req, now) if req.delivery else _window(req, now)
        pool = rules.allotment_pool(req.presale)
        for sku, qty in _sku_totals(lines):
            lock_allotment(tx, req.store_id, sku, pool, qty, paid=req.paid)
        order = dict(zip(_ORDER_COLUMNS.split(", "), (
            order_number(req.store_id, series, seq), req.store_id, channel_kind, req.customer_name,
            req.customer_phone, "allocated", "paid" if req.paid else "pending", req.fulfilment,
            window_start, window_end, _unique_pickup_code(tx, req.store_id), int(req.made_to_order),
            int(req.presale), 1, iso(now), uuid.uuid4().hex)))
        order_no = order["order_no"]
        tx.run(f"INSERT INTO orders ({_ORDER_COLUMNS}, request_key, channel_name, paid_at) "
               f"VALUES ({', '.join('?' * (len(order) + 3))})",
               (*order.values(), request_key, channel_name, iso(now) if req.paid else None))
        tx.many("INSERT INTO order_lines (store_id, order_no, line_no, sku, name_zh, name_en, qty, zone, "
                "unit_price_cents) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(req.store_id, order_no, l["line_no"], l["sku"], l["name_zh"], l["name_en"], l["qty"], l["zone"],
                  l["unit_price_cents"]) for l in lines])
        details = None
        if req.delivery:
            delivery.on_placed(tx, order_no, req, [l["zone"] for l in lines], now)
            details = delivery.details(tx, req.store_id, order_no)
        # built from what was just written, not read back: placing is the hot path of a burst
        payload = _payload(order, lines, delivery.store_info(tx, req.store_id, order_no) if details else None)
        task = tasks.new_task(tx, req.store_id, f"prep-{order_no}", "prepare", f"Prepare {order_no}", now,
                              order_no=order_no, due_at=window_start,
                              fields={"made_to_order": req.made_to_order})
        emit_many(tx, req.store_id, [(CH_ORDER_ALLOCATED, payload), (CH_TASK_UPDATED, task)], now)
        notify.enqueue(tx, req.store_id, order_no, "allocated", _notice_of(payload, details, []), now)
        return _view(payload, details)

    return db.run_tx(work)


def _notice(tx: Tx, store_id: str, order_no: str) -> dict[str, Any]:
    """What a customer notification carries (the customer's own app shows the rest)."""
    missing = tx.all("SELECT line_no, sku, qty FROM order_shorts WHERE store_id = ? AND order_no = ? "
                     "AND status = 'refund_on_pickup' ORDER BY line_no", (store_id, order_no))
    return _notice_of(order_payload(tx, store_id, order_no), delivery.details(tx, store_id, order_no), missing)


def _notice_of(p: dict[str, Any], d: dict[str, Any] | None, missing: list[tuple]) -> dict[str, Any]:
    """The notification from the order's payload, delivery details and lines let go."""
    notice = {"order_no": p["order_no"], "store_id": p["store_id"], "status": p["status"],
              "window_start": p["window_start"], "window_end": p["window_end"],
              "pickup_code": p["pickup_code"]}
    if d is not None:  # the pickup code is the courier's; the customer's is the delivery code
        notice.update(pickup_code=None, promised_at=d["promised_at"], courier_mode=d["courier_mode"],
                      delivery_code=d["delivery_code"] if d["courier_mode"] == "store" else None)
    # lines the store could not supply and its manager let go: the customer learns before
    # coming that these are missing and refunded
    if missing:
        notice["missing"] = [{"line_no": n, "sku": sku, "qty": qty} for n, sku, qty in missing]
    return notice


notice = _notice


# ---------------------------------------------------------------- paying, cancelling
def _check_channel(tx: Tx, order_no: str, channel_name: str | None) -> str:
    """The order's store id; channels only see their own orders."""
    row = tx.one("SELECT store_id, channel_name FROM orders WHERE order_no = ?", (order_no,))
    if row is None or (channel_name is not None and row[1] != channel_name):
        raise not_found("order", order_no)
    return row[0]


def pay_order(db: Database, order_no: str, now: datetime, *, channel_name: str | None = None) -> dict[str, Any]:
    """Payment arrived: locked units become sold. Too late (released) -> 409 order_cancelled."""

    def work(tx: Tx) -> dict[str, Any]:
        store_id = _check_channel(tx, order_no, channel_name)
        lock_store(tx, store_id)
        o = load_order(tx, store_id, order_no)
        if o["status"] == "cancelled":
            raise HQError("order_cancelled", f"order {order_no} was cancelled; refund the payment", 409)
        if o["payment_status"] != "pending":
            return order_view(tx, store_id, order_no)
        _deduct(tx, store_id, rules.allotment_pool(bool(o["presale"])), _sku_totals(order_lines(tx, store_id, order_no)))
        tx.run("UPDATE orders SET payment_status = 'paid', paid_at = ?, version = version + 1 "
               "WHERE store_id = ? AND order_no = ?", (iso(now), store_id, order_no))
        emit(tx, store_id, CH_ORDER_ALLOCATED, order_payload(tx, store_id, order_no), now)
        return order_view(tx, store_id, order_no)

    return db.run_tx(work)


def cancel_in_tx(tx: Tx, store_id: str, order_no: str, reason: str, now: datetime) -> dict[str, Any]:
    """Cancel (HQ, customer or payment timeout): give the units back, tell store and customer."""
    o = load_order(tx, store_id, order_no)
    if o["status"] == "cancelled":
        return order_view(tx, store_id, order_no)
    if (o["status"] in rules.PICKED_UP or o["status"] in ("returned", *rules.LEFT_STORE)
            or delivery.parcels_out(tx, store_id, order_no)):
        raise HQError("not_cancellable", f"order {order_no} is already {o['status']}", 409)
    paid = o["payment_status"] == "paid"
    _give_back(tx, o["store_id"], rules.allotment_pool(bool(o["presale"])),
               _sku_totals(order_lines(tx, store_id, order_no)), paid)
    tx.run("UPDATE orders SET status = 'cancelled', cancel_reason = ?, payment_status = ?, "
           "version = version + 1 WHERE store_id = ? AND order_no = ?",
           (reason, "refunded" if paid else o["payment_status"], store_id, order_no))
    emit(tx, o["store_id"], CH_ORDER_CANCELLED,
         {"order_no": order_no, "reason": reason, "version": o["version"] + 1,
          "regrant": rules.cancelled_units_back_to_store(rules.allotment_pool(bool(o["presale"])))}, now)
    tasks.set_status_from_hq(tx, store_id, f"prep-{order_no}", "cancelled", now)
    notify.enqueue(tx, o["store_id"], order_no, "cancelled", _notice(tx, store_id, order_no), now)
    return order_view(tx, store_id, order_no)


def cancel_order(db: Database, order_no: str, reason: str, now: datetime, *,
                 channel_name: str | None = None) -> dict[str, Any]:
    def work(tx: Tx) -> dict[str, Any]:
        store_id = _check_channel(tx, order_no, channel_name)
        lock_store(tx, store_id)
        return cancel_in_tx(tx, store_id, order_no, reason, now)

    return db.run_tx(work)


def release_unpaid_orders(db: Database, now: datetime) -> list[str]:
    """The sweeper: cancel orders unpaid 30 minutes after placing (rules.unpaid_lock_expired)."""
    with db.tx(snapshot=True) as tx:
        candidates = tx.all(
            "SELECT order_no, placed_at FROM orders WHERE payment_status = 'pending' AND status NOT IN "
            "('cancelled', 'picked_up', 'partially_picked_up', 'returned') AND placed_at <= ? "
            "ORDER BY placed_at", (iso(rules.release_cutoff(now)),))
    released = []
    for order_no, placed_at in candidates:
        if not rules.unpaid_lock_expired(parse_iso(placed_at), now):
            continue

        def work(tx: Tx, order_no: str = order_no) -> bool:
            store_id = _check_channel(tx, order_no, None)
            lock_store(tx, store_id)
            o = load_order(tx, store_id, order_no)
            if o["payment_status"] != "pending" or o["status"] == "cancelled" or o["status"] in rules.PICKED_UP:
                return False  # paid or handed over meanwhile
            cancel_in_tx(tx, store_id, order_no, "payment_timeout", now)
            return True

        if db.run_tx(work):
            released.append(order_no)
    return released


def extend_window(db: Database, order_no: str, window_end: datetime, now: datetime) -> dict[str, Any]:
    def work(tx: Tx) -> dict[str, Any]:
        store_id = _check_channel(tx, order_no, None)
        lock_store(tx, store_id)
        tx.run("UPDATE orders SET window_end = ?, version = version + 1, reminded = 0 "
               "WHERE store_id = ? AND order_no = ?", (iso(window_end), store_id, order_no))
        o = load_order(tx, store_id, order_no)
        emit(tx, store_id, CH_ORDER_WINDOW_EXTENDED,
             {"order_no": order_no, "window_end": o["window_end"], "version": o["version"]}, now)
        return order_view(tx, store_id, order_no)

    return db.run_tx(work)


def send_reminders(db: Database, now: datetime, ahead: timedelta = timedelta(hours=24)) -> int:
    """Remind customers whose ready order's window closes within ``ahead``. Each order is
    marked only if no one marked it first, so sweepers in several HQ processes send one
    reminder (PostgreSQL re-checks ``reminded = 0`` after waiting for the other's lock)."""
    with db.tx() as tx:
        rows = tx.all("SELECT order_no, store_id FROM orders WHERE status = 'ready' AND reminded = 0 "
                      "AND window_end <= ?", (iso(now + ahead),))
        sent = 0
        for order_no, store_id in rows:
            if tx.run("UPDATE orders SET reminded = 1 WHERE store_id = ? AND order_no = ? AND reminded = 0",
                      (store_id, order_no)):
                notify.enqueue(tx, store_id, order_no, "reminder", _notice(tx, store_id, order_no), now)
                sent += 1
        return sent


# ---------------------------------------------------------------- from the store
def _store_order(tx: Tx, store_id: str, order_no: str) -> dict[str, Any] | None:
    """The order if it is this store's own; another store's order is answered like an
    unknown one (no store learns what another holds)."""
    return load_order(tx, store_id, order_no)


store_order = _store_order
def order_about(tx: Tx, store_id: str, order_no: str, order_uid: str | None,
                 now: datetime) -> tuple[dict[str, Any] | None, str | None]:
    """The store's order an event is about, or why not: unknown, or another order under the
    same number (``order_mismatch``: the event named HQ's ``order_uid`` of a different
    order; recorded as a conflict for HQ's operators)."""
    o = _store_order(tx, store_id, order_no)
    if o is None:
        return None, "unknown_order"
    if not rules.same_order(o["order_uid"], order_uid):
        key = f"{order_no}:{order_uid}"
        if tx.one("SELECT 1 FROM conflicts WHERE store_id = ? AND conflict_id = ?",
                  (store_id, f"order_mismatch:{key}")) is None:
            _record_conflict(tx, store_id, "order_mismatch", now, order_no=order_no,
                             key=key, detail=f"the store's event is about order uid {order_uid}, "
                                             f"HQ's {order_no} is {o['order_uid']}")
        return None, "order_mismatch"
    return o, None


def _record_conflict(tx: Tx, store_id: str, kind: str, now: datetime, *, order_no: str | None = None,
                     sku: str | None = None, detail: str = "", key: str) -> None:
    conflict_id = f"{kind}:{key}"
    tx.run("INSERT INTO conflicts (conflict_id, store_id, kind, order_no, sku, detail, status, created_at) "
           "VALUES (?, ?, ?, ?, ?, ?, 'open', ?)", (conflict_id, store_id, kind, order_no, sku, detail, iso(now)))
    emit(tx, store_id, CH_CONFLICT_NOTED, {"conflict_id": conflict_id, "kind": kind, "order_no": order_no,
                                           "sku": sku, "detail": detail}, now)


record_conflict = _record_conflict


def record_handover(tx: Tx, store_id: str, h: OrderHandedOver, now: datetime) -> str | None:
    """A hand-over at the counter. Returns a rejection reason, or None when applied."""
    o, refused = order_about(tx, store_id, h.order_no, h.order_uid, now)
    if o is None:
        return refused
    decision = rules.handover_beats_cancellation(o["status"])
    if not decision.apply:
        return decision.reject_reason
    lines = order_lines(tx, store_id, h.order_no)
    pool = rules.allotment_pool(bool(o["presale"]))
    totals = _sku_totals(lines)
    if decision.conflict:
        # the cancel gave the units back, but they left the store: they count as sold again
        back = 1 if rules.cancelled_units_back_to_store(pool) else 0
        for sku, qty in totals:
            tx.run("UPDATE allotments SET sold = sold + ?, granted = granted + ? "
                   "WHERE store_id = ? AND sku = ? AND pool = ?", (qty, qty * back, store_id, sku, pool))
        _record_conflict(tx, store_id, decision.conflict, now, order_no=h.order_no, key=h.order_no,
                         detail=f"handed over by {h.clerk_id} after HQ cancelled ({o['status']}); "
                                "decide refund")
    elif o["payment_status"] == "pending":
        _deduct(tx, store_id, pool, totals)
        _record_conflict(tx, store_id, "handover_unpaid", now, order_no=h.order_no, key=h.order_no,
                         detail="handed over before HQ saw a payment")
    status = "partially_picked_up" if h.lines_not_taken else "picked_up"
    if h.lines_not_taken:
        missing = ", ".join(f"line {l.line_no} x{l.qty} {l.reason}" for l in h.lines_not_taken)
        _record_conflict(tx, store_id, "refund_due", now, order_no=h.order_no, key=h.order_no,
                         detail=f"not taken: {missing}")
    # rule 8: HQ's receipt time, never the store PC's clock (h.at)
    tx.run("UPDATE orders SET status = ?, handed_over_at = ?, version = version + 1 "
           "WHERE store_id = ? AND order_no = ?", (status, iso(now), store_id, h.order_no))
    tasks.set_status_from_hq(tx, store_id, f"prep-{h.order_no}", "done", now)
    notify.enqueue(tx, store_id, h.order_no, "picked_up", _notice(tx, store_id, h.order_no), now)
    return None


def record_window_extended(tx: Tx, store_id: str, e: WindowExtendedByStore, now: datetime) -> str | None:
    """The store extended the pickup window: the new end stands, an overdue order reopens,
    and the customer hears of it (a fresh reminder becomes due)."""
    o, refused = order_about(tx, store_id, e.order_no, e.order_uid, now)
    if o is None:
        return refused
    if not rules.window_extension_reopens(o["status"], e.status):
        return f"window_not_extendable:{o['status']}"
    tx.run("UPDATE orders SET window_end = ?, status = ?, reminded = 0, version = version + 1"
           " WHERE store_id = ? AND order_no = ?", (e.window_end, e.status, store_id, e.order_no))
    notify.enqueue(tx, store_id, e.order_no, "window_extended", _notice(tx, store_id, e.order_no), now)
    return None


def record_reminder(tx: Tx, store_id: str, r: ReminderRequested, now: datetime) -> str | None:
    """The store asks for a reminder to the customer (an overdue pickup): into the outbox."""
    o, refused = order_about(tx, store_id, r.order_no, r.order_uid, now)
    if o is None:
        return refused
    if o["status"] in ORDER_TERMINAL:
        return f"order_closed:{o['status']}"
    notify.enqueue(tx, store_id, r.order_no, "reminder",
                   {**_notice(tx, store_id, r.order_no), "asked_by": "store", "clerk_id": r.clerk_id}, now)
    return None


def record_status(tx: Tx, store_id: str, s: OrderStatusChanged, now: datetime) -> str | None:
    """preparing / ready / overdue / returned reported by the store (forward only)."""
    o, refused = order_about(tx, store_id, s.order_no, s.order_uid, now)
    if o is None:
        return refused
    if not rules.order_status_may_advance(o["status"], s.to):
        return f"status_not_forward:{o['status']}->{s.to}"
    tx.run("UPDATE orders SET status = ?, version = version + 1 WHERE store_id = ? AND order_no = ?",
           (s.to, store_id, s.order_no))
    if s.to in ("ready", "overdue"):
        notify.enqueue(tx, store_id, s.order_no, s.to, _notice(tx, store_id, s.order_no), now)
    return None


def record_short(tx: Tx, store_id: str, s: OrderShortPicked, seq: int, now: datetime) -> str | None:
    """Units missing at pick time: kept per line (waiting for the store manager) and raised
    to HQ's operators as a ``short_pick`` conflict."""
    o, refused = order_about(tx, store_id, s.order_no, s.order_uid, now)
    if o is None:
        return refused
    if o["status"] in rules.PICKED_UP or o["status"] in ("cancelled", "returned"):
        return f"order_closed:{o['status']}"
    known = {line["line_no"]: line for line in order_lines(tx, store_id, s.order_no)}
    for line in s.lines:
        if line.line_no not in known or line.qty > known[line.line_no]["qty"]:
            return f"bad_line:{line.line_no}"
    for line in s.lines:
        tx.run("INSERT INTO order_shorts (order_no, line_no, store_id, sku, qty, status, updated_at) "
               "VALUES (?, ?, ?, ?, ?, 'pending', ?) ON CONFLICT (store_id, order_no, line_no) "
               "DO UPDATE SET "
               "qty = order_shorts.qty + excluded.qty, status = 'pending', updated_at = excluded.updated_at",
               (s.order_no, line.line_no, store_id, known[line.line_no]["sku"], line.qty, iso(now)))
    missing = ", ".join(f"line {ln.line_no} {known[ln.line_no]['sku']} x{ln.qty}" for ln in s.lines)
    _record_conflict(tx, store_id, "short_pick", now, order_no=s.order_no, key=f"{s.order_no}:{seq}",
                     detail=f"missing at pick by {s.by}: {missing}; store manager decides")
    return None


SHORT_STATUS = {"ready_without": "refund_on_pickup", "wait": "waiting"}


def record_short_decision(tx: Tx, store_id: str, d: OrderShortDecided, now: datetime) -> str | None:
    """The store manager's decision: the lines go missing (refunded with the partial pickup
    the store then reports), wait for goods, or were found after all."""
    o, refused = order_about(tx, store_id, d.order_no, d.order_uid, now)
    if o is None:
        return refused
    if tx.one("SELECT 1 FROM order_shorts WHERE store_id = ? AND order_no = ?", (store_id, d.order_no)) is None:
        return "no_short_pick"
    if d.decision == "resolved":
        tx.run("DELETE FROM order_shorts WHERE store_id = ? AND order_no = ?", (store_id, d.order_no))
    else:
        tx.run("UPDATE order_shorts SET status = ?, decided_by = ?, updated_at = ? "
               "WHERE store_id = ? AND order_no = ?", (SHORT_STATUS[d.decision], d.by, iso(now), store_id, d.order_no))
    return None


# ---------------------------------------------------------------- given back by a store
_CHANNEL_KINDS = {"live": "live_stream", "mini": "mini_program", "counter": "counter"}


def restore_order(tx: Tx, store_id: str, r: OrderRestored, seq: int, now: datetime) -> str | rules.Note:
    """``order.restored``: recreate an order HQ lost (restored from an older backup) as the
    store holds it -- status, payment, lines, the store's code hash (never a code in clear)
    -- and book its units in the allotment again (rules.restored_order_allotment)."""
    if store_id not in (r.order_no.rsplit("-", 2)[0], r.order_no.rsplit("-", 1)[0]):
        return "unknown_order"  # order numbers name their store; never another store's
    held = load_order(tx, None, r.order_no)  # by number: another store's is refused
    if held is not None:
        if held["store_id"] != store_id:
            return "unknown_order"
        _, refused = order_about(tx, store_id, r.order_no, r.order_uid, now)
        return refused or rules.Note("already_known")
    channel = _CHANNEL_KINDS.get(r.channel, r.channel)
    tx.run(
        f"INSERT INTO orders ({_ORDER_COLUMNS}, channel_name, handed_over_at, code_hash) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '', ?, ?, ?, ?, ?, ?, ?, ?)",
        (r.order_no, store_id, channel, r.customer_masked, r.phone_last4, r.status, r.payment_status,
         r.fulfilment, r.window_start, r.window_end, int(r.made_to_order), int(r.presale),
         max(r.hq_version, 1), iso(now), r.order_uid, "restored", r.picked_up_at, r.code_hash))
    tx.many("INSERT INTO order_lines (store_id, order_no, line_no, sku, name_zh, name_en, qty, zone, "
            "unit_price_cents) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(store_id, r.order_no, l.line_no, l.sku, l.name_zh, l.name_en, l.qty, l.zone, l.unit_price_cents)
             for l in r.lines])
    pool = rules.allotment_pool(r.presale)
    column = rules.restored_order_allotment(r.status, r.payment_status)
    if column is not None:
        for sku, qty in _sku_totals([l.model_dump() for l in r.lines]):
            tx.run(f"INSERT INTO allotments (store_id, sku, pool, {column}) VALUES (?, ?, ?, ?) "
                   f"ON CONFLICT (store_id, sku, pool) DO UPDATE SET {column} = allotments.{column} + "
                   f"excluded.{column}", (store_id, sku, pool, qty))
            from .stock import report_allotment  # local: stock imports this module

            report_allotment(tx, store_id, sku, pool, seq, now)
    if tasks.load_task(tx, store_id, f"prep-{r.order_no}") is None:
        tasks.create_task(tx, store_id, f"prep-{r.order_no}", "prepare", f"Prepare {r.order_no}", now,
                          order_no=r.order_no, due_at=r.window_start,
                          fields={"made_to_order": r.made_to_order})
        if r.status in rules.PICKED_UP or r.status in ("cancelled", "returned", *rules.LEFT_STORE):
            tasks.set_status_from_hq(tx, store_id, f"prep-{r.order_no}",
                                     "cancelled" if r.status == "cancelled" else "done", now)
    return rules.Note("restored")

