"""The counter sale (F10): products by barcode or SKU, the add-on to the pickup just handed
over, and refusals that change nothing."""

from __future__ import annotations

from textual.widgets import Static

from edge.domain import stock
from edge.i18n import t
from edge.ui.screens.counter import CounterScreen
from edge.ui.screens.sale import SaleScreen
from tests.support.edge_store import dump
from tests.support.ui_pilot import counter, make_app, open_store, press_and_wait, scan, settle


async def _enter(pilot, text: str) -> None:
    for char in text:
        await pilot.press(char)
    await pilot.press("enter")
    await settle(pilot)


def test_sale_after_a_hand_over_is_its_add_on(data_dir, codes, run):
    ready = codes["ready"][0]
    store = open_store(data_dir)
    barcode = store.db.execute("SELECT barcode FROM products WHERE sku = 'N001'").fetchone()[0]
    before = stock.levels(store.db, "N001").on_hand
    store.close()

    async def body():
        async with make_app(data_dir).run_test(size=(80, 24)) as pilot:
            assert (await scan(pilot, ready["qr"])).kind == "ok"
            await press_and_wait(pilot, "f5", counter(pilot).handed_over)
            await pilot.press("f10")
            await settle(pilot)
            screen = pilot.app.screen
            assert isinstance(screen, SaleScreen) and screen.with_pickup_order_no == ready["order_no"]
            await _enter(pilot, barcode)      # a product barcode
            await _enter(pilot, "n001")       # the same product by SKU, any case
            await _enter(pilot, "NOPE")       # unknown: said, nothing added
            assert t("ui.sale.unknown", "zh-CN", text="NOPE") in str(
                screen.query_one("#sale-message", Static).content)
            assert [(line.sku, line.qty) for line in screen.cart] == [("N001", 2)]
            await pilot.press("f5")
            await settle(pilot)
            assert isinstance(pilot.app.screen, CounterScreen)

    run(body())
    store = open_store(data_dir)
    sale = store.db.execute("SELECT sale_id, clerk_id, with_pickup_order_no, total_cents FROM sales"
                            ).fetchall()
    assert len(sale) == 1 and sale[0][1:3] == ("c01", ready["order_no"])
    sold = store.db.execute("SELECT COALESCE(SUM(qty), 0) FROM stock_moves WHERE kind = 'sale'"
                            " AND ref = ? AND account = 'on_hand'", [sale[0][0]]).fetchone()[0]
    assert sold == -2  # the hand-over's own picks are booked apart
    assert stock.levels(store.db, "N001").on_hand <= before - 2
    store.close()


def test_a_sale_beyond_sellable_stock_is_refused_and_changes_nothing(data_dir, run):
    store = open_store(data_dir)
    sellable = stock.levels(store.db, "N001").sellable
    snapshot = dump(store)
    store.close()

    async def body():
        async with make_app(data_dir).run_test(size=(80, 24)) as pilot:
            await pilot.press("f10")
            await settle(pilot)
            screen = pilot.app.screen
            assert screen.with_pickup_order_no is None  # no hand-over just now: not an add-on
            screen.cart.clear()
            for _ in range(sellable + 1):
                screen.add_code("N001")
                await settle(pilot)
            await pilot.press("f5")
            await settle(pilot)
            assert isinstance(pilot.app.screen, SaleScreen)  # still open, says why
            message = str(screen.query_one("#sale-message", Static).content)
            assert t("stock.not_enough", "zh-CN", sku="N001", wanted=sellable + 1,
                     available=sellable) == message

    run(body())
    store = open_store(data_dir)
    assert dump(store) == snapshot
    store.close()
