"""UI test fixtures: a real seeded demo store on disk, copied fresh for every test."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import pytest

from edge import demo
from edge.store import Store

N_ORDERS = 300


@pytest.fixture(scope="session")
def seeded_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("ui-template") / "store"
    demo.seed(path, n_orders=N_ORDERS).close()
    return path


@pytest.fixture
def data_dir(seeded_template: Path, tmp_path: Path) -> Path:
    target = tmp_path / "store"
    shutil.copytree(seeded_template, target)
    return target


@pytest.fixture
def codes(data_dir: Path) -> dict[str, list[dict]]:
    """Demo codes by scenario (edge.demo.demo_codes: the same list the demo shows)."""
    store = Store.open(data_dir)
    try:
        by: dict[str, list[dict]] = {}
        for c in demo.demo_codes(store):
            by.setdefault(c["scenario"], []).append(c)
        return by
    finally:
        store.close()


@pytest.fixture
def run() -> Callable[[Coroutine[Any, Any, Any]], Any]:
    """Run one async UI test body (no pytest-asyncio needed)."""
    return asyncio.run
