"""Pickup codes: the Damm check digit, their shape, and that the store never keeps them in clear."""

from __future__ import annotations

import random

import pytest

from edge.db import DB_FILENAME
from edge.domain import codes, orders, pickup
from edge.store import PICKUP_KEY_FILENAME
from sync.pickup_code import (CODE_LENGTH, damm_check_digit, is_valid_check, make_pickup_code,
                              parse_scanned, qr_payload)
from tests.support.edge_store import NOW

# random codes plus fixed ones with repeated and sequential digits
SAMPLE = [make_pickup_code() for _ in range(40)] + [
    body + damm_check_digit(body) for body in ("0000000000", "1234567890", "9999999999", "0101010101")]


def test_sample_codes_are_valid():
    for code in SAMPLE:
        assert is_valid_check(code), code


def test_damm_catches_every_single_digit_error():
    for code in SAMPLE:
        for pos in range(len(code)):
            for digit in "0123456789":
                if digit == code[pos]:
                    continue
                wrong = code[:pos] + digit + code[pos + 1:]
                assert not is_valid_check(wrong), (code, wrong)
                assert codes.classify(wrong) == "mistyped"


def test_damm_catches_every_adjacent_transposition():
    for code in SAMPLE:
        for pos in range(len(code) - 1):
            a, b = code[pos], code[pos + 1]
            if a == b:
                continue
            swapped = code[:pos] + b + a + code[pos + 2:]
            assert not is_valid_check(swapped), (code, swapped)


def test_make_pickup_code_has_11_digits_and_a_valid_check():
    seen = set()
    for _ in range(500):
        code = make_pickup_code()
        assert len(code) == CODE_LENGTH == 11
        assert code.isdigit() and code.isascii()
        assert is_valid_check(code)
        assert codes.classify(code) == "ok"
        seen.add(code)
    assert len(seen) == 500  # random, not a counter or a fixed list


def test_classify_says_why_a_code_is_not_one():
    code = make_pickup_code()
    assert codes.classify(code[:-1]) == "too_short"
    assert codes.classify(code + "0") == "too_long"


def test_parse_scanned_accepts_qr_and_typed_forms():
    code = make_pickup_code()
    assert parse_scanned(qr_payload("S002", code)).store_id == "S002"
    assert parse_scanned(qr_payload("S002", code)).code == code
    spaced = f" {code[:4]} {code[4:8]}-{code[8:]} "
    assert parse_scanned(spaced).code == code
    assert parse_scanned(spaced).store_id is None
    assert parse_scanned("SE1:S001:12ab") is None
    assert parse_scanned("hello") is None
    assert parse_scanned("１２３４５６７８９０１") is None  # full-width digits are not ASCII


def test_codes_are_never_stored_in_clear(store, make_order):
    made = [make_order(lines=[("B001", 1)]) for _ in range(5)]
    # exercise every path that sees a code: checks, a hand-over, a phone lookup
    for order, code in made:
        assert pickup.check(store, code, now=NOW).kind == "ok"
        assert pickup.check(store, qr_payload("S001", code), now=NOW).kind == "ok"
    pickup.hand_over(store, made[0][0].order_no, "c01", now=NOW)
    pickup.check(store, "1234", now=NOW)
    db = store.db
    # every text column of every table
    tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
    texts = []
    for table in tables:
        for row in db.execute(f"SELECT * FROM [{table}]"):
            texts.extend(str(v) for v in row if v is not None and not isinstance(v, bytes))
    blob = "\n".join(texts)
    # and the raw bytes of the database and its WAL, as a thief with a copy would read them
    raw = b"".join(p.read_bytes() for p in store.data_dir.glob(DB_FILENAME + "*"))
    assert (store.data_dir / (DB_FILENAME + "-wal")).exists()
    for _order, code in made:
        assert code not in blob
        assert code.encode() not in raw
        assert code.encode("utf-16-le") not in raw
    # what is kept is the keyed hash
    for order, code in made:
        stored = db.execute("SELECT code_hash FROM orders WHERE order_no = ?",
                            [order.order_no]).fetchone()[0]
        assert stored == codes.code_hash(store.pickup_key, code)
        assert len(stored) == 32


def test_pickup_key_is_private_and_outside_the_database(store):
    key_path = store.data_dir / PICKUP_KEY_FILENAME
    assert key_path.stat().st_mode & 0o777 == 0o600
    assert len(store.pickup_key) >= 32
    raw = (store.data_dir / DB_FILENAME).read_bytes()
    assert store.pickup_key not in raw


def test_a_different_pickup_key_gives_a_different_hash():
    rng = random.Random(5)
    for _ in range(20):
        code = make_pickup_code()
        k1, k2 = rng.randbytes(32), rng.randbytes(32)
        assert codes.code_hash(k1, code) != codes.code_hash(k2, code)
        assert codes.code_hash(k1, code) == codes.code_hash(k1, code)


def test_store_with_another_key_does_not_know_the_code(store, make_order, tmp_path):
    """A copied database without its pickup.key cannot resolve a code."""
    import shutil

    from edge.store import Store

    order, code = make_order()
    copy_dir = tmp_path / "copy"
    copy_dir.mkdir()
    store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    shutil.copy(store.data_dir / DB_FILENAME, copy_dir / DB_FILENAME)
    (copy_dir / PICKUP_KEY_FILENAME).write_bytes(b"\x01" * 32)
    other = Store.open(copy_dir)
    try:
        assert orders.get_order(other.db, order.order_no) is not None
        assert pickup.check(other, code, now=NOW).kind == "unknown"
    finally:
        other.close()


@pytest.mark.parametrize("bad", ["", "abc"])
def test_code_hash_of_non_codes_does_not_crash(bad):
    assert len(codes.code_hash(b"k", bad)) == 32
