"""Staff a manager keeps: lock-outs that end by themselves and grow with repeats, unlock,
PIN reset, deactivation, and the empty PIN that is no try at all. Time is injected."""

from __future__ import annotations

from datetime import timedelta

import pytest

from edge.domain import audit, clerks
from edge.domain.errors import DomainError
from tests.support.edge_store import NOW, dump


def _wrong_pins(db, clerk_id: str, n: int, now) -> list[str]:
    codes = []
    for _ in range(n):
        with pytest.raises(DomainError) as err:
            clerks.authenticate(db, clerk_id, "0000", now=now)
        codes.append(err.value.code)
    return codes


def test_lock_out_ends_by_itself_and_grows_with_repeats(store):
    db, now = store.db, NOW
    for n, step in enumerate(clerks.LOCKOUT_STEPS + (clerks.LOCKOUT_STEPS[-1],), start=1):
        codes = _wrong_pins(db, "c01", clerks.MAX_FAILED_PINS, now)
        assert codes == ["auth.failed"] * (clerks.MAX_FAILED_PINS - 1) + ["auth.locked"], n
        # locked: even the right PIN is refused, and says how long is left
        just_before = now + step - timedelta(seconds=1)
        with pytest.raises(DomainError) as err:
            clerks.authenticate(db, "c01", "1111", now=just_before)
        assert err.value.code == "auth.locked" and err.value.params["minutes"] == 1
        with pytest.raises(DomainError) as err:
            clerks.authenticate(db, "c01", "1111", now=now + timedelta(seconds=1))
        assert err.value.params["minutes"] == max(1, round(step.total_seconds() / 60))
        (member,) = [m for m in clerks.staff(db, now=now) if m.clerk_id == "c01"]
        assert member.locked and member.locked_until == now + step
        now = now + step  # the lock has run out: wrong PINs start a longer one
    assert [m for m in clerks.staff(db, now=now) if m.clerk_id == "c01"][0].locked is False
    # a right PIN after a lock-out starts afresh: the next lock is the short one again
    assert clerks.authenticate(db, "c01", "1111", now=now).clerk_id == "c01"
    _wrong_pins(db, "c01", clerks.MAX_FAILED_PINS, now)
    locked = [m for m in clerks.staff(db, now=now) if m.clerk_id == "c01"][0]
    assert locked.locked_until == now + clerks.LOCKOUT_STEPS[0]
    actions = [a["action"] for a in audit.for_entity(db, "clerk:c01")]
    assert actions.count("auth.locked") == len(clerks.LOCKOUT_STEPS) + 2


def test_an_empty_pin_is_no_try(store):
    before = dump(store.db)
    for pin in ("", " ", "   "):
        with pytest.raises(DomainError) as err:
            clerks.authenticate(store.db, "c01", pin, now=NOW)
        assert err.value.code == "auth.pin_empty"
    assert dump(store.db) == before  # not counted, not audited
    with pytest.raises(DomainError) as err:
        clerks.authenticate_manager(store.db, "m01", "", now=NOW)
    assert err.value.code == "auth.pin_empty"


def test_a_manager_unlocks_at_once_audited(store):
    db = store.db
    _wrong_pins(db, "c01", clerks.MAX_FAILED_PINS, NOW)
    with pytest.raises(DomainError) as err:
        clerks.unlock(db, "c01", actor="c01", now=NOW)  # a clerk cannot
    assert err.value.code == "auth.not_manager"
    assert clerks.unlock(db, "c01", actor="m01", now=NOW) is True
    assert clerks.authenticate(db, "c01", "1111", now=NOW).clerk_id == "c01"
    assert clerks.unlock(db, "c01", actor="m01", now=NOW) is False  # nothing to unlock
    unlocked = [a for a in audit.for_entity(db, "clerk:c01") if a["action"] == "clerk.unlocked"]
    assert len(unlocked) == 1 and unlocked[0]["actor"] == "m01"


def test_reset_pin_replaces_the_pin_and_unlocks(store):
    db = store.db
    _wrong_pins(db, "c01", clerks.MAX_FAILED_PINS, NOW)
    with pytest.raises(DomainError) as err:
        clerks.reset_pin(db, "c01", "12", actor="m01", now=NOW)
    assert err.value.code == "clerk.bad_pin_format"
    with pytest.raises(DomainError) as err:
        clerks.reset_pin(db, "c01", "2468", actor="c01", now=NOW)
    assert err.value.code == "auth.not_manager"
    with pytest.raises(DomainError) as err:
        clerks.reset_pin(db, "nobody", "2468", actor="m01", now=NOW)
    assert err.value.code == "auth.unknown_clerk"
    clerks.reset_pin(db, "c01", "2468", actor="m01", now=NOW)
    assert clerks.authenticate(db, "c01", "2468", now=NOW).clerk_id == "c01"
    with pytest.raises(DomainError):
        clerks.authenticate(db, "c01", "1111", now=NOW)
    reset = [a for a in audit.for_entity(db, "clerk:c01") if a["action"] == "clerk.pin_reset"]
    assert reset and reset[0]["actor"] == "m01" and "2468" not in repr(reset)


def test_only_a_manager_adds_staff(store):
    db = store.db
    with pytest.raises(DomainError) as err:
        clerks.add_clerk(db, "c07", "新人", "1357", actor="c01", now=NOW)
    assert err.value.code == "auth.not_manager"
    for clerk_id, name in (("c 7", "x"), ("", "x"), ("c07", ""), ("a" * 17, "x")):
        with pytest.raises(DomainError) as err:
            clerks.add_clerk(db, clerk_id, name, "1357", actor="m01", now=NOW)
        assert err.value.code in ("clerk.bad_id", "clerk.bad_name")
    clerks.add_clerk(db, "m02", "李店长", "8642", role="manager", actor="m01", now=NOW)
    assert clerks.authenticate_manager(db, "m02", "8642", now=NOW).is_manager
    added = [a for a in audit.for_entity(db, "clerk:m02") if a["action"] == "clerk.added"]
    assert added[0]["actor"] == "m01"


def test_deactivate_keeps_history_and_refuses_sign_in(store):
    db = store.db
    with pytest.raises(DomainError) as err:
        clerks.set_active(db, "m01", False, actor="m01", now=NOW)
    assert err.value.code == "clerk.not_yourself"
    clerks.add_clerk(db, "m02", "李店长", "8642", role="manager", actor="m01", now=NOW)
    clerks.set_active(db, "m01", False, actor="m02", now=NOW)
    with pytest.raises(DomainError) as err:  # so the store always keeps a manager
        clerks.set_active(db, "m02", False, actor="m02", now=NOW)
    assert err.value.code == "clerk.not_yourself"
    clerks.set_active(db, "c01", False, actor="m02", now=NOW)
    with pytest.raises(DomainError) as err:
        clerks.authenticate(db, "c01", "1111", now=NOW)
    assert err.value.code == "auth.failed"
    assert clerks.get_clerk(db, "c01") is not None  # history keeps the name
    members = {m.clerk_id: m for m in clerks.staff(db, now=NOW)}
    assert members["c01"].active is False and members["m01"].active is False
    clerks.set_active(db, "c01", True, actor="m02", now=NOW)
    assert clerks.authenticate(db, "c01", "1111", now=NOW).clerk_id == "c01"
    actions = [a["action"] for a in audit.for_entity(db, "clerk:c01")]
    assert "clerk.deactivated" in actions and "clerk.reactivated" in actions


def test_idle_lock_setting_is_checked_like_every_other():
    from edge.config import ConfigError, parse

    assert parse("[staff]\nidle_lock_min = 2.5\n").idle_lock_s == 150
    assert parse("[staff]\nidle_lock_min = 0\n").idle_lock_s == 0  # never
    assert parse("").idle_lock_s == 300  # five minutes unless said otherwise
    for text, words in (("[staff]\nidle_lock_min = -1\n", "0 (never lock)"),
                        ("[staff]\nidle_lock_min = 100000\n", "1440"),
                        ("[staff]\nidle_lock_min = true\n", "idle_lock_min"),
                        ("[staff]\nidle_lock_min = \"5\"\n", "wrong type"),
                        ("[staff]\nidle_lok_min = 5\n", "Did you mean 'idle_lock_min'?")):
        with pytest.raises(ConfigError) as err:
            parse(text)
        assert words in err.value.message("en"), text
        assert err.value.message("zh-CN") != err.value.message("en")
