"""The counter: what a scanned or typed entry means, and handing an order over.

``check`` only reads the local database (the counter never waits for HQ) and never changes
anything. ``hand_over`` re-checks inside its write transaction, so two terminals on the same
database cannot both hand over one order.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from edge.clock import iso, utcnow
from edge.db import write_tx
from edge.domain import audit, clerks, codes, orders, outbox, stock, stores
from edge.domain import delivery_i18n  # noqa: F401  (the delivery verdicts' words)
from edge.domain.errors import DomainError
from edge.domain.orders import Order
from edge.store import Store
from sync.pickup_code import parse_scanned

MAX_INPUT = 64
NOT_TAKEN_REASONS = ("missing", "refused")
# verdicts a manager may override (audited); every other non-ok verdict is final
OVERRIDABLE = frozenset({"overdue", "before_window"})

_PHONE_RE = re.compile(r"^(?:(?P<pre>[^\d\s])\s*)?(?P<digits>\d{4})(?:\s*(?P<post>[^\d\s]))?$")


@dataclass
class Verdict:
    """What the counter shows for one entry. ``kind`` is an i18n key suffix (verdict.<kind>)."""

    kind: str
    order: Order | None = None
    params: dict = field(default_factory=dict)
    matches: list[Order] = field(default_factory=list)

    @property
    def can_hand_over(self) -> bool:
        return self.kind == "ok"

    @property
    def needs_override(self) -> bool:
        return self.kind in OVERRIDABLE


@dataclass(frozen=True)
class NotTaken:
    line_no: int
    qty: int
    reason: str  # missing | refused


@dataclass(frozen=True)
class Override:
    manager_id: str
    pin: str
    reason: str


def check(store: Store, raw: str, *, now: datetime | None = None) -> Verdict:
    """Classify a scan or typed entry and, if it names an order, judge it. Changes nothing."""
    now = now or utcnow()
    text = (raw or "").strip()
    if not text:
        return Verdict("malformed", params={"why": "empty"})
    if len(text) > MAX_INPUT or not text.isprintable():
        return Verdict("malformed", params={"why": "garbage"})
    phone = _PHONE_RE.match(text)
    if phone:
        return _phone_lookup(store, phone.group("digits"), phone.group("pre") or phone.group("post"))
    scanned = parse_scanned(text)
    if scanned is None:
        return Verdict("malformed", params={"why": "not_digits"})
    if scanned.store_id is not None and scanned.store_id != store.store_id:
        return other_store(store, scanned.store_id)
    shape = codes.classify(scanned.code)
    if shape != "ok":
        return Verdict("mistyped" if shape == "mistyped" else "malformed", params={"why": shape})
    digest = codes.code_hash(store.pickup_key, scanned.code)
    order = orders.find_by_code_hash(store.db, digest)
    if order is None:
        return Verdict("unknown")
    return judge(store, order, now=now)


def judge(store: Store, order: Order, *, now: datetime | None = None) -> Verdict:
    """The verdict for a known order (also used after choosing from a phone search)."""
    now = now or utcnow()
    if order.store_id != store.store_id:
        return other_store(store, order.store_id, order)
    if order.status in orders.HANDED_OVER:
        who = clerks.get_clerk(store.db, order.picked_up_by or "")
        return Verdict("picked_up", order, {"at": order.picked_up_at,
                                            "clerk": who.name if who else order.picked_up_by})
    if order.status == "cancelled":
        return Verdict("cancelled", order, {"reason": order.cancel_reason or ""})
    if order.status == "returned":
        return Verdict("returned", order)
    if order.payment_status != "paid":
        return Verdict("unpaid", order)
    if order.fulfilment == "delivery":  # a courier collects it: edge.domain.delivery judges on
        return Verdict("delivery", order)
    missing = order.missing_lines()
    if missing or order.status in ("paid", "allocated", "preparing"):
        return Verdict("not_ready", order, {"missing": [line.line_no for line in missing]})
    if now < order.window_start:
        return Verdict("before_window", order, {"start": iso(order.window_start)})
    if now > order.window_end or order.status == "overdue":
        return Verdict("overdue", order, {"end": iso(order.window_end)})
    return Verdict("ok", order)


def other_store(store: Store, other_id: str, order: Order | None = None) -> Verdict:
    name_zh, name_en = stores.names(store.db, other_id)
    return Verdict("other_store", order, {"store_id": other_id, "name_zh": name_zh,
                                          "name_en": name_en})


def _phone_lookup(store: Store, last4: str, initial: str | None) -> Verdict:
    found = orders.find_by_phone(store.db, store.store_id, last4, initial)
    if not found:
        return Verdict("no_match", params={"last4": last4})
    return Verdict("matches", matches=found, params={"last4": last4})


def hand_over(store: Store, order_no: str, clerk_id: str, *, scanned_at: datetime | None = None,
              not_taken: list[NotTaken] | tuple = (), override: Override | None = None,
              now: datetime | None = None) -> Order:
    """Hand an order over: one transaction records status, clerk, time, stock, audit, event.

    Partial pickup: ``not_taken`` lines stay behind (refused goods go back to stock, missing
    ones are booked out). An overdue or early order needs a manager's ``override``.
    """
    db = store.db
    now = now or utcnow()
    if clerks.get_clerk(db, clerk_id) is None:
        raise DomainError("auth.unknown_clerk", clerk_id=clerk_id)
    manager = None
    if override is not None:
        if not override.reason.strip():
            raise DomainError("override.no_reason")
        manager = clerks.authenticate_manager(db, override.manager_id, override.pin, now=now)
    with write_tx(db):
        order = orders.require_order(db, order_no)
        verdict = judge(store, order, now=now)
        if verdict.needs_override and manager is None:
            raise DomainError("override.required", verdict=verdict.kind)
        if not (verdict.can_hand_over or verdict.needs_override):
            raise DomainError(f"verdict.{verdict.kind}", order_no=order_no, **_plain(verdict.params))
        left = _check_not_taken(order, [*not_taken, *_decided_missing(order, not_taken)])
        new_status = "partially_picked_up" if left else "picked_up"
        # exact integer milliseconds (float seconds * 1000 truncates 8.165 s to 8164 ms)
        verify_ms = max(0, (now - scanned_at) // timedelta(milliseconds=1)) if scanned_at else None
        orders._set_status(
            db, order, new_status, actor=clerk_id, at=now,
            detail={"verify_ms": verify_ms, "not_taken": [vars(n) for n in left]},
            extra_sql=", picked_up_at = ?, picked_up_by = ?, verify_ms = ?",
            extra=[iso(now), clerk_id, verify_ms])
        for item in left:
            db.execute("UPDATE order_lines SET qty_not_taken = ?, not_taken_reason = ?"
                       " WHERE order_no = ? AND line_no = ?",
                       [item.qty, item.reason, order_no, item.line_no])
        _move_stock(db, order, left, clerk_id, now)
        override_info = None
        # an override is recorded only where it was needed: no misleading audit on an ok order
        if manager is not None and override is not None and verdict.needs_override:
            override_info = {"manager_id": manager.clerk_id, "reason": override.reason.strip(),
                             "verdict": verdict.kind}
            audit.record(db, actor=manager.clerk_id, action="override.hand_over",
                         entity=f"order:{order_no}", at=now,
                         detail={**override_info, "clerk_id": clerk_id})
        outbox.append(db, type="order.handed_over", entity=f"order:{order_no}", at=now,
                      base_version=order.version, payload={
                          **orders.order_ref(order), "clerk_id": clerk_id, "at": iso(now),
                          "verify_ms": verify_ms, "status": new_status,
                          "lines_not_taken": [vars(n) for n in left],
                          "override": override_info})
    result = orders.get_order(db, order_no)
    assert result is not None
    return result


def _plain(params: dict) -> dict:
    return {k: v for k, v in params.items() if isinstance(v, (str, int, float, list))}


def _decided_missing(order: Order, not_taken: list[NotTaken] | tuple) -> list[NotTaken]:
    """Lines a manager let go without at pick time (picking.decide_short): they are not
    taken, whatever the clerk marks, so HQ refunds them with the partial pickup."""
    named = {n.line_no for n in not_taken}
    return [NotTaken(line.line_no, line.qty_not_taken, "missing") for line in order.lines
            if line.qty_not_taken and line.not_taken_reason == "missing"
            and line.line_no not in named]


def _check_not_taken(order: Order, not_taken: list[NotTaken] | tuple) -> list[NotTaken]:
    by_line = {line.line_no: line for line in order.lines}
    left = []
    for item in not_taken:
        line = by_line.get(item.line_no)
        if line is None:
            raise DomainError("handover.bad_line", line_no=item.line_no)
        if item.reason not in NOT_TAKEN_REASONS:
            raise DomainError("handover.bad_reason", reason=item.reason)
        if not 0 < item.qty <= line.qty:
            raise DomainError("handover.bad_qty", line_no=item.line_no, qty=item.qty)
        if item.line_no in {n.line_no for n in left}:
            raise DomainError("handover.bad_line", line_no=item.line_no)
        left.append(item)
    if left and sum(n.qty for n in left) == sum(line.qty for line in order.lines):
        raise DomainError("handover.nothing_left")
    return left


def _move_stock(db, order: Order, left: list[NotTaken], actor: str, at: datetime) -> None:
    """Release each line's reservation; picked and missing units leave on-hand FEFO."""
    not_taken = {n.line_no: n for n in left}
    for line in order.lines:
        stock._move(db, sku=line.sku, account="reserved", qty=-line.qty, kind="handover",
                    actor=actor, at=at, ref=order.order_no)
        skipped = not_taken.get(line.line_no)
        picked = line.qty - (skipped.qty if skipped else 0)
        if picked:
            stock.take_fefo(db, sku=line.sku, qty=picked, kind="pick", actor=actor, at=at,
                            ref=order.order_no)
        # units found short at pick time were booked out then (picking.short_pick)
        unbooked = (skipped.qty - line.qty_short) if skipped and skipped.reason == "missing" else 0
        if unbooked > 0:
            # shrinkage: if the shelf no longer covers HQ's allotment, HQ loses units first
            stock.shrink(db, sku=line.sku, qty=unbooked, kind="missing", actor=actor,
                         at=at, ref=order.order_no)
