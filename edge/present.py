"""Turning domain results into words and plain data, shared by the CLI and the UI."""

from __future__ import annotations

from datetime import datetime, timedelta

from edge.clock import parse_iso
from edge.domain.clerks import StaffMember
from edge.domain import delivery
from edge.domain.delivery_eta import MIN_SAMPLES, UsualTimes
from edge.domain.orders import Order
from edge.domain.pickup import Verdict
from edge.i18n import CATALOG, t


def local_time(value: str | datetime | None, *, with_date: bool = True,
               tz: tzinfo | None = None) -> str:
    """A stored UTC time as the store's local wall-clock time (``tz``: the store's configured
    time zone, as day end and the cold chain use; default: this computer's)."""
    if value is None:
        return ""
    dt = parse_iso(value) if isinstance(value, str) else value
    return dt.astimezone(tz).strftime("%m-%d %H:%M" if with_date else "%H:%M")


def window_text(order: Order) -> str:
    start, end = order.window_start.astimezone(), order.window_end.astimezone()
    if start.date() == end.date():
        return f"{start:%m-%d %H:%M}–{end:%H:%M}"
    return f"{start:%m-%d %H:%M}–{end:%m-%d %H:%M}"


def short_order_no(order_no: str, store_id: str | None) -> str:
    """An order number as a narrow column shows it: without this store's own prefix (at its
    own terminal every order is the store's), so two orders never look alike once cut."""
    prefix = f"{store_id}-" if store_id else ""
    return order_no[len(prefix):] if prefix and order_no.startswith(prefix) else order_no


def line_name(line, lang: str) -> str:
    return line.name_zh if lang == "zh-CN" else line.name_en


def cancel_reason_text(reason: str, lang: str) -> str:
    """A cancel reason: HQ's reason codes in words; free text from HQ as it came."""
    key = f"cancel_reason.{reason}"
    return t(key, lang) if key in CATALOG else reason


def not_taken_text(order: Order, lang: str) -> str:
    """The lines a customer did not take, e.g. "第 1 行 ×1 拒收" / "line 1 ×1 refused"."""
    sep = "、" if lang == "zh-CN" else ", "
    return sep.join(t("present.not_taken_line", lang, line_no=line.line_no, name=line_name(line, lang),
                      qty=line.qty_not_taken, reason=t(f"reason.{line.not_taken_reason}", lang))
                    for line in order.lines if line.qty_not_taken)


def conflict_detail(conflict, order: Order | None, lang: str) -> str:
    """A conflict in the reader's language. HQ's detail text is for HQ's operators (English);
    for the kinds the store knows, the words are made here from the store's own records."""
    key = f"conflict.detail.{conflict.kind}"
    if key not in CATALOG or (order is None and conflict.order_no):
        return conflict.detail
    params: dict[str, object] = {"sku": conflict.sku or ""}
    if order is not None:
        params.update(clerk=order.picked_up_by or "—", lines=not_taken_text(order, lang) or "—",
                      order_no=order.order_no)
    return t(key, lang, **params)


def verdict_message(verdict: Verdict, lang: str) -> str:
    """The big one-line verdict shown to the clerk."""
    p = dict(verdict.params)
    kind = verdict.kind
    if kind == "malformed":
        p["why_text"] = t(f"why.{p.get('why', 'garbage')}", lang)
    elif kind == "other_store":
        p["store_name"] = p["name_zh"] if lang == "zh-CN" else p["name_en"]
    elif kind in ("picked_up", "collected", "delivered"):
        p["at"] = local_time(p.get("at"))
    elif kind == "courier_ok":
        p["zones_text"] = "、".join(t("zone." + z, lang) for z in p.get("zones", []))
    elif kind == "no_parcel":
        p["zone"] = t("zone." + p["zone"], lang) if p.get("zone") else ""
    elif kind == "cancelled":
        reason = cancel_reason_text(p.get("reason") or "", lang)
        p["reason"] = (f"（{reason}）" if lang == "zh-CN" else f"({reason})") if reason else ""
    elif kind == "not_ready" and verdict.order is not None:
        missing = [line for line in verdict.order.lines if line.line_no in p.get("missing", [])]
        item = "{name} ×{qty}（{zone}）" if lang == "zh-CN" else "{name} ×{qty} ({zone})"
        p["missing_text"] = ("、" if lang == "zh-CN" else ", ").join(
            item.format(name=line_name(line, lang), qty=line.qty, zone=t("zone." + line.zone, lang))
            for line in missing
        ) or t(f"status.{verdict.order.status}", lang)
        if verdict.order.presale_state == "waiting":  # sold ahead: its goods have not come
            p["missing_text"] = f"{t('status.presale_waiting', lang)} — {p['missing_text']}"
    elif kind == "before_window":
        p["start"] = local_time(p["start"])
    elif kind == "overdue":
        p["end"] = local_time(p["end"])
    return t(f"verdict.{kind}", lang, **p)


def order_dict(order: Order) -> dict:
    """An order as plain JSON-ready data (what `pickup check --json` prints)."""
    return {
        "order_no": order.order_no, "store_id": order.store_id, "channel": order.channel,
        "fulfilment": order.fulfilment, "customer": order.customer_masked,
        "phone_last4": order.phone_last4, "status": order.status,
        "payment_status": order.payment_status,
        "window_start": order.window_start.isoformat(), "window_end": order.window_end.isoformat(),
        "made_to_order": order.made_to_order, "total_cents": order.total_cents,
        "picked_up_at": order.picked_up_at, "picked_up_by": order.picked_up_by,
        "lines": [{"line_no": line.line_no, "sku": line.sku, "name_zh": line.name_zh,
                   "name_en": line.name_en, "qty": line.qty, "zone": line.zone,
                   "qty_not_taken": line.qty_not_taken, "not_taken_reason": line.not_taken_reason}
                  for line in order.lines],
        "bags": [{"bag_no": bag.bag_no, "zone": bag.zone, "slot": bag.slot,
                  "packed": bag.packed} for bag in order.bags],
    }


def verdict_dict(verdict: Verdict, lang: str) -> dict:
    return {
        "verdict": verdict.kind, "message": verdict_message(verdict, lang),
        "can_hand_over": verdict.can_hand_over, "needs_override": verdict.needs_override,
        "params": verdict.params,
        "order": order_dict(verdict.order) if verdict.order else None,
        "matches": [order_dict(o) for o in verdict.matches],
    }


def duration_text(delta: timedelta, lang: str) -> str:
    """1天3时 / 2h05m / 35m in the clerk's language (minutes rounded down, sign dropped)."""
    from edge.domain import board_i18n  # noqa: F401  (registers board.dur.*)

    minutes = int(abs(delta).total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return t("board.dur.days", lang, d=days, h=hours)
    if hours:
        return t("board.dur.hours", lang, h=hours, m=f"{mins:02d}")
    return t("board.dur.minutes", lang, m=mins)


def timing_text(row, now: datetime, lang: str) -> tuple[str, str]:
    """A board row's timing and how urgent it is ('late', 'left' or ''): overdue by how
    long, running late by how long (not ready past its window's start), else the time left."""
    if row.is_overdue(now):
        return t("board.overdue", lang, dur=duration_text(now - row.window_end, lang)), "late"
    if getattr(row, "is_delivery", False):  # counts down to the promised time, even when packed
        late = row.late_by(now)
        if late > timedelta(0):
            return t("board.late", lang, dur=duration_text(late, lang)), "late"
        left = t("board.left", lang, dur=duration_text(late, lang))
        return ("⚠" + left, "risk") if row.at_risk(now) else (left, "left")
    if row.status == "ready":
        return "", ""
    late = row.late_by(now)
    if late > timedelta(0):
        return t("board.late", lang, dur=duration_text(late, lang)), "late"
    return t("board.left", lang, dur=duration_text(late, lang)), "left"


def usual_text(usual: UsualTimes, lang: str) -> str:
    """How the board's ⚠ on a delivery is worked out, with this store's figures."""
    source = (t("delivery.usual.history", lang, n=usual.samples) if usual.from_history
              else t("delivery.usual.default", lang, n=MIN_SAMPLES))
    return t("delivery.usual", lang, prep=f"{usual.prep:g}", handoff=f"{usual.handoff:g}",
             ride=f"{usual.ride:g}", source=source)


def courier_text(courier_expected: str | None, lang: str) -> str:
    """The rider the platform named, or, when it gave the order up ("✗ <its note>"), that
    fact in the reader's language with the platform's own words after it."""
    note = delivery.given_up_note(courier_expected)
    if note is not None:
        return (t("delivery.courier_given_up_note", lang, note=note) if note
                else t("delivery.courier_given_up", lang))
    return courier_expected or ""


def staff_state(m: StaffMember, lang: str) -> str:
    """Active / locked until HH:MM / deactivated, in the reader's language."""
    if not m.active:
        return t("staff.state_inactive", lang)
    if m.locked_until is not None:
        return t("staff.state_locked", lang, until=local_time(m.locked_until, with_date=False))
    return t("staff.state_active", lang)
