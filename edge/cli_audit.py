"""``store-edge audit ENTITY``: who did what to one order, SKU, clerk, alarm or print job, and
when — the trail every change leaves (DESIGN property 1), for a manager settling a dispute or
HQ support asking what happened to an order. Read only.

ENTITY is ``order:S001-…``, ``sku:N001``, ``clerk:c01``, ``alarm:3``, ``print_job:12``…; a bare
order number is taken as ``order:``. Exit codes: 0 listed, 1 nothing recorded, 2 bad usage.
"""

from __future__ import annotations

import argparse
import json

from edge.domain import audit
from edge.i18n import register, t
from edge.present import local_time
from edge.store import Store

EXIT_OK, EXIT_NONE = 0, 1

register({
    "audit.none": ("没有 {entity} 的记录", "Nothing recorded for {entity}"),
})


def add_subparsers(sub: argparse._SubParsersAction,
                   parents: list[argparse.ArgumentParser]) -> argparse.ArgumentParser:
    cmd = sub.add_parser("audit", parents=parents,
                         help="the audit trail of one order, SKU, clerk, alarm or print job")
    cmd.add_argument("entity", help="e.g. order:S001-…, sku:N001, clerk:c01 (a bare order number"
                                    " means order:)")
    cmd.add_argument("--json", action="store_true")
    cmd.set_defaults(handler=run)
    return cmd


def run(args: argparse.Namespace) -> int:
    entity = args.entity if ":" in args.entity else f"order:{args.entity}"
    store = Store.open(args.cfg.data_dir)
    try:
        records = audit.for_entity(store.db, entity)
    finally:
        store.close()
    if args.json:
        print(json.dumps({"entity": entity, "records": records}, ensure_ascii=False, indent=1))
    elif not records:
        print(t("audit.none", args.lang, entity=entity))
    for r in [] if args.json else records:
        detail = json.dumps(r["detail"], ensure_ascii=False) if r["detail"] else ""
        print(f"{local_time(r['at'])}  {r['actor']:<8} {r['action']:<24} {detail}")
    return EXIT_OK if records else EXIT_NONE
