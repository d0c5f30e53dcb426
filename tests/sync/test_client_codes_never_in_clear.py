"""No pickup code is ever written in clear by the store: after a full demo-and-sync run, with
changes the store refuses among them, the raw database, its WAL and every log hold none."""
from __future__ import annotations

import logging
from datetime import timedelta

from edge import config as config_mod
from edge.clock import utcnow
from edge.db import DB_FILENAME
from edge.domain import hq_apply, sync_state
from sync import demo as hq_demo
from sync.client import SyncClient
from sync.pickup_code import make_pickup_code


def _refused_allocations(store) -> list[dict]:
    """order.allocated changes, as HQ sends them, that this store cannot apply (refused by
    the domain; not valid under the protocol)."""
    now = utcnow()
    base = {"channel": "live", "customer_masked": "王**", "phone_last4": "1234",
            "window_start": now.isoformat(), "window_end": (now + timedelta(hours=4)).isoformat(),
            "payment_status": "paid", "fulfilment": "pickup", "version": 1,
            "lines": [{"line_no": 1, "sku": "NO-SUCH-SKU", "name_zh": "无", "name_en": "none",
                       "qty": 1, "zone": "ambient", "unit_price_cents": 100}]}
    return [
        {**base, "order_no": "REFUSED-1", "store_id": store.store_id, "pickup_code": make_pickup_code(),
         "lines": []},
        {**base, "order_no": "REFUSED-2", "store_id": store.store_id, "pickup_code": make_pickup_code(),
         "window_end": 42},  # does not validate
    ]


def test_no_code_in_clear_after_a_demo_and_sync_run(tmp_path, wait_until, caplog):
    caplog.set_level(logging.DEBUG)
    data_dir = tmp_path / "demo"
    store = hq_demo.seed_with_hq(data_dir, n_orders=40)
    cfg = config_mod.load(data_dir)
    with hq_demo.running_demo_hq(data_dir, rate=20) as hq:
        client = SyncClient(store, hq.url, cfg.hq_token)

        def streamed() -> list[dict]:
            client.sync_once()
            return [c for c in hq_demo.demo_codes(store)
                    if c["scenario"] == "stream" and c["status"] != "unknown"]

        assert wait_until(lambda: len(streamed()) >= 2)
        client.close()
    refused = _refused_allocations(store)
    held = sync_state.position(store.db)
    changes = [{"change_id": f"bad-{i}", "cursor": held.cursor + i, "type": "order.allocated",
                "payload": payload} for i, payload in enumerate(refused, start=1)]
    result = hq_apply.apply_changes(store, changes, next_cursor=held.cursor + len(changes),
                                    epoch=held.epoch)
    assert [c for c, _ in result.skipped] == ["bad-1", "bad-2"]  # kept for a person to look at...

    codes = [c["code"] for c in hq_demo.demo_codes(store)] + [r["pickup_code"] for r in refused]
    assert len(codes) >= 40 + 2 + len(refused)  # seeded, streamed, refused
    raw = {p.name: p.read_bytes() for p in data_dir.glob(DB_FILENAME + "*")}
    assert any(name.endswith("-wal") for name in raw) or len(raw) >= 1
    raw.update({p.name: p.read_bytes() for p in data_dir.rglob("*.log")})
    rows = store.db.execute("SELECT payload FROM sync_skipped WHERE change_id LIKE 'bad-%'").fetchall()
    store.close()
    raw.update({p.name: p.read_bytes() for p in data_dir.glob(DB_FILENAME + "*")})  # after checkpoint
    logged = caplog.text
    for code in codes:
        for name, data in raw.items():
            assert code.encode() not in data, f"pickup code in clear in {name}"
        assert code not in logged, "pickup code in clear in the log"
    assert len(rows) == len(refused) and all("hmac:" in r[0] for r in rows)  # ...matchable by hash
