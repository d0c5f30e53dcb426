"""The flash-sale bench, small: 4 store processes, 400 online orders, a store cut off now and
then, a 5,000-event week offline. Asserts only what must hold whatever the machine: nothing
oversold, nothing lost or duplicated, every store converged (no timing assertions)."""

from __future__ import annotations

import pytest

from bench.bench_flash_sale import quick_plan, run, table

pytestmark = pytest.mark.slow


def test_flash_sale_quick_oversells_nothing_and_loses_nothing(tmp_path):
    result = run(quick_plan(seed=11), tmp_path)
    report = "\n".join(table(result))
    f = result.findings
    assert result.oversold == 0, report
    assert result.lost_or_duplicated == 0, report
    assert f.stock_differs == f.allotment_differs == f.status_differs == 0, report
    assert f.rejected_unexpected == 0, report
    assert result.sale["store_codes"] == [0] * result.plan.stores, report
    assert result.converge["settled"] and result.converge["pending_after"] == 0, report
    assert result.sale["channel"]["accepted"] > 0 and f.handed_over > 0, report
