"""PostgreSQL: concurrent writers must never let a pull skip a change that commits late.

Writers append changes for one store and dawdle before committing; a puller pages
continuously. If cursors came from a plain sequence, a puller could see cursor N+1 (fast
commit) before N (slow commit) and move past N for good. The row-locked counter in
``changes.emit`` makes cursors commit in order, so the puller sees every change exactly once.
"""

from __future__ import annotations

import random
import threading
import time

import pytest

from sync.hq import changes, registry
from sync.hq.db import open_database
from sync.hq.schema import migrate

from conftest import FakeClock  # noqa: E402

WRITERS = 12
PER_WRITER = 25


@pytest.mark.postgres
def test_puller_sees_every_change_exactly_once_under_concurrent_writers(hq_pg_url):
    clock = FakeClock()
    db = open_database(hq_pg_url)
    migrate(db)
    registry.add_store(db, "S1", clock())
    registry.add_store(db, "S2", clock())
    done = threading.Event()
    errors: list[BaseException] = []

    def writer(w: int) -> None:
        rng = random.Random(w)
        try:
            for i in range(PER_WRITER):
                def work(tx, i=i):
                    changes.emit(tx, "S1", "stock.transfer", {"transfer_id": f"w{w}-{i}", "lines": []}, clock())
                    time.sleep(rng.random() * 0.004)  # commit late, while others queue
                    changes.emit(tx, "S2", "stock.transfer", {"transfer_id": f"w{w}-{i}", "lines": []}, clock())
                db.run_tx(work)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    seen: list[tuple[int, str]] = []

    def puller() -> None:
        cursor, epoch = 0, None
        while True:
            finished = done.is_set()
            page = changes.pull(db, "S1", cursor, 7, epoch)
            assert not page.resync
            for change in page.changes:
                assert change.cursor == cursor + 1, "a pull skipped a cursor"
                seen.append((change.cursor, change.payload["transfer_id"]))
                cursor = change.cursor
            epoch = page.epoch
            if finished and not page.has_more and not page.changes:
                return

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(WRITERS)]
    pull_thread = threading.Thread(target=puller)
    pull_thread.start()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    done.set()
    pull_thread.join(timeout=60)
    db.close()
    assert not errors, errors
    total = WRITERS * PER_WRITER
    assert [c for c, _ in seen] == list(range(1, total + 1))
    assert len({tid for _, tid in seen}) == total
