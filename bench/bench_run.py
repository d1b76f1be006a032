"""`crimecast run` end to end on `rows` simulated incidents, with per-step timings.

The first run computes every step (ingest, completeness, EDA, hotspots, forecasts with
backtests, report); the second run, with nothing new, must reuse them all: its time is the
baseline the first is compared with. Target: the first run <= 90 s on 1M incidents.

    .venv/bin/python bench/run.py run --rows 1000000
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path

from crimecast.ingest.simulate import default_name, simulate_table, write_csv

GEO = Path(__file__).resolve().parents[2] / "shared" / "data" / "geo" / "LAPD_Divisions.geojson"
TARGET_S = 90


def run(rows: int, models: tuple[str, ...] = ()) -> dict:
    from crimecast.pipeline import RunOptions
    from crimecast.pipeline import run as run_pipeline

    with tempfile.TemporaryDirectory(prefix="crimecast-bench-run-") as tmp:
        root = Path(tmp)
        t = time.perf_counter()
        csv = write_csv(
            simulate_table(rows, seed=9, start="2015-01-01", end="2024-06-30", nibrs_break=True),
            root / default_name(rows, 9),
        )
        simulate_s = time.perf_counter() - t
        options = RunOptions(
            out=root / "out",
            store=root / "store",
            sources=(csv,),
            boundaries=GEO if GEO.exists() else None,
            models=models,
        )
        t = time.perf_counter()
        first = run_pipeline(options)
        first_s = time.perf_counter() - t
        t = time.perf_counter()
        second = run_pipeline(options)
        second_s = time.perf_counter() - t
        report_mb = (root / "out" / "report.html").stat().st_size / 1e6
    steps = {k: v["seconds"] for k, v in first.run_json["steps"].items()}
    return {
        "incidents": first.run_json["data"]["incidents"],
        "models": list(models) or "default",
        "simulate_csv_s": round(simulate_s, 1),
        "first_run_s": round(first_s, 1),
        "steps_s": steps,
        "step_status": {k: v["status"] for k, v in first.run_json["steps"].items()},
        "rerun_s": round(second_s, 2),
        "rerun_status": sorted({v["status"] for v in second.run_json["steps"].values()}),
        "rerun_speedup": round(first_s / second_s, 1),
        "report_mb": round(report_mb, 1),
        "target_s": TARGET_S,
        "cpus": os.cpu_count(),
    }


if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    chosen = tuple(sys.argv[2].split(",")) if len(sys.argv) > 2 else ()
    print(json.dumps(run(n, chosen), indent=2))
