"""The counter sale records how the customer paid (F4 changes it): day end totals by method."""

from __future__ import annotations

from edge.i18n import t
from edge.ui.screens.sale import SaleScreen
from tests.support.ui_pilot import make_app, open_store, screen_text, settle


def test_f4_chooses_the_payment_method_the_sale_records(data_dir, run):
    async def body():
        async with make_app(data_dir).run_test(size=(80, 24)) as pilot:
            await pilot.press("f10")
            await settle(pilot)
            assert isinstance(pilot.app.screen, SaleScreen)
            assert t("ui.sale.paid_by", "zh-CN", method="微信支付") in screen_text(pilot)
            await pilot.press("f4", "f4")  # WeChat Pay → Alipay → cash
            for char in "n001":
                await pilot.press(char)
            await pilot.press("enter")
            await settle(pilot)
            assert t("ui.sale.paid_by", "zh-CN", method="现金") in screen_text(pilot)
            await pilot.press("f5")
            await settle(pilot)
            assert not isinstance(pilot.app.screen, SaleScreen)

    run(body())
    store = open_store(data_dir)
    assert store.db.execute("SELECT payment_method FROM sales").fetchall() == [("cash",)]
    store.close()
