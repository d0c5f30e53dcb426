"""``store-edge backup`` and ``store-edge restore``: the store's data, kept safe by the store PC.

Registered through edge.cli's plugin list. Exit codes: 0 done, 1 refused (a copy that fails
its check, another store's backup, the user said no; nothing changed), 2 bad usage (no store,
no such file).
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime
from zoneinfo import ZoneInfo

from edge.backup import BackupError, backup_dir, list_backups, prune, take_backup
from edge.i18n import t
from edge.restore import plan_restore, restore

EXIT_OK, EXIT_REFUSED, EXIT_USAGE = 0, 1, 2
_USAGE_CODES = {"backup.no_store", "restore.no_file"}


def add_subparsers(sub: argparse._SubParsersAction, parents: list[argparse.ArgumentParser]) -> None:
    bk = sub.add_parser("backup", parents=parents,
                        help="copy the store's database and pickup key (verified), rotating old copies")
    bk.add_argument("--to", dest="dest", metavar="DIR", help="where to write it (default: <data-dir>/backups)")
    bk.add_argument("--list", action="store_true", help="list the backups instead of taking one")
    bk.add_argument("--json", action="store_true")
    bk.set_defaults(handler=run_backup)
    rs = sub.add_parser("restore", parents=parents,
                        help="put a backup back (the current database is kept as a backup first)")
    rs.add_argument("file", help="a backup database (store-….db), its .key beside it")
    rs.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    rs.set_defaults(handler=run_restore)


def _when(at: datetime, args: argparse.Namespace) -> str:
    """A backup's time in the store's time zone, with the year (copies outlive a year)."""
    return at.astimezone(ZoneInfo(args.cfg.timezone)).strftime("%Y-%m-%d %H:%M:%S")


def _fail(exc: BackupError, lang: str) -> int:
    print(t(exc.code, lang, **exc.params), file=sys.stderr)
    return EXIT_USAGE if exc.code in _USAGE_CODES else EXIT_REFUSED


def run_backup(args: argparse.Namespace) -> int:
    cfg, lang = args.cfg, args.lang
    dest = args.dest or backup_dir(cfg.data_dir)
    if args.list:
        return _list(dest, args)
    try:
        taken = take_backup(cfg.data_dir, dest)
    except BackupError as exc:
        return _fail(exc, lang)
    removed = prune(dest, cfg.backup_keep)
    if args.json:
        print(json.dumps({"path": str(taken.db_path), "key": str(taken.key_path),
                          "taken_at": taken.taken_at.isoformat(), "counts": taken.counts,
                          "removed": [str(p) for p in removed]}, ensure_ascii=False))
        return EXIT_OK
    print(t("backup.done", lang, path=taken.db_path, tables=len(taken.counts), orders=taken.orders))
    if removed:
        print(t("backup.pruned", lang, n=len(removed), keep=cfg.backup_keep))
    return EXIT_OK


def _list(dest, args: argparse.Namespace) -> int:
    sets = list_backups(dest)
    if args.json:
        print(json.dumps([{"path": str(p), "taken_at": at.isoformat(), "reason": r} for p, at, r in sets]))
    elif not sets:
        print(t("backup.list_empty", args.lang, path=dest))
    for path, at, reason in sets if not args.json else []:
        print(f"{_when(at, args)}  {reason:22}  {path}")
    return EXIT_OK


def run_restore(args: argparse.Namespace) -> int:
    cfg, lang = args.cfg, args.lang
    try:
        plan = plan_restore(cfg.data_dir, args.file)
    except BackupError as exc:
        return _fail(exc, lang)
    print(t("restore.warning", lang, store=plan.store_id, path=plan.backup,
            taken=_when(plan.taken_at, args), backup_orders=plan.backup_orders,
            current_orders="-" if plan.current_orders is None else plan.current_orders))
    if not args.yes:
        if not sys.stdin.isatty():
            print(t("restore.no_terminal", lang), file=sys.stderr)
            return EXIT_REFUSED
        if input(t("restore.confirm", lang)).strip().lower() not in ("yes", "y", "是"):
            print(t("restore.cancelled", lang))
            return EXIT_REFUSED
    try:
        safety = restore(cfg.data_dir, plan)
    except BackupError as exc:
        return _fail(exc, lang)
    print(t("restore.done", lang, path=plan.backup, safety=safety.db_path if safety else "-"))
    return EXIT_OK
