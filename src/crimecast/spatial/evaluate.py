"""Scoring hotspot forecasts: hit rate, PAI, PEI and RRI at a fixed share of the city's area.

- hit rate = share of the period's crimes that fell in the flagged cells;
- PAI (Predictive Accuracy Index, Chainey et al. 2008) = hit rate / share of the area flagged;
- PEI (Predictive Efficiency Index, Hunt 2016) = PAI / the largest PAI any choice of the same
  number of cells could have reached (flagging the cells where crime actually happened), so 1 is
  a perfect forecast at that coverage;
- RRI (recapture rate index, Levine 2008) = the flagged cells' share of this period's crimes
  over their share of the previous period's.

Cells are flagged in rank order until the flagged area is as close as possible to the coverage
(at least one cell); H3 cells differ in area by a few percent, so real cell areas are used.
"""

from __future__ import annotations

import numpy as np


def top_cells(scores, areas, coverage: float, tiebreak=None) -> np.ndarray:
    """Boolean mask of the highest-scoring cells covering about `coverage` of the total area.

    Ties are broken by `tiebreak` (higher first), then by position, so results are
    reproducible."""
    scores = np.asarray(scores, dtype=float)
    areas = np.asarray(areas, dtype=float)
    if not 0 < coverage <= 1:
        raise ValueError(f"coverage must be in (0, 1], got {coverage}")
    if len(scores) == 0:
        return np.zeros(0, dtype=bool)
    tb = np.zeros(len(scores)) if tiebreak is None else np.asarray(tiebreak, dtype=float)
    order = np.lexsort((np.arange(len(scores)), -np.nan_to_num(tb), -np.nan_to_num(scores)))
    cum = np.cumsum(areas[order])
    k = int(np.argmin(np.abs(cum - coverage * areas.sum()))) + 1
    mask = np.zeros(len(scores), dtype=bool)
    mask[order[:k]] = True
    return mask


def hit_rate(flagged, actual) -> float:
    actual = np.asarray(actual, dtype=float)
    total = actual.sum()
    return float(actual[np.asarray(flagged)].sum() / total) if total else float("nan")


def pai(hit: float, area_share: float) -> float:
    return hit / area_share if area_share else float("nan")


def max_pai(actual, areas, n_cells: int) -> float:
    """The PAI of the best possible `n_cells` cells: those with the most actual crime."""
    actual = np.asarray(actual, dtype=float)
    areas = np.asarray(areas, dtype=float)
    best = np.lexsort((np.arange(len(actual)), -actual))[:n_cells]
    mask = np.zeros(len(actual), dtype=bool)
    mask[best] = True
    return pai(hit_rate(mask, actual), areas[mask].sum() / areas.sum())


def score_flags(flagged, actual, areas) -> dict:
    """hit_rate, pai, pei, cells_flagged, area_share and crimes for one forecast."""
    flagged = np.asarray(flagged, dtype=bool)
    areas = np.asarray(areas, dtype=float)
    actual = np.asarray(actual, dtype=float)
    share = float(areas[flagged].sum() / areas.sum()) if areas.sum() else float("nan")
    hr = hit_rate(flagged, actual)
    p = pai(hr, share)
    best = max_pai(actual, areas, int(flagged.sum()))
    return {
        "hit_rate": hr,
        "pai": p,
        "pei": p / best if best and np.isfinite(best) and best > 0 else float("nan"),
        "cells_flagged": int(flagged.sum()),
        "area_share": share,
        "crimes": int(actual.sum()),
    }


def rri(flagged, actual, previous) -> float:
    """Recapture rate index (Levine 2008): the flagged cells' share of this period's crimes over
    their share of the previous period's, (n2 / n1) / (N2 / N1). Above 1 means the flagged cells
    gained crime relative to the city; NaN when the flagged cells had none the period before."""
    flagged = np.asarray(flagged, dtype=bool)
    actual = np.asarray(actual, dtype=float)
    previous = np.asarray(previous, dtype=float)
    n1, n2 = previous[flagged].sum(), actual[flagged].sum()
    big_n1, big_n2 = previous.sum(), actual.sum()
    if n1 <= 0 or big_n1 <= 0 or big_n2 <= 0:
        return float("nan")
    return float((n2 / n1) / (big_n2 / big_n1))
