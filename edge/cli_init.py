"""``store-edge init``: a real store's first run, at a terminal or from a script.

Asks (or takes as flags) the HQ address and this store's token, checks the token against HQ
with a real request, and only then creates the data directory, the database, the pickup key,
``store-edge.toml`` (0600: it holds the token) and the first manager. A wrong token, an HQ
that does not answer, bad manager details or an existing store create nothing. Then a first
sync brings HQ's catalogue and orders in; ``store-edge run`` opens the working store.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from pathlib import Path

from edge import config as config_mod
from edge.cli_pin import MANAGER_PIN_ENV, read_new_pin
from edge.db import DB_FILENAME
from edge.domain import clerks
from edge.domain import sync_i18n  # noqa: F401  (registers sync.* messages)
from edge.domain.errors import DomainError
from edge.i18n import t
from edge.store import init_store

EXIT_OK, EXIT_REFUSED, EXIT_USAGE = 0, 1, 2
TOKEN_ENV = "STORE_EDGE_HQ_TOKEN"


class InitRefused(Exception):
    """Nothing was created; ``key``/``params`` say why, ``exit`` is the command's code."""

    def __init__(self, key: str, exit_code: int = EXIT_REFUSED, **params: object) -> None:
        super().__init__(key)
        self.key, self.exit, self.params = key, exit_code, params


def add_subparsers(sub, parents: list[argparse.ArgumentParser]) -> None:
    """Called by edge.cli: adds the ``init`` command."""
    parser = sub.add_parser("init", parents=parents,
                            help="set up a new store: HQ address and token, first manager")
    parser.add_argument("--hq", metavar="URL", help="HQ address, e.g. https://hq.example.com")
    parser.add_argument("--token", help=f"this store's HQ token (better: ${TOKEN_ENV})")
    parser.add_argument("--store-id", help="this store's id at HQ (checked against the token)")
    parser.add_argument("--store-name", help="the store's name (default: the name HQ knows)")
    parser.add_argument("--manager-id", help="the first manager's clerk id, e.g. m01")
    parser.add_argument("--manager-name", help="the first manager's name")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.set_defaults(handler=run)


def _interactive() -> bool:
    return sys.stdin.isatty()


def _ask(value: str | None, option: str, prompt_key: str, lang: str, *, default: str = "",
         secret: bool = False) -> str:
    """A flag's value, else asked at the terminal; a script without it is told which flag."""
    if value is not None and value.strip():
        return value.strip()
    if not _interactive():
        if default:
            return default
        raise InitRefused("init.missing", EXIT_USAGE, option=option)
    prompt = t(prompt_key, lang, default=default) + " "
    try:
        answer = (getpass.getpass(prompt) if secret else input(prompt)).strip()
    except EOFError:
        answer = ""
    if not answer and not default:
        raise InitRefused("init.missing", EXIT_USAGE, option=option)
    return answer or default


def _check_token(url: str, token: str, store_id: str | None, lang: str):
    """HQ's word on the token (a real request); InitRefused when it is not this store's."""
    from sync.client import SyncProblem, whoami
    from sync.worker import status_message

    print(t("init.checking", lang, url=url), file=sys.stderr, flush=True)
    try:
        who = whoami(url, token, timeout=10)
    except SyncProblem as problem:
        if problem.key == "sync.token_refused" or (problem.key == "sync.refused" and problem.params.get("status") == 403):
            raise InitRefused("init.token_refused", url=url) from None
        from sync.client import SyncReport

        report = SyncReport(ok=False, online=problem.online, problem=problem.key,
                            problem_params=dict(problem.params))
        raise InitRefused("init.hq_problem", url=url, message=status_message(report, lang)) from None
    if store_id and who.store_id != store_id:
        raise InitRefused("init.wrong_store", hq_store=who.store_id, store_id=store_id)
    return who


def setup(args: argparse.Namespace) -> dict:
    """Everything ``init`` does; returns what it made. InitRefused/DomainError: nothing made."""
    lang, data_dir = args.lang, Path(args.cfg.data_dir)
    config_path = data_dir / config_mod.CONFIG_FILENAME
    if (data_dir / DB_FILENAME).exists() or config_path.exists():
        raise InitRefused("init.exists", path=data_dir)
    url = _ask(args.hq, "--hq", "init.prompt_hq", lang)
    token = _ask(args.token or os.environ.get(TOKEN_ENV), f"--token / ${TOKEN_ENV}",
                 "init.prompt_token", lang, secret=True)
    who = _check_token(url, token, args.store_id, lang)
    name = _ask(args.store_name, "--store-name", "init.prompt_store_name", lang,
                default=who.name or who.store_id)
    manager_id = _ask(args.manager_id, "--manager-id", "init.prompt_manager_id", lang)
    manager_name = _ask(args.manager_name, "--manager-name", "init.prompt_manager_name", lang)
    pin = read_new_pin(MANAGER_PIN_ENV, lang, manager_id)
    clerks.check_new(manager_id, manager_name, pin, "manager")  # before anything is created
    store = init_store(data_dir, who.store_id, name, name)
    try:
        clerks.add_clerk(store.db, manager_id, manager_name, pin, role="manager")
        config_mod.write_new(config_path, language=lang, store_name=name, hq_url=url, hq_token=token)
        first = _first_sync(store, url, token, lang)
    finally:
        store.close()
    return {"store_id": who.store_id, "store_name": name, "data_dir": str(data_dir),
            "config": str(config_path), "manager_id": manager_id, "first_sync": first}


def _first_sync(store, url: str, token: str, lang: str) -> dict:
    """Bring HQ's catalogue and orders in now; a failure here only delays them to `run`."""
    from sync.cli import summary_lines
    from sync.client import SyncClient

    client = SyncClient(store, url, token, timeout=30)
    try:
        report = client.sync_once()
    finally:
        client.close()
    return {"ok": report.ok, "pulled": report.pulled, "summary": " ".join(summary_lines(report, lang))}


def run(args: argparse.Namespace) -> int:
    lang = args.lang
    try:
        made = setup(args)
    except InitRefused as refused:
        _fail(args, refused.key, t(refused.key, lang, **refused.params))
        return refused.exit
    except DomainError as exc:
        _fail(args, exc.code, t(exc.code, lang, **exc.params) + " " + t("init.nothing_made", lang))
        return EXIT_REFUSED
    if args.json:
        print(json.dumps({"ok": True, **made}, ensure_ascii=False))
    else:
        print(t("init.first_sync", lang, summary=made["first_sync"]["summary"]))
        print(t("init.done", lang, store_id=made["store_id"], name=made["store_name"],
                path=made["data_dir"], manager_id=made["manager_id"]))
    return EXIT_OK


def _fail(args: argparse.Namespace, code: str, message: str) -> None:
    if args.json:
        print(json.dumps({"ok": False, "error": code, "message": message}, ensure_ascii=False))
    else:
        print(message, file=sys.stderr)
