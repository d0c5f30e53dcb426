"""F4: an event HQ refused as malformed is listed as a conflict, and a manager sends it
again (R, confirmed) as a new event; a clerk cannot."""

from __future__ import annotations

from datetime import datetime, timezone

from edge.db import write_tx
from edge.domain import conflicts, outbox, sync_parked
from edge.i18n import t
from tests.support.ui_pilot import make_app, open_store, screen_text, settle


def test_a_manager_sends_a_parked_event_again_from_f4(data_dir, run):
    from edge.ui.screens.confirm import ConfirmScreen
    from edge.ui.screens.conflicts import ConflictsScreen

    store = open_store(data_dir)
    with write_tx(store.db):
        seq = outbox.append(store.db, type="audit.override", entity="order:X9", at=datetime.now(timezone.utc),
                            payload={"manager_id": "m01", "reason": "r", "action": "demo"})
    assert sync_parked.park(store.db, seq, "HTTP 413 too_large")
    before = outbox.pending_count(store.db)
    store.close()

    async def body(clerk_id: str) -> int:
        async with make_app(data_dir, clerk_id=clerk_id).run_test(size=(80, 24)) as pilot:
            await pilot.press("f4")
            await settle(pilot)
            assert isinstance(pilot.app.screen, ConflictsScreen)
            assert t("conflict.sync_parked", "zh-CN") in screen_text(pilot)
            table = pilot.app.screen.query_one("#conflicts-table")
            table.move_cursor(row=[c.kind for c in pilot.app.screen.rows].index("sync_parked"))
            await pilot.press("r")
            await settle(pilot)
            if clerk_id.startswith("m"):
                assert isinstance(pilot.app.screen, ConfirmScreen)
                assert f"#{seq}" in screen_text(pilot)
                await pilot.press("enter")
                await settle(pilot)
            assert isinstance(pilot.app.screen, ConflictsScreen)
            return sum(c.kind == "sync_parked" for c in pilot.app.screen.rows)

    assert run(body("c01")) == 1  # a clerk cannot: nothing changed
    store = open_store(data_dir)
    assert outbox.pending_count(store.db) == before
    store.close()
    assert run(body("m01")) == 0
    store = open_store(data_dir)
    try:
        assert outbox.pending_count(store.db) == before + 1
        [parked] = sync_parked.parked(store.db)
        assert parked.seq == seq and parked.retried_as > seq
        assert f"sync_parked:{seq}" not in {c.conflict_id for c in conflicts.open_conflicts(store.db)}
    finally:
        store.close()
