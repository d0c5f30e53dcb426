"""Shared fixtures: real stores on disk, the demo store, and PostgreSQL when it is there.

- ``store``: a fresh store S001 in tmp_path with clerk c01 (PIN 1111), manager m01
  (PIN 9999), neighbour store S002 and stock of three products in two lots each
  (see ``tests.support.edge_store``); built once per session, each test gets its own copy.
- ``make_order``: receives an order through the domain (ready by default), returns it with
  its pickup code.
- ``demo_store``: ``edge.demo.seed(tmp_path / 'd', n_orders=120)`` (seeded once per session,
  each test gets its own copy).
- ``postgres``: a psycopg connection to postgresql://postgres@127.0.0.1:5432/test; skips with
  the reason when PostgreSQL is not reachable, FAILS instead when ``CI=true``.
"""

from __future__ import annotations

import itertools
import os
import sys
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from edge.db import write_tx
from edge.domain import orders
from edge.store import Store  # noqa: E402
from tests.support.edge_store import (NOW, StoreTemplates, build_store, make_ready,  # noqa: E402
                                      order_data)

POSTGRES_DSN = os.environ.get("STORE_EDGE_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")


@pytest.fixture(scope="session")
def _templates(tmp_path_factory) -> StoreTemplates:
    return StoreTemplates(tmp_path_factory.mktemp("templates"))


@pytest.fixture
def store(tmp_path: Path, _templates: StoreTemplates) -> Iterator[Store]:
    s = _templates.copy("store", build_store, tmp_path / "store")
    yield s
    s.close()


@pytest.fixture
def make_order(store: Store) -> Callable[..., tuple[orders.Order, str]]:
    """``make_order(order_no=None, ready=True, **order_data kwargs) -> (order, code)``."""
    counter = itertools.count(1)

    def make(order_no: str | None = None, *, ready: bool = True, **kwargs):
        order_no = order_no or f"T{next(counter):06d}"
        data = order_data(order_no, **kwargs)
        with write_tx(store.db):  # one commit (one fsync) for the whole preparation
            orders.receive_order(store.db, store.pickup_key, data, now=NOW - timedelta(hours=3))
            order = make_ready(store, order_no) if ready else orders.get_order(store.db, order_no)
        return order, data["pickup_code"]

    return make


@pytest.fixture
def demo_store(tmp_path: Path, _templates: StoreTemplates) -> Iterator[Store]:
    """``edge.demo.seed(tmp_path / 'd', n_orders=120)``, copied from one seeding per session."""
    from edge import demo

    s = _templates.copy("demo", lambda path: demo.seed(path, n_orders=120), tmp_path / "d")
    yield s
    s.close()


@pytest.fixture
def postgres():
    """A live PostgreSQL connection; skip locally if PG is down, fail under CI=true."""
    try:
        import psycopg

        conn = psycopg.connect(POSTGRES_DSN, connect_timeout=3, autocommit=True)
    except Exception as exc:  # noqa: BLE001 - any failure to connect means "not available"
        reason = f"PostgreSQL not reachable at {POSTGRES_DSN}: {type(exc).__name__}: {exc}"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(reason + " (CI=true: PostgreSQL is mandatory)")
        pytest.skip(reason)
    try:
        yield conn
    finally:
        conn.close()
