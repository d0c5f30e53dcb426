"""Live-stream burst: 50,000 orders offered to HQ on PostgreSQL as fast as it takes them,
across 20 stores (one food brand's single live stream sold 50,000 orders).

HQ is ``hq serve`` on a fresh PostgreSQL schema (dropped afterwards). Each store has granted
its online allotment through the real push API; two SKUs are scarce, so HQ must refuse some
orders (counted as correct refusals). The channel offers every order through POST
/v1/orders over many keep-alive connections, as fast as HQ answers. Then the bench reads
HQ's tables: accepted units per store and SKU never exceed what the store granted (0
oversold), and the allotment counters agree with the orders. The baseline, in the same run:
the very same order rows inserted raw through psycopg, one transaction per order.

    python -m bench burst [--quick] [--orders 50000] [--stores 20] [--connections 32] [--workers 2]
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import httpx
import orjson
import psycopg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.burst import pg  # noqa: E402
from bench.burst.client import Intake, place_all  # noqa: E402
from bench.flash.channel import order_body  # noqa: E402
from bench.flash.plan import CATALOG  # noqa: E402
from bench.flash.procs import Children, wait_healthy  # noqa: E402
from sync.hq import registry, service  # noqa: E402
from sync.hq.cli import listen_socket  # noqa: E402
from sync.hq.db import open_database  # noqa: E402
from sync.hq.schema import migrate  # noqa: E402
from sync.protocol import PUSH_PATH, CatalogItem  # noqa: E402

TARGET_PER_S = 1_000
PLAIN_GRANT = 1_000_000  # per store and SKU: never the limit
SCARCE_SHARE = 0.5  # a scarce SKU's grant covers about half of what the orders ask


@dataclass
class Run:
    orders: int
    stores: int
    connections: int
    workers: int
    seed: int

    @property
    def store_ids(self) -> list[str]:
        return [f"L{i + 1:02d}" for i in range(self.stores)]


def offers(run: Run) -> list[dict]:
    """Every order the live stream will offer, spread over the stores, all paid."""
    rng = random.Random(run.seed)
    return [order_body(rng, f"burst-{run.seed}-{i}", rng.choice(run.store_ids), True)
            for i in range(run.orders)]


def grants(run: Run, bodies: list[dict]) -> dict[tuple[str, str], int]:
    """(store, sku) -> units granted online: plenty of the plain SKUs, about half of what
    the orders ask of the scarce ones."""
    asked: dict[tuple[str, str], int] = {}
    for body in bodies:
        for line in body["lines"]:
            key = (body["store_id"], line["sku"])
            asked[key] = asked.get(key, 0) + line["qty"]
    scarce = {sku for sku, *_, is_scarce in CATALOG if is_scarce}
    return {(store, sku): max(1, int(asked.get((store, sku), 0) * SCARCE_SHARE)) if sku in scarce
            else PLAIN_GRANT for store in run.store_ids for sku, *_ in CATALOG}


def setup_hq(url: str, run: Run) -> tuple[dict[str, str], str]:
    """Catalog, stores and channel, registered as an operator does; tokens and channel key."""
    db = open_database(url)
    try:
        migrate(db)
        now = datetime.now(timezone.utc)
        for sku, zh, en, zone, price, *_ in CATALOG:
            service.upsert_catalog_item(db, CatalogItem(sku=sku, name_zh=zh, name_en=en, zone=zone,
                                                        price_cents=price), now)
        tokens = registry.add_stores(db, [(s, f"Store {s}") for s in run.store_ids], now)
        return tokens, registry.add_channel(db, "burst-live", now)
    finally:
        db.close()


def grant_allotments(hq_url: str, tokens: dict[str, str], granted: dict[tuple[str, str], int]) -> None:
    """Each store grants its allotment the way a store does: allotment.granted events pushed."""
    for store_id, token in tokens.items():
        events = [{"event_id": str(uuid.uuid4()), "seq": i + 1, "type": "allotment.granted",
                   "entity": f"sku:{sku}", "payload": {"sku": sku, "qty": granted[(store_id, sku)]}}
                  for i, (sku, *_) in enumerate(CATALOG)]
        resp = httpx.post(hq_url + PUSH_PATH, json={"events": events}, timeout=30,
                          headers={"Authorization": f"Bearer {token}"})
        if resp.status_code != 200 or any(r["outcome"] != "applied" for r in resp.json()["results"]):
            raise RuntimeError(f"granting {store_id}'s allotment failed: {resp.text[:300]}")


def start_hq(url: str, run: Run, children: Children, log: Path) -> tuple[str, int]:
    with listen_socket("127.0.0.1", 0) as probe:
        port = probe.getsockname()[1]
    hq_url = f"http://127.0.0.1:{port}"
    proc = children.python("-m", "sync.hq.cli", "hq", "serve", "--db", url, "--port", str(port),
                           "--workers", str(run.workers), "--sweep-interval", "3600", log=log)
    wait_healthy(hq_url, proc)
    return hq_url, proc.pid


@dataclass
class Audit:
    """HQ's tables after the burst."""

    accepted_units: dict[tuple[str, str], int]
    oversold: int
    counters_differ: int
    orders_at_hq: int


def audit(url: str, granted: dict[tuple[str, str], int]) -> Audit:
    """Oversold: accepted units beyond the grant, per store and SKU, counted from the order
    lines themselves; the allotment counters must equal those lines."""
    with psycopg.connect(url) as conn:
        units = {(s, k): int(q) for s, k, q in conn.execute(
            "SELECT o.store_id, l.sku, SUM(l.qty) FROM orders o JOIN order_lines l USING (order_no) "
            "WHERE o.status <> 'cancelled' GROUP BY o.store_id, l.sku")}
        counters = {(s, k): (g, lk + sd) for s, k, g, lk, sd in conn.execute(
            "SELECT store_id, sku, granted, locked, sold FROM allotments WHERE pool = 'on_hand'")}
        orders_at_hq = conn.execute("SELECT COUNT(*) FROM orders").fetchone()[0]
    oversold = sum(max(0, q - granted.get(key, 0)) for key, q in units.items())
    differ = sum(1 for key, (g, taken) in counters.items()
                 if g != granted.get(key) or taken != units.get(key, 0))
    return Audit(units, oversold, differ, orders_at_hq)


@dataclass
class Result:
    run: Run
    intake: Intake
    audit: Audit
    hq_cpu_s: float
    pg_cpu_s: float
    raw_rate: float
    load: float

    @property
    def accepted(self) -> int:
        return self.intake.statuses.get("201", 0)

    @property
    def refused(self) -> int:
        return sum(n for k, n in self.intake.statuses.items() if k.endswith("insufficient_allotment"))

    @property
    def other_answers(self) -> int:
        return len(self.intake.latencies) - self.accepted - self.refused

    @property
    def rate(self) -> float:
        return self.accepted / max(self.intake.wall_s, 1e-9)


def burst(run: Run, work: Path) -> Result:
    bodies = offers(run)
    granted = grants(run, bodies)
    encoded = [orjson.dumps(body) for body in bodies]
    children = Children()
    with pg.fresh_schema("bench_burst") as (schema, url):
        try:
            tokens, key = setup_hq(url, run)
            hq_url, hq_pid = start_hq(url, run, children, work / "hq.log")
            grant_allotments(hq_url, tokens, granted)
            place_all(hq_url, key, encoded[:run.connections], run.connections)  # warm: pools, caches
            backends = pg.backend_pids(schema)
            hq0, pg0 = pg.tree_cpu_s(hq_pid), pg.backends_cpu_s(backends)
            intake = place_all(hq_url, key, encoded[run.connections:], run.connections)
            backends = sorted(set(backends) | set(pg.backend_pids(schema)))
            hq_cpu, pg_cpu = pg.tree_cpu_s(hq_pid) - hq0, pg.backends_cpu_s(backends) - pg0
            load = os.getloadavg()[0]
        finally:
            children.stop_all()
        checked = audit(url, granted)
        raw = pg.raw_insert_rate(url, schema, intake.accepted, run.connections)
    return Result(run, intake, checked, hq_cpu, pg_cpu, raw, load)


def _row(name: str, value: str, target: str = "", ratio: str = "", verdict: str = "") -> str:
    return f"{name:<62}{value:>14}{target:>10}{ratio:>7}  {verdict}"


def table(r: Result) -> list[str]:
    n, per_k = len(r.intake.latencies), 1000 / max(r.accepted, 1)
    others = {k: v for k, v in r.intake.statuses.items() if k != "201" and not k.endswith("insufficient_allotment")}
    return [
        f"Live-stream burst: {n:,} orders offered to hq serve ({r.run.workers} process(es), PostgreSQL) "
        f"over {r.run.connections} connections, {r.run.stores} stores; load {r.load:.1f} on "
        f"{os.cpu_count()} CPUs",
        _row("measure", "value", "target", "ratio", "verdict"),
        _row(f"accepted orders/s ({r.accepted:,} accepted in {r.intake.wall_s:.1f} s)", f"{r.rate:,.0f}/s",
             f">={TARGET_PER_S:,}", f"{r.rate / r.raw_rate:.2f}", "PASS" if r.rate >= TARGET_PER_S else "FAIL"),
        _row(f"  raw INSERT, same rows, 1 tx/order, {r.run.connections} conns (baseline)", f"{r.raw_rate:,.0f}/s", "", "", "info"),
        _row("intake latency p50 / p99 (ms)",
             f"{1000 * r.intake.percentile(0.5):.0f} / {1000 * r.intake.percentile(0.99):.0f}", "", "", "info"),
        _row("HQ CPU-seconds per 1,000 accepted orders (hq serve processes)", f"{r.hq_cpu_s * per_k:.2f}",
             "", "", "info"),
        _row("PostgreSQL CPU-seconds per 1,000 accepted orders (its backends)", f"{r.pg_cpu_s * per_k:.2f}",
             "", "", "info"),
        _row(f"refused: no allotment left (scarce SKUs; correct) of {n:,}", f"{r.refused:,}", ">0", "",
             "PASS" if r.refused else "FAIL"),
        _row("oversold units (accepted lines beyond the store's grant)", f"{r.audit.oversold:,}", "0", "",
             "PASS" if r.audit.oversold == 0 else "FAIL"),
        _row("allotment counters != granted / accepted lines (store, SKU)", f"{r.audit.counters_differ:,}",
             "0", "", "PASS" if r.audit.counters_differ == 0 else "FAIL"),
        _row(f"other answers {others or ''}".rstrip(), f"{r.other_answers:,}", "0", "",
             "PASS" if r.other_answers == 0 else "FAIL"),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=50_000)
    parser.add_argument("--stores", type=int, default=20)
    parser.add_argument("--connections", type=int, default=32, help="channel connections at once")
    parser.add_argument("--workers", type=int, default=2, help="hq serve processes")
    parser.add_argument("--quick", action="store_true", help="2,000 orders")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    run = Run(2_000 if args.quick else args.orders, args.stores, args.connections, args.workers, args.seed)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # unwind: children stop, schema dropped
    began = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="burst-") as work:
        result = burst(run, Path(work))
    lines = table(result)
    print("\n".join(lines) + f"\n(whole run {time.perf_counter() - began:.0f} s)")
    return 1 if any(line.rstrip().endswith("FAIL") for line in lines) else 0


if __name__ == "__main__":
    sys.exit(main())
