"""The transactional outbox: events for HQ, written in the same transaction as the change.

Each event has a globally unique id and a per-store sequence number assigned inside the
writing transaction, so the sequence is gapless (a rolled-back change takes its number with
it). Rows are kept after HQ acknowledges them: if HQ is restored from an older backup it asks
for them again.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime

from sqlite_utils import Database

from edge.clock import iso
from edge.domain import sync_i18n  # noqa: F401  (registers the sync.value_* messages)
from edge.domain.errors import DomainError
from sync import protocol as p

SCHEMA_VERSION = 1


def check_event(type: str, entity: str, payload: dict) -> None:
    """Refuse an event holding a value no database can store (a NUL in a lot code typed at
    goods receipt, a number beyond 64 bits, NaN): DomainError naming the field. The caller's
    transaction rolls back, so the action changes nothing. (Business rules stay HQ's: an
    event HQ may reject for its content is still sent, and parked there as ``rejected``.)"""
    problem = (p.value_problem({"type": type, "entity": entity}) or p.value_problem(payload))
    if problem is not None:
        field, kind = problem.rsplit(":", 1)
        raise DomainError(f"sync.value_{kind}", field=field)


def append(db: Database, *, type: str, entity: str, payload: dict, at: datetime,
           base_version: int | None = None) -> int:
    """Append one event; returns its sequence number. Must run inside write_tx."""
    assert db.conn.in_transaction, "outbox.append outside a write transaction"
    check_event(type, entity, payload)
    # above the floor a restore from backup leaves (HQ holds the numbers the copy lost)
    seq = db.execute("SELECT MAX(COALESCE((SELECT MAX(seq) FROM outbox), 0),"
                     " COALESCE((SELECT CAST(value AS INTEGER) FROM sync_state"
                     " WHERE key = 'outbox_floor'), 0)) + 1").fetchone()[0]
    db.execute(
        "INSERT INTO outbox (seq, event_id, type, entity, base_version, payload, schema,"
        " store_clock) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (seq, str(uuid.uuid4()), type, entity, base_version,
         json.dumps(payload, ensure_ascii=False, separators=(",", ":")), SCHEMA_VERSION, iso(at)),
    )
    return seq


def pending_count(db: Database) -> int:
    """Events HQ has not acknowledged yet (shown in the status bar)."""
    return db.execute("SELECT COUNT(*) FROM outbox WHERE acked_at IS NULL").fetchone()[0]


def events(db: Database, *, after_seq: int = 0, limit: int = 500) -> list[dict]:
    """Events in sequence order, payload decoded."""
    rows = db.query("SELECT * FROM outbox WHERE seq > ? ORDER BY seq LIMIT ?", [after_seq, limit])
    return [{**row, "payload": json.loads(row["payload"])} for row in rows]
