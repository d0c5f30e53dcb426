"""``store-edge delivery …``: delivery from the store, from a shell (the delivery screen's
domain functions, ctrl+y).

    delivery list [--json]                              open delivery orders, countdown, ⚠ at risk
    delivery check CODE [--zone Z] [--json]             courier's code or a parcel label: exit 0 = hand off
    delivery handoff CODE --courier NAME --clerk ID [--zone Z] [--json]
    delivery deliver ORDER_NO --code CODE --clerk ID    the customer's delivery code (store clerk)
    delivery fail ORDER_NO --clerk ID [--reason not_home|refused|address]
    delivery decide ORDER_NO --return|--retry --manager ID   (PIN: terminal or $STORE_EDGE_MANAGER_PIN)

Exit codes: 0 done / can hand off, 1 refused (the message says why; nothing changed), 2 bad usage.
"""

from __future__ import annotations

import argparse
import json
import sys

from edge.cli_orders import store_command
from edge.cli_pin import MANAGER_PIN_ENV, read_pin
from edge.clock import utcnow
from edge.domain import board, delivery, delivery_eta
from edge.domain.orders import ZONES
from edge.i18n import t
from edge.present import courier_text, local_time, order_dict, timing_text, usual_text, verdict_message
from edge.store import Store

EXIT_OK, EXIT_REFUSED = 0, 1


def add_subparsers(sub, parents: list[argparse.ArgumentParser]) -> None:
    group = sub.add_parser("delivery", parents=parents,
                           help="delivery orders: courier hand-off, clerk delivery, failed ones")
    cmds = group.add_subparsers(dest="delivery_command", required=True)
    ls = cmds.add_parser("list", parents=parents, help="open delivery orders by promised time")
    ls.add_argument("--json", action="store_true")
    ls.set_defaults(handler=store_command(_list))

    chk = cmds.add_parser("check", parents=parents, help="verdict for a courier's code or a parcel label")
    chk.add_argument("code", help="the order's pickup code (the courier's) or a bag label's QR text")
    chk.add_argument("--zone", choices=ZONES, help="only this parcel")
    chk.add_argument("--json", action="store_true")
    chk.set_defaults(handler=store_command(_check))

    off = cmds.add_parser("handoff", parents=parents, help="give the parcels to a courier")
    off.add_argument("code", help="the courier's pickup code or a bag label's QR text")
    off.add_argument("--courier", help="the courier's name (default: the rider the platform named; "
                     "a store clerk's own order: the clerk)")
    off.add_argument("--zone", choices=ZONES, help="only this parcel")
    off.add_argument("--clerk", required=True, help="who hands it over")
    off.add_argument("--json", action="store_true")
    off.set_defaults(handler=store_command(_handoff))

    dl = cmds.add_parser("deliver", parents=parents, help="the store's clerk delivered it")
    dl.add_argument("order_no", metavar="ORDER_NO")
    dl.add_argument("--code", required=True, help="the customer's delivery code")
    dl.add_argument("--clerk", required=True)
    dl.set_defaults(handler=store_command(_deliver))

    fl = cmds.add_parser("fail", parents=parents, help="not delivered: the goods come back")
    fl.add_argument("order_no", metavar="ORDER_NO")
    fl.add_argument("--clerk", required=True)
    fl.add_argument("--reason", choices=delivery.FAIL_REASONS, default="not_home")
    fl.set_defaults(handler=store_command(_fail))

    dc = cmds.add_parser("decide", parents=parents, help="a manager's call on a failed delivery")
    dc.add_argument("order_no", metavar="ORDER_NO")
    choice = dc.add_mutually_exclusive_group(required=True)
    choice.add_argument("--return", dest="decision", action="store_const", const="return",
                        help="the goods back to stock")
    choice.add_argument("--retry", dest="decision", action="store_const", const="retry",
                        help="ready to go out again")
    dc.add_argument("--manager", required=True, help=f"manager id (PIN: terminal or ${MANAGER_PIN_ENV})")
    dc.set_defaults(handler=store_command(_decide))


def _list(store: Store, args: argparse.Namespace) -> int:
    now = utcnow()
    rows = [r for r in board.board_rows(store.db, now=now) if r.is_delivery]
    usual = delivery_eta.usual_times(store.db, now)
    items = []
    for row in rows:
        held = delivery.info(store.db, row.order_no)
        timing, urgency = timing_text(row, now, args.lang)
        items.append({"order_no": row.order_no, "status": row.order_status, "board_status": row.status,
                      "promised_at": row.window_end.isoformat(), "timing": timing,
                      "at_risk": urgency == "risk", "late": urgency == "late",
                      "courier_mode": held.courier_mode if held else None,
                      "courier_expected": held.courier_expected if held else None,
                      "address": held.address if held else "", "zones": list(row.zones)})
    if args.json:
        print(json.dumps({"usual_minutes": {"pick_pack": usual.prep, "courier_wait": usual.handoff,
                                            "ride": usual.ride, "orders": usual.samples},
                          "orders": items}, ensure_ascii=False, indent=1))
        return EXIT_OK
    print(usual_text(usual, args.lang))
    for item in items:
        mark = "⚠" if item["at_risk"] or item["late"] else " "
        print(f"{mark} {item['order_no']}  {local_time(item['promised_at'], with_date=False)}"
              f"  {item['timing']}  {t('status.' + item['status'], args.lang)}"
              f"  {t('delivery.mode.' + (item['courier_mode'] or 'platform'), args.lang)}"
              f" {courier_text(item['courier_expected'], args.lang)}  {item['address']}")
    return EXIT_OK


def _verdict_out(handoff: delivery.Handoff, args: argparse.Namespace) -> None:
    v = handoff.verdict
    message = verdict_message(v, args.lang)
    if args.json:
        print(json.dumps({"ok": handoff.can_hand_off, "verdict": v.kind, "message": message,
                          "zones": list(handoff.zones),
                          "order": order_dict(v.order) if v.order else None},
                         ensure_ascii=False, indent=1))
    else:
        print(message, file=sys.stdout if handoff.can_hand_off else sys.stderr)


def _check(store: Store, args: argparse.Namespace) -> int:
    handoff = delivery.check(store, args.code, zone=args.zone)
    _verdict_out(handoff, args)
    return EXIT_OK if handoff.can_hand_off else EXIT_REFUSED


def _handoff(store: Store, args: argparse.Namespace) -> int:
    handoff = delivery.check(store, args.code, zone=args.zone)
    if not handoff.can_hand_off or handoff.verdict.order is None:
        _verdict_out(handoff, args)
        return EXIT_REFUSED
    order_no = handoff.verdict.order.order_no
    zone = args.zone or (handoff.zones[0] if len(handoff.zones) == 1 else None)
    order = delivery.hand_off(store, order_no, clerk_id=args.clerk, courier_name=args.courier,
                              zone=zone)
    courier = next((b.courier_name for b in order.bags if b.zone in handoff.zones), "")
    if args.json:
        print(json.dumps({"ok": True, "order_no": order_no, "zones": list(handoff.zones),
                          "courier": courier, "status": order.status}, ensure_ascii=False))
        return EXIT_OK
    print(t("cli.delivery.handed", args.lang, order_no=order_no, courier=courier,
            zones="、".join(t("zone." + z, args.lang) for z in handoff.zones),
            status=t("status." + order.status, args.lang)))
    return EXIT_OK


def _deliver(store: Store, args: argparse.Namespace) -> int:
    order = delivery.deliver(store, args.order_no, args.code, clerk_id=args.clerk)
    print(t("cli.delivery.delivered", args.lang, order_no=order.order_no))
    return EXIT_OK


def _fail(store: Store, args: argparse.Namespace) -> int:
    order = delivery.fail(store, args.order_no, clerk_id=args.clerk, reason=args.reason)
    print(t("cli.delivery.failed", args.lang, order_no=order.order_no,
            reason=t("delivery.reason." + args.reason, args.lang)))
    return EXIT_OK


def _decide(store: Store, args: argparse.Namespace) -> int:
    pin = read_pin(MANAGER_PIN_ENV, "cli.prompt_manager_pin", args.lang, clerk_id=args.manager)
    order = delivery.decide(store, args.order_no, args.decision, manager_id=args.manager, pin=pin)
    print(t("cli.delivery.decided", args.lang, order_no=order.order_no,
            decision=t("delivery.decision." + args.decision, args.lang),
            status=t("status." + order.status, args.lang)))
    return EXIT_OK

