"""Where store-edge keeps things on this machine, through platformdirs: the operating
system's own places (XDG on Linux: data in ``~/.local/share/store-edge``, the UI's log in
``~/.local/state/store-edge/log``; AppData on Windows), not paths written out by hand."""

from __future__ import annotations

from pathlib import Path

import platformdirs

APP_NAME = "store-edge"


def default_data_dir() -> Path:
    """The store's data directory when nothing names one (database, config, backups)."""
    return platformdirs.user_data_path(APP_NAME, appauthor=False)


def log_dir() -> Path:
    """Where the terminal UI writes its log (its stderr is the screen it draws on)."""
    return platformdirs.user_log_path(APP_NAME, appauthor=False)


def version() -> str:
    """The installed store-edge's version: pyproject.toml's, the one source of truth, as the
    installed package's metadata carries it."""
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as dist_version

    try:
        return dist_version(APP_NAME)
    except PackageNotFoundError:  # run from a checkout that was never installed
        return "0+unknown"
