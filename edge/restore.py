"""Putting a backup set back: ``store-edge restore FILE``.

The plan (``plan_restore``) reads the copy and the current database so the user sees what
will be replaced before anything changes: which store, when the copy was taken, its orders
against today's. A copy of another store is refused. The restore itself keeps the current
database as a backup set first, copies the backup INTO the live database with SQLite's backup
API (other connections see the new content; swapping the file under a running app would mix
the old WAL into the new file), puts its pickup key back, and marks the store as restored:
the next sync fetches HQ's snapshot first (``edge.domain.hq_apply.rejoin_after_restore``),
so the store takes back from HQ what happened after the copy and re-sends what HQ lacks.
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from edge.backup import (BackupError, BackupSet, copy_database, key_path_for, parse_name, take_backup,
                         verify)
from edge.clock import utcnow
from edge.db import BUSY_TIMEOUT_MS, DB_FILENAME, check_file_version, connect, write_tx
from edge.domain import audit, sync_state
from edge.i18n import register
from edge.private_files import PRIVATE_MODE

RESTORING_FILENAME = "store.db.restoring"

register({
    "restore.no_file": ("找不到备份文件：{path}", "Backup file not found: {path}"),
    "restore.no_key": ("备份旁边缺少取货码密钥文件 {path}：没有它，副本中的取货码无法核验",
                       "The pickup key {path} is missing beside the backup: without it the codes in the copy"
                       " cannot be checked"),
    "restore.bad_file": ("{path} 不是可用的备份（{detail}），什么都没有改变",
                         "{path} is not a usable backup ({detail}); nothing changed"),
    "restore.not_a_store": ("{path} 不是门店数据库备份", "{path} is not a store database backup"),
    "restore.other_store": ("这是门店 {backup} 的备份，本机是门店 {current}：拒绝恢复",
                            "This is a backup of store {backup}; this PC is store {current}: refused"),
    "restore.warning": (
        "将用备份替换门店 {store} 的数据库：\n"
        "  备份：{path}\n  备份时间：{taken}\n  备份中的订单：{backup_orders}（现在：{current_orders}）\n"
        "备份之后的改动将从总部重新取回；本机当前数据库会先另存为备份。\n"
        "请先关闭收银界面和同步服务。",
        "This replaces the database of store {store} with a backup:\n"
        "  backup: {path}\n  taken: {taken}\n  orders in the backup: {backup_orders} (now: {current_orders})\n"
        "What changed after the backup is taken back from HQ; the current database is kept as a backup first.\n"
        "Close the counter UI and the sync agent first."),
    "restore.confirm": ("输入 yes 确认恢复：", "Type yes to restore: "),
    "restore.cancelled": ("未恢复，什么都没有改变", "Not restored; nothing changed"),
    "restore.no_terminal": ("需要确认：请在终端中运行，或加 --yes", "Confirmation needed: run it at a terminal, or add --yes"),
    "restore.done": ("已恢复 {path}；原数据库已另存为 {safety}。下次同步时将从总部重新取回数据。",
                     "Restored {path}; the previous database was kept as {safety}. The next sync takes"
                     " back from HQ what changed since."),
})


@dataclass(frozen=True)
class RestorePlan:
    """What a restore would replace, shown to the user before asking."""

    backup: Path
    store_id: str
    current_store_id: str | None
    taken_at: datetime
    backup_orders: int
    current_orders: int | None


def _store_id_and_orders(path: Path) -> tuple[str | None, int | None]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=BUSY_TIMEOUT_MS / 1000)
    try:
        row = conn.execute("SELECT value FROM meta WHERE key = 'store_id'").fetchone()
        orders = conn.execute("SELECT COUNT(*) FROM orders").fetchone()[0]
    except sqlite3.DatabaseError:
        return None, None
    finally:
        conn.close()
    return (row[0] if row else None), orders


def plan_restore(data_dir: str | Path, backup: str | Path) -> RestorePlan:
    """Check a backup against this store; raises BackupError saying why it can't be used."""
    backup, live = Path(backup), Path(data_dir) / DB_FILENAME
    if not backup.is_file():
        raise BackupError("restore.no_file", path=str(backup))
    try:
        verify(backup)
    except BackupError as exc:
        raise BackupError("restore.bad_file", path=str(backup), detail=exc.params["detail"]) from None
    check_file_version(backup)
    store_id, orders = _store_id_and_orders(backup)
    if store_id is None or orders is None:
        raise BackupError("restore.not_a_store", path=str(backup))
    if not key_path_for(backup).is_file():
        raise BackupError("restore.no_key", path=str(key_path_for(backup)))
    current_id, current_orders = _store_id_and_orders(live) if live.is_file() else (None, None)
    if current_id is not None and current_id != store_id:
        raise BackupError("restore.other_store", backup=store_id, current=current_id)
    named = parse_name(backup)
    taken = named[0] if named else datetime.fromtimestamp(backup.stat().st_mtime).astimezone()
    return RestorePlan(backup, store_id, current_id, taken, orders, current_orders)


def _put_key(source: Path, target: Path) -> None:
    """Replace the pickup key atomically, 0600 from the first byte."""
    data = source.read_bytes()
    if target.is_file() and target.read_bytes() == data:
        return
    part = target.with_name(target.name + ".part")
    part.unlink(missing_ok=True)
    fd = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_MODE)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(part, target)


def restore(data_dir: str | Path, plan: RestorePlan, *, actor: str = "cli",
            now: datetime | None = None) -> BackupSet | None:
    """Replace the store's database and key with the backup in ``plan``; returns the backup
    set the previous database was kept as (None when there was none).

    The copy is prepared beside the database first (migrated forward, marked restored,
    audited) and then goes into the live database in ONE backup step: a sync agent still
    running sees either the old database or the restored one already marked, never a
    restored one it could push from before the mark."""
    data_dir, now = Path(data_dir), now or utcnow()
    live = data_dir / DB_FILENAME
    data_dir.mkdir(parents=True, exist_ok=True)
    safety = take_backup(data_dir, reason="pre-restore", now=now) if live.is_file() else None
    staged = data_dir / RESTORING_FILENAME
    for leftover in _sqlite_files(staged):
        leftover.unlink(missing_ok=True)
    try:
        copy_database(plan.backup, staged)
        _mark_restored(staged, plan, safety, actor, now)
        src = sqlite3.connect(f"file:{staged}?mode=ro", uri=True)
        db = connect(live)  # 0600, WAL; then the prepared pages replace its own
        try:
            src.backup(db.conn)
        finally:
            src.close()
            db.close()
    finally:
        for leftover in _sqlite_files(staged):
            leftover.unlink(missing_ok=True)
    _put_key(key_path_for(plan.backup), data_dir / "pickup.key")
    return safety


def _sqlite_files(path: Path) -> list[Path]:
    return [path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")]


def _mark_restored(staged: Path, plan: RestorePlan, safety: BackupSet | None, actor: str,
                   now: datetime) -> None:
    """Bring the staged copy up to this store-edge's schema and mark it: its outbox's last
    seq (the next sync rejoins HQ from there), and the audit line of the restore."""
    db = connect(staged)  # migrates a copy from an older store-edge forward
    try:
        with write_tx(db):
            seq = db.execute("SELECT COALESCE(MAX(seq), 0) FROM outbox").fetchone()[0]
            sync_state.put(db, sync_state.RESTORED, str(seq))
            audit.record(db, actor=actor, action="store.restored", entity=f"store:{plan.store_id}",
                         at=now, detail={"backup": str(plan.backup), "taken_at": plan.taken_at.isoformat(),
                                         "kept_as": str(safety.db_path) if safety else None,
                                         "outbox_seq": seq})
    finally:
        db.close()
