"""The whole loop with real parts: an order placed at a real HQ (loopback, SQLite and
PostgreSQL) → synced to the store → picked by barcode scans (one wrong product among them)
→ packed into slots → bag labels printed (ESC/POS decoded back) → ready at HQ, where the
customer's "ready for pickup" notification is queued and delivered → handed over at the
counter. And a short pick decided by the manager, refunded at HQ."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from pathlib import Path

import pytest

from devices.printers import open_printer, parse_escpos
from edge.domain import board, clerks, orders, packing, picking, print_jobs, stock, tasks
from edge.domain.errors import DomainError
from edge.domain.print_docs import PrintSettings
from devices.config import PrinterConfig
from edge.services.printing import SqliteQueue, StorePrintWorker
from edge.store import Store, init_store
from edge.ui.app import StoreEdgeApp
from tests.support.keys import scanner_burst
from edge.ui.screens.backroom.pack import PackScreen
from edge.ui.screens.backroom.pick import PickScreen
from sync.client import SyncClient
from sync.hq import cli as hq_cli
from sync.hq import orders as hq_orders
from sync.hq import service
from sync.protocol import CatalogItem
from tests.support.ui_pilot import counter, press_and_wait, scan, settle

STORE_ID = "S001"
# sku, zh, en, zone, barcode, shelf
CATALOG = [
    ("B001", "法式牛角包", "Butter croissant", "ambient", "6901234567892", "R1-02"),
    ("D001", "鲜牛奶 950ml", "Fresh milk 950ml", "chilled", "6901234567908", "C1-01"),
    ("M001", "澳洲和牛西冷", "Australian wagyu sirloin", "frozen", "6901234567915", "D1-01"),
]
BARCODE = {row[0]: row[4] for row in CATALOG}
EN = PrintSettings(lang="en")


@pytest.fixture
def loop(make_hq_server, webhook_receiver, tmp_path):
    """HQ (delivering notifications to a webhook), a synced store with stock, a channel."""
    hq = make_hq_server(webhook_url=webhook_receiver.url, notify_retry_base=0.05,
                        notify_poll=0.05)
    for sku, zh, en, zone, barcode, shelf in CATALOG:
        service.upsert_catalog_item(hq.db, CatalogItem(sku=sku, name_zh=zh, name_en=en, zone=zone,
                                                       price_cents=1000, barcode=barcode,
                                                       shelf=shelf), hq.clock())
    agent = hq.add_store(STORE_ID)
    store = init_store(tmp_path / "store", STORE_ID, "静安寺店", "Jing'an Temple")
    clerks.add_clerk(store.db, "c01", "王芳", "1111")
    clerks.add_clerk(store.db, "m01", "张经理", "9999", role="manager")
    client = SyncClient(store, hq.url, agent.token, timeout=10)
    assert client.sync_once().ok  # the catalog arrives, with barcodes and shelves
    for sku, *_ in CATALOG:
        stock.receive(store.db, sku=sku, lot="L-late", qty=10, expiry="2099-12-31", actor="m01")
        stock.receive(store.db, sku=sku, lot="L-early", qty=10, expiry="2099-01-31", actor="m01")
        stock.grant_allotment(store.db, sku=sku, qty=10, actor="m01")
    assert client.sync_once().ok  # HQ learns the allotment
    channel = hq.add_channel()
    yield hq, store, client, channel
    client.close()
    store.close()


def place(hq, channel, lines, *, code: bool = False):
    """Order number (and pickup code) of an order a live-stream room placed at HQ, paid."""
    now = hq.clock()
    r = channel.place(STORE_ID, lines, paid=True,
                      window_start=(now - timedelta(hours=1)).isoformat(),
                      window_end=(now + timedelta(hours=6)).isoformat())
    assert r.status_code == 201, r.text
    body = r.json()
    return (body["order_no"], body["pickup_code"]) if code else body["order_no"]


def hq_order(hq, order_no: str) -> dict:
    with hq.db.tx(snapshot=True) as tx:
        return hq_orders.load_order(tx, None, order_no)


def hq_shorts(hq, order_no: str) -> list[tuple]:
    """What HQ holds of an order's short pick: (line, sku, qty, status, decided by)."""
    with hq.db.tx(snapshot=True) as tx:
        return [tuple(r) for r in tx.all("SELECT line_no, sku, qty, status, decided_by FROM"
                                         " order_shorts WHERE order_no = ? ORDER BY line_no",
                                         (order_no,))]


def hq_notifications(hq, order_no: str) -> list[str]:
    with hq.db.tx(snapshot=True) as tx:
        return [r[0] for r in tx.all("SELECT kind FROM notifications WHERE order_no = ? ORDER BY ord",
                                     (order_no,))]


def print_labels(store: Store, paper: Path):
    """The label printer's worker, on a file printer: what it prints, decoded back."""
    printer = PrinterConfig(f"file://{paper}", paper_mm=80)
    queue = SqliteQueue(store.data_dir, ("label",), printer)
    queue.open()
    worker = StorePrintWorker(queue, open_printer(printer.url))
    while worker.step():
        pass
    return parse_escpos(paper.read_bytes())


def test_order_placed_at_hq_is_picked_packed_ready_notified_and_handed_over(
        loop, webhook_receiver, wait_until, tmp_path):
    hq, store, client, channel = loop
    order_no, pickup_code = place(hq, channel, [("B001", 2), ("D001", 1)], code=True)
    assert client.sync_once().ok
    order = orders.get_order(store.db, order_no)
    assert order.status == "allocated" and board.board_row(store.db, order_no,
                                                           now=hq.clock()).status == "new"
    assert tasks.get_task(store.db, f"prep-{order_no}").status == "open"

    async def pick_and_pack(pilot) -> None:
        await pilot.app.push_screen(PickScreen([order_no]))
        await settle(pilot)
        screen = pilot.app.screen
        assert [(l.shelf, l.sku, l.qty, l.lot) for l in screen.pick_list.lines] == [
            ("R1-02", "B001", 2, "L-early"), ("C1-01", "D001", 1, "L-early")]
        # scanner speed, the wagyu (not in this order) among them: it picks nothing
        for code in (BARCODE["B001"], BARCODE["M001"], BARCODE["B001"], BARCODE["D001"]):
            scanner_burst(pilot.app, code)
        await settle(pilot)
        assert screen.pick_list.done
        assert [(l.sku, l.picked) for l in screen.pick_list.lines] == [("B001", 2), ("D001", 1)]
        assert client.sync_once().ok
        assert hq_order(hq, order_no)["status"] == "preparing"
        prep = hq_task(hq, order_no)
        assert prep["status"] == "in_progress" and prep["fields"]["picked"] == 3
        await pilot.press("ctrl+k")
        await settle(pilot)
        assert isinstance(pilot.app.screen, PackScreen)
        for slot in ("A-02", "F-01"):  # slot labels scanned: ambient bag first, then chilled
            scanner_burst(pilot.app, slot)
        await settle(pilot)
        assert orders.get_order(store.db, order_no).status == "ready"
        await pilot.press("escape")
        await settle(pilot)

    async def hand_over(pilot) -> None:
        assert (await scan(pilot, pickup_code)).kind == "ok"
        await press_and_wait(pilot, "f5", counter(pilot).handed_over)

    async def body() -> None:
        app = StoreEdgeApp(store.data_dir, lang="en", clerk_id="c01")
        async with app.run_test(size=(80, 24)) as pilot:
            await pick_and_pack(pilot)
            label = print_labels(store, tmp_path / "labels.bin")
            assert label.qr == [f"SEB1:{STORE_ID}:{order_no}:ambient",
                                f"SEB1:{STORE_ID}:{order_no}:chilled"]
            assert "A-02" in label.text and "F-01" in label.text and label.cuts == 2

            assert client.sync_once().ok
            assert hq_order(hq, order_no)["status"] == "ready"
            assert hq_notifications(hq, order_no) == ["allocated", "ready"]
            assert wait_until(lambda: any(n["kind"] == "ready" and n["order_no"] == order_no
                                          for n in webhook_receiver.received))
            fields = hq_task(hq, order_no)["fields"]
            assert (fields["bag_ambient"], fields["bag_chilled"]) == ("A-02", "F-01")
            await hand_over(pilot)

    asyncio.run(body())
    assert orders.get_order(store.db, order_no).status == "picked_up"
    assert client.sync_once().ok
    assert hq_order(hq, order_no)["status"] == "picked_up"
    assert hq_notifications(hq, order_no) == ["allocated", "ready", "picked_up"]


def hq_task(hq, order_no: str) -> dict:
    return next(t for t in service.store_tasks(hq.db, STORE_ID) if t["task_id"] == f"prep-{order_no}")


def test_short_pick_reaches_hq_and_the_managers_decision_ends_in_a_refund(loop, capsys):
    hq, store, client, channel = loop
    order_no = place(hq, channel, [("B001", 1), ("M001", 2)])
    assert client.sync_once().ok
    wave = [order_no]
    picking.pick_scan(store.db, wave, BARCODE["B001"], actor="c01")
    picking.pick_scan(store.db, wave, BARCODE["M001"], actor="c01")
    picking.short_pick(store.db, wave, "M001", 1, actor="c01")
    assert client.sync_once().ok
    conflicts = [c for c in service.open_conflicts(hq.db, STORE_ID) if c["order_no"] == order_no]
    assert [c["kind"] for c in conflicts] == ["short_pick"]
    capsys.readouterr()
    assert hq_cli.main(["hq", "conflicts", "--db", hq.db_url, "--store", STORE_ID]) == 0
    listed = capsys.readouterr().out  # what an HQ operator sees
    assert f"short_pick\t{order_no}\tmissing at pick by c01: line 2 M001 x1" in listed
    assert hq_shorts(hq, order_no) == [(2, "M001", 1, "pending", None)]
    with pytest.raises(DomainError):
        picking.decide_short(store.db, order_no, "ready_without", manager="c01")
    picking.decide_short(store.db, order_no, "ready_without", manager="m01")
    packing.pack(store, order_no, "ambient", "A-01", actor="c01", label=False)
    assert packing.pack(store, order_no, "frozen", "Z-01", actor="c01",
                        label=False).order.status == "ready"
    assert client.sync_once().ok
    assert hq_shorts(hq, order_no) == [(2, "M001", 1, "refund_on_pickup", "m01")]
    with hq.db.tx(snapshot=True) as tx:
        audit = tx.all("SELECT action, manager_id, ref FROM audit WHERE store_id = ?", (STORE_ID,))
    assert ("short_pick_ready_without", "m01", order_no) in [tuple(a) for a in audit]
    assert hq_order(hq, order_no)["status"] == "ready"
    with hq.db.tx(snapshot=True) as tx:
        [ready] = tx.all("SELECT payload FROM notifications WHERE order_no = ? AND kind = 'ready'",
                         (order_no,))
    assert json.loads(ready[0])["missing"] == [{"line_no": 2, "sku": "M001", "qty": 1}]

    handed, _job = print_jobs.handover_and_print(store, order_no, "c01", settings=EN)
    assert handed.status == "partially_picked_up"
    assert client.sync_once().ok
    assert hq_order(hq, order_no)["status"] == "partially_picked_up"
    refunds = [c for c in service.open_conflicts(hq.db, STORE_ID)
               if c["order_no"] == order_no and c["kind"] == "refund_due"]
    assert len(refunds) == 1 and "line 2 x1 missing" in refunds[0]["detail"]
    # the store's books: 20 received, 1 booked missing at pick, 1 picked and handed over
    assert stock.levels(store.db, "M001").on_hand == 18
