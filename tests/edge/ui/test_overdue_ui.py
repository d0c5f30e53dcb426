"""Overdue pickups (ctrl+o) driven by keys: remind, a clerk's PIN refused for a return, the
manager returns the order and its stock is back."""

from __future__ import annotations

import asyncio

from edge.domain import orders, overdue, stock
from edge.i18n import t
from tests.support.keys import expect
from edge.ui.screens.backroom.overdue import OverdueScreen, ReturnScreen
from tests.support.ui_pilot import HANG_GUARD_S, make_app, open_store, screen_text, settle


async def _type(pilot, text: str) -> None:
    for char in text:
        await pilot.press(char)


def _overdue(data_dir) -> list[overdue.OverdueOrder]:
    store = open_store(data_dir)
    try:
        return overdue.overdue_orders(store.db)
    finally:
        store.close()


def test_remind_then_return_an_overdue_order_and_see_its_stock_back(data_dir, run):
    first = _overdue(data_dir)[0]
    store = open_store(data_dir)
    order = orders.get_order(store.db, first.order_no)
    before = {line.sku: stock.levels(store.db, line.sku).sellable for line in order.lines}
    qty = {line.sku: 0 for line in order.lines}
    for line in order.lines:
        qty[line.sku] += line.qty
    store.close()

    async def body():
        async with make_app(data_dir).run_test(size=(80, 24)) as pilot:  # clerk c01 signed in
            await pilot.press("ctrl+o")
            await settle(pilot)
            screen = pilot.app.screen
            assert isinstance(screen, OverdueScreen)
            assert first.order_no in screen_text(pilot)
            assert f"尾号{first.phone_last4}" in screen_text(pilot)  # contact masked
            listed = expect(pilot.app, screen.listed)
            await pilot.press("r")
            await asyncio.wait_for(listed, HANG_GUARD_S)
            await settle(pilot)
            assert t("ui.overdue.reminded", "zh-CN", order_no=first.order_no) in screen_text(pilot)

            await pilot.press("x")
            await settle(pilot)
            assert isinstance(pilot.app.screen, ReturnScreen)
            await _type(pilot, "c01")  # a clerk cannot return goods to stock
            await pilot.press("enter")
            await _type(pilot, "1111")
            await pilot.press("enter")
            await settle(pilot)
            assert isinstance(pilot.app.screen, ReturnScreen)
            assert t("auth.not_manager", "zh-CN", clerk_id="c01") in screen_text(pilot)
            manager = pilot.app.screen.query_one("#return-manager")
            manager.value = ""
            manager.focus()
            await _type(pilot, "m01")
            await pilot.press("enter")
            await _type(pilot, "9999")
            listed = expect(pilot.app, screen.listed)
            await pilot.press("enter")
            await asyncio.wait_for(listed, HANG_GUARD_S)
            await settle(pilot)
            assert pilot.app.screen is screen
            assert first.order_no not in [r.order_no for r in screen.rows]
            assert t("ui.overdue.returned", "zh-CN", order_no=first.order_no) in screen_text(pilot)

    run(body())
    store = open_store(data_dir)
    try:
        assert orders.get_order(store.db, first.order_no).status == "returned"
        for sku, was in before.items():
            assert stock.levels(store.db, sku).sellable == was + qty[sku]
        actions = [r[0] for r in store.db.execute(
            "SELECT action || ':' || actor FROM audit WHERE entity = ? ORDER BY id",
            [f"order:{first.order_no}"])]
        assert "order.reminder_sent:c01" in actions and "order.returned:m01" in actions
    finally:
        store.close()


def test_extend_by_keys_and_a_typo_changes_nothing(data_dir, run):
    first = _overdue(data_dir)[0]

    async def body():
        async with make_app(data_dir, lang="en").run_test(size=(80, 24)) as pilot:
            await pilot.press("ctrl+o")
            await settle(pilot)
            await pilot.press("e")
            await settle(pilot)
            field = pilot.app.screen.query_one("#extend-until")
            field.value = "tomorrow-ish"
            await pilot.press("enter")
            await settle(pilot)
            assert t("ui.overdue.bad_time", "en", value="tomorrow-ish") in screen_text(pilot)
            field.value = "2099-01-02 20:00"
            await pilot.press("enter")
            await settle(pilot)
            assert isinstance(pilot.app.screen, OverdueScreen)
            assert first.order_no not in [r.order_no for r in pilot.app.screen.rows]

    run(body())
    store = open_store(data_dir)
    try:
        order = orders.get_order(store.db, first.order_no)
        assert order.status in ("ready", "preparing") and order.window_end.year == 2099
    finally:
        store.close()


def test_the_running_app_marks_orders_overdue_by_itself(data_dir, run):
    from datetime import timedelta

    from edge.clock import utcnow
    from edge.config import Config
    from tests.support.edge_store import order_data

    store = open_store(data_dir)
    data = order_data("LATE-1", store_id=store.store_id, now=utcnow(),
                      window_start=utcnow() - timedelta(hours=3),
                      window_end=utcnow() - timedelta(minutes=1))
    data["lines"] = [{**data["lines"][0], "sku": "N001"}]
    orders.receive_order(store.db, store.pickup_key, data)
    store.close()

    def status() -> str:
        s = open_store(data_dir)
        try:
            return orders.get_order(s.db, "LATE-1").status
        finally:
            s.close()

    async def body():
        app = make_app(data_dir, demo=False, clerk_id="c01", cfg=Config(data_dir=data_dir))
        async with app.run_test(size=(80, 24)) as pilot:
            assert app.overdue_sweeper is not None
            for _ in range(400):  # nobody presses a key
                if status() == "overdue":
                    break
                await pilot.pause(0.05)
            assert status() == "overdue"

    run(body())
