"""Stores the terminal knows by name: this one and its neighbours (for "other store" verdicts);
and whether this store is the demo (which syncs only with its own embedded HQ)."""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime
from urllib.parse import urlsplit

from sqlite_utils import Database

from edge.clock import utcnow
from edge.db import write_tx
from edge.domain import audit


def names(db: Database, store_id: str) -> tuple[str, str]:
    """(name_zh, name_en) of a store; its id twice when the store is not known here."""
    row = db.execute("SELECT name_zh, name_en FROM stores WHERE store_id = ?", [store_id]).fetchone()
    return (row[0], row[1]) if row else (store_id, store_id)


# ---------------------------------------------------------------- the demo store
# A demo store may sync only with its own embedded HQ: the token that HQ issued it. Its demo
# orders, clerks and events must never reach a real HQ (they would be applied there).
_DEMO_KEY = "demo_hq_token_sha256"
_LOOPBACK = ("127.0.0.1", "localhost", "::1")


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def mark_demo(db: Database, hq_token: str, *, now: datetime | None = None) -> None:
    """Mark this store as the demo, bound to the embedded HQ that issued ``hq_token``."""
    now = now or utcnow()
    with write_tx(db):
        db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
                   [_DEMO_KEY, _digest(hq_token)])
        audit.record(db, actor="system", action="store.marked_demo", entity="store", at=now)


def is_demo(db: Database) -> bool:
    return db.execute("SELECT 1 FROM meta WHERE key = ?", [_DEMO_KEY]).fetchone() is not None


def demo_refuses(db: Database, hq_url: str, token: str) -> bool:
    """True when this is a demo store and ``hq_url``/``token`` are not its embedded HQ's
    (on this machine, with the token it issued): the sync must not happen."""
    row = db.execute("SELECT value FROM meta WHERE key = ?", [_DEMO_KEY]).fetchone()
    if row is None:
        return False
    host = (urlsplit(hq_url).hostname or "").lower()
    return host not in _LOOPBACK or not hmac.compare_digest(row[0], _digest(token))
