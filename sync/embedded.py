"""An HQ inside this process: ``create_app`` under uvicorn in a thread on a loopback port.

For the demo (``store-edge demo`` runs the store against a real HQ on the same laptop) and
for tests. ``stop()`` then ``start()`` serves the same SQLite file on the same port, as a
restarted HQ would.
"""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path
from typing import Any

import uvicorn

from sync.hq.app import create_app
from sync.hq.cli import listen_socket

START_TIMEOUT_S = 20.0


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


class EmbeddedHQ:
    """The HQ endpoint over ``db_path`` on ``http://127.0.0.1:<port>``."""

    def __init__(self, db_path: str | Path, port: int | None = None, **app_kw: Any) -> None:
        self.db_path = Path(db_path)
        self.port = port if port and port_is_free(port) else free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.app_kw = {"sweep_interval": None, **app_kw}
        self.app: Any = None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._sock: socket.socket | None = None

    @property
    def db(self) -> Any:
        """HQ's database (``sync.hq.db.Database``), for the HQ service functions."""
        return self.app.state.db

    def start(self) -> "EmbeddedHQ":
        self.app = create_app(f"sqlite:///{self.db_path}", **self.app_kw)
        self._sock = listen_socket("127.0.0.1", self.port)  # TCP_NODELAY: no 40 ms stalls
        # log_config=None: uvicorn's default config would cut its loggers off from the root
        # (propagate=False, own stderr handler) for the whole process: its warnings would print
        # over the store's screen instead of reaching the log file edge.logs set up
        config = uvicorn.Config(self.app, log_level="warning", access_log=False, lifespan="on",
                                timeout_graceful_shutdown=2, log_config=None)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [self._sock]},
                                        name="embedded-hq", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + START_TIMEOUT_S
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError(f"embedded HQ did not start on {self.url}")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self.app.state.feed_watch.release_threadsafe()  # held pulls answer now, not in 25 s
        self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=START_TIMEOUT_S)
        if self._sock is not None:
            self._sock.close()
        self._server = None

    def __enter__(self) -> "EmbeddedHQ":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
