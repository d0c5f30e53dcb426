"""Tasks on the store's board (prepare an order, an exception, a reminder): created by HQ,
edited on both sides.

HQ's copy wins by version (``task.updated`` changes), except that a status never moves
backwards and the store's own edits still waiting in the outbox stay on top: HQ will
receive them after the version it just sent, so they are the later write.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlite_utils import Database

from edge.clock import iso, utcnow
from edge.db import write_tx
from edge.domain import audit, hq_rules, outbox
from edge.domain import sync_i18n  # noqa: F401  (registers sync.* messages)
from edge.domain.errors import DomainError

STATUSES = ("open", "in_progress", "done", "cancelled")
_COLS = "task_id, kind, status, order_no, title, due_at, fields, version, updated_at"


@dataclass
class Task:
    task_id: str
    kind: str
    status: str
    order_no: str | None
    title: str
    due_at: str | None
    fields: dict
    version: int
    updated_at: str


def _task(row: tuple) -> Task:
    task = Task(*row)
    task.fields = json.loads(task.fields)
    return task


def get_task(db: Database, task_id: str) -> Task | None:
    row = db.execute(f"SELECT {_COLS} FROM tasks WHERE task_id = ?", [task_id]).fetchone()
    return _task(row) if row else None


def board(db: Database, *, include_closed: bool = False, limit: int = 2000) -> list[Task]:
    """Tasks by due time, open ones first (the task board)."""
    where = "" if include_closed else "WHERE status IN ('open', 'in_progress')"
    rows = db.execute(f"SELECT {_COLS} FROM tasks {where} ORDER BY due_at IS NULL, due_at,"
                      " task_id LIMIT ?", [limit]).fetchall()
    return [_task(r) for r in rows]


def _pending_edits(db: Database, task_id: str) -> tuple[str | None, dict]:
    """The store's unacknowledged edits of a task, merged in seq order."""
    status, fields = None, {}
    for (payload,) in db.execute(
            "SELECT payload FROM outbox WHERE acked_at IS NULL AND type = 'task.updated'"
            " AND entity = ? ORDER BY seq", [f"task:{task_id}"]):
        edit = json.loads(payload)
        if edit.get("status"):
            status = hq_rules.task_status_forward_only(status, edit["status"])
        fields.update(edit.get("fields") or {})
    return status, fields


def apply_from_hq(db: Database, change: dict, *, now: datetime | None = None) -> bool:
    """Upsert HQ's task if its version is newer; True when something changed."""
    now = now or utcnow()
    with write_tx(db):
        held = get_task(db, change["task_id"])
        if not hq_rules.newer_version_wins(change["version"], held.version if held else None):
            return False
        pending_status, pending_fields = _pending_edits(db, change["task_id"])
        status = hq_rules.task_status_forward_only(held.status if held else None, change["status"])
        if pending_status:
            status = hq_rules.task_status_forward_only(status, pending_status)
        fields = {**change.get("fields", {}), **pending_fields}
        db.execute(
            f"INSERT OR REPLACE INTO tasks ({_COLS}) VALUES (?,?,?,?,?,?,?,?,?)",
            [change["task_id"], change["kind"], status, change.get("order_no"),
             change.get("title", ""), change.get("due_at"),
             json.dumps(fields, ensure_ascii=False), change["version"], iso(now)])
        audit.record(db, actor="hq", action="task.synced", entity=f"task:{change['task_id']}",
                     at=now, detail={"version": change["version"], "status": status})
    return True


def update_task(db: Database, task_id: str, *, actor: str, status: str | None = None,
                fields: dict | None = None, now: datetime | None = None) -> Task:
    """A store edit (the board: start, finish, note): written here and sent to HQ."""
    now = now or utcnow()
    if status is not None and status not in STATUSES:
        raise DomainError("sync.task_bad_status", status=status)
    with write_tx(db):
        task = get_task(db, task_id)
        if task is None:
            raise DomainError("sync.task_unknown", task_id=task_id)
        new_status = hq_rules.task_status_forward_only(task.status, status) if status else task.status
        merged = {**task.fields, **(fields or {})}
        db.execute("UPDATE tasks SET status = ?, fields = ?, updated_at = ? WHERE task_id = ?",
                   [new_status, json.dumps(merged, ensure_ascii=False), iso(now), task_id])
        audit.record(db, actor=actor, action="task.updated", entity=f"task:{task_id}", at=now,
                     detail={"status": new_status, "fields": fields or {}})
        payload: dict = {"task_id": task_id, "fields": fields or {}}
        if status:
            payload["status"] = new_status
        outbox.append(db, type="task.updated", entity=f"task:{task_id}", at=now, payload=payload)
    result = get_task(db, task_id)
    assert result is not None
    return result


def create_own(db: Database, task_id: str, *, actor: str, fields: dict, title: str = "",
               due_at: str | None = None, now: datetime | None = None) -> Task:
    """A task the store starts itself (a prep batch): written here and sent to HQ, which
    takes it as the store's own (its id must be ``<store_id>:…``, HQ refuses any other)."""
    now = now or utcnow()
    with write_tx(db):
        if get_task(db, task_id) is not None:
            raise DomainError("sync.task_exists", task_id=task_id)
        db.execute(f"INSERT INTO tasks ({_COLS}) VALUES (?,?,?,?,?,?,?,?,?)",
                   [task_id, "store", "open", None, title, due_at,
                    json.dumps(fields, ensure_ascii=False), 0, iso(now)])
        audit.record(db, actor=actor, action="task.created", entity=f"task:{task_id}", at=now,
                     detail={"fields": fields})
        outbox.append(db, type="task.updated", entity=f"task:{task_id}", at=now,
                      payload={"task_id": task_id, "status": "open", "fields": fields})
    task = get_task(db, task_id)
    assert task is not None
    return task


def close_missing(db: Database, keep: set[str], *, now: datetime | None = None) -> int:
    """After a snapshot: open tasks HQ no longer lists are done at HQ (it lists open ones)."""
    now = now or utcnow()
    with write_tx(db):
        open_ids = [r[0] for r in db.execute(
            "SELECT task_id FROM tasks WHERE status IN ('open', 'in_progress')")]
        gone = [task_id for task_id in open_ids if task_id not in keep]
        for task_id in gone:
            db.execute("UPDATE tasks SET status = 'done', updated_at = ? WHERE task_id = ?",
                       [iso(now), task_id])
            audit.record(db, actor="hq", action="task.closed_by_snapshot",
                         entity=f"task:{task_id}", at=now)
    return len(gone)
