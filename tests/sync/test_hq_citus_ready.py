"""HQ can be distributed by ``store_id`` (Citus) or partitioned by it without a rewrite.

1. Every HQ table is keyed by store: ``store_id`` is the first column of its primary key, or
   it is one of the documented reference tables (small, chain-wide, replicated on Citus).
2. The SQL HQ runs while stores push, pull and load a snapshot and while channels place
   orders (captured from the real endpoint) touches a distributed table only with an
   equality on ``store_id`` in the same query block (one shard), joins two distributed
   tables only on ``store_id`` (co-located), and inserts only rows that name their store.

The README section "HQ at chain scale" explains what this buys and how to distribute.
"""

from __future__ import annotations

import re
import threading
from datetime import datetime, timezone

import pytest
import sqlglot
from sqlglot import exp

from sync.hq import db as hq_db
from sync.hq.migrator import columns

# chain-wide tables every store reads the same way: replicated to each node on Citus
REFERENCE_TABLES = {"meta", "catalog", "catalog_shelves", "channels", "schema_version"}


def _tables(tx) -> list[str]:
    if tx.dialect == "sqlite":
        return [r[0] for r in tx.all("SELECT name FROM sqlite_master WHERE type = 'table' "
                                     "AND name NOT LIKE 'sqlite_%'")]
    return [r[0] for r in tx.all("SELECT table_name FROM information_schema.tables "
                                 "WHERE table_schema = current_schema()")]


def _primary_key(tx, table: str) -> list[str]:
    if tx.dialect == "sqlite":
        rows = tx.all(f"PRAGMA table_info({table})")
        return [r[1] for r in sorted((r for r in rows if r[5]), key=lambda r: r[5])]
    return [r[0] for r in tx.all(
        "SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid "
        "AND a.attnum = ANY(i.indkey) WHERE i.indrelid = to_regclass(?) AND i.indisprimary "
        "ORDER BY array_position(i.indkey::int2[], a.attnum)", (table,))]


def _unique_keys(tx, table: str) -> list[list[str]]:
    """Columns of each UNIQUE constraint/index other than the primary key."""
    if tx.dialect == "sqlite":
        return [[c[2] for c in tx.all(f"PRAGMA index_info('{ix[1]}')")]
                for ix in tx.all(f"PRAGMA index_list({table})") if ix[2] and ix[3] != "pk"]
    return [list(r[0]) for r in tx.all(
        "SELECT ARRAY(SELECT a.attname FROM unnest(i.indkey) k JOIN pg_attribute a ON a.attrelid = i.indrelid "
        "AND a.attnum = k) FROM pg_index i WHERE i.indrelid = to_regclass(?) AND i.indisunique "
        "AND NOT i.indisprimary", (table,))]


def distributed_tables(database) -> set[str]:
    with database.tx(snapshot=True) as tx:
        return {t for t in _tables(tx) if t not in REFERENCE_TABLES}


def test_every_table_is_keyed_by_store_or_a_documented_reference(hq_server):
    with hq_server.db.tx(snapshot=True) as tx:
        keyed = {t: _primary_key(tx, t) for t in _tables(tx) if t not in REFERENCE_TABLES}
        assert all("store_id" in columns(tx, t) for t in keyed)
        # Citus enforces a unique key only when it holds the distribution column
        uniques = {t: keys for t in keyed if (keys := [k for k in _unique_keys(tx, t) if "store_id" not in k])}
    wrong = {t: pk for t, pk in keyed.items() if not pk or pk[0] != "store_id"}
    assert not wrong, f"tables not keyed by store_id first: {wrong}"
    assert not uniques, f"unique keys without store_id: {uniques}"


# ------------------------------------------------------------------ the hot queries
def _store_equality(node: exp.Expression, alias: str, single: bool) -> bool:
    """``<alias>.store_id = ?`` / ``IN (...)`` / ``= <other>.store_id`` in this query block."""
    for cond in _own(node):
        if isinstance(cond, (exp.EQ, exp.In)):
            sides = [cond.this, cond.args.get("expression")]
            for side in sides:
                if isinstance(side, exp.Column) and side.name == "store_id" and (
                        side.table == alias or (not side.table and single)):
                    return True
    return False


def _own(node: exp.Expression | None):
    """Nodes of ``node`` not inside a nested query block."""
    if node is None:
        return
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        for child in current.iter_expressions():
            if not isinstance(child, (exp.Select, exp.Subquery)):
                stack.append(child)


def violations(sql: str, distributed: set[str]) -> list[str]:
    if not set(re.findall(r"\w+", sql)) & distributed:
        return []  # no HQ table named (e.g. pg_notify): nothing to route
    tree = sqlglot.parse_one(sql, read="sqlite")
    found = []
    for table in tree.find_all(exp.Table):
        if table.name not in distributed:
            continue
        block = table.find_ancestor(exp.Select, exp.Update, exp.Delete, exp.Insert)
        if isinstance(block, exp.Insert):
            target = block.this
            names = [c.name for c in target.expressions] if isinstance(target, exp.Schema) else []
            if "store_id" not in names:
                found.append(f"INSERT INTO {table.name} without store_id")
            continue
        others = [t for t in block.find_all(exp.Table) if t.find_ancestor(exp.Select, exp.Update, exp.Delete)
                  is block]
        scope = [block.args.get("where")] + [j.args.get("on") for j in block.args.get("joins") or []]
        if not any(_store_equality(part, table.alias_or_name, len(others) == 1) for part in scope if part):
            found.append(f"{table.name} read or written without store_id = ?")
    return found


class CapturedSQL:
    """Every statement HQ's Tx runs while ``on`` (the endpoint runs in this process)."""

    def __init__(self) -> None:
        self.on = False
        self.statements: list[str] = []
        self._lock = threading.Lock()

    def record(self, sql: str) -> None:
        if self.on:
            with self._lock:
                self.statements.append(sql)


@pytest.fixture
def captured(monkeypatch) -> CapturedSQL:
    capture = CapturedSQL()
    original = hq_db.Tx._sql

    def recording(self, sql: str) -> str:
        capture.record(sql)
        return original(self, sql)

    monkeypatch.setattr(hq_db.Tx, "_sql", recording)
    return capture


def captured_day(hq_server, hq_clock, store, other, channel) -> None:
    at = datetime.now(timezone.utc).isoformat()
    store.send("allotment.granted", {"sku": "A1", "qty": 10})
    store.send("stock.moved", {"move_id": "m1", "sku": "A1", "lot": "L1", "qty": 5, "kind": "receipt"})
    store.send("sale.completed", {"sale_id": "s1", "clerk_id": "c1", "total_cents": 1290,
                                  "lines": [{"sku": "A1", "qty": 1, "unit_price_cents": 1290}],
                                  "with_pickup_order_no": None})
    store.send("temperature.reading", {"reading_id": "r1", "probe_id": "F1", "celsius": 3.5, "at": at})
    store.send("task.updated", {"task_id": "S1:t1", "status": "in_progress", "fields": {"shelf": "F1"}})
    paid = channel.place("S1", [("A1", 2)], paid=True).json()
    channel.place("S1", [("A1", 1)])
    store.send("order.status_changed", {"order_no": paid["order_no"], "order_uid": paid.get("order_uid"),
                                        "to": "ready"})
    store.send("order.handed_over", {"order_no": paid["order_no"], "order_uid": paid.get("order_uid"),
                                     "clerk_id": "c7", "at": at, "verify_ms": 300})
    short = channel.place("S1", [("A1", 2)], paid=True).json()
    applied(store, "order.short_picked", {"order_no": short["order_no"], "order_uid": short.get("order_uid"),
                                        "lines": [{"line_no": 1, "sku": "A1", "qty": 1}], "by": "c1"})
    applied(store, "order.short_decided", {"order_no": short["order_no"], "order_uid": short.get("order_uid"),
                                         "decision": "ready_without", "by": "m01"})
    away = channel.place("S1", [("A1", 1)], paid=True, fulfilment="delivery",
                         delivery={"address": "上海市徐汇区天钥桥路 100 弄 5 号", "promised_min": 60,
                                   "courier_mode": "store"}).json()
    applied(store, "order.out_for_delivery", {"order_no": away["order_no"], "order_uid": away.get("order_uid"),
                                            "zone": "chilled", "courier_name": "王芳", "courier_mode": "store",
                                            "clerk_id": "c1"})
    store.pull_all()
    other.pull_all()
    assert store.snapshot().status_code == 200
    assert other.snapshot().status_code == 200


def applied(store, kind: str, payload: dict) -> None:
    result = store.send(kind, payload)
    assert result["outcome"] == "applied", result


def test_hot_queries_stay_within_one_store(hq_server, hq_clock, captured):
    hq_server.add_product("A1")
    store = hq_server.add_store("S1")
    other = hq_server.add_store("S2")
    channel = hq_server.add_channel("live")
    captured.on = True
    captured_day(hq_server, hq_clock, store, other, channel)
    captured.on = False
    distributed = distributed_tables(hq_server.db)
    statements = sorted(set(captured.statements))
    assert len(statements) > 30  # really captured the day
    problems = {sql: v for sql in statements if (v := violations(sql, distributed))}
    assert not problems, "\n".join(f"{v}: {sql}" for sql, v in problems.items())
