"""Business errors of HQ back-office functions, with the HTTP status they map to."""

from __future__ import annotations


class HQError(Exception):
    """A refused request: ``code`` is stable (clients match on it), ``status`` is HTTP."""

    def __init__(self, code: str, message: str = "", status: int = 409) -> None:
        super().__init__(f"{code}: {message}" if message else code)
        self.code = code
        self.message = message
        self.status = status


def not_found(what: str, key: str) -> HQError:
    return HQError(f"unknown_{what}", f"{what} {key!r} not found", 404)
