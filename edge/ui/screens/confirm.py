"""Are you sure? A small yes/no dialog for an action that cannot be taken back.

``ConfirmScreen(question)`` dismisses True on Enter or y, False on Esc or n. Any screen that
closes, returns or deletes something pushes it with a callback and acts only on True.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

from edge.i18n import register, t

register({
    "ui.confirm.help": ("回车 / y 确定，Esc / n 取消", "Enter / y to confirm, Esc / n to cancel"),
    "ui.key.yes": ("确定", "Yes"),
})


class ConfirmScreen(ModalScreen[bool]):
    """``question`` is already in the user's language (the caller translated it)."""

    BINDINGS = [
        Binding("enter,y", "answer(True)", "ui.key.yes"),
        Binding("escape,n", "answer(False)", "ui.key.cancel"),
    ]

    def __init__(self, question: str) -> None:
        super().__init__(classes="confirm")
        self.question = question

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(self.question, classes="dialog-title")
            yield Static(t("ui.confirm.help", self.app.lang), classes="dialog-help")  # type: ignore[attr-defined]

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)
