"""Clerks and managers: who is signed in, and who may override.

PINs are stored as scrypt hashes with a per-clerk salt; a 4–6 digit PIN is weak on its own,
so a clerk is locked after repeated wrong PINs until a manager resets it.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlite_utils import Database

from edge.clock import iso, utcnow
from edge.db import write_tx
from edge.domain import audit
from edge.domain.errors import DomainError

MAX_FAILED_PINS = 5
_SCRYPT = {"n": 2**14, "r": 8, "p": 1}


@dataclass(frozen=True)
class Clerk:
    clerk_id: str
    name: str
    role: str  # clerk | manager

    @property
    def is_manager(self) -> bool:
        return self.role == "manager"


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


def add_clerk(db: Database, clerk_id: str, name: str, pin: str, *, role: str = "clerk",
              actor: str = "system", now: datetime | None = None) -> Clerk:
    """Register a clerk or manager with a hashed PIN."""
    if role not in ("clerk", "manager"):
        raise DomainError("clerk.bad_role", role=role)
    if not _valid_pin(pin):
        raise DomainError("clerk.bad_pin_format")
    now = now or utcnow()
    with write_tx(db):
        if db.execute("SELECT 1 FROM clerks WHERE clerk_id = ?", [clerk_id]).fetchone():
            raise DomainError("clerk.exists", clerk_id=clerk_id)
        db.execute(
            "INSERT INTO clerks (clerk_id, name, role, pin_hash, created_at) VALUES (?,?,?,?,?)",
            [clerk_id, name, role, hash_pin(pin), iso(now)],
        )
        audit.record(db, actor=actor, action="clerk.added", entity=f"clerk:{clerk_id}",
                     at=now, detail={"role": role, "name": name})
    return Clerk(clerk_id, name, role)


def authenticate(db: Database, clerk_id: str, pin: str, *, now: datetime | None = None) -> Clerk:
    """Check a clerk's PIN; raises DomainError('auth.failed' | 'auth.locked')."""
    now = now or utcnow()
    row = db.execute(
        "SELECT clerk_id, name, role, pin_hash, active, failed_pins FROM clerks WHERE clerk_id = ?",
        [clerk_id.strip()],
    ).fetchone()
    if row is None or not row[4]:
        hash_pin(pin)  # same work as a real check: no timing hint that the id is unknown
        raise DomainError("auth.failed")
    if row[5] >= MAX_FAILED_PINS:
        raise DomainError("auth.locked", clerk_id=row[0])
    if not _pin_ok(pin, row[3]):
        with write_tx(db):
            db.execute("UPDATE clerks SET failed_pins = failed_pins + 1 WHERE clerk_id = ?", [row[0]])
            audit.record(db, actor=row[0], action="auth.failed", entity=f"clerk:{row[0]}", at=now)
        raise DomainError("auth.failed")
    if row[5]:
        with write_tx(db):
            db.execute("UPDATE clerks SET failed_pins = 0 WHERE clerk_id = ?", [row[0]])
    return Clerk(row[0], row[1], row[2])


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


def list_clerks(db: Database) -> list[Clerk]:
    rows = db.execute("SELECT clerk_id, name, role FROM clerks WHERE active ORDER BY clerk_id")
    return [Clerk(*row) for row in rows]
