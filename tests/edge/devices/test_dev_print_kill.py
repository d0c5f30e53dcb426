"""Kill -9 a process handing orders over with receipts: a hand-over and its job are both or neither.

Also checks every dev.* / ui.dev.* message exists in both languages with the same placeholders.
"""
from __future__ import annotations

import os
import signal
import string
import subprocess
import sys
import textwrap

from edge.domain import orders
from edge.i18n import CATALOG
from edge.store import Store

CHILD = textwrap.dedent("""
    import sys
    from edge.domain import print_jobs
    from edge.domain.print_docs import PrintSettings
    from edge.store import Store
    from tests.conftest import NOW
    store = Store.open(sys.argv[1])
    for order_no in sys.argv[2:]:
        print_jobs.handover_and_print(store, order_no, "c01", settings=PrintSettings(), now=NOW)
        print(order_no, flush=True)
""")


def test_kill_during_hand_overs_never_splits_a_hand_over_from_its_receipt(store, make_order):
    order_nos = [make_order(f"K{i:03d}")[0].order_no for i in range(60)]
    repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(store.data_dir), *order_nos],
                             stdout=subprocess.PIPE, text=True, cwd=repo,
                             env={**os.environ, "PYTHONPATH": repo})
    assert child.stdout is not None
    for _ in range(20):  # let it get well into the loop, then kill it mid-way
        child.stdout.readline()
    child.send_signal(signal.SIGKILL)
    child.wait()
    fresh = Store.open(store.data_dir)
    try:
        handed = {o for o in order_nos if orders.get_order(fresh.db, o).status == "picked_up"}
        queued = {r[0] for r in fresh.db.execute("SELECT ref FROM print_jobs WHERE kind = 'receipt'")}
        jobs_per_order = fresh.db.execute(
            "SELECT MAX(n) FROM (SELECT COUNT(*) AS n FROM print_jobs GROUP BY ref)").fetchone()[0]
    finally:
        fresh.close()
    assert len(handed) >= 20
    assert handed == queued and jobs_per_order == 1


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_device_messages_in_both_languages():
    import edge.device_text  # noqa: F401
    import edge.ui.dev_text  # noqa: F401

    keys = [k for k in CATALOG if k.startswith(("dev.", "ui.dev."))]
    assert len(keys) > 80
    for key in keys:
        zh, en = CATALOG[key]
        assert zh and en, key
        assert _fields(zh) == _fields(en), key

