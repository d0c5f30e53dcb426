"""A loopback TCP forwarder that can go silent, as a hung database server does.

Put it between HQ and PostgreSQL (``postgresql://...@127.0.0.1:<proxy port>/...``) and call
``hang()``: open connections stop getting answers and new ones are accepted but never
answered. ``heal()`` forwards again (new connections only)."""

from __future__ import annotations

import socket
import threading
import time


class TcpProxy:
    def __init__(self, upstream: tuple[str, int], port: int = 0) -> None:
        self.upstream = upstream
        self._listener = socket.create_server(("127.0.0.1", port))
        self.port = self._listener.getsockname()[1]
        self._hung = threading.Event()
        self._sockets: list[socket.socket] = []
        self._closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def hang(self) -> None:
        self._hung.set()

    def heal(self) -> None:
        self._hung.clear()

    def close(self) -> None:
        self._closed = True
        self._listener.close()
        for sock in self._sockets:
            try:
                sock.close()
            except OSError:
                pass

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            self._sockets.append(client)
            if self._hung.is_set():
                continue  # accepted, never answered
            server = socket.create_connection(self.upstream)
            self._sockets.append(server)
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    def _pump(self, source: socket.socket, target: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                while self._hung.is_set() and not self._closed:
                    time.sleep(0.05)  # hold the bytes: the peer hears nothing
                target.sendall(data)
        except OSError:
            pass
