"""``store-edge prep suggest|accept|done``: the prep panel from a shell, PINs never in argv,
refusals with exit 1 and nothing changed."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from edge.cli import main
from edge.clock import utcnow
from edge.domain import clerks, prep, stock
from edge.domain.sales import SaleLine, sell
from edge.store import init_store
from tests.support.edge_store import dump


@pytest.fixture
def shop(tmp_path):
    s = init_store(tmp_path / "store", "S001", "静安寺店", "Jing'an Temple")
    s.db.execute("INSERT INTO products (sku, name_zh, name_en, zone, price_cents, shelf_life_days)"
                 " VALUES ('BRD1', '牛角包', 'Croissant', 'ambient', 1200, 2)")
    clerks.add_clerk(s.db, "c01", "王芳", "1111")
    clerks.add_clerk(s.db, "m01", "张经理", "9999", role="manager")
    now = utcnow()
    stock.receive(s.db, sku="BRD1", lot="L0", qty=50, actor="m01", now=now - timedelta(weeks=5))
    for weeks in (1, 2, 3, 4):  # 12 croissants the next hour on each of the last four same weekdays
        sell(s, [SaleLine("BRD1", 12)], "c01", now=now - timedelta(weeks=weeks) + timedelta(hours=1))
    yield s
    s.close()


def _run(store, capsys, *argv: str) -> tuple[int, str, str]:
    code = main([*argv, "--data-dir", str(store.data_dir), "--lang", "en"])
    out, err = capsys.readouterr()
    return code, out, err


def test_suggest_accept_done(shop, capsys, monkeypatch):
    code, out, _ = _run(shop, capsys, "prep", "suggest", "--json")
    [s] = json.loads(out)["suggestions"]
    assert code == 0 and s["sku"] == "BRD1" and s["prep"] > 0 and s["hours"][0]["method"] == "weekday"
    assert s["how"][-1].endswith(f"→ prep {s['prep']}")
    code, out, _ = _run(shop, capsys, "prep", "suggest", "--hours", "2")
    assert code == 0 and "4-wk median 12" in out and "BRD1" in out

    before = dump(shop)
    monkeypatch.setenv("STORE_EDGE_MANAGER_PIN", "0000")
    code, _, err = _run(shop, capsys, "prep", "accept", "BRD1", "--manager", "m01")
    assert code == 1 and "PIN" in err
    monkeypatch.setenv("STORE_EDGE_MANAGER_PIN", "1111")
    code, _, err = _run(shop, capsys, "prep", "accept", "BRD1", "--manager", "c01")
    assert code == 1 and "manager" in err
    monkeypatch.setenv("STORE_EDGE_MANAGER_PIN", "9999")
    code, _, err = _run(shop, capsys, "prep", "accept", "NOPE", "--manager", "m01")
    assert code == 1 and "NOPE: nothing to prepare" in err
    code, _, err = _run(shop, capsys, "prep", "suggest", "--hours", "0")
    assert code == 1 and "out of range" in err
    after = dump(shop)
    assert (after["tasks"], after["outbox"]) == (before["tasks"], before["outbox"])

    code, out, _ = _run(shop, capsys, "prep", "accept", "BRD1", "--manager", "m01", "--json")
    [task] = json.loads(out)["tasks"]
    assert code == 0 and task["qty"] == s["prep"] and task["task_id"].startswith("S001:prep-")
    code, out, _ = _run(shop, capsys, "prep", "done", task["task_id"], "--clerk", "c01")
    assert code == 0 and "booked into stock" in out
    assert prep.open_tasks(shop.db) == []
