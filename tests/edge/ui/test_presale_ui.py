"""Pre-sale at 80x24 by keys (issue 11): the stock screen shows the pre-sale pool apart (ctrl+s),
a transfer checked in short is received as checked and the pre-sale orders go to the task
board in order of purchase, the rest stay on the board's own "waiting" tab."""

from __future__ import annotations

import asyncio

from textual.widgets import Static

from edge.domain import hq_orders, presale, stock, transfers
from edge.ui.screens.backroom.board import TaskBoardScreen
from edge.ui.screens.stock import StockScreen
from tests.support.edge_store import order_data
from tests.support.ui_pilot import make_app, screen_text, settle

TRANSFER = "T-PRESALE"


def _presold(store) -> None:
    transfers.announce(store.db, TRANSFER, [{"sku": "B001", "lot": "PS1", "expiry": "2099-01-01",
                                             "qty": 6, "presale": 4}])
    for no in ("PS-0001", "PS-0002"):
        hq_orders.upsert_order(store, {**order_data(no, lines=[("B001", 2)]), "presale": True,
                                       "payment_status": "paid", "fulfilment": "pickup", "version": 1})


async def _type(pilot, text: str) -> None:
    for char in text:
        await pilot.press(char)
    await pilot.press("enter")
    await settle(pilot)


def test_pre_sale_pool_short_receipt_and_waiting_tab(store):
    _presold(store)
    sellable = stock.levels(store.db, "B001").sellable

    async def body():
        async with make_app(store.data_dir, lang="en").run_test(size=(80, 24)) as pilot:
            await pilot.press("f12")
            await settle(pilot)
            board = pilot.app.screen
            assert isinstance(board, TaskBoardScreen)
            assert not {"PS-0001", "PS-0002"} & {r.order_no for r in board.shown}
            assert "waiting 2" in screen_text(pilot)  # its tab counts them
            await pilot.press("s", "s", "s", "s", "s")  # status: waiting
            assert [r.order_no for r in board.shown] == ["PS-0001", "PS-0002"]
            await pilot.press("escape")
            await settle(pilot)

            await pilot.press("ctrl+t")
            await settle(pilot)
            screen = pilot.app.screen
            assert isinstance(screen, StockScreen)
            assert "pre-sale: 2 orders wait (ctrl+s)" in screen_text(pilot)
            await pilot.press("ctrl+s")
            await settle(pilot)
            row = next(line.split() for line in screen_text(pilot).splitlines() if "B001" in line)
            assert "2" in row and "ord" in row  # two orders wait
            await pilot.press("ctrl+f")  # ending a pre-sale is a manager's: c01 is told so
            await settle(pilot)
            assert "Manager only: end a pre-sale" in str(screen.query_one("#stock-message", Static).content)
            await _type(pilot, TRANSFER + "/9")  # starts checking it in (no such carton)
            for _ in range(3):  # 3 of the 6 units came
                await _type(pilot, "B001")
            assert screen.check is not None and screen.check.done(screen.check.transfer.lines[0]) == 3
            await pilot.press("f5")
            await settle(pilot)
            assert "3/6" in screen_text(pilot)  # the question says what will be booked
            await pilot.press("y")
            await settle(pilot)
            message = str(screen.query_one("#stock-message", Static).content)
            assert "1 orders still wait" in message

    asyncio.run(body())
    assert transfers.get(store.db, TRANSFER).lines[0].received_qty == 3
    assert [o.order_no for o in presale.waiting_orders(store.db)] == ["PS-0002"]
    assert stock.levels(store.db, "B001").sellable == sellable  # the shelf untouched
