"""Conflicts needing attention (from HQ or found by sync): read them, and a manager marks
each as dealt with. The status bar counts the open ones."""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Static

from edge.domain import conflicts, orders, sync_parked
from edge.domain.errors import DomainError
from edge.i18n import register, t
from edge.present import conflict_detail, local_time
from edge.ui.screens.confirm import ConfirmScreen
from edge.ui.widgets.footer import LocalFooter
from edge.ui.widgets.status_bar import StatusBar

register({
    "ui.key.conflicts": ("冲突", "Conflicts"),
    "ui.key.acknowledge_conflict": ("已处理", "Dealt with"),
    "ui.key.retry_parked": ("重新发送", "Send again"),
    "ui.conflicts.retry_confirm": ("把暂存的事件 #{seq} 重新发送给总部？\n{detail}\n（先确认原因已排除，否则会再次暂存）",
                                   "Send parked event #{seq} to HQ again?\n{detail}\n(fix the cause first, or it is parked again)"),
    "ui.conflicts.retried": ("已重新排队发送（新编号 #{seq}）", "Queued to send again (as #{seq})"),
    "ui.conflicts.not_parked": ("只有「总部拒收」的冲突可以重新发送", "Only an event HQ refused can be sent again"),
    "ui.conflicts.title": ("待处理冲突（总部与门店对不上的事，需要店长处理）",
                           "Conflicts needing attention (where HQ and the store disagree)"),
    "ui.conflicts.none": ("没有待处理的冲突。", "No conflicts need attention."),
    "ui.conflicts.when": ("时间", "When"),
    "ui.conflicts.kind": ("类型", "Kind"),
    "ui.conflicts.order": ("订单/商品", "Order / SKU"),
    "ui.conflicts.detail": ("说明", "Detail"),
    "ui.conflicts.manager_only": ("只有店长能标记冲突已处理", "Only a manager can mark a conflict dealt with"),
    "ui.conflicts.confirm": ("确认已处理这条冲突？{kind} {ref}\n{detail}\n（需退款的，请先确认总部已退款）",
                             "Mark this conflict dealt with? {kind} {ref}\n{detail}\n(for a refund: check HQ has refunded first)"),
    "ui.conflicts.done": ("已标记为已处理", "Marked as dealt with"),
    "conflict.handover_after_cancel": ("取消后已交付", "Handed over after cancel"),
    "conflict.handover_unpaid": ("未付款已交付", "Handed over unpaid"),
    "conflict.refund_due": ("需退款", "Refund due"),
    "conflict.negative_stock": ("库存为负", "Negative stock"),
    "conflict.revoke_short": ("收回配额不足", "Allotment take-back short"),
    "conflict.sync_parked": ("总部拒收（已暂存）", "Refused by HQ (parked)"),
    "conflict.order_number_reused": ("单号重复", "Order number reused"),
    "conflict.order_mismatch": ("订单对不上", "Not the same order"),
})


def _conflicts_with_orders(store) -> tuple[list[conflicts.Conflict], dict[str, orders.Order]]:
    """Open conflicts and the local orders they name (their words come from these)."""
    rows = conflicts.open_conflicts(store.db)
    found = {c.order_no: orders.get_order(store.db, c.order_no) for c in rows if c.order_no}
    return rows, {k: v for k, v in found.items() if v is not None}


class ConflictsScreen(Screen[None]):
    """F5 marks the highlighted conflict dealt with; R sends an event HQ refused (parked)
    again as a new one (managers only, audited)."""

    BINDINGS = [Binding("escape", "back", "ui.key.cancel"),
                Binding("f5", "acknowledge", "ui.key.acknowledge_conflict"),
                Binding("r", "retry_parked", "ui.key.retry_parked")]

    def __init__(self) -> None:
        super().__init__(id="conflicts")
        self.rows: list[conflicts.Conflict] = []
        self.orders: dict[str, orders.Order] = {}

    def compose(self) -> ComposeResult:
        yield StatusBar(id="status-bar")
        yield Static(id="conflicts-title", classes="dialog-title")
        yield DataTable(id="conflicts-table", cursor_type="row", zebra_stripes=True)
        yield LocalFooter()

    def on_mount(self) -> None:
        self.watch(self.app, "lang", lambda _lang: self._relabel(), init=False)
        self.load()

    @work(exclusive=True, group="conflicts")
    async def load(self) -> None:
        self.rows, self.orders = await self.app.service.call(_conflicts_with_orders)  # type: ignore[attr-defined]
        self._relabel()
        self.query_one("#conflicts-table", DataTable).focus()

    def _relabel(self) -> None:
        lang = self.app.lang  # type: ignore[attr-defined]
        self.query_one("#conflicts-title", Static).update(
            t("ui.conflicts.title", lang) if self.rows else t("ui.conflicts.none", lang))
        table = self.query_one("#conflicts-table", DataTable)
        table.clear(columns=True)
        table.add_columns(*(t(f"ui.conflicts.{c}", lang) for c in ("when", "kind", "order", "detail")))
        for c in self.rows:
            table.add_row(local_time(c.noted_at), t(f"conflict.{c.kind}", lang),
                          c.order_no or c.sku or "",
                          conflict_detail(c, self.orders.get(c.order_no or ""), lang), key=c.conflict_id)

    def _chosen_by_manager(self) -> conflicts.Conflict | None:
        """The highlighted conflict, if a manager is signed in (else a bell and why)."""
        app = self.app
        clerk = app.clerk  # type: ignore[attr-defined]
        if not self.rows:
            return None
        if clerk is None or not clerk.is_manager:
            app.bell()
            self.notify(t("ui.conflicts.manager_only", app.lang), severity="error")  # type: ignore[attr-defined]
            return None
        table = self.query_one("#conflicts-table", DataTable)
        return self.rows[min(table.cursor_row, len(self.rows) - 1)]

    def action_retry_parked(self) -> None:
        """Send a parked event again (after its cause is fixed), asking first."""
        app = self.app
        lang = app.lang  # type: ignore[attr-defined]
        conflict = self._chosen_by_manager()
        if conflict is None:
            return
        if conflict.kind != sync_parked.KIND:
            app.bell()
            self.notify(t("ui.conflicts.not_parked", lang), severity="warning")
            return
        seq = int(conflict.conflict_id.split(":", 1)[1])
        clerk_id = app.clerk.clerk_id  # type: ignore[attr-defined]
        app.push_screen(ConfirmScreen(t("ui.conflicts.retry_confirm", lang, seq=seq, detail=conflict.detail)),
                        lambda yes: self.retry(seq, clerk_id) if yes else None)

    @work(exclusive=True, group="conflicts")
    async def retry(self, seq: int, clerk_id: str) -> None:
        lang = self.app.lang  # type: ignore[attr-defined]
        try:
            new_seq = await self.app.service.call(  # type: ignore[attr-defined]
                lambda store: sync_parked.retry(store.db, seq, actor=clerk_id))
        except DomainError as exc:
            self.notify(t(exc.code, lang, **exc.params), severity="error")
            return
        self.notify(t("ui.conflicts.retried", lang, seq=new_seq))
        self.load()

    def action_acknowledge(self) -> None:
        """Ask first: a refund conflict closed by mistake is a customer never refunded."""
        app = self.app
        lang = app.lang  # type: ignore[attr-defined]
        conflict = self._chosen_by_manager()
        if conflict is None:
            return
        question = t("ui.conflicts.confirm", lang, kind=t(f"conflict.{conflict.kind}", lang),
                     ref=conflict.order_no or conflict.sku or "", detail=conflict.detail)
        clerk_id = app.clerk.clerk_id  # type: ignore[attr-defined]
        app.push_screen(ConfirmScreen(question),
                        lambda yes: self.acknowledge(conflict.conflict_id, clerk_id) if yes else None)

    @work(exclusive=True, group="conflicts")
    async def acknowledge(self, conflict_id: str, clerk_id: str) -> None:
        lang = self.app.lang  # type: ignore[attr-defined]
        try:
            await self.app.service.call(  # type: ignore[attr-defined]
                lambda store: conflicts.acknowledge(store.db, conflict_id, actor=clerk_id))
        except DomainError as exc:
            self.notify(t(exc.code, lang, **exc.params), severity="error")
            return
        self.notify(t("ui.conflicts.done", lang))
        self.load()

    def action_back(self) -> None:
        self.dismiss(None)
