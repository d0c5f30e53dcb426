"""A manager acknowledges a temperature alarm: id, PIN (masked), what was done."""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static

from edge.domain import temperatures
from edge.domain.errors import DomainError
from edge.i18n import t
from edge.ui import dev_text  # noqa: F401  (registers ui.dev.* strings)


class AckAlarmScreen(ModalScreen[bool]):
    """Dismisses True once acknowledged; stays open on a wrong PIN or a clerk's id."""

    CSS_PATH = "ack_alarm.tcss"
    BINDINGS = [
        Binding("escape", "cancel", "ui.key.cancel"),
        Binding("f5", "confirm", "ui.key.confirm"),
    ]

    def __init__(self, alarm_id: int, what: str) -> None:
        super().__init__(id="ack-alarm")
        self.alarm_id = alarm_id
        self.what = what

    def compose(self) -> ComposeResult:
        with Vertical(id="ack-box"):
            yield Static(id="ack-title", classes="dialog-title")
            yield Static(self.what, id="ack-what")
            with Horizontal(classes="form-row"):
                yield Label(id="ack-manager-label", classes="form-label")
                yield Input(id="ack-manager", max_length=16)
            with Horizontal(classes="form-row"):
                yield Label(id="ack-pin-label", classes="form-label")
                yield Input(id="ack-pin", password=True, max_length=8, restrict=r"\d*")
            with Horizontal(classes="form-row"):
                yield Label(id="ack-note-label", classes="form-label")
                yield Input(id="ack-note", max_length=200)
            yield Static(id="ack-error")
            yield Static(id="ack-help")

    def on_mount(self) -> None:
        self.watch(self.app, "lang", lambda _lang: self._relabel())
        self.query_one("#ack-manager", Input).focus()

    def _relabel(self) -> None:
        lang = self.app.lang  # type: ignore[attr-defined]
        self.query_one("#ack-title", Static).update(t("ui.dev.ack.title", lang))
        self.query_one("#ack-manager-label", Label).update(t("ui.dev.ack.manager", lang))
        self.query_one("#ack-pin-label", Label).update(t("ui.dev.ack.pin", lang))
        self.query_one("#ack-note-label", Label).update(t("ui.dev.ack.note", lang))
        self.query_one("#ack-note", Input).placeholder = t("ui.dev.ack.note_placeholder", lang)
        self.query_one("#ack-help", Static).update(t("ui.dev.ack.help", lang))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Enter moves to the next field; on the note it confirms."""
        event.stop()
        order = ["ack-manager", "ack-pin", "ack-note"]
        current = order.index(event.input.id or "ack-note")
        if current < len(order) - 1:
            self.query_one(f"#{order[current + 1]}", Input).focus()
        else:
            self.action_confirm()

    def action_cancel(self) -> None:
        self.dismiss(False)

    def action_confirm(self) -> None:
        self.run_submit(self.query_one("#ack-manager", Input).value.strip(),
                        self.query_one("#ack-pin", Input).value,
                        self.query_one("#ack-note", Input).value)

    @work(exclusive=True, group="ack-alarm")
    async def run_submit(self, manager_id: str, pin: str, note: str) -> None:
        try:
            await self.app.service.call(  # type: ignore[attr-defined]
                temperatures.acknowledge_alarm, self.alarm_id, manager_id, pin, note)
        except DomainError as exc:
            self._refused(exc)
            return
        self.app.notify(t("ui.dev.ack.done", self.app.lang))  # type: ignore[attr-defined]
        self.dismiss(True)

    def _refused(self, exc: DomainError) -> None:
        lang = self.app.lang  # type: ignore[attr-defined]
        self.app.bell()
        self.query_one("#ack-error", Static).update(t(exc.code, lang, **exc.params))
        pin = self.query_one("#ack-pin", Input)
        pin.value = ""
        if exc.code.startswith("auth."):
            pin.focus()
        elif exc.code == "dev.temp.no_note":
            self.query_one("#ack-note", Input).focus()
        else:
            self.dismiss(False)  # already acknowledged elsewhere: nothing left to do here
