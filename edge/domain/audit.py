"""The audit trail: who did what, when. Appended in the same transaction as the change."""

from __future__ import annotations

import json
from datetime import datetime

from sqlite_utils import Database

from edge.clock import iso


def record(db: Database, *, actor: str, action: str, entity: str, at: datetime,
           detail: dict | None = None) -> None:
    """Append one audit record; call inside the write transaction of the change."""
    db.execute(
        "INSERT INTO audit (at, actor, action, entity, detail) VALUES (?, ?, ?, ?, ?)",
        (iso(at), actor, action, entity, json.dumps(detail or {}, ensure_ascii=False)),
    )


def for_entity(db: Database, entity: str) -> list[dict]:
    """The audit records of one entity (e.g. ``order:L2026...``), oldest first."""
    rows = db.query("SELECT * FROM audit WHERE entity = ? ORDER BY id", [entity])
    return [{**row, "detail": json.loads(row["detail"])} for row in rows]
