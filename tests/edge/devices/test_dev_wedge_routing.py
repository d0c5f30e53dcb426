"""A keyboard-wedge scan while another screen is open goes to the counter, not into that screen.

The app here is StoreEdgeApp with a DeviceLink; if the app does not route its key events
through it yet (hook-up), the test adds that one line itself, so it tests the routing either way.
"""
from __future__ import annotations

import asyncio
from datetime import timedelta

from textual import events
from textual.widgets import Input

from edge import config
from edge.clock import utcnow
from edge.ui.devices_link import DeviceLink
from tests.support.keys import expect, scanner_burst
from edge.ui.screens.devices.ack_alarm import AckAlarmScreen
from edge.ui.screens.devices.temperatures import TemperatureScreen
from sync.pickup_code import qr_payload
from tests.support.ui_pilot import counter, make_app, settle

HANG_GUARD_S = 15.0


class LinkedApp:
    """Build a StoreEdgeApp whose key events pass through a DeviceLink first."""

    @staticmethod
    def make(data_dir, cfg):
        app = make_app(data_dir, lang="en")
        app.devices = DeviceLink(app, cfg)
        if "on_event" in type(app).__dict__:  # the app is hooked up already
            return app
        original = app.on_event

        async def on_event(event: events.Event) -> None:
            if isinstance(event, events.Key) and app.devices.on_key(event):
                return
            await original(event)

        app.on_event = on_event  # type: ignore[method-assign]
        return app


def test_wedge_scan_on_another_screen_goes_to_the_counter(store, make_order):
    now = utcnow()  # the app judges by the wall clock
    _, code = make_order("W1", window_start=now - timedelta(hours=1), window_end=now + timedelta(hours=5))
    cfg = config.Config(data_dir=store.data_dir, devices={"scanners": [{"kind": "wedge"}]})
    qr = qr_payload("S001", code)

    async def body() -> None:
        app = LinkedApp.make(store.data_dir, cfg)
        async with app.run_test(size=(80, 24)) as pilot:
            app.devices.start()
            app.push_screen(TemperatureScreen())
            await settle(pilot)
            shown = expect(app, counter(pilot).verdict_shown)
            scanner_burst(app, qr)
            verdict = await asyncio.wait_for(shown, HANG_GUARD_S)
            assert verdict.kind == "ok" and verdict.order.order_no == "W1"
            await settle(pilot)
            assert app.screen is counter(pilot)  # the fridge screen made way

            # a dialog being filled in stays open, and the scan does not land in its field
            app.push_screen(AckAlarmScreen(1, "test alarm"))
            await settle(pilot)
            field = app.screen.query_one("#ack-manager", Input)
            assert field.has_focus
            scanner_burst(app, qr)
            await settle(pilot)
            assert isinstance(app.screen, AckAlarmScreen) and field.value == ""
            # … and waits at the counter as "next" (issue 9 #2: no swap under a dialog)
            assert counter(pilot).next_entry is not None
            assert counter(pilot).next_entry.raw == qr
            app.devices.stop()

    asyncio.run(body())
