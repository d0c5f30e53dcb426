"""Two terminals on one database, and a terminal killed mid-work: real OS processes.

- Two processes hand over the same order at the same moment, order after order: exactly one
  wins each time, the other is told it is already picked up; one event per order.
- A process handing orders over is killed with SIGKILL at random moments: nothing it
  acknowledged is lost, nothing is duplicated, the books still balance.
"""

from __future__ import annotations

import multiprocessing
import os
import random
import signal
import subprocess
import time
from collections import Counter

from edge.domain import orders
from edge.store import Store
from tests.support.edge_store import (NOW, ROOT, add_ready_orders, assert_outbox_gapless,
                                      assert_reserved_consistent, handed_over_events, race_worker,
                                      status_trail, worker_command)


def test_two_processes_handing_over_the_same_order_exactly_one_wins(store):
    order_nos = add_ready_orders(store, 20, lines=[("B001", 1), ("M001", 1)])
    ctx = multiprocessing.get_context("spawn")
    barrier, results = ctx.Barrier(2), ctx.Queue()
    procs = [ctx.Process(target=race_worker,
                         args=(str(store.data_dir), order_nos, clerk, NOW.isoformat(), barrier,
                               results))
             for clerk in ("c01", "m01")]
    for proc in procs:
        proc.start()
    got = [results.get(timeout=120) for _ in range(2 * len(order_nos))]
    for proc in procs:
        proc.join(timeout=60)
        assert proc.exitcode == 0

    by_order: dict[str, list[tuple[str, str]]] = {}
    for order_no, clerk, outcome in got:
        by_order.setdefault(order_no, []).append((clerk, outcome))
    assert set(by_order) == set(order_nos)
    winners = Counter()
    for order_no, outcomes in by_order.items():
        assert sorted(o for _c, o in outcomes) == ["verdict.picked_up", "won"], (order_no, outcomes)
        winner = next(c for c, o in outcomes if o == "won")
        winners[winner] += 1
        order = orders.get_order(store.db, order_no)
        assert order.status == "picked_up" and order.picked_up_by == winner
        assert status_trail(store.db, order_no)[-1] == ("ready", "picked_up")
        assert len([t for t in status_trail(store.db, order_no) if t[1] == "picked_up"]) == 1
    events = handed_over_events(store.db)
    assert {o: events[o] for o in order_nos} == {o: 1 for o in order_nos}
    assert_outbox_gapless(store.db)
    assert_reserved_consistent(store.db)


def _read_acks(proc: subprocess.Popen, kill_after: int, delay: float) -> list[str]:
    """Read acknowledged order numbers; SIGKILL the child ``delay`` s after the ``kill_after``-th
    (so the kill lands anywhere in the next hand-over's transaction)."""
    acked = []
    assert proc.stdout.readline().strip() == "started"
    while True:
        line = proc.stdout.readline()
        if not line:
            break
        acked.append(line.strip())
        if len(acked) >= kill_after:
            time.sleep(delay)
            os.kill(proc.pid, signal.SIGKILL)
            break
    # the child may have printed more before it died: those are acknowledged too
    acked.extend(line.strip() for line in proc.stdout.read().splitlines() if line.strip())
    proc.wait(timeout=60)
    return acked


def test_kill_9_during_hand_overs_loses_and_duplicates_nothing(store):
    order_nos = add_ready_orders(store, 60, lines=[("B001", 1), ("D001", 2), ("M001", 1)])
    data_dir = str(store.data_dir)
    store.close()
    rng = random.Random(1234)
    acknowledged: set[str] = set()
    remaining = list(order_nos)
    for _round in range(5):
        proc = subprocess.Popen(worker_command("handover-loop", data_dir, NOW.isoformat(),
                                               *remaining),
                                cwd=ROOT, stdout=subprocess.PIPE, text=True)
        acked = _read_acks(proc, kill_after=rng.randint(1, 8),
                           delay=rng.choice((0, 0, rng.random() * 0.02)))
        assert proc.returncode == -signal.SIGKILL
        acknowledged.update(acked)

        reopened = Store.open(data_dir)  # WAL recovery after the crash
        try:
            db = reopened.db
            assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            statuses = {o: orders.get_order(db, o).status for o in order_nos}
            assert all(statuses[o] == "picked_up" for o in acknowledged), "acknowledged but lost"
            events = handed_over_events(db)
            assert all(n == 1 for n in events.values()), "duplicated hand-over event"
            picked = {o for o, s in statuses.items() if s == "picked_up"}
            assert set(events) == picked  # no hand-over without its event, or vice versa
            for o in picked:
                order = orders.get_order(db, o)
                assert order.picked_up_by == "c01" and order.picked_up_at
                assert status_trail(db, o)[-1] == ("ready", "picked_up")
            assert_outbox_gapless(db)
            assert_reserved_consistent(db)
            pick_refs = Counter(r[0] for r in db.execute(
                "SELECT ref FROM stock_moves WHERE kind = 'pick'"))
            assert all(pick_refs[o] == 3 for o in picked) and set(pick_refs) == picked
            remaining = [o for o in order_nos if statuses[o] != "picked_up"]
        finally:
            reopened.close()
        assert remaining, "ran out of orders: raise the count"
    assert len(acknowledged) >= 5
