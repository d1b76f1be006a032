"""Getis-Ord Gi* hot and cold spots on the H3 grid, with Benjamini-Hochberg FDR correction.

Gi* is computed exactly as esda's `G_Local(y, w, transform="B", star=True)` does it: binary
weights over each cell's k-ring (the cell itself included), the analytical z-score of Getis & Ord
(1992), and esda's conditional permutation test (each cell's value held fixed, its neighbours
drawn at random from the other cells; the same seeded permutation table as esda, so the pseudo
p-values are identical - a test checks this against esda itself). The permutations are vectorised
over cells and time slices with numpy, which is what makes Gi* on every quarter affordable;
`method="esda"` runs esda instead.

Significance. Classes come from the analytical two-sided p-value of the z-score with the
Benjamini-Hochberg false-discovery-rate correction over all cells (as ArcGIS's Hot Spot Analysis
does), so "hot at 99%" means FDR-adjusted p <= 0.01. The permutation pseudo p-value `p_sim` is
reported beside it but not used by default, for two reasons: it cannot go below
1/(permutations+1), too coarse to survive an FDR correction over thousands of cells; and esda's
conditional permutation holds the cell's own count fixed, so it only asks whether the
*neighbours* are unusually high - a dense cluster smaller than one hexagon (a mall, a transit
hub) would never pass it. `confirm_by_permutation=True` additionally requires the two-sided
pseudo p-value to clear each level (a stricter, neighbourhood-only reading). Classes follow
ArcGIS's Gi_Bin: +-3 = 99%, +-2 = 95%, +-1 = 90% confidence, 0 = not significant.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy import stats

from crimecast.spatial import grid

LEVELS = (0.90, 0.95, 0.99)
CLASS_LABELS = {
    3: "hot spot, 99% confidence",
    2: "hot spot, 95% confidence",
    1: "hot spot, 90% confidence",
    0: "not significant",
    -1: "cold spot, 90% confidence",
    -2: "cold spot, 95% confidence",
    -3: "cold spot, 99% confidence",
}


def benjamini_hochberg(p) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values (NaN stays NaN and is not counted in m)."""
    p = np.asarray(p, dtype=float)
    out = np.full(p.shape, np.nan)
    ok = ~np.isnan(p)
    m = int(ok.sum())
    if m == 0:
        return out
    pv = p[ok]
    order = np.argsort(pv, kind="mergesort")
    scaled = pv[order] * m / np.arange(1, m + 1)
    adjusted = np.minimum.accumulate(scaled[::-1])[::-1].clip(max=1.0)
    res = np.empty(m)
    res[order] = adjusted
    out[ok] = res
    return out


def _analytic(y: np.ndarray, nbs: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(G*, local sums, z) for y of shape (n, T), following esda's G_Local.calc with star."""
    n = y.shape[0]
    card = np.array([len(nb) for nb in nbs], dtype=float) + 1.0  # the cell itself included
    rows = np.repeat(np.arange(n), [len(nb) for nb in nbs])
    cols = np.concatenate(nbs) if n else np.zeros(0, dtype=np.int64)
    local = y.copy()
    np.add.at(local, rows, y[cols])
    total = y.sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        g = local / total
        mean = total / n
        var = (y**2).sum(axis=0) / n - mean**2
        eg = card[:, None] / n
        vg = card[:, None] * (n - card[:, None]) / (n - 1) / n**2 * (var / mean**2)
        z = (g - eg) / np.sqrt(vg)
    z[~np.isfinite(z)] = np.nan
    return g, local, z


def permutation_table(n: int, kmax: int, permutations: int, seed: int) -> np.ndarray:
    """The (permutations, kmax) table of random other-cell positions esda draws for `seed`
    (esda: `np.random.seed(seed)` then `np.random.choice(n - 1, kmax, replace=False)` per row)."""
    rs = np.random.RandomState(seed)
    return np.stack([rs.choice(n - 1, size=kmax, replace=False) for _ in range(permutations)])


def _pseudo_p(
    y: np.ndarray, local: np.ndarray, nbs: list[np.ndarray], permutations: int, seed: int
) -> np.ndarray:
    """esda's 'directed' conditional-permutation pseudo p-values, shape (n, T)."""
    n, t = y.shape
    card = np.array([len(nb) for nb in nbs])
    kmax = int(card.max()) if n else 0
    if n < 3 or kmax == 0:
        return np.full((n, t), np.nan)
    perm = permutation_table(n, kmax, permutations, seed)
    # Cell i draws from the *other* cells: position k means cell k if k < i else k + 1. So a
    # draw's value is y[k] plus, when k >= i, d = y[k + 1] - y[k]. Sorting each permutation's
    # first c positions lets the correction for cell i be one gather of a suffix sum (the m
    # draws with k >= i) instead of c multiply-adds per slice.
    a = y[perm]  # (R, K, T)
    d = y[np.minimum(perm + 1, n - 1)] - a
    rows = np.arange(permutations)[None, :]
    larger = np.zeros((n, t), dtype=np.int64)
    block = max(1, int(3_000_000 // (permutations * max(t, 1))))
    for c in np.unique(card):
        if c == 0:
            continue
        idx = np.flatnonzero(card == c)
        order = np.argsort(perm[:, :c], axis=1, kind="stable")
        srt = np.take_along_axis(perm[:, :c], order, axis=1)  # (R, c) ascending
        dsrt = np.take_along_axis(d[:, :c, :], order[:, :, None], axis=1)  # (R, c, T)
        # suffix[:, m] = sum of the m largest-position draws' corrections
        suffix = np.zeros((permutations, c + 1, t))
        suffix[:, 1:, :] = np.cumsum(dsrt[:, ::-1, :], axis=1)
        base = a[:, :c].sum(axis=1)  # (R, T)
        for s in range(0, len(idx), block):
            cells = idx[s : s + block]
            m = (srt[None, :, :] >= cells[:, None, None]).sum(axis=2)  # (b, R)
            rsum = suffix[rows, m] + base[None] + y[cells][:, None, :]  # (b, R, T)
            larger[cells] = (rsum >= local[cells][:, None, :]).sum(axis=1)
    low = (permutations - larger) < larger
    larger = np.where(low, permutations - larger, larger)
    p = (larger + 1.0) / (permutations + 1.0)
    p[card == 0] = np.nan
    return p


def gi_star_matrix(
    y, neighbours: list[np.ndarray], permutations: int = 999, seed: int = 42
) -> dict[str, np.ndarray]:
    """Gi* for one or many variables over the same cells.

    y: (n,) or (n, T) counts; neighbours: `grid.neighbour_lists(cells)`. Returns arrays of the
    same shape as y: `gi`, `z`, `p` (two-sided, normal), `p_sim` (esda's pseudo p; NaN without
    permutations).
    """
    y = np.asarray(y, dtype=float)
    flat = y.ndim == 1
    y2 = y[:, None] if flat else y
    g, local, z = _analytic(y2, neighbours)
    p = 2.0 * stats.norm.sf(np.abs(z))
    if permutations and permutations > 0:
        p_sim = _pseudo_p(y2, local, neighbours, int(permutations), int(seed))
    else:
        p_sim = np.full(y2.shape, np.nan)
    out = {"gi": g, "z": z, "p": p, "p_sim": p_sim}
    return {k: v[:, 0] for k, v in out.items()} if flat else out


def classify(z, p_fdr, p_sim=None) -> np.ndarray:
    """ArcGIS-style Gi_Bin (-3..3) from z, FDR-adjusted p and (optionally) the pseudo p."""
    z = np.asarray(z, dtype=float)
    p_fdr = np.asarray(p_fdr, dtype=float)
    perm = None if p_sim is None else np.minimum(1.0, 2.0 * np.asarray(p_sim, dtype=float))
    out = np.zeros(z.shape, dtype=np.int64)
    for k, level in enumerate(LEVELS, start=1):
        alpha = 1.0 - level + 1e-6  # inclusive, and robust to esda's float32 pseudo p
        sig = p_fdr <= alpha
        if perm is not None:
            sig &= np.isnan(perm) | (perm <= alpha)
        out = np.where(sig & (z > 0), k, np.where(sig & (z < 0), -k, out))
    return out


def gi_star(
    cells: pd.DataFrame,
    permutations: int = 999,
    seed: int = 42,
    fdr: bool = True,
    ring: int = 1,
    method: str = "numpy",
    confirm_by_permutation: bool = False,
) -> pd.DataFrame:
    """Gi* hot/cold spots for a grid table [h3, n, ...] (pass the whole study area, empty cells
    included with n = 0; see `grid.study_cells`).

    Returns the table with `neighbours`, `gi`, `z`, `p`, `p_sim`, `p_fdr`, `gi_bin` (-3..3) and
    `class` (e.g. "hot spot, 99% confidence"). `fdr=False` classifies on the raw p-values;
    `confirm_by_permutation=True` also requires the permutation test to agree (module doc).
    """
    table = cells.reset_index(drop=True).copy()
    ids = table["h3"].to_list()
    nbs = grid.neighbour_lists(ids, ring)
    y = table["n"].to_numpy(dtype=float)
    if method == "esda":
        res = _esda_gi(ids, y, ring, permutations, seed)
    elif method == "numpy":
        res = gi_star_matrix(y, nbs, permutations, seed)
    else:
        raise ValueError(f"unknown Gi* method {method!r}; use 'numpy' or 'esda'")
    table["neighbours"] = [len(nb) for nb in nbs]
    for k in ("gi", "z", "p", "p_sim"):
        table[k] = res[k]
    table["p_fdr"] = benjamini_hochberg(res["p"]) if fdr else res["p"]
    confirm = res["p_sim"] if (permutations and confirm_by_permutation) else None
    table["gi_bin"] = classify(table["z"], table["p_fdr"], confirm)
    table["class"] = table["gi_bin"].map(CLASS_LABELS)
    return table


def _esda_gi(ids, y, ring, permutations, seed) -> dict[str, np.ndarray]:
    """The same statistic through esda.G_Local (slower; the reference implementation)."""
    from esda.getisord import G_Local

    w = grid.weights(ids, ring)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # esda's notices about its future defaults
        lg = G_Local(
            y,
            w,
            transform="B",
            star=True,
            permutations=permutations,
            seed=seed,
            n_jobs=1,
            keep_simulations=False,
        )
    p_sim = np.asarray(lg.p_sim, dtype=float) if permutations else np.full(len(y), np.nan)
    return {"gi": lg.Gs, "z": lg.Zs, "p": 2.0 * stats.norm.sf(np.abs(lg.Zs)), "p_sim": p_sim}


def summary(table: pd.DataFrame) -> dict:
    """Counts of cells per class and of incidents in hot spots, for printing and reports."""
    total = float(table["n"].sum())
    hot = table["gi_bin"] > 0
    return {
        "cells": int(len(table)),
        "hot_cells": int(hot.sum()),
        "cold_cells": int((table["gi_bin"] < 0).sum()),
        "incidents_in_hot_cells": int(table.loc[hot, "n"].sum()),
        "share_of_incidents_in_hot_cells": float(table.loc[hot, "n"].sum() / total)
        if total
        else 0.0,
        "by_class": {CLASS_LABELS[k]: int((table["gi_bin"] == k).sum()) for k in CLASS_LABELS},
    }
