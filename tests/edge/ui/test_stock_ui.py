"""The stock screen (ctrl+t) driven like a person: the figures, receiving a transfer by
scanning its cartons and products, a clerk refused a manager's action, a manager adjusting
and counting."""

from __future__ import annotations

import asyncio
from datetime import date

from textual.widgets import Input, Static

from edge import config
from edge.db import write_tx
from edge.domain import outbox, stock, transfers
from edge.ui.devices_link import DeviceLink
from edge.ui.screens.counter import CounterScreen
from edge.ui.screens.stock import StockScreen
from edge.ui.screens.stock.dialog import StockActionScreen
from tests.support.edge_store import ALLOTMENT, NOW, dump
from tests.support.ui_pilot import make_app, scanner_burst, screen_text, settle

TRANSFER = "TR-20260601-07"
LINES = [{"sku": "B001", "lot": "T7A", "qty": 3, "expiry": "2026-06-09"},
         {"sku": "D001", "lot": "T7B", "qty": 2, "expiry": "2026-06-07"}]


async def _type(pilot, text: str) -> None:
    for char in text:
        await pilot.press(char)
    await pilot.press("enter")
    await settle(pilot)


async def _open_stock(pilot) -> StockScreen:
    await pilot.press("ctrl+t")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, StockScreen)
    return screen


def _message(screen: StockScreen) -> str:
    return str(screen.query_one("#stock-message", Static).content)


def test_ctrl_t_shows_each_account_per_sku_and_lot_and_flags_negative_stock(store):
    with write_tx(store.db):  # more M001 left than the books held
        stock.take_fefo(store.db, sku="M001", qty=53, kind="sale", actor="c01", at=NOW)

    async def body():
        async with make_app(store.data_dir, lang="en").run_test(size=(80, 24)) as pilot:
            await _open_stock(pilot)
            text = screen_text(pilot)
            assert "Stock: 3 products, 1 negative (count them)" in text
            lines = [line.split() for line in text.splitlines() if line.strip()]
            at = next(i for i, words in enumerate(lines) if words[0] == "B001")
            assert lines[at][-4:] == ["50", str(ALLOTMENT), "0", str(50 - ALLOTMENT)]
            assert lines[at + 1] == ["L-early", "06-03", "20"]  # first-expiring lot first
            rows = {words[0]: words[1:] for words in lines}
            assert rows["M001"][-5:] == ["-3", str(ALLOTMENT), "0", str(-3 - ALLOTMENT), "negative"]
            await pilot.press("f6")  # near expiry, with the markdown rule
            await settle(pilot)
            assert "Markdown: chilled 50% off" in screen_text(pilot)
            await pilot.press("escape")
            await settle(pilot)
            assert isinstance(pilot.app.screen, CounterScreen)

    asyncio.run(body())


def test_a_transfer_is_received_by_scanning_its_cartons_and_products(store):
    transfers.announce(store.db, TRANSFER, LINES)
    before = stock.levels(store.db, "B001"), stock.levels(store.db, "D001")

    async def body():
        async with make_app(store.data_dir, lang="en").run_test(size=(80, 24)) as pilot:  # c01
            screen = await _open_stock(pilot)
            assert TRANSFER in screen_text(pilot)  # waiting to be received
            await _type(pilot, f"{TRANSFER}/1")       # the B001 carton
            await _type(pilot, "d001")                # D001 one unit at a time, by SKU
            unchanged = dump(store.db)
            await _type(pilot, "M001")                # not in this transfer: said, not ticked
            assert "M001 is not in transfer" in _message(screen)
            await _type(pilot, "%%garbage")           # not a carton, not a product
            assert "Not a transfer carton or a product" in _message(screen)
            await _type(pilot, f"{TRANSFER}/9")       # no such carton
            assert "has no carton 9" in _message(screen)
            assert dump(store.db) == unchanged        # checking writes nothing
            assert screen.check is not None and screen.check.lines_short == 1
            await _type(pilot, "D001")
            assert screen.check.complete
            await pilot.press("f5")
            await settle(pilot)
            assert screen.check is None and f"Received transfer {TRANSFER}" in _message(screen)
            await _type(pilot, TRANSFER)              # again: already received, says when
            assert "already received" in _message(screen)

    asyncio.run(body())
    received = transfers.get(store.db, TRANSFER)
    assert received.status == "received" and received.received_by == "c01"
    assert stock.levels(store.db, "B001").on_hand == before[0].on_hand + 3
    assert stock.levels(store.db, "D001").on_hand == before[1].on_hand + 2


def test_a_scanners_code_lands_in_the_open_stock_screen_not_at_the_counter(store):
    transfers.announce(store.db, TRANSFER, LINES)
    cfg = config.Config(data_dir=store.data_dir, devices={"scanners": [{"kind": "wedge"}]})

    async def body():
        app = make_app(store.data_dir, lang="en")
        app.devices = DeviceLink(app, cfg)
        async with app.run_test(size=(80, 24)) as pilot:
            app.devices.start()
            screen = await _open_stock(pilot)
            screen.query_one("#stock-table").focus()  # not typing anywhere: only routing helps
            scanner_burst(app, TRANSFER)  # a carton label without a line: the whole transfer
            await settle(pilot)
            assert app.screen is screen and screen.check is not None and screen.check.complete
            assert screen.query_one("#stock-scan", Input).value == ""
            app.devices.stop()

    asyncio.run(body())


def test_a_clerk_sees_the_figures_but_is_refused_an_adjustment(store):
    before = dump(store.db)

    async def body():
        async with make_app(store.data_dir, lang="zh-CN").run_test(size=(80, 24)) as pilot:  # c01
            screen = await _open_stock(pilot)
            for key in ("ctrl+r", "ctrl+n", "ctrl+g", "ctrl+b"):
                await pilot.press(key)
                await settle(pilot)
                assert isinstance(pilot.app.screen, StockScreen)  # no dialog opened
                assert "只有店长能" in _message(screen)

    asyncio.run(body())
    assert dump(store.db) == before


def test_a_manager_adjusts_a_lot_with_a_reason_and_counts(store):
    async def body():
        app = make_app(store.data_dir, lang="en", demo=False, clerk_id="m01")
        async with app.run_test(size=(80, 24)) as pilot:
            screen = await _open_stock(pilot)
            await pilot.press("tab")                 # from the scan field to the table
            await pilot.press("down")                # B001's first-expiring lot, L-early
            await pilot.press("ctrl+r")
            await settle(pilot)
            dialog = pilot.app.screen
            assert isinstance(dialog, StockActionScreen) and dialog.target.lot == "L-early"
            unchanged = dump(store.db)
            await _type(pilot, "-")                  # not a number
            assert "whole number" in str(dialog.query_one("#stock-error", Static).content)
            await pilot.press("backspace")
            await _type(pilot, "0")                  # refused by the domain, shown in the dialog
            assert "Invalid quantity" in str(dialog.query_one("#stock-error", Static).content)
            assert dump(store.db) == unchanged
            await pilot.press("backspace", "-", "5")
            for key in ("tab", "enter", "down", "enter"):  # the reason: damaged → expired
                await pilot.press(key)
                await settle(pilot)
            assert dialog.query_one("#stock-qty", Input).has_focus  # a reason chosen: back here
            await pilot.press("enter")
            await settle(pilot)
            assert pilot.app.screen is screen and "B001 adjusted" in _message(screen)

            await pilot.press("up")                  # B001 itself
            await pilot.press("ctrl+n")
            await settle(pilot)
            assert isinstance(pilot.app.screen, StockActionScreen)
            await _type(pilot, "20")                 # 45 on the books, 20 on the shelf
            assert pilot.app.screen is screen and "online 20" in _message(screen)

    asyncio.run(body())
    moves = store.db.execute("SELECT lot, qty, reason, actor FROM stock_moves WHERE kind = 'adjustment'"
                             ).fetchall()
    assert moves == [("L-early", -5, "expired", "m01")]
    lv = stock.levels(store.db, "B001")
    assert (lv.on_hand, lv.allotment) == (20, 20)  # the count took 10 back from HQ
    revoked = [e["payload"]["qty"] for e in outbox.events(store.db, limit=10_000)
               if e["type"] == "allotment.revoked"]
    assert revoked == [10]


def test_a_transfer_announced_while_the_screen_is_open_shows_up_and_the_cursor_stays(store):
    async def body():
        async with make_app(store.data_dir, lang="en").run_test(size=(80, 24)) as pilot:
            screen = await _open_stock(pilot)
            table = screen.query_one("#stock-table")
            table.focus()
            for _ in range(3):
                await pilot.press("down")
            assert TRANSFER not in screen_text(pilot)
            transfers.announce(store.db, TRANSFER, LINES)  # as a sync would, on its own connection
            deadline = asyncio.get_running_loop().time() + 15  # a hang guard, not a timing test
            while TRANSFER not in screen_text(pilot):
                assert asyncio.get_running_loop().time() < deadline, "the new transfer never showed"
                await pilot.pause(0.1)
            assert table.cursor_row == 3

    asyncio.run(body())


def test_an_expired_lot_is_booked_out_from_the_near_expiry_list(store):
    async def body():
        app = make_app(store.data_dir, lang="en", demo=False, clerk_id="m01")
        async with app.run_test(size=(80, 24)) as pilot:
            screen = StockScreen(today=date(2026, 6, 4))  # B001 L-early expired yesterday
            app.open_page(screen)
            await settle(pilot)
            await pilot.press("f6")
            await settle(pilot)
            assert "1 d ago" in screen_text(pilot)
            await pilot.press("ctrl+r")
            await settle(pilot)
            dialog = pilot.app.screen
            assert isinstance(dialog, StockActionScreen)
            assert dialog.query_one("#stock-qty", Input).value == "-20"
            await pilot.press("enter")
            await settle(pilot)
            assert pilot.app.screen is screen

    asyncio.run(body())
    assert store.db.execute("SELECT lot, qty, reason FROM stock_moves WHERE kind = 'adjustment'"
                            ).fetchall() == [("L-early", -20, "expired")]
