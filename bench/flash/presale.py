"""Pre-sale in the flash sale (issue 11): a product sold ahead of its delivery, in every store.

HQ announces one transfer per store whose units it pre-sells (its pre-sale pool); a channel
thread places pre-sale orders beyond the pool (HQ must refuse the rest); part-way through
the sale each store receives the transfer SHORT (fewer pre-sold units arrive than were
sold): the first purchases go to the board, the latest wait, HQ is told; then the counter
tries to sell the product's whole shelf. The checks, read-only SQL over both databases:
HQ never accepted more pre-sale units than it announced, no order took units from the other
pool, the shelf never sold a unit held for a pre-sale order, and orders were released in
order of purchase.
"""

from __future__ import annotations

import json
import math
import random
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

import httpx

from edge.domain import presale, sales, stock, transfers
from edge.domain.errors import DomainError
from edge.store import Store
from sync.hq import service
from sync.hq.db import Database
from sync.protocol import CatalogItem, TransferLine

from .plan import CLERK, Plan

SKU = "FS-P01"
ITEM = CatalogItem(sku=SKU, name_zh="阳光玫瑰葡萄（预售）", name_en="Shine Muscat (pre-sale)",
                   zone="chilled", price_cents=5900)
TRANSFER = "T-PRESALE-{store_id}"
ARRIVES_SHARE = 0.7  # of the pre-sold units, this share arrives: a short delivery
ARRIVES_AT = 0.6  # of the placing time, when the transfer is received
ASK_SHARE = 1.4  # pre-sale units asked for, against the pool: HQ refuses the rest
SHELF_UNITS = 4  # of the product, on the same transfer for the shelf (they all come)


def pool_units(plan: Plan) -> int:
    """Pre-sale units per store: a tenth of its online orders."""
    return max(6, math.ceil(plan.orders_per_store() / 10))


def setup_hq(db: Database, store_ids: list[str], plan: Plan, now: datetime) -> None:
    """The product, and one announced transfer per store: a line all pre-sold, and a line
    of SHELF_UNITS for the shelf."""
    service.upsert_catalog_item(db, ITEM, now)
    units = pool_units(plan)
    for store_id in store_ids:
        service.transfer_stock(db, store_id, [
            TransferLine(sku=SKU, lot="PS1", expiry="2099-03-01", qty=units, presale=units),
            TransferLine(sku=SKU, lot="PS2", expiry="2099-03-01", qty=SHELF_UNITS)],
            now, transfer_id=TRANSFER.format(store_id=store_id))


# ---------------------------------------------------------------- the pre-sale channel
@dataclass
class PresaleTally:
    accepted: int = 0
    accepted_units: int = 0
    refused: int = 0  # 409 insufficient_presale: the pool is sold out
    other: Counter = field(default_factory=Counter)


def place(url: str, key: str, store_ids: list[str], plan: Plan, seed: int) -> PresaleTally:
    """Pre-sale orders of 1-2 units, spread over the first half of the sale, ASK_SHARE times
    the pool per store."""
    rng, tally = random.Random(seed), PresaleTally()
    per_store = math.ceil(pool_units(plan) * ASK_SHARE / 1.5)
    bodies = [(store_id, rng.choice((1, 2))) for store_id in store_ids for _ in range(per_store)]
    rng.shuffle(bodies)
    spacing = plan.place_seconds * 0.5 / max(1, len(bodies))
    now = datetime.now(timezone.utc)
    with httpx.Client(base_url=url, timeout=30, headers={"Authorization": f"Bearer {key}"}) as http:
        for i, (store_id, qty) in enumerate(bodies):
            body = {"request_id": f"ps-{seed}-{i}", "store_id": store_id, "customer_name": "李小红",
                    "customer_phone": f"139{rng.randrange(10**8):08d}", "paid": True, "presale": True,
                    "window_start": (now + timedelta(days=1)).isoformat(),
                    "window_end": (now + timedelta(days=3)).isoformat(),
                    "lines": [{"sku": SKU, "qty": qty}]}
            try:
                resp = http.post("/v1/orders", json=body)
            except httpx.TransportError:
                tally.other["transport_error"] += 1
                continue
            if resp.status_code == 201:
                tally.accepted += 1
                tally.accepted_units += qty
            elif resp.status_code == 409 and resp.json().get("error") == "insufficient_presale":
                tally.refused += 1
            else:
                tally.other[f"{resp.status_code} {resp.json().get('error', '')}"] += 1
            time.sleep(spacing)
    return tally


def start_placing(url: str, key: str, store_ids: list[str], plan: Plan) -> tuple[threading.Thread, list]:
    """The pre-sale channel in a thread beside the live stream; its tally lands in the list."""
    out: list[PresaleTally] = []
    thread = threading.Thread(target=lambda: out.append(place(url, key, store_ids, plan, plan.seed)),
                              name="presale-channel", daemon=True)
    thread.start()
    return thread, out


# ---------------------------------------------------------------- the store's side
class Arrival:
    """Once, part-way through the sale: the store receives its pre-sale transfer, the
    pre-sold line short, then the counter sells the product's shelf dry (one unit at a time
    until refused: exactly the shelf line, never a unit held for a waiting order)."""

    def __init__(self, store: Store, plan: Plan, rng: random.Random) -> None:
        self.store, self.rng = store, rng
        self.at = time.monotonic() + plan.place_seconds * ARRIVES_AT
        self.done = False
        self.report: dict = {}

    def late(self) -> bool:
        """At quiesce: receive now if the sale ended first (the store was cut off); True if so."""
        if self.done:
            return False
        self.at = 0.0
        self.tick()
        return self.done

    def tick(self) -> None:
        if self.done or time.monotonic() < self.at:
            return
        transfer = transfers.get(self.store.db, TRANSFER.format(store_id=self.store.store_id))
        if transfer is None or transfer.status != "announced":
            return  # not pulled yet (the store may be cut off): next tick
        line = next(ln for ln in transfer.lines if ln.presale)
        came = math.floor(line.presale * ARRIVES_SHARE)
        transfers.receive_transfer(self.store, transfer.transfer_id, CLERK[0], received={line.line_no: came})
        sold = 0
        while True:
            try:
                sales.sell(self.store, [sales.SaleLine(SKU, 1)], CLERK[0])
            except DomainError:
                break
            sold += 1
        self.done = True
        self.report = {"presale_arrived": came, "presale_counter_sold": sold,
                       "presale_sellable_after": stock.levels(self.store.db, SKU).sellable,
                       "presale_waiting_at_arrival": len(presale.waiting_orders(self.store.db))}


# ---------------------------------------------------------------- checks
@dataclass
class PresaleFindings:
    """Per pool: must-be-zero counts, then figures."""

    oversold_units: int = 0  # HQ accepted beyond the units it announced as pre-sale
    pool_mixed: int = 0  # a pre-sale order booked against the shelf's pool, or the reverse
    shelf_took_presale: int = 0  # held units gone negative, or released orders not reserved
    out_of_order: int = 0  # a later purchase released while an earlier one waits
    not_received: int = 0  # stores whose transfer never arrived (the bench's own failure)
    counter_over_shelf: int = 0  # the counter sold more of it than the shelf line brought
    untold: int = 0  # orders waiting at the store whose customer HQ did not tell (presale_delayed)
    announced_units: int = 0
    accepted_units: int = 0
    arrived_units: int = 0
    released_orders: int = 0
    waiting_orders: int = 0
    owed_units: int = 0  # sold and not arrived (the short delivery): they wait
    short_conflicts: int = 0
    notices: Counter = field(default_factory=Counter)
    notes: list[str] = field(default_factory=list)

    @property
    def must_be_zero(self) -> int:
        return (self.oversold_units + self.pool_mixed + self.shelf_took_presale + self.out_of_order
                + self.not_received + self.counter_over_shelf + self.untold)


def check(hq, stores: dict[str, object], reports: list[dict]) -> PresaleFindings:
    """``hq``: HQ's database (read-only connection); ``stores``: store id -> read-only store
    connection; ``reports``: what each store process reported (its counter's sales)."""
    f = PresaleFindings()
    sold = sum(r.get("presale_counter_sold", 0) for r in reports)
    f.counter_over_shelf = max(0, sold - SHELF_UNITS * len(reports))
    for store_id, st in stores.items():
        row = hq.execute("SELECT lines FROM transfers WHERE transfer_id = ?",
                         (TRANSFER.format(store_id=store_id),)).fetchone()
        if row is None:
            continue
        announced = sum(line.get("presale", 0) for line in json.loads(row[0]))
        f.announced_units += announced
        accepted = hq.execute(
            "SELECT COALESCE(SUM(l.qty), 0) FROM order_lines l JOIN orders o USING (order_no)"
            " WHERE o.store_id = ? AND o.presale = 1 AND o.status != 'cancelled'", (store_id,)).fetchone()[0]
        f.accepted_units += accepted
        f.oversold_units += max(0, accepted - announced)
        pools = dict(hq.execute("SELECT pool, locked + sold FROM allotments WHERE store_id = ? AND"
                                " sku = ?", (store_id, SKU)).fetchall())
        # the product is only pre-sold: nothing of it may be booked in the shelf's pool, and
        # the pre-sale pool holds exactly the pre-sale orders HQ kept
        f.pool_mixed += pools.get("on_hand", 0) + abs(pools.get("presale", 0) - accepted)
        f.short_conflicts += hq.execute("SELECT COUNT(*) FROM conflicts WHERE store_id = ? AND"
                                        " kind = 'presale_short'", (store_id,)).fetchone()[0]
        for kind, n in hq.execute("SELECT kind, COUNT(*) FROM notifications WHERE store_id = ? AND"
                                  " kind LIKE 'presale%' GROUP BY kind", (store_id,)).fetchall():
            f.notices[kind] += n
        told = {r[0] for r in hq.execute("SELECT order_no FROM notifications WHERE store_id = ? AND"
                                         " kind = 'presale_delayed'", (store_id,)).fetchall()}
        _check_store(f, st, store_id, told)
    return f


def _check_store(f: PresaleFindings, st, store_id: str, told: set[str]) -> None:
    state = st.execute("SELECT status FROM transfers WHERE transfer_id = ?",
                       (TRANSFER.format(store_id=store_id),)).fetchone()
    if state is None or state[0] != "received":
        f.not_received += 1
        f.notes.append(f"{store_id}: pre-sale transfer not received")
    held = st.execute("SELECT COALESCE(SUM(qty), 0) FROM stock_moves WHERE account = 'presale'"
                      " AND sku = ?", (SKU,)).fetchone()[0]
    f.arrived_units += st.execute("SELECT COALESCE(SUM(qty), 0) FROM stock_moves WHERE account ="
                                  " 'presale' AND kind = 'presale_arrived'").fetchone()[0]
    if held < 0:
        f.shelf_took_presale += -held
        f.notes.append(f"{store_id}: pre-sale held {held}")
    rows = st.execute(
        "SELECT o.order_no, o.presale_state, o.status, SUM(l.qty),"
        " (SELECT COALESCE(SUM(m.qty), 0) FROM stock_moves m WHERE m.account = 'reserved'"
        "  AND m.ref = o.order_no) FROM orders o JOIN order_lines l USING (order_no)"
        " WHERE o.presale_state IS NOT NULL GROUP BY o.order_no ORDER BY o.rowid").fetchall()
    waiting_seen = False
    for order_no, presale_state, status, qty, reserved in rows:
        open_ = status not in ("picked_up", "partially_picked_up", "cancelled", "returned")
        if presale_state == "waiting" and open_:
            f.waiting_orders += 1
            f.owed_units += qty
            waiting_seen = True
            if order_no not in told:
                f.untold += 1
                f.notes.append(f"{store_id} {order_no}: waits, HQ never told its customer")
            if reserved:
                f.shelf_took_presale += 1
                f.notes.append(f"{store_id} {order_no}: waiting but holds {reserved}")
        elif presale_state == "released":
            f.released_orders += 1
            if open_ and reserved != qty:
                f.shelf_took_presale += 1
                f.notes.append(f"{store_id} {order_no}: released, holds {reserved} of {qty}")
            if waiting_seen and open_:
                f.out_of_order += 1
                f.notes.append(f"{store_id} {order_no}: released after an earlier one waits")


def waiting_units(st) -> dict[str, int]:
    """Per SKU, units of open pre-sale orders still waiting for goods at this store: sold
    ahead and not arrived, so not part of what the store's shelf had to cover."""
    return dict(st.execute(
        "SELECT l.sku, SUM(l.qty) FROM order_lines l JOIN orders o USING (order_no)"
        " WHERE o.presale_state = 'waiting' AND o.status NOT IN"
        " ('picked_up', 'partially_picked_up', 'cancelled', 'returned') GROUP BY l.sku").fetchall())


def table_rows(f: PresaleFindings, tally: PresaleTally | None, reports: list[dict], row,
               zero) -> list[str]:
    """The pre-sale pool's own section of the bench table (``reports``: the stores' own;
    ``row``/``zero``: the table's formatters)."""
    t = tally or PresaleTally()
    counter = sum(r.get("presale_counter_sold", 0) for r in reports)
    return [
        "-- pre-sale pool (sold ahead of a short delivery; kept apart from the shelf)",
        zero(f"pre-sale units HQ accepted beyond its pool ({f.accepted_units:,} of "
             f"{f.announced_units:,} announced)", f.oversold_units),
        zero("orders booked against the other pool (pre-sale <-> shelf)", f.pool_mixed),
        zero("shelf sold units held for pre-sale orders (held < 0, or not reserved)",
             f.shelf_took_presale),
        zero("pre-sale orders released out of purchase order", f.out_of_order),
        zero("stores whose pre-sale transfer was never received", f.not_received),
        zero("orders waiting for goods whose customer HQ did not tell", f.untold),
        row(f"  {t.accepted:,} pre-sale orders accepted, {t.refused:,} refused (pool sold out),"
            f" other answers {dict(t.other) or 'none'}", "", "", "", "info"),
        row(f"  arrived {f.arrived_units:,} of {f.accepted_units:,} pre-sold units: {f.released_orders:,}"
            f" orders to the board, {f.waiting_orders:,} wait ({f.owed_units:,} units owed)",
            "", "", "", "info"),
        row(f"  HQ told: {f.short_conflicts:,} presale_short conflicts, notices "
            f"{dict(f.notices) or 'none'}", "", "", "", "info"),
        zero(f"counter sold more of it than its shelf line ({counter:,} sold; "
             f"{SHELF_UNITS} a store)", f.counter_over_shelf),
    ] + [f"  ! {note}" for note in f.notes[:6]]
