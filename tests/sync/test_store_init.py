"""A real store's first run: `store-edge init` against a real HQ on a loopback port (SQLite and
PostgreSQL), then orders placed at HQ reach the store through `store-edge sync --once`.
A wrong token, a wrong store id, an HQ that does not answer, or a script missing a value
create nothing. And a demo store never syncs with anything but its own embedded HQ."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from edge.domain import clerks, orders, stock
from edge.store import Store
from sync.client import SyncClient
from sync.embedded import free_port
from sync.hq import registry

ROOT = Path(__file__).resolve().parents[2]
PIN = "4826"


def cli(*args: str, data_dir: Path, env: dict[str, str] | None = None,
        lang: str = "en") -> subprocess.CompletedProcess:
    """`store-edge` as a script runs it: no terminal (stdin is not a tty), PINs in the env."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("STORE_EDGE_")}
    return subprocess.run([sys.executable, "-m", "edge.cli", *args, "--data-dir", str(data_dir),
                           "--lang", lang], capture_output=True, text=True, timeout=120, cwd=ROOT,
                          env={**clean, "PYTHONPATH": str(ROOT), **(env or {})}, stdin=subprocess.DEVNULL)


def init(data_dir: Path, url: str, token: str, *extra: str, pin: str = PIN) -> subprocess.CompletedProcess:
    return cli("init", "--hq", url, "--manager-id", "m01", "--manager-name", "张经理", "--json",
               *extra, data_dir=data_dir,
               env={"STORE_EDGE_HQ_TOKEN": token, "STORE_EDGE_MANAGER_PIN": pin})


@pytest.fixture
def hq(hq_server):
    hq_server.add_product("D001", "鲜牛奶 950ml", "Fresh milk 950ml", "chilled", 1590)
    hq_server.store = hq_server.add_store("S001", name="静安寺店")
    hq_server.channel = hq_server.add_channel("douyin-live")
    return hq_server


def test_init_then_orders_placed_at_hq_reach_the_store(hq, tmp_path):
    data_dir = tmp_path / "store"
    proc = init(data_dir, hq.url, hq.store.token, "--store-id", "S001")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    made = json.loads(proc.stdout)
    assert made["ok"] and made["store_id"] == "S001" and made["store_name"] == "静安寺店"
    assert made["first_sync"]["ok"] and made["first_sync"]["pulled"] >= 1  # the catalogue
    config = data_dir / "store-edge.toml"
    assert stat.S_IMODE(config.stat().st_mode) == 0o600  # it holds the token
    assert hq.store.token in config.read_text(encoding="utf-8")
    assert (data_dir / "pickup.key").exists()

    store = Store.open(data_dir)
    try:
        assert store.store_id == "S001"
        assert clerks.authenticate(store.db, "m01", PIN).is_manager
        assert store.db.execute("SELECT name_zh FROM products WHERE sku = 'D001'").fetchone() == ("鲜牛奶 950ml",)
        # the manager stocks the store and offers some online (the stock screens do this)
        stock.receive(store.db, sku="D001", lot="L1", qty=10, actor="m01")
        stock.grant_allotment(store.db, sku="D001", qty=5, actor="m01")
    finally:
        store.close()
    proc = cli("sync", "--once", data_dir=data_dir)  # HQ and token from the config init wrote
    assert proc.returncode == 0, proc.stdout + proc.stderr

    placed = hq.channel.place("S001", [("D001", 2)], paid=True)
    assert placed.status_code == 201, placed.text
    order_no, code = placed.json()["order_no"], placed.json()["pickup_code"]
    proc = cli("sync", "--once", "--json", data_dir=data_dir)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert json.loads(proc.stdout.splitlines()[-1])["pulled"] >= 1
    store = Store.open(data_dir)
    try:
        order = orders.get_order(store.db, order_no)
        assert order is not None and order.status == "allocated"
    finally:
        store.close()
    # the customer's code finds it at the counter (not ready yet: it is still to be packed)
    proc = cli("pickup", "check", code, "--json", data_dir=data_dir)
    out = json.loads(proc.stdout)
    assert out["verdict"] == "not_ready" and out["order"]["order_no"] == order_no

    again = init(data_dir, hq.url, hq.store.token)
    assert again.returncode == 1 and json.loads(again.stdout)["error"] == "init.exists"


def test_wrong_token_wrong_store_or_no_hq_creates_nothing(hq, tmp_path):
    data_dir = tmp_path / "store"
    proc = init(data_dir, hq.url, "st_not-a-token")
    assert proc.returncode == 1 and json.loads(proc.stdout)["error"] == "init.token_refused"
    assert "refused the token" in json.loads(proc.stdout)["message"]
    proc = init(data_dir, hq.url, hq.store.token, "--store-id", "S002")
    assert proc.returncode == 1 and json.loads(proc.stdout)["error"] == "init.wrong_store"
    proc = init(data_dir, f"http://127.0.0.1:{free_port()}", hq.store.token)
    assert proc.returncode == 1 and json.loads(proc.stdout)["error"] == "init.hq_problem"
    assert "no connection" in json.loads(proc.stdout)["message"]
    proc = init(data_dir, "hq.example.com", hq.store.token)  # no scheme: a typo, said so
    assert proc.returncode == 1 and "http://" in json.loads(proc.stdout)["message"]
    proc = init(data_dir, hq.url, hq.store.token, pin="12")  # a bad PIN: checked before creating
    assert proc.returncode == 1 and json.loads(proc.stdout)["error"] == "clerk.bad_pin_format"
    # a script that leaves out a value is told which, rather than hanging on a prompt
    proc = cli("init", "--hq", hq.url, "--json", data_dir=data_dir,
               env={"STORE_EDGE_HQ_TOKEN": hq.store.token})
    assert proc.returncode == 2 and "--manager-id" in json.loads(proc.stdout)["message"]
    assert not data_dir.exists()
    assert "Traceback" not in proc.stderr


def test_init_in_chinese_says_so_in_chinese(hq, tmp_path):
    proc = cli("init", "--hq", hq.url, "--manager-id", "m01", "--manager-name", "张经理",
               data_dir=tmp_path / "s", lang="zh-CN",
               env={"STORE_EDGE_HQ_TOKEN": "wrong", "STORE_EDGE_MANAGER_PIN": PIN})
    assert proc.returncode == 1 and "不认这个令牌" in proc.stderr


def test_a_demo_store_refuses_any_hq_but_its_own(hq, tmp_path):
    data_dir = tmp_path / "demo"
    proc = cli("demo", "--seed-only", "--orders", "6", data_dir=data_dir)
    assert proc.returncode == 0, proc.stderr
    proc = cli("sync", "--once", "--hq", hq.url, "--token", hq.store.token, data_dir=data_dir)
    assert proc.returncode == 1
    assert "demo store" in proc.stdout + proc.stderr and "store-edge init" in proc.stdout + proc.stderr
    # the background worker's client refuses the same way, and HQ heard nothing
    store = Store.open(data_dir)
    try:
        pending = store.db.execute("SELECT COUNT(*) FROM outbox").fetchone()[0]
        client = SyncClient(store, hq.url, hq.store.token)
        try:
            report = client.sync_once()
        finally:
            client.close()
        assert not report.ok and report.problem == "sync.demo_foreign_hq"
    finally:
        store.close()
    assert pending > 0
    assert dict((s[0], s[2]) for s in registry.list_stores(hq.db))["S001"] == 0  # no event pushed
    assert hq.store.pull().json()["changes"] != []  # (HQ itself is fine and serving)


def _in_a_terminal(argv: list[str], answers: list[tuple[str, str]], env: dict[str, str],
                   timeout: float = 90.0) -> tuple[int, str]:
    """Run ``argv`` on a pseudo-terminal (its controlling tty: getpass reads there) and
    answer each prompt when its text appears. Returns (exit code, everything shown)."""
    import pty
    import select
    import time

    pid, fd = pty.fork()
    if pid == 0:  # the child: becomes the program
        os.chdir(ROOT)
        os.execvpe(argv[0], argv, env)
    shown, pending, deadline = b"", list(answers), time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([fd], [], [], 0.2)
            if ready:
                try:
                    chunk = os.read(fd, 4096)
                except OSError:  # the child closed the terminal: it has finished
                    break
                if not chunk:
                    break
                shown += chunk
            while pending and pending[0][0].encode() in shown.split(b"\x00")[-1]:
                prompt, answer = pending.pop(0)
                shown += b"\x00"  # answered up to here
                os.write(fd, answer.encode() + b"\r")
    finally:
        _, status = os.waitpid(pid, 0)
        os.close(fd)
    return os.waitstatus_to_exitcode(status), shown.replace(b"\x00", b"").decode(errors="replace")


def test_init_asks_at_the_terminal_and_hides_the_token_and_pin(hq, tmp_path):
    data_dir = tmp_path / "store"
    clean = {k: v for k, v in os.environ.items() if not k.startswith("STORE_EDGE_")}
    env = {**clean, "PYTHONPATH": str(ROOT)}
    code, shown = _in_a_terminal(
        [sys.executable, "-m", "edge.cli", "init", "--data-dir", str(data_dir), "--lang", "en"],
        [("HQ address", hq.url), ("HQ token", hq.store.token), ("Store name", ""),
         ("clerk id", "m01"), ("manager's name", "张经理"), ("PIN for m01", PIN),
         ("Once more", PIN)], env)
    assert code == 0, shown
    assert "Store S001 静安寺店 is ready" in shown
    assert hq.store.token not in shown and PIN not in shown  # never echoed
    store = Store.open(data_dir)
    try:
        assert clerks.authenticate(store.db, "m01", PIN).name == "张经理"
    finally:
        store.close()


def test_store_edge_run_after_init_brings_hq_orders_to_the_board(hq, tmp_path):
    """`store-edge run` on the new store: the background sync pushes the manager's grant and
    brings the order a live stream places at HQ; the manager who signs in sees it on the task
    board without a restart. No demo anywhere."""
    import asyncio
    import time

    from edge import config as config_mod
    from edge.ui.app import StoreEdgeApp
    from edge.ui.screens.backroom.board import TaskBoardScreen
    from sync.hq import service

    data_dir = tmp_path / "store"
    assert init(data_dir, hq.url, hq.store.token).returncode == 0
    store = Store.open(data_dir)
    try:
        stock.receive(store.db, sku="D001", lot="L1", qty=10, actor="m01")
        stock.grant_allotment(store.db, sku="D001", qty=5, actor="m01")
    finally:
        store.close()
    cfg = config_mod.load(data_dir)
    cfg.sync_interval_s = 0.2

    async def until(predicate, pilot, timeout: float = 30.0) -> bool:
        deadline = time.monotonic() + timeout  # a deadline for liveness, not a timing test
        while time.monotonic() < deadline:
            if predicate():
                return True
            await pilot.pause(0.1)
        return predicate()

    async def body() -> str:
        app = StoreEdgeApp(data_dir, lang="en", cfg=cfg)
        async with app.run_test(size=(100, 30)) as pilot:
            screen = app.screen
            for text in ("m01", "enter", PIN, "enter"):
                if text == "enter":
                    await pilot.press("enter")
                else:
                    for ch in text:
                        await pilot.press(ch)
            assert await until(lambda: isinstance(app.screen, TaskBoardScreen), pilot), screen
            granted = lambda: service.allotment(hq.db, "S001", "D001")["granted"] == 5  # noqa: E731
            assert await until(granted, pilot)
            placed = hq.channel.place("S001", [("D001", 1)], paid=True)
            assert placed.status_code == 201, placed.text
            order_no = placed.json()["order_no"]
            board = app.screen
            assert await until(lambda: order_no in board.by_no, pilot), "order never reached the board"
            assert app.sync_status.online is True
            return order_no

    order_no = asyncio.run(body())
    store = Store.open(data_dir)
    try:
        assert orders.get_order(store.db, order_no).status == "allocated"
    finally:
        store.close()
