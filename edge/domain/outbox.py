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

SCHEMA_VERSION = 1


def append(db: Database, *, type: str, entity: str, payload: dict, at: datetime,
           base_version: int | None = None) -> int:
    """Append one event; returns its sequence number. Must run inside write_tx."""
    assert db.conn.in_transaction, "outbox.append outside a write transaction"
    seq = db.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM outbox").fetchone()[0]
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
