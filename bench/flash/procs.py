"""Child processes of the bench: started so that none outlives the bench, even on error.

Each child gets PR_SET_PDEATHSIG (SIGKILL when the bench process dies, however it dies);
``Children.stop_all`` terminates, then kills, whatever is still running.
"""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    """Runs in the child before exec: the kernel kills it when the bench goes away."""
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


class Children:
    """Every process the bench started, in start order."""

    def __init__(self) -> None:
        self.procs: list[subprocess.Popen] = []

    def python(self, *args: str, stdout=subprocess.DEVNULL, log: Path | None = None) -> subprocess.Popen:
        """``python -m ...`` from the repository root, stderr to ``log`` if given."""
        err = open(log, "ab") if log else subprocess.DEVNULL
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        proc = subprocess.Popen([sys.executable, *args], cwd=ROOT, env=env, stdout=stdout, stderr=err,
                                preexec_fn=_die_with_parent)
        if log:
            err.close()
        self.procs.append(proc)
        return proc

    def stop_all(self, grace: float = 5.0) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.terminate()
        deadline = time.monotonic() + grace
        for proc in self.procs:
            try:
                proc.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def wait_healthy(url: str, proc: subprocess.Popen, timeout: float = 30.0) -> None:
    """Until HQ answers /v1/health (or its process died)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"HQ exited with {proc.returncode}")
        try:
            if httpx.get(url + "/v1/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.05)
    raise RuntimeError("HQ did not become healthy")


def wait_files(paths: list[Path], procs: list[subprocess.Popen], timeout: float) -> None:
    """Until every file exists; a child that exits first is an error."""
    deadline = time.monotonic() + timeout
    while not all(p.exists() for p in paths):
        dead = [p.args for p in procs if p.poll() is not None and p.returncode != 0]
        if dead or time.monotonic() > deadline:
            raise RuntimeError(f"children not ready: {dead or 'timeout'}")
        time.sleep(0.1)
