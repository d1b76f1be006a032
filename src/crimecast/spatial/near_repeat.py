"""Near-repeat analysis: the Knox test over distance x time bands with Monte Carlo significance,
as CrimeStat and the Near Repeat Calculator (Ratcliffe 2009) compute it.

For every pair of incidents, the distance between them and the days between them put the pair
in one (distance band, time band) cell. The observed count in each cell is compared with the
counts after the incidents' dates are shuffled among their places (`permutations` times): the
ratio observed / mean shuffled says how much more often than chance incidents happen that close
in space and time, and p = (1 + shuffles with at least the observed count) / (1 + shuffles).

Without any shuffling, the expected count of a cell is known exactly: S_d x T_t / N, with S_d the
pairs in distance band d, T_t the pairs in time band t and N all pairs (`expected_counts`); the
shuffled mean converges to it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from crimecast.spatial.boundaries import M_PER_DEG_LAT, M_PER_DEG_LON

DISTANCE_BANDS_M = (0, 100, 200, 400, 800)
TIME_BANDS_DAYS = (0, 7, 14, 30, 60)
PERMUTATIONS = 99
MAX_INCIDENTS = 20_000  # the most recent incidents of a category used in one test


def _labels(edges, unit: str) -> list[str]:
    return [f"{a:g}-{b:g} {unit}" for a, b in zip(edges[:-1], edges[1:], strict=True)]


def spatial_pairs(x, y, max_m: float):
    """(i, j, distance) of every pair closer than `max_m` metres."""
    tree = cKDTree(np.column_stack([x, y]))
    p = tree.query_pairs(max_m, output_type="ndarray")
    if len(p) == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0)
    d = np.hypot(x[p[:, 0]] - x[p[:, 1]], y[p[:, 0]] - y[p[:, 1]])
    keep = d < max_m
    return p[keep, 0], p[keep, 1], d[keep]


def _band_counts(d_idx, dt, t_edges, nd: int) -> np.ndarray:
    """(nd, nt) pair counts from each pair's distance band and day difference."""
    t_idx = np.searchsorted(t_edges, dt, side="right") - 1
    nt = len(t_edges) - 1
    ok = (t_idx >= 0) & (t_idx < nt)
    return np.bincount(d_idx[ok] * nt + t_idx[ok], minlength=nd * nt).reshape(nd, nt)


def time_pair_counts(t, t_edges) -> np.ndarray:
    """Pairs of all incidents whose day difference falls in each time band (all pairs)."""
    ts = np.sort(np.asarray(t, dtype=float))
    out = []
    for a, b in zip(t_edges[:-1], t_edges[1:], strict=True):
        # for each i, the j > i with ts[j] - ts[i] in [a, b)
        lo = np.searchsorted(ts, ts + a, side="left")
        hi = np.searchsorted(ts, ts + b, side="left")
        lo = np.maximum(lo, np.arange(len(ts)) + 1)
        out.append(int(np.maximum(hi - lo, 0).sum()))
    return np.array(out, dtype=float)


def expected_counts(x, y, t, d_edges=DISTANCE_BANDS_M, t_edges=TIME_BANDS_DAYS) -> np.ndarray:
    """The exact expected count per (distance band, time band) when dates are unrelated to
    places: S_d x T_t / N."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    n = len(x)
    total = n * (n - 1) / 2
    if total == 0:
        return np.zeros((len(d_edges) - 1, len(t_edges) - 1))
    _, _, d = spatial_pairs(x, y, float(d_edges[-1]))
    s = np.histogram(d, bins=np.asarray(d_edges, float))[0].astype(float)
    tt = time_pair_counts(t, np.asarray(t_edges, float))
    return np.outer(s, tt) / total


def knox(
    x,
    y,
    t,
    d_edges=DISTANCE_BANDS_M,
    t_edges=TIME_BANDS_DAYS,
    permutations: int = PERMUTATIONS,
    seed: int = 42,
) -> pd.DataFrame:
    """Knox table: DataFrame[distance_band, time_band, observed, expected, ratio, p, expected_exact,
    d_lo, d_hi, t_lo, t_hi] with x, y in metres and t in days."""
    x, y, t = (np.asarray(v, dtype=float) for v in (x, y, t))
    d_edges = np.asarray(d_edges, dtype=float)
    t_edges = np.asarray(t_edges, dtype=float)
    nd, nt = len(d_edges) - 1, len(t_edges) - 1
    i, j, d = spatial_pairs(x, y, float(d_edges[-1]))
    d_idx = np.searchsorted(d_edges, d, side="right") - 1

    def counts(tt):
        return _band_counts(d_idx, np.abs(tt[i] - tt[j]), t_edges, nd)

    observed = counts(t).astype(float)
    rng = np.random.default_rng(seed)
    sims = np.zeros((permutations, nd, nt))
    for k in range(permutations):
        sims[k] = counts(rng.permutation(t))
    mean = sims.mean(axis=0) if permutations else np.full((nd, nt), np.nan)
    p = (1 + (sims >= observed).sum(axis=0)) / (1 + permutations)
    exact = expected_counts(x, y, t, d_edges, t_edges)
    dl, tl = _labels(d_edges, "m"), _labels(t_edges, "days")
    rows = []
    for a in range(nd):
        for b in range(nt):
            rows.append(
                {
                    "distance_band": dl[a],
                    "time_band": tl[b],
                    "observed": int(observed[a, b]),
                    "expected": float(mean[a, b]),
                    "ratio": float(observed[a, b] / mean[a, b]) if mean[a, b] > 0 else np.nan,
                    "p": float(p[a, b]) if permutations else np.nan,
                    "expected_exact": float(exact[a, b]),
                    "d_lo": d_edges[a],
                    "d_hi": d_edges[a + 1],
                    "t_lo": t_edges[b],
                    "t_hi": t_edges[b + 1],
                }
            )
    return pd.DataFrame(rows)


def to_metres_days(frame: pd.DataFrame):
    """x, y in metres (local projection) and t in days (the date's day number) of incidents."""
    lat = frame["lat"].to_numpy(dtype=float)
    lon = frame["lon"].to_numpy(dtype=float)
    x = (lon - lon.min()) * M_PER_DEG_LON if len(lon) else lon
    y = (lat - lat.min()) * M_PER_DEG_LAT if len(lat) else lat
    t = pd.to_datetime(frame["occurred_date"]).to_numpy("datetime64[D]").astype(np.int64)
    return x, y, t.astype(float)


def by_category(
    incidents: pd.DataFrame,
    permutations: int = PERMUTATIONS,
    seed: int = 42,
    min_incidents: int = 50,
) -> pd.DataFrame:
    """The Knox table per crime category (column `category` added; all incidents as one
    category 'all' when the frame has no crime_category). Categories with fewer than
    `min_incidents` geocoded incidents are skipped; each uses its latest MAX_INCIDENTS."""
    if "crime_category" in incidents:
        groups = incidents.groupby(incidents["crime_category"].fillna("unknown"), sort=True)
    else:
        groups = [("all", incidents)]
    frames = []
    for cat, grp in groups:
        if len(grp) < min_incidents:
            continue
        grp = grp.sort_values("occurred_date").tail(MAX_INCIDENTS)
        x, y, t = to_metres_days(grp)
        k = knox(x, y, t, permutations=permutations, seed=seed)
        frames.append(k.assign(category=str(cat), incidents=len(grp)))
    cols = ["category", "incidents"]
    if not frames:
        return pd.DataFrame(columns=cols + ["distance_band", "time_band", "observed", "ratio"])
    out = pd.concat(frames, ignore_index=True)
    return out[cols + [c for c in out.columns if c not in cols]]


def sentences(table: pd.DataFrame, alpha: float = 0.05) -> list[str]:
    """In words, per category, the closest significant band: "burglary: incidents within 100 m
    and 7 days of another are 1.8x as frequent as chance (p = 0.01)"."""
    out = []
    if table.empty:
        return out
    for cat, grp in table.groupby("category", sort=True):
        close = grp[(grp["p"] <= alpha) & (grp["ratio"] > 1)].sort_values(["d_hi", "t_hi"])
        if close.empty:
            out.append(
                f"{cat}: no near-repeat pattern (no distance and time band above chance "
                f"at p <= {alpha:g})"
            )
            continue
        r = close.iloc[0]
        out.append(
            f"{cat}: incidents {r['d_lo']:g}-{r['d_hi']:g} m and {r['t_lo']:g}-{r['t_hi']:g} "
            f"days apart are {r['ratio']:.1f}x as frequent as chance (p = {r['p']:.3f})"
        )
    return out


def heatmap(table: pd.DataFrame, category: str):
    """Plotly heatmap of the Knox ratio (distance bands x time bands), significant cells
    marked with *."""
    import plotly.graph_objects as go

    g = table[table["category"] == category]
    z = g.pivot(index="distance_band", columns="time_band", values="ratio")
    p = g.pivot(index="distance_band", columns="time_band", values="p")
    order_d = list(dict.fromkeys(g["distance_band"]))
    order_t = list(dict.fromkeys(g["time_band"]))
    z, p = z.loc[order_d, order_t], p.loc[order_d, order_t]
    text = [
        [f"{v:.2f}{'*' if q <= 0.05 else ''}" for v, q in zip(zr, pr, strict=True)]
        for zr, pr in zip(z.to_numpy(), p.to_numpy(), strict=True)
    ]
    fig = go.Figure(
        go.Heatmap(
            z=z.to_numpy(),
            x=order_t,
            y=order_d,
            text=text,
            texttemplate="%{text}",
            colorscale="RdBu_r",
            zmid=1.0,
            colorbar={"title": "observed / chance"},
        )
    )
    fig.update_layout(
        title=f"Near repeats, {category}: Knox ratio (* p <= 0.05)",
        xaxis_title="days apart",
        yaxis_title="distance apart",
    )
    return fig
