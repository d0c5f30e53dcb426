"""Long-poll pulls: a store's ``GET /v1/sync/pull?wait=N`` parks until a change for it commits.

Why: an order must reach its store within about a second without a thousand stores polling
HQ every second. A parked request is an ``asyncio.Event`` in :class:`FeedWaiters` -- no
threadpool thread, no database connection -- so an idle store costs HQ one socket.

Who wakes it (one watcher per HQ process, never one per request):

* the committing transaction itself, in this process (``Database.commit_hooks``, SQLite);
* :class:`PgListener` on PostgreSQL: ONE ``LISTEN`` connection per process receiving the
  ``pg_notify`` every feed-extending transaction sends at COMMIT (``db.FEED_CHANNEL``,
  payload = store id), from any HQ process. While it is reconnecting, parked requests
  re-read every second; once it is back every waiter re-reads (nothing committed during the
  gap is missed);
* :class:`SqliteWatcher`: another process (``hq place-order``) committed to the same SQLite
  file: ``PRAGMA data_version`` moves, the heads of the waiting stores are read once and
  those past their cursor wake.

The race "a change commits between the empty read and the wait" cannot lose a change: the
waiter is registered (and its event cleared) *before* each read, so a commit after the read
finds it and sets the event. A wake is only a hint: the request always re-reads the feed,
so a spurious wake (another schema's NOTIFY, a reconnect) costs one read, never a wrong
answer. HQ shutdown releases every waiter at once (:func:`serve`), a client that hangs up
stops its wait.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sqlite3
import threading
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

import anyio.to_thread

from ..protocol import PullResponse
from .db import FEED_CHANNEL, Database, SQLiteDatabase

log = logging.getLogger(__name__)
DEGRADED_PARK_S = 1.0  # listener down: parked requests re-read this often
SQLITE_POLL_S = 0.25  # another process's commit reaches a parked request this fast
HEARTBEAT_S = 30.0  # the listener checks its connection after this long without a notification


class _Waiter:
    __slots__ = ("store_id", "cursor", "event")

    def __init__(self, store_id: str, cursor: int) -> None:
        self.store_id, self.cursor, self.event = store_id, cursor, asyncio.Event()


class FeedWaiters:
    """Parked pulls by store, on the server's event loop. ``wake_threadsafe`` from anywhere."""

    def __init__(self) -> None:
        self._by_store: dict[str, set[_Waiter]] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self.closed = False
        self.live = True  # False while a cross-process watcher is reconnecting

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop, self.closed = loop, False

    def waiting(self) -> dict[str, int]:
        """Store id -> the lowest cursor a parked request holds (copies first: also read from
        other threads, e.g. by tests)."""
        found = {}
        for store_id, parked in list(self._by_store.items()):
            cursors = [w.cursor for w in list(parked)]
            if cursors:
                found[store_id] = min(cursors)
        return found

    def wake(self, store_ids: Iterable[str]) -> None:
        """On the loop: every request parked for these stores re-reads its feed."""
        for store_id in store_ids:
            for waiter in self._by_store.get(store_id, ()):
                waiter.event.set()

    def wake_threadsafe(self, store_ids: Iterable[str]) -> None:
        loop = self._loop
        if loop is not None and not loop.is_closed() and self._by_store:
            ids = [s for s in store_ids if s in self._by_store]
            if ids:
                loop.call_soon_threadsafe(self.wake, ids)

    def wake_all(self) -> None:
        self.wake(list(self._by_store))

    def close(self) -> None:
        """HQ is stopping: every parked request answers now, new ones do not park."""
        self.closed = True
        self.wake_all()

    async def long_pull(self, read: Callable[[], PullResponse], store_id: str, cursor: int, wait: float,
                        disconnected: Awaitable[Any]) -> PullResponse:
        """``read()`` (run in the threadpool) until it has something or ``wait`` seconds pass.

        ``disconnected`` completes when the client hangs up: the wait ends there."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait
        waiter = _Waiter(store_id, cursor)
        self._by_store.setdefault(store_id, set()).add(waiter)
        hangup = asyncio.ensure_future(disconnected)
        try:
            while True:
                waiter.event.clear()  # before the read: a commit after it sets the event
                page = await anyio.to_thread.run_sync(read)
                left = deadline - loop.time()
                if page.changes or page.resync or page.has_more or left <= 0 or self.closed:
                    return page
                park = asyncio.ensure_future(waiter.event.wait())
                limit = left if self.live else min(left, DEGRADED_PARK_S)
                await asyncio.wait((park, hangup), timeout=limit, return_when=asyncio.FIRST_COMPLETED)
                park.cancel()
                if hangup.done():
                    return page  # nobody to answer; uvicorn drops it
        finally:
            hangup.cancel()
            parked = self._by_store.get(store_id)
            if parked is not None:
                parked.discard(waiter)
                if not parked:
                    del self._by_store[store_id]


async def until_disconnect(receive: Callable[[], Awaitable[dict]]) -> None:
    """Completes when the ASGI client hangs up (a GET's body was already delivered)."""
    while (await receive())["type"] != "http.disconnect":
        pass


class PgListener:
    """One LISTEN connection for the whole process, fanning notifications out to waiters."""

    def __init__(self, url: str, waiters: FeedWaiters) -> None:
        self.url, self.waiters = url, waiters
        self.connects = 0
        self.name = f"store-edge-hq-feed-{os.getpid()}"  # application_name: operators see it

    async def run(self) -> None:
        import psycopg

        delay = 0.2
        while True:
            try:
                async with await psycopg.AsyncConnection.connect(
                        self.url, autocommit=True, application_name=self.name) as conn:
                    await conn.execute(f"LISTEN {FEED_CHANNEL}")
                    self.connects += 1
                    if not self.waiters.live:  # back after a loss: re-read what was missed
                        self.waiters.live = True
                        self.waiters.wake_all()
                    delay = 0.2
                    while True:
                        async for note in conn.notifies(timeout=HEARTBEAT_S):
                            self.waiters.wake((note.payload,))
                        await conn.execute("SELECT 1")  # still connected after a quiet spell?
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - lost or refused: retry, never give up
                log.warning("HQ feed listener lost its connection (%s); reconnecting", exc)
                self.waiters.live = False
                self.waiters.wake_all()  # parked requests fall back to re-reading each second
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)


class SqliteWatcher:
    """Another process committed to the SQLite file: wake the stores whose head moved."""

    def __init__(self, db: SQLiteDatabase, waiters: FeedWaiters) -> None:
        self.db, self.waiters = db, waiters

    def _heads(self, store_ids: list[str]) -> dict[str, int]:
        with self.db.tx(snapshot=True) as tx:
            marks = ",".join("?" * len(store_ids))
            return dict(tx.all(f"SELECT store_id, change_seq FROM stores WHERE store_id IN ({marks})",
                               store_ids))

    async def run(self) -> None:
        conn = sqlite3.connect(self.db.path, check_same_thread=False)
        try:
            seen = conn.execute("PRAGMA data_version").fetchone()[0]
            while True:
                await asyncio.sleep(SQLITE_POLL_S)
                waiting = self.waiters.waiting()
                if not waiting:
                    continue
                version = conn.execute("PRAGMA data_version").fetchone()[0]  # reads the WAL index only
                if version == seen:
                    continue
                seen = version
                heads = await anyio.to_thread.run_sync(self._heads, sorted(waiting))
                self.waiters.wake(s for s, cursor in waiting.items() if heads.get(s, 0) > cursor)
        finally:
            conn.close()


class FeedWatch:
    """The waiters and this process's watcher, started and stopped with the app."""

    def __init__(self, db: Database) -> None:
        self.db, self.waiters = db, FeedWaiters()
        self.listener: PgListener | None = None
        self._task: asyncio.Task | None = None

    def release_threadsafe(self) -> None:
        """HQ is stopping: answer every held pull now (from any thread, or a signal handler).
        uvicorn would otherwise wait for each long-poll to time out before it stops."""
        loop = self.waiters._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self.waiters.close)

    def _release_on_signals(self) -> None:
        """In a server's main thread (``hq serve``, each ``--workers`` process) uvicorn's own
        SIGINT/SIGTERM handlers are installed by now: release held pulls, then run them. An
        HQ served from a thread (embedded, tests) calls :meth:`release_threadsafe` itself."""
        if threading.current_thread() is not threading.main_thread():
            return
        for sig in (signal.SIGINT, signal.SIGTERM):
            previous = signal.getsignal(sig)
            if callable(previous):
                def handler(signum: int, frame: Any, previous: Callable = previous) -> None:
                    self.release_threadsafe()
                    previous(signum, frame)

                signal.signal(sig, handler)

    async def start(self) -> None:
        self.waiters.bind(asyncio.get_running_loop())
        self._release_on_signals()
        watcher: PgListener | SqliteWatcher | None = None
        if isinstance(self.db, SQLiteDatabase):
            self.db.commit_hooks.append(self.waiters.wake_threadsafe)
            if self.db.path != ":memory:":
                watcher = SqliteWatcher(self.db, self.waiters)
        else:
            watcher = self.listener = PgListener(self.db.url, self.waiters)
        if watcher is not None:
            self._task = asyncio.create_task(watcher.run(), name="hq-feed-watch")

    async def stop(self) -> None:
        self.waiters.close()
        if self.waiters.wake_threadsafe in self.db.commit_hooks:
            self.db.commit_hooks.remove(self.waiters.wake_threadsafe)
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
