"""Fixtures for the store-side device tests: a polling waiter and a ready-to-hand-over order."""
from __future__ import annotations

import time
from collections.abc import Callable

import pytest

WAIT_S = 10.0  # upper bound for a background thread to deliver; a hang fails, speed is not measured


def _wait_for(pred: Callable[[], object], timeout: float = WAIT_S) -> object:
    """Poll ``pred`` until it is truthy; fail after ``timeout`` (a hang guard, not a threshold)."""
    deadline = time.monotonic() + timeout
    while True:
        value = pred()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        time.sleep(0.02)


@pytest.fixture
def wait_for() -> Callable[..., object]:
    return _wait_for
