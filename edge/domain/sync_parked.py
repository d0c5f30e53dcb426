"""Events HQ refused as malformed (a 4xx for the event itself): parked, never lost.

The sync client parks such an event instead of re-sending it for ever: the outbox row stays
exactly as it was, HQ receives a stand-in (``event.parked``) under the same seq and event id
so everything behind it goes on, and a conflict tells the manager (F4). Once the cause is
fixed (e.g. a newer HQ, or a repaired row), the manager sends a copy again as a new event.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlite_utils import Database

from edge.clock import iso, utcnow
from edge.db import write_tx
from edge.domain import audit, clerks, conflicts, outbox
from edge.domain import sync_i18n  # noqa: F401  (registers sync.parked_* messages)
from edge.domain.errors import DomainError
from sync import protocol as p

KIND = "sync_parked"


@dataclass(frozen=True)
class Parked:
    seq: int
    event_id: str
    type: str
    reason: str
    parked_at: str
    retried_as: int | None


def park(db: Database, seq: int, reason: str, *, now: datetime | None = None) -> bool:
    """Park outbox event ``seq`` (HQ refused it with ``reason``); True if newly parked."""
    now = now or utcnow()
    reason = p.escape_unstorable(reason)[:200]
    with write_tx(db):
        row = db.execute("SELECT event_id, type, entity FROM outbox WHERE seq = ?", [seq]).fetchone()
        if row is None or db.execute("SELECT 1 FROM sync_parked WHERE seq = ?", [seq]).fetchone():
            return False
        db.execute("INSERT INTO sync_parked (seq, event_id, type, reason, parked_at) VALUES (?, ?, ?, ?, ?)",
                   [seq, row[0], row[1], reason, iso(now)])
        conflicts.note(db, conflict_id=conflicts.conflict_id(KIND, str(seq)), kind=KIND, source="store",
                       detail=f"#{seq} {row[1]} {row[2]}: {reason}", now=now)
        audit.record(db, actor="sync", action="sync.parked", entity=f"outbox:{seq}", at=now,
                     detail={"event_id": row[0], "type": row[1], "reason": reason})
    return True


def stand_ins(db: Database, seqs: list[int]) -> dict[int, dict]:
    """For the parked ones among ``seqs``: the ``event.parked`` payload HQ gets instead."""
    if not seqs:
        return {}
    marks = ",".join("?" * len(seqs))
    rows = db.execute(f"SELECT seq, type, reason FROM sync_parked WHERE seq IN ({marks})", seqs).fetchall()
    return {seq: {"type": kind, "reason": reason} for seq, kind, reason in rows}


def is_parked(db: Database, seq: int) -> bool:
    return db.execute("SELECT 1 FROM sync_parked WHERE seq = ?", [seq]).fetchone() is not None


def parked(db: Database) -> list[Parked]:
    rows = db.execute("SELECT seq, event_id, type, reason, parked_at, retried_as FROM sync_parked"
                      " ORDER BY seq").fetchall()
    return [Parked(*r) for r in rows]


def retry(db: Database, seq: int, *, actor: str, now: datetime | None = None) -> int:
    """A manager sends parked event ``seq`` again as a new event (new seq and id); returns
    the new seq. The parked row and its conflict are closed; the original row stays."""
    now = now or utcnow()
    with write_tx(db):
        clerks.require_manager(db, actor)
        row = db.execute("SELECT o.type, o.entity, o.payload, o.base_version, k.retried_as FROM sync_parked k"
                         " JOIN outbox o ON o.seq = k.seq WHERE k.seq = ?", [seq]).fetchone()
        if row is None:
            raise DomainError("sync.parked_unknown", seq=seq)
        if row[4] is not None:
            raise DomainError("sync.parked_already_retried", seq=seq, new_seq=row[4])
        try:
            payload = json.loads(row[2])
        except ValueError:
            raise DomainError("sync.parked_unreadable", seq=seq) from None
        if not isinstance(payload, dict):
            raise DomainError("sync.parked_unreadable", seq=seq)
        new_seq = outbox.append(db, type=row[0], entity=row[1], payload=payload, at=now, base_version=row[3])
        db.execute("UPDATE sync_parked SET retried_as = ?, retried_by = ? WHERE seq = ?", [new_seq, actor, seq])
        audit.record(db, actor=actor, action="sync.parked_retried", entity=f"outbox:{seq}", at=now,
                     detail={"new_seq": new_seq})
        conflicts.acknowledge(db, conflicts.conflict_id(KIND, str(seq)), actor=actor, now=now)
    return new_seq
