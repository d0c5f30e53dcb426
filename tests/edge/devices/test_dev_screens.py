"""The device screens headless at 80×24: fridges and alarms, acknowledge, print queue, reprint."""
from __future__ import annotations

import asyncio
from datetime import timedelta

from edge.clock import utcnow
from edge.domain import print_jobs, temperatures
from edge.domain.print_docs import PrintSettings
from edge.domain.temperatures import Fridge
from edge.ui.screens.devices.ack_alarm import AckAlarmScreen
from edge.ui.screens.dev_print_queue import PrintQueueScreen
from edge.ui.screens.devices.temperatures import TemperatureScreen
from tests.conftest import NOW
from tests.support.ui_pilot import make_app, screen_text, settle

SIZE = (80, 24)


def _alarm(store) -> int:
    now = utcnow()
    temperatures.configure_fridges(store, [Fridge("F1", "奶柜", "chilled", 4.0, grace_s=60)], now=now)
    temperatures.record_reading(store, "a", "F1", 7.0, now - timedelta(minutes=5), now=now)
    temperatures.record_reading(store, "b", "F1", 7.5, now - timedelta(seconds=10), now=now)
    [alarm] = temperatures.active_alarms(store.db)
    return alarm.id


async def _type(pilot, text: str) -> None:
    for char in text:
        await pilot.press(char)


def test_temperature_screen_shows_alarm_and_a_manager_acknowledges(store):
    alarm_id = _alarm(store)
    asyncio.run(_acknowledge_through_the_screen(store))
    alarm = temperatures.get_alarm(store.db, alarm_id)
    assert (alarm.acknowledged_by, alarm.note) == ("m01", "closed door")


async def _acknowledge_through_the_screen(store) -> None:
    app = make_app(store.data_dir, lang="en")
    async with app.run_test(size=SIZE) as pilot:
        app.push_screen(TemperatureScreen())
        await settle(pilot)
        text = screen_text(pilot)
        assert "奶柜" in text and "7.5°C" in text and "ALARM" in text
        assert "out of range" in text
        await pilot.press("f5")
        await settle(pilot)
        assert isinstance(app.screen, AckAlarmScreen)
        await _type(pilot, "c01")
        await pilot.press("enter")
        await _type(pilot, "1111")
        await pilot.press("enter")
        await _type(pilot, "closed door")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, AckAlarmScreen)  # a clerk cannot acknowledge
        assert "not a manager" in screen_text(pilot)
        manager = app.screen.query_one("#ack-manager")
        manager.value = "m01"
        manager.focus()
        await pilot.press("enter")
        await _type(pilot, "9999")
        await pilot.press("enter", "enter")
        await settle(pilot)
        assert isinstance(app.screen, TemperatureScreen)
        assert "No alarm to acknowledge" in screen_text(pilot)


def test_print_queue_screen_reprints_a_copy(store, make_order):
    make_order("T1")
    _, job_id = print_jobs.handover_and_print(store, "T1", "c01", settings=PrintSettings(), now=NOW)
    print_jobs.start_job(store, job_id)
    print_jobs.mark_printed(store, job_id)
    asyncio.run(_reprint_through_the_screen(store))
    [original, copy] = print_jobs.jobs_for(store.db, "T1")
    assert copy.copy_of == original.id and copy.status == "queued"


async def _reprint_through_the_screen(store) -> None:
    app = make_app(store.data_dir, lang="zh-CN")
    async with app.run_test(size=SIZE) as pilot:
        app.push_screen(PrintQueueScreen())
        await settle(pilot)
        text = screen_text(pilot)
        assert "T1" in text and "已打印" in text and "未配置打印机" in text
        await pilot.press("f5")
        await settle(pilot)
        assert "副本 #1" in screen_text(pilot)
