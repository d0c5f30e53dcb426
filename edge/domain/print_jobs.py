"""The persisted print queue: a job is queued in the transaction of the action that asks for it.

Job life: ``queued → printing → printed``. A printer that is offline, out of paper or open
never fails a job: the job goes ``failed_waiting`` with the reason (shown on the print-queue
screen and the status bar) and the worker retries it by itself once the printer is back —
nothing was sent, so nothing can print twice.

Paper is at-most-once. ``start_job`` claims a job with a status change in its own write
transaction *before* any byte goes to the printer; ``mark_printed`` follows once the printer
took every byte. A job found ``printing`` after a crash (or after a transport error in the
middle of sending) may or may not be on paper: it is NOT retried automatically but set
``failed_waiting`` with reason ``interrupted``; a person looks at the printer and, if the
receipt is missing, asks for an explicit ``reprint`` — a new job marked as a COPY (audited).
So an unlucky crash can cost one click, never a duplicate receipt the customer did not ask for.

Print-job changes are audited; they are not outbox events: HQ has no use for paper state.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlite_utils import Database

import edge.device_text  # noqa: F401  (registers dev.* strings)
from edge.clock import iso, utcnow
from edge.db import write_tx
from edge.domain import audit, clerks, orders, pickup, sales
from edge.domain.errors import DomainError
from edge.domain.orders import Order
from edge.domain.print_docs import (
    PrintSettings, labels_for_order, receipt_for_order, receipt_for_sale, report_for_day_end,
)
from edge.store import Store

KINDS = ("receipt", "bag_label", "day_end")  # checked here, not by the table (migration 5)
ROLES = ("receipt", "label")
OPEN_STATUSES = ("queued", "printing", "failed_waiting")
# reasons a waiting job is retried for automatically: the printer refused before any byte
RETRYABLE = frozenset({"offline", "paper_out", "cover_open", "not_writable", "permission_denied",
                       "not_found", "bad_url", "io_error", "bad_reply"})
NEEDS_PERSON = frozenset({"interrupted", "bad_job"})


@dataclass(frozen=True)
class PrintJob:
    id: int
    kind: str
    ref: str
    printer: str
    payload: dict
    status: str
    attempts: int
    last_error: str | None
    copy_of: int | None
    created_by: str
    created_at: str
    printed_at: str | None

    @property
    def is_copy(self) -> bool:
        return self.copy_of is not None

    @property
    def needs_person(self) -> bool:
        """Waiting for a decision (reprint as copy, or cancel), not for the printer."""
        return self.status == "failed_waiting" and self.last_error in NEEDS_PERSON


_COLS = ("id, kind, ref, printer, payload, status, attempts, last_error, copy_of, created_by,"
         " created_at, printed_at")


def _job(row: tuple) -> PrintJob:
    return PrintJob(row[0], row[1], row[2], row[3], json.loads(row[4]), *row[5:])


def get_job(db: Database, job_id: int) -> PrintJob | None:
    row = db.execute(f"SELECT {_COLS} FROM print_jobs WHERE id = ?", [job_id]).fetchone()
    return _job(row) if row else None


def _require(db: Database, job_id: int) -> PrintJob:
    job = get_job(db, job_id)
    if job is None:
        raise DomainError("dev.print.unknown_job", job_id=job_id)
    return job


# ---------------------------------------------------------------- queueing

def _insert(db: Database, *, kind: str, ref: str, printer: str, payload: dict, actor: str,
            at: datetime, copy_of: int | None = None) -> int:
    """Insert one job and its audit record; must run inside the caller's write_tx."""
    assert db.conn.in_transaction, "print job queued outside a write transaction"
    assert kind in KINDS, f"unknown print job kind {kind}"
    cur = db.execute(
        "INSERT INTO print_jobs (kind, ref, printer, payload, copy_of, created_by, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        [kind, ref, printer, json.dumps(payload, ensure_ascii=False), copy_of, actor, iso(at)])
    job_id = cur.lastrowid
    audit.record(db, actor=actor, action="print.queued", entity=f"print_job:{job_id}", at=at,
                 detail={"kind": kind, "ref": ref, "printer": printer, "copy_of": copy_of})
    return job_id


def queue_receipt(store: Store, order_no: str, *, actor: str, settings: PrintSettings | None = None,
                  now: datetime | None = None) -> int:
    """Queue the hand-over receipt of an order; joins the caller's transaction if any."""
    now = now or utcnow()
    settings = settings or PrintSettings()
    with write_tx(store.db):
        order = orders.require_order(store.db, order_no)
        payload = receipt_for_order(store.db, order, settings)
        return _insert(store.db, kind="receipt", ref=order_no, printer="receipt",
                       payload=payload, actor=actor, at=now)


def queue_sale_receipt(store: Store, sale_id: str, *, actor: str,
                       settings: PrintSettings | None = None, now: datetime | None = None) -> int:
    """Queue the receipt of a counter sale; joins the caller's transaction if any."""
    now = now or utcnow()
    with write_tx(store.db):
        payload = receipt_for_sale(store.db, store.store_id, sale_id, settings or PrintSettings())
        return _insert(store.db, kind="receipt", ref=sale_id, printer="receipt", payload=payload,
                       actor=actor, at=now)


def sell_and_print(store: Store, lines: list[sales.SaleLine], clerk_id: str, *,
                   print_receipt: bool = True, settings: PrintSettings | None = None,
                   with_pickup_order_no: str | None = None, payment_method: str = "wechat",
                   now: datetime | None = None) -> tuple[sales.Sale, int | None]:
    """A counter sale and its receipt job in ONE transaction: both or neither."""
    now = now or utcnow()
    with write_tx(store.db):
        sale = sales.sell(store, lines, clerk_id, with_pickup_order_no=with_pickup_order_no,
                          payment_method=payment_method, now=now)
        job_id = (queue_sale_receipt(store, sale.sale_id, actor=clerk_id, settings=settings, now=now)
                  if print_receipt else None)
    return sale, job_id


def queue_day_end(store: Store, report, *, actor: str, settings: PrintSettings | None = None,
                  now: datetime | None = None) -> int:
    """Queue the day-end report (a ``day_end.DayEnd``) on the receipt printer; manager only."""
    now = now or utcnow()
    clerks.require_manager(store.db, actor)
    with write_tx(store.db):
        payload = report_for_day_end(store.db, report, settings or PrintSettings())
        return _insert(store.db, kind="day_end", ref=f"day_end:{report.day}", printer="receipt",
                       payload=payload, actor=actor, at=now)


def queue_bag_labels(store: Store, order_no: str, *, actor: str,
                     settings: PrintSettings | None = None, zones: list[str] | None = None,
                     now: datetime | None = None) -> list[int]:
    """Queue one label per bag (or only ``zones``); joins the caller's transaction if any."""
    now = now or utcnow()
    settings = settings or PrintSettings()
    with write_tx(store.db):
        order = orders.require_order(store.db, order_no)
        labels = [p for p in labels_for_order(order, settings) if zones is None or p["zone"] in zones]
        if not labels:
            raise DomainError("dev.print.nothing_to_print", order_no=order_no)
        return [_insert(store.db, kind="bag_label", ref=order_no, printer="label", payload=p,
                        actor=actor, at=now) for p in labels]


def handover_and_print(store: Store, order_no: str, clerk_id: str, *, print_receipt: bool = True,
                       settings: PrintSettings | None = None, scanned_at: datetime | None = None,
                       not_taken: list[pickup.NotTaken] | tuple = (),
                       override: pickup.Override | None = None,
                       now: datetime | None = None) -> tuple[Order, int | None]:
    """Hand an order over and queue its receipt in ONE transaction: both or neither.

    A manager override's PIN is checked before the transaction, so a wrong PIN is counted
    (lockout) even though the hand-over is then refused and rolled back.
    """
    now = now or utcnow()
    if override is not None and override.reason.strip():
        clerks.authenticate_manager(store.db, override.manager_id, override.pin, now=now)
    with write_tx(store.db):
        order = pickup.hand_over(store, order_no, clerk_id, scanned_at=scanned_at,
                                 not_taken=not_taken, override=override, now=now)
        job_id = (queue_receipt(store, order_no, actor=clerk_id, settings=settings, now=now)
                  if print_receipt else None)
    return order, job_id


def pack_bag_and_label(store: Store, order_no: str, zone: str, slot: str, *, actor: str,
                       settings: PrintSettings | None = None,
                       now: datetime | None = None) -> tuple[Order, int]:
    """Mark a bag packed and queue its label, in one transaction (task board)."""
    now = now or utcnow()
    with write_tx(store.db):
        order = orders.pack_bag(store.db, order_no, zone, slot, actor=actor, now=now)
        [job_id] = queue_bag_labels(store, order_no, actor=actor, settings=settings,
                                    zones=[zone], now=now)
    return order, job_id


def reprint(store: Store, job_id: int, *, actor: str, now: datetime | None = None) -> int:
    """An explicit reprint: a new job, marked as a COPY on paper and in the queue (audited).

    If the original is still waiting for a person (interrupted, unprintable), the copy
    replaces it, so the queue does not keep a job nobody will print.
    """
    now = now or utcnow()
    db = store.db
    with write_tx(db):
        original = _require(db, job_id)
        payload = {**original.payload, "copy": True}
        new_id = _insert(db, kind=original.kind, ref=original.ref, printer=original.printer,
                         payload=payload, actor=actor, at=now, copy_of=original.id)
        audit.record(db, actor=actor, action="print.reprint", entity=f"print_job:{job_id}",
                     at=now, detail={"copy_id": new_id, "ref": original.ref})
        if original.needs_person:
            _set(db, original.id, "cancelled", f"replaced:{new_id}", actor, now)
    return new_id


def cancel_job(store: Store, job_id: int, *, actor: str, now: datetime | None = None) -> None:
    """Drop a job that has not printed (e.g. the customer left); audited."""
    now = now or utcnow()
    with write_tx(store.db):
        job = _require(store.db, job_id)
        if job.status not in ("queued", "failed_waiting"):
            raise DomainError("dev.print.cannot_cancel", job_id=job_id, status=job.status)
        _set(store.db, job_id, "cancelled", "cancelled", actor, now)


# ---------------------------------------------------------------- the worker's side

def next_job(db: Database, printers: tuple[str, ...] = ROLES) -> PrintJob | None:
    """The oldest job the worker may print now: queued, or waiting on the printer only."""
    marks = ",".join("?" * len(printers))
    waits = ",".join("?" * len(RETRYABLE))
    row = db.execute(
        f"SELECT {_COLS} FROM print_jobs WHERE printer IN ({marks}) AND (status = 'queued'"
        f" OR (status = 'failed_waiting' AND last_error IN ({waits}))) ORDER BY id LIMIT 1",
        [*printers, *sorted(RETRYABLE)]).fetchone()
    return _job(row) if row else None


def start_job(store: Store, job_id: int, *, actor: str = "printer",
              now: datetime | None = None) -> None:
    """Claim a job before sending it: only one worker, only once (guarded status change)."""
    now = now or utcnow()
    retry = ",".join("?" * len(RETRYABLE))
    with write_tx(store.db):
        cur = store.db.execute(
            "UPDATE print_jobs SET status = 'printing', attempts = attempts + 1, started_at = ?"
            f" WHERE id = ? AND (status = 'queued' OR (status = 'failed_waiting'"
            f" AND last_error IN ({retry})))", [iso(now), job_id, *sorted(RETRYABLE)])
        if cur.rowcount != 1:
            job = _require(store.db, job_id)
            raise DomainError("dev.print.not_claimable", job_id=job_id, status=job.status)
        audit.record(store.db, actor=actor, action="print.started", entity=f"print_job:{job_id}",
                     at=now)


def mark_printed(store: Store, job_id: int, *, actor: str = "printer",
                 now: datetime | None = None) -> None:
    """The printer took every byte of a claimed job."""
    now = now or utcnow()
    with write_tx(store.db):
        cur = store.db.execute(
            "UPDATE print_jobs SET status = 'printed', printed_at = ?, last_error = NULL"
            " WHERE id = ? AND status = 'printing'", [iso(now), job_id])
        if cur.rowcount != 1:
            job = _require(store.db, job_id)
            raise DomainError("dev.print.not_claimable", job_id=job_id, status=job.status)
        audit.record(store.db, actor=actor, action="print.printed", entity=f"print_job:{job_id}",
                     at=now)


def mark_waiting(store: Store, job_id: int, reason: str, *, actor: str = "printer",
                 now: datetime | None = None) -> bool:
    """The job waits, with the reason; a no-op if it already waits for that reason.

    Only jobs not yet on paper: a printed or cancelled job is left alone (returns False).
    """
    now = now or utcnow()
    with write_tx(store.db):
        job = _require(store.db, job_id)
        if job.status not in OPEN_STATUSES:
            return False
        if job.status == "failed_waiting" and job.last_error == reason:
            return False
        _set(store.db, job_id, "failed_waiting", reason, actor, now)
    return True


def recover_interrupted(store: Store, printers: tuple[str, ...] = ROLES, *,
                        actor: str = "printer", now: datetime | None = None) -> list[int]:
    """At a worker's start: its jobs left ``printing`` may be on paper; they wait for a person.

    Only the given printers' jobs: another printer's worker may be printing right now.
    """
    now = now or utcnow()
    marks = ",".join("?" * len(printers))
    with write_tx(store.db):
        ids = [r[0] for r in store.db.execute(
            f"SELECT id FROM print_jobs WHERE status = 'printing' AND printer IN ({marks})",
            list(printers))]
        for job_id in ids:
            _set(store.db, job_id, "failed_waiting", "interrupted", actor, now)
    return ids


def _set(db: Database, job_id: int, status: str, reason: str | None, actor: str,
         at: datetime) -> None:
    db.execute("UPDATE print_jobs SET status = ?, last_error = ? WHERE id = ?",
               [status, reason, job_id])
    audit.record(db, actor=actor, action=f"print.{status}", entity=f"print_job:{job_id}", at=at,
                 detail={"reason": reason})


# ---------------------------------------------------------------- reading the queue

def list_jobs(db: Database, *, limit: int = 100, open_only: bool = False) -> list[PrintJob]:
    """Newest first: what the print-queue screen shows."""
    where = "WHERE status IN ('queued','printing','failed_waiting')" if open_only else ""
    rows = db.execute(f"SELECT {_COLS} FROM print_jobs {where} ORDER BY id DESC LIMIT ?", [limit])
    return [_job(r) for r in rows]


def jobs_for(db: Database, ref: str) -> list[PrintJob]:
    rows = db.execute(f"SELECT {_COLS} FROM print_jobs WHERE ref = ? ORDER BY id", [ref])
    return [_job(r) for r in rows]


def waiting_counts(db: Database) -> dict[str, int]:
    """Open jobs per status (status bar: "2 receipts waiting")."""
    rows = db.execute("SELECT status, COUNT(*) FROM print_jobs WHERE status IN"
                      " ('queued','printing','failed_waiting') GROUP BY status")
    return {status: n for status, n in rows}
