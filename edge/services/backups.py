"""The daily backup, taken by whatever of the store's programs is running.

A daemon thread looks at the newest backup set in ``<data_dir>/backups`` at start and then
every ``check_s``: when there is none or it is a day old, it takes one (``edge.backup``) and
rotates the old ones out (``[backup] keep``). A PC that was off for a day therefore takes the
missed backup at its next start. The terminal app and ``store-edge sync`` each run one.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from devices.worker import BackgroundWorker
from edge.backup import BackupError, BackupSet, backup_dir, newest, prune, take_backup
from edge.clock import utcnow

log = logging.getLogger(__name__)
CHECK_S = 3600.0
EVERY = timedelta(days=1)


def backup_if_due(data_dir: str | Path, keep: int, *, now: datetime | None = None) -> BackupSet | None:
    """Take the daily backup if the newest set is a day old (or there is none)."""
    now = now or utcnow()
    dest = backup_dir(data_dir)
    last = newest(dest)
    if last is not None and now - last < EVERY:
        return None
    taken = take_backup(data_dir, dest, reason="daily", now=now)
    prune(dest, keep)
    return taken


class DailyBackup(BackgroundWorker):
    """Runs ``backup_if_due`` at start and every ``check_s``."""

    thread_name = "daily-backup"

    def __init__(self, data_dir: str | Path, *, keep: int, check_s: float = CHECK_S,
                 clock: Callable[[], datetime] = utcnow) -> None:
        super().__init__()
        self.data_dir, self.keep, self.check_s, self.clock = Path(data_dir), keep, check_s, clock
        self.checks = 0  # completed checks (tests wait on it)

    def run(self) -> None:
        while not self._stop.is_set():
            try:
                taken = backup_if_due(self.data_dir, self.keep, now=self.clock())
                if taken is not None:
                    log.info("daily backup %s", taken.db_path)
            except BackupError as exc:  # a full disk: say so in the log, try again later
                log.error("daily backup failed: %s %s", exc.code, exc.params)
            self.checks += 1
            self._stop.wait(self.check_s)
