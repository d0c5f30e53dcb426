"""Where the store's programs log. The terminal UI draws on its stderr, so it logs to a file
in the user's log directory (platformdirs) that rotates itself (1 MB, 5 kept): nothing to
set up for logrotate, and the same on a laptop running the demo. Every other command — the
sync agent under systemd above all — leaves Python's default (warnings and errors to
stderr), which journald keeps and rotates."""

from __future__ import annotations

import logging
import logging.handlers
import sys
from pathlib import Path

from edge.paths import log_dir

LOG_FILENAME = "store-edge.log"
MAX_BYTES = 1_000_000
BACKUPS = 5
_FORMAT = "%(asctime)s %(process)d %(levelname)s %(name)s: %(message)s"


def log_to_file(directory: Path | None = None) -> Path:
    """Send the root logger's records (INFO and up) to the rotating log file; its path."""
    directory = directory or log_dir()
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = directory / LOG_FILENAME
    handler = logging.handlers.RotatingFileHandler(path, maxBytes=MAX_BYTES,
                                                   backupCount=BACKUPS, encoding="utf-8")
    handler.setFormatter(logging.Formatter(_FORMAT))
    _replace_handlers(handler, logging.INFO)
    return path


def _replace_handlers(handler: logging.Handler, level: int) -> None:
    """Put ``handler`` on the root logger instead of ours from before and of any handler on
    the terminal: a library may have called ``logging.basicConfig()`` (python-escpos does
    on import), and its stderr handler would print INFO lines across the UI."""
    root = logging.getLogger()
    for old in list(root.handlers):
        if getattr(old, "store_edge", False) or _on_terminal(old):
            root.removeHandler(old)
            old.close()  # a StreamHandler's close leaves its stream open
    handler.store_edge = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level)


def _on_terminal(handler: logging.Handler) -> bool:
    """A handler writing to the process's stderr or stdout (a file handler is not)."""
    return (type(handler) is logging.StreamHandler
            and getattr(handler, "stream", None) in (sys.stderr, sys.stdout, sys.__stderr__, sys.__stdout__))
