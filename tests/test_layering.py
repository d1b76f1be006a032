"""Lower layers never import upper ones (DESIGN.md: cli / dashboard / report on top of eda /
spatial / forecast / profiles, on panel and store, on clean / ingest / schema / config)."""

from __future__ import annotations

import ast
from pathlib import Path

PKG = Path(__file__).resolve().parents[1] / "src" / "crimecast"

LAYERS: dict[str, int] = {
    "errors": 0,
    "config": 0,
    "codes": 0,
    "schema": 1,
    "clean": 2,
    "completeness": 2,
    "filters": 2,
    "ingest": 2,
    "store": 3,
    "panel": 4,
    "backends": 4,
    "storage": 1,
    "auth": 1,
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


def layer_of(module_parts: list[str]) -> int:
    top = module_parts[0]
    assert top in LAYERS, f"module crimecast.{top} has no layer in tests/test_layering.py"
    return LAYERS[top]


def imports_of(path: Path) -> list[tuple[list[str], int]]:
    tree = ast.parse(path.read_text())
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            parts = node.module.split(".")
            if parts[0] == "crimecast":
                if len(parts) > 1:
                    out.append((parts[1:], node.lineno))
                else:
                    out.extend(([a.name], node.lineno) for a in node.names)
        elif isinstance(node, ast.Import):
            for a in node.names:
                parts = a.name.split(".")
                if parts[0] == "crimecast" and len(parts) > 1:
                    out.append((parts[1:], node.lineno))
    return out


def test_every_module_has_a_layer():
    for path in PKG.rglob("*.py"):
        rel = path.relative_to(PKG).with_suffix("").parts
        layer_of(list(rel))


def test_lower_layers_never_import_upper_ones():
    violations = []
    for path in PKG.rglob("*.py"):
        rel = list(path.relative_to(PKG).with_suffix("").parts)
        mine = layer_of(rel)
        for target, line in imports_of(path):
            if layer_of(target) > mine:
                violations.append(
                    f"{path.relative_to(PKG)}:{line} imports crimecast.{'.'.join(target)}"
                )
    assert not violations, "layering broken:\n" + "\n".join(violations)


def test_the_check_catches_a_violation(tmp_path):
    bad = tmp_path / "x.py"
    bad.write_text("from crimecast.cli import app\nimport crimecast.store\n")
    found = imports_of(bad)
    assert (["cli"], 1) in found and (["store"], 2) in found
    assert layer_of(["cli"]) > layer_of(["schema"])
