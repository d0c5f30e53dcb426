"""What the terminal holds only in memory, kept beside the database so that closing the
terminal (an SSH session dropped, a window closed, the UI unit restarted) loses nothing.

Two things live nowhere else: the basket of a counter sale not yet completed (nothing is
written until F5), and which orders the open pick or pack screen works on (each pick and
pack is in the database at once; the wave itself is not). Each is saved as it changes and
forgotten when the user ends it (F5, Esc, sign-out, idle lock); the next start of
``store-edge run`` opens it again for whoever signs in. It is one small JSON file per data
directory (one store PC, one counter), mode 0600, replaced atomically; a file that does not
read back is treated as nothing saved (what it held was never written to the store).
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

from edge.private_files import PRIVATE_MODE

log = logging.getLogger(__name__)
SESSION_FILENAME = "ui-session.json"


class SavedSession:
    """``sale`` and ``wave`` entries of the file, each a JSON object or absent."""

    def __init__(self, data_dir: str | Path) -> None:
        self.path = Path(data_dir) / SESSION_FILENAME

    def read(self) -> dict[str, Any]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError):
            log.warning("ignoring unreadable %s", self.path)
            return {}
        return data if isinstance(data, dict) else {}

    def get(self, key: str) -> dict[str, Any] | None:
        value = self.read().get(key)
        return value if isinstance(value, dict) else None

    def put(self, key: str, value: dict[str, Any]) -> None:
        data = self.read()
        data[key] = value
        self._write(data)

    def forget(self, *keys: str) -> None:
        data = self.read()
        if not any(k in data for k in keys):
            return
        for key in keys:
            data.pop(key, None)
        self._write(data)

    def _write(self, data: dict[str, Any]) -> None:
        """Write beside, then rename over: a reader sees the old file or the new, never half."""
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}")
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_MODE)
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                json.dump(data, out, ensure_ascii=False)
            os.replace(tmp, self.path)
        except OSError:  # a full disk must not stop the counter; the sale itself goes on
            log.exception("could not save %s", self.path)
