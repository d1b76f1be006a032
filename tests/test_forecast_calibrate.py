"""Calibrated intervals, Theta and STL, and `auto` as a combination."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from crimecast.forecast import backtest, calibrate, engine, models


def series(n=120, seed=0, level=800.0, noise=20.0):
    rng = np.random.default_rng(seed)
    ds = pd.date_range("2012-01-01", periods=n, freq="MS")
    y = np.round(
        level + 80 * np.sin(2 * np.pi * np.arange(n) / 12) + np.cumsum(rng.normal(0, noise, n))
    )
    return pd.DataFrame({"unique_id": "s", "ds": ds, "y": y})


def test_origins_are_a_season_apart_and_keep_the_minimum_history():
    assert calibrate.origins(100, 12, "MS", 24) == [88, 76, 64, 52, 40]
    assert calibrate.origins(100, 24, "MS", 24) == [88, 76, 64, 52, 40, 28]
    assert calibrate.origins(30, 12, "MS", 24) == []
    assert calibrate.origins(12, 1, "YS", 8) == [11, 10, 9, 8, 7]  # yearly: down to 5 years


def test_errors_use_only_periods_before_the_forecast_origin():
    y = np.arange(40, dtype=float)
    preds = {30: np.full(12, 10.0), 20: np.full(12, 10.0)}
    rel = calibrate.errors(y, 36, preds, 12)
    # from origin 30 only y[30..35] are known at origin 36: steps 7-12 are missing
    assert np.isfinite(rel[0, :6]).all() and np.isnan(rel[0, 6:]).all()
    np.testing.assert_allclose(rel[0, :6], (y[30:36] - 10) / 10)
    assert np.isfinite(rel[1]).all()


def test_conformal_quantile_by_hand():
    x = np.array([0.1, -0.2, 0.3, -0.4, 0.5, 0.6, -0.7, 0.8, 0.9])  # n = 9
    assert calibrate.conformal_quantile(x, 0.8) == pytest.approx(0.8)  # rank ceil(10 * .8) = 8
    assert calibrate.conformal_quantile(x, 0.95) == pytest.approx(0.9)  # capped at the largest


def test_calibration_at_a_cutoff_never_sees_the_future():
    s = series()
    cut = pd.Timestamp("2019-12-01")
    kw = {"models": ("ets", "theta", "auto"), "horizon": 12, "freq": "MS", "cutoffs": [cut]}
    clean = backtest.backtest_series(s, **kw)
    poisoned = s.copy()
    after = poisoned["ds"] > cut
    poisoned.loc[after, "y"] = poisoned.loc[after, "y"] * 5 + 1000
    dirty = backtest.backtest_series(poisoned, **kw)
    cols = ["yhat", "lo_80", "hi_80", "lo_95", "hi_95"]
    pd.testing.assert_frame_equal(clean[cols], dirty[cols])
    # and the calibrated bands differ from the model's own (the errors were used)
    own = backtest.backtest_series(s, intervals="model", **kw)
    assert not np.allclose(own["hi_80"], clean["hi_80"])
    np.testing.assert_allclose(own["yhat"], clean["yhat"])


def test_small_counts_are_never_narrower_than_poisson_nor_negative():
    rng = np.random.default_rng(3)
    ds = pd.date_range("2015-01-01", periods=96, freq="MS")
    s = pd.DataFrame({"unique_id": "q", "ds": ds, "y": rng.poisson(3, 96).astype(float)})
    fc = engine.forecast_series(s, models=("naive", "ets", "theta", "stl", "auto"), horizon=12,
                                freq="MS")  # fmt: skip
    assert (fc[["yhat", "lo_80", "hi_80", "lo_95", "hi_95"]] >= 0).all().all()
    lo, hi = calibrate.poisson_bounds(fc["yhat"].to_numpy(), 95)
    assert (fc["hi_95"].to_numpy() >= hi - 1e-9).all()
    assert (fc["lo_95"].to_numpy() <= np.maximum(lo, 0) + 1e-9).all()
    assert (fc["lo_95"] <= fc["lo_80"] + 1e-9).all() and (fc["hi_80"] <= fc["hi_95"] + 1e-9).all()


def test_calibrated_intervals_cover_about_what_they_claim_on_a_random_walk():
    # a random walk: a model's own intervals are right only if its model is; the calibrated
    # ones come from the errors, so they hold about 80% / 95% over many origins and series
    cvs = []
    for seed in range(6):
        s = series(n=150, seed=seed, noise=30).assign(unique_id=f"rw{seed}")
        cvs.append(backtest.backtest_series(s, models=("ets",), horizon=12, freq="MS", windows=6))
    cv = pd.concat(cvs)
    cov80 = ((cv["y"] >= cv["lo_80"]) & (cv["y"] <= cv["hi_80"])).mean()
    cov95 = ((cv["y"] >= cv["lo_95"]) & (cv["y"] <= cv["hi_95"])).mean()
    assert 0.68 <= cov80 <= 0.92, cov80
    assert 0.85 <= cov95 <= 1.0, cov95


def test_theta_and_stl_are_statsforecast():
    from statsforecast.models import MSTL, AutoETS, OptimizedTheta

    y = series()["y"].to_numpy()
    ds = series()["ds"]
    th = models.make("theta", "MS").fit(y, ds).predict(6)
    ref = OptimizedTheta(season_length=12, decomposition_type="multiplicative").forecast(
        y=y, h=6, level=[80, 95]
    )
    np.testing.assert_allclose(th["yhat"], ref["mean"], rtol=1e-9)
    np.testing.assert_allclose(th["hi_95"], ref["hi-95"], rtol=1e-9)
    st = models.make("stl", "MS").fit(y, ds).predict(6)
    ref = MSTL(season_length=12, trend_forecaster=AutoETS(model="AAN", damped=True)).forecast(
        y=y, h=6, level=[80, 95]
    )
    np.testing.assert_allclose(st["yhat"], ref["mean"], rtol=1e-9)
    np.testing.assert_allclose(st["lo_80"], ref["lo-80"], rtol=1e-9)


def test_auto_is_the_median_of_its_members_unless_one_clearly_wins():
    s = series(n=120, seed=4)
    fc = engine.forecast_series(s, models=(*engine.AUTO_MEMBERS, "auto"), horizon=12, freq="MS")
    wide = fc.pivot(index="ds", columns="model", values="yhat")
    picked = engine.auto_choices(fc)["chosen"].iloc[0]
    if picked == engine.COMBINATION:
        np.testing.assert_allclose(
            wide["auto"], np.median(wide[list(engine.AUTO_MEMBERS)], axis=1), rtol=1e-9
        )
    else:
        np.testing.assert_allclose(wide["auto"], wide[picked], rtol=1e-9)
    # a pure repeating season: the seasonal naive is exact and wins by far, with every origin
    # agreeing, so auto is that model rather than the median
    n = 96
    ds = pd.date_range("2012-01-01", periods=n, freq="MS")
    shape = np.array([50, 80, 20, 95, 10, 70, 30, 60, 90, 15, 40, 85.0])
    exact = pd.DataFrame({"unique_id": "e", "ds": ds, "y": shape[np.arange(n) % 12] * 10})
    run = engine.Run(exact["y"], exact["ds"], "MS", models.LEVELS, 42)
    assert run.choose(n, 12) == "seasonal_naive"


def test_theta_and_stl_fit_short_yearly_series():
    ds = pd.date_range("2010-01-01", periods=6, freq="YS")
    y = np.array([200.0, 230, 215, 250, 240, 260])
    for alias in ("theta", "stl"):
        fc = models.make(alias, "YS").fit(y, ds).predict(2)
        assert len(fc) == 2 and (fc["yhat"] > 150).all() and (fc["hi_95"] >= fc["yhat"]).all()


def test_widths_are_the_conformal_quantile_of_each_steps_pool():
    rng = np.random.default_rng(2)
    rel = rng.normal(0, 0.1, (6, 12)) * np.sqrt(np.arange(1, 13))
    rel[0, 6:] = np.nan  # the newest origin has only 6 observed steps
    q = calibrate.widths(rel, 0.8)
    for j in range(12):
        pool = rel[:, max(0, j - calibrate.BAND) : j + calibrate.BAND + 1]
        by_hand = calibrate.conformal_quantile(pool, 0.8)
        assert q[j] == pytest.approx(by_hand) or q[j] == pytest.approx(q[: j + 1].max())
    assert (np.diff(q) >= 0).all()
    assert calibrate.widths(np.empty((0, 12)), 0.8) is None  # no origin: the model's own bands
