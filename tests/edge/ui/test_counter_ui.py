"""The counter driven through Textual's pilot on a real seeded SQLite store.

Codes are typed as a USB scanner types (a burst of key events, Enter last) and as a person
types (one key at a time); verdicts are read from what the screen shows, hand-overs from the
database (status, audit, outbox).
"""

from __future__ import annotations

import asyncio
import json

from textual.widgets import Input

from edge.domain import orders
from edge.i18n import t
from edge.ui.screens.override import OverrideScreen
from sync.pickup_code import format_code, qr_payload
from tests.support.ui_pilot import (banner, counter, make_app, open_store, press_and_wait, scan,
                                    screen_text, settle, type_slowly)


def _db_state(data_dir, order_no):
    store = open_store(data_dir)
    try:
        order = orders.get_order(store.db, order_no)
        audits = store.db.execute("SELECT actor, action, detail FROM audit WHERE entity = ?"
                                  " ORDER BY rowid", [f"order:{order_no}"]).fetchall()
        events = store.db.execute("SELECT type, payload FROM outbox WHERE entity = ? ORDER BY seq",
                                  [f"order:{order_no}"]).fetchall()
        total_events = store.db.execute("SELECT COUNT(*) FROM outbox").fetchone()[0]
        return order, audits, events, total_events
    finally:
        store.close()


def test_scanner_burst_qr_then_hand_over_with_one_key(data_dir, codes, run):
    ready = codes["ready"][0]

    async def body():
        app = make_app(data_dir)
        async with app.run_test(size=(80, 24)) as pilot:
            verdict = await scan(pilot, ready["qr"])
            assert verdict.kind == "ok"
            assert banner(pilot).startswith(t("verdict.ok", "zh-CN"))
            assert ready["order_no"] in screen_text(pilot)
            done = await press_and_wait(pilot, "f5", counter(pilot).handed_over)
            assert done.status == "picked_up"
            assert t("ui.counter.handed_over", "zh-CN", order_no=ready["order_no"]) in banner(pilot)
            scan_field = pilot.app.screen.query_one("#scan", Input)
            assert scan_field.value == "" and scan_field.has_focus

    run(body())
    order, audits, events, _ = _db_state(data_dir, ready["order_no"])
    assert order.status == "picked_up" and order.picked_up_by == "c01"
    assert order.verify_ms is not None and order.verify_ms >= 0
    assert ("c01", "order.picked_up") in [(a[0], a[1]) for a in audits]
    handed = [json.loads(p) for typ, p in events if typ == "order.handed_over"]
    assert len(handed) == 1 and handed[0]["clerk_id"] == "c01" and handed[0]["status"] == "picked_up"


def test_human_typing_plain_code_with_spaces_and_dashes(data_dir, codes, run):
    ready = codes["ready"][1]
    typed = format_code(ready["code"]).replace(" ", "-", 1)  # "1234-5678 901"

    async def body():
        async with make_app(data_dir).run_test(size=(80, 24)) as pilot:
            verdict = await type_slowly(pilot, typed)
            assert verdict.kind == "ok" and verdict.order.order_no == ready["order_no"]
            assert banner(pilot).startswith(t("verdict.ok", "zh-CN"))

    run(body())


def _mistype(code: str) -> str:
    last = (int(code[-1]) + 1) % 10
    return code[:-1] + str(last)


def test_every_refusal_verdict_is_shown_and_changes_nothing(data_dir, codes, run):
    from sync.pickup_code import damm_check_digit

    body_digits = "1234567890"
    unknown = body_digits + damm_check_digit(body_digits)
    picked = codes["picked_up"][0]
    cases = [
        (unknown, "unknown", t("verdict.unknown", "zh-CN")),
        (_mistype(codes["ready"][0]["code"]), "mistyped", t("verdict.mistyped", "zh-CN")),
        ("12345", "malformed", t("why.too_short", "zh-CN")),
        ("12a45x78901", "malformed", t("why.not_digits", "zh-CN")),
        ("#" * 70, "malformed", t("why.garbage", "zh-CN")),
        (qr_payload("S002", codes["ready"][0]["code"]), "other_store", "徐汇滨江店"),
        (codes["other_store"][0]["code"], "other_store", "（S00"),
        (picked["code"], "picked_up", "已取货："),
        (codes["cancelled"][0]["code"], "cancelled", t("verdict.cancelled", "zh-CN", reason="").strip()),
        (codes["preparing"][0]["code"], "not_ready", "未备齐："),
        (codes["returned"][0]["code"], "returned", t("verdict.returned", "zh-CN")),
        (codes["before_window"][0]["code"], "before_window", "未到取货时间"),
        (codes["overdue"][0]["code"], "overdue", "已超过取货时间"),
    ]
    before = _db_state(data_dir, picked["order_no"])[3]

    async def body():
        async with make_app(data_dir).run_test(size=(80, 24)) as pilot:
            for entry, kind, shown in cases:
                verdict = await scan(pilot, entry)
                assert verdict.kind == kind, (entry, verdict)
                assert shown in banner(pilot), (entry, banner(pilot))
                assert shown in screen_text(pilot), entry
                await pilot.press("f5")  # never hands these over without a manager
                await settle(pilot)
                if isinstance(pilot.app.screen, OverrideScreen):
                    await pilot.press("escape")
                    await settle(pilot)
                assert pilot.app.screen.query_one("#scan", Input).has_focus
            await pilot.press("escape")
            await settle(pilot)
            assert banner(pilot) == t("ui.counter.empty_title", "zh-CN")

    run(body())
    assert _db_state(data_dir, picked["order_no"])[3] == before  # no outbox event at all


def test_overdue_needs_manager_pin_and_reason_and_is_audited(data_dir, codes, run):
    overdue = codes["overdue"][0]

    async def body():
        async with make_app(data_dir).run_test(size=(80, 24)) as pilot:
            assert (await scan(pilot, overdue["code"])).kind == "overdue"
            await pilot.press("f5")
            await settle(pilot)
            modal = pilot.app.screen
            assert isinstance(modal, OverrideScreen)

            async def attempt(manager, pin, reason):
                for wid, value in (("#override-manager", manager), ("#override-pin", pin),
                                   ("#override-reason", reason)):
                    modal.query_one(wid, Input).value = value
                await pilot.press("f5")
                await settle(pilot)

            await attempt("m01", "0000", "customer late")
            assert pilot.app.screen is modal
            assert t("auth.failed", "zh-CN") in str(modal.query_one("#override-error").content)
            await attempt("c02", "2222", "customer late")
            assert t("auth.not_manager", "zh-CN", clerk_id="c02") in str(
                modal.query_one("#override-error").content)
            await attempt("m01", "9999", "  ")
            assert t("override.no_reason", "zh-CN") in str(modal.query_one("#override-error").content)
            assert _db_state(data_dir, overdue["order_no"])[0].status == "overdue"  # nothing yet
            await attempt("m01", "9999", "顾客堵车，店长同意")
            assert not isinstance(pilot.app.screen, OverrideScreen)
            assert overdue["order_no"] in banner(pilot) and banner(pilot).startswith("✔")
            assert pilot.app.screen.query_one("#scan", Input).has_focus

    run(body())
    order, audits, events, _ = _db_state(data_dir, overdue["order_no"])
    assert order.status == "picked_up"
    override = [a for a in audits if a[1] == "override.hand_over"]
    assert len(override) == 1 and override[0][0] == "m01"
    assert json.loads(override[0][2])["reason"] == "顾客堵车，店长同意"
    payload = json.loads([p for typ, p in events if typ == "order.handed_over"][0])
    assert payload["override"]["manager_id"] == "m01"


def test_refused_hand_over_changes_nothing_and_says_why(data_dir, codes, run):
    not_ready = codes["preparing"][0]

    async def body():
        async with make_app(data_dir).run_test(size=(80, 24)) as pilot:
            assert (await scan(pilot, not_ready["code"])).kind == "not_ready"
            bells = []
            pilot.app.bell = lambda: bells.append(1)  # type: ignore[method-assign]
            await pilot.press("f5")
            await settle(pilot)
            assert bells, "a refused hand-over rings the bell"
            assert pilot.app.screen.query_one("#scan", Input).has_focus

    run(body())
    assert _db_state(data_dir, not_ready["order_no"])[0].status == not_ready["status"]


def test_phone_last4_lists_orders_to_choose_from(data_dir, codes, run):
    ready = codes["ready"][2]
    store = open_store(data_dir)
    order = orders.get_order(store.db, ready["order_no"])
    store.close()

    async def body():
        async with make_app(data_dir).run_test(size=(80, 24)) as pilot:
            verdict = await type_slowly(pilot, order.customer_masked[0] + order.phone_last4)
            assert verdict.kind == "matches"
            assert ready["order_no"] in screen_text(pilot)
            index = [m.order_no for m in verdict.matches].index(ready["order_no"])
            for _ in range(index + 1):
                await pilot.press("down")
            await pilot.press("up")
            chosen = await press_and_wait(pilot, "enter", counter(pilot).verdict_shown)
            assert chosen.kind == "ok" and chosen.order.order_no == ready["order_no"]
            # digits first, name character after, also works
            verdict = await scan(pilot, order.phone_last4 + order.customer_masked[0])
            assert ready["order_no"] in [m.order_no for m in verdict.matches]
            nobody = await scan(pilot, "王" + "9999" if order.phone_last4 != "9999" else "王8888")
            assert nobody.kind in ("no_match", "matches")

    run(body())


def test_partial_pickup_marks_lines_not_taken(data_dir, codes, run):
    store = open_store(data_dir)
    target = next(c for c in codes["ready"]
                  if len(orders.get_order(store.db, c["order_no"]).lines) >= 2)
    store.close()

    async def body():
        async with make_app(data_dir).run_test(size=(80, 24)) as pilot:
            verdict = await scan(pilot, target["code"])
            assert verdict.kind == "ok"
            line = verdict.order.lines[0]
            await pilot.press("f6")
            await settle(pilot)
            modal = pilot.app.screen
            await pilot.press("f5")  # nothing marked yet: refused in the modal
            await settle(pilot)
            assert pilot.app.screen is modal
            await pilot.press(*str(line.qty + 1))
            await pilot.press("f5")
            assert pilot.app.screen is modal  # more than ordered
            modal.query_one(f"#partial-qty-{line.line_no}", Input).value = "1"
            modal.query_one(f"#partial-reason-{line.line_no}").value = "refused"
            done = await press_and_wait(pilot, "f5", counter(pilot).handed_over)
            assert done.status == "partially_picked_up"
            assert "✔" in banner(pilot)

    run(body())
    order, _audits, events, _ = _db_state(data_dir, target["order_no"])
    assert order.status == "partially_picked_up"
    assert (order.lines[0].qty_not_taken, order.lines[0].not_taken_reason) == (1, "refused")
    payload = json.loads([p for typ, p in events if typ == "order.handed_over"][0])
    assert payload["lines_not_taken"] == [{"line_no": order.lines[0].line_no, "qty": 1,
                                          "reason": "refused"}]


def test_two_scans_back_to_back_keep_the_second_code_whole(data_dir, codes, run):
    """Keys of the next scan can arrive before the first verdict: the field must not eat them."""
    from tests.support.keys import expect, scanner_burst

    first, second = codes["ready"][3], codes["ready"][4]

    async def body():
        async with make_app(data_dir).run_test(size=(80, 24)) as pilot:
            app = pilot.app
            scanner_burst(app, first["qr"])
            scanner_burst(app, second["code"])  # queued right behind, no waiting
            for _ in range(3):
                verdict = await asyncio.wait_for(expect(app, counter(pilot).verdict_shown), 15)
                if verdict.order and verdict.order.order_no == second["order_no"]:
                    break
            assert verdict.kind == "ok" and verdict.order.order_no == second["order_no"]
            await settle(pilot)
            assert counter(pilot).verdict.order.order_no == second["order_no"]

    run(body())


def test_pressing_hand_over_twice_hands_over_once(data_dir, codes, run):
    ready = codes["ready"][5]

    async def body():
        async with make_app(data_dir).run_test(size=(80, 24)) as pilot:
            assert (await scan(pilot, ready["code"])).kind == "ok"
            await pilot.press("f5", "f5")
            await settle(pilot)
            assert banner(pilot).startswith("✔")

    run(body())
    order, _audits, events, _ = _db_state(data_dir, ready["order_no"])
    assert order.status == "picked_up"
    assert [typ for typ, _p in events].count("order.handed_over") == 1
