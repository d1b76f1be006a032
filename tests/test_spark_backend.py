"""The Spark backend on a real local Spark session (`local[2]`, started once for this module)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time

import numpy as np
import pandas as pd
import pytest

from crimecast import panel
from crimecast.backends import local
from crimecast.backends import spark as sb
from crimecast.errors import ConfigError, DependencyError, NetworkError
from crimecast.filters import Filters
from crimecast.forecast import backtest, engine
from crimecast.store import Store


@pytest.fixture(scope="module")
def spark():
    s = sb.session("local[2]", conf={"spark.sql.shuffle.partitions": "4"})
    yield s
    sb.stop()


@pytest.fixture(scope="module")
def incidents(real_store):
    with Store(real_store, read_only=True) as st:
        return st.incidents()


# -- panels ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("level,freq", [("city", "D"), ("area", "W"), ("area_category", "MS")])
def test_spark_panel_equals_the_local_panel(spark, real_store, incidents, level, freq):
    got = sb.panel(spark, Store(real_store, read_only=True).parquet_dir, level, freq)
    want = panel.from_incidents(incidents, level, freq)
    pd.testing.assert_frame_equal(got, want, check_dtype=True)
    assert got["y"].sum() == len(incidents)  # aggregation keeps every incident


def test_spark_build_equals_panel_build_with_filters(spark, real_store):
    filters = Filters.build(
        areas=["1", "Hollywood"], categories=["burglary", "robbery"], date_from="2015-01-01"
    )
    with Store(real_store, read_only=True) as st:
        want = panel.build(st, "area_category", "MS", filters)
        got = sb.build(st, "area_category", "MS", filters, spark=spark)
    for g, w in zip(got, want, strict=True):
        pd.testing.assert_frame_equal(g, w)
    assert set(got[0]["unique_id"]) == {
        f"area:{a}|category:{c}" for a in ("Central", "Hollywood") for c in ("burglary", "robbery")
    }


def test_district_level_counts_every_incident(spark, real_store, incidents):
    got = sb.panel(spark, Store(real_store, read_only=True).parquet_dir, "district_category", "MS")
    known = incidents.dropna(subset=["rpt_dist"])
    assert got["y"].sum() == len(known)
    one = known.iloc[0]
    uid = f"district:{int(one['rpt_dist']):04d}|category:{one['crime_category']}"
    month = pd.Timestamp(one["occurred_date"]).to_period("M").to_timestamp()
    want = (
        (known["rpt_dist"] == one["rpt_dist"])
        & (known["crime_category"] == one["crime_category"])
        & (pd.to_datetime(known["occurred_date"]).dt.to_period("M").dt.to_timestamp() == month)
    ).sum()
    assert got.set_index(["unique_id", "ds"]).loc[(uid, month), "y"] == want


def test_a_store_without_parquet_is_a_clear_message(spark, tmp_path):
    with pytest.raises(ConfigError, match="no Parquet incidents under"):
        sb.panel(spark, tmp_path, "area", "W")


# -- the same per-series function, the same forecasts ---------------------------------------------
@pytest.fixture(scope="module")
def monthly(real_store):
    """Monthly area series from the real 2014-2020 samples, plus one whose dates are broken."""
    with Store(real_store, read_only=True) as st:
        full = panel.build(st, "area", "MS", Filters.build(date_from="2014-01-01"))[0]
    full = full[full["ds"] < "2021-01-01"]
    keep = sorted(full["unique_id"].unique())[:4]
    bad = pd.DataFrame({"unique_id": "area:Broken", "ds": [pd.NaT] * 30, "y": [3] * 30})
    return pd.concat([full[full["unique_id"].isin(keep)], bad], ignore_index=True)


MODELS = ("naive", "seasonal_naive", "ets", "croston")


def test_forecasts_match_the_local_backend(spark, monthly):
    kw = dict(models=MODELS, horizon=6, freq="MS", n_jobs=2)
    fc_local, err_local = engine.forecast(monthly, backend="local", **kw)
    fc_spark, err_spark = engine.forecast(monthly, backend="spark", **kw)
    assert len(fc_local) == 4 * 6 * len(MODELS)
    pd.testing.assert_frame_equal(fc_spark, fc_local, check_exact=False, rtol=1e-9, atol=1e-9)
    # the series that cannot be modelled is reported by id, the others are unaffected
    assert list(err_spark["unique_id"]) == ["area:Broken"]
    assert "NaT" in err_spark["error"].item()
    pd.testing.assert_frame_equal(err_spark, err_local)


def test_backtests_match_the_local_backend(spark, monthly):
    kw = dict(models=("seasonal_naive", "ets"), horizon=4, freq="MS", windows=2)
    cv_local, _ = backtest.backtest(monthly, backend="local", **kw)
    cv_spark, errors = backtest.backtest(monthly, backend="spark", **kw)
    assert cv_local["cutoff"].nunique() == 2 and len(cv_local) == 4 * 2 * 4 * 2
    pd.testing.assert_frame_equal(cv_spark, cv_local, check_exact=False, rtol=1e-9, atol=1e-9)
    assert list(errors["unique_id"]) == ["area:Broken"]


def test_cli_forecast_with_backend_spark_writes_the_same_file(spark, real_store, tmp_path):
    from typer.testing import CliRunner

    from crimecast.cli import app

    args = ["forecast", "--store", str(real_store), "--level", "area", "--freq", "MS"]
    args += ["--models", "seasonal_naive", "--horizon", "3", "--from", "2014-01-01"]
    files = {}
    for backend in ("local", "spark"):
        files[backend] = tmp_path / f"{backend}.csv"
        res = CliRunner().invoke(app, [*args, "--backend", backend, "--out", str(files[backend])])
        assert res.exit_code == 0, res.output
    local_fc, spark_fc = (pd.read_csv(files[b]) for b in ("local", "spark"))
    assert local_fc["unique_id"].nunique() == 21 and len(local_fc) == 21 * 3
    pd.testing.assert_frame_equal(spark_fc, local_fc)


def test_map_groups_same_contract_as_local_with_a_spark_frame_input(spark):
    # Defined here, not at module level: cloudpickle ships a local function by value, while a
    # module-level one would be imported by name on the executors, which cannot see tests/.
    def _summary(group: pd.DataFrame) -> pd.DataFrame:
        """A per-group function that raises for one group, in the middle of the others."""
        uid = group["unique_id"].iloc[0]
        if uid == "s07":
            raise ValueError(f"cannot summarise {uid}")
        return pd.DataFrame(
            {
                "unique_id": [uid],
                "first": [group["ds"].iloc[0]],  # depends on row order within the group
                "total": [int(group["y"].sum())],
                "mean": [float(group["y"].mean())],
            }
        )

    rng = np.random.default_rng(3)
    ds = pd.date_range("2021-01-04", periods=30, freq="W-MON")
    df = pd.concat(
        [
            pd.DataFrame({"unique_id": f"s{i:02d}", "ds": ds, "y": rng.poisson(5, len(ds))})
            for i in range(12)
        ]
    ).sample(frac=1, random_state=1)  # rows out of order: fn must see them as given
    want = local.map_groups(df, "unique_id", _summary, n_jobs=1)
    got = sb.map_groups(df, "unique_id", _summary, spark=spark)
    assert list(got.columns) == ["unique_id", "first", "total", "mean", "error"]
    assert got.loc[got["unique_id"] == "s07", "error"].item() == "ValueError: cannot summarise s07"
    assert got["error"].notna().sum() == 1
    pd.testing.assert_frame_equal(
        got.drop(columns="error"), want.drop(columns="error"), check_dtype=False
    )
    # A Spark DataFrame input stays in Spark (fn sorts nothing, so compare order-free columns)
    sdf = spark.createDataFrame(df.drop(columns="ds").assign(ds=df["ds"].astype(str)))
    got2 = sb.map_groups(
        sdf,
        "unique_id",
        lambda g: _summary(g.assign(ds=pd.to_datetime(g["ds"]))).drop(columns="first"),
        spark=spark,
    )
    pd.testing.assert_frame_equal(
        got2[["unique_id", "total"]], want[["unique_id", "total"]], check_dtype=False
    )


# -- bad configuration: one clear message each ----------------------------------------------------
def test_no_java_is_one_clear_message(tmp_path):
    with pytest.raises(ConfigError, match="no `java` was found") as err:
        sb.check_java({"PATH": str(tmp_path)})
    assert "openjdk-17" in err.value.hint
    with pytest.raises(ConfigError, match="JAVA_HOME is /nowhere/jdk"):
        sb.check_java({"JAVA_HOME": "/nowhere/jdk", "PATH": "/usr/bin"})
    assert sb.check_java({"PATH": "/usr/bin:/bin"}).endswith("java")


def test_no_java_stops_session_start_before_any_jvm(monkeypatch, tmp_path):
    monkeypatch.setattr(sb, "_session", None)
    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(ConfigError, match="needs Java"):
        sb.session("local[1]")


def test_wrong_master_url_fails_fast():
    with pytest.raises(ConfigError, match="not a Spark master URL"):
        sb.check_master("sprak://localhost:7077")
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    t0 = time.monotonic()
    with pytest.raises(
        NetworkError, match=f"cannot reach the Spark master at spark://127.0.0.1:{port}"
    ):
        sb.check_master(f"spark://127.0.0.1:{port}", timeout=2)
    assert time.monotonic() - t0 < 5
    for ok in ("local", "local[2]", "local[*]", "yarn", "k8s://https://10.0.0.1:6443"):
        assert sb.check_master(ok) == ok


def test_missing_pyspark_names_the_extra(monkeypatch):
    monkeypatch.setattr(sb, "_session", None)
    monkeypatch.setitem(sys.modules, "pyspark", None)  # what an install without the extra sees
    with pytest.raises(DependencyError) as err:
        sb.session("local[1]")
    assert err.value.hint == "pip install 'crimecast[spark]'"


@pytest.mark.filterwarnings("ignore:toPandas attempted Arrow optimization")
def test_a_job_that_fails_outside_the_function_is_one_clear_error(spark, tmp_path, monkeypatch):
    """A function the executors cannot import (here: a module only the driver's sys.path has)."""
    (tmp_path / "driver_only_mod.py").write_text(
        "def fn(group):\n    return group[['unique_id']].head(1)\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    from driver_only_mod import fn

    df = pd.DataFrame({"unique_id": ["a", "b"], "y": [1, 2]})
    with pytest.raises(sb.SparkError, match="failed outside the per-series function") as err:
        sb.map_groups(df, "unique_id", fn, spark=spark)
    assert "driver_only_mod" in err.value.message
    assert "import crimecast" in err.value.hint


def test_something_that_is_not_a_spark_master_fails_in_bounded_time():
    """A port that accepts connections but never speaks Spark: Spark alone retries for about a
    minute; crimecast gives up after the timeout (in a fresh process: one JVM per process)."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(8)
    port = srv.getsockname()[1]
    held = []

    def accept():
        while True:
            try:
                held.append(srv.accept()[0])
            except OSError:
                return

    threading.Thread(target=accept, daemon=True).start()
    code = (
        "from crimecast.backends import spark as sb\n"
        "sb.JVM_START_ALLOWANCE = 8\n"
        "try:\n"
        f"    sb.session('spark://127.0.0.1:{port}')\n"
        "except Exception as exc:\n"
        "    print(type(exc).__name__, exc)\n"
    )
    t0 = time.monotonic()
    try:
        res = subprocess.run(
            [sys.executable, "-c", code],
            env=os.environ | {"CRIMECAST_SPARK_CONNECT_TIMEOUT": "2"},
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        srv.close()
    assert res.stdout.startswith("NetworkError"), res.stdout + res.stderr[-2000:]
    assert f"spark://127.0.0.1:{port} accepted a connection but did not take" in res.stdout
    assert time.monotonic() - t0 < 45  # Spark's own retries alone take about 60 s


def test_spark_master_flag_is_checked_before_any_work(tmp_path):
    """--spark-master on run, forecast and backtest: a malformed URL or a flag without
    --backend spark is one clear message, before data is read."""
    from typer.testing import CliRunner

    from crimecast.cli import app

    csv = tmp_path / "s.csv"
    csv.write_text("unique_id,ds,y\n" + "".join(f"a,2020-{m:02d}-01,{m}\n" for m in range(1, 13)))
    runner = CliRunner()
    for cmd in (
        ["forecast", "--input", str(csv), "--horizon", "2"],
        ["backtest", "--input", str(csv), "--horizon", "2", "--windows", "1"],
        ["run", "--demo", "--out", str(tmp_path / "out")],
    ):
        bad = runner.invoke(app, [*cmd, "--backend", "spark", "--spark-master", "nonsense://x"])
        assert bad.exit_code != 0
        assert "is not a Spark master URL" in str(bad.exception)
        alone = runner.invoke(app, [*cmd, "--spark-master", "local[2]"])
        assert alone.exit_code != 0 and "needs --backend spark" in str(alone.exception)
    assert not (tmp_path / "out").exists()
