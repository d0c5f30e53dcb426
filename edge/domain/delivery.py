"""Delivery from the store: a courier collects parcels (one bag per zone), the store's own
clerk delivers, a failed delivery comes back for the manager to decide.

A courier shows the order's pickup code (HQ gives it to the courier, not the customer) or
the store scans a parcel's bag label. The verdict comes from the counter's own checks
(``pickup.check`` / ``pickup.judge``: wrong store, cancelled, unpaid, unknown, mistyped...)
and then per parcel: already collected (by whom, when), not packed yet. Each parcel handed
out is an ``order.out_for_delivery`` event with the courier's name: parcels of one order
may leave with different couriers. The goods leave the stock ledger when they leave the
store; a failed delivery the manager sends back to stock returns them to their lots.

The address is kept as HQ sent it: masked (street or lane only) for a platform courier,
whose app holds the full one; in full while the store's own clerk carries the order, then
masked again when it closes (delivered or returned).
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass, field
from datetime import datetime

from sqlite_utils import Database

from edge.clock import iso, parse_iso, utcnow
from edge.db import write_tx
from edge.domain import audit, clerks, codes, orders, outbox, stock
from edge.domain import delivery_i18n  # noqa: F401  (registers delivery.* messages)
from edge.domain.errors import DomainError
from edge.domain.orders import Order
from edge.domain.pickup import Verdict, check as counter_check, judge, other_store
from edge.domain.print_docs import parse_bag_qr
from edge.store import Store
from sync.protocol import mask_address

MAX_COURIER_NAME = 60
FAIL_REASONS = ("not_home", "refused", "address")
DECISIONS = ("return", "retry")


@dataclass
class Handoff:
    """The verdict for a courier at the counter or back door, and the parcels it covers."""

    verdict: Verdict
    zones: tuple[str, ...] = field(default_factory=tuple)

    @property
    def can_hand_off(self) -> bool:
        return self.verdict.kind == "courier_ok"


@dataclass(frozen=True)
class DeliveryInfo:
    """A delivery order's own fields (beside ``orders.Order``)."""

    address: str
    courier_mode: str  # platform | store
    courier_expected: str | None  # the rider the platform named (or why it gave up)
    delivered_at: str | None


def info(db: Database, order_no: str) -> DeliveryInfo | None:
    row = db.execute("SELECT delivery_address, courier_mode, courier_expected, delivered_at"
                     " FROM orders WHERE order_no = ? AND fulfilment = 'delivery'",
                     [order_no]).fetchone()
    return DeliveryInfo(row[0] or "", row[1] or "platform", row[2], row[3]) if row else None


@dataclass(frozen=True)
class OpenDelivery:
    """One delivery order still the store's business, as the delivery screen lists it."""

    order_no: str
    status: str
    promised_at: datetime
    courier_mode: str
    courier_expected: str | None
    couriers: str  # who took its parcels so far ("李骑手, 王芳")
    address: str
    packed: bool


def open_deliveries(db: Database) -> list[OpenDelivery]:
    """Delivery orders not yet out, out with the store's own clerk, or back from a failed
    delivery, by promised time (a platform courier's order leaves the list once out)."""
    rows = db.execute(
        "SELECT o.order_no, o.status, o.window_end, COALESCE(o.courier_mode, 'platform'),"
        " o.courier_expected, COALESCE(o.delivery_address, ''),"
        " (SELECT group_concat(DISTINCT b.courier_name) FROM bags b WHERE b.order_no = o.order_no),"
        " NOT EXISTS (SELECT 1 FROM bags b WHERE b.order_no = o.order_no AND b.packed_at IS NULL)"
        " FROM orders o WHERE o.fulfilment = 'delivery' AND o.store_id = ? AND (o.status IN"
        " ('allocated', 'preparing', 'ready', 'delivery_failed') OR (o.status = 'out_for_delivery'"
        " AND o.courier_mode = 'store')) ORDER BY o.window_end, o.order_no",
        [orders.own_store_id(db)]).fetchall()
    return [OpenDelivery(r[0], r[1], parse_iso(r[2]), r[3], r[4], (r[6] or "").replace(",", ", "),
                         r[5], bool(r[7])) for r in rows]


# ---------------------------------------------------------------- the verdict
def check(store: Store, raw: str, *, zone: str | None = None, now: datetime | None = None) -> Handoff:
    """What a courier's code or a scanned parcel label means. Changes nothing."""
    now = now or utcnow()
    label = parse_bag_qr(raw or "")
    if label is not None:
        store_id, order_no, zone = label
        order = orders.get_order(store.db, order_no)
        if store_id != store.store_id:
            return Handoff(other_store(store, store_id))
        if order is None:
            return Handoff(Verdict("unknown"))
        return judge_parcels(store, order, zone, now=now)
    verdict = counter_check(store, raw, now=now)
    if verdict.kind != "delivery" or verdict.order is None:
        return Handoff(verdict)
    return judge_parcels(store, verdict.order, zone, now=now)


def judge_parcels(store: Store, order: Order, zone: str | None = None, *,
                  now: datetime | None = None) -> Handoff:
    """The counter's verdict first; then, for a delivery order, per parcel. Without a zone
    every parcel still in the store goes, and all must be packed (scan one parcel's label
    to send it alone)."""
    verdict = judge(store, order, now=now)
    if verdict.kind != "delivery":
        return Handoff(verdict)
    if order.status == "delivered":
        details = info(store.db, order.order_no)
        return Handoff(Verdict("delivered", order, {"at": details.delivered_at if details else None}))
    if order.status == "delivery_failed":
        return Handoff(Verdict("delivery_failed", order))
    bags = [b for b in order.bags if zone is None or b.zone == zone]
    if not bags:
        return Handoff(Verdict("no_parcel", order, {"zone": zone or ""}))
    waiting = [b for b in bags if b.out_at is None and _needed(order, b.zone)]
    if not waiting:
        last = max((b for b in bags if b.out_at), key=lambda b: b.out_at or "", default=bags[0])
        return Handoff(Verdict("collected", order, {"at": last.out_at,
                                                     "courier": last.courier_name or ""}))
    unpacked = [b.zone for b in waiting if not b.packed]
    if unpacked:
        missing = [line.line_no for line in order.lines if line.zone in unpacked]
        return Handoff(Verdict("not_ready", order, {"missing": missing}),
                       tuple(b.zone for b in waiting))
    return Handoff(Verdict("courier_ok", order, {"zones": [b.zone for b in waiting]}),
                   tuple(b.zone for b in waiting))


def _needed(order: Order, zone: str) -> bool:
    """A bag whose every line a manager gave up on has nothing to carry."""
    return any(line.zone == zone and not line.given_up for line in order.lines)


# ---------------------------------------------------------------- courier hand-off
def clean_courier_name(name: str) -> str:
    text = " ".join((name or "").split())
    if not text or len(text) > MAX_COURIER_NAME or not text.isprintable():
        raise DomainError("delivery.bad_courier", max=MAX_COURIER_NAME)
    return text


def hand_off(store: Store, order_no: str, *, clerk_id: str, courier_name: str | None = None,
             zone: str | None = None, now: datetime | None = None) -> Order:
    """Give the order's parcels (or the one of ``zone``) to a courier, in one transaction:
    each parcel's courier and time, stock out of the store, audit, one
    ``order.out_for_delivery`` event per parcel. When no name is given: the store's own
    clerk for a ``store`` order, the rider the platform named for a platform one."""
    db, now = store.db, now or utcnow()
    clerk = clerks.get_clerk(db, clerk_id)
    if clerk is None:
        raise DomainError("auth.unknown_clerk", clerk_id=clerk_id)
    with write_tx(db):
        order = orders.require_order(db, order_no)
        details = info(db, order_no)
        mode = details.courier_mode if details else "platform"
        name = clean_courier_name(courier_name or _default_courier(details, clerk.name))
        handoff = judge_parcels(store, order, zone, now=now)
        if not handoff.can_hand_off:
            raise DomainError(f"verdict.{handoff.verdict.kind}", order_no=order_no,
                              **{k: v for k, v in handoff.verdict.params.items()
                                 if isinstance(v, (str, int, list))})
        for bag_zone in handoff.zones:
            _parcel_out(db, order, bag_zone, name, mode, clerk_id, now)
        order = orders.require_order(db, order_no)
        if all(b.out_at or not _needed(order, b.zone) for b in order.bags):
            orders._set_status(db, order, "out_for_delivery", actor=clerk_id, at=now,
                               detail={"couriers": sorted({b.courier_name or "" for b in order.bags})})
    return orders.require_order(db, order_no)


GIVEN_UP = "✗"  # courier_expected = "✗ <the platform's note>": the platform found no rider


def given_up_note(courier_expected: str | None) -> str | None:
    """The platform's note when it gave the order up ("" if it said nothing), else None."""
    if courier_expected and courier_expected.startswith(GIVEN_UP):
        return courier_expected.removeprefix(GIVEN_UP).strip()
    return None


def _default_courier(details: DeliveryInfo | None, clerk_name: str) -> str:
    if details is not None and details.courier_mode == "store":
        return clerk_name
    named = details.courier_expected if details is not None else None
    return named if named and given_up_note(named) is None else ""


def _parcel_out(db: Database, order: Order, zone: str, courier: str, mode: str, clerk_id: str,
                now: datetime) -> None:
    cur = db.execute("UPDATE bags SET courier_name = ?, out_at = ?, out_by = ? WHERE order_no = ?"
                     " AND zone = ? AND out_at IS NULL", [courier, iso(now), clerk_id,
                                                          order.order_no, zone])
    if cur.rowcount != 1:
        raise DomainError("order.changed_meanwhile", order_no=order.order_no)
    for line in order.lines:
        if line.zone != zone:
            continue
        stock._move(db, sku=line.sku, account="reserved", qty=-line.qty, kind="delivery",
                    actor=clerk_id, at=now, ref=order.order_no)
        carried = line.qty - (line.qty_not_taken if line.not_taken_reason == "missing" else 0)
        if carried > 0:
            stock.take_fefo(db, sku=line.sku, qty=carried, kind="pick", actor=clerk_id, at=now,
                            ref=order.order_no)
    audit.record(db, actor=clerk_id, action="delivery.out", entity=f"order:{order.order_no}",
                 at=now, detail={"zone": zone, "courier": courier, "mode": mode})
    outbox.append(db, type="order.out_for_delivery", entity=f"order:{order.order_no}", at=now,
                  payload={**orders.order_ref(order), "zone": zone, "courier_name": courier,
                           "courier_mode": mode, "clerk_id": clerk_id, "at": iso(now)})


# ---------------------------------------------------------------- the store's own clerk
def _clerk_order(db: Database, order_no: str) -> Order:
    order = orders.require_order(db, order_no)
    details = info(db, order_no)
    if details is None or details.courier_mode != "store":
        raise DomainError("delivery.not_clerk_delivery", order_no=order_no)
    if order.status != "out_for_delivery":
        raise DomainError("delivery.not_out", order_no=order_no, status=order.status)
    return order


def code_matches(store: Store, order_no: str, code: str) -> bool:
    """The customer's delivery code against the order's own HMAC, in constant time."""
    row = store.db.execute("SELECT delivery_code_hash FROM orders WHERE order_no = ?",
                           [order_no]).fetchone()
    held = row[0] if row else None
    typed = codes.code_hash(store.pickup_key, code.strip())
    return held is not None and hmac.compare_digest(bytes(held), typed)


def deliver(store: Store, order_no: str, code: str, *, clerk_id: str,
            now: datetime | None = None) -> Order:
    """Delivered: the customer's delivery code checked (a mistyped one says so); the full
    address is masked again."""
    db, now = store.db, now or utcnow()
    if clerks.get_clerk(db, clerk_id) is None:
        raise DomainError("auth.unknown_clerk", clerk_id=clerk_id)
    shape = codes.classify((code or "").strip())
    if shape != "ok":
        raise DomainError("delivery.code_mistyped" if shape == "mistyped" else "delivery.code_shape",
                          why=shape)
    with write_tx(db):
        order = _clerk_order(db, order_no)
        if not code_matches(store, order_no, code):
            raise DomainError("delivery.wrong_code", order_no=order_no)
        orders._set_status(db, order, "delivered", actor=clerk_id, at=now,
                           extra_sql=", delivered_at = ?", extra=[iso(now)])
        _mask(db, order_no)
        outbox.append(db, type="order.delivered", entity=f"order:{order_no}", at=now,
                      base_version=order.version,
                      payload={**orders.order_ref(order), "clerk_id": clerk_id, "at": iso(now)})
    return orders.require_order(db, order_no)


def fail(store: Store, order_no: str, *, clerk_id: str, reason: str = "not_home",
         now: datetime | None = None) -> Order:
    """Not delivered: the clerk brings the goods back; a manager decides (``decide``)."""
    db, now = store.db, now or utcnow()
    if clerks.get_clerk(db, clerk_id) is None:
        raise DomainError("auth.unknown_clerk", clerk_id=clerk_id)
    if reason not in FAIL_REASONS:
        raise DomainError("delivery.bad_reason", reason=reason, reasons=", ".join(FAIL_REASONS))
    with write_tx(db):
        order = _clerk_order(db, order_no)
        orders._set_status(db, order, "delivery_failed", actor=clerk_id, at=now,
                           detail={"reason": reason})
        outbox.append(db, type="order.delivery_failed", entity=f"order:{order_no}", at=now,
                      base_version=order.version,
                      payload={**orders.order_ref(order), "clerk_id": clerk_id, "reason": reason,
                               "at": iso(now)})
    return orders.require_order(db, order_no)


def decide(store: Store, order_no: str, decision: str, *, manager_id: str, pin: str,
           now: datetime | None = None) -> Order:
    """The manager's call on a failed delivery (PIN checked, audited): ``return`` puts the
    goods back into the lots they came from and closes the order; ``retry`` makes it ready
    to go out again (a courier or clerk takes it like the first time)."""
    db, now = store.db, now or utcnow()
    if decision not in DECISIONS:
        raise DomainError("delivery.bad_decision", decision=decision)
    manager = clerks.authenticate_manager(db, manager_id, pin, now=now)
    with write_tx(db):
        order = orders.require_order(db, order_no)
        if order.status != "delivery_failed":
            raise DomainError("delivery.not_failed", order_no=order_no, status=order.status)
        if decision == "return":
            orders._set_status(db, order, "returned", actor=manager.clerk_id, at=now,
                               detail={"decision": decision})
            _back_to_lots(db, order, manager.clerk_id, now)
            _mask(db, order_no)
        else:
            orders._set_status(db, order, "ready", actor=manager.clerk_id, at=now,
                               detail={"decision": decision})
            _back_to_reserved(db, order, manager.clerk_id, now)
            db.execute("UPDATE bags SET courier_name = NULL, out_at = NULL, out_by = NULL"
                       " WHERE order_no = ?", [order_no])
        outbox.append(db, type="order.delivery_decided", entity=f"order:{order_no}", at=now,
                      base_version=order.version,
                      payload={**orders.order_ref(order), "decision": decision,
                               "manager_id": manager.clerk_id, "at": iso(now)})
    return orders.require_order(db, order_no)


def _taken_by_lot(db: Database, order_no: str) -> list[tuple[str, str | None, int]]:
    """(sku, lot, qty) the order's parcels took out of on-hand (net of earlier returns)."""
    return [(sku, lot, -qty) for sku, lot, qty in db.execute(
        "SELECT sku, lot, SUM(qty) FROM stock_moves WHERE ref = ? AND account = 'on_hand'"
        " AND kind IN ('pick', 'delivery_return') GROUP BY sku, lot HAVING SUM(qty) < 0"
        " ORDER BY sku, lot", [order_no])]


def _back_to_lots(db: Database, order: Order, actor: str, now: datetime) -> None:
    """Returned: each unit back into the lot it left from (sellable at the counter)."""
    for sku, lot, qty in _taken_by_lot(db, order.order_no):
        stock._move(db, sku=sku, lot=lot, account="on_hand", qty=qty, kind="delivery_return",
                    actor=actor, at=now, ref=order.order_no)


def _back_to_reserved(db: Database, order: Order, actor: str, now: datetime) -> None:
    """Retry: the goods are on the shelf again, held for this order until they go out."""
    _back_to_lots(db, order, actor, now)
    for line in order.lines:
        stock._move(db, sku=line.sku, account="reserved", qty=line.qty, kind="delivery_retry",
                    actor=actor, at=now, ref=order.order_no)


def _mask(db: Database, order_no: str) -> None:
    """The order is closed: the store keeps no full address."""
    row = db.execute("SELECT delivery_address FROM orders WHERE order_no = ?", [order_no]).fetchone()
    if row and row[0]:
        db.execute("UPDATE orders SET delivery_address = ? WHERE order_no = ?",
                   [mask_address(row[0]), order_no])


# ---------------------------------------------------------------- from HQ
def courier_expected(db: Database, order_no: str, courier_name: str | None, note: str, *,
                     now: datetime | None = None) -> bool:
    """``order.courier_assigned``: the platform's rider (shown beside the order), or why the
    platform gave it up (the manager then calls one, or sends the store's clerk)."""
    now = now or utcnow()
    text = courier_name or f"{GIVEN_UP} {note}".strip()
    with write_tx(db):
        cur = db.execute("UPDATE orders SET courier_expected = ? WHERE order_no = ?"
                         " AND fulfilment = 'delivery'", [text[:MAX_COURIER_NAME], order_no])
        if cur.rowcount:
            audit.record(db, actor="hq", action="delivery.courier_assigned",
                         entity=f"order:{order_no}", at=now, detail={"courier": text})
    return bool(cur.rowcount)
