"""The store PC's artifact for real: packaging/build.sh builds the wheel, a clean virtual
environment gets it (and its dependencies from the registry, through the pip cache), and the
installed ``store-edge`` answers ``--version``, seeds a demo store and judges one of its
pickup codes; the UI's CSS loads from the installed package; the systemd units verify.

One build, one install and one seeded store for the module: most of the time is pip
resolving and unpacking the dependencies (numpy, opencv...), the rest Python starting."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # runs under `make test` (nothing deselects it); about a minute on a quiet machine
ROOT = Path(__file__).resolve().parents[2]
VERSION = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]
UNITS = ("store-edge-sync.service", "store-edge-ui.service")


def _run(*cmd: str | Path, env: dict | None = None, timeout: float = 300,
         cwd: Path | None = None) -> subprocess.CompletedProcess:
    """``cwd``: anywhere but the checkout, whose edge/ a ``python -c`` would import first."""
    return subprocess.run([str(c) for c in cmd], capture_output=True, text=True, timeout=timeout,
                          env=env, cwd=cwd)


@pytest.fixture(scope="module")
def system_root(tmp_path_factory) -> Path:
    """The tree packaging/install.sh installs into (STORE_EDGE_ROOT) instead of /."""
    work = tmp_path_factory.mktemp("artifact")
    env = _clean_env(work)
    built = _run("sh", ROOT / "packaging" / "build.sh", work / "dist",
                 env={**env, "PYTHON": sys.executable})
    assert built.returncode == 0, built.stderr
    wheel = Path(built.stdout.strip().splitlines()[-1])
    assert wheel.name == f"store_edge-{VERSION}-py3-none-any.whl" and wheel.is_file()
    root = work / "root"
    installed = _run("sh", ROOT / "packaging" / "install.sh", "--wheel", wheel, _user(),
                     env={**env, "STORE_EDGE_ROOT": str(root)}, cwd=work)
    assert installed.returncode == 0, installed.stdout + installed.stderr[-3000:]
    assert f"installed store-edge {VERSION} in {root}/opt/store-edge" in installed.stdout
    return root


@pytest.fixture(scope="module")
def installed(system_root) -> Path:
    """The bin directory of the clean venv install.sh made and put the wheel in."""
    return system_root / "opt" / "store-edge" / "bin"


def _user() -> str:
    return subprocess.run(["id", "-un"], capture_output=True, text=True).stdout.strip()


def _clean_env(home: Path) -> dict:
    """No PYTHONPATH (the installed package, not this checkout: pip would even take the
    checkout's egg-info for store-edge already installed), data and logs of its own; HOME
    and so the pip cache stay the user's."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "STORE_EDGE_DATA_DIR",
                                                            "STORE_EDGE_CONFIG")}
    return {**env, "XDG_DATA_HOME": str(home / "data"),
            "XDG_STATE_HOME": str(home / "state")}


@pytest.fixture(scope="module")
def seeded(installed, tmp_path_factory) -> Path:
    """A demo store seeded by the installed ``store-edge demo --seed-only`` (with its HQ)."""
    home = tmp_path_factory.mktemp("seeded")
    data = home / "demo"
    seeded = _run(installed / "store-edge", "demo", "--seed-only", "--orders", "12",
                  "--data-dir", data, env=_clean_env(home), cwd=home)
    assert seeded.returncode == 0, seeded.stderr
    return data


def test_installed_wheel_runs_version_and_a_seeded_pickup_check(installed, seeded, tmp_path):
    env = _clean_env(tmp_path)
    version = _run(installed / "store-edge", "--version", env=env, cwd=tmp_path)
    assert (version.returncode, version.stdout.strip()) == (0, f"store-edge {VERSION}")
    where = _run(installed / "python", "-c", "import edge; print(edge.__file__)", env=env, cwd=tmp_path)
    assert str(installed.parent) in where.stdout, "the installed package, not the checkout"

    data = seeded
    codes = _run(installed / "store-edge", "demo", "codes", "--json", "--data-dir", data, env=env, cwd=tmp_path)
    assert codes.returncode == 0, codes.stderr
    ready = next(c for c in json.loads(codes.stdout)["codes"] if c["status"] == "ready")
    check = _run(installed / "store-edge", "pickup", "check", ready["code"], "--json",
                 "--data-dir", data, "--lang", "en", env=env, cwd=tmp_path)
    assert check.returncode == 0, check.stdout + check.stderr
    assert json.loads(check.stdout)["order"]["order_no"] == ready["order_no"]


# mounts the app from the installed package on the demo store and opens the screens that
# bring their own stylesheet: a .tcss missing from the wheel fails here, not at the counter
_UI_CHECK = """
import asyncio, inspect, sys
from pathlib import Path
from edge.ui.app import StoreEdgeApp
from textual.screen import Screen

async def main():
    app = StoreEdgeApp(sys.argv[1], demo=True, lang="zh-CN")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("f12")
        await pilot.pause()
        print(type(app.screen).__name__, len(app.stylesheet.rules))
    missing = []
    def walk(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from walk(sub)
    import edge.ui.screens.backroom.pick, edge.ui.screens.backroom.overdue  # noqa
    import edge.ui.screens.devices.temperatures, edge.ui.screens.devices.ack_alarm  # noqa
    for cls in walk(Screen):
        path = getattr(cls, "CSS_PATH", None)
        if cls.__module__.startswith("edge.") and isinstance(path, str):
            if not (Path(inspect.getfile(cls)).parent / path).is_file():
                missing.append(f"{cls.__name__}: {path}")
    print("missing", missing)

asyncio.run(main())
"""


def test_installed_ui_finds_its_stylesheets(installed, seeded, tmp_path):
    env = _clean_env(tmp_path)
    shown = _run(installed / "python", "-c", _UI_CHECK, seeded, env=env, cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr[-3000:]
    first, second = shown.stdout.strip().splitlines()[-2:]
    assert first.startswith("TaskBoardScreen ") and int(first.split()[1]) > 0
    assert second == "missing []"


def test_install_put_the_launcher_units_and_udev_rules_in_place(system_root, installed):
    link = system_root / "usr" / "local" / "bin" / "store-edge"
    assert link.is_symlink() and link.resolve() == (installed / "store-edge").resolve()
    assert (system_root / "etc" / "udev" / "rules.d" / "99-store-edge.rules").is_file()
    for unit in UNITS:
        assert (system_root / "etc" / "systemd" / "system" / unit.replace(".", "@.", 1)).is_file()
    freeze = _run(installed / "pip", "freeze", env=_clean_env(system_root))
    assert "store-edge @ file://" in freeze.stdout or f"store-edge=={VERSION}" in freeze.stdout, freeze.stdout


def test_systemd_units_verify(system_root, installed, tmp_path):
    """``systemd-analyze verify`` on each unit as install.sh installed it (its ExecStart
    pointed at the test's tree instead of /opt), for an instance of this user."""
    if shutil.which("systemd-analyze") is None:
        pytest.skip("systemd-analyze is not installed here (not a systemd machine)")
    user = _user()
    paths = []
    for unit in UNITS:
        installed_unit = system_root / "etc" / "systemd" / "system" / unit.replace(".", "@.", 1)
        text = installed_unit.read_text(encoding="utf-8")
        assert "ExecStart=/opt/store-edge/bin/store-edge " in text, unit
        text = text.replace("/opt/store-edge/bin/store-edge", str(installed / "store-edge"))
        path = tmp_path / unit.replace(".service", f"@{user}.service")
        path.write_text(text, encoding="utf-8")
        paths.append(str(path))
    verified = _run("systemd-analyze", "verify", "--man=no", *paths)
    assert (verified.returncode, verified.stderr.strip(), verified.stdout.strip()) == (0, "", "")


def test_uninstall_removes_the_program_and_leaves_the_data(system_root, seeded):
    """Last in this module: it removes the venv the tests above use."""
    gone = _run("sh", ROOT / "packaging" / "uninstall.sh",
                env={**_clean_env(system_root), "STORE_EDGE_ROOT": str(system_root)})
    assert gone.returncode == 0, gone.stderr
    assert "left in place" in gone.stdout
    assert not (system_root / "opt" / "store-edge").exists()
    assert not (system_root / "usr" / "local" / "bin" / "store-edge").is_symlink()
    assert not list((system_root / "etc").rglob("*store-edge*"))
    assert (seeded / "store.db").is_file() and (seeded / "store-edge.toml").is_file()
