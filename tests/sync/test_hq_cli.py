"""The ``hq`` command group: register, seed, serve (real subprocess), simulate a stream."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import httpx
import pytest

from sync.hq.cli import default_db_url, main

from conftest import free_socket  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]


def _cli(capsys, *argv: str) -> str:
    assert main(list(argv)) == 0
    return capsys.readouterr().out.strip()


def test_default_db_url_follows_data_dir(monkeypatch, tmp_path):
    monkeypatch.setenv("STORE_EDGE_DATA_DIR", str(tmp_path / "env"))
    assert default_db_url() == f"sqlite:///{tmp_path / 'env' / 'hq.db'}"
    assert default_db_url(str(tmp_path / "x")) == f"sqlite:///{tmp_path / 'x' / 'hq.db'}"


def test_cli_registers_serves_and_streams(capsys, tmp_path, wait_until):
    data = str(tmp_path)
    token = _cli(capsys, "--data-dir", data, "hq", "add-store", "S001", "--name", "徐汇店")
    key = _cli(capsys, "--data-dir", data, "hq", "add-channel", "douyin")
    assert token.startswith("st_") and key.startswith("ch_")
    assert "12 items" in _cli(capsys, "--data-dir", data, "hq", "seed-catalog")
    assert main(["--data-dir", data, "hq", "add-store", "S001"]) == 1  # already there
    capsys.readouterr()

    sock = free_socket()
    port = sock.getsockname()[1]
    sock.close()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    server = subprocess.Popen([sys.executable, "-m", "sync.hq.cli", "--data-dir", data, "hq", "serve",
                               "--port", str(port)], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        url = f"http://127.0.0.1:{port}"

        def up() -> bool:
            try:
                return httpx.get(url + "/v1/health").status_code == 200
            except httpx.HTTPError:
                return False

        assert wait_until(up)
        grants = [{"event_id": str(uuid.uuid4()), "seq": i + 1, "type": "allotment.granted",
                   "payload": {"sku": sku, "qty": 100}}
                  for i, sku in enumerate(["MILK-1L", "YOG-4", "SASHIMI-SALMON", "GREENS-BOK", "STEAK-RIB",
                                           "DUMPLING-PORK", "ICE-MATCHA", "NUTS-MIX", "OIL-PEANUT",
                                           "RICE-5KG", "CAKE-STRAW", "BREAD-TOAST"])]
        r = httpx.post(url + "/v1/sync/push", json={"events": grants}, headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 200 and r.json()["acked_through"] == 12
        out = _cli(capsys, "hq", "simulate-stream", "--hq", url, "--key", key, "--stores", "S001",
                   "--rate", "100", "--count", "3", "--seed", "7")
        assert out.count("order S001-") == 3 and "placed 3" in out
        pulled = httpx.get(url + "/v1/sync/pull", headers={"Authorization": f"Bearer {token}"}).json()
        assert sum(c["type"] == "order.allocated" for c in pulled["changes"]) >= 3
        placed = _cli(capsys, "--data-dir", data, "hq", "place-order", "--store", "S001", "--line", "MILK-1L:2",
                      "--paid")
        assert "pickup code" in placed
        bumped = _cli(capsys, "--data-dir", data, "hq", "bump-epoch")
        assert bumped.startswith(f"epoch {httpx.get(url + '/v1/health').json()['epoch']};")
        assert "new order numbers in series" in bumped
    finally:
        server.terminate()
        server.wait(timeout=20)


def test_simulate_stream_needs_a_key(capsys):
    assert main(["hq", "simulate-stream", "--key", ""]) == 2


@pytest.mark.parametrize("argv", [["hq", "place-order", "--store", "S9", "--line", "X:1"]])
def test_cli_errors_are_messages_not_tracebacks(capsys, tmp_path, argv):
    assert main(["--data-dir", str(tmp_path), *argv]) == 1
    assert "unknown_store" in capsys.readouterr().err


def test_cli_announces_a_pre_sale_and_sells_from_its_pool_only(capsys, tmp_path):
    """hq transfer --line SKU:QTY:LOT:EXPIRY:PRESALE grows the pre-sale pool; hq place-order
    --presale sells from it and is refused beyond it (exit 1, nothing sold)."""
    from sync.hq import service
    from sync.hq.db import open_database

    data = str(tmp_path)
    _cli(capsys, "--data-dir", data, "hq", "add-store", "S001")
    _cli(capsys, "--data-dir", data, "hq", "seed-catalog")
    db = open_database(default_db_url(data))
    sku = db.run_tx(lambda tx: tx.scalar("SELECT sku FROM catalog ORDER BY sku LIMIT 1"),
                    snapshot=True)
    db.close()
    assert _cli(capsys, "--data-dir", data, "hq", "transfer", "S001", "--line", f"{sku}:10:PS1::3")
    out = _cli(capsys, "--data-dir", data, "hq", "place-order", "--store", "S001", "--line",
               f"{sku}:3", "--paid", "--presale")
    assert "pickup code" in out
    assert main(["--data-dir", data, "hq", "place-order", "--store", "S001", "--line", f"{sku}:1",
                 "--paid", "--presale"]) == 1
    assert "insufficient_presale" in capsys.readouterr().err
    db = open_database(default_db_url(data))
    try:
        assert service.allotment(db, "S001", sku, "presale") == {
            "sku": sku, "pool": "presale", "granted": 3, "locked": 0, "sold": 3}
        assert service.allotment(db, "S001", sku)["sold"] == 0
    finally:
        db.close()


@pytest.mark.parametrize("argv, said", [
    (["place-order", "--store", "S001", "--line", "MILK-1L:x"], "expected SKU:QTY"),
    (["place-order", "--store", "S001", "--line", "MILK-1L:0"], "QTY 1 or more"),
    (["place-order", "--store", "S001", "--line", ":1"], "expected SKU:QTY"),
    (["transfer", "S001", "--line", "MILK-1L"], "not a transfer line"),  # was an IndexError
    (["transfer", "S001", "--line", "MILK-1L:x"], "not a transfer line"),
    # HQ took it, and the store could never receive it: 'Not an expiry date: 2026-13-01'
    (["transfer", "S001", "--line", "MILK-1L:5:L9:2026-13-01"], "expiry"),
    (["transfer", "S001", "--line", "MILK-1L:5:L9::9"], "presale 9 is more than"),
])
def test_a_mistyped_line_is_refused_in_words_and_nothing_is_sent(capsys, tmp_path, argv, said):
    from sync.hq.db import open_database

    data = str(tmp_path)
    _cli(capsys, "--data-dir", data, "hq", "add-store", "S001")
    with pytest.raises(SystemExit) as exit_:
        main(["--data-dir", data, "hq", *argv])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert "argument --line" in err and said in err and "Traceback" not in err, err
    db = open_database(default_db_url(data))
    try:
        assert db.run_tx(lambda tx: tx.scalar("SELECT COUNT(*) FROM transfers"), snapshot=True) == 0
        assert db.run_tx(lambda tx: tx.scalar("SELECT COUNT(*) FROM orders"), snapshot=True) == 0
    finally:
        db.close()


def test_a_transfer_line_keeps_its_fields():
    from sync.hq.cli import _transfer_line
    from sync.protocol import TransferLine

    line = _transfer_line("M1:40:L7:2026-12-31:30")
    assert line.model_dump() == {"sku": "M1", "lot": "L7", "expiry": "2026-12-31", "qty": 40, "presale": 30}
    assert _transfer_line("M1:4").model_dump() == {"sku": "M1", "lot": "L1", "expiry": None, "qty": 4,
                                                   "presale": 0}
    # a warehouse system's midnight is its date, as the store reads it
    assert TransferLine(sku="M1", lot="L", qty=1, expiry="2026-12-31T00:00:00").expiry == "2026-12-31"


def test_serve_says_why_it_cannot_start(capsys, tmp_path):
    """A taken port and a database that is not there were tracebacks (OSError, TransientDBError);
    a schema too new was refused only after 'HQ listening' was printed."""
    import socket
    import sqlite3

    db = f"sqlite:///{tmp_path / 'hq.db'}"
    _cli(capsys, "hq", "add-store", "S001", "--db", db)
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    try:
        port = str(taken.getsockname()[1])
        assert main(["hq", "serve", "--db", db, "--port", port]) == 2
        out, err = capsys.readouterr()
        assert f"cannot listen on 127.0.0.1:{port}" in err and "Traceback" not in err
    finally:
        taken.close()
    missing = "postgresql://postgres@127.0.0.1:5432/store_edge_no_such_db"
    assert main(["hq", "serve", "--db", missing, "--port", "0"]) == 1
    out, err = capsys.readouterr()
    assert "cannot open the database" in err and "HQ listening" not in out
    conn = sqlite3.connect(tmp_path / "hq.db")
    conn.execute("INSERT INTO schema_version VALUES (999, 'from a newer store-edge', 'x')")
    conn.commit()
    conn.close()
    assert main(["hq", "serve", "--db", db, "--port", "0"]) == 1
    out, err = capsys.readouterr()
    assert "schema_too_new" in err and "HQ listening" not in out
