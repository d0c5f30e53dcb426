"""Picking orders off the shelves: the wave pick list, picks by scan or key, short picks and
the manager's decision on them, and the order's place on the task board (``board_status``).

A wave is one or many orders picked in one walk. Its pick list sums the open lines by SKU,
per temperature zone (ambient first, frozen last, so frozen goods leave the freezer last),
in shelf order, with the first-expiring lot to take. A pick is booked on the order lines of
the wave, earliest pickup window first; a shortage on the latest window first, so the
customers who come first get the goods that are there.

Stock: a pick moves no stock (the units stay reserved for the order and leave on-hand at
the hand-over, FEFO). A short pick books the missing units out at once through
``stock.shrink(kind="missing")``: the shelf is the truth, and the hand-over does not book
them a second time (``pickup._move_stock``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from sqlite_utils import Database

from edge.clock import iso, utcnow
from edge.db import write_tx
from edge.domain import audit, catalog, clerks, orders, outbox, stock, tasks
from edge.domain import fulfil_i18n  # noqa: F401  (registers pick.* / pack.* messages)
from edge.domain.errors import DomainError
from edge.domain.orders import Order

PICKABLE = frozenset({"allocated", "preparing", "overdue"})
DECISIONS = ("ready_without", "wait")
# the four steps the task board shows (see board_status; board.py runs the same rule in SQL)
BOARD_STATUSES = ("new", "picking", "packed", "ready")
_ZONE_RANK = {zone: i for i, zone in enumerate(orders.ZONES)}


@dataclass(frozen=True)
class PickLine:
    """One SKU of the wave: how many to take, how many are taken or found missing."""

    zone: str
    sku: str
    name_zh: str
    name_en: str
    shelf: str | None
    qty: int
    picked: int
    short: int
    lot: str | None  # first-expiring lot with stock: take this one
    expiry: str | None
    orders: tuple[str, ...]

    @property
    def remaining(self) -> int:
        return self.qty - self.picked - self.short

    @property
    def done(self) -> bool:
        return self.remaining <= 0


@dataclass
class PickList:
    order_nos: list[str]  # the orders still to prepare
    lines: list[PickLine] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)  # left the wave: order -> status

    def zones(self) -> list[str]:
        return sorted({line.zone for line in self.lines}, key=_ZONE_RANK.__getitem__)

    def for_zone(self, zone: str) -> list[PickLine]:
        return [line for line in self.lines if line.zone == zone]

    def line(self, sku: str) -> PickLine | None:
        return next((line for line in self.lines if line.sku == sku), None)

    @property
    def done(self) -> bool:
        return all(line.done for line in self.lines)


@dataclass(frozen=True)
class Picked:
    """What one pick did: the product and the orders it went to."""

    sku: str
    name_zh: str
    name_en: str
    qty: int
    orders: tuple[str, ...]


# ---------------------------------------------------------------- the board
def board_status(order: Order) -> str:
    """Where an open order stands in preparation, one of BOARD_STATUSES.

    new      allocated, nothing picked yet
    picking  picking started (status preparing or a unit picked) and some unit is still to
             pick, or a short pick waits for the manager's decision
    packed   every unit picked (or let go by the manager), bags being packed: some or none
             packed yet, at least one still without its slot
    ready    every bag packed: the order is ready for pickup (also once overdue)
    The task board calls this for its status column and filter; closed orders (handed
    over, cancelled, returned) are not on the board and come back as "ready".
    """
    if order.status in orders.TERMINAL or order.status == "ready":
        return "ready"
    to_pick = [line for line in order.lines if not line.given_up]
    all_picked = all(line.qty_picked + line.qty_not_taken >= line.qty for line in to_pick)
    if all_picked and not order.missing_lines():
        return "ready"
    started = order.status != "allocated" or any(line.qty_picked for line in order.lines)
    if all_picked and order.short_state in (None, "without"):
        return "packed"
    return "picking" if started else "new"


# ---------------------------------------------------------------- the pick list
def _wave(db: Database, order_nos: Iterable[str]) -> tuple[list[str], dict[str, str]]:
    """The wave's orders still to prepare, and those that left it meanwhile (order ->
    status: cancelled by HQ, already ready...), which are skipped. An unknown order, or a
    wave with nothing left to prepare, is refused."""
    wave = list(dict.fromkeys(n.strip() for n in order_nos if n.strip()))
    if not wave:
        raise DomainError("pick.no_orders")
    found = dict(db.execute(  # a pre-sale order waiting for its goods has nothing to pick yet
        "SELECT order_no, CASE WHEN presale_state = 'waiting' THEN 'presale_waiting' ELSE status END"
        " FROM orders WHERE order_no IN (SELECT value FROM json_each(?))",
        [json.dumps(wave)]).fetchall())
    for order_no in wave:
        if order_no not in found:
            raise DomainError("order.unknown", order_no=order_no)
    skipped = {n: found[n] for n in wave if found[n] not in PICKABLE}
    if len(skipped) == len(wave):
        order_no, status = next(iter(skipped.items()))
        raise DomainError("pick.not_pickable", order_no=order_no, status=status)
    return [n for n in wave if n not in skipped], skipped


_AGGREGATE = """
    SELECT l.zone, l.sku, MIN(l.name_zh), MIN(l.name_en), p.shelf, SUM(l.qty),
           SUM(l.qty_picked), SUM(l.qty_short), GROUP_CONCAT(DISTINCT l.order_no)
    FROM order_lines l LEFT JOIN products p ON p.sku = l.sku
    WHERE l.order_no IN (SELECT value FROM json_each(?)) AND l.qty_not_taken < l.qty
    GROUP BY l.zone, l.sku
"""


def _shelf_key(row: tuple) -> tuple:
    # zone order, then shelf (products without a shelf last), then SKU
    return (_ZONE_RANK[row[0]], row[4] is None, row[4] or "", row[1])


def pick_list(db: Database, order_nos: Iterable[str]) -> PickList:
    """The wave's pick list: per zone, summed by SKU, in shelf order, lot suggested."""
    wave, skipped = _wave(db, order_nos)
    rows = sorted(db.execute(_AGGREGATE, [json.dumps(wave)]).fetchall(), key=_shelf_key)
    lots = _first_lots(db, [row[1] for row in rows])
    result = PickList(wave, skipped=skipped)
    for zone, sku, zh, en, shelf, qty, picked, short, nos in rows:
        lot, expiry = lots.get(sku, (None, None))
        result.lines.append(PickLine(zone, sku, zh, en, shelf, qty, picked, short, lot, expiry,
                                     tuple(sorted(nos.split(",")))))
    return result


def _first_lots(db: Database, skus: list[str]) -> dict[str, tuple[str, str | None]]:
    """SKU -> (lot, expiry) of its first-expiring lot with stock on hand."""
    first: dict[str, tuple[str, str | None]] = {}
    for sku in skus:
        for lot, expiry, _qty in stock.lot_balances(db, sku):
            if lot is not None:
                first[sku] = (lot, expiry)
                break
    return first


# ---------------------------------------------------------------- picking
def _open_lines(db: Database, wave: list[str], sku: str, *, latest_first: bool = False,
                include_short: bool = False) -> list[tuple[str, int, int]]:
    """(order_no, line_no, units open) of the wave's lines of ``sku``, by pickup window.

    ``include_short``: units found short count as open on orders a manager decided to wait
    for (a re-pick after the goods arrived)."""
    short = "CASE WHEN o.short_state = 'wait' THEN 0 ELSE l.qty_short END" if include_short \
        else "l.qty_short"
    rows = db.execute(
        f"SELECT l.order_no, l.line_no, l.qty - l.qty_picked - {short} - l.qty_not_taken"
        " FROM order_lines l JOIN orders o ON o.order_no = l.order_no"
        " WHERE l.order_no IN (SELECT value FROM json_each(?)) AND l.sku = ?"
        f" ORDER BY o.window_end {'DESC' if latest_first else 'ASC'}, l.order_no, l.line_no",
        [json.dumps(wave), sku]).fetchall()
    return [(o, n, q) for o, n, q in rows if q > 0]


def pick_scan(db: Database, order_nos: Iterable[str], code: str, *, actor: str,
              now: datetime | None = None) -> Picked:
    """One scan of a product's barcode (or a typed SKU) picks one unit of it.

    A product not on the list, or already fully picked, is refused and picks nothing."""
    text = (code or "").strip()
    if not text or len(text) > 64 or not text.isprintable():
        raise DomainError("pick.bad_scan")
    product = catalog.find_product(db, text)
    if product is None:
        raise DomainError("pick.unknown_product", text=text)
    return pick_units(db, order_nos, product["sku"], 1, actor=actor, now=now)


def pick_units(db: Database, order_nos: Iterable[str], sku: str, qty: int | None = None, *,
               actor: str, now: datetime | None = None) -> Picked:
    """Pick ``qty`` units of ``sku`` (None: every unit still to pick) for the wave."""
    now = now or utcnow()
    if qty is not None and qty <= 0:
        raise DomainError("stock.bad_qty", qty=qty)
    with write_tx(db):
        wave, _skipped = _wave(db, order_nos)
        product = _product(db, wave, sku)
        lines = _open_lines(db, wave, product["sku"]) or _open_lines(
            db, wave, product["sku"], include_short=True)
        open_units = sum(q for _o, _n, q in lines)
        if open_units == 0:
            raise DomainError("pick.already_picked", **_names(product))
        wanted = open_units if qty is None else qty
        if wanted > open_units:
            raise DomainError("pick.too_many", sku=product["sku"], qty=wanted, open=open_units)
        touched = _book_picks(db, lines, wanted, actor=actor, now=now)
        for order_no in touched:
            _after_pick(db, order_no, actor=actor, now=now)
    return Picked(product["sku"], product["name_zh"], product["name_en"], wanted, tuple(touched))


def _product(db: Database, wave: list[str], sku: str) -> dict:
    """The SKU as the wave's lines name it; refused when the wave has no such line."""
    row = db.execute(
        "SELECT sku, name_zh, name_en FROM order_lines WHERE sku = ? COLLATE NOCASE"
        " AND order_no IN (SELECT value FROM json_each(?)) LIMIT 1",
        [sku, json.dumps(wave)]).fetchone()
    if row is None:
        named = catalog.find_product(db, sku) or {"name_zh": sku, "name_en": sku}
        raise DomainError("pick.not_on_list", **_names(named))
    return dict(zip(("sku", "name_zh", "name_en"), row))


def _names(product: dict) -> dict[str, str]:
    """A product's names for a refusal (``name``: Chinese, for readers of the plain key)."""
    return {"name": product["name_zh"], "name_zh": product["name_zh"],
            "name_en": product["name_en"]}


def _book_picks(db: Database, lines: list[tuple[str, int, int]], qty: int, *, actor: str,
                now: datetime) -> list[str]:
    """Spread ``qty`` picked units over the open lines (earliest window first)."""
    touched: list[str] = []
    left = qty
    for order_no, line_no, open_units in lines:
        if left <= 0:
            break
        take = min(left, open_units)
        db.execute("UPDATE order_lines SET qty_picked = qty_picked + ?,"
                   " qty_short = MAX(0, MIN(qty_short, qty - qty_picked - ?))"
                   " WHERE order_no = ? AND line_no = ?", [take, take, order_no, line_no])
        audit.record(db, actor=actor, action="pick.picked", entity=f"order:{order_no}", at=now,
                     detail={"line_no": line_no, "qty": take})
        left -= take
        if order_no not in touched:
            touched.append(order_no)
    return touched


def _after_pick(db: Database, order_no: str, *, actor: str, now: datetime) -> None:
    """Move the order to preparing, clear a short that the re-pick covered, and send the
    progress to HQ on the order's preparation task."""
    order = orders.require_order(db, order_no)
    if order.status == "allocated":
        orders.start_preparing(db, order_no, actor=actor, now=now)
    if order.short_state in ("pending", "wait") and not any(ln.qty_short for ln in order.lines):
        _set_short_state(db, order, None, actor=actor, now=now, decision="resolved")
    _task_progress(db, orders.require_order(db, order_no), actor=actor, now=now)


def _task_progress(db: Database, order: Order, *, actor: str, now: datetime) -> None:
    task = tasks.get_task(db, f"prep-{order.order_no}")
    if task is None or task.status in ("done", "cancelled"):
        return
    picked = sum(line.qty_picked for line in order.lines)
    total = sum(line.qty - line.qty_not_taken for line in order.lines)
    tasks.update_task(db, task.task_id, actor=actor, status="in_progress", now=now,
                      fields={"picked": picked, "to_pick": total})


# ---------------------------------------------------------------- short picks
def short_pick(db: Database, order_nos: Iterable[str], sku: str, qty: int, *, actor: str,
               now: datetime | None = None) -> list[str]:
    """``qty`` units of ``sku`` the wave still needs are not on the shelf.

    They are booked out as missing (``stock.shrink``), HQ is told, and each order they fall
    on (latest pickup window first) waits for a manager's decision. Returns those orders."""
    now = now or utcnow()
    if qty <= 0:
        raise DomainError("stock.bad_qty", qty=qty)
    with write_tx(db):
        wave, _skipped = _wave(db, order_nos)
        product = _product(db, wave, sku)
        lines = _open_lines(db, wave, product["sku"], latest_first=True)
        open_units = sum(q for _o, _n, q in lines)
        if qty > open_units:
            raise DomainError("pick.short_too_many", sku=product["sku"], qty=qty, open=open_units)
        by_order: dict[str, list[dict]] = {}
        left = qty
        for order_no, line_no, units in lines:
            if left <= 0:
                break
            n = min(left, units)
            left -= n
            db.execute("UPDATE order_lines SET qty_short = qty_short + ? WHERE order_no = ?"
                       " AND line_no = ?", [n, order_no, line_no])
            stock.shrink(db, sku=product["sku"], qty=n, kind="missing", actor=actor, at=now,
                         ref=order_no)
            by_order.setdefault(order_no, []).append({"line_no": line_no, "sku": product["sku"],
                                                      "qty": n})
        for order_no, short_lines in by_order.items():
            order = orders.require_order(db, order_no)
            if order.status == "allocated":
                orders.start_preparing(db, order_no, actor=actor, now=now)
                order = orders.require_order(db, order_no)
            audit.record(db, actor=actor, action="pick.short", entity=f"order:{order_no}",
                         at=now, detail={"lines": short_lines})
            outbox.append(db, type="order.short_picked", entity=f"order:{order_no}", at=now,
                          payload={**orders.order_ref(order), "lines": short_lines, "by": actor,
                                   "at": iso(now)})
            _set_short_state(db, order, "pending", actor=actor, now=now, decision=None)
            _task_progress(db, orders.require_order(db, order_no), actor=actor, now=now)
    return list(by_order)


def awaiting_decision(db: Database) -> list[str]:
    """Orders whose short pick waits for a manager (oldest window first)."""
    return [r[0] for r in db.execute(
        "SELECT order_no FROM orders WHERE short_state = 'pending' ORDER BY window_end")]


def decide_short(db: Database, order_no: str, decision: str, *, manager: str,
                 now: datetime | None = None) -> Order:
    """The manager's decision on a short pick (manager only, audited, HQ told).

    ready_without: the missing units are let go; the order is ready once its bags are
    packed and the hand-over is a partial pickup, for which HQ refunds the missing units.
    wait: the order stays preparing; picking the units later (after a delivery) clears it.
    """
    now = now or utcnow()
    if decision not in DECISIONS:
        raise DomainError("pick.bad_decision", decision=decision)
    with write_tx(db):
        clerks.require_manager(db, manager)
        order = orders.require_order(db, order_no)
        if order.short_state not in ("pending", "wait") or order.status not in PICKABLE:
            raise DomainError("pick.no_short", order_no=order_no)
        short = [line for line in order.lines if line.qty_short]
        if decision == "ready_without":
            if all(line.qty_short >= line.qty for line in order.lines):
                raise DomainError("pick.nothing_left", order_no=order_no)
            for line in short:
                db.execute("UPDATE order_lines SET qty_not_taken = ?, not_taken_reason = 'missing'"
                           " WHERE order_no = ? AND line_no = ?",
                           [line.qty_short, order_no, line.line_no])
        _set_short_state(db, order, "without" if decision == "ready_without" else "wait",
                         actor=manager, now=now, decision=decision,
                         lines=[{"line_no": line.line_no, "qty": line.qty_short} for line in short])
        order = orders.require_order(db, order_no)
        if decision == "ready_without" and not order.missing_lines():
            orders._set_status(db, order, "ready", actor=manager, at=now)
            orders._status_event(db, order, "ready", now)
    return orders.require_order(db, order_no)


def _set_short_state(db: Database, order: Order, state: str | None, *, actor: str,
                     now: datetime, decision: str | None, lines: list[dict] | None = None) -> None:
    """Record the order's short-pick state; a decision (or its resolution) goes to HQ."""
    db.execute("UPDATE orders SET short_state = ?, updated_at = ? WHERE order_no = ?",
               [state, iso(now), order.order_no])
    if decision is None:
        return
    audit.record(db, actor=actor, action=f"pick.short_{decision}", entity=f"order:{order.order_no}",
                 at=now, detail={"lines": lines or []})
    outbox.append(db, type="order.short_decided", entity=f"order:{order.order_no}", at=now,
                  payload={**orders.order_ref(order), "decision": decision, "by": actor,
                           "lines": lines or [], "at": iso(now)})
