"""Conflicts needing a person's attention: noted by the store's rules or sent by HQ.

One row per conflict id. The store uses HQ's id scheme (``<kind>:<order_no>``) for the
conflicts it notes itself, so when HQ notes the same conflict the two become one row. A
manager acknowledges a conflict once it is dealt with (e.g. the refund decided).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlite_utils import Database

from edge.clock import iso, utcnow
from edge.db import write_tx
from edge.domain import audit
from edge.domain import sync_i18n  # noqa: F401  (registers sync.* messages)
from edge.domain.errors import DomainError

_COLS = ("conflict_id, kind, order_no, sku, detail, source, noted_at, acknowledged_at,"
         " acknowledged_by")


@dataclass(frozen=True)
class Conflict:
    conflict_id: str
    kind: str
    order_no: str | None
    sku: str | None
    detail: str
    source: str
    noted_at: str
    acknowledged_at: str | None
    acknowledged_by: str | None


def conflict_id(kind: str, key: str) -> str:
    """The id HQ gives the same conflict (``orders._record_conflict``)."""
    return f"{kind}:{key}"


def note(db: Database, *, conflict_id: str, kind: str, source: str, detail: str = "",
         order_no: str | None = None, sku: str | None = None,
         now: datetime | None = None) -> bool:
    """Record a conflict (idempotent by id; HQ's detail replaces the store's); True if new."""
    now = now or utcnow()
    with write_tx(db):
        known = db.execute("SELECT 1 FROM conflicts WHERE conflict_id = ?", [conflict_id]).fetchone()
        db.execute(
            f"INSERT INTO conflicts ({_COLS}) VALUES (?,?,?,?,?,?,?,NULL,NULL)"
            " ON CONFLICT(conflict_id) DO UPDATE SET detail = excluded.detail,"
            " source = excluded.source WHERE excluded.source = 'hq'",
            [conflict_id, kind, order_no, sku, detail, source, iso(now)])
        if known is None:
            entity = f"order:{order_no}" if order_no else f"conflict:{conflict_id}"
            audit.record(db, actor=source, action="conflict.noted", entity=entity, at=now,
                         detail={"conflict_id": conflict_id, "kind": kind, "detail": detail})
    return known is None


def open_conflicts(db: Database) -> list[Conflict]:
    rows = db.execute(f"SELECT {_COLS} FROM conflicts WHERE acknowledged_at IS NULL"
                      " ORDER BY noted_at").fetchall()
    return [Conflict(*r) for r in rows]


def open_count(db: Database) -> int:
    return db.execute("SELECT COUNT(*) FROM conflicts WHERE acknowledged_at IS NULL").fetchone()[0]


def acknowledge(db: Database, conflict_id: str, *, actor: str, now: datetime | None = None) -> None:
    """A manager has dealt with it: it leaves the status bar count."""
    now = now or utcnow()
    with write_tx(db):
        cur = db.execute("UPDATE conflicts SET acknowledged_at = ?, acknowledged_by = ?"
                         " WHERE conflict_id = ? AND acknowledged_at IS NULL",
                         [iso(now), actor, conflict_id])
        if cur.rowcount != 1 and not db.execute(
                "SELECT 1 FROM conflicts WHERE conflict_id = ?", [conflict_id]).fetchone():
            raise DomainError("sync.conflict_unknown", conflict_id=conflict_id)
        audit.record(db, actor=actor, action="conflict.acknowledged",
                     entity=f"conflict:{conflict_id}", at=now)
