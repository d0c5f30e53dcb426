"""Pre-sale at HQ: a pool of units apart from the shelf's allotment, for goods on their way.

The pool (``allotments`` row, pool ``presale``) grows when HQ announces a transfer whose
lines carry ``presale`` units: the goods are HQ's own until the store receives them, so no
shelf can sell them meanwhile and HQ need not wait for a grant. Pre-sale orders lock and
sell from this pool only (``orders.lock_allotment``), never from the store's on-hand
allotment. When the store receives the transfer it reports what came
(``presale.received``): units that did not come leave the pool (it may go below what was
sold: those orders wait for the next delivery, which then adds only the rest), the
customers hear whether their goods are in the store or delayed, and a short delivery is a
``presale_short`` conflict for operators.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from ..protocol import PresaleReceived, TransferLine
from . import notify, orders
from .db import Tx
from .stock import report_allotment

POOL = "presale"


def _last_seq(tx: Tx, store_id: str) -> int:
    return tx.scalar("SELECT last_seq FROM stores WHERE store_id = ?", (store_id,), 0)


def grant_from_transfer(tx: Tx, store_id: str, lines: list[TransferLine], now: datetime) -> None:
    """The transfer's pre-sale units join the store's pre-sale pool (inside the announcing
    transaction), and the store is told the pool's new size."""
    totals: Counter[str] = Counter()
    for line in lines:
        if line.presale:
            totals[line.sku] += line.presale
    for sku, qty in sorted(totals.items()):
        tx.run("INSERT INTO allotments (store_id, sku, pool, granted, locked, sold) "
               "VALUES (?, ?, ?, ?, 0, 0) ON CONFLICT (store_id, sku, pool) "
               "DO UPDATE SET granted = allotments.granted + excluded.granted",
               (store_id, sku, POOL, qty))
        report_allotment(tx, store_id, sku, POOL, _last_seq(tx, store_id), now)


def record_received(tx: Tx, store_id: str, r: PresaleReceived, seq: int, now: datetime) -> str | None:
    """The store received pre-sold goods. Every order named must be this store's own
    pre-sale order (checked before anything is written); returns a rejection reason or None."""
    for line in r.lines:
        if line.arrived > line.presale:
            return f"bad_line:{line.sku}"
    named = [(ref, "presale_arrived") for ref in r.released] + [
        (ref, "presale_delayed") for ref in r.waiting]
    for ref, _kind in named:
        o, refused = orders.order_about(tx, store_id, ref.order_no, ref.order_uid, now)
        if o is None:
            return refused
        if not o["presale"]:
            return f"not_presale:{ref.order_no}"
    for line in r.lines:
        short = line.presale - line.arrived
        if short:
            tx.run("UPDATE allotments SET granted = granted - ? WHERE store_id = ? AND sku = ? "
                   "AND pool = ?", (short, store_id, line.sku, POOL))
            report_allotment(tx, store_id, line.sku, POOL, seq, now)
    for ref, kind in named:
        notice = {**orders.notice(tx, store_id, ref.order_no), "transfer_id": r.transfer_id}
        notify.enqueue(tx, store_id, ref.order_no, kind, notice, now)
    if r.waiting:
        came = ", ".join(f"{ln.sku} {ln.arrived}/{ln.presale}" for ln in r.lines)
        orders.record_conflict(
            tx, store_id, "presale_short", now, sku=r.lines[0].sku, key=f"{r.transfer_id}:{seq}",
            detail=f"transfer {r.transfer_id} arrived short ({came}); {len(r.waiting)} pre-sale "
                   f"orders wait for goods: {', '.join(o.order_no for o in r.waiting[:20])}"
                   f"{' …' if len(r.waiting) > 20 else ''}")
    return None
