"""Pack (from the task board's ``k``, or after picking): one bag per temperature zone.

Every bag of the chosen orders, with what it waits for. ↑↓ choose a bag; scanning a storage
slot's label (or typing its name, Enter) packs the bag into that slot and queues its label on
the print queue; F5 picks the slot from the store's list for the bag's zone instead. The last
bag of an order makes it ready for pickup (HQ then tells the customer). F6 prints the labels
of every packed bag of the wave again. Scans from any scanner land here while it is open.
"""

from __future__ import annotations

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from edge.domain import packing
from edge.domain.errors import DomainError
from edge.domain.fulfil_i18n import error_message
from edge.domain.print_docs import PrintSettings, settings_from_config
from edge.i18n import register, t
from edge.present import short_order_no
from edge.ui.screens.backroom.wave import WaveScreen

register({
    "ui.pack.key.choose_slot": ("选存放位", "Slot list"),
    "ui.pack.key.labels": ("整批标签", "All labels"),
    "ui.pack.key.back": ("返回", "Back"),
    "ui.pack.title": ("打包 {count} 单：{orders}", "Pack {count} order(s): {orders}"),
    "ui.pack.progress": ("已打包 {packed}/{total} 袋", "Packed {packed}/{total} bags"),
    "ui.pack.placeholder": ("扫存放位标签 / 输入存放位（如 F-03），回车", "scan a slot label / type a slot (e.g. F-03), Enter"),
    "ui.pack.col.order": ("订单", "Order"),
    "ui.pack.col.customer": ("顾客", "Customer"),
    "ui.pack.col.bag": ("袋", "Bag"),
    "ui.pack.col.state": ("状态", "State"),
    "ui.pack.col.slot": ("存放位", "Slot"),
    "ui.pack.state.packed": ("已打包", "packed"),
    "ui.pack.state.to_pack": ("待打包", "to pack"),
    "ui.pack.state.not_picked": ("还差 {count} 件没拣", "{count} still to pick"),
    "ui.pack.state.not_needed": ("全缺，不用打包", "all missing: no bag"),
    "ui.pack.loading": ("正在读取袋子…", "Reading the bags…"),
    "ui.pack.packed": ("✔ {order_no} {zone}袋 → {slot}　标签已排队打印", "✔ {order_no} {zone} bag → {slot}  label queued"),
    "ui.pack.packed_ready": ("✔ {order_no} 全部打包，待取货：已通知顾客", "✔ {order_no} fully packed and ready: the customer is told"),
    "ui.pack.all_done": ("✔ 这批订单全部打包完成", "✔ Every bag of this wave is packed"),
    "ui.pack.choose_bag": ("先用 ↑↓ 选一个待打包的袋子", "Choose a bag to pack with ↑↓ first"),
    "ui.pack.labels_queued": ("已排队打印 {count} 张袋标签", "{count} bag labels queued"),
    "ui.pack.slots_title": ("{zone}袋放到哪里？", "Where does the {zone} bag go?"),
    "ui.pack.slot_row": ("{slot}　（现有 {count} 袋）", "{slot}  ({count} bags in it)"),
    "ui.pack.help": ("↑↓ 选袋 · 扫存放位标签打包 · F5 选存放位 · F6 整批标签 · Esc 返回",
                     "↑↓ bag · scan a slot label to pack · F5 slot list · F6 all labels · Esc back"),
    "ui.pack.sign_in": ("请先登录（F2）", "Sign in first (F2)"),
})


class PackScreen(WaveScreen):
    """Packs the bags of one order or a wave; ``order_nos`` as the task board chose them."""

    PART = "pack"
    BINDINGS = [
        Binding("f5", "choose_slot", "ui.pack.key.choose_slot"),
        Binding("f6", "labels", "ui.pack.key.labels"),
        Binding("escape", "back", "ui.pack.key.back"),
        Binding("up", "cursor(-1)", show=False),
        Binding("down", "cursor(1)", show=False),
    ]

    def __init__(self, order_nos: list[str]) -> None:
        super().__init__(order_nos)
        self.bags: list[packing.BagState] = []
        self.focus_key: str | None = None

    def _settings(self) -> PrintSettings:
        cfg = getattr(self.app, "cfg", None)
        return settings_from_config(cfg, self.lang) if cfg is not None else PrintSettings(self.lang)

    # -- reading ---------------------------------------------------------------------------------
    @work(exclusive=True, group="pack-load")
    async def reload(self) -> None:
        await self._refresh()

    async def _refresh(self) -> None:
        try:
            self.bags = await self.app.service.call(  # type: ignore[attr-defined]
                lambda store: packing.wave_bags(store.db, self.order_nos))
        except DomainError as exc:
            self.say(error_message(exc, self.lang), "error")
            return
        focused = self._bag(self.focus_key) if self.focus_key else None
        if focused is None or focused.state != "to_pack":
            self.focus_key = next((_key(b) for b in self.bags if b.state == "to_pack"), None)
        self.show()

    def _bag(self, key: str | None) -> packing.BagState | None:
        return next((b for b in self.bags if _key(b) == key), None)

    def show_table(self) -> None:
        lang, table = self.lang, self.table
        table.clear(columns=True)
        for key, width in (("order", 14), ("customer", 10), ("bag", 8), ("state", 20), ("slot", 8)):
            table.add_column(t(f"ui.pack.col.{key}", lang), width=width)
        for bag in self.bags:
            table.add_row(short_order_no(bag.order_no, self.app.store_id),  # type: ignore[attr-defined]
                          bag.customer, t(f"zone.{bag.zone}", lang),
                          self._state(bag), bag.slot or "", key=_key(bag))
        needed = [b for b in self.bags if b.state not in ("not_needed", "closed")]
        self.progress(t("ui.pack.progress", lang, packed=sum(b.state == "packed" for b in needed),
                        total=len(needed)))
        if self.focus_key is not None:
            table.move_cursor(row=table.get_row_index(self.focus_key))

    def _state(self, bag: packing.BagState) -> Text:
        if bag.state == "closed":  # the order left the wave (cancelled by HQ...)
            return Text(t(f"status.{bag.order_status}", self.lang), style="dim strike")
        style = {"packed": "green", "to_pack": "bold", "not_picked": "yellow",
                 "not_needed": "dim"}[bag.state]
        return Text(t(f"ui.pack.state.{bag.state}", self.lang, count=bag.unpicked), style=style)

    def idle_message(self) -> tuple[str, str]:
        if self.bags and all(b.state in ("packed", "not_needed", "closed") for b in self.bags):
            return t("ui.pack.all_done", self.lang), "ok"
        return "", ""

    def selected(self) -> packing.BagState | None:
        return self._bag(self.selected_key())

    # -- scanning and keys -----------------------------------------------------------------------
    async def handle_scan(self, text: str) -> None:
        """A slot label: the chosen bag goes into that slot."""
        bag, clerk = self.selected(), self.app.clerk  # type: ignore[attr-defined]
        if clerk is None:
            self.say(t("ui.pack.sign_in", self.lang), "error")
            return
        if bag is None:
            self.say(t("ui.pack.choose_bag", self.lang), "warn")
            return
        settings = self._settings()
        try:
            packed = await self.app.service.call(  # type: ignore[attr-defined]
                lambda store: packing.pack(store, bag.order_no, bag.zone, text,
                                           actor=clerk.clerk_id, settings=settings))
        except DomainError as exc:
            self.app.bell()
            self.say(error_message(exc, self.lang), "error")
            return
        slot = next(b.slot for b in packed.order.bags if b.zone == bag.zone)
        if packed.order.status == "ready":
            self.say(t("ui.pack.packed_ready", self.lang, order_no=bag.order_no), "ok")
        else:
            self.say(t("ui.pack.packed", self.lang, order_no=bag.order_no,
                       zone=t(f"zone.{bag.zone}", self.lang), slot=slot), "ok")
        self.focus_key = None  # on to the next bag to pack
        await self._refresh()

    def action_cursor(self, step: int) -> None:
        self.move_cursor(step)
        self.focus_key = self.selected_key()

    @work(group="pack-slots")
    async def action_choose_slot(self) -> None:
        bag = self.selected()
        if bag is None or bag.state != "to_pack":
            self.say(t("ui.pack.choose_bag", self.lang), "warn")
            return
        slots, use = await self.app.service.call(  # type: ignore[attr-defined]
            lambda store: (packing.slots(store.db, bag.zone), packing.slot_use(store.db)))
        self.app.push_screen(SlotsScreen(bag.zone, slots, use), self._slot_chosen)

    def _slot_chosen(self, slot: str | None) -> None:
        if slot:
            self.scan(slot)

    @work(exclusive=True, group="pack-labels")
    async def action_labels(self) -> None:
        clerk = self.app.clerk  # type: ignore[attr-defined]
        if clerk is None:
            self.say(t("ui.pack.sign_in", self.lang), "error")
            return
        settings = self._settings()
        packed = list(dict.fromkeys(b.order_no for b in self.bags if b.state == "packed"))
        try:
            jobs = await self.app.service.call(  # type: ignore[attr-defined]
                lambda store: packing.queue_wave_labels(store, packed, actor=clerk.clerk_id,
                                                        settings=settings))
        except DomainError as exc:
            self.say(error_message(exc, self.lang), "error")
            return
        self.say(t("ui.pack.labels_queued", self.lang, count=len(jobs)), "ok")


def _key(bag: packing.BagState) -> str:
    return f"{bag.order_no}|{bag.zone}"


class SlotsScreen(ModalScreen[str | None]):
    """The store's slots for a bag's zone, with how many bags each holds now."""

    BINDINGS = [Binding("escape", "cancel", "ui.key.cancel")]

    def __init__(self, zone: str, slots: list[packing.Slot], use: dict[str, int]) -> None:
        super().__init__(id="slots")
        self.zone, self.slots, self.use = zone, slots, use

    def compose(self) -> ComposeResult:
        lang = self.app.lang  # type: ignore[attr-defined]
        with Vertical(classes="dialog"):
            yield Static(t("ui.pack.slots_title", lang, zone=t(f"zone.{self.zone}", lang)),
                         classes="dialog-title")
            yield OptionList(*[Option(t("ui.pack.slot_row", lang, slot=s.slot,
                                        count=self.use.get(s.slot, 0)), id=s.slot)
                               for s in self.slots], id="slots-list")

    def on_mount(self) -> None:
        self.query_one("#slots-list", OptionList).focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)
