"""edge.db: schema migrations, WAL, and the write transaction every domain change runs in."""

from __future__ import annotations

import multiprocessing
import threading

import pytest

from edge.db import DB_FILENAME, connect, schema_version, write_tx
from edge.domain import audit, outbox, stock
from edge.migrations import MIGRATIONS
from tests.support.edge_store import NOW, dump, open_race_worker

EXPECTED_TABLES = {"meta", "stores", "clerks", "products", "orders", "order_lines", "bags",
                   "lots", "stock_moves", "audit", "outbox"}


def _tables(db) -> set[str]:
    return {r[0] for r in db.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")}


def test_migrations_create_schema_and_set_user_version(tmp_path):
    db = connect(tmp_path / DB_FILENAME)
    assert schema_version(db) == len(MIGRATIONS)
    assert EXPECTED_TABLES <= _tables(db)
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_database_is_in_wal_mode_with_full_sync(tmp_path):
    db = connect(tmp_path / DB_FILENAME)
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    # WAL is a property of the file: a plain sqlite3 connection sees it too
    import sqlite3

    plain = sqlite3.connect(tmp_path / DB_FILENAME)
    assert plain.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    plain.close()


def test_reopening_migrates_nothing_twice(tmp_path):
    path = tmp_path / DB_FILENAME
    db = connect(path)
    db.execute("INSERT INTO meta (key, value) VALUES ('probe', 'kept')")
    before = dump(db)
    db.close()
    for _ in range(3):
        db = connect(path)  # would fail with "table meta already exists" if re-run
        assert schema_version(db) == len(MIGRATIONS)
        assert dump(db) == before
        db.close()


def test_two_processes_opening_a_fresh_file_at_once_both_succeed(tmp_path):
    """Two terminals started together on a new store: both create/migrate, neither fails.

    (Found a bug: switching a fresh file to WAL from two processes at once could deadlock and
    fail with "database is locked" without waiting; edge.db now retries that switch.)
    """
    rounds = 100
    paths = [str(tmp_path / f"fresh-{i}.db") for i in range(rounds)]
    ctx = multiprocessing.get_context("spawn")
    barrier, results = ctx.Barrier(2), ctx.Queue()
    procs = [ctx.Process(target=open_race_worker, args=(paths, barrier, results))
             for _ in range(2)]
    for proc in procs:
        proc.start()
    got = [results.get(timeout=120) for _ in range(2 * rounds)]
    for proc in procs:
        proc.join(timeout=60)
        assert proc.exitcode == 0
    assert [g for g in got if g[1] == "error"] == []
    assert sorted(got) == sorted((p, len(MIGRATIONS), "wal") for p in paths for _ in range(2))
    for path in paths[:3]:
        db = connect(path)
        assert EXPECTED_TABLES <= _tables(db)
        db.close()


def test_two_connections_in_one_process_opening_a_fresh_file_both_succeed(tmp_path):
    for attempt in range(8):
        path = tmp_path / f"fresh-{attempt}.db"
        barrier = threading.Barrier(2)
        versions, errors = [], []

        def open_it():
            try:
                barrier.wait()
                db = connect(path)
                versions.append(schema_version(db))
                db.close()
            except Exception as exc:  # noqa: BLE001 - reported below
                errors.append(exc)

        threads = [threading.Thread(target=open_it) for _ in range(2)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        assert errors == []
        assert versions == [len(MIGRATIONS)] * 2


def test_write_tx_rollback_leaves_no_rows_audit_or_outbox(store):
    db = store.db
    before = dump(db)
    with pytest.raises(RuntimeError, match="boom"):
        with write_tx(db):
            db.execute("INSERT INTO meta (key, value) VALUES ('x', 'y')")
            stock._move(db, sku="B001", account="on_hand", qty=5, kind="receipt", actor="t",
                        at=NOW)  # on-hand moves append an outbox event too
            audit.record(db, actor="t", action="test.thing", entity="x:1", at=NOW)
            outbox.append(db, type="test.thing", entity="x:1", payload={}, at=NOW)
            raise RuntimeError("boom")
    assert not db.conn.in_transaction
    assert dump(db) == before


def test_write_tx_commits_on_success(store):
    db = store.db
    with write_tx(db):
        db.execute("INSERT INTO meta (key, value) VALUES ('x', 'y')")
    assert not db.conn.in_transaction
    assert db.execute("SELECT value FROM meta WHERE key = 'x'").fetchone()[0] == "y"


def test_nested_write_tx_joins_the_outer_transaction(store):
    db = store.db
    before = dump(db)
    with pytest.raises(RuntimeError):
        with write_tx(db):
            with write_tx(db):
                db.execute("INSERT INTO meta (key, value) VALUES ('inner', '1')")
            # the inner block did not commit: still one open transaction
            assert db.conn.in_transaction
            raise RuntimeError("outer fails after inner finished")
    assert dump(db) == before

    with pytest.raises(ValueError):
        with write_tx(db):
            db.execute("INSERT INTO meta (key, value) VALUES ('outer', '1')")
            with write_tx(db):
                raise ValueError("inner fails")
    assert dump(db) == before

    with write_tx(db):
        db.execute("INSERT INTO meta (key, value) VALUES ('outer', '1')")
        with write_tx(db):
            db.execute("INSERT INTO meta (key, value) VALUES ('inner', '1')")
    assert {r[0] for r in db.execute("SELECT key FROM meta")} >= {"outer", "inner"}


def test_outbox_append_refuses_outside_a_transaction(store):
    with pytest.raises(AssertionError):
        outbox.append(store.db, type="x", entity="x", payload={}, at=NOW)
