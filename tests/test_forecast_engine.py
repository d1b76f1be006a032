"""The engine over many series: backends, per-series errors, reconciliation, risk, CSV checks."""

from __future__ import annotations

import importlib.util
from functools import partial

import numpy as np
import pandas as pd
import pytest

from crimecast import backends
from crimecast.backends.local import map_groups
from crimecast.errors import ConfigError, DependencyError, InputFileError
from crimecast.forecast import backtest, engine, reconcile, risk, validate


def seasonal_panel(ids=("a", "b", "c"), n=48, seed=0):
    rng = np.random.default_rng(seed)
    parts = []
    for i, uid in enumerate(ids):
        y = np.round(50 + 10 * i + 8 * np.sin(2 * np.pi * np.arange(n) / 12) + rng.normal(0, 3, n))
        parts.append(
            pd.DataFrame(
                {"unique_id": uid, "ds": pd.date_range("2018-01-01", periods=n, freq="MS"), "y": y}
            )
        )
    return pd.concat(parts, ignore_index=True)


def fails_on_b(group: pd.DataFrame) -> pd.DataFrame:
    if group["unique_id"].iloc[0] == "b":
        raise ValueError("b is broken")
    return group.assign(y2=group["y"] * 2)


def test_map_groups_reports_a_failing_group_and_keeps_the_others():
    df = seasonal_panel(n=5)
    for jobs in (1, 2):
        out = map_groups(df, "unique_id", fails_on_b, n_jobs=jobs)
        errors = out[out["error"].notna()]
        assert list(errors["unique_id"]) == ["b"]
        assert errors["error"].iloc[0] == "ValueError: b is broken"
        good = out[out["error"].isna()]
        assert set(good["unique_id"]) == {"a", "c"} and (good["y2"] == 2 * good["y"]).all()


def test_forecast_with_two_workers_equals_one_worker_and_names_failed_series():
    p = seasonal_panel()
    short = pd.DataFrame(
        {"unique_id": "short", "ds": pd.date_range("2021-01-01", periods=5, freq="MS"), "y": 3.0}
    )
    p = pd.concat([p, short], ignore_index=True)
    kw = {"models": ("seasonal_naive", "ets"), "horizon": 6, "freq": "MS", "windows": 2}
    cv1, err1 = backtest.backtest(p, n_jobs=1, **kw)
    cv2, err2 = backtest.backtest(p, n_jobs=2, **kw)
    pd.testing.assert_frame_equal(cv1, cv2)
    assert list(err1["unique_id"]) == ["short"] and "'short' has 5 periods" in err1["error"][0]
    assert set(cv1["unique_id"]) == {"a", "b", "c"}
    assert list(cv1.columns) == engine.BACKTEST_COLUMNS
    fc, err = engine.forecast(p, models=("naive",), horizon=3, freq="MS", n_jobs=2)
    assert err.empty and list(fc.columns) == engine.FORECAST_COLUMNS and len(fc) == 4 * 3


def test_forecast_series_is_the_picklable_seam():
    import pickle

    fn = partial(engine.forecast_series, models=("naive",), horizon=2, freq="MS")
    again = pickle.loads(pickle.dumps(fn))
    s = seasonal_panel(ids=("a",), n=12)
    pd.testing.assert_frame_equal(fn(s), again(s))


def test_backend_choice():
    assert backends.get("local").map_groups is map_groups
    with pytest.raises(ConfigError, match="unknown backend 'dask'"):
        backends.get("dask")
    if importlib.util.find_spec("crimecast.backends.spark") is None:
        with pytest.raises(DependencyError, match="spark backend"):
            backends.get("spark")
    else:
        assert hasattr(backends.get("spark"), "map_groups")


def fc_frame(rows):
    return pd.DataFrame(rows, columns=["unique_id", "ds", "model", "yhat"]).assign(
        lo_80=lambda d: d["yhat"] - 5,
        hi_80=lambda d: d["yhat"] + 5,
        lo_95=lambda d: d["yhat"] - 10,
        hi_95=lambda d: d["yhat"] + 10,
    )


def test_reconciliation_bottom_up_and_ols_by_hand():
    d = pd.Timestamp("2024-01-01")
    fc = fc_frame(
        [
            ("city", d, "m", 100.0),
            ("area:A", d, "m", 30.0),
            ("area:B", d, "m", 50.0),
            ("category:x", d, "m", 100.0),
        ]
    )
    inc = reconcile.incoherence(fc, "area:").iloc[0]
    assert inc["mean_abs_gap"] == 20 and inc["mean_abs_gap_pct"] == pytest.approx(20.0)
    bu = reconcile.reconcile(fc, "area:", "bottom_up").set_index("unique_id")
    assert bu.loc["city", "yhat"] == 80 and bu.loc["area:A", "yhat"] == 30
    assert bu.loc["city", "hi_95"] == 90  # interval shifted with the point, width kept
    assert bu.loc["category:x", "yhat"] == 100  # other series untouched
    ols = reconcile.reconcile(fc, "area:", "ols").set_index("unique_id")
    assert ols.loc["area:A", "yhat"] == pytest.approx(30 + 20 / 3)
    assert ols.loc["area:B", "yhat"] == pytest.approx(50 + 20 / 3)
    assert ols.loc["city", "yhat"] == pytest.approx(100 - 20 / 3)
    assert reconcile.incoherence(ols.reset_index(), "area:")["mean_abs_gap"].iloc[0] < 1e-9
    with pytest.raises(ConfigError, match="city"):
        reconcile.reconcile(fc[fc["unique_id"] != "city"], "area:")


def test_peaks_weekday_hour_and_probability_of_exceeding_last_year():
    ds = pd.date_range("2024-01-01", periods=12, freq="MS")
    fc = fc_frame([("a", d, "auto", 100.0 + (20 if d.month == 7 else 0)) for d in ds])
    peaks = risk.peak_periods(fc, "auto", top=1)
    assert peaks["ds"].iloc[0] == pd.Timestamp("2024-07-01") and peaks["vs_mean"].iloc[0] > 1

    counts = pd.DataFrame(
        {"area_name": ["Central"] * 2, "weekday": [4, 5], "hour": [22, 23], "incidents": [30, 6]}
    )
    wh = risk.weekday_hour(counts)
    assert len(wh) == 7 * 24 and wh["relative_risk"].mean() == pytest.approx(1.0)
    top = wh.sort_values("relative_risk").iloc[-1]
    assert (top["day"], top["hour"]) == ("Fri", 22)

    hist_low = pd.DataFrame({"unique_id": "a", "ds": ds - pd.DateOffset(years=1), "y": 50.0})
    hist_same = hist_low.assign(y=fc["yhat"].to_numpy())
    p_low = risk.prob_exceed(fc, hist_low, "MS")
    p_same = risk.prob_exceed(fc, hist_same, "MS")
    assert p_low["prob_exceed"].iloc[0] > 0.99
    assert 0.4 < p_same["prob_exceed"].iloc[0] < 0.6
    pd.testing.assert_frame_equal(p_same, risk.prob_exceed(fc, hist_same, "MS"))  # seeded


def good_csv():
    return pd.DataFrame(
        {
            "unique_id": ["a"] * 14,
            "ds": pd.date_range("2020-01-01", periods=14, freq="MS").strftime("%Y-%m-%d"),
            "y": range(14),
        }
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.drop(columns="y"), "missing column"),
        (lambda d: d.assign(ds=d["ds"].where(d.index != 3, "someday")), "unparseable date.*line"),
        (lambda d: d.assign(y=d["y"].astype(object).where(d.index != 2, "lots")), "not a number"),
        (lambda d: d.assign(y=d["y"].where(d.index != 2, -4)), "negative y on line"),
        (lambda d: pd.concat([d, d.iloc[[5]]]), "duplicate .unique_id, ds."),
        (lambda d: d.drop(index=6), "series 'a' has 1 missing month"),
        (lambda d: d.iloc[:4], "series 'a' has only 4 period"),
        (lambda d: d.assign(ds=d["ds"].str[:8] + "15"), "first of a month"),
    ],
)
def test_bad_series_csvs_get_clear_errors(tmp_path, change, message):
    path = tmp_path / "series.csv"
    change(good_csv()).to_csv(path, index=False)
    with pytest.raises(InputFileError, match=message) as exc:
        validate.load(path, "MS", horizon=6, min_length=8)
    assert str(path) in exc.value.message and exc.value.hint


def test_a_good_csv_is_returned_typed_and_sorted(tmp_path):
    path = tmp_path / "ok.csv"
    good_csv().iloc[::-1].to_csv(path, index=False)
    df = validate.load(path, "MS", horizon=3)
    assert df["ds"].is_monotonic_increasing and df["y"].dtype == float and len(df) == 14
    with pytest.raises(InputFileError, match="no such file"):
        validate.load(tmp_path / "nope.csv", "MS", 3)
