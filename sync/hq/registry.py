"""Who may talk to HQ: stores (token) and sales channels (API key). Only hashes are kept."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from .clock import iso
from .db import Database
from .errors import HQError
from .schema import new_epoch, new_order_series

CHANNEL_KINDS = ("live_stream", "mini_program", "counter", "ops")


def hash_secret(secret: str) -> str:
    """sha256 hex: enough for high-entropy random tokens (no password stretching needed)."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _new_secret(prefix: str) -> str:
    return f"{prefix}_{secrets.token_urlsafe(32)}"


def _insert_new(db: Database, what: str, sql: str, row: tuple) -> None:
    """Insert a registration whose first value is its unique name; 409 if already there."""
    table, column = {"store": ("stores", "store_id"), "channel": ("channels", "name")}[what]
    with db.tx() as tx:
        if tx.one(f"SELECT 1 FROM {table} WHERE {column} = ?", (row[0],)):
            raise HQError(f"{what}_exists", f"{what} {row[0]!r} is already registered", 409)
        tx.run(sql, row)


def add_store(db: Database, store_id: str, now: datetime, *, name: str = "") -> str:
    """Register a store; returns its token (shown once, never stored)."""
    token = _new_secret("st")
    _insert_new(db, "store", "INSERT INTO stores (store_id, name, token_hash, created_at) VALUES (?, ?, ?, ?)",
                (store_id, name, hash_secret(token), iso(now)))
    _send_catalog(db, store_id, now)
    return token


def _send_catalog(db: Database, store_id: str, now: datetime) -> None:
    """A new store starts its change feed with the whole current catalog."""
    from .changes import catalog_items, emit

    with db.tx() as tx:
        for item in catalog_items(tx):
            emit(tx, store_id, item.type, item.payload, now)


def rotate_store_token(db: Database, store_id: str) -> str:
    token = _new_secret("st")
    with db.tx() as tx:
        if tx.run("UPDATE stores SET token_hash = ? WHERE store_id = ?", (hash_secret(token), store_id)) != 1:
            raise HQError("unknown_store", f"store {store_id!r} not found", 404)
    return token


def add_channel(db: Database, name: str, now: datetime, *, kind: str = "live_stream") -> str:
    """Register an order-intake channel; returns its API key (shown once)."""
    if kind not in CHANNEL_KINDS:
        raise HQError("bad_channel_kind", f"kind must be one of {', '.join(CHANNEL_KINDS)}", 422)
    key = _new_secret("ch")
    _insert_new(db, "channel", "INSERT INTO channels (name, kind, key_hash, created_at) VALUES (?, ?, ?, ?)",
                (name, kind, hash_secret(key), iso(now)))
    return key


def store_for_token(db: Database, token: str) -> str | None:
    with db.tx(snapshot=True) as tx:
        return tx.scalar("SELECT store_id FROM stores WHERE token_hash = ?", (hash_secret(token),))


def store_name(db: Database, store_id: str) -> str:
    with db.tx(snapshot=True) as tx:
        return tx.scalar("SELECT name FROM stores WHERE store_id = ?", (store_id,)) or ""


def channel_for_key(db: Database, key: str) -> tuple[str, str] | None:
    """(name, kind) of the channel owning ``key``."""
    with db.tx(snapshot=True) as tx:
        row = tx.one("SELECT name, kind FROM channels WHERE key_hash = ?", (hash_secret(key),))
    return None if row is None else (row[0], row[1])


# added to every version HQ holds at an epoch bump: more than any lost state could have
# issued since the backup, so HQ's next change to an order, task or item is newer at the store
VERSION_JUMP = 1 << 32


def bump_epoch(db: Database) -> str:
    """After restoring HQ from a backup: every store resyncs from a snapshot (and gives
    back the orders the backup lacks); order numbers continue in a new series, so no
    number the lost state gave out is ever issued again; versions jump past any the stores
    hold, so what HQ changes from now on is never mistaken for old news."""
    epoch = new_epoch()
    with db.tx() as tx:
        tx.run("UPDATE meta SET value = ? WHERE key = 'epoch'", (epoch,))
        for table in ("orders", "tasks", "catalog"):
            tx.run(f"UPDATE {table} SET version = version + ?", (VERSION_JUMP,))
        series = tx.scalar("SELECT value FROM meta WHERE key = 'order_series'")
        tx.run("UPDATE meta SET value = ? WHERE key = 'order_series'", (new_order_series(series),))
    return epoch


def order_series(db: Database) -> str:
    with db.tx(snapshot=True) as tx:
        return tx.scalar("SELECT value FROM meta WHERE key = 'order_series'")


def list_stores(db: Database) -> list[tuple[str, str, int, int, int]]:
    """(store, name, last seq pushed, change cursor, orders the store gave back after a
    restore) -- what an operator watches while stores catch up with a restored HQ."""
    with db.tx(snapshot=True) as tx:
        return tx.all("SELECT s.store_id, s.name, s.last_seq, s.change_seq, (SELECT COUNT(*) FROM events e "
                      "WHERE e.store_id = s.store_id AND e.type = 'order.restored' AND e.outcome = 'applied' "
                      "AND e.reason = 'restored') FROM stores s ORDER BY s.store_id")
