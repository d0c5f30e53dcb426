"""The order card's rows: each line beside its own bag and slot (issue 9 #1)."""

from __future__ import annotations

from datetime import datetime, timezone

from rich.console import Console

from edge.domain.orders import Bag, Line, Order
from edge.ui.widgets.order_card import order_lines


def _order() -> Order:
    now = datetime(2026, 11, 30, 10, tzinfo=timezone.utc)
    order = Order("LS-1", "S001", "live", "pickup", "王**", "1234", "ready", "paid", now, now,
                  False, 9900, 1, None, None, None, None)
    # lines in chilled, ambient, chilled order; bags in ambient-first order
    order.lines = [Line(1, "SAL", "三文鱼", "Salmon", 1, "chilled"),
                   Line(2, "NUT", "坚果", "Nuts", 2, "ambient"),
                   Line(3, "MLK", "牛奶", "Milk", 1, "chilled")]
    order.bags = [Bag("ambient", 1, "A-105", "2026-11-30T09:00:00Z"),
                  Bag("chilled", 2, "F-03", "2026-11-30T09:00:00Z")]
    return order


def _rows(lang: str) -> list[str]:
    console = Console(width=78, record=True, color_system=None)
    console.print(order_lines(_order(), lang))
    return console.export_text().splitlines()


def test_each_line_shows_its_own_bag_and_slot():
    for lang in ("en", "zh-CN"):
        rows = _rows(lang)
        salmon = next(r for r in rows if ("Salmon" in r or "三文鱼" in r))
        nuts = next(r for r in rows if ("Nuts" in r or "坚果" in r))
        milk = next(r for r in rows if ("Milk" in r or "牛奶" in r))
        assert "F-03" in salmon and "A-105" not in salmon
        assert "A-105" in nuts and "F-03" not in nuts
        assert "F-03" in milk


def test_a_line_whose_zone_has_no_bag_says_not_packed():
    order = _order()
    order.bags = [b for b in order.bags if b.zone != "chilled"]
    console = Console(width=78, record=True, color_system=None)
    console.print(order_lines(order, "en"))
    salmon = next(r for r in console.export_text().splitlines() if "Salmon" in r)
    assert "not packed" in salmon and "A-105" not in salmon
