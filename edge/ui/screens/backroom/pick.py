"""Pick (from the task board's ``p``): one order or a wave.

The pick list per temperature zone, summed by SKU, in shelf order, with the first-expiring
lot to take. Scanning a product's barcode (or typing its SKU, Enter) picks one unit; a wrong
product says so, beeps and picks nothing. F5 marks the selected line picked, F6 reports it
short (a manager then decides: ctrl+d, or F11 where the terminal lets it through), ctrl+k
goes on to packing. Scans from any scanner land here while the screen is open
(``take_scan``). Actions are on function and ctrl keys: a scan typed into the field must
never trigger one.
"""

from __future__ import annotations

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static

from edge.domain import clerks, orders, picking
from edge.domain.errors import DomainError
from edge.domain.fulfil_i18n import error_message, skipped_text
from edge.i18n import register, t
from edge.ui.screens.backroom.wave import WaveScreen
from edge.ui.widgets.form import form_row, pin_input

register({
    "ui.pick.key.picked": ("已拣", "Picked"),
    "ui.pick.key.short": ("缺货", "Short"),
    "ui.pick.key.decide": ("店长决定", "Decide"),
    "ui.pick.key.to_pack": ("去打包", "Pack"),
    "ui.pick.key.back": ("返回", "Back"),
    "ui.pick.key.ready_without": ("缺项备齐", "Without"),
    "ui.pick.key.wait": ("等货", "Wait"),
    "ui.pick.title": ("拣货 {count} 单：{orders}", "Pick {count} order(s): {orders}"),
    "ui.pick.progress": ("已拣 {picked}/{total} 件　缺货 {short} 件", "Picked {picked}/{total}  short {short}"),
    "ui.pick.placeholder": ("扫商品条码 / 输入商品编号，回车", "scan a product barcode / type a SKU, Enter"),
    "ui.pick.col.shelf": ("货位", "Shelf"),
    "ui.pick.col.item": ("商品", "Item"),
    "ui.pick.col.need": ("要", "Need"),
    "ui.pick.col.picked": ("已拣", "Got"),
    "ui.pick.col.short": ("缺", "Short"),
    "ui.pick.col.lot": ("先拿批次", "Take lot"),
    "ui.pick.loading": ("正在生成拣货单…", "Building the pick list…"),
    "ui.pick.empty": ("这些订单没有要拣的商品。", "Nothing to pick in these orders."),
    "ui.pick.picked": ("✔ {name} ×{qty} → {orders}", "✔ {name} ×{qty} → {orders}"),
    "ui.pick.all_done": ("✔ 全部拣完：按 Ctrl+K 打包", "✔ Everything picked: ctrl+k to pack"),
    "ui.pick.shorted": ("已报缺货 {sku} ×{qty}：{orders} 等店长决定（Ctrl+D）", "{sku} ×{qty} reported short: {orders} wait for a manager (ctrl+d)"),
    "ui.pick.waiting": ("缺货待店长决定：{orders}", "Short, waiting for a manager: {orders}"),
    "ui.pick.sign_in": ("请先登录（F2）", "Sign in first (F2)"),
    "ui.pick.choose_line": ("先用 ↑↓ 选一行商品", "Choose an item line with ↑↓ first"),
    "ui.pick.help": ("扫码拣一件 · ↑↓ 选行 · F5 整行已拣 · F6 缺货 · Ctrl+D 店长决定 · Ctrl+K 打包",
                     "Scan: 1 unit · ↑↓ line · F5 picked · F6 short · ctrl+d decide · ctrl+k pack"),
    "ui.short.title": ("缺货：{name}", "Short: {name}"),
    "ui.short.qty": ("缺几件", "How many"),
    "ui.short.help": ("最多 {open} 件。回车/F5 确认，Esc 取消。缺的件数记为丢失并通知总部。",
                      "At most {open}. Enter/F5 confirms, Esc cancels. The units are booked missing and HQ is told."),
    "ui.short.bad_qty": ("请输入 1 到 {open} 之间的数字", "Type a number from 1 to {open}"),
    "ui.decide.title": ("缺货决定：订单 {order_no}", "Short pick: order {order_no}"),
    "ui.decide.lines": ("缺：{lines}", "Missing: {lines}"),
    "ui.decide.help": ("F5 缺项备齐（缺的由总部退款，其余照常取货）· F6 等货到再拣 · Esc 取消",
                       "F5 ready without the missing (HQ refunds them) · F6 wait for the goods · Esc cancel"),
    "ui.decide.manager": ("店长工号", "Manager"),
    "ui.decide.pin": ("密码", "PIN"),
    "ui.decide.done": ("订单 {order_no}：{decision}", "Order {order_no}: {decision}"),
    "ui.decide.none": ("没有等店长决定的缺货", "No short pick is waiting for a decision"),
})


def _name(line, lang: str) -> str:
    return line.name_zh if lang == "zh-CN" else line.name_en


class PickScreen(WaveScreen):
    """Picks one order or a wave; ``order_nos`` as the task board chose them."""

    PART = "pick"
    BINDINGS = [
        Binding("f5", "picked", "ui.pick.key.picked"),
        Binding("f6", "short", "ui.pick.key.short"),
        # ctrl+d over the scan field's own ctrl+d; F11 is often the terminal's full screen
        Binding("ctrl+d,f11", "decide", "ui.pick.key.decide", priority=True),
        Binding("ctrl+k", "to_pack", "ui.pick.key.to_pack", priority=True),  # over Input's ctrl+k
        Binding("escape", "back", "ui.pick.key.back"),
        Binding("up", "cursor(-1)", show=False),
        Binding("down", "cursor(1)", show=False),
    ]

    def __init__(self, order_nos: list[str]) -> None:
        super().__init__(order_nos)
        self.pick_list: picking.PickList | None = None
        self.waiting: list[str] = []  # orders of the wave whose short waits for a manager
        self.focus_sku: str | None = None

    # -- reading ---------------------------------------------------------------------------------
    @work(exclusive=True, group="pick-load")
    async def reload(self) -> None:
        await self._refresh()

    async def _refresh(self) -> None:
        try:
            self.pick_list, self.waiting = await self.app.service.call(  # type: ignore[attr-defined]
                _load, self.order_nos)
        except DomainError as exc:  # an order closed meanwhile (cancelled by HQ)
            self.say(error_message(exc, self.lang), "error")
            return
        self.show()

    def show_table(self) -> None:
        lang, table = self.lang, self.table
        row = table.cursor_row
        table.clear(columns=True)
        table.add_column("", width=1)
        table.add_column(t("ui.pick.col.shelf", lang), width=6)
        table.add_column(t("ui.pick.col.item", lang), width=24)
        for key in ("need", "picked", "short"):
            table.add_column(t(f"ui.pick.col.{key}", lang), width=5)
        table.add_column(t("ui.pick.col.lot", lang), width=17)
        pick_list = self.pick_list
        if pick_list is None:
            return
        for zone in pick_list.zones():
            table.add_row("", "", Text(f"■ {t('zone.' + zone, lang)}", style="bold"), "", "",
                          "", "", key=f"zone:{zone}")
            for line in pick_list.for_zone(zone):
                table.add_row(*self._cells(line), key=line.sku)
        self.progress(t("ui.pick.progress", lang, picked=sum(ln.picked for ln in pick_list.lines),
                        total=sum(ln.qty for ln in pick_list.lines),
                        short=sum(ln.short for ln in pick_list.lines)))
        if self.focus_sku is not None and self.focus_sku in table.rows:
            table.move_cursor(row=table.get_row_index(self.focus_sku))
        elif table.row_count:
            table.move_cursor(row=min(max(row, 1), table.row_count - 1))

    def _cells(self, line: picking.PickLine) -> tuple:
        style = "green" if line.done else ("bold yellow" if line.short else "")
        lot = f"{line.lot or '-'} {(line.expiry or '')[5:]}".strip()
        return (Text("✔" if line.done else "·", style=style), line.shelf or "-",
                Text(_name(line, self.lang), style=style), str(line.qty), str(line.picked),
                Text(str(line.short or ""), style="bold red"), lot)

    def idle_message(self) -> tuple[str, str]:
        if self.waiting:
            return t("ui.pick.waiting", self.lang, orders=", ".join(self.waiting)), "warn"
        if self.pick_list is not None and self.pick_list.skipped:
            return skipped_text(self.pick_list.skipped, self.lang), "warn"
        if self.pick_list is not None and not self.pick_list.lines:
            return t("ui.pick.empty", self.lang), "info"
        if self.pick_list is not None and self.pick_list.done:
            return t("ui.pick.all_done", self.lang), "ok"
        return "", ""

    def selected(self) -> picking.PickLine | None:
        key = self.selected_key()
        return self.pick_list.line(key) if self.pick_list is not None and key else None

    # -- scanning and keys -----------------------------------------------------------------------
    async def handle_scan(self, text: str) -> None:
        await self._pick(lambda store, clerk: picking.pick_scan(store.db, self.order_nos, text,
                                                                actor=clerk))

    async def _pick(self, fn) -> None:
        clerk = self.app.clerk  # type: ignore[attr-defined]
        if clerk is None:
            self.say(t("ui.pick.sign_in", self.lang), "error")
            return
        try:
            picked = await self.app.service.call(  # type: ignore[attr-defined]
                lambda store: fn(store, clerk.clerk_id))
        except DomainError as exc:
            self.app.bell()
            self.say(error_message(exc, self.lang), "error")
            return
        self.focus_sku = picked.sku
        name = picked.name_zh if self.lang == "zh-CN" else picked.name_en
        self.say(t("ui.pick.picked", self.lang, name=name, qty=picked.qty,
                   orders=", ".join(picked.orders)), "ok")
        await self._refresh()

    def action_cursor(self, step: int) -> None:
        self.move_cursor(step)
        self.focus_sku = None

    def action_picked(self) -> None:
        line = self.selected()
        if line is None:
            self.say(t("ui.pick.choose_line", self.lang), "warn")
            return
        self.in_turn(self._pick(lambda store, clerk: picking.pick_units(
            store.db, self.order_nos, line.sku, actor=clerk)))

    def action_short(self) -> None:
        line = self.selected()
        if line is None or line.remaining <= 0:
            self.say(t("ui.pick.choose_line", self.lang), "warn")
            return
        self.app.push_screen(ShortScreen(line), lambda qty: self._short_chosen(line.sku, qty))

    def _short_chosen(self, sku: str, qty: int | None) -> None:
        if qty:
            self.in_turn(self._report_short(sku, qty))

    async def _report_short(self, sku: str, qty: int) -> None:
        clerk = self.app.clerk  # type: ignore[attr-defined]
        if clerk is None:
            self.say(t("ui.pick.sign_in", self.lang), "error")
            return
        try:
            waiting = await self.app.service.call(  # type: ignore[attr-defined]
                lambda store: picking.short_pick(store.db, self.order_nos, sku, qty,
                                                 actor=clerk.clerk_id))
        except DomainError as exc:
            self.app.bell()
            self.say(error_message(exc, self.lang), "error")
            return
        self.focus_sku = sku
        self.say(t("ui.pick.shorted", self.lang, sku=sku, qty=qty, orders=", ".join(waiting)),
                 "warn")
        await self._refresh()

    def action_decide(self) -> None:
        if not self.waiting:
            self.say(t("ui.decide.none", self.lang), "info")
            return
        self.app.push_screen(DecisionScreen(self.waiting[0]), self._decided)

    def _decided(self, text: str | None) -> None:
        if text:
            self.say(text, "ok")
        self.reload()

    def action_to_pack(self) -> None:
        from edge.ui.screens.backroom.pack import PackScreen

        self.app.switch_screen(PackScreen(self.order_nos))


def _load(store, order_nos: list[str]) -> tuple[picking.PickList, list[str]]:
    """The pick list and the wave's orders waiting for a manager's decision."""
    waiting = set(picking.awaiting_decision(store.db))
    return picking.pick_list(store.db, order_nos), [n for n in order_nos if n in waiting]


class ShortScreen(ModalScreen[int | None]):
    """How many units of the selected line are not on the shelf."""

    BINDINGS = [Binding("escape", "cancel", "ui.key.cancel"),
                Binding("f5", "confirm", "ui.key.confirm")]

    def __init__(self, line: picking.PickLine) -> None:
        super().__init__(id="short")
        self.line = line

    def compose(self) -> ComposeResult:
        lang = self.app.lang  # type: ignore[attr-defined]
        with Vertical(classes="dialog"):
            yield Static(t("ui.short.title", lang, name=_name(self.line, lang)), classes="dialog-title")
            yield form_row("short-qty-label", Input(str(self.line.remaining), id="short-qty",
                                                    max_length=6))
            yield Static(id="short-error", classes="dialog-error")
            yield Static(t("ui.short.help", lang, open=self.line.remaining), classes="dialog-help")

    def on_mount(self) -> None:
        self.query_one("#short-qty-label", Label).update(t("ui.short.qty", self.app.lang))  # type: ignore[attr-defined]
        self.query_one("#short-qty", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_confirm()

    def action_confirm(self) -> None:
        text = self.query_one("#short-qty", Input).value.strip()
        if not text.isdigit() or not 0 < int(text) <= self.line.remaining:
            self.query_one("#short-error", Static).update(
                t("ui.short.bad_qty", self.app.lang, open=self.line.remaining))  # type: ignore[attr-defined]
            return
        self.dismiss(int(text))

    def action_cancel(self) -> None:
        self.dismiss(None)


class DecisionScreen(ModalScreen[str | None]):
    """The manager's decision on a short pick: a signed-in manager decides at once, anyone
    else needs a manager's id and PIN (checked, and a wrong one counted, by the domain)."""

    BINDINGS = [Binding("escape", "cancel", "ui.key.cancel"),
                Binding("f5", "decide('ready_without')", "ui.pick.key.ready_without"),
                Binding("f6", "decide('wait')", "ui.pick.key.wait")]

    def __init__(self, order_no: str) -> None:
        super().__init__(id="decide")
        self.order_no = order_no

    def compose(self) -> ComposeResult:
        lang = self.app.lang  # type: ignore[attr-defined]
        clerk = self.app.clerk  # type: ignore[attr-defined]
        with Vertical(classes="dialog"):
            yield Static(t("ui.decide.title", lang, order_no=self.order_no), classes="dialog-title")
            yield Static(id="decide-lines", classes="dialog-why")
            if clerk is None or not clerk.is_manager:
                yield form_row("decide-manager-label", Input(id="decide-manager", max_length=16))
                yield form_row("decide-pin-label", pin_input("decide-pin"))
            yield Static(id="decide-error", classes="dialog-error")
            yield Static(t("ui.decide.help", lang), classes="dialog-help")

    def on_mount(self) -> None:
        lang = self.app.lang  # type: ignore[attr-defined]
        for key in ("manager", "pin"):
            for label in self.query(f"#decide-{key}-label"):
                label.update(t(f"ui.decide.{key}", lang))  # type: ignore[attr-defined]
        for field in self.query("#decide-manager"):
            field.focus()
        self.load_lines()

    @work
    async def load_lines(self) -> None:
        order = await self.app.service.call(  # type: ignore[attr-defined]
            lambda store: orders.require_order(store.db, self.order_no))
        lang = self.app.lang  # type: ignore[attr-defined]
        lines = "  ".join(f"{_name(line, lang)} ×{line.qty_short}" for line in order.lines
                          if line.qty_short)
        self.query_one("#decide-lines", Static).update(t("ui.decide.lines", lang, lines=lines))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.input.id == "decide-manager":
            self.query_one("#decide-pin", Input).focus()

    @work(exclusive=True, group="decide")
    async def action_decide(self, decision: str) -> None:
        lang = self.app.lang  # type: ignore[attr-defined]
        clerk = self.app.clerk  # type: ignore[attr-defined]
        manager_id, pin = (clerk.clerk_id, None) if clerk is not None and clerk.is_manager else (
            self.query_one("#decide-manager", Input).value.strip(),
            self.query_one("#decide-pin", Input).value)

        def decide(store):
            manager = manager_id
            if pin is not None:
                manager = clerks.authenticate_manager(store.db, manager_id, pin).clerk_id
            return picking.decide_short(store.db, self.order_no, decision, manager=manager)

        try:
            order = await self.app.service.call(decide)  # type: ignore[attr-defined]
        except DomainError as exc:
            self.app.bell()
            self.query_one("#decide-error", Static).update(error_message(exc, lang))
            for field in self.query("#decide-pin"):
                field.value = ""  # type: ignore[attr-defined]
            return
        self.dismiss(t("ui.decide.done", lang, order_no=order.order_no,
                       decision=t(f"decision.{decision}", lang)))

    def action_cancel(self) -> None:
        self.dismiss(None)
