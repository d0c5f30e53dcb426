"""The `store-edge` command as an operator or a script runs it: a real subprocess, a real data dir."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from sync.pickup_code import make_pickup_code, qr_payload

ROOT = Path(__file__).resolve().parents[2]
EXE = ROOT / ".venv" / "bin" / "store-edge"


PINS = {"c01": "1111", "c02": "2222", "c03": "3333", "m01": "9999"}  # the demo's people


def pin_env(clerk: str, manager: str | None = None) -> dict[str, str]:
    """PINs the way a script gives them (never on the command line)."""
    env = {"STORE_EDGE_CLERK_PIN": PINS[clerk]}
    if manager:
        env["STORE_EDGE_MANAGER_PIN"] = PINS[manager]
    return env


def run(*args: str, data_dir: Path | None = None, lang: str = "en",
        env: dict[str, str] | None = None, stdin: str | None = None) -> subprocess.CompletedProcess:
    cmd = [str(EXE)] if EXE.exists() else [sys.executable, "-m", "edge.cli"]
    cmd += list(args)
    if data_dir is not None:
        cmd += ["--data-dir", str(data_dir)]
    if lang:
        cmd += ["--lang", lang]
    full_env = {k: v for k, v in os.environ.items()
                if k not in ("STORE_EDGE_DATA_DIR", "STORE_EDGE_CONFIG", "STORE_EDGE_CLERK_PIN",
                             "STORE_EDGE_MANAGER_PIN")}
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, cwd=ROOT,
                          env={**full_env, **(env or {})}, input=stdin or "")


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory) -> Path:
    data_dir = tmp_path_factory.mktemp("cli") / "demo"
    proc = run("demo", "--seed-only", "--orders", "120", data_dir=data_dir)
    assert proc.returncode == 0, proc.stderr
    assert (data_dir / "store.db").exists()
    return data_dir


@pytest.fixture(scope="module")
def codes(demo_dir) -> dict:
    proc = run("demo", "codes", "--json", data_dir=demo_dir)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def _code_for(codes: dict, scenario: str, status: str | None = None) -> dict:
    for c in codes["codes"]:
        if c["scenario"] == scenario and (status is None or c["status"] == status):
            return c
    pytest.fail(f"demo has no {scenario} order")


def test_demo_codes_lists_codes_orders_statuses_and_clerks(codes):
    assert codes["store_id"] == "S001"
    # the seeded orders, and the demo's pre-sale orders waiting for TR-DEMO-01 (placed at HQ)
    scenarios = [c["scenario"] for c in codes["codes"]]
    assert len(scenarios) - scenarios.count("presale") == 120 and scenarios.count("presale") == 3
    for c in codes["codes"]:
        assert len(c["code"]) == 11 and c["code"].isdigit()
        assert c["order_no"] and c["status"] and c["qr"].endswith(c["code"])
    statuses = {c["status"] for c in codes["codes"]}
    assert {"ready", "picked_up", "cancelled", "overdue", "preparing"} <= statuses
    people = {p["clerk_id"]: p for p in codes["clerks"]}
    assert people["c01"]["pin"] == "1111" and people["c01"]["role"] == "clerk"
    assert any(p["role"] == "manager" and p["pin"] for p in codes["clerks"])


def test_check_a_ready_code_exits_0_with_the_order(demo_dir, codes):
    c = _code_for(codes, "ready", "ready")
    proc = run("pickup", "check", c["code"], "--json", data_dir=demo_dir)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = json.loads(proc.stdout)
    assert out["verdict"] == "ok" and out["can_hand_over"] is True
    assert out["order"]["order_no"] == c["order_no"]
    assert out["order"]["lines"] and out["order"]["bags"]
    assert out["message"]
    # the QR form is the same order
    proc = run("pickup", "check", qr_payload("S001", c["code"]), "--json", data_dir=demo_dir)
    assert proc.returncode == 0 and json.loads(proc.stdout)["order"]["order_no"] == c["order_no"]


def test_check_exits_non_zero_for_each_bad_verdict(demo_dir, codes):
    ready = _code_for(codes, "ready", "ready")["code"]
    cases = {
        "picked_up": _code_for(codes, "picked_up")["code"],
        "cancelled": _code_for(codes, "cancelled")["code"],
        "returned": _code_for(codes, "returned")["code"],
        "not_ready": _code_for(codes, "preparing")["code"],
        "before_window": _code_for(codes, "before_window")["code"],
        "overdue": _code_for(codes, "overdue")["code"],
        "other_store": _code_for(codes, "other_store")["code"],
        "unknown": make_pickup_code(),
        "mistyped": ready[:-1] + str((int(ready[-1]) + 1) % 10),
        "malformed": "12ab",
    }
    for expected, code in cases.items():
        proc = run("pickup", "check", code, "--json", data_dir=demo_dir)
        assert proc.returncode == 1, (expected, proc.stdout, proc.stderr)
        out = json.loads(proc.stdout)
        assert out["verdict"] == expected, (expected, out["verdict"])
        assert out["can_hand_over"] is False and out["message"]
    # a QR naming another store says which
    proc = run("pickup", "check", qr_payload("S002", ready), "--json", data_dir=demo_dir)
    out = json.loads(proc.stdout)
    assert proc.returncode == 1 and out["verdict"] == "other_store"
    assert "Xuhui Riverside" in out["message"]


def test_check_in_chinese_without_json(demo_dir, codes):
    c = _code_for(codes, "cancelled")
    proc = run("pickup", "check", c["code"], data_dir=demo_dir, lang="zh-CN")
    assert proc.returncode == 1
    assert "订单已取消" in proc.stdout and c["order_no"] in proc.stdout


def test_handover_then_check_says_picked_up(demo_dir, codes):
    c = [x for x in codes["codes"] if x["scenario"] == "ready" and x["status"] == "ready"][1]
    proc = run("pickup", "handover", c["code"], "--clerk", "c02", "--json", data_dir=demo_dir,
               env=pin_env("c02"))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = json.loads(proc.stdout)
    assert {k: out[k] for k in ("ok", "order_no", "status")} == {
        "ok": True, "order_no": c["order_no"], "status": "picked_up"}
    assert out["receipt_job"] is not None  # the demo has a receipt printer
    proc = run("pickup", "check", c["code"], "--json", data_dir=demo_dir)
    out = json.loads(proc.stdout)
    assert proc.returncode == 1 and out["verdict"] == "picked_up"
    assert out["params"]["clerk"] == "李强"  # c02's name, not just the id
    assert out["order"]["picked_up_by"] == "c02"
    # and a second hand-over is refused with the same verdict
    proc = run("pickup", "handover", c["code"], "--clerk", "c01", "--json", data_dir=demo_dir,
               env=pin_env("c01"))
    assert proc.returncode == 1
    assert json.loads(proc.stdout)["error"] == "verdict.picked_up"


def test_two_handover_commands_at_once_exactly_one_wins(demo_dir, codes):
    """Two terminals run `pickup handover` on the same code at the same time."""
    ready = [x for x in codes["codes"] if x["scenario"] == "ready" and x["status"] == "ready"]
    for c in ready[3:5]:
        base = [str(EXE)] if EXE.exists() else [sys.executable, "-m", "edge.cli"]
        procs = [subprocess.Popen([*base, "pickup", "handover", c["code"], "--clerk", clerk,
                                   "--json", "--data-dir", str(demo_dir), "--lang", "en"],
                                  stdout=subprocess.PIPE, text=True, cwd=ROOT,
                                  env={**os.environ, **pin_env(clerk)})
                 for clerk in ("c01", "c03")]
        outs = [(p.wait(timeout=120), json.loads(p.stdout.read())) for p in procs]
        for p in procs:
            p.stdout.close()
        assert sorted(code for code, _ in outs) == [0, 1], outs
        loser = next(out for code, out in outs if code == 1)
        assert loser["error"] == "verdict.picked_up"
        # the loser hears what happened, not the stale "ready" it saw before the race
        assert loser["message"].startswith("Already picked up"), loser


def test_handover_partial_and_overdue_override_from_the_command_line(demo_dir, codes):
    ready = [x for x in codes["codes"] if x["scenario"] == "ready" and x["status"] == "ready"][2]
    proc = run("pickup", "handover", ready["code"], "--clerk", "c01", "--not-taken", "1:1:refused",
               "--json", data_dir=demo_dir, env=pin_env("c01"))
    out = json.loads(proc.stdout)
    if proc.returncode == 1:  # a one-line, one-unit order cannot be partly taken
        assert out["error"] in ("handover.nothing_left", "handover.bad_qty")
    else:
        assert out["status"] == "partially_picked_up"
    overdue = _code_for(codes, "overdue")["code"]
    proc = run("pickup", "handover", overdue, "--clerk", "c01", "--json", data_dir=demo_dir,
               env=pin_env("c01"))
    assert proc.returncode == 1 and json.loads(proc.stdout)["error"] == "override.required"
    proc = run("pickup", "handover", overdue, "--clerk", "c01", "--manager", "c02",
               "--reason", "late", "--json", data_dir=demo_dir, env=pin_env("c01", "c02"))
    assert proc.returncode == 1 and json.loads(proc.stdout)["error"] == "auth.not_manager"
    proc = run("pickup", "handover", overdue, "--clerk", "c01", "--manager", "m01",
               "--reason", "customer was ill", "--json", data_dir=demo_dir,
               env=pin_env("c01", "m01"))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert json.loads(proc.stdout)["status"] == "picked_up"


def test_config_typo_exits_2_and_suggests_the_key(tmp_path):
    data_dir = tmp_path / "store"
    data_dir.mkdir()
    (data_dir / "store-edge.toml").write_text('langauge = "en"\n', encoding="utf-8")
    proc = run("pickup", "check", "12345678901", data_dir=data_dir, lang="en")
    assert proc.returncode == 2
    assert "langauge" in proc.stderr and "language" in proc.stderr
    assert "Did you mean" in proc.stderr
    proc = run("pickup", "check", "12345678901", data_dir=data_dir, lang="zh-CN")
    assert proc.returncode == 2 and "language" in proc.stderr and "配置" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_config_that_is_not_toml_exits_2(tmp_path):
    data_dir = tmp_path / "store"
    data_dir.mkdir()
    (data_dir / "store-edge.toml").write_text('language = "en\n', encoding="utf-8")
    proc = run("pickup", "check", "12345678901", data_dir=data_dir)
    assert proc.returncode == 2 and "TOML" in proc.stderr and "Traceback" not in proc.stderr


@pytest.mark.parametrize("make_dir", ["empty", "missing", "file"])
def test_a_data_dir_that_is_not_a_store_says_so_and_exits_2(tmp_path, make_dir):
    data_dir = tmp_path / "not-a-store"
    if make_dir == "empty":
        data_dir.mkdir()
    elif make_dir == "file":
        data_dir.write_text("x")
    proc = run("pickup", "check", "12345678901", "--json", data_dir=data_dir)
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    assert "is not a store data directory" in proc.stderr
    assert "store-edge init" in proc.stderr  # and what to do about it: a store, not the demo
    assert "--seed-only" not in proc.stderr
    assert "Traceback" not in proc.stderr
    if make_dir == "empty":
        # looking did not leave a half-made store behind (found bug: it created an empty
        # store.db, and then `demo --seed-only` took the dir for a store)
        assert list(data_dir.iterdir()) == []
        assert run("demo", "--seed-only", "--orders", "3", data_dir=data_dir).returncode == 0
        proc = run("demo", "codes", "--json", data_dir=data_dir)
        seeded = [c for c in json.loads(proc.stdout)["codes"] if c["scenario"] != "presale"]
        assert proc.returncode == 0 and len(seeded) == 3


# -- issue 9 #7: what the command line said wrong ---------------------------------------------

def test_a_malformed_not_taken_says_the_format_and_changes_nothing(demo_dir, codes):
    ready = _code_for(codes, "ready", "ready")
    proc = run("pickup", "handover", ready["code"], "--clerk", "c01", "--not-taken", "1",
               data_dir=demo_dir, env=pin_env("c01"))
    assert proc.returncode == 2
    assert "LINE:QTY:REASON" in proc.stderr and "No line" not in proc.stderr
    assert json.loads(run("pickup", "check", ready["code"], "--json", data_dir=demo_dir).stdout
                      )["can_hand_over"] is True


def test_a_phone_number_with_several_orders_lists_them(demo_dir, codes):
    from edge.domain import orders
    from edge.store import Store

    store = Store.open(demo_dir)
    last4 = store.db.execute("SELECT phone_last4 FROM orders GROUP BY phone_last4"
                             " HAVING COUNT(*) > 1 LIMIT 1").fetchone()[0]
    expected = {o.order_no for o in orders.find_by_phone(store.db, store.store_id, last4)}
    store.close()
    proc = run("pickup", "check", last4, data_dir=demo_dir)
    assert proc.returncode == 1
    assert expected and all(order_no in proc.stdout for order_no in expected)


def test_help_names_only_what_exists():
    text = run("pickup", "handover", "--help").stdout + run("temps", "record", "--help").stdout
    assert "--order-no" not in text and "F7" not in text
    assert "--no-receipt" in text


def test_output_into_a_closed_pipe_ends_quietly(demo_dir):
    cmd = [str(EXE)] if EXE.exists() else [sys.executable, "-m", "edge.cli"]
    cmd += ["demo", "codes", "--json", "--data-dir", str(demo_dir)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT)
    assert proc.stdout is not None
    proc.stdout.readline()
    proc.stdout.close()  # like `| head -1`
    _, err = proc.communicate(timeout=60)
    assert b"Traceback" not in err and b"BrokenPipeError" not in err


def test_handover_queues_a_receipt_like_the_counter(demo_dir, codes):
    from edge.domain import print_jobs
    from edge.store import Store

    ready = [c for c in codes["codes"] if c["scenario"] == "ready" and c["status"] == "ready"]
    with_receipt, without = ready[-1], ready[-2]
    proc = run("pickup", "handover", with_receipt["code"], "--clerk", "c01", "--json",
               data_dir=demo_dir, env=pin_env("c01"))
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["receipt_job"] is not None
    proc = run("pickup", "handover", without["code"], "--clerk", "c01", "--no-receipt",
               data_dir=demo_dir, env=pin_env("c01"))
    assert proc.returncode == 0, proc.stderr
    store = Store.open(demo_dir)
    try:
        assert [j.kind for j in print_jobs.jobs_for(store.db, with_receipt["order_no"])] == ["receipt"]
        assert print_jobs.jobs_for(store.db, without["order_no"]) == []
    finally:
        store.close()


def test_handover_needs_the_clerks_pin_and_respects_the_lock_out(demo_dir, codes):
    """Found bug: `pickup handover --clerk ID` worked for a locked clerk and asked no PIN."""
    c = [x for x in codes["codes"] if x["scenario"] == "ready" and x["status"] == "ready"][6]
    args = ("pickup", "handover", c["code"], "--clerk", "c03", "--json")
    proc = run(*args, data_dir=demo_dir)  # a script without the PIN: refused, says how
    assert proc.returncode == 1 and json.loads(proc.stdout)["error"] == "cli.pin_needed"
    assert "STORE_EDGE_CLERK_PIN" in json.loads(proc.stdout)["message"]
    proc = run(*args, data_dir=demo_dir, env={"STORE_EDGE_CLERK_PIN": ""})
    assert proc.returncode == 1 and json.loads(proc.stdout)["error"] == "auth.pin_empty"
    for _ in range(4):
        proc = run(*args, data_dir=demo_dir, env={"STORE_EDGE_CLERK_PIN": "0000"})
        assert proc.returncode == 1 and json.loads(proc.stdout)["error"] == "auth.failed"
    proc = run(*args, data_dir=demo_dir, env={"STORE_EDGE_CLERK_PIN": "0000"})
    assert json.loads(proc.stdout)["error"] == "auth.locked"
    proc = run(*args, data_dir=demo_dir, env=pin_env("c03"))  # the right PIN, but locked
    assert proc.returncode == 1 and json.loads(proc.stdout)["error"] == "auth.locked"
    assert "try again in 1 min" in json.loads(proc.stdout)["message"]
    proc = run("pickup", "check", c["code"], "--json", data_dir=demo_dir)
    assert json.loads(proc.stdout)["verdict"] == "ok"  # nothing was handed over


def test_manager_pin_is_not_an_option_and_a_missing_reason_is_asked_first(demo_dir, codes):
    overdue = [x for x in codes["codes"] if x["scenario"] == "overdue"][1]["code"]
    proc = run("pickup", "handover", overdue, "--clerk", "c01", "--manager", "m01",
               "--manager-pin", "9999", "--reason", "x", data_dir=demo_dir, env=pin_env("c01"))
    assert proc.returncode == 2 and "--manager-pin" in proc.stderr  # argparse: unknown option
    proc = run("pickup", "handover", overdue, "--clerk", "c01", "--manager", "m01", "--json",
               data_dir=demo_dir, env={**pin_env("c01"), "STORE_EDGE_MANAGER_PIN": "0000"})
    assert proc.returncode == 1 and json.loads(proc.stdout)["error"] == "override.no_reason"
    assert "manager-pin" not in run("pickup", "handover", "--help").stdout


def test_audit_trail_of_an_order_from_the_command_line(demo_dir, codes, tmp_path):
    """Who did what to an order, when: what a manager settling a dispute asks for."""
    c = [x for x in codes["codes"] if x["scenario"] == "ready" and x["status"] == "ready"][5]
    done = run("pickup", "handover", c["code"], "--clerk", "c01", data_dir=demo_dir,
               env=pin_env("c01"))
    assert done.returncode == 0, done.stderr
    proc = run("audit", c["order_no"], "--json", data_dir=demo_dir)
    assert proc.returncode == 0, proc.stderr
    trail = json.loads(proc.stdout)
    assert trail["entity"] == f"order:{c['order_no']}"
    assert ("c01", "order.picked_up") in [(r["actor"], r["action"]) for r in trail["records"]]
    assert run("audit", "order:NOPE", data_dir=demo_dir).returncode == 1
    assert run("audit", "x", data_dir=tmp_path / "empty").returncode == 2


def test_seed_only_on_an_existing_demo_says_nothing_was_seeded(demo_dir, codes):
    """It printed nothing and exited 0, as if --orders had been seeded."""
    proc = run("demo", "--seed-only", "--orders", "5", data_dir=demo_dir)
    assert proc.returncode == 0
    assert "already in" in proc.stdout and "--fresh" in proc.stdout
    again = json.loads(run("demo", "codes", "--json", data_dir=demo_dir).stdout)
    assert len(again["codes"]) == len(codes["codes"])
