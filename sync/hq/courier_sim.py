"""``store-edge hq courier-platform``: a simulated courier platform on a loopback port.

HQ sends it jobs (``sync.hq.courier``); a moment later it names a rider (or, now and then,
finds none and cancels), sometimes says the rider runs late, and once HQ reports every parcel
collected it reports the order delivered after a ride. It calls HQ back with a channel key of
kind ``courier``. For the demo, tests and benches; a real platform speaks the same two calls.
"""

from __future__ import annotations

import json
import random
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx

from ..protocol import COURIER_EVENTS_PATH
from .courier import JOBS_PATH

RIDERS = ("李师傅", "张骑手", "王小哥", "刘师傅", "陈骑手", "赵小哥", "Zhou Rider")


class CourierPlatform:
    """Jobs in, rider reports out; ``events`` keeps what it reported (order_no, kind)."""

    def __init__(self, hq_url: str = "", key: str = "", *, port: int = 0, assign_after: float = 2.0,
                 ride_s: float = 20.0, p_cancel: float = 0.05, p_late: float = 0.15,
                 seed: int | None = None) -> None:
        self.hq_url, self.key = hq_url.rstrip("/"), key
        self.assign_after, self.ride_s = assign_after, ride_s
        self.p_cancel, self.p_late = p_cancel, p_late
        self.rng = random.Random(seed)
        self.events: list[tuple[str, str]] = []
        self.errors = 0
        self._timers: list[threading.Timer] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", port), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="courier-platform",
                                        daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def connect(self, hq_url: str, key: str) -> None:
        """Where to report (HQ may start after the platform: it needs the platform's URL)."""
        self.hq_url, self.key = hq_url.rstrip("/"), key

    def start(self) -> "CourierPlatform":
        self._thread.start()
        return self

    def stop(self) -> None:
        with self._lock:
            for timer in self._timers:
                timer.cancel()
        self._server.shutdown()
        self._server.server_close()

    # -- what HQ asks ---------------------------------------------------------------------------
    def _handler(self) -> type[BaseHTTPRequestHandler]:
        platform = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server API
                length = int(self.headers.get("Content-Length") or 0)
                try:
                    body = json.loads(self.rfile.read(min(length, 65536)) or b"{}")
                    order_no = str(body["order_no"])
                except (ValueError, KeyError, TypeError):
                    return self._answer(400, {"error": "bad_request"})
                if self.path == JOBS_PATH:
                    platform._later(platform.assign_after, platform._assign, order_no)
                elif self.path == f"{JOBS_PATH}/{order_no}/collected":
                    platform._later(platform.ride_s, platform._report, order_no, "delivered")
                else:
                    return self._answer(404, {"error": "not_found"})
                self._answer(202, {"order_no": order_no})

            def _answer(self, status: int, body: dict) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        return Handler

    # -- what it reports ------------------------------------------------------------------------
    def _later(self, seconds: float, fn, *args: Any, **kwargs: Any) -> None:
        timer = threading.Timer(seconds, fn, args, kwargs)
        timer.daemon = True
        with self._lock:
            self._timers = [t for t in self._timers if t.is_alive()] + [timer]
        timer.start()

    def _assign(self, order_no: str) -> None:
        with self._lock:
            draw, late, rider = self.rng.random(), self.rng.random(), self.rng.choice(RIDERS)
        if draw < self.p_cancel:
            self._report(order_no, "cancelled", note="附近暂无骑手")  # a Chinese platform's own words
            return
        self._report(order_no, "assigned", courier_name=rider)
        if late < self.p_late:
            self._later(self.assign_after, self._report, order_no, "late",
                        note=f"{rider} 路上耽搁了", eta_min=10)

    def _report(self, order_no: str, kind: str, **fields: Any) -> None:
        body = {"order_no": order_no, "kind": kind, **fields}
        for _attempt in range(3):
            try:
                r = httpx.post(self.hq_url + COURIER_EVENTS_PATH, json=body, timeout=5,
                               headers={"Authorization": f"Bearer {self.key}"})
                if r.status_code < 500:
                    with self._lock:
                        self.events.append((order_no, kind if r.is_success else f"refused:{r.status_code}"))
                    return
            except httpx.HTTPError:
                pass
        with self._lock:
            self.errors += 1
