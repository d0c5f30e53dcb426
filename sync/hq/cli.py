"""``store-edge hq ...``: run and operate the HQ side.

``edge.cli`` calls ``add_subparsers(sub, parents=[common])``; the ``hq`` parser sets
``handler=run``. Also runnable alone: ``python -m sync.hq.cli hq serve ...``.
"""

from __future__ import annotations

import argparse
import functools
import os
import socket
import sys
import threading
from pathlib import Path

from pydantic import ValidationError

from ..protocol import CatalogItem, PlaceOrderRequest, TransferLine

DEFAULT_PORT = 8765


def default_db_url(data_dir: str | None = None) -> str:
    """sqlite:///<data-dir>/hq.db; data-dir from --data-dir, STORE_EDGE_DATA_DIR or ~/.local/share."""
    base = data_dir or os.environ.get("STORE_EDGE_DATA_DIR") or str(Path.home() / ".local/share/store-edge")
    return f"sqlite:///{Path(base).expanduser().resolve() / 'hq.db'}"


def add_subparsers(subparsers: argparse._SubParsersAction,
                   parents: list[argparse.ArgumentParser] | None = None) -> argparse.ArgumentParser:
    """Add the ``hq`` command group to an existing CLI. ``parents`` (the host CLI's common
    options, e.g. ``--data-dir``) are given to every ``hq`` subcommand."""
    hq = subparsers.add_parser("hq", help="the HQ side: sync endpoint, stores, orders")
    hq.set_defaults(handler=run)
    group = hq.add_subparsers(dest="hq_command", required=True, metavar="COMMAND")
    inherited = {opt for parent in parents or [] for action in parent._actions for opt in action.option_strings}

    add = functools.partial(group.add_parser, parents=parents or [])  # host options on every subcommand

    def _db_option(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--db", help="sqlite:///path or postgresql://... (default: <data-dir>/hq.db)")
        if "--data-dir" not in inherited:
            # SUPPRESS: never overwrite a --data-dir the top-level parser already set
            parser.add_argument("--data-dir", default=argparse.SUPPRESS, help="where the default SQLite HQ lives")

    p = add("serve", help="run the HQ HTTP endpoint (uvicorn)")
    _db_option(p)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=DEFAULT_PORT)
    p.add_argument("--webhook", help="URL receiving customer notifications (JSON POST)")
    p.add_argument("--sweep-interval", type=float, default=30.0, help="seconds between unpaid-order sweeps")
    p.add_argument("--body-timeout", type=float, default=60.0,
                   help="seconds a request body may take to arrive (408 after; a stalled upload never holds HQ)")
    _serve_scale_options(p)
    p.add_argument("--metrics-token", default=os.environ.get("STORE_EDGE_METRICS_TOKEN"),
                   help="operator token for /metrics (Authorization: Bearer); default $STORE_EDGE_METRICS_TOKEN; "
                   "without one /metrics is off")
    p.add_argument("--silent-after", type=float, default=15.0, metavar="MINUTES",
                   help="/metrics counts a store silent after this many minutes without a request")
    p.add_argument("--courier-platform", metavar="URL",
                   help="courier platform for platform-mode delivery orders (see hq courier-platform)")

    p = add("add-store", help="register a store; prints its token once")
    _db_option(p)
    p.add_argument("store_id")
    p.add_argument("--name", default="")
    _token_days_option(p)

    p = add("add-stores", help="register many stores from a CSV (store_id,name); tokens to a 0600 file")
    _db_option(p)
    p.add_argument("csv", help="UTF-8 CSV with a header: store_id[,name]")
    p.add_argument("--out", help="where the tokens go (created 0600, never overwritten; default <csv>.tokens.csv)")
    _token_days_option(p)

    p = add("rotate-token", help="issue a store a new token (printed once); the old one stops working")
    _db_option(p)
    p.add_argument("store_id")
    _token_days_option(p)

    p = add("revoke-store", help="cut a store off now: its token stops working until rotate-token")
    _db_option(p)
    p.add_argument("store_id")

    p = add("add-channel", help="register an order channel; prints its API key once")
    _db_option(p)
    p.add_argument("name")
    p.add_argument("--kind", default="live_stream",
                   help="live_stream | mini_program | counter | ops | courier (a courier platform)")

    p = add("bump-epoch", help="after restoring HQ from a backup: make every store resync")
    _db_option(p)

    p = add("backup", help="copy HQ's database to FILE while HQ runs (SQLite backup / pg_dump)")
    _db_option(p)
    p.add_argument("file")

    p = add("restore", help="replace HQ's database with a backup (HQ stopped), then bump the epoch")
    _db_option(p)
    p.add_argument("file")

    p = add("seed-catalog", help="load the bilingual demo catalog (sent to every store)")
    _db_option(p)

    p = add("set-item", help="create or change a catalog item (sent to every store)")
    _db_option(p)
    p.add_argument("sku")
    p.add_argument("--name-zh", required=True)
    p.add_argument("--name-en", required=True)
    p.add_argument("--zone", choices=("ambient", "chilled", "frozen"), required=True)
    p.add_argument("--price-cents", type=int, required=True)
    p.add_argument("--barcode")
    p.add_argument("--shelf-life-days", type=int)
    p.add_argument("--shelf", help="where stores keep it on their shelves (the pick walk), e.g. C1-02")

    p = add("place-order", help="place an order directly in the HQ database")
    _db_option(p)
    p.add_argument("--store", required=True)
    p.add_argument("--line", action="append", required=True, metavar="SKU:QTY", type=_order_line)
    p.add_argument("--customer", default="王小明")
    p.add_argument("--phone", default="13800138000")
    p.add_argument("--paid", action="store_true")
    p.add_argument("--delivery", action="store_true", help="delivered from the store (needs --address)")
    p.add_argument("--address", help="delivery address (HQ keeps it; the store sees it masked)")
    p.add_argument("--promised-min", type=int, default=60, help="delivery promised within N minutes")
    p.add_argument("--courier-mode", choices=("platform", "store"), default="platform")
    p.add_argument("--presale", action="store_true", help="sell ahead from the store's pre-sale pool")
    p.add_argument("--channel", default="ops")

    p = add("cancel-order", help="cancel an order (units go back to the allotment)")
    _db_option(p)
    p.add_argument("order_no")
    p.add_argument("--reason", default="hq")

    p = add("transfer", help="announce a warehouse transfer to a store")
    _db_option(p)
    p.add_argument("store_id")
    p.add_argument("--line", action="append", required=True, metavar="SKU:QTY[:LOT[:EXPIRY[:PRESALE]]]",
                   type=_transfer_line,
                   help="PRESALE: units of the line to sell ahead (pre-sale pool), e.g. M1:40:L7::30")

    p = add("sweep", help="release orders unpaid for 30 minutes, send reminders (once)")
    _db_option(p)

    p = add("stores", help="list stores: push seq, change cursor, token expiry or revoked")
    _db_option(p)

    p = add("conflicts", help="open records for operators: short picks, refunds due, hand-overs after cancel")
    _db_option(p)
    p.add_argument("--store", help="one store only")
    p.add_argument("--json", action="store_true")

    p = add("day-end", help="a store's day-end reports as it sent them (latest per day)")
    _db_option(p)
    p.add_argument("store_id")
    p.add_argument("--date", help="one day, e.g. 2026-11-01 (default: every day received)")
    p.add_argument("--json", action="store_true")

    p = add("courier-platform", help="a simulated courier platform on a loopback port (demo, tests)")
    p.add_argument("--hq", default=f"http://127.0.0.1:{DEFAULT_PORT}")
    p.add_argument("--key", default=os.environ.get("STORE_EDGE_COURIER_KEY"),
                   help="channel key of kind courier (hq add-channel NAME --kind courier)")
    p.add_argument("--port", type=int, default=0, help="0: any free port (printed)")
    p.add_argument("--assign-after", type=float, default=2.0, help="seconds until a rider is named")
    p.add_argument("--ride", type=float, default=20.0, help="seconds from collected to delivered")
    p.add_argument("--cancel", type=float, default=0.05, help="share of jobs no rider takes")
    p.add_argument("--late", type=float, default=0.15, help="share of riders who run late")
    p.add_argument("--seed", type=int)

    p = add("simulate-stream", help="keep placing live-stream orders over HTTP")
    p.add_argument("--hq", default=f"http://127.0.0.1:{DEFAULT_PORT}")
    p.add_argument("--key", default=os.environ.get("STORE_EDGE_CHANNEL_KEY"), help="channel API key")
    p.add_argument("--stores", default="S001", help="comma-separated store ids")
    p.add_argument("--rate", type=float, default=0.5, help="orders per second")
    p.add_argument("--count", type=int, default=0, help="0 = until interrupted")
    p.add_argument("--seed", type=int)
    p.add_argument("--delivery-share", type=float, default=0.0,
                   help="share of orders delivered from the store (0..1)")
    return hq


def _serve_scale_options(parser: argparse.ArgumentParser) -> None:
    from .db import DEFAULT_POOL_WAIT_S, default_pool_size

    parser.add_argument("--workers", type=int, default=1,
                        help="HQ processes sharing the port (PostgreSQL only; a dead one is replaced)")
    parser.add_argument("--db-pool", type=int, default=None,
                        help=f"database connections per process at most (default {default_pool_size()}: "
                             "one per request thread plus the background jobs)")
    parser.add_argument("--db-pool-wait", type=float, default=DEFAULT_POOL_WAIT_S,
                        help="seconds a request waits for a free connection before a 503 busy")


def _token_days_option(parser: argparse.ArgumentParser) -> None:
    from .registry import DEFAULT_TOKEN_DAYS

    parser.add_argument("--token-days", type=int, default=DEFAULT_TOKEN_DAYS,
                        help=f"days until the token expires (default {DEFAULT_TOKEN_DAYS}; 0: never)")


def _print_stores(rows: list[tuple]) -> None:
    for store_id, name, last_seq, change_seq, given_back, expires_at, revoked_at in rows:
        token = f"revoked {revoked_at}" if revoked_at else f"token expires {expires_at or 'never'}"
        print(f"{store_id}\t{name}\tpushed through {last_seq}\tchanges {change_seq}"
              f"\torders given back {given_back}\t{token}")


def _db_url(args: argparse.Namespace) -> str:
    return getattr(args, "db", None) or default_db_url(getattr(args, "data_dir", None))


def _open(args: argparse.Namespace):
    from .db import open_database
    from .schema import migrate

    db = open_database(_db_url(args))
    migrate(db)
    return db


def _order_line(text: str) -> tuple[str, int]:
    """``--line SKU:QTY`` (QTY 1 when left out); anything else is refused by argparse
    (exit 2) in words, not as a Python or pydantic error."""
    sku, _, qty = text.partition(":")
    if sku.strip() and (not qty or qty.strip().isdigit()) and int(qty or 1) >= 1:
        return sku.strip(), int(qty or 1)
    raise argparse.ArgumentTypeError(f"'{text}': 应为 商品编号:数量（数量至少 1）/ expected SKU:QTY, "
                                      f"QTY 1 or more (e.g. MILK-1L:2)")


def _transfer_line(text: str) -> TransferLine:
    """``--line SKU:QTY[:LOT[:EXPIRY[:PRESALE]]]`` checked as the contract checks it: a line
    a store could never receive (a date that is no date) is refused before it is sent."""
    parts = text.split(":")
    try:
        if not 2 <= len(parts) <= 5:
            raise ValueError("SKU:QTY[:LOT[:EXPIRY[:PRESALE]]]")
        more = parts[2:] + [""] * (5 - len(parts))
        return TransferLine(sku=parts[0], qty=int(parts[1]), lot=more[0] or "L1",
                            expiry=more[1] or None, presale=int(more[2] or 0))
    except ValueError as exc:  # pydantic's ValidationError is one
        why = ("; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
               if isinstance(exc, ValidationError) else str(exc))
        raise argparse.ArgumentTypeError(f"'{text}': 调拨行无效 / not a transfer line ({why}); "
                                          f"expected SKU:QTY[:LOT[:EXPIRY[:PRESALE]]], "
                                          f"e.g. M1:40:L7:2026-12-31:30") from None


def listen_socket(host: str, port: int) -> socket.socket:
    """A listening TCP socket with TCP_NODELAY, inherited by accepted connections: without it
    a response written in two parts waits ~40 ms for a delayed ACK on every request."""
    family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    sock = socket.socket(family, kind, proto or socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind(address)
    return sock


def _serve(args: argparse.Namespace) -> int:
    from .serve import ServePlan, refusal, serve, shown_url

    if args.silent_after <= 0:
        print("error: --silent-after 须为正的分钟数 / must be a positive number of minutes", file=sys.stderr)
        return 2
    plan = ServePlan(_db_url(args), args.host, args.port, workers=args.workers, db_pool=args.db_pool,
                     app_kw={"webhook_url": args.webhook, "sweep_interval": args.sweep_interval,
                             "body_timeout": args.body_timeout, "db_pool_wait": args.db_pool_wait,
                             "metrics_token": args.metrics_token,
                             "silent_after_minutes": args.silent_after,
                             "courier_url": args.courier_platform})
    why = refusal(plan)
    if why:
        print(why, file=sys.stderr)
        return 2
    why = _database_refusal(plan.db_url)
    if why:
        print(why, file=sys.stderr)
        return 1
    try:
        sock = listen_socket(args.host, args.port)
    except OSError as exc:
        print(f"error: 无法在 {args.host}:{args.port} 监听（{exc.strerror}）：另一个 HQ 在运行？换 --port / "
              f"cannot listen on {args.host}:{args.port} ({exc.strerror}): is another HQ running there? "
              f"Choose another --port", file=sys.stderr)
        return 2
    print(f"HQ listening on http://{args.host}:{sock.getsockname()[1]}  db={shown_url(plan.db_url)}  "
          f"processes={plan.workers}  db-pool={plan.pool}", flush=True)
    return serve(plan, sock, echo=lambda text: print(text, file=sys.stderr, flush=True))


def _database_refusal(db_url: str) -> str | None:
    """Why HQ cannot start on this database (unreachable, or migrated by a newer store-edge),
    or None once its schema is current: said before 'HQ listening', never as a traceback."""
    from .db import TransientDBError, open_database
    from .errors import HQError
    from .schema import migrate
    from .serve import shown_url

    try:
        db = open_database(db_url, pool_size=1)
        try:
            migrate(db)
        finally:
            db.close()
    except HQError as exc:
        return f"error: {exc.code}: {exc.message}"
    except (TransientDBError, OSError) as exc:
        return (f"error: 无法连接数据库 {shown_url(db_url)} / cannot open the database "
                f"{shown_url(db_url)}: {exc}")
    return None


def _add_stores(db, args: argparse.Namespace) -> int:
    """Bulk registration; tokens only in the 0600 file, never on the terminal."""
    from .bulk import BulkRefused, add_stores_from_csv
    from .clock import utcnow

    out = Path(args.out) if args.out else Path(args.csv).with_suffix(".tokens.csv")
    try:
        count = add_stores_from_csv(db, Path(args.csv), out, utcnow(), token_days=args.token_days)
    except BulkRefused as exc:
        print("没有登记任何门店 / nothing was registered:", *exc.problems, sep="\n", file=sys.stderr)
        return 2
    finally:
        db.close()
    print(f"已登记 {count} 家门店，令牌写入 {out}（仅所有者可读）/ registered {count} stores; "
          f"tokens in {out} (readable by its owner only)")
    return 0


def _place_order(args: argparse.Namespace) -> int:
    from . import service
    from .clock import utcnow

    if args.delivery and not args.address:
        print("error: 外送订单需要 --address / a delivery order needs --address", file=sys.stderr)
        return 2
    delivery = ({"address": args.address, "promised_min": args.promised_min,
                 "courier_mode": args.courier_mode} if args.delivery else None)
    req = PlaceOrderRequest(request_id=os.urandom(8).hex(), store_id=args.store, customer_name=args.customer,
                            customer_phone=args.phone, paid=args.paid,
                            fulfilment="delivery" if args.delivery else "pickup", delivery=delivery,
                            presale=args.presale,
                            lines=[{"sku": s, "qty": q} for s, q in args.line])
    view = service.place_order(_open(args), req, channel_name=args.channel, channel_kind="ops", now=utcnow())
    print(f"{view['order_no']} pickup code {view['pickup_code']} ({view['payment_status']})")
    return 0


def _transfer(args: argparse.Namespace) -> int:
    from . import service
    from .clock import utcnow

    print(service.transfer_stock(_open(args), args.store_id, list(args.line), utcnow()))
    return 0


def _print_day_ends(reports: list[dict], as_json: bool) -> None:
    if as_json:
        import json

        print(json.dumps(reports, ensure_ascii=False, indent=1))
        return
    for r in reports:
        rate = f"{r['due_handed_over']}/{r['pickups_due']}"
        mean = "-" if r["verify_ms_mean"] is None else f"{r['verify_ms_mean'] / 1000:.1f}s"
        print(f"{r['store_id']}\t{r['day']}\thanded over {rate}\tmean {mean}\t"
              f"add-ons {r['addon_pickups']}/{r['handovers']}\tsales {r['sales_cents'] / 100:.2f}\t"
              f"excursions {len(r['excursions'])}\treceived {r['received_at']}")


def _print_conflicts(conflicts: list[dict], as_json: bool) -> None:
    """What HQ's operators must act on (a short pick at a store, a refund due...)."""
    if as_json:
        import json

        print(json.dumps(conflicts, ensure_ascii=False, indent=1))
        return
    for c in conflicts:
        print(f"{c['created_at']}\t{c['store_id']}\t{c['kind']}\t{c['order_no'] or c['sku'] or '-'}"
              f"\t{c['detail']}")


def _courier_platform(args: argparse.Namespace) -> int:
    from .courier_sim import CourierPlatform

    if not args.key:
        print("courier-platform needs --key (hq add-channel NAME --kind courier)", file=sys.stderr)
        return 2
    platform = CourierPlatform(args.hq, args.key, port=args.port, assign_after=args.assign_after,
                               ride_s=args.ride, p_cancel=args.cancel, p_late=args.late,
                               seed=args.seed).start()
    print(f"courier platform on {platform.url} (hq serve --courier-platform {platform.url})", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    platform.stop()
    print(f"reported {len(platform.events)} events, {platform.errors} failed")
    return 0


def _simulate(args: argparse.Namespace) -> int:
    from .simulate import simulate_stream

    if not args.key:
        print("simulate-stream needs --key (a channel key from `hq add-channel`)", file=sys.stderr)
        return 2
    stores = [s for s in args.stores.split(",") if s]
    try:
        tally = simulate_stream(args.hq, args.key, stores, rate=args.rate, count=args.count,
                                out=sys.stdout, seed=args.seed, delivery_share=args.delivery_share)
    except KeyboardInterrupt:
        return 0
    print(f"placed {tally['placed']}, refused {tally['refused']}, errors {tally['error']}")
    return 0


def run(args: argparse.Namespace) -> int:
    """Execute one ``hq`` subcommand; returns the exit code."""
    from . import registry, service
    from .clock import utcnow
    from .errors import HQError

    cmd = args.hq_command
    try:
        if cmd == "serve":
            return _serve(args)
        if cmd == "simulate-stream":
            return _simulate(args)
        if cmd == "courier-platform":
            return _courier_platform(args)
        if cmd == "place-order":
            return _place_order(args)
        if cmd == "transfer":
            return _transfer(args)
        if cmd == "backup":
            from .backup import backup

            print(f"backed up to {backup(_db_url(args), Path(args.file))}")
            return 0
        if cmd == "restore":
            from .backup import restore

            epoch, series = restore(_db_url(args), Path(args.file))
            print(f"restored from {args.file}; epoch {epoch}; new order numbers in series {series}")
            print("start HQ again: stores resync, re-send what the backup lacks, and give back their orders")
            return 0
        db = _open(args)
        if cmd == "add-store":
            print(registry.add_store(db, args.store_id, utcnow(), name=args.name, token_days=args.token_days))
        elif cmd == "add-stores":
            return _add_stores(db, args)
        elif cmd == "rotate-token":
            print(registry.rotate_store_token(db, args.store_id, utcnow(), token_days=args.token_days))
        elif cmd == "revoke-store":
            registry.revoke_store(db, args.store_id, utcnow())
            print(f"{args.store_id} revoked: its token no longer works (hq rotate-token {args.store_id} "
                  "issues a new one)")
        elif cmd == "add-channel":
            print(registry.add_channel(db, args.name, utcnow(), kind=args.kind))
        elif cmd == "bump-epoch":
            epoch = registry.bump_epoch(db)
            print(f"epoch {epoch}; new order numbers in series {registry.order_series(db)}")
        elif cmd == "seed-catalog":
            from .demo_data import DEMO_CATALOG

            for item in DEMO_CATALOG:
                service.upsert_catalog_item(db, item, utcnow())
            print(f"{len(DEMO_CATALOG)} items")
        elif cmd == "set-item":
            item = CatalogItem(sku=args.sku, name_zh=args.name_zh, name_en=args.name_en, zone=args.zone,
                               price_cents=args.price_cents, barcode=args.barcode,
                               shelf_life_days=args.shelf_life_days, shelf=args.shelf)
            print(f"{args.sku} version {service.upsert_catalog_item(db, item, utcnow())}")
        elif cmd == "cancel-order":
            print(service.cancel_order(db, args.order_no, args.reason, utcnow())["status"])
        elif cmd == "sweep":
            from .sweeper import sweep_once

            print(f"released {len(sweep_once(db, utcnow))}")
        elif cmd == "conflicts":
            _print_conflicts(service.open_conflicts(db, args.store), args.json)
        elif cmd == "day-end":
            _print_day_ends(service.day_reports(db, args.store_id, args.date), args.json)
        elif cmd == "stores":
            _print_stores(registry.list_stores(db))
        db.close()
        return 0
    except HQError as exc:
        print(f"error: {exc.code}: {exc.message}", file=sys.stderr)
        return 1
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="store-edge")
    parser.add_argument("--data-dir", default=None)
    add_subparsers(parser.add_subparsers(dest="command", required=True))
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
