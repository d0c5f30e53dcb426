"""``store-edge orders list|remind|extend|return``: the task board and overdue pickups from a
shell, for operations and HQ support (registered in the ``orders`` group by edge.cli_orders).

    store-edge orders list [--status S …] [--overdue] [--presale] [--json]
    store-edge orders remind ORDER_NO --clerk ID
    store-edge orders extend ORDER_NO --until 2026-12-02T20:00 --clerk ID
    store-edge orders return ORDER_NO --manager ID      (PIN asked at the terminal, or
                                                         $STORE_EDGE_MANAGER_PIN; never argv)

The same domain functions as the task board and the overdue screen, the same exit codes as
``pickup``: 0 done, 1 refused (the message says why; nothing changed), 2 bad usage.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime

from edge.cli_orders import store_command
from edge.cli_pin import MANAGER_PIN_ENV, read_pin
from edge.clock import utcnow
from edge.domain import board, clerks, orders, overdue, presale
from edge.domain import board_i18n  # noqa: F401  (registers cli.board.* messages)
from edge.domain.errors import DomainError
from edge.i18n import t
from edge.present import local_time, timing_text
from edge.store import Store

EXIT_OK, EXIT_REFUSED, EXIT_USAGE = 0, 1, 2
LIST_STATUSES = (*board.BOARD_STATUSES, "overdue")


def add_commands(cmds, parents: list[argparse.ArgumentParser]) -> None:
    """Called by edge.cli_orders: the board's sub-commands of ``store-edge orders``."""

    ls = cmds.add_parser("list", parents=parents, help="open orders by when they must be ready")
    ls.add_argument("--status", action="append", default=[], metavar="STATUS",
                    help=f"one of {', '.join(LIST_STATUSES)}; repeatable")
    ls.add_argument("--overdue", action="store_true", help="only orders past their window")
    ls.add_argument("--presale", action="store_true",
                    help="only pre-sale orders: waiting for goods, or released to the board")
    ls.add_argument("--json", action="store_true")
    ls.set_defaults(handler=store_command(_list))

    remind = cmds.add_parser("remind", parents=parents,
                             help="ask HQ to remind the customer to pick the order up")
    remind.add_argument("order_no")
    remind.add_argument("--clerk", required=True, help="who asks (clerk id)")
    remind.add_argument("--json", action="store_true")
    remind.set_defaults(handler=store_command(_remind))

    extend = cmds.add_parser("extend", parents=parents, help="give the customer more time")
    extend.add_argument("order_no")
    extend.add_argument("--until", required=True, metavar="ISO",
                        help="new end of the pickup window, e.g. 2026-12-02T20:00 (local time)")
    extend.add_argument("--clerk", required=True, help="who extends (clerk id)")
    extend.add_argument("--json", action="store_true")
    extend.set_defaults(handler=store_command(_extend))

    ret = cmds.add_parser("return", parents=parents,
                          help="return an overdue order's goods to stock (manager)")
    ret.add_argument("order_no")
    ret.add_argument("--manager", required=True, help=f"manager id (PIN: terminal or ${MANAGER_PIN_ENV})")
    ret.add_argument("--json", action="store_true")
    ret.set_defaults(handler=store_command(_return))


def _list(store: Store, args: argparse.Namespace) -> int:
    bad = [s for s in args.status if s not in LIST_STATUSES]
    if bad:
        print(t("cli.board.bad_status", args.lang, value=bad[0], allowed=", ".join(LIST_STATUSES)),
              file=sys.stderr)
        return EXIT_USAGE
    now = utcnow()
    rows = board.board_rows(store.db, now=now,
                            reminder_hours=args.cfg.made_to_order_reminder_h)
    wanted = set(args.status)
    presold = presale.open_presale_orders(store.db) if args.presale else None
    rows = [row for row in rows
            if (not wanted or row.status in wanted or ("overdue" in wanted and row.is_overdue(now)))
            and (not args.overdue or row.is_overdue(now))
            and (presold is None or row.order_no in presold)]
    if args.json:
        print(json.dumps([_row_dict(row, now) for row in rows], ensure_ascii=False, indent=1))
        return EXIT_OK
    if not rows:
        print(t("cli.board.none", args.lang))
    for row in rows:
        zones = "".join(t(f"board.zone.{z}", args.lang) for z in row.zones)
        timing, _urgency = timing_text(row, now, args.lang)
        print(f"{row.order_no}  {local_time(row.window_start)}–{local_time(row.window_end, with_date=False)}"
              f"  {t(f'board.channel.{row.channel}', args.lang)}  {row.lines}  {zones}"
              f"  {t(f'board.status.{row.status}', args.lang)}{'  !' if row.reminder else ''}"
              f"  {timing}  {row.customer_masked} ··{row.phone_last4}")
    return EXIT_OK


def _row_dict(row: board.BoardRow, now: datetime) -> dict:
    return {"order_no": row.order_no, "status": row.status, "order_status": row.order_status,
            "channel": row.channel, "window_start": row.window_start.isoformat(),
            "window_end": row.window_end.isoformat(), "lines": row.lines, "zones": list(row.zones),
            "made_to_order": row.made_to_order, "reminder": row.reminder,
            "overdue": row.is_overdue(now),
            "late_minutes": max(0, int(row.late_by(now).total_seconds() // 60)),
            "customer": row.customer_masked, "phone_last4": row.phone_last4}


def _done(args: argparse.Namespace, key: str, payload: dict, **params: object) -> int:
    if args.json:
        print(json.dumps({"ok": True, **payload}, ensure_ascii=False))
    else:
        print(t(key, args.lang, **params))
    return EXIT_OK


def _remind(store: Store, args: argparse.Namespace) -> int:
    at = overdue.send_reminder(store.db, args.order_no, actor=args.clerk)
    return _done(args, "cli.board.reminded", {"order_no": args.order_no, "at": at.isoformat()},
                 order_no=args.order_no)


def _extend(store: Store, args: argparse.Namespace) -> int:
    try:
        until = datetime.fromisoformat(args.until)
    except ValueError:
        print(t("cli.board.bad_until", args.lang, value=args.until), file=sys.stderr)
        return EXIT_USAGE
    until = until if until.tzinfo else until.astimezone()
    if clerks.get_clerk(store.db, args.clerk) is None:
        raise DomainError("auth.unknown_clerk", clerk_id=args.clerk)
    order = orders.extend_window(store.db, args.order_no, until, actor=args.clerk)
    return _done(args, "cli.board.extended",
                 {"order_no": order.order_no, "status": order.status,
                  "window_end": order.window_end.isoformat()},
                 order_no=order.order_no, until=local_time(order.window_end),
                 status=t(f"status.{order.status}", args.lang))


def _return(store: Store, args: argparse.Namespace) -> int:
    pin = read_pin(MANAGER_PIN_ENV, "cli.prompt_manager_pin", args.lang, clerk_id=args.manager)
    manager = clerks.authenticate_manager(store.db, args.manager, pin)
    order = orders.return_to_stock(store.db, args.order_no, actor=manager.clerk_id)
    return _done(args, "cli.board.returned", {"order_no": order.order_no, "status": order.status},
                 order_no=order.order_no)
