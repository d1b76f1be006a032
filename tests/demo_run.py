"""One real `crimecast run --demo` shared by the run, report and dashboard tests (built once per
test session, on first use): a small simulated city, its default forecast models, real boundaries."""

from __future__ import annotations

import time
from pathlib import Path

# the default demo model set (baselines, ETS, Theta, STL, their mean and auto) on a smaller city
DEMO_ARGS = ["--demo-rows", "12000", "--seed", "11"]
_CACHE: dict[str, tuple[Path, float, str]] = {}


def geo_file(data_dir: Path) -> Path:
    return data_dir / "geo" / "LAPD_Divisions.geojson"


def cli(args: list[str]):
    """Run the real console entry point; returns (exit code, stdout + stderr)."""
    from typer.testing import CliRunner

    from crimecast.cli import app

    result = CliRunner().invoke(app, args, catch_exceptions=False)
    return result.exit_code, result.output


def shared(tmp_path_factory, data_dir: Path) -> tuple[Path, float, str]:
    """(out dir, seconds the first run took, its console output)."""
    if "demo" not in _CACHE:
        out = tmp_path_factory.getbasetemp() / "shared_demo_run"
        args = ["run", "--demo", "--out", str(out), "--boundaries", str(geo_file(data_dir))]
        t0 = time.perf_counter()
        code, output = cli(args + DEMO_ARGS)
        assert code == 0, output
        _CACHE["demo"] = (out, time.perf_counter() - t0, output)
    return _CACHE["demo"]
