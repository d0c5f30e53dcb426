"""Small building blocks of the dialogs (sign-in, manager override)."""

from __future__ import annotations

from textual.containers import Horizontal
from textual.widgets import Input, Label


def form_row(label_id: str, field: Input) -> Horizontal:
    """A label (text set on language change) beside its input, on one 3-line row."""
    return Horizontal(Label(id=label_id, classes="form-label"), field, classes="form-row")


def pin_input(input_id: str) -> Input:
    """A masked, digits-only PIN field."""
    return Input(id=input_id, password=True, max_length=8, restrict=r"\d*")
