"""HQ's copy of store tasks (preparation, exceptions): created by HQ, edited by both sides."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ..protocol import CH_TASK_UPDATED, TaskUpdate
from . import rules
from .changes import emit
from .clock import iso
from .codec import dumps, loads
from .db import Tx

_COLUMNS = "task_id, store_id, kind, order_no, status, title, due_at, fields, version"
# ids HQ issues (``prep-<order_no>``, ``neg-<store>:<sku>:<seq>``): a store may edit such a
# task of its own but never create one, or it could take the id of a task HQ is about to
# create for an order (its own or another store's) and make that order fail. A store creates
# tasks only as ``<store_id>:…`` (apply_store_update).


def _row_to_task(row: tuple) -> dict[str, Any]:
    task = dict(zip(_COLUMNS.split(", "), row))
    task["fields"] = loads(task["fields"])
    return task


def load_task(tx: Tx, store_id: str, task_id: str) -> dict[str, Any] | None:
    """The store's task (another store's is not found: tasks are keyed by store)."""
    row = tx.one(f"SELECT {_COLUMNS} FROM tasks WHERE store_id = ? AND task_id = ?", (store_id, task_id))
    return None if row is None else _row_to_task(row)


def task_payload(tx: Tx, store_id: str, task_id: str) -> dict[str, Any]:
    """The ``task.updated`` change payload (protocol.TaskChange)."""
    task = load_task(tx, store_id, task_id)
    assert task is not None
    task.pop("store_id")
    return task


def create_task(tx: Tx, store_id: str, task_id: str, kind: str, title: str, now: datetime, *,
                order_no: str | None = None, due_at: str | None = None,
                fields: dict[str, Any] | None = None) -> None:
    """Create a task at HQ and send it to the store."""
    emit(tx, store_id, CH_TASK_UPDATED, new_task(tx, store_id, task_id, kind, title, now, order_no=order_no,
                                                 due_at=due_at, fields=fields), now)


def new_task(tx: Tx, store_id: str, task_id: str, kind: str, title: str, now: datetime, *,
             order_no: str | None = None, due_at: str | None = None,
             fields: dict[str, Any] | None = None) -> dict[str, Any]:
    """Write a task at HQ; returns its ``task.updated`` payload (task_payload's, built from
    what was just written) for the caller to send."""
    task = {"task_id": task_id, "store_id": store_id, "kind": kind, "order_no": order_no,
            "status": "open", "title": title, "due_at": due_at, "fields": fields or {}, "version": 1}
    tx.run(f"INSERT INTO tasks ({_COLUMNS}, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
           (*{**task, "fields": dumps(task["fields"])}.values(), iso(now)))
    task.pop("store_id")
    return task


def _save(tx: Tx, task: dict[str, Any], now: datetime) -> None:
    tx.run("UPDATE tasks SET status = ?, fields = ?, version = version + 1, updated_at = ? "
           "WHERE store_id = ? AND task_id = ?",
           (task["status"], dumps(task["fields"]), iso(now), task["store_id"], task["task_id"]))


def set_status_from_hq(tx: Tx, store_id: str, task_id: str, status: str, now: datetime) -> None:
    """HQ moves a task (e.g. prep task cancelled with its order); forward only."""
    task = load_task(tx, store_id, task_id)
    if task is None:
        return
    merged = rules.merge_task(task, TaskUpdate(task_id=task_id, status=status))
    if merged != task:
        _save(tx, merged, now)
        emit(tx, store_id, CH_TASK_UPDATED, task_payload(tx, store_id, task_id), now)


def apply_store_update(tx: Tx, store_id: str, update: TaskUpdate, now: datetime) -> str | None:
    """Merge a store's edit (LWW fields, forward status). Returns a rejection reason or None.

    An unknown task id creates a store-originated task when it is in the store's own id space
    (``<store_id>:…``); any other unknown id, and a task of another store, is answered as
    unknown. If the merge refuses the store's
    status (it would move backwards), HQ sends the task back so the store converges."""
    task = load_task(tx, store_id, update.task_id)
    if task is None and not update.task_id.startswith(f"{store_id}:"):
        # a store creates tasks only in its own id space (``<store_id>:…``): an id HQ issues
        # (prep-, neg-) or one another store may use later is never the store's to take
        return "unknown_task"
    if task is None:
        tx.run(f"INSERT INTO tasks ({_COLUMNS}, updated_at) VALUES (?, ?, 'store', NULL, ?, '', NULL, ?, 1, ?)",
               (update.task_id, store_id, update.status or "open", dumps(update.fields), iso(now)))
        return None
    if task["store_id"] != store_id:
        return "unknown_task"
    merged = rules.merge_task(task, update)
    if merged != task:
        _save(tx, merged, now)
    if update.status is not None and merged["status"] != update.status:
        emit(tx, store_id, CH_TASK_UPDATED, task_payload(tx, store_id, update.task_id), now)
    return None
