"""Property: any reordering, duplication or replay of the same event batches, followed by
the client's normal catch-up from the expected seq, leaves HQ in the same state as one
clean in-order delivery."""

from __future__ import annotations

import tempfile
import uuid
from datetime import datetime, timezone
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sync.hq import ingest, registry, service
from sync.hq.db import open_database
from sync.hq.schema import migrate
from sync.protocol import CatalogItem, Event, PlaceOrderRequest, SeqGap

NOW = datetime(2026, 5, 1, 8, 0, tzinfo=timezone.utc)
ORDER_NO = "S1-T-000001"  # order series fixed at "T" in _fresh_db


def _events() -> list[Event]:
    payloads = [
        ("allotment.granted", {"sku": "A1", "qty": 5}),
        ("stock.moved", {"move_id": "m1", "sku": "A1", "qty": 10, "kind": "receipt"}),
        ("stock.moved", {"move_id": "m2", "sku": "A1", "qty": -12, "kind": "sale"}),
        ("temperature.reading", {"reading_id": "r1", "probe_id": "p", "celsius": 3.0, "at": "t"}),
        ("temperature.reading", {"reading_id": "r1", "probe_id": "p", "celsius": 8.0, "at": "t"}),
        ("task.updated", {"task_id": f"prep-{ORDER_NO}", "status": "done", "fields": {"shelf": "F1"}}),
        ("task.updated", {"task_id": f"prep-{ORDER_NO}", "status": "open", "fields": {"shelf": "F2"}}),
        ("order.status_changed", {"order_no": ORDER_NO, "to": "ready"}),
        ("order.handed_over", {"order_no": ORDER_NO, "clerk_id": "c", "at": "t"}),
        ("allotment.revoked", {"sku": "A1", "qty": 9}),
        ("stock.moved", {"move_id": "m3", "sku": "A1", "qty": 1, "kind": "count", "counted_base": -2}),
        ("no.such.type", {}),
    ]
    return [Event(event_id=str(uuid.UUID(int=i + 1)), seq=i + 1, type=t, payload=p)
            for i, (t, p) in enumerate(payloads)]


EVENTS = _events()


def _fresh_db(path: Path):
    db = open_database(f"sqlite:///{path}")
    migrate(db)
    registry.add_store(db, "S1", NOW)
    service.upsert_catalog_item(db, CatalogItem(sku="A1", name_zh="米", name_en="Rice", zone="ambient",
                                                price_cents=100), NOW)
    with db.tx() as tx:
        tx.run("INSERT INTO allotments (store_id, sku, pool, granted) VALUES ('S1', 'A1', 'on_hand', 1)")
        tx.run("UPDATE meta SET value = 'T' WHERE key = 'order_series'")
    service.place_order(db, PlaceOrderRequest(request_id="r", store_id="S1", customer_name="王",
                                              customer_phone="1380000", lines=[{"sku": "A1", "qty": 1}],
                                              paid=True), channel_name="c", channel_kind="live_stream", now=NOW)
    return db


def _state(db) -> dict:
    queries = {
        "events": "SELECT seq, event_id, outcome, reason FROM events ORDER BY seq",
        "stores": "SELECT last_seq, change_seq FROM stores",
        "moves": "SELECT move_id, qty FROM stock_moves ORDER BY move_id",
        "levels": "SELECT sku, qty FROM stock_levels ORDER BY sku",
        "allotments": "SELECT sku, pool, granted, locked, sold FROM allotments ORDER BY sku, pool",
        "tasks": "SELECT task_id, status, fields, version FROM tasks ORDER BY task_id",
        "readings": "SELECT reading_id, celsius FROM temperature_readings",
        "orders": "SELECT order_no, status, version FROM orders",
        "conflicts": "SELECT conflict_id, kind FROM conflicts ORDER BY conflict_id",
        "changes": "SELECT cursor, type FROM changes ORDER BY cursor",
    }
    with db.tx() as tx:
        return {name: tx.all(sql) for name, sql in queries.items()}


def _deliver_until_caught_up(db, batches: list[list[Event]]) -> None:
    for batch in batches:  # chaotic deliveries: 409s are simply ignored, as a lost reply would be
        ingest.push(db, "S1", batch, NOW)
    while True:  # the client's guarantee: keep pushing from the expected seq
        result = ingest.push(db, "S1", EVENTS, NOW)
        if not isinstance(result, SeqGap):
            return


def _reference() -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        db = _fresh_db(Path(tmp) / "ref.db")
        ingest.push(db, "S1", EVENTS, NOW)
        state = _state(db)
        db.close()
        return state


REFERENCE = _reference()

batch_bounds = st.lists(st.integers(min_value=0, max_value=len(EVENTS)), min_size=2, max_size=6)


@st.composite
def deliveries(draw) -> list[list[Event]]:
    """Batches cut from the event list, then shuffled, duplicated and partly replayed."""
    cuts = sorted(set(draw(batch_bounds)) | {0, len(EVENTS)})
    batches = [EVENTS[a:b] for a, b in zip(cuts, cuts[1:]) if b > a]
    batches += draw(st.lists(st.sampled_from(batches), max_size=4))  # duplicates
    return draw(st.permutations(batches))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(deliveries())
def test_any_reordering_duplication_replay_gives_same_state(tmp_path, batches):
    db = _fresh_db(tmp_path / f"{uuid.uuid4().hex}.db")
    try:
        _deliver_until_caught_up(db, batches)
        assert _state(db) == REFERENCE
    finally:
        db.close()
