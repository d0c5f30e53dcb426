"""Receipts and bag labels built from an order, as translated plain data ready to print.

The document is built when the job is queued (same transaction as the hand-over), so the
paper shows the order exactly as it was handed over, in the language of the terminal, even if
it prints an hour later after the paper is changed. Payloads are the field dicts of
``devices.printers.documents.Receipt`` / ``BagLabel``: devices renders them, knowing no orders.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from datetime import datetime

from sqlite_utils import Database

import edge.device_text  # noqa: F401  (registers dev.* strings)
from devices.printers.documents import (
    BagLabel, BagLabelCaptions, Receipt, ReceiptCaptions, ReceiptLine, Report, ReportSection,
)
from edge.clock import parse_iso
from edge.domain import clerks
from edge.domain.errors import DomainError
from edge.domain.orders import Order
from edge.i18n import DEFAULT_LANGUAGE, t

RECEIPT_URL = "https://e.store-edge.cn/r/{store_id}/{order_no}"
BAG_QR_PREFIX = "SEB1"


@dataclass(frozen=True)
class PrintSettings:
    """What the paper says about the store; from the config (``settings_from_config``)."""

    lang: str = DEFAULT_LANGUAGE
    store_name: str | None = None  # None: the store's name in ``lang`` from the database
    store_address: str = ""
    receipt_url: str = RECEIPT_URL


def settings_from_config(cfg, lang: str | None = None) -> PrintSettings:
    """PrintSettings from an ``edge.config.Config`` (duck-typed to keep domain free of it)."""
    return PrintSettings(lang=lang or cfg.language, store_name=cfg.store_name,
                         store_address=cfg.store_address or "")


def bag_qr_payload(store_id: str, order_no: str, zone: str) -> str:
    """What a bag label's QR holds: scanning it looks the order up at the counter."""
    return f"{BAG_QR_PREFIX}:{store_id}:{order_no}:{zone}"


def parse_bag_qr(text: str) -> tuple[str, str, str] | None:
    """(store_id, order_no, zone) from a bag label scan, or None."""
    parts = text.strip().split(":")
    if len(parts) != 4 or parts[0] != BAG_QR_PREFIX or not all(parts[1:]):
        return None
    return parts[1], parts[2], parts[3]


def _local(value: str | datetime | None) -> str:
    if value is None:
        return ""
    dt = parse_iso(value) if isinstance(value, str) else value
    return dt.astimezone().strftime("%Y-%m-%d %H:%M")


def _store_name(db: Database, store_id: str, settings: PrintSettings) -> str:
    if settings.store_name:
        return settings.store_name
    row = db.execute("SELECT name_zh, name_en FROM stores WHERE store_id = ?", [store_id]).fetchone()
    if row is None:
        return store_id
    return row[0] if settings.lang == "zh-CN" else row[1]


def _receipt_captions(lang: str) -> ReceiptCaptions:
    keys = ("order_no", "item", "qty", "amount", "total", "clerk", "time", "customer", "copy",
            "qr_hint")
    return ReceiptCaptions(**{k: t(f"dev.receipt.{k}", lang) for k in keys})


def _label_captions(lang: str) -> BagLabelCaptions:
    keys = ("bag", "slot", "pickup", "customer", "copy")
    return BagLabelCaptions(**{k: t(f"dev.label.{k}", lang) for k in keys})


def _name(line, lang: str) -> str:
    return line.name_zh if lang == "zh-CN" else line.name_en


def receipt_for_order(db: Database, order: Order, settings: PrintSettings) -> dict:
    """The hand-over receipt: taken lines and their total, clerk, time, masked customer, QR."""
    lang = settings.lang
    lines, notes, total = [], [], 0
    for line in order.lines:
        taken = line.qty - line.qty_not_taken
        if taken > 0:
            amount = taken * line.unit_price_cents
            total += amount
            lines.append(ReceiptLine(_name(line, lang), taken, line.unit_price_cents, amount))
        if line.qty_not_taken:
            notes.append(t("dev.receipt.not_taken", lang, name=_name(line, lang),
                           qty=line.qty_not_taken,
                           reason=t(f"reason.{line.not_taken_reason}", lang)))
    clerk = clerks.get_clerk(db, order.picked_up_by or "")
    receipt = Receipt(
        store_name=_store_name(db, order.store_id, settings),
        store_address=settings.store_address, order_no=order.order_no, lines=lines,
        total_cents=total, clerk=clerk.name if clerk else (order.picked_up_by or ""),
        time=_local(order.picked_up_at), customer_masked=f"{order.customer_masked} ****{order.phone_last4}",
        qr_payload=settings.receipt_url.format(store_id=order.store_id, order_no=order.order_no),
        title=t("dev.receipt.title", lang),
        footer=" ".join([*notes, t("dev.receipt.footer", lang)]),
        captions=_receipt_captions(lang))
    return asdict(receipt)


def receipt_for_sale(db: Database, store_id: str, sale_id: str, settings: PrintSettings) -> dict:
    """The receipt of a counter sale: its lines, total, clerk and time, a QR for the e-receipt."""
    lang = settings.lang
    sale = db.execute("SELECT clerk_id, at, total_cents, with_pickup_order_no FROM sales"
                      " WHERE sale_id = ?", [sale_id]).fetchone()
    if sale is None:
        raise DomainError("dev.print.unknown_sale", sale_id=sale_id)
    lines = [ReceiptLine(zh if lang == "zh-CN" else en, qty, price, qty * price)
             for zh, en, qty, price in db.execute(
                 "SELECT p.name_zh, p.name_en, l.qty, l.unit_price_cents FROM sale_lines l"
                 " JOIN products p ON p.sku = l.sku WHERE l.sale_id = ? ORDER BY l.line_no",
                 [sale_id])]
    clerk = clerks.get_clerk(db, sale[0])
    receipt = Receipt(
        store_name=_store_name(db, store_id, settings), store_address=settings.store_address,
        order_no=sale_id[:8].upper(), lines=lines, total_cents=sale[2],
        clerk=clerk.name if clerk else sale[0], time=_local(sale[1]),
        qr_payload=settings.receipt_url.format(store_id=store_id, order_no=sale_id),
        title=t("dev.receipt.sale_title", lang), footer=t("dev.receipt.footer", lang),
        captions=_receipt_captions(lang))
    return asdict(receipt)


def _window(order: Order) -> str:
    start, end = order.window_start.astimezone(), order.window_end.astimezone()
    if start.date() == end.date():
        return f"{start:%m-%d %H:%M}-{end:%H:%M}"
    return f"{start:%m-%d %H:%M}-{end:%m-%d %H:%M}"


def _delivery_line(order: Order) -> str:
    """A delivery parcel's label: by when, and where (as the store holds the address: the
    street for a platform's rider, in full for the store's own clerk)."""
    return f"{order.window_end.astimezone():%m-%d %H:%M} · {order.delivery_address or ''}".rstrip(" ·")


def labels_for_order(order: Order, settings: PrintSettings) -> list[dict]:
    """One label per bag (zone): big order number, zone, slot, window (a delivery: promised
    time and address), masked customer, QR."""
    lang = settings.lang
    bags = sorted(order.bags, key=lambda b: b.bag_no)
    delivery = order.fulfilment == "delivery"
    captions = _label_captions(lang)
    if delivery:
        captions = replace(captions, pickup=t("dev.label.delivery", lang))
    return [asdict(BagLabel(
        order_no=order.order_no, bag_no=i, bag_count=len(bags), zone=bag.zone,
        zone_label=t(f"dev.zone_label.{bag.zone}", lang), slot=bag.slot or "-",
        pickup_window=_delivery_line(order) if delivery else _window(order),
        customer_masked=order.customer_masked, phone_last4=order.phone_last4,
        qr_payload=bag_qr_payload(order.store_id, order.order_no, bag.zone),
        captions=captions)) for i, bag in enumerate(bags, start=1)]


def report_for_day_end(db: Database, report, settings: PrintSettings) -> dict:
    """The day-end report on receipt paper: every figure of the screen, section by section."""
    from edge.domain import day_end_figures

    lang = settings.lang
    title, subtitle = day_end_figures.heading(report, lang)
    sections: list[ReportSection] = []
    for f in day_end_figures.figures(report, lang):
        if not sections or sections[-1].title != t(f"dayend.section.{f.section}", lang):
            sections.append(ReportSection(t(f"dayend.section.{f.section}", lang), []))
        sections[-1].rows.append((f.label, f.text))
    generated = day_end_figures.local_stamp(report.generated_at, report.timezone)
    return asdict(Report(store_name=_store_name(db, report.store_id, settings), title=title,
                         subtitle=subtitle, sections=sections,
                         footer=t("dayend.generated", lang, at=generated),
                         copy_caption=t("dev.receipt.copy", lang)))


def report_from_payload(payload: dict) -> Report:
    """Inverse of ``asdict`` for a stored report payload."""
    data = dict(payload)
    data["sections"] = [ReportSection(s["title"], [tuple(r) for r in s["rows"]])
                        for s in data["sections"]]
    return Report(**data)


def receipt_from_payload(payload: dict) -> Receipt:
    """Inverse of ``asdict`` for a stored receipt payload."""
    data = dict(payload)
    data["lines"] = [ReceiptLine(**line) for line in data["lines"]]
    data["captions"] = ReceiptCaptions(**data["captions"])
    return Receipt(**data)


def label_from_payload(payload: dict) -> BagLabel:
    data = dict(payload)
    data["captions"] = BagLabelCaptions(**data["captions"])
    return BagLabel(**data)
