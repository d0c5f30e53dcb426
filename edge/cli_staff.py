"""``store-edge staff list|add|reset-pin|unlock|deactivate|reactivate``: what the staff screen
(ctrl+u) does, for scripts and HQ support. The same domain functions, the same rule: a
manager signs in with their PIN (terminal, or $STORE_EDGE_MANAGER_PIN) and does it; a new
PIN is typed twice at the terminal or given in $STORE_EDGE_NEW_PIN. Exit codes as `pickup`.
"""

from __future__ import annotations

import argparse
import json
import sys

from rich.cells import set_cell_size

from edge.cli_pin import MANAGER_PIN_ENV, read_new_pin, read_pin
from edge.domain import clerks
from edge.domain.errors import DomainError
from edge.i18n import t
from edge.present import staff_state
from edge.store import Store

EXIT_OK, EXIT_REFUSED, EXIT_USAGE = 0, 1, 2
NEW_PIN_ENV = "STORE_EDGE_NEW_PIN"


def add_subparsers(sub, parents: list[argparse.ArgumentParser]) -> None:
    """Called by edge.cli: adds the ``staff`` command group."""
    staff = sub.add_parser("staff", parents=parents, help="clerks and managers: add, reset a PIN, unlock")
    actions = staff.add_subparsers(dest="staff_command", required=True)
    ls = actions.add_parser("list", parents=parents, help="everyone, with locks")
    ls.add_argument("--json", action="store_true")
    add = actions.add_parser("add", parents=parents, help="add a clerk or manager")
    add.add_argument("clerk_id")
    add.add_argument("--name", required=True)
    add.add_argument("--role", choices=clerks.ROLES, default="clerk")
    for name, text in (("reset-pin", "give someone a new PIN (also unlocks)"),
                       ("unlock", "lift a lock-out after wrong PINs"),
                       ("deactivate", "someone who left: can no longer sign in"),
                       ("reactivate", "take someone back")):
        p = actions.add_parser(name, parents=parents, help=text)
        p.add_argument("clerk_id")
    for p in actions.choices.values():
        if p is not ls:
            p.add_argument("--as", dest="manager", required=True, metavar="MANAGER",
                           help=f"the manager doing it (PIN at the terminal or ${MANAGER_PIN_ENV})")
            p.add_argument("--json", action="store_true")
    staff.set_defaults(handler=run)


def _do(store: Store, args: argparse.Namespace) -> str:
    """Sign the manager in, do the action; the message to print."""
    lang, db, who = args.lang, store.db, args.clerk_id
    manager = clerks.authenticate_manager(db, args.manager, read_pin(
        MANAGER_PIN_ENV, "cli.prompt_manager_pin", lang, clerk_id=args.manager)).clerk_id
    command = args.staff_command
    if command == "add":
        clerks.check_new(who, args.name, "0000", args.role)  # before asking a PIN
        clerks.add_clerk(db, who, args.name, read_new_pin(NEW_PIN_ENV, lang, who), role=args.role, actor=manager)
        return t("staff.added", lang, clerk_id=who, name=args.name.strip())
    if command == "reset-pin":
        clerks.reset_pin(db, who, read_new_pin(NEW_PIN_ENV, lang, who), actor=manager)
        return t("staff.pin_reset", lang, clerk_id=who)
    if command == "unlock":
        done = clerks.unlock(db, who, actor=manager)
        return t("staff.unlocked" if done else "staff.not_locked", lang, clerk_id=who)
    clerks.set_active(db, who, command == "reactivate", actor=manager)
    return t(f"staff.{command}d", lang, clerk_id=who)


def _list(store: Store, args: argparse.Namespace) -> int:
    members = clerks.staff(store.db)
    if args.json:
        print(json.dumps([{"clerk_id": m.clerk_id, "name": m.name, "role": m.role,
                           "active": m.active, "failed_pins": m.failed_pins,
                           "locked_until": m.locked_until.isoformat() if m.locked_until else None}
                          for m in members], ensure_ascii=False, indent=1))
        return EXIT_OK
    for m in members:  # columns by terminal cells: a Chinese name is two cells a character
        print(" ".join(set_cell_size(text, width) for text, width in (
            (m.clerk_id, 8), (t("role." + m.role, args.lang), 8), (m.name, 16))),
            staff_state(m, args.lang))
    return EXIT_OK


def run(args: argparse.Namespace) -> int:
    store = Store.open(args.cfg.data_dir)  # not a store yet: edge.cli says so (exit 2)
    try:
        if args.staff_command == "list":
            return _list(store, args)
        try:
            message = _do(store, args)
        except DomainError as exc:
            message = t(exc.code, args.lang, **exc.params)
            if args.json:
                print(json.dumps({"ok": False, "error": exc.code, "message": message}, ensure_ascii=False))
            else:
                print(message, file=sys.stderr)
            return EXIT_REFUSED
        print(json.dumps({"ok": True, "message": message}, ensure_ascii=False) if args.json else message)
        return EXIT_OK
    finally:
        store.close()
