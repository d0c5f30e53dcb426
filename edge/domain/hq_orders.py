"""Orders as HQ changes them: allocation (and its later versions), cancellation, new window.

HQ's order ``version`` is kept in ``orders.hq_version`` (the local ``version`` counts the
store's own moves). Every decision is a rule in ``hq_rules``.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

from sqlite_utils import Database

from edge.clock import iso, parse_iso, utcnow
from edge.db import write_tx
from edge.domain import audit, conflicts, hq_rules, orders, outbox, presale, stock
from edge.store import Store
from sync import protocol as p

APPLIED, UNCHANGED, CONFLICT, UNKNOWN = "applied", "unchanged", "conflict", "unknown_order"


def _hq_version(db: Database, order_no: str) -> int | None:
    row = db.execute("SELECT hq_version FROM orders WHERE order_no = ?", [order_no]).fetchone()
    return row[0] if row else None


def _hq_uid(db: Database, order_no: str) -> str | None:
    row = db.execute("SELECT hq_uid FROM orders WHERE order_no = ?", [order_no]).fetchone()
    return row[0] if row else None


def _set_hq_version(db: Database, order_no: str, version: int) -> None:
    db.execute("UPDATE orders SET hq_version = MAX(hq_version, ?) WHERE order_no = ?",
               [version, order_no])


def upsert_order(store: Store, data: dict, *, now: datetime | None = None) -> str:
    """``order.allocated``: a new order is received; a newer version updates what HQ owns
    (payment, window) and carries HQ's cancellation, never the store's progress."""
    db, now = store.db, now or utcnow()
    with write_tx(db):
        held = _hq_version(db, data["order_no"])
        if held is None:
            start = hq_rules.hq_never_sets_store_progress(data.get("status", "allocated"))
            received = {**data, "status": start, "channel": hq_rules.store_channel(data["channel"])}
            order = orders.receive_order(db, store.pickup_key, received, actor="hq", now=now)
            _set_hq_version(db, data["order_no"], data["version"])
            if start == "cancelled" and not data.get("presale"):
                _regrant(db, order, now)  # never reserved here: HQ's take-back is granted again
            elif data.get("presale"):
                presale.release_waiting(db, actor="hq", at=now,  # its goods may be here already
                                        skus=[line["sku"] for line in data["lines"]])
                presale.tell_hq_if_stranded(db, data["order_no"], at=now)
            return APPLIED
        if not hq_rules.same_order(_hq_uid(db, data["order_no"]), data.get("order_uid")):
            conflicts.note(db, conflict_id=conflicts.conflict_id("order_number_reused", data["order_no"]),
                           kind="order_number_reused", source="store", order_no=data["order_no"],
                           now=now, detail=f"HQ sent another order ({data.get('order_uid')}) "
                                           "under a number this store already holds")
            return CONFLICT
        if not hq_rules.newer_version_wins(data["version"], held):
            return UNCHANGED
        _update_hq_fields(db, data, now)
        if data.get("status") == "cancelled":
            return cancel_from_hq(store, data["order_no"], "hq", data["version"],
                                  regrant=not data.get("presale"), now=now)
    return APPLIED


def _update_hq_fields(db: Database, data: dict, now: datetime) -> None:
    order = orders.get_order(db, data["order_no"])
    assert order is not None
    start, end = parse_iso(data["window_start"]), parse_iso(data["window_end"])
    db.execute("UPDATE orders SET payment_status = ?, window_start = ?, window_end = ?,"
               " updated_at = ? WHERE order_no = ?",
               [data["payment_status"], iso(start), iso(end), iso(now), data["order_no"]])
    _set_hq_version(db, data["order_no"], data["version"])
    audit.record(db, actor="hq", action="order.updated_by_hq", entity=f"order:{order.order_no}",
                 at=now, detail={"version": data["version"], "payment": data["payment_status"],
                                 "from_payment": order.payment_status,
                                 "window_end": iso(end)})


def cancel_from_hq(store: Store, order_no: str, reason: str, version: int, *,
                   regrant: bool = False, now: datetime | None = None) -> str:
    """``order.cancelled``: cancel and give the units back to HQ's allotment, unless the
    order was handed over already (then the hand-over stands and a conflict is noted).
    ``regrant``: HQ took the units out of its allotment with the order; grant them again
    (an ``allotment.granted`` event), so HQ sells them online only once the store has said
    they are still here."""
    db, now = store.db, now or utcnow()
    with write_tx(db):
        order = orders.get_order(db, order_no)
        if order is None:
            return UNKNOWN
        _set_hq_version(db, order_no, version)
        # a delivery parcel already with a courier: the goods left, like a hand-over
        left = "out_for_delivery" if any(b.out_at for b in order.bags) else order.status
        decision = hq_rules.handover_beats_cancellation(left)
        if decision.action == "keep_handover":
            conflicts.note(db, conflict_id=conflicts.conflict_id(decision.conflict, order_no),
                           kind=decision.conflict, source="store", order_no=order_no, now=now,
                           detail=f"HQ cancelled ({reason}) after hand-over at "
                                  f"{order.picked_up_at} by {order.picked_up_by}")
            return CONFLICT
        if decision.action == "nothing":
            return UNCHANGED
        orders.cancel_order(db, order_no, reason, actor="hq", now=now)
        if order.presale_state is not None:  # pre-sold units are HQ's pool's, not the shelf's
            presale.release_waiting(db, actor="hq", at=now, skus=[ln.sku for ln in order.lines])
            return APPLIED
        _give_back(db, order, now)
        if regrant:
            _regrant(db, order, now)
    return APPLIED


def _sku_totals(order: orders.Order) -> dict[str, int]:
    totals: Counter[str] = Counter()
    for line in order.lines:
        totals[line.sku] += line.qty
    return hq_rules.cancel_returns_to_allotment(dict(totals))


def _give_back(db: Database, order: orders.Order, now: datetime) -> None:
    for sku, qty in _sku_totals(order).items():
        stock._move(db, sku=sku, account="allotment", qty=qty, kind="cancel_back", actor="hq",
                    at=now, ref=order.order_no)


def _regrant(db: Database, order: orders.Order, now: datetime) -> None:
    """Tell HQ the cancelled order's units are still here (rule ``cancel_returns_to_allotment``)."""
    for sku, qty in _sku_totals(order).items():
        outbox.append(db, type="allotment.granted", entity=f"sku:{sku}", at=now,
                      payload={"sku": sku, "qty": qty, "ref": order.order_no})


def extend_from_hq(store: Store, order_no: str, window_end: str, version: int, *,
                   now: datetime | None = None) -> str:
    """``order.window_extended``: HQ's new end stands; an overdue order is ready again."""
    db, now = store.db, now or utcnow()
    with write_tx(db):
        order = orders.get_order(db, order_no)
        if order is None:
            return UNKNOWN
        if not hq_rules.newer_version_wins(version, _hq_version(db, order_no)):
            return UNCHANGED
        _set_hq_version(db, order_no, version)
        if order.status in orders.TERMINAL:
            return UNCHANGED
        end = parse_iso(window_end)
        db.execute("UPDATE orders SET window_end = ? WHERE order_no = ?", [iso(end), order_no])
        audit.record(db, actor="hq", action="order.window_extended", entity=f"order:{order_no}",
                     at=now, detail={"from": iso(order.window_end), "to": iso(end)})
        if order.status == "overdue" and end > now:
            back = "ready" if not order.missing_lines() else "preparing"
            orders._set_status(db, order, back, actor="hq", at=now)
            orders._status_event(db, order, back, now)
    return APPLIED


def give_back_to_hq(store: Store, listed: set[str], *, now: datetime | None = None) -> list[str]:
    """After a snapshot: send HQ every order of this store it did not list although HQ would
    (open, or finished within ``SNAPSHOT_RECENT_DAYS``) -- HQ lost them in a restore, and
    the store is their backup. Each goes as an ``order.restored`` event with the order as
    held here and its code hash, never the code. Returns the order numbers sent."""
    db, now = store.db, now or utcnow()
    since = iso(now - timedelta(days=p.SNAPSHOT_RECENT_DAYS))
    rows = db.execute(
        "SELECT order_no FROM orders WHERE store_id = ? AND hq_version > 0 AND"
        " (status NOT IN ('picked_up', 'partially_picked_up', 'cancelled', 'returned')"
        " OR created_at >= ?) ORDER BY created_at, order_no", [store.store_id, since]).fetchall()
    sent = []
    with write_tx(db):
        pending = {r[0] for r in db.execute(
            "SELECT entity FROM outbox WHERE type = ? AND acked_at IS NULL", [p.EV_ORDER_RESTORED])}
        for (order_no,) in rows:
            if order_no in listed or f"order:{order_no}" in pending:
                continue
            outbox.append(db, type=p.EV_ORDER_RESTORED, entity=f"order:{order_no}", at=now,
                          payload=_as_restored(db, order_no))
            audit.record(db, actor="sync", action="order.given_back_to_hq",
                         entity=f"order:{order_no}", at=now, detail={})
            sent.append(order_no)
    return sent


def _as_restored(db: Database, order_no: str) -> dict:
    """The ``order.restored`` payload: the order as this store holds it."""
    order = orders.require_order(db, order_no)
    code_hash, hq_version = db.execute(
        "SELECT code_hash, hq_version FROM orders WHERE order_no = ?", [order_no]).fetchone()
    return {
        "order_no": order_no, "order_uid": order.hq_uid, "channel": order.channel,
        "customer_masked": order.customer_masked, "phone_last4": order.phone_last4,
        "lines": [{"line_no": line.line_no, "sku": line.sku, "name_zh": line.name_zh,
                   "name_en": line.name_en, "qty": line.qty, "zone": line.zone,
                   "unit_price_cents": line.unit_price_cents} for line in order.lines],
        "window_start": iso(order.window_start), "window_end": iso(order.window_end),
        "payment_status": order.payment_status, "fulfilment": order.fulfilment,
        "code_hash": bytes(code_hash).hex() if code_hash else None,
        "made_to_order": order.made_to_order, "presale": order.presale_state is not None,
        "status": order.status, "hq_version": hq_version, "picked_up_at": order.picked_up_at,
    }
