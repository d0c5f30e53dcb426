"""Build a demo store: a few hundred orders in every status, stock, clerks, all via the domain.

Orders go through the same domain functions a real day uses (receive, pack, hand over,
cancel…), so the demo's audit trail, outbox and stock ledger are real. The pickup codes are
written to ``demo-codes.json`` beside the database, for newcomers to try: a real store never
has its codes in clear.
"""

from __future__ import annotations

import json
import math
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from edge.clock import iso, utcnow
from edge.db import write_tx
from edge.demo_data import (NAMES_EN, OTHER_STORES, PEOPLE, PRODUCTS, SLOT_COUNTS, SLOTS, STORE,
                             SURNAMES_ZH, shelves)
from edge.domain import clerks, orders, packing, picking, pickup, stock
from edge.domain.prep import is_fresh
from edge.domain.sales import SaleLine, sell
from edge.private_files import write_private_text
from edge.store import Store, init_store
from sync.pickup_code import make_pickup_code, qr_payload

CODES_FILENAME = "demo-codes.json"

# share of orders per scenario; the rest are ready and inside their window
SCENARIOS: list[tuple[str, float]] = [
    ("before_window", 0.08), ("preparing", 0.12), ("allocated", 0.08), ("picked_up", 0.20),
    ("partial", 0.02), ("overdue", 0.08), ("cancelled", 0.05), ("returned", 0.02),
    ("other_store", 0.02), ("ready", 0.33),
]


@dataclass
class DemoCode:
    order_no: str
    code: str
    qr: str
    scenario: str


@dataclass
class PlannedOrder:
    """A demo order before it reaches the store: ``data`` is the ``order.allocated`` shape.

    An ``arrive`` hook (``sync.demo`` places them at HQ) may replace ``order_no`` and
    ``pickup_code`` in ``data`` with the ones HQ issued."""

    scenario: str
    data: dict
    created: datetime
    window_start: datetime
    window_end: datetime


Arrive = Callable[[Store, list[PlannedOrder]], None]


def receive_locally(store: Store, plans: list[PlannedOrder]) -> None:
    """Orders arrive straight in the store database (offline demo, tests)."""
    with write_tx(store.db):
        for plan in plans:
            orders.receive_order(store.db, store.pickup_key, plan.data, now=plan.created)


def seed(data_dir: str | Path, *, n_orders: int = 300, seed: int = 7, now: datetime | None = None,
         progress: Callable[[int, int], None] | None = None, arrive: Arrive | None = None) -> Store:
    """Create (or extend) the demo store in ``data_dir`` and return it open.

    ``arrive`` makes each batch of planned orders reach the store (default: received
    locally); then the store drives them to their scenario's state (packed, picked up...)."""
    now = now or utcnow()
    rng = random.Random(seed)
    store_id, name_zh, name_en = STORE
    store = init_store(data_dir, store_id, name_zh, name_en)
    db = store.db
    with write_tx(db):
        for sid, zh, en in OTHER_STORES:
            db.execute("INSERT OR REPLACE INTO stores VALUES (?,?,?)", [sid, zh, en])
        shelf = shelves([(p[0], p[3]) for p in PRODUCTS])
        for sku, zh, en, zone, price, life in PRODUCTS:
            db.execute("INSERT OR REPLACE INTO products (sku, name_zh, name_en, zone, price_cents,"
                       " barcode, shelf_life_days, shelf) VALUES (?,?,?,?,?,?,?,?)",
                       [sku, zh, en, zone, price, _ean13(sku), life, shelf[sku]])
    for clerk_id, name, role, pin in PEOPLE:
        if clerks.get_clerk(db, clerk_id) is None:
            clerks.add_clerk(db, clerk_id, name, pin, role=role, now=now)
    _stock_up(store, n_orders, now)
    codes = _load_codes(store.data_dir)
    start = len(codes)
    used = {c.code for c in codes}  # 10^10 codes: at 100,000 orders a repeat is likely
    batch = 500
    for first in range(0, n_orders, batch):
        plans = [_plan_order(store, rng, start + i, now, used)
                 for i in range(first, min(first + batch, n_orders))]
        _make_fresh(store, plans, now, shelf=start == 0 and first == 0)
        (arrive or receive_locally)(store, plans)
        with write_tx(db):
            for plan in plans:
                _pack_order(store, rng, plan)
            for plan in plans:
                codes.append(_finish_order(store, rng, plan))
        if progress:
            progress(min(first + batch, n_orders), n_orders)
    write_private_text(store.data_dir / CODES_FILENAME,  # codes in clear, for the demo only: 0600
                       json.dumps([vars(c) for c in codes], ensure_ascii=False, indent=0))
    # devices (edge/demo_devices.py): config with simulated devices + camera folder of demo QRs
    from edge.demo_devices import write_demo_devices

    write_demo_devices(store.data_dir, _camera_codes(codes))
    return store


def _camera_codes(codes: list[DemoCode]) -> list[str]:
    """QRs the demo camera shows: ready, picked up, overdue, another store's (one each)."""
    wanted = ("ready", "picked_up", "overdue", "other_store")
    return [next(c.qr for c in codes if c.scenario == s) for s in wanted
            if any(c.scenario == s for c in codes)]


def _ean13(sku: str) -> str:
    """A stable, valid EAN-13 for a demo SKU (China's 69 prefix)."""
    body = "69" + "".join(f"{ord(c) % 100:02d}" for c in sku)[:10].ljust(10, "0")
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(body))
    return body + str((10 - total % 10) % 10)


def _stock_up(store: Store, n_orders: int, now: datetime) -> None:
    """Goods that keep (dry, frozen): stocked by the week, two lots per SKU."""
    per_sku = max(200, n_orders // 3)
    for sku, _zh, _en, zone, _price, life in PRODUCTS:
        if is_fresh(zone, life):
            continue  # made for the day: _make_fresh
        for k, days in enumerate((max(1, life // 3), life)):
            stock.receive(store.db, sku=sku, lot=f"{now:%y%m%d}-{k}", qty=per_sku,
                          expiry=(now + timedelta(days=days)).date().isoformat(),
                          actor="demo", ref="TR-DEMO", now=now - timedelta(days=1))
        stock.grant_allotment(store.db, sku=sku, qty=int(per_sku * 1.5), actor="m01", now=now)


def shelf_left(sku: str) -> int:
    """Units of a fresh item left on the shelf when the demo opens: about two hours of its
    sales (what is left of the morning's bake), so the prep panel has something to suggest
    at once instead of a week's stock that no forecast reaches."""
    return next((max(2, round(2 * mean)) for s, mean, _peak in HISTORY_SKUS if s == sku), 3)


def _make_fresh(store: Store, plans: list[PlannedOrder], now: datetime, *, shelf: bool) -> None:
    """Fresh and made-to-order items are made for their orders, not kept by the week: receive
    what these orders take (granted to HQ, which sells them) and, once (``shelf``), what is
    left on the shelf (:func:`shelf_left`)."""
    wanted: dict[str, int] = {}
    for plan in plans:
        for line in plan.data["lines"]:
            wanted[line["sku"]] = wanted.get(line["sku"], 0) + line["qty"]
    with write_tx(store.db):
        for sku, _zh, _en, zone, _price, life in PRODUCTS:
            if not is_fresh(zone, life):
                continue
            qty = wanted.get(sku, 0) + (shelf_left(sku) if shelf else 0)
            if qty:
                stock.receive(store.db, sku=sku, lot=f"{now:%y%m%d}-0", qty=qty,
                              expiry=(now + timedelta(days=life)).date().isoformat(),
                              actor="demo", ref="TR-DEMO", now=now - timedelta(days=1))
            if wanted.get(sku):
                stock.grant_allotment(store.db, sku=sku, qty=wanted[sku], actor="m01", now=now)


# the counter's last weeks, for the prep suggestions (board, r): sku, units per shop hour,
# the hour it sells most; weekends sell a third more
HISTORY_SKUS = [("B001", 4.0, 9), ("B003", 0.8, 16), ("B004", 1.2, 15), ("B005", 2.0, 10),
                ("D001", 2.5, 18), ("D002", 1.5, 12), ("V001", 1.8, 18), ("V002", 1.2, 17)]
OPEN_HOURS = range(8, 22)


def seed_history(store: Store, weeks: int, *, now: datetime, seed: int = 7) -> int:
    """Counter sales over the last ``weeks`` weeks (shop hours, up to the hour before now),
    each a real sale (stock moves, audit, events for HQ) of goods received for them at the
    start; returns the number of sales. The prep panel learns the store's hours from them."""
    rng = random.Random(seed)
    local_now = now.astimezone()
    start = (local_now - timedelta(weeks=weeks)).replace(hour=0, minute=0, second=0, microsecond=0)
    sales: list[tuple[datetime, str, int]] = []
    day = start
    while day < local_now:
        weekend = 1.33 if day.weekday() >= 5 else 1.0
        for hour in OPEN_HOURS:
            at = day.replace(hour=hour)
            if at + timedelta(hours=1) > local_now:
                break
            for sku, mean, peak in HISTORY_SKUS:
                mu = mean * weekend * (0.5 + 1.2 * math.exp(-((hour - peak) / 2.0) ** 2))
                qty = sum(1 for _ in range(int(mu * 3)) if rng.random() < 1 / 3)
                if qty:
                    sales.append((at + timedelta(seconds=rng.randrange(3600)), sku, qty))
        day += timedelta(days=1)
    sales.sort()
    with write_tx(store.db):
        totals: dict[str, int] = {}
        for _at, sku, qty in sales:
            totals[sku] = totals.get(sku, 0) + qty
        for sku, qty in totals.items():  # sold first (expiring first), so nothing of it is left
            stock.receive(store.db, sku=sku, lot="HIST", qty=qty, expiry=start.date().isoformat(),
                          actor="m01", ref="TR-HIST", now=start)
        for at, sku, qty in sales:
            sell(store, [SaleLine(sku, qty)], rng.choice(("c01", "c02", "c03")), now=at)
    return len(sales)


def _customer(rng: random.Random) -> str:
    if rng.random() < 0.1:
        return rng.choice(NAMES_EN)[0] + "****"
    return rng.choice(SURNAMES_ZH) + "**"


def _pick_scenario(rng: random.Random) -> str:
    x, acc = rng.random(), 0.0
    for name, share in SCENARIOS:
        acc += share
        if x < acc:
            return name
    return "ready"


def _plan_order(store: Store, rng: random.Random, index: int, now: datetime,
                used: set[str]) -> PlannedOrder:
    """One order in a random scenario, as HQ would allocate it to this store."""
    scenario = _pick_scenario(rng)
    order_no = f"L{now:%y%m%d}{index:06d}"
    code = make_pickup_code()
    while code in used:
        code = make_pickup_code()
    used.add(code)
    n_lines = rng.choice((1, 1, 2, 2, 3, 4))
    picks = rng.sample(PRODUCTS, n_lines)
    lines = [{"line_no": i + 1, "sku": p[0], "name_zh": p[1], "name_en": p[2],
              "qty": rng.choice((1, 1, 1, 2, 3)), "zone": p[3], "unit_price_cents": p[4]}
             for i, p in enumerate(picks)]
    window_start, window_end = _window(rng, scenario, now)
    created = min(now, window_start) - timedelta(hours=rng.randint(2, 30))
    channel = rng.choice(("live", "live", "live", "mini", "mini", "counter"))
    # this draw once marked a tenth "delivery" with no address or courier; kept so the rest of
    # the seeded day stays as it was. Real delivery orders come from the demo HQ's stream.
    rng.random()
    data = {"order_no": order_no, "store_id": store.store_id, "channel": channel,
            "fulfilment": "pickup",
            "customer_masked": _customer(rng),
            "phone_last4": f"{rng.randint(0, max(99, index // 3)) % 10000:04d}",
            "window_start": iso(window_start), "window_end": iso(window_end),
            "pickup_code": code, "made_to_order": any(p[0] == "B003" for p in picks),
            "lines": lines}
    return PlannedOrder(scenario, data, created, window_start, window_end)


def _arrived_cancelled(store: Store, plan: PlannedOrder) -> bool:
    """HQ cancelled it before it reached the store: nothing left to drive."""
    return orders.get_order(store.db, plan.data["order_no"]).status == "cancelled"


def _pack_order(store: Store, rng: random.Random, plan: PlannedOrder) -> None:
    """Prepare an arrived order as far as its scenario goes (all packing before any sweep)."""
    db, scenario, created, order_no = store.db, plan.scenario, plan.created, plan.data["order_no"]
    packer = rng.choice(("c01", "c02", "c03"))
    if scenario in ("allocated", "other_store") or _arrived_cancelled(store, plan):
        pass
    elif scenario == "preparing":
        bags = orders.get_order(db, order_no).bags
        _prepare(store, order_no, rng, packer, created, [b.zone for b in bags[:len(bags) - 1]])
        if len(bags) == 1:  # nothing packed yet: picking has started
            orders.start_preparing(db, order_no, actor=packer, now=created)
    else:
        _prepare(store, order_no, rng, packer, created)


def _finish_order(store: Store, rng: random.Random, plan: PlannedOrder) -> DemoCode:
    """Take a prepared order to its scenario's end state, as a real day would."""
    db, scenario, created = store.db, plan.scenario, plan.created
    order_no, code = plan.data["order_no"], plan.data["pickup_code"]
    window_start, window_end = plan.window_start, plan.window_end
    if _arrived_cancelled(store, plan):
        pass
    elif scenario == "other_store":
        orders.reallocate(db, order_no, rng.choice(OTHER_STORES)[0], actor="hq", now=created)
    elif scenario == "picked_up":
        _hand_over(store, order_no, rng, window_start, ())
    elif scenario == "partial":
        first = orders.get_order(db, order_no).lines[0]
        if len(orders.get_order(db, order_no).lines) > 1:
            _hand_over(store, order_no, rng, window_start,
                       (pickup.NotTaken(first.line_no, first.qty, rng.choice(("missing", "refused"))),))
        else:
            _hand_over(store, order_no, rng, window_start, ())
    elif scenario == "overdue":
        orders.mark_overdue(db, now=window_end + timedelta(minutes=1))
    elif scenario == "cancelled":
        orders.cancel_order(db, order_no, rng.choice(("customer_cancelled", "unpaid")),
                            actor="hq", now=created + timedelta(minutes=30))
    elif scenario == "returned":
        orders.mark_overdue(db, now=window_end + timedelta(minutes=1))
        orders.return_to_stock(db, order_no, actor="m01", now=window_end + timedelta(hours=2))
    return DemoCode(order_no, code, qr_payload(store.store_id, code), scenario)


def _window(rng: random.Random, scenario: str, now: datetime) -> tuple[datetime, datetime]:
    if scenario == "before_window":
        start = now + timedelta(hours=rng.randint(2, 30))
    elif scenario in ("overdue", "returned"):
        start = now - timedelta(hours=rng.randint(8, 72))
    elif scenario in ("picked_up", "partial"):
        start = now - timedelta(hours=rng.randint(1, 10))
    else:
        start = now - timedelta(hours=rng.randint(0, 5))
    length = timedelta(hours=rng.choice((2, 6, 6, 8)))
    if scenario not in ("overdue", "returned") and start + length <= now:
        length = now - start + timedelta(hours=rng.randint(1, 6))
    if scenario in ("overdue", "returned") and start + length >= now:
        length = now - start - timedelta(hours=1)
    return start, start + length


def _slot(rng: random.Random, zone: str) -> str:
    return f"{SLOTS[zone]}-{rng.randint(1, SLOT_COUNTS[zone]):02d}"  # a default storage slot


def _prepare(store: Store, order_no: str, rng: random.Random, packer: str, at: datetime,
             zones: list[str] | None = None) -> None:
    """Pick and pack an order's bags (only ``zones`` if given) as the back room does; the
    labels were printed long ago, so none is queued."""
    order = orders.get_order(store.db, order_no)
    zones = [b.zone for b in order.bags] if zones is None else zones
    for line in order.lines:
        if line.zone in zones:
            picking.pick_units(store.db, [order_no], line.sku, actor=packer, now=at)
    for zone in zones:
        packing.pack(store, order_no, zone, _slot(rng, zone), actor=packer, label=False, now=at)


def _hand_over(store: Store, order_no: str, rng: random.Random, window_start: datetime,
               not_taken: tuple) -> None:
    at = window_start + timedelta(minutes=rng.randint(5, 50))
    pickup.hand_over(store, order_no, rng.choice(("c01", "c02", "c03")), not_taken=list(not_taken),
                     scanned_at=at - timedelta(milliseconds=rng.randint(1500, 9000)), now=at)


def _load_codes(data_dir: Path) -> list[DemoCode]:
    path = data_dir / CODES_FILENAME
    if not path.exists():
        return []
    return [DemoCode(**c) for c in json.loads(path.read_text())]


def demo_codes(store: Store) -> list[dict]:
    """The demo's pickup codes with each order's current status (for `demo codes`)."""
    result = []
    for c in _load_codes(store.data_dir):
        order = orders.get_order(store.db, c.order_no)
        result.append({"order_no": c.order_no, "code": c.code, "qr": c.qr,
                       "status": order.status if order else "unknown",
                       "store_id": order.store_id if order else None, "scenario": c.scenario})
    return result
