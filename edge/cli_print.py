"""``store-edge print list``: the print queue from the shell (what F8 shows), for a technician
at the back-office PC or a script that watches for paper-out.

Registered through edge.cli's plugin list. Open jobs by default, ``--all`` for the latest
printed and cancelled ones too, ``--order NO`` for one order's receipt and labels.
Exit codes: 0 listed (even when empty), 2 bad usage (no store in the data directory).
"""

from __future__ import annotations

import argparse
import json

import edge.device_text  # noqa: F401  (registers dev.* strings)
from edge.domain import print_jobs
from edge.i18n import register, t
from edge.services.printing import reason_text
from edge.store import Store

EXIT_OK = 0

register({
    "print.none": ("没有待打印的任务", "Nothing waiting to print"),
    "print.open": ("待打印 {n} 个：{detail}", "{n} open: {detail}"),
})


def add_subparsers(sub: argparse._SubParsersAction,
                   parents: list[argparse.ArgumentParser]) -> argparse.ArgumentParser:
    group = sub.add_parser("print", parents=parents, help="the print queue (receipts, bag labels)")
    group.set_defaults(handler=run)
    cmds = group.add_subparsers(dest="print_command", required=True)
    ls = cmds.add_parser("list", parents=parents, help="jobs waiting to print, and why")
    ls.add_argument("--order", metavar="ORDER_NO", help="only this order's receipt and labels")
    ls.add_argument("--all", action="store_true", help="printed and cancelled jobs too (latest 100)")
    ls.add_argument("--json", action="store_true")
    return group


def run(args: argparse.Namespace) -> int:
    store = Store.open(args.cfg.data_dir)  # not a store yet: edge.cli says so (exit 2)
    try:
        return _list(store, args)
    finally:
        store.close()


def _list(store: Store, args: argparse.Namespace) -> int:
    lang = args.lang
    if args.order:
        jobs = print_jobs.jobs_for(store.db, args.order)
        jobs = jobs if args.all else [j for j in jobs if j.status in print_jobs.OPEN_STATUSES]
    else:
        jobs = print_jobs.list_jobs(store.db, open_only=not args.all)
    counts = print_jobs.waiting_counts(store.db)
    if args.json:
        print(json.dumps({"open": counts, "jobs": [
            {"id": j.id, "kind": j.kind, "ref": j.ref, "printer": j.printer, "status": j.status,
             "reason": j.last_error, "attempts": j.attempts, "copy_of": j.copy_of,
             "created_at": j.created_at, "printed_at": j.printed_at} for j in jobs]},
            ensure_ascii=False, indent=1))
        return EXIT_OK
    for j in jobs:
        why = reason_text(j, lang)
        print(f"#{j.id:<5} {t(f'dev.job.{j.kind}', lang):<8} {j.ref:<16} "
              f"{t(f'dev.job_status.{j.status}', lang)}" + (f"  {why}" if why else ""))
    if counts:
        detail = ", ".join(f"{t(f'dev.job_status.{s}', lang)} {n}" for s, n in sorted(counts.items()))
        print(t("print.open", lang, n=sum(counts.values()), detail=detail))
    else:
        print(t("print.none", lang))
    return EXIT_OK
