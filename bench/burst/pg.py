"""PostgreSQL for the burst bench: a schema of its own, the raw-insert baseline, and the CPU
time of the server processes that served the bench (found by application_name)."""

from __future__ import annotations

import os
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from collections.abc import Iterator
from pathlib import Path

import psycopg

BASE_URL = os.environ.get("STORE_EDGE_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/test")


def with_options(url: str, schema: str, app: str) -> str:
    sep = "&" if "?" in url else "?"
    return f"{url}{sep}application_name={app}&options=-csearch_path%3D{schema}"


@contextmanager
def fresh_schema(prefix: str) -> Iterator[tuple[str, str]]:
    """(schema, URL whose connections use it and carry an application_name of their own);
    the schema is dropped afterwards, so the bench leaves the database as it found it."""
    schema = f"{prefix}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(BASE_URL, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    try:
        yield schema, with_options(BASE_URL, schema, schema)
    finally:
        with psycopg.connect(BASE_URL, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")


def process_cpu_s(pid: int) -> float:
    """User + system CPU of one process so far (Linux /proc); 0 when it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def tree_cpu_s(pid: int) -> float:
    """CPU of a process and its children (``hq serve --workers N`` forks its workers)."""
    total = process_cpu_s(pid)
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            if ppid == pid:
                total += tree_cpu_s(int(entry.name))
    return total


def backend_pids(app: str) -> list[int]:
    with psycopg.connect(BASE_URL, autocommit=True) as conn:
        return [row[0] for row in conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE application_name = %s", (app,))]


def backends_cpu_s(pids: list[int]) -> float:
    """CPU of the server processes behind HQ's connections (PostgreSQL runs on this machine)."""
    return sum(process_cpu_s(pid) for pid in pids)


def _insert_orders(url: str, raw: str, rows: list[tuple[tuple, list[tuple]]]) -> None:
    """One connection: each order and its lines in a transaction of their own."""
    order_marks = ", ".join(["%s"] * len(rows[0][0]))
    line_marks = ", ".join(["%s"] * len(rows[0][1][0]))
    with psycopg.connect(url) as conn, conn.cursor() as cur:
        for order, lines in rows:
            cur.execute(f"INSERT INTO {raw}.orders VALUES ({order_marks})", order)
            cur.executemany(f"INSERT INTO {raw}.order_lines VALUES ({line_marks})", lines)
            conn.commit()


def raw_insert_rate(url: str, schema: str, order_nos: list[str], connections: int) -> float:
    """The baseline: the same order rows and lines, copied into bare tables of the same
    shape (indexes included), one transaction per order, over as many connections as the
    channel used; orders per second."""
    with psycopg.connect(url, autocommit=True) as conn:
        orders = {row[0]: row for row in conn.execute(
            "SELECT * FROM orders WHERE order_no = ANY(%s)", (order_nos,))}
        lines: dict[str, list[tuple]] = {}
        for row in conn.execute("SELECT * FROM order_lines WHERE order_no = ANY(%s)", (order_nos,)):
            lines.setdefault(row[0], []).append(row)
        raw = f"{schema}_raw"
        conn.execute(f"CREATE SCHEMA {raw}")
        try:
            for table in ("orders", "order_lines"):
                conn.execute(f"CREATE TABLE {raw}.{table} (LIKE {schema}.{table} INCLUDING ALL)")
            rows = [(order, lines[order_no]) for order_no, order in orders.items()]
            shares = [rows[i::connections] for i in range(connections) if rows[i::connections]]
            start = time.perf_counter()
            with ThreadPoolExecutor(len(shares)) as pool:
                list(pool.map(lambda share: _insert_orders(url, raw, share), shares))
            elapsed = time.perf_counter() - start
        finally:
            conn.execute(f"DROP SCHEMA {raw} CASCADE")
    return len(rows) / max(elapsed, 1e-9)
