"""`store-edge staff` as a script runs it: the manager's PIN from the environment, never an
option; a clerk is refused; a locked clerk is unlocked; a new PIN works at once."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from edge.domain import clerks
from edge.domain.errors import DomainError
from edge.store import Store

ROOT = Path(__file__).resolve().parents[2]


def staff(store: Store, *args: str, manager_pin: str | None = None, new_pin: str | None = None):
    env = {k: v for k, v in os.environ.items() if not k.startswith("STORE_EDGE_")}
    if manager_pin is not None:
        env["STORE_EDGE_MANAGER_PIN"] = manager_pin
    if new_pin is not None:
        env["STORE_EDGE_NEW_PIN"] = new_pin
    proc = subprocess.run([sys.executable, "-m", "edge.cli", "staff", *args, "--json",
                           "--data-dir", str(store.data_dir), "--lang", "en"],
                          capture_output=True, text=True, timeout=60, cwd=ROOT,
                          env={**env, "PYTHONPATH": str(ROOT)}, stdin=subprocess.DEVNULL)
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc.returncode, json.loads(proc.stdout)


def _lock(store: Store, clerk_id: str) -> None:
    for _ in range(clerks.MAX_FAILED_PINS):
        try:
            clerks.authenticate(store.db, clerk_id, "0000")
        except DomainError:
            pass


def test_manager_adds_unlocks_and_resets_from_a_script(store):
    code, out = staff(store, "add", "c05", "--name", "小张", "--as", "m01",
                      manager_pin="9999", new_pin="5555")
    assert code == 0 and out["ok"], out
    assert clerks.authenticate(store.db, "c05", "5555").clerk_id == "c05"
    _lock(store, "c05")
    code, listed = staff(store, "list")
    assert [m for m in listed if m["clerk_id"] == "c05"][0]["locked_until"]
    code, out = staff(store, "unlock", "c05", "--as", "c01", manager_pin="1111")
    assert code == 1 and out["error"] == "auth.not_manager"
    code, out = staff(store, "unlock", "c05", "--as", "m01", manager_pin="9999")
    assert code == 0 and out["message"] == "c05 unlocked"
    assert clerks.authenticate(store.db, "c05", "5555").clerk_id == "c05"
    code, out = staff(store, "reset-pin", "c05", "--as", "m01", manager_pin="9999", new_pin="12")
    assert code == 1 and out["error"] == "clerk.bad_pin_format"
    code, out = staff(store, "reset-pin", "c05", "--as", "m01", manager_pin="9999", new_pin="8080")
    assert code == 0 and clerks.authenticate(store.db, "c05", "8080").clerk_id == "c05"
    code, out = staff(store, "deactivate", "c05", "--as", "m01", manager_pin="9999")
    assert code == 0 and not [m for m in clerks.staff(store.db) if m.clerk_id == "c05" and m.active]


def test_without_the_managers_pin_nothing_happens(store):
    code, out = staff(store, "add", "c06", "--name", "x", "--as", "m01", new_pin="5555")
    assert code == 1 and out["error"] == "cli.pin_needed" and "STORE_EDGE_MANAGER_PIN" in out["message"]
    code, out = staff(store, "add", "c06", "--name", "x", "--as", "m01", manager_pin="0000",
                      new_pin="5555")
    assert code == 1 and out["error"] == "auth.failed"
    assert clerks.get_clerk(store.db, "c06") is None
