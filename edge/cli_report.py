"""``store-edge report day-end``: the day's figures for scripts, HQ support and the manager.

Registered through edge.cli's plugin list. The day is the store's local day in the config's
``timezone`` (default Asia/Shanghai); ``--date`` defaults to today there. Reading, printing and
sending are manager-only (``--manager ID``, the PIN typed at the terminal or taken from
``$STORE_EDGE_MANAGER_PIN``), the same rule as the day-end screen.
Exit codes: 0 done, 1 refused (not a manager, wrong PIN), 2 bad usage (a date that is not one, or has not
begun).
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from zoneinfo import ZoneInfo

from edge.cli_pin import MANAGER_PIN_ENV, read_pin
from edge.domain import clerks, day_end, day_end_figures, print_jobs
from edge.domain.errors import DomainError
from edge.domain.print_docs import settings_from_config
from edge.i18n import t
from edge.store import Store, StoreNotInitialised

EXIT_OK, EXIT_REFUSED, EXIT_USAGE = 0, 1, 2


def add_subparsers(sub: argparse._SubParsersAction,
                   parents: list[argparse.ArgumentParser]) -> argparse.ArgumentParser:
    report = sub.add_parser("report", parents=parents, help="store reports (day end)")
    report.set_defaults(handler=run)
    group = report.add_subparsers(dest="report_command", required=True)
    de = group.add_parser("day-end", parents=parents,
                          help="the day's figures: pickups, verify time, add-ons, sales, cold chain, stock")
    de.add_argument("--date", help="the store's local day, e.g. 2026-11-01 (default: today)")
    de.add_argument("--format", choices=("text", "csv", "json"), default="text")
    de.add_argument("--print", dest="print_it", action="store_true",
                    help="queue it on the receipt printer")
    de.add_argument("--send", action="store_true", help="send it to HQ (with the next sync)")
    de.add_argument("--manager", required=True,
                    help=f"the manager's id (day end is manager-only; PIN: terminal or ${MANAGER_PIN_ENV})")
    return report


def run(args: argparse.Namespace) -> int:
    lang = args.lang
    tz = ZoneInfo(args.cfg.timezone)
    try:
        day = date.fromisoformat(args.date) if args.date else day_end.local_today(tz)
    except ValueError:
        print(t("dayend.bad_date", lang, value=args.date), file=sys.stderr)
        return EXIT_USAGE
    if day > day_end.local_today(tz):
        print(t("dayend.future", lang, day=day.isoformat()), file=sys.stderr)
        return EXIT_USAGE
    try:
        store = Store.open(args.cfg.data_dir)
    except StoreNotInitialised as exc:
        print(t("cli.not_initialised", lang, path=exc.data_dir), file=sys.stderr)
        return EXIT_USAGE
    try:
        return _day_end(store, day, tz, args)
    except DomainError as exc:
        print(t(exc.code, lang, **exc.params), file=sys.stderr)
        return EXIT_REFUSED
    finally:
        store.close()


def _day_end(store: Store, day: date, tz: ZoneInfo, args: argparse.Namespace) -> int:
    lang = args.lang
    pin = read_pin(MANAGER_PIN_ENV, "cli.prompt_manager_pin", lang, clerk_id=args.manager)
    manager = clerks.authenticate_manager(store.db, args.manager, pin).clerk_id
    report = day_end.day_end(store, day, tz, actor=manager)
    if args.format == "json":
        print(json.dumps(report.as_dict(), ensure_ascii=False, indent=1))
    elif args.format == "csv":
        sys.stdout.write(day_end_figures.as_csv(report, lang))
    else:
        print(day_end_figures.as_text(report, lang))
    if args.print_it:
        job = print_jobs.queue_day_end(store, report, actor=manager,
                                       settings=settings_from_config(args.cfg, lang))
        print(t("dayend.queued_print", lang, job=job), file=sys.stderr)
    if args.send:
        seq = day_end.send_day_end(store, report, actor=manager)
        print(t("dayend.queued_send", lang, seq=seq), file=sys.stderr)
    return EXIT_OK
