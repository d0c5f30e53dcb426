"""The pick and pack screens driven like a clerk: scanner bursts at scanner speed (a wrong
product among them), a short pick decided by a manager, bags packed by slot label and from the
slot list, labels on the print queue; and snapshots of both screens at 80x24 in both languages."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from textual.widgets import DataTable, Input, Static

from edge.domain import catalog, orders, print_jobs
from edge.ui.app import StoreEdgeApp
from tests.support.keys import scanner_burst
from edge.ui.screens.backroom.pack import PackScreen
from edge.ui.screens.backroom.pick import DecisionScreen, PickScreen, ShortScreen
from edge.ui.widgets import status_bar
from tests.support.edge_store import NOW, PRODUCTS, order_data
from tests.support.ui_pilot import open_store, screen_text, settle

BARCODES = {"B001": "6901234567892", "D001": "6901234567908", "M001": "6901234567915"}
SHELVES = {"B001": "R2-01", "D001": "C1-02", "M001": "D1-01"}
FAR = NOW + timedelta(days=3650)  # windows that stay open whatever the wall clock says


@pytest.fixture
def shop(store) -> Path:
    """The test store with barcodes and shelves, and two orders to prepare."""
    for sku, zh, en, zone in PRODUCTS:
        catalog.upsert_item(store.db, {"sku": sku, "name_zh": zh, "name_en": en, "zone": zone,
                                       "price_cents": 1000, "barcode": BARCODES[sku],
                                       "shelf": SHELVES[sku], "version": 1}, now=NOW)
    for order_no, lines, end in (("W1", [("B001", 2), ("D001", 1)], FAR),
                                 ("W2", [("B001", 1), ("M001", 2)], FAR + timedelta(hours=1))):
        orders.receive_order(store.db, store.pickup_key,
                             order_data(order_no, lines=lines, window_end=end), now=NOW)
    path = store.data_dir
    store.close()
    return path


class _Noon(datetime):
    """The status bar's clock, stopped: a snapshot must not depend on the minute it runs."""

    @classmethod
    def now(cls, tz=None):  # noqa: ANN001 - datetime's signature
        return datetime(2026, 6, 1, 12, 0, tzinfo=tz)


@pytest.fixture
def stopped_clock(monkeypatch):
    monkeypatch.setattr(status_bar, "datetime", _Noon)


async def still(pilot) -> None:
    """No blinking cursor in a snapshot: it would be on or off depending on the moment."""
    for field in pilot.app.screen.query(Input):
        field.cursor_blink = False
    await pilot.pause()


def app(data_dir: Path, lang: str = "en", clerk: str = "c01") -> StoreEdgeApp:
    return StoreEdgeApp(data_dir, lang=lang, clerk_id=clerk)


async def burst(pilot, *codes: str) -> None:
    """Scans as a USB scanner types them: every key queued at once, no waiting between."""
    for code in codes:
        scanner_burst(pilot.app, code)
    await settle(pilot)


def message(pilot, widget_id: str) -> str:
    return str(pilot.app.screen.query_one(widget_id, Static).content)


def test_pick_a_wave_by_scans_with_a_wrong_product_then_a_short_and_the_managers_decision(shop):
    async def body():
        async with app(shop).run_test(size=(80, 24)) as pilot:
            await pilot.app.push_screen(PickScreen(["W1", "W2"]))
            await settle(pilot)
            screen = pilot.app.screen
            assert isinstance(screen, PickScreen)
            text = screen_text(pilot)
            assert "R2-01" in text and "Butter croissant" in text and "L-early" in text
            await burst(pilot, BARCODES["B001"], BARCODES["B001"], "6900000000000",
                        BARCODES["B001"], BARCODES["D001"])
            assert [(l.sku, l.picked) for l in screen.pick_list.lines] == [
                ("B001", 3), ("D001", 1), ("M001", 0)]
            await burst(pilot, BARCODES["D001"])  # fully picked already: refused
            assert "Fresh milk 950ml is already fully picked" in message(pilot, "#pick-message")
            assert screen.pick_list.line("D001").picked == 1
            # the wagyu: one on the shelf, the second is missing
            await burst(pilot, BARCODES["M001"])
            table = screen.query_one("#pick-table", DataTable)
            assert screen.selected().sku == "M001"
            await pilot.press("f6")
            await settle(pilot)
            assert isinstance(pilot.app.screen, ShortScreen)
            await pilot.press("enter")  # the proposed quantity: the 1 still to pick
            await settle(pilot)
            assert screen.waiting == ["W2"]
            assert "W2 wait for a manager" in message(pilot, "#pick-message")
            await pilot.press("ctrl+d")
            await settle(pilot)
            assert isinstance(pilot.app.screen, DecisionScreen)
            for key in ("c", "0", "1", "enter", "1", "1", "1", "1"):  # a clerk's PIN
                await pilot.press(key)
            await pilot.press("f5")
            await settle(pilot)
            assert "c01 is not a manager" in message(pilot, "#decide-error")
            decide = pilot.app.screen.query_one("#decide-manager")
            decide.value = "m01"
            await pilot.click("#decide-pin")
            for key in "9999":
                await pilot.press(key)
            await pilot.press("f5")
            await settle(pilot)
            assert isinstance(pilot.app.screen, PickScreen) and screen.waiting == []
            assert screen.pick_list.done and table.row_count == 6  # 3 zone rows + 3 lines
            await pilot.press("ctrl+k")
            await settle(pilot)
            assert isinstance(pilot.app.screen, PackScreen)

    asyncio.run(body())
    store = open_store(shop)
    w2 = orders.get_order(store.db, "W2")
    assert w2.short_state == "without" and w2.lines[1].qty_not_taken == 1
    store.close()


def test_pack_by_slot_label_and_from_the_list_prints_labels_and_readies(shop):
    store = open_store(shop)
    from edge.domain import picking

    for sku in ("B001", "D001"):
        picking.pick_units(store.db, ["W1"], sku, actor="c01")
    store.close()

    async def body():
        async with app(shop).run_test(size=(80, 24)) as pilot:
            await pilot.app.push_screen(PackScreen(["W1", "W2"]))
            await settle(pilot)
            screen = pilot.app.screen
            assert [b.state for b in screen.bags] == ["to_pack", "to_pack", "not_picked",
                                                      "not_picked"]
            assert screen.selected().zone == "ambient"
            await burst(pilot, "F-01")  # a chilled slot for the ambient bag: refused
            assert "Slot F-01 is for Chilled bags" in message(pilot, "#pack-message")
            await burst(pilot, "A-04")
            assert "W1 Ambient bag → A-04" in message(pilot, "#pack-message")
            assert screen.selected().zone == "chilled"  # on to the next bag
            await pilot.press("f5")
            await settle(pilot)
            await pilot.press("down", "enter")  # F-02 from the chilled list
            await settle(pilot)
            assert "W1 fully packed and ready" in message(pilot, "#pack-message")
            assert [b.slot for b in screen.bags[:2]] == ["A-04", "F-02"]
            await pilot.press("f6")
            await settle(pilot)
            assert "2 bag labels queued" in message(pilot, "#pack-message")

    asyncio.run(body())
    store = open_store(shop)
    assert orders.get_order(store.db, "W1").status == "ready"
    jobs = print_jobs.jobs_for(store.db, "W1")
    assert [(j.kind, j.payload["zone"]) for j in jobs] == [
        ("bag_label", "ambient"), ("bag_label", "chilled"), ("bag_label", "ambient"),
        ("bag_label", "chilled")]
    store.close()


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_pick_screen_snapshot(shop, snap_compare, stopped_clock, lang):
    async def run_before(pilot) -> None:
        await pilot.app.push_screen(PickScreen(["W1", "W2"]))
        await settle(pilot)
        await burst(pilot, BARCODES["B001"], "6900000000000")
        await still(pilot)

    assert snap_compare(app(shop, lang), terminal_size=(80, 24), run_before=run_before)


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_pack_screen_snapshot(shop, snap_compare, stopped_clock, lang):
    store = open_store(shop)
    from edge.domain import packing, picking

    picking.pick_units(store.db, ["W1"], "B001", actor="c01")
    picking.pick_units(store.db, ["W1"], "D001", actor="c01")
    packing.pack(store, "W1", "ambient", "A-01", actor="c01", label=False)
    store.close()

    async def run_before(pilot) -> None:
        await pilot.app.push_screen(PackScreen(["W1", "W2"]))
        await settle(pilot)
        await still(pilot)

    assert snap_compare(app(shop, lang), terminal_size=(80, 24), run_before=run_before)


def test_scans_from_any_scanner_land_in_the_open_pick_or_pack_screen(shop):
    """A serial or camera read is delivered by the device link; a keyboard-wedge burst types
    into the screen's own scan field. Neither goes to the counter while picking or packing."""
    from edge import config
    from edge.services.scanning import scan_event
    from edge.ui.devices_link import DeviceLink

    cfg = config.Config(data_dir=shop, devices={"scanners": [{"kind": "wedge"}]})

    async def body():
        the_app = app(shop)
        the_app.devices = DeviceLink(the_app, cfg)
        async with the_app.run_test(size=(80, 24)) as pilot:
            the_app.devices.start()
            await pilot.app.push_screen(PickScreen(["W1"]))
            await settle(pilot)
            screen = pilot.app.screen
            the_app.devices.deliver(scan_event(BARCODES["B001"], "serial:loop://"))
            await settle(pilot)
            await burst(pilot, BARCODES["B001"], BARCODES["D001"])  # the wedge
            assert screen.pick_list.done and pilot.app.screen is screen
            await pilot.press("ctrl+k")
            await settle(pilot)
            the_app.devices.deliver(scan_event("A-05", "camera:folder"))
            await settle(pilot)
            assert "W1 Ambient bag → A-05" in message(pilot, "#pack-message")
            the_app.devices.stop()

    asyncio.run(body())


def test_the_counter_shows_a_line_given_up_at_pick_as_missing_not_as_an_unpacked_bag(shop):
    from edge.domain import packing, picking
    from tests.support.ui_pilot import counter

    store = open_store(shop)
    picking.pick_units(store.db, ["W2"], "B001", actor="c01")
    picking.short_pick(store.db, ["W2"], "M001", 2, actor="c01")
    picking.decide_short(store.db, "W2", "ready_without", manager="m01")
    packing.pack(store, "W2", "ambient", "A-01", actor="c01", label=False)
    assert orders.get_order(store.db, "W2").status == "ready"
    store.close()

    async def body():
        async with app(shop).run_test(size=(80, 24)) as pilot:
            from edge.ui.screens.counter import judge_order_no
            from edge.clock import utcnow

            counter(pilot).run_check(judge_order_no, "W2", started=utcnow())
            await settle(pilot)
            text = screen_text(pilot)
            assert "missing: no bag" in text and "not packed" not in text
            assert "Ambient bag #1 shelf A-01" in text

    asyncio.run(body())
