"""A device read never swaps the order under the clerk's hands (issue 9 #2).

The camera and serial scanners reach the counter through ``CounterScreen.offer`` — the same
call the device link makes from its delivery of a ScanEvent.
"""

from __future__ import annotations

import asyncio

from textual.widgets import Label

from tests.support.keys import expect
from edge.ui.screens.override import OverrideScreen
from tests.support.ui_pilot import HANG_GUARD_S, counter, make_app, scan, settle


async def _wait_verdict(pilot, fn) -> object:
    shown = expect(pilot.app, counter(pilot).verdict_shown)
    fn()
    verdict = await asyncio.wait_for(shown, HANG_GUARD_S)
    await pilot.pause()
    return verdict


def _next_label(pilot) -> Label:
    return counter(pilot).query_one("#next-entry", Label)


def test_camera_read_after_own_scan_waits_as_next(data_dir, codes, run):
    mine, other = codes["ready"][0], codes["ready"][1]

    async def body_keys():
        app = make_app(data_dir)
        async with app.run_test(size=(80, 24)) as pilot:
            first = await scan(pilot, mine["qr"])
            assert first.order.order_no == mine["order_no"]
            counter(pilot).offer(other["qr"], own=False)  # the camera sees another customer's QR
            await settle(pilot)
            assert counter(pilot).verdict.order.order_no == mine["order_no"]
            assert _next_label(pilot).display
            assert other["code"][-4:] in str(_next_label(pilot).content)
            shown = expect(pilot.app, counter(pilot).verdict_shown)
            await pilot.press("enter")
            verdict = await asyncio.wait_for(shown, HANG_GUARD_S)
            assert verdict.order.order_no == other["order_no"]
            await pilot.pause()
            assert not _next_label(pilot).display

    run(body_keys())


def test_any_read_while_a_dialog_is_open_waits(data_dir, codes, run):
    overdue, other = codes["overdue"][0], codes["ready"][0]

    async def body():
        app = make_app(data_dir)
        async with app.run_test(size=(80, 24)) as pilot:
            verdict = await scan(pilot, overdue["qr"])
            assert verdict.needs_override
            await pilot.press("f5")
            await settle(pilot)
            assert isinstance(app.screen, OverrideScreen)
            counter(pilot).offer(other["qr"], own=True)  # even the clerk's hand-held scanner
            await settle(pilot)
            assert isinstance(app.screen, OverrideScreen)
            assert counter(pilot).verdict.order.order_no == overdue["order_no"]
            assert counter(pilot).next_entry is not None

    run(body())


def test_without_an_order_in_hand_a_device_read_shows_at_once(data_dir, codes, run):
    ready = codes["ready"][0]

    async def body():
        app = make_app(data_dir)
        async with app.run_test(size=(80, 24)) as pilot:
            verdict = await _wait_verdict(pilot, lambda: counter(pilot).offer(ready["qr"], own=False))
            assert verdict.order.order_no == ready["order_no"]
            assert counter(pilot).next_entry is None

    run(body())
