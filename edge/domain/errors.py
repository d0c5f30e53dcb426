"""Domain errors carry a message key and parameters; the UI and CLI translate them."""

from __future__ import annotations


class DomainError(Exception):
    """A refused action. ``code`` is an i18n key (see edge.i18n); nothing was changed."""

    def __init__(self, code: str, **params: object) -> None:
        super().__init__(code, params)
        self.code = code
        self.params = params

    def __str__(self) -> str:
        return f"{self.code} {self.params}" if self.params else self.code
