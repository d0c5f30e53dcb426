"""Flash sale: HQ plus N stores as separate processes, online orders pouring in over HTTP
while the stores sell at the counter and 30 % of them drop off the network at random.

HQ is ``hq serve`` on SQLite (a subprocess). Each store is its own process and data dir: the
real sync worker in a thread, the counter in the main thread, and its HQ traffic through its
own loopback FaultProxy, which the bench cuts and heals at random. A channel process places
the orders; some SKUs are scarce, so HQ must refuse some (counted, correct). Then everything
quiesces and the bench reads both sides' databases: oversold units and lost or duplicated
events must be 0 (exit 1 otherwise). A store back from 7 days offline with a 50,000-event
outbox then reconnects; its push rate is compared with a raw SQLite insert of the same rows
in the same run.

    .venv/bin/python -m bench.bench_flash_sale [--stores 20] [--orders 10000] [--quick]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import sqlite3
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.bench_hq_ingest import cpu_seconds  # noqa: E402
from bench.flash import checks, presale  # noqa: E402
from bench.flash.channel import place_orders  # noqa: E402
from bench.flash.plan import CATALOG, Plan  # noqa: E402
from bench.flash.procs import Children, wait_files, wait_healthy  # noqa: E402
from bench.flash.store_proc import build_store  # noqa: E402
from sync.hq import registry, service  # noqa: E402
from sync.hq.cli import listen_socket  # noqa: E402
from sync.hq.db import open_database  # noqa: E402
from sync.hq.schema import migrate  # noqa: E402
from sync.protocol import CatalogItem  # noqa: E402
from tests.support.fault_proxy import FaultProxy  # noqa: E402

BACKLOG_STORE = "B01"
INGEST_TARGET = 20_000
CONVERGE_TARGET_S = 10.0
RAW_BATCH = 1000  # the sync client's push batch


def quick_plan(seed: int) -> Plan:
    return Plan(stores=4, orders=400, place_seconds=12.0, backlog_events=5_000, backlog_orders=40,
                channel_threads=4, seed=seed)


@dataclass
class World:
    """What the bench started: where things are, and how to reach them."""

    work: Path
    plan: Plan
    children: Children = field(default_factory=Children)
    hq_url: str = ""
    hq_db: Path = Path()
    tokens: dict[str, str] = field(default_factory=dict)
    channel_key: str = ""
    proxies: dict[str, FaultProxy] = field(default_factory=dict)
    hq_pid: int = 0

    def store_dir(self, store_id: str) -> Path:
        return self.work / "stores" / store_id


# ---------------------------------------------------------------- setting up
def setup_hq(w: World) -> None:
    """Catalog, stores, channel in HQ's SQLite file; then ``hq serve`` on a free port."""
    w.hq_db = w.work / "hq.db"
    url = f"sqlite:///{w.hq_db}"
    db = open_database(url)
    migrate(db)
    now = datetime.now(timezone.utc)
    for sku, zh, en, zone, price, *_ in CATALOG:
        service.upsert_catalog_item(db, CatalogItem(sku=sku, name_zh=zh, name_en=en, zone=zone,
                                                    price_cents=price), now)
    for store_id in [*w.plan.store_ids, BACKLOG_STORE]:
        w.tokens[store_id] = registry.add_store(db, store_id, now)
    w.channel_key = registry.add_channel(db, "flash-live", now)
    presale.setup_hq(db, w.plan.store_ids, w.plan, now)
    db.close()
    with listen_socket("127.0.0.1", 0) as probe:
        port = probe.getsockname()[1]
    w.hq_url = f"http://127.0.0.1:{port}"
    proc = w.children.python("-m", "sync.hq.cli", "hq", "serve", "--db", url, "--port", str(port),
                             "--sweep-interval", "3600", log=w.work / "hq.log")
    wait_healthy(w.hq_url, proc)
    w.hq_pid = proc.pid


def build_stores(w: World) -> None:
    now = datetime.now(timezone.utc)
    for store_id in [*w.plan.store_ids, BACKLOG_STORE]:
        build_store(w.store_dir(store_id), store_id, w.plan, now).close()


def prepare_backlog(w: World) -> dict:
    """The backlog store syncs once, then lives a week offline (own process, domain calls);
    meanwhile HQ keeps selling its allotment online."""
    d = w.store_dir(BACKLOG_STORE)
    proc = w.children.python("-m", "bench.flash.store_proc", "backlog", "--data-dir", str(d),
                             "--hq", w.hq_url, "--token", w.tokens[BACKLOG_STORE],
                             "--seed", str(w.plan.seed), "--events", str(w.plan.backlog_events),
                             log=w.work / "backlog.log")
    if proc.wait(timeout=240) != 0:
        raise RuntimeError("backlog store failed: see backlog.log")
    tally, _ = place_orders(w.hq_url, w.channel_key, [BACKLOG_STORE], w.plan.backlog_orders, 0.0,
                            2, w.plan.seed, prefix="week")
    return {**json.loads((d / "backlog.json").read_text()), "orders": len(tally.accepted)}


def start_stores(w: World) -> list:
    """One process per store, each talking to HQ through its own fault proxy."""
    procs = []
    for i, store_id in enumerate(w.plan.store_ids):
        proxy = FaultProxy(w.hq_url, seed=w.plan.seed + i)
        proxy.start()
        w.proxies[store_id] = proxy
        procs.append(w.children.python(
            "-m", "bench.flash.store_proc", "run", "--data-dir", str(w.store_dir(store_id)),
            "--hq", proxy.url, "--token", w.tokens[store_id], "--plan", str(w.work / "plan.json"),
            "--seed", str(w.plan.seed * 100 + i), log=w.work / f"{store_id}.log"))
    wait_files([w.store_dir(s) / "ready" for s in w.plan.store_ids], procs, timeout=90)
    return procs


# ---------------------------------------------------------------- cutting stores off
def outage_schedule(plan: Plan) -> list[tuple[float, str, int]]:
    """(at seconds, store, +1 cut / -1 heal) for 30 % of the stores, 1-3 outages each."""
    rng = random.Random(plan.seed)
    chosen = rng.sample(plan.store_ids, round(plan.offline_share * plan.stores))
    events = []
    for store_id in chosen:
        for _ in range(rng.randint(1, 3)):
            start = rng.uniform(0, 0.85 * plan.place_seconds)
            length = rng.uniform(max(2.0, 0.05 * plan.place_seconds), 0.25 * plan.place_seconds)
            events += [(start, store_id, +1), (start + length, store_id, -1)]
    return sorted(events)


class Chaos(threading.Thread):
    """Cuts and heals store proxies on schedule; ``finish()`` heals everything."""

    def __init__(self, w: World) -> None:
        super().__init__(name="chaos", daemon=True)
        self.w, self.schedule = w, outage_schedule(w.plan)
        self.done = threading.Event()
        self.offline_s: dict[str, float] = {}

    def run(self) -> None:
        start, depth, since = time.monotonic(), {}, {}
        for at, store_id, step in self.schedule:
            if self.done.wait(max(0.0, start + at - time.monotonic())):
                break
            depth[store_id] = depth.get(store_id, 0) + step
            if depth[store_id] == 1 and step == 1:
                self.w.proxies[store_id].cut()
                since[store_id] = time.monotonic()
            elif depth[store_id] == 0:
                self.w.proxies[store_id].heal()
                self.offline_s[store_id] = self.offline_s.get(store_id, 0) + time.monotonic() - since[store_id]

    def finish(self) -> None:
        self.done.set()
        self.join(5)
        for proxy in self.w.proxies.values():
            proxy.heal()


# ---------------------------------------------------------------- the sale
def run_sale(w: World, stores: list) -> dict:
    """Channel places the orders while Chaos cuts stores; then heal and quiesce."""
    out = w.work / "channel.json"
    chaos = Chaos(w)
    started = datetime.now(timezone.utc)
    chaos.start()
    presale_thread, presale_tally = presale.start_placing(w.hq_url, w.channel_key, w.plan.store_ids, w.plan)
    channel = w.children.python("-m", "bench.flash.channel", "--plan", str(w.work / "plan.json"),
                                "--hq", w.hq_url, "--key", w.channel_key, "--out", str(out),
                                log=w.work / "channel.log")
    channel.wait(timeout=w.plan.place_seconds * 3 + 60)
    presale_thread.join(timeout=w.plan.place_seconds * 3 + 60)
    ended = datetime.now(timezone.utc)
    chaos.finish()
    for proc in stores:
        proc.terminate()  # SIGTERM = quiesce: stop the counter, sync until still
    codes = [proc.wait(timeout=150) for proc in stores]
    reports = [json.loads((w.store_dir(s) / "report.json").read_text())
               for s in w.plan.store_ids if (w.store_dir(s) / "report.json").exists()]
    return {"channel": json.loads(out.read_text()), "started": started, "ended": ended,
            "store_codes": codes, "reports": reports, "offline_s": chaos.offline_s,
            "outages": sum(1 for _, _, step in chaos.schedule if step == 1),
            "presale": presale_tally[0] if presale_tally else None}


def converge_backlog(w: World) -> dict:
    """The week-offline store reconnects (own process); HQ's CPU time is read around it."""
    cpu = cpu_seconds(w.hq_pid)
    proc = w.children.python("-m", "bench.flash.store_proc", "converge", "--data-dir",
                             str(w.store_dir(BACKLOG_STORE)), "--hq", w.hq_url,
                             "--token", w.tokens[BACKLOG_STORE], stdout=-1, log=w.work / "converge.log")
    out, _ = proc.communicate(timeout=180)
    return {**json.loads(out), "hq_cpu_s": cpu_seconds(w.hq_pid) - cpu}


# ---------------------------------------------------------------- baselines
_EVENT_COLS = "store_id, seq, event_id, type, entity, base_version, payload, schema_version, store_clock"


def hq_batches(hq_db: Path, where: str, params: tuple) -> list[list[tuple]]:
    """Event rows HQ stored, grouped as they arrived (store, second received)."""
    conn = checks.open_ro(hq_db)
    rows = conn.execute(f"SELECT {_EVENT_COLS}, received_at FROM events WHERE {where} "
                        "ORDER BY store_id, seq", params).fetchall()
    conn.close()
    batches: dict[tuple, list[tuple]] = {}
    for row in rows:
        batches.setdefault((row[0], row[-1]), []).append(row[:-1])
    return [chunk[i:i + RAW_BATCH] for chunk in batches.values() for i in range(0, len(chunk), RAW_BATCH)]


def raw_insert_s(path: Path, batches: list[list[tuple]]) -> float:
    """The baseline: the same rows into a bare SQLite table, one transaction per batch,
    WAL and synchronous=FULL like HQ."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute(f"CREATE TABLE events ({_EVENT_COLS}, PRIMARY KEY (store_id, seq))")
    start = time.perf_counter()
    for batch in batches:
        conn.execute("BEGIN")
        conn.executemany("INSERT INTO events VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", batch)
        conn.execute("COMMIT")
    elapsed = time.perf_counter() - start
    conn.close()
    return elapsed


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def ingest_figures(w: World, sale: dict, backlog: dict, converge_start: str) -> dict:
    """HQ rates (during the sale, and the backlog push) and raw inserts of the same rows."""
    run = hq_batches(w.hq_db, "store_id != ? AND received_at >= ? AND received_at <= ?",
                     (BACKLOG_STORE, _iso(sale["started"]), _iso(sale["ended"])))
    week = hq_batches(w.hq_db, "store_id = ? AND received_at >= ?", (BACKLOG_STORE, converge_start))
    n_run, n_week = sum(map(len, run)), sum(map(len, week))
    run_wall = (sale["ended"] - sale["started"]).total_seconds()
    return {"run_events": n_run, "run_rate": n_run / run_wall, "run_batches": len(run),
            "run_raw_rate": n_run / max(raw_insert_s(w.work / "raw_run.db", run), 1e-9),
            "week_events": n_week, "week_rate": backlog["push_events"] / max(backlog["push_s"], 1e-9),
            "week_per_hq_cpu": n_week / max(backlog["hq_cpu_s"], 1e-9),
            "week_raw_rate": n_week / max(raw_insert_s(w.work / "raw_week.db", week), 1e-9)}


# ---------------------------------------------------------------- the whole run
@dataclass
class Result:
    plan: Plan
    findings: checks.Findings
    sale: dict
    backlog: dict
    converge: dict
    ingest: dict
    seconds: float
    presale: presale.PresaleFindings = field(default_factory=presale.PresaleFindings)

    @property
    def oversold(self) -> int:
        f = self.findings
        return (f.oversold_units + f.negative_on_hand + f.orders_not_held + f.hq_allotment_negative
                + self.presale.must_be_zero)

    @property
    def lost_or_duplicated(self) -> int:
        f = self.findings
        return (f.events_missing_at_hq + f.events_extra_at_hq + f.events_duplicated
                + f.orders_missing_at_store + f.orders_unknown_at_hq + f.cursor_behind
                + f.changes_skipped + f.tasks_differ)


def run(plan: Plan, work: Path) -> Result:
    """Set up, sell, quiesce, reconnect the week-offline store, then check both sides."""
    began = time.perf_counter()
    plan.store_ids = [f"S{i + 1:02d}" for i in range(plan.stores)]
    w = World(work, plan)
    plan.save(work / "plan.json")
    try:
        setup_hq(w)
        build_stores(w)
        backlog = prepare_backlog(w)
        sale = run_sale(w, start_stores(w))
        converge_start = _iso(datetime.now(timezone.utc))
        converge = converge_backlog(w)
    finally:
        for proxy in w.proxies.values():
            proxy.stop()
        w.children.stop_all()
    stores = {s: w.store_dir(s) / "store.db" for s in [*plan.store_ids, BACKLOG_STORE]}
    findings = checks.check_all(w.hq_db, stores)
    ingest = ingest_figures(w, sale, converge, converge_start)
    return Result(plan, findings, sale, backlog, converge, ingest, time.perf_counter() - began,
                  presale=_presale_findings(w.hq_db, stores, sale["reports"]))


def _presale_findings(hq_db: Path, stores: dict[str, Path], reports: list[dict]) -> presale.PresaleFindings:
    """The pre-sale pool's checks, read-only over both sides like ``checks.check_all``."""
    hq = checks.open_hq(hq_db)
    conns = {s: checks.open_ro(path) for s, path in stores.items()}
    try:
        return presale.check(hq, conns, reports)
    finally:
        hq.close()
        for conn in conns.values():
            conn.close()


# ---------------------------------------------------------------- the table
def _row(name: str, value: str, target: str = "", ratio: str = "", verdict: str = "") -> str:
    return f"{name:<70}{value:>12}{target:>10}{ratio:>7}  {verdict}"


def _zero(name: str, n: int) -> str:
    return _row(name, f"{n:,}", "0", "", "PASS" if n == 0 else "FAIL")


def _sum_reports(reports: list[dict], key: str) -> int:
    return sum(r.get(key, 0) for r in reports)


def table(r: Result) -> list[str]:
    f, ch, rep, ing, cv = r.findings, r.sale["channel"], r.sale["reports"], r.ingest, r.converge
    refused = sum(v for k, v in ch["statuses"].items() if "insufficient_allotment" in k)
    placed = ch["accepted"] + refused
    offered = r.plan.orders / r.plan.place_seconds
    intake = ch["accepted"] / ch["wall_s"]
    converged = sum(1 for rr in rep if rr.get("converged"))
    lines = [
        f"Flash sale: HQ (hq serve, SQLite) + {r.plan.stores} store processes, {r.plan.orders:,} orders "
        f"planned over {r.plan.place_seconds:.0f} s, {len(r.sale['offline_s'])} stores cut "
        f"{r.sale['outages']} times ({sum(r.sale['offline_s'].values()):.0f} store-s offline); "
        f"load {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs; whole run {r.seconds:.0f} s",
        _row("measure", "value", "target", "ratio", "verdict"),
        "-- oversell (every unit once: counter, online, or still on the shelf)",
        _zero("oversold units (counter sold + accepted online + shrinkage - received)", f.oversold_units),
        _row(f"  units: counter {f.counter_units:,}, accepted online {f.online_units:,}, "
             f"picked {f.picked_units:,}, shrinkage {f.shrunk_units:,} (all stores)", "", "", "", "info"),
        _row(f"  shrinkage: {_sum_reports(rep, 'counts_short'):,} counts found less, "
             f"{_sum_reports(rep, 'wasted'):,} waste, {_sum_reports(rep, 'missing_at_pick'):,} missing at pick; "
             f"allotment gave way {_sum_reports(rep, 'allotment_given_way'):,} units", "", "", "", "info"),
        _row(f"  found gone after HQ had sold them (the store's revoke came too late; short at"
             f" hand-over, refunded): {f.lost_after_sold:,} units", "", "", "", "info"),
        _zero("store/SKU on-hand below 0 (or picked past the lots)", f.negative_on_hand),
        _zero("accepted orders not at the store, or not reserved/handed over", f.orders_not_held),
        _zero("HQ allotments with granted - locked - sold < 0", f.hq_allotment_negative),
        *presale.table_rows(r.presale, r.sale.get("presale"), rep, _row, _zero),
        "-- lost or duplicated",
        _zero(f"store events missing at HQ (of {f.events_total:,} committed)", f.events_missing_at_hq),
        _zero("events at HQ the store never committed", f.events_extra_at_hq),
        _zero("events applied twice at HQ (duplicate outcome or event_id)", f.events_duplicated),
        _zero(f"events rejected by HQ (besides {f.rejected_by_rule:,} by rule*)", f.rejected_unexpected),
        _zero("HQ orders missing at their store / store orders unknown at HQ",
              f.orders_missing_at_store + f.orders_unknown_at_hq),
        _zero("stores whose pull cursor is behind HQ's change feed", f.cursor_behind),
        _zero("HQ changes skipped by a store / tasks differing", f.changes_skipped + f.tasks_differ),
        _zero("order status differing between HQ and the store", f.status_differs),
        "-- stock on both sides (HQ tracks on-hand per store/SKU from stock.moved, and the allotment)",
        _zero("store/SKU on-hand: HQ level != store ledger", f.stock_differs),
        _zero("stock.moved entries: HQ count != store on-hand moves", f.moves_differ),
        _zero("store/SKU allotment: store account != HQ granted-locked-sold", f.allotment_differs),
        "-- throughput",
        _row(f"order intake, accepted/s ({ch['accepted']:,} accepted, {refused:,} refused: no allotment)",
             f"{intake:,.0f}/s", f"{offered:,.0f}/s", f"{(placed / ch['wall_s']) / offered:.2f}",
             "PASS" if placed == r.plan.orders and ch["wall_s"] <= 1.25 * r.plan.place_seconds else "FAIL"),
        _row(f"  order latency p50 / p99 (ms); other answers: {_others(ch['statuses'])}",
             f"{ch['p50_ms']:.0f} / {ch['p99_ms']:.0f}", "", "", "info"),
        _row(f"push ingest during the sale ({ing['run_events']:,} ev; rate = what stores made)",
             f"{ing['run_rate']:,.0f}/s", "", "", "info"),
        _row("  raw SQLite insert of the same rows, batched as received (baseline)",
             f"{ing['run_raw_rate']:,.0f}/s", "", f"{ing['run_rate'] / ing['run_raw_rate']:.2f}", "info"),
        _row(f"push ingest, week backlog ({cv['push_events']:,} ev, real client, loopback)",
             f"{ing['week_rate']:,.0f}/s", f">={INGEST_TARGET:,}", "",
             "PASS" if ing["week_rate"] >= INGEST_TARGET else "FAIL"),
        _row("  raw SQLite insert of the same rows, batches of 1000 (baseline)",
             f"{ing['week_raw_rate']:,.0f}/s", "", f"{ing['week_rate'] / ing['week_raw_rate']:.2f}", "info"),
        _row("  HQ alone: events per HQ CPU-second during the reconnect",
             f"{ing['week_per_hq_cpu']:,.0f}", "", "", "info"),
        _row(f"converge after 7 days offline ({cv['events']:,} ev out, {cv['pulled']:,} changes in)",
             f"{cv['converge_s'] + cv['settle_s']:.2f} s", f"<{CONVERGE_TARGET_S:.0f} s", "",
             "PASS" if cv["settled"] and cv["converge_s"] + cv["settle_s"] < CONVERGE_TARGET_S else "FAIL"),
        _row(f"  push {cv['push_s']:.2f} s, pull {cv['pull_s']:.2f} s, settle round {cv['settle_s']:.2f} s;"
             f" backlog built in {r.backlog['build_s']:.1f} s", "", "", "", "info"),
        "-- the stores",
        _zero(f"stores not converged at quiesce (of {r.plan.stores})", r.plan.stores - converged),
        _zero(f"counter refusals with enough sellable (of {_sum_reports(rep, 'refused'):,} refusals)",
              _sum_reports(rep, "refused_wrongly")),
        _row(f"counter sales {_sum_reports(rep, 'sales'):,}, add-ons "
             f"{_sum_reports(rep, 'addons'):,}; hand-overs {f.handed_over:,}, open orders {f.open_orders:,}",
             "", "", "", "info"),
        _row(f"delivery: {_sum_reports(rep, 'parcels_out'):,} parcels handed to couriers; orders out "
             f"{f.delivered_out:,}, not delivered and back in stock {f.delivery_returned:,}", "", "", "", "info"),
        "* 'ready' reported for an order HQ had cancelled meanwhile: refused (status only moves forward)",
    ]
    return lines + [f"  ! {note}" for note in f.notes]


def _others(statuses: dict) -> str:
    rest = {k: v for k, v in statuses.items() if not k.startswith("201") and "insufficient" not in k}
    return ", ".join(f"{k}: {v}" for k, v in rest.items()) or "none"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stores", type=int)
    parser.add_argument("--orders", type=int)
    parser.add_argument("--seconds", type=float, help="how long the channel places orders")
    parser.add_argument("--backlog", type=int, help="events in the week-offline store's outbox")
    parser.add_argument("--quick", action="store_true", help="4 stores, 400 orders, 5,000-event backlog")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--keep", action="store_true", help="keep the data directories")
    args = parser.parse_args(argv)
    plan = quick_plan(args.seed) if args.quick else Plan(seed=args.seed)
    for name, value in (("stores", args.stores), ("orders", args.orders),
                        ("place_seconds", args.seconds), ("backlog_events", args.backlog)):
        if value is not None:
            setattr(plan, name, value)
    # SIGTERM unwinds like Ctrl-C, so the cleanup below runs (children also die with us)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    work = Path(tempfile.mkdtemp(prefix="flash-sale-"))
    try:
        result = run(plan, work)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    lines = table(result)
    print("\n".join(lines))
    if args.keep:
        print(f"data kept in {work}")
    failed = [line for line in lines if line.rstrip().endswith("FAIL")]
    return 1 if failed or result.oversold or result.lost_or_duplicated else 0


if __name__ == "__main__":
    sys.exit(main())
