"""Day-end figures as labelled rows in the reader's language: one list the screen, the CLI
(text and CSV) and the printed report all show, so they cannot disagree.

Each row keeps a stable ``key`` and its ``raw`` value (numbers in their unit: counts, cents,
milliseconds, ratios 0..1) for CSV, beside the words and formatted ``text`` a person reads.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from devices.printers.documents import format_money
from edge.clock import parse_iso
from edge.domain import stock_i18n  # noqa: F401  (registers stock.reason.* words)
from edge.domain.day_end import DayEnd, Excursion
from edge.i18n import CATALOG, register, t

SECTIONS = ("pickups", "addon", "sales", "orders", "cold", "stock")

ENTRIES: dict[str, tuple[str, str]] = {
    "dayend.title": ("日结报表", "Day end"),
    "dayend.subtitle": ("{day}（{tz}）", "{day} ({tz})"),
    "dayend.generated": ("生成于 {at}", "Generated {at}"),
    "dayend.section.pickups": ("取货核销", "Pickups"),
    "dayend.section.addon": ("加购", "Add-on sales"),
    "dayend.section.sales": ("门店销售（按支付方式）", "Counter sales by payment"),
    "dayend.section.orders": ("逾期与退回", "Overdue and returned"),
    "dayend.section.cold": ("温度异常", "Temperature excursions"),
    "dayend.section.stock": ("库存差异", "Stock differences"),
    "dayend.pickups_due": ("应取订单", "Pickups due"),
    "dayend.due_handed_over": ("其中已核销", "of them handed over"),
    "dayend.verification_rate": ("核销率", "Verification rate"),
    "dayend.handovers": ("今日交付", "Hand-overs today"),
    "dayend.partial_handovers": ("其中部分取货", "of them partial"),
    "dayend.verify_mean": ("平均核销用时", "Mean scan to hand-over"),
    "dayend.verify_p90": ("90% 核销用时", "p90 scan to hand-over"),
    "dayend.addon_rate": ("加购率", "Add-on rate"),
    "dayend.addon_pickups": ("有加购的取货", "Pickups with an add-on"),
    "dayend.addon_sales": ("加购笔数", "Add-on sales"),
    "dayend.addon_value": ("加购金额", "Add-on value"),
    "dayend.sales_total": ("销售合计", "All counter sales"),
    "dayend.sales_value": ("{n} 笔 {money}", "{n} sales {money}"),
    "dayend.overdue": ("今日逾期", "Became overdue"),
    "dayend.returned": ("退回库存", "Returned to stock"),
    "dayend.excursions": ("超温次数", "Excursions"),
    "dayend.alarms": ("其中报警", "of them alarms"),
    "dayend.unacknowledged": ("未确认报警", "Alarms not acknowledged"),
    "dayend.excursion": ("{fridge} {start}–{end} 最高 {peak}", "{fridge} {start}–{end} peak {peak}"),
    "dayend.silent": ("{fridge} {start}–{end} 无读数", "{fridge} {start}-{end} no readings"),
    "dayend.acked": ("已确认 {by} {at}", "ack {by} {at}"),
    "dayend.not_acked": ("未确认", "not acknowledged"),
    "dayend.short": ("未报警（短时）", "short, no alarm"),
    "dayend.ongoing": ("持续中", "ongoing"),
    "dayend.stock_units": ("{units} 件（{actions} 次）", "{units} units ({actions}x)"),
    "dayend.stock_none": ("库存调整", "Stock adjustments"),
    "dayend.none": ("无", "none"),
    "dayend.sent": ("已发送总部 {at}", "Sent to HQ {at}"),
    "dayend.sent_waiting": ("已排队发送总部 {at}（等待联网）", "Queued for HQ {at} (waiting for the link)"),
    "dayend.not_sent": ("尚未发送总部", "Not sent to HQ yet"),
    "dayend.bad_date": ("日期格式不对：{value}（例：2026-11-01）", "Not a date: {value} (e.g. 2026-11-01)"),
    "dayend.future": ("{day} 还没到", "{day} has not begun yet"),
    "dayend.queued_print": ("日结报表已加入打印队列（任务 {job}）", "Day-end report queued for printing (job {job})"),
    "dayend.queued_send": ("日结已排队发送总部（事件 {seq}）", "Day end queued for HQ (event {seq})"),
    "dayend.exported": ("已导出：{path}", "Exported: {path}"),
    "dayend.kind.adjustment": ("调整", "adjustment"),
    "dayend.kind.count": ("盘点", "count"),
    "dayend.kind.missing": ("取货缺货", "missing at pickup"),
    "dayend.kind.waste": ("报损", "waste"),
}

if "dayend.title" not in CATALOG:
    register(ENTRIES)


@dataclass(frozen=True)
class Figure:
    section: str
    key: str
    label: str
    text: str
    raw: int | float | str | None


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f} %"


def _seconds(ms: int | None) -> str:
    return "—" if ms is None else f"{ms / 1000:.1f} s"


def _clock(value: str | None, tz: ZoneInfo) -> str:
    return parse_iso(value).astimezone(tz).strftime("%H:%M") if value else ""


def _label_kind(kind: str, reason: str | None, lang: str) -> str:
    key = f"dayend.kind.{kind}"
    words = t(key, lang) if key in CATALOG else kind
    if reason and reason != kind:
        # the words the stock screen uses for an adjustment's reason
        shown = t(f"stock.reason.{reason}", lang) if f"stock.reason.{reason}" in CATALOG else reason
        words += f": {shown}" if lang == "en" else f"·{shown}"
    return words


def excursion_text(x: Excursion, tz: ZoneInfo, lang: str) -> tuple[str, str]:
    """(what happened, its acknowledgement) of one excursion, in local time."""
    end = _clock(x.cleared_at, tz) or t("dayend.ongoing", lang)
    if x.kind == "silent":
        what = t("dayend.silent", lang, fridge=x.fridge, start=_clock(x.started_at, tz), end=end)
    else:
        peak = "—" if x.peak_c is None else f"{x.peak_c:.1f}°C"
        what = t("dayend.excursion", lang, fridge=x.fridge, start=_clock(x.started_at, tz),
                 end=end, peak=peak)
    if not x.raised:
        ack = t("dayend.short", lang)
    elif x.acknowledged_by:
        who = x.acknowledged_by
        if x.acknowledged_by_name:
            who = f"{x.acknowledged_by_name}({x.acknowledged_by})"
        ack = t("dayend.acked", lang, by=who, at=_clock(x.acknowledged_at, tz))
    else:
        ack = t("dayend.not_acked", lang)
    return what, ack


def figures(report: DayEnd, lang: str) -> list[Figure]:
    """Every figure of the report, section by section, in ``lang``."""
    tz = ZoneInfo(report.timezone)
    rows: list[Figure] = []

    def add(section: str, key: str, text: str, raw, label: str | None = None) -> None:
        rows.append(Figure(section, key, label or t(f"dayend.{key}", lang), text, raw))

    r = report
    add("pickups", "pickups_due", str(r.pickups_due), r.pickups_due)
    add("pickups", "due_handed_over", str(r.due_handed_over), r.due_handed_over)
    add("pickups", "verification_rate", _pct(r.verification_rate), r.verification_rate)
    add("pickups", "handovers", str(r.handovers), r.handovers)
    add("pickups", "partial_handovers", str(r.partial_handovers), r.partial_handovers)
    add("pickups", "verify_mean", _seconds(r.verify_ms_mean), r.verify_ms_mean)
    add("pickups", "verify_p90", _seconds(r.verify_ms_p90), r.verify_ms_p90)
    add("addon", "addon_rate", _pct(r.addon_rate), r.addon_rate)
    add("addon", "addon_pickups", str(r.addon_pickups), r.addon_pickups)
    add("addon", "addon_sales", str(r.addon_sales), r.addon_sales)
    add("addon", "addon_value", format_money(r.addon_cents), r.addon_cents)
    for p in r.payments:
        add("sales", f"payment.{p.method}",
            t("dayend.sales_value", lang, n=p.sales, money=format_money(p.cents)), p.cents,
            label=t(f"payment.{p.method}", lang))
    add("sales", "sales_total", t("dayend.sales_value", lang, n=r.sales,
                                  money=format_money(r.sales_cents)), r.sales_cents)
    add("orders", "overdue", _orders_text(r.overdue_orders, lang), len(r.overdue_orders))
    add("orders", "returned", _orders_text(r.returned_orders, lang), len(r.returned_orders))
    alarms = [x for x in r.excursions if x.raised]
    add("cold", "excursions", str(len(r.excursions)), len(r.excursions))
    add("cold", "alarms", str(len(alarms)), len(alarms))
    unacked = sum(1 for x in alarms if not x.acknowledged_by)
    add("cold", "unacknowledged", str(unacked), unacked)
    for i, x in enumerate(r.excursions, start=1):
        what, ack = excursion_text(x, tz, lang)
        add("cold", f"excursion.{i}", ack, x.peak_c, label=what)
    if not r.stock_differences:
        add("stock", "stock_none", t("dayend.none", lang), 0)
    for d in r.stock_differences:
        add("stock", f"stock.{d.kind}.{d.reason or ''}",
            t("dayend.stock_units", lang, units=f"{d.units:+d}", actions=d.actions), d.units,
            label=_label_kind(d.kind, d.reason, lang))
    return rows


def _orders_text(order_nos: list[str], lang: str) -> str:
    if not order_nos:
        return "0"
    shown = ", ".join(order_nos[:5]) + (" …" if len(order_nos) > 5 else "")
    return f"{len(order_nos)}: {shown}"


def heading(report: DayEnd, lang: str) -> tuple[str, str]:
    """(title, the day and its time zone) for the top of the screen and the paper."""
    return t("dayend.title", lang), t("dayend.subtitle", lang, day=report.day, tz=report.timezone)


def as_text(report: DayEnd, lang: str) -> str:
    """The report as plain text for a terminal (CLI ``--format text``)."""
    title, sub = heading(report, lang)
    out = [f"{title}  {report.store_id}  {sub}"]
    section = None
    for f in figures(report, lang):
        if f.section != section:
            section = f.section
            out.append("")
            out.append(t(f"dayend.section.{section}", lang))
        out.append(f"  {f.label}: {f.text}")
    out += ["", t("dayend.generated", lang,
                  at=local_stamp(report.generated_at, report.timezone))]
    return "\n".join(out)


def as_csv(report: DayEnd, lang: str) -> str:
    """One row per figure: section, key, label, value (raw unit), text."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["store_id", "day", "section", "key", "label", "value", "text"])
    for f in figures(report, lang):
        writer.writerow([report.store_id, report.day, f.section, f.key, f.label,
                         "" if f.raw is None else f.raw, f.text])
    return buf.getvalue()


def local_stamp(value: str, timezone: str) -> str:
    """A stored UTC time as the store's local date and time (the day end's time zone)."""
    return parse_iso(value).astimezone(ZoneInfo(timezone)).strftime("%Y-%m-%d %H:%M")
