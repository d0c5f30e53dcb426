"""Every third-party package the shipped code imports is declared in pyproject.toml, so a clean
install does not depend on it arriving by chance through another package."""
from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ("edge", "sync", "devices")


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _imported_top_modules() -> set[str]:
    found = set()
    for pkg in SHIPPED:
        for path in (ROOT / pkg).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Import):
                    found |= {a.name.split(".")[0] for a in node.names}
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    found.add(node.module.split(".")[0])
    return found - set(sys.stdlib_module_names) - set(SHIPPED)


def test_every_imported_distribution_is_declared():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = {_norm(re.split(r"[<>=!~\[;\s]", d, maxsplit=1)[0]) for d in project["dependencies"]}
    dists = packages_distributions()
    missing = {}
    for module in sorted(_imported_top_modules()):
        names = {_norm(d) for d in dists.get(module, [])}
        assert names, f"{module} is imported but no installed distribution provides it"
        if not names & declared:
            missing[module] = sorted(names)
    assert not missing, f"imported but not declared in pyproject.toml: {missing}"
