"""The print worker: takes jobs from a queue it does not own, sends them, reports why it waits.

The persisted queue lives in the app (edge's SQLite); the worker only gets callables:

* ``fetch_next() -> PrintJob | (job_id, bytes) | None`` — the oldest job still waiting;
* ``mark_done(job_id)`` — called only after the printer took every byte;
* ``mark_failed(job_id, reason, message)`` — only for jobs that can never print (no bytes,
  bytes the renderer refused); printer trouble is **not** a job failure;
* ``mark_started(job_id)`` (optional) — called just before sending, so the app can tell after a
  crash that a job may have printed (and offer an explicit reprint marked as a copy, rather than
  printing twice silently).

When the printer is offline, out of paper or open, the job stays waiting, ``on_status`` says
why, and the worker retries every ``poll_s``; ``wake()`` makes it look at once (call it right
after queueing a job).
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any, Callable

from devices.printers.connections import PrinterConnection, PrinterError, PrinterStatus
from devices.status import safe_call
from devices.worker import BackgroundWorker


@dataclass(frozen=True)
class PrintJob:
    id: Any
    data: bytes


class PrintWorker(BackgroundWorker):
    thread_name = "print-worker"

    def __init__(
        self,
        fetch_next: Callable[[], PrintJob | tuple | None],
        mark_done: Callable[[Any], None],
        mark_failed: Callable[[Any, str, str], None],
        connection: PrinterConnection,
        poll_s: float = 2.0,
        on_status: Callable[[PrinterStatus], None] | None = None,
        mark_started: Callable[[Any], None] | None = None,
    ) -> None:
        super().__init__()
        self.fetch_next = fetch_next
        self.mark_done = mark_done
        self.mark_failed = mark_failed
        self.mark_started = mark_started
        self.connection = connection
        self.poll_s = poll_s
        self.on_status = on_status
        self.last_status: PrinterStatus | None = None
        self.printed = 0
        self._wake = threading.Event()

    def wake(self) -> None:
        self._wake.set()

    def _report(self, st: PrinterStatus) -> None:
        if st != self.last_status:
            self.last_status = st
            safe_call(self.on_status, st)

    def step(self) -> bool:
        """Try one job. True if a job was printed (so look for the next one at once)."""
        try:
            raw = self.fetch_next()
        except Exception as e:  # the queue being busy/locked is not a reason to die
            self._report(PrinterStatus(self.last_status.online if self.last_status else False,
                                       error_message=f"queue: {e}", reason="io_error"))
            return False
        if raw is None:
            return False
        job = raw if isinstance(raw, PrintJob) else PrintJob(*raw)
        if not isinstance(job.data, (bytes, bytearray)) or not job.data:
            safe_call(self.mark_failed, job.id, "bad_job", "job has no printable bytes")
            return True
        st = self.connection.status()
        self._report(st)
        if not st.ready:
            return False
        if self.mark_started is not None:
            self.mark_started(job.id)
        try:
            self.connection.send(bytes(job.data))
        except PrinterError as e:
            self._report(PrinterStatus(e.reason not in ("offline", "not_found"),
                                       e.reason == "paper_out", e.reason == "cover_open",
                                       e.message, reason=e.reason))
            return False
        self.mark_done(job.id)
        self.printed += 1
        return True

    def run(self) -> None:
        while not self._stop.is_set():
            try:
                printed = self.step()
            except Exception as e:
                self._report(PrinterStatus(False, error_message=str(e), reason="io_error"))
                printed = False
            if printed:
                continue
            self._wake.wait(self.poll_s)
            self._wake.clear()

    def _on_stop(self) -> None:
        self._wake.set()
