"""Hotspot forecasts: which cells will have the most crime next period, by eight methods, and a
rolling backtest scored by hit rate, PAI, PEI and RRI (see `evaluate`).

Methods (each gives every cell a score; the highest-scoring cells are flagged):

- `naive`: last period's count (ties broken by the long-term mean);
- `long_term`: the mean count over all training periods;
- `kde_decay`: a kernel density of the incidents of the last `lookback` periods, each weighted
  by exp(-age / decay) with decay = one period, integrated over each cell (see `kde`);
- `self_exciting`: a discrete-time self-exciting (Hawkes-like, after Mohler et al. 2011) rate
  per cell: background = the long-term mean, plus excitation from the cell's past counts decaying
  exponentially with time scale tau periods; lambda = (1 - theta) * mean + theta * excitation.
  theta and tau are fitted per backtest fold by maximising the Poisson likelihood of one-step
  predictions over the training periods (a small grid search). With theta = 0 (no sign of
  excitation in the counts) it is the long-term map exactly; `fits` says when that happened;
- `etas`: a space-time ETAS point process fitted by EM on the incidents (see `etas`);
- `kde_mix`, `lagged_counts`, `ensemble`: a long-term/recent KDE mix, Poisson gradient boosting
  on lagged counts of the cell and its neighbours, and a mix of that model with the
  recency-weighted counts, its weight chosen on training periods (see `lagged`).

Every method sees only the periods before the one it forecasts, and any parameter it chooses is
chosen on those periods.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from crimecast.spatial import etas, evaluate, kde, lagged
from crimecast.spatial.boundaries import M_PER_DEG_LAT, M_PER_DEG_LON

METHODS = (
    "naive",
    "long_term",
    "kde_decay",
    "self_exciting",
    "etas",
    "kde_mix",
    "lagged_counts",
    "ensemble",
)
# The methods that fit in seconds (no EM, no boosting): the demo's set.
QUICK_METHODS = ("naive", "long_term", "kde_decay", "self_exciting")
NEEDS_POINTS = ("kde_decay", "etas", "kde_mix", "lagged_counts", "ensemble")
BACKTEST_PERIODS = 12
ETAS_FIT_PERIODS = 12
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
    neighbours: list | None = None  # per cell, positions of its one-ring neighbours
    cache: dict = field(default_factory=dict)

    def smooth(self, bandwidth_m: float | None = None) -> np.ndarray:
        """Per-period KDE mass per cell (cells x periods + 1; the last column, the period
        after the data, is zero), computed once per bandwidth (default the map's)."""
        bw = self.bandwidth_m if bandwidth_m is None else bandwidth_m
        key = ("smooth", bw)
        if key not in self.cache:
            t = self.y.shape[1]
            m = np.zeros((len(self.y), t + 1))
            pts = self.points
            for p, grp in pts.groupby("period_pos"):
                if 0 <= p < t:
                    dens = kde.density(self.raster, grp["lat"], grp["lon"], bw)
                    m[:, p] = kde.cell_mass(self.raster, dens, self.mapping, len(self.y))
            self.cache[key] = m
        return self.cache[key]

    def features(self) -> np.ndarray:
        if "features" not in self.cache:
            n = len(self.y)
            nbs = self.neighbours if self.neighbours is not None else [np.zeros(0, int)] * n
            ext = np.column_stack([self.y, np.zeros(n)])
            adj = lagged.adjacency(nbs, n)
            # two rings: the neighbours' neighbours, less the cell itself
            adj2 = ((adj + adj @ adj) > 0).astype(float)
            adj2.setdiag(0)
            adj2.eliminate_zeros()
            fine = self.smooth(self.bandwidth_m / 2)
            season = 4 if self.periods and self.periods[0].freqstr.startswith("Q") else 12
            self.cache["features"] = lagged.features(
                ext, self.smooth(), adj, fine, adj2, season=season
            )
        return self.cache["features"]

    def lagged_fit(self, cutoff: int) -> tuple[np.ndarray, dict]:
        """The lagged-counts forecast of period `cutoff`, fitted once (the ensemble reuses it)."""
        key = ("lagged", cutoff)
        if key not in self.cache:
            self.cache[key] = lagged.lagged_counts(self.y, self.features(), cutoff)
        return self.cache[key]

    def recent_counts(self, tau: float) -> np.ndarray:
        """Exponentially weighted mean counts before each period (cells x periods + 1)."""
        key = ("ewma", tau)
        if key not in self.cache:
            ext = np.column_stack([self.y, np.zeros(len(self.y))])
            self.cache[key] = lagged.ewma_before(ext, tau)
        return self.cache[key]

    def event_frame(self) -> pd.DataFrame:
        """The incidents in metres and days (a fixed pseudo-random time of day, as the data
        give dates only), sorted by time, with their raster bin."""
        if "events" not in self.cache:
            pts = self.points
            r = self.raster
            origin = self.periods[0].start_time
            days = (pd.to_datetime(pts["occurred_date"]) - origin).dt.total_seconds() / 86400
            jitter = np.random.default_rng(0).uniform(0, 1, len(pts))
            iy = np.floor((pts["lat"].to_numpy() - r.lat0) * M_PER_DEG_LAT / r.step_m)
            ix = np.floor((pts["lon"].to_numpy() - r.lon0) * M_PER_DEG_LON / r.step_m)
            ev = pd.DataFrame(
                {
                    "x": (pts["lon"].to_numpy() - r.lon0) * M_PER_DEG_LON,
                    "y": (pts["lat"].to_numpy() - r.lat0) * M_PER_DEG_LAT,
                    "t": days.to_numpy() + jitter,
                    "lat": pts["lat"].to_numpy(),
                    "lon": pts["lon"].to_numpy(),
                    "period_pos": pts["period_pos"].to_numpy(),
                    "bin": np.clip(iy, 0, r.ny - 1).astype(np.int64) * r.nx
                    + np.clip(ix, 0, r.nx - 1).astype(np.int64),
                }
            )
            self.cache["events"] = ev.sort_values("t", kind="stable").reset_index(drop=True)
        return self.cache["events"]

    def period_days(self, pos: int) -> tuple[float, float]:
        """Start and end of period `pos` in days from the first period's start."""
        origin = self.periods[0].start_time
        p = self.periods[0] + pos
        t0 = (p.start_time - origin).total_seconds() / 86400
        t1 = ((p + 1).start_time - origin).total_seconds() / 86400
        return t0, t1


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


def _etas_scores(inputs: Inputs, cutoff: int) -> tuple[np.ndarray, dict]:
    ev = inputs.event_frame()
    r, n_cells = inputs.raster, len(inputs.y)
    train = ev[ev["period_pos"] < cutoff]
    # background shape: the long-term KDE of every training incident, integrating to 1
    dens = kde.density(r, train["lat"], train["lon"], inputs.bandwidth_m)
    total = dens.sum() * r.bin_km2
    shape = dens / total if total > 0 else dens
    recent = train[train["period_pos"] >= cutoff - ETAS_FIT_PERIODS].tail(etas.MAX_EVENTS)
    t_start = inputs.period_days(max(cutoff - ETAS_FIT_PERIODS, 0))[0]
    t_start = max(t_start, float(recent["t"].min())) if len(recent) else t_start
    t_end = inputs.period_days(cutoff)[0]
    b = shape.ravel()[recent["bin"].to_numpy()] / 1e6  # per square metre
    prev = inputs.cache.get("etas_fit")
    init = (prev.mu, max(prev.theta, 0.05), prev.omega, prev.sigma) if prev else None
    # warm-started from the previous fold's fit, whose data overlap all but one period, EM
    # carries on where it stopped: fewer steps per fold, the same fixed point
    steps = 80 if init is None else 25
    f = etas.fit(
        recent["x"], recent["y"], recent["t"], b, t_start, t_end, init=init, iterations=steps
    )
    inputs.cache["etas_fit"] = f
    t0, t1 = inputs.period_days(cutoff)
    bg = f.mu * (t1 - t0) * kde.cell_mass(r, shape, inputs.mapping, n_cells)
    near = recent[recent["t"] > t0 - etas.MAX_DAYS * 2]
    w = etas.triggered_weights(f, near["t"], t0, t1)
    if f.theta > 0 and len(near):
        trig_dens = kde.density(r, near["lat"], near["lon"], max(f.sigma, r.step_m / 2), w)
        trig = kde.cell_mass(r, trig_dens, inputs.mapping, n_cells)
    else:
        trig = np.zeros(n_cells)
    return bg + trig, f.as_dict()


def scores_with_params(inputs: Inputs, cutoff: int, method: str) -> tuple[np.ndarray, dict]:
    """Scores for period `cutoff` from the periods before it, and the parameters fitted."""
    train = inputs.y[:, :cutoff]
    if method == "naive":
        return train[:, -1].astype(float), {}
    if method == "long_term":
        return train.mean(axis=1), {}
    if method == "self_exciting":
        theta, tau = fit_self_exciting(train)
        # excitation for the next period: extend the EWMA by one step
        e = _ewma(np.column_stack([train, np.zeros(len(train))]), tau)[:, -1]
        return (1 - theta) * train.mean(axis=1) + theta * e, {"theta": theta, "tau": tau}
    if method in NEEDS_POINTS and (
        inputs.points is None or inputs.raster is None or inputs.mapping is None
    ):
        raise ValueError(f"{method} needs the incidents, a raster and its cell mapping")
    if method == "kde_decay":
        pts = inputs.points
        sel = pts[(pts["period_pos"] < cutoff) & (pts["period_pos"] >= cutoff - inputs.lookback)]
        start = inputs.periods[cutoff].start_time if cutoff < len(inputs.periods) else None
        if start is None:
            start = inputs.periods[-1].end_time + pd.Timedelta(days=1)
        period_days = (inputs.periods[0].end_time - inputs.periods[0].start_time).days + 1
        age = (start - pd.to_datetime(sel["occurred_date"])).dt.days.to_numpy(dtype=float)
        w = np.exp(-age / period_days)
        dens = kde.density(inputs.raster, sel["lat"], sel["lon"], inputs.bandwidth_m, w)
        return kde.cell_mass(inputs.raster, dens, inputs.mapping, len(train)), {}
    if method == "etas":
        return _etas_scores(inputs, cutoff)
    if method == "kde_mix":
        return lagged.kde_mix(inputs.y, inputs.smooth(), inputs.areas, cutoff)
    if method == "lagged_counts":
        return inputs.lagged_fit(cutoff)
    if method == "ensemble":
        return lagged.ensemble(
            inputs.y,
            inputs.areas,
            cutoff,
            lambda c: inputs.lagged_fit(c)[0],
            inputs.recent_counts,
        )
    raise ValueError(f"unknown forecast method {method!r}; choose from {', '.join(METHODS)}")


def scores(inputs: Inputs, cutoff: int, method: str) -> np.ndarray:
    """Scores for period `cutoff` from the periods before it."""
    return scores_with_params(inputs, cutoff, method)[0]


BACKTEST_COLUMNS = [
    "method",
    "coverage",
    "period",
    "hit_rate",
    "pai",
    "pei",
    "rri",
    "cells_flagged",
    "area_share",
    "crimes",
    "cells_not_in_long_term",
    "crimes_in_those_cells",
    "crimes_in_long_term_only_cells",
]


def backtest(
    inputs: Inputs,
    methods=METHODS,
    coverages=COVERAGES,
    min_train: int = 4,
    max_folds: int | None = BACKTEST_PERIODS,
) -> pd.DataFrame:
    """Rolling-origin backtest: for each of the last periods (after `min_train` training
    periods, at most `max_folds`), forecast it from the periods before and score it. Periods
    with no incidents at all (a gap in the data) are not scored. Beside the scores, what the
    method flagged that the long-term map did not: how many cells and the crimes they caught,
    and the crimes in the long-term map's cells that the method left out.

    Returns DataFrame[BACKTEST_COLUMNS]; the parameters each method fitted are in
    `backtest.fits` (`df.attrs["fits"]`, one row per method and period).
    """
    t = inputs.y.shape[1]
    folds = [c for c in range(min_train, t) if inputs.y[:, c].sum() > 0]
    if max_folds:
        folds = folds[-max_folds:]
    rows, fits = [], []
    inputs.cache.pop("etas_fit", None)
    for cutoff in folds:
        actual = inputs.y[:, cutoff]
        previous = inputs.y[:, cutoff - 1]
        tiebreak = inputs.y[:, :cutoff].mean(axis=1)
        base = {cov: evaluate.top_cells(tiebreak, inputs.areas, cov) for cov in coverages}
        for method in methods:
            t0 = time.perf_counter()
            sc, params = scores_with_params(inputs, cutoff, method)
            took = time.perf_counter() - t0
            fits.append(
                {"method": method, "period": str(inputs.periods[cutoff]), "seconds": took, **params}
            )
            for cov in coverages:
                flags = evaluate.top_cells(sc, inputs.areas, cov, tiebreak)
                extra = flags & ~base[cov]
                rows.append(
                    {
                        "method": method,
                        "coverage": cov,
                        "period": str(inputs.periods[cutoff]),
                        **evaluate.score_flags(flags, actual, inputs.areas),
                        "rri": evaluate.rri(flags, actual, previous),
                        "cells_not_in_long_term": int(extra.sum()),
                        "crimes_in_those_cells": int(actual[extra].sum()),
                        "crimes_in_long_term_only_cells": int(actual[base[cov] & ~flags].sum()),
                    }
                )
    out = pd.DataFrame(rows, columns=BACKTEST_COLUMNS)
    out.attrs["fits"] = pd.DataFrame(fits)
    return out


def summarise(bt: pd.DataFrame) -> pd.DataFrame:
    """Mean hit rate / PAI / PEI / RRI per method and coverage over the backtest periods, the
    PAI as a multiple of the long-term map's, and the mean cells flagged beyond the long-term
    map with the crimes they caught (against those in the long-term cells left out)."""
    cols = [
        "method",
        "coverage",
        "hit_rate",
        "pai",
        "pei",
        "rri",
        "pai_vs_long_term",
        "cells_not_in_long_term",
        "crimes_gained",
        "crimes_lost",
        "periods",
    ]
    if bt.empty:
        return pd.DataFrame(columns=cols)
    s = bt.groupby(["method", "coverage"], as_index=False).agg(
        hit_rate=("hit_rate", "mean"),
        pai=("pai", "mean"),
        pei=("pei", "mean"),
        rri=("rri", "mean"),
        cells_not_in_long_term=("cells_not_in_long_term", "mean"),
        crimes_gained=("crimes_in_those_cells", "mean"),
        crimes_lost=("crimes_in_long_term_only_cells", "mean"),
        periods=("period", "count"),
    )
    lt = s[s["method"] == "long_term"].set_index("coverage")["pai"]
    s["pai_vs_long_term"] = s["pai"] / s["coverage"].map(lt)
    return s[cols].sort_values(["coverage", "pai"], ascending=[True, False]).reset_index(drop=True)


def best_method(summary: pd.DataFrame) -> str | None:
    """The method with the highest mean PAI at the smallest coverage in the backtest."""
    if summary is None or summary.empty:
        return None
    one = summary[summary["coverage"] == summary["coverage"].min()]
    return str(one.sort_values("pai", ascending=False)["method"].iat[0])


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


def flag_differences(fc: pd.DataFrame, coverages=COVERAGES) -> pd.DataFrame:
    """For the next period, each cell one method flags and the long-term map does not (and the
    reverse): DataFrame[method, coverage, h3, flagged_by] with flagged_by 'method only' or
    'long_term only'."""
    rows = []
    lt = fc[fc["method"] == "long_term"].set_index("h3")
    for method, grp in fc[fc["method"] != "long_term"].groupby("method", sort=False):
        g = grp.set_index("h3")
        for cov in coverages:
            col = f"flagged_{cov * 100:g}pct"
            mine, base = g[col], lt[col].reindex(g.index, fill_value=False)
            for h in g.index[mine & ~base]:
                rows.append(
                    {"method": method, "coverage": cov, "h3": h, "flagged_by": "method only"}
                )
            for h in g.index[base & ~mine]:
                rows.append(
                    {"method": method, "coverage": cov, "h3": h, "flagged_by": "long_term only"}
                )
    return pd.DataFrame(rows, columns=["method", "coverage", "h3", "flagged_by"])
