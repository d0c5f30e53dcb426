"""The stock screen (ctrl+t): what the store holds, what is near expiry, and receiving.

Per SKU: on hand, granted to HQ to sell online, reserved for orders, sellable at the
counter, then its lots first-expiring first. Negative stock and orders beyond stock are
flagged. F6 switches to the lots near expiry with a suggested markdown. Scans (any scanner,
or typed into the field) land here while the screen is open: a transfer carton starts or
continues checking a transfer in, a product ticks one unit of it (or finds the product in
the list). Managers count, adjust, grant and take back; a clerk sees the figures and is told
the actions are for managers. ctrl+s shows the pre-sale pool apart (per SKU: HQ's pool, units
pre-sold, arrived, held for pre-sale orders, orders waiting for goods); there a manager ends
a pre-sale with ctrl+f (units nobody bought go to the shelf). A transfer checked in short is
received as checked: the pre-sold units that came go to the waiting orders in order of
purchase, the rest wait and HQ is told.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import DataTable, Input, Label, Static

from edge.domain import expiry, presale, stock, transfers
from edge.domain.errors import DomainError
from edge.i18n import t
from edge.present import local_time
from edge.store import Store
from edge.ui.screens.confirm import ConfirmScreen
from edge.ui.screens.stock import text  # noqa: F401  (registers ui.stock.*)
from edge.ui.screens.stock.dialog import StockActionScreen, Target
from edge.ui.screens.stock.receipt import ReceiptCheck, Scanned, classify
from edge.ui.widgets.footer import LocalFooter
from edge.ui.widgets.status_bar import StatusBar
from edge.ui.context import UserContext


@dataclass(frozen=True)
class Snapshot:
    """Everything the screen shows, read in one call on the store thread."""

    rows: list[stock.SkuStock]
    near: list[expiry.NearExpiry]
    pending: list[transfers.Transfer]
    presale: list[presale.PresalePool] = field(default_factory=list)


PRODUCT_WIDTH, LOT_WIDTH, NOTE_WIDTH = 26, 14, 16  # terminal columns: the table fits 80
REFRESH_S = 5.0


def read(store: Store, within_days: int, today: date, seen: tuple | None) -> tuple[tuple, Snapshot | None]:
    """The ledger's version, and everything the screen shows unless the version is ``seen``
    (a refresh of an unchanged store reads three index entries, not the ledger)."""
    version = (stock.ledger_version(store.db), today)
    if version == seen:
        return version, None
    rows = stock.overview(store.db)
    return version, Snapshot(rows, expiry.near_expiry_of(rows, within_days=within_days, today=today),
                             transfers.pending(store.db), presale.pools(store.db))


def _receive(store: Store, transfer_id: str, actor: str,
             received: dict[int, int] | None = None) -> tuple[transfers.Transfer, int]:
    """Book the transfer (as checked when short); also the pre-sale orders still waiting."""
    done = transfers.receive_transfer(store, transfer_id, actor, received=received)
    return done, len(presale.waiting_orders(store.db))


def _end_presale(store: Store, sku: str, actor: str) -> int:
    return presale.end_presale(store.db, sku=sku, actor=actor)


class StockScreen(UserContext, Screen[None]):
    """Keys: F5 receive the transfer being checked, F6 near expiry / all stock, ctrl+n count,
    ctrl+r adjust, ctrl+g grant, ctrl+b take back (managers), Esc back."""

    CSS_PATH = "stock.tcss"
    BINDINGS = [
        Binding("escape", "back", "ui.key.stock_back"),
        Binding("f5", "receive", "ui.key.receive"),
        Binding("f6", "toggle_near", "ui.key.near_expiry"),
        # not F7 (the app's fridges) nor ctrl+e (day end, and the scan field's end-of-line)
        Binding("ctrl+s", "toggle_presale", "ui.key.presale"),
        Binding("ctrl+f", "end_presale", show=False),
        Binding("ctrl+n", "act('count')", "ui.key.count"),
        Binding("ctrl+r", "act('adjust')", "ui.key.adjust"),
        Binding("ctrl+g", "act('grant')", "ui.key.grant"),
        Binding("ctrl+b", "act('revoke')", "ui.key.revoke"),
    ]

    def __init__(self, *, today: date | None = None) -> None:
        super().__init__(id="stock")
        self.today = today  # fixed by tests; else the store's date on every refresh
        self.snapshot = Snapshot([], [], [])
        self.near_view = False
        self.presale_view = False
        self.check: ReceiptCheck | None = None
        self.row_targets: list[tuple[str, str | None]] = []  # table row -> (sku, lot)
        self.message = ""
        self._keep_row = 0
        self._version: tuple | None = None
        self.loaded = False  # until the first read: "reading stock…" (a big ledger takes a moment)

    # -- layout --------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield StatusBar(id="status-bar")
        yield Static(id="stock-title")
        with Horizontal(id="stock-scan-row"):
            yield Label(id="stock-scan-label")
            yield Input(id="stock-scan")
        yield Static(id="stock-receipt")
        yield DataTable(id="stock-table", cursor_type="row", zebra_stripes=True)
        yield Static(id="stock-message")
        yield LocalFooter()

    def on_mount(self) -> None:
        self.watch(self.app, "lang", lambda _lang: self._show(), init=False)
        self.query_one("#stock-scan", Input).focus()
        self._show()
        self.load()
        # transfers announced and orders arriving by sync show up without reopening
        self.set_interval(REFRESH_S, self.load)


    @property
    def days(self) -> int:
        return self.app.cfg.near_expiry_days  # type: ignore[attr-defined]

    @work(exclusive=True, group="stock-load")
    async def load(self) -> None:
        today = self.today or expiry.local_today()
        # the background-read connection: a refresh never queues in front of a scan's write
        self._version, snapshot = await self.app.status_service.call(  # type: ignore[attr-defined]
            read, self.days, today, self._version)
        if snapshot is not None:
            self.snapshot, self.loaded = snapshot, True
            self._show()

    # -- drawing -------------------------------------------------------------------------------
    def _show(self) -> None:
        lang, snap = self.lang, self.snapshot
        self.query_one("#stock-scan-label", Label).update(t("ui.stock.scan_label", lang))
        self.query_one("#stock-scan", Input).placeholder = t("ui.stock.scan_placeholder", lang)
        if not self.loaded:
            self.query_one("#stock-title", Static).update(t("ui.stock.loading", lang))
            return
        title = t("ui.stock.title", lang, skus=len(snap.rows))
        negative = sum(1 for r in snap.rows if r.negative)
        if negative:
            title += t("ui.stock.title_flags", lang, negative=negative)
        if snap.presale:  # before near expiry: orders wait on it
            title += t("ui.stock.title_presale", lang,
                       waiting=sum(p.waiting_orders for p in snap.presale))
        if snap.near:
            title += t("ui.stock.title_near", lang, near=len(snap.near), days=self.days)
        self.query_one("#stock-title", Static).update(title)
        self._show_receipt()
        if self.presale_view:
            self._presale_table()
        elif self.near_view:
            self._near_table()
        else:
            self._stock_table()
        table = self.query_one("#stock-table", DataTable)
        if table.row_count:
            table.move_cursor(row=min(self._keep_row, table.row_count - 1), animate=False)
        self.query_one("#stock-message", Static).update(self.message)

    def _show_receipt(self) -> None:
        lang, box = self.lang, self.query_one("#stock-receipt", Static)
        check = self.check
        if check is not None:
            tr = check.transfer
            lines = [t("ui.stock.checking", lang, transfer_id=tr.transfer_id,
                       done=len(tr.lines) - check.lines_short, lines=len(tr.lines))]
            lines += [f"  {'✓' if check.done(ln) >= ln.qty else '·'} {ln.line_no}. {ln.sku} "
                      f"{ln.lot}  {check.done(ln)}/{ln.qty}" for ln in tr.lines]
            box.update("\n".join(lines))
        elif self.snapshot.pending:
            ids = ", ".join(tr.transfer_id for tr in self.snapshot.pending[:4])
            box.update(t("ui.stock.pending", lang, ids=ids))
        else:
            box.update("")
        box.display = bool(check or self.snapshot.pending)

    def _reset_table(self, *columns: str) -> DataTable:
        table = self.query_one("#stock-table", DataTable)
        self._keep_row = table.cursor_row  # redrawn in place: the highlighted row stays
        table.clear(columns=True)
        table.add_columns(*(t(f"ui.stock.col.{c}", self.lang) for c in columns))
        self.row_targets = []
        return table

    def _stock_table(self) -> None:
        lang = self.lang
        table = self._reset_table("product", "on_hand", "online", "reserved", "sellable", "note")
        if not self.snapshot.rows:
            self.message = self.message or t("ui.stock.empty", lang)
            return
        for row in self.snapshot.rows:
            lv = row.levels
            name = row.name_zh if lang == "zh-CN" else row.name_en
            note = (t("ui.stock.negative", lang) if row.negative
                    else t("ui.stock.over_promised", lang) if row.over_promised else "")
            table.add_row(_cell(f"{row.sku} {name}", PRODUCT_WIDTH, "bold red" if note else "bold"),
                          _num(lv.on_hand), _num(lv.allotment), _num(lv.reserved),
                          _num(lv.sellable), _cell(note, NOTE_WIDTH, "bold red"))
            self.row_targets.append((row.sku, None))
            for lot in row.lots:
                label = f"  {(lot.lot or '—')[:LOT_WIDTH]:{LOT_WIDTH}} {(lot.expiry or '')[5:10]}"
                table.add_row(_cell(label, PRODUCT_WIDTH, "red" if lot.on_hand < 0 else ""),
                              _num(lot.on_hand), "", "", "", "")
                self.row_targets.append((row.sku, lot.lot))

    def _near_table(self) -> None:
        lang = self.lang
        table = self._reset_table("expiry", "days", "item", "lot", "on_hand", "advice")
        for r in self.snapshot.near:
            name = r.name_zh if lang == "zh-CN" else r.name_en
            advice = (_cell(t("stock.expired", lang), NOTE_WIDTH, "bold red") if r.expired
                      else t("stock.markdown", lang, percent=r.markdown_percent))
            days = (t("ui.stock.days_ago", lang, days=-r.days_left) if r.expired
                    else t("ui.stock.days", lang, days=r.days_left))
            table.add_row(r.expiry[5:], days,
                          _cell(f"{r.sku} {name}", 24), _cell(r.lot, LOT_WIDTH), _num(r.on_hand), advice)
            self.row_targets.append((r.sku, r.lot))
        today = (self.today or expiry.local_today()).isoformat()
        head = (t("ui.stock.near_title", lang, days=self.days, today=today) if self.snapshot.near
                else t("ui.stock.near_empty", lang, days=self.days))
        self.message = self.message or f"{head}  {t(expiry.MARKDOWN_RULE, lang)}"

    def _presale_table(self) -> None:
        lang = self.lang
        table = self._reset_table("product", "pool", "presold", "arrived", "held", "waiting")
        for p in self.snapshot.presale:
            name = p.name_zh if lang == "zh-CN" else p.name_en
            table.add_row(_cell(f"{p.sku} {name}", PRODUCT_WIDTH, "bold"), _num(p.granted),
                          _num(p.sold), _num(p.arrived), _num(p.held),
                          Text(t("ui.stock.waiting_cell", lang, orders=p.waiting_orders,
                                 units=p.waiting_units),
                               style="bold yellow" if p.waiting_orders else "dim"))
            self.row_targets.append((p.sku, None))
        self.message = self.message or t(
            "ui.stock.presale_legend" if self.snapshot.presale else "ui.stock.presale_empty", lang)

    def _say(self, message: str, *, bad: bool = False) -> None:
        if bad:
            self.app.bell()
        self.message = message
        self.query_one("#stock-message", Static).update(message)
        self.query_one("#stock-message", Static).set_class(bad, "-bad")

    # -- scans ---------------------------------------------------------------------------------
    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        value = event.value.strip()
        event.input.value = ""
        if value:
            self.take_scan(value)

    @work(group="stock-scan")
    async def take_scan(self, text_in: str) -> None:
        """Any scanner's code while this screen is open (edge.ui.devices_link routes it here)."""
        found: Scanned = await self.app.service.call(classify, text_in)  # type: ignore[attr-defined]
        lang = self.lang
        if found.kind == "received":
            tr = found.transfer
            assert tr is not None
            self._say(t("sync.transfer_received", lang, transfer_id=tr.transfer_id,
                        at=local_time(tr.received_at)), bad=True)
        elif found.kind == "transfer":
            self._carton(found)
        elif found.kind == "product" and self.check is not None:
            self._product_in_check(found.sku or "")
        elif found.kind == "product":
            self._find(found.sku or "")
        else:
            self._say(t("ui.stock.unknown_scan", lang, text=text_in[:40].encode("unicode_escape").decode()),
                      bad=True)

    def _carton(self, found: Scanned) -> None:
        assert found.transfer is not None
        if self.check is None or self.check.transfer.transfer_id != found.transfer.transfer_id:
            self.check = ReceiptCheck(found.transfer)
        if not self.check.tick_carton(found.line_no):
            self._say(t("ui.stock.no_such_line", self.lang, transfer_id=found.transfer.transfer_id,
                        line_no=found.line_no), bad=True)
        else:
            self._say("")
        self._show_receipt()

    def _product_in_check(self, sku: str) -> None:
        assert self.check is not None
        outcome = self.check.tick_product(sku)
        tid = self.check.transfer.transfer_id
        if outcome == "absent":
            self._say(t("ui.stock.not_in_transfer", self.lang, sku=sku, transfer_id=tid), bad=True)
        elif outcome == "over":
            self._say(t("ui.stock.over", self.lang, sku=sku), bad=True)
        else:
            self._say("")
        self._show_receipt()

    def _find(self, sku: str) -> None:
        table = self.query_one("#stock-table", DataTable)
        for index, (row_sku, _lot) in enumerate(self.row_targets):
            if row_sku == sku:
                table.move_cursor(row=index)
                self._say(t("ui.stock.found", self.lang, sku=sku))
                return
        self._say(t("stock.unknown_sku", self.lang, sku=sku), bad=True)

    # -- receiving -----------------------------------------------------------------------------
    def action_receive(self) -> None:
        check, lang = self.check, self.lang
        if check is None:
            self._say(t("ui.stock.nothing_to_receive", lang), bad=True)
            return
        tid = check.transfer.transfer_id
        if check.complete:
            self.receive(tid)
            return
        got = {ln.line_no: check.done(ln) for ln in check.transfer.lines}
        question = t("ui.stock.confirm_short", lang, transfer_id=tid, short=check.lines_short,
                     got=sum(got.values()), listed=sum(ln.qty for ln in check.transfer.lines))
        self.app.push_screen(ConfirmScreen(question),
                             lambda yes: self.receive(tid, got) if yes else None)

    @work(exclusive=True, group="stock-receive")
    async def receive(self, transfer_id: str, received: dict[int, int] | None = None) -> None:
        clerk = self.app.clerk  # type: ignore[attr-defined]
        actor = clerk.clerk_id if clerk else ""
        try:
            done, waiting = await self.app.service.call(  # type: ignore[attr-defined]
                _receive, transfer_id, actor, received)
        except DomainError as exc:
            self._say(t(exc.code, self.lang, **exc.params), bad=True)
            return
        self.check = None
        said = t("ui.stock.received", self.lang, transfer_id=done.transfer_id, lines=len(done.lines))
        if any(ln.presale for ln in done.lines):
            said += t("ui.stock.received_presale", self.lang, waiting=waiting)
        self._say(said, bad=bool(waiting and any(ln.presale for ln in done.lines)))
        self.load()

    # -- manager actions -----------------------------------------------------------------------
    def action_act(self, action: str) -> None:
        lang = self.lang
        clerk = self.app.clerk  # type: ignore[attr-defined]
        if clerk is None or not clerk.is_manager:
            who = clerk.name if clerk else t("ui.stock.nobody", lang)
            self._say(t("ui.stock.manager_only", lang, action=t(f"ui.stock.action.{action}", lang),
                        clerk=who), bad=True)
            return
        target = self._target(with_lot=action == "adjust")
        if target is None:
            self._say(t("ui.stock.no_row", lang), bad=True)
            return
        prefill = self._expired_prefill(target) if action == "adjust" else {}
        self.app.push_screen(StockActionScreen(action, target, clerk.clerk_id, **prefill),
                             lambda levels: self._acted(action, target, levels))

    def _expired_prefill(self, target: Target) -> dict:
        """An expired lot chosen in the near-expiry list: book all of it out as expired."""
        if not self.near_view:
            return {}
        lot = next((r for r in self.snapshot.near if r.sku == target.sku and r.lot == target.lot), None)
        return {"reason": "expired", "qty": -lot.on_hand} if lot is not None and lot.expired else {}

    def _target(self, *, with_lot: bool) -> Target | None:
        table = self.query_one("#stock-table", DataTable)
        if not self.row_targets:
            return None
        sku, lot = self.row_targets[min(table.cursor_row, len(self.row_targets) - 1)]
        row = next((r for r in self.snapshot.rows if r.sku == sku), None)
        if row is None:
            return None
        name = row.name_zh if self.lang == "zh-CN" else row.name_en
        return Target(sku, name, row.levels, lot if with_lot else None)

    def _acted(self, action: str, target: Target, levels: stock.Levels | None) -> None:
        if levels is None:
            return
        self._say(t(f"ui.stock.done.{action}", self.lang, sku=target.sku, allotment=levels.allotment))
        self.load()

    # -- navigation ----------------------------------------------------------------------------
    def action_toggle_near(self) -> None:
        self.near_view, self.presale_view = not self.near_view, False
        self.message = ""
        self._show()
        self.query_one("#stock-table", DataTable).move_cursor(row=0, animate=False)

    def action_toggle_presale(self) -> None:
        self.presale_view, self.near_view = not self.presale_view, False
        self.message = ""
        self._show()
        self.query_one("#stock-table", DataTable).move_cursor(row=0, animate=False)

    def action_end_presale(self) -> None:
        """ctrl+f in the pre-sale view: a manager ends the highlighted SKU's pre-sale."""
        lang = self.lang
        if not self.presale_view:
            return
        clerk = self.app.clerk  # type: ignore[attr-defined]
        if clerk is None or not clerk.is_manager:
            who = clerk.name if clerk else t("ui.stock.nobody", lang)
            self._say(t("ui.stock.manager_only", lang, action=t("ui.stock.action.end_presale", lang),
                        clerk=who), bad=True)
            return
        target = self._presale_target()
        if target is None:
            self._say(t("ui.stock.no_row", lang), bad=True)
            return
        question = t("ui.stock.confirm_end_presale", lang, sku=target.sku, held=target.held)
        self.app.push_screen(ConfirmScreen(question),
                             lambda yes: self.end_presale(target.sku, clerk.clerk_id) if yes else None)

    def _presale_target(self) -> presale.PresalePool | None:
        table = self.query_one("#stock-table", DataTable)
        if not self.snapshot.presale:
            return None
        return self.snapshot.presale[min(table.cursor_row, len(self.snapshot.presale) - 1)]

    @work(exclusive=True, group="stock-presale")
    async def end_presale(self, sku: str, actor: str) -> None:
        try:
            qty = await self.app.service.call(_end_presale, sku, actor)  # type: ignore[attr-defined]
        except DomainError as exc:
            self._say(t(exc.code, self.lang, **exc.params), bad=True)
            return
        self._say(t("cli.stock.presale_ended", self.lang, sku=sku, qty=qty))
        self.load()

    def action_back(self) -> None:
        if self.check is not None:  # Esc first stops checking a transfer in
            self.check = None
            self._say("")
            self._show_receipt()
            return
        self.dismiss(None)


def _num(value: int) -> Text:
    return Text(str(value), justify="right", style="bold red" if value < 0 else "")


def _cell(value: str, width: int, style: str = "") -> Text:
    """A cell cut to ``width`` terminal columns (Chinese characters take two)."""
    cell = Text(value, style=style)
    cell.truncate(width, overflow="ellipsis")
    return cell
