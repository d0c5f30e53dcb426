"""The prep panel (task board, ``r``) driven by keys at 80x24, and its snapshots in Chinese
and English: suggestions from the store's own history raised by a running live stream, how
the highlighted figure was reached, a manager accepting one into a prep task that the board
then shows, and the batch made (into stock)."""

from __future__ import annotations

import time
from datetime import datetime, timedelta

import pytest

from edge.domain import prep, stock
from edge.domain.sales import SaleLine, sell
from edge.ui.screens.backroom import board as board_screen
from edge.ui.screens.backroom import prep as prep_screen
from edge.ui.screens.backroom.board import TaskBoardScreen
from edge.ui.screens.backroom.prep import PrepScreen
from tests.support.edge_store import NOW
from tests.support.ui_pilot import freeze_status_clock, make_app, open_store, screen_text, settle, until


@pytest.fixture
def history(store, monkeypatch):
    """Four weeks of Mondays at 18:00-20:00 (Shanghai): croissants and milk, and a live
    stream selling milk right now."""
    monkeypatch.setenv("TZ", "Asia/Shanghai")
    time.tzset()
    freeze_status_clock(monkeypatch)
    monkeypatch.setattr(prep_screen, "utcnow", lambda: NOW)
    monkeypatch.setattr(board_screen, "utcnow", lambda: NOW)
    # exactly what the history sells: on hand is the test store's own lots
    stock.receive(store.db, sku="B001", lot="OLD", qty=201, actor="m01", now=NOW - timedelta(weeks=5))
    stock.receive(store.db, sku="D001", lot="OLD", qty=60, actor="m01", now=NOW - timedelta(weeks=5))
    for weeks, (bread, milk) in zip((1, 2, 3, 4), ((12, 5), (14, 4), (13, 6), (40, 5))):
        for hour in (0, 1, 2):
            at = NOW - timedelta(weeks=weeks, hours=-hour, minutes=-20)
            sell(store, [SaleLine("B001", bread - 3 * hour), SaleLine("D001", milk)], "c01", now=at)
    prep.record_stream(store.db, {
        "channel": "douyin-live", "stream_id": "douyin-live@x", "started_at": (NOW - timedelta(minutes=30)).isoformat(),
        "as_of": (NOW - timedelta(minutes=1)).isoformat(), "window_min": 10, "orders": 24,
        "orders_per_min": 2.4, "units_per_order": {"D001": 0.5}}, now=NOW)
    yield store
    monkeypatch.undo()
    time.tzset()


async def _open_prep(pilot) -> PrepScreen:
    pilot.app.open_page(TaskBoardScreen())
    await until(pilot, lambda: getattr(pilot.app.screen, "loaded", False))
    await pilot.press("r")
    await until(pilot, lambda: isinstance(pilot.app.screen, PrepScreen) and pilot.app.screen.loaded)
    await settle(pilot)
    return pilot.app.screen


def test_accept_a_suggestion_and_see_it_on_the_board(history, run):
    async def body():
        async with make_app(history.data_dir, lang="en", demo=False, clerk_id="m01").run_test(
                size=(80, 24)) as pilot:
            screen = await _open_prep(pilot)
            text = screen_text(pilot)
            assert "Live stream running: 2.4 orders/min" in text
            assert screen.rows[0].sku == "D001"  # fresh (chilled) before the croissants
            milk = screen.rows[0]
            assert milk.prep > 0 and screen.rows[1].prep == 0  # enough croissants on hand
            assert "stream 2.4/min" in text and "4-wk median 5" in text  # how, for the cursor row
            await pilot.press("enter")
            await until(pilot, lambda: bool(screen.open_tasks))
            await settle(pilot)
            assert f"Prep tasks 1: Fresh milk 950ml ×{milk.prep}" in screen_text(pilot)
            await pilot.press("escape")
            board = pilot.app.screen
            assert isinstance(board, TaskBoardScreen)
            await until(pilot, lambda: bool(board.prep_tasks))
            await settle(pilot)
            assert f"Prep tasks 1: Fresh milk 950ml ×{milk.prep}" in screen_text(pilot)
            await pilot.press("r")
            await until(pilot, lambda: isinstance(pilot.app.screen, PrepScreen) and pilot.app.screen.loaded)
            await pilot.press("d")  # made: into stock
            await until(pilot, lambda: "booked into stock" in screen_text(pilot))
            await pilot.press("plus")  # look an hour further
            await until(pilot, lambda: "next 4 h" in screen_text(pilot) and "21h" in screen_text(pilot))
        store = open_store(history.data_dir)
        try:
            assert prep.open_tasks(store.db) == []
            assert stock.levels(store.db, "D001").on_hand == milk.on_hand + milk.prep
        finally:
            store.close()
    run(body())


def test_a_clerk_cannot_accept(history, run):
    async def body():
        async with make_app(history.data_dir, lang="zh-CN", demo=False, clerk_id="c01").run_test(
                size=(80, 24)) as pilot:
            await _open_prep(pilot)
            await pilot.press("a")
            await until(pilot, lambda: "店长" in screen_text(pilot))
        store = open_store(history.data_dir)
        try:
            assert prep.open_tasks(store.db) == []
        finally:
            store.close()
    run(body())


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_prep_panel_snapshot(history, snap_compare, lang):
    async def run_before(pilot) -> None:
        await _open_prep(pilot)
        await pilot.pause(0.2)
        await settle(pilot)

    app = make_app(history.data_dir, lang=lang, demo=False, clerk_id="m01")
    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)


def test_the_sum_stays_in_view_however_many_hours(history, run):
    """At 80x24 the explanation box holds 6 lines and a stream's hours wrap: the sum (need −
    on hand − preparing → prep) came last and fell off the box from 4 hours on."""
    async def body():
        async with make_app(history.data_dir, lang="en", demo=False, clerk_id="m01").run_test(
                size=(80, 24)) as pilot:
            screen = await _open_prep(pilot)
            for hours in (4, 5, 6):
                await pilot.press("plus")
                await until(pilot, lambda: f"next {hours} h" in screen_text(pilot))
                await settle(pilot)
                milk = screen.rows[0]
                assert f"{hours} h: {milk.demand} − on hand {milk.on_hand}" in screen_text(pilot)
    run(body())
