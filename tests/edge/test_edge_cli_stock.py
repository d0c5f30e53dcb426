"""`store-edge stock …` as an operator or a script runs it: a real subprocess on a real store.

Exit codes as `pickup`: 0 done, 1 refused (nothing changed), 2 bad usage. A manager's PIN
comes from the terminal or STORE_EDGE_MANAGER_PIN, never from the command line.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from edge.domain import outbox, stock, transfers
from tests.support.edge_store import ALLOTMENT, dump

ROOT = Path(__file__).resolve().parents[2]


def run(data_dir: Path, *args: str, pin: str | None = None, lang: str = "en") -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items()
           if k not in ("STORE_EDGE_DATA_DIR", "STORE_EDGE_CONFIG", "STORE_EDGE_MANAGER_PIN")}
    if pin is not None:
        env["STORE_EDGE_MANAGER_PIN"] = pin
    env["PYTHONPATH"] = str(ROOT)
    cmd = [sys.executable, "-m", "edge.cli", "stock", *args, "--data-dir", str(data_dir), "--lang", lang]
    # no controlling terminal and no stdin: a PIN prompt gets nothing instead of hanging
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, cwd=ROOT, env=env,
                          stdin=subprocess.DEVNULL, start_new_session=True)


@pytest.fixture
def shop(store):
    return store, store.data_dir


def test_list_shows_every_account_per_sku_and_lot(shop):
    store, data_dir = shop
    proc = run(data_dir, "list", "--json")
    assert proc.returncode == 0, proc.stderr
    rows = {r["sku"]: r for r in json.loads(proc.stdout)}
    b = rows["B001"]
    assert (b["on_hand"], b["allotment"], b["reserved"], b["sellable"]) == (50, ALLOTMENT, 0, 50 - ALLOTMENT)
    assert [(lot["lot"], lot["expiry"], lot["on_hand"]) for lot in b["lots"]] == [
        ("L-early", "2026-06-03", 20), ("L-late", "2026-06-10", 30)]
    assert not b["negative"]
    text = run(data_dir, "list", lang="zh-CN")
    assert text.returncode == 0 and "法式牛角包" in text.stdout and "L-early" in text.stdout


def test_near_expiry_uses_the_configured_window_and_suggests_a_markdown(shop):
    _store, data_dir = shop
    (data_dir / "store-edge.toml").write_text("[stock]\nnear_expiry_days = 60\n", encoding="utf-8")
    proc = run(data_dir, "list", "--near-expiry", "--json")
    assert proc.returncode == 0, proc.stderr
    body = json.loads(proc.stdout)
    assert body["within_days"] == 60 and "50%" in body["rule"]
    today = date.fromisoformat(body["today"])
    for lot in body["lots"]:
        left = (date.fromisoformat(lot["expiry"]) - today).days
        assert lot["days_left"] == left <= 60
        assert lot["expired"] == (left < 0)
    (data_dir / "store-edge.toml").write_text("[stock]\nnear_expiry_days = 0\n", encoding="utf-8")
    bad = run(data_dir, "list", "--near-expiry")
    assert bad.returncode == 2 and "near_expiry_days" in bad.stderr


def test_count_that_finds_less_takes_units_back_from_hq(shop):
    store, data_dir = shop
    proc = run(data_dir, "count", "B001", "--counted", "10", "--manager", "m01", "--json", pin="9999")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert (out["on_hand"], out["allotment"], out["based_on"]) == (10, 10, 50)
    revoked = [e["payload"]["qty"] for e in outbox.events(store.db, limit=10_000)
               if e["type"] == "allotment.revoked"]
    assert revoked == [ALLOTMENT - 10]


def test_adjust_grant_revoke_and_receive(shop):
    store, data_dir = shop
    assert run(data_dir, "adjust", "D001", "--qty", "-2", "--reason", "damaged", "--manager", "m01",
               pin="9999").returncode == 0
    assert stock.levels(store.db, "D001").on_hand == 48
    proc = run(data_dir, "grant", "D001", "--qty", "5", "--manager", "m01", pin="9999", lang="zh-CN")
    assert proc.returncode == 0 and "D001" in proc.stdout, proc.stderr
    assert run(data_dir, "revoke", "D001", "--qty", "7", "--manager", "m01", pin="9999").returncode == 0
    assert stock.levels(store.db, "D001").allotment == ALLOTMENT + 5 - 7
    proc = run(data_dir, "receive", "--sku", "d001", "--lot", "L-new", "--qty", "12",
               "--expiry", "2026-06-30", "--clerk", "c01", "--json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["on_hand"] == 60
    transfers.announce(store.db, "T-9", [{"sku": "M001", "lot": "T9", "qty": 6}])
    proc = run(data_dir, "receive", "T-9", "--clerk", "c01")
    assert proc.returncode == 0 and "T-9" in proc.stdout, proc.stderr
    assert stock.levels(store.db, "M001").on_hand == 56


@pytest.mark.parametrize("args, pin, code, says", [
    (["count", "NOPE", "--counted", "1", "--manager", "m01"], "9999", 1, "No such product"),
    (["count", "B001", "--counted", "-1", "--manager", "m01"], "9999", 1, "Invalid quantity"),
    (["count", "B001", "--counted", "3", "--manager", "c01"], "1111", 1, "not a manager"),
    (["adjust", "B001", "--qty", "0", "--reason", "damaged", "--manager", "m01"], "9999", 1, "Invalid quantity"),
    (["adjust", "B001", "--qty", "-1", "--reason", "stolen", "--manager", "m01"], "9999", 1, "adjustment reason"),
    (["adjust", "B001", "--qty", "-1", "--reason", "lost", "--lot", "L\x01", "--manager", "m01"], "9999", 1, "lot code"),
    (["grant", "B001", "--qty", "21", "--manager", "m01"], "9999", 1, "Not enough sellable"),
    (["revoke", "B001", "--qty", "31", "--manager", "m01"], "9999", 1, "cannot take back"),
    (["revoke", "B001", "--qty", "0", "--manager", "m01"], "9999", 1, "Invalid quantity"),
    (["revoke", "B001", "--qty", "1", "--manager", "m01"], None, 1, "STORE_EDGE_MANAGER_PIN"),
    (["revoke", "B001", "--qty", "1", "--manager", "m01"], " ", 1, "Enter your PIN"),
    (["revoke", "B001", "--qty", "1", "--manager", "m01", "--manager-pin", "9999"], "9999", 2, "unrecognized"),
    (["grant", "B001", "--qty", "two", "--manager", "m01"], "9999", 2, "invalid int"),
    (["receive", "--clerk", "c01"], None, 2, "transfer id"),
    (["receive", "T-404", "--clerk", "c01"], None, 1, "No such transfer"),
    (["receive", "--sku", "B001", "--lot", "L9", "--qty", "3", "--expiry", "30/06", "--clerk", "c01"], None, 1,
     "expiry date"),
    (["receive", "--sku", "B001", "--lot", "L9", "--qty", "3", "--clerk", "c77"], None, 1, "No such clerk"),
])
def test_bad_input_is_refused_with_the_right_exit_code_and_changes_nothing(shop, args, pin, code, says):
    store, data_dir = shop
    before = dump(store.db)
    proc = run(data_dir, *args, pin=pin)
    assert proc.returncode == code, (proc.stdout, proc.stderr)
    assert says in proc.stderr
    assert dump(store.db) == before


def test_a_wrong_pin_is_refused_and_stock_is_untouched(shop):
    store, data_dir = shop
    before = stock.levels(store.db, "B001")
    proc = run(data_dir, "revoke", "B001", "--qty", "1", "--manager", "m01", pin="0000", lang="zh-CN")
    assert proc.returncode == 1 and "密码" in proc.stderr
    assert stock.levels(store.db, "B001") == before


def test_a_directory_that_is_not_a_store_is_bad_usage(tmp_path):
    proc = run(tmp_path / "nothing", "list")
    assert proc.returncode == 2 and "not a store data directory" in proc.stderr


def test_the_demo_has_a_transfer_waiting_that_the_shell_receives(tmp_path):
    data_dir = tmp_path / "demo"
    env = {k: v for k, v in os.environ.items() if k not in ("STORE_EDGE_DATA_DIR", "STORE_EDGE_CONFIG")}
    env["PYTHONPATH"] = str(ROOT)
    seeded = subprocess.run([sys.executable, "-m", "edge.cli", "demo", "--seed-only", "--orders", "20",
                             "--data-dir", str(data_dir)], capture_output=True, text=True,
                            timeout=300, cwd=ROOT, env=env)
    assert seeded.returncode == 0, seeded.stderr
    before = {r["sku"]: r["on_hand"] for r in json.loads(run(data_dir, "list", "--json").stdout)}
    proc = run(data_dir, "receive", "TR-DEMO-01", "--clerk", "c01", "--json")
    assert proc.returncode == 0, proc.stderr
    lines = json.loads(proc.stdout)["lines"]
    after = {r["sku"]: r["on_hand"] for r in json.loads(run(data_dir, "list", "--json").stdout)}
    for line in lines:
        assert after[line["sku"]] == before[line["sku"]] + line["qty"]
    again = run(data_dir, "receive", "TR-DEMO-01", "--clerk", "c01")
    assert again.returncode == 1 and "already received" in again.stderr
