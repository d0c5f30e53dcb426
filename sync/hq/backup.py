"""Back HQ up and restore it: one command each, SQLite or PostgreSQL.

``restore`` also does what a restored HQ must do before it serves again (README, "Restoring
HQ from a backup"): bring the schema up to date and bump the epoch, which starts a new
order-number series. Stores then resync by themselves, re-push the events the backup
lacks and give back the orders HQ lost.
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from pathlib import Path

from .db import open_database, sqlite_path
from .errors import HQError
from .registry import bump_epoch, order_series
from .schema import migrate


def _pg_tool(name: str) -> str:
    tool = shutil.which(name)
    if tool is None:
        raise HQError("tool_missing", f"{name} (PostgreSQL client tools) is not installed")
    return tool


def _pg_schema(db_url: str) -> str:
    """The schema HQ's tables live in (the URL's search_path, else ``public``)."""
    db = open_database(db_url)
    try:
        with db.tx(snapshot=True) as tx:
            return tx.scalar("SELECT current_schema()")
    finally:
        db.close()


def _run(args: list[str]) -> None:
    done = subprocess.run(args, capture_output=True, text=True)
    if done.returncode != 0:
        raise HQError("backup_tool_failed", f"{Path(args[0]).name}: {done.stderr.strip()[:500]}")


def backup(db_url: str, target: Path) -> Path:
    """A consistent copy of HQ's database while HQ keeps running (SQLite online backup;
    ``pg_dump`` custom format of HQ's schema)."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    if db_url.startswith("sqlite:"):
        _copy_sqlite(sqlite_path(db_url), target)
    else:
        _run([_pg_tool("pg_dump"), "--format=custom", f"--schema={_pg_schema(db_url)}",
              f"--file={target}", db_url])
    return target


def restore(db_url: str, source: Path) -> tuple[str, str]:
    """Replace HQ's database with a backup (stop ``hq serve`` first), then migrate and bump
    the epoch. Returns (new epoch, new order-number series)."""
    source = Path(source)
    if not source.is_file():
        raise HQError("no_backup", f"backup {source} not found", 404)
    if db_url.startswith("sqlite:"):
        _copy_sqlite(str(source), sqlite_path(db_url))
    else:
        _run([_pg_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--single-transaction",
              f"--dbname={db_url}", str(source)])
    db = open_database(db_url)
    try:
        migrate(db)
        epoch = bump_epoch(db)
        return epoch, order_series(db)
    finally:
        db.close()


def _copy_sqlite(source: str, target: str | Path) -> None:
    """SQLite's backup API: page by page under a read lock, consistent even in WAL mode."""
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    dst = sqlite3.connect(str(target))
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()
