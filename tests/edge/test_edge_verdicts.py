"""Verdicts at the counter: each one, in zh-CN and en, and none of them changes anything."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from edge.domain import orders, pickup
from edge.i18n import CATALOG, LANGUAGES
from edge.present import local_time, verdict_dict, verdict_message
from sync.pickup_code import damm_check_digit, make_pickup_code, qr_payload
from tests.support.edge_store import NOW, dump

PLACEHOLDER = re.compile(r"\{[^}]*\}")


def messages(verdict) -> dict[str, str]:
    """The verdict's message in each language, checked to be complete and translated."""
    result = {lang: verdict_message(verdict, lang) for lang in LANGUAGES}
    for lang, text in result.items():
        assert text, lang
        assert text != f"verdict.{verdict.kind}", "message key not in the catalog"
        assert not PLACEHOLDER.search(text), f"unfilled placeholder in {lang}: {text!r}"
        assert "why." not in text and "status." not in text and "zone." not in text
    assert result["zh-CN"] != result["en"]
    assert re.search(r"[\u4e00-\u9fff]", result["zh-CN"]), "zh-CN message has no Chinese"
    verdict_dict(verdict, "en")  # the JSON form renders too
    return result


def test_ok(store, make_order):
    order, code = make_order()
    v = pickup.check(store, code, now=NOW)
    assert v.kind == "ok" and v.can_hand_over and not v.needs_override
    assert v.order.order_no == order.order_no
    messages(v)
    # the QR of this store, and the code typed with spaces, are the same order
    assert pickup.check(store, qr_payload("S001", code), now=NOW).kind == "ok"
    assert pickup.check(store, f"{code[:4]} {code[4:8]} {code[8:]}", now=NOW).kind == "ok"


def test_unknown(store, make_order):
    make_order()
    v = pickup.check(store, make_pickup_code(), now=NOW)
    assert v.kind == "unknown" and v.order is None and not v.can_hand_over
    messages(v)


def test_mistyped_one_digit_or_swapped(store, make_order):
    _order, code = make_order()
    one_off = code[:3] + str((int(code[3]) + 1) % 10) + code[4:]
    i = next(i for i in range(10) if code[i] != code[i + 1])
    swapped = code[:i] + code[i + 1] + code[i] + code[i + 2:]
    for typed in (one_off, swapped):
        v = pickup.check(store, typed, now=NOW)
        assert v.kind == "mistyped", typed
        assert v.order is None
        msgs = messages(v)
        assert "mistyped" in msgs["en"].lower() and "输错" in msgs["zh-CN"]


@pytest.mark.parametrize("raw, why", [
    ("", "empty"),
    ("   ", "empty"),
    ("12345", "too_short"),
    ("123", "too_short"),
    ("123456789012", "too_long"),
    ("1234567890123456", "too_long"),
    ("abc12345678", "not_digits"),
    ("ORDER-12345", "not_digits"),
    ("SE1:S001:12ab5678901", "not_digits"),
    ("\x1b[A\x1b[B12345678901", "garbage"),
    ("1234\x00567890", "garbage"),
    ("1234567\t8901", "garbage"),
    ("Ω" * 65, "garbage"),
    ("x9" * 400, "garbage"),
])
def test_malformed(store, raw, why):
    v = pickup.check(store, raw, now=NOW)
    assert v.kind == "malformed" and v.params["why"] == why, v
    assert v.order is None
    msgs = messages(v)
    assert CATALOG[f"why.{why}"][1] in msgs["en"]
    assert CATALOG[f"why.{why}"][0] in msgs["zh-CN"]


def test_other_store_by_qr_names_the_store(store, make_order):
    _order, code = make_order()
    v = pickup.check(store, qr_payload("S002", code), now=NOW)
    assert v.kind == "other_store" and v.params["store_id"] == "S002"
    msgs = messages(v)
    assert "Xuhui Riverside" in msgs["en"] and "S002" in msgs["en"]
    assert "徐汇滨江店" in msgs["zh-CN"]
    # a store we have never heard of is still named by its id
    v = pickup.check(store, qr_payload("S999", make_pickup_code()), now=NOW)
    assert v.kind == "other_store" and "S999" in messages(v)["en"]


def test_other_store_for_a_reallocated_order_names_the_store(store, make_order):
    order, code = make_order()
    orders.reallocate(store.db, order.order_no, "S002", now=NOW - timedelta(minutes=5))
    v = pickup.check(store, code, now=NOW)
    assert v.kind == "other_store" and v.order.order_no == order.order_no
    msgs = messages(v)
    assert "Xuhui Riverside" in msgs["en"] and "徐汇滨江店" in msgs["zh-CN"]


def test_picked_up_says_when_and_by_whom(store, make_order):
    order, code = make_order()
    at = NOW + timedelta(minutes=3)
    pickup.hand_over(store, order.order_no, "c01", now=at)
    v = pickup.check(store, code, now=NOW + timedelta(minutes=10))
    assert v.kind == "picked_up" and v.params["clerk"] == "王芳"
    msgs = messages(v)
    for text in msgs.values():
        assert "王芳" in text and local_time(at) in text


def test_cancelled(store, make_order):
    order, code = make_order()
    orders.cancel_order(store.db, order.order_no, "customer cancelled", actor="hq",
                        now=NOW - timedelta(minutes=1))
    v = pickup.check(store, code, now=NOW)
    assert v.kind == "cancelled"
    msgs = messages(v)
    assert "customer cancelled" in msgs["en"] and "取消" in msgs["zh-CN"]


def test_a_cancel_reason_code_is_said_in_each_language(store, make_order):
    """Issue 9 #6: the demo's reason "顾客取消 customer cancelled" showed English to clerks."""
    order, code = make_order()
    orders.cancel_order(store.db, order.order_no, "customer_cancelled", actor="hq",
                        now=NOW - timedelta(minutes=1))
    msgs = messages(pickup.check(store, code, now=NOW))
    assert "顾客取消" in msgs["zh-CN"] and "customer" not in msgs["zh-CN"]
    assert "cancelled by the customer" in msgs["en"]


def test_returned(store, make_order):
    order, code = make_order(window_end=NOW - timedelta(hours=2), window_start=NOW - timedelta(hours=8))
    orders.mark_overdue(store.db, now=NOW - timedelta(hours=1))
    orders.return_to_stock(store.db, order.order_no, actor="m01", now=NOW - timedelta(minutes=5))
    v = pickup.check(store, code, now=NOW)
    assert v.kind == "returned"
    messages(v)


def test_unpaid(store, make_order):
    _order, code = make_order(payment_status="unpaid")
    v = pickup.check(store, code, now=NOW)
    assert v.kind == "unpaid" and not v.can_hand_over
    messages(v)


def test_not_ready_names_the_missing_lines(store, make_order):
    order, code = make_order(ready=False, lines=[("B001", 2), ("D001", 1), ("M001", 3)])
    orders.start_preparing(store.db, order.order_no, actor="c01", now=NOW - timedelta(minutes=9))
    orders.pack_bag(store.db, order.order_no, "ambient", "A-101", actor="c01",
                    now=NOW - timedelta(minutes=8))
    v = pickup.check(store, code, now=NOW)
    assert v.kind == "not_ready" and v.params["missing"] == [2, 3]
    msgs = messages(v)
    assert "Fresh milk 950ml" in msgs["en"] and "Australian wagyu sirloin ×3" in msgs["en"]
    assert "Butter croissant" not in msgs["en"]
    assert "鲜牛奶 950ml" in msgs["zh-CN"] and "冷冻" in msgs["zh-CN"]
    assert "法式牛角包" not in msgs["zh-CN"]


def test_not_ready_when_nothing_is_packed_yet(store, make_order):
    _order, code = make_order(ready=False)
    v = pickup.check(store, code, now=NOW)
    assert v.kind == "not_ready" and v.params["missing"] == [1, 2]
    messages(v)


def test_before_window(store, make_order):
    start = NOW + timedelta(hours=2)
    _order, code = make_order(window_start=start, window_end=NOW + timedelta(hours=8))
    v = pickup.check(store, code, now=NOW)
    assert v.kind == "before_window" and v.needs_override and not v.can_hand_over
    for text in messages(v).values():
        assert local_time(start) in text


def test_overdue_by_clock_and_by_status(store, make_order):
    end = NOW - timedelta(minutes=30)
    _order, code = make_order(window_start=NOW - timedelta(hours=6), window_end=end)
    v = pickup.check(store, code, now=NOW)  # window passed, sweep not run yet
    assert v.kind == "overdue" and v.needs_override
    for text in messages(v).values():
        assert local_time(end) in text
    orders.mark_overdue(store.db, now=NOW)
    assert pickup.check(store, code, now=NOW).kind == "overdue"
    # the status alone says overdue even if the clock were earlier
    assert pickup.check(store, code, now=end - timedelta(minutes=1)).kind == "overdue"


@pytest.mark.parametrize("typed", ["5678", "王5678", "王 5678", "5678王", "5678 王"])
def test_phone_matches_list_only_this_stores_orders(store, make_order, typed):
    mine, _ = make_order(phone_last4="5678", customer="王**")
    other_name, _ = make_order(phone_last4="5678", customer="李**")
    moved, _ = make_order(phone_last4="5678", customer="王**")
    orders.reallocate(store.db, moved.order_no, "S002", now=NOW - timedelta(minutes=1))
    make_order(phone_last4="9999", customer="王**")
    v = pickup.check(store, typed, now=NOW)
    assert v.kind == "matches" and v.params["last4"] == "5678"
    found = {o.order_no for o in v.matches}
    if "王" in typed:
        assert found == {mine.order_no}
    else:
        assert found == {mine.order_no, other_name.order_no}
    assert moved.order_no not in found
    for text in messages(v).values():
        assert "5678" in text


def test_phone_no_match(store, make_order):
    make_order(phone_last4="5678", customer="王**")
    for typed in ("4321", "李5678"):
        v = pickup.check(store, typed, now=NOW)
        assert v.kind == "no_match", typed
        assert v.matches == []
        for text in messages(v).values():
            assert typed[-4:] in text


def test_no_verdict_changes_anything(store, make_order):
    """Run every kind of verdict (incl. the ones needing prior setup) and diff the whole DB."""
    ok, ok_code = make_order(phone_last4="5678")
    done, done_code = make_order()
    pickup.hand_over(store, done.order_no, "c01", now=NOW)
    cancelled, cancelled_code = make_order()
    orders.cancel_order(store.db, cancelled.order_no, "x", actor="c01", now=NOW)
    overdue, overdue_code = make_order(window_start=NOW - timedelta(hours=9),
                                       window_end=NOW - timedelta(hours=1))
    _unpaid, unpaid_code = make_order(payment_status="unpaid")
    _nr, not_ready_code = make_order(ready=False)
    _early, early_code = make_order(window_start=NOW + timedelta(hours=1),
                                    window_end=NOW + timedelta(hours=3))
    moved, moved_code = make_order()
    orders.reallocate(store.db, moved.order_no, "S002", now=NOW)
    mistyped = ok_code[:-1] + str((int(ok_code[-1]) + 1) % 10)
    entries = {
        ok_code: "ok", done_code: "picked_up", cancelled_code: "cancelled",
        overdue_code: "overdue", unpaid_code: "unpaid", not_ready_code: "not_ready",
        early_code: "before_window", moved_code: "other_store",
        qr_payload("S002", ok_code): "other_store", make_pickup_code(): "unknown",
        mistyped: "mistyped", "": "malformed", "12ab": "malformed", "\x07" * 5: "malformed",
        "5678": "matches", "0000": "no_match",
    }
    before = dump(store)
    for raw, kind in entries.items():
        for later in (NOW, NOW + timedelta(days=2)):
            v = pickup.check(store, raw, now=later)
            if later == NOW:
                assert v.kind == kind, (raw, v.kind)
            for lang in LANGUAGES:
                verdict_message(v, lang)
    for o in (ok, done, cancelled, overdue):
        pickup.judge(store, orders.get_order(store.db, o.order_no), now=NOW)
    assert dump(store) == before


def test_body_with_valid_check_digit_is_what_makes_mistyped_vs_unknown(store):
    body = "0000000000"
    assert pickup.check(store, body + damm_check_digit(body), now=NOW).kind == "unknown"
    wrong = str((int(damm_check_digit(body)) + 1) % 10)
    assert pickup.check(store, body + wrong, now=NOW).kind == "mistyped"
