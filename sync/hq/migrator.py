"""Applies the numbered HQ schema steps (``schema.STEPS``) once each, in order.

The same approach as the store's ``edge/migrations.py`` (numbered steps, each applied in one
transaction together with its version record) rather than Alembic or yoyo: HQ talks to its
databases through its own thin DB-API layer (``db.Tx``, no SQLAlchemy), some steps are
Python (backfills, meta rows), and the two things a tool would add -- a version table and a
lock -- are a few lines here, with the same code path on SQLite and PostgreSQL.

- ``schema_version`` holds one row per applied step (version, description, applied_at).
- Every step runs in its own transaction holding a PostgreSQL transaction-level advisory
  lock (SQLite: BEGIN IMMEDIATE), and re-reads the version under it, so several HQ
  processes starting at once apply each step exactly once and the others wait, then skip.
- An HQ whose schema is current takes no lock at all (one read): starting beside running
  HQ processes never blocks them.
- A database newer than this code is refused (``SchemaTooNew``), never touched.
- A database made before versioning (no ``schema_version``) is recognised by what it holds
  and stamped at that version, then brought forward -- never re-created.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Callable, Sequence, Union

from .db import Database, Tx
from .errors import HQError

Statement = Union[str, Callable[[Tx], None]]
Step = tuple[str, Sequence[Statement]]  # (description, statements or Python callables)

# pg_advisory_xact_lock key shared by every HQ process migrating the same database ("HQSCHEMA")
LOCK_KEY = 0x4851_5343_4845_4D41

_VERSION_TABLE = ("CREATE TABLE IF NOT EXISTS schema_version (version BIGINT PRIMARY KEY, "
                  "description TEXT NOT NULL, applied_at TEXT NOT NULL)")


class SchemaTooNew(HQError):
    """The HQ database was migrated by a newer store-edge: this code does not know its tables."""

    def __init__(self, found: int, known: int) -> None:
        super().__init__(
            "schema_too_new",
            f"HQ 数据库结构版本 {found} 比本程序认识的版本 {known} 新：请先升级 store-edge，再启动 HQ / "
            f"the HQ database is at schema version {found}, newer than this store-edge knows "
            f"({known}): upgrade store-edge before running HQ on it (nothing was changed)", 503)
        self.found, self.known = found, known


def columns(tx: Tx, table: str) -> set[str]:
    """Column names of ``table`` (empty when there is no such table)."""
    if tx.dialect == "sqlite":
        return {row[1] for row in tx.all(f"PRAGMA table_info({table})")}
    return {row[0] for row in tx.all("SELECT column_name FROM information_schema.columns "
                                     "WHERE table_schema = current_schema() AND table_name = ?", (table,))}


def _has_index(tx: Tx, name: str) -> bool:
    if tx.dialect == "sqlite":
        return tx.one("SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = ?", (name,)) is not None
    return tx.one("SELECT 1 FROM pg_indexes WHERE schemaname = current_schema() AND indexname = ?",
                  (name,)) is not None


def _lock(tx: Tx) -> None:
    if tx.dialect == "postgresql":
        tx.run("SELECT pg_advisory_xact_lock(?)", (LOCK_KEY,))


def _version(tx: Tx) -> int:
    return int(tx.scalar("SELECT MAX(version) FROM schema_version", default=0) or 0)


def current_version(db: Database) -> int | None:
    """The applied version, read without locks; None when there is no version table yet."""
    with db.tx(snapshot=True) as tx:
        return _version(tx) if columns(tx, "schema_version") else None


def detect_unversioned(tx: Tx) -> int:
    """The version of a database HQ made before schemas were versioned, from what it holds
    (0: an empty database). Markers are the newest thing each old release created."""
    if not columns(tx, "stores"):
        return 0
    markers: list[tuple[int, Callable[[], bool]]] = [
        (7, lambda: _has_index(tx, "events_store_event_id")),
        (6, lambda: "revoked_at" in columns(tx, "stores")),
        (5, lambda: "order_uid" in columns(tx, "orders")),
        (4, lambda: bool(columns(tx, "order_shorts"))),
        (3, lambda: bool(columns(tx, "day_reports"))),
        (2, lambda: "ord" in columns(tx, "notifications")),
    ]
    return next((version for version, present in markers if present()), 1)


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _stamp_if_unversioned(db: Database) -> None:
    with db.tx() as tx:
        _lock(tx)
        tx.run(_VERSION_TABLE)
        if tx.scalar("SELECT COUNT(*) FROM schema_version") == 0:
            found = detect_unversioned(tx)
            if found:
                tx.run("INSERT INTO schema_version (version, description, applied_at) VALUES (?, ?, ?)",
                       (found, "recognised: made before HQ schemas were versioned", _now()))


def migrate_steps(db: Database, steps: Sequence[Step], target: int | None = None) -> int:
    """Bring the database to ``target`` (default: the last step); returns the version."""
    latest = len(steps)
    target = latest if target is None else target
    found = current_version(db)
    if found is not None and found > latest:
        raise SchemaTooNew(found, latest)
    if found is not None and found >= target:
        return found
    if found is None:
        _stamp_if_unversioned(db)
    while True:
        with db.tx() as tx:
            _lock(tx)
            version = _version(tx)  # re-read under the lock: another HQ may have moved on
            if version > latest:
                raise SchemaTooNew(version, latest)
            if version >= target:
                return version
            description, statements = steps[version]
            for statement in statements:
                if callable(statement):
                    statement(tx)
                else:
                    tx.run(statement)
            tx.run("INSERT INTO schema_version (version, description, applied_at) VALUES (?, ?, ?)",
                   (version + 1, description, _now()))
