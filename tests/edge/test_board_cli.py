"""``store-edge orders list|remind|extend|return``: the board and overdue pickups from a shell,
with the exit codes of ``pickup`` (0 done, 1 refused and nothing changed, 2 bad usage)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from edge.cli import main
from edge.clock import utcnow
from edge.domain import orders
from tests.support.edge_store import dump


@pytest.fixture
def shop(store, make_order):
    now = utcnow()
    make_order("OPEN-1", ready=False, window_start=now + timedelta(hours=1),
               window_end=now + timedelta(hours=6))
    make_order("LATE-1", window_start=now - timedelta(hours=8), window_end=now - timedelta(hours=2))
    orders.mark_overdue(store.db)
    return store


def _run(store, capsys, *argv: str) -> tuple[int, str, str]:
    code = main([*argv, "--data-dir", str(store.data_dir), "--lang", "en"])
    out, err = capsys.readouterr()
    return code, out, err


def test_list_by_status_and_overdue(shop, capsys):
    code, out, _ = _run(shop, capsys, "orders", "list", "--json")
    listed = {o["order_no"]: o for o in json.loads(out)}
    assert code == 0 and set(listed) == {"OPEN-1", "LATE-1"}
    assert listed["OPEN-1"]["status"] == "new" and not listed["OPEN-1"]["overdue"]
    assert listed["LATE-1"]["overdue"] and listed["LATE-1"]["phone_last4"] == "1234"
    code, out, _ = _run(shop, capsys, "orders", "list", "--overdue")
    assert code == 0 and "LATE-1" in out and "OPEN-1" not in out and "over" in out
    code, out, _ = _run(shop, capsys, "orders", "list", "--status", "new", "--json")
    assert [o["order_no"] for o in json.loads(out)] == ["OPEN-1"]
    code, _, err = _run(shop, capsys, "orders", "list", "--status", "bogus")
    assert code == 2 and "Unknown status: bogus" in err


def test_remind_extend_and_refusals(shop, capsys):
    code, out, _ = _run(shop, capsys, "orders", "remind", "LATE-1", "--clerk", "c01")
    assert code == 0 and "remind the customer" in out
    before = dump(shop)
    code, _, err = _run(shop, capsys, "orders", "remind", "LATE-1", "--clerk", "c01")
    assert code == 1 and "try again later" in err
    code, _, err = _run(shop, capsys, "orders", "extend", "LATE-1", "--until", "soon",
                        "--clerk", "c01")
    assert code == 2 and "Not a time: soon" in err
    code, _, err = _run(shop, capsys, "orders", "extend", "LATE-1", "--until",
                        "2099-01-01T20:00", "--clerk", "nobody")
    assert code == 1 and "No such clerk" in err
    assert dump(shop) == before  # every refusal left the store as it was
    code, out, _ = _run(shop, capsys, "orders", "extend", "LATE-1", "--until", "2099-01-01T20:00",
                        "--clerk", "c01", "--json")
    assert code == 0 and json.loads(out)["status"] == "ready"


def test_return_needs_a_managers_pin_never_on_the_command_line(shop, capsys, monkeypatch):
    monkeypatch.delenv("STORE_EDGE_MANAGER_PIN", raising=False)
    before = dump(shop)
    code, _, err = _run(shop, capsys, "orders", "return", "LATE-1", "--manager", "m01")
    assert code == 1 and "STORE_EDGE_MANAGER_PIN" in err  # no terminal here: says how
    monkeypatch.setenv("STORE_EDGE_MANAGER_PIN", "1111")
    code, _, err = _run(shop, capsys, "orders", "return", "LATE-1", "--manager", "c01")
    assert code == 1 and "not a manager" in err
    monkeypatch.setenv("STORE_EDGE_MANAGER_PIN", "9999")
    code, _, err = _run(shop, capsys, "orders", "return", "OPEN-1", "--manager", "m01")
    assert code == 1 and "not overdue" in err
    assert dump(shop) == before
    code, out, _ = _run(shop, capsys, "orders", "return", "LATE-1", "--manager", "m01", "--json")
    assert code == 0 and json.loads(out) == {"ok": True, "order_no": "LATE-1", "status": "returned"}
    assert orders.get_order(shop.db, "LATE-1").status == "returned"
