"""Calibrated intervals: widths from the series' own rolling-origin errors, step by step.

A model's own interval assumes its model is right; on monthly crime counts (level shifts, COVID,
recording changes) nominal 80% intervals held about half the actuals. The calibrated interval
(the default; `--intervals model` keeps the model's own) is split-conformal per horizon step:

1. Calibration origins (`origins`): the training lengths N - s, N - 2s, ... before a forecast
   origin N, with the stride s one season (12 months, 13 weeks, 7 days, 1 year) and
   ceil(h / s) + EXTRA of them, none shorter than the model's minimum history. The model is
   refitted at each (the engine memoises fits, so the backtest cutoffs and the forecast share
   them: the grid is the same for every cutoff).
2. Errors (`errors`): from each origin c, the forecast error at step j is kept only when its
   period c + j is on or before N: nothing at or after the forecast origin is used (a test
   poisons the future to check). Errors are relative to the point forecast,
   (y - yhat) / max(yhat, 1), so errors from years when the series ran higher or lower carry
   over.
3. Quantiles (`bands`): for step j, the relative errors of steps j - BAND .. j + BAND are pooled
   and the conformal quantile of their absolute values taken (rank ceil((n + 1) * level) of n,
   the largest when n is small). Widths never shrink with the step; a step with fewer than
   MIN_ERRORS errors (a short history) takes the last estimated width grown like a random walk's,
   sqrt(j / j_last). With no usable step at all the model's own interval is kept.
4. Counts: the interval is yhat * (1 -/+ q), never below 0, and never narrower than the Poisson
   interval around yhat (what pure chance gives a small count).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy.stats import norm, poisson

from crimecast.forecast.models import LEVELS, finish

STRIDE = {"MS": 12, "W": 13, "D": 7, "YS": 1}
EXTRA = 4
BAND = 2
MIN_ERRORS = 5
YEARLY_FLOOR = 5
POISSON_EXACT = 400
METHODS = ("calibrated", "model")


def origins(n_train: int, h: int, freq: str, floor: int) -> list[int]:
    """Training lengths of the calibration origins before a forecast origin n_train, newest
    first (each leaves at least `floor` periods to train on; yearly series, which rarely have
    more than a dozen points, at least YEARLY_FLOOR)."""
    s = STRIDE.get(freq, 1)
    floor = min(floor, YEARLY_FLOOR) if freq == "YS" else floor
    k = math.ceil(h / s) + EXTRA
    return [n_train - s * i for i in range(1, k + 1) if n_train - s * i >= floor]


def errors(y: np.ndarray, n_train: int, preds: dict[int, np.ndarray], h: int) -> np.ndarray:
    """Relative errors (origins x h): row i is the origin preds' i-th key, column j the step
    j + 1; NaN where the period is after n_train - 1 (not yet observed at the forecast origin)
    or past the forecast returned."""
    y = np.asarray(y, float)
    out = np.full((len(preds), h), np.nan)
    for i, (c, yhat) in enumerate(preds.items()):
        k = min(h, len(yhat), n_train - c)
        if k < 1:
            continue
        f = np.asarray(yhat[:k], float)
        out[i, :k] = (y[c : c + k] - f) / np.maximum(f, 1.0)
    return out


def conformal_quantile(x: np.ndarray, level: float) -> float:
    """The split-conformal quantile of |x| at `level` (0-1): rank ceil((n + 1) level) of n."""
    a = np.sort(np.abs(x[np.isfinite(x)]))
    if a.size == 0:
        return np.nan
    rank = min(a.size, math.ceil((a.size + 1) * level))
    return float(a[rank - 1])


def widths(rel: np.ndarray, level: float) -> np.ndarray | None:
    """Relative half-width per step (length h) from the errors, or None when there are too few.
    Vectorised `conformal_quantile` over the pooled errors of every step at once."""
    k, h = rel.shape
    if k == 0 or h == 0:  # no calibration origin (a short history)
        return None
    a = np.abs(rel)
    # pools[j] = the errors of steps j - BAND .. j + BAND (NaN outside the horizon)
    padded = np.full((k, h + 2 * BAND), np.nan)
    padded[:, BAND : BAND + h] = a
    pools = np.stack([padded[:, j : j + 2 * BAND + 1].ravel() for j in range(h)])
    pools.sort(axis=1)  # NaN last
    n = np.isfinite(pools).sum(axis=1)
    rank = np.minimum(n, np.ceil((n + 1) * level).astype(int))
    q = np.where(
        n >= MIN_ERRORS,
        np.take_along_axis(pools, np.maximum(rank - 1, 0)[:, None], 1)[:, 0],
        np.nan,
    )
    known = np.flatnonzero(np.isfinite(q))
    if known.size == 0:
        return None
    q[: known[0]] = q[known[0]]
    for j in range(known[0] + 1, h):  # widths never shrink; unknown steps grow like sqrt(j)
        if np.isfinite(q[j]):
            q[j] = max(q[j], q[j - 1])
        else:
            last = max(k for k in known if k < j)
            q[j] = max(q[last] * math.sqrt((j + 1) / (last + 1)), q[j - 1])
    return q


def bands(native: pd.DataFrame, rel: np.ndarray, levels: Sequence[int] = LEVELS) -> pd.DataFrame:
    """The model's point forecast with calibrated intervals (same columns as `native`); a level
    with too few errors keeps the model's own interval."""
    yhat = native["yhat"].to_numpy(float)
    out = {"yhat": yhat}
    for lv in sorted(levels):
        q = widths(rel[:, : len(yhat)], lv / 100)
        if q is None:
            lo, hi = native[f"lo_{lv}"].to_numpy(float), native[f"hi_{lv}"].to_numpy(float)
        else:
            p_lo, p_hi = poisson_bounds(yhat, lv)
            lo, hi = np.minimum(yhat * (1 - q), p_lo), np.maximum(yhat * (1 + q), p_hi)
        if out.get("_lo") is not None:  # wider levels contain narrower ones
            lo, hi = np.minimum(lo, out["_lo"]), np.maximum(hi, out["_hi"])
        out[f"lo_{lv}"], out[f"hi_{lv}"] = lo, hi
        out["_lo"], out["_hi"] = lo, hi
    vals = np.column_stack([np.clip(out[c], 0.0, None) for c in native.columns])
    frame = pd.DataFrame(vals, columns=native.columns)
    return finish(frame)


def poisson_bounds(mean: np.ndarray, level: int) -> tuple[np.ndarray, np.ndarray]:
    """The central Poisson interval at `level` (percent) around each mean; above POISSON_EXACT
    its normal approximation (the two agree within a count there)."""
    a = 1 - level / 100
    mean = np.maximum(np.asarray(mean, float), 0.0)
    if (mean < POISSON_EXACT).any():
        return poisson.ppf(a / 2, mean), poisson.ppf(1 - a / 2, mean)
    half = norm.ppf(1 - a / 2) * np.sqrt(mean)
    return mean - half, mean + half
