"""Sign-in: clerk id and PIN (masked), checked by clerks.authenticate on the store thread."""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Input, Label, Static

from edge.domain import clerks
from edge.domain.clerks import Clerk
from edge.domain.errors import DomainError
from edge.i18n import register, t
from edge.ui.widgets.footer import LocalFooter
from edge.ui.widgets.form import form_row, pin_input
from edge.ui.widgets.status_bar import StatusBar


register({
    "ui.signin.help_locked": ("输入工号和密码后回车", "Type your clerk id and PIN, then Enter"),
    "ui.signin.demo_people": ("演示：店员 {clerk}，店长 {manager}（工号 / 密码）", "Demo: clerk {clerk}, manager {manager} (id / PIN)"),
})


def _demo_people() -> dict[str, str]:
    from edge.demo_data import PEOPLE

    first = {role: f"{clerk_id} / {pin}" for clerk_id, _name, role, pin in reversed(PEOPLE)}
    return {"clerk": first["clerk"], "manager": first["manager"]}


def _authenticate(store, clerk_id: str, pin: str) -> Clerk:
    return clerks.authenticate(store.db, clerk_id, pin)


class SignInScreen(Screen[Clerk | None]):
    """Dismisses with the signed-in Clerk; Esc goes back only when someone is signed in."""

    BINDINGS = [Binding("escape", "back", "ui.key.cancel")]

    def __init__(self, *, can_cancel: bool = True) -> None:
        super().__init__(id="sign-in")
        self.can_cancel = can_cancel

    def compose(self) -> ComposeResult:
        yield StatusBar(id="status-bar")
        with Vertical(id="sign-in-box", classes="dialog"):
            yield Static(id="sign-in-title", classes="dialog-title")
            yield form_row("sign-in-clerk-label", Input(id="sign-in-clerk", max_length=16))
            yield form_row("sign-in-pin-label", pin_input("sign-in-pin"))
            yield Static(id="sign-in-message", classes="dialog-error")
            yield Static(id="sign-in-help", classes="dialog-help")
        yield LocalFooter()

    def on_mount(self) -> None:
        self.watch(self.app, "lang", lambda _lang: self._relabel())
        self.query_one("#sign-in-clerk", Input).focus()

    def _relabel(self) -> None:
        lang = self.app.lang  # type: ignore[attr-defined]
        self.query_one("#sign-in-title", Static).update(t("ui.signin.title", lang))
        self.query_one("#sign-in-clerk-label", Label).update(t("ui.signin.clerk", lang))
        self.query_one("#sign-in-pin-label", Label).update(t("ui.signin.pin", lang))
        help_text = t("ui.signin.help" if self.can_cancel else "ui.signin.help_locked", lang)
        if getattr(self.app, "demo", False):  # a newcomer locked out of the demo gets back in
            help_text += "\n" + t("ui.signin.demo_people", lang, **_demo_people())
        self.query_one("#sign-in-help", Static).update(help_text)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return self.can_cancel if action == "back" else True

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        clerk_id = self.query_one("#sign-in-clerk", Input).value.strip()
        pin_input = self.query_one("#sign-in-pin", Input)
        if event.input.id == "sign-in-clerk" and not pin_input.value:
            pin_input.focus()
            return
        if not clerk_id:
            self.query_one("#sign-in-clerk", Input).focus()
            return
        if not pin_input.value:  # nothing typed is no try: say so, count nothing
            self._say(t("auth.pin_empty", self.app.lang))  # type: ignore[attr-defined]
            pin_input.focus()
            return
        self._say(t("ui.signin.checking", self.app.lang))  # type: ignore[attr-defined]
        self.run_sign_in(clerk_id, pin_input.value)

    def _say(self, text: str) -> None:
        self.query_one("#sign-in-message", Static).update(text)

    @work(exclusive=True, group="sign-in")
    async def run_sign_in(self, clerk_id: str, pin: str) -> None:
        """scrypt takes a moment: it runs on the store thread while the screen stays live."""
        try:
            clerk = await self.app.service.call(_authenticate, clerk_id, pin)  # type: ignore[attr-defined]
        except DomainError as exc:
            self.app.bell()
            self._say(t(exc.code, self.app.lang, **exc.params))  # type: ignore[attr-defined]
            pin_input = self.query_one("#sign-in-pin", Input)
            pin_input.value = ""
            pin_input.focus()
            return
        self.dismiss(clerk)

    def action_back(self) -> None:
        if self.can_cancel:
            self.dismiss(None)
