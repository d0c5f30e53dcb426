"""The real app with its devices (demo config, simulators): scan, hand over, receipt printed,
the alarm on every screen, F7 fridges, F8 print queue."""
from __future__ import annotations

import asyncio
from datetime import timedelta

from devices.printers import parse_escpos
from edge import config, demo
from edge.clock import utcnow
from edge.domain import print_jobs, temperatures
from edge.ui.app import StoreEdgeApp
from edge.ui.screens.dev_print_queue import PrintQueueScreen
from edge.ui.screens.devices.temperatures import TemperatureScreen
from tests.support.ui_pilot import counter, press_and_wait, scan, screen_text, settle, until


def _alarm_on_the_deli_fridge(store) -> None:
    now = utcnow()
    temperatures.configure_fridges(store, [temperatures.Fridge("F2", "熟食柜 Deli", "chilled", 4.0,
                                                               grace_s=60)], now=now)
    temperatures.record_reading(store, "old-1", "F2", 8.0, now - timedelta(minutes=3), now=now)
    temperatures.record_reading(store, "old-2", "F2", 8.5, now - timedelta(seconds=5), now=now)


def test_demo_app_hands_over_prints_and_shows_devices(tmp_path, wait_for):
    data_dir = tmp_path / "d"
    store = demo.seed(data_dir, n_orders=60)
    _alarm_on_the_deli_fridge(store)
    cfg = config.load(data_dir)
    ready = next(c for c in demo.demo_codes(store) if c["scenario"] == "ready")

    async def body() -> None:
        app = StoreEdgeApp(data_dir, lang="en", demo=True, cfg=cfg)
        async with app.run_test(size=(80, 24)) as pilot:
            assert app.devices is not None
            for sim in app.devices.hub.simulators.probes:
                sim.emit()
            verdict = await scan(pilot, ready["qr"])
            assert verdict.kind == "ok"
            done = await press_and_wait(pilot, "f5", counter(pilot).handed_over)
            assert done.status == "picked_up"
            [job] = print_jobs.jobs_for(store.db, ready["order_no"])
            wait_for(lambda: print_jobs.get_job(store.db, job.id).status == "printed")
            await settle(pilot)
            wait_for(lambda: app.devices.alarm_count == 1)
            # the status bar re-reads notices on its one-second timer: wait for it to show
            await until(pilot, lambda: app.top_notice() is not None
                        and app.top_notice().source == "dev:alarms" and "⚠ 熟食柜" in screen_text(pilot))
            notice = app.top_notice()
            assert (notice.source, notice.level) == ("dev:alarms", "error")
            # on every screen, in the status bar (the simulator's reading may have brought
            # the fridge back: then it says so, with the peak)
            assert "⚠ 熟食柜" in screen_text(pilot) and "8.5" in screen_text(pilot)
            await pilot.press("f7")
            await settle(pilot)
            assert isinstance(app.screen, TemperatureScreen)
            assert "Deli" in screen_text(pilot)
            await pilot.press("escape", "f8")
            await settle(pilot)
            assert isinstance(app.screen, PrintQueueScreen)
            assert ready["order_no"] in screen_text(pilot)

    asyncio.run(body())
    receipt = parse_escpos((data_dir / "printer.bin").read_bytes())
    assert ready["order_no"] in receipt.text and receipt.cuts == 1
