"""Files only the store's own user may read: the database (customers, orders) and the config
(the HQ token). Created mode 0600; an existing file that others can read is reported (a copy
restored by hand or a config written by an editor may be 0644), not silently changed.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from edge.i18n import register, t

PRIVATE_MODE = 0o600

register({
    "files.too_open": ("{path} 其他用户也能读取（权限 {mode}）：请执行 chmod 600 {path}",
                       "{path} can be read by other users (mode {mode}): run chmod 600 {path}"),
})


def create_private(path: str | Path) -> None:
    """Create ``path`` empty with mode 0600 if it does not exist (before anyone writes it)."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_MODE)
    except FileExistsError:
        return
    os.close(fd)


def write_private_text(path: str | Path, text: str) -> None:
    """Write a text file that is created 0600 (an existing file keeps its mode)."""
    create_private(path)
    Path(path).write_text(text, encoding="utf-8")


def too_open(path: str | Path) -> bool:
    """True when others than the owner may read or write ``path`` (POSIX only)."""
    if os.name != "posix":
        return False
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False
    return bool(stat.S_IMODE(mode) & 0o077)


def permission_warnings(paths: list[str | Path], lang: str) -> list[str]:
    """One line per existing file in ``paths`` that is looser than 0600."""
    return [t("files.too_open", lang, path=str(p), mode=oct(stat.S_IMODE(os.stat(p).st_mode))[2:])
            for p in paths if too_open(p)]
