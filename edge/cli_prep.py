"""``store-edge prep …``: the board's prep suggestions from a shell.

    store-edge prep suggest [--hours 3] [--json]      what to prepare, and how each figure
                                                      was reached
    store-edge prep accept SKU… --manager ID [--hours 3] [--json]
                                                      suggestions into prep tasks (the PIN at
                                                      the terminal or $STORE_EDGE_MANAGER_PIN)
    store-edge prep done TASK_ID --clerk ID [--json]  a batch made: task done, units in stock

The same domain functions as the board's prep panel (F12, then ``r``); exit codes as
``pickup``: 0 done, 1 refused (the message says why; nothing changed), 2 bad usage.
"""

from __future__ import annotations

import argparse
import json

from edge.cli_orders import store_command
from edge.cli_pin import MANAGER_PIN_ENV, read_pin
from edge.clock import utcnow
from edge.domain import clerks, prep
from edge.domain.prep_i18n import explain, kind
from edge.i18n import t
from edge.present import local_time
from edge.store import Store

EXIT_OK = 0


def add_subparsers(sub, parents: list[argparse.ArgumentParser]) -> None:
    """Called by edge.cli: adds the ``prep`` command group."""
    parser = sub.add_parser("prep", parents=parents, help="prep suggestions for the next hours, prep tasks")
    cmds = parser.add_subparsers(dest="prep_command", required=True)
    sg = cmds.add_parser("suggest", parents=parents, help="what to prepare for the next hours, and why")
    sg.add_argument("--hours", type=int, default=prep.DEFAULT_HOURS)
    sg.add_argument("--json", action="store_true")
    sg.set_defaults(handler=store_command(_suggest))
    ac = cmds.add_parser("accept", parents=parents, help="turn suggestions into prep tasks (manager)")
    ac.add_argument("skus", nargs="+", metavar="SKU")
    ac.add_argument("--manager", required=True, help=f"manager id (PIN: terminal or ${MANAGER_PIN_ENV})")
    ac.add_argument("--hours", type=int, default=prep.DEFAULT_HOURS)
    ac.add_argument("--json", action="store_true")
    ac.set_defaults(handler=store_command(_accept))
    dn = cmds.add_parser("done", parents=parents, help="a prep batch is made: into stock")
    dn.add_argument("task_id")
    dn.add_argument("--clerk", required=True)
    dn.add_argument("--json", action="store_true")
    dn.set_defaults(handler=store_command(_done))


def suggestion_dict(s: prep.Suggestion, lang: str) -> dict:
    return {"sku": s.sku, "name_zh": s.name_zh, "name_en": s.name_en,
            "made_to_order": s.made_to_order, "fresh": s.fresh, "demand": s.demand,
            "on_hand": s.on_hand, "preparing": s.preparing, "prep": s.prep,
            "hours": [{"start": p.start.isoformat(), "units": round(p.total, 2),
                       "history": round(p.history, 2), "method": p.method, "samples": p.samples,
                       "level": round(p.level, 3), "trend": round(p.trend, 3),
                       "stream_rate": p.stream_rate, "stream_share": p.stream_share,
                       "stream_minutes": round(p.stream_minutes, 1)} for p in s.hours],
            "how": explain(s, lang)}


def _suggest(store: Store, args: argparse.Namespace) -> int:
    now = utcnow()
    rows = prep.suggest(store.db, now=now, hours=prep.check_hours(args.hours))
    if args.json:
        print(json.dumps({"at": now.isoformat(), "hours": args.hours,
                          "suggestions": [suggestion_dict(s, args.lang) for s in rows]},
                         ensure_ascii=False, indent=1))
        return EXIT_OK
    print(t("cli.prep.header", args.lang, hours=args.hours, at=local_time(now)))
    for s in rows:
        print(f"\n{s.sku:10} {kind(s, args.lang):4} {s.name(args.lang)}  → {s.prep}")
        for line in explain(s, args.lang):
            print(f"    {line}")
    if not rows:
        print(t("ui.prep.empty", args.lang))
    return EXIT_OK


def _accept(store: Store, args: argparse.Namespace) -> int:
    prep.check_hours(args.hours)
    pin = read_pin(MANAGER_PIN_ENV, "cli.prep.prompt_manager_pin", args.lang, manager=args.manager)
    manager = clerks.authenticate_manager(store.db, args.manager, pin)
    made = prep.accept(store.db, args.skus, actor=manager.clerk_id, hours=args.hours)
    if args.json:
        print(json.dumps({"ok": True, "tasks": [{"task_id": task.task_id, **task.fields}
                                                for task in made]}, ensure_ascii=False, indent=1))
        return EXIT_OK
    for task in made:
        print(t("cli.prep.accepted", args.lang, task_id=task.task_id, sku=task.fields["prep_sku"],
                qty=task.fields["qty"]))
    return EXIT_OK


def _done(store: Store, args: argparse.Namespace) -> int:
    task = prep.finish(store.db, args.task_id, actor=args.clerk)
    if args.json:
        print(json.dumps({"ok": True, "task_id": task.task_id, "sku": task.sku, "qty": task.qty,
                          "status": task.status}, ensure_ascii=False))
        return EXIT_OK
    print(t("ui.prep.finished", args.lang, item=f"{task.sku} ×{task.qty}"))
    return EXIT_OK
