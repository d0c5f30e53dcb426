"""``store-edge hq serve``: one HQ process, or several sharing one listening socket.

With ``--workers N`` uvicorn's supervisor (``uvicorn.supervisors.Multiprocess``) spawns N
processes that accept on the socket bound here: a worker that dies is replaced, SIGTERM or
SIGINT stops them all (each finishes its requests and stops its background threads),
SIGHUP replaces them one by one. Every process runs its own sweeper and notification
deliverer; those are written to be safe side by side (see ``notify`` and ``orders``).

Several processes need PostgreSQL: SQLite has one writer for the whole file, so more
processes add nothing but waiting, and ``--workers`` over SQLite is refused.
"""

from __future__ import annotations

import functools
import logging
import os
import signal
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from .db import UNPOOLED_CONNECTIONS, TransientDBError, default_pool_size, open_database

log = logging.getLogger("uvicorn.error")  # the journal the supervisor's own lines go to

# the supervisor kills and replaces a worker that leaves its ping unanswered this long: long
# enough that a worker merely busy on a loaded machine is not killed with requests in hand
WORKER_PING_S = 30

SQLITE_WORKERS = (
    "SQLite 只有一个写入者，多个 HQ 进程只会互相等待：请用 PostgreSQL（--db postgresql://...）运行多个进程，"
    "或去掉 --workers。\n"
    "SQLite has a single writer, so several HQ processes would only wait for each other: run "
    "several processes on PostgreSQL (--db postgresql://...), or drop --workers."
)


@dataclass
class ServePlan:
    """What ``hq serve`` was asked to run."""

    db_url: str
    host: str
    port: int
    workers: int = 1
    db_pool: int | None = None
    app_kw: dict[str, Any] = field(default_factory=dict)

    @property
    def pool(self) -> int:
        return self.db_pool or default_pool_size()


def refusal(plan: ServePlan) -> str | None:
    """Why this plan cannot run (bilingual), or None."""
    if plan.workers < 1:
        return f"--workers 至少为 1 / --workers must be at least 1 (not {plan.workers})"
    if plan.db_pool is not None and plan.db_pool < 1:
        return f"--db-pool 至少为 1 / --db-pool must be at least 1 (not {plan.db_pool})"
    if plan.workers > 1 and plan.db_url.startswith("sqlite:"):
        return SQLITE_WORKERS
    return None


def shown_url(url: str) -> str:
    """The database URL without its password (it goes to the journal)."""
    parts = urlsplit(url)
    if not parts.password:
        return url
    host = parts.netloc.rsplit("@", 1)[1]
    return urlunsplit(parts._replace(netloc=f"{parts.username}:***@{host}"))


def connection_budget(plan: ServePlan) -> str | None:
    """A warning when the processes could open more connections than PostgreSQL accepts
    (``max_connections`` minus what it keeps for superusers), or None."""
    if not plan.db_url.startswith(("postgresql:", "postgres:")):
        return None
    db = open_database(plan.db_url, pool_size=1)
    try:
        with db.tx(snapshot=True) as tx:
            limit = int(tx.scalar("SELECT setting FROM pg_settings WHERE name = 'max_connections'"))
            reserved = int(tx.scalar("SELECT setting FROM pg_settings WHERE name = "
                                     "'superuser_reserved_connections'", default=3))
    finally:
        db.close()
    wanted = plan.workers * (plan.pool + UNPOOLED_CONNECTIONS)
    if wanted <= limit - reserved:
        return None
    return (f"warning: {plan.workers} process(es) x ({plan.pool} pooled + {UNPOOLED_CONNECTIONS} LISTEN) "
            f"connections = {wanted}, above what PostgreSQL "
            f"accepts ({limit} max_connections - {reserved} reserved): under load some requests will be "
            f"answered 503. Lower --db-pool or raise max_connections.")


def worker_app(db_url: str, *, retry_cap: float = 30.0, **app_kw: Any) -> Any:
    """One worker's app. The supervisor reached the database just before starting the
    workers, so a worker that cannot (PostgreSQL restarting while a worker is replaced) waits
    for it with backoff: dying instead would have the supervisor respawn it twice a second,
    each respawn a whole Python start-up, for as long as the database is away. SIGTERM or
    SIGINT while it waits ends the worker at once."""
    from .app import create_app

    delay = 1.0
    with _stop_signals() as stop:
        while True:
            try:
                return create_app(db_url, **app_kw)
            except TransientDBError as exc:
                log.warning("worker %d: database unavailable (%s), trying again in %.0f s",
                            os.getpid(), str(exc).splitlines()[0], delay)
            if stop.wait(delay):
                raise SystemExit(0)
            delay = min(delay * 2, retry_cap)


@contextmanager
def _stop_signals() -> Iterator[threading.Event]:
    """An event set by SIGTERM/SIGINT while the app is being built (uvicorn's own handlers
    only note a signal until the app exists); one that came is raised again afterwards, for
    uvicorn to stop the worker as usual."""
    stop = threading.Event()
    if threading.current_thread() is not threading.main_thread():
        yield stop
        return
    caught: list[int] = []

    def note(sig: int, frame: Any) -> None:
        caught.append(sig)
        stop.set()

    previous = {sig: signal.signal(sig, note) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield stop
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        for sig in caught[:1]:
            signal.raise_signal(sig)


def serve(plan: ServePlan, sock: socket.socket, echo: Any = print) -> int:
    """Run HQ on an already bound socket until stopped; returns the exit code."""
    import uvicorn

    from .app import create_app
    from .schema import migrate

    app_kw = {**plan.app_kw, "db_pool": plan.db_pool}
    warning = connection_budget(plan)
    if warning:
        echo(warning)
    if plan.workers == 1:
        app = create_app(plan.db_url, **app_kw)
        uvicorn.Server(uvicorn.Config(app, log_level="warning")).run(sockets=[sock])
        return 0
    from uvicorn.supervisors import Multiprocess

    from .metrics import share_request_metrics

    share_request_metrics()  # /metrics from any worker counts every worker's requests
    db = open_database(plan.db_url, pool_size=1)
    try:
        migrate(db)  # once, before the workers start: none of them has DDL left to do
    finally:
        db.close()
    # a picklable factory: each spawned worker builds its own app, pool and background threads;
    # info level so the journal shows workers dying and being replaced (no access log)
    factory = functools.partial(worker_app, plan.db_url, **app_kw)
    config = uvicorn.Config(factory, factory=True, workers=plan.workers, log_level="info", access_log=False,
                            timeout_worker_healthcheck=WORKER_PING_S)
    Multiprocess(config, sockets=[sock]).run()
    return 0
