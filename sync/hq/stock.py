"""The store stock ledger as HQ keeps it: movements in, a level per SKU derived beside them."""

from __future__ import annotations

from datetime import datetime

from ..protocol import CH_ALLOTMENT_UPDATED, AllotmentChange, StockMoved
from . import rules, tasks
from .changes import emit
from .db import Tx
from .orders import record_conflict


def record_move(tx: Tx, store_id: str, move: StockMoved, event_seq: int, now: datetime) -> str | None:
    """Book one movement (rules.stock_delta); never clip a negative level. Returns a rejection
    reason or None."""
    try:
        delta = rules.stock_delta(move)
    except ValueError as exc:
        return str(exc)
    inserted = tx.run(
        "INSERT INTO stock_moves (store_id, move_id, sku, lot, qty, kind, ref, event_seq) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (store_id, move_id) DO NOTHING",
        (store_id, move.move_id, move.sku, move.lot, delta, move.kind, move.ref, event_seq))
    if inserted != 1:
        return "duplicate_move_id"
    after = tx.scalar(
        "INSERT INTO stock_levels (store_id, sku, qty) VALUES (?, ?, ?) ON CONFLICT (store_id, sku) "
        "DO UPDATE SET qty = stock_levels.qty + excluded.qty RETURNING qty", (store_id, move.sku, delta))
    if rules.negative_stock_raises_exception(after - delta, after):
        key = f"{store_id}:{move.sku}:{event_seq}"
        tasks.create_task(tx, store_id, f"neg-{key}", "exception",
                          f"Negative stock {move.sku}: {after}", now,
                          fields={"sku": move.sku, "level": after, "move_id": move.move_id})
        record_conflict(tx, store_id, "negative_stock", now, sku=move.sku, key=key,
                        detail=f"{move.sku} at {after} after {move.kind} {delta:+d}")
    return None


def stock_level(tx: Tx, store_id: str, sku: str) -> int:
    return tx.scalar("SELECT qty FROM stock_levels WHERE store_id = ? AND sku = ?", (store_id, sku), 0)


def _allotment_state(tx: Tx, store_id: str, sku: str, pool: str) -> dict:
    row = tx.one("SELECT granted, locked, sold FROM allotments WHERE store_id = ? AND sku = ? AND pool = ?",
                 (store_id, sku, pool)) or (0, 0, 0)
    return {"sku": sku, "pool": pool, "granted": row[0], "locked": row[1], "sold": row[2]}


def report_allotment(tx: Tx, store_id: str, sku: str, pool: str, as_of_seq: int, now: datetime) -> None:
    """Tell the store HQ's allotment as it stands after its event ``as_of_seq``."""
    emit(tx, store_id, CH_ALLOTMENT_UPDATED,
         {**_allotment_state(tx, store_id, sku, pool), "as_of_seq": as_of_seq}, now)


def grant_allotment(tx: Tx, store_id: str, change: AllotmentChange, seq: int, now: datetime) -> str | None:
    """The store sets units aside for online sale."""
    tx.run("INSERT INTO allotments (store_id, sku, pool, granted, locked, sold) VALUES (?, ?, ?, ?, 0, 0) "
           "ON CONFLICT (store_id, sku, pool) DO UPDATE SET granted = allotments.granted + excluded.granted",
           (store_id, change.sku, change.pool, change.qty))
    report_allotment(tx, store_id, change.sku, change.pool, seq, now)
    return None


def revoke_allotment(tx: Tx, store_id: str, change: AllotmentChange, seq: int, now: datetime) -> str | None:
    """The store takes units back: only the free ones (rules.revocable_units)."""
    state = _allotment_state(tx, store_id, change.sku, change.pool)
    take = rules.revocable_units(state["granted"], state["locked"], state["sold"], change.qty)
    tx.run("UPDATE allotments SET granted = granted - ? WHERE store_id = ? AND sku = ? AND pool = ?",
           (take, store_id, change.sku, change.pool))
    report_allotment(tx, store_id, change.sku, change.pool, seq, now)
    if take != change.qty and change.pool == "presale":
        # the store put the units on its shelf; orders HQ pre-sold meanwhile wait for goods
        record_conflict(tx, store_id, "presale_revoke_short", now, sku=change.sku,
                        key=f"{change.sku}:{seq}",
                        detail=f"pre-sale of {change.sku} ended at the store: {change.qty - take} "
                               "units were pre-sold meanwhile and wait for the next delivery")
    return None if take == change.qty else rules.Note(f"partial:{take}_of_{change.qty}")


def allotment(tx: Tx, store_id: str, sku: str, pool: str = "on_hand") -> dict:
    return _allotment_state(tx, store_id, sku, pool)
