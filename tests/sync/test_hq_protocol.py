"""The shared protocol module: pickup codes and message shapes."""

from __future__ import annotations

import pytest

from edge.domain.codes import classify
from sync import protocol as p


def _valid(code: str) -> bool:
    """The store's own check of a typed code (shape and check digit)."""
    return code.isascii() and code.isdigit() and classify(code) == "ok"


def test_damm_check_digit_known_vector():
    assert p.damm_check_digit("572") == "4"
    assert _valid("5724") is False  # right check digit, wrong length
    assert p.damm_check_digit("5724") == "0"


def test_pickup_code_is_11_digits_and_valid():
    codes = {p.make_pickup_code() for _ in range(200)}
    assert len(codes) == 200
    for code in codes:
        assert len(code) == 11 and code.isdigit()
        assert _valid(code)


def test_pickup_code_catches_single_digit_errors_and_adjacent_swaps():
    code = p.make_pickup_code()
    for i in range(len(code)):
        for d in "0123456789":
            if d != code[i]:
                assert not _valid(code[:i] + d + code[i + 1:])
    for i in range(len(code) - 1):
        if code[i] != code[i + 1]:
            swapped = code[:i] + code[i + 1] + code[i] + code[i + 2:]
            assert not _valid(swapped)


def test_pickup_code_rejects_garbage():
    for bad in ("", "abc", "１２３４５６７８９０１", "1234567890", "123456789012"):
        assert not _valid(bad)


def test_event_wire_name_schema_and_strict_types():
    ev = p.Event.model_validate({"event_id": "6f1c1a52-9a55-4c1a-9b49-0d5f0b2f3a10", "seq": 1,
                                 "type": "stock.moved", "payload": {}, "schema": 1})
    assert ev.schema_version == 1
    assert '"schema":1' in ev.model_dump_json(by_alias=True)
    with pytest.raises(ValueError):
        p.Event.model_validate({"event_id": "6f1c1a52-9a55-4c1a-9b49-0d5f0b2f3a10", "seq": "1",
                                "type": "x", "payload": {}})


def test_every_event_and_change_type_has_a_payload_model():
    assert p.EV_ORDER_HANDED_OVER in p.EVENT_PAYLOADS
    assert set(p.CHANGE_PAYLOADS) >= {p.CH_ORDER_ALLOCATED, p.CH_ORDER_CANCELLED, p.CH_CATALOG_ITEM,
                                      p.CH_STOCK_TRANSFER, p.CH_TASK_UPDATED, p.CH_CONFLICT_NOTED}
    with pytest.raises(ValueError, match="unknown_type"):
        p.parse_payload("nope", {}, p.EVENT_PAYLOADS)
    with pytest.raises(ValueError, match="invalid_payload:qty"):
        p.parse_payload(p.EV_STOCK_MOVED, {"move_id": "m", "sku": "A", "qty": "x", "kind": "sale"},
                        p.EVENT_PAYLOADS)


def test_masking():
    assert p.mask_name("王小明") == "王**"
    assert p.phone_last4("+86 138-0013-8000") == "8000"
