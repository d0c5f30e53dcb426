"""Pre-sale at the store: orders sold ahead of their goods wait, then go to the board in order
of purchase when the goods arrive; a short delivery leaves the latest purchases waiting.

HQ sells pre-sale units from its own pool (the transfer it announces says how many of each
line it sells ahead). A pre-sale order arrives here ``waiting``: it reserves nothing (its
goods are not here) and is not on the task board. When a transfer carrying pre-sold units
is received, the units that came are booked on hand and held apart in the ``presale``
account (the counter cannot sell them); waiting orders then take them in order of purchase
(``release_waiting``: reserved, ``released``, on the board). Strict order: once an order
cannot be served, no later order takes units of its SKUs. HQ is told what came and which
orders still wait (``presale.received``). Pre-sold units nobody has bought yet stay held
until HQ sells them or a manager ends the pre-sale (``end_presale``: back to the shelf,
taken out of HQ's pool).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlite_utils import Database

from edge.clock import iso, utcnow
from edge.db import write_tx
from edge.domain import audit, clerks, orders, outbox, stock
from edge.domain import stock_i18n  # noqa: F401  (registers stock messages)
from edge.domain.errors import DomainError
from sync import protocol as p

WAITING, RELEASED = "waiting", "released"

# order of purchase: orders arrive in HQ's change feed in the order HQ sold them, and the
# store inserts them in that order (rowid)
_WAITING_SQL = ("SELECT order_no FROM orders WHERE presale_state = 'waiting' AND status IN"
                " ('allocated', 'preparing', 'ready', 'overdue') AND store_id = ? ORDER BY rowid")


def _totals(order: orders.Order) -> dict[str, int]:
    totals: Counter[str] = Counter()
    for line in order.lines:
        totals[line.sku] += line.qty
    return dict(totals)


def waiting_orders(db: Database) -> list[orders.Order]:
    """Open pre-sale orders still waiting for goods, first purchase first."""
    return [orders.require_order(db, no) for (no,) in
            db.execute(_WAITING_SQL, [orders.own_store_id(db)]).fetchall()]


def open_presale_orders(db: Database) -> dict[str, str]:
    """Open pre-sale orders of this store: order number -> waiting | released."""
    return dict(db.execute(
        "SELECT order_no, presale_state FROM orders WHERE presale_state IS NOT NULL AND status IN"
        " ('allocated', 'preparing', 'ready', 'overdue') AND store_id = ?",
        [orders.own_store_id(db)]).fetchall())


def release_waiting(db: Database, *, actor: str, at: datetime,
                    skus: Iterable[str] | None = None) -> list[orders.Order]:
    """Give held pre-sale units to waiting orders in order of purchase (inside write_tx).

    An order goes only whole; the first one that cannot be served blocks its SKUs for every
    later order (no later purchase jumps it). ``skus``: only these products changed (an
    order arrived or was cancelled): with none of them held, nothing can move and the
    waiting orders are not read (a pre-sale live stream brings thousands before the goods).
    Returns the orders released."""
    if skus is not None and not any(stock.levels(db, sku).presale > 0 for sku in set(skus)):
        return []
    held: dict[str, int] = {}
    blocked: set[str] = set()
    released = []
    for order in waiting_orders(db):
        need = _totals(order)
        for sku in need:
            if sku not in held:
                held[sku] = stock.levels(db, sku).presale
        if any(sku in blocked or held[sku] < qty for sku, qty in need.items()):
            blocked |= set(need)
            continue
        for sku, qty in need.items():
            stock._move(db, sku=sku, account="presale", qty=-qty, kind="presale_release",
                        actor=actor, at=at, ref=order.order_no)
            stock._move(db, sku=sku, account="reserved", qty=qty, kind="presale_release",
                        actor=actor, at=at, ref=order.order_no)
            held[sku] -= qty
        db.execute("UPDATE orders SET presale_state = 'released', updated_at = ? WHERE order_no = ?",
                   [iso(at), order.order_no])
        audit.record(db, actor=actor, action="presale.released", entity=f"order:{order.order_no}",
                     at=at, detail=need)
        released.append(order)
    return released


def on_transfer_received(db: Database, transfer_id: str, lines: list[tuple[str, int, int]], *,
                         actor: str, at: datetime) -> None:
    """After a transfer's goods were booked on hand (inside its write_tx): hold the pre-sold
    units that came apart, release waiting orders, and tell HQ. ``lines``: (sku, presale
    units of the line, units of the line that arrived)."""
    presold: Counter[str] = Counter()
    came: Counter[str] = Counter()
    for sku, presale, arrived in lines:
        if presale:
            presold[sku] += presale
            came[sku] += min(presale, arrived)  # pre-sold customers are served first
    if not presold:
        return
    for sku, qty in sorted(came.items()):
        if qty:
            stock._move(db, sku=sku, account="presale", qty=qty, kind="presale_arrived",
                        actor=actor, at=at, ref=transfer_id)
    released = release_waiting(db, actor=actor, at=at)
    waiting = [o for o in waiting_orders(db) if set(_totals(o)) & set(presold)]
    outbox.append(db, type=p.EV_PRESALE_RECEIVED, entity=f"transfer:{transfer_id}", at=at, payload={
        "transfer_id": transfer_id,
        "lines": [{"sku": sku, "presale": presold[sku], "arrived": came[sku]} for sku in sorted(presold)],
        "released": [orders.order_ref(o) for o in released],
        "waiting": [orders.order_ref(o) for o in waiting]})
    audit.record(db, actor=actor, action="presale.received", entity=f"transfer:{transfer_id}", at=at,
                 detail={"presold": dict(presold), "arrived": dict(came), "released": len(released),
                         "waiting": len(waiting)})


def tell_hq_if_stranded(db: Database, order_no: str, *, at: datetime) -> bool:
    """A pre-sale order that arrives after its goods came (HQ sold it before it heard the
    delivery was short) and finds no units held waits with no transfer on its way: HQ is
    told as at a short receipt (inside write_tx), so its customer and operators know.
    True if told."""
    order = orders.require_order(db, order_no)
    if order.presale_state != WAITING:
        return False
    skus = sorted(_totals(order))
    marks = ",".join("?" * len(skus))
    rows = db.execute(
        "SELECT t.status, t.transfer_id FROM transfer_lines l JOIN transfers t USING (transfer_id)"
        f" WHERE l.presale > 0 AND l.sku IN ({marks}) ORDER BY t.status = 'received',"
        " t.received_at DESC LIMIT 1", skus).fetchall()
    if not rows or rows[0][0] != "received":
        return False  # goods on their way (or no pre-sale of it known here): it just waits
    outbox.append(db, type=p.EV_PRESALE_RECEIVED, entity=f"transfer:{rows[0][1]}", at=at, payload={
        "transfer_id": rows[0][1], "lines": [{"sku": sku, "presale": 0, "arrived": 0} for sku in skus],
        "released": [], "waiting": [orders.order_ref(order)]})
    audit.record(db, actor="hq", action="presale.stranded", entity=f"order:{order_no}", at=at,
                 detail={"after": rows[0][1]})
    return True


def end_presale(db: Database, *, sku: str, actor: str, now: datetime | None = None) -> int:
    """A manager ends the pre-sale of ``sku``: the pre-sold units that came and nobody bought
    go to the shelf, and HQ takes them out of its pre-sale pool (``allotment.revoked`` pool
    presale). Returns the units moved to the shelf."""
    now = now or utcnow()
    with write_tx(db):
        clerks.require_manager(db, actor)
        sku = stock.require_product(db, sku)
        held = stock.levels(db, sku).presale
        if held <= 0:
            raise DomainError("stock.presale_none", sku=sku)
        stock._move(db, sku=sku, account="presale", qty=-held, kind="presale_end", actor=actor,
                    at=now)
        outbox.append(db, type=p.EV_ALLOTMENT_REVOKED, entity=f"sku:{sku}", at=now,
                      payload={"sku": sku, "qty": held, "pool": "presale", "reason": "presale_end"})
        audit.record(db, actor=actor, action="presale.ended", entity=f"sku:{sku}", at=now,
                     detail={"qty": held})
    return held


# ---------------------------------------------------------------- what the screens show
@dataclass(frozen=True)
class PresalePool:
    """One SKU's pre-sale as the store sees it."""

    sku: str
    name_zh: str
    name_en: str
    granted: int  # HQ's pool as it last reported (units it may pre-sell)
    sold: int  # pre-sold units HQ reported (locked or paid)
    arrived: int  # pre-sold units received here so far
    held: int  # arrived, not yet given to an order (the shelf cannot sell them)
    waiting_orders: int
    waiting_units: int
    released_orders: int
    expected: int  # pre-sale units on announced transfers not yet received


def pools(db: Database) -> list[PresalePool]:
    """Every SKU with a pre-sale: HQ's pool, what arrived, and the orders waiting."""
    hq = {sku: (g, lk + sd) for sku, g, lk, sd in db.execute(
        "SELECT sku, granted, locked, sold FROM hq_allotments WHERE pool = 'presale'")}
    arrived = dict(db.execute(
        "SELECT sku, SUM(qty) FROM stock_moves WHERE account = 'presale' AND kind = 'presale_arrived'"
        " GROUP BY sku").fetchall())
    held = dict(db.execute("SELECT sku, SUM(qty) FROM stock_moves WHERE account = 'presale'"
                           " GROUP BY sku").fetchall())
    expected = dict(db.execute(
        "SELECT l.sku, SUM(l.presale) FROM transfer_lines l JOIN transfers t USING (transfer_id)"
        " WHERE t.status = 'announced' AND l.presale > 0 GROUP BY l.sku").fetchall())
    counts: dict[tuple[str, str], list[int]] = {}
    for sku, state, n_orders, units in db.execute(
            "SELECT l.sku, o.presale_state, COUNT(DISTINCT o.order_no), SUM(l.qty) FROM orders o"
            " JOIN order_lines l USING (order_no) WHERE o.presale_state IS NOT NULL"
            " AND o.status IN ('allocated', 'preparing', 'ready', 'overdue') AND o.store_id = ?"
            " GROUP BY l.sku, o.presale_state", [orders.own_store_id(db)]):
        counts[(sku, state)] = [n_orders, units]
    names = {sku: (zh, en) for sku, zh, en in db.execute("SELECT sku, name_zh, name_en FROM products")}
    skus = sorted(set(hq) | set(arrived) | set(expected) | {sku for sku, _ in counts})
    result = []
    for sku in skus:
        zh, en = names.get(sku, (sku, sku))
        granted, sold = hq.get(sku, (0, 0))
        w_orders, w_units = counts.get((sku, WAITING), [0, 0])
        result.append(PresalePool(sku, zh, en, granted, sold, arrived.get(sku, 0) or 0,
                                  held.get(sku, 0) or 0, w_orders, w_units or 0,
                                  counts.get((sku, RELEASED), [0, 0])[0], expected.get(sku, 0) or 0))
    return result
