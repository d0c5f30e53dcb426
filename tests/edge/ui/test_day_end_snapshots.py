"""Snapshots at 80x24 in Chinese and English of the day-end screen (ctrl+e) and the cold-chain
screen (F7), both over the scripted day of tests/support/day_end_script.py.

The day, the chart's 24 hours and the status bar's clock are fixed, so a snapshot changes only
when the screen does. After an intended change:
``pytest tests/edge/ui/test_day_end_snapshots.py --snapshot-update`` and look at the SVGs in
__snapshots__/.
"""

from __future__ import annotations

from datetime import datetime

import pytest

from edge.ui.screens.devices.temperatures import TemperatureScreen
from edge.ui.screens.reports.day_end import DayEndScreen
from edge.ui.widgets import status_bar
from tests.support.day_end_script import DAY, MANAGER, at, script_day
from tests.support.ui_pilot import make_app, settle


class _FixedClock(datetime):
    @classmethod
    def now(cls, tz=None):  # noqa: ANN001, ANN206 - datetime's own signature
        return datetime(2026, 6, 1, 23, 0, 0, tzinfo=tz)


@pytest.fixture
def scripted(store, monkeypatch):
    monkeypatch.setattr(status_bar, "datetime", _FixedClock)
    script_day(store)
    return store


def _open(screen_factory):
    async def run_before(pilot) -> None:
        pilot.app.open_page(screen_factory())
        await settle(pilot)
        await pilot.wait_for_scheduled_animations()
        await settle(pilot)
    return run_before


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_day_end_screen(scripted, snap_compare, lang):
    app = make_app(scripted.data_dir, lang=lang, demo=False, clerk_id=MANAGER)
    assert snap_compare(app, terminal_size=(80, 24), run_before=_open(lambda: DayEndScreen(DAY)))


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_cold_chain_screen(scripted, snap_compare, lang):
    app = make_app(scripted.data_dir, lang=lang, demo=False, clerk_id=MANAGER)
    assert snap_compare(app, terminal_size=(80, 24),
                        run_before=_open(lambda: TemperatureScreen(end=at(12))))
