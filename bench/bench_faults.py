"""Seeded fault run against an HQ on PostgreSQL: every round kills store and HQ processes
with SIGKILL and loses, duplicates, delays, replays and cuts requests, then checks that
nothing was lost or applied twice, both sides hold the same orders, stock and allotment,
and nothing was oversold.

Two ``hq serve`` processes share one PostgreSQL schema (made for the run, dropped after).
Each store is its own process (``bench.flash.store_proc run``: the counter sells, packs,
hands over and shrinks stock while the real sync worker runs) talking to one of the HQs
through its own loopback FaultProxy. A channel places orders at both HQs meanwhile (a
retried request keeps its request id). At the end of a round the faults stop, dead
processes come back, the stores quiesce (sync until still) and the checks of the flash-sale
bench (``bench.flash.checks``) read both sides' databases. Any violation exits 1.

    .venv/bin/python -m bench.bench_faults [--rounds 10] [--stores 3] [--orders 40]
        [--seconds 5] [--seed 1] [--db postgresql://postgres@127.0.0.1:5432/test]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.flash import checks  # noqa: E402
from bench.flash.channel import place_orders  # noqa: E402
from bench.flash.plan import CATALOG, Plan  # noqa: E402
from bench.flash.procs import Children, wait_files, wait_healthy  # noqa: E402
from bench.flash.store_proc import build_store  # noqa: E402
from sync.hq import registry, service  # noqa: E402
from sync.hq.cli import listen_socket  # noqa: E402
from sync.hq.db import open_database  # noqa: E402
from sync.hq.schema import migrate  # noqa: E402
from sync.protocol import CatalogItem  # noqa: E402
from tests.support.fault_proxy import Faults, FaultProxy, ProxyStats  # noqa: E402

DEFAULT_PG = os.environ.get("STORE_EDGE_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
HQS = 2
QUIESCE_S = 150


@dataclass
class RoundLog:
    """What one round did and found (one table row)."""

    events: int = 0
    orders: int = 0
    store_kills: int = 0
    hq_kills: int = 0
    cuts: int = 0
    delay_s: float = 0.0  # requests held up to this long
    proxy: dict = field(default_factory=dict)
    findings: checks.Findings | None = None
    converged: int = 0

    def violations(self) -> dict[str, int]:
        f = self.findings
        assert f is not None
        return {
            "exactly once": f.events_missing_at_hq + f.events_extra_at_hq + f.events_duplicated
            + f.rejected_unexpected,
            "orders equal": f.orders_missing_at_store + f.orders_unknown_at_hq + f.status_differs
            + f.orders_not_held + f.cursor_behind + f.changes_skipped + f.tasks_differ,
            "stock and allotment equal": f.stock_differs + f.moves_differ + f.allotment_differs,
            "0 oversold": f.oversold_units + f.negative_on_hand + f.hq_allotment_negative,
        }


class Run:
    """The HQ processes, the stores and their proxies, over the whole run."""

    def __init__(self, args: argparse.Namespace, work: Path) -> None:
        self.args, self.work = args, work
        self.rng = random.Random(args.seed)
        self.children = Children()
        self.schema = f"bench_faults_{secrets.token_hex(4)}"
        sep = "&" if "?" in args.db else "?"
        self.db_url = f"{args.db}{sep}options=-csearch_path%3D{self.schema}"
        self.hq_ports: list[int] = []
        self.hq_procs: list[subprocess.Popen] = []
        self.store_ids = [f"F{i + 1:02d}" for i in range(args.stores)]
        self.tokens: dict[str, str] = {}
        self.channel_key = ""
        self.proxies: dict[str, FaultProxy] = {}
        self.store_procs: dict[str, subprocess.Popen] = {}
        self.plan = Plan(stores=args.stores, orders=args.orders * args.rounds, place_seconds=args.seconds,
                         sale_rate=1.0, shrink_rate=0.3, sync_interval=0.5, seed=args.seed,
                         store_ids=self.store_ids)

    # ------------------------------------------------------------ set up / tear down
    def setup(self) -> None:
        import psycopg

        with psycopg.connect(self.args.db, autocommit=True) as conn:
            conn.execute(f"CREATE SCHEMA {self.schema}")
        db = open_database(self.db_url)
        migrate(db)
        now = datetime.now(timezone.utc)
        for sku, zh, en, zone, price, *_ in CATALOG:
            service.upsert_catalog_item(db, CatalogItem(sku=sku, name_zh=zh, name_en=en, zone=zone,
                                                        price_cents=price), now)
        for store_id in self.store_ids:
            self.tokens[store_id] = registry.add_store(db, store_id, now)
            build_store(self.work / store_id, store_id, self.plan, now).close()
        self.channel_key = registry.add_channel(db, "fault-live", now)
        db.close()
        self.plan.save(self.work / "plan.json")
        for _ in range(HQS):
            with listen_socket("127.0.0.1", 0) as probe:
                self.hq_ports.append(probe.getsockname()[1])
            self.hq_procs.append(self._start_hq(len(self.hq_procs)))
        for i, store_id in enumerate(self.store_ids):
            proxy = FaultProxy(self.hq_url(i % HQS), seed=self.args.seed * 100 + i)
            proxy.start()
            self.proxies[store_id] = proxy

    def teardown(self) -> None:
        for proxy in self.proxies.values():
            proxy.stop()
        self.children.stop_all()
        if not self.args.keep:
            import psycopg

            with psycopg.connect(self.args.db, autocommit=True) as conn:
                conn.execute(f"DROP SCHEMA IF EXISTS {self.schema} CASCADE")

    def hq_url(self, i: int) -> str:
        return f"http://127.0.0.1:{self.hq_ports[i]}"

    def _start_hq(self, i: int) -> subprocess.Popen:
        proc = self.children.python("-m", "sync.hq.cli", "hq", "serve", "--db", self.db_url,
                                    "--port", str(self.hq_ports[i]), "--sweep-interval", "3600",
                                    log=self.work / f"hq{i}.log")
        wait_healthy(self.hq_url(i), proc, timeout=60)
        return proc

    def _start_store(self, store_id: str, seed: int) -> subprocess.Popen:
        (self.work / store_id / "ready").unlink(missing_ok=True)
        proc = self.children.python(
            "-m", "bench.flash.store_proc", "run", "--data-dir", str(self.work / store_id),
            "--hq", self.proxies[store_id].url, "--token", self.tokens[store_id],
            "--plan", str(self.work / "plan.json"), "--seed", str(seed), log=self.work / f"{store_id}.log")
        self.store_procs[store_id] = proc
        return proc

    # ------------------------------------------------------------ one round
    def round(self, n: int) -> RoundLog:
        log = RoundLog()
        before = self._hq_events()
        for proxy in self.proxies.values():
            proxy.stats = ProxyStats()  # per-round counts
            proxy.set_faults(self._faults())
            log.delay_s = max(log.delay_s, proxy.faults.delay)
        for i, store_id in enumerate(self.store_ids):
            self._start_store(store_id, self.args.seed * 1000 + n * 10 + i)
        wait_files([self.work / s / "ready" for s in self.store_ids], list(self.store_procs.values()), 120)
        # processes are (re)started from the main thread only: a child dies with the thread
        # that started it (PR_SET_PDEATHSIG), so the channel is the one in a thread
        placed: list = []
        channel = threading.Thread(target=lambda: placed.append(self._place(n)), daemon=True)
        channel.start()
        self._chaos(log)
        channel.join()
        log.orders = len(placed[0].accepted)
        self._calm()
        log.converged = self._quiesce()
        log.events = self._hq_events() - before
        log.proxy = {k: sum(getattr(p.stats, k) for p in self.proxies.values())
                     for k in ("requests", "dropped_requests", "dropped_responses", "duplicated", "replayed",
                               "refused")}
        log.findings = checks.check_all(self.db_url, {s: self.work / s / "store.db" for s in self.store_ids})
        return log

    def _faults(self) -> Faults:
        r = self.rng
        return Faults(drop_request=r.uniform(0, 0.08), drop_response=r.uniform(0, 0.08),
                      duplicate=r.uniform(0, 0.08), replay=r.uniform(0, 0.05), delay=r.uniform(0, 0.3))

    def _place(self, n: int):
        """The channel's orders for this round, half at each HQ."""
        per_hq = self.args.orders // HQS
        results = []

        def at(i: int) -> None:
            tally, _ = place_orders(self.hq_url(i), self.channel_key, self.store_ids, per_hq,
                                    self.args.seconds, 2, self.args.seed * 1000 + n * 10 + i, prefix=f"r{n}h{i}")
            results.append(tally)

        threads = [threading.Thread(target=at, args=(i,)) for i in range(HQS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        merged = results[0]
        for other in results[1:]:
            merged.accepted += other.accepted
        return merged

    def _chaos(self, log: RoundLog) -> None:
        """Seeded kills and cuts while the channel places orders."""
        plan = sorted((self.rng.uniform(0.1, 0.9) * self.args.seconds, what)
                      for what in ["store"] * self.rng.randint(1, 3) + ["hq"] * self.rng.randint(1, 2)
                      + ["cut"] * self.rng.randint(0, 2))
        start = time.monotonic()
        for at, what in plan:
            time.sleep(max(0.0, start + at - time.monotonic()))
            if what == "store":
                store_id = self.rng.choice(self.store_ids)
                proc = self.store_procs[store_id]
                if proc.poll() is None:
                    os.kill(proc.pid, signal.SIGKILL)
                    proc.wait()
                    log.store_kills += 1
                    time.sleep(self.rng.uniform(0.2, 1.0))
                    self._start_store(store_id, self.rng.randrange(10**6))
            elif what == "hq":
                i = self.rng.randrange(HQS)
                os.kill(self.hq_procs[i].pid, signal.SIGKILL)
                self.hq_procs[i].wait()
                log.hq_kills += 1
                time.sleep(self.rng.uniform(0.2, 1.0))
                self.hq_procs[i] = self._start_hq(i)
            else:
                proxy = self.proxies[self.rng.choice(self.store_ids)]
                proxy.cut()
                log.cuts += 1
                threading.Timer(self.rng.uniform(0.5, 2.0), proxy.heal).start()

    def _calm(self) -> None:
        """The network heals and every HQ is up: the round ends in a quiet world."""
        for proxy in self.proxies.values():
            proxy.set_faults(Faults())
            proxy.heal()
        for i, proc in enumerate(self.hq_procs):
            if proc.poll() is not None:
                self.hq_procs[i] = self._start_hq(i)

    def _quiesce(self) -> int:
        """SIGTERM every store (it stops selling and syncs until still); how many converged.
        A store restarted late is let reach its first sync (and its SIGTERM handler) first."""
        wait_files([self.work / s / "ready" for s in self.store_ids], list(self.store_procs.values()), 120)
        for store_id, proc in self.store_procs.items():
            (self.work / store_id / "report.json").unlink(missing_ok=True)
            if proc.poll() is None:
                proc.terminate()
        for proc in self.store_procs.values():
            try:
                proc.wait(timeout=QUIESCE_S)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        return sum(1 for s in self.store_ids
                   if (self.work / s / "report.json").exists()
                   and json.loads((self.work / s / "report.json").read_text()).get("converged"))

    def _hq_events(self) -> int:
        db = open_database(self.db_url)
        try:
            with db.tx(snapshot=True) as tx:
                return tx.scalar("SELECT COUNT(*) FROM events")
        finally:
            db.close()


# ---------------------------------------------------------------- the table
def _cell(n: int) -> str:
    return "ok" if n == 0 else f"FAIL {n}"


def header() -> str:
    return (f"{'round':>5} {'events':>7} {'orders':>6}  {'faults':<58} "
            f"{'exactly once':>12} {'orders equal':>12} {'stock+allot':>11} {'0 oversold':>10}")


def row(n: int, log: RoundLog, stores: int) -> str:
    p = log.proxy
    faults = (f"kill -9 {log.store_kills} store/{log.hq_kills} HQ, {log.cuts} cut, "
              f"{p['dropped_requests'] + p['dropped_responses']} drop {p['duplicated']} dup "
              f"{p['replayed']} replay, delay<{log.delay_s:.1f}s")
    v = log.violations()
    line = (f"{n:>5} {log.events:>7,} {log.orders:>6,}  {faults:<58} {_cell(v['exactly once']):>12} "
            f"{_cell(v['orders equal']):>12} {_cell(v['stock and allotment equal']):>11} "
            f"{_cell(v['0 oversold']):>10}")
    if log.converged != stores:
        line += f"  FAIL {stores - log.converged} stores not converged"
    return line


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--stores", type=int, default=3)
    parser.add_argument("--orders", type=int, default=40, help="orders placed per round")
    parser.add_argument("--seconds", type=float, default=5.0, help="length of a round's sale")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--db", default=DEFAULT_PG, help="PostgreSQL URL (a schema is made in it)")
    parser.add_argument("--keep", action="store_true", help="keep the schema and data directories")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        import psycopg

        psycopg.connect(args.db, connect_timeout=5).close()
    except Exception as exc:  # noqa: BLE001 - any reason PostgreSQL cannot be reached
        print(f"PostgreSQL not reachable at {args.db} ({type(exc).__name__}); start it or pass --db URL",
              file=sys.stderr)
        return 2
    work = Path(tempfile.mkdtemp(prefix="faults-"))
    run = Run(args, work)
    began, failed, totals = time.perf_counter(), False, RoundLog()
    print(f"Fault run: {HQS} HQ processes on PostgreSQL ({run.schema}), {args.stores} store processes, "
          f"{args.rounds} rounds of {args.seconds:.0f} s and {args.orders} orders, seed {args.seed}", flush=True)
    print(header(), flush=True)
    try:
        run.setup()
        for n in range(1, args.rounds + 1):
            log = run.round(n)
            print(row(n, log, args.stores), flush=True)
            for note in log.findings.notes:
                print(f"        ! {note}")
            failed |= any(log.violations().values()) or log.converged != args.stores
            for k in ("events", "orders", "store_kills", "hq_kills", "cuts"):
                setattr(totals, k, getattr(totals, k) + getattr(log, k))
            for k, v in log.proxy.items():
                totals.proxy[k] = totals.proxy.get(k, 0) + v
    finally:
        run.teardown()
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    p = totals.proxy
    print(f"total: {totals.events:,} store events, {totals.orders:,} orders, {totals.store_kills} store and "
          f"{totals.hq_kills} HQ processes SIGKILLed, {totals.cuts} cuts, "
          f"{p.get('dropped_requests', 0) + p.get('dropped_responses', 0):,} dropped, "
          f"{p.get('duplicated', 0):,} duplicated, {p.get('replayed', 0):,} replayed requests "
          f"of {p.get('requests', 0):,}; {time.perf_counter() - began:.0f} s; load {os.getloadavg()[0]:.1f} "
          f"on {os.cpu_count()} CPUs")
    print("verdict: " + ("FAIL" if failed else "PASS (every invariant held in every round)"))
    if args.keep:
        print(f"data kept in {work}, schema {run.schema}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
