"""The manager's dialog to add someone or give them a new PIN. The PIN is typed twice and
masked; Enter moves to the next empty field and saves on the last; a refusal is shown in the
dialog with the fields kept (only the PINs are cleared after a mismatch); Esc cancels."""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Select, Static

from edge.domain import clerks
from edge.domain.errors import DomainError
from edge.i18n import t
from edge.store import Store
from edge.ui.screens.staff import text  # noqa: F401  (registers ui.staff.*)
from edge.ui.widgets.form import form_row, pin_input
from edge.ui.context import UserContext


def _add(store: Store, clerk_id: str, name: str, role: str, pin: str, actor: str) -> str:
    clerks.add_clerk(store.db, clerk_id, name, pin, role=role, actor=actor)
    return clerk_id


def _reset(store: Store, clerk_id: str, pin: str, actor: str) -> str:
    clerks.reset_pin(store.db, clerk_id, pin, actor=actor)
    return clerk_id


class StaffFormScreen(UserContext, ModalScreen["str | None"]):
    """Add (``member`` None) or new PIN for ``member``; dismisses with the message to show."""

    BINDINGS = [Binding("escape", "cancel", "ui.key.cancel")]

    def __init__(self, actor: str, member: clerks.StaffMember | None = None) -> None:
        super().__init__(classes="staff-form")
        self.actor, self.member = actor, member


    def _roles(self) -> list[tuple[str, str]]:
        return [(t(f"role.{role}", self.lang), role) for role in clerks.ROLES]

    def _fields(self) -> list[str]:
        """Input ids in the order Enter walks them."""
        head = [] if self.member else ["staff-id", "staff-name"]
        return head + ["staff-pin", "staff-again"]

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(id="staff-form-title", classes="dialog-title")
            if self.member is None:
                yield form_row("staff-id-label", Input(id="staff-id", max_length=16))
                yield form_row("staff-name-label", Input(id="staff-name", max_length=40))
                yield Horizontal(Label(id="staff-role-label", classes="form-label"),
                                 Select(self._roles(), id="staff-role", allow_blank=False,
                                        value="clerk"), classes="form-row")
            yield form_row("staff-pin-label", pin_input("staff-pin"))
            yield form_row("staff-again-label", pin_input("staff-again"))
            yield Static(id="staff-form-error", classes="dialog-error")
            yield Static(id="staff-form-help", classes="dialog-help")

    def on_mount(self) -> None:
        self.watch(self.app, "lang", lambda _lang: self._relabel())
        self.query_one(f"#{self._fields()[0]}", Input).focus()

    def _relabel(self) -> None:
        lang = self.lang
        if self.member is None:
            title = t("ui.staff.form.add_title", lang)
            for part in ("id", "name"):
                self.query_one(f"#staff-{part}-label").update(t(f"ui.staff.form.{part}", lang))  # type: ignore[attr-defined]
            self.query_one("#staff-role-label", Label).update(t("ui.staff.form.role", lang))
            select = self.query_one("#staff-role", Select)
            chosen = select.value
            select.set_options(self._roles())
            select.value = chosen
        else:
            title = t("ui.staff.form.reset_title", lang, clerk_id=self.member.clerk_id,
                      name=self.member.name)
        self.query_one("#staff-form-title", Static).update(title)
        self.query_one("#staff-pin-label").update(t("ui.staff.form.pin", lang))  # type: ignore[attr-defined]
        self.query_one("#staff-again-label").update(t("ui.staff.form.again", lang))  # type: ignore[attr-defined]
        self.query_one("#staff-form-help", Static).update(t("ui.staff.form.help", lang))

    def _value(self, field: str) -> str:
        return self.query_one(f"#{field}", Input).value

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Enter: the next empty field, or save when all are filled."""
        event.stop()
        for field in self._fields():
            if not self._value(field).strip():
                self.query_one(f"#{field}", Input).focus()
                return
        self.save()

    def _refuse(self, code: str, params: dict, focus: str) -> None:
        self.app.bell()
        self.query_one("#staff-form-error", Static).update(t(code, self.lang, **params))
        if focus in ("staff-pin", "staff-again"):
            for field in ("staff-pin", "staff-again"):
                self.query_one(f"#{field}", Input).value = ""
        self.query_one(f"#{focus}", Input).focus()

    def save(self) -> None:
        pin = self._value("staff-pin")
        if pin != self._value("staff-again"):
            self._refuse("staff.pins_differ", {}, "staff-pin")
            return
        self.run_save(pin)

    @work(exclusive=True, group="staff-form")
    async def run_save(self, pin: str) -> None:
        service = self.app.service  # type: ignore[attr-defined]
        try:
            if self.member is None:
                role = self.query_one("#staff-role", Select).value
                clerk_id, name = self._value("staff-id").strip(), self._value("staff-name").strip()
                await service.call(_add, clerk_id, name, str(role), pin, self.actor)
                message = t("staff.added", self.lang, clerk_id=clerk_id, name=name)
            else:
                clerk_id = await service.call(_reset, self.member.clerk_id, pin, self.actor)
                message = t("staff.pin_reset", self.lang, clerk_id=clerk_id)
        except DomainError as exc:
            focus = {"clerk.bad_id": "staff-id", "clerk.exists": "staff-id",
                     "clerk.bad_name": "staff-name"}.get(exc.code, "staff-pin")
            self._refuse(exc.code, exc.params, focus)
            return
        self.dismiss(message)

    def action_cancel(self) -> None:
        self.dismiss(None)
