"""A hostile or broken store with a valid token, against a real HQ (SQLite and PostgreSQL).

No store can touch what is another store's (tasks, orders, bags, event ids), and no value a
store or a channel sends -- NUL, lone surrogates, numbers beyond 64 bits, NaN -- is ever a
5xx: it is a rejected event naming the field (the store's seq advances) or a 4xx.
"""

from __future__ import annotations

import json
import uuid

from conftest import new_event  # noqa: E402  (tests/sync is on sys.path)
from sync.hq import service
from sync.protocol import MAX_TEXT_CHARS

NUL = "\x00"


def _raw_push(store, events: list[dict]):
    """Push with our own encoder: ASCII escapes carry NUL and lone surrogates as JSON does."""
    return store.client.post("/v1/sync/push", content=json.dumps({"events": events}),
                             headers={**store.headers, "Content-Type": "application/json"})


def test_a_store_cannot_take_another_stores_task_or_bag(hq_server):
    hq_server.add_product("A1")
    s1, s2 = hq_server.add_store("S001"), hq_server.add_store("S002")
    channel = hq_server.add_channel("shop")
    s2.send("allotment.granted", {"sku": "A1", "qty": 10})

    # S001 names S002's next prep task and bag before the order exists, and its own too
    for task_id in ("prep-S002-000001", "prep-S001-000001", "neg-S002:A1:1"):
        result = s1.send("task.updated", {"task_id": task_id, "status": "in_progress", "fields": {"x": 1}})
        assert (result["outcome"], result["reason"]) == ("rejected", "unknown_task"), task_id
    bag = s1.send("bag.packed", {"order_no": "S002-000001", "zone": "chilled", "slot": "B1"})
    assert (bag["outcome"], bag["reason"]) == ("rejected", "unknown_order")

    # S002's orders still work, and S001 cannot touch them once they exist
    first = channel.place("S002", [("A1", 1)], paid=True)
    assert first.status_code == 201, first.text
    order_no = first.json()["order_no"]
    assert channel.place("S002", [("A1", 1)]).status_code == 201
    own = s1.send("task.updated", {"task_id": f"prep-{order_no}", "status": "done", "fields": {"x": 2}})
    assert (own["outcome"], own["reason"]) == ("rejected", "unknown_task")
    bag = s1.send("bag.packed", {"order_no": order_no, "zone": "chilled", "slot": "B9"})
    assert (bag["outcome"], bag["reason"]) == ("rejected", "unknown_order")
    sale = s1.send("sale.completed", {"sale_id": "x1", "lines": [{"sku": "A1", "qty": 1}], "total_cents": 100,
                                      "clerk_id": "c1", "with_pickup_order_no": order_no})
    assert (sale["outcome"], sale["reason"]) == ("applied", f"unknown_order_link:{order_no}")

    # S002 itself packs its bag: its prep task is untouched by S001 and takes the slot
    mine = s2.send("bag.packed", {"order_no": order_no, "zone": "chilled", "slot": "B2"})
    assert mine["outcome"] == "applied", mine
    tasks = {c["payload"]["task_id"]: c["payload"] for c in s2.pull_all() if c["type"] == "task.updated"}
    assert tasks[f"prep-{order_no}"]["status"] == "open"
    with hq_server.db.tx() as tx:
        fields = json.loads(tx.scalar("SELECT fields FROM tasks WHERE task_id = ?", (f"prep-{order_no}",)))
    assert fields == {"made_to_order": False, "bag_chilled": "B2"}


def test_a_store_creates_tasks_only_in_its_own_id_space(hq_server):
    """Tasks at HQ are keyed by id: a store that could create any id could take one another
    store uses later. It may create ``<its store id>:…`` only."""
    s1, s2 = hq_server.add_store("S001"), hq_server.add_store("S002")
    for task_id in ("S002:remind-1", "remind-1", "x"):
        taken = s1.send("task.updated", {"task_id": task_id, "status": "open", "fields": {}})
        assert (taken["outcome"], taken["reason"]) == ("rejected", "unknown_task"), task_id
    own = s1.send("task.updated", {"task_id": "S001:remind-1", "status": "open", "fields": {}})
    assert own["outcome"] == "applied", own
    theirs = s2.send("task.updated", {"task_id": "S002:remind-1", "status": "open", "fields": {}})
    assert theirs["outcome"] == "applied", theirs
    again = s2.send("task.updated", {"task_id": "S001:remind-1", "status": "done", "fields": {}})
    assert (again["outcome"], again["reason"]) == ("rejected", "unknown_task")


def test_event_ids_are_scoped_per_store(hq_server):
    s1, s2 = hq_server.add_store("S001"), hq_server.add_store("S002")
    shared = str(uuid.uuid4())
    first = s1.push([s1.event("alarm.raised", {"alarm_id": "a1", "probe_id": "p", "at": "t"}, event_id=shared)])
    assert first.json()["results"][0]["outcome"] == "applied"
    # S002 sending the same id with other content learns nothing about S001: it is applied
    other = s2.push([s2.event("alarm.raised", {"alarm_id": "a2", "probe_id": "q", "at": "t"}, event_id=shared)])
    assert other.json()["results"][0]["outcome"] == "applied", other.text
    # within one store the rule holds as before
    again = s1.push([s1.event("alarm.raised", {"alarm_id": "a3", "probe_id": "p", "at": "t"}, event_id=shared)])
    assert again.json()["results"][0]["reason"] == "event_id_reused_with_different_content"


def test_unstorable_values_are_rejected_events_naming_the_field(hq_server):
    hq_server.add_product("A1")
    store = hq_server.add_store("S001")
    move = {"move_id": "m1", "sku": "A1", "qty": 5, "kind": "receipt"}
    cases = {
        "lot_nul": ("stock.moved", {**move, "lot": f"L{NUL}1"}, {}),
        "sku_surrogate": ("stock.moved", {**move, "move_id": "m2", "sku": "A\ud8001"}, {}),
        "qty_2_63": ("stock.moved", {**move, "move_id": "m3", "qty": 2**63}, {}),
        "qty_2_62": ("stock.moved", {**move, "move_id": "m4", "qty": 2**62}, {}),
        "total_1e19": ("sale.completed", {"sale_id": "s1", "lines": [], "total_cents": 10**19,
                                          "clerk_id": "c"}, {}),
        "clerk_nul": ("order.handed_over", {"order_no": "S001-000001", "clerk_id": NUL, "at": "t"}, {}),
        "extra_key_nul": ("alarm.raised", {"alarm_id": "a", "probe_id": "p", "at": "t", f"k{NUL}": 1}, {}),
        "nan": ("temperature.reading", {"reading_id": "r", "probe_id": "p", "celsius": float("nan"), "at": "t"}, {}),
        "type_nul": (f"stock{NUL}.moved", {**move, "move_id": "m5"}, {}),
        "entity_nul": ("stock.moved", {**move, "move_id": "m6"}, {"entity": NUL}),
        "clock_surrogate": ("stock.moved", {**move, "move_id": "m7"}, {"store_clock": "\udfff"}),
        "payload_not_object": ("stock.moved", [1, 2], {}),
        "long_text": ("alarm.raised", {"alarm_id": "b", "probe_id": "p" * (MAX_TEXT_CHARS + 1), "at": "t"}, {}),
    }
    events = []
    for kind, payload, envelope in cases.values():
        event = store.event(kind, {})
        event.update(envelope, payload=payload)
        events.append(event)
    good = store.event("stock.moved", {**move, "move_id": "ok", "qty": 2})
    r = _raw_push(store, [*events, good])
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["acked_through"] == len(cases) + 1
    results = dict(zip(cases, body["results"]))
    for name, result in results.items():
        assert result["outcome"] == "rejected", (name, result)
    assert "lot:nul" in results["lot_nul"]["reason"]
    assert "sku:surrogate" in results["sku_surrogate"]["reason"]
    assert "qty:int64" in results["qty_2_63"]["reason"]
    assert results["qty_2_62"]["reason"].startswith("invalid_payload:qty")
    assert "total_cents" in results["total_1e19"]["reason"]
    assert "clerk_id:nul" in results["clerk_nul"]["reason"]
    assert ":key" in results["extra_key_nul"]["reason"]
    assert "celsius:not_finite" in results["nan"]["reason"]
    assert results["type_nul"]["reason"].startswith("invalid_event:type")
    assert results["entity_nul"]["reason"].startswith("invalid_event:entity")
    assert results["clock_surrogate"]["reason"].startswith("invalid_event:store_clock")
    assert results["payload_not_object"]["reason"].startswith("invalid_event:payload")
    assert "too_long" in results["long_text"]["reason"]
    assert body["results"][-1]["outcome"] == "applied"
    assert service.stock_level(hq_server.db, "S001", "A1") == 2

    # replaying the same batch repeats the outcomes; the queue goes on
    again = _raw_push(store, [*events, good]).json()
    assert [r["outcome"] for r in again["results"]] == ["duplicate"] * (len(cases) + 1)
    assert store.send("stock.moved", {**move, "move_id": "next", "qty": 1})["outcome"] == "applied"


def test_an_event_that_cannot_be_named_refuses_the_batch_with_a_4xx(hq_server):
    store = hq_server.add_store("S001")
    bad_seq = new_event(1, "stock.moved", {})
    bad_seq["seq"] = 2**64
    r = _raw_push(store, [bad_seq])
    assert r.status_code == 422 and "events[0]" in r.json()["message"]
    nul_id = new_event(1, "stock.moved", {}, event_id=f"{uuid.uuid4()}{NUL}")
    assert _raw_push(store, [nul_id]).status_code == 422
    assert store.push([]).json()["acked_through"] == 0


def test_a_value_the_database_refuses_after_all_is_a_rejected_event(hq_server):
    """The safety net: a check HQ does not make (here a level pushed to the edge of 64 bits
    behind its back) rejects that event only; the rest of the batch is applied."""
    hq_server.add_product("A1")
    store = hq_server.add_store("S001")
    with hq_server.db.tx() as tx:
        tx.run("INSERT INTO stock_levels (store_id, sku, qty) VALUES ('S001', 'A1', ?)", (2**63 - 1,))
    events = [store.event("stock.moved", {"move_id": "m1", "sku": "A1", "qty": 1, "kind": "receipt"}),
              store.event("alarm.raised", {"alarm_id": "a1", "probe_id": "p", "at": "t"})]
    r = store.push(events)
    assert r.status_code == 200, r.text
    first, second = r.json()["results"]
    if hq_server.db.dialect == "postgresql":  # SQLite turns the overflowing sum into a REAL
        assert (first["outcome"], first["reason"]) == ("rejected", "not_storable:NumericValueOutOfRange")
    assert second["outcome"] == "applied"
    assert r.json()["acked_through"] == 2


def test_order_intake_refuses_unstorable_values_with_a_4xx(hq_server):
    hq_server.add_product("A1")
    store = hq_server.add_store("S001")
    channel = hq_server.add_channel("shop")
    store.send("allotment.granted", {"sku": "A1", "qty": 10})
    bad = {"customer_name": f"王{NUL}", "customer_phone": "1380013\ud8008000", "request_id": NUL,
           "store_id": f"S001{NUL}", "window_start": f"2026-01-01T00:00:00{NUL}",
           "window_end": "0001-01-01T00:00:00+01:00"}
    for field, value in bad.items():
        body = {"request_id": str(uuid.uuid4()), "store_id": "S001", "customer_name": "王小明",
                "customer_phone": "13800138000", "lines": [{"sku": "A1", "qty": 1}], field: value}
        r = hq_server.client.post("/v1/orders", content=json.dumps(body),
                                  headers={**channel.headers, "Content-Type": "application/json"})
        assert 400 <= r.status_code < 500, (field, r.status_code, r.text)
        assert r.json()["error"], field
    for lines in ([{"sku": "A1", "qty": 10**19}], [{"sku": f"A{NUL}", "qty": 1}], [{"sku": "A1", "qty": 2**64}]):
        r = hq_server.client.post(
            "/v1/orders", content=json.dumps({"request_id": "r", "store_id": "S001", "customer_name": "x",
                                              "customer_phone": "13800138000", "lines": lines}),
            headers={**channel.headers, "Content-Type": "application/json"})
        assert r.status_code == 422, (lines, r.text)
    for path in ("/v1/orders/S001%00", "/v1/orders/%ED%A0%80", "/v1/orders/S001%00/pay"):
        r = hq_server.client.request("POST" if path.endswith("pay") else "GET", path, headers=channel.headers)
        assert 400 <= r.status_code < 500, (path, r.status_code, r.text)
    r = channel.place("S001", [("A1", 1)], customer_name="王小明")
    assert r.status_code == 201, r.text


def test_error_answers_are_json_and_say_what_is_allowed(hq_server):
    store = hq_server.add_store("S001")
    r = hq_server.client.get("/v1/sync/push", headers=store.headers)
    assert r.status_code == 405 and r.headers["allow"] == "POST" and r.json()["error"] == "method_not_allowed"
    r = hq_server.client.delete("/v1/orders", headers=store.headers)
    assert r.status_code == 405 and "POST" in r.headers["allow"]
    for content_type in ("text/plain", "application/x-www-form-urlencoded", None):
        headers = {**store.headers, **({"Content-Type": content_type} if content_type else {})}
        r = hq_server.client.post("/v1/sync/push", content=b'{"events": []}', headers=headers)
        assert r.status_code == 415 and r.json()["error"] == "unsupported_media_type", content_type
    r = hq_server.client.post("/v1/sync/push", content=b'{"events": []}',
                              headers={**store.headers, "Content-Type": "application/json; charset=utf-8"})
    assert r.status_code == 200


def test_a_crash_inside_hq_is_still_a_json_answer(hq_server, monkeypatch):
    from sync.hq import changes

    store = hq_server.add_store("S001")

    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(changes, "pull", broken)
    r = hq_server.client.get("/v1/sync/pull", headers=store.headers)
    assert r.status_code == 500 and r.headers["content-type"] == "application/json"
    assert r.json()["error"] == "internal_error" and "a bug" not in r.text
