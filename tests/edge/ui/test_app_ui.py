"""The app around the counter: sign-in, language switch, 80×24, demo codes, status bar."""

from __future__ import annotations

from textual.widgets import DataTable, Input, Static

from edge.i18n import t
from edge.ui.screens.counter import CounterScreen
from edge.ui.screens.demo_codes import DemoCodesScreen
from edge.ui.screens.sign_in import SignInScreen
from edge.ui.sync_status import Notice
from tests.support.ui_pilot import (banner, counter, make_app, press_and_wait, scan, screen_text,
                                    settle)


async def _sign_in(pilot, clerk_id: str, pin: str) -> None:
    screen = pilot.app.screen
    screen.query_one("#sign-in-clerk", Input).value = clerk_id
    screen.query_one("#sign-in-clerk", Input).focus()
    await pilot.press("enter")
    for digit in pin:
        await pilot.press(digit)
    await pilot.press("enter")
    await settle(pilot)


def test_sign_in_wrong_then_right_pin(data_dir, run):
    async def body():
        async with make_app(data_dir, demo=False).run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            assert isinstance(pilot.app.screen, SignInScreen)
            assert pilot.app.clerk is None
            await pilot.press("escape")  # nobody signed in yet: cannot skip
            assert isinstance(pilot.app.screen, SignInScreen)
            await _sign_in(pilot, "c02", "1111")
            message = str(pilot.app.screen.query_one("#sign-in-message", Static).content)
            assert message == t("auth.failed", "zh-CN")
            pin = pilot.app.screen.query_one("#sign-in-pin", Input)
            assert pin.value == "" and pin.password
            await _sign_in(pilot, "c02", "2222")
            assert isinstance(pilot.app.screen, CounterScreen)
            assert pilot.app.clerk.clerk_id == "c02"
            assert "李强 c02" in screen_text(pilot)
            assert pilot.app.screen.query_one("#scan", Input).has_focus

    run(body())


def test_f2_signs_in_someone_else_and_esc_keeps_current(data_dir, run):
    async def body():
        async with make_app(data_dir).run_test(size=(80, 24)) as pilot:
            assert pilot.app.clerk.clerk_id == "c01"  # demo opens signed in as c01
            await pilot.press("f2")
            await settle(pilot)
            assert isinstance(pilot.app.screen, SignInScreen)
            await pilot.press("escape")
            await settle(pilot)
            assert isinstance(pilot.app.screen, CounterScreen) and pilot.app.clerk.clerk_id == "c01"
            await pilot.press("f2")
            await settle(pilot)
            await _sign_in(pilot, "c03", "3333")
            assert pilot.app.clerk.name == "Emily Chen"
            assert "Emily Chen c03" in screen_text(pilot)

    run(body())


def test_language_switch_rerenders_visible_text(data_dir, codes, run):
    ready = codes["ready"][0]

    async def body():
        async with make_app(data_dir).run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            text = screen_text(pilot)
            assert t("ui.counter.empty_title", "zh-CN") in text and "交付" in text
            await scan(pilot, ready["code"])
            await pilot.press("f9")
            await settle(pilot)
            assert pilot.app.lang == "en"
            text = screen_text(pilot)
            assert banner(pilot).startswith(t("verdict.ok", "en"))
            for word in ("Hand over", "Partial", "Order", "Items", "offline", "Jing'an Temple"):
                assert word in text, word
            assert "交付" not in text
            await pilot.press("f9")
            await settle(pilot)
            assert banner(pilot).startswith(t("verdict.ok", "zh-CN"))
            assert "静安寺店" in screen_text(pilot)

    run(body())


def test_counter_is_readable_at_80x24_in_both_languages(data_dir, codes, run):
    from edge.domain import orders
    from tests.support.ui_pilot import open_store

    store = open_store(data_dir)
    # the busiest card: most lines and bags
    target = max(codes["ready"], key=lambda c: len(orders.get_order(store.db, c["order_no"]).lines))
    order = orders.get_order(store.db, target["order_no"])
    store.close()

    async def body():
        async with make_app(data_dir).run_test(size=(80, 24)) as pilot:
            await scan(pilot, target["code"])
            for lang in ("zh-CN", "en"):
                if pilot.app.lang != lang:
                    await pilot.press("f9")
                    await settle(pilot)
                text = screen_text(pilot)
                lines = text.splitlines()
                assert len(lines) == 24
                assert t("verdict.ok", lang) in text
                assert order.order_no in text and order.phone_last4 in text
                for bag in order.bags:
                    assert bag.slot in text, (lang, bag.slot)
                for line in order.lines:
                    name = line.name_zh if lang == "zh-CN" else line.name_en
                    assert name in text, (lang, name)
                assert t("ui.key.hand_over", lang) in lines[-1]

    run(body())


def test_demo_codes_screen_puts_the_chosen_code_on_the_counter(data_dir, run):
    async def body():
        async with make_app(data_dir).run_test(size=(80, 24)) as pilot:
            await pilot.press("f3")
            await settle(pilot)
            screen = pilot.app.screen
            assert isinstance(screen, DemoCodesScreen)
            table = screen.query_one(DataTable)
            assert table.row_count == 300 and table.has_focus
            assert "m01" in str(screen.query_one("#demo-people", Static).content)
            await pilot.press("down", "down")
            chosen = screen.codes[2]
            verdict = await press_and_wait(pilot, "enter", counter(pilot).verdict_shown)
            assert isinstance(pilot.app.screen, CounterScreen)
            expected = chosen["order_no"] if chosen["scenario"] != "other_store" else None
            if expected:
                assert verdict.order.order_no == expected
            assert pilot.app.screen.query_one("#scan", Input).has_focus

    run(body())


def test_status_bar_shows_sync_state_pending_and_notices(data_dir, run):
    async def body():
        async with make_app(data_dir).run_test(size=(80, 24)) as pilot:
            app = pilot.app
            await settle(pilot)
            first_line = screen_text(pilot).splitlines()[0]
            assert "王芳 c01" in first_line and "S001 静安寺店" in first_line
            assert t("ui.status.offline", "zh-CN") in first_line
            assert app.sync_status.pending > 0  # the demo's events, not yet sent
            assert t("ui.status.pending", "zh-CN", pending=app.sync_status.pending) in first_line
            app.add_notice(Notice("打印机缺纸", source="printer"))
            app.add_notice(Notice("冷藏柜 F1 温度 7.2°C", level="error", source="probe:F1"))
            app.update_sync_status(online=True)
            await pilot.pause()
            first_line = screen_text(pilot).splitlines()[0]
            assert "冷藏柜 F1" in first_line  # the error outranks the warning
            assert t("ui.status.online", "zh-CN") in first_line
            app.remove_notices("probe:F1")
            await pilot.pause()
            assert "打印机缺纸" in screen_text(pilot).splitlines()[0]

    run(body())


def test_conflicts_screen_lists_them_and_only_a_manager_marks_them_dealt_with(data_dir, run):
    from edge.domain import conflicts
    from edge.ui.screens.confirm import ConfirmScreen
    from edge.ui.screens.conflicts import ConflictsScreen
    from tests.support.ui_pilot import open_store

    store = open_store(data_dir)
    conflicts.note(store.db, conflict_id="refund_due:X1", kind="refund_due", source="hq",
                   detail="line 2 not taken", order_no="X1")
    store.close()

    async def body(clerk_id: str, answer: str = "enter") -> int:
        async with make_app(data_dir, clerk_id=clerk_id).run_test(size=(80, 24)) as pilot:
            await pilot.press("f4")
            await settle(pilot)
            assert isinstance(pilot.app.screen, ConflictsScreen)
            assert "X1" in screen_text(pilot) and t("conflict.refund_due", "zh-CN") in screen_text(pilot)
            await pilot.press("f5")
            await settle(pilot)
            if clerk_id.startswith("m"):  # F5 asks first (issue 9 #5)
                assert isinstance(pilot.app.screen, ConfirmScreen)
                assert "X1" in screen_text(pilot)
                await pilot.press(answer)
                await settle(pilot)
            assert isinstance(pilot.app.screen, ConflictsScreen)
            return len(pilot.app.screen.rows)

    assert run(body("c01")) == 1  # a clerk cannot; nothing changed
    assert run(body("m01", "escape")) == 1  # a manager who says no: nothing changed
    assert run(body("m01")) == 0  # a manager who confirms
    store = open_store(data_dir)
    assert conflicts.open_count(store.db) == 0
    assert conflicts.open_conflicts(store.db) == []
    store.close()


def test_esc_from_a_page_goes_back_to_where_the_user_started(data_dir, run):
    """Issue 9 #5: F4 → F8 → Esc landed on F4. Pages opened by an app key replace each other,
    so Esc returns to the counter; a dialog pushed by a page still returns to that page."""
    from edge.ui.screens.conflicts import ConflictsScreen
    from edge.ui.screens.counter import CounterScreen
    from edge.ui.screens.dev_print_queue import PrintQueueScreen
    from edge.ui.screens.devices.temperatures import TemperatureScreen

    async def body():
        async with make_app(data_dir, clerk_id="m01").run_test(size=(80, 24)) as pilot:
            for keys, seen in ((("f4", "f8"), PrintQueueScreen), (("f8", "f7", "f4"), ConflictsScreen),
                               (("f7",), TemperatureScreen)):
                for key in keys:
                    await pilot.press(key)
                    await settle(pilot)
                assert isinstance(pilot.app.screen, seen)
                await pilot.press("escape")
                await settle(pilot)
                assert isinstance(pilot.app.screen, CounterScreen)
                assert len(pilot.app.screen_stack) == 2  # the default screen and the counter

    run(body())


def test_a_refund_conflict_reads_in_chinese_from_the_stores_own_records(data_dir, codes, run):
    """Issue 9 #6: HQ's detail "not taken: line 1 x1 refused" showed English in F4."""
    from edge.domain import conflicts, orders, pickup
    from edge.present import conflict_detail
    from tests.support.ui_pilot import open_store

    store = open_store(data_dir)
    order = next(o for o in (orders.get_order(store.db, c["order_no"]) for c in codes["ready"])
                 if len(o.lines) > 1)
    pickup.hand_over(store, order.order_no, "c01",
                     not_taken=[pickup.NotTaken(1, order.lines[0].qty, "refused")])
    conflicts.note(store.db, conflict_id=f"refund_due:{order.order_no}", kind="refund_due",
                   source="hq", detail="not taken: line 1 x1 refused", order_no=order.order_no)
    [conflict] = conflicts.open_conflicts(store.db)
    order = orders.get_order(store.db, order.order_no)
    store.close()
    zh = conflict_detail(conflict, order, "zh-CN")
    assert "拒收" in zh and "第 1 行" in zh and "not taken" not in zh
    assert "refused" in conflict_detail(conflict, order, "en")
