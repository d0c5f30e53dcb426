"""The task board (F12) driven by keys on a seeded demo store: filter, search, select a wave,
open the pick list; new orders from HQ appear without a restart, marked ★ until looked at."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from edge.clock import utcnow
from edge.domain import board, orders
from edge.i18n import t
from tests.support.keys import expect
from edge.ui.screens.backroom.board import TaskBoardScreen
from edge.ui.screens.backroom.pack import PackScreen
from edge.ui.screens.backroom.pick import PickScreen
from edge.ui.widgets.virtual_table import VirtualTable
from tests.support.edge_store import order_data
from tests.support.ui_pilot import HANG_GUARD_S, make_app, open_store, screen_text, settle


async def _open_board(pilot) -> TaskBoardScreen:
    await pilot.press("f12")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, TaskBoardScreen) and screen.loaded
    return screen


def _open_rows(data_dir) -> list[board.BoardRow]:
    """The rows the board shows with no filter (packed orders past their window wait in
    ctrl+o instead)."""
    store = open_store(data_dir)
    try:
        return _default_view(board.board_rows(store.db, now=utcnow()))
    finally:
        store.close()


def _default_view(rows: list[board.BoardRow]) -> list[board.BoardRow]:
    return board.view(rows, board.BoardFilter(), utcnow()).rows


def test_filter_and_search_by_keys(data_dir, run):
    rows = _open_rows(data_dir)
    new = [r.order_no for r in rows if r.status == "new"]
    target = next(r for r in rows if r.status == "picking")

    async def body():
        async with make_app(data_dir).run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            prefetched = pilot.app.board_prefetched  # read at start-up, before any key
            assert [r.order_no for r in _default_view(prefetched[2])] == [r.order_no for r in rows]
            screen = await _open_board(pilot)
            assert pilot.app.board_prefetched is None  # the board took it
            assert [r.order_no for r in screen.shown] == [r.order_no for r in rows]
            text = screen_text(pilot)
            assert t("ui.board.title", "zh-CN") in text and rows[0].order_no in text
            await pilot.press("s")  # status: new
            assert [r.order_no for r in screen.shown] == new
            assert new[0] in screen_text(pilot)
            await pilot.press("x")
            await pilot.press("slash", *target.order_no[-4:])
            await settle(pilot)
            assert target.order_no in [r.order_no for r in screen.shown]
            assert all(target.order_no[-4:] in r.order_no or r.phone_last4 == target.order_no[-4:]
                       for r in screen.shown)
            assert target.order_no in screen_text(pilot)
            await pilot.press("escape")  # clears the search, back on the table
            assert len(screen.shown) == len(rows)
            assert isinstance(pilot.app.focused, VirtualTable)
            await pilot.press("z", "z", "z")  # zone: frozen
            assert screen.shown and all("frozen" in r.zones for r in screen.shown)
            await pilot.press("slash", "n", "o", "-", "s", "u", "c", "h")
            await settle(pilot)
            assert screen.shown == []
            assert t("ui.board.empty_filtered", "zh-CN", n=len(rows)).splitlines()[0][:10] in \
                screen_text(pilot)

    run(body())


def test_select_a_wave_and_open_its_pick_list_and_packing(data_dir, run):
    rows = _open_rows(data_dir)

    async def body():
        async with make_app(data_dir).run_test(size=(80, 24)) as pilot:
            screen = await _open_board(pilot)
            await pilot.press("space", "space", "down", "space")
            assert screen.chosen() == [rows[0].order_no, rows[1].order_no, rows[3].order_no]
            assert "●" in screen_text(pilot)
            await pilot.press("p")
            await settle(pilot)
            assert isinstance(pilot.app.screen, PickScreen)
            assert pilot.app.screen.order_nos == [rows[0].order_no, rows[1].order_no,
                                                  rows[3].order_no]
            await pilot.press("escape")
            await settle(pilot)
            assert pilot.app.screen is screen and not screen.selected  # the wave went
            await pilot.press("k")  # the highlighted order alone
            await settle(pilot)
            assert isinstance(pilot.app.screen, PackScreen)
            assert pilot.app.screen.order_nos == [screen.chosen()[0]]

    run(body())


def test_a_new_order_from_hq_appears_marked_until_looked_at(data_dir, run):
    async def body():
        async with make_app(data_dir).run_test(size=(80, 24)) as pilot:
            screen = await _open_board(pilot)
            before = len(screen.rows)
            assert not any(no not in screen.seen for no in screen.by_no)  # nothing new yet
            shown = expect(pilot.app, screen.rows_shown)
            # the sync worker applies HQ's order on its own connection
            store = open_store(data_dir)
            try:
                soon = utcnow() - timedelta(days=2)  # first on the board
                data = order_data("HQ-NEW-1", store_id=store.store_id, now=soon,
                                  window_start=soon, window_end=utcnow() + timedelta(hours=3))
                data["lines"] = [{**line, "sku": "N001"} for line in data["lines"][:1]]
                orders.receive_order(store.db, store.pickup_key, data)
            finally:
                store.close()
            while "HQ-NEW-1" not in screen.by_no:
                await asyncio.wait_for(shown, HANG_GUARD_S)
                shown = expect(pilot.app, screen.rows_shown)
            await pilot.pause()
            assert len(screen.rows) == before + 1
            assert "HQ-NEW-1" not in screen.seen
            assert "★" in screen_text(pilot)
            table = screen.query_one("#board-table", VirtualTable)
            assert table.move_to("HQ-NEW-1")
            await pilot.pause()
            assert "HQ-NEW-1" in screen.seen

    run(body())


def test_an_order_packed_from_the_board_shows_ready_at_once(data_dir, run):
    from edge.domain import packing, picking

    rows = _open_rows(data_dir)
    target = next(r for r in rows if r.status == "new" and len(r.zones) == 1
                  and r.order_status == "allocated" and not r.is_overdue(utcnow()))

    def pick_and_pack(store, order_no: str) -> str:
        order = orders.get_order(store.db, order_no)
        for sku in {line.sku for line in order.lines}:
            picking.pick_units(store.db, [order_no], sku, actor="m01")
        slot = packing.slots(store.db, target.zones[0])[0].slot
        return packing.pack(store, order_no, target.zones[0], slot, actor="m01",
                            label=False).order.status

    async def body():
        async with make_app(data_dir, clerk_id="m01").run_test(size=(80, 24)) as pilot:
            screen = await _open_board(pilot)
            before = dict(screen.counts)
            assert await pilot.app.service.call(pick_and_pack, target.order_no) == "ready"
            shown = expect(pilot.app, screen.rows_shown)
            await screen.refresh_orders([target.order_no])  # in place: still shown
            await asyncio.wait_for(shown, HANG_GUARD_S)
            assert screen.by_no[target.order_no].status == "ready"
            assert screen.counts["ready"] == before["ready"] + 1
            assert screen.counts["new"] == before["new"] - 1
            await pilot.press("s")  # status new: the packed order has left it
            assert target.order_no not in [r.order_no for r in screen.shown]

    run(body())


def test_hq_order_numbers_fit_their_column_and_stay_apart():
    from edge.ui.screens.backroom.board import order_cell

    assert order_cell("S001-RRW0BL4-000068", "S001") == "RRW0BL4-000068"  # own prefix dropped
    assert order_cell("S002-RRW0BL4-000068", "S001") == "…RW0BL4-000068"  # cut from the front
    assert order_cell("S002-RRW0BL4-000068", "S001").endswith("000068")
    assert order_cell("L2606010001", "S001") == "L2606010001"
