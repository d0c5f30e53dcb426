"""Orders as the store sees them: the state machine and the actions that move it.

paid → allocated → preparing → ready → picked_up, with side exits cancelled, overdue,
returned and partially_picked_up. ``TRANSITIONS`` is the only place allowed moves are
written down; every action checks against it inside its write transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlite_utils import Database

from edge.clock import iso, parse_iso, utcnow
from edge.db import write_tx
from edge.domain import audit, clerks, codes, outbox, stock
from edge.domain.errors import DomainError

STATUSES = ("paid", "allocated", "preparing", "ready", "picked_up", "partially_picked_up",
            "cancelled", "overdue", "returned",
            "out_for_delivery", "delivered", "delivery_failed")  # delivery (edge.domain.delivery)
TERMINAL = frozenset({"picked_up", "partially_picked_up", "cancelled", "returned", "delivered"})
# the goods of a delivery order left the store (or came back waiting for a manager's decision)
LEFT_STORE = frozenset({"out_for_delivery", "delivered", "delivery_failed"})
HANDED_OVER = frozenset({"picked_up", "partially_picked_up"})
TRANSITIONS: dict[str, frozenset[str]] = {
    "paid": frozenset({"allocated", "cancelled"}),
    "allocated": frozenset({"preparing", "ready", "cancelled", "overdue"}),
    "preparing": frozenset({"ready", "cancelled", "overdue"}),
    "ready": frozenset({"picked_up", "partially_picked_up", "overdue", "cancelled", "preparing",
                        "out_for_delivery"}),
    "overdue": frozenset({"picked_up", "partially_picked_up", "returned", "ready", "preparing",
                          "cancelled"}),
    "picked_up": frozenset(),
    "partially_picked_up": frozenset(),
    "cancelled": frozenset(),
    "returned": frozenset(),
    "out_for_delivery": frozenset({"delivered", "delivery_failed"}),
    "delivery_failed": frozenset({"returned", "ready"}),  # the manager: back to stock, or retry
    "delivered": frozenset(),
}
ZONES = ("ambient", "chilled", "frozen")
CHANNELS = ("live", "mini", "counter")


@dataclass
class Line:
    line_no: int
    sku: str
    name_zh: str
    name_en: str
    qty: int
    zone: str
    unit_price_cents: int = 0
    qty_not_taken: int = 0
    not_taken_reason: str | None = None
    qty_picked: int = 0
    qty_short: int = 0  # not on the shelf at pick time (already booked out as missing)

    @property
    def given_up(self) -> bool:
        """Every unit is missing and a manager decided the order goes without it."""
        return self.qty_not_taken == self.qty and self.not_taken_reason == "missing"


@dataclass
class Bag:
    zone: str
    bag_no: int
    slot: str | None
    packed_at: str | None
    packed_by: str | None = None
    courier_name: str | None = None  # delivery: the parcel left with this courier at out_at
    out_at: str | None = None

    @property
    def packed(self) -> bool:
        return self.packed_at is not None


@dataclass
class Order:
    order_no: str
    store_id: str
    channel: str
    fulfilment: str
    customer_masked: str
    phone_last4: str
    status: str
    payment_status: str
    window_start: datetime
    window_end: datetime
    made_to_order: bool
    total_cents: int
    version: int
    picked_up_at: str | None
    picked_up_by: str | None
    verify_ms: int | None
    cancel_reason: str | None
    short_state: str | None = None  # pending | wait | without (picking.decide_short)
    hq_uid: str | None = None  # HQ's id of the order: events about it name it (order_uid)
    presale_state: str | None = None  # pre-sale: waiting (for goods) | released (on the board)
    delivery_address: str | None = None  # delivery orders: as the store may hold it (delivery.py)
    lines: list[Line] = field(default_factory=list)
    bags: list[Bag] = field(default_factory=list)

    def missing_lines(self) -> list[Line]:
        """Lines whose zone bag is not packed yet (a line a manager gave up on needs no bag)."""
        packed = {b.zone for b in self.bags if b.packed}
        return [line for line in self.lines if line.zone not in packed and not line.given_up]


_ORDER_COLS = ("order_no, store_id, channel, fulfilment, customer_masked, phone_last4, status,"
               " payment_status, window_start, window_end, made_to_order, total_cents, version,"
               " picked_up_at, picked_up_by, verify_ms, cancel_reason, short_state, hq_uid,"
               " presale_state, delivery_address")


def _order_from_row(db: Database, row: tuple) -> Order:
    order = Order(*row[:8], parse_iso(row[8]), parse_iso(row[9]), bool(row[10]), *row[11:])
    order.lines = [Line(*r) for r in db.execute(
        "SELECT line_no, sku, name_zh, name_en, qty, zone, unit_price_cents, qty_not_taken,"
        " not_taken_reason, qty_picked, qty_short FROM order_lines WHERE order_no = ?"
        " ORDER BY line_no", [order.order_no])]
    order.bags = [Bag(*r) for r in db.execute(
        "SELECT zone, bag_no, slot, packed_at, packed_by, courier_name, out_at FROM bags"
        " WHERE order_no = ?"
        " ORDER BY bag_no", [order.order_no])]
    return order


def get_order(db: Database, order_no: str) -> Order | None:
    row = db.execute(f"SELECT {_ORDER_COLS} FROM orders WHERE order_no = ?", [order_no]).fetchone()
    return _order_from_row(db, row) if row else None


def find_by_code_hash(db: Database, digest: bytes) -> Order | None:
    """The order with this code: an open one if any, else the most recent closed one."""
    row = db.execute(
        f"SELECT {_ORDER_COLS} FROM orders WHERE code_hash = ? ORDER BY status IN"
        " ('picked_up','partially_picked_up','cancelled','returned'), created_at DESC LIMIT 1",
        [digest]).fetchone()
    return _order_from_row(db, row) if row else None


def find_by_phone(db: Database, store_id: str, last4: str, initial: str | None = None,
                  limit: int = 20) -> list[Order]:
    """Orders of this store with that phone ending, open ones and the most recent first."""
    sql = f"SELECT {_ORDER_COLS} FROM orders WHERE phone_last4 = ? AND store_id = ?"
    params: list = [last4, store_id]
    if initial:
        sql += " AND customer_initial = ?"
        params.append(initial)
    sql += (" ORDER BY status IN ('picked_up','partially_picked_up','cancelled','returned'),"
            " window_start DESC LIMIT ?")
    params.append(limit)
    return [_order_from_row(db, row) for row in db.execute(sql, params).fetchall()]


def check_transition(current: str, new: str) -> None:
    if new not in TRANSITIONS.get(current, frozenset()):
        raise DomainError("order.bad_transition", current=current, new=new)


def _set_status(db: Database, order: Order, new: str, *, actor: str, at: datetime,
                detail: dict | None = None, extra_sql: str = "", extra: list | None = None) -> None:
    """Move an order (inside write_tx), guarded so a concurrent change cannot be overwritten."""
    check_transition(order.status, new)
    cur = db.execute(
        f"UPDATE orders SET status = ?, version = version + 1, updated_at = ?{extra_sql}"
        " WHERE order_no = ? AND status = ? AND version = ?",
        [new, iso(at), *(extra or []), order.order_no, order.status, order.version],
    )
    if cur.rowcount != 1:
        raise DomainError("order.changed_meanwhile", order_no=order.order_no)
    audit.record(db, actor=actor, action=f"order.{new}", entity=f"order:{order.order_no}", at=at,
                 detail={"from": order.status, **(detail or {})})


def _status_event(db: Database, order: Order, new: str, at: datetime, **payload: object) -> None:
    outbox.append(db, type="order.status_changed", entity=f"order:{order.order_no}", at=at,
                  base_version=order.version,
                  payload={**order_ref(order), "from": order.status, "to": new, "at": iso(at),
                           **payload})


def require_order(db: Database, order_no: str) -> Order:
    """The order, or DomainError('order.unknown') for an action that needs it."""
    order = get_order(db, order_no)
    if order is None:
        raise DomainError("order.unknown", order_no=order_no)
    return order


def receive_order(db: Database, key: bytes, data: dict, *, actor: str = "hq",
                  now: datetime | None = None, reserve: bool = True) -> Order:
    """Take in an order allocated to this store (from HQ, or the demo seeder).

    ``data`` has the fields of the HQ ``order.allocated`` change, the pickup code in clear;
    only its hash is kept. Units are moved from HQ's allotment to the order's reservation;
    a pre-sale order (``presale``) reserves nothing: its goods have not arrived, it waits
    (``presale.release_waiting`` gives it units when they come). Receiving the same order
    twice changes nothing.
    """
    now = now or utcnow()
    lines = data["lines"]
    if not lines:
        raise DomainError("order.no_lines", order_no=data["order_no"])
    with write_tx(db):
        if db.execute("SELECT 1 FROM orders WHERE order_no = ?", [data["order_no"]]).fetchone():
            return require_order(db, data["order_no"])
        status = data.get("status", "allocated")
        if status not in STATUSES:
            raise DomainError("order.bad_status", status=status)
        name = data["customer_masked"]
        db.execute(
            "INSERT INTO orders (order_no, store_id, channel, fulfilment, customer_masked,"
            " customer_initial, phone_last4, status, payment_status, window_start, window_end,"
            " code_hash, made_to_order, total_cents, version, created_at, updated_at, hq_uid,"
            " delivery_address, courier_mode, delivery_code_hash, presale_state)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            [data["order_no"], data["store_id"], data["channel"], data.get("fulfilment", "pickup"),
             name, name[:1], data["phone_last4"], status, data.get("payment_status", "paid"),
             iso(parse_iso(data["window_start"])), iso(parse_iso(data["window_end"])),
             codes.code_hash(key, data["pickup_code"]) if data.get("pickup_code") else None,
             int(bool(data.get("made_to_order"))),
             sum(line["qty"] * line.get("unit_price_cents", 0) for line in lines),
             data.get("version", 1), iso(now), iso(now), data.get("order_uid"),
             *_delivery_columns(key, data.get("delivery")),
             "waiting" if data.get("presale") else None],
        )
        zones = []
        for line in lines:
            if line["zone"] not in ZONES:
                raise DomainError("order.bad_zone", zone=line["zone"])
            db.execute(
                "INSERT INTO order_lines (order_no, line_no, sku, name_zh, name_en, qty, zone,"
                " unit_price_cents) VALUES (?,?,?,?,?,?,?,?)",
                [data["order_no"], line["line_no"], line["sku"], line["name_zh"], line["name_en"],
                 line["qty"], line["zone"], line.get("unit_price_cents", 0)],
            )
            if line["zone"] not in zones:
                zones.append(line["zone"])
        for bag_no, zone in enumerate(sorted(zones, key=ZONES.index), start=1):
            db.execute("INSERT INTO bags (order_no, zone, bag_no) VALUES (?,?,?)",
                       [data["order_no"], zone, bag_no])
        if reserve and status not in TERMINAL and not data.get("presale"):
            for line in lines:
                stock._move(db, sku=line["sku"], account="allotment", qty=-line["qty"],
                            kind="order", actor=actor, at=now, ref=data["order_no"])
                stock._move(db, sku=line["sku"], account="reserved", qty=line["qty"],
                            kind="order", actor=actor, at=now, ref=data["order_no"])
        audit.record(db, actor=actor, action="order.received", entity=f"order:{data['order_no']}",
                     at=now, detail={"status": status, "lines": len(lines)})
    return require_order(db, data["order_no"])


def _delivery_columns(key: bytes, delivery: dict | None) -> list:
    """A delivery order's address (as HQ sent it: masked unless our clerk carries it), its
    courier mode and the HMAC of the customer's delivery code (never the code)."""
    if not delivery:
        return [None, None, None]
    code = delivery.get("delivery_code")
    return [delivery["address"], delivery["courier_mode"], codes.code_hash(key, code) if code else None]


def start_preparing(db: Database, order_no: str, *, actor: str, now: datetime | None = None) -> Order:
    now = now or utcnow()
    with write_tx(db):
        order = require_order(db, order_no)
        _set_status(db, order, "preparing", actor=actor, at=now)
        _status_event(db, order, "preparing", now)
    return require_order(db, order_no)


def pack_bag(db: Database, order_no: str, zone: str, slot: str, *, actor: str,
             now: datetime | None = None) -> Order:
    """Mark the bag of one zone packed and where it is kept; the last bag makes it ready."""
    now = now or utcnow()
    slot = slot.strip()
    if not slot:
        raise DomainError("bag.no_slot")
    with write_tx(db):
        order = require_order(db, order_no)
        if order.status not in ("allocated", "preparing", "ready", "overdue"):
            raise DomainError("bag.order_closed", order_no=order_no, status=order.status)
        if order.presale_state == "waiting":
            raise DomainError("bag.presale_waiting", order_no=order_no)
        cur = db.execute(
            "UPDATE bags SET slot = ?, packed_at = ?, packed_by = ? WHERE order_no = ? AND zone = ?",
            [slot, iso(now), actor, order_no, zone])
        if cur.rowcount != 1:
            raise DomainError("bag.unknown", order_no=order_no, zone=zone)
        audit.record(db, actor=actor, action="bag.packed", entity=f"order:{order_no}", at=now,
                     detail={"zone": zone, "slot": slot})
        outbox.append(db, type="bag.packed", entity=f"order:{order_no}", at=now,
                      payload={**order_ref(order), "zone": zone,
                               "slot": slot, "at": iso(now)})
        order = require_order(db, order_no)
        if order.status in ("allocated", "preparing") and not order.missing_lines():
            _set_status(db, order, "ready", actor=actor, at=now)
            _status_event(db, order, "ready", now)
    return require_order(db, order_no)


def order_ref(order: Order) -> dict:
    """How an event names an order: its number, and HQ's uid of it when HQ gave one (so HQ
    applies the event to that very order, never to another under the same number)."""
    return {"order_no": order.order_no, **({"order_uid": order.hq_uid} if order.hq_uid else {})}


def own_store_id(db: Database) -> str | None:
    row = db.execute("SELECT value FROM meta WHERE key = 'store_id'").fetchone()
    return row[0] if row else None


def _release_reservation(db: Database, order: Order, *, actor: str, at: datetime,
                         kind: str) -> None:
    # A reallocated order (a tombstone naming its new store) gave its units back when it
    # left: releasing again would drive ``reserved`` below what open orders hold.
    if order.store_id != own_store_id(db) or order.presale_state == "waiting":
        return  # a pre-sale order waiting for its goods reserved nothing
    for line in order.lines:
        stock._move(db, sku=line.sku, account="reserved", qty=-line.qty, kind=kind, actor=actor,
                    at=at, ref=order.order_no)
        if order.presale_state == "released" and kind == "cancel":
            # pre-sold units: back to the pre-sale pool (HQ may sell them again), not the shelf
            stock._move(db, sku=line.sku, account="presale", qty=line.qty, kind="presale_back",
                        actor=actor, at=at, ref=order.order_no)


def cancel_order(db: Database, order_no: str, reason: str, *, actor: str,
                 now: datetime | None = None) -> Order:
    """Cancel an order not yet handed over; its reserved units return to the store."""
    now = now or utcnow()
    with write_tx(db):
        order = require_order(db, order_no)
        if order.status in HANDED_OVER:
            raise DomainError("order.already_handed_over", order_no=order_no)
        _set_status(db, order, "cancelled", actor=actor, at=now, detail={"reason": reason},
                    extra_sql=", cancel_reason = ?", extra=[reason])
        _release_reservation(db, order, actor=actor, at=now, kind="cancel")
        if actor != "hq":
            _status_event(db, order, "cancelled", now, reason=reason)
    return require_order(db, order_no)


def mark_overdue(db: Database, *, now: datetime | None = None, actor: str = "system") -> list[str]:
    """Sweep: ready or preparing orders whose pickup window has ended become overdue."""
    now = now or utcnow()
    with write_tx(db):
        due = [r[0] for r in db.execute(
            "SELECT order_no FROM orders WHERE status IN ('allocated','preparing','ready')"
            " AND window_end < ? AND store_id = ? AND fulfilment = 'pickup'", [iso(now), own_store_id(db)])]
        for order_no in due:
            order = require_order(db, order_no)
            _set_status(db, order, "overdue", actor=actor, at=now)
            _status_event(db, order, "overdue", now)
    return due


def extend_window(db: Database, order_no: str, new_end: datetime, *, actor: str,
                  now: datetime | None = None) -> Order:
    """Give the customer more time; an overdue order goes back to ready (or preparing)."""
    now = now or utcnow()
    with write_tx(db):
        order = require_order(db, order_no)
        if order.status in TERMINAL:
            raise DomainError("order.closed", order_no=order_no, status=order.status)
        if new_end <= max(now, order.window_start):
            raise DomainError("order.bad_window")
        db.execute("UPDATE orders SET window_end = ? WHERE order_no = ?", [iso(new_end), order_no])
        audit.record(db, actor=actor, action="order.window_extended", entity=f"order:{order_no}",
                     at=now, detail={"from": iso(order.window_end), "to": iso(new_end)})
        status = order.status
        if order.status == "overdue":
            status = "ready" if not order.missing_lines() else "preparing"
            _set_status(db, order, status, actor=actor, at=now)
        # one event says both: HQ reopens an overdue order only through a window extension
        outbox.append(db, type="order.window_extended", entity=f"order:{order_no}", at=now,
                      base_version=order.version,
                      payload={**order_ref(order), "window_end": iso(new_end), "status": status,
                               "at": iso(now)})
    return require_order(db, order_no)


def return_to_stock(db: Database, order_no: str, *, actor: str, now: datetime | None = None) -> Order:
    """Give up an overdue order: the goods go back to sellable stock (managers only)."""
    now = now or utcnow()
    with write_tx(db):
        clerks.require_manager(db, actor)
        order = require_order(db, order_no)
        if order.status != "overdue":
            raise DomainError("overdue.not_overdue", order_no=order_no, status=order.status)
        _set_status(db, order, "returned", actor=actor, at=now)
        _release_reservation(db, order, actor=actor, at=now, kind="return")
        _status_event(db, order, "returned", now)
    return require_order(db, order_no)


def reallocate(db: Database, order_no: str, new_store_id: str, *, actor: str = "hq",
               now: datetime | None = None) -> Order:
    """HQ moved the order to another store: keep a tombstone so a scan can say which store."""
    now = now or utcnow()
    with write_tx(db):
        order = require_order(db, order_no)
        if order.status in HANDED_OVER:
            raise DomainError("order.already_handed_over", order_no=order_no)
        db.execute("UPDATE orders SET store_id = ?, version = version + 1, updated_at = ?"
                   " WHERE order_no = ?", [new_store_id, iso(now), order_no])
        if order.status not in TERMINAL:
            _release_reservation(db, order, actor=actor, at=now, kind="reallocate")
        audit.record(db, actor=actor, action="order.reallocated", entity=f"order:{order_no}",
                     at=now, detail={"from": order.store_id, "to": new_store_id})
    return require_order(db, order_no)
