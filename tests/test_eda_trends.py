"""Trend and season: hand-built series with known answers (monotone, seasonal, flat), the exact
count test (3 -> 6 is not a crime wave, 300 -> 600 is), and flagged months kept out."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from crimecast.eda import trends

MONTHS = pd.date_range("2016-01-01", periods=96, freq="MS")


def _series(values, months=MONTHS, complete=None) -> pd.DataFrame:
    out = pd.DataFrame({"month": months[: len(values)], "incidents": np.asarray(values)})
    out["complete"] = True if complete is None else complete
    out["reason"] = np.where(out["complete"], "", "reporting lag")
    return out


# --- Mann-Kendall --------------------------------------------------------------------------------
def test_mann_kendall_on_a_monotone_series():
    mk = trends.mann_kendall(np.arange(30) * 2.0 + 5)
    assert mk["s"] == 30 * 29 / 2 and mk["tau"] == 1.0
    assert mk["p_value"] < 1e-8 and mk["z"] > 0
    assert mk["sen_slope"] == pytest.approx(2.0)
    down = trends.mann_kendall(-np.arange(30.0))
    assert down["tau"] == -1.0 and down["z"] < 0 and down["p_value"] < 1e-8


def test_mann_kendall_matches_kendalls_tau_without_ties():
    rng = np.random.default_rng(3)
    y = rng.normal(size=40)
    mk = trends.mann_kendall(y)
    tau, p = stats.kendalltau(np.arange(40), y)
    assert mk["tau"] == pytest.approx(tau)
    assert mk["p_value"] == pytest.approx(p, abs=0.02)  # normal approximation with continuity


def test_mann_kendall_on_a_flat_series_and_ties():
    assert trends.mann_kendall(np.full(20, 7.0))["p_value"] == 1.0
    mk = trends.mann_kendall([1, 1, 2, 2, 3, 3])
    # S = 12 (3 tied pairs give 0); variance corrected for three pairs of ties
    assert mk["s"] == 12
    assert mk["var_s"] == pytest.approx((6 * 5 * 17 - 3 * (2 * 1 * 9)) / 18)


def test_seasonal_mann_kendall_ignores_a_strong_season():
    rng = np.random.default_rng(1)
    season = 100 + 40 * np.sin(2 * np.pi * np.arange(96) / 12)
    y = rng.poisson(season)
    flat = trends.mann_kendall(y, seasons=MONTHS.month)
    assert flat["p_value"] > 0.05
    rising = trends.mann_kendall(y + np.arange(96) * 0.8, seasons=MONTHS.month)
    assert rising["p_value"] < 1e-4 and rising["sen_slope"] == pytest.approx(9.6, abs=3)


def test_bh_qvalues_against_hand_computation():
    q = trends.bh_qvalues([0.01, 0.04, 0.03, np.nan, 0.5])
    # sorted p: .01 .03 .04 .5 -> p*m/rank = .04 .06 .0533 .5 -> cumulative min from the top
    assert q[0] == pytest.approx(0.04)
    assert q[2] == pytest.approx(0.16 / 3) and q[1] == pytest.approx(0.16 / 3)
    assert np.isnan(q[3]) and q[4] == pytest.approx(0.5)


def test_trend_tests_rank_rising_falling_and_flat_groups():
    rng = np.random.default_rng(5)
    rows = []
    for name, slope in (("up", 1.0), ("down", -1.0), ("steady", 0.0)):
        y = rng.poisson(np.clip(80 + slope * np.arange(96), 1, None))
        rows.append(_series(y).assign(area_name=name, crime_category="robbery"))
    rows.append(_series(rng.poisson(0.5, 96)).assign(area_name="tiny", crime_category="robbery"))
    out = trends.trend_tests(pd.concat(rows), ["area_name", "crime_category"])
    d = out.set_index("area_name")["direction"]
    assert (d["up"], d["down"], d["steady"], d["tiny"]) == ("rising", "falling", "flat",
                                                            "too little data")  # fmt: skip
    assert out["area_name"].iloc[0] == "up" and list(out["rank"]) == [1, 2, 3, 4]
    up = out.set_index("area_name").loc["up"]
    assert up["change_per_year"] == pytest.approx(12, abs=3)  # +1 a month = +12 a year


def test_flagged_months_are_not_read_as_a_fall():
    # flat for 7 years, then the last 12 months collapse -- but they are flagged (NIBRS/lag)
    rng = np.random.default_rng(0)  # a seed whose 84 flat months test flat (p = 0.9)
    y = rng.poisson(200, 96).astype(float)
    y[-12:] = 20
    complete = np.r_[np.ones(84, bool), np.zeros(12, bool)]
    out = trends.trend_tests(_series(y, complete=complete).assign(g="all"), ["g"])
    assert out["direction"].iloc[0] == "flat"
    assert out["months"].iloc[0] == 84
    naive = trends.trend_tests(_series(y).assign(g="all"), ["g"])
    assert naive["direction"].iloc[0] == "falling"  # what an unflagged chart would claim


# --- year over year ----------------------------------------------------------------------------------
def test_three_to_six_is_not_significant_but_300_to_600_is():
    small = trends.count_change_test(3, 6)
    assert small["p_value"] == pytest.approx(0.508, abs=0.001)
    assert small["rate_ratio"] == pytest.approx(2.0) and small["ratio_lo"] < 1 < small["ratio_hi"]
    big = trends.count_change_test(300, 600)
    assert big["p_value"] < 1e-20 and 1.7 < big["ratio_lo"] < 2 < big["ratio_hi"] < 2.35
    assert trends.count_change_test(0, 0)["p_value"] == 1.0


def test_yoy_compares_the_same_months_of_the_year_before():
    # 2022: 10 a month; 2023: 20 a month Jan-Jun, then Jul-Dec flagged as incomplete
    months = pd.date_range("2022-01-01", periods=24, freq="MS")
    inc = np.r_[np.full(12, 10), np.full(6, 20), np.full(6, 1)]
    complete = np.r_[np.ones(18, bool), np.zeros(6, bool)]
    big = _series(inc, months, complete).assign(area_name="A")
    small = _series(np.r_[np.full(12, 0), [3], np.zeros(11)], months, complete)
    small.loc[0, "incidents"] = 1  # Jan 2022: 1, Jan 2023: 3
    both = pd.concat([big, small.assign(area_name="B")])
    out = trends.yoy(both, "area_name").set_index("group")
    assert out.loc["A", "period"] == "Jan-Jun 2023 vs 2022"
    assert (out.loc["A", "previous"], out.loc["A", "current"]) == (60, 120)
    assert out.loc["A", "verdict"] == "up (significant)"
    assert (out.loc["B", "previous"], out.loc["B", "current"]) == (1, 3)
    assert out.loc["B", "verdict"] == "no clear change" and out.loc["B", "pct_change"] == 200
    city = trends.yoy(both)
    assert city["previous"].item() == 61 and city["current"].item() == 123


def test_yoy_needs_a_year_before():
    assert trends.yoy(_series(np.full(6, 5))).empty


# --- STL and seasonal profile ----------------------------------------------------------------------
def test_stl_recovers_a_known_season_and_trend():
    t = np.arange(96)
    season = 30 * np.sin(2 * np.pi * t / 12)
    y = 500 + 2 * t + season
    out = trends.stl(_series(y))
    assert len(out) == 96
    assert np.allclose(out["observed"], out["trend"] + out["seasonal"] + out["resid"])
    assert np.abs(out["seasonal"] - season).max() < 3
    assert np.abs(out["trend"] - (500 + 2 * t)).max() < 3


def test_stl_leaves_out_flagged_months_and_short_series():
    y = 100 + 10 * np.sin(2 * np.pi * np.arange(96) / 12)
    complete = np.r_[np.ones(90, bool), np.zeros(6, bool)]
    assert len(trends.stl(_series(y, complete=complete))) == 90
    assert trends.stl(_series(y[:20])).empty


def test_seasonal_profile_finds_the_peak_month_with_an_interval():
    rng = np.random.default_rng(2)
    days = MONTHS.days_in_month.to_numpy()
    rate = 100 * (1 + 0.2 * (MONTHS.month == 7))  # July runs 20% high, per day
    y = rng.poisson(rate * days)
    out = trends.seasonal_profile(_series(y)).set_index("month_name")
    assert out["pct_vs_trend"].idxmax() == "Jul"
    jul = out.loc["Jul"]
    assert jul["lo_pct"] < jul["pct_vs_trend"] < jul["hi_pct"]
    assert 12 < jul["pct_vs_trend"] < 24 and jul["years"] >= 7
    # February is short, but per day it is not low
    assert abs(out.loc["Feb", "pct_vs_trend"]) < 5


def _switch_months(end: str = "2026-10-01") -> pd.DataFrame:
    """Monthly counts with a transition in the middle (2024-03 to 2025-02 flagged) and a
    reporting-lag tail after `end`."""
    months = pd.date_range("2016-01-01", "2026-12-01", freq="MS")
    flagged = ((months >= "2024-03-01") & (months <= "2025-02-01")) | (months > end)
    return pd.DataFrame({"month": months, "incidents": 100, "complete": ~flagged})


def test_after_a_recording_switch_the_current_regime_is_the_run_used():
    m = _switch_months()
    run = trends.complete_months(m)
    assert run["month"].min() == pd.Timestamp("2025-03-01")
    assert run["month"].max() == pd.Timestamp("2026-10-01")
    # analyses that need two years fall back to the long run before the switch
    long = trends.complete_months(m, min_months=24)
    assert long["month"].min() == pd.Timestamp("2016-01-01")
    assert long["month"].max() == pd.Timestamp("2024-02-01")


def test_the_yoy_window_stays_inside_the_current_regime():
    # 20 months of the new regime: March-October 2026 against March-October 2025
    assert trends.yoy_window(_switch_months()) == (
        pd.Timestamp("2026-03-01"),
        pd.Timestamp("2026-10-01"),
    )
    # a regime under 13 months: the window falls back to the run before the switch
    short = _switch_months(end="2025-10-01")
    assert trends.yoy_window(short) == (pd.Timestamp("2024-01-01"), pd.Timestamp("2024-02-01"))
