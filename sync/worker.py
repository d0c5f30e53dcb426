"""Sync in the background of the terminal: two threads, each with its own Store connection,
that back off while HQ is unreachable and report status.

* The worker thread pushes: a full sync at start, then the outbox as it grows (a hand-over
  is sent within half a second); a store with nothing to send makes no request.
* Its follower pulls by long-poll (``wait``): HQ holds the request until a change for this
  store commits, so an order placed at HQ reaches the store in about a second while an idle
  store asks HQ about twice a minute. An HQ that answers at once (one without long-poll)
  is asked every ``interval`` seconds, as before.

The UI wires it with :func:`start_sync_worker` (in ``on_mount``: the app then shows the
worker's latest status on a timer). Nothing here ever waits on the app's thread, and the
counter never waits on this one.
"""

from __future__ import annotations

import dataclasses
import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from edge.clock import parse_iso
from edge.domain import hq_apply
from edge.i18n import t
from edge.store import Store
from sync.client import SyncClient, SyncReport

log = logging.getLogger(__name__)
MAX_BACKOFF_S = 300.0
# smaller pages in the background: each page is one write transaction the counter may wait on
BACKGROUND_PULL_LIMIT = 200
STATUS_POLL_S = 0.5  # how often the app shows the worker's latest status
OUTBOX_POLL_S = 0.5  # how often an idle worker looks for new events to send at once
LONG_POLL_S = 25.0  # how long HQ may hold a pull (protocol.MAX_PULL_WAIT_S at most)


@dataclass(frozen=True)
class SyncStatus:
    """What the status bar shows about sync. ``online`` None: no sync configured yet (shown
    as offline). The UI keeps one of these in ``app.sync_status``."""

    online: bool | None = None
    pending: int = 0
    last_ok: datetime | None = None
    conflicts: int = 0
    message: str = ""

    def changes(self) -> dict[str, Any]:
        """Keyword arguments for the app's ``update_sync_status(**changes)``."""
        return dataclasses.asdict(self)


StatusCallback = Callable[[SyncStatus], None]


def status_message(report: SyncReport, lang: str) -> str:
    """One line for the status bar or the CLI: connected, or what went wrong."""
    if not report.problem:
        return t("sync.online", lang)
    params = dict(report.problem_params)
    if "reason" in params:
        params["reason"] = t(f"sync.reason.{params['reason']}", lang)
    return t(report.problem, lang, **params)


def to_status(report: SyncReport, lang: str) -> SyncStatus:
    return SyncStatus(online=report.online, pending=report.pending,
                      last_ok=parse_iso(report.last_ok) if report.last_ok else None,
                      conflicts=report.conflicts, message=status_message(report, lang))


def backoff_delay(interval: float, failures: int, rng: random.Random | None = None) -> float:
    """Seconds to wait after ``failures`` failed attempts in a row (jittered, capped)."""
    if failures <= 0:
        return interval
    delay = min(MAX_BACKOFF_S, interval * 2 ** min(failures, 16))
    return delay * (0.75 + 0.5 * (rng or random).random())


def _last_seq(client: SyncClient) -> int:
    return client.store.db.execute("SELECT COALESCE(MAX(seq), 0) FROM outbox").fetchone()[0]


class SyncWorker(threading.Thread):
    """Pushes as the outbox grows and follows HQ's feed (:class:`_Follower`) until :meth:`stop`."""

    def __init__(self, data_dir: str | Path, hq_url: str, token: str, *, interval: float = 5.0,
                 timeout: float = 5.0, on_status: StatusCallback | None = None,
                 lang: str = "zh-CN", transport=None, long_poll: float = LONG_POLL_S) -> None:
        super().__init__(name="store-edge-sync", daemon=True)
        self.data_dir, self.hq_url, self.token = Path(data_dir), hq_url, token
        self.interval, self.timeout, self.lang = interval, timeout, lang
        self.on_status, self.transport, self.long_poll = on_status, transport, long_poll
        self._stop_event, self._wake = threading.Event(), threading.Event()
        self.failures = 0
        self.last_report: SyncReport | None = None
        self.follower: _Follower | None = None

    def stop(self, timeout: float | None = 10.0) -> None:
        """Stop both threads. A long-poll in flight is not waited for: the follower (a daemon
        thread) ends when HQ answers it; what it applies meanwhile is one whole transaction."""
        self._stop_event.set()
        self._wake.set()
        if self.follower is not None:
            self.follower.wake()
        if self.is_alive() and threading.current_thread() is not self:
            self.join(timeout)

    @property
    def stopping(self) -> bool:
        return self._stop_event.is_set()

    def wake(self) -> None:
        """Sync soon (e.g. right after a hand-over, or HQ is back) instead of after a back-off."""
        self._wake.set()
        if self.follower is not None:
            self.follower.wake()

    def client(self) -> SyncClient:
        """A client with its own Store connection, for the thread that calls this."""
        return SyncClient(lambda: Store.open(self.data_dir), self.hq_url, self.token,
                          timeout=self.timeout, transport=self.transport,
                          pull_limit=BACKGROUND_PULL_LIMIT)

    def run(self) -> None:
        client = self.client()
        try:
            while not self._stop_event.is_set():
                self._cycle(client)
                self._wait(client, backoff_delay(self.interval, self.failures))
        finally:
            client.close()

    def _wait(self, client: SyncClient, delay: float) -> None:
        """Sleep until the next sync; while HQ answers, a new outbox event (a hand-over: HQ
        tells the customer) ends the wait early."""
        seen = _last_seq(client)
        deadline = time.monotonic() + delay
        while (left := deadline - time.monotonic()) > 0:
            if self._wake.wait(min(left, OUTBOX_POLL_S)):
                break
            if self.failures == 0 and _last_seq(client) != seen:
                break
        self._wake.clear()

    def _cycle(self, client: SyncClient) -> None:
        """First a full sync; once it worked, the follower pulls and this thread only pushes,
        and only when something waits to be sent."""
        if self.follower is not None and not client.has_unpushed():
            last = self.last_report
            if last is not None and last.pending:  # counted before the push that sent them
                self.publish(dataclasses.replace(last, pending=0))
            return
        report = _attempt(lambda: client.sync_once(pull=self.follower is None))
        self.failures = 0 if report.ok else self.failures + 1
        self.publish(report)
        if report.ok and self.follower is None and not self._stop_event.is_set():
            self.follower = _Follower(self)
            self.follower.start()

    def publish(self, report: SyncReport) -> None:
        self.last_report = report  # replaced whole, never mutated: safe to read from the app
        if self.on_status is None:
            return  # an app reads ``last_report`` on its own timer
        try:
            self.on_status(to_status(report, self.lang))
        except Exception:  # noqa: BLE001 - the UI may be closing; keep syncing
            log.exception("sync status callback failed")


def _attempt(sync: Callable[[], SyncReport]) -> SyncReport:
    try:
        return sync()
    except Exception:  # noqa: BLE001 - a sync bug must not kill the thread
        log.exception("sync cycle failed")
        return SyncReport(ok=False, online=False, problem="sync.offline", problem_params={"reason": "error"})


class _Follower(threading.Thread):
    """Long-polls HQ's feed for the worker and applies what arrives (own Store connection)."""

    def __init__(self, worker: SyncWorker) -> None:
        super().__init__(name="store-edge-sync-pull", daemon=True)
        self.worker = worker
        self._wake = threading.Event()
        self.failures = 0

    def wake(self) -> None:
        self._wake.set()

    def run(self) -> None:
        worker = self.worker
        client = worker.client()
        try:
            while not worker.stopping:
                started = time.monotonic()
                report = _attempt(lambda: client.sync_once(push=False, wait=worker.long_poll))
                if worker.stopping:
                    break
                self.failures = 0 if report.ok else self.failures + 1
                worker.publish(report)
                if report.pulled or report.resync_reason:
                    worker._wake.set()  # what applying produced (a grant back) goes out now
                if self.failures:
                    self._sleep(backoff_delay(worker.interval, self.failures))
                elif not report.pulled:  # an HQ without long-poll answers at once: not a busy loop
                    self._sleep(worker.interval - (time.monotonic() - started))
        finally:
            client.close()

    def _sleep(self, seconds: float) -> None:
        if seconds > 0 and self._wake.wait(seconds):
            self._wake.clear()


def offline_status(data_dir: str | Path, lang: str, key: str = "sync.no_hq") -> SyncStatus:
    """Status when no worker runs (no HQ configured): events waiting still show."""
    store = Store.open(data_dir)
    try:
        local = hq_apply.local_status(store)
    finally:
        store.close()
    return SyncStatus(online=False, pending=local.pending,
                      last_ok=parse_iso(local.last_ok) if local.last_ok else None,
                      conflicts=local.conflicts, message=t(key, lang))


def _follow(app: Any, worker: SyncWorker) -> None:
    """On the app's timer: show the worker's latest report in the app's current language.
    The worker never calls into the app, so neither thread ever waits for the other
    (stopping the worker from the app is safe)."""
    shown: list = [None, None]

    def show() -> None:
        report, lang = worker.last_report, getattr(app, "lang", worker.lang)
        if report is not None and [report, lang] != shown:
            shown[:] = [report, lang]
            app.update_sync_status(**to_status(report, lang).changes())

    app.set_interval(STATUS_POLL_S, show)


def start_sync_worker(app_or_callback: Any, cfg: Any, *, lang: str | None = None) -> SyncWorker | None:
    """Start background sync for the store in ``cfg`` (edge.config.Config).

    ``app_or_callback`` is the running Textual app (anything with ``update_sync_status`` and
    ``set_interval``; call this on the app's thread, e.g. in ``on_mount``) or a plain
    ``callback(SyncStatus)`` called in the worker thread. Returns the running worker (call
    ``.stop()`` on exit, ``.wake()`` after a hand-over), or None when the config names no HQ;
    then the status says so once."""
    is_app = hasattr(app_or_callback, "update_sync_status")
    on_status = None if is_app else app_or_callback
    lang = lang or (getattr(app_or_callback, "lang", None) if is_app else None) or cfg.language
    if not (cfg.hq_url and cfg.hq_token):
        status = offline_status(cfg.data_dir, lang)
        if is_app:
            app_or_callback.update_sync_status(**status.changes())  # on the app's own thread
        elif on_status is not None:
            on_status(status)
        return None
    worker = SyncWorker(cfg.data_dir, cfg.hq_url, cfg.hq_token, interval=cfg.sync_interval_s,
                        timeout=cfg.hq_timeout_s, on_status=on_status, lang=lang)
    worker.start()
    if is_app:
        _follow(app_or_callback, worker)
    return worker
