"""The terminal app started for a real store takes the day's backup by itself, verified,
without anyone pressing a key (a PC that was off yesterday takes the missed one at start)."""

from __future__ import annotations

from edge.backup import list_backups, verify
from edge.config import Config
from tests.support.ui_pilot import make_app


def test_the_app_takes_the_missed_daily_backup_at_start(data_dir, run):
    assert not list_backups(data_dir / "backups")

    async def body():
        app = make_app(data_dir, demo=False, clerk_id="c01", cfg=Config(data_dir=data_dir))
        async with app.run_test(size=(80, 24)) as pilot:
            assert app.daily_backup is not None
            for _ in range(400):
                if app.daily_backup.checks:
                    break
                await pilot.pause(0.05)
            assert app.daily_backup.checks >= 1

    run(body())
    (path, _at, reason), = list_backups(data_dir / "backups")
    assert reason == "daily"
    assert verify(path)["orders"] > 0
    assert path.with_suffix(".key").read_bytes() == (data_dir / "pickup.key").read_bytes()
