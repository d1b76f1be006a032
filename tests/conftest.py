"""Shared fixtures. Real LAPD samples are read from ../shared/data (or CRIMECAST_TEST_DATA)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DATA_DIR = Path(os.environ.get("CRIMECAST_TEST_DATA", REPO.parent / "shared" / "data"))
INCIDENTS_DIR = DATA_DIR / "incidents"


@pytest.fixture(scope="session")
def data_dir() -> Path:
    if not DATA_DIR.exists():
        pytest.fail(f"real data not found at {DATA_DIR}; set CRIMECAST_TEST_DATA")
    return DATA_DIR


@pytest.fixture(scope="session")
def incidents_dir(data_dir) -> Path:
    return data_dir / "incidents"


@pytest.fixture(scope="session")
def real_store(tmp_path_factory, incidents_dir):
    """A store holding three real citywide samples (about 20k incidents, 2014-2023)."""
    from crimecast.store import Store

    path = tmp_path_factory.mktemp("real_store")
    with Store(path) as st:
        st.ingest_files(
            [
                incidents_dir / "ivanco19_citywide_2020_10k.csv.gz",
                incidents_dir / "rudraxdave_citywide_2014_2019_2k_per_year.csv.gz",
                incidents_dir / "rabellan_citywide_rptd_2023dec1_25_12k.csv.gz",
            ]
        )
    return path


@pytest.fixture(scope="session")
def sim_store(tmp_path_factory):
    """A store holding about 60k SIMULATED incidents, 2018-01-01 to 2023-12-31 (seed 7), built
    once per session. Rows are marked simulated=true; the newest months are incomplete (lag)."""
    from crimecast.ingest.simulate import default_name, simulate_table, write_csv
    from crimecast.store import Store

    path = tmp_path_factory.mktemp("sim_store")
    csv = write_csv(
        simulate_table(60_000, seed=7, start="2018-01-01", end="2023-12-31"),
        path / default_name(60_000, 7),
    )
    with Store(path / "store") as st:
        st.ingest_files([csv], source="simulated (seed 7)", simulated=True)
    return path / "store"


def require_tool(name: str, path: str | None = None) -> str:
    """The path of a system tool a test needs. Outside CI a missing tool skips the test with the
    reason; in CI (CI=true) nothing may be skipped, so a missing tool fails it (.ci/run installs
    every tool)."""
    import shutil

    found = path if path and Path(path).exists() else shutil.which(name)
    if found:
        return found
    msg = f"{name} is not installed (Debian package; .ci/run installs it)"
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(msg)
    pytest.skip(msg)


def pytest_sessionfinish(session, exitstatus):
    """In CI every extra and system tool is installed, so a skipped test is a failure there."""
    if os.environ.get("CI", "").lower() not in ("1", "true", "yes"):
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter else []
    if skipped:
        reporter.write_line(f"CI: {len(skipped)} test(s) skipped; in CI nothing may be skipped")
        session.exitstatus = 1
