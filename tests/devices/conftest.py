"""Fixtures for device tests: callbacks collected into queues, so tests wait for events, not time."""
from __future__ import annotations

import queue
from typing import Any

import pytest

WAIT_S = 10.0  # upper bound for an event to arrive; a hang fails the test, speed is not measured


class Collector:
    """A callback that stores what it gets; ``get()`` waits for the next one."""

    def __init__(self) -> None:
        self.q: queue.Queue[Any] = queue.Queue()
        self.items: list[Any] = []

    def __call__(self, item: Any) -> None:
        self.items.append(item)
        self.q.put(item)

    def get(self, timeout: float = WAIT_S) -> Any:
        return self.q.get(timeout=timeout)

    def get_until(self, pred, timeout: float = WAIT_S) -> Any:
        while True:
            item = self.q.get(timeout=timeout)
            if pred(item):
                return item


@pytest.fixture
def collect():
    return Collector


DRIVER_THREADS = {"serial-scanner", "probe-reader", "camera-reader", "print-worker", "serial-lines",
                  "sim-probe", "sim-modbus", "sim-net-printer", "device-worker"}


@pytest.fixture(autouse=True)
def no_driver_thread_left_running():
    """Every driver a test starts must be stoppable: none may outlive its test."""
    import threading

    before = {t.ident for t in threading.enumerate()}
    yield
    left = [t.name for t in threading.enumerate()
            if t.ident not in before and t.name in DRIVER_THREADS and t.is_alive()]
    assert not left, f"driver threads still running: {left}"
