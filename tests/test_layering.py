"""Lower layers never import upper ones (DESIGN.md: cli / dashboard / report on top of eda /
spatial / forecast / profiles, on panel and store, on clean / ingest / schema / config), and the
analysis stages never touch the store or the I/O edge. Imports made from strings (importlib,
the report's part loader) are checked like plain ones; a string the checker cannot read is a
violation too, since no reader can follow it either."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[1] / "src" / "crimecast"

LAYERS: dict[str, int] = {
    "errors": 0,
    "config": 0,
    "codes": 0,
    "schema": 1,
    "clean": 2,
    "clean_nibrs": 2,
    "completeness": 2,
    "regime": 2,
    "filters": 2,
    "ingest": 2,
    "store": 3,
    "store_nibrs": 3,
    "panel": 4,
    "backends": 4,
    "storage": 1,
    "auth": 1,
    "data": 0,
    "eda": 5,
    "spatial": 5,
    "forecast": 5,
    "profiles": 5,
    "fitness": 5,
    "report": 6,
    "dashboard": 6,
    "pipeline": 7,
    "commands": 8,
    "cli": 9,
    "__init__": 0,
    "__main__": 9,
}
# The pure analysis stages: frames in, results out. They never open the store, read files or
# fetch from the network themselves; the edges hand them frames.
ANALYSIS = {"eda", "spatial", "forecast", "profiles", "fitness"}
NOT_FOR_ANALYSIS = {"store", "store_nibrs", "storage", "ingest"}
# Functions whose first argument names a module to import.
LOADERS = {"import_module": "", "part": "crimecast.", "require": ""}
# The one place allowed to import a module named at run time: the helper that imports an
# optional extra (a third-party package such as pyspark or dash) or says which extra installs it.
RUNTIME_IMPORTS_ALLOWED = {Path("errors.py")}


def imports_of(path: Path, package: str = "crimecast") -> list[tuple[list[str] | None, int]]:
    """(module path below the package, line) for every import of the package in the file;
    None for an import from a string that cannot be read without running the code."""
    tree = ast.parse(path.read_text())
    out: list[tuple[list[str] | None, int]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            parts = node.module.split(".")
            if parts[0] == package:
                if len(parts) > 1:
                    out.append((parts[1:], node.lineno))
                else:
                    out.extend(([a.name], node.lineno) for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level > 0:
            out.append((None, node.lineno))  # relative imports hide the layer they reach
        elif isinstance(node, ast.Import):
            for a in node.names:
                parts = a.name.split(".")
                if parts[0] == package and len(parts) > 1:
                    out.append((parts[1:], node.lineno))
        elif isinstance(node, ast.Call) and node.args:
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
            if name not in LOADERS:
                continue
            arg = node.args[0]
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                full = (LOADERS[name] + arg.value).split(".")
                if full[0] == package and len(full) > 1:
                    out.append((full[1:], node.lineno))
            else:
                out.append((None, node.lineno))
    return out


def violations_in(pkg: Path, layers: dict[str, int] = LAYERS) -> list[str]:
    """Every import in the package tree at `pkg` that breaks the layering."""
    files = sorted(pkg.rglob("*.py"))
    if not files:
        raise AssertionError(f"no Python files under {pkg}: the layering check found nothing")
    found = []
    for path in files:
        rel = list(path.relative_to(pkg).with_suffix("").parts)
        where = path.relative_to(pkg)
        if rel[0] not in layers:
            found.append(f"{where}: module crimecast.{rel[0]} has no layer in test_layering.py")
            continue
        mine = layers[rel[0]]
        for target, line in imports_of(path, pkg.name):
            if target is None and where in RUNTIME_IMPORTS_ALLOWED:
                continue
            if target is None:
                found.append(f"{where}:{line} imports a module named at run time")
            elif target[0] not in layers:
                found.append(f"{where}:{line} imports crimecast.{target[0]}, which has no layer")
            elif layers[target[0]] > mine:
                found.append(f"{where}:{line} imports crimecast.{'.'.join(target)} (upward)")
            elif rel[0] in ANALYSIS and target[0] in NOT_FOR_ANALYSIS:
                found.append(
                    f"{where}:{line} analysis imports crimecast.{'.'.join(target)} (the store "
                    "and the I/O edge are for the pipeline and the commands)"
                )
    return found


def test_the_package_keeps_its_layers():
    violations = violations_in(PKG)
    assert not violations, "layering broken:\n" + "\n".join(violations)


def test_the_check_catches_each_kind_of_violation(tmp_path):
    pkg = tmp_path / "crimecast"
    (pkg / "eda").mkdir(parents=True)
    (pkg / "forecast").mkdir()
    (pkg / "schema.py").write_text("from crimecast.cli import app\n")
    (pkg / "cli.py").write_text("import crimecast.schema\n")
    (pkg / "eda" / "tables.py").write_text("from crimecast.store import Store\n")
    (pkg / "forecast" / "engine.py").write_text(
        "import importlib\n"
        "mod = importlib.import_module('crimecast.report.build')\n"
        "name = 'x'\n"
        "other = importlib.import_module(f'crimecast.{name}')\n"
        "from . import sibling\n"
    )
    (pkg / "forecast" / "sibling.py").write_text("part('dashboard.app', 'make')\n")
    (pkg / "mystery.py").write_text("")
    (pkg / "errors.py").write_text("def require(m):\n    return importlib.import_module(m)\n")
    (pkg / "storage.py").write_text("require('boto3', 's3')\nrequire('crimecast.cli', 'x')\n")
    found = "\n".join(violations_in(pkg))
    assert "schema.py:1 imports crimecast.cli (upward)" in found
    assert "eda/tables.py:1 analysis imports crimecast.store" in found
    assert "forecast/engine.py:2 imports crimecast.report.build (upward)" in found
    assert "forecast/engine.py:4 imports a module named at run time" in found
    assert "forecast/engine.py:5 imports a module named at run time" in found
    assert "forecast/sibling.py:1 imports crimecast.dashboard.app (upward)" in found
    assert "mystery.py: module crimecast.mystery has no layer" in found
    assert "storage.py:2 imports crimecast.cli (upward)" in found
    assert "errors.py" not in found and "storage.py:1" not in found
    assert "\ncli.py" not in found and not found.startswith("cli.py")  # downward is fine


def test_the_check_fails_when_it_finds_no_files(tmp_path):
    with pytest.raises(AssertionError, match="no Python files"):
        violations_in(tmp_path / "crimecast")
