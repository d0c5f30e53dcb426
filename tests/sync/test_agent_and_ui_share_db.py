"""The sync agent (``store-edge sync``, a real process, as the systemd unit runs it) and the
terminal UI's database thread write one store database at the same time: orders placed at
HQ arrive through the agent while the counter sells. WAL lets them read past each other and
the busy timeout (edge.db) makes a writer wait its turn: no "database is locked", nothing
lost, the outbox gapless, and SIGTERM (systemd's stop) ends the agent cleanly."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from conftest_client import channel, edge, hq  # noqa: F401  (fixtures)
from edge.domain import sales
from edge.ui.service import StoreService
from tests.support.edge_store import ROOT, assert_outbox_gapless

SALES, ORDERS = 24, 12  # within the store's 30 sellable D001 and HQ's 20 B001


def test_sync_agent_and_counter_write_one_database_together(hq, edge, channel, tmp_path):
    from edge.cli import main

    token = hq.add_store()
    assert main(["sync", "--once", "--data-dir", str(edge.data_dir), "--hq", hq.url,
                 "--token", token, "--lang", "en"]) == 0  # HQ learns the store's allotment
    assert edge.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    err = (tmp_path / "agent.err").open("w")
    agent = subprocess.Popen(
        [sys.executable, "-m", "edge.cli", "sync", "--data-dir", str(edge.data_dir), "--hq", hq.url,
         "--token", token, "--interval", "0.05", "--lang", "en"],
        stdout=subprocess.DEVNULL, stderr=err, env={**os.environ, "PYTHONPATH": str(ROOT)})
    counter = StoreService(edge.data_dir)  # the UI's own database thread
    placed = [channel.place([("B001", 1)])["order_no"]]
    try:
        _until_pulled(edge, placed, agent, tmp_path)  # the agent is up and writing
        for i in range(SALES):
            if i % (SALES // ORDERS) == 0 and len(placed) <= ORDERS:
                placed.append(channel.place([("B001", 1)])["order_no"])
            counter.call_sync(sales.sell, [sales.SaleLine("D001", 1)], "c01")
        _until_pulled(edge, placed, agent, tmp_path)
    finally:
        counter.close()
        agent.send_signal(signal.SIGTERM)
        code = agent.wait(timeout=90)
        err.close()
    log = (tmp_path / "agent.err").read_text(encoding="utf-8")
    assert code == 0, log
    assert "locked" not in log and "Traceback" not in log, log
    sold = edge.db.execute("SELECT COUNT(*) FROM sales").fetchone()[0]
    assert sold == SALES
    assert edge.db.execute("SELECT COUNT(*) FROM sale_lines").fetchone()[0] == sold
    assert_outbox_gapless(edge.db)


def _until_pulled(edge, placed: list[str], agent: subprocess.Popen, tmp_path) -> None:
    deadline = time.monotonic() + 120  # a hang guard
    while True:
        have = {r[0] for r in edge.db.execute("SELECT order_no FROM orders")}
        if set(placed) <= have:
            return
        assert agent.poll() is None, (tmp_path / "agent.err").read_text()
        assert time.monotonic() < deadline, f"orders not pulled: {set(placed) - have}"
        time.sleep(0.05)
