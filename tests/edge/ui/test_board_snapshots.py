"""Snapshots of the task board and the overdue pickups at 80x24, in Chinese and English.

The store is the fixed test store (tests/support/edge_store.py) with orders in every board
status, a made-to-order cake due soon and two overdue orders; the screens' clock, the status
bar's clock and the time zone are fixed, so a snapshot changes only when the screen does.
After an intended change: ``pytest tests/edge/ui/test_board_snapshots.py --snapshot-update``
and look at the SVGs in __snapshots__/.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta

import pytest
from textual.widgets import Input

from edge.db import write_tx
from edge.domain import orders, overdue, picking
from edge.ui.screens.backroom import board as board_screen
from edge.ui.screens.backroom import overdue as overdue_screen
from edge.ui.screens.backroom.board import TaskBoardScreen
from edge.ui.screens.backroom.overdue import OverdueScreen
from edge.ui.widgets import status_bar
from tests.support.edge_store import NOW, order_data
from tests.support.ui_pilot import make_app, settle


class _FixedClock(datetime):
    @classmethod
    def now(cls, tz=None):  # noqa: ANN001, ANN206 - datetime's own signature
        return datetime(2026, 6, 1, 18, 0, 0, tzinfo=tz)


@pytest.fixture
def prepared(store, monkeypatch):
    monkeypatch.setenv("TZ", "Asia/Shanghai")
    time.tzset()
    monkeypatch.setattr(status_bar, "datetime", _FixedClock)
    monkeypatch.setattr(board_screen, "utcnow", lambda: NOW)
    monkeypatch.setattr(overdue_screen, "utcnow", lambda: NOW)
    plan = [  # order_no, window start / end (hours from NOW), lines, extra
        ("L2606010001", -30, -6, [("D001", 1)], {"phone_last4": "0101", "customer": "陈**"}),
        ("L2606010002", -26, -2, [("B001", 2), ("M001", 1)], {"phone_last4": "0202"}),
        ("L2606010003", -1, 5, [("D001", 2), ("M001", 1)], {"customer": "李**"}),
        ("L2606010004", 0.5, 6, [("B001", 1)], {"channel": "mini"}),
        ("L2606010005", 1, 7, [("B001", 1), ("D001", 1)], {}),
        ("L2606010006", 2, 8, [("M001", 2)], {"channel": "counter"}),
        ("L2606010007", 3, 9, [("B001", 1)], {"made_to_order": True, "customer": "周**"}),
        ("L2606010008", 26, 32, [("D001", 1)], {}),
    ]
    with write_tx(store.db):
        for order_no, start, end, lines, extra in plan:
            orders.receive_order(store.db, store.pickup_key, order_data(
                order_no, lines=lines, window_start=NOW + timedelta(hours=start),
                window_end=NOW + timedelta(hours=end), **extra), now=NOW - timedelta(days=2))
    for order_no, lines in (("L2606010002", ("B001", "M001")), ("L2606010005", ("B001", "D001"))):
        for sku in lines:  # picked, then every bag packed
            picking.pick_units(store.db, [order_no], sku, actor="c01", now=NOW)
        for bag in orders.get_order(store.db, order_no).bags:
            orders.pack_bag(store.db, order_no, bag.zone, "A-01", actor="c01", now=NOW)
    orders.start_preparing(store.db, "L2606010003", actor="c01", now=NOW)
    picking.pick_units(store.db, ["L2606010006"], "M001", actor="c01", now=NOW)
    orders.mark_overdue(store.db, now=NOW)
    overdue.send_reminder(store.db, "L2606010002", actor="c01", now=NOW - timedelta(minutes=40))
    yield store
    monkeypatch.undo()
    time.tzset()


def _open(screen_type):
    async def run_before(pilot) -> None:
        pilot.app.open_page(screen_type())
        for _ in range(200):  # its rows are read on the database thread: wait for them
            await settle(pilot)
            if getattr(pilot.app.screen, "loaded", False):
                break
        await pilot.pause(0.2)  # the table lays its columns out on the next refresh
        await settle(pilot)
        if screen_type is TaskBoardScreen:
            pilot.app.screen.query_one("#board-search", Input).cursor_blink = False
            await pilot.press("down", "space")  # one order selected for a wave
        await settle(pilot)
    return run_before


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
@pytest.mark.parametrize("screen", ["board", "overdue"])
def test_back_room_screens(prepared, snap_compare, lang, screen):
    app = make_app(prepared.data_dir, lang=lang, demo=False, clerk_id="m01")
    screen_type = TaskBoardScreen if screen == "board" else OverdueScreen
    assert snap_compare(app, terminal_size=(80, 24), run_before=_open(screen_type))


def test_empty_board_says_what_will_appear(store, snap_compare, monkeypatch):
    monkeypatch.setattr(status_bar, "datetime", _FixedClock)
    app = make_app(store.data_dir, lang="zh-CN", demo=False, clerk_id="m01")
    assert snap_compare(app, terminal_size=(80, 24), run_before=_open(TaskBoardScreen))
