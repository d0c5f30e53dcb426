"""POST /v1/orders through ``fast_order`` (a channel key seen lately, JSON) answers exactly as
the framework's route does: the same order, the same errors (same JSON), the same refusals."""

from __future__ import annotations

import json

from sync.hq import service


def _framework(channel, body: dict):
    """The same request as ``application/merge+json``: JSON to FastAPI, not to the fast path."""
    return channel.client.post("/v1/orders", content=json.dumps(body).encode(),
                               headers={**channel.headers, "Content-Type": "application/merge+json"})


def _body(request_id: str, qty: int = 1, **kw) -> dict:
    return {"request_id": request_id, "store_id": "S1", "customer_name": "王小明",
            "customer_phone": "13800138000", "lines": [{"sku": "A1", "qty": qty}], **kw}


def test_fast_and_framework_paths_answer_alike(hq_server):
    hq_server.add_product("A1")
    store = hq_server.add_store("S1")
    channel = hq_server.add_channel("live")
    store.send("allotment.granted", {"sku": "A1", "qty": 3})
    slow = _framework(channel, _body("r1"))  # first use of the key: looked up, then remembered
    fast = channel.client.post("/v1/orders", json=_body("r2"), headers=channel.headers)
    assert slow.status_code == fast.status_code == 201
    assert slow.json().keys() == fast.json().keys() and fast.json()["status"] == slow.json()["status"]
    again = channel.client.post("/v1/orders", json=_body("r2"), headers=channel.headers)
    assert again.json()["order_no"] == fast.json()["order_no"]  # idempotent on request_id, fast too
    refused = [_framework(channel, _body("r3", qty=5)),
               channel.client.post("/v1/orders", json=_body("r4", qty=5), headers=channel.headers)]
    assert [r.status_code for r in refused] == [409, 409] and refused[0].json() == refused[1].json()
    assert service.allotment(hq_server.db, "S1", "A1")["locked"] == 2


def test_refusals_with_a_known_key_keep_the_framework_answer(hq_server):
    hq_server.add_product("A1")
    hq_server.add_store("S1")
    channel = hq_server.add_channel("live")
    channel.place("S1", [("A1", 1)])  # the key is known from now on
    bad = channel.client.post("/v1/orders", json=_body("r1", qty=0), headers=channel.headers)
    assert bad.status_code == 422 and bad.json()["error"] == "invalid_request" and bad.json()["detail"]
    garbage = channel.client.post("/v1/orders", content=b"{not json", headers={
        **channel.headers, "Content-Type": "application/json"})
    assert garbage.status_code == 422 and garbage.json()["error"] == "invalid_request"
    courier = hq_server.add_channel("riders", kind="courier")
    answers = [courier.place("S1", [("A1", 1)]) for _ in range(2)]  # looked up, then remembered
    assert [a.status_code for a in answers] == [401, 401] and answers[0].json() == answers[1].json()
    unknown = channel.client.post("/v1/orders", json=_body("r9"), headers={"Authorization": "Bearer nope"})
    assert unknown.status_code == 401 and unknown.json()["error"] == "unauthorized"
