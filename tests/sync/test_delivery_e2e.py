"""Delivery from the store, end to end with real parts: orders placed at a real HQ on a
loopback port (SQLite, and PostgreSQL under CI=true) → synced → picked, packed (two zone
parcels) → each parcel handed to its own courier at the back door → HQ tracks the parcels
apart and queues the customer's "courier has collected your order" → the store's clerk
delivers with the customer's delivery code; and a failed delivery the manager returns to
stock; and the counter's verdicts for the wrong cases."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from edge.domain import clerks, delivery, orders, packing, picking, stock
from edge.domain.errors import DomainError
from edge.domain.print_docs import bag_qr_payload
from edge.present import courier_text
from edge.store import init_store
from sync.client import SyncClient
from sync.hq import delivery as hq_delivery
from sync.hq import orders as hq_orders
from sync.hq import service
from sync.protocol import CatalogItem

STORE_ID = "S001"
CATALOG = [("B001", "法式牛角包", "Butter croissant", "ambient", "6901234567892"),
           ("D001", "鲜牛奶 950ml", "Fresh milk 950ml", "chilled", "6901234567908")]
ADDRESS = "上海市静安区南京西路1266弄3号楼1201室"


@pytest.fixture
def platform():
    """The simulated courier platform, quick: a rider at once, a 0.1 s ride, no surprises."""
    from sync.hq.courier_sim import CourierPlatform

    sim = CourierPlatform(assign_after=0.05, ride_s=0.1, p_cancel=0, p_late=0, seed=1).start()
    yield sim
    sim.stop()


@pytest.fixture
def shop(make_hq_server, platform, tmp_path):
    hq = make_hq_server(courier_url=platform.url, courier_poll=0.05)
    platform.connect(hq.url, hq.add_channel("courier-sim", kind="courier").key)
    for sku, zh, en, zone, barcode in CATALOG:
        service.upsert_catalog_item(hq.db, CatalogItem(sku=sku, name_zh=zh, name_en=en, zone=zone,
                                                       price_cents=1000, barcode=barcode), hq.clock())
    agent = hq.add_store(STORE_ID)
    store = init_store(tmp_path / "store", STORE_ID, "静安寺店", "Jing'an Temple")
    clerks.add_clerk(store.db, "c01", "王芳", "1111")
    clerks.add_clerk(store.db, "m01", "张经理", "9999", role="manager")
    client = SyncClient(store, hq.url, agent.token, timeout=10)
    assert client.sync_once().ok
    for sku, *_ in CATALOG:
        stock.receive(store.db, sku=sku, lot="L1", qty=10, expiry="2099-12-31", actor="m01")
        stock.grant_allotment(store.db, sku=sku, qty=10, actor="m01")
    assert client.sync_once().ok
    yield hq, store, client, hq.add_channel()
    client.close()
    store.close()


def place_delivery(hq, channel, mode: str, lines=(("B001", 2), ("D001", 1))) -> dict:
    r = channel.place(STORE_ID, list(lines), paid=True, fulfilment="delivery",
                      delivery={"address": ADDRESS, "promised_min": 60, "courier_mode": mode})
    assert r.status_code == 201, r.text
    return r.json()


def pick_all(store, order_no: str) -> None:
    for sku in sorted({line.sku for line in orders.get_order(store.db, order_no).lines}):
        picking.pick_units(store.db, [order_no], sku, actor="c01")


def prepare(store, order_no: str) -> None:
    """Pick everything and pack both parcels (labels queued, as on the pack screen)."""
    pick_all(store, order_no)
    packing.pack(store, order_no, "ambient", "A-01", actor="c01")
    packing.pack(store, order_no, "chilled", "F-01", actor="c01")


def hq_parcels(hq, order_no: str) -> list[tuple]:
    with hq.db.tx(snapshot=True) as tx:
        store_id = hq_orders.load_order(tx, None, order_no)["store_id"]
        return [(p["zone"], p["status"], p["courier_name"]) for p in hq_delivery.parcels(tx, store_id, order_no)]


def hq_status(hq, order_no: str) -> str:
    with hq.db.tx(snapshot=True) as tx:
        return hq_orders.load_order(tx, None, order_no)["status"]


def notices(hq, order_no: str) -> list[str]:
    with hq.db.tx(snapshot=True) as tx:
        return [r[0] for r in tx.all("SELECT kind FROM notifications WHERE order_no = ? ORDER BY ord",
                                     (order_no,))]


def test_two_parcels_two_couriers_then_the_clerk_delivers(shop):
    hq, store, client, channel = shop
    placed = place_delivery(hq, channel, "store")
    order_no, code = placed["order_no"], placed["pickup_code"]
    assert placed["courier_mode"] == "store" and len(placed["delivery_code"]) == 11
    assert client.sync_once().ok
    held = delivery.info(store.db, order_no)
    assert held.address == ADDRESS and held.courier_mode == "store"  # our clerk needs the door

    assert delivery.check(store, code).verdict.kind == "not_ready"  # nothing packed yet
    prepare(store, order_no)
    assert delivery.check(store, code).verdict.kind == "courier_ok"
    from edge.domain.print_docs import PrintSettings, labels_for_order

    labels = labels_for_order(orders.get_order(store.db, order_no), PrintSettings(lang="en"))
    assert [lb["zone"] for lb in labels] == ["ambient", "chilled"]  # a label per parcel
    assert all(lb["captions"]["pickup"] == "Deliver by" and lb["pickup_window"].endswith(ADDRESS)
               for lb in labels)  # our clerk carries it: the door is on the label
    # two parcels, two couriers: each scans its own label
    chilled = bag_qr_payload(STORE_ID, order_no, "chilled")
    assert delivery.check(store, chilled).zones == ("chilled",)
    delivery.hand_off(store, order_no, clerk_id="c01", courier_name="李骑手", zone="chilled")
    assert orders.get_order(store.db, order_no).status == "ready"  # one parcel still here
    again = delivery.check(store, chilled).verdict
    assert again.kind == "collected" and again.params["courier"] == "李骑手"
    delivery.hand_off(store, order_no, clerk_id="c01", zone="ambient")  # the clerk carries it
    assert orders.get_order(store.db, order_no).status == "out_for_delivery"
    assert delivery.check(store, code).verdict.kind == "collected"
    assert stock.levels(store.db, "D001").on_hand == 9 and stock.levels(store.db, "B001").on_hand == 8

    assert client.sync_once().ok
    assert hq_parcels(hq, order_no) == [("ambient", "out", "王芳"), ("chilled", "out", "李骑手")]
    assert hq_status(hq, order_no) == "out_for_delivery"
    assert notices(hq, order_no).count("out_for_delivery") == 2  # one per parcel

    with pytest.raises(DomainError) as wrong:
        delivery.deliver(store, order_no, "12345678901", clerk_id="c01")
    assert wrong.value.code in ("delivery.wrong_code", "delivery.code_mistyped")
    delivery.deliver(store, order_no, placed["delivery_code"], clerk_id="c01")
    closed = delivery.info(store.db, order_no)
    assert "1201" not in closed.address and closed.address.startswith("上海市静安区南京西路1266弄")
    assert client.sync_once().ok
    assert hq_status(hq, order_no) == "delivered"
    assert notices(hq, order_no)[-1] == "delivered"
    assert hq_parcels(hq, order_no) == [("ambient", "delivered", "王芳"),
                                        ("chilled", "delivered", "李骑手")]


def test_failed_delivery_goes_back_to_stock_by_the_managers_decision(shop):
    hq, store, client, channel = shop
    placed = place_delivery(hq, channel, "store")
    order_no = placed["order_no"]
    assert client.sync_once().ok
    prepare(store, order_no)
    delivery.hand_off(store, order_no, clerk_id="c01")
    assert stock.levels(store.db, "B001").on_hand == 8
    delivery.fail(store, order_no, clerk_id="c01", reason="not_home")
    with pytest.raises(DomainError) as clerk_tries:
        delivery.decide(store, order_no, "return", manager_id="c01", pin="1111")
    assert clerk_tries.value.code.startswith("auth.")
    delivery.decide(store, order_no, "return", manager_id="m01", pin="9999")
    order = orders.get_order(store.db, order_no)
    assert order.status == "returned"
    levels = stock.levels(store.db, "B001")
    assert levels.on_hand == 10 and levels.reserved == 0  # sellable at the counter again
    assert client.sync_once().ok
    assert hq_status(hq, order_no) == "returned"
    assert notices(hq, order_no)[-2:] == ["delivery_failed", "delivery_returned"]
    with hq.db.tx(snapshot=True) as tx:
        audit = tx.all("SELECT action, manager_id FROM audit WHERE ref = ?", (order_no,))
    assert [tuple(a) for a in audit] == [("delivery_return", "m01")]
    assert rejected(hq) == []  # every event of the round trip applied, stock moves too


def rejected(hq) -> list[tuple]:
    with hq.db.tx(snapshot=True) as tx:
        return [tuple(r) for r in tx.all("SELECT type, reason FROM events WHERE outcome = 'rejected'")]


def test_a_second_attempt_goes_out_again(shop):
    hq, store, client, channel = shop
    order_no = place_delivery(hq, channel, "store", lines=(("D001", 1),))["order_no"]
    assert client.sync_once().ok
    pick_all(store, order_no)
    packing.pack(store, order_no, "chilled", "F-02", actor="c01")
    delivery.hand_off(store, order_no, clerk_id="c01")
    delivery.fail(store, order_no, clerk_id="c01")
    delivery.decide(store, order_no, "retry", manager_id="m01", pin="9999")
    assert orders.get_order(store.db, order_no).status == "ready"
    assert stock.levels(store.db, "D001").reserved == 1
    delivery.hand_off(store, order_no, clerk_id="c01")
    assert client.sync_once().ok
    assert hq_status(hq, order_no) == "out_for_delivery"
    assert stock.levels(store.db, "D001").on_hand == 9


def test_courier_verdicts_for_the_wrong_cases(shop):
    hq, store, client, channel = shop
    mine = place_delivery(hq, channel, "platform")
    cancelled = place_delivery(hq, channel, "platform", lines=(("B001", 1),))
    assert channel.cancel(cancelled["order_no"]).status_code == 200
    assert client.sync_once().ok
    assert delivery.info(store.db, mine["order_no"]).address.endswith("*号楼****室")  # masked
    assert delivery.check(store, cancelled["pickup_code"]).verdict.kind == "cancelled"
    other = bag_qr_payload("S999", mine["order_no"], "chilled")
    assert delivery.check(store, other).verdict.kind == "other_store"
    code = mine["pickup_code"]
    mistyped = code[:-2] + code[-1] + code[-2] if code[-1] != code[-2] else code[:-1] + str((int(code[-1]) + 1) % 10)
    assert delivery.check(store, mistyped).verdict.kind == "mistyped"
    assert delivery.check(store, "garbage!").verdict.kind == "malformed"
    assert delivery.check(store, code).verdict.kind == "not_ready"
    with pytest.raises(DomainError) as refused:
        delivery.hand_off(store, mine["order_no"], clerk_id="c01", courier_name="李骑手")
    assert refused.value.code == "verdict.not_ready"
    prepare(store, mine["order_no"])
    from edge.domain import pickup
    assert pickup.check(store, code).kind == "delivery"  # the counter sends it to the courier
    with pytest.raises(DomainError):
        pickup.hand_over(store, mine["order_no"], "c01")
    with pytest.raises(DomainError) as nameless:
        delivery.hand_off(store, mine["order_no"], clerk_id="c01", courier_name="  ")
    assert nameless.value.code == "delivery.bad_courier"
    delivery.hand_off(store, mine["order_no"], clerk_id="c01", courier_name="李骑手")
    assert delivery.check(store, code).verdict.kind == "collected"
    with pytest.raises(DomainError) as platform:
        delivery.deliver(store, mine["order_no"], mine["pickup_code"], clerk_id="c01")
    assert platform.value.code == "delivery.not_clerk_delivery"
    assert client.sync_once().ok
    assert hq_status(hq, mine["order_no"]) == "out_for_delivery"
    # HQ cannot cancel what left the store; a pickup-only request is refused
    assert channel.cancel(mine["order_no"]).status_code == 409
    bad = channel.place(STORE_ID, [("B001", 1)], fulfilment="delivery")
    assert bad.status_code == 422 and bad.json()["error"] == "bad_delivery"


def cli(store, capsys, *args: str) -> tuple[int, str]:
    from edge.cli import main

    capsys.readouterr()
    code = main([*args, "--data-dir", str(store.data_dir), "--lang", "en"])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def test_the_shell_and_the_board_show_the_countdown_and_the_risk(shop, capsys, monkeypatch):
    hq, store, client, channel = shop
    placed = place_delivery(hq, channel, "platform")
    order_no = placed["order_no"]
    pickup_order = channel.place(STORE_ID, [("B001", 1)], paid=True).json()["order_no"]
    assert client.sync_once().ok
    from edge.domain import board
    from edge.clock import parse_iso

    rows = board.board_rows(store.db, now=hq.clock())
    assert [r.order_no for r in rows] == [order_no, pickup_order]  # due in 60 min, before 2 h
    row = rows[0]
    promised = parse_iso(placed["promised_at"])
    # no history yet: defaults pick+pack 10 + courier 5 + ride 15 = 30 minutes
    assert not row.at_risk(promised - timedelta(minutes=31))
    assert row.at_risk(promised - timedelta(minutes=29))
    assert row.late_by(promised + timedelta(minutes=3)) == timedelta(minutes=3)
    assert not row.is_overdue(promised + timedelta(hours=1))  # late, never an overdue pickup

    code, out = cli(store, capsys, "delivery", "check", placed["pickup_code"])
    assert code == 1 and "Not ready" in out
    prepare(store, order_no)
    code, out = cli(store, capsys, "delivery", "check", bag_qr_payload(STORE_ID, order_no, "ambient"))
    assert code == 0 and "Ready for the courier: Ambient" in out
    code, out = cli(store, capsys, "delivery", "handoff", bag_qr_payload(STORE_ID, order_no, "ambient"),
                    "--courier", "Li Rider", "--clerk", "c01")
    assert code == 0 and "handed to courier Li Rider" in out
    code, out = cli(store, capsys, "delivery", "handoff", bag_qr_payload(STORE_ID, order_no, "ambient"),
                    "--courier", "Zhao", "--clerk", "c01")
    assert code == 1 and "Already collected" in out and "Li Rider" in out
    code, out = cli(store, capsys, "delivery", "list", "--json")
    listed = json.loads(out)
    assert listed["usual_minutes"] == {"pick_pack": 10.0, "courier_wait": 5.0, "ride": 15.0, "orders": 0}
    assert [o["order_no"] for o in listed["orders"]] == [order_no]
    assert listed["orders"][0]["address"].endswith("*号楼****室")
    monkeypatch.setenv("STORE_EDGE_MANAGER_PIN", "9999")
    code, out = cli(store, capsys, "delivery", "decide", order_no, "--return", "--manager", "m01")
    assert code == 1 and "no failed delivery" in out


def test_the_delivery_screen_hands_off_delivers_and_fails_by_keys(shop):
    """ctrl+y at 80x24: scan the courier's code, type the courier's name, Enter; then the
    clerk's own order: ctrl+d with the customer's code; another fails (ctrl+f) and a
    manager sends it back to stock (ctrl+r, ID and PIN)."""
    import asyncio

    from edge.ui.app import StoreEdgeApp
    from edge.ui.screens.backroom.delivery import DeliveryScreen
    from tests.support.ui_pilot import screen_text, settle, until

    hq, store, client, channel = shop
    platform = place_delivery(hq, channel, "platform")
    mine = place_delivery(hq, channel, "store", lines=(("D001", 1),))
    failing = place_delivery(hq, channel, "store", lines=(("B001", 1),))
    assert client.sync_once().ok
    prepare(store, platform["order_no"])
    for placed, zone, slot in ((mine, "chilled", "F-02"), (failing, "ambient", "A-02")):
        pick_all(store, placed["order_no"])
        packing.pack(store, placed["order_no"], zone, slot, actor="c01")

    async def body() -> None:
        app = StoreEdgeApp(store.data_dir, lang="en", clerk_id="c01")
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.press("ctrl+y")
            await settle(pilot)
            screen = pilot.app.screen
            assert isinstance(screen, DeliveryScreen)
            assert [r.order_no for r in screen.rows] == [platform["order_no"], mine["order_no"],
                                                         failing["order_no"]]
            await pilot.click("#delivery-scan")
            for ch in platform["pickup_code"]:
                await pilot.press(ch)
            await pilot.press("enter")
            await settle(pilot)
            assert screen.handoff.verdict.kind == "courier_ok"
            for ch in "Li":
                await pilot.press(ch)
            await pilot.press("enter")
            await settle(pilot)
            assert "handed to courier Li" in screen_text(pilot)
            # the clerk takes their own two: scan each, Enter on an empty courier name
            for placed in (mine, failing):
                await pilot.click("#delivery-scan")
                for ch in placed["pickup_code"]:
                    await pilot.press(ch)
                await pilot.press("enter")
                await settle(pilot)
                await pilot.press("enter")
                await settle(pilot)
            await until(pilot, lambda: [r.status for r in screen.rows]
                        == ["out_for_delivery", "out_for_delivery"])
            screen.query_one("#delivery-table").focus()
            await pilot.press("ctrl+d")
            await settle(pilot)
            for ch in mine["delivery_code"]:
                await pilot.press(ch)
            await pilot.press("enter")
            await settle(pilot)
            await until(pilot, lambda: [r.order_no for r in screen.rows] == [failing["order_no"]])
            await pilot.press("ctrl+f")
            await settle(pilot)
            await until(pilot, lambda: [r.status for r in screen.rows] == ["delivery_failed"])
            await pilot.press("ctrl+r")
            await settle(pilot)
            for ch in "m01":
                await pilot.press(ch)
            await pilot.press("enter")
            for ch in "9999":
                await pilot.press(ch)
            await pilot.press("enter")
            await settle(pilot)
            await until(pilot, lambda: screen.rows == [])

    asyncio.run(body())
    assert orders.get_order(store.db, platform["order_no"]).status == "out_for_delivery"
    assert orders.get_order(store.db, mine["order_no"]).status == "delivered"
    assert orders.get_order(store.db, failing["order_no"]).status == "returned"


def test_the_courier_platform_names_a_rider_collects_and_delivers(shop, platform, wait_until):
    """HQ asks the (simulated) platform on its loopback port for a rider; the rider's name
    reaches the store; once every parcel is out HQ tells the platform, which reports the
    ride done: delivered, and the customer heard of each step. A platform that finds no
    rider cancels: the store sees why."""
    hq, store, client, channel = shop
    placed = place_delivery(hq, channel, "platform")
    order_no = placed["order_no"]
    assert wait_until(lambda: (order_no, "assigned") in platform.events)
    assert client.sync_once().ok
    rider = delivery.info(store.db, order_no).courier_expected
    assert rider and not rider.startswith("✗")
    prepare(store, order_no)
    delivery.hand_off(store, order_no, clerk_id="c01")  # no name typed: the platform's rider
    assert client.sync_once().ok
    assert {b.courier_name for b in orders.get_order(store.db, order_no).bags} == {rider}
    assert wait_until(lambda: hq_status(hq, order_no) == "delivered")
    assert wait_until(lambda: (order_no, "delivered") in platform.events)  # HQ's answer reached it
    assert notices(hq, order_no) == ["allocated", "courier_assigned", "ready", "out_for_delivery",
                                     "out_for_delivery", "delivered"]  # a notice per parcel

    platform.p_cancel = 1.0
    lonely = place_delivery(hq, channel, "platform", lines=(("B001", 1),))["order_no"]
    assert wait_until(lambda: (lonely, "cancelled") in platform.events)
    assert client.sync_once().ok
    assert delivery.info(store.db, lonely).courier_expected == "✗ 附近暂无骑手"  # the platform's words
    assert courier_text(delivery.info(store.db, lonely).courier_expected, "en") == "✗ platform found no rider: 附近暂无骑手"
    assert courier_text(delivery.info(store.db, lonely).courier_expected, "zh-CN") == "✗ 平台未派到骑手：附近暂无骑手"
    assert "courier_cancelled" in notices(hq, lonely)
    platform.p_cancel, platform.p_late = 0.0, 1.0  # a rider, then held up: the customer is told
    held_up = place_delivery(hq, channel, "platform", lines=(("B001", 1),))["order_no"]
    assert wait_until(lambda: (held_up, "late") in platform.events)
    assert wait_until(lambda: "courier_late" in notices(hq, held_up))
    # a courier key places no orders; a shop's key reports no rides
    courier_key = {"Authorization": f"Bearer {platform.key}"}
    r = channel.client.post("/v1/orders", headers=courier_key, json={
        "request_id": "x", "store_id": STORE_ID, "customer_name": "王", "customer_phone": "1380",
        "lines": [{"sku": "B001", "qty": 1}]})
    assert r.status_code == 401
    r = channel.client.post("/v1/courier/events", headers=channel.headers,
                            json={"order_no": lonely, "kind": "delivered"})
    assert r.status_code == 401


def test_hq_place_order_from_the_shell_needs_an_address_for_delivery(shop, capsys):
    from sync.hq import cli as hq_cli

    hq, store, client, channel = shop
    base = ["hq", "place-order", "--db", hq.db_url, "--store", STORE_ID, "--line", "B001:1", "--paid",
            "--delivery"]
    assert hq_cli.main(base) == 2
    assert "--address" in capsys.readouterr().err
    assert hq_cli.main([*base, "--address", ADDRESS, "--courier-mode", "store", "--promised-min", "30"]) == 0
    order_no = capsys.readouterr().out.split()[0]
    assert client.sync_once().ok
    held = delivery.info(store.db, order_no)
    assert held.courier_mode == "store" and held.address == ADDRESS
