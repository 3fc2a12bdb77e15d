"""The layer order the build enforces: pyproject.toml's [tool.importlinter]
contracts (each module imports only from the layers below its own; no cycles
between the top-level packages; channels independent of each other), checked
by import-linter over the real import graph, with no import left out."""

from __future__ import annotations

import pkgutil
import subprocess
import sys
import tomllib
from pathlib import Path

import dragoman

ROOT = Path(__file__).resolve().parents[1]
CHECK = "import sys; from importlinter.cli import lint_imports; sys.exit(lint_imports(no_cache=True, no_logo=True))"


def _contracts() -> list[dict]:  # type: ignore[type-arg]
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return config["tool"]["importlinter"]["contracts"]  # type: ignore[no-any-return]


def test_the_import_contracts_are_kept() -> None:
    result = subprocess.run([sys.executable, "-c", CHECK], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_every_package_has_a_layer_and_no_import_is_ignored() -> None:
    """A new package must take a place in the order (an unlisted one would go
    unchecked), and no contract may wave an import through."""
    contracts = _contracts()
    layers = next(c for c in contracts if c["type"] == "layers")["layers"]
    listed = {name.strip() for layer in layers for name in layer.replace(":", "|").split("|")}
    top_level = {f"dragoman.{info.name}" for info in pkgutil.iter_modules(dragoman.__path__) if info.name != "migrations"}
    unlisted = {name for name in top_level if name not in listed and not any(entry.startswith(name + ".") for entry in listed)}
    assert not unlisted, f"give these a layer in pyproject.toml [tool.importlinter]: {sorted(unlisted)}"
    web = {f"dragoman.web.{info.name}" for info in pkgutil.iter_modules([str(Path(dragoman.__file__).parent / "web")])}
    assert web <= listed, f"give these a layer: {sorted(web - listed)}"
    assert all("ignore_imports" not in contract for contract in contracts)


def test_no_feature_imports_the_app_or_the_feature_list() -> None:
    """The forbidden contract names every package a feature lives in: a new
    package must join it, or it could wire itself around the feature list."""
    contract = next(c for c in _contracts() if c["type"] == "forbidden")
    assert set(contract["forbidden_modules"]) == {"dragoman.app", "dragoman.features"}
    wiring = {"dragoman.app", "dragoman.features", "dragoman.cli", "dragoman.models", "dragoman.migrations"}
    top_level = {f"dragoman.{info.name}" for info in pkgutil.iter_modules(dragoman.__path__)}
    assert set(contract["source_modules"]) == top_level - wiring

