"""``store-edge hq serve`` as real processes for tests: started on a free port (port 0, read
back from its first line), waited for until healthy, stopped with SIGTERM like systemd does."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
_LISTENING = re.compile(r"HQ listening on (http://\S+)")


class HQProcess:
    """One ``hq serve`` (its workers, if any, are its children)."""

    def __init__(self, db_url: str, *args: str, log: Path) -> None:
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        self.log = log
        self._err = open(log, "wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "sync.hq.cli", "hq", "serve", "--db", db_url, "--port", "0",
             "--sweep-interval", "0", *args],
            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=self._err, text=True)
        line = self.proc.stdout.readline() if self.proc.stdout else ""
        found = _LISTENING.search(line)
        if not found:
            self.stop()
            raise RuntimeError(f"hq serve did not start: {line!r} {log.read_text()[-2000:]}")
        self.url = found.group(1)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def healthy(self) -> bool:
        try:  # a fresh connection each time: a kept-alive one may belong to a killed worker
            return httpx.get(self.url + "/v1/health", timeout=30, headers={"Connection": "close"}).status_code == 200
        except httpx.HTTPError:
            return False

    def wait_healthy(self, timeout: float = 180.0) -> "HQProcess":
        deadline = time.monotonic() + timeout
        while not self.healthy():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"hq serve not healthy (exit {self.proc.returncode}): "
                                   f"{self.log.read_text()[-2000:]}")
            time.sleep(0.05)
        return self

    def workers(self) -> list[int]:
        """Worker processes (uvicorn spawns them; the resource tracker is not one)."""
        return [pid for pid in children(self.pid) if b"spawn_main" in _cmdline(pid)]

    def stop(self, timeout: float = 30.0) -> int:
        """SIGTERM, as systemd stops it; its exit code (killed if it does not stop in time)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            code = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            code = self.proc.wait()
        if self.proc.stdout:
            self.proc.stdout.close()
        self._err.close()
        return code


def children(pid: int) -> list[int]:
    """Direct child processes of ``pid`` (Linux /proc)."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            pass
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""
