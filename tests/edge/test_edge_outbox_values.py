"""The store refuses to build an event HQ could not store: the action changes nothing and
the clerk reads why, in their language (a NUL in a lot code typed at goods receipt, a
stray byte from a scanner, a number beyond 64 bits)."""

from __future__ import annotations

import pytest

from edge.db import write_tx
from edge.domain import outbox, stock
from edge.domain.errors import DomainError
from edge.i18n import t
from tests.support.edge_store import NOW, dump


def test_a_lot_code_with_a_nul_is_refused_and_changes_nothing(store):
    before = dump(store)
    with pytest.raises(DomainError) as refused:
        stock.adjust(store.db, sku="D001", qty=5, reason="found", lot="L\x0012", actor="m01", now=NOW)
    assert refused.value.code == "sync.value_nul" and refused.value.params == {"field": "lot"}
    assert dump(store) == before
    assert t(refused.value.code, "zh-CN", **refused.value.params) == "「lot」含有空字符（NUL），无法保存，请重新输入"
    assert "NUL" in t(refused.value.code, "en", **refused.value.params)


@pytest.mark.parametrize(("payload", "code", "field"), [
    ({"sku": "D001", "qty": 2**64}, "sync.value_int64", "qty"),
    ({"sku": "D001", "celsius": float("inf")}, "sync.value_not_finite", "celsius"),
    ({"lines": [{"sku": "D\ud800"}]}, "sync.value_surrogate", "lines[0].sku"),
    ({"note": "x" * (4 * 1024 * 1024)}, "sync.value_too_long", "note"),
])
def test_unstorable_values_never_reach_the_outbox(store, payload, code, field):
    before = outbox.pending_count(store.db)
    with pytest.raises(DomainError) as refused:
        with write_tx(store.db):
            outbox.append(store.db, type="stock.moved", entity="x", payload=payload, at=NOW)
    assert (refused.value.code, refused.value.params) == (code, {"field": field})
    assert outbox.pending_count(store.db) == before
