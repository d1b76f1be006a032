"""Change and dual maps (after sfhotspot's hotspot_change and hotspot_dual_kde):

- `hotspot_change`: per cell, the kernel density mass of incidents in a period before and a
  period after (the last 12 months against the 12 before, by default), the change, and whether
  the cell's own counts moved more than the city's (a two-sided binomial test of the cell's
  after-share against the city's, FDR-corrected): 'rose', 'fell' or 'steady';
- `dual_rate`: incidents per 1,000 residents per cell, each division's population spread over
  the cells whose centres lie in it by area, and a density ratio smoothed the same way as the
  density maps (the outlines carry the population).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely
from scipy import stats

from crimecast.spatial import kde


def hotspot_change(
    pts: pd.DataFrame,
    cells: list[str],
    raster: kde.Raster,
    mapping: np.ndarray,
    bandwidth_m: float,
    split: pd.Timestamp | None = None,
    months: int = 12,
    alpha: float = 0.05,
) -> tuple[pd.DataFrame, dict]:
    """DataFrame[h3, before, after, change, n_before, n_after, p, p_fdr, direction] and a dict
    naming the two periods. `pts` needs lat, lon, occurred_date and h3."""
    dates = pd.to_datetime(pts["occurred_date"])
    if split is None:
        split = (dates.max() + pd.Timedelta(days=1)).normalize() - pd.DateOffset(months=months)
    lo = split - pd.DateOffset(months=months)
    hi = split + pd.DateOffset(months=months)
    before = pts[(dates >= lo) & (dates < split)]
    after = pts[(dates >= split) & (dates < hi)]
    n = len(cells)
    mass = {}
    for name, grp in (("before", before), ("after", after)):
        dens = kde.density(raster, grp["lat"], grp["lon"], bandwidth_m)
        mass[name] = kde.cell_mass(raster, dens, mapping, n)
    pos = pd.Series(np.arange(n), index=list(cells))
    nb = np.bincount(pos.reindex(before["h3"]).dropna().astype(int), minlength=n)
    na = np.bincount(pos.reindex(after["h3"]).dropna().astype(int), minlength=n)
    total_b, total_a = nb.sum(), na.sum()
    share = total_a / (total_a + total_b) if total_a + total_b else 0.5
    p = np.ones(n)
    for i in np.flatnonzero(nb + na):
        p[i] = stats.binomtest(int(na[i]), int(na[i] + nb[i]), share).pvalue
    p_fdr = stats.false_discovery_control(p) if n else p
    expected_a = (na + nb) * share
    direction = np.where(p_fdr <= alpha, np.where(na > expected_a, "rose", "fell"), "steady")
    frame = pd.DataFrame(
        {
            "h3": list(cells),
            "before": mass["before"],
            "after": mass["after"],
            "change": mass["after"] - mass["before"],
            "n_before": nb,
            "n_after": na,
            "p": p,
            "p_fdr": p_fdr,
            "direction": direction,
        }
    )
    span = {
        "before": f"{lo.date()} to {(split - pd.Timedelta(days=1)).date()}",
        "after": f"{split.date()} to {(hi - pd.Timedelta(days=1)).date()}",
        "incidents_before": int(total_b),
        "incidents_after": int(total_a),
        "rose": int((direction == "rose").sum()),
        "fell": int((direction == "fell").sum()),
    }
    return frame, span


def cell_population(cells_table: pd.DataFrame, divisions: pd.DataFrame) -> np.ndarray:
    """Residents per cell: each division's population shared among the cells whose centre lies
    in it, in proportion to their area (NaN for cells outside every division)."""
    out = np.full(len(cells_table), np.nan)
    lat = cells_table["lat"].to_numpy()
    lon = cells_table["lon"].to_numpy()
    area = cells_table["area_km2"].to_numpy()
    for row in divisions.itertuples():
        geom = row.geometry
        inside = shapely.contains_xy(geom, lon, lat)
        if inside.any() and np.isfinite(row.population) and row.population > 0:
            out[inside] = row.population * area[inside] / area[inside].sum()
    return out


def dual_rate(cells_table: pd.DataFrame, divisions: pd.DataFrame | None) -> pd.DataFrame | None:
    """DataFrame[h3, n, population, rate_per_1k] (None without outlines)."""
    if divisions is None or "population" not in divisions:
        return None
    pop = cell_population(cells_table, divisions)
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = cells_table["n"].to_numpy() / pop * 1000
    return pd.DataFrame(
        {"h3": cells_table["h3"], "n": cells_table["n"], "population": pop, "rate_per_1k": rate}
    )
