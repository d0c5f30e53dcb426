"""Full garbage collections while nobody is typing, not in the middle of a search or a scan.

CPython's cyclic collector runs a full collection after so many allocations, wherever the
program happens to be. With the task board's thousands of rows and Textual's own objects
one took 0.1–0.4 s (bench/bench_board.py): the screen froze at a random key. So the app
moves what start-up made out of the collector's way (it is never garbage), makes automatic
full collections rare, and collects in full itself once no key has come for IDLE_S.
Young generations are still collected as usual (they are quick).
"""

from __future__ import annotations

import gc
from typing import Any

IDLE_S = 1.0  # no key for this long: a good moment for a full collection
CHECK_S = 2.0
THRESHOLDS = (700, 10, 1000)  # CPython's (700, 10, 10), full collections 100x rarer


def collect_if_idle(app: Any) -> bool:
    """A full collection if no key came for IDLE_S and something reached the old generation
    since the last one (then nothing to do while the store is quiet)."""
    if app.idle_clock() - app.last_input < IDLE_S or gc.get_count()[2] == 0:
        return False
    gc.collect()
    return True


def install(app: Any) -> None:
    """Call once the app is mounted (it needs ``idle_clock``, ``last_input`` and
    ``set_interval``)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*THRESHOLDS)
    app.set_interval(CHECK_S, lambda: collect_if_idle(app))
