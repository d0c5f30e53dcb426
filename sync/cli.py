"""``store-edge sync [--once] [--hq URL] [--token T]``: sync this store with HQ from a shell.

HQ's address and token come from the flags or the store's config (``[hq] url/token``).
Without ``--once`` it runs the background sync until Ctrl-C (what the store-edge-sync
service runs when the terminal UI is closed): HQ's orders arrive by long-poll as they are
placed, the outbox is sent as it grows; ``[hq] interval_s`` paces retries and overdue sweeps. Exit codes: 0 synced, 1 HQ
unreachable or refused, 2 bad usage or configuration.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import signal
import sys
import time

from edge.domain import board_i18n  # noqa: F401  (registers cli.board.* messages)
from edge.domain import conflicts, hq_apply, orders, sync_parked, transfers
from edge.domain import sync_i18n  # noqa: F401  (registers sync.* messages)
from edge.i18n import t
from edge.services.backups import DailyBackup
from edge.store import Store, StoreNotInitialised
from sync.client import SyncClient, SyncReport
from sync.worker import SyncWorker, status_message

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
REPORT_POLL_S = 0.2  # how soon the agent prints what its worker did


def add_subparsers(sub, parents: list[argparse.ArgumentParser]) -> None:
    """Called by edge.cli: adds the ``sync`` command."""
    parser = sub.add_parser("sync", parents=parents, help="sync with HQ (push events, pull orders)")
    parser.add_argument("--once", action="store_true", help="sync once and exit")
    parser.add_argument("--hq", metavar="URL", help="HQ address (default: [hq] url in the config)")
    parser.add_argument("--token", help="this store's HQ token (default: [hq] token)")
    parser.add_argument("--interval", type=float, help="seconds between syncs (default: [hq] interval_s)")
    parser.add_argument("--json", action="store_true", help="print each report as JSON")
    parser.add_argument("--status", action="store_true",
                        help="show where this store stands (no HQ contact): waiting events, conflicts")
    parser.set_defaults(handler=run)


def summary_lines(report: SyncReport, lang: str) -> list[str]:
    """The human summary of one sync, in the clerk's language."""
    if not report.ok:
        lines = [status_message(report, lang)]
    else:
        lines = [t("sync.summary", lang, pushed=report.pushed, pulled=report.pulled,
                   pending=report.pending, conflicts=report.conflicts)]
        if report.resync_reason:
            lines.append(t("sync.resynced", lang, reason=report.resync_reason, repushed=report.pushed))
        if report.rejected:
            lines.append(t("sync.rejected", lang, count=report.rejected))
        if report.skipped:
            lines.append(t("sync.skipped", lang, count=report.skipped))
    if report.parked:
        lines.append(t("sync.parked", lang, count=report.parked))
    lines.append(t("sync.last_ok", lang, at=report.last_ok) if report.last_ok else t("sync.never", lang))
    return lines


def _print(report: SyncReport, args: argparse.Namespace) -> None:
    if args.json:
        print(json.dumps(dataclasses.asdict(report), ensure_ascii=False), flush=True)
    else:
        print("\n".join(summary_lines(report, args.lang)), flush=True)


def run(args: argparse.Namespace) -> int:
    cfg = args.cfg
    try:
        store = Store.open(cfg.data_dir)
    except StoreNotInitialised as exc:
        print(t("cli.not_initialised", args.lang, path=exc.data_dir), file=sys.stderr)
        return EXIT_USAGE
    if args.status:
        return _status(store, args)
    url, token = args.hq or cfg.hq_url, args.token or cfg.hq_token
    if not (url and token):
        store.close()
        print(t("sync.no_hq", args.lang), file=sys.stderr)
        return EXIT_USAGE
    client = SyncClient(store, url, token, timeout=cfg.hq_timeout_s)
    try:
        if args.once:
            _sweep_overdue(store, args)
            report = client.sync_once()
            _print(report, args)
            return EXIT_OK if report.ok else EXIT_FAILED
        # the sync agent is what runs when the counter UI is closed: it takes the daily backup
        backups = DailyBackup(cfg.data_dir, keep=cfg.backup_keep).start()
        try:
            return _loop(client, args, SyncWorker(cfg.data_dir, url, token, interval=args.interval or cfg.sync_interval_s,
                                                  timeout=cfg.hq_timeout_s, lang=args.lang))
        finally:
            backups.stop(timeout=5)
    finally:
        client.close()
        store.close()


def _status(store: Store, args: argparse.Namespace) -> int:
    """Where the store stands, from its own database only."""
    try:
        local = hq_apply.local_status(store)
        open_conflicts = conflicts.open_conflicts(store.db)
        waiting = transfers.pending(store.db)
        parked = [k for k in sync_parked.parked(store.db) if k.retried_as is None]
    finally:
        store.close()
    if args.json:
        print(json.dumps({**dataclasses.asdict(local),
                          "open_conflicts": [dataclasses.asdict(c) for c in open_conflicts],
                          "transfers_waiting": [w.transfer_id for w in waiting],
                          "parked": [dataclasses.asdict(k) for k in parked]}, ensure_ascii=False))
        return EXIT_OK
    print(t("sync.status", args.lang, pending=local.pending, conflicts=local.conflicts,
            transfers=len(waiting), rejected=local.rejected, skipped=local.skipped))
    print(t("sync.last_ok", args.lang, at=local.last_ok) if local.last_ok else t("sync.never", args.lang))
    for c in open_conflicts:
        print(f"  {c.conflict_id}  {c.detail}")
    if parked:
        print(t("sync.parked", args.lang, count=len(parked)))
    return EXIT_OK


def _sweep_overdue(store: Store, args: argparse.Namespace) -> None:
    """A store running only this service still marks orders overdue as their windows end
    (the terminal app has its own sweeper); HQ hears of them in the sync that follows."""
    marked = orders.mark_overdue(store.db)
    if marked and not args.json:
        print(t("cli.board.marked_overdue", args.lang, n=len(marked)), file=sys.stderr, flush=True)


def _loop(client: SyncClient, args: argparse.Namespace, worker: SyncWorker) -> int:
    """The worker syncs in its threads; this one sweeps overdue orders every interval and
    prints each report that moved something or went wrong."""
    print(t("sync.looping", args.lang, interval=worker.interval), file=sys.stderr, flush=True)
    # systemd stops the agent with SIGTERM: the same clean stop as Ctrl-C (a transaction
    # under way rolls back, the database closes)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    shown = None
    worker.start()
    try:
        while True:
            _sweep_overdue(client.store, args)
            deadline = time.monotonic() + worker.interval
            while time.monotonic() < deadline:
                report = worker.last_report
                if report is not None and report is not shown:
                    shown = report
                    if not report.ok or report.pushed or report.pulled or args.json:
                        _print(report, args)
                time.sleep(REPORT_POLL_S)
    except KeyboardInterrupt:
        print(t("sync.stopped", args.lang), file=sys.stderr)
        return EXIT_OK
    finally:
        worker.stop()
