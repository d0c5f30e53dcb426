"""Registering many stores at once (``registry.add_stores``): one transaction, all or none."""

from __future__ import annotations

import pytest

from sync.hq import registry
from sync.hq.errors import HQError


def test_many_stores_at_once_each_with_its_catalog_and_token(hq_server):
    hq_server.add_product("A1")
    tokens = registry.add_stores(hq_server.db, [("S1", "一号店"), ("S2", "")], hq_server.clock())
    assert sorted(tokens) == ["S1", "S2"] and tokens["S1"] != tokens["S2"]
    for store_id, token in tokens.items():
        r = hq_server.client.get("/v1/sync/pull", headers={"Authorization": f"Bearer {token}"})
        assert [c["payload"]["sku"] for c in r.json()["changes"]] == ["A1"]
    assert registry.store_name(hq_server.db, "S1") == "一号店"


@pytest.mark.parametrize("batch", [[("S3", ""), ("S1", "")], [("S3", ""), ("S3", "")]])
def test_one_taken_or_repeated_id_registers_none(hq_server, batch):
    hq_server.add_store("S1")
    with pytest.raises(HQError) as refused:
        registry.add_stores(hq_server.db, batch, hq_server.clock())
    assert refused.value.status == 409
    assert [row[0] for row in registry.list_stores(hq_server.db)] == ["S1"]
