"""The database (customers, orders) and the config (the HQ token) are readable by the store's
user only: created 0600, and a looser existing file is reported with the fix."""
from __future__ import annotations

import os
import stat

import pytest

from edge.cli import main
from edge.db import DB_FILENAME
from edge.store import init_store

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_database_wal_and_demo_files_are_created_0600(tmp_path):
    old = os.umask(0o022)  # the usual default, which made these 0644
    try:
        from edge import demo

        store = demo.seed(tmp_path / "d", n_orders=6)
        store.db.execute("PRAGMA wal_checkpoint(PASSIVE)")
        files = [DB_FILENAME, DB_FILENAME + "-wal", "store-edge.toml", demo.CODES_FILENAME,
                 "pickup.key"]
        modes = {name: _mode(tmp_path / "d" / name) for name in files if (tmp_path / "d" / name).exists()}
        store.close()
    finally:
        os.umask(old)
    assert set(modes) >= {DB_FILENAME, "store-edge.toml", demo.CODES_FILENAME}
    assert all(m == 0o600 for m in modes.values()), {k: oct(v) for k, v in modes.items()}


def test_a_looser_config_or_database_is_reported(tmp_path, capsys):
    d = tmp_path / "s"
    init_store(d, "S001", "测试店", "Test").close()
    (d / "store-edge.toml").write_text('[hq]\nurl = "http://127.0.0.1:1"\ntoken = "secret"\n')
    os.chmod(d / "store-edge.toml", 0o644)
    assert main(["sync", "--status", "--data-dir", str(d), "--lang", "en"]) == 0
    err = capsys.readouterr().err
    assert "store-edge.toml can be read by other users (mode 644): run chmod 600" in err
    assert DB_FILENAME not in err  # the database was created 0600
    os.chmod(d / "store-edge.toml", 0o600)
    os.chmod(d / DB_FILENAME, 0o640)
    assert main(["sync", "--status", "--data-dir", str(d)]) == 0
    err = capsys.readouterr().err
    assert f"{DB_FILENAME} 其他用户也能读取（权限 640）" in err and "store-edge.toml" not in err
