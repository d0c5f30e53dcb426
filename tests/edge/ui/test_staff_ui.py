"""Staff and sign-in driven by keys: a locked clerk unlocked by a manager (issue 7's proof),
the empty PIN that is no try, sign-out and the idle lock, where each role lands, what a clerk
may not open, the command palette, and an override without a reason (issue 9 #3)."""

from __future__ import annotations

import pytest
from textual.command import CommandPalette
from textual.widgets import Input

from edge.config import Config
from edge.domain import audit, clerks
from edge.domain.errors import DomainError
from edge.i18n import t
from edge.store import Store
from edge.ui.app import StoreEdgeApp
from edge.ui.screens.backroom.board import TaskBoardScreen
from edge.ui.screens.counter import CounterScreen
from edge.ui.screens.override import OverrideScreen
from edge.ui.screens.reports.day_end import DayEndScreen
from edge.ui.screens.sign_in import SignInScreen
from edge.ui.screens.staff import StaffScreen
from edge.ui.screens.staff.form import StaffFormScreen
from edge.ui.screens.stock import StockScreen
from tests.support.ui_pilot import screen_text, settle


async def _type(pilot, text: str) -> None:
    for char in text:
        await pilot.press(char)


async def sign_in(pilot, clerk_id: str, pin: str) -> None:
    """At the sign-in screen: id, Enter, PIN, Enter, and wait for the check (scrypt)."""
    screen = pilot.app.screen
    assert isinstance(screen, SignInScreen), screen
    field = screen.query_one("#sign-in-clerk", Input)
    field.value = ""
    field.focus()
    await _type(pilot, clerk_id)
    await pilot.press("enter")
    await _type(pilot, pin)
    await pilot.press("enter")
    await settle(pilot)


def said(pilot) -> str:
    """The sign-in screen's message line."""
    return str(pilot.app.screen.query_one("#sign-in-message").content)


def _failed(store: Store, clerk_id: str) -> tuple[int, str | None]:
    return store.db.execute("SELECT failed_pins, locked_until FROM clerks WHERE clerk_id = ?",
                            [clerk_id]).fetchone()


def test_a_locked_clerk_is_unlocked_by_a_manager(store, run):
    """Five wrong PINs lock c01; the manager signs in, lands on the task board, opens staff
    (ctrl+u), sees the lock and unlocks it; c01 signs in again at once."""
    data_dir = store.data_dir

    async def body():
        app = StoreEdgeApp(data_dir, lang="en")
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            for _ in range(clerks.MAX_FAILED_PINS):
                await sign_in(pilot, "c01", "0000")
            assert isinstance(app.screen, SignInScreen) and app.clerk is None
            assert said(pilot) == t("auth.locked", "en", clerk_id="c01", minutes=1)
            await sign_in(pilot, "c01", "1111")  # the right PIN: still locked
            assert app.clerk is None and said(pilot) == t("auth.locked", "en", clerk_id="c01", minutes=1)

            await sign_in(pilot, "m01", "9999")
            assert app.clerk.clerk_id == "m01"
            assert isinstance(app.screen, TaskBoardScreen)  # a manager lands on the board
            await pilot.press("ctrl+u")
            await settle(pilot)
            staff = app.screen
            assert isinstance(staff, StaffScreen)
            assert "locked until" in screen_text(pilot) and "1 locked" in screen_text(pilot)
            staff.query_one("#staff-table").move_cursor(
                row=[m.clerk_id for m in staff.members].index("c01"))
            await pilot.press("u")
            await settle(pilot)
            assert "c01 unlocked" in screen_text(pilot) and "0 locked" in screen_text(pilot)

            await pilot.press("ctrl+l")  # sign out: back to the sign-in, nothing left open
            await settle(pilot)
            assert isinstance(app.screen, SignInScreen) and app.clerk is None
            assert [type(s) for s in app.screen_stack[1:]] == [CounterScreen, SignInScreen]
            await sign_in(pilot, "c01", "1111")
            assert app.clerk.clerk_id == "c01"
            assert isinstance(app.screen, CounterScreen)  # a clerk lands on the counter

    run(body())
    assert _failed(store, "c01") == (0, None)
    trail = [(a["action"], a["actor"]) for a in audit.for_entity(store.db, "clerk:c01")]
    assert ("auth.locked", "c01") in trail and ("clerk.unlocked", "m01") in trail


def test_an_empty_pin_says_enter_your_pin_and_counts_nothing(store, run):
    async def body():
        app = StoreEdgeApp(store.data_dir, lang="zh-CN")
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            await sign_in(pilot, "c01", "")
            assert said(pilot) == t("auth.pin_empty", "zh-CN") == "请输入密码"
            assert app.screen.query_one("#sign-in-clerk", Input).value == "c01"  # kept
            assert app.clerk is None

    run(body())
    assert _failed(store, "c01") == (0, None)


def test_idle_lock_after_the_configured_time(store, run):
    now = [1000.0]

    async def body():
        cfg = Config(data_dir=store.data_dir, idle_lock_s=120.0)
        app = StoreEdgeApp(store.data_dir, lang="en", clerk_id="m01", cfg=None)
        app.cfg = cfg  # the idle setting without starting devices and sync
        app.idle_clock = lambda: now[0]
        app.last_input = now[0]
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.press("ctrl+u")
            await settle(pilot)
            assert isinstance(app.screen, StaffScreen)
            now[0] += 119
            app.lock_if_idle()
            await settle(pilot)
            assert isinstance(app.screen, StaffScreen) and app.clerk is not None
            await pilot.press("down")  # a key: the idle time starts again
            now[0] += 119
            app.lock_if_idle()
            assert app.clerk is not None
            now[0] += 2
            app.lock_if_idle()
            await settle(pilot)
            assert isinstance(app.screen, SignInScreen) and app.clerk is None
            assert not any(isinstance(s, StaffScreen) for s in app.screen_stack)
            for key in ("escape", "f12", "ctrl+t", "ctrl+u", "f10", "ctrl+p"):
                await pilot.press(key)  # no way past it without a PIN
                await settle(pilot)
                assert isinstance(app.screen, SignInScreen), key

    run(body())


def test_a_clerk_cannot_open_staff_day_end_or_adjust_stock(store, run):
    before = store.db.execute("SELECT COUNT(*) FROM audit").fetchone()[0]

    async def body():
        app = StoreEdgeApp(store.data_dir, lang="en", clerk_id="c01")
        notes: list[str] = []
        app.notify = lambda message, **kw: notes.append(str(message))  # type: ignore[method-assign]
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            for key, what in (("ctrl+u", "Staff"), ("ctrl+e", t("ui.key.day_end", "en"))):
                await pilot.press(key)
                await settle(pilot)
                assert isinstance(app.screen, CounterScreen)
                assert notes[-1] == t("ui.manager_only", "en", what=what)
            assert not any(isinstance(s, (StaffScreen, DayEndScreen)) for s in app.screen_stack)
            assert "Staff" not in screen_text(pilot).splitlines()[-1]  # not in a clerk's footer
            await pilot.press("ctrl+t")  # stock: a clerk reads it, but cannot adjust
            await settle(pilot)
            assert isinstance(app.screen, StockScreen)
            await pilot.press("ctrl+r")
            await settle(pilot)
            assert isinstance(app.screen, StockScreen)  # no adjustment dialog
            # the same keys work for a manager
            app.clerk = clerks.Clerk("m01", "张经理", "manager")
            await pilot.press("ctrl+u")
            await settle(pilot)
            assert isinstance(app.screen, StaffScreen)

    run(body())
    assert store.db.execute("SELECT COUNT(*) FROM audit").fetchone()[0] == before


def test_the_palette_lists_every_screen_and_opens_one(store, run):
    async def body():
        app = StoreEdgeApp(store.data_dir, lang="en", clerk_id="m01")
        async with app.run_test(size=(100, 40)) as pilot:
            await settle(pilot)
            titles = [c.title for c in app.get_system_commands(app.screen)]
            for key in ("ui.key.staff", "ui.board.key.open", "ui.key.stock", "ui.key.day_end",
                        "ui.overdue.key.open", "ui.key.conflicts", "ui.dev.key.temperatures",
                        "ui.dev.key.print_queue", "ui.key.sale", "ui.key.sign_out", "ui.key.quit"):
                assert any(title.startswith(t(key, "en")) for title in titles), (key, titles)
            await pilot.press("ctrl+p")
            await settle(pilot)
            assert isinstance(app.screen, CommandPalette)
            await _type(pilot, "staff")
            await settle(pilot)
            await pilot.press("enter")
            await settle(pilot)
            assert isinstance(app.screen, StaffScreen)
            # in Chinese the palette speaks Chinese
            app.lang = "zh-CN"
            titles = [c.title for c in app.get_system_commands(app.screen)]
            assert t("ui.key.staff", "zh-CN") + "（店长）" in titles or any(
                title.startswith(t("ui.key.staff", "zh-CN")) for title in titles)

    run(body())


def test_a_manager_adds_a_clerk_and_gives_a_new_pin(store, run):
    async def body():
        app = StoreEdgeApp(store.data_dir, lang="en", clerk_id="m01")
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.press("ctrl+u")
            await settle(pilot)
            await pilot.press("a")
            await settle(pilot)
            assert isinstance(app.screen, StaffFormScreen)
            await _type(pilot, "c07")
            await pilot.press("enter")
            await _type(pilot, "Lily")
            await pilot.press("enter")
            await pilot.press("enter")  # role: the select keeps "clerk"
            app.screen.query_one("#staff-pin", Input).focus()
            await _type(pilot, "2468")
            await pilot.press("enter")
            await _type(pilot, "2469")  # a typo in the repeat
            await pilot.press("enter")
            await settle(pilot)
            assert isinstance(app.screen, StaffFormScreen)
            assert "The two PINs differ" in screen_text(pilot)
            assert app.screen.query_one("#staff-id", Input).value == "c07"  # kept
            await _type(pilot, "2468")
            await pilot.press("enter")
            await _type(pilot, "2468")
            await pilot.press("enter")
            await settle(pilot)
            staff = app.screen
            assert isinstance(staff, StaffScreen) and "Added c07 Lily" in screen_text(pilot)
            staff.query_one("#staff-table").move_cursor(
                row=[m.clerk_id for m in staff.members].index("c07"))
            await pilot.press("p")
            await settle(pilot)
            await _type(pilot, "1357")
            await pilot.press("enter")
            await _type(pilot, "1357")
            await pilot.press("enter")
            await settle(pilot)
            assert "New PIN set for c07" in screen_text(pilot)
            await pilot.press("d")  # deactivate: asked first
            await settle(pilot)
            await pilot.press("enter")
            await settle(pilot)
            assert "c07 deactivated" in screen_text(pilot)
            assert not [m for m in staff.members if m.clerk_id == "c07"][0].active

    run(body())
    with pytest.raises(DomainError):
        clerks.authenticate(store.db, "c07", "1357")  # deactivated: cannot sign in
    clerks.set_active(store.db, "c07", True, actor="m01")
    assert clerks.authenticate(store.db, "c07", "1357").role == "clerk"
    assert [a["action"] for a in audit.for_entity(store.db, "clerk:c07") if a["actor"] == "m01"] == [
        "clerk.added", "clerk.pin_reset", "clerk.deactivated", "clerk.reactivated"]


def test_an_override_without_a_reason_says_so_and_keeps_the_fields(data_dir, codes, run):
    """Found bug: it counted as a wrong PIN and silently cleared the field."""
    from tests.support.ui_pilot import make_app, scan

    overdue = codes["overdue"][0]["code"]

    async def body():
        async with make_app(data_dir, lang="en").run_test(size=(80, 24)) as pilot:
            await scan(pilot, overdue)
            await pilot.press("f5")
            await settle(pilot)
            dialog = pilot.app.screen
            assert isinstance(dialog, OverrideScreen)
            await _type(pilot, "m01")
            await pilot.press("enter")
            await _type(pilot, "9999")
            await pilot.press("f5")  # no reason
            await settle(pilot)
            assert pilot.app.screen is dialog
            assert t("override.no_reason", "en") in screen_text(pilot)
            assert dialog.query_one("#override-pin", Input).value == "9999"
            assert dialog.query_one("#override-manager", Input).value == "m01"
            assert dialog.focused is dialog.query_one("#override-reason", Input)

    run(body())
    store = Store.open(data_dir)
    try:
        assert _failed(store, "m01") == (0, None)
    finally:
        store.close()


def test_the_demo_locked_says_who_can_sign_in(data_dir, run):
    """A newcomer whose demo locked itself gets back in without reading the README."""
    from tests.support.ui_pilot import make_app

    async def body():
        app = make_app(data_dir, lang="en")  # the demo, signed in as c01
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.press("ctrl+l")
            await settle(pilot)
            assert isinstance(app.screen, SignInScreen)
            help_text = str(app.screen.query_one("#sign-in-help").content)
            assert "c01 / 1111" in help_text and "m01 / 9999" in help_text
            assert "Esc" not in help_text  # there is no going back without a PIN
            await sign_in(pilot, "m01", "9999")
            assert isinstance(app.screen, TaskBoardScreen)

    run(body())
