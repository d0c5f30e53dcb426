"""Clerks and managers: who is signed in, who may override, and the staff a manager keeps.

PINs are stored as scrypt hashes with a per-clerk salt. A 4–8 digit PIN is weak on its own,
so MAX_FAILED_PINS wrong PINs in a row lock the account for a while, longer with each
lock-out in a row (LOCKOUT_STEPS); never for good: the lock ends by itself, a right PIN
after it starts the count afresh, and a manager can unlock at once. An empty PIN is no try
at all. Staff changes are audited; they stay in the store (PINs never leave it), so they
append no outbox event for HQ.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlite_utils import Database

from edge.clock import iso, parse_iso, utcnow
from edge.db import write_tx
from edge.domain import audit
from edge.domain import staff_i18n  # noqa: F401  (registers the staff messages)
from edge.domain.errors import DomainError

MAX_FAILED_PINS = 5
# the n-th lock-out in a row lasts LOCKOUT_STEPS[n-1]; the last step repeats
LOCKOUT_STEPS = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=15),
                 timedelta(minutes=60))
ROLES = ("clerk", "manager")
SYSTEM_ACTOR = "system"  # seeding and `store-edge init` (the first manager): nobody signed in
_SCRYPT = {"n": 2**14, "r": 8, "p": 1}


@dataclass(frozen=True)
class Clerk:
    clerk_id: str
    name: str
    role: str  # clerk | manager

    @property
    def is_manager(self) -> bool:
        return self.role == "manager"


@dataclass(frozen=True)
class StaffMember:
    """One row of the staff list a manager sees."""

    clerk_id: str
    name: str
    role: str
    active: bool
    failed_pins: int
    locked_until: datetime | None  # set only while the lock lasts

    @property
    def locked(self) -> bool:
        return self.locked_until is not None


def hash_pin(pin: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(pin.encode(), salt=salt, **_SCRYPT)
    return f"scrypt${_SCRYPT['n']}${_SCRYPT['r']}${_SCRYPT['p']}${salt.hex()}${digest.hex()}"


def _pin_ok(pin: str, stored: str) -> bool:
    _, n, r, p, salt, digest = stored.split("$")
    candidate = hashlib.scrypt(pin.encode(), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p))
    return hmac.compare_digest(candidate, bytes.fromhex(digest))


def _valid_pin(pin: str) -> bool:
    return pin.isdigit() and pin.isascii() and 4 <= len(pin) <= 8


def lockout_for(lockouts: int) -> timedelta:
    """How long the ``lockouts``-th lock-out in a row lasts (1-based)."""
    return LOCKOUT_STEPS[min(max(lockouts, 1), len(LOCKOUT_STEPS)) - 1]


def _locked_until(value: str | None, now: datetime) -> datetime | None:
    """The end of a lock still running at ``now``; None when there is none."""
    if not value:
        return None
    until = parse_iso(value)
    return until if until > now else None


def _minutes_left(until: datetime, now: datetime) -> int:
    return max(1, -(-int((until - now).total_seconds()) // 60))  # rounded up


def add_clerk(db: Database, clerk_id: str, name: str, pin: str, *, role: str = "clerk",
              actor: str = SYSTEM_ACTOR, now: datetime | None = None) -> Clerk:
    """Register a clerk or manager with a hashed PIN. ``actor`` is the manager adding them
    (checked); only seeding and `store-edge init` add people as SYSTEM_ACTOR."""
    clerk_id, name = clerk_id.strip(), name.strip()
    if actor != SYSTEM_ACTOR:
        require_manager(db, actor)
    check_new(clerk_id, name, pin, role)
    now = now or utcnow()
    pin_hash = hash_pin(pin)  # scrypt outside the write lock: other terminals keep working
    with write_tx(db):
        if db.execute("SELECT 1 FROM clerks WHERE clerk_id = ?", [clerk_id]).fetchone():
            raise DomainError("clerk.exists", clerk_id=clerk_id)
        db.execute(
            "INSERT INTO clerks (clerk_id, name, role, pin_hash, created_at) VALUES (?,?,?,?,?)",
            [clerk_id, name, role, pin_hash, iso(now)],
        )
        audit.record(db, actor=actor, action="clerk.added", entity=f"clerk:{clerk_id}",
                     at=now, detail={"role": role, "name": name})
    return Clerk(clerk_id, name, role)


def check_new(clerk_id: str, name: str, pin: str, role: str = "clerk") -> None:
    """Refuse a new person's details before anything is written (also `store-edge init`,
    which checks the first manager before it creates the store)."""
    if role not in ROLES:
        raise DomainError("clerk.bad_role", role=role)
    if not _valid_id(clerk_id.strip()):
        raise DomainError("clerk.bad_id", clerk_id=clerk_id)
    name = name.strip()
    if not name or len(name) > 40 or not name.isprintable():
        raise DomainError("clerk.bad_name")
    if not _valid_pin(pin):
        raise DomainError("clerk.bad_pin_format")


def _valid_id(clerk_id: str) -> bool:
    """Short, typeable at the sign-in field (max 16): letters, digits, - and _."""
    return (0 < len(clerk_id) <= 16 and clerk_id.isascii()
            and all(ch.isalnum() or ch in "-_" for ch in clerk_id))


def authenticate(db: Database, clerk_id: str, pin: str, *, now: datetime | None = None) -> Clerk:
    """Check a clerk's PIN; raises DomainError 'auth.pin_empty' (no try counted),
    'auth.failed' or 'auth.locked' (with ``minutes`` left)."""
    now = now or utcnow()
    if not pin.strip():
        raise DomainError("auth.pin_empty")
    row = db.execute(
        "SELECT clerk_id, name, role, pin_hash, active, failed_pins, locked_until, lockouts"
        " FROM clerks WHERE clerk_id = ?", [clerk_id.strip()],
    ).fetchone()
    if row is None or not row[4]:
        hash_pin(pin)  # same work as a real check: no timing hint that the id is unknown
        raise DomainError("auth.failed")
    until = _locked_until(row[6], now)
    if until is not None:
        raise DomainError("auth.locked", clerk_id=row[0], minutes=_minutes_left(until, now))
    if not _pin_ok(pin, row[3]):
        raise _count_wrong_pin(db, row[0], now)
    if row[5] or row[6] or row[7]:
        with write_tx(db):
            db.execute("UPDATE clerks SET failed_pins = 0, locked_until = NULL, lockouts = 0"
                       " WHERE clerk_id = ?", [row[0]])
    return Clerk(row[0], row[1], row[2])


def _count_wrong_pin(db: Database, clerk_id: str, now: datetime) -> DomainError:
    """Book one more wrong PIN; the MAX_FAILED_PINS-th in a row starts a lock-out.
    Returns the error to raise (raised after the commit, so the count is kept)."""
    with write_tx(db):
        failed, lockouts = db.execute("SELECT failed_pins + 1, lockouts FROM clerks"
                                      " WHERE clerk_id = ?", [clerk_id]).fetchone()
        audit.record(db, actor=clerk_id, action="auth.failed", entity=f"clerk:{clerk_id}", at=now)
        if failed < MAX_FAILED_PINS:
            db.execute("UPDATE clerks SET failed_pins = ? WHERE clerk_id = ?", [failed, clerk_id])
            return DomainError("auth.failed")
        lockouts += 1
        until = now + lockout_for(lockouts)
        db.execute("UPDATE clerks SET failed_pins = 0, lockouts = ?, locked_until = ?"
                   " WHERE clerk_id = ?", [lockouts, iso(until), clerk_id])
        audit.record(db, actor=clerk_id, action="auth.locked", entity=f"clerk:{clerk_id}", at=now,
                     detail={"until": iso(until), "lockouts": lockouts})
    return DomainError("auth.locked", clerk_id=clerk_id, minutes=_minutes_left(until, now))


def authenticate_manager(db: Database, manager_id: str, pin: str,
                         *, now: datetime | None = None) -> Clerk:
    """A manager's PIN for an override; a clerk's PIN is refused."""
    clerk = authenticate(db, manager_id, pin, now=now)
    if not clerk.is_manager:
        raise DomainError("auth.not_manager", clerk_id=clerk.clerk_id)
    return clerk


def require_manager(db: Database, clerk_id: str) -> Clerk:
    """The signed-in person, who must be an active manager (stock adjustments, returns,
    staff, day end); raises DomainError('auth.not_manager') otherwise. Domain functions
    that only managers may call check it themselves, so the CLI and every screen agree."""
    row = db.execute("SELECT clerk_id, name, role FROM clerks WHERE clerk_id = ? AND active",
                     [clerk_id]).fetchone()
    if row is None or row[2] != "manager":
        raise DomainError("auth.not_manager", clerk_id=clerk_id)
    return Clerk(*row)


def get_clerk(db: Database, clerk_id: str) -> Clerk | None:
    row = db.execute("SELECT clerk_id, name, role FROM clerks WHERE clerk_id = ?", [clerk_id]).fetchone()
    return Clerk(*row) if row else None


# ---------------------------------------------------------------- what a manager does
def staff(db: Database, *, now: datetime | None = None) -> list[StaffMember]:
    """Everyone, active first, with their lock state at ``now``."""
    now = now or utcnow()
    rows = db.execute("SELECT clerk_id, name, role, active, failed_pins, locked_until FROM clerks"
                      " ORDER BY active DESC, role DESC, clerk_id").fetchall()
    return [StaffMember(r[0], r[1], r[2], bool(r[3]), r[4], _locked_until(r[5], now)) for r in rows]


def _require_member(db: Database, clerk_id: str) -> tuple:
    row = db.execute("SELECT clerk_id, role, active FROM clerks WHERE clerk_id = ?",
                     [clerk_id]).fetchone()
    if row is None:
        raise DomainError("auth.unknown_clerk", clerk_id=clerk_id)
    return row


def reset_pin(db: Database, clerk_id: str, new_pin: str, *, actor: str,
              now: datetime | None = None) -> None:
    """A manager gives someone a new PIN (forgotten, or known to others); it also unlocks."""
    require_manager(db, actor)
    if not _valid_pin(new_pin):
        raise DomainError("clerk.bad_pin_format")
    now = now or utcnow()
    pin_hash = hash_pin(new_pin)
    with write_tx(db):
        _require_member(db, clerk_id)
        db.execute("UPDATE clerks SET pin_hash = ?, failed_pins = 0, locked_until = NULL,"
                   " lockouts = 0 WHERE clerk_id = ?", [pin_hash, clerk_id])
        audit.record(db, actor=actor, action="clerk.pin_reset", entity=f"clerk:{clerk_id}", at=now)


def unlock(db: Database, clerk_id: str, *, actor: str, now: datetime | None = None) -> bool:
    """A manager lifts a lock-out at once (and forgets the wrong PINs so far). False, and
    nothing recorded, when the account was not locked."""
    require_manager(db, actor)
    now = now or utcnow()
    with write_tx(db):
        _require_member(db, clerk_id)
        failed, until = db.execute("SELECT failed_pins, locked_until FROM clerks WHERE clerk_id = ?",
                                   [clerk_id]).fetchone()
        if not failed and _locked_until(until, now) is None:
            return False
        db.execute("UPDATE clerks SET failed_pins = 0, locked_until = NULL, lockouts = 0"
                   " WHERE clerk_id = ?", [clerk_id])
        audit.record(db, actor=actor, action="clerk.unlocked", entity=f"clerk:{clerk_id}", at=now,
                     detail={"failed_pins": failed, "locked_until": until})
    return True


def set_active(db: Database, clerk_id: str, active: bool, *, actor: str,
               now: datetime | None = None) -> None:
    """Deactivate someone who left (they can no longer sign in; their history stays), or
    take them back. A manager cannot deactivate themself, so a store always keeps one."""
    require_manager(db, actor)
    now = now or utcnow()
    with write_tx(db):
        _, _, was_active = _require_member(db, clerk_id)
        if bool(was_active) == active:
            return
        if not active and clerk_id == actor:
            raise DomainError("clerk.not_yourself")
        db.execute("UPDATE clerks SET active = ? WHERE clerk_id = ?", [int(active), clerk_id])
        audit.record(db, actor=actor, action="clerk.reactivated" if active else "clerk.deactivated",
                     entity=f"clerk:{clerk_id}", at=now)
