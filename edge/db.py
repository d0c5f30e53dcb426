"""The store's local SQLite replica: opening it, migrating it, and the write transaction.

One connection per thread (sqlite3 connections must not be shared across threads). WAL mode
lets the UI read while a background worker writes; ``synchronous=FULL`` makes a commit
durable before a hand-over is shown as done, so a power cut never loses an acknowledged action.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlite_utils import Database

from edge.i18n import register
from edge.migrations import MIGRATIONS
from edge.private_files import create_private

DB_FILENAME = "store.db"
BUSY_TIMEOUT_MS = 5000

register({
    "db.too_new": ("{path} 由更新版本的 store-edge 写入（数据库版本 {version}，本程序只认识到 {known}）："
                   "请先升级 store-edge，不会在不认识的数据库上运行。",
                   "{path} was written by a newer store-edge (database version {version}; this one knows"
                   " up to {known}): upgrade store-edge first; it will not run against a schema it"
                   " doesn't know."),
})


def connect(path: str | Path) -> Database:
    """Open (creating if needed, mode 0600: it holds customers and orders) and migrate the
    store database at ``path``. SQLite gives its -wal and -shm files the same mode."""
    if str(path) != ":memory:" and Path(path).parent.is_dir():
        create_private(path)
    conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_MS / 1000, check_same_thread=True)
    # Autocommit at the driver level: transactions are explicit (write_tx), never implicit.
    conn.isolation_level = None
    conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    _enable_wal(conn)
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("PRAGMA foreign_keys=ON")
    db = Database(conn)
    migrate(db)
    return db


def _enable_wal(conn: sqlite3.Connection) -> None:
    """Switch a fresh file to WAL. Two processes doing this at once can deadlock on the lock
    upgrade, and SQLite then answers SQLITE_BUSY at once without calling the busy handler; the
    other one's switch completes, so retrying (bounded by the busy timeout) succeeds."""
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.005)


class SchemaTooNew(Exception):
    """The database was written by a newer store-edge (its user_version is beyond the
    migrations this one knows): running against a schema we don't know could damage it."""

    def __init__(self, path: str, version: int) -> None:
        super().__init__(f"{path}: schema version {version} is newer than {len(MIGRATIONS)}")
        self.path, self.version, self.known = path, version, len(MIGRATIONS)


def schema_version(db: Database) -> int:
    return db.execute("PRAGMA user_version").fetchone()[0]


def _file_of(db: Database) -> str:
    row = db.execute("PRAGMA database_list").fetchone()
    return row[2] if row else ""


def check_file_version(path: str | Path) -> None:
    """Refuse (SchemaTooNew) a database file from a newer store-edge, without changing it."""
    if not Path(path).is_file():
        return
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=BUSY_TIMEOUT_MS / 1000)
    try:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
    finally:
        conn.close()
    if version > len(MIGRATIONS):
        raise SchemaTooNew(str(path), version)


def migrate(db: Database) -> int:
    """Apply pending migrations, each atomically with its user_version bump. A database in
    use (user_version > 0) is backed up first; one from a newer store-edge is refused."""
    version = schema_version(db)
    if version > len(MIGRATIONS):
        raise SchemaTooNew(_file_of(db), version)
    if 0 < version < len(MIGRATIONS) and _file_of(db):
        from edge.backup import take_backup

        path = Path(_file_of(db))
        take_backup(path.parent, reason=f"pre-migration-v{version}", db_path=path)
    while (version := schema_version(db)) < len(MIGRATIONS):
        with write_tx(db):
            # re-read under the write lock: another process may have migrated meanwhile
            if schema_version(db) != version:
                continue
            for statement in _split_sql(MIGRATIONS[version]):
                db.execute(statement)
            db.execute(f"PRAGMA user_version={version + 1}")
    return schema_version(db)


def _split_sql(script: str) -> list[str]:
    """Split a migration into statements (executescript would commit our transaction)."""
    statements, current = [], ""
    for line in script.splitlines(keepends=True):
        current += line
        if sqlite3.complete_statement(current):
            if current.strip():
                statements.append(current.strip())
            current = ""
    if current.strip():
        statements.append(current.strip())
    return statements


@contextmanager
def write_tx(db: Database) -> Iterator[Database]:
    """One write transaction: BEGIN IMMEDIATE ... COMMIT, or ROLLBACK on any error.

    IMMEDIATE takes the write lock up front, so two terminals racing for the same order
    serialize instead of both reading "ready" and one failing late with SQLITE_BUSY.
    Nested calls join the outer transaction, so domain functions compose.
    """
    if db.conn.in_transaction:
        yield db
        return
    db.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        if db.conn.in_transaction:
            db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")
