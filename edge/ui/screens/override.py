"""A manager authorises handing over an overdue or early order: id, PIN (masked), reason."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static

from edge.domain.pickup import Override, Verdict
from edge.i18n import t
from edge.present import verdict_message
from edge.ui.widgets.form import form_row, pin_input

Submit = Callable[[Override], Awaitable[tuple[str, dict] | None]]


class OverrideScreen(ModalScreen[bool]):
    """Collects the override and hands it to ``submit``; stays open on a wrong PIN.

    Dismisses True once the hand-over is done, False on Esc or when the order itself refused.
    """

    BINDINGS = [
        Binding("escape", "cancel", "ui.key.cancel"),
        Binding("f5", "confirm", "ui.key.confirm"),
    ]

    def __init__(self, verdict: Verdict, submit: Submit) -> None:
        super().__init__(id="override")
        self.verdict = verdict
        self.submit = submit

    def compose(self) -> ComposeResult:
        with Vertical(id="override-box", classes="dialog"):
            yield Static(id="override-title", classes="dialog-title")
            yield Static(id="override-why", classes="dialog-why")
            yield form_row("override-manager-label", Input(id="override-manager", max_length=16))
            yield form_row("override-pin-label", pin_input("override-pin"))
            yield form_row("override-reason-label", Input(id="override-reason", max_length=120))
            yield Static(id="override-error", classes="dialog-error")
            yield Static(id="override-help", classes="dialog-help")

    def on_mount(self) -> None:
        self.watch(self.app, "lang", lambda _lang: self._relabel())
        self.query_one("#override-manager", Input).focus()

    def _relabel(self) -> None:
        lang = self.app.lang  # type: ignore[attr-defined]
        order_no = self.verdict.order.order_no if self.verdict.order else ""
        self.query_one("#override-title", Static).update(f"{t('ui.override.title', lang)}  {order_no}")
        self.query_one("#override-why", Static).update(verdict_message(self.verdict, lang))
        self.query_one("#override-manager-label", Label).update(t("ui.override.manager", lang))
        self.query_one("#override-pin-label", Label).update(t("ui.override.pin", lang))
        self.query_one("#override-reason-label", Label).update(t("ui.override.reason", lang))
        self.query_one("#override-reason", Input).placeholder = t("ui.override.reason_placeholder", lang)
        self.query_one("#override-help", Static).update(t("ui.override.help", lang))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Enter moves on to the next empty field; on the reason it confirms."""
        event.stop()
        if event.input.id == "override-manager":
            self.query_one("#override-pin", Input).focus()
        elif event.input.id == "override-pin" and not self.query_one("#override-reason", Input).value.strip():
            self.query_one("#override-reason", Input).focus()
        else:
            self.action_confirm()

    def action_cancel(self) -> None:
        self.dismiss(False)

    def action_confirm(self) -> None:
        if not self.query_one("#override-reason", Input).value.strip():
            self._show_refusal("override.no_reason", {})  # before any PIN check: no try counted
            return
        self.run_submit(Override(
            manager_id=self.query_one("#override-manager", Input).value.strip(),
            pin=self.query_one("#override-pin", Input).value,
            reason=self.query_one("#override-reason", Input).value))

    @work(exclusive=True, group="override")
    async def run_submit(self, override: Override) -> None:
        refused = await self.submit(override)
        if refused is None:
            self.dismiss(True)
            return
        code, params = refused
        if not code.startswith(("auth.", "override.")):
            self.dismiss(False)  # the order refused (changed meanwhile): the card says why
            return
        self._show_refusal(code, params)

    def _show_refusal(self, code: str, params: dict) -> None:
        """Say why and go to the field at fault. Only a wrong PIN clears the PIN: a missing
        reason or an empty PIN keeps what was typed."""
        lang = self.app.lang  # type: ignore[attr-defined]
        self.query_one("#override-error", Static).update(t(code, lang, **params))
        pin = self.query_one("#override-pin", Input)
        if code in ("auth.failed", "auth.locked", "auth.not_manager"):
            pin.value = ""
        if code == "override.no_reason":
            self.query_one("#override-reason", Input).focus()
        elif code.startswith("auth."):
            pin.focus()
