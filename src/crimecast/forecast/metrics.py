"""Forecast accuracy: a registry of metrics, a summary per series x model, and warnings in words.

Metrics (over every backtest point of a series and model, across windows):

    mae          mean absolute error
    rmse         root mean squared error
    mase         mean of |error| / scale, where scale is the in-sample MAE of the seasonal naive
                 forecast on the training data of that window (lag = season length; lag 1 when
                 the history is shorter than a season). Below 1: better than the in-sample
                 seasonal naive; above 1: worse.
    wape         sum |error| / sum |actual|
    mape         mean |error| / actual over the periods with an actual above 0
    coverage_80, coverage_95   share of actuals inside the 80% / 95% interval
    width_80, width_95         mean width of the interval

`skill` compares the model with the better of the two simple baselines (naive and seasonal
naive, re-computed here on the same windows): 1 - MAE / baseline MAE. A model *beats the
baselines* only when skill >= SKILL_MARGIN (5%) AND it is ahead consistently: a one-sided paired
t-test of the per-window MAE differences gives p < ALPHA (5%), which needs 2+ windows. A lucky
run (a damped trend that happens to follow a random walk's drift for a while) is not a claim; on
a random walk, where nothing is predictable beyond the last value, no model is reported to beat
the baselines.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from crimecast.forecast.models import SEASON_LENGTH, Naive, SeasonalNaive

SKILL_MARGIN = 0.05
ALPHA = 0.05


def window_test(diff: np.ndarray) -> float:
    """One-sided p-value that the model's per-window MAE is below the baseline's (paired t-test
    over windows: forecast errors within a window are correlated, windows roughly independent)."""
    from scipy.stats import t

    d = np.asarray(diff, float)
    d = d[np.isfinite(d)]
    if d.size < 2:
        return 1.0
    sd = d.std(ddof=1)
    if sd == 0:
        return 0.0 if d.mean() > 0 else 1.0
    return float(t.sf(d.mean() / (sd / np.sqrt(d.size)), d.size - 1))


def mase_scale(y: np.ndarray, m: int) -> float:
    """In-sample MAE of the seasonal naive forecast (lag m, or 1 if the history is shorter)."""
    y = np.asarray(y, float)
    lag = m if y.size > m else 1
    if y.size <= lag:
        return 0.0
    return float(np.mean(np.abs(y[lag:] - y[:-lag])))


def _mae(g):
    return float(np.mean(np.abs(g["y"] - g["yhat"])))


def _rmse(g):
    return float(np.sqrt(np.mean((g["y"] - g["yhat"]) ** 2)))


def _mase(g):
    return float(np.mean(np.abs(g["y"] - g["yhat"]) / g["scale"]))


def _wape(g):
    denom = float(np.sum(np.abs(g["y"])))
    return float(np.sum(np.abs(g["y"] - g["yhat"])) / denom) if denom else np.nan


def _mape(g):
    pos = g["y"] > 0
    return (
        float(np.mean(np.abs(g["y"][pos] - g["yhat"][pos]) / g["y"][pos])) if pos.any() else np.nan
    )


def _coverage(level: int) -> Callable:
    return lambda g: float(np.mean((g["y"] >= g[f"lo_{level}"]) & (g["y"] <= g[f"hi_{level}"])))


def _width(level: int) -> Callable:
    return lambda g: float(np.mean(g[f"hi_{level}"] - g[f"lo_{level}"]))


METRICS: dict[str, Callable[[pd.DataFrame], float]] = {
    "mae": _mae,
    "rmse": _rmse,
    "mase": _mase,
    "wape": _wape,
    "mape": _mape,
    "coverage_80": _coverage(80),
    "coverage_95": _coverage(95),
    "width_80": _width(80),
    "width_95": _width(95),
}


def window_context(cv: pd.DataFrame, panel: pd.DataFrame, freq: str) -> pd.DataFrame:
    """Per (unique_id, cutoff): training length, MASE scale, and the baselines' forecasts."""
    m = SEASON_LENGTH.get(freq, 1)
    rows, base = [], []
    series = {u: g.sort_values("ds") for u, g in panel.groupby("unique_id")}
    for (uid, cutoff), g in cv.groupby(["unique_id", "cutoff"]):
        hist = series[uid]
        train = hist[hist["ds"] <= cutoff]
        y = train["y"].to_numpy(float)
        rows.append((uid, cutoff, len(y), mase_scale(y, m)))
        ds = pd.DatetimeIndex(train["ds"])
        h = int(g["ds"].nunique())
        for alias, cls in (("naive", Naive), ("seasonal_naive", SeasonalNaive)):
            pred = cls(freq).fit(y, ds).predict(h, ())["yhat"].to_numpy()
            base.append(
                pd.DataFrame(
                    {
                        "unique_id": uid,
                        "cutoff": cutoff,
                        "ds": sorted(g["ds"].unique()),
                        "baseline": alias,
                        "yhat_base": pred,
                    }
                )
            )
    ctx = pd.DataFrame(rows, columns=["unique_id", "cutoff", "history", "scale"])
    return ctx, pd.concat(base, ignore_index=True) if base else pd.DataFrame()


def warnings_for(row: pd.Series, freq: str) -> list[str]:
    """Reasons in words not to trust a model's forecasts of a series."""
    out = []
    m = SEASON_LENGTH.get(freq, 1)
    if row["mase"] > 1:
        out.append(
            f"MASE {row['mase']:.2f} > 1: its errors are larger than the seasonal naive "
            "forecast's in-sample errors"
        )
    if row["model"] not in ("naive", "seasonal_naive") and not row["beats_baselines"]:
        if row["skill"] >= SKILL_MARGIN:
            out.append(
                f"ahead of the simple baselines by {row['skill']:.0%} but not consistently across "
                f"windows (p = {row['p_value']:.2f}): unproven"
            )
        else:
            out.append(
                f"no better than the simple baselines (skill {row['skill']:+.0%}); prefer them"
            )
    for lv in (80, 95):
        cov = row[f"coverage_{lv}"]
        if row["n"] >= 10 and cov < lv / 100 - 0.15:
            out.append(f"{lv}% intervals held only {cov:.0%} of actuals (too narrow)")
    if row["mean_y"] > 0 and row["width_95"] > row["mean_y"]:
        out.append(
            f"95% intervals ({row['width_95']:.3g} wide) are wider than the level itself "
            f"(mean {row['mean_y']:.3g}): too uncertain to act on"
        )
    if row["min_history"] < 2 * m:
        out.append(
            f"too little history: {int(row['min_history'])} periods before the first cutoff "
            f"(fewer than 2 seasons of {m})"
        )
    if row["n_windows"] < 2:
        out.append("only one backtest window: accuracy figures are anecdotal")
    return out


def summary(cv: pd.DataFrame, panel: pd.DataFrame, freq: str) -> pd.DataFrame:
    """Metrics per series x model from a backtest frame and the panel it came from."""
    if cv.empty:
        return pd.DataFrame()
    ctx, base = window_context(cv, panel, freq)
    pts = cv.merge(ctx, on=["unique_id", "cutoff"], how="left")
    pts["scale"] = pts["scale"].where(pts["scale"] > 0, np.nan)
    base_err = (
        pts[["unique_id", "cutoff", "ds", "y"]]
        .drop_duplicates()
        .merge(base, on=["unique_id", "cutoff", "ds"])
        .assign(err=lambda d: (d["y"] - d["yhat_base"]).abs())
    )
    # the better simple baseline per series, and its MAE per window
    by_base = base_err.groupby(["unique_id", "baseline"])["err"].mean()
    best = by_base.groupby("unique_id").idxmin().map(lambda ix: ix[1])
    base_mae = by_base.groupby("unique_id").min()
    keep = base_err["baseline"].to_numpy() == best.reindex(base_err["unique_id"]).to_numpy()
    base_w = base_err[keep].groupby(["unique_id", "cutoff"])["err"].mean()
    pts["abs_err"] = (pts["y"] - pts["yhat"]).abs()
    rows = []
    for (uid, model), g in pts.groupby(["unique_id", "model"], sort=True):
        rec = {"unique_id": uid, "model": model}
        rec.update({name: fn(g) for name, fn in METRICS.items()})
        b = float(base_mae.get(uid, np.nan))
        rec["skill"] = 1 - rec["mae"] / b if b > 0 else 0.0
        rec["baseline"] = best.get(uid, "")
        rec["n_windows"] = g["cutoff"].nunique()
        rec["n"] = len(g)
        rec["min_history"] = int(g["history"].min())
        rec["mean_y"] = float(g["y"].mean())
        model_w = g.groupby("cutoff")["abs_err"].mean()
        rec["p_value"] = window_test(
            base_w.loc[uid].reindex(model_w.index).to_numpy() - model_w.to_numpy()
        )
        rec["beats_baselines"] = bool(
            rec["skill"] >= SKILL_MARGIN and rec["n_windows"] >= 2 and rec["p_value"] < ALPHA
        )
        rows.append(rec)
    out = pd.DataFrame(rows)
    out["warnings"] = ["; ".join(warnings_for(r, freq)) for _, r in out.iterrows()]
    return out
