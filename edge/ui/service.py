"""The UI's one door to the database: domain calls run on a single worker thread.

SQLite connections belong to one thread (edge.store), and a busy database (another terminal
writing, a sync batch) must never freeze the screen. So the UI hands each domain call to
this thread and awaits the result; the event loop keeps drawing, ticking and taking keys.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from edge.store import Store

T = TypeVar("T")


class StoreService:
    """Owns the Store (opened on its own thread) and runs ``fn(store, ...)`` there, in order."""

    def __init__(self, data_dir: str | Path) -> None:
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="store-db")
        self._store: Store | None = None
        # open now so a missing/uninitialised store fails before the UI starts
        self.store_id: str = self.call_sync(lambda store: store.store_id, _data_dir=data_dir)

    def _run(self, fn: Callable[..., T], args: tuple, kwargs: dict,
             data_dir: str | Path | None = None) -> T:
        if self._store is None:
            assert data_dir is not None, "StoreService used before it was opened"
            self._store = Store.open(data_dir)
        return fn(self._store, *args, **kwargs)

    def call_sync(self, fn: Callable[..., T], *args: Any, _data_dir: str | Path | None = None,
                  **kwargs: Any) -> T:
        """Run on the store thread and wait (start-up and shutdown only)."""
        return self._executor.submit(self._run, fn, args, kwargs, _data_dir).result()

    async def call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run ``fn(store, *args, **kwargs)`` on the store thread without blocking the loop."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, self._run, fn, args, kwargs)

    def close(self) -> None:
        def _close(store: Store) -> None:
            store.close()

        if self._store is not None:
            self.call_sync(_close)
            self._store = None
        self._executor.shutdown(wait=True)
