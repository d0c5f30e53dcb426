"""Prep suggestions on a small known history (real store database, real sales): the figure's
arithmetic, the live stream's raise only while HQ's rate is fresh, and a manager accepting
a suggestion into a prep task (audited, in the outbox for HQ) that is then made and booked
into stock."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest

from edge.domain import clerks, prep, stock
from edge.domain.errors import DomainError
from edge.domain.prep_i18n import explain
from edge.domain.prep_model import (STREAM_HALF_LIFE_MIN, TREND_PRIOR, _stream_minutes)
from edge.domain.sales import SaleLine, sell
from edge.store import init_store

# a Tuesday, 10:00 on this computer's clock (the store's hours are local)
NOW = datetime(2026, 11, 24, 10, 0).astimezone()


@pytest.fixture
def store(tmp_path):
    s = init_store(tmp_path / "store", "S001", "静安寺店", "Jing'an Temple")
    s.db.execute("INSERT INTO products (sku, name_zh, name_en, zone, price_cents, shelf_life_days)"
                 " VALUES ('CAKE1', '草莓蛋糕', 'Strawberry cake', 'chilled', 8800, 2),"
                 " ('NUT1', '每日坚果', 'Daily nuts', 'ambient', 2900, 180)")
    clerks.add_clerk(s.db, "c01", "王芳", "1111")
    clerks.add_clerk(s.db, "m01", "张经理", "9999", role="manager")
    # three Tuesdays back, 10:xx: 4, 6 and 5 cakes (oldest first: 5 three weeks ago)
    stock.receive(s.db, sku="CAKE1", lot="OLD", qty=15, actor="m01", now=NOW - timedelta(weeks=4))
    for weeks, qty in ((3, 5), (2, 6), (1, 4)):
        sell(s, [SaleLine("CAKE1", qty)], "c01", now=NOW - timedelta(weeks=weeks) + timedelta(minutes=10))
    stock.receive(s.db, sku="CAKE1", lot="NEW", qty=2, actor="m01", now=NOW - timedelta(hours=1))
    yield s
    s.close()


def test_figure_from_the_same_weekday_hour(store):
    [s] = prep.suggest(store.db, now=NOW, hours=3)
    first = s.hours[0]
    assert (first.method, first.samples, first.history) == ("weekday", 3, 5.0)  # median of 5, 6, 4
    assert first.level == 1.0  # nothing expected earlier today: no evidence either way
    trend = (4 + TREND_PRIOR) / ((6 + 5) / 2 + TREND_PRIOR)  # last 7 days vs the weeks before
    assert first.trend == pytest.approx(trend)
    assert first.total == pytest.approx(5 * trend)
    assert [p.total for p in s.hours[1:]] == [0.0, 0.0]  # 11:00 and 12:00 never sold one
    assert (s.demand, s.on_hand, s.preparing, s.prep) == (5, 2, 0, 3)
    assert s.fresh and s.sku == "CAKE1"
    how = explain(s, "en")
    assert how[0] == f"Tue 10:00 3-wk median 5 ×trend {trend:.2f} = {5 * trend:.1f}"
    assert how[-1] == "3 h: 5 − on hand 2 − preparing 0 → prep 3"
    assert explain(s, "zh-CN")[-1] == "3小时合计 5 − 现有 2 − 备货中 0 → 建议备货 3"


def test_thin_history_blends_with_the_hour_profile(store):
    # a week later than the fixture's history started, only one Tuesday is older than 2 weeks
    [s] = prep.suggest(store.db, now=NOW - timedelta(weeks=1), hours=1)
    part = s.hours[0]
    assert (part.method, part.samples) == ("blend", 2)
    profile = (6 + 5) / 14  # the 10:00 hour over the 14 days before: 6 and 5, else zero
    assert part.history == pytest.approx(2 / 3 * 5.5 + 1 / 3 * profile)


def _rate(as_of: datetime, per_min: float = 2.0, share: float = 0.5) -> dict:
    return {"channel": "douyin", "stream_id": "douyin@x", "started_at": (as_of - timedelta(minutes=20)).isoformat(),
            "as_of": as_of.isoformat(), "window_min": 10, "orders": int(per_min * 10),
            "orders_per_min": per_min, "units_per_order": {"CAKE1": share, "NUT1": 1.0}}


def test_stream_raises_only_while_fresh(store):
    assert prep.record_stream(store.db, _rate(NOW - timedelta(minutes=1)), now=NOW)
    assert not prep.record_stream(store.db, _rate(NOW - timedelta(minutes=3)), now=NOW)  # older
    by_sku = {s.sku: s for s in prep.suggest(store.db, now=NOW, hours=2)}
    first = by_sku["CAKE1"].hours[0]
    minutes = _stream_minutes(0, 60)
    assert minutes == pytest.approx(STREAM_HALF_LIFE_MIN / 0.6931471805599453 * (1 - 2 ** (-60 / STREAM_HALF_LIFE_MIN)))
    assert first.stream_units == pytest.approx(2.0 * minutes * 0.5)
    assert first.total == pytest.approx(first.base + 2.0 * minutes * 0.5)
    assert by_sku["NUT1"].hours[1].stream_minutes == pytest.approx(_stream_minutes(60, 120))
    assert "stream 2.0/min × " in explain(by_sku["CAKE1"], "en")[0]
    assert by_sku["NUT1"].demand == round(2.0 * _stream_minutes(0, 120))  # the stream alone
    # six minutes after HQ's last word the stream is not counted any more
    later = NOW + timedelta(minutes=5, seconds=1)
    stale = {s.sku: s for s in prep.suggest(store.db, now=later, hours=2)}
    assert "NUT1" not in stale and stale["CAKE1"].hours[0].stream_rate == 0


def test_accept_creates_prep_tasks_then_done_books_stock(store):
    with pytest.raises(DomainError) as refused:
        prep.accept(store.db, ["CAKE1"], actor="c01", now=NOW)  # a clerk
    assert refused.value.code == "auth.not_manager"
    with pytest.raises(DomainError) as nothing:
        prep.accept(store.db, ["CAKE1", "NUT1"], actor="m01", now=NOW)  # all or none
    assert nothing.value.code == "prep.nothing_to_prep"
    assert prep.open_tasks(store.db) == []
    [task] = prep.accept(store.db, ["CAKE1"], actor="m01", now=NOW)
    assert task.task_id.startswith("S001:prep-") and task.fields["qty"] == 3
    event = store.db.execute("SELECT type, payload FROM outbox WHERE entity = ?",
                             [f"task:{task.task_id}"]).fetchone()
    assert event[0] == "task.updated" and json.loads(event[1])["status"] == "open"
    assert store.db.execute("SELECT actor FROM audit WHERE action = 'task.created'").fetchone()[0] == "m01"
    [s] = prep.suggest(store.db, now=NOW, hours=3)
    assert (s.preparing, s.prep) == (3, 0)  # the same suggestion is not taken twice
    with pytest.raises(DomainError):
        prep.accept(store.db, ["CAKE1"], actor="m01", now=NOW)
    done = prep.finish(store.db, task.task_id, actor="c01", now=NOW)
    assert done.status == "done" and prep.open_tasks(store.db) == []
    assert stock.levels(store.db, "CAKE1").on_hand == 5  # 2 + the 3 made
    with pytest.raises(DomainError) as closed:
        prep.finish(store.db, task.task_id, actor="c01", now=NOW)
    assert closed.value.code == "prep.task_closed"


def test_bad_hours_refused(store):
    with pytest.raises(DomainError) as bad:
        prep.suggest(store.db, now=NOW, hours=0)
    assert bad.value.code == "prep.bad_hours"
