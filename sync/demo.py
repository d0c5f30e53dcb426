"""The demo store against a real HQ: an embedded HQ (``sync.embedded``) in the demo's data
directory, the demo's online orders placed at HQ and brought to the store by sync, and a
gentle live stream (``hq simulate-stream``) while the terminal runs.

Seeding starts the HQ on a loopback port just for the seed (no network needed): it registers
the store and a demo channel, loads the catalog, places the seeder's orders at HQ, syncs
them in, lets the seeder drive them (packed, picked up...) and syncs those facts back. The
store's ``store-edge.toml`` gets ``[hq] url/token``; ``hq-demo.json`` keeps the demo channel's
key (demo only: a real HQ prints keys once).
"""

from __future__ import annotations

import json
from datetime import timedelta
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from edge import demo
from edge.demo_data import PRODUCTS, STORE, shelves
from edge.domain import stock, stores
from edge.domain.prep import is_fresh
from edge.private_files import write_private_text
from edge.store import Store
from sync.client import SyncClient
from sync.embedded import EmbeddedHQ
from sync.hq import registry, service
from sync.hq.clock import utcnow
from sync.hq.courier_sim import CourierPlatform
from sync.hq.demo_data import DEMO_CATALOG
from sync.hq.simulate import simulate_stream
from sync.pickup_code import qr_payload
from sync.protocol import CatalogItem, PlaceOrderRequest, TransferLine

HQ_DB = "hq.db"
STATE_FILE = "hq-demo.json"
CONFIG_FILE = "store-edge.toml"
DEMO_CHANNEL = "demo-live-stream"
STREAM_RATE = 0.2  # orders per second while the demo runs: one every five seconds
HISTORY_WEEKS = 4  # weeks of counter sales behind the demo's prep suggestions
STREAM_STOCK = 300  # units per stream SKU that keeps (dry, frozen), half granted to HQ
# fresh stream SKUs as a store holds them (a cake counter holds a dozen), three quarters
# granted: at the stream's pace (~2.5 units per SKU a minute) the prep panel asks for more
# as soon as HQ's first stream.rate arrives
STREAM_FRESH_STOCK = {"CAKE-STRAW": 12}
STREAM_FRESH_DEFAULT = 60
DELIVERY_SHARE = 0.25  # of the stream's orders delivered from the store (platform or clerk)
DEMO_COURIER = "demo-courier-platform"
DEMO_TRANSFER = "TR-DEMO-01"  # announced by the demo HQ, waiting at the stock screen
DEMO_PRESALE = 3  # pre-sale orders of 2 units waiting for that transfer
HQ_BLOCK = "# --- [hq] written by store-edge demo (embedded HQ) ---"
_CHANNEL_KINDS = {"live": "live_stream", "mini": "mini_program", "counter": "counter"}


class DemoSyncFailed(RuntimeError):
    pass


# ---------------------------------------------------------------- files in the data dir
def load_state(data_dir: Path) -> dict | None:
    path = data_dir / STATE_FILE
    return json.loads(path.read_text()) if path.exists() else None


def save_state(data_dir: Path, state: dict) -> None:
    write_private_text(data_dir / STATE_FILE, json.dumps(state, indent=1))  # the channel key


def write_hq_config(data_dir: Path, url: str, token: str) -> None:
    """Put ``[hq] url/token`` at the end of the store's config, replacing an earlier one."""
    path = data_dir / CONFIG_FILE
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    text = text.split(HQ_BLOCK)[0].rstrip("\n")
    block = f'{HQ_BLOCK}\n[hq]\nurl = "{url}"\ntoken = "{token}"\ninterval_s = 2.0\n'
    write_private_text(path, f"{text}\n\n{block}" if text else block)  # the token: 0600


# ---------------------------------------------------------------- seeding through HQ
def _setup_hq(hq: EmbeddedHQ) -> dict:
    """Register the demo store and channel, load the catalog (demo products + stream's)."""
    now = utcnow()
    token = registry.add_store(hq.db, STORE[0], now, name=STORE[2])
    key = registry.add_channel(hq.db, DEMO_CHANNEL, now, kind="live_stream")
    # the demo store's shelf places travel with the catalog (the pick walk's order)
    shelf = shelves([(p[0], p[3]) for p in PRODUCTS] + [(i.sku, i.zone) for i in DEMO_CATALOG])
    for sku, zh, en, zone, price, life in PRODUCTS:
        service.upsert_catalog_item(hq.db, CatalogItem(
            sku=sku, name_zh=zh, name_en=en, zone=zone, price_cents=price,
            barcode=demo._ean13(sku), shelf_life_days=life, shelf=shelf[sku]), now)
    for item in DEMO_CATALOG:
        service.upsert_catalog_item(hq.db, item.model_copy(update={"shelf": shelf[item.sku]}), now)
    return {"token": token, "channel_key": key, "port": hq.port}


class HQArrival:
    """The seeder's ``arrive`` hook: place each planned order at HQ, then sync it in."""

    def __init__(self, hq: EmbeddedHQ, token: str) -> None:
        self.hq, self.token = hq, token
        self.client: SyncClient | None = None

    def __call__(self, store: Store, plans: list[demo.PlannedOrder]) -> None:
        if self.client is None:
            # bound to this embedded HQ before its first sync: never syncs with a real one
            stores.mark_demo(store.db, self.token)
            self.client = SyncClient(store, self.hq.url, self.token, timeout=30)
            self.sync()  # HQ learns the store's stock and allotment before selling it
        for plan in plans:
            self._place(plan)
        self.sync()

    def _place(self, plan: demo.PlannedOrder) -> None:
        data = plan.data
        req = PlaceOrderRequest(
            request_id=str(uuid.uuid4()), store_id=data["store_id"],
            customer_name=data["customer_masked"], customer_phone="1380000" + data["phone_last4"],
            lines=[{"sku": line["sku"], "qty": line["qty"]} for line in data["lines"]],
            fulfilment=data["fulfilment"], window_start=data["window_start"],
            window_end=data["window_end"], paid=True, made_to_order=data["made_to_order"])
        view = service.place_order(self.hq.db, req, channel_name=DEMO_CHANNEL,
                                   channel_kind=_CHANNEL_KINDS[data["channel"]], now=plan.created)
        data["order_no"], data["pickup_code"] = view["order_no"], view["pickup_code"]
        if plan.scenario == "cancelled":
            service.cancel_order(self.hq.db, view["order_no"], "customer_cancelled", utcnow())

    def sync(self) -> None:
        assert self.client is not None
        report = self.client.sync_once()
        if not report.ok:
            raise DemoSyncFailed(f"{report.problem} {report.problem_params}")

    def close(self) -> None:
        if self.client is not None:
            self.client.close()


def _stock_stream_catalog(store: Store) -> None:
    """Stock the live stream's products (they came from HQ's catalog) and offer them online."""
    for item in DEMO_CATALOG:
        qty, grant = STREAM_STOCK, STREAM_STOCK // 2
        if is_fresh(item.zone, item.shelf_life_days):
            qty = STREAM_FRESH_STOCK.get(item.sku, STREAM_FRESH_DEFAULT)
            grant = qty * 3 // 4
        stock.receive(store.db, sku=item.sku, lot="DEMO-1", qty=qty, actor="m01", ref="TR-DEMO")
        stock.grant_allotment(store.db, sku=item.sku, qty=grant, actor="m01")


def _announce_transfer(hq: EmbeddedHQ, store_id: str) -> None:
    """A warehouse transfer on its way, so the demo shows receiving: ctrl+t, then scan or type
    ``TR-DEMO-01/1`` (a carton) and F5. Half its first line is pre-sold (DEMO_PRESALE
    orders wait for it, ctrl+s on the stock screen; type the product a few times instead of the
    carton to receive it short)."""
    expiry = (utcnow() + timedelta(days=5)).date().isoformat()
    lines = [TransferLine(sku=item.sku, lot=f"TR1-{n}", expiry=expiry, qty=12,
                          presale=6 if n == 1 else 0)
             for n, item in enumerate(DEMO_CATALOG[:2], start=1)]
    service.transfer_stock(hq.db, store_id, lines, utcnow(), transfer_id=DEMO_TRANSFER)
    for n in range(DEMO_PRESALE):
        service.place_order(hq.db, PlaceOrderRequest(
            request_id=f"demo-presale-{n}", store_id=store_id, customer_name="赵预售",
            customer_phone=f"1390000{n:04d}", lines=[{"sku": lines[0].sku, "qty": 2}], paid=True,
            presale=True, window_start=(utcnow() + timedelta(days=1)).isoformat(),
            window_end=(utcnow() + timedelta(days=3)).isoformat()),
            channel_name=DEMO_CHANNEL, channel_kind="live_stream", now=utcnow())


def _forget_hq(data_dir: Path) -> None:
    """A seed starts a fresh HQ: drop one left by an interrupted seed (no store matches it)."""
    for name in (HQ_DB, HQ_DB + "-wal", HQ_DB + "-shm", STATE_FILE):
        (data_dir / name).unlink(missing_ok=True)


def seed_with_hq(data_dir: str | Path, *, n_orders: int = 300, history_weeks: int = HISTORY_WEEKS,
                 progress: Callable[[int, int], None] | None = None) -> Store:
    """Seed the demo store with its orders placed at an embedded HQ (started just for this),
    and ``history_weeks`` of counter sales before them (the prep panel's history)."""
    data_dir = Path(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    _forget_hq(data_dir)
    with EmbeddedHQ(data_dir / HQ_DB) as hq:
        state = _setup_hq(hq)
        arrival = HQArrival(hq, state["token"])
        try:
            store = demo.seed(data_dir, n_orders=n_orders, progress=progress, arrive=arrival)
            if history_weeks:
                demo.seed_history(store, history_weeks, now=utcnow())
            _stock_stream_catalog(store)
            _announce_transfer(hq, store.store_id)
            arrival.sync()
        finally:
            arrival.close()
    save_state(data_dir, state)
    write_hq_config(data_dir, hq.url, state["token"])
    return store


# ---------------------------------------------------------------- while the demo runs
class StreamThread(threading.Thread):
    """``hq simulate-stream`` in the background until :meth:`stop`."""

    class _Stopped(Exception):
        pass

    def __init__(self, hq_url: str, key: str, store_id: str, rate: float,
                 delivery_share: float = DELIVERY_SHARE) -> None:
        super().__init__(name="demo-stream", daemon=True)
        self.args = (hq_url, key, [store_id])
        self.rate, self.delivery_share = rate, delivery_share
        self._stop_event = threading.Event()

    def _sleep(self, seconds: float) -> None:
        if self._stop_event.wait(seconds):
            raise self._Stopped

    def run(self) -> None:
        try:
            simulate_stream(*self.args, rate=self.rate, sleep=self._sleep,
                            delivery_share=self.delivery_share)
        except self._Stopped:
            pass

    def stop(self) -> None:
        self._stop_event.set()
        self.join(timeout=15)


def _bind_to_demo_hq(data_dir: Path, token: str) -> None:
    """A demo seeded before demo stores were marked gets its mark now."""
    store = Store.open(data_dir)
    try:
        if not stores.is_demo(store.db):
            stores.mark_demo(store.db, token)
    finally:
        store.close()


@contextmanager
def running_demo_hq(data_dir: str | Path, *, rate: float = STREAM_RATE) -> Iterator[EmbeddedHQ | None]:
    """Run the demo's HQ (same port as last time if free) and its live stream; None when the
    demo store was seeded without an HQ."""
    data_dir = Path(data_dir)
    state = load_state(data_dir)
    if state is None:
        yield None
        return
    _bind_to_demo_hq(data_dir, state["token"])
    # a simulated courier platform: riders named a few seconds after a delivery order, the
    # ride reported done a minute after the parcels left (``hq courier-platform``)
    platform = CourierPlatform(assign_after=3.0, ride_s=60.0).start()
    hq = EmbeddedHQ(data_dir / HQ_DB, port=state.get("port"), sweep_interval=30.0,
                    courier_url=platform.url).start()
    if "courier_key" not in state:
        state = {**state, "courier_key": registry.add_channel(hq.db, DEMO_COURIER, utcnow(), kind="courier")}
        save_state(data_dir, state)
    platform.connect(hq.url, state["courier_key"])
    if hq.port != state.get("port"):
        save_state(data_dir, {**state, "port": hq.port})
        write_hq_config(data_dir, hq.url, state["token"])
    stream = StreamThread(hq.url, state["channel_key"], STORE[0], rate)
    stream.start()
    try:
        yield hq
    finally:
        stream.stop()
        hq.stop()
        platform.stop()


# ---------------------------------------------------------------- demo codes
def _hq_codes(data_dir: Path, store_id: str) -> list[tuple[str, str]]:
    """(order_no, pickup code) of every order HQ holds for the store."""
    from sync.hq.db import open_database

    if not (data_dir / HQ_DB).exists():
        return []
    db = open_database(f"sqlite:///{data_dir / HQ_DB}")
    try:
        with db.tx(snapshot=True) as tx:
            return [tuple(r) for r in tx.all(
                "SELECT order_no, pickup_code FROM orders WHERE store_id = ? ORDER BY order_no",
                (store_id,))]
    finally:
        db.close()


def demo_codes(store: Store) -> list[dict]:
    """The seeded codes (``edge.demo.demo_codes``) plus the live stream's, which HQ knows."""
    from edge.domain import orders

    codes = demo.demo_codes(store)
    known = {c["order_no"] for c in codes}
    for order_no, code in _hq_codes(store.data_dir, store.store_id):
        if order_no in known:
            continue
        order = orders.get_order(store.db, order_no)
        codes.append({"order_no": order_no, "code": code, "qr": qr_payload(store.store_id, code),
                      "status": order.status if order else "unknown",
                      "store_id": order.store_id if order else store.store_id,
                      "scenario": "presale" if order and order.presale_state else "stream"})
    return codes
