"""``store-edge hq add-stores stores.csv``: many stores at once, tokens only in a 0600 file,
every CSV problem named by line and nothing registered (SQLite and PostgreSQL)."""

from __future__ import annotations

import csv
import stat

from sync.hq import registry
from sync.hq.cli import main
from sync.hq.db import open_database
from sync.hq.schema import migrate

from conftest import HQServer  # noqa: E402


def _add_stores(db_url: str, csv_path, *extra: str) -> int:
    return main(["hq", "add-stores", "--db", db_url, str(csv_path), *extra])


def test_csv_registers_every_store_and_tokens_go_only_to_a_0600_file(hq_db_url, hq_clock, tmp_path, capsys):
    server = HQServer(hq_db_url, hq_clock, sweep_interval=None).start()
    try:
        server.add_product("A1")
        stores = tmp_path / "stores.csv"
        stores.write_text("\ufeffstore_id,name\nS001,静安寺店\nS002,\"徐家汇店, 2F\"\n\nS003,\n", encoding="utf-8")
        assert _add_stores(hq_db_url, stores, "--token-days", "30") == 0
        out = capsys.readouterr()
        tokens_file = tmp_path / "stores.tokens.csv"
        assert "registered 3 stores" in out.out and "已登记 3 家门店" in out.out
        assert stat.S_IMODE(tokens_file.stat().st_mode) == 0o600
        rows = list(csv.DictReader(tokens_file.open(encoding="utf-8")))
        assert [(r["store_id"], r["name"]) for r in rows] == [("S001", "静安寺店"), ("S002", "徐家汇店, 2F"),
                                                             ("S003", "")]
        assert all(r["expires_at"] for r in rows)
        assert not any(r["token"] in out.out + out.err for r in rows)  # never on the terminal
        for row in rows:
            r = server.client.get("/v1/sync/pull", headers={"Authorization": f"Bearer {row['token']}"})
            assert [c["payload"]["sku"] for c in r.json()["changes"]] == ["A1"]
        assert registry.store_name(server.db, "S002") == "徐家汇店, 2F"
    finally:
        server.stop()


def test_every_problem_is_named_by_line_and_nothing_is_registered(hq_db_url, hq_clock, tmp_path, capsys):
    db = open_database(hq_db_url)
    try:
        migrate(db)
        registry.add_store(db, "S001", hq_clock())
        stores = tmp_path / "stores.csv"
        stores.write_text("store_id,name\nS010,ok\nS001,taken\nS 11,space\nS010,again\n,empty\nS:12,colon\n",
                          encoding="utf-8")
        assert _add_stores(hq_db_url, stores) == 2
        err = capsys.readouterr().err
        assert "nothing was registered" in err
        for line, what in ((4, "'S 11' is not valid"), (5, "S010 repeats line 2"), (6, "store id is empty"),
                           (7, "'S:12' is not valid")):
            assert f"line {line}: " in err and what in err
        assert not (tmp_path / "stores.tokens.csv").exists()
        # the format problems first; once fixed, the store HQ already has is named by its line
        stores.write_text("store_id,name\nS010,ok\nS001,taken\n", encoding="utf-8")
        assert _add_stores(hq_db_url, stores) == 2
        assert "line 3: 门店 S001 已登记 / store S001 is already registered" in capsys.readouterr().err
        assert [r[0] for r in registry.list_stores(db)] == ["S001"]

        stores.write_text("id,name\nS020,x\n", encoding="utf-8")
        assert _add_stores(hq_db_url, stores) == 2
        assert "line 1: " in capsys.readouterr().err
    finally:
        db.close()


def test_an_existing_tokens_file_is_never_overwritten(hq_db_url, hq_clock, tmp_path, capsys):
    stores = tmp_path / "stores.csv"
    stores.write_text("store_id\nS030\n", encoding="utf-8")
    earlier = tmp_path / "tokens.csv"
    earlier.write_text("earlier tokens\n", encoding="utf-8")
    assert _add_stores(hq_db_url, stores, "--out", str(earlier)) == 2
    assert "already exists" in capsys.readouterr().err
    assert earlier.read_text(encoding="utf-8") == "earlier tokens\n"
    assert _add_stores(hq_db_url, stores, "--out", str(tmp_path / "new.csv")) == 0
    assert stat.S_IMODE((tmp_path / "new.csv").stat().st_mode) == 0o600


def test_broken_csv_is_named_not_half_read(hq_db_url, hq_clock, tmp_path, capsys):
    """A quote left open swallowed the lines after it into one store's name (S002 never
    registered), and a cell past the header was dropped without a word."""
    db = open_database(hq_db_url)
    try:
        migrate(db)
        stores = tmp_path / "stores.csv"
        for text, line, what in (
                ('store_id,name\nS001,"Jing\'an\nS002,Xuhui\n', 2, "a quote left open"),
                ('store_id,name\nS001,ok\nS002,"Xu"hui\n', 3, "not valid CSV"),
                ("store_id,name\nS001,Xujiahui,2F\n", 2, "3 cells, the header has 2"),
                ("store_id,name\nS001,ok\nS002,\"two\nlines\"\nS003,x\n", 3, "more than one line")):
            stores.write_text(text, encoding="utf-8")
            assert _add_stores(hq_db_url, stores) == 2, text
            err = capsys.readouterr().err
            assert "nothing was registered" in err and f"line {line}: " in err and what in err, err
        stores.write_bytes("store_id,name\nS001,静安\n".encode("gbk"))
        assert _add_stores(hq_db_url, stores) == 2
        assert "not UTF-8 text" in capsys.readouterr().err
        assert _add_stores(hq_db_url, tmp_path / "missing.csv") == 2
        assert "cannot read it (No such file or directory)" in capsys.readouterr().err
        assert registry.list_stores(db) == []
        assert not (tmp_path / "stores.tokens.csv").exists()
    finally:
        db.close()
