"""One small dialog for a manager's stock action on one SKU: count, adjust, grant, take back.

Enter saves through the domain (which checks the role again and writes audit + outbox in one
transaction); a refusal is shown in the dialog and changes nothing; Esc cancels.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Select, Static

from edge.domain import stock
from edge.domain.errors import DomainError
from edge.i18n import t
from edge.store import Store
from edge.ui.screens.stock import text  # noqa: F401  (registers ui.stock.*)
from edge.ui.widgets.form import form_row
from edge.ui.context import UserContext

ACTIONS = ("count", "adjust", "grant", "revoke")


@dataclass(frozen=True)
class Target:
    """The SKU (and lot, for an adjustment) the action is about, as the screen showed it."""

    sku: str
    name: str
    levels: stock.Levels
    lot: str | None = None


def apply(store: Store, action: str, target: Target, qty: int, reason: str | None,
          actor: str) -> stock.Levels:
    """Run one action as ``actor`` (store thread); the SKU's levels after it."""
    db = store.db
    if action == "count":
        stock.count(db, sku=target.sku, counted=qty, based_on=target.levels.on_hand, actor=actor)
    elif action == "adjust":
        stock.adjust(db, sku=target.sku, qty=qty, reason=reason or "", actor=actor, lot=target.lot)
    elif action == "grant":
        stock.grant_allotment(db, sku=target.sku, qty=qty, actor=actor)
    else:
        stock.revoke_allotment(db, sku=target.sku, qty=qty, actor=actor)
    return stock.levels(db, target.sku)


class StockActionScreen(UserContext, ModalScreen["stock.Levels | None"]):
    """Dismisses with the SKU's new levels, or None when cancelled."""

    BINDINGS = [Binding("escape", "cancel", "ui.key.cancel")]

    def __init__(self, action: str, target: Target, actor: str, *, reason: str = "damaged",
                 qty: int | None = None) -> None:
        """``reason`` and ``qty`` pre-fill an adjustment (an expired lot: all of it, expired)."""
        super().__init__(classes="stock-action")
        assert action in ACTIONS
        self.action_name, self.target, self.actor = action, target, actor
        self.reason, self.qty = reason, qty


    def compose(self) -> ComposeResult:
        lang, tg, lv = self.lang, self.target, self.target.levels
        lot = t("ui.stock.dialog.lot", lang, lot=tg.lot) if tg.lot else ""
        title = t(f"ui.stock.dialog.{self.action_name}", lang, sku=tg.sku, name=tg.name, lot=lot,
                  on_hand=lv.on_hand, sellable=lv.sellable, allotment=lv.allotment)
        signed = self.action_name == "adjust"
        field = "counted" if self.action_name == "count" else ("signed" if signed else "qty")
        qty = Input("" if self.qty is None else str(self.qty), id="stock-qty", max_length=7,
                    restrict=r"-?\d*" if signed else r"\d*")
        with Vertical(classes="dialog"):
            yield Static(title, classes="dialog-title")
            yield Static(t(f"ui.stock.help.{self.action_name}", lang), classes="dialog-help")
            yield form_row("stock-qty-label", qty)
            if signed:
                options = [(t(f"stock.reason.{r}", lang), r) for r in stock.ADJUST_REASONS]
                yield form_row("stock-reason-label", Select(options, id="stock-reason",
                                                            allow_blank=False, value=self.reason))
            yield Static(id="stock-error", classes="dialog-error")
            yield Static(t("ui.stock.help.keys_reason" if signed else "ui.stock.help.keys", lang),
                         classes="dialog-help")
        self._field = field

    def on_mount(self) -> None:
        self.query_one("#stock-qty-label", Static).update(t(f"ui.stock.field.{self._field}", self.lang))
        if self.action_name == "adjust":
            self.query_one("#stock-reason-label", Static).update(t("ui.stock.field.reason", self.lang))
        self.query_one("#stock-qty", Input).focus()

    def on_select_changed(self, event: Select.Changed) -> None:
        """A reason chosen: back to the quantity, where Enter saves."""
        event.stop()
        self.query_one("#stock-qty", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.save()

    @work(exclusive=True, group="stock-action")
    async def save(self) -> None:
        raw = self.query_one("#stock-qty", Input).value.strip()
        error = self.query_one("#stock-error", Static)
        try:
            qty = int(raw)
        except ValueError:
            self.app.bell()
            error.update(t("ui.stock.bad_number", self.lang))
            return
        reason: Any = None
        if self.action_name == "adjust":
            reason = self.query_one("#stock-reason", Select).value
        try:
            levels = await self.app.service.call(  # type: ignore[attr-defined]
                apply, self.action_name, self.target, qty, reason, self.actor)
        except DomainError as exc:
            self.app.bell()
            error.update(t(exc.code, self.lang, **exc.params))
            return
        self.dismiss(levels)

    def action_cancel(self) -> None:
        self.dismiss(None)
