"""Push ingest at a SQLite HQ over loopback vs a raw SQLite insert of the same rows.

HQ runs as a real uvicorn subprocess (``hq serve``); stores push pre-encoded batches of
``--batch`` events over HTTP, one thread per store. The baseline inserts the very same event
rows with executemany into a bare SQLite table (WAL, synchronous=FULL like HQ, same batch
size) in the same run. Besides wall-clock rates it prints the HQ server's own CPU time, a
figure other load on the machine cannot halve.

    .venv/bin/python -m bench.bench_hq_ingest [--events 100000] [--batch 500] [--stores 2]
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sync.hq import registry  # noqa: E402
from sync.hq.clock import utcnow  # noqa: E402
from sync.hq.db import open_database  # noqa: E402
from sync.hq.schema import migrate  # noqa: E402


def make_events(store: str, n: int) -> list[dict]:
    """Events 1..n of one store (see ``make_event``)."""
    return [make_event(store, seq) for seq in range(1, n + 1)]


def make_event(store: str, seq: int) -> dict:
    """A realistic mix by seq: probe readings, stock movements, counter sales, task edits."""
    kind = seq % 10
    if kind < 4:
        ev_type, payload = "temperature.reading", {"reading_id": f"{store}-r{seq}", "probe_id": f"fridge-{seq % 6}",
                                                   "celsius": 3.5 + (seq % 7) / 10, "at": "2026-05-01T08:00:00+00:00"}
    elif kind < 8:
        ev_type, payload = "stock.moved", {"move_id": f"{store}-m{seq}", "sku": f"SKU-{seq % 300}",
                                           "lot": "L1", "qty": -1 if kind % 2 else 3, "kind": "sale" if kind % 2 else "receipt",
                                           "ref": f"sale-{seq}"}
    elif kind == 8:
        ev_type, payload = "sale.completed", {"sale_id": f"{store}-s{seq}", "clerk_id": "c1", "total_cents": 1290,
                                              "lines": [{"sku": f"SKU-{seq % 300}", "qty": 1, "unit_price_cents": 1290}],
                                              "with_pickup_order_no": None}
    else:
        ev_type, payload = "task.updated", {"task_id": f"{store}:t{seq % 50}", "status": "in_progress",
                                            "fields": {"shelf": f"F{seq % 9}"}}
    return {"event_id": str(uuid.uuid4()), "seq": seq, "type": ev_type, "entity": "",
            "base_version": None, "payload": payload, "schema": 1,
            "store_clock": "2026-05-01T08:00:00+00:00"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process so far (Linux /proc): a figure other load can't halve."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_hq_push(data_dir: Path, stores: int, per_store: int, batch: int) -> tuple[float, float, int]:
    db_url = f"sqlite:///{data_dir / 'hq.db'}"
    db = open_database(db_url)
    migrate(db)
    tokens = {f"B{i:03d}": registry.add_store(db, f"B{i:03d}", utcnow()) for i in range(stores)}
    db.close()
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    server = subprocess.Popen([sys.executable, "-m", "sync.hq.cli", "hq", "serve", "--db", db_url, "--port", str(port),
                               "--sweep-interval", "3600"], env=env, stdout=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                if httpx.get(url + "/v1/health").status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.05)
        bodies = {
            store: [json.dumps({"events": evs[i:i + batch]}).encode() for i in range(0, len(evs), batch)]
            for store, evs in ((s, make_events(s, per_store)) for s in tokens)
        }
        failures: list[str] = []

        def push_all(store: str) -> None:
            headers = {"Authorization": f"Bearer {tokens[store]}", "Content-Type": "application/json"}
            with httpx.Client(base_url=url, timeout=60) as client:
                for body in bodies[store]:
                    r = client.post("/v1/sync/push", content=body, headers=headers)
                    if r.status_code != 200:
                        failures.append(f"{store}: {r.status_code} {r.text[:200]}")
                        return

        threads = [threading.Thread(target=push_all, args=(s,)) for s in tokens]
        cpu_start = cpu_seconds(server.pid)
        start = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - start
        cpu = cpu_seconds(server.pid) - cpu_start
        if failures:
            raise SystemExit(f"push failed: {failures[0]}")
    finally:
        server.terminate()
        server.wait(timeout=30)
    with sqlite3.connect(data_dir / "hq.db") as conn:
        stored = conn.execute("SELECT count(*) FROM events WHERE outcome = 'applied'").fetchone()[0]
    return elapsed, cpu, stored


def run_raw_insert(path: Path, stores: int, per_store: int, batch: int) -> tuple[float, float]:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")  # the same durability as the HQ
    conn.execute("CREATE TABLE events (store_id TEXT, seq INTEGER, event_id TEXT, type TEXT, entity TEXT, "
                 "base_version INTEGER, payload TEXT, schema_version INTEGER, store_clock TEXT, "
                 "PRIMARY KEY (store_id, seq))")
    rows = {s: [(s, e["seq"], e["event_id"], e["type"], e["entity"], e["base_version"], json.dumps(e["payload"]),
                 e["schema"], e["store_clock"]) for e in make_events(s, per_store)]
            for s in (f"B{i:03d}" for i in range(stores))}
    start, cpu_start = time.perf_counter(), time.process_time()
    for store_rows in rows.values():
        for i in range(0, len(store_rows), batch):
            conn.execute("BEGIN")
            conn.executemany("INSERT INTO events VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", store_rows[i:i + batch])
            conn.execute("COMMIT")
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu_start
    conn.close()
    return elapsed, cpu


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--stores", type=int, default=2)
    args = parser.parse_args(argv)
    per_store = args.events // args.stores
    total = per_store * args.stores
    with tempfile.TemporaryDirectory() as tmp:
        hq_s, hq_cpu, stored = run_hq_push(Path(tmp), args.stores, per_store, args.batch)
        raw_s, raw_cpu = run_raw_insert(Path(tmp) / "raw.db", args.stores, per_store, args.batch)
    hq_rate, raw_rate = total / hq_s, total / raw_s
    hq_per_cpu, raw_per_cpu = total / max(hq_cpu, 1e-9), total / max(raw_cpu, 1e-9)
    load = os.getloadavg()[0]
    print(f"HQ push ingest, SQLite, loopback HTTP: {total} events, batches of {args.batch}, "
          f"{args.stores} stores, load average {load:.1f} on {os.cpu_count()} CPUs")
    print(f"{'measure':<36}{'events':>8}{'wall s':>8}{'events/s':>10}{'ratio':>7}{'CPU s':>7}{'ev/CPU-s':>10}{'ratio':>7}")
    print(f"{'raw SQLite executemany (baseline)':<36}{total:>8}{raw_s:>8.2f}{raw_rate:>10,.0f}{1:>7.2f}"
          f"{raw_cpu:>7.2f}{raw_per_cpu:>10,.0f}{1:>7.2f}")
    print(f"{'HQ POST /v1/sync/push (server)':<36}{total:>8}{hq_s:>8.2f}{hq_rate:>10,.0f}{hq_rate / raw_rate:>7.2f}"
          f"{hq_cpu:>7.2f}{hq_per_cpu:>10,.0f}{hq_per_cpu / raw_per_cpu:>7.2f}")
    print(f"target >= 20,000 events/s wall: {'MET' if hq_rate >= 20_000 else 'NOT MET: FAIL'}"
          f"{' (machine busy: see load average and ev/CPU-s)' if load > (os.cpu_count() or 1) else ''}; "
          f"applied at HQ: {stored}/{total} {'(all)' if stored == total else '(MISSING)'}")
    return 0 if stored == total and hq_rate >= 20_000 else 1


if __name__ == "__main__":
    sys.exit(main())
