"""One storage interface over two engines: SQLite (embedded default) and PostgreSQL.

HQ code writes portable SQL with ``?`` placeholders against :class:`Tx`; the backend class
only knows how to connect, begin and commit. Keeping the SQL itself shared is what makes
the two backends behave the same (the contract tests run against both).
"""

from __future__ import annotations

import functools
import queue
import sqlite3
import threading
from abc import ABC, abstractmethod
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Sequence, TypeVar

T = TypeVar("T")
# PostgreSQL NOTIFY channel: payload = a store id whose change feed a transaction extended
FEED_CHANNEL = "store_edge_feed"


class TransientDBError(RuntimeError):
    """The database is unavailable or busy: the caller should retry (HTTP 503)."""


class PoolExhausted(TransientDBError):
    """Every pooled connection stayed busy for the whole wait: HQ is overloaded right now
    (HTTP 503 with Retry-After; the store retries the same request later)."""


# AnyIO's default worker-thread limit: FastAPI runs every sync route and run_in_threadpool
# call on it, so a process never has more request threads than this wanting a connection.
THREADPOOL_SIZE = 40
BACKGROUND_CONNECTIONS = 3  # the sweeper, the notification deliverer, the contact log
# outside the pool, per HQ process on PostgreSQL: the LISTEN connection of long-polls (feed_wait)
UNPOOLED_CONNECTIONS = 1
DEFAULT_POOL_WAIT_S = 5.0


def default_pool_size() -> int:
    """One connection per request thread plus the background workers': no request waits for
    a connection while a thread is free to serve it."""
    return THREADPOOL_SIZE + BACKGROUND_CONNECTIONS


@functools.lru_cache(maxsize=1024)
def _to_pyformat(sql: str) -> str:
    return sql.replace("%", "%%").replace("?", "%s")


class Tx:
    """A transaction in progress: thin, dialect-neutral helpers over a DB-API cursor."""

    def __init__(self, conn: Any, dialect: str, database: "Database | None" = None) -> None:
        self._conn = conn
        self.dialect = dialect
        self._database = database
        self._cur = conn.cursor()
        self._deferred: dict[str, list[Sequence[Any]]] = {}
        # stores whose change feed this transaction extends: their long-polls wake on commit
        self.woken: set[str] = set()

    def defer(self, sql: str, params: Sequence[Any]) -> None:
        """Queue an insert that nothing later in this transaction reads; written in one
        executemany per statement by ``flush()`` (called before commit)."""
        self._deferred.setdefault(sql, []).append(params)

    def discard_deferred(self) -> None:
        self._deferred = {}

    def is_data_error(self, exc: BaseException) -> bool:
        """The database refused a value (see :meth:`Database.is_data_error`)."""
        return self._database is not None and self._database.is_data_error(exc)

    def flush(self) -> None:
        deferred, self._deferred = self._deferred, {}
        for sql, rows in deferred.items():
            self.many(sql, rows)

    def _sql(self, sql: str) -> str:
        return sql if self.dialect == "sqlite" else _to_pyformat(sql)

    def run(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Execute; return the number of rows changed."""
        self._cur.execute(self._sql(sql), params)
        return self._cur.rowcount

    def one(self, sql: str, params: Sequence[Any] = ()) -> tuple | None:
        self._cur.execute(self._sql(sql), params)
        return self._cur.fetchone()

    def all(self, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
        self._cur.execute(self._sql(sql), params)
        return list(self._cur.fetchall())

    def many(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        rows = list(rows)
        if rows:
            self._cur.executemany(self._sql(sql), rows)

    def insert_rows(self, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
        """Insert many rows at once: PostgreSQL's COPY (4-5x executemany for 10^5 rows, e.g.
        a thousand new stores' catalog feeds), executemany on SQLite."""
        if self.dialect == "sqlite":
            marks = ", ".join("?" * len(columns))
            self.many(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)
            return
        with self._cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)

    def scalar(self, sql: str, params: Sequence[Any] = (), default: Any = None) -> Any:
        row = self.one(sql, params)
        return default if row is None else row[0]


class Database(ABC):
    """A bounded connection pool plus ``tx()``; subclasses know one engine each.

    At most ``pool_size`` connections exist at once (opened when first needed, kept idle
    afterwards): several HQ processes on one PostgreSQL stay under its ``max_connections``.
    A transaction that finds them all busy waits up to ``pool_wait`` seconds, then fails
    with :class:`PoolExhausted` (a 503) instead of queueing for ever. Our own pool rather
    than psycopg_pool: it serves both engines behind one ``tx()``, and a connection is
    checked out for exactly one transaction, which is all psycopg_pool would add here."""

    dialect = "?"
    _writer_lock: threading.Lock | None = None  # in-process writer queue (SQLite)

    def __init__(self, url: str, *, pool_size: int | None = None,
                 pool_wait: float = DEFAULT_POOL_WAIT_S) -> None:
        self.url = url
        self.pool_size = pool_size or default_pool_size()
        if self.pool_size < 1:
            raise ValueError(f"pool size must be at least 1, not {pool_size}")
        self.pool_wait = pool_wait
        self._slots = threading.BoundedSemaphore(self.pool_size)
        # called with Tx.woken after each commit that extended a feed (in-process long-polls)
        self.commit_hooks: list[Callable[[set[str]], None]] = []
        self._idle: queue.LifoQueue = queue.LifoQueue()
        self._all: list[Any] = []
        self._lock = threading.Lock()
        self._closed = False

    # engine specifics -------------------------------------------------------------
    @abstractmethod
    def _connect(self) -> Any:
        """A new connection to the engine."""

    @abstractmethod
    def _begin(self, conn: Any, snapshot: bool) -> None:
        """Start a transaction (a consistent snapshot when asked)."""

    @abstractmethod
    def _transient(self, exc: BaseException) -> bool:
        """True for trouble worth a retry (busy, connection lost)."""

    def _retryable(self, exc: BaseException) -> bool:
        return False

    def _announce(self, tx: Tx) -> None:
        """Before COMMIT: tell other processes which feeds this transaction extends (SQLite:
        nothing to send; their long-polls watch ``PRAGMA data_version``)."""

    def is_data_error(self, exc: BaseException) -> bool:
        """True when the database refused a value (text it cannot hold, a number out of
        range, a key already taken): bad data, not trouble worth a retry."""
        return isinstance(exc, (UnicodeEncodeError, OverflowError))

    # shared -------------------------------------------------------------------------
    def _take(self) -> Any:
        """A connection of our own: an idle one, or a new one while under ``pool_size``."""
        if not self._slots.acquire(timeout=self.pool_wait):
            raise PoolExhausted(f"all {self.pool_size} database connections busy for {self.pool_wait:g} s")
        try:
            return self._idle.get_nowait()
        except queue.Empty:
            pass
        try:
            conn = self._connect()
        except BaseException:
            self._slots.release()
            raise
        with self._lock:
            self._all.append(conn)
        return conn

    def _give_back(self, conn: Any) -> None:
        self._idle.put(conn)
        self._slots.release()

    def _discard(self, conn: Any) -> None:
        with self._lock:
            if conn in self._all:
                self._all.remove(conn)
        try:
            conn.close()
        except Exception:
            pass
        self._slots.release()

    @contextmanager
    def tx(self, *, snapshot: bool = False) -> Iterator[Tx]:
        """One transaction: committed on success, rolled back on any exception.

        ``snapshot=True`` asks for one consistent view across statements (PostgreSQL
        REPEATABLE READ; SQLite transactions already are)."""
        if self._closed:
            raise TransientDBError("database closed")
        lock = self._writer_lock if not snapshot else None
        if lock is not None:
            lock.acquire()
        try:
            yield from self._tx(snapshot)
        finally:
            if lock is not None:
                lock.release()

    def _tx(self, snapshot: bool) -> Iterator[Tx]:
        conn = None
        try:
            conn = self._take()
            self._begin(conn, snapshot)
        except Exception as exc:
            if conn is not None:
                self._discard(conn)
            if self._transient(exc):
                raise TransientDBError(str(exc)) from exc
            raise
        healthy = True
        try:
            tx = Tx(conn, self.dialect, self)
            yield tx
            tx.flush()
            if tx.woken:
                self._announce(tx)
            conn.execute("COMMIT")
        except BaseException as exc:
            try:
                conn.execute("ROLLBACK")
            except Exception:
                healthy = False
            if self._transient(exc) and not self._retryable(exc):
                healthy = False
                raise TransientDBError(str(exc)) from exc
            raise
        finally:
            if healthy and not self._closed:
                self._give_back(conn)
            else:
                self._discard(conn)
        if tx.woken:
            for hook in list(self.commit_hooks):
                hook(tx.woken)

    def run_tx(self, fn: Callable[[Tx], T], *, snapshot: bool = False, attempts: int = 5) -> T:
        """Run ``fn`` in a transaction, retrying deadlocks / serialization failures."""
        for attempt in range(attempts):
            try:
                with self.tx(snapshot=snapshot) as tx:
                    return fn(tx)
            except Exception as exc:
                if not self._retryable(exc) or attempt == attempts - 1:
                    raise
        raise AssertionError("unreachable")

    def executescript(self, statements: Iterable[str]) -> None:
        """Run DDL in one transaction and one round trip (no parameters allowed)."""
        script = ";\n".join(statements)
        with self.tx() as tx:
            if self.dialect == "sqlite":
                for stmt in statements:
                    tx.run(stmt)
            else:
                tx._cur.execute(script)

    def close(self) -> None:
        self._closed = True
        with self._lock:
            conns, self._all = self._all, []
        for conn in conns:
            try:
                conn.close()
            except Exception:
                pass


class SQLiteDatabase(Database):
    """A SQLite file in WAL mode; BEGIN IMMEDIATE makes writers queue instead of failing.

    synchronous=FULL: an acknowledged push or a 201 order survives a power cut too (one
    fsync per transaction; batches of events keep that cheap)."""

    dialect = "sqlite"

    def __init__(self, url: str, **pool: Any) -> None:
        super().__init__(url, **pool)
        # SQLite has one writer at a time; queueing writers on a lock hands over at once,
        # where SQLite's own busy handler would sleep-poll (other processes still use it)
        self._writer_lock = threading.Lock()
        self.path = sqlite_path(url)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(
            self.path, isolation_level=None, check_same_thread=False,
            timeout=30.0, cached_statements=512,
        )
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("PRAGMA busy_timeout=30000")
        conn.execute("PRAGMA wal_autocheckpoint=8000")  # fewer, larger checkpoints: faster ingest
        return conn

    def _begin(self, conn: sqlite3.Connection, snapshot: bool) -> None:
        conn.execute("BEGIN DEFERRED" if snapshot else "BEGIN IMMEDIATE")

    def is_data_error(self, exc: BaseException) -> bool:
        return super().is_data_error(exc) or isinstance(exc, (sqlite3.IntegrityError, sqlite3.DataError))

    def _transient(self, exc: BaseException) -> bool:
        return isinstance(exc, sqlite3.OperationalError) and (
            "locked" in str(exc) or "busy" in str(exc) or "disk" in str(exc)
            or "unable to open" in str(exc)
        )


class PostgresDatabase(Database):
    """PostgreSQL via psycopg 3 (autocommit connections; explicit BEGIN/COMMIT)."""

    dialect = "postgresql"

    def _connect(self) -> Any:
        import psycopg

        try:
            return psycopg.connect(self.url, autocommit=True, prepare_threshold=2)
        except psycopg.OperationalError as exc:
            raise TransientDBError(str(exc)) from exc

    def _begin(self, conn: Any, snapshot: bool) -> None:
        conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY" if snapshot else "BEGIN")

    def _transient(self, exc: BaseException) -> bool:
        import psycopg

        return isinstance(exc, (psycopg.OperationalError, psycopg.errors.SerializationFailure))

    def is_data_error(self, exc: BaseException) -> bool:
        import psycopg

        return super().is_data_error(exc) or isinstance(exc, (psycopg.DataError, psycopg.IntegrityError))

    def _retryable(self, exc: BaseException) -> bool:
        import psycopg

        return isinstance(exc, (psycopg.errors.DeadlockDetected, psycopg.errors.SerializationFailure))

    def _announce(self, tx: Tx) -> None:
        # delivered at COMMIT, to every HQ process LISTENing (feed_wait.PgListener); one per
        # store even when the transaction wrote many of its changes
        tx.run("SELECT pg_notify(?, s) FROM unnest(?::text[]) AS s", (FEED_CHANNEL, sorted(tx.woken)))


def sqlite_path(url: str) -> str:
    """``sqlite:///relative.db``, ``sqlite:////abs/path.db`` or ``sqlite:///:memory:``."""
    if not url.startswith("sqlite:///"):
        raise ValueError(f"not a sqlite URL: {url}")
    return url[len("sqlite:///"):] or ":memory:"


def open_database(url: str, *, pool_size: int | None = None,
                  pool_wait: float = DEFAULT_POOL_WAIT_S) -> Database:
    """Pick the backend from the URL scheme (pool: see :class:`Database`)."""
    if url.startswith("sqlite:"):
        return SQLiteDatabase(url, pool_size=pool_size, pool_wait=pool_wait)
    if url.startswith(("postgresql://", "postgres://")):
        return PostgresDatabase(url, pool_size=pool_size, pool_wait=pool_wait)
    raise ValueError(f"unsupported database URL (use sqlite:///path or postgresql://...): {url}")
