"""What gets printed, as plain data. The caller passes already-translated text: devices knows
no order domain and no catalog beyond its own device messages.

Amounts are integer cents (fen); the renderer formats them with the fullwidth ￥ (U+FFE5),
since ¥ (U+00A5) prints as junk on GBK printer fonts.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class ReceiptLine:
    name: str
    qty: int | float
    unit_price_cents: int
    amount_cents: int


@dataclass(frozen=True)
class ReceiptCaptions:
    """Fixed words on a receipt, in the language the caller wants (default: Chinese)."""

    order_no: str = "单号"
    item: str = "商品"
    qty: str = "数量"
    amount: str = "金额"
    total: str = "合计"
    clerk: str = "收银员"
    time: str = "时间"
    customer: str = "顾客"
    copy: str = "重印 副本 COPY"
    qr_hint: str = "扫码查看电子小票"


@dataclass(frozen=True)
class Receipt:
    store_name: str
    store_address: str
    order_no: str
    lines: list[ReceiptLine | tuple]
    total_cents: int
    clerk: str
    time: datetime | str
    customer_masked: str = ""
    qr_payload: str = ""
    copy: bool = False
    title: str = ""
    footer: str = ""
    captions: ReceiptCaptions = field(default_factory=ReceiptCaptions)

    def items(self) -> list[ReceiptLine]:
        return [l if isinstance(l, ReceiptLine) else ReceiptLine(*l) for l in self.lines]


@dataclass(frozen=True)
class BagLabelCaptions:
    bag: str = "袋"
    slot: str = "位置"
    pickup: str = "取货时间"
    customer: str = "顾客"
    copy: str = "重印 副本 COPY"


@dataclass(frozen=True)
class BagLabel:
    """One sticker per bag. ``zone`` is the code (ambient|chilled|frozen), ``zone_label`` the
    printed words (e.g. "冷藏 CHILLED")."""

    order_no: str
    bag_no: int
    bag_count: int
    zone: str
    zone_label: str
    slot: str
    pickup_window: str
    customer_masked: str
    phone_last4: str
    qr_payload: str
    copy: bool = False
    captions: BagLabelCaptions = field(default_factory=BagLabelCaptions)


@dataclass(frozen=True)
class ReportSection:
    title: str
    rows: list[tuple[str, str]]  # (label, value); a long pair prints on two lines


@dataclass(frozen=True)
class Report:
    """A report on receipt paper (day end): heading, then sections of label/value rows."""

    store_name: str
    title: str
    subtitle: str
    sections: list[ReportSection]
    footer: str = ""
    copy: bool = False
    copy_caption: str = "重印 副本 COPY"


def format_time(t: datetime | str) -> str:
    return t if isinstance(t, str) else t.strftime("%Y-%m-%d %H:%M")


def format_money(cents: int, sign: str = "\uffe5") -> str:
    """Integer cents to "￥12.50" (negative amounts for refunds: "-￥3.00")."""
    neg = cents < 0
    c = abs(int(cents))
    return f"{'-' if neg else ''}{sign}{c // 100}.{c % 100:02d}"


def format_qty(q: int | float) -> str:
    return str(int(q)) if float(q).is_integer() else f"{q:g}"
