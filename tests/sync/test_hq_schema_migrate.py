"""HQ schema versions: a database of the first schema HQ shipped, with data, migrates to
today's on SQLite and PostgreSQL with nothing lost; a database made before versioning is
recognised and stamped (not re-created); a newer one is refused; racing HQ processes apply
each step once."""

from __future__ import annotations

import threading

import pytest

from sync.hq import migrator, registry
from sync.hq.db import open_database
from sync.hq.migrator import SchemaTooNew, columns
from sync.hq.schema import STEPS, migrate

from conftest import FakeClock, HQServer, StoreAgent  # noqa: E402

TOKEN = "st_first-schema-store-token"
NOW = "2026-01-05T08:00:00+00:00"

# rows a first-schema HQ held: one store with events, changes, an order, stock and the rest
FIRST_SCHEMA_ROWS: dict[str, list[tuple]] = {
    "stores": [("S001", "一号店", registry.hash_secret(TOKEN), 2, 2, 0, 1, NOW)],
    "channels": [("douyin", "live_stream", registry.hash_secret("ch_x"), NOW)],
    "events": [("S001", 1, "e1", "stock.adjusted", "S001:A1", None, '{"sku":"A1"}', 1, NOW, "d1", "applied",
                None, NOW),
               ("S001", 2, "e2", "sale.recorded", "S001:s1", None, '{"sale_id":"s1"}', 1, NOW, "d2",
                "applied", None, NOW)],
    "changes": [("S001", 1, "c1", "catalog.item",
                 '{"sku":"A1","name_zh":"鲜牛奶","name_en":"Fresh milk","zone":"chilled","price_cents":1290,'
                 '"barcode":null,"shelf_life_days":7,"version":1}', NOW),
                ("S001", 2, "c2", "stock.transfer", '{"transfer_id":"T1","lines":[]}', NOW)],
    "catalog": [("A1", "鲜牛奶", "Fresh milk", "chilled", 1290, None, 7, 1)],
    "orders": [("S001-000001", "S001", "req-1", "live_stream", "douyin", "王小明", "13800138000", "allocated",
                "paid", "pickup", NOW, NOW, "123456", 0, 0, 1, NOW, NOW, None, None, 0)],
    "order_lines": [("S001-000001", 1, "A1", "鲜牛奶", "Fresh milk", 2, "chilled", 1290)],
    "allotments": [("S001", "A1", "online", 10, 0, 2)],
    "stock_moves": [("S001", "m1", "A1", "L1", 5, "receipt", None, 1)],
    "stock_levels": [("S001", "A1", 5)],
    "tasks": [("S001:t1", "S001", "prep", "S001-000001", "open", "备货", None, "{}", 1, NOW)],
    "conflicts": [("k1", "S001", "handover_after_cancel", "S001-000001", None, "{}", "open", NOW)],
    "temperature_readings": [("S001", "r1", "P1", 3.5, NOW)],
    "alarms": [("S001", "a1", "P1", NOW, 9.0, 8.0, None, None)],
    "sales": [("S001", "s1", 1290, "c01", None, "[]")],
    "transfers": [("T1", "S001", "[]", NOW)],
    "audit": [("S001", 1, "adjust", "m01", "count", None, NOW)],
    "notifications": [("n2", "S001", "S001-000001", "ready", "{}", "pending", 0, 0.0, None,
                       "2026-01-05T08:00:02+00:00", None),
                      ("n1", "S001", "S001-000001", "allocated", "{}", "delivered", 1, 0.0, None,
                       "2026-01-05T08:00:01+00:00", NOW)],
}


def _fill_first_schema(db) -> dict[str, int]:
    with db.tx() as tx:
        for table, rows in FIRST_SCHEMA_ROWS.items():
            marks = ", ".join("?" * len(rows[0]))
            tx.many(f"INSERT INTO {table} VALUES ({marks})", rows)
    return {table: len(rows) for table, rows in FIRST_SCHEMA_ROWS.items()}


def _counts(db) -> dict[str, int]:
    with db.tx(snapshot=True) as tx:
        return {table: tx.scalar(f"SELECT COUNT(*) FROM {table}") for table in FIRST_SCHEMA_ROWS}


def _shape(db) -> dict[str, set[str]]:
    """Every table's columns (what a step must leave as a fresh database has it)."""
    with db.tx(snapshot=True) as tx:
        if tx.dialect == "sqlite":
            tables = [r[0] for r in tx.all("SELECT name FROM sqlite_master WHERE type = 'table'")]
        else:
            tables = [r[0] for r in tx.all("SELECT table_name FROM information_schema.tables "
                                           "WHERE table_schema = current_schema()")]
        return {t: columns(tx, t) for t in tables}


def _fresh_shape(url: str) -> dict[str, set[str]]:
    fresh = open_database(url)
    try:
        migrate(fresh)
        return _shape(fresh)
    finally:
        fresh.close()


def _second_url(url: str, tmp_path, request) -> str:
    if url.startswith("sqlite"):
        return f"sqlite:///{tmp_path}/fresh.db"
    return request.getfixturevalue("hq_pg_url_2")


@pytest.fixture
def hq_pg_url_2(postgres):
    import secrets

    from conftest import PG_BASE_URL

    schema = f"hq_test_{secrets.token_hex(5)}"
    postgres.execute(f"CREATE SCHEMA {schema}")
    sep = "&" if "?" in PG_BASE_URL else "?"
    yield f"{PG_BASE_URL}{sep}options=-csearch_path%3D{schema}"
    postgres.execute(f"DROP SCHEMA {schema} CASCADE")


def test_first_schema_with_data_migrates_to_today_with_nothing_lost(hq_db_url, tmp_path, request):
    db = open_database(hq_db_url)
    assert migrate(db, target=1) == 1
    with db.tx() as tx:
        epoch = tx.scalar("SELECT value FROM meta WHERE key = 'epoch'")
        assert "ord" not in columns(tx, "notifications")  # really the first schema
    expected = _fill_first_schema(db)

    assert migrate(db) == len(STEPS)
    assert _counts(db) == expected
    assert _shape(db) == _fresh_shape(_second_url(hq_db_url, tmp_path, request))
    with db.tx(snapshot=True) as tx:
        assert tx.scalar("SELECT value FROM meta WHERE key = 'epoch'") == epoch  # stores keep syncing
        assert tx.scalar("SELECT value FROM meta WHERE key = 'order_series'")
        # order lines learnt their store when tables were keyed by store
        assert tx.all("SELECT store_id, order_no FROM order_lines") == [("S001", "S001-000001")]
        # notifications keep the order they were written in
        assert tx.all("SELECT notification_id FROM notifications ORDER BY ord") == [("n1",), ("n2",)]
        assert tx.all("SELECT version FROM schema_version ORDER BY version") == [
            (v,) for v in range(1, len(STEPS) + 1)]
    db.close()

    server = HQServer(hq_db_url, FakeClock(), sweep_interval=None).start()
    try:
        store = StoreAgent("S001", TOKEN, server.client, next_seq=3)
        body = store.pull(0, None).json()
        assert [c["change_id"] for c in body["changes"]] == ["c1", "c2"] and body["epoch"] == epoch
        snap = store.snapshot()
        assert snap.status_code == 200, snap.text
        assert {i["type"] for i in snap.json()["items"]} >= {"catalog.item", "order.allocated"}
        assert store.send("allotment.granted", {"sku": "A1", "qty": 5})["outcome"] == "applied"
        with server.db.tx(snapshot=True) as tx:
            assert tx.scalar("SELECT SUM(granted) FROM allotments WHERE store_id = 'S001' AND sku = 'A1'") == 15
    finally:
        server.stop()


def _unversioned_at(db, version: int) -> None:
    """A database as the HQ release of step ``version`` left it before schemas were
    versioned: its tables, no ``schema_version`` (the last such release also kept a
    fingerprint row in meta)."""
    migrate(db, target=version)
    with db.tx() as tx:
        tx.run("DROP TABLE schema_version")
        tx.run("INSERT INTO meta (key, value) VALUES ('schema', '5f0e3c2a9b7d4e11')")


def test_pre_versioning_database_is_stamped_not_recreated(hq_db_url):
    db = open_database(hq_db_url)
    _unversioned_at(db, 7)  # what the last unversioned release (74919f0) made
    with db.tx() as tx:
        tx.run("INSERT INTO stores (store_id, name, token_hash, created_at) VALUES ('S9', '', 'h', ?)", (NOW,))
        epoch = tx.scalar("SELECT value FROM meta WHERE key = 'epoch'")
    assert migrate(db) == len(STEPS)
    with db.tx(snapshot=True) as tx:
        rows = tx.all("SELECT version, description FROM schema_version ORDER BY version")
        assert rows[0][0] == 7 and "before HQ schemas were versioned" in rows[0][1]
        assert [r[0] for r in rows[1:]] == list(range(8, len(STEPS) + 1))
        assert tx.scalar("SELECT COUNT(*) FROM stores") == 1
        assert tx.scalar("SELECT value FROM meta WHERE key = 'epoch'") == epoch
        assert tx.scalar("SELECT COUNT(*) FROM meta WHERE key = 'schema'") == 0
    db.close()


@pytest.mark.parametrize("version", range(1, 8))
def test_every_unversioned_release_is_recognised(tmp_path, version):
    db = open_database(f"sqlite:///{tmp_path}/hq.db")
    _unversioned_at(db, version)
    with db.tx() as tx:
        assert migrator.detect_unversioned(tx) == version
    db.close()


def test_database_newer_than_the_code_is_refused_untouched(hq_db_url):
    db = open_database(hq_db_url)
    migrate(db)
    with db.tx() as tx:
        tx.run("INSERT INTO schema_version (version, description, applied_at) VALUES (?, 'from the future', ?)",
               (len(STEPS) + 1, NOW))
    with pytest.raises(SchemaTooNew) as caught:
        migrate(db)
    assert "upgrade store-edge" in caught.value.message and "请先升级" in caught.value.message
    assert caught.value.found == len(STEPS) + 1
    db.close()


def test_processes_starting_at_once_apply_each_step_once(hq_db_url):
    """Several HQs on one empty database at the same moment (threads with their own
    connection pools: PostgreSQL's advisory lock / SQLite's write lock serialize them)."""
    dbs = [open_database(hq_db_url) for _ in range(4)]
    start = threading.Barrier(len(dbs))
    results: list[int] = []
    errors: list[BaseException] = []

    def run(db) -> None:
        try:
            start.wait()
            results.append(migrate(db))
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(db,)) for db in dbs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and results == [len(STEPS)] * len(dbs)
    with dbs[0].tx(snapshot=True) as tx:
        assert tx.scalar("SELECT COUNT(*) FROM schema_version") == len(STEPS)
    for db in dbs:
        db.close()
