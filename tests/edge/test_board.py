"""The task board's query: one row per open order, by when it must be ready; filters, search,
counts per status, the made-to-order reminder."""

from __future__ import annotations

from datetime import timedelta

import pytest

from edge import config
from edge.db import write_tx
from edge.domain import board, orders, picking
from tests.support.edge_store import NOW, make_ready, order_data


def _receive(store, order_no: str, *, start_h: float, end_h: float = 6, **kw) -> None:
    data = order_data(order_no, window_start=NOW + timedelta(hours=start_h),
                      window_end=NOW + timedelta(hours=end_h), **kw)
    orders.receive_order(store.db, store.pickup_key, data, now=NOW - timedelta(hours=3))


@pytest.fixture
def stocked(store):
    """Orders in every board status, windows in and out of today, two channels, a cake."""
    with write_tx(store.db):
        _receive(store, "A-NEW", start_h=1, lines=[("B001", 1)], phone_last4="1111",
                 customer="王**")
        _receive(store, "B-PICK", start_h=-2, lines=[("D001", 1), ("M001", 1)],
                 phone_last4="2222", customer="李**", channel="mini")
        _receive(store, "C-PACK", start_h=3, lines=[("B001", 1), ("D001", 1)], phone_last4="3333")
        _receive(store, "D-READY", start_h=-1, lines=[("M001", 2)], phone_last4="4444")
        _receive(store, "E-CAKE", start_h=5, end_h=9, lines=[("B001", 1)], made_to_order=True,
                 phone_last4="5555")
        _receive(store, "F-LATER", start_h=40, end_h=48, lines=[("D001", 1)], phone_last4="6666")
        _receive(store, "G-DONE", start_h=-1, lines=[("B001", 1)], phone_last4="7777")
        _receive(store, "H-OVER", start_h=-9, end_h=-1, lines=[("D001", 1)], phone_last4="8888")
    orders.start_preparing(store.db, "B-PICK", actor="c01", now=NOW)
    for sku in ("B001", "D001"):  # every unit picked, one of two bags packed
        picking.pick_units(store.db, ["C-PACK"], sku, actor="c01", now=NOW)
    orders.pack_bag(store.db, "C-PACK", "ambient", "A-1", actor="c01", now=NOW)
    make_ready(store, "D-READY")
    make_ready(store, "G-DONE")
    from edge.domain import pickup
    pickup.hand_over(store, "G-DONE", "c01", now=NOW)
    orders.mark_overdue(store.db, now=NOW)
    return store


def _nos(rows) -> list[str]:
    return [row.order_no for row in rows]


def test_every_open_order_once_by_window_start(stocked):
    rows = board.board_rows(stocked.db, now=NOW)
    assert _nos(rows) == ["H-OVER", "B-PICK", "D-READY", "A-NEW", "C-PACK", "E-CAKE", "F-LATER"]
    by = {row.order_no: row for row in rows}
    assert {no: row.status for no, row in by.items()} == {
        "H-OVER": "picking", "B-PICK": "picking", "D-READY": "ready", "A-NEW": "new",
        "C-PACK": "packed", "E-CAKE": "new", "F-LATER": "new"}
    assert by["B-PICK"].zones == ("chilled", "frozen") and by["B-PICK"].lines == 2
    assert by["B-PICK"].channel == "mini"
    assert by["B-PICK"].late_by(NOW) == timedelta(hours=2)  # not ready 2 h into its window
    assert by["A-NEW"].late_by(NOW) == -timedelta(hours=1)  # an hour left
    assert by["D-READY"].late_by(NOW) == timedelta(0)  # ready: never late
    assert by["H-OVER"].order_status == "overdue" and by["H-OVER"].is_overdue(NOW)
    assert board.board_row(stocked.db, "G-DONE", now=NOW) is None  # handed over: off the board
    assert board.board_row(stocked.db, "C-PACK", now=NOW) == by["C-PACK"]


def test_filters_by_status_zone_channel_and_window(stocked):
    rows = board.board_rows(stocked.db, now=NOW)

    def shown(**kw) -> list[str]:
        return _nos(board.view(rows, board.BoardFilter(**kw), NOW).rows)

    assert shown(status="new") == ["A-NEW", "E-CAKE", "F-LATER"]
    assert shown(status="ready") == ["D-READY"]
    assert shown(zone="frozen") == ["B-PICK", "D-READY"]
    assert shown(channel="mini") == ["B-PICK"]
    assert shown(window="overdue") == ["H-OVER"]
    assert shown(window="next2h") == ["B-PICK", "D-READY", "A-NEW"]
    today = shown(window="today")
    assert "F-LATER" not in today and "H-OVER" not in today and "B-PICK" in today
    assert shown(status="new", zone="ambient") == ["A-NEW", "E-CAKE"]
    with pytest.raises(ValueError):
        board.BoardFilter(status="nonsense")


def test_search_by_order_number_phone_and_name(stocked):
    rows = board.board_rows(stocked.db, now=NOW)

    def found(text: str) -> list[str]:
        return _nos(board.view(rows, board.BoardFilter(search=text), NOW).rows)

    assert found("c-pa") == ["C-PACK"]  # part of the number, any case
    assert found("2222") == ["B-PICK"]  # phone last 4
    assert found("李") == ["B-PICK"]  # surname (names are masked to it)
    assert found("王1111") == ["A-NEW"]  # surname and phone, as at the counter
    assert found("李1111") == []
    assert found("  ") == _nos(rows)
    assert found("nothing-like-it") == []


def test_counts_per_status_follow_the_other_filters(stocked):
    rows = board.board_rows(stocked.db, now=NOW)
    assert board.view(rows, board.BoardFilter(), NOW).counts == {
        "new": 3, "picking": 2, "packed": 1, "ready": 1, "waiting": 0}
    # the status filter itself does not change the tabs' counts
    assert board.view(rows, board.BoardFilter(status="ready"), NOW).counts == {
        "new": 3, "picking": 2, "packed": 1, "ready": 1, "waiting": 0}
    assert board.view(rows, board.BoardFilter(zone="chilled"), NOW).counts == {
        "new": 1, "picking": 2, "packed": 1, "ready": 0, "waiting": 0}


def test_made_to_order_reminder_hours_before_the_window(stocked):
    def reminded(hours: float, now=NOW) -> list[str]:
        return _nos(board.reminders_due(board.board_rows(stocked.db, now=now, reminder_hours=hours)))

    assert reminded(4) == []  # the cake's window opens in 5 h
    assert reminded(6) == ["E-CAKE"]
    assert reminded(4, now=NOW + timedelta(hours=1, minutes=1)) == ["E-CAKE"]
    orders.start_preparing(stocked.db, "E-CAKE", actor="c01", now=NOW)
    assert reminded(6) == ["E-CAKE"]  # started, not packed: still shown
    orders.pack_bag(stocked.db, "E-CAKE", "ambient", "A-2", actor="c01", now=NOW)
    assert reminded(6) == []


def test_time_moves_the_reminder_without_reading_again(stocked):
    rows = board.board_rows(stocked.db, now=NOW, reminder_hours=4)
    assert board.reminders_due(rows) == []
    later = NOW + timedelta(hours=1, minutes=1)
    assert [r.order_no for r in board.reminders_due(board.retime(rows, later, 4))] == ["E-CAKE"]
    assert rows == board.board_rows(stocked.db, now=later, reminder_hours=4)  # as if re-read


def test_reminder_hours_come_from_the_config():
    assert config.parse("").made_to_order_reminder_h == 4.0
    assert config.parse("[board]\nmade_to_order_reminder_h = 12\n").made_to_order_reminder_h == 12
    for bad in ("[board]\nmade_to_order_reminder_h = -1\n",
                "[board]\nmade_to_order_reminder_h = \"6\"\n",
                "[board]\nmade_to_order_reminder = 6\n"):
        with pytest.raises(config.ConfigError):
            config.parse(bad)


def test_data_version_moves_when_another_connection_writes(stocked, tmp_path):
    from edge.store import Store

    other = Store.open(stocked.data_dir)
    try:
        before = board.data_version(other.db)
        assert board.data_version(other.db) == before  # reading changes nothing
        orders.start_preparing(stocked.db, "A-NEW", actor="c01", now=NOW)
        assert board.data_version(other.db) != before
    finally:
        other.close()


def test_the_board_status_is_fulfilments_rule_at_every_step(stocked):
    """The board computes picking.board_status in SQL: both agree for every order, through
    picks, a short pick waiting for the manager, the decision, packing and readiness."""
    db = stocked.db

    def agree() -> dict[str, str]:
        rows = board.board_rows(db, now=NOW)
        for row in rows:
            assert row.status == picking.board_status(orders.get_order(db, row.order_no))
            assert board.board_row(db, row.order_no, now=NOW) == row  # one row after an action
        return {row.order_no: row.status for row in rows}

    agree()
    picking.pick_units(db, ["F-LATER"], "D001", actor="c01", now=NOW)  # all picked, not packed
    assert agree()["F-LATER"] == "packed"
    picking.pick_units(db, ["B-PICK"], "D001", actor="c01", now=NOW)
    assert agree()["B-PICK"] == "picking"  # the frozen line is still to pick
    picking.short_pick(db, ["B-PICK"], "M001", 1, actor="c01", now=NOW)
    assert agree()["B-PICK"] == "picking"  # waits for the manager
    picking.decide_short(db, "B-PICK", "ready_without", manager="m01", now=NOW)
    assert agree()["B-PICK"] == "packed"
    orders.pack_bag(db, "B-PICK", "chilled", "F-1", actor="c01", now=NOW)
    assert agree()["B-PICK"] == "ready"
    picking.pick_units(db, ["A-NEW"], "B001", 1, actor="c01", now=NOW)
    assert agree()["A-NEW"] == "packed"


def test_a_packed_order_past_its_window_waits_in_overdue_pickups_not_on_the_board(stocked):
    """Two-day-old packed orders filled the top of a manager's board (sorted by window)
    although nothing is left to prepare: they belong to ctrl+o unless asked for."""
    make_ready(stocked, "H-OVER")
    rows = board.board_rows(stocked.db, now=NOW)

    def shown(**kw) -> list[str]:
        return _nos(board.view(rows, board.BoardFilter(**kw), NOW).rows)

    assert "H-OVER" not in shown()
    assert "H-OVER" in shown(window="overdue")
    assert "H-OVER" in shown(search="H-OVER")
    assert shown()[0] == "B-PICK"  # what needs work comes first
