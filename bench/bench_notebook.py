"""The notebook way against `crimecast run`, on the same simulated 1M-row export, in one run.

The notebook way is what an analyst's notebook does with the city's CSV export:

1. pandas `read_csv` and `to_datetime` of the occurrence and report dates;
2. groupby EDA tables (by division, crime type, month, hour, victim sex) and a bar chart of each;
3. `get_dummies` of crime type + PCA (5 components) of the crime mix per reporting district;
4. SARIMAX(1,1,1)(1,1,1,12) and default Prophet loops over the city and the 21 divisions,
   monthly, 24 months ahead with their intervals.

`crimecast run` on the same file ingests it into the store (validation, quarantine, the Parquet
mirror), checks completeness and data fitness, computes the EDA, hotspots, forecasts with
backtests and calibrated intervals, and writes the report and the brief: far more work. Both are
timed by wall clock in the same run; the ratio crimecast / notebook is the figure (target <=
1.3).

    .venv/bin/python bench/bench_notebook.py [rows]
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from crimecast.ingest.simulate import default_name, simulate_table, write_csv

GEO = Path(__file__).resolve().parents[2] / "shared" / "data" / "geo" / "LAPD_Divisions.geojson"
CRIMECAST = Path(sys.executable).with_name("crimecast")
TARGET_RATIO = 1.3
H = 24
DATE_FORMAT = "%m/%d/%Y %I:%M:%S %p"


def notebook(csv: Path, figures: Path) -> dict:
    """The notebook way, step by step (seconds per step)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from prophet import Prophet
    from sklearn.decomposition import PCA
    from statsmodels.tsa.statespace.sarimax import SARIMAX

    from crimecast.forecast.prophet_model import quiet

    quiet()
    times = {}
    t = time.perf_counter()
    df = pd.read_csv(csv)
    df["DATE OCC"] = pd.to_datetime(df["DATE OCC"], format=DATE_FORMAT)
    df["Date Rptd"] = pd.to_datetime(df["Date Rptd"], format=DATE_FORMAT)
    times["read_csv_s"] = time.perf_counter() - t

    t = time.perf_counter()
    df["month"] = df["DATE OCC"].dt.to_period("M").dt.to_timestamp()
    tables = {
        "area": df.groupby("AREA NAME").size().sort_values(),
        "crime": df.groupby("Crm Cd Desc").size().nlargest(20).sort_values(),
        "month": df.groupby("month").size(),
        "hour": df.groupby(df["TIME OCC"] // 100).size(),
        "sex": df.groupby("Vict Sex", dropna=False).size(),
    }
    for name, table in tables.items():
        fig, ax = plt.subplots(figsize=(8, 5))
        table.plot.bar(ax=ax)
        fig.savefig(figures / f"{name}.png", dpi=80)
        plt.close(fig)
    times["eda_s"] = time.perf_counter() - t

    t = time.perf_counter()
    dummies = pd.get_dummies(df["Crm Cd Desc"], dtype=float)
    mix = dummies.groupby(df["Rpt Dist No"]).sum()
    mix = mix.div(mix.sum(axis=1), axis=0)
    PCA(n_components=5, random_state=0).fit_transform(mix.to_numpy())
    times["pca_s"] = time.perf_counter() - t

    t = time.perf_counter()
    series = {"city": df.groupby("month").size()}
    for area, g in df.groupby("AREA NAME"):
        series[area] = g.groupby("month").size()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for y in series.values():
            y = y.asfreq("MS", fill_value=0).astype(float)
            res = SARIMAX(y, order=(1, 1, 1), seasonal_order=(1, 1, 1, 12)).fit(disp=False)
            res.get_forecast(H).conf_int()
            m = Prophet()
            m.fit(pd.DataFrame({"ds": y.index, "y": y.to_numpy()}))
            m.predict(m.make_future_dataframe(H, freq="MS"))
    times["forecast_loops_s"] = time.perf_counter() - t
    times["series"] = len(series)
    return times


def crimecast_run(csv: Path, root: Path) -> dict:
    cmd = [str(CRIMECAST), "run", "--source", str(csv), "--out", str(root / "out"),
           "--store", str(root / "store")]  # fmt: skip
    if GEO.exists():
        cmd += ["--boundaries", str(GEO)]
    t = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - t
    steps = json.loads((root / "out" / "run.json").read_text())["steps"]
    return {"wall_s": wall, "steps_s": {k: v["seconds"] for k, v in steps.items()}}


def run(rows: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="crimecast-bench-notebook-") as tmp:
        root = Path(tmp)
        csv = write_csv(
            simulate_table(rows, seed=9, start="2015-01-01", end="2024-06-30", nibrs_break=True),
            root / default_name(rows, 9),
        )
        figures = root / "figures"
        figures.mkdir()
        load = os.getloadavg()[0]
        t = time.perf_counter()
        nb = notebook(csv, figures)
        nb_s = time.perf_counter() - t
        ours = crimecast_run(csv, root)
    return {
        "rows": rows,
        "notebook_s": round(nb_s, 1),
        "notebook_steps_s": {k: round(v, 1) if isinstance(v, float) else v for k, v in nb.items()},
        "crimecast_run_s": round(ours["wall_s"], 1),
        "crimecast_steps_s": ours["steps_s"],
        "ratio": round(ours["wall_s"] / nb_s, 2),
        "target_ratio": TARGET_RATIO,
        "load_avg_1min_at_start": round(load, 1),
        "load_avg_1min_at_end": round(os.getloadavg()[0], 1),
        "cpus": os.cpu_count(),
        "numpy": np.__version__,
    }


if __name__ == "__main__":
    print(json.dumps(run(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000), indent=2))
