"""Scale: the local backend against Spark `local[2]` on the same machine and the same job.

Data: `rows` simulated incidents (default run: 10M) written straight to Parquet partitioned by
year, as the store's mirror is, over 5 years, 84 reporting districts x 12 crime categories = 1,008
weekly series (district x category, the granularity a city analyst asks for).

Two stages, each timed for both backends, with the outputs checked equal:
1. aggregation to the zero-filled panel: DuckDB over the Parquet (what the local path does) vs
   Spark SQL over the same Parquet (`backends.spark.panel`);
2. per-series fitting through `forecast.engine.forecast`, 8 weeks ahead: the local backend's 2
   worker processes vs Spark's `applyInPandas` on 2 cores, the very same per-series function.
   Seasonal naive on all series (a cheap model: the time is mostly each backend's overhead), then
   ETS on a sample of 48 series (a real fit: the cost per series that sizes a cluster).

The per-series cost measured here is what docs/scaling.md uses to size a cluster.

    .venv/bin/python bench/run.py scale --rows 10000000
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from crimecast import panel as panel_mod
from crimecast import schema
from crimecast.backends import spark as sb
from crimecast.filters import Filters
from crimecast.forecast import engine

DISTRICTS = 84
YEARS = (2019, 2020, 2021, 2022, 2023)
MODELS = ("seasonal_naive",)  # every series: measures the backends' own per-series overhead
HEAVY = ("ets",)  # a real model on a sample: the per-series cost docs/scaling.md sizes from
HEAVY_SAMPLE = 48
HORIZON = 8
SEED = 7


def write_incidents(root: Path, rows: int, districts: int = DISTRICTS, seed: int = SEED) -> Path:
    """`rows` incidents as Parquet partitioned by year (the columns the panel reads)."""
    rng = np.random.default_rng(seed)
    cats = np.array(schema.CATEGORIES)
    dists = np.sort(rng.choice(np.arange(100, 2200), districts, replace=False)).astype(np.int16)
    # uneven series, as real ones are: some district x category pairs are 50x busier than others
    weight = rng.gamma(0.8, size=(districts, len(cats))).ravel()
    weight /= weight.sum()
    out = root / "parquet" / "incidents"
    start = np.datetime64(f"{YEARS[0]}-01-01")
    days = int((np.datetime64(f"{YEARS[-1] + 1}-01-01") - start).astype(int))
    chunk = 2_000_000
    for part, lo in enumerate(range(0, rows, chunk)):
        n = min(chunk, rows - lo)
        pair = rng.choice(len(weight), n, p=weight)
        day = rng.integers(0, days, n)
        dates = start + day.astype("timedelta64[D]")
        dist = dists[pair // len(cats)]
        table = pa.table(
            {
                "occurred_date": pa.array(dates, pa.date32()),
                "area_id": pa.array((dist // 100).clip(1, 21).astype(np.int16)),
                "area_name": pa.array(
                    np.array(list(schema.AREAS.values()))[(dist // 100).clip(1, 21) - 1]
                ),
                "rpt_dist": pa.array(dist),
                "crime_category": pa.array(cats[pair % len(cats)]),
                "simulated": pa.array(np.ones(n, bool)),
                "year": pa.array(dates.astype("datetime64[Y]").astype(int) + 1970, pa.int16()),
            }
        )
        pq.write_to_dataset(
            table, out, partition_cols=["year"], basename_template=f"part{part}-{{i}}.parquet"
        )
    return out


def local_panel(parquet_dir: Path) -> pd.DataFrame:
    """The local path: DuckDB aggregates the Parquet, pandas zero-fills (crimecast.panel)."""
    con = duckdb.connect()
    uid = sb.EXTRA_UID_SQL["district_category"].replace("STRING", "VARCHAR")
    counts = con.execute(
        f"SELECT {uid} AS unique_id, CAST(date_trunc('week', occurred_date) AS TIMESTAMP) AS ds, "
        f"count(*) AS y FROM read_parquet('{parquet_dir}/*/*.parquet', hive_partitioning=true) "
        "GROUP BY ALL"
    ).df()
    con.close()
    return panel_mod.zero_fill(counts, "W")


def _time(fn):
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def _say(msg: str) -> None:
    print(f"bench_scale: {msg}", file=sys.stderr, flush=True)


def run(rows: int, districts: int = DISTRICTS, models: tuple[str, ...] = MODELS) -> dict:
    tmp = Path(tempfile.mkdtemp(prefix="crimecast-bench-scale-"))
    try:
        parquet_dir, gen_s = _time(lambda: write_incidents(tmp, rows, districts))
        _say(f"wrote {rows:,} incidents in {gen_s:.1f} s")
        spark, start_s = _time(
            lambda: sb.session(
                "local[2]",
                conf={"spark.driver.memory": "3g", "spark.sql.shuffle.partitions": "8"},
            )
        )
        # 1. aggregation
        local_p, local_agg = _time(lambda: local_panel(parquet_dir))
        spark_p, spark_agg = _time(
            lambda: sb.panel(spark, parquet_dir, "district_category", "W", Filters.build())
        )
        pd.testing.assert_frame_equal(spark_p, local_p)
        assert int(local_p["y"].sum()) == rows
        _say(f"aggregation: DuckDB {local_agg:.1f} s, Spark {spark_agg:.1f} s")
        # 2. per-series fitting, the same function on both backends
        fits = {}
        sample_ids = sorted(local_p["unique_id"].unique())[:HEAVY_SAMPLE]
        sample = local_p[local_p["unique_id"].isin(sample_ids)]
        for name, frame, chosen in (("all", local_p, models), ("heavy", sample, HEAVY)):
            kw = dict(models=chosen, horizon=HORIZON, freq="W", n_jobs=2)
            (fc_l, err_l), t_l = _time(lambda kw=kw, frame=frame: engine.forecast(frame, **kw))
            (fc_s, err_s), t_s = _time(
                lambda kw=kw, frame=frame: engine.forecast(frame, backend="spark", **kw)
            )
            assert err_l.empty and err_s.empty, (err_l, err_s)
            diff = float((fc_s["yhat"] - fc_l["yhat"]).abs().max())
            fits[name] = (t_l, t_s, frame["unique_id"].nunique(), diff, len(fc_l))
            _say(f"fit {'/'.join(chosen)}: local {t_l:.1f} s, spark {t_s:.1f} s")
        series = local_p["unique_id"].nunique()
        return {
            "incidents": rows,
            "series": series,
            "weeks": int(local_p["ds"].nunique()),
            "generate_parquet_s": round(gen_s, 2),
            "spark_session_start_s": round(start_s, 2),
            "aggregate_local_duckdb_s": round(local_agg, 2),
            "aggregate_spark_s": round(spark_agg, 2),
            "aggregate_ratio_spark_over_local": round(spark_agg / local_agg, 2),
            "fit_models": list(models),
            "fit_local_2proc_s": round(fits["all"][0], 2),
            "fit_spark_local2_s": round(fits["all"][1], 2),
            "fit_ratio_spark_over_local": round(fits["all"][1] / fits["all"][0], 2),
            "fit_ms_per_series_local": round(1000 * fits["all"][0] / series, 1),
            "fit_ms_per_series_spark": round(1000 * fits["all"][1] / series, 1),
            "forecast_rows": fits["all"][4],
            "heavy_models": list(HEAVY),
            "heavy_series": fits["heavy"][2],
            "heavy_local_2proc_s": round(fits["heavy"][0], 2),
            "heavy_spark_local2_s": round(fits["heavy"][1], 2),
            "heavy_ratio_spark_over_local": round(fits["heavy"][1] / fits["heavy"][0], 2),
            "heavy_core_s_per_series_local": round(2 * fits["heavy"][0] / fits["heavy"][2], 3),
            "heavy_core_s_per_series_spark": round(2 * fits["heavy"][1] / fits["heavy"][2], 3),
            "max_abs_diff_yhat": max(fits["all"][3], fits["heavy"][3]),
            "load_average_1min": round(os.getloadavg()[0], 1),
        }
    finally:
        sb.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    import json

    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000_000
    districts = int(sys.argv[2]) if len(sys.argv) > 2 else DISTRICTS
    models = tuple(sys.argv[3].split(",")) if len(sys.argv) > 3 else MODELS
    print(json.dumps(run(rows, districts, models), indent=2))
