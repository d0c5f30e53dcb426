"""Every screen in zh-CN shows no English word that is not a name (issue 9 #6).

A manager (who may open every screen) walks through each app key, the counter's verdicts
and dialogs, and the back room's drill-downs on a seeded demo store at 80x24; whatever the
terminal shows is scanned for English words. Allowed: key names in the footer, the language
switch's own label ("English"), and words that are names (none in the demo's catalog).
"""

from __future__ import annotations

import re

from edge.domain import orders
from tests.support.ui_pilot import make_app, open_store, scan, screen_text, settle

ALLOWED = {
    "esc", "enter", "space", "tab", "ctrl", "shift", "del",  # key names in the footer and hints
    "english",                                               # the language switch's own label
}
NAMES: set[str] = set()
WORD = re.compile(r"[A-Za-z0-9]+")
CONFIG_NAME = re.compile(r"\[\[?[\w.]+\]\]?|store-edge\.toml")  # what the user types in the config


def english_words(text: str, names: set[str]) -> set[str]:
    """Tokens made of letters only, 3 or more long, that are not names. SKUs, order numbers,
    slots and keys like F5 carry digits; acronyms (PIN, CSV, SKU) are written so in Chinese
    too; config keys are what the user types."""
    text = CONFIG_NAME.sub(" ", text)
    for name in sorted(names, key=len, reverse=True):
        text = text.replace(name, " ")
    return {w for w in WORD.findall(text)
            if w.isalpha() and len(w) >= 3 and w.lower() not in ALLOWED
            and not (w.isupper() and len(w) <= 4)}


def _names(data_dir) -> set[str]:
    """Product, people and store names, and the store's time zone: names, not words."""
    from edge import config

    store = open_store(data_dir)
    try:
        names = {r[0] for r in store.db.execute(
            "SELECT name_zh FROM products UNION SELECT name_en FROM products"
            " UNION SELECT name FROM clerks UNION SELECT name_zh FROM stores"
            " UNION SELECT name_en FROM stores")}
    finally:
        store.close()
    names |= set(config.load(data_dir).timezone.split("/"))
    names |= {part for name in names for part in name.split() if len(part) >= 3}  # may wrap
    return {n for n in names if n}


async def _look(pilot, where: str, seen: dict[str, set[str]]) -> None:
    await settle(pilot)
    words = english_words(screen_text(pilot), NAMES)
    if words:
        seen[where] = words


def test_no_english_on_any_screen_in_chinese(data_dir, codes, run):
    store = open_store(data_dir)
    open_order = store.db.execute("SELECT order_no FROM orders WHERE status = 'allocated'"
                                  " ORDER BY window_start LIMIT 1").fetchone()[0]
    store.close()
    app_keys = [("f12", "task board"), ("ctrl+o", "overdue"), ("ctrl+t", "stock"),
                ("ctrl+e", "day end"), ("ctrl+u", "staff"), ("f4", "conflicts"),
                ("f7", "fridges"), ("f8", "print queue"), ("f3", "demo codes"),
                ("f10", "sale"), ("ctrl+y", "delivery"), ("ctrl+p", "palette")]
    seen: dict[str, set[str]] = {}
    NAMES.clear()
    NAMES.update(_names(data_dir))

    async def body():
        app = make_app(data_dir, clerk_id="m01", lang="zh-CN")
        async with app.run_test(size=(80, 24)) as pilot:
            for key, name in app_keys:
                await pilot.press(key)
                await _look(pilot, name, seen)
                await pilot.press("escape")
                await settle(pilot)
            from edge.ui.screens.counter import CounterScreen
            while not isinstance(app.screen, CounterScreen):
                await pilot.press("escape")
                await settle(pilot)
            for scenario, entries in sorted(codes.items()):
                await scan(pilot, entries[0]["qr"])
                await _look(pilot, f"counter: {scenario}", seen)
            await scan(pilot, codes["ready"][0]["qr"])
            await pilot.press("f6")
            await _look(pilot, "partial pickup", seen)
            await pilot.press("escape")
            await scan(pilot, codes["overdue"][0]["qr"])
            await pilot.press("f5")
            await _look(pilot, "override", seen)
            await pilot.press("escape")
            await pilot.press("f2")
            await _look(pilot, "sign in", seen)
            await pilot.press("escape")
            from edge.ui.screens.backroom.pack import PackScreen
            from edge.ui.screens.backroom.pick import PickScreen
            app.push_screen(PickScreen([open_order]))
            await _look(pilot, "pick", seen)
            await pilot.press("escape")
            app.push_screen(PackScreen([open_order]))
            await _look(pilot, "pack", seen)
            await pilot.press("escape")
            from edge.ui.screens.backroom.prep import PrepScreen
            app.push_screen(PrepScreen())
            await _look(pilot, "prep", seen)

    run(body())
    assert seen == {}, f"English on zh-CN screens: {seen}"
