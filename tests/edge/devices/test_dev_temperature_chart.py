"""The cold-chain chart (F7): a line of the readings, the limit drawn as a line, excursions
marked — checked on the plotext figure itself — and the excursions listed with who
acknowledged them and when."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from textual.widgets import DataTable

from edge.domain import temperatures
from edge.domain.temperatures import Fridge
from edge.ui.app import StoreEdgeApp
from edge.ui.screens.devices.temperatures import TemperatureScreen
from edge.ui.widgets.temperature_chart import TemperatureChart, chart_data
from tests.support.day_end_script import MANAGER, TZ, at, script_day
from tests.support.ui_pilot import screen_text, settle


def test_chart_data_keeps_each_slots_warmest_reading_and_marks_the_excursions(store):
    temperatures.configure_fridges(store, [Fridge("F9", "冻柜", "frozen", -18.0, min_c=-30.0)],
                                   now=at(0))
    for i, (minute, celsius) in enumerate([(0, -20.0), (1, -16.5), (2, -19.0),  # one slot: -16.5
                                           (60, -31.0), (120, -21.0)]):
        temperatures.record_reading(store, f"x{i}", "F9", celsius, at(0) + timedelta(minutes=minute),
                                    now=at(3))
    record = temperatures.temperature_record(store.db, "F9", at(0), at(0) + timedelta(hours=24))
    data = chart_data(record, TZ, slots=24)  # one slot per hour
    assert data.ys == [-16.5, -31.0, -21.0]  # the warmest of each hour; the coldest is not lost:
    assert (data.marks_x, data.marks_y) == ([0.5, 1.5], [-16.5, -31.0])  # above max, below min
    assert (data.max_c, data.min_c) == (-18.0, -30.0)
    # ticks every 6 h in the store's local time (UTC+8)
    assert data.tick_labels == ["08:00", "14:00", "20:00", "02:00", "08:00"]


def test_the_screen_draws_a_line_the_limit_and_the_marks_and_lists_acknowledgements(store):
    script_day(store)

    async def body():
        app = StoreEdgeApp(store.data_dir, lang="zh-CN", clerk_id=MANAGER)
        async with app.run_test(size=(80, 24)) as pilot:
            app.push_screen(TemperatureScreen(end=at(12)))
            await settle(pilot)
            chart = app.screen.query_one("#temp-chart", TemperatureChart)
            monitor = chart.plt._active.monitor
            assert monitor.hcoord[0] == [4.0]  # the limit line
            [line, marks] = zip(monitor.x, monitor.y, monitor.marker)
            assert set(line[2]) == {"braille"} and len(line[0]) == len(chart.data.xs)
            assert max(line[1]) == pytest.approx(8.2)  # a line, not a filled bar: no fill
            assert monitor.fillx == [False, False] and monitor.filly == [False, False]
            # 6-minute slots beyond 4 °C: 03:06-03:12 (6.5), 03:12-03:18 (8.2, 7.0), 09:00 (5.0)
            assert marks[1] == [6.5, 8.2, 5.0] and set(marks[2]) == {"×"}
            rendered = screen_text(pilot)
            assert "×" in rendered and "红线 上限 4°C" in rendered
            table = app.screen.query_one("#temp-excursions", DataTable)
            rows = [[str(c) for c in table.get_row(key)] for key in table.rows]
            assert rows == [["熟食冷藏柜 11:10–11:20 最高 8.2°C", "已确认 张经理(m01) 11:30"],
                            ["熟食冷藏柜 17:00–17:02 最高 5.0°C", "未报警（短时）"]]
            await pilot.press("f9")  # English, same chart
            await settle(pilot)
            assert "ack 张经理(m01) 11:30" in screen_text(pilot)
            await pilot.press("left")  # the 24 h before: the short excursion of 05-31
            await settle(pilot)
            assert chart.data.marks_y == [6.0] and "short, no alarm" in screen_text(pilot)
            await pilot.press("left")
            await settle(pilot)
            assert chart.data.ys == [] and "No excursion in these 24 hours" in screen_text(pilot)
            assert "no readings" in screen_text(pilot)

    asyncio.run(body())
