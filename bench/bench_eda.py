"""Benchmark: all EDA tables for N stored incidents, crimecast vs the pandas notebook way.

crimecast: the store's incidents as Arrow (`commands.eda.load_incidents`, the columns in
`eda.tables.COLUMNS`) then `eda.tables.all_tables` (DuckDB
over the frame) plus `eda.trends.all_trends`.
Baseline, measured in the same run: what an analyst's notebook does -- `pandas.read_csv` of the
portal CSV, `to_datetime` on the date columns, then one pandas groupby per table (the same
descriptive tables). The ratio compares those; the trend tables (STL, Mann-Kendall, YoY tests,
computed from the monthly tables) are timed on their own and count toward the 5 s target.

    .venv/bin/python bench/run.py eda --rows 1000000
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from crimecast import schema  # noqa: E402
from crimecast.commands.eda import load_incidents  # noqa: E402
from crimecast.eda import tables as T  # noqa: E402
from crimecast.eda import trends  # noqa: E402
from crimecast.filters import AGE_BANDS, Filters  # noqa: E402
from crimecast.ingest.simulate import simulate_table, write_csv  # noqa: E402
from crimecast.store import Store  # noqa: E402


def _simulate_csv(rows: int, path: Path, seed: int = 7) -> None:
    """crimecast's simulated city (portal 2020+ CSV layout), 2015-2023."""
    write_csv(simulate_table(rows, seed=seed, start="2015-01-01", end="2023-12-31"), path)


def _pandas_notebook(csv: Path) -> dict[str, pd.DataFrame]:
    """The notebook way: read the CSV, parse dates, one groupby per table."""
    df = pd.read_csv(csv, low_memory=False)
    df["DATE OCC"] = pd.to_datetime(df["DATE OCC"], format="%m/%d/%Y %I:%M:%S %p")
    df["Date Rptd"] = pd.to_datetime(df["Date Rptd"], format="%m/%d/%Y %I:%M:%S %p")
    df["category"] = df["Crm Cd"].map(schema.CODE_CATEGORY).fillna("other")
    df["class"] = df["category"].map(schema.CATEGORY_CLASS)
    df["hour"] = df["TIME OCC"] // 100
    df["age"] = df["Vict Age"].where(df["Vict Age"].between(1, 120))
    df["arrest"] = df["Status"].isin(["AA", "JA"])
    df["month"] = df["DATE OCC"].dt.to_period("M").dt.to_timestamp()
    out = {}
    out["by_year"] = df.groupby(df["DATE OCC"].dt.year).size()
    out["by_weekday"] = df.groupby(df["DATE OCC"].dt.dayofweek).size()
    out["by_hour"] = df.groupby("hour").agg(
        n=("DR_NO", "size"), noon=("TIME OCC", lambda s: (s == 1200).sum())
    )
    out["weekday_hour"] = df.groupby([df["DATE OCC"].dt.dayofweek, "hour"]).size()
    out["daily"] = df.groupby("DATE OCC").size().asfreq("D", fill_value=0).rolling(7).mean()
    out["weekly"] = df.groupby(df["DATE OCC"].dt.to_period("W")).size().rolling(4).mean()
    monthly = df.groupby("month").size().rename("incidents").reset_index()
    out["monthly"] = monthly
    mcat = df.groupby(["month", "category"]).size().rename("incidents").reset_index()
    mcls = df.groupby(["month", "class"]).size().rename("incidents").reset_index()
    marea = df.groupby(["month", "AREA NAME"]).size().rename("incidents").reset_index()
    mac = df.groupby(["month", "AREA NAME", "category"]).size().rename("incidents").reset_index()
    out.update(mcat=mcat, mcls=mcls, marea=marea, mac=mac)
    area = df.groupby("AREA").size().rename("incidents").reset_index()
    area["rate"] = area["incidents"] / area["AREA"].map(schema.AREA_POPULATION) * 1e5
    out["by_area"] = area
    out["by_district"] = df.groupby("Rpt Dist No").agg(n=("DR_NO", "size"), area=("AREA", "first"))
    ac = df.groupby(["AREA NAME", "category"]).size().rename("n").reset_index()
    out["area_category"] = ac
    out["top_areas"] = ac.sort_values("n", ascending=False).groupby("category").head(5)
    out["by_category"] = df.groupby("category").size()
    out["by_class"] = df.groupby("class").size()
    out["top_codes"] = df.groupby(["Crm Cd", "Crm Cd Desc"]).size().nlargest(20)
    bands = pd.cut(df["age"], [0, *[hi for _, hi in AGE_BANDS.values()]], labels=list(AGE_BANDS))
    out["victim_age"] = df.groupby(["category", bands], observed=False, dropna=False).size()
    out["victim_age_summary"] = df.groupby("category")["age"].agg(["count", "median", "size"])
    out["victim_sex"] = df.groupby(["category", "Vict Sex"], dropna=False).size()
    out["victim_descent"] = df.groupby(["category", "Vict Descent"], dropna=False).size()
    out["top_premises"] = (
        df.groupby(["category", "Premis Desc"]).size().groupby(level=0).nlargest(5)
    )
    out["top_weapons"] = df.groupby(["category", "Weapon Desc"]).size().groupby(level=0).nlargest(5)
    wm = df.assign(w=df["Weapon Used Cd"].notna(), f=df["Weapon Used Cd"].between(101, 122))
    out["weapon_monthly"] = wm.groupby("month")[["w", "f"]].mean()
    year = df["DATE OCC"].dt.year
    out["arrests_by_category"] = df.groupby(["category", year])["arrest"].agg(["size", "mean"])
    out["arrests_by_area"] = df.groupby(["AREA NAME", year])["arrest"].agg(["size", "mean"])
    out["arrest_summary_by_category"] = df.groupby("category")["arrest"].agg(["size", "mean"])
    out["arrest_summary_by_area"] = df.groupby("AREA NAME")["arrest"].agg(["size", "mean"])
    delay = (df["Date Rptd"] - df["DATE OCC"]).dt.days
    out["reporting_delay"] = delay.groupby(df["category"]).describe(percentiles=[0.5, 0.9, 0.99])
    bins = pd.cut(delay, [-1, 0, 1, 7, 30, 90, 365, 10**7])
    out["delay_distribution"] = df.groupby(["category", bins], observed=False).size()
    return out


def run(rows: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="bench_eda_") as tmp:
        tmp = Path(tmp)
        csv = tmp / "simulated_city.csv"
        t0 = time.perf_counter()
        _simulate_csv(rows, csv)
        t_sim = time.perf_counter() - t0
        t0 = time.perf_counter()
        with Store(tmp / "store") as st:
            st.ingest_files([csv], source="simulated", simulated=True)
        t_ingest = time.perf_counter() - t0

        # crimecast: the store's incidents (only the columns the tables read) -> all tables
        t0 = time.perf_counter()
        with Store(tmp / "store", read_only=True) as st:
            stored = st.count()
            comp = st.completeness()
            inc = load_incidents(st, Filters(), T.COLUMNS)
        t_load = time.perf_counter() - t0
        t1 = time.perf_counter()
        tables = T.all_tables(inc, comp)
        t_tables = time.perf_counter() - t1
        t_crimecast = time.perf_counter() - t0
        t1 = time.perf_counter()
        trend_tables = trends.all_trends(tables)
        t_trends = time.perf_counter() - t1
        assert int(tables["by_category"]["incidents"].sum()) == stored

        # the pandas notebook way, same machine, same run
        t0 = time.perf_counter()
        base = _pandas_notebook(csv)
        t_pandas = time.perf_counter() - t0
        assert len(base)
        assert int(base["by_category"].sum()) == rows  # the CSV holds every simulated row
    return {
        "incidents": int(stored),
        "tables": len(tables),
        "trend_tables": len(trend_tables),
        "simulate_s": round(t_sim, 2),
        "ingest_s": round(t_ingest, 2),
        "crimecast_load_s": round(t_load, 2),
        "crimecast_tables_s": round(t_tables, 2),
        "crimecast_all_tables_s": round(t_crimecast, 2),
        "crimecast_trends_s": round(t_trends, 2),
        "pandas_notebook_tables_s": round(t_pandas, 2),
        "crimecast_tables_and_trends_s": round(t_crimecast + t_trends, 2),
        "speedup_tables": round(t_pandas / t_crimecast, 2),
    }


if __name__ == "__main__":
    import json

    print(json.dumps(run(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000), indent=2))
