"""The staff page (ctrl+u, managers only): everyone who may sign in here, who is locked and
until when; add someone, give a new PIN, unlock, deactivate or take back. Every change is one
domain call (clerks.*), which checks the manager again and writes the audit record."""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Static

from edge.domain import clerks
from edge.domain.errors import DomainError
from edge.i18n import t
from edge.present import staff_state
from edge.store import Store
from edge.ui.screens.confirm import ConfirmScreen
from edge.ui.screens.staff import text  # noqa: F401  (registers ui.staff.*)
from edge.ui.screens.staff.form import StaffFormScreen
from edge.ui.widgets.footer import LocalFooter
from edge.ui.widgets.status_bar import StatusBar
from edge.ui.context import UserContext


def _staff(store: Store) -> list[clerks.StaffMember]:
    return clerks.staff(store.db)


def _unlock(store: Store, clerk_id: str, actor: str) -> str:
    """What came of it, as a message key (the page says it with the id)."""
    done = clerks.unlock(store.db, clerk_id, actor=actor)
    return "staff.unlocked" if done else "staff.not_locked"


def _set_active(store: Store, clerk_id: str, active: bool, actor: str) -> str:
    clerks.set_active(store.db, clerk_id, active, actor=actor)
    return "staff.reactivated" if active else "staff.deactivated"


class StaffScreen(UserContext, Screen[None]):
    """Keys: a add, p new PIN, u unlock, d deactivate / take back, Esc back."""

    CSS_PATH = "staff.tcss"
    BINDINGS = [
        Binding("escape", "back", "ui.key.cancel"),
        Binding("a", "add", "ui.staff.key.add"),
        Binding("p", "reset_pin", "ui.staff.key.reset_pin"),
        Binding("u", "unlock", "ui.staff.key.unlock"),
        Binding("d", "toggle_active", "ui.staff.key.active"),
    ]

    def __init__(self) -> None:
        super().__init__(id="staff")
        self.members: list[clerks.StaffMember] = []
        self.message = ""


    def compose(self) -> ComposeResult:
        yield StatusBar(id="status-bar")
        yield Static(id="staff-title")
        yield DataTable(id="staff-table", cursor_type="row", zebra_stripes=True)
        yield Static(id="staff-message")
        yield LocalFooter()

    def on_mount(self) -> None:
        self.watch(self.app, "lang", lambda _lang: self._show(), init=False)
        self.query_one("#staff-table", DataTable).focus()
        self.load()

    @work(exclusive=True, group="staff-load")
    async def load(self, select: str | None = None) -> None:
        self.members = await self.app.service.call(_staff)  # type: ignore[attr-defined]
        self._show(select)

    def _show(self, select: str | None = None) -> None:
        lang = self.lang
        active = sum(1 for m in self.members if m.active)
        locked = sum(1 for m in self.members if m.active and m.locked)
        self.query_one("#staff-title", Static).update(
            t("ui.staff.title", lang, active=active, locked=locked))
        table = self.query_one("#staff-table", DataTable)
        keep = select or (self.selected.clerk_id if self.selected else None)
        table.clear(columns=True)
        table.add_columns(*(t(f"ui.staff.col.{c}", lang) for c in ("id", "name", "role", "state")))
        for m in self.members:
            state = staff_state(m, lang)
            if m.active and m.failed_pins and not m.locked:
                state += t("ui.staff.wrong_pins", lang, n=m.failed_pins)
            table.add_row(m.clerk_id, m.name, t(f"role.{m.role}", lang), state, key=m.clerk_id)
        ids = [m.clerk_id for m in self.members]
        if keep in ids:
            table.move_cursor(row=ids.index(keep))
        message = self.query_one("#staff-message", Static)
        message.update(self.message)

    @property
    def selected(self) -> clerks.StaffMember | None:
        table = self.query_one("#staff-table", DataTable)
        if not self.members or table.row_count == 0:
            return None
        return self.members[min(table.cursor_row, len(self.members) - 1)]

    def _say(self, message: str, *, bad: bool = False) -> None:
        self.message = message
        widget = self.query_one("#staff-message", Static)
        widget.update(message)
        widget.set_class(bad, "-bad")
        if bad:
            self.app.bell()

    # -- actions -------------------------------------------------------------------------------
    def action_add(self) -> None:
        self.app.push_screen(StaffFormScreen(self.signed_in_id), self._after_form)

    def action_reset_pin(self) -> None:
        member = self.selected
        if member is not None:
            self.app.push_screen(StaffFormScreen(self.signed_in_id, member), self._after_form)

    def _after_form(self, message: str | None) -> None:
        if message:
            self._say(message)
            self.load()

    def action_unlock(self) -> None:
        member = self.selected
        if member is not None:
            self.change(member, _unlock)

    def action_toggle_active(self) -> None:
        member = self.selected
        if member is None:
            return
        key = "ui.staff.confirm_deactivate" if member.active else "ui.staff.confirm_reactivate"
        question = t(key, self.lang, clerk_id=member.clerk_id, name=member.name)
        self.app.push_screen(ConfirmScreen(question), lambda yes: self.change(
            member, _set_active, not member.active) if yes else None)

    @work(exclusive=True, group="staff-act")
    async def change(self, member: clerks.StaffMember, fn, *args: object) -> None:
        """One domain call about ``member`` as the signed-in manager; say what came of it."""
        try:
            said = await self.app.service.call(fn, member.clerk_id, *args, self.signed_in_id)  # type: ignore[attr-defined]
        except DomainError as exc:
            self._say(t(exc.code, self.lang, **exc.params), bad=True)
            return
        self._say(t(said, self.lang, clerk_id=member.clerk_id))
        self.load(member.clerk_id)

    def action_back(self) -> None:
        self.dismiss(None)
