"""PINs for `store-edge` commands: read from the terminal (not echoed) or an environment
variable for scripts, never from the command line, where `ps` and the shell history show it."""

from __future__ import annotations

import getpass
import os
import sys

from edge.domain.errors import DomainError
from edge.i18n import t

CLERK_PIN_ENV = "STORE_EDGE_CLERK_PIN"
MANAGER_PIN_ENV = "STORE_EDGE_MANAGER_PIN"


def read_pin(env: str, prompt_key: str, lang: str, **params: object) -> str:
    """The PIN from ``$env``, else typed at the terminal; DomainError('cli.pin_needed')
    when there is neither (a script without the variable), 'auth.pin_empty' when nothing
    was typed."""
    pin = os.environ.get(env)
    if pin is None:
        if not sys.stdin.isatty():
            raise DomainError("cli.pin_needed", env=env)
        try:
            pin = getpass.getpass(t(prompt_key, lang, **params) + " ")
        except EOFError:
            pin = ""
    if not pin.strip():
        raise DomainError("auth.pin_empty")
    return pin.strip()


def read_new_pin(env: str, lang: str, clerk_id: str) -> str:
    """A new PIN for ``clerk_id``: from ``$env``, else typed twice at the terminal (unseen,
    so a typo would otherwise lock its owner out). DomainError 'cli.pin_needed' without
    either, 'staff.pins_differ' when the two differ. The format is the domain's to check."""
    pin = os.environ.get(env)
    if pin is not None:
        return pin.strip()
    if not sys.stdin.isatty():
        raise DomainError("cli.pin_needed", env=env)
    try:
        pin = getpass.getpass(t("init.prompt_manager_pin", lang, clerk_id=clerk_id) + " ")
        again = getpass.getpass(t("init.prompt_pin_again", lang) + " ")
    except EOFError:
        raise DomainError("cli.pin_needed", env=env) from None
    if pin != again:
        raise DomainError("staff.pins_differ")
    return pin.strip()
