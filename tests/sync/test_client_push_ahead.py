"""The push sends the next batch before HQ has answered the one before it (sync.client.push).

A batch that overtakes its predecessor on the way is answered seq_gap with nothing applied
and is sent again in its turn; with requests also lost, duplicated, replayed and delayed,
every event still lands at HQ exactly once and in seq order.
"""

from __future__ import annotations

import asyncio
import random

from conftest_client import PRODUCTS, edge, hq  # noqa: F401

from edge.domain import sales
from sync import protocol as p
from sync.client import SyncClient
from tests.support.fault_proxy import FaultProxy, Faults


class FirstPushHeldBack(FaultProxy):
    """Holds the first push back, so the batch sent ahead of it reaches HQ first; records
    the status HQ gave every push."""

    def __init__(self, upstream: str) -> None:
        super().__init__(upstream)
        self.push_statuses: list[int] = []
        self._held = False
        self._overtaken: asyncio.Event | None = None

    async def _serve(self, request, writer) -> bool:
        if request.target == p.PUSH_PATH and not self._held:
            self._held = True
            self._overtaken = asyncio.Event()
            # until the batch sent ahead has had HQ's answer (a sleep lost that race under load);
            # the timeout only catches a client that never sends ahead
            await asyncio.wait_for(self._overtaken.wait(), timeout=30)
        return await super()._serve(request, writer)

    async def _forward(self, request):
        response = await super()._forward(request)
        if response is not None and request.target == p.PUSH_PATH:
            self.push_statuses.append(response.status_code)
            if self._overtaken is not None:
                self._overtaken.set()
        return response


def _sell(store, n: int) -> None:
    rng = random.Random(5)
    for _ in range(n):
        sales.sell(store, [sales.SaleLine(rng.choice(PRODUCTS)[0], 1)], "c01")


def _hq_events(hq) -> list[tuple]:
    with hq.db.tx(snapshot=True) as tx:
        return tx.all("SELECT seq, event_id FROM events WHERE store_id = 'S001' ORDER BY seq")


def _outbox(store) -> list[tuple]:
    return store.db.execute("SELECT seq, event_id FROM outbox ORDER BY seq").fetchall()


def test_a_batch_that_overtakes_the_one_before_it_is_sent_again_in_turn(hq, edge):
    _sell(edge, 10)
    events = len(_outbox(edge))
    with FirstPushHeldBack(hq.url) as proxy:
        client = SyncClient(edge, proxy.url, hq.add_store(), timeout=5, push_batch=4)
        outcome = client.push()
        client.close()
    # the second batch reached HQ first and was refused as a gap, then went again in turn
    assert proxy.push_statuses[:2] == [409, 200]
    assert outcome.pushed == events and outcome.repushed_from is None
    assert _hq_events(hq) == _outbox(edge)
    assert edge.db.execute("SELECT COUNT(*) FROM outbox WHERE acked_at IS NULL").fetchone()[0] == 0


def test_batches_sent_ahead_over_a_lossy_slow_line_land_exactly_once(hq, edge):
    _sell(edge, 30)
    faults = Faults(drop_request=0.1, drop_response=0.15, duplicate=0.15, replay=0.15, delay=0.05)
    with FaultProxy(hq.url, faults=faults, seed=8) as proxy:
        client = SyncClient(edge, proxy.url, hq.add_store(), timeout=5, push_batch=3)
        for _ in range(40):
            if client.sync_once().pending == 0:
                break
        client.close()
    assert proxy.stats.dropped_responses and proxy.stats.duplicated and proxy.stats.replayed
    assert _hq_events(hq) == _outbox(edge)
    assert edge.db.execute("SELECT COUNT(*) FROM outbox WHERE acked_at IS NULL").fetchone()[0] == 0
