"""Printing in the background: devices' PrintWorker over the store's persisted print queue.

One worker per configured printer ("receipt", "label"); with no label printer, the receipt
printer prints bag labels too. Each worker opens its own Store in its own thread. The
worker's queue callables are ``SqliteQueue``; the printer connection is wrapped so the queue
learns whether bytes may have reached the paper:

* the printer refuses before sending (offline, paper out, cover open): the job waits with the
  reason and is retried by itself when the printer is back;
* the transport fails while sending: the job waits as ``interrupted`` for a person (reprint as
  copy), never re-sent on its own — see ``edge.domain.print_jobs`` for why.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from devices import factory
from devices.config import PrinterConfig
from devices.printers import PrinterConnection, PrinterError, PrinterStatus, PrintJob, PrintWorker
from edge.domain import print_jobs
from edge.domain.print_docs import label_from_payload, receipt_from_payload, report_from_payload
from edge.i18n import t
from edge.services.callbacks import notify
from edge.store import Store

log = logging.getLogger(__name__)


def render_job(job: print_jobs.PrintJob, printer: PrinterConfig) -> bytes:
    """The bytes of a stored document for this printer (paper width, font mode, protocol)."""
    if job.kind == "receipt":
        return factory.render_receipt_for(printer, receipt_from_payload(job.payload))
    if job.kind == "day_end":
        return factory.render_report_for(printer, report_from_payload(job.payload))
    return factory.render_label_for(printer, label_from_payload(job.payload))


class SqliteQueue:
    """The PrintWorker's callables over ``print_jobs``; used only from the worker's thread."""

    def __init__(self, data_dir: Path, roles: tuple[str, ...], printer: PrinterConfig,
                 on_change: Callable[[], None] | None = None) -> None:
        self.data_dir = Path(data_dir)
        self.roles = roles
        self.printer = printer
        self.on_change = on_change
        self.store: Store | None = None
        self.current: int | None = None  # the job fetched last (status checks refer to it)
        self._rendered: tuple[int, bytes] | None = None

    def open(self) -> None:
        self.store = Store.open(self.data_dir)
        if print_jobs.recover_interrupted(self.store, self.roles):
            self._changed()

    def close(self) -> None:
        if self.store is not None:
            self.store.close()
            self.store = None

    def _changed(self) -> None:
        notify(self.on_change, "print queue")

    # -- PrintWorker callables
    def fetch_next(self) -> PrintJob | None:
        assert self.store is not None
        job = print_jobs.next_job(self.store.db, self.roles)
        if job is None:
            self.current = None
            return None
        self.current = job.id
        if self._rendered is None or self._rendered[0] != job.id:
            try:
                data = render_job(job, self.printer)
            except Exception:
                log.exception("print job %s cannot be rendered", job.id)
                data = b""
            self._rendered = (job.id, data)
        return PrintJob(job.id, self._rendered[1])

    def mark_started(self, job_id: int) -> None:
        assert self.store is not None
        print_jobs.start_job(self.store, job_id)
        self._changed()

    def mark_done(self, job_id: int) -> None:
        assert self.store is not None
        print_jobs.mark_printed(self.store, job_id)
        self._rendered = None
        self._changed()

    def mark_failed(self, job_id: int, reason: str, message: str) -> None:
        assert self.store is not None
        log.warning("print job %s failed: %s %s", job_id, reason, message)
        print_jobs.mark_waiting(self.store, job_id, "bad_job")
        self._changed()

    # -- what the guarded connection tells us
    def waiting(self, reason: str) -> None:
        """The printer is not ready: the job fetched last waits, with the reason."""
        if self.current is not None and self.store is not None:
            if print_jobs.mark_waiting(self.store, self.current, reason or "offline"):
                self._changed()


class GuardedConnection:
    """A printer connection that tells the queue whether a failed send may have printed."""

    def __init__(self, inner: PrinterConnection, queue: SqliteQueue) -> None:
        self.inner = inner
        self.queue = queue
        self.url = inner.url

    def status(self) -> PrinterStatus:
        st = self.inner.status()
        if not st.ready:
            self.queue.waiting(st.reason or "offline")
        return st

    def send(self, data: bytes) -> None:
        st = self.inner.status()
        if not st.ready:  # refused before any byte: the job is simply waiting again
            self.queue.waiting(st.reason or "offline")
            raise PrinterError(st.reason or "offline", st.error_message)
        try:
            self.inner.send(data)
        except PrinterError:
            self.queue.waiting("interrupted")  # bytes may be on paper: a person decides
            raise

    def close(self) -> None:
        self.inner.close()


class StorePrintWorker(PrintWorker):
    """PrintWorker whose thread owns the queue's database connection."""

    def __init__(self, queue: SqliteQueue, connection: PrinterConnection, **kwargs: Any) -> None:
        self.queue = queue
        super().__init__(queue.fetch_next, queue.mark_done, queue.mark_failed,
                         GuardedConnection(connection, queue), mark_started=queue.mark_started,
                         **kwargs)

    def run(self) -> None:
        self.queue.open()
        try:
            super().run()
        finally:
            self.queue.close()


class PrintService:
    """The printers of one store: workers, and their status for the status bar."""

    def __init__(self, data_dir: str | Path, printers: dict[str, PrinterConfig], *,
                 on_change: Callable[[], None] | None = None, poll_s: float = 2.0) -> None:
        self.data_dir = Path(data_dir)
        self.printers = dict(printers)
        self.on_change = on_change
        self.poll_s = poll_s
        self.workers: dict[str, StorePrintWorker] = {}
        self.status: dict[str, PrinterStatus] = {}
        self.errors: dict[str, str] = {}  # role -> config problem (bad url)
        self._lock = threading.Lock()

    def _roles(self, role: str) -> tuple[str, ...]:
        if role == "receipt" and "label" not in self.printers:
            return ("receipt", "label")
        return (role,)

    def start(self) -> "PrintService":
        for role, printer in self.printers.items():
            try:
                connection = factory.printer(printer)
            except PrinterError as exc:
                self.errors[role] = exc.reason
                self.status[role] = PrinterStatus(False, error_message=exc.message,
                                                  reason=exc.reason)
                continue
            queue = SqliteQueue(self.data_dir, self._roles(role), printer, self._notify)
            worker = StorePrintWorker(queue, connection, poll_s=self.poll_s,
                                      on_status=lambda st, role=role: self._on_status(role, st))
            self.workers[role] = worker
            worker.start()
        return self

    def stop(self) -> None:
        for worker in self.workers.values():
            worker.stop()
        self.workers.clear()

    def wake(self) -> None:
        """Look at the queue now (call right after queueing a job)."""
        for worker in self.workers.values():
            worker.wake()

    def _on_status(self, role: str, st: PrinterStatus) -> None:
        with self._lock:
            self.status[role] = st
        self._notify()

    def _notify(self) -> None:
        notify(self.on_change, "printer status")

    def notices(self, lang: str) -> list[str]:
        """One line per printer that is not ready, for the status bar's notices."""
        out = []
        with self._lock:
            items = sorted(self.status.items())
        for role, st in items:
            if st.ready:
                continue
            reason = t(f"dev.short.{st.reason or 'offline'}", lang)
            out.append(t(f"dev.printer.status.{role}", lang, reason=reason))
        return out


def reason_text(job: print_jobs.PrintJob, lang: str) -> str:
    """Why a job waits, in words ("" when it does not)."""
    reason = job.last_error or ""
    if not reason or job.status == "printed":
        return ""
    if reason.startswith("replaced:"):
        return t("dev.reason.replaced", lang, copy_id=reason.split(":", 1)[1])
    return t(f"dev.reason.{reason}", lang)

