"""Benchmark: generate and write N simulated incidents (the issue's target: 1M rows under 30 s).

crimecast: `simulate_table` (vectorised numpy) then `write_csv` (DuckDB COPY of the Arrow table).
Baseline, measured in the same run on the same rows: the usual pandas way of writing the file,
`DataFrame.to_csv`. Then the NIBRS era (`simulate_era(..., layout='both')`, 2010 to today): the
same N reports shared between a tapering legacy export and a NIBRS offense file, both written.

    .venv/bin/python bench/run.py simulate --rows 1000000
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from crimecast.ingest import simulate_nibrs  # noqa: E402
from crimecast.ingest.simulate import simulate_table, write_csv  # noqa: E402


def _era(rows: int, tmp: Path) -> dict:
    import datetime as dt

    t0 = time.perf_counter()
    era = simulate_nibrs.simulate_era(rows, seed=42, end=dt.date.today().isoformat())
    t1 = time.perf_counter()
    simulate_nibrs.write_files(era, tmp / "era.simulated.csv", tmp / "era-nibrs.simulated.csv")
    t2 = time.perf_counter()
    return {
        "era_legacy_rows": era.legacy.num_rows,
        "era_nibrs_offense_rows": era.nibrs.num_rows,
        "era_cases_in_both": era.cases_in_both,
        "era_generate_s": round(t1 - t0, 2),
        "era_write_s": round(t2 - t1, 2),
    }


def run(rows: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "bench.simulated.csv"
        t0 = time.perf_counter()
        table = simulate_table(rows, seed=42)
        t1 = time.perf_counter()
        write_csv(table, out)
        t2 = time.perf_counter()
        size = out.stat().st_size
        frame = table.to_pandas()
        t3 = time.perf_counter()
        frame.to_csv(Path(tmp) / "pandas.csv", index=False)
        t4 = time.perf_counter()
        del frame, table
        era = _era(rows, Path(tmp))
    total = t2 - t0
    return {
        "rows": rows,
        "generate_s": round(t1 - t0, 2),
        "write_s": round(t2 - t1, 2),
        "total_s": round(total, 2),
        "rows_per_s": round(rows / total),
        "file_mb": round(size / 1e6, 1),
        "pandas_to_csv_s": round(t4 - t3, 2),
        "write_speedup_vs_pandas": round((t4 - t3) / (t2 - t1), 1),
        "target_1m_rows_s": 30,
        **era,
    }
