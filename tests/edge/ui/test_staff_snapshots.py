"""Snapshots of the staff page and the sign-in screen at 80x24, in Chinese and English.

The store is the fixed test store plus a few people (one locked until a fixed time, one with
wrong PINs, one deactivated); the status bar's clock and the time zone are fixed, so a
snapshot changes only when the screen does. After an intended change:
``pytest tests/edge/ui/test_staff_snapshots.py --snapshot-update`` and look at the SVGs.
"""

from __future__ import annotations

import time
from datetime import datetime, timezone

import pytest
from textual.widgets import Input

from edge.domain import clerks
from edge.domain.errors import DomainError
from edge.ui.screens.staff import StaffScreen
from tests.support.ui_pilot import freeze_status_clock, make_app, settle

FUTURE = datetime(2099, 6, 1, 10, 0, tzinfo=timezone.utc)  # c02's lock runs until 10:01


@pytest.fixture
def people(store, monkeypatch):
    freeze_status_clock(monkeypatch)
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    db = store.db
    clerks.add_clerk(db, "c02", "李强", "2222", actor="m01")
    clerks.add_clerk(db, "c03", "Emily Chen", "3333", actor="m01")
    clerks.add_clerk(db, "c04", "赵敏", "4444", actor="m01")
    clerks.add_clerk(db, "m02", "陈店长", "8888", role="manager", actor="m01")
    for clerk_id, tries, now in (("c02", clerks.MAX_FAILED_PINS, FUTURE), ("c03", 2, None)):
        for _ in range(tries):
            with pytest.raises(DomainError):
                clerks.authenticate(db, clerk_id, "0000", now=now)
    clerks.set_active(db, "c04", False, actor="m01")
    yield store
    monkeypatch.delenv("TZ")
    time.tzset()


async def _open_staff(pilot) -> None:
    pilot.app.open_page(StaffScreen())
    await settle(pilot)


async def _empty_pin(pilot) -> None:
    await settle(pilot)
    screen = pilot.app.screen
    for field in screen.query(Input):
        field.cursor_blink = False
    for char in "c01":
        await pilot.press(char)
    await pilot.press("enter")
    await pilot.press("enter")  # no PIN: "enter your PIN", nothing counted
    await settle(pilot)


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_staff_screen(people, snap_compare, lang):
    app = make_app(people.data_dir, lang=lang, demo=False, clerk_id="m01")
    assert snap_compare(app, terminal_size=(80, 24), run_before=_open_staff)


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_sign_in_screen(people, snap_compare, lang):
    app = make_app(people.data_dir, lang=lang, demo=False)
    assert snap_compare(app, terminal_size=(80, 24), run_before=_empty_pin)
