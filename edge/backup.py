"""Backup sets of the store's data: the database and the pickup key, side by side.

A set is ``store-<UTC time>-<reason>.db`` plus ``….key`` (mode 0600, like the originals) in
``<data_dir>/backups/``. The database is copied with SQLite's online backup API inside one read
transaction, so the copy is one consistent moment even while the app and the sync agent write
(WAL lets them go on meanwhile). A copy is kept only after it opens, passes
``PRAGMA integrity_check`` and holds the same number of rows in every table as the database
had at that moment. The key travels with it: without the key, the pickup codes in the copy
could not be checked.

Rotation keeps every set of the last ``keep`` days that have sets (``[backup] keep``).
"""

from __future__ import annotations

import os
import re
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from edge.clock import utcnow
from edge.db import BUSY_TIMEOUT_MS, DB_FILENAME
from edge.i18n import register
from edge.private_files import PRIVATE_MODE, create_private

BACKUP_DIRNAME = "backups"
DEFAULT_KEEP = 14
KEY_SUFFIX = ".key"
_STAMP = "%Y%m%dT%H%M%SZ"
_NAME = re.compile(r"^store-(?P<stamp>\d{8}T\d{6}Z)-(?P<reason>[a-z0-9-]+?)(?:-(?P<n>\d+))?\.db$")

register({
    "backup.done": ("已备份：{path}（{tables} 张表，{orders} 个订单，已校验）",
                    "Backed up: {path} ({tables} tables, {orders} orders, verified)"),
    "backup.pruned": ("已删除 {n} 份旧备份（保留最近 {keep} 天）",
                      "Removed {n} old backup(s) (keeping the last {keep} days)"),
    "backup.no_store": ("{path} 中没有门店数据库，无可备份", "No store database in {path}: nothing to back up"),
    "backup.failed": ("备份失败：{detail}", "Backup failed: {detail}"),
    "backup.verify_failed": ("备份副本校验失败（{detail}），已删除副本", "The backup copy failed its check ({detail}); the copy was removed"),
    "backup.list_empty": ("{path} 中没有备份", "No backups in {path}"),
})


class BackupError(Exception):
    """A backup or restore that could not be done; ``code``/``params`` for the message."""

    def __init__(self, code: str, **params: object) -> None:
        super().__init__(code)
        self.code = code
        self.params = params


@dataclass(frozen=True)
class BackupSet:
    """One backup: the database copy and the pickup key beside it."""

    db_path: Path
    taken_at: datetime
    reason: str
    counts: dict[str, int]

    @property
    def key_path(self) -> Path:
        return key_path_for(self.db_path)

    @property
    def orders(self) -> int:
        return self.counts.get("orders", 0)


def key_path_for(db_path: Path) -> Path:
    return db_path.with_suffix(KEY_SUFFIX)


def backup_dir(data_dir: str | Path) -> Path:
    return Path(data_dir) / BACKUP_DIRNAME


def parse_name(path: Path) -> tuple[datetime, str] | None:
    """(time taken, reason) from a backup file name; None for any other file."""
    m = _NAME.match(path.name)
    if m is None:
        return None
    taken = datetime.strptime(m["stamp"], _STAMP).replace(tzinfo=timezone.utc)
    return taken, m["reason"]


def table_counts(conn: sqlite3.Connection) -> dict[str, int]:
    """Rows in every table (sqlite_ internal tables aside)."""
    names = [r[0] for r in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]
    return {n: conn.execute(f'SELECT COUNT(*) FROM "{n}"').fetchone()[0] for n in names}


def _new_path(dest: Path, taken: datetime, reason: str) -> Path:
    base = f"store-{taken.strftime(_STAMP)}-{reason}"
    path, n = dest / f"{base}.db", 1
    while path.exists() or key_path_for(path).exists():
        n += 1
        path = dest / f"{base}-{n}.db"
    return path


def copy_database(source: Path, target: Path) -> dict[str, int]:
    """Copy ``source`` into the new file ``target`` (0600, single file, no WAL) with the
    online backup API; returns the row counts read in the same transaction as the copy."""
    create_private(target)
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=BUSY_TIMEOUT_MS / 1000)
    dst = sqlite3.connect(str(target))
    try:
        src.isolation_level = None
        src.execute("BEGIN")  # one snapshot for the counts and the copy
        counts = table_counts(src)
        src.backup(dst)
        src.execute("COMMIT")
        dst.execute("PRAGMA journal_mode=DELETE")  # the copy is one file
    finally:
        src.close()
        dst.close()
    return counts


def verify(path: Path, expected: dict[str, int] | None = None) -> dict[str, int]:
    """Open a copy read-only: integrity check, and the row counts ``expected`` (if given).
    Raises BackupError("backup.verify_failed") naming what differs."""
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            check = conn.execute("PRAGMA integrity_check").fetchone()[0]
            counts = table_counts(conn)
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise BackupError("backup.verify_failed", detail=str(exc)) from None
    if check != "ok":
        raise BackupError("backup.verify_failed", detail=f"integrity_check: {check}")
    if expected is not None and counts != expected:
        differ = sorted(k for k in expected.keys() | counts.keys() if expected.get(k) != counts.get(k))
        raise BackupError("backup.verify_failed", detail="row counts differ: " + ", ".join(differ))
    return counts


def _copy_private(source: Path, target: Path) -> None:
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_MODE)
    with os.fdopen(fd, "wb") as f:
        f.write(source.read_bytes())
        f.flush()
        os.fsync(f.fileno())


def take_backup(data_dir: str | Path, dest: str | Path | None = None, *, reason: str = "manual",
                now: datetime | None = None, db_path: Path | None = None) -> BackupSet:
    """Back up the store in ``data_dir`` into ``dest`` (default ``<data_dir>/backups``),
    verified; the pickup key beside it. Nothing is left behind when it fails."""
    data_dir = Path(data_dir)
    source = db_path or data_dir / DB_FILENAME
    if not source.is_file():
        raise BackupError("backup.no_store", path=str(data_dir))
    dest = Path(dest) if dest is not None else backup_dir(data_dir)
    try:
        dest.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:  # a read-only stick, a path through a file
        raise BackupError("backup.failed", detail=str(exc)) from None
    taken = (now or utcnow()).astimezone(timezone.utc)
    target = _new_path(dest, taken, reason)
    part = target.with_name(target.name + ".part")
    try:
        counts = copy_database(source, part)
        verify(part, counts)
        key = source.parent / "pickup.key"
        if key.is_file():
            _copy_private(key, key_path_for(target))
        os.replace(part, target)
    except BaseException as exc:
        for leftover in (part, key_path_for(target)):
            leftover.unlink(missing_ok=True)
        if isinstance(exc, sqlite3.Error | OSError):
            raise BackupError("backup.failed", detail=str(exc)) from None
        raise
    return BackupSet(target, taken, reason, counts)


def list_backups(dest: str | Path) -> list[tuple[Path, datetime, str]]:
    """Backup databases in ``dest``, newest first."""
    dest = Path(dest)
    if not dest.is_dir():
        return []
    found = [(p, *named) for p in dest.glob("store-*.db") if (named := parse_name(p)) is not None]
    return sorted(found, key=lambda f: (f[1], f[0].name), reverse=True)


def prune(dest: str | Path, keep: int) -> list[Path]:
    """Delete sets older than the ``keep`` most recent days that have sets; returns what
    was deleted."""
    _remove_stale_parts(Path(dest))
    sets = list_backups(dest)
    days = sorted({taken.date() for _, taken, _ in sets}, reverse=True)[:keep]
    removed = []
    for path, taken, _ in sets:
        if taken.date() not in days:
            path.unlink(missing_ok=True)
            key_path_for(path).unlink(missing_ok=True)
            removed.append(path)
    return removed


def _remove_stale_parts(dest: Path) -> None:
    """A copy cut short (the PC lost power) leaves a ``.part``: gone at the next rotation."""
    cutoff = utcnow().timestamp() - 24 * 3600
    for part in dest.glob("store-*.db.part") if dest.is_dir() else []:
        if part.stat().st_mtime < cutoff:
            part.unlink(missing_ok=True)


def newest(dest: str | Path) -> datetime | None:
    sets = list_backups(dest)
    return sets[0][1] if sets else None
