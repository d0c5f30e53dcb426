"""The terminal closed under a running ``store-edge run`` (SSH dropped, window closed): a real
process in a pseudo-terminal it has as its controlling terminal. Closing the pty's master
hangs it up (the kernel sends SIGHUP); the app must exit cleanly (status 0, the hang-up in
its log, no traceback) and, started again, reopen the sale basket it had, which then
completes as if nothing had happened. A half-done pick comes back the same way."""

from __future__ import annotations

import asyncio
import fcntl
import json
import os
import re
import select
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

from edge.ui.app import StoreEdgeApp
from edge.ui.resume import SESSION_FILENAME, SavedSession
from tests.support.edge_store import ROOT
from tests.support.ui_pilot import settle

F4, F5, F10, CTRL_Q = b"\x1b[14~", b"\x1b[15~", b"\x1b[21~", b"\x11"
_ESCAPES = re.compile(rb"\x1b\[[0-9;?<>=]*[A-Za-z~]")


class PtyApp:
    """``store-edge run`` on a pseudo-terminal of 80x24 that is its controlling terminal."""

    def __init__(self, data_dir: Path, config: Path, log_home: Path) -> None:
        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
        env = {**os.environ, "TERM": "xterm-256color", "PYTHONPATH": str(ROOT),
               "XDG_STATE_HOME": str(log_home)}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "edge.cli", "run", "--data-dir", str(data_dir),
             "--config", str(config)],
            stdin=slave, stdout=slave, stderr=slave, env=env, start_new_session=True,
            preexec_fn=lambda: fcntl.ioctl(0, termios.TIOCSCTTY, 0))
        os.close(slave)
        self.master: int | None = master
        self.out = bytearray()

    def pump(self, seconds: float) -> None:
        end = time.monotonic() + seconds
        while self.master is not None and time.monotonic() < end:
            ready, _, _ = select.select([self.master], [], [], 0.05)
            if ready:
                try:
                    self.out.extend(os.read(self.master, 65536))
                except OSError:
                    return

    def text(self) -> str:
        return _ESCAPES.sub(b" ", bytes(self.out)).decode("utf-8", "replace")

    def wait_text(self, words: str, timeout: float = 120, *, press: bytes = b"") -> None:
        """Until ``words`` were drawn; ``press`` is sent again each second meanwhile (the
        timeout only catches a hang)."""
        deadline = time.monotonic() + timeout
        while words not in self.text():
            assert time.monotonic() < deadline, f"never drawn: {words!r}\n{self.text()[-2000:]}"
            assert self.proc.poll() is None, f"exited {self.proc.returncode}: {self.text()[-2000:]}"
            if press:
                self.key(press)
            self.pump(1.0)

    def type(self, text: str) -> None:
        """At a person's pace: a burst of keys would be taken for a keyboard-wedge scan."""
        for char in text:
            os.write(self.master, char.encode())
            self.pump(0.12)

    def key(self, sequence: bytes) -> None:
        os.write(self.master, sequence)
        self.pump(0.3)

    def sign_in(self, clerk: str = "c01", pin: str = "1111") -> None:
        self.wait_text("Clerk sign-in")
        self.type(clerk + "\r")
        self.type(pin + "\r")

    def hang_up(self) -> int:
        os.close(self.master)  # the terminal is gone: the kernel sends SIGHUP
        self.master = None
        return self.proc.wait(timeout=90)


def _wait(predicate, timeout: float = 90) -> None:
    """Until ``predicate()``; the timeout only catches a hang."""
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def test_a_sale_basket_survives_the_terminal_hanging_up(demo_store, tmp_path):
    data_dir = demo_store.data_dir
    config = tmp_path / "counter.toml"  # no devices: a simulated camera would scan meanwhile
    config.write_text('language = "en"\n', encoding="utf-8")
    session = SavedSession(data_dir)

    first = PtyApp(data_dir, config, tmp_path / "state")
    try:
        first.sign_in()
        first.wait_text("Counter sale", press=F10)
        first.type("B001\r")
        first.key(F4)  # WeChat Pay → Alipay
        _wait(lambda: (session.get("sale") or {}).get("payment_method") == "alipay")
        assert [(line["sku"], line["qty"]) for line in session.get("sale")["cart"]] == [("B001", 1)]
        assert first.hang_up() == 0
    finally:
        if first.proc.poll() is None:
            first.proc.kill()
    log = (tmp_path / "state" / "store-edge" / "log" / "store-edge.log").read_text(encoding="utf-8")
    assert "SIGHUP: closing the terminal UI" in log and "Traceback" not in log

    before = demo_store.db.execute("SELECT COUNT(*) FROM sales").fetchone()[0]
    second = PtyApp(data_dir, config, tmp_path / "state")
    try:
        second.sign_in()
        second.wait_text("Butter croissant")  # the basket is back, without a key pressed
        second.key(F5)
        _wait(lambda: session.get("sale") is None)
        second.key(CTRL_Q)
        assert second.proc.wait(timeout=90) == 0
    finally:
        if second.proc.poll() is None:
            second.proc.kill()
    sold = demo_store.db.execute(
        "SELECT s.payment_method, l.sku, l.qty FROM sales s JOIN sale_lines l USING (sale_id)"
        " ORDER BY s.at DESC LIMIT 1").fetchone()
    assert demo_store.db.execute("SELECT COUNT(*) FROM sales").fetchone()[0] == before + 1
    assert tuple(sold) == ("alipay", "B001", 1)
    assert json.loads((data_dir / SESSION_FILENAME).read_text(encoding="utf-8")) == {}


def test_a_half_done_pick_reopens_after_a_restart(demo_store):
    from edge.ui.screens.backroom.pick import PickScreen

    order_no = demo_store.db.execute(
        "SELECT order_no FROM orders WHERE status IN ('allocated', 'preparing') LIMIT 1").fetchone()[0]

    async def first() -> None:
        app = StoreEdgeApp(demo_store.data_dir, demo=True, lang="en")
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            await app.push_screen(PickScreen([order_no]))
            await settle(pilot)
            assert SavedSession(demo_store.data_dir).get("wave") == {"part": "pick",
                                                                     "order_nos": [order_no]}
        # the app ended without Esc (the terminal went away)

    async def second() -> None:
        app = StoreEdgeApp(demo_store.data_dir, demo=True, lang="en")
        said: list[str] = []  # what the app tells the user (a toast expires on its own)
        app.notify = lambda message, **kw: said.append(str(message))  # type: ignore[method-assign]
        async with app.run_test(size=(80, 24)) as pilot:
            for _ in range(300):  # the board, then the pick over it (a hang guard, not a timing)
                await settle(pilot)
                if isinstance(app.screen, PickScreen):
                    break
            assert isinstance(app.screen, PickScreen) and app.screen.order_nos == [order_no]
            assert any("Reopened what was in progress" in text for text in said), said
            await pilot.press("escape")  # done with it: nothing is reopened any more
            await settle(pilot)
            assert SavedSession(demo_store.data_dir).get("wave") is None

    asyncio.run(first())
    asyncio.run(second())
