"""Registering a chain's stores: ``hq add-stores`` (one process, one transaction) vs the
baseline ``hq add-store`` run once per store (what an operator did before), in the same run.

Both are real ``store-edge`` processes on a real database (SQLite file; PostgreSQL too when
it answers at $STORE_EDGE_TEST_PG), with a catalog HQ sends each new store. Reported: wall
seconds and the commands' CPU seconds (children's rusage), the baseline extrapolated from
``--sample`` stores to ``--stores``. Target: ``--stores`` stores in under ``--target``
CPU-seconds of the command, and at least 20x less CPU than the baseline; the bench exits 1
otherwise (CPU, not wall time: on a shared machine wall time measures the neighbours). The
database server's own CPU (PostgreSQL) is not in these figures; wall time is shown beside.

    .venv/bin/python -m bench.bench_hq_add_stores [--stores 1000] [--sample 5] [--catalog 200]
"""

from __future__ import annotations

import argparse
import os
import resource
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sync.hq import service  # noqa: E402
from sync.hq.clock import utcnow  # noqa: E402
from sync.hq.db import open_database  # noqa: E402
from sync.hq.schema import migrate  # noqa: E402
from sync.protocol import CatalogItem  # noqa: E402

PG = os.environ.get("STORE_EDGE_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")


def _cli(*args: str) -> tuple[float, float]:
    """Run one store-edge command; (wall s, CPU s of the child)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "edge.cli", *args], check=True, cwd=ROOT, stdout=subprocess.DEVNULL,
                   env={**os.environ, "PYTHONPATH": str(ROOT)})
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def _prepare(url: str, catalog: int) -> None:
    db = open_database(url)
    migrate(db)
    for i in range(catalog):
        service.upsert_catalog_item(db, CatalogItem(sku=f"SKU{i:05d}", name_zh=f"商品{i}", name_en=f"Item {i}",
                                                    zone="chilled", price_cents=100 + i), utcnow())
    db.close()


def measure(url: str, stores: int, sample: int, catalog: int, work: Path) -> dict[str, float]:
    _prepare(url, catalog)
    base_wall = base_cpu = 0.0
    for i in range(sample):
        wall, cpu = _cli("hq", "add-store", "--db", url, f"A{i:05d}")
        base_wall, base_cpu = base_wall + wall, base_cpu + cpu
    csv_path = work / f"stores-{secrets.token_hex(3)}.csv"
    csv_path.write_text("store_id,name\n" + "".join(f"B{i:05d},门店{i}\n" for i in range(stores)), encoding="utf-8")
    bulk_wall, bulk_cpu = _cli("hq", "add-stores", "--db", url, str(csv_path))
    return {"base_wall": base_wall / sample * stores, "base_cpu": base_cpu / sample * stores,
            "bulk_wall": bulk_wall, "bulk_cpu": bulk_cpu}


def _pg_schema_url() -> tuple[str, object] | None:
    try:
        import psycopg

        conn = psycopg.connect(PG, autocommit=True, connect_timeout=3)
    except Exception as exc:  # noqa: BLE001
        print(f"PostgreSQL not reachable ({type(exc).__name__}); SQLite only")
        return None
    schema = f"bench_add_{secrets.token_hex(4)}"
    conn.execute(f"CREATE SCHEMA {schema}")
    sep = "&" if "?" in PG else "?"
    return f"{PG}{sep}options=-csearch_path%3D{schema}", (conn, schema)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--stores", type=int, default=1000)
    ap.add_argument("--sample", type=int, default=5, help="add-store runs timed for the baseline")
    ap.add_argument("--catalog", type=int, default=200, help="catalog items each new store is sent")
    ap.add_argument("--target", type=float, default=10.0, help="CPU-seconds for --stores stores")
    args = ap.parse_args()
    failed = False
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        backends = [("sqlite", f"sqlite:///{work / 'hq.db'}", None)]
        pg = _pg_schema_url()
        if pg:
            backends.append(("postgresql", pg[0], pg[1]))
        print(f"{args.stores} stores, catalog of {args.catalog} items (baseline: {args.sample} add-store runs, "
              f"scaled)")
        print(f"{'backend':<11} {'add-store x N':>14} {'add-stores':>11} {'ratio':>7} {'CPU base':>9} "
              f"{'CPU bulk':>9} {'CPU ratio':>9}")
        for name, url, cleanup in backends:
            try:
                r = measure(url, args.stores, args.sample, args.catalog, work)
            finally:
                if cleanup:
                    conn, schema = cleanup
                    conn.execute(f"DROP SCHEMA {schema} CASCADE")
                    conn.close()
            ratio, cpu_ratio = r["base_wall"] / r["bulk_wall"], r["base_cpu"] / max(r["bulk_cpu"], 1e-9)
            print(f"{name:<11} {r['base_wall']:>13.1f}s {r['bulk_wall']:>10.2f}s {ratio:>6.0f}x "
                  f"{r['base_cpu']:>8.1f}s {r['bulk_cpu']:>8.2f}s {cpu_ratio:>8.0f}x")
            if r["bulk_cpu"] > args.target or cpu_ratio < 20:
                print(f"  MISSED: {name} took {r['bulk_cpu']:.1f} CPU-s (target {args.target:g}, >= 20x)")
                failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
