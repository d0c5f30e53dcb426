"""Push contract, through a real server, on SQLite and PostgreSQL."""

from __future__ import annotations

import json

from sync.hq import service


def _move(move_id: str, qty: int, sku: str = "A1", kind: str = "receipt") -> dict:
    return {"move_id": move_id, "sku": sku, "qty": qty, "kind": kind}


def test_push_applies_in_seq_order_and_acks_through(hq_server):
    store = hq_server.add_store("S1")
    events = [store.event("stock.moved", _move(f"m{i}", i)) for i in range(1, 6)]
    r = store.push(events)
    assert r.status_code == 200
    body = r.json()
    assert body["acked_through"] == 5
    assert [x["outcome"] for x in body["results"]] == ["applied"] * 5
    assert service.stock_level(hq_server.db, "S1", "A1") == 15


def test_replayed_batch_is_duplicate_and_changes_nothing(hq_server):
    store = hq_server.add_store("S1")
    events = [store.event("stock.moved", _move("m1", 4)), store.event("bogus.type", {})]
    first = store.push(events).json()
    again = store.push(events).json()
    assert again["acked_through"] == 2
    assert [x["outcome"] for x in again["results"]] == ["duplicate", "duplicate"]
    assert [x["original_outcome"] for x in again["results"]] == ["applied", "rejected"]
    assert again["results"][1]["reason"] == first["results"][1]["reason"]
    assert service.stock_level(hq_server.db, "S1", "A1") == 4


def test_gap_is_409_with_expected_seq_and_nothing_applied(hq_server):
    store = hq_server.add_store("S1")
    store.push([store.event("stock.moved", _move("m1", 1))])
    store.event("stock.moved", _move("m2", 1))  # seq 2 never sent
    r = store.push([store.event("stock.moved", _move("m3", 1))])
    assert r.status_code == 409
    assert r.json()["error"] == "seq_gap" and r.json()["expected_seq"] == 2
    hole = store.push([store.log[1], store.event("stock.moved", _move("m5", 1))])  # seqs 2, 4
    assert hole.status_code == 409 and hole.json()["expected_seq"] == 2
    assert service.stock_level(hq_server.db, "S1", "A1") == 1
    ok = store.push(store.log[1:])
    assert ok.status_code == 200 and ok.json()["acked_through"] == 4


def test_business_rejections_are_recorded_and_advance(hq_server):
    store = hq_server.add_store("S1")
    bad_payload = store.event("stock.moved", {"move_id": "m", "sku": "A1", "qty": "lots", "kind": "sale"})
    unknown_type = store.event("coffee.brewed", {"cups": 2})
    too_new = store.event("stock.moved", _move("m9", 1))
    too_new["schema"] = 99
    unknown_order = store.event("order.handed_over", {"order_no": "NOPE", "clerk_id": "c1", "at": "x"})
    body = store.push([bad_payload, unknown_type, too_new, unknown_order]).json()
    assert body["acked_through"] == 4
    reasons = [(x["outcome"], x["reason"].split(":")[0]) for x in body["results"]]
    assert reasons == [("rejected", "invalid_payload"), ("rejected", "unknown_type"),
                       ("rejected", "unsupported_schema"), ("rejected", "unknown_order")]
    assert service.stock_level(hq_server.db, "S1", "A1") == 0


def test_event_id_reused_with_other_content_is_rejected(hq_server):
    store = hq_server.add_store("S1")
    first = store.event("stock.moved", _move("m1", 2))
    store.push([first])
    forged = store.event("stock.moved", _move("m2", 50), event_id=first["event_id"])
    result = store.push([forged]).json()["results"][0]
    assert result["outcome"] == "rejected" and result["reason"] == "event_id_reused_with_different_content"
    same = store.event("stock.moved", _move("m1", 2), event_id=first["event_id"])
    assert store.push([same]).json()["results"][0]["outcome"] == "duplicate"
    assert service.stock_level(hq_server.db, "S1", "A1") == 2


def test_seen_seq_with_other_event_is_reported_not_applied(hq_server):
    store = hq_server.add_store("S1")
    store.push([store.event("stock.moved", _move("m1", 2))])
    other = {**store.log[0], "event_id": "00000000-0000-4000-8000-000000000001", "payload": _move("mX", 9)}
    result = store.push([other]).json()["results"][0]
    assert result["outcome"] == "rejected" and result["reason"].startswith("seq_reused_by_other_event")
    assert service.stock_level(hq_server.db, "S1", "A1") == 2


def test_hq_restored_from_backup_asks_store_to_repush(hq_server):
    store = hq_server.add_store("S1")
    for i in range(1, 6):
        store.send("stock.moved", _move(f"m{i}", 1))
    with hq_server.db.tx() as tx:  # what restoring an older backup looks like to HQ
        tx.run("DELETE FROM events WHERE store_id = 'S1' AND seq > 2")
        tx.run("DELETE FROM stock_moves WHERE store_id = 'S1' AND event_seq > 2")
        tx.run("UPDATE stock_levels SET qty = 2 WHERE store_id = 'S1'")
        tx.run("UPDATE stores SET last_seq = 2 WHERE store_id = 'S1'")
    r = store.push([store.event("stock.moved", _move("m6", 1))])
    assert r.status_code == 409 and r.json()["expected_seq"] == 3
    r = store.push(store.log[2:])  # the store kept its acknowledged events
    assert r.status_code == 200 and r.json()["acked_through"] == 6
    assert service.stock_level(hq_server.db, "S1", "A1") == 6


def test_oversized_and_overlong_batches_are_refused(hq_server):
    store = hq_server.add_store("S1")
    many = [store.event("stock.moved", _move(f"m{i}", 1)) for i in range(1001)]
    r = store.push(many)
    assert r.status_code == 422
    big = [store.event("temperature.reading", {"reading_id": "r", "probe_id": "p", "celsius": 3.0,
                                               "at": "x" * 5_000_000})]
    r = store.client.post("/v1/sync/push", content=json.dumps({"events": big}), headers=store.headers)
    assert r.status_code == 413 and r.json()["error"] == "too_large"
    assert store.push([]).json()["acked_through"] == 0


def test_malformed_requests_are_4xx_and_change_nothing(hq_server):
    store = hq_server.add_store("S1")
    headers = {**store.headers, "Content-Type": "application/json"}
    for body in (b"{not json", b"[]", b'{"events": "x"}', b'{"events": [{"seq": 1}]}',
                 b'{"events": [{"event_id": "6f1c1a52-9a55-4c1a-9b49-0d5f0b2f3a10", "seq": "1", '
                 b'"type": "stock.moved", "payload": {}}]}'):
        r = store.client.post("/v1/sync/push", content=body, headers=headers)
        assert r.status_code == 422, body
        assert r.json()["error"] == "invalid_request" and r.json()["message"]
    assert store.push([]).json()["acked_through"] == 0


def test_auth_required_and_scoped(hq_server):
    store = hq_server.add_store("S1")
    channel = hq_server.add_channel("shop")
    c = hq_server.client
    assert c.post("/v1/sync/push", json={"events": []}).status_code == 401
    assert c.post("/v1/sync/push", json={"events": []}, headers={"Authorization": "Bearer nope"}).status_code == 401
    assert c.get("/v1/sync/pull", headers=channel.headers).status_code == 401
    assert c.post("/v1/orders", json={}, headers=store.headers).status_code == 401


def test_store_sees_and_changes_only_its_own_data(hq_server):
    hq_server.add_product("A1")
    s1, s2 = hq_server.add_store("S1"), hq_server.add_store("S2")
    channel, other_channel = hq_server.add_channel("shop"), hq_server.add_channel("other-shop")
    s1.send("allotment.granted", {"sku": "A1", "qty": 5})
    order_no = channel.place("S1", [("A1", 1)], paid=True).json()["order_no"]
    taken = s2.send("order.handed_over", {"order_no": order_no, "clerk_id": "intruder", "at": "now"})
    assert taken["outcome"] == "rejected" and taken["reason"] == "unknown_order"
    moved = s2.send("order.status_changed", {"order_no": order_no, "to": "ready"})
    assert moved["reason"] == "unknown_order"
    assert all(order_no not in json.dumps(c) for c in s2.pull_all())
    assert order_no not in s2.snapshot().text
    assert other_channel.pay(order_no).status_code == 404
    assert hq_server.client.get(f"/v1/orders/{order_no}", headers=other_channel.headers).status_code == 404
    view = hq_server.client.get(f"/v1/orders/{order_no}", headers=channel.headers).json()
    assert view["status"] == "allocated"


def test_same_seq_twice_in_a_batch_keeps_the_first(hq_server):
    store = hq_server.add_store("S1")
    first = store.event("stock.moved", _move("m1", 2))
    twin = {**first, "event_id": "00000000-0000-4000-8000-000000000002", "payload": _move("m2", 7)}
    body = store.push([first, first, twin]).json()
    assert body["acked_through"] == 1
    assert [(r["outcome"], r["event_id"]) for r in body["results"]] == [
        ("applied", first["event_id"]), ("rejected", twin["event_id"])]
    assert service.stock_level(hq_server.db, "S1", "A1") == 2
