"""Overdue pickups (ctrl+o): orders whose window ended; remind, extend, or return to stock.

The customer shows masked (王**, phone ··1234): HQ, not the store, knows how to reach them.
r asks HQ to remind the customer, e extends the window, x returns the goods to stock (a
manager's id and PIN, also when a manager is signed in: the goods leave the order for good).
Every action is one domain call, audited and sent to HQ.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from rich.cells import cell_len
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen, Screen
from textual.signal import Signal
from textual.widgets import DataTable, Input, Label, Static

from edge.clock import utcnow
from edge.domain import board_i18n  # noqa: F401  (registers ui.overdue.* words)
from edge.domain import clerks, orders, overdue
from edge.domain.errors import DomainError
from edge.domain.fulfil_i18n import error_message
from edge.i18n import t
from edge.present import duration_text, local_time
from edge.store import Store
from edge.ui.screens.backroom.board import order_cell
from edge.ui.widgets.footer import LocalFooter
from edge.ui.widgets.form import FieldDialog, form_row, pin_input
from edge.ui.widgets.status_bar import StatusBar

REFRESH_S = 5.0
COLUMNS = ("order", "customer", "phone", "ended", "late", "bags", "reminded")
TIME_FORMAT = "%Y-%m-%d %H:%M"


def _list(store: Store) -> list[overdue.OverdueOrder]:
    return overdue.overdue_orders(store.db)


def _remind(store: Store, order_no: str, clerk_id: str) -> None:
    overdue.send_reminder(store.db, order_no, actor=clerk_id)


def _extend(store: Store, order_no: str, until: datetime, clerk_id: str) -> orders.Order:
    return orders.extend_window(store.db, order_no, until, actor=clerk_id)


def _return(store: Store, order_no: str, manager_id: str, pin: str) -> orders.Order:
    manager = clerks.authenticate_manager(store.db, manager_id, pin)
    return orders.return_to_stock(store.db, order_no, actor=manager.clerk_id)


def parse_local(text: str) -> datetime:
    """'2026-12-02 20:00' (or ISO) typed in the store's local time; ValueError if not."""
    value = datetime.fromisoformat(text.strip().replace("/", "-"))
    return value if value.tzinfo else value.astimezone()


class ExtendScreen(FieldDialog):
    """The new end of the pickup window (local time), prefilled with a day from now."""

    def __init__(self, order_no: str) -> None:
        super().__init__(dialog_id="overdue-extend", prefix="extend", field_id="extend-until",
                         title_key="ui.overdue.extend_title", label_key="ui.overdue.extend_label",
                         help_key="ui.overdue.extend_help", max_length=25, parse=parse_local,
                         value=(utcnow() + timedelta(days=1)).astimezone().strftime(TIME_FORMAT),
                         error_key="ui.overdue.bad_time", order_no=order_no)
        self.order_no = order_no


class ReturnScreen(ModalScreen[str | None]):
    """A manager's id and PIN to return the order's goods to stock; stays open on a wrong PIN.

    Dismisses "" once returned, the reason when the order refused, None on Esc. ``act`` and
    ``title`` make it ask for another manager's decision (a failed delivery's)."""

    BINDINGS = [Binding("escape", "cancel", "ui.key.cancel")]

    def __init__(self, order_no: str, manager_id: str = "", *,
                 act: Callable[..., orders.Order] | None = None,
                 title: str = "ui.overdue.return_title", help_key: str = "ui.overdue.return_help",
                 done: str = "returned") -> None:
        super().__init__(id="overdue-return")
        self.order_no = order_no
        self.manager_id = manager_id
        self.act = act or _return
        self.title_key, self.help_key, self.done = title, help_key, done

    def compose(self) -> ComposeResult:
        lang = self.app.lang  # type: ignore[attr-defined]
        with Vertical(classes="dialog"):
            yield Static(t(self.title_key, lang, order_no=self.order_no),
                         classes="dialog-title")
            yield form_row("return-manager-label",
                           Input(self.manager_id, id="return-manager", max_length=16))
            yield form_row("return-pin-label", pin_input("return-pin"))
            yield Static(id="return-error", classes="dialog-error")
            yield Static(t(self.help_key, lang), classes="dialog-help")

    def on_mount(self) -> None:
        lang = self.app.lang  # type: ignore[attr-defined]
        self.query_one("#return-manager-label", Label).update(t("ui.override.manager", lang))
        self.query_one("#return-pin-label", Label).update(t("ui.override.pin", lang))
        self.query_one("#return-pin" if self.manager_id else "#return-manager", Input).focus()

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "return-manager":
            self.query_one("#return-pin", Input).focus()
        else:
            self.confirm()

    @work(exclusive=True, group="overdue-return")
    async def confirm(self) -> None:
        lang = self.app.lang  # type: ignore[attr-defined]
        manager = self.query_one("#return-manager", Input).value.strip()
        pin_field = self.query_one("#return-pin", Input)
        try:
            order = await self.app.service.call(  # type: ignore[attr-defined]
                self.act, self.order_no, manager, pin_field.value)
        except DomainError as exc:
            pin_field.value = ""
            if not exc.code.startswith("auth."):
                self.dismiss(error_message(exc, lang))
                return
            self.query_one("#return-error", Static).update(error_message(exc, lang))
            pin_field.focus()
            return
        self.dismiss("" if order.status == self.done else None)

    def action_cancel(self) -> None:
        self.dismiss(None)


class OverdueScreen(Screen[None]):
    """The list of overdue pickups and what to do about each."""

    CSS_PATH = "overdue.tcss"
    BINDINGS = [
        Binding("escape", "back", "ui.board.key.back"),
        Binding("r", "remind", "ui.overdue.key.remind"),
        Binding("e", "extend", "ui.overdue.key.extend"),
        Binding("x", "return_stock", "ui.overdue.key.return"),
    ]

    def __init__(self) -> None:
        super().__init__(id="overdue")
        self.rows: list[overdue.OverdueOrder] = []
        self.loaded = False
        self.drawn_at = utcnow()
        # published once the list on screen is up to date (tests wait on it)
        self.listed: Signal[int] = Signal(self, "listed")

    def compose(self) -> ComposeResult:
        yield StatusBar(id="status-bar")
        yield Static(id="overdue-title")
        yield DataTable(id="overdue-table", cursor_type="row", zebra_stripes=True)
        yield Static(id="overdue-message")
        yield LocalFooter()

    def on_mount(self) -> None:
        self.watch(self.app, "lang", lambda _lang: self._draw(), init=False)
        self.set_interval(REFRESH_S, self.load)
        self.load()
        self.query_one("#overdue-table", DataTable).focus()

    @work(exclusive=True, group="overdue-load")
    async def load(self) -> None:
        rows = await self.app.service.call(_list)  # type: ignore[attr-defined]
        stale = utcnow() - self.drawn_at > timedelta(minutes=1)  # "overdue for" moves on
        changed = rows != self.rows or not self.loaded or stale
        self.rows, self.loaded = rows, True
        if changed:  # the 5 s refresh leaves the table (cursor, scroll) alone otherwise
            self._draw()
        self.listed.publish(len(self.rows))

    def _draw(self) -> None:
        lang = self.app.lang  # type: ignore[attr-defined]
        now = self.drawn_at = utcnow()
        title = self.query_one("#overdue-title", Static)
        title.update(t("ui.overdue.title", lang, n=len(self.rows)) if self.rows or not self.loaded
                     else t("ui.overdue.none", lang))
        table = self.query_one("#overdue-table", DataTable)
        keep = self._current()
        store_id = self.app.store_id  # type: ignore[attr-defined]
        cells = []
        for row in self.rows:
            reminded = str(row.reminders) if row.reminders else "—"
            if row.last_reminded is not None:
                reminded += " " + local_time(row.last_reminded)
            cells.append((row.order_no, [
                order_cell(row.order_no, store_id), row.customer_masked,
                t("ui.overdue.phone", lang, last4=row.phone_last4), local_time(row.window_end),
                duration_text(now - row.window_end, lang), f"{row.bags_packed}/{row.bags}", reminded]))
        headers = [t(f"ui.overdue.col.{c}", lang) for c in COLUMNS]
        table.clear(columns=True)
        # widths fixed from every cell up front: the layout never depends on when the table
        # gets round to measuring its rows
        for i, header in enumerate(headers):
            table.add_column(header, width=max([cell_len(header)] + [cell_len(str(c[i])) for _, c in cells]))
        for key, row_cells in cells:
            table.add_row(*row_cells, key=key)
        table.display = bool(self.rows)
        if keep is not None and keep in {r.order_no for r in self.rows}:
            table.move_cursor(row=table.get_row_index(keep))

    def _current(self) -> str | None:
        table = self.query_one("#overdue-table", DataTable)
        if not self.rows or table.row_count == 0:
            return None
        return self.rows[min(max(table.cursor_row, 0), len(self.rows) - 1)].order_no

    def _say(self, text: str, error: bool = False) -> None:
        message = self.query_one("#overdue-message", Static)
        message.update(text)
        message.set_class(error, "-error")

    def _clerk_id(self) -> str | None:
        clerk = self.app.clerk  # type: ignore[attr-defined]
        return clerk.clerk_id if clerk else None

    @work(exclusive=True, group="overdue-action")
    async def action_remind(self) -> None:
        order_no, clerk_id, lang = self._current(), self._clerk_id(), self.app.lang  # type: ignore[attr-defined]
        if order_no is None or clerk_id is None:
            self.app.bell()
            return
        try:
            await self.app.service.call(_remind, order_no, clerk_id)  # type: ignore[attr-defined]
        except DomainError as exc:
            self.app.bell()
            self._say(error_message(exc, lang), error=True)
            return
        self._say(t("ui.overdue.reminded", lang, order_no=order_no))
        self.load()

    def action_extend(self) -> None:
        order_no, clerk_id = self._current(), self._clerk_id()
        if order_no is None or clerk_id is None:
            self.app.bell()
            return
        self.app.push_screen(ExtendScreen(order_no),
                             lambda until: self._extended(order_no, clerk_id, until))

    @work(exclusive=True, group="overdue-action")
    async def _extended(self, order_no: str, clerk_id: str, until: datetime | None) -> None:
        if until is None:
            return
        lang = self.app.lang  # type: ignore[attr-defined]
        try:
            await self.app.service.call(_extend, order_no, until, clerk_id)  # type: ignore[attr-defined]
        except DomainError as exc:
            self.app.bell()
            self._say(error_message(exc, lang), error=True)
            return
        self._say(t("ui.overdue.extended", lang, order_no=order_no, until=local_time(until)))
        self.load()

    def action_return_stock(self) -> None:
        order_no = self._current()
        if order_no is None:
            self.app.bell()
            return
        clerk = self.app.clerk  # type: ignore[attr-defined]
        manager_id = clerk.clerk_id if clerk is not None and clerk.is_manager else ""
        self.app.push_screen(ReturnScreen(order_no, manager_id),
                             lambda refused: self._returned(order_no, refused))

    def _returned(self, order_no: str, refused: str | None) -> None:
        if refused == "":
            self._say(t("ui.overdue.returned", self.app.lang, order_no=order_no))  # type: ignore[attr-defined]
        elif refused:
            self.app.bell()
            self._say(refused, error=True)
        self.load()

    def action_back(self) -> None:
        self.app.pop_screen()
