"""Trend and season: STL decomposition, seasonal profile, Mann-Kendall trend tests, and
year-over-year change with an exact test for counts.

Pure functions over the monthly frames of `eda.tables` (columns month, incidents, complete, and a
group column where there are groups). Months the store flags as incomplete (reporting lag, NIBRS
break) are left out of every estimate here: a half-reported month is not a fall in crime.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd
from scipy import stats

ALPHA = 0.05
MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def complete_months(monthly: pd.DataFrame, min_months: int = 13) -> pd.DataFrame:
    """Rows of one unbroken run of complete months (a gap in the middle would break STL and
    year-over-year windows): the latest run of at least `min_months` months (after a recording
    switch, the current regime), else the run before the first flagged month."""
    if monthly.empty:
        return monthly
    m = monthly.copy()
    m["month"] = pd.to_datetime(m["month"])
    if "complete" not in m.columns:
        return m
    ok = m["complete"].astype(bool)
    good = m[ok]
    if ok.all():
        return good
    months = pd.Series(sorted(good["month"].unique()))
    starts = months.diff().dt.days.fillna(99) > 31  # a month missing before this one
    runs = months.groupby(starts.cumsum())
    long_runs = [g for _, g in runs if len(g) >= min_months]
    if long_runs:
        latest = long_runs[-1]
        return good[good["month"].between(latest.iloc[0], latest.iloc[-1])]
    bad = m.loc[~ok, "month"]
    # else the leading run of complete months (flags at the end: reporting lag, NIBRS break)
    return good[good["month"] < bad.min()] if (good["month"] < bad.min()).any() else good


# --- Mann-Kendall ---------------------------------------------------------------------------------
@lru_cache(maxsize=512)
def _pairs(n: int) -> tuple[np.ndarray, np.ndarray]:
    return np.triu_indices(n, 1)


def _mk_s_var(y: np.ndarray) -> tuple[float, float]:
    """Mann-Kendall S and its variance with the correction for tied values."""
    n = len(y)
    if n < 2:
        return 0.0, 0.0
    i, j = _pairs(n)
    s = float(np.sign(y[j] - y[i]).sum())
    _, counts = np.unique(y, return_counts=True)
    ties = counts[counts > 1]
    var = (n * (n - 1) * (2 * n + 5) - np.sum(ties * (ties - 1) * (2 * ties + 5))) / 18.0
    return s, float(var)


def _sen_slopes(y: np.ndarray, x: np.ndarray) -> np.ndarray:
    i, j = _pairs(len(y))
    dx = x[j] - x[i]
    ok = dx != 0
    return (y[j] - y[i])[ok] / dx[ok]


def _z(s: float, var: float) -> float:
    if var <= 0:
        return 0.0
    return (s - np.sign(s)) / np.sqrt(var)  # continuity correction


def mann_kendall(values, seasons=None) -> dict:
    """Mann-Kendall trend test; with `seasons` (e.g. calendar month of each value) the seasonal
    variant of Hirsch et al. (1982), which compares each month only with the same month in other
    years, so a summer peak is not read as a trend.

    Returns s, var_s, z, p_value (two-sided), tau, and Sen's slope (per step of the series, or per
    season cycle -- i.e. per year for monthly data -- in the seasonal variant)."""
    y = np.asarray(values, dtype=float)
    if seasons is None:
        groups = [(y, np.arange(len(y), dtype=float))]
    else:
        seasons = np.asarray(seasons)
        groups = []
        for season in pd.unique(seasons):
            idx = np.flatnonzero(seasons == season)
            groups.append((y[idx], np.arange(len(idx), dtype=float)))
    s = var = 0.0
    pairs = 0
    slopes = []
    for g, x in groups:
        gs, gv = _mk_s_var(g)
        s += gs
        var += gv
        pairs += len(g) * (len(g) - 1) / 2
        if len(g) > 1:
            slopes.append(_sen_slopes(g, x))
    z = _z(s, var)
    p = float(2 * stats.norm.sf(abs(z))) if var > 0 else 1.0
    allslopes = np.concatenate(slopes) if slopes else np.array([])
    return {
        "n": int(len(y)),
        "s": s,
        "var_s": var,
        "z": float(z),
        "p_value": p,
        "tau": s / pairs if pairs else 0.0,
        "sen_slope": float(np.median(allslopes)) if len(allslopes) else 0.0,
    }


def bh_qvalues(p: pd.Series | np.ndarray) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values (false discovery rate), NaN kept as NaN."""
    p = np.asarray(p, dtype=float)
    out = np.full(p.shape, np.nan)
    ok = ~np.isnan(p)
    if not ok.any():
        return out
    pv = p[ok]
    order = np.argsort(pv)
    ranked = pv[order] * len(pv) / np.arange(1, len(pv) + 1)
    q = np.minimum.accumulate(ranked[::-1])[::-1].clip(max=1.0)
    res = np.empty_like(pv)
    res[order] = q
    out[ok] = res
    return out


def trend_tests(
    monthly_groups: pd.DataFrame, by: list[str], min_years: int = 3, alpha: float = ALPHA
) -> pd.DataFrame:
    """A seasonal Mann-Kendall test per group (e.g. by=[area_name, crime_category]) over the
    complete months, ranked from the strongest rise to the strongest fall.

    `direction` is rising / falling only when the Benjamini-Hochberg q-value (over all groups
    tested) is below `alpha` and Sen's slope points the same way (not 0), else flat; groups with fewer than `min_years` years of complete
    months, or fewer than 2 incidents a month on average, are 'too little data'. `change_per_year`
    is Sen's slope in incidents per month per year, and `pct_change_per_year` relative to the
    group's mean month."""
    cols = [*by, "months", "mean_per_month", "change_per_year", "pct_change_per_year", "tau",
            "z", "p_value", "q_value", "direction", "rank"]  # fmt: skip
    data = complete_months(monthly_groups, min_months=24)
    rows = []
    for key, g in data.groupby(by, sort=True):
        g = g.sort_values("month")
        key = key if isinstance(key, tuple) else (key,)
        mean = g["incidents"].mean()
        row = dict(zip(by, key, strict=True), months=len(g), mean_per_month=mean)
        if len(g) < 12 * min_years or mean < 2:
            rows.append({**row, "direction": "too little data"})
            continue
        mk = mann_kendall(g["incidents"].to_numpy(), g["month"].dt.month.to_numpy())
        rows.append(
            {
                **row,
                "change_per_year": mk["sen_slope"],
                "pct_change_per_year": 100 * mk["sen_slope"] / mean if mean else np.nan,
                "tau": mk["tau"],
                "z": mk["z"],
                "p_value": mk["p_value"],
            }
        )
    out = pd.DataFrame(rows, columns=[c for c in cols if c not in ("q_value", "rank")])
    out["direction"] = out["direction"].astype(object)
    if out.empty:
        return pd.DataFrame(columns=cols)
    out["q_value"] = bh_qvalues(out["p_value"])
    tested = out["p_value"].notna()
    # a significant test with a Sen slope of 0 (mostly-zero or tied counts) is not a trend: the
    # typical change per year is nothing, so it is flat, never "rising +0% a year"
    slope = out["change_per_year"].fillna(0)
    up = tested & (out["q_value"] < alpha) & (out["z"] > 0) & (slope > 0)
    down = tested & (out["q_value"] < alpha) & (out["z"] < 0) & (slope < 0)
    out.loc[tested, "direction"] = np.where(
        up[tested], "rising", np.where(down[tested], "falling", "flat")
    )
    out = out.sort_values(["z"], ascending=False, na_position="last").reset_index(drop=True)
    out["rank"] = range(1, len(out) + 1)
    return out[cols]


# --- year over year ---------------------------------------------------------------------------------
def count_change_test(before: int, after: int, exposure_ratio: float = 1.0) -> dict:
    """Exact test that two Poisson counts share one rate: conditional on the total, `after` is
    binomial with p = r / (1 + r) where r is the exposure ratio (after/before). Gives the rate
    ratio with a Clopper-Pearson 95% interval. 3 -> 6 gives p = 0.51 (no evidence of change)."""
    n = int(before) + int(after)
    if n == 0:
        return {"rate_ratio": np.nan, "ratio_lo": np.nan, "ratio_hi": np.nan, "p_value": 1.0}
    p0 = exposure_ratio / (1 + exposure_ratio)
    test = stats.binomtest(int(after), n, p0)
    ci = test.proportion_ci(confidence_level=0.95, method="exact")

    def ratio(p: float) -> float:
        return np.inf if p >= 1 else p / (1 - p) / exposure_ratio

    return {
        "rate_ratio": ratio(after / n) if before else np.inf,
        "ratio_lo": ratio(ci.low),
        "ratio_hi": ratio(ci.high),
        "p_value": float(test.pvalue),
    }


def yoy_window(monthly: pd.DataFrame) -> tuple[pd.Timestamp, pd.Timestamp] | None:
    """(first, last) month of the latest year-to-date window: January to the last complete month.
    None when there is no complete month with a previous year to compare."""
    m = complete_months(monthly)
    if m.empty:
        return None
    last = m["month"].max()
    # January, or later when the run of comparable months starts less than a year before it
    first = max(
        pd.Timestamp(year=last.year, month=1, day=1), m["month"].min() + pd.DateOffset(years=1)
    )
    if first > last:
        return None
    return first, last


def yoy(monthly_groups: pd.DataFrame, by: str | None = None, alpha: float = ALPHA) -> pd.DataFrame:
    """Year-over-year change per group (or citywide when `by` is None): January to the last
    complete month of the latest year against the same months a year before, with the exact
    conditional test of `count_change_test`. `significant` uses Benjamini-Hochberg q < alpha over
    the groups, so with many groups a few small jumps are not called crime waves."""
    cols = ["group", "period", "previous", "current", "change", "pct_change", "rate_ratio",
            "ratio_lo", "ratio_hi", "p_value", "q_value", "significant", "verdict"]  # fmt: skip
    win = yoy_window(monthly_groups)
    if win is None:
        return pd.DataFrame(columns=cols)
    first, last = win
    m = monthly_groups.reset_index(drop=True)
    m["month"] = pd.to_datetime(m["month"])
    key = m[by] if by else pd.Series("all", index=m.index)
    cur = m[(m["month"] >= first) & (m["month"] <= last)].groupby(key)["incidents"].sum()
    prev_mask = (m["month"] >= first - pd.DateOffset(years=1)) & (
        m["month"] <= last - pd.DateOffset(years=1)
    )
    prev = m[prev_mask].groupby(key)["incidents"].sum()
    groups = sorted(set(cur.index) | set(prev.index))
    period = (
        f"{first:%b}-{last:%b %Y} vs {first.year - 1}"
        if first.month != last.month
        else f"{last:%b %Y} vs {last.year - 1}"
    )
    rows = []
    for g in groups:
        a, b = int(prev.get(g, 0)), int(cur.get(g, 0))
        t = count_change_test(a, b)
        rows.append(
            {
                "group": g,
                "period": period,
                "previous": a,
                "current": b,
                "change": b - a,
                "pct_change": 100 * (b - a) / a if a else np.nan,
                **t,
            }
        )
    out = pd.DataFrame(rows)
    out["q_value"] = bh_qvalues(out["p_value"])
    out["significant"] = out["q_value"] < alpha
    out["verdict"] = np.where(
        out["significant"],
        np.where(out["change"] > 0, "up (significant)", "down (significant)"),
        "no clear change",
    )
    return out[cols].sort_values("change", ascending=False).reset_index(drop=True)


# --- STL and seasonal profile -----------------------------------------------------------------------------
def stl(monthly: pd.DataFrame, period: int = 12) -> pd.DataFrame:
    """Robust STL decomposition (statsmodels) of a monthly series over its complete months:
    observed = trend + seasonal + residual. Empty when fewer than two full years are complete."""
    from statsmodels.tsa.seasonal import STL

    cols = ["month", "observed", "trend", "seasonal", "resid"]
    m = complete_months(monthly, min_months=24).sort_values("month")
    if len(m) < 2 * period:
        return pd.DataFrame(columns=cols)
    y = pd.Series(m["incidents"].to_numpy(dtype=float), index=pd.DatetimeIndex(m["month"]))
    y = y.asfreq("MS").fillna(0.0)
    res = STL(y, period=period, robust=True).fit()
    return pd.DataFrame(
        {
            "month": y.index,
            "observed": y.to_numpy(),
            "trend": res.trend.to_numpy(),
            "seasonal": res.seasonal.to_numpy(),
            "resid": res.resid.to_numpy(),
        }
    )


def stl_by(monthly_groups: pd.DataFrame, by: str, period: int = 12) -> pd.DataFrame:
    """STL per group (e.g. per area) of a long monthly frame; groups too short are left out."""
    parts = [stl(g, period).assign(**{by: k}) for k, g in monthly_groups.groupby(by, sort=True)]
    parts = [p for p in parts if len(p)]
    if not parts:
        return pd.DataFrame(columns=[by, "month", "observed", "trend", "seasonal", "resid"])
    out = pd.concat(parts, ignore_index=True)
    return out[[by, "month", "observed", "trend", "seasonal", "resid"]]


def seasonal_profile(monthly: pd.DataFrame) -> pd.DataFrame:
    """Which calendar months run high or low, by how much, with a 95% interval across years.

    Each complete month's incidents per day is divided by the centred 12-month moving average
    (ratio to trend, so a rising year does not make December look high); the index is the mean of
    those ratios per calendar month, in percent above (+) or below (-) the trend, with a
    t-interval over the years available. Needs at least two years of complete months."""
    cols = ["month_of_year", "month_name", "pct_vs_trend", "lo_pct", "hi_pct", "years"]
    m = complete_months(monthly, min_months=24).sort_values("month")
    if len(m) < 24:
        return pd.DataFrame(columns=cols)
    y = pd.Series(m["incidents"].to_numpy(dtype=float), index=pd.DatetimeIndex(m["month"]))
    y = y.asfreq("MS").fillna(0.0)
    per_day = y / y.index.days_in_month
    ma = per_day.rolling(12, center=True).mean().rolling(2).mean().shift(-1)  # 2x12 centred MA
    ratio = (per_day / ma).dropna()
    ratio = ratio[np.isfinite(ratio)]
    rows = []
    for mo in range(1, 13):
        r = ratio[ratio.index.month == mo].to_numpy()
        mean = r.mean() if len(r) else np.nan
        if len(r) >= 2:
            half = stats.t.ppf(0.975, len(r) - 1) * r.std(ddof=1) / np.sqrt(len(r))
        else:
            half = np.nan
        rows.append(
            {
                "month_of_year": mo,
                "month_name": MONTH_NAMES[mo - 1],
                "pct_vs_trend": 100 * (mean - 1),
                "lo_pct": 100 * (mean - half - 1),
                "hi_pct": 100 * (mean + half - 1),
                "years": len(r),
            }
        )
    return pd.DataFrame(rows, columns=cols)


def all_trends(tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """The trend and season tables, from the monthly tables of `eda.tables.all_tables`."""
    monthly = tables["monthly"]
    return {
        "stl_citywide": stl(monthly),
        "stl_by_area": stl_by(tables["monthly_by_area"], "area_name"),
        "seasonal_profile": seasonal_profile(monthly),
        "trend_tests": trend_tests(
            tables["monthly_by_area_category"], ["area_name", "crime_category"]
        ),
        "trend_tests_by_category": trend_tests(tables["monthly_by_category"], ["crime_category"]),
        "yoy_citywide": yoy(monthly),
        "yoy_by_area": yoy(tables["monthly_by_area"], "area_name"),
        "yoy_by_category": yoy(tables["monthly_by_category"], "crime_category"),
    }
