"""store-edge backup / restore on real files: a consistent copy while another process writes,
the round trip, rotation, the backup taken before a migration, a database from a newer
store-edge refused, another store's backup refused, and the CLI's exit codes."""

from __future__ import annotations

import os
import sqlite3
import stat
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlite_utils import Database

from edge import cli
from edge.backup import (BackupError, list_backups, parse_name, prune, table_counts, take_backup,
                         verify)
from edge.config import ConfigError, parse
from edge.db import DB_FILENAME, connect, schema_version, write_tx
from edge.domain import clerks, sync_state
from edge.migrations import MIGRATIONS
from edge.restore import plan_restore, restore
from edge.services.backups import DailyBackup, backup_if_due
from edge.store import Store
from tests.support.edge_store import ROOT

WRITER = """
import sys
from pathlib import Path
from datetime import datetime, timezone
from edge.db import connect, write_tx
from edge.domain import audit
db = connect(sys.argv[1])
stop = Path(sys.argv[2])
n = 0
while not stop.exists():
    with write_tx(db):
        for _ in range(20):
            audit.record(db, actor="writer", action="test.write", entity=f"n:{n}",
                         at=datetime.now(timezone.utc), detail={"pad": "x" * 200})
            n += 1
"""


def _wait_until(predicate, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def _writes(path: Path) -> int:
    conn = sqlite3.connect(path, timeout=5)
    try:
        return conn.execute("SELECT COUNT(*) FROM audit WHERE actor = 'writer'").fetchone()[0]
    finally:
        conn.close()


def _dump(path: Path, skip: tuple[str, ...] = ()) -> dict[str, list]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        names = [n for n in table_counts(conn) if n not in skip]
        return {n: conn.execute(f'SELECT * FROM "{n}" ORDER BY 1').fetchall() for n in names}
    finally:
        conn.close()


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_backup_while_another_process_writes_is_consistent_and_private(store, tmp_path):
    db_path = store.data_dir / DB_FILENAME
    stop = tmp_path / "stop"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(db_path), str(stop)], env=env)
    try:
        _wait_until(lambda: _writes(db_path) >= 200)
        taken = []
        for _ in range(3):
            before = _writes(db_path)
            backup = take_backup(store.data_dir)
            after = _writes(db_path)
            copied = _writes(backup.db_path)
            assert before <= copied <= after
            assert verify(backup.db_path) == backup.counts
            taken.append(backup)
        _wait_until(lambda: _writes(db_path) > after)  # the writer was never stopped
        assert writer.poll() is None
    finally:
        stop.touch()
        assert writer.wait(timeout=60) == 0
    for backup in taken:
        assert _mode(backup.db_path) == 0o600 and _mode(backup.key_path) == 0o600
        assert backup.key_path.read_bytes() == store.pickup_key
        assert not Path(str(backup.db_path) + "-wal").exists()  # one self-contained file
        assert backup.db_path.parent == store.data_dir / "backups"
        assert parse_name(backup.db_path)[1] == "manual"


def test_restore_round_trip_gives_back_the_backup_and_keeps_the_current_copy(store, make_order):
    make_order("R1")
    backup = take_backup(store.data_dir)
    saved = _dump(backup.db_path)
    make_order("R2")
    clerks.add_clerk(store.db, "c09", "新员工", "4321", role="clerk", now=datetime.now(timezone.utc))
    changed = _dump(store.data_dir / DB_FILENAME)
    assert changed["orders"] != saved["orders"]
    store.close()

    plan = plan_restore(store.data_dir, backup.db_path)
    assert (plan.store_id, plan.backup_orders, plan.current_orders) == ("S001", len(saved["orders"]),
                                                                       len(changed["orders"]))
    kept = restore(store.data_dir, plan)

    now = _dump(store.data_dir / DB_FILENAME, skip=("audit", "sync_state"))
    assert now == {k: v for k, v in saved.items() if k not in ("audit", "sync_state")}
    assert _dump(kept.db_path)["orders"] == changed["orders"]  # the replaced data is a backup
    assert parse_name(kept.db_path)[1] == "pre-restore"
    reopened = Store.open(store.data_dir)
    try:
        assert sync_state.get(reopened.db, sync_state.RESTORED) is not None
        assert reopened.db.execute("SELECT COUNT(*) FROM audit WHERE action = 'store.restored'"
                                   ).fetchone()[0] == 1
        assert reopened.pickup_key == store.pickup_key
    finally:
        reopened.close()
    assert _mode(store.data_dir / DB_FILENAME) == 0o600


def test_a_lost_pickup_key_comes_back_with_the_restore(store):
    backup = take_backup(store.data_dir)
    store.close()
    (store.data_dir / "pickup.key").write_bytes(b"another key" * 3)
    restore(store.data_dir, plan_restore(store.data_dir, backup.db_path))
    assert (store.data_dir / "pickup.key").read_bytes() == store.pickup_key
    assert _mode(store.data_dir / "pickup.key") == 0o600


def test_rotation_keeps_the_last_n_days(store, tmp_path):
    start = datetime(2026, 11, 1, 3, 0, tzinfo=timezone.utc)
    for day in range(20):
        take_backup(store.data_dir, tmp_path / "b", reason="daily", now=start + timedelta(days=day))
    take_backup(store.data_dir, tmp_path / "b", now=start + timedelta(days=19, hours=2))
    stale, running = tmp_path / "b" / "store-x-daily.db.part", tmp_path / "b" / "store-y-daily.db.part"
    stale.write_bytes(b"cut short")
    running.write_bytes(b"being written")
    os.utime(stale, (time.time() - 2 * 86400,) * 2)
    removed = prune(tmp_path / "b", 14)
    assert not stale.exists() and running.exists()  # a copy in progress is left alone
    assert len(removed) == 6
    left = list_backups(tmp_path / "b")
    assert len(left) == 15  # 14 days, the last of them with two sets
    assert min(at for _, at, _ in left).date() == (start + timedelta(days=6)).date()
    assert sorted(p.name for p in (tmp_path / "b").iterdir() if p.suffix == ".key") == \
        sorted(p.with_suffix(".key").name for p, _, _ in left)


def test_backup_keep_is_validated_in_the_config():
    assert parse("[backup]\nkeep = 30\n").backup_keep == 30
    assert parse("").backup_keep == 14
    for bad in ("keep = 0", "keep = true", 'keep = "7"', "kept = 7"):
        with pytest.raises(ConfigError) as info:
            parse(f"[backup]\n{bad}\n")
        assert "backup.ke" in info.value.message_en and "backup.ke" in info.value.message_zh


def test_daily_backup_is_taken_when_a_day_has_passed_and_at_start(store):
    day0 = datetime(2026, 11, 1, 3, 0, tzinfo=timezone.utc)
    assert backup_if_due(store.data_dir, 14, now=day0) is not None
    assert backup_if_due(store.data_dir, 14, now=day0 + timedelta(hours=23)) is None
    later = backup_if_due(store.data_dir, 14, now=day0 + timedelta(days=3))  # the PC was off
    assert later is not None and parse_name(later.db_path)[1] == "daily"
    service = DailyBackup(store.data_dir, keep=14, clock=lambda: day0 + timedelta(days=5)).start()
    try:
        _wait_until(lambda: service.checks >= 1)
    finally:
        service.stop()
    assert len(list_backups(store.data_dir / "backups")) == 3


def _old_database(path: Path, version: int) -> None:
    """A database as an older store-edge left it: only the first ``version`` migrations."""
    db = Database(sqlite3.connect(path, isolation_level=None))
    from edge.db import _split_sql

    for step in range(version):
        with write_tx(db):
            for statement in _split_sql(MIGRATIONS[step]):
                db.execute(statement)
            db.execute(f"PRAGMA user_version={step + 1}")
    db.execute("INSERT INTO meta (key, value) VALUES ('store_id', 'S001')")
    db.close()


def test_a_backup_is_taken_before_migrating_an_older_database(tmp_path):
    assert len(MIGRATIONS) > 3
    path = tmp_path / "store" / DB_FILENAME
    path.parent.mkdir()
    _old_database(path, 3)
    db = connect(path)
    assert schema_version(db) == len(MIGRATIONS)
    db.close()
    (backup, _at, reason), = list_backups(tmp_path / "store" / "backups")
    assert reason == "pre-migration-v3"
    copy = sqlite3.connect(backup)
    assert copy.execute("PRAGMA user_version").fetchone()[0] == 3
    assert copy.execute("SELECT value FROM meta").fetchall() == [("S001",)]
    copy.close()
    again = connect(path)  # nothing pending: no new backup
    again.close()
    assert len(list_backups(tmp_path / "store" / "backups")) == 1


def _run(argv: list[str], capsys) -> tuple[int, str, str]:
    code = cli.main(argv)
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.mark.parametrize("lang,word", [("en", "newer store-edge"), ("zh-CN", "更新版本")])
def test_a_database_from_a_newer_store_edge_is_refused_by_every_command(store, capsys, lang, word):
    store.db.execute(f"PRAGMA user_version={len(MIGRATIONS) + 1}")
    store.close()
    db_path = store.data_dir / DB_FILENAME
    before = db_path.read_bytes()
    d = ["--data-dir", str(store.data_dir), "--lang", lang]
    for argv in (["pickup", "check", "12345678901"], ["sync", "--status"], ["backup"],
                 ["staff", "list"], ["run"]):
        code, out, err = _run([*argv, *d], capsys)
        assert code == 2, argv
        assert word in err and str(len(MIGRATIONS) + 1) in err, argv
    with pytest.raises(Exception) as info:
        Store.open(store.data_dir)
    assert type(info.value).__name__ == "SchemaTooNew"
    assert db_path.read_bytes() == before
    assert not (store.data_dir / "backups").exists()


def test_restore_of_another_stores_backup_is_refused(store, tmp_path, capsys):
    from edge.store import init_store

    other = init_store(tmp_path / "other", "S777", "别的店", "Another store")
    foreign = take_backup(other.data_dir)
    other.close()
    before = _dump(store.data_dir / DB_FILENAME)
    code, out, err = _run(["restore", str(foreign.db_path), "--yes", "--data-dir", str(store.data_dir),
                           "--lang", "en"], capsys)
    assert code == 1 and "S777" in err and "S001" in err and "refused" in err
    assert _dump(store.data_dir / DB_FILENAME) == before
    assert not (store.data_dir / "backups").exists()
    with pytest.raises(BackupError):
        plan_restore(store.data_dir, foreign.db_path)


def test_cli_exit_codes(store, tmp_path, capsys, monkeypatch):
    d = ["--data-dir", str(store.data_dir), "--lang", "en"]
    code, out, _ = _run(["backup", "--json", *d], capsys)
    assert code == 0
    import json

    made = json.loads(out)
    assert made["counts"]["orders"] == store.db.execute("SELECT COUNT(*) FROM orders").fetchone()[0]
    code, out, _ = _run(["backup", "--to", str(tmp_path / "elsewhere"), *d], capsys)
    assert code == 0 and "verified" in out and len(list_backups(tmp_path / "elsewhere")) == 1
    code, out, _ = _run(["backup", "--list", *d], capsys)
    assert code == 0 and Path(made["path"]).name in out
    (tmp_path / "a-file").write_text("")
    code, _, err = _run(["backup", "--to", str(tmp_path / "a-file" / "sub"), *d], capsys)
    assert code == 1 and "Backup failed" in err
    code, _, err = _run(["backup", "--data-dir", str(tmp_path / "nothing"), "--lang", "en"], capsys)
    assert code == 2 and "nothing to back up" in err
    code, _, err = _run(["restore", str(tmp_path / "nope.db"), "--yes", *d], capsys)
    assert code == 2 and "not found" in err
    Path(made["key"]).rename(tmp_path / "moved.key")
    code, _, err = _run(["restore", made["path"], "--yes", *d], capsys)
    assert code == 1 and "pickup key" in err
    (tmp_path / "moved.key").rename(made["key"])
    monkeypatch.setattr(sys, "stdin", open(os.devnull))  # no terminal to ask at
    code, out, err = _run(["restore", made["path"], *d], capsys)
    assert code == 1 and "--yes" in err and "orders in the backup" in out
    store.close()
    code, out, err = _run(["restore", made["path"], "--yes", *d], capsys)
    assert code == 0 and "pre-restore" in out


def test_a_backup_from_an_older_store_edge_is_restored_and_migrated_forward(store, tmp_path):
    old_dir = tmp_path / "old"
    old_dir.mkdir()
    _old_database(old_dir / DB_FILENAME, 3)
    (old_dir / "pickup.key").write_bytes(store.pickup_key)
    old = take_backup(old_dir)  # copies as it is: no migration
    assert sqlite3.connect(old.db_path).execute("PRAGMA user_version").fetchone()[0] == 3
    store.close()
    restore(store.data_dir, plan_restore(store.data_dir, old.db_path))
    reopened = Store.open(store.data_dir)
    try:
        assert schema_version(reopened.db) == len(MIGRATIONS)
        assert reopened.store_id == "S001"
    finally:
        reopened.close()
    reasons = {reason for _, _, reason in list_backups(store.data_dir / "backups")}
    assert reasons == {"pre-restore", "pre-migration-v3"}


def test_a_file_that_is_not_a_backup_is_refused_and_changes_nothing(store, tmp_path, capsys):
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database at all" * 100)
    junk.with_suffix(".key").write_bytes(b"k" * 32)
    before = _dump(store.data_dir / DB_FILENAME)
    code, _, err = _run(["restore", str(junk), "--yes", "--data-dir", str(store.data_dir),
                         "--lang", "zh-CN"], capsys)
    assert code == 1 and "不是可用的备份" in err and "file is not a database" in err
    assert _dump(store.data_dir / DB_FILENAME) == before


class _Terminal:
    """A terminal where the user types ``answer``."""

    def __init__(self, answer: str) -> None:
        self.answer = answer

    def isatty(self) -> bool:
        return True

    def readline(self) -> str:
        return self.answer + "\n"


def test_restore_asks_and_a_no_changes_nothing(store, make_order, capsys, monkeypatch):
    backup = take_backup(store.data_dir)
    make_order("AFTER-1")
    store.close()
    before = _dump(store.data_dir / DB_FILENAME)
    d = ["--data-dir", str(store.data_dir), "--lang", "en"]
    monkeypatch.setattr(sys, "stdin", _Terminal("no"))
    code, out, _ = _run(["restore", str(backup.db_path), *d], capsys)
    assert code == 1 and "Not restored" in out and "store S001" in out
    assert _dump(store.data_dir / DB_FILENAME) == before
    assert len(list_backups(store.data_dir / "backups")) == 1
    monkeypatch.setattr(sys, "stdin", _Terminal("yes"))
    code, out, _ = _run(["restore", str(backup.db_path), *d], capsys)
    assert code == 0 and "Restored" in out
    assert "AFTER-1" not in {r[0] for r in _dump(store.data_dir / DB_FILENAME)["orders"]}


def test_no_migration_without_its_backup(tmp_path, capsys):
    data_dir = tmp_path / "store"
    data_dir.mkdir()
    _old_database(data_dir / DB_FILENAME, 3)
    (data_dir / "backups").write_text("a file where the backups should go")
    code, _, err = _run(["pickup", "check", "12345678901", "--data-dir", str(data_dir), "--lang", "en"],
                        capsys)
    assert code == 1 and "Backup failed" in err
    assert sqlite3.connect(data_dir / DB_FILENAME).execute("PRAGMA user_version").fetchone()[0] == 3
