"""Delivery (ctrl+y): courier hand-off at the counter or back door, the store clerk's own
deliveries, and failed ones for the manager.

Type or scan the courier's pickup code or a parcel's bag label, Enter: the verdict is the
counter's (wrong store, cancelled, unpaid...) plus the parcel's (already collected by whom,
not packed). Type the courier's name (empty: the rider the platform named, or for the store
clerk's own order the signed-in clerk), F5 hands the parcels over. In the list below (↑/↓), for an order the clerk carries:
ctrl+d delivered (the customer's delivery code), ctrl+f failed (not at home); for a failed
one a manager's ID and PIN: ctrl+r back to stock, ctrl+g try again.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import partial

from rich.cells import cell_len
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.signal import Signal
from textual.widgets import DataTable, Input, Label, Static

from edge.clock import utcnow
from edge.domain import delivery, delivery_eta
from edge.domain.errors import DomainError
from edge.domain.fulfil_i18n import error_message
from edge.i18n import t
from edge.present import courier_text, duration_text, local_time, usual_text, verdict_message
from edge.store import Store
from edge.ui.context import UserContext
from edge.ui.screens.backroom.board import order_cell
from edge.ui.screens.backroom.overdue import ReturnScreen
from edge.ui.widgets.footer import LocalFooter
from edge.ui.widgets.form import FieldDialog, form_row
from edge.ui.widgets.status_bar import StatusBar

REFRESH_S = 5.0
COLUMNS = ("order", "by", "left", "status", "courier", "address")


def _list(store: Store, now: datetime) -> tuple[list[delivery.OpenDelivery], delivery_eta.UsualTimes]:
    return delivery.open_deliveries(store.db), delivery_eta.usual_times(store.db, now)


def _check(store: Store, text: str) -> delivery.Handoff:
    return delivery.check(store, text)


def _hand_off(store: Store, order_no: str, zone: str | None, courier: str, clerk_id: str):
    return delivery.hand_off(store, order_no, clerk_id=clerk_id, courier_name=courier or None, zone=zone)


def _deliver(store: Store, order_no: str, code: str, clerk_id: str):
    return delivery.deliver(store, order_no, code, clerk_id=clerk_id)


def _fail(store: Store, order_no: str, clerk_id: str):
    return delivery.fail(store, order_no, clerk_id=clerk_id, reason="not_home")


def _decide(decision: str, store: Store, order_no: str, manager_id: str, pin: str):
    return delivery.decide(store, order_no, decision, manager_id=manager_id, pin=pin)


def code_dialog(order_no: str) -> FieldDialog:
    """The customer's delivery code, typed by the clerk at the door."""
    return FieldDialog(dialog_id="delivery-code", prefix="delivery-code", field_id="delivery-code-input",
                       title_key="ui.delivery.code_title", label_key="ui.delivery.code",
                       help_key="ui.delivery.code_help", max_length=11, restrict=r"\d*",
                       order_no=order_no)


class DeliveryScreen(UserContext, Screen[None]):
    """Couriers collect here; the store's own deliveries and failed ones are listed below."""

    CSS_PATH = "delivery.tcss"
    BINDINGS = [
        Binding("escape", "back", "ui.board.key.back"),
        Binding("f5", "hand_off", "ui.delivery.key.hand_off"),
        # priority: the scan field would take ctrl+d as "delete to the right"
        Binding("ctrl+d", "delivered", "ui.delivery.key.delivered", priority=True),
        Binding("ctrl+f", "failed", "ui.delivery.key.failed"),
        Binding("ctrl+r", "decide('return')", "ui.delivery.key.return"),
        Binding("ctrl+g", "decide('retry')", "ui.delivery.key.retry"),
    ]

    def __init__(self) -> None:
        super().__init__(id="delivery")
        self.rows: list[delivery.OpenDelivery] = []
        self.usual: delivery_eta.UsualTimes | None = None
        self.handoff: delivery.Handoff | None = None
        self.loaded = False
        self.listed: Signal[int] = Signal(self, "listed")  # the list is up to date (tests)
        self.checked: Signal[str] = Signal(self, "checked")  # a verdict is shown (tests)

    def compose(self) -> ComposeResult:
        yield StatusBar(id="status-bar")
        yield Static(id="delivery-title")
        yield form_row("delivery-scan-label", Input(id="delivery-scan", max_length=80))
        yield form_row("delivery-courier-label", Input(id="delivery-courier", max_length=delivery.MAX_COURIER_NAME))
        yield Static(id="delivery-verdict")
        yield Static(id="delivery-usual")
        yield DataTable(id="delivery-table", cursor_type="row", zebra_stripes=True)
        yield LocalFooter()

    def on_mount(self) -> None:
        self.watch(self.app, "lang", lambda _lang: self._draw(), init=False)
        self.set_interval(REFRESH_S, self.load)
        self.load()
        self.query_one("#delivery-scan", Input).focus()

    # -- the list ---------------------------------------------------------------------------------
    @work(exclusive=True, group="delivery-load")
    async def load(self) -> None:
        self.rows, self.usual = await self.app.service.call(_list, utcnow())  # type: ignore[attr-defined]
        self.loaded = True
        self._draw()
        self.listed.publish(len(self.rows))

    def _draw(self) -> None:
        lang, now = self.lang, utcnow()
        self.query_one("#delivery-title", Static).update(t("ui.delivery.title", lang, n=len(self.rows)))
        self.query_one("#delivery-scan-label", Label).update(t("ui.delivery.scan", lang))
        self.query_one("#delivery-courier-label", Label).update(t("ui.delivery.courier", lang))
        if self.usual is not None:
            self.query_one("#delivery-usual", Static).update(usual_text(self.usual, lang))
        table = self.query_one("#delivery-table", DataTable)
        keep = self._current()
        cells = [(row.order_no, self._cells(row, now, lang)) for row in self.rows]
        headers = [t(f"ui.delivery.col.{c}", lang) for c in COLUMNS]
        table.clear(columns=True)
        for i, header in enumerate(headers):  # widths from every cell up front (stable layout)
            width = max([cell_len(header)] + [cell_len(str(c[i])) for _, c in cells])
            table.add_column(header, width=min(width, 24))
        for key, row_cells in cells:
            table.add_row(*row_cells, key=key)
        if keep is not None and keep in {r.order_no for r in self.rows}:
            table.move_cursor(row=table.get_row_index(keep))

    def _cells(self, row: delivery.OpenDelivery, now: datetime, lang: str) -> list[str]:
        left = row.promised_at - now
        if left < timedelta(0):
            timing = t("board.late", lang, dur=duration_text(-left, lang))
        else:
            timing = t("board.left", lang, dur=duration_text(left, lang))
            if (row.status not in ("out_for_delivery",) and self.usual is not None
                    and delivery_eta.at_risk(row.promised_at, row.packed, self.usual, now)):
                timing = "⚠" + timing
        courier = (row.couriers or courier_text(row.courier_expected, lang)
                   or t(f"delivery.mode.{row.courier_mode}", lang))
        return [order_cell(row.order_no, self.app.store_id),  # type: ignore[attr-defined]
                local_time(row.promised_at, with_date=False), timing,
                t(f"status.{row.status}", lang), courier, row.address]

    def _current(self) -> str | None:
        table = self.query_one("#delivery-table", DataTable)
        if not self.rows or table.row_count == 0:
            return None
        return self.rows[min(max(table.cursor_row, 0), len(self.rows) - 1)].order_no

    def _say(self, text: str, error: bool = False) -> None:
        box = self.query_one("#delivery-verdict", Static)
        box.update(text)
        box.set_class(error, "-error")

    # -- courier hand-off -------------------------------------------------------------------------
    @on(Input.Submitted, "#delivery-scan")
    @work(exclusive=True, group="delivery-check")
    async def _check_scan(self, event: Input.Submitted) -> None:
        handoff = await self.app.service.call(_check, event.value)  # type: ignore[attr-defined]
        self.handoff = handoff
        self._say(verdict_message(handoff.verdict, self.lang), error=not handoff.can_hand_off)
        if handoff.can_hand_off:
            self.query_one("#delivery-courier", Input).focus()
        else:
            self.app.bell()
        self.checked.publish(handoff.verdict.kind)

    @on(Input.Submitted, "#delivery-courier")
    def _courier_typed(self, _event: Input.Submitted) -> None:
        self.action_hand_off()

    @work(exclusive=True, group="delivery-action")
    async def action_hand_off(self) -> None:
        h, clerk_id = self.handoff, self.signed_in_id
        if h is None or not h.can_hand_off or h.verdict.order is None or clerk_id is None:
            self.app.bell()
            return
        courier = self.query_one("#delivery-courier", Input).value
        zone = h.zones[0] if len(h.zones) == 1 else None
        try:
            order = await self.app.service.call(  # type: ignore[attr-defined]
                _hand_off, h.verdict.order.order_no, zone, courier, clerk_id)
        except DomainError as exc:
            self.app.bell()
            self._say(error_message(exc, self.lang), error=True)
            return
        name = next((b.courier_name for b in order.bags if b.zone in h.zones), "")
        self._say(t("cli.delivery.handed", self.lang, order_no=order.order_no, courier=name,
                    zones="、".join(t("zone." + z, self.lang) for z in h.zones),
                    status=t("status." + order.status, self.lang)))
        self.handoff = None
        for wid in ("#delivery-scan", "#delivery-courier"):
            self.query_one(wid, Input).value = ""
        self.query_one("#delivery-scan", Input).focus()
        self.load()

    # -- the clerk's own deliveries, failed ones ----------------------------------------------------
    def action_delivered(self) -> None:
        order_no = self._current()
        if order_no is None or self.signed_in_id is None:
            self.app.bell()
            return
        self.app.push_screen(code_dialog(order_no), lambda code: self._delivered(order_no, code))

    @work(exclusive=True, group="delivery-action")
    async def _delivered(self, order_no: str, code: str | None) -> None:
        if code is None:
            return
        await self._act(t("cli.delivery.delivered", self.lang, order_no=order_no),
                        _deliver, order_no, code, self.signed_in_id)

    @work(exclusive=True, group="delivery-action")
    async def action_failed(self) -> None:
        order_no = self._current()
        if order_no is None or self.signed_in_id is None:
            self.app.bell()
            return
        await self._act(t("cli.delivery.failed", self.lang, order_no=order_no,
                          reason=t("delivery.reason.not_home", self.lang)),
                        _fail, order_no, self.signed_in_id)

    async def _act(self, done: str, fn, *args) -> None:
        try:
            await self.app.service.call(fn, *args)  # type: ignore[attr-defined]
        except DomainError as exc:
            self.app.bell()
            self._say(error_message(exc, self.lang), error=True)
            return
        self._say(done)
        self.load()

    def action_decide(self, decision: str) -> None:
        order_no = self._current()
        if order_no is None:
            self.app.bell()
            return
        clerk = self.app.clerk  # type: ignore[attr-defined]
        manager_id = clerk.clerk_id if clerk is not None and clerk.is_manager else ""
        done = "returned" if decision == "return" else "ready"
        self.app.push_screen(
            ReturnScreen(order_no, manager_id, act=partial(_decide, decision),
                         title=f"ui.delivery.{decision}_title", help_key="ui.delivery.decide_help",
                         done=done),
            lambda refused: self._decided(order_no, decision, refused))

    def _decided(self, order_no: str, decision: str, refused: str | None) -> None:
        if refused == "":
            self._say(t("cli.delivery.decided", self.lang, order_no=order_no,
                        decision=t(f"delivery.decision.{decision}", self.lang),
                        status=t("status." + ("returned" if decision == "return" else "ready"), self.lang)))
        elif refused:
            self.app.bell()
            self._say(refused, error=True)
        self.load()

    def action_back(self) -> None:
        self.app.pop_screen()
