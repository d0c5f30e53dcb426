"""``store-edge orders …``: the back room from a shell (same domain functions as the screens).

This module only owns the ``orders`` group; each feature adds its sub-commands from its own
module (``add_commands(orders_sub, parents)``, each setting ``handler``), so the task board's
commands (list, extend, return, remind) and fulfilment's (pick, pack, ready, decide, labels,
slots) never edit one function. A module that is not there is skipped.
"""

from __future__ import annotations

import argparse
import importlib

COMMAND_MODULES = ("edge.cli_fulfil", "edge.cli_board")


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
