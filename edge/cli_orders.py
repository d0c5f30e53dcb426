"""``store-edge orders …``: the back room from a shell (same domain functions as the screens).

This module only owns the ``orders`` group; each feature adds its sub-commands from its own
module (``add_commands(orders_sub, parents)``, each setting ``handler``), so the task board's
commands (list, extend, return, remind) and fulfilment's (pick, pack, ready, decide, labels,
slots) never edit one function. A module that is not there is skipped.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from collections.abc import Callable

from edge.domain.errors import DomainError
from edge.domain.fulfil_i18n import error_message
from edge.store import Store

COMMAND_MODULES = ("edge.cli_fulfil", "edge.cli_board")
EXIT_OK, EXIT_REFUSED = 0, 1


def add_subparsers(sub, parents: list[argparse.ArgumentParser]) -> None:
    """Called by edge.cli: adds the ``orders`` group and every feature's sub-commands."""
    group = sub.add_parser("orders", parents=parents, help="prepare orders: pick, pack, ready…")
    orders_sub = group.add_subparsers(dest="orders_command", required=True)
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:
                continue
            raise
        module.add_commands(orders_sub, parents)


def store_command(action: Callable[[Store, argparse.Namespace], int]
                  ) -> Callable[[argparse.Namespace], int]:
    """A sub-command's handler: open the store, run ``action(store, args)``, and turn a
    refusal into exit code 1 with its message (JSON when ``--json``)."""

    def handler(args: argparse.Namespace) -> int:
        store = Store.open(args.cfg.data_dir)  # not a store yet: edge.cli says so (exit 2)
        try:
            return action(store, args)
        except DomainError as exc:
            message = error_message(exc, args.lang)
            if getattr(args, "json", False):
                print(json.dumps({"ok": False, "error": exc.code, "message": message},
                                 ensure_ascii=False))
            else:
                print(message, file=sys.stderr)
            return EXIT_REFUSED
        finally:
            store.close()

    return handler
