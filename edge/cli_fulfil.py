"""``store-edge orders pick|pack|ready|decide|labels|slots``: picking and packing from a shell.

    orders pick ORDER_NO… [--scan CODE…] [--all] [--short SKU:QTY…] --clerk ID [--json]
    orders pack ORDER_NO --zone Z --slot S --clerk ID [--no-label] [--json]
    orders ready ORDER_NO --clerk ID
    orders decide ORDER_NO --ready-without|--wait --manager ID   (PIN: terminal or
                                                                 $STORE_EDGE_MANAGER_PIN)
    orders labels ORDER_NO… --clerk ID
    orders slots [--zone Z] [--json]

``pick`` without --scan/--all/--short prints the wave's pick list. Everything one command
asks is done in one transaction: a wrong scan refuses the whole command (exit 1, nothing
changed). Exit codes: 0 done, 1 refused (the message says why), 2 bad usage.
"""

from __future__ import annotations

import argparse
import json
import sys

from edge.cli_orders import store_command
from edge.cli_pin import MANAGER_PIN_ENV, read_pin
from edge.clock import utcnow
from edge.db import write_tx
from edge.domain import board, clerks, orders, packing, picking
from edge.domain.errors import DomainError
from edge.domain.fulfil_i18n import skipped_text
from edge.domain.print_docs import settings_from_config
from edge.i18n import t
from edge.store import Store

EXIT_OK, EXIT_REFUSED, EXIT_USAGE = 0, 1, 2


def add_commands(orders_sub, parents: list[argparse.ArgumentParser]) -> None:
    """Called by edge.cli_orders: the fulfilment sub-commands of ``orders``."""
    pick = orders_sub.add_parser("pick", parents=parents, help="pick one order or a wave")
    pick.add_argument("order_nos", nargs="+", metavar="ORDER_NO")
    pick.add_argument("--scan", action="extend", nargs="+", default=[], metavar="CODE",
                      help="product barcode (or SKU): each picks one unit")
    pick.add_argument("--all", action="store_true", help="mark every unit still to pick picked")
    pick.add_argument("--short", action="append", default=[], metavar="SKU:QTY",
                      help="QTY units of SKU are not on the shelf (a manager decides)")
    pick.add_argument("--clerk", help="who picks (needed to pick)")
    pick.add_argument("--json", action="store_true")
    pick.set_defaults(handler=store_command(_pick))

    pack = orders_sub.add_parser("pack", parents=parents, help="pack one bag into a storage slot")
    pack.add_argument("order_no", metavar="ORDER_NO")
    pack.add_argument("--zone", required=True, choices=orders.ZONES)
    pack.add_argument("--slot", required=True, help="storage slot (see: orders slots)")
    pack.add_argument("--clerk", required=True)
    pack.add_argument("--no-label", action="store_true", help="do not print the bag label")
    pack.add_argument("--json", action="store_true")
    pack.set_defaults(handler=store_command(_pack))

    ready = orders_sub.add_parser("ready", parents=parents, help="mark a packed order ready")
    ready.add_argument("order_no", metavar="ORDER_NO")
    ready.add_argument("--clerk", required=True)
    ready.set_defaults(handler=store_command(_ready))

    decide = orders_sub.add_parser("decide", parents=parents,
                                   help="a manager's decision on a short pick")
    decide.add_argument("order_no", metavar="ORDER_NO")
    choice = decide.add_mutually_exclusive_group(required=True)
    choice.add_argument("--ready-without", dest="decision", action="store_const",
                        const="ready_without", help="ready without the missing units (refunded)")
    choice.add_argument("--wait", dest="decision", action="store_const", const="wait",
                        help="wait for the goods and pick again")
    decide.add_argument("--manager", required=True,
                        help=f"manager id (PIN: terminal or ${MANAGER_PIN_ENV})")
    decide.set_defaults(handler=store_command(_decide))

    labels = orders_sub.add_parser("labels", parents=parents,
                                   help="print the labels of every packed bag of the orders")
    labels.add_argument("order_nos", nargs="+", metavar="ORDER_NO")
    labels.add_argument("--clerk", required=True)
    labels.set_defaults(handler=store_command(_labels))

    slots = orders_sub.add_parser("slots", parents=parents, help="the store's storage slots")
    slots.add_argument("--zone", choices=orders.ZONES)
    slots.add_argument("--json", action="store_true")
    slots.set_defaults(handler=store_command(_slots))


def _require_clerk(store: Store, clerk_id: str | None) -> str:
    if not clerk_id:
        raise DomainError("cli.orders.clerk_needed")
    if clerks.get_clerk(store.db, clerk_id) is None:
        raise DomainError("auth.unknown_clerk", clerk_id=clerk_id)
    return clerk_id


def _parse_short(text: str) -> tuple[str, int] | None:
    sku, _, qty = text.partition(":")
    if not sku.strip() or not qty.isdigit() or int(qty) <= 0:
        return None
    return sku.strip(), int(qty)


# ---------------------------------------------------------------- pick
def _pick(store: Store, args: argparse.Namespace) -> int:
    shorts = [_parse_short(s) for s in args.short]
    if None in shorts:
        bad = args.short[shorts.index(None)]
        print(t("pick.bad_short", args.lang, text=bad), file=sys.stderr)
        return EXIT_USAGE
    done: list[str] = []
    if args.scan or args.all or shorts:
        clerk = _require_clerk(store, args.clerk)
        with write_tx(store.db):  # the whole command or nothing
            for code in args.scan:
                done.append(_picked_text(picking.pick_scan(store.db, args.order_nos, code,
                                                           actor=clerk), args.lang))
            for sku, qty in shorts:  # type: ignore[misc]
                waiting = picking.short_pick(store.db, args.order_nos, sku, qty, actor=clerk)
                done.append(t("cli.orders.short", args.lang, qty=qty, sku=sku,
                              orders=", ".join(waiting)))
            if args.all:
                for line in picking.pick_list(store.db, args.order_nos).lines:
                    if line.remaining > 0:
                        done.append(_picked_text(picking.pick_units(
                            store.db, args.order_nos, line.sku, actor=clerk), args.lang))
    pick_list = picking.pick_list(store.db, args.order_nos)
    if args.json:
        print(json.dumps({"ok": True, "done": done, "orders": pick_list.order_nos,
                          "skipped": pick_list.skipped,
                          "lines": [_line_dict(line) for line in pick_list.lines],
                          "complete": pick_list.done,
                          "board_status": _board(store, pick_list.order_nos)},
                         ensure_ascii=False, indent=1))
        return EXIT_OK
    for text in done:
        print(text)
    _print_pick_list(pick_list, args.lang)
    return EXIT_OK


def _picked_text(picked: picking.Picked, lang: str) -> str:
    name = picked.name_zh if lang == "zh-CN" else picked.name_en
    return t("cli.orders.picked", lang, qty=picked.qty, name=name, orders=", ".join(picked.orders))


def _line_dict(line: picking.PickLine) -> dict:
    return {"zone": line.zone, "sku": line.sku, "name_zh": line.name_zh, "name_en": line.name_en,
            "shelf": line.shelf, "qty": line.qty, "picked": line.picked, "short": line.short,
            "remaining": line.remaining, "lot": line.lot, "expiry": line.expiry,
            "orders": list(line.orders)}


def _board(store: Store, order_nos: list[str]) -> dict[str, str | None]:
    """Each order's status on the task board (None: no longer on it)."""
    now = utcnow()
    return {n: getattr(board.board_row(store.db, n, now=now), "status", None) for n in order_nos}


def _print_pick_list(pick_list: picking.PickList, lang: str) -> None:
    print(t("cli.orders.pick_header", lang, count=len(pick_list.order_nos)))
    if pick_list.skipped:
        print(skipped_text(pick_list.skipped, lang))
    for zone in pick_list.zones():
        print(f"[{t('zone.' + zone, lang)}]")
        for line in pick_list.for_zone(zone):
            mark = "✔" if line.done else " "
            print(mark, t("cli.orders.pick_line", lang, shelf=line.shelf or "-", sku=line.sku,
                          name=line.name_zh if lang == "zh-CN" else line.name_en, qty=line.qty,
                          picked=line.picked, short=line.short, lot=line.lot or "-"))
    if pick_list.done:
        print(t("cli.orders.pick_done", lang))


# ---------------------------------------------------------------- pack, ready, labels
def _pack(store: Store, args: argparse.Namespace) -> int:
    clerk = _require_clerk(store, args.clerk)
    result = packing.pack(store, args.order_no, args.zone, args.slot, actor=clerk,
                          label=not args.no_label,
                          settings=settings_from_config(args.cfg, args.lang))
    bag = next(b for b in result.order.bags if b.zone == args.zone)
    if args.json:
        print(json.dumps({"ok": True, "order_no": args.order_no, "zone": args.zone,
                          "slot": bag.slot, "status": result.order.status,
                          "board_status": _board(store, [args.order_no])[args.order_no],
                          "label_jobs": result.job_ids}, ensure_ascii=False))
        return EXIT_OK
    print(t("cli.orders.packed", args.lang, order_no=args.order_no,
            zone=t("zone." + args.zone, args.lang), slot=bag.slot,
            status=t("status." + result.order.status, args.lang)))
    if result.job_ids:
        print(t("cli.orders.label_queued", args.lang, jobs=", ".join(map(str, result.job_ids))))
    return EXIT_OK


def _ready(store: Store, args: argparse.Namespace) -> int:
    clerk = _require_clerk(store, args.clerk)
    order = packing.mark_ready(store.db, args.order_no, actor=clerk)
    print(t("cli.orders.ready", args.lang, order_no=order.order_no))
    return EXIT_OK


def _labels(store: Store, args: argparse.Namespace) -> int:
    clerk = _require_clerk(store, args.clerk)
    jobs = packing.queue_wave_labels(store, args.order_nos, actor=clerk,
                                     settings=settings_from_config(args.cfg, args.lang))
    print(t("cli.orders.label_queued", args.lang, jobs=", ".join(map(str, jobs))))
    return EXIT_OK


def _slots(store: Store, args: argparse.Namespace) -> int:
    found = packing.slots(store.db, args.zone)
    if args.json:
        print(json.dumps([{"slot": s.slot, "zone": s.zone} for s in found]))
        return EXIT_OK
    for zone in orders.ZONES:
        names = [s.slot for s in found if s.zone == zone]
        if names:
            print(t("cli.orders.slots", args.lang, zone=t("zone." + zone, args.lang),
                    slots=" ".join(names)))
    return EXIT_OK


# ---------------------------------------------------------------- the manager's decision
def _decide(store: Store, args: argparse.Namespace) -> int:
    pin = read_pin(MANAGER_PIN_ENV, "cli.prompt_manager_pin", args.lang, clerk_id=args.manager)
    manager = clerks.authenticate_manager(store.db, args.manager, pin)
    order = picking.decide_short(store.db, args.order_no, args.decision, manager=manager.clerk_id)
    print(t("cli.orders.decided", args.lang, order_no=order.order_no,
            decision=t("decision." + args.decision, args.lang),
            status=t("status." + order.status, args.lang)))
    return EXIT_OK
