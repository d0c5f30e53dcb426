"""Where the store stands with HQ: pull cursor, HQ epoch, last successful sync (``sync_state``).

Kept as key/value rows so a new piece of sync bookkeeping needs no migration. The cursor and
epoch are only ever written inside the transaction that applies HQ's changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlite_utils import Database

from edge.clock import iso
from edge.db import write_tx

CURSOR, EPOCH, LAST_OK, LAST_ERROR, HQ_ACKED = "cursor", "epoch", "last_ok", "last_error", "hq_acked_seq"
# after `store-edge restore`: the outbox's last seq in the restored copy, until the next sync
# has taken HQ's snapshot (hq_apply.rejoin_after_restore)
RESTORED = "restored_outbox_seq"
# the outbox's numbering continues above this (HQ holds events up to it the copy had lost)
OUTBOX_FLOOR = "outbox_floor"


@dataclass(frozen=True)
class Position:
    cursor: int
    epoch: str | None


def get(db: Database, key: str) -> str | None:
    row = db.execute("SELECT value FROM sync_state WHERE key = ?", [key]).fetchone()
    return row[0] if row else None


def put(db: Database, key: str, value: str) -> None:
    """Set one value (inside the caller's write_tx, or its own)."""
    with write_tx(db):
        db.execute("INSERT INTO sync_state (key, value) VALUES (?, ?)"
                   " ON CONFLICT(key) DO UPDATE SET value = excluded.value", [key, value])


def position(db: Database) -> Position:
    return Position(int(get(db, CURSOR) or 0), get(db, EPOCH))


def move_to(db: Database, cursor: int, epoch: str) -> None:
    """Store the pull position (must run in the transaction that applied the page)."""
    assert db.conn.in_transaction, "sync position moved outside the applying transaction"
    put(db, CURSOR, str(cursor))
    put(db, EPOCH, epoch)


def mark_ok(db: Database, at: datetime) -> None:
    with write_tx(db):
        put(db, LAST_OK, iso(at))
        db.execute("DELETE FROM sync_state WHERE key = ?", [LAST_ERROR])


def mark_error(db: Database, message: str) -> None:
    put(db, LAST_ERROR, message[:500])
