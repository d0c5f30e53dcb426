"""The ``store-edge`` command: the UI, the demo, and scriptable counter operations.

Every command takes ``--data-dir`` (or ``$STORE_EDGE_DATA_DIR``, or the config's data_dir)
and ``--lang``. Exit codes: 0 success / "can hand over", 1 refused by the domain,
2 bad usage or configuration.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import datetime
from pathlib import Path

from edge import config as config_mod
from edge.cli_pin import CLERK_PIN_ENV, MANAGER_PIN_ENV, read_pin
from edge.clock import utcnow
from edge.backup import BackupError
from edge.db import SchemaTooNew
from edge.domain import clerks, pickup
from edge.domain.errors import DomainError
from edge.i18n import LANGUAGES, t
from sync.pickup_code import format_code
from edge.present import local_time, verdict_dict, verdict_message, window_text
from edge.store import Store, StoreNotInitialised

EXIT_OK, EXIT_REFUSED, EXIT_USAGE = 0, 1, 2


def build_parser() -> argparse.ArgumentParser:
    # SUPPRESS: an option given before the command must not be reset by the command's copy
    common = argparse.ArgumentParser(add_help=False, argument_default=argparse.SUPPRESS)
    common.add_argument("--data-dir", help="store data directory")
    common.add_argument("--config", help="config file (TOML)")
    common.add_argument("--lang", choices=LANGUAGES, help="language of messages")
    parser = argparse.ArgumentParser(prog="store-edge", parents=[common],
                                     description="Offline-first point of sale for food stores")
    from edge.paths import version

    parser.add_argument("--version", action="version", version=f"store-edge {version()}")
    sub = parser.add_subparsers(dest="command", required=True)

    sub.add_parser("run", parents=[common], help="open the store terminal UI")

    demo = sub.add_parser("demo", parents=[common], help="run or seed the demo store")
    demo.add_argument("action", nargs="?", choices=["codes"], help="codes: list demo pickup codes")
    demo.add_argument("--seed-only", action="store_true", help="create the demo store, no UI")
    demo.add_argument("--orders", type=int, default=300, help="number of demo orders")
    demo.add_argument("--fresh", action="store_true", help="delete an existing demo store first")
    demo.add_argument("--json", action="store_true")

    pk = sub.add_parser("pickup", parents=[common], help="check or hand over a pickup code")
    pk_sub = pk.add_subparsers(dest="pickup_command", required=True)
    chk = pk_sub.add_parser("check", parents=[common], help="verdict for a code (exit 0 = can hand over)")
    chk.add_argument("code")
    chk.add_argument("--json", action="store_true")
    ho = pk_sub.add_parser("handover", parents=[common], help="hand an order over")
    ho.add_argument("code", help="pickup code (11 digits) or QR payload (SE1:<store>:<code>)")
    ho.add_argument("--clerk", required=True,
                    help="clerk id doing the hand-over; their PIN is asked at the terminal"
                         " (or $STORE_EDGE_CLERK_PIN)")
    ho.add_argument("--not-taken", action="append", default=[], metavar="LINE:QTY:REASON",
                    help="a line not taken (reason missing|refused); repeatable")
    ho.add_argument("--manager", help="manager id, for an overdue or early hand-over; their PIN"
                                      " is asked at the terminal (or $STORE_EDGE_MANAGER_PIN)")
    ho.add_argument("--reason", default="", help="reason for the manager override")
    ho.add_argument("--no-receipt", action="store_true",
                    help="do not queue a receipt (queued by default when a receipt printer is configured)")
    ho.add_argument("--json", action="store_true")

    temps = sub.add_parser("temps", parents=[common], help="the cold-chain record, for audits")
    temps_sub = temps.add_subparsers(dest="temps_command", required=True)
    rec = temps_sub.add_parser("record", parents=[common],
                               help="every reading and excursion of one fridge over a period")
    rec.add_argument("probe_id", help="the fridge's probe id, as in [[devices.probes]] of"
                     " store-edge.toml (e.g. F1); an unknown id lists this store's probes")
    rec.add_argument("--from", dest="start", required=True, metavar="DATE", help="e.g. 2026-11-01")
    rec.add_argument("--to", dest="end", metavar="DATE", help="exclusive; default: now")
    rec.add_argument("--format", choices=("text", "csv", "json"), default="text")

    for module in ("edge.cli_init", "edge.cli_staff", "devices.cli", "sync.hq.cli", "sync.cli",
                   "edge.cli_stock", "edge.cli_report", "edge.cli_orders", "edge.cli_print", "edge.cli_backup",
                   "edge.cli_audit", "edge.cli_prep", "edge.cli_delivery", "edge.cli_config"):
        _add_plugin(sub, module, common)
    return parser


def _add_plugin(sub, module: str, common: argparse.ArgumentParser) -> None:
    """Command groups that live beside edge (devices, HQ, sync) register themselves."""
    import importlib

    try:
        mod = importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name and module.startswith(exc.name):
            return
        raise
    # contract: add_subparsers(sub, parents=[common]) and set_defaults(handler=run)
    mod.add_subparsers(sub, parents=[common])


def main(argv: list[str] | None = None) -> int:
    try:
        return _main(argv)
    except BrokenPipeError:
        # `store-edge … | head`: the reader left; say nothing more (no traceback), and keep
        # Python's own flush at exit from hitting the closed pipe again
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_REFUSED


def _main(argv: list[str] | None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    for option in ("data_dir", "config", "lang"):
        setattr(args, option, getattr(args, option, None))
    try:
        cfg = config_mod.load(args.data_dir, args.config)
    except config_mod.ConfigError as exc:
        if getattr(args, "reads_bad_config", False):  # `config check` says what is wrong itself
            return args.handler(args)
        lang = args.lang or "zh-CN"
        print(t("cli.config_error", lang, message=exc.message(lang)), file=sys.stderr)
        return EXIT_USAGE
    args.lang = args.lang or cfg.language
    args.cfg = cfg
    for warning in _permission_warnings(cfg, args.lang):
        print(warning, file=sys.stderr)
    args.device_simulators = _demo_simulators(cfg)
    try:
        return _run_command(args)
    except SchemaTooNew as exc:
        print(t("db.too_new", args.lang, path=exc.path, version=exc.version, known=exc.known),
              file=sys.stderr)
        return EXIT_USAGE
    except BackupError as exc:  # the backup before a migration could not be taken: no migration
        print(t(exc.code, args.lang, **exc.params), file=sys.stderr)
        return EXIT_REFUSED


def _run_command(args: argparse.Namespace) -> int:
    """The chosen command, refused before it starts when the store's database comes from a
    newer store-edge (a command would otherwise run against a schema it doesn't know)."""
    from edge.db import DB_FILENAME, check_file_version

    if args.cfg.data_dir is not None:
        check_file_version(Path(args.cfg.data_dir) / DB_FILENAME)
    handler = getattr(args, "handler", None)
    try:  # a command group (orders, stock…) may open the store and let this say what is wrong
        return handler(args) if handler is not None else _dispatch(args)
    except StoreNotInitialised as exc:
        print(t("cli.not_initialised", args.lang, path=exc.data_dir), file=sys.stderr)
        return EXIT_USAGE


def _permission_warnings(cfg: config_mod.Config, lang: str) -> list[str]:
    """The database and the config (it holds the HQ token) must be 0600: say so when looser."""
    from edge.db import DB_FILENAME
    from edge.private_files import permission_warnings

    paths = [p for p in (cfg.path, Path(cfg.data_dir) / DB_FILENAME if cfg.data_dir else None) if p]
    return permission_warnings(paths, lang)


def _demo_simulators(cfg: config_mod.Config):
    """For a demo store, what starts its simulated serial devices (``devices check`` checks
    those instead of reporting the /dev paths they stand in for as broken); else None."""
    from edge import demo as demo_mod

    if cfg.data_dir is None or not (Path(cfg.data_dir) / demo_mod.CODES_FILENAME).exists():
        return None
    from edge.demo_devices import DemoSimulators

    return lambda: DemoSimulators(interval_s=0.5)


def _dispatch(args: argparse.Namespace) -> int:
    if args.command == "demo":
        return _demo(args)
    if args.command == "run":
        from edge.ui.app import run_app

        return run_app(args.cfg, lang=args.lang)
    if args.command == "temps":
        return _temps_record(Store.open(args.cfg.data_dir), args)
    if args.command == "pickup":
        store = Store.open(args.cfg.data_dir)
        return _pickup_check(store, args) if args.pickup_command == "check" else _handover(store, args)
    raise SystemExit(f"unknown command {args.command}")


def _demo(args: argparse.Namespace) -> int:
    from sync import demo as hq_demo  # the demo store syncs with an embedded HQ

    data_dir: Path = args.cfg.data_dir
    if args.action == "codes":
        store = Store.open(data_dir)
        return _print_codes(store, hq_demo.demo_codes(store), args)
    if args.fresh and data_dir.exists():
        import shutil

        shutil.rmtree(data_dir)
    if not (data_dir / "store.db").exists():
        print(f"… {data_dir}", file=sys.stderr)
        hq_demo.seed_with_hq(data_dir, n_orders=args.orders,
                             progress=lambda done, total: print(f"  {done}/{total}", file=sys.stderr))
        print(t("cli.seeded", args.lang, path=data_dir, orders=args.orders))
    elif args.seed_only:  # said, not silent: --orders did nothing here
        print(t("cli.demo_exists", args.lang, path=data_dir))
    if args.seed_only:
        return EXIT_OK
    from edge.ui.app import run_app

    cfg = config_mod.load(data_dir, args.config)  # seeding wrote [hq] url/token
    with hq_demo.running_demo_hq(data_dir):
        return run_app(cfg, lang=args.lang, demo=True)


def _print_codes(store: Store, codes: list[dict], args: argparse.Namespace) -> int:
    from edge.demo_data import PEOPLE

    people = [{"clerk_id": c, "name": n, "role": r, "pin": p} for c, n, r, p in PEOPLE]
    if args.json:
        print(json.dumps({"store_id": store.store_id, "codes": codes, "clerks": people},
                         ensure_ascii=False, indent=1))
        return EXIT_OK
    for person in people:
        print(f"{person['role']:8} {person['clerk_id']:5} {person['name']:12} PIN {person['pin']}")
    for c in codes:
        print(f"{format_code(c['code'])}  {c['order_no']}  {t('status.' + c['status'], args.lang)}")
    return EXIT_OK


def _when(text: str) -> datetime:
    """A date or date-time typed by a person, in the store's local time zone."""
    value = datetime.fromisoformat(text)
    return value if value.tzinfo else value.astimezone()


def _temps_record(store: Store, args: argparse.Namespace) -> int:
    from edge.domain import temperatures

    try:
        start = _when(args.start)
        end = _when(args.end) if args.end else utcnow()
    except ValueError:
        print(t("cli.bad_date", args.lang, value=args.end or args.start), file=sys.stderr)
        return EXIT_USAGE
    try:
        record = temperatures.temperature_record(store.db, args.probe_id, start, end)
    except DomainError as exc:
        print(t(exc.code, args.lang, **exc.params), file=sys.stderr)
        return EXIT_REFUSED
    fridge = record.fridge
    if args.format == "json":
        print(json.dumps({"probe_id": fridge.probe_id, "fridge": fridge.name, "zone": fridge.zone,
                          "max_c": fridge.max_c, "from": start.isoformat(), "to": end.isoformat(),
                          "readings": [{"at": at, "celsius": c} for at, c in record.readings],
                          "alarms": [vars(a) for a in record.alarms]}, ensure_ascii=False, indent=1))
    elif args.format == "csv":
        print("at,celsius")
        for at, celsius in record.readings:
            print(f"{at},{celsius}")
    else:
        print(t("cli.temps_header", args.lang, fridge=fridge.name, probe=fridge.probe_id,
                limit=fridge.max_c, n=len(record.readings),
                low="-" if record.min_c is None else record.min_c,
                high="-" if record.max_c is None else record.max_c,
                alarms=len(record.alarms)))
        for alarm in record.alarms:
            print(f"  ! {local_time(alarm.started_at)} {t('cli.alarm_kind.' + alarm.kind, args.lang)}"
                  f" {alarm.peak_c} °C "
                  f"({alarm.acknowledged_by or '-'})")
        for at, celsius in record.readings:
            print(f"{local_time(at)}  {celsius:6.1f} °C")
    return EXIT_OK


def _pickup_check(store: Store, args: argparse.Namespace) -> int:
    verdict = pickup.check(store, args.code)
    if args.json:
        print(json.dumps(verdict_dict(verdict, args.lang), ensure_ascii=False, indent=1))
    else:
        print(verdict_message(verdict, args.lang))
        for o in ([verdict.order] if verdict.order else verdict.matches):
            print(f"{o.order_no}  {o.customer_masked}  ****{o.phone_last4}  "
                  f"{t('status.' + o.status, args.lang)}  {window_text(o)}")
    return EXIT_OK if verdict.can_hand_over else EXIT_REFUSED


def _parse_not_taken(items: list[str]) -> list[pickup.NotTaken]:
    """LINE:QTY:REASON items; a malformed one is a usage error that says the format (a bare
    ``1`` used to answer "no line 1" although the order has a line 1)."""
    result = []
    for item in items:
        parts = item.split(":")
        if (len(parts) != 3 or not parts[0].isdigit() or not parts[1].isdigit()
                or parts[2] not in pickup.NOT_TAKEN_REASONS):
            raise UsageError("handover.bad_not_taken", item=item)
        result.append(pickup.NotTaken(int(parts[0]), int(parts[1]), parts[2]))
    return result


class UsageError(DomainError):
    """The command line itself is wrong (exit 2), as opposed to a refused action (exit 1)."""


def _has_receipt_printer(cfg: config_mod.Config) -> bool:
    from devices.config import DeviceConfigError, parse_devices_config

    try:
        return "receipt" in parse_devices_config(cfg.devices or {}).printers
    except DeviceConfigError:
        return False


def _handover(store: Store, args: argparse.Namespace) -> int:
    from edge.domain import print_jobs
    from edge.domain.print_docs import settings_from_config

    started = utcnow()
    try:
        not_taken = _parse_not_taken(args.not_taken)
    except UsageError as exc:
        print(t(exc.code, args.lang, **exc.params), file=sys.stderr)
        return EXIT_USAGE
    job_id = None
    try:
        verdict = pickup.check(store, args.code, now=started)
        if verdict.order is None:
            raise DomainError(f"verdict.{verdict.kind}", **verdict.params)
        if clerks.get_clerk(store.db, args.clerk) is None:
            raise DomainError("auth.unknown_clerk", clerk_id=args.clerk)
        # the clerk signs in as at the counter: a wrong PIN counts, a locked clerk stays out
        clerks.authenticate(store.db, args.clerk, read_pin(
            CLERK_PIN_ENV, "cli.prompt_clerk_pin", args.lang, clerk_id=args.clerk))
        override = None
        if args.manager:
            if not args.reason.strip():  # asked before the PIN: no try wasted
                raise DomainError("override.no_reason")
            override = pickup.Override(args.manager, read_pin(
                MANAGER_PIN_ENV, "cli.prompt_manager_pin", args.lang, clerk_id=args.manager),
                args.reason)
        # like the counter: the receipt is queued in the hand-over's own transaction, and the
        # store's print service prints it
        order, job_id = print_jobs.handover_and_print(
            store, verdict.order.order_no, args.clerk, scanned_at=started, not_taken=not_taken,
            override=override, settings=settings_from_config(args.cfg, args.lang),
            print_receipt=not args.no_receipt and _has_receipt_printer(args.cfg))
    except DomainError as exc:
        if exc.code.startswith("verdict."):
            # judge again: another terminal may have handed it over since our first check
            verdict = pickup.check(store, args.code)
            message = verdict_message(verdict, args.lang)
        else:
            message = t(exc.code, args.lang, **exc.params)
        if args.json:
            print(json.dumps({"ok": False, "error": exc.code, "message": message}, ensure_ascii=False))
        else:
            print(message, file=sys.stderr)
        return EXIT_REFUSED
    if args.json:
        print(json.dumps({"ok": True, "order_no": order.order_no, "status": order.status,
                          "receipt_job": job_id}))
    else:
        print(t("cli.handed_over", args.lang, order_no=order.order_no,
                status=t("status." + order.status, args.lang)))
        if job_id is not None:
            print(t("cli.receipt_queued", args.lang, job_id=job_id))
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
