"""Clerks and managers: hashed PINs, wrong PINs counted, locking, bad input."""

from __future__ import annotations

import hashlib

import pytest

from edge.db import DB_FILENAME
from edge.domain import audit, clerks
from edge.domain.errors import DomainError
from tests.support.edge_store import NOW, dump

PIN = "73915826"  # long and distinctive, so finding it anywhere in the file would mean clear text


def _pin_hash(db, clerk_id):
    return db.execute("SELECT pin_hash FROM clerks WHERE clerk_id = ?", [clerk_id]).fetchone()[0]


def test_pin_is_stored_as_salted_scrypt_never_in_clear(store):
    db = store.db
    clerks.add_clerk(db, "c09", "测试员", PIN, now=NOW)
    clerks.add_clerk(db, "c10", "Twin", PIN, now=NOW)
    stored = _pin_hash(db, "c09")
    scheme, n, r, p, salt, digest = stored.split("$")
    assert scheme == "scrypt" and int(n) >= 2**14 and int(r) >= 8
    assert hashlib.scrypt(PIN.encode(), salt=bytes.fromhex(salt), n=int(n), r=int(r),
                          p=int(p)).hex() == digest
    assert _pin_hash(db, "c10") != stored  # per-clerk salt: same PIN, different hash
    for table, rows in dump(db).items():
        assert PIN not in repr(rows), table
    raw = b"".join(p.read_bytes() for p in store.data_dir.glob(DB_FILENAME + "*"))
    assert PIN.encode() not in raw
    added = [a for a in audit.for_entity(db, "clerk:c09") if a["action"] == "clerk.added"]
    assert added and PIN not in repr(added)


def test_right_pin_signs_in(store):
    clerk = clerks.authenticate(store.db, "c01", "1111", now=NOW)
    assert (clerk.clerk_id, clerk.role, clerk.is_manager) == ("c01", "clerk", False)
    assert clerks.authenticate(store.db, " m01 ", "9999", now=NOW).is_manager


def test_wrong_pin_fails_is_counted_and_audited(store):
    with pytest.raises(DomainError) as err:
        clerks.authenticate(store.db, "c01", "1112", now=NOW)
    assert err.value.code == "auth.failed"
    assert store.db.execute("SELECT failed_pins FROM clerks WHERE clerk_id='c01'").fetchone()[0] == 1
    assert audit.for_entity(store.db, "clerk:c01")[-1]["action"] == "auth.failed"
    clerks.authenticate(store.db, "c01", "1111", now=NOW)
    assert store.db.execute("SELECT failed_pins FROM clerks WHERE clerk_id='c01'").fetchone()[0] == 0


def test_locked_after_five_wrong_pins(store):
    for _ in range(clerks.MAX_FAILED_PINS):
        with pytest.raises(DomainError):
            clerks.authenticate(store.db, "c01", "0000", now=NOW)
    with pytest.raises(DomainError) as err:
        clerks.authenticate(store.db, "c01", "1111", now=NOW)
    assert err.value.code == "auth.locked" and err.value.params == {"clerk_id": "c01", "minutes": 1}


def test_unknown_clerk_gets_the_same_answer_as_a_wrong_pin(store):
    before = dump(store.db)
    with pytest.raises(DomainError) as err:
        clerks.authenticate(store.db, "c99", "1111", now=NOW)
    assert err.value.code == "auth.failed" and err.value.params == {}
    assert dump(store.db) == before
    assert clerks.get_clerk(store.db, "c99") is None


def test_manager_check_refuses_a_clerk(store):
    with pytest.raises(DomainError) as err:
        clerks.authenticate_manager(store.db, "c01", "1111", now=NOW)
    assert err.value.code == "auth.not_manager"
    assert clerks.authenticate_manager(store.db, "m01", "9999", now=NOW).clerk_id == "m01"


@pytest.mark.parametrize("pin", ["", "123", "12a4", "123456789", "１２３４", "12 34", " 1234", "١٢٣٤"])
def test_bad_pin_format_is_refused(store, pin):
    before = dump(store.db)
    with pytest.raises(DomainError) as err:
        clerks.add_clerk(store.db, "c20", "New", pin, now=NOW)
    assert err.value.code == "clerk.bad_pin_format"
    assert dump(store.db) == before


def test_duplicate_id_and_bad_role_are_refused(store):
    before = dump(store.db)
    with pytest.raises(DomainError) as err:
        clerks.add_clerk(store.db, "c01", "Again", "4321", now=NOW)
    assert err.value.code == "clerk.exists"
    with pytest.raises(DomainError) as err:
        clerks.add_clerk(store.db, "c21", "Boss", "4321", role="owner", now=NOW)
    assert err.value.code == "clerk.bad_role"
    assert dump(store.db) == before
    assert sorted(m.clerk_id for m in clerks.staff(store.db)) == ["c01", "m01"]
