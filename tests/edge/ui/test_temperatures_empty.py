"""F7 on a store with no fridge probe configured (every store `store-edge init` makes): the
screen says so in full at 80x24, in both languages."""

from __future__ import annotations

import pytest

from edge.i18n import t
from edge.ui.screens.devices.temperatures import TemperatureScreen
from tests.support.ui_pilot import make_app, screen_text, settle, until


@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_no_probe_is_said_in_full(store, run, lang):
    async def body():
        async with make_app(store.data_dir, lang=lang, demo=False, clerk_id="m01").run_test(
                size=(80, 24)) as pilot:
            await pilot.press("f7")
            await until(pilot, lambda: isinstance(pilot.app.screen, TemperatureScreen))
            await settle(pilot)
            text = " ".join(screen_text(pilot).split())
            # was clipped to the table's first column: 'No fri' / '未配置'
            assert " ".join(t("ui.dev.temp.no_fridges", lang).split()) in text, text
    run(body())
