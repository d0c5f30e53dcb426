"""`store-edge orders pick|pack|ready|decide|labels|slots` as a script runs them: a real
subprocess on a real store directory, same exit codes as `pickup`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from edge.domain import catalog, orders, print_jobs
from edge.store import Store
from tests.support.edge_store import NOW, PRODUCTS, order_data

ROOT = Path(__file__).resolve().parents[2]
BARCODES = {"B001": "6901234567892", "D001": "6901234567908", "M001": "6901234567915"}


def run(data_dir: Path, *args: str, lang: str = "en", env: dict | None = None,
        stdin: str | None = None) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "edge.cli", *args, "--data-dir", str(data_dir), "--lang", lang]
    base = {k: v for k, v in os.environ.items()
            if k not in ("STORE_EDGE_DATA_DIR", "STORE_EDGE_CONFIG", "STORE_EDGE_MANAGER_PIN")}
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, cwd=ROOT,
                          env={**base, "PYTHONPATH": str(ROOT), **(env or {})}, input=stdin)


@pytest.fixture
def shop(store) -> Path:
    """The test store with barcodes, and two orders to pick (closed: the CLI opens its own)."""
    for sku, zh, en, zone in PRODUCTS:
        catalog.upsert_item(store.db, {"sku": sku, "name_zh": zh, "name_en": en, "zone": zone,
                                       "price_cents": 1000, "barcode": BARCODES[sku],
                                       "version": 1}, now=NOW)
    for order_no, lines in (("W1", [("B001", 2), ("D001", 1)]), ("W2", [("B001", 1), ("M001", 2)])):
        orders.receive_order(store.db, store.pickup_key,
                             order_data(order_no, lines=lines, window_end=NOW + timedelta(days=400)),
                             now=NOW)
    path = store.data_dir
    store.close()
    return path


def test_pick_list_scan_pack_ready_from_the_shell(shop):
    listing = run(shop, "orders", "pick", "W1", "W2", "--json")
    assert listing.returncode == 0, listing.stderr
    body = json.loads(listing.stdout)
    assert [(l["zone"], l["sku"], l["qty"]) for l in body["lines"]] == [
        ("ambient", "B001", 3), ("chilled", "D001", 1), ("frozen", "M001", 2)]
    assert body["board_status"] == {"W1": "new", "W2": "new"}

    wrong = run(shop, "orders", "pick", "W1", "--scan", BARCODES["B001"], BARCODES["M001"],
                "--clerk", "c01")
    assert wrong.returncode == 1
    assert "Wrong product: Australian wagyu sirloin is not on the pick list" in wrong.stderr
    after = json.loads(run(shop, "orders", "pick", "W1", "--json").stdout)
    assert after["lines"][0]["picked"] == 0  # the whole command was refused

    picked = run(shop, "orders", "pick", "W1", "--scan", BARCODES["B001"], BARCODES["B001"],
                 "d001", "--clerk", "c01")
    assert picked.returncode == 0, picked.stderr
    assert "Everything picked" in picked.stdout

    bad_slot = run(shop, "orders", "pack", "W1", "--zone", "ambient", "--slot", "F-01",
                   "--clerk", "c01")
    assert bad_slot.returncode == 1 and "Slot F-01 is for Chilled bags" in bad_slot.stderr
    packed = run(shop, "orders", "pack", "W1", "--zone", "ambient", "--slot", "A-01",
                 "--clerk", "c01", "--json")
    assert packed.returncode == 0, packed.stderr
    assert json.loads(packed.stdout)["board_status"] == "packed"
    assert json.loads(packed.stdout)["label_jobs"]
    zh = run(shop, "orders", "pack", "W1", "--zone", "chilled", "--slot", "F-03", "--clerk", "c01",
             "--no-label", lang="zh-CN")
    assert zh.returncode == 0 and "待取货" in zh.stdout
    ready = run(shop, "orders", "ready", "W1", "--clerk", "c01")
    assert ready.returncode == 0 and "ready for pickup" in ready.stdout
    store = Store.open(shop)
    try:
        assert orders.get_order(store.db, "W1").status == "ready"
        assert [j.payload["zone"] for j in print_jobs.jobs_for(store.db, "W1")] == ["ambient"]
    finally:
        store.close()
    labels = run(shop, "orders", "labels", "W1", "--clerk", "c01")
    assert labels.returncode == 0 and "queued" in labels.stdout


def test_short_pick_and_the_managers_decision_with_the_pin_kept_off_the_command_line(shop):
    short = run(shop, "orders", "pick", "W2", "--all", "--short", "M001:1", "--clerk", "c01")
    assert short.returncode == 0, short.stderr
    assert "W2" in short.stdout and "short" in short.stdout
    assert run(shop, "orders", "pick", "W2", "--short", "M001", "--clerk", "c01").returncode == 2
    no_pin = run(shop, "orders", "decide", "W2", "--ready-without", "--manager", "m01")
    assert no_pin.returncode == 1 and "STORE_EDGE_MANAGER_PIN" in no_pin.stderr
    clerk = run(shop, "orders", "decide", "W2", "--ready-without", "--manager", "c01",
                env={"STORE_EDGE_MANAGER_PIN": "1111"})
    assert clerk.returncode == 1 and "not a manager" in clerk.stderr
    wrong = run(shop, "orders", "decide", "W2", "--ready-without", "--manager", "m01",
                env={"STORE_EDGE_MANAGER_PIN": "0000"})
    assert wrong.returncode == 1 and "Wrong clerk id or PIN" in wrong.stderr
    ok = run(shop, "orders", "decide", "W2", "--ready-without", "--manager", "m01",
             env={"STORE_EDGE_MANAGER_PIN": "9999"})
    assert ok.returncode == 0, ok.stderr
    assert "ready without" in ok.stdout
    for zone, slot in (("ambient", "A-02"), ("frozen", "Z-02")):
        assert run(shop, "orders", "pack", "W2", "--zone", zone, "--slot", slot,
                   "--clerk", "c01").returncode == 0
    store = Store.open(shop)
    try:
        order = orders.get_order(store.db, "W2")
        assert order.status == "ready" and order.lines[1].qty_not_taken == 1
    finally:
        store.close()


def test_unknown_order_and_clerk_are_refused_and_slots_are_listed(shop):
    unknown = run(shop, "orders", "pick", "NOPE", "--all", "--clerk", "c01", lang="zh-CN")
    assert unknown.returncode == 1 and "没有这个订单" in unknown.stderr
    nobody = run(shop, "orders", "pick", "W1", "--all", "--clerk", "x99")
    assert nobody.returncode == 1 and "No such clerk" in nobody.stderr
    slots = json.loads(run(shop, "orders", "slots", "--zone", "chilled", "--json").stdout)
    assert [s["slot"] for s in slots][:2] == ["F-01", "F-02"]
