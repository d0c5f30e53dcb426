"""Snapshots of the stock screen at 80x24, in Chinese and English: the stock list with a
transfer waiting, and the near-expiry list with its markdowns.

The store is the fixed test store (tests/support/edge_store.py), the screen's date and the
status bar's clock are fixed, so a snapshot changes only when the screen does. After an
intended change: ``pytest tests/edge/ui/test_stock_snapshots.py --snapshot-update`` and look
at the SVGs in __snapshots__/.
"""

from __future__ import annotations

from datetime import date

import pytest
from textual.widgets import Input

from edge.db import write_tx
from edge.domain import stock, transfers
from edge.ui.screens.stock import StockScreen
from tests.support.edge_store import NOW
from tests.support.ui_pilot import freeze_status_clock, make_app, settle

TODAY = date(2026, 6, 1)


@pytest.fixture
def stocked(store, monkeypatch):
    freeze_status_clock(monkeypatch)
    transfers.announce(store.db, "TR-20260601-07", [{"sku": "B001", "lot": "T7A", "qty": 3}])
    with write_tx(store.db):  # one SKU gone negative, flagged
        stock.take_fefo(store.db, sku="M001", qty=53, kind="sale", actor="c01", at=NOW)
    return store


def _open(view_near: bool):
    async def run_before(pilot) -> None:
        pilot.app.open_page(StockScreen(today=TODAY))
        await settle(pilot)
        pilot.app.screen.query_one("#stock-scan", Input).cursor_blink = False
        if view_near:
            await pilot.press("f6")
        await settle(pilot)
    return run_before


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
@pytest.mark.parametrize("view", ["stock", "near_expiry"])
def test_stock_screen(stocked, snap_compare, lang, view):
    app = make_app(stocked.data_dir, lang=lang, demo=False, clerk_id="m01")
    assert snap_compare(app, terminal_size=(80, 24), run_before=_open(view == "near_expiry"))
