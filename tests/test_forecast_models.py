"""Model wrappers: faithful to the libraries, count-safe, reproducible."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from crimecast.errors import ConfigError
from crimecast.forecast import engine, models
from crimecast.forecast.sarimax import FIT, SPEC, design, grid


@pytest.fixture(autouse=True)
def one_blas_thread():
    # the direct library calls below get the same BLAS limit the engine uses (speed only)
    with engine.single_threaded():
        yield


def seasonal(n=60, level=120.0, amp=25.0, noise=6.0, seed=0):
    rng = np.random.default_rng(seed)
    ds = pd.date_range("2016-01-01", periods=n, freq="MS")
    y = np.round(level + amp * np.sin(2 * np.pi * np.arange(n) / 12) + rng.normal(0, noise, n))
    return y, ds


def test_naive_and_seasonal_naive_by_hand():
    y = np.array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13.0])
    ds = pd.date_range("2020-01-01", periods=24, freq="MS")
    sn = models.make("seasonal_naive", "MS").fit(y, ds).predict(14)
    assert list(sn["yhat"][:12]) == list(y[12:]) and list(sn["yhat"][12:]) == list(y[12:14])
    # residual y_t - y_{t-12} is 1 everywhere: sd 1, widening with seasons ahead
    assert sn["hi_95"][0] - sn["yhat"][0] == pytest.approx(1.959964, rel=1e-5)
    assert sn["hi_95"][12] - sn["yhat"][12] == pytest.approx(1.959964 * np.sqrt(2), rel=1e-5)
    nv = models.make("naive", "MS").fit(y, ds).predict(3)
    assert list(nv["yhat"]) == [13.0, 13.0, 13.0]


def test_ets_is_statsmodels_ets():
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel

    y, ds = seasonal()
    ours = models.make("ets", "MS").fit(y, ds).predict(12)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        spec = models.ets_spec(len(y), 12)
        assert spec["damped_trend"] and spec["seasonal"] == "add"
        res = ETSModel(pd.Series(y, index=ds), **spec).fit(disp=False)
        pred = res.get_prediction(start=len(y), end=len(y) + 11)
        sf80, sf95 = pred.summary_frame(alpha=0.2), pred.summary_frame(alpha=0.05)
    np.testing.assert_allclose(ours["yhat"], pred.predicted_mean.to_numpy(), rtol=1e-9)
    np.testing.assert_allclose(ours["lo_80"], sf80["pi_lower"].to_numpy(), rtol=1e-9)
    np.testing.assert_allclose(ours["hi_95"], sf95["pi_upper"].to_numpy(), rtol=1e-9)


def test_sarimax_is_statsmodels_sarimax_with_the_lowest_aic_order():
    from statsmodels.tsa.statespace.sarimax import SARIMAX

    y, ds = seasonal(n=84)  # 2016-2022: crosses the COVID period, so that regressor is used
    model = models.make("sarimax", "MS")
    ours = model.fit(y, ds).predict(6)
    assert model.columns == ["covid"]  # the break step is constant in training: dropped
    x = design(ds, "MS", model.exog, model.columns)
    aics = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for order, sorder in grid(len(y), "MS", 12):
            aics[(order, sorder)] = (
                SARIMAX(y, exog=x, order=order, seasonal_order=sorder, **SPEC).fit(**FIT).aic
            )
        best = min(aics, key=aics.get)
        assert (model.order, model.seasonal_order) == best
        res = SARIMAX(y, exog=x, order=best[0], seasonal_order=best[1], **SPEC).fit(**FIT)
        fx = design(pd.date_range(ds[-1], periods=7, freq="MS")[1:], "MS", model.exog, ["covid"])
        fc = res.get_forecast(6, exog=fx)
    np.testing.assert_allclose(ours["yhat"], fc.predicted_mean, rtol=1e-9)
    ci = np.asarray(fc.conf_int(alpha=0.05))
    np.testing.assert_allclose(ours["lo_95"], ci[:, 0], rtol=1e-9)
    np.testing.assert_allclose(ours["hi_95"], ci[:, 1], rtol=1e-9)


def test_sarimax_holds_regimes_at_the_origin_no_hindsight():
    y, ds = seasonal(n=60)  # 2016-01 .. 2020-12: the origin is inside the COVID period
    model = models.make("sarimax", "MS").fit(y, ds)
    x = model.exog_future(12)
    assert "covid" in model.columns
    # the calendar says COVID ended in 2021-06; at a 2020-12 origin nobody knew that
    assert (x["covid"] == 1).all()


def test_prophet_is_prophet_on_log1p():
    from prophet import Prophet

    from crimecast.forecast.prophet_model import prophet_kwargs, quiet

    y, ds = seasonal(n=48)
    ours = models.make("prophet", "MS", seed=7).fit(y, ds).predict(6)
    m = Prophet(interval_width=0.8, **prophet_kwargs("MS"))
    quiet()
    m.fit(pd.DataFrame({"ds": ds, "y": np.log1p(y)}))
    future = pd.DataFrame({"ds": pd.date_range(ds[-1], periods=7, freq="MS")[1:]})
    np.random.seed(7)
    direct = m.predict(future)
    np.testing.assert_allclose(ours["yhat"], np.expm1(direct["yhat"]), rtol=1e-6)
    np.testing.assert_allclose(ours["lo_80"], np.expm1(direct["yhat_lower"]), rtol=1e-6)
    np.testing.assert_allclose(ours["hi_80"], np.expm1(direct["yhat_upper"]), rtol=1e-6)


def test_croston_and_tsb_match_statsforecast():
    from statsforecast.models import TSB, CrostonSBA

    rng = np.random.default_rng(5)
    y = np.where(rng.random(60) < 0.3, rng.integers(1, 6, 60), 0).astype(float)
    ds = pd.date_range("2019-01-01", periods=60, freq="MS")
    ours_c = models.make("croston", "MS").fit(y, ds).predict(4)["yhat"]
    ours_t = models.make("tsb", "MS").fit(y, ds).predict(4)["yhat"]
    np.testing.assert_allclose(ours_c, CrostonSBA().forecast(y, 4)["mean"], rtol=1e-9)
    np.testing.assert_allclose(
        ours_t, TSB(alpha_d=0.1, alpha_p=0.1).forecast(y, 4)["mean"], rtol=1e-9
    )


def test_no_negative_forecasts_or_bounds_on_sparse_counts():
    rng = np.random.default_rng(1)
    n = 40
    y = np.where(rng.random(n) < 0.25, rng.integers(1, 3, n), 0).astype(float)
    y[-6:] = 0  # a series that just went quiet pulls linear models below 0
    s = pd.DataFrame(
        {"unique_id": "sparse", "ds": pd.date_range("2019-01-01", periods=n, freq="MS"), "y": y}
    )
    fc = engine.forecast_series(s, models=models.ALL_MODELS, horizon=8, freq="MS")
    assert set(fc["model"]) == set(models.ALL_MODELS)
    vals = fc[["yhat", "lo_80", "hi_80", "lo_95", "hi_95"]]
    assert (vals >= 0).all().all()
    assert (fc["lo_95"] <= fc["lo_80"] + 1e-9).all() and (fc["lo_80"] <= fc["yhat"] + 1e-9).all()
    assert (fc["yhat"] <= fc["hi_80"] + 1e-9).all() and (fc["hi_80"] <= fc["hi_95"] + 1e-9).all()


def test_same_input_same_output():
    y, ds = seasonal(n=48, seed=3)
    s = pd.DataFrame({"unique_id": "x", "ds": ds, "y": y})
    kw = {"models": ("ets", "sarimax", "prophet", "auto"), "horizon": 6, "freq": "MS", "seed": 11}
    a = engine.forecast_series(s, **kw)
    b = engine.forecast_series(s.sample(frac=1, random_state=0), **kw)  # row order must not matter
    pd.testing.assert_frame_equal(a, b)


def test_unknown_models_are_named():
    with pytest.raises(ConfigError, match="unknown model 'arima'"):
        models.parse_models("ets,arima", engine.DEFAULT_MODELS)
    assert models.parse_models(" ETS , naive,ets", ()) == ("ets", "naive")
    assert models.parse_models(None, ("naive",)) == ("naive",)


def test_daily_and_weekly_series_use_their_calendars():
    rng = np.random.default_rng(8)
    days = pd.date_range("2023-10-02", periods=84, freq="D")  # a Monday; runs over Christmas
    weekly_shape = np.array([10, 10, 10, 10, 14, 18, 12])
    y = rng.poisson(weekly_shape[np.arange(84) % 7]).astype(float)
    s = pd.DataFrame({"unique_id": "d", "ds": days, "y": y})
    fc = engine.forecast_series(
        s, models=("seasonal_naive", "sarimax", "prophet"), horizon=7, freq="D"
    )
    assert list(fc[fc["model"] == "sarimax"]["ds"]) == list(pd.date_range("2023-12-25", periods=7))
    sn = fc[fc["model"] == "seasonal_naive"]["yhat"].to_numpy()
    np.testing.assert_array_equal(sn, y[-7:])  # last week, weekday by weekday
    model = models.make("sarimax", "D").fit(y, days)
    assert "holidays" in model.columns and model.seasonal_order == (0, 1, 1, 7)
    assert model.exog_future(7)["holidays"].iloc[0] == 1  # Christmas Day
    assert (fc[["yhat", "lo_95"]] >= 0).all().all()

    weeks = pd.date_range("2021-01-04", periods=110, freq="W-MON")
    yw = np.round(100 + 20 * np.sin(2 * np.pi * np.arange(110) / 52.18) + rng.normal(0, 4, 110))
    wm = models.make("sarimax", "W").fit(yw, weeks)
    assert {"sin1", "cos1", "sin2", "cos2"} <= set(wm.columns) and wm.seasonal_order == (0, 0, 0, 0)
    wf = engine.forecast_series(
        pd.DataFrame({"unique_id": "w", "ds": weeks, "y": yw}),
        models=("sarimax",),
        horizon=4,
        freq="W",
    )
    assert (wf["ds"].dt.weekday == 0).all() and wf["ds"].iloc[0] == weeks[-1] + pd.Timedelta(days=7)
