"""`crimecast forecast` and `crimecast backtest` on a CSV and on a store."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from crimecast.cli import app, main
from crimecast.forecast.engine import BACKTEST_COLUMNS, FORECAST_COLUMNS

runner = CliRunner()


@pytest.fixture(scope="module")
def series_csv(tmp_path_factory):
    rng = np.random.default_rng(9)
    parts = []
    for uid, level in (("north", 40), ("south", 90)):
        n = 48
        y = np.round(level + 10 * np.sin(2 * np.pi * np.arange(n) / 12) + rng.normal(0, 4, n))
        ds = pd.date_range("2019-01-01", periods=n, freq="MS").strftime("%Y-%m-%d")
        parts.append(pd.DataFrame({"unique_id": uid, "ds": ds, "y": y.astype(int)}))
    path = tmp_path_factory.mktemp("cli") / "series.csv"
    pd.concat(parts).to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def store_path(tmp_path_factory):
    from crimecast.ingest.simulate import simulate
    from crimecast.store import Store

    path = tmp_path_factory.mktemp("cli_store")
    raw = simulate(8000, seed=5, start="2020-01-01", end="2024-08-31", nibrs_break=True)
    with Store(path) as store:
        store.ingest_frame(raw, "cli.simulated.csv", simulated=True, today=dt.date(2024, 9, 10))
        through = store.complete_through()
    return path, through


def test_forecast_on_a_csv(series_csv, tmp_path):
    out = tmp_path / "fc.csv"
    args = ["forecast", "--input", str(series_csv), "--freq", "MS", "--horizon", "6"]
    args += ["--models", "seasonal_naive,ets", "--n-jobs", "1", "--out", str(out)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    fc = pd.read_csv(out, parse_dates=["ds"])
    assert list(fc.columns) == FORECAST_COLUMNS
    assert len(fc) == 2 * 2 * 6
    assert fc["ds"].min() == pd.Timestamp("2023-01-01")
    assert (fc[["yhat", "lo_80", "hi_80", "lo_95", "hi_95"]] >= 0).all().all()


def test_end_sets_the_horizon_and_must_be_after_the_data(series_csv, tmp_path):
    out = tmp_path / "end.csv"
    base = ["forecast", "--input", str(series_csv), "--models", "naive", "--n-jobs", "1"]
    result = runner.invoke(app, [*base, "--end", "2023-03-15", "--out", str(out)])
    assert result.exit_code == 0, result.output
    fc = pd.read_csv(out, parse_dates=["ds"])
    assert sorted(fc["ds"].dt.strftime("%Y-%m").unique()) == ["2023-01", "2023-02", "2023-03"]
    result = runner.invoke(app, [*base, "--end", "2021-01-01", "--out", str(out)])
    assert result.exit_code != 0 and "not after the last period" in str(result.exception)


def test_backtest_on_a_csv_prints_the_summary(series_csv, tmp_path):
    out = tmp_path / "cv.csv"
    args = ["backtest", "--input", str(series_csv), "--freq", "MS", "--horizon", "6"]
    args += ["--cutoffs", "2021-12-01,2022-06-01", "--models", "naive,seasonal_naive,auto"]
    args += ["--n-jobs", "1", "--out", str(out)]
    result = runner.invoke(app, args, terminal_width=160)
    assert result.exit_code == 0, result.output
    cv = pd.read_csv(out, parse_dates=["ds", "cutoff"])
    assert list(cv.columns) == BACKTEST_COLUMNS
    assert set(cv["cutoff"].dt.strftime("%Y-%m-%d")) == {"2021-12-01", "2022-06-01"}
    assert (cv["ds"] > cv["cutoff"]).all()
    summary = pd.read_csv(tmp_path / "cv_summary.csv")
    assert {"mase", "wape", "coverage_80", "coverage_95", "skill", "warnings"} <= set(summary)
    assert len(summary) == 2 * 3
    assert "MASE" in result.output and "auto picked" in result.output


def test_forecast_on_the_store_defaults_to_24_months_after_the_last_complete_one(
    store_path, tmp_path
):
    path, through = store_path
    out = tmp_path / "store_fc.csv"
    args = ["forecast", "--store", str(path), "--level", "area", "--models", "seasonal_naive"]
    args += ["--reconcile", "bottom_up", "--n-jobs", "1", "--out", str(out)]
    result = runner.invoke(app, args, terminal_width=160)
    assert result.exit_code == 0, result.output
    fc = pd.read_csv(out, parse_dates=["ds"])
    assert fc["ds"].min() == through + pd.DateOffset(months=1)
    assert fc.groupby("unique_id").size().eq(24).all()
    areas = fc[fc["unique_id"].str.startswith("area:")]
    assert areas["unique_id"].nunique() == 21
    city = fc[fc["unique_id"] == "city"].set_index("ds")["yhat"]
    assert np.allclose(areas.groupby("ds")["yhat"].sum().reindex(city.index), city)
    assert "kept out of training" in result.output and "NIBRS" in result.output
    assert "incoherence" in result.output
    peaks = pd.read_csv(tmp_path / "store_fc_peaks.csv")
    assert peaks.groupby("unique_id").size().eq(3).all()
    exceed = pd.read_csv(tmp_path / "store_fc_exceed.csv")
    assert len(exceed) == 22 and exceed["prob_exceed"].between(0, 1).all()
    wh = pd.read_csv(tmp_path / "store_fc_weekday_hour.csv")
    assert len(wh) == 21 * 7 * 24


def test_backtest_on_the_store(store_path, tmp_path):
    path, _ = store_path
    out = tmp_path / "store_cv.csv"
    args = ["backtest", "--store", str(path), "--level", "city", "--horizon", "3"]
    args += ["--windows", "2", "--models", "naive,seasonal_naive", "--out", str(out)]
    result = runner.invoke(app, [*args, "--n-jobs", "1"], terminal_width=160)
    assert result.exit_code == 0, result.output
    cv = pd.read_csv(out)
    assert set(cv["unique_id"]) == {"city"} and cv["cutoff"].nunique() == 2


def test_bad_input_is_an_error_message_not_a_traceback(tmp_path, capsys):
    bad = tmp_path / "bad.csv"
    bad.write_text("unique_id,ds,y\na,2020-01-01,1\na,2020-02-01,-3\n")
    with pytest.raises(SystemExit) as exc:
        main(
            [
                "forecast",
                "--input",
                str(bad),
                "--freq",
                "MS",
                "--horizon",
                "1",
                "--out",
                str(tmp_path / "o.csv"),
            ]
        )
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "negative y on line(s) 3" in err and "Traceback" not in err
    with pytest.raises(SystemExit) as exc:
        main(["forecast", "--input", str(bad), "--freq", "MS", "--models", "lstm"])
    assert exc.value.code == 2 and "unknown model 'lstm'" in capsys.readouterr().err
