"""Backtests: no leaks, honest claims (seasonal series vs random walk), metrics by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from crimecast.errors import ConfigError
from crimecast.forecast import backtest, engine, metrics, models

BANDS = ["yhat", "lo_80", "hi_80", "lo_95", "hi_95"]


def frame(y, start="2016-01-01", uid="s"):
    return pd.DataFrame(
        {"unique_id": uid, "ds": pd.date_range(start, periods=len(y), freq="MS"), "y": y}
    )


def test_poisoned_future_changes_nothing_before_the_cutoff():
    rng = np.random.default_rng(2)
    n = 60
    y = np.round(80 + 15 * np.sin(2 * np.pi * np.arange(n) / 12) + rng.normal(0, 5, n))
    clean = frame(y)
    poisoned = frame(np.where(np.arange(n) >= 42, 1e7, y))  # huge values after the cutoff
    cutoff = clean["ds"][41]
    kw = {"models": models.ALL_MODELS, "horizon": 6, "freq": "MS", "cutoffs": [cutoff]}
    a = backtest.backtest_series(clean, **kw)
    b = backtest.backtest_series(poisoned, **kw)
    assert set(a["model"]) == set(models.ALL_MODELS)  # every model, including auto
    assert (a["cutoff"] == cutoff).all() and a["ds"].min() > cutoff
    pd.testing.assert_frame_equal(a[["model", "ds", *BANDS]], b[["model", "ds", *BANDS]])
    assert (b["y"] == 1e7).all()  # the poison is there, in the actuals only


@pytest.fixture(scope="module")
def simulated_area():
    """A seasonal series from the simulator: one LAPD area's monthly counts, 2014-2019."""
    from crimecast.ingest.simulate import simulate

    raw = simulate(150_000, seed=7, start="2014-01-01", end="2019-12-31")
    occ = pd.to_datetime(raw["DATE OCC"].astype(str), format="%m/%d/%Y %I:%M:%S %p")
    s = occ[raw["AREA NAME"].astype(str) == "77th Street"].dt.to_period("M").dt.to_timestamp()
    counts = s.value_counts().sort_index()
    return pd.DataFrame({"unique_id": "area:77th Street", "ds": counts.index, "y": counts.values})


SEASONAL_MODELS = ("ets", "sarimax", "prophet", "ensemble", "auto")


def test_every_model_beats_seasonal_naive_on_the_simulators_seasonal_series(simulated_area):
    cv = backtest.backtest_series(
        simulated_area,
        models=("seasonal_naive", *SEASONAL_MODELS),
        horizon=12,
        freq="MS",
        windows=3,
    )
    s = metrics.summary(cv, simulated_area, "MS").set_index("model")
    for m in SEASONAL_MODELS:
        assert s.loc[m, "mase"] < s.loc["seasonal_naive", "mase"], (m, s["mase"].to_dict())
        assert s.loc[m, "skill"] > 0.05
    # three windows are too few to call a 15-20% lead proven, and the summary says so
    assert "unproven" in s.loc["ensemble", "warnings"]


def test_on_a_random_walk_nothing_claims_to_beat_the_baselines():
    rng = np.random.default_rng(11)
    y = np.round(500 + np.cumsum(rng.normal(0, 12, 96)))
    s = frame(y, start="2012-01-01", uid="walk")
    names = ("naive", "seasonal_naive", *SEASONAL_MODELS)
    cv = backtest.backtest_series(s, models=names, horizon=12, freq="MS", windows=3)
    summ = metrics.summary(cv, s, "MS")
    assert not summ["beats_baselines"].any(), summ[["model", "skill"]]
    claims = summ[~summ["model"].isin(["naive", "seasonal_naive"])]
    assert claims["warnings"].str.contains("no better than the simple baselines|unproven").all()
    # a lucky streak is flagged, not claimed: ETS's damped trend follows this walk's drift
    ets = summ.set_index("model").loc["ets"]
    assert ets["skill"] > 0.05 and ets["p_value"] > 0.05 and "unproven" in ets["warnings"]


def test_metrics_by_hand():
    panel = frame([10.0, 12, 10, 12, 10, 12, 10, 12, 10, 12], uid="h")
    cut = panel["ds"][7]
    cv = pd.DataFrame(
        {
            "unique_id": "h",
            "ds": panel["ds"][8:].to_numpy(),
            "cutoff": cut,
            "y": [10.0, 12.0],
            "model": "m",
            "yhat": [11.0, 15.0],
            "lo_80": [10.5, 13.0],
            "hi_80": [11.5, 17.0],
            "lo_95": [9.0, 11.0],
            "hi_95": [13.0, 19.0],
        }
    )
    s = metrics.summary(cv, panel, "MS").iloc[0]
    assert s["mae"] == pytest.approx(2.0)
    assert s["rmse"] == pytest.approx(np.sqrt((1 + 9) / 2))
    assert s["wape"] == pytest.approx(4 / 22)
    # history of 8 < one season (12): the scale is the lag-1 in-sample MAE = 2
    assert s["mase"] == pytest.approx(1.0)
    assert s["coverage_80"] == 0.0 and s["coverage_95"] == 1.0
    assert s["width_95"] == pytest.approx(6.0)
    # baselines on the same window: naive says 12, 12 (MAE 1); m's MAE 2 -> skill -100%
    assert s["skill"] == pytest.approx(-1.0) and not s["beats_baselines"]
    assert "too little history" in s["warnings"] and "one backtest window" in s["warnings"]
    assert metrics.mase_scale(np.array([1.0, 3, 2, 4]), 1) == pytest.approx(5 / 3)


def test_windows_and_cutoffs_place_origins_and_refuse_short_series():
    ds = pd.date_range("2015-01-01", periods=60, freq="MS")
    assert backtest.origins(ds, 12, "MS", windows=3) == [24, 36, 48]
    assert backtest.origins(ds, 6, "MS", cutoffs=["2017-06-15"]) == [30]  # moved back to June
    with pytest.raises(ConfigError, match="series 'x' has 60 periods"):
        backtest.origins(ds, 12, "MS", windows=4, uid="x")
    with pytest.raises(ConfigError, match="at or after the last observation"):
        backtest.origins(ds, 6, "MS", cutoffs=["2030-01-01"])
    with pytest.raises(ConfigError, match="only 3 period"):
        backtest.origins(ds, 6, "MS", cutoffs=["2015-03-01"])


def test_the_default_run_shares_fits_between_backtest_and_forecast():
    rng = np.random.default_rng(4)
    y = np.round(60 + 10 * np.sin(2 * np.pi * np.arange(60) / 12) + rng.normal(0, 4, 60))
    s = frame(y)
    kw = {"models": ("seasonal_naive", "ets", "auto"), "horizon": 6, "freq": "MS"}
    fc, cv = backtest.split_run(backtest.run_series(s, windows=2, **kw))
    pd.testing.assert_frame_equal(fc, engine.forecast_series(s, **kw))
    pd.testing.assert_frame_equal(cv, backtest.backtest_series(s, windows=2, **kw))
