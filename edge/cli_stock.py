"""``store-edge stock …``: stock a store, count it, correct it and grant HQ units, from a shell.

    stock list [--near-expiry] [--json]
    stock receive TRANSFER_ID [--got SKU=N …] --clerk ID | --sku S --lot L --qty N [--expiry D] --clerk ID
    stock presale-end SKU --manager ID
    stock count SKU --counted N [--based-on N] --manager ID
    stock adjust SKU --qty ±N --reason R [--lot L] --manager ID
    stock grant SKU --qty N --manager ID
    stock revoke SKU --qty N --manager ID

The same domain functions as the stock screen (ctrl+t). A manager's PIN is read from the
terminal (or ``$STORE_EDGE_MANAGER_PIN`` for scripts), never from the command line, where
``ps`` and the shell history would keep it. Exit codes as ``pickup``: 0 done, 1 refused
(the message says why; nothing changed), 2 bad usage or configuration.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from typing import Any

from rich.cells import cell_len

from edge.cli_pin import MANAGER_PIN_ENV, read_pin
from edge.domain import clerks, expiry, presale, stock, transfers
from edge.domain.errors import DomainError
from edge.i18n import t
from edge.present import local_time
from edge.store import Store

EXIT_OK, EXIT_REFUSED, EXIT_USAGE = 0, 1, 2


class _Usage(Exception):
    """Bad usage: exit 2 with this message."""


def add_subparsers(sub, parents: list[argparse.ArgumentParser]) -> None:
    """Called by edge.cli: adds the ``stock`` command group."""
    parser = sub.add_parser("stock", parents=parents, help="stock: list, receive, count, adjust, grant/revoke online units")
    cmds = parser.add_subparsers(dest="stock_command", required=True)

    ls = cmds.add_parser("list", parents=parents, help="per SKU and lot: on hand, online, reserved, sellable")
    ls.add_argument("--near-expiry", action="store_true",
                    help="only lots near expiry ([stock] near_expiry_days), with a suggested markdown")
    ls.add_argument("--json", action="store_true")

    rc = cmds.add_parser("receive", parents=parents, help="book goods in: an HQ transfer, or one lot")
    rc.add_argument("transfer_id", nargs="?", help="the transfer HQ announced (see `store-edge sync --status`)")
    rc.add_argument("--sku")
    rc.add_argument("--lot")
    rc.add_argument("--qty", type=int)
    rc.add_argument("--expiry", metavar="YYYY-MM-DD")
    rc.add_argument("--got", action="append", default=[], metavar="SKU=N",
                    help="a transfer line that came short: units that really came (SKU or line no.)")
    rc.add_argument("--clerk", required=True, help="who received the goods")
    rc.add_argument("--json", action="store_true")

    pe = cmds.add_parser("presale-end", parents=parents,
                         help="end a pre-sale: pre-sold units that came and nobody bought go to the shelf (manager)")
    pe.add_argument("sku")
    pe.add_argument("--manager", required=True)
    pe.add_argument("--json", action="store_true")

    ct = cmds.add_parser("count", parents=parents, help="record a count (manager)")
    ct.add_argument("sku")
    ct.add_argument("--counted", type=int, required=True, help="units found on the shelf")
    ct.add_argument("--based-on", type=int, help="on-hand the count started from (default: now)")
    ct.add_argument("--lot", help="count one lot only")
    ct.add_argument("--manager", required=True)
    ct.add_argument("--json", action="store_true")

    ad = cmds.add_parser("adjust", parents=parents, help="correct stock with a reason (manager)")
    ad.add_argument("sku")
    ad.add_argument("--qty", type=int, required=True, help="signed: -2 takes two out, 3 adds three")
    ad.add_argument("--reason", required=True, help=" | ".join(stock.ADJUST_REASONS))
    ad.add_argument("--lot", help="the lot (default: first-expiring first)")
    ad.add_argument("--manager", required=True)
    ad.add_argument("--json", action="store_true")

    for name, what in (("grant", "grant HQ more units to sell online (manager)"),
                       ("revoke", "take granted units back from HQ (manager)")):
        g = cmds.add_parser(name, parents=parents, help=what)
        g.add_argument("sku")
        g.add_argument("--qty", type=int, required=True)
        g.add_argument("--manager", required=True)
        g.add_argument("--json", action="store_true")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    lang = args.lang
    store = Store.open(args.cfg.data_dir)  # not a store yet: edge.cli says so (exit 2)
    try:
        result = _COMMANDS[args.stock_command](store, args)
    except _Usage as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_USAGE
    except DomainError as exc:
        params = {**exc.params, **({"at": local_time(exc.params["at"])} if exc.params.get("at") else {})}
        message = t(exc.code, lang, **params)
        if getattr(args, "json", False):
            print(json.dumps({"ok": False, "error": exc.code, "message": message}, ensure_ascii=False))
        else:
            print(message, file=sys.stderr)
        return EXIT_REFUSED
    finally:
        store.close()
    if getattr(args, "json", False):
        print(json.dumps(result.data, ensure_ascii=False, indent=1))
    else:
        print(result.text)
    return EXIT_OK


class _Result:
    def __init__(self, text: str, data: Any) -> None:
        self.text, self.data = text, data


def _levels_dict(lv: stock.Levels) -> dict[str, int]:
    return {"on_hand": lv.on_hand, "allotment": lv.allotment, "reserved": lv.reserved,
            "sellable": lv.sellable, "presale": lv.presale}


# ---------------------------------------------------------------- list
def _list(store: Store, args: argparse.Namespace) -> _Result:
    if args.near_expiry:
        return _near_expiry(store, args)
    lang, rows = args.lang, stock.overview(store.db)
    pools = {pool.sku: pool for pool in presale.pools(store.db)}
    data = [{"sku": s.sku, "name_zh": s.name_zh, "name_en": s.name_en, "zone": s.zone,
             **_levels_dict(s.levels), "negative": s.negative, "over_promised": s.over_promised,
             "lots": [{"lot": lot.lot, "expiry": lot.expiry, "on_hand": lot.on_hand} for lot in s.lots],
             "presale_pool": _pool_dict(pools[s.sku]) if s.sku in pools else None}
            for s in rows]
    if not rows:
        return _Result(t("cli.stock.empty", lang), data)
    lines = [_columns(t("cli.stock.header", lang).split("|"))]
    for s in rows:
        lv = s.levels
        flags = [t(key, lang) for key, on in (("cli.stock.negative", s.negative),
                                               ("cli.stock.over_promised", s.over_promised)) if on]
        name = s.name_zh if lang == "zh-CN" else s.name_en
        lines.append(_columns([s.sku, lv.on_hand, lv.allotment, lv.reserved, lv.sellable])
                     + f"  {name}{'  ! ' + '; '.join(flags) if flags else ''}")
        for lot in s.lots:
            lines.append(f"    {lot.lot or '-':20} {lot.expiry or '-':10} {lot.on_hand:6}")
    if pools:
        lines += ["", _presale_columns(t("cli.stock.presale_header", lang).split("|"))]
        lines += [_presale_columns([p.sku, p.granted, p.sold, p.arrived, p.held, p.waiting_orders])
                  + f"  {p.name_zh if lang == 'zh-CN' else p.name_en}" for p in pools.values()]
    return _Result("\n".join(lines), data)


def _pool_dict(pool: presale.PresalePool) -> dict[str, int]:
    return {"hq_granted": pool.granted, "sold": pool.sold, "arrived": pool.arrived,
            "held": pool.held, "waiting_orders": pool.waiting_orders,
            "waiting_units": pool.waiting_units, "released_orders": pool.released_orders,
            "expected": pool.expected}


def _presale_columns(values: list) -> str:
    """The pre-sale table: SKU, HQ's pool, sold, arrived, held, orders waiting."""
    return _columns(values, (12, 8, 6, 6, 6, 8))


_WIDTHS = (12, 8, 8, 9, 9)  # terminal columns of the list's SKU and four accounts


def _columns(values: list, widths: tuple[int, ...] = _WIDTHS) -> str:
    """SKU left, figures right, padded by terminal width (a Chinese character takes two)."""
    out = []
    for i, (value, width) in enumerate(zip(values, widths)):
        text = str(value)
        pad = " " * max(0, width - cell_len(text))
        out.append(text + pad if i == 0 else pad + text)
    return " ".join(out)


def _near_expiry(store: Store, args: argparse.Namespace) -> _Result:
    lang, days = args.lang, args.cfg.near_expiry_days
    today = expiry.local_today()
    rows = expiry.near_expiry(store.db, within_days=days, today=today)
    data = {"today": today.isoformat(), "within_days": days, "rule": t(expiry.MARKDOWN_RULE, lang),
            "lots": [{"sku": r.sku, "name_zh": r.name_zh, "name_en": r.name_en, "zone": r.zone,
                      "lot": r.lot, "expiry": r.expiry, "on_hand": r.on_hand,
                      "days_left": r.days_left, "expired": r.expired,
                      "markdown_percent": r.markdown_percent} for r in rows]}
    if not rows:
        return _Result(t("cli.stock.near_empty", lang, days=days), data)
    lines = [t("cli.stock.near_header", lang, days=days, today=today.isoformat())]
    for r in rows:
        advice = (t("stock.expired", lang) if r.markdown_percent is None
                  else t("stock.markdown", lang, percent=r.markdown_percent))
        name = r.name_zh if lang == "zh-CN" else r.name_en
        lines.append(f"{r.expiry}  {t('cli.stock.days_left', lang, days=r.days_left):10} "
                     f"{r.sku:10} {r.lot:14} {r.on_hand:5}  {advice}  {name}")
    lines.append(t(expiry.MARKDOWN_RULE, lang))
    return _Result("\n".join(lines), data)


# ---------------------------------------------------------------- receive
def _receive(store: Store, args: argparse.Namespace) -> _Result:
    lang = args.lang
    by_lot = (args.sku, args.lot, args.qty)
    if args.transfer_id and not any(v is not None for v in (*by_lot, args.expiry)):
        got = _got(store, args)
        before = {o.order_no for o in presale.waiting_orders(store.db)}
        transfer = transfers.receive_transfer(store, args.transfer_id, args.clerk, received=got)
        waiting = [o.order_no for o in presale.waiting_orders(store.db)]
        released = sorted(before - set(waiting))
        what = f"{transfer.transfer_id}: " + ", ".join(
            f"{ln.sku} {ln.lot} ×{ln.received_qty}" + (f"/{ln.qty}" if ln.short else "")
            for ln in transfer.lines)
        data = {"ok": True, "transfer_id": transfer.transfer_id,
                "lines": [{"sku": ln.sku, "lot": ln.lot, "expiry": ln.expiry, "qty": ln.received_qty,
                           "announced": ln.qty, "presale": ln.presale} for ln in transfer.lines],
                "presale_released": released, "presale_waiting": waiting}
        text = t("cli.stock.received_short" if any(ln.short for ln in transfer.lines)
                 else "cli.stock.received", lang, what=what)
        if any(ln.presale for ln in transfer.lines):
            text += "\n" + t("cli.stock.presale_released", lang, released=len(released),
                             waiting=len(waiting))
        return _Result(text, data)
    if args.got:
        raise _Usage(t("cli.stock.receive_usage", lang))
    if args.transfer_id or any(v is None for v in by_lot):
        raise _Usage(t("cli.stock.receive_usage", lang))
    sku = stock.require_product(store.db, args.sku)
    move_id = stock.receive_goods(store.db, sku=sku, lot=args.lot, qty=args.qty, actor=args.clerk,
                                  expiry=args.expiry)
    lv = stock.levels(store.db, sku)
    return _Result(t("cli.stock.received", lang, what=f"{sku} {args.lot} ×{args.qty}"),
                   {"ok": True, "move_id": move_id, "sku": sku, **_levels_dict(lv)})


def _got(store: Store, args: argparse.Namespace) -> dict[int, int]:
    """``--got SKU=N`` / ``--got LINE=N`` as {line_no: units that came}."""
    transfer = transfers.get(store.db, args.transfer_id)
    if transfer is None:
        raise DomainError("sync.transfer_unknown", transfer_id=args.transfer_id)
    got: dict[int, int] = {}
    for text in args.got:
        key, _, qty = text.partition("=")
        lines = [ln for ln in transfer.lines
                 if ln.sku.casefold() == key.strip().casefold() or str(ln.line_no) == key.strip()]
        if len(lines) != 1 or not qty.strip().isdigit():
            raise _Usage(t("cli.stock.bad_got", args.lang, value=text))
        got[lines[0].line_no] = int(qty)
    return got


# ---------------------------------------------------------------- manager actions
def _as_manager(store: Store, args: argparse.Namespace, act: Callable[[str], _Result]) -> _Result:
    """Check the manager's PIN, then act as them (the domain checks the role again)."""
    pin = read_pin(MANAGER_PIN_ENV, "cli.prompt_manager_pin", args.lang, clerk_id=args.manager)
    manager = clerks.authenticate_manager(store.db, args.manager, pin).clerk_id
    return act(manager)


def _count(store: Store, args: argparse.Namespace) -> _Result:
    sku = stock.require_product(store.db, args.sku)
    based_on = args.based_on if args.based_on is not None else stock.levels(store.db, sku).on_hand
    if args.counted < 0 or based_on < 0:
        raise DomainError("stock.bad_qty", qty=min(args.counted, based_on))

    def act(manager: str) -> _Result:
        move_id = stock.count(store.db, sku=sku, counted=args.counted, based_on=based_on,
                              actor=manager, lot=args.lot)
        lv = stock.levels(store.db, sku)
        data = {"ok": True, "move_id": move_id, "sku": sku, "counted": args.counted,
                "based_on": based_on, **_levels_dict(lv)}
        if move_id is None:
            return _Result(t("cli.stock.count_same", args.lang, sku=sku, counted=args.counted), data)
        return _Result(t("cli.stock.counted", args.lang, sku=sku, based_on=based_on,
                         counted=args.counted, diff=f"{args.counted - based_on:+d}",
                         allotment=lv.allotment), data)

    return _as_manager(store, args, act)


def _adjust(store: Store, args: argparse.Namespace) -> _Result:
    sku = stock.require_product(store.db, args.sku)
    if args.qty == 0:
        raise DomainError("stock.bad_qty", qty=args.qty)
    if args.reason not in stock.ADJUST_REASONS:
        raise DomainError("stock.bad_reason", reason=args.reason)
    if args.lot is not None:
        stock.check_lot(args.lot)

    def act(manager: str) -> _Result:
        move_id = stock.adjust(store.db, sku=sku, qty=args.qty, reason=args.reason, actor=manager,
                               lot=args.lot)
        lv = stock.levels(store.db, sku)
        return _Result(t("cli.stock.adjusted", args.lang, sku=sku, qty=f"{args.qty:+d}",
                         reason=t("stock.reason." + args.reason, args.lang), on_hand=lv.on_hand,
                         allotment=lv.allotment),
                       {"ok": True, "move_id": move_id, "sku": sku, **_levels_dict(lv)})

    return _as_manager(store, args, act)


def _grant_or_revoke(store: Store, args: argparse.Namespace) -> _Result:
    sku = stock.require_product(store.db, args.sku)
    if args.qty <= 0:
        raise DomainError("stock.bad_qty", qty=args.qty)
    grant = args.stock_command == "grant"

    def act(manager: str) -> _Result:
        do = stock.grant_allotment if grant else stock.revoke_allotment
        do(store.db, sku=sku, qty=args.qty, actor=manager)
        lv = stock.levels(store.db, sku)
        key = "cli.stock.granted" if grant else "cli.stock.revoked"
        return _Result(t(key, args.lang, sku=sku, qty=args.qty, allotment=lv.allotment,
                         sellable=lv.sellable), {"ok": True, "sku": sku, **_levels_dict(lv)})

    return _as_manager(store, args, act)


def _presale_end(store: Store, args: argparse.Namespace) -> _Result:
    sku = stock.require_product(store.db, args.sku)

    def act(manager: str) -> _Result:
        qty = presale.end_presale(store.db, sku=sku, actor=manager)
        lv = stock.levels(store.db, sku)
        return _Result(t("cli.stock.presale_ended", args.lang, sku=sku, qty=qty),
                       {"ok": True, "sku": sku, "to_shelf": qty, **_levels_dict(lv)})

    return _as_manager(store, args, act)


_COMMANDS: dict[str, Callable[[Store, argparse.Namespace], _Result]] = {
    "list": _list, "receive": _receive, "count": _count, "adjust": _adjust,
    "grant": _grant_or_revoke, "revoke": _grant_or_revoke, "presale-end": _presale_end,
}
