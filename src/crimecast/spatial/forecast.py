"""Hotspot forecasts: which cells will have the most crime next period, by four methods, and a
rolling backtest scored by hit rate, PAI and PEI (see `evaluate`).

Methods (each gives every cell a score; the highest-scoring cells are flagged):

- `naive`: last period's count (ties broken by the long-term mean);
- `long_term`: the mean count over all training periods;
- `kde_decay`: a kernel density of the incidents of the last `lookback` periods, each weighted
  by exp(-age / decay) with decay = one period, integrated over each cell (see `kde`);
- `self_exciting`: a discrete-time self-exciting (Hawkes-like, after Mohler et al. 2011) rate
  per cell: background = the long-term mean, plus excitation from the cell's past counts decaying
  exponentially with time scale tau periods; lambda = (1 - theta) * mean + theta * excitation.
  theta and tau are fitted per backtest fold by maximising the Poisson likelihood of one-step
  predictions over the training periods (a small grid search).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from crimecast.spatial import evaluate, kde

METHODS = ("naive", "long_term", "kde_decay", "self_exciting")
COVERAGES = (0.01, 0.05)
THETAS = np.round(np.arange(0.0, 1.0, 0.1), 2)
TAUS = (0.5, 1.0, 2.0, 4.0)


@dataclass
class Inputs:
    """What every method needs, computed once: counts (cells x periods), the periods, cell
    areas, and for the KDE the incidents (lat, lon, occurred_date, period position) plus a raster
    and its bin-to-cell map."""

    y: np.ndarray
    periods: list
    areas: np.ndarray
    points: pd.DataFrame | None = None
    raster: kde.Raster | None = None
    mapping: np.ndarray | None = None
    bandwidth_m: float = kde.DEFAULT_BANDWIDTH_M
    lookback: int = 4


def _ewma(y: np.ndarray, tau: float) -> np.ndarray:
    """e[:, t] = exponentially decayed average of y[:, :t] (the excitation before period t)."""
    alpha = 1.0 - np.exp(-1.0 / tau)
    e = np.zeros_like(y)
    if y.shape[1] > 1:
        e[:, 1] = y[:, 0]
        for t in range(2, y.shape[1]):
            e[:, t] = alpha * y[:, t - 1] + (1 - alpha) * e[:, t - 1]
    return e


def fit_self_exciting(y: np.ndarray) -> tuple[float, float]:
    """(theta, tau) maximising the Poisson log-likelihood of one-step predictions on y."""
    t = y.shape[1]
    if t < 3:
        return 0.5, 1.0
    cum = np.cumsum(y, axis=1)
    mean_before = np.zeros_like(y)
    mean_before[:, 1:] = cum[:, :-1] / np.arange(1, t)
    # log L = sum(y log lam) - sum(lam): the first sum only needs the (few) non-zero counts, and
    # the second is linear in theta, so each candidate costs O(non-zero cells), not O(cells x T)
    obs = y[:, 1:]
    nz = obs > 0
    yv = obs[nz]
    mb = mean_before[:, 1:]
    mv, m_sum = mb[nz], float(mb.sum())
    eps = 1e-3
    best, best_ll = (0.0, 1.0), -np.inf
    for tau in TAUS:
        e = _ewma(y, tau)[:, 1:]
        ev, e_sum = e[nz], float(e.sum())
        for theta in THETAS:
            lam = (1 - theta) * mv + theta * ev + eps
            total = (1 - theta) * m_sum + theta * e_sum + eps * obs.size
            ll = float((yv * np.log(lam)).sum()) - total
            if ll > best_ll:
                best, best_ll = (float(theta), float(tau)), ll
    return best


def scores(inputs: Inputs, cutoff: int, method: str) -> np.ndarray:
    """Scores for period `cutoff` from the periods before it."""
    train = inputs.y[:, :cutoff]
    if method == "naive":
        return train[:, -1].astype(float)
    if method == "long_term":
        return train.mean(axis=1)
    if method == "self_exciting":
        theta, tau = fit_self_exciting(train)
        # excitation for the next period: extend the EWMA by one step
        e = _ewma(np.column_stack([train, np.zeros(len(train))]), tau)[:, -1]
        return (1 - theta) * train.mean(axis=1) + theta * e
    if method == "kde_decay":
        if inputs.points is None or inputs.raster is None or inputs.mapping is None:
            raise ValueError("kde_decay needs the incidents, a raster and its cell mapping")
        pts = inputs.points
        sel = pts[(pts["period_pos"] < cutoff) & (pts["period_pos"] >= cutoff - inputs.lookback)]
        start = inputs.periods[cutoff].start_time if cutoff < len(inputs.periods) else None
        if start is None:
            start = inputs.periods[-1].end_time + pd.Timedelta(days=1)
        period_days = (inputs.periods[0].end_time - inputs.periods[0].start_time).days + 1
        age = (start - pd.to_datetime(sel["occurred_date"])).dt.days.to_numpy(dtype=float)
        w = np.exp(-age / period_days)
        dens = kde.density(inputs.raster, sel["lat"], sel["lon"], inputs.bandwidth_m, w)
        return kde.cell_mass(inputs.raster, dens, inputs.mapping, len(train))
    raise ValueError(f"unknown forecast method {method!r}; choose from {METHODS}")


def backtest(
    inputs: Inputs,
    methods=METHODS,
    coverages=COVERAGES,
    min_train: int = 4,
    max_folds: int | None = 8,
) -> pd.DataFrame:
    """Rolling-origin backtest: for each of the last periods (after `min_train` training
    periods, at most `max_folds`), forecast it from the periods before and score it. Periods
    with no incidents at all (a gap in the data) are not scored.

    Returns DataFrame[method, coverage, period, hit_rate, pai, pei, cells_flagged, area_share,
    crimes].
    """
    t = inputs.y.shape[1]
    folds = [c for c in range(min_train, t) if inputs.y[:, c].sum() > 0]
    if max_folds:
        folds = folds[-max_folds:]
    rows = []
    for cutoff in folds:
        actual = inputs.y[:, cutoff]
        tiebreak = inputs.y[:, :cutoff].mean(axis=1)
        for method in methods:
            sc = scores(inputs, cutoff, method)
            for cov in coverages:
                flags = evaluate.top_cells(sc, inputs.areas, cov, tiebreak)
                rows.append(
                    {
                        "method": method,
                        "coverage": cov,
                        "period": str(inputs.periods[cutoff]),
                        **evaluate.score_flags(flags, actual, inputs.areas),
                    }
                )
    cols = ["method", "coverage", "period", "hit_rate", "pai", "pei"]
    extra = ["cells_flagged", "area_share", "crimes"]
    return pd.DataFrame(rows, columns=cols + extra)


def summarise(bt: pd.DataFrame) -> pd.DataFrame:
    """Mean hit rate / PAI / PEI per method and coverage over the backtest periods."""
    if bt.empty:
        return pd.DataFrame(columns=["method", "coverage", "hit_rate", "pai", "pei", "periods"])
    return (
        bt.groupby(["method", "coverage"], as_index=False)
        .agg(
            hit_rate=("hit_rate", "mean"),
            pai=("pai", "mean"),
            pei=("pei", "mean"),
            periods=("period", "count"),
        )
        .sort_values(["coverage", "pai"], ascending=[True, False])
        .reset_index(drop=True)
    )


def forecast_next(
    inputs: Inputs, cells: list[str], methods=METHODS, coverages=COVERAGES
) -> pd.DataFrame:
    """Scores for the period after the last one, per cell and method, with flags per coverage:
    DataFrame[h3, method, period, score, rank, flagged_1pct, flagged_5pct, ...]."""
    t = inputs.y.shape[1]
    target = str(inputs.periods[-1] + 1)
    tiebreak = inputs.y.mean(axis=1)
    frames = []
    for method in methods:
        sc = scores(inputs, t, method)
        order = np.lexsort((np.arange(len(sc)), -tiebreak, -sc))
        rank = np.empty(len(sc), dtype=np.int64)
        rank[order] = np.arange(1, len(sc) + 1)
        f = pd.DataFrame(
            {"h3": cells, "method": method, "period": target, "score": sc, "rank": rank}
        )
        for cov in coverages:
            f[f"flagged_{cov * 100:g}pct"] = evaluate.top_cells(sc, inputs.areas, cov, tiebreak)
        frames.append(f)
    return pd.concat(frames, ignore_index=True)
