"""Who may talk to HQ: stores (token) and sales channels (API key). Only hashes are kept."""

from __future__ import annotations

import hashlib
import secrets
import time
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta

from .clock import iso
from .codec import dumps
from .db import Database
from .errors import HQError
from .schema import new_epoch, new_order_series

CHANNEL_KINDS = ("live_stream", "mini_program", "counter", "ops",
                 "courier")  # a courier platform: reports on delivery jobs, places no orders


def hash_secret(secret: str) -> str:
    """sha256 hex: enough for high-entropy random tokens (no password stretching needed)."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _new_secret(prefix: str) -> str:
    return f"{prefix}_{secrets.token_urlsafe(32)}"


def new_store_token(store_id: str) -> str:
    """``st_<store_id>.<secret>``: 256 random bits (why a fast hash is enough to keep only
    its hash), prefixed with the store it opens so HQ finds the store by its key
    (``store_token``: one store's row, one shard on Citus), not by searching every store."""
    return f"st_{store_id}.{secrets.token_urlsafe(32)}"


STORE_ID_MAX = 32
_STORE_ID_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")


def store_id_problem(store_id: str) -> str | None:
    """Why ``store_id`` cannot name a store (None: it can). Letters, digits, '_' and '-':
    a store id starts its order numbers and its task-id space ('<store_id>:...'), so no
    ':' , spaces or other text that would blur where it ends."""
    if not store_id:
        return "门店编号为空 / the store id is empty"
    if len(store_id) > STORE_ID_MAX or not set(store_id) <= _STORE_ID_CHARS or not store_id[0].isalnum():
        return (f"门店编号 {store_id!r} 无效：仅限字母、数字、_ 和 -（最多 {STORE_ID_MAX} 个，字母或数字开头）/ "
                f"store id {store_id!r} is not valid: letters, digits, '_' and '-' only, at most "
                f"{STORE_ID_MAX}, starting with a letter or digit")
    return None


def _insert_new(db: Database, what: str, sql: str, row: tuple) -> None:
    """Insert a registration whose first value is its unique name; 409 if already there."""
    table, column = {"store": ("stores", "store_id"), "channel": ("channels", "name")}[what]
    with db.tx() as tx:
        if tx.one(f"SELECT 1 FROM {table} WHERE {column} = ?", (row[0],)):
            raise HQError(f"{what}_exists", f"{what} {row[0]!r} is already registered", 409)
        tx.run(sql, row)


DEFAULT_TOKEN_DAYS = 365  # a store token expires after a year unless issued otherwise


def token_expiry(now: datetime, token_days: int | None) -> str | None:
    """When a token issued ``now`` expires (None or 0 days: never)."""
    if token_days is not None and token_days < 0:
        raise HQError("bad_token_days", "token days must be 0 (never expires) or more", 422)
    return iso(now + timedelta(days=token_days)) if token_days else None


def add_store(db: Database, store_id: str, now: datetime, *, name: str = "",
              token_days: int | None = DEFAULT_TOKEN_DAYS) -> str:
    """Register a store; returns its token (shown once, never stored; expires after
    ``token_days``, 0 or None: never)."""
    return add_stores(db, [(store_id, name)], now, token_days=token_days)[store_id]


def add_stores(db: Database, stores: Sequence[tuple[str, str]], now: datetime, *,
               token_days: int | None = DEFAULT_TOKEN_DAYS, tokens: dict[str, str] | None = None) -> dict[str, str]:
    """Register many (store id, name) in ONE transaction -- all or none, 409 naming the
    first id already registered or listed twice, 422 for an id that cannot name a store --
    each starting its change feed with the whole catalog. Returns store id -> token (shown
    once, never stored; ``tokens`` when the caller made and saved them first)."""
    ids = [store_id for store_id, _ in stores]
    seen: set[str] = set()
    for store_id in ids:
        problem = store_id_problem(store_id)
        if problem:
            raise HQError("bad_store_id", problem, 422)
        if store_id in seen:
            raise HQError("store_exists", f"store {store_id!r} is listed twice", 409)
        seen.add(store_id)
    tokens = tokens or {store_id: new_store_token(store_id) for store_id in ids}
    expiry = token_expiry(now, token_days)
    from .changes import catalog_items

    with db.tx() as tx:
        for store_id in ids:
            if tx.one("SELECT 1 FROM stores WHERE store_id = ?", (store_id,)):
                raise HQError("store_exists", f"store {store_id!r} is already registered", 409)
        items = [(item.type, dumps(item.payload)) for item in catalog_items(tx)]
        at = iso(now)
        # new stores: their feed is exactly the catalog, cursors 1..n (no per-change UPDATE)
        tx.many("INSERT INTO stores (store_id, name, token_hash, created_at, token_expires_at, change_seq) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                [(store_id, name, hash_secret(tokens[store_id]), at, expiry, len(items))
                 for store_id, name in stores])
        tx.insert_rows("changes", ("store_id", "cursor", "change_id", "type", "payload", "created_at"),
                       ((store_id, cursor, str(uuid.uuid4()), kind, payload, at)
                        for store_id in ids for cursor, (kind, payload) in enumerate(items, 1)))
        tx.woken.update(ids)
    return tokens


def rotate_store_token(db: Database, store_id: str, now: datetime, *,
                       token_days: int | None = DEFAULT_TOKEN_DAYS) -> str:
    """A new token for the store (shown once); the old one stops working at once. Also how
    a revoked store is let back in."""
    token = new_store_token(store_id)
    with db.tx() as tx:
        if tx.run("UPDATE stores SET token_hash = ?, token_expires_at = ?, revoked_at = NULL WHERE store_id = ?",
                  (hash_secret(token), token_expiry(now, token_days), store_id)) != 1:
            raise HQError("unknown_store", f"store {store_id!r} not found", 404)
    return token


def revoke_store(db: Database, store_id: str, now: datetime) -> None:
    """Cut a store off now (a stolen PC, a closed shop): its token stops working and no
    token works until ``rotate_store_token`` issues a new one. Its data stays."""
    with db.tx() as tx:
        # the hash of a secret nobody holds: the old token is unknown from now on
        if tx.run("UPDATE stores SET token_hash = ?, revoked_at = ? WHERE store_id = ?",
                  (hash_secret(_new_secret("revoked")), iso(now), store_id)) != 1:
            raise HQError("unknown_store", f"store {store_id!r} not found", 404)


def add_channel(db: Database, name: str, now: datetime, *, kind: str = "live_stream") -> str:
    """Register an order-intake channel; returns its API key (shown once)."""
    if kind not in CHANNEL_KINDS:
        raise HQError("bad_channel_kind", f"kind must be one of {', '.join(CHANNEL_KINDS)}", 422)
    key = _new_secret("ch")
    _insert_new(db, "channel", "INSERT INTO channels (name, kind, key_hash, created_at) VALUES (?, ?, ?, ?)",
                (name, kind, hash_secret(key), iso(now)))
    return key


def store_token(db: Database, token: str) -> tuple[str, str | None] | None:
    """(store id, expiry or None) of the store holding ``token``."""
    named, dot, _ = token.removeprefix("st_").rpartition(".")
    with db.tx(snapshot=True) as tx:
        if dot:  # the token names its store: look in that store's row only
            row = tx.one("SELECT store_id, token_expires_at FROM stores WHERE store_id = ? AND token_hash = ?",
                         (named, hash_secret(token)))
        else:  # a token issued before tokens named their store (until rotated or expired)
            row = tx.one("SELECT store_id, token_expires_at FROM stores WHERE token_hash = ?",
                         (hash_secret(token),))
    return None if row is None else (row[0], row[1])


def token_expired(expires_at: str | None, now: datetime) -> bool:
    return expires_at is not None and expires_at <= iso(now)


def store_name(db: Database, store_id: str) -> str:
    with db.tx(snapshot=True) as tx:
        return tx.scalar("SELECT name FROM stores WHERE store_id = ?", (store_id,)) or ""


def channel_for_key(db: Database, key: str) -> tuple[str, str] | None:
    """(name, kind) of the channel owning ``key``."""
    with db.tx(snapshot=True) as tx:
        row = tx.one("SELECT name, kind FROM channels WHERE key_hash = ?", (hash_secret(key),))
    return None if row is None else (row[0], row[1])


class ChannelKeys:
    """``channel_for_key`` with what it found remembered for ``ttl`` seconds: every order a
    live stream places names its key, and the lookup (a transaction of its own, a thread hop
    in the server) was an eighth of an order's database work. Channel keys are never revoked
    today; should that come, it takes effect within ``ttl``. Unknown keys are not remembered."""

    def __init__(self, db: Database, *, ttl: float = 30.0, size: int = 1024) -> None:
        self._db, self._ttl, self._size = db, ttl, size
        self._found: dict[str, tuple[float, tuple[str, str]]] = {}

    def known(self, key: str) -> tuple[str, str] | None:
        """The channel if looked up within ``ttl`` (no I/O: safe on the event loop)."""
        hit = self._found.get(key)
        return hit[1] if hit is not None and hit[0] > time.monotonic() else None

    def lookup(self, key: str) -> tuple[str, str] | None:
        found = channel_for_key(self._db, key)
        if found is not None:
            if len(self._found) >= self._size:
                self._found.clear()
            self._found[key] = (time.monotonic() + self._ttl, found)
        return found


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


def list_stores(db: Database) -> list[tuple[str, str, int, int, int, str | None, str | None]]:
    """(store, name, last seq pushed, change cursor, orders the store gave back after a
    restore, token expiry, revoked at) -- what an operator watches while stores catch up
    with a restored HQ, and whose tokens run out."""
    with db.tx(snapshot=True) as tx:
        return tx.all("SELECT s.store_id, s.name, s.last_seq, s.change_seq, (SELECT COUNT(*) FROM events e "
                      "WHERE e.store_id = s.store_id AND e.type = 'order.restored' AND e.outcome = 'applied' "
                      "AND e.reason = 'restored'), s.token_expires_at, s.revoked_at FROM stores s "
                      "ORDER BY s.store_id")
