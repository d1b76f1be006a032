"""Hotspot forecasters built on per-period cell counts and their smoothed versions:

- `kde_mix`: w x long-term KDE + (1 - w) x recent KDE (an exponentially weighted average of the
  per-period KDE masses with time scale tau periods). (w, tau) are chosen inside each backtest
  fold on its own training periods only (the mean PAI at 1% over the last `inner` of them, each
  forecast from the periods before it), so the period scored is never seen;
- `lagged_counts`: gradient-boosted trees with a Poisson loss (scikit-learn's
  HistGradientBoostingRegressor) on the last 1, 3 and 12 periods' counts of the cell and of its
  one-ring neighbours, the long-term mean and the two KDE components (after Wheeler & Steenbeek
  2020), trained on the fold's training periods;
- `ensemble`: w x the exponentially weighted mean count (time scale tau periods) + (1 - w) x
  the `lagged_counts` forecast, each as a share of its period total; (w, tau) are chosen, like
  `kde_mix`'s, on the last `inner` training periods, each forecast from the periods before it.
"""

from __future__ import annotations

import numpy as np
from scipy import sparse

from crimecast.spatial import evaluate

WEIGHTS = np.round(np.arange(0.0, 1.01, 0.1), 2)
TAUS = (1.0, 3.0, 6.0, 12.0)
INNER = 6
TRAIN_WINDOW = 24  # target periods per lagged-counts fit
ENSEMBLE_TAUS = (6.0, 12.0, 24.0)


def ewma_before(m: np.ndarray, tau: float) -> np.ndarray:
    """r[:, t] = the exponentially weighted mean of m[:, :t] (weights exp(-age / tau), age 0 for
    period t - 1); r[:, 0] = 0. Normalised by the weights, so its scale is one period's."""
    a = np.exp(-1.0 / tau)
    num = np.zeros_like(m, dtype=float)
    den = np.zeros(m.shape[1])
    for t in range(1, m.shape[1]):
        num[:, t] = m[:, t - 1] + a * num[:, t - 1]
        den[t] = 1.0 + a * den[t - 1]
    out = np.zeros_like(num)
    out[:, 1:] = num[:, 1:] / den[1:]
    return out


def mean_before(m: np.ndarray) -> np.ndarray:
    """mb[:, t] = mean of m[:, :t]; mb[:, 0] = 0."""
    out = np.zeros_like(m, dtype=float)
    cum = np.cumsum(m, axis=1)
    out[:, 1:] = cum[:, :-1] / np.arange(1, m.shape[1])
    return out


def window_mean_before(m: np.ndarray, k: int) -> np.ndarray:
    """wm[:, t] = mean of m[:, t-k:t] (fewer at the start); wm[:, 0] = 0."""
    cum = np.concatenate([np.zeros((m.shape[0], 1)), np.cumsum(m, axis=1)], axis=1)
    t = np.arange(m.shape[1])
    lo = np.maximum(t - k, 0)
    n = np.maximum(t - lo, 1)
    return (cum[:, t] - cum[:, lo]) / n


def choose_mix(
    y: np.ndarray, smooth: np.ndarray, areas: np.ndarray, cutoff: int, inner: int = INNER
) -> tuple[float, float]:
    """(w, tau) with the best mean PAI at 1% over the last `inner` training periods before
    `cutoff`, each forecast from the periods before it. Ties favour the long-term map."""
    lt = mean_before(smooth[:, :cutoff])
    targets = [c for c in range(max(2, cutoff - inner), cutoff) if y[:, c].sum() > 0]
    if not targets:
        return 1.0, TAUS[0]
    best, best_score = (1.0, TAUS[0]), -np.inf
    for tau in TAUS:
        rec = ewma_before(smooth[:, :cutoff], tau)
        for w in WEIGHTS[::-1]:
            total = 0.0
            for c in targets:
                sc = w * lt[:, c] + (1 - w) * rec[:, c]
                flags = evaluate.top_cells(sc, areas, 0.01, lt[:, c])
                total += evaluate.hit_rate(flags, y[:, c])
            if total > best_score + 1e-12:
                best, best_score = (float(w), float(tau)), total
    return best


def kde_mix(y, smooth, areas, cutoff) -> tuple[np.ndarray, dict]:
    w, tau = choose_mix(y, smooth, areas, cutoff)
    lt = smooth[:, :cutoff].mean(axis=1)
    ext = np.column_stack([smooth[:, :cutoff], np.zeros(len(smooth))])
    rec = ewma_before(ext, tau)[:, -1]
    return w * lt + (1 - w) * rec, {"weight_long_term": w, "tau_periods": tau}


def seasonal_before(m: np.ndarray, season: int) -> tuple[np.ndarray, np.ndarray]:
    """The count one season before period t (`season` periods back, 0 before the data) and the
    mean of the same period of every earlier season."""
    lag = np.zeros_like(m, dtype=float)
    lag[:, season:] = m[:, :-season]
    mean = np.zeros_like(m, dtype=float)
    for t in range(season, m.shape[1]):
        mean[:, t] = m[:, t - season :: -season].mean(axis=1)
    return lag, mean


def features(
    y: np.ndarray,
    smooth: np.ndarray,
    adj: sparse.csr_matrix,
    fine: np.ndarray | None = None,
    adj2: sparse.csr_matrix | None = None,
    season: int = 12,
) -> np.ndarray:
    """(cells, periods, k) features for predicting period t from the periods before it: the
    cell's mean count over the last 1, 3, 6, 12 and 24 periods and all of them, its
    exponentially weighted means (time scales 6 and 24 periods), the count one season before
    and the mean of the same season in earlier years, the long-term and recent KDE masses
    (`smooth`, and `fine` at a narrower bandwidth), and the one-ring (`adj`) and two-ring
    (`adj2`) neighbours' sums."""
    y = y.astype(float)
    fine = smooth if fine is None else fine
    base = [
        window_mean_before(y, 1),
        window_mean_before(y, 3),
        window_mean_before(y, 12),
        mean_before(y),
        mean_before(smooth),
        ewma_before(smooth, 3.0),
    ]
    nb = [adj @ f for f in base[:4]]
    extra = [
        window_mean_before(y, 6),
        mean_before(fine),
        ewma_before(fine, 3.0),
        ewma_before(smooth, 1.0),
        (adj2 if adj2 is not None else adj) @ base[3],
    ]
    recent = [ewma_before(y, 6.0), ewma_before(y, 24.0), window_mean_before(y, 24)]
    seasonal = list(seasonal_before(y, season))
    rings = [adj @ recent[0], adj @ recent[2], (adj2 if adj2 is not None else adj) @ base[2]]
    return np.stack(base + nb + extra + seasonal + recent + rings, axis=2)


def lagged_counts(
    y: np.ndarray, feats: np.ndarray, cutoff: int, seed: int = 0
) -> tuple[np.ndarray, dict]:
    """Scores for period `cutoff` from a Poisson gradient-boosting fit on targets before it."""
    from sklearn.ensemble import HistGradientBoostingRegressor
    from threadpoolctl import threadpool_limits

    lo = max(3, cutoff - TRAIN_WINDOW)
    ts = [t for t in range(lo, cutoff) if y[:, t].sum() > 0]
    if not ts:
        return feats[:, cutoff, 3], {"trained_periods": 0}
    # cells with no incident in any training period carry no signal: left out of the fit
    active = y[:, :cutoff].sum(axis=1) > 0
    x = np.concatenate([feats[active, t, :] for t in ts])
    target = np.concatenate([y[active, t] for t in ts]).astype(float)
    model = HistGradientBoostingRegressor(
        loss="poisson",
        max_iter=60,
        learning_rate=0.1,
        early_stopping=False,
        max_leaf_nodes=15,
        min_samples_leaf=int(min(50, max(3, len(target) // 100))),
        random_state=seed,
    )
    # one thread: on a busy machine OpenMP's spinning threads cost 40x the fit itself
    with threadpool_limits(limits=1, user_api="openmp"):
        model.fit(x, target)
        out = np.zeros(len(y))
        out[active] = model.predict(feats[active, cutoff, :])
    return out, {"trained_periods": len(ts), "rows": int(len(target))}


def adjacency(neighbours: list[np.ndarray], n: int) -> sparse.csr_matrix:
    rows = np.repeat(np.arange(n), [len(a) for a in neighbours])
    cols = np.concatenate(neighbours) if neighbours else np.zeros(0, dtype=np.int64)
    return sparse.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, n))


def _share(v: np.ndarray) -> np.ndarray:
    total = v.sum()
    return v / total if total > 0 else v


def ensemble(y: np.ndarray, areas, cutoff: int, lagged_at, ewma_of, inner: int = INNER):
    """Scores for period `cutoff`: the mix of the recency-weighted counts (`ewma_of(tau)`, cells x
    periods + 1) and the lagged-counts forecast (`lagged_at(c)`, for period c from the periods
    before it) whose weight and time scale caught the most crime in the top 1% of the area over
    the last `inner` training periods. Ties favour the lagged-counts model."""
    targets = [c for c in range(max(4, cutoff - inner), cutoff) if y[:, c].sum() > 0]
    best, best_score = (0.0, ENSEMBLE_TAUS[1]), -np.inf
    if targets:
        learned = {c: _share(lagged_at(c)) for c in targets}
        for tau in ENSEMBLE_TAUS:
            e = ewma_of(tau)
            for w in WEIGHTS:
                total = 0.0
                for c in targets:
                    sc = w * _share(e[:, c]) + (1 - w) * learned[c]
                    total += evaluate.hit_rate(
                        evaluate.top_cells(sc, areas, 0.01, e[:, c]), y[:, c]
                    )
                if total > best_score + 1e-12:
                    best, best_score = (float(w), float(tau)), total
    w, tau = best
    e = ewma_of(tau)[:, cutoff]
    sc = w * _share(e) + (1 - w) * _share(lagged_at(cutoff))
    return sc, {"weight_recent_counts": w, "tau_periods": tau, "inner_periods": len(targets)}
