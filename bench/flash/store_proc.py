"""One store of the flash sale, as its own OS process.

``run``: the real background sync client (``sync.worker.SyncWorker``) in a thread, while the
main thread plays the counter: sells at a steady random rate (refused when sellable is
short), packs the bags of orders that arrived, and hands orders over as customers come.
SIGTERM means "quiesce": stop the counter, stop the worker, sync until nothing moves either
way, write a JSON report, exit.

``backlog``: a store that syncs once, then spends 7 days offline: sales, deliveries and
fridge readings through the domain, in bulk transactions, until its outbox holds N events.
``converge``: that store reconnects; prints how long push and pull took.

    python -m bench.flash.store_proc run|backlog|converge --data-dir D --hq URL --token T ...
"""

from __future__ import annotations

import argparse
import json
import random
import signal
import sys
import threading
import time
import uuid
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from edge.db import write_tx
from edge.domain import clerks, delivery, orders, pickup, sales, stock, temperatures
from edge.domain.errors import DomainError
from edge.store import Store, init_store
from sync.client import SyncClient, SyncReport
from sync.worker import SyncWorker

from . import presale
from .plan import CATALOG, CLERK, MANAGER, Plan

QUIESCE_TIMEOUT_S = 90.0
TICK_S = 0.2
PACK_PER_TICK = 25
CUSTOMER_PER_TICK = 0.08  # chance a ready order's customer arrives in one tick
COURIER_PER_TICK = 0.15  # chance a ready delivery order's courier (or clerk) takes it in one tick
NOT_HOME_SHARE = 0.3  # of the store clerk's deliveries: nobody home, the goods come back
ADDON_SHARE = 0.35
BIG_SHRINK_SHARE = 0.1


def build_store(data_dir: Path, store_id: str, plan: Plan, now: datetime) -> Store:
    """A stocked store: lots of every catalog SKU, allotment granted to HQ by its manager, one
    clerk."""
    store = init_store(data_dir, store_id, f"门店{store_id}", f"Store {store_id}")
    clerks.add_clerk(store.db, CLERK[0], CLERK[1], CLERK[2], role="clerk", now=now)
    clerks.add_clerk(store.db, MANAGER[0], MANAGER[1], MANAGER[2], role="manager", now=now)
    with write_tx(store.db):
        for sku, *_, scarce in CATALOG:
            stock.receive(store.db, sku=sku, lot="L1", qty=plan.on_hand(scarce),
                          expiry="2099-01-01", actor=CLERK[0], now=now)
            stock.grant_allotment(store.db, sku=sku, qty=plan.allotment(scarce), actor=MANAGER[0],
                                  now=now)
    return store


def sync_until_still(client: SyncClient, timeout: float) -> tuple[bool, int]:
    """Sync until a whole round moves nothing either way; (converged, rounds)."""
    deadline, rounds = time.monotonic() + timeout, 0
    while time.monotonic() < deadline:
        rounds += 1
        report: SyncReport = client.sync_once()
        if report.ok and report.pending == 0 and report.pushed == 0 and report.pulled == 0:
            return True, rounds
        time.sleep(0.05 if report.ok else 0.5)
    return False, rounds


# ---------------------------------------------------------------- the counter
@dataclass
class CounterTally:
    sales: int = 0
    units_sold: int = 0
    refused: int = 0
    refused_wrongly: int = 0
    addons: int = 0
    packed_orders: int = 0
    handed_over: int = 0
    handover_refused: int = 0
    parcels_out: int = 0  # delivery parcels handed to a courier or the store's clerk
    delivery_failed: int = 0  # the clerk found nobody home
    delivery_returned: int = 0  # ...and the manager put the goods back into stock
    counts_short: int = 0
    wasted: int = 0
    missing_at_pick: int = 0
    units_shrunk: int = 0
    allotment_given_way: int = 0  # units the allotment gave up to shrinkage


class Counter:
    """The clerk's work between syncs; every action is one domain call on the local DB."""

    def __init__(self, store: Store, rng: random.Random, plan: Plan) -> None:
        self.store, self.rng, self.plan = store, rng, plan
        self.tally = CounterTally()
        self.next_sale = time.monotonic() + rng.expovariate(plan.sale_rate)
        self.next_shrink = time.monotonic() + rng.expovariate(plan.shrink_rate)

    def tick(self) -> None:
        if time.monotonic() >= self.next_sale:
            self.next_sale += self.rng.expovariate(self.plan.sale_rate)
            self.sell()
        if time.monotonic() >= self.next_shrink:
            self.next_shrink += self.rng.expovariate(self.plan.shrink_rate)
            self.shrink()
        self.pack_arrived()
        self.serve_customers()
        self.serve_couriers()

    def shrink(self) -> None:
        """A count that finds less, or goods thrown away: never units an order already holds
        (those would be a short pick), so the sellable units and HQ's allotment give way."""
        sku = self.rng.choice(CATALOG)[0]
        before = stock.levels(self.store.db, sku)
        room = before.on_hand - max(before.reserved, 0)
        if room <= 0:
            return
        # mostly a few units; now and then a count finds a shelf nearly empty, which only
        # the online allotment giving way keeps HQ from selling
        qty = self.rng.randint(max(1, room // 2), room) if self.rng.random() < BIG_SHRINK_SHARE \
            else self.rng.randint(1, min(3, room))
        if self.rng.random() < 0.5:
            stock.count(self.store.db, sku=sku, counted=before.on_hand - qty, based_on=before.on_hand,
                        actor=MANAGER[0])
            self.tally.counts_short += 1
        else:
            stock.adjust(self.store.db, sku=sku, qty=-qty, reason=self.rng.choice(("damaged", "expired")),
                         actor=MANAGER[0])
            self.tally.wasted += 1
        self.tally.units_shrunk += qty
        self.tally.allotment_given_way += before.allotment - stock.levels(self.store.db, sku).allotment

    def _missing(self, order_no: str) -> list[pickup.NotTaken]:
        """Now and then one unit of a line is not on the shelf when the order is handed over."""
        order = orders.get_order(self.store.db, order_no)
        if order is None or sum(line.qty for line in order.lines) < 2 \
                or self.rng.random() >= self.plan.missing_share:
            return []
        line = self.rng.choice(order.lines)
        return [pickup.NotTaken(line.line_no, 1, "missing")]

    def _lines(self) -> list[sales.SaleLine]:
        skus = self.rng.sample([row[0] for row in CATALOG], self.rng.choice((1, 1, 2, 3)))
        return [sales.SaleLine(sku, self.rng.choice((1, 1, 2))) for sku in skus]

    def sell(self, lines: list[sales.SaleLine] | None = None, order_no: str | None = None) -> None:
        """Sell; a refusal is right only if some line wanted more than was sellable."""
        lines = lines or self._lines()
        try:
            sales.sell(self.store, lines, CLERK[0], with_pickup_order_no=order_no)
        except DomainError as exc:
            if exc.code != "stock.not_enough":
                raise
            self.tally.refused += 1
            short = any(stock.levels(self.store.db, ln.sku).sellable < ln.qty for ln in lines)
            self.tally.refused_wrongly += 0 if short else 1
            return
        self.tally.sales += 1
        self.tally.units_sold += sum(ln.qty for ln in lines)
        self.tally.addons += 1 if order_no else 0

    def _order_nos(self, where: str) -> list[str]:
        return [r[0] for r in self.store.db.execute(
            f"SELECT order_no FROM orders WHERE {where} ORDER BY created_at LIMIT ?",
            [PACK_PER_TICK])]

    def pack_arrived(self) -> None:
        """Pack every bag of orders that came in (one bag per temperature zone)."""
        for order_no in self._order_nos("status IN ('allocated', 'preparing')"
                                        " AND presale_state IS NOT 'waiting'"):
            order = orders.get_order(self.store.db, order_no)
            try:
                for bag in order.bags if order else []:
                    if not bag.packed:
                        orders.pack_bag(self.store.db, order_no, bag.zone,
                                        f"{bag.zone[:1].upper()}-{bag.bag_no}", actor=CLERK[0])
            except DomainError:
                continue  # HQ cancelled it meanwhile
            self.tally.packed_orders += 1

    def serve_customers(self) -> None:
        """Customers of ready, paid orders turn up at random; some buy something more."""
        for order_no in self._order_nos("status = 'ready' AND payment_status = 'paid'"
                                        " AND fulfilment = 'pickup'"):
            if self.rng.random() >= CUSTOMER_PER_TICK:
                continue
            missing = self._missing(order_no)
            try:
                pickup.hand_over(self.store, order_no, CLERK[0], not_taken=missing,
                                 scanned_at=datetime.now(timezone.utc) - timedelta(seconds=2))
            except DomainError:
                self.tally.handover_refused += 1  # cancelled or changed meanwhile
                continue
            self.tally.handed_over += 1
            self.tally.missing_at_pick += len(missing)
            self.tally.units_shrunk += len(missing)
            if self.rng.random() < ADDON_SHARE:
                self.sell(order_no=order_no)


    def serve_couriers(self) -> None:
        """Couriers collect ready delivery orders; the store's clerk finds nobody home now and
        then, and the manager puts those goods back into stock (the clerk's others are on
        their way: the customer's delivery code is not the store's to know)."""
        for order_no in self._order_nos("status = 'ready' AND fulfilment = 'delivery'"):
            if self.rng.random() >= COURIER_PER_TICK:
                continue
            try:
                order = delivery.hand_off(self.store, order_no, clerk_id=CLERK[0], courier_name="骑手")
            except DomainError:
                self.tally.handover_refused += 1  # cancelled or changed meanwhile
                continue
            self.tally.parcels_out += len(order.bags)
            held = delivery.info(self.store.db, order_no)
            if held is None or held.courier_mode != "store" or self.rng.random() >= NOT_HOME_SHARE:
                continue
            delivery.fail(self.store, order_no, clerk_id=CLERK[0])
            delivery.decide(self.store, order_no, "return", manager_id=MANAGER[0], pin=MANAGER[2])
            self.tally.delivery_failed += 1
            self.tally.delivery_returned += 1


# ---------------------------------------------------------------- modes
def _write_json(path: Path, data: dict) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data))
    tmp.replace(path)


def run(args: argparse.Namespace) -> int:
    """Counter + background sync until SIGTERM, then quiesce and report."""
    plan = Plan.load(args.plan)
    data_dir = Path(args.data_dir)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    worker = SyncWorker(data_dir, args.hq, args.token, interval=plan.sync_interval, timeout=5.0)
    worker.start()
    while not (worker.last_report and worker.last_report.ok):
        if stop.wait(0.05):
            break
    (data_dir / "ready").touch()
    store = Store.open(data_dir)
    counter = Counter(store, random.Random(args.seed), plan)
    arrival = presale.Arrival(store, plan, random.Random(args.seed))
    while not stop.wait(TICK_S):
        counter.tick()
        arrival.tick()
    worker.stop()
    client = SyncClient(store, args.hq, args.token, timeout=10.0)
    converged, rounds = sync_until_still(client, QUIESCE_TIMEOUT_S)
    if arrival.late():  # cut off until the end: the goods still came; HQ hears of it now
        converged, rounds = sync_until_still(client, QUIESCE_TIMEOUT_S)
    client.close()
    _write_json(data_dir / "report.json", {**asdict(counter.tally), "converged": converged,
                                          "quiesce_rounds": rounds, **arrival.report})
    store.close()
    return 0 if converged else 1


def _backlog_hour(store: Store, rng: random.Random, at: datetime, probes: list[str]) -> None:
    """One hour offline: a reading per fridge per minute, sales, a morning delivery."""
    if at.hour == 6:
        for sku, *_ in CATALOG:
            stock.receive(store.db, sku=sku, lot=f"D{at:%m%d}", qty=200, actor=CLERK[0],
                          expiry=(at + timedelta(days=10)).date().isoformat(), now=at)
    for minute in range(60):
        now = at + timedelta(minutes=minute)
        for probe in probes:
            celsius = round(rng.gauss(-20.0 if probe.startswith("FZ") else 3.0, 0.6), 1)
            temperatures.record_reading(store, str(uuid.uuid4()), probe, celsius, now, now=now)
        if rng.random() < 0.95:
            try:
                sku = rng.choice(CATALOG)[0]
                sales.sell(store, [sales.SaleLine(sku, 1)], CLERK[0], now=now)
            except DomainError:
                pass  # sold out until tomorrow's delivery


def backlog(args: argparse.Namespace) -> int:
    """Sync once, then 7 days offline until the outbox holds ``--events`` unsent events."""
    data_dir = Path(args.data_dir)
    client = SyncClient(data_dir, args.hq, args.token, timeout=10.0)
    converged, _ = sync_until_still(client, 60.0)
    store = client.store
    temperatures.configure_fridges(store, [
        temperatures.Fridge("CH-1", "冷藏柜1", "chilled", 4.0),
        temperatures.Fridge("CH-2", "冷藏柜2", "chilled", 4.0),
        temperatures.Fridge("FZ-1", "冷冻柜1", "frozen", -18.0)])
    rng, start = random.Random(args.seed), datetime.now(timezone.utc) - timedelta(days=7)
    began, hour = time.perf_counter(), 0
    while _pending(store) < args.events and hour < 24 * 30:
        with write_tx(store.db):  # one transaction per hour of shop life
            _backlog_hour(store, rng, start + timedelta(hours=hour), ["CH-1", "CH-2", "FZ-1"])
        hour += 1
    _write_json(data_dir / "backlog.json", {"events": _pending(store), "hours": hour,
                                            "build_s": time.perf_counter() - began,
                                            "first_sync_ok": converged})
    client.close()
    return 0


def _pending(store: Store) -> int:
    return store.db.execute("SELECT COUNT(*) FROM outbox WHERE acked_at IS NULL").fetchone()[0]


def converge(args: argparse.Namespace) -> int:
    """Reconnect after the week offline: time push, pull, and the settle round after them."""
    client = SyncClient(Path(args.data_dir), args.hq, args.token, timeout=30.0)
    events = _pending(client.store)
    t0 = time.perf_counter()
    pushed = client.push()
    t1 = time.perf_counter()
    pulled = client.pull()
    again = client.push()
    t2 = time.perf_counter()
    settled, rounds = sync_until_still(client, 60.0)
    t3 = time.perf_counter()
    print(json.dumps({"events": events, "push_events": pushed.pushed,
                      "pushed": pushed.pushed + again.pushed,
                      "rejected": pushed.rejected + again.rejected, "pulled": pulled.pulled,
                      "push_s": t1 - t0, "pull_s": t2 - t1, "converge_s": t2 - t0,
                      "settle_s": t3 - t2, "settled": settled, "settle_rounds": rounds,
                      "pending_after": _pending(client.store)}))
    client.close()
    return 0 if settled else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=("run", "backlog", "converge"))
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--hq", required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--plan")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--events", type=int, default=50_000)
    args = parser.parse_args(argv)
    return {"run": run, "backlog": backlog, "converge": converge}[args.mode](args)


if __name__ == "__main__":
    sys.exit(main())
