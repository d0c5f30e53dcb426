"""The counter sale (F10): products by barcode or SKU, the add-on to the pickup just handed
over, and refusals that change nothing."""

from __future__ import annotations

from textual.widgets import Static

from edge.domain import stock
from edge.i18n import t
from edge.ui.screens.counter import CounterScreen
from edge.ui.screens.sale import SaleScreen
from tests.support.edge_store import dump
from tests.support.ui_pilot import (counter, make_app, open_store, press_and_wait, scan,
                                    screen_text, settle)


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


def _amounts(screen) -> list[str]:
    from textual.widgets import DataTable

    table = screen.query_one("#sale-lines", DataTable)
    return [str(table.get_row_at(i)[2]) for i in range(table.row_count)]


def test_amounts_are_shown_whole_and_f6_takes_off_the_selected_line(data_dir, run):
    """Issue 9 #4: quantity changes keep the whole amount; F6 acts on the selected line (the
    last scanned, or the one ↑/↓ chose), not on the first row."""

    async def body():
        async with make_app(data_dir).run_test(size=(80, 24)) as pilot:
            await pilot.press("f10")
            await settle(pilot)
            screen = pilot.app.screen
            for _ in range(2):
                await _enter(pilot, "V001")  # ￥9.90 → ￥19.80
            assert _amounts(screen) == ["￥19.80"]
            for _ in range(10):
                await _enter(pilot, "V001")
            assert _amounts(screen) == ["￥118.80"]
            assert "￥118.80" in screen_text(pilot)
            await _enter(pilot, "D001")
            await _enter(pilot, "N004")
            await pilot.press("f6")  # the last scanned: N004 goes
            await settle(pilot)
            assert [(x.sku, x.qty) for x in screen.cart] == [("V001", 12), ("D001", 1)]
            await pilot.press("up")  # now V001
            await pilot.press("f6")
            await settle(pilot)
            assert [(x.sku, x.qty) for x in screen.cart] == [("V001", 11), ("D001", 1)]

    run(body())


def test_the_add_on_tag_ends_with_its_customer(data_dir, codes, run):
    """Issue 9 #4: the tag goes after a completed sale, another customer's scan, or another
    clerk signing in."""
    first, second = codes["ready"][0], codes["ready"][1]

    async def open_sale(pilot) -> SaleScreen:
        await pilot.press("f10")
        await settle(pilot)
        screen = pilot.app.screen
        assert isinstance(screen, SaleScreen)
        return screen

    async def body():
        async with make_app(data_dir).run_test(size=(80, 24)) as pilot:
            assert (await scan(pilot, first["qr"])).kind == "ok"
            await press_and_wait(pilot, "f5", counter(pilot).handed_over)
            screen = await open_sale(pilot)
            assert screen.with_pickup_order_no == first["order_no"]
            await _enter(pilot, "V001")
            await pilot.press("f5")  # completed: the add-on is used up
            await settle(pilot)
            assert (await open_sale(pilot)).with_pickup_order_no is None
            await pilot.press("escape")
            await settle(pilot)
            # hand over the second order, then another customer's code is scanned
            assert (await scan(pilot, second["qr"])).kind == "ok"
            await press_and_wait(pilot, "f5", counter(pilot).handed_over)
            assert (await scan(pilot, codes["ready"][2]["qr"])).kind == "ok"
            assert (await open_sale(pilot)).with_pickup_order_no is None

    run(body())


def test_add_on_tracker_rules():
    from datetime import datetime, timedelta, timezone

    from edge.ui.addon import ADDON_WINDOW, AddonTracker

    now = datetime(2026, 12, 1, 10, tzinfo=timezone.utc)
    tracker = AddonTracker()
    tracker.handed_over("A1", "c01", now)
    assert tracker.current("c01", now + timedelta(minutes=1)) == "A1"
    assert tracker.current("c02", now + timedelta(minutes=1)) is None  # another clerk
    assert tracker.current("c01", now + ADDON_WINDOW) is None          # too late
    tracker.other_order_seen("A1")                                     # same order again: kept
    assert tracker.current("c01", now) == "A1"
    tracker.other_order_seen("B2")
    assert tracker.current("c01", now) is None
