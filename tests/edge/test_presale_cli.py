"""Pre-sale from a shell (issue 11): `store-edge orders list --presale`, `stock receive --got`
for a short delivery, the pre-sale pool in `stock list`, and `stock presale-end`. A real
subprocess on a real store (the HQ side is covered end to end in tests/sync)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from edge.domain import hq_orders, presale, stock, transfers
from tests.support.edge_store import order_data

ROOT = Path(__file__).resolve().parents[2]


def cli(data_dir: Path, *args: str, pin: str | None = None, lang: str = "en") -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items()
           if k not in ("STORE_EDGE_DATA_DIR", "STORE_EDGE_CONFIG", "STORE_EDGE_MANAGER_PIN")}
    if pin is not None:
        env["STORE_EDGE_MANAGER_PIN"] = pin
    env["PYTHONPATH"] = str(ROOT)
    cmd = [sys.executable, "-m", "edge.cli", *args, "--data-dir", str(data_dir), "--lang", lang]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, cwd=ROOT, env=env,
                          stdin=subprocess.DEVNULL, start_new_session=True)


@pytest.fixture
def presold(store):
    """Transfer T-PS announced with 4 of its 10 B001 pre-sold; two pre-sale orders of 2 each."""
    transfers.announce(store.db, "T-PS", [{"sku": "B001", "lot": "PS1", "expiry": "2099-01-01",
                                           "qty": 10, "presale": 4}])
    for no in ("PS-1", "PS-2"):
        hq_orders.upsert_order(store, {**order_data(no, lines=[("B001", 2)]), "presale": True,
                                       "payment_status": "paid", "fulfilment": "pickup", "version": 1})
    return store


def test_waiting_orders_are_listed_and_a_short_delivery_releases_the_first(presold):
    store, data_dir = presold, presold.data_dir
    sellable = stock.levels(store.db, "B001").sellable
    listed = cli(data_dir, "orders", "list", "--presale", "--json")
    assert listed.returncode == 0, listed.stderr
    assert [(r["order_no"], r["status"]) for r in json.loads(listed.stdout)] == [
        ("PS-1", "waiting"), ("PS-2", "waiting")]

    bad = cli(data_dir, "stock", "receive", "T-PS", "--got", "B001=lots", "--clerk", "c01")
    assert bad.returncode == 2 and "--got" in bad.stderr
    too_many = cli(data_dir, "stock", "receive", "T-PS", "--got", "B001=11", "--clerk", "c01",
                   lang="zh-CN")
    assert too_many.returncode == 1 and "实收" in too_many.stderr
    assert transfers.get(store.db, "T-PS").status == "announced"  # refused: nothing changed

    got = cli(data_dir, "stock", "receive", "T-PS", "--got", "B001=3", "--clerk", "c01", "--json")
    assert got.returncode == 0, got.stderr
    body = json.loads(got.stdout)
    assert (body["presale_released"], body["presale_waiting"]) == (["PS-1"], ["PS-2"])
    assert body["lines"][0]["qty"] == 3 and body["lines"][0]["announced"] == 10

    rows = {r["sku"]: r for r in json.loads(cli(data_dir, "stock", "list", "--json").stdout)}
    pool = rows["B001"]["presale_pool"]
    assert (pool["arrived"], pool["held"], pool["waiting_orders"]) == (3, 1, 1)
    assert rows["B001"]["sellable"] == sellable  # the shelf: untouched by the short delivery
    text = cli(data_dir, "stock", "list", lang="zh-CN").stdout
    assert "预售商品" in text and "等货单" in text

    listed = json.loads(cli(data_dir, "orders", "list", "--presale", "--json").stdout)
    assert {r["order_no"]: r["status"] for r in listed} == {"PS-1": "new", "PS-2": "waiting"}

    ended = cli(data_dir, "stock", "presale-end", "B001", "--manager", "m01", "--json", pin="9999")
    assert ended.returncode == 0, ended.stderr
    assert json.loads(ended.stdout)["to_shelf"] == 1
    assert stock.levels(store.db, "B001").sellable == sellable + 1
    again = cli(data_dir, "stock", "presale-end", "B001", "--manager", "m01", pin="9999")
    assert again.returncode == 1 and "pre-sale" in again.stderr
    assert [o.order_no for o in presale.waiting_orders(store.db)] == ["PS-2"]
