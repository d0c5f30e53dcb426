"""The day-end report travels to a real HQ on loopback (SQLite and PostgreSQL) through the
store's sync client, is kept per store and day (latest wins), and no store can file one for
another."""

from __future__ import annotations

import json

from edge.domain import day_end
from sync.client import SyncClient
from sync.hq import service
from sync.hq.cli import main as hq_main
from tests.support.day_end_script import DAY, MANAGER, TZ, at, script_day


def _push(store, hq_server, token: str):
    client = SyncClient(store, hq_server.url, token, timeout=10)
    try:
        report = client.sync_once()
    finally:
        client.close()
    assert report.ok, report
    return report


def test_day_end_reaches_hq_and_the_latest_report_of_a_day_is_kept(store, hq_server, capsys):
    script_day(store)
    token = hq_server.add_store("S001").token
    first = day_end.day_end(store, DAY, TZ, actor=MANAGER, now=at(15))
    day_end.send_day_end(store, first, actor=MANAGER, now=at(15, 1))
    _push(store, hq_server, token)
    [kept] = service.day_reports(hq_server.db, "S001", "2026-06-01")
    assert {k: kept[k] for k in first.as_dict()} == json.loads(json.dumps(first.as_dict()))
    assert kept["sent_by"] == MANAGER
    assert day_end.last_sent(store.db, "2026-06-01")[1] is True  # HQ acknowledged it

    # a late record changes the day; sent again, HQ keeps the newer figures
    from edge.domain import stock

    stock.adjust(store.db, sku="B001", qty=-1, reason="damaged", actor=MANAGER, now=at(11))
    second = day_end.day_end(store, DAY, TZ, actor=MANAGER, now=at(15, 30))
    day_end.send_day_end(store, second, actor=MANAGER, now=at(15, 31))
    _push(store, hq_server, token)
    [kept] = service.day_reports(hq_server.db, "S001")
    assert kept["stock_differences"][0] == {"kind": "adjustment", "reason": "damaged",
                                            "actions": 2, "units": -3}
    assert kept["generated_at"] == "2026-06-01T15:30:00.000+00:00"

    assert hq_main(["--data-dir", "/nonexistent", "hq", "day-end", "S001", "--db", hq_server.db_url,
                    "--json"]) == 0
    [shown] = json.loads(capsys.readouterr().out)
    assert shown["day"] == "2026-06-01" and shown["pickups_due"] == 6
    assert hq_main(["hq", "day-end", "S001", "--db", hq_server.db_url]) == 0
    assert "handed over 5/6" in capsys.readouterr().out


def test_a_store_cannot_file_a_report_for_another_store(store, hq_server):
    script_day(store)
    report = day_end.day_end(store, DAY, TZ, actor=MANAGER, now=at(15))
    hq_server.add_store("S001")
    other = hq_server.add_store("S002")
    result = other.send("report.day_end", report.as_dict())
    assert (result["outcome"], result["reason"]) == ("rejected", "store_mismatch")
    bad = other.send("report.day_end", {**report.as_dict(), "store_id": "S002", "pickups_due": -1})
    assert bad["outcome"] == "rejected" and "pickups_due" in bad["reason"]
    assert service.day_reports(hq_server.db, "S001") == []
    assert service.day_reports(hq_server.db, "S002") == []


def test_hostile_day_end_reports_are_refused_by_name_never_a_5xx(store, hq_server):
    script_day(store)
    good = day_end.day_end(store, DAY, TZ, actor=MANAGER, now=at(15)).as_dict()
    agent = hq_server.add_store("S001")
    hostile = [  # (payload, the field HQ must name)
        ({**good, "timezone": "Asia/\ud800Shanghai"}, "timezone"),  # a lone surrogate
        ({**good, "excursions": [{**good["excursions"][0], "fridge": "冷\x00柜"}]}, "fridge"),
        ({**good, "excursions": [{**good["excursions"][0], "peak_c": float("nan")}]}, "peak_c"),
        ({**good, "pickups_due": 2**70}, "pickups_due"),
        ({**good, "day": "2026-06-01\x00"}, "day"),
        ({**good, "payments": "cash"}, "payments"),
    ]
    for payload, field in hostile:  # sent as JSON text with escapes, as a hostile peer can
        body = json.dumps({"events": [agent.event("report.day_end", payload)]})
        response = agent.client.post("/v1/sync/push", content=body, headers={
            **agent.headers, "Content-Type": "application/json"})
        assert response.status_code < 500, response.text
        if response.status_code == 200:
            [result] = response.json()["results"]
            assert result["outcome"] == "rejected" and field in result["reason"], result
        else:  # refused as a whole (not JSON HQ reads): the seq was not used
            agent.next_seq -= 1
    assert service.day_reports(hq_server.db, "S001") == []
    assert agent.send("report.day_end", good)["outcome"] == "applied"
    assert service.day_reports(hq_server.db, "S001", "2026-06-01")[0]["pickups_due"] == 6
