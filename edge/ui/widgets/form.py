"""Small building blocks of the dialogs (sign-in, manager override)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static

from edge.i18n import t


def form_row(label_id: str, field: Input) -> Horizontal:
    """A label (text set on language change) beside its input, on one 3-line row."""
    return Horizontal(Label(id=label_id, classes="form-label"), field, classes="form-row")


def pin_input(input_id: str) -> Input:
    """A masked, digits-only PIN field."""
    return Input(id=input_id, password=True, max_length=8, restrict=r"\d*")


class FieldDialog(ModalScreen[Any]):
    """One field in a dialog: a title, the labelled field, an error line and a help line.
    Enter dismisses with ``parse(value)``; a ValueError shows ``error_key`` (with ``value``)
    and keeps it open; Esc dismisses None. Ids: ``<prefix>-label``, ``<prefix>-error``."""

    BINDINGS = [Binding("escape", "cancel", "ui.key.cancel")]

    def __init__(self, *, dialog_id: str, prefix: str, field_id: str, title_key: str,
                 label_key: str, help_key: str, value: str = "", max_length: int = 40,
                 restrict: str | None = None, parse: Callable[[str], Any] = str.strip,
                 error_key: str = "", **title_params: object) -> None:
        super().__init__(id=dialog_id)
        self.prefix, self.field_id = prefix, field_id
        self.title_key, self.title_params = title_key, title_params
        self.label_key, self.help_key, self.error_key = label_key, help_key, error_key
        self.value, self.max_length, self.restrict, self.parse = value, max_length, restrict, parse

    def compose(self) -> ComposeResult:
        lang = self.app.lang  # type: ignore[attr-defined]
        with Vertical(classes="dialog"):
            yield Static(t(self.title_key, lang, **self.title_params), classes="dialog-title")
            yield form_row(f"{self.prefix}-label", Input(self.value, id=self.field_id,
                                                         max_length=self.max_length,
                                                         restrict=self.restrict))
            yield Static(id=f"{self.prefix}-error", classes="dialog-error")
            yield Static(t(self.help_key, lang), classes="dialog-help")

    def on_mount(self) -> None:
        self.query_one(f"#{self.prefix}-label", Label).update(t(self.label_key, self.app.lang))  # type: ignore[attr-defined]
        self.query_one(f"#{self.field_id}", Input).focus()

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        try:
            self.dismiss(self.parse(event.value))
        except ValueError:
            self.query_one(f"#{self.prefix}-error", Static).update(
                t(self.error_key, self.app.lang, value=event.value))  # type: ignore[attr-defined]

    def action_cancel(self) -> None:
        self.dismiss(None)
