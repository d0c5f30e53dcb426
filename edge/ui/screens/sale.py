"""A counter sale: scan product barcodes (or type SKUs), F5 completes it.

Opened right after a hand-over, the sale is recorded as an add-on to that pickup: the share
of pickups with an add-on sale is a key figure of the business (day end)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from rich.cells import cell_len
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Input, Static

from edge.domain import catalog, sales
from edge.domain.errors import DomainError
from edge.i18n import register, t
from edge.ui.widgets.footer import LocalFooter
from edge.ui.widgets.status_bar import StatusBar
from edge.ui.context import UserContext

register({
    "ui.key.sale": ("销售", "Sale"),
    "ui.key.complete_sale": ("结账", "Complete"),
    "ui.key.remove_line": ("删一件", "Remove one"),
    "ui.sale.title": ("门店销售：扫商品条码或输入商品编号，回车加入", "Counter sale: scan a product barcode or type a SKU, Enter adds it"),
    "ui.sale.addon": ("加购：记在刚取货的订单 {order_no} 上", "Add-on to the pickup just handed over: {order_no}"),
    "ui.sale.placeholder": ("商品条码 / 编号", "barcode / SKU"),
    "ui.sale.empty": ("还没有商品。扫条码或输入编号后回车。", "No items yet. Scan a barcode or type a SKU, then Enter."),
    "ui.sale.unknown": ("没有这个商品：{text}", "No such product: {text}"),
    "ui.sale.total": ("合计 ￥{total}（{count} 件）", "Total ￥{total} ({count} items)"),
    "ui.sale.done": ("已结账 ￥{total}", "Sale completed: ￥{total}"),
    "ui.sale.item": ("商品", "Item"),
    "ui.sale.qty": ("数量", "Qty"),
    "ui.sale.amount": ("金额", "Amount"),
    "ui.key.payment": ("支付方式", "Payment"),
    "ui.sale.paid_by": ("支付：{method}（F4 切换）", "Paid by: {method} (F4 changes)"),
})


@dataclass
class CartLine:
    sku: str
    name_zh: str
    name_en: str
    price_cents: int
    qty: int = 1


def yuan(cents: int) -> str:
    return f"{cents / 100:.2f}"


class SaleScreen(UserContext, Screen[None]):
    """Nothing is written until F5: then one transaction records the sale (and its receipt)."""

    BINDINGS = [Binding("f5", "complete", "ui.key.complete_sale"),
                Binding("f6", "remove", "ui.key.remove_line"),
                Binding("f4", "payment", "ui.key.payment"),
                Binding("escape", "back", "ui.key.cancel"),
                Binding("up", "move(-1)", show=False),
                Binding("down", "move(1)", show=False)]

    def __init__(self, with_pickup_order_no: str | None = None, saved: dict | None = None) -> None:
        """``saved``: a basket the terminal held when it went away (edge.ui.resume)."""
        super().__init__(id="sale")
        self.with_pickup_order_no = with_pickup_order_no
        self.cart: list[CartLine] = []
        self.selected: str | None = None  # SKU of the line F6 acts on
        self.payment_method = sales.PAYMENT_METHODS[0]  # how the customer pays (day end)
        if saved:
            self._restore(saved)

    def _restore(self, saved: dict) -> None:
        try:
            self.cart = [CartLine(**line) for line in saved.get("cart", [])]
        except TypeError:  # a file from another version: the basket is scanned again
            self.cart = []
        self.with_pickup_order_no = saved.get("with_pickup_order_no") or self.with_pickup_order_no
        if saved.get("payment_method") in sales.PAYMENT_METHODS:
            self.payment_method = saved["payment_method"]
        self.selected = saved.get("selected")

    def _remember(self) -> None:
        """Every change of the basket is saved at once: a closed terminal loses none of it."""
        self.app.session.put("sale", {  # type: ignore[attr-defined]
            "cart": [dataclasses.asdict(line) for line in self.cart], "selected": self.selected,
            "with_pickup_order_no": self.with_pickup_order_no,
            "payment_method": self.payment_method})

    def compose(self) -> ComposeResult:
        yield StatusBar(id="status-bar")
        yield Static(id="sale-title", classes="dialog-title")
        yield Input(id="sale-scan")
        yield DataTable(id="sale-lines", cursor_type="row", zebra_stripes=True)
        yield Static(id="sale-total")
        yield Static(id="sale-message")
        yield LocalFooter()

    def on_mount(self) -> None:
        self.watch(self.app, "lang", lambda _lang: self._show(), init=False)
        self._show()
        self.query_one("#sale-scan", Input).focus()


    def _show(self, message: str = "") -> None:
        lang = self.lang
        title = t("ui.sale.title", lang)
        if self.with_pickup_order_no:
            title += "\n" + t("ui.sale.addon", lang, order_no=self.with_pickup_order_no)
        self.query_one("#sale-title", Static).update(title)
        self.query_one("#sale-scan", Input).placeholder = t("ui.sale.placeholder", lang)
        self._draw_lines()
        total = sum(line.qty * line.price_cents for line in self.cart)
        count = sum(line.qty for line in self.cart)
        paid_by = t("ui.sale.paid_by", lang, method=t(f"payment.{self.payment_method}", lang))
        self.query_one("#sale-total", Static).update(
            (t("ui.sale.total", lang, total=yuan(total), count=count) if self.cart
             else t("ui.sale.empty", lang)) + "\n" + paid_by)
        self.query_one("#sale-message", Static).update(message)

    def _draw_lines(self) -> None:
        """One row per product, amounts right-aligned at their full width; the cursor stays
        on the selected line (the one just scanned, unless the clerk moved it)."""
        lang = self.lang
        table = self.query_one("#sale-lines", DataTable)
        table.clear(columns=True)
        table.add_column(t("ui.sale.item", lang))
        table.add_column(t("ui.sale.qty", lang))
        amounts = ["￥" + yuan(line.qty * line.price_cents) for line in self.cart]
        width = max([cell_len(t("ui.sale.amount", lang))] + [cell_len(a) for a in amounts])
        table.add_column(t("ui.sale.amount", lang), width=width)
        for line, amount in zip(self.cart, amounts):
            name = line.name_zh if lang == "zh-CN" else line.name_en
            table.add_row(name, Text(str(line.qty), justify="right"), Text(amount, justify="right"),
                          key=line.sku)
        if self.cart:
            skus = [line.sku for line in self.cart]
            row = skus.index(self.selected) if self.selected in skus else len(skus) - 1
            table.move_cursor(row=row)

    def action_move(self, step: int) -> None:
        """↑/↓ choose the line F6 takes one off (the scan field keeps the focus)."""
        if not self.cart:
            return
        skus = [line.sku for line in self.cart]
        row = skus.index(self.selected) if self.selected in skus else len(skus) - 1
        self.selected = skus[max(0, min(len(skus) - 1, row + step))]
        self._draw_lines()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        text = event.value.strip()
        event.input.value = ""
        if text:
            self.add_code(text)

    @work(group="sale")
    async def add_code(self, text: str) -> None:
        """Add one unit of the product a barcode or SKU names (scans land here too)."""
        product = await self.app.service.call(  # type: ignore[attr-defined]
            lambda store: catalog.find_product(store.db, text))
        if product is None:
            self.app.bell()
            self._show(t("ui.sale.unknown", self.lang, text=text))
            return
        for line in self.cart:
            if line.sku == product["sku"]:
                line.qty += 1
                break
        else:
            self.cart.append(CartLine(product["sku"], product["name_zh"], product["name_en"],
                                      product["price_cents"]))
        self.selected = product["sku"]
        self._remember()
        self._show()

    def action_payment(self) -> None:
        """F4: the next payment method (WeChat Pay → Alipay → cash → card)."""
        methods = sales.PAYMENT_METHODS
        self.payment_method = methods[(methods.index(self.payment_method) + 1) % len(methods)]
        self._remember()
        self._show()

    def action_remove(self) -> None:
        """One unit off the selected line (the last scanned unless ↑/↓ chose another)."""
        if not self.cart:
            return
        line = next((x for x in self.cart if x.sku == self.selected), self.cart[-1])
        line.qty -= 1
        if line.qty == 0:
            index = self.cart.index(line)
            self.cart.remove(line)
            self.selected = self.cart[min(index, len(self.cart) - 1)].sku if self.cart else None
        self._remember()
        self._show()

    @work(exclusive=True, group="sale-complete")
    async def action_complete(self) -> None:
        clerk = self.app.clerk  # type: ignore[attr-defined]
        if not self.cart or clerk is None:
            return
        lines = [sales.SaleLine(line.sku, line.qty) for line in self.cart]
        link = getattr(self.app, "devices", None)
        sell = link.sell if link is not None else sales.sell
        try:
            sale = await self.app.service.call(  # type: ignore[attr-defined]
                sell, lines, clerk.clerk_id, with_pickup_order_no=self.with_pickup_order_no,
                payment_method=self.payment_method)
        except DomainError as exc:
            self.app.bell()
            self._show(t(exc.code, self.lang, **exc.params))
            return
        if self.with_pickup_order_no:
            self.app.addon.forget()  # type: ignore[attr-defined]  (one add-on sale per pickup)
        self.app.session.forget("sale")  # type: ignore[attr-defined]
        self.notify(t("ui.sale.done", self.lang, total=yuan(sale.total_cents)))
        self.dismiss(None)

    def action_back(self) -> None:
        self.app.session.forget("sale")  # type: ignore[attr-defined]
        self.dismiss(None)
